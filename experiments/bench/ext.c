/*
 * ext.c — `tasvir-bench ext`: external synchronization on the loopback backend (manual
 * clock, single-threaded, so the figures are the core's costs, not scheduling noise).
 *
 * Sections (column `bench`):
 *   wire       one version of a 1 MiB area, dense (every line) and sparse (every 8th line),
 *              at MTU 1500 and 9000: frames and bytes per version, wire efficiency
 *              (payload / L2 frame bytes, and with the 24 B Ethernet L1 overhead), encode
 *              cost per frame (owner's engine building frames, measured with the frames
 *              captured instead of transmitted) and decode+apply cost per frame at the
 *              subscriber (frames fed straight into its receive path), with GB/s.
 *   fanout     N nodes, one writer, N-1 subscribers, random sparse writes: bytes each
 *              subscriber received per byte changed at the owner, unicast and multicast,
 *              without and with 1 % loss.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/core/internal.h"
#include "bench.h"
#include "testbed.h"

#define MS 1000000ull

/* ---- wire section --------------------------------------------------------------------- */

static const char *const wire_cols[] = {
    "bench", "mtu", "pattern", "area_bytes", "lines_changed", "frames_per_version",
    "data_frames", "payload_bytes", "frame_bytes", "wire_efficiency", "wire_efficiency_l1",
    "lines_per_frame", "encode_ns_per_frame", "decode_ns_per_frame", "decode_apply_gbps",
    "encode_gbps"};
enum { W_BENCH, W_MTU, W_PAT, W_AREA, W_LINES, W_FPV, W_DATA, W_PAY, W_FB, W_EFF, W_EFF1, W_LPF,
       W_ENC, W_DEC, W_DECG, W_ENCG };

static int wire_case(struct bench_csv *csv, uint32_t mtu, int sparse, unsigned reps)
{
    const uint64_t len = 1 << 20;
    double enc[64], dec[64];
    struct bench_tb_version v = {0};
    char what[48];
    snprintf(what, sizeof(what), "wire mtu %u %s", mtu, sparse ? "sparse" : "dense");
    if (reps > 64)
        reps = 64;
    for (unsigned r = 0; r < reps; r++) {
        /* one version: dense = every line, sparse = every 8th line */
        if (bench_tb_version("ext", what, mtu, 1 + r, sparse ? 8 : 1, r + 1, &v))
            return -1;
        enc[r] = bench_ticks_to_ns(v.rd.poll_ticks) / (double)v.rd.data_frames;
        dec[r] = bench_ticks_to_ns(v.replay_ticks) / (double)v.rd.data_frames;
    }
    /* frames of the version: DATA + VEND (heartbeats may have been captured too) */
    uint64_t frames = v.data_n + v.vend_n, fbytes = v.data_bytes + v.vend_bytes;
    double enc_ns = bench_median(enc, reps), dec_ns = bench_median(dec, reps);
    double per_frame_payload = (double)v.rd.payload / (double)v.rd.data_frames;
    struct bench_row row;
    bench_row_clear(&row);
    bench_row_str(&row, W_BENCH, "wire");
    bench_row_u64(&row, W_MTU, mtu);
    bench_row_str(&row, W_PAT, sparse ? "sparse" : "dense");
    bench_row_u64(&row, W_AREA, len);
    bench_row_u64(&row, W_LINES, v.lines);
    bench_row_u64(&row, W_FPV, frames);
    bench_row_u64(&row, W_DATA, v.rd.data_frames);
    bench_row_u64(&row, W_PAY, v.rd.payload);
    bench_row_u64(&row, W_FB, fbytes);
    bench_row_f(&row, W_EFF, (double)v.rd.payload / (double)fbytes, 4);
    bench_row_f(&row, W_EFF1, (double)v.rd.payload / (double)(fbytes + 24 * frames), 4);
    bench_row_f(&row, W_LPF, per_frame_payload / 64, 1);
    bench_row_f(&row, W_ENC, enc_ns, 1);
    bench_row_f(&row, W_DEC, dec_ns, 1);
    bench_row_f(&row, W_DECG, per_frame_payload / dec_ns, 2);
    bench_row_f(&row, W_ENCG, per_frame_payload / enc_ns, 2);
    bench_csv_emit(csv, &row);
    return 0;
}

/* ---- fanout section ------------------------------------------------------------------- */

static const char *const fan_cols[] = {
    "bench", "addressing", "loss", "subscriber", "versions_published", "bytes_changed",
    "data_bytes_received", "bytes_per_byte_changed", "frames_received", "versions_seen",
    "full_resends"};
enum { F_BENCH, F_ADDR, F_LOSS, F_SUB, F_VERS, F_CHG, F_RX, F_RATIO, F_FR, F_SEEN, F_FULL };

struct fan_tap {
    uint64_t data_bytes[8], frames[8];
};

static void fan_tap_fn(void *arg, uint16_t src, uint16_t dst, const uint8_t *f, uint32_t len)
{
    struct fan_tap *t = arg;
    if (src != 0 || dst >= 8 || len < 70 || (f[15] != TASVIR_FT_DATA && f[15] != TASVIR_FT_VEND))
        return;
    t->data_bytes[dst] += len;
    t->frames[dst]++;
}

static int fanout_case(struct bench_csv *csv, unsigned nodes, int multicast, double loss,
                       uint64_t duration_ms)
{
    char what[64];
    snprintf(what, sizeof(what), "fanout %u nodes %s loss %.3f", nodes,
             multicast ? "multicast" : "unicast", loss);
    struct bench_tb b;
    if (bench_tb_create(&b, "ext", nodes, 1500, multicast, 42)) {
        bench_tb_destroy(&b);
        return -1;
    }
    struct tasvir_area *a = bench_area(b.t[0], "ext-fan", 256 * 1024, 1000);
    if (!a) {
        bench_tb_destroy(&b);
        return -1;
    }
    tasvir_area_set_sync(a, 0, 10000);
    struct tasvir_area *rd[8] = {0};
    bool all = false;
    for (int i = 0; i < 100000 && !all && !b.err; i++) {
        all = true;
        for (unsigned k = 1; k < nodes; k++)
            all = bench_tb_attach(&b, k, "ext-fan", &rd[k]) && all;
        bench_tb_step(&b, 10000);
    }
    for (int i = 0; i < 2000 && all; i++)
        bench_tb_step(&b, 10000);
    if (!bench_tb_failed(&b, what) && !all)
        bench_info("ext: %s: a subscriber never attached", what);
    if (b.err || !all) {
        bench_tb_destroy(&b);
        return -1;
    }
    struct fan_tap tap = {0};
    tasvir_loop_net_set_tap(b.net, fan_tap_fn, &tap);
    struct tasvir_loop_faults f = {.loss = loss, .delay_ns = 5000};
    int rc = tasvir_loop_net_set_faults(b.net, &f);
    if (rc) {
        bench_info("ext: %s: cannot set the faults: %s", what, tasvir_strerror(rc));
        bench_tb_destroy(&b);
        return -1;
    }
    struct tasvir_stats s0, s1;
    tasvir_node_stats(b.node[0], &s0);
    uint64_t v0 = tasvir_area_version(a), seen0[8];
    for (unsigned k = 1; k < nodes; k++)
        seen0[k] = tasvir_area_version(rd[k]);
    uint64_t rng = 99;
    uint8_t *w = tasvir_area_writer(a);
    uint64_t lines = 256 * 1024 / 64;
    for (uint64_t t = 0; t < duration_ms * MS; t += 10000) {
        /* 2 random lines per 10 us step: 200k line writes per second */
        for (int k = 0; k < 2; k++) {
            uint64_t l = bench_rand(&rng) % lines;
            memset(w + l * 64, (int)t, 64);
            tasvir_log(a, w + l * 64, 64);
        }
        bench_tb_step(&b, 10000);
    }
    tasvir_node_stats(b.node[0], &s1);
    uint64_t changed = s1.bytes_changed - s0.bytes_changed;
    tasvir_loop_net_set_tap(b.net, NULL, NULL);
    if (bench_tb_failed(&b, what) || !changed || tasvir_area_version(a) == v0) {
        if (!b.err)
            bench_info("ext: %s: the owner published no version", what);
        bench_tb_destroy(&b);
        return -1;
    }
    for (unsigned k = 1; k < nodes; k++) {
        struct bench_row row;
        bench_row_clear(&row);
        bench_row_str(&row, F_BENCH, "fanout");
        bench_row_str(&row, F_ADDR, multicast ? "multicast" : "unicast");
        bench_row_f(&row, F_LOSS, loss, 3);
        bench_row_u64(&row, F_SUB, k);
        bench_row_u64(&row, F_VERS, tasvir_area_version(a) - v0);
        bench_row_u64(&row, F_CHG, changed);
        bench_row_u64(&row, F_RX, tap.data_bytes[k]);
        bench_row_f(&row, F_RATIO, (double)tap.data_bytes[k] / (double)changed, 3);
        bench_row_u64(&row, F_FR, tap.frames[k]);
        bench_row_u64(&row, F_SEEN, tasvir_area_version(rd[k]) - seen0[k]);
        bench_row_u64(&row, F_FULL, s1.full_resends - s0.full_resends);
        bench_csv_emit(csv, &row);
    }
    bench_tb_destroy(&b);
    return 0;
}

/* ---- command ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: tasvir-bench ext [OPTIONS]\n"
            "\n"
            "External synchronization on the loopback backend (manual clock, one thread).\n"
            "Two CSV sections on stdout, each with its own header line:\n"
            "  bench=wire    one version of a 1 MiB area, dense (all lines) / sparse (every\n"
            "                8th line), MTU 1500 / 9000: frames_per_version (DATA + VEND),\n"
            "                wire_efficiency = payload bytes / L2 frame bytes (Ethernet header,\n"
            "                no FCS), wire_efficiency_l1 adds 24 B per frame (preamble, FCS,\n"
            "                gap), encode / decode_ns_per_frame (medians over --reps), and\n"
            "                decode_apply_gbps = payload bytes per ns of receive processing.\n"
            "  bench=fanout  --nodes nodes, node 0 writes random lines of a 256 KiB area\n"
            "                (200k lines/s, internal sync 1 ms, external 10 ms) for\n"
            "                --duration-ms; per subscriber: DATA/VEND bytes received per byte\n"
            "                changed at the owner, unicast and multicast, loss 0 and 1 %%.\n"
            "\n"
            "Options:\n"
            "  -r, --reps N          repetitions of each wire case (default 5)\n"
            "  -n, --nodes N         nodes in the fanout section, 2..8 (default 4)\n"
            "  -d, --duration-ms MS  simulated time per fanout case (default 500)\n"
            "  -q, --quick           1 repetition, 100 ms fanout\n"
            "  -h, --help            this help\n");
}

int bench_cmd_ext(int argc, char **argv)
{
    static const struct option opts[] = {{"reps", required_argument, NULL, 'r'},
                                         {"nodes", required_argument, NULL, 'n'},
                                         {"duration-ms", required_argument, NULL, 'd'},
                                         {"quick", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    unsigned reps = 5, nodes = 4;
    uint64_t dur = 500;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:n:d:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': reps = (unsigned)bench_parse_u64("tasvir-bench ext", "--reps", optarg, 1, 64); break;
        case 'n': nodes = (unsigned)bench_parse_u64("tasvir-bench ext", "--nodes", optarg, 2, 8); break;
        case 'd': dur = bench_parse_u64("tasvir-bench ext", "--duration-ms", optarg, 10, 100000); break;
        case 'q': reps = 1; dur = 100; break;
        case 'h': usage(stdout); return 0;
        default: bench_bad_option("tasvir-bench ext", opts, argv, c);
        }
    }
    if (optind < argc)
        bench_usage_error("tasvir-bench ext", "unexpected argument '%s'", argv[optind]);
    bench_calibrate(50);
    struct bench_csv wcsv = {.cols = wire_cols, .ncols = sizeof(wire_cols) / sizeof(wire_cols[0]),
                             .out = stdout};
    static const uint32_t mtus[] = {1500, 9000};
    for (unsigned m = 0; m < 2; m++)
        for (int sparse = 0; sparse < 2; sparse++) {
            bench_info("ext: wire mtu %u %s", mtus[m], sparse ? "sparse" : "dense");
            if (wire_case(&wcsv, mtus[m], sparse, reps))
                return 1;
        }
    struct bench_csv fcsv = {.cols = fan_cols, .ncols = sizeof(fan_cols) / sizeof(fan_cols[0]),
                             .out = stdout};
    for (int mc = 0; mc < 2; mc++)
        for (int lossy = 0; lossy < 2; lossy++) {
            bench_info("ext: fanout %u nodes %s loss %s", nodes, mc ? "multicast" : "unicast",
                       lossy ? "1%" : "0");
            if (fanout_case(&fcsv, nodes, mc, lossy ? 0.01 : 0, dur))
                return 1;
        }
    return 0;
}

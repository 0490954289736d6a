/*
 * test_workload.c — the shared writer workload, staleness probe and join
 * (experiments/workload): two nodes on the loopback backend, a writer at a fixed rate, a
 * probe sampling; the files written and joined must be consistent: every reader version
 * complete, visibility rows for every published version with delay = visible - pub,
 * samples with exact latest version, lag and age; bursty and Poisson schedules keep the
 * configured rate; bad configurations are refused.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "workload.h"

#define US 1000ull
#define MS 1000000ull

static struct tsv_trace *g_trace[2]; /* per node (Criterion forks per test) */

static void conf(struct tasvir_node_conf *c, unsigned i)
{
    c->hb_period_us = 1000;
    if (i < 2 && g_trace[i]) {
        c->trace_fn = tsv_trace_sink;
        c->trace_arg = g_trace[i];
    }
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

Test(workload, end_to_end_files_and_join, .timeout = 60)
{
    char dir[] = "/tmp/tasvir-wl-XXXXXX";
    cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
    struct h_net h;
    g_trace[0] = tsv_trace_new(1 << 16, false); /* lock-free, fixed size (tasvir-node) */
    g_trace[1] = tsv_trace_new(16, true);       /* grows (tasvir-sim) */
    cr_assert(g_trace[0] && g_trace[1]);
    cr_assert(eq(int, h_net_create(&h, 2, 0, 7, conf), 0));
    struct tasvir_thread *t0 = h_thread(h.node[0]), *t1 = h_thread(h.node[1]);
    struct tasvir_area *a = h_area(t0, "wl", 256 * 64, 100);
    tasvir_area_set_sync(a, 0, 1000);
    char p[512];
    struct tsv_out o = {0};
    snprintf(p, sizeof(p), "%s/versions.csv", dir);
    o.versions = fopen(p, "w");
    snprintf(p, sizeof(p), "%s/visible.csv", dir);
    o.visible = fopen(p, "w");
    snprintf(p, sizeof(p), "%s/samples-raw.csv", dir);
    o.samples = fopen(p, "w");
    tsv_out_headers(&o);
    struct tsv_writer w;
    struct tsv_writer_conf wc;
    tsv_writer_conf_init(&wc);
    wc.rate_hz = 5000;
    wc.lines_per_write = 8;
    cr_assert(eq(int, tsv_writer_init(&w, a, &wc, 0, tasvir_loop_net_now(h.net)), 0));
    struct tasvir_area *r = NULL;
    struct tsv_probe pr;
    bool probing = false;
    uint64_t next_sample = 0;
    for (uint64_t step = 0; step < 100000; step++) { /* 1 s at 10 us */
        tasvir_loop_net_advance(h.net, 10 * US);
        uint64_t now = tasvir_loop_net_now(h.net);
        tasvir_node_poll(h.node[0], NULL);
        tasvir_node_poll(h.node[1], NULL);
        if (tasvir_service(t0) == 0) {
            tsv_writer_checkin(&w, &o);
            while (tsv_writer_next_ns(&w) <= now)
                tsv_writer_write(&w, now);
        }
        if (!r && tasvir_area_attach(t1, "wl", &r) == 0) {
            cr_assert(eq(int, tsv_probe_init(&pr, r, 1, 0), 0));
            probing = true;
        }
        if (tasvir_service(t1) == 0 && probing) {
            tsv_probe_checkin(&pr, now, &o);
            if (now >= next_sample) {
                tsv_probe_sample(&pr, now, &o);
                next_sample = now + 100 * US;
            }
        }
    }
    fclose(o.versions);
    fclose(o.visible);
    fclose(o.samples);
    cr_assert(probing);
    cr_log_info("writes %lu, probe checks %lu torn %lu samples %lu", w.writes, pr.checks, pr.torn,
                pr.samples);
    cr_assert(ge(u64, w.writes, 4990));
    cr_assert(le(u64, w.writes, 5001));
    cr_assert(eq(u64, pr.torn, 0));
    cr_assert(eq(u64, pr.backwards, 0));
    cr_assert(gt(u64, pr.checks, 500));
    cr_assert(eq(u64, tsv_trace_dropped(g_trace[0]), 0));
    cr_assert(eq(u64, tsv_trace_dropped(g_trace[1]), 0));
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof(p), "%s/trace-node%d.csv", dir, k);
        cr_assert(eq(int, tsv_trace_write(g_trace[k], (uint16_t)k, p), 0));
        tsv_trace_free(g_trace[k]);
        g_trace[k] = NULL;
    }
    char err[512] = "";
    cr_assert(eq(int, tsv_join(dir, err, sizeof(err)), 0), "join: %s", err);
    snprintf(p, sizeof(p), "%s/visibility.csv", dir);
    int vis = count_lines(p);
    snprintf(p, sizeof(p), "%s/versions.csv", dir);
    int vers = count_lines(p);
    cr_log_info("versions %d, visibility rows %d", vers - 1, vis - 1);
    cr_assert(ge(int, vers - 1, 4900)); /* ~one version per 100 us epoch with writes */
    cr_assert(ge(int, vis, vers - 100), "a visibility row per version after subscription");
    /* check every visibility row: delay = visible - pub, within the analytic bound */
    snprintf(p, sizeof(p), "%s/visibility.csv", dir);
    FILE *f = fopen(p, "r");
    char line[256];
    cr_assert(not(eq(ptr, fgets(line, sizeof(line), f), NULL)));
    cr_assert(eq(str, line, "area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped,"
                            "sent_ns,rx_first_ns,rx_complete_ns,epoch_start_ns\n"));
    unsigned long area, owner, ver, pub, node, visn, delay, st[4];
    int skipped, rows = 0, skips = 0, traced = 0;
    uint64_t maxd = 0;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%lu,%lu,%lu,%lu,%lu,%lu,%lu,%d", &area, &owner, &ver, &pub, &node, &visn,
                   &delay, &skipped) != 8)
            continue; /* never visible before the end */
        rows++;
        skips += skipped;
        cr_assert(eq(u64, delay, visn - pub));
        const char *c = line;
        for (int k = 0; k < 8; k++)
            c = strchr(c, ',') + 1;
        if (skipped) {
            cr_assert(eq(str, (char *)c, ",,,\n"), "a skipped version has no stages: %s", line);
            continue;
        }
        cr_assert(eq(int, sscanf(c, "%lu,%lu,%lu,%lu", &st[0], &st[1], &st[2], &st[3]), 4),
                  "stages of a received version: %s", line);
        traced++;
        cr_assert(le(u64, pub, st[0]));
        cr_assert(le(u64, st[0], st[1]));
        cr_assert(le(u64, st[1], st[2]));
        cr_assert(le(u64, st[2], st[3]));
        cr_assert(le(u64, st[3], visn));
        if (delay > maxd)
            maxd = delay;
    }
    fclose(f);
    cr_log_info("rows %d skipped %d max delay %lu us", rows, skips, maxd / 1000);
    cr_assert(gt(int, traced, 100));
    cr_assert(eq(int, traced, rows - skips));
    cr_assert(gt(int, skips, rows / 2), "ext 1 ms, int 100 us: most versions are skipped");
    /* owner int 0.1 + ext 1 + reader int 0.1 ms + a step or two */
    cr_assert(le(u64, maxd, 1300 * US));
    /* samples: exact latest, lag and age */
    snprintf(p, sizeof(p), "%s/samples.csv", dir);
    f = fopen(p, "r");
    cr_assert(not(eq(ptr, fgets(line, sizeof(line), f), NULL)));
    cr_assert(eq(str, line,
                 "time_ns,node,thread,area,owner,version,pub_ns,latest_version,latest_pub_ns,"
                 "age_ns,version_lag,w2v_ns\n"));
    int samples = 0, w2v = 0, stale = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long tt, nd, th, ar, ow, vv, pp, lv, lp, age, lag;
        int k = sscanf(line, "%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu", &tt, &nd, &th, &ar, &ow,
                       &vv, &pp, &lv, &lp, &age, &lag);
        if (k != 11)
            continue;
        samples++;
        cr_assert(eq(u64, lag, lv - vv));
        if (lag == 0)
            cr_assert(eq(u64, age, 0));
        else
            stale++;
        cr_assert(le(u64, age, 1300 * US));
        w2v += line[strlen(line) - 2] != ',';
    }
    fclose(f);
    cr_log_info("samples %d (stale %d, with w2v %d)", samples, stale, w2v);
    cr_assert(gt(int, samples, 9000));
    cr_assert(gt(int, stale, samples / 4));
    cr_assert(gt(int, w2v, 500));
    tsv_writer_fini(&w);
    h_net_destroy(&h);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

Test(workload, schedules_keep_rate)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 7, conf), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "wl", 64 * 64, 100);
    struct tsv_writer_conf c;
    struct tsv_writer w;
    for (int mode = 0; mode < 3; mode++) {
        tsv_writer_conf_init(&c);
        c.rate_hz = 10000;
        c.burst = mode == 0 ? 1 : 10;
        c.poisson = mode == 2;
        c.seed = 3;
        cr_assert(eq(int, tsv_writer_init(&w, a, &c, 0, 0), 0));
        uint64_t now = 0, n = 0;
        while (tsv_writer_next_ns(&w) < 1000 * MS) {
            now = tsv_writer_next_ns(&w);
            tsv_writer_write(&w, now);
            n++;
        }
        cr_log_info("mode %d: %lu writes in 1 s", mode, n);
        cr_assert(ge(u64, n, mode == 2 ? 9500 : 9990));
        cr_assert(le(u64, n, mode == 2 ? 10500 : 10010));
        tsv_writer_fini(&w);
    }
    c.rate_hz = 0;
    cr_assert(eq(int, tsv_writer_init(&w, a, &c, 0, 0), -EINVAL));
    tsv_writer_conf_init(&c);
    c.lines_per_write = 0;
    cr_assert(eq(int, tsv_writer_init(&w, a, &c, 0, 0), -EINVAL));
    struct tasvir_area *rd;
    cr_assert(eq(int, tasvir_area_attach(t, "wl", &rd), 0));
    tsv_writer_conf_init(&c);
    cr_assert(eq(int, tsv_writer_init(&w, rd, &c, 0, 0), -EINVAL), "reader handle cannot write");
    char err[256];
    cr_assert(eq(int, tsv_join("/nonexistent-dir", err, sizeof(err)), -1));
    cr_assert(not(eq(ptr, strstr(err, "/nonexistent-dir"), NULL)));
    h_net_destroy(&h);
}

Test(workload, trace_buffer_drops_when_full_and_grows_when_allowed)
{
    struct tasvir_trace_rec r = {.ns = 5, .version = 2, .aux = 7, .area_id = 3, .owner = 1,
                                 .peer = 0xffff, .event = TASVIR_TRACE_SENT};
    struct tsv_trace *fixed = tsv_trace_new(2, false), *grow = tsv_trace_new(1, true);
    cr_assert(fixed && grow);
    for (int k = 0; k < 5; k++) {
        tsv_trace_sink(fixed, &r);
        tsv_trace_sink(grow, &r);
    }
    cr_assert(eq(u64, tsv_trace_dropped(fixed), 3));
    cr_assert(eq(u64, tsv_trace_dropped(grow), 0));
    char dir[] = "/tmp/tasvir-tr-XXXXXX", p[256], line[128];
    cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
    snprintf(p, sizeof(p), "%s/trace-node1.csv", dir);
    cr_assert(eq(int, tsv_trace_write(fixed, 1, p), 0));
    cr_assert(eq(int, count_lines(p), 3));
    FILE *f = fopen(p, "r");
    cr_assert(fgets(line, sizeof(line), f) && fgets(line, sizeof(line), f));
    cr_assert(eq(str, line, "1,3,1,2,2,65535,5,,7\n"));
    fclose(f);
    unlink(p);
    cr_assert(eq(int, tsv_trace_write(grow, 1, p), 0));
    cr_assert(eq(int, count_lines(p), 6));
    unlink(p);
    cr_assert(eq(int, tsv_trace_write(grow, 1, "/nonexistent-dir/t.csv"), -ENOENT));
    rmdir(dir);
    tsv_trace_free(fixed);
    tsv_trace_free(grow);
}

/*
 * local.c — `tasvir-bench local`: the single-node benchmark of the original Tasvir
 * prototype, plus micro benchmarks of the internal-sync machinery.
 *
 * This file holds the options, the CSV schema, the overhead section (write throughput
 * with dirty logging and/or service on or off) and the closing summary against the
 * project's targets.  The other sections live in local_micro.c and local_threads.c.
 *
 * Overhead section.  A worker thread (pinned to the first CPU) runs a workload on one
 * area: W100 writes one 64-byte line per op (8 uint64 stores into the writer copy, then
 * tasvir_log of exactly that line when logging is on); W12R88 does one such write per 8
 * ops and 7 line reads of the reader copy.  Lines are contiguous (SEQ, wrapping) or
 * random (RND, xorshift).  Every 64 ops the worker reads the TSC; with service on it
 * calls tasvir_service() every 10 us and an engine thread (pinned to the second CPU)
 * spins on tasvir_node_poll().  Each of the four configurations (log off/on x service
 * off/on) is run --rounds times, interleaved, and the best throughput is kept.  Internal
 * sync figures come from the node counters of the best l1s1 round.  With --write-profile,
 * the l1s1 runs also bin the worker's blocks of 64 ops by the time since the area's last
 * new version, and the best round's bins follow its row (bench=write_profile).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

static const char *const prog = "tasvir-bench local";

const char *const local_section_names[SEC_COUNT] = {
    [SEC_OVERHEAD] = "overhead", [SEC_LOG_COST] = "log_cost", [SEC_SYNC_COPY] = "sync_copy",
    [SEC_IDLE_SCAN] = "idle_scan", [SEC_OVERSUB] = "oversub", [SEC_LOCKSTEP] = "lockstep",
};

const char *const local_workload_names[WL_COUNT] = {
    [WL_RND_W100] = "RND_W100",
    [WL_SEQ_W100] = "SEQ_W100",
    [WL_RND_W12R88] = "RND_W12R88",
    [WL_SEQ_W12R88] = "SEQ_W12R88",
};

const char *const local_cols[C_NCOLS] = {
    [C_BENCH] = "bench",
    [C_WORKLOAD] = "workload",
    [C_VARIANT] = "variant",
    [C_AREA_BYTES] = "area_bytes",
    [C_SYNC_INT_US] = "sync_int_us",
    [C_CHANGED_BYTES] = "changed_bytes",
    [C_THREADS] = "threads",
    [C_REPS] = "reps",
    [C_WORKER_CPU_PCT] = "worker_cpu_pct",
    [C_ENGINE_CPU_PCT] = "engine_cpu_pct",
    [C_X_L0S0] = "write_xput_l0s0_mbps",
    [C_X_L1S0] = "write_xput_l1s0_mbps",
    [C_X_L0S1] = "write_xput_l0s1_mbps",
    [C_X_L1S1] = "write_xput_l1s1_mbps",
    [C_OVH_LOG] = "overhead_log_pct",
    [C_OVH_SRV] = "overhead_srv_pct",
    [C_OVH_FULL] = "overhead_full_pct",
    [C_ISYNC_US] = "isync_us_per_call",
    [C_ISYNC_BARRIER_US] = "isync_barrier_us_per_call",
    [C_ISYNC_XPUT] = "isync_xput_mbps",
    [C_EPOCHS_OK_PER_S] = "epochs_ok_per_s",
    [C_EPOCHS_FAILED_PER_S] = "epochs_failed_per_s",
    [C_SYNCS_REQ_PER_S] = "syncs_requested_per_s",
    [C_SERVICE_PCT] = "service_time_pct",
    [C_NS_PER_CALL] = "ns_per_call",
    [C_EPOCH_US] = "epoch_us",
    [C_SYNC_GBPS] = "sync_gbps",
    [C_MEMCPY_GBPS] = "memcpy_gbps",
    [C_RATIO] = "ratio_vs_memcpy",
    [C_RATIO_PAIRED] = "ratio_vs_memcpy_paired",
    [C_LINE_MEMCPY_GBPS] = "line_memcpy_gbps",
    [C_LINE_RATIO] = "ratio_vs_line_memcpy",
    [C_LINE_STREAM_GBPS] = "line_stream_gbps",
    [C_LINE_STREAM_RATIO] = "ratio_vs_line_stream",
    [C_LINE_STREAM_RATIO_PAIRED] = "ratio_vs_line_stream_paired",
    [C_IDLE_BEYOND_US] = "idle_beyond_barrier_us",
    [C_SCAN_GBPS] = "scan_gbps",
    [C_EPOCHS_OK] = "epochs_ok",
    [C_EPOCHS_FAILED] = "epochs_failed",
    [C_SUCCESS_PCT] = "success_pct",
    [C_THREADS_EXCLUDED] = "threads_excluded",
    [C_STEPS] = "steps",
    [C_US_PER_STEP] = "us_per_step",
    [C_COMPLETED] = "completed",
    [C_LINE_STORE_GBPS] = "line_store_gbps",
    [C_LINE_STORE_RATIO_PAIRED] = "ratio_vs_line_store_paired",
    [C_MEMCPY_SPLIT_GBPS] = "memcpy_split_gbps",
    [C_MEMCPY_SPLIT_RATIO_PAIRED] = "ratio_vs_memcpy_split_paired",
    [C_SINCE_PUBLISH_US] = "since_publish_us",
    [C_NS_PER_OP] = "ns_per_op",
    [C_OPS] = "ops",
    [C_STEAL_MS] = "steal_ms",
    [C_STEAL_PCT] = "steal_pct",
    [C_OTHER_CPU_MS] = "other_cpu_ms",
    [C_OTHER_CPU_PCT] = "other_cpu_pct",
};

static void usage(FILE *f)
{
    fprintf(f,
"Usage: tasvir-bench local [OPTIONS]\n"
"\n"
"Single-node benchmark of the Tasvir runtime on the loopback backend (CLOCK_MONOTONIC),\n"
"reproducing the original prototype's local benchmark, plus micro benchmarks of the\n"
"internal-sync machinery.  Threads are pinned to the first two allowed CPUs (worker on\n"
"the first, sync engine on the second) unless --no-pin.\n"
"\n"
"Options:\n"
"  -r, --rounds N         rounds (default 3; quick 1): overhead keeps the best round of\n"
"                         each configuration, log_cost/sync_copy/idle_scan the best\n"
"                         per-round median of each case\n"
"  -d, --duration-ms N    duration of one overhead measurement in ms (default 300;\n"
"                         quick 40); oversub runs 3x this long (at least 300 ms)\n"
"  -q, --quick            short run for CI smoke tests (about 10 s)\n"
"  -o, --only LIST        comma-separated sections and/or workloads to run:\n"
"                         sections  overhead, log_cost, sync_copy, idle_scan, oversub,\n"
"                                   lockstep\n"
"                         workloads RND_W100, SEQ_W100, RND_W12R88, SEQ_W12R88\n"
"                         (naming only workloads runs just the overhead section)\n"
"  -s, --sizes LIST       area sizes for overhead and idle_scan (default 1M,32M;\n"
"                         powers of two, 4K..1G)\n"
"      --copy-sizes LIST  bytes changed per epoch in sync_copy (default 64K,1M,16M;\n"
"                         powers of two, 4K..64M; the areas are 2x these, 8x for rnd)\n"
"  -i, --sync-int-us LIST internal sync intervals for overhead (default 1000,10000)\n"
"  -c, --configs LIST     overhead configurations to run (default l0s0,l1s0,l0s1,l1s1;\n"
"                         cells of the others stay empty; for profiling one of them)\n"
"      --loop NAME        overhead loop (default lean): lean = one op at a time, lines\n"
"                         drawn with a mask (power-of-two areas); prototype = the original\n"
"                         prototype's structure (batches of 8 ops: 8 random numbers reduced\n"
"                         modulo the line count, the 8 lines prefetched in areas > 512 KiB,\n"
"                         the batch's lines logged, then its ops), for a like-for-like\n"
"                         comparison with the prototype's figures\n"
"      --write-profile    overhead: also emit, per row, where the l1s1 run's time goes\n"
"                         between epochs (bench=write_profile rows, see below)\n"
"      --lockstep-steps N steps per lockstep run (default 2000; quick 200)\n"
"      --time-budget-s N  finish within about N seconds (default 200; 0 = no limit): when\n"
"                         other processes slow the run down, the overhead section runs\n"
"                         fewer rounds for its remaining rows (the reps column says\n"
"                         how many) and says so on stderr\n"
"      --seed N           seed of the line generators (default 1)\n"
"      --no-pin           do not pin threads\n"
"      --max-areas N      node max_areas (default: the core's default); the engine's\n"
"                         idle poll may cost time in proportion to it\n"
"      --copy-isa NAME    the internal sync's line copies: auto (default: the best the\n"
"                         CPU has), baseline (16-byte SSE2 moves), avx512 (64-byte\n"
"                         AVX-512F moves), avx512-vbmi2 (and lines listed with VBMI2);\n"
"                         an error where the CPU lacks them; the one in use is printed\n"
"                         on stderr\n"
"      --clock NAME       the clock the core reads: tsc (the TSC, as the DPDK backend's\n"
"                         default clock), monotonic (CLOCK_MONOTONIC, which on a VM\n"
"                         costs more and orders the CPU's earlier loads), auto (default:\n"
"                         tsc where the CPU has an invariant TSC); printed on stderr\n"
"      --wall-clock       overhead rates per wall-clock second (default: per second of\n"
"                         CPU time the worker got, robust to other processes)\n"
"  -v, --verbose          print the core's warnings (exclusions, ...) to stderr\n"
"  -h, --help             show this help\n"
"\n"
"Output: CSV on stdout, one header line, one row per measurement; the first column\n"
"`bench` names the section and cells that do not apply to a row are empty.  Progress\n"
"and a summary against the project's targets go to stderr.\n"
"\n"
"  Common columns: bench, workload (overhead only), variant, area_bytes, sync_int_us,\n"
"  changed_bytes (dirty bytes per epoch or per log call), threads (workers), reps\n"
"  (rounds for overhead, repetitions per round for log_cost/sync_copy/idle driven,\n"
"  epochs for idle threaded).  The last two columns of every row are the run's\n"
"  settings: clock (tsc or monotonic, --clock) and copy_isa (the line copies, named\n"
"  as --copy-isa names them).\n"
"\n"
"  bench=overhead   one row per (workload, area_bytes, sync_int_us); variant = the loop\n"
"      (--loop: lean or prototype).  Workloads:\n"
"      W100 = every op writes one 64-byte line (8 stores + tasvir_log of that line when\n"
"      logging is on); W12R88 = 1 write per 8 ops, 7 line reads of the reader copy;\n"
"      SEQ = contiguous lines (wrapping), RND = random lines.  The worker calls\n"
"      tasvir_service() every 10 us when service is on; an engine thread spins on\n"
"      tasvir_node_poll().  Configurations lXsY: logging X, service Y (0 off, 1 on).\n"
"      write_xput_lXsY_mbps  MB/s (1e6 B/s) of 64-byte line writes, best of rounds\n"
"                            (rounds where worker and engine kept >= 90%% of a CPU\n"
"                            win over disturbed ones); per second of worker CPU time\n"
"                            unless --wall-clock\n"
"      worker_cpu_pct        least share of wall time the worker got (100 = alone)\n"
"      engine_cpu_pct        share of wall time the engine got in the l1s1 run\n"
"      overhead_log_pct      (l0s0/l1s0 - 1) * 100\n"
"      overhead_srv_pct      (l0s0/l0s1 - 1) * 100\n"
"      overhead_full_pct     (l0s0/l1s1 - 1) * 100\n"
"      isync_us_per_call     mean epoch duration (start to published), l1s1 run\n"
"      isync_barrier_us_per_call  mean epoch start to all-checked-in, l1s1 run\n"
"      isync_xput_mbps       bytes copied / total epoch time, l1s1 run\n"
"      epochs_ok_per_s, epochs_failed_per_s  l1s1 run; syncs_requested_per_s = 1e6/int\n"
"      service_time_pct      share of the l1s1 worker's time spent inside tasvir_service\n"
"                            (check-ins, waiting for and helping with epochs)\n"
"  bench=log_cost   ns_per_call of tasvir_log (median over reps batches of 1024 calls, 256\n"
"      for ranges; best round);\n"
"      variant line_set / line_clear: one line, random lines of a 1 MiB area, dirty byte\n"
"      already set / clear; line_half: the bytes of a random half of the lines set (the\n"
"      log refilling after an epoch: the byte test cannot be predicted);\n"
"      range4k_set / range4k_clear: a 4 KiB range; cursor_line_set / _clear / _half:\n"
"      one line through a log cursor (tasvir_log_cur).\n"
"  bench=sync_copy  threads=1: epochs driven single-threaded (log, tasvir_node_sync_now,\n"
"      tasvir_node_poll, tasvir_service) with changed_bytes dirty per epoch; threads=2:\n"
"      the same epochs with an engine thread on the other CPU polling and copying chunks\n"
"      alongside the bench thread (the cooperative copy: areas are cut into 4 MiB chunks,\n"
"      and the engine leaves an area of one chunk to its owner for 2 us, so only areas\n"
"      of more chunks have two copiers at work: rnd from 1 MiB changed, dense and alt\n"
"      from 4 MiB; of the default sizes, rnd 1 MiB and the 16 MiB cases); epoch_us from\n"
"      the core's counters (start to published minus start to all checked in); no\n"
"      target (the targets compare one copier with one memcpy thread).  variant\n"
"      dense (contiguous lines), alt (every other line), rnd (random single lines over an\n"
"      area 8x larger).  epoch_us = median time of the copying check-in (arrival to\n"
"      published: scan, copy, publish; reps per round, best round); isync_us_per_call =\n"
"      median epoch as the core counts it (start to published, including the engine's\n"
"      poll work before the check-in); sync_gbps = changed_bytes / epoch_us;\n"
"      memcpy_gbps = plain memcpy of changed_bytes in the same loop (best round);\n"
"      ratio_vs_memcpy = sync_gbps / memcpy_gbps (best rounds, which may be two\n"
"      different ones); ratio_vs_memcpy_paired = median over every rep of every round\n"
"      of memcpy time / epoch time of that rep (the figure the target takes: the two\n"
"      are timed back to back).  alt and rnd also time the ideal\n"
"      copier, which knows the changed lines: line_memcpy_gbps = one 64-byte memcpy per\n"
"      changed line, in address order, between two buffers of the area's size whose lines\n"
"      were written just before (as the area's are); ratio_vs_line_memcpy = sync_gbps /\n"
"      line_memcpy_gbps, the sync's own overhead over touching the same scattered lines.\n"
"      line_stream_gbps = the same lines copied with non-temporal stores, each line\n"
"      prefetched 64 lines ahead (one 64-byte move per line when the node copies with\n"
"      AVX-512, else four 16-byte SSE2 ones): near the most a line copier gets from the\n"
"      memory here in address order (the sync copies strided lines in interleaved\n"
"      streams, and beats it there); ratio_vs_line_stream = sync_gbps / line_stream_gbps;\n"
"      ratio_vs_line_stream_paired = median per rep as ratio_vs_memcpy_paired.\n"
"      line_store_gbps = the same lines only stored, a register's bytes, nothing read\n"
"      in address order (per rep the faster of non-temporal and plain stores): a bound\n"
"      on a copier storing them in that order, since a copy reads them as well;\n"
"      ratio_vs_line_store_paired = median per rep of stores time / epoch time.\n"
"      threads=2 also split the memcpy over the same two threads: memcpy_split_gbps =\n"
"      changed_bytes / time of the bench thread copying the first half while the engine\n"
"      thread copies the second (from the post to the engine until both are done, best\n"
"      round; empty when the two share one CPU); ratio_vs_memcpy_split_paired = median\n"
"      per rep of that time / epoch time: two copiers against two memcpy threads.\n"
"      These four columns (line_store_*, then memcpy_split_*) come after all the\n"
"      others but write_profile's.\n"
"  bench=idle_scan  epochs with nothing changed.  variant driven (single-threaded,\n"
"      medians) or threaded (engine thread + a worker servicing, 1 ms interval; means);\n"
"      the round with the least time beyond the barrier.\n"
"      isync_us_per_call, isync_barrier_us_per_call, idle_beyond_barrier_us = epoch -\n"
"      barrier, scan_gbps = bytes the epoch scanned (this area and the node's system\n"
"      areas) / (epoch - barrier), epoch_us = whole driven cycle\n"
"      (request, engine poll, check-in, engine poll).\n"
"  bench=oversub    3 workers + the engine on 2 CPUs (variant unpinned, or pinned 2+2),\n"
"      each writing random lines of its own area and calling tasvir_service_wait() every\n"
"      10 us: epochs_ok, epochs_failed, success_pct = ok/(ok+failed), epochs_ok_per_s,\n"
"      threads_excluded; write_xput_l1s1_mbps = aggregate write rate of the workers.\n"
"  bench=lockstep   3 workers, one 64-byte counter area each; a step = increment own\n"
"      counter, log, then tasvir_service() + sleep until a kick, until every other counter (read\n"
"      through attached handles) reaches it.  variant sync_now (each step requests a sync)\n"
"      or interval (waits for the 1 ms interval).  steps (completed by every worker),\n"
"      us_per_step, completed = 1 if all steps finished before the timeout.\n"
"  bench=host_probe  the host's speed at the run's start and end, on the worker's CPU and\n"
"      the engine's (variant start_worker, start_engine, end_worker, end_engine; one CPU\n"
"      with --no-pin): ns_per_op = the best of 5 passes of a fixed integer loop of ops\n"
"      iterations over 16 KiB.  A build on a host gives the same figure unless the host\n"
"      slows that CPU, and then the run's other figures are slower too; the summary says\n"
"      when the probes differ by more than a quarter.\n"
"  bench=host_tlb  at the start, a pointer chase through one line of each 4 KiB page of\n"
"      regions of 4, 8 and 16 MiB (area_bytes; ops = pages) of the memory the areas get,\n"
"      pinned to the worker's CPU: ns_per_op = ns per hop, best of 5 passes.  The lines fit\n"
"      the L2, so the hops slow down with the region only when the TLB cannot hold its\n"
"      pages (2 MiB pages seen as 4 KiB ones, as on a VM whose host maps its memory in\n"
"      small pages); the summary says so from 1.5x between 16 and 4 MiB.\n"
"  bench=host_steal  the time the host took from this machine's CPUs (a VM's steal, from\n"
"      /proc/stat; no rows where the kernel does not count it): one row per section run\n"
"      (variant = the section) and one for the whole run (variant run); steal_ms summed\n"
"      over the CPUs (in the kernel's 10 ms ticks), steal_pct = its share of all the\n"
"      CPUs' time over the section.  The summary flags a run with 1 %% or more.\n"
"  bench=other_cpu  the CPU time other processes of this machine (kernel threads and\n"
"      interrupts among them) used while the run ran: as host_steal, a row per section\n"
"      run and one for the run; other_cpu_ms = the CPUs' time less their idle time and\n"
"      steal (/proc/stat, 10 ms ticks) and this process's own CPU time, summed over the\n"
"      CPUs, other_cpu_pct = its share of all the CPUs' time.  The summary flags a run\n"
"      with 5 %% or more.\n"
"  bench=write_profile  (--write-profile) where the worker's time goes between epochs:\n"
"      after each overhead row, one row per bin of its best l1s1 run (workload, variant,\n"
"      area_bytes, sync_int_us, reps as that row).  The worker's blocks of 64 ops are\n"
"      binned by when they started, counted from the last tasvir_service() call that\n"
"      returned with a new version of the area (the end of the epoch that published\n"
"      it); bins of sync_int_us/20, the last one everything from one interval on.\n"
"      since_publish_us = the bin's start, ns_per_op = time in those blocks / their ops\n"
"      (service calls excluded), ops = ops in the bin.  A cost that rises with the time\n"
"      since the epoch is the dirty log refilling (the branch on its byte mispredicts\n"
"      most near half full); one that stays flat is the same for every write.  These\n"
"      three columns come after all the others but the run's settings.\n"
"\n"
"Exit status: 0 ok (targets missed are reported, not failures), 1 a section failed\n"
"(setup error, wrong byte count, lockstep timeout), 2 usage error.\n");
}

unsigned local_reps(const struct local_ctx *c, unsigned full, unsigned min)
{
    double r = full * c->o.reps_scale;
    return r < min ? min : (unsigned)r;
}

void local_target(struct local_ctx *c, double value, const char *unit, int cmp, double limit,
                  const char *fmt, ...)
{
    c->last_target = NULL;
    if (isnan(value) || c->ntargets == LOCAL_MAX_TARGETS)
        return;
    struct local_target *t = &c->targets[c->ntargets++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->what, sizeof(t->what), fmt, ap);
    va_end(ap);
    t->value = value;
    snprintf(t->unit, sizeof(t->unit), "%s", unit);
    t->cmp = cmp;
    t->limit = limit;
    t->note[0] = '\0';
    c->last_target = t;
}

void local_target_note(struct local_ctx *c, const char *fmt, ...)
{
    if (!c->last_target)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_target->note, sizeof(c->last_target->note), fmt, ap);
    va_end(ap);
}

void local_row(struct bench_row *r, enum local_section s)
{
    bench_row_clear(r);
    bench_row_str(r, C_BENCH, local_section_names[s]);
}

/* ---- option parsing ------------------------------------------------------------------ */

/* A comma-separated list: sizes (powers of two in [4K, max]) when max is not 0, else
 * integers in [10, 10^7]. */
static unsigned parse_list(const char *opt, const char *arg, uint64_t *out, uint64_t max)
{
    char buf[256];
    if (strlen(arg) >= sizeof(buf))
        bench_usage_error(prog, "%s: list too long", opt);
    strcpy(buf, arg);
    unsigned n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == LOCAL_MAX_LIST)
            bench_usage_error(prog, "%s: at most %d values", opt, LOCAL_MAX_LIST);
        if (max) {
            uint64_t v = bench_parse_size(prog, opt, tok, 4096, max);
            if (v & (v - 1))
                bench_usage_error(prog, "%s: size '%s' is not a power of two", opt, tok);
            out[n++] = v;
        } else {
            out[n++] = bench_parse_u64(prog, opt, tok, 10, 10000000);
        }
    }
    if (n == 0)
        bench_usage_error(prog, "%s: empty list", opt);
    return n;
}

static void parse_only(const char *arg, unsigned *sections, unsigned *workloads)
{
    char buf[256];
    if (strlen(arg) >= sizeof(buf))
        bench_usage_error(prog, "--only: list too long");
    strcpy(buf, arg);
    unsigned sec = 0, wl = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (unsigned i = 0; i < SEC_COUNT && !found; i++)
            if (!strcmp(tok, local_section_names[i]))
                sec |= 1u << i, found = true;
        for (unsigned i = 0; i < WL_COUNT && !found; i++)
            if (!strcmp(tok, local_workload_names[i]))
                wl |= 1u << i, found = true;
        if (!found)
            bench_usage_error(prog,
                              "--only: unknown section or workload '%s' (sections: overhead, "
                              "log_cost, sync_copy, idle_scan, oversub, lockstep; workloads: "
                              "RND_W100, SEQ_W100, RND_W12R88, SEQ_W12R88)",
                              tok);
    }
    if (!sec && !wl)
        bench_usage_error(prog, "--only: empty list");
    if (wl)
        sec |= 1u << SEC_OVERHEAD;
    *sections = sec;
    *workloads = wl ? wl : (1u << WL_COUNT) - 1;
}

enum {
    OPT_SEED = 256,
    OPT_NO_PIN,
    OPT_LOCKSTEP_STEPS,
    OPT_WALL_CLOCK,
    OPT_MAX_AREAS,
    OPT_COPY_ISA,
    OPT_CLOCK,
    OPT_TIME_BUDGET,
    OPT_LOOP,
    OPT_COPY_SIZES,
    OPT_WRITE_PROFILE
};

enum { CFG_L0S0, CFG_L1S0, CFG_L0S1, CFG_L1S1, CFG_COUNT };
static const char *const cfg_names[CFG_COUNT] = {"l0s0", "l1s0", "l0s1", "l1s1"};

static unsigned parse_configs(const char *arg)
{
    char buf[128];
    if (strlen(arg) >= sizeof(buf))
        bench_usage_error(prog, "--configs: list too long");
    strcpy(buf, arg);
    unsigned m = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned i = 0;
        while (i < CFG_COUNT && strcmp(tok, cfg_names[i]))
            i++;
        if (i == CFG_COUNT)
            bench_usage_error(prog, "--configs: unknown configuration '%s' (l0s0, l1s0, l0s1, l1s1)",
                              tok);
        m |= 1u << i;
    }
    if (!m)
        bench_usage_error(prog, "--configs: empty list");
    return m;
}

/* --clock's names, indexed by TASVIR_LOOP_CLOCK_* (0, the manual clock, stands for auto) */
static const char *const clock_names[] = {
    [0] = "auto",
    [TASVIR_LOOP_CLOCK_MONOTONIC] = "monotonic",
    [TASVIR_LOOP_CLOCK_TSC] = "tsc",
};

/* The index of arg among the n names an option takes, or a usage error that lists them. */
static int parse_choice(const char *prog, const char *opt, const char *arg,
                        const char *const *names, int n)
{
    char list[128] = "";
    for (int i = 0; i < n; i++) {
        if (!strcmp(arg, names[i]))
            return i;
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", names[i]);
    }
    bench_usage_error(prog, "%s: unknown '%s' (%s)", opt, arg, list);
}

static void parse_opts(struct local_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rounds", required_argument, NULL, 'r'},
        {"duration-ms", required_argument, NULL, 'd'},
        {"quick", no_argument, NULL, 'q'},
        {"only", required_argument, NULL, 'o'},
        {"sizes", required_argument, NULL, 's'},
        {"copy-sizes", required_argument, NULL, OPT_COPY_SIZES},
        {"sync-int-us", required_argument, NULL, 'i'},
        {"configs", required_argument, NULL, 'c'},
        {"lockstep-steps", required_argument, NULL, OPT_LOCKSTEP_STEPS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"no-pin", no_argument, NULL, OPT_NO_PIN},
        {"wall-clock", no_argument, NULL, OPT_WALL_CLOCK},
        {"max-areas", required_argument, NULL, OPT_MAX_AREAS},
        {"copy-isa", required_argument, NULL, OPT_COPY_ISA},
        {"clock", required_argument, NULL, OPT_CLOCK},
        {"time-budget-s", required_argument, NULL, OPT_TIME_BUDGET},
        {"loop", required_argument, NULL, OPT_LOOP},
        {"write-profile", no_argument, NULL, OPT_WRITE_PROFILE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long rounds = -1, duration = -1, steps = -1;
    memset(o, 0, sizeof(*o));
    o->pin = true;
    o->seed = 1;
    o->sizes[0] = 1ull << 20;
    o->sizes[1] = 32ull << 20;
    o->nsizes = 2;
    o->copy_sizes[0] = 64ull << 10;
    o->copy_sizes[1] = 1ull << 20;
    o->copy_sizes[2] = 16ull << 20;
    o->ncopy_sizes = 3;
    o->ints[0] = 1000;
    o->ints[1] = 10000;
    o->nints = 2;
    o->sections = (1u << SEC_COUNT) - 1;
    o->workloads = (1u << WL_COUNT) - 1;
    o->configs = (1u << CFG_COUNT) - 1;
    o->time_budget_s = 200;

    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":r:d:qo:s:i:c:vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            rounds = (long)bench_parse_u64(prog, "--rounds", optarg, 1, 1000);
            break;
        case 'd':
            duration = (long)bench_parse_u64(prog, "--duration-ms", optarg, 5, 600000);
            break;
        case 'q':
            o->quick = true;
            break;
        case 'o':
            parse_only(optarg, &o->sections, &o->workloads);
            break;
        case 's':
            o->nsizes = parse_list("--sizes", optarg, o->sizes, 1ull << 30);
            break;
        case OPT_COPY_SIZES:
            o->ncopy_sizes =
                parse_list("--copy-sizes", optarg, o->copy_sizes, LOCAL_COPY_MAX_BYTES);
            break;
        case 'i':
            o->nints = parse_list("--sync-int-us", optarg, o->ints, 0);
            break;
        case 'c':
            o->configs = parse_configs(optarg);
            break;
        case OPT_LOCKSTEP_STEPS:
            steps = (long)bench_parse_u64(prog, "--lockstep-steps", optarg, 1, 10000000);
            break;
        case OPT_SEED:
            o->seed = bench_parse_u64(prog, "--seed", optarg, 1, UINT64_MAX);
            break;
        case OPT_NO_PIN:
            o->pin = false;
            break;
        case OPT_WALL_CLOCK:
            o->wall_clock = true;
            break;
        case OPT_WRITE_PROFILE:
            o->write_profile = true;
            break;
        case OPT_TIME_BUDGET:
            o->time_budget_s = bench_parse_u64(prog, "--time-budget-s", optarg, 0, 86400);
            break;
        case OPT_LOOP: {
            static const char *const loops[] = {"lean", "prototype"};
            o->proto_loop = parse_choice(prog, "--loop", optarg, loops, 2) == 1;
            break;
        }
        case OPT_MAX_AREAS:
            o->max_areas = (uint32_t)bench_parse_u64(prog, "--max-areas", optarg, 8, 1u << 20);
            break;
        case OPT_COPY_ISA:
            if ((o->copy_isa = tasvir_copy_isa_from_name(optarg)) < 0)
                bench_usage_error(prog, "--copy-isa: unknown '%s' (auto, baseline, avx512, "
                                  "avx512-vbmi2)",
                                  optarg);
            break;
        case OPT_CLOCK:
            /* auto is 0; the others are the loopback backend's TASVIR_LOOP_CLOCK_* values */
            o->clock = parse_choice(prog, "--clock", optarg, clock_names, 3);
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            bench_bad_option(prog, longopts, argv, ch);
        }
    }
    if (optind < argc)
        bench_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    if (o->write_profile && !(o->sections & (1u << SEC_OVERHEAD)))
        bench_usage_error(prog, "--write-profile: the overhead section does not run (--only)");
    if (o->write_profile && !(o->configs & (1u << CFG_L1S1)))
        bench_usage_error(prog, "--write-profile profiles the l1s1 runs, which --configs leaves "
                                "out");
    o->rounds = rounds > 0 ? (unsigned)rounds : o->quick ? 1 : 3;
    o->duration_ms = duration > 0 ? (uint64_t)duration : o->quick ? 40 : 300;
    o->lockstep_steps = steps > 0 ? (unsigned)steps : o->quick ? 200 : 2000;
    o->lockstep_timeout_ms = o->quick ? 15000 : 30000;
    o->reps_scale = o->quick ? 0.2 : 1.0;
}

/* ---- overhead section ---------------------------------------------------------------- */

/* --write-profile: OVH_PROF_BINS - 1 bins over one sync interval, one for later */
#define OVH_PROF_BINS 21u

struct ovh_ctx {
    struct tasvir_thread *t;
    struct tasvir_area *a;
    uint64_t *w;       /* writer copy, as words */
    const uint64_t *r; /* reader copy */
    uint64_t mask;     /* lines - 1 */
    uint64_t idx, rng, sink;
    uint64_t srv_ticks;
    uint64_t in_service; /* ticks spent inside tasvir_service calls */
    /* --write-profile: ticks and blocks of 64 ops by time since the area's last publish */
    uint64_t prof_bin_ticks; /* 0: not profiling */
    uint64_t prof_prev;      /* when the current block started */
    uint64_t prof_pub;       /* when a service call returned with a new version; 0: none yet */
    uint64_t prof_ver;
    uint64_t prof_ticks[OVH_PROF_BINS], prof_blocks[OVH_PROF_BINS];
};

/* One 64-byte line write (8 stores of v) and one line read, shared by both loops. */
static inline __attribute__((always_inline)) void ovh_write_line(uint64_t *p, uint64_t v)
{
    p[0] = v;
    p[1] = v;
    p[2] = v;
    p[3] = v;
    p[4] = v;
    p[5] = v;
    p[6] = v;
    p[7] = v;
}

static inline __attribute__((always_inline)) uint64_t ovh_read_line(const uint64_t *q)
{
    return q[0] ^ q[1] ^ q[2] ^ q[3] ^ q[4] ^ q[5] ^ q[6] ^ q[7];
}

/* After each block of 64 ops: service when due (with service on).  Returns true when the
 * run is over. */
static inline __attribute__((always_inline)) bool
ovh_block_end(struct ovh_ctx *c, uint64_t *next_srv, uint64_t end, const bool srv)
{
    uint64_t now = bench_ticks();
    if (c->prof_bin_ticks) {
        if (c->prof_pub) {
            uint64_t b = (c->prof_prev - c->prof_pub) / c->prof_bin_ticks;
            b = b < OVH_PROF_BINS - 1 ? b : OVH_PROF_BINS - 1;
            c->prof_ticks[b] += now - c->prof_prev;
            c->prof_blocks[b]++;
        }
        c->prof_prev = now;
    }
    if (srv && now >= *next_srv) {
        while (tasvir_service(c->t) == -EAGAIN)
            bench_cpu_relax();
        uint64_t after = bench_ticks();
        if (c->prof_bin_ticks) {
            /* the time in service is not an op's; a new version: an epoch published it */
            c->prof_prev = after;
            uint64_t v = tasvir_area_version(c->a);
            if (v != c->prof_ver) {
                c->prof_ver = v;
                c->prof_pub = after;
            }
        }
        c->in_service += after - now;
        *next_srv = after + c->srv_ticks;
    }
    return now >= end;
}

/* The measured loop, specialised at compile time on its four flags so that every
 * configuration runs the same code except for what it measures. */
static inline __attribute__((always_inline)) uint64_t
ovh_kernel(struct ovh_ctx *c, uint64_t end, const bool rnd, const bool mixed, const bool log,
           const bool srv)
{
    uint64_t *const w = c->w;
    const uint64_t *const r = c->r;
    const uint64_t mask = c->mask;
    struct tasvir_area *const a = c->a;
    uint64_t idx = c->idx, rng = c->rng, acc = 0, ops = 0;
    uint64_t next_srv = bench_ticks() + c->srv_ticks;
    do {
        for (unsigned i = 0; i < 64; i++) {
            idx = rnd ? (bench_rand(&rng) & mask) : ((idx + 1) & mask);
            if (!mixed || (i & 7) == 0) {
                uint64_t *p = w + idx * 8;
                ovh_write_line(p, ops + i);
                if (log)
                    (void)tasvir_log(a, p, TASVIR_LINE_BYTES);
            } else {
                acc += ovh_read_line(r + idx * 8);
            }
        }
        ops += 64;
    } while (!ovh_block_end(c, &next_srv, end, srv));
    c->idx = idx;
    c->rng = rng;
    c->sink += acc;
    return ops;
}

/* The original prototype's loop structure: ops in batches of 8; a batch draws 8 random
 * 64-bit numbers and reduces each modulo the number of lines (a division, as the
 * prototype's `%` by its run-time line count), prefetches the 8 lines in areas larger than
 * 512 KiB, logs the batch's written lines, then performs its ops (W100: 8 line writes;
 * W12R88: 1 write, 7 reads).  SEQ batches take 8 consecutive lines.  Unlike the prototype,
 * which stores one constant vector everywhere, every write stores a new value (kept dirty
 * words compare bytes, so constant values would cost the sync nothing). */
static inline __attribute__((always_inline)) uint64_t
ovh_kernel_proto(struct ovh_ctx *c, uint64_t end, const bool rnd, const bool mixed,
                 const bool log, const bool srv)
{
    uint64_t *const w = c->w;
    const uint64_t *const r = c->r;
    const uint64_t lines = c->mask + 1;
    const bool prefetch = lines * TASVIR_LINE_BYTES > (512u << 10);
    struct tasvir_area *const a = c->a;
    uint64_t idx = c->idx, rng = c->rng, acc = 0, ops = 0;
    uint64_t next_srv = bench_ticks() + c->srv_ticks;
    do {
        for (unsigned b = 0; b < 64; b += 8) {
            uint64_t off[8];
            for (unsigned k = 0; k < 8; k++)
                off[k] = rnd ? bench_rand(&rng) % lines : (idx + k) % lines;
            idx = (idx + 8) % lines;
            if (prefetch)
                for (unsigned k = 0; k < 8; k++)
                    __builtin_prefetch(w + off[k] * 8, 1, 3);
            const unsigned nw = mixed ? 1 : 8;
            if (log)
                for (unsigned k = 0; k < nw; k++)
                    (void)tasvir_log(a, w + off[k] * 8, TASVIR_LINE_BYTES);
            for (unsigned k = 0; k < 8; k++) {
                if (k < nw)
                    ovh_write_line(w + off[k] * 8, ops + b + k);
                else
                    acc += ovh_read_line(r + off[k] * 8);
            }
        }
        ops += 64;
    } while (!ovh_block_end(c, &next_srv, end, srv));
    c->idx = idx;
    c->rng = rng;
    c->sink += acc;
    return ops;
}

typedef uint64_t (*ovh_fn)(struct ovh_ctx *c, uint64_t end);
/* Each loop compiled once per combination of its flags (rnd, mixed, log, srv). */
#define OVH_FN(K, R, M, L, S)                                                              \
    static uint64_t K##_##R##M##L##S(struct ovh_ctx *c, uint64_t end)                      \
    {                                                                                      \
        return K(c, end, R, M, L, S);                                                      \
    }
#define OVH_FN4(K, R, M) OVH_FN(K, R, M, 0, 0) OVH_FN(K, R, M, 0, 1) OVH_FN(K, R, M, 1, 0) \
    OVH_FN(K, R, M, 1, 1)
#define OVH_FN16(K) OVH_FN4(K, 0, 0) OVH_FN4(K, 0, 1) OVH_FN4(K, 1, 0) OVH_FN4(K, 1, 1)
#define OVH_TABLE(K)                                                                       \
    {                                                                                      \
        K##_0000, K##_0001, K##_0010, K##_0011, K##_0100, K##_0101, K##_0110, K##_0111,    \
            K##_1000, K##_1001, K##_1010, K##_1011, K##_1100, K##_1101, K##_1110, K##_1111 \
    }
OVH_FN16(ovh_kernel)
OVH_FN16(ovh_kernel_proto)
/* Indexed by rnd*8 + mixed*4 + log*2 + srv. */
static const ovh_fn ovh_fns[16] = OVH_TABLE(ovh_kernel);
static const ovh_fn ovhp_fns[16] = OVH_TABLE(ovh_kernel_proto);

struct ovh_job {
    /* in */
    struct tasvir_node *node;
    enum local_workload wl;
    uint64_t area_bytes, sync_int_us, dur_ms, seed;
    bool log, srv, proto_loop, profile;
    int cpu;
    pthread_t engine; /* valid if srv */
    /* out */
    int rc;
    uint64_t writes;
    uint64_t elapsed_ns; /* wall clock */
    uint64_t cpu_ns;     /* CPU time of the worker over the same window */
    uint64_t engine_cpu_ns;
    uint64_t service_ns; /* worker time inside tasvir_service */
    double prof_ns[OVH_PROF_BINS]; /* profile: ns in blocks started in each bin */
    uint64_t prof_ops[OVH_PROF_BINS];
    struct tasvir_stats st; /* counters over the measured window */
};

static void stats_delta(struct tasvir_stats *d, const struct tasvir_stats *a,
                        const struct tasvir_stats *b)
{
    d->epochs_ok = b->epochs_ok - a->epochs_ok;
    d->epochs_failed = b->epochs_failed - a->epochs_failed;
    d->epoch_ns = b->epoch_ns - a->epoch_ns;
    d->barrier_ns = b->barrier_ns - a->barrier_ns;
    d->bytes_scanned = b->bytes_scanned - a->bytes_scanned;
    d->bytes_changed = b->bytes_changed - a->bytes_changed;
    d->bytes_copied = b->bytes_copied - a->bytes_copied;
    d->versions_published = b->versions_published - a->versions_published;
    d->threads_excluded = b->threads_excluded - a->threads_excluded;
    d->threads_readmitted = b->threads_readmitted - a->threads_readmitted;
    d->threads_excluded_now = b->threads_excluded_now;
    d->log_misuse = b->log_misuse - a->log_misuse;
}

static void *ovh_worker(void *arg)
{
    struct ovh_job *j = arg;
    bench_pin_self(j->cpu);
    j->rc = -1;
    struct tasvir_thread *t = bench_thread(j->node);
    if (!t)
        return NULL;
    struct tasvir_area *a = bench_area(t, "ovh", j->area_bytes, j->sync_int_us);
    if (!a)
        return NULL;
    struct ovh_ctx c = {
        .t = t,
        .a = a,
        .w = tasvir_area_writer(a),
        .r = tasvir_area_reader(a),
        .mask = j->area_bytes / TASVIR_LINE_BYTES - 1,
        .rng = j->seed | 1,
        .srv_ticks = bench_ns_to_ticks(10000),
    };
    bool rnd = j->wl == WL_RND_W100 || j->wl == WL_RND_W12R88;
    bool mixed = j->wl == WL_RND_W12R88 || j->wl == WL_SEQ_W12R88;
    ovh_fn fn = (j->proto_loop ? ovhp_fns : ovh_fns)[rnd * 8 + mixed * 4 + j->log * 2 + j->srv];

    /* Warm up (caches, TLB, first epochs), then measure. */
    uint64_t warm_ms = j->dur_ms / 10 < 5 ? 5 : j->dur_ms / 10 > 30 ? 30 : j->dur_ms / 10;
    fn(&c, bench_ticks() + bench_ns_to_ticks((double)warm_ms * 1e6));
    struct tasvir_stats s0, s1;
    tasvir_node_stats(j->node, &s0);
    uint64_t e0 = j->srv ? bench_other_thread_cpu_ns(j->engine) : 0;
    uint64_t c0 = bench_thread_cpu_ns();
    c.in_service = 0;
    if (j->profile) {
        c.prof_bin_ticks = bench_ns_to_ticks((double)j->sync_int_us * 1e3 / (OVH_PROF_BINS - 1));
        c.prof_ver = tasvir_area_version(a);
        c.prof_prev = bench_ticks();
    }
    uint64_t n0 = bench_mono_ns();
    uint64_t ops = fn(&c, bench_ticks() + bench_ns_to_ticks((double)j->dur_ms * 1e6));
    uint64_t n1 = bench_mono_ns();
    uint64_t c1 = bench_thread_cpu_ns();
    uint64_t e1 = j->srv ? bench_other_thread_cpu_ns(j->engine) : 0;
    tasvir_node_stats(j->node, &s1);
    tasvir_thread_deactivate(t);
    bench_escape(&c.sink);
    j->writes = mixed ? ops / 8 : ops;
    j->elapsed_ns = n1 - n0;
    j->cpu_ns = c1 - c0;
    j->engine_cpu_ns = e1 - e0;
    j->service_ns = (uint64_t)bench_ticks_to_ns(c.in_service);
    for (unsigned b = 0; b < OVH_PROF_BINS; b++) {
        j->prof_ns[b] = bench_ticks_to_ns(c.prof_ticks[b]);
        j->prof_ops[b] = c.prof_blocks[b] * 64;
    }
    stats_delta(&j->st, &s0, &s1);
    j->rc = 0;
    return NULL;
}

static int ovh_run(struct local_ctx *c, struct ovh_job *j)
{
    struct bench_node b;
    struct bench_node_opts no = c->node_opts;
    no.sync_int_us = j->sync_int_us;
    if (bench_node_create(&b, &no))
        return -1;
    j->node = b.node;
    j->cpu = c->cpu_worker;
    struct bench_engine e = {0};
    int rc = 0;
    if (j->srv) {
        /* One CPU only: the engine must yield or the worker never runs. */
        bool alone = c->cpu_engine >= 0 && c->cpu_engine == c->cpu_worker;
        if (bench_engine_start(&e, &b, c->cpu_engine, alone)) {
            bench_node_destroy(&b);
            return -1;
        }
        j->engine = e.tid;
    }
    pthread_t tid;
    if ((rc = pthread_create(&tid, NULL, ovh_worker, j))) {
        bench_info("cannot start the worker thread: %s", strerror(rc));
        j->rc = -1;
    } else {
        pthread_join(tid, NULL);
    }
    bench_engine_stop(&e);
    bench_node_destroy(&b);
    return j->rc;
}

static double xput_mbps(const struct ovh_job *j, bool wall)
{
    uint64_t ns = wall || !j->cpu_ns ? j->elapsed_ns : j->cpu_ns;
    return ns ? (double)j->writes * TASVIR_LINE_BYTES * 1e3 / (double)ns : 0;
}

/* Did the worker (and the engine, with service on) keep its CPU for >= 90% of the run? */
static bool clean_run(const struct ovh_job *j)
{
    if (!j->elapsed_ns || j->cpu_ns * 10 < j->elapsed_ns * 9)
        return false;
    return !j->srv || j->engine_cpu_ns * 10 >= j->elapsed_ns * 9;
}

static double pct_over(double base, double x) { return x > 0 ? (base / x - 1) * 100 : NAN; }

/* Rounds for the next overhead row so that the whole run stays within --time-budget-s:
 * the remaining rows are costed at the mean run time so far, and some time is kept for
 * the sections that follow. */
static unsigned rounds_for_row(struct local_ctx *c, unsigned rows_left, unsigned ncfg,
                               uint64_t runs_done, uint64_t runs_ns)
{
    if (!c->o.time_budget_s || !runs_done)
        return c->o.rounds;
    const double reserve_s = 30; /* log_cost .. lockstep at normal speed take about 10 s */
    double left_s = (double)c->o.time_budget_s - (double)(bench_mono_ns() - c->t0_ns) / 1e9 - reserve_s;
    double run_s = (double)runs_ns / 1e9 / (double)runs_done;
    double per_round_s = run_s * ncfg * rows_left;
    unsigned r = c->o.rounds;
    if (per_round_s * r > left_s) {
        r = left_s > per_round_s ? (unsigned)(left_s / per_round_s) : 1;
        if (r > c->o.rounds)
            r = c->o.rounds;
        if (r < 1)
            r = 1;
    }
    if (r < c->o.rounds && !c->budget_warned) {
        bench_info("warning: the run is slower than planned (%.2f s per measurement, other "
                   "processes?): %u round(s) instead of %u for the remaining overhead rows "
                   "to stay within --time-budget-s %" PRIu64,
                   run_s, r, c->o.rounds, c->o.time_budget_s);
        c->budget_warned = true;
    }
    return r;
}

/* --write-profile: one row per bin of the best l1s1 run (empty bins are left out). */
static void emit_profile(struct local_ctx *c, const struct ovh_job *j, unsigned rounds)
{
    double bin_us = (double)j->sync_int_us / (OVH_PROF_BINS - 1);
    for (unsigned b = 0; b < OVH_PROF_BINS; b++) {
        if (!j->prof_ops[b])
            continue;
        struct bench_row row;
        local_row(&row, SEC_OVERHEAD);
        bench_row_str(&row, C_BENCH, "write_profile");
        bench_row_str(&row, C_WORKLOAD, local_workload_names[j->wl]);
        bench_row_str(&row, C_VARIANT, j->proto_loop ? "prototype" : "lean");
        bench_row_u64(&row, C_AREA_BYTES, j->area_bytes);
        bench_row_u64(&row, C_SYNC_INT_US, j->sync_int_us);
        bench_row_u64(&row, C_THREADS, 1);
        bench_row_u64(&row, C_REPS, rounds);
        bench_row_f(&row, C_SINCE_PUBLISH_US, b * bin_us, 1);
        bench_row_f(&row, C_NS_PER_OP, j->prof_ns[b] / (double)j->prof_ops[b], 3);
        bench_row_u64(&row, C_OPS, j->prof_ops[b]);
        bench_csv_emit(&c->csv, &row);
    }
}

int local_overhead(struct local_ctx *c)
{
    unsigned nwl = (unsigned)__builtin_popcount(c->o.workloads);
    unsigned ncfg = (unsigned)__builtin_popcount(c->o.configs);
    unsigned rows_left = nwl * c->o.nsizes * c->o.nints;
    uint64_t runs_done = 0, runs_ns = 0;
    for (unsigned wl = 0; wl < WL_COUNT; wl++) {
        if (!(c->o.workloads & (1u << wl)))
            continue;
        for (unsigned si = 0; si < c->o.nsizes; si++) {
            for (unsigned ii = 0; ii < c->o.nints; ii++) {
                uint64_t size = c->o.sizes[si], iv = c->o.ints[ii];
                char sb[32];
                bench_fmt_bytes(size, sb, sizeof(sb));
                double best[CFG_COUNT] = {NAN, NAN, NAN, NAN};
                double share[CFG_COUNT] = {NAN, NAN, NAN, NAN};
                bool clean[CFG_COUNT] = {false, false, false, false};
                struct ovh_job best_l1s1 = {0};
                unsigned rounds = rounds_for_row(c, rows_left, ncfg, runs_done, runs_ns);
                rows_left--;
                for (unsigned r = 0; r < rounds; r++) {
                    for (unsigned cfg = 0; cfg < CFG_COUNT; cfg++) {
                        if (!(c->o.configs & (1u << cfg)))
                            continue;
                        struct ovh_job j = {
                            .wl = (enum local_workload)wl,
                            .area_bytes = size,
                            .sync_int_us = iv,
                            .dur_ms = c->o.duration_ms,
                            .seed = c->o.seed + r * 7919 + cfg,
                            .log = cfg == CFG_L1S0 || cfg == CFG_L1S1,
                            .srv = cfg == CFG_L0S1 || cfg == CFG_L1S1,
                            .proto_loop = c->o.proto_loop,
                            .profile = c->o.write_profile && cfg == CFG_L1S1,
                        };
                        uint64_t run0 = bench_mono_ns();
                        int rc = ovh_run(c, &j);
                        runs_ns += bench_mono_ns() - run0;
                        runs_done++;
                        if (rc) {
                            bench_info("overhead %s %s @%" PRIu64 "us %s: run failed",
                                       local_workload_names[wl], sb, iv, cfg_names[cfg]);
                            c->failed = true;
                            return -1;
                        }
                        /* Best round, preferring undisturbed ones: a round where the
                         * engine or the worker lost the CPU runs fewer epochs (less
                         * overhead) and would otherwise win. */
                        double x = xput_mbps(&j, c->o.wall_clock);
                        bool cl = clean_run(&j);
                        if (isnan(best[cfg]) || (cl && !clean[cfg]) ||
                            (cl == clean[cfg] && x > best[cfg])) {
                            best[cfg] = x;
                            clean[cfg] = cl;
                            share[cfg] = j.elapsed_ns ? 100.0 * j.cpu_ns / j.elapsed_ns : NAN;
                            if (cfg == CFG_L1S1)
                                best_l1s1 = j;
                        }
                    }
                }
                bench_info("overhead %-10s %6s @%6" PRIu64 "us: l0s0 %.0f l1s0 %.0f l0s1 %.0f "
                           "l1s1 %.0f MB/s",
                           local_workload_names[wl], sb, iv, best[0], best[1], best[2], best[3]);
                const struct tasvir_stats *st = &best_l1s1.st;
                double secs = (double)best_l1s1.elapsed_ns / 1e9;
                struct bench_row row;
                local_row(&row, SEC_OVERHEAD);
                bench_row_str(&row, C_WORKLOAD, local_workload_names[wl]);
                bench_row_str(&row, C_VARIANT, c->o.proto_loop ? "prototype" : "lean");
                bench_row_u64(&row, C_AREA_BYTES, size);
                bench_row_u64(&row, C_SYNC_INT_US, iv);
                bench_row_u64(&row, C_THREADS, 1);
                bench_row_u64(&row, C_REPS, rounds);
                double min_share = NAN;
                for (unsigned cfg = 0; cfg < CFG_COUNT; cfg++)
                    if (!isnan(share[cfg]) && (isnan(min_share) || share[cfg] < min_share))
                        min_share = share[cfg];
                bench_row_f(&row, C_WORKER_CPU_PCT, min_share, 1);
                if (best_l1s1.elapsed_ns) {
                    bench_row_f(&row, C_ENGINE_CPU_PCT,
                                100.0 * best_l1s1.engine_cpu_ns / best_l1s1.elapsed_ns, 1);
                    bench_row_f(&row, C_SERVICE_PCT,
                                100.0 * best_l1s1.service_ns / best_l1s1.elapsed_ns, 2);
                }
                for (unsigned cfg = 0; cfg < CFG_COUNT; cfg++)
                    bench_row_f(&row, C_X_L0S0 + cfg, best[cfg], 1);
                double ovh_full = pct_over(best[CFG_L0S0], best[CFG_L1S1]);
                bench_row_f(&row, C_OVH_LOG, pct_over(best[CFG_L0S0], best[CFG_L1S0]), 2);
                bench_row_f(&row, C_OVH_SRV, pct_over(best[CFG_L0S0], best[CFG_L0S1]), 2);
                bench_row_f(&row, C_OVH_FULL, ovh_full, 2);
                if (st->epochs_ok) {
                    bench_row_f(&row, C_ISYNC_US, (double)st->epoch_ns / st->epochs_ok / 1e3, 3);
                    bench_row_f(&row, C_ISYNC_BARRIER_US,
                                (double)st->barrier_ns / st->epochs_ok / 1e3, 3);
                }
                if (st->epoch_ns)
                    bench_row_f(&row, C_ISYNC_XPUT, (double)st->bytes_copied * 1e3 / st->epoch_ns, 1);
                double ok_per_s = secs > 0 ? st->epochs_ok / secs : NAN;
                bench_row_f(&row, C_EPOCHS_OK_PER_S, ok_per_s, 1);
                bench_row_f(&row, C_EPOCHS_FAILED_PER_S, secs > 0 ? st->epochs_failed / secs : NAN,
                            1);
                bench_row_f(&row, C_SYNCS_REQ_PER_S, 1e6 / (double)iv, 1);
                bench_csv_emit(&c->csv, &row);
                if (c->o.write_profile && best_l1s1.elapsed_ns)
                    emit_profile(c, &best_l1s1, rounds);
                if (wl == WL_RND_W100 && iv == 1000 && size == (1ull << 20))
                    local_target(c, ovh_full, "%", -1, 30, "overhead RND_W100 1MiB @1ms: full");
                if (wl == WL_RND_W100 && iv == 1000 && size == (32ull << 20)) {
                    local_target(c, ovh_full, "%", -1, 150, "overhead RND_W100 32MiB @1ms: full");
                    local_target(c, ok_per_s, "/s", 1, 700,
                                 "overhead RND_W100 32MiB @1ms: successful syncs");
                }
            }
        }
    }
    return 0;
}

/* ---- summary ---------------------------------------------------------------------------- */

static void summary(const struct local_ctx *c)
{
    if (!c->ntargets)
        return;
    fprintf(stderr, "tasvir-bench: figures vs targets (noisy on a shared machine; all rows in the CSV)\n");
    for (unsigned i = 0; i < c->ntargets; i++) {
        const struct local_target *t = &c->targets[i];
        bool met = t->cmp < 0 ? t->value <= t->limit : t->value >= t->limit;
        /* two decimals, more where they would show a miss as the limit itself (0.498 is
         * not "0.50 MISSED" against 0.50) */
        int prec = 2;
        char v[32], l[32];
        for (; prec < 4; prec++) {
            snprintf(v, sizeof(v), "%.*f", prec, t->value);
            snprintf(l, sizeof(l), "%.*f", prec, t->limit);
            if (strcmp(v, l) || t->value == t->limit)
                break;
        }
        fprintf(stderr, "  %-50s %10.*f %-4s %s %7.2f  %s%s%s\n", t->what, prec, t->value,
                t->unit, t->cmp < 0 ? "<=" : ">=", t->limit, met ? "met" : "MISSED",
                t->note[0] ? "  " : "", t->note);
    }
}

/* Other processes on the CPUs make every figure noisy: say so when the load average says
 * they ran before the run.  (By its end the run's own threads keep the load average near
 * the number of CPUs; the other_cpu rows measure the others' time during the run.) */
static void note_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = 0;
    if (!f)
        return;
    if (fscanf(f, "%lf", &l1) == 1)
        bench_info("load average %s: %.2f on %u CPU(s)%s", when, l1, bench_ncpus(),
                   l1 > 0.5 * bench_ncpus() ? " -- other processes compete, figures are noisy" : "");
    fclose(f);
}

/* The host's speed, probed on each of the run's CPUs at its start and end: the best of
 * PROBE_REPS passes of PROBE_OPS iterations of a fixed integer loop over 16 KiB (loads,
 * shifts, adds and a store; independent chains, so its pace is the core's issue rate, not a
 * latency), in ns per iteration.  The same build on the same host gives the same figure
 * unless the host slows a CPU (another tenant on its sibling hardware thread, its clock),
 * and then every figure of the run is slower too: two runs whose probes differ are not
 * comparable row by row. */
#define PROBE_OPS (1u << 20)
#define PROBE_REPS 5u
#define PROBE_WORDS 2048u
static double probe_cpu(int cpu)
{
    uint64_t buf[PROBE_WORDS];
    for (unsigned i = 0; i < PROBE_WORDS; i++)
        buf[i] = i * 0x9e3779b97f4a7c15ull;
    bench_pin_self(cpu);
    double best = INFINITY;
    for (unsigned r = 0; r < PROBE_REPS; r++) {
        uint64_t a = r, b = 1, d = 2;
        uint64_t t0 = bench_ticks();
        for (unsigned i = 0; i < PROBE_OPS; i++) {
            unsigned k = i & (PROBE_WORDS - 1);
            uint64_t v = buf[k];
            a += v;
            b ^= v << 3;
            d += b >> 5;
            /* half the buffer ahead: no store feeds a load soon after it */
            buf[(k + PROBE_WORDS / 2) & (PROBE_WORDS - 1)] = a ^ d;
        }
        uint64_t t1 = bench_ticks();
        bench_escape(buf);
        double ns = bench_ticks_to_ns(t1 - t0) / PROBE_OPS;
        if (ns < best)
            best = ns;
    }
    bench_unpin_self();
    return best;
}

/* The CPUs probed: the worker's and the engine's; unpinned, one probe wherever it runs
 * (cpus[0] = -1).  Returns their number. */
static unsigned probe_cpus(const struct local_ctx *c, int cpus[2])
{
    cpus[0] = c->cpu_worker;
    cpus[1] = c->cpu_engine;
    return c->o.pin ? 2 : 1;
}

static void host_probe(struct local_ctx *c, bool at_end)
{
    static const char *const names[2][2] = {{"start_worker", "start_engine"},
                                            {"end_worker", "end_engine"}};
    int cpus[2];
    unsigned n = probe_cpus(c, cpus);
    for (unsigned i = 0; i < n; i++) {
        double ns = probe_cpu(cpus[i]);
        c->probe_ns[at_end][i] = ns;
        struct bench_row row;
        bench_row_clear(&row);
        bench_row_str(&row, C_BENCH, "host_probe");
        bench_row_str(&row, C_VARIANT, names[at_end][i]);
        bench_row_f(&row, C_NS_PER_OP, ns, 4);
        bench_row_u64(&row, C_OPS, PROBE_OPS);
        bench_csv_emit(&c->csv, &row);
    }
}

/* One summary line for the probes; says so when they differ by more than a quarter. */
static void probe_summary(const struct local_ctx *c)
{
    int cpus[2];
    unsigned n = probe_cpus(c, cpus);
    double lo = INFINITY, hi = 0;
    fprintf(stderr, "  host probe, ns per op (start -> end):");
    for (unsigned i = 0; i < n; i++) {
        if (cpus[i] < 0)
            fprintf(stderr, " unpinned");
        else
            fprintf(stderr, " %s CPU %d", i ? "engine" : "worker", cpus[i]);
        fprintf(stderr, " %.3f -> %.3f%s", c->probe_ns[0][i], c->probe_ns[1][i],
                i + 1 < n ? ";" : "");
        for (unsigned w = 0; w < 2; w++) {
            lo = fmin(lo, c->probe_ns[w][i]);
            hi = fmax(hi, c->probe_ns[w][i]);
        }
    }
    fprintf(stderr, "\n");
    if (hi > 1.25 * lo)
        fprintf(stderr, "  host probe: the slowest is %.2fx the fastest -- the host slowed a CPU "
                        "during the run (or its CPUs differ); compare such runs with care\n",
                hi / lo);
}

/* The TLB's reach over the memory the areas get: a pointer chase through one line of each
 * 4 KiB page of a region from the loopback backend (2 MiB pages where the kernel gives
 * them), in a random cycle, the lines spread over the L2's sets (bits 6-16 of the line's
 * address differ for 2,048 pages in a row), best of TLB_REPS passes, ns per hop.  The lines
 * of the largest region, 256 KiB, stay in any L2 of 512 KiB or more, so the hops slow down
 * from one region to the next only when the pages' translations no longer fit the TLB:
 * with 2 MiB translations the 16 MiB region takes eight entries, with 4 KiB ones 4,096 (a
 * VM whose host maps its memory in small pages).  Scattered copies of areas of several MiB
 * pay a page walk per page then (docs/benchmarks.md, the Zen 4 host). */
#define TLB_REPS 5u
static const unsigned tlb_mib[LOCAL_TLB_SIZES] = {4, 8, 16};
_Static_assert(LOCAL_TLB_SIZES == 3, "tlb_summary prints three regions");

static double tlb_chase(uint8_t *r, size_t pages, uint64_t seed)
{
    uint32_t *perm = malloc(pages * sizeof(*perm));
    if (!perm)
        return NAN;
    for (size_t i = 0; i < pages; i++)
        perm[i] = (uint32_t)i;
    uint64_t rng = seed | 1;
    for (size_t i = pages - 1; i > 0; i--) {
        size_t j = (size_t)(bench_rand(&rng) % (i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
#define TLB_LINE(p) (r + ((size_t)(p) << 12) + ((((size_t)(p) >> 5) & 63) << 6))
    for (size_t i = 0; i < pages; i++)
        *(uint8_t **)(void *)TLB_LINE(perm[i]) = TLB_LINE(perm[(i + 1) % pages]);
    uint8_t *x = TLB_LINE(perm[0]);
#undef TLB_LINE
    free(perm);
    double best = INFINITY;
    for (unsigned rep = 0; rep <= TLB_REPS; rep++) { /* pass 0 warms up */
        uint64_t t0 = bench_ticks();
        for (size_t i = 0; i < pages; i++)
            x = *(uint8_t *volatile *)(void *)x;
        double ns = bench_ticks_to_ns(bench_ticks() - t0) / (double)pages;
        if (rep > 0 && ns < best)
            best = ns;
    }
    bench_escape(x);
    return best;
}

static void tlb_probe(struct local_ctx *c)
{
    for (unsigned i = 0; i < LOCAL_TLB_SIZES; i++)
        c->tlb_ns[i] = NAN;
    struct bench_node b;
    struct bench_node_opts o = c->node_opts;
    o.verbose = false;
    if (bench_node_create(&b, &o))
        return;
    bench_pin_self(c->cpu_worker);
    for (unsigned i = 0; i < LOCAL_TLB_SIZES; i++) {
        size_t len = (size_t)tlb_mib[i] << 20;
        uint8_t *r = bench_node_mem_alloc(&b, len);
        if (!r) {
            bench_info("TLB probe: no memory for %u MiB", tlb_mib[i]);
            break;
        }
        c->tlb_ns[i] = tlb_chase(r, len >> 12, c->o.seed + i);
        bench_node_mem_free(&b, r, len);
        struct bench_row row;
        bench_row_clear(&row);
        bench_row_str(&row, C_BENCH, "host_tlb");
        bench_row_str(&row, C_VARIANT, "chase");
        bench_row_u64(&row, C_AREA_BYTES, len);
        bench_row_f(&row, C_NS_PER_OP, c->tlb_ns[i], 3);
        bench_row_u64(&row, C_OPS, len >> 12);
        bench_csv_emit(&c->csv, &row);
    }
    bench_unpin_self();
    bench_node_destroy(&b);
}

/* One summary line for the TLB probe; says so when the 16 MiB hops took 1.5 times the
 * 4 MiB ones. */
static void tlb_summary(const struct local_ctx *c)
{
    const double lo = c->tlb_ns[0], hi = c->tlb_ns[LOCAL_TLB_SIZES - 1];
    if (isnan(hi))
        return;
    fprintf(stderr, "  host TLB probe, ns per hop through a line of each 4 KiB page, 4 / 8 / 16 "
                    "MiB: %.1f / %.1f / %.1f\n",
            c->tlb_ns[0], c->tlb_ns[1], c->tlb_ns[2]);
    if (hi >= 1.5 * lo)
        fprintf(stderr, "  host TLB probe: 16 MiB took %.1fx as long as 4 MiB -- the TLB holds "
                        "this memory in pages smaller than 2 MiB (a VM's host mapping it in "
                        "small pages?); scattered copies of areas of several MiB pay page "
                        "walks\n",
                hi / lo);
}

/* The CPU time a stretch of the run did not get: taken by the host and used by other
 * processes. */
struct cpu_stretch {
    struct local_stretch steal, other;
};

/* One row of bench `bench`, variant `what`, with stretch x in columns col_ms and col_pct. */
static void stretch_row(struct local_ctx *c, const char *bench, const char *what,
                        enum local_col col_ms, enum local_col col_pct,
                        const struct local_stretch *x)
{
    struct bench_row row;
    bench_row_clear(&row);
    bench_row_str(&row, C_BENCH, bench);
    bench_row_str(&row, C_VARIANT, what);
    bench_row_f(&row, col_ms, (double)x->ns / 1e6, 0);
    bench_row_f(&row, col_pct, x->pct, 2);
    bench_csv_emit(&c->csv, &row);
}

/* One host_steal row and one other_cpu row for the stretch from t0 to now, variant `what`
 * (a section, or "run").  Other processes' time is the CPUs' time less their idle time,
 * the steal and this process's own (bench_cpu_time), never below 0.  Returns false, with
 * no rows, when the kernel does not say. */
static bool cpu_rows(struct local_ctx *c, const char *what, const struct bench_cpu_time *t0,
                     struct cpu_stretch *out)
{
    struct bench_cpu_time t1;
    if (!c->cpu_known)
        return false;
    if (bench_cpu_time(&t1)) {
        c->cpu_known = false; /* no summary lines from half the figures */
        return false;
    }
    if (t1.mono_ns <= t0->mono_ns)
        return false;
    const uint64_t all = (t1.mono_ns - t0->mono_ns) * t1.cpus;
    const uint64_t idle = t1.idle_ns > t0->idle_ns ? t1.idle_ns - t0->idle_ns : 0;
    const uint64_t own = t1.own_ns > t0->own_ns ? t1.own_ns - t0->own_ns : 0;
    const uint64_t steal = t1.steal_ns > t0->steal_ns ? t1.steal_ns - t0->steal_ns : 0;
    out->steal.ns = steal;
    out->other.ns = all > idle + own + steal ? all - idle - own - steal : 0;
    out->steal.pct = 100.0 * (double)out->steal.ns / (double)all;
    out->other.pct = 100.0 * (double)out->other.ns / (double)all;
    stretch_row(c, "host_steal", what, C_STEAL_MS, C_STEAL_PCT, &out->steal);
    stretch_row(c, "other_cpu", what, C_OTHER_CPU_MS, C_OTHER_CPU_PCT, &out->other);
    c->cpu_count = t1.cpus;
    c->steal_boot_ns = t1.steal_ns;
    return true;
}

/* Keep section sec's share if it is the run's largest so far. */
static void share_section(struct local_share *sh, double pct, unsigned sec)
{
    if (pct > sh->max_pct) {
        sh->max_pct = pct;
        sh->max_sec = sec;
    }
}

/* One summary line for a share of the CPUs' time the run did not get (`who` took it):
 * the run's and its worst section's; `warn` when the run's is `limit` % or more. */
static void share_summary(const struct local_ctx *c, const struct local_share *sh,
                          const char *who, double limit, const char *warn)
{
    fprintf(stderr, "  %s: %.0f ms of the %u CPUs' time over the run (%.2f %%)", who,
            (double)sh->run.ns / 1e6, c->cpu_count, sh->run.pct);
    if (sh->max_pct > 0)
        fprintf(stderr, ", the most in section %s (%.2f %%)", local_section_names[sh->max_sec],
                sh->max_pct);
    fprintf(stderr, "%s%s\n", sh->run.pct >= limit ? " -- " : "", sh->run.pct >= limit ? warn : "");
}

/* The summary's lines for the host's steal (flagged from 1 %: a section of a second or
 * two shows tens of ms of steal, a few percent of it, in runs whose figures are not
 * affected; where the kernel has counted none since boot, it says so instead of a 0 that
 * would read as a measured one) and for other processes (flagged from 5 %: the kernel's
 * 10 ms ticks make a section's figure uncertain by a few tenths of a percent, and the
 * kernel's own threads, its interrupts and its work to idle and wake a CPU count as other
 * processes: 1.5 % of two CPUs for two threads of this machine sleeping 20 us at a
 * time). */
static void cpu_summary(const struct local_ctx *c)
{
    if (!c->cpu_known)
        return;
    if (c->steal_boot_ns == 0)
        fprintf(stderr, "  host steal: none counted since boot (bare metal, or a host that does "
                        "not report it to this kernel)\n");
    else
        share_summary(c, &c->steal, "host steal", 1.0,
                      "the host ran other work on these CPUs; compare such runs with care");
    share_summary(c, &c->other, "other processes", 5.0,
                  "other processes competed for these CPUs; compare such runs with care");
}

/* Pick the nodes' clock (--clock; auto: the TSC where the loopback backend can read it)
 * and say which line copies they use (--copy-isa); fails if they cannot have the clock or
 * the copies asked for. */
static int pick_node_setup(struct local_ctx *c)
{
    struct bench_node_opts o = c->node_opts;
    o.verbose = false;
    o.clock = c->o.clock;
    if (!o.clock) { /* auto: whether the loopback backend takes the TSC here */
        struct tasvir_loop_net_conf lc;
        struct tasvir_loop_net *net;
        tasvir_loop_net_conf_init(&lc);
        lc.real_clock = TASVIR_LOOP_CLOCK_TSC;
        lc.tsc_hz = 1000000000u; /* a probe: no measurement */
        bool tsc = tasvir_loop_net_create(&lc, &net) == 0;
        if (tsc)
            tasvir_loop_net_destroy(net);
        o.clock = tsc ? TASVIR_LOOP_CLOCK_TSC : TASVIR_LOOP_CLOCK_MONOTONIC;
    }
    c->node_opts.clock = o.clock;
    const char *clock = clock_names[o.clock];
    struct bench_node b;
    int rc = bench_node_create(&b, &o);
    if (rc == -ENOTSUP)
        bench_info("--copy-isa %s or --clock %s: this CPU (or build) lacks its instructions",
                   tasvir_copy_isa_name(o.copy_isa), clock);
    if (rc)
        return -1;
    bench_info("local: the core reads the time from %s (--clock %s%s)",
               o.clock == TASVIR_LOOP_CLOCK_TSC ? "the TSC" : "CLOCK_MONOTONIC", clock,
               o.clock == TASVIR_LOOP_CLOCK_TSC ? "; as the DPDK backend by default" : "");
    int isa = tasvir_node_copy_isa(b.node);
    bench_node_destroy(&b);
    bench_csv_const(&c->csv, "clock", clock);
    bench_csv_const(&c->csv, "copy_isa", tasvir_copy_isa_name(isa));
    bench_info("local: internal sync copies lines with %s (--copy-isa %s)",
               isa == TASVIR_COPY_AVX512_VBMI2
                   ? "64-byte AVX-512 moves, scattered lines listed with VBMI2"
               : isa == TASVIR_COPY_AVX512 ? "64-byte AVX-512 moves"
                                           : "the baseline moves (16-byte SSE2 on x86-64)",
               tasvir_copy_isa_name(isa));
    return 0;
}

int bench_cmd_local(int argc, char **argv)
{
    struct local_ctx c;
    memset(&c, 0, sizeof(c));
    parse_opts(&c.o, argc, argv);
    c.csv.cols = local_cols;
    c.csv.ncols = C_NCOLS;
    c.csv.out = stdout;
    c.node_opts.max_areas = c.o.max_areas;
    c.node_opts.copy_isa = c.o.copy_isa;
    c.node_opts.verbose = c.o.verbose;

    bench_cpus_init();
    bench_calibrate(c.o.quick ? 15 : 60);
    c.cpu_worker = c.o.pin ? bench_cpu(0) : -1;
    c.cpu_engine = c.o.pin ? bench_cpu(1) : -1;
    bench_info("local: %u allowed CPU(s); worker CPU %d, engine CPU %d; TSC %.3f GHz; "
               "rounds %u, %" PRIu64 " ms per measurement%s",
               bench_ncpus(), c.cpu_worker, c.cpu_engine, bench_ticks_per_ns(), c.o.rounds,
               c.o.duration_ms, c.o.quick ? " (quick)" : "");
    char cpu[512];
    bench_cpu_desc(c.cpu_worker, cpu, sizeof(cpu));
    bench_info("local: CPU %s", cpu);
    note_load("at start");
    if (pick_node_setup(&c))
        return 1;
    bench_csv_header(&c.csv);
    host_probe(&c, false);
    tlb_probe(&c);

    static int (*const sections[SEC_COUNT])(struct local_ctx *) = {
        [SEC_OVERHEAD] = local_overhead, [SEC_LOG_COST] = local_log_cost,
        [SEC_SYNC_COPY] = local_sync_copy, [SEC_IDLE_SCAN] = local_idle_scan,
        [SEC_OVERSUB] = local_oversub, [SEC_LOCKSTEP] = local_lockstep,
    };
    struct bench_cpu_time cpu_t0;
    c.cpu_known = bench_cpu_time(&cpu_t0) == 0;
    c.t0_ns = bench_mono_ns();
    for (unsigned s = 0; s < SEC_COUNT; s++) {
        if (!(c.o.sections & (1u << s)))
            continue;
        uint64_t s0 = bench_mono_ns();
        struct bench_cpu_time cpu0 = {0};
        if (c.cpu_known && bench_cpu_time(&cpu0))
            c.cpu_known = false;
        if (sections[s](&c))
            bench_info("section %s failed", local_section_names[s]);
        struct cpu_stretch cs;
        char sb[96] = "";
        if (cpu_rows(&c, local_section_names[s], &cpu0, &cs)) {
            snprintf(sb, sizeof(sb), "; host steal %.2f %%, other processes %.2f %% of the CPUs",
                     cs.steal.pct, cs.other.pct);
            share_section(&c.steal, cs.steal.pct, s);
            share_section(&c.other, cs.other.pct, s);
        }
        bench_info("section %s done in %.1f s%s", local_section_names[s],
                   (double)(bench_mono_ns() - s0) / 1e9, sb);
    }
    struct cpu_stretch run;
    if (cpu_rows(&c, "run", &cpu_t0, &run)) {
        c.steal.run = run.steal;
        c.other.run = run.other;
    }
    host_probe(&c, true);
    bench_info("local: done in %.1f s", (double)(bench_mono_ns() - c.t0_ns) / 1e9);
    summary(&c);
    probe_summary(&c);
    tlb_summary(&c);
    cpu_summary(&c);
    return c.failed ? 1 : 0;
}

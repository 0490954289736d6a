/*
 * local_threads.c — multi-threaded sections of `tasvir-bench local`, both with more
 * threads than CPUs (3 workers + the sync engine on 2 CPUs):
 *
 *  oversub   each worker writes random lines of its own 1 MiB area (logging them) and
 *            calls tasvir_service_wait() every ~10 us; the engine yields between polls.
 *            Variants: unpinned (the kernel places everything), pinned (engine + worker 0
 *            on the second CPU, workers 1 and 2 on the first).  Reported: how many epochs
 *            published vs failed over the measured window.
 *  lockstep  each worker owns a 64-byte counter area and attaches to the others'; a step
 *            increments its counter, logs it and then services (yielding between calls)
 *            until every other counter, read through the reader copies, has reached the
 *            same value.  Variants: sync_now (each step asks for a sync) and interval
 *            (waits for the 1 ms interval).  A timeout makes a stuck run fail, not hang.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "local.h"

#define MT_WORKERS 3

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* ---- oversub ------------------------------------------------------------------------- */

#define OS_AREA_BYTES (1ull << 20)

struct os_shared {
    struct tasvir_node *node;
    struct bench_gate ready;
    _Atomic int stop;
    _Atomic int errors;
    uint64_t srv_ticks, seed;
};

struct os_worker {
    struct os_shared *sh;
    unsigned idx;
    int cpu;
    uint64_t writes;
    pthread_t tid;
};

static void *os_main(void *arg)
{
    struct os_worker *w = arg;
    struct os_shared *sh = w->sh;
    bench_pin_self(w->cpu);
    struct tasvir_thread *t = NULL;
    struct tasvir_area *a = NULL;
    char name[16];
    snprintf(name, sizeof(name), "os%u", w->idx);
    int rc = tasvir_thread_register(sh->node, &t);
    if (rc)
        bench_info("oversub: cannot register worker %u: %s", w->idx, tasvir_strerror(rc));
    else
        a = bench_area(t, name, OS_AREA_BYTES, 1000);
    if (!a)
        atomic_fetch_add(&sh->errors, 1);
    bench_gate_wait(&sh->ready);
    if (!a || atomic_load(&sh->errors))
        return NULL;
    rc = tasvir_thread_activate(t);
    if (rc == -EAGAIN)
        rc = tasvir_service_wait(t);
    uint64_t *base = tasvir_area_writer(a);
    const uint64_t mask = OS_AREA_BYTES / TASVIR_LINE_BYTES - 1;
    uint64_t rng = (sh->seed + w->idx * 0x9e3779b97f4a7c15ull) | 1, ops = 0;
    uint64_t next_srv = bench_ticks() + sh->srv_ticks;
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        for (unsigned i = 0; i < 64; i++) {
            uint64_t *p = base + (bench_rand(&rng) & mask) * 8;
            for (int k = 0; k < 8; k++)
                p[k] = ops + i;
            (void)tasvir_log(a, p, TASVIR_LINE_BYTES);
        }
        ops += 64;
        uint64_t now = bench_ticks();
        if (now >= next_srv) {
            tasvir_service_wait(t);
            next_srv = bench_ticks() + sh->srv_ticks;
        }
    }
    w->writes = ops;
    tasvir_thread_deactivate(t);
    return NULL;
}

static int oversub_case(struct local_ctx *c, bool pinned)
{
    const char *variant = pinned ? "pinned" : "unpinned";
    struct bench_node b;
    if (bench_node_create(&b, &c->node_opts))
        return -1;
    struct os_shared sh = {.node = b.node, .srv_ticks = bench_ns_to_ticks(10000), .seed = c->o.seed};
    struct os_worker w[MT_WORKERS];
    bench_gate_init(&sh.ready, MT_WORKERS + 1);
    int cpu_a = pinned ? bench_cpu(0) : -1, cpu_b = pinned ? bench_cpu(1) : -1;
    struct bench_engine e = {0};
    int ret = -1;
    unsigned started = 0;
    if (bench_engine_start(&e, &b, cpu_b, true))
        goto out;
    for (; started < MT_WORKERS; started++) {
        w[started] = (struct os_worker){.sh = &sh, .idx = started,
                                        .cpu = started == 0 ? cpu_b : cpu_a};
        int rc = pthread_create(&w[started].tid, NULL, os_main, &w[started]);
        if (rc) {
            bench_info("oversub: cannot start a worker: %s", strerror(rc));
            atomic_fetch_add(&sh.errors, 1);
            bench_gate_drop(&sh.ready, MT_WORKERS - started);
            break;
        }
    }
    bench_gate_wait(&sh.ready);
    sleep_ms(20); /* workers activate */
    struct tasvir_stats s0, s1;
    tasvir_node_stats(b.node, &s0);
    uint64_t n0 = bench_mono_ns();
    /* Long enough to see several scheduler time slices even in a quick run. */
    sleep_ms(3 * c->o.duration_ms < 300 ? 300 : 3 * c->o.duration_ms);
    tasvir_node_stats(b.node, &s1);
    uint64_t n1 = bench_mono_ns();
    atomic_store(&sh.stop, 1);
    uint64_t writes = 0;
    for (unsigned k = 0; k < started; k++) {
        pthread_join(w[k].tid, NULL);
        writes += w[k].writes;
    }
    started = 0;
    if (atomic_load(&sh.errors))
        goto out;

    uint64_t ok = s1.epochs_ok - s0.epochs_ok, failed = s1.epochs_failed - s0.epochs_failed;
    double secs = (double)(n1 - n0) / 1e9;
    double succ = ok + failed ? 100.0 * ok / (double)(ok + failed) : NAN;
    bench_info("oversub %-8s: %" PRIu64 " epochs ok, %" PRIu64 " failed (%.1f%% success), "
               "%.0f ok/s, %" PRIu64 " exclusions",
               variant, ok, failed, succ, ok / secs, s1.threads_excluded - s0.threads_excluded);
    struct bench_row row;
    local_row(&row, SEC_OVERSUB);
    bench_row_str(&row, C_VARIANT, variant);
    bench_row_u64(&row, C_AREA_BYTES, OS_AREA_BYTES);
    bench_row_u64(&row, C_SYNC_INT_US, 1000);
    bench_row_u64(&row, C_THREADS, MT_WORKERS);
    bench_row_f(&row, C_X_L1S1, (double)writes * TASVIR_LINE_BYTES / secs / 1e6, 1);
    if (ok) {
        bench_row_f(&row, C_ISYNC_US, (double)(s1.epoch_ns - s0.epoch_ns) / ok / 1e3, 3);
        bench_row_f(&row, C_ISYNC_BARRIER_US, (double)(s1.barrier_ns - s0.barrier_ns) / ok / 1e3, 3);
    }
    bench_row_f(&row, C_EPOCHS_OK_PER_S, ok / secs, 1);
    bench_row_f(&row, C_EPOCHS_FAILED_PER_S, failed / secs, 1);
    bench_row_f(&row, C_SYNCS_REQ_PER_S, 1000.0, 1);
    bench_row_u64(&row, C_EPOCHS_OK, ok);
    bench_row_u64(&row, C_EPOCHS_FAILED, failed);
    bench_row_f(&row, C_SUCCESS_PCT, succ, 2);
    bench_row_u64(&row, C_THREADS_EXCLUDED, s1.threads_excluded - s0.threads_excluded);
    bench_csv_emit(&c->csv, &row);
    local_target(c, succ, "%", 1, 90, "oversubscribed epoch success, %s", variant);
    ret = 0;
out:
    atomic_store(&sh.stop, 1);
    for (unsigned k = 0; k < started; k++)
        pthread_join(w[k].tid, NULL);
    bench_engine_stop(&e);
    bench_node_destroy(&b);
    if (ret)
        c->failed = true;
    return ret;
}

int local_oversub(struct local_ctx *c)
{
    int ret = 0;
    if (oversub_case(c, false))
        ret = -1;
    if (bench_ncpus() >= 2 && oversub_case(c, true))
        ret = -1;
    return ret;
}

/* ---- lockstep ------------------------------------------------------------------------ */

struct ls_shared {
    struct tasvir_node *node;
    struct tasvir_loop_port *port;
    struct bench_gate created, go;
    _Atomic int abort;
    _Atomic int errors;
    bool sync_now;
    unsigned steps;
    uint64_t deadline; /* ticks; set before the go barrier */
};

struct ls_worker {
    struct ls_shared *sh;
    unsigned idx;
    unsigned done; /* steps this worker completed */
    pthread_t tid;
};

static bool ls_expired(struct ls_shared *sh)
{
    if (atomic_load_explicit(&sh->abort, memory_order_relaxed))
        return true;
    if (bench_ticks() > sh->deadline) {
        atomic_store(&sh->abort, 1);
        return true;
    }
    return false;
}

static void *ls_main(void *arg)
{
    struct ls_worker *w = arg;
    struct ls_shared *sh = w->sh;
    struct tasvir_thread *t = NULL;
    struct tasvir_area *own = NULL, *peer[MT_WORKERS] = {0};
    char name[16];
    snprintf(name, sizeof(name), "ls%u", w->idx);
    int rc = tasvir_thread_register(sh->node, &t);
    if (rc)
        bench_info("lockstep: cannot register worker %u: %s", w->idx, tasvir_strerror(rc));
    else
        own = bench_area(t, name, TASVIR_LINE_BYTES, 1000);
    if (!own)
        atomic_fetch_add(&sh->errors, 1);
    bench_gate_wait(&sh->created);
    unsigned np = 0;
    const uint64_t *pv[MT_WORKERS];
    for (unsigned k = 0; own && k < MT_WORKERS; k++) {
        if (k == w->idx)
            continue;
        snprintf(name, sizeof(name), "ls%u", k);
        if ((rc = tasvir_area_attach(t, name, &peer[np]))) {
            bench_info("lockstep: worker %u cannot attach '%s': %s", w->idx, name,
                       tasvir_strerror(rc));
            atomic_fetch_add(&sh->errors, 1);
            break;
        }
        pv[np] = tasvir_area_reader(peer[np]);
        np++;
    }
    bench_gate_wait(&sh->go);
    if (!own || atomic_load(&sh->errors))
        goto out;
    rc = tasvir_thread_activate(t);
    if (rc == -EAGAIN)
        rc = tasvir_service_wait(t);
    uint64_t *ctr = tasvir_area_writer(own);
    for (unsigned step = 1; step <= sh->steps; step++) {
        *ctr = step;
        (void)tasvir_log(own, ctr, sizeof(*ctr));
        if (sh->sync_now)
            tasvir_node_sync_now(sh->node);
        for (;;) {
            rc = tasvir_service(t);
            if (rc != -EAGAIN) {
                /* Between check-ins: the reader copies are a consistent snapshot. */
                unsigned k = 0;
                while (k < np && __atomic_load_n(pv[k], __ATOMIC_RELAXED) >= step)
                    k++;
                if (k == np)
                    break;
            }
            if (ls_expired(sh))
                goto out_active;
            /* the counters only change at epochs: sleep until the node kicks (epoch
             * start or end), leaving the CPU to threads that have not checked in */
            tasvir_loop_port_wait(sh->port, bench_mono_ns() + 100000);
        }
        w->done = step;
    }
out_active:
    tasvir_thread_deactivate(t);
out:
    return NULL;
}

static int lockstep_case(struct local_ctx *c, bool sync_now)
{
    const char *variant = sync_now ? "sync_now" : "interval";
    unsigned steps = sync_now ? c->o.lockstep_steps : (c->o.lockstep_steps + 3) / 4;
    struct bench_node b;
    if (bench_node_create(&b, &c->node_opts))
        return -1;
    struct ls_shared sh = {.node = b.node, .port = b.port, .sync_now = sync_now, .steps = steps};
    struct ls_worker w[MT_WORKERS];
    bench_gate_init(&sh.created, MT_WORKERS);
    bench_gate_init(&sh.go, MT_WORKERS + 1);
    struct bench_engine e = {0};
    int ret = -1;
    unsigned started = 0;
    if (bench_engine_start(&e, &b, -1, true))
        goto out;
    for (; started < MT_WORKERS; started++) {
        w[started] = (struct ls_worker){.sh = &sh, .idx = started};
        int rc = pthread_create(&w[started].tid, NULL, ls_main, &w[started]);
        if (rc) {
            bench_info("lockstep: cannot start a worker: %s", strerror(rc));
            atomic_fetch_add(&sh.errors, 1);
            bench_gate_drop(&sh.created, MT_WORKERS - started);
            bench_gate_drop(&sh.go, MT_WORKERS - started);
            break;
        }
    }
    sh.deadline = bench_ticks() + bench_ns_to_ticks((double)c->o.lockstep_timeout_ms * 1e6);
    struct tasvir_stats s0, s1;
    tasvir_node_stats(b.node, &s0);
    uint64_t n0 = bench_mono_ns();
    bench_gate_wait(&sh.go);
    unsigned min_done = UINT32_MAX;
    for (unsigned k = 0; k < started; k++) {
        pthread_join(w[k].tid, NULL);
        if (w[k].done < min_done)
            min_done = w[k].done;
    }
    uint64_t n1 = bench_mono_ns();
    started = 0;
    tasvir_node_stats(b.node, &s1);
    if (atomic_load(&sh.errors))
        goto out;
    bool completed = min_done == steps;
    double us_step = min_done ? (double)(n1 - n0) / 1e3 / min_done : NAN;
    bench_info("lockstep %-8s: %u/%u steps, %.1f us/step, %" PRIu64 " epochs ok, %" PRIu64
               " failed, %" PRIu64 " exclusions%s",
               variant, min_done, steps, us_step, s1.epochs_ok - s0.epochs_ok,
               s1.epochs_failed - s0.epochs_failed, s1.threads_excluded - s0.threads_excluded,
               completed ? "" : " -- TIMED OUT");
    struct bench_row row;
    local_row(&row, SEC_LOCKSTEP);
    bench_row_str(&row, C_VARIANT, variant);
    bench_row_u64(&row, C_AREA_BYTES, TASVIR_LINE_BYTES);
    bench_row_u64(&row, C_SYNC_INT_US, 1000);
    bench_row_u64(&row, C_THREADS, MT_WORKERS);
    bench_row_u64(&row, C_EPOCHS_OK, s1.epochs_ok - s0.epochs_ok);
    bench_row_u64(&row, C_EPOCHS_FAILED, s1.epochs_failed - s0.epochs_failed);
    bench_row_u64(&row, C_THREADS_EXCLUDED, s1.threads_excluded - s0.threads_excluded);
    bench_row_u64(&row, C_STEPS, min_done);
    bench_row_f(&row, C_US_PER_STEP, us_step, 2);
    bench_row_u64(&row, C_COMPLETED, completed);
    bench_csv_emit(&c->csv, &row);
    local_target(c, min_done, "steps", 1, steps, "lockstep completes, %s", variant);
    if (!completed)
        goto out;
    ret = 0;
out:
    for (unsigned k = 0; k < started; k++)
        pthread_join(w[k].tid, NULL);
    bench_engine_stop(&e);
    bench_node_destroy(&b);
    if (ret)
        c->failed = true;
    return ret;
}

int local_lockstep(struct local_ctx *c)
{
    int ret = 0;
    if (lockstep_case(c, true))
        ret = -1;
    if (lockstep_case(c, false))
        ret = -1;
    return ret;
}

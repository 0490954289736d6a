/*
 * test_threads.c — internal synchronization with real pthreads (CLOCK_MONOTONIC loop
 * backend).  Runs under TSan in CI.
 *
 * Covers: no torn reads — one writer stamps (version, checksum) into every line of two
 * areas between check-ins while reader threads verify at every check-in that all lines of
 * both areas come from one version, versions never go backwards, for >= 1e5 epochs
 * (divided by TASVIR_TEST_SCALE in sanitizer builds); a stalled thread is excluded without
 * stalling the node and is readmitted when it comes back; threads that register and
 * activate while epochs run; large areas copied by the owner and the engine, and by two
 * owners for each other, with the log clears left to their owners (no line lost, idle
 * epochs publish nothing); an owner that deactivates while another thread is copying
 * (and leaving it the log clears of) a chunk of its area waits for that copy and takes
 * the clears, and so does one that destroys that area and unregisters (the area is then
 * freed) (deterministic: the copier is stopped mid-chunk on a protected page); a monitor
 * thread asking tasvir_area_info / _get_sync of a handle while its area is destroyed
 * gets TASVIR_EDESTROYED, never a crash.
 */
#ifdef TASVIR_NO_CRITERION
#include "nocrit.h" /* ThreadSanitizer builds: Criterion cannot run under TSan */
#else
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "harness.h"
#include "tasvir/backend.h"

static unsigned scale(void)
{
    const char *s = getenv("TASVIR_TEST_SCALE");
    long v = s ? strtol(s, NULL, 10) : 1;
    return v > 0 ? (unsigned)v : 1;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

struct engine_arg {
    struct tasvir_node *node;
    atomic_int stop;
};

static void *engine_main(void *p)
{
    struct engine_arg *e = p;
    /* Yield after every poll: on an oversubscribed machine a spinning engine would keep
     * the threads it waits for off the CPU. */
    while (!atomic_load(&e->stop)) {
        tasvir_node_poll(e->node, NULL);
        sched_yield();
    }
    return NULL;
}

#define LINES_A 128
#define LINES_B 96

struct torn {
    struct tasvir_node *node;
    atomic_int stop;
    atomic_int ready;
    struct tasvir_area *a, *b; /* owner handles */
    atomic_ullong torn, checks, backwards, max_seen;
};

static void *writer_main(void *p)
{
    struct torn *x = p;
    struct tasvir_thread *t;
    cr_assert(eq(int, tasvir_thread_register(x->node, &t), 0));
    int rc = tasvir_thread_activate(t);
    cr_assert(eq(int, rc == -EAGAIN ? tasvir_service_wait(t) : rc, 0));
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.sync_int_us = 1;
    c.name = "torn-a";
    c.len_bytes = LINES_A * 64;
    cr_assert(eq(int, tasvir_area_create(t, &c, &x->a), 0));
    c.name = "torn-b";
    c.len_bytes = LINES_B * 64;
    cr_assert(eq(int, tasvir_area_create(t, &c, &x->b), 0));
    /* an epoch collecting check-ins may have started before torn-b existed (it publishes
     * torn-a only): check in once so that every generation below goes out in one epoch */
    tasvir_service_wait(t);
    atomic_store(&x->ready, 1);
    uint8_t *wa = tasvir_area_writer(x->a), *wb = tasvir_area_writer(x->b);
    uint64_t ver = 0;
    while (!atomic_load_explicit(&x->stop, memory_order_relaxed)) {
        ver++;
        /* one generation per check-in: every line of both areas gets `ver` */
        for (uint64_t l = 0; l < LINES_A; l++) {
            h_stamp(wa + l * 64, ver, l);
            tasvir_log(x->a, wa + l * 64, 64);
        }
        for (uint64_t l = 0; l < LINES_B; l++) {
            h_stamp(wb + l * 64, ver, l + 1000);
            tasvir_log(x->b, wb + l * 64, 64);
        }
        tasvir_service_wait(t);
    }
    tasvir_thread_deactivate(t);
    return NULL;
}

static void *reader_main(void *p)
{
    struct torn *x = p;
    while (!atomic_load(&x->ready))
        sched_yield();
    struct tasvir_thread *t;
    struct tasvir_area *ra, *rb;
    cr_assert(eq(int, tasvir_thread_register(x->node, &t), 0));
    cr_assert(eq(int, tasvir_area_attach(t, "torn-a", &ra), 0));
    cr_assert(eq(int, tasvir_area_attach(t, "torn-b", &rb), 0));
    int rc = tasvir_thread_activate(t);
    if (rc == -EAGAIN)
        rc = tasvir_service_wait(t);
    cr_assert(eq(int, rc, 0));
    const uint8_t *pa = tasvir_area_reader(ra), *pb = tasvir_area_reader(rb);
    uint64_t last = 0, last_area_ver = 0;
    while (!atomic_load_explicit(&x->stop, memory_order_relaxed)) {
        uint64_t v = h_check(pa, 0);
        int bad = v == UINT64_MAX;
        for (uint64_t l = 1; l < LINES_A && !bad; l++)
            bad = h_check(pa + l * 64, l) != v;
        for (uint64_t l = 0; l < LINES_B && !bad; l++)
            bad = h_check(pb + l * 64, l + 1000) != v;
        uint64_t av = tasvir_area_version(ra);
        if (bad)
            atomic_fetch_add(&x->torn, 1);
        if (v < last || av < last_area_ver)
            atomic_fetch_add(&x->backwards, 1);
        last = v;
        last_area_ver = av;
        atomic_fetch_add_explicit(&x->checks, 1, memory_order_relaxed);
        unsigned long long m = atomic_load(&x->max_seen);
        while (v > m && !atomic_compare_exchange_weak(&x->max_seen, &m, v))
            ;
        tasvir_service_wait(t);
        sched_yield();
    }
    tasvir_thread_deactivate(t);
    return NULL;
}

static void wide_window(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    /* 5 threads share 2 cores here: give stragglers a scheduler slice to check in */
    c->epoch_window_ns = 2000000;
    c->exclude_after_misses = 1000000;
}

Test(threads, no_torn_reads_across_two_areas, .timeout = 600)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 1, 1, wide_window), 0));
    struct torn x = {.node = h.node[0]};
    struct engine_arg e = {.node = h.node[0]};
    pthread_t eng, w, r[3];
    pthread_create(&eng, NULL, engine_main, &e);
    pthread_create(&w, NULL, writer_main, &x);
    for (int i = 0; i < 3; i++)
        pthread_create(&r[i], NULL, reader_main, &x);
    uint64_t target = 100000 / scale();
    struct tasvir_stats st;
    for (;;) {
        sleep_us(20000);
        tasvir_node_stats(h.node[0], &st);
        if (st.epochs_ok >= target)
            break;
    }
    atomic_store(&x.stop, 1);
    pthread_join(w, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(r[i], NULL);
    atomic_store(&e.stop, 1);
    pthread_join(eng, NULL);
    tasvir_node_stats(h.node[0], &st);
    cr_log_info("epochs ok %lu failed %lu, checks %llu, max version %llu", st.epochs_ok,
                st.epochs_failed, (unsigned long long)atomic_load(&x.checks),
                (unsigned long long)atomic_load(&x.max_seen));
    cr_assert(eq(u64, (uint64_t)atomic_load(&x.torn), 0), "torn reads seen");
    cr_assert(eq(u64, (uint64_t)atomic_load(&x.backwards), 0), "versions went backwards");
    cr_assert(ge(u64, st.epochs_ok, target));
    cr_assert(gt(u64, (uint64_t)atomic_load(&x.checks), target / 10));
    /* the writer made progress (a liveness floor, not a speed figure) */
    cr_assert(gt(u64, (uint64_t)atomic_load(&x.max_seen), target / 100));
    h_net_destroy(&h);
}

/* One busy round then idle epochs, for an owner thread t of area a (nchunks chunks of
 * 4 MiB): write `stamp` into one line of each of the first 64 groups of every chunk (the
 * line within the group set by `salt`), check in until the epoch publishes them, count in
 * *bad the lines the reader copy lacks, then check in over 3 more epochs and count in
 * *idle_bumps whether they published a version of a.  Returns 0, or the failing
 * tasvir_service_wait() result. */
static int busy_then_idle(struct tasvir_node *node, struct tasvir_thread *t,
                          struct tasvir_area *a, uint64_t nchunks, uint64_t stamp,
                          uint64_t salt, uint64_t *bad, uint64_t *idle_bumps)
{
    const uint64_t chunk_lines = (4u << 20) / 64;
    uint8_t *w = tasvir_area_writer(a);
    const uint8_t *r = tasvir_area_reader(a);
    uint64_t v0 = tasvir_area_version(a);
    for (uint64_t c = 0; c < nchunks; c++)
        for (uint64_t g = 0; g < 64; g++) {
            uint64_t l = c * chunk_lines + g * 512 + (salt * 13 + g) % 512;
            memcpy(w + l * 64, &stamp, sizeof(stamp));
            tasvir_log(a, w + l * 64, sizeof(stamp));
        }
    int rc;
    while (tasvir_area_version(a) == v0) {
        if ((rc = tasvir_service_wait(t)) != 0)
            return rc;
        sched_yield();
    }
    for (uint64_t c = 0; c < nchunks; c++)
        for (uint64_t g = 0; g < 64; g++) {
            uint64_t l = c * chunk_lines + g * 512 + (salt * 13 + g) % 512, got;
            memcpy(&got, r + l * 64, sizeof(got));
            *bad += got != stamp;
        }
    uint64_t v1 = tasvir_area_version(a);
    struct tasvir_stats s0, s1;
    tasvir_node_stats(node, &s0);
    do {
        if ((rc = tasvir_service_wait(t)) != 0)
            return rc;
        sched_yield();
        tasvir_node_stats(node, &s1);
    } while (s1.epochs_ok < s0.epochs_ok + 3);
    *idle_bumps += tasvir_area_version(a) != v1;
    return 0;
}

/* A 24 MiB area is 6 copy chunks: the owner (this thread, after its check-in) and the
 * engine thread claim them concurrently, a claim taking idle chunks along with the next
 * busy one (isync.c claim_span), and the engine leaving the log clears of its chunks to
 * the owner (owner_clears).  Whatever the pattern, the epoch after the owner's writes
 * shows every one of them, idle epochs publish nothing, and at the end the reader copy
 * equals the writer copy. */
Test(threads, multi_chunk_area_two_copiers, .timeout = 300)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 1, 1, wide_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    cr_assert(not(eq(ptr, t, NULL)));
    const uint64_t chunk_lines = (4u << 20) / 64, nchunks = 6;
    const uint64_t len = nchunks * chunk_lines * 64;
    struct tasvir_area *a = h_area(t, "chunks", len, 1);
    cr_assert(not(eq(ptr, a, NULL)));
    struct engine_arg e = {.node = h.node[0]};
    pthread_t eng;
    pthread_create(&eng, NULL, engine_main, &e);
    uint8_t *w = tasvir_area_writer(a);
    const uint8_t *r = tasvir_area_reader(a);
    /* lines written per chunk, by step % 4: one idle-but-last, busy/idle/sparse mixed, one
     * line everywhere, nothing */
    static const unsigned pattern[4][6] = {
        {0, 0, 0, 0, 0, 1}, {64, 0, 0, 64, 1, 0}, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}};
    unsigned steps = 2000 / scale();
    uint64_t bad = 0;
    for (uint64_t s = 1; s <= steps; s++) {
        const unsigned *p = pattern[s % 4];
        uint64_t v0 = tasvir_area_version(a), written = 0;
        for (uint64_t c = 0; c < nchunks; c++)
            for (unsigned k = 0; k < p[c]; k++) {
                uint64_t l = c * chunk_lines + (uint64_t)k * 512 + (s * 7 + k) % 512;
                memcpy(w + l * 64, &s, sizeof(s));
                tasvir_log(a, w + l * 64, sizeof(s));
                written++;
            }
        if (!written) {
            cr_assert(eq(int, tasvir_service_wait(t), 0));
            continue;
        }
        while (tasvir_area_version(a) == v0) {
            cr_assert(eq(int, tasvir_service_wait(t), 0));
            sched_yield();
        }
        for (uint64_t c = 0; c < nchunks; c++)
            for (unsigned k = 0; k < p[c]; k++) {
                uint64_t l = c * chunk_lines + (uint64_t)k * 512 + (s * 7 + k) % 512;
                uint64_t got;
                memcpy(&got, r + l * 64, sizeof(got));
                bad += got != s;
            }
    }
    /* After a busy epoch (every chunk claimed alone, the engine taking some), idle epochs
     * must publish nothing.  The engine leaves the log words of the chunks it copies for
     * this thread to clear (isync.c owner_clears); a word not cleared would be copied
     * again, with a new version. */
    uint64_t idle_bumps = 0;
    for (uint64_t k = 0; k < 40 / scale() + 2; k++)
        cr_assert(eq(int, busy_then_idle(h.node[0], t, a, nchunks, steps + 1 + k, k, &bad, &idle_bumps),
                     0));
    cr_assert(eq(u64, idle_bumps, 0), "idle epochs published a version");
    atomic_store(&e.stop, 1);
    pthread_join(eng, NULL);
    /* every write was published above; an epoch cut short by the engine's stop copies
     * lines whose two copies are already equal */
    cr_assert(eq(u64, bad, 0), "lines missing from the epoch after their write");
    cr_assert(eq(int, memcmp(r, w, len), 0), "reader copy differs from the writer copy");
    tasvir_thread_deactivate(t);
    h_net_destroy(&h);
}

/* Two owner threads, each with an 8 MiB area (2 copy chunks), and the engine: each worker
 * also copies the other's chunks when it checks in, and leaves their log clears to that
 * owner (isync.c owner_clears).  Each worker checks that every round's writes are
 * published and that idle epochs after them publish nothing for its area. */
struct two_owner_arg {
    struct tasvir_node *node;
    struct tasvir_thread *t;
    struct tasvir_area *a;
    uint64_t id, rounds, done, bad, idle_bumps;
};

static void *two_owner_main(void *p)
{
    struct two_owner_arg *o = p;
    for (uint64_t k = 1; k <= o->rounds; k++)
        if (busy_then_idle(o->node, o->t, o->a, 2, (o->id << 32) | k, k, &o->bad,
                           &o->idle_bumps) != 0)
            return NULL;
        else
            o->done++;
    tasvir_thread_deactivate(o->t); /* the other owner's epochs go on without us */
    return NULL;
}

Test(threads, two_owners_copy_each_others_large_areas, .timeout = 300)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 1, 1, wide_window), 0));
    struct two_owner_arg o[2];
    for (unsigned i = 0; i < 2; i++) {
        struct tasvir_thread *t = h_thread(h.node[0]);
        cr_assert(not(eq(ptr, t, NULL)));
        char name[16];
        snprintf(name, sizeof(name), "owner%u", i);
        struct tasvir_area *a = h_area(t, name, 8u << 20, 1);
        cr_assert(not(eq(ptr, a, NULL)));
        o[i] = (struct two_owner_arg){
            .node = h.node[0], .t = t, .a = a, .id = i + 1, .rounds = 200 / scale() + 2};
    }
    struct engine_arg e = {.node = h.node[0]};
    pthread_t eng, w[2];
    pthread_create(&eng, NULL, engine_main, &e);
    for (unsigned i = 0; i < 2; i++)
        pthread_create(&w[i], NULL, two_owner_main, &o[i]);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    atomic_store(&e.stop, 1);
    pthread_join(eng, NULL);
    for (unsigned i = 0; i < 2; i++) {
        cr_assert(eq(u64, o[i].done, o[i].rounds), "owner %u: a check-in failed", i);
        cr_assert(eq(u64, o[i].bad, 0), "owner %u: lines missing from their epoch", i);
        cr_assert(eq(u64, o[i].idle_bumps, 0), "owner %u: idle epochs published a version", i);
        cr_assert(eq(int,
                     memcmp(tasvir_area_reader(o[i].a), tasvir_area_writer(o[i].a), 8u << 20),
                     0),
                  "owner %u: reader copy differs from the writer copy", i);
    }
    h_net_destroy(&h);
}

static void short_window(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->epoch_window_ns = 200000;
    c->exclude_after_misses = 3;
}

struct stall {
    struct tasvir_node *node;
    atomic_int phase; /* 0 run, 1 stall requested, 2 stalled, 3 resume, 4 stop */
    atomic_int readmitted;
};

static void *staller_main(void *p)
{
    struct stall *s = p;
    struct tasvir_thread *t;
    cr_assert(eq(int, tasvir_thread_register(s->node, &t), 0));
    int rc = tasvir_thread_activate(t);
    cr_assert(eq(int, rc == -EAGAIN ? tasvir_service_wait(t) : rc, 0));
    for (;;) {
        int ph = atomic_load(&s->phase);
        if (ph == 4)
            break;
        if (ph == 1) {
            atomic_store(&s->phase, 2);
            while (atomic_load(&s->phase) == 2)
                sleep_us(1000); /* "descheduled": no check-ins */
            continue;
        }
        int rc = tasvir_service_wait(t);
        if (rc == TASVIR_SERVICE_READMITTED)
            atomic_store(&s->readmitted, 1);
        sched_yield();
    }
    tasvir_thread_deactivate(t);
    return NULL;
}

Test(threads, stalled_thread_is_excluded_not_stalling_node, .timeout = 60)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 1, 1, short_window), 0));
    struct tasvir_thread *t;
    cr_assert(eq(int, tasvir_thread_register(h.node[0], &t), 0));
    cr_assert(eq(int, tasvir_thread_activate(t), 0));
    struct tasvir_area *a = h_area(t, "a", 4096, 500);
    struct engine_arg e = {.node = h.node[0]};
    struct stall s = {.node = h.node[0]};
    pthread_t eng, st_thr;
    pthread_create(&eng, NULL, engine_main, &e);
    pthread_create(&st_thr, NULL, staller_main, &s);
    uint64_t *w = tasvir_area_writer(a);
    const uint64_t *r = tasvir_area_reader(a);
    /* run, then stall the other thread, and check the node keeps publishing */
    uint64_t i = 0, t_end = tasvir_node_now_ns(h.node[0]) + 100000000ull;
    while (tasvir_node_now_ns(h.node[0]) < t_end) {
        w[0] = ++i;
        tasvir_log(a, w, 8);
        tasvir_service_wait(t);
    }
    atomic_store(&s.phase, 1);
    while (atomic_load(&s.phase) != 2)
        sched_yield();
    struct tasvir_stats before, after;
    tasvir_node_stats(h.node[0], &before);
    /* keep working until 50 epochs succeeded after the stall (bounded by the timeout) */
    do {
        w[0] = ++i;
        tasvir_log(a, w, 8);
        tasvir_service_wait(t);
        tasvir_node_stats(h.node[0], &after);
    } while (after.epochs_ok - before.epochs_ok <= 50);
    cr_assert(ge(u64, after.threads_excluded, 1), "stalled thread was not excluded");
    cr_assert(gt(u64, after.epochs_ok - before.epochs_ok, 50), "node stalled: %lu epochs",
              after.epochs_ok - before.epochs_ok);
    cr_assert(gt(u64, r[0], 0));
    atomic_store(&s.phase, 3);
    while (!atomic_load(&s.readmitted)) /* bounded by the test timeout */
        tasvir_service_wait(t);
    cr_assert(eq(int, atomic_load(&s.readmitted), 1), "stalled thread was not told it was readmitted");
    atomic_store(&s.phase, 4);
    pthread_join(st_thr, NULL);
    tasvir_thread_deactivate(t);
    atomic_store(&e.stop, 1);
    pthread_join(eng, NULL);
    tasvir_node_stats(h.node[0], &after);
    cr_assert(eq(u64, after.threads_excluded_now, 0));
    h_net_destroy(&h);
}

struct churn {
    struct tasvir_node *node;
    atomic_int stop;
    atomic_int errors;
};

static void *churn_main(void *p)
{
    struct churn *c = p;
    while (!atomic_load(&c->stop)) {
        struct tasvir_thread *t;
        if (tasvir_thread_register(c->node, &t)) {
            atomic_fetch_add(&c->errors, 1);
            break;
        }
        int rc = tasvir_thread_activate(t);
        if (rc == -EAGAIN)
            rc = tasvir_service_wait(t);
        if (rc != 0)
            atomic_fetch_add(&c->errors, 1);
        for (int i = 0; i < 50; i++)
            tasvir_service_wait(t);
        if (tasvir_thread_unregister(t))
            atomic_fetch_add(&c->errors, 1);
    }
    return NULL;
}

Test(threads, register_activate_unregister_while_syncing, .timeout = 60)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 1, 1, wide_window), 0));
    struct tasvir_thread *t;
    cr_assert(eq(int, tasvir_thread_register(h.node[0], &t), 0));
    cr_assert(eq(int, tasvir_thread_activate(t), 0));
    struct tasvir_area *a = h_area(t, "a", 4096, 20);
    struct engine_arg e = {.node = h.node[0]};
    struct churn c = {.node = h.node[0]};
    pthread_t eng, ch;
    pthread_create(&eng, NULL, engine_main, &e);
    pthread_create(&ch, NULL, churn_main, &c);
    uint64_t *w = tasvir_area_writer(a);
    uint64_t i = 0;
    struct tasvir_stats st0;
    do { /* until 200 epochs succeeded while the other thread churns (bounded by timeout) */
        w[0] = ++i;
        tasvir_log(a, w, 8);
        cr_assert(eq(int, tasvir_service_wait(t), 0));
        tasvir_node_stats(h.node[0], &st0);
    } while (st0.epochs_ok < 200);
    atomic_store(&c.stop, 1);
    pthread_join(ch, NULL);
    tasvir_thread_deactivate(t);
    atomic_store(&e.stop, 1);
    pthread_join(eng, NULL);
    struct tasvir_stats st;
    tasvir_node_stats(h.node[0], &st);
    cr_assert(eq(int, atomic_load(&c.errors), 0));
    cr_assert(ge(u64, st.epochs_ok, 200));
    cr_assert(eq(u64, ((const uint64_t *)tasvir_area_reader(a))[0] <= i, 1));
    h_net_destroy(&h);
}

/* An owner that deactivates while another thread copies a chunk of its large area and
 * leaves that chunk's log clears to it (isync.c owner_clears: decided when the copier
 * takes the chunk, while the owner is active; listed when the chunk is copied).  The
 * deactivation must wait the copy out and take the clears: listed on an inactive owner,
 * they stayed set, so the next epochs copied the lines again and published versions with
 * nothing written, and the owner's first check-in after it came back cleared them with
 * the marks of its new writes, which were never published.
 *
 * Deterministic, on the manual clock with the engine driven by hand: the copier u stops
 * inside the chunk's copy (its first read of the owner's writer copy faults on a page
 * protected for the purpose; the SIGSEGV handler waits), and lets go only once the owner
 * waits for it (the backend's relax, which the waiting owner calls) or, as before the
 * fix, once the owner's deactivation has returned. */
#define DQ_LEN (8ull << 20)   /* two chunks, above 4 MiB: clears left to the owner */
#define DQ_CHUNK (4ull << 20) /* the first chunk, whose copy stops */

static struct {
    uint8_t *lo;         /* the first chunk of the owner's writer copy */
    atomic_int blocked;  /* the copier stopped in it */
    atomic_int armed;    /* the owner is deactivating: its relax lets the copier go */
    atomic_int release;  /* the copier may go on */
    atomic_int relaxed;  /* relax calls while armed */
    const struct tasvir_backend_ops *base;
    struct tasvir_backend_ops ops; /* the loop backend's, with dq_relax */
    struct tasvir_backend be;
} dq;

static void dq_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    uint8_t *p = si->si_addr;
    if (p < dq.lo || p >= dq.lo + DQ_CHUNK) { /* a real fault: crash as it would have */
        signal(sig, SIG_DFL);
        return;
    }
    atomic_store(&dq.blocked, 1);
    while (!atomic_load(&dq.release))
        sched_yield();
    mprotect(dq.lo, DQ_CHUNK, PROT_READ | PROT_WRITE);
    errno = saved;
}

static void dq_relax(void *ctx)
{
    if (atomic_load(&dq.armed)) {
        atomic_fetch_add(&dq.relaxed, 1);
        atomic_store(&dq.release, 1);
    }
    dq.base->relax(ctx);
}

static void dq_conf(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    dq.base = c->backend->ops;
    dq.ops = *c->backend->ops;
    dq.ops.relax = dq_relax;
    dq.be = (struct tasvir_backend){.ops = &dq.ops, .ctx = c->backend->ctx};
    c->backend = &dq.be;
    c->epoch_window_ns = 50000;
}

static void *dq_copier(void *p)
{
    return (void *)(intptr_t)tasvir_service_wait(p);
}

/* Whether node n still holds an area called name (tasvir_dump lists every area it holds,
 * dying ones too). */
static bool dq_holds(struct tasvir_node *n, const char *name)
{
    char *buf = NULL, pat[64];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(not(eq(ptr, f, NULL)));
    tasvir_dump(n, f);
    fclose(f);
    snprintf(pat, sizeof(pat), " '%s' ", name);
    bool found = strstr(buf, pat) != NULL;
    free(buf);
    return found;
}

/* With `unregister`, the owner destroys the area while u copies it and unregisters: the
 * engine must then free the area (it kept it for as long as clears of it were listed,
 * which was forever once they were listed on a thread already gone). */
static void dq_case(bool unregister)
{
    atomic_store(&dq.blocked, 0);
    atomic_store(&dq.armed, 0);
    atomic_store(&dq.release, 0);
    atomic_store(&dq.relaxed, 0);
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, dq_conf), 0)); /* manual clock */
    struct tasvir_node *n = h.node[0];
    struct tasvir_thread *o = h_thread(n), *u = h_thread(n);
    struct tasvir_thread *both[2] = {o, u};
    struct tasvir_area *a = h_area(o, "big", DQ_LEN, 1000000);
    cr_assert(not(eq(ptr, a, NULL)));
    cr_assert(ge(int, h_settle(n, both, 2, 100), 0));
    uint8_t *w = tasvir_area_writer(a);
    /* a line in each group (32 KiB) of both chunks: each chunk is claimed alone */
    for (uint64_t off = 0; off < DQ_LEN; off += 32768) {
        w[off + 64] = 1;
        cr_assert(eq(int, tasvir_log(a, w + off + 64, 1), 0));
    }
    dq.lo = w;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = dq_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    cr_assert(eq(int, sigaction(SIGSEGV, &sa, &old), 0));
    cr_assert(eq(int, mprotect(w, DQ_CHUNK, PROT_NONE), 0));

    cr_assert(eq(int, tasvir_node_sync_now(n), 0));
    cr_assert(eq(int, tasvir_node_poll(n, NULL), -EAGAIN)); /* CHECKIN */
    cr_assert(eq(int, tasvir_service(o), -EAGAIN));          /* o arrives first */
    pthread_t th;
    pthread_create(&th, NULL, dq_copier, u); /* u arrives last, takes the first chunk */
    while (!atomic_load(&dq.blocked))
        sched_yield();
    if (unregister)
        cr_assert(eq(int, tasvir_area_destroy(a), 0));
    atomic_store(&dq.armed, 1);
    cr_assert(eq(int, unregister ? tasvir_thread_unregister(o) : tasvir_thread_deactivate(o), 0));
    atomic_store(&dq.armed, 0);
    atomic_store(&dq.release, 1); /* if the call did not wait for u */
    void *urc;
    pthread_join(th, &urc);
    cr_assert(eq(int, (int)(intptr_t)urc, TASVIR_SERVICE_OK));
    cr_assert(eq(int, sigaction(SIGSEGV, &old, NULL), 0));
    /* (a plain test: Criterion 2.4's gt() passes equal values) */
    int relaxed = atomic_load(&dq.relaxed);

    if (unregister) {
        for (int e = 0; e < 2; e++) { /* epochs end: the engine reaps */
            cr_assert(eq(int, tasvir_node_sync_now(n), 0));
            cr_assert(ge(int, h_settle(n, &u, 1, 100), 0));
        }
        cr_assert(not(dq_holds(n, "big")), "the destroyed area was never freed");
        cr_assert(relaxed > 0, "the unregistration did not wait for the copy");
        h_net_destroy(&h);
        return;
    }
    uint64_t v = tasvir_area_version(a);
    cr_assert(eq(u64, v, 1));

    /* epochs without the owner: nothing was written, nothing is copied or published */
    struct tasvir_stats s0, s1;
    tasvir_node_stats(n, &s0);
    for (int e = 0; e < 2; e++) {
        cr_assert(eq(int, tasvir_node_sync_now(n), 0));
        cr_assert(ge(int, h_settle(n, &u, 1, 100), 0));
    }
    tasvir_node_stats(n, &s1);
    cr_assert(eq(u64, s1.bytes_changed - s0.bytes_changed, 0), "log words left set");
    cr_assert(eq(u64, tasvir_area_version(a), v), "a version with nothing written");

    /* the owner comes back and writes: published */
    int rc = tasvir_thread_activate(o);
    cr_assert(rc == 0 || rc == -EAGAIN);
    cr_assert(ge(int, h_settle(n, both, 2, 100), 0));
    w[64] = 42;
    cr_assert(eq(int, tasvir_log(a, w + 64, 1), 0));
    for (int e = 0; e < 2; e++) {
        cr_assert(eq(int, tasvir_node_sync_now(n), 0));
        cr_assert(ge(int, h_settle(n, both, 2, 100), 0));
    }
    cr_assert(eq(u64, tasvir_area_version(a), v + 1));
    cr_assert(eq(int, ((const uint8_t *)tasvir_area_reader(a))[64], 42), "the owner's write was lost");
    cr_assert(eq(int, memcmp(tasvir_area_reader(a), w, DQ_LEN), 0));
    /* and it did so by waiting: u went on only when the deactivating owner relaxed */
    cr_assert(relaxed > 0, "the deactivation did not wait for the copy");
    h_net_destroy(&h);
}

Test(threads, deactivate_while_copier_defers_clears, .timeout = 60)
{
    dq_case(false);
}

Test(threads, unregister_while_copier_defers_clears, .timeout = 60)
{
    dq_case(true);
}

/* A thread the epochs do not wait for (not registered) asks tasvir_area_info and
 * tasvir_area_get_sync ("any thread, any time") of a reader handle while the owner
 * destroys its area.  The accessors checked the handle's magic, then dereferenced its area
 * pointer, which the destroy clears in between: a NULL dereference (SIGSEGV within a
 * second here).  Now they load the pointer once, under the node's lock. */
struct monitor {
    struct tasvir_area *_Atomic cur;
    atomic_int stop;
    atomic_ullong calls, destroyed, errors;
};

static void *monitor_main(void *p)
{
    struct monitor *m = p;
    while (!atomic_load(&m->stop)) {
        struct tasvir_area *r = atomic_load(&m->cur);
        if (!r)
            continue;
        for (int i = 0; i < 64; i++) {
            struct tasvir_area_info inf;
            uint64_t iv = 0;
            int rc = tasvir_area_info(r, &inf), rc2 = tasvir_area_get_sync(r, &iv, NULL);
            if ((rc != 0 && rc != TASVIR_EDESTROYED) || (rc2 != 0 && rc2 != TASVIR_EDESTROYED) ||
                (rc2 == 0 && iv != 1000) || (rc == 0 && inf.len_bytes != 64)) {
                if (atomic_fetch_add(&m->errors, 1) == 0)
                    fprintf(stderr, "info -> %d (len %llu), get_sync -> %d (%llu us)\n", rc,
                            (unsigned long long)inf.len_bytes, rc2, (unsigned long long)iv);
            }
            atomic_fetch_add_explicit(&m->calls, 1, memory_order_relaxed);
            if (rc == TASVIR_EDESTROYED) {
                atomic_fetch_add(&m->destroyed, 1);
                break;
            }
        }
    }
    return NULL;
}

Test(threads, info_races_destroy, .timeout = 120)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_node *n = h.node[0];
    struct tasvir_thread *ts[2] = {h_thread(n), h_thread(n)};
    struct monitor m = {0};
    pthread_t th;
    pthread_create(&th, NULL, monitor_main, &m);
    /* a few seconds of create / attach / destroy cycles (the crash came within one) */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned c = 0;
    for (;; c++) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= 3)
            break;
        char name[32];
        snprintf(name, sizeof(name), "race%u", c);
        struct tasvir_area *a = h_area(ts[0], name, 64, 1000), *r = NULL;
        cr_assert(not(eq(ptr, a, NULL)));
        cr_assert(eq(int, tasvir_area_attach(ts[1], name, &r), 0));
        atomic_store(&m.cur, r);
        for (volatile int k = 0; k < 200; k++)
            ;
        cr_assert(eq(int, tasvir_area_destroy(a), 0));
        for (volatile int k = 0; k < 200; k++)
            ;
        atomic_store(&m.cur, NULL);
        /* let the engine reclaim it (after an epoch that completes) */
        tasvir_loop_net_advance(h.net, 2000000);
        cr_assert(ge(int, h_settle(n, ts, 2, 100), 0));
    }
    atomic_store(&m.stop, 1);
    pthread_join(th, NULL);
    cr_assert(eq(u64, (uint64_t)atomic_load(&m.errors), 0));
    cr_assert(gt(u64, (uint64_t)atomic_load(&m.calls), 0));
    fprintf(stderr, "info_races_destroy: %u cycles, %llu calls, %llu saw the destroy\n", c,
            (unsigned long long)atomic_load(&m.calls), (unsigned long long)atomic_load(&m.destroyed));
    h_net_destroy(&h);
}

/*
 * test_isync.c — internal synchronization on one node, driven single-threaded on the
 * manual clock so every step is deterministic.
 *
 * Covers: version monotonicity and "bump only on change", publish timestamps, interval
 * scheduling and changes in both directions, failed epochs keep their changes and are
 * retried after the retry delay (not a full interval), late-thread exclusion, frozen areas
 * of an excluded owner and readmission, deactivation during check-in, deactivation and
 * unregistration during the COPY phase (they wait it out, copying), activation during an
 * epoch (also by a thread that left that epoch, deactivating), forced sync (and its
 * retry, forced again, when it fails), an epoch with no active thread (the engine copies
 * alone), dense words left set and compared, and the copy of
 * random dirty patterns (isolated lines, runs, full words) in areas of each size band of
 * the copy, with the default and the baseline line copies, and chunk claims over idle,
 * sparse and busy 4 MiB chunks of a 40 MiB area.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "harness.h"

#define US 1000ull
#define MS 1000000ull

static void small_window(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->epoch_window_ns = 50 * US;
    c->epoch_retry_ns = 20 * US;
    c->exclude_after_misses = 3;
}

/* small_window with the baseline line copies (16-byte moves on x86-64), for the copy
 * tests to run both ways on a machine whose default is AVX-512 */
static void small_window_baseline(struct tasvir_node_conf *c, unsigned i)
{
    small_window(c, i);
    c->copy_isa = TASVIR_COPY_BASELINE;
}

/* small_window with the AVX-512F listing, for the copy tests to run it too on a machine
 * whose default lists with VBMI2 */
static void small_window_avx512(struct tasvir_node_conf *c, unsigned i)
{
    small_window(c, i);
    c->copy_isa = TASVIR_COPY_AVX512;
}

static void write_line(struct tasvir_area *a, uint64_t line, uint64_t val)
{
    uint64_t *w = (uint64_t *)((uint8_t *)tasvir_area_writer(a) + line * 64);
    w[0] = val;
    cr_assert(eq(int, tasvir_log(a, w, 8), 0));
}

static uint64_t read_line(struct tasvir_area *a, uint64_t line)
{
    return ((const uint64_t *)((const uint8_t *)tasvir_area_reader(a) + line * 64))[0];
}

Test(isync, versions_monotonic_and_bumped_only_on_change, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 4096, 1000);
    cr_assert(eq(u64, tasvir_area_version(a), 0));
    cr_assert(eq(u64, tasvir_area_pub_ns(a), 0));
    uint64_t prev = 0;
    for (int i = 1; i <= 50; i++) {
        int change = i % 3 != 0;
        if (change)
            write_line(a, (uint64_t)i % 64, (uint64_t)i);
        tasvir_loop_net_advance(h.net, 1 * MS);
        uint64_t now = tasvir_loop_net_now(h.net);
        cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
        uint64_t v = tasvir_area_version(a);
        cr_assert(eq(u64, v, prev + (uint64_t)change), "epoch %d: version %lu prev %lu", i, v, prev);
        if (change) {
            cr_assert(eq(u64, tasvir_area_pub_ns(a), now));
            cr_assert(eq(u64, read_line(a, (uint64_t)i % 64), (uint64_t)i));
        }
        prev = v;
    }
    struct tasvir_stats st;
    tasvir_node_stats(h.node[0], &st);
    cr_assert(ge(u64, st.versions_published, prev)); /* plus the node's system areas */
    cr_assert(eq(u64, st.epochs_failed, 0));
    h_net_destroy(&h);
}

Test(isync, nothing_visible_before_epoch, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 4096, 1000);
    write_line(a, 3, 42);
    tasvir_loop_net_advance(h.net, 999 * US);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    cr_assert(eq(u64, read_line(a, 3), 0), "published before the interval elapsed");
    tasvir_loop_net_advance(h.net, 1 * US);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    cr_assert(eq(u64, read_line(a, 3), 42));
    h_net_destroy(&h);
}

/* Advance in steps of `step` until the area's version changes; return elapsed ns. */
static uint64_t time_to_publish(struct h_net *h, struct tasvir_thread *t, struct tasvir_area *a,
                                uint64_t step, uint64_t limit)
{
    uint64_t v0 = tasvir_area_version(a), start = tasvir_loop_net_now(h->net);
    while (tasvir_area_version(a) == v0) {
        tasvir_loop_net_advance(h->net, step);
        h_settle(h->node[0], &t, 1, 100);
        if (tasvir_loop_net_now(h->net) - start > limit)
            return UINT64_MAX;
    }
    return tasvir_loop_net_now(h->net) - start;
}

Test(isync, interval_changes_both_ways, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 4096, 10000); /* 10 ms */
    write_line(a, 0, 1);
    cr_assert(eq(u64, time_to_publish(&h, t, a, 100 * US, 50 * MS), 10 * MS));
    /* lower to 1 ms: takes effect at once, not after the old 10 ms */
    cr_assert(eq(int, tasvir_area_set_sync(a, 1000, 0), 0));
    write_line(a, 0, 2);
    cr_assert(eq(u64, time_to_publish(&h, t, a, 100 * US, 50 * MS), 1 * MS));
    write_line(a, 0, 3);
    cr_assert(eq(u64, time_to_publish(&h, t, a, 100 * US, 50 * MS), 1 * MS));
    /* raise to 20 ms: the next sync is the next multiple of 20 ms on the clock (t = 1012 ms
     * now: 1020 ms), then every 20 ms */
    cr_assert(eq(int, tasvir_area_set_sync(a, 20000, 0), 0));
    write_line(a, 0, 4);
    cr_assert(eq(u64, time_to_publish(&h, t, a, 100 * US, 100 * MS), 8 * MS));
    write_line(a, 0, 5);
    cr_assert(eq(u64, time_to_publish(&h, t, a, 100 * US, 100 * MS), 20 * MS));
    uint64_t iv = 0, ev = 0;
    cr_assert(eq(int, tasvir_area_get_sync(a, &iv, &ev), 0));
    cr_assert(eq(u64, iv, 20000));
    cr_assert(eq(int, tasvir_area_set_sync(a, 0, 5000), 0));
    cr_assert(eq(int, tasvir_area_get_sync(a, &iv, &ev), 0));
    cr_assert(eq(u64, iv, 20000));
    cr_assert(eq(u64, ev, 5000));
    h_net_destroy(&h);
}

Test(isync, per_area_intervals, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *fast = h_area(t, "fast", 4096, 1000);
    struct tasvir_area *slow = h_area(t, "slow", 4096, 5000);
    for (int ms = 1; ms <= 10; ms++) {
        write_line(fast, 0, (uint64_t)ms);
        write_line(slow, 0, (uint64_t)ms);
        tasvir_loop_net_advance(h.net, 1 * MS);
        cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
        cr_assert(eq(u64, read_line(fast, 0), (uint64_t)ms));
        cr_assert(eq(u64, read_line(slow, 0), (uint64_t)(ms / 5 * 5)), "slow area at %d ms", ms);
    }
    cr_assert(eq(u64, tasvir_area_version(fast), 10));
    cr_assert(eq(u64, tasvir_area_version(slow), 2));
    h_net_destroy(&h);
}

/* The epoch in check-in fails: t arrives, the node's other counted thread does not, and
 * the window (50 us) expires; t is released.  *st: the node's counters afterwards. */
static void miss_window(struct h_net *h, struct tasvir_thread *t, struct tasvir_stats *st)
{
    cr_assert(eq(int, tasvir_service(t), -EAGAIN)); /* t waits for the other thread */
    tasvir_loop_net_advance(h->net, 51 * US);        /* the window expires */
    tasvir_node_poll(h->node[0], NULL);
    cr_assert(eq(int, tasvir_service(t), 0), "aborted epoch must release t");
    tasvir_node_stats(h->node[0], st);
    cr_assert(eq(u64, st->epochs_failed, 1));
}

/* One node (small_window) with two active threads, t and late. */
static void two_threads(struct h_net *h, struct tasvir_thread **t, struct tasvir_thread **late)
{
    cr_assert(eq(int, h_net_create(h, 1, 0, 1, small_window), 0));
    *t = h_thread(h->node[0]);
    *late = h_thread(h->node[0]);
    cr_assert(not(eq(ptr, *t, NULL)));
    cr_assert(not(eq(ptr, *late, NULL)));
}

Test(isync, failed_epoch_keeps_changes_and_retries_promptly, .timeout = 10)
{
    struct h_net h;
    struct tasvir_thread *t, *late;
    two_threads(&h, &t, &late);
    struct tasvir_area *a = h_area(t, "a", 64 * 1024, 10000);
    for (uint64_t l = 0; l < 1024; l += 7)
        write_line(a, l, l + 1);
    tasvir_loop_net_advance(h.net, 10 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* epoch starts */
    struct tasvir_stats st;
    miss_window(&h, t, &st);
    cr_assert(eq(u64, st.epochs_ok, 0));
    cr_assert(eq(u64, tasvir_area_version(a), 0));
    cr_assert(eq(u64, read_line(a, 7), 0));
    /* retry after epoch_retry_ns (20 us), not after another 10 ms interval */
    tasvir_loop_net_advance(h.net, 19 * US);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0));
    tasvir_loop_net_advance(h.net, 1 * US);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN));
    struct tasvir_thread *both[2] = {t, late};
    cr_assert(ge(int, h_settle(h.node[0], both, 2, 100), 0));
    tasvir_node_stats(h.node[0], &st);
    cr_assert(eq(u64, st.epochs_ok, 1));
    cr_assert(eq(u64, tasvir_area_version(a), 1));
    for (uint64_t l = 0; l < 1024; l++)
        cr_assert(eq(u64, read_line(a, l), l % 7 == 0 ? l + 1 : 0));
    h_net_destroy(&h);
}

/* Times read on different threads need not be ordered (a thread may read the clock just
 * before another's later reading reaches it; a TSC read without a fence may read early):
 * an epoch whose start lies a little after the clock as read by the next poll and by the
 * last thread to check in neither times out at once nor counts centuries of epoch. */
Test(isync, clock_read_behind_the_epoch_start, .timeout = 10)
{
    struct h_net h;
    struct tasvir_thread *t, *late;
    two_threads(&h, &t, &late);
    struct tasvir_area *a = h_area(t, "a", 64 * 1024, 10000);
    write_line(a, 3, 4);
    tasvir_loop_net_advance(h.net, 10 * MS);
    uint64_t start = tasvir_loop_net_now(h.net);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* epoch starts */
    tasvir_loop_net_set_time(h.net, start - 200);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* still checking in */
    cr_assert(eq(int, tasvir_service(t), -EAGAIN));
    cr_assert(ge(int, tasvir_service(late), 0)); /* the last arrival copies and publishes */
    struct tasvir_stats st;
    tasvir_node_stats(h.node[0], &st);
    cr_assert(eq(u64, st.epochs_failed, 0));
    cr_assert(eq(u64, st.epochs_ok, 1));
    cr_assert(eq(u64, st.epoch_ns, 0), "an epoch of %" PRIu64 " ns", st.epoch_ns);
    cr_assert(eq(u64, st.barrier_ns, 0));
    cr_assert(eq(u64, tasvir_area_version(a), 1));
    cr_assert(eq(u64, read_line(a, 3), 4));
    h_net_destroy(&h);
}

/* A forced epoch (tasvir_node_sync_now) for an area that is not due for a long time
 * fails: the retry after the retry delay must be forced too, or the area would wait for
 * its interval (here 1 s) and the caller of sync_now for nothing. */
Test(isync, failed_forced_epoch_is_retried_forced, .timeout = 10)
{
    struct h_net h;
    struct tasvir_thread *t, *late;
    two_threads(&h, &t, &late);
    struct tasvir_thread *both[2] = {t, late};
    /* publish the node area's first heartbeat write so that nothing is due for 10 ms */
    tasvir_node_sync_now(h.node[0]);
    cr_assert(ge(int, h_settle(h.node[0], both, 2, 100), 0));
    struct tasvir_area *a = h_area(t, "a", 64 * 1024, 1000000);
    write_line(a, 5, 55);
    cr_assert(eq(int, tasvir_node_sync_now(h.node[0]), 0));
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* forced epoch starts */
    struct tasvir_stats st;
    miss_window(&h, t, &st);
    cr_assert(eq(u64, tasvir_area_version(a), 0));
    /* the engine's next work is the retry, 20 us on (not the heartbeat 10 ms on) */
    uint64_t next = 0;
    cr_assert(eq(int, tasvir_node_poll(h.node[0], &next), 0));
    cr_assert(eq(u64, next, tasvir_loop_net_now(h.net) + 20 * US));
    tasvir_loop_net_advance(h.net, 19 * US);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0), "no retry before the delay");
    tasvir_loop_net_advance(h.net, 1 * US);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN), "the retry starts");
    cr_assert(ge(int, h_settle(h.node[0], both, 2, 100), 0));
    cr_assert(eq(u64, tasvir_area_version(a), 1), "the retry was forced: the area synced");
    cr_assert(eq(u64, read_line(a, 5), 55));
    /* one retry, no more: the next epoch waits for a due area again */
    cr_assert(eq(int, tasvir_node_poll(h.node[0], &next), 0));
    cr_assert(gt(u64, next, tasvir_loop_net_now(h.net) + 1 * MS));
    h_net_destroy(&h);
}

/* A node with two threads, t and late, owning 4 KiB areas a (1 ms interval) and b
 * (b_int_us) with line 0 written (11 and 22); late never checks in, misses three windows
 * of a's epochs and is excluded. */
struct excluded {
    struct h_net h;
    struct tasvir_thread *t, *late;
    struct tasvir_area *a, *b;
};

static void exclude_late(struct excluded *x, uint64_t b_int_us)
{
    cr_assert(eq(int, h_net_create(&x->h, 1, 0, 1, small_window), 0));
    struct tasvir_node *n = x->h.node[0];
    x->t = h_thread(n);
    x->late = h_thread(n);
    x->a = h_area(x->t, "a", 4096, 1000);
    x->b = h_area(x->late, "b", 4096, b_int_us);
    write_line(x->a, 0, 11);
    write_line(x->b, 0, 22);
    tasvir_loop_net_advance(x->h.net, 1 * MS);
    for (int i = 0; i < 3; i++) {
        cr_assert(eq(int, tasvir_node_poll(n, NULL), -EAGAIN), "attempt %d", i);
        tasvir_service(x->t);
        tasvir_loop_net_advance(x->h.net, 51 * US);
        tasvir_node_poll(n, NULL);
        tasvir_service(x->t);
        tasvir_loop_net_advance(x->h.net, 20 * US);
    }
    struct tasvir_stats st;
    tasvir_node_stats(n, &st);
    cr_assert(eq(u64, st.epochs_failed, 3));
    cr_assert(eq(u64, st.threads_excluded, 1));
    cr_assert(eq(u64, st.threads_excluded_now, 1));
}

/* The next epoch goes on without late: a is published, b (frozen) is not. */
static void expect_b_frozen(struct excluded *x)
{
    cr_assert(ge(int, h_settle(x->h.node[0], &x->t, 1, 100), 0));
    cr_assert(eq(u64, read_line(x->a, 0), 11));
    cr_assert(eq(u64, read_line(x->b, 0), 0), "an excluded owner's area must not be copied");
}

Test(isync, late_thread_excluded_frozen_and_readmitted, .timeout = 10)
{
    struct excluded x;
    exclude_late(&x, 1000);
    expect_b_frozen(&x);
    /* it comes back: told it was readmitted; b gets published at the next epoch */
    cr_assert(eq(int, tasvir_service(x.late), TASVIR_SERVICE_READMITTED));
    cr_assert(eq(int, tasvir_service(x.late), TASVIR_SERVICE_OK));
    struct tasvir_stats st;
    tasvir_node_stats(x.h.node[0], &st);
    cr_assert(eq(u64, st.threads_excluded_now, 0));
    cr_assert(eq(u64, st.threads_readmitted, 1));
    tasvir_loop_net_advance(x.h.net, 1 * MS);
    struct tasvir_thread *both[2] = {x.t, x.late};
    cr_assert(ge(int, h_settle(x.h.node[0], both, 2, 100), 0));
    cr_assert(eq(u64, read_line(x.b, 0), 22));
    h_net_destroy(&x.h);
}

/* tasvir_node_sync_now while an owner is excluded: the forced epoch goes on without its
 * frozen area, and the area is synced as soon as the owner is back, not when its interval
 * (here 1000 s) comes. */
Test(isync, forced_epoch_syncs_frozen_area_once_owner_is_back, .timeout = 10)
{
    struct excluded x;
    exclude_late(&x, 1000000000);
    tasvir_node_sync_now(x.h.node[0]);
    expect_b_frozen(&x);
    cr_assert(eq(u64, tasvir_area_version(x.b), 0));
    /* late is back: b is synced by the next epochs, with no new request */
    cr_assert(eq(int, tasvir_service(x.late), TASVIR_SERVICE_READMITTED));
    tasvir_loop_net_advance(x.h.net, 100 * US); /* past the engine's back-off (epoch_retry_ns) */
    struct tasvir_thread *both[2] = {x.t, x.late};
    cr_assert(ge(int, h_settle(x.h.node[0], both, 2, 100), 0));
    cr_assert(eq(u64, read_line(x.b, 0), 22), "the frozen area was not synced after its owner's return");
    cr_assert(eq(u64, tasvir_area_version(x.b), 1));
    h_net_destroy(&x.h);
}

Test(isync, deactivate_during_checkin_lets_epoch_finish, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_thread *u = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 4096, 1000);
    write_line(a, 1, 5);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN));
    cr_assert(eq(int, tasvir_service(t), -EAGAIN));
    cr_assert(eq(int, tasvir_thread_deactivate(u), 0));
    cr_assert(eq(int, tasvir_service(t), 0));
    cr_assert(eq(u64, read_line(a, 1), 5));
    cr_assert(eq(int, tasvir_service(u), TASVIR_ENOTACTIVE));
    h_net_destroy(&h);
}

Test(isync, activate_during_epoch_waits_it_out, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_thread *u = NULL;
    cr_assert(eq(int, tasvir_thread_register(h.node[0], &u), 0));
    struct tasvir_area *a = h_area(t, "a", 4096, 1000);
    write_line(a, 1, 5);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN));
    cr_assert(eq(int, tasvir_thread_activate(u), -EAGAIN));
    cr_assert(eq(int, tasvir_service(u), -EAGAIN), "must not touch areas while the epoch runs");
    cr_assert(eq(int, tasvir_service(t), 0)); /* t alone was counted: epoch completes */
    cr_assert(eq(int, tasvir_service(u), 0));
    cr_assert(eq(u64, read_line(a, 1), 5));
    /* from now on u is counted */
    write_line(a, 1, 6);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN));
    cr_assert(eq(int, tasvir_service(t), -EAGAIN));
    cr_assert(eq(int, tasvir_service(u), 0));
    cr_assert(eq(int, tasvir_service(t), 0));
    cr_assert(eq(u64, read_line(a, 1), 6));
    h_net_destroy(&h);
}

/* Deactivation waits out the COPY phase of an epoch the thread checked in to (tasvir.h),
 * whether or not copiers have listed log clears for it yet, and copies meanwhile: here
 * the engine leaves t's area to t (leave_to_owner) and no thread is copying, so the epoch
 * ends only because t copies in its deactivation.  (It used to return at once when no
 * clears were listed yet; a copier that had decided to leave clears to t then listed them
 * on an inactive thread, see test_threads.c deactivate_while_copier_defers_clears.)  The
 * same for unregistration, by a thread that owns nothing. */
static void deactivate_in_copy_case(bool unregister)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_thread *u = h_thread(h.node[0]);
    struct tasvir_thread *w = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 64 * 1024, 1000);
    write_line(a, 3, 31);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* CHECKIN */
    cr_assert(eq(int, tasvir_service(t), -EAGAIN));
    cr_assert(eq(int, tasvir_service(w), -EAGAIN));
    cr_assert(eq(int, tasvir_thread_deactivate(u), 0)); /* the last to arrive: COPY */
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN), "left to the owner");
    cr_assert(eq(u64, tasvir_area_version(a), 0));
    struct tasvir_thread *leaving = unregister ? w : t;
    cr_assert(eq(int, unregister ? tasvir_thread_unregister(leaving) : tasvir_thread_deactivate(leaving), 0));
    cr_assert(eq(u64, tasvir_area_version(a), 1), "%s returned before the epoch it checked in to was copied",
              unregister ? "unregister" : "deactivate");
    cr_assert(eq(u64, read_line(a, 3), 31));
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0));
    if (!unregister) {
        cr_assert(eq(int, tasvir_service(t), TASVIR_ENOTACTIVE));
        cr_assert(eq(int, tasvir_service(w), 0));
    } else {
        cr_assert(eq(int, tasvir_service(t), 0));
        cr_assert(eq(int, tasvir_service(w), TASVIR_EDESTROYED));
    }
    h_net_destroy(&h);
}

Test(isync, deactivate_during_copy_waits_it_out, .timeout = 10)
{
    deactivate_in_copy_case(false);
}

Test(isync, unregister_during_copy_waits_it_out, .timeout = 10)
{
    deactivate_in_copy_case(true);
}

/* A thread that deactivates during an epoch it was counted in (arriving on its way out)
 * and activates again before the epoch ends must wait the epoch out like any thread that
 * joins during one: activate returns -EAGAIN, and tasvir_service keeps returning -EAGAIN
 * through the COPY phase, so the thread cannot write while its areas are being copied
 * (it used to get 0 from both and write into the version being copied). */
Test(isync, reactivate_within_epoch_waits_it_out, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *o = h_thread(h.node[0]);
    struct tasvir_thread *u = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(o, "a", 4096, 1000);
    write_line(a, 0, 1);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* CHECKIN */
    cr_assert(eq(int, tasvir_thread_deactivate(o), 0));              /* o arrives, leaves */
    cr_assert(eq(int, tasvir_thread_activate(o), -EAGAIN), "activate during an epoch in progress");
    cr_assert(eq(int, tasvir_service(o), -EAGAIN));
    cr_assert(eq(int, tasvir_thread_activate(o), -EAGAIN), "already active, still waiting");
    cr_assert(eq(int, tasvir_thread_deactivate(u), 0)); /* u arrives last: COPY */
    cr_assert(eq(int, tasvir_service(o), -EAGAIN), "o let back into area memory during the COPY phase");
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* left to o for 2 us */
    tasvir_loop_net_advance(h.net, 3 * US);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0), "the engine copies");
    cr_assert(eq(u64, tasvir_area_version(a), 1));
    cr_assert(eq(u64, read_line(a, 0), 1));
    cr_assert(eq(int, tasvir_service(o), 0), "the epoch is over");
    /* o is counted again from the next epoch on, and its writes are published */
    write_line(a, 0, 2);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN));
    cr_assert(eq(int, tasvir_service(o), 0), "o alone is counted: it copies and leaves");
    cr_assert(eq(u64, tasvir_area_version(a), 2));
    cr_assert(eq(u64, read_line(a, 0), 2));
    h_net_destroy(&h);
}

/* The engine leaves an area of one chunk to its checked-in owner for the first 2 us after
 * the last check-in (isync.c leave_to_owner), and copies larger areas' chunks at once.
 * Here the last thread to arrive, u, arrives on its way out (deactivation) and copies
 * nothing, so the engine's poll is the first to see the chunks. */
static void leave_case(uint64_t len, bool engine_copies_at_once, bool owner_copies)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_thread *u = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", len, 1000);
    write_line(a, 1, 11);
    write_line(a, len / 64 - 1, 12);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN)); /* the epoch starts */
    cr_assert(eq(int, tasvir_service(t), -EAGAIN));                  /* t arrives */
    cr_assert(eq(int, tasvir_thread_deactivate(u), 0));               /* u arrives: COPY */
    if (engine_copies_at_once) {
        cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0), "the engine copies at once");
    } else {
        cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN), "left to the owner");
        cr_assert(eq(u64, tasvir_area_version(a), 0));
        cr_assert(eq(u64, read_line(a, 1), 0));
        if (owner_copies) {
            cr_assert(eq(int, tasvir_service(t), 0), "the owner copies its area");
        } else {
            tasvir_loop_net_advance(h.net, 1 * US);
            cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN), "still left at 1 us");
            tasvir_loop_net_advance(h.net, 1 * US);
            cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0), "the engine copies at 2 us");
        }
    }
    cr_assert(eq(u64, tasvir_area_version(a), 1));
    cr_assert(eq(u64, read_line(a, 1), 11));
    cr_assert(eq(u64, read_line(a, len / 64 - 1), 12));
    cr_assert(ge(int, tasvir_service(t), 0));
    h_net_destroy(&h);
}

Test(isync, engine_leaves_one_chunk_area_to_its_owner_briefly, .timeout = 10)
{
    leave_case(64 * 1024, false, true);  /* the owner copies */
    leave_case(4ull << 20, false, false); /* one chunk; the owner does not come: the engine */
    leave_case(8ull << 20, true, false);  /* two chunks: the engine copies at once */
}

Test(isync, sync_now_and_engine_alone, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 4096, 1000000);
    write_line(a, 2, 9);
    cr_assert(eq(int, tasvir_thread_deactivate(t), 0));
    cr_assert(eq(int, tasvir_node_sync_now(h.node[0]), 0));
    /* no active thread: the engine copies on its own in one poll */
    cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), 0));
    cr_assert(eq(u64, read_line(a, 2), 9));
    cr_assert(eq(u64, tasvir_area_version(a), 1));
    h_net_destroy(&h);
}

Test(isync, poll_reports_next_due, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    uint64_t next = 0;
    /* publish the node area's first heartbeat write so only our area is due later */
    tasvir_node_sync_now(h.node[0]);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    cr_assert(eq(int, tasvir_node_poll(h.node[0], &next), 0));
    cr_assert(eq(u64, next, tasvir_loop_net_now(h.net) + 10 * MS), "next: the heartbeat");
    uint64_t now = tasvir_loop_net_now(h.net);
    cr_assert(not(eq(ptr, h_area(t, "a", 4096, 2000), NULL)));
    cr_assert(eq(int, tasvir_node_poll(h.node[0], &next), 0));
    cr_assert(eq(u64, next, now + 2 * MS));
    tasvir_loop_net_advance(h.net, 2 * MS);
    cr_assert(eq(int, tasvir_node_poll(h.node[0], &next), -EAGAIN));
    cr_assert(eq(u64, next, now + 2 * MS + 50 * US), "in check-in: next is the window end");
    h_net_destroy(&h);
}

Test(isync, large_area_many_chunks, .timeout = 30)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    uint64_t len = 40ull << 20; /* 10 chunks of 4 MiB */
    struct tasvir_area *a = h_area(t, "big", len, 1000);
    uint64_t lines = len / 64;
    for (uint64_t l = 0; l < lines; l += 4099)
        write_line(a, l, l ^ 0x5555);
    write_line(a, lines - 1, 77);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    for (uint64_t l = 0; l < lines; l += 4099)
        cr_assert(eq(u64, read_line(a, l), l ^ 0x5555));
    cr_assert(eq(u64, read_line(a, lines - 1), 77));
    cr_assert(eq(u64, read_line(a, 1), 0));
    h_net_destroy(&h);
}

/* One copier claims consecutive chunks until their summaries mark 16 groups (isync.c
 * claim_span): idle chunks are taken along with the next busy one, busy chunks alone.
 * Every pattern of idle, sparse and busy chunks must still copy every logged line exactly
 * once per epoch, with one version bump, and an idle epoch must copy nothing. */
Test(isync, chunk_claims_over_idle_and_busy_chunks, .timeout = 60)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    const uint64_t chunk_lines = (4ull << 20) / 64, nchunks = 10;
    struct tasvir_area *a = h_area(t, "claims", nchunks * chunk_lines * 64, 1000);
    cr_assert(not(eq(ptr, a, NULL)));
    /* per epoch: lines written in each chunk (0 idle; 1 one line; 64 lines spread over 64
     * groups, i.e. busy) */
    static const unsigned pattern[][10] = {
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 1},           /* all idle but the last */
        {64, 0, 0, 1, 0, 64, 0, 0, 0, 1},         /* busy, idle run, sparse, busy, ... */
        {64, 64, 64, 64, 64, 64, 64, 64, 64, 64}, /* all busy */
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},           /* sparse: under 16 groups each */
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},           /* idle */
    };
    uint64_t stamp = 1;
    for (unsigned e = 0; e < sizeof(pattern) / sizeof(pattern[0]); e++) {
        uint64_t v0 = tasvir_area_version(a), written = 0;
        for (uint64_t c = 0; c < nchunks; c++)
            for (unsigned k = 0; k < pattern[e][c]; k++) {
                /* one line per group of 512 lines, at a different offset each epoch */
                uint64_t l = c * chunk_lines + (uint64_t)k * 512 + (e * 37 + k) % 512;
                write_line(a, l, stamp + l);
                written++;
            }
        tasvir_loop_net_advance(h.net, 1 * MS);
        cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
        cr_assert(eq(u64, tasvir_area_version(a), v0 + (written ? 1 : 0)), "epoch %u", e);
        for (uint64_t c = 0; c < nchunks; c++)
            for (unsigned k = 0; k < pattern[e][c]; k++) {
                uint64_t l = c * chunk_lines + (uint64_t)k * 512 + (e * 37 + k) % 512;
                cr_assert(eq(u64, read_line(a, l), stamp + l), "epoch %u chunk %lu line %lu", e,
                          (unsigned long)c, (unsigned long)l);
            }
        cr_assert(eq(int,
                     memcmp(tasvir_area_reader(a), tasvir_area_writer(a),
                            nchunks * chunk_lines * 64),
                     0),
                  "epoch %u: reader copy differs from the writer's", e);
        stamp += 1000000;
    }
    h_net_destroy(&h);
}

/* Dense words: a 64-line word (of an area of 1 to 4 MiB) of which at least 40 lines were
 * dirty stays set after the epoch, and the next epoch copies the lines of it whose bytes
 * differ.  Step by step: versions, the reader copy and bytes_changed; a logged rewrite with
 * the same bytes is no change in a dense word (documented), and the word is clear again
 * afterwards (a logged same-bytes rewrite then counts, as everywhere else); a word with 39
 * lines, and full words of a 64 KiB and an 8 MiB area, stay exact. */
static uint64_t epoch_changed(struct h_net *h, struct tasvir_thread *t)
{
    struct tasvir_stats s0, s1;
    tasvir_node_stats(h->node[0], &s0);
    tasvir_node_sync_now(h->node[0]);
    cr_assert(ge(int, h_settle(h->node[0], &t, 1, 100), 0));
    tasvir_node_stats(h->node[0], &s1);
    return s1.bytes_changed - s0.bytes_changed;
}

static void write_lines(struct tasvir_area *a, uint64_t first, uint64_t n, uint64_t val)
{
    for (uint64_t l = first; l < first + n; l++)
        write_line(a, l, val + l);
}

/* Write lines [first, first + n) with val + line, run an epoch, and check that exactly
 * `lines` lines changed and that the version (*v) went up by one if any did. */
static void dense_step(struct h_net *h, struct tasvir_thread *t, struct tasvir_area *a,
                       uint64_t first, uint64_t n, uint64_t val, uint64_t lines, uint64_t *v)
{
    write_lines(a, first, n, val);
    cr_assert(eq(u64, epoch_changed(h, t), lines * 64), "lines %lu..%lu = %lu", (unsigned long)first,
              (unsigned long)(first + n), (unsigned long)val);
    if (lines)
        ++*v;
    cr_assert(eq(u64, tasvir_area_version(a), *v));
}

Test(isync, dense_words_compared_not_refilled, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, small_window), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    /* 1 MiB: the smallest area whose dense words are kept (isync.c) */
    struct tasvir_area *a = h_area(t, "dense", 1 << 20, 1000000);
    tasvir_node_sync_now(h.node[0]);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    uint64_t v = tasvir_area_version(a);
    /* 1: word 1 fully written (dense: stays set), word 2 with 39 lines (clears) */
    write_lines(a, 128, 39, 2000);
    dense_step(&h, t, a, 64, 64, 1000, 103, &v);
    /* 2: word 1 rewritten with new bytes: every line copied though no bit was set anew */
    dense_step(&h, t, a, 64, 64, 3000, 64, &v);
    for (uint64_t l = 64; l < 128; l++)
        cr_assert(eq(u64, read_line(a, l), 3000 + l), "line %lu", (unsigned long)l);
    /* 2b: word 2 was cleared: a logged same-bytes rewrite of its lines counts */
    dense_step(&h, t, a, 128, 39, 2000, 39, &v);
    /* 3: only 5 lines of word 1 change: exactly they are copied and the word clears */
    dense_step(&h, t, a, 70, 5, 4000, 5, &v);
    cr_assert(eq(u64, read_line(a, 72), 4072));
    cr_assert(eq(u64, read_line(a, 69), 3069));
    /* 4: nothing written: nothing changed (the word was cleared, nothing left to compare) */
    dense_step(&h, t, a, 0, 0, 0, 0, &v);
    /* 5: dense again, then a logged rewrite with the same bytes: no change in a dense word */
    dense_step(&h, t, a, 64, 64, 5000, 64, &v);
    dense_step(&h, t, a, 64, 64, 5000, 0, &v);
    /* 6: the word is clear again: a logged same-bytes rewrite of one line counts */
    dense_step(&h, t, a, 100, 1, 5000, 1, &v);
    /* the reader copy equals the writer copy throughout */
    cr_assert(eq(int, memcmp(tasvir_area_reader(a), tasvir_area_writer(a), 1 << 20), 0));
    /* 7: areas below 1 MiB and above 4 MiB keep exact logs: a full word rewritten with the
     * same bytes counts */
    const uint64_t sizes[] = {64 << 10, 8 << 20};
    for (unsigned k = 0; k < 2; k++) {
        struct tasvir_area *b = h_area(t, k ? "large" : "small", sizes[k], 1000000);
        (void)epoch_changed(&h, t); /* the node's directory learns the new area */
        uint64_t vb = 0;
        dense_step(&h, t, b, 0, 64, 7000, 64, &vb);
        dense_step(&h, t, b, 0, 64, 7000, 64, &vb);
    }
    h_net_destroy(&h);
}

/* A dense word's compare sees every byte of a line: in a word left set (areas of 1 and 4
 * MiB, the cached and the streamed band), all 64 lines logged again, of which three differ
 * from the reader copy in one byte only (bytes 8, 40 and 63, which the first 8 bytes that
 * write_line writes do not cover): exactly those three are changed and copied, with the
 * node's default copy and the baseline one. */
static void dense_byte_compare(void (*conf)(struct tasvir_node_conf *, unsigned), uint64_t len)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, conf), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "bytes", len, 1000000);
    tasvir_node_sync_now(h.node[0]);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    uint64_t v = tasvir_area_version(a);
    dense_step(&h, t, a, 192, 64, 100, 64, &v); /* word 3: dense, left set */
    uint8_t *w = tasvir_area_writer(a);
    static const uint64_t lines[] = {192, 212, 232}, bytes[] = {8, 40, 63};
    for (unsigned k = 0; k < 3; k++)
        w[lines[k] * 64 + bytes[k]] ^= 0x5a;
    for (uint64_t l = 192; l < 256; l++)
        cr_assert(eq(int, tasvir_log(a, w + l * 64, 64), 0));
    cr_assert(eq(u64, epoch_changed(&h, t), 3 * 64));
    cr_assert(eq(u64, tasvir_area_version(a), v + 1));
    cr_assert(eq(int, memcmp(tasvir_area_reader(a), w, len), 0));
    h_net_destroy(&h);
}

Test(isync, dense_words_compare_every_byte, .timeout = 10)
{
    const uint64_t sizes[] = {1 << 20, 4 << 20};
    for (unsigned k = 0; k < 2; k++) {
        dense_byte_compare(small_window, sizes[k]);
        dense_byte_compare(small_window_baseline, sizes[k]);
    }
}

/* Random dirty patterns per dirty-log word (empty, isolated lines, runs, all 64 lines, runs
 * reaching bit 0 or 63), over several epochs, in areas of each of the copy's four ways
 * (plain; plain with dense words kept set; prefetching ahead with non-temporal stores; the
 * same keeping many lines in flight, also with words of one line only, which fill its
 * ring of waiting words), each with the node's default line copies (64-byte moves where
 * the CPU has AVX-512, and from 4 MiB the list of scattered lines, also with patterns at
 * its edges) and with the baseline ones: after each epoch the reader copy equals the
 * writer copy line for line, and exactly the logged lines were counted as changed. */
static uint64_t next_rand(uint64_t *s)
{
    return h_mix(++*s);
}

/* The patterns of check_patterns_isa: random ones; words of one line or none; and, for
 * the AVX-512 copy's list of scattered lines (isync.c flat_push: words of up to 32 lines,
 * 16 per store with VBMI2, copied 2048 lines at a time, per chunk of 1024 words), its
 * edges. */
enum pattern { PAT_RANDOM, PAT_ONE_LINE, PAT_LIST_EDGES, PAT_GROUPS, PAT_STRIDES };

/* PAT_LIST_EDGES: word wd's dirty lines in epoch ep. */
static uint64_t list_edge_word(uint64_t wd, unsigned ep)
{
    uint64_t alt = ep & 1 ? 0x5555555555555555ull : 0xaaaaaaaaaaaaaaaaull;
    uint64_t c = wd % 1024; /* the word within its chunk */
    if (c < 64)
        return alt; /* 64 words of 32 lines, listed: one full block at the 64th */
    if (c == 64)
        return alt | (alt & 1 ? 2 : 1); /* 33 lines: not listed */
    if (c == 65)
        return (uint64_t)1 << (ep * 13 % 64); /* one line, the first of a new block */
    if (c == 1023)
        return 1 | (uint64_t)1 << 63; /* the chunk's last word: first and last line */
    if (c % 7 == 0)
        return 0x0101010101010101ull << (ep % 8); /* 8 lines */
    if (c % 11 == 1)
        return 0x55555555ull << (ep % 33); /* 16 lines: one VBMI2 store */
    if (c % 11 == 2)
        return 0x155555555ull << (ep % 31); /* 17 lines: two */
    return 0;
}

/* PAT_GROUPS: word wd's dirty lines in epoch ep, for the copy of groups of 8 words whose
 * 512 lines are all dirty (isync.c group_full): in turn, groups all dirty, all but one
 * line, all but their last word, and only their first word. */
static uint64_t group_word(uint64_t wd, unsigned ep)
{
    uint64_t g = wd / 8 + ep, j = wd % 8;
    switch (g % 4) {
    case 0: return ~(uint64_t)0;
    case 1: return j == g % 8 ? ~((uint64_t)1 << (g * 13 % 64)) : ~(uint64_t)0;
    case 2: return j == 7 ? 0 : ~(uint64_t)0;
    default: return j == 0 ? ~(uint64_t)0 : 0;
    }
}

/* PAT_STRIDES: word wd's dirty lines in epoch ep, for the list's copy in interleaved
 * streams (isync.c flat_copy_streams: blocks of 16 or more lines per listed word): stretches
 * of 37 words of every other line (32 lines), every fourth line (16) and scattered lines
 * (about 8), in an order that moves with the epoch, so that blocks of either kind, and
 * the chunk's last block, fall at different places; the chunk's last words one line each. */
static uint64_t stride_word(uint64_t wd, unsigned ep, uint64_t *rng)
{
    uint64_t c = wd % 1024;
    if (c >= 1020)
        return (uint64_t)1 << ((c + ep) * 7 % 64);
    switch ((c / 37 + ep) % 3) {
    case 0: return ep & 1 ? 0x5555555555555555ull : 0xaaaaaaaaaaaaaaaaull;
    case 1: return 0x1111111111111111ull << (ep % 4);
    default: return next_rand(rng) & next_rand(rng) & next_rand(rng);
    }
}

/* One node with copy_isa `want` (TASVIR_COPY_AUTO: whatever the CPU has); returns the
 * copy it used. */
static int check_patterns_isa(uint64_t len, uint64_t seed, enum pattern pat, int want)
{
    struct h_net h;
    cr_assert(eq(int,
                 h_net_create(&h, 1, 0, 1,
                              want == TASVIR_COPY_BASELINE ? small_window_baseline
                              : want == TASVIR_COPY_AVX512 ? small_window_avx512
                                                           : small_window),
                 0));
    int isa = tasvir_node_copy_isa(h.node[0]);
    if (want != TASVIR_COPY_AUTO)
        cr_assert(eq(int, isa, want));
    else
        cr_assert(isa == TASVIR_COPY_BASELINE || isa == TASVIR_COPY_AVX512 ||
                  isa == TASVIR_COPY_AVX512_VBMI2);
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "pat", len, 1000);
    cr_assert(not(eq(ptr, a, NULL)));
    tasvir_node_sync_now(h.node[0]);
    cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
    uint64_t *w = tasvir_area_writer(a);
    const uint64_t *r = tasvir_area_reader(a);
    uint64_t words = len / 64 / 64, rng = seed;
    for (unsigned ep = 1; ep <= 4; ep++) {
        uint64_t logged = 0;
        for (uint64_t wd = 0; wd < words; wd++) {
            uint64_t x, k = next_rand(&rng);
            /* PAT_ONE_LINE: half the words empty (case 0), half one line (case 8) */
            switch (pat == PAT_STRIDES      ? 11
                    : pat == PAT_GROUPS     ? 10
                    : pat == PAT_LIST_EDGES ? 9
                    : pat == PAT_ONE_LINE   ? (k & 1 ? 8 : 0)
                                            : k % 9) {
            case 0: case 1: case 2: x = 0; break;
            case 3: x = next_rand(&rng) & next_rand(&rng) & next_rand(&rng); break; /* sparse */
            case 4: x = next_rand(&rng); break;                                 /* half */
            case 5: x = ~(uint64_t)0; break;
            case 6: x = ~(uint64_t)0 >> (k >> 58); break; /* a run from bit 0 */
            case 7: x = ~(uint64_t)0 << (k >> 58); break; /* a run to bit 63 */
            case 8: x = (uint64_t)1 << (k >> 58); break;   /* one line */
            case 9: x = list_edge_word(wd, ep); break;
            case 10: x = group_word(wd, ep); break;
            default: x = stride_word(wd, ep, &rng); break;
            }
            for (unsigned b = 0; b < 64; b++) {
                if (!((x >> b) & 1))
                    continue;
                uint64_t *p = w + (wd * 64 + b) * 8;
                for (int i = 0; i < 8; i++)
                    p[i] = ep * 0x100000001ull + wd * 64 + b + (uint64_t)i;
                cr_assert(eq(int, tasvir_log(a, p, 64), 0));
                logged++;
            }
        }
        struct tasvir_stats s0, s1;
        tasvir_node_stats(h.node[0], &s0);
        tasvir_node_sync_now(h.node[0]);
        cr_assert(ge(int, h_settle(h.node[0], &t, 1, 100), 0));
        tasvir_node_stats(h.node[0], &s1);
        cr_assert(eq(int, memcmp(r, w, len), 0), "epoch %u: reader differs from writer", ep);
        /* >=: the node's own system areas may have changed in the same epoch */
        cr_assert(ge(u64, s1.bytes_changed - s0.bytes_changed, logged * 64));
        cr_assert(lt(u64, s1.bytes_changed - s0.bytes_changed, logged * 64 + 4096));
    }
    h_net_destroy(&h);
    return isa;
}

/* Each copy the CPU has: the default, the baseline, and the AVX-512F listing where the
 * default lists with VBMI2. */
static void check_patterns(uint64_t len, uint64_t seed, enum pattern pat)
{
    int isa = check_patterns_isa(len, seed, pat, TASVIR_COPY_AUTO);
    check_patterns_isa(len, seed, pat, TASVIR_COPY_BASELINE);
    if (isa == TASVIR_COPY_AVX512_VBMI2)
        check_patterns_isa(len, seed, pat, TASVIR_COPY_AVX512);
}

Test(isync, copy_patterns_small_area, .timeout = 30)
{
    check_patterns(256ull << 10, 11, PAT_RANDOM); /* below the sticky-word size (1 MiB) */
}

/* Below the sticky-word size, groups of 512 dirty lines are copied whole; 260 KiB: the
 * last group has one word, and is never copied that way. */
Test(isync, copy_patterns_full_groups, .timeout = 30)
{
    check_patterns(260ull << 10, 17, PAT_GROUPS);
}

Test(isync, copy_patterns_medium_area, .timeout = 30)
{
    check_patterns(2ull << 20, 13, PAT_RANDOM); /* one pass, dense words kept set */
}

Test(isync, copy_patterns_large_area, .timeout = 60)
{
    check_patterns(9ull << 20, 12, PAT_RANDOM); /* prefetching ahead, non-temporal stores */
    check_patterns(9ull << 20, 16, PAT_LIST_EDGES); /* listed lines, plain stores */
    check_patterns(9ull << 20, 19, PAT_STRIDES);    /* and copied in interleaved streams */
}

Test(isync, copy_patterns_deep_area, .timeout = 120)
{
    check_patterns(34ull << 20, 14, PAT_RANDOM); /* 128 lines in flight, non-temporal stores */
    check_patterns(34ull << 20, 15, PAT_ONE_LINE); /* words of one line or none */
    check_patterns(34ull << 20, 17, PAT_LIST_EDGES); /* listed lines, streamed */
    check_patterns(34ull << 20, 18, PAT_STRIDES); /* and copied in interleaved streams */
}

/* Log clears left to the owner (isync.c owner_clears): when a thread other than the owner
 * of an area above 4 MiB copies its chunks, it leaves the copied log words set, and the
 * owner clears them at its next check-in, before it can write again.  Driven here so that
 * the other thread (u), arriving last, copies every chunk.  If the owner did not clear
 * them, the next epoch would copy the same lines again and bump the version with nothing
 * changed. */
#define OC_CHUNKS 3
static const uint64_t oc_chunk_lines = (4ull << 20) / 64;

/* A node with two threads, t owning a 12 MiB area (3 chunks) and u. */
static struct tasvir_area *oc_setup(struct h_net *h, struct tasvir_thread **t,
                                    struct tasvir_thread **u)
{
    cr_assert(eq(int, h_net_create(h, 1, 0, 1, small_window), 0));
    *t = h_thread(h->node[0]);
    *u = h_thread(h->node[0]);
    struct tasvir_area *a = h_area(*t, "oc", OC_CHUNKS * oc_chunk_lines * 64, 1000);
    cr_assert(not(eq(ptr, a, NULL)));
    return a;
}

/* One line in each of `groups` groups of every chunk, stamped with val. */
static void oc_write(struct tasvir_area *a, unsigned groups, uint64_t val)
{
    for (uint64_t c = 0; c < OC_CHUNKS; c++)
        for (unsigned g = 0; g < groups; g++)
            write_line(a, c * oc_chunk_lines + (uint64_t)g * 512 + (val + g) % 512, val);
}

static void oc_check(struct tasvir_area *a, unsigned groups, uint64_t val)
{
    for (uint64_t c = 0; c < OC_CHUNKS; c++)
        for (unsigned g = 0; g < groups; g++)
            cr_assert(eq(u64, read_line(a, c * oc_chunk_lines + (uint64_t)g * 512 + (val + g) % 512),
                         val),
                      "chunk %lu group %u", (unsigned long)c, g);
}

/* An epoch in which the owner t arrives first and u, arriving last, copies all chunks;
 * t has not checked in again when it returns.  Returns bytes changed. */
static uint64_t oc_epoch_copied_by(struct h_net *h, struct tasvir_thread *t,
                                   struct tasvir_thread *u)
{
    struct tasvir_stats s0, s1;
    tasvir_node_stats(h->node[0], &s0);
    tasvir_loop_net_advance(h->net, 1 * MS);
    cr_assert(eq(int, tasvir_node_poll(h->node[0], NULL), -EAGAIN));
    cr_assert(eq(int, tasvir_service(t), -EAGAIN));
    cr_assert(eq(int, tasvir_service(u), 0), "the last to arrive copies the whole epoch");
    tasvir_node_stats(h->node[0], &s1);
    cr_assert(eq(u64, s1.epochs_ok, s0.epochs_ok + 1));
    return s1.bytes_changed - s0.bytes_changed;
}

Test(isync, owner_clears_log_words_other_copiers_left, .timeout = 30)
{
    struct h_net h;
    struct tasvir_thread *t, *u;
    struct tasvir_area *a = oc_setup(&h, &t, &u);
    for (uint64_t e = 1; e <= 4; e++) {
        uint64_t v0 = tasvir_area_version(a);
        unsigned groups = e % 2 ? 64 : 1; /* busy and sparse chunks */
        oc_write(a, groups, e);
        cr_assert(eq(u64, oc_epoch_copied_by(&h, t, u), OC_CHUNKS * groups * 64ull), "epoch %lu",
                  (unsigned long)e);
        cr_assert(eq(u64, tasvir_area_version(a), v0 + 1));
        oc_check(a, groups, e);
        cr_assert(eq(int, tasvir_service(t), 0)); /* the owner clears what u left */
        /* nothing written: nothing copied, no version */
        cr_assert(eq(u64, oc_epoch_copied_by(&h, t, u), 0), "epoch %lu copied lines again",
                  (unsigned long)e);
        cr_assert(eq(int, tasvir_service(t), 0));
        cr_assert(eq(u64, tasvir_area_version(a), v0 + 1), "idle epoch after %lu bumped the version",
                  (unsigned long)e);
    }
    cr_assert(eq(int, memcmp(tasvir_area_reader(a), tasvir_area_writer(a),
                             OC_CHUNKS * oc_chunk_lines * 64),
                 0));
    h_net_destroy(&h);
}

/* An owner that deactivates instead of checking in again clears on its way out; epochs
 * without it (the other thread copying, the owner inactive) then find nothing to copy. */
Test(isync, owner_clears_on_deactivation, .timeout = 30)
{
    struct h_net h;
    struct tasvir_thread *t, *u;
    struct tasvir_area *a = oc_setup(&h, &t, &u);
    oc_write(a, 64, 7);
    cr_assert(gt(u64, oc_epoch_copied_by(&h, t, u), 0));
    uint64_t v = tasvir_area_version(a);
    cr_assert(eq(int, tasvir_thread_deactivate(t), 0));
    for (int e = 0; e < 3; e++) {
        tasvir_loop_net_advance(h.net, 1 * MS);
        cr_assert(ge(int, h_settle(h.node[0], &u, 1, 100), 0));
    }
    cr_assert(eq(u64, tasvir_area_version(a), v), "epochs without the owner copied again");
    oc_check(a, 64, 7);
    int rc = tasvir_thread_activate(t);
    cr_assert(rc == 0 || rc == -EAGAIN);
    struct tasvir_thread *both[2] = {t, u};
    cr_assert(ge(int, h_settle(h.node[0], both, 2, 100), 0));
    oc_write(a, 1, 8);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(ge(int, h_settle(h.node[0], both, 2, 100), 0));
    cr_assert(eq(u64, tasvir_area_version(a), v + 1));
    oc_check(a, 1, 8);
    h_net_destroy(&h);
}

/* An area destroyed while its owner still has to clear its log is not freed before the
 * owner has: here epochs abort without the owner, so the engine reaps while the clears
 * are still pending, and the owner's clear after that would be a use after free (which
 * the ASan build of the unit tests reports). */
Test(isync, destroyed_area_waits_for_owner_clears, .timeout = 30)
{
    struct h_net h;
    struct tasvir_thread *t, *u;
    struct tasvir_area *a = oc_setup(&h, &t, &u);
    struct tasvir_area *keep = h_area(u, "keep", 4096, 1000); /* keeps epochs coming */
    cr_assert(not(eq(ptr, keep, NULL)));
    oc_write(a, 64, 3);
    cr_assert(gt(u64, oc_epoch_copied_by(&h, t, u), 0));
    cr_assert(eq(int, tasvir_area_destroy(a), 0));
    /* two epochs the owner misses: each aborts, and the engine reaps after it */
    struct tasvir_stats s0, s1;
    tasvir_node_stats(h.node[0], &s0);
    for (int e = 0; e < 2; e++) {
        write_line(keep, 0, (uint64_t)e + 1);
        tasvir_loop_net_advance(h.net, 1 * MS);
        cr_assert(eq(int, tasvir_node_poll(h.node[0], NULL), -EAGAIN));
        cr_assert(eq(int, tasvir_service(u), -EAGAIN));
        tasvir_loop_net_advance(h.net, 60 * US); /* past the window */
        (void)tasvir_node_poll(h.node[0], NULL);
        (void)tasvir_service(u);
    }
    tasvir_node_stats(h.node[0], &s1);
    cr_assert(ge(u64, s1.epochs_failed, s0.epochs_failed + 2));
    /* the owner checks in: it clears, and the next epoch's end frees the area */
    struct tasvir_thread *both[2] = {t, u};
    write_line(keep, 0, 9);
    tasvir_loop_net_advance(h.net, 1 * MS);
    cr_assert(ge(int, h_settle(h.node[0], both, 2, 100), 0));
    cr_assert(eq(u64, read_line(keep, 0), 9));
    h_net_destroy(&h);
}

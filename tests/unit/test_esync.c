/*
 * test_esync.c — external synchronization across nodes on the loopback backend (manual
 * clock, fixed seeds, one OS thread).
 *
 * Covers: every version a reader ever sees is complete (versioned lines, checked at every
 * check-in) under loss 0 / 1 % / 10 %, duplication, reordering and their mix, over >= 1e4
 * owner versions each, in unicast and multicast addressing; convergence within 2 external
 * intervals after faults stop; non-subscribers receive no data frames; a late subscriber
 * catches up to the full contents; a subscriber far behind gets a full resend; discovery
 * of areas created after the attaching node started; a node that joins later knowing only
 * the root; interval changes; staleness info; a port that takes 3 frames per burst: frames
 * wait in the backlog (none dropped) and rounds due meanwhile wait for it; a 1 MiB area
 * whose dirty-log words are kept across epochs (dense rewrites) under faults; ending
 * subscriptions: a lost UNSUB (unicast and multicast), a late NACK from a node that
 * unsubscribed, an UNSUB overtaken by a newer SUB, a subscriber declared down; a
 * multicast subscriber whose first SUB is lost while the group's frames reach it.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "../../runtime/core/wire.h"
#include "world.h"

#define US 1000ull
#define MS 1000000ull

struct fault_case {
    char name[16];
    double loss, dup;
    uint64_t jitter_ns;
    int multicast;
};

static int g_multicast; /* set per test before nodes are created (Criterion forks per test) */

static void conf_addr(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->addressing = g_multicast ? TASVIR_ADDR_MULTICAST : TASVIR_ADDR_UNICAST;
    c->hb_period_us = 1000;
}

static unsigned scale(void)
{
    const char *s = getenv("TASVIR_TEST_SCALE");
    long v = s ? strtol(s, NULL, 10) : 1;
    return v > 0 ? (unsigned)v : 1;
}

ParameterizedTestParameters(esync, no_partial_versions)
{
    static struct fault_case cases[] = {
        {"clean", 0, 0, 0, 0},           {"loss1", 0.01, 0, 0, 0},
        {"loss10", 0.10, 0, 0, 0},       {"dup", 0, 0.2, 0, 0},
        {"reorder", 0, 0, 150000, 0},    {"mix", 0.05, 0.1, 100000, 0},
        {"mcast_clean", 0, 0, 0, 1},     {"mcast_mix", 0.05, 0.1, 100000, 1},
    };
    return cr_make_param_array(struct fault_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fault_case *fc, esync, no_partial_versions, .timeout = 600)
{
    g_multicast = fc->multicast;
    struct world w;
    /* 4 nodes: 0 writes, 1 and 2 read, 3 never subscribes */
    w_init(&w, 4, 0, 256, 100, 200, 17, conf_addr);
    w.lines_per_write = 24; /* several frames per version */
    w_attach_all(&w, 200 * MS);
    tasvir_area_detach(w.rd[3].h);
    w.attached[3] = false;
    w.writing = true;
    w_run(&w, 5 * MS); /* settle */
    struct tasvir_loop_faults f = {.loss = fc->loss, .dup = fc->dup, .delay_ns = 5000,
                                   .jitter_ns = fc->jitter_ns};
    cr_assert(eq(int, tasvir_loop_net_set_faults(w.h.net, &f), 0));
    uint64_t v0 = tasvir_area_version(w.wa), target = 10000 / scale();
    while (tasvir_area_version(w.wa) - v0 < target)
        w_step(&w);
    /* faults stop, writer stops: converge within 2 external intervals (+ one internal
     * epoch at each end and the in-flight delay) */
    struct tasvir_loop_faults none = {.delay_ns = 5000};
    tasvir_loop_net_set_faults(w.h.net, &none);
    w.writing = false;
    w_run(&w, 200 * US); /* the last writes get published by the owner */
    uint64_t t = w_converge(&w, 100 * MS);
    for (unsigned i = 1; i <= 2; i++) {
        struct w_reader *r = &w.rd[i];
        cr_log_info("%s reader %u: checks %lu distinct versions %lu torn %lu", fc->name, i,
                    r->checks, r->gens_seen, r->torn);
        cr_assert(eq(u64, r->torn, 0), "%s: node %u saw a torn/partial version", fc->name, i);
        cr_assert(eq(u64, r->backwards, 0), "%s: node %u saw versions go backwards", fc->name, i);
        cr_assert(eq(u64, r->gen_backwards, 0), "%s: node %u saw older data after newer", fc->name, i);
        cr_assert(gt(u64, r->gens_seen, target / 20), "%s: node %u saw too few versions", fc->name, i);
        cr_assert(eq(int, memcmp(tasvir_area_reader(r->h), tasvir_area_reader(w.wa), 256 * 64), 0));
    }
    cr_assert(le(u64, t, 2 * 200 * US + 2 * 100 * US), "%s: converged after %lu us", fc->name,
              t / 1000);
    cr_assert(eq(u64, w.tap_data_frames[3], 0), "%s: non-subscriber got data frames", fc->name);
    struct tasvir_stats st;
    tasvir_node_stats(w.h.node[1], &st);
    cr_log_info("%s: node1 complete %lu superseded %lu deferred %lu nacks %lu drops old %lu base %lu",
                fc->name, st.versions_rx_complete, st.versions_rx_superseded, st.frames_deferred,
                st.nacks_tx, st.rx_drop[11], st.rx_drop[12]);
    w_fini(&w);
}

/* Dense writes on the wire: the owner of an area of `lines` lines rewrites most of them
 * every internal interval (100 writes of lines_per_write random lines), and about
 * per_version_min to per_version_max lines change per version.  Under loss, duplication
 * and reordering, readers only ever see complete versions and converge to the owner's
 * bytes, and a subscriber attaching afterwards gets them all. */
static void dense_run(uint64_t lines, uint32_t lines_per_write, uint64_t per_version_min,
                      uint64_t per_version_max, uint64_t seed)
{
    g_multicast = 0;
    struct world w;
    w_init(&w, 4, 0, lines, 1000, 1000, seed, conf_addr);
    w.lines_per_write = lines_per_write;
    /* nodes 1 and 2 read from the start, node 3 attaches after the writes */
    for (uint64_t t = 0; t < 200 * MS && !(w.attached[1] && w.attached[2]); t += w.dt_ns) {
        for (unsigned i = 1; i <= 2; i++)
            if (!w.attached[i])
                w_attach(&w, i);
        w_step(&w);
    }
    cr_assert(w.attached[1] && w.attached[2]);
    w.writing = true;
    w_run(&w, 5 * MS);
    struct tasvir_loop_faults f = {.loss = 0.02, .dup = 0.05, .delay_ns = 5000,
                                   .jitter_ns = 50000};
    cr_assert(eq(int, tasvir_loop_net_set_faults(w.h.net, &f), 0));
    struct tasvir_stats s0, s1;
    tasvir_node_stats(w.h.node[0], &s0);
    uint64_t v0 = tasvir_area_version(w.wa);
    /* 80 versions, one round each: longer than the oldest diff tier (2^5 rounds) lasts */
    while (tasvir_area_version(w.wa) - v0 < 80)
        w_step(&w);
    tasvir_node_stats(w.h.node[0], &s1);
    struct tasvir_loop_faults none = {.delay_ns = 5000};
    tasvir_loop_net_set_faults(w.h.net, &none);
    w.writing = false;
    w_run(&w, 2 * MS);
    cr_assert(ne(u64, w_converge(&w, 100 * MS), UINT64_MAX), "readers did not converge");
    uint64_t per_version = (s1.bytes_changed - s0.bytes_changed) / 64 / 80;
    cr_log_info("lines changed per version %lu", (unsigned long)per_version);
    cr_assert(gt(u64, per_version, per_version_min));
    cr_assert(lt(u64, per_version, per_version_max));
    for (unsigned i = 1; i <= 2; i++) {
        struct w_reader *r = &w.rd[i];
        cr_assert(eq(u64, r->torn, 0), "node %u saw a torn/partial version", i);
        cr_assert(eq(u64, r->gen_backwards, 0), "node %u saw older data after newer", i);
        cr_assert(gt(u64, r->gens_seen, 5), "node %u saw too few versions", i);
        cr_assert(eq(int, memcmp(tasvir_area_reader(r->h), tasvir_area_reader(w.wa), lines * 64), 0));
    }
    /* a late subscriber gets every line ever changed, kept words' lines included */
    for (uint64_t t = 0; t < 200 * MS && !w.attached[3]; t += w.dt_ns) {
        w_attach(&w, 3);
        w_step(&w);
    }
    cr_assert(w.attached[3]);
    cr_assert(ne(u64, w_converge(&w, 100 * MS), UINT64_MAX), "the late subscriber did not converge");
    cr_assert(eq(u64, w.rd[3].torn, 0));
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[3].h), tasvir_area_reader(w.wa), lines * 64), 0),
              "the late subscriber lacks lines");
    w_fini(&w);
}

/* Kept dirty-log words (isync.c): in a 1 MiB area, ~25 600 line writes per interval over
 * 16 384 lines keep most log words set across epochs, and each epoch sends only the lines
 * whose bytes differ; the lines of a kept word that were not rewritten must not be lost or
 * sent stale.  About 12 900 lines (50 of 64 per word) change per version.  (Without the
 * kept words' lines in the diff logs, the readers do not converge; without them in the
 * `ever` log, used once the run is longer than the oldest diff tier, the late subscriber
 * lacks lines: both checked by breaking isync.c.) */
Test(esync, dense_words_kept_under_faults, .timeout = 300)
{
    dense_run(16384, 256, 10000, 15000, 29);
}

/* Groups of 512 dirty lines copied whole (isync.c group_full): in a 128 KiB area, the same
 * writes over 2048 lines dirty every line of nearly every group in every interval. */
Test(esync, full_groups_under_faults, .timeout = 300)
{
    dense_run(2048, 256, 1900, 2300, 31);
}

static void conf_fast_hb(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->hb_period_us = 1000;
}

/* Heartbeats every 1 ms, but a silent peer declared down only after a second: the owner
 * keeps running rounds (rotating its diff tiers) for a subscriber cut off for 100 ms, so
 * that subscriber comes back behind every tier.  (A subscriber declared down is not served
 * and its owner's rounds wait: it then comes back one diff behind,
 * esync/down_subscriber_is_not_served_until_back.) */
static void conf_fast_hb_patient(struct tasvir_node_conf *c, unsigned i)
{
    conf_fast_hb(c, i);
    c->down_after_hb = 1000;
}

Test(esync, late_subscriber_catches_up_and_full_resend, .timeout = 60)
{
    struct world w;
    w_init(&w, 3, 0, 4096, 100, 1000, 5, conf_fast_hb_patient);
    w.lines_per_write = 64;
    w.writing = true;
    w_run(&w, 50 * MS); /* many versions before anyone subscribes */
    /* node 1 attaches late: gets everything written so far */
    while (!w.attached[1]) {
        w_attach(&w, 1);
        w_step(&w);
    }
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 4096 * 64), 0));
    struct tasvir_stats s0, s1;
    /* node 1 falls far behind (cut off for > 64 rounds), then comes back */
    w.writing = true;
    tasvir_loop_port_set_down(w.h.port[1], 1);
    w_run(&w, 100 * MS);
    tasvir_loop_port_set_down(w.h.port[1], 0);
    tasvir_node_stats(w.h.node[0], &s0);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 50 * MS), UINT64_MAX));
    tasvir_node_stats(w.h.node[0], &s1);
    cr_assert(gt(u64, s1.full_resends, s0.full_resends), "far-behind subscriber needs a full resend");
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 4096 * 64), 0));
    cr_assert(eq(u64, w.rd[1].torn, 0));
    w_fini(&w);
}

Test(esync, discovery_of_areas_created_later, .timeout = 30)
{
    struct world w;
    w_init(&w, 3, 0, 64, 100, 1000, 3, conf_fast_hb);
    w_run(&w, 10 * MS);
    /* node 2 creates an area now; node 1 finds it by name once the directory has it */
    struct tasvir_area *late = h_area(w.t[2], "late-area", 4096, 100);
    cr_assert(not(eq(ptr, late, NULL)));
    uint64_t *p = tasvir_area_writer(late);
    p[0] = 4242;
    tasvir_log(late, p, 8);
    struct tasvir_area *r = NULL;
    uint64_t t = 0;
    for (; t < 100 * MS && tasvir_area_attach(w.t[1], "late-area", &r) == -ENOENT; t += w.dt_ns)
        w_step(&w);
    cr_assert(not(eq(ptr, r, NULL)), "area of node 2 never became attachable on node 1");
    cr_log_info("discovered after %lu us", t / 1000);
    for (t = 0; t < 50 * MS && ((const uint64_t *)tasvir_area_reader(r))[0] != 4242; t += w.dt_ns)
        w_step(&w);
    cr_assert(eq(u64, ((const uint64_t *)tasvir_area_reader(r))[0], 4242));
    /* the name is taken testbed-wide now */
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.name = "late-area";
    c.len_bytes = 64;
    struct tasvir_area *dup;
    cr_assert(eq(int, tasvir_area_create(w.t[0], &c, &dup), -EEXIST));
    /* system areas: the root sees every node area */
    struct tasvir_area *na = NULL;
    for (t = 0; t < 50 * MS && tasvir_area_attach(w.t[1], "tasvir/node/2", &na) == -ENOENT; t += w.dt_ns)
        w_step(&w);
    cr_assert(not(eq(ptr, na, NULL)));
    w_fini(&w);
}

Test(esync, external_interval_changes_both_ways, .timeout = 60)
{
    struct world w;
    w_init(&w, 2, 0, 64, 100, 10000, 9, conf_fast_hb);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 50 * MS);
    struct tasvir_stats a, b;
    tasvir_node_stats(w.h.node[0], &a);
    w_run(&w, 100 * MS);
    tasvir_node_stats(w.h.node[0], &b);
    uint64_t slow = b.versions_sent - a.versions_sent;
    cr_assert(eq(int, tasvir_area_set_sync(w.wa, 0, 1000), 0));
    w_run(&w, 100 * MS);
    tasvir_node_stats(w.h.node[0], &a);
    uint64_t fast = a.versions_sent - b.versions_sent;
    cr_assert(eq(int, tasvir_area_set_sync(w.wa, 0, 20000), 0));
    w_run(&w, 100 * MS);
    tasvir_node_stats(w.h.node[0], &b);
    uint64_t slower = b.versions_sent - a.versions_sent;
    cr_log_info("versions sent per 100 ms: 10 ms -> %lu, 1 ms -> %lu, 20 ms -> %lu", slow, fast, slower);
    cr_assert(ge(u64, slow, 9));
    cr_assert(le(u64, slow, 11));
    cr_assert(ge(u64, fast, 95));
    cr_assert(le(u64, fast, 101));
    cr_assert(ge(u64, slower, 4));
    cr_assert(le(u64, slower, 6));
    w_fini(&w);
}

/* With equal internal and external intervals, each round goes out right after the owner's
 * epoch of the same grid point and carries the version it published, whatever the moment
 * the rounds started (here: the external interval lowered at an odd time; rounds timed from
 * that moment carried versions 0.25-0.75 ms old).  So every version reaches the reader
 * (none skipped) within the link delay and a few engine steps of its publication.  (That
 * the subscriber then publishes at once rather than on its own grid is checked by
 * test_sim_esync's sleeping_nodes_wake_late, where it makes the difference.) */
Test(esync, rounds_follow_the_owners_epochs, .timeout = 30)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct world w;
        w_init(&w, 2, 0, 64, 1000, 10000, seed, conf_fast_hb);
        /* the reader's node has an area of its own on the same grid, and frames take 30 us:
         * its own epochs start before each version arrives */
        cr_assert(not(eq(ptr, h_area(w.t[1], "own", 4096, 1000), NULL)));
        struct tasvir_loop_faults fl = {.delay_ns = 30 * US};
        cr_assert(eq(int, tasvir_loop_net_set_faults(w.h.net, &fl), 0));
        w_attach_all(&w, 100 * MS);
        w.writing = true;
        w_run(&w, 20 * MS + seed * 230 * US);
        cr_assert(eq(int, tasvir_area_set_sync(w.wa, 0, 1000), 0));
        w_run(&w, 5 * MS);
        uint64_t last = tasvir_area_version(w.rd[1].h), seen = 0, skipped = 0, worst = 0;
        for (uint64_t t = 0; t < 50 * MS; t += w.dt_ns) {
            w_step(&w);
            struct tasvir_area_info ri;
            cr_assert(eq(int, tasvir_area_info(w.rd[1].h, &ri), 0));
            if (ri.version == last)
                continue;
            seen++;
            skipped += ri.version - last - 1;
            last = ri.version;
            uint64_t d = ri.visible_ns - ri.pub_ns;
            if (d > worst)
                worst = d;
        }
        cr_log_info("seed %lu: %lu versions, %lu skipped, worst delay %lu ns", seed, seen, skipped,
                    worst);
        cr_assert(ge(u64, seen, 45), "a version a millisecond reaches the reader");
        cr_assert(eq(u64, skipped, 0));
        cr_assert(lt(u64, worst, 200 * US), "published %lu ns after the owner", worst);
        w_fini(&w);
    }
}

/* A subscriber of several owners whose versions arrive spread over the interval (links of
 * 0, 200, 400 and 600 us) publishes them in about two epochs an interval, not one epoch
 * per arrival, and still within about half an interval plus the link; a single owner's
 * versions, an interval apart, are published at once (rounds_follow_the_owners_epochs). */
Test(esync, replicas_of_many_owners_share_epochs, .timeout = 60)
{
    enum { OWNERS = 4, R = OWNERS };
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, OWNERS + 1, 0, 7, conf_fast_hb), 0));
    struct tasvir_thread *t[OWNERS + 1];
    struct tasvir_area *own[OWNERS], *rd[OWNERS];
    for (unsigned i = 0; i <= OWNERS; i++)
        cr_assert(not(eq(ptr, t[i] = h_thread(h.node[i]), NULL)));
    char name[16];
    for (unsigned i = 0; i < OWNERS; i++) {
        snprintf(name, sizeof(name), "own%u", i);
        cr_assert(not(eq(ptr, own[i] = h_area(t[i], name, 4096, 1000), NULL)));
        cr_assert(eq(int, tasvir_area_set_sync(own[i], 0, 1000), 0));
        struct tasvir_loop_faults fl = {.delay_ns = i * 200 * US};
        cr_assert(eq(int, tasvir_loop_port_set_faults(h.port[i], &fl), 0));
    }
    const uint64_t dt = 10 * US;
    unsigned attached = 0;
    uint64_t gen = 0, seen[OWNERS] = {0}, worst = 0, epochs0 = 0, versions = 0;
    struct tasvir_stats st;
    for (uint64_t now = 0; now < 300 * MS; now += dt) {
        tasvir_loop_net_advance(h.net, dt);
        if (now == 250 * MS) {
            tasvir_node_stats(h.node[R], &st);
            epochs0 = st.epochs_ok;
        }
        for (unsigned i = 0; i <= OWNERS; i++)
            tasvir_node_poll(h.node[i], NULL);
        for (unsigned i = 0; i <= OWNERS; i++) {
            if (tasvir_service(t[i]) == -EAGAIN)
                continue;
            if (i < OWNERS) { /* every owner writes a line every step */
                uint8_t *w = tasvir_area_writer(own[i]);
                h_stamp(w, ++gen, 0);
                tasvir_log(own[i], w, 64);
                continue;
            }
            for (unsigned k = 0; k < OWNERS; k++) {
                if (!(attached & (1u << k))) {
                    snprintf(name, sizeof(name), "own%u", k);
                    if (tasvir_area_attach(t[R], name, &rd[k]) == 0)
                        attached |= 1u << k;
                    continue;
                }
                struct tasvir_area_info ri;
                cr_assert(eq(int, tasvir_area_info(rd[k], &ri), 0));
                if (ri.version == seen[k])
                    continue;
                seen[k] = ri.version;
                if (now >= 250 * MS) {
                    versions++;
                    uint64_t d = ri.visible_ns - ri.pub_ns;
                    worst = d > worst ? d : worst;
                }
            }
        }
        for (unsigned i = 0; i <= OWNERS; i++)
            tasvir_node_poll(h.node[i], NULL);
    }
    tasvir_node_stats(h.node[R], &st);
    uint64_t epochs = st.epochs_ok - epochs0;
    cr_log_info("50 ms: %lu reader epochs, %lu versions seen, worst delay %lu ns", epochs,
                versions, worst);
    cr_assert(eq(u32, attached, (1u << OWNERS) - 1));
    cr_assert(ge(u64, versions, OWNERS * 45), "every owner's versions reach the reader");
    cr_assert(le(u64, epochs, 3 * 50), "replica epochs are shared (%lu in 50 ms)", epochs);
    cr_assert(lt(u64, worst, 600 * US + 500 * US + 100 * US), "delay %lu ns", worst);
    h_net_destroy(&h);
}

Test(esync, staleness_info, .timeout = 30)
{
    struct world w;
    w_init(&w, 2, 0, 64, 100, 5000, 4, conf_fast_hb);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 20 * MS);
    struct tasvir_area_info oi, ri;
    /* sample right after a write got published at the owner but before the next round */
    bool seen_stale = false;
    for (int i = 0; i < 1000 && !seen_stale; i++) {
        w_step(&w);
        cr_assert(eq(int, tasvir_area_info(w.rd[1].h, &ri), 0));
        tasvir_area_info(w.wa, &oi);
        cr_assert(le(u64, ri.version, oi.version));
        cr_assert(le(u64, ri.latest_version, oi.version));
        if (ri.latest_version > ri.version) {
            seen_stale = true;
            cr_assert(gt(u64, ri.next_pub_ns, ri.pub_ns));
            cr_assert(ne(u64, ri.stale_since_ns, 0));
        }
    }
    cr_assert(seen_stale, "the reader never learned of a newer version before receiving it");
    cr_assert(eq(int, ri.owner_up, 1));
    cr_assert(eq(u16, ri.owner_node, 0));
    cr_assert(eq(int, ri.local, 0));
    cr_assert(eq(int, oi.local, 1));
    w.writing = false;
    w_run(&w, 200 * US);
    w_converge(&w, 20 * MS);
    w_run(&w, 3 * MS); /* the next heartbeat confirms nothing newer */
    tasvir_area_info(w.rd[1].h, &ri);
    tasvir_area_info(w.wa, &oi);
    cr_assert(eq(u64, ri.version, oi.version));
    cr_assert(eq(u64, ri.pub_ns, oi.pub_ns));
    cr_assert(eq(u64, ri.latest_version, ri.version));
    cr_assert(eq(u64, ri.stale_since_ns, 0));
    cr_assert(ge(u64, ri.visible_ns, ri.pub_ns));
    w_fini(&w);
}

Test(esync, node_joins_later, .timeout = 30)
{
    /* nodes 0 (root) and 1 know each other; node 2 appears later, knowing only the root */
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.start_ns = 1000 * MS;
    struct tasvir_loop_net *net;
    cr_assert(eq(int, tasvir_loop_net_create(&lc, &net), 0));
    struct tasvir_peer peers[3];
    for (uint16_t i = 0; i < 3; i++) {
        peers[i].node_id = i;
        tasvir_loop_mac(i, peers[i].mac);
    }
    struct tasvir_node *node[3] = {0};
    struct tasvir_thread *t[3] = {0};
    struct tasvir_loop_port *port[3];
    for (uint16_t i = 0; i < 3; i++)
        cr_assert(eq(int, tasvir_loop_port_create(net, i, &port[i]), 0));
    for (uint16_t i = 0; i < 2; i++) {
        struct tasvir_node_conf c;
        tasvir_node_conf_init(&c);
        c.backend = tasvir_loop_port_backend(port[i]);
        c.peers = peers;
        c.n_peers = 2;
        c.hb_period_us = 1000;
        cr_assert(eq(int, tasvir_node_create(&c, &node[i]), 0));
        t[i] = h_thread(node[i]);
    }
    unsigned up = 2;
    struct tasvir_area *ra = NULL, *wa = NULL;
    uint64_t *w = NULL;
    for (int step = 0; step < 20000; step++) {
        tasvir_loop_net_advance(net, 10 * US);
        if (step == 1000) { /* 10 ms in: node 2 starts, knowing only the root */
            struct tasvir_node_conf c;
            tasvir_node_conf_init(&c);
            c.backend = tasvir_loop_port_backend(port[2]);
            c.peers = peers; /* peers[0] is the root */
            c.n_peers = 1;
            c.hb_period_us = 1000;
            cr_assert(eq(int, tasvir_node_create(&c, &node[2]), 0));
            t[2] = h_thread(node[2]);
            wa = h_area(t[2], "joiner", 4096, 100);
            cr_assert(not(eq(ptr, wa, NULL)));
            w = tasvir_area_writer(wa);
            up = 3;
        }
        for (unsigned i = 0; i < up; i++)
            tasvir_node_poll(node[i], NULL);
        for (unsigned i = 0; i < up; i++) {
            if (tasvir_service(t[i]) != 0)
                continue;
            if (i == 2) {
                w[0] = (uint64_t)step;
                tasvir_log(wa, w, 8);
            }
            if (i == 1 && !ra && tasvir_area_attach(t[1], "joiner", &ra) != 0)
                ra = NULL;
        }
        if (ra && step > 3000 && ((const uint64_t *)tasvir_area_reader(ra))[0] > 2500)
            break;
    }
    cr_assert(not(eq(ptr, ra, NULL)), "node 1 never found the joiner's area");
    cr_assert(gt(u64, ((const uint64_t *)tasvir_area_reader(ra))[0], 2500), "no data from the joiner");
    struct tasvir_peer_info pi;
    cr_assert(eq(int, tasvir_node_peer_info(node[1], 2, &pi), 0));
    cr_assert(eq(int, pi.known, 1), "node 1 learnt node 2 from the directory");
    cr_assert(eq(int, pi.up, 1));
    for (int i = 0; i < 3; i++)
        tasvir_node_destroy(node[i]);
    tasvir_loop_net_destroy(net);
}

/* A backend whose port takes at most 3 frames per tx_burst (a small, full NIC queue). */
struct stingy {
    const struct tasvir_backend *inner;
    struct tasvir_backend be;
    struct tasvir_backend_ops ops;
    uint64_t refused;
};
static struct stingy *stingy_of(void *ctx) { return ctx; }
static unsigned st_tx(void *ctx, struct tasvir_frame **f, unsigned n)
{
    struct stingy *s = stingy_of(ctx);
    unsigned k = n < 3 ? n : 3;
    s->refused += n - k;
    return s->inner->ops->tx_burst(s->inner->ctx, f, k);
}
#define ST_FWD(name, ret, params, args) \
    static ret st_##name params { return stingy_of(ctx)->inner->ops->name args; }
ST_FWD(now_ns, uint64_t, (void *ctx), (stingy_of(ctx)->inner->ctx))
ST_FWD(frame_alloc, unsigned, (void *ctx, struct tasvir_frame **f, unsigned n), (stingy_of(ctx)->inner->ctx, f, n))
ST_FWD(rx_burst, unsigned, (void *ctx, struct tasvir_frame **f, unsigned n), (stingy_of(ctx)->inner->ctx, f, n))
ST_FWD(mem_alloc, void *, (void *ctx, size_t l, size_t a), (stingy_of(ctx)->inner->ctx, l, a))
ST_FWD(identity, int, (void *ctx, struct tasvir_identity *o), (stingy_of(ctx)->inner->ctx, o))
static void st_frame_free(void *ctx, struct tasvir_frame **f, unsigned n)
{
    stingy_of(ctx)->inner->ops->frame_free(stingy_of(ctx)->inner->ctx, f, n);
}
static void st_mem_free(void *ctx, void *p, size_t l)
{
    stingy_of(ctx)->inner->ops->mem_free(stingy_of(ctx)->inner->ctx, p, l);
}

/* Two nodes; node 0 sends through a stingy port. */
struct stingy_pair {
    struct tasvir_loop_net *net;
    struct tasvir_loop_port *port[2];
    struct tasvir_node *node[2];
    struct tasvir_thread *t[2];
    struct tasvir_peer peers[2];
    struct stingy st;
};

static void stingy_pair_create(struct stingy_pair *p)
{
    memset(p, 0, sizeof(*p));
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.start_ns = 1000 * MS;
    cr_assert(eq(int, tasvir_loop_net_create(&lc, &p->net), 0));
    for (uint16_t i = 0; i < 2; i++) {
        p->peers[i].node_id = i;
        tasvir_loop_mac(i, p->peers[i].mac);
        cr_assert(eq(int, tasvir_loop_port_create(p->net, i, &p->port[i]), 0));
    }
    struct stingy *st = &p->st;
    st->inner = tasvir_loop_port_backend(p->port[0]);
    st->ops = (struct tasvir_backend_ops){.now_ns = st_now_ns, .frame_alloc = st_frame_alloc,
                                          .frame_free = st_frame_free, .tx_burst = st_tx,
                                          .rx_burst = st_rx_burst, .mem_alloc = st_mem_alloc,
                                          .mem_free = st_mem_free, .identity = st_identity};
    st->be = (struct tasvir_backend){&st->ops, st};
    for (uint16_t i = 0; i < 2; i++) {
        struct tasvir_node_conf c;
        tasvir_node_conf_init(&c);
        c.backend = i == 0 ? &st->be : tasvir_loop_port_backend(p->port[i]);
        c.peers = p->peers;
        c.n_peers = 2;
        c.hb_period_us = 1000;
        cr_assert(eq(int, tasvir_node_create(&c, &p->node[i]), 0));
        p->t[i] = h_thread(p->node[i]);
    }
}

static void stingy_pair_destroy(struct stingy_pair *p)
{
    for (int k = 0; k < 2; k++)
        tasvir_node_destroy(p->node[k]);
    tasvir_loop_net_destroy(p->net);
}

static struct tasvir_area *area_1mib(struct tasvir_thread *t, const char *name)
{
    /* external interval 1 ms; a whole version needs about 7 ms to pass the port */
    struct tasvir_area_conf ac;
    tasvir_area_conf_init(&ac);
    ac.name = name;
    ac.len_bytes = 1 << 20;
    ac.sync_int_us = 100;
    ac.sync_ext_us = 1000;
    struct tasvir_area *a = NULL;
    cr_assert(eq(int, tasvir_area_create(t, &ac, &a), 0));
    return a;
}

Test(esync, full_port_queue_backlogs_instead_of_dropping, .timeout = 60)
{
    static struct stingy_pair p;
    stingy_pair_create(&p);
    struct tasvir_loop_net *net = p.net;
    struct tasvir_node **node = p.node;
    struct tasvir_thread **t = p.t;
    struct tasvir_area *a = area_1mib(t[0], "big"), *r = NULL;
    uint8_t *w = tasvir_area_writer(a);
    for (int i = 0; i < 30000 && (!r || memcmp(tasvir_area_reader(r), tasvir_area_reader(a), 1 << 20) ||
                                  tasvir_area_version(a) < 2);
         i++) {
        tasvir_loop_net_advance(net, 10 * US);
        for (int k = 0; k < 2; k++)
            tasvir_node_poll(node[k], NULL);
        if (tasvir_service(t[0]) == 0 && i == 500) { /* one version that changes every line */
            memset(w, 0x5a, 1 << 20);
            tasvir_log(a, w, 1 << 20);
        }
        tasvir_service(t[1]);
        if (!r && tasvir_area_attach(t[1], "big", &r) != 0)
            r = NULL;
    }
    cr_assert(not(eq(ptr, r, NULL)));
    cr_assert(eq(int, memcmp(tasvir_area_reader(r), tasvir_area_reader(a), 1 << 20), 0),
              "the subscriber did not get the whole version through a 3-frame port");
    struct tasvir_stats s0;
    tasvir_node_stats(node[0], &s0);
    cr_log_info("port refused %lu frames; tx_failed %lu; versions sent %lu", p.st.refused,
                s0.tx_failed, s0.versions_sent);
    cr_assert(gt(u64, p.st.refused, 1000), "the test did not exercise a full port");
    cr_assert(eq(u64, s0.tx_failed, 0), "frames were dropped instead of waiting");
    stingy_pair_destroy(&p);
}

/* Overload: the owner changes the whole area every millisecond, and a version takes about
 * 7 ms to pass the port.  Rounds due while earlier frames still wait are postponed until
 * the backlog drains, so the subscriber keeps receiving versions a few milliseconds old;
 * queued behind each other, rounds would make the backlog (and the delay) grow without
 * bound, and then overflow it. */
Test(esync, overload_postpones_rounds_and_bounds_the_delay, .timeout = 60)
{
    static struct stingy_pair p;
    stingy_pair_create(&p);
    struct tasvir_thread **t = p.t;
    struct tasvir_area *a = area_1mib(t[0], "flood"), *r = NULL;
    uint64_t *w = tasvir_area_writer(a);
    uint64_t stamp = 0, seen_max_lag = 0, visible_late = 0;
    for (int i = 0; i < 20000; i++) { /* 200 ms */
        tasvir_loop_net_advance(p.net, 10 * US);
        for (int k = 0; k < 2; k++)
            tasvir_node_poll(p.node[k], NULL);
        if (tasvir_service(t[0]) == 0 && i % 100 == 0) { /* every line, every millisecond */
            stamp++;
            for (uint64_t l = 0; l < (1u << 20) / 64; l++)
                w[l * 8] = stamp;
            tasvir_log(a, w, 1 << 20);
        }
        tasvir_service(t[1]);
        if (!r && tasvir_area_attach(t[1], "flood", &r) != 0)
            r = NULL;
        if (r && i >= 10000) { /* steady state: the second 100 ms */
            uint64_t got = ((const uint64_t *)tasvir_area_reader(r))[0];
            uint64_t lag = stamp - got;
            if (lag > seen_max_lag)
                seen_max_lag = lag;
            if (i == 19999)
                visible_late = got;
        }
    }
    struct tasvir_stats s0;
    tasvir_node_stats(p.node[0], &s0);
    cr_log_info("stamp %lu, subscriber at %lu, max lag %lu ms; versions sent %lu, data frames "
                "%lu, rounds postponed %lu, tx_failed %lu", stamp, visible_late, seen_max_lag,
                s0.versions_sent, s0.data_frames_tx, s0.rounds_postponed, s0.tx_failed);
    cr_assert(not(eq(ptr, r, NULL)));
    cr_assert(gt(u64, s0.rounds_postponed, 0), "no round waited for the backlog");
    cr_assert(eq(u64, s0.tx_failed, 0), "the backlog overflowed");
    /* a version takes ~7 ms through the port; one round may wait for the one before */
    cr_assert(le(u64, seen_max_lag, 20), "the subscriber fell %lu ms behind", seen_max_lag);
    stingy_pair_destroy(&p);
}

/* ---- trace sink: the steps of every version's way, in order ---- */

#define TR_MAX 65536
struct tr_log {
    unsigned node;
    size_t n;
    struct tasvir_trace_rec r[TR_MAX];
};
static struct tr_log g_tr[3];

static void tr_sink(void *arg, const struct tasvir_trace_rec *r)
{
    struct tr_log *l = arg;
    cr_assert(lt(sz, l->n, (size_t)TR_MAX));
    l->r[l->n++] = *r;
}

static void conf_trace(struct tasvir_node_conf *c, unsigned i)
{
    c->hb_period_us = 1000;
    c->addressing = g_multicast ? TASVIR_ADDR_MULTICAST : TASVIR_ADDR_UNICAST;
    if (i < 2) { /* node 2 reads without a sink */
        g_tr[i].node = i;
        c->trace_fn = tr_sink;
        c->trace_arg = &g_tr[i];
    }
}

/* First event of a kind for (area, version, peer) in a node's log (peer UINT32_MAX: any). */
static const struct tasvir_trace_rec *tr_find(const struct tr_log *l, int ev, uint32_t area,
                                              uint64_t v, uint32_t peer)
{
    for (size_t k = 0; k < l->n; k++)
        if (l->r[k].event == ev && l->r[k].area_id == area && l->r[k].version == v &&
            (peer == UINT32_MAX || l->r[k].peer == peer))
            return &l->r[k];
    return NULL;
}

static void trace_run(int multicast)
{
    g_multicast = multicast;
    struct world w;
    w_init(&w, 3, 0, 256, 100, 1000, 6, conf_trace);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 30 * MS);
    w.writing = false;
    cr_assert(ne(u64, w_converge(&w, 50 * MS), UINT64_MAX));
    const struct tr_log *o = &g_tr[0], *r = &g_tr[1];
    /* the owner traced a PUBLISH for each of its versions, in order, after its epoch began */
    uint64_t owner_pubs = 0, last = 0;
    for (size_t k = 0; k < o->n; k++) {
        const struct tasvir_trace_rec *e = &o->r[k];
        if (e->area_id != w.area_id) /* the root directory, the other nodes' areas */
            continue;
        cr_assert(eq(u16, e->owner, 0));
        cr_assert(le(u64, e->ns, tasvir_node_now_ns(w.h.node[0])));
        if (e->event == TASVIR_TRACE_PUBLISH) {
            cr_assert(eq(u64, e->version, last + 1));
            cr_assert(le(u64, e->aux, e->ns));
            last = e->version;
            owner_pubs++;
        } else {
            cr_assert(eq(int, e->event, TASVIR_TRACE_SENT));
            cr_assert(ge(u32, e->aux, 1)); /* DATA frames */
            cr_assert(eq(u16, e->peer, multicast ? 0xffff : e->peer));
        }
    }
    cr_assert(eq(u64, last, tasvir_area_version(w.wa)));
    cr_assert(gt(u64, owner_pubs, 100));
    /* each version node 1 published: sent -> first frame -> complete -> epoch -> visible,
     * every step at or after the one before (one clock in this world) */
    uint64_t rx_pubs = 0, prev = 0;
    for (size_t k = 0; k < r->n; k++) {
        const struct tasvir_trace_rec *e = &r->r[k];
        if (e->area_id != w.area_id)
            continue;
        cr_assert(eq(u16, e->peer, 1));
        if (e->event != TASVIR_TRACE_PUBLISH)
            continue;
        uint64_t v = e->version;
        cr_assert(gt(u64, v, prev));
        prev = v;
        rx_pubs++;
        const struct tasvir_trace_rec *pub =
            tr_find(o, TASVIR_TRACE_PUBLISH, w.area_id, v, UINT32_MAX);
        const struct tasvir_trace_rec *sent =
            tr_find(o, TASVIR_TRACE_SENT, w.area_id, v, multicast ? 0xffff : 1);
        const struct tasvir_trace_rec *first = tr_find(r, TASVIR_TRACE_RX_FIRST, w.area_id, v, 1);
        const struct tasvir_trace_rec *done = tr_find(r, TASVIR_TRACE_RX_COMPLETE, w.area_id, v, 1);
        cr_assert(pub && sent && first && done, "version %" PRIu64 ": a step is missing", v);
        cr_assert(le(u64, pub->ns, sent->ns));
        cr_assert(le(u64, sent->ns, first->ns));
        cr_assert(le(u64, first->ns, done->ns));
        cr_assert(le(u64, done->ns, e->aux));
        cr_assert(le(u64, e->aux, e->ns));
        cr_assert(ge(u64, first->aux, 1));
    }
    cr_assert(eq(u64, prev, tasvir_area_version(w.wa)));
    cr_assert(gt(u64, rx_pubs, 20));
    cr_assert(eq(u64, w.rd[2].torn, 0)); /* the node without a sink is unaffected */
    cr_assert(eq(u64, tasvir_area_version(w.rd[2].h), tasvir_area_version(w.wa)));
    w_fini(&w);
}

Test(esync, trace_follows_every_version_unicast, .timeout = 60) { trace_run(0); }
Test(esync, trace_follows_every_version_multicast, .timeout = 60) { trace_run(1); }

/* ---- subscriptions end: lost UNSUBs, late NACKs, stale UNSUBs, dead subscribers ---- */

/* A frame that claims to come from node `src`, sent from a port of its own (the loopback
 * net routes by destination MAC): stands in for a frame that the network delayed. */
struct spoof {
    struct tasvir_loop_port *port;
    const struct tasvir_backend *be;
};

static void spoof_init(struct spoof *s, struct world *w)
{
    cr_assert(eq(int, tasvir_loop_port_create(w->h.net, 9, &s->port), 0));
    s->be = tasvir_loop_port_backend(s->port);
}

static void spoof_ctrl(struct spoof *s, uint16_t src, uint16_t dst, uint8_t type, uint16_t flags,
                       uint32_t area, uint64_t version, uint64_t base, uint64_t pub_ns)
{
    uint8_t smac[6], dmac[6];
    tasvir_loop_mac(src, smac);
    tasvir_loop_mac(dst, dmac);
    struct tasvir_wire_hdr h = {.type = type, .flags = flags, .src_node = src, .dst_node = dst,
                                .area_id = area, .version = version, .base_version = base,
                                .pub_ns = pub_ns};
    struct tasvir_frame *f;
    cr_assert(eq(u32, s->be->ops->frame_alloc(s->be->ctx, &f, 1), 1));
    uint32_t len = tasvir__wire_encode_hdr(f->data, dmac, smac, &h);
    f->len = len < 60 ? 60 : len;
    memset(f->data + len, 0, f->len - len);
    cr_assert(eq(u32, s->be->ops->tx_burst(s->be->ctx, &f, 1), 1));
}

static uint64_t versions_sent(struct world *w, unsigned node)
{
    struct tasvir_stats st;
    tasvir_node_stats(w->h.node[node], &st);
    return st.versions_sent;
}

/* Two nodes: node 0 owns "vers", node 1 subscribed and caught up. */
static void sub_pair(struct world *w, uint64_t seed)
{
    w_init(w, 2, 0, 64, 1000, 1000, seed, conf_addr);
    w_attach_all(w, 100 * MS);
    w->writing = true;
    w_run(w, 10 * MS);
    cr_assert(ne(u64, w_converge(w, 20 * MS), UINT64_MAX));
}

static void detach_reader(struct world *w, unsigned i)
{
    cr_assert(eq(int, tasvir_area_detach(w->rd[i].h), 0));
    w->attached[i] = false;
}

/* The UNSUB of a detaching subscriber is lost.  The owner keeps sending to it, and it
 * answers the next DATA frame (unicast) or heartbeat listing (multicast: it left the
 * group, DATA no longer reaches it) with another UNSUB.  Before, the owner sent it a
 * version every round for ever (1000 per second at a 1 ms interval). */
static void lost_unsub_run(int multicast)
{
    g_multicast = multicast;
    struct world w;
    sub_pair(&w, 31);
    struct tasvir_loop_faults lose = {.loss = 1.0};
    cr_assert(eq(int, tasvir_loop_port_set_faults(w.h.port[1], &lose), 0));
    detach_reader(&w, 1);
    w_run(&w, 100 * US); /* the UNSUB goes out and is lost */
    tasvir_loop_port_set_faults(w.h.port[1], NULL);
    w_run(&w, 10 * MS); /* the owner learns */
    uint64_t v0 = versions_sent(&w, 0), d0 = w.tap_data_frames[1];
    w_run(&w, 100 * MS); /* the owner keeps publishing a version every millisecond */
    uint64_t dv = versions_sent(&w, 0) - v0, dd = w.tap_data_frames[1] - d0;
    cr_log_info("%s: 100 ms after the lost UNSUB: versions sent %lu, data frames to node 1 %lu",
                multicast ? "multicast" : "unicast", dv, dd);
    cr_assert(eq(u64, dv, 0), "the owner still sends to a node that unsubscribed");
    cr_assert(eq(u64, dd, 0));
    w_fini(&w);
}

Test(esync, lost_unsub_ends_the_subscription_unicast, .timeout = 60) { lost_unsub_run(0); }
Test(esync, lost_unsub_ends_the_subscription_multicast, .timeout = 60) { lost_unsub_run(1); }

/* A NACK the subscriber sent just before it detached arrives after its UNSUB (reordered).
 * It must not subscribe the node again: before, a NACK from a non-subscriber added a
 * subscription, and the owner sent versions to a node that wanted none. */
Test(esync, late_nack_does_not_resubscribe, .timeout = 60)
{
    g_multicast = 0;
    struct world w;
    sub_pair(&w, 32);
    struct spoof s;
    spoof_init(&s, &w);
    detach_reader(&w, 1);
    w_run(&w, 10 * MS);
    uint64_t v0 = versions_sent(&w, 0), d0 = w.tap_data_frames[1];
    uint64_t vis = tasvir_area_version(w.wa);
    spoof_ctrl(&s, 1, 0, TASVIR_FT_NACK, 0, w.area_id, vis - 3, vis - 2,
               tasvir_loop_net_now(w.h.net) - 11 * MS);
    w_run(&w, 100 * MS);
    uint64_t dv = versions_sent(&w, 0) - v0, dd = w.tap_data_frames[1] - d0;
    cr_log_info("100 ms after the late NACK: versions sent %lu, data frames to node 1 %lu", dv, dd);
    cr_assert(eq(u64, dd, 0), "a late NACK subscribed the node again");
    cr_assert(eq(u64, dv, 0));
    struct tasvir_stats st;
    tasvir_node_stats(w.h.node[0], &st);
    cr_assert(ge(u64, st.nacks_rx, 1), "the NACK did not arrive");
    w_fini(&w);
}

/* The subscriber detaches and attaches again; the UNSUB of the first subscription arrives
 * after the SUB of the second (reordered).  It is older than that SUB and must not end
 * the new subscription: before, it did, and the replica (confirmed, so it sends no more
 * SUBs) never received another version. */
Test(esync, stale_unsub_does_not_end_a_newer_subscription, .timeout = 60)
{
    g_multicast = 0;
    struct world w;
    sub_pair(&w, 33);
    struct spoof s;
    spoof_init(&s, &w);
    detach_reader(&w, 1);
    uint64_t unsub_ns = tasvir_loop_net_now(w.h.net);
    w_run(&w, 5 * MS);
    w_attach_all(&w, 20 * MS);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
    spoof_ctrl(&s, 1, 0, TASVIR_FT_CTRL, TASVIR_CTRL_UNSUB, w.area_id, 0, 0, unsub_ns);
    w_run(&w, 20 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX),
              "a stale UNSUB ended the newer subscription");
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 64 * 64), 0));
    cr_assert(eq(u64, w.rd[1].torn, 0));
    w_fini(&w);
}

/* A subscriber that goes silent is declared down; the owner stops serving it (before, it
 * sent a version every round to a node that might never come back), and serves it again
 * as soon as it is heard from. */
Test(esync, down_subscriber_is_not_served_until_back, .timeout = 60)
{
    g_multicast = 0;
    struct world w;
    sub_pair(&w, 34);
    tasvir_loop_port_set_down(w.h.port[1], 1);
    struct tasvir_peer_info pi;
    uint64_t t = 0;
    for (; t < 50 * MS; t += w.dt_ns) {
        tasvir_node_peer_info(w.h.node[0], 1, &pi);
        if (!pi.up)
            break;
        w_step(&w);
    }
    cr_assert(eq(int, pi.up, 0), "node 1 was not declared down");
    w_run(&w, MS);
    uint64_t v0 = versions_sent(&w, 0);
    w_run(&w, 100 * MS);
    uint64_t dv = versions_sent(&w, 0) - v0;
    cr_log_info("100 ms while the subscriber is down: versions sent %lu", dv);
    cr_assert(eq(u64, dv, 0), "the owner serves a subscriber that is down");
    tasvir_loop_port_set_down(w.h.port[1], 0);
    w_run(&w, 20 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX), "not served again once back");
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 64 * 64), 0));
    cr_assert(eq(u64, w.rd[1].torn, 0));
    w_fini(&w);
}

/* Multicast: node 1 joins the group and sends its SUB, which is lost, while the owner's
 * rounds for node 2 reach node 1 through the group (as a bridge floods them to every port
 * on the testbeds).  The group's frames do not prove a subscription: node 1 must SUB again
 * until the owner's heartbeat lists it.  Before, any frame of the area counted as the
 * answer, node 1 stopped asking, the owner (which drops the NACKs of non-subscribers) never
 * served it, and it stayed at version 0 (test_dpdk_launcher run_bridge, 2026-12-02). */
Test(esync, multicast_lost_sub_is_sent_again, .timeout = 60)
{
    g_multicast = 1;
    struct world w;
    w_init(&w, 3, 0, 64, 1000, 1000, 34, conf_addr);
    w.writing = true;
    for (uint64_t t = 0; !w.attached[2] || tasvir_area_lookup(w.h.node[1], "vers") != 1; t++) {
        cr_assert(lt(u64, t, 10000), "the directory did not reach nodes 1 and 2");
        if (!w.attached[2])
            w_attach(&w, 2);
        w_step(&w);
    }
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
    struct tasvir_loop_faults lose = {.loss = 1.0};
    cr_assert(eq(int, tasvir_loop_port_set_faults(w.h.port[1], &lose), 0));
    w_attach(&w, 1);
    cr_assert(w.attached[1]);
    w_run(&w, 100 * US); /* the SUB goes out and is lost; the group's frames keep coming */
    tasvir_loop_port_set_faults(w.h.port[1], NULL);
    w_run(&w, 30 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX),
              "node 1 never got a version (reader at %lu, owner at %lu)",
              (unsigned long)tasvir_area_version(w.rd[1].h),
              (unsigned long)tasvir_area_version(w.wa));
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 64 * 64), 0));
    cr_assert(eq(u64, w.rd[1].torn, 0));
    w_fini(&w);
}

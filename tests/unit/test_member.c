/*
 * test_member.c — membership and robustness of the wire path.
 *
 * Covers: heartbeats and liveness (a silent node is declared down within
 * down_after_hb heartbeat periods plus one, readers see its areas' owner down and their
 * view stale; when it comes back it is readmitted and its subscribers catch up); an owner
 * that restarts (new incarnation) — its subscribers reset, keep versions monotonic and
 * converge to the new contents; malformed frames (every header field out of range,
 * truncated, oversized length, bad segments, unknown area, unknown node, wrong protocol
 * version, bad control frames) are dropped and counted by reason, never applied; a live
 * owner whose transmit backlog holds a long version is not declared down (heartbeats go
 * ahead of the backlog); the root directory: readers follow names, not ids, across an
 * owner restart that reuses ids (and see an area their owner did not create again as
 * gone), nodes register again after the root restarts, destroy withdraws the entry
 * (promptly, on a quiet node too; the name can be created and attached again; slots are
 * reused; a full directory is counted), and nodes take the directory's size from the
 * root.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../runtime/core/wire.h"
#include "world.h"

#define US 1000ull
#define MS 1000000ull

static void conf_hb(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->hb_period_us = 1000;
    c->down_after_hb = 5;
}

Test(member, silent_node_declared_down_then_readmitted_and_catches_up, .timeout = 60)
{
    struct world w;
    /* node 2 owns the verified area; 0 (root) and 1 read it */
    w_init(&w, 3, 2, 128, 100, 1000, 11, conf_hb);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 20 * MS);
    struct tasvir_peer_info pi;
    cr_assert(eq(int, tasvir_node_peer_info(w.h.node[1], 2, &pi), 0));
    cr_assert(eq(int, pi.up, 1));
    /* node 2 goes silent (cut off; it keeps running and writing) */
    tasvir_loop_port_set_down(w.h.port[2], 1);
    uint64_t cut = tasvir_loop_net_now(w.h.net), t = 0;
    for (; t < 50 * MS; t += w.dt_ns) {
        tasvir_node_peer_info(w.h.node[1], 2, &pi);
        if (!pi.up)
            break;
        w_step(&w);
    }
    cr_log_info("declared down after %lu us", t / 1000);
    cr_assert(eq(int, pi.up, 0));
    cr_assert(le(u64, t, (5 + 1) * MS + w.dt_ns), "down detected too late: %lu us", t / 1000);
    cr_assert(ge(u64, t, 4 * MS), "down declared too early: %lu us", t / 1000);
    struct tasvir_area_info ai;
    cr_assert(eq(int, tasvir_area_info(w.rd[1].h, &ai), 0));
    cr_assert(eq(int, ai.owner_up, 0));
    cr_assert(ne(u64, ai.stale_since_ns, 0));
    cr_assert(le(u64, ai.stale_since_ns, cut + MS), "stale since before the cut (last heard)");
    struct tasvir_stats st;
    tasvir_node_stats(w.h.node[1], &st);
    cr_assert(eq(u64, st.peers_down, 1));
    tasvir_node_peer_info(w.h.node[0], 2, &pi);
    cr_assert(eq(int, pi.up, 0), "the root also saw it go down");
    w_run(&w, 20 * MS);
    /* back: readmitted, and its readers catch up to what it wrote meanwhile */
    tasvir_loop_port_set_down(w.h.port[2], 0);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
    tasvir_node_peer_info(w.h.node[1], 2, &pi);
    cr_assert(eq(int, pi.up, 1));
    tasvir_node_stats(w.h.node[1], &st);
    cr_assert(eq(u64, st.peers_up, 1));
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 128 * 64), 0));
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[0].h), tasvir_area_reader(w.wa), 128 * 64), 0));
    w_run(&w, 3 * MS);
    tasvir_area_info(w.rd[1].h, &ai);
    cr_assert(eq(int, ai.owner_up, 1));
    cr_assert(eq(u64, ai.stale_since_ns, 0));
    cr_assert(eq(u64, w.rd[1].torn + w.rd[0].torn, 0));
    w_fini(&w);
}

Test(member, owner_restart_keeps_readers_monotonic, .timeout = 60)
{
    struct world w;
    w_init(&w, 2, 1, 64, 100, 1000, 12, conf_hb);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 20 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    w_converge(&w, 20 * MS);
    uint64_t before = tasvir_area_version(w.rd[0].h);
    cr_assert(gt(u64, before, 10));
    /* node 1 restarts: a new node on the same port, same areas in the same order */
    w_node_down(&w, 1);
    w_run(&w, 2 * MS);
    w_node_up(&w, 1, conf_hb);
    w.wa = h_area(w.t[1], "vers", 64 * 64, 100);
    cr_assert(not(eq(ptr, w.wa, NULL)));
    tasvir_area_set_sync(w.wa, 0, 1000);
    memset(w.line_gen, 0, 64 * sizeof(uint64_t));
    w.gen = w.digest = 0;
    /* the writer's generations restart with it (gen_backwards); versions must not */
    w.writing = true;
    w_run(&w, 20 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    uint64_t t = 0, vn = tasvir_area_version(w.wa);
    for (; t < 50 * MS; t += w.dt_ns) {
        if (memcmp(tasvir_area_reader(w.rd[0].h), tasvir_area_reader(w.wa), 64 * 64) == 0)
            break;
        w_step(&w);
    }
    struct tasvir_stats d0;
    tasvir_node_stats(w.h.node[0], &d0);
    cr_log_info("restarts %lu complete %lu published %lu drops: old %lu base %lu area %lu node %lu field %lu",
                d0.owner_restarts, d0.versions_rx_complete, d0.versions_rx_published, d0.rx_drop[TASVIR_DROP_OLD],
                d0.rx_drop[TASVIR_DROP_BASE], d0.rx_drop[TASVIR_DROP_AREA], d0.rx_drop[TASVIR_DROP_NODE],
                d0.rx_drop[TASVIR_DROP_FIELD]);
    cr_assert(lt(u64, t, 50 * MS), "reader did not converge to the restarted owner's contents");
    uint64_t after = tasvir_area_version(w.rd[0].h);
    cr_log_info("reader version before restart %lu, after %lu (owner at %lu)", before, after, vn);
    cr_assert(gt(u64, after, before), "reader versions must stay monotonic across a restart");
    cr_assert(eq(u64, w.rd[0].backwards, 0));
    cr_assert(eq(u64, w.rd[0].torn, 0));
    struct tasvir_stats st;
    tasvir_node_stats(w.h.node[0], &st);
    cr_assert(eq(u64, st.owner_restarts, 2)); /* "vers" and the node area the root watches */
    w_fini(&w);
}

/* ---- malformed frames ---- */

struct inj {
    struct world w;
    struct tasvir_loop_port *evil;
    const struct tasvir_backend *be;
};

static void inj_send(struct inj *x, const uint8_t *frame, uint32_t len)
{
    struct tasvir_frame *f;
    cr_assert(eq(u32, x->be->ops->frame_alloc(x->be->ctx, &f, 1), 1));
    cr_assert(le(u32, len, f->cap));
    memcpy(f->data, frame, len);
    f->len = len;
    cr_assert(eq(u32, x->be->ops->tx_burst(x->be->ctx, &f, 1), 1));
}

/* A well-formed DATA frame from node 0 (the owner) to node 1 for the verified area. */
static uint32_t good_data(struct inj *x, uint8_t *buf, struct tasvir_wire_hdr *h)
{
    uint8_t dst[6], src[6];
    tasvir_loop_mac(1, dst);
    tasvir_loop_mac(0, src);
    *h = (struct tasvir_wire_hdr){.type = TASVIR_FT_DATA, .src_node = 0, .dst_node = 1,
                                  .area_id = x->w.area_id, .seq = 0, .count = 1,
                                  .version = 1000000, .base_version = 0, .offset = 64,
                                  .length = 8 + 64, .pub_ns = 1};
    uint32_t off = tasvir__wire_encode_hdr(buf, dst, src, h);
    tasvir__put32(buf + off, 1);
    tasvir__put32(buf + off + 4, 1);
    memset(buf + off + 8, 0xee, 64);
    return off + 72;
}

static void expect_drop(struct inj *x, const uint8_t *frame, uint32_t len, int reason,
                        const char *what)
{
    struct tasvir_stats a, b;
    tasvir_node_stats(x->w.h.node[1], &a);
    uint64_t v = tasvir_area_version(x->w.rd[1].h);
    inj_send(x, frame, len);
    for (int i = 0; i < 3; i++)
        w_step(&x->w);
    tasvir_node_stats(x->w.h.node[1], &b);
    cr_assert(eq(u64, b.rx_drop[reason] - a.rx_drop[reason], 1), "%s: not counted as '%s'", what,
              tasvir_drop_reason(reason));
    uint64_t others = 0;
    for (int r = 0; r < TASVIR_DROP_REASONS; r++)
        if (r != reason)
            others += b.rx_drop[r] - a.rx_drop[r];
    cr_assert(eq(u64, others, 0), "%s: counted under another reason too", what);
    cr_assert(eq(u64, tasvir_area_version(x->w.rd[1].h), v), "%s: applied", what);
    const uint8_t *r = tasvir_area_reader(x->w.rd[1].h);
    for (int i = 0; i < 64 * 64; i++)
        cr_assert(ne(u8, r[i], 0xee), "%s: payload reached the reader copy", what);
}

Test(member, malformed_frames_dropped_and_counted, .timeout = 60)
{
    struct inj x;
    w_init(&x.w, 2, 0, 64, 100, 1000, 13, conf_hb);
    w_attach_all(&x.w, 100 * MS);
    w_run(&x.w, 10 * MS); /* quiet: no writes, nothing in flight */
    cr_assert(eq(int, tasvir_loop_port_create(x.w.h.net, 9, &x.evil), 0));
    x.be = tasvir_loop_port_backend(x.evil);
    uint8_t buf[2048], f[2048];
    struct tasvir_wire_hdr h;
    uint32_t len = good_data(&x, buf, &h);
    uint8_t *p = buf + 14;

#define MUTATE(stmt, reason, what)           \
    do {                                     \
        memcpy(f, buf, len);                 \
        uint32_t flen = len;                 \
        uint8_t *q = f + 14;                 \
        (void)q;                             \
        stmt;                                \
        expect_drop(&x, f, flen, reason, what); \
    } while (0)

    (void)p;
    MUTATE(flen = 40, TASVIR_DROP_SHORT, "truncated below the headers");
    MUTATE(f[12] = 0x08; f[13] = 0x00, TASVIR_DROP_ETHERTYPE, "IPv4 ethertype");
    MUTATE(q[0] = 2, TASVIR_DROP_PROTO, "protocol version 2");
    MUTATE(q[0] = 0, TASVIR_DROP_PROTO, "protocol version 0");
    MUTATE(q[1] = 0, TASVIR_DROP_TYPE, "type 0");
    MUTATE(q[1] = 77, TASVIR_DROP_TYPE, "type 77");
    MUTATE(tasvir__put32(q + 40, 5000), TASVIR_DROP_LENGTH, "length beyond the frame");
    MUTATE(flen = len - 10, TASVIR_DROP_LENGTH, "frame truncated inside the payload");
    MUTATE(tasvir__put32(q + 44, 0), TASVIR_DROP_FIELD, "count 0");
    MUTATE(tasvir__put32(q + 12, 1), TASVIR_DROP_FIELD, "seq == count");
    MUTATE(tasvir__put64(q + 16, 0), TASVIR_DROP_FIELD, "version 0");
    MUTATE(tasvir__put64(q + 24, 1000000), TASVIR_DROP_FIELD, "base == version");
    MUTATE(tasvir__put64(q + 32, 65), TASVIR_DROP_FIELD, "unaligned offset");
    MUTATE(tasvir__put32(q + 56 + 4, 0), TASVIR_DROP_SEGMENT, "segment of 0 lines");
    MUTATE(tasvir__put32(q + 56 + 4, 2), TASVIR_DROP_SEGMENT, "segment overruns payload");
    MUTATE(tasvir__put32(q + 40, 4); flen = 14 + 56 + 4, TASVIR_DROP_SEGMENT, "segment header cut");
    MUTATE(tasvir__put16(q + 4, 2000), TASVIR_DROP_NODE, "source node out of range");
    MUTATE(tasvir__put16(q + 4, 500), TASVIR_DROP_NODE, "unknown source node");
    MUTATE(tasvir__put16(q + 4, 1), TASVIR_DROP_NODE, "source is the receiver itself");
    MUTATE(tasvir__put16(q + 6, 0), TASVIR_DROP_DST, "addressed to another node");
    MUTATE(tasvir__put16(q + 6, 3000), TASVIR_DROP_NODE, "destination out of range");
    MUTATE(tasvir__put32(q + 8, 0xdead), TASVIR_DROP_AREA, "unknown area");
    MUTATE(tasvir__put32(q + 56, 64), TASVIR_DROP_BOUNDS, "line beyond the area");
    MUTATE(tasvir__put32(q + 56, 63); tasvir__put32(q + 56 + 4, 1); tasvir__put32(q + 44, 65);
           tasvir__put32(q + 12, 0), TASVIR_DROP_BOUNDS, "count beyond the area's lines");
    MUTATE(tasvir__put32(q + 56, 0xffffffff), TASVIR_DROP_BOUNDS, "line index overflow");
    MUTATE(tasvir__put64(q + 24, 999999), TASVIR_DROP_BASE, "diff against a base we lack");
    MUTATE(q[1] = TASVIR_FT_CTRL; tasvir__put16(q + 2, 9); tasvir__put32(q + 40, 0); flen = 70,
           TASVIR_DROP_TYPE, "unknown control op");
    MUTATE(q[1] = TASVIR_FT_CTRL; tasvir__put16(q + 2, TASVIR_CTRL_REG), TASVIR_DROP_LENGTH,
           "REG with a wrong payload size");
    MUTATE(q[1] = TASVIR_FT_HB; tasvir__put32(q + 40, 25), TASVIR_DROP_LENGTH,
           "heartbeat payload not whole entries");
    MUTATE(q[1] = TASVIR_FT_ACK, TASVIR_DROP_FIELD, "ACK with a payload");
    MUTATE(q[1] = TASVIR_FT_ACK; tasvir__put32(q + 40, 0); flen = 70, TASVIR_DROP_NOT_OWNER,
           "ACK for an area this node does not own");
    MUTATE(q[1] = TASVIR_FT_VEND, TASVIR_DROP_FIELD, "VEND with a payload");
#undef MUTATE
    /* after all that, a genuine frame still works */
    struct tasvir_stats st;
    tasvir_node_stats(x.w.h.node[1], &st);
    uint64_t total = 0;
    for (int r = 0; r < TASVIR_DROP_REASONS; r++)
        total += st.rx_drop[r];
    cr_log_info("dropped %lu malformed frames", total);
    x.w.writing = true;
    w_run(&x.w, 5 * MS);
    x.w.writing = false;
    w_run(&x.w, 200 * US);
    cr_assert(ne(u64, w_converge(&x.w, 20 * MS), UINT64_MAX));
    cr_assert(eq(u64, x.w.rd[1].torn, 0));
    w_fini(&x.w);
}

Test(member, restarted_subscriber_resubscribes_while_owner_idle, .timeout = 60)
{
    struct world w;
    /* node 0 (root) owns the area; node 1 subscribes, restarts, and must get it all again
     * (and the root directory) although nothing changes at the owner any more */
    w_init(&w, 2, 0, 64, 100, 1000, 21, conf_hb);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 10 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
    w_run(&w, 50 * MS); /* everything idle */
    w_node_down(&w, 1);
    w_node_up(&w, 1, conf_hb);
    w_attach_all(&w, 100 * MS);
    cr_assert(ne(u64, w_converge(&w, 50 * MS), UINT64_MAX));
    cr_assert(eq(int, memcmp(tasvir_area_reader(w.rd[1].h), tasvir_area_reader(w.wa), 64 * 64), 0));
    w_fini(&w);
}

/* A restarted node whose port hears the owner's heartbeat before its engine first polls:
 * the owner still lists the previous incarnation, and that listing must not be taken as
 * this incarnation's subscription (found on DPDK, where opening a port takes tens of ms). */
static void restart_with_gap(struct world *w, unsigned k, uint64_t down_ns, uint64_t gap_ns)
{
    tasvir_loop_port_set_down(w->h.port[k], 1);
    w_node_down(w, k);
    w_run(w, down_ns);
    tasvir_loop_port_set_down(w->h.port[k], 0);
    w_run(w, gap_ns); /* the port hears heartbeats before the new node exists */
    w_node_up(w, k, conf_hb);
}

Test(member, restart_with_heartbeats_queued_before_first_poll, .timeout = 120)
{
    uint64_t downs[] = {0, 10, 100}, gaps[] = {0, 500, 2000, 5000};
    for (unsigned d = 0; d < 3; d++)
        for (unsigned g = 0; g < 4; g++) {
            struct world w;
            w_init(&w, 3, 0, 64, 100, 1000, 1 + d * 4 + g, conf_hb);
            w_attach_all(&w, 100 * MS);
            w.writing = true;
            w_run(&w, 10 * MS);
            w.writing = false;
            w_run(&w, 200 * US);
            cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
            w_run(&w, 50 * MS);
            restart_with_gap(&w, 2, downs[d] * MS, gaps[g] * US);
            w_attach_all(&w, 200 * MS);
            cr_assert(ne(u64, w_converge(&w, 50 * MS), UINT64_MAX), "down %lu ms gap %lu us",
                      downs[d], gaps[g]);
            w_fini(&w);
        }
}

/* ---- a live owner whose port is busy is not declared down ---- */

/* A backend whose port drains `per_ms` frames per millisecond of the manual clock (a token
 * bucket of 32 frames): a slow link relative to the area. */
struct slow {
    const struct tasvir_backend *inner;
    struct tasvir_backend be;
    struct tasvir_backend_ops ops;
    uint64_t per_ms, t0, tokens;
};
static struct slow *slow_of(void *ctx) { return ctx; }
static unsigned slow_tx(void *ctx, struct tasvir_frame **f, unsigned n)
{
    struct slow *s = slow_of(ctx);
    uint64_t now = s->inner->ops->now_ns(s->inner->ctx);
    uint64_t add = (now - s->t0) * s->per_ms / MS;
    s->t0 += add * MS / s->per_ms;
    s->tokens = s->tokens + add > 32 ? 32 : s->tokens + add;
    unsigned k = n < s->tokens ? n : (unsigned)s->tokens;
    s->tokens -= k;
    return s->inner->ops->tx_burst(s->inner->ctx, f, k);
}
#define SLOW_FWD(name, ret, params, args) \
    static ret slow_##name params { return slow_of(ctx)->inner->ops->name args; }
SLOW_FWD(now_ns, uint64_t, (void *ctx), (slow_of(ctx)->inner->ctx))
SLOW_FWD(frame_alloc, unsigned, (void *ctx, struct tasvir_frame **f, unsigned n), (slow_of(ctx)->inner->ctx, f, n))
SLOW_FWD(rx_burst, unsigned, (void *ctx, struct tasvir_frame **f, unsigned n), (slow_of(ctx)->inner->ctx, f, n))
SLOW_FWD(mem_alloc, void *, (void *ctx, size_t l, size_t a), (slow_of(ctx)->inner->ctx, l, a))
SLOW_FWD(identity, int, (void *ctx, struct tasvir_identity *o), (slow_of(ctx)->inner->ctx, o))
static void slow_frame_free(void *ctx, struct tasvir_frame **f, unsigned n)
{
    slow_of(ctx)->inner->ops->frame_free(slow_of(ctx)->inner->ctx, f, n);
}
static void slow_mem_free(void *ctx, void *p, size_t l)
{
    slow_of(ctx)->inner->ops->mem_free(slow_of(ctx)->inner->ctx, p, l);
}

/* Node 1 owns a 1 MiB area that nodes 2 and 3 subscribe to, and sends through a port that
 * takes 30 frames per millisecond: one version that changes every line is about 750
 * frames per subscriber, 50 ms in the transmit backlog.  Node 0 (the root) gets no data
 * from node 1 meanwhile (node 1's rounds wait for the backlog), and node 3's version waits
 * behind node 2's.  The heartbeats must still reach them: before, they queued behind the
 * backlog, and node 0 declared the busy node 1 down within down_after_hb periods. */
Test(member, busy_owner_is_not_declared_down, .timeout = 60)
{
    static struct slow s;
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.start_ns = 1000 * MS;
    struct tasvir_loop_net *net;
    cr_assert(eq(int, tasvir_loop_net_create(&lc, &net), 0));
    enum { N = 4 };
    struct tasvir_peer peers[N];
    struct tasvir_loop_port *port[N];
    struct tasvir_node *node[N];
    struct tasvir_thread *t[N];
    for (uint16_t i = 0; i < N; i++) {
        peers[i].node_id = i;
        tasvir_loop_mac(i, peers[i].mac);
        cr_assert(eq(int, tasvir_loop_port_create(net, i, &port[i]), 0));
    }
    s.inner = tasvir_loop_port_backend(port[1]);
    s.ops = (struct tasvir_backend_ops){.now_ns = slow_now_ns, .frame_alloc = slow_frame_alloc,
                                        .frame_free = slow_frame_free, .tx_burst = slow_tx,
                                        .rx_burst = slow_rx_burst, .mem_alloc = slow_mem_alloc,
                                        .mem_free = slow_mem_free, .identity = slow_identity};
    s.be = (struct tasvir_backend){&s.ops, &s};
    s.per_ms = 30;
    s.t0 = lc.start_ns;
    for (uint16_t i = 0; i < N; i++) {
        struct tasvir_node_conf c;
        tasvir_node_conf_init(&c);
        c.backend = i == 1 ? &s.be : tasvir_loop_port_backend(port[i]);
        c.peers = peers;
        c.n_peers = N;
        conf_hb(&c, i);
        cr_assert(eq(int, tasvir_node_create(&c, &node[i]), 0));
        t[i] = h_thread(node[i]);
    }
    const uint64_t len = 1 << 20;
    struct tasvir_area *a = h_area(t[1], "big", len, 1000), *r[N] = {0};
    cr_assert(not(eq(ptr, a, NULL)));
    uint8_t *w = tasvir_area_writer(a);
    struct tasvir_stats st0[N], st[N];
    bool written = false, all_down_free = true;
    uint64_t done_at = 0;
    for (int i = 0; i < 30000; i++) { /* 300 ms at most */
        tasvir_loop_net_advance(net, 10 * US);
        for (int k = 0; k < N; k++)
            tasvir_node_poll(node[k], NULL);
        for (int k = 0; k < N; k++) {
            if (tasvir_service(t[k]) != 0)
                continue;
            if ((k == 2 || k == 3) && !r[k] && tasvir_area_attach(t[k], "big", &r[k]) != 0)
                r[k] = NULL;
            if (k == 1 && !written && i >= 5000) { /* 50 ms in: subscribed, idle */
                cr_assert(r[2] && r[3]);
                for (int m = 0; m < N; m++)
                    tasvir_node_stats(node[m], &st0[m]);
                memset(w, 0x5a, len);
                tasvir_log(a, w, len);
                written = true;
            }
        }
        for (int k = 0; k < N; k++)
            tasvir_node_poll(node[k], NULL);
        if (written) {
            for (int m = 0; m < N; m++) {
                struct tasvir_peer_info pi;
                tasvir_node_peer_info(node[m], 1, &pi);
                if (m != 1 && !pi.up && all_down_free) {
                    all_down_free = false;
                    cr_log_info("node %d declared node 1 down %d ms after the write", m,
                                (i - 5000) / 100);
                }
            }
            if (!done_at && tasvir_area_version(r[2]) == tasvir_area_version(a) &&
                tasvir_area_version(r[3]) == tasvir_area_version(a) &&
                !memcmp(tasvir_area_reader(r[2]), w, len) && !memcmp(tasvir_area_reader(r[3]), w, len))
                done_at = (uint64_t)i;
            if (done_at && i > (int)done_at + 1000)
                break;
        }
    }
    for (int m = 0; m < N; m++)
        tasvir_node_stats(node[m], &st[m]);
    cr_log_info("version delivered to both subscribers %lu ms after the write",
                done_at ? (unsigned long)(done_at - 5000) / 100 : 0ul);
    cr_assert(written);
    cr_assert(ne(u64, done_at, 0), "the subscribers never got the version");
    for (int m = 0; m < N; m++)
        cr_log_info("node %d: peers_down +%lu", m, st[m].peers_down - st0[m].peers_down);
    for (int m = 0; m < N; m++)
        if (m != 1)
            cr_assert(eq(u64, st[m].peers_down - st0[m].peers_down, 0),
                      "node %d declared the busy node 1 down", m);
    cr_assert(all_down_free);
    cr_assert(eq(u64, st[1].tx_failed, 0));
    for (int k = 0; k < N; k++)
        tasvir_node_destroy(node[k]);
    tasvir_loop_net_destroy(net);
}

/* ---- the root directory: names, ids, restarts, destruction ---- */

/* A net of n nodes driven in 10 us steps, one thread per node; nodes may be restarted. */
struct dnet {
    struct h_net h;
    struct tasvir_thread *t[H_MAX_NODES];
};

static void d_step(struct dnet *d)
{
    tasvir_loop_net_advance(d->h.net, 10 * US);
    for (unsigned i = 0; i < d->h.n; i++)
        if (d->h.node[i])
            tasvir_node_poll(d->h.node[i], NULL);
    for (unsigned i = 0; i < d->h.n; i++)
        if (d->t[i])
            tasvir_service(d->t[i]);
    for (unsigned i = 0; i < d->h.n; i++)
        if (d->h.node[i])
            tasvir_node_poll(d->h.node[i], NULL);
}

static void d_run(struct dnet *d, uint64_t ns)
{
    for (uint64_t t = 0; t < ns; t += 10 * US)
        d_step(d);
}

static void d_init(struct dnet *d, unsigned n, void (*conf_fn)(struct tasvir_node_conf *, unsigned))
{
    memset(d, 0, sizeof(*d));
    cr_assert(eq(int, h_net_create(&d->h, n, 0, 1, conf_fn), 0));
    for (unsigned i = 0; i < n; i++)
        cr_assert(not(eq(ptr, d->t[i] = h_thread(d->h.node[i]), NULL)));
}

static void d_down(struct dnet *d, unsigned k)
{
    tasvir_node_destroy(d->h.node[k]);
    d->h.node[k] = NULL;
    d->t[k] = NULL;
}

static void d_up(struct dnet *d, unsigned k, void (*conf_fn)(struct tasvir_node_conf *, unsigned))
{
    struct tasvir_peer peers[H_MAX_NODES];
    for (uint16_t i = 0; i < d->h.n; i++) {
        peers[i].node_id = i;
        tasvir_loop_mac(i, peers[i].mac);
    }
    struct tasvir_node_conf c;
    tasvir_node_conf_init(&c);
    c.backend = tasvir_loop_port_backend(d->h.port[k]);
    c.peers = peers;
    c.n_peers = d->h.n;
    if (conf_fn)
        conf_fn(&c, k);
    cr_assert(eq(int, tasvir_node_create(&c, &d->h.node[k]), 0));
    cr_assert(not(eq(ptr, d->t[k] = h_thread(d->h.node[k]), NULL)));
}

/* Attach node k to `name`, retrying while the directory propagates. */
static struct tasvir_area *d_attach(struct dnet *d, unsigned k, const char *name, uint64_t limit)
{
    struct tasvir_area *r = NULL;
    for (uint64_t t = 0; t < limit; t += 10 * US) {
        if (tasvir_area_attach(d->t[k], name, &r) == 0)
            return r;
        d_step(d);
    }
    cr_assert(0, "node %u could not attach %s", k, name);
    return NULL;
}

/* An area of 4096 bytes, every byte `fill`, published at its first epoch. */
static struct tasvir_area *d_area(struct dnet *d, unsigned k, const char *name, uint8_t fill)
{
    struct tasvir_area *a = h_area(d->t[k], name, 4096, 1000);
    cr_assert(not(eq(ptr, a, NULL)), "create %s on node %u", name, k);
    uint8_t *w = tasvir_area_writer(a);
    memset(w, fill, 4096);
    tasvir_log(a, w, 4096);
    return a;
}

static uint8_t first_byte(const struct tasvir_area *r)
{
    return ((const uint8_t *)tasvir_area_reader(r))[0];
}

/* A restarted owner hands out ids from the start again: "a" and "b" created in the other
 * order swap ids.  Readers attached by name must keep reading their name's area (here,
 * at every step: never the other area's bytes), and a new attach must find the right one. */
Test(member, restarted_owner_ids_follow_names, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 3, conf_hb);
    struct tasvir_area *a = d_area(&d, 1, "a", 0xaa), *b = d_area(&d, 1, "b", 0xbb);
    struct tasvir_area_info ia, ib;
    tasvir_area_info(a, &ia);
    tasvir_area_info(b, &ib);
    struct tasvir_area *ra = d_attach(&d, 2, "a", 100 * MS), *rb = d_attach(&d, 2, "b", 100 * MS);
    d_run(&d, 50 * MS);
    cr_assert(eq(u8, first_byte(ra), 0xaa));
    cr_assert(eq(u8, first_byte(rb), 0xbb));
    d_down(&d, 1);
    d_run(&d, 20 * MS);
    d_up(&d, 1, conf_hb);
    b = d_area(&d, 1, "b", 0xbb);
    a = d_area(&d, 1, "a", 0xaa);
    struct tasvir_area_info ja, jb;
    tasvir_area_info(a, &ja);
    tasvir_area_info(b, &jb);
    cr_assert(eq(u32, ja.id, ib.id), "the test needs swapped ids");
    cr_assert(eq(u32, jb.id, ia.id), "the test needs swapped ids");
    uint64_t va = tasvir_area_version(ra), vb = tasvir_area_version(rb);
    for (uint64_t t = 0; t < 200 * MS; t += 10 * US) {
        d_step(&d);
        uint8_t x = first_byte(ra), y = first_byte(rb);
        cr_assert(x == 0xaa || x == 0, "node 2 reads b's bytes (%#x) as 'a' at %lu us", x, (unsigned long)(t / US));
        cr_assert(y == 0xbb || y == 0, "node 2 reads a's bytes (%#x) as 'b' at %lu us", y, (unsigned long)(t / US));
        cr_assert(ge(u64, tasvir_area_version(ra), va));
        cr_assert(ge(u64, tasvir_area_version(rb), vb));
        va = tasvir_area_version(ra);
        vb = tasvir_area_version(rb);
    }
    cr_assert(eq(u8, first_byte(ra), 0xaa), "'a' never came back");
    cr_assert(eq(u8, first_byte(rb), 0xbb), "'b' never came back");
    struct tasvir_area_info ri;
    tasvir_area_info(ra, &ri);
    cr_assert(eq(u32, ri.id, ja.id), "the reader follows the name to its new id");
    cr_assert(eq(int, ri.owner_up, 1));
    /* a fresh attach elsewhere gets the right area */
    struct tasvir_area *r0 = d_attach(&d, 0, "a", 100 * MS);
    d_run(&d, 50 * MS);
    cr_assert(eq(u8, first_byte(r0), 0xaa));
    h_net_destroy(&d.h);
}

/* After the root restarts with an empty directory, every node registers its areas again. */
Test(member, root_restart_relearns_areas, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 3, conf_hb);
    struct tasvir_area *x = d_area(&d, 1, "x", 0x5a);
    (void)x;
    d_run(&d, 50 * MS);
    cr_assert(eq(int, tasvir_area_lookup(d.h.node[2], "x"), 1));
    struct tasvir_area *r2 = d_attach(&d, 2, "x", 10 * MS);
    d_down(&d, 0);
    d_run(&d, 20 * MS);
    d_up(&d, 0, conf_hb);
    d_run(&d, 100 * MS);
    cr_assert(eq(int, tasvir_area_lookup(d.h.node[0], "x"), 1), "the new root never learnt 'x'");
    struct tasvir_area *r0 = d_attach(&d, 0, "x", 10 * MS);
    d_run(&d, 50 * MS);
    cr_assert(eq(u8, first_byte(r0), 0x5a));
    /* node 2's reader, briefly unbound while the root rebuilt, is bound again */
    struct tasvir_area_info ri;
    tasvir_area_info(r2, &ri);
    cr_assert(eq(int, ri.owner_up, 1));
    cr_assert(eq(u8, first_byte(r2), 0x5a));
    h_net_destroy(&d.h);
}

static void conf_dir8(struct tasvir_node_conf *c, unsigned i)
{
    conf_hb(c, i);
    c->dir_entries = 8;
}

/* Destroying an area withdraws its entry: other nodes stop finding it, their readers see
 * the owner gone, and the name can be created again (and attached: the readers follow). */
Test(member, destroy_withdraws_the_entry_and_the_name_is_reusable, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 2, conf_hb);
    for (int round = 0; round < 3; round++) {
        uint8_t fill = (uint8_t)(0x10 + round);
        struct tasvir_area *a = d_area(&d, 0, "x", fill);
        struct tasvir_area *r = d_attach(&d, 1, "x", 50 * MS);
        d_run(&d, 20 * MS);
        cr_assert(eq(u8, first_byte(r), fill), "round %d", round);
        struct tasvir_area_info ri;
        tasvir_area_info(r, &ri);
        cr_assert(eq(int, ri.owner_up, 1));
        cr_assert(eq(int, tasvir_area_destroy(a), 0));
        d_run(&d, 20 * MS);
        cr_assert(eq(int, tasvir_area_lookup(d.h.node[1], "x"), 1), "attached here: known");
        cr_assert(eq(int, tasvir_area_lookup(d.h.node[0], "x"), 0), "round %d", round);
        tasvir_area_info(r, &ri);
        cr_assert(eq(int, ri.owner_up, 0), "a destroyed area's owner is reported gone");
        cr_assert(ne(u64, ri.stale_since_ns, 0));
        struct tasvir_area *r2 = NULL;
        cr_assert(eq(int, tasvir_area_attach(d.t[1], "y", &r2), -ENOENT));
        cr_assert(eq(int, tasvir_area_detach(r), 0));
        d_run(&d, 1 * MS);
        cr_assert(eq(int, tasvir_area_lookup(d.h.node[1], "x"), 0), "round %d", round);
        cr_assert(eq(int, tasvir_area_attach(d.t[1], "x", &r2), -ENOENT), "round %d", round);
    }
    /* destroyed and created again at once: an attached reader follows the name */
    struct tasvir_area *a = d_area(&d, 0, "z", 0x21);
    struct tasvir_area *r = d_attach(&d, 1, "z", 50 * MS);
    d_run(&d, 20 * MS);
    cr_assert(eq(u8, first_byte(r), 0x21));
    cr_assert(eq(int, tasvir_area_destroy(a), 0));
    d_step(&d);
    a = d_area(&d, 0, "z", 0x22);
    d_run(&d, 50 * MS);
    cr_assert(eq(u8, first_byte(r), 0x22));
    struct tasvir_area_info ri;
    tasvir_area_info(r, &ri);
    cr_assert(eq(int, ri.owner_up, 1));
    h_net_destroy(&d.h);
}

/* Entries of destroyed areas are freed: creations over a lifetime do not fill the
 * directory; a directory that is really full refuses, counts and logs. */
Test(member, directory_slots_are_reused_and_full_is_counted, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 2, conf_dir8);
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof(name), "c%d", i);
        struct tasvir_area *a = d_area(&d, 0, name, (uint8_t)i);
        struct tasvir_area *r = d_attach(&d, 1, name, 50 * MS);
        cr_assert(eq(int, tasvir_area_detach(r), 0));
        cr_assert(eq(int, tasvir_area_destroy(a), 0));
        d_run(&d, 10 * MS);
    }
    struct tasvir_stats st;
    tasvir_node_stats(d.h.node[0], &st);
    cr_assert(eq(u64, st.dir_refused, 0));
    /* 8 entries: the directory itself and two node areas leave 5 */
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        d_area(&d, 1, name, 1);
    }
    d_run(&d, 20 * MS);
    tasvir_node_stats(d.h.node[0], &st);
    cr_assert(gt(u64, st.dir_refused, 0), "a full directory must be counted");
    int known = 0;
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        known += tasvir_area_lookup(d.h.node[0], name);
    }
    cr_assert(eq(int, known, 5));
    h_net_destroy(&d.h);
}

static void conf_dir_mixed(struct tasvir_node_conf *c, unsigned i)
{
    conf_hb(c, i);
    c->dir_entries = i == 1 ? 8 : i == 3 ? 256 : 64;
}

/* dir_entries set differently on a node than at the root: the node follows the size the
 * root announces; it finds every area, and does not NACK for ever the frames that would
 * fall past the end of a directory of its own size. */
Test(member, directory_size_follows_the_root, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 4, conf_dir_mixed);
    for (int k = 0; k < 12; k++) {
        char name[16];
        snprintf(name, sizeof(name), "u%d", k);
        d_area(&d, 2, name, (uint8_t)(k + 1));
    }
    d_run(&d, 100 * MS);
    struct tasvir_stats s1;
    tasvir_node_stats(d.h.node[1], &s1);
    for (int k = 0; k < 12; k++) {
        char name[16];
        snprintf(name, sizeof(name), "u%d", k);
        cr_assert(eq(int, tasvir_area_lookup(d.h.node[1], name), 1), "%s on the smaller node", name);
        cr_assert(eq(int, tasvir_area_lookup(d.h.node[3], name), 1), "%s on the larger node", name);
    }
    struct tasvir_area *r = d_attach(&d, 1, "u11", 10 * MS);
    d_run(&d, 20 * MS);
    cr_assert(eq(u8, first_byte(r), 12));
    /* nothing left to repair: no NACKs, no out-of-bounds drops any more */
    d_run(&d, 10 * MS);
    struct tasvir_stats a, b;
    tasvir_node_stats(d.h.node[1], &a);
    d_run(&d, 100 * MS);
    tasvir_node_stats(d.h.node[1], &b);
    cr_assert(eq(u64, b.nacks_tx - a.nacks_tx, 0));
    cr_assert(eq(u64, b.rx_drop[TASVIR_DROP_BOUNDS] - a.rx_drop[TASVIR_DROP_BOUNDS], 0));
    h_net_destroy(&d.h);
}

/* An owner restarts without creating its area again: readers keep the last version they
 * saw and are told the area is gone; no node can attach it any more. */
Test(member, area_not_recreated_after_owner_restart_is_gone, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 3, conf_hb);
    d_area(&d, 1, "a", 0xaa);
    struct tasvir_area *r = d_attach(&d, 2, "a", 100 * MS);
    d_run(&d, 30 * MS);
    cr_assert(eq(u8, first_byte(r), 0xaa));
    uint64_t v = tasvir_area_version(r);
    d_down(&d, 1);
    d_run(&d, 2 * MS);
    d_up(&d, 1, conf_hb);
    d_area(&d, 1, "b", 0xbb); /* takes "a"'s old id */
    d_run(&d, 50 * MS);
    struct tasvir_area_info ri;
    cr_assert(eq(int, tasvir_area_info(r, &ri), 0));
    cr_assert(eq(int, ri.owner_up, 0), "the area is gone with its owner's previous incarnation");
    cr_assert(ne(u64, ri.stale_since_ns, 0));
    cr_assert(eq(u8, first_byte(r), 0xaa), "the last version stays (never b's bytes)");
    cr_assert(ge(u64, tasvir_area_version(r), v));
    struct tasvir_area *r0 = NULL;
    cr_assert(eq(int, tasvir_area_attach(d.t[0], "a", &r0), -ENOENT));
    cr_assert(eq(int, tasvir_area_lookup(d.h.node[0], "a"), 0));
    h_net_destroy(&d.h);
}

/* On a quiet node a destroyed area leaves the area table only at the next epoch (many
 * heartbeats later); its entry is withdrawn within a heartbeat anyway. */
Test(member, destroy_withdraws_within_heartbeats_on_a_quiet_node, .timeout = 60)
{
    struct dnet d;
    d_init(&d, 2, NULL); /* default 10 ms heartbeats and directory sync */
    struct tasvir_area *a = d_area(&d, 0, "x", 1);
    struct tasvir_area *r = d_attach(&d, 1, "x", 200 * MS);
    d_run(&d, 50 * MS);
    struct tasvir_area_info ri;
    tasvir_area_info(r, &ri);
    cr_assert(eq(int, ri.owner_up, 1));
    cr_assert(eq(int, tasvir_area_destroy(a), 0));
    uint64_t t = 0;
    for (; t < 200 * MS; t += 10 * US) {
        tasvir_area_info(r, &ri);
        if (!ri.owner_up)
            break;
        d_step(&d);
    }
    cr_log_info("node 1 learnt of the destruction after %lu ms", (unsigned long)(t / MS));
    cr_assert(le(u64, t, 40 * MS), "withdrawal took %lu ms", (unsigned long)(t / MS));
    h_net_destroy(&d.h);
}

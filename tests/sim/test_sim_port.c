/*
 * test_sim_port.c — the C side of the simulation backend, against a fake host.
 *
 * Covers: configuration checks; identity; the frame pool (limit, reuse, counters);
 * tx_burst (bytes reach the host unchanged, ownership rule when the host refuses,
 * malformed frames); the receive path (rx_begin/commit, FIFO order, overflow, pool
 * exhaustion, bad lengths); mcast (group check, forwarding, no host support); kick
 * forwarding; relax (bounded retry loops pass, an endless wait at one instant aborts);
 * mem_alloc (alignment, zeroing, accounting); and a Tasvir node over a sim port running
 * internal-sync epochs on the fake clock.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasvir/sim.h"
#include "tasvir/tasvir.h"

struct fake_host {
    uint64_t now;
    unsigned sent;
    uint8_t last[9614];
    uint32_t last_len;
    int refuse_after; /* refuse transmits once `sent` reaches this (-1: never) */
    int kicks[4];
    uint8_t group[6];
    int joins, leaves;
    int relaxed;
};

static uint64_t h_now(void *ctx)
{
    return ((struct fake_host *)ctx)->now;
}

static int h_transmit(void *ctx, const uint8_t *frame, uint32_t len)
{
    struct fake_host *h = ctx;
    if (h->refuse_after >= 0 && h->sent >= (unsigned)h->refuse_after)
        return -ENOBUFS;
    memcpy(h->last, frame, len);
    h->last_len = len;
    h->sent++;
    return 0;
}

static void h_kick(void *ctx, enum tasvir_kick what)
{
    struct fake_host *h = ctx;
    if (what >= 1 && what <= 3)
        h->kicks[what]++;
}

static int h_mcast(void *ctx, const uint8_t mac[6], int join)
{
    struct fake_host *h = ctx;
    memcpy(h->group, mac, 6);
    if (join)
        h->joins++;
    else
        h->leaves++;
    return 0;
}

static void h_relax(void *ctx)
{
    ((struct fake_host *)ctx)->relaxed++;
}

static struct tasvir_sim_port *make_port(struct fake_host *h, uint32_t pool, uint32_t rxq)
{
    memset(h, 0, sizeof(*h));
    h->refuse_after = -1;
    h->now = 1000;
    struct tasvir_sim_port_conf c;
    cr_assert(eq(int, tasvir_sim_port_conf_init(&c), 0));
    c.node_id = 7;
    c.pool_frames = pool;
    c.rx_queue_max = rxq;
    c.host.ctx = h;
    c.host.now_ns = h_now;
    c.host.transmit = h_transmit;
    c.host.kick = h_kick;
    c.host.mcast = h_mcast;
    c.host.relax = h_relax;
    struct tasvir_sim_port *p = NULL;
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), 0));
    return p;
}

#define OPS(p) (tasvir_sim_port_backend(p)->ops)
#define CTX(p) (tasvir_sim_port_backend(p)->ctx)

Test(sim_port, conf_checks)
{
    struct fake_host h = {0};
    struct tasvir_sim_port_conf c;
    struct tasvir_sim_port *p = NULL;
    cr_assert(eq(int, tasvir_sim_port_conf_init(NULL), -EINVAL));
    tasvir_sim_port_conf_init(&c);
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), -EINVAL), "no host callbacks");
    c.host.ctx = &h;
    c.host.now_ns = h_now;
    c.host.transmit = h_transmit;
    c.mtu = 100;
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), -EINVAL), "mtu too small");
    c.mtu = 1500;
    c.node_id = TASVIR_MAX_NODES;
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), -EINVAL), "node id out of range");
    c.node_id = 3;
    c.pool_frames = 0;
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), -EINVAL), "empty pool");
    c.pool_frames = 4;
    cr_assert(eq(int, tasvir_sim_port_create(&c, NULL), -EINVAL));
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), 0));
    tasvir_sim_port_destroy(p);
    tasvir_sim_port_destroy(NULL);
}

Test(sim_port, identity_and_clock)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 16, 16);
    struct tasvir_identity id;
    cr_assert(eq(int, OPS(p)->identity(CTX(p), &id), 0));
    cr_assert(eq(u16, id.node_id, 7));
    cr_assert(eq(u32, id.mtu, 1500));
    uint8_t mac[6];
    tasvir_sim_mac(7, mac);
    cr_assert(eq(int, memcmp(id.mac, mac, 6), 0));
    cr_assert(eq(u8, mac[0], 0x02));
    cr_assert(eq(u8, mac[5], 7));
    h.now = 123456;
    cr_assert(eq(u64, OPS(p)->now_ns(CTX(p)), 123456));
    tasvir_sim_port_destroy(p);
}

Test(sim_port, pool_limit_and_reuse)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 4, 16);
    struct tasvir_frame *f[6];
    cr_assert(eq(uint, OPS(p)->frame_alloc(CTX(p), f, 6), 4));
    for (int i = 0; i < 4; i++) {
        cr_assert(ge(u32, f[i]->cap, 1514));
        cr_assert(eq(u32, f[i]->len, 0));
    }
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.alloc_short, 2));
    cr_assert(eq(u64, st.frames_now, 4));
    OPS(p)->frame_free(CTX(p), f, 4);
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.frames_now, 0));
    cr_assert(eq(u64, st.frames_max, 4));
    struct tasvir_frame *g[4];
    cr_assert(eq(uint, OPS(p)->frame_alloc(CTX(p), g, 4), 4), "freed frames are reused");
    OPS(p)->frame_free(CTX(p), g, 4);
    tasvir_sim_port_destroy(p);
}

static void fill(struct tasvir_frame *f, uint32_t len, uint8_t seed)
{
    for (uint32_t i = 0; i < len; i++)
        f->data[i] = (uint8_t)(seed + i);
    f->len = len;
}

Test(sim_port, tx_bytes_and_ownership)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 16);
    struct tasvir_frame *f[4];
    cr_assert(eq(uint, OPS(p)->frame_alloc(CTX(p), f, 4), 4));
    for (int i = 0; i < 4; i++)
        fill(f[i], 100 + (uint32_t)i, (uint8_t)i);
    h.refuse_after = 2;
    cr_assert(eq(uint, OPS(p)->tx_burst(CTX(p), f, 4), 2), "stops at the first refusal");
    cr_assert(eq(u32, h.last_len, 101));
    cr_assert(eq(u8, h.last[0], 1));
    cr_assert(eq(u8, h.last[100], (uint8_t)(1 + 100)));
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.tx_frames, 2));
    cr_assert(eq(u64, st.tx_bytes, 201));
    cr_assert(eq(u64, st.tx_refused, 2));
    cr_assert(eq(u64, st.frames_now, 2), "the caller still owns the two refused frames");
    h.refuse_after = -1;
    cr_assert(eq(uint, OPS(p)->tx_burst(CTX(p), f + 2, 2), 2));
    cr_assert(eq(u8, h.last[0], 3));
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.frames_now, 0));
    tasvir_sim_port_destroy(p);
}

Test(sim_port, tx_malformed)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 16);
    struct tasvir_frame *f[2];
    cr_assert(eq(uint, OPS(p)->frame_alloc(CTX(p), f, 2), 2));
    f[0]->len = 10;  /* shorter than an Ethernet header */
    f[1]->len = 1515; /* longer than mtu + 14 */
    cr_assert(eq(uint, OPS(p)->tx_burst(CTX(p), f, 2), 2), "taken and dropped");
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.tx_bad, 2));
    cr_assert(eq(u64, st.tx_frames, 0));
    cr_assert(eq(uint, h.sent, 0));
    cr_assert(eq(u64, st.frames_now, 0));
    tasvir_sim_port_destroy(p);
}

Test(sim_port, rx_fifo_and_drops)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 5, 3);
    for (int i = 0; i < 4; i++) {
        struct tasvir_frame *f = tasvir_sim_port_rx_begin(p, 60 + (uint32_t)i);
        if (i < 3) {
            cr_assert(not(eq(ptr, f, NULL)));
            f->data[0] = (uint8_t)i;
            tasvir_sim_port_rx_commit(p, f);
        } else {
            cr_assert(eq(ptr, f, NULL), "queue of 3 is full");
        }
    }
    cr_assert(eq(u32, tasvir_sim_port_rx_pending(p), 3));
    cr_assert(eq(ptr, tasvir_sim_port_rx_begin(p, 13), NULL), "shorter than a header");
    cr_assert(eq(ptr, tasvir_sim_port_rx_begin(p, 1515), NULL), "longer than mtu + 14");
    struct tasvir_frame *out[8];
    cr_assert(eq(uint, OPS(p)->rx_burst(CTX(p), out, 2), 2));
    cr_assert(eq(u8, out[0]->data[0], 0));
    cr_assert(eq(u8, out[1]->data[0], 1));
    cr_assert(eq(u32, out[1]->len, 61));
    /* Pool of 5: 3 taken by rx, so only 2 more can be allocated. */
    struct tasvir_frame *t[3];
    cr_assert(eq(uint, OPS(p)->frame_alloc(CTX(p), t, 3), 2));
    cr_assert(eq(ptr, tasvir_sim_port_rx_begin(p, 60), NULL), "all 5 frames are in use");
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.rx_overflow, 1));
    cr_assert(eq(u64, st.rx_bad_len, 2));
    cr_assert(eq(u64, st.rx_nobuf, 1), "pool exhausted");
    OPS(p)->frame_free(CTX(p), t, 2);
    OPS(p)->frame_free(CTX(p), out, 2);
    cr_assert(eq(uint, OPS(p)->rx_burst(CTX(p), out, 8), 1));
    cr_assert(eq(u8, out[0]->data[0], 2));
    OPS(p)->frame_free(CTX(p), out, 1);
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.rx_queued, 3));
    cr_assert(eq(u64, st.rx_frames, 3));
    cr_assert(eq(u64, st.frames_now, 0));
    tasvir_sim_port_destroy(p);
}

Test(sim_port, rx_ring_wraps)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 4);
    struct tasvir_frame *out[4];
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 3; i++) {
            struct tasvir_frame *f = tasvir_sim_port_rx_begin(p, 64);
            cr_assert(not(eq(ptr, f, NULL)));
            f->data[0] = (uint8_t)(round * 3 + i);
            tasvir_sim_port_rx_commit(p, f);
        }
        cr_assert(eq(uint, OPS(p)->rx_burst(CTX(p), out, 4), 3));
        for (int i = 0; i < 3; i++)
            cr_assert(eq(u8, out[i]->data[0], (uint8_t)(round * 3 + i)));
        OPS(p)->frame_free(CTX(p), out, 3);
    }
    tasvir_sim_port_destroy(p);
}

Test(sim_port, mcast_and_kick)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 8);
    uint8_t uni[6] = {0x02, 0, 0, 0, 0, 1};
    uint8_t grp[6] = {0x03, 0, 0, 0, 0, 9};
    cr_assert(eq(int, OPS(p)->mcast(CTX(p), uni, 1), -EINVAL), "not a group address");
    cr_assert(eq(int, OPS(p)->mcast(CTX(p), grp, 1), 0));
    cr_assert(eq(int, OPS(p)->mcast(CTX(p), grp, 0), 0));
    cr_assert(eq(int, h.joins, 1));
    cr_assert(eq(int, h.leaves, 1));
    cr_assert(eq(int, memcmp(h.group, grp, 6), 0));
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.mcast_joins, 1));
    OPS(p)->kick(CTX(p), TASVIR_KICK_EPOCH);
    OPS(p)->kick(CTX(p), TASVIR_KICK_DONE);
    OPS(p)->kick(CTX(p), TASVIR_KICK_ENGINE);
    cr_assert(eq(int, h.kicks[TASVIR_KICK_EPOCH], 1));
    cr_assert(eq(int, h.kicks[TASVIR_KICK_DONE], 1));
    cr_assert(eq(int, h.kicks[TASVIR_KICK_ENGINE], 1));
    tasvir_sim_port_destroy(p);

    /* Without host mcast support the op reports it. */
    struct tasvir_sim_port_conf c;
    tasvir_sim_port_conf_init(&c);
    c.host.ctx = &h;
    c.host.now_ns = h_now;
    c.host.transmit = h_transmit;
    cr_assert(eq(int, tasvir_sim_port_create(&c, &p), 0));
    cr_assert(eq(int, OPS(p)->mcast(CTX(p), grp, 1), -ENOTSUP));
    tasvir_sim_port_destroy(p);
}

Test(sim_port, relax_bounded_retries_pass)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 8);
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 1000; i++)
            OPS(p)->relax(CTX(p)); /* a transmit retry loop at one instant */
        h.now++;
    }
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.relax_calls, 100000));
    cr_assert(eq(int, h.relaxed, 100000));
    tasvir_sim_port_destroy(p);
}

Test(sim_port, endless_wait_aborts, .signal = SIGABRT, .timeout = 30)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 8);
    /* A blocking wait in simulation: time never moves, so it must not hang. */
    for (;;)
        OPS(p)->relax(CTX(p));
}

Test(sim_port, mem_alloc)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 8, 8);
    uint8_t *m = OPS(p)->mem_alloc(CTX(p), 1000, 4096);
    cr_assert(not(eq(ptr, m, NULL)));
    cr_assert(eq(u64, (uintptr_t)m % 4096, 0));
    for (int i = 0; i < 1000; i++)
        cr_assert(eq(u8, m[i], 0));
    cr_assert(eq(ptr, OPS(p)->mem_alloc(CTX(p), 64, 96), NULL), "alignment not a power of two");
    /* Large regions (anonymous mappings), with small and large alignments. */
    size_t big = 200 * 1024 + 100;
    uint8_t *b1 = OPS(p)->mem_alloc(CTX(p), big, 64);
    uint8_t *b2 = OPS(p)->mem_alloc(CTX(p), big, 1 << 21);
    cr_assert(not(eq(ptr, b1, NULL)));
    cr_assert(not(eq(ptr, b2, NULL)));
    cr_assert(eq(u64, (uintptr_t)b2 % (1 << 21), 0));
    for (size_t i = 0; i < big; i += 997) {
        cr_assert(eq(u8, b1[i], 0));
        cr_assert(eq(u8, b2[i], 0));
        b1[i] = b2[i] = 1;
    }
    OPS(p)->mem_free(CTX(p), b1, big);
    OPS(p)->mem_free(CTX(p), b2, big);
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.mem_bytes_now, 1000));
    OPS(p)->mem_free(CTX(p), m, 1000);
    tasvir_sim_port_stats(p, &st);
    cr_assert(eq(u64, st.mem_bytes_now, 0));
    tasvir_sim_port_destroy(p);
}

/* The core over a sim port: epochs driven by hand on the fake clock. */
Test(sim_port, core_epochs_over_port, .timeout = 10)
{
    struct fake_host h;
    struct tasvir_sim_port *p = make_port(&h, 64, 64);
    struct tasvir_node_conf nc;
    tasvir_node_conf_init(&nc);
    nc.backend = tasvir_sim_port_backend(p);
    nc.root_node = 7; /* a testbed of one: this node holds the root directory */
    struct tasvir_node *n = NULL;
    cr_assert(eq(int, tasvir_node_create(&nc, &n), 0));
    cr_assert(eq(int, tasvir_node_id(n), 7));
    struct tasvir_thread *t = NULL;
    cr_assert(eq(int, tasvir_thread_register(n, &t), 0));
    cr_assert(eq(int, tasvir_thread_activate(t), 0));
    struct tasvir_area_conf ac;
    tasvir_area_conf_init(&ac);
    ac.name = "a";
    ac.len_bytes = 4096;
    ac.sync_int_us = 100;
    struct tasvir_area *a = NULL;
    cr_assert(eq(int, tasvir_area_create(t, &ac, &a), 0));
    uint64_t *w = tasvir_area_writer(a);
    uint64_t last = 0;
    for (int round = 1; round <= 5; round++) {
        w[0] = (uint64_t)round;
        cr_assert(eq(int, tasvir_log(a, w, 8), 0));
        h.now += 100000; /* one interval */
        uint64_t next = 0;
        int kicks_before = h.kicks[TASVIR_KICK_EPOCH];
        cr_assert(eq(int, tasvir_node_poll(n, &next), -EAGAIN), "epoch started");
        cr_assert(eq(int, h.kicks[TASVIR_KICK_EPOCH], kicks_before + 1));
        cr_assert(eq(int, tasvir_service(t), 0), "the only thread arrives and copies");
        cr_assert(ge(int, h.kicks[TASVIR_KICK_DONE], round));
        tasvir_node_poll(n, &next);
        uint64_t v = tasvir_area_version(a);
        cr_assert(gt(u64, v, last));
        last = v;
        cr_assert(eq(u64, ((const uint64_t *)tasvir_area_reader(a))[0], (uint64_t)round));
        cr_assert(eq(u64, tasvir_area_pub_ns(a), h.now));
    }
    tasvir_node_destroy(n);
    tasvir_sim_port_destroy(p);
}

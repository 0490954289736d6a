/*
 * test_loop.c — the loopback backend's contract: burst ownership, unicast / multicast /
 * broadcast delivery, delay and ordering, loss / duplication / reordering deterministic for
 * a seed, ports that go down, counters, the manual clock and the real ones (CLOCK_MONOTONIC,
 * the TSC), memory alignment.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <time.h>

#include "harness.h"

struct lx {
    struct tasvir_loop_net *net;
    struct tasvir_loop_port *p[4];
    const struct tasvir_backend *be[4];
};

static void lx_init(struct lx *x, uint64_t seed)
{
    struct tasvir_loop_net_conf c;
    tasvir_loop_net_conf_init(&c);
    c.seed = seed;
    cr_assert(eq(int, tasvir_loop_net_create(&c, &x->net), 0));
    for (uint16_t i = 0; i < 4; i++) {
        cr_assert(eq(int, tasvir_loop_port_create(x->net, i, &x->p[i]), 0));
        x->be[i] = tasvir_loop_port_backend(x->p[i]);
    }
}

static void send_to(struct lx *x, int from, const uint8_t dst[6], uint32_t tag)
{
    const struct tasvir_backend *b = x->be[from];
    struct tasvir_frame *f;
    cr_assert(eq(u32, b->ops->frame_alloc(b->ctx, &f, 1), 1));
    cr_assert(ge(u32, f->cap, 1514));
    memcpy(f->data, dst, 6);
    tasvir_loop_mac((uint16_t)from, f->data + 6);
    f->data[12] = 0x88;
    f->data[13] = 0xb6;
    memcpy(f->data + 14, &tag, 4);
    f->len = 60;
    cr_assert(eq(u32, b->ops->tx_burst(b->ctx, &f, 1), 1));
}

static int recv_tags(struct lx *x, int at, uint32_t *tags, int max)
{
    const struct tasvir_backend *b = x->be[at];
    struct tasvir_frame *f[64];
    int n = 0;
    unsigned k;
    while ((k = b->ops->rx_burst(b->ctx, f, 64)) > 0) {
        for (unsigned i = 0; i < k; i++) {
            if (n < max)
                memcpy(&tags[n], f[i]->data + 14, 4);
            n++;
        }
        b->ops->frame_free(b->ctx, f, k);
    }
    return n;
}

Test(loop, unicast_delay_and_order)
{
    struct lx x;
    lx_init(&x, 1);
    struct tasvir_loop_faults fl = {.delay_ns = 1000};
    cr_assert(eq(int, tasvir_loop_net_set_faults(x.net, &fl), 0));
    uint8_t mac[6];
    tasvir_loop_mac(1, mac);
    for (uint32_t i = 0; i < 10; i++)
        send_to(&x, 0, mac, i);
    uint32_t tags[16];
    cr_assert(eq(int, recv_tags(&x, 1, tags, 16), 0), "delivered before the delay");
    cr_assert(eq(u64, tasvir_loop_net_next_delivery(x.net), tasvir_loop_net_now(x.net) + 1000));
    tasvir_loop_net_advance(x.net, 1000);
    cr_assert(eq(int, recv_tags(&x, 1, tags, 16), 10));
    for (uint32_t i = 0; i < 10; i++)
        cr_assert(eq(u32, tags[i], i));
    cr_assert(eq(int, recv_tags(&x, 2, tags, 16), 0), "not addressed to node 2");
    struct tasvir_loop_port_stats st;
    tasvir_loop_port_stats(x.p[0], &st);
    cr_assert(eq(u64, st.tx_frames, 10));
    tasvir_loop_port_stats(x.p[1], &st);
    cr_assert(eq(u64, st.rx_frames, 10));
    tasvir_loop_net_destroy(x.net);
}

Test(loop, multicast_and_broadcast)
{
    struct lx x;
    lx_init(&x, 1);
    uint8_t grp[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x07};
    cr_assert(eq(int, x.be[2]->ops->mcast(x.be[2]->ctx, grp, 1), 0));
    cr_assert(eq(int, x.be[3]->ops->mcast(x.be[3]->ctx, grp, 1), 0));
    send_to(&x, 0, grp, 7);
    uint32_t tags[4];
    cr_assert(eq(int, recv_tags(&x, 1, tags, 4), 0));
    cr_assert(eq(int, recv_tags(&x, 2, tags, 4), 1));
    cr_assert(eq(int, recv_tags(&x, 3, tags, 4), 1));
    cr_assert(eq(int, x.be[3]->ops->mcast(x.be[3]->ctx, grp, 0), 0));
    send_to(&x, 0, grp, 8);
    cr_assert(eq(int, recv_tags(&x, 3, tags, 4), 0), "left the group");
    cr_assert(eq(int, recv_tags(&x, 2, tags, 4), 1));
    uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    send_to(&x, 1, bc, 9);
    cr_assert(eq(int, recv_tags(&x, 0, tags, 4), 1));
    cr_assert(eq(int, recv_tags(&x, 1, tags, 4), 0), "no echo to the sender");
    cr_assert(eq(int, recv_tags(&x, 2, tags, 4), 1));
    cr_assert(eq(int, recv_tags(&x, 3, tags, 4), 1));
    uint8_t nobody[6] = {0x02, 0, 0, 0, 0x03, 0xff};
    send_to(&x, 0, nobody, 1);
    struct tasvir_loop_port_stats st;
    tasvir_loop_port_stats(x.p[0], &st);
    cr_assert(eq(u64, st.unroutable, 1));
    tasvir_loop_net_destroy(x.net);
}

static void fault_run(uint64_t seed, double loss, double dup, uint64_t jitter, uint32_t *tags,
                      int *n)
{
    struct lx x;
    lx_init(&x, seed);
    struct tasvir_loop_faults fl = {.loss = loss, .dup = dup, .delay_ns = 10, .jitter_ns = jitter};
    cr_assert(eq(int, tasvir_loop_net_set_faults(x.net, &fl), 0));
    uint8_t mac[6];
    tasvir_loop_mac(1, mac);
    for (uint32_t i = 0; i < 1000; i++)
        send_to(&x, 0, mac, i);
    tasvir_loop_net_advance(x.net, jitter + 100);
    *n = recv_tags(&x, 1, tags, 4000);
    tasvir_loop_net_destroy(x.net);
}

Test(loop, faults_deterministic_per_seed)
{
    static uint32_t a[4000], b[4000], c[4000];
    int na, nb, nc;
    fault_run(42, 0.1, 0.1, 1000, a, &na);
    fault_run(42, 0.1, 0.1, 1000, b, &nb);
    fault_run(43, 0.1, 0.1, 1000, c, &nc);
    cr_assert(eq(int, na, nb));
    cr_assert(eq(int, memcmp(a, b, (size_t)na * 4), 0), "same seed, different run");
    cr_assert(na != nc || memcmp(a, c, (size_t)na * 4) != 0, "different seeds, same run");
    /* about 10% lost and 10% of the rest duplicated */
    cr_assert(gt(int, na, 880));
    cr_assert(lt(int, na, 1100));
    int reordered = 0;
    for (int i = 1; i < na; i++)
        reordered += a[i] < a[i - 1];
    cr_assert(gt(int, reordered, 10), "jitter should reorder");
}

Test(loop, loss_rate_and_down_port)
{
    static uint32_t t[4000];
    int n;
    fault_run(7, 1.0, 0, 0, t, &n);
    cr_assert(eq(int, n, 0));
    fault_run(7, 0, 1.0, 0, t, &n);
    cr_assert(eq(int, n, 2000));
    struct lx x;
    lx_init(&x, 1);
    uint8_t mac[6];
    tasvir_loop_mac(1, mac);
    tasvir_loop_port_set_down(x.p[1], 1);
    send_to(&x, 0, mac, 1);
    uint32_t tags[4];
    cr_assert(eq(int, recv_tags(&x, 1, tags, 4), 0));
    /* the copy for the down port, and a frame it sends, are counted at it */
    uint8_t mac0[6];
    tasvir_loop_mac(0, mac0);
    send_to(&x, 1, mac0, 3);
    cr_assert(eq(int, recv_tags(&x, 0, tags, 4), 0));
    struct tasvir_loop_port_stats st;
    tasvir_loop_port_stats(x.p[1], &st);
    cr_assert(eq(u64, st.down, 2));
    tasvir_loop_port_stats(x.p[0], &st);
    cr_assert(eq(u64, st.down, 0));
    tasvir_loop_port_set_down(x.p[1], 0);
    send_to(&x, 0, mac, 2);
    cr_assert(eq(int, recv_tags(&x, 1, tags, 4), 1));
    /* a copy queued before the port went down is dropped when it would be received */
    send_to(&x, 0, mac, 4);
    tasvir_loop_port_set_down(x.p[1], 1);
    cr_assert(eq(int, recv_tags(&x, 1, tags, 4), 0));
    tasvir_loop_port_stats(x.p[1], &st);
    cr_assert(eq(u64, st.down, 3));
    tasvir_loop_net_destroy(x.net);
}

Test(loop, memory_and_identity)
{
    struct lx x;
    lx_init(&x, 1);
    const struct tasvir_backend *b = x.be[2];
    for (size_t align = 64; align <= 4096; align *= 2) {
        uint8_t *m = b->ops->mem_alloc(b->ctx, 1000, align);
        cr_assert(not(eq(ptr, m, NULL)));
        cr_assert(eq(u64, (uintptr_t)m % align, 0));
        for (int i = 0; i < 1000; i++)
            cr_assert(eq(u8, m[i], 0));
        b->ops->mem_free(b->ctx, m, 1000);
    }
    struct tasvir_identity id;
    cr_assert(eq(int, b->ops->identity(b->ctx, &id), 0));
    cr_assert(eq(u16, id.node_id, 2));
    cr_assert(eq(u32, id.mtu, 1500));
    uint64_t t0 = b->ops->now_ns(b->ctx);
    tasvir_loop_net_advance(x.net, 5);
    cr_assert(eq(u64, b->ops->now_ns(b->ctx), t0 + 5));
    struct tasvir_loop_port *dup;
    cr_assert(eq(int, tasvir_loop_port_create(x.net, 2, &dup), -EEXIST));
    cr_assert(eq(int, tasvir_loop_port_create(x.net, TASVIR_MAX_NODES, &dup), -EINVAL));
    struct tasvir_loop_faults bad = {.loss = 2};
    cr_assert(eq(int, tasvir_loop_net_set_faults(x.net, &bad), -EINVAL));
    /* delays that would overflow the delivery time (jitter UINT64_MAX once divided by 0) */
    struct tasvir_loop_faults far = {.jitter_ns = UINT64_MAX};
    cr_assert(eq(int, tasvir_loop_net_set_faults(x.net, &far), -EINVAL));
    far = (struct tasvir_loop_faults){.delay_ns = TASVIR_LOOP_MAX_DELAY_NS, .jitter_ns = 1};
    cr_assert(eq(int, tasvir_loop_net_set_faults(x.net, &far), -EINVAL));
    cr_assert(eq(int, tasvir_loop_port_set_faults(x.p[0], &far), -EINVAL));
    far.jitter_ns = 0;
    cr_assert(eq(int, tasvir_loop_net_set_faults(x.net, &far), 0));
    tasvir_loop_net_destroy(x.net);
}

static uint64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A real clock of the net, read through a port's ops and through tasvir_loop_net_now,
 * against CLOCK_MONOTONIC over a 20 ms sleep: the same start, the same rate. */
static void check_real_clock(int kind, uint64_t tsc_hz)
{
    struct tasvir_loop_net_conf c;
    tasvir_loop_net_conf_init(&c);
    c.real_clock = kind;
    c.tsc_hz = tsc_hz;
    struct tasvir_loop_net *net;
    int rc = tasvir_loop_net_create(&c, &net);
    if (kind == TASVIR_LOOP_CLOCK_TSC && rc == -ENOTSUP) {
        cr_log_warn("no invariant TSC here: the TSC clock is refused, as documented");
        return;
    }
    cr_assert(eq(int, rc, 0));
    struct tasvir_loop_port *p;
    cr_assert(eq(int, tasvir_loop_port_create(net, 0, &p), 0));
    const struct tasvir_backend *b = tasvir_loop_port_backend(p);
    uint64_t m0 = mono_now();
    uint64_t c0 = b->ops->now_ns(b->ctx);
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    uint64_t c1 = tasvir_loop_net_now(net);
    uint64_t m1 = mono_now();
    /* the anchor: within 5 ms of CLOCK_MONOTONIC (a preemption between the two reads, on a
     * busy machine, is all that should part them) */
    cr_assert(le(u64, c0 > m0 ? c0 - m0 : m0 - c0, 5000000), "clock %d starts %" PRIu64
              " ns from CLOCK_MONOTONIC's %" PRIu64, kind, c0, m0);
    /* the rate: the 20 ms sleep reads within 5 % (both clocks read the same interval, give
     * or take the reads themselves and a preemption between them; a wrong scale is off by
     * far more) */
    double r = (double)(c1 - c0) / (double)(m1 - m0);
    cr_assert(ge(dbl, r, 0.95), "clock %d ran at %.4f of CLOCK_MONOTONIC", kind, r);
    cr_assert(le(dbl, r, 1.05), "clock %d ran at %.4f of CLOCK_MONOTONIC", kind, r);
    /* a real clock ignores the manual one's controls */
    tasvir_loop_net_set_time(net, 5);
    cr_assert(gt(u64, tasvir_loop_net_now(net), c1));
    tasvir_loop_net_destroy(net);
}

Test(loop, real_clocks)
{
    check_real_clock(TASVIR_LOOP_CLOCK_MONOTONIC, 0);
    check_real_clock(TASVIR_LOOP_CLOCK_TSC, 0); /* measured at creation */
    struct tasvir_loop_net_conf c;
    tasvir_loop_net_conf_init(&c);
    c.real_clock = TASVIR_LOOP_CLOCK_TSC;
    struct tasvir_loop_net *net;
    if (tasvir_loop_net_create(&c, &net) == 0) {
        /* the rate a net measured, given to another net */
        uint64_t hz = tasvir_loop_net_tsc_hz(net);
        cr_assert(gt(u64, hz, 100000000), "a TSC of %" PRIu64 " Hz", hz);
        tasvir_loop_net_destroy(net);
        check_real_clock(TASVIR_LOOP_CLOCK_TSC, hz);
    }
    c.real_clock = TASVIR_LOOP_CLOCK_MONOTONIC;
    cr_assert(eq(int, tasvir_loop_net_create(&c, &net), 0));
    cr_assert(eq(u64, tasvir_loop_net_tsc_hz(net), 0));
    tasvir_loop_net_destroy(net);
    for (int bad = -1; bad <= 3; bad += 4) {
        c.real_clock = bad;
        cr_assert(eq(int, tasvir_loop_net_create(&c, &net), -EINVAL), "real_clock %d", bad);
    }
}

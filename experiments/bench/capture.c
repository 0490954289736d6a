/* capture.c — see capture.h. */
#include "capture.h"

#include <stdlib.h>
#include <string.h>

#include "../../runtime/core/internal.h"
#include "bench.h"

static unsigned cap_tx(void *ctx, struct tasvir_frame **f, unsigned n)
{
    struct bench_cap *c = ctx;
    if (!c->on)
        return c->inner->ops->tx_burst(c->inner->ctx, f, n);
    if (c->n + n > c->cap) {
        uint32_t cap = c->cap ? c->cap : 1024;
        while (cap < c->n + n)
            cap *= 2;
        struct tasvir_frame **x = realloc(c->frames, cap * sizeof(*x));
        if (!x)
            return 0; /* the core counts them as failed */
        c->frames = x;
        c->cap = cap;
    }
    memcpy(c->frames + c->n, f, n * sizeof(*f));
    c->n += n;
    return n;
}

#define FWD(name, ret, params, args)                                                       \
    static ret cap_##name params                                                           \
    {                                                                                      \
        struct bench_cap *c = ctx;                                                         \
        return c->inner->ops->name args;                                                   \
    }
FWD(now_ns, uint64_t, (void *ctx), (c->inner->ctx))
FWD(frame_alloc, unsigned, (void *ctx, struct tasvir_frame **f, unsigned n), (c->inner->ctx, f, n))
FWD(rx_burst, unsigned, (void *ctx, struct tasvir_frame **f, unsigned n), (c->inner->ctx, f, n))
FWD(mem_alloc, void *, (void *ctx, size_t len, size_t align), (c->inner->ctx, len, align))
FWD(identity, int, (void *ctx, struct tasvir_identity *o), (c->inner->ctx, o))
FWD(mcast, int, (void *ctx, const uint8_t mac[6], int join), (c->inner->ctx, mac, join))
#undef FWD
static void cap_frame_free(void *ctx, struct tasvir_frame **f, unsigned n)
{
    struct bench_cap *c = ctx;
    c->inner->ops->frame_free(c->inner->ctx, f, n);
}
static void cap_mem_free(void *ctx, void *p, size_t len)
{
    struct bench_cap *c = ctx;
    c->inner->ops->mem_free(c->inner->ctx, p, len);
}

void bench_cap_init(struct bench_cap *c, const struct tasvir_backend *inner)
{
    memset(c, 0, sizeof(*c));
    c->inner = inner;
    c->ops = (struct tasvir_backend_ops){
        .now_ns = cap_now_ns, .frame_alloc = cap_frame_alloc, .frame_free = cap_frame_free,
        .tx_burst = cap_tx, .rx_burst = cap_rx_burst, .mem_alloc = cap_mem_alloc,
        .mem_free = cap_mem_free, .identity = cap_identity, .mcast = cap_mcast};
    c->be.ops = &c->ops;
    c->be.ctx = c;
}

void bench_cap_release(struct bench_cap *c)
{
    if (c->n)
        c->inner->ops->frame_free(c->inner->ctx, c->frames, c->n);
    c->n = 0;
}

void bench_cap_fini(struct bench_cap *c)
{
    if (!c->inner)
        return;
    bench_cap_release(c);
    free(c->frames);
    c->frames = NULL;
    c->cap = 0;
}

int bench_cap_round(struct bench_cap *c, struct tasvir_loop_net *net, struct tasvir_node *owner,
                    struct tasvir_thread *t, uint64_t step_ns, struct bench_cap_round *out)
{
    struct tasvir_stats s0, s1;
    tasvir_node_stats(owner, &s0);
    s1 = s0;
    uint64_t t0 = 0, t1 = 0;
    c->on = true;
    for (int i = 0; i < 2000; i++) {
        tasvir_loop_net_advance(net, step_ns);
        t0 = bench_ticks();
        tasvir_node_poll(owner, NULL);
        t1 = bench_ticks();
        tasvir_node_stats(owner, &s1);
        if (s1.data_frames_tx > s0.data_frames_tx)
            break;
        tasvir_service(t);
    }
    c->on = false;
    out->poll_ticks = t1 - t0;
    out->data_frames = s1.data_frames_tx - s0.data_frames_tx;
    out->payload = s1.data_payload_tx - s0.data_payload_tx;
    return out->data_frames ? 0 : -1;
}

uint64_t bench_cap_replay(const struct bench_cap *c, struct tasvir_node *sub, unsigned *got)
{
    *got = 0;
    if (!c->n)
        return 0;
    struct tasvir_frame **fs = malloc(c->n * sizeof(*fs));
    if (!fs)
        return 0;
    unsigned k = sub->be.ops->frame_alloc(sub->be.ctx, fs, c->n);
    for (unsigned i = 0; i < k; i++) {
        memcpy(fs[i]->data, c->frames[i]->data, c->frames[i]->len);
        fs[i]->len = c->frames[i]->len;
    }
    uint64_t now = tasvir__now(sub);
    uint64_t d0 = bench_ticks();
    for (unsigned i = 0; i < k; i++)
        tasvir__esync_rx_frame(sub, fs[i], now);
    uint64_t d1 = bench_ticks();
    free(fs);
    *got = k;
    return d1 - d0;
}

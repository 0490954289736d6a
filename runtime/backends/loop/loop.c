/*
 * loop.c — the loopback backend (see tasvir/loop.h).
 *
 * One mutex per net guards everything: port table, rx queues (a min-heap per port keyed by
 * delivery time, then by a global sequence number so equal times keep send order), the
 * frame free list and the fault generator.  A frame is one allocation: descriptor, then
 * data.  Delivery to the first destination hands over the sender's buffer; further
 * destinations and duplicates get copies.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#include "../common/pagemem.h"
#include "../common/tscclock.h"
#include "tasvir/loop.h"
#include "tasvir/tasvir.h"

/* Free frames kept for reuse per net. */
#define FREE_KEPT 4096u

struct lframe {
    struct tasvir_frame f;
    uint64_t at, seq;
    uint16_t src;
    struct lframe *next_free;
    uint8_t data[];
};

struct heap {
    struct lframe **v;
    uint32_t n, cap;
};

struct tasvir_loop_port {
    struct tasvir_loop_net *net;
    uint16_t node_id;
    uint8_t mac[6];
    int down;
    int has_faults;
    struct tasvir_loop_faults faults;
    struct heap rxq;
    uint8_t (*groups)[6];
    uint32_t n_groups, cap_groups;
    struct tasvir_backend be;
    struct tasvir_backend_ops ops; /* loop_ops with the net's clock */
    struct tasvir_loop_port_stats st;
    /* sleeping (real clock): waiters sleep on wake_seq until a kick or a frame for this
     * port bumps it; sleepers counts them so wakers skip the syscall when nobody sleeps */
    _Atomic uint32_t wake_seq;
    _Atomic uint32_t sleepers;
};

struct tasvir_loop_net {
    struct tasvir_loop_net_conf conf;
    pthread_mutex_t lock;
    _Atomic uint64_t now;   /* the manual clock */
    struct tasvir_tscclock clk; /* the TSC clock */
    uint64_t rng;
    uint64_t seq;
    struct tasvir_loop_faults faults;
    struct tasvir_loop_port *ports[TASVIR_MAX_NODES];
    struct lframe *free_list;
    uint32_t n_free;
    uint32_t frame_cap;
    tasvir_loop_tap_fn tap;
    void *tap_arg;
    tasvir_loop_kick_fn kick;
    void *kick_arg;
};

/* splitmix64: small, good enough for fault injection, deterministic per seed. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- heap of frames ordered by (at, seq) ---- */

static bool before(const struct lframe *a, const struct lframe *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int heap_push(struct heap *h, struct lframe *f)
{
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        struct lframe **v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!before(f, h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = f;
    return 0;
}

static struct lframe *heap_pop(struct heap *h)
{
    struct lframe *top = h->v[0];
    struct lframe *last = h->v[--h->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        const struct lframe *best = last;
        if (l < h->n && before(h->v[l], best)) {
            m = l;
            best = h->v[l];
        }
        if (r < h->n && before(h->v[r], best))
            m = r;
        if (m == i)
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* ---- sleeping and waking (real clock) ---- */

static void port_wake(struct tasvir_loop_port *p)
{
    atomic_fetch_add_explicit(&p->wake_seq, 1, memory_order_release);
    if (atomic_load_explicit(&p->sleepers, memory_order_acquire))
        syscall(SYS_futex, (uint32_t *)&p->wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Sleep until the port is woken or timeout_ns passed (whichever first). */
static void port_sleep(struct tasvir_loop_port *p, uint64_t timeout_ns)
{
    uint32_t seen = atomic_load_explicit(&p->wake_seq, memory_order_acquire);
    struct timespec ts = {(time_t)(timeout_ns / 1000000000ull), (long)(timeout_ns % 1000000000ull)};
    atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_acq_rel);
    syscall(SYS_futex, (uint32_t *)&p->wake_seq, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
    atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_acq_rel);
}

/* ---- frames (net->lock held) ---- */

static struct lframe *frame_get(struct tasvir_loop_net *net)
{
    struct lframe *f = net->free_list;
    if (f) {
        net->free_list = f->next_free;
        net->n_free--;
    } else {
        f = malloc(sizeof(*f) + net->frame_cap);
        if (!f)
            return NULL;
    }
    f->f.data = f->data;
    f->f.len = 0;
    f->f.cap = net->frame_cap;
    f->f.priv = f;
    return f;
}

static void frame_put(struct tasvir_loop_net *net, struct lframe *f)
{
    if (net->n_free >= FREE_KEPT) {
        free(f);
        return;
    }
    f->next_free = net->free_list;
    net->free_list = f;
    net->n_free++;
}

/* ---- backend ops ---- */

#if defined(__x86_64__)
static uint64_t read_tsc(void)
{
    return __rdtsc();
}

/* Whether the TSC runs at a constant rate in every power state (CPUID 0x80000007, EDX
 * bit 8: "invariant TSC"), so that it can serve as a clock. */
static bool tsc_invariant(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return false;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1u;
}

/* The TSC's ticks per second against CLOCK_MONOTONIC: the median of three 10 ms windows
 * (a preemption inside one stretches both clocks alike, and the median drops an odd one). */
static uint64_t tsc_measure_hz(void)
{
    double r[3];
    for (int i = 0; i < 3; i++) {
        uint64_t n0 = tasvir_mono_ns(), t0 = read_tsc(), n1;
        while ((n1 = tasvir_mono_ns()) - n0 < 10000000u)
            ;
        r[i] = (double)(read_tsc() - t0) / (double)(n1 - n0);
    }
    double lo = r[0] < r[1] ? r[0] : r[1], hi = r[0] < r[1] ? r[1] : r[0];
    double med = r[2] < lo ? lo : r[2] > hi ? hi : r[2];
    return (uint64_t)(med * 1e9 + 0.5);
}
#endif

/* The net's real or manual time. */
static uint64_t net_now(const struct tasvir_loop_net *net)
{
    switch (net->conf.real_clock) {
    case TASVIR_LOOP_CLOCK_MONOTONIC:
        return tasvir_mono_ns();
#if defined(__x86_64__)
    case TASVIR_LOOP_CLOCK_TSC:
        return tasvir_tscclock_ns(&net->clk, read_tsc());
#endif
    default:
        return atomic_load_explicit(&((struct tasvir_loop_net *)net)->now, memory_order_acquire);
    }
}

static uint64_t op_now(void *ctx)
{
    const struct tasvir_loop_port *p = ctx;
    return net_now(p->net);
}

#if defined(__x86_64__)
/* The TSC clock's own op: one multiplication, no branch on the kind of clock. */
static uint64_t op_now_tsc(void *ctx)
{
    const struct tasvir_loop_port *p = ctx;
    return tasvir_tscclock_ns(&p->net->clk, read_tsc());
}
#endif

static unsigned op_frame_alloc(void *ctx, struct tasvir_frame **out, unsigned n)
{
    struct tasvir_loop_port *p = ctx;
    struct tasvir_loop_net *net = p->net;
    unsigned i;
    pthread_mutex_lock(&net->lock);
    for (i = 0; i < n; i++) {
        struct lframe *f = frame_get(net);
        if (!f)
            break;
        out[i] = &f->f;
    }
    pthread_mutex_unlock(&net->lock);
    return i;
}

static void op_frame_free(void *ctx, struct tasvir_frame **fs, unsigned n)
{
    struct tasvir_loop_port *p = ctx;
    pthread_mutex_lock(&p->net->lock);
    for (unsigned i = 0; i < n; i++)
        frame_put(p->net, fs[i]->priv);
    pthread_mutex_unlock(&p->net->lock);
}

static bool port_in_group(const struct tasvir_loop_port *p, const uint8_t *mac)
{
    for (uint32_t i = 0; i < p->n_groups; i++)
        if (memcmp(p->groups[i], mac, 6) == 0)
            return true;
    return false;
}

/* Queue one copy of f (owned by the caller if !own) for port d, applying faults. */
static void deliver(struct tasvir_loop_net *net, struct tasvir_loop_port *src,
                    struct tasvir_loop_port *d, struct lframe *f, bool *used)
{
    const struct tasvir_loop_faults *fl = src->has_faults ? &src->faults : &net->faults;
    if (d->down) {
        d->st.down++;
        return;
    }
    if (fl->loss > 0 && rng_unit(&net->rng) < fl->loss) {
        src->st.lost++;
        return;
    }
    int copies = 1;
    if (fl->dup > 0 && rng_unit(&net->rng) < fl->dup) {
        copies = 2;
        src->st.duplicated++;
    }
    uint64_t now = net_now(net);
    for (int c = 0; c < copies; c++) {
        if (d->rxq.n >= net->conf.rx_queue_max) {
            d->st.overflow++;
            continue;
        }
        struct lframe *x;
        if (!*used) {
            x = f;
            *used = true;
        } else {
            x = frame_get(net);
            if (!x) {
                d->st.overflow++;
                continue;
            }
            memcpy(x->data, f->data, f->f.len);
            x->f.len = f->f.len;
        }
        uint64_t jit = fl->jitter_ns ? rng_next(&net->rng) % (fl->jitter_ns + 1) : 0;
        /* saturated: a manual clock may start anywhere */
        uint64_t wait = fl->delay_ns + jit;
        x->at = now > UINT64_MAX - wait ? UINT64_MAX : now + wait;
        x->seq = net->seq++;
        x->src = src->node_id;
        if (heap_push(&d->rxq, x)) {
            d->st.overflow++;
            if (x != f)
                frame_put(net, x);
            else
                *used = false;
            continue;
        }
        if (net->tap)
            net->tap(net->tap_arg, src->node_id, d->node_id, x->data, x->f.len);
        if (net->conf.real_clock)
            port_wake(d); /* its engine may be asleep in tasvir_loop_port_wait */
    }
}

static unsigned op_tx_burst(void *ctx, struct tasvir_frame **fs, unsigned n)
{
    struct tasvir_loop_port *p = ctx;
    struct tasvir_loop_net *net = p->net;
    pthread_mutex_lock(&net->lock);
    for (unsigned i = 0; i < n; i++) {
        struct lframe *f = fs[i]->priv;
        bool used = false;
        p->st.tx_frames++;
        p->st.tx_bytes += f->f.len;
        if (!p->down && f->f.len >= 14) {
            const uint8_t *dst = f->data;
            bool any = false;
            if (dst[0] & 1) { /* multicast or broadcast */
                bool bcast = memcmp(dst, "\xff\xff\xff\xff\xff\xff", 6) == 0;
                for (uint32_t k = 0; k < TASVIR_MAX_NODES; k++) {
                    struct tasvir_loop_port *d = net->ports[k];
                    if (!d || d == p || (!bcast && !port_in_group(d, dst)))
                        continue;
                    any = true;
                    deliver(net, p, d, f, &used);
                }
            } else if (dst[0] == 0x02 && dst[1] == 0 && dst[2] == 0 && dst[3] == 0) {
                uint16_t id = (uint16_t)(dst[4] << 8 | dst[5]);
                struct tasvir_loop_port *d = id < TASVIR_MAX_NODES ? net->ports[id] : NULL;
                if (d) {
                    any = true;
                    deliver(net, p, d, f, &used);
                }
            }
            if (!any)
                p->st.unroutable++;
        } else if (p->down) {
            p->st.down++;
        }
        if (!used)
            frame_put(net, f);
    }
    pthread_mutex_unlock(&net->lock);
    return n;
}

static unsigned op_rx_burst(void *ctx, struct tasvir_frame **out, unsigned n)
{
    struct tasvir_loop_port *p = ctx;
    struct tasvir_loop_net *net = p->net;
    uint64_t now = op_now(ctx);
    unsigned i = 0;
    pthread_mutex_lock(&net->lock);
    while (i < n && p->rxq.n && p->rxq.v[0]->at <= now) {
        struct lframe *f = heap_pop(&p->rxq);
        if (p->down) {
            p->st.down++;
            frame_put(net, f);
            continue;
        }
        p->st.rx_frames++;
        p->st.rx_bytes += f->f.len;
        out[i++] = &f->f;
    }
    pthread_mutex_unlock(&net->lock);
    return i;
}

/* Area copies of 2 MiB and more get transparent huge pages (as DPDK's hugepage memory
 * would), smaller ones the heap. */
static const struct tasvir_pagemem loop_mem = {.map_min = TASVIR_PAGEMEM_HUGE_BYTES, .huge = true};

static void *op_mem_alloc(void *ctx, size_t len, size_t align)
{
    (void)ctx;
    return tasvir_pagemem_alloc(&loop_mem, len, align < 64 ? 64 : align);
}

static void op_mem_free(void *ctx, void *p, size_t len)
{
    (void)ctx;
    tasvir_pagemem_free(&loop_mem, p, len);
}

static int op_identity(void *ctx, struct tasvir_identity *out)
{
    struct tasvir_loop_port *p = ctx;
    out->node_id = p->node_id;
    memcpy(out->mac, p->mac, 6);
    out->mtu = p->net->conf.mtu;
    return 0;
}

static int op_mcast(void *ctx, const uint8_t mac[6], int join)
{
    struct tasvir_loop_port *p = ctx;
    struct tasvir_loop_net *net = p->net;
    int rc = 0;
    pthread_mutex_lock(&net->lock);
    uint32_t i;
    for (i = 0; i < p->n_groups; i++)
        if (memcmp(p->groups[i], mac, 6) == 0)
            break;
    if (join && i == p->n_groups) {
        if (p->n_groups == p->cap_groups) {
            uint32_t cap = p->cap_groups ? p->cap_groups * 2 : 8;
            void *g = realloc(p->groups, cap * 6);
            if (!g) {
                rc = -ENOMEM;
                goto out;
            }
            p->groups = g;
            p->cap_groups = cap;
        }
        memcpy(p->groups[p->n_groups++], mac, 6);
    } else if (!join && i < p->n_groups) {
        memmove(p->groups[i], p->groups[i + 1], (p->n_groups - i - 1) * 6);
        p->n_groups--;
    }
out:
    pthread_mutex_unlock(&net->lock);
    return rc;
}

/* Between polls of a blocked check-in.  With the real clock the thread sleeps until the
 * epoch moves (the core kicks at the last arrival and at the end) — freeing its CPU for
 * threads that have not checked in yet — for at most 200 us, in case a kick came just
 * before it went to sleep.  With the manual clock nothing moves while it waits: yield. */
static void op_relax(void *ctx)
{
    struct tasvir_loop_port *p = ctx;
    if (p->net->conf.real_clock)
        port_sleep(p, 200000);
    else
        sched_yield();
}

static void op_kick(void *ctx, enum tasvir_kick what)
{
    struct tasvir_loop_port *p = ctx;
    if (p->net->conf.real_clock)
        port_wake(p);
    tasvir_loop_kick_fn fn = p->net->kick;
    if (fn)
        fn(p->net->kick_arg, p->node_id, what);
}

static const struct tasvir_backend_ops loop_ops = {
    .now_ns = op_now,
    .frame_alloc = op_frame_alloc,
    .frame_free = op_frame_free,
    .tx_burst = op_tx_burst,
    .rx_burst = op_rx_burst,
    .mem_alloc = op_mem_alloc,
    .mem_free = op_mem_free,
    .identity = op_identity,
    .mcast = op_mcast,
    .relax = op_relax,
    .kick = op_kick,
};

/* ---- public API ---- */

int tasvir_loop_net_conf_init(struct tasvir_loop_net_conf *c)
{
    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->seed = 1;
    c->mtu = 1500;
    c->rx_queue_max = 65536;
    return 0;
}

static int check_faults(const struct tasvir_loop_faults *f)
{
    if (!f || !(f->loss >= 0 && f->loss <= 1) || !(f->dup >= 0 && f->dup <= 1) ||
        f->delay_ns > TASVIR_LOOP_MAX_DELAY_NS ||
        f->jitter_ns > TASVIR_LOOP_MAX_DELAY_NS - f->delay_ns)
        return -EINVAL;
    return 0;
}

int tasvir_loop_net_create(const struct tasvir_loop_net_conf *conf, struct tasvir_loop_net **out)
{
    if (!conf || !out || conf->mtu < 128 || conf->mtu > 9600 || conf->rx_queue_max == 0 ||
        conf->real_clock < TASVIR_LOOP_CLOCK_MANUAL || conf->real_clock > TASVIR_LOOP_CLOCK_TSC)
        return -EINVAL;
#if defined(__x86_64__)
    if (conf->real_clock == TASVIR_LOOP_CLOCK_TSC && !tsc_invariant())
        return -ENOTSUP;
#else
    if (conf->real_clock == TASVIR_LOOP_CLOCK_TSC)
        return -ENOTSUP;
#endif
    struct tasvir_loop_net *net = calloc(1, sizeof(*net));
    if (!net)
        return -ENOMEM;
    net->conf = *conf;
#if defined(__x86_64__)
    if (conf->real_clock == TASVIR_LOOP_CLOCK_TSC)
        tasvir_tscclock_init(&net->clk, conf->tsc_hz ? conf->tsc_hz : tsc_measure_hz(), read_tsc);
#endif
    net->rng = conf->seed;
    net->frame_cap = conf->mtu + 14;
    atomic_init(&net->now, conf->start_ns);
    pthread_mutex_init(&net->lock, NULL);
    *out = net;
    return 0;
}

static void port_free(struct tasvir_loop_port *p)
{
    struct tasvir_loop_net *net = p->net;
    while (p->rxq.n)
        frame_put(net, heap_pop(&p->rxq));
    free(p->rxq.v);
    free(p->groups);
    free(p);
}

void tasvir_loop_net_destroy(struct tasvir_loop_net *net)
{
    if (!net)
        return;
    for (uint32_t i = 0; i < TASVIR_MAX_NODES; i++)
        if (net->ports[i])
            port_free(net->ports[i]);
    while (net->free_list) {
        struct lframe *f = net->free_list;
        net->free_list = f->next_free;
        free(f);
    }
    pthread_mutex_destroy(&net->lock);
    free(net);
}

int tasvir_loop_net_set_faults(struct tasvir_loop_net *net, const struct tasvir_loop_faults *f)
{
    if (!net || check_faults(f))
        return -EINVAL;
    pthread_mutex_lock(&net->lock);
    net->faults = *f;
    pthread_mutex_unlock(&net->lock);
    return 0;
}

int tasvir_loop_port_set_faults(struct tasvir_loop_port *p, const struct tasvir_loop_faults *f)
{
    if (!p)
        return -EINVAL;
    pthread_mutex_lock(&p->net->lock);
    if (f) {
        if (check_faults(f)) {
            pthread_mutex_unlock(&p->net->lock);
            return -EINVAL;
        }
        p->faults = *f;
    }
    p->has_faults = f != NULL;
    pthread_mutex_unlock(&p->net->lock);
    return 0;
}

void tasvir_loop_net_advance(struct tasvir_loop_net *net, uint64_t ns)
{
    atomic_fetch_add_explicit(&net->now, ns, memory_order_acq_rel);
}

void tasvir_loop_net_set_time(struct tasvir_loop_net *net, uint64_t now_ns)
{
    atomic_store_explicit(&net->now, now_ns, memory_order_release);
}

uint64_t tasvir_loop_net_now(const struct tasvir_loop_net *net)
{
    return net_now(net);
}

uint64_t tasvir_loop_net_tsc_hz(const struct tasvir_loop_net *net)
{
    return net->conf.real_clock == TASVIR_LOOP_CLOCK_TSC ? net->clk.hz : 0;
}

uint64_t tasvir_loop_net_next_delivery(struct tasvir_loop_net *net)
{
    uint64_t t = UINT64_MAX;
    pthread_mutex_lock(&net->lock);
    for (uint32_t i = 0; i < TASVIR_MAX_NODES; i++) {
        struct tasvir_loop_port *p = net->ports[i];
        if (p && p->rxq.n && p->rxq.v[0]->at < t)
            t = p->rxq.v[0]->at;
    }
    pthread_mutex_unlock(&net->lock);
    return t;
}

void tasvir_loop_net_set_tap(struct tasvir_loop_net *net, tasvir_loop_tap_fn fn, void *arg)
{
    pthread_mutex_lock(&net->lock);
    net->tap = fn;
    net->tap_arg = arg;
    pthread_mutex_unlock(&net->lock);
}

void tasvir_loop_net_set_kick(struct tasvir_loop_net *net, tasvir_loop_kick_fn fn, void *arg)
{
    pthread_mutex_lock(&net->lock);
    net->kick = fn;
    net->kick_arg = arg;
    pthread_mutex_unlock(&net->lock);
}

void tasvir_loop_mac(uint16_t node_id, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = mac[2] = mac[3] = 0;
    mac[4] = (uint8_t)(node_id >> 8);
    mac[5] = (uint8_t)node_id;
}

int tasvir_loop_port_create(struct tasvir_loop_net *net, uint16_t node_id,
                            struct tasvir_loop_port **out)
{
    if (!net || !out || node_id >= TASVIR_MAX_NODES)
        return -EINVAL;
    struct tasvir_loop_port *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->net = net;
    p->node_id = node_id;
    tasvir_loop_mac(node_id, p->mac);
    p->ops = loop_ops;
#if defined(__x86_64__)
    if (net->conf.real_clock == TASVIR_LOOP_CLOCK_TSC)
        p->ops.now_ns = op_now_tsc;
#endif
    p->be.ops = &p->ops;
    p->be.ctx = p;
    pthread_mutex_lock(&net->lock);
    if (net->ports[node_id]) {
        pthread_mutex_unlock(&net->lock);
        free(p);
        return -EEXIST;
    }
    net->ports[node_id] = p;
    pthread_mutex_unlock(&net->lock);
    *out = p;
    return 0;
}

void tasvir_loop_port_destroy(struct tasvir_loop_port *p)
{
    if (!p)
        return;
    struct tasvir_loop_net *net = p->net;
    pthread_mutex_lock(&net->lock);
    net->ports[p->node_id] = NULL;
    port_free(p);
    pthread_mutex_unlock(&net->lock);
}

const struct tasvir_backend *tasvir_loop_port_backend(const struct tasvir_loop_port *p)
{
    return p ? &p->be : NULL;
}

void tasvir_loop_port_stats(const struct tasvir_loop_port *p, struct tasvir_loop_port_stats *out)
{
    pthread_mutex_lock(&p->net->lock);
    *out = p->st;
    pthread_mutex_unlock(&p->net->lock);
}

void tasvir_loop_port_set_down(struct tasvir_loop_port *p, int down)
{
    pthread_mutex_lock(&p->net->lock);
    p->down = down;
    pthread_mutex_unlock(&p->net->lock);
}

void tasvir_loop_port_wait(struct tasvir_loop_port *p, uint64_t deadline_ns)
{
    if (!p->net->conf.real_clock) {
        sched_yield();
        return;
    }
    uint64_t now = net_now(p->net);
    if (deadline_ns <= now)
        return;
    uint64_t t = deadline_ns - now;
    port_sleep(p, t < 1000000 ? t : 1000000);
}

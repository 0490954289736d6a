/*
 * sim.c — the C side of the simulation backend (see tasvir/sim.h).
 *
 * A port owns a frame pool and an rx ring.  A frame is one allocation, descriptor first and
 * data after it; free frames sit on a singly linked list and are reused, never returned to
 * the allocator before the port is destroyed (a node's frame footprint stays at its high
 * water mark, bounded by pool_frames).  The rx ring holds frames the host delivered, in
 * arrival order.  No locks: a simulation drives all ports from one OS thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pagemem.h"
#include "tasvir/sim.h"
#include "tasvir/tasvir.h"

#define ETH_HDR_BYTES 14u
/* mem_alloc requests of at least this size get fresh anonymous pages (zero, mapped on
 * first touch) instead of malloc + memset: hundreds of simulated nodes hold replicas of
 * every area, and many of their pages may never be written.  mem_free tells the two kinds
 * apart by the same size rule.  Small pages: a huge page would commit 2 MiB per replica
 * on its first write. */
#define MMAP_MIN_BYTES (64u * 1024u)
/* relax calls at one simulated instant after which a wait is declared endless */
#define RELAX_SPIN_LIMIT 1000000u

struct sframe {
    struct tasvir_frame f;
    struct sframe *next_free;
    uint8_t data[];
};

struct tasvir_sim_port {
    struct tasvir_sim_port_conf conf;
    struct tasvir_backend be;
    uint32_t frame_cap; /* mtu + Ethernet header */

    struct sframe *free_list;
    uint64_t frames_made; /* allocations ever made (<= pool_frames) */
    struct sframe **all;  /* every frame ever made, to free them at destroy */

    struct tasvir_frame **ring; /* rx queue, rx_queue_max slots */
    uint32_t head, count;

    uint64_t relax_at;    /* simulated time of the current run of relax calls */
    uint32_t relax_spins; /* relax calls at relax_at */

    struct tasvir_sim_port_stats st;
};

void tasvir_sim_mac(uint16_t node_id, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = mac[2] = mac[3] = 0;
    mac[4] = (uint8_t)(node_id >> 8);
    mac[5] = (uint8_t)node_id;
}

/* ---- frame pool ---- */

static struct sframe *frame_get(struct tasvir_sim_port *p)
{
    struct sframe *f = p->free_list;
    if (f) {
        p->free_list = f->next_free;
    } else {
        if (p->frames_made >= p->conf.pool_frames)
            return NULL;
        f = malloc(sizeof(*f) + p->frame_cap);
        if (!f)
            return NULL;
        p->all[p->frames_made++] = f;
    }
    f->f.data = f->data;
    f->f.len = 0;
    f->f.cap = p->frame_cap;
    f->f.priv = f;
    if (++p->st.frames_now > p->st.frames_max)
        p->st.frames_max = p->st.frames_now;
    return f;
}

static void frame_put(struct tasvir_sim_port *p, struct tasvir_frame *tf)
{
    struct sframe *f = tf->priv;
    f->next_free = p->free_list;
    p->free_list = f;
    p->st.frames_now--;
}

/* ---- backend ops ---- */

static uint64_t op_now(void *ctx)
{
    struct tasvir_sim_port *p = ctx;
    return p->conf.host.now_ns(p->conf.host.ctx);
}

static unsigned op_frame_alloc(void *ctx, struct tasvir_frame **out, unsigned n)
{
    struct tasvir_sim_port *p = ctx;
    unsigned i;
    for (i = 0; i < n; i++) {
        struct sframe *f = frame_get(p);
        if (!f)
            break;
        out[i] = &f->f;
    }
    p->st.alloc_short += n - i;
    return i;
}

static void op_frame_free(void *ctx, struct tasvir_frame **fs, unsigned n)
{
    struct tasvir_sim_port *p = ctx;
    for (unsigned i = 0; i < n; i++)
        frame_put(p, fs[i]);
}

static unsigned op_tx_burst(void *ctx, struct tasvir_frame **fs, unsigned n)
{
    struct tasvir_sim_port *p = ctx;
    const struct tasvir_sim_host *h = &p->conf.host;
    unsigned i;
    for (i = 0; i < n; i++) {
        struct tasvir_frame *f = fs[i];
        if (f->len < ETH_HDR_BYTES || f->len > p->frame_cap) {
            /* Taken and dropped, as a NIC drops a descriptor it cannot send. */
            p->st.tx_bad++;
            frame_put(p, f);
            continue;
        }
        if (h->transmit(h->ctx, f->data, f->len) != 0) {
            p->st.tx_refused += n - i;
            break;
        }
        p->st.tx_frames++;
        p->st.tx_bytes += f->len;
        frame_put(p, f);
    }
    return i;
}

static unsigned op_rx_burst(void *ctx, struct tasvir_frame **out, unsigned n)
{
    struct tasvir_sim_port *p = ctx;
    unsigned i = 0;
    uint32_t cap = p->conf.rx_queue_max;
    while (i < n && p->count) {
        struct tasvir_frame *f = p->ring[p->head];
        p->head = p->head + 1 == cap ? 0 : p->head + 1;
        p->count--;
        p->st.rx_frames++;
        p->st.rx_bytes += f->len;
        out[i++] = f;
    }
    return i;
}

static const struct tasvir_pagemem sim_mem = {.map_min = MMAP_MIN_BYTES, .huge = false};

static void *op_mem_alloc(void *ctx, size_t len, size_t align)
{
    struct tasvir_sim_port *p = ctx;
    void *m = tasvir_pagemem_alloc(&sim_mem, len, align < 64 ? 64 : align);
    if (m)
        p->st.mem_bytes_now += len;
    return m;
}

static void op_mem_free(void *ctx, void *m, size_t len)
{
    struct tasvir_sim_port *p = ctx;
    if (!m)
        return;
    p->st.mem_bytes_now -= len;
    tasvir_pagemem_free(&sim_mem, m, len);
}

static int op_identity(void *ctx, struct tasvir_identity *out)
{
    struct tasvir_sim_port *p = ctx;
    if (!out)
        return -EINVAL;
    out->node_id = p->conf.node_id;
    memcpy(out->mac, p->conf.mac, 6);
    out->mtu = p->conf.mtu;
    return 0;
}

static int op_mcast(void *ctx, const uint8_t mac[6], int join)
{
    struct tasvir_sim_port *p = ctx;
    if (!mac || !(mac[0] & 1))
        return -EINVAL; /* not a group address */
    if (!p->conf.host.mcast)
        return -ENOTSUP;
    int rc = p->conf.host.mcast(p->conf.host.ctx, mac, join);
    if (rc == 0 && join)
        p->st.mcast_joins++;
    return rc;
}

static void op_relax(void *ctx)
{
    struct tasvir_sim_port *p = ctx;
    p->st.relax_calls++;
    if (p->conf.host.relax)
        p->conf.host.relax(p->conf.host.ctx);
    /* Simulated time only advances between events, so relaxing changes nothing: bounded
     * retry loops (a transmit retry) just run out, but a wait for another thread
     * (tasvir_service_wait) would spin forever.  Catch that instead of hanging. */
    uint64_t now = op_now(ctx);
    if (now != p->relax_at) {
        p->relax_at = now;
        p->relax_spins = 0;
    }
    if (++p->relax_spins >= RELAX_SPIN_LIMIT) {
        fprintf(stderr, "tasvir sim backend (node %u): %u relax calls at simulated time %llu "
                        "ns: a blocking wait (tasvir_service_wait?) cannot end in simulation; "
                        "use tasvir_service from an agent\n",
                p->conf.node_id, p->relax_spins, (unsigned long long)now);
        abort();
    }
}

static void op_kick(void *ctx, enum tasvir_kick what)
{
    struct tasvir_sim_port *p = ctx;
    if (p->conf.host.kick)
        p->conf.host.kick(p->conf.host.ctx, what);
}

static const struct tasvir_backend_ops sim_ops = {
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

int tasvir_sim_port_conf_init(struct tasvir_sim_port_conf *c)
{
    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->mtu = 1500;
    c->pool_frames = 8192;
    c->rx_queue_max = 4096;
    return 0;
}

int tasvir_sim_port_create(const struct tasvir_sim_port_conf *conf, struct tasvir_sim_port **out)
{
    if (!conf || !out || conf->node_id >= TASVIR_MAX_NODES || conf->mtu < 128 ||
        conf->mtu > 9600 || conf->pool_frames == 0 || conf->rx_queue_max == 0 ||
        !conf->host.now_ns || !conf->host.transmit)
        return -EINVAL;
    struct tasvir_sim_port *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->conf = *conf;
    if (!conf->mac_set)
        tasvir_sim_mac(conf->node_id, p->conf.mac);
    p->frame_cap = conf->mtu + ETH_HDR_BYTES;
    p->all = calloc(conf->pool_frames, sizeof(*p->all));
    p->ring = calloc(conf->rx_queue_max, sizeof(*p->ring));
    if (!p->all || !p->ring) {
        free(p->all);
        free(p->ring);
        free(p);
        return -ENOMEM;
    }
    p->be.ops = &sim_ops;
    p->be.ctx = p;
    *out = p;
    return 0;
}

void tasvir_sim_port_destroy(struct tasvir_sim_port *p)
{
    if (!p)
        return;
    for (uint64_t i = 0; i < p->frames_made; i++)
        free(p->all[i]);
    free(p->all);
    free(p->ring);
    free(p);
}

const struct tasvir_backend *tasvir_sim_port_backend(const struct tasvir_sim_port *p)
{
    return p ? &p->be : NULL;
}

struct tasvir_frame *tasvir_sim_port_rx_begin(struct tasvir_sim_port *p, uint32_t len)
{
    if (len < ETH_HDR_BYTES || len > p->frame_cap) {
        p->st.rx_bad_len++;
        return NULL;
    }
    if (p->count >= p->conf.rx_queue_max) {
        p->st.rx_overflow++;
        return NULL;
    }
    struct sframe *f = frame_get(p);
    if (!f) {
        p->st.rx_nobuf++;
        return NULL;
    }
    f->f.len = len;
    return &f->f;
}

void tasvir_sim_port_rx_commit(struct tasvir_sim_port *p, struct tasvir_frame *f)
{
    uint32_t cap = p->conf.rx_queue_max;
    uint32_t tail = p->head + p->count;
    if (tail >= cap)
        tail -= cap;
    /* rx_begin checked the room; nothing else can fill the ring in between (one thread). */
    p->ring[tail] = f;
    p->count++;
    p->st.rx_queued++;
}

uint32_t tasvir_sim_port_rx_pending(const struct tasvir_sim_port *p)
{
    return p->count;
}

void tasvir_sim_port_stats(const struct tasvir_sim_port *p, struct tasvir_sim_port_stats *out)
{
    *out = p->st;
}

/*
 * dpdk.c — the DPDK backend's port: setup (pool, queues, MTU, MAC, RX filter), the
 * backend ops table (frames as mbufs, TSC clock, rte_malloc memory, identity, multicast)
 * and the port's counters.  EAL and lcore helpers are in eal.c.
 *
 * Invariants:
 *  - Every mbuf of the port's pool carries a struct tasvir_frame in its private area;
 *    frame->priv always points back at the mbuf, and frame->data at its data room once
 *    the frame has been handed out (frame_alloc, rx_burst).
 *  - Frame operations run on the sync engine's thread only: one RX and one TX queue, no
 *    locks on the data path.  Their counters are written by that thread alone (relaxed
 *    atomics so that stats readers on other threads see whole values).
 *  - mem_alloc/mem_free may run on any thread: rte_malloc is thread-safe, the byte
 *    counters are atomic, and the multicast list has its own mutex.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "../common/pagemem.h"
#include "../common/tscclock.h"
#include "dpdk_internal.h"
#include "tasvir/dpdk.h"
#include "tasvir/tasvir.h"

/* Burst chunk for the ethdev calls (stack arrays of mbuf pointers). */
#define CHUNK 64u
/* Frames up to this many bytes fit in the default data room. */
#define DEFAULT_DATAROOM 2048u
/* Ethernet header + CRC + two VLAN tags: what a PMD may count on top of the MTU. */
#define L2_OVERHEAD (RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 8u)

typedef atomic_uint_fast64_t counter_t;

struct tasvir_dpdk_port {
    struct tasvir_backend be;
    struct tasvir_backend_ops ops; /* the table be.ops points to */
    struct tasvir_dpdk_conf conf;
    uint16_t port_id;
    int socket_id;
    int started;
    int logtype;
    struct rte_mempool *pool;
    uint32_t frame_cap;
    uint16_t rx_desc, tx_desc;
    uint32_t min_mtu, max_mtu;
    struct rte_ether_addr mac;
    char name[RTE_ETH_NAME_MAX_LEN];
    char driver[64];
    enum tasvir_dpdk_rx_filter rx_filter; /* in effect */

    struct tasvir_tscclock clk; /* the TSC clock (anchored at creation) */

    pthread_mutex_t mc_lock;
    struct rte_ether_addr *mc;
    uint32_t n_mc, cap_mc;

    /* engine-thread counters */
    counter_t tx_frames, tx_bytes, tx_full, tx_rejected;
    counter_t rx_frames, rx_bytes, rx_linearized, rx_copied, rx_dropped, alloc_failed;
    /* any-thread counters */
    counter_t mem_dpdk_bytes, mem_fallback_bytes, mem_failed;
};

#define PLOG(p, lvl, ...) rte_log(RTE_LOG_##lvl, (p)->logtype, "TASVIR: " __VA_ARGS__)

/* Add on a counter only the engine thread writes: no read-modify-write needed. */
static inline void bump(counter_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t rd(const counter_t *c)
{
    return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

static inline struct tasvir_frame *mbuf_frame(struct rte_mbuf *m)
{
    return (struct tasvir_frame *)rte_mbuf_to_priv(m);
}

/* Describe a fresh or received mbuf of our pool as a frame. */
static inline struct tasvir_frame *frame_of(struct rte_mbuf *m)
{
    struct tasvir_frame *f = mbuf_frame(m);
    f->data = rte_pktmbuf_mtod(m, uint8_t *);
    f->len = rte_pktmbuf_pkt_len(m);
    f->cap = (uint32_t)(rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m));
    f->priv = m;
    return f;
}

/* ---- backend ops ------------------------------------------------------------------ */

static uint64_t op_now_tsc(void *ctx)
{
    const struct tasvir_dpdk_port *p = ctx;
    return tasvir_tscclock_ns(&p->clk, rte_get_tsc_cycles());
}

static uint64_t op_now_mono(void *ctx)
{
    (void)ctx;
    return tasvir_mono_ns();
}

static unsigned op_frame_alloc(void *ctx, struct tasvir_frame **out, unsigned n)
{
    struct tasvir_dpdk_port *p = ctx;
    struct rte_mbuf *m[CHUNK];
    unsigned got = 0;
    while (got < n) {
        unsigned want = n - got < CHUNK ? n - got : CHUNK;
        if (rte_pktmbuf_alloc_bulk(p->pool, m, want) == 0) {
            for (unsigned i = 0; i < want; i++)
                out[got + i] = frame_of(m[i]);
            got += want;
            continue;
        }
        /* Bulk allocation is all-or-nothing: take what is left one by one. */
        unsigned k = 0;
        while (k < want && (m[k] = rte_pktmbuf_alloc(p->pool)) != NULL)
            k++;
        for (unsigned i = 0; i < k; i++)
            out[got + i] = frame_of(m[i]);
        got += k;
        break;
    }
    if (got < n)
        bump(&p->alloc_failed, n - got);
    return got;
}

static void op_frame_free(void *ctx, struct tasvir_frame **f, unsigned n)
{
    (void)ctx;
    struct rte_mbuf *m[CHUNK];
    for (unsigned done = 0; done < n;) {
        unsigned k = n - done < CHUNK ? n - done : CHUNK;
        for (unsigned i = 0; i < k; i++)
            m[i] = f[done + i]->priv;
        rte_pktmbuf_free_bulk(m, k);
        done += k;
    }
}

static unsigned op_tx_burst(void *ctx, struct tasvir_frame **f, unsigned n)
{
    struct tasvir_dpdk_port *p = ctx;
    struct rte_mbuf *m[CHUNK];
    unsigned sent = 0;
    while (sent < n) {
        unsigned k = 0, lim = n - sent < CHUNK ? n - sent : CHUNK;
        uint64_t bytes = 0;
        int bad = 0;
        for (; k < lim; k++) {
            struct tasvir_frame *x = f[sent + k];
            struct rte_mbuf *mb = x->priv;
            if (x->len < RTE_ETHER_HDR_LEN || x->len > x->cap) {
                bad = 1;
                break;
            }
            /* The core may have moved data within the data room (never out of it). */
            mb->data_off = (uint16_t)(x->data - (uint8_t *)mb->buf_addr);
            mb->data_len = (uint16_t)x->len;
            mb->pkt_len = x->len;
            bytes += x->len;
            m[k] = mb;
        }
        uint16_t took = k ? rte_eth_tx_burst(p->port_id, 0, m, (uint16_t)k) : 0;
        if (took < k) {
            for (unsigned i = took; i < k; i++)
                bytes -= m[i]->pkt_len;
        }
        bump(&p->tx_frames, took);
        bump(&p->tx_bytes, bytes);
        sent += took;
        if (took < k) {
            bump(&p->tx_full, n - sent);
            break;
        }
        if (bad) {
            bump(&p->tx_rejected, 1);
            break;
        }
    }
    return sent;
}

/* Make m a single-segment mbuf of our pool, or free it and return NULL. */
static struct rte_mbuf *rx_fixup(struct tasvir_dpdk_port *p, struct rte_mbuf *m)
{
    if (m->pool != p->pool) {
        struct rte_mbuf *c = NULL;
        uint32_t len = rte_pktmbuf_pkt_len(m);
        if (len <= p->frame_cap)
            c = rte_pktmbuf_alloc(p->pool);
        if (c) {
            char *dst = rte_pktmbuf_append(c, (uint16_t)len);
            const void *src = dst ? rte_pktmbuf_read(m, 0, len, dst) : NULL;
            if (!src) {
                rte_pktmbuf_free(c);
                c = NULL;
            } else if (src != dst) {
                memcpy(dst, src, len);
            }
        }
        rte_pktmbuf_free(m);
        if (c)
            bump(&p->rx_copied, 1);
        return c;
    }
    if (m->nb_segs > 1) {
        if (rte_pktmbuf_linearize(m) != 0) {
            rte_pktmbuf_free(m);
            return NULL;
        }
        bump(&p->rx_linearized, 1);
    }
    return m;
}

static unsigned op_rx_burst(void *ctx, struct tasvir_frame **out, unsigned n)
{
    struct tasvir_dpdk_port *p = ctx;
    struct rte_mbuf *m[CHUNK];
    unsigned got = 0;
    uint64_t bytes = 0;
    while (got < n) {
        unsigned want = n - got < CHUNK ? n - got : CHUNK;
        uint16_t k = rte_eth_rx_burst(p->port_id, 0, m, (uint16_t)want);
        for (uint16_t i = 0; i < k; i++) {
            struct rte_mbuf *mb = m[i];
            if (unlikely(mb->nb_segs > 1 || mb->pool != p->pool)) {
                mb = rx_fixup(p, mb);
                if (!mb) {
                    bump(&p->rx_dropped, 1);
                    continue;
                }
            }
            struct tasvir_frame *f = frame_of(mb);
            bytes += f->len;
            out[got++] = f;
        }
        if (k < want)
            break;
    }
    bump(&p->rx_frames, got);
    bump(&p->rx_bytes, bytes);
    return got;
}

static const struct tasvir_pagemem fallback_mem = {.map_min = TASVIR_PAGEMEM_HUGE_BYTES,
                                                     .huge = true};

static void *op_mem_alloc(void *ctx, size_t len, size_t align)
{
    struct tasvir_dpdk_port *p = ctx;
    if (align < RTE_CACHE_LINE_SIZE)
        align = RTE_CACHE_LINE_SIZE;
    if (align & (align - 1)) {
        atomic_fetch_add(&p->mem_failed, 1);
        return NULL;
    }
    size_t sz = len ? len : 1;
    void *m = rte_zmalloc_socket("tasvir", sz, (unsigned)align, p->socket_id);
    if (!m && p->socket_id != SOCKET_ID_ANY)
        m = rte_zmalloc_socket("tasvir", sz, (unsigned)align, SOCKET_ID_ANY);
    if (m) {
        atomic_fetch_add(&p->mem_dpdk_bytes, len);
        return m;
    }
    if (!p->conf.mem_fallback) {
        atomic_fetch_add(&p->mem_failed, 1);
        return NULL;
    }
    /* Fallback (no hugepages for EAL, e.g. --no-huge): large copies still ask the kernel
     * for transparent huge pages. */
    m = tasvir_pagemem_alloc(&fallback_mem, len, align);
    if (!m) {
        atomic_fetch_add(&p->mem_failed, 1);
        return NULL;
    }
    atomic_fetch_add(&p->mem_fallback_bytes, len);
    return m;
}

static void op_mem_free(void *ctx, void *m, size_t len)
{
    struct tasvir_dpdk_port *p = ctx;
    if (!m)
        return;
    /* DPDK memory lies in one of EAL's memseg lists; fallback memory does not. */
    if (rte_mem_virt2memseg_list(m) != NULL) {
        rte_free(m);
        atomic_fetch_sub(&p->mem_dpdk_bytes, len);
    } else {
        tasvir_pagemem_free(&fallback_mem, m, len);
        atomic_fetch_sub(&p->mem_fallback_bytes, len);
    }
}

static int op_identity(void *ctx, struct tasvir_identity *out)
{
    const struct tasvir_dpdk_port *p = ctx;
    out->node_id = p->conf.node_id;
    memcpy(out->mac, p->mac.addr_bytes, 6);
    out->mtu = p->conf.mtu;
    return 0;
}

/* Fall back from multicast filters to all-multicast to promiscuous; caller holds mc_lock. */
static int widen_filter(struct tasvir_dpdk_port *p, int why)
{
    if (p->rx_filter == TASVIR_DPDK_RX_MCAST) {
        int rc = rte_eth_allmulticast_enable(p->port_id);
        if (rc == 0) {
            PLOG(p, WARNING, "port %s (%s) cannot filter multicast addresses (%s): "
                 "receiving all multicast frames instead\n", p->name, p->driver,
                 rte_strerror(-why));
            p->rx_filter = TASVIR_DPDK_RX_ALLMULTI;
            return 0;
        }
    }
    if (p->rx_filter != TASVIR_DPDK_RX_PROMISC) {
        int rc = rte_eth_promiscuous_enable(p->port_id);
        if (rc != 0) {
            PLOG(p, ERR, "port %s (%s) can neither filter multicast nor go promiscuous: %s\n",
                 p->name, p->driver, rte_strerror(-rc));
            return rc;
        }
        PLOG(p, WARNING, "port %s (%s) cannot filter multicast (%s): promiscuous mode\n",
             p->name, p->driver, rte_strerror(-why));
        p->rx_filter = TASVIR_DPDK_RX_PROMISC;
    }
    return 0;
}

static int op_mcast(void *ctx, const uint8_t mac[6], int join)
{
    struct tasvir_dpdk_port *p = ctx;
    if (!(mac[0] & 1))
        return -EINVAL;
    int rc = 0;
    pthread_mutex_lock(&p->mc_lock);
    uint32_t i;
    for (i = 0; i < p->n_mc; i++)
        if (memcmp(p->mc[i].addr_bytes, mac, 6) == 0)
            break;
    if (join && i == p->n_mc) {
        if (p->n_mc == p->cap_mc) {
            uint32_t cap = p->cap_mc ? 2 * p->cap_mc : 16;
            void *v = realloc(p->mc, cap * sizeof(*p->mc));
            if (!v) {
                rc = -ENOMEM;
                goto out;
            }
            p->mc = v;
            p->cap_mc = cap;
        }
        memcpy(p->mc[p->n_mc++].addr_bytes, mac, 6);
    } else if (!join && i < p->n_mc) {
        memmove(&p->mc[i], &p->mc[i + 1], (p->n_mc - i - 1) * sizeof(*p->mc));
        p->n_mc--;
    } else {
        goto out; /* nothing changed */
    }
    if (p->rx_filter == TASVIR_DPDK_RX_MCAST) {
        rc = rte_eth_dev_set_mc_addr_list(p->port_id, p->n_mc ? p->mc : NULL, p->n_mc);
        if (rc != 0)
            rc = widen_filter(p, rc);
    }
out:
    pthread_mutex_unlock(&p->mc_lock);
    return rc;
}

static void op_relax_yield(void *ctx)
{
    (void)ctx;
    sched_yield();
}

static void op_relax_pause(void *ctx)
{
    (void)ctx;
    rte_pause();
}

static void op_relax_sleep(void *ctx)
{
    (void)ctx;
    /* A sleeper is woken by a timer and preempts spinners: short, bounded check-in delays
     * even with more runnable threads than CPUs. */
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
}

/* The common table; each port copies it and picks its clock and relax (port_create), so
 * the data path never tests a flag. */
static const struct tasvir_backend_ops base_ops = {
    .now_ns = op_now_tsc,
    .frame_alloc = op_frame_alloc,
    .frame_free = op_frame_free,
    .tx_burst = op_tx_burst,
    .rx_burst = op_rx_burst,
    .mem_alloc = op_mem_alloc,
    .mem_free = op_mem_free,
    .identity = op_identity,
    .mcast = op_mcast,
    .relax = op_relax_yield,
    .kick = NULL, /* real threads: scheduling hints are not needed */
};

/* ---- setup ------------------------------------------------------------------------ */

int tasvir_dpdk_conf_init(struct tasvir_dpdk_conf *c)
{
    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->mtu = 1500;
    c->rx_desc = 1024;
    c->tx_desc = 1024;
    c->mbufs = 8191;
    c->mbuf_cache = 256;
    c->rx_filter = TASVIR_DPDK_RX_MCAST;
    c->clock = TASVIR_DPDK_CLOCK_TSC;
    c->relax = TASVIR_DPDK_RELAX_YIELD;
    c->mem_fallback = 1;
    return 0;
}

const char *tasvir_dpdk_rx_filter_name(enum tasvir_dpdk_rx_filter f)
{
    switch (f) {
    case TASVIR_DPDK_RX_MCAST:
        return "multicast-filter";
    case TASVIR_DPDK_RX_ALLMULTI:
        return "all-multicast";
    case TASVIR_DPDK_RX_PROMISC:
        return "promiscuous";
    }
    return "unknown";
}

const char *tasvir_dpdk_clock_name(enum tasvir_dpdk_clock c)
{
    switch (c) {
    case TASVIR_DPDK_CLOCK_TSC:
        return "tsc";
    case TASVIR_DPDK_CLOCK_MONOTONIC:
        return "monotonic";
    }
    return "unknown";
}

static int pick_port(struct tasvir_dpdk_port *p, const char *name)
{
    if (name && *name) {
        if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
            PLOG(p, ERR, "no ethdev port named '%s' (%u port(s) probed: check the "
                 "--vdev or PCI arguments)\n", name, rte_eth_dev_count_avail());
            return -ENODEV;
        }
        return 0;
    }
    uint16_t n = rte_eth_dev_count_avail(), id, first = 0;
    if (n == 0) {
        PLOG(p, ERR, "no ethdev port: give EAL a PCI device (-a) or a vdev (--vdev)\n");
        return -ENODEV;
    }
    if (n > 1) {
        PLOG(p, ERR, "%u ethdev ports and no port name: say which one to use\n", n);
        return -ENODEV;
    }
    RTE_ETH_FOREACH_DEV(id)
    {
        first = id;
        break;
    }
    p->port_id = first;
    return 0;
}

/* Check the MTU against what the port accepts; the message says how to get jumbo frames. */
static int check_mtu(struct tasvir_dpdk_port *p, const struct rte_eth_dev_info *di)
{
    uint32_t mtu = p->conf.mtu;
    uint32_t max = di->max_mtu;
    /* Ports that do not set max_mtu report UINT16_MAX; their frame limit is max_rx_pktlen. */
    if (di->max_rx_pktlen && di->max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN) {
        uint32_t overhead = (di->max_mtu != UINT16_MAX && di->max_rx_pktlen > di->max_mtu)
                                ? di->max_rx_pktlen - di->max_mtu
                                : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
        uint32_t by_len = di->max_rx_pktlen - overhead;
        if (by_len < max)
            max = by_len;
    }
    p->min_mtu = di->min_mtu;
    p->max_mtu = max;
    if (mtu < di->min_mtu || mtu > max) {
        PLOG(p, ERR, "port %s (%s) accepts MTU %u..%u (largest frame %u bytes), the "
             "configuration asks for %u%s\n", p->name, p->driver, di->min_mtu, max,
             di->max_rx_pktlen, mtu,
             mtu > max && mtu > RTE_ETHER_MTU
                 ? ": this port does not take jumbo frames of that size; lower mtu or use a "
                   "port that does (a NIC, or net_ring)"
                 : "");
        return -ERANGE;
    }
    return 0;
}

static int apply_mac(struct tasvir_dpdk_port *p)
{
    struct rte_ether_addr cur;
    if (p->conf.mac_set && rte_eth_macaddr_get(p->port_id, &cur) == 0 &&
        memcmp(cur.addr_bytes, p->conf.mac, 6) == 0) {
        /* Already right (e.g. the launcher gave the veth this MAC): nothing to ask. */
    } else if (p->conf.mac_set) {
        struct rte_ether_addr a;
        memcpy(a.addr_bytes, p->conf.mac, 6);
        int rc = rte_eth_dev_default_mac_addr_set(p->port_id, &a);
        if (rc != 0) {
            PLOG(p, ERR, "port %s (%s) refused MAC %02x:%02x:%02x:%02x:%02x:%02x: %s "
                 "(remove mac= from the node's configuration to use the port's own)\n",
                 p->name, p->driver, a.addr_bytes[0], a.addr_bytes[1], a.addr_bytes[2],
                 a.addr_bytes[3], a.addr_bytes[4], a.addr_bytes[5], rte_strerror(-rc));
            return rc == -ENOTSUP ? -ENOTSUP : rc;
        }
    }
    int rc = rte_eth_macaddr_get(p->port_id, &p->mac);
    if (rc != 0)
        return rc;
    if (p->conf.mac_set && memcmp(p->mac.addr_bytes, p->conf.mac, 6) != 0) {
        PLOG(p, ERR, "port %s (%s) did not take the configured MAC\n", p->name, p->driver);
        return -ENOTSUP;
    }
    return 0;
}

static int apply_rx_filter(struct tasvir_dpdk_port *p)
{
    p->rx_filter = TASVIR_DPDK_RX_MCAST;
    switch (p->conf.rx_filter) {
    case TASVIR_DPDK_RX_MCAST:
        return 0;
    case TASVIR_DPDK_RX_ALLMULTI:
        return widen_filter(p, -ENOTSUP) == 0 ? 0 : -ENOTSUP;
    case TASVIR_DPDK_RX_PROMISC: {
        int rc = rte_eth_promiscuous_enable(p->port_id);
        if (rc != 0) {
            PLOG(p, ERR, "port %s (%s) cannot go promiscuous: %s\n", p->name, p->driver,
                 rte_strerror(-rc));
            return rc;
        }
        p->rx_filter = TASVIR_DPDK_RX_PROMISC;
        return 0;
    }
    }
    return -EINVAL;
}

static uint64_t read_tsc(void)
{
    return rte_get_tsc_cycles();
}

int tasvir_dpdk_port_create(const struct tasvir_dpdk_conf *conf, struct tasvir_dpdk_port **out)
{
    if (!conf || !out)
        return -EINVAL;
    struct tasvir_dpdk_port *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->conf = *conf;
    p->logtype = tasvir__dpdk_logtype();
    p->socket_id = SOCKET_ID_ANY;
    pthread_mutex_init(&p->mc_lock, NULL);
    int rc;
    struct tasvir_dpdk_conf *c = &p->conf;
    if (c->node_id >= TASVIR_MAX_NODES || c->mtu < 68 || c->mtu > 9600 || c->rx_desc == 0 ||
        c->tx_desc == 0 || c->mbufs == 0 || c->rx_filter > TASVIR_DPDK_RX_PROMISC ||
        c->clock > TASVIR_DPDK_CLOCK_MONOTONIC || c->relax > TASVIR_DPDK_RELAX_SLEEP) {
        PLOG(p, ERR, "bad port configuration (node id < %u, MTU 68..9600, nonzero ring and "
             "pool sizes expected)\n", TASVIR_MAX_NODES);
        rc = -EINVAL;
        goto fail;
    }
    if (rte_eal_process_type() == RTE_PROC_INVALID || rte_lcore_count() == 0) {
        rc = -EINVAL;
        goto fail;
    }
    if ((rc = pick_port(p, c->port_name)))
        goto fail;
    rte_eth_dev_get_name_by_port(p->port_id, p->name);
    struct rte_eth_dev_info di;
    if ((rc = rte_eth_dev_info_get(p->port_id, &di)) != 0)
        goto fail;
    snprintf(p->driver, sizeof(p->driver), "%s", di.driver_name ? di.driver_name : "?");
    int sock = rte_eth_dev_socket_id(p->port_id);
    p->socket_id = sock >= 0 ? sock : SOCKET_ID_ANY;
    if ((rc = check_mtu(p, &di)))
        goto fail;

    /* Frames must fit one mbuf: size the data room for the MTU (never below the default). */
    uint32_t need = c->mtu + L2_OVERHEAD;
    uint32_t room = need > DEFAULT_DATAROOM ? RTE_ALIGN_CEIL(need, 64u) : DEFAULT_DATAROOM;
    if (di.min_rx_bufsize > room)
        room = RTE_ALIGN_CEIL(di.min_rx_bufsize, 64u);
    p->frame_cap = room;

    p->rx_desc = c->rx_desc;
    p->tx_desc = c->tx_desc;
    if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->rx_desc, &p->tx_desc)) != 0)
        goto fail;
    /* Every descriptor may hold an mbuf, plus the lcore caches, plus frames in flight. */
    uint32_t floor = (uint32_t)p->rx_desc + p->tx_desc + 2 * CHUNK;
    if (c->mbufs < floor) {
        PLOG(p, ERR, "mbufs = %u is too small for port %s: its rings hold %u+%u descriptors; "
             "use at least %u\n", c->mbufs, p->name, p->rx_desc, p->tx_desc, floor);
        rc = -EINVAL;
        goto fail;
    }

    /* From here on a failure leaves the port configured but stopped (never closed: closing
     * a vdev removes it, and the caller may want to try again with other settings). */
    struct rte_eth_conf ec;
    memset(&ec, 0, sizeof(ec));
    ec.rxmode.mtu = c->mtu;
    if ((rc = rte_eth_dev_configure(p->port_id, 1, 1, &ec)) != 0) {
        PLOG(p, ERR, "configuring port %s (%s) failed: %s\n", p->name, p->driver,
             rte_strerror(-rc));
        goto fail;
    }
    rc = rte_eth_dev_set_mtu(p->port_id, (uint16_t)c->mtu);
    if (rc != 0 && rc != -ENOTSUP) {
        PLOG(p, ERR, "port %s (%s) refused MTU %u: %s\n", p->name, p->driver, c->mtu,
             rte_strerror(-rc));
        rc = -ERANGE;
        goto fail_stop;
    }
    uint32_t cache = c->mbuf_cache;
    if (cache > RTE_MEMPOOL_CACHE_MAX_SIZE)
        cache = RTE_MEMPOOL_CACHE_MAX_SIZE;
    if ((uint64_t)cache * 3 > (uint64_t)c->mbufs * 2) /* mempool's limit: n / 1.5 */
        cache = (uint32_t)((uint64_t)c->mbufs * 2 / 3);
    char pname[RTE_MEMPOOL_NAMESIZE];
    snprintf(pname, sizeof(pname), "tsv_n%u_p%u", c->node_id, p->port_id);
    uint16_t priv = (uint16_t)RTE_ALIGN_CEIL(sizeof(struct tasvir_frame), RTE_MBUF_PRIV_ALIGN);
    p->pool = rte_pktmbuf_pool_create(pname, c->mbufs, cache, priv,
                                      (uint16_t)(room + RTE_PKTMBUF_HEADROOM), p->socket_id);
    if (!p->pool && p->socket_id != SOCKET_ID_ANY)
        p->pool = rte_pktmbuf_pool_create(pname, c->mbufs, cache, priv,
                                          (uint16_t)(room + RTE_PKTMBUF_HEADROOM),
                                          SOCKET_ID_ANY);
    if (!p->pool) {
        rc = -rte_errno;
        PLOG(p, ERR, "cannot create a pool of %u mbufs of %u bytes: %s (raise -m or the "
             "hugepages, or lower mbufs)\n", c->mbufs, room + RTE_PKTMBUF_HEADROOM,
             rte_strerror(rte_errno));
        goto fail_stop;
    }
    unsigned qsock = (unsigned)p->socket_id; /* SOCKET_ID_ANY stays "any" */
    if ((rc = rte_eth_rx_queue_setup(p->port_id, 0, p->rx_desc, qsock, NULL, p->pool)) != 0 ||
        (rc = rte_eth_tx_queue_setup(p->port_id, 0, p->tx_desc, qsock, NULL)) != 0) {
        PLOG(p, ERR, "queue setup on port %s (%s) failed: %s\n", p->name, p->driver,
             rte_strerror(-rc));
        goto fail_stop;
    }
    if ((rc = apply_mac(p)))
        goto fail_stop;
    if ((rc = rte_eth_dev_start(p->port_id)) != 0) {
        PLOG(p, ERR, "starting port %s (%s) failed: %s\n", p->name, p->driver,
             rte_strerror(-rc));
        goto fail_stop;
    }
    p->started = 1;
    if ((rc = apply_rx_filter(p)))
        goto fail_stop;

    /* the TSC's rate from EAL (never 0 after its init) */
    tasvir_tscclock_init(&p->clk, rte_get_tsc_hz(), read_tsc);
    p->ops = base_ops;
    p->ops.now_ns = c->clock == TASVIR_DPDK_CLOCK_TSC ? op_now_tsc : op_now_mono;
    p->ops.relax = c->relax == TASVIR_DPDK_RELAX_PAUSE   ? op_relax_pause
                   : c->relax == TASVIR_DPDK_RELAX_SLEEP ? op_relax_sleep
                                                         : op_relax_yield;
    p->be.ops = &p->ops;
    p->be.ctx = p;
    if (c->link_wait_ms && (rc = tasvir_dpdk_link_wait(p, c->link_wait_ms)) != 0) {
        PLOG(p, ERR, "port %s (%s): link not up after %u ms\n", p->name, p->driver,
             c->link_wait_ms);
        goto fail_stop;
    }
    *out = p;
    return 0;

fail_stop:
    if (p->started)
        rte_eth_dev_stop(p->port_id);
fail:
    if (p->pool)
        rte_mempool_free(p->pool);
    pthread_mutex_destroy(&p->mc_lock);
    free(p);
    return rc < 0 ? rc : -EIO;
}

void tasvir_dpdk_port_destroy(struct tasvir_dpdk_port *p)
{
    if (!p)
        return;
    if (p->started)
        rte_eth_dev_stop(p->port_id);
    rte_eth_dev_close(p->port_id);
    if (p->pool)
        rte_mempool_free(p->pool);
    pthread_mutex_destroy(&p->mc_lock);
    free(p->mc);
    free(p);
}

const struct tasvir_backend *tasvir_dpdk_port_backend(const struct tasvir_dpdk_port *p)
{
    return p ? &p->be : NULL;
}

int tasvir_dpdk_link_wait(struct tasvir_dpdk_port *p, uint32_t timeout_ms)
{
    if (!p)
        return -EINVAL;
    uint64_t end = tasvir_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        struct rte_eth_link l;
        memset(&l, 0, sizeof(l));
        if (rte_eth_link_get_nowait(p->port_id, &l) == 0 && l.link_status == RTE_ETH_LINK_UP)
            return 0;
        if (tasvir_mono_ns() >= end)
            return -ETIMEDOUT;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
}

int tasvir_dpdk_port_info(const struct tasvir_dpdk_port *p, struct tasvir_dpdk_port_info *o)
{
    if (!p || !o)
        return -EINVAL;
    memset(o, 0, sizeof(*o));
    o->port_id = p->port_id;
    snprintf(o->name, sizeof(o->name), "%s", p->name);
    snprintf(o->driver, sizeof(o->driver), "%s", p->driver);
    memcpy(o->mac, p->mac.addr_bytes, 6);
    o->mtu = p->conf.mtu;
    o->min_mtu = p->min_mtu;
    o->max_mtu = p->max_mtu;
    o->rx_desc = p->rx_desc;
    o->tx_desc = p->tx_desc;
    o->mbufs = p->conf.mbufs;
    o->frame_cap = p->frame_cap;
    pthread_mutex_lock((pthread_mutex_t *)&p->mc_lock);
    o->rx_filter = p->rx_filter;
    pthread_mutex_unlock((pthread_mutex_t *)&p->mc_lock);
    struct rte_eth_link l;
    memset(&l, 0, sizeof(l));
    if (rte_eth_link_get_nowait(p->port_id, &l) == 0) {
        o->link_up = l.link_status == RTE_ETH_LINK_UP;
        o->link_speed_mbps = l.link_speed;
    }
    o->hugepages = rte_eal_has_hugepages();
    o->socket_id = p->socket_id;
    o->tsc_hz = p->clk.hz;
    o->clock = p->conf.clock;
    return 0;
}

int tasvir_dpdk_port_stats(const struct tasvir_dpdk_port *p, struct tasvir_dpdk_port_stats *o)
{
    if (!p || !o)
        return -EINVAL;
    memset(o, 0, sizeof(*o));
    o->tx_frames = rd(&p->tx_frames);
    o->tx_bytes = rd(&p->tx_bytes);
    o->tx_full = rd(&p->tx_full);
    o->tx_rejected = rd(&p->tx_rejected);
    o->rx_frames = rd(&p->rx_frames);
    o->rx_bytes = rd(&p->rx_bytes);
    o->rx_linearized = rd(&p->rx_linearized);
    o->rx_copied = rd(&p->rx_copied);
    o->rx_dropped = rd(&p->rx_dropped);
    o->alloc_failed = rd(&p->alloc_failed);
    o->mem_dpdk_bytes = rd(&p->mem_dpdk_bytes);
    o->mem_fallback_bytes = rd(&p->mem_fallback_bytes);
    o->mem_failed = rd(&p->mem_failed);
    pthread_mutex_lock((pthread_mutex_t *)&p->mc_lock);
    o->mcast_groups = p->n_mc;
    pthread_mutex_unlock((pthread_mutex_t *)&p->mc_lock);
    o->mbufs_free = rte_mempool_avail_count(p->pool);
    struct rte_eth_stats es;
    if (rte_eth_stats_get(p->port_id, &es) == 0) {
        o->eth_ipackets = es.ipackets;
        o->eth_opackets = es.opackets;
        o->eth_ibytes = es.ibytes;
        o->eth_obytes = es.obytes;
        o->eth_imissed = es.imissed;
        o->eth_ierrors = es.ierrors;
        o->eth_oerrors = es.oerrors;
        o->eth_rx_nombuf = es.rx_nombuf;
    }
    return 0;
}

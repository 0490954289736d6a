/*
 * tasvir/sim.h — the C side of the simulation backend.
 *
 * A sim *port* is one simulated node's backend: it implements struct tasvir_backend_ops on
 * top of a handful of *host* callbacks that the simulator glue (sim/, C++, ns-3) fills in.
 * Everything that touches the simulator stays on the glue's side of this header; the port
 * itself is plain C11 and knows nothing about ns-3:
 *
 *   backend op        what the port does
 *   ---------------   ---------------------------------------------------------------------
 *   now_ns            host.now_ns()                       (simulator time)
 *   frame_alloc/free  per-port pool of mtu+14-byte frames, grown on demand up to pool_frames
 *   tx_burst          host.transmit() per frame (the host copies the bytes into a packet),
 *                     then the frame goes back to the pool; stops at the first refusal
 *   rx_burst          pops frames the host queued with tasvir_sim_port_rx_begin/commit
 *   mem_alloc/free    zeroed memory, counted; regions of 64 KiB or more are anonymous
 *                     mappings (pages appear when first touched), smaller ones
 *                     aligned_alloc + memset
 *   identity          node id, MAC and MTU from the port configuration
 *   mcast             host.mcast() (the glue tells the simulated switch: static snooping)
 *   kick              host.kick()  (the glue schedules its agents)
 *   relax             host.relax() if set, and counted.  Simulated time does not advance
 *                     inside a call, so a bounded retry loop (transmit retries) simply
 *                     runs out; an endless one (tasvir_service_wait) is caught after a
 *                     million relax calls at one instant and aborts with a message
 *
 * Threads: none.  A simulation runs every node on one OS thread, so the port takes no locks
 * and must only be used from that thread.
 *
 * Ownership follows backend.h: after tx_burst returns k, the port owns (and has already
 * released) the first k frames; frames returned by rx_burst belong to the caller until it
 * passes them to frame_free.
 */
#ifndef TASVIR_SIM_H
#define TASVIR_SIM_H

#include <stdint.h>

#include "tasvir/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tasvir_sim_port;

/** The callbacks a simulator glue provides.  ctx is passed back to every call. */
struct tasvir_sim_host {
    void *ctx;
    /** Required: simulator time in ns. */
    uint64_t (*now_ns)(void *ctx);
    /** Required: send one complete L2 frame (Ethernet header included, no FCS).  The host
     *  copies the bytes before returning.  Returns 0 if the frame was taken, -ENOBUFS if the
     *  simulated NIC cannot take it now (the caller keeps the frame). */
    int (*transmit)(void *ctx, const uint8_t *frame, uint32_t len);
    /** Optional: scheduling hint from the core (enum tasvir_kick). */
    void (*kick)(void *ctx, enum tasvir_kick what);
    /** Optional: join (join != 0) or leave a multicast MAC group.  Returns 0 or -errno. */
    int (*mcast)(void *ctx, const uint8_t mac[6], int join);
    /** Optional: told of every relax call (the core retrying or waiting). */
    void (*relax)(void *ctx);
};

/** Port configuration; initialise with tasvir_sim_port_conf_init(). */
struct tasvir_sim_port_conf {
    uint16_t node_id;      /**< < TASVIR_MAX_NODES */
    uint8_t mac[6];        /**< default: tasvir_sim_mac(node_id) */
    int mac_set;           /**< 0: use the default MAC */
    uint32_t mtu;          /**< L2 payload bytes per frame, 128..9600 (default 1500) */
    uint32_t pool_frames;  /**< most frames alive at once, tx and rx (default 8192) */
    uint32_t rx_queue_max; /**< received frames waiting for rx_burst (default 4096) */
    struct tasvir_sim_host host;
};

/** Counters of a port.  All cumulative, except the *_now fields. */
struct tasvir_sim_port_stats {
    uint64_t tx_frames, tx_bytes; /**< frames the host took from tx_burst */
    uint64_t tx_refused;          /**< frames handed back because the host refused them */
    uint64_t tx_bad;              /**< frames dropped by tx_burst: len < 14 or > mtu + 14 */
    uint64_t rx_frames, rx_bytes; /**< frames returned by rx_burst */
    uint64_t rx_queued;           /**< frames the host delivered into the rx queue */
    uint64_t rx_overflow;         /**< deliveries dropped: rx queue full */
    uint64_t rx_nobuf;            /**< deliveries dropped: frame pool exhausted */
    uint64_t rx_bad_len;          /**< deliveries dropped: shorter than 14 or > mtu + 14 */
    uint64_t alloc_short;         /**< frames asked of frame_alloc but not given */
    uint64_t frames_now;          /**< frames currently allocated (tx + rx + queued) */
    uint64_t frames_max;          /**< high-water mark of frames_now */
    uint64_t mem_bytes_now;       /**< bytes currently allocated through mem_alloc */
    uint64_t mcast_joins;         /**< successful mcast join calls */
    uint64_t relax_calls;         /**< relax calls (transmit retries, waits) */
};

/** The MAC the sim backend gives node_id by default: 02:00:00:00:<id hi>:<id lo>
 *  (the same scheme as the loop backend). */
void tasvir_sim_mac(uint16_t node_id, uint8_t mac[6]);

/** Fill conf with defaults (no host callbacks).  Returns 0 or -EINVAL (NULL). */
int tasvir_sim_port_conf_init(struct tasvir_sim_port_conf *conf);

/**
 * Create a port.
 * @return 0; -EINVAL (NULL argument, node_id >= TASVIR_MAX_NODES, mtu outside 128..9600,
 *         pool_frames or rx_queue_max zero, host.now_ns or host.transmit missing); -ENOMEM.
 */
int tasvir_sim_port_create(const struct tasvir_sim_port_conf *conf, struct tasvir_sim_port **out);

/** Destroy a port; every frame it ever gave out must have been returned or be discarded
 *  with it (queued rx frames are freed).  NULL is ignored. */
void tasvir_sim_port_destroy(struct tasvir_sim_port *p);

/** The backend (ops + ctx) for tasvir_node_conf.backend; valid while the port is. */
const struct tasvir_backend *tasvir_sim_port_backend(const struct tasvir_sim_port *p);

/**
 * Receive path, step 1: take a pool frame for an arriving frame of len bytes (Ethernet
 * header included).  The host writes the bytes into f->data[0..len) and then calls
 * tasvir_sim_port_rx_commit().  Returns NULL when the frame must be dropped (rx queue
 * full, pool exhausted, len < 14 or > mtu + 14); the drop is counted.
 */
struct tasvir_frame *tasvir_sim_port_rx_begin(struct tasvir_sim_port *p, uint32_t len);

/** Receive path, step 2: append the frame from rx_begin to the rx queue. */
void tasvir_sim_port_rx_commit(struct tasvir_sim_port *p, struct tasvir_frame *f);

/** Frames waiting in the rx queue. */
uint32_t tasvir_sim_port_rx_pending(const struct tasvir_sim_port *p);

/** Copy the port's counters (out must not be NULL). */
void tasvir_sim_port_stats(const struct tasvir_sim_port *p, struct tasvir_sim_port_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* TASVIR_SIM_H */

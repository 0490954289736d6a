/*
 * tasvir/backend.h — the one seam between the Tasvir core and the world.
 *
 * Only backends (runtime/backends/, the ns-3 glue in sim/) include this header;
 * applications include <tasvir/tasvir.h>.  The core never reads a clock, touches a NIC or
 * calls a simulator: it calls the function pointers below, always with the backend's
 * opaque context.  Three backends implement this table unchanged:
 *
 *   - loop  (runtime/backends/loop): in-process frame queues, manual or real clock, fault
 *           injection; for unit tests and benchmarks.
 *   - dpdk  (runtime/backends/dpdk): EAL, one port, mbufs, TSC clock, hugepage memory.
 *   - sim   (runtime/backends/sim + sim/): ns-3 simulator clock and NetDevices.
 *
 * Frames.  A frame is a backend-owned buffer described by struct tasvir_frame.  The core
 * allocates frames in bursts, writes the complete L2 frame (Ethernet header included)
 * straight into `data`, sets `len` and hands them to tx_burst: there is no intermediate
 * copy, so a DPDK backend can keep the descriptor in the mbuf's private area and point
 * `data` at the mbuf's data room.
 *
 * Ownership (the rte_eth_tx_burst rule): after tx_burst(f, n) returns k, the backend owns
 * f[0..k-1] and the caller still owns f[k..n-1] (and must retry or free them).  Frames
 * returned by rx_burst belong to the caller until it passes them to frame_free.  Every data
 * operation is burst-sized so that the indirect call is amortised.
 *
 * Threads.  now_ns, relax and mem_* may be called from any registered thread or the sync
 * engine concurrently; frame operations and the kick hook are called only from the sync
 * engine role, except `kick`, which may also be called from worker threads (see below).
 */
#ifndef TASVIR_BACKEND_H
#define TASVIR_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One L2 frame buffer owned by a backend. */
struct tasvir_frame {
    uint8_t *data;   /**< first byte of the Ethernet header */
    uint32_t len;    /**< bytes used, Ethernet header included, no FCS */
    uint32_t cap;    /**< bytes available at data */
    void *priv;      /**< backend's own handle (e.g. the rte_mbuf) */
};

/** Who the node is on the network. */
struct tasvir_identity {
    uint16_t node_id;  /**< unique in the testbed, < TASVIR_MAX_NODES */
    uint8_t mac[6];    /**< unicast MAC of this node's port */
    uint32_t mtu;      /**< L2 payload bytes per frame (1500, 9000, ...) */
};

/** Hints the core gives the backend's scheduler (see kick). */
enum tasvir_kick {
    /** An internal-sync epoch started: active threads should call tasvir_service soon. */
    TASVIR_KICK_EPOCH = 1,
    /** The sync engine has work (a thread checked in, a frame is ready): poll it soon. */
    TASVIR_KICK_ENGINE = 2,
    /** An epoch ended (published or failed): threads waiting in tasvir_service may leave. */
    TASVIR_KICK_DONE = 3,
};

/** The backend operations table.  All members are required unless marked optional. */
struct tasvir_backend_ops {
    /** Monotonic time in nanoseconds (TSC, CLOCK_MONOTONIC, simulator or manual clock).
     *  Called on every epoch's path, so it should be cheap and need not order the CPU's
     *  memory accesses (a TSC read without a fence): readings on different threads may
     *  then disagree by a few hundred cycles, which the core tolerates (it takes the
     *  differences of such times saturated at zero). */
    uint64_t (*now_ns)(void *ctx);

    /** Allocate up to n frames (cap >= identity mtu + 14); returns how many were given. */
    unsigned (*frame_alloc)(void *ctx, struct tasvir_frame **f, unsigned n);
    /** Return n frames to the backend. */
    void (*frame_free)(void *ctx, struct tasvir_frame **f, unsigned n);
    /** Transmit; returns k, the number of leading frames the backend took over. */
    unsigned (*tx_burst)(void *ctx, struct tasvir_frame **f, unsigned n);
    /** Receive up to n frames; the caller owns them and frees them with frame_free. */
    unsigned (*rx_burst)(void *ctx, struct tasvir_frame **f, unsigned n);

    /** Zeroed memory for area copies, aligned to `align` (a power of two, >= 64).
     *  May be hugepage-backed.  Returns NULL on failure. */
    void *(*mem_alloc)(void *ctx, size_t len, size_t align);
    /** Release memory from mem_alloc; len is the length that was asked for. */
    void (*mem_free)(void *ctx, void *p, size_t len);

    /** Fill in this node's identity.  Returns 0 or a negative error. */
    int (*identity)(void *ctx, struct tasvir_identity *out);

    /** optional: accept frames for a multicast MAC (join != 0) or stop (join == 0). */
    int (*mcast)(void *ctx, const uint8_t mac[6], int join);

    /** optional: called by blocking waits between polls.  Real-thread backends yield the
     *  CPU here so that threads that have not checked in yet can run. */
    void (*relax)(void *ctx);

    /** optional: scheduling hint (enum tasvir_kick).  Event-driven backends use it to
     *  schedule thread agents or the engine; real-thread backends ignore it.  Called from
     *  the engine and from worker threads, never while a core lock is held. */
    void (*kick)(void *ctx, enum tasvir_kick what);
};

/** A backend instance: its operations and their context. */
struct tasvir_backend {
    const struct tasvir_backend_ops *ops;
    void *ctx;
};

#ifdef __cplusplus
}
#endif
#endif /* TASVIR_BACKEND_H */

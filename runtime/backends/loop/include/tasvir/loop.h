/*
 * tasvir/loop.h — the loopback backend: an in-process network for tests and benchmarks.
 *
 * A loop *net* is a set of *ports*, one per node, in one process.  Frames a port transmits
 * are delivered to the rx queue of the port(s) they are addressed to (unicast MAC,
 * multicast groups joined through the backend's mcast op, or broadcast), after an
 * injectable delay with jitter (which reorders), loss and duplication.  All randomness
 * comes from one generator seeded at creation, so a run is deterministic for a seed as
 * long as the order of calls is (single-threaded drivers).
 *
 * Time is either a manual clock that the test advances (default) or a real one, for
 * benchmarks and threaded tests: CLOCK_MONOTONIC (TASVIR_LOOP_CLOCK_MONOTONIC), or, on
 * x86-64 with an invariant TSC, the TSC read without a fence and scaled to CLOCK_MONOTONIC's
 * ns (TASVIR_LOOP_CLOCK_TSC), as the DPDK backend's default clock: the core then pays what
 * it pays on DPDK to read the time.  On a VM a CLOCK_MONOTONIC reading (vDSO) costs two
 * to three times a TSC one, and orders the CPU's earlier loads, which after an epoch's
 * copy is most of its cost (docs/benchmarks.md, 2026-12-02).  All calls are thread-safe.
 *
 * Area copies (mem_alloc) of 2 MiB and more are anonymous mappings with transparent huge
 * pages requested (madvise; used when the kernel's THP setting allows), like the hugepage
 * memory of the DPDK backend; smaller ones come from the heap.
 */
#ifndef TASVIR_LOOP_H
#define TASVIR_LOOP_H

#include <stdint.h>

#include "tasvir/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tasvir_loop_net;
struct tasvir_loop_port;

/** Values of tasvir_loop_net_conf.real_clock. */
enum {
    TASVIR_LOOP_CLOCK_MANUAL = 0,    /**< advanced by the test (tasvir_loop_net_advance) */
    TASVIR_LOOP_CLOCK_MONOTONIC = 1, /**< CLOCK_MONOTONIC */
    TASVIR_LOOP_CLOCK_TSC = 2,       /**< the TSC in CLOCK_MONOTONIC's ns (x86-64) */
};

struct tasvir_loop_net_conf {
    uint64_t seed;         /**< fault generator seed */
    int real_clock;        /**< TASVIR_LOOP_CLOCK_*: manual (0, starting at start_ns),
                            *   CLOCK_MONOTONIC (1) or the TSC (2) */
    uint64_t tsc_hz;       /**< with the TSC clock: its ticks per second; 0 = measured
                            *   against CLOCK_MONOTONIC when the net is created (30 ms) */
    uint64_t start_ns;     /**< initial manual clock value */
    uint32_t mtu;          /**< L2 payload bytes per frame (default 1500) */
    uint32_t rx_queue_max; /**< frames queued per port before drops (default 65536) */
};

/** The most delay_ns + jitter_ns a fault setting may add to a frame: one hour. */
#define TASVIR_LOOP_MAX_DELAY_NS (3600ull * 1000000000ull)

/** Faults applied to every frame copy a port delivers (per destination). */
struct tasvir_loop_faults {
    double loss;        /**< probability a copy is dropped, 0..1 */
    double dup;         /**< probability a copy is delivered twice, 0..1 */
    uint64_t delay_ns;  /**< fixed one-way delay */
    uint64_t jitter_ns; /**< extra uniform delay in [0, jitter_ns]: reorders frames */
};

struct tasvir_loop_port_stats {
    uint64_t tx_frames, tx_bytes;  /**< frames handed to tx_burst and accepted */
    uint64_t rx_frames, rx_bytes;  /**< frames returned by rx_burst */
    uint64_t lost;                 /**< copies dropped by the loss fault */
    uint64_t duplicated;           /**< extra copies made by the dup fault */
    uint64_t overflow;             /**< copies dropped because the rx queue was full */
    uint64_t unroutable;           /**< frames whose destination MAC matched no port */
    uint64_t down;                 /**< dropped because this port was down: frames it sent,
                                        and copies for it (arriving, or queued when it went
                                        down) */
};

/** Observer of every delivered copy (called with the net lock held: do not call back). */
typedef void (*tasvir_loop_tap_fn)(void *arg, uint16_t src_node, uint16_t dst_node,
                                   const uint8_t *frame, uint32_t len);
/** Scheduling hint sink (see enum tasvir_kick). */
typedef void (*tasvir_loop_kick_fn)(void *arg, uint16_t node_id, enum tasvir_kick what);

/** Fill conf with defaults.  Returns 0 or -EINVAL. */
int tasvir_loop_net_conf_init(struct tasvir_loop_net_conf *conf);
/** Create a net.  Returns 0, -EINVAL (bad conf: mtu < 128 or > 9600, rx_queue_max 0,
 *  real_clock not one of TASVIR_LOOP_CLOCK_*), -ENOTSUP (the TSC clock on a CPU that is
 *  not x86-64 or whose TSC is not invariant), -ENOMEM. */
int tasvir_loop_net_create(const struct tasvir_loop_net_conf *conf, struct tasvir_loop_net **out);
/** Destroy a net and its ports; frames still queued are freed. */
void tasvir_loop_net_destroy(struct tasvir_loop_net *net);

/** Set the faults of all ports (and of ports created later).  Returns 0 or -EINVAL (f
 *  NULL, loss or dup outside 0..1 or NaN, delay_ns + jitter_ns above
 *  TASVIR_LOOP_MAX_DELAY_NS). */
int tasvir_loop_net_set_faults(struct tasvir_loop_net *net, const struct tasvir_loop_faults *f);
/** Set the faults of frames sent by node src (overrides the net-wide setting; f NULL
 *  returns to it).  Returns 0 or -EINVAL (p NULL, or f as for tasvir_loop_net_set_faults). */
int tasvir_loop_port_set_faults(struct tasvir_loop_port *p, const struct tasvir_loop_faults *f);

/** Manual clock: advance by ns / set to an absolute time (ignored with a real clock). */
void tasvir_loop_net_advance(struct tasvir_loop_net *net, uint64_t ns);
void tasvir_loop_net_set_time(struct tasvir_loop_net *net, uint64_t now_ns);
uint64_t tasvir_loop_net_now(const struct tasvir_loop_net *net);
/** The TSC clock's ticks per second (given or measured); 0 with another clock. */
uint64_t tasvir_loop_net_tsc_hz(const struct tasvir_loop_net *net);
/** Earliest delivery time of any queued frame (UINT64_MAX if none). */
uint64_t tasvir_loop_net_next_delivery(struct tasvir_loop_net *net);

/** Install a tap on every delivered copy (NULL removes it). */
void tasvir_loop_net_set_tap(struct tasvir_loop_net *net, tasvir_loop_tap_fn fn, void *arg);
/** Install a kick sink for all ports (NULL removes it). */
void tasvir_loop_net_set_kick(struct tasvir_loop_net *net, tasvir_loop_kick_fn fn, void *arg);

/**
 * Add a port for node_id; its MAC is 02:00:00:00:<id hi>:<id lo>.
 * @return 0, -EEXIST (node id in use), -EINVAL (node_id >= TASVIR_MAX_NODES), -ENOMEM.
 */
int tasvir_loop_port_create(struct tasvir_loop_net *net, uint16_t node_id,
                            struct tasvir_loop_port **out);
/** Remove a port: frames addressed to it from now on are unroutable. */
void tasvir_loop_port_destroy(struct tasvir_loop_port *p);
/** The backend (ops + ctx) to put in tasvir_node_conf.backend; valid while the port is. */
const struct tasvir_backend *tasvir_loop_port_backend(const struct tasvir_loop_port *p);
/** Port counters. */
void tasvir_loop_port_stats(const struct tasvir_loop_port *p, struct tasvir_loop_port_stats *out);
/** Cut the port off (down != 0): it neither sends nor receives; frames are dropped (and
 *  counted, tasvir_loop_port_stats down). */
void tasvir_loop_port_set_down(struct tasvir_loop_port *p, int down);
/**
 * For an engine loop on the real clock: sleep until the port is woken (a kick from its node,
 * a frame delivered to it) or until deadline_ns (at most 1 ms), e.g. with the next_ns that
 * tasvir_node_poll returned.  With the manual clock it only yields.  Thread-safe.
 */
void tasvir_loop_port_wait(struct tasvir_loop_port *p, uint64_t deadline_ns);
/** The MAC the loop backend gives node_id. */
void tasvir_loop_mac(uint16_t node_id, uint8_t mac[6]);

#ifdef __cplusplus
}
#endif
#endif /* TASVIR_LOOP_H */

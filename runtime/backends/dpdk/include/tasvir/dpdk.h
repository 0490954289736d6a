/*
 * tasvir/dpdk.h — the DPDK backend: one ethdev port, mbuf-backed frames, TSC clock,
 * rte_malloc memory, and helpers to run one Tasvir node per DPDK process.
 *
 * ## Shape of a node process
 *
 *     tasvir_dpdk_eal_init(argc, argv)      EAL args before "--" (DPDK convention)
 *     tasvir_dpdk_port_create(&conf, &p)    one port: a PCI NIC or any vdev
 *     node conf .backend = tasvir_dpdk_port_backend(p)
 *     tasvir_dpdk_worker_launch(i, fn, arg) application threads on worker lcores
 *     main lcore: loop on tasvir_node_poll  the sync engine
 *     tasvir_dpdk_workers_wait(); tasvir_node_destroy(); tasvir_dpdk_port_destroy(p);
 *     tasvir_dpdk_eal_cleanup()
 *
 * ## Frames
 *
 * A frame is an rte_mbuf from the port's pool: struct tasvir_frame lives in the mbuf's
 * private area (the pool's priv_size), `data` points at the mbuf's data room and `priv` at
 * the mbuf itself.  Nothing is copied between the core and the PMD.  tx_burst sets the
 * mbuf lengths from `len` and calls rte_eth_tx_burst on TX queue 0: after it returns k the
 * PMD owns the first k frames and the caller keeps the rest (the rte_eth_tx_burst rule).
 * A frame whose len is below 14 or above cap is never sent: tx_burst stops before it (so
 * the caller keeps it) and counts it in tx_rejected.
 * Received multi-segment mbufs are linearised, mbufs from a foreign pool are copied once
 * into the port's pool; both are counted.  Frame operations are for the sync engine only
 * (one RX and one TX queue, no locks).
 *
 * ## Clock, memory, addressing
 *
 * now_ns is the TSC converted with rte_get_tsc_hz(), anchored to CLOCK_MONOTONIC when the
 * port is created, so processes on one host share a time base (up to the TSC-rate error,
 * reported in the port info); TASVIR_DPDK_CLOCK_MONOTONIC reads CLOCK_MONOTONIC instead.
 * mem_alloc uses rte_zmalloc (hugepages when EAL has them, anonymous memory under
 * --no-huge); when the DPDK heap is exhausted it falls back to ordinary memory if
 * mem_fallback is set, and counts those bytes.  Multicast: TASVIR_DPDK_RX_MCAST installs
 * the joined groups with rte_eth_dev_set_mc_addr_list; when the port cannot filter it
 * falls back to all-multicast, then to promiscuous mode, and says so in the log and in
 * tasvir_dpdk_port_info.rx_filter.
 *
 * ## Errors
 *
 * Functions return 0 or a negative errno (DPDK's rte_errno where DPDK failed); messages
 * naming the problem go to the DPDK log (type "tasvir").  Nothing here calls exit().
 */
#ifndef TASVIR_DPDK_H
#define TASVIR_DPDK_H

#include <stddef.h>
#include <stdint.h>

#include "tasvir/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tasvir_dpdk_port;

/** Where now_ns comes from. */
enum tasvir_dpdk_clock {
    TASVIR_DPDK_CLOCK_TSC = 0,       /**< rdtsc, scaled by rte_get_tsc_hz (default) */
    TASVIR_DPDK_CLOCK_MONOTONIC = 1, /**< clock_gettime(CLOCK_MONOTONIC) */
};

/** How the port filters received frames. */
enum tasvir_dpdk_rx_filter {
    TASVIR_DPDK_RX_MCAST = 0,    /**< own MAC, broadcast, joined multicast groups (default) */
    TASVIR_DPDK_RX_ALLMULTI = 1, /**< own MAC, broadcast, every multicast frame */
    TASVIR_DPDK_RX_PROMISC = 2,  /**< every frame */
};

/** What relax (called between polls of blocking waits) does. */
enum tasvir_dpdk_relax {
    TASVIR_DPDK_RELAX_YIELD = 0, /**< sched_yield: for shared or oversubscribed CPUs (default) */
    TASVIR_DPDK_RELAX_PAUSE = 1, /**< rte_pause: for dedicated lcores */
    TASVIR_DPDK_RELAX_SLEEP = 2, /**< a short nanosleep (~20 us): for heavily oversubscribed
                                      CPUs, where yielding threads starve those not running */
};

/** Port configuration.  Initialise with tasvir_dpdk_conf_init() and override fields. */
struct tasvir_dpdk_conf {
    uint16_t node_id;      /**< this node's id in the testbed (< TASVIR_MAX_NODES) */
    const char *port_name; /**< ethdev name ("net_memif0", "0000:03:00.0"); NULL: the only port */
    uint32_t mtu;          /**< L2 payload bytes (default 1500); above 1500 needs jumbo support */
    uint16_t rx_desc;      /**< RX ring descriptors (default 1024; adjusted to the port's limits) */
    uint16_t tx_desc;      /**< TX ring descriptors (default 1024; adjusted likewise) */
    uint32_t mbufs;        /**< mbufs in the pool (default 8191) */
    uint32_t mbuf_cache;   /**< per-lcore mempool cache (default 256) */
    enum tasvir_dpdk_rx_filter rx_filter; /**< default TASVIR_DPDK_RX_MCAST */
    enum tasvir_dpdk_clock clock;         /**< default TASVIR_DPDK_CLOCK_TSC */
    enum tasvir_dpdk_relax relax;         /**< default TASVIR_DPDK_RELAX_YIELD */
    int mac_set;            /**< nonzero: give the port `mac` (rte_eth_dev_default_mac_addr_set) */
    uint8_t mac[6];         /**< unicast MAC to set when mac_set */
    int mem_fallback;       /**< nonzero (default): mem_alloc may use libc memory */
    uint32_t link_wait_ms;  /**< wait this long for link up in port_create (default 0) */
};

/** What a port turned out to be (filled by tasvir_dpdk_port_info). */
struct tasvir_dpdk_port_info {
    uint16_t port_id;
    char name[64];          /**< ethdev name */
    char driver[64];        /**< driver name */
    uint8_t mac[6];
    uint32_t mtu;           /**< configured MTU */
    uint32_t min_mtu, max_mtu; /**< what the port accepts */
    uint16_t rx_desc, tx_desc; /**< ring sizes in use */
    uint32_t mbufs;
    uint32_t frame_cap;     /**< bytes a frame can hold (>= mtu + 14) */
    enum tasvir_dpdk_rx_filter rx_filter; /**< filter actually in effect (after fallbacks) */
    int link_up;
    uint32_t link_speed_mbps;
    int hugepages;          /**< nonzero when EAL runs on hugepages */
    int socket_id;
    uint64_t tsc_hz;
    enum tasvir_dpdk_clock clock;
};

/** Counters of a port: the backend's own, then the ethdev's (rte_eth_stats_get). */
struct tasvir_dpdk_port_stats {
    uint64_t tx_frames, tx_bytes;  /**< accepted by tx_burst */
    uint64_t tx_full;              /**< frames tx_burst handed back because the ring was full */
    uint64_t tx_rejected;          /**< frames refused for a bad len */
    uint64_t rx_frames, rx_bytes;  /**< returned by rx_burst */
    uint64_t rx_linearized;        /**< multi-segment mbufs made contiguous */
    uint64_t rx_copied;            /**< mbufs from a foreign pool copied into ours */
    uint64_t rx_dropped;           /**< received mbufs dropped (could not linearise or copy) */
    uint64_t alloc_failed;         /**< frames frame_alloc could not give */
    uint64_t mem_dpdk_bytes;       /**< bytes currently allocated from the DPDK heap */
    uint64_t mem_fallback_bytes;   /**< bytes currently allocated from libc (fallback) */
    uint64_t mem_failed;           /**< mem_alloc calls that returned NULL */
    uint64_t mcast_groups;         /**< multicast groups joined now */
    uint64_t mbufs_free;           /**< mbufs available in the pool now */
    /* ethdev counters */
    uint64_t eth_ipackets, eth_opackets, eth_ibytes, eth_obytes;
    uint64_t eth_imissed, eth_ierrors, eth_oerrors, eth_rx_nombuf;
};

/* ---- EAL ------------------------------------------------------------------------- */

/**
 * Initialise the EAL from argv (rte_eal_init): arguments up to "--" are EAL arguments.
 * Also registers the "tasvir" log type.
 * @return the number of arguments consumed (as rte_eal_init: shift argv by it and argv[0]
 *         is the program name again); -EALREADY if the EAL is already up; another negative
 *         errno (rte_errno) when the EAL refused the arguments or failed.
 */
int tasvir_dpdk_eal_init(int argc, char **argv);

/** The DPDK version string (rte_version()), for manifests. */
const char *tasvir_dpdk_version(void);

/**
 * Release EAL resources (rte_eal_cleanup).  A primary process also removes its runtime
 * directory (/var/run/dpdk/<file-prefix>: config, memory maps, sockets), which DPDK
 * leaves behind: one process per node means nobody else uses it.
 * @return 0 or a negative errno.
 */
int tasvir_dpdk_eal_cleanup(void);

/**
 * Log sink for struct tasvir_node_conf.log_fn: forwards to rte_log under the "tasvir"
 * type.  `arg` is unused (pass NULL).
 */
void tasvir_dpdk_log(void *arg, int level, const char *msg);

/* ---- Ports ----------------------------------------------------------------------- */

/** Fill conf with defaults.  Returns 0 or -EINVAL for NULL. */
int tasvir_dpdk_conf_init(struct tasvir_dpdk_conf *conf);

/**
 * Configure and start one port for a node: the mbuf pool (sized by conf->mbufs, frames
 * large enough for conf->mtu), one RX and one TX queue, MTU, MAC, RX filter.  The EAL
 * must be initialised.
 * @return 0; -EINVAL (NULL argument, node_id out of range, mtu outside 68..9600, mbufs
 *         fewer than the rings need); -ENODEV (no such port, or several ports and no
 *         port_name); -ERANGE (the port does not accept this MTU: the log names its
 *         limits); -ENOTSUP (the port cannot take the configured MAC); -ETIMEDOUT (link
 *         not up within link_wait_ms); -ENOMEM; another negative errno from ethdev.
 *         On failure the port is left stopped, never closed, so it can be tried again.
 */
int tasvir_dpdk_port_create(const struct tasvir_dpdk_conf *conf, struct tasvir_dpdk_port **out);

/** Stop and close the port, free the pool.  Every frame must have been returned, and the
 *  node using it destroyed.  NULL is ignored. */
void tasvir_dpdk_port_destroy(struct tasvir_dpdk_port *p);

/** The backend (ops + ctx) for tasvir_node_conf.backend; valid while the port is. */
const struct tasvir_backend *tasvir_dpdk_port_backend(const struct tasvir_dpdk_port *p);

/** Describe the port.  Returns 0 or -EINVAL. */
int tasvir_dpdk_port_info(const struct tasvir_dpdk_port *p, struct tasvir_dpdk_port_info *out);

/** Read the counters (ethdev ones are read now).  Returns 0 or -EINVAL. */
int tasvir_dpdk_port_stats(const struct tasvir_dpdk_port *p, struct tasvir_dpdk_port_stats *out);

/**
 * Wait until the port's link is up (a memif peer connected, a cable plugged).
 * @return 0 when up; -ETIMEDOUT after timeout_ms; -EINVAL.
 */
int tasvir_dpdk_link_wait(struct tasvir_dpdk_port *p, uint32_t timeout_ms);

/** Names for the enums (for manifests and logs). */
const char *tasvir_dpdk_rx_filter_name(enum tasvir_dpdk_rx_filter f);
const char *tasvir_dpdk_clock_name(enum tasvir_dpdk_clock c);

/* ---- Lcores ---------------------------------------------------------------------- */

/** Number of worker lcores (lcores besides the main one). */
unsigned tasvir_dpdk_worker_count(void);

/**
 * Run fn(arg) on the index-th worker lcore (0 = the first lcore after the main one, in
 * EAL's order), with rte_eal_remote_launch.  The index, not the lcore's state, says
 * where: a launch is not visible in the state until the worker picks it up.
 * @param lcore_out  optional; receives the lcore id used
 * @return 0; -ENOENT (fewer than index+1 worker lcores); -EBUSY (that lcore is still
 *         running an earlier function); another negative errno.
 */
int tasvir_dpdk_worker_launch(unsigned index, int (*fn)(void *), void *arg, unsigned *lcore_out);

/**
 * Wait for every worker lcore to finish (rte_eal_wait_lcore on each).
 * @return 0 if the last function each worker lcore ran returned 0, else the first
 *         nonzero such value (in lcore order).
 */
int tasvir_dpdk_workers_wait(void);

/** The lcore the caller runs on (rte_lcore_id); -1 for a non-EAL thread. */
int tasvir_dpdk_lcore_id(void);

#ifdef __cplusplus
}
#endif
#endif /* TASVIR_DPDK_H */

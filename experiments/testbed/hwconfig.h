/*
 * hwconfig.h — hardware testbed descriptions (hw-configs/NAME.ini), parsed with libinih.
 *
 * A testbed file has one [testbed] section and one [node.N] section per node; the keys,
 * their defaults and the placeholders of `eal` are documented in docs/testbed.md and in
 * hw-configs/example-cluster.ini.  This library needs neither DPDK nor the Tasvir core:
 * the launcher's helper (tasvir-hwconfig) and tasvir-node both use it.
 *
 * Every error message names the file, the line and the key (or section) at fault, e.g.
 *   hw-configs/x.ini:12: [node.1] mtu = 70000: expected an integer in 68..9600
 */
#ifndef TASVIR_HWCONFIG_H
#define TASVIR_HWCONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest testbed name (letters, digits, '-', '_', '.'). */
#define TASVIR_HWCONFIG_NAME_MAX 31u
/** Node ids are 0 .. TASVIR_HWCONFIG_MAX_NODES - 1 (TASVIR_MAX_NODES). */
#define TASVIR_HWCONFIG_MAX_NODES 1024u
/** Highest lcore id accepted in an lcores map. */
#define TASVIR_HWCONFIG_MAX_LCORE 1023u

/** How the launcher builds the testbed. */
enum tasvir_hwconfig_topology {
    TASVIR_HWCONFIG_TOPO_MEMIF = 0,   /**< two local processes joined by net_memif */
    TASVIR_HWCONFIG_TOPO_BRIDGE = 1,  /**< local: one netns + veth per node, a Linux bridge */
    TASVIR_HWCONFIG_TOPO_CLUSTER = 2, /**< one host per node, reached over ssh */
};

/** How Tasvir frames are addressed (selects the port's RX filter). */
enum tasvir_hwconfig_addressing {
    TASVIR_HWCONFIG_ADDR_MULTICAST = 0, /**< multicast groups per area/node group */
    TASVIR_HWCONFIG_ADDR_UNICAST = 1,   /**< unicast copies to each subscriber */
};

struct tasvir_hwconfig_node {
    uint16_t id;
    unsigned line;      /**< line of the [node.N] header */
    char *host;         /**< ssh destination (cluster) or "localhost" */
    char *eal;          /**< EAL argument template (placeholders unexpanded) */
    char *lcores;       /**< EAL --lcores map; the first lcore listed is the main one */
    unsigned n_lcores;  /**< lcores the map names (main + workers) */
    int has_mac;
    uint8_t mac[6];     /**< the port's MAC (bridge: also given to the veth) */
    uint32_t hugepages; /**< pages host-setup reserves on the host; 0: run with --no-huge */
    char *port;         /**< ethdev name when EAL creates several ports; NULL: the only one */
    char *pci;          /**< NIC PCI address (cluster): bound by host-setup, {pci} in eal */
};

struct tasvir_hwconfig {
    char *path;
    char *name;
    enum tasvir_hwconfig_topology topology;
    enum tasvir_hwconfig_addressing addressing;
    uint32_t mtu;
    uint32_t rx_desc, tx_desc, mbufs, mbuf_cache;
    int promiscuous;          /**< force promiscuous RX whatever the addressing */
    int clock_monotonic;      /**< clock = monotonic (default tsc) */
    int relax;                /**< relax: 0 yield (default), 1 pause, 2 sleep */
    uint32_t epoch_window_us; /**< node epoch window (default 50) */
    uint32_t idle_sleep_us;   /**< relax = sleep: the idle engine's sleep between two polls
                                   (default 20: TNODE_IDLE_SLEEP_NS) */
    int copy_isa;             /**< copy_isa: enum tasvir_copy_isa, the internal sync's line
                                   copies on every node (default TASVIR_COPY_AUTO) */
    uint32_t link_wait_ms;    /**< how long a node waits for link up (default 10000) */
    int root_node;            /**< node owning the root directory (default: lowest id);
                                   it must have a mac */
    uint32_t hb_period_us;    /**< heartbeat period (default 10000) */
    uint32_t down_after_hb;   /**< silent periods before a peer is declared down (default 5) */
    uint32_t nack_gap_us;     /**< least gap between NACK-driven repairs, and half the silence
                                   after which an incomplete version is NACKed (default 200) */
    /* clusters */
    char *ssh_user;           /**< NULL: ssh's default */
    char *ssh_options;        /**< extra ssh arguments, e.g. "-o StrictHostKeyChecking=no" */
    int sudo;                 /**< run remote commands with sudo -n (ssh_user not root) */
    char *remote_dir;         /**< Tasvir checkout on the hosts (default /opt/tasvir) */
    char *remote_build;       /**< its build directory (default <remote_dir>/build) */
    char *nic_driver;         /**< driver host-setup binds NICs to (default vfio-pci) */
    char *cpu_governor;       /**< governor host-setup sets (default performance; "" = leave) */
    char *hugepage_size;      /**< "2M" (default) or "1G" */
    unsigned n_nodes;
    struct tasvir_hwconfig_node *nodes; /**< sorted by id */
};

/** Values for the placeholders of an eal template. */
struct tasvir_hwconfig_vars {
    const char *run;   /**< {run}: the run id (unique name prefix), e.g. "tsv1234" */
    const char *iface; /**< {iface}: the node's network interface (bridge topology) */
};

/**
 * Parse and validate a testbed file.
 * @param err  receives a message naming file, line and key on failure (may be NULL)
 * @return 0; -ENOENT / -EACCES / -EIO (cannot read the file); -EINVAL (bad content);
 *         -ENOMEM.
 */
int tasvir_hwconfig_load(const char *path, struct tasvir_hwconfig **out, char *err,
                         size_t errlen);

/** Free a configuration (NULL is ignored). */
void tasvir_hwconfig_free(struct tasvir_hwconfig *c);

/** The node with this id, or NULL. */
const struct tasvir_hwconfig_node *tasvir_hwconfig_node(const struct tasvir_hwconfig *c,
                                                        unsigned id);

/**
 * The EAL arguments for a node: its eal template with placeholders expanded ({run},
 * {node}, {iface}, {pci}, "{{" for a literal brace), split at blanks (single and double
 * quotes group), then `--lcores=<lcores>` unless the template sets -l/-c/--lcores, and
 * `--file-prefix=<run>-n<id>` unless it sets --file-prefix or --in-memory.
 * @param argv_out  receives a NULL-terminated, malloc'ed vector (tasvir_hwconfig_argv_free)
 * @return the number of arguments; -EINVAL (a placeholder without a value, e.g. {iface}
 *         with vars->iface NULL; message in err); -ENOMEM.
 */
int tasvir_hwconfig_eal_argv(const struct tasvir_hwconfig *c,
                             const struct tasvir_hwconfig_node *n,
                             const struct tasvir_hwconfig_vars *vars, char ***argv_out,
                             char *err, size_t errlen);

/** Free a vector from tasvir_hwconfig_eal_argv. */
void tasvir_hwconfig_argv_free(char **argv);

/** Count the lcores an EAL --lcores map names.  Returns the count, or -EINVAL with a
 *  message naming the position of the first bad character. */
int tasvir_hwconfig_lcores_count(const char *map, char *err, size_t errlen);

/** Names for the enums. */
const char *tasvir_hwconfig_topology_name(enum tasvir_hwconfig_topology t);
const char *tasvir_hwconfig_addressing_name(enum tasvir_hwconfig_addressing a);

/** Print the parsed testbed for people. */
void tasvir_hwconfig_print(const struct tasvir_hwconfig *c, FILE *f);

/** Print it as shell assignments (TB_*, NODE_<id>_*), every value single-quoted. */
void tasvir_hwconfig_print_shell(const struct tasvir_hwconfig *c, FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* TASVIR_HWCONFIG_H */

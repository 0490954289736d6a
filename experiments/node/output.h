/*
 * output.h — tasvir-node's results: manifest.json (libjansson), counters.csv
 * (scope,name,value), samples.csv (the workload's) and dump.txt (tasvir_dump).
 */
#ifndef TASVIR_NODE_OUTPUT_H
#define TASVIR_NODE_OUTPUT_H

#include <stdint.h>
#include <time.h>

#include "hwconfig.h"
#include "tasvir/dpdk.h"
#include "tasvir/tasvir.h"
#include "workload.h"

#define TNODE_MAX_WORKERS 128

struct tnode_results {
    const char *out_dir;
    int argc;
    char **argv;
    int eal_argc;
    char **eal_argv;
    const struct tasvir_hwconfig *cfg;
    unsigned node_id;
    const char *run_id;
    const struct tnode_workload *workload;
    void *wl;
    const char *const *param_key;
    const char *const *param_val;
    unsigned n_params;
    struct tasvir_dpdk_port *port;
    struct tasvir_node *node;
    const struct tasvir_node_conf *nconf;
    struct timespec start_wall;
    uint64_t start_ns, end_ns;
    double duration_s;
    const char *stop_reason;
    int verdict_ok;
    const char *verdict;
    int link_up_at_start;
    unsigned n_workers;
    unsigned worker_lcore[TNODE_MAX_WORKERS];
    uint64_t worker_steps, worker_readmitted;
    const uint16_t *node_ids;          /* per testbed node (cfg order): */
    const uint64_t *peer_up_events;    /*   times it was seen coming up */
    const uint64_t *peer_down_events;  /*   times it was seen going down */
    int exit_status;
};

/** Write every result file into r->out_dir.  Returns 0 or -errno (message on stderr). */
int tnode_results_write(const struct tnode_results *r);

#endif /* TASVIR_NODE_OUTPUT_H */

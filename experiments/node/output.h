/*
 * output.h — tasvir-node's results: manifest.json (libjansson), counters.csv
 * (scope,name,value), the workload's files (write_files, or samples.csv from
 * write_samples) and dump.txt (tasvir_dump).
 */
#ifndef TASVIR_NODE_OUTPUT_H
#define TASVIR_NODE_OUTPUT_H

#include <stdint.h>
#include <time.h>

#include "hwconfig.h"
#include "tasvir/dpdk.h"
#include "tasvir/tasvir.h"
#include "workload.h"
#include "../workload/workload.h" /* struct tsv_trace */

#define TNODE_MAX_WORKERS 128

/** Histogram of the time between successive engine polls: 1 us buckets up to 20 ms. */
#define TNODE_GAP_BUCKETS 20000u
struct tnode_gaps {
    uint64_t n, max_ns, sum_ns;
    uint64_t b[TNODE_GAP_BUCKETS + 1]; /* the last one: 20 ms and more */
};

static inline void tnode_gaps_add(struct tnode_gaps *g, uint64_t ns)
{
    uint64_t i = ns / 1000;
    g->b[i < TNODE_GAP_BUCKETS ? i : TNODE_GAP_BUCKETS]++;
    g->n++;
    g->sum_ns += ns;
    if (ns > g->max_ns)
        g->max_ns = ns;
}

/** Quantile q (0..1) of the gaps, in ns (upper edge of its 1 us bucket; max_ns beyond the
 *  histogram's range). */
uint64_t tnode_gaps_quantile(const struct tnode_gaps *g, double q);

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
    const void *wl_conf;
    const char *const *param_key;
    const char *const *param_val;
    const char (*param_origin)[96];
    const char *param_kind; /* 'n' node, 'w' workload, 'i' ignored, 'p' param=K=V */
    unsigned n_params;
    const char *label;
    uint64_t seed;
    const struct tnode_gaps *gaps;
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
    uint64_t stale_frames; /* received before the node's first poll, dropped */
    const struct tsv_trace *trace; /* may be NULL */
    const uint16_t *node_ids;          /* per testbed node (cfg order): */
    const uint64_t *peer_up_events;    /*   times it was seen coming up */
    const uint64_t *peer_down_events;  /*   times it was seen going down */
    int exit_status;
};

/** Write every result file into r->out_dir.  Returns 0 or -errno (message on stderr). */
int tnode_results_write(const struct tnode_results *r);

#endif /* TASVIR_NODE_OUTPUT_H */

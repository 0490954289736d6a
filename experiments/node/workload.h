/*
 * workload.h — how tasvir-node runs a workload on its worker threads.
 *
 * A workload is a table of functions.  Its threads are *stepped*: tasvir-node's worker
 * loop checks in (tasvir_service) continuously and calls thread_step between check-ins
 * whenever the step's own clock says it is due.  Nothing in a workload blocks or reads a
 * clock of its own, so the same workload code can be driven by simulator agents (which
 * schedule the next step at *next_ns) — the shape the shared writer/reader workloads and
 * staleness probes (experiments/workload/) take.  Plugging one in is one adapter table
 * added to tnode_workloads[] in workloads.c.
 *
 * Life cycle (P = parse time, before EAL; R = run time):
 *   P  conf_create, conf_set (per --param KEY=VALUE), threads, conf_params, conf_free
 *   R  create (main lcore, after the node exists)
 *   R  per worker thread, on its lcore: thread_init, then thread_step when due and
 *      thread_checkin after every check-in, thread_fini
 *   R  counters, write_samples / write_files, verdict (main lcore, after the workers
 *      stopped), destroy
 * Optional entries (NULL when absent): conf_check, conf_params, thread_init,
 * thread_checkin, thread_readmitted, thread_fini, counters, write_samples, write_files.
 */
#ifndef TASVIR_NODE_WORKLOAD_H
#define TASVIR_NODE_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tasvir/tasvir.h"

/** What a workload learns about the node it runs on. */
struct tnode_wl_env {
    struct tasvir_node *node;
    uint16_t node_id;
    unsigned n_nodes;          /**< nodes in the testbed */
    const uint16_t *node_ids;  /**< their ids (n_nodes of them) */
    unsigned n_threads;        /**< worker threads tasvir-node runs for it */
    uint64_t seed;
};

/** Receives the effective configuration, every parameter (for the manifest's params). */
struct tnode_param_sink {
    void (*num)(void *arg, const char *key, double value);
    void (*str)(void *arg, const char *key, const char *value);
    void *arg;
};

/** Receives counters (name, value) for counters.csv. */
struct tnode_counter_sink {
    void (*emit)(void *arg, const char *name, uint64_t value);
    void *arg;
};

struct tnode_workload {
    const char *name;
    const char *summary;
    const char *params_help; /**< one "KEY=VALUE  meaning (default)" per line */

    int (*conf_create)(void **conf);
    /** Set one parameter.  Returns 0, or -EINVAL with a message naming key and value. */
    int (*conf_set)(void *conf, const char *key, const char *value, char *err, size_t errlen);
    /** Cross-parameter checks after every conf_set.  0, or -EINVAL with a message. */
    int (*conf_check)(const void *conf, char *err, size_t errlen);
    /** Worker threads the workload needs with this configuration. */
    unsigned (*threads)(const void *conf);
    void (*conf_free)(void *conf);
    /** Every parameter with its effective value, keys snake_case with units in the name
     *  (docs/data-formats.md, manifest params). */
    void (*conf_params)(const void *conf, const struct tnode_param_sink *sink);

    int (*create)(const void *conf, const struct tnode_wl_env *env, void **wl);
    /** On worker thread idx, registered and active, before its first step. */
    int (*thread_init)(void *wl, unsigned idx, struct tasvir_thread *t);
    /**
     * One step between two check-ins.  Set *next_ns to when the next step is due (the
     * node clock).  Return 0, or a negative error that stops this thread.
     */
    int (*thread_step)(void *wl, unsigned idx, struct tasvir_thread *t, uint64_t now_ns,
                       uint64_t *next_ns);
    /**
     * After every check-in of worker thread idx (between check-ins, like a step): cheap
     * bookkeeping that must not miss a version (a probe noticing a newly visible version,
     * an owner recording what it published).  No I/O, no waiting.
     */
    void (*thread_checkin)(void *wl, unsigned idx, struct tasvir_thread *t, uint64_t now_ns);
    /**
     * Before thread_checkin, when tasvir_service said the thread had been excluded and is
     * readmitted (TASVIR_SERVICE_READMITTED): what it read since its previous check-in may
     * not have been one consistent snapshot (epochs went on without it).
     */
    void (*thread_readmitted)(void *wl, unsigned idx, struct tasvir_thread *t);
    /** On worker thread idx when the run ends (still active). */
    void (*thread_fini)(void *wl, unsigned idx, struct tasvir_thread *t);
    /**
     * Optional: the application work worker thread idx has done so far, cumulative, for a
     * host that charges it as CPU time (tasvir-sim, at the calibrated app_verify_ns_per_line
     * and app_write_ns_per_line): 64-byte lines it read back and verified (a probe checking
     * a whole version), and lines it wrote.  Called on that thread after a step or a
     * check-in.
     */
    void (*thread_work)(void *wl, unsigned idx, uint64_t *lines_verified,
                        uint64_t *lines_written);

    void (*counters)(void *wl, const struct tnode_counter_sink *sink);
    /** Write the samples as CSV (header line first) into samples.csv.  Returns 0 or -errno. */
    int (*write_samples)(void *wl, FILE *f);
    /** Write the workload's own files into dir (names carry the node id, so the files of
     *  several nodes can sit in one directory).  Returns 0, or -errno with a message. */
    int (*write_files)(void *wl, const char *dir, char *err, size_t errlen);
    /** 0 when every invariant held; else nonzero with a message. */
    int (*verdict)(void *wl, char *msg, size_t msglen);
    void (*destroy)(void *wl);
};

/** The workloads tasvir-node knows, NULL-terminated. */
extern const struct tnode_workload *const tnode_workloads[];

/** Find a workload by name (NULL if unknown). */
const struct tnode_workload *tnode_workload_find(const char *name);

/** The workload tasvir-node runs without --workload. */
extern const char *const tnode_default_workload;

/**
 * A duration as tasvir-sim writes it: a number and a unit (ns, us, ms, s), e.g. "10us",
 * "2.5s"; "0" alone is accepted.  Returns 0, or -1 for anything else (no unit, negative,
 * over 10^7 s).
 */
int tnode_parse_time_ns(const char *s, uint64_t *ns);

#endif /* TASVIR_NODE_WORKLOAD_H */

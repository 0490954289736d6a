/*
 * run.h — one run directory (docs/data-formats.md) loaded into memory.
 *
 * Loading validates everything it reads: the manifest's keys and types, every CSV header,
 * every cell, and the relations the formats define (delay_ns = visible_ns - pub_ns,
 * version_lag = latest_version - version, age_ns = 0 when the lag is 0, skipped in {0,1}).
 * Only the staleness metrics are kept as arrays; the rest is counted.
 */
#ifndef TASVIR_ANALYSIS_RUN_H
#define TASVIR_ANALYSIS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "errbuf.h"

enum tasvir_metric {
    TASVIR_METRIC_VISIBILITY, /* visibility_delay_ns, visibility.csv (non-skipped rows) */
    TASVIR_METRIC_VISIBILITY_ALL, /* visibility_delay_all_ns: every visible row, superseded
                                   * (skipped) versions included, as DESIGN section 6 */
    TASVIR_METRIC_AGE,        /* age_ns, samples.csv */
    TASVIR_METRIC_LAG,        /* version_lag, samples.csv */
    TASVIR_METRIC_W2V,        /* w2v_ns, samples.csv */
    /* The stages of a received version's visibility delay (visibility.csv's trace columns,
     * docs/data-formats.md); they add up to visibility_delay_ns where all are known. */
    TASVIR_METRIC_STAGE_SEND,    /* stage_send_ns: owner publish -> sent to the subscriber */
    TASVIR_METRIC_STAGE_WIRE,    /* stage_wire_ns: sent -> first frame accepted there */
    TASVIR_METRIC_STAGE_RECEIVE, /* stage_receive_ns: first frame -> version complete */
    TASVIR_METRIC_STAGE_READY,   /* stage_ready_ns: complete -> its publishing epoch starts */
    TASVIR_METRIC_STAGE_EPOCH,   /* stage_epoch_ns: epoch start -> visible (barrier, copy) */
    TASVIR_METRIC_COUNT
};

/* Column name of each metric in the output files ("visibility_delay_ns", ...). */
const char *tasvir_metric_name(enum tasvir_metric m);

struct tasvir_vec {
    double *v;
    size_t n, cap;
};

struct tasvir_counter {
    char *name;
    int64_t sum; /* over all nodes */
    size_t nodes;
};

struct tasvir_run {
    char *label;
    char *dir;
    char *mode;     /* "sim" or "hw" */
    int64_t seed;
    char *git_rev;
    json_t *manifest; /* the whole manifest (params are looked up in it) */
    bool has_bound;
    double bound_ns;       /* analytic_bound_ns */
    bool has_clock_error;
    double clock_error_ns; /* clock_error_ns */

    struct tasvir_vec metric[TASVIR_METRIC_COUNT];

    bool has_samples, has_visibility, has_versions, has_counters;
    size_t n_samples;         /* rows of samples.csv */
    size_t n_vis_rows;        /* rows of visibility.csv */
    size_t n_vis_skipped;     /* ... with skipped = 1 */
    size_t n_vis_never;       /* ... with an empty visible_ns (never visible in the run) */
    size_t n_vis_traced;      /* received rows with every stage column set */
    size_t n_vis_trace_bad;   /* ... of which out of order on one node's clock: not used */
    size_t n_versions;        /* rows of versions.csv */
    struct tasvir_counter *counters; /* summed by name, in order of first appearance */
    size_t n_counters;
};

/* Load the run in dir.  label overrides the manifest's label (NULL: manifest label, or the
 * directory's base name when the manifest has none).  Notes about absent optional files
 * go to warn (may be NULL).  Errors: -ENOENT (no such directory or no manifest.json, or
 * neither samples.csv nor visibility.csv), -EINVAL (malformed content; the message
 * names file and line), -ENOMEM, -EIO. */
int tasvir_run_load(const char *dir, const char *label, FILE *warn, struct tasvir_run *run,
                    struct tasvir_errbuf *e);

void tasvir_run_free(struct tasvir_run *run);

/* Numeric value of params.<name> in the manifest.  Errors: -ENOENT (absent), -EINVAL (not
 * a number). */
int tasvir_run_param(const struct tasvir_run *run, const char *name, double *value,
                     struct tasvir_errbuf *e);

/* Check that a label can be written to the CSV outputs (non-empty, no ',', '"', control
 * characters).  Returns 0 or -EINVAL. */
int tasvir_label_check(const char *label, struct tasvir_errbuf *e);

#endif

/*
 * report.h — the analysis of a set of runs and the tables written from it.
 *
 * tasvir_analysis_compute sorts each run's metric arrays in place and fills one
 * struct tasvir_summary per (run, metric); the writers then only format.  Output order
 * is the order of the runs as given, then the metric order of enum tasvir_metric.
 */
#ifndef TASVIR_ANALYSIS_REPORT_H
#define TASVIR_ANALYSIS_REPORT_H

#include <stdio.h>

#include "errbuf.h"
#include "run.h"
#include "stats.h"

struct tasvir_analysis {
    struct tasvir_run *runs;
    size_t nruns;
    unsigned bootstrap;   /* replicates per interval; 0 = no intervals */
    unsigned long seed;   /* user seed; each curve derives its own (stats.h) */
    size_t cdf_points;    /* max points per ECDF curve, >= 2 */
    /* Visibility metric of the summary table and the plots: TASVIR_METRIC_VISIBILITY_ALL
     * (tasvir-analyze's default: every version, DESIGN.md section 6) or
     * TASVIR_METRIC_VISIBILITY (versions a subscriber received; --received-only). */
    enum tasvir_metric vis_metric;
    struct tasvir_summary (*sum)[TASVIR_METRIC_COUNT]; /* [nruns][metric] */
};

/* Compute all summaries.  Returns 0, -EINVAL (duplicate labels, cdf_points < 2), -ENOMEM. */
int tasvir_analysis_compute(struct tasvir_analysis *a, struct tasvir_errbuf *e);

void tasvir_analysis_free(struct tasvir_analysis *a);

/* quantiles.csv: label,metric,n,mean,p50,p50_lo,p50_hi,p90,p99,p99_lo,p99_hi,p999,max,
 * analytic_bound_ns (the bound only on the two visibility-delay rows). */
int tasvir_write_quantiles(const struct tasvir_analysis *a, FILE *f);

/* cdf.csv: label,metric,x,F. */
int tasvir_write_cdf(const struct tasvir_analysis *a, FILE *f);

/* ks.csv: label_a,label_b,metric,n_a,n_b,D,p_value for every pair of runs (in input
 * order) and every metric both runs have data for. */
int tasvir_write_ks(const struct tasvir_analysis *a, FILE *f);

/* summary.txt: human-readable table of visibility delay against the analytic bound,
 * data volumes and counters. */
int tasvir_write_summary(const struct tasvir_analysis *a, FILE *f);

/* Format a value for CSV: integers without decimals, others with up to 3 decimals,
 * NAN as an empty cell.  buf must hold 64 bytes; returns buf. */
const char *tasvir_fmt_num(double x, char *buf);

#endif

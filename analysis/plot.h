/*
 * plot.h — staleness figures through gnuplot.
 *
 * Each plot is written as a data file plus a commented gnuplot script in the output
 * directory (so a user can restyle it and re-run `gnuplot NAME.gp` there), then gnuplot is
 * run on the script from that directory.  The script picks pngcairo when the gnuplot at
 * hand has it (else the libgd png terminal) and writes the PDF through pdfcairo.
 *
 *   staleness-cdf.{dat,gp,png,pdf}          CDF of visibility delay, one curve per run, with
 *                                           each run's analytic bound as a dotted line
 *   staleness-vs-interval.{dat,gp,png,pdf}  median and p99 (95% bootstrap CI bars) of
 *                                           visibility delay against a manifest parameter,
 *                                           one series pair per mode (sim/hw), plus the
 *                                           analytic bound
 *   staleness-stages.{dat,gp,png,pdf}       per run, the medians of the stages of a
 *                                           received version's delay, stacked, and the
 *                                           median delay
 */
#ifndef TASVIR_ANALYSIS_PLOT_H
#define TASVIR_ANALYSIS_PLOT_H

#include <stdbool.h>
#include <stdio.h>

#include "errbuf.h"
#include "report.h"

struct tasvir_plot_opts {
    bool logx;            /* logarithmic x axis (both plots) */
    bool logy;            /* logarithmic y axis (vs-interval plot) */
    const char *title;    /* NULL: a default title per plot */
    const char *x_param;  /* vs-interval: manifest params key, e.g. "sync_ext_us" */
    const char *x_label;  /* vs-interval: NULL derives "sync ext (µs)" from x_param */
    const char *gnuplot;  /* program to run, NULL: "gnuplot" from PATH */
};

/* Write and render staleness-cdf.*.  Errors: -EINVAL (no run has visibility data),
 * -EIO (cannot write a file, gnuplot failed or wrote no PNG), -ENOMEM. */
int tasvir_plot_cdf(const struct tasvir_analysis *a, const char *outdir,
                    const struct tasvir_plot_opts *o, FILE *warn, struct tasvir_errbuf *e);

/* Write and render staleness-vs-interval.*.  Errors: -EINVAL (a run lacks the numeric
 * parameter, or no run has visibility data), -EIO, -ENOMEM. */
int tasvir_plot_vs_interval(const struct tasvir_analysis *a, const char *outdir,
                            const struct tasvir_plot_opts *o, FILE *warn,
                            struct tasvir_errbuf *e);

/* Write and render staleness-stages.*.  Errors: -EINVAL (no run has stage columns), -EIO,
 * -ENOMEM. */
int tasvir_plot_stages(const struct tasvir_analysis *a, const char *outdir,
                       const struct tasvir_plot_opts *o, FILE *warn, struct tasvir_errbuf *e);

/* Axis label for a parameter name: "sync_ext_us" -> "sync ext (µs)".  buf holds len bytes. */
const char *tasvir_param_label(const char *param, char *buf, size_t len);

#endif

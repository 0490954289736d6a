/*
 * stats.h — statistics used by tasvir-analyze: quantiles, bootstrap confidence intervals,
 * empirical CDFs and the two-sample Kolmogorov–Smirnov test.
 *
 * Quantile definition (everywhere in this project): GSL's
 * gsl_stats_quantile_from_sorted_data, i.e. linear interpolation between order statistics
 * (Hyndman & Fan type 7, the R and NumPy default).  For sorted x[0..n-1] and 0 <= p <= 1:
 *     h = (n - 1) p,   i = floor(h),   Q(p) = x[i] + (h - i) (x[i+1] - x[i])
 * (Q(p) = x[n-1] when i = n-1).  Example: x = {1,2,3,4,10}: Q(0.5) = 3, Q(0.9) = 7.6,
 * Q(0.99) = 9.76.
 *
 * Confidence intervals: percentile bootstrap.  Each replicate is the type-7 quantile of n
 * draws with replacement from the sample; the interval is the type-7 (alpha/2, 1-alpha/2)
 * quantiles of B replicates.  The replicates are drawn exactly, but without materialising
 * the resample: with draws I = floor(n U), U uniform, the (k+1)-th smallest draw is
 * floor(n U_(k+1)) with U_(k+1) ~ Beta(k+1, n-k), and the next order statistic is
 * U_(k+1) + (1 - U_(k+1)) Beta(1, n-k-1).  One replicate costs O(1) instead of O(n log n),
 * with the same distribution as resample-and-sort (checked against it in the tests).
 *
 * Kolmogorov–Smirnov: D = sup_x |F_a(x) - F_b(x)| over the two empirical CDFs (ties
 * handled by stepping over equal values in both samples together).  The p-value is the
 * asymptotic one, Q_KS(sqrt(n m / (n + m)) D) with the Kolmogorov survival function
 *     Q_KS(l) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 l^2)
 * evaluated by that series for l >= 1.18 and by the equivalent theta-function form
 *     Q_KS(l) = 1 - sqrt(2 pi)/l sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 l^2))
 * below (both converge in a few terms there).  GSL has no Kolmogorov distribution.  No
 * small-sample correction is applied: for n, m below ~50 treat the p-value as approximate.
 */
#ifndef TASVIR_ANALYSIS_STATS_H
#define TASVIR_ANALYSIS_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

/* Summary of one sample.  All fields are NAN when n == 0; the *_lo/_hi fields are NAN
 * when no bootstrap was requested. */
struct tasvir_summary {
    size_t n;
    double mean, min, p50, p90, p99, p999, max;
    double p50_lo, p50_hi, p99_lo, p99_hi;
};

/* Type-7 quantile of sorted x[0..n-1] (GSL); NAN when n == 0. */
double tasvir_stats_quantile(const double *sorted, size_t n, double p);

/* Sort x in place (gsl_sort). */
void tasvir_stats_sort(double *x, size_t n);

/* Fill *s from sorted x.  With boot > 0, also bootstrap 95% intervals for p50 and p99
 * from boot replicates drawn from rng.  Returns 0 or -ENOMEM. */
int tasvir_stats_summarize(const double *sorted, size_t n, unsigned boot, gsl_rng *rng,
                           struct tasvir_summary *s);

/* boot bootstrap replicates of the type-7 p-quantile of sorted x (n >= 1), in draw order. */
void tasvir_stats_bootstrap_replicates(const double *sorted, size_t n, double p, unsigned boot,
                                       gsl_rng *rng, double *out);

/* Percentile-bootstrap interval at the given level (e.g. 0.95).  Returns 0 or -ENOMEM;
 * *lo = *hi = NAN when n == 0 or boot == 0. */
int tasvir_stats_bootstrap_ci(const double *sorted, size_t n, double p, unsigned boot,
                              double level, gsl_rng *rng, double *lo, double *hi);

/* Empirical CDF of sorted x: one point (value, fraction of samples <= value) per distinct
 * value, downsampled to at most max_points (>= 2) points, always keeping the first (min)
 * and last (max, F = 1).  Half of the interior budget is spaced evenly in F, half
 * logarithmically in 1 - F down to 1/n, so the tail (p99, p99.9) keeps its shape; each
 * target level selects the first distinct value whose F reaches it.  xs and fs must hold
 * max_points values.  Returns the number of points written (0 when n == 0), -EINVAL when
 * max_points < 2, -ENOMEM. */
long tasvir_stats_ecdf(const double *sorted, size_t n, size_t max_points, double *xs,
                       double *fs);

/* Two-sample Kolmogorov–Smirnov distance between sorted samples (NAN if either is empty). */
double tasvir_stats_ks_distance(const double *a, size_t na, const double *b, size_t nb);

/* Kolmogorov survival function Q_KS(lambda) = P(K > lambda). */
double tasvir_stats_kolmogorov_q(double lambda);

/* Asymptotic two-sided p-value of distance d between samples of sizes na, nb. */
double tasvir_stats_ks_pvalue(double d, size_t na, size_t nb);

/* Deterministic 64-bit seed for the RNG of one curve, from the user seed, the run label
 * and the metric index (so a curve's intervals do not change when other runs are added). */
unsigned long tasvir_stats_curve_seed(unsigned long seed, const char *label, unsigned metric);

#endif

/*
 * test_analysis_stats.c — the statistics of tasvir-analyze (analysis/stats.c).
 *
 * Covers: type-7 quantiles (GSL interpolation) against hand-computed values; the summary
 * of empty, one-element and small samples; ECDF points with ties and the downsampling
 * rules (min and max kept, tail resolution, budget respected); the two-sample KS distance
 * on tiny hand-computed samples (with ties) and the Kolmogorov survival function against
 * reference values (computed with mpmath to 17 digits); bootstrap determinism for a
 * seed, and the O(1) order-statistic bootstrap against plain resample-and-sort.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "stats.h"

#define EPS 1e-12

/* x = {10, 3, 1, 4, 2} sorted = {1, 2, 3, 4, 10}, n = 5, h = 4p:
 *   p50:  h = 2     -> x[2] = 3
 *   p90:  h = 3.6   -> x[3] + 0.6 (x[4] - x[3]) = 4 + 0.6 * 6 = 7.6
 *   p99:  h = 3.96  -> 4 + 0.96 * 6 = 9.76
 *   p99.9 h = 3.996 -> 4 + 0.996 * 6 = 9.976
 *   mean = 20 / 5 = 4 */
Test(quantile, hand_computed_type7)
{
    double x[] = {10, 3, 1, 4, 2};
    tasvir_stats_sort(x, 5);
    cr_assert(eq(dbl, x[0], 1));
    cr_assert(eq(dbl, x[4], 10));
    cr_assert(epsilon_eq(dbl, tasvir_stats_quantile(x, 5, 0.5), 3, EPS));
    cr_assert(epsilon_eq(dbl, tasvir_stats_quantile(x, 5, 0.9), 7.6, EPS));
    cr_assert(epsilon_eq(dbl, tasvir_stats_quantile(x, 5, 0.99), 9.76, EPS));
    cr_assert(epsilon_eq(dbl, tasvir_stats_quantile(x, 5, 0.999), 9.976, EPS));
    cr_assert(eq(dbl, tasvir_stats_quantile(x, 5, 0), 1));
    cr_assert(eq(dbl, tasvir_stats_quantile(x, 5, 1), 10));
}

/* Even n: {1, 2, 3, 4}: p50 at h = 1.5 -> 2.5; p25 at h = 0.75 -> 1.75. */
Test(quantile, even_count_interpolates)
{
    double x[] = {4, 1, 3, 2};
    tasvir_stats_sort(x, 4);
    cr_assert(epsilon_eq(dbl, tasvir_stats_quantile(x, 4, 0.5), 2.5, EPS));
    cr_assert(epsilon_eq(dbl, tasvir_stats_quantile(x, 4, 0.25), 1.75, EPS));
    cr_assert(isnan(tasvir_stats_quantile(x, 0, 0.5)));
}

Test(summary, small_sample_no_bootstrap)
{
    double x[] = {1, 2, 3, 4, 10};
    struct tasvir_summary s;
    cr_assert(eq(int, tasvir_stats_summarize(x, 5, 0, NULL, &s), 0));
    cr_assert(eq(sz, s.n, 5));
    cr_assert(epsilon_eq(dbl, s.mean, 4, EPS));
    cr_assert(eq(dbl, s.min, 1));
    cr_assert(eq(dbl, s.max, 10));
    cr_assert(epsilon_eq(dbl, s.p50, 3, EPS));
    cr_assert(epsilon_eq(dbl, s.p90, 7.6, EPS));
    cr_assert(epsilon_eq(dbl, s.p99, 9.76, EPS));
    cr_assert(epsilon_eq(dbl, s.p999, 9.976, EPS));
    cr_assert(isnan(s.p50_lo) && isnan(s.p50_hi) && isnan(s.p99_lo) && isnan(s.p99_hi));
}

Test(summary, empty_and_single)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    struct tasvir_summary s;
    cr_assert(eq(int, tasvir_stats_summarize(NULL, 0, 100, r, &s), 0));
    cr_assert(eq(sz, s.n, 0));
    cr_assert(isnan(s.mean) && isnan(s.p50) && isnan(s.max) && isnan(s.p99_lo));

    double one = 42;
    cr_assert(eq(int, tasvir_stats_summarize(&one, 1, 100, r, &s), 0));
    cr_assert(eq(dbl, s.p50, 42));
    cr_assert(eq(dbl, s.p999, 42));
    cr_assert(eq(dbl, s.p50_lo, 42));
    cr_assert(eq(dbl, s.p99_hi, 42));
    gsl_rng_free(r);
}

/* Sorted {1, 2, 2, 3, 5}: F(1) = 1/5, F(2) = 3/5, F(3) = 4/5, F(5) = 1. */
Test(ecdf, distinct_points_with_ties)
{
    double x[] = {5, 1, 2, 2, 3};
    tasvir_stats_sort(x, 5);
    double xs[10], fs[10];
    cr_assert(eq(long, tasvir_stats_ecdf(x, 5, 10, xs, fs), 4));
    double ex[] = {1, 2, 3, 5}, ef[] = {0.2, 0.6, 0.8, 1.0};
    for (int i = 0; i < 4; i++) {
        cr_assert(eq(dbl, xs[i], ex[i]));
        cr_assert(epsilon_eq(dbl, fs[i], ef[i], EPS));
    }
}

/* Downsampling the same sample: with 2 points only min and max remain; with 3 the single
 * interior point is the tail level 1 - n^(-1) = 0.8, i.e. (3, 0.8). */
Test(ecdf, downsample_keeps_min_max_and_tail)
{
    double x[] = {1, 2, 2, 3, 5};
    double xs[3], fs[3];
    cr_assert(eq(long, tasvir_stats_ecdf(x, 5, 2, xs, fs), 2));
    cr_assert(eq(dbl, xs[0], 1));
    cr_assert(epsilon_eq(dbl, fs[0], 0.2, EPS));
    cr_assert(eq(dbl, xs[1], 5));
    cr_assert(eq(dbl, fs[1], 1.0));

    cr_assert(eq(long, tasvir_stats_ecdf(x, 5, 3, xs, fs), 3));
    cr_assert(eq(dbl, xs[1], 3));
    cr_assert(epsilon_eq(dbl, fs[1], 0.8, EPS));

    cr_assert(eq(long, tasvir_stats_ecdf(x, 5, 1, xs, fs), -EINVAL));
    cr_assert(eq(long, tasvir_stats_ecdf(x, 0, 3, xs, fs), 0));
}

/* 100000 distinct values into 500 points: budget kept, first/last kept, strictly
 * increasing, and the top 1% of the distribution keeps its shape (>= 100 points, where an
 * even spacing in F would leave 5). */
Test(ecdf, large_sample_budget_and_tail_resolution)
{
    enum { N = 100000, M = 500 };
    double *x = malloc(N * sizeof(*x)), xs[M], fs[M];
    for (int i = 0; i < N; i++)
        x[i] = i;
    long m = tasvir_stats_ecdf(x, N, M, xs, fs);
    cr_assert(le(long, m, M));
    /* The log grid gets denser than one sample in the last ~20 ranks; those levels collapse
     * onto the same points, so somewhat fewer than M points come out. */
    cr_assert(ge(long, m, M * 8 / 10));
    cr_assert(eq(dbl, xs[0], 0));
    cr_assert(epsilon_eq(dbl, fs[0], 1.0 / N, EPS));
    cr_assert(eq(dbl, xs[m - 1], N - 1));
    cr_assert(eq(dbl, fs[m - 1], 1.0));
    int tail = 0;
    for (long i = 1; i < m; i++) {
        cr_assert(gt(dbl, xs[i], xs[i - 1]));
        cr_assert(gt(dbl, fs[i], fs[i - 1]));
        tail += fs[i] > 0.99;
    }
    cr_assert(ge(int, tail, 100));
    free(x);
}

/* a = {1,2,3}, b = {2,4}: at 1: |1/3 - 0| = 1/3; at 2: |2/3 - 1/2| = 1/6;
 * at 3: |1 - 1/2| = 1/2; at 4: 0.  D = 1/2. */
Test(ks, distance_hand_computed)
{
    double a[] = {1, 2, 3}, b[] = {2, 4};
    cr_assert(epsilon_eq(dbl, tasvir_stats_ks_distance(a, 3, b, 2), 0.5, EPS));
    cr_assert(epsilon_eq(dbl, tasvir_stats_ks_distance(b, 2, a, 3), 0.5, EPS));
}

/* Ties across samples: a = {1,1,2}, b = {1,2,2}: at 1: |2/3 - 1/3| = 1/3; at 2: 0. */
Test(ks, distance_with_ties)
{
    double a[] = {1, 1, 2}, b[] = {1, 2, 2};
    cr_assert(epsilon_eq(dbl, tasvir_stats_ks_distance(a, 3, b, 3), 1.0 / 3, EPS));
    double c[] = {5, 6}, d[] = {1, 2, 3};
    cr_assert(eq(dbl, tasvir_stats_ks_distance(c, 2, d, 3), 1.0));
    cr_assert(eq(dbl, tasvir_stats_ks_distance(a, 3, a, 3), 0.0));
    cr_assert(isnan(tasvir_stats_ks_distance(a, 3, d, 0)));
}

/* Reference values of Q_KS(l) = 2 sum (-1)^(j-1) exp(-2 j^2 l^2), computed with mpmath at
 * 30 digits; 0.5 and 1.0 exercise the small-lambda form, 1.36 and 2.0 the direct series,
 * 1.18 the switch point. */
Test(ks, kolmogorov_survival_function)
{
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(0.3), 0.99999069419866543, 1e-13));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(0.5), 0.96394524366487509, 1e-13));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(0.8), 0.54414241157419808, 1e-13));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(1.0), 0.26999967167735452, 1e-13));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(1.18), 0.12345380942976571, 1e-13));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(1.36), 0.049485876755377884, 1e-13));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(2.0), 0.00067092525577969535, 1e-15));
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(3.0), 3.0459959489425257e-8, 1e-18));
    cr_assert(eq(dbl, tasvir_stats_kolmogorov_q(0), 1.0));
    /* Both forms agree across the switch (the slope there is about -0.6). */
    cr_assert(epsilon_eq(dbl, tasvir_stats_kolmogorov_q(1.18 - 1e-9),
                         tasvir_stats_kolmogorov_q(1.18 + 1e-9), 2e-9));
}

/* p-values of the two hand-computed cases: Q(sqrt(3*2/5) / 2) and Q(sqrt(3*3/6) / 3). */
Test(ks, pvalue_of_tiny_samples)
{
    cr_assert(epsilon_eq(dbl, tasvir_stats_ks_pvalue(0.5, 3, 2), 0.92508568099417398, 1e-12));
    cr_assert(epsilon_eq(dbl, tasvir_stats_ks_pvalue(1.0 / 3, 3, 3), 0.99625519237939879,
                         1e-12));
    cr_assert(isnan(tasvir_stats_ks_pvalue(0.5, 0, 3)));
}

static double *uniform_sample(size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *x = malloc(n * sizeof(*x));
    for (size_t i = 0; i < n; i++)
        x[i] = floor(gsl_rng_uniform(r) * 1e6);
    gsl_rng_free(r);
    tasvir_stats_sort(x, n);
    return x;
}

Test(bootstrap, deterministic_for_a_seed)
{
    enum { N = 2000 };
    double *x = uniform_sample(N, 3);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    struct tasvir_summary s1, s2, s3;
    gsl_rng_set(r, 99);
    cr_assert(eq(int, tasvir_stats_summarize(x, N, 1000, r, &s1), 0));
    gsl_rng_set(r, 99);
    cr_assert(eq(int, tasvir_stats_summarize(x, N, 1000, r, &s2), 0));
    cr_assert(eq(int, memcmp(&s1, &s2, sizeof(s1)), 0));
    gsl_rng_set(r, 100);
    cr_assert(eq(int, tasvir_stats_summarize(x, N, 1000, r, &s3), 0));
    cr_assert(s3.p50_lo != s1.p50_lo || s3.p50_hi != s1.p50_hi || s3.p99_lo != s1.p99_lo ||
              s3.p99_hi != s1.p99_hi);
    /* The intervals bracket their estimates. */
    cr_assert(le(dbl, s1.p50_lo, s1.p50));
    cr_assert(ge(dbl, s1.p50_hi, s1.p50));
    cr_assert(le(dbl, s1.p99_lo, s1.p99));
    cr_assert(ge(dbl, s1.p99_hi, s1.p99));
    gsl_rng_free(r);
    free(x);
}

Test(bootstrap, curve_seed_depends_on_label_and_metric_only)
{
    unsigned long a = tasvir_stats_curve_seed(1, "ext 1 ms", 0);
    cr_assert(eq(ulong, a, tasvir_stats_curve_seed(1, "ext 1 ms", 0)));
    cr_assert(ne(ulong, a, tasvir_stats_curve_seed(1, "ext 2 ms", 0)));
    cr_assert(ne(ulong, a, tasvir_stats_curve_seed(1, "ext 1 ms", 1)));
    cr_assert(ne(ulong, a, tasvir_stats_curve_seed(2, "ext 1 ms", 0)));
}

/* Plain bootstrap: resample n with replacement, sort, take the type-7 quantile. */
static void naive_replicates(const double *x, size_t n, double p, unsigned boot, gsl_rng *r,
                             double *out)
{
    double *tmp = malloc(n * sizeof(*tmp));
    for (unsigned b = 0; b < boot; b++) {
        for (size_t i = 0; i < n; i++)
            tmp[i] = x[gsl_rng_uniform_int(r, n)];
        gsl_sort(tmp, 1, n);
        out[b] = tasvir_stats_quantile(tmp, n, p);
    }
    free(tmp);
}

/* The order-statistic shortcut must draw replicates from the same distribution as the
 * plain bootstrap: compare the two replicate sets with the KS test (20000 each; the
 * critical distance at alpha = 0.001 is 1.95 sqrt(2/20000) = 0.0195) and their means. */
static void check_against_naive(size_t n, double p)
{
    enum { B = 20000 };
    double *x = uniform_sample(n, 5);
    double *fast = malloc(B * sizeof(double)), *slow = malloc(B * sizeof(double));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    tasvir_stats_bootstrap_replicates(x, n, p, B, r, fast);
    gsl_rng_set(r, 12);
    naive_replicates(x, n, p, B, r, slow);
    gsl_sort(fast, 1, B);
    gsl_sort(slow, 1, B);
    double d = tasvir_stats_ks_distance(fast, B, slow, B);
    cr_assert(lt(dbl, d, 0.0195), "n=%zu p=%g: KS distance %g between shortcut and plain "
                                  "bootstrap", n, p, d);
    double mf = 0, ms = 0;
    for (int i = 0; i < B; i++)
        mf += fast[i] / B, ms += slow[i] / B;
    double spread = slow[(int)(0.975 * B)] - slow[(int)(0.025 * B)];
    cr_assert(lt(dbl, fabs(mf - ms), 0.05 * spread + 1e-9), "n=%zu p=%g: means %g vs %g", n,
              p, mf, ms);
    gsl_rng_free(r);
    free(x);
    free(fast);
    free(slow);
}

Test(bootstrap, shortcut_matches_resample_and_sort_median, .timeout = 60)
{
    check_against_naive(41, 0.5);
}

Test(bootstrap, shortcut_matches_resample_and_sort_p99, .timeout = 60)
{
    check_against_naive(300, 0.99);
}

Test(bootstrap, shortcut_matches_resample_and_sort_p90_even, .timeout = 60)
{
    check_against_naive(50, 0.9);
}

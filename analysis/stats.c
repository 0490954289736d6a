/*
 * stats.c — quantiles, bootstrap intervals, ECDF downsampling and the two-sample
 * Kolmogorov–Smirnov test.  Definitions and references are in stats.h.
 *
 * Everything here works on sorted double arrays and is deterministic for a given RNG
 * state; the only allocations are the replicate buffer of the bootstrap and the index
 * list of the ECDF downsampler.
 */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

double tasvir_stats_quantile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    return gsl_stats_quantile_from_sorted_data(sorted, 1, n, p);
}

void tasvir_stats_sort(double *x, size_t n)
{
    if (n > 1)
        gsl_sort(x, 1, n);
}

/* Index of the draw floor(n u) for u in [0, 1]; u == 1 can come out of a Beta variate by
 * rounding and maps to the last element. */
static size_t draw_index(double u, size_t n)
{
    double i = floor(u * (double)n);
    if (!(i >= 0))
        return 0;
    if (i >= (double)(n - 1))
        return n - 1;
    return (size_t)i;
}

void tasvir_stats_bootstrap_replicates(const double *sorted, size_t n, double p, unsigned boot,
                                       gsl_rng *rng, double *out)
{
    double h = (double)(n - 1) * p;
    size_t k = (size_t)floor(h);
    if (k > n - 1)
        k = n - 1;
    double frac = h - (double)k;
    for (unsigned b = 0; b < boot; b++) {
        if (n == 1) {
            out[b] = sorted[0];
            continue;
        }
        /* (k+1)-th smallest of n uniforms, then the next one above it. */
        double u = gsl_ran_beta(rng, (double)(k + 1), (double)(n - k));
        double lo = sorted[draw_index(u, n)];
        if (frac > 0 && k + 1 < n) {
            double w = gsl_ran_beta(rng, 1.0, (double)(n - k - 1));
            double hi = sorted[draw_index(u + (1 - u) * w, n)];
            out[b] = (1 - frac) * lo + frac * hi;
        } else {
            out[b] = lo;
        }
    }
}

int tasvir_stats_bootstrap_ci(const double *sorted, size_t n, double p, unsigned boot,
                              double level, gsl_rng *rng, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (n == 0 || boot == 0)
        return 0;
    double *rep = malloc(boot * sizeof(*rep));
    if (!rep)
        return -ENOMEM;
    tasvir_stats_bootstrap_replicates(sorted, n, p, boot, rng, rep);
    gsl_sort(rep, 1, boot);
    double alpha = 1 - level;
    *lo = gsl_stats_quantile_from_sorted_data(rep, 1, boot, alpha / 2);
    *hi = gsl_stats_quantile_from_sorted_data(rep, 1, boot, 1 - alpha / 2);
    free(rep);
    return 0;
}

int tasvir_stats_summarize(const double *sorted, size_t n, unsigned boot, gsl_rng *rng,
                           struct tasvir_summary *s)
{
    s->n = n;
    s->mean = s->min = s->p50 = s->p90 = s->p99 = s->p999 = s->max = NAN;
    s->p50_lo = s->p50_hi = s->p99_lo = s->p99_hi = NAN;
    if (n == 0)
        return 0;
    s->mean = gsl_stats_mean(sorted, 1, n);
    s->min = sorted[0];
    s->max = sorted[n - 1];
    s->p50 = tasvir_stats_quantile(sorted, n, 0.5);
    s->p90 = tasvir_stats_quantile(sorted, n, 0.9);
    s->p99 = tasvir_stats_quantile(sorted, n, 0.99);
    s->p999 = tasvir_stats_quantile(sorted, n, 0.999);
    if (boot == 0)
        return 0;
    int rc = tasvir_stats_bootstrap_ci(sorted, n, 0.5, boot, 0.95, rng, &s->p50_lo, &s->p50_hi);
    if (rc == 0)
        rc = tasvir_stats_bootstrap_ci(sorted, n, 0.99, boot, 0.95, rng, &s->p99_lo, &s->p99_hi);
    return rc;
}

/* Last index holding the same value as sorted[i]. */
static size_t last_equal(const double *sorted, size_t n, size_t i)
{
    size_t lo = i, hi = n - 1; /* invariant: sorted[lo] == v; answer in [lo, hi] */
    double v = sorted[i];
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (sorted[mid] == v)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Index of the first sample whose ECDF value (i+1)/n reaches rank/n, i.e. ceil(rank) - 1,
 * with a small tolerance so that exact levels are not pushed up by rounding. */
static size_t rank_index(double rank, size_t n)
{
    double i = ceil(rank - 1e-9) - 1;
    if (!(i > 0))
        return 0;
    if (i >= (double)(n - 1))
        return n - 1;
    return (size_t)i;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

long tasvir_stats_ecdf(const double *sorted, size_t n, size_t max_points, double *xs,
                       double *fs)
{
    if (max_points < 2)
        return -EINVAL;
    if (n == 0)
        return 0;
    size_t distinct = 1;
    for (size_t i = 1; i < n; i++)
        distinct += sorted[i] != sorted[i - 1];

    if (distinct <= max_points) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && sorted[i + 1] == sorted[i])
                continue;
            xs[m] = sorted[i];
            fs[m] = (double)(i + 1) / (double)n;
            m++;
        }
        return (long)m;
    }

    /* Each chosen point is named by the last index of its value in sorted[]. */
    size_t *pick = malloc(max_points * sizeof(*pick));
    if (!pick)
        return -ENOMEM;
    size_t np = 0;
    pick[np++] = last_equal(sorted, n, 0);
    size_t interior = max_points - 2;
    size_t n_lin = interior / 2, n_tail = interior - n_lin;
    for (size_t j = 1; j <= n_lin; j++) {
        double rank = (double)n * (double)j / (double)(n_lin + 1);
        pick[np++] = last_equal(sorted, n, rank_index(rank, n));
    }
    for (size_t t = 1; t <= n_tail; t++) {
        /* F = 1 - n^(-t/n_tail): from 1 - n^(-1/n_tail) up to 1 - 1/n. */
        double rank = (double)n - pow((double)n, 1.0 - (double)t / (double)n_tail);
        pick[np++] = last_equal(sorted, n, rank_index(rank, n));
    }
    pick[np++] = n - 1;
    qsort(pick, np, sizeof(*pick), cmp_size);
    size_t m = 0;
    for (size_t i = 0; i < np; i++) {
        if (m > 0 && i > 0 && pick[i] == pick[i - 1])
            continue;
        xs[m] = sorted[pick[i]];
        fs[m] = (double)(pick[i] + 1) / (double)n;
        m++;
    }
    free(pick);
    return (long)m;
}

double tasvir_stats_ks_distance(const double *a, size_t na, const double *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return NAN;
    size_t i = 0, j = 0;
    double d = 0;
    while (i < na && j < nb) {
        double v = a[i] < b[j] ? a[i] : b[j];
        while (i < na && a[i] == v)
            i++;
        while (j < nb && b[j] == v)
            j++;
        double diff = fabs((double)i / (double)na - (double)j / (double)nb);
        if (diff > d)
            d = diff;
    }
    /* Once one sample is exhausted its ECDF is 1 and the gap can only shrink. */
    return d;
}

double tasvir_stats_kolmogorov_q(double lambda)
{
    if (!(lambda > 0))
        return 1.0;
    double q;
    if (lambda < 1.18) {
        /* Theta-function form: converges fast for small lambda. */
        double c = M_PI * M_PI / (8 * lambda * lambda), s = 0;
        for (int j = 1; j <= 100; j++) {
            double odd = 2.0 * j - 1;
            double term = exp(-odd * odd * c);
            s += term;
            if (term <= 1e-17 * s)
                break;
        }
        q = 1 - sqrt(2 * M_PI) / lambda * s;
    } else {
        double s = 0, sign = 1;
        for (int j = 1; j <= 100; j++) {
            double term = exp(-2.0 * j * j * lambda * lambda);
            s += sign * term;
            sign = -sign;
            if (term <= 1e-17 * fabs(s))
                break;
        }
        q = 2 * s;
    }
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    return q;
}

double tasvir_stats_ks_pvalue(double d, size_t na, size_t nb)
{
    if (na == 0 || nb == 0 || isnan(d))
        return NAN;
    double en = sqrt((double)na * (double)nb / ((double)na + (double)nb));
    return tasvir_stats_kolmogorov_q(en * d);
}

/* splitmix64 finaliser: spreads the bits of the combined seed. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

unsigned long tasvir_stats_curve_seed(unsigned long seed, const char *label, unsigned metric)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the label */
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    uint64_t z = mix64((uint64_t)seed ^ mix64(h ^ mix64(metric + 1)));
    /* MT19937 seeds from 32 bits: fold the halves together. */
    return (unsigned long)((z ^ (z >> 32)) & 0xffffffffULL);
}

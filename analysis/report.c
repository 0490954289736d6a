/*
 * report.c — summaries per (run, metric) and the CSV/text tables written from them.
 *
 * Each curve gets its own MT19937 generator seeded from (user seed, label, metric), so its
 * bootstrap intervals depend only on its own data: adding or reordering runs changes no
 * existing number.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *tasvir_fmt_num(double x, char *buf)
{
    if (isnan(x)) {
        buf[0] = '\0';
    } else if (x == 0) {
        strcpy(buf, "0");
    } else if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(buf, 64, "%.0f", x);
    } else {
        snprintf(buf, 64, "%.3f", x);
        char *end = buf + strlen(buf) - 1;
        while (*end == '0')
            *end-- = '\0';
        if (*end == '.')
            *end = '\0';
        if (strcmp(buf, "-0") == 0)
            strcpy(buf, "0");
    }
    return buf;
}

int tasvir_analysis_compute(struct tasvir_analysis *a, struct tasvir_errbuf *e)
{
    if (a->cdf_points < 2)
        return tasvir_err(e, -EINVAL, "the CDF needs at least 2 points per curve, got %zu",
                          a->cdf_points);
    for (size_t i = 0; i < a->nruns; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->runs[i].label, a->runs[j].label) == 0)
                return tasvir_err(e, -EINVAL,
                                  "label '%s' names two runs (%s and %s); give distinct labels "
                                  "with --run LABEL=DIR",
                                  a->runs[i].label, a->runs[j].dir, a->runs[i].dir);
    a->sum = calloc(a->nruns ? a->nruns : 1, sizeof(*a->sum));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!a->sum || !rng) {
        gsl_rng_free(rng);
        return tasvir_err(e, -ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < a->nruns && rc == 0; i++) {
        for (unsigned m = 0; m < TASVIR_METRIC_COUNT && rc == 0; m++) {
            struct tasvir_vec *v = &a->runs[i].metric[m];
            tasvir_stats_sort(v->v, v->n);
            gsl_rng_set(rng, tasvir_stats_curve_seed(a->seed, a->runs[i].label, m));
            rc = tasvir_stats_summarize(v->v, v->n, a->bootstrap, rng, &a->sum[i][m]);
        }
    }
    gsl_rng_free(rng);
    if (rc < 0)
        return tasvir_err(e, rc, "out of memory");
    return 0;
}

void tasvir_analysis_free(struct tasvir_analysis *a)
{
    free(a->sum);
    a->sum = NULL;
}

static int finish(FILE *f)
{
    return ferror(f) ? -EIO : 0;
}

int tasvir_write_quantiles(const struct tasvir_analysis *a, FILE *f)
{
    fprintf(f, "label,metric,n,mean,p50,p50_lo,p50_hi,p90,p99,p99_lo,p99_hi,p999,max,"
               "analytic_bound_ns\n");
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        for (unsigned m = 0; m < TASVIR_METRIC_COUNT; m++) {
            const struct tasvir_summary *s = &a->sum[i][m];
            bool vis = m == TASVIR_METRIC_VISIBILITY || m == TASVIR_METRIC_VISIBILITY_ALL;
            double bound = vis && r->has_bound ? r->bound_ns : NAN;
            double cols[] = {s->mean, s->p50, s->p50_lo, s->p50_hi, s->p90, s->p99,
                             s->p99_lo, s->p99_hi, s->p999, s->max, bound};
            fprintf(f, "%s,%s,%zu", r->label, tasvir_metric_name(m), s->n);
            for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
                char buf[64];
                fprintf(f, ",%s", tasvir_fmt_num(cols[k], buf));
            }
            fputc('\n', f);
        }
    }
    return finish(f);
}

int tasvir_write_cdf(const struct tasvir_analysis *a, FILE *f)
{
    double *xs = malloc(a->cdf_points * sizeof(*xs));
    double *fs = malloc(a->cdf_points * sizeof(*fs));
    if (!xs || !fs) {
        free(xs);
        free(fs);
        return -ENOMEM;
    }
    int rc = 0;
    fprintf(f, "label,metric,x,F\n");
    for (size_t i = 0; i < a->nruns && rc == 0; i++) {
        for (unsigned m = 0; m < TASVIR_METRIC_COUNT; m++) {
            const struct tasvir_vec *v = &a->runs[i].metric[m];
            long np = tasvir_stats_ecdf(v->v, v->n, a->cdf_points, xs, fs);
            if (np < 0) {
                rc = (int)np;
                break;
            }
            for (long k = 0; k < np; k++) {
                char buf[64];
                fprintf(f, "%s,%s,%s,%.9g\n", a->runs[i].label, tasvir_metric_name(m),
                        tasvir_fmt_num(xs[k], buf), fs[k]);
            }
        }
    }
    free(xs);
    free(fs);
    return rc < 0 ? rc : finish(f);
}

int tasvir_write_ks(const struct tasvir_analysis *a, FILE *f)
{
    fprintf(f, "label_a,label_b,metric,n_a,n_b,D,p_value\n");
    for (size_t i = 0; i < a->nruns; i++) {
        for (size_t j = i + 1; j < a->nruns; j++) {
            for (unsigned m = 0; m < TASVIR_METRIC_COUNT; m++) {
                const struct tasvir_vec *va = &a->runs[i].metric[m], *vb = &a->runs[j].metric[m];
                if (va->n == 0 || vb->n == 0)
                    continue;
                double d = tasvir_stats_ks_distance(va->v, va->n, vb->v, vb->n);
                double p = tasvir_stats_ks_pvalue(d, va->n, vb->n);
                fprintf(f, "%s,%s,%s,%zu,%zu,%.6g,%.6g\n", a->runs[i].label, a->runs[j].label,
                        tasvir_metric_name(m), va->n, vb->n, d, p);
            }
        }
    }
    return finish(f);
}

/* Milliseconds with 3 decimals, "-" when unknown. */
static const char *ms(double ns, char *buf)
{
    if (isnan(ns))
        strcpy(buf, "-");
    else
        snprintf(buf, 64, "%.3f", ns / 1e6);
    return buf;
}

static const char *bound_verdict(const struct tasvir_run *r, const struct tasvir_summary *s)
{
    if (!r->has_bound || s->n == 0)
        return "n/a";
    if (s->p99 <= r->bound_ns)
        return "yes";
    if (r->has_clock_error && s->p99 - r->clock_error_ns <= r->bound_ns)
        return "within clock error";
    return "NO";
}

int tasvir_write_summary(const struct tasvir_analysis *a, FILE *f)
{
    int w = 5;
    for (size_t i = 0; i < a->nruns; i++) {
        int len = (int)strlen(a->runs[i].label);
        if (len > w)
            w = len;
    }
    char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64], b7[64];
    bool all = a->vis_metric == TASVIR_METRIC_VISIBILITY_ALL;
    fprintf(f, "Visibility delay per run (ms) against the analytic bound from manifest.json\n"
               "(%s;\n"
               " quantiles: linear interpolation, GSL; clock +/-: clock-offset error bound)\n\n",
            all ? "every version, superseded (skipped) ones included"
                : "versions the subscribers received; skipped versions excluded");
    fprintf(f, "%-*s  %-4s  %9s  %9s  %9s  %9s  %9s  %-18s  %s\n", w, "label", "mode", "n",
            "median", "p99", "max", "bound", "p99<=bound", "clock +/-");
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        const struct tasvir_summary *s = &a->sum[i][a->vis_metric];
        fprintf(f, "%-*s  %-4s  %9zu  %9s  %9s  %9s  %9s  %-18s  %s\n", w, r->label, r->mode,
                s->n, ms(s->p50, b1), ms(s->p99, b2), ms(s->max, b3),
                ms(r->has_bound ? r->bound_ns : NAN, b4), bound_verdict(r, s),
                ms(r->has_clock_error ? r->clock_error_ns : NAN, b5));
    }
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        fprintf(f, "\nrun '%s': %s (mode %s, seed %lld, git %s)\n", r->label, r->dir, r->mode,
                (long long)r->seed, r->git_rev);
        if (r->has_visibility) {
            fprintf(f, "  visibility.csv: %zu rows, %zu skipped versions (%.2f%%), %zu never "
                       "visible\n", r->n_vis_rows, r->n_vis_skipped,
                    r->n_vis_rows ? 100.0 * (double)r->n_vis_skipped / (double)r->n_vis_rows : 0.0,
                    r->n_vis_never);
            static const struct {
                enum tasvir_metric m;
                const char *what;
            } rows[] = {{TASVIR_METRIC_VISIBILITY, "received versions"},
                        {TASVIR_METRIC_VISIBILITY_ALL, "all versions     "}};
            for (size_t k = 0; k < 2; k++) {
                const struct tasvir_summary *sv = &a->sum[i][rows[k].m];
                if (sv->n == 0)
                    continue;
                fprintf(f, "  visibility delay, %s (ms): median %s", rows[k].what, ms(sv->p50, b1));
                if (!isnan(sv->p50_lo))
                    fprintf(f, " [%s, %s]", ms(sv->p50_lo, b2), ms(sv->p50_hi, b3));
                fprintf(f, ", p99 %s", ms(sv->p99, b4));
                if (!isnan(sv->p99_lo))
                    fprintf(f, " [%s, %s]", ms(sv->p99_lo, b5), ms(sv->p99_hi, b6));
                fprintf(f, ", max %s; p99<=bound: %s\n", ms(sv->max, b7), bound_verdict(r, sv));
            }
            if (a->bootstrap > 0)
                fprintf(f, "  ([lo, hi]: 95%% bootstrap intervals, %u replicates)\n", a->bootstrap);
            if (r->n_vis_traced) {
                /* where a received version's delay went (medians of each stage) */
                fprintf(f, "  stages of received versions (ms, median; %zu traced rows",
                        r->n_vis_traced - r->n_vis_trace_bad);
                if (r->n_vis_trace_bad)
                    fprintf(f, ", %zu out of order left out", r->n_vis_trace_bad);
                fprintf(f, "):\n   ");
                static const char *const stage[] = {"send", "wire", "receive", "ready",
                                                    "epoch"};
                for (int k = 0; k < 5; k++)
                    fprintf(f, " %s %s", stage[k],
                            ms(a->sum[i][TASVIR_METRIC_STAGE_SEND + k].p50, b1));
                fputc('\n', f);
            }
        } else {
            fprintf(f, "  visibility.csv: absent\n");
        }
        if (r->has_samples) {
            const struct tasvir_summary *sa = &a->sum[i][TASVIR_METRIC_AGE];
            const struct tasvir_summary *sl = &a->sum[i][TASVIR_METRIC_LAG];
            const struct tasvir_summary *sw = &a->sum[i][TASVIR_METRIC_W2V];
            fprintf(f, "  samples.csv: %zu reads; age (ms) median %s p99 %s; version lag median "
                       "%s p99 %s;\n    write-to-visibility (ms) median %s p99 %s (n=%zu)\n",
                    r->n_samples, ms(sa->p50, b1), ms(sa->p99, b2),
                    isnan(sl->p50) ? "-" : tasvir_fmt_num(sl->p50, b3),
                    isnan(sl->p99) ? "-" : tasvir_fmt_num(sl->p99, b4), ms(sw->p50, b5),
                    ms(sw->p99, b6), sw->n);
        } else {
            fprintf(f, "  samples.csv: absent\n");
        }
        if (r->has_versions)
            fprintf(f, "  versions.csv: %zu published versions\n", r->n_versions);
        if (r->n_counters > 0) {
            fprintf(f, "  counters (summed over nodes):");
            for (size_t k = 0; k < r->n_counters; k++)
                fprintf(f, "%s %s=%lld", k ? "," : "", r->counters[k].name,
                        (long long)r->counters[k].sum);
            fputc('\n', f);
        }
    }
    return finish(f);
}

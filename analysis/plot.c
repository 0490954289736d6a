/*
 * plot.c — gnuplot data files, scripts and rendering for the staleness figures.
 *
 * Divided into: helpers (quoting, file names, running gnuplot), the shared look (palette,
 * axes, terminals), then one writer per figure.  Data go to a whitespace-separated .dat
 * file with one block per curve ("index" in gnuplot), values in milliseconds.
 *
 * Look: Okabe–Ito colour-blind-safe palette with alternating dash patterns (curves stay
 * distinguishable in greyscale print), left/bottom border with outward tics, light grid,
 * key inside the empty corner.  PNG 1200x800 for screens, PDF 3.5x2.5 in (one column of a
 * two-column paper) for papers.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const palette[] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#7F7F7F",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))
static const int dashes[] = {1, 2, 4, 5};
#define NDASHES (sizeof(dashes) / sizeof(dashes[0]))

/* Write s as a gnuplot single-quoted string (no escapes inside except '' for '). */
static void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* "2.1 µs" style duration for legends. */
static const char *human_ns(double ns, char *buf, size_t len)
{
    double a = fabs(ns);
    if (a < 1e3)
        snprintf(buf, len, "%.3g ns", ns);
    else if (a < 1e6)
        snprintf(buf, len, "%.3g µs", ns / 1e3);
    else if (a < 1e9)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else
        snprintf(buf, len, "%.3g s", ns / 1e9);
    return buf;
}

const char *tasvir_param_label(const char *param, char *buf, size_t len)
{
    static const struct {
        const char *suffix, *unit;
    } units[] = {{"_ns", "ns"}, {"_us", "µs"}, {"_ms", "ms"}, {"_s", "s"},
                 {"_bytes", "bytes"}, {"_pct", "%"}};
    size_t n = strlen(param);
    const char *unit = NULL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t sl = strlen(units[i].suffix);
        if (n > sl && strcmp(param + n - sl, units[i].suffix) == 0) {
            unit = units[i].unit;
            n -= sl;
            break;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < len; i++)
        buf[k++] = param[i] == '_' ? ' ' : param[i];
    buf[k] = '\0';
    if (unit)
        snprintf(buf + k, len - k, " (%s)", unit);
    return buf;
}

static FILE *open_out(const char *outdir, const char *name, struct tasvir_errbuf *e)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        tasvir_err(e, -EIO, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *outdir, const char *name, struct tasvir_errbuf *e)
{
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad)
        return tasvir_err(e, -EIO, "%s/%s: write error", outdir, name);
    return 0;
}

static off_t file_size(const char *outdir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", outdir, name);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void remove_out(const char *outdir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, name);
    unlink(path);
}

/* Run gnuplot on base.gp inside outdir, then check base.png (required) and base.pdf
 * (warning when absent: the gnuplot at hand lacks pdfcairo). */
static int render(const char *outdir, const char *base, const struct tasvir_plot_opts *o,
                  FILE *warn, struct tasvir_errbuf *e)
{
    const char *prog = o->gnuplot ? o->gnuplot : "gnuplot";
    char script[256], png[256], pdf[256];
    snprintf(script, sizeof(script), "%s.gp", base);
    snprintf(png, sizeof(png), "%s.png", base);
    snprintf(pdf, sizeof(pdf), "%s.pdf", base);
    remove_out(outdir, png); /* never leave a stale figure that looks fresh */
    remove_out(outdir, pdf);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return tasvir_err(e, -EIO, "cannot fork to run %s: %s", prog, strerror(errno));
    if (pid == 0) {
        if (chdir(outdir) != 0)
            _exit(126);
        execlp(prog, prog, script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return tasvir_err(e, -EIO, "waiting for %s: %s", prog, strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return tasvir_err(e, -EIO, "cannot run '%s' (install gnuplot, e.g. Debian package "
                                   "gnuplot-nox, or pass --gnuplot PATH)", prog);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
        return tasvir_err(e, -EIO, "%s: cannot enter the output directory", outdir);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return tasvir_err(e, -EIO, "%s failed on %s/%s (status %d); see its messages above",
                          prog, outdir, script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (file_size(outdir, png) <= 0)
        return tasvir_err(e, -EIO, "%s wrote no %s/%s", prog, outdir, png);
    if (file_size(outdir, pdf) <= 0 && warn)
        fprintf(warn, "tasvir-analyze: warning: no %s/%s (this gnuplot has no pdfcairo "
                      "terminal)\n", outdir, pdf);
    return 0;
}

/* Explicit 1-2-5 tics on a log axis spanning less than three decades, where gnuplot would
 * label only one or two powers of ten. */
static void write_log_tics(FILE *f, const char *axis, double lo, double hi)
{
    if (!(lo > 0) || !(hi > lo) || log10(hi / lo) >= 3)
        return;
    static const double mant[] = {1, 2, 5};
    fprintf(f, "set %stics (", axis);
    bool first = true;
    for (int k = (int)floor(log10(lo)); k <= (int)ceil(log10(hi)); k++) {
        for (int m = 0; m < 3; m++) {
            double v = mant[m] * pow(10, k);
            if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9))
                continue;
            fprintf(f, "%s%.6g", first ? "" : ", ", v);
            first = false;
        }
    }
    fprintf(f, ")\n");
}

/* Common preamble: encoding, title, frame, grid, key position. */
static void write_look(FILE *f, const char *title, const char *key)
{
    fprintf(f, "set encoding utf8\n"
               "set datafile separator whitespace\n"
               "set title ");
    gp_quote(f, title);
    fprintf(f, "\n"
               "set border 3 lw 1.2            # left and bottom only\n"
               "set tics nomirror out scale 0.6\n"
               "set grid xtics ytics lt 1 lw 0.8 lc rgb '#dddddd'\n"
               "set key %s Left reverse samplen 3 spacing 1.15\n", key);
}

/* PNG terminal (pngcairo, else png) and output; the caller writes the plot command next. */
static void write_png_terminal(FILE *f, const char *base)
{
    fprintf(f,
            "\n# PNG for screens (pngcairo when available, else the libgd png terminal)\n"
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "    set terminal pngcairo size 1200,800 noenhanced font 'Helvetica,20' linewidth 2\n"
            "} else {\n"
            "    set terminal png size 1200,800 noenhanced font 'Sans,16' linewidth 2\n"
            "}\n"
            "set pointsize 1.3\n"
            "set output '%s.png'\n",
            base);
}

/* PDF through pdfcairo by replotting the last plot command. */
static void write_pdf_replot(FILE *f, const char *base)
{
    fprintf(f,
            "\n# PDF for papers: one column of a two-column layout\n"
            "if (strstrt(GPVAL_TERMINALS, 'pdfcairo') > 0) {\n"
            "    set terminal pdfcairo size 3.5in,2.5in noenhanced font 'Helvetica,8' linewidth 1\n"
            "    set output '%s.pdf'\n"
            "    set pointsize 0.6\n"
            "    replot\n"
            "} else {\n"
            "    print '%s.gp: this gnuplot has no pdfcairo terminal; no PDF written'\n"
            "}\n"
            "unset output\n",
            base, base);
}

/* End base.gp with the PDF replot, close it (whatever happens) and render it. */
static int finish_script(FILE *gp, const char *outdir, const char *base,
                         const struct tasvir_plot_opts *o, FILE *warn, struct tasvir_errbuf *e)
{
    char name[256];
    snprintf(name, sizeof(name), "%s.gp", base);
    write_pdf_replot(gp, base);
    int rc = close_out(gp, outdir, name, e);
    return rc < 0 ? rc : render(outdir, base, o, warn, e);
}

/* ---- CDF of visibility delay -------------------------------------------------------- */

/* Legend text of a run: its label, plus the clock error bound when the manifest has a
 * nonzero one (a simulation or one machine's shared clock has none to show). */
static void curve_title(const struct tasvir_run *r, char *buf, size_t len)
{
    char err[64];
    if (r->has_clock_error && r->clock_error_ns != 0)
        snprintf(buf, len, "%s (clock ±%s)", r->label,
                 human_ns(r->clock_error_ns, err, sizeof(err)));
    else
        snprintf(buf, len, "%s", r->label);
}

/* Fraction of sorted x (ns) that is <= x_ms milliseconds. */
static double ecdf_at(const struct tasvir_vec *v, double x_ms)
{
    double x = x_ms * 1e6;
    size_t lo = 0, hi = v->n; /* first index with value > x */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return v->n ? (double)lo / (double)v->n : 0;
}

/* Key placement for the CDF.  A CDF is monotone, so a curve enters the bottom-right box
 * [x_l, right] x [0, h] iff F(x_l) < h, and the top-left box [left, x_r] x [1-h, 1] iff
 * F(x_r) > 1-h.  The box size is estimated from the entry count and the longest title for
 * both terminals (measured on rendered figures, with a margin).  If both corners hold data,
 * the key goes above the plot (gnuplot's "below" key collides with the x label). */
static const char *cdf_key_place(const struct tasvir_analysis *a, const int *block, bool logx,
                                 double lo, double hi)
{
    size_t entries = 0, chars = 0;
    bool bound = false;
    for (size_t i = 0; i < a->nruns; i++) {
        if (block[i] < 0)
            continue;
        char title[512];
        curve_title(&a->runs[i], title, sizeof(title));
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)title; *p; p++)
            n += (*p & 0xc0) != 0x80; /* count UTF-8 characters, not bytes */
        if (n > chars)
            chars = n;
        entries++;
        bound |= a->runs[i].has_bound;
    }
    entries += bound;
    double w = 0.12 + 0.013 * (double)chars, h = 0.04 + 0.047 * (double)entries;
    /* x at a fraction of the axis */
#define AT(frac) (logx ? exp(log(lo) + (frac) * (log(hi) - log(lo))) : lo + (frac) * (hi - lo))
    bool br_free = w < 1 && h < 1, tl_free = br_free;
    for (size_t i = 0; i < a->nruns; i++) {
        if (block[i] < 0)
            continue;
        const struct tasvir_vec *v = &a->runs[i].metric[a->vis_metric];
        if (ecdf_at(v, AT(1 - w)) < h)
            br_free = false;
        if (ecdf_at(v, AT(w)) > 1 - h)
            tl_free = false;
    }
#undef AT
    if (br_free)
        return "bottom right opaque";
    if (tl_free)
        return "top left opaque";
    return "tmargin center horizontal"; /* above the plot, under nothing it could hide */
}

int tasvir_plot_cdf(const struct tasvir_analysis *a, const char *outdir,
                    const struct tasvir_plot_opts *o, FILE *warn, struct tasvir_errbuf *e)
{
    static const char base[] = "staleness-cdf";
    double *xs = malloc(a->cdf_points * sizeof(*xs));
    double *fs = malloc(a->cdf_points * sizeof(*fs));
    int *block = malloc((a->nruns ? a->nruns : 1) * sizeof(*block)); /* run -> data index */
    int rc = 0;
    FILE *dat = NULL, *gp = NULL;
    if (!xs || !fs || !block) {
        rc = tasvir_err(e, -ENOMEM, "out of memory");
        goto out;
    }
    if (!(dat = open_out(outdir, "staleness-cdf.dat", e))) {
        rc = -EIO;
        goto out;
    }
    fprintf(dat, "# visibility delay CDF per run, written by tasvir-analyze\n"
                 "# columns: delay_ms F; one block per run (gnuplot: index N)\n");
    int nblocks = 0;
    double xmin = INFINITY, xmax = -INFINITY;
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        const struct tasvir_vec *v = &r->metric[a->vis_metric];
        block[i] = -1;
        long np = tasvir_stats_ecdf(v->v, v->n, a->cdf_points, xs, fs);
        if (np < 0) {
            rc = tasvir_err(e, (int)np, "out of memory");
            goto out;
        }
        size_t dropped = 0;
        double prev_f = 0;
        bool first = true;
        for (long k = 0; k < np; k++) {
            double x = xs[k] / 1e6;
            if (o->logx && !(x > 0)) {
                dropped++;
                prev_f = fs[k];
                continue;
            }
            if (first) {
                fprintf(dat, "%s# run %s\n", nblocks ? "\n\n" : "", r->label);
                /* Start each step curve on the axis (or where the dropped points left it). */
                fprintf(dat, "%.9g %.9g\n", x, prev_f);
                first = false;
            }
            fprintf(dat, "%.9g %.9g\n", x, fs[k]);
            if (x < xmin)
                xmin = x;
            if (x > xmax)
                xmax = x;
        }
        if (dropped && warn)
            fprintf(warn, "tasvir-analyze: warning: run '%s': %zu CDF points with delay <= 0 "
                          "left out of the log-scale plot\n", r->label, dropped);
        if (first) {
            if (warn)
                fprintf(warn, "tasvir-analyze: warning: run '%s' has no visibility delays to "
                              "plot\n", r->label);
            continue;
        }
        block[i] = nblocks++;
        if (r->has_bound) {
            double b = r->bound_ns / 1e6;
            if (b > xmax)
                xmax = b;
            if (b > 0 && b < xmin)
                xmin = b;
        }
    }
    if ((rc = close_out(dat, outdir, "staleness-cdf.dat", e)) < 0) {
        dat = NULL;
        goto out;
    }
    dat = NULL;
    if (nblocks == 0) {
        rc = tasvir_err(e, -EINVAL, "no run has visibility delays (visibility.csv) to plot");
        goto out;
    }

    if (!(gp = open_out(outdir, "staleness-cdf.gp", e))) {
        rc = -EIO;
        goto out;
    }
    fprintf(gp, "# staleness-cdf.gp: CDF of visibility delay per run, written by tasvir-analyze.\n"
                "# Edit freely, then re-run from this directory:  gnuplot staleness-cdf.gp\n"
                "# Data: staleness-cdf.dat, one block per run (index N): delay_ms F.\n"
                "# Dotted vertical lines: each run's analytic bound (manifest analytic_bound_ns).\n\n");
    double ax_lo, ax_hi; /* x axis range (ms) */
    if (o->logx) {
        if (xmin == xmax)
            xmin /= 10, xmax *= 10;
        ax_lo = xmin / 1.25;
        ax_hi = xmax * 1.25;
    } else {
        ax_lo = xmin < 0 ? xmin * 1.05 : 0;
        if (xmax <= ax_lo)
            xmax = ax_lo + 1;
        ax_hi = xmax * 1.05;
    }
    write_look(gp, o->title ? o->title
                            : a->vis_metric == TASVIR_METRIC_VISIBILITY_ALL
                                ? "Visibility delay CDF (every version, skipped ones included)"
                                : "Visibility delay CDF (received versions only)",
               cdf_key_place(a, block, o->logx, ax_lo, ax_hi));
    fprintf(gp, "set xlabel 'visibility delay (ms)'\n"
                "set ylabel 'CDF'\n"
                "set yrange [0:1]\n"
                "set ytics 0.2\n"
                "set mytics 2\n"
                "set format x '%%g'\n");
    if (o->logx) {
        fprintf(gp, "set logscale x 10\n"
                    "set mxtics 10\n"
                    "set grid mxtics lt 1 lw 0.5 lc rgb '#eeeeee'\n");
        write_log_tics(gp, "x", ax_lo, ax_hi);
    }
    fprintf(gp, "set xrange [%.6g:%.6g]\n", ax_lo, ax_hi);
    fprintf(gp, "\n");
    bool any_bound = false;
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        if (block[i] < 0)
            continue;
        int s = block[i];
        fprintf(gp, "set style line %d lc rgb '%s' lw 1.5 dt %d   # %s\n", s + 1,
                palette[s % NPALETTE], dashes[s % NDASHES], r->label);
        if (r->has_bound && (!o->logx || r->bound_ns > 0)) {
            fprintf(gp, "set arrow %d from %.9g, graph 0 to %.9g, graph 1 nohead back "
                        "lc rgb '%s' lw 1.5 dt 3   # bound of %s\n", s + 1, r->bound_ns / 1e6,
                    r->bound_ns / 1e6, palette[s % NPALETTE], r->label);
            any_bound = true;
        }
    }
    write_png_terminal(gp, base);
    fprintf(gp, "plot");
    int written = 0;
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        if (block[i] < 0)
            continue;
        char title[512];
        curve_title(r, title, sizeof(title));
        fprintf(gp, "%s \\\n  'staleness-cdf.dat' index %d using 1:2 with steps ls %d title ",
                written++ ? "," : "", block[i], block[i] + 1);
        gp_quote(gp, title);
    }
    if (any_bound)
        fprintf(gp, ", \\\n  NaN with lines lc rgb '#555555' lw 1.5 dt 3 title 'analytic bound'");
    fprintf(gp, "\n");
    rc = finish_script(gp, outdir, base, o, warn, e);
    gp = NULL;
out:
    if (dat)
        fclose(dat);
    if (gp)
        fclose(gp);
    free(xs);
    free(fs);
    free(block);
    return rc;
}

/* ---- median and p99 against a parameter ------------------------------------------- */

struct vs_point {
    double x;
    size_t run;
    int group; /* 0 = sim, 1 = hw */
};

static int cmp_point(const void *pa, const void *pb)
{
    const struct vs_point *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group - b->group;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return (a->run > b->run) - (a->run < b->run);
}

int tasvir_plot_vs_interval(const struct tasvir_analysis *a, const char *outdir,
                            const struct tasvir_plot_opts *o, FILE *warn,
                            struct tasvir_errbuf *e)
{
    static const char base[] = "staleness-vs-interval";
    static const char *const group_name[2] = {"sim", "hw"};
    const char *param = o->x_param ? o->x_param : "sync_ext_us";
    struct vs_point *pts = calloc(a->nruns ? a->nruns : 1, sizeof(*pts));
    FILE *dat = NULL, *gp = NULL;
    int rc = 0;
    if (!pts)
        return tasvir_err(e, -ENOMEM, "out of memory");
    size_t np = 0;
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        double x;
        if ((rc = tasvir_run_param(r, param, &x, e)) < 0) {
            rc = -EINVAL;
            goto out;
        }
        if (a->sum[i][a->vis_metric].n == 0) {
            if (warn)
                fprintf(warn, "tasvir-analyze: warning: run '%s' has no visibility delays; left "
                              "out of %s.png\n", r->label, base);
            continue;
        }
        if (o->logx && !(x > 0)) {
            if (warn)
                fprintf(warn, "tasvir-analyze: warning: run '%s': %s = %g cannot go on a log "
                              "axis; left out of %s.png\n", r->label, param, x, base);
            continue;
        }
        pts[np++] = (struct vs_point){.x = x, .run = i, .group = strcmp(r->mode, "hw") == 0};
    }
    if (np == 0) {
        rc = tasvir_err(e, -EINVAL, "no run has visibility delays (visibility.csv) to plot");
        goto out;
    }
    qsort(pts, np, sizeof(*pts), cmp_point);
    double pts_xmin = INFINITY, pts_xmax = -INFINITY;
    for (size_t k = 0; k < np; k++) {
        pts_xmin = fmin(pts_xmin, pts[k].x);
        pts_xmax = fmax(pts_xmax, pts[k].x);
    }

    if (!(dat = open_out(outdir, "staleness-vs-interval.dat", e))) {
        rc = -EIO;
        goto out;
    }
    fprintf(dat, "# visibility delay vs %s, written by tasvir-analyze\n"
                 "# columns: %s p50_ms p50_lo_ms p50_hi_ms p99_ms p99_lo_ms p99_hi_ms label\n"
                 "# (lo/hi: 95%% bootstrap interval; equal to the estimate without --bootstrap)\n"
                 "# blocks: one per mode (sim, hw) present, then the analytic bound: %s bound_ms\n",
            param, param, param);
    int group_block[2] = {-1, -1}, nblocks = 0;
    bool any_bound = false;
    double ymin = INFINITY, ymax = -INFINITY;
    for (size_t k = 0; k < np; k++) {
        const struct tasvir_run *r = &a->runs[pts[k].run];
        const struct tasvir_summary *s = &a->sum[pts[k].run][a->vis_metric];
        if (group_block[pts[k].group] < 0) {
            fprintf(dat, "%s# mode %s\n", nblocks ? "\n\n" : "", group_name[pts[k].group]);
            group_block[pts[k].group] = nblocks++;
        }
        double v[6] = {s->p50, s->p50_lo, s->p50_hi, s->p99, s->p99_lo, s->p99_hi};
        if (isnan(v[1]))
            v[1] = v[2] = v[0];
        if (isnan(v[4]))
            v[4] = v[5] = v[3];
        fprintf(dat, "%.9g", pts[k].x);
        for (int c = 0; c < 6; c++) {
            fprintf(dat, " %.9g", v[c] / 1e6);
            if (v[c] > 0 && v[c] / 1e6 < ymin)
                ymin = v[c] / 1e6;
            ymax = fmax(ymax, v[c] / 1e6);
        }
        fputc(' ', dat);
        gp_quote(dat, r->label);
        fputc('\n', dat);
        any_bound |= r->has_bound;
    }
    int bound_block = -1;
    if (any_bound) {
        /* The bound as one line over all runs, ordered by x (runs of both modes share it). */
        struct vs_point *by_x = malloc(np * sizeof(*by_x));
        if (!by_x) {
            rc = tasvir_err(e, -ENOMEM, "out of memory");
            goto out;
        }
        memcpy(by_x, pts, np * sizeof(*by_x));
        for (size_t k = 0; k < np; k++)
            by_x[k].group = 0;
        qsort(by_x, np, sizeof(*by_x), cmp_point);
        fprintf(dat, "\n\n# analytic bound\n");
        double last_x = NAN, last_b = NAN;
        for (size_t k = 0; k < np; k++) {
            const struct tasvir_run *r = &a->runs[by_x[k].run];
            if (!r->has_bound)
                continue;
            double b = r->bound_ns / 1e6;
            if (by_x[k].x == last_x && b == last_b)
                continue;
            fprintf(dat, "%.9g %.9g\n", by_x[k].x, b);
            if (b > 0 && b < ymin)
                ymin = b;
            ymax = fmax(ymax, b);
            last_x = by_x[k].x;
            last_b = b;
        }
        free(by_x);
        bound_block = nblocks++;
    }
    if ((rc = close_out(dat, outdir, "staleness-vs-interval.dat", e)) < 0) {
        dat = NULL;
        goto out;
    }
    dat = NULL;

    if (!(gp = open_out(outdir, "staleness-vs-interval.gp", e))) {
        rc = -EIO;
        goto out;
    }
    char xlabel[256], title[512];
    if (o->x_label)
        snprintf(xlabel, sizeof(xlabel), "%s", o->x_label);
    else
        tasvir_param_label(param, xlabel, sizeof(xlabel));
    if (o->title)
        snprintf(title, sizeof(title), "%s", o->title);
    else {
        /* "sync ext (µs)" -> "Visibility delay vs sync ext" */
        char what[256];
        snprintf(what, sizeof(what), "%s", xlabel);
        char *paren = strstr(what, " (");
        if (paren && !o->x_label)
            *paren = '\0';
        snprintf(title, sizeof(title), "Visibility delay vs %s%s", what,
                 a->vis_metric == TASVIR_METRIC_VISIBILITY_ALL ? "" : " (received versions)");
    }
    fprintf(gp, "# staleness-vs-interval.gp: median and p99 visibility delay against the\n"
                "# manifest parameter %s, written by tasvir-analyze.\n"
                "# Edit freely, then re-run from this directory:  gnuplot staleness-vs-interval.gp\n"
                "# Data: staleness-vs-interval.dat (columns described in its header).\n"
                "# Error bars: 95%% percentile-bootstrap intervals of each quantile.\n\n", param);
    write_look(gp, title, "top left");  /* delays grow with the interval: top left is free */
    fprintf(gp, "set xlabel ");
    gp_quote(gp, xlabel);
    fprintf(gp, "\nset ylabel 'visibility delay (ms)'\n"
                "set format x '%%g'\n"
                "set format y '%%g'\n"
                "set offsets graph 0.03, graph 0.03, 0, 0\n");
    if (o->logx) {
        fprintf(gp, "set logscale x 10\nset xrange [%.6g:%.6g]\n", pts_xmin / 1.5,
                pts_xmax * 1.5);
        /* A sweep reads best with a tic at every swept value. */
        double *xs = malloc(np * sizeof(*xs));
        if (!xs) {
            rc = tasvir_err(e, -ENOMEM, "out of memory");
            goto out;
        }
        for (size_t k = 0; k < np; k++)
            xs[k] = pts[k].x;
        tasvir_stats_sort(xs, np);
        size_t distinct = 0;
        for (size_t k = 0; k < np; k++)
            if (k == 0 || xs[k] != xs[distinct - 1])
                xs[distinct++] = xs[k];
        if (distinct <= 12) {
            fprintf(gp, "set xtics (");
            for (size_t k = 0; k < distinct; k++)
                fprintf(gp, "%s%.9g", k ? ", " : "", xs[k]);
            fprintf(gp, ")\n");
            free(xs);
        } else {
            free(xs);
            write_log_tics(gp, "x", pts_xmin / 1.5, pts_xmax * 1.5);
        }
    }
    if (o->logy) {
        if (!isfinite(ymin) || !(ymax > 0)) {
            ymin = 1e-3;
            ymax = 1;
        }
        fprintf(gp, "set logscale y 10\nset yrange [%.6g:%.6g]\n", ymin / 1.5, ymax * 1.5);
        write_log_tics(gp, "y", ymin / 1.5, ymax * 1.5);
    } else {
        fprintf(gp, "set yrange [0:*]\n");
    }
    /* Median: circles, p99: squares; sim filled and solid, hw open and dashed. */
    static const struct {
        const char *what, *color;
        int col, pt_filled, pt_open;
    } q[2] = {{"median", "#0072B2", 2, 7, 6}, {"p99", "#D55E00", 5, 5, 4}};
    bool two_modes = group_block[0] >= 0 && group_block[1] >= 0;
    write_png_terminal(gp, base);
    fprintf(gp, "plot");
    int written = 0;
    for (int g = 0; g < 2; g++) {
        if (group_block[g] < 0)
            continue;
        for (int k = 0; k < 2; k++) {
            char t[64];
            if (two_modes)
                snprintf(t, sizeof(t), "%s (%s)", q[k].what, group_name[g]);
            else
                snprintf(t, sizeof(t), "%s", q[k].what);
            fprintf(gp, "%s \\\n  'staleness-vs-interval.dat' index %d ", written++ ? "," : "",
                    group_block[g]);
            if (a->bootstrap > 0)
                fprintf(gp, "using 1:%d:%d:%d with yerrorlines", q[k].col, q[k].col + 1,
                        q[k].col + 2);
            else
                fprintf(gp, "using 1:%d with linespoints", q[k].col);
            fprintf(gp, " lc rgb '%s' lw 1.5 dt %d pt %d title ", q[k].color, g == 0 ? 1 : 2,
                    g == 0 ? q[k].pt_filled : q[k].pt_open);
            gp_quote(gp, t);
        }
    }
    if (bound_block >= 0)
        fprintf(gp, ", \\\n  'staleness-vs-interval.dat' index %d using 1:2 with lines "
                    "lc rgb '#000000' lw 1.5 dt 2 title 'analytic bound'", bound_block);
    fprintf(gp, "\n");
    rc = finish_script(gp, outdir, base, o, warn, e);
    gp = NULL;
out:
    if (dat)
        fclose(dat);
    if (gp)
        fclose(gp);
    free(pts);
    return rc;
}

/* ---- where the delay goes: stage medians per run ---------------------------------- */

int tasvir_plot_stages(const struct tasvir_analysis *a, const char *outdir,
                       const struct tasvir_plot_opts *o, FILE *warn, struct tasvir_errbuf *e)
{
    static const char base[] = "staleness-stages";
    static const char *const stage[5] = {"send", "wire", "receive", "ready", "epoch"};
    FILE *dat = NULL, *gp = NULL;
    int rc = 0;
    if (!(dat = open_out(outdir, "staleness-stages.dat", e)))
        return -EIO;
    fprintf(dat, "# stages of a received version's visibility delay: median of each, per run,\n"
                 "# written by tasvir-analyze (docs/data-formats.md; the medians of the stages\n"
                 "# need not add up to the median delay)\n"
                 "# columns: label send_us wire_us receive_us ready_us epoch_us delay_us\n");
    size_t bars = 0;
    for (size_t i = 0; i < a->nruns; i++) {
        const struct tasvir_run *r = &a->runs[i];
        if (a->sum[i][TASVIR_METRIC_STAGE_SEND].n == 0) {
            if (warn)
                fprintf(warn, "tasvir-analyze: warning: run '%s' has no stage columns (no "
                              "trace); left out of %s.png\n", r->label, base);
            continue;
        }
        fprintf(dat, "\"%s\"", r->label); /* labels hold no '"' (tasvir_label_check) */
        for (int k = 0; k < 5; k++)
            fprintf(dat, " %.6g", a->sum[i][TASVIR_METRIC_STAGE_SEND + k].p50 / 1e3);
        fprintf(dat, " %.6g\n", a->sum[i][TASVIR_METRIC_VISIBILITY].p50 / 1e3);
        bars++;
    }
    if (bars == 0) {
        rc = tasvir_err(e, -EINVAL, "no run has the stage columns of visibility.csv (runs "
                                    "record them with the core's trace: tasvir-sim, "
                                    "tasvir-node)");
        goto out;
    }
    if ((rc = close_out(dat, outdir, "staleness-stages.dat", e)) < 0) {
        dat = NULL;
        goto out;
    }
    dat = NULL;
    if (!(gp = open_out(outdir, "staleness-stages.gp", e))) {
        rc = -EIO;
        goto out;
    }
    fprintf(gp, "# Where a received version's visibility delay goes, per run: the median of each\n"
                "# stage stacked (docs/data-formats.md), and the median delay itself as a\n"
                "# point.  Written by tasvir-analyze; edit and run `gnuplot %s.gp` here.\n",
            base);
    write_look(gp, o->title ? o->title : "Where the visibility delay goes (medians)",
               "outside right top vertical");
    fprintf(gp, "set style data histograms\n"
                "set style histogram rowstacked\n"
                "set style fill solid 0.85 border rgb '#333333'\n"
                "set boxwidth 0.7\n"
                "set ylabel 'median per stage (µs)'\n"
                "set yrange [0:*]\n"
                "set xtics rotate by 30 right noenhanced\n"
                "set bmargin 8\n"
                "set grid noxtics\n");
    write_png_terminal(gp, base);
    fprintf(gp, "plot ");
    for (int k = 0; k < 5; k++)
        fprintf(gp, "%s'staleness-stages.dat' using %d%s title '%s'", k ? ", \\\n     " : "",
                k + 2, k == 0 ? ":xtic(1)" : "", stage[k]);
    fprintf(gp, ", \\\n     'staleness-stages.dat' using 0:7 with points pt 7 ps 1.2 lc rgb "
                "'#000000' title 'median delay'\n");
    rc = finish_script(gp, outdir, base, o, warn, e);
    gp = NULL;
out:
    if (dat)
        fclose(dat);
    if (gp)
        fclose(gp);
    return rc;
}

/*
 * main.c — tasvir-analyze: command line, then load runs -> compute -> write tables ->
 * render plots.  All statistics live in the tasvir_analysis library (stats.c, csv.c,
 * run.c, report.c, plot.c); this file only parses options and sequences the steps.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plot.h"
#include "report.h"
#include "run.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: tasvir-analyze [OPTIONS] --out DIR RUN_DIR...\n"
        "       tasvir-analyze [OPTIONS] --out DIR --run LABEL=DIR [--run LABEL=DIR]...\n"
        "\n"
        "Summarise the staleness measured in Tasvir run directories (written by tasvir-sim\n"
        "or tasvir-node; format in docs/data-formats.md): quantiles with bootstrap\n"
        "confidence intervals, empirical CDFs, Kolmogorov-Smirnov comparisons between runs,\n"
        "a summary against the analytic bound, and gnuplot figures.\n"
        "\n"
        "Inputs (in the order given; both forms can be mixed):\n"
        "  RUN_DIR                 a run directory, labelled by its manifest \"label\"\n"
        "                          (or by the directory name when the manifest has none)\n"
        "  -r, --run LABEL=DIR     a run directory with an explicit label, e.g.\n"
        "                          --run 'ext 1 ms=results/ext1ms'\n"
        "\n"
        "Output:\n"
        "  -o, --out DIR           output directory, created if missing (required); gets\n"
        "                          quantiles.csv, cdf.csv, summary.txt and, with two or more\n"
        "                          runs, ks.csv\n"
        "  -b, --bootstrap N       bootstrap replicates for the 95%% intervals of p50 and p99\n"
        "                          (default 1000; 0 = no intervals)\n"
        "  -s, --seed N            seed of the bootstrap generator (default 1); the same\n"
        "                          inputs and seed give byte-identical outputs\n"
        "  -c, --cdf-points N      at most N points per curve in cdf.csv (default 500, >= 2)\n"
        "  -q, --quiet             do not print the summary on stdout\n"
        "  -R, --received-only     summary table and plots use visibility_delay_ns (only the\n"
        "                          versions the subscribers received) instead of the default\n"
        "                          visibility_delay_all_ns (every version, superseded ones\n"
        "                          included: DESIGN.md section 6)\n"
        "  -a, --include-skipped   the default (visibility_delay_all_ns); cancels an earlier\n"
        "                          --received-only\n"
        "\n"
        "Plots (need gnuplot; each also writes its .gp script and .dat data for editing):\n"
        "  -p, --plot              staleness-cdf.png/.pdf: CDF of visibility delay per run\n"
        "  -S, --plot-stages       staleness-stages.png/.pdf: where a received version's delay\n"
        "                          goes (median of each stage, stacked, per run; needs the\n"
        "                          trace columns of visibility.csv)\n"
        "  -i, --plot-vs-interval  staleness-vs-interval.png/.pdf: median and p99 visibility\n"
        "                          delay against a manifest parameter, with the analytic bound\n"
        "      --x-param NAME      manifest params key for that x axis (default sync_ext_us)\n"
        "      --x-label TEXT      x axis label (default derived from NAME: \"sync ext (µs)\")\n"
        "      --logx              logarithmic x axis (both plots)\n"
        "      --logy              logarithmic y axis (--plot-vs-interval)\n"
        "      --title TEXT        plot title\n"
        "      --gnuplot PROG      gnuplot program to run (default: gnuplot from PATH)\n"
        "  -h, --help              this help\n"
        "\n"
        "Metrics (DESIGN.md section 6): visibility_delay_all_ns (all visible rows of\n"
        "visibility.csv: the summary and plots by default), visibility_delay_ns (rows with\n"
        "skipped = 0), age_ns,\n"
        "version_lag and w2v_ns (samples.csv); with the trace columns of visibility.csv, the\n"
        "stages of a received version's delay: stage_send_ns, stage_wire_ns,\n"
        "stage_receive_ns, stage_ready_ns, stage_epoch_ns (docs/data-formats.md).\n"
        "Quantiles use linear interpolation between order statistics (GSL, Hyndman-Fan\n"
        "type 7).\n"
        "\n"
        "Exit status: 0 success, 1 failure (unreadable or malformed input, I/O, gnuplot),\n"
        "2 usage error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "tasvir-analyze: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'tasvir-analyze --help'.\n");
    return EXIT_USAGE;
}

/* Parse a decimal unsigned number in [min, max]; returns 0 or -1. */
static int parse_count(const char *s, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    if (!s[0] || s[0] == '-' || s[0] == '+')
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* mkdir -p. */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -errno;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

typedef int (*writer_fn)(const struct tasvir_analysis *, FILE *);

static int write_table(const struct tasvir_analysis *a, const char *outdir, const char *name,
                       writer_fn fn)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", outdir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "tasvir-analyze: %s: cannot create: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = fn(a, f);
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc < 0) {
        fprintf(stderr, "tasvir-analyze: %s: %s\n", path,
                rc == -ENOMEM ? "out of memory" : "write error");
        return -1;
    }
    return 0;
}

struct input {
    const char *label; /* NULL: from the manifest */
    const char *dir;
};

enum {
    OPT_X_PARAM = 256, OPT_X_LABEL, OPT_LOGX, OPT_LOGY, OPT_TITLE, OPT_GNUPLOT,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"run", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"bootstrap", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 's'},
        {"cdf-points", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"include-skipped", no_argument, NULL, 'a'},
        {"received-only", no_argument, NULL, 'R'},
        {"plot", no_argument, NULL, 'p'},
        {"plot-vs-interval", no_argument, NULL, 'i'},
        {"plot-stages", no_argument, NULL, 'S'},
        {"x-param", required_argument, NULL, OPT_X_PARAM},
        {"x-label", required_argument, NULL, OPT_X_LABEL},
        {"logx", no_argument, NULL, OPT_LOGX},
        {"logy", no_argument, NULL, OPT_LOGY},
        {"title", required_argument, NULL, OPT_TITLE},
        {"gnuplot", required_argument, NULL, OPT_GNUPLOT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct input *in = calloc((size_t)argc, sizeof(*in));
    if (!in) {
        fprintf(stderr, "tasvir-analyze: out of memory\n");
        return EXIT_FAILURE;
    }
    size_t nin = 0;
    const char *outdir = NULL;
    unsigned long long boot = 1000, seed = 1, cdf_points = 500;
    bool quiet = false, plot = false, plot_vs = false, plot_st = false, all_versions = true;
    struct tasvir_plot_opts po = {0};
    int rc = EXIT_SUCCESS;

    opterr = 0;
    int c;
    /* Leading '-': operands come back in order as option 1, so RUN_DIR and --run mix;
     * then ':': a missing argument is reported as ':' rather than '?'. */
    while ((c = getopt_long(argc, argv, "-:r:o:b:s:c:qaRpiSh", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            in[nin++] = (struct input){.dir = optarg};
            break;
        case 'r': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                rc = usage_error("--run expects LABEL=DIR with a non-empty label and "
                                 "directory, got '%s'", optarg);
                goto done;
            }
            *eq = '\0';
            in[nin++] = (struct input){.label = optarg, .dir = eq + 1};
            break;
        }
        case 'o':
            outdir = optarg;
            break;
        case 'b':
            if (parse_count(optarg, 0, 100000000ULL, &boot) < 0) {
                rc = usage_error("--bootstrap expects an integer in [0, 100000000], got '%s'",
                                 optarg);
                goto done;
            }
            break;
        case 's':
            if (parse_count(optarg, 0, ULONG_MAX, &seed) < 0) {
                rc = usage_error("--seed expects a non-negative integer, got '%s'", optarg);
                goto done;
            }
            break;
        case 'c':
            if (parse_count(optarg, 2, 100000000ULL, &cdf_points) < 0) {
                rc = usage_error("--cdf-points expects an integer in [2, 100000000], got '%s'",
                                 optarg);
                goto done;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'a':
            all_versions = true;
            break;
        case 'R':
            all_versions = false;
            break;
        case 'p':
            plot = true;
            break;
        case 'i':
            plot_vs = true;
            break;
        case 'S':
            plot_st = true;
            break;
        case OPT_X_PARAM:
            if (!optarg[0]) {
                rc = usage_error("--x-param expects a manifest params key%s", "");
                goto done;
            }
            po.x_param = optarg;
            break;
        case OPT_X_LABEL:
            po.x_label = optarg;
            break;
        case OPT_LOGX:
            po.logx = true;
            break;
        case OPT_LOGY:
            po.logy = true;
            break;
        case OPT_TITLE:
            po.title = optarg;
            break;
        case OPT_GNUPLOT:
            po.gnuplot = optarg;
            break;
        case 'h':
            usage(stdout);
            goto done;
        case ':':
            rc = usage_error("option '%s' needs an argument", argv[optind - 1]);
            goto done;
        default: {
            char shortopt[3] = {'-', (char)optopt, '\0'};
            rc = usage_error("unknown option '%s'",
                             optopt > 0 && optopt < 128 ? shortopt : argv[optind - 1]);
            goto done;
        }
        }
    }
    for (; optind < argc; optind++) /* operands after "--" */
        in[nin++] = (struct input){.dir = argv[optind]};

    if (nin == 0) {
        rc = usage_error("no run directory given%s", "");
        goto done;
    }
    if (!outdir) {
        rc = usage_error("--out DIR is required%s", "");
        goto done;
    }
    if ((po.x_param || po.x_label || po.logy) && !plot_vs) {
        rc = usage_error("--x-param, --x-label and --logy only apply to --plot-vs-interval%s", "");
        goto done;
    }
    if ((po.title || po.gnuplot) && !plot && !plot_vs && !plot_st) {
        rc = usage_error("--title and --gnuplot only apply with --plot, --plot-vs-interval "
                         "or --plot-stages%s", "");
        goto done;
    }
    if (po.logx && !plot && !plot_vs) {
        rc = usage_error("--logx only applies to --plot or --plot-vs-interval%s", "");
        goto done;
    }
    for (size_t i = 0; i < nin; i++) {
        struct tasvir_errbuf e;
        if (in[i].label && tasvir_label_check(in[i].label, &e) < 0) {
            rc = usage_error("--run: %s", e.msg);
            goto done;
        }
    }

    struct tasvir_run *runs = calloc(nin, sizeof(*runs));
    struct tasvir_analysis a = {
        .runs = runs,
        .bootstrap = (unsigned)boot,
        .seed = (unsigned long)seed,
        .cdf_points = (size_t)cdf_points,
        .vis_metric = all_versions ? TASVIR_METRIC_VISIBILITY_ALL : TASVIR_METRIC_VISIBILITY,
    };
    struct tasvir_errbuf e;
    if (!runs) {
        fprintf(stderr, "tasvir-analyze: out of memory\n");
        rc = EXIT_FAILURE;
        goto done;
    }
    rc = EXIT_FAILURE;
    for (size_t i = 0; i < nin; i++) {
        if (tasvir_run_load(in[i].dir, in[i].label, stderr, &runs[i], &e) < 0) {
            fprintf(stderr, "tasvir-analyze: %s\n", e.msg);
            goto cleanup;
        }
        a.nruns++;
    }
    if (tasvir_analysis_compute(&a, &e) < 0) {
        fprintf(stderr, "tasvir-analyze: %s\n", e.msg);
        goto cleanup;
    }
    int err = make_dirs(outdir);
    if (err < 0) {
        fprintf(stderr, "tasvir-analyze: %s: cannot create output directory: %s\n", outdir,
                strerror(-err));
        goto cleanup;
    }
    if (write_table(&a, outdir, "quantiles.csv", tasvir_write_quantiles) < 0 ||
        write_table(&a, outdir, "cdf.csv", tasvir_write_cdf) < 0 ||
        (a.nruns >= 2 && write_table(&a, outdir, "ks.csv", tasvir_write_ks) < 0) ||
        write_table(&a, outdir, "summary.txt", tasvir_write_summary) < 0)
        goto cleanup;
    if (!quiet && tasvir_write_summary(&a, stdout) < 0) {
        fprintf(stderr, "tasvir-analyze: cannot write to stdout\n");
        goto cleanup;
    }
    if (plot && tasvir_plot_cdf(&a, outdir, &po, stderr, &e) < 0) {
        fprintf(stderr, "tasvir-analyze: %s\n", e.msg);
        goto cleanup;
    }
    if (plot_vs && tasvir_plot_vs_interval(&a, outdir, &po, stderr, &e) < 0) {
        fprintf(stderr, "tasvir-analyze: %s\n", e.msg);
        goto cleanup;
    }
    if (plot_st && tasvir_plot_stages(&a, outdir, &po, stderr, &e) < 0) {
        fprintf(stderr, "tasvir-analyze: %s\n", e.msg);
        goto cleanup;
    }
    rc = EXIT_SUCCESS;
cleanup:
    tasvir_analysis_free(&a);
    for (size_t i = 0; i < a.nruns; i++)
        tasvir_run_free(&runs[i]);
    free(runs);
done:
    free(in);
    if (fflush(stdout) != 0 && rc == EXIT_SUCCESS) {
        fprintf(stderr, "tasvir-analyze: cannot write to stdout\n");
        rc = EXIT_FAILURE;
    }
    return rc;
}

/*
 * test_analyze_cli.c — tasvir-analyze end to end on the run directories in fixtures/.
 *
 * Covers: the figures (--plot, --plot-vs-interval, --logx/--logy: PNG signature and size
 * > 10 kB, PDF present, scripts and data written); the tables (quantiles.csv of the
 * hand-made "tiny" run against hand-computed values, ks.csv with every pair and metric,
 * cdf.csv within --cdf-points and ending at each curve's max, summary.txt equal to stdout
 * with the bound verdict); determinism (same seed: byte-identical tables; other seed:
 * other intervals; a run's intervals do not change when other runs are added); labels
 * from the manifest and from --run; usage errors (exit 2) and input errors naming file
 * and line (exit 1), a missing gnuplot (exit 1).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIX TASVIR_ANALYSIS_FIXTURES
#define SIM_05 FIX "/sim-ext-500us"
#define SIM_1 FIX "/sim-ext-1ms"
#define SIM_2 FIX "/sim-ext-2ms"
#define HW_1 FIX "/hw-ext-1ms"
#define TINY FIX "/tiny"

static char tmp[64];

static void make_tmp(void)
{
    strcpy(tmp, "/tmp/tasvir-analyze-test-XXXXXX");
    cr_assert(not(eq(ptr, mkdtemp(tmp), NULL)));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tmp(void)
{
    nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Path inside the temporary directory (rotating buffers: several can be live at once). */
static const char *at(const char *name)
{
    static char buf[8][256];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 256, "%s/%s", tmp, name);
    return p;
}

/* Run tasvir-analyze with args (NULL-terminated); stdout and stderr go to tmp/stdout and
 * tmp/stderr.  Returns the exit status. */
static int analyze(const char *const *args)
{
    const char *argv[64] = {TASVIR_ANALYZE_BIN};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(ge(int, pid, 0));
    if (pid == 0) {
        int out = open(at("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(at("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0)
            _exit(125);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], (char *const *)argv);
        _exit(126);
    }
    int status;
    cr_assert(eq(int, waitpid(pid, &status, 0), pid));
    bool exited = WIFEXITED(status);
    cr_assert(exited, "tasvir-analyze did not exit normally (status %d)", status);
    return WEXITSTATUS(status);
}

#define ANALYZE(...) analyze((const char *const[]){__VA_ARGS__, NULL})

/* Whole file as a string (caller frees); NULL if absent. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return s;
}

static void expect_in_file(const char *path, const char *what)
{
    char *s = slurp(path, NULL);
    cr_assert(not(eq(ptr, s, NULL)), "%s missing", path);
    cr_assert(not(eq(ptr, strstr(s, what), NULL)), "%s lacks '%s':\n%s", path, what, s);
    free(s);
}

static void expect_png(const char *path)
{
    size_t len;
    char *s = slurp(path, &len);
    cr_assert(not(eq(ptr, s, NULL)), "%s missing", path);
    static const unsigned char sig[8] = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A};
    cr_assert(ge(sz, len, 8));
    cr_assert(eq(int, memcmp(s, sig, 8), 0), "%s is not a PNG", path);
    cr_assert(gt(sz, len, 10 * 1024), "%s is only %zu bytes", path, len);
    free(s);
}

static void expect_pdf(const char *path)
{
    size_t len;
    char *s = slurp(path, &len);
    cr_assert(not(eq(ptr, s, NULL)), "%s missing", path);
    cr_assert(ge(sz, len, 5));
    cr_assert(eq(int, memcmp(s, "%PDF-", 5), 0), "%s is not a PDF", path);
    free(s);
}

static bool same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *sa = slurp(a, &la), *sb = slurp(b, &lb);
    bool same = sa && sb && la == lb && memcmp(sa, sb, la) == 0;
    free(sa);
    free(sb);
    return same;
}

/* Line of a CSV file that starts with prefix (copied into buf), or NULL. */
static char *csv_line(const char *path, const char *prefix, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *found = NULL;
    while (fgets(buf, (int)len, f)) {
        if (strncmp(buf, prefix, strlen(prefix)) == 0) {
            buf[strcspn(buf, "\n")] = '\0';
            found = buf;
            break;
        }
    }
    fclose(f);
    return found;
}

static size_t count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    cr_assert(not(eq(ptr, f, NULL)), "%s missing", path);
    char buf[1024];
    size_t n = 0;
    while (fgets(buf, sizeof(buf), f))
        n += strncmp(buf, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

Test(cli, plots_and_tables, .init = make_tmp, .fini = remove_tmp, .timeout = 120)
{
    const char *out = at("out");
    cr_assert(eq(int, ANALYZE("--out", out, "--plot", "--plot-vs-interval", SIM_05, SIM_1, SIM_2,
                              HW_1), 0));
    expect_png(at("out/staleness-cdf.png"));
    expect_pdf(at("out/staleness-cdf.pdf"));
    expect_png(at("out/staleness-vs-interval.png"));
    expect_pdf(at("out/staleness-vs-interval.pdf"));
    expect_in_file(at("out/staleness-cdf.gp"), "'staleness-cdf.dat' index 3 using 1:2 with steps");
    expect_in_file(at("out/staleness-cdf.gp"), "'hw ext 1 ms (clock ±1.5 µs)'");
    expect_in_file(at("out/staleness-cdf.gp"), "set xlabel 'visibility delay (ms)'");
    expect_in_file(at("out/staleness-vs-interval.gp"), "set xlabel 'sync ext (µs)'");
    expect_in_file(at("out/staleness-vs-interval.gp"), "title 'analytic bound'");
    expect_in_file(at("out/quantiles.csv"),
                   "label,metric,n,mean,p50,p50_lo,p50_hi,p90,p99,p99_lo,p99_hi,p999,max,"
                   "analytic_bound_ns\n");
    /* 4 runs x 10 metrics (the 5 stage metrics empty: these runs have no trace columns);
     * 6 pairs x 5 metrics (KS only where both runs have samples). */
    cr_assert(eq(sz, count_lines(at("out/quantiles.csv"), ""), 1 + 40));
    cr_assert(eq(sz, count_lines(at("out/ks.csv"), ""), 1 + 30));
    expect_in_file(at("out/ks.csv"), "label_a,label_b,metric,n_a,n_b,D,p_value\n");
    expect_in_file(at("out/ks.csv"), "\next 0.5 ms,hw ext 1 ms,visibility_delay_all_ns,");
    /* summary.txt is what went to stdout. */
    cr_assert(same_file(at("out/summary.txt"), at("stdout")));
    expect_in_file(at("stdout"), "p99<=bound");
    expect_in_file(at("stdout"), "hw ext 1 ms");
}

Test(cli, log_axes, .init = make_tmp, .fini = remove_tmp, .timeout = 120)
{
    cr_assert(eq(int, ANALYZE("-q", "--out", at("out"), "--plot", "--plot-vs-interval", "--logx",
                              "--logy", "--include-skipped", SIM_05, SIM_1, SIM_2), 0));
    expect_png(at("out/staleness-cdf.png"));
    expect_png(at("out/staleness-vs-interval.png"));
    expect_in_file(at("out/staleness-cdf.gp"), "set logscale x 10");
    expect_in_file(at("out/staleness-vs-interval.gp"), "set xtics (500, 1000, 2000)");
    /* -q: nothing on stdout */
    size_t len;
    free(slurp(at("stdout"), &len));
    cr_assert(eq(sz, len, 0));
}

/* tiny: non-skipped delays {1,2,9,3,4} ms -> sorted {1,2,3,4,9} ms: mean 3.8 ms,
 * p50 = 3 ms, p90 = 4 + 0.6*5 = 7 ms, p99 = 4 + 0.96*5 = 8.8 ms, p99.9 = 8.98 ms;
 * bound 5 ms (so the summary says NO).  version_lag {1,1,2,2,1,0}: p50 = 1.
 * All versions (DESIGN.md section 6, the default of the summary): the skipped version 3
 * adds 10 ms -> {1,2,3,4,9,10} ms: mean 29/6 = 4.833 ms, p50 = 3 + 0.5*1 = 3.5 ms,
 * p90 = 9 + 0.5*1 = 9.5 ms, p99 = 9 + 0.95*1 = 9.95 ms, p99.9 = 9.995 ms, max 10 ms. */
Test(cli, tiny_run_hand_computed, .init = make_tmp, .fini = remove_tmp, .timeout = 60)
{
    cr_assert(eq(int, ANALYZE("--out", at("out"), "--bootstrap", "0", TINY), 0));
    char buf[512];
    cr_assert(not(eq(ptr, csv_line(at("out/quantiles.csv"), "tiny,visibility_delay_ns,", buf,
                                   sizeof(buf)), NULL)));
    cr_assert(eq(str, buf, "tiny,visibility_delay_ns,5,3800000,3000000,,,7000000,8800000,,,"
                           "8980000,9000000,5000000"));
    cr_assert(not(eq(ptr, csv_line(at("out/quantiles.csv"), "tiny,version_lag,", buf,
                                   sizeof(buf)), NULL)));
    cr_assert(eq(str, buf, "tiny,version_lag,6,1.167,1,,,2,2,,,2,2,"));
    /* 5 distinct delays -> 5 CDF points, ending at (max, 1). */
    cr_assert(eq(sz, count_lines(at("out/cdf.csv"), "tiny,visibility_delay_ns,"), 5));
    expect_in_file(at("out/cdf.csv"), "tiny,visibility_delay_ns,1000000,0.2\n");
    expect_in_file(at("out/cdf.csv"), "tiny,visibility_delay_ns,9000000,1\n");
    cr_assert(not(eq(ptr, csv_line(at("out/quantiles.csv"), "tiny,visibility_delay_all_ns,", buf,
                                   sizeof(buf)), NULL)));
    cr_assert(eq(str, buf, "tiny,visibility_delay_all_ns,6,4833333.333,3500000,,,9500000,"
                           "9950000,,,9995000,10000000,5000000"));
    expect_in_file(at("stdout"), "NO");
    /* The summary table uses every version by default: n = 6, median 3.5 ms, p99 9.95 ms. */
    expect_in_file(at("stdout"), "every version, superseded (skipped) ones included");
    expect_in_file(at("stdout"), "tiny   sim           6      3.500      9.950     10.000");
    /* One run: no ks.csv. */
    cr_assert(eq(int, access(at("out/ks.csv"), F_OK), -1));
}

/* --received-only: the summary table and the CDF use visibility_delay_ns (n = 5, median
 * 3 ms, p99 8.8 ms, max 9 ms: see above); the default is every version. */
Test(cli, received_only_switches_the_summary_metric, .init = make_tmp, .fini = remove_tmp,
     .timeout = 120)
{
    cr_assert(eq(int, ANALYZE("--out", at("out"), "--bootstrap", "0", "--received-only",
                              "--plot", TINY), 0));
    expect_in_file(at("stdout"), "versions the subscribers received; skipped versions excluded");
    expect_in_file(at("stdout"), "tiny   sim           5      3.000      8.800      9.000");
    expect_in_file(at("out/staleness-cdf.gp"), "received versions only");
    expect_in_file(at("out/staleness-cdf.dat"), "9 1");
    cr_assert(eq(int, ANALYZE("--out", at("all"), "--bootstrap", "0", "--plot", TINY), 0));
    expect_in_file(at("all/staleness-cdf.gp"), "every version, skipped ones included");
    expect_in_file(at("all/staleness-cdf.dat"), "10 1");
}

Test(cli, cdf_points_budget, .init = make_tmp, .fini = remove_tmp, .timeout = 60)
{
    cr_assert(eq(int, ANALYZE("-q", "--out", at("out"), "--cdf-points", "10", SIM_1), 0));
    cr_assert(le(sz, count_lines(at("out/cdf.csv"), "ext 1 ms,visibility_delay_all_ns,"), 10));
    cr_assert(ge(sz, count_lines(at("out/cdf.csv"), "ext 1 ms,visibility_delay_all_ns,"), 8));
    /* The last point of the curve is the max from quantiles.csv, at F = 1. */
    char q[512];
    cr_assert(not(eq(ptr, csv_line(at("out/quantiles.csv"), "ext 1 ms,visibility_delay_all_ns,",
                                   q, sizeof(q)), NULL)));
    char *max = strrchr(q, ','); /* ...,max,bound */
    *max = '\0';
    max = strrchr(q, ',') + 1;
    char want[128];
    snprintf(want, sizeof(want), "ext 1 ms,visibility_delay_all_ns,%s,1\n", max);
    expect_in_file(at("out/cdf.csv"), want);
}

Test(cli, deterministic_for_a_seed, .init = make_tmp, .fini = remove_tmp, .timeout = 120)
{
    cr_assert(eq(int, ANALYZE("-q", "--seed", "5", "--out", at("a"), SIM_05, SIM_1, HW_1), 0));
    cr_assert(eq(int, ANALYZE("-q", "--seed", "5", "--out", at("b"), SIM_05, SIM_1, HW_1), 0));
    cr_assert(same_file(at("a/quantiles.csv"), at("b/quantiles.csv")));
    cr_assert(same_file(at("a/cdf.csv"), at("b/cdf.csv")));
    cr_assert(same_file(at("a/ks.csv"), at("b/ks.csv")));
    cr_assert(same_file(at("a/summary.txt"), at("b/summary.txt")));
    cr_assert(eq(int, ANALYZE("-q", "--seed", "6", "--out", at("c"), SIM_05, SIM_1, HW_1), 0));
    cr_assert(not(same_file(at("a/quantiles.csv"), at("c/quantiles.csv"))));

    /* A run's intervals depend on its own data, label and the seed only. */
    cr_assert(eq(int, ANALYZE("-q", "--seed", "5", "--out", at("d"), SIM_1), 0));
    char x[512], y[512];
    cr_assert(not(eq(ptr, csv_line(at("a/quantiles.csv"), "ext 1 ms,age_ns,", x, sizeof(x)),
                     NULL)));
    cr_assert(not(eq(ptr, csv_line(at("d/quantiles.csv"), "ext 1 ms,age_ns,", y, sizeof(y)),
                     NULL)));
    cr_assert(eq(str, x, y));
}

Test(cli, labels_from_run_option, .init = make_tmp, .fini = remove_tmp, .timeout = 60)
{
    cr_assert(eq(int, ANALYZE("-q", "--out", at("out"), "--run", "fast=" SIM_05, SIM_1), 0));
    cr_assert(eq(sz, count_lines(at("out/quantiles.csv"), "fast,"), 10));
    cr_assert(eq(sz, count_lines(at("out/quantiles.csv"), "ext 1 ms,"), 10));
    expect_in_file(at("out/ks.csv"), "\nfast,ext 1 ms,");
    /* The same label twice is refused. */
    cr_assert(eq(int, ANALYZE("-q", "--out", at("o2"), "--run", "x=" SIM_05, "--run",
                              "x=" SIM_1), 1));
    expect_in_file(at("stderr"), "label 'x' names two runs");
}

Test(cli, usage_errors_exit_2, .init = make_tmp, .fini = remove_tmp, .timeout = 60)
{
    cr_assert(eq(int, ANALYZE("--out", at("o")), 2));
    expect_in_file(at("stderr"), "no run directory given");
    cr_assert(eq(int, ANALYZE(SIM_1), 2));
    expect_in_file(at("stderr"), "--out DIR is required");
    cr_assert(eq(int, ANALYZE("--frobnicate", "--out", at("o"), SIM_1), 2));
    expect_in_file(at("stderr"), "unknown option '--frobnicate'");
    cr_assert(eq(int, ANALYZE("--out", at("o"), "--bootstrap", "-1", SIM_1), 2));
    expect_in_file(at("stderr"), "--bootstrap expects an integer");
    cr_assert(eq(int, ANALYZE("--out", at("o"), "--cdf-points", "1", SIM_1), 2));
    cr_assert(eq(int, ANALYZE("--out", at("o"), "--run", "nolabel", SIM_1), 2));
    expect_in_file(at("stderr"), "--run expects LABEL=DIR");
    cr_assert(eq(int, ANALYZE("--out", at("o"), "--x-param", "sync_ext_us", SIM_1), 2));
    cr_assert(eq(int, ANALYZE("--out"), 2));
    expect_in_file(at("stderr"), "needs an argument");
    cr_assert(eq(int, ANALYZE("--help"), 0));
    expect_in_file(at("stdout"), "Usage: tasvir-analyze");
}

Test(cli, input_errors_exit_1_with_file_and_line, .init = make_tmp, .fini = remove_tmp,
     .timeout = 60)
{
    cr_assert(eq(int, ANALYZE("--out", at("o"), SIM_1, FIX "/bad-samples"), 1));
    expect_in_file(at("stderr"), "bad-samples/samples.csv:4: column 'age_ns': '15000x0' is "
                                 "not an integer");
    cr_assert(eq(int, ANALYZE("--out", at("o"), FIX "/bad-manifest"), 1));
    expect_in_file(at("stderr"), "bad-manifest/manifest.json: missing key \"mode\"");
    cr_assert(eq(int, ANALYZE("--out", at("o"), FIX "/no-such-run"), 1));
    expect_in_file(at("stderr"), "no-such-run: no such run directory");
    cr_assert(eq(int, ANALYZE("-q", "--out", at("o"), "--plot-vs-interval", "--x-param",
                              "nodes_total", SIM_1), 1));
    expect_in_file(at("stderr"), "manifest.json params has no \"nodes_total\"");
}

Test(cli, missing_gnuplot_exit_1, .init = make_tmp, .fini = remove_tmp, .timeout = 60)
{
    cr_assert(eq(int, ANALYZE("-q", "--out", at("o"), "--plot", "--gnuplot",
                              "/nonexistent/gnuplot", SIM_1), 1));
    expect_in_file(at("stderr"), "cannot run '/nonexistent/gnuplot'");
    /* The tables and the script were still written. */
    cr_assert(eq(int, access(at("o/quantiles.csv"), F_OK), 0));
    cr_assert(eq(int, access(at("o/staleness-cdf.gp"), F_OK), 0));
}

/* A run directory with the trace's stage columns, written into tmp. */
static void write_traced_run(const char *dir)
{
    char p[512];
    mkdir(dir, 0755);
    snprintf(p, sizeof(p), "%s/manifest.json", dir);
    FILE *f = fopen(p, "w");
    cr_assert(not(eq(ptr, f, NULL)));
    fputs("{\"label\": \"traced\", \"mode\": \"hw\", \"seed\": 1, \"git_rev\": \"t\",\n"
          " \"params\": {\"sync_ext_us\": 1000}}\n", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/visibility.csv", dir);
    f = fopen(p, "w");
    cr_assert(not(eq(ptr, f, NULL)));
    fputs("area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped,sent_ns,rx_first_ns,"
          "rx_complete_ns,epoch_start_ns\n", f);
    /* stages 10, 40, 0, 5, 30 us, then 20, 60, 0, 5, 30 us */
    fputs("1,0,1,1000000,1,1085000,85000,0,1010000,1050000,1050000,1055000\n"
          "1,0,2,2000000,1,2115000,115000,0,2020000,2080000,2080000,2085000\n"
          "1,0,3,3000000,1,3100000,100000,0,3015000,3065000,3065000,3070000\n", f);
    fclose(f);
}

Test(cli, plot_stages, .init = make_tmp, .fini = remove_tmp, .timeout = 60)
{
    write_traced_run(at("traced"));
    cr_assert(eq(int, ANALYZE("-q", "--out", at("o"), "--plot-stages", at("traced"), SIM_1), 0),
              "%s", slurp(at("stderr"), NULL));
    expect_png(at("o/staleness-stages.png"));
    expect_pdf(at("o/staleness-stages.pdf"));
    /* medians: send 15, wire 50, receive 0, ready 5, epoch 30 us; the delay 100 us */
    expect_in_file(at("o/staleness-stages.dat"), "\"traced\" 15 50 0 5 30 100\n");
    expect_in_file(at("o/staleness-stages.gp"), "set style histogram rowstacked");
    /* the fixture without a trace is left out, and said so */
    expect_in_file(at("stderr"), "run 'ext 1 ms' has no stage columns");
    expect_in_file(at("o/summary.txt"), "send 0.015 wire 0.050 receive 0.000 ready 0.005 "
                                        "epoch 0.030");
    /* no run with a trace: an error naming what is missing */
    cr_assert(eq(int, ANALYZE("-q", "--out", at("o2"), "--plot-stages", SIM_1), 1));
    expect_in_file(at("stderr"), "no run has the stage columns of visibility.csv");
}

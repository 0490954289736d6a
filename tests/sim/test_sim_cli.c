/*
 * test_sim_cli.c — the tasvir-sim program, run as a user runs it.
 *
 * Covers: --help (exit 0); usage errors (unknown option, bad value, stray argument,
 * option without value, bad config file, bad or inconsistent relax / idlePoll / nodeCpu) exit 2 with a message naming the problem; a
 * missing calibration file exits 1; determinism: the same options and seed give
 * byte-identical output files (manifest, counters, the shared workload's per-node files and
 * their join, raw-frame counters, pcap), and another seed with link loss gives different
 * ones; the manifest records the seed, the parameters (as given, and flat with units for
 * the analysis), the workload, the clock offsets and the calibration; the run directory of
 * the default workload is what tasvir-analyze reads (it accepts it and reports the
 * visibility delay against the bound).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TASVIR_SIM_BIN
#error "TASVIR_SIM_BIN must name the tasvir-sim executable"
#endif
#ifndef TASVIR_ANALYZE_BIN
#error "TASVIR_ANALYZE_BIN must name the tasvir-analyze executable"
#endif

struct run {
    int status;
    char out[65536];
    char err[65536];
};

static void slurp(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
}

/* Run prog with args (NULL-terminated); capture exit status, stdout, stderr. */
static void run_prog(struct run *r, const char *prog, const char *const *args);

/* Run tasvir-sim with args (NULL-terminated); capture exit status, stdout, stderr. */
static void run_sim(struct run *r, const char *const *args)
{
    run_prog(r, TASVIR_SIM_BIN, args);
}

static void run_prog(struct run *r, const char *prog, const char *const *args)
{
    char outp[] = "/tmp/tasvir-cli-out-XXXXXX", errp[] = "/tmp/tasvir-cli-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    cr_assert(ge(int, ofd, 0));
    cr_assert(ge(int, efd, 0));
    const char *argv[64];
    int n = 0;
    argv[n++] = prog;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    cr_assert(ge(int, pid, 0));
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    cr_assert(eq(int, waitpid(pid, &st, 0), pid));
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    slurp(ofd, r->out, sizeof(r->out));
    slurp(efd, r->err, sizeof(r->err));
    close(ofd);
    close(efd);
    unlink(outp);
    unlink(errp);
}

static struct run R;

Test(sim_cli, help, .timeout = 30)
{
    const char *a[] = {"--help", NULL};
    run_sim(&R, a);
    cr_assert(eq(int, R.status, 0));
    cr_assert(not(eq(ptr, strstr(R.out, "--nodes=<uint>"), NULL)));
    cr_assert(not(eq(ptr, strstr(R.out, "--calibration=<path>"), NULL)));
}

static void expect_usage(const char *const *args, const char *msg)
{
    run_sim(&R, args);
    cr_assert(eq(int, R.status, 2), "exit %d, stderr: %s", R.status, R.err);
    cr_assert(not(eq(ptr, strstr(R.err, msg), NULL)), "stderr '%s' lacks '%s'", R.err, msg);
}

Test(sim_cli, usage_errors, .timeout = 30)
{
    const char *a1[] = {"--bogus=1", NULL};
    expect_usage(a1, "unknown option 'bogus'");
    const char *a2[] = {"--nodes=many", NULL};
    expect_usage(a2, "--nodes: expected an unsigned integer, got 'many'");
    const char *a3[] = {"stray", NULL};
    expect_usage(a3, "unexpected argument 'stray'");
    const char *a4[] = {"--nodes", NULL};
    expect_usage(a4, "option --nodes needs a value");
    const char *a5[] = {"--config=/nonexistent/sim.cfg", NULL};
    expect_usage(a5, "/nonexistent/sim.cfg: cannot open config file");
    const char *a6[] = {"--epochWindow=5us", NULL};
    expect_usage(a6, "checkinPeriod (10us) must be shorter than epochWindow (5us)");
    const char *a7[] = {"--relax=nap", NULL};
    expect_usage(a7, "--relax: expected one of spin, sleep, got 'nap'");
    const char *a8[] = {"--relax=sleep", "--idlePoll=0ns", NULL};
    expect_usage(a8, "idlePoll must be positive and at most 1s, got 0ns");
    const char *a9[] = {"--relax=sleep", "--nodeCpu=0,x", NULL};
    expect_usage(a9, "--nodeCpu: expected a comma list of CPU numbers 0..1023, got '0,x'");
    const char *a10[] = {"--relax=sleep", "--nodeCpu=0,", NULL};
    expect_usage(a10, "--nodeCpu: expected a comma list of CPU numbers 0..1023, got '0,'");
    const char *a11[] = {"--nodeCpu=0,1", NULL};
    expect_usage(a11, "nodeCpu needs relax=sleep");
}

Test(sim_cli, missing_calibration_fails, .timeout = 30)
{
    char dir[] = "/tmp/tasvir-cli-XXXXXX";
    cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
    char out[128];
    snprintf(out, sizeof(out), "--out=%s", dir);
    const char *a[] = {out, "--calibration=/nonexistent/x.calib", "--duration=1ms", NULL};
    run_sim(&R, a);
    cr_assert(eq(int, R.status, 1), "exit %d", R.status);
    cr_assert(not(eq(ptr, strstr(R.err, "/nonexistent/x.calib: cannot open calibration file"),
                      NULL)),
              "%s", R.err);
    rmdir(dir);
}

/* A calibration measured for another idle sleep than --idlePoll (relax=sleep) is used, with a
 * warning that names both; with the same sleep, or spinning threads, no warning. */
Test(sim_cli, calibration_for_another_idle_sleep_warns, .timeout = 60)
{
    char dir[] = "/tmp/tasvir-cli-XXXXXX";
    cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
    char out[128];
    snprintf(out, sizeof(out), "--out=%s/run", dir);
    /* the built-in calibration was measured with 20 us sleeps (timer_sleep_ns = 20000) */
    const char *a[] = {out, "--calibration=builtin", "--duration=2ms", "--relax=sleep",
                       "--idlePoll=100us", NULL};
    run_sim(&R, a);
    cr_assert(eq(int, R.status, 0), "exit %d: %s", R.status, R.err);
    cr_assert(not(eq(ptr, strstr(R.err, "tasvir-sim: warning: the calibration (builtin) measured "
                                        "timed sleeps of 20000 ns (timer_sleep_ns), but "
                                        "--idlePoll is 100000 ns"),
                     NULL)),
              "%s", R.err);
    const char *b[] = {out, "--calibration=builtin", "--duration=2ms", "--relax=sleep",
                       "--idlePoll=20us", NULL};
    run_sim(&R, b);
    cr_assert(eq(int, R.status, 0), "exit %d: %s", R.status, R.err);
    cr_assert(eq(ptr, strstr(R.err, "warning"), NULL), "%s", R.err);
    const char *c[] = {out, "--calibration=builtin", "--duration=2ms", "--idlePoll=100us", NULL};
    run_sim(&R, c);
    cr_assert(eq(int, R.status, 0), "exit %d: %s", R.status, R.err);
    cr_assert(eq(ptr, strstr(R.err, "warning"), NULL), "spinning threads: %s", R.err);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

/* Read a whole file; returns its length or -1. */
static long read_all(const char *path, char **buf)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc((size_t)n + 1);
    if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
        n = -1;
    fclose(f);
    return n;
}

static int same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    long nx = read_all(a, &x), ny = read_all(b, &y);
    int same = nx >= 0 && nx == ny && memcmp(x, y, (size_t)nx) == 0;
    free(x);
    free(y);
    return same;
}

static const char *const kFiles[] = {
    "manifest.json",         "counters.csv",       "links.csv",          "raw.csv",
    "samples.csv",           "versions.csv",       "visibility.csv",     "versions-node0.csv",
    "visible-node1.csv",     "samples-raw-node2.csv", "pcap/host-0.pcap", "pcap/host-1.pcap",
    "pcap/host-2.pcap"};

static void run_det(const char *dir, const char *seed)
{
    char out[160], seedarg[64];
    snprintf(out, sizeof(out), "--out=%s", dir);
    snprintf(seedarg, sizeof(seedarg), "--seed=%s", seed);
    const char *a[] = {out,
                       seedarg,
                       "--nodes=3",
                       "--subscription=all",
                       "--duration=30ms",
                       "--writeRate=5000",
                       "--writeArrival=poisson",
                       "--sampleRate=2000",
                       "--rawRate=20000",
                       "--rawDest=unicast",
                       "--lossRate=0.02",
                       "--pcap",
                       "--calibration=" TASVIR_DEFAULT_CALIBRATION,
                       NULL};
    run_sim(&R, a);
    cr_assert(eq(int, R.status, 0), "exit %d: %s", R.status, R.err);
}

Test(sim_cli, determinism, .timeout = 120)
{
    char base[] = "/tmp/tasvir-det-XXXXXX";
    cr_assert(not(eq(ptr, mkdtemp(base), NULL)));
    char dir[200], first[200], path_a[300], path_b[300];
    snprintf(dir, sizeof(dir), "%s/run", base);
    snprintf(first, sizeof(first), "%s/first", base);

    run_det(dir, "7");
    cr_assert(eq(int, rename(dir, first), 0), "%s", strerror(errno));
    run_det(dir, "7"); /* same options, same --out: byte-identical */
    for (size_t i = 0; i < sizeof(kFiles) / sizeof(kFiles[0]); i++) {
        snprintf(path_a, sizeof(path_a), "%s/%s", first, kFiles[i]);
        snprintf(path_b, sizeof(path_b), "%s/%s", dir, kFiles[i]);
        struct stat st;
        cr_assert(eq(int, stat(path_a, &st), 0), "%s missing", path_a);
        cr_assert(gt(long, (long)st.st_size, 0), "%s empty", path_a);
        cr_assert(same_file(path_a, path_b), "%s differs between identical runs", kFiles[i]);
    }

    /* The manifest says what ran. */
    char *m = NULL;
    snprintf(path_a, sizeof(path_a), "%s/manifest.json", first);
    cr_assert(gt(long, read_all(path_a, &m), 0));
    cr_assert(not(eq(ptr, strstr(m, "\"seed\": 7"), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"git_revision\""), NULL)));
    cr_assert(not(eq(ptr, strstr(m, "\"lossRate\": 0.02"), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"loss_pct\": 2"), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"mode\": \"sim\""), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"analytic_bound_ns\": "), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"fnv1a64\""), NULL)));
    cr_assert(not(eq(ptr, strstr(m, TASVIR_DEFAULT_CALIBRATION), NULL)));
    cr_assert(not(eq(ptr, strstr(m, "\"workload\": \"versioned\""), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"clock_skew_ns\": 10000000"), NULL)), "%s", m);
    cr_assert(not(eq(ptr, strstr(m, "\"clock_offsets_ns\": ["), NULL)), "%s", m);
    free(m);

    /* Another seed, with loss: different losses, phases and samples. */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert(eq(int, system(cmd), 0));
    run_det(dir, "8");
    const char *differ[] = {"raw.csv", "samples.csv", "links.csv", "visibility.csv"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path_a, sizeof(path_a), "%s/%s", first, differ[i]);
        snprintf(path_b, sizeof(path_b), "%s/%s", dir, differ[i]);
        cr_assert(not(same_file(path_a, path_b)), "%s identical across seeds", differ[i]);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    cr_assert(eq(int, system(cmd), 0));
}

/* The default workload writes what a hardware run writes (the shared module's per-node
 * files and their join), and tasvir-analyze reads it. */
Test(sim_cli, run_directory_for_tasvir_analyze, .timeout = 120)
{
    char base[] = "/tmp/tasvir-cli-an-XXXXXX";
    cr_assert(not(eq(ptr, mkdtemp(base), NULL)));
    char out[160], an[200];
    snprintf(out, sizeof(out), "--out=%s/run", base);
    snprintf(an, sizeof(an), "%s/analysis", base);
    const char *a[] = {out, "--nodes=3", "--subscription=all", "--duration=200ms",
                       "--label=ext 10 ms", NULL};
    run_sim(&R, a);
    cr_assert(eq(int, R.status, 0), "exit %d: %s", R.status, R.err);
    char run[200];
    snprintf(run, sizeof(run), "%s/run", base);
    const char *b[] = {"--out", an, "--bootstrap", "100", "--plot", run, NULL};
    run_prog(&R, TASVIR_ANALYZE_BIN, b);
    cr_assert(eq(int, R.status, 0), "tasvir-analyze exit %d: %s", R.status, R.err);
    cr_assert(not(eq(ptr, strstr(R.out, "ext 10 ms  sim"), NULL)), "%s", R.out);
    cr_assert(not(eq(ptr, strstr(R.out, "every version, superseded (skipped) ones included"),
                      NULL)), "%s", R.out);
    cr_assert(not(eq(ptr, strstr(R.out, "p99<=bound"), NULL)), "%s", R.out);
    /* simulator time is exact: the legend shows no clock error */
    char gp[260], *text = NULL;
    snprintf(gp, sizeof(gp), "%s/staleness-cdf.gp", an);
    cr_assert(gt(long, read_all(gp, &text), 0));
    cr_assert(not(eq(ptr, strstr(text, "'ext 10 ms'"), NULL)), "%s", text);
    cr_assert(eq(ptr, strstr(text, "clock ±"), NULL), "%s", text);
    free(text);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    cr_assert(eq(int, system(cmd), 0));
}

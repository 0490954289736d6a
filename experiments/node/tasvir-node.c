/*
 * tasvir-node — run one node of a hardware testbed: DPDK port, Tasvir node, sync engine on
 * the main lcore, workload threads on worker lcores, for a duration or until SIGINT/SIGTERM;
 * then results (manifest.json, counters.csv, samples.csv, dump.txt) in --out.
 *
 *   tasvir-node [EAL args] -- --config FILE --node N [options]
 *
 * Without EAL arguments (nothing before "--", or no "--" at all) the node's eal line from
 * the configuration is used, expanded as tasvir-hwconfig --eal-args does.  Arguments are
 * checked before EAL starts, so a bad one costs nothing and exits with status 2.
 *
 * Sections: options, setup (config, EAL, port, node, workload), the worker loop, the
 * engine loop with signals via signalfd (no global flag), shutdown and results.
 */
#include <errno.h>
#include <execinfo.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hwconfig.h"
#include "kicks.h"
#include "output.h"
#include "tasvir/dpdk.h"
#include "tasvir/tasvir.h"
#include "workload.h"

#define MAX_PARAMS 256
#define ORIGIN_LEN 96

struct opts {
    const char *config;
    unsigned node;
    int have_node;
    double duration_s;
    const char *out;
    const char *run_id;
    const char *iface;
    const char *workload;
    const char *param_key[MAX_PARAMS], *param_val[MAX_PARAMS];
    char *param_buf[MAX_PARAMS];
    char param_origin[MAX_PARAMS][ORIGIN_LEN]; /* "--param" or "FILE:LINE" */
    char param_kind[MAX_PARAMS]; /* 'n' node, 'w' workload, 'i' ignored (simulator only) */
    unsigned n_params;
    const char *label;
    uint64_t sync_int_us, sync_ext_us, epoch_window_us;
    uint64_t seed;
    int log_level;
    int quiet;
};

struct worker {
    struct app *app;
    unsigned idx, lcore;
    int rc;
    uint64_t steps, readmitted;
};

struct app {
    struct opts o;
    char run_buf[32], out_buf[256], label_buf[96];
    int argc_all;
    char **argv_all;
    char **eal_argv;  /* what EAL got (argv[0] included) */
    int eal_argc;
    struct tasvir_hwconfig *cfg;
    const struct tasvir_hwconfig_node *me;
    uint16_t *node_ids;
    int8_t *peer_up;              /* per testbed node: -1 unknown, 0 down, 1 up */
    uint64_t *peer_up_events, *peer_down_events;
    struct tasvir_peer *peers;
    const struct tnode_workload *wl_ops;
    void *wl_conf, *wl;
    struct tasvir_dpdk_port *port;
    struct tasvir_backend be;     /* the port's backend with kick/relax of this program */
    struct tasvir_backend_ops be_ops;
    struct tasvir_node *node;
    struct tasvir_node_conf nconf;
    struct worker *w;
    unsigned n_workers;
    _Atomic int stop;
    _Atomic unsigned running;
    _Atomic int worker_failed;
    int sigfd;
    uint64_t start_ns, end_ns;
    struct timespec start_wall;
    char stop_reason[64];
    int link_up_at_start;
    struct tnode_gaps gaps; /* time between successive engine polls */
    uint64_t stale_frames;  /* received before the node's first poll, dropped */
    struct tsv_trace *trace; /* the core's trace of the version path (trace-node<N>.csv) */
};

/* ---- options ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tasvir-node [EAL args] -- --config FILE --node N [options]\n"
            "\n"
            "Run one node of a Tasvir hardware testbed: its DPDK port, the sync engine on the\n"
            "main lcore and the workload's threads on worker lcores, for --duration seconds or\n"
            "until SIGINT/SIGTERM; then write the results into --out.\n"
            "Without EAL args the node's eal line from the configuration is used.\n"
            "\n"
            "  --config FILE        testbed description (hw-configs/NAME.ini)   [required]\n"
            "  --node N             which [node.N] this process is              [required]\n"
            "  --duration S         seconds to run; 0 = until a signal (10)\n"
            "  --out DIR            results directory (./tasvir-node-<run>-n<N>)\n"
            "  --run-id ID          {run} in the configuration (tsv<pid>)\n"
            "  --iface IF           {iface} in the configuration (the launcher sets it)\n"
            "  --workload NAME      what the worker threads do (%s)\n"
            "  --param KEY=VALUE    a parameter; repeatable (see below)\n"
            "  --params-file FILE   parameters as 'key = value' lines ('#' comments): the\n"
            "                       format of tasvir-sim --config, so one experiment file\n"
            "                       drives both (see below); later options win\n"
            "  --sync-int-us U      node default internal sync interval (1000)\n"
            "  --sync-ext-us U      node default external sync interval (10000)\n"
            "  --epoch-window-us U  epoch check-in window (the configuration's epoch_window_us)\n"
            "  --seed N             the run's seed; writers derive theirs from it and the\n"
            "                       node id (1)\n"
            "  --label TEXT         the run's label in manifest.json (testbed and intervals)\n"
            "  --log-level L        err, warn, info or debug (warn)\n"
            "  --quiet              no progress lines on stdout\n"
            "  --help               this text\n"
            "\n"
            "Node parameters (--param or the file; tasvir-sim's names and units):\n"
            "  syncInt=T, syncExt=T, epochWindow=T   as --sync-int-us, --sync-ext-us,\n"
            "                       --epoch-window-us, with a unit: 500us, 1ms, 0.01s\n"
            "  seed=N, workload=NAME, param=KEY=VALUE   as --seed, --workload, --param\n"
            "                       (workload=basic, tasvir-sim's built-in, means versioned)\n"
            "Simulator-only keys (nodes, mtu, addressing, hbPeriod, downAfter, linkRate,\n"
            "linkDelay, switchDelay, lossRate, queueFrames, hostQueueFrames, clockSkew,\n"
            "checkinPeriod, rawRate, rawBytes, rawDest, duration, out, calibration,\n"
            "scheduler, pcap, samples) are accepted in a --params-file and listed in the\n"
            "manifest as ignored: on hardware the testbed file and the launcher decide them.\n"
            "\n"
            "Results: manifest.json (mode hw, seed, git_rev, label, params, verdict, port,\n"
            "engine poll gaps, ...), counters.csv (scope,name,value), dump.txt, and the\n"
            "workload's files: versioned writes versions-node<N>.csv, visible-node<N>.csv and\n"
            "samples-raw-node<N>.csv (docs/data-formats.md); local writes samples.csv.\n"
            "Exit status: 0 ok; 1 run failed or an invariant was violated; 2 bad arguments\n"
            "or configuration.\n"
            "\n"
            "Workloads:\n", tnode_default_workload);
    for (const struct tnode_workload *const *w = tnode_workloads; *w; w++)
        fprintf(f, "  %s: %s\n%s", (*w)->name, (*w)->summary, (*w)->params_help);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
    va_list ap;
    fputs("tasvir-node: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see --help)\n", stderr);
    return 2;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *e;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || *e || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* tasvir-sim options that have no meaning for one tasvir-node (the testbed file and the
 * launcher decide them): accepted in a --params-file, listed in the manifest as ignored. */
static const char *const sim_only[] = {
    "nodes", "mtu", "addressing", "hbPeriod", "downAfter", "linkRate", "linkDelay",
    "switchDelay", "lossRate", "queueFrames", "hostQueueFrames", "clockSkew", "checkinPeriod",
    "rawRate", "rawBytes", "rawDest", "duration", "out", "calibration", "scheduler", "pcap",
    "samples", NULL,
};

/* A node-level time parameter: whole microseconds >= 1. */
static int time_us(const char *k, const char *v, const char *origin, uint64_t *us)
{
    uint64_t ns;
    if (tnode_parse_time_ns(v, &ns) || ns % 1000 || ns < 1000 || ns > 100000000000ull)
        return bad("%s: %s=%s: expected whole microseconds with a unit, 1us..100s (e.g. "
                   "500us, 1ms)", origin, k, v);
    *us = ns / 1000;
    return 0;
}

/* Append one parameter (key is the first klen bytes of k); node-level keys take effect
 * now, in order with the options (later ones win); workload keys are applied once the
 * workload is known. */
static int add_param(struct opts *o, const char *k, size_t klen, const char *v,
                     const char *origin)
{
    if (o->n_params == MAX_PARAMS)
        return bad("%s: at most %d parameters", origin, MAX_PARAMS);
    size_t vlen = strlen(v);
    char *b = malloc(klen + vlen + 2);
    if (!b)
        return bad("out of memory");
    memcpy(b, k, klen);
    b[klen] = 0;
    memcpy(b + klen + 1, v, vlen + 1);
    unsigned i = o->n_params++;
    o->param_buf[i] = b;
    o->param_key[i] = b;
    o->param_val[i] = v = b + klen + 1;
    snprintf(o->param_origin[i], ORIGIN_LEN, "%s", origin);
    o->param_kind[i] = 'n';
    k = b;
    uint64_t u;
    if (!strcmp(k, "syncInt"))
        return time_us(k, v, origin, &o->sync_int_us) ? 2 : 0;
    if (!strcmp(k, "syncExt"))
        return time_us(k, v, origin, &o->sync_ext_us) ? 2 : 0;
    if (!strcmp(k, "epochWindow"))
        return time_us(k, v, origin, &o->epoch_window_us) ? 2 : 0;
    if (!strcmp(k, "seed")) {
        if (parse_u64(v, 0, UINT64_MAX, &u))
            return bad("%s: seed=%s: expected a non-negative integer", origin, v);
        o->seed = u;
        return 0;
    }
    if (!strcmp(k, "workload")) {
        o->workload = strcmp(v, "basic") ? v : "versioned";
        return 0;
    }
    if (!strcmp(k, "param")) {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v)
            return bad("%s: param=%s: expected param=KEY=VALUE", origin, v);
        o->param_kind[i] = 'p';
        return add_param(o, v, (size_t)(eq - v), eq + 1, origin);
    }
    for (const char *const *x = sim_only; *x; x++)
        if (!strcmp(k, *x)) {
            if (!strcmp(origin, "--param"))
                return bad("--param %s: a tasvir-sim option; on hardware the testbed file "
                           "and the launcher decide it", k);
            o->param_kind[i] = 'i';
            return 0;
        }
    o->param_kind[i] = 'w';
    return 0;
}

/* A tasvir-sim --config file: "key = value" lines, '#' comments, blank lines. */
static int read_params_file(struct opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return bad("--params-file %s: cannot open: %s", path, strerror(errno));
    char line[1024], origin[ORIGIN_LEN];
    unsigned ln = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        ln++;
        size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            rc = bad("%s:%u: line longer than %zu characters", path, ln, sizeof(line) - 2);
            break;
        }
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char *b = line, *e = line + strlen(line);
        while (*b == ' ' || *b == '\t')
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
            *--e = 0;
        if (!*b)
            continue;
        char *eq = strchr(b, '=');
        if (!eq || eq == b) {
            rc = bad("%s:%u: expected 'key = value', got '%s'", path, ln, b);
            break;
        }
        char *ke = eq, *v = eq + 1;
        while (ke > b && (ke[-1] == ' ' || ke[-1] == '\t'))
            ke--;
        while (*v == ' ' || *v == '\t')
            v++;
        if (ke == b || !*v) {
            rc = bad("%s:%u: expected 'key = value', got '%s'", path, ln, b);
            break;
        }
        snprintf(origin, sizeof(origin), "%.80s:%u", path, ln);
        rc = add_param(o, b, (size_t)(ke - b), v, origin);
    }
    fclose(f);
    return rc;
}

/* Parse the application arguments; argv[0] is the program name.  Returns 0, 2 (usage
 * error, message printed) or -1 (--help printed: exit 0). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
    enum { O_CONFIG = 256, O_NODE, O_DURATION, O_OUT, O_RUN, O_IFACE, O_WL, O_PARAM,
           O_PFILE, O_SINT, O_SEXT, O_WIN, O_SEED, O_LABEL, O_LOG, O_QUIET, O_HELP };
    static const struct option lo[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"node", required_argument, NULL, O_NODE},
        {"duration", required_argument, NULL, O_DURATION},
        {"out", required_argument, NULL, O_OUT},
        {"run-id", required_argument, NULL, O_RUN},
        {"iface", required_argument, NULL, O_IFACE},
        {"workload", required_argument, NULL, O_WL},
        {"param", required_argument, NULL, O_PARAM},
        {"params-file", required_argument, NULL, O_PFILE},
        {"label", required_argument, NULL, O_LABEL},
        {"sync-int-us", required_argument, NULL, O_SINT},
        {"sync-ext-us", required_argument, NULL, O_SEXT},
        {"epoch-window-us", required_argument, NULL, O_WIN},
        {"seed", required_argument, NULL, O_SEED},
        {"log-level", required_argument, NULL, O_LOG},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->duration_s = 10;
    o->workload = tnode_default_workload;
    o->seed = 1;
    o->sync_int_us = 1000;
    o->sync_ext_us = 10000;
    o->log_level = TASVIR_LOG_WARN;
    optind = 1;
    opterr = 0;
    int c;
    uint64_t u;
    while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (c) {
        case O_CONFIG:
            o->config = optarg;
            break;
        case O_NODE:
            if (parse_u64(optarg, 0, TASVIR_MAX_NODES - 1, &u))
                return bad("--node %s: expected a node id in 0..%u", optarg, TASVIR_MAX_NODES - 1);
            o->node = (unsigned)u;
            o->have_node = 1;
            break;
        case O_DURATION: {
            char *e;
            errno = 0;
            double d = strtod(optarg, &e);
            if (errno || e == optarg || *e || !(d >= 0) || d > 1e7)
                return bad("--duration %s: expected seconds >= 0 (0 = until a signal)", optarg);
            o->duration_s = d;
            break;
        }
        case O_OUT:
            if (!*optarg)
                return bad("--out: expected a directory");
            o->out = optarg;
            break;
        case O_RUN:
            if (!*optarg || strlen(optarg) > 24 || strpbrk(optarg, "/ \t{}"))
                return bad("--run-id %s: expected 1..24 characters without '/', blanks or braces",
                           optarg);
            o->run_id = optarg;
            break;
        case O_IFACE:
            if (!*optarg || strlen(optarg) > 15)
                return bad("--iface %s: expected an interface name (1..15 characters)", optarg);
            o->iface = optarg;
            break;
        case O_WL:
            o->workload = optarg;
            break;
        case O_PARAM: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return bad("--param %s: expected KEY=VALUE", optarg);
            if (add_param(o, optarg, (size_t)(eq - optarg), eq + 1, "--param"))
                return 2;
            break;
        }
        case O_PFILE:
            if (read_params_file(o, optarg))
                return 2;
            break;
        case O_LABEL:
            if (!*optarg || strpbrk(optarg, ",\"") || strlen(optarg) > 200)
                return bad("--label %s: expected 1..200 characters without ',' or '\"'",
                           optarg);
            for (const char *c = optarg; *c; c++)
                if ((unsigned char)*c < 0x20)
                    return bad("--label: control characters are not allowed");
            o->label = optarg;
            break;
        case O_SINT:
        case O_SEXT:
        case O_WIN:
            if (parse_u64(optarg, 1, 100000000, &u))
                return bad("--%s %s: expected microseconds in 1..100000000",
                           c == O_SINT ? "sync-int-us" : c == O_SEXT ? "sync-ext-us"
                                                                     : "epoch-window-us",
                           optarg);
            if (c == O_SINT)
                o->sync_int_us = u;
            else if (c == O_SEXT)
                o->sync_ext_us = u;
            else
                o->epoch_window_us = u;
            break;
        case O_SEED:
            if (parse_u64(optarg, 0, UINT64_MAX, &u))
                return bad("--seed %s: expected a non-negative integer", optarg);
            o->seed = u;
            break;
        case O_LOG:
            if (!strcmp(optarg, "err"))
                o->log_level = TASVIR_LOG_ERR;
            else if (!strcmp(optarg, "warn"))
                o->log_level = TASVIR_LOG_WARN;
            else if (!strcmp(optarg, "info"))
                o->log_level = TASVIR_LOG_INFO;
            else if (!strcmp(optarg, "debug"))
                o->log_level = TASVIR_LOG_DEBUG;
            else
                return bad("--log-level %s: expected err, warn, info or debug", optarg);
            break;
        case O_QUIET:
            o->quiet = 1;
            break;
        case O_HELP:
            usage(stdout);
            return -1;
        case ':':
            return bad("%s needs a value", argv[optind - 1]);
        default:
            return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (!o->config)
        return bad("--config FILE is required");
    if (!o->have_node)
        return bad("--node N is required");
    return 0;
}

/* ---- workers ------------------------------------------------------------------------ */

/* ---- kicks ----------------------------------------------------------------------------
 *
 * With relax = sleep (CPUs shared with other work), threads sleep instead of polling, and
 * the core's scheduling hints (backend kick: an epoch started, the last thread checked in,
 * an epoch ended) wake them: workers wait for the next epoch or their next step, threads
 * inside an epoch wait for its end, and the engine waits during the check-in phase for the
 * last arrival.  Polling every few tens of microseconds instead cost each idle worker a
 * quarter of a CPU on the local testbeds, and the wake-up delays lengthened every epoch.
 * Every wait is also bounded (a missed hint costs a timeout, never a hang).  One node per
 * process: the counters are the process's. */
static struct {
    struct tnode_kicks k;     /* kicks.h */
    void (*relax)(void *ctx); /* the port's own relax */
} kicks;
static _Thread_local int tl_worker;

static void kick(void *ctx, enum tasvir_kick what)
{
    (void)ctx;
    tnode_kick(&kicks.k, what);
}

/* Between two -EAGAIN of tasvir_service_wait: a worker waits for the epoch's end, at
 * most 100 us (the engine copies alone meanwhile); the engine (retrying a full TX ring)
 * relaxes as the port does. */
static void relax(void *ctx)
{
    if (!tl_worker) {
        if (kicks.relax)
            kicks.relax(ctx);
        return;
    }
    tnode_wait_done(&kicks.k);
}

/* Nothing to do for a moment: the configuration's relax policy (as the backend's relax). */
static void idle(const struct app *a)
{
    if (a->cfg->relax == 2) {
        uint64_t ns = a->cfg->idle_sleep_us * 1000ull;
        struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
        nanosleep(&ts, NULL);
    } else if (a->cfg->relax == 0) {
        sched_yield();
    }
}

static int worker_main(void *arg)
{
    struct worker *wk = arg;
    struct app *a = wk->app;
    const struct tnode_workload *ops = a->wl_ops;
    struct tasvir_thread *t = NULL;
    tl_worker = 1;
    if (a->cfg->relax == 2)
        prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* short sleeps must stay short */
    int rc = tasvir_thread_register(a->node, &t);
    if (rc == 0) {
        rc = tasvir_thread_activate(t);
        if (rc == -EAGAIN) /* an epoch is running: check in before touching areas */
            rc = tasvir_service_wait(t);
        if (rc > 0)
            rc = 0;
    }
    if (rc == 0 && ops->thread_init)
        rc = ops->thread_init(a->wl, wk->idx, t);
    if (rc) {
        fprintf(stderr, "tasvir-node: worker %u (lcore %u) could not start: %s\n", wk->idx,
                wk->lcore, tasvir_strerror(rc));
        goto out;
    }
    uint64_t next = 0;
    bool kicked = a->cfg->relax == 2;
    while (!atomic_load_explicit(&a->stop, memory_order_acquire)) {
        uint32_t seen = atomic_load_explicit(&kicks.k.epoch, memory_order_acquire);
        int s = tasvir_service_wait(t);
        if (s < 0) {
            rc = s;
            fprintf(stderr, "tasvir-node: worker %u: tasvir_service: %s\n", wk->idx,
                    tasvir_strerror(s));
            break;
        }
        if (s == TASVIR_SERVICE_READMITTED) {
            wk->readmitted++;
            if (ops->thread_readmitted)
                ops->thread_readmitted(a->wl, wk->idx, t);
        }
        uint64_t now = tasvir_node_now_ns(a->node);
        if (ops->thread_checkin)
            ops->thread_checkin(a->wl, wk->idx, t, now);
        if (now >= next) {
            rc = ops->thread_step(a->wl, wk->idx, t, now, &next);
            wk->steps++;
            if (rc) {
                fprintf(stderr, "tasvir-node: worker %u: workload step failed: %s\n", wk->idx,
                        tasvir_strerror(rc));
                break;
            }
        } else if (kicked) {
            /* until the next epoch starts or the next step is due (at most 2 ms) */
            uint64_t wait = next - now < 2000000 ? next - now : 2000000;
            tnode_futex_wait(&kicks.k.epoch, seen, wait);
        } else {
            idle(a);
        }
    }
    if (ops->thread_fini)
        ops->thread_fini(a->wl, wk->idx, t);
out:
    if (t)
        tasvir_thread_deactivate(t);
    wk->rc = rc;
    if (rc)
        atomic_store(&a->worker_failed, 1);
    atomic_fetch_sub_explicit(&a->running, 1, memory_order_release);
    return rc ? 1 : 0;
}

/* ---- engine loop -------------------------------------------------------------------- */

/* Liveness transitions of every other testbed node, sampled by the engine every ms. */
static void watch_peers(struct app *a)
{
    for (unsigned i = 0; i < a->cfg->n_nodes; i++) {
        struct tasvir_peer_info pi;
        if (a->node_ids[i] == a->o.node ||
            tasvir_node_peer_info(a->node, a->node_ids[i], &pi) != 0)
            continue;
        int up = pi.up ? 1 : 0;
        if (a->peer_up[i] != up) {
            if (up)
                a->peer_up_events[i]++;
            else if (a->peer_up[i] == 1)
                a->peer_down_events[i]++;
            a->peer_up[i] = (int8_t)up;
        }
    }
}

/* Returns the signal number if one arrived, else 0. */
static int signal_pending(int fd)
{
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof(si));
    return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

/* Frames that arrived while the port waited for its link, the node was created and the
 * workers started were sent before this incarnation announced itself: not for it (one of
 * them, a heartbeat listing a predecessor's subscriptions, once made a restarted node skip
 * subscribing; the core now tells incarnations apart).  Drop them right before the
 * engine's first poll. */
static void drop_stale_frames(struct app *a)
{
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(a->port);
    struct tasvir_frame *stale[64];
    unsigned got;
    while ((got = be->ops->rx_burst(be->ctx, stale, 64)) > 0) {
        be->ops->frame_free(be->ctx, stale, got);
        a->stale_frames += got;
    }
}

static void engine_loop(struct app *a)
{
    drop_stale_frames(a);
    if (a->cfg->relax == 2)
        prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    uint64_t deadline = a->o.duration_s > 0
                            ? a->start_ns + (uint64_t)(a->o.duration_s * 1e9)
                            : UINT64_MAX;
    uint64_t check_at = 0, last_poll = 0;
    bool kicked = a->cfg->relax == 2;
    for (;;) {
        uint64_t next = UINT64_MAX;
        uint32_t seen = atomic_load_explicit(&kicks.k.engine, memory_order_acquire);
        uint64_t before = tasvir_node_now_ns(a->node);
        if (last_poll)
            tnode_gaps_add(&a->gaps, before - last_poll);
        last_poll = before;
        int rc = tasvir_node_poll(a->node, &next);
        uint64_t now = tasvir_node_now_ns(a->node);
        if (now >= check_at) {
            int sig = signal_pending(a->sigfd);
            if (sig) {
                snprintf(a->stop_reason, sizeof(a->stop_reason), "signal %s", strsignal(sig));
                break;
            }
            if (now >= deadline) {
                snprintf(a->stop_reason, sizeof(a->stop_reason), "duration");
                break;
            }
            if (atomic_load(&a->worker_failed)) {
                snprintf(a->stop_reason, sizeof(a->stop_reason), "worker error");
                break;
            }
            watch_peers(a);
            check_at = now + 1000000; /* 1 ms */
        }
        /* Nothing to do before the next deadline: give shared CPUs away (kicks.h: the
         * check-in phase of an epoch until the last arrival kicks, idle idle_sleep_us at a time,
         * a nearer deadline by polling). */
        uint64_t sleep = tnode_engine_sleep_ns(rc, now, next, a->cfg->idle_sleep_us * 1000ull);
        if (sleep) {
            if (kicked)
                tnode_futex_wait(&kicks.k.engine, seen, sleep);
            else
                idle(a);
        }
    }
    a->end_ns = tasvir_node_now_ns(a->node);
    /* Workers may be inside an epoch: keep the engine going until they have all left. */
    atomic_store_explicit(&a->stop, 1, memory_order_release);
    kick(NULL, TASVIR_KICK_EPOCH); /* wake waiting workers: they see stop */
    uint64_t drain_end = tasvir_node_now_ns(a->node) + 10000000000ull;
    while (atomic_load_explicit(&a->running, memory_order_acquire) > 0) {
        tasvir_node_poll(a->node, NULL);
        if (tasvir_node_now_ns(a->node) > drain_end) {
            fprintf(stderr, "tasvir-node: %u worker(s) did not stop within 10 s\n",
                    atomic_load(&a->running));
            break;
        }
        idle(a);
    }
}

/* ---- setup and main ----------------------------------------------------------------- */

static int make_dirs(const char *path)
{
    char buf[512];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return -errno;
    return 0;
}

/* Whether this node's EAL arguments make it a net_memif client (role=client; the PMD's
 * default role is server). */
static bool memif_client(const struct app *a)
{
    for (int i = 0; a->eal_argv && a->eal_argv[i]; i++)
        if (strstr(a->eal_argv[i], "net_memif") && strstr(a->eal_argv[i], "role=client"))
            return true;
    return false;
}

static void app_free(struct app *a)
{
    for (unsigned i = 0; i < a->o.n_params; i++)
        free(a->o.param_buf[i]);
    if (a->wl && a->wl_ops)
        a->wl_ops->destroy(a->wl);
    if (a->wl_conf && a->wl_ops)
        a->wl_ops->conf_free(a->wl_conf);
    tasvir_hwconfig_free(a->cfg);
    tasvir_hwconfig_argv_free(a->eal_argv);
    free(a->node_ids);
    free(a->peer_up);
    free(a->peer_up_events);
    free(a->peer_down_events);
    free(a->peers);
    free(a->w);
    if (a->sigfd >= 0)
        close(a->sigfd);
}

/* Everything that can be checked before EAL: options, configuration, workload, EAL args. */
static int prepare(struct app *a, int argc, char **argv)
{
    int dd = -1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dd = i;
            break;
        }
    /* App args: after "--", or all of them when there is no "--". */
    int app_first = dd >= 0 ? dd + 1 : 1;
    int app_argc = argc - app_first + 1;
    char **app_argv = calloc((size_t)app_argc + 1, sizeof(*app_argv));
    if (!app_argv)
        return 1;
    app_argv[0] = argv[0];
    for (int i = app_first; i < argc; i++)
        app_argv[i - app_first + 1] = argv[i];
    int rc = parse_opts(app_argc, app_argv, &a->o);
    free(app_argv);
    if (rc)
        return rc;
    struct opts *o = &a->o;
    if (!o->run_id) {
        snprintf(a->run_buf, sizeof(a->run_buf), "tsv%ld", (long)getpid());
        o->run_id = a->run_buf;
    }
    if (!o->out) {
        snprintf(a->out_buf, sizeof(a->out_buf), "tasvir-node-%s-n%u", o->run_id, o->node);
        o->out = a->out_buf;
    }
    char err[1024];
    if (tasvir_hwconfig_load(o->config, &a->cfg, err, sizeof(err))) {
        fprintf(stderr, "tasvir-node: %s\n", err);
        return 2;
    }
    a->me = tasvir_hwconfig_node(a->cfg, o->node);
    if (!a->me) {
        fprintf(stderr, "tasvir-node: --node %u: %s has no [node.%u]\n", o->node, o->config,
                o->node);
        return 2;
    }
    a->wl_ops = tnode_workload_find(o->workload);
    if (!a->wl_ops)
        return bad("--workload %s: unknown workload", o->workload);
    if (a->wl_ops->conf_create(&a->wl_conf))
        return 1;
    for (unsigned i = 0; i < o->n_params; i++) {
        if (o->param_kind[i] != 'w')
            continue;
        if (a->wl_ops->conf_set(a->wl_conf, o->param_key[i], o->param_val[i], err, sizeof(err))) {
            if (strcmp(o->param_origin[i], "--param"))
                fprintf(stderr, "tasvir-node: %s: %s\n", o->param_origin[i], err);
            else
                fprintf(stderr, "tasvir-node: %s\n", err);
            return 2;
        }
    }
    if (a->wl_ops->conf_check && a->wl_ops->conf_check(a->wl_conf, err, sizeof(err))) {
        fprintf(stderr, "tasvir-node: %s\n", err);
        return 2;
    }
    a->n_workers = a->wl_ops->threads(a->wl_conf);
    if (!o->epoch_window_us)
        o->epoch_window_us = a->cfg->epoch_window_us;
    if (!o->label) {
        uint64_t x = o->sync_ext_us;
        if (x % 1000 == 0)
            snprintf(a->label_buf, sizeof(a->label_buf), "%s ext %llu ms", a->cfg->name,
                     (unsigned long long)(x / 1000));
        else
            snprintf(a->label_buf, sizeof(a->label_buf), "%s ext %llu us", a->cfg->name,
                     (unsigned long long)x);
        o->label = a->label_buf;
    }
    /* EAL arguments: the command line's, or the configuration's. */
    if (dd > 1) {
        a->eal_argc = dd;
        a->eal_argv = calloc((size_t)dd + 1, sizeof(char *));
        if (!a->eal_argv)
            return 1;
        for (int i = 0; i < dd; i++)
            if (!(a->eal_argv[i] = strdup(argv[i])))
                return 1;
    } else {
        struct tasvir_hwconfig_vars v = {o->run_id, o->iface};
        char **ea;
        int n = tasvir_hwconfig_eal_argv(a->cfg, a->me, &v, &ea, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "tasvir-node: %s\n", err);
            return 2;
        }
        a->eal_argv = calloc((size_t)n + 2, sizeof(char *));
        if (!a->eal_argv) {
            tasvir_hwconfig_argv_free(ea);
            return 1;
        }
        a->eal_argv[0] = strdup(argv[0]);
        for (int i = 0; i < n; i++)
            a->eal_argv[i + 1] = ea[i];
        free(ea);
        a->eal_argc = n + 1;
        if (a->n_workers > a->me->n_lcores - 1) {
            fprintf(stderr, "tasvir-node: workload %s needs %u worker lcores; [node.%u] of %s "
                    "has %u (lcores = %s: the first is the sync engine's)\n", o->workload,
                    a->n_workers, o->node, o->config, a->me->n_lcores - 1, a->me->lcores);
            return 2;
        }
    }
    a->node_ids = calloc(a->cfg->n_nodes, sizeof(*a->node_ids));
    a->peer_up = malloc(a->cfg->n_nodes);
    a->peer_up_events = calloc(a->cfg->n_nodes, sizeof(uint64_t));
    a->peer_down_events = calloc(a->cfg->n_nodes, sizeof(uint64_t));
    if (!a->node_ids || !a->peer_up || !a->peer_up_events || !a->peer_down_events)
        return 1;
    memset(a->peer_up, -1, a->cfg->n_nodes);
    for (unsigned i = 0; i < a->cfg->n_nodes; i++)
        a->node_ids[i] = a->cfg->nodes[i].id;
    return 0;
}

static int start(struct app *a)
{
    struct tasvir_dpdk_conf pc;
    tasvir_dpdk_conf_init(&pc);
    const struct tasvir_hwconfig *c = a->cfg;
    pc.node_id = (uint16_t)a->o.node;
    pc.port_name = a->me->port;
    pc.mtu = c->mtu;
    pc.rx_desc = (uint16_t)c->rx_desc;
    pc.tx_desc = (uint16_t)c->tx_desc;
    pc.mbufs = c->mbufs;
    pc.mbuf_cache = c->mbuf_cache;
    pc.rx_filter = c->promiscuous ? TASVIR_DPDK_RX_PROMISC : TASVIR_DPDK_RX_MCAST;
    pc.clock = c->clock_monotonic ? TASVIR_DPDK_CLOCK_MONOTONIC : TASVIR_DPDK_CLOCK_TSC;
    pc.relax = c->relax == 1 ? TASVIR_DPDK_RELAX_PAUSE
               : c->relax == 2 ? TASVIR_DPDK_RELAX_SLEEP
                               : TASVIR_DPDK_RELAX_YIELD;
    pc.mac_set = a->me->has_mac;
    memcpy(pc.mac, a->me->mac, 6);
    int rc = tasvir_dpdk_port_create(&pc, &a->port);
    if (rc) {
        fprintf(stderr, "tasvir-node: node %u: port setup failed: %s (details above)\n",
                a->o.node, tasvir_strerror(rc));
        return 1;
    }
    a->link_up_at_start = tasvir_dpdk_link_wait(a->port, c->link_wait_ms) == 0;
    if (!a->link_up_at_start)
        fprintf(stderr, "tasvir-node: node %u: link still down after %u ms; running anyway\n",
                a->o.node, c->link_wait_ms);
    tasvir_node_conf_init(&a->nconf);
    /* The port's backend, with this program's kick and relax when threads sleep. */
    const struct tasvir_backend *pb = tasvir_dpdk_port_backend(a->port);
    a->be_ops = *pb->ops;
    a->be = (struct tasvir_backend){&a->be_ops, pb->ctx};
    if (c->relax == 2) {
        kicks.relax = pb->ops->relax;
        a->be_ops.kick = kick;
        a->be_ops.relax = relax;
    }
    a->nconf.backend = &a->be;
    a->nconf.epoch_window_ns = a->o.epoch_window_us * 1000ull;
    a->nconf.sync_int_us = a->o.sync_int_us;
    a->nconf.sync_ext_us = a->o.sync_ext_us;
    a->nconf.log_fn = tasvir_dpdk_log;
    a->nconf.log_level = a->o.log_level;
    /* The version path's steps, for the stage columns of visibility.csv (joined with the
     * workload's files, so only for a workload that writes them): a few records per
     * version and subscriber; the buffer's pages are touched only as records arrive. */
    if (a->wl_ops->write_files) {
        a->trace = tsv_trace_new((size_t)1 << 20, false);
        if (!a->trace)
            return 1;
        a->nconf.trace_fn = tsv_trace_sink;
        a->nconf.trace_arg = a->trace;
    }
    /* External synchronization: the testbed's members, its root, addressing and MTU. */
    a->peers = calloc(c->n_nodes ? c->n_nodes : 1, sizeof(*a->peers));
    if (!a->peers)
        return 1;
    for (unsigned i = 0; i < c->n_nodes; i++) {
        const struct tasvir_hwconfig_node *pn = &c->nodes[i];
        if (pn->id == a->o.node || !pn->has_mac)
            continue; /* nodes without a configured MAC are learnt from the directory */
        a->peers[a->nconf.n_peers].node_id = pn->id;
        memcpy(a->peers[a->nconf.n_peers].mac, pn->mac, 6);
        a->nconf.n_peers++;
    }
    a->nconf.peers = a->peers;
    a->nconf.root_node = (uint16_t)c->root_node;
    a->nconf.addressing = c->addressing == TASVIR_HWCONFIG_ADDR_MULTICAST ? TASVIR_ADDR_MULTICAST
                                                                          : TASVIR_ADDR_UNICAST;
    a->nconf.mtu = c->mtu;
    a->nconf.hb_period_us = c->hb_period_us;
    a->nconf.down_after_hb = c->down_after_hb;
    a->nconf.nack_gap_us = c->nack_gap_us;
    a->nconf.copy_isa = c->copy_isa;
    if (a->n_workers + 1 > a->nconf.max_threads)
        a->nconf.max_threads = a->n_workers + 1;
    if ((rc = tasvir_node_create(&a->nconf, &a->node))) {
        if (rc == -ENOTSUP)
            fprintf(stderr, "tasvir-node: node %u: copy_isa = %s in %s, but this CPU lacks "
                    "its instructions (use auto or baseline)\n", a->o.node,
                    tasvir_copy_isa_name(c->copy_isa), c->path);
        else
            fprintf(stderr, "tasvir-node: node %u: tasvir_node_create: %s\n", a->o.node,
                    tasvir_strerror(rc));
        return 1;
    }

    struct tnode_wl_env env = {
        .node = a->node,
        .node_id = (uint16_t)a->o.node,
        .n_nodes = c->n_nodes,
        .node_ids = a->node_ids,
        .n_threads = a->n_workers,
        .seed = a->o.seed,
    };
    if ((rc = a->wl_ops->create(a->wl_conf, &env, &a->wl))) {
        fprintf(stderr, "tasvir-node: workload %s: %s\n", a->o.workload, tasvir_strerror(rc));
        a->wl = NULL;
        return 1;
    }
    a->w = calloc(a->n_workers ? a->n_workers : 1, sizeof(*a->w));
    if (!a->w)
        return 1;
    clock_gettime(CLOCK_REALTIME, &a->start_wall);
    a->start_ns = tasvir_node_now_ns(a->node);
    for (unsigned i = 0; i < a->n_workers; i++) {
        a->w[i].app = a;
        a->w[i].idx = i;
        atomic_fetch_add(&a->running, 1);
        rc = tasvir_dpdk_worker_launch(i, worker_main, &a->w[i], &a->w[i].lcore);
        if (rc) {
            atomic_fetch_sub(&a->running, 1);
            fprintf(stderr, "tasvir-node: cannot launch worker %u: %s\n", i, tasvir_strerror(rc));
            atomic_store(&a->worker_failed, 1);
            break;
        }
    }
    return 0;
}

/* A fatal signal's report on stderr: which signal and the stack (raw addresses and symbols,
 * written without allocating), then the default action, so the exit status still says
 * what happened (139 for SIGSEGV).  A crash inside DPDK after the results are written
 * then says where it happened; docs/testbed.md lists the ones seen. */
static void on_fatal(int sig)
{
    char head[64] = "tasvir-node: fatal signal ";
    size_t len = strlen(head), d = 0;
    char digits[12];
    for (unsigned v = (unsigned)sig; d == 0 || v; v /= 10)
        digits[d++] = (char)('0' + v % 10);
    while (d)
        head[len++] = digits[--d];
    memcpy(head + len, "; stack:\n", 10);
    len += 9;
    void *frames[64];
    (void)!write(STDERR_FILENO, head, len);
    int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    raise(sig); /* SA_RESETHAND: the default action now */
}

static void catch_fatal_signals(void)
{
    void *warm[1];
    (void)backtrace(warm, 1); /* loads what backtrace needs now, not in the handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

int main(int argc, char **argv)
{
    catch_fatal_signals();
    struct app *a = calloc(1, sizeof(*a));
    if (!a)
        return 1;
    a->sigfd = -1;
    a->argc_all = argc;
    a->argv_all = argv;
    int rc = prepare(a, argc, argv);
    if (rc) {
        app_free(a);
        free(a);
        return rc < 0 ? 0 : rc;
    }
    /* Signals: blocked in every thread (EAL's inherit this mask), read through a signalfd
     * by the engine loop. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a->sigfd < 0) {
        perror("tasvir-node: signalfd");
        app_free(a);
        free(a);
        return 1;
    }
    if ((rc = make_dirs(a->o.out))) {
        fprintf(stderr, "tasvir-node: --out %s: cannot create: %s\n", a->o.out, strerror(-rc));
        app_free(a);
        free(a);
        return 1;
    }
    /* rte_eal_init may permute its argv: give it a copy. */
    char **eal_copy = calloc((size_t)a->eal_argc + 1, sizeof(char *));
    if (!eal_copy)
        return 1;
    memcpy(eal_copy, a->eal_argv, (size_t)a->eal_argc * sizeof(char *));
    rc = tasvir_dpdk_eal_init(a->eal_argc, eal_copy);
    free(eal_copy);
    if (rc < 0) {
        fprintf(stderr, "tasvir-node: node %u: EAL init failed: %s (EAL's message above)\n",
                a->o.node, strerror(-rc));
        app_free(a);
        free(a);
        return 1;
    }
    int status = 0;
    if (tasvir_dpdk_worker_count() < a->n_workers) {
        fprintf(stderr, "tasvir-node: workload %s needs %u worker lcores, EAL has %u (give "
                "more with -l/--lcores)\n", a->o.workload, a->n_workers,
                tasvir_dpdk_worker_count());
        status = 2;
        goto eal_down;
    }
    if (start(a)) {
        status = 1;
        atomic_store(&a->stop, 1);
        if (!a->node)
            goto port_down;
        a->end_ns = tasvir_node_now_ns(a->node);
        snprintf(a->stop_reason, sizeof(a->stop_reason), "setup error");
    } else {
        if (!a->o.quiet) {
            struct tasvir_dpdk_port_info pi;
            tasvir_dpdk_port_info(a->port, &pi);
            printf("tasvir-node: node %u of %s: port %s (%s) mac %02x:%02x:%02x:%02x:%02x:%02x "
                   "mtu %u link %s; workload %s on %u worker lcore(s); %s\n",
                   a->o.node, a->cfg->name, pi.name, pi.driver, pi.mac[0], pi.mac[1],
                   pi.mac[2], pi.mac[3], pi.mac[4], pi.mac[5], pi.mtu,
                   pi.link_up ? "up" : "down", a->o.workload, a->n_workers,
                   a->o.duration_s > 0 ? "running" : "running until a signal");
            fflush(stdout);
        }
        engine_loop(a);
    }
    tasvir_dpdk_workers_wait();
    if (atomic_load(&a->worker_failed) && status == 0)
        status = 1;
    char verdict[512] = "not run";
    int vrc = a->wl ? a->wl_ops->verdict(a->wl, verdict, sizeof(verdict)) : 1;
    if (vrc && status == 0)
        status = 1;
    struct tnode_results res = {
        .out_dir = a->o.out,
        .argc = a->argc_all,
        .argv = a->argv_all,
        .eal_argc = a->eal_argc,
        .eal_argv = a->eal_argv,
        .cfg = a->cfg,
        .node_id = a->o.node,
        .run_id = a->o.run_id,
        .workload = a->wl_ops,
        .wl = a->wl,
        .wl_conf = a->wl_conf,
        .param_key = a->o.param_key,
        .param_val = a->o.param_val,
        .param_origin = (const char (*)[96])a->o.param_origin,
        .param_kind = a->o.param_kind,
        .n_params = a->o.n_params,
        .label = a->o.label,
        .seed = a->o.seed,
        .gaps = &a->gaps,
        .port = a->port,
        .node = a->node,
        .nconf = &a->nconf,
        .start_wall = a->start_wall,
        .start_ns = a->start_ns,
        .end_ns = a->end_ns,
        .duration_s = a->o.duration_s,
        .stop_reason = a->stop_reason,
        .verdict_ok = vrc == 0,
        .verdict = verdict,
        .link_up_at_start = a->link_up_at_start,
        .n_workers = a->n_workers,
        .node_ids = a->node_ids,
        .peer_up_events = a->peer_up_events,
        .peer_down_events = a->peer_down_events,
    };
    for (unsigned i = 0; i < a->n_workers && a->w; i++) {
        res.worker_lcore[i < TNODE_MAX_WORKERS ? i : TNODE_MAX_WORKERS - 1] = a->w[i].lcore;
        res.worker_steps += a->w[i].steps;
        res.worker_readmitted += a->w[i].readmitted;
    }
    res.stale_frames = a->stale_frames;
    res.trace = a->trace;
    res.exit_status = status;
    if (tnode_results_write(&res) != 0 && status == 0)
        status = 1;
    if (!a->o.quiet) {
        printf("tasvir-node: node %u stopped (%s); verdict: %s; results in %s\n", a->o.node,
               a->stop_reason[0] ? a->stop_reason : "?", verdict, a->o.out);
        fflush(stdout);
    }
    tasvir_node_destroy(a->node);
    tsv_trace_free(a->trace);
    a->trace = NULL;
port_down:
    if (a->port) {
        /* net_memif (DPDK 22.11) handles a peer's hang-up in EAL's interrupt thread, which
         * frees the PMD's memory; if that runs while this thread closes the port (both
         * nodes stop at the same time) or while rte_eal_cleanup tears memory down, the
         * process crashes after its results are written (seen in rte_mempool_free and in
         * the interrupt thread).  So the two sides close in turn: the client hangs up
         * first; the server waits up to 2 s for that hang-up (link down), and for it to be
         * handled, before it closes.  Both then give the interrupt thread a moment to drop
         * its callbacks before EAL cleanup.  (Both sides waiting up to 0.5 s for the other,
         * as before, closed both at once when both stopped together: the server crashed so
         * once in tests/dpdk's run_memif, in a CI run.) */
        struct tasvir_dpdk_port_info pi;
        bool memif = tasvir_dpdk_port_info(a->port, &pi) == 0 && !strcmp(pi.driver, "net_memif");
        bool server = memif && !memif_client(a);
        struct timespec tick = {0, 10000000};
        for (int i = 0; server && i < 200; i++) {
            if (tasvir_dpdk_port_info(a->port, &pi) || !pi.link_up)
                break;
            nanosleep(&tick, NULL);
        }
        if (memif)
            nanosleep(&(struct timespec){0, 50000000}, NULL);
        tasvir_dpdk_port_destroy(a->port);
        if (memif)
            nanosleep(&(struct timespec){0, 200000000}, NULL);
    }
eal_down:
    tasvir_dpdk_eal_cleanup();
    app_free(a);
    free(a);
    return status;
}

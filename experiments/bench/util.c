/*
 * util.c — helpers shared by the tasvir-bench subcommands: TSC calibration, CPU list and
 * pinning, the host CPU's description, medians, option parsing with errors that name the
 * option, CSV rows, and a real-clock loopback node with an optional sync-engine thread.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Process-wide measurement context of the bench program (not of the Tasvir core, which
 * has no globals): the calibrated tick rate and the allowed CPUs, set once in main. */
static double ticks_per_ns = 1.0;
static int cpus[CPU_SETSIZE];
static unsigned ncpus;
static _Atomic int pin_warned;

uint64_t bench_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int bench_cpu_time(struct bench_cpu_time *t)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    char line[512];
    unsigned long long v[8] = {0};
    unsigned n_cpu = 0;
    int ret = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "cpu", 3) != 0)
            break; /* the per-CPU lines follow the total, and come first */
        if (line[3] == ' ') {
            /* user nice system idle iowait irq softirq steal */
            if (sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8)
                ret = 0;
        } else {
            n_cpu++;
        }
    }
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    struct timespec own;
    if (ret || hz <= 0 || !n_cpu || clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &own))
        return -1;
    const uint64_t tick = 1000000000ull / (uint64_t)hz;
    t->mono_ns = bench_mono_ns();
    t->idle_ns = (uint64_t)(v[3] + v[4]) * tick;
    t->steal_ns = (uint64_t)v[7] * tick;
    t->own_ns = (uint64_t)own.tv_sec * 1000000000ull + (uint64_t)own.tv_nsec;
    t->cpus = n_cpu;
    return 0;
}

uint64_t bench_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_other_thread_cpu_ns(pthread_t tid)
{
    clockid_t cid;
    struct timespec ts;
    if (pthread_getcpuclockid(tid, &cid) || clock_gettime(cid, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_calibrate(unsigned ms)
{
#if BENCH_HAVE_TSC
    /* Best of three short windows: a preemption only makes a window longer on both
     * clocks, but a window where the ratio is most consistent wins. */
    double best = 0;
    double prev = 0;
    for (int i = 0; i < 3; i++) {
        uint64_t n0 = bench_mono_ns(), t0 = bench_ticks();
        uint64_t end = n0 + (uint64_t)ms * 1000000ull / 3 + 1;
        uint64_t n1;
        while ((n1 = bench_mono_ns()) < end)
            ;
        uint64_t t1 = bench_ticks();
        double r = (double)(t1 - t0) / (double)(n1 - n0);
        if (i == 0 || fabs(r - prev) < fabs(best - prev))
            best = r;
        prev = r;
    }
    ticks_per_ns = best > 0 ? best : 1.0;
#else
    (void)ms;
    ticks_per_ns = 1.0;
#endif
}

double bench_ticks_per_ns(void) { return ticks_per_ns; }

void bench_cpus_init(void)
{
    cpu_set_t set;
    ncpus = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                cpus[ncpus++] = c;
}

unsigned bench_ncpus(void) { return ncpus; }

int bench_cpu(unsigned i) { return ncpus ? cpus[i % ncpus] : -1; }

void bench_pin_self(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc && !atomic_exchange(&pin_warned, 1))
        bench_info("warning: cannot pin a thread to CPU %d: %s (running unpinned)", cpu,
                   strerror(rc));
}

void bench_unpin_self(void)
{
    if (!ncpus)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned i = 0; i < ncpus; i++)
        CPU_SET(cpus[i], &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The value of the first /proc/cpuinfo line whose key is `key` (up to the ':'), or "". */
static void cpuinfo_value(const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    size_t klen = strlen(key);
    while (fgets(line, sizeof(line), f)) {
        char *c = strchr(line, ':');
        /* the key, then only blanks up to the ':' ("model" must not match "model name") */
        if (!c || strncmp(line, key, klen) != 0 ||
            strspn(line + klen, " \t") != (size_t)(c - line) - klen)
            continue;
        c++;
        c += strspn(c, " \t");
        c[strcspn(c, "\n")] = '\0';
        snprintf(buf, len, "%s", c);
        break;
    }
    fclose(f);
}

void bench_cpu_model(char *buf, size_t len)
{
    cpuinfo_value("model name", buf, len);
    if (!buf[0])
        snprintf(buf, len, "unknown CPU");
}

/* The first line of attribute `name` of cache `index` of CPU `cpu` in sysfs, without its
 * newline; false if it cannot be read. */
static bool cache_attr(int cpu, unsigned index, const char *name, char *buf, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cache/index%u/%s", cpu, index,
             name);
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(buf, (int)len, f);
    if (f)
        fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

void bench_cpu_desc(int cpu, char *buf, size_t len)
{
    char model[256], fam[32], mod[32];
    bench_cpu_model(model, sizeof(model));
    cpuinfo_value("cpu family", fam, sizeof(fam));
    cpuinfo_value("model", mod, sizeof(mod));
    size_t n = (size_t)snprintf(buf, len, "%s", model);
    if (fam[0] && mod[0] && n < len)
        n += (size_t)snprintf(buf + n, len - n, " (family %s, model %s)", fam, mod);
    /* the caches the kernel lists for the CPU (sysfs; absent in some containers) */
    char level[16], type[32], size[32];
    int c = cpu < 0 ? 0 : cpu;
    for (unsigned i = 0; i < 8 && n < len && cache_attr(c, i, "level", level, sizeof(level)) &&
                         cache_attr(c, i, "type", type, sizeof(type)) &&
                         cache_attr(c, i, "size", size, sizeof(size));
         i++) {
        const char *kind = !strcmp(type, "Data") ? "d" : !strcmp(type, "Instruction") ? "i" : "";
        n += (size_t)snprintf(buf + n, len - n, "%sL%s%s %s", i ? ", " : "; caches ", level,
                              kind, size);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const char *bench_fmt_bytes(uint64_t b, char *buf, size_t len)
{
    if (b >= (1ull << 30) && b % (1ull << 30) == 0)
        snprintf(buf, len, "%" PRIu64 "GiB", b >> 30);
    else if (b >= (1ull << 20) && b % (1ull << 20) == 0)
        snprintf(buf, len, "%" PRIu64 "MiB", b >> 20);
    else if (b >= (1ull << 10) && b % (1ull << 10) == 0)
        snprintf(buf, len, "%" PRIu64 "KiB", b >> 10);
    else
        snprintf(buf, len, "%" PRIu64 "B", b);
    return buf;
}

void bench_info(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "tasvir-bench: %s\n", buf);
}

/* ---- options ----------------------------------------------------------------------- */

void bench_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    exit(2);
}

void bench_bad_option(const char *prog, const struct option *longopts, char **argv, int opt)
{
    /* With opterr = 0 and a leading ':' in optstring, getopt_long returns ':' for a
     * missing argument and '?' for an unknown option.  For a long option the culprit is
     * argv[optind - 1] (optopt may hold its short alias); for a short one, optopt. */
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;
    char name[64];
    if (arg && !strncmp(arg, "--", 2)) {
        snprintf(name, sizeof(name), "%s", arg);
        name[strcspn(name, "=")] = 0;
    } else if (optopt) {
        snprintf(name, sizeof(name), "-%c", optopt);
    } else {
        snprintf(name, sizeof(name), "%s", arg ? arg : "?");
    }
    if (opt == ':')
        bench_usage_error(prog, "option '%s' needs an argument", name);
    if (arg && !strncmp(arg, "--", 2) && strchr(arg, '='))
        for (const struct option *o = longopts; o && o->name; o++)
            if (!strcmp(o->name, name + 2))
                bench_usage_error(prog, "option '%s' takes no argument", name);
    bench_usage_error(prog, "unknown option '%s'", name);
}

uint64_t bench_parse_u64(const char *prog, const char *opt, const char *s, uint64_t min,
                         uint64_t max)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+')
        bench_usage_error(prog, "%s: expected an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'",
                          opt, min, max, s ? s : "");
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        bench_usage_error(prog, "%s: expected an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'",
                          opt, min, max, s);
    return v;
}

uint64_t bench_parse_size(const char *prog, const char *opt, const char *s, uint64_t min,
                          uint64_t max)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s < '0' || *s > '9')
        bench_usage_error(prog, "%s: expected a size like 4096, 64K, 1M or 32MiB, got '%s'", opt,
                          s ? s : "");
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    else if (*end == 'G' || *end == 'g')
        shift = 30, end++;
    if (shift && strcmp(end, "iB") == 0)
        end += 2;
    else if (strcmp(end, "B") == 0)
        end++;
    if (errno || *end || v > (UINT64_MAX >> shift))
        bench_usage_error(prog, "%s: expected a size like 4096, 64K, 1M or 32MiB, got '%s'", opt, s);
    v <<= shift;
    if (v < min || v > max)
        bench_usage_error(prog, "%s: size %s out of range [%" PRIu64 ", %" PRIu64 "] bytes", opt, s,
                          min, max);
    return v;
}

/* ---- CSV ------------------------------------------------------------------------------ */

void bench_row_clear(struct bench_row *r) { memset(r, 0, sizeof(*r)); }

void bench_row_str(struct bench_row *r, unsigned col, const char *s)
{
    if (col < BENCH_CSV_MAX_COLS)
        snprintf(r->cell[col], BENCH_CSV_CELL, "%s", s);
}

void bench_row_u64(struct bench_row *r, unsigned col, uint64_t v)
{
    if (col < BENCH_CSV_MAX_COLS)
        snprintf(r->cell[col], BENCH_CSV_CELL, "%" PRIu64, v);
}

void bench_row_f(struct bench_row *r, unsigned col, double v, int decimals)
{
    if (col >= BENCH_CSV_MAX_COLS)
        return;
    if (!isfinite(v)) {
        r->cell[col][0] = 0;
        return;
    }
    snprintf(r->cell[col], BENCH_CSV_CELL, "%.*f", decimals, v);
}

void bench_csv_header(struct bench_csv *c)
{
    if (c->header_done)
        return;
    for (unsigned i = 0; i < c->ncols; i++)
        fprintf(c->out, "%s%s", i ? "," : "", c->cols[i]);
    for (unsigned i = 0; i < c->nconst; i++)
        fprintf(c->out, ",%s", c->const_cols[i]);
    fputc('\n', c->out);
    fflush(c->out);
    c->header_done = true;
}

void bench_csv_const(struct bench_csv *c, const char *col, const char *val)
{
    if (c->header_done || c->nconst >= BENCH_CSV_MAX_CONST) {
        bench_info("internal: CSV column %s added %s", col,
                   c->header_done ? "after the header" : "beyond the limit");
        return;
    }
    c->const_cols[c->nconst] = col;
    snprintf(c->const_vals[c->nconst], BENCH_CSV_CELL, "%s", val);
    c->nconst++;
}

void bench_csv_emit(struct bench_csv *c, const struct bench_row *r)
{
    bench_csv_header(c);
    for (unsigned i = 0; i < c->ncols; i++)
        fprintf(c->out, "%s%s", i ? "," : "", r->cell[i]);
    for (unsigned i = 0; i < c->nconst; i++)
        fprintf(c->out, ",%s", c->const_vals[i]);
    fputc('\n', c->out);
    fflush(c->out);
}

/* ---- gates ---------------------------------------------------------------------------- */

void bench_gate_init(struct bench_gate *g, unsigned need)
{
    atomic_init(&g->arrived, 0);
    atomic_init(&g->need, need);
}

void bench_gate_wait(struct bench_gate *g)
{
    atomic_fetch_add(&g->arrived, 1);
    while (atomic_load(&g->arrived) < atomic_load(&g->need))
        sched_yield();
}

void bench_gate_drop(struct bench_gate *g, unsigned n) { atomic_fetch_sub(&g->need, n); }

/* ---- nodes ---------------------------------------------------------------------------- */

static void log_to_stderr(void *arg, int level, const char *msg)
{
    (void)arg;
    fprintf(stderr, "tasvir-bench: core %s: %s\n", level <= TASVIR_LOG_ERR ? "error" : "warning",
            msg);
}

int bench_node_create(struct bench_node *b, const struct bench_node_opts *o)
{
    memset(b, 0, sizeof(*b));
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.real_clock = o->clock ? o->clock : TASVIR_LOOP_CLOCK_MONOTONIC;
    lc.tsc_hz = (uint64_t)(bench_ticks_per_ns() * 1e9 + 0.5);
    int rc = tasvir_loop_net_create(&lc, &b->net);
    if (rc)
        goto fail;
    if ((rc = tasvir_loop_port_create(b->net, 0, &b->port)))
        goto fail;
    struct tasvir_node_conf c;
    tasvir_node_conf_init(&c);
    c.backend = tasvir_loop_port_backend(b->port);
    if (o->sync_int_us)
        c.sync_int_us = o->sync_int_us;
    if (o->max_areas)
        c.max_areas = o->max_areas;
    c.copy_isa = o->copy_isa;
    if (o->verbose) {
        c.log_fn = log_to_stderr;
        c.log_level = TASVIR_LOG_INFO;
    }
    if ((rc = tasvir_node_create(&c, &b->node)))
        goto fail;
    return 0;
fail:
    bench_info("cannot create a loopback node: %s", tasvir_strerror(rc));
    bench_node_destroy(b);
    return rc;
}

void bench_node_destroy(struct bench_node *b)
{
    tasvir_node_destroy(b->node);
    if (b->net)
        tasvir_loop_net_destroy(b->net);
    memset(b, 0, sizeof(*b));
}

void *bench_node_mem_alloc(const struct bench_node *b, size_t len)
{
    const struct tasvir_backend *be = tasvir_loop_port_backend(b->port);
    return be->ops->mem_alloc(be->ctx, len, 4096);
}

void bench_node_mem_free(const struct bench_node *b, void *p, size_t len)
{
    const struct tasvir_backend *be = tasvir_loop_port_backend(b->port);
    if (p)
        be->ops->mem_free(be->ctx, p, len);
}

struct tasvir_thread *bench_thread(struct tasvir_node *n)
{
    struct tasvir_thread *t = NULL;
    int rc = tasvir_thread_register(n, &t);
    if (rc) {
        bench_info("cannot register a thread: %s", tasvir_strerror(rc));
        return NULL;
    }
    rc = tasvir_thread_activate(t);
    if (rc == -EAGAIN)
        rc = tasvir_service_wait(t);
    if (rc < 0) {
        bench_info("cannot activate a thread: %s", tasvir_strerror(rc));
        return NULL;
    }
    return t;
}

struct tasvir_area *bench_area(struct tasvir_thread *t, const char *name, uint64_t len,
                               uint64_t sync_int_us)
{
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.name = name;
    c.len_bytes = len;
    c.sync_int_us = sync_int_us;
    struct tasvir_area *a = NULL;
    int rc = tasvir_area_create(t, &c, &a);
    if (rc) {
        char b[32];
        bench_info("cannot create area '%s' of %s: %s", name, bench_fmt_bytes(len, b, sizeof(b)),
                   tasvir_strerror(rc));
        return NULL;
    }
    return a;
}

int bench_drive_epoch(struct tasvir_node *n, struct tasvir_thread *t,
                      struct bench_epoch_ticks *tk)
{
    struct bench_epoch_ticks local;
    if (!tk)
        tk = &local;
    tk->begin = bench_ticks();
    tasvir_node_sync_now(n);
    (void)tasvir_node_poll(n, NULL); /* starts the epoch: t is counted */
    tk->started = bench_ticks();
    int rc;
    unsigned spins = 0;
    while ((rc = tasvir_service(t)) == -EAGAIN) {
        (void)tasvir_node_poll(n, NULL);
        if (++spins > 10000000u)
            break;
    }
    tk->done = bench_ticks();
    (void)tasvir_node_poll(n, NULL); /* the engine handles the end of the epoch */
    tk->end = bench_ticks();
    if (rc < 0) {
        bench_info("a driven epoch did not complete: %s", tasvir_strerror(rc));
        return -1;
    }
    return 0;
}

enum { ENGINE_JOB_NONE, ENGINE_JOB_POSTED, ENGINE_JOB_DONE };

static void *engine_main(void *arg)
{
    struct bench_engine *e = arg;
    bench_pin_self(e->cpu);
    while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
        if (atomic_load_explicit(&e->job_state, memory_order_acquire) == ENGINE_JOB_POSTED) {
            e->job(e->job_arg);
            atomic_store_explicit(&e->job_state, ENGINE_JOB_DONE, memory_order_release);
        }
        uint64_t next = UINT64_MAX;
        (void)tasvir_node_poll(e->node, &next);
        if (e->yield)
            tasvir_loop_port_wait(e->port, next);
        else
            bench_cpu_relax();
    }
    return NULL;
}

int bench_engine_start(struct bench_engine *e, const struct bench_node *b, int cpu, bool yield)
{
    e->node = b->node;
    e->port = b->port;
    e->cpu = cpu;
    e->yield = yield;
    atomic_store(&e->stop, 0);
    atomic_store(&e->job_state, ENGINE_JOB_NONE);
    int rc = pthread_create(&e->tid, NULL, engine_main, e);
    if (rc) {
        bench_info("cannot start the engine thread: %s", strerror(rc));
        e->running = false;
        return -rc;
    }
    e->running = true;
    return 0;
}

void bench_engine_stop(struct bench_engine *e)
{
    if (!e->running)
        return;
    atomic_store(&e->stop, 1);
    pthread_join(e->tid, NULL);
    e->running = false;
}

void bench_engine_post(struct bench_engine *e, void (*fn)(void *), void *arg)
{
    e->job = fn;
    e->job_arg = arg;
    atomic_store_explicit(&e->job_state, ENGINE_JOB_POSTED, memory_order_release);
}

void bench_engine_wait(struct bench_engine *e)
{
    while (atomic_load_explicit(&e->job_state, memory_order_acquire) != ENGINE_JOB_DONE)
        bench_cpu_relax();
    atomic_store_explicit(&e->job_state, ENGINE_JOB_NONE, memory_order_relaxed);
}

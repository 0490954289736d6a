/*
 * wl_versioned.c — the "versioned" workload (tasvir-node's default): the shared writer
 * workload and staleness probes of experiments/workload (workload.h, library
 * tasvir_workload), laid out as the simulator's built-in workload, so a hardware run writes
 * the simulator's files (docs/data-formats.md):
 *
 *   versions-node<N>.csv     every version this node's areas published (owner side)
 *   visible-node<N>.csv      every version of a remote area this node made visible
 *   samples-raw-node<N>.csv  the probe's reads (sampleRate per second, all attached areas)
 *
 * tsv_join() (tasvir-collect, called by the launcher) turns the files of all nodes into
 * visibility.csv and samples.csv.
 *
 * Layout (as tasvir-sim's basic workload; option names are the simulator's):
 *   - node n owns areasPerNode areas "n<n>.a<j>", area j owned by worker thread
 *     j % threads; each gets a tsv_writer (writeRate, linesPerWrite, writePattern,
 *     writeArrival, writeBurst) until writeStop;
 *   - the probe is the node's last worker thread: it attaches every local area and the
 *     remote areas of the subscription pattern (none, all, one = node 0's areas, random =
 *     those of subscribeK random other nodes), retrying an attach that fails with
 *     -ENOENT with exponential backoff (1 ms .. 64 ms), and reads every attached area
 *     sampleRate times per second;
 *   - after every check-in the owners record new versions (tsv_writer_checkin) and the
 *     probe records and verifies every newly visible version (tsv_probe_checkin: complete
 *     or torn), so no version is missed whatever the step schedule.
 *
 * Rows are kept in memory (one memory stream per thread and kind: no I/O between
 * check-ins) and written by write_files at the end.
 *
 * Invariants checked (verdict): no torn version, no version going backwards, no content
 * change without a new version (checked at each sample); with requireConverged=1, every
 * probe target attached and ended on the newest version its owner announced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"
/* the shared module's header (experiments/workload/workload.h) */
#include "../workload/workload.h"

#define MAX_VTHREADS 64u
#define ATTACH_RETRY_MIN_NS 1000000ull
#define ATTACH_RETRY_MAX_NS 64000000ull

enum { SUB_NONE, SUB_ALL, SUB_ONE, SUB_RANDOM };
static const char *const sub_names[] = {"none", "all", "one", "random"};

struct vconf {
    unsigned threads;
    unsigned areas_per_node;
    uint64_t area_bytes;
    double write_rate;
    uint64_t write_stop_ns;
    uint32_t lines_per_write;
    int pattern; /* TSV_SEQ / TSV_RND */
    int poisson;
    uint32_t burst;
    double sample_rate;
    int subscription;
    uint32_t subscribe_k;
    int require_converged;
    /* writeNodes: which nodes' writers write; the areas exist everywhere */
    int write_all;
    unsigned n_write;
    uint16_t write_nodes[64];
};

struct vtarget {
    char name[TASVIR_NAME_MAX + 1];
    uint16_t owner;
    bool local;
    struct tasvir_area *h;
    struct tsv_probe p;
    uint64_t retry_at, backoff;
    bool converged;
    uint64_t end_version, end_latest;
    uint64_t torn_base; /* p.torn at the last check-in (see thread_readmitted) */
};

struct vowned {
    struct tasvir_area *a;
    struct tsv_writer w;
    bool have_writer;
    unsigned j;
};

struct vthread {
    _Alignas(64) unsigned idx;
    bool probe;
    struct vowned *own;
    unsigned n_own;
    struct vtarget *tg;
    unsigned n_tg;
    uint64_t next_sample;
    /* rows, in memory */
    char *buf[3];
    size_t len[3];
    struct tsv_out out;       /* versions, visible, samples */
    struct tsv_out out_local; /* local areas: no visible rows (visibility is remote) */
    /* counters (this thread only; read after it stopped) */
    uint64_t writes, attach_retries, changed_without_version, samples;
    uint64_t changed_base;    /* changed_without_version at the last check-in */
    uint64_t unreliable;      /* torn or changed reads discarded: the thread was excluded */
    int error;
};

struct vwl {
    struct vconf c;
    struct tnode_wl_env env;
    uint64_t start_ns;
    struct vthread *th;
    unsigned n_threads;
};

/* ---- configuration ------------------------------------------------------------------ */

static int conf_create(void **out)
{
    struct vconf *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    /* the simulator's defaults (tasvir-sim --help) */
    c->threads = 2;
    c->areas_per_node = 1;
    c->area_bytes = 65536;
    c->write_rate = 1000;
    c->lines_per_write = 1;
    c->pattern = TSV_SEQ;
    c->burst = 1;
    c->sample_rate = 100;
    c->subscription = SUB_NONE;
    c->subscribe_k = 2;
    c->write_all = 1;
    *out = c;
    return 0;
}

static int parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char *e;
    errno = 0;
    if (!*v || *v == '-' || *v == '+' || *v == ' ')
        return -1;
    unsigned long long x = strtoull(v, &e, 10);
    if (errno || *e || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

static int parse_dbl(const char *v, double min, double max, double *out)
{
    char *e;
    errno = 0;
    if (!*v || *v == ' ')
        return -1;
    double x = strtod(v, &e);
    if (errno || *e || !(x >= min) || !(x <= max))
        return -1;
    *out = x;
    return 0;
}

static int conf_set(void *cv, const char *key, const char *v, char *err, size_t errlen)
{
    struct vconf *c = cv;
    uint64_t x;
    double d;
#define UINT(k, field, lo, hi, what)                                                         \
    if (!strcmp(key, k)) {                                                                   \
        if (parse_u64(v, lo, hi, &x)) {                                                      \
            snprintf(err, errlen, "--param %s=%s: expected %s in %llu..%llu", key, v, what,   \
                     (unsigned long long)(lo), (unsigned long long)(hi));                    \
            return -EINVAL;                                                                  \
        }                                                                                    \
        c->field = x;                                                                        \
        return 0;                                                                            \
    }
#define DBL(k, field, lo, hi, what)                                                          \
    if (!strcmp(key, k)) {                                                                   \
        if (parse_dbl(v, lo, hi, &d)) {                                                      \
            snprintf(err, errlen, "--param %s=%s: expected %s in %g..%g", key, v, what,       \
                     (double)(lo), (double)(hi));                                            \
            return -EINVAL;                                                                  \
        }                                                                                    \
        c->field = d;                                                                        \
        return 0;                                                                            \
    }
    UINT("threads", threads, 1, MAX_VTHREADS, "a worker thread count")
    UINT("areasPerNode", areas_per_node, 0, 1024, "an area count")
    UINT("areaBytes", area_bytes, 128, 1ull << 30, "bytes")
    UINT("linesPerWrite", lines_per_write, 1, 1u << 24, "64-byte lines per write")
    UINT("writeBurst", burst, 1, 1u << 20, "writes back to back per burst")
    UINT("subscribeK", subscribe_k, 1, 1023, "a node count")
    UINT("requireConverged", require_converged, 0, 1, "0 or 1")
    DBL("writeRate", write_rate, 0, 1e9, "writes per second per area")
    DBL("sampleRate", sample_rate, 0, 1e9, "probe reads per second per node")
#undef UINT
#undef DBL
    if (!strcmp(key, "writeStop")) {
        if (tnode_parse_time_ns(v, &x)) {
            snprintf(err, errlen, "--param writeStop=%s: expected a duration with a unit "
                     "(ns, us, ms, s), e.g. 2500ms; 0s = write until the end", v);
            return -EINVAL;
        }
        c->write_stop_ns = x;
        return 0;
    }
    if (!strcmp(key, "writePattern")) {
        if (!strcmp(v, "seq"))
            c->pattern = TSV_SEQ;
        else if (!strcmp(v, "random"))
            c->pattern = TSV_RND;
        else
            goto choice;
        return 0;
    }
    if (!strcmp(key, "writeArrival")) {
        if (!strcmp(v, "constant"))
            c->poisson = 0;
        else if (!strcmp(v, "poisson"))
            c->poisson = 1;
        else
            goto choice;
        return 0;
    }
    if (!strcmp(key, "writeNodes")) {
        c->write_all = !strcmp(v, "all");
        c->n_write = 0;
        if (c->write_all)
            return 0;
        for (const char *p = v; *p;) {
            char *e;
            errno = 0;
            unsigned long id = strtoul(p, &e, 10);
            if (e == p || errno || id >= TASVIR_MAX_NODES || (*e && *e != ',') || *p == '-' ||
                c->n_write == sizeof(c->write_nodes) / sizeof(c->write_nodes[0])) {
                snprintf(err, errlen, "--param writeNodes=%s: expected all or a list of node ids "
                         "like 0,2 (at most 64)", v);
                return -EINVAL;
            }
            c->write_nodes[c->n_write++] = (uint16_t)id;
            p = *e ? e + 1 : e;
        }
        if (!c->n_write) {
            snprintf(err, errlen, "--param writeNodes=: expected all or a list of node ids");
            return -EINVAL;
        }
        return 0;
    }
    if (!strcmp(key, "subscription")) {
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, sub_names[i])) {
                c->subscription = i;
                return 0;
            }
        goto choice;
    }
    snprintf(err, errlen, "--param %s: unknown parameter of workload 'versioned' (see --help)",
             key);
    return -EINVAL;
choice:
    snprintf(err, errlen, "--param %s=%s: expected %s", key, v,
             !strcmp(key, "writePattern")   ? "seq or random"
             : !strcmp(key, "writeArrival") ? "constant or poisson"
                                            : "none, all, one or random");
    return -EINVAL;
}

static int conf_check(const void *cv, char *err, size_t errlen)
{
    const struct vconf *c = cv;
    uint64_t lines = (c->area_bytes + TASVIR_LINE_BYTES - 1) / TASVIR_LINE_BYTES;
    if (c->areas_per_node && c->lines_per_write > lines - 1) {
        snprintf(err, errlen, "--param linesPerWrite=%u exceeds the %llu data lines of an area "
                 "of areaBytes=%llu", c->lines_per_write, (unsigned long long)(lines - 1),
                 (unsigned long long)c->area_bytes);
        return -EINVAL;
    }
    return 0;
}

static unsigned threads(const void *cv)
{
    return ((const struct vconf *)cv)->threads;
}

static void conf_free(void *c)
{
    free(c);
}

static void conf_params(const void *cv, const struct tnode_param_sink *s)
{
    const struct vconf *c = cv;
    s->num(s->arg, "threads", c->threads);
    s->num(s->arg, "areas_per_node", c->areas_per_node);
    s->num(s->arg, "area_bytes", (double)c->area_bytes);
    s->num(s->arg, "write_rate_hz", c->write_rate);
    s->num(s->arg, "write_stop_ms", c->write_stop_ns / 1e6);
    s->num(s->arg, "lines_per_write", c->lines_per_write);
    s->str(s->arg, "write_pattern", c->pattern == TSV_SEQ ? "seq" : "random");
    s->str(s->arg, "write_arrival", c->poisson ? "poisson" : "constant");
    s->num(s->arg, "write_burst", c->burst);
    s->num(s->arg, "sample_rate_hz", c->sample_rate);
    s->str(s->arg, "subscription", sub_names[c->subscription]);
    s->num(s->arg, "subscribe_k", c->subscribe_k);
    s->num(s->arg, "require_converged", c->require_converged);
    if (c->write_all) {
        s->str(s->arg, "write_nodes", "all");
    } else {
        char b[64 * 6 + 1] = "";
        size_t o = 0;
        for (unsigned i = 0; i < c->n_write && o < sizeof(b) - 7; i++)
            o += (size_t)snprintf(b + o, sizeof(b) - o, "%s%u", i ? " " : "", c->write_nodes[i]);
        s->str(s->arg, "write_nodes", b);
    }
}

static bool writes_here(const struct vconf *c, uint16_t node)
{
    if (c->write_all)
        return true;
    for (unsigned i = 0; i < c->n_write; i++)
        if (c->write_nodes[i] == node)
            return true;
    return false;
}

/* ---- set-up ------------------------------------------------------------------------- */

static void wl_destroy(void *wv);

static int add_targets(struct vwl *w, struct vthread *t)
{
    const struct vconf *c = &w->c;
    const struct tnode_wl_env *e = &w->env;
    /* whose areas: this node's, then the pattern's remote nodes */
    uint16_t *ids = calloc(e->n_nodes + 1, sizeof(*ids));
    if (!ids)
        return -ENOMEM;
    unsigned n = 0;
    ids[n++] = e->node_id;
    uint16_t lowest = e->node_id;
    for (unsigned i = 0; i < e->n_nodes; i++)
        if (e->node_ids[i] < lowest)
            lowest = e->node_ids[i];
    if (c->subscription == SUB_ALL) {
        for (unsigned i = 0; i < e->n_nodes; i++)
            if (e->node_ids[i] != e->node_id)
                ids[n++] = e->node_ids[i];
    } else if (c->subscription == SUB_ONE) {
        if (lowest != e->node_id)
            ids[n++] = lowest;
    } else if (c->subscription == SUB_RANDOM) {
        /* subscribeK distinct other nodes, drawn with the run's seed and this node's id */
        uint16_t *others = calloc(e->n_nodes, sizeof(*others));
        if (!others) {
            free(ids);
            return -ENOMEM;
        }
        unsigned no = 0;
        for (unsigned i = 0; i < e->n_nodes; i++)
            if (e->node_ids[i] != e->node_id)
                others[no++] = e->node_ids[i];
        uint64_t r = tsv_mix64(e->seed * 0x9e3779b97f4a7c15ull + e->node_id + 1);
        for (unsigned k = 0; k < c->subscribe_k && k < no; k++) {
            r = tsv_mix64(r + k);
            unsigned pick = k + (unsigned)(r % (no - k));
            uint16_t x = others[k];
            others[k] = others[pick];
            others[pick] = x;
            ids[n++] = others[k];
        }
        free(others);
    }
    t->tg = calloc((size_t)n * (c->areas_per_node ? c->areas_per_node : 1), sizeof(*t->tg));
    if (!t->tg) {
        free(ids);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < c->areas_per_node; j++) {
            struct vtarget *g = &t->tg[t->n_tg++];
            snprintf(g->name, sizeof(g->name), "n%u.a%u", ids[i], j);
            g->owner = ids[i];
            g->local = ids[i] == e->node_id;
            g->backoff = ATTACH_RETRY_MIN_NS;
        }
    free(ids);
    return 0;
}

static int create(const void *cv, const struct tnode_wl_env *env, void **out)
{
    const struct vconf *c = cv;
    struct vwl *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->c = *c;
    w->env = *env;
    w->start_ns = tasvir_node_now_ns(env->node);
    w->n_threads = c->threads;
    w->th = aligned_alloc(64, sizeof(*w->th) * w->n_threads);
    if (!w->th) {
        free(w);
        return -ENOMEM;
    }
    memset(w->th, 0, sizeof(*w->th) * w->n_threads);
    int rc = 0;
    for (unsigned i = 0; i < w->n_threads && !rc; i++) {
        struct vthread *t = &w->th[i];
        t->idx = i;
        t->probe = i == w->n_threads - 1;
        FILE **f[3] = {&t->out.versions, &t->out.visible, &t->out.samples};
        for (int k = 0; k < 3; k++)
            if (!(*f[k] = open_memstream(&t->buf[k], &t->len[k])))
                rc = -ENOMEM;
        t->out_local = t->out;
        t->out_local.visible = NULL;
        unsigned n_own = 0;
        for (unsigned j = 0; j < c->areas_per_node; j++)
            n_own += j % c->threads == i;
        if (n_own && !(t->own = calloc(n_own, sizeof(*t->own))))
            rc = -ENOMEM;
        for (unsigned j = 0; j < c->areas_per_node && !rc; j++)
            if (j % c->threads == i)
                t->own[t->n_own++].j = j;
        if (!rc && t->probe)
            rc = add_targets(w, t);
    }
    if (rc) {
        wl_destroy(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int thread_init(void *wv, unsigned idx, struct tasvir_thread *th)
{
    struct vwl *w = wv;
    struct vthread *t = &w->th[idx];
    uint64_t now = tasvir_node_now_ns(w->env.node);
    for (unsigned k = 0; k < t->n_own; k++) {
        struct vowned *o = &t->own[k];
        char name[TASVIR_NAME_MAX + 1];
        snprintf(name, sizeof(name), "n%u.a%u", w->env.node_id, o->j);
        struct tasvir_area_conf ac;
        tasvir_area_conf_init(&ac);
        ac.name = name;
        ac.len_bytes = w->c.area_bytes;
        int rc = tasvir_area_create(th, &ac, &o->a);
        if (rc)
            return rc;
        if (w->c.write_rate > 0 && writes_here(&w->c, w->env.node_id)) {
            struct tsv_writer_conf wc;
            tsv_writer_conf_init(&wc);
            wc.lines_per_write = w->c.lines_per_write;
            wc.pattern = w->c.pattern;
            wc.rate_hz = w->c.write_rate;
            wc.burst = w->c.burst;
            wc.poisson = w->c.poisson;
            wc.seed = tsv_mix64(w->env.seed + o->j);
            if ((rc = tsv_writer_init(&o->w, o->a, &wc, w->env.node_id, now)))
                return rc;
            o->have_writer = true;
        }
    }
    t->next_sample = now;
    return 0;
}

/* ---- run time ----------------------------------------------------------------------- */

static void checkin(struct vwl *w, struct vthread *t, uint64_t now)
{
    (void)w;
    for (unsigned k = 0; k < t->n_own; k++)
        if (t->own[k].have_writer)
            tsv_writer_checkin(&t->own[k].w, &t->out);
    for (unsigned k = 0; k < t->n_tg; k++) {
        struct vtarget *g = &t->tg[k];
        if (g->h)
            tsv_probe_checkin(&g->p, now, g->local ? &t->out_local : &t->out);
    }
}

static void thread_checkin(void *wv, unsigned idx, struct tasvir_thread *th, uint64_t now)
{
    (void)th;
    struct vwl *w = wv;
    struct vthread *t = &w->th[idx];
    /* what is found from here to the next check-in belongs to this snapshot */
    t->changed_base = t->changed_without_version;
    for (unsigned k = 0; k < t->n_tg; k++)
        t->tg[k].torn_base = t->tg[k].p.torn;
    checkin(w, t, now);
}

/* Application work so far: every probe check verifies its whole area; every write batch
 * stamps lines_per_write lines and the header line. */
static void thread_work(void *wv, unsigned idx, uint64_t *verified, uint64_t *written)
{
    const struct vwl *w = wv;
    const struct vthread *t = &w->th[idx];
    uint64_t v = 0, wr = 0;
    for (unsigned k = 0; k < t->n_tg; k++)
        v += t->tg[k].p.checks * t->tg[k].p.nlines;
    for (unsigned k = 0; k < t->n_own; k++)
        if (t->own[k].have_writer)
            wr += t->own[k].w.writes * ((uint64_t)t->own[k].w.c.lines_per_write + 1);
    *verified = v;
    *written = wr;
}

/* The thread was excluded since its previous check-in: epochs copied into the reader
 * copies while it read them, so a torn or changing view found since then is not a
 * violation (tasvir_service's TASVIR_SERVICE_READMITTED); discard it, and count it. */
static void thread_readmitted(void *wv, unsigned idx, struct tasvir_thread *th)
{
    (void)th;
    struct vwl *w = wv;
    struct vthread *t = &w->th[idx];
    t->unreliable += t->changed_without_version - t->changed_base;
    t->changed_without_version = t->changed_base;
    for (unsigned k = 0; k < t->n_tg; k++) {
        t->unreliable += t->tg[k].p.torn - t->tg[k].torn_base;
        t->tg[k].p.torn = t->tg[k].torn_base;
    }
}

/* The generation stamped in the header line of a reader copy (0: version 0). */
static uint64_t header_gen(const struct tasvir_area *a)
{
    uint64_t g;
    memcpy(&g, tasvir_area_reader(a), sizeof(g));
    return g;
}

static int thread_step(void *wv, unsigned idx, struct tasvir_thread *th, uint64_t now,
                       uint64_t *next_ns)
{
    struct vwl *w = wv;
    struct vthread *t = &w->th[idx];
    uint64_t next = UINT64_MAX;
    checkin(w, t, now);
    bool writing = !w->c.write_stop_ns || now - w->start_ns < w->c.write_stop_ns;
    for (unsigned k = 0; k < t->n_own; k++) {
        struct vowned *o = &t->own[k];
        if (!o->have_writer || !writing)
            continue;
        /* a burst is spaced 1 ns apart: all of it now, between these two check-ins */
        while (tsv_writer_next_ns(&o->w) <= now + o->w.c.burst) {
            tsv_writer_write(&o->w, now);
            t->writes++;
        }
        if (tsv_writer_next_ns(&o->w) < next)
            next = tsv_writer_next_ns(&o->w);
    }
    if (writing && w->c.write_stop_ns && next != UINT64_MAX &&
        next > w->start_ns + w->c.write_stop_ns)
        next = w->start_ns + w->c.write_stop_ns; /* wake up to stop */
    if (t->probe) {
        for (unsigned k = 0; k < t->n_tg; k++) {
            struct vtarget *g = &t->tg[k];
            if (g->h)
                continue;
            if (now >= g->retry_at) {
                int rc = tasvir_area_attach(th, g->name, &g->h);
                if (rc == 0) {
                    rc = tsv_probe_init(&g->p, g->h, w->env.node_id, (uint16_t)idx);
                    if (rc)
                        return rc;
                    g->p.last_gen = header_gen(g->h);
                } else if (rc == -ENOENT) {
                    g->h = NULL;
                    t->attach_retries++;
                    g->retry_at = now + g->backoff;
                    g->backoff = g->backoff * 2 > ATTACH_RETRY_MAX_NS ? ATTACH_RETRY_MAX_NS
                                                                       : g->backoff * 2;
                } else {
                    return rc;
                }
            }
            if (!g->h && g->retry_at < next)
                next = g->retry_at;
        }
        if (w->c.sample_rate > 0) {
            if (now >= t->next_sample) {
                for (unsigned k = 0; k < t->n_tg; k++) {
                    struct vtarget *g = &t->tg[k];
                    if (!g->h)
                        continue;
                    /* one version shows one content */
                    if (tasvir_area_version(g->h) == g->p.last_ver &&
                        header_gen(g->h) != g->p.last_gen)
                        t->changed_without_version++;
                    tsv_probe_sample(&g->p, now, g->local ? &t->out_local : &t->out);
                    t->samples++;
                }
                uint64_t period = (uint64_t)(1e9 / w->c.sample_rate);
                t->next_sample += period ? period : 1;
                if (t->next_sample <= now) /* fell behind: do not catch up in a burst */
                    t->next_sample = now + (period ? period : 1);
            }
            if (t->next_sample < next)
                next = t->next_sample;
        }
    }
    *next_ns = next;
    return 0;
}

static void thread_fini(void *wv, unsigned idx, struct tasvir_thread *th)
{
    (void)th;
    struct vwl *w = wv;
    struct vthread *t = &w->th[idx];
    uint64_t now = tasvir_node_now_ns(w->env.node);
    checkin(w, t, now);
    for (unsigned k = 0; k < t->n_tg; k++) {
        struct vtarget *g = &t->tg[k];
        struct tasvir_area_info info;
        if (!g->h || tasvir_area_info(g->h, &info) != 0)
            continue;
        g->end_version = info.version;
        g->end_latest = info.latest_version;
        /* on the newest version announced, and the probe saw it; an area nobody writes
         * (writeNodes, writeRate=0) converges by staying at version 0 */
        bool written = w->c.write_rate > 0 && writes_here(&w->c, g->owner);
        g->converged = (written ? info.version > 0 : info.version == 0) &&
                       info.version >= info.latest_version && g->p.last_ver == info.version;
    }
    for (int k = 0; k < 3; k++)
        fflush(((FILE *[]){t->out.versions, t->out.visible, t->out.samples})[k]);
}

/* ---- results ------------------------------------------------------------------------ */

struct vsum {
    uint64_t writes, versions, torn, backwards, checks, samples, changed, attach_retries;
    uint64_t unreliable;
    unsigned targets, attached, converged, remote_targets;
};

static void sum(const struct vwl *w, struct vsum *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < w->n_threads; i++) {
        const struct vthread *t = &w->th[i];
        s->writes += t->writes;
        s->samples += t->samples;
        s->changed += t->changed_without_version;
        s->attach_retries += t->attach_retries;
        s->unreliable += t->unreliable;
        for (unsigned k = 0; k < t->n_own; k++)
            if (t->own[k].a)
                s->versions += tasvir_area_version(t->own[k].a);
        for (unsigned k = 0; k < t->n_tg; k++) {
            const struct vtarget *g = &t->tg[k];
            s->targets++;
            s->remote_targets += !g->local;
            if (!g->h)
                continue;
            s->attached++;
            s->converged += g->converged;
            s->torn += g->p.torn;
            s->backwards += g->p.backwards;
            s->checks += g->p.checks;
        }
    }
}

static void counters(void *wv, const struct tnode_counter_sink *k)
{
    struct vsum s;
    sum(wv, &s);
    k->emit(k->arg, "writes", s.writes);
    k->emit(k->arg, "versions_owned", s.versions);
    k->emit(k->arg, "probe_checks", s.checks);
    k->emit(k->arg, "probe_torn", s.torn);
    k->emit(k->arg, "probe_backwards", s.backwards);
    k->emit(k->arg, "changed_without_version", s.changed);
    k->emit(k->arg, "reads_discarded_readmitted", s.unreliable);
    k->emit(k->arg, "samples", s.samples);
    k->emit(k->arg, "attach_retries", s.attach_retries);
    k->emit(k->arg, "targets", s.targets);
    k->emit(k->arg, "targets_remote", s.remote_targets);
    k->emit(k->arg, "targets_attached", s.attached);
    k->emit(k->arg, "targets_converged", s.converged);
}

/* Write header + every thread's rows of kind k to dir/<base>-node<N>.csv (via .tmp). */
static int write_kind(struct vwl *w, int k, const char *dir, char *err, size_t errlen)
{
    static const char *const base[3] = {"versions", "visible", "samples-raw"};
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s-node%u.csv", dir, base[k], w->env.node_id);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", tmp, strerror(e));
        return -e;
    }
    struct tsv_out hdr = {0};
    FILE **slot[3] = {&hdr.versions, &hdr.visible, &hdr.samples};
    *slot[k] = f;
    tsv_out_headers(&hdr);
    for (unsigned i = 0; i < w->n_threads; i++) {
        struct vthread *t = &w->th[i];
        FILE *m = ((FILE *[]){t->out.versions, t->out.visible, t->out.samples})[k];
        if (m)
            fflush(m);
        if (t->len[k])
            fwrite(t->buf[k], 1, t->len[k], f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: write failed", tmp);
        unlink(tmp);
        return -EIO;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

static int write_files(void *wv, const char *dir, char *err, size_t errlen)
{
    for (int k = 0; k < 3; k++) {
        int rc = write_kind(wv, k, dir, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

static int verdict(void *wv, char *msg, size_t len)
{
    struct vwl *w = wv;
    struct vsum s;
    sum(w, &s);
    if (s.torn || s.backwards || s.changed) {
        snprintf(msg, len, "invariants violated: %" PRIu64 " torn versions, %" PRIu64
                 " versions going backwards, %" PRIu64 " content changes without a new version",
                 s.torn, s.backwards, s.changed);
        return 1;
    }
    if (w->c.require_converged && s.converged < s.targets) {
        const struct vtarget *first = NULL;
        for (unsigned i = 0; i < w->n_threads && !first; i++)
            for (unsigned k = 0; k < w->th[i].n_tg && !first; k++)
                if (!w->th[i].tg[k].converged)
                    first = &w->th[i].tg[k];
        snprintf(msg, len, "%u of %u probe targets did not converge to their owner's newest "
                 "version (first: %s, %s, visible version %" PRIu64 ", newest announced %"
                 PRIu64 ")", s.targets - s.converged, s.targets, first->name,
                 first->h ? "attached" : "never attached", first->end_version, first->end_latest);
        return 1;
    }
    snprintf(msg, len, "ok");
    return 0;
}

static void wl_destroy(void *wv)
{
    struct vwl *w = wv;
    if (!w)
        return;
    for (unsigned i = 0; i < w->n_threads; i++) {
        struct vthread *t = &w->th[i];
        for (unsigned k = 0; k < t->n_own; k++)
            if (t->own[k].have_writer)
                tsv_writer_fini(&t->own[k].w);
        FILE *f[3] = {t->out.versions, t->out.visible, t->out.samples};
        for (int k = 0; k < 3; k++) {
            if (f[k])
                fclose(f[k]);
            free(t->buf[k]);
        }
        free(t->own);
        free(t->tg);
    }
    free(w->th);
    free(w);
}

const struct tnode_workload tnode_wl_versioned = {
    .name = "versioned",
    .summary = "shared writers and staleness probes (experiments/workload), tasvir-sim's layout",
    .params_help =
        "  threads=N         worker threads; area j is owned by thread j % N, the last one\n"
        "                    probes (2)\n"
        "  areasPerNode=N    areas n<node>.a<j> owned per node (1)\n"
        "  areaBytes=B       bytes per area, >= 128 (65536)\n"
        "  writeRate=R       writes per second per area; 0: none (1000)\n"
        "  writeStop=T       no writes from T after the start on, e.g. 2s; 0s: never (0s)\n"
        "  linesPerWrite=N   64-byte lines stamped per write (1)\n"
        "  writePattern=P    seq or random (seq)\n"
        "  writeArrival=A    constant or poisson (constant)\n"
        "  writeBurst=N      writes back to back per burst, same average rate (1)\n"
        "  sampleRate=R      probe reads per second per node, each reading every attached\n"
        "                    area; 0: none (100)\n"
        "  subscription=S    remote areas the probe attaches: none, all, one (node 0's),\n"
        "                    random (subscribeK random nodes') (none)\n"
        "  subscribeK=K      nodes per probe with subscription=random (2)\n"
        "  writeNodes=L      all, or the node ids whose writers write, e.g. 0 (all)\n"
        "  requireConverged=0|1  fail unless every probe target ends on its owner's newest\n"
        "                    announced version (0)\n",
    .conf_create = conf_create,
    .conf_set = conf_set,
    .conf_check = conf_check,
    .threads = threads,
    .conf_params = conf_params,
    .conf_free = conf_free,
    .create = create,
    .thread_init = thread_init,
    .thread_step = thread_step,
    .thread_checkin = thread_checkin,
    .thread_readmitted = thread_readmitted,
    .thread_work = thread_work,
    .thread_fini = thread_fini,
    .counters = counters,
    .write_files = write_files,
    .verdict = verdict,
    .destroy = wl_destroy,
};

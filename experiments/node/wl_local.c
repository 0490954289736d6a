/*
 * wl_local.c — the "local" workload: writer threads that rewrite whole areas in rounds,
 * reader threads that check every snapshot they see and sample each new version.
 *
 * Writer k of node n owns area "n<n>.w<k>".  Each round it stamps every 64-byte line with
 * (round, write time, owner, writer, line index, filler, checksum) and logs the whole area,
 * all between two check-ins, so every published version holds exactly one round.
 * Readers attach to the areas of the nodes in read_nodes (by default their own node; once
 * external synchronization exists, remote nodes' areas attach the same way) and, at every
 * step, verify:
 *   - every line is intact (checksum, index, owner) — no torn line;
 *   - all lines carry the same round — update atomicity (no torn version);
 *   - versions and rounds never go backwards, and one version always shows one round
 *     (a remote owner's restart, seen as a new incarnation, starts a new history).
 * Each newly seen version becomes a sample: visibility delay (now - publish time) and
 * write-to-visibility (now - the write time stamped in the data).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define MAX_THREADS 64u

struct wl_line {
    uint64_t round, write_ns;
    uint32_t node, writer, idx, gen; /* gen: the writer's generation (start time) */
    uint64_t fill[3];
    uint64_t csum;
};
_Static_assert(sizeof(struct wl_line) == TASVIR_LINE_BYTES, "one stamp per line");

struct local_conf {
    uint64_t area_bytes, write_us, read_us, sync_int_us, sync_ext_us, max_samples;
    uint64_t write_for_ms;  /* writers stop after this long (0: until the end) */
    uint64_t require_converged;
    unsigned writers, readers;
    int read_all;          /* read_nodes = all */
    unsigned n_read;       /* explicit list (read_all == 0); 0 = self */
    uint16_t read[TASVIR_MAX_NODES > 256 ? 256 : TASVIR_MAX_NODES];
};

struct sample {
    uint64_t t_ns, version, pub_ns, round, write_ns, skipped;
    uint32_t target;
};

struct target {
    char name[TASVIR_NAME_MAX + 1];
    uint16_t owner;
    uint32_t writer;
    struct tasvir_area *h;
    uint64_t last_version, last_round;
    bool seen_any;
    bool converged; /* at the end: saw the newest version the owner announced */
    uint32_t gen;   /* writer generation of the last snapshot */
    uint64_t end_version, end_latest; /* at the end: visible, and announced by the owner */
};

struct wl_thread {
    _Alignas(64) bool is_writer;
    unsigned k;
    struct tasvir_area *area; /* writer */
    uint64_t len;
    struct target *targets;   /* reader */
    unsigned n_targets;
    struct sample *samples;
    uint64_t n_samples, cap_samples;
    /* counters (written by this thread only; read after it stopped) */
    uint64_t rounds, bytes_logged, log_errors;
    uint64_t reads, versions_seen, skipped_versions, torn_versions, bad_lines;
    uint64_t version_regressions, round_regressions, version_changed_content;
    uint64_t attach_retries, samples_dropped, owner_restarts, restart_version_reused;
    uint64_t first_step_ns; /* writer: when it started writing */
    bool done_writing;
    int error;
};

struct local_wl {
    struct local_conf conf;
    struct tnode_wl_env env;
    unsigned n_threads;
    struct wl_thread *th;
};

/* ---- configuration ------------------------------------------------------------------ */

static int conf_create(void **out)
{
    struct local_conf *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->area_bytes = 4096;
    c->writers = 1;
    c->readers = 1;
    c->write_us = 100;
    c->read_us = 0;
    c->max_samples = 100000;
    *out = c;
    return 0;
}

static int parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char *e;
    errno = 0;
    if (!*v || *v == '-')
        return -1;
    unsigned long long x = strtoull(v, &e, 10);
    if (errno || *e || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

static int conf_set(void *cv, const char *key, const char *v, char *err, size_t errlen)
{
    struct local_conf *c = cv;
    uint64_t x;
#define RANGE(field, lo, hi, what)                                                         \
    do {                                                                                   \
        if (parse_u64(v, lo, hi, &x)) {                                                    \
            snprintf(err, errlen, "--param %s=%s: expected %s in %llu..%llu", key, v, what, \
                     (unsigned long long)(lo), (unsigned long long)(hi));                  \
            return -EINVAL;                                                                \
        }                                                                                  \
        c->field = x;                                                                      \
        return 0;                                                                          \
    } while (0)
    if (!strcmp(key, "area_bytes"))
        RANGE(area_bytes, 64, 1ull << 30, "bytes");
    if (!strcmp(key, "write_us"))
        RANGE(write_us, 0, 10000000, "microseconds between write rounds");
    if (!strcmp(key, "read_us"))
        RANGE(read_us, 0, 10000000, "microseconds between reads");
    if (!strcmp(key, "sync_int_us"))
        RANGE(sync_int_us, 0, 100000000, "microseconds (0: node default)");
    if (!strcmp(key, "sync_ext_us"))
        RANGE(sync_ext_us, 0, 100000000, "microseconds (0: node default)");
    if (!strcmp(key, "max_samples"))
        RANGE(max_samples, 0, 100000000, "samples per reader thread");
    if (!strcmp(key, "write_for_ms"))
        RANGE(write_for_ms, 0, 100000000, "milliseconds (0: write until the end)");
    if (!strcmp(key, "require_converged"))
        RANGE(require_converged, 0, 1, "0 or 1");
    if (!strcmp(key, "writers"))
        RANGE(writers, 0, 32, "a thread count");
    if (!strcmp(key, "readers"))
        RANGE(readers, 0, 32, "a thread count");
#undef RANGE
    if (!strcmp(key, "read_nodes")) {
        c->read_all = 0;
        c->n_read = 0;
        if (!strcmp(v, "self"))
            return 0;
        if (!strcmp(v, "all")) {
            c->read_all = 1;
            return 0;
        }
        const char *s = v;
        while (*s) {
            char *e;
            errno = 0;
            unsigned long id = strtoul(s, &e, 10);
            if (e == s || errno || id >= TASVIR_MAX_NODES || (*e && *e != ',') ||
                c->n_read == sizeof(c->read) / sizeof(c->read[0])) {
                snprintf(err, errlen, "--param read_nodes=%s: expected self, all or a list of "
                         "node ids like 0,2,3", v);
                return -EINVAL;
            }
            c->read[c->n_read++] = (uint16_t)id;
            s = *e ? e + 1 : e;
        }
        return 0;
    }
    snprintf(err, errlen, "--param %s: unknown parameter of workload 'local' (see --help)", key);
    return -EINVAL;
}

static unsigned threads(const void *cv)
{
    const struct local_conf *c = cv;
    return c->writers + c->readers;
}

static void conf_free(void *c)
{
    free(c);
}

/* ---- stamps ------------------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static uint64_t line_csum(const struct wl_line *l)
{
    uint64_t h = mix(0x7a5e, l->round);
    h = mix(h, l->write_ns);
    h = mix(h, ((uint64_t)l->node << 32) | l->writer);
    h = mix(h, ((uint64_t)l->idx << 32) | l->gen);
    for (int i = 0; i < 3; i++)
        h = mix(h, l->fill[i]);
    return h;
}

static bool line_zero(const struct wl_line *l)
{
    static const struct wl_line z;
    return memcmp(l, &z, sizeof(z)) == 0;
}

/* ---- run time ----------------------------------------------------------------------- */

static void add_target(struct wl_thread *t, uint16_t owner, unsigned writer)
{
    struct target *g = &t->targets[t->n_targets++];
    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "n%u.w%u", owner, writer);
    g->owner = owner;
    g->writer = writer;
}

static void wl_destroy(void *wv);

static int create(const void *cv, const struct tnode_wl_env *env, void **out)
{
    const struct local_conf *c = cv;
    struct local_wl *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->conf = *c;
    w->env = *env;
    w->n_threads = c->writers + c->readers;
    if (w->n_threads > MAX_THREADS) {
        free(w);
        return -EINVAL;
    }
    w->th = aligned_alloc(64, sizeof(*w->th) * (w->n_threads ? w->n_threads : 1));
    if (!w->th) {
        free(w);
        return -ENOMEM;
    }
    memset(w->th, 0, sizeof(*w->th) * w->n_threads);
    /* Whom to read: self, all testbed nodes, or a list. */
    uint16_t ids[TASVIR_MAX_NODES];
    unsigned n_ids = 0;
    if (c->read_all) {
        for (unsigned i = 0; i < env->n_nodes; i++)
            ids[n_ids++] = env->node_ids[i];
    } else if (c->n_read) {
        for (unsigned i = 0; i < c->n_read; i++)
            ids[n_ids++] = c->read[i];
    } else {
        ids[n_ids++] = env->node_id;
    }
    for (unsigned i = 0; i < w->n_threads; i++) {
        struct wl_thread *t = &w->th[i];
        t->is_writer = i < c->writers;
        t->k = t->is_writer ? i : i - c->writers;
        if (t->is_writer)
            continue;
        t->targets = calloc((size_t)n_ids * (c->writers ? c->writers : 1), sizeof(*t->targets));
        t->cap_samples = c->max_samples;
        t->samples = t->cap_samples ? calloc(t->cap_samples, sizeof(*t->samples)) : NULL;
        if (!t->targets || (t->cap_samples && !t->samples)) {
            w->n_threads = i + 1;
            wl_destroy(w);
            return -ENOMEM;
        }
        for (unsigned j = 0; j < n_ids; j++)
            for (unsigned k = 0; k < c->writers; k++)
                add_target(t, ids[j], k);
    }
    *out = w;
    return 0;
}

static int thread_init(void *wv, unsigned idx, struct tasvir_thread *th)
{
    struct local_wl *w = wv;
    struct wl_thread *t = &w->th[idx];
    if (!t->is_writer)
        return 0;
    char name[TASVIR_NAME_MAX + 1];
    snprintf(name, sizeof(name), "n%u.w%u", w->env.node_id, t->k);
    struct tasvir_area_conf ac;
    tasvir_area_conf_init(&ac);
    ac.name = name;
    ac.len_bytes = w->conf.area_bytes;
    ac.sync_int_us = w->conf.sync_int_us;
    ac.sync_ext_us = w->conf.sync_ext_us;
    int rc = tasvir_area_create(th, &ac, &t->area);
    if (rc)
        return rc;
    t->len = tasvir_area_len(t->area) / TASVIR_LINE_BYTES * TASVIR_LINE_BYTES;
    return 0;
}

static void write_round(struct local_wl *w, struct wl_thread *t, uint64_t now)
{
    struct wl_line *l = tasvir_area_writer(t->area);
    uint64_t n = t->len / sizeof(*l);
    t->rounds++;
    for (uint64_t i = 0; i < n; i++) {
        struct wl_line x;
        x.round = t->rounds;
        x.write_ns = now;
        x.node = w->env.node_id;
        x.writer = t->k;
        x.idx = (uint32_t)i;
        x.gen = (uint32_t)(t->first_step_ns ^ (t->first_step_ns >> 32)) | 1u;
        x.fill[0] = t->rounds * 3 + i;
        x.fill[1] = now ^ i;
        x.fill[2] = ~t->rounds;
        x.csum = line_csum(&x);
        l[i] = x;
    }
    if (tasvir_log(t->area, l, n * sizeof(*l)) != 0)
        t->log_errors++;
    else
        t->bytes_logged += n * sizeof(*l);
}

/* Check one snapshot of a target; returns its round (UINT64_MAX if torn or damaged). */
static uint64_t check_snapshot(struct wl_thread *t, const struct target *g, const void *data,
                               uint64_t len)
{
    const struct wl_line *l = data;
    uint64_t n = len / sizeof(*l), r0 = l[0].round;
    bool torn = false, bad = false;
    for (uint64_t i = 0; i < n; i++) {
        const struct wl_line *x = &l[i];
        if (x->round == 0) {
            if (!line_zero(x))
                bad = true;
        } else if (x->csum != line_csum(x) || x->idx != i || x->node != g->owner ||
                   x->writer != g->writer) {
            bad = true;
        }
        if (x->round != r0)
            torn = true;
    }
    if (bad)
        t->bad_lines++;
    if (torn)
        t->torn_versions++;
    return bad || torn ? UINT64_MAX : r0;
}

static void read_step(struct local_wl *w, struct wl_thread *t, struct tasvir_thread *th,
                      uint64_t now)
{
    for (unsigned i = 0; i < t->n_targets; i++) {
        struct target *g = &t->targets[i];
        if (!g->h) {
            int rc = tasvir_area_attach(th, g->name, &g->h);
            if (rc) {
                g->h = NULL;
                t->attach_retries++;
                continue;
            }
        }
        const void *d = tasvir_area_reader(g->h);
        uint64_t v = tasvir_area_version(g->h);
        uint64_t pub = tasvir_area_pub_ns(g->h);
        uint64_t len = tasvir_area_len(g->h);
        t->reads++;
        if (!d || len < sizeof(struct wl_line))
            continue;
        uint64_t round = check_snapshot(t, g, d, len);
        if (round == UINT64_MAX)
            continue;
        /* A restarted owner has a new writer (a new generation, stamped in every line):
         * its rounds start again.  Versions must stay monotonic across it (the core
         * continues them), and one version number must never show two generations. */
        uint32_t gen = ((const struct wl_line *)d)->gen; /* 0: version 0, nothing written */
        bool new_gen = g->seen_any && gen != g->gen && gen != 0 && g->gen != 0;
        if (new_gen) {
            t->owner_restarts++;
            if (v == g->last_version)
                t->restart_version_reused++;
            g->last_round = 0;
        }
        if (g->seen_any) {
            if (v < g->last_version)
                t->version_regressions++;
            if (round < g->last_round)
                t->round_regressions++;
            if (v == g->last_version && round != g->last_round && !new_gen)
                t->version_changed_content++;
        }
        if (gen != 0)
            g->gen = gen;
        if (!g->seen_any || v > g->last_version) {
            uint64_t skipped = g->seen_any && v > g->last_version + 1 ? v - g->last_version - 1 : 0;
            if (v > 0)
                t->versions_seen++;
            t->skipped_versions += skipped;
            if (v > 0) {
                if (t->n_samples < t->cap_samples) {
                    struct sample *s = &t->samples[t->n_samples++];
                    s->t_ns = now;
                    s->version = v;
                    s->pub_ns = pub;
                    s->round = round;
                    s->write_ns = ((const struct wl_line *)d)->write_ns;
                    s->skipped = skipped;
                    s->target = i;
                } else {
                    t->samples_dropped++;
                }
            }
        }
        g->seen_any = true;
        g->last_version = v > g->last_version ? v : g->last_version;
        g->last_round = round > g->last_round ? round : g->last_round;
    }
    (void)w;
}

static int thread_step(void *wv, unsigned idx, struct tasvir_thread *th, uint64_t now,
                       uint64_t *next_ns)
{
    struct local_wl *w = wv;
    struct wl_thread *t = &w->th[idx];
    if (t->is_writer) {
        if (!t->first_step_ns)
            t->first_step_ns = now;
        if (w->conf.write_for_ms &&
            now - t->first_step_ns >= w->conf.write_for_ms * 1000000ull) {
            /* Done: the last round stays the area's final version; keep checking in. */
            t->done_writing = true;
            *next_ns = UINT64_MAX;
            return 0;
        }
        write_round(w, t, now);
        *next_ns = now + w->conf.write_us * 1000ull;
    } else {
        read_step(w, t, th, now);
        *next_ns = now + w->conf.read_us * 1000ull;
    }
    return 0;
}

/* At the end, on the reader's thread (still between check-ins): did each target reach the
 * newest version its owner announced? */
static void thread_fini(void *wv, unsigned idx, struct tasvir_thread *th)
{
    struct local_wl *w = wv;
    struct wl_thread *t = &w->th[idx];
    (void)th;
    for (unsigned i = 0; i < t->n_targets; i++) {
        struct target *g = &t->targets[i];
        struct tasvir_area_info info;
        if (!g->h || tasvir_area_info(g->h, &info) != 0)
            continue;
        /* Converged: the reader checked the newest version the owner announced.  (Whether
         * the owner is still up does not matter: nodes stop one after the other.) */
        g->end_version = info.version;
        g->end_latest = info.latest_version;
        g->converged = info.version > 0 && info.version >= info.latest_version &&
                       g->last_version == info.version;
    }
}

static void counters(void *wv, const struct tnode_counter_sink *s)
{
    struct local_wl *w = wv;
    uint64_t sum[18] = {0};
    static const char *const names[18] = {
        "rounds",          "bytes_logged",         "log_errors",          "reads",
        "versions_seen",   "skipped_versions",     "torn_versions",       "bad_lines",
        "version_regressions", "round_regressions", "version_changed_content",
        "attach_retries",  "samples",              "samples_dropped",     "targets_unattached",
        "targets_converged", "owner_restarts", "restart_version_reused",
    };
    for (unsigned i = 0; i < w->n_threads; i++) {
        const struct wl_thread *t = &w->th[i];
        uint64_t v[18] = {t->rounds,          t->bytes_logged,       t->log_errors,
                          t->reads,           t->versions_seen,      t->skipped_versions,
                          t->torn_versions,   t->bad_lines,          t->version_regressions,
                          t->round_regressions, t->version_changed_content, t->attach_retries,
                          t->n_samples,       t->samples_dropped,    0, 0, t->owner_restarts,
                          t->restart_version_reused};
        for (unsigned j = 0; j < t->n_targets; j++) {
            if (!t->targets[j].h)
                v[14]++;
            if (t->targets[j].converged)
                v[15]++;
        }
        for (unsigned j = 0; j < 18; j++)
            sum[j] += v[j];
    }
    for (unsigned j = 0; j < 18; j++)
        s->emit(s->arg, names[j], sum[j]);
}

static int write_samples(void *wv, FILE *f)
{
    struct local_wl *w = wv;
    fprintf(f, "t_ns,reader_node,reader_thread,area,owner_node,version,pub_ns,round,write_ns,"
               "visibility_ns,write_to_visible_ns,skipped_versions\n");
    for (unsigned i = 0; i < w->n_threads; i++) {
        const struct wl_thread *t = &w->th[i];
        for (uint64_t j = 0; j < t->n_samples; j++) {
            const struct sample *s = &t->samples[j];
            const struct target *g = &t->targets[s->target];
            fprintf(f, "%" PRIu64 ",%u,%u,%s,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                       ",%" PRId64 ",%" PRId64 ",%" PRIu64 "\n",
                    s->t_ns, w->env.node_id, i, g->name, g->owner, s->version, s->pub_ns,
                    s->round, s->write_ns, (int64_t)(s->t_ns - s->pub_ns),
                    (int64_t)(s->t_ns - s->write_ns), s->skipped);
        }
    }
    return ferror(f) ? -EIO : 0;
}

static int verdict(void *wv, char *msg, size_t len)
{
    struct local_wl *w = wv;
    uint64_t torn = 0, bad = 0, regress = 0, changed = 0, rounds = 0;
    unsigned silent_self = 0;
    for (unsigned i = 0; i < w->n_threads; i++) {
        const struct wl_thread *t = &w->th[i];
        torn += t->torn_versions;
        bad += t->bad_lines;
        regress += t->version_regressions + t->round_regressions;
        changed += t->version_changed_content + t->restart_version_reused;
        rounds += t->rounds;
    }
    for (unsigned i = 0; i < w->n_threads; i++) {
        const struct wl_thread *t = &w->th[i];
        for (unsigned j = 0; j < t->n_targets; j++)
            if (t->targets[j].owner == w->env.node_id && t->targets[j].last_version == 0)
                silent_self++;
    }
    if (torn || bad || regress || changed) {
        snprintf(msg, len, "invariants violated: %" PRIu64 " torn versions, %" PRIu64
                 " damaged snapshots, %" PRIu64 " regressions, %" PRIu64
                 " versions whose content changed", torn, bad, regress, changed);
        return 1;
    }
    if (w->conf.require_converged) {
        unsigned n = 0, bad = 0;
        const struct target *first = NULL;
        for (unsigned i = 0; i < w->n_threads; i++) {
            const struct wl_thread *t = &w->th[i];
            for (unsigned j = 0; j < t->n_targets; j++, n++) {
                if (!t->targets[j].converged && bad++ == 0)
                    first = &t->targets[j];
            }
        }
        if (bad) {
            snprintf(msg, len, "%u of %u reader targets did not converge to their owner's "
                     "newest version (first: %s, %s, visible version %" PRIu64 ", newest "
                     "announced %" PRIu64 ")", bad, n, first->name,
                     first->h ? "attached" : "never attached", first->end_version,
                     first->end_latest);
            return 1;
        }
    }
    if (rounds > 0 && silent_self > 0) {
        snprintf(msg, len, "%u reader target(s) on this node never saw a published version "
                 "although %" PRIu64 " rounds were written", silent_self, rounds);
        return 1;
    }
    snprintf(msg, len, "ok");
    return 0;
}

static void wl_destroy(void *wv)
{
    struct local_wl *w = wv;
    if (!w)
        return;
    for (unsigned i = 0; i < w->n_threads; i++) {
        free(w->th[i].targets);
        free(w->th[i].samples);
    }
    free(w->th);
    free(w);
}

const struct tnode_workload tnode_wl_local = {
    .name = "local",
    .summary = "writers rewrite whole areas in rounds; readers check every snapshot "
               "(torn lines, atomicity, monotonic versions) and sample each new version",
    .params_help = "  writers=N       writer threads, each owning area n<node>.w<k> (1)\n"
                   "  readers=N       reader threads (1)\n"
                   "  area_bytes=B    bytes per area, rounded up to 64-byte lines (4096)\n"
                   "  write_us=U      microseconds between write rounds; 0: every step (100)\n"
                   "  read_us=U       microseconds between reads; 0: every step (0)\n"
                   "  sync_int_us=U   areas' internal sync interval; 0: node default (0)\n"
                   "  sync_ext_us=U   areas' external sync interval; 0: node default (0)\n"
                   "  read_nodes=L    self, all, or node ids 0,2,... whose areas to read (self)\n"
                   "  max_samples=N   samples kept per reader thread (100000)\n"
                   "  write_for_ms=T  writers stop after T ms, leaving a final version (0: never)\n"
                   "  require_converged=0|1  fail unless every reader target ends on its\n"
                   "                  owner's newest version (0)\n",
    .conf_create = conf_create,
    .conf_set = conf_set,
    .threads = threads,
    .conf_free = conf_free,
    .create = create,
    .thread_init = thread_init,
    .thread_step = thread_step,
    .thread_fini = thread_fini,
    .counters = counters,
    .write_samples = write_samples,
    .verdict = verdict,
    .destroy = wl_destroy,
};

/*
 * workload.c — writers, probes and the join of their files (see workload.h).
 */
#include "workload.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static uint64_t line_mix(uint64_t gen, uint64_t idx)
{
    return tsv_mix64(gen * 0x9e3779b97f4a7c15ull ^ (idx << 32) ^ 0x5bd1e995u);
}

static uint64_t zero_digest(uint64_t nlines)
{
    uint64_t z = 0;
    for (uint64_t l = 1; l < nlines; l++)
        z ^= line_mix(0, l);
    return z;
}

static void stamp(uint8_t *line, uint64_t gen, uint64_t write_ns, uint64_t idx)
{
    uint64_t w[8];
    w[0] = gen;
    w[1] = write_ns;
    w[2] = idx;
    uint64_t sum = tsv_mix64(gen ^ (idx << 40) ^ write_ns);
    for (int i = 3; i < 7; i++) {
        w[i] = tsv_mix64(gen * 7 + idx * 13 + (uint64_t)i);
        sum ^= w[i];
    }
    w[7] = sum;
    memcpy(line, w, 64);
}

/* The generation stamped in a line, or UINT64_MAX if the line is corrupt or torn. */
static uint64_t check_stamp(const uint8_t *line, uint64_t idx, uint64_t *write_ns)
{
    uint64_t w[8];
    memcpy(w, line, 64);
    if (w[0] == 0) {
        for (int i = 1; i < 8; i++)
            if (w[i])
                return UINT64_MAX;
        *write_ns = 0;
        return 0;
    }
    if (w[2] != idx)
        return UINT64_MAX;
    uint64_t sum = tsv_mix64(w[0] ^ (idx << 40) ^ w[1]);
    for (int i = 3; i < 7; i++) {
        if (w[i] != tsv_mix64(w[0] * 7 + idx * 13 + (uint64_t)i))
            return UINT64_MAX;
        sum ^= w[i];
    }
    *write_ns = w[1];
    return sum == w[7] ? w[0] : UINT64_MAX;
}

static uint64_t header_check(const uint64_t *h)
{
    return tsv_mix64(h[0] ^ tsv_mix64(h[1]) ^ tsv_mix64(h[2] + 1) ^ tsv_mix64(h[3] + 2) ^ tsv_mix64(h[4] + 3) ^
                 tsv_mix64(h[5] + 4));
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

void tsv_out_headers(const struct tsv_out *o)
{
    if (o->versions)
        fprintf(o->versions, "area,owner,version,pub_ns,lines_changed\n");
    if (o->visible)
        fprintf(o->visible, "area,owner,node,version,pub_ns,visible_ns\n");
    if (o->samples)
        fprintf(o->samples, "time_ns,node,thread,area,owner,version,pub_ns,announced_version,"
                            "announced_pub_ns,w2v_ns\n");
}

/* ---- writer ---- */

void tsv_writer_conf_init(struct tsv_writer_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->lines_per_write = 4;
    c->pattern = TSV_RND;
    c->rate_hz = 1000;
    c->burst = 1;
    c->seed = 1;
}

static uint64_t gap_ns(struct tsv_writer *w)
{
    /* bursts of `burst` batches keep the average rate: the gap between bursts grows */
    double mean = 1e9 * w->c.burst / w->c.rate_hz;
    if (!w->c.poisson)
        return (uint64_t)mean;
    double u = ((double)(xorshift(&w->rng) >> 11) + 1.0) / 9007199254740993.0;
    return (uint64_t)(-log(u) * mean);
}

int tsv_writer_init(struct tsv_writer *w, struct tasvir_area *owner, const struct tsv_writer_conf *c,
                    uint16_t node, uint64_t now_ns)
{
    memset(w, 0, sizeof(*w));
    if (!owner || !c || c->lines_per_write == 0 || !(c->rate_hz > 0) || c->burst == 0)
        return -EINVAL;
    uint8_t *base = tasvir_area_writer(owner);
    uint64_t len = tasvir_area_len(owner);
    if (!base || len < 128)
        return -EINVAL;
    w->c = *c;
    w->a = owner;
    w->w = base;
    w->nlines = len / 64;
    w->line_gen = calloc(w->nlines, sizeof(uint64_t));
    if (!w->line_gen)
        return -ENOMEM;
    w->zero_digest = zero_digest(w->nlines);
    w->digest = w->zero_digest;
    w->rng = tsv_mix64(c->seed ^ ((uint64_t)node << 48)) | 1;
    w->node = node;
    struct tasvir_area_info info;
    tasvir_area_info(owner, &info);
    w->area_id = info.id;
    w->last_ver = info.version;
    w->burst_left = c->burst;
    w->next_ns = now_ns + gap_ns(w) / c->burst;
    return 0;
}

void tsv_writer_fini(struct tsv_writer *w)
{
    free(w->line_gen);
    w->line_gen = NULL;
}

void tsv_writer_write(struct tsv_writer *w, uint64_t now_ns)
{
    w->gen++;
    w->writes++;
    uint64_t span = w->nlines - 1;
    for (uint32_t k = 0; k < w->c.lines_per_write; k++) {
        uint64_t l;
        if (w->c.pattern == TSV_SEQ) {
            l = 1 + w->seq_pos;
            w->seq_pos = (w->seq_pos + 1) % span;
        } else {
            l = 1 + xorshift(&w->rng) % span;
        }
        w->digest ^= line_mix(w->line_gen[l], l) ^ line_mix(w->gen, l);
        w->line_gen[l] = w->gen;
        stamp(w->w + l * 64, w->gen, now_ns, l);
        tasvir_log(w->a, w->w + l * 64, 64);
    }
    uint64_t h[8] = {w->gen, w->digest, now_ns, w->node, w->nlines, w->writes, 0, 0};
    h[7] = header_check(h);
    memcpy(w->w, h, 64);
    tasvir_log(w->a, w->w, 64);
    w->lines_since_ver += w->c.lines_per_write + 1;
    /* schedule: the rest of a burst back to back (1 ns apart), then the gap */
    if (--w->burst_left > 0) {
        w->next_ns = now_ns + 1;
    } else {
        w->burst_left = w->c.burst;
        uint64_t g = gap_ns(w);
        w->next_ns = (w->next_ns > now_ns ? w->next_ns : now_ns) + (g ? g : 1);
    }
}

void tsv_writer_checkin(struct tsv_writer *w, const struct tsv_out *o)
{
    uint64_t v = tasvir_area_version(w->a);
    if (v == w->last_ver)
        return;
    /* an active owner checks in at every epoch, so v advances by one; if it was absent,
     * the versions in between are reported with the latest publish time */
    uint64_t pub = tasvir_area_pub_ns(w->a);
    for (uint64_t x = w->last_ver + 1; x <= v; x++)
        if (o->versions)
            fprintf(o->versions, "%" PRIu32 ",%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", w->area_id,
                    w->node, x, pub, x == v ? w->lines_since_ver : 0);
    w->lines_since_ver = 0;
    w->last_ver = v;
}

/* ---- probe ---- */

int tsv_probe_init(struct tsv_probe *p, struct tasvir_area *reader, uint16_t node, uint16_t thread)
{
    memset(p, 0, sizeof(*p));
    if (!reader)
        return -EINVAL;
    struct tasvir_area_info info;
    int rc = tasvir_area_info(reader, &info);
    if (rc)
        return rc;
    p->a = reader;
    p->area_id = info.id;
    p->owner = info.owner_node;
    p->node = node;
    p->thread = thread;
    p->nlines = info.len_bytes / 64;
    p->zero_digest = zero_digest(p->nlines);
    p->last_ver = info.version;
    return 0;
}

/* Verify the reader copy is one complete version; returns its generation and last write
 * time, or false. */
static bool verify(const struct tsv_probe *p, uint64_t *gen, uint64_t *last_write)
{
    const uint8_t *r = tasvir_area_reader(p->a);
    uint64_t h[8];
    memcpy(h, r, 64);
    *gen = h[0];
    *last_write = h[2];
    if (h[0] == 0) { /* version 0: nothing written yet: all zero */
        for (int i = 0; i < 8; i++)
            if (h[i])
                return false;
    } else if (h[7] != header_check(h)) {
        return false;
    }
    uint64_t x = 0, wns;
    for (uint64_t l = 1; l < p->nlines; l++) {
        uint64_t g = check_stamp(r + l * 64, l, &wns);
        if (g == UINT64_MAX || g > h[0])
            return false;
        x ^= line_mix(g, l);
    }
    /* the writer's digest is the XOR over lines of mix(generation, index): all-zero lines
     * included, so version 0 has the zero digest */
    return x == (h[0] == 0 ? p->zero_digest : h[1]);
}

void tsv_probe_checkin(struct tsv_probe *p, uint64_t now_ns, const struct tsv_out *o)
{
    (void)now_ns;
    uint64_t v = tasvir_area_version(p->a);
    if (v == p->last_ver)
        return;
    if (v < p->last_ver)
        p->backwards++;
    p->checks++;
    uint64_t gen, last_write;
    if (!verify(p, &gen, &last_write))
        p->torn++;
    if (gen != p->last_gen && last_write) {
        p->pending_w2v_ts = last_write;
        p->w2v_pending = true;
    }
    p->last_gen = gen;
    p->last_ver = v;
    struct tasvir_area_info info;
    if (o->visible && tasvir_area_info(p->a, &info) == 0)
        fprintf(o->visible, "%" PRIu32 ",%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", p->area_id,
                p->owner, p->node, info.version, info.pub_ns, info.visible_ns);
}

void tsv_probe_sample(struct tsv_probe *p, uint64_t now_ns, const struct tsv_out *o)
{
    struct tasvir_area_info info;
    if (tasvir_area_info(p->a, &info))
        return;
    p->samples++;
    if (!o->samples)
        return;
    fprintf(o->samples, "%" PRIu64 ",%u,%u,%" PRIu32 ",%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64
                        ",%" PRIu64 ",",
            now_ns, p->node, p->thread, p->area_id, p->owner, info.version, info.pub_ns,
            info.latest_version, info.latest_pub_ns);
    if (p->w2v_pending && now_ns >= p->pending_w2v_ts) {
        fprintf(o->samples, "%" PRIu64, now_ns - p->pending_w2v_ts);
        p->w2v_pending = false;
    }
    fputc('\n', o->samples);
}

/* ---- trace of the version path ---- */

struct tsv_trace {
    struct tasvir_trace_rec *r;
    size_t cap;
    _Atomic size_t n; /* records claimed; beyond cap they were dropped */
    bool grow;
};

struct tsv_trace *tsv_trace_new(size_t cap, bool grow)
{
    struct tsv_trace *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cap = cap ? cap : 1;
    t->r = malloc(t->cap * sizeof(*t->r));
    if (!t->r) {
        free(t);
        return NULL;
    }
    atomic_init(&t->n, 0);
    t->grow = grow;
    return t;
}

void tsv_trace_free(struct tsv_trace *t)
{
    if (t) {
        free(t->r);
        free(t);
    }
}

void tsv_trace_sink(void *arg, const struct tasvir_trace_rec *r)
{
    struct tsv_trace *t = arg;
    if (t->grow) {
        size_t n = atomic_load_explicit(&t->n, memory_order_relaxed);
        if (n == t->cap) {
            struct tasvir_trace_rec *x = realloc(t->r, 2 * t->cap * sizeof(*x));
            if (!x) {
                atomic_store_explicit(&t->n, n + 1, memory_order_relaxed);
                t->grow = false; /* out of memory: count from now on */
                return;
            }
            t->r = x;
            t->cap *= 2;
        }
        t->r[n] = *r;
        atomic_store_explicit(&t->n, n + 1, memory_order_relaxed);
        return;
    }
    size_t i = atomic_fetch_add_explicit(&t->n, 1, memory_order_relaxed);
    if (i < t->cap)
        t->r[i] = *r;
}

uint64_t tsv_trace_dropped(const struct tsv_trace *t)
{
    size_t n = atomic_load_explicit(&((struct tsv_trace *)t)->n, memory_order_relaxed);
    return n > t->cap ? n - t->cap : 0;
}

int tsv_trace_write(const struct tsv_trace *t, uint16_t node, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    size_t n = atomic_load_explicit(&((struct tsv_trace *)t)->n, memory_order_acquire);
    if (n > t->cap)
        n = t->cap;
    fprintf(f, "node,area,owner,version,event,peer,ns,epoch_start_ns,frames\n");
    for (size_t i = 0; i < n; i++) {
        const struct tasvir_trace_rec *r = &t->r[i];
        fprintf(f, "%u,%" PRIu32 ",%u,%" PRIu64 ",%u,%u,%" PRIu64 ",", node, r->area_id,
                r->owner, r->version, r->event, r->peer, r->ns);
        if (r->event == TASVIR_TRACE_PUBLISH)
            fprintf(f, "%" PRIu64 ",\n", r->aux);
        else if (r->event == TASVIR_TRACE_SENT || r->event == TASVIR_TRACE_RX_FIRST)
            fprintf(f, ",%" PRIu64 "\n", r->aux);
        else
            fputs(",\n", f);
    }
    int rc = ferror(f) ? -EIO : 0;
    if (fclose(f) && !rc)
        rc = -errno;
    return rc;
}

/* ---- join ---- */

struct ver {
    uint64_t version, pub_ns;
};

struct area_vers {
    uint32_t area;
    uint16_t owner;
    struct ver *v;
    size_t n, cap;
};

struct vis {
    uint32_t area;
    uint16_t node;
    uint64_t version, visible_ns;
};

/* a trace record, as the join needs it */
struct trec {
    uint32_t area;
    uint16_t node, peer;
    uint8_t event;
    uint64_t version, ns, epoch_start_ns;
};

struct joinctx {
    FILE *sout; /* samples.csv being written */
    struct trec *tr;
    size_t ntr, captr;
    struct area_vers *areas;
    size_t nareas, capareas;
    struct vis *vis;
    size_t nvis, capvis;
    char *err;
    size_t errlen;
};

static int jerr(struct joinctx *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, j->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static struct area_vers *area_get(struct joinctx *j, uint32_t area, uint16_t owner)
{
    for (size_t i = 0; i < j->nareas; i++)
        if (j->areas[i].area == area)
            return &j->areas[i];
    if (j->nareas == j->capareas) {
        size_t cap = j->capareas ? j->capareas * 2 : 16;
        struct area_vers *x = realloc(j->areas, cap * sizeof(*x));
        if (!x)
            return NULL;
        j->areas = x;
        j->capareas = cap;
    }
    struct area_vers *a = &j->areas[j->nareas++];
    memset(a, 0, sizeof(*a));
    a->area = area;
    a->owner = owner;
    return a;
}

/* Parse a row of unsigned integers (empty cells -> UINT64_MAX). */
static int parse_row(char *line, uint64_t *vals, int n)
{
    char *s = line;
    for (int i = 0; i < n; i++) {
        char *end;
        if (*s == ',' || *s == '\n' || *s == '\0') {
            vals[i] = UINT64_MAX;
            end = s;
        } else {
            errno = 0;
            vals[i] = strtoull(s, &end, 10);
            if (errno || end == s)
                return -1;
        }
        if (i < n - 1) {
            if (*end != ',')
                return -1;
            s = end + 1;
        } else if (*end != '\n' && *end != '\0' && *end != '\r') {
            return -1;
        }
    }
    return 0;
}

typedef int (*row_fn)(struct joinctx *j, const uint64_t *vals, const char *file, long line);

static int read_files(struct joinctx *j, const char *dir, const char *prefix, const char *header,
                      int ncols, row_fn fn, int *found)
{
    DIR *d = opendir(dir);
    if (!d)
        return jerr(j, "%s: cannot open directory: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    char path[4096], buf[1024];
    uint64_t vals[16];
    while (!rc && (e = readdir(d))) {
        size_t pl = strlen(prefix), nl = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, pl) != 0 || nl < 4 || strcmp(e->d_name + nl - 4, ".csv"))
            continue;
        /* "versions" must not swallow other kinds: the next char is '.', '-' or a digit */
        char c = e->d_name[pl];
        if (c != '.' && c != '-' && !(c >= '0' && c <= '9'))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) {
            rc = jerr(j, "%s: %s", path, strerror(errno));
            break;
        }
        (*found)++;
        long ln = 0;
        while (fgets(buf, sizeof(buf), f)) {
            ln++;
            if (ln == 1) {
                if (strncmp(buf, header, strlen(header)) != 0)
                    rc = jerr(j, "%s:1: unexpected header (want '%s')", path, header);
                if (rc)
                    break;
                continue;
            }
            if (buf[0] == '\n')
                continue;
            if (parse_row(buf, vals, ncols)) {
                rc = jerr(j, "%s:%ld: malformed row", path, ln);
                break;
            }
            if ((rc = fn(j, vals, path, ln)))
                break;
        }
        fclose(f);
    }
    closedir(d);
    return rc;
}

static int row_version(struct joinctx *j, const uint64_t *v, const char *file, long line)
{
    struct area_vers *a = area_get(j, (uint32_t)v[0], (uint16_t)v[1]);
    if (!a)
        return jerr(j, "out of memory");
    if (a->n && v[2] <= a->v[a->n - 1].version)
        return jerr(j, "%s:%ld: versions of area %" PRIu64 " not increasing", file, line, v[0]);
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        struct ver *x = realloc(a->v, cap * sizeof(*x));
        if (!x)
            return jerr(j, "out of memory");
        a->v = x;
        a->cap = cap;
    }
    a->v[a->n++] = (struct ver){v[2], v[3]};
    return 0;
}

static int row_visible(struct joinctx *j, const uint64_t *v, const char *file, long line)
{
    (void)file;
    (void)line;
    if (j->nvis == j->capvis) {
        size_t cap = j->capvis ? j->capvis * 2 : 1024;
        struct vis *x = realloc(j->vis, cap * sizeof(*x));
        if (!x)
            return jerr(j, "out of memory");
        j->vis = x;
        j->capvis = cap;
    }
    j->vis[j->nvis++] = (struct vis){(uint32_t)v[0], (uint16_t)v[2], v[3], v[5]};
    return 0;
}

static int row_trace(struct joinctx *j, const uint64_t *v, const char *file, long line)
{
    if (v[0] > UINT16_MAX || v[1] > UINT32_MAX || v[4] < TASVIR_TRACE_PUBLISH ||
        v[4] > TASVIR_TRACE_RX_COMPLETE || v[5] > UINT16_MAX || v[6] == UINT64_MAX ||
        v[2] == UINT64_MAX || v[3] == UINT64_MAX)
        return jerr(j, "%s:%ld: malformed trace row", file, line);
    if (j->ntr == j->captr) {
        size_t cap = j->captr ? j->captr * 2 : 4096;
        struct trec *x = realloc(j->tr, cap * sizeof(*x));
        if (!x)
            return jerr(j, "out of memory");
        j->tr = x;
        j->captr = cap;
    }
    j->tr[j->ntr++] = (struct trec){(uint32_t)v[1], (uint16_t)v[0], (uint16_t)v[5],
                                    (uint8_t)v[4], v[3], v[6], v[7]};
    return 0;
}

static int cmp_trec(const void *a, const void *b)
{
    const struct trec *x = a, *y = b;
    if (x->area != y->area)
        return x->area < y->area ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->event != y->event)
        return x->event < y->event ? -1 : 1;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* The earliest trace record of (area, node, event, version) whose peer is `peer` or the
 * multicast group (peer UINT32_MAX: any), or NULL. */
static const struct trec *trace_first(const struct joinctx *j, uint32_t area, uint16_t node,
                                      int event, uint64_t version, uint32_t peer)
{
    struct trec key = {.area = area, .node = node, .event = (uint8_t)event, .version = version};
    size_t lo = 0, hi = j->ntr;
    while (lo < hi) { /* first record not below (area, node, event, version, 0) */
        size_t mid = (lo + hi) / 2;
        if (cmp_trec(&j->tr[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < j->ntr; lo++) {
        const struct trec *r = &j->tr[lo];
        if (r->area != area || r->node != node || r->event != event || r->version != version)
            return NULL;
        if (peer == UINT32_MAX || r->peer == peer || r->peer == 0xffffu)
            return r;
    }
    return NULL;
}

/* The stage columns of a received version's row (see tsv_join). */
static void trace_cells(FILE *f, const struct joinctx *j, uint32_t area, uint16_t owner,
                        uint16_t sub, uint64_t version)
{
    const struct trec *r[4] = {
        trace_first(j, area, owner, TASVIR_TRACE_SENT, version, sub),
        trace_first(j, area, sub, TASVIR_TRACE_RX_FIRST, version, UINT32_MAX),
        trace_first(j, area, sub, TASVIR_TRACE_RX_COMPLETE, version, UINT32_MAX),
        trace_first(j, area, sub, TASVIR_TRACE_PUBLISH, version, UINT32_MAX),
    };
    for (int k = 0; k < 4; k++) {
        fputc(',', f);
        uint64_t t = !r[k] ? UINT64_MAX : k == 3 ? r[k]->epoch_start_ns : r[k]->ns;
        if (t != UINT64_MAX)
            fprintf(f, "%" PRIu64, t);
    }
}

static int cmp_vis(const void *a, const void *b)
{
    const struct vis *x = a, *y = b;
    if (x->area != y->area)
        return x->area < y->area ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return x->visible_ns < y->visible_ns ? -1 : x->visible_ns > y->visible_ns;
}

/* the owner's latest version published at or before t (index, or -1) */
static long latest_at(const struct area_vers *a, uint64_t t)
{
    long lo = 0, hi = (long)a->n - 1, best = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (a->v[mid].pub_ns <= t) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

static long find_version(const struct area_vers *a, uint64_t version)
{
    long lo = 0, hi = (long)a->n - 1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (a->v[mid].version == version)
            return mid;
        if (a->v[mid].version < version)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int row_sample(struct joinctx *j, const uint64_t *v, const char *file, long line)
{
    (void)file;
    (void)line;
    uint64_t t = v[0], ver = v[5];
    struct area_vers *a = NULL;
    for (size_t x = 0; x < j->nareas; x++)
        if (j->areas[x].area == v[3])
            a = &j->areas[x];
    fprintf(j->sout, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
            t, v[1], v[2], v[3], v[4], ver);
    if (v[6] != UINT64_MAX && ver > 0)
        fprintf(j->sout, "%" PRIu64, v[6]);
    long li = a ? latest_at(a, t) : -1;
    uint64_t latest = li >= 0 ? a->v[li].version : 0;
    if (!a) {
        fprintf(j->sout, ",,,,,"); /* the owner's versions are unknown */
    } else if (ver >= latest) {
        fprintf(j->sout, ",%" PRIu64 ",", ver);
        if (ver > 0 && li >= 0)
            fprintf(j->sout, "%" PRIu64, a->v[li].pub_ns);
        fprintf(j->sout, ",0,0,");
    } else {
        long nx = find_version(a, ver + 1);
        fprintf(j->sout, ",%" PRIu64 ",%" PRIu64 ",", latest, a->v[li].pub_ns);
        if (nx >= 0 && t >= a->v[nx].pub_ns)
            fprintf(j->sout, "%" PRIu64, t - a->v[nx].pub_ns);
        fprintf(j->sout, ",%" PRIu64 ",", latest - ver);
    }
    if (v[9] != UINT64_MAX)
        fprintf(j->sout, "%" PRIu64, v[9]);
    fputc('\n', j->sout);
    return 0;
}

int tsv_join(const char *dir, char *err, size_t errlen)
{
    struct joinctx j = {.err = err, .errlen = errlen};
    int found = 0, rc;
    char path[4096];
    rc = read_files(&j, dir, "versions", "area,owner,version,pub_ns", 5, row_version, &found);
    if (!rc && !found)
        rc = jerr(&j, "%s: no versions*.csv", dir);
    int nvisf = 0;
    if (!rc)
        rc = read_files(&j, dir, "visible", "area,owner,node,version,pub_ns,visible_ns", 6,
                        row_visible, &nvisf);
    int ntrf = 0;
    if (!rc)
        rc = read_files(&j, dir, "trace", "node,area,owner,version,event,peer,ns", 9, row_trace,
                        &ntrf);
    FILE *vo = NULL;
    if (!rc) {
        qsort(j.vis, j.nvis, sizeof(*j.vis), cmp_vis);
        qsort(j.tr, j.ntr, sizeof(*j.tr), cmp_trec);
        snprintf(path, sizeof(path), "%s/visibility.csv", dir);
        vo = fopen(path, "w");
        if (!vo)
            rc = jerr(&j, "%s: %s", path, strerror(errno));
    }
    if (!rc) {
        fprintf(vo, "area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped,sent_ns,"
                    "rx_first_ns,rx_complete_ns,epoch_start_ns\n");
        for (size_t i = 0; i < j.nvis;) {
            size_t k = i;
            while (k < j.nvis && j.vis[k].area == j.vis[i].area && j.vis[k].node == j.vis[i].node)
                k++;
            struct area_vers *a = NULL;
            for (size_t x = 0; x < j.nareas; x++)
                if (j.areas[x].area == j.vis[i].area)
                    a = &j.areas[x];
            if (a) {
                /* versions published after this subscriber first saw the area (earlier ones
                 * predate its subscription) */
                uint64_t first_seen = j.vis[i].visible_ns;
                size_t e = i;
                for (size_t x = 0; x < a->n; x++) {
                    if (a->v[x].pub_ns < first_seen)
                        continue;
                    while (e < k && j.vis[e].version < a->v[x].version)
                        e++;
                    if (e < k) {
                        bool skipped = j.vis[e].version != a->v[x].version;
                        fprintf(vo, "%u,%u,%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64 ",%d",
                                a->area, a->owner, a->v[x].version, a->v[x].pub_ns, j.vis[i].node,
                                j.vis[e].visible_ns, j.vis[e].visible_ns - a->v[x].pub_ns,
                                skipped);
                        if (skipped)
                            fputs(",,,,\n", vo);
                        else {
                            trace_cells(vo, &j, a->area, a->owner, j.vis[i].node,
                                        a->v[x].version);
                            fputc('\n', vo);
                        }
                    } else {
                        fprintf(vo, "%u,%u,%" PRIu64 ",%" PRIu64 ",%u,,,0,,,,\n", a->area,
                                a->owner, a->v[x].version, a->v[x].pub_ns, j.vis[i].node);
                    }
                }
            }
            i = k;
        }
        fclose(vo);
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        j.sout = fopen(path, "w");
        if (!j.sout) {
            rc = jerr(&j, "%s: %s", path, strerror(errno));
        } else {
            fprintf(j.sout, "time_ns,node,thread,area,owner,version,pub_ns,latest_version,"
                            "latest_pub_ns,age_ns,version_lag,w2v_ns\n");
            int ns = 0;
            rc = read_files(&j, dir, "samples-raw", "time_ns,node,thread,area", 10, row_sample, &ns);
            fclose(j.sout);
        }
    }
    for (size_t i = 0; i < j.nareas; i++)
        free(j.areas[i].v);
    free(j.areas);
    free(j.vis);
    free(j.tr);
    return rc;
}

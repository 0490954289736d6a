/*
 * tasvir-collect — turn a launcher run directory into an analysable run directory
 * (docs/data-formats.md): gather the workload files every node wrote, merge the counters
 * and the manifests, and join the files into visibility.csv and samples.csv (tsv_join),
 * ready for tasvir-analyze.
 *
 *   tasvir-collect [--label TEXT] [--link-rate-mbps R] [--one-way-ns D] [--warmup-s S]
 *                  [--out DIR] RUNDIR
 *
 * Input (what experiments/testbed/launch leaves): RUNDIR/node<N>/ per node, and
 * RUNDIR/node<N>.restart/ for a node restarted by --kill N@T+R, each with tasvir-node's
 * manifest.json, counters.csv (scope,name,value) and, for the versioned workload,
 * versions-node<N>.csv, visible-node<N>.csv and samples-raw-node<N>.csv.
 *
 * Output in RUNDIR: copies of those files (a restarted node's as *-node<N>-restart.csv;
 * versions.csv has all owners' versions in one file),
 * counters.csv (node,name,value: node-scope counters under their own names, the others as
 * <scope>_<name>; a node's lives summed), manifest.json (label, mode "hw", seed, git_rev,
 * params, analytic_bound_ns with its terms and how each was estimated, clock_error_ns,
 * and per node: directory, exit status, verdict, engine poll gaps), visibility.csv and
 * samples.csv.
 *
 * The analytic bound (DESIGN.md §6) is
 *   owner internal interval + external interval + transmission + one-way delay
 *   + reader internal interval
 * with
 *   transmission = the frames of one external round of every area of one owner (the lines
 *     its writers can dirty in one external interval, at most the whole areas, plus a
 *     header line per write; 22 lines per 1500-byte frame) at the link rate: --link-rate-mbps,
 *     else the rate the port reports (memif reports a nominal 100 Gbit/s: measure it, e.g.
 *     with dpdk-testpmd as experiments/hw/goodput does, and pass it);
 *   one-way delay = --one-way-ns, else the largest p99 gap between two polls of a node's
 *     sync engine in this run (how long an arrived frame can wait before a receiver looks at
 *     it: on a local testbed there is no wire, the wait is the whole one-way delay).
 *
 * Exit status: 0 ok, 1 failure (unreadable or inconsistent files), 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload.h"

#define MAX_LIVES 2048

struct life {
    char dir[64];   /* node3 or node3.restart */
    unsigned node;
    int restart;
    json_t *m;      /* its manifest (NULL: none, e.g. killed) */
};

static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
{
    va_list ap;
    fputs("tasvir-collect: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see --help)\n", stderr);
    return 2;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;
    fputs("tasvir-collect: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tasvir-collect [options] RUNDIR\n"
            "\n"
            "Gather the results of a hardware run (experiments/testbed/launch --out RUNDIR)\n"
            "into RUNDIR: the nodes' workload files, counters.csv (node,name,value),\n"
            "manifest.json (label, mode, seed, git_rev, params, analytic_bound_ns), and\n"
            "visibility.csv and samples.csv joined from them, for tasvir-analyze.\n"
            "\n"
            "  --label TEXT         the run's label (the nodes' --label, else\n"
            "                       '<testbed> ext <interval>')\n"
            "  --link-rate-mbps R   link rate for the bound's transmission term (the rate\n"
            "                       the port reports)\n"
            "  --one-way-ns D       the bound's one-way delay term (the largest p99 gap\n"
            "                       between two sync-engine polls of any node in the run)\n"
            "  --warmup-s S         leave out versions published and reads made in the first\n"
            "                       S seconds after the first node started (0)\n"
            "  --out DIR            write the collected files there instead of RUNDIR\n"
            "  --help               this text\n"
            "\n"
            "Exit status: 0 ok, 1 failure, 2 usage.\n");
}

/* snprintf that reports truncation (0 ok, -1 truncated). */
static int fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));

static int fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, len, f, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int parse_num(const char *s, double min, double max, double *out)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || e == s || *e || !(v >= min) || !(v <= max))
        return -1;
    *out = v;
    return 0;
}

static int cmp_life(const void *a, const void *b)
{
    const struct life *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return x->restart - y->restart;
}

/* ---- restarted owners ---------------------------------------------------------------
 *
 * A restarted owner numbers its versions from 1 again, while its readers keep their own
 * numbering going (the core offsets a replica's versions so that they never go back), so
 * tsv_join, which matches by version number, cannot pair them.  The new incarnation
 * becomes an area of its own: its id gets INC_FLAG, and every reader row of it (found by
 * the publish time, unique per version of an area) is renumbered to the owner's
 * numbering.  Rows of the killed incarnation keep the old id; its owner-side file died
 * with it, so they join to nothing (the samples keep them, without ground truth). */

#define INC_FLAG 0x80000000u

struct inc_area {
    unsigned owner;
    uint32_t area;
    uint64_t *pub, *ver; /* by publish time */
    size_t n, cap;
};

struct incs {
    struct inc_area *a;
    size_t n, cap;
};

static struct inc_area *inc_find(struct incs *x, unsigned owner, uint32_t area)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->a[i].owner == owner && x->a[i].area == area)
            return &x->a[i];
    return NULL;
}

/* The owner's version published at pub (the highest, if several carry that time). */
static int inc_lookup(const struct inc_area *a, uint64_t pub, uint64_t *ver)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) { /* first index with pub > the one searched */
        size_t mid = (lo + hi) / 2;
        if (a->pub[mid] <= pub)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || a->pub[lo - 1] != pub)
        return -1;
    *ver = a->ver[lo - 1];
    return 0;
}

/* Split a CSV row into at most max cells (in place).  Returns the cell count. */
static int split(char *line, char **cell, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    char *s = line;
    for (;;) {
        if (n == max)
            return -1;
        cell[n++] = s;
        char *c = strchr(s, ',');
        if (!c)
            return n;
        *c = 0;
        s = c + 1;
    }
}

static int load_incarnation(struct incs *x, const char *path, unsigned owner)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail("%s: %s", path, strerror(errno));
    char line[512], *c[8];
    long ln = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        if (++ln == 1 || line[0] == '\n')
            continue;
        if (split(line, c, 8) != 5) {
            rc = fail("%s:%ld: malformed row", path, ln);
            break;
        }
        uint32_t area = (uint32_t)strtoul(c[0], NULL, 10);
        struct inc_area *a = inc_find(x, owner, area);
        if (!a) {
            if (x->n == x->cap) {
                size_t cap = x->cap ? x->cap * 2 : 8;
                struct inc_area *y = realloc(x->a, cap * sizeof(*y));
                if (!y) {
                    rc = fail("out of memory");
                    break;
                }
                x->a = y;
                x->cap = cap;
            }
            a = &x->a[x->n++];
            memset(a, 0, sizeof(*a));
            a->owner = owner;
            a->area = area;
        }
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 1024;
            uint64_t *p = realloc(a->pub, cap * sizeof(*p)), *v = p ? realloc(a->ver, cap * sizeof(*v)) : NULL;
            if (p)
                a->pub = p;
            if (!p || !v) {
                rc = fail("out of memory");
                break;
            }
            a->ver = v;
            a->cap = cap;
        }
        a->ver[a->n] = strtoull(c[2], NULL, 10);
        a->pub[a->n] = strtoull(c[3], NULL, 10);
        if (a->n && a->pub[a->n] < a->pub[a->n - 1]) {
            rc = fail("%s:%ld: publish times going back", path, ln);
            break;
        }
        a->n++;
    }
    fclose(f);
    return rc;
}

/* Open from for reading and to for writing (both or neither). */
static int open_pair(const char *from, const char *to, FILE **in, FILE **out)
{
    if (!(*in = fopen(from, "r")))
        return fail("%s: %s", from, strerror(errno));
    if (!(*out = fopen(to, "w"))) {
        fclose(*in);
        return fail("%s: %s", to, strerror(errno));
    }
    return 0;
}

/* Copy a file as it is. */
static int copy_plain(const char *from, const char *to)
{
    FILE *in, *out;
    if (open_pair(from, to, &in, &out))
        return -1;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            break;
    int bad = ferror(in) || ferror(out);
    fclose(in);
    if (fclose(out) || bad)
        return fail("%s: copy failed", to);
    return 0;
}

/* Copy one node file, renumbering rows of restarted owners' new incarnations.  kind: 0
 * versions (own_restart: this file is a new incarnation's), 1 visible, 2 samples-raw. */
static int copy_file(const char *from, const char *to, int kind, int own_restart,
                     struct incs *x, uint64_t warm_end_ns)
{
    FILE *in, *out;
    if (open_pair(from, to, &in, &out))
        return -1;
    /* columns: area, owner, version, pub, (samples) announced version and pub */
    static const int col[3][6] = {{0, 1, 2, 3, -1, -1}, {0, 1, 3, 4, -1, -1}, {3, 4, 5, 6, 7, 8}};
    char line[1024], orig[1024], *c[16];
    long ln = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), in)) {
        ln++;
        if (ln > 1 && line[0] != '\n' && warm_end_ns) {
            /* warm-up: versions published, and reads made, before warm_end_ns are left
             * out (versions: pub_ns; visible: pub_ns; samples-raw: time_ns) */
            const char *cell = line;
            int want = kind == 2 ? 0 : kind == 1 ? 4 : 3;
            for (int i = 0; i < want && cell; i++) {
                cell = strchr(cell, ',');
                if (cell)
                    cell++;
            }
            if (cell && strtoull(cell, NULL, 10) < warm_end_ns)
                continue;
        }
        if (ln == 1 || line[0] == '\n' || (!x->n)) {
            fputs(line, out);
            continue;
        }
        memcpy(orig, line, sizeof(line));
        int nc = split(line, c, 16);
        const int *k = col[kind];
        if (nc < (kind == 2 ? 9 : kind == 1 ? 6 : 5)) {
            rc = fail("%s:%ld: malformed row", from, ln);
            break;
        }
        unsigned owner = (unsigned)strtoul(c[k[1]], NULL, 10);
        uint32_t area = (uint32_t)strtoul(c[k[0]], NULL, 10);
        struct inc_area *a = inc_find(x, owner, area);
        uint64_t ver, aver;
        char areabuf[24], verbuf[24], averbuf[24];
        if (!a || (kind != 0 && inc_lookup(a, strtoull(c[k[3]], NULL, 10), &ver))) {
            fputs(orig, out); /* not a new incarnation's row */
            continue;
        }
        if (kind == 0 && !own_restart) {
            fputs(orig, out);
            continue;
        }
        snprintf(areabuf, sizeof(areabuf), "%" PRIu32, area | INC_FLAG);
        c[k[0]] = areabuf;
        if (kind != 0) {
            snprintf(verbuf, sizeof(verbuf), "%" PRIu64, ver);
            c[k[2]] = verbuf;
        }
        if (kind == 2) {
            if (inc_lookup(a, strtoull(c[k[5]], NULL, 10), &aver) == 0) {
                snprintf(averbuf, sizeof(averbuf), "%" PRIu64, aver);
                c[k[4]] = averbuf;
            } else {
                c[k[4]] = c[k[2]]; /* announced: not newer than what the reader has */
                c[k[5]] = c[k[3]];
            }
        }
        for (int i = 0; i < nc; i++)
            fprintf(out, "%s%s", i ? "," : "", c[i]);
        fputc('\n', out);
    }
    int bad = ferror(in) || ferror(out);
    fclose(in);
    if (fclose(out) || bad)
        rc = rc ? rc : fail("%s: write failed", to);
    return rc;
}

/* ---- counters ----------------------------------------------------------------------- */

struct ctr {
    unsigned node;
    char name[96];
    uint64_t value;
};

struct ctrs {
    struct ctr *v;
    size_t n, cap;
};

static int ctr_add(struct ctrs *c, unsigned node, const char *name, uint64_t value)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].node == node && !strcmp(c->v[i].name, name)) {
            c->v[i].value += value;
            return 0;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct ctr *x = realloc(c->v, cap * sizeof(*x));
        if (!x)
            return -1;
        c->v = x;
        c->cap = cap;
    }
    struct ctr *x = &c->v[c->n++];
    x->node = node;
    snprintf(x->name, sizeof(x->name), "%s", name);
    x->value = value;
    return 0;
}

static int read_counters(const char *path, unsigned node, struct ctrs *c)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail("%s: %s", path, strerror(errno));
    char line[512];
    long ln = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof(line), f)) {
        ln++;
        line[strcspn(line, "\r\n")] = 0;
        if (ln == 1) {
            if (strcmp(line, "scope,name,value"))
                rc = fail("%s:1: unexpected header (want scope,name,value)", path);
            continue;
        }
        if (!*line)
            continue;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            rc = fail("%s:%ld: malformed row", path, ln);
        if (rc)
            break;
        *c1 = *c2 = 0;
        char *e;
        errno = 0;
        unsigned long long v = strtoull(c2 + 1, &e, 10);
        if (errno || *e || e == c2 + 1 || c2[1] == '-') {
            rc = fail("%s:%ld: value '%s' is not a non-negative integer", path, ln, c2 + 1);
            break;
        }
        char name[96];
        if (!strcmp(line, "node"))
            (void)fmt(name, sizeof(name), "%s", c1 + 1);
        else
            (void)fmt(name, sizeof(name), "%s_%s", line, c1 + 1);
        if (ctr_add(c, node, name, v))
            rc = fail("out of memory");
    }
    fclose(f);
    return rc;
}

/* ---- manifest helpers --------------------------------------------------------------- */

static double jnum(json_t *o, const char *key, double dflt)
{
    json_t *x = json_object_get(o, key);
    return json_is_number(x) ? json_number_value(x) : dflt;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *x = json_object_get(o, key);
    return json_is_string(x) ? json_string_value(x) : NULL;
}

int main(int argc, char **argv)
{
    enum { O_LABEL = 256, O_RATE, O_OWD, O_WARM, O_OUT, O_HELP };
    static const struct option lo[] = {
        {"label", required_argument, NULL, O_LABEL},
        {"link-rate-mbps", required_argument, NULL, O_RATE},
        {"one-way-ns", required_argument, NULL, O_OWD},
        {"warmup-s", required_argument, NULL, O_WARM},
        {"out", required_argument, NULL, O_OUT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *label = NULL;
    double rate_mbps = -1, owd_ns = -1, warm_s = 0;
    const char *outdir = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (c) {
        case O_LABEL:
            if (!*optarg || strpbrk(optarg, ",\"") || strlen(optarg) > 200)
                return usage_err("--label %s: expected 1..200 characters without ',' or '\"'",
                                 optarg);
            for (const char *p = optarg; *p; p++)
                if ((unsigned char)*p < 0x20)
                    return usage_err("--label: control characters are not allowed");
            label = optarg;
            break;
        case O_RATE:
            if (parse_num(optarg, 0.001, 1e9, &rate_mbps))
                return usage_err("--link-rate-mbps %s: expected a rate in Mbit/s > 0", optarg);
            break;
        case O_WARM:
            if (parse_num(optarg, 0, 1e6, &warm_s))
                return usage_err("--warmup-s %s: expected seconds >= 0", optarg);
            break;
        case O_OUT:
            if (!*optarg)
                return usage_err("--out: expected a directory");
            outdir = optarg;
            break;
        case O_OWD:
            if (parse_num(optarg, 0, 1e12, &owd_ns))
                return usage_err("--one-way-ns %s: expected nanoseconds >= 0", optarg);
            break;
        case O_HELP:
            usage(stdout);
            return 0;
        case ':':
            return usage_err("%s needs a value", argv[optind - 1]);
        default:
            return usage_err("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return usage_err(optind < argc ? "expected exactly one RUNDIR" : "RUNDIR is required");
    const char *run = argv[optind];
    if (strlen(run) > 3000 || (outdir && strlen(outdir) > 3000))
        return usage_err("RUNDIR, --out: paths longer than 3000 characters");
    const char *out = outdir ? outdir : run;
    if (outdir && mkdir(outdir, 0755) && errno != EEXIST)
        return usage_err("--out %s: cannot create: %s", outdir, strerror(errno));
    DIR *d = opendir(run);
    if (!d)
        return usage_err("%s: cannot open the run directory: %s", run, strerror(errno));

    /* The nodes' lives: node<N> and node<N>.restart directories. */
    static struct life lives[MAX_LIVES];
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned id;
        int off = 0;
        if (sscanf(e->d_name, "node%u%n", &id, &off) != 1 || off == 0)
            continue;
        int restart;
        if (!e->d_name[off])
            restart = 0;
        else if (!strcmp(e->d_name + off, ".restart"))
            restart = 1;
        else
            continue;
        char p[4096];
        struct stat st;
        (void)fmt(p, sizeof(p), "%s/%s", run, e->d_name);
        if (stat(p, &st) || !S_ISDIR(st.st_mode))
            continue;
        if (n == MAX_LIVES) {
            closedir(d);
            return fail("%s: more than %d node directories", run, MAX_LIVES);
        }
        (void)fmt(lives[n].dir, sizeof(lives[n].dir), "%s", e->d_name);
        lives[n].node = id;
        lives[n].restart = restart;
        lives[n].m = NULL;
        n++;
    }
    closedir(d);
    if (!n)
        return fail("%s: no node<N>/ directories (is this a launcher run directory?)", run);
    qsort(lives, n, sizeof(*lives), cmp_life);

    json_t *ref = NULL; /* the manifest of the first node that has one */
    struct ctrs ctrs = {0};
    struct incs incs = {0};
    int rc = 0;
    /* warm-up: from the earliest start of any node (one time base on one machine) */
    uint64_t warm_end_ns = 0;
    if (warm_s > 0) {
        uint64_t t0 = UINT64_MAX;
        for (unsigned i = 0; i < n; i++) {
            char p[4096];
            (void)fmt(p, sizeof(p), "%s/%s/manifest.json", run, lives[i].dir);
            json_t *m = json_load_file(p, 0, NULL);
            json_t *st = m ? json_object_get(m, "start_ns") : NULL;
            if (json_is_integer(st) && (uint64_t)json_integer_value(st) < t0)
                t0 = (uint64_t)json_integer_value(st);
            json_decref(m);
        }
        if (t0 == UINT64_MAX)
            return fail("%s: --warmup-s: no node manifest says when it started", run);
        warm_end_ns = t0 + (uint64_t)(warm_s * 1e9);
    }
    for (unsigned i = 0; i < n && !rc; i++) {
        char p[4096];
        (void)fmt(p, sizeof(p), "%s/%s/versions-node%u.csv", run, lives[i].dir, lives[i].node);
        if (lives[i].restart && access(p, F_OK) == 0)
            rc = load_incarnation(&incs, p, lives[i].node);
    }
    unsigned with_files = 0;
    json_t *nodes = json_array();
    double gap_p99_max = 0, gap_p99_node = -1;
    for (unsigned i = 0; i < n && !rc; i++) {
        struct life *l = &lives[i];
        char p[4096], q[4096];
        (void)fmt(p, sizeof(p), "%s/%s/manifest.json", run, l->dir);
        json_t *jn = json_object();
        json_object_set_new(jn, "node", json_integer(l->node));
        json_object_set_new(jn, "dir", json_string(l->dir));
        json_error_t je;
        if (access(p, F_OK) == 0) {
            l->m = json_load_file(p, JSON_REJECT_DUPLICATES, &je);
            if (!l->m) {
                rc = fail("%s:%d: %s", p, je.line, je.text);
                json_decref(jn);
                break;
            }
        }
        if (!l->m) {
            /* a node killed with SIGKILL writes nothing */
            json_object_set_new(jn, "results", json_string("none (killed, or it failed "
                                                           "before writing them)"));
            json_array_append_new(nodes, jn);
            continue;
        }
        if (!ref)
            ref = l->m;
        json_t *v = json_object_get(l->m, "verdict");
        json_object_set(jn, "verdict", v ? v : json_null());
        json_object_set(jn, "exit_status", json_object_get(l->m, "exit_status"));
        json_t *eng = json_object_get(l->m, "engine");
        if (eng) {
            json_object_set(jn, "engine", eng);
            double g = jnum(eng, "poll_gap_p99_ns", 0);
            if (g > gap_p99_max) {
                gap_p99_max = g;
                gap_p99_node = l->node;
            }
        }
        json_array_append_new(nodes, jn);
        (void)fmt(p, sizeof(p), "%s/%s/counters.csv", run, l->dir);
        if (access(p, F_OK) == 0 && (rc = read_counters(p, l->node, &ctrs)))
            break;
        static const char *const kinds[] = {"versions", "visible", "samples-raw"};
        int have = 0;
        for (int k = 0; k < 3 && !rc; k++) {
            (void)fmt(p, sizeof(p), "%s/%s/%s-node%u.csv", run, l->dir, kinds[k], l->node);
            if (access(p, F_OK))
                continue;
            have++;
            (void)fmt(q, sizeof(q), "%s/%s-node%u%s.csv", out, kinds[k], l->node,
                     l->restart ? "-restart" : "");
            rc = copy_file(p, q, k, l->restart, &incs, warm_end_ns);
        }
        with_files += have == 3;
        /* the core's trace (the stage columns of visibility.csv): its versions are the
         * owners' own numbers, so it is joined only when no owner restarted (the rows of
         * a new incarnation are renumbered above) */
        (void)fmt(p, sizeof(p), "%s/%s/trace-node%u.csv", run, l->dir, l->node);
        if (!rc && have == 3 && !incs.n && !l->restart && access(p, F_OK) == 0) {
            (void)fmt(q, sizeof(q), "%s/trace-node%u.csv", out, l->node);
            rc = copy_plain(p, q);
        }
    }
    if (!rc && !ref)
        rc = fail("%s: no node wrote a manifest.json (did every node fail?)", run);
    if (!rc && !with_files)
        rc = fail("%s: no node wrote the versioned workload's files (versions-, visible-, "
                  "samples-raw-node<N>.csv): run the versioned workload", run);

    /* counters.csv */
    if (!rc) {
        char p[4096];
        (void)fmt(p, sizeof(p), "%s/counters.csv", out);
        FILE *f = fopen(p, "w");
        if (!f) {
            rc = fail("%s: %s", p, strerror(errno));
        } else {
            fprintf(f, "node,name,value\n");
            for (size_t i = 0; i < ctrs.n; i++)
                fprintf(f, "%u,%s,%" PRIu64 "\n", ctrs.v[i].node, ctrs.v[i].name, ctrs.v[i].value);
            if (fclose(f))
                rc = fail("%s: write failed", p);
        }
    }

    /* manifest.json */
    if (!rc) {
        json_t *params = json_object_get(ref, "params");
        double sint = jnum(params, "sync_int_us", 0) * 1000;
        double sext = jnum(params, "sync_ext_us", 0) * 1000;
        double mtu = jnum(params, "mtu", 1500);
        double areas = jnum(params, "areas_per_node", 1);
        double area_bytes = jnum(params, "area_bytes", 0);
        double wrate = jnum(params, "write_rate_hz", 0);
        double lpw = jnum(params, "lines_per_write", 1);
        double burst = jnum(params, "write_burst", 1);
        const char *addressing = jstr(params, "addressing");
        unsigned nnodes = (unsigned)jnum(params, "nodes", 1);
        /* one owner's external round: every area's lines dirtied in one interval */
        double writes = ceil(wrate * sext / 1e9) + (burst > 1 ? burst : 0);
        double lines = writes * (lpw + 1);
        double area_lines = ceil(area_bytes / 64);
        if (lines > area_lines)
            lines = area_lines;
        double per_frame = floor((mtu - 56 - 8) / 64);
        if (per_frame < 1)
            per_frame = 1;
        double frames = ceil(lines / per_frame) + 1; /* + the version-end frame */
        double copies = addressing && !strcmp(addressing, "unicast") && nnodes > 1 ? nnodes - 1 : 1;
        double wire_bytes = areas * copies * frames * (mtu + 14);
        const char *rate_how;
        char rate_buf[200];
        if (rate_mbps < 0) {
            json_t *port = json_object_get(ref, "port");
            rate_mbps = jnum(port, "link_speed_mbps", 0);
            snprintf(rate_buf, sizeof(rate_buf), "the port's reported link speed (%s)",
                     jstr(port, "driver") ? jstr(port, "driver") : "?");
            rate_how = rate_buf;
            if (rate_mbps <= 0) {
                rate_mbps = 10000;
                rate_how = "unknown: the port reports no speed; 10 Gbit/s assumed";
            }
        } else {
            rate_how = "given (--link-rate-mbps)";
        }
        double tx_ns = wire_bytes * 8 / (rate_mbps * 1e6) * 1e9;
        const char *owd_how;
        char owd_buf[200];
        if (owd_ns < 0) {
            owd_ns = gap_p99_max;
            snprintf(owd_buf, sizeof(owd_buf), "measured: largest p99 gap between two sync-engine "
                     "polls of any node in this run (node %.0f); no wire on one machine",
                     gap_p99_node);
            owd_how = owd_buf;
        } else {
            owd_how = "given (--one-way-ns)";
        }
        double bound = sint + sext + tx_ns + owd_ns + sint;
        json_t *m = json_object();
        const char *lab = label ? label : jstr(ref, "label");
        json_object_set_new(m, "label", json_string(lab ? lab : "hw"));
        json_object_set_new(m, "mode", json_string("hw"));
        json_object_set(m, "seed", json_object_get(ref, "seed"));
        json_object_set(m, "git_rev", json_object_get(ref, "git_rev"));
        if (warm_s > 0) {
            /* the params object is the nodes'; the warm-up is this collection's */
            json_t *pp = json_deep_copy(params);
            json_object_set_new(pp, "warmup_s", json_real(warm_s));
            json_object_set_new(m, "params", pp);
        } else {
            json_object_set(m, "params", params);
        }
        json_object_set_new(m, "warmup_s", json_real(warm_s));
        json_object_set_new(m, "analytic_bound_ns", json_integer((json_int_t)llround(bound)));
        json_t *b = json_object();
        json_object_set_new(b, "owner_internal_ns", json_integer((json_int_t)sint));
        json_object_set_new(b, "external_ns", json_integer((json_int_t)sext));
        json_object_set_new(b, "transmission_ns", json_integer((json_int_t)llround(tx_ns)));
        json_object_set_new(b, "one_way_ns", json_integer((json_int_t)llround(owd_ns)));
        json_object_set_new(b, "reader_internal_ns", json_integer((json_int_t)sint));
        json_object_set_new(b, "round_wire_bytes", json_integer((json_int_t)wire_bytes));
        json_object_set_new(b, "link_rate_mbps", json_real(rate_mbps));
        json_object_set_new(b, "transmission_method",
                            json_sprintf("one owner's external round: %.0f area(s) x %.0f "
                                         "cop%s x %.0f frames of %.0f bytes (min(writes per "
                                         "interval x (lines per write + header), area lines) "
                                         "/ %.0f lines per frame + the version end) at %.1f "
                                         "Mbit/s, %s", areas, copies, copies == 1 ? "y" : "ies",
                                         frames, mtu + 14, per_frame, rate_mbps, rate_how));
        json_object_set_new(b, "one_way_method", json_string(owd_how));
        json_object_set_new(m, "analytic_bound", b);
        const char *clock = jstr(params, "clock");
        const char *topo = jstr(params, "topology");
        bool one_host = topo && strcmp(topo, "cluster");
        json_object_set_new(m, "clock_error_ns", one_host && clock && !strcmp(clock, "monotonic")
                                                     ? json_integer(0)
                                                     : json_null());
        json_object_set_new(m, "time_base",
                            json_string(!one_host ? "each host's own clock: not aligned across "
                                                    "hosts (no offset estimation yet)"
                                        : clock && !strcmp(clock, "monotonic")
                                            ? "CLOCK_MONOTONIC of this machine (every node)"
                                            : "each node's TSC clock, anchored to CLOCK_MONOTONIC "
                                              "at start (error not bounded: use clock = "
                                              "monotonic)"));
        json_object_set_new(m, "program", json_string("tasvir-collect"));
        json_object_set_new(m, "backend", json_string("dpdk"));
        json_t *tb = json_object_get(ref, "testbed");
        if (tb)
            json_object_set(m, "testbed", tb);
        json_t *host = json_object_get(ref, "host");
        if (host)
            json_object_set(m, "machine", host);
        json_object_set(m, "dpdk_version", json_object_get(ref, "dpdk_version"));
        json_object_set_new(m, "nodes", nodes);
        nodes = NULL;
        char p[4096];
        (void)fmt(p, sizeof(p), "%s/manifest.json", out);
        if (json_dump_file(m, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
            rc = fail("%s: cannot write", p);
        json_decref(m);
        if (!rc && (!one_host || !clock || strcmp(clock, "monotonic")))
            fprintf(stderr, "tasvir-collect: note: %s: time base %s\n", run,
                    !one_host ? "differs between hosts: delays across hosts are not exact"
                              : "is each node's TSC clock, not CLOCK_MONOTONIC");
    }
    json_decref(nodes);

    /* visibility.csv, samples.csv; then versions.csv, all owners' versions in one file
     * (after the join, which would read it as one more versions*.csv) */
    if (!rc) {
        char err[1024], p[4096];
        (void)fmt(p, sizeof(p), "%s/versions.csv", out);
        if (unlink(p) && errno != ENOENT)
            rc = fail("%s: %s", p, strerror(errno));
        if (!rc && tsv_join(out, err, sizeof(err)))
            rc = fail("join: %s", err);
        FILE *vf = rc ? NULL : fopen(p, "w");
        if (!rc && !vf)
            rc = fail("%s: %s", p, strerror(errno));
        if (vf) {
            fputs("area,owner,version,pub_ns,lines_changed\n", vf);
            for (unsigned i = 0; i < n; i++) {
                char q[4096], line[512];
                (void)fmt(q, sizeof(q), "%s/versions-node%u%s.csv", out, lives[i].node,
                          lives[i].restart ? "-restart" : "");
                FILE *in = fopen(q, "r");
                if (!in)
                    continue;
                for (long ln = 1; fgets(line, sizeof(line), in); ln++)
                    if (ln > 1)
                        fputs(line, vf);
                fclose(in);
            }
            if (fclose(vf))
                rc = fail("%s: write failed", p);
        }
    }
    for (unsigned i = 0; i < n; i++)
        json_decref(lives[i].m);
    for (size_t i = 0; i < incs.n; i++) {
        free(incs.a[i].pub);
        free(incs.a[i].ver);
    }
    free(incs.a);
    free(ctrs.v);
    if (!rc)
        printf("tasvir-collect: %s: %u node director%s, joined into visibility.csv and "
               "samples.csv%s\n", out, n, n == 1 ? "y" : "ies", warm_s > 0 ? " (warm-up left out)" : "");
    return rc;
}

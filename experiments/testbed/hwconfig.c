/*
 * hwconfig.c — parse, validate and print testbed files (see hwconfig.h).
 *
 * libinih does the INI syntax; this file feeds it lines through its own reader so that it
 * knows the current line number, whether a line is a continuation, and where each
 * [section] header is (inih reports neither).  The first error wins and is kept as a
 * message "file:line: [section] key = value: what was expected".  Checks that involve
 * several keys or nodes run after the parse (finish()).  Sections:
 *   reader, handler     line bookkeeping and per-key parsing
 *   value parsers       integers, booleans, MACs, enums, lcore maps, eal templates
 *   finish              cross-key and cross-node rules per topology
 *   eal argv            placeholder expansion and splitting
 *   printing            human and shell output
 */
#include "hwconfig.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <tasvir/tasvir.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* inih's line limit (INI_MAX_LINE in Debian's build): longer lines are rejected. */
#define LINE_MAX_CHARS (INI_MAX_LINE - 2)

enum { SEC_NONE, SEC_TESTBED, SEC_NODE, SEC_BAD };

static const char *const testbed_keys[] = {
    "name",        "topology",   "addressing",   "mtu",          "rx_desc",
    "tx_desc",     "mbufs",      "mbuf_cache",   "promiscuous",  "clock",
    "relax",       "epoch_window_us", "link_wait_ms", "ssh_user", "ssh_options",
    "remote_dir",  "remote_build", "nic_driver", "cpu_governor", "hugepage_size",
    "sudo",        "root_node",   "hb_period_us", "down_after_hb", "nack_gap_us",
    "idle_sleep_us", "copy_isa",
};
#define N_TB_KEYS (sizeof(testbed_keys) / sizeof(testbed_keys[0]))
static const char *const node_keys[] = {"host", "eal", "lcores", "mac", "hugepages", "port",
                                        "pci"};
#define N_NODE_KEYS (sizeof(node_keys) / sizeof(node_keys[0]))

struct node_seen {
    unsigned key_line[N_NODE_KEYS];
};

struct pctx {
    FILE *f;
    const char *path;
    char *buf;
    size_t cap;
    unsigned lineno;
    bool cont;     /* the current line is a continuation (starts with a blank) */
    bool failed;
    char *err;
    size_t errlen;
    struct tasvir_hwconfig *c;
    /* section state, updated by the reader when it sees a header */
    int sec;
    char sec_name[64];
    int cur_node; /* index in c->nodes */
    unsigned testbed_line;
    unsigned tb_key_line[N_TB_KEYS];
    struct node_seen *seen; /* parallel to c->nodes */
    unsigned cap_nodes;
    int last_key; /* index of the last key set in this section, for continuations */
};

static void fail(struct pctx *x, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct pctx *x, unsigned line, const char *fmt, ...)
{
    if (x->failed)
        return;
    x->failed = true;
    if (!x->err || !x->errlen)
        return;
    int off = line ? snprintf(x->err, x->errlen, "%s:%u: ", x->path, line)
                   : snprintf(x->err, x->errlen, "%s: ", x->path);
    if (off < 0 || (size_t)off >= x->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err + off, x->errlen - (size_t)off, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- value parsers ------------------------------------------------------------------ */

static bool parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
    if (!*v || !isdigit((unsigned char)*v))
        return false;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < min || x > max)
        return false;
    *out = (uint32_t)x;
    return true;
}

static bool parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (unsigned i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return true;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return true;
        }
    }
    return false;
}

static bool parse_mac(const char *v, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (strlen(v) != 17 || sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
                                  &b[4], &b[5], &tail) != 6)
        return false;
    for (unsigned i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)v[3 * i]) || !isxdigit((unsigned char)v[3 * i + 1]))
            return false;
        mac[i] = (uint8_t)b[i];
    }
    return true;
}

static bool valid_name(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_' && v[i] != '.')
            return false;
    return true;
}

/* A set: number, a-b, or (a,b-c,...).  Marks lcores in `seen` when non-NULL. */
static const char *lc_num(const char *s, unsigned *out)
{
    if (!isdigit((unsigned char)*s))
        return NULL;
    unsigned long x = 0;
    while (isdigit((unsigned char)*s)) {
        x = x * 10 + (unsigned long)(*s - '0');
        if (x > TASVIR_HWCONFIG_MAX_LCORE)
            return NULL;
        s++;
    }
    *out = (unsigned)x;
    return s;
}

static const char *lc_range(const char *s, unsigned char *seen, int *count)
{
    unsigned a, b;
    const char *p = lc_num(s, &a);
    if (!p)
        return NULL;
    b = a;
    if (*p == '-') {
        p = lc_num(p + 1, &b);
        if (!p || b < a)
            return NULL;
    }
    for (unsigned i = a; i <= b; i++) {
        if (seen) {
            if (!seen[i])
                (*count)++;
            seen[i] = 1;
        }
    }
    return p;
}

static const char *lc_set(const char *s, unsigned char *seen, int *count)
{
    if (*s != '(')
        return lc_range(s, seen, count);
    s++;
    for (;;) {
        s = lc_range(s, seen, count);
        if (!s)
            return NULL;
        if (*s == ')')
            return s + 1;
        if (*s != ',')
            return NULL;
        s++;
    }
}

int tasvir_hwconfig_lcores_count(const char *map, char *err, size_t errlen)
{
    unsigned char seen[TASVIR_HWCONFIG_MAX_LCORE + 1];
    memset(seen, 0, sizeof(seen));
    int count = 0;
    const char *s = map;
    if (!s || !*s) {
        if (err && errlen)
            snprintf(err, errlen, "empty lcore map");
        return -EINVAL;
    }
    for (;;) {
        const char *p = lc_set(s, seen, &count);
        if (p && *p == '@')
            p = lc_set(p + 1, NULL, NULL);
        if (!p) {
            if (err && errlen)
                snprintf(err, errlen,
                         "bad lcore map near position %zu (expected e.g. 0-2, 0,2,4 or "
                         "(0-2)@(0-1); lcore ids up to %u)",
                         (size_t)(s - map) + 1, TASVIR_HWCONFIG_MAX_LCORE);
            return -EINVAL;
        }
        if (*p == 0)
            return count;
        if (*p != ',') {
            if (err && errlen)
                snprintf(err, errlen, "bad lcore map: unexpected '%c' at position %zu", *p,
                         (size_t)(p - map) + 1);
            return -EINVAL;
        }
        s = p + 1;
    }
}

/* ---- eal templates ------------------------------------------------------------------ */

struct expand_vals {
    const char *run, *iface, *pci;
    unsigned node;
};

/* Expand placeholders into a malloc'ed string; NULL with a message on error.  With
 * check_only, values may be NULL and only the syntax is checked. */
static char *expand(const char *t, const struct expand_vals *v, bool check_only, char *err,
                    size_t errlen)
{
    size_t cap = strlen(t) + 64, n = 0;
    char *o = malloc(cap);
    if (!o) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (const char *s = t; *s;) {
        char nodebuf[16];
        const char *val = NULL;
        size_t adv = 1;
        if (s[0] == '{' && s[1] == '{') {
            val = "{";
            adv = 2;
        } else if (s[0] == '{') {
            const char *e = strchr(s, '}');
            size_t len = e ? (size_t)(e - s - 1) : 0;
            if (!e) {
                if (err && errlen)
                    snprintf(err, errlen, "unclosed '{' (write {{ for a literal brace)");
                free(o);
                return NULL;
            }
            adv = len + 2;
            if (len == 3 && !strncmp(s + 1, "run", 3)) {
                val = v->run;
            } else if (len == 4 && !strncmp(s + 1, "node", 4)) {
                snprintf(nodebuf, sizeof(nodebuf), "%u", v->node);
                val = nodebuf;
            } else if (len == 5 && !strncmp(s + 1, "iface", 5)) {
                val = v->iface;
            } else if (len == 3 && !strncmp(s + 1, "pci", 3)) {
                val = v->pci;
            } else {
                if (err && errlen)
                    snprintf(err, errlen,
                             "unknown placeholder {%.*s} (known: {run} {node} {iface} {pci}; "
                             "{{ for a literal brace)",
                             (int)(len > 32 ? 32 : len), s + 1);
                free(o);
                return NULL;
            }
            if (!val && !check_only) {
                if (err && errlen)
                    snprintf(err, errlen, "placeholder {%.*s} has no value here%s", (int)len,
                             s + 1,
                             len == 5 ? " (only the bridge topology's launcher provides "
                                        "{iface}: pass --iface)"
                                      : len == 3 && s[1] == 'p' ? " (set pci = in the node)"
                                                                : " (pass --run-id)");
                free(o);
                return NULL;
            }
            if (!val)
                val = "x";
        }
        if (val) {
            size_t l = strlen(val);
            if (n + l + 1 > cap) {
                cap = (n + l + 1) * 2;
                char *g = realloc(o, cap);
                if (!g) {
                    free(o);
                    return NULL;
                }
                o = g;
            }
            memcpy(o + n, val, l);
            n += l;
        } else {
            if (n + 2 > cap) {
                cap *= 2;
                char *g = realloc(o, cap);
                if (!g) {
                    free(o);
                    return NULL;
                }
                o = g;
            }
            o[n++] = *s;
        }
        s += adv;
    }
    o[n] = 0;
    return o;
}

/* Split at blanks; '...' and "..." group, backslash escapes outside single quotes. */
static int split_args(const char *s, char ***out, char *err, size_t errlen)
{
    size_t cap = 8, n = 0;
    char **v = calloc(cap, sizeof(*v));
    char *tok = malloc(strlen(s) + 1);
    if (!v || !tok)
        goto oom;
    for (;;) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        size_t k = 0;
        char q = 0;
        while (*s && (q || !isspace((unsigned char)*s))) {
            if (q) {
                if (*s == q) {
                    q = 0;
                } else if (*s == '\\' && q == '"' && s[1]) {
                    tok[k++] = *++s;
                } else {
                    tok[k++] = *s;
                }
            } else if (*s == '\'' || *s == '"') {
                q = *s;
            } else if (*s == '\\' && s[1]) {
                tok[k++] = *++s;
            } else {
                tok[k++] = *s;
            }
            s++;
        }
        if (q) {
            if (err && errlen)
                snprintf(err, errlen, "unterminated %c quote", q);
            free(tok);
            for (size_t i = 0; i < n; i++)
                free(v[i]);
            free(v);
            return -EINVAL;
        }
        tok[k] = 0;
        if (n + 2 > cap) {
            cap *= 2;
            char **g = realloc(v, cap * sizeof(*v));
            if (!g)
                goto oom;
            v = g;
        }
        if (!(v[n++] = strdup(tok)))
            goto oom;
        v[n] = NULL;
    }
    free(tok);
    *out = v;
    return (int)n;
oom:
    if (err && errlen)
        snprintf(err, errlen, "out of memory");
    free(tok);
    if (v) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
    }
    return -ENOMEM;
}

void tasvir_hwconfig_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

/* ---- reader and handler ------------------------------------------------------------- */

static int node_index(struct pctx *x, unsigned id)
{
    for (unsigned i = 0; i < x->c->n_nodes; i++)
        if (x->c->nodes[i].id == id)
            return (int)i;
    return -1;
}

/* A [section] header on line x->lineno. */
static void on_section(struct pctx *x, const char *name)
{
    snprintf(x->sec_name, sizeof(x->sec_name), "%s", name);
    x->last_key = -1;
    if (strcmp(name, "testbed") == 0) {
        if (x->testbed_line)
            fail(x, x->lineno, "[testbed] given twice (first on line %u)", x->testbed_line);
        x->testbed_line = x->lineno;
        x->sec = SEC_TESTBED;
        return;
    }
    uint32_t id;
    if (strncmp(name, "node.", 5) == 0 && parse_u32(name + 5, 0, TASVIR_HWCONFIG_MAX_NODES - 1, &id)) {
        int i = node_index(x, id);
        if (i >= 0) {
            fail(x, x->lineno, "[%s] given twice (first on line %u)", name, x->c->nodes[i].line);
            x->sec = SEC_BAD;
            return;
        }
        if (x->c->n_nodes == x->cap_nodes) {
            unsigned cap = x->cap_nodes ? 2 * x->cap_nodes : 8;
            void *a = realloc(x->c->nodes, cap * sizeof(*x->c->nodes));
            void *b = a ? realloc(x->seen, cap * sizeof(*x->seen)) : NULL;
            if (a)
                x->c->nodes = a;
            if (b)
                x->seen = b;
            if (!a || !b) {
                fail(x, x->lineno, "out of memory");
                x->sec = SEC_BAD;
                return;
            }
            x->cap_nodes = cap;
        }
        struct tasvir_hwconfig_node *n = &x->c->nodes[x->c->n_nodes];
        memset(n, 0, sizeof(*n));
        memset(&x->seen[x->c->n_nodes], 0, sizeof(*x->seen));
        n->id = (uint16_t)id;
        n->line = x->lineno;
        x->cur_node = (int)x->c->n_nodes++;
        x->sec = SEC_NODE;
        return;
    }
    if (strncmp(name, "node.", 5) == 0)
        fail(x, x->lineno, "[%s]: node ids are integers 0..%u, e.g. [node.0]", name,
             TASVIR_HWCONFIG_MAX_NODES - 1);
    else
        fail(x, x->lineno, "unknown section [%s] (expected [testbed] or [node.N])", name);
    x->sec = SEC_BAD;
}

static char *reader(char *str, int num, void *stream)
{
    struct pctx *x = stream;
    ssize_t len = getline(&x->buf, &x->cap, x->f);
    if (len < 0)
        return NULL;
    x->lineno++;
    while (len > 0 && (x->buf[len - 1] == '\n' || x->buf[len - 1] == '\r'))
        x->buf[--len] = 0;
    if (len > LINE_MAX_CHARS || len + 2 > num) {
        fail(x, x->lineno,
             "line is %zd characters long; the limit is %d (continue a long value on "
             "indented lines)", len, LINE_MAX_CHARS);
        str[0] = '\n';
        str[1] = 0;
        return str;
    }
    const char *s = x->buf;
    while (isspace((unsigned char)*s))
        s++;
    /* inih takes any indented line after a key as its continuation; an indented
     * "key = value" is meant as a key, so hand it over without the indentation. */
    size_t indent = (size_t)(s - x->buf);
    if (indent) {
        const char *k = s;
        while (isalnum((unsigned char)*k) || *k == '_' || *k == '.')
            k++;
        while (*k == ' ' || *k == '\t')
            k++;
        if (k > s && *k == '=' && (isalpha((unsigned char)*s) || *s == '_')) {
            memmove(x->buf, s, (size_t)len - indent + 1);
            len -= (ssize_t)indent;
            s = x->buf;
            indent = 0;
        }
    }
    x->cont = indent > 0 && *s;
    if (*s == '[') {
        const char *e = strchr(s, ']');
        if (e) {
            char name[64];
            size_t n = (size_t)(e - s - 1);
            while (n && isspace((unsigned char)s[1]))
                s++, n--;
            while (n && isspace((unsigned char)s[n]))
                n--;
            if (n >= sizeof(name))
                n = sizeof(name) - 1;
            memcpy(name, s + 1, n);
            name[n] = 0;
            on_section(x, name);
        }
    }
    memcpy(str, x->buf, (size_t)len);
    str[len] = '\n';
    str[len + 1] = 0;
    return str;
}

static int key_index(const char *const *keys, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(keys[i], name) == 0)
            return (int)i;
    return -1;
}

static void list_keys(char *b, size_t bl, const char *const *keys, unsigned n)
{
    size_t o = 0;
    b[0] = 0;
    for (unsigned i = 0; i < n && o < bl; i++) {
        int w = snprintf(b + o, bl - o, "%s%s", i ? ", " : "", keys[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* Append a continuation line to a string value. */
static bool append(char **dst, const char *v)
{
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(v);
    char *s = realloc(*dst, a + b + 2);
    if (!s)
        return false;
    if (a)
        s[a++] = ' ';
    memcpy(s + a, v, b + 1);
    *dst = s;
    return true;
}

#define BAD(...) fail(x, x->lineno, "[%s] %s = %s: " __VA_ARGS__)

static int set_testbed(struct pctx *x, int k, const char *name, const char *v)
{
    struct tasvir_hwconfig *c = x->c;
    const char *sec = x->sec_name;
    uint32_t u;
    int b;
    switch (k) {
    case 0: /* name */
        if (!valid_name(v, TASVIR_HWCONFIG_NAME_MAX))
            BAD("expected 1..%u letters, digits, '-', '_' or '.'", sec, name, v,
                TASVIR_HWCONFIG_NAME_MAX);
        else if (!(c->name = strdup(v)))
            return 0;
        break;
    case 1: /* topology */
        if (!strcmp(v, "memif"))
            c->topology = TASVIR_HWCONFIG_TOPO_MEMIF;
        else if (!strcmp(v, "bridge"))
            c->topology = TASVIR_HWCONFIG_TOPO_BRIDGE;
        else if (!strcmp(v, "cluster"))
            c->topology = TASVIR_HWCONFIG_TOPO_CLUSTER;
        else
            BAD("expected memif, bridge or cluster", sec, name, v);
        break;
    case 2: /* addressing */
        if (!strcmp(v, "multicast"))
            c->addressing = TASVIR_HWCONFIG_ADDR_MULTICAST;
        else if (!strcmp(v, "unicast"))
            c->addressing = TASVIR_HWCONFIG_ADDR_UNICAST;
        else
            BAD("expected unicast or multicast", sec, name, v);
        break;
    case 3:
        if (!parse_u32(v, 576, 9600, &c->mtu))
            BAD("expected an integer in 576..9600 (L2 payload bytes)", sec, name, v);
        break;
    case 4:
    case 5:
        if (!parse_u32(v, 32, 32768, &u))
            BAD("expected a descriptor count in 32..32768", sec, name, v);
        else if (k == 4)
            c->rx_desc = u;
        else
            c->tx_desc = u;
        break;
    case 6:
        if (!parse_u32(v, 1024, 16u << 20, &c->mbufs))
            BAD("expected an mbuf count in 1024..16777216", sec, name, v);
        break;
    case 7:
        if (!parse_u32(v, 0, 512, &c->mbuf_cache))
            BAD("expected a cache size in 0..512", sec, name, v);
        break;
    case 8:
        if (!parse_bool(v, &b))
            BAD("expected yes or no", sec, name, v);
        else
            c->promiscuous = b;
        break;
    case 9:
        if (!strcmp(v, "tsc") || !strcmp(v, "monotonic"))
            c->clock_monotonic = !strcmp(v, "monotonic");
        else
            BAD("expected tsc or monotonic", sec, name, v);
        break;
    case 10:
        if (!strcmp(v, "yield"))
            c->relax = 0;
        else if (!strcmp(v, "pause"))
            c->relax = 1;
        else if (!strcmp(v, "sleep"))
            c->relax = 2;
        else
            BAD("expected yield (shared CPUs), pause (dedicated lcores) or sleep "
                "(oversubscribed CPUs)", sec, name, v);
        break;
    case 11:
        if (!parse_u32(v, 1, 10000000, &c->epoch_window_us))
            BAD("expected microseconds in 1..10000000", sec, name, v);
        break;
    case 12:
        if (!parse_u32(v, 0, 600000, &c->link_wait_ms))
            BAD("expected milliseconds in 0..600000", sec, name, v);
        break;
    case 21: /* root_node */
        if (!parse_u32(v, 0, TASVIR_HWCONFIG_MAX_NODES - 1, &u))
            BAD("expected a node id in 0..%u", sec, name, v, TASVIR_HWCONFIG_MAX_NODES - 1);
        else
            c->root_node = (int)u;
        break;
    case 22:
        if (!parse_u32(v, 100, 10000000, &c->hb_period_us))
            BAD("expected microseconds in 100..10000000", sec, name, v);
        break;
    case 23:
        if (!parse_u32(v, 2, 1000, &c->down_after_hb))
            BAD("expected a number of heartbeat periods in 2..1000", sec, name, v);
        break;
    case 24:
        if (!parse_u32(v, 10, 10000000, &c->nack_gap_us))
            BAD("expected microseconds in 10..10000000", sec, name, v);
        break;
    case 25:
        if (!parse_u32(v, 1, 100000, &c->idle_sleep_us))
            BAD("expected microseconds in 1..100000", sec, name, v);
        break;
    case 26: /* copy_isa */
        if ((c->copy_isa = tasvir_copy_isa_from_name(v)) < 0)
            BAD("expected auto, baseline, avx512 or avx512-vbmi2", sec, name, v);
        break;
    case 20: /* sudo */
        if (!parse_bool(v, &b))
            BAD("expected yes or no", sec, name, v);
        else
            c->sudo = b;
        break;
    default: { /* free-form strings */
        char **dst = k == 13   ? &c->ssh_user
                     : k == 14 ? &c->ssh_options
                     : k == 15 ? &c->remote_dir
                     : k == 16 ? &c->remote_build
                     : k == 17 ? &c->nic_driver
                     : k == 18 ? &c->cpu_governor
                               : &c->hugepage_size;
        if (k == 19 && strcmp(v, "2M") && strcmp(v, "1G")) {
            BAD("expected 2M or 1G", sec, name, v);
            break;
        }
        if ((k == 15 || k == 16) && v[0] != '/') {
            BAD("expected an absolute path", sec, name, v);
            break;
        }
        if (k == 13 && !valid_name(v, 32)) {
            BAD("expected a user name", sec, name, v);
            break;
        }
        free(*dst);
        if (!(*dst = strdup(v)))
            return 0;
    }
    }
    return 1;
}

static int set_node(struct pctx *x, int k, const char *name, const char *v)
{
    struct tasvir_hwconfig_node *n = &x->c->nodes[x->cur_node];
    const char *sec = x->sec_name;
    char e[256];
    switch (k) {
    case 0: /* host */
        if (!*v || strchr(v, ' ') || v[0] == '-')
            BAD("expected a host name or user@host for ssh", sec, name, v);
        else if (!(n->host = strdup(v)))
            return 0;
        break;
    case 1: { /* eal */
        struct expand_vals ev = {NULL, NULL, NULL, n->id};
        char *t = expand(v, &ev, true, e, sizeof(e));
        if (!t) {
            BAD("%s", sec, name, v, e);
            break;
        }
        char **argv;
        int rc = split_args(t, &argv, e, sizeof(e));
        free(t);
        if (rc < 0) {
            BAD("%s", sec, name, v, e);
            break;
        }
        tasvir_hwconfig_argv_free(argv);
        if (!(n->eal = strdup(v)))
            return 0;
        break;
    }
    case 2: { /* lcores */
        int cnt = tasvir_hwconfig_lcores_count(v, e, sizeof(e));
        if (cnt < 0)
            BAD("%s", sec, name, v, e);
        else if (cnt < 2)
            BAD("a node needs at least 2 lcores (the main one runs the sync engine, "
                "workers run application threads)", sec, name, v);
        else if (!(n->lcores = strdup(v)))
            return 0;
        else
            n->n_lcores = (unsigned)cnt;
        break;
    }
    case 3: /* mac */
        if (!parse_mac(v, n->mac))
            BAD("expected a MAC like 02:00:00:00:00:01", sec, name, v);
        else if (n->mac[0] & 1)
            BAD("a port MAC must be unicast (lowest bit of the first byte clear)", sec, name, v);
        else
            n->has_mac = 1;
        break;
    case 4:
        if (!parse_u32(v, 0, 1000000, &n->hugepages))
            BAD("expected a number of hugepages in 0..1000000 (0: run with --no-huge)", sec,
                name, v);
        break;
    case 5:
        if (!*v || strlen(v) > 63)
            BAD("expected an ethdev name (up to 63 characters)", sec, name, v);
        else if (!(n->port = strdup(v)))
            return 0;
        break;
    case 6: {
        unsigned d, b, s, f;
        char tail;
        if (sscanf(v, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) != 4 || strlen(v) != 12)
            BAD("expected a PCI address like 0000:03:00.0", sec, name, v);
        else if (!(n->pci = strdup(v)))
            return 0;
        break;
    }
    }
    return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct pctx *x = user;
    (void)section;
    if (x->failed)
        return 1; /* keep only the first error */
    if (x->sec == SEC_NONE) {
        fail(x, x->lineno, "%s = %s: key outside any section (start with [testbed])", name,
             value);
        return 1;
    }
    if (x->sec == SEC_BAD)
        return 1;
    bool tb = x->sec == SEC_TESTBED;
    const char *const *keys = tb ? testbed_keys : node_keys;
    unsigned nkeys = tb ? N_TB_KEYS : N_NODE_KEYS;
    unsigned *lines = tb ? x->tb_key_line : x->seen[x->cur_node].key_line;
    int k = key_index(keys, nkeys, name);
    if (k < 0) {
        char b[400];
        list_keys(b, sizeof(b), keys, nkeys);
        fail(x, x->lineno, "[%s] unknown key '%s' (known keys: %s)", x->sec_name, name, b);
        return 1;
    }
    if (x->cont && k == x->last_key) {
        /* A continuation line: only long free-form values may continue. */
        char **dst = tb ? (!strcmp(name, "ssh_options") ? &x->c->ssh_options : NULL)
                        : (!strcmp(name, "eal") ? &x->c->nodes[x->cur_node].eal : NULL);
        if (!dst) {
            fail(x, x->lineno, "[%s] %s: only eal and ssh_options may continue on indented "
                 "lines", x->sec_name, name);
            return 1;
        }
        if (!strcmp(name, "eal")) {
            char *joined = xstrdup(*dst);
            if (!joined || !append(&joined, value)) {
                free(joined);
                return 0;
            }
            /* Re-check the whole template. */
            free(*dst);
            *dst = NULL;
            lines[k] = 0;
            int ok = set_node(x, k, name, joined);
            free(joined);
            lines[k] = x->lineno;
            return ok;
        }
        return append(dst, value) ? 1 : 0;
    }
    if (lines[k]) {
        fail(x, x->lineno, "[%s] key '%s' given twice (first on line %u)", x->sec_name, name,
             lines[k]);
        return 1;
    }
    lines[k] = x->lineno;
    x->last_key = k;
    return tb ? set_testbed(x, k, name, value) : set_node(x, k, name, value);
}

/* ---- finish: rules across keys and nodes -------------------------------------------- */

static int cmp_node(const void *a, const void *b)
{
    const struct tasvir_hwconfig_node *x = a, *y = b;
    return (int)x->id - (int)y->id;
}

static bool is_local_host(const char *h)
{
    return !h || !strcmp(h, "localhost") || !strcmp(h, "127.0.0.1") || !strcmp(h, "::1");
}

static void finish(struct pctx *x)
{
    struct tasvir_hwconfig *c = x->c;
    if (!x->testbed_line) {
        fail(x, 0, "no [testbed] section (it names the testbed and its topology)");
        return;
    }
    if (!x->tb_key_line[0]) {
        fail(x, x->testbed_line, "[testbed]: missing key 'name'");
        return;
    }
    if (!x->tb_key_line[1]) {
        fail(x, x->testbed_line, "[testbed]: missing key 'topology' (memif, bridge or cluster)");
        return;
    }
    if (c->n_nodes == 0) {
        fail(x, 0, "no [node.N] section: a testbed needs at least one node");
        return;
    }
    unsigned desc = c->rx_desc + c->tx_desc + 128;
    if (c->mbufs < desc) {
        fail(x, x->tb_key_line[6] ? x->tb_key_line[6] : x->testbed_line,
             "[testbed] mbufs = %u is fewer than the rings hold (rx_desc %u + tx_desc %u + "
             "128); use at least %u", c->mbufs, c->rx_desc, c->tx_desc, desc);
        return;
    }
    for (unsigned i = 0; i < c->n_nodes; i++) {
        struct tasvir_hwconfig_node *n = &c->nodes[i];
        const unsigned *kl = x->seen[i].key_line;
        char sec[32];
        snprintf(sec, sizeof(sec), "node.%u", n->id);
        if (!n->eal) {
            fail(x, n->line, "[%s]: missing key 'eal' (the node's EAL arguments, e.g. "
                 "eal = --no-huge -m 256 --no-pci --vdev=net_ring0)", sec);
            return;
        }
        if (!n->lcores) {
            fail(x, n->line, "[%s]: missing key 'lcores' (EAL lcore map, e.g. lcores = 0-2)",
                 sec);
            return;
        }
        bool uses_iface = strstr(n->eal, "{iface}") != NULL;
        bool uses_pci = strstr(n->eal, "{pci}") != NULL;
        if (uses_pci && !n->pci) {
            fail(x, kl[1], "[%s] eal uses {pci} but the node has no 'pci' key", sec);
            return;
        }
        switch (c->topology) {
        case TASVIR_HWCONFIG_TOPO_MEMIF:
        case TASVIR_HWCONFIG_TOPO_BRIDGE:
            if (!is_local_host(n->host)) {
                fail(x, kl[0], "[%s] host = %s: the %s topology runs every node on this "
                     "machine (use localhost or drop the key)", sec, n->host,
                     tasvir_hwconfig_topology_name(c->topology));
                return;
            }
            if (c->topology == TASVIR_HWCONFIG_TOPO_MEMIF && !strstr(n->eal, "net_memif")) {
                fail(x, kl[1], "[%s] eal: the memif topology needs a net_memif vdev "
                     "(--vdev=net_memif0,role=server|client,socket=...)", sec);
                return;
            }
            if (c->topology == TASVIR_HWCONFIG_TOPO_BRIDGE && !uses_iface) {
                fail(x, kl[1], "[%s] eal: the bridge topology needs the node's veth, e.g. "
                     "--vdev=net_af_packet0,iface={iface}", sec);
                return;
            }
            if (c->topology == TASVIR_HWCONFIG_TOPO_MEMIF && uses_iface) {
                fail(x, kl[1], "[%s] eal uses {iface}, which only the bridge topology "
                     "provides", sec);
                return;
            }
            break;
        case TASVIR_HWCONFIG_TOPO_CLUSTER:
            if (!n->host) {
                fail(x, n->line, "[%s]: missing key 'host' (cluster nodes are reached over "
                     "ssh: host = name or user@name)", sec);
                return;
            }
            if (uses_iface) {
                fail(x, kl[1], "[%s] eal uses {iface}, which only the bridge topology "
                     "provides (write the interface name)", sec);
                return;
            }
            break;
        }
        for (unsigned j = 0; j < i; j++) {
            if (n->has_mac && c->nodes[j].has_mac && !memcmp(n->mac, c->nodes[j].mac, 6)) {
                fail(x, kl[3], "[%s] mac: same MAC as [node.%u]", sec, c->nodes[j].id);
                return;
            }
        }
    }
    if (c->topology == TASVIR_HWCONFIG_TOPO_MEMIF && c->n_nodes != 2) {
        fail(x, x->tb_key_line[1], "[testbed] topology = memif: a memif link joins exactly 2 "
             "nodes, this file has %u (use bridge for more)", c->n_nodes);
        return;
    }
    qsort(c->nodes, c->n_nodes, sizeof(*c->nodes), cmp_node);
    /* The root directory's owner: every node must be able to reach it by MAC. */
    if (c->root_node < 0) {
        c->root_node = c->nodes[0].id;
    } else if (!tasvir_hwconfig_node(c, (unsigned)c->root_node)) {
        fail(x, x->tb_key_line[21], "[testbed] root_node = %d: there is no [node.%d]",
             c->root_node, c->root_node);
        return;
    }
    const struct tasvir_hwconfig_node *root = tasvir_hwconfig_node(c, (unsigned)c->root_node);
    if (!root->has_mac && c->n_nodes > 1) {
        fail(x, root->line, "[node.%u]: missing key 'mac': node %u owns the root directory, "
             "and the other nodes find it by this MAC (e.g. mac = 02:00:00:00:00:01)",
             root->id, root->id);
        return;
    }
    for (unsigned i = 0; i < c->n_nodes; i++)
        if (!c->nodes[i].host && !(c->nodes[i].host = strdup("localhost")))
            fail(x, 0, "out of memory");
    if (!c->remote_dir && !(c->remote_dir = strdup("/opt/tasvir")))
        fail(x, 0, "out of memory");
    if (!c->remote_build) {
        size_t l = strlen(c->remote_dir) + 8;
        if ((c->remote_build = malloc(l)))
            snprintf(c->remote_build, l, "%s/build", c->remote_dir);
        else
            fail(x, 0, "out of memory");
    }
    if (!c->nic_driver && !(c->nic_driver = strdup("vfio-pci")))
        fail(x, 0, "out of memory");
    if (!c->cpu_governor && !(c->cpu_governor = strdup("performance")))
        fail(x, 0, "out of memory");
    if (!c->hugepage_size && !(c->hugepage_size = strdup("2M")))
        fail(x, 0, "out of memory");
}

int tasvir_hwconfig_load(const char *path, struct tasvir_hwconfig **out, char *err,
                         size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!path || !out) {
        if (err && errlen)
            snprintf(err, errlen, "no configuration file given");
        return -EINVAL;
    }
    struct pctx x;
    memset(&x, 0, sizeof(x));
    x.path = path;
    x.err = err;
    x.errlen = errlen;
    x.cur_node = -1;
    x.last_key = -1;
    x.f = fopen(path, "r");
    if (!x.f) {
        int e = errno;
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return e == ENOENT ? -ENOENT : e == EACCES ? -EACCES : -EIO;
    }
    struct tasvir_hwconfig *c = calloc(1, sizeof(*c));
    if (!c) {
        fclose(x.f);
        return -ENOMEM;
    }
    x.c = c;
    c->path = strdup(path);
    c->mtu = 1500;
    c->rx_desc = 1024;
    c->tx_desc = 1024;
    c->mbufs = 8191;
    c->mbuf_cache = 256;
    c->epoch_window_us = 50;
    c->idle_sleep_us = 20;
    c->link_wait_ms = 10000;
    c->root_node = -1;
    c->hb_period_us = 10000;
    c->down_after_hb = 5;
    c->nack_gap_us = 200;
    int rc = ini_parse_stream(reader, &x, handler, &x);
    if (ferror(x.f) && !x.failed)
        fail(&x, x.lineno, "read error");
    if (rc > 0 && !x.failed)
        fail(&x, (unsigned)rc, "syntax error: expected [section], key = value, a comment "
             "(; or #) or an indented continuation");
    else if (rc < 0 && !x.failed)
        fail(&x, 0, "out of memory while parsing");
    if (!x.failed)
        finish(&x);
    fclose(x.f);
    free(x.buf);
    free(x.seen);
    if (x.failed) {
        tasvir_hwconfig_free(c);
        return -EINVAL;
    }
    *out = c;
    return 0;
}

void tasvir_hwconfig_free(struct tasvir_hwconfig *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->n_nodes; i++) {
        struct tasvir_hwconfig_node *n = &c->nodes[i];
        free(n->host);
        free(n->eal);
        free(n->lcores);
        free(n->port);
        free(n->pci);
    }
    free(c->nodes);
    free(c->path);
    free(c->name);
    free(c->ssh_user);
    free(c->ssh_options);
    free(c->remote_dir);
    free(c->remote_build);
    free(c->nic_driver);
    free(c->cpu_governor);
    free(c->hugepage_size);
    free(c);
}

const struct tasvir_hwconfig_node *tasvir_hwconfig_node(const struct tasvir_hwconfig *c,
                                                        unsigned id)
{
    if (!c)
        return NULL;
    for (unsigned i = 0; i < c->n_nodes; i++)
        if (c->nodes[i].id == id)
            return &c->nodes[i];
    return NULL;
}

/* ---- eal argv ----------------------------------------------------------------------- */

static bool has_opt(char **v, const char *const *names)
{
    for (; *v; v++) {
        for (const char *const *n = names; *n; n++) {
            size_t l = strlen(*n);
            if (!strncmp(*v, *n, l) && ((*v)[l] == 0 || (*v)[l] == '=' ||
                                        ((*n)[1] != '-' && isdigit((unsigned char)(*v)[l]))))
                return true;
        }
    }
    return false;
}

int tasvir_hwconfig_eal_argv(const struct tasvir_hwconfig *c,
                             const struct tasvir_hwconfig_node *n,
                             const struct tasvir_hwconfig_vars *vars, char ***argv_out,
                             char *err, size_t errlen)
{
    if (!c || !n || !argv_out) {
        if (err && errlen)
            snprintf(err, errlen, "no configuration or node");
        return -EINVAL;
    }
    struct expand_vals ev = {vars ? vars->run : NULL, vars ? vars->iface : NULL, n->pci, n->id};
    char e[256];
    char *t = expand(n->eal, &ev, false, e, sizeof(e));
    if (!t) {
        if (err && errlen)
            snprintf(err, errlen, "%s:%u: [node.%u] eal: %s", c->path, n->line, n->id, e);
        return -EINVAL;
    }
    char **v;
    int argc = split_args(t, &v, e, sizeof(e));
    free(t);
    if (argc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s:%u: [node.%u] eal: %s", c->path, n->line, n->id, e);
        return argc;
    }
    static const char *const lc_opts[] = {"-l", "-c", "--lcores", NULL};
    static const char *const fp_opts[] = {"--file-prefix", NULL};
    char *extra[2] = {NULL, NULL};
    int n_extra = 0;
    if (!has_opt(v, lc_opts)) {
        size_t l = strlen(n->lcores) + 16;
        if ((extra[n_extra] = malloc(l)))
            snprintf(extra[n_extra], l, "--lcores=%s", n->lcores);
        n_extra++;
    }
    if (!has_opt(v, fp_opts)) {
        if (!vars || !vars->run) {
            if (err && errlen)
                snprintf(err, errlen, "node %u: no run id for the DPDK file prefix", n->id);
            free(extra[0]);
            tasvir_hwconfig_argv_free(v);
            return -EINVAL;
        }
        size_t l = strlen(vars->run) + 40;
        if ((extra[n_extra] = malloc(l)))
            snprintf(extra[n_extra], l, "--file-prefix=%s-n%u", vars->run, n->id);
        n_extra++;
    }
    char **all = realloc(v, ((size_t)argc + (size_t)n_extra + 1) * sizeof(*v));
    if (!all || (n_extra > 0 && !extra[0]) || (n_extra > 1 && !extra[1])) {
        free(extra[0]);
        free(extra[1]);
        tasvir_hwconfig_argv_free(all ? all : v);
        return -ENOMEM;
    }
    for (int i = 0; i < n_extra; i++)
        all[argc++] = extra[i];
    all[argc] = NULL;
    *argv_out = all;
    return argc;
}

/* ---- printing ----------------------------------------------------------------------- */

const char *tasvir_hwconfig_topology_name(enum tasvir_hwconfig_topology t)
{
    switch (t) {
    case TASVIR_HWCONFIG_TOPO_MEMIF:
        return "memif";
    case TASVIR_HWCONFIG_TOPO_BRIDGE:
        return "bridge";
    case TASVIR_HWCONFIG_TOPO_CLUSTER:
        return "cluster";
    }
    return "?";
}

const char *tasvir_hwconfig_addressing_name(enum tasvir_hwconfig_addressing a)
{
    return a == TASVIR_HWCONFIG_ADDR_UNICAST ? "unicast" : "multicast";
}

void tasvir_hwconfig_print(const struct tasvir_hwconfig *c, FILE *f)
{
    fprintf(f, "testbed %s (%s)\n", c->name, c->path);
    fprintf(f, "  topology %s, addressing %s, MTU %u\n", tasvir_hwconfig_topology_name(c->topology),
            tasvir_hwconfig_addressing_name(c->addressing), c->mtu);
    fprintf(f, "  port: rx_desc %u, tx_desc %u, mbufs %u (cache %u), rx filter %s\n",
            c->rx_desc, c->tx_desc, c->mbufs, c->mbuf_cache,
            c->promiscuous ? "promiscuous"
                           : c->addressing == TASVIR_HWCONFIG_ADDR_MULTICAST ? "multicast groups"
                                                                             : "own MAC");
    fprintf(f, "  root directory on node %d; heartbeat every %u us, down after %u silent "
            "periods; NACK gap %u us\n", c->root_node, c->hb_period_us, c->down_after_hb,
            c->nack_gap_us);
    fprintf(f, "  node: clock %s, relax %s, epoch window %u us, link wait %u ms\n",
            c->clock_monotonic ? "monotonic" : "tsc", c->relax == 1 ? "pause" : c->relax == 2 ? "sleep" : "yield",
            c->epoch_window_us, c->link_wait_ms);
    if (c->relax == 2)
        fprintf(f, "  idle engine: sleeps %u us between polls\n", c->idle_sleep_us);
    if (c->copy_isa != TASVIR_COPY_AUTO)
        fprintf(f, "  internal sync line copies: %s\n", tasvir_copy_isa_name(c->copy_isa));
    if (c->topology == TASVIR_HWCONFIG_TOPO_CLUSTER)
        fprintf(f, "  cluster: ssh user %s%s, ssh options '%s', remote dir %s, build %s, "
                "NIC driver %s, governor %s, hugepage size %s\n",
                c->ssh_user ? c->ssh_user : "(default)", c->sudo ? " with sudo" : "",
                c->ssh_options ? c->ssh_options : "",
                c->remote_dir, c->remote_build, c->nic_driver,
                *c->cpu_governor ? c->cpu_governor : "(unchanged)", c->hugepage_size);
    fprintf(f, "  %u node(s):\n", c->n_nodes);
    for (unsigned i = 0; i < c->n_nodes; i++) {
        const struct tasvir_hwconfig_node *n = &c->nodes[i];
        fprintf(f, "    node %u: host %s, lcores %s (main + %u worker%s)", n->id, n->host,
                n->lcores, n->n_lcores - 1, n->n_lcores == 2 ? "" : "s");
        if (n->has_mac)
            fprintf(f, ", mac %02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
                    n->mac[3], n->mac[4], n->mac[5]);
        if (n->hugepages)
            fprintf(f, ", %u hugepages of %s", n->hugepages, c->hugepage_size);
        else
            fprintf(f, ", no hugepages");
        if (n->pci)
            fprintf(f, ", pci %s", n->pci);
        if (n->port)
            fprintf(f, ", port %s", n->port);
        fprintf(f, "\n      eal: %s\n", n->eal);
    }
}

static void shq(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void shvar(FILE *f, const char *name, const char *v)
{
    fprintf(f, "%s=", name);
    shq(f, v);
    fputc('\n', f);
}

void tasvir_hwconfig_print_shell(const struct tasvir_hwconfig *c, FILE *f)
{
    char b[64];
    shvar(f, "TB_NAME", c->name);
    shvar(f, "TB_PATH", c->path);
    shvar(f, "TB_TOPOLOGY", tasvir_hwconfig_topology_name(c->topology));
    shvar(f, "TB_ADDRESSING", tasvir_hwconfig_addressing_name(c->addressing));
    snprintf(b, sizeof(b), "%u", c->mtu);
    shvar(f, "TB_MTU", b);
    snprintf(b, sizeof(b), "%u", c->link_wait_ms);
    shvar(f, "TB_LINK_WAIT_MS", b);
    snprintf(b, sizeof(b), "%d", c->root_node);
    shvar(f, "TB_ROOT_NODE", b);
    shvar(f, "TB_SSH_USER", c->ssh_user);
    shvar(f, "TB_SSH_OPTIONS", c->ssh_options);
    shvar(f, "TB_REMOTE_DIR", c->remote_dir);
    shvar(f, "TB_REMOTE_BUILD", c->remote_build);
    shvar(f, "TB_NIC_DRIVER", c->nic_driver);
    shvar(f, "TB_CPU_GOVERNOR", c->cpu_governor);
    shvar(f, "TB_HUGEPAGE_SIZE", c->hugepage_size);
    shvar(f, "TB_SUDO", c->sudo ? "1" : "0");
    snprintf(b, sizeof(b), "%u", c->idle_sleep_us);
    shvar(f, "TB_IDLE_SLEEP_US", b);
    shvar(f, "TB_COPY_ISA", tasvir_copy_isa_name(c->copy_isa));
    fprintf(f, "TB_NODES='");
    for (unsigned i = 0; i < c->n_nodes; i++)
        fprintf(f, "%s%u", i ? " " : "", c->nodes[i].id);
    fprintf(f, "'\n");
    for (unsigned i = 0; i < c->n_nodes; i++) {
        const struct tasvir_hwconfig_node *n = &c->nodes[i];
        char name[48];
#define NV(key, val)                                              \
    do {                                                          \
        snprintf(name, sizeof(name), "NODE_%u_%s", n->id, key);   \
        shvar(f, name, val);                                      \
    } while (0)
        NV("HOST", n->host);
        NV("EAL", n->eal);
        NV("LCORES", n->lcores);
        if (n->has_mac)
            snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
                     n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
        else
            b[0] = 0;
        NV("MAC", b);
        snprintf(b, sizeof(b), "%u", n->hugepages);
        NV("HUGEPAGES", b);
        NV("PCI", n->pci);
        NV("PORT", n->port);
#undef NV
    }
}

/*
 * world.h — a deterministic multi-node world for the external-sync tests: N nodes on one
 * loopback net with a manual clock, one worker thread per node, driven in fixed time steps
 * from a single OS thread (engines poll, threads check in, a writer writes between
 * check-ins, readers verify at every check-in).
 *
 * The verified area uses "versioned lines": line 0 holds (generation, digest) where the
 * digest is the XOR of a mix of every other line's (generation, index); every other line
 * holds (generation, per-line checksum).  A reader that sees line 0's digest match the
 * lines, and every line's checksum intact, sees one complete version; anything else is a
 * torn or partial version.
 */
#ifndef TASVIR_TEST_WORLD_H
#define TASVIR_TEST_WORLD_H

#include "harness.h"

#define W_MAX 8

struct w_reader {
    struct tasvir_area *h; /* reader handle */
    uint64_t last_gen, last_ver;
    uint64_t checks, torn, backwards, gens_seen;
    uint64_t gen_backwards; /* the writer's own generation counter went back */
};

struct world {
    struct h_net h;
    unsigned n;
    struct tasvir_thread *t[W_MAX];
    uint64_t dt_ns;
    /* writer (node wn) */
    int wn;
    struct tasvir_area *wa;
    uint64_t wlines;
    uint64_t *line_gen;
    uint64_t gen, digest;
    uint64_t rng;
    uint32_t lines_per_write;
    bool writing;
    /* readers */
    struct w_reader rd[W_MAX];
    bool attached[W_MAX];
    uint64_t tap_data_frames[W_MAX]; /* DATA frames of the verified area delivered per node */
    uint32_t area_id;
};

static inline uint64_t w_rand(struct world *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static inline uint64_t w_linemix(uint64_t gen, uint64_t idx)
{
    return h_mix(gen * 0x9e3779b97f4a7c15ull ^ (idx << 32) ^ 0x5bd1e995);
}

static void w_tap(void *arg, uint16_t src, uint16_t dst, const uint8_t *f, uint32_t len)
{
    (void)src;
    struct world *w = arg;
    if (len < 14 + 56 || f[14 + 1] != 1 /* DATA */ || dst >= W_MAX)
        return;
    uint32_t id = (uint32_t)f[22] | (uint32_t)f[23] << 8 | (uint32_t)f[24] << 16 |
                  (uint32_t)f[25] << 24;
    if (id == w->area_id)
        w->tap_data_frames[dst]++;
}

/* n nodes; node `wn` owns area "vers" of `lines` lines with the given intervals. */
static inline void w_init(struct world *w, unsigned n, int wn, uint64_t lines, uint64_t int_us,
                          uint64_t ext_us, uint64_t seed,
                          void (*conf_fn)(struct tasvir_node_conf *, unsigned))
{
    memset(w, 0, sizeof(*w));
    cr_assert(eq(int, h_net_create(&w->h, n, 0, seed, conf_fn), 0));
    w->n = n;
    w->dt_ns = 10000;
    w->rng = seed * 2654435761u + 1;
    for (unsigned i = 0; i < n; i++) {
        w->t[i] = h_thread(w->h.node[i]);
        cr_assert(not(eq(ptr, w->t[i], NULL)));
    }
    w->wn = wn;
    w->wlines = lines;
    w->wa = h_area(w->t[wn], "vers", lines * 64, int_us);
    cr_assert(not(eq(ptr, w->wa, NULL)));
    cr_assert(eq(int, tasvir_area_set_sync(w->wa, 0, ext_us), 0));
    w->line_gen = calloc(lines, sizeof(uint64_t));
    w->lines_per_write = 4;
    struct tasvir_area_info info;
    tasvir_area_info(w->wa, &info);
    w->area_id = info.id;
    tasvir_loop_net_set_tap(w->h.net, w_tap, w);
}

static inline void w_fini(struct world *w)
{
    free(w->line_gen);
    h_net_destroy(&w->h);
}

/* One batch of writes between two check-ins of the writer. */
static inline void w_write(struct world *w)
{
    uint8_t *base = tasvir_area_writer(w->wa);
    w->gen++;
    for (uint32_t k = 0; k < w->lines_per_write; k++) {
        uint64_t l = 1 + w_rand(w) % (w->wlines - 1);
        w->digest ^= w_linemix(w->line_gen[l], l) ^ w_linemix(w->gen, l);
        w->line_gen[l] = w->gen;
        h_stamp(base + l * 64, w->gen, l);
        tasvir_log(w->wa, base + l * 64, 64);
    }
    uint64_t *l0 = (uint64_t *)base;
    l0[0] = w->gen;
    l0[1] = w->digest;
    l0[2] = h_mix(w->gen ^ w->digest);
    tasvir_log(w->wa, l0, 24);
}

/* Verify a reader's view: returns true if it is one complete version. */
static inline bool w_view_ok(const struct world *w, const uint8_t *r, uint64_t *gen_out)
{
    const uint64_t *l0 = (const uint64_t *)r;
    uint64_t gen = l0[0], dig = l0[1];
    *gen_out = gen;
    if (gen == 0 ? (dig != 0 || l0[2] != 0) : l0[2] != h_mix(gen ^ dig))
        return false;
    for (uint64_t l = 1; l < w->wlines; l++) {
        uint64_t g = h_check(r + l * 64, l);
        if (g == UINT64_MAX || g > gen)
            return false;
    }
    return true;
}

static inline bool w_digest_matches(const struct world *w, const uint8_t *r)
{
    const uint64_t *l0 = (const uint64_t *)r;
    uint64_t x = 0;
    for (uint64_t l = 1; l < w->wlines; l++)
        x ^= w_linemix(h_check(r + l * 64, l), l);
    uint64_t zero = 0;
    for (uint64_t l = 1; l < w->wlines; l++)
        zero ^= w_linemix(0, l);
    /* the writer's digest starts from all lines at generation 0 */
    return (x ^ zero) == l0[1];
}

static inline void w_attach(struct world *w, unsigned i)
{
    int rc = tasvir_area_attach(w->t[i], "vers", &w->rd[i].h);
    if (rc == 0)
        w->attached[i] = true;
    else
        cr_assert(eq(int, rc, -ENOENT));
}

static inline void w_check_reader(struct world *w, unsigned i)
{
    struct w_reader *rd = &w->rd[i];
    const uint8_t *r = tasvir_area_reader(rd->h);
    uint64_t gen;
    bool ok = w_view_ok(w, r, &gen) && w_digest_matches(w, r);
    uint64_t ver = tasvir_area_version(rd->h);
    rd->checks++;
    if (!ok)
        rd->torn++;
    if (ver < rd->last_ver)
        rd->backwards++;
    if (gen < rd->last_gen)
        rd->gen_backwards++;
    if (gen != rd->last_gen)
        rd->gens_seen++;
    rd->last_gen = gen;
    rd->last_ver = ver;
}

/* Advance one step: clock, engines, threads (writer writes before its check-in). */
static inline void w_step(struct world *w)
{
    tasvir_loop_net_advance(w->h.net, w->dt_ns);
    for (unsigned i = 0; i < w->n; i++)
        if (w->h.node[i]) /* NULL: a node that is down (destroyed, not yet restarted) */
            tasvir_node_poll(w->h.node[i], NULL);
    for (unsigned i = 0; i < w->n; i++) {
        if (!w->h.node[i])
            continue;
        int rc = tasvir_service(w->t[i]);
        if (rc == -EAGAIN)
            continue; /* in an epoch: hands off area memory */
        if ((int)i == w->wn) {
            if (w->writing)
                w_write(w);
        } else if (w->attached[i]) {
            w_check_reader(w, i);
        }
    }
    /* threads that were waiting may finish within the same step */
    for (unsigned i = 0; i < w->n; i++)
        if (w->h.node[i])
            tasvir_node_poll(w->h.node[i], NULL);
}

static inline void w_run(struct world *w, uint64_t ns)
{
    for (uint64_t t = 0; t < ns; t += w->dt_ns)
        w_step(w);
}

/* Run until every attached reader sees the owner's published version; returns the time it
 * took, or UINT64_MAX after `limit`. */
static inline uint64_t w_converge(struct world *w, uint64_t limit)
{
    uint64_t t = 0;
    for (; t <= limit; t += w->dt_ns) {
        uint64_t v = tasvir_area_version(w->wa);
        bool all = true;
        for (unsigned i = 0; i < w->n; i++)
            if (w->attached[i] && tasvir_area_version(w->rd[i].h) != v)
                all = false;
        if (all)
            return t;
        w_step(w);
    }
    return UINT64_MAX;
}

/* Node k goes away (its node is destroyed; the world keeps stepping the others). */
static inline void w_node_down(struct world *w, unsigned k)
{
    tasvir_node_destroy(w->h.node[k]);
    w->h.node[k] = NULL;
    w->t[k] = NULL;
    w->attached[k] = false;
    memset(&w->rd[k], 0, sizeof(w->rd[k]));
}

/* Node k starts again on its port (a new incarnation) with one active thread. */
static inline void w_node_up(struct world *w, unsigned k,
                             void (*conf_fn)(struct tasvir_node_conf *, unsigned))
{
    struct tasvir_node_conf c;
    tasvir_node_conf_init(&c);
    struct tasvir_peer peers[W_MAX];
    for (uint16_t i = 0; i < w->n; i++) {
        peers[i].node_id = i;
        tasvir_loop_mac(i, peers[i].mac);
    }
    c.backend = tasvir_loop_port_backend(w->h.port[k]);
    c.peers = peers;
    c.n_peers = w->n;
    if (conf_fn)
        conf_fn(&c, k);
    cr_assert(eq(int, tasvir_node_create(&c, &w->h.node[k]), 0));
    w->t[k] = h_thread(w->h.node[k]);
    cr_assert(not(eq(ptr, w->t[k], NULL)));
}

/* Attach every node except the writer (retrying while the directory propagates). */
static inline void w_attach_all(struct world *w, uint64_t limit)
{
    for (uint64_t t = 0; t < limit; t += w->dt_ns) {
        bool all = true;
        for (unsigned i = 0; i < w->n; i++)
            if ((int)i != w->wn && !w->attached[i]) {
                w_attach(w, i);
                all = all && w->attached[i];
            }
        if (all)
            return;
        w_step(w);
    }
    cr_assert(0, "readers could not attach within %lu ns", limit);
}

#endif

/*
 * local_micro.c — micro benchmarks of `tasvir-bench local`:
 *
 *  log_cost   tasvir_log per call: one line (dirty byte already set / clear / half) and
 *             4 KiB ranges, over precomputed random addresses in a 1 MiB area; one line
 *             also through a log cursor (tasvir_log_cur).
 *  sync_copy  internal-sync copy throughput: the bench thread dirties changed_bytes
 *             (dense, every other line, or random single lines), then drives one epoch
 *             itself (sync_now, poll, service, poll) and times it, or, with 2 copiers,
 *             requests one from an engine thread that copies chunks alongside it; plain
 *             memcpy of the same number of bytes is timed in the same loop for comparison.
 *  idle_scan  epochs with nothing changed: driven (medians of per-epoch counter deltas)
 *             and threaded (an engine thread and a servicing worker; means).
 *
 * Every timed sample is one batch or one epoch measured with the TSC.  A round takes the
 * median over its repetitions (a preemption does not move it); the section runs --rounds
 * rounds, all cases each round, and reports the best round of each case (another
 * process on the machine slows whole rounds down, never speeds one up).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#define LOG_AREA_BYTES (1ull << 20)
#define LOG_BATCH 1024u

static double *alloc_samples(struct local_ctx *c, unsigned n)
{
    double *v = malloc(sizeof(double) * (n ? n : 1));
    if (!v) {
        bench_info("out of memory");
        c->failed = true;
    }
    return v;
}

/* ---- log_cost ------------------------------------------------------------------------ */

static inline __attribute__((always_inline)) int log_loop(struct tasvir_area *a, uint8_t **addrs,
                                                          unsigned n, const size_t len)
{
    int bad = 0;
    for (unsigned i = 0; i < n; i++)
        bad |= tasvir_log(a, addrs[i], len);
    return bad;
}

/* The same through a log cursor (a local copy of what tasvir_log reads from the area). */
static inline __attribute__((always_inline)) int log_loop_cur(struct tasvir_area *a,
                                                              uint8_t **addrs, unsigned n,
                                                              const size_t len)
{
    struct tasvir_log_cursor c;
    tasvir_log_cursor_init(&c, a);
    int bad = 0;
    for (unsigned i = 0; i < n; i++)
        bad |= tasvir_log_cur(&c, addrs[i], len);
    return bad;
}

/* The timed loops as functions of their own on 64-byte boundaries, so that where their
 * loops fall in the fetch windows does not move with whatever code precedes them: inlined
 * into local_log_cost, a change elsewhere in this file once moved the cursor loop by one
 * byte and its time per marked line from 0.70-1.44 to 1.04-2.23 ns (10 alternating runs
 * on a Zen 3, the loop's instructions the same). */
static __attribute__((noinline, aligned(64))) int log_loop_line(struct tasvir_area *a,
                                                                uint8_t **addrs, unsigned n)
{
    return log_loop(a, addrs, n, TASVIR_LINE_BYTES);
}

static __attribute__((noinline, aligned(64))) int log_loop_4k(struct tasvir_area *a,
                                                              uint8_t **addrs, unsigned n)
{
    return log_loop(a, addrs, n, 4096);
}

static __attribute__((noinline, aligned(64))) int log_loop_cur_line(struct tasvir_area *a,
                                                                    uint8_t **addrs, unsigned n)
{
    return log_loop_cur(a, addrs, n, TASVIR_LINE_BYTES);
}

/* State of the dirty bitmap when a batch starts. */
enum log_bits {
    BITS_SET,   /* every bit already set (steady state) */
    BITS_CLEAR, /* every bit clear (just after an epoch) */
    BITS_HALF,  /* a random half of the bits set: the bitmap refilling after an epoch, when
                 * whether a line's bit is set cannot be predicted */
};

/* Time `reps` batches of tasvir_log over addrs[0..n) with len bytes each.  With
 * BITS_CLEAR and BITS_HALF an untimed driven epoch before every batch clears the bitmap
 * (and with BITS_HALF untimed calls then set the bits of a random half of the lines). */
static double log_batches(struct local_ctx *c, struct tasvir_node *node, struct tasvir_thread *t,
                          struct tasvir_area *a, uint8_t **addrs, unsigned n, size_t len,
                          enum log_bits bits, bool cursor, unsigned reps)
{
    double *v = alloc_samples(c, reps);
    if (!v)
        return NAN;
    int bad = 0;
    uint8_t *w = tasvir_area_writer(a);
    uint64_t rng = c->o.seed * 2 + 1;
    if (bits == BITS_SET)
        bad |= tasvir_log(a, w, LOG_AREA_BYTES);
    for (unsigned r = 0; r < reps; r++) {
        if (bits != BITS_SET && bench_drive_epoch(node, t, NULL)) {
            free(v);
            c->failed = true;
            return NAN;
        }
        if (bits == BITS_HALF)
            for (uint64_t l = 0; l < LOG_AREA_BYTES / TASVIR_LINE_BYTES; l += 64) {
                uint64_t pick = bench_rand(&rng);
                for (unsigned k = 0; k < 64; k++)
                    if (pick >> k & 1)
                        bad |= tasvir_log(a, w + (l + k) * TASVIR_LINE_BYTES, 1);
            }
        uint64_t t0 = bench_ticks();
        /* a compile-time length, as at a real call site */
        if (cursor)
            bad |= log_loop_cur_line(a, addrs, n);
        else if (len == TASVIR_LINE_BYTES)
            bad |= log_loop_line(a, addrs, n);
        else
            bad |= log_loop_4k(a, addrs, n);
        uint64_t t1 = bench_ticks();
        v[r] = bench_ticks_to_ns(t1 - t0) / n;
    }
    if (bad) {
        bench_info("log_cost: tasvir_log failed: %s", tasvir_strerror(bad));
        c->failed = true;
    }
    double m = bench_median(v, reps);
    free(v);
    return m;
}

int local_log_cost(struct local_ctx *c)
{
    struct bench_node b;
    if (bench_node_create(&b, &c->node_opts)) {
        c->failed = true;
        return -1;
    }
    bench_pin_self(c->cpu_worker);
    int ret = -1;
    uint8_t **addrs = malloc(sizeof(*addrs) * LOG_BATCH);
    struct tasvir_thread *t = bench_thread(b.node);
    struct tasvir_area *a = t ? bench_area(t, "logcost", LOG_AREA_BYTES, 0) : NULL;
    if (!addrs || !a) {
        if (!addrs)
            bench_info("out of memory");
        c->failed = true;
        goto out;
    }
    uint8_t *w = tasvir_area_writer(a);
    uint64_t rng = c->o.seed | 1;
    const uint64_t nlines = LOG_AREA_BYTES / TASVIR_LINE_BYTES;
    struct {
        const char *name;
        size_t len;
        enum log_bits bits;
        bool cursor; /* through a log cursor (tasvir_log_cur), single lines only */
        unsigned n, reps;
        double best;
    } v[] = {
        {"line_set", TASVIR_LINE_BYTES, BITS_SET, false, LOG_BATCH, local_reps(c, 2000, 50), NAN},
        {"line_clear", TASVIR_LINE_BYTES, BITS_CLEAR, false, LOG_BATCH, local_reps(c, 500, 20), NAN},
        {"line_half", TASVIR_LINE_BYTES, BITS_HALF, false, LOG_BATCH, local_reps(c, 200, 10), NAN},
        {"range4k_set", 4096, BITS_SET, false, 256, local_reps(c, 2000, 50), NAN},
        {"range4k_clear", 4096, BITS_CLEAR, false, 256, local_reps(c, 200, 10), NAN},
        {"cursor_line_set", TASVIR_LINE_BYTES, BITS_SET, true, LOG_BATCH, local_reps(c, 2000, 50), NAN},
        {"cursor_line_clear", TASVIR_LINE_BYTES, BITS_CLEAR, true, LOG_BATCH, local_reps(c, 500, 20), NAN},
        {"cursor_line_half", TASVIR_LINE_BYTES, BITS_HALF, true, LOG_BATCH, local_reps(c, 200, 10), NAN},
    };
    const unsigned nv = sizeof(v) / sizeof(v[0]);
    for (unsigned r = 0; r < c->o.rounds; r++) {
        for (unsigned k = 0; k < nv; k++) {
            /* Random line-aligned addresses; ranges stay inside the area. */
            uint64_t span = v[k].len == TASVIR_LINE_BYTES ? nlines : nlines - 4096 / TASVIR_LINE_BYTES;
            for (unsigned i = 0; i < v[k].n; i++)
                addrs[i] = w + (bench_rand(&rng) % span) * TASVIR_LINE_BYTES;
            if (bench_drive_epoch(b.node, t, NULL)) { /* start from a clean bitmap */
                c->failed = true;
                goto out;
            }
            double ns = log_batches(c, b.node, t, a, addrs, v[k].n, v[k].len, v[k].bits,
                                    v[k].cursor, v[k].reps);
            if (isnan(v[k].best) || ns < v[k].best)
                v[k].best = ns;
        }
    }
    for (unsigned k = 0; k < nv; k++) {
        double ns = v[k].best;
        bench_info("log_cost %-13s %.3f ns/call", v[k].name, ns);
        struct bench_row row;
        local_row(&row, SEC_LOG_COST);
        bench_row_str(&row, C_VARIANT, v[k].name);
        bench_row_u64(&row, C_AREA_BYTES, LOG_AREA_BYTES);
        bench_row_u64(&row, C_CHANGED_BYTES, v[k].len);
        bench_row_u64(&row, C_THREADS, 1);
        bench_row_u64(&row, C_REPS, v[k].reps);
        bench_row_f(&row, C_NS_PER_CALL, ns, 3);
        bench_csv_emit(&c->csv, &row);
        if (v[k].len == TASVIR_LINE_BYTES)
            local_target(c, ns, "ns", -1, 2, "%s single line, %s",
                         v[k].cursor ? "tasvir_log_cur" : "tasvir_log", v[k].name);
    }
    ret = 0;
out:
    free(addrs);
    bench_node_destroy(&b);
    bench_unpin_self();
    return ret;
}

/* ---- sync_copy ----------------------------------------------------------------------- */

enum copy_layout { LAYOUT_DENSE, LAYOUT_ALT, LAYOUT_RND };
static const char *const layout_names[] = {"dense", "alt", "rnd"};

/* Fill lines[] with `n` distinct line indexes of an area of `area_lines` lines. */
static int pick_lines(enum copy_layout lay, uint64_t *lines, uint64_t n, uint64_t area_lines,
                      uint64_t seed)
{
    if (lay == LAYOUT_DENSE) {
        for (uint64_t i = 0; i < n; i++)
            lines[i] = i;
        return 0;
    }
    if (lay == LAYOUT_ALT) {
        for (uint64_t i = 0; i < n; i++)
            lines[i] = 2 * i;
        return 0;
    }
    /* Random distinct lines, in random order (a scattered write pattern). */
    uint8_t *used = calloc(area_lines, 1);
    if (!used)
        return -ENOMEM;
    uint64_t rng = seed | 1;
    for (uint64_t i = 0; i < n;) {
        uint64_t l = bench_rand(&rng) % area_lines;
        if (used[l])
            continue;
        used[l] = 1;
        lines[i++] = l;
    }
    free(used);
    return 0;
}

static inline void write_line(uint8_t *p, uint64_t v)
{
    uint64_t *q = (uint64_t *)(void *)p;
    for (int k = 0; k < 8; k++)
        q[k] = v;
}

/* write_line on lines 0..n of buf, in address order (the dense baselines' sources) */
static void write_seq(uint8_t *buf, uint64_t n, uint64_t v)
{
    for (uint64_t i = 0; i < n; i++)
        write_line(buf + i * TASVIR_LINE_BYTES, v);
}

/* write_line on lines[0..n) of buf, in the order given */
static void write_lines(uint8_t *buf, const uint64_t *lines, uint64_t n, uint64_t v)
{
    for (uint64_t i = 0; i < n; i++)
        write_line(buf + lines[i] * TASVIR_LINE_BYTES, v);
}

/* The streamed ideal copier: lines sorted[0..n) of src copied to dst with non-temporal
 * stores, each line prefetched LINE_STREAM_AHEAD lines ahead; with `wide`, one 64-byte
 * AVX-512F move per line (the node copies that way too), else four 16-byte SSE2 ones. */
#define LINE_STREAM_AHEAD 64u
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static void line_stream_wide(uint8_t *dst, const uint8_t *src,
                                                               const uint64_t *sorted, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (i + LINE_STREAM_AHEAD < n)
            __builtin_prefetch(src + sorted[i + LINE_STREAM_AHEAD] * TASVIR_LINE_BYTES, 0, 3);
        uint64_t off = sorted[i] * TASVIR_LINE_BYTES;
        _mm512_stream_si512((void *)(dst + off), _mm512_load_si512(src + off));
    }
    _mm_sfence();
}

static void line_stream_base(uint8_t *dst, const uint8_t *src, const uint64_t *sorted, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (i + LINE_STREAM_AHEAD < n)
            __builtin_prefetch(src + sorted[i + LINE_STREAM_AHEAD] * TASVIR_LINE_BYTES, 0, 3);
        const __m128i *sp = (const __m128i *)(const void *)(src + sorted[i] * TASVIR_LINE_BYTES);
        __m128i *dp = (__m128i *)(void *)(dst + sorted[i] * TASVIR_LINE_BYTES);
        for (int k = 0; k < 4; k++)
            _mm_stream_si128(dp + k, _mm_load_si128(sp + k));
    }
    _mm_sfence();
}

static void line_stream(uint8_t *dst, const uint8_t *src, const uint64_t *sorted, uint64_t n,
                        bool wide)
{
    if (wide)
        line_stream_wide(dst, src, sorted, n);
    else
        line_stream_base(dst, src, sorted, n);
}

/* A bound under the line copiers: the same lines only stored in address order, a
 * register's bytes, nothing read; with `nt` non-temporal stores, else plain ones (which
 * read each line for ownership first).  A copy that stores those lines in that order,
 * either way, reads them as well, so it cannot be faster than the faster of the two (a
 * copy in another order can: the sync's interleaved streams of strided lines, isync.c
 * flat_copy_streams). */
__attribute__((target("avx512f"))) static void line_store_wide(uint8_t *dst,
                                                              const uint64_t *sorted,
                                                              uint64_t n, uint64_t v, bool nt)
{
    const __m512i x = _mm512_set1_epi64((long long)v);
    if (nt) {
        for (uint64_t i = 0; i < n; i++)
            _mm512_stream_si512((void *)(dst + sorted[i] * TASVIR_LINE_BYTES), x);
        _mm_sfence();
    } else {
        for (uint64_t i = 0; i < n; i++)
            _mm512_store_si512((void *)(dst + sorted[i] * TASVIR_LINE_BYTES), x);
    }
}

static void line_store_base(uint8_t *dst, const uint64_t *sorted, uint64_t n, uint64_t v,
                            bool nt)
{
    const __m128i x = _mm_set1_epi64x((long long)v);
    for (uint64_t i = 0; i < n; i++) {
        __m128i *dp = (__m128i *)(void *)(dst + sorted[i] * TASVIR_LINE_BYTES);
        for (int k = 0; k < 4; k++) {
            if (nt)
                _mm_stream_si128(dp + k, x);
            else
                _mm_store_si128(dp + k, x);
        }
    }
    _mm_sfence();
}

static void line_store(uint8_t *dst, const uint64_t *sorted, uint64_t n, uint64_t v, bool wide,
                       bool nt)
{
    if (wide)
        line_store_wide(dst, sorted, n, v, nt);
    else
        line_store_base(dst, sorted, n, v, nt);
}
#else /* no non-temporal stores to name here: a memcpy per line */
static void line_stream(uint8_t *dst, const uint8_t *src, const uint64_t *sorted, uint64_t n,
                        bool wide)
{
    (void)wide;
    for (uint64_t i = 0; i < n; i++)
        memcpy(dst + sorted[i] * TASVIR_LINE_BYTES, src + sorted[i] * TASVIR_LINE_BYTES,
               TASVIR_LINE_BYTES);
}

static void line_store(uint8_t *dst, const uint64_t *sorted, uint64_t n, uint64_t v, bool wide,
                       bool nt)
{
    (void)wide;
    (void)nt;
    for (uint64_t i = 0; i < n; i++)
        write_line(dst + sorted[i] * TASVIR_LINE_BYTES, v);
}
#endif

/* The lines written into src as before the epoch, then only stored into dst (line_store);
 * returns the ns of the stores. */
static double time_line_store(uint8_t *dst, uint8_t *src, const uint64_t *lines,
                              const uint64_t *sorted, uint64_t n, uint64_t v, bool wide, bool nt)
{
    write_lines(src, lines, n, v);
    uint64_t t0 = bench_ticks();
    line_store(dst, sorted, n, v, wide, nt);
    bench_escape(dst);
    return bench_ticks_to_ns(bench_ticks() - t0);
}

/* The paired ratios a sync_copy case keeps per rep: memcpy, the streamed ideal copier,
 * the stores alone and memcpy split over two threads, each over the epoch. */
enum { PAIR_MEMCPY, PAIR_STREAM, PAIR_STORE, PAIR_SPLIT, PAIR_N };

/* One sync_copy case: best (lowest) per-round medians of the epoch and of memcpy. */
struct copy_res {
    double epoch_ns;  /* the copying check-in: arrival to published (bench timer) */
    double full_ns;   /* the core's epoch duration: start to published */
    double memcpy_ns;
    double line_ns;   /* the ideal copier: a memcpy per changed line (alt, rnd; else 0) */
    double stream_ns; /* the streamed ideal copier (line_stream; alt, rnd; else 0) */
    double store_ns;  /* the lines' stores alone (line_store; alt, rnd; else 0) */
    double split_ns;  /* memcpy split over the two copiers' threads (memcpy_split; else 0) */
    unsigned reps;
    /* every recorded rep of every round, paired: memcpy_ns, stream_ns, store_ns and
     * split_ns over epoch_ns of the same rep (PAIR_*: the ratios the targets and notes take
     * the median of) */
    double *pair[PAIR_N];
    unsigned n_pair, cap_pair;
};

/* Append one rep's paired ratios r[PAIR_*] to res (0: no ideal copier). */
static int copy_res_pair(struct copy_res *res, const double r[PAIR_N])
{
    if (res->n_pair == res->cap_pair) {
        unsigned cap = res->cap_pair ? 2 * res->cap_pair : 256;
        for (unsigned k = 0; k < PAIR_N; k++) {
            double *m = realloc(res->pair[k], sizeof(double) * cap);
            if (!m) {
                bench_info("out of memory");
                return -1;
            }
            res->pair[k] = m;
        }
        res->cap_pair = cap;
    }
    for (unsigned k = 0; k < PAIR_N; k++)
        res->pair[k][res->n_pair] = r[k];
    res->n_pair++;
    return 0;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static unsigned copy_reps(const struct local_ctx *c, uint64_t changed)
{
    return changed <= (64u << 10)  ? local_reps(c, 300, 20)
           : changed <= (1u << 20) ? local_reps(c, 40, 8)
                                   : local_reps(c, 8, 3);
}

/* The epoch of a two-copier round: the bench thread checks in like a worker whose
 * service loop notices the request at once, and the engine thread (on the other CPU)
 * copies chunks alongside it.  Returns the epoch's copy time (ns: start to published
 * minus start to all checked in, as the core counts them), 0 if another epoch ran in the
 * same interval (the sample is dropped), or -1 on error (reported). */
static double pair_epoch(struct tasvir_node *n, struct tasvir_thread *t, struct tasvir_area *a,
                         struct tasvir_stats *s0, struct tasvir_stats *s1)
{
    uint64_t v0 = tasvir_area_version(a);
    tasvir_node_stats(n, s0);
    tasvir_node_sync_now(n);
    uint64_t limit = bench_ticks() + bench_ns_to_ticks(5e9);
    /* the version moves when the epoch publishes, and its counters follow; the thread may
     * write again once its check-in returned >= 0 (the counters are read only then: the
     * copiers write them) */
    int rc;
    do {
        rc = tasvir_service(t);
        if (rc < 0 && rc != -EAGAIN) {
            bench_info("sync_copy: tasvir_service: %s", tasvir_strerror(rc));
            return -1;
        }
        if (rc >= 0 && tasvir_area_version(a) != v0)
            tasvir_node_stats(n, s1);
        else
            s1->epochs_ok = s0->epochs_ok;
        if (bench_ticks() > limit) {
            bench_info("sync_copy: a two-copier epoch did not complete within 5 s");
            return -1;
        }
    } while (s1->epochs_ok == s0->epochs_ok);
    if (s1->epochs_ok - s0->epochs_ok != 1 || s1->epochs_failed != s0->epochs_failed)
        return 0;
    return (double)((s1->epoch_ns - s0->epoch_ns) - (s1->barrier_ns - s0->barrier_ns));
}

/* The engine thread's half of memcpy_split. */
struct split_half {
    uint8_t *dst;
    const uint8_t *src;
    size_t len;
};

static void split_half_copy(void *arg)
{
    const struct split_half *h = arg;
    memcpy(h->dst, h->src, h->len);
}

/* The two-copier rounds' baseline: memcpy of len bytes split over the bench thread (the
 * first half, in lines) and the engine thread e (the second), as the two copiers split
 * the epoch's chunks.  Returns the ns from the post of the engine's half until both are
 * done, the handoff to the other CPU included (the copiers pay theirs too). */
static double memcpy_split(struct bench_engine *e, uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t half = len / TASVIR_LINE_BYTES / 2 * TASVIR_LINE_BYTES;
    struct split_half h = {dst + half, src + half, len - half};
    uint64_t t0 = bench_ticks();
    bench_engine_post(e, split_half_copy, &h);
    memcpy(dst, src, half);
    bench_engine_wait(e);
    bench_escape(dst);
    return bench_ticks_to_ns(bench_ticks() - t0);
}

/* Measure one round of one case with 1 copier (the bench thread drives the epoch alone)
 * or 2 (plus an engine thread); updates res with this round's medians if better. */
static int copy_round(struct local_ctx *c, uint64_t changed, enum copy_layout lay,
                      unsigned copiers, struct copy_res *res)
{
    uint64_t area = lay == LAYOUT_RND ? 8 * changed : 2 * changed;
    uint64_t n = changed / TASVIR_LINE_BYTES;
    unsigned reps = copy_reps(c, changed);
    int ret = -1;
    struct bench_node b;
    if (bench_node_create(&b, &c->node_opts))
        return -1;
    uint64_t *lines = malloc(sizeof(*lines) * n);
    uint8_t *src = bench_node_mem_alloc(&b, changed), *dst = bench_node_mem_alloc(&b, changed);
    double *ts = alloc_samples(c, reps), *tm = alloc_samples(c, reps),
           *tf = alloc_samples(c, reps), *tl = alloc_samples(c, reps),
           *tn = alloc_samples(c, reps), *to = alloc_samples(c, reps),
           *tp = alloc_samples(c, reps);
    /* the ideal copier's buffers and its address-ordered line list (scattered layouts) */
    bool line_base = lay != LAYOUT_DENSE;
    uint64_t *sorted = line_base ? malloc(sizeof(*sorted) * n) : NULL;
    uint8_t *lsrc = line_base ? bench_node_mem_alloc(&b, area) : NULL;
    uint8_t *ldst = line_base ? bench_node_mem_alloc(&b, area) : NULL;
    uint8_t *ndst = line_base ? bench_node_mem_alloc(&b, area) : NULL;
    struct bench_engine e = {0};
    uint8_t *ssrc = NULL, *sdst = NULL; /* the split memcpy's (two copiers) */
    const int isa = tasvir_node_copy_isa(b.node);
    const bool wide = isa == TASVIR_COPY_AVX512 || isa == TASVIR_COPY_AVX512_VBMI2;
    struct tasvir_thread *t = bench_thread(b.node);
    /* with an engine running, the area's own interval must not start epochs mid-write:
     * only tasvir_node_sync_now does */
    struct tasvir_area *a = t ? bench_area(t, "copy", area, copiers > 1 ? 1000000000u : 0) : NULL;
    char cb[32], ab[32];
    bench_fmt_bytes(changed, cb, sizeof(cb));
    bench_fmt_bytes(area, ab, sizeof(ab));
    if (!lines || !src || !dst || !ts || !tm || !tf || !tl || !tn || !to || !tp || !a ||
        (line_base && (!sorted || !lsrc || !ldst || !ndst))) {
        if (a) /* a thread or area that could not be made was reported already */
            bench_info("sync_copy: out of memory for the buffers of %s %s (a %s area)",
                       layout_names[lay], cb, ab);
        goto out;
    }
    if (pick_lines(lay, lines, n, area / TASVIR_LINE_BYTES, c->o.seed + changed + lay)) {
        bench_info("sync_copy: out of memory picking the lines of %s %s", layout_names[lay], cb);
        goto out;
    }
    if (line_base) {
        memcpy(sorted, lines, sizeof(*sorted) * n);
        qsort(sorted, n, sizeof(*sorted), cmp_u64);
    }
    /* on one CPU the engine must yield, or the bench thread would wait for its slices */
    if (copiers > 1 && bench_engine_start(&e, &b, c->cpu_engine,
                                          c->cpu_engine >= 0 && c->cpu_engine == c->cpu_worker))
        goto out;
    /* the split memcpy needs a second thread that spins (a yielding engine shares the CPU),
     * and buffers of its own */
    const bool split = copiers > 1 && !e.yield;
    if (split && (!(ssrc = bench_node_mem_alloc(&b, changed)) || !(sdst = bench_node_mem_alloc(&b, changed)))) {
        bench_info("sync_copy: out of memory for the split memcpy's buffers of %s %s",
                   layout_names[lay], cb);
        goto out;
    }
    uint8_t *w = tasvir_area_writer(a);
    const uint8_t *rd = tasvir_area_reader(a);
    /* rep 0 is a warm-up (first touch of pages, code paths); it is not recorded */
    unsigned got = 0;
    for (unsigned r = 0; r <= reps; r++) {
        uint64_t val = r + 1;
        for (uint64_t i = 0; i < n; i++) {
            uint8_t *p = w + lines[i] * TASVIR_LINE_BYTES;
            write_line(p, val);
            (void)tasvir_log(a, p, TASVIR_LINE_BYTES);
            /* a worker's check-ins while it writes (the node's system areas have epochs
             * of their own when an engine runs) */
            int rc;
            if (copiers > 1 && (i & 255) == 255 && (rc = tasvir_service_wait(t)) < 0) {
                bench_info("sync_copy: tasvir_service_wait: %s", tasvir_strerror(rc));
                goto out;
            }
        }
        struct tasvir_stats s0, s1;
        struct bench_epoch_ticks tk;
        double pair_ns = 0;
        if (copiers > 1) {
            if ((pair_ns = pair_epoch(b.node, t, a, &s0, &s1)) < 0)
                goto out;
        } else {
            tasvir_node_stats(b.node, &s0);
            if (bench_drive_epoch(b.node, t, &tk))
                goto out;
            tasvir_node_stats(b.node, &s1);
        }
        /* >=: the node's own system areas may have changed in the same epoch */
        if (s1.bytes_copied - s0.bytes_copied < changed ||
            *(const uint64_t *)(const void *)(rd + lines[0] * TASVIR_LINE_BYTES) != val ||
            *(const uint64_t *)(const void *)(rd + lines[n - 1] * TASVIR_LINE_BYTES) != val) {
            bench_info("sync_copy: epoch copied %" PRIu64 " bytes, expected %" PRIu64
                       " and the changed lines",
                       s1.bytes_copied - s0.bytes_copied, changed);
            goto out;
        }
        /* the same number of bytes, written the same way just before, then one memcpy */
        write_seq(src, n, val);
        uint64_t m0 = bench_ticks();
        memcpy(dst, src, changed);
        bench_escape(dst);
        uint64_t m1 = bench_ticks();
        /* the same lines written the same way in a buffer like the writer copy, then
         * copied one line at a time in address order into one like the reader copy */
        uint64_t l0 = 0, l1 = 0;
        if (line_base) {
            write_lines(lsrc, lines, n, val);
            l0 = bench_ticks();
            for (uint64_t i = 0; i < n; i++)
                memcpy(ldst + sorted[i] * TASVIR_LINE_BYTES, lsrc + sorted[i] * TASVIR_LINE_BYTES,
                       TASVIR_LINE_BYTES);
            bench_escape(ldst);
            l1 = bench_ticks();
        }
        /* the same lines written again, then streamed into a third buffer */
        uint64_t n0 = 0, n1 = 0;
        if (line_base) {
            write_lines(lsrc, lines, n, val);
            n0 = bench_ticks();
            line_stream(ndst, lsrc, sorted, n, wide);
            bench_escape(ndst);
            n1 = bench_ticks();
        }
        /* and written again before each of two runs that only store the lines: with
         * non-temporal stores into the streamed copy's buffer (which has none of its
         * lines in the caches), and with plain ones into the per-line memcpy's buffer
         * (whose lines its plain stores left there); the faster of the two counts */
        double store_ns = 0;
        if (line_base) {
            double nt_ns = time_line_store(ndst, lsrc, lines, sorted, n, val, wide, true);
            double plain_ns = time_line_store(ldst, lsrc, lines, sorted, n, val, wide, false);
            store_ns = nt_ns < plain_ns ? nt_ns : plain_ns;
        }
        /* last, so that the threads' halves of its buffers are not in the way of the
         * others: the same bytes written as for memcpy, then copied split over the bench
         * and engine threads */
        double split_ns = 0;
        if (split) {
            write_seq(ssrc, n, val);
            split_ns = memcpy_split(&e, sdst, ssrc, changed);
        }
        if (r > 0 && (copiers == 1 || pair_ns > 0)) {
            ts[got] = copiers > 1 ? pair_ns : bench_ticks_to_ns(tk.done - tk.started);
            tf[got] = (double)(s1.epoch_ns - s0.epoch_ns);
            tm[got] = bench_ticks_to_ns(m1 - m0);
            tl[got] = bench_ticks_to_ns(l1 - l0);
            tn[got] = bench_ticks_to_ns(n1 - n0);
            to[got] = store_ns;
            tp[got] = split_ns;
            const double pr[PAIR_N] = {[PAIR_MEMCPY] = tm[got] / ts[got],
                                       [PAIR_STREAM] = line_base ? tn[got] / ts[got] : 0,
                                       [PAIR_STORE] = line_base ? to[got] / ts[got] : 0,
                                       [PAIR_SPLIT] = split ? tp[got] / ts[got] : 0};
            if (copy_res_pair(res, pr))
                goto out;
            got++;
        }
    }
    if (!got) {
        bench_info("sync_copy: no epoch of the round ran alone");
        goto out;
    }
    double e_ns = bench_median(ts, got), f_ns = bench_median(tf, got);
    double m_ns = bench_median(tm, got), l_ns = bench_median(tl, got);
    double n_ns = bench_median(tn, got), o_ns = bench_median(to, got);
    double p_ns = bench_median(tp, got);
    if (!res->reps || l_ns < res->line_ns)
        res->line_ns = l_ns;
    if (!res->reps || n_ns < res->stream_ns)
        res->stream_ns = n_ns;
    if (!res->reps || o_ns < res->store_ns)
        res->store_ns = o_ns;
    if (!res->reps || p_ns < res->split_ns)
        res->split_ns = p_ns;
    if (!res->reps || e_ns < res->epoch_ns)
        res->epoch_ns = e_ns;
    if (!res->reps || f_ns < res->full_ns)
        res->full_ns = f_ns;
    if (!res->reps || m_ns < res->memcpy_ns)
        res->memcpy_ns = m_ns;
    res->reps = got;
    ret = 0;
out:
    bench_engine_stop(&e);
    free(lines);
    bench_node_mem_free(&b, src, changed);
    bench_node_mem_free(&b, dst, changed);
    free(ts);
    free(tm);
    free(tf);
    free(tl);
    free(tn);
    free(to);
    free(tp);
    free(sorted);
    bench_node_mem_free(&b, lsrc, area);
    bench_node_mem_free(&b, ldst, area);
    bench_node_mem_free(&b, ndst, area);
    bench_node_mem_free(&b, ssrc, changed);
    bench_node_mem_free(&b, sdst, changed);
    bench_node_destroy(&b);
    return ret;
}

int local_sync_copy(struct local_ctx *c)
{
    const uint64_t *sizes = c->o.copy_sizes;
    const unsigned NS = c->o.ncopy_sizes;
    enum { NL = LAYOUT_RND + 1, NC = 2 };
    struct copy_res res[NC][LOCAL_MAX_LIST][NL];
    memset(res, 0, sizeof(res));
    bench_pin_self(c->cpu_worker);
    int ret = 0;
    for (unsigned r = 0; r < c->o.rounds && !ret; r++)
        for (unsigned k = 0; k < NC && !ret; k++)
            for (unsigned s = 0; s < NS && !ret; s++)
                for (unsigned lay = LAYOUT_DENSE; lay < NL && !ret; lay++)
                    if (copy_round(c, sizes[s], (enum copy_layout)lay, k + 1, &res[k][s][lay]))
                        ret = -1;
    bench_unpin_self();
    for (unsigned k = 0; k < NC && !ret; k++) {
        unsigned copiers = k + 1;
        for (unsigned s = 0; s < NS; s++) {
            for (unsigned lay = LAYOUT_DENSE; lay < NL; lay++) {
                const struct copy_res *x = &res[k][s][lay];
                uint64_t changed = sizes[s];
                uint64_t area = lay == LAYOUT_RND ? 8 * changed : 2 * changed;
                double sync_gbps = (double)changed / x->epoch_ns;
                double memcpy_gbps = (double)changed / x->memcpy_ns;
                double ratio = sync_gbps / memcpy_gbps;
                char cb[32];
                bench_fmt_bytes(changed, cb, sizeof(cb));
                double line_gbps = x->line_ns > 0 ? (double)changed / x->line_ns : NAN;
                double line_ratio = sync_gbps / line_gbps;
                double stream_gbps = x->stream_ns > 0 ? (double)changed / x->stream_ns : NAN;
                double stream_ratio = sync_gbps / stream_gbps;
                double store_gbps = x->store_ns > 0 ? (double)changed / x->store_ns : NAN;
                double paired = bench_median(x->pair[PAIR_MEMCPY], x->n_pair);
                double stream_paired =
                    isnan(line_gbps) ? NAN : bench_median(x->pair[PAIR_STREAM], x->n_pair);
                double store_paired =
                    isnan(line_gbps) ? NAN : bench_median(x->pair[PAIR_STORE], x->n_pair);
                double split_gbps = x->split_ns > 0 ? (double)changed / x->split_ns : NAN;
                double split_paired =
                    isnan(split_gbps) ? NAN : bench_median(x->pair[PAIR_SPLIT], x->n_pair);
                char sb[96] = "";
                if (!isnan(split_gbps))
                    snprintf(sb, sizeof(sb), "; memcpy on 2 threads %.2f GB/s, paired %.2f",
                             split_gbps, split_paired);
                char lb[160] = "";
                if (!isnan(line_gbps))
                    snprintf(lb, sizeof(lb),
                             "; line memcpy %.2f GB/s, ratio %.2f; line stream %.2f GB/s, "
                             "ratio %.2f; stores alone %.2f GB/s",
                             line_gbps, line_ratio, stream_gbps, stream_ratio, store_gbps);
                bench_info("sync_copy %u copier%s %-5s %6s: copy %.1f us (epoch %.1f us), "
                           "%.2f GB/s; memcpy %.2f GB/s; ratio %.2f (paired %.2f)%s%s",
                           copiers, copiers > 1 ? "s" : "", layout_names[lay], cb,
                           x->epoch_ns / 1e3, x->full_ns / 1e3, sync_gbps, memcpy_gbps, ratio,
                           paired, sb, lb);
                struct bench_row row;
                local_row(&row, SEC_SYNC_COPY);
                bench_row_str(&row, C_VARIANT, layout_names[lay]);
                bench_row_u64(&row, C_AREA_BYTES, area);
                bench_row_u64(&row, C_CHANGED_BYTES, changed);
                bench_row_u64(&row, C_THREADS, copiers);
                bench_row_u64(&row, C_REPS, x->reps);
                bench_row_f(&row, C_ISYNC_US, x->full_ns / 1e3, 3);
                bench_row_f(&row, C_EPOCH_US, x->epoch_ns / 1e3, 3);
                bench_row_f(&row, C_SYNC_GBPS, sync_gbps, 3);
                bench_row_f(&row, C_MEMCPY_GBPS, memcpy_gbps, 3);
                bench_row_f(&row, C_RATIO, ratio, 3);
                bench_row_f(&row, C_RATIO_PAIRED, paired, 3);
                if (!isnan(line_gbps)) {
                    bench_row_f(&row, C_LINE_MEMCPY_GBPS, line_gbps, 3);
                    bench_row_f(&row, C_LINE_RATIO, line_ratio, 3);
                    bench_row_f(&row, C_LINE_STREAM_GBPS, stream_gbps, 3);
                    bench_row_f(&row, C_LINE_STREAM_RATIO, stream_ratio, 3);
                    bench_row_f(&row, C_LINE_STREAM_RATIO_PAIRED, stream_paired, 3);
                    bench_row_f(&row, C_LINE_STORE_GBPS, store_gbps, 3);
                    bench_row_f(&row, C_LINE_STORE_RATIO_PAIRED, store_paired, 3);
                }
                if (!isnan(split_gbps)) {
                    bench_row_f(&row, C_MEMCPY_SPLIT_GBPS, split_gbps, 3);
                    bench_row_f(&row, C_MEMCPY_SPLIT_RATIO_PAIRED, split_paired, 3);
                }
                bench_csv_emit(&c->csv, &row);
                if (copiers > 1)
                    continue; /* the targets compare one copier with one memcpy */
                local_target(c, paired, "x", 1, lay == LAYOUT_DENSE ? 0.6 : 0.5,
                             "sync copy vs memcpy, %s %s", layout_names[lay], cb);
                if (isnan(line_gbps))
                    local_target_note(c, "(best rounds: %.2f)", ratio);
                else /* what a per-line copier reaches on this machine */
                    local_target_note(c,
                                      "(best rounds: %.2f; ideal line copiers: memcpy %.2f, "
                                      "streamed %.2f; stores alone %.2f)",
                                      ratio, line_gbps / memcpy_gbps, stream_gbps / memcpy_gbps,
                                      store_gbps / memcpy_gbps);
            }
        }
    }
    for (unsigned k = 0; k < NC; k++)
        for (unsigned s = 0; s < NS; s++)
            for (unsigned lay = LAYOUT_DENSE; lay < NL; lay++) {
                for (unsigned q = 0; q < PAIR_N; q++)
                    free(res[k][s][lay].pair[q]);
            }
    if (ret)
        c->failed = true;
    return ret;
}

/* ---- idle_scan ----------------------------------------------------------------------- */

/* Per-epoch figures of one idle case (ns), from the best round (least beyond-barrier). */
struct idle_res {
    double epoch, barrier, beyond, cycle;
    double scanned; /* bytes of area the epoch scanned (all areas of the node) */
    double ok_per_s, failed_per_s;
    uint64_t ok, failed;
    unsigned reps;
    bool have;
};

static void idle_keep(struct idle_res *best, const struct idle_res *x)
{
    if (!best->have || x->beyond < best->beyond)
        *best = *x;
}

static int idle_driven(struct local_ctx *c, uint64_t size, struct idle_res *best)
{
    unsigned reps = local_reps(c, 1000, 50);
    int ret = -1;
    struct bench_node b;
    if (bench_node_create(&b, &c->node_opts))
        return -1;
    double *ve = alloc_samples(c, reps), *vb = alloc_samples(c, reps),
           *vx = alloc_samples(c, reps), *vc = alloc_samples(c, reps),
           *vs = alloc_samples(c, reps);
    struct tasvir_thread *t = bench_thread(b.node);
    struct tasvir_area *a = t ? bench_area(t, "idle", size, 0) : NULL;
    if (!ve || !vb || !vx || !vc || !vs || !a)
        goto out;
    if (bench_drive_epoch(b.node, t, NULL)) /* warm-up */
        goto out;
    for (unsigned r = 0; r < reps; r++) {
        struct tasvir_stats s0, s1;
        struct bench_epoch_ticks tk;
        tasvir_node_stats(b.node, &s0);
        if (bench_drive_epoch(b.node, t, &tk))
            goto out;
        tasvir_node_stats(b.node, &s1);
        if (s1.epochs_ok != s0.epochs_ok + 1) {
            bench_info("idle_scan: an idle epoch did not publish");
            goto out;
        }
        ve[r] = (double)(s1.epoch_ns - s0.epoch_ns);
        vb[r] = (double)(s1.barrier_ns - s0.barrier_ns);
        vx[r] = ve[r] - vb[r];
        vc[r] = bench_ticks_to_ns(tk.end - tk.begin);
        vs[r] = (double)(s1.bytes_scanned - s0.bytes_scanned);
    }
    struct idle_res x = {
        .epoch = bench_median(ve, reps),
        .barrier = bench_median(vb, reps),
        .beyond = bench_median(vx, reps),
        .cycle = bench_median(vc, reps),
        .scanned = bench_median(vs, reps),
        .ok_per_s = NAN,
        .failed_per_s = NAN,
        .ok = reps,
        .reps = reps,
        .have = true,
    };
    idle_keep(best, &x);
    ret = 0;
out:
    free(ve);
    free(vb);
    free(vx);
    free(vc);
    free(vs);
    bench_node_destroy(&b);
    return ret;
}

struct idle_job {
    struct tasvir_node *node;
    uint64_t size, dur_ms;
    int cpu;
    int rc;
    struct tasvir_stats s0, s1;
    uint64_t elapsed_ns;
};

static void *idle_worker(void *arg)
{
    struct idle_job *j = arg;
    bench_pin_self(j->cpu);
    j->rc = -1;
    struct tasvir_thread *t = bench_thread(j->node);
    struct tasvir_area *a = t ? bench_area(t, "idle", j->size, 1000) : NULL;
    if (!a)
        return NULL;
    uint64_t warm = bench_ticks() + bench_ns_to_ticks(20e6);
    while (bench_ticks() < warm)
        if (tasvir_service(t) < 0)
            bench_cpu_relax();
    tasvir_node_stats(j->node, &j->s0);
    uint64_t n0 = bench_mono_ns();
    uint64_t end = bench_ticks() + bench_ns_to_ticks((double)j->dur_ms * 1e6);
    while (bench_ticks() < end)
        if (tasvir_service(t) < 0)
            bench_cpu_relax();
    j->elapsed_ns = bench_mono_ns() - n0;
    tasvir_node_stats(j->node, &j->s1);
    tasvir_thread_deactivate(t);
    j->rc = 0;
    return NULL;
}

static int idle_threaded(struct local_ctx *c, uint64_t size, struct idle_res *best)
{
    struct bench_node b;
    if (bench_node_create(&b, &c->node_opts))
        return -1;
    struct idle_job j = {.node = b.node, .size = size, .dur_ms = c->o.duration_ms,
                         .cpu = c->cpu_worker, .rc = -1};
    struct bench_engine e = {0};
    bool alone = c->cpu_engine >= 0 && c->cpu_engine == c->cpu_worker;
    pthread_t tid;
    if (bench_engine_start(&e, &b, c->cpu_engine, alone) == 0) {
        if (pthread_create(&tid, NULL, idle_worker, &j) == 0)
            pthread_join(tid, NULL);
        bench_engine_stop(&e);
    }
    bench_node_destroy(&b);
    if (j.rc)
        return -1;
    uint64_t ok = j.s1.epochs_ok - j.s0.epochs_ok, failed = j.s1.epochs_failed - j.s0.epochs_failed;
    double secs = (double)j.elapsed_ns / 1e9;
    struct idle_res x = {
        .epoch = ok ? (double)(j.s1.epoch_ns - j.s0.epoch_ns) / ok : NAN,
        .barrier = ok ? (double)(j.s1.barrier_ns - j.s0.barrier_ns) / ok : NAN,
        .cycle = NAN,
        .scanned = ok ? (double)(j.s1.bytes_scanned - j.s0.bytes_scanned) / ok : NAN,
        .ok_per_s = ok / secs,
        .failed_per_s = failed / secs,
        .ok = ok,
        .failed = failed,
        .reps = (unsigned)ok,
        .have = true,
    };
    x.beyond = x.epoch - x.barrier;
    if (ok)
        idle_keep(best, &x);
    return 0;
}

int local_idle_scan(struct local_ctx *c)
{
    enum { NV = 2 };
    static const char *const variants[NV] = {"driven", "threaded"};
    struct idle_res res[LOCAL_MAX_LIST][NV];
    memset(res, 0, sizeof(res));
    int ret = 0;
    for (unsigned r = 0; r < c->o.rounds && !ret; r++) {
        bench_pin_self(c->cpu_worker);
        for (unsigned s = 0; s < c->o.nsizes && !ret; s++)
            if (idle_driven(c, c->o.sizes[s], &res[s][0]))
                ret = -1;
        bench_unpin_self();
        for (unsigned s = 0; s < c->o.nsizes && !ret; s++)
            if (idle_threaded(c, c->o.sizes[s], &res[s][1]))
                ret = -1;
    }
    if (ret) {
        c->failed = true;
        return ret;
    }
    for (unsigned v = 0; v < NV; v++) {
        for (unsigned s = 0; s < c->o.nsizes; s++) {
            const struct idle_res *x = &res[s][v];
            if (!x->have)
                continue;
            uint64_t size = c->o.sizes[s];
            double gbps = x->beyond > 0 ? x->scanned / x->beyond : NAN;
            char sb[32];
            bench_fmt_bytes(size, sb, sizeof(sb));
            bench_info("idle_scan %-8s %6s: epoch %.3f us, barrier %.3f us, beyond %.3f us, "
                       "scan %.1f GB/s",
                       variants[v], sb, x->epoch / 1e3, x->barrier / 1e3, x->beyond / 1e3, gbps);
            struct bench_row row;
            local_row(&row, SEC_IDLE_SCAN);
            bench_row_str(&row, C_VARIANT, variants[v]);
            bench_row_u64(&row, C_AREA_BYTES, size);
            if (v == 1)
                bench_row_u64(&row, C_SYNC_INT_US, 1000);
            bench_row_u64(&row, C_CHANGED_BYTES, 0);
            bench_row_u64(&row, C_THREADS, 1);
            bench_row_u64(&row, C_REPS, x->reps);
            bench_row_f(&row, C_ISYNC_US, x->epoch / 1e3, 3);
            bench_row_f(&row, C_ISYNC_BARRIER_US, x->barrier / 1e3, 3);
            bench_row_f(&row, C_IDLE_BEYOND_US, x->beyond / 1e3, 3);
            bench_row_f(&row, C_SCAN_GBPS, gbps, 1);
            bench_row_f(&row, C_EPOCH_US, x->cycle / 1e3, 3);
            if (v == 1) {
                bench_row_f(&row, C_EPOCHS_OK_PER_S, x->ok_per_s, 1);
                bench_row_f(&row, C_EPOCHS_FAILED_PER_S, x->failed_per_s, 1);
                bench_row_f(&row, C_SYNCS_REQ_PER_S, 1000.0, 1);
                bench_row_u64(&row, C_EPOCHS_OK, x->ok);
                bench_row_u64(&row, C_EPOCHS_FAILED, x->failed);
            }
            bench_csv_emit(&c->csv, &row);
            local_target(c, x->beyond / 1e3, "us", -1, 2, "idle epoch beyond barrier, %s %s",
                         variants[v], sb);
            local_target(c, gbps, "GB/s", 1, 20, "idle scan rate, %s %s", variants[v], sb);
        }
    }
    return 0;
}

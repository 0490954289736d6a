/*
 * isync.c — internal synchronization epochs on one node.
 *
 * An epoch goes IDLE/DONE/ABORT -> CHECKIN -> COPY -> DONE, or CHECKIN -> ABORT:
 *
 *  start     (engine, under node->lock) picks the areas whose internal interval is due,
 *            cuts them into chunks, marks every active, non-excluded thread as counted
 *            for the new seq, then publishes ctl = (seq, 0, CHECKIN) with a release store.
 *  arrive    (each counted thread, in tasvir_service) CASes the arrived count up; the CAS
 *            that makes arrived == expected also switches the phase to COPY, so the last
 *            thread to arrive can start copying at once without waiting for the engine.
 *  copy      (every arrived thread and the engine) grab chunks with a CAS, taking the
 *            chunks after the one grabbed along while their summaries show little work
 *            (claim_span); the list starts with the owner threads' areas of one chunk,
 *            which the engine leaves to their owners for a moment (leave_to_owner);
 *            each chunk scans its dirty-log words, copies runs of dirty lines
 *            writer -> reader and clears their bytes, or, in a large area of another
 *            thread, leaves the clears to that owner (owner_clears), which does them
 *            before it writes or arrives again.  The copier finishing the last
 *            chunk finalizes: bumps versions of changed areas, stamps publish time,
 *            stores ctl = (seq, n, DONE).
 *  abort     (engine) if the window expires in CHECKIN, one CAS to ABORT; nothing was
 *            copied, the dirty log is untouched, the epoch is retried after retry_ns.
 *            Counted threads that did not show up accumulate misses; at
 *            exclude_after_misses they are excluded (and their areas frozen).
 *
 * The cost of an epoch is proportional to the summary of the dirty log (a byte per 32 KiB
 * of area), the log words of the groups it marks (a byte per line, read 64 lines at a
 * time as one mask) and the dirty lines copied.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Copy one 64-byte line; a fixed-size memcpy the compiler turns into vector moves. */
static inline void copy_line(uint8_t *dst, const uint8_t *src)
{
    memcpy(dst, src, TASVIR_LINE_BYTES);
}

/* Copy one 64-byte line with non-temporal stores where the ISA has them: the whole line is
 * written, so the reader copy's line need not be read first (no read-for-ownership), and
 * it does not displace the writer's lines from the cache.  Callers end with
 * stream_fence() before publishing. */
static inline void stream_line(uint8_t *dst, const uint8_t *src)
{
#if defined(__SSE2__)
    const __m128i *s = (const __m128i *)(const void *)src;
    __m128i *d = (__m128i *)(void *)dst;
    __m128i a = _mm_load_si128(s), b = _mm_load_si128(s + 1), c = _mm_load_si128(s + 2),
            e = _mm_load_si128(s + 3);
    _mm_stream_si128(d, a);
    _mm_stream_si128(d + 1, b);
    _mm_stream_si128(d + 2, c);
    _mm_stream_si128(d + 3, e);
#else
    copy_line(dst, src);
#endif
}

/* How the copy stores lines into the reader copy: plain moves, non-temporal 16-byte ones,
 * or (copy_words_wide_* only: the CPU has AVX-512F) one non-temporal 64-byte move. */
enum copy_store { STORE_PLAIN = 0, STORE_STREAM = 1, STORE_STREAM_WIDE = 2 };

/* stream_line with one 64-byte move.  An asm, because it is inlined into code compiled
 * both for the baseline ISA, which has no 64-byte vector type, and for AVX-512F
 * (copy_words_wide_*), the only code that reaches it.  The wide clone's compiled copies
 * (copy_line) need no such help.  sync_copy, 8 alternating runs against 16-byte
 * non-temporal stores: dense 16 MiB 0.82 -> 0.95 of memcpy, alt 16 MiB 0.43 -> 0.46, rnd
 * 1 MiB 0.36 -> 0.41. */
static inline __attribute__((always_inline)) void stream_line_as(uint8_t *dst, const uint8_t *src,
                                                                  enum copy_store how)
{
#if TASVIR__HAVE_WIDE_COPY
    if (how == STORE_STREAM_WIDE) {
        __asm__("vmovdqa64 %1, %%zmm0\n\tvmovntdq %%zmm0, %0"
                : "=m"(*(uint8_t(*)[64])(void *)dst)
                : "m"(*(const uint8_t(*)[64])(const void *)src)
                : "xmm0");
        return;
    }
#else
    (void)how;
#endif
    stream_line(dst, src);
}

static inline void stream_fence(void)
{
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

/* Store one line into the reader copy as `how` says. */
static inline __attribute__((always_inline)) void put_line(uint8_t *dst, const uint8_t *src,
                                                           enum copy_store how)
{
    if (how != STORE_PLAIN)
        stream_line_as(dst, src, how);
    else
        copy_line(dst, src);
}

/* Prefetch the writer's line at off, and with `rfo` the reader's for writing (a plain
 * store reads it for ownership first). */
static inline __attribute__((always_inline)) void prefetch_line(uint8_t *dst, const uint8_t *src,
                                                                uint64_t off, bool rfo)
{
    __builtin_prefetch(src + off, 0, 3);
    if (rfo)
        __builtin_prefetch(dst + off, 1, 3);
}

/* Copy one line if its bytes differ between the copies.  Returns whether it did.  With
 * `wide` (reached only from copy_words_wide_kept: the sticky words of areas of 1 MiB up
 * to 4 MiB), the compare is one 64-byte load and one compare with the reader's line, an
 * asm for the reason given at stream_line_as; the compiler makes the copy one 64-byte move
 * there.  Against the four 16-byte loads, compares and stores of each copy (2026-12-01,
 * with the kept words' function apart, copy_words_wide_kept, and the loops aligned, see
 * runtime/CMakeLists.txt): sync_copy dense 512 KiB (a 1 MiB area) 1.27 times as fast and
 * dense 1 MiB (2 MiB) 1.14 (10 of 10 alternating pairs faster each; 0.772 -> 0.844 of
 * memcpy in 8 more), the other cells as fast or faster; RND_W100 at 1 ms,
 * isync_us_per_call 40.5 -> 38.0 us at 1 MiB (6 runs). */
static inline __attribute__((always_inline)) bool copy_line_if_changed(uint8_t *dst,
                                                                        const uint8_t *src,
                                                                        const bool wide)
{
#if TASVIR__HAVE_WIDE_COPY
    if (wide) {
        unsigned differ;
        __asm__("vmovdqa64 %[s], %%zmm0\n\t"
                "vpcmpq $4, %[d], %%zmm0, %%k1\n\t"
                "kmovw %%k1, %[m]"
                : [m] "=r"(differ)
                : [s] "m"(*(const uint8_t(*)[64])(const void *)src),
                  [d] "m"(*(const uint8_t(*)[64])(void *)dst)
                : "xmm0", "k1");
        if (!differ)
            return false;
        copy_line(dst, src);
        return true;
    }
#else
    (void)wide;
#endif
#if defined(__SSE2__)
    const __m128i *s = (const __m128i *)(const void *)src;
    __m128i *d = (__m128i *)(void *)dst;
    __m128i a = _mm_load_si128(s), b = _mm_load_si128(s + 1), c = _mm_load_si128(s + 2),
            e = _mm_load_si128(s + 3);
    __m128i x = _mm_or_si128(_mm_or_si128(_mm_xor_si128(a, _mm_load_si128(d)),
                                          _mm_xor_si128(b, _mm_load_si128(d + 1))),
                             _mm_or_si128(_mm_xor_si128(c, _mm_load_si128(d + 2)),
                                          _mm_xor_si128(e, _mm_load_si128(d + 3))));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) == 0xffff)
        return false;
    _mm_store_si128(d, a);
    _mm_store_si128(d + 1, b);
    _mm_store_si128(d + 2, c);
    _mm_store_si128(d + 3, e);
    return true;
#else
    if (memcmp(dst, src, TASVIR_LINE_BYTES) == 0)
        return false;
    copy_line(dst, src);
    return true;
#endif
}

/* The lines of bits x (the word's first line at byte offset base) whose bytes changed,
 * copied; returns their bits. */
static inline __attribute__((always_inline)) uint64_t
copy_word_changed(uint8_t *dst, const uint8_t *src, uint64_t base, uint64_t x, const bool wide)
{
    uint64_t changed = 0;
    for (uint64_t b = x; b; b &= b - 1) {
        unsigned i = (unsigned)__builtin_ctzll(b);
        uint64_t off = base + ((uint64_t)i << TASVIR__LINE_SHIFT);
        if (copy_line_if_changed(dst + off, src + off, wide))
            changed |= (uint64_t)1 << i;
    }
    return changed;
}

/* Copy the lines of one log word's mask x (the word's first line at byte offset base):
 * isolated lines (every line of a sparse word) one at a time, runs of consecutive lines
 * with one memcpy each; with
 * `stream`, every line with non-temporal stores.  Returns the number of lines. */
#define SHORT_RUN_LINES 8u
static inline __attribute__((always_inline)) uint64_t
copy_word_lines(uint8_t *dst, const uint8_t *src, uint64_t base, uint64_t x,
                enum copy_store stream)
{
    uint64_t lines = 0; /* counted here: baseline x86-64 has no popcnt instruction */
    /* Lines copied one at a time: the isolated ones (no set neighbour on either side) or,
     * in a word with no run of 4 lines (scattered writes), all of them, so that the word
     * needs one loop instead of two: each loop's exit costs a mispredicted branch per word
     * (sync_copy rnd 64 KiB: 0.279 -> 0.290 of memcpy, alt 0.437 -> 0.444, medians of 4
     * alternating runs; in streamed areas the same within the noise: rnd 1 MiB 0.335 ->
     * 0.338, 16 MiB 0.161 -> 0.170, 6 runs). */
    bool sparse = (x & (x >> 1) & (x >> 2) & (x >> 3)) == 0;
    uint64_t single = sparse ? x : x & ~(x << 1) & ~(x >> 1);
    /* the word's first line in each copy, kept opaque so that the compiler does not fold
     * the base back into every line's address (an add per line) */
    uint8_t *wdst = dst + base;
    const uint8_t *wsrc = src + base;
    __asm__("" : "+r"(wdst), "+r"(wsrc));
    for (uint64_t b = single; b; b &= b - 1) {
        uint64_t off = (uint64_t)__builtin_ctzll(b) << TASVIR__LINE_SHIFT;
        put_line(wdst + off, wsrc + off, stream);
        lines++;
    }
    for (x &= ~single; x;) {
        unsigned tz = (unsigned)__builtin_ctzll(x);
        uint64_t rest = x >> tz;
        /* rest != all-ones unless the run reaches bit 63 */
        unsigned run = rest == ~(uint64_t)0 >> tz ? 64 - tz : (unsigned)__builtin_ctzll(~rest);
        uint64_t off = base + ((uint64_t)tz << TASVIR__LINE_SHIFT);
        if (stream != STORE_PLAIN)
            for (unsigned i = 0; i < run; i++)
                stream_line_as(dst + off + i * TASVIR_LINE_BYTES,
                               src + off + i * TASVIR_LINE_BYTES, stream);
        else if (run <= SHORT_RUN_LINES) /* inline moves: cheaper than a call to memcpy */
            for (unsigned i = 0; i < run; i++)
                copy_line(dst + off + i * TASVIR_LINE_BYTES, src + off + i * TASVIR_LINE_BYTES);
        else
            memcpy(dst + off, src + off, (size_t)run * TASVIR_LINE_BYTES);
        lines += run;
        x = run + tz >= 64 ? 0 : x & ~((((uint64_t)1 << run) - 1) << tz);
    }
    return lines;
}

/* Prefetch lines of a log word's dirty lines x: the isolated ones (the hardware
 * prefetcher follows runs), and with `deep` every line of a sparse word.  When the copy will
 * not stream, the reader copy's lines are prefetched for writing as well, so their
 * read-for-ownership overlaps too.  Returns the word's number of dirty lines with `deep`
 * (which counts them), else 0.  (Prefetching the first line of each run too made the dense
 * 16 MiB copy about 15% slower.) */
#define PREFETCH_ALL_MAX 16
static inline __attribute__((always_inline)) unsigned
prefetch_word_lines(uint8_t *dst, const uint8_t *src, uint64_t base, uint64_t x, bool stream,
                    bool deep)
{
    unsigned n = deep ? (unsigned)__builtin_popcountll(x) : 0;
    uint64_t b = deep && n <= PREFETCH_ALL_MAX ? x : x & ~(x << 1) & ~(x >> 1);
    for (; b; b &= b - 1) {
        prefetch_line(dst, src, base + ((uint64_t)__builtin_ctzll(b) << TASVIR__LINE_SHIFT),
                      !stream);
    }
    return n;
}

/* Scattered lines, in the AVX-512 copy: the dirty lines of the log words with at most
 * FLAT_MAX of them are listed (line numbers from the chunk's first line) until FLAT_BLOCK
 * are, and then copied in one loop, each line prefetched `dist` lines ahead of its copy.
 * Listing a word takes the same few instructions whatever it holds (one vpcompressd per
 * 16 lines of the word), and the copy loop runs over many words' lines, so neither ends
 * in a mispredicted branch per word, as a loop over each word's few lines does; the
 * prefetches run a fixed number of lines ahead whatever the density; and while the copy
 * loop runs, the core's loads are all line copies, with no scan between them, so more of
 * the lines are in flight at once.  Against copying each batch of 64 listed lines as soon
 * as dist more were listed, in a 128 MiB area: sync_copy rnd 16 MiB 0.578 -> 0.726 of the
 * streamed ideal copier (tasvir-bench line_stream_gbps), 0.254 -> 0.336 of memcpy; alt 16
 * MiB (a 32 MiB area) 0.694 -> 0.737 (6 alternating runs); blocks of 1024 to 32768 lines
 * did about as well (4 runs each), and 2048 lines keep the list at 8 KiB of stack.  A
 * block's last dist lines, prefetched by then, are copied with the next block (flat_copy),
 * so that the copy does not wait for memory at each block's start: sync_copy rnd 1 MiB
 * 1.05 times as fast (median of 16 alternating pairs, 13 of them faster), 16 MiB the same.
 * A block of strided lines (16 or more a word) is copied in four interleaved streams
 * (flat_copy_streams).
 * Only streamed areas (STREAM_MIN_BYTES) list their lines: listing the cached lines of
 * smaller areas was slower than the word loop (sync_copy rnd 64 KiB 0.49 -> 0.30, 4 runs;
 * again with copy_words_wide_cached aligned and no prefetches, 0.50 -> 0.32, 6 runs).
 * Areas below DEEP_MIN_BYTES store the listed lines with plain moves, the reader's line
 * prefetched for writing: its lines are often in the last-level cache, and the copy need
 * not wait for the memory as streamed stores do (sync_copy rnd 1 MiB, an 8 MiB area:
 * 0.42 -> 0.58 of memcpy; RND_W100 at 1 ms unchanged within the noise at 8 and 16 MiB,
 * 447 -> 444 % and 134.6 -> 129.3 %; RND_W12R88 16 MiB 41.7 -> 33.0 %; 4-6 alternating
 * runs).  Larger areas stream them: there a plain store first reads the
 * reader's line from memory (sync_copy alt 16 MiB, a 32 MiB area: 0.556 -> 0.506 with
 * plain stores). */
#define FLAT_MAX 32u
#define FLAT_BLOCK 2048u
#define FLAT_DIST_STREAM 64u /* lines prefetched ahead: areas of 4-32 MiB */
#define FLAT_DIST_DEEP 128u  /* and larger */

struct flat_list {
    uint32_t line[FLAT_BLOCK + 64]; /* a push writes 64 entries from n, which is < FLAT_BLOCK */
    unsigned n;
    unsigned ahead; /* the first `ahead` lines are prefetched (kept from the block before) */
    unsigned kept;  /* lines kept from the block before */
    unsigned words; /* words listed since */
};

#if TASVIR__HAVE_WIDE_COPY
/* The line numbers of a word, as 32-bit lanes (flat_push) and as bytes (flat_push_vbmi2). */
#define FLAT_IOTA                                                                             \
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, \
        25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,   \
        46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
static const uint32_t flat_iota[64] __attribute__((aligned(64))) = {FLAT_IOTA};
static const uint8_t flat_iota8[64] __attribute__((aligned(64))) = {FLAT_IOTA};
#endif

/* flat_push with AVX-512 VBMI2: one byte compress packs the numbers of the set bits of x
 * (at most FLAT_MAX = 32 of them), widened to 32 bits 16 at a time, so a word takes one
 * compress and one or two 64-byte stores of the list instead of four of each.  Reached
 * only from copy_words_wide_streamed_vbmi2 (the asm, as at stream_line_as). */
static inline __attribute__((always_inline)) unsigned flat_push_vbmi2(struct flat_list *q,
                                                                     uint32_t line0,
                                                                     uint64_t x)
{
    uint32_t *o = q->line + q->n;
    unsigned n = (unsigned)__builtin_popcountll(x);
#if TASVIR__HAVE_WIDE_COPY
    /* the second 16 numbers only when there are more than 16 (rare in scattered words,
     * always in every-other-line ones: the branch is predictable) */
    __asm__("kmovq %[m], %%k1\n\t"
            "vmovdqu8 %[iota], %%zmm3\n\t"
            "vpcompressb %%zmm3, %%zmm0%{%%k1%}%{z%}\n\t"
            "vpbroadcastd %k[l0], %%zmm2\n\t"
            "vpmovzxbd %%xmm0, %%zmm1\n\t"
            "vpaddd %%zmm2, %%zmm1, %%zmm1\n\t"
            "vmovdqu32 %%zmm1, (%[o])\n\t"
            "cmp $16, %[n]\n\t"
            "jbe 1f\n\t"
            "vextracti32x4 $1, %%zmm0, %%xmm1\n\t"
            "vpmovzxbd %%xmm1, %%zmm1\n\t"
            "vpaddd %%zmm2, %%zmm1, %%zmm1\n\t"
            "vmovdqu32 %%zmm1, 64(%[o])\n"
            "1:"
            : "=m"(*(uint32_t(*)[32])(void *)o)
            : [m] "r"(x), [l0] "r"(line0), [iota] "m"(flat_iota8), [o] "r"(o), [n] "r"(n)
            : "xmm0", "xmm1", "xmm2", "xmm3", "k1", "cc");
#else
    (void)line0;
    (void)o;
#endif
    q->n += n;
    return n;
}

/* List the dirty lines x of the log word whose first line is line0; returns their number.
 * An asm, for the reason given at stream_line_as; reached only from copy_words_wide_streamed
 * (and with `vbmi2` from copy_words_wide_streamed_vbmi2, as flat_push_vbmi2). */
static inline __attribute__((always_inline)) unsigned flat_push(struct flat_list *q,
                                                               uint32_t line0, uint64_t x,
                                                               const bool vbmi2)
{
    if (vbmi2)
        return flat_push_vbmi2(q, line0, x);
    uint32_t *o = q->line + q->n;
    unsigned n0 = (unsigned)__builtin_popcountll(x & 0xffff);
    unsigned n1 = n0 + (unsigned)__builtin_popcountll(x & 0xffff0000u);
    unsigned n2 = n1 + (unsigned)__builtin_popcountll(x & 0xffff00000000ull);
    unsigned n = (unsigned)__builtin_popcountll(x); /* as the caller's test: computed once */
#if TASVIR__HAVE_WIDE_COPY
    /* per 16 bits of x: the line numbers of the set bits, packed, stored at o + n_k */
    uint64_t m = x;
    __asm__("vpbroadcastd %k[l0], %%zmm2\n\t"
            "kmovw %k[m], %%k1\n\t"
            "shr $16, %[m]\n\t"
            "vpaddd %[iota], %%zmm2, %%zmm0\n\t"
            "vpcompressd %%zmm0, %%zmm1%{%%k1%}%{z%}\n\t"
            "vmovdqu32 %%zmm1, (%[o])\n\t"
            "kmovw %k[m], %%k1\n\t"
            "shr $16, %[m]\n\t"
            "vpaddd 64+%[iota], %%zmm2, %%zmm0\n\t"
            "vpcompressd %%zmm0, %%zmm1%{%%k1%}%{z%}\n\t"
            "vmovdqu32 %%zmm1, (%[o],%q[n0],4)\n\t"
            "kmovw %k[m], %%k1\n\t"
            "shr $16, %[m]\n\t"
            "vpaddd 128+%[iota], %%zmm2, %%zmm0\n\t"
            "vpcompressd %%zmm0, %%zmm1%{%%k1%}%{z%}\n\t"
            "vmovdqu32 %%zmm1, (%[o],%q[n1],4)\n\t"
            "kmovw %k[m], %%k1\n\t"
            "vpaddd 192+%[iota], %%zmm2, %%zmm0\n\t"
            "vpcompressd %%zmm0, %%zmm1%{%%k1%}%{z%}\n\t"
            "vmovdqu32 %%zmm1, (%[o],%q[n2],4)"
            : [m] "+r"(m), "=m"(*(uint32_t(*)[64])(void *)o)
            : [l0] "r"(line0), [iota] "m"(flat_iota), [o] "r"(o), [n0] "r"((uint64_t)n0),
              [n1] "r"((uint64_t)n1), [n2] "r"((uint64_t)n2)
            : "xmm0", "xmm1", "xmm2", "k1");
#else
    (void)line0; /* not reached: only STORE_STREAM_WIDE copies list lines */
    (void)o;
#endif
    q->n += n;
    return n;
}

static inline __attribute__((always_inline)) void flat_prefetch(uint8_t *dst, const uint8_t *src,
                                                                const struct flat_list *q,
                                                                unsigned i, enum copy_store how)
{
    prefetch_line(dst, src, (uint64_t)q->line[i] << TASVIR__LINE_SHIFT, how == STORE_PLAIN);
}

static inline __attribute__((always_inline)) void flat_line(uint8_t *dst, const uint8_t *src,
                                                            const struct flat_list *q, unsigned i,
                                                            enum copy_store how)
{
    uint64_t off = (uint64_t)q->line[i] << TASVIR__LINE_SHIFT;
    put_line(dst + off, src + off, how);
}

/* Copy the listed lines into the reader copy with stores `how`, each prefetched dist
 * lines ahead (dst and src: the copies' bytes at the chunk's first line).  The first
 * q->ahead lines were prefetched already (by the block before).  With `last`, all lines
 * are copied and the list emptied; otherwise the last dist lines, prefetched by now, are
 * kept at the front of the list for the next block, so that the copy does not wait for
 * memory at every block's start. */
static inline __attribute__((always_inline)) void flat_copy_one(uint8_t *dst, const uint8_t *src,
                                                                struct flat_list *q,
                                                                const unsigned dist,
                                                                enum copy_store how, bool last)
{
    unsigned n = q->n, i = 0;
    for (unsigned k = q->ahead; k < dist && k < n; k++)
        flat_prefetch(dst, src, q, k, how);
    for (; i + dist < n; i++) {
        flat_prefetch(dst, src, q, i + dist, how);
        flat_line(dst, src, q, i, how);
    }
    if (!last) {
        memmove(q->line, q->line + i, (size_t)(n - i) * sizeof(q->line[0]));
        q->n = q->ahead = n - i;
        return;
    }
    for (; i < n; i++)
        flat_line(dst, src, q, i, how);
    q->n = q->ahead = 0;
}

/* flat_copy_one in FLAT_STREAMS interleaved streams: the m lines copied now are cut into
 * segments of seg lines, and the copy takes the j-th line of each segment in turn, each
 * segment's lines prefetched dist/FLAT_STREAMS ahead within it; the lines after m are kept
 * for the next block, as there, the first q->ahead of them prefetched.
 *
 * flat_copy copies a block this way when its listed words average at least
 * FLAT_STREAM_LINES lines (strided writes: every other line, every fourth).  In address
 * order, every other line of a 32 MiB region took over twice as long a line to store as
 * four regions' lines in turn (non-temporal stores alone, a stand-alone program: 11.2
 * against 4.3 TSC ticks a line; copied, 12.8 against 8.1), likely because the lines of one
 * parity fall on fewer of the memory's channels or banks (the VM does not tell its
 * memory's mapping).  sync_copy alt 16 MiB (a 32 MiB area), two sets of 8 alternating
 * runs (2026-12-01 03:13-03:20 UTC): 0.635 -> 0.773 and 0.688 -> 0.794 of memcpy, 1.23
 * and 1.15 times as fast, faster in all 16 pairs; the other cells the same within the
 * noise, and RND_W100, RND_W12R88 and SEQ_W100 at 32 MiB and 1 ms within their ranges (6
 * runs).  In areas of 4-32 MiB, whose listed lines are stored with plain moves, a test
 * build with cells of 4 and 8 MiB changed (8 and 16 MiB areas) gave every other line
 * 0.479 -> 0.561 and 0.500 -> 0.614 of memcpy, 1.21 times as fast each, faster in 8 of 8
 * pairs each.  Random lines keep the address
 * order, although the stand-alone program copied them faster in streams too: in the sync,
 * streams made rnd 16 MiB (about 8 lines a word) 0.84 times as fast (0 of 8 pairs faster),
 * and random lines at half density (32 a word, a test build) 0.995 times (3 of 8)
 * (docs/benchmarks.md, 2026-12-01 02:47). */
#define FLAT_STREAMS 4u
#define FLAT_STREAM_LINES 16u
static inline __attribute__((always_inline)) void
flat_copy_streams(uint8_t *dst, const uint8_t *src, struct flat_list *q, const unsigned dist,
                  enum copy_store how, bool last)
{
    const unsigned n = q->n, m = last ? n : n - dist;
    const unsigned seg = m / FLAT_STREAMS, ds = dist / FLAT_STREAMS; /* seg > ds */
    for (unsigned k = 0; k < FLAT_STREAMS; k++)
        for (unsigned j = k ? 0 : q->ahead; j < ds; j++)
            flat_prefetch(dst, src, q, k * seg + j, how);
    unsigned j = 0;
    for (; j + ds < seg; j++) {
        for (unsigned k = 0; k < FLAT_STREAMS; k++)
            flat_prefetch(dst, src, q, k * seg + j + ds, how);
        for (unsigned k = 0; k < FLAT_STREAMS; k++)
            flat_line(dst, src, q, k * seg + j, how);
    }
    /* the last segment's prefetches run on into the lines kept */
    const unsigned pf_end = FLAT_STREAMS * seg + ds < n ? FLAT_STREAMS * seg + ds : n;
    for (; j < seg; j++) {
        if ((FLAT_STREAMS - 1) * seg + j + ds < pf_end)
            flat_prefetch(dst, src, q, (FLAT_STREAMS - 1) * seg + j + ds, how);
        for (unsigned k = 0; k < FLAT_STREAMS; k++)
            flat_line(dst, src, q, k * seg + j, how);
    }
    for (unsigned e = FLAT_STREAMS * seg; e < m; e++) /* fewer than FLAT_STREAMS */
        flat_line(dst, src, q, e, how);
    memmove(q->line, q->line + m, (size_t)(n - m) * sizeof(q->line[0]));
    q->n = n - m;
    q->ahead = pf_end > m ? pf_end - m : 0;
}

/* Copy the listed lines (flat_copy_one, or flat_copy_streams for a block of strided
 * lines). */
static inline __attribute__((always_inline)) void flat_copy(uint8_t *dst, const uint8_t *src,
                                                            struct flat_list *q,
                                                            const unsigned dist,
                                                            enum copy_store how, bool last)
{
    unsigned m = last ? q->n : q->n - dist;
    if (q->n - q->kept >= FLAT_STREAM_LINES * q->words &&
        m / FLAT_STREAMS > dist / FLAT_STREAMS)
        flat_copy_streams(dst, src, q, dist, how, last);
    else
        flat_copy_one(dst, src, q, dist, how, last);
    q->kept = q->n;
    q->words = 0;
}

/* Copy the dirty lines of log words [wb, we) of area a and clear them (wb is a multiple
 * of 64 groups: chunks own whole summary blocks).  Returns the number of dirty lines found.
 * The scan visits only the groups of 8 words (512 lines) whose summary byte is set, so an
 * idle area costs one 64-byte summary block per 4096 log words (16 MiB of area).
 *
 * Areas of at least STREAM_MIN_BYTES (the two copies of such an area fill a last-level
 * cache, so their scattered lines miss) are copied behind the scan: a word's lines are
 * prefetched when the scan finds it and the word is copied AHEAD_MIN_WORDS dirty words
 * later, so the cache misses overlap with the copying instead of queuing behind it.  Areas
 * of at least DEEP_MIN_BYTES (scattered lines come from DRAM) prefetch more lines and keep
 * at least AHEAD_LINES of them in flight, whatever the density (sync_copy rnd 16 MiB, a
 * 128 MiB area, interleaved runs: 0.30-0.42 -> 0.50-0.62 of memcpy; doing the same in
 * smaller areas, whose lines are in L3, made rnd 1 MiB and dense copies slower).  Smaller
 * areas are copied in one pass: their lines are in the caches and the extra pass costs
 * more than it hides.  (Areas of 1-4 MiB were copied behind the scan too until the test
 * machine moved to a CPU with a 1 MiB L2 and 4-8 MiB of L3: the one pass is faster there,
 * sync_copy alt 1 MiB (a 2 MiB area) 0.567 -> 0.711 of memcpy, the other cells and RND_W100
 * and SEQ_W100 at 1 and 2 MiB unchanged within the noise, medians of 6 alternating runs,
 * 2026-11-30 15:26 UTC.)
 *
 * The AVX-512 copy lists the lines of the scattered words instead (flat_push, above) and
 * keeps the ring for words of more than FLAT_MAX lines.
 *
 * Areas of at least STREAM_MIN_BYTES are written to the reader copy with non-temporal
 * stores: no read of the reader line first (scattered lines: sync_copy rnd 16 MiB about
 * 1.3x faster, alt 1.7x), and the copy does not push the writer's lines out of the owner's
 * cache.  Smaller areas keep the reader copy in the caches, where the node's readers find
 * it after the epoch (and a dense copy of cached lines is faster with plain stores:
 * sync_copy dense 1 MiB 0.88 of memcpy against 0.58-0.70 streamed). */
#define STREAM_MIN_BYTES (4ull << 20)
#define DEEP_MIN_BYTES (32ull << 20)
#define AHEAD_LINES 128u
#define AHEAD_MIN_WORDS 4u
#define AHEAD_RING 32u /* power of two */
/* Dense words are left set.  Every epoch clears the bits it copies, so an owner that
 * rewrites most of an area within an interval then takes the bit-setting branch of
 * tasvir_log for most of its writes, and that branch cannot be predicted while the log
 * refills in random order (tasvir-bench log_cost line_half: 5.7 ns a call against 1.25
 * with the line marked).  So a log word of a thread-owned area of STICKY_MIN_BYTES to
 * STICKY_MAX_BYTES in which at least STICKY_MIN_LINES of the 64 lines were dirty is left
 * set ("sticky"): the owner's next writes to those lines find them marked, and the next
 * epoch copies the lines of the word whose bytes differ from the reader copy (reading the
 * reader's line, which a plain copy reads for ownership anyway).  A sticky word with fewer
 * changed lines than that is cleared again, so an area that goes idle costs one compare of
 * its sticky lines.  Versions and the external sync's diff logs count the lines that
 * differ: a line logged but rewritten with the same bytes is no change in a sticky word.
 * Why these bounds (interleaved runs against the plain copy):
 *  - below 1 MiB a refill costs the owner little (1024 lines of 64 KiB: microseconds) and
 *    the compare would cost the copy (sync_copy dense 64 KiB 0.80-0.84 -> 0.64-0.73);
 *  - above 4 MiB the two copies leave the caches, the compare reads the reader copy from
 *    memory instead of streaming into it, and a sequential rewrite (whose refill is
 *    predictable, so costs nothing) pays for it: SEQ_W100 16 MiB at 1 ms overhead_full
 *    172-213 -> 376-410 %;
 *  - 40 of 64 lines keeps every-other-line words (sync_copy alt) exact.
 * RND_W100 at 1 ms, 5 interleaved runs: overhead_full 1 MB median 73 -> 46 %, 4 MiB 266 ->
 * 78 %. */
#define STICKY_MIN_BYTES (1ull << 20)
#define STICKY_MAX_BYTES (4ull << 20)
#define STICKY_MIN_LINES 40u

/* Copy the dirty lines x of log word w; a sticky word (cmp) copies the lines that changed,
 * feeds them to the diff logs and is cleared if no longer dense.  Returns lines copied. */
static inline __attribute__((always_inline)) uint64_t
copy_word(struct tasvir__area *a, uint8_t *dst, const uint8_t *src, uint64_t w, uint64_t x,
          bool cmp, enum copy_store stream, const bool wide)
{
    uint64_t base = w << 12; /* byte offset of the word's first line */
    if (!cmp)
        return copy_word_lines(dst, src, base, x, stream);
    uint64_t d = copy_word_changed(dst, src, base, x, wide);
    for (uint32_t k = 0; k < a->n_or_logs; k++)
        a->or_logs[k][w] |= d;
    unsigned nd = (unsigned)__builtin_popcountll(d);
    if (nd < STICKY_MIN_LINES) {
        memset(a->log + (w << 6), 0, TASVIR__WORD_LINES);
        a->sticky[w >> 6] &= ~((uint64_t)1 << (w & 63));
    }
    return nd;
}

/* Whether every line of the group of log words at wlog is dirty: the first word is tested
 * alone, so that a group of scattered lines costs one word's loads more.
 *
 * Areas below STICKY_MIN_BYTES copy such a group (512 lines, 32 KiB) with one memcpy,
 * before the word loop: sync_copy dense 64 KiB 0.592 -> 0.781 of memcpy (8 alternating
 * runs, 2026-12-01 00:54 UTC, in the host's slow phase), the scattered cells the same
 * within the noise (random lines 64 KiB 0.443 -> 0.444, every other line 0.478 -> 0.476),
 * and RND_W100 and SEQ_W100 at 64 and 512 KiB too (6 runs).  Looking ahead within the
 * word loop had cost the scattered cells 4-15 % (docs/benchmarks.md, 2026-11-30).  Larger
 * areas keep their words (STICKY_*) or copy behind the scan. */
static inline __attribute__((always_inline)) bool group_full(const uint8_t *wlog)
{
    for (unsigned part = 0, i = 0; part < 2; part++) {
        uint64_t all = ~(uint64_t)0;
        for (unsigned end = part ? TASVIR__GROUP_WORDS * TASVIR__WORD_LINES / 8 : 8; i < end; i++) {
            uint64_t v;
            memcpy(&v, wlog + 8 * i, sizeof(v));
            all &= v;
        }
        if (all != 0x0101010101010101ull)
            return false;
    }
    return true;
}

/* The scan and copy, specialised by the compiler on its constant arguments (the copy_words
 * dispatch below), so that each path runs without the others' tests: `keepable` (areas of
 * at least STICKY_MIN_BYTES), `stream` (at least STREAM_MIN_BYTES: non-temporal stores,
 * copied behind the scan; with STORE_STREAM_WIDE, the AVX-512 copy, scattered lines are
 * listed instead, flat_push), `deep` (at least DEEP_MIN_BYTES) and `wide_cmp` (sticky
 * words compared with 64-byte moves, copy_line_if_changed: copy_words_wide_kept). */
static inline __attribute__((always_inline)) uint64_t
copy_words_as(struct tasvir__area *a, uint64_t wb, uint64_t we, const bool keepable,
              const enum copy_store stream, const bool deep, bool defer, const bool vbmi2,
              const bool wide_cmp)
{
    /* scattered lines are listed by the AVX-512 copy (flat_push), and copied from the
     * chunk's first line (fsrc, fdst) */
    const bool flat = stream == STORE_STREAM_WIDE;
    const enum copy_store flat_how = deep ? stream : STORE_PLAIN;
    const unsigned flat_dist = deep ? FLAT_DIST_DEEP : FLAT_DIST_STREAM;
    struct flat_list fl;
    fl.n = fl.ahead = fl.kept = fl.words = 0;
    uint64_t changed = 0;
    uint8_t *log = a->log;
    uint64_t *sticky = a->sticky;
    const bool ahead = stream != STORE_PLAIN;
    /* kept words exist only in areas of 1-4 MiB (constant false below 1 MiB, so small
     * areas do not read the sticky bitmap); only an owner thread's words get kept */
    const bool may_keep = keepable && a->copy_bytes <= STICKY_MAX_BYTES;
    const bool may_stick = may_keep && a->owner != NULL;
    const uint8_t *src = a->wcopy;
    uint8_t *dst = a->rcopy;
    const uint8_t *fsrc = src + (wb << 12);
    uint8_t *fdst = dst + (wb << 12);
    uint32_t n_or = a->n_or_logs;
    /* dirty words found and prefetched, not yet copied: a ring of up to AHEAD_RING words
     * holding `pending` lines */
    uint64_t ring_x[AHEAD_RING], ring_w[AHEAD_RING];
    bool ring_cmp[AHEAD_RING];
    unsigned ring_n = 0, ring_head = 0, pending = 0, ring_lines[AHEAD_RING];
    const unsigned ahead_lines = deep ? AHEAD_LINES : 0;
    uint64_t gb = wb / TASVIR__GROUP_WORDS;
    uint64_t ge = (we + TASVIR__GROUP_WORDS - 1) / TASVIR__GROUP_WORDS;
    for (uint64_t sw = gb >> 6; sw < (ge + 63) >> 6; sw++) {
        uint8_t *sblock = a->sum + (sw << 6);
        uint64_t groups = tasvir__mask64(sblock);
        if (!groups)
            continue;
        const uint64_t marked = groups;
        uint64_t keep = 0; /* groups with a word left set (a summary byte may be stale) */
        while (groups) {
            unsigned gi = (unsigned)__builtin_ctzll(groups);
            groups &= groups - 1;
            uint64_t w = ((sw << 6) + gi) * TASVIR__GROUP_WORDS;
            uint64_t wend = w + TASVIR__GROUP_WORDS < we ? w + TASVIR__GROUP_WORDS : we;
            if (!ahead && !may_keep && wend - w == TASVIR__GROUP_WORDS &&
                group_full(log + (w << 6))) {
                for (uint32_t k = 0; k < n_or; k++)
                    for (unsigned j = 0; j < TASVIR__GROUP_WORDS; j++)
                        a->or_logs[k][w + j] = ~(uint64_t)0;
                memset(log + (w << 6), 0, TASVIR__GROUP_WORDS * TASVIR__WORD_LINES);
                memcpy(dst + (w << 12), src + (w << 12), (size_t)TASVIR__GROUP_WORDS << 12);
                changed += TASVIR__GROUP_WORDS * TASVIR__WORD_LINES;
                continue;
            }
            for (; w < wend; w++) {
                uint64_t x = tasvir__mask64(log + (w << 6));
                if (x == 0)
                    continue;
                bool cmp = may_keep && ((sticky[w >> 6] >> (w & 63)) & 1);
                if (cmp) {
                    keep |= (uint64_t)1 << gi;
                } else {
                    /* the external sync's cumulative diff logs learn this version's lines */
                    for (uint32_t k = 0; k < n_or; k++)
                        a->or_logs[k][w] |= x;
                    if (may_stick && (unsigned)__builtin_popcountll(x) >= STICKY_MIN_LINES) {
                        sticky[w >> 6] |= (uint64_t)1 << (w & 63);
                        keep |= (uint64_t)1 << gi;
                    } else if (defer) {
                        keep |= (uint64_t)1 << gi; /* the owner clears it (owner_clears) */
                    } else {
                        memset(log + (w << 6), 0, TASVIR__WORD_LINES);
                    }
                }
                if (flat && !cmp && (unsigned)__builtin_popcountll(x) <= FLAT_MAX) {
                    changed += flat_push(&fl, (uint32_t)((w - wb) << 6), x, vbmi2);
                    fl.words++;
                    if (fl.n >= FLAT_BLOCK)
                        flat_copy(fdst, fsrc, &fl, flat_dist, flat_how, false);
                    continue;
                }
                if (!ahead) {
                    changed += copy_word(a, dst, src, w, x, cmp, STORE_PLAIN, wide_cmp);
                    continue;
                }
                unsigned k = (ring_head + ring_n++) % AHEAD_RING;
                ring_x[k] = x;
                ring_w[k] = w;
                ring_cmp[k] = cmp;
                ring_lines[k] = prefetch_word_lines(dst, src, w << 12, x,
                                                    stream != STORE_PLAIN && !cmp, deep);
                pending += ring_lines[k];
                /* copy the oldest word once enough lines behind it are in flight */
                while (ring_n == AHEAD_RING ||
                       (ring_n > AHEAD_MIN_WORDS &&
                        pending - ring_lines[ring_head] >= ahead_lines)) {
                    changed += copy_word(a, dst, src, ring_w[ring_head], ring_x[ring_head],
                                         ring_cmp[ring_head], stream, wide_cmp);
                    pending -= ring_lines[ring_head];
                    ring_head = (ring_head + 1) % AHEAD_RING;
                    ring_n--;
                }
            }
        }
        /* clear the summary bytes of the groups left with no word set */
        for (uint64_t clear = marked & ~keep; clear; clear &= clear - 1)
            __atomic_store_n(&sblock[__builtin_ctzll(clear)], 0, __ATOMIC_RELAXED); /* claim_span */
    }
    for (; ring_n; ring_n--, ring_head = (ring_head + 1) % AHEAD_RING)
        changed += copy_word(a, dst, src, ring_w[ring_head], ring_x[ring_head], ring_cmp[ring_head],
                             stream, wide_cmp);
    if (flat)
        flat_copy(fdst, fsrc, &fl, flat_dist, flat_how, true);
    if (stream != STORE_PLAIN)
        stream_fence();
    return changed;
}

/* Areas below STREAM_MIN_BYTES: copied in one pass, into the caches. */
static inline __attribute__((always_inline)) uint64_t copy_words_cached(struct tasvir__area *a,
                                                                        uint64_t wb, uint64_t we)
{
    if (a->copy_bytes < STICKY_MIN_BYTES)
        return copy_words_as(a, wb, we, false, STORE_PLAIN, false, false, false, false);
    return copy_words_as(a, wb, we, true, STORE_PLAIN, false, false, false, false);
}

/* Areas from STREAM_MIN_BYTES: stored as `how`, copied behind the scan.  With `defer`,
 * the log words copied are left set, and so are their summary bytes, for the owner to
 * clear (owner_clears).  Their sticky words (4 MiB areas) keep the 16-byte compare: with
 * the 64-byte one (copy_line_if_changed) RND_W100 and SEQ_W100 at 4 MiB and 1 ms took 3-5 %
 * longer per epoch in three sets of 4-8 alternating runs (isync_us_per_call 125.3 against
 * 131.1 and 129.1 against 134.0 in the last), overhead_full the same. */
static inline __attribute__((always_inline)) uint64_t
copy_words_streamed(struct tasvir__area *a, uint64_t wb, uint64_t we, bool defer,
                    const enum copy_store how, const bool vbmi2)
{
    if (a->copy_bytes < DEEP_MIN_BYTES)
        return copy_words_as(a, wb, we, true, how, false, defer, vbmi2, false);
    return copy_words_as(a, wb, we, true, how, true, defer, vbmi2, false);
}

#if TASVIR__HAVE_WIDE_COPY
/* The same code compiled for AVX-512F, for CPUs that have it (tasvir_node_conf.copy_isa):
 * the compiler turns the 64-byte line copies (copy_line, and the clears of log words) into
 * one 64-byte move each instead of four 16-byte ones.  The scan and copy of small areas
 * issues fewer instructions, and far fewer stores, per line (sync_copy rnd 64 KiB: 0.29 ->
 * 0.51 of memcpy on the test machine's AMD EPYC, see docs/benchmarks.md).  Non-temporal
 * stores are one 64-byte move too (stream_line_as); compares keep their SSE2 intrinsics.
 * Two functions, so that the code of the cached and the streamed size bands is compiled
 * apart: compiled as one with the listing of scattered lines (flat_push), the cached
 * bands' code came out slower (sync_copy alt 1 MiB 0.8155 -> 0.761 of memcpy, 4 runs).
 * The cached bands' function starts on a 64-byte boundary: it had started wherever the
 * code before it ended, and its loops' place in the fetch windows with it (the likeliest
 * reason; the VM has no performance counters to tell) (sync_copy alt 64 KiB: 0.457 ->
 * 0.540 of memcpy, 6 alternating runs; 0.46 -> 0.55 with a build whose function landed on
 * the boundary by chance; aligning the streamed function and the baseline copy as well
 * brought no gain, see docs/benchmarks.md).
 * Both are compiled with BMI1 and BMI2 too (node.c checks for them as well): a word's
 * line loop takes one instruction (blsr) to drop the line it copied instead of two, and
 * shifts by a variable take no flags (sync_copy, 8 alternating runs against AVX-512F
 * alone: rnd 64 KiB 1.04 times as fast, every other line 1.02-1.04, the other cells
 * within the noise). */
__attribute__((target("avx512f,bmi,bmi2"), aligned(64))) static uint64_t
copy_words_wide_cached(struct tasvir__area *a, uint64_t wb, uint64_t we)
{
    return copy_words_as(a, wb, we, false, STORE_PLAIN, false, false, false, false);
}

/* The cached bands' areas from STICKY_MIN_BYTES (kept words), apart from the smaller ones,
 * so that their compare's code (copy_line_if_changed with `wide`) does not move the small
 * areas' loops: in one function with them, sync_copy alt 64 KiB ran 0.98 times as fast
 * (medians of 10 alternating pairs, 3 faster; 0.528 -> 0.498 of memcpy); apart, 1.03. */
__attribute__((target("avx512f,bmi,bmi2"))) static uint64_t
copy_words_wide_kept(struct tasvir__area *a, uint64_t wb, uint64_t we)
{
    return copy_words_as(a, wb, we, true, STORE_PLAIN, false, false, false, true);
}

__attribute__((target("avx512f,bmi,bmi2"))) static uint64_t
copy_words_wide_streamed(struct tasvir__area *a, uint64_t wb, uint64_t we, bool defer)
{
    return copy_words_streamed(a, wb, we, defer, STORE_STREAM_WIDE, false);
}

/* The streamed bands again, listing with AVX-512 VBMI2 (flat_push_vbmi2), for CPUs that
 * have it and AVX-512BW (TASVIR_COPY_AVX512_VBMI2): sync_copy rnd 1 MiB (an 8 MiB area)
 * 1.11 and 1.13 times as fast as with the AVX-512F listing, which took about 7 of the
 * epoch's 40 us (medians of two sets of 8 alternating pairs, 15 of the 16 faster); rnd
 * 16 MiB 1.02 and 1.03, the other cells within the noise. */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,bmi2"))) static uint64_t
copy_words_wide_streamed_vbmi2(struct tasvir__area *a, uint64_t wb, uint64_t we, bool defer)
{
    return copy_words_streamed(a, wb, we, defer, STORE_STREAM_WIDE, true);
}
#endif

static uint64_t copy_words(const struct tasvir_node *n, struct tasvir__area *a, uint64_t wb,
                           uint64_t we, bool defer)
{
    const bool streamed = a->copy_bytes >= STREAM_MIN_BYTES;
#if TASVIR__HAVE_WIDE_COPY
    if (n->wide_copy && !streamed)
        return a->copy_bytes < STICKY_MIN_BYTES ? copy_words_wide_cached(a, wb, we)
                                                : copy_words_wide_kept(a, wb, we);
    if (n->wide_copy)
        return n->wide_list ? copy_words_wide_streamed_vbmi2(a, wb, we, defer)
                            : copy_words_wide_streamed(a, wb, we, defer);
#else
    (void)n;
#endif
    return streamed ? copy_words_streamed(a, wb, we, defer, STORE_STREAM, false)
                    : copy_words_cached(a, wb, we);
}

/* Whether a copier (self; NULL for the engine) of a chunk of area a in epoch seq leaves
 * the chunk's log clears to a's owner thread.  Clearing a log word is a store into a line
 * that the owner's next tasvir_log of the word reads; cleared on another core, every such
 * line is a miss for the owner, and the stores of its writes wait behind it.  Random
 * writes to a 32 MiB area (tasvir-bench RND_W100 at 1 ms, in a test build that did not
 * copy the lines) ran 10-12 % slower when the engine cleared half of the log than when
 * the owner cleared all of it (l1s1 7.1 against 7.9 GB/s, 3 alternating runs each).  With
 * the copy, where the owner copies about 60 % of the chunks itself, overhead_full went
 * from 138.6 to 132.6 % and from 137.2 to 134.2 % (medians of 8 alternating runs); the
 * more of an owner's chunks other threads copy (several owners, one engine), the more it
 * saves.  The owner is sure to clear them before it writes or arrives in another epoch
 * (tasvir__isync_owner_settle) if it is active and counted in this epoch: then it has
 * arrived (a COPY phase starts only after every counted thread has), and either returns
 * through tasvir_service, or leaves through deactivation, which waits the COPY phase out.
 * Only areas above STICKY_MAX_BYTES: the sticky words of smaller ones are decided by the
 * copier, and their logs are small. */
static unsigned chunk_marked_groups(const struct tasvir__chunk *ch);
static bool owner_clears(const struct tasvir__chunk *ch, const struct tasvir_thread *self,
                         uint64_t seq)
{
    const struct tasvir__area *a = ch->area;
    struct tasvir_thread *o = a->owner;
    return o && o != self && a->copy_bytes > STICKY_MAX_BYTES &&
           /* an idle chunk has nothing to clear: no need to read the owner's state */
           chunk_marked_groups(ch) &&
           atomic_load_explicit(&o->counted_seq, memory_order_relaxed) == seq &&
           atomic_load_explicit(&o->active, memory_order_relaxed);
}

/* Put area a on its owner's list of log clears (once: the first copier to defer a chunk
 * of it; the owner takes the list before a later epoch can copy the area). */
static void defer_clears(struct tasvir__area *a)
{
    int no = 0;
    if (!atomic_compare_exchange_strong_explicit(&a->oc_listed, &no, 1, memory_order_relaxed,
                                                 memory_order_relaxed))
        return; /* already listed */
    struct tasvir_thread *o = a->owner;
    struct tasvir__area *head = atomic_load_explicit(&o->oc_head, memory_order_relaxed);
    do
        a->oc_next = head;
    while (!atomic_compare_exchange_weak_explicit(&o->oc_head, &head, a, memory_order_release,
                                                  memory_order_relaxed));
}

bool tasvir__isync_owner_settle(struct tasvir_thread *t, bool wait)
{
    /* With `wait` (deactivation, thread.c leave), the COPY phase in progress is waited
     * out even if nothing is listed yet: a copier that decided to leave a chunk's clears
     * to t lists them only when the chunk is copied, and t must take them before it
     * becomes inactive. */
    if (!wait && !atomic_load_explicit(&t->oc_head, memory_order_relaxed))
        return true;
    struct tasvir_node *n = t->node;
    /* Copiers read the logs until the COPY phase is over (the epoch that left clears to t
     * is this one, in COPY, or an earlier one: t clears before it arrives in another). */
    for (;;) {
        uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
        if (TASVIR__CTL_PHASE(ctl) != TASVIR__PH_COPY)
            break;
        if (!wait)
            return false;
        /* copy what is left, our own areas among it (leave_to_owner): we write nothing
         * while we wait */
        tasvir__isync_copy_work(n, t, TASVIR__CTL_SEQ(ctl));
        tasvir__relax(n);
    }
    struct tasvir__area *a = atomic_exchange_explicit(&t->oc_head, NULL, memory_order_acquire);
    while (a) {
        struct tasvir__area *next = a->oc_next;
        /* the groups still marked are the ones left to us: every other marked group of an
         * area this size was cleared by its copier */
        uint64_t ngroups = (a->nwords + TASVIR__GROUP_WORDS - 1) / TASVIR__GROUP_WORDS;
        for (uint64_t sw = 0; sw < (ngroups + 63) >> 6; sw++) {
            uint8_t *sblock = a->sum + (sw << 6);
            for (uint64_t g = tasvir__mask64(sblock); g; g &= g - 1) {
                unsigned gi = (unsigned)__builtin_ctzll(g);
                uint64_t w = ((sw << 6) + gi) * TASVIR__GROUP_WORDS;
                uint64_t wend = w + TASVIR__GROUP_WORDS < a->nwords ? w + TASVIR__GROUP_WORDS
                                                                    : a->nwords;
                memset(a->log + (w << 6), 0, (size_t)(wend - w) * TASVIR__WORD_LINES);
                sblock[gi] = 0;
            }
        }
        atomic_store_explicit(&a->oc_listed, 0, memory_order_release);
        a = next;
    }
    return true;
}

static void finalize(struct tasvir_node *n, uint64_t seq)
{
    uint64_t now = tasvir__now(n);
    uint64_t scanned = 0, changed = 0;
    /* Chunks of one area are contiguous in the list: sum them per area. */
    for (uint32_t i = 0; i < n->nchunks;) {
        struct tasvir__area *a = n->chunks[i].area;
        uint64_t lines = 0;
        uint32_t j = i;
        for (; j < n->nchunks && n->chunks[j].area == a; j++)
            lines += n->chunks[j].changed_lines;
        scanned += a->nlines * TASVIR_LINE_BYTES;
        changed += lines * TASVIR_LINE_BYTES;
        if (a->rx) {
            /* a replica publishes the complete version it received (possibly with no line
             * changed here, e.g. a resend of lines it already had) */
            struct tasvir__rx *rx = a->rx;
            atomic_store_explicit(&a->pub_ns, rx->ready_pub, memory_order_relaxed);
            /* readers leaving this epoch must see the visibility time with the version */
            atomic_store_explicit(&a->info.visible_ns, now, memory_order_relaxed);
            atomic_store_explicit(&a->version, rx->ready_ver + rx->vofs, memory_order_release);
            rx->ready = false;
            rx->visible_ns = now;
            tasvir__stat_add(&n->st.versions_rx_published, 1);
            tasvir__trace(n, TASVIR_TRACE_PUBLISH, a, rx->ready_ver, n->ident.node_id,
                          n->ep_start_ns, now);
        } else if (lines) {
            uint64_t v = atomic_load_explicit(&a->version, memory_order_relaxed);
            atomic_store_explicit(&a->pub_ns, now, memory_order_relaxed);
            atomic_store_explicit(&a->version, v + 1, memory_order_release);
            tasvir__stat_add(&n->st.versions_published, 1);
            tasvir__trace(n, TASVIR_TRACE_PUBLISH, a, v + 1, n->ident.node_id, n->ep_start_ns,
                          now);
        }
        i = j;
    }
    tasvir__stat_add(&n->st.bytes_scanned, scanned);
    tasvir__stat_add(&n->st.bytes_changed, changed);
    tasvir__stat_add(&n->st.bytes_copied, changed);
    tasvir__stat_add(&n->st.epochs_ok, 1);
    tasvir__stat_add(&n->st.epoch_ns, tasvir__elapsed(now, n->ep_start_ns));
    uint64_t arr = atomic_load_explicit(&n->ep_all_arrived_ns, memory_order_relaxed);
    tasvir__stat_add(&n->st.barrier_ns, tasvir__elapsed(arr, n->ep_start_ns));
    uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_relaxed);
    atomic_store_explicit(&n->ctl, TASVIR__CTL(seq, TASVIR__CTL_ARRIVED(ctl), TASVIR__PH_DONE),
                          memory_order_release);
    tasvir__kick(n, TASVIR_KICK_DONE);
}

/* The groups of chunk ch that its summary marks: the work a copier can expect from it.
 * A copier reads this for chunks beyond its claim, possibly while another copier that
 * claimed one of them clears its summary bytes: both sides use relaxed atomic accesses
 * (plain moves on x86-64).  Summary bytes are 0 or 1, so a word's byte sum (the multiply)
 * is its count of marked groups. */
static unsigned chunk_marked_groups(const struct tasvir__chunk *ch)
{
    const struct tasvir__area *a = ch->area;
    uint64_t gb = ch->word_begin / TASVIR__GROUP_WORDS;
    uint64_t ge = (ch->word_end + TASVIR__GROUP_WORDS - 1) / TASVIR__GROUP_WORDS;
    const uint64_t *sw = (const uint64_t *)(const void *)(a->sum + ((gb >> 6) << 6));
    const uint64_t *end = (const uint64_t *)(const void *)(a->sum + (((ge + 63) >> 6) << 6));
    unsigned marked = 0;
    for (; sw < end; sw++)
        marked += (unsigned)((__atomic_load_n(sw, __ATOMIC_RELAXED) * 0x0101010101010101ull) >> 56);
    return marked;
}

/* How many chunks from i (of total) a claim should take: consecutive chunks until their
 * summaries mark CLAIM_MIN_GROUPS groups.  Every claim and every completion moves the
 * claim word's cache line between the copiers' cores (230-250 ns one way between the two
 * vCPUs of the test machine), while an idle chunk costs tens of nanoseconds: claimed one
 * at a time, the 8 idle chunks of a 32 MiB area took 8 us beyond the barrier against 1 us
 * as a single claim (tasvir-bench idle_scan threaded).  A marked group is 8 log words to
 * scan and up to 512 lines to copy, so chunks with work are still claimed one by one and
 * shared between the copiers.  The summaries only guide the split: a claimed chunk is
 * copied whole, whatever its summary said. */
#define CLAIM_MIN_GROUPS 16u
static uint32_t claim_span(const struct tasvir_node *n, uint32_t i, uint32_t total)
{
    uint32_t k = 0;
    unsigned marked = 0;
    while (i + k < total && (k == 0 || marked < CLAIM_MIN_GROUPS))
        marked += chunk_marked_groups(&n->chunks[i + k++]);
    return k;
}

/* Whether the engine leaves chunk ch of epoch seq to its area's owner: an area of one
 * chunk (4 MiB or less: it cannot be split between copiers) of a thread that checked in
 * (so copies from the front of the list, where such areas are: build_chunks), for the
 * first LEAVE_NS after the last check-in.  The engine polls on meanwhile.
 *
 * Why: the owner's lines of the last interval are in its core's caches.  An engine on
 * another core that claims the chunk first (it polls for the COPY phase while the last
 * thread to arrive is still on its way to claim) copies them at the speed of cross-core
 * transfers, and the owner's next writes then take every line back: tasvir-bench
 * sync_copy with 2 copiers (the bench thread, which checks in as soon as the epoch
 * starts, and an engine thread), medians of 4 alternating runs at 13:22 UTC, dense / alt
 * / rnd 64 KiB: 4.5 / 4.8 / 14.7 us before, 1.6 / 2.1 / 2.9 us now.  An owner needs well
 * under a microsecond from its arrival to its claim; one that takes longer (descheduled)
 * is not waited for: an engine that waited a window, and slept meanwhile, lost its CPU
 * in tasvir-bench oversub pinned (3 workers and the engine on 2 CPUs) for a time slice,
 * and the epoch took 3.4 ms instead of 0.18 (4 runs).  Areas of several chunks are shared
 * as before: with 1 MiB of random lines in an 8 MiB area, two copiers were faster in one
 * phase of the machine (78 against 97 us) and slower in another (84 against 59 us); with
 * 16 MiB in a 128 MiB area, whose lines come from memory wherever they are copied, two
 * copiers halve the epoch (2.8 against 6.8 ms). */
#define LEAVE_NS 2000u

/* An owner thread's area of one chunk: the kind its owner copies (leave_to_owner), put
 * at the front of the chunk list (build_chunks). */
static bool owned_one_chunk(const struct tasvir__area *a)
{
    return a->owner && a->nwords <= TASVIR__CHUNK_WORDS;
}

static bool leave_to_owner(struct tasvir_node *n, const struct tasvir__chunk *ch, uint64_t seq)
{
    const struct tasvir__area *a = ch->area;
    const struct tasvir_thread *o = a->owner;
    if (!owned_one_chunk(a) || atomic_load_explicit(&o->counted_seq, memory_order_relaxed) != seq ||
        !atomic_load_explicit(&o->active, memory_order_relaxed))
        return false;
    return tasvir__elapsed(tasvir__now(n),
                           atomic_load_explicit(&n->ep_all_arrived_ns, memory_order_relaxed)) <
           LEAVE_NS;
}

void tasvir__isync_copy_work(struct tasvir_node *n, struct tasvir_thread *self, uint64_t seq)
{
    for (;;) {
        uint64_t c = atomic_load_explicit(&n->chunk_ctl, memory_order_acquire);
        uint32_t i, total;
        for (;;) {
            if ((c >> 40) != (seq & 0xffffffu))
                return; /* our epoch is over: never touch another's chunks */
            total = (uint32_t)(c >> 20) & TASVIR__MAX_CHUNKS;
            i = (uint32_t)c & TASVIR__MAX_CHUNKS;
            if (i >= total)
                return;
            /* the list entries are the engine's own (build_chunks): it may read them
             * before it claims */
            if (!self && leave_to_owner(n, &n->chunks[i], seq))
                return;
            if (atomic_compare_exchange_weak_explicit(&n->chunk_ctl, &c, c + 1,
                                                      memory_order_acq_rel, memory_order_acquire))
                break;
        }
        /* Chunk i is ours, so the epoch cannot end (and the owners cannot log again) before
         * we report it done: only now may the summaries be read.  Take the chunks after it
         * along if they hold little work and nobody claimed them meanwhile. */
        uint32_t k = claim_span(n, i, total);
        uint64_t mine = c + 1;
        if (k > 1 && !atomic_compare_exchange_strong_explicit(&n->chunk_ctl, &mine, c + k,
                                                              memory_order_acq_rel,
                                                              memory_order_relaxed))
            k = 1;
        for (uint32_t j = i; j < i + k; j++) {
            struct tasvir__chunk *ch = &n->chunks[j];
            bool defer = owner_clears(ch, self, seq);
            uint64_t lines = copy_words(n, ch->area, ch->word_begin, ch->word_end, defer);
            TASVIR__SET_IF_CHANGED(&ch->changed_lines, lines); /* the engine reads it too */
            if (defer && lines)
                defer_clears(ch->area);
        }
        /* the epoch cannot end while a chunk is being copied, so chunk_done is this epoch's */
        uint32_t done = atomic_fetch_add_explicit(&n->chunk_done, k, memory_order_acq_rel) + k;
        if (done == total)
            finalize(n, seq);
    }
}

/* Called by a counted thread that has not arrived yet in epoch seq.  Returns 1 if it
 * arrived (the epoch is in CHECKIN or moved on to COPY because of it), 0 if the epoch is
 * no longer accepting arrivals (aborted or superseded). */
int tasvir__isync_arrive(struct tasvir_thread *t, uint64_t seq)
{
    struct tasvir_node *n = t->node;
    atomic_store_explicit(&t->arrive_seq, seq, memory_order_relaxed);
    uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
    for (;;) {
        if (TASVIR__CTL_SEQ(ctl) != seq || TASVIR__CTL_PHASE(ctl) != TASVIR__PH_CHECKIN)
            return 0;
        uint32_t arrived = TASVIR__CTL_ARRIVED(ctl) + 1;
        bool last = arrived >= atomic_load_explicit(&n->expected, memory_order_relaxed);
        uint64_t next = TASVIR__CTL(seq, arrived, last ? TASVIR__PH_COPY : TASVIR__PH_CHECKIN);
        if (last)
            atomic_store_explicit(&n->ep_all_arrived_ns, tasvir__now(n), memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&n->ctl, &ctl, next, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            if (last)
                tasvir__kick(n, TASVIR_KICK_ENGINE);
            return 1;
        }
    }
}

/* A replica without a complete version, a system area without writes (the engine knows:
 * it wrote them): nothing for an epoch to publish. */
static bool nothing_to_publish(const struct tasvir__area *a)
{
    return (a->rx && !a->rx->ready) || (a->sys && a->local && !a->sys_dirty);
}

/* Frozen: an excluded owner may be writing right now; copying would tear. */
static bool area_frozen(const struct tasvir__area *a)
{
    return a->owner && atomic_load_explicit(&a->owner->excluded, memory_order_relaxed);
}

/* When an area's internal sync is due.  A replica's is off the grid: half its interval
 * after the node last published replicas, so that versions of many owners arriving in one
 * interval share at most about two epochs, while a version that arrives an interval after
 * the one before is published at once (see handle_end). */
static uint64_t area_due(const struct tasvir_node *n, const struct tasvir__area *a)
{
    if (!a->rx)
        return a->next_int_due_ns;
    uint64_t half = atomic_load_explicit(&a->sync_int_ns, memory_order_relaxed) / 2;
    uint64_t node = n->rx_pub_ns ? n->rx_pub_ns + half : 0;
    return a->next_int_due_ns > node ? a->next_int_due_ns : node;
}

/* Put area a's chunks at k.. of the chunk list if a takes part in the epoch starting at
 * `now`; returns the list's new length.  Under node->lock. */
static uint32_t add_chunks(struct tasvir_node *n, struct tasvir__area *a, uint64_t now, bool force,
                           uint32_t k)
{
    a->in_epoch = false;
    if (atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE)
        return k;
    /* areas due within one epoch window are taken along: two areas created (or retimed) a
     * moment apart then share their epochs from the start, and stay together on the grid
     * afterwards */
    if (!force && now + n->conf.epoch_window_ns < area_due(n, a))
        return k;
    if (!tasvir__isync_takes_part(a)) {
        /* A forced epoch leaves a frozen area due, so that it is synced as soon as its
         * owner is back, as tasvir_node_sync_now promises, not when its interval comes
         * (which a bench that forces every epoch of an area with a long interval waited
         * for in vain after its thread had been excluded). */
        if (force && area_frozen(a) && a->next_int_due_ns > now) {
            a->next_int_due_ns = now;
            atomic_store_explicit(&n->due_stale, 1, memory_order_relaxed);
        }
        return k;
    }
    a->in_epoch = true;
    uint32_t n_or = 0;
    uint64_t *or_logs[TASVIR__TIERS + 1];
    if (a->ever) {
        or_logs[n_or++] = a->ever;
        if (a->ext.tiers_on)
            for (int t = 0; t < TASVIR__TIERS; t++)
                or_logs[n_or++] = a->ext.tier[t];
    }
    /* the copiers read these and the chunks: written only where they differ from the last
     * epoch's, as they usually repeat (changed_lines is set by the chunk's copier) */
    TASVIR__SET_IF_CHANGED(&a->n_or_logs, n_or);
    for (uint32_t i = 0; i < n_or; i++)
        TASVIR__SET_IF_CHANGED(&a->or_logs[i], or_logs[i]);
    for (uint64_t w = 0; w < a->nwords; w += TASVIR__CHUNK_WORDS) {
        struct tasvir__chunk *c = &n->chunks[k++];
        uint64_t end = w + TASVIR__CHUNK_WORDS < a->nwords ? w + TASVIR__CHUNK_WORDS : a->nwords;
        TASVIR__SET_IF_CHANGED(&c->area, a);
        TASVIR__SET_IF_CHANGED(&c->word_begin, w);
        TASVIR__SET_IF_CHANGED(&c->word_end, end);
    }
    return k;
}

/* Build the chunk list of the areas due at `now`.  Under node->lock. */
static int build_chunks(struct tasvir_node *n, uint64_t now, bool force)
{
    uint64_t need = 0;
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (a)
            need += (a->nwords + TASVIR__CHUNK_WORDS - 1) / TASVIR__CHUNK_WORDS;
    }
    if (need > TASVIR__MAX_CHUNKS)
        return -E2BIG;
    if (need > n->chunk_cap) {
        uint32_t cap = n->chunk_cap ? n->chunk_cap : 16;
        while (cap < need)
            cap *= 2;
        struct tasvir__chunk *c = realloc(n->chunks, cap * sizeof(*c));
        if (!c)
            return -ENOMEM;
        memset(c + n->chunk_cap, 0, (cap - n->chunk_cap) * sizeof(*c));
        n->chunks = c;
        n->chunk_cap = cap;
    }
    /* owner threads' areas of one chunk first (their owners copy them: leave_to_owner),
     * then the others */
    uint32_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < n->areas_hwm; i++) {
            struct tasvir__area *a = n->areas[i];
            if (a && owned_one_chunk(a) == (pass == 0))
                k = add_chunks(n, a, now, force, k);
        }
    TASVIR__SET_IF_CHANGED(&n->nchunks, k);
    return (int)k;
}

/* Start an epoch if one is due.  Returns 1 if started, 0 if nothing due. */
static int start_epoch(struct tasvir_node *n, uint64_t now, bool force)
{
    pthread_mutex_lock(&n->lock);
    int k = build_chunks(n, now, force);
    if (k <= 0) {
        pthread_mutex_unlock(&n->lock);
        if (k < 0)
            tasvir__log(n, TASVIR_LOG_ERR, "epoch: cannot grow chunk list: %s",
                        tasvir_strerror(k));
        /* Nothing could be synced (all due areas frozen) or no memory: back off. */
        n->retry_at_ns = now + n->conf.epoch_retry_ns;
        return 0;
    }
    uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_relaxed);
    uint64_t seq = TASVIR__CTL_SEQ(ctl) + 1;
    uint32_t count = 0;
    for (uint32_t i = 0; i < n->conf.max_threads; i++) {
        struct tasvir_thread *t = &n->threads[i];
        if (t->state != TASVIR__THR_LIVE || !atomic_load_explicit(&t->active, memory_order_relaxed) ||
            atomic_load_explicit(&t->excluded, memory_order_relaxed))
            continue;
        atomic_store_explicit(&t->counted_seq, seq, memory_order_relaxed);
        count++;
    }
    atomic_store_explicit(&n->expected, count, memory_order_relaxed);
    n->ep_start_ns = now;
    atomic_store_explicit(&n->ep_all_arrived_ns, now, memory_order_relaxed);
    atomic_store_explicit(&n->chunk_done, 0, memory_order_relaxed);
    atomic_store_explicit(&n->chunk_ctl, TASVIR__CHUNK_CTL(seq, n->nchunks, 0), memory_order_release);
    atomic_store_explicit(&n->ctl, TASVIR__CTL(seq, 0, count ? TASVIR__PH_CHECKIN : TASVIR__PH_COPY),
                          memory_order_release);
    pthread_mutex_unlock(&n->lock);
    if (count)
        tasvir__kick(n, TASVIR_KICK_EPOCH);
    return 1;
}

bool tasvir__isync_takes_part(const struct tasvir__area *a)
{
    return !nothing_to_publish(a) && !area_frozen(a);
}

bool tasvir__isync_publish_due(const struct tasvir__area *a, uint64_t now)
{
    return atomic_load_explicit(&a->due_hint, memory_order_relaxed) == 0 &&
           a->next_int_due_ns <= now && tasvir__isync_takes_part(a);
}

void tasvir__isync_due_changed(struct tasvir_node *n)
{
    atomic_store_explicit(&n->due_stale, 1, memory_order_release);
}

/* The engine saw the end (DONE or ABORT) of epoch seq: reschedule areas, count misses. */
static void handle_end(struct tasvir_node *n, uint64_t seq, unsigned phase, uint64_t now)
{
    n->handled_seq = seq;
    /* acks for published replicas, deferred frames: before in_epoch flags are cleared */
    tasvir__esync_epoch_end(n, phase == TASVIR__PH_DONE, now);
    if (phase == TASVIR__PH_DONE) {
        for (uint32_t i = 0; i < n->nchunks; i++) {
            struct tasvir__area *a = n->chunks[i].area;
            if (!a->in_epoch)
                continue;
            a->in_epoch = false;
            a->sys_dirty = false;
            uint64_t iv = atomic_load_explicit(&a->sync_int_ns, memory_order_relaxed);
            /* next grid point after the epoch's start (the grid keeps areas of equal
             * intervals together); if it already passed, the area is due at once, and
             * the one after is again in the future: an overrun costs one epoch, no more.
             * A replica is not on the grid (area_due): the owner's external interval paces
             * its versions, and the owner sends right after its own grid epochs, so on the
             * grid every version would arrive just after a grid point and wait an
             * internal interval for the next one. */
            if (a->rx)
                n->rx_pub_ns = n->ep_start_ns;
            a->next_int_due_ns = a->rx ? 0 : tasvir__grid_next(n->ep_start_ns, iv);
        }
        atomic_store_explicit(&n->due_stale, 1, memory_order_relaxed);
        pthread_mutex_lock(&n->lock);
        for (uint32_t i = 0; i < n->conf.max_threads; i++) {
            struct tasvir_thread *t = &n->threads[i];
            if (atomic_load_explicit(&t->counted_seq, memory_order_relaxed) == seq)
                t->misses = 0;
        }
        pthread_mutex_unlock(&n->lock);
        return;
    }
    /* ABORT: areas stay due; retry soon (forced again if this one was: epoch_due). */
    tasvir__stat_add(&n->st.epochs_failed, 1);
    n->retry_at_ns = now + n->conf.epoch_retry_ns;
    if (n->ep_forced)
        n->force_retry = true;
    pthread_mutex_lock(&n->lock);
    for (uint32_t i = 0; i < n->conf.max_threads; i++) {
        struct tasvir_thread *t = &n->threads[i];
        if (t->state != TASVIR__THR_LIVE ||
            atomic_load_explicit(&t->counted_seq, memory_order_relaxed) != seq)
            continue;
        if (atomic_load_explicit(&t->arrive_seq, memory_order_relaxed) == seq) {
            t->misses = 0;
            continue;
        }
        if (++t->misses >= n->conf.exclude_after_misses &&
            !atomic_load_explicit(&t->excluded, memory_order_relaxed)) {
            atomic_store_explicit(&t->excluded, 1, memory_order_release);
            tasvir__stat_add(&n->st.threads_excluded, 1);
            tasvir__stat_add(&n->st.threads_excluded_now, 1);
            /* at most one warning per second: an oversubscribed node can exclude and
             * readmit threads many times a second (the counters have every event) */
            if (!n->excl_log_ns || tasvir__elapsed(now, n->excl_log_ns) >= 1000000000ull) {
                tasvir__log(n, TASVIR_LOG_WARN,
                            "thread %u excluded after missing %u epoch windows; its areas are "
                            "frozen (%" PRIu64 " more exclusions since the last warning)",
                            t->idx, t->misses, n->excl_log_quiet);
                n->excl_log_ns = now;
                n->excl_log_quiet = 0;
            } else {
                n->excl_log_quiet++;
            }
        }
    }
    pthread_mutex_unlock(&n->lock);
}

/* Earliest internal-sync due time over live areas.  Cached: recomputed only after an
 * epoch ended or when an area was created, destroyed or had its interval changed. */
static uint64_t next_due(struct tasvir_node *n)
{
    if (!atomic_exchange_explicit(&n->due_stale, 0, memory_order_acq_rel))
        return n->next_due_ns;
    uint64_t due = UINT64_MAX;
    pthread_mutex_lock(&n->lock);
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (!a || atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE)
            continue;
        uint64_t hint = atomic_exchange_explicit(&a->due_hint, 0, memory_order_acq_rel);
        if (hint) /* new area or interval changed */
            a->next_int_due_ns = hint;
        if (nothing_to_publish(a))
            continue;
        uint64_t d = area_due(n, a);
        if (d < due)
            due = d;
    }
    pthread_mutex_unlock(&n->lock);
    n->next_due_ns = due;
    return due;
}

/* Drive an epoch in progress (timeout, copy, end).  Returns -EAGAIN while one is in
 * progress, 0 when idle. */
int tasvir__isync_drive(struct tasvir_node *n, uint64_t now, uint64_t *next_ns)
{
    uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
    uint64_t seq = TASVIR__CTL_SEQ(ctl);
    unsigned ph = TASVIR__CTL_PHASE(ctl);

    if (ph == TASVIR__PH_CHECKIN) {
        if (tasvir__elapsed(now, n->ep_start_ns) < n->conf.epoch_window_ns) {
            *next_ns = n->ep_start_ns + n->conf.epoch_window_ns;
            return -EAGAIN;
        }
        uint64_t want = ctl;
        for (;;) {
            if (TASVIR__CTL_PHASE(want) != TASVIR__PH_CHECKIN || TASVIR__CTL_SEQ(want) != seq)
                break;
            uint64_t next = TASVIR__CTL(seq, TASVIR__CTL_ARRIVED(want), TASVIR__PH_ABORT);
            if (atomic_compare_exchange_weak_explicit(&n->ctl, &want, next, memory_order_acq_rel,
                                                      memory_order_acquire)) {
                tasvir__kick(n, TASVIR_KICK_DONE);
                break;
            }
        }
        ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
        ph = TASVIR__CTL_PHASE(ctl);
    }
    if (ph == TASVIR__PH_COPY) {
        tasvir__isync_copy_work(n, NULL, seq);
        ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
        ph = TASVIR__CTL_PHASE(ctl);
        if (ph == TASVIR__PH_COPY) {
            /* other copiers still busy with their chunks, or chunks left to their owners
             * for a moment: poll again at once (an engine that gave up its CPU now, in an
             * oversubscribed node, could wait a time slice to get it back) */
            *next_ns = now;
            return -EAGAIN;
        }
    }
    if ((ph == TASVIR__PH_DONE || ph == TASVIR__PH_ABORT) && n->handled_seq != seq) {
        handle_end(n, seq, ph, now);
        tasvir__area_reap(n);
    }
    return 0;
}

/* When the next epoch may start: the earliest due area, but not before the retry delay
 * after a failed epoch.  A forced epoch that failed is retried, forced again, at the end
 * of that delay: the areas it was forced for may not be due for a long time, and the
 * caller of tasvir_node_sync_now is waiting for them. */
static uint64_t epoch_due(struct tasvir_node *n)
{
    uint64_t due = next_due(n);
    if (n->force_retry || n->retry_at_ns > due)
        due = n->retry_at_ns;
    return due;
}

/* Idle: start the next epoch if one is due.  Returns -EAGAIN if one is now in progress. */
int tasvir__isync_maybe_start(struct tasvir_node *n, uint64_t now, uint64_t *next_ns)
{
    bool force = atomic_exchange_explicit(&n->sync_now, 0, memory_order_acq_rel) != 0;
    uint64_t due = epoch_due(n);
    if (n->force_retry && now >= due)
        force = true;
    if (force || now >= due) {
        if (start_epoch(n, now, force)) {
            n->ep_forced = force;
            if (force)
                n->force_retry = false;
            uint64_t c = atomic_load_explicit(&n->ctl, memory_order_acquire);
            if (TASVIR__CTL_PHASE(c) == TASVIR__PH_COPY) {
                /* No thread to wait for: the engine copies alone. */
                tasvir__isync_copy_work(n, NULL, TASVIR__CTL_SEQ(c));
                c = atomic_load_explicit(&n->ctl, memory_order_acquire);
                if (TASVIR__CTL_PHASE(c) == TASVIR__PH_DONE) {
                    handle_end(n, TASVIR__CTL_SEQ(c), TASVIR__PH_DONE, now);
                    tasvir__area_reap(n);
                    *next_ns = next_due(n);
                    return 0;
                }
            }
            *next_ns = now + n->conf.epoch_window_ns;
            return -EAGAIN;
        }
        due = epoch_due(n);
    }
    *next_ns = due;
    return 0;
}

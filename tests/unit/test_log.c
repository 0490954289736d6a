/*
 * test_log.c — dirty logging (tasvir_log / tasvir_log_checked).
 *
 * Every single-range case runs twice: through tasvir_log and through a log cursor
 * (tasvir_log_cur), plus the cursor's own errors; and calls of at most a line, for owner,
 * reader, destroyed and bogus handles, must get the same result and count from the inline
 * path as from the library's (tasvir__log_slow).
 * Covers: first and last byte, unaligned ranges inside a line, line-crossing and
 * word-crossing ranges, multi-word ranges, the whole area, areas whose length is not a
 * multiple of 64, len == 0, repeated logging of one line, out-of-range addresses, reader
 * handles and the wrong thread (errors and the log_misuse counter), and in an 8 MiB area
 * lines and ranges across the summary's group, word and chunk boundaries.  Each case writes a
 * pattern over the whole writer copy, logs only the range under test, runs one epoch and
 * checks that exactly the lines of that range reached the reader copy.  On x86-64 a
 * whole-line call is inline assembly (tasvir.h, TASVIR__LOG_ASM); test_log_portable builds
 * this file again with TASVIR_NO_LOG_ASM, for the portable C.
 */
#include <inttypes.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "harness.h"

#define AREA_BYTES (16 * 1024) /* 256 lines, 4 log words of 64 lines */

struct fx {
    struct h_net h;
    struct tasvir_thread *t;
    struct tasvir_area *a;
    uint8_t *w;
    uint64_t changed0; /* bytes_changed after the system areas' first publish */
};

static void fx_init(struct fx *f, uint64_t len)
{
    cr_assert(eq(int, h_net_create(&f->h, 1, 0, 1, NULL), 0));
    f->t = h_thread(f->h.node[0]);
    cr_assert(not(eq(ptr, f->t, NULL)));
    f->a = h_area(f->t, "log", len, 1000);
    cr_assert(not(eq(ptr, f->a, NULL)));
    f->w = tasvir_area_writer(f->a);
    cr_assert(not(eq(ptr, f->w, NULL)));
    /* publish what the node wrote into its own node area at start, then count from here
     * (the clock does not move in these tests, so no further heartbeat writes happen) */
    tasvir_node_sync_now(f->h.node[0]);
    cr_assert(ge(int, h_settle(f->h.node[0], &f->t, 1, 100), 0));
    struct tasvir_stats st;
    tasvir_node_stats(f->h.node[0], &st);
    f->changed0 = st.bytes_changed;
    memset(f->w, 0xab, len);
}

/* Run one epoch and check that lines [first, last] (and only they) were published. */
static void expect_lines(struct fx *f, uint64_t len, int64_t first, int64_t last)
{
    tasvir_node_sync_now(f->h.node[0]);
    cr_assert(ge(int, h_settle(f->h.node[0], &f->t, 1, 100), 0));
    const uint8_t *r = tasvir_area_reader(f->a);
    uint64_t nlines = (len + 63) / 64;
    for (uint64_t l = 0; l < nlines; l++) {
        uint64_t end = (l + 1) * 64 < len ? (l + 1) * 64 : len;
        int want = (int64_t)l >= first && (int64_t)l <= last;
        for (uint64_t b = l * 64; b < end; b++)
            cr_assert(eq(u8, r[b], want ? 0xab : 0), "line %lu byte %lu: expected %s", l, b,
                      want ? "published" : "untouched");
    }
    struct tasvir_stats st;
    tasvir_node_stats(f->h.node[0], &st);
    uint64_t lines = first < 0 ? 0 : (uint64_t)(last - first + 1);
    cr_assert(eq(u64, st.bytes_changed - f->changed0, lines * 64));
    cr_assert(eq(u64, tasvir_area_version(f->a), lines ? 1 : 0));
}

/* Each case twice: through tasvir_log, and through a log cursor (name_cursor), which must
 * do exactly the same. */
#define LOG_CASE_AS(name, len, off, n, first, last, cursor)                          \
    Test(log, name, .timeout = 10)                                                   \
    {                                                                                \
        struct fx f;                                                                 \
        fx_init(&f, len);                                                            \
        struct tasvir_log_cursor c;                                                  \
        tasvir_log_cursor_init(&c, f.a);                                             \
        int rc = (cursor) ? tasvir_log_cur(&c, f.w + (off), (n))                     \
                          : tasvir_log(f.a, f.w + (off), (n));                       \
        cr_assert(eq(int, rc, 0));                                                   \
        expect_lines(&f, len, first, last);                                          \
        h_net_destroy(&f.h);                                                         \
    }
#define LOG_CASE(name, len, off, n, first, last)                                      \
    LOG_CASE_AS(name, len, off, n, first, last, false)                               \
    LOG_CASE_AS(name##_cursor, len, off, n, first, last, true)

LOG_CASE(first_byte, AREA_BYTES, 0, 1, 0, 0)
LOG_CASE(last_byte, AREA_BYTES, AREA_BYTES - 1, 1, 255, 255)
LOG_CASE(unaligned_inside_line, AREA_BYTES, 70, 20, 1, 1)
LOG_CASE(line_crossing, AREA_BYTES, 60, 8, 0, 1)
LOG_CASE(exact_line, AREA_BYTES, 128, 64, 2, 2)
LOG_CASE(word_crossing, AREA_BYTES, 63 * 64 + 60, 8, 63, 64)
LOG_CASE(word_aligned_word, AREA_BYTES, 64 * 64, 64 * 64, 64, 127)
LOG_CASE(multi_word_unaligned, AREA_BYTES, 100, 64 * 130, 1, 131)
LOG_CASE(whole_area, AREA_BYTES, 0, AREA_BYTES, 0, 255)
LOG_CASE(odd_length_last_byte, 1000, 999, 1, 15, 15)
LOG_CASE(odd_length_whole, 1000, 0, 1000, 0, 15)
LOG_CASE(len_zero, AREA_BYTES, 500, 0, -1, -1)
/* One whole line (a constant 64: tasvir_log's one-comparison path when optimised): the
 * last line, the last whole line of an odd-length area, and an unaligned one (two lines). */
LOG_CASE(whole_last_line, AREA_BYTES, AREA_BYTES - 64, 64, 255, 255)
LOG_CASE(odd_length_last_whole_line, 1000, 896, 64, 14, 14)
LOG_CASE(whole_line_unaligned, AREA_BYTES, 64 * 64 - 1, 64, 63, 64)

/* A range over lines already dirty: the range marks 8 lines at a time where it can, and
 * must neither skip a block of 8 with some lines still clean nor lose the ones set. */
Test(log, range_over_partly_dirty_lines, .timeout = 10)
{
    struct fx f;
    fx_init(&f, AREA_BYTES);
    cr_assert(eq(int, tasvir_log(f.a, f.w + 5 * 64, 64), 0));
    cr_assert(eq(int, tasvir_log(f.a, f.w + 17 * 64 + 3, 1), 0));
    cr_assert(eq(int, tasvir_log(f.a, f.w + 2 * 64 + 10, 19 * 64), 0)); /* lines 2..21 */
    expect_lines(&f, AREA_BYTES, 2, 21);
    h_net_destroy(&f.h);
}

/* Large areas: the copy visits only the 512-line groups whose summary byte is set, and each
 * 4 MiB chunk owns whole summary blocks (64 groups).  Lines past the first group, ranges across group,
 * summary-word and chunk boundaries, and the last line of a large area. */
#define BIG_BYTES (8u << 20) /* 131072 lines, 2048 words, 256 groups, 2 chunks */
LOG_CASE(big_line_in_far_group, BIG_BYTES, 70000 * 64, 64, 70000, 70000)
LOG_CASE(big_group_crossing, BIG_BYTES, 511 * 64 + 32, 64, 511, 512)
LOG_CASE(big_summary_word_crossing, BIG_BYTES, (64 * 512 - 2) * 64, 4 * 64, 32766, 32769)
LOG_CASE(big_chunk_crossing, BIG_BYTES, (65536 - 1) * 64, 2 * 64, 65535, 65536)
LOG_CASE(big_range_over_groups, BIG_BYTES, 1000 * 64 + 5, 3000 * 64, 1000, 4000)
LOG_CASE(big_last_line, BIG_BYTES, BIG_BYTES - 1, 1, 131071, 131071)

/* Scattered whole lines of the 8 MiB area, each logged twice (a clean line, then a marked
 * one), in groups all over the area: exactly those lines are published. */
Test(log, scattered_whole_lines_logged_twice, .timeout = 20)
{
    struct fx f;
    fx_init(&f, BIG_BYTES);
    const uint64_t nlines = BIG_BYTES / 64;
    uint8_t *want = calloc(nlines, 1);
    cr_assert(not(eq(ptr, want, NULL)));
    uint64_t x = 0x9e3779b97f4a7c15ull, marked = 0;
    for (unsigned i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t l = x % nlines;
        cr_assert(eq(int, tasvir_log(f.a, f.w + l * 64, 64), 0));
        cr_assert(eq(int, tasvir_log(f.a, f.w + l * 64, 64), 0));
        marked += !want[l];
        want[l] = 1;
    }
    tasvir_node_sync_now(f.h.node[0]);
    cr_assert(ge(int, h_settle(f.h.node[0], &f.t, 1, 100), 0));
    const uint8_t *r = tasvir_area_reader(f.a);
    for (uint64_t l = 0; l < nlines; l++)
        cr_assert(eq(u8, r[l * 64] | r[l * 64 + 63], want[l] ? 0xab : 0), "line %" PRIu64, l);
    struct tasvir_stats st;
    tasvir_node_stats(f.h.node[0], &st);
    cr_assert(eq(u64, st.bytes_changed - f.changed0, marked * 64));
    free(want);
    h_net_destroy(&f.h);
}

/* The single-line path this file was built with: test_log_portable defines
 * TASVIR_NO_LOG_ASM, so that the portable C runs these cases too. */
Test(log, single_line_path_as_built)
{
#if defined(TASVIR_NO_LOG_ASM)
    cr_assert(eq(int, TASVIR__LOG_ASM, 0));
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
    cr_assert(eq(int, TASVIR__LOG_ASM, 1));
#endif
}

Test(log, same_line_twice_is_one_line, .timeout = 10)
{
    struct fx f;
    fx_init(&f, AREA_BYTES);
    for (int i = 0; i < 5; i++)
        cr_assert(eq(int, tasvir_log(f.a, f.w + 640 + i, 4), 0));
    expect_lines(&f, AREA_BYTES, 10, 10);
    h_net_destroy(&f.h);
}

Test(log, out_of_range_rejected_and_counted, .timeout = 10)
{
    struct fx f;
    fx_init(&f, 1000);
    cr_assert(eq(int, tasvir_log(f.a, f.w + 1000, 1), -ERANGE));
    cr_assert(eq(int, tasvir_log(f.a, f.w + 990, 11), -ERANGE));
    cr_assert(eq(int, tasvir_log(f.a, f.w - 1, 1), -ERANGE));
    cr_assert(eq(int, tasvir_log(f.a, f.w, SIZE_MAX), -ERANGE));
    cr_assert(eq(int, tasvir_log(f.a, (void *)8, 8), -ERANGE));
    /* whole aligned lines: one below the copy, one partly past its end */
    cr_assert(eq(int, tasvir_log(f.a, f.w - 64, 64), -ERANGE));
    cr_assert(eq(int, tasvir_log(f.a, f.w + 960, 64), -ERANGE));
    cr_assert(eq(int, tasvir_log(f.a, f.w - 1, 64), -ERANGE));
    struct tasvir_stats st;
    tasvir_node_stats(f.h.node[0], &st);
    cr_assert(eq(u64, st.log_misuse, 8));
    expect_lines(&f, 1000, -1, -1); /* nothing was marked */
    h_net_destroy(&f.h);
}

Test(log, reader_handle_may_not_log, .timeout = 10)
{
    struct fx f;
    fx_init(&f, AREA_BYTES);
    struct tasvir_thread *t2 = h_thread(f.h.node[0]);
    struct tasvir_area *r = NULL;
    cr_assert(eq(int, tasvir_area_attach(t2, "log", &r), 0));
    cr_assert(eq(ptr, tasvir_area_writer(r), NULL));
    cr_assert(eq(int, tasvir_log(r, f.w, 64), TASVIR_ENOTOWNER));
    /* the owner's own thread attaching gets a reader handle too */
    struct tasvir_area *r2 = NULL;
    cr_assert(eq(int, tasvir_area_attach(f.t, "log", &r2), 0));
    cr_assert(eq(int, tasvir_log(r2, f.w, 64), TASVIR_ENOTOWNER));
    struct tasvir_stats st;
    tasvir_node_stats(f.h.node[0], &st);
    cr_assert(eq(u64, st.log_misuse, 2));
    h_net_destroy(&f.h);
}

/* A cursor does what tasvir_log does: several lines through one cursor, and the same
 * errors (counted) for addresses outside the writer copy and for a reader handle. */
Test(log, cursor_marks_lines_and_rejects_misuse, .timeout = 10)
{
    struct fx f;
    fx_init(&f, 1000);
    struct tasvir_log_cursor c;
    tasvir_log_cursor_init(&c, f.a);
    cr_assert(eq(int, tasvir_log_cur(&c, f.w + 64, 64), 0));
    cr_assert(eq(int, tasvir_log_cur(&c, f.w + 64 + 5, 1), 0)); /* the same line again */
    cr_assert(eq(int, tasvir_log_cur(&c, f.w + 2 * 64 + 1, 64), 0)); /* unaligned: lines 2, 3 */
    cr_assert(eq(int, tasvir_log_cur(&c, f.w + 960, 64), -ERANGE));
    cr_assert(eq(int, tasvir_log_cur(&c, f.w - 64, 64), -ERANGE));
    cr_assert(eq(int, tasvir_log_cur(&c, f.w + 999, 2), -ERANGE));
    struct tasvir_thread *t2 = h_thread(f.h.node[0]);
    struct tasvir_area *r = NULL;
    cr_assert(eq(int, tasvir_area_attach(t2, "log", &r), 0));
    struct tasvir_log_cursor rc;
    tasvir_log_cursor_init(&rc, r);
    cr_assert(eq(int, tasvir_log_cur(&rc, f.w, 64), TASVIR_ENOTOWNER));
    struct tasvir_stats st;
    tasvir_node_stats(f.h.node[0], &st);
    cr_assert(eq(u64, st.log_misuse, 4));
    cr_assert(eq(int, tasvir_thread_deactivate(t2), 0)); /* the epoch does not wait for it */
    expect_lines(&f, 1000, 1, 3);
    h_net_destroy(&f.h);
}

/* A NULL handle is an error, not a crash, through tasvir_log and through a cursor. */
Test(log, null_handle_is_an_error, .timeout = 10)
{
    uint8_t buf[64];
    cr_assert(eq(int, tasvir_log(NULL, buf, 64), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_log(NULL, buf + 1, 3), TASVIR_EBADHANDLE));
    struct tasvir_log_cursor c;
    tasvir_log_cursor_init(&c, NULL);
    cr_assert(eq(int, tasvir_log_cur(&c, buf, 64), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_log_cur(&c, buf, 0), TASVIR_EBADHANDLE));
}

/* With a compile-time length of at most a line, tasvir_log() decides everything inline
 * (x86-64: unaligned lines, len == 0 and rejections without a call); tasvir__log_slow()
 * is the library's path for every call.  Both must return the same code, count the same
 * rejections and mark the same lines, for every kind of handle.  Each SAME() call site has
 * a literal length, as a real call site does. */
static uint64_t misuse_of(struct tasvir_node *n)
{
    struct tasvir_stats st;
    tasvir_node_stats(n, &st);
    return st.log_misuse;
}

#define SAME(node, h, addr, len)                                                           \
    do {                                                                                   \
        uint64_t m0 = misuse_of(node);                                                     \
        int inl = tasvir_log((h), (addr), (len));                                          \
        uint64_t m1 = misuse_of(node);                                                     \
        int lib = tasvir__log_slow((h), (addr), (len));                                    \
        uint64_t m2 = misuse_of(node);                                                     \
        cr_assert(eq(int, inl, lib), "tasvir_log(%s, %s, %s): inline %d, library %d", #h,  \
                  #addr, #len, inl, lib);                                                  \
        cr_assert(eq(u64, m1 - m0, m2 - m1),                                               \
                  "%s, %s, %s: counted %" PRIu64 " inline, %" PRIu64 " by the library", #h, \
                  #addr, #len, m1 - m0, m2 - m1);                                          \
    } while (0)

Test(log, inline_and_library_paths_agree, .timeout = 10)
{
    struct fx f;
    fx_init(&f, 1000); /* 15 whole lines and 40 bytes of a 16th */
    struct tasvir_node *n = f.h.node[0];
    /* the owner's handle: inside, unaligned, crossing, len 0, at and past the end */
    SAME(n, f.a, f.w + 64, 64);
    SAME(n, f.a, f.w + 3 * 64 + 7, 64); /* lines 3 and 4 */
    SAME(n, f.a, f.w + 6 * 64 + 60, 8); /* lines 6 and 7 */
    SAME(n, f.a, f.w + 9 * 64 + 1, 1);
    SAME(n, f.a, f.w + 500, 0);
    SAME(n, f.a, f.w + 1000, 0); /* len 0 at the very end: nothing, no error */
    SAME(n, f.a, f.w + 1001, 0);
    SAME(n, f.a, f.w + 936, 64); /* the last 64 bytes: lines 14 and 15 */
    SAME(n, f.a, f.w + 937, 64);
    SAME(n, f.a, f.w + 960, 64);
    SAME(n, f.a, f.w + 999, 1);
    SAME(n, f.a, f.w + 999, 2);
    SAME(n, f.a, f.w - 1, 1);
    SAME(n, f.a, f.w - 64, 64);
    SAME(n, f.a, (void *)64, 64);
    /* a reader handle, for every kind of call */
    struct tasvir_thread *t2 = h_thread(n);
    struct tasvir_area *r = NULL;
    cr_assert(eq(int, tasvir_area_attach(t2, "log", &r), 0));
    SAME(n, r, f.w, 64);
    SAME(n, r, f.w + 1, 64);
    SAME(n, r, f.w + 5, 1);
    SAME(n, r, f.w, 0);
    /* not a handle: a zeroed one and one with another object's magic */
    uint64_t fake[16] = {0};
    struct tasvir_area *g = (struct tasvir_area *)(void *)fake;
    SAME(n, g, f.w, 64);
    SAME(n, g, f.w + 3, 8);
    fake[6] = 0x7a5e0001u; /* the field after the six pointers: the magic */
    SAME(n, g, f.w, 64);
    cr_assert(eq(int, tasvir_thread_deactivate(t2), 0));
    /* every call above that marked lines marked them twice: 1, 3-4, 6-7, 9, 14-15 */
    tasvir_node_sync_now(n);
    cr_assert(ge(int, h_settle(n, &f.t, 1, 100), 0));
    const uint8_t *rd = tasvir_area_reader(f.a);
    for (unsigned l = 0; l < 16; l++) {
        int want = l == 1 || l == 3 || l == 4 || l == 6 || l == 7 || l == 9 || l >= 14;
        cr_assert(eq(int, rd[l * 64] == 0xab, want), "line %u %s", l,
                  want ? "not published" : "published");
    }
    /* a destroyed handle */
    struct tasvir_area *own = f.a;
    cr_assert(eq(int, tasvir_area_destroy(own), 0));
    SAME(n, own, f.w, 64);
    SAME(n, own, f.w + 1, 8);
    SAME(n, own, f.w, 0);
    h_net_destroy(&f.h);
}

Test(log, checked_variant_verifies_thread, .timeout = 10)
{
    struct fx f;
    fx_init(&f, AREA_BYTES);
    struct tasvir_thread *t2 = h_thread(f.h.node[0]);
    cr_assert(eq(int, tasvir_log_checked(t2, f.a, f.w, 64), TASVIR_ENOTOWNER));
    cr_assert(eq(int, tasvir_log_checked(f.t, f.a, f.w + 64, 64), 0));
    cr_assert(eq(int, tasvir_log_checked(f.t, f.a, f.w + AREA_BYTES, 1), -ERANGE));
    cr_assert(eq(int, tasvir_log_checked(NULL, f.a, f.w, 1), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_log_checked(f.t, NULL, f.w, 1), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_thread_deactivate(t2), 0));
    expect_lines(&f, AREA_BYTES, 1, 1);
    h_net_destroy(&f.h);
}

/*
 * test_harness.c — the test harness's own checks.
 *
 * Covers: the strict gt() of tests/criterion-gt.h (Criterion 2.4.1's passes on equal
 * values) for the tags the tests use, next to lt, ge and le.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stddef.h>
#include <stdint.h>

Test(harness, gt_is_strict)
{
    int i0 = 0, i1 = 1;
    uint64_t u5 = 5, u6 = 6;
    size_t z3 = 3, z4 = 4;
    long l7 = 7, l8 = 8;
    double d1 = 1.5, d2 = 2.5;
    cr_assert(not(gt(int, i0, i0)), "gt(int, 0, 0) must fail");
    cr_assert(not(gt(int, i0, i1)));
    cr_assert(gt(int, i1, i0));
    cr_assert(not(gt(u64, u5, u5)));
    cr_assert(gt(u64, u6, u5));
    cr_assert(not(gt(sz, z3, z3)));
    cr_assert(gt(sz, z4, z3));
    cr_assert(not(gt(long, l7, l7)));
    cr_assert(gt(long, l8, l7));
    cr_assert(not(gt(dbl, d1, d1)));
    cr_assert(gt(dbl, d2, d1));
    /* the others were right and stay so */
    cr_assert(ge(int, i0, i0));
    cr_assert(not(lt(int, i0, i0)));
    cr_assert(le(int, i0, i0));
    cr_assert(not(ge(int, i0, i1)));
}

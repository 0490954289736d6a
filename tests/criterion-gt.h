/*
 * criterion-gt.h — force-included into every Criterion test (tests/CMakeLists.txt,
 * tasvir_criterion): makes gt() strict.
 *
 * Criterion 2.4.1 (Debian 12's) defines the C form of the tagged gt(Tag, a, b) as
 * !(a < b), which is a >= b: cr_assert(gt(int, 0, 0)) passes.  Our tests use gt() for
 * "made progress", "saw more than N", "later than", where equality is a failure.  The
 * assertion is redefined as !(a < b) && !(a == b), built from the same per-type operators
 * Criterion uses for lt and eq (so its messages and the tags' types are unchanged).  C
 * sources only: Criterion's C++ gt() is right (and some C++ tests use the older
 * cr_assert(expression) form, which new/assert.h would take over).
 * tests/unit/test_harness.c checks the fix.
 */
#ifndef TASVIR_TEST_CRITERION_GT_H
#define TASVIR_TEST_CRITERION_GT_H

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#ifndef __cplusplus
#undef CRI_BINOP_T_GT
#define CRI_BINOP_T_GT(Tag, Actual, Ref)                                                      \
    (CRI_BINOP_LT_TAG(Tag, !, Actual, Ref) && CRI_BINOP_EQ_TAG(Tag, !, Actual, Ref))
#endif

#endif

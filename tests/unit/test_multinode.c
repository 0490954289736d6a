/*
 * test_multinode.c — several nodes in one process do not interfere: separate areas, epochs,
 * threads and counters; a stalled node does not stall another; handles of one node are
 * useless on another.  (Criterion forks per test, so this must be within one test.)
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "harness.h"

Test(multinode, nodes_are_independent, .timeout = 10)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 3, 0, 1, NULL), 0));
    struct tasvir_thread *t[3];
    struct tasvir_area *a[3];
    char name[16];
    for (int i = 0; i < 3; i++) {
        t[i] = h_thread(h.node[i]);
        snprintf(name, sizeof(name), "area%d", i);
        a[i] = h_area(t[i], name, 4096, 1000);
        cr_assert(not(eq(ptr, a[i], NULL)));
        cr_assert(eq(int, tasvir_node_id(h.node[i]), i));
    }
    /* node 2 has a second, stalled thread: its epochs cannot complete */
    struct tasvir_thread *stalled = h_thread(h.node[2]);
    cr_assert(not(eq(ptr, stalled, NULL)));
    for (int round = 1; round <= 20; round++) {
        for (int i = 0; i < 3; i++) {
            uint64_t *w = tasvir_area_writer(a[i]);
            w[i] = (uint64_t)(round * 10 + i);
            tasvir_log(a[i], &w[i], 8);
        }
        tasvir_loop_net_advance(h.net, 1000000);
        for (int i = 0; i < 2; i++)
            cr_assert(ge(int, h_settle(h.node[i], &t[i], 1, 100), 0));
        tasvir_node_poll(h.node[2], NULL);
        tasvir_service(t[2]);
    }
    for (int i = 0; i < 2; i++) {
        const uint64_t *r = tasvir_area_reader(a[i]);
        cr_assert(eq(u64, r[i], (uint64_t)(200 + i)));
        cr_assert(eq(u64, tasvir_area_version(a[i]), 20));
        for (int j = 0; j < 8; j++)
            if (j != i)
                cr_assert(eq(u64, r[j], 0), "node %d saw a foreign write", i);
    }
    /* node 2 failed epochs until it excluded its stalled thread; nodes 0 and 1 never noticed */
    struct tasvir_stats s0, s2;
    tasvir_node_stats(h.node[0], &s0);
    tasvir_node_stats(h.node[2], &s2);
    cr_assert(eq(u64, s0.epochs_ok, 20));
    cr_assert(eq(u64, s0.epochs_failed, 0));
    cr_assert(eq(u64, s0.threads_excluded, 0));
    cr_assert(ge(u64, s2.epochs_failed, 8));
    cr_assert(eq(u64, s2.threads_excluded, 1));
    cr_assert(lt(u64, tasvir_area_version(a[2]), 20));
    /* names are testbed-wide (root directory): node 0 can attach node 1's area, read-only */
    struct tasvir_area *x;
    cr_assert(eq(int, tasvir_area_lookup(h.node[0], "area1"), 1));
    cr_assert(eq(int, tasvir_area_attach(t[0], "area1", &x), 0));
    cr_assert(eq(ptr, tasvir_area_writer(x), NULL));
    cr_assert(eq(int, tasvir_log(x, tasvir_area_writer(a[1]), 8), TASVIR_ENOTOWNER));
    /* a thread of node 0 cannot log into node 1's area through node 1's handle */
    cr_assert(eq(int, tasvir_log_checked(t[0], a[1], tasvir_area_writer(a[1]), 8), TASVIR_ENOTOWNER));
    h_net_destroy(&h);
}

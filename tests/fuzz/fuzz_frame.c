/*
 * fuzz_frame.c — fuzz target for the receive path: every input is delivered as a frame to
 * a node that owns an area and replicates another (so DATA, VEND, ACK, NACK, HB and CTRL all
 * reach real state), then the node is polled so complete versions get published.
 *
 * Built two ways: with clang -fsanitize=fuzzer (libFuzzer drives LLVMFuzzerTestOneInput),
 * and as fuzz_frame_replay with replay_main.c, which runs the seed corpus in CTest.
 * Test code: the file-scope state below is the fuzzer's, not the core's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/core/internal.h"
#include "tasvir/loop.h"

static struct tasvir_loop_net *g_net;
static struct tasvir_node *g_node[2];
static struct tasvir_thread *g_thr[2];
static struct tasvir_area *g_owned, *g_replica;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void setup(void)
{
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.start_ns = 1000000000ull;
    if (tasvir_loop_net_create(&lc, &g_net))
        abort();
    struct tasvir_peer peers[2];
    for (uint16_t i = 0; i < 2; i++) {
        peers[i].node_id = i;
        tasvir_loop_mac(i, peers[i].mac);
    }
    for (uint16_t i = 0; i < 2; i++) {
        struct tasvir_loop_port *p;
        if (tasvir_loop_port_create(g_net, i, &p))
            abort();
        struct tasvir_node_conf c;
        tasvir_node_conf_init(&c);
        c.backend = tasvir_loop_port_backend(p);
        c.peers = peers;
        c.n_peers = 2;
        c.hb_period_us = 1000;
        c.dir_entries = 64;
        if (tasvir_node_create(&c, &g_node[i]) || tasvir_thread_register(g_node[i], &g_thr[i]) ||
            tasvir_thread_activate(g_thr[i]))
            abort();
    }
    struct tasvir_area_conf ac;
    tasvir_area_conf_init(&ac);
    ac.name = "fz-owned";
    ac.len_bytes = 4096;
    ac.sync_int_us = 100;
    if (tasvir_area_create(g_thr[1], &ac, &g_owned))
        abort();
    ac.name = "fz-remote";
    if (tasvir_area_create(g_thr[0], &ac, &g_replica))
        abort();
    /* let the directory propagate, then node 1 subscribes to node 0's area */
    struct tasvir_area *r = NULL;
    for (int i = 0; i < 20000 && !r; i++) {
        tasvir_loop_net_advance(g_net, 10000);
        for (int k = 0; k < 2; k++) {
            tasvir_node_poll(g_node[k], NULL);
            tasvir_service(g_thr[k]);
        }
        if (tasvir_area_attach(g_thr[1], "fz-remote", &r) != 0)
            r = NULL;
    }
    if (!r)
        abort();
    g_replica = r;
    for (int i = 0; i < 1000; i++) {
        tasvir_loop_net_advance(g_net, 10000);
        for (int k = 0; k < 2; k++) {
            tasvir_node_poll(g_node[k], NULL);
            tasvir_service(g_thr[k]);
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tasvir_node *n = g_node[1];
    struct tasvir_frame *f;
    if (n->be.ops->frame_alloc(n->be.ctx, &f, 1) != 1)
        return 0;
    size_t len = size < f->cap ? size : f->cap;
    memcpy(f->data, data, len);
    f->len = (uint32_t)len;
    tasvir__esync_rx_frame(n, f, tasvir__now(n));
    /* publish whatever became complete, and keep both nodes alive */
    tasvir_loop_net_advance(g_net, 200000);
    for (int k = 0; k < 2; k++) {
        tasvir_node_poll(g_node[k], NULL);
        tasvir_service(g_thr[k]);
        tasvir_node_poll(g_node[k], NULL);
    }
    /* invariant: the replica's reader copy is only ever changed by whole versions */
    (void)tasvir_area_version(g_replica);
    return 0;
}

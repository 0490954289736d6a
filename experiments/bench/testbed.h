/*
 * testbed.h — a manual-clock loopback testbed of n nodes, one worker thread each, for
 * `tasvir-bench ext` and `tasvir-bench calibrate`.
 *
 * Node 0's backend goes through a capturing decorator (capture.h), off until a round is
 * captured.  Every failure is reported with bench_info under the caller's label (`who`,
 * e.g. "ext: wire mtu 1500 dense"): creating the net, a port, a node or a thread, an
 * attach that fails for another reason than the name not being known yet, and any error
 * (other than -EAGAIN, an epoch in progress) that a step's polls and check-ins return.
 */
#ifndef TASVIR_BENCH_TESTBED_H
#define TASVIR_BENCH_TESTBED_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"

struct bench_tb {
    struct tasvir_loop_net *net;
    struct tasvir_loop_port **port;
    struct tasvir_node **node;
    struct tasvir_thread **t;
    unsigned n;
    struct bench_cap cap0; /* node 0's backend */
    int err;               /* the first error a step or an attach met (0: none) */
    unsigned err_node;     /* the node it came from */
    const char *who;       /* the caller's label, for messages */
};

/* Create n nodes (MTU mtu, unicast or multicast, the net's fault generator seeded with
 * seed), each with an active thread; heartbeats every 1 ms.  Returns 0, or -1 (said why;
 * bench_tb_destroy the testbed anyway). */
int bench_tb_create(struct bench_tb *b, const char *who, unsigned n, uint32_t mtu,
                    bool multicast, uint64_t seed);
/* Destroy what bench_tb_create made (also a zeroed or half-made testbed). */
void bench_tb_destroy(struct bench_tb *b);
/* Advance the clock by dt, then poll the engines, check in the threads, poll again. */
void bench_tb_step(struct bench_tb *b, uint64_t dt);
/* Attach node i's thread to `name` if it is not yet (*rd NULL); returns whether *rd is
 * set.  An error other than -ENOENT is kept in b->err (see bench_tb_failed). */
bool bench_tb_attach(struct bench_tb *b, unsigned i, const char *name, struct tasvir_area **rd);
/* Whether a step or an attach failed; says so, with `what` (the case) after the label. */
bool bench_tb_failed(const struct bench_tb *b, const char *what);

/* One version of a 1 MiB area, from node 0 to node 1 of a two-node testbed, captured:
 * node 1 attaches, every stride-th line is written, the version is published internally,
 * the owner's next external round is captured (its poll timed), and the captured frames
 * are fed into node 1's receive path (timed), which must then publish the owner's bytes. */
struct bench_tb_version {
    uint64_t lines;            /* lines written */
    struct bench_cap_round rd; /* the owner's round: its poll, data frames and payload */
    uint64_t data_n, data_bytes, vend_n, vend_bytes; /* DATA and VEND frames captured */
    uint64_t replay_ticks;     /* node 1's receive path, all captured frames */
    unsigned replayed;         /* frames fed (all captured) */
};
/* Returns 0, or -1 (said why, with `what`). */
int bench_tb_version(const char *who, const char *what, uint32_t mtu, uint64_t seed,
                     unsigned stride, uint64_t salt, struct bench_tb_version *out);

#endif

/*
 * capture.h — a capturing decorator over a backend, for timing one external round.
 *
 * While `on`, frames the core transmits are kept as they are (not copied, not delivered),
 * so a timed poll of the owner costs what the core spends building its frames plus the
 * inner backend's allocation.  bench_cap_round drives the owner to its next external round
 * and times the poll that built it; bench_cap_replay feeds the captured frames straight
 * into a subscriber's receive path and times that.  Used by the loopback testbed
 * (testbed.h, bench_tb_version) of `tasvir-bench ext` (wire figures) and `tasvir-bench
 * calibrate` (encode and decode costs).
 */
#ifndef TASVIR_BENCH_CAPTURE_H
#define TASVIR_BENCH_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <tasvir/backend.h>
#include <tasvir/loop.h>
#include <tasvir/tasvir.h>

struct bench_cap {
    const struct tasvir_backend *inner;
    struct tasvir_backend be; /* give this to the node instead of inner */
    struct tasvir_backend_ops ops;
    bool on;
    struct tasvir_frame **frames; /* captured frames, still owned (not copied) */
    uint32_t n, cap;
};

void bench_cap_init(struct bench_cap *c, const struct tasvir_backend *inner);
/* Return the captured frames to the inner backend (the buffer stays). */
void bench_cap_release(struct bench_cap *c);
/* Release and free the buffer. */
void bench_cap_fini(struct bench_cap *c);

struct bench_cap_round {
    uint64_t poll_ticks;  /* bench_ticks of the owner's poll that sent the round */
    uint64_t data_frames; /* data frames the core counted for it (stats delta) */
    uint64_t payload;     /* their payload bytes (stats delta) */
};

/* Capture the owner's next external round: advance `net` by step_ns at a time (at most
 * 2000 steps), polling `owner` and checking in `t` between polls, until the owner sends
 * data frames.  Returns 0, or -1 if no round came. */
int bench_cap_round(struct bench_cap *c, struct tasvir_loop_net *net, struct tasvir_node *owner,
                    struct tasvir_thread *t, uint64_t step_ns, struct bench_cap_round *out);

/* Copy every captured frame into frames of `sub`'s backend and feed them to its receive
 * path at its current time.  *got: frames fed (fewer than captured if allocation failed).
 * Returns the bench_ticks spent in the receive path. */
uint64_t bench_cap_replay(const struct bench_cap *c, struct tasvir_node *sub, unsigned *got);

#endif

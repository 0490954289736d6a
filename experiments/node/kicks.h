/*
 * kicks.h — how the threads of a node sleep when their CPUs are shared (relax = sleep):
 * futex waits, woken by the core's scheduling hints (backend kick) or a timeout.
 *
 * tasvir-node uses it for its engine and workers; `tasvir-bench calibrate` builds a node of
 * the same shape from it to measure what a context switch costs there (sleep_wake_ns), and
 * tasvir-sim's --relax=sleep models the same rules (sim/tasvir-agents.cc).  Header only.
 *
 *  - kick(EPOCH | DONE | ENGINE) bumps that word and wakes every thread waiting on it;
 *  - a worker with nothing due waits on `epoch` (until its next step is due);
 *  - a worker inside an epoch (between two -EAGAIN of tasvir_service_wait) waits on `done`,
 *    at most TNODE_DONE_WAIT_NS (the engine copies alone meanwhile);
 *  - the engine sleeps as tnode_engine_sleep_ns() says, on `engine`.
 * Every wait is bounded: a missed hint costs a timeout, never a hang.
 */
#ifndef TASVIR_NODE_KICKS_H
#define TASVIR_NODE_KICKS_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tasvir/backend.h"

/* The idle engine sleeps this long between polls by default (the port must still be
 * polled; a testbed file's idle_sleep_us sets it). */
#define TNODE_IDLE_SLEEP_NS 20000ull
/* A worker inside an epoch waits at most this long for its end before checking again. */
#define TNODE_DONE_WAIT_NS 100000ull

struct tnode_kicks {
    _Alignas(64) _Atomic uint32_t epoch; /* an epoch started */
    _Alignas(64) _Atomic uint32_t done;  /* an epoch ended */
    _Alignas(64) _Atomic uint32_t engine; /* the engine has work (last arrival, ...) */
};

/* Wait until *w is no longer `seen`, a wake, or timeout_ns. */
static inline void tnode_futex_wait(_Atomic uint32_t *w, uint32_t seen, uint64_t timeout_ns)
{
    struct timespec ts = {(time_t)(timeout_ns / 1000000000ull), (long)(timeout_ns % 1000000000ull)};
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static inline void tnode_kick(struct tnode_kicks *k, enum tasvir_kick what)
{
    _Atomic uint32_t *w = what == TASVIR_KICK_EPOCH  ? &k->epoch
                          : what == TASVIR_KICK_DONE ? &k->done
                                                     : &k->engine;
    atomic_fetch_add_explicit(w, 1, memory_order_release);
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* A worker between two -EAGAIN of tasvir_service_wait: wait for the epoch's end. */
static inline void tnode_wait_done(struct tnode_kicks *k)
{
    tnode_futex_wait(&k->done, atomic_load_explicit(&k->done, memory_order_acquire),
                     TNODE_DONE_WAIT_NS);
}

/*
 * After a poll that returned rc and next (the core's deadline, node clock) at now: how long
 * the engine sleeps on `engine` (0: poll again at once).  During an epoch's check-in phase
 * (-EAGAIN with a deadline ahead) until the deadline: the workers must run to check in, and
 * the last one to arrive kicks the engine; with nothing due within idle_ns, that
 * long; a nearer deadline is waited for by polling.
 */
static inline uint64_t tnode_engine_sleep_ns(int rc, uint64_t now, uint64_t next,
                                             uint64_t idle_ns)
{
    if (rc == -EAGAIN && next > now)
        return next - now;
    if (next > now + idle_ns)
        return idle_ns;
    return 0;
}

#endif /* TASVIR_NODE_KICKS_H */

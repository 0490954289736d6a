/*
 * tscclock.h — nanoseconds from the CPU's time-stamp counter, anchored to CLOCK_MONOTONIC,
 * for the backends whose clock may be the TSC (DPDK; the loopback backend's real clock).
 * Internal to the backends: not installed.
 *
 * ns = base_ns + ((tsc - base_tsc) * mult) >> 32, with mult = 2^32 * 1e9 / tsc_hz: one
 * multiplication per reading.  The reading is not serialized (no fence before it), as
 * DPDK's rte_get_tsc_cycles: a fence would wait for every earlier load, which after an
 * epoch's copy costs more than the read itself.  So a thread may read, by up to the
 * length of its out-of-order window, earlier than an event it has just observed on another
 * CPU; the core takes differences of such times saturated at zero (tasvir__elapsed).
 */
#ifndef TASVIR_BACKENDS_TSCCLOCK_H
#define TASVIR_BACKENDS_TSCCLOCK_H

#include <stdint.h>
#include <time.h>

struct tasvir_tscclock {
    uint64_t hz;       /* TSC ticks per second */
    uint64_t base_tsc; /* the TSC at base_ns */
    uint64_t base_ns;  /* CLOCK_MONOTONIC at the anchor */
    uint64_t mult;     /* 2^32 ns per tick */
};

static inline uint64_t tasvir_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Set c up for a TSC of hz ticks per second (> 0), anchored by reading the TSC (read_tsc)
 * on both sides of a CLOCK_MONOTONIC reading. */
static inline void tasvir_tscclock_init(struct tasvir_tscclock *c, uint64_t hz,
                                        uint64_t (*read_tsc)(void))
{
    c->hz = hz ? hz : 1;
    __extension__ unsigned __int128 m = ((unsigned __int128)1000000000ull << 32) / c->hz;
    c->mult = (uint64_t)m;
    uint64_t t0 = read_tsc();
    uint64_t ns = tasvir_mono_ns();
    uint64_t t1 = read_tsc();
    c->base_tsc = t0 + (t1 - t0) / 2;
    c->base_ns = ns;
}

/* The time of TSC reading tsc, in CLOCK_MONOTONIC's ns (base_ns for a reading before the
 * anchor, which another CPU's TSC may give just after it). */
static inline uint64_t tasvir_tscclock_ns(const struct tasvir_tscclock *c, uint64_t tsc)
{
    uint64_t d = tsc > c->base_tsc ? tsc - c->base_tsc : 0;
    __extension__ unsigned __int128 x = (unsigned __int128)d * c->mult;
    return c->base_ns + (uint64_t)(x >> 32);
}

#endif

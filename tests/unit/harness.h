/*
 * harness.h — helpers shared by the unit tests: loopback nets with N nodes, driving epochs
 * by hand on the manual clock, and line stamps (version + checksum) for torn-read checks.
 */
#ifndef TASVIR_TEST_HARNESS_H
#define TASVIR_TEST_HARNESS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasvir/loop.h"
#include "tasvir/tasvir.h"

#define H_MAX_NODES 16

struct h_net {
    struct tasvir_loop_net *net;
    struct tasvir_loop_port *port[H_MAX_NODES];
    struct tasvir_node *node[H_MAX_NODES];
    unsigned n;
};

/* Create n nodes (ids 0..n-1) on one loop net; conf_fn may adjust each node's conf. */
static inline int h_net_create(struct h_net *h, unsigned n, int real_clock, uint64_t seed,
                               void (*conf_fn)(struct tasvir_node_conf *, unsigned))
{
    memset(h, 0, sizeof(*h));
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.real_clock = real_clock;
    lc.seed = seed;
    lc.start_ns = 1000000000ull;
    int rc = tasvir_loop_net_create(&lc, &h->net);
    if (rc)
        return rc;
    h->n = n;
    struct tasvir_peer peers[H_MAX_NODES];
    for (unsigned i = 0; i < n; i++) {
        peers[i].node_id = (uint16_t)i;
        tasvir_loop_mac((uint16_t)i, peers[i].mac);
    }
    for (unsigned i = 0; i < n; i++) {
        if ((rc = tasvir_loop_port_create(h->net, (uint16_t)i, &h->port[i])))
            return rc;
        struct tasvir_node_conf c;
        tasvir_node_conf_init(&c);
        c.backend = tasvir_loop_port_backend(h->port[i]);
        c.peers = peers;
        c.n_peers = n;
        if (conf_fn)
            conf_fn(&c, i);
        if ((rc = tasvir_node_create(&c, &h->node[i])))
            return rc;
    }
    return 0;
}

static inline void h_net_destroy(struct h_net *h)
{
    for (unsigned i = 0; i < h->n; i++)
        tasvir_node_destroy(h->node[i]);
    tasvir_loop_net_destroy(h->net);
}

/* Register and activate a thread (single-threaded driver: no epoch can be running). */
static inline struct tasvir_thread *h_thread(struct tasvir_node *n)
{
    struct tasvir_thread *t = NULL;
    if (tasvir_thread_register(n, &t) || tasvir_thread_activate(t))
        return NULL;
    return t;
}

static inline struct tasvir_area *h_area(struct tasvir_thread *t, const char *name,
                                         uint64_t len, uint64_t int_us)
{
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.name = name;
    c.len_bytes = len;
    c.sync_int_us = int_us;
    struct tasvir_area *a = NULL;
    return tasvir_area_create(t, &c, &a) ? NULL : a;
}

/* Drive node n's engine and the given threads until no epoch is in progress.
 * Returns the number of poll rounds, or -1 if it did not settle in `max` rounds. */
static inline int h_settle(struct tasvir_node *n, struct tasvir_thread **ts, unsigned nt, int max)
{
    for (int r = 0; r < max; r++) {
        int busy = tasvir_node_poll(n, NULL) == -EAGAIN;
        for (unsigned i = 0; i < nt; i++)
            if (ts[i] && tasvir_service(ts[i]) == -EAGAIN)
                busy = 1;
        if (!busy && tasvir_node_poll(n, NULL) != -EAGAIN)
            return r;
    }
    return -1;
}

/* Line stamps: word 0 = version, word 7 = checksum of (version, line index, words 1..6). */
static inline uint64_t h_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static inline void h_stamp(void *line, uint64_t ver, uint64_t idx)
{
    uint64_t *w = line;
    w[0] = ver;
    uint64_t sum = h_mix(ver ^ (idx << 40));
    for (int i = 1; i < 7; i++) {
        w[i] = h_mix(ver * 7 + idx * 13 + (uint64_t)i);
        sum ^= w[i];
    }
    w[7] = sum;
}

/* Returns the version stamped into the line, or UINT64_MAX if the line is torn/corrupt.
 * An all-zero line is version 0. */
static inline uint64_t h_check(const void *line, uint64_t idx)
{
    const uint64_t *w = line;
    uint64_t ver = w[0];
    if (ver == 0) {
        for (int i = 1; i < 8; i++)
            if (w[i])
                return UINT64_MAX;
        return 0;
    }
    uint64_t sum = h_mix(ver ^ (idx << 40));
    for (int i = 1; i < 7; i++) {
        if (w[i] != h_mix(ver * 7 + idx * 13 + (uint64_t)i))
            return UINT64_MAX;
        sum ^= w[i];
    }
    return sum == w[7] ? ver : UINT64_MAX;
}

#endif

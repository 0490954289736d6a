/*
 * testbed.c — the manual-clock loopback testbed of `tasvir-bench ext` and `calibrate`
 * (testbed.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/core/internal.h"
#include "bench.h"
#include "testbed.h"

#define MS 1000000ull

int bench_tb_create(struct bench_tb *b, const char *who, unsigned n, uint32_t mtu,
                    bool multicast, uint64_t seed)
{
    memset(b, 0, sizeof(*b));
    b->who = who;
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.mtu = mtu;
    lc.seed = seed;
    lc.start_ns = 1000 * MS;
    lc.rx_queue_max = 1u << 20;
    struct tasvir_peer *peers = calloc(n, sizeof(*peers));
    b->port = calloc(n, sizeof(*b->port));
    b->node = calloc(n, sizeof(*b->node));
    b->t = calloc(n, sizeof(*b->t));
    if (!peers || !b->port || !b->node || !b->t) {
        bench_info("%s: out of memory for a testbed of %u nodes", who, n);
        free(peers);
        return -1;
    }
    int rc = tasvir_loop_net_create(&lc, &b->net);
    if (rc) {
        bench_info("%s: cannot create the loopback net (MTU %u): %s", who, mtu,
                   tasvir_strerror(rc));
        free(peers);
        return -1;
    }
    b->n = n;
    for (unsigned i = 0; i < n; i++) {
        peers[i].node_id = (uint16_t)i;
        tasvir_loop_mac((uint16_t)i, peers[i].mac);
    }
    for (unsigned i = 0; i < n; i++) {
        if ((rc = tasvir_loop_port_create(b->net, (uint16_t)i, &b->port[i]))) {
            bench_info("%s: cannot create the loopback port of node %u: %s", who, i,
                       tasvir_strerror(rc));
            break;
        }
        struct tasvir_node_conf c;
        tasvir_node_conf_init(&c);
        c.backend = tasvir_loop_port_backend(b->port[i]);
        if (i == 0) {
            bench_cap_init(&b->cap0, c.backend);
            c.backend = &b->cap0.be;
        }
        c.peers = peers;
        c.n_peers = n;
        c.hb_period_us = 1000;
        /* bench_cap_round polls only the owner, for up to 20 ms: its subscriber must not be
         * declared down meanwhile (an owner does not serve subscribers it declared down) */
        c.down_after_hb = 1000;
        c.addressing = multicast ? TASVIR_ADDR_MULTICAST : TASVIR_ADDR_UNICAST;
        c.max_deferred = 1u << 16;
        if ((rc = tasvir_node_create(&c, &b->node[i]))) {
            bench_info("%s: cannot create node %u of %u: %s", who, i, n, tasvir_strerror(rc));
            break;
        }
        if (!(b->t[i] = bench_thread(b->node[i]))) { /* said why */
            rc = -1;
            break;
        }
    }
    free(peers);
    return rc ? -1 : 0;
}

void bench_tb_destroy(struct bench_tb *b)
{
    bench_cap_fini(&b->cap0); /* captured frames go back to the net before it goes */
    for (unsigned i = 0; b->node && i < b->n; i++)
        tasvir_node_destroy(b->node[i]);
    if (b->net)
        tasvir_loop_net_destroy(b->net);
    free(b->port);
    free(b->node);
    free(b->t);
    memset(b, 0, sizeof(*b));
}

/* Keep the first error (-EAGAIN, an epoch in progress, is none). */
static void tb_note(struct bench_tb *b, unsigned i, int rc)
{
    if (rc < 0 && rc != -EAGAIN && !b->err) {
        b->err = rc;
        b->err_node = i;
    }
}

void bench_tb_step(struct bench_tb *b, uint64_t dt)
{
    tasvir_loop_net_advance(b->net, dt);
    for (unsigned i = 0; i < b->n; i++)
        tb_note(b, i, tasvir_node_poll(b->node[i], NULL));
    for (unsigned i = 0; i < b->n; i++)
        tb_note(b, i, tasvir_service(b->t[i]));
    for (unsigned i = 0; i < b->n; i++)
        tb_note(b, i, tasvir_node_poll(b->node[i], NULL));
}

bool bench_tb_attach(struct bench_tb *b, unsigned i, const char *name, struct tasvir_area **rd)
{
    if (*rd)
        return true;
    int rc = tasvir_area_attach(b->t[i], name, rd);
    if (rc) {
        *rd = NULL;
        if (rc != -ENOENT)
            tb_note(b, i, rc);
    }
    return *rd != NULL;
}

bool bench_tb_failed(const struct bench_tb *b, const char *what)
{
    if (!b->err)
        return false;
    bench_info("%s: %s: node %u: %s", b->who, what, b->err_node, tasvir_strerror(b->err));
    return true;
}

/* bench_tb_version's work on a created testbed; returns 0 or -1 (said why). */
static int version_on(struct bench_tb *b, const char *what, unsigned stride, uint64_t salt,
                      struct bench_tb_version *out)
{
    const uint64_t len = 1 << 20, lines = len / 64;
    const char *who = b->who;
    struct tasvir_area *a = bench_area(b->t[0], "tb-version", len, 100); /* said why */
    if (!a)
        return -1;
    tasvir_area_set_sync(a, 0, 10000);
    struct tasvir_area *rd = NULL;
    for (int i = 0; i < 100000 && !b->err && !bench_tb_attach(b, 1, "tb-version", &rd); i++)
        bench_tb_step(b, 10000);
    for (int i = 0; i < 3000 && rd; i++) /* subscribed, version 0 settled */
        bench_tb_step(b, 10000);
    if (bench_tb_failed(b, what))
        return -1;
    if (!rd) {
        bench_info("%s: %s: the subscriber never attached", who, what);
        return -1;
    }
    uint8_t *w = tasvir_area_writer(a);
    out->lines = 0;
    for (uint64_t l = 0; l < lines; l += stride, out->lines++) {
        memset(w + l * 64, (int)(l * 7 + salt), 64);
        int rc = tasvir_log(a, w + l * 64, 64);
        if (rc < 0) {
            bench_info("%s: %s: tasvir_log: %s", who, what, tasvir_strerror(rc));
            return -1;
        }
    }
    for (int i = 0; i < 20; i++) /* published internally, the external round not due yet */
        bench_tb_step(b, 10000);
    if (bench_cap_round(&b->cap0, b->net, b->node[0], b->t[0], 10000, &out->rd)) {
        bench_info("%s: %s: no external round captured", who, what);
        return -1;
    }
    out->data_n = out->data_bytes = out->vend_n = out->vend_bytes = 0;
    for (uint32_t i = 0; i < b->cap0.n; i++) {
        const struct tasvir_frame *f = b->cap0.frames[i];
        if (f->data[15] == TASVIR_FT_DATA) {
            out->data_n++;
            out->data_bytes += f->len;
        } else if (f->data[15] == TASVIR_FT_VEND) {
            out->vend_n++;
            out->vend_bytes += f->len;
        }
    }
    if (!out->data_n) {
        bench_info("%s: %s: no DATA frame among the %u captured", who, what, b->cap0.n);
        return -1;
    }
    out->replay_ticks = bench_cap_replay(&b->cap0, b->node[1], &out->replayed);
    if (out->replayed != b->cap0.n) {
        bench_info("%s: %s: could allocate only %u of the %u frames to replay", who, what,
                   out->replayed, b->cap0.n);
        return -1;
    }
    /* the subscriber must publish exactly the owner's contents */
    for (int i = 0; i < 100; i++)
        bench_tb_step(b, 10000);
    if (bench_tb_failed(b, what))
        return -1;
    if (memcmp(tasvir_area_reader(rd), tasvir_area_reader(a), len) != 0) {
        bench_info("%s: %s: the subscriber's contents differ from the owner's", who, what);
        return -1;
    }
    return 0;
}

int bench_tb_version(const char *who, const char *what, uint32_t mtu, uint64_t seed,
                     unsigned stride, uint64_t salt, struct bench_tb_version *out)
{
    struct bench_tb b;
    int rc = bench_tb_create(&b, who, 2, mtu, false, seed);
    if (!rc)
        rc = version_on(&b, what, stride, salt, out);
    bench_tb_destroy(&b);
    return rc;
}

/*
 * make_seeds.c — writes the fuzz seed corpus: real frames captured (with the loop
 * backend's tap) from a short 2-node run, a few of each frame type, as delivered to node 1.
 * Usage: make_seeds OUT_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasvir/loop.h"
#include "tasvir/tasvir.h"

struct cap {
    const char *dir;
    int per_type[8];
    int total;
};

static void tap(void *arg, uint16_t src, uint16_t dst, const uint8_t *f, uint32_t len)
{
    (void)src;
    struct cap *c = arg;
    if (dst != 1 || len < 16)
        return;
    unsigned type = f[15] < 8 ? f[15] : 0;
    if (c->per_type[type] >= 4)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/type%u-%d.bin", c->dir, type, c->per_type[type]);
    FILE *o = fopen(path, "wb");
    if (!o)
        return;
    fwrite(f, 1, len, o);
    fclose(o);
    c->per_type[type]++;
    c->total++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds OUT_DIR\n");
        return 2;
    }
    struct cap c = {.dir = argv[1]};
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.start_ns = 1000000000ull;
    struct tasvir_loop_net *net;
    if (tasvir_loop_net_create(&lc, &net))
        return 1;
    tasvir_loop_net_set_tap(net, tap, &c);
    struct tasvir_peer peers[2];
    struct tasvir_node *node[2];
    struct tasvir_thread *t[2];
    for (uint16_t i = 0; i < 2; i++) {
        peers[i].node_id = i;
        tasvir_loop_mac(i, peers[i].mac);
    }
    for (uint16_t i = 0; i < 2; i++) {
        struct tasvir_loop_port *p;
        struct tasvir_node_conf nc;
        tasvir_loop_port_create(net, i, &p);
        tasvir_node_conf_init(&nc);
        nc.backend = tasvir_loop_port_backend(p);
        nc.peers = peers;
        nc.n_peers = 2;
        nc.hb_period_us = 1000;
        nc.dir_entries = 64;
        if (tasvir_node_create(&nc, &node[i]) || tasvir_thread_register(node[i], &t[i]) ||
            tasvir_thread_activate(t[i]))
            return 1;
    }
    struct tasvir_area_conf ac;
    tasvir_area_conf_init(&ac);
    ac.name = "fz-remote";
    ac.len_bytes = 4096;
    ac.sync_int_us = 100;
    struct tasvir_area *a, *r = NULL;
    if (tasvir_area_create(t[0], &ac, &a))
        return 1;
    uint8_t *w = tasvir_area_writer(a);
    for (int step = 0; step < 5000; step++) {
        tasvir_loop_net_advance(net, 10000);
        for (int k = 0; k < 2; k++)
            tasvir_node_poll(node[k], NULL);
        if (!r && tasvir_area_attach(t[1], "fz-remote", &r) != 0)
            r = NULL;
        if (tasvir_service(t[0]) == 0 && step % 7 == 0) {
            int line = step % 64;
            memset(w + line * 64, step & 0xff, 64);
            tasvir_log(a, w + line * 64, 64);
        }
        tasvir_service(t[1]);
    }
    printf("wrote %d seed frames to %s\n", c.total, c.dir);
    for (int k = 0; k < 2; k++)
        tasvir_node_destroy(node[k]);
    tasvir_loop_net_destroy(net);
    return c.total ? 0 : 1;
}

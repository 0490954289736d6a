/*
 * repro_restart_hb.c — reproduction of a core bug (not a CTest test: it fails until the
 * core is fixed; build target tasvir-repro-restart-hb, run it directly).
 *
 * A restarted node (new incarnation) whose port receives a heartbeat from an owner before
 * its engine first polls never subscribes to that owner's areas: the owner still lists
 * the previous incarnation as a subscriber, its heartbeat announces the area to the new
 * incarnation, which takes the listing as a confirmed subscription (rx->have_data, set in
 * tasvir__member_rx) and so never sends its SUB; when the owner then learns the new
 * incarnation it drops the old subscription (tasvir__member_incarnation ->
 * owner_del_sub), and nothing is ever sent again.  With the root directory's owner this
 * means the restarted node can attach to nothing.
 *
 * On DPDK the window is real: a process opens its port, waits for the link and creates
 * its node before the engine's first poll (tens of ms with af_packet; heartbeats every
 * 20 ms in the local testbeds).  tasvir-node drains its port before the first poll to
 * close the window; the core fix would be to accept a heartbeat listing as confirmation
 * only for the incarnation it was meant for (e.g. the owner puts the subscriber's
 * incarnation in the heartbeat) or only after this incarnation has sent a SUB.
 *
 * Loop backend, manual clock: nodes 0 (root, owner of the area), 1 and 2 (readers); node
 * 2 dies, its port drops everything while it is gone; the port comes back gap_us before
 * the new node 2 exists.  With gap >= one heartbeat period (1 ms here) the new node never
 * attaches.  Expected output today: "NO" for the 2000 us gaps.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include "world.h"
#define US 1000ull
#define MS 1000000ull
static void conf_hb(struct tasvir_node_conf *c, unsigned i) { (void)i; c->hb_period_us = 1000; c->down_after_hb = 5; }

static void others_run(struct world *w, unsigned k, uint64_t ns)
{
    for (uint64_t t = 0; t < ns; t += w->dt_ns) {
        tasvir_loop_net_advance(w->h.net, w->dt_ns);
        for (unsigned i = 0; i < w->n; i++) {
            if (i == k) continue;
            tasvir_node_poll(w->h.node[i], NULL);
            tasvir_service(w->t[i]);
        }
    }
}

/* Node k dies (its port drops everything while it is gone), stays away down_ns, then
 * its port comes back gap_ns before the new incarnation's node exists (a DPDK process
 * opens its port, waits for the link and allocates before its engine first polls). */
static void restart(struct world *w, unsigned k, uint64_t down_ns, uint64_t gap_ns)
{
    tasvir_loop_port_set_down(w->h.port[k], 1);
    tasvir_node_destroy(w->h.node[k]);
    w->attached[k] = false;
    others_run(w, k, down_ns);
    tasvir_loop_port_set_down(w->h.port[k], 0);
    others_run(w, k, gap_ns);
    struct tasvir_node_conf c;
    tasvir_node_conf_init(&c);
    struct tasvir_peer peers[W_MAX];
    for (uint16_t i = 0; i < w->n; i++) { peers[i].node_id = i; tasvir_loop_mac(i, peers[i].mac); }
    c.backend = tasvir_loop_port_backend(w->h.port[k]);
    c.peers = peers;
    c.n_peers = w->n;
    conf_hb(&c, k);
    cr_assert(eq(int, tasvir_node_create(&c, &w->h.node[k]), 0));
    w->t[k] = h_thread(w->h.node[k]);
    memset(&w->rd[k], 0, sizeof(w->rd[k]));
}

static void scenario(uint64_t down_ms, uint64_t gap_us, uint64_t seed)
{
    struct world w;
    /* node 0 (root) owns the area; 1 and 2 read it */
    w_init(&w, 3, 0, 64, 100, 1000, seed, conf_hb);
    w_attach_all(&w, 100 * MS);
    w.writing = true;
    w_run(&w, 10 * MS);
    w.writing = false;
    w_run(&w, 200 * US);
    cr_assert(ne(u64, w_converge(&w, 20 * MS), UINT64_MAX));
    w_run(&w, 50 * MS); /* everything idle */
    restart(&w, 2, down_ms * MS, gap_us * US);
    uint64_t t = 0;
    for (; t < 500 * MS && !w.attached[2]; t += w.dt_ns) {
        w_step(&w);
        if (!w.attached[2])
            w_attach(&w, 2);
    }
    cr_log_info("down %llu ms, port up %llu us before the node: attached after %llu ms: %s",
                (unsigned long long)down_ms, (unsigned long long)gap_us, (unsigned long long)(t / MS),
                w.attached[2] ? "yes" : "NO (root directory never arrived)");
    cr_expect(w.attached[2], "down %llu ms, gap %llu us: the restarted node never got the root directory",
              (unsigned long long)down_ms, (unsigned long long)gap_us);
    w_fini(&w);
}

Test(repro, restart_after_down)
{
    uint64_t downs[] = {0, 10, 100};
    uint64_t gaps[] = {0, 500, 2000};
    for (unsigned i = 0; i < 3; i++)
        for (unsigned g = 0; g < 3; g++)
            scenario(downs[i], gaps[g], 1);
}

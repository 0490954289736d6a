/*
 * test_misuse.c — API misuse gets a clear error, never a crash.
 *
 * Covers: NULL and wrong handles, bad node configurations (an MTU above the backend's)
 * and incomplete backends, attaching unknown or invalid names, zero / absurd / too-long
 * sizes and names, duplicate names, limits on threads and areas, operations on inactive
 * threads, use after destroy (areas, handles, threads) where detectable, owner-only
 * operations through reader handles, and tasvir_strerror for every code.  Also: a handle
 * destroyed more than 1024 destroys ago is still reported (TASVIR_EDESTROYED); area ids
 * stay unique and out of the reserved 0..15 after 65 536 creations; intervals whose ns
 * value would wrap are refused (area create, set_sync, node defaults).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "harness.h"

Test(misuse, node_conf_errors)
{
    struct tasvir_node *n = NULL;
    struct tasvir_node_conf c;
    cr_assert(eq(int, tasvir_node_conf_init(NULL), -EINVAL));
    cr_assert(eq(int, tasvir_node_create(NULL, &n), -EINVAL));
    tasvir_node_conf_init(&c);
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "no backend");
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    struct tasvir_loop_net *net;
    struct tasvir_loop_port *p;
    cr_assert(eq(int, tasvir_loop_net_create(&lc, &net), 0));
    cr_assert(eq(int, tasvir_loop_port_create(net, 0, &p), 0));
    c.backend = tasvir_loop_port_backend(p);
    cr_assert(eq(int, tasvir_node_create(&c, NULL), -EINVAL));
    c.epoch_window_ns = 0;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "zero window");
    tasvir_node_conf_init(&c);
    c.backend = tasvir_loop_port_backend(p);
    c.max_threads = 0;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL));
    /* an ops table missing a required operation */
    struct tasvir_backend_ops ops = *tasvir_loop_port_backend(p)->ops;
    ops.rx_burst = NULL;
    struct tasvir_backend be = {&ops, tasvir_loop_port_backend(p)->ctx};
    tasvir_node_conf_init(&c);
    c.backend = &be;
    cr_assert(eq(int, tasvir_node_create(&c, &n), TASVIR_EBACKEND));
    /* copy_isa: unknown values; AVX-512 moves, and VBMI2 listing, only where auto finds
     * them */
    tasvir_node_conf_init(&c);
    c.backend = tasvir_loop_port_backend(p);
    c.copy_isa = 4;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "unknown copy_isa");
    c.copy_isa = -1;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "negative copy_isa");
    c.copy_isa = TASVIR_COPY_AUTO;
    cr_assert(eq(int, tasvir_node_create(&c, &n), 0));
    int isa = tasvir_node_copy_isa(n);
    cr_assert(isa == TASVIR_COPY_AVX512_VBMI2 || isa == TASVIR_COPY_AVX512 ||
              isa == TASVIR_COPY_BASELINE);
    tasvir_node_destroy(n);
    bool wide = isa != TASVIR_COPY_BASELINE, vbmi2 = isa == TASVIR_COPY_AVX512_VBMI2;
    c.copy_isa = TASVIR_COPY_AVX512;
    cr_assert(eq(int, tasvir_node_create(&c, &n), wide ? 0 : -ENOTSUP));
    if (wide) {
        cr_assert(eq(int, tasvir_node_copy_isa(n), TASVIR_COPY_AVX512));
        tasvir_node_destroy(n);
    }
    c.copy_isa = TASVIR_COPY_AVX512_VBMI2;
    cr_assert(eq(int, tasvir_node_create(&c, &n), vbmi2 ? 0 : -ENOTSUP));
    if (vbmi2) {
        cr_assert(eq(int, tasvir_node_copy_isa(n), TASVIR_COPY_AVX512_VBMI2));
        tasvir_node_destroy(n);
    }
    c.copy_isa = TASVIR_COPY_BASELINE;
    cr_assert(eq(int, tasvir_node_create(&c, &n), 0));
    cr_assert(eq(int, tasvir_node_copy_isa(n), TASVIR_COPY_BASELINE));
    tasvir_node_destroy(n);
    /* times the engine adds to its clock, and down_after_hb periods, must fit in ns */
    tasvir_node_conf_init(&c);
    c.backend = tasvir_loop_port_backend(p);
    c.epoch_window_ns = UINT64_MAX;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "epoch window that wraps");
    c.epoch_window_ns = TASVIR_SYNC_MAX_US * 1000;
    c.epoch_retry_ns = TASVIR_SYNC_MAX_US * 1000 + 1;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "epoch retry that wraps");
    c.epoch_retry_ns = 0;
    c.down_after_hb = TASVIR_DOWN_MAX_HB + 1;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "down_after_hb that wraps");
    c.down_after_hb = TASVIR_DOWN_MAX_HB;
    c.hb_period_us = TASVIR_SYNC_MAX_US;
    cr_assert(eq(int, tasvir_node_create(&c, &n), 0));
    tasvir_node_destroy(n);
    /* a node MTU above the backend's (1500: its frames hold no more) */
    tasvir_node_conf_init(&c);
    c.backend = tasvir_loop_port_backend(p);
    c.mtu = 9000;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "mtu above the backend's");
    c.mtu = 1501;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "mtu above the backend's");
    c.mtu = 575;
    cr_assert(eq(int, tasvir_node_create(&c, &n), -EINVAL), "mtu below 576");
    c.mtu = 1500;
    cr_assert(eq(int, tasvir_node_create(&c, &n), 0));
    tasvir_node_destroy(n);
    c.mtu = 1000;
    cr_assert(eq(int, tasvir_node_create(&c, &n), 0));
    tasvir_node_destroy(n);
    tasvir_loop_net_destroy(net);
    /* bad handles to node functions */
    cr_assert(eq(int, tasvir_node_poll(NULL, NULL), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_node_sync_now(NULL), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_node_id(NULL), -1));
    cr_assert(eq(int, tasvir_node_copy_isa(NULL), TASVIR_EBADHANDLE));
    /* copy_isa names, for command lines and testbed files */
    for (int isa = TASVIR_COPY_AUTO; isa <= TASVIR_COPY_AVX512_VBMI2; isa++)
        cr_assert(eq(int, tasvir_copy_isa_from_name(tasvir_copy_isa_name(isa)), isa));
    cr_assert(eq(str, (char *)tasvir_copy_isa_name(TASVIR_COPY_BASELINE), "baseline"));
    cr_assert(eq(str, (char *)tasvir_copy_isa_name(TASVIR_COPY_AVX512_VBMI2), "avx512-vbmi2"));
    cr_assert(eq(ptr, (void *)tasvir_copy_isa_name(4), NULL));
    cr_assert(eq(ptr, (void *)tasvir_copy_isa_name(-1), NULL));
    cr_assert(eq(int, tasvir_copy_isa_from_name(NULL), -EINVAL));
    cr_assert(eq(int, tasvir_copy_isa_from_name(""), -EINVAL));
    cr_assert(eq(int, tasvir_copy_isa_from_name("AVX512"), -EINVAL));
    cr_assert(eq(int, tasvir_copy_isa_from_name("sse"), -EINVAL));
    cr_assert(eq(int, tasvir_node_stats(NULL, NULL), TASVIR_EBADHANDLE));
    tasvir_node_destroy(NULL);
    tasvir_dump(NULL, stdout);
}

Test(misuse, area_create_errors)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area_conf c;
    struct tasvir_area *a = NULL;
    cr_assert(eq(int, tasvir_area_conf_init(NULL), -EINVAL));
    tasvir_area_conf_init(&c);
    c.len_bytes = 4096;
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -EINVAL), "no name");
    c.name = "";
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -EINVAL), "empty name");
    c.name = "with space";
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -EINVAL));
    c.name = "0123456789012345678901234567890123456789"; /* 40 > TASVIR_NAME_MAX */
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -EINVAL));
    c.name = "ok";
    c.len_bytes = 0;
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -EINVAL), "zero size");
    c.len_bytes = (uint64_t)1 << 50;
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -E2BIG), "absurd size");
    c.len_bytes = ((uint64_t)1 << 30) + 1;
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), -E2BIG), "just above max_area_bytes");
    c.len_bytes = 4096;
    cr_assert(eq(int, tasvir_area_create(t, NULL, &a), -EINVAL));
    cr_assert(eq(int, tasvir_area_create(t, &c, NULL), -EINVAL));
    cr_assert(eq(int, tasvir_area_create(NULL, &c, &a), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), 0));
    struct tasvir_area *dup = NULL;
    cr_assert(eq(int, tasvir_area_create(t, &c, &dup), -EEXIST), "duplicate name");
    struct tasvir_thread *t2 = h_thread(h.node[0]);
    cr_assert(eq(int, tasvir_area_create(t2, &c, &dup), -EEXIST), "duplicate from another thread");
    h_net_destroy(&h);
}

Test(misuse, attach_errors)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = NULL;
    cr_assert(eq(int, tasvir_area_attach(t, "nope", &a), -ENOENT));
    cr_assert(eq(int, tasvir_area_attach(t, NULL, &a), -EINVAL));
    cr_assert(eq(int, tasvir_area_attach(t, "bad name", &a), -EINVAL));
    cr_assert(eq(int, tasvir_area_attach(t, "x", NULL), -EINVAL));
    cr_assert(eq(int, tasvir_area_attach(NULL, "x", &a), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_area_lookup(h.node[0], "nope"), 0));
    cr_assert(eq(int, tasvir_area_lookup(h.node[0], ""), -EINVAL));
    cr_assert(eq(int, tasvir_area_lookup(NULL, "x"), TASVIR_EBADHANDLE));
    cr_assert(not(eq(ptr, h_area(t, "x", 64, 1000), NULL)));
    cr_assert(eq(int, tasvir_area_lookup(h.node[0], "x"), 1));
    h_net_destroy(&h);
}

Test(misuse, reader_handles_cannot_do_owner_things)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *own = h_area(t, "x", 4096, 1000), *r = NULL;
    cr_assert(eq(int, tasvir_area_attach(t, "x", &r), 0));
    cr_assert(eq(ptr, tasvir_area_writer(r), NULL));
    cr_assert(not(eq(ptr, (void *)tasvir_area_reader(r), NULL)));
    cr_assert(eq(ptr, (void *)tasvir_area_reader(r), (void *)tasvir_area_reader(own)));
    cr_assert(eq(int, tasvir_area_set_sync(r, 5, 5), TASVIR_ENOTOWNER));
    cr_assert(eq(int, tasvir_area_destroy(r), TASVIR_ENOTOWNER));
    cr_assert(eq(int, tasvir_area_detach(own), -EINVAL), "owner handle is not detached");
    cr_assert(eq(int, tasvir_area_detach(r), 0));
    h_net_destroy(&h);
}

Test(misuse, use_after_destroy_detected)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *own = h_area(t, "x", 4096, 1000), *r = NULL;
    cr_assert(eq(int, tasvir_area_attach(t, "x", &r), 0));
    uint8_t *w = tasvir_area_writer(own);
    cr_assert(eq(int, tasvir_thread_unregister(t), -EBUSY), "still owns an area");
    cr_assert(eq(int, tasvir_area_destroy(own), 0));
    cr_assert(eq(int, tasvir_area_destroy(own), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_log(own, w, 8), TASVIR_EDESTROYED));
    struct tasvir_log_cursor cur; /* a cursor made after the destroy */
    tasvir_log_cursor_init(&cur, own);
    cr_assert(eq(int, tasvir_log_cur(&cur, w, 64), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_area_set_sync(own, 1, 1), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_area_detach(r), TASVIR_EDESTROYED));
    cr_assert(eq(ptr, (void *)tasvir_area_reader(r), NULL));
    cr_assert(eq(ptr, tasvir_area_writer(own), NULL));
    cr_assert(eq(u64, tasvir_area_version(r), 0));
    cr_assert(eq(u64, tasvir_area_len(r), 0));
    cr_assert(eq(ptr, (void *)tasvir_area_name(r), NULL));
    cr_assert(eq(int, tasvir_area_lookup(h.node[0], "x"), 0));
    cr_assert(eq(int, tasvir_area_attach(t, "x", &r), -ENOENT));
    /* the engine reclaims it; the name can be reused */
    tasvir_node_poll(h.node[0], NULL);
    cr_assert(not(eq(ptr, h_area(t, "x", 4096, 1000), NULL)));
    struct tasvir_stats st;
    tasvir_node_stats(h.node[0], &st);
    cr_assert(eq(u64, st.log_misuse, 2)); /* tasvir_log and the cursor */
    h_net_destroy(&h);
}

/* Destroy an area and let the engine reclaim it (an epoch that completes). */
static void destroy_reap(struct h_net *h, struct tasvir_thread *t, struct tasvir_area *a)
{
    cr_assert(eq(int, tasvir_area_destroy(a), 0));
    tasvir_loop_net_advance(h->net, 2000000);
    cr_assert(ge(int, h_settle(h->node[0], &t, 1, 100), 0));
}

/* The node freed dead handles beyond the newest 1024: the first handle, used after 1024
 * more destroys, was freed memory (a heap use-after-free under ASan), which the next
 * handle made could reuse, so that destroying through it destroyed another area. */
Test(misuse, old_destroyed_handle_still_reported)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *first = h_area(t, "first", 64, 1000);
    cr_assert(not(eq(ptr, first, NULL)));
    destroy_reap(&h, t, first);
    for (int i = 0; i < 1024; i++) { /* the last destroy made the 1025th dead handle */
        char name[32];
        snprintf(name, sizeof(name), "a%d", i);
        struct tasvir_area *a = h_area(t, name, 64, 1000);
        cr_assert(not(eq(ptr, a, NULL)), "create %d", i);
        if (i % 64 == 63)
            destroy_reap(&h, t, a);
        else
            cr_assert(eq(int, tasvir_area_destroy(a), 0));
    }
    struct tasvir_area *live = h_area(t, "live", 64, 1000);
    cr_assert(not(eq(ptr, live, NULL)));
    cr_assert(not(eq(ptr, live, first)), "a dead handle's memory was handed out again");
    cr_assert(eq(int, tasvir_area_destroy(first), TASVIR_EDESTROYED));
    cr_assert(eq(u64, tasvir_area_version(first), 0));
    struct tasvir_area_info info;
    cr_assert(eq(int, tasvir_area_info(first, &info), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_area_info(live, &info), 0), "the live area is untouched");
    cr_assert(eq(str, (char *)tasvir_area_name(live), "live"));
    h_net_destroy(&h);
}

/* Area ids were node << 16 | (a counter & 0xffff), never checked: after 65 536 creations
 * a new area took the id of a live one (and of the reserved system ids on the way). */
Test(misuse, area_ids_unique_after_wrap, .timeout = 120)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *keep = h_area(t, "keep", 64, 1000);
    struct tasvir_area_info ik, ib;
    cr_assert(eq(int, tasvir_area_info(keep, &ik), 0));
    cr_assert(ge(u32, ik.id & 0xffffu, 16));
    uint32_t prev = ik.id & 0xffffu;
    for (unsigned i = 0; i < 65535; i++) {
        char name[32];
        snprintf(name, sizeof(name), "c%u", i);
        struct tasvir_area *a = h_area(t, name, 64, 1000);
        cr_assert(not(eq(ptr, a, NULL)), "create %u", i);
        cr_assert(eq(int, tasvir_area_info(a, &ib), 0));
        uint32_t l = ib.id & 0xffffu;
        cr_assert(ge(u32, l, 16), "create %u: reserved id %u", i, l);
        cr_assert(ne(u32, ib.id, ik.id), "create %u: the live area's id", i);
        /* ids go round: the next after the previous, skipping the live one at the wrap */
        cr_assert(eq(u32, l, prev == 0xffffu ? 17u : prev + 1), "create %u: id %u", i, l);
        prev = l;
        if (i % 512 == 511)
            destroy_reap(&h, t, a);
        else
            cr_assert(eq(int, tasvir_area_destroy(a), 0));
    }
    struct tasvir_area *b = h_area(t, "new", 64, 1000);
    cr_assert(not(eq(ptr, b, NULL)));
    cr_assert(eq(int, tasvir_area_info(b, &ib), 0));
    cr_assert(ne(u32, ib.id, ik.id));
    cr_assert(ge(u32, ib.id & 0xffffu, 16));
    h_net_destroy(&h);
}

/* A dying area (destroyed, not yet reclaimed) keeps its id: a new area does not take it. */
Test(misuse, area_id_of_dying_area_not_reused)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 64, 1000), *b;
    struct tasvir_area_info ia, ib;
    cr_assert(eq(int, tasvir_area_info(a, &ia), 0));
    cr_assert(eq(int, tasvir_area_destroy(a), 0));
    b = h_area(t, "b", 64, 1000);
    cr_assert(eq(int, tasvir_area_info(b, &ib), 0));
    cr_assert(eq(u32, ib.id, ia.id + 1), "ids keep increasing");
    h_net_destroy(&h);
}

/* Intervals are kept in ns: 2^61 us set an interval that wrapped to 0 (an epoch at every
 * poll), 2^64/1000 + 1 us one of a few hundred ns; both were accepted. */
static void huge_default(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->sync_int_us = TASVIR_SYNC_MAX_US + 1;
}

Test(misuse, interval_overflow_refused)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = h_thread(h.node[0]);
    struct tasvir_area *a = h_area(t, "a", 4096, 1000);
    uint64_t iv = 0, ev = 0;
    cr_assert(eq(int, tasvir_area_set_sync(a, 1ull << 61, 0), -EINVAL));
    cr_assert(eq(int, tasvir_area_set_sync(a, 5000, TASVIR_SYNC_MAX_US + 1), -EINVAL));
    cr_assert(eq(int, tasvir_area_get_sync(a, &iv, &ev), 0));
    cr_assert(eq(u64, iv, 1000), "unchanged on error");
    cr_assert(eq(u64, ev, 10000));
    cr_assert(eq(int, tasvir_area_set_sync(a, TASVIR_SYNC_MAX_US, TASVIR_SYNC_MAX_US), 0));
    cr_assert(eq(int, tasvir_area_get_sync(a, &iv, &ev), 0));
    cr_assert(eq(u64, iv, TASVIR_SYNC_MAX_US));
    cr_assert(eq(u64, ev, TASVIR_SYNC_MAX_US));
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.name = "b";
    c.len_bytes = 64;
    c.sync_int_us = 18446744073709552ull; /* 2^64 / 1000 + 1: 384 ns after the wrap */
    struct tasvir_area *b = NULL;
    cr_assert(eq(int, tasvir_area_create(t, &c, &b), -EINVAL));
    c.sync_int_us = 0;
    c.sync_ext_us = TASVIR_SYNC_MAX_US + 1;
    cr_assert(eq(int, tasvir_area_create(t, &c, &b), -EINVAL));
    h_net_destroy(&h);
    /* node defaults */
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, huge_default), -EINVAL));
    h_net_destroy(&h);
}

Test(misuse, thread_errors)
{
    struct h_net h;
    struct tasvir_node_conf_fn;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, NULL), 0));
    struct tasvir_thread *t = NULL;
    cr_assert(eq(int, tasvir_thread_register(NULL, &t), TASVIR_EBADHANDLE));
    cr_assert(eq(int, tasvir_thread_register(h.node[0], NULL), -EINVAL));
    cr_assert(eq(int, tasvir_thread_register(h.node[0], &t), 0));
    cr_assert(eq(int, tasvir_service(t), TASVIR_ENOTACTIVE), "not activated yet");
    cr_assert(eq(int, tasvir_service_wait(t), TASVIR_ENOTACTIVE));
    cr_assert(eq(int, tasvir_thread_activate(t), 0));
    cr_assert(eq(int, tasvir_thread_activate(t), 0), "activate twice is fine");
    cr_assert(eq(int, tasvir_service(t), 0));
    cr_assert(eq(ptr, tasvir_thread_node(t), h.node[0]));
    cr_assert(eq(int, tasvir_thread_unregister(t), 0));
    cr_assert(eq(int, tasvir_thread_unregister(t), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_service(t), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_thread_activate(t), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_thread_deactivate(t), TASVIR_EDESTROYED));
    cr_assert(eq(ptr, tasvir_thread_node(t), NULL));
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.name = "y";
    c.len_bytes = 64;
    struct tasvir_area *a;
    cr_assert(eq(int, tasvir_area_create(t, &c, &a), TASVIR_EDESTROYED));
    cr_assert(eq(int, tasvir_service(NULL), TASVIR_EBADHANDLE));
    h_net_destroy(&h);
}

static void tiny_limits(struct tasvir_node_conf *c, unsigned i)
{
    (void)i;
    c->max_threads = 2;
    c->max_areas = 5; /* the root node's own node area and directory take two */
}

Test(misuse, limits)
{
    struct h_net h;
    cr_assert(eq(int, h_net_create(&h, 1, 0, 1, tiny_limits), 0));
    struct tasvir_thread *t1 = h_thread(h.node[0]), *t2 = h_thread(h.node[0]), *t3 = NULL;
    cr_assert(not(eq(ptr, t2, NULL)));
    cr_assert(eq(int, tasvir_thread_register(h.node[0], &t3), -EBUSY));
    cr_assert(not(eq(ptr, h_area(t1, "a", 64, 1000), NULL)));
    cr_assert(not(eq(ptr, h_area(t1, "b", 64, 1000), NULL)));
    cr_assert(not(eq(ptr, h_area(t1, "c", 64, 1000), NULL)));
    struct tasvir_area_conf c;
    tasvir_area_conf_init(&c);
    c.name = "d";
    c.len_bytes = 64;
    struct tasvir_area *a;
    cr_assert(eq(int, tasvir_area_create(t1, &c, &a), -EBUSY));
    h_net_destroy(&h);
}

Test(misuse, strerror_covers_every_code)
{
    int codes[] = {0, TASVIR_ENOTOWNER, TASVIR_EDESTROYED, TASVIR_EBADHANDLE, TASVIR_ENOTACTIVE,
                   TASVIR_EBACKEND, TASVIR_EPROTO, TASVIR_ENODEDOWN, -EINVAL, -ENOMEM, -ENOENT,
                   -EEXIST, -EAGAIN, -EBUSY, -E2BIG, -ERANGE};
    size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        const char *s = tasvir_strerror(codes[i]);
        cr_assert(not(eq(ptr, (void *)s, NULL)));
        cr_assert(gt(sz, strlen(s), 5));
        cr_assert(eq(int, strcmp(s, "unknown error") != 0, 1), "code %d", codes[i]);
        for (size_t j = 0; j < i; j++)
            cr_assert(not(eq(str, (char *)s, (char *)tasvir_strerror(codes[j]))));
    }
    cr_assert(eq(str, (char *)tasvir_strerror(12345), "unknown error"));
}

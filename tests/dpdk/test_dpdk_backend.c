/*
 * test_dpdk_backend.c — the DPDK backend's contract, in one process over net_ring vdevs
 * (a net_ring port with no arguments loops every transmitted frame back to its RX queue).
 *
 * Covers: identity (node id, the port's MAC, MTU); frame_alloc capacity and pool
 * accounting; tx/rx round trip of 0x88B6 frames without corruption; the burst ownership
 * rule (a full TX ring hands back the tail, which the caller keeps and frees; a bad frame
 * stops the burst); jumbo frames where the port allows them and a clear -ERANGE where it
 * does not; the clock (monotonic, advancing with real time, anchored to CLOCK_MONOTONIC;
 * the monotonic clock option); mem_alloc alignment, zeroing, the libc fallback beyond the
 * EAL memory and its absence when disabled; multicast join/leave and the filter fallback;
 * bad configurations; worker lcore launch; and the unchanged core running an internal sync
 * over this backend.
 *
 * EAL runs with --no-huge by default.  With TASVIR_TEST_HUGEDIR set (see
 * run-with-hugepages.sh) it runs on hugepages from that hugetlbfs mount, and the memory
 * tests check that mem_alloc memory is really backed by huge pages.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tasvir/backend.h"
#include "tasvir/dpdk.h"
#include "tasvir/tasvir.h"

#define ETHERTYPE_TASVIR 0x88B6u

static char prefix_arg[64];
static char *eal_argv[32];

/* EAL with two loopback ports (net_ring0, net_ring1) and three lcores. */
static void eal_up(void)
{
    int n = 0;
    eal_argv[n++] = "test_dpdk_backend";
    const char *huge = getenv("TASVIR_TEST_HUGEDIR");
    static char hugedir_arg[512];
    if (huge && *huge) {
        snprintf(hugedir_arg, sizeof(hugedir_arg), "--huge-dir=%s", huge);
        eal_argv[n++] = hugedir_arg;
        eal_argv[n++] = "--huge-unlink";
    } else {
        eal_argv[n++] = "--no-huge";
        eal_argv[n++] = "-m";
        eal_argv[n++] = "256";
    }
    snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=tsvct%ld", (long)getpid());
    eal_argv[n++] = prefix_arg;
    eal_argv[n++] = "--no-pci";
    eal_argv[n++] = "--no-telemetry";
    eal_argv[n++] = "--log-level=lib.eal:error";
    eal_argv[n++] = "--lcores=(0-2)@(0-1)";
    eal_argv[n++] = "--vdev=net_ring0";
    eal_argv[n++] = "--vdev=net_ring1";
    eal_argv[n] = NULL;
    int rc = tasvir_dpdk_eal_init(n, eal_argv);
    cr_assert(eq(int, rc, n - 1), "EAL init consumed %d of %d arguments", rc, n - 1);
}

static void eal_down(void)
{
    tasvir_dpdk_eal_cleanup();
}

TestSuite(dpdk_backend, .init = eal_up, .fini = eal_down, .timeout = 60);

static struct tasvir_dpdk_port *port_up(const char *name, uint32_t mtu)
{
    struct tasvir_dpdk_conf c;
    cr_assert(eq(int, tasvir_dpdk_conf_init(&c), 0));
    c.node_id = 7;
    c.port_name = name;
    c.mtu = mtu;
    c.mbufs = 4095;
    c.rx_desc = 512;
    c.tx_desc = 512;
    struct tasvir_dpdk_port *p = NULL;
    int rc = tasvir_dpdk_port_create(&c, &p);
    cr_assert(eq(int, rc, 0), "port_create(%s, mtu %u) = %d", name, mtu, rc);
    return p;
}

static void fill(struct tasvir_frame *f, uint32_t seq, uint32_t len)
{
    memset(f->data, 0xff, 6);
    memcpy(f->data + 6, "\x02\x00\x00\x00\x00\x07", 6);
    f->data[12] = ETHERTYPE_TASVIR >> 8;
    f->data[13] = ETHERTYPE_TASVIR & 0xff;
    memcpy(f->data + 14, &seq, 4);
    for (uint32_t i = 18; i < len; i++)
        f->data[i] = (uint8_t)(seq * 13u + i);
    f->len = len;
}

/* Returns the sequence number, or -1 if the frame is damaged. */
static long verify(const struct tasvir_frame *f)
{
    if (f->len < 18 || f->data[12] != 0x88 || f->data[13] != 0xB6)
        return -1;
    uint32_t seq;
    memcpy(&seq, f->data + 14, 4);
    for (uint32_t i = 18; i < f->len; i++)
        if (f->data[i] != (uint8_t)(seq * 13u + i))
            return -1;
    return seq;
}

static uint64_t mbufs_free(struct tasvir_dpdk_port *p)
{
    struct tasvir_dpdk_port_stats s;
    cr_assert(eq(int, tasvir_dpdk_port_stats(p, &s), 0));
    return s.mbufs_free;
}

Test(dpdk_backend, identity)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    struct tasvir_identity id;
    cr_assert(eq(int, be->ops->identity(be->ctx, &id), 0));
    cr_expect(eq(u16, id.node_id, 7));
    cr_expect(eq(u32, id.mtu, 1500));
    struct tasvir_dpdk_port_info info;
    cr_assert(eq(int, tasvir_dpdk_port_info(p, &info), 0));
    cr_expect(eq(int, memcmp(id.mac, info.mac, 6), 0), "the port's MAC");
    cr_expect(eq(str, info.name, "net_ring0"));
    cr_expect(eq(str, info.driver, "net_ring"));
    cr_expect(ge(u32, info.frame_cap, 1514));
    cr_expect(gt(u64, info.tsc_hz, 0));
    cr_expect(eq(int, info.hugepages, getenv("TASVIR_TEST_HUGEDIR") ? 1 : 0));
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, alloc_and_free)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    uint64_t before = mbufs_free(p);
    struct tasvir_frame *f[300];
    unsigned n = be->ops->frame_alloc(be->ctx, f, 300);
    cr_assert(eq(u32, n, 300));
    for (unsigned i = 0; i < n; i++) {
        cr_assert(not(eq(ptr, f[i]->data, NULL)));
        cr_assert(ge(u32, f[i]->cap, 1500 + 14));
        cr_assert(eq(u32, f[i]->len, 0));
        cr_assert(not(eq(ptr, f[i]->priv, NULL)));
        memset(f[i]->data, (int)i, f[i]->cap); /* the whole capacity is writable */
        for (unsigned j = 0; j < i; j++)
            cr_assert(not(eq(ptr, f[i], f[j])), "frames are distinct");
    }
    cr_expect(eq(u64, mbufs_free(p), before - 300));
    be->ops->frame_free(be->ctx, f, n);
    cr_expect(eq(u64, mbufs_free(p), before));
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, alloc_exhaustion_gives_what_is_left)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    uint64_t avail = mbufs_free(p);
    static struct tasvir_frame *f[8192];
    unsigned n = be->ops->frame_alloc(be->ctx, f, (unsigned)avail + 100);
    /* Per-lcore caches may hold a few back; all but those are handed out. */
    cr_expect(le(u32, n, (unsigned)avail));
    cr_expect(ge(u32, n, (unsigned)avail - 512));
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(ge(u64, s.alloc_failed, 100));
    be->ops->frame_free(be->ctx, f, n);
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, roundtrip_without_corruption)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    uint64_t before = mbufs_free(p);
    struct tasvir_frame *f[400];
    cr_assert(eq(u32, be->ops->frame_alloc(be->ctx, f, 400), 400));
    for (uint32_t i = 0; i < 400; i++)
        fill(f[i], i, 60 + (i * 37u) % (1514 - 60 + 1));
    unsigned k = be->ops->tx_burst(be->ctx, f, 400);
    cr_assert(eq(u32, k, 400));
    struct tasvir_frame *r[512];
    unsigned got = 0;
    for (int tries = 0; tries < 100 && got < 400; tries++)
        got += be->ops->rx_burst(be->ctx, r + got, 512 - got);
    cr_assert(eq(u32, got, 400));
    for (uint32_t i = 0; i < got; i++) {
        cr_assert(eq(long, verify(r[i]), (long)i), "frame %u intact and in order", i);
        cr_assert(eq(u32, r[i]->len, 60 + (i * 37u) % (1514 - 60 + 1)));
        cr_assert(ge(u32, r[i]->cap, r[i]->len));
    }
    be->ops->frame_free(be->ctx, r, got);
    cr_expect(eq(u64, mbufs_free(p), before));
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.tx_frames, 400));
    cr_expect(eq(u64, s.rx_frames, 400));
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, ownership_rule_on_full_ring)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    uint64_t before = mbufs_free(p);
    static struct tasvir_frame *f[2000];
    unsigned n = be->ops->frame_alloc(be->ctx, f, 2000);
    cr_assert(eq(u32, n, 2000));
    for (uint32_t i = 0; i < n; i++)
        fill(f[i], i, 128);
    /* net_ring's loopback ring holds 1023 frames: the burst cannot all go. */
    unsigned k = be->ops->tx_burst(be->ctx, f, n);
    cr_assert(gt(u32, k, 0));
    cr_assert(lt(u32, k, n), "a full ring hands frames back");
    /* The caller still owns f[k..n-1]: they are intact and it may free them. */
    for (uint32_t i = k; i < n; i++)
        cr_assert(eq(long, verify(f[i]), (long)i));
    be->ops->frame_free(be->ctx, f + k, n - k);
    /* Exactly the first k frames went out, in order. */
    static struct tasvir_frame *r[2000];
    unsigned got = 0;
    for (int tries = 0; tries < 100; tries++)
        got += be->ops->rx_burst(be->ctx, r + got, 2000 - got);
    cr_assert(eq(u32, got, k));
    for (uint32_t i = 0; i < got; i++)
        cr_assert(eq(long, verify(r[i]), (long)i));
    be->ops->frame_free(be->ctx, r, got);
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.tx_full, n - k));
    cr_expect(eq(u64, mbufs_free(p), before), "no frame leaked or freed twice");
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, bad_frame_stops_the_burst)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    uint64_t before = mbufs_free(p);
    struct tasvir_frame *f[10];
    cr_assert(eq(u32, be->ops->frame_alloc(be->ctx, f, 10), 10));
    for (uint32_t i = 0; i < 10; i++)
        fill(f[i], i, 100);
    f[4]->len = f[4]->cap + 1; /* longer than the buffer */
    unsigned k = be->ops->tx_burst(be->ctx, f, 10);
    cr_assert(eq(u32, k, 4), "stops before the bad frame");
    f[4]->len = 10; /* shorter than an Ethernet header */
    cr_assert(eq(u32, be->ops->tx_burst(be->ctx, f + 4, 6), 0));
    f[4]->len = 100;
    cr_assert(eq(u32, be->ops->tx_burst(be->ctx, f + 4, 6), 6));
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.tx_rejected, 2));
    struct tasvir_frame *r[16];
    unsigned got = be->ops->rx_burst(be->ctx, r, 16);
    cr_assert(eq(u32, got, 10));
    be->ops->frame_free(be->ctx, r, got);
    cr_expect(eq(u64, mbufs_free(p), before));
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, jumbo_frames_where_the_port_allows)
{
    struct tasvir_dpdk_port *p = port_up("net_ring1", 9000);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    struct tasvir_identity id;
    be->ops->identity(be->ctx, &id);
    cr_expect(eq(u32, id.mtu, 9000));
    struct tasvir_frame *f[4];
    cr_assert(eq(u32, be->ops->frame_alloc(be->ctx, f, 4), 4));
    for (uint32_t i = 0; i < 4; i++) {
        cr_assert(ge(u32, f[i]->cap, 9014));
        fill(f[i], i, 9014);
    }
    cr_assert(eq(u32, be->ops->tx_burst(be->ctx, f, 4), 4));
    struct tasvir_frame *r[8];
    unsigned got = be->ops->rx_burst(be->ctx, r, 8);
    cr_assert(eq(u32, got, 4));
    for (uint32_t i = 0; i < got; i++) {
        cr_expect(eq(u32, r[i]->len, 9014));
        cr_expect(eq(long, verify(r[i]), (long)i));
    }
    be->ops->frame_free(be->ctx, r, got);
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, clock_is_monotonic_and_real)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    uint64_t t0 = be->ops->now_ns(be->ctx);
    /* Anchored to CLOCK_MONOTONIC when the port was created: close to it now. */
    cr_expect(lt(u64, t0 > mono ? t0 - mono : mono - t0, 2000000), "TSC clock %lu vs "
              "CLOCK_MONOTONIC %lu", (unsigned long)t0, (unsigned long)mono);
    uint64_t prev = t0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t t = be->ops->now_ns(be->ctx);
        cr_assert(ge(u64, t, prev), "clock went back at read %d", i);
        prev = t;
    }
    uint64_t a = be->ops->now_ns(be->ctx);
    struct timespec d = {0, 20000000};
    nanosleep(&d, NULL);
    uint64_t b = be->ops->now_ns(be->ctx);
    cr_expect(ge(u64, b - a, 19000000), "20 ms sleep measured as %lu ns", (unsigned long)(b - a));
    cr_expect(lt(u64, b - a, 500000000));
    tasvir_dpdk_port_destroy(p);

    struct tasvir_dpdk_conf c;
    tasvir_dpdk_conf_init(&c);
    c.port_name = "net_ring1";
    c.clock = TASVIR_DPDK_CLOCK_MONOTONIC;
    c.relax = TASVIR_DPDK_RELAX_PAUSE;
    c.mbufs = 4095;
    cr_assert(eq(int, tasvir_dpdk_port_create(&c, &p), 0));
    be = tasvir_dpdk_port_backend(p);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    uint64_t m = be->ops->now_ns(be->ctx);
    cr_expect(ge(u64, m, mono));
    cr_expect(lt(u64, m - mono, 100000000));
    be->ops->relax(be->ctx);
    tasvir_dpdk_port_destroy(p);
}

/* Page size backing address a, from /proc/self/smaps (0 if not found). */
static unsigned long kernel_page_kb(const void *a)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return 0;
    char line[512];
    int in = 0;
    unsigned long kb = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = (uintptr_t)a >= lo && (uintptr_t)a < hi;
            continue;
        }
        if (in && sscanf(line, "KernelPageSize: %lu kB", &kb) == 1)
            break;
    }
    fclose(f);
    return kb;
}

Test(dpdk_backend, mem_alloc_alignment_and_zeroing)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    static const size_t aligns[] = {64, 128, 4096, 65536, 2u << 20};
    static const size_t lens[] = {1, 64, 1000, 4096, 1u << 20, 16u << 20};
    for (unsigned a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
        for (unsigned l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            uint8_t *m = be->ops->mem_alloc(be->ctx, lens[l], aligns[a]);
            cr_assert(not(eq(ptr, m, NULL)), "mem_alloc(%zu, %zu)", lens[l], aligns[a]);
            cr_assert(eq(u64, (uintptr_t)m % aligns[a], 0), "aligned to %zu", aligns[a]);
            for (size_t i = 0; i < lens[l]; i += 61)
                cr_assert(eq(u8, m[i], 0), "zeroed");
            cr_assert(eq(u8, m[lens[l] - 1], 0));
            memset(m, 0xa5, lens[l]);
            if (getenv("TASVIR_TEST_HUGEDIR") && lens[l] == (16u << 20))
                cr_expect(eq(u64, kernel_page_kb(m), 2048), "hugepage-backed");
            be->ops->mem_free(be->ctx, m, lens[l]);
        }
    }
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mem_dpdk_bytes, 0));
    cr_expect(eq(u64, s.mem_fallback_bytes, 0));
    cr_expect(eq(u64, s.mem_failed, 0));
    cr_expect(eq(ptr, be->ops->mem_alloc(be->ctx, 100, 96), NULL), "alignment not a power of 2");
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, mem_alloc_falls_back_beyond_eal_memory)
{
    if (getenv("TASVIR_TEST_HUGEDIR")) {
        /* With hugepages EAL grows on demand: the fallback is covered by the no-huge run. */
        return;
    }
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    size_t big = 400u << 20; /* EAL has -m 256 */
    uint8_t *m = be->ops->mem_alloc(be->ctx, big, 4096);
    cr_assert(not(eq(ptr, m, NULL)));
    cr_expect(eq(u64, (uintptr_t)m % 4096, 0));
    cr_expect(eq(u8, m[0], 0));
    cr_expect(eq(u8, m[big - 1], 0));
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mem_fallback_bytes, big));
    be->ops->mem_free(be->ctx, m, big);
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mem_fallback_bytes, 0));
    tasvir_dpdk_port_destroy(p);

    struct tasvir_dpdk_conf c;
    tasvir_dpdk_conf_init(&c);
    c.port_name = "net_ring1";
    c.mbufs = 4095;
    c.mem_fallback = 0;
    cr_assert(eq(int, tasvir_dpdk_port_create(&c, &p), 0));
    be = tasvir_dpdk_port_backend(p);
    cr_expect(eq(ptr, be->ops->mem_alloc(be->ctx, big, 4096), NULL));
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mem_failed, 1));
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, multicast_join_and_leave)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    const uint8_t g1[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    const uint8_t g2[6] = {0x33, 0x33, 0x00, 0x00, 0x88, 0xb6};
    const uint8_t uni[6] = {0x02, 0, 0, 0, 0, 1};
    cr_assert(eq(int, be->ops->mcast(be->ctx, g1, 1), 0));
    cr_assert(eq(int, be->ops->mcast(be->ctx, g2, 1), 0));
    cr_assert(eq(int, be->ops->mcast(be->ctx, g1, 1), 0), "joining twice is harmless");
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mcast_groups, 2));
    struct tasvir_dpdk_port_info info;
    tasvir_dpdk_port_info(p, &info);
    /* net_ring has no multicast filter: the backend widened the filter and says so. */
    cr_expect(not(eq(int, info.rx_filter, TASVIR_DPDK_RX_MCAST)));
    cr_assert(eq(int, be->ops->mcast(be->ctx, g1, 0), 0));
    cr_assert(eq(int, be->ops->mcast(be->ctx, g2, 0), 0));
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mcast_groups, 0));
    cr_expect(eq(int, be->ops->mcast(be->ctx, uni, 1), -EINVAL), "unicast is not a group");
    tasvir_dpdk_port_destroy(p);
}

Test(dpdk_backend, bad_configurations)
{
    struct tasvir_dpdk_conf c;
    struct tasvir_dpdk_port *p = NULL;
    tasvir_dpdk_conf_init(&c);
    cr_expect(eq(int, tasvir_dpdk_port_create(&c, &p), -ENODEV), "two ports, no name");
    c.port_name = "net_nosuch0";
    cr_expect(eq(int, tasvir_dpdk_port_create(&c, &p), -ENODEV));
    c.port_name = "net_ring0";
    c.mtu = 20000;
    cr_expect(eq(int, tasvir_dpdk_port_create(&c, &p), -EINVAL));
    c.mtu = 1500;
    c.mbufs = 100;
    cr_expect(eq(int, tasvir_dpdk_port_create(&c, &p), -EINVAL), "pool smaller than rings");
    c.mbufs = 4095;
    c.node_id = TASVIR_MAX_NODES;
    cr_expect(eq(int, tasvir_dpdk_port_create(&c, &p), -EINVAL));
    cr_expect(eq(int, tasvir_dpdk_port_create(NULL, &p), -EINVAL));
    c.node_id = 1;
    c.mac_set = 1; /* net_ring cannot change its MAC: a clear refusal */
    memcpy(c.mac, "\x02\x00\x00\x00\x00\x07", 6);
    cr_expect(eq(int, tasvir_dpdk_port_create(&c, &p), -ENOTSUP));
    c.mac_set = 0;
    cr_expect(eq(ptr, p, NULL));
    /* After all those failures the port is still usable. */
    c.node_id = 1;
    cr_assert(eq(int, tasvir_dpdk_port_create(&c, &p), 0));
    tasvir_dpdk_port_destroy(p);
}

static int worker_fn(void *arg)
{
    int *v = arg;
    *v = tasvir_dpdk_lcore_id();
    return *v == 2 ? 42 : 0;
}

Test(dpdk_backend, worker_lcores)
{
    cr_assert(eq(u32, tasvir_dpdk_worker_count(), 2));
    cr_expect(eq(int, tasvir_dpdk_lcore_id(), 0), "the test runs on the main lcore");
    int a = -1, b = -1, c = -1;
    unsigned la, lb;
    cr_assert(eq(int, tasvir_dpdk_worker_launch(0, worker_fn, &a, &la), 0));
    cr_assert(eq(int, tasvir_dpdk_worker_launch(1, worker_fn, &b, &lb), 0));
    cr_expect(eq(u32, la, 1));
    cr_expect(eq(u32, lb, 2));
    cr_expect(eq(int, tasvir_dpdk_worker_launch(2, worker_fn, &c, NULL), -ENOENT));
    int w = tasvir_dpdk_workers_wait();
    cr_expect(eq(int, w, 42), "the first nonzero return value");
    cr_expect(eq(int, a, 1));
    cr_expect(eq(int, b, 2));
    /* Idle again: the same lcore takes another function. */
    cr_assert(eq(int, tasvir_dpdk_worker_launch(0, worker_fn, &c, NULL), 0));
    tasvir_dpdk_workers_wait();
    cr_expect(eq(int, c, 1));
}

Test(dpdk_backend, core_runs_an_internal_sync_over_it)
{
    struct tasvir_dpdk_port *p = port_up("net_ring0", 1500);
    struct tasvir_node_conf nc;
    tasvir_node_conf_init(&nc);
    nc.backend = tasvir_dpdk_port_backend(p);
    nc.log_fn = tasvir_dpdk_log;
    nc.epoch_window_ns = 50000000;
    nc.root_node = 7; /* a testbed of one: this node holds the root directory */
    struct tasvir_node *node;
    cr_assert(eq(int, tasvir_node_create(&nc, &node), 0));
    cr_expect(eq(int, tasvir_node_id(node), 7));
    struct tasvir_thread *t;
    cr_assert(eq(int, tasvir_thread_register(node, &t), 0));
    cr_assert(eq(int, tasvir_thread_activate(t), 0));
    struct tasvir_area_conf ac;
    tasvir_area_conf_init(&ac);
    ac.name = "dpdk.test";
    ac.len_bytes = 1u << 20;
    struct tasvir_area *a, *r;
    cr_assert(eq(int, tasvir_area_create(t, &ac, &a), 0));
    cr_assert(eq(int, tasvir_area_attach(t, "dpdk.test", &r), 0));
    uint64_t *w = tasvir_area_writer(a);
    cr_assert(not(eq(ptr, w, NULL)));
    w[1000] = 0x1234;
    cr_assert(eq(int, tasvir_log(a, &w[1000], 8), 0));
    tasvir_node_sync_now(node);
    uint64_t start = tasvir_node_now_ns(node);
    while (tasvir_area_version(r) < 1 && tasvir_node_now_ns(node) - start < 5000000000ull) {
        tasvir_node_poll(node, NULL);
        int rc = tasvir_service(t);
        cr_assert(rc >= 0 || rc == -EAGAIN, "service: %s", tasvir_strerror(rc));
    }
    cr_assert(eq(u64, tasvir_area_version(r), 1));
    const uint64_t *rd = tasvir_area_reader(r);
    cr_expect(eq(u64, rd[1000], 0x1234));
    cr_expect(ge(u64, tasvir_area_pub_ns(r), start));
    tasvir_node_destroy(node);
    struct tasvir_dpdk_port_stats s;
    tasvir_dpdk_port_stats(p, &s);
    cr_expect(eq(u64, s.mem_dpdk_bytes + s.mem_fallback_bytes, 0), "node freed its memory");
    tasvir_dpdk_port_destroy(p);
}

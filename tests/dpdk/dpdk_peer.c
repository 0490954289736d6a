/*
 * dpdk_peer.c — tasvir-dpdk-peer: exchange Tasvir-typed frames (EtherType 0x88B6) between
 * two processes through the DPDK backend's ops table only, for the multi-process tests
 * (net_memif between two processes, net_af_packet on veths in network namespaces).
 *
 *   ping: sends --count frames (sequence numbers, payload pattern) in windows of --burst,
 *         resends what was not echoed, then an END frame until it is echoed.
 *   echo: returns every Tasvir frame to its sender (MACs swapped) after checking it,
 *         until it has echoed END and heard nothing for --linger-ms.
 *
 * Frames that are not ours (other EtherTypes, e.g. IPv6 neighbour discovery on a veth)
 * are counted as foreign and dropped.  Prints one result line; exit 0 when every frame
 * went through intact, 1 on failure or timeout, 2 on bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasvir/backend.h"
#include "tasvir/dpdk.h"

#define ETHERTYPE_TASVIR 0x88B6u
#define MAGIC 0x50565354u /* "TSVP" */
#define F_END 1u
#define HDR 14u

struct msg {
    uint32_t magic, seq, flags, len;
    uint64_t t_ns;
};

struct opts {
    int mode_ping;
    unsigned count, size, burst, timeout_ms, linger_ms, node;
    int have_dst, have_mcast, have_mac;
    uint8_t dst[6], mcast[6], mac[6];
    unsigned mtu, link_wait_ms;
    const char *port;
    int promisc;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tasvir-dpdk-peer [EAL args] -- --mode ping|echo [OPTIONS]\n"
            "  --mode ping|echo      role (required)\n"
            "  --count N             frames to exchange (ping; default 10000)\n"
            "  --size BYTES          frame length incl. Ethernet header (default 256)\n"
            "  --burst N             frames per window (default 32)\n"
            "  --dst MAC             destination (ping; default broadcast)\n"
            "  --mcast MAC           join this multicast group (echo) / send to it (ping)\n"
            "  --mac MAC             give the port this MAC\n"
            "  --mtu N               port MTU (default 1500)\n"
            "  --port NAME           ethdev name (default: the only port)\n"
            "  --promisc             promiscuous RX\n"
            "  --node ID             node id for the backend identity (default 0)\n"
            "  --timeout-ms T        give up after T ms (default 20000)\n"
            "  --linger-ms T         echo: keep echoing this long after END (default 300)\n"
            "  --link-wait-ms T      wait for link up first (default 10000)\n"
            "  --help\n");
}

static int parse_mac(const char *s, uint8_t m[6])
{
    unsigned b[6];
    char t;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &t) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)b[i];
    return 0;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *e;
    errno = 0;
    unsigned long v = strtoul(s, &e, 10);
    if (errno || !*s || *e || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"mode", required_argument, NULL, 'M'},    {"count", required_argument, NULL, 'c'},
        {"size", required_argument, NULL, 's'},    {"burst", required_argument, NULL, 'b'},
        {"dst", required_argument, NULL, 'd'},     {"mcast", required_argument, NULL, 'g'},
        {"mac", required_argument, NULL, 'm'},     {"mtu", required_argument, NULL, 'u'},
        {"port", required_argument, NULL, 'p'},    {"promisc", no_argument, NULL, 'P'},
        {"node", required_argument, NULL, 'n'},    {"timeout-ms", required_argument, NULL, 't'},
        {"linger-ms", required_argument, NULL, 'l'}, {"link-wait-ms", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->mode_ping = -1;
    o->count = 10000;
    o->size = 256;
    o->burst = 32;
    o->timeout_ms = 20000;
    o->linger_ms = 300;
    o->mtu = 1500;
    o->link_wait_ms = 10000;
    optind = 1;
    int c, li = 0;
    while ((c = getopt_long(argc, argv, "h", lo, &li)) != -1) {
        int bad = 0;
        switch (c) {
        case 'M':
            if (!strcmp(optarg, "ping"))
                o->mode_ping = 1;
            else if (!strcmp(optarg, "echo"))
                o->mode_ping = 0;
            else
                bad = 1;
            break;
        case 'c':
            bad = parse_uint(optarg, 1, 100000000, &o->count);
            break;
        case 's':
            bad = parse_uint(optarg, HDR + sizeof(struct msg), 9614, &o->size);
            break;
        case 'b':
            bad = parse_uint(optarg, 1, 512, &o->burst);
            break;
        case 'd':
            bad = parse_mac(optarg, o->dst);
            o->have_dst = 1;
            break;
        case 'g':
            bad = parse_mac(optarg, o->mcast) || !(o->mcast[0] & 1);
            o->have_mcast = 1;
            break;
        case 'm':
            bad = parse_mac(optarg, o->mac);
            o->have_mac = 1;
            break;
        case 'u':
            bad = parse_uint(optarg, 68, 9600, &o->mtu);
            break;
        case 'p':
            o->port = optarg;
            break;
        case 'P':
            o->promisc = 1;
            break;
        case 'n':
            bad = parse_uint(optarg, 0, 1023, &o->node);
            break;
        case 't':
            bad = parse_uint(optarg, 1, 3600000, &o->timeout_ms);
            break;
        case 'l':
            bad = parse_uint(optarg, 0, 60000, &o->linger_ms);
            break;
        case 'w':
            bad = parse_uint(optarg, 0, 600000, &o->link_wait_ms);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
        if (bad) {
            fprintf(stderr, "tasvir-dpdk-peer: bad value '%s' for --%s\n", optarg, lo[li].name);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tasvir-dpdk-peer: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->mode_ping < 0) {
        fprintf(stderr, "tasvir-dpdk-peer: --mode ping|echo is required\n");
        return -1;
    }
    if (o->size > o->mtu + HDR) {
        fprintf(stderr, "tasvir-dpdk-peer: --size %u exceeds MTU %u + 14\n", o->size, o->mtu);
        return -1;
    }
    return 0;
}

static uint8_t pattern(uint32_t seq, uint32_t i)
{
    return (uint8_t)(seq * 31u + i * 7u + 1u);
}

static void build(uint8_t *d, const uint8_t dst[6], const uint8_t src[6], uint32_t seq,
                  uint32_t flags, uint32_t len, uint64_t now)
{
    memcpy(d, dst, 6);
    memcpy(d + 6, src, 6);
    d[12] = ETHERTYPE_TASVIR >> 8;
    d[13] = ETHERTYPE_TASVIR & 0xff;
    struct msg m = {MAGIC, seq, flags, len, now};
    memcpy(d + HDR, &m, sizeof(m));
    for (uint32_t i = HDR + sizeof(m); i < len; i++)
        d[i] = pattern(seq, i);
}

/* 1: ours and intact; 0: foreign (or our own frame seen again); -1: ours but damaged. */
static int check(const struct tasvir_frame *f, struct msg *m, const uint8_t me[6])
{
    /* af_packet sockets also see the frames their own interface sends. */
    if (f->len >= HDR && memcmp(f->data + 6, me, 6) == 0)
        return 0;
    if (f->len < HDR + sizeof(*m) || f->data[12] != (ETHERTYPE_TASVIR >> 8) ||
        f->data[13] != (ETHERTYPE_TASVIR & 0xff))
        return 0;
    memcpy(m, f->data + HDR, sizeof(*m));
    if (m->magic != MAGIC || m->len != f->len)
        return -1;
    for (uint32_t i = HDR + sizeof(*m); i < f->len; i++)
        if (f->data[i] != pattern(m->seq, i))
            return -1;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Transmit n frames, retrying the tail the backend hands back (the ownership rule: it is
 * still ours) for up to 1 ms; then free what is left and return how many went.  Never
 * waiting long keeps both peers draining their RX rings, so full rings cannot deadlock. */
static unsigned tx_some(const struct tasvir_backend *be, struct tasvir_frame **f, unsigned n)
{
    unsigned done = 0;
    uint64_t until = be->ops->now_ns(be->ctx) + 1000000ull;
    while (done < n) {
        done += be->ops->tx_burst(be->ctx, f + done, n - done);
        if (done < n && be->ops->now_ns(be->ctx) > until)
            break;
    }
    if (done < n)
        be->ops->frame_free(be->ctx, f + done, n - done);
    return done;
}

static int run_ping(const struct tasvir_backend *be, const struct opts *o, const uint8_t me[6])
{
    uint8_t dst[6];
    if (o->have_mcast)
        memcpy(dst, o->mcast, 6);
    else if (o->have_dst)
        memcpy(dst, o->dst, 6);
    else
        memset(dst, 0xff, 6);
    uint8_t *got = calloc(o->count, 1);
    uint64_t *rtt = calloc(o->count, sizeof(*rtt));
    if (!got || !rtt)
        return 1;
    uint64_t start = be->ops->now_ns(be->ctx);
    uint64_t deadline = start + (uint64_t)o->timeout_ms * 1000000ull;
    uint64_t sent = 0, resent = 0, bad = 0, foreign = 0, dup = 0, echoed = 0;
    struct tasvir_frame *f[512];
    unsigned base = 0;
    int end_done = 0;
    while (!end_done && be->ops->now_ns(be->ctx) < deadline) {
        while (base < o->count && got[base])
            base++;
        /* The window: up to burst missing frames from base on, or END when all are in. */
        uint32_t seqs[512];
        unsigned k = 0;
        for (unsigned s = base; s < o->count && k < o->burst; s++)
            if (!got[s])
                seqs[k++] = s;
        int sending_end = base >= o->count;
        if (sending_end)
            k = 1;
        unsigned a = be->ops->frame_alloc(be->ctx, f, k);
        uint64_t now = be->ops->now_ns(be->ctx);
        for (unsigned i = 0; i < a; i++) {
            uint32_t seq = sending_end ? o->count : seqs[i];
            build(f[i]->data, dst, me, seq, sending_end ? F_END : 0, o->size, now);
            f[i]->len = o->size;
            if (!sending_end && rtt[seq])
                resent++;
            if (!sending_end)
                rtt[seq] = now; /* send time until the echo replaces it */
        }
        sent += tx_some(be, f, a);
        /* Collect echoes for a while. */
        uint64_t wait_end = be->ops->now_ns(be->ctx) + 20000000ull;
        unsigned pending = a;
        while (pending && be->ops->now_ns(be->ctx) < wait_end) {
            unsigned r = be->ops->rx_burst(be->ctx, f, 512);
            uint64_t t = be->ops->now_ns(be->ctx);
            for (unsigned i = 0; i < r; i++) {
                struct msg m;
                int c = check(f[i], &m, me);
                if (c == 0) {
                    foreign++;
                } else if (c < 0) {
                    bad++;
                } else if (m.flags & F_END) {
                    end_done = 1;
                    pending = 0;
                } else if (m.seq < o->count) {
                    if (got[m.seq]) {
                        dup++;
                    } else {
                        got[m.seq] = 1;
                        rtt[m.seq] = t - m.t_ns;
                        echoed++;
                        if (pending)
                            pending--;
                    }
                } else {
                    bad++;
                }
            }
            if (r)
                be->ops->frame_free(be->ctx, f, r);
            if (!r)
                be->ops->relax(be->ctx);
        }
    }
    uint64_t elapsed = be->ops->now_ns(be->ctx) - start;
    qsort(rtt, o->count, sizeof(*rtt), cmp_u64);
    printf("ping: count=%u echoed=%" PRIu64 " sent=%" PRIu64 " resent=%" PRIu64
           " bad=%" PRIu64 " dup=%" PRIu64 " foreign=%" PRIu64 " end=%d rtt_us_min=%.1f"
           " rtt_us_median=%.1f elapsed_ms=%.1f frames_per_s=%.0f\n",
           o->count, echoed, sent, resent, bad, dup, foreign, end_done, rtt[0] / 1e3,
           rtt[o->count / 2] / 1e3, elapsed / 1e6, echoed * 1e9 / (double)(elapsed ? elapsed : 1));
    int ok = echoed == o->count && bad == 0 && end_done;
    free(got);
    free(rtt);
    if (!ok)
        fprintf(stderr, "tasvir-dpdk-peer: ping failed (%s)\n",
                bad ? "damaged frames" : end_done ? "frames missing" : "timeout");
    return ok ? 0 : 1;
}

static int run_echo(const struct tasvir_backend *be, const struct opts *o, const uint8_t me[6])
{
    if (o->have_mcast) {
        int rc = be->ops->mcast(be->ctx, o->mcast, 1);
        if (rc) {
            fprintf(stderr, "tasvir-dpdk-peer: joining the multicast group failed (%d)\n", rc);
            return 1;
        }
    }
    uint64_t start = be->ops->now_ns(be->ctx);
    uint64_t deadline = start + (uint64_t)o->timeout_ms * 1000000ull;
    uint64_t echoed = 0, bad = 0, foreign = 0, ends = 0, last_end = 0;
    struct tasvir_frame *f[512], *back[512];
    for (;;) {
        uint64_t now = be->ops->now_ns(be->ctx);
        if (ends && now - last_end > (uint64_t)o->linger_ms * 1000000ull)
            break;
        if (now > deadline)
            break;
        unsigned r = be->ops->rx_burst(be->ctx, f, 512);
        unsigned nb = 0, nf = 0;
        for (unsigned i = 0; i < r; i++) {
            struct msg m;
            int c = check(f[i], &m, me);
            if (c <= 0) {
                if (c == 0)
                    foreign++;
                else
                    bad++;
                f[nf++] = f[i];
                continue;
            }
            if (m.flags & F_END) {
                ends++;
                last_end = now;
            } else {
                echoed++;
            }
            uint8_t src[6];
            memcpy(src, f[i]->data + 6, 6);
            memcpy(f[i]->data, src, 6);
            memcpy(f[i]->data + 6, me, 6);
            back[nb++] = f[i];
        }
        if (nf)
            be->ops->frame_free(be->ctx, f, nf);
        if (nb)
            tx_some(be, back, nb);
        if (!r)
            be->ops->relax(be->ctx);
    }
    printf("echo: echoed=%" PRIu64 " bad=%" PRIu64 " foreign=%" PRIu64 " ends=%" PRIu64 "\n",
           echoed, bad, foreign, ends);
    if (!ends)
        fprintf(stderr, "tasvir-dpdk-peer: echo timed out without END\n");
    return ends && !bad ? 0 : 1;
}

int main(int argc, char **argv)
{
    /* Usage errors before EAL init: look for the app arguments after "--". */
    int dd = -1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dd = i;
            break;
        }
    struct opts o;
    if (dd < 0) {
        for (int i = 1; i < argc; i++)
            if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                usage(stdout);
                return 0;
            }
        fprintf(stderr, "tasvir-dpdk-peer: expected [EAL args] -- [options]; see --help\n");
        return 2;
    }
    {
        char **app = calloc((size_t)(argc - dd + 1), sizeof(*app));
        if (!app)
            return 1;
        app[0] = argv[0];
        for (int i = dd + 1; i < argc; i++)
            app[i - dd] = argv[i];
        int rc = parse_args(argc - dd, app, &o);
        free(app);
        if (rc) {
            usage(stderr);
            return 2;
        }
    }
    int n = tasvir_dpdk_eal_init(dd, argv);
    if (n < 0) {
        fprintf(stderr, "tasvir-dpdk-peer: EAL init failed (%d)\n", n);
        return 1;
    }
    struct tasvir_dpdk_conf c;
    tasvir_dpdk_conf_init(&c);
    c.node_id = (uint16_t)o.node;
    c.mtu = o.mtu;
    c.port_name = o.port;
    c.mbufs = 4095;
    c.rx_desc = 512;
    c.tx_desc = 512;
    c.rx_filter = o.promisc ? TASVIR_DPDK_RX_PROMISC : TASVIR_DPDK_RX_MCAST;
    if (o.have_mac) {
        c.mac_set = 1;
        memcpy(c.mac, o.mac, 6);
    }
    struct tasvir_dpdk_port *p;
    int rc = tasvir_dpdk_port_create(&c, &p);
    if (rc) {
        fprintf(stderr, "tasvir-dpdk-peer: port setup failed (%d)\n", rc);
        tasvir_dpdk_eal_cleanup();
        return 1;
    }
    if (o.link_wait_ms && tasvir_dpdk_link_wait(p, o.link_wait_ms)) {
        fprintf(stderr, "tasvir-dpdk-peer: link not up after %u ms\n", o.link_wait_ms);
        tasvir_dpdk_port_destroy(p);
        tasvir_dpdk_eal_cleanup();
        return 1;
    }
    const struct tasvir_backend *be = tasvir_dpdk_port_backend(p);
    struct tasvir_identity id;
    be->ops->identity(be->ctx, &id);
    rc = o.mode_ping ? run_ping(be, &o, id.mac) : run_echo(be, &o, id.mac);
    struct tasvir_dpdk_port_stats st;
    tasvir_dpdk_port_stats(p, &st);
    printf("port: tx=%" PRIu64 " rx=%" PRIu64 " tx_full=%" PRIu64 " rx_dropped=%" PRIu64
           " mbufs_free=%" PRIu64 "/%u\n", st.tx_frames, st.rx_frames, st.tx_full,
           st.rx_dropped, st.mbufs_free, c.mbufs);
    tasvir_dpdk_port_destroy(p);
    tasvir_dpdk_eal_cleanup();
    return rc;
}

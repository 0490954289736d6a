/*
 * port_tx.c — the CPU time a node spends handing frames to a kernel-backed port, for
 * `tasvir-bench calibrate --port-iface` (keys port_tx_ns and port_tx_ns_per_frame,
 * docs/simulation.md §5).
 *
 * On the local-bridge testbed a node's port is DPDK's net_af_packet on a veth: a transmit
 * burst ends in one sendto() kick, and the kernel then carries every frame of it, on the
 * sending CPU, through the veth, the bridge and the peer veth into the receiving socket's
 * queue before the call returns.  That is CPU time of the sender and delay of the frame that
 * no other key covers.  It is measured here from a raw AF_PACKET socket on the same
 * interface: bursts of 1 and of PORT_BURST frames with sendmmsg() (one system call, as the
 * PMD's one kick), each burst timed alone, BENCH_PORT_GAP_US apart (a node sends
 * sporadically: its caches are cold for the kernel's path; back to back the same call
 * costs about half),
 * while a socket in another network namespace (the peer node's) receives them, so that
 * the delivery into a receiving socket is part of the path.  The frames use the IEEE local
 * experimental EtherType 0x88b5 (Tasvir's is 0x88b6; nothing of the testbed reads them)
 * and go to the broadcast address, which the bridge floods to the peer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PORT_ETHERTYPE 0x88b5
#define PORT_BURST 8
#define PORT_FRAME 1514

static int port_socket(const char *iface, char *err, size_t errlen)
{
    unsigned idx = if_nametoindex(iface);
    if (!idx) {
        snprintf(err, errlen, "no interface '%s' here: %s", iface, strerror(errno));
        return -1;
    }
    int s = socket(AF_PACKET, SOCK_RAW, htons(PORT_ETHERTYPE));
    if (s < 0) {
        snprintf(err, errlen, "AF_PACKET socket: %s (needs root or CAP_NET_RAW)", strerror(errno));
        return -1;
    }
    struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_protocol = htons(PORT_ETHERTYPE),
                            .sll_ifindex = (int)idx};
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        snprintf(err, errlen, "bind to '%s': %s", iface, strerror(errno));
        close(s);
        return -1;
    }
    return s;
}

/* The receiving socket, opened inside the network namespace at `netns` (a file such as
 * /var/run/netns/NAME) on its interface `iface`; the calling thread returns to its own
 * namespace. */
static int sink_socket(const char *netns, const char *iface, char *err, size_t errlen)
{
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        snprintf(err, errlen, "/proc/self/ns/net: %s", strerror(errno));
        return -1;
    }
    int other = open(netns, O_RDONLY | O_CLOEXEC);
    if (other < 0) {
        snprintf(err, errlen, "--port-sink-netns %s: %s", netns, strerror(errno));
        close(self);
        return -1;
    }
    int s = -1;
    if (setns(other, CLONE_NEWNET) != 0) {
        snprintf(err, errlen, "--port-sink-netns %s: cannot enter it: %s", netns, strerror(errno));
    } else {
        char e2[200];
        s = port_socket(iface, e2, sizeof(e2));
        if (s < 0)
            snprintf(err, errlen, "in %s: %s", netns, e2);
        if (setns(self, CLONE_NEWNET) != 0) {
            snprintf(err, errlen, "cannot return to this process's network namespace: %s",
                     strerror(errno));
            if (s >= 0)
                close(s);
            s = -1;
        }
    }
    close(other);
    close(self);
    return s;
}

int bench_port_tx(const char *iface, const char *sink_netns, const char *sink_iface,
                  unsigned reps, double *one_ns, double *burst_ns, unsigned *burst,
                  char *err, size_t errlen)
{
    *burst = PORT_BURST;
    int rx = sink_socket(sink_netns, sink_iface, err, errlen);
    if (rx < 0)
        return -1;
    int tx = port_socket(iface, err, errlen);
    if (tx < 0) {
        close(rx);
        return -1;
    }
    static uint8_t frames[PORT_BURST][PORT_FRAME];
    struct iovec iov[PORT_BURST];
    struct mmsghdr msg[PORT_BURST];
    memset(msg, 0, sizeof(msg));
    for (int i = 0; i < PORT_BURST; i++) {
        memset(frames[i], 0xff, 6);            /* broadcast */
        memcpy(frames[i] + 6, "\x02\0\0\0\xca\x1b", 6); /* locally administered */
        frames[i][12] = PORT_ETHERTYPE >> 8;
        frames[i][13] = PORT_ETHERTYPE & 0xff;
        iov[i] = (struct iovec){.iov_base = frames[i], .iov_len = PORT_FRAME};
        msg[i].msg_hdr.msg_iov = &iov[i];
        msg[i].msg_hdr.msg_iovlen = 1;
    }
    double *v = malloc(reps * sizeof(double));
    int rc = v ? 0 : -1;
    if (!v)
        snprintf(err, errlen, "out of memory");
    bench_pin_self(bench_cpu(0)); /* the node's engine CPU: the kernel's path runs there */
    const unsigned ks[2] = {1, PORT_BURST};
    double *outs[2] = {one_ns, burst_ns};
    for (int c = 0; c < 2 && rc == 0; c++) {
        unsigned lost = 0;
        for (unsigned r = 0; r < reps && rc == 0; r++) {
            struct timespec gap = {0, BENCH_PORT_GAP_US * 1000L};
            nanosleep(&gap, NULL);
            uint64_t t0 = bench_mono_ns();
            int sent = sendmmsg(tx, msg, ks[c], 0);
            v[r] = (double)(bench_mono_ns() - t0);
            if (sent != (int)ks[c]) {
                snprintf(err, errlen, "sendmmsg on '%s' sent %d of %u frames: %s", iface, sent,
                         ks[c], sent < 0 ? strerror(errno) : "short");
                rc = -1;
            }
            /* the kernel delivered them before sendmmsg returned; drain, untimed */
            uint8_t buf[PORT_FRAME + 64];
            unsigned got = 0;
            while (got < ks[c] && recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                got++;
            lost += ks[c] - got;
        }
        if (rc == 0 && lost > reps * ks[c] / 10) {
            snprintf(err, errlen,
                     "the peer namespace received %u of %u frames: '%s' and '%s' are not "
                     "joined (bridge down?)",
                     reps * ks[c] - lost, reps * ks[c], iface, sink_iface);
            rc = -1;
        }
        if (rc == 0)
            *outs[c] = bench_median(v, reps);
    }
    bench_unpin_self();
    free(v);
    close(tx);
    close(rx);
    return rc;
}

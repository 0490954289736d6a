/*
 * test_dpdk_memif.c — the DPDK backend between two processes over net_memif: a server
 * (echo) and a client (ping) run tasvir-dpdk-peer, which moves frames with EtherType
 * 0x88B6 through the backend's ops table only.
 *
 * Covers: unicast round trips with payload checks; a multicast group joined through the
 * mcast op (memif cannot filter: the backend falls back and frames still arrive);
 * full-size frames; a tiny memif ring so that tx_burst hands frames back and the peer's
 * retry under the ownership rule still delivers everything; unique file prefixes and
 * socket paths per test; nothing left behind (socket file, EAL runtime directories).
 *
 * The peer binary comes from $TASVIR_DPDK_PEER (set by CTest).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct proc {
    pid_t pid;
    char out[128];
    int status;
};

static char sock[128], pfx_s[64], pfx_c[64];

static void names(void)
{
    snprintf(sock, sizeof(sock), "/tmp/tsvmt%ld-memif.sock", (long)getpid());
    snprintf(pfx_s, sizeof(pfx_s), "--file-prefix=tsvmt%lds", (long)getpid());
    snprintf(pfx_c, sizeof(pfx_c), "--file-prefix=tsvmt%ldc", (long)getpid());
}

static void cleanup(void)
{
    unlink(sock);
    char d[256];
    snprintf(d, sizeof(d), "rm -rf /var/run/dpdk/%s /var/run/dpdk/%s", pfx_s + 14, pfx_c + 14);
    if (system(d) != 0)
        fprintf(stderr, "cleanup failed: %s\n", d);
}

TestSuite(dpdk_memif, .init = names, .fini = cleanup, .timeout = 120);

static void spawn(struct proc *p, const char *tag, char *const argv[])
{
    snprintf(p->out, sizeof(p->out), "/tmp/tsvmt%ld-%s.out", (long)getpid(), tag);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, p->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert(eq(int, rc, 0), "spawning %s: %s", argv[0], strerror(rc));
}

/* Wait for p up to timeout_s; kill it if it overstays.  Returns the exit status. */
static int reap(struct proc *p, int timeout_s)
{
    for (int i = 0; i < timeout_s * 20; i++) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid)
            return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status);
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &p->status, 0);
    return -1;
}

static char *slurp(const char *path)
{
    static char buf[16384];
    FILE *f = fopen(path, "r");
    if (!f)
        return strcpy(buf, "(no output)");
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    unlink(path);
    return buf;
}

static const char *peer(void)
{
    const char *p = getenv("TASVIR_DPDK_PEER");
    cr_assert(not(eq(ptr, (void *)p, NULL)), "TASVIR_DPDK_PEER is not set");
    return p;
}

/* Run echo (server) and ping (client) with extra memif devargs and peer options. */
static void pingpong(const char *devargs, char *const ping_opts[], char *const echo_opts[],
                     const char *expect_ping, const char *forbid_ping)
{
    char vdev_s[512], vdev_c[512];
    snprintf(vdev_s, sizeof(vdev_s),
             "--vdev=net_memif0,role=server,id=0,socket=%s,socket-abstract=no,mac=02:00:00:00:00:01%s",
             sock, devargs);
    snprintf(vdev_c, sizeof(vdev_c),
             "--vdev=net_memif0,role=client,id=0,socket=%s,socket-abstract=no,mac=02:00:00:00:00:02%s",
             sock, devargs);
    char *argv_s[40], *argv_c[40];
    int n = 0;
    char *common[] = {"--no-huge", "-m", "128", "--no-pci", "--no-telemetry",
                      "--log-level=lib.eal:error", NULL};
    argv_s[n++] = (char *)peer();
    for (char **c = common; *c; c++)
        argv_s[n++] = *c;
    argv_s[n++] = pfx_s;
    argv_s[n++] = "-l";
    argv_s[n++] = "0";
    argv_s[n++] = vdev_s;
    argv_s[n++] = "--";
    argv_s[n++] = "--mode";
    argv_s[n++] = "echo";
    for (char *const *o = echo_opts; o && *o; o++)
        argv_s[n++] = *o;
    argv_s[n] = NULL;
    n = 0;
    argv_c[n++] = (char *)peer();
    for (char **c = common; *c; c++)
        argv_c[n++] = *c;
    argv_c[n++] = pfx_c;
    argv_c[n++] = "-l";
    argv_c[n++] = "1";
    argv_c[n++] = vdev_c;
    argv_c[n++] = "--";
    argv_c[n++] = "--mode";
    argv_c[n++] = "ping";
    for (char *const *o = ping_opts; o && *o; o++)
        argv_c[n++] = *o;
    argv_c[n] = NULL;

    struct proc s, c;
    spawn(&s, "server", argv_s);
    /* The server creates the socket; the client connects to it. */
    struct stat st;
    for (int i = 0; i < 100 && stat(sock, &st) != 0; i++) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    cr_assert(eq(int, stat(sock, &st), 0), "the memif server created %s", sock);
    spawn(&c, "client", argv_c);
    int rc_c = reap(&c, 60);
    int rc_s = reap(&s, 30);
    char out_c[16384];
    snprintf(out_c, sizeof(out_c), "%s", slurp(c.out));
    const char *out_s = slurp(s.out);
    cr_expect(eq(int, rc_c, 0), "ping exited %d:\n%s", rc_c, out_c);
    cr_expect(eq(int, rc_s, 0), "echo exited %d:\n%s", rc_s, out_s);
    cr_expect(not(eq(ptr, strstr(out_c, expect_ping), NULL)), "ping output has '%s':\n%s",
              expect_ping, out_c);
    if (forbid_ping)
        cr_expect(eq(ptr, strstr(out_c, forbid_ping), NULL), "ping output lacks '%s':\n%s",
                  forbid_ping, out_c);
    cr_expect(not(eq(ptr, strstr(out_c, "bad=0"), NULL)), "no damaged frame:\n%s", out_c);
    /* Every frame went back to the pool: sent, received, handed back or freed. */
    cr_expect(not(eq(ptr, strstr(out_c, "mbufs_free=4095/4095"), NULL)), "no leak:\n%s", out_c);
    cr_expect(not(eq(ptr, strstr(out_s, "mbufs_free=4095/4095"), NULL)), "no leak:\n%s", out_s);
    cr_expect(not(eq(ptr, strstr(out_s, "bad=0"), NULL)), "echo saw no damaged frame:\n%s", out_s);
    /* Nothing left: the socket file and both EAL runtime directories are gone. */
    cr_expect(not(eq(int, stat(sock, &st), 0)), "%s removed", sock);
    char d[128];
    snprintf(d, sizeof(d), "/var/run/dpdk/%s", pfx_s + 14);
    cr_expect(not(eq(int, stat(d, &st), 0)), "%s removed", d);
    snprintf(d, sizeof(d), "/var/run/dpdk/%s", pfx_c + 14);
    cr_expect(not(eq(int, stat(d, &st), 0)), "%s removed", d);
}

Test(dpdk_memif, unicast_round_trips)
{
    char *ping[] = {"--count", "20000", "--size", "256", "--dst", "02:00:00:00:00:01", NULL};
    pingpong("", ping, NULL, "echoed=20000 ", NULL);
}

Test(dpdk_memif, multicast_group)
{
    char *ping[] = {"--count", "5000", "--mcast", "01:00:5e:00:88:b6", NULL};
    char *echo[] = {"--mcast", "01:00:5e:00:88:b6", NULL};
    pingpong("", ping, echo, "echoed=5000 ", NULL);
}

Test(dpdk_memif, full_size_frames)
{
    char *ping[] = {"--count", "5000", "--size", "1514", "--dst", "02:00:00:00:00:01", NULL};
    pingpong("", ping, NULL, "echoed=5000 ", NULL);
}

Test(dpdk_memif, tiny_ring_hands_frames_back)
{
    /* 16-slot memif rings and 256-frame windows: tx_burst cannot take whole bursts, the
     * peer keeps what it hands back and frees it; the missing frames are resent. */
    char *ping[] = {"--count", "5000", "--burst", "256", "--dst", "02:00:00:00:00:01", NULL};
    pingpong(",rsize=4", ping, NULL, "echoed=5000 ", "tx_full=0 ");
}

/*
 * calibrate.c — `tasvir-bench calibrate`: measure on this machine the CPU costs the
 * simulator charges (tasvir-sim's cost model, docs/simulation.md §5) and write them as a
 * calibration file, one `key = value` line per key of the format.
 *
 * Everything runs the real core over the loopback backend, single-threaded (the bench
 * thread plays the sync engine and the worker threads, as the simulator's agents do), except
 * the two cross-core figures, which need two threads:
 *
 *   poll_ns, poll_ns_per_peer   idle tasvir_node_poll of node 0 of a manual-clock testbed of
 *                               1 + P nodes, all subscribed to each other's area (nothing
 *                               due: the pure scan of areas and peers), for two values of P;
 *                               a line through the two medians
 *   checkin_ns                  the arrival call of a worker (tasvir_service returning
 *                               -EAGAIN, another thread still to arrive)
 *   epoch_fixed_ns              a whole driven epoch of a node with one 4 KiB area and
 *                               nothing written (start poll, two arrivals, end poll, the
 *                               waiting thread's leaving call) minus what the model charges
 *                               for those calls (2 polls, 3 check-ins, the scan)
 *   scan_ns_per_kib             the same epoch over a 64 MiB and a 1 MiB area, nothing
 *                               written: time difference per KiB of bytes_scanned difference
 *   copy_ns_per_line            epochs of an 8 MiB area after writing 512 and 8192 random
 *                               lines: time difference per line of bytes_copied difference
 *   frame_encode_ns[_per_kib]   the owner's poll that builds one version of a 1 MiB area,
 *                               every line written, frames captured instead of sent, per
 *                               DATA frame, at MTU 1500 and 9000: a line through the two
 *                               (frame bytes, ns) points
 *   frame_decode_ns[_per_kib]   the subscriber's receive path fed those frames, per frame,
 *                               the same fit
 *   done_notice_ns              half the round trip of a cache line between two threads
 *                               pinned to two CPUs (the time a spinning thread needs to see
 *                               another core's store)
 *   engine_wake_ns              done_notice_ns + half an idle poll (a spinning engine is on
 *                               average half-way through a poll when a kick or a frame
 *                               comes)
 *   checkin_jitter_ns           90th percentile of how late a thread spinning on the TSC
 *                               for 10 us ticks enters tasvir_service after its tick
 *                               (interrupts, preemption, the loop itself)
 *   sleep_wake_ns               what handing the CPU to a woken thread costs in a node whose
 *                               threads sleep: half the mean check-in barrier (epoch start
 *                               to last arrival: two hand-offs, engine -> worker -> worker)
 *                               of a node shaped like tasvir-node with relax = sleep (an
 *                               engine idling timer_sleep_ns at a time and two workers on
 *                               one CPU, as a node's lcores share one on the local
 *                               testbeds, sleeping on futexes and woken by the core's
 *                               kicks; 1 ms internal sync, one write a ms).  The
 *                               bare hand-off (a futex wake, the waker blocking at once, the
 *                               sleeper asleep 50 us) is recorded too: it is 2-3 times
 *                               less, the node's own work around each hand-off is not in it
 *   timer_late_ns               median of how much later than asked a thread sleeping
 *                               timer_sleep_ns in a timed futex wait (tasvir-node's idle
 *                               engine) runs again; timer slack 1 us
 *   timer_wake_ns               the CPU such a timer wake-up occupies all in: a thread
 *                               spinning on the first CPU runs alone and next to a thread
 *                               there that sleeps timer_sleep_ns at a time, in turns (five
 *                               windows shared, each between two alone); its lost
 *                               iterations, as time, per wake-up of the sleeper, the median
 *                               window (on this VM 2-3 times sleep_wake_ns: the timer
 *                               interrupt, both switches and the exits to the hypervisor)
 *   timer_sleep_ns              the idle engine's sleep these figures were measured with
 *                               (--idle-sleep-us, the testbed file's idle_sleep_us; default
 *                               20 us).  They depend on it on a virtual machine, and so
 *                               does sleep_wake_ns: on the development VM a 100 us sleep
 *                               ended 50-57 us late, a 20 us one 31-41 us (the idle virtual
 *                               CPU halts, and waking it goes through the host)
 * The sleeping-thread keys are what tasvir-sim --relax=sleep charges for nodes whose
 * threads sleep when idle (docs/simulation.md §3); the others assume spinning threads.
 *   app_write_ns_per_line       the versioned workload's write batch (4 random lines and
 *                               its header, experiments/workload) per line written
 *   app_verify_ns_per_line      its probe's check of a new version (every line of a 64 KiB
 *                               area read back and verified) per line
 * The application work of the workload that tasvir-node and tasvir-sim both run; the
 * simulator charges it to the thread that does it.
 *
 * Only with --port-iface (a port whose frames the kernel carries, as net_af_packet's on the
 * local-bridge testbed; port_tx.c):
 *   port_tx_ns_per_frame        (burst of 8 - burst of 1) / 7: sendmmsg() of 1514-byte
 *                               frames on that interface, received in the peer namespace
 *   port_tx_ns                  the single-frame call minus one frame: the kick
 * Without it the keys are left out (the simulator's default is 0: a NIC or a memif ring
 * takes frames without the sending CPU carrying them further).
 *
 * Each figure is the median of its repetitions; the whole set is measured --rounds times
 * and the lowest median of each raw figure kept (another process on a shared machine only
 * slows a round down), except timer_wake_ns, the median round (a difference of two rates,
 * which noise moves either way); the keys are derived from those.  The file starts with
 * comments naming the machine, the date, the git revision of the source, the load average
 * and every raw figure, then the keys.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/core/internal.h"
#include "bench.h"
#include "testbed.h"
#include "../node/kicks.h"
#include "../workload/workload.h"

#define PROG "tasvir-bench calibrate"
#define MS 1000000ull

struct cal_opts {
    unsigned rounds;
    unsigned reps_poll, reps_epoch, reps_frame, reps_ping, ticks, reps_sleep, sleep_node_ms;
    unsigned peers_lo, peers_hi;
    const char *out;
    const char *git_rev;
    const char *note; /* --note: where it ran (e.g. the testbed node), into the note key */
    /* --port-iface, --port-sink-netns, --port-sink-iface: the port-transmit figures */
    const char *port_iface, *port_sink_netns, *port_sink_iface;
    unsigned reps_port;
    uint64_t idle_ns; /* --idle-sleep-us: the idle engine's timed sleep the sleeping-thread
                       * figures are measured with (the testbed's idle_sleep_us) */
    bool quick;
};

/* One round's figures (ns), NAN when not measured. */
struct cal_fig {
    double poll_lo, poll_hi; /* idle poll at peers_lo / peers_hi */
    double checkin;
    double epoch_small;      /* whole idle epoch, 4 KiB area */
    double scan_small_kib;   /* KiB scanned by that epoch */
    double epoch_scan_lo, epoch_scan_hi, scan_lo_kib, scan_hi_kib;
    double epoch_copy_lo, epoch_copy_hi, copy_lo_lines, copy_hi_lines;
    double enc[2], dec[2], frame_bytes[2]; /* MTU 1500, 9000 */
    double notice;
    double jitter;
    double handoff;    /* bare futex hand-off: wake to running, same CPU */
    double node_barrier; /* check-in barrier of a sleeping node's epoch, one CPU */
    double timer_late; /* lateness of an idle_ns timed futex wait */
    double timer_wake; /* CPU an idle_ns sleeper's wake-up takes from a spinner on its CPU */
    double port_one, port_burst; /* sendmmsg of 1 and of port_burst_n frames (--port-iface) */
    double port_burst_n;
    double app_write, app_write_lines;   /* the workload's write batch and its lines */
    double app_verify, app_verify_lines; /* its probe's check of a new version, lines */
};

static double *samples(unsigned n)
{
    double *v = calloc(n ? n : 1, sizeof(double));
    if (!v)
        bench_info("calibrate: out of memory");
    return v;
}

/* ---- poll_ns, poll_ns_per_peer ------------------------------------------------------ */

/* Median idle poll of node 0 in a testbed of 1 + peers nodes, all-to-all subscribed. */
static double idle_poll(unsigned peers, unsigned reps)
{
    unsigned n = peers + 1;
    struct bench_tb b = {0};
    double res = NAN;
    double *v = samples(reps); /* says so if it fails */
    struct tasvir_area **rd = calloc((size_t)n * n, sizeof(*rd));
    char what[48];
    snprintf(what, sizeof(what), "idle poll, %u peers", peers);
    if (v && !rd)
        bench_info("calibrate: %s: out of memory", what);
    if (!v || !rd || bench_tb_create(&b, "calibrate", n, 1500, false, 1))
        goto out;
    char name[32];
    for (unsigned i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "cal-poll-%u", i);
        if (!bench_area(b.t[i], name, 4096, 1000))
            goto out;
    }
    /* every node attaches every other node's area (the directory spreads them) */
    bool all = false;
    for (int s = 0; s < 200000 && !all && !b.err; s++) {
        all = true;
        for (unsigned i = 0; i < n; i++)
            for (unsigned j = 0; j < n; j++) {
                if (i == j)
                    continue;
                snprintf(name, sizeof(name), "cal-poll-%u", j);
                all = bench_tb_attach(&b, i, name, &rd[i * n + j]) && all;
            }
        bench_tb_step(&b, 10000);
    }
    for (int s = 0; s < 3000 && all; s++) /* settle: full versions out, heartbeats regular */
        bench_tb_step(&b, 10000);
    if (bench_tb_failed(&b, what))
        goto out;
    if (!all) {
        bench_info("calibrate: %s: subscriptions did not complete", what);
        goto out;
    }
    /* the clock stands still: nothing becomes due, every poll is an idle one */
    for (unsigned r = 0; r < 100; r++)
        tasvir_node_poll(b.node[0], NULL);
    for (unsigned r = 0; r < reps; r++) {
        uint64_t t0 = bench_ticks();
        tasvir_node_poll(b.node[0], NULL);
        uint64_t t1 = bench_ticks();
        v[r] = bench_ticks_to_ns(t1 - t0);
    }
    res = bench_median(v, reps);
out:
    free(v);
    free(rd);
    bench_tb_destroy(&b);
    return res;
}

/* ---- internal-sync epochs: checkin_ns, epoch_fixed_ns, scan, copy ------------------- */

struct epoch_case {
    uint64_t area_bytes;
    uint64_t lines;   /* random lines written before each epoch (0: none) */
    double total_ns;  /* median whole epoch */
    double arrive_ns; /* median arrival call */
    double scanned_kib, copied_lines;
};

/* Drive one epoch with two threads on the calling thread; *arrive gets the arrival call
 * (t0, not the last), the return value the whole epoch (ns), or NAN on failure. */
static double drive(struct tasvir_node *n, struct tasvir_thread *t0, struct tasvir_thread *t1,
                    double *arrive)
{
    tasvir_node_sync_now(n);
    uint64_t a = bench_ticks();
    (void)tasvir_node_poll(n, NULL); /* starts the epoch */
    uint64_t b = bench_ticks();
    int r0 = tasvir_service(t0); /* arrives, t1 still missing: -EAGAIN */
    uint64_t c = bench_ticks();
    int r1;
    unsigned spins = 0;
    while ((r1 = tasvir_service(t1)) == -EAGAIN && ++spins < 1000000u)
        (void)tasvir_node_poll(n, NULL); /* t1 is last: it scans, copies and publishes */
    uint64_t d = bench_ticks();
    int r2;
    spins = 0;
    do /* the engine sees the end, the waiting thread leaves */
        (void)tasvir_node_poll(n, NULL);
    while ((r2 = tasvir_service(t0)) == -EAGAIN && ++spins < 1000000u);
    uint64_t e = bench_ticks();
    if (r0 != -EAGAIN || r1 < 0 || r2 < 0) {
        /* -EAGAIN at the last two: still in progress after a million calls */
        bench_info("calibrate: driven epoch: arrival %s (expected an epoch in progress), "
                   "last thread %s, leave %s",
                   tasvir_strerror(r0), r1 == -EAGAIN ? "still in progress" : tasvir_strerror(r1),
                   r2 == -EAGAIN ? "still in progress" : tasvir_strerror(r2));
        return NAN;
    }
    *arrive = bench_ticks_to_ns(c - b);
    return bench_ticks_to_ns((b - a) + (c - b) + (d - c) + (e - d));
}

static int epoch_case(struct epoch_case *ec, unsigned reps, uint64_t seed)
{
    struct bench_node bn;
    struct bench_node_opts o = {0};
    if (bench_node_create(&bn, &o))
        return -1;
    int ret = -1;
    double *tot = samples(reps), *arr = samples(reps), *sc = samples(reps), *cp = samples(reps);
    uint64_t nl = ec->area_bytes / TASVIR_LINE_BYTES;
    uint64_t *lines = ec->lines ? malloc(sizeof(*lines) * ec->lines) : NULL;
    uint8_t *used = ec->lines ? calloc(nl, 1) : NULL;
    struct tasvir_thread *t0 = bench_thread(bn.node), *t1 = t0 ? bench_thread(bn.node) : NULL;
    struct tasvir_area *a = t1 ? bench_area(t0, "cal-epoch", ec->area_bytes, 0) : NULL;
    if (a && ec->lines && (!lines || !used))
        bench_info("calibrate: epochs: out of memory for %" PRIu64 " lines", ec->lines);
    if (!tot || !arr || !sc || !cp || !a || (ec->lines && (!lines || !used)))
        goto out; /* said why */
    uint64_t rng = seed | 1;
    for (uint64_t i = 0; i < ec->lines;) { /* random distinct lines, random order */
        uint64_t l = bench_rand(&rng) % nl;
        if (!used[l]) {
            used[l] = 1;
            lines[i++] = l;
        }
    }
    uint8_t *w = tasvir_area_writer(a);
    double dummy;
    for (unsigned r = 0; r < 3; r++) /* warm-up: pages touched, code paths taken */
        (void)drive(bn.node, t0, t1, &dummy);
    unsigned got = 0;
    for (unsigned r = 0; r < reps; r++) {
        for (uint64_t i = 0; i < ec->lines; i++) {
            uint64_t *p = (uint64_t *)(void *)(w + lines[i] * TASVIR_LINE_BYTES);
            for (int k = 0; k < 8; k++)
                p[k] = r + 1;
            int rc = tasvir_log(a, p, TASVIR_LINE_BYTES);
            if (rc < 0) {
                bench_info("calibrate: epochs: tasvir_log: %s", tasvir_strerror(rc));
                goto out;
            }
        }
        struct tasvir_stats s0, s1;
        tasvir_node_stats(bn.node, &s0);
        double t = drive(bn.node, t0, t1, &arr[got]);
        tasvir_node_stats(bn.node, &s1);
        if (isnan(t) || s1.epochs_ok != s0.epochs_ok + 1 ||
            s1.bytes_copied - s0.bytes_copied < ec->lines * TASVIR_LINE_BYTES) {
            bench_info("calibrate: a driven epoch did not publish its %" PRIu64 " lines",
                       ec->lines);
            goto out;
        }
        tot[got] = t;
        sc[got] = (double)(s1.bytes_scanned - s0.bytes_scanned) / 1024.0;
        cp[got] = (double)(s1.bytes_copied - s0.bytes_copied) / TASVIR_LINE_BYTES;
        got++;
    }
    ec->total_ns = bench_median(tot, got);
    ec->arrive_ns = bench_median(arr, got);
    ec->scanned_kib = bench_median(sc, got);
    ec->copied_lines = bench_median(cp, got);
    ret = 0;
out:
    free(tot);
    free(arr);
    free(sc);
    free(cp);
    free(lines);
    free(used);
    bench_node_destroy(&bn);
    return ret;
}

/* ---- frames: encode and decode per frame at one MTU --------------------------------- */

static int frame_case(uint32_t mtu, unsigned reps, double poll_idle, double *enc_ns,
                      double *dec_ns, double *frame_bytes)
{
    double *enc = samples(reps), *dec = samples(reps), *fb = samples(reps);
    int ret = -1;
    char what[32];
    snprintf(what, sizeof(what), "frames, MTU %u", mtu);
    if (!enc || !dec || !fb)
        goto done;
    for (unsigned r = 0; r < reps; r++) {
        struct bench_tb_version v;
        if (bench_tb_version("calibrate", what, mtu, 1, 1, r + 1, &v))
            goto done;
        enc[r] = (bench_ticks_to_ns(v.rd.poll_ticks) - poll_idle) / (double)v.rd.data_frames;
        fb[r] = (double)v.data_bytes / (double)v.data_n;
        dec[r] = bench_ticks_to_ns(v.replay_ticks) / (double)v.replayed;
    }
    *enc_ns = bench_median(enc, reps);
    *dec_ns = bench_median(dec, reps);
    *frame_bytes = bench_median(fb, reps);
    ret = 0;
done:
    free(enc);
    free(dec);
    free(fb);
    return ret;
}

/* ---- cross-core: cache-line round trip, check-in lateness --------------------------- */

struct ping {
    _Alignas(64) _Atomic uint64_t ball;
    _Alignas(64) _Atomic int stop;
    unsigned reps;
    int cpu;
};

/* pthread_create, said so when it fails (what: the measurement); returns its code. */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg, const char *what)
{
    int rc = pthread_create(t, NULL, fn, arg);
    if (rc)
        bench_info("calibrate: %s: cannot start a thread: %s", what, strerror(rc));
    return rc;
}

static void *pong_main(void *arg)
{
    struct ping *p = arg;
    bench_pin_self(p->cpu);
    uint64_t expect = 1;
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        if (atomic_load_explicit(&p->ball, memory_order_acquire) == expect) {
            atomic_store_explicit(&p->ball, expect + 1, memory_order_release);
            expect += 2;
        } else {
            bench_cpu_relax();
        }
    }
    return NULL;
}

/* Median one-way notice latency (half a round trip) between two CPUs; NAN on failure. */
static double cache_notice(unsigned reps)
{
    struct ping p;
    memset(&p, 0, sizeof(p));
    p.reps = reps;
    p.cpu = bench_ncpus() > 1 ? bench_cpu(1) : -1;
    double *v = samples(reps);
    pthread_t tid;
    if (!v || start_thread(&tid, pong_main, &p, "cache-line ping")) {
        free(v);
        return NAN;
    }
    bench_pin_self(bench_ncpus() > 1 ? bench_cpu(0) : -1);
    uint64_t ball = 1;
    unsigned got = 0;
    bool lost = false;
    for (unsigned r = 0; r < reps + 100 && !lost; r++) {
        uint64_t t0 = bench_ticks();
        atomic_store_explicit(&p.ball, ball, memory_order_release);
        uint64_t spins = 0;
        while (atomic_load_explicit(&p.ball, memory_order_acquire) != ball + 1 &&
               !(lost = ++spins >= (1ull << 32)))
            bench_cpu_relax();
        uint64_t t1 = bench_ticks();
        ball += 2;
        if (r >= 100 && !lost) /* the first ones warm up both sides */
            v[got++] = bench_ticks_to_ns(t1 - t0) / 2;
    }
    atomic_store(&p.stop, 1);
    pthread_join(tid, NULL);
    bench_unpin_self();
    if (lost)
        bench_info("calibrate: cache-line ping: CPU %d did not answer in 2^32 spins", p.cpu);
    double m = lost ? NAN : bench_median(v, got);
    free(v);
    return m;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* 90th percentile of a TSC-spinning worker's lateness at its 10 us check-in ticks. */
static double checkin_lateness(unsigned ticks)
{
    struct bench_node bn;
    struct bench_node_opts o = {0};
    if (bench_node_create(&bn, &o))
        return NAN;
    double *v = samples(ticks), res = NAN;
    struct tasvir_thread *t = bench_thread(bn.node);
    if (!v || !t)
        goto out;
    bench_pin_self(bench_cpu(0));
    uint64_t period = bench_ns_to_ticks(10000);
    uint64_t tick = bench_ticks() + period;
    for (unsigned i = 0; i < ticks; i++) {
        uint64_t now;
        while ((now = bench_ticks()) < tick)
            bench_cpu_relax();
        (void)tasvir_service(t);
        v[i] = bench_ticks_to_ns(now - tick);
        tick += period;
        if (tick < bench_ticks()) /* preempted past whole ticks: the next one from now */
            tick = bench_ticks() + period;
    }
    bench_unpin_self();
    qsort(v, ticks, sizeof(*v), cmp_dbl);
    res = v[(size_t)(0.9 * (ticks - 1))];
out:
    free(v);
    bench_node_destroy(&bn);
    return res;
}

/* ---- sleeping threads: futex wake-up and timed-sleep lateness ------------------------ */

/* Timed sleeps of the calling thread end within 1 us of their deadline instead of the
 * default 50 us (the timer figures assume it); says so if the kernel refuses. */
static void fine_timer_slack(void)
{
    if (prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0))
        bench_info("calibrate: warning: cannot set the timer slack to 1 us (%s): timed "
                   "sleeps end later, the timer figures are larger",
                   strerror(errno));
}

/* A thread that sleeps as tasvir-node's do: on `cpu`, with a 1 us timer slack (short sleeps
 * must stay short). */
static void sleeper_setup(int cpu)
{
    bench_pin_self(cpu);
    fine_timer_slack();
}

static void futex_wake_one(_Atomic uint32_t *w)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

struct sleeper {
    _Alignas(64) _Atomic uint32_t go;  /* bumped by the waker */
    _Alignas(64) _Atomic uint32_t ack; /* bumped by the sleeper once it ran */
    _Atomic uint64_t kick_ns;          /* when the waker woke it */
    _Atomic int stop;
    double *v;
    unsigned reps;
    int cpu;
};

static void *sleeper_main(void *arg)
{
    struct sleeper *s = arg;
    sleeper_setup(s->cpu);
    for (unsigned i = 0; i < s->reps;) {
        uint32_t seen = atomic_load_explicit(&s->go, memory_order_acquire);
        if (seen == i) { /* not kicked yet: sleep (bounded, so a lost wake cannot hang) */
            if (atomic_load(&s->stop))
                break;
            tnode_futex_wait(&s->go, seen, 100 * MS);
            continue;
        }
        s->v[i] = (double)(bench_mono_ns() - atomic_load(&s->kick_ns));
        i++;
        atomic_fetch_add_explicit(&s->ack, 1, memory_order_release);
        futex_wake_one(&s->ack);
    }
    return NULL;
}

/* Median bare futex hand-off on the caller's CPU: from the wake to the sleeping thread
 * running, the waker blocking at once (recorded in the file's comments); NAN on failure.
 * (The sleeper waits for the wake, not for a timer: idle_ns is not used.) */
static double bare_handoff(unsigned reps, uint64_t idle_ns)
{
    (void)idle_ns;
    struct sleeper s;
    memset(&s, 0, sizeof(s));
    s.reps = reps;
    s.cpu = bench_cpu(0);
    s.v = samples(reps);
    pthread_t tid;
    if (!s.v || start_thread(&tid, sleeper_main, &s, "futex wake-up")) {
        free(s.v);
        return NAN;
    }
    bench_pin_self(s.cpu);
    int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    fine_timer_slack();
    unsigned done = 0;
    for (; done < reps; done++) {
        _Atomic uint32_t idle = 0; /* nobody wakes it: a plain 50 us sleep */
        tnode_futex_wait(&idle, 0, 50000);
        atomic_store(&s.kick_ns, bench_mono_ns());
        atomic_fetch_add_explicit(&s.go, 1, memory_order_release);
        futex_wake_one(&s.go);
        /* block until the sleeper has run (as the engine blocks after a kick) */
        uint64_t limit = bench_mono_ns() + 1000 * MS;
        uint32_t a;
        while ((a = atomic_load_explicit(&s.ack, memory_order_acquire)) == done &&
               bench_mono_ns() < limit)
            tnode_futex_wait(&s.ack, a, 10 * MS);
        if (a == done)
            break; /* the sleeper did not run within a second */
    }
    atomic_store(&s.stop, 1);
    atomic_fetch_add(&s.go, 0); /* (the sleeper's wait is bounded) */
    pthread_join(tid, NULL);
    if (old_slack > 0)
        prctl(PR_SET_TIMERSLACK, (unsigned long)old_slack, 0, 0, 0);
    bench_unpin_self();
    double m = done == reps ? bench_median(s.v, reps) : NAN;
    free(s.v);
    return m;
}

/* Median lateness of a timed futex wait of idle_ns on the first CPU; NAN on failure. */
static double timer_lateness(unsigned reps, uint64_t idle_ns)
{
    double *v = samples(reps);
    if (!v)
        return NAN;
    bench_pin_self(bench_cpu(0));
    int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    fine_timer_slack();
    for (unsigned i = 0; i < reps; i++) {
        _Atomic uint32_t idle = 0;
        uint64_t t0 = bench_mono_ns();
        tnode_futex_wait(&idle, 0, idle_ns);
        uint64_t d = bench_mono_ns() - t0;
        v[i] = d > idle_ns ? (double)(d - idle_ns) : 0;
    }
    if (old_slack > 0)
        prctl(PR_SET_TIMERSLACK, (unsigned long)old_slack, 0, 0, 0);
    bench_unpin_self();
    double m = bench_median(v, reps);
    free(v);
    return m;
}

/* What a timer wake-up of a sleeping thread takes from the CPU it shares: a thread spinning
 * on the first CPU (counting loop iterations) runs for `ms` in windows, alone and next to
 * a thread on the same CPU that sleeps idle_ns at a time (tasvir-node's idle engine), in
 * turns; the spinner's lost iterations, as time, per wake-up.  This is the CPU the
 * wake-up occupies all in (timer interrupt, switches both ways, the sleep's system call;
 * on a virtual machine also the exits to the hypervisor), where sleep_wake_ns is the
 * latency of a hand-off between threads that kick each other.  NAN on failure. */
struct tw_spin {
    _Atomic int phase;       /* 0 wait, 1 spin, 2 stop */
    _Atomic uint32_t round;  /* the measurement asked for (set before phase 1) */
    _Atomic uint32_t started, reported; /* the last round the spinner began / reported */
    _Atomic uint64_t iters;  /* iterations of the round reported */
    int cpu;
};

static void *tw_spinner(void *arg)
{
    struct tw_spin *s = arg;
    bench_pin_self(s->cpu);
    for (;;) {
        int ph = atomic_load_explicit(&s->phase, memory_order_acquire);
        if (ph == 2)
            break;
        if (ph == 0) {
            bench_cpu_relax();
            continue;
        }
        uint32_t r = atomic_load_explicit(&s->round, memory_order_relaxed);
        atomic_store_explicit(&s->started, r, memory_order_release);
        uint64_t n = 0;
        while (atomic_load_explicit(&s->phase, memory_order_relaxed) == 1)
            for (unsigned k = 0; k < 256; k++, n++)
                __asm__ volatile("" ::: "memory");
        atomic_store_explicit(&s->iters, n, memory_order_relaxed);
        atomic_store_explicit(&s->reported, r, memory_order_release);
    }
    return NULL;
}

struct tw_sleeper {
    _Atomic int stop;
    _Atomic uint32_t active; /* 1: sleep idle_ns at a time; 0: parked on this word */
    _Atomic uint64_t wakes;  /* timed sleeps ended while active */
    uint64_t idle_ns;
    int cpu;
};

static void *tw_sleeper_main(void *arg)
{
    struct tw_sleeper *s = arg;
    sleeper_setup(s->cpu);
    while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
        if (!atomic_load_explicit(&s->active, memory_order_acquire)) {
            tnode_futex_wait(&s->active, 0, 1000 * MS); /* parked until woken */
            continue;
        }
        _Atomic uint32_t idle = 0;
        tnode_futex_wait(&idle, 0, s->idle_ns);
        atomic_fetch_add_explicit(&s->wakes, 1, memory_order_relaxed);
    }
    return NULL;
}

static void tw_sleeper_set(struct tw_sleeper *s, uint32_t active)
{
    atomic_store_explicit(&s->active, active, memory_order_release);
    syscall(SYS_futex, (uint32_t *)&s->active, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Wait (sleeping 100 us at a time, at most 5 s) until *w == want. */
static bool tw_await(_Atomic uint32_t *w, uint32_t want)
{
    uint64_t limit = bench_mono_ns() + 5000 * MS;
    while (atomic_load_explicit(w, memory_order_acquire) != want)
        if (bench_mono_ns() > limit)
            return false;
        else
            usleep(100);
    return true;
}

/* One spinner run of ms on the spinner's CPU: iterations per ns; NAN if the spinner did not
 * run (the machine is that busy).  The window is timed from the spinner's start: a spinner
 * not yet scheduled when the window ends must neither hang the caller nor count as idle. */
static double tw_rate(struct tw_spin *s, unsigned ms)
{
    uint32_t r = atomic_load_explicit(&s->round, memory_order_relaxed) + 1;
    atomic_store_explicit(&s->round, r, memory_order_relaxed);
    atomic_store_explicit(&s->phase, 1, memory_order_release);
    bool ok = tw_await(&s->started, r);
    uint64_t t0 = bench_mono_ns();
    while (ok && bench_mono_ns() - t0 < (uint64_t)ms * MS)
        usleep(1000); /* the caller sleeps on the other CPU */
    atomic_store_explicit(&s->phase, 0, memory_order_release);
    uint64_t t1 = bench_mono_ns();
    /* a spinner that starts after all reports a round that is over at once */
    if (!ok || !tw_await(&s->reported, r)) {
        bench_info("calibrate: timer wake-up cost: the spinning thread on CPU %d did not run "
                   "within 5 s",
                   s->cpu);
        return NAN;
    }
    return (double)atomic_load_explicit(&s->iters, memory_order_relaxed) / (double)(t1 - t0);
}

#define TW_WINDOWS 5u

static double timer_wake_cost(unsigned ms, uint64_t idle_ns)
{
    if (bench_ncpus() < 2)
        return NAN; /* the caller must time the spinner from another CPU */
    struct tw_spin sp = {.cpu = bench_cpu(0)};
    atomic_init(&sp.phase, 0);
    pthread_t st, zt;
    if (start_thread(&st, tw_spinner, &sp, "timer wake-up cost"))
        return NAN;
    bench_pin_self(bench_cpu(1));
    struct tw_sleeper sl = {.cpu = bench_cpu(0), .idle_ns = idle_ns};
    atomic_init(&sl.stop, 0);
    atomic_init(&sl.active, 0);
    atomic_init(&sl.wakes, 0);
    double res = NAN;
    if (start_thread(&zt, tw_sleeper_main, &sl, "timer wake-up cost") == 0) {
        /* TW_WINDOWS shared windows, each between two windows alone: the spinner's own rate
         * drifts (the host changes the CPU's clock, other guests run), so each shared
         * window is compared with its neighbours, and the median of the estimates kept */
        unsigned win = ms / (2 * TW_WINDOWS + 1) ? ms / (2 * TW_WINDOWS + 1) : 1;
        double est[TW_WINDOWS];
        unsigned n = 0;
        double before = tw_rate(&sp, win);
        for (unsigned i = 0; i < TW_WINDOWS && !isnan(before); i++) {
            tw_sleeper_set(&sl, 1);
            usleep(2000);
            uint64_t w0 = atomic_load(&sl.wakes), t0 = bench_mono_ns();
            double shared = tw_rate(&sp, win);
            uint64_t w1 = atomic_load(&sl.wakes), t1 = bench_mono_ns();
            tw_sleeper_set(&sl, 0);
            usleep(2000);
            double after = tw_rate(&sp, win);
            if (isnan(shared) || isnan(after))
                break;
            double alone = (before + after) / 2;
            if (w1 > w0 && alone > 0)
                est[n++] = (1 - shared / alone) * (double)(t1 - t0) / (double)(w1 - w0);
            before = after;
        }
        if (n == TW_WINDOWS)
            res = bench_median(est, n);
        atomic_store(&sl.stop, 1);
        tw_sleeper_set(&sl, 0);
        pthread_join(zt, NULL);
    }
    atomic_store(&sp.phase, 2);
    pthread_join(st, NULL);
    bench_unpin_self();
    return res;
}

/* A node shaped like tasvir-node with relax = sleep: the engine (the calling thread) and two
 * workers, all on the first CPU, sleeping on futexes between their work and woken by the
 * core's kicks; worker 0 writes one line of its 64 KiB area every millisecond, internal
 * sync every millisecond.  The kick words are the harness's (one harness at a time). */
static struct {
    struct tnode_kicks k;
    _Atomic int stop;
    struct tasvir_node *node;
    struct tasvir_backend_ops ops;
    struct tasvir_backend be;
    _Atomic int failed;
} sn;
static _Thread_local bool sn_worker;

static void sn_kick(void *ctx, enum tasvir_kick what)
{
    (void)ctx;
    tnode_kick(&sn.k, what);
}

static void sn_relax(void *ctx)
{
    (void)ctx;
    if (sn_worker) /* a worker in an epoch waits for its end (bounded) */
        tnode_wait_done(&sn.k);
    else
        sched_yield();
}

static void *sn_worker_main(void *arg)
{
    unsigned idx = (unsigned)(uintptr_t)arg;
    sn_worker = true;
    sleeper_setup(bench_cpu(0));
    struct tasvir_thread *t = bench_thread(sn.node);
    struct tasvir_area *a = NULL;
    if (!t || (idx == 0 && !(a = bench_area(t, "cal-sleep", 64u << 10, 1000)))) {
        atomic_store(&sn.failed, 1);
        return NULL;
    }
    uint64_t next = bench_mono_ns() + 1000000, k = 0;
    while (!atomic_load_explicit(&sn.stop, memory_order_acquire)) {
        uint32_t seen = atomic_load_explicit(&sn.k.epoch, memory_order_acquire);
        int rc = tasvir_service_wait(t);
        if (rc < 0) {
            bench_info("calibrate: sleeping node, worker %u: %s", idx, tasvir_strerror(rc));
            atomic_store(&sn.failed, 1);
            break;
        }
        uint64_t now = bench_mono_ns();
        if (a && now >= next) {
            uint64_t *p = (uint64_t *)tasvir_area_writer(a) + (k % 1024) * 8;
            p[0] = ++k;
            (void)tasvir_log(a, p, 8);
            next = next + 1000000 > now ? next + 1000000 : now + 1000000;
        } else {
            uint64_t wait = a ? next - now : 2000000;
            tnode_futex_wait(&sn.k.epoch, seen, wait < 2000000 ? wait : 2000000);
        }
    }
    tasvir_thread_deactivate(t);
    return NULL;
}

/* Mean check-in barrier (epoch start to the last arrival) of that node's epochs over
 * run_ms after a warm-up; NAN on failure. */
static double sleeping_node_barrier(unsigned run_ms, uint64_t idle_ns)
{
    struct tasvir_loop_net_conf lc;
    tasvir_loop_net_conf_init(&lc);
    lc.real_clock = 1;
    struct tasvir_loop_net *net = NULL;
    struct tasvir_loop_port *port = NULL;
    double res = NAN;
    pthread_t th[2];
    unsigned started = 0;
    memset(&sn, 0, sizeof(sn));
    int rc = tasvir_loop_net_create(&lc, &net);
    if (rc || (rc = tasvir_loop_port_create(net, 0, &port))) {
        bench_info("calibrate: sleeping node: cannot create its loopback %s: %s",
                   net ? "port" : "net", tasvir_strerror(rc));
        goto out;
    }
    const struct tasvir_backend *base = tasvir_loop_port_backend(port);
    sn.ops = *base->ops;
    sn.ops.kick = sn_kick;
    sn.ops.relax = sn_relax;
    sn.be.ops = &sn.ops;
    sn.be.ctx = base->ctx;
    struct tasvir_node_conf c;
    tasvir_node_conf_init(&c);
    c.backend = &sn.be;
    c.epoch_window_ns = 10 * MS; /* no failed epochs: the barrier is the wait for threads */
    if ((rc = tasvir_node_create(&c, &sn.node))) {
        bench_info("calibrate: sleeping node: cannot create the node: %s", tasvir_strerror(rc));
        goto out;
    }
    bench_pin_self(bench_cpu(0));
    int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    fine_timer_slack();
    for (; started < 2; started++)
        if (start_thread(&th[started], sn_worker_main, (void *)(uintptr_t)started,
                         "sleeping node"))
            break;
    struct tasvir_stats s0 = {0}, s1;
    uint64_t t0 = bench_mono_ns(), warm_end = t0 + 100 * MS, end = warm_end + run_ms * MS;
    bool warm = true;
    while (started == 2 && !atomic_load(&sn.failed)) {
        uint64_t now = bench_mono_ns();
        if (warm && now >= warm_end) {
            tasvir_node_stats(sn.node, &s0);
            warm = false;
        }
        if (now >= end)
            break;
        uint64_t next = UINT64_MAX;
        uint32_t seen = atomic_load_explicit(&sn.k.engine, memory_order_acquire);
        rc = tasvir_node_poll(sn.node, &next);
        now = tasvir_node_now_ns(sn.node);
        uint64_t sleep = tnode_engine_sleep_ns(rc, now, next, idle_ns); /* tasvir-node's engine */
        if (sleep)
            tnode_futex_wait(&sn.k.engine, seen, sleep);
    }
    tasvir_node_stats(sn.node, &s1);
    uint64_t ep = s1.epochs_ok - s0.epochs_ok;
    if (started == 2 && !atomic_load(&sn.failed) && !warm && ep > 0)
        res = (double)(s1.barrier_ns - s0.barrier_ns) / (double)ep;
    else if (started == 2 && !atomic_load(&sn.failed))
        bench_info("calibrate: sleeping node: no epoch completed in %u ms", run_ms);
    atomic_store(&sn.stop, 1);
    sn_kick(NULL, TASVIR_KICK_EPOCH);
    for (unsigned i = 0; i < started; i++) {
        /* workers may be in an epoch: keep polling until both have left */
        while (pthread_tryjoin_np(th[i], NULL) == EBUSY) {
            (void)tasvir_node_poll(sn.node, NULL);
            sn_kick(NULL, TASVIR_KICK_EPOCH);
            sn_kick(NULL, TASVIR_KICK_DONE);
        }
    }
    if (old_slack > 0)
        prctl(PR_SET_TIMERSLACK, (unsigned long)old_slack, 0, 0, 0);
    bench_unpin_self();
out:
    if (sn.node)
        tasvir_node_destroy(sn.node);
    sn.node = NULL;
    if (net)
        tasvir_loop_net_destroy(net);
    return res;
}

/* ---- application work: app_write_ns_per_line, app_verify_ns_per_line ---------------- */

/* The versioned workload's own work (experiments/workload, which tasvir-node and tasvir-sim
 * both run) on an area of its default size: a write batch (4 random lines and the header),
 * an epoch, then the probe's check-in, which verifies the new version whole.  Medians per
 * call in *write_ns and *verify_ns, lines per call in *write_lines and *verify_lines. */
#define APP_AREA_BYTES 65536u
static int app_work(unsigned reps, double *write_ns, double *write_lines, double *verify_ns,
                    double *verify_lines)
{
    struct bench_node bn;
    struct bench_node_opts no = {0};
    if (bench_node_create(&bn, &no))
        return -1;
    int ret = -1;
    bool have_w = false;
    double *wv = samples(reps), *vv = samples(reps);
    struct tsv_writer w;
    struct tsv_probe p;
    struct tsv_writer_conf wc;
    const struct tsv_out out = {NULL, NULL, NULL};
    struct tasvir_thread *t0 = bench_thread(bn.node), *t1 = t0 ? bench_thread(bn.node) : NULL;
    struct tasvir_area *a = t1 ? bench_area(t0, "cal-app", APP_AREA_BYTES, 0) : NULL, *r = NULL;
    int rc = 0;
    if (!wv || !vv || !a)
        goto out; /* said why */
    if ((rc = tasvir_area_attach(t1, "cal-app", &r))) {
        bench_info("calibrate: application work: attach: %s", tasvir_strerror(rc));
        goto out;
    }
    tsv_writer_conf_init(&wc);
    uint64_t now = tasvir_node_now_ns(bn.node);
    if ((rc = tsv_writer_init(&w, a, &wc, 0, now))) {
        bench_info("calibrate: application work: the writer: %s", tasvir_strerror(rc));
        goto out;
    }
    have_w = true;
    if ((rc = tsv_probe_init(&p, r, 0, 1))) {
        bench_info("calibrate: application work: the probe: %s", tasvir_strerror(rc));
        goto out;
    }
    unsigned got = 0;
    for (unsigned i = 0; i < reps + 3; i++) { /* the first 3: warm-up */
        uint64_t ta = bench_ticks();
        tsv_writer_write(&w, now + i);
        uint64_t tb = bench_ticks();
        double arrive;
        if (isnan(drive(bn.node, t0, t1, &arrive)))
            goto out;
        uint64_t checks = p.checks;
        uint64_t tc = bench_ticks();
        tsv_probe_checkin(&p, now + i, &out);
        uint64_t td = bench_ticks();
        if (p.checks != checks + 1) {
            bench_info("calibrate: application work: the probe saw no new version");
            goto out;
        }
        if (i >= 3) {
            wv[got] = bench_ticks_to_ns(tb - ta);
            vv[got] = bench_ticks_to_ns(td - tc);
            got++;
        }
    }
    if (p.torn || p.backwards) {
        bench_info("calibrate: application work: the probe found %s",
                   p.torn ? "a torn version" : "a version going backwards");
        goto out;
    }
    *write_ns = bench_median(wv, got);
    *write_lines = wc.lines_per_write + 1.0;
    *verify_ns = bench_median(vv, got);
    *verify_lines = (double)p.nlines;
    ret = 0;
out:
    if (have_w)
        tsv_writer_fini(&w);
    free(wv);
    free(vv);
    bench_node_destroy(&bn);
    return ret;
}

/* ---- one round ------------------------------------------------------------------------ */

/* A sleeping-thread measurement needs its threads scheduled within bounds (a sleeper within
 * a second, a node's epochs within its run): on a machine busy with other work a run can
 * come back empty (NAN), so it is tried up to three times.  Returns the figure or NAN. */
static double measure3(double (*fn)(unsigned, uint64_t), unsigned arg, uint64_t idle_ns,
                       const char *what)
{
    for (unsigned attempt = 1;; attempt++) {
        double v = fn(arg, idle_ns);
        if (!isnan(v))
            return v;
        if (attempt == 3) {
            /* a failure with a cause of its own (a thread or node that could not be made)
             * said so above; one that did not was threads not scheduled in time */
            bench_info("calibrate: %s: no measurement in 3 attempts (unless a message above "
                       "names another cause, threads were not scheduled in time: is the "
                       "machine that busy?)",
                       what);
            return NAN;
        }
        bench_info("calibrate: %s: no measurement, trying again", what);
    }
}

static int round_run(const struct cal_opts *o, unsigned round, struct cal_fig *f)
{
    for (double *p = (double *)f; p < (double *)(f + 1); p++)
        *p = NAN;
    bench_info("calibrate: round %u/%u: idle polls (%u and %u peers)", round + 1, o->rounds,
               o->peers_lo, o->peers_hi);
    f->poll_lo = idle_poll(o->peers_lo, o->reps_poll);
    f->poll_hi = idle_poll(o->peers_hi, o->reps_poll);
    if (isnan(f->poll_lo) || isnan(f->poll_hi))
        return -1;
    bench_info("calibrate: round %u/%u: internal-sync epochs", round + 1, o->rounds);
    struct epoch_case small = {.area_bytes = 4096};
    struct epoch_case sc_lo = {.area_bytes = 1u << 20}, sc_hi = {.area_bytes = 64u << 20};
    struct epoch_case cp_lo = {.area_bytes = 8u << 20, .lines = 512};
    struct epoch_case cp_hi = {.area_bytes = 8u << 20, .lines = 8192};
    if (epoch_case(&small, o->reps_epoch, 1) || epoch_case(&sc_lo, o->reps_epoch, 2) ||
        epoch_case(&sc_hi, o->reps_epoch, 3) || epoch_case(&cp_lo, o->reps_epoch, 4) ||
        epoch_case(&cp_hi, o->reps_epoch, 5))
        return -1;
    f->checkin = small.arrive_ns;
    f->epoch_small = small.total_ns;
    f->scan_small_kib = small.scanned_kib;
    f->epoch_scan_lo = sc_lo.total_ns;
    f->epoch_scan_hi = sc_hi.total_ns;
    f->scan_lo_kib = sc_lo.scanned_kib;
    f->scan_hi_kib = sc_hi.scanned_kib;
    f->epoch_copy_lo = cp_lo.total_ns;
    f->epoch_copy_hi = cp_hi.total_ns;
    f->copy_lo_lines = cp_lo.copied_lines;
    f->copy_hi_lines = cp_hi.copied_lines;
    bench_info("calibrate: round %u/%u: frames (MTU 1500, 9000)", round + 1, o->rounds);
    static const uint32_t mtus[2] = {1500, 9000};
    for (int m = 0; m < 2; m++)
        if (frame_case(mtus[m], o->reps_frame, f->poll_lo, &f->enc[m], &f->dec[m],
                       &f->frame_bytes[m]))
            return -1;
    bench_info("calibrate: round %u/%u: cross-core notice and check-in lateness", round + 1,
               o->rounds);
    f->notice = cache_notice(o->reps_ping);
    f->jitter = checkin_lateness(o->ticks);
    if (isnan(f->notice) || isnan(f->jitter))
        return -1;
    bench_info("calibrate: round %u/%u: sleeping threads (futex wake-up, timed sleep)",
               round + 1, o->rounds);
    if (isnan(f->handoff = measure3(bare_handoff, o->reps_sleep, o->idle_ns, "futex hand-off")) ||
        isnan(f->node_barrier = measure3(sleeping_node_barrier, o->sleep_node_ms, o->idle_ns,
                                         "sleeping node's barrier")) ||
        isnan(f->timer_late =
                  measure3(timer_lateness, o->reps_sleep, o->idle_ns, "timed-sleep lateness")) ||
        isnan(f->timer_wake =
                  measure3(timer_wake_cost, o->sleep_node_ms, o->idle_ns, "timer wake-up cost")))
        return -1;
    bench_info("calibrate: round %u/%u: application work (the versioned workload)", round + 1,
               o->rounds);
    if (app_work(o->reps_epoch, &f->app_write, &f->app_write_lines, &f->app_verify,
                 &f->app_verify_lines))
        return -1;
    if (o->port_iface) {
        bench_info("calibrate: round %u/%u: port transmit on %s", round + 1, o->rounds,
                   o->port_iface);
        char err[256];
        unsigned burst;
        if (bench_port_tx(o->port_iface, o->port_sink_netns, o->port_sink_iface, o->reps_port,
                          &f->port_one, &f->port_burst, &burst, err, sizeof(err))) {
            bench_info("calibrate: port transmit: %s", err);
            return -1;
        }
        f->port_burst_n = burst;
    }
    return 0;
}

/* ---- the file ------------------------------------------------------------------------- */

/* A fitted cost for the file: one that came out negative (noise in a difference of two
 * medians) or not finite is written as 0, and said so. */
static double pos(const char *key, double x)
{
    if (isfinite(x) && x >= 0)
        return x;
    bench_info("calibrate: warning: %s came out %g; written as 0", key, x);
    return 0;
}

struct cal_values {
    double epoch_fixed, checkin, jitter, done_notice, poll, poll_per_peer, engine_wake;
    double sleep_wake, timer_late, timer_wake;
    double port_tx, port_tx_per_frame; /* NAN without --port-iface */
    double scan_per_kib, copy_per_line, enc, enc_per_kib, dec, dec_per_kib;
    double app_write_per_line, app_verify_per_line;
};

static void derive(const struct cal_opts *o, const struct cal_fig *f, struct cal_values *v)
{
    double dp = (double)(o->peers_hi - o->peers_lo);
    v->poll_per_peer = pos("poll_ns_per_peer", (f->poll_hi - f->poll_lo) / dp);
    v->poll = pos("poll_ns", f->poll_lo - v->poll_per_peer * o->peers_lo);
    v->checkin = pos("checkin_ns", f->checkin);
    v->scan_per_kib = pos("scan_ns_per_kib", (f->epoch_scan_hi - f->epoch_scan_lo) /
                                                 (f->scan_hi_kib - f->scan_lo_kib));
    v->copy_per_line =
        pos("copy_ns_per_line",
            (f->epoch_copy_hi - f->epoch_copy_lo) / (f->copy_hi_lines - f->copy_lo_lines));
    /* the single-node epochs run without peers: their polls are the fixed part */
    v->epoch_fixed = pos("epoch_fixed_ns", f->epoch_small - 2 * v->poll - 3 * v->checkin -
                         v->scan_per_kib * f->scan_small_kib);
    double kib0 = f->frame_bytes[0] / 1024, kib1 = f->frame_bytes[1] / 1024;
    v->enc_per_kib = pos("frame_encode_ns_per_kib", (f->enc[1] - f->enc[0]) / (kib1 - kib0));
    v->enc = pos("frame_encode_ns", f->enc[0] - v->enc_per_kib * kib0);
    v->dec_per_kib = pos("frame_decode_ns_per_kib", (f->dec[1] - f->dec[0]) / (kib1 - kib0));
    v->dec = pos("frame_decode_ns", f->dec[0] - v->dec_per_kib * kib0);
    v->done_notice = pos("done_notice_ns", f->notice);
    v->engine_wake = v->done_notice + v->poll / 2;
    v->jitter = pos("checkin_jitter_ns", f->jitter);
    /* the last worker checks in after the CPU has passed twice (engine -> worker -> worker):
     * half the barrier is what handing the CPU to a woken thread costs in a node */
    v->sleep_wake = pos("sleep_wake_ns", f->node_barrier / 2);
    v->timer_late = pos("timer_late_ns", f->timer_late);
    v->timer_wake = pos("timer_wake_ns", f->timer_wake);
    v->app_write_per_line = pos("app_write_ns_per_line", f->app_write / f->app_write_lines);
    v->app_verify_per_line = pos("app_verify_ns_per_line", f->app_verify / f->app_verify_lines);
    v->port_tx = v->port_tx_per_frame = NAN;
    if (!isnan(f->port_one) && !isnan(f->port_burst)) {
        v->port_tx_per_frame =
            pos("port_tx_ns_per_frame", (f->port_burst - f->port_one) / (f->port_burst_n - 1));
        v->port_tx = pos("port_tx_ns", f->port_one - v->port_tx_per_frame);
    }
}

static void git_revision(char *buf, size_t len)
{
    /* the source tree this file was compiled from: experiments/bench/calibrate.c */
    char root[4096];
    snprintf(root, sizeof(root), "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
        char *s = strrchr(root, '/');
        if (!s) {
            snprintf(buf, len, "unknown");
            return;
        }
        *s = '\0';
    }
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "git -C '%s' describe --always --dirty 2>/dev/null", root);
    FILE *p = popen(cmd, "r");
    buf[0] = '\0';
    if (p) {
        if (!fgets(buf, (int)len, p))
            buf[0] = '\0';
        pclose(p);
    }
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0])
        snprintf(buf, len, "unknown");
}

static void loadavg(char *buf, size_t len)
{
    double l[3];
    if (getloadavg(l, 3) == 3)
        snprintf(buf, len, "%.2f %.2f %.2f", l[0], l[1], l[2]);
    else
        snprintf(buf, len, "unknown");
}

/* Text for a key = value line: no '#' (comment) and one line. */
static void clean(char *s)
{
    for (; *s; s++)
        if (*s == '#' || *s == '\n' || *s == '\r')
            *s = ' ';
}

static int write_file(const struct cal_opts *o, const struct cal_fig *f, const struct cal_values *v,
                      const char *load0, const char *load1, double secs)
{
    char host[256] = "unknown", cpu[256], rev[128], date[64];
    struct utsname u;
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    bench_cpu_model(cpu, sizeof(cpu));
    if (o->git_rev)
        snprintf(rev, sizeof(rev), "%s", o->git_rev);
    else
        git_revision(rev, sizeof(rev));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
    clean(host);
    clean(cpu);
    clean(rev);
    char kernel[256] = "unknown";
    if (uname(&u) == 0)
        snprintf(kernel, sizeof(kernel), "%s %s %s", u.sysname, u.release, u.machine);
    clean(kernel);

    FILE *out = stdout;
    char tmp[4200];
    if (o->out) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", o->out);
        out = fopen(tmp, "w");
        if (!out) {
            bench_info("calibrate: %s: %s", tmp, strerror(errno));
            return -1;
        }
    }
    fprintf(out,
            "# Tasvir CPU cost calibration (format: docs/simulation.md), written by\n"
            "# `tasvir-bench calibrate%s` on %s.\n"
            "#   machine: %s, %s, %u CPUs usable (%s)\n"
            "#   git revision of the source: %s\n"
            "#   load average (1, 5, 15 min) before: %s, after: %s; %.0f s\n"
            "# Real core over the loopback backend, single-threaded except done_notice_ns,\n"
            "# checkin_jitter_ns and the sleeping-thread figures; every figure is the median of\n"
            "# its repetitions (poll %u, epoch %u, frame %u, cache-line round trips %u, check-in\n"
            "# ticks %u), the lowest of %u round%s (the timer wake-up: the median round).\n"
            "# Raw figures (ns):\n"
            "#   idle poll: %u peers %.1f, %u peers %.1f\n"
            "#   idle epoch of a 4 KiB area: %.1f (arrival call %.1f, %.1f KiB scanned)\n"
            "#   idle epoch: 1 MiB area %.1f (%.0f KiB scanned), 64 MiB area %.1f (%.0f KiB)\n"
            "#   epoch of an 8 MiB area after %.0f random lines: %.1f; after %.0f: %.1f\n"
            "#   per DATA frame of %.0f B: encode %.1f, decode %.1f; of %.0f B: encode %.1f, "
            "decode %.1f\n"
            "#   cache line one-way %.1f; check-in lateness p90 %.1f\n"
            "#   sleeping threads (%u repetitions): bare futex hand-off on one CPU %.1f; a %llu ns\n"
            "#   timed sleep %.1f late; check-in barrier of a sleeping node's epoch (engine and\n"
            "#   2 workers on one CPU, %u ms) %.1f; a spinner's time lost per wake-up of a\n"
            "#   thread sleeping %llu ns at a time on its CPU %.1f\n"
            "#   versioned workload on a %u B area: a write batch of %.0f lines %.1f, the\n"
            "#   probe's check of a new version (%.0f lines) %.1f\n",
            o->quick ? " --quick" : "", date, host, cpu, bench_ncpus(), kernel, rev, load0, load1,
            secs, o->reps_poll, o->reps_epoch, o->reps_frame, o->reps_ping, o->ticks, o->rounds,
            o->rounds == 1 ? "" : "s", o->peers_lo, f->poll_lo, o->peers_hi, f->poll_hi,
            f->epoch_small, f->checkin, f->scan_small_kib, f->epoch_scan_lo, f->scan_lo_kib,
            f->epoch_scan_hi, f->scan_hi_kib, f->copy_lo_lines, f->epoch_copy_lo, f->copy_hi_lines,
            f->epoch_copy_hi, f->frame_bytes[0], f->enc[0], f->dec[0], f->frame_bytes[1],
            f->enc[1], f->dec[1], f->notice, f->jitter, o->reps_sleep, f->handoff,
            (unsigned long long)o->idle_ns, f->timer_late, o->sleep_node_ms, f->node_barrier,
            (unsigned long long)o->idle_ns, f->timer_wake,
            APP_AREA_BYTES, f->app_write_lines, f->app_write, f->app_verify_lines, f->app_verify);
    if (o->port_iface)
        fprintf(out,
                "#   port transmit on %s (received in %s), %u repetitions %d us apart:\n"
                "#   sendmmsg of 1 frame of 1514 B %.1f, of %.0f frames %.1f\n",
                o->port_iface, o->port_sink_netns, o->reps_port, BENCH_PORT_GAP_US, f->port_one,
                f->port_burst_n, f->port_burst);
    fprintf(out, "format = 1\n");
    fprintf(out, "machine = %s (%u CPUs)\n", host, bench_ncpus());
    fprintf(out, "cpu = %s\n", cpu);
    fprintf(out, "date = %s\n", date);
    fprintf(out, "tool = tasvir-bench calibrate%s, git %s\n", o->quick ? " --quick" : "", rev);
    fprintf(out, "note = load average %s before, %s after%s%s\n", load0, load1,
            o->note ? "; " : "", o->note ? o->note : "");
    fprintf(out, "\n# internal-sync epochs\n");
    fprintf(out, "epoch_fixed_ns = %.1f\n", v->epoch_fixed);
    fprintf(out, "checkin_ns = %.1f\n", v->checkin);
    fprintf(out, "checkin_jitter_ns = %.1f\n", v->jitter);
    fprintf(out, "done_notice_ns = %.1f\n", v->done_notice);
    fprintf(out, "\n# sync engine\n");
    fprintf(out, "poll_ns = %.1f\n", v->poll);
    fprintf(out, "poll_ns_per_peer = %.2f\n", v->poll_per_peer);
    fprintf(out, "engine_wake_ns = %.1f\n", v->engine_wake);
    fprintf(out, "\n# data movement\n");
    fprintf(out, "scan_ns_per_kib = %.3f\n", v->scan_per_kib);
    fprintf(out, "copy_ns_per_line = %.2f\n", v->copy_per_line);
    fprintf(out, "\n# frames\n");
    fprintf(out, "frame_encode_ns = %.1f\n", v->enc);
    fprintf(out, "frame_encode_ns_per_kib = %.1f\n", v->enc_per_kib);
    fprintf(out, "frame_decode_ns = %.1f\n", v->dec);
    fprintf(out, "frame_decode_ns_per_kib = %.1f\n", v->dec_per_kib);
    fprintf(out, "\n# sleeping threads (tasvir-sim --relax=sleep)\n");
    fprintf(out, "sleep_wake_ns = %.1f\n", v->sleep_wake);
    fprintf(out, "timer_late_ns = %.1f\n", v->timer_late);
    fprintf(out, "timer_wake_ns = %.1f\n", v->timer_wake);
    fprintf(out, "timer_sleep_ns = %llu\n", (unsigned long long)o->idle_ns);
    fprintf(out, "\n# application work (the versioned workload's writes and probe checks)\n");
    fprintf(out, "app_write_ns_per_line = %.2f\n", v->app_write_per_line);
    fprintf(out, "app_verify_ns_per_line = %.2f\n", v->app_verify_per_line);
    if (!isnan(v->port_tx)) {
        fprintf(out, "\n# port transmit through the kernel (--port-iface %s)\n", o->port_iface);
        fprintf(out, "port_tx_ns = %.1f\n", v->port_tx);
        fprintf(out, "port_tx_ns_per_frame = %.1f\n", v->port_tx_per_frame);
    }
    if (o->out) {
        bool bad = ferror(out) != 0;
        bad = fclose(out) != 0 || bad;
        if (bad || rename(tmp, o->out) != 0) {
            bench_info("calibrate: %s: cannot write: %s", o->out, strerror(errno));
            unlink(tmp);
            return -1;
        }
        bench_info("calibrate: wrote %s", o->out);
    } else if (fflush(stdout) != 0) {
        bench_info("calibrate: cannot write to stdout");
        return -1;
    }
    return 0;
}

/* ---- command ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: tasvir-bench calibrate [OPTIONS]\n"
            "\n"
            "Measure on this machine the CPU costs tasvir-sim's cost model charges (idle poll,\n"
            "check-in, epoch, dirty-log scan, line copy, frame encode and decode, cross-core\n"
            "notice, check-in lateness; for sleeping threads, futex wake-up and timed-sleep\n"
            "lateness; the versioned workload's own writes and probe checks) with the real\n"
            "core over the loopback backend, and write them as a calibration file (format:\n"
            "docs/simulation.md) for tasvir-sim --calibration=FILE.  Every figure is a\n"
            "median of repetitions; each is measured --rounds times and the lowest median\n"
            "kept (the timer wake-up cost, a difference of two rates: the median round).\n"
            "Run it on a quiet machine: other processes only make the figures larger (the\n"
            "file records the load average).\n"
            "\n"
            "Options:\n"
            "  -o, --out FILE     write the file there (default: stdout)\n"
            "  -r, --rounds N     rounds of the whole set, 1..20 (default 5)\n"
            "  -p, --peers A,B    peer counts of the two idle-poll testbeds (default 1,31)\n"
            "  -g, --git-rev TEXT git revision recorded in the file (default: git describe of\n"
            "                     the source tree the program was built from)\n"
            "  -n, --note TEXT    where it ran (e.g. 'testbed local-bridge, node 0'), added to\n"
            "                     the file's note (one line, no '#')\n"
            "      --port-iface IFACE\n"
            "                     also measure the CPU time of handing frames to the kernel\n"
            "                     on this interface (AF_PACKET; the local-bridge testbed's\n"
            "                     veth), keys port_tx_ns and port_tx_ns_per_frame; needs\n"
            "                     the two options below and root\n"
            "      --port-sink-netns PATH\n"
            "                     network namespace (e.g. /var/run/netns/NAME) where a\n"
            "                     socket receives those frames\n"
            "      --port-sink-iface IFACE\n"
            "                     its interface there\n"
            "  -i, --idle-sleep-us N\n"
            "                     the timed sleep of tasvir-node's idle engine the sleeping-\n"
            "                     thread figures are measured with (timer_late_ns and\n"
            "                     timer_wake_ns depend on it), 1..100000 (default 20, as a\n"
            "                     testbed file's idle_sleep_us); recorded as timer_sleep_ns\n"
            "  -q, --quick        one round, few repetitions (seconds; a smoke test)\n"
            "  -h, --help         this help\n"
            "\n"
            "Progress goes to stderr.  Exit status: 0 ok, 1 a measurement failed, 2 usage.\n");
}

/* An option's text that goes into the file: non-empty, one line, no '#' (a comment). */
static const char *file_text(const char *arg, const char *opt, const char *what)
{
    if (!arg[0] || strpbrk(arg, "#\n\r"))
        bench_usage_error(PROG, "%s: expected %s without '#'", opt, what);
    return arg;
}

int bench_cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"rounds", required_argument, NULL, 'r'},
                                         {"peers", required_argument, NULL, 'p'},
                                         {"git-rev", required_argument, NULL, 'g'},
                                         {"note", required_argument, NULL, 'n'},
                                         {"quick", no_argument, NULL, 'q'},
                                         {"port-iface", required_argument, NULL, 'I'},
                                         {"port-sink-netns", required_argument, NULL, 'N'},
                                         {"port-sink-iface", required_argument, NULL, 'S'},
                                         {"idle-sleep-us", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct cal_opts o = {.rounds = 5, .reps_poll = 5000, .reps_epoch = 500, .reps_frame = 9,
                         .reps_ping = 200000, .ticks = 50000, .reps_sleep = 10000, .sleep_node_ms = 500,
                         .reps_port = 2000, .peers_lo = 1, .peers_hi = 31,
                         .idle_ns = TNODE_IDLE_SLEEP_NS};
    bool rounds_set = false, peers_set = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:r:p:g:n:i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!optarg[0])
                bench_usage_error(PROG, "--out: expected a file name");
            o.out = optarg;
            break;
        case 'r':
            o.rounds = (unsigned)bench_parse_u64(PROG, "--rounds", optarg, 1, 20);
            rounds_set = true;
            break;
        case 'p': {
            char *comma = strchr(optarg, ',');
            if (!comma)
                bench_usage_error(PROG, "--peers: expected two peer counts A,B, got '%s'", optarg);
            *comma = '\0';
            o.peers_lo = (unsigned)bench_parse_u64(PROG, "--peers", optarg, 0, 254);
            o.peers_hi = (unsigned)bench_parse_u64(PROG, "--peers", comma + 1, 1, 254);
            if (o.peers_hi <= o.peers_lo)
                bench_usage_error(PROG, "--peers %u,%u: the second count must be larger",
                                  o.peers_lo, o.peers_hi);
            peers_set = true;
            break;
        }
        case 'g':
            o.git_rev = file_text(optarg, "--git-rev", "one line of text");
            break;
        case 'n':
            o.note = file_text(optarg, "--note", "one line of text");
            break;
        case 'q':
            o.quick = true;
            break;
        case 'i': /* the range of a testbed file's idle_sleep_us */
            o.idle_ns = bench_parse_u64(PROG, "--idle-sleep-us", optarg, 1, 100000) * 1000;
            break;
        case 'I':
        case 'S':
            if (!optarg[0] || strlen(optarg) >= IF_NAMESIZE)
                bench_usage_error(PROG, "--%s: expected an interface name (1..%d characters), got '%s'",
                                  c == 'I' ? "port-iface" : "port-sink-iface", IF_NAMESIZE - 1, optarg);
            *(c == 'I' ? &o.port_iface : &o.port_sink_iface) = optarg;
            break;
        case 'N':
            o.port_sink_netns = file_text(optarg, "--port-sink-netns", "a path");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            bench_bad_option(PROG, opts, argv, c);
        }
    }
    if (optind < argc)
        bench_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
    if ((o.port_iface != NULL) != (o.port_sink_netns != NULL) ||
        (o.port_iface != NULL) != (o.port_sink_iface != NULL))
        bench_usage_error(PROG, "--port-iface, --port-sink-netns and --port-sink-iface go together");
    if (o.quick) {
        if (!rounds_set)
            o.rounds = 1;
        if (!peers_set)
            o.peers_hi = 4;
        o.reps_poll = 200;
        o.reps_epoch = 15;
        o.reps_frame = 1;
        o.reps_ping = 2000;
        o.ticks = 1000;
        o.reps_sleep = 200;
        o.sleep_node_ms = 50;
        o.reps_port = 100;
    }
    if (o.out) { /* fail before the measurements if the file cannot be written */
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp", o.out);
        FILE *t = fopen(tmp, "w");
        if (!t) {
            bench_info("calibrate: --out: cannot write %s: %s", tmp, strerror(errno));
            return 1;
        }
        fclose(t);
        remove(tmp);
    }
    bench_cpus_init();
    if (bench_ncpus() < 2) { /* the cross-core figures would be the scheduler's */
        bench_info("calibrate: needs 2 CPUs it may run on, has %u (see taskset)", bench_ncpus());
        return 1;
    }
    bench_calibrate(o.quick ? 20 : 100);
    if (o.port_iface) { /* fail before the long measurements if the port cannot be used */
        char err[256];
        double one, burst_ns;
        unsigned burst;
        if (bench_port_tx(o.port_iface, o.port_sink_netns, o.port_sink_iface, 1, &one, &burst_ns,
                          &burst, err, sizeof(err))) {
            bench_info("calibrate: port transmit: %s", err);
            return 1;
        }
    }
    char load0[64], load1[64];
    loadavg(load0, sizeof(load0));
    uint64_t t0 = bench_mono_ns();
    struct cal_fig best, f;
    bool have = false;
    double timer_wake[20]; /* --rounds is at most 20 */
    for (unsigned r = 0; r < o.rounds; r++) {
        if (round_run(&o, r, &f)) {
            bench_info("calibrate: a measurement failed");
            return 1;
        }
        /* keep the lowest median of each raw figure over the rounds; the keys are derived
         * from those once (a fitted slope and intercept stay consistent with each other) */
        double *fb = (double *)&best, *fv = (double *)&f;
        for (size_t k = 0; k < sizeof(f) / sizeof(double); k++)
            if (!have || fv[k] < fb[k])
                fb[k] = fv[k];
        have = true;
        timer_wake[r] = f.timer_wake;
    }
    /* except the timer wake-up cost, a difference of two rates that the noise moves either
     * way (the lowest round would be the one most disturbed in the windows alone): the
     * median round */
    best.timer_wake = bench_median(timer_wake, o.rounds);
    struct cal_values bv;
    derive(&o, &best, &bv);
    loadavg(load1, sizeof(load1));
    double secs = (double)(bench_mono_ns() - t0) / 1e9;
    return write_file(&o, &best, &bv, load0, load1, secs) ? 1 : 0;
}

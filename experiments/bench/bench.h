/*
 * bench.h — shared pieces of tasvir-bench: the subcommand table, cheap timing (TSC
 * calibrated against CLOCK_MONOTONIC), CPU pinning, option parsing helpers, statistics
 * helpers and a loopback node for benchmarks.
 *
 * Adding a subcommand: write `int bench_cmd_<name>(int argc, char **argv)` in its own
 * file, add one X(...) line to BENCH_COMMANDS below and the file to CMakeLists.txt.  The
 * function gets argv[0] = "<name>" and parses its own options (getopt_long with
 * optind = 1); it returns the process exit status (0 ok, 1 failure, 2 usage).
 */
#ifndef TASVIR_BENCH_H
#define TASVIR_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tasvir/loop.h"
#include "tasvir/tasvir.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#else
#define BENCH_HAVE_TSC 0
#endif

/* ---- subcommands ------------------------------------------------------------------ */

/* X(name, function, one-line summary) — the one table main() dispatches on. */
#define BENCH_COMMANDS(X)                                                                  \
    X("local", bench_cmd_local,                                                            \
      "single-node benchmark: log/service overheads, sync copy, idle scan, ...")              \
    X("ext", bench_cmd_ext,                                                                \
      "external sync: wire efficiency, encode/decode cost, bytes per subscriber")             \
    X("calibrate", bench_cmd_calibrate, "CPU costs of the simulator's cost model (calibration file)")

#define BENCH_DECLARE_CMD(name, fn, summary) int fn(int argc, char **argv);
BENCH_COMMANDS(BENCH_DECLARE_CMD)
#undef BENCH_DECLARE_CMD

/* ---- timing ------------------------------------------------------------------------ */

/* CLOCK_MONOTONIC in ns. */
uint64_t bench_mono_ns(void);
/* The machine's CPU time so far, summed over its CPUs, in ns, from /proc/stat's total line
 * (which the kernel gives in clock ticks, 10 ms at USER_HZ 100): idle (with iowait) and
 * taken by the host ("steal": a virtual machine's vCPUs waiting for the host's); this
 * process's CPU time (all its threads, CLOCK_PROCESS_CPUTIME_ID, exact); CLOCK_MONOTONIC
 * when read; and the number of CPUs the kernel counts.  What the CPUs spent on other
 * processes between two readings is the wall time times the CPUs less the idle, steal and
 * own time.  (A tickless kernel counts idle time exactly, but user and system time by the
 * tick: those undercount threads that sleep often, 0.25 s against 0.97 s of two threads
 * sleeping 20 us at a time over 3 s here, so the busy fields cannot be used.) */
struct bench_cpu_time {
    uint64_t mono_ns, idle_ns, steal_ns, own_ns;
    unsigned cpus;
};
/* Returns 0, or -1 where the kernel does not say (then *t is left alone). */
int bench_cpu_time(struct bench_cpu_time *t);

/* Cheap timestamp in ticks (TSC where available, else CLOCK_MONOTONIC ns). */
static inline uint64_t bench_ticks(void)
{
#if BENCH_HAVE_TSC
    return __rdtsc();
#else
    return bench_mono_ns();
#endif
}

static inline void bench_cpu_relax(void)
{
#if BENCH_HAVE_TSC
    _mm_pause();
#endif
}

/* CPU time consumed by the calling thread, in ns. */
uint64_t bench_thread_cpu_ns(void);
/* CPU time consumed by another thread (0 if unknown). */
uint64_t bench_other_thread_cpu_ns(pthread_t tid);
/* Measure ticks per ns against CLOCK_MONOTONIC (over about `ms` milliseconds). */
void bench_calibrate(unsigned ms);
/* Ticks per ns (1.0 before calibration or without a TSC). */
double bench_ticks_per_ns(void);
static inline double bench_ticks_to_ns(uint64_t ticks) { return (double)ticks / bench_ticks_per_ns(); }
static inline uint64_t bench_ns_to_ticks(double ns) { return (uint64_t)(ns * bench_ticks_per_ns()); }

/* Keep the compiler from discarding a computation or a store to *p. */
static inline void bench_escape(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

/* ---- CPUs -------------------------------------------------------------------------- */

/* The CPUs this process may run on, in order (filled by bench_cpus_init). */
void bench_cpus_init(void);
/* The i-th allowed CPU (wrapping); -1 if none is known. */
int bench_cpu(unsigned i);
unsigned bench_ncpus(void);
/* Pin the calling thread to one CPU (cpu < 0: no-op).  Warns once on failure. */
void bench_pin_self(int cpu);
/* Let the calling thread run on every allowed CPU again. */
void bench_unpin_self(void);

/* The CPU's model name from /proc/cpuinfo ("unknown CPU" if it has none). */
void bench_cpu_model(char *buf, size_t len);
/* One line describing the host's CPU for a run's log: the model name, family and model,
 * and the caches the kernel lists for CPU `cpu` (e.g. "...; caches L1d 48K, L1i 64K, L2
 * 2048K, L3 491520K"); whatever cannot be read is left out. */
void bench_cpu_desc(int cpu, char *buf, size_t len);

/* ---- small utilities ---------------------------------------------------------------- */

/* xorshift64*: cheap, good enough to spread lines. */
static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Median of n doubles (sorts v in place); 0 for n == 0. */
double bench_median(double *v, size_t n);

/* "1MiB", "32MiB", "64KiB", "4096B" for sizes (static buffer per call site: pass buf). */
const char *bench_fmt_bytes(uint64_t b, char *buf, size_t len);

/* Info to stderr (prefixed), like printf. */
void bench_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The CPU time of handing frames to the kernel-backed port on interface `iface` (an
 * AF_PACKET socket there; port_tx.c): the median time of one sendmmsg() of 1 frame and of
 * *burst frames of 1514 bytes, `reps` of each, while a socket on `sink_iface` in the network
 * namespace `sink_netns` (a path such as /var/run/netns/NAME) receives them.  0, or -1 with
 * a message naming the problem in err. */
#define BENCH_PORT_GAP_US 100 /* bench_port_tx: pause between two timed calls */
int bench_port_tx(const char *iface, const char *sink_netns, const char *sink_iface,
                  unsigned reps, double *one_ns, double *burst_ns, unsigned *burst,
                  char *err, size_t errlen);

/* ---- option parsing (all report the option name and exit 2 on bad input) ------------ */

/* Print "<prog>: <message>\n" and "Try '<prog> --help'." to stderr, exit 2. */
void bench_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Report what getopt_long rejected (unknown option, missing or unexpected argument) and
 * exit 2.  Call with the optstring starting with ':' and opterr = 0. */
struct option;
void bench_bad_option(const char *prog, const struct option *longopts, char **argv, int opt)
    __attribute__((noreturn));
/* Parse an unsigned integer in [min, max]; `opt` names the option in errors. */
uint64_t bench_parse_u64(const char *prog, const char *opt, const char *s, uint64_t min,
                         uint64_t max);
/* Parse a size with optional K/M/G (binary) suffix, optionally followed by "B"/"iB". */
uint64_t bench_parse_size(const char *prog, const char *opt, const char *s, uint64_t min,
                          uint64_t max);

/* ---- CSV: one header line, then rows of named cells (empty where not applicable) ------ */

#define BENCH_CSV_MAX_COLS 64
#define BENCH_CSV_CELL 32

#define BENCH_CSV_MAX_CONST 4

struct bench_csv {
    const char *const *cols; /* column names */
    unsigned ncols;
    FILE *out;
    bool header_done;
    /* columns after cols with one value in every row (the run's settings) */
    unsigned nconst;
    const char *const_cols[BENCH_CSV_MAX_CONST];
    char const_vals[BENCH_CSV_MAX_CONST][BENCH_CSV_CELL];
};

struct bench_row {
    char cell[BENCH_CSV_MAX_COLS][BENCH_CSV_CELL];
};

void bench_row_clear(struct bench_row *r);
void bench_row_str(struct bench_row *r, unsigned col, const char *s);
void bench_row_u64(struct bench_row *r, unsigned col, uint64_t v);
/* A double with `decimals` digits after the point; NaN/inf leave the cell empty. */
void bench_row_f(struct bench_row *r, unsigned col, double v, int decimals);
/* Print the header (first time) and the row, then flush. */
void bench_csv_emit(struct bench_csv *c, const struct bench_row *r);
void bench_csv_header(struct bench_csv *c);
/* Append a column whose every row holds val (before the header is printed; col is kept,
 * not copied; at most BENCH_CSV_MAX_CONST). */
void bench_csv_const(struct bench_csv *c, const char *col, const char *val);

/* ---- a one-shot gate: threads wait until `need` of them arrived ---------------------- */

/* Unlike a pthread barrier, the party count can be lowered after threads started (when
 * creating one of them failed), so a setup error cannot leave the others blocked. */
struct bench_gate {
    _Atomic unsigned arrived;
    _Atomic unsigned need;
};
void bench_gate_init(struct bench_gate *g, unsigned need);
void bench_gate_wait(struct bench_gate *g);
/* n parties will never arrive. */
void bench_gate_drop(struct bench_gate *g, unsigned n);

/* ---- a one-node loopback testbed ---------------------------------------------------- */

struct bench_node {
    struct tasvir_loop_net *net;
    struct tasvir_loop_port *port;
    struct tasvir_node *node;
};

/* Node settings the benchmarks vary (0 / false: the core's defaults). */
struct bench_node_opts {
    uint64_t sync_int_us; /* node default internal sync interval */
    uint32_t max_areas;
    int copy_isa;         /* tasvir_node_conf.copy_isa */
    int clock;            /* TASVIR_LOOP_CLOCK_TSC (at bench_calibrate's rate) or
                           * TASVIR_LOOP_CLOCK_MONOTONIC (also for 0) */
    bool verbose;         /* core warnings and notices go to stderr */
};

/* Create a real-clock loopback node.  Returns 0 or a negative tasvir error (reported). */
int bench_node_create(struct bench_node *b, const struct bench_node_opts *o);
void bench_node_destroy(struct bench_node *b);
/* Memory from the node's backend, like the area copies (the loopback backend gives
 * blocks of 2 MiB and more transparent huge pages), 4 KiB aligned, zeroed; NULL if none.
 * For buffers that a measurement compares with the areas. */
void *bench_node_mem_alloc(const struct bench_node *b, size_t len);
/* Free p (NULL: nothing) of bench_node_mem_alloc(b, len). */
void bench_node_mem_free(const struct bench_node *b, void *p, size_t len);

/* Register + activate a thread on the calling thread's behalf (waits out an epoch in
 * progress).  Returns NULL after reporting the error. */
struct tasvir_thread *bench_thread(struct tasvir_node *n);
/* Create an area owned by t.  Returns NULL after reporting the error. */
struct tasvir_area *bench_area(struct tasvir_thread *t, const char *name, uint64_t len,
                               uint64_t sync_int_us);

/* Timestamps (ticks) of a driven epoch. */
struct bench_epoch_ticks {
    uint64_t begin;   /* before tasvir_node_sync_now */
    uint64_t started; /* after the poll that started the epoch */
    uint64_t done;    /* after t's check-in returned: t scanned, copied and published */
    uint64_t end;     /* after the engine's poll that saw the end */
};

/* Run one internal sync epoch single-threaded: request it, start it, check t in (t does
 * all the copying), and let the engine see its end.  tk may be NULL.  Returns 0, or -1
 * if the epoch did not complete (reported). */
int bench_drive_epoch(struct tasvir_node *n, struct tasvir_thread *t,
                      struct bench_epoch_ticks *tk);

/* A sync-engine thread: loops tasvir_node_poll() until stopped, and runs the jobs posted
 * to it (bench_engine_post) between two polls. */
struct bench_engine {
    struct tasvir_node *node;
    struct tasvir_loop_port *port;
    pthread_t tid;
    int cpu;         /* pin to this CPU; -1: no pinning */
    bool yield;      /* share the CPU (oversubscribed runs): sleep until the node's next
                        event or a kick (tasvir_loop_port_wait) instead of spinning */
    _Atomic int stop;
    bool running;
    void (*job)(void *);
    void *job_arg;
    _Atomic int job_state; /* ENGINE_JOB_* (util.c) */
};
int bench_engine_start(struct bench_engine *e, const struct bench_node *b, int cpu, bool yield);
void bench_engine_stop(struct bench_engine *e);
/* Have a running, spinning engine thread (not `yield`: it would sleep through the post)
 * run fn(arg) at its next poll, and bench_engine_wait until it has returned.  One job at
 * a time. */
void bench_engine_post(struct bench_engine *e, void (*fn)(void *), void *arg);
void bench_engine_wait(struct bench_engine *e);

#endif /* TASVIR_BENCH_H */

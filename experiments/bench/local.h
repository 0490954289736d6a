/*
 * local.h — the `local` subcommand's pieces: options, the CSV schema shared by all its
 * sections, the figures collected for the closing summary, and one entry point per
 * section (local.c: options + overhead; local_micro.c: log_cost, sync_copy, idle_scan;
 * local_threads.c: oversub, lockstep).
 */
#ifndef TASVIR_BENCH_LOCAL_H
#define TASVIR_BENCH_LOCAL_H

#include "bench.h"

#define LOCAL_MAX_LIST 8
/* Largest --copy-sizes value: its rnd cell's area is 8 times as large, and a round holds
 * five buffers of that size (the area's two copies and the ideal copiers' three). */
#define LOCAL_COPY_MAX_BYTES (64ull << 20)

/* Sections of `local`, in the order they run. */
enum local_section {
    SEC_OVERHEAD,
    SEC_LOG_COST,
    SEC_SYNC_COPY,
    SEC_IDLE_SCAN,
    SEC_OVERSUB,
    SEC_LOCKSTEP,
    SEC_COUNT
};

/* Workloads of the overhead section. */
enum local_workload { WL_RND_W100, WL_SEQ_W100, WL_RND_W12R88, WL_SEQ_W12R88, WL_COUNT };

extern const char *const local_section_names[SEC_COUNT];
extern const char *const local_workload_names[WL_COUNT];

struct local_opts {
    unsigned rounds;        /* best-of rounds per overhead configuration */
    uint64_t duration_ms;   /* per overhead measurement */
    bool quick;             /* CI smoke run: fewer repetitions everywhere */
    bool pin;               /* pin worker / engine threads to the first two CPUs */
    bool verbose;           /* core warnings to stderr */
    bool wall_clock;        /* overhead rates per wall second instead of worker CPU second */
    bool proto_loop;        /* overhead: the original prototype's loop structure (--loop) */
    bool write_profile;     /* overhead: the l1s1 run's op cost by time since a publish */
    uint32_t max_areas;     /* node max_areas; 0 = core default */
    int copy_isa;           /* node copy_isa (--copy-isa) */
    int clock;              /* nodes' TASVIR_LOOP_CLOCK_* (--clock); 0 = auto */
    uint64_t time_budget_s; /* whole run; 0 = unlimited */
    uint64_t seed;
    uint64_t sizes[LOCAL_MAX_LIST]; /* area sizes of overhead / idle_scan */
    unsigned nsizes;
    uint64_t copy_sizes[LOCAL_MAX_LIST]; /* bytes changed per epoch of sync_copy */
    unsigned ncopy_sizes;
    uint64_t ints[LOCAL_MAX_LIST];  /* internal sync intervals (us) of overhead */
    unsigned nints;
    unsigned sections;      /* bit per enum local_section */
    unsigned workloads;     /* bit per enum local_workload */
    unsigned configs;       /* bit per overhead configuration (l0s0, l1s0, l0s1, l1s1) */
    double reps_scale;      /* multiplies repetition counts of the micro benchmarks */
    unsigned lockstep_steps;
    uint64_t lockstep_timeout_ms;
};

/* CSV columns (one shared header; cells that do not apply to a row are empty). */
enum local_col {
    C_BENCH,
    C_WORKLOAD,
    C_VARIANT,
    C_AREA_BYTES,
    C_SYNC_INT_US,
    C_CHANGED_BYTES,
    C_THREADS,
    C_REPS,
    C_WORKER_CPU_PCT,
    C_ENGINE_CPU_PCT,
    C_X_L0S0,
    C_X_L1S0,
    C_X_L0S1,
    C_X_L1S1,
    C_OVH_LOG,
    C_OVH_SRV,
    C_OVH_FULL,
    C_ISYNC_US,
    C_ISYNC_BARRIER_US,
    C_ISYNC_XPUT,
    C_EPOCHS_OK_PER_S,
    C_EPOCHS_FAILED_PER_S,
    C_SYNCS_REQ_PER_S,
    C_SERVICE_PCT,
    C_NS_PER_CALL,
    C_EPOCH_US,
    C_SYNC_GBPS,
    C_MEMCPY_GBPS,
    C_RATIO,
    C_RATIO_PAIRED,
    C_LINE_MEMCPY_GBPS,
    C_LINE_RATIO,
    C_LINE_STREAM_GBPS,
    C_LINE_STREAM_RATIO,
    C_LINE_STREAM_RATIO_PAIRED,
    C_IDLE_BEYOND_US,
    C_SCAN_GBPS,
    C_EPOCHS_OK,
    C_EPOCHS_FAILED,
    C_SUCCESS_PCT,
    C_THREADS_EXCLUDED,
    C_STEPS,
    C_US_PER_STEP,
    C_COMPLETED,
    C_LINE_STORE_GBPS, /* appended, so that the columns before keep their places */
    C_LINE_STORE_RATIO_PAIRED,
    C_MEMCPY_SPLIT_GBPS, /* appended too */
    C_MEMCPY_SPLIT_RATIO_PAIRED,
    C_SINCE_PUBLISH_US, /* appended too: bench=write_profile (--write-profile) */
    C_NS_PER_OP,
    C_OPS,
    C_STEAL_MS,
    C_STEAL_PCT,
    C_OTHER_CPU_MS,
    C_OTHER_CPU_PCT,
    C_NCOLS
};

extern const char *const local_cols[C_NCOLS];

/* A figure the project has a target for, collected for the closing summary. */
struct local_target {
    char what[64];
    double value;
    char unit[8];
    int cmp;      /* -1: value <= limit is met; +1: value >= limit is met */
    double limit;
    char note[128]; /* context printed after the verdict (local_target_note), or empty */
};

#define LOCAL_MAX_TARGETS 64

/* Regions of the TLB probe (host_tlb rows): 4, 8 and 16 MiB. */
#define LOCAL_TLB_SIZES 3

/* CPU time a stretch of the run did not get: ns summed over the CPUs, and its share of
 * all the CPUs' time over the stretch. */
struct local_stretch {
    uint64_t ns;
    double pct;
};

/* Such a share over the run and in the section with the most of it. */
struct local_share {
    struct local_stretch run;
    double max_pct;
    unsigned max_sec;
};

/* Shared state of one `local` run. */
struct local_ctx {
    struct local_opts o;
    struct bench_csv csv;
    struct bench_node_opts node_opts; /* every node of the run starts from these */
    struct local_target targets[LOCAL_MAX_TARGETS];
    unsigned ntargets;
    struct local_target *last_target; /* the last local_target() call's, or NULL */
    int cpu_worker; /* CPU for the measured worker (-1: unpinned) */
    int cpu_engine; /* CPU for the engine thread (-1: unpinned) */
    bool failed;    /* a section could not run or a correctness check failed */
    uint64_t t0_ns; /* start of the run (CLOCK_MONOTONIC) */
    double probe_ns[2][2]; /* host probe: [start, end][worker CPU, engine CPU], ns per op */
    /* host_tlb rows: ns per hop of the TLB probe over its regions (NaN: none) */
    double tlb_ns[LOCAL_TLB_SIZES];
    /* the CPU time the run did not get, over the run and in its section with the most:
     * taken by the host (host_steal rows) and used by other processes (other_cpu rows);
     * cpu_known false where the kernel does not say */
    bool cpu_known;
    unsigned cpu_count;
    uint64_t steal_boot_ns; /* the steal counted since boot, at the last reading */
    struct local_share steal, other;
    bool budget_warned;
};

/* Repetitions scaled by --quick, at least `min`. */
unsigned local_reps(const struct local_ctx *c, unsigned full, unsigned min);
/* Record a figure against its target (printed in the summary; NaN values are skipped). */
void local_target(struct local_ctx *c, double value, const char *unit, int cmp, double limit,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Context for the summary line of the last target recorded (if it was recorded). */
void local_target_note(struct local_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A new row with the bench column set. */
void local_row(struct bench_row *r, enum local_section s);

int local_overhead(struct local_ctx *c);
int local_log_cost(struct local_ctx *c);
int local_sync_copy(struct local_ctx *c);
int local_idle_scan(struct local_ctx *c);
int local_oversub(struct local_ctx *c);
int local_lockstep(struct local_ctx *c);

#endif /* TASVIR_BENCH_LOCAL_H */

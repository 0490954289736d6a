/*
 * internal.h — data structures shared by the core's source files (never installed).
 *
 *   node.c     node lifecycle, the engine's poll loop, counters, dump
 *   thread.c   thread registration, activation, tasvir_service (the check-in state machine)
 *   area.c     area lifecycle, handles, name table, dirty logging slow paths
 *   isync.c    internal sync epochs: start, arrival, cooperative copy, finalize, abort
 *   error.c    tasvir_strerror
 *
 * Concurrency rules (who may touch what):
 *  - node->lock guards membership: the thread table, the area table, handles, and the
 *    snapshot the engine takes when it starts an epoch.  It is never held while waiting.
 *  - node->ctl is the epoch control word (seq | arrived | phase), changed only by CAS or by
 *    the engine when no epoch is in progress.  Everything the engine prepares for an epoch
 *    (chunk list, expected count, counted_seq of threads) is written before the release
 *    store that publishes the new seq; threads read it after an acquire load of ctl.
 *  - Dirty bitmaps and writer copies are written by owner threads between check-ins and
 *    read/cleared by copiers during the COPY phase; the arrival CAS chain orders the two.
 *  - Fields marked "engine" are touched only by the thread running tasvir_node_poll().
 */
#ifndef TASVIR_CORE_INTERNAL_H
#define TASVIR_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tasvir/backend.h"
#include "tasvir/tasvir.h"

#define TASVIR__CACHELINE 64
#define TASVIR__LINE_SHIFT 6
#define TASVIR__WORD_LINES 64
/* Lines per copy chunk: work unit handed to one thread during the COPY phase (4 MiB). */
#define TASVIR__CHUNK_WORDS 1024u

#define TASVIR__MAGIC_NODE 0x7a5e0001u
#define TASVIR__MAGIC_THREAD 0x7a5e0002u
#define TASVIR__MAGIC_AREA 0x7a5e0003u
#define TASVIR__MAGIC_DEAD 0xdeadbeefu

/* Epoch phases (low 4 bits of ctl). */
enum {
    TASVIR__PH_IDLE = 0,    /* no epoch since creation */
    TASVIR__PH_CHECKIN = 1, /* waiting for counted threads to arrive */
    TASVIR__PH_COPY = 2,    /* all arrived: copying chunks */
    TASVIR__PH_DONE = 3,    /* published; threads may leave */
    TASVIR__PH_ABORT = 4,   /* window expired; nothing published; threads may leave */
};

#define TASVIR__CTL_PHASE(c) ((unsigned)((c)&0xfu))
#define TASVIR__CTL_ARRIVED(c) ((uint32_t)(((c) >> 4) & 0xfffffu))
#define TASVIR__CTL_SEQ(c) ((c) >> 24)
#define TASVIR__CTL(seq, arrived, phase) \
    (((uint64_t)(seq) << 24) | ((uint64_t)(arrived) << 4) | (uint64_t)(phase))

static inline bool tasvir__ph_in_progress(unsigned ph)
{
    return ph == TASVIR__PH_CHECKIN || ph == TASVIR__PH_COPY;
}

struct tasvir__area;

/* A handle: what tasvir_area_create/attach return.  hot must be the first member. */
struct tasvir_area {
    struct tasvir__area_hot hot;
    uint32_t magic;
    bool is_owner;
    struct tasvir_node *node;
    struct tasvir__area *core; /* NULL once dead */
    struct tasvir_thread *thread;
    struct tasvir_area *next; /* in core->handles, under node->lock */
};

enum { TASVIR__AREA_LIVE = 1, TASVIR__AREA_DYING = 2 };

/* One area on one node: owned here, or (later) a replica of a remote owner's area. */
struct tasvir__area {
    char name[TASVIR_NAME_MAX + 1];
    uint32_t id;
    uint64_t len;    /* as created */
    uint64_t nlines; /* len rounded up to lines */
    uint64_t nwords; /* bitmap words (64 lines each) */
    uint8_t *wcopy;  /* writer copy (owner) */
    uint8_t *rcopy;  /* reader copy: the published snapshot */
    uint64_t *log;   /* dirty bitmap of wcopy, nwords words */
    uint64_t copy_bytes; /* allocated bytes of each copy (nlines * 64) */
    struct tasvir_thread *owner;
    struct tasvir_area *owner_handle;
    struct tasvir_area *handles; /* all handles (owner's included), under node->lock */
    _Atomic int state;
    _Atomic uint64_t version;
    _Atomic uint64_t pub_ns;
    _Atomic uint64_t sync_int_ns;
    _Atomic uint64_t sync_ext_ns;
    uint64_t next_int_due_ns; /* engine */
    _Atomic uint64_t due_hint; /* nonzero: new due time set at creation / interval change */
    /* Per-epoch scratch, written by copiers of this area's chunks, read by the finalizer
     * after the chunk_done acquire. */
    bool in_epoch;           /* engine, before publish */
    uint32_t slot;           /* index in node->areas */
};

/* Work unit of the COPY phase. */
struct tasvir__chunk {
    struct tasvir__area *area;
    uint64_t word_begin, word_end;
    uint64_t changed_lines; /* written by the copier */
};

enum { TASVIR__THR_FREE = 0, TASVIR__THR_LIVE = 1, TASVIR__THR_DEAD = 2 };

struct tasvir_thread {
    uint32_t magic;
    uint32_t idx;
    int state; /* under node->lock */
    struct tasvir_node *node;
    _Atomic int active;
    _Atomic int excluded;
    _Atomic uint64_t counted_seq; /* engine: epoch in which this thread is waited for */
    _Atomic uint64_t arrive_seq;  /* thread: last epoch it tried to arrive in */
    /* thread-private */
    uint64_t seen_seq;  /* last epoch this thread has finished with */
    uint64_t wait_seq;  /* epoch it must wait out without being counted (0: none) */
    bool readmit_pending;
    uint32_t owned_areas; /* under node->lock */
    /* engine-private */
    uint32_t misses;
} __attribute__((aligned(TASVIR__CACHELINE)));

struct tasvir__stats_atomic {
    _Atomic uint64_t epochs_ok, epochs_failed, epoch_ns, barrier_ns;
    _Atomic uint64_t bytes_scanned, bytes_changed, bytes_copied, versions_published;
    _Atomic uint64_t threads_excluded, threads_readmitted, threads_excluded_now, log_misuse;
};

struct tasvir_node {
    uint32_t magic;
    struct tasvir_node_conf conf;
    struct tasvir_backend be;
    struct tasvir_identity ident;
    pthread_mutex_t lock;

    struct tasvir_thread *threads; /* max_threads slots */
    struct tasvir__area **areas;   /* max_areas slots, NULL = free */
    uint32_t n_areas;
    uint32_t areas_hwm; /* slots [areas_hwm, max_areas) have never been used */
    uint32_t next_local_id;

    /* Epoch control, on its own cache line: threads poll it. */
    _Alignas(TASVIR__CACHELINE) _Atomic uint64_t ctl;
    uint32_t expected;        /* counted threads of the current epoch */
    uint64_t ep_start_ns;     /* engine, read by copiers for stats after acquire */
    _Atomic uint64_t ep_all_arrived_ns;

    _Alignas(TASVIR__CACHELINE) _Atomic uint32_t chunk_next;
    _Alignas(TASVIR__CACHELINE) _Atomic uint32_t chunk_done;
    struct tasvir__chunk *chunks;
    uint32_t nchunks, chunk_cap;

    /* engine-private scheduling state */
    _Alignas(TASVIR__CACHELINE) uint64_t retry_at_ns;
    uint64_t handled_seq; /* last epoch whose end the engine has processed */
    uint64_t next_due_ns; /* cached earliest internal-sync due time */
    _Atomic int due_stale; /* set when next_due_ns must be recomputed */
    _Atomic int sync_now;

    /* dead handles kept for use-after-destroy detection (under lock) */
    struct tasvir_area *dead_head, *dead_tail;
    uint32_t n_dead;
    _Atomic int reap_pending;

    struct tasvir__stats_atomic st;
};

/* isync.c */
int tasvir__isync_poll(struct tasvir_node *n, uint64_t now, uint64_t *next_ns);
void tasvir__isync_copy_work(struct tasvir_node *n, uint64_t seq);
int tasvir__isync_arrive(struct tasvir_thread *t, uint64_t seq);

/* area.c */
void tasvir__area_free(struct tasvir_node *n, struct tasvir__area *a);
void tasvir__area_reap(struct tasvir_node *n);

/* node.c helpers */
void tasvir__log(const struct tasvir_node *n, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline uint64_t tasvir__now(const struct tasvir_node *n)
{
    return n->be.ops->now_ns(n->be.ctx);
}

static inline void tasvir__kick(const struct tasvir_node *n, enum tasvir_kick what)
{
    if (n->be.ops->kick)
        n->be.ops->kick(n->be.ctx, what);
}

static inline void tasvir__stat_add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

#endif /* TASVIR_CORE_INTERNAL_H */

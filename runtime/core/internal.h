/*
 * internal.h — data structures shared by the core's source files (never installed).
 *
 *   node.c     node lifecycle, the engine's poll loop, counters, dump
 *   thread.c   thread registration, activation, tasvir_service (the check-in state machine)
 *   area.c     area lifecycle, handles, name table, dirty logging slow paths
 *   isync.c    internal sync epochs: start, arrival, cooperative copy, finalize, abort
 *   esync.c    external sync: owner rounds (tiers, frames), replica staging and completion,
 *              acks, nacks, subscriptions, deferred frames
 *   member.c   peers, heartbeats, liveness, root directory, node areas, registration
 *   wire.c     frame encoding and context-free validation
 *   error.c    tasvir_strerror
 *
 * Concurrency rules (who may touch what):
 *  - node->lock guards membership: the thread table, the area table, handles, and the
 *    snapshot the engine takes when it starts an epoch.  It is never held while waiting.
 *  - node->ctl is the epoch control word (seq | arrived | phase), changed only by CAS or by
 *    the engine when no epoch is in progress.  Everything the engine prepares for an epoch
 *    (chunk list, expected count, counted_seq of threads) is written before the release
 *    store that publishes the new seq; threads read it after an acquire load of ctl.
 *  - Dirty logs and writer copies are written by owner threads between check-ins and
 *    read/cleared by copiers during the COPY phase; the arrival CAS chain orders the two.
 *  - Fields marked "engine" are touched only by the thread running tasvir_node_poll().
 */
#ifndef TASVIR_CORE_INTERNAL_H
#define TASVIR_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tasvir/backend.h"
#include "tasvir/tasvir.h"
#include "wire.h"

#define TASVIR__CACHELINE 64
#define TASVIR__LINE_SHIFT 6
#define TASVIR__WORD_LINES 64
/* Log words per copy chunk, the work unit handed to one thread during the COPY phase (4 MiB
 * of area).  (Cutting areas of 1-4 MiB in two, so that the engine copies half, shortened
 * the 1 MiB epoch from 85 to 54 us but not the owner's overhead: its next writes take the
 * lines back from the engine's CPU; 28 interleaved runs of RND_W100 1 MiB at 1 ms.) */
#define TASVIR__CHUNK_WORDS 1024u
/* log words per summary byte (512 lines, 32 KiB of area) */
#define TASVIR__GROUP_WORDS (1u << (TASVIR__SUM_SHIFT - 12))
/* chunks hold whole summary blocks (64 groups), and so whole words of the sticky bitmap
 * (64 log words), which copiers update with read-modify-writes */
_Static_assert(TASVIR__CHUNK_WORDS % (64 * TASVIR__GROUP_WORDS) == 0,
               "a chunk must hold whole summary blocks");
/* Most chunks per epoch (20-bit fields of chunk_ctl): 4 TiB of areas per node. */
#define TASVIR__MAX_CHUNKS 0xfffffu
#define TASVIR__CHUNK_CTL(seq, total, next) \
    ((((uint64_t)(seq)&0xffffffu) << 40) | ((uint64_t)(total) << 20) | (uint64_t)(next))

#define TASVIR__MAGIC_NODE 0x7a5e0001u
#define TASVIR__MAGIC_THREAD 0x7a5e0002u
/* TASVIR__MAGIC_AREA and TASVIR__MAGIC_DEAD: in tasvir.h (tasvir_log() reads them) */

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

/* Cumulative diff logs per owned area with subscribers (DESIGN §4): tier i holds every line
 * changed since version pivot[i]; tier 0 restarts every round, tier i ages every 2^i rounds
 * (esync.c, rotate_tiers).  `ever` (pivot 0, never reset) backs full resends. */
#define TASVIR__TIERS 6

struct tasvir__sub {
    uint16_t node;
    uint64_t inc;         /* the subscriber's incarnation that subscribed */
    uint64_t acked;       /* newest version it acknowledged (complete there) */
    uint64_t assumed;     /* version of the last full resend, used as a diff base until
                             an ACK passes it or a NACK says otherwise */
    uint64_t last_tx_ns;  /* last time a version was sent to it */
    uint64_t sub_ns;      /* pub_ns (the subscriber's clock) of the newest SUB: an UNSUB
                             sent before it was overtaken by it and is ignored */
    bool urgent;          /* NACKed: resend as soon as nack_gap allows */
};

/* Slots of node->unsub_memo (a power of two). */
#define TASVIR__UNSUB_MEMO 32u

struct tasvir__owner_ext {
    struct tasvir__sub *subs;
    uint32_t nsubs, cap;
    uint64_t *tier[TASVIR__TIERS];
    uint64_t pivot[TASVIR__TIERS];
    bool tiers_on;        /* tiers allocated (first subscriber seen) */
    uint32_t round;       /* rounds that sent something */
    uint64_t next_ns;     /* next external round */
    uint64_t round_ver;   /* version the tiers were last rotated at */
    bool postponed;       /* the due round waits for the transmit backlog (counted once) */
    bool held;            /* the due round waited for the area's internal sync (once) */
};

struct tasvir__rx {
    uint16_t owner;
    /* version being assembled in the staging copy */
    uint64_t cur_ver, cur_base, cur_pub;
    uint32_t cur_count, cur_got;
    uint64_t *seen;       /* bitmap of received DATA seqs of cur_ver */
    uint32_t seen_words;
    /* complete, waiting for the next epoch (frames of newer versions are deferred) */
    bool ready;
    uint64_t ready_ver, ready_pub;
    /* what the owner announced */
    uint64_t latest_ver, latest_pub, next_pub;
    uint64_t stale_since_ns;
    uint64_t visible_ns;
    uint64_t vofs;        /* added to owner versions after an owner restart (monotonic view) */
    uint64_t owner_inc;   /* owner incarnation the versions belong to */
    uint64_t last_rx_ns, last_nack_ns, last_sub_ns;
    bool have_data;       /* the owner is sending to us: subscription confirmed */
    /* Binding to the directory (member.c, dir_reconcile).  A user replica follows its
     * name: it is bound to the directory entry (id, owner, owner incarnation) listing that
     * name.  While no such entry is listed for the owner's current incarnation (the area was
     * destroyed, the owner restarted and has not registered it again, the root is
     * rebuilding its directory) it is unbound: out of the engine's id map (frames for its
     * old id reach no one), not subscribed, and reported gone (info.gone_ns). */
    uint64_t dir_inc;     /* owner incarnation of the entry it is bound to (0: not seen yet) */
    bool unbound;
    bool fresh;           /* staging reset since it was unbound: nothing to reset at rebind */
};

/* tasvir_log() writes dirty-log bytes as tasvir__mark and counts rejections with a plain
 * 64-bit locked increment of tasvir_stats.log_misuse. */
_Static_assert(sizeof(tasvir__mark) == 1, "a dirty-log byte is one byte");
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t), "log_misuse is a plain 64-bit word");

/* A handle: what tasvir_area_create/attach return.  hot must be the first member. */
struct tasvir_area {
    struct tasvir__area_hot hot; /* with the handle's magic */
    bool is_owner;
    struct tasvir_node *node;
    /* NULL once dead.  Atomic: the accessors that take no lock (tasvir_area_version and
     * the like) load it once, from any thread, while kill_handle clears it (area.c). */
    struct tasvir__area *_Atomic core;
    struct tasvir_thread *thread;
    struct tasvir_area *next; /* in core->handles, under node->lock */
};

/* Atomic mirror of what tasvir_area_info reports for replicas (written by the engine). */
struct tasvir__info_atomic {
    _Atomic uint64_t latest_ver, latest_pub, next_pub, visible_ns, stale_since_ns;
    _Atomic uint64_t gone_ns; /* nonzero: unbound from the directory since then (member.c) */
};

enum { TASVIR__AREA_LIVE = 1, TASVIR__AREA_DYING = 2 };

/* One area on one node: owned here, or (later) a replica of a remote owner's area. */
struct tasvir__area {
    char name[TASVIR_NAME_MAX + 1];
    uint32_t id;
    uint64_t len;    /* as created */
    uint64_t nlines; /* len rounded up to lines */
    uint64_t nwords; /* log words: groups of 64 lines (a 64-bit mask in the engine) */
    uint8_t *wcopy;  /* writer copy (owner) */
    uint8_t *rcopy;  /* reader copy: the published snapshot */
    uint8_t *log;    /* dirty map of wcopy: byte i is 1 when line i changed (0 otherwise);
                      * nwords * 64 bytes, 64-byte aligned: word w is bytes [64w, 64w+64) */
    uint8_t *sum;    /* summary of log: byte g is 1 whenever a byte of words [8g, 8g+8)
                      * may be set (TASVIR__GROUP_WORDS); cleared with them by the copy;
                      * tasvir__sum_bytes(nwords) bytes, 64-byte aligned */
    uint64_t *sticky; /* bit w set: log word w was left set by the last epoch (a dense word,
                       * isync.c), so its lines are compared, not just copied; copiers only */
    uint64_t copy_bytes; /* allocated bytes of each copy (nlines * 64) */
    struct tasvir_thread *owner; /* owner thread; NULL for engine-owned and replica areas */
    struct tasvir_area *owner_handle;
    bool local;             /* owned by this node (by a thread or by the engine) */
    bool sys;               /* engine-owned system area (directory, node area) */
    bool sys_dirty;         /* engine: a system area has unpublished writes */
    struct tasvir_node *node_of_sys; /* its node (for scheduling an epoch after a write) */
    uint16_t owner_node;
    uint64_t *ever;         /* local: every line ever changed (pivot 0) */
    struct tasvir__owner_ext ext; /* local: subscribers and tiers (engine) */
    struct tasvir__rx *rx;  /* replica: staging state (engine) */
    uint32_t n_reader_handles; /* under node->lock; a replica unsubscribes when it drops to 0 */
    bool registered;        /* engine: seen in the directory */
    bool want_unsub;        /* engine: send UNSUB, then reap */
    uint64_t dying_ok;      /* st.epochs_ok when it went dying, under node->lock: it is
                             * reaped only after a later epoch completed (area.c) */
    struct tasvir__info_atomic info;
    /* logs the copiers OR every dirty word into (ever + tiers), set by the engine before
     * the epoch is published */
    uint64_t *or_logs[TASVIR__TIERS + 1];
    uint32_t n_or_logs;
    struct tasvir_area *handles; /* all handles (owner's included), under node->lock */
    _Atomic int state;
    _Atomic uint64_t version;
    _Atomic uint64_t pub_ns;
    _Atomic uint64_t sync_int_ns;
    _Atomic uint64_t sync_ext_ns;
    _Atomic uint64_t due_hint; /* nonzero: new due time set at creation / interval change */
    uint32_t slot;           /* index in node->areas */
    /* Log clears left to the owner thread (isync.c, "owner_clears"): set while copiers
     * have left marked log words of this area for its owner to clear, and so while it is
     * on the owner's list of such areas (owner->oc_head, linked through oc_next). */
    _Atomic int oc_listed;
    struct tasvir__area *oc_next;
    /* Engine-private and written every epoch: on a cache line of their own (the struct is
     * allocated line-aligned), away from the fields copiers and readers read, which would
     * otherwise move to the engine's core at every epoch (see struct tasvir_node's
     * chunk_ctl for what such moves cost). */
    _Alignas(TASVIR__CACHELINE) uint64_t next_int_due_ns;
    bool in_epoch; /* before publish */
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
    /* areas whose log clears the copiers left to this thread (pushed by copiers, taken by
     * the thread once their epoch is over: tasvir__isync_owner_settle) */
    _Atomic(struct tasvir__area *) oc_head;
    /* engine-private */
    uint32_t misses;
} __attribute__((aligned(TASVIR__CACHELINE)));

struct tasvir__stats_atomic {
    _Atomic uint64_t epochs_ok, epochs_failed, epoch_ns, barrier_ns;
    _Atomic uint64_t bytes_scanned, bytes_changed, bytes_copied, versions_published;
    _Atomic uint64_t threads_excluded, threads_readmitted, threads_excluded_now, log_misuse;
    _Atomic uint64_t frames_tx, bytes_tx, frames_rx, bytes_rx, tx_failed, data_frames_tx,
        data_payload_tx, versions_sent, full_resends, nack_resends, rounds_postponed, versions_rx_complete,
        versions_rx_superseded, versions_rx_published, frames_deferred, acks_tx, acks_rx,
        nacks_tx, nacks_rx, hb_tx, hb_rx, peers_down, peers_up, owner_restarts, dir_refused;
    _Atomic uint64_t rx_drop[16];
};

/* What the engine knows of a peer.  The atomics are read by tasvir_node_peer_info and
 * tasvir_area_info from any thread; the rest is engine-private. */
struct tasvir__peer {
    _Atomic int known, up;
    _Atomic uint64_t last_heard_ns, since_ns, incarnation;
    bool ever_heard;
    uint8_t mac[6];
    uint64_t last_tx_ns, last_hb_ns;
};

/* A FIFO ring of frames waiting for the port (esync.c). */
struct tasvir__fring {
    struct tasvir_frame **f;
    uint32_t head, n, cap;
};

/* A peer added by tasvir_node_add_peer, applied by the engine (under lock). */
struct tasvir__pending_peer {
    uint16_t id;
    uint8_t mac[6];
};

/* Name index entry (from the root directory; under node->lock). */
struct tasvir__dirent {
    char name[TASVIR_NAME_MAX + 1];
    uint32_t id;
    uint16_t owner;
    uint8_t mac[6];
    uint64_t len;
    uint32_t int_us, ext_us;
    uint64_t inc; /* the owner's incarnation that registered it */
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
    _Atomic uint32_t expected; /* counted threads of the current epoch (written before
                                * the release of ctl; a late arriver may read it while the
                                * next epoch sets it, then its CAS on ctl fails) */
    uint64_t ep_start_ns;     /* engine, read by copiers for stats after acquire */
    _Atomic uint64_t ep_all_arrived_ns;

    /* chunk dispenser: (epoch seq & 0xffffff) << 40 | total << 20 | next.  Tagged with the
     * epoch so a copier that is late (its epoch ended, a new one began) cannot take a chunk
     * of the new epoch before its threads have checked in.  It and chunk_done share ctl's
     * cache line: the last thread to arrive holds that line after its CAS, and then claims,
     * completes and publishes without fetching another line from the engine's core (each
     * fetch 230-250 ns between the test machine's vCPUs).  With this, the engine's stores
     * made conditional where the value repeats (chunk list, nchunks, or_logs, changed_lines)
     * and its per-epoch area fields on a line of their own, the threaded idle epoch beyond
     * the barrier went from 0.90 to 0.68 us (1 MiB area) and from 1.57 to 0.86 us (32 MiB;
     * tasvir-bench idle_scan, medians of 8 alternating runs, 2026-11-30 15:11 UTC); the
     * two-copier sync_copy cells and RND_W100 moved within the noise or got faster. */
    _Atomic uint64_t chunk_ctl;
    _Atomic uint32_t chunk_done;
    struct tasvir__chunk *chunks;
    uint32_t nchunks, chunk_cap;

    /* engine-private scheduling state */
    _Alignas(TASVIR__CACHELINE) uint64_t retry_at_ns;
    uint64_t excl_log_ns;    /* last exclusion warning (rate-limited) */
    uint64_t excl_log_quiet; /* exclusions not logged since */
    uint64_t handled_seq; /* last epoch whose end the engine has processed */
    uint64_t next_due_ns; /* cached earliest internal-sync due time */
    uint64_t rx_pub_ns;  /* engine: start of the last epoch that published a replica */
    _Atomic int due_stale; /* set when next_due_ns must be recomputed */
    _Atomic int sync_now;
    bool ep_forced;   /* the epoch in progress was forced (tasvir_node_sync_now) */
    bool force_retry; /* a forced epoch failed: the retry is forced too */
    bool wide_copy;   /* copy lines with 64-byte moves (conf.copy_isa; isync.c copy_words) */
    bool wide_list;   /* and list scattered lines with VBMI2 (TASVIR_COPY_AVX512_VBMI2) */

    /* ---- external synchronization (engine-private unless noted) ---- */
    uint32_t mtu;
    uint64_t incarnation;
    struct tasvir__peer *peers;        /* [TASVIR_MAX_NODES]; read by peer_info (atomics below) */
    _Atomic uint64_t peer_up_bits[TASVIR_MAX_NODES / 64];
    uint64_t next_hb_ns, hb_count;
    struct tasvir__area *dir;          /* root directory (owned at the root, else replica) */
    struct tasvir__area *self;         /* this node's node area */
    uint32_t dir_capacity;
    uint32_t dir_used;                 /* root: entries in use in the directory */
    uint64_t dir_indexed_ver;          /* directory version last indexed */
    bool dir_reindex;                  /* engine: index and reconcile again (a peer restarted) */
    bool reg_dirty;                    /* engine: registration must be checked again */
    uint64_t dir_log_ns;               /* last "directory full / name taken" log */
    uint32_t dir_log_quiet;            /* root: refusals not logged since */
    bool dir_size_logged;              /* the root's directory size was reported */
    struct tasvir__dirent *dirix;      /* under lock */
    uint32_t dirix_n, dirix_cap;
    struct tasvir__area **emap;        /* engine's id -> area map (open addressing) */
    uint32_t emap_cap;
    struct tasvir__area **elist;       /* the same areas, dense: what the engine walks */
    uint32_t nelist, elist_cap;
    uint64_t reg_done_gen;             /* engine: emap_gen at which every area was listed */
    uint64_t emap_gen;
    _Atomic uint64_t areas_gen;        /* bumped under lock whenever areas[] changes */
    struct tasvir_frame **defer;
    uint32_t ndefer;
    struct tasvir_frame *txq[32];
    uint32_t ntxq;
    struct tasvir__fring backlog;      /* data frames the port did not take yet */
    struct tasvir__fring ctlq;         /* control frames: sent before the backlog */
    uint64_t epoch_end_seq;            /* last epoch whose end esync has processed */
    uint64_t created_ns;
    struct tasvir__pending_peer *pend_peers; /* under lock */
    uint32_t n_pend_peers, cap_pend_peers;
    struct tasvir_frame **hbf;         /* per-peer heartbeat frame being built */
    /* UNSUBs sent in answer to frames of areas not replicated here (esync.c unsub_reply):
     * one slot per hash of the area id, for rate limiting */
    struct {
        uint32_t area;
        uint64_t ns;
    } unsub_memo[TASVIR__UNSUB_MEMO];

    /* dead handles kept for use-after-destroy detection (under lock) */
    struct tasvir_area *dead_head, *dead_tail;
    uint32_t n_dead;
    _Atomic int reap_pending;

    struct tasvir__stats_atomic st;
};

/* isync.c */
int tasvir__isync_drive(struct tasvir_node *n, uint64_t now, uint64_t *next_ns);
int tasvir__isync_maybe_start(struct tasvir_node *n, uint64_t now, uint64_t *next_ns);
void tasvir__isync_due_changed(struct tasvir_node *n);
/* Area a would take part in an epoch starting now (it has something to publish and is not
 * frozen). */
bool tasvir__isync_takes_part(const struct tasvir__area *a);
/* Area a's internal sync is due now and it would take part: an epoch starting now
 * publishes it. */
bool tasvir__isync_publish_due(const struct tasvir__area *a, uint64_t now);
/* Copy chunks of epoch seq until none is left to claim; self is the calling thread (NULL
 * for the engine). */
void tasvir__isync_copy_work(struct tasvir_node *n, struct tasvir_thread *self, uint64_t seq);
/* Clear the log words that copiers left to thread t (its areas of more than 4 MiB copied
 * by others), if the epoch that left them is over.  Called by t before it arrives in an
 * epoch and before it returns to writing; with `wait` (a thread on its way out), first
 * waits out a COPY phase in progress, helping to copy, even if nothing is listed yet (its
 * copiers list the clears only once they have copied).  Returns false if clears are still
 * pending (a COPY phase is in progress and `wait` is false). */
bool tasvir__isync_owner_settle(struct tasvir_thread *t, bool wait);
int tasvir__isync_arrive(struct tasvir_thread *t, uint64_t seq);

/* area.c */
void tasvir__area_free(struct tasvir_node *n, struct tasvir__area *a);
void tasvir__area_reap(struct tasvir_node *n);
struct tasvir__area *tasvir__area_new(struct tasvir_node *n, const char *name, uint64_t len,
                                      uint64_t int_us, uint64_t ext_us, int *rc);
int tasvir__area_insert(struct tasvir_node *n, struct tasvir__area *a, uint32_t local_id);
void tasvir__log_lines(struct tasvir__area *a, uint64_t off, uint64_t len);

/* esync.c */
void tasvir__esync_poll(struct tasvir_node *n, uint64_t now, uint64_t *next_ns);
void tasvir__esync_epoch_end(struct tasvir_node *n, bool published, uint64_t now);
void tasvir__esync_rx_frame(struct tasvir_node *n, struct tasvir_frame *f, uint64_t now);
void tasvir__esync_flush(struct tasvir_node *n);
uint32_t tasvir__frame_begin(struct tasvir_node *n, struct tasvir_frame **f, const uint8_t *dst);
/* Queue a data frame (DATA, VEND): behind the transmit backlog. */
void tasvir__frame_send(struct tasvir_node *n, struct tasvir_frame *f);
/* Queue a control frame (heartbeat, ACK, NACK, CTRL): sent ahead of the backlog. */
void tasvir__frame_send_ctrl(struct tasvir_node *n, struct tasvir_frame *f);
/* Free every frame still queued for transmission (node teardown). */
void tasvir__esync_tx_fini(struct tasvir_node *n);
void tasvir__send_ctrl(struct tasvir_node *n, uint16_t dst, uint8_t type, uint16_t flags,
                       uint32_t area_id, uint64_t version, uint64_t base,
                       const void *payload, uint32_t plen);
struct tasvir__area *tasvir__emap_get(struct tasvir_node *n, uint32_t id);
void tasvir__owner_add_sub(struct tasvir_node *n, struct tasvir__area *a, uint16_t node,
                           uint64_t inc, uint64_t visible, uint64_t sub_ns);
void tasvir__owner_del_sub(struct tasvir_node *n, struct tasvir__area *a, uint16_t node);
void tasvir__replica_owner_restart(struct tasvir_node *n, struct tasvir__area *a, uint64_t inc);
void tasvir__replica_announce(struct tasvir_node *n, struct tasvir__area *a, uint64_t ver,
                              uint64_t pub, uint64_t now);
/* Owner src lists area_id in a heartbeat to this node, i.e. it has this node subscribed.
 * Returns the replica (a live one of src's area) or NULL; with NULL, this node does not
 * want the area and has answered UNSUB (rate-limited). */
struct tasvir__area *tasvir__replica_listed(struct tasvir_node *n, uint16_t src,
                                            uint32_t area_id, uint64_t now);

struct tasvir__area *tasvir__replica_create(struct tasvir_node *n, const struct tasvir__dirent *e,
                                           bool sys, int *rc);

/* member.c */
int tasvir__member_init(struct tasvir_node *n);
void tasvir__member_fini(struct tasvir_node *n);
void tasvir__member_poll(struct tasvir_node *n, uint64_t now, uint64_t *next_ns);
void tasvir__member_rx(struct tasvir_node *n, const struct tasvir_wire_hdr *h,
                       const uint8_t *src_mac, const uint8_t *p, uint32_t plen, uint64_t now);
void tasvir__member_heard(struct tasvir_node *n, uint16_t node, const uint8_t *mac, uint64_t now);
void tasvir__member_incarnation(struct tasvir_node *n, uint16_t src, uint64_t inc);
const struct tasvir__dirent *tasvir__dir_find(struct tasvir_node *n, const char *name);
bool tasvir__peer_mac(struct tasvir_node *n, uint16_t node, uint8_t mac[6]);

/* node.c helpers */
void tasvir__log(const struct tasvir_node *n, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Zeroed heap memory of at least len bytes, cache-line aligned (the size rounded up to
 * whole lines, as aligned_alloc wants); freed with free().  NULL when out of memory. */
/* Let other threads run while this one waits for them (the backend's relax, or a pause). */
static inline void tasvir__relax(const struct tasvir_node *n)
{
    if (n->be.ops->relax)
        n->be.ops->relax(n->be.ctx);
    else
        __builtin_ia32_pause();
}

/* Whether this build can copy lines with 64-byte AVX-512F moves chosen at run time
 * (isync.c copy_words_wide_*; node.c decides per node). */
#if defined(__x86_64__) && defined(__GNUC__)
#define TASVIR__HAVE_WIDE_COPY 1
#else
#define TASVIR__HAVE_WIDE_COPY 0
#endif

/* Store v into *p only if it differs.  For fields the engine sets at every epoch and
 * copiers on other cores read: a store moves the field's cache line to the engine's core
 * even when the value repeats, and each copier then fetches it back (230-250 ns between
 * the test machine's vCPUs; see struct tasvir_node's chunk_ctl). */
#define TASVIR__SET_IF_CHANGED(p, v)                                                          \
    do {                                                                                     \
        if (*(p) != (v))                                                                     \
            *(p) = (v);                                                                      \
    } while (0)

static inline void *tasvir__zalloc_lines(size_t len)
{
    size_t sz = (len + TASVIR__CACHELINE - 1) & ~(size_t)(TASVIR__CACHELINE - 1);
    if (!sz)
        sz = TASVIR__CACHELINE;
    void *p = aligned_alloc(TASVIR__CACHELINE, sz);
    if (p)
        memset(p, 0, sz);
    return p;
}

/* Summary bytes for an area of nwords log words: one per group, rounded up to whole
 * 64-byte blocks (a block: 64 groups, read as one mask by the copy's scan). */
static inline uint64_t tasvir__sum_bytes(uint64_t nwords)
{
    uint64_t groups = (nwords + TASVIR__GROUP_WORDS - 1) / TASVIR__GROUP_WORDS;
    return (groups + 63) / 64 * 64;
}

/* Set the summary bytes of log words [wf, wl]. */
static inline void tasvir__sum_mark(uint8_t *sum, uint64_t wf, uint64_t wl)
{
    for (uint64_t g = wf / TASVIR__GROUP_WORDS; g <= wl / TASVIR__GROUP_WORDS; g++)
        if (!sum[g])
            sum[g] = 1;
}

/* The 64 bytes at p (each 0 or 1: a dirty-log word or a summary block; 16-byte aligned)
 * as a mask: bit i is byte i.  SSE2: four shifts and byte-sign masks (sync_copy rnd 64
 * KiB 1.05-1.08 times as fast as four compares with zero, 16 alternating runs, every one
 * faster). */
static inline uint64_t tasvir__mask64(const uint8_t *p)
{
    uint64_t m = 0;
#if defined(__SSE2__)
    for (unsigned k = 0; k < 4; k++) {
        __m128i v = _mm_load_si128((const __m128i *)(const void *)(p + 16 * k));
        /* each byte's bit 0 moved to its sign bit (bits shifted in from the byte below
         * land in bits 0-6, which are clear anyway) */
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_slli_epi64(v, 7)) << (16 * k);
    }
#else
    for (unsigned i = 0; i < 64; i++)
        m |= (uint64_t)(p[i] & 1) << i;
#endif
    return m;
}

/* Internal syncs happen on a grid: at multiples of the area's interval on the node clock,
 * so areas with equal (or multiple) intervals are always published in the same epochs. */
static inline uint64_t tasvir__grid_next(uint64_t t, uint64_t iv)
{
    return iv ? (t / iv + 1) * iv : t;
}

static inline uint64_t tasvir__now(const struct tasvir_node *n)
{
    return n->be.ops->now_ns(n->be.ctx);
}

/* now - then, or 0 when then is later.  Times read by different threads need not be
 * ordered: a thread may read the clock before another thread's later reading becomes
 * visible to it, and a TSC clock read without a fence (DPDK's, the loopback backend's
 * TSC clock) may read up to an out-of-order window early.  A plain difference would then
 * wrap to centuries (a peer declared down, an epoch timed out at once). */
static inline uint64_t tasvir__elapsed(uint64_t now, uint64_t then)
{
    return now > then ? now - then : 0;
}

/* Report a step of a version's way to the trace sink, if there is one.  ns 0: read the
 * clock now. */
static inline void tasvir__trace(const struct tasvir_node *n, int event,
                                 const struct tasvir__area *a, uint64_t version, uint16_t peer,
                                 uint64_t aux, uint64_t ns)
{
    if (__builtin_expect(!n->conf.trace_fn, 1))
        return;
    struct tasvir_trace_rec r = {
        .ns = ns ? ns : tasvir__now(n),
        .version = version,
        .aux = aux,
        .area_id = a->id,
        .owner = a->owner_node,
        .peer = peer,
        .event = (uint8_t)event,
    };
    n->conf.trace_fn(n->conf.trace_arg, &r);
}

static inline void tasvir__kick(const struct tasvir_node *n, enum tasvir_kick what)
{
    if (n->be.ops->kick)
        n->be.ops->kick(n->be.ctx, what);
}

/* Frames wait for room at the port (control queue or data backlog). */
static inline bool tasvir__tx_pending(const struct tasvir_node *n)
{
    return n->ctlq.n || n->backlog.n;
}

static inline void tasvir__stat_add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

#endif /* TASVIR_CORE_INTERNAL_H */

/*
 * tasvir/tasvir.h — Tasvir: a versioned distributed shared memory with explicit,
 * user-controlled synchronization.  This header is the application's manual.
 *
 * ## Model
 *
 * A *node* is one runtime instance (one host, one DPDK process, one ns-3 node).  All of a
 * node's state hangs off its handle: the core has no globals, so any number of nodes can
 * live in one process (tests, the simulator).
 *
 * A *thread* is an application worker registered with its node.  Active threads must
 * *check in* by calling tasvir_service() often (every ~10 us in a hot loop) and may only
 * dereference area memory between check-ins.  A thread about to block (I/O, setup) marks
 * itself inactive; inactive threads are not waited for and must not touch areas.
 *
 * An *area* is a named, fixed-size byte region with exactly one writer, its *owner thread*.
 * The owner writes the *writer copy* and records every write with tasvir_log(), which marks
 * the touched 64-byte lines dirty.  Everyone else, on every node, reads the *reader copy*:
 * the last published version, which does not change between two check-ins of the reading
 * thread.  Areas hold offsets, never pointers: copies live at different addresses on
 * different nodes.
 *
 * A *version* is the set of changes the owner made between two internal syncs.  Versions
 * start at 0 (all zero bytes), grow by one each time an internal sync publishes changes,
 * and carry the owner's publish timestamp.  A changed line is a logged one, with one
 * exception: in areas of 1 to 4 MiB, a dense group of 64 lines (at least 40 of them dirty
 * at the previous sync) stays marked dirty across the sync, and the next sync copies the
 * lines of the group whose bytes differ from the reader copy; there a line logged but
 * rewritten with the same bytes is no change (and is not sent to other nodes).  This saves
 * an owner that rewrites most of such an area every interval from re-marking every line
 * after every sync (see tasvir_log).
 *
 * ## Consistency guarantees
 *
 *  - Update atomicity: a reader sees a whole version of an area or none of it.
 *  - Snapshot: between two check-ins of a thread, its view of *all* areas on its node is
 *    one consistent snapshot (nothing changes under it).
 *  - Monotonic versions: a reader never sees an area's version go backwards.
 *  - Staleness is explicit: tasvir_area_version()/tasvir_area_pub_ns() tell what a reader
 *    sees and when it was published.
 *
 * ## Internal synchronization (one node)
 *
 * The node's *sync engine* (tasvir_node_poll(), driven by a dedicated thread, lcore or
 * simulator agent) starts an *epoch* when an area's internal interval has elapsed.
 * Sync times lie on a grid (multiples of the interval on the node's clock), so areas with
 * equal intervals are always published together, in one epoch.  Every
 * active thread must check in within the epoch window (default 50 us).  Then the dirty
 * lines are copied writer copy -> reader copy, cooperatively by the checked-in threads,
 * versions of changed areas are bumped, and only then do the threads leave the check-in.
 * If the window expires, the epoch fails: nothing is published, nothing is lost (the dirty
 * log keeps the changes) and it is retried one window later.  A thread that misses
 * `exclude_after_misses` windows in a row is *excluded*: epochs proceed without it, areas it
 * owns are frozen (not published) until it checks in again, and the exclusion is counted and
 * logged.  When it next calls tasvir_service() it is readmitted and told so
 * (TASVIR_SERVICE_READMITTED): its reads since its previous check-in may not have been a
 * consistent snapshot.
 *
 * ## External synchronization (across nodes)
 *
 * A node receives an area only if one of its threads attached to it (selective
 * membership).  The owner node's sync engine sends, every external interval, the lines
 * changed since the oldest version a subscriber lacks, read from its reader copy.  Rounds
 * lie on a grid of the node clock, as internal syncs do; a round due together with the
 * area's internal sync goes out right after that epoch, so it carries the version just
 * published.  A subscriber stages the lines and publishes a version to its readers only
 * once the version has fully arrived, in an epoch that starts as soon as it has, or at
 * most half the area's internal interval after the node last published received
 * versions (so that versions of many owners share epochs; the subscriber's grid does not
 * apply to them: the owner's external interval paces them).  Loss, duplication and reordering never show
 * a partial version: the subscriber acknowledges complete versions only, and the owner's
 * next round (or a NACK) resends from an older pivot.  Names are global: a root directory
 * (owned by node `root_node`) lists every area of the testbed, so attaching by name works
 * for areas of any node, including areas created later (attach returns -ENOENT until the
 * directory entry has reached this node; retry).  A name names one area at a time: a reader
 * follows its name when the name's owner restarts or destroys and re-creates the area, and
 * sees the owner gone (tasvir_area_info) while the name is not listed (docs/protocol.md,
 * "Directory semantics").  Nodes exchange heartbeats; a node silent
 * for `down_after_hb` periods is declared down, and tasvir_area_info() tells readers
 * whether an area's owner is up and since when their view is stale.  An owner does not
 * send to a subscriber it has declared down, and serves it again when it hears from it.
 *
 * ## Caveats
 *
 *  - Writes that are not logged are not published (and may be published later by accident
 *    if another write to the same line is logged).  Log what you write.
 *  - Only the owner may write its writer copy, and only between check-ins.
 *  - The reader copy is read-only; never write it.
 *  - Handles are not reference counted: destroying a node invalidates every handle of it.
 *    Use of a destroyed or detached *area* handle is detected and reported while its node
 *    lives (TASVIR_EDESTROYED): its memory (about 100 bytes) is kept until
 *    tasvir_node_destroy(), so a node that creates and destroys areas without end grows by
 *    that much per handle.  So is use of an unregistered *thread* handle, but only until
 *    its slot is reused by a later tasvir_thread_register() (see there).  Use after
 *    tasvir_node_destroy() is undefined.
 *
 * ## Errors
 *
 * Functions return 0 (or a count) on success and a negative code on failure: -errno values
 * (-EINVAL, -ENOMEM, -ENOENT, -EEXIST, -EAGAIN, -EBUSY, -E2BIG, -ERANGE) or the project's
 * own TASVIR_E* codes below.  tasvir_strerror() decodes both.
 */
#ifndef TASVIR_TASVIR_H
#define TASVIR_TASVIR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tasvir_node;
struct tasvir_thread;
struct tasvir_area;
struct tasvir_backend;

/** Bytes per cache line: the granularity of dirty logging and of replication. */
#define TASVIR_LINE_BYTES 64u
/** Largest number of nodes in a testbed (node ids are 0 .. TASVIR_MAX_NODES-1). */
#define TASVIR_MAX_NODES 1024u
/** Longest area name, terminating NUL excluded. */
#define TASVIR_NAME_MAX 39u
/** Longest sync interval (internal, external, heartbeat) in us: one hour.  Intervals are
 *  kept in ns; longer ones are refused (-EINVAL) rather than wrapped. */
#define TASVIR_SYNC_MAX_US 3600000000ull
/** Most heartbeat periods of silence before a peer is declared down (down_after_hb): with
 *  the longest period, their time in ns still fits in 64 bits. */
#define TASVIR_DOWN_MAX_HB 1000000u

/** Project error codes (negative, outside the errno range). */
enum tasvir_error {
    TASVIR_ENOTOWNER = -10001,  /**< the handle may not write this area (not its owner) */
    TASVIR_EDESTROYED = -10002, /**< the area or thread handle was destroyed */
    TASVIR_EBADHANDLE = -10003, /**< not a valid handle (NULL or wrong kind) */
    TASVIR_ENOTACTIVE = -10004, /**< the thread is inactive and may not do this */
    TASVIR_EBACKEND = -10005,   /**< the backend failed or its ops table is incomplete */
    TASVIR_EPROTO = -10006,     /**< a malformed or unexpected wire frame */
    TASVIR_ENODEDOWN = -10007,  /**< the owner node is declared down */
};

/** A testbed member known from configuration. */
struct tasvir_peer {
    uint16_t node_id;
    uint8_t mac[6];
};

/** How an owner fans out an area's data frames to its subscribers. */
enum tasvir_addressing {
    /** One copy per subscriber, to its MAC; each gets a diff from its own acknowledged
     *  version (fewest bytes per subscriber, most frames at the owner). */
    TASVIR_ADDR_UNICAST = 0,
    /** One copy to the area's multicast group (03:74:<area id>), which subscribers join;
     *  the diff starts at the oldest version any subscriber lacks. */
    TASVIR_ADDR_MULTICAST = 1,
};

/** The instructions the internal sync copies lines with (tasvir_node_conf.copy_isa). */
enum tasvir_copy_isa {
    /** The first of TASVIR_COPY_AVX512_VBMI2, TASVIR_COPY_AVX512 and
     *  TASVIR_COPY_BASELINE that the CPU has.  The default. */
    TASVIR_COPY_AUTO = 0,
    /** The moves of the ISA the library was built for (16-byte SSE2 moves on baseline
     *  x86-64): for comparisons. */
    TASVIR_COPY_BASELINE = 1,
    /** 64-byte AVX-512F moves, and the scattered lines of areas from 4 MiB listed with
     *  AVX-512F compress instructions and copied in blocks (the code also uses BMI1 and
     *  BMI2); tasvir_node_create fails with -ENOTSUP where the CPU (or the build: x86-64
     *  with GCC or Clang only) lacks any of them. */
    TASVIR_COPY_AVX512 = 2,
    /** TASVIR_COPY_AVX512, with the scattered lines listed with one AVX-512 VBMI2 byte
     *  compress per 64 lines instead of four AVX-512F ones (CPUs with AVX-512BW and
     *  AVX-512 VBMI2 as well); -ENOTSUP where the CPU lacks them. */
    TASVIR_COPY_AVX512_VBMI2 = 3,
};

/** Non-error results of tasvir_service(). */
enum tasvir_service_result {
    TASVIR_SERVICE_OK = 0,         /**< no epoch pending, or the epoch is over: go on */
    TASVIR_SERVICE_READMITTED = 1, /**< thread was excluded and is back; see the overview */
};

/** Severity for the log sink. */
enum tasvir_log_level { TASVIR_LOG_ERR = 3, TASVIR_LOG_WARN = 4, TASVIR_LOG_INFO = 6, TASVIR_LOG_DEBUG = 7 };

/** Log sink: receives abnormal events (never results: those are counters). */
typedef void (*tasvir_log_fn)(void *arg, int level, const char *msg);

/**
 * Steps of a version's way from its owner to a subscriber's readers, reported to the
 * optional trace sink (tasvir_node_conf.trace_fn) so that a visibility delay can be split
 * into where it was spent.  Times are the node's clock (backend now_ns) at the event.
 */
enum tasvir_trace_event {
    /** A version became visible to this node's readers: on the owner, an internal sync
     *  published its changes; on a subscriber, an epoch published a received version.
     *  aux = when that epoch started. */
    TASVIR_TRACE_PUBLISH = 1,
    /** Owner: every frame of the version was handed to the backend (or to the node's
     *  transmit backlog when the port was full) for `peer` (a node, or 0xffff for the
     *  area's multicast group).  aux = DATA frames of that send. */
    TASVIR_TRACE_SENT = 2,
    /** Subscriber: the first frame of the version was accepted.  aux = frames expected. */
    TASVIR_TRACE_RX_FIRST = 3,
    /** Subscriber: the version is complete, waiting for an epoch to publish it. */
    TASVIR_TRACE_RX_COMPLETE = 4,
};

/** One trace event (valid only during the call to the sink). */
struct tasvir_trace_rec {
    uint64_t ns;      /**< node clock at the event */
    uint64_t version; /**< the owner's version number */
    uint64_t aux;     /**< event-specific (see enum tasvir_trace_event) */
    uint32_t area_id;
    uint16_t owner;   /**< owner node of the area */
    uint16_t peer;    /**< TASVIR_TRACE_SENT: destination; else this node */
    uint8_t event;    /**< enum tasvir_trace_event */
};

/** Trace sink.  Called synchronously, on the thread that caused the event: the sync
 *  engine (SENT, RX_*), or the thread that finished an epoch (PUBLISH), possibly at the
 *  same time as each other: it must be thread-safe, and quick (it delays the sync). */
typedef void (*tasvir_trace_fn)(void *arg, const struct tasvir_trace_rec *r);

/** Node configuration.  Initialise with tasvir_node_conf_init() and override fields. */
struct tasvir_node_conf {
    /** Required: the backend (clock, frames, memory, identity).  Must outlive the node. */
    const struct tasvir_backend *backend;
    /** Most threads that may be registered at once (default 64). */
    uint32_t max_threads;
    /** Most areas (owned + attached) on this node (default 1024). */
    uint32_t max_areas;
    /** Largest area accepted by tasvir_area_create (default 1 GiB). */
    uint64_t max_area_bytes;
    /** Epoch check-in window in ns (default 50 000; 1..TASVIR_SYNC_MAX_US * 1000). */
    uint64_t epoch_window_ns;
    /** Delay before retrying a failed epoch, in ns (default: epoch_window_ns; at most
     *  TASVIR_SYNC_MAX_US * 1000). */
    uint64_t epoch_retry_ns;
    /** Consecutive missed windows after which a thread is excluded (default 8). */
    uint32_t exclude_after_misses;
    /** Default internal / external sync intervals for new areas, in us (1000 / 10000);
     *  1..TASVIR_SYNC_MAX_US. */
    uint64_t sync_int_us;
    uint64_t sync_ext_us;
    /** Optional log sink and its argument (NULL: logs are dropped, counters still count). */
    tasvir_log_fn log_fn;
    void *log_arg;
    /** Least severity passed to log_fn (default TASVIR_LOG_WARN). */
    int log_level;
    /** Optional trace sink for the version path (NULL, the default: no tracing, no cost
     *  beyond a test per event) and its argument. */
    tasvir_trace_fn trace_fn;
    void *trace_arg;
    /** enum tasvir_copy_isa (default TASVIR_COPY_AUTO).  The copies publish the same bytes
     *  either way; on the test machine (AMD EPYC, AVX-512) the AVX-512 copy moves the
     *  scattered lines of small areas about 1.7 times as fast, and those of areas from
     *  4 MiB 1.5-2 times (docs/benchmarks.md). */
    int copy_isa;

    /* ---- external synchronization ---- */
    /** Known members of the testbed (copied; may be empty for a single node).  More can be
     *  added with tasvir_node_add_peer() or learnt from the root directory. */
    const struct tasvir_peer *peers;
    uint32_t n_peers;
    /** Node that owns the root directory (default 0).  Its MAC must be among the peers
     *  (or be this node). */
    uint16_t root_node;
    /** enum tasvir_addressing (default TASVIR_ADDR_UNICAST). */
    int addressing;
    /** L2 payload bytes per frame; 0 = the backend's MTU (default 0).  Must be 576..9600
     *  and at most the backend's MTU (its frames are that large). */
    uint32_t mtu;
    /** Heartbeat period in us (default 10000; 1..TASVIR_SYNC_MAX_US) and silent periods
     *  before a node is declared down (default 5; 1..TASVIR_DOWN_MAX_HB). */
    uint64_t hb_period_us;
    uint32_t down_after_hb;
    /** Least gap between two NACK-driven resends to one subscriber, in us (default 200). */
    uint64_t nack_gap_us;
    /** Frames held back while a complete version awaits publication (default 4096). */
    uint32_t max_deferred;
    /** Root directory capacity in entries (default 4096).  Only the root's value matters:
     *  other nodes take the size the root announces.  An entry is used by each area that
     *  exists (destroyed areas free theirs), one per node (its node area) and one by the
     *  directory itself; a registration that finds the directory full is refused, logged
     *  and counted at the root (tasvir_stats.dir_refused), and that area cannot be
     *  attached from other nodes until an entry frees. */
    uint32_t dir_entries;
};

/** Counters of a node.  All are cumulative since tasvir_node_create(). */
struct tasvir_stats {
    uint64_t epochs_ok;            /**< internal syncs that published */
    uint64_t epochs_failed;        /**< internal syncs whose window expired */
    uint64_t epoch_ns;             /**< sum over successful epochs, start to done */
    uint64_t barrier_ns;           /**< sum over successful epochs, start to all checked in */
    uint64_t bytes_scanned;        /**< bytes of area covered by the dirty-log scan */
    uint64_t bytes_changed;        /**< bytes of dirty lines found */
    uint64_t bytes_copied;         /**< bytes copied writer/staging -> reader copies */
    uint64_t versions_published;   /**< area versions bumped */
    uint64_t threads_excluded;     /**< exclusion events */
    uint64_t threads_readmitted;   /**< readmissions after exclusion */
    uint64_t threads_excluded_now; /**< threads currently excluded */
    uint64_t log_misuse;           /**< tasvir_log calls rejected (not owner, out of range) */

    /* external synchronization */
    uint64_t frames_tx, bytes_tx;      /**< frames handed to the backend (bytes incl. Ethernet) */
    uint64_t frames_rx, bytes_rx;      /**< frames received */
    uint64_t tx_failed;                /**< frames dropped: no frame buffer, or a transmit
                                            queue (frames the port could not take yet,
                                            resent at later polls: control frames, sent
                                            first, or the backlog of data frames) was full */
    uint64_t data_frames_tx;           /**< DATA frames sent */
    uint64_t data_payload_tx;          /**< line bytes carried by DATA frames sent */
    uint64_t versions_sent;            /**< (version, destination) pairs sent */
    uint64_t full_resends;             /**< of which base-0 resends to a subscriber that was
                                            behind every diff tier (first syncs not counted) */
    uint64_t nack_resends;             /**< of which triggered by a NACK */
    uint64_t rounds_postponed;         /**< external rounds that, when due, waited for frames
                                            of earlier ones to leave the transmit backlog */
    uint64_t versions_rx_complete;     /**< versions fully received */
    uint64_t versions_rx_superseded;   /**< incomplete versions abandoned for a newer one */
    uint64_t versions_rx_published;    /**< received versions made visible */
    uint64_t frames_deferred;          /**< frames held while a version awaited publication */
    uint64_t acks_tx, acks_rx, nacks_tx, nacks_rx;
    uint64_t hb_tx, hb_rx;
    uint64_t peers_down;               /**< times a peer was declared down */
    uint64_t peers_up;                 /**< times a peer came (back) up */
    uint64_t owner_restarts;           /**< replicas reset because their owner restarted */
    /** Root only: registrations refused, because the directory was full (every one of its
     *  dir_entries entries in use) or the name was registered by another node.  Counted
     *  per REG frame (an owner repeats its REG every heartbeat until listed) and logged. */
    uint64_t dir_refused;
    /** Received frames dropped, by reason; tasvir_drop_reason() names the index. */
    uint64_t rx_drop[16];
};

/** Number of rx_drop reasons in use, and their names ("short", "type", "bounds", ...). */
#define TASVIR_DROP_REASONS 15
const char *tasvir_drop_reason(int index);

/** What a node knows about one area: the staleness API (DESIGN §6). */
struct tasvir_area_info {
    uint32_t id;             /**< testbed-wide area id */
    uint16_t owner_node;     /**< node of the owner thread */
    int local;               /**< 1 if owned by this node */
    uint64_t len_bytes;
    uint64_t version;        /**< version visible to readers here */
    uint64_t pub_ns;         /**< owner's publish time of that version (owner's clock) */
    uint64_t visible_ns;     /**< when this node made it visible (local clock) */
    uint64_t latest_version; /**< newest version the owner has announced (heartbeat/data) */
    uint64_t latest_pub_ns;  /**< its publish time (owner's clock) */
    /** Publish time of the oldest version newer than `version` that this node has heard
     *  of (owner's clock), 0 if none: an upper bound for the age computation. */
    uint64_t next_pub_ns;
    /** 1 if the owner is up and the directory lists the area (always 1 for local areas);
     *  0 when the owner node is down, and also while the area's name is not in the
     *  directory for the owner's current incarnation (destroyed, or the owner restarted and
     *  has not created it again): the reader copy then keeps the last version seen. */
    int owner_up;
    uint64_t owner_since_ns; /**< local time the owner was last seen coming up / going down */
    /** 0 if the view is known fresh (owner up, nothing newer announced); otherwise the
     *  local time since when this node has known its view to be stale. */
    uint64_t stale_since_ns;
};

/** Liveness of a peer. */
struct tasvir_peer_info {
    uint16_t node_id;
    int known;              /**< in the configuration or the directory */
    int up;                 /**< heard within down_after_hb heartbeat periods */
    uint64_t since_ns;      /**< local time of the last up/down transition */
    uint64_t last_heard_ns; /**< local time the last frame from it arrived */
    uint64_t incarnation;   /**< changes when the peer restarts */
};

/** Area configuration for tasvir_area_create(). */
struct tasvir_area_conf {
    /** Unique name on the testbed, 1..TASVIR_NAME_MAX characters. */
    const char *name;
    /** Size in bytes, > 0 and <= node max_area_bytes; rounded up to whole lines. */
    uint64_t len_bytes;
    /** Internal sync interval in us (0: the node default), at most TASVIR_SYNC_MAX_US. */
    uint64_t sync_int_us;
    /** External sync interval in us (0: the node default), at most TASVIR_SYNC_MAX_US. */
    uint64_t sync_ext_us;
};

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                               */

/**
 * Describe an error code.
 * @param err  a negative code returned by this API (or any -errno)
 * @return a static, human-readable string; never NULL.
 */
const char *tasvir_strerror(int err);

/* ------------------------------------------------------------------------------------ */
/* Nodes                                                                                */

/**
 * Fill a node configuration with defaults (backend NULL).
 * @return 0, or -EINVAL if conf is NULL.
 */
int tasvir_node_conf_init(struct tasvir_node_conf *conf);

/**
 * Create a node over a backend.
 * @param conf  configuration; copied, need not outlive the call (the backend must)
 * @param out   receives the node handle
 * @return 0; -EINVAL for a NULL argument, an out-of-range field, a zero window, an mtu
 *         above the backend's, or a zero interval or one above TASVIR_SYNC_MAX_US
 *         (sync_int_us, sync_ext_us, hb_period_us);
 *         TASVIR_EBACKEND if the ops table lacks a required operation or identity fails
 *         (or gives an MTU outside 576..9600);
 *         -ENOTSUP if copy_isa asks for moves this CPU or build does not have; -ENOMEM.
 */
int tasvir_node_create(const struct tasvir_node_conf *conf, struct tasvir_node **out);

/**
 * Destroy a node and everything it owns (threads, areas, handles).  No thread of it may be
 * running tasvir calls.  NULL is accepted and ignored.
 */
void tasvir_node_destroy(struct tasvir_node *node);

/**
 * One step of the node's sync engine; never blocks.  Starts an epoch when an area's
 * internal interval is due, times out or completes epochs, and takes part in copying.
 * Call it in a loop from one dedicated thread (the "daemon" role), or from a simulator
 * agent at *next_ns.
 * @param node     the node
 * @param next_ns  optional; receives the time at which the engine next has work (it may
 *                 have work earlier if threads check in: see TASVIR_KICK_ENGINE)
 * @return 0 when idle, -EAGAIN when an epoch is in progress, TASVIR_EBADHANDLE.
 */
int tasvir_node_poll(struct tasvir_node *node, uint64_t *next_ns);

/**
 * Ask for an internal sync of every area as soon as possible, regardless of intervals:
 * the engine's next tasvir_node_poll() starts it (or, if an epoch is in progress, the
 * first poll after that one).  If the forced epoch fails (a counted thread missed the
 * window), it is retried, forced again, after the retry delay, until one completes.  An
 * area frozen at the time (its owner excluded) is left out and synced as soon as its owner
 * checks in again.
 * @return 0 or TASVIR_EBADHANDLE.
 */
int tasvir_node_sync_now(struct tasvir_node *node);

/** This node's id (from the backend identity), or -1 for a bad handle. */
int tasvir_node_id(const struct tasvir_node *node);

/** The line copies the node's internal sync uses: TASVIR_COPY_AVX512_VBMI2,
 *  TASVIR_COPY_AVX512 or TASVIR_COPY_BASELINE (what TASVIR_COPY_AUTO became), or
 *  TASVIR_EBADHANDLE. */
int tasvir_node_copy_isa(const struct tasvir_node *node);

/** The name of an enum tasvir_copy_isa value ("auto", "baseline", "avx512",
 *  "avx512-vbmi2"), for command lines and configuration files; NULL for any other value. */
const char *tasvir_copy_isa_name(int isa);

/** The enum tasvir_copy_isa value of a name given by tasvir_copy_isa_name(), or -EINVAL
 *  (NULL or any other name). */
int tasvir_copy_isa_from_name(const char *name);

/** Current time on the node's clock (the backend's), in ns. */
uint64_t tasvir_node_now_ns(const struct tasvir_node *node);

/**
 * Copy the node's counters.
 * @return 0, -EINVAL (NULL out) or TASVIR_EBADHANDLE.
 */
int tasvir_node_stats(const struct tasvir_node *node, struct tasvir_stats *out);

/**
 * Add (or update the MAC of) a peer at run time, e.g. a node that joins later.
 * @return 0; TASVIR_EBADHANDLE; -EINVAL (NULL, id out of range, or this node's own id).
 */
int tasvir_node_add_peer(struct tasvir_node *node, const struct tasvir_peer *peer);

/**
 * Liveness of peer `node_id` as seen by this node.
 * @return 0; TASVIR_EBADHANDLE; -EINVAL (NULL out, id out of range).
 */
int tasvir_node_peer_info(const struct tasvir_node *node, uint16_t node_id,
                          struct tasvir_peer_info *out);

/** Write a human-readable dump of the node's internals (threads, areas, epoch state). */
void tasvir_dump(const struct tasvir_node *node, FILE *f);

/* ------------------------------------------------------------------------------------ */
/* Threads                                                                              */

/**
 * Register a worker thread with the node.  The thread starts inactive: call
 * tasvir_thread_activate() before touching areas.  The handle is used only by the thread
 * it describes.
 * @return 0; TASVIR_EBADHANDLE; -EINVAL (NULL out); -EBUSY (max_threads registered).
 */
int tasvir_thread_register(struct tasvir_node *node, struct tasvir_thread **out);

/**
 * Unregister a thread (it is deactivated first, as by tasvir_thread_deactivate(),
 * including its wait for a copy in progress).  Its handle becomes destroyed.
 * Do not use the handle after this call.  Calls through it return TASVIR_EDESTROYED only
 * until its slot is reused: a node has max_threads thread slots, and once each has been
 * used, tasvir_thread_register() reuses that of an unregistered thread and returns the
 * very same handle for the new thread; the old handle then silently acts on (services,
 * activates, deactivates, unregisters, creates areas for) the new thread.
 * @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED (already unregistered, slot not reused);
 *         -EBUSY if the thread still owns areas (destroy them first).
 */
int tasvir_thread_unregister(struct tasvir_thread *t);

/**
 * Mark the thread active: epochs wait for it from now on.  If an epoch is in progress
 * (also one the thread checked in to before it was deactivated) it returns -EAGAIN and
 * the thread must call tasvir_service() until it returns >= 0 before touching any area
 * (tasvir_service_wait() does this).
 * @return 0 (no epoch in progress, or already active with no epoch left to wait out);
 *         -EAGAIN (see above; also if already active and still to wait one out);
 *         TASVIR_EBADHANDLE; TASVIR_EDESTROYED.
 */
int tasvir_thread_activate(struct tasvir_thread *t);

/**
 * Mark the thread inactive: epochs no longer wait for it.  It must not touch areas until
 * it is active again.  Writes it logged before are published by later epochs.  If an
 * epoch is copying (its COPY phase: every thread it waited for has checked in), the call
 * first waits for that copy to end, helping to copy (no longer than the copy itself), to
 * clear the dirty-log words other copiers left to the thread (see tasvir_service).  It
 * does not wait for threads that have not checked in yet.
 * @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED.
 */
int tasvir_thread_deactivate(struct tasvir_thread *t);

/** The node a thread belongs to (NULL for a bad handle). */
struct tasvir_node *tasvir_thread_node(const struct tasvir_thread *t);

/**
 * Check in.  The non-blocking core of internal synchronization: if no epoch is pending it
 * returns at once; otherwise it checks the thread in, helps copy, and returns -EAGAIN
 * ("epoch in progress, call again") until the epoch is over.  While it returns -EAGAIN the
 * thread must not touch area memory.  The dirty-log words of an owner's areas larger than
 * 4 MiB that other threads (the engine) copied are left for the owner to clear: the call
 * that ends its epoch clears them (a memset of the log words marked: at most 1/64 of the
 * area), so that the log's cache lines stay with the core that writes them.
 * @return TASVIR_SERVICE_OK; TASVIR_SERVICE_READMITTED (excluded thread back: its reads
 *         since the previous check-in may have been inconsistent); -EAGAIN;
 *         TASVIR_ENOTACTIVE (thread inactive); TASVIR_EBADHANDLE; TASVIR_EDESTROYED.
 */
int tasvir_service(struct tasvir_thread *t);

/**
 * Blocking wrapper around tasvir_service() for real threads: calls it until it returns
 * something other than -EAGAIN, relaxing the CPU (backend `relax`) between calls so that
 * threads that have not checked in yet get to run.
 * @return as tasvir_service(), never -EAGAIN.
 */
int tasvir_service_wait(struct tasvir_thread *t);

/* ------------------------------------------------------------------------------------ */
/* Areas                                                                                */

/**
 * Fill an area configuration with defaults (no name, no size, node-default intervals).
 * @return 0, or -EINVAL if conf is NULL.
 */
int tasvir_area_conf_init(struct tasvir_area_conf *conf);

/**
 * Create an area owned by thread `owner`; the returned handle is the owner's and may write
 * (tasvir_area_writer, tasvir_log).  Both copies start zeroed at version 0.
 * An epoch takes the areas that are live when it starts: an area created while an epoch
 * is collecting check-ins joins the epochs after it.  Writes to areas of equal intervals
 * between two check-ins are published together from the owner's first check-in after
 * the creation on; to make the very first writes to a new area and to older ones appear
 * in one version, check in once (tasvir_service) between creating and writing.
 * Area ids (tasvir_area_info) are this node's id times 65536 plus a local id in
 * 16..65535, unique among the node's areas not yet reclaimed.  Local ids are handed out
 * round that ring from the last one given, skipping those in use, so the id of a reclaimed
 * area comes back only once the ring has come round to it again.
 * @return 0; TASVIR_EBADHANDLE / TASVIR_EDESTROYED (owner); -EINVAL (NULL conf or out,
 *         empty or over-long name, zero length, an interval above TASVIR_SYNC_MAX_US);
 *         -E2BIG (length above max_area_bytes); -EEXIST (name in use: by a live area
 *         of this node, or by another node's area in this node's copy of the
 *         directory); -EBUSY (max_areas reached, or all 65520 local ids taken by areas
 *         of this node not yet reclaimed); -ENOMEM.
 *         The name of a destroyed area may be created again at once.  The area is listed
 *         in the root directory shortly after; if the directory is full the root refuses
 *         it (logged and counted there, tasvir_stats.dir_refused) and other nodes cannot
 *         attach it until an entry frees, although this call returned 0.
 */
int tasvir_area_create(struct tasvir_thread *owner, const struct tasvir_area_conf *conf,
                       struct tasvir_area **out);

/**
 * Attach thread t to the area called `name` and get a reader handle for it (reader copy
 * only; it may not write or log).  The area may be owned by any node: the first attach of a
 * remote area subscribes this node to it; its reader copy stays at version 0 (zeros) until
 * the first complete version has arrived.  Every call returns a new handle; each is
 * released by tasvir_area_detach() (the last detach of a remote area unsubscribes; if that
 * message is lost, the node unsubscribes again when the owner's next frames or heartbeat
 * for the area reach it) or with the node.  The handle follows the name: if the owner
 * restarts, or destroys the area and creates one of the same name, readers see the new
 * area (versions stay monotonic, the contents start over); while the name is not listed
 * they keep the last version and tasvir_area_info() reports the owner down.  (If the
 * name comes back with another length, detach every handle and attach again.)
 * @return 0; TASVIR_EBADHANDLE / TASVIR_EDESTROYED (t); -EINVAL (NULL or bad name or out);
 *         -ENOENT (no area of that name is known here yet); -EBUSY (max_areas); -ENOMEM.
 */
int tasvir_area_attach(struct tasvir_thread *t, const char *name, struct tasvir_area **out);

/**
 * Release a reader handle from tasvir_area_attach().  (The owner's handle is released by
 * tasvir_area_destroy.)
 * @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED (already released);
 *         -EINVAL (this is the owner's handle).
 */
int tasvir_area_detach(struct tasvir_area *a);

/**
 * Destroy an area; only the owner's handle may.  Every handle of it becomes destroyed.
 * The memory is reclaimed by the sync engine after the next epoch that completes (a failed
 * epoch does not count).
 * Its directory entry is withdrawn: other nodes stop finding the name, and their readers
 * see the owner gone.
 * @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED; TASVIR_ENOTOWNER (a reader handle).
 */
int tasvir_area_destroy(struct tasvir_area *a);

/**
 * Is an area of this name known to the node (owned here, attached, or in the directory)?
 * Does not attach.
 * @return 1 if known, 0 if not; -EINVAL (NULL or bad name); TASVIR_EBADHANDLE.
 */
int tasvir_area_lookup(struct tasvir_node *node, const char *name);

/* The six accessors below take no lock and may race a tasvir_area_destroy() (or detach) of
 * the handle in another thread: they then return the value before the destroy, or the
 * bad-handle value.  The area they read is reclaimed only after an epoch completes, which
 * waits for every active thread: so they are safe from any active thread (between
 * check-ins).  From a thread the epochs do not wait for (inactive, excluded, or not
 * registered) a call racing a destroy may, if that thread is descheduled inside it for a
 * whole epoch, read reclaimed memory: such a thread should use tasvir_area_info(), safe
 * anywhere.  A pointer one of them returned is dangling once the area is reclaimed. */

/** Writer copy for the owner's handle; NULL for a reader handle or a bad handle. */
void *tasvir_area_writer(const struct tasvir_area *a);
/** Reader copy (the published snapshot); NULL for a bad handle. */
const void *tasvir_area_reader(const struct tasvir_area *a);
/** Length in bytes as created (0 for a bad handle). */
uint64_t tasvir_area_len(const struct tasvir_area *a);
/** The area's name (NULL for a bad handle). */
const char *tasvir_area_name(const struct tasvir_area *a);
/** Version of the reader copy this node sees (0 for a bad handle).  Any active thread (see
 *  above). */
uint64_t tasvir_area_version(const struct tasvir_area *a);
/** The owner's publish timestamp (ns, owner's clock) of that version; 0 for version 0. */
uint64_t tasvir_area_pub_ns(const struct tasvir_area *a);

/**
 * Staleness and ownership of an area as this node sees it (any thread, any time: it takes
 * the node's lock, so it is safe against a concurrent destroy of the area; do not call it
 * from the node's log or trace callbacks).
 * @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED (also when the area is destroyed during
 *         the call); -EINVAL (NULL out).
 */
int tasvir_area_info(const struct tasvir_area *a, struct tasvir_area_info *out);

/**
 * Change an area's internal and/or external sync interval (0 keeps the current value).
 * Takes effect at once, in either direction.  Owner's handle only.
 * @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED; TASVIR_ENOTOWNER; -EINVAL (an interval
 *         above TASVIR_SYNC_MAX_US: neither is changed).
 */
int tasvir_area_set_sync(struct tasvir_area *a, uint64_t sync_int_us, uint64_t sync_ext_us);

/** Read the area's intervals in us (either pointer may be NULL).  Any thread.
 *  @return 0; TASVIR_EBADHANDLE; TASVIR_EDESTROYED. */
int tasvir_area_get_sync(const struct tasvir_area *a, uint64_t *sync_int_us, uint64_t *sync_ext_us);

/* ------------------------------------------------------------------------------------ */
/* Dirty logging (the write fast path)                                                   */

/* Internal: the first member of every struct tasvir_area, exposed only so that
 * tasvir_log() can be inlined.  Do not use these fields.  They are pointers, not integers,
 * on purpose: the application's stores into its area (through uint64_t * and the like)
 * then cannot alias them under C's type rules.  The log's bytes are, for the same reason,
 * not a character type (a character store may alias anything).  And the single-line fast
 * path, errors included, makes no call (on x86-64).  So a compiler may keep these fields in
 * registers across a loop of writes instead of reloading them at every tasvir_log(). */
/* log2 of the area bytes one summary byte covers (512 lines: 32 KiB) */
#define TASVIR__SUM_SHIFT 15
#define TASVIR__MAGIC_AREA 0x7a5e0003u
#define TASVIR__MAGIC_DEAD 0xdeadbeefu
/* A dirty-log or summary byte as tasvir_log() reads and writes it: 0 or 1, one byte. */
#ifdef __cplusplus
typedef bool tasvir__mark;
#else
typedef _Bool tasvir__mark;
#endif
struct tasvir__area_hot {
    const uint8_t *wbase; /* writer copy; NULL on handles that may not write */
    const uint8_t *wlen;  /* length of the writer copy, as a pointer-typed integer (see
                           * above); 0 on handles that may not write */
    const uint8_t *wlines; /* whole 64-byte lines within wlen, the same way */
    tasvir__mark *log;    /* dirty map: byte i set = line i changed since the last sync */
    tasvir__mark *sum;    /* summary: byte g set = lines 512g..512g+511 may be dirty */
    uint64_t *misuse;     /* the node's tasvir_stats.log_misuse (updated atomically) */
    uint32_t magic;       /* TASVIR__MAGIC_AREA; TASVIR__MAGIC_DEAD once destroyed */
    int32_t err;          /* what a rejected call returns: -ERANGE for the owner's handle,
                           * TASVIR_ENOTOWNER for a reader's, TASVIR_EDESTROYED */
};

int tasvir__log_slow(struct tasvir_area *a, const void *addr, size_t len);

/* Internal: mark line `line` in a dirty log and its summary, storing each byte only if it
 * is clean.  The summary byte is tested too, although it is nearly always set already:
 * when the writes miss the cache, as random lines of a large area do, they are bound by
 * the stores in flight, and a store costs there what a load does not (random 64-byte
 * writes to a 32 MiB area, one thread: 10.5-11.0 GB/s unlogged, 7.7-8.2 storing the log
 * byte, 6.5-6.6 storing the summary byte as well, 7.7-7.9 testing it first). */
static inline __attribute__((always_inline)) void tasvir__mark_line(tasvir__mark *log,
                                                                   tasvir__mark *sum,
                                                                   uint64_t line)
{
    tasvir__mark *d = &log[line];
    if (!*d) {
        *d = 1;
        tasvir__mark *g = &sum[line >> (TASVIR__SUM_SHIFT - 6)]; /* its group of 512 lines */
        if (!*g)
            *g = 1;
    }
}

/* Internal: what the single-line fast path does not take, for a compile-time len <= 64:
 * an unaligned line (two lines at most), len == 0, and rejections, all without a call on
 * x86-64, so that a loop around tasvir_log() contains no call (any call could change the
 * fields above as far as the compiler knows).  The same checks and results as
 * tasvir__log_slow(), which other machines call. */
static inline __attribute__((always_inline)) int
tasvir__log_short(const struct tasvir__area_hot *h, struct tasvir_area *a, const void *addr,
                  size_t len)
{
#if defined(__x86_64__) && defined(__GNUC__)
    (void)a;
    uint64_t wlen = (uint64_t)(uintptr_t)h->wlen;
    uint64_t off = (uint64_t)((uintptr_t)addr - (uintptr_t)h->wbase);
    if (__builtin_expect(h->wbase != NULL && off <= wlen && len <= wlen - off, 1)) {
        if (len) {
            tasvir__mark_line(h->log, h->sum, off >> 6);
            tasvir__mark_line(h->log, h->sum, (off + len - 1) >> 6);
        }
        return 0;
    }
    if (h->magic != TASVIR__MAGIC_AREA && h->magic != TASVIR__MAGIC_DEAD)
        return TASVIR_EBADHANDLE; /* not a handle: no node to count on */
    /* an atomic increment that the compiler knows touches this counter only */
    __asm__ __volatile__("lock incq %0" : "+m"(*h->misuse));
    return h->err;
#else
    return tasvir__log_slow(a, addr, len);
#endif
}

/* Internal: an area's hot fields; for NULL, tasvir__no_hot (a constant in the library:
 * no writer copy, no magic), on which every call returns TASVIR_EBADHANDLE.  The compiler
 * cannot see its fields, so it keeps this a select instead of splitting a loop of
 * tasvir_log() calls into a path for NULL and one whose reads of the fields are
 * conditional (and so read again at every call). */
extern const struct tasvir__area_hot tasvir__no_hot;
static inline const struct tasvir__area_hot *tasvir__hot_of(const struct tasvir_area *a)
{
    return a ? (const struct tasvir__area_hot *)(const void *)a : &tasvir__no_hot;
}

/* Internal: whether a whole-line tasvir_log() is the inline assembly of
 * tasvir__log_hot(): x86-64 with GCC or Clang 11 or later (asm goto with an output).
 * Define TASVIR_NO_LOG_ASM before including this header for the portable C. */
#if defined(__x86_64__) && !defined(TASVIR_NO_LOG_ASM) &&                                \
    ((defined(__clang__) && __clang_major__ >= 11) ||                                     \
     (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define TASVIR__LOG_ASM 1
/* the extent the assembly's memory operands declare for the log and the summary */
#define TASVIR__MAX_MARKS ((size_t)1 << 40)
#else
#define TASVIR__LOG_ASM 0
#endif

/* Internal: tasvir_log()'s body, over the area's hot fields or a cursor's copy of them. */
static inline __attribute__((always_inline)) int
tasvir__log_hot(const struct tasvir__area_hot *h, struct tasvir_area *a, const void *addr,
                size_t len)
{
    /* read before the first branch, so that a loop may keep them in registers */
    tasvir__mark *log = h->log, *sum = h->sum;
    uint64_t off = (uint64_t)((uintptr_t)addr - (uintptr_t)h->wbase), line;
    if (__builtin_constant_p(len) && len == TASVIR_LINE_BYTES) {
        /* one whole line: the offset rotated right by 6 bits is the line's index when it is
         * aligned, and a huge number when it is not (its low bits land on top), so one
         * comparison checks alignment and range (an addr below wbase wraps) */
#if TASVIR__LOG_ASM
        /* The same in assembly, marking the line too: five instructions for a marked
         * line, nine for a clean one.  The offset is addr plus minus wbase (one lea, which
         * leaves addr in its register for the caller's stores); the log and summary bytes
         * are addressed by index.  The compilers' code for the C took three or four more
         * (a copy and a subtraction, an lea shared with the store, a reload of wlines), and
         * on a Zen 3, where any one more instruction touching memory costs a random 64-byte
         * write a fifth, the log went from 1.35-1.37 to 1.22-1.23 times the write alone
         * (docs/benchmarks.md, 2026-12-02).  wlines is an "r" operand: with "rm", GCC
         * compared with the field in memory at every call.  Volatile: GCC deleted this
         * asm goto when its output was unused, and the marking with it.  The memory
         * operands say that it reads and writes the log and reads the summary. */
        __asm__ __volatile__ goto("lea (%[a],%[nb]), %[l]\n\t"
                                  "ror $6, %[l]\n\t"
                                  "cmp %[n], %[l]\n\t"
                                  "jae %l[other]\n\t"
                                  "cmpb $0, (%[lg],%[l])\n\t"
                                  "jne %l[marked]\n\t"
                                  "movb $1, (%[lg],%[l])\n\t"
                                  "shr %[gs], %[l]\n\t"
                                  "cmpb $0, (%[sm],%[l])\n\t"
                                  "jne %l[marked]"
                                  : [l] "=&r"(line), "+m"(*(tasvir__mark(*)[TASVIR__MAX_MARKS])log)
                                  : [a] "r"(addr), [nb] "r"(-(uint64_t)(uintptr_t)h->wbase),
                                    [n] "r"((uint64_t)(uintptr_t)h->wlines), [lg] "r"(log),
                                    [sm] "r"(sum), [gs] "i"(TASVIR__SUM_SHIFT - 6),
                                    "m"(*(const tasvir__mark(*)[TASVIR__MAX_MARKS])sum)
                                  : "cc"
                                  : other, marked);
        sum[line] = 1; /* a clean group: line is the group's index here (the output is
                        * used on the fall-through path only, as Clang before 16 needs) */
    marked:
        return 0;
    other:
        return tasvir__log_short(h, a, addr, len);
#else
        line = (off >> 6) | (off << 58);
        if (__builtin_expect(line >= (uint64_t)(uintptr_t)h->wlines, 0))
            return tasvir__log_short(h, a, addr, len);
#endif
    } else {
        /* len >= 1 bytes within the first byte's line (a constant len folds this into one
         * alignment test; the last byte then cannot wrap), and the last byte inside the
         * writer copy (an addr below wbase wraps to a huge offset) */
        if (__builtin_expect(!(len - 1 < 64 - (off & 63) &&
                               off + len - 1 < (uint64_t)(uintptr_t)h->wlen),
                             0)) {
            if (__builtin_constant_p(len) && len <= TASVIR_LINE_BYTES)
                return tasvir__log_short(h, a, addr, len);
            return tasvir__log_slow(a, addr, len);
        }
        line = off >> 6;
    }
    tasvir__mark_line(log, sum, line);
    return 0;
}

/**
 * Record that the owner wrote [addr, addr+len) of the writer copy.  Marks every 64-byte
 * line touched dirty.  The dirty log keeps one byte per line (1/64 of the area's size; not
 * one bit: a byte is tested and set without shifting or masking, which in tasvir-bench's
 * write loop costs about a third less than a bitmap).  A single-line call does one load
 * and, only if the line was clean, a plain byte store of the line's byte and a test of its
 * 32 KiB group's summary byte, stored too if that was clean (the summary lets an epoch
 * skip clean parts of large areas without reading their map); no atomics: only the owner
 * thread logs its area.  len == 0 does nothing.
 * Logging one whole line with the constant length TASVIR_LINE_BYTES is the cheapest call
 * (one comparison checks that the address is line-aligned and inside the copy; on x86-64
 * with GCC or Clang 11 or later, five instructions of inline assembly when the line is
 * already marked; define TASVIR_NO_LOG_ASM before including this header for plain C).  With a
 * compile-time len of at most TASVIR_LINE_BYTES (unaligned lines and errors included), a
 * call makes no function call on x86-64, so a loop of writes and such calls can keep the
 * area's fields in registers; longer or run-time lengths that cross a line are marked by a
 * call into the library.  The branch on the byte is cheap when it is predictable (lines
 * mostly dirty, or mostly clean) and costs a misprediction when the lines written are
 * dirty at random, as while the map refills after a sync; dense groups stay dirty across
 * syncs (see "version" above) to avoid that refill.
 * @return 0; TASVIR_ENOTOWNER (a reader handle); -ERANGE (outside the writer copy);
 *         TASVIR_EDESTROYED (a destroyed area's handle); TASVIR_EBADHANDLE (NULL).
 *         Rejections of live or destroyed handles are also counted in
 *         tasvir_stats.log_misuse.
 */
static inline int tasvir_log(struct tasvir_area *a, const void *addr, size_t len)
{
    return tasvir__log_hot(tasvir__hot_of(a), a, addr, len);
}

/**
 * A log cursor: a copy of what tasvir_log() reads from the area at every call, for a loop
 * of writes.  tasvir_log() reads the writer copy's bounds and the log's address from the
 * area; a compiler can keep them in registers across a loop only when nothing in the loop
 * could change them as far as it knows: no call to a function it cannot see, no atomic
 * operation, no store through a character type (writing the area through uint8_t * or
 * memcpy does that).  Otherwise each call reloads them after the previous call's stores,
 * which on this development machine costs about 0.7 ns a call that marks a clean line.  A
 * cursor kept in a local variable stays in registers whatever the loop does (a marked line
 * costs the same either way).  tasvir_log_cur(&c, addr, len) does exactly what
 * tasvir_log(area, addr, len) does, with the same errors (a cursor of a reader handle logs
 * nothing: TASVIR_ENOTOWNER; of NULL: TASVIR_EBADHANDLE; made after tasvir_area_destroy():
 * TASVIR_EDESTROYED).  A cursor made before tasvir_area_destroy() must not be used after
 * it, as the writer-copy pointer must not: tasvir_log() detects that, such a cursor cannot.
 * Initialise it with tasvir_log_cursor_init(); it needs no clean-up.
 */
struct tasvir_log_cursor {
    struct tasvir__area_hot hot; /* internal: the area's, copied */
    struct tasvir_area *area;    /* internal */
};

static inline void tasvir_log_cursor_init(struct tasvir_log_cursor *c, struct tasvir_area *a)
{
    c->hot = *tasvir__hot_of(a); /* for NULL: every call returns TASVIR_EBADHANDLE */
    c->area = a;
}

/** tasvir_log(c->area, addr, len) through a cursor; see struct tasvir_log_cursor. */
static inline int tasvir_log_cur(const struct tasvir_log_cursor *c, const void *addr, size_t len)
{
    return tasvir__log_hot(&c->hot, c->area, addr, len);
}

/**
 * tasvir_log() with an ownership check against the calling thread: also fails with
 * TASVIR_ENOTOWNER when t is not the area's owner thread.
 */
int tasvir_log_checked(struct tasvir_thread *t, struct tasvir_area *a, const void *addr,
                       size_t len);

#ifdef __cplusplus
}
#endif
#endif /* TASVIR_TASVIR_H */

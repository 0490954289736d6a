/*
 * member.c — membership: peers and their liveness, heartbeats, the root directory, node
 * areas, and registration of areas with the root.
 *
 * The root directory ("tasvir/root", owned by the engine of node conf.root_node) is an
 * ordinary area of fixed-size entry slots (wire.h, TASVIR_DIR_ENTRY), written by the root as
 * nodes register and withdraw their areas with REG control frames, and replicated to every
 * node with the same external sync as user areas.  Each node rebuilds its index of the
 * entries (the name index, under node->lock) whenever its copy changes, so that threads can
 * attach areas of any node by name, and rebinds its replicas to it: ids are reused by
 * restarted owners, so a replica follows its name, never an id (docs/protocol.md,
 * "Directory semantics").
 *
 * Every node also owns a node area ("tasvir/node/<id>") describing its threads, its
 * subscriptions with the versions it has made visible, and a heartbeat counter; it is
 * updated once per heartbeat period and replicated to whoever attaches it (the root
 * always does, which gives it a global view).
 *
 * Heartbeats are small frames to every known peer, carrying the latest published version
 * of each area the peer subscribes to (the staleness API's "announced" version) and the
 * sender's incarnation, which changes when a node restarts.  A heartbeat to a peer is
 * skipped when another unicast frame went to it within the period (any frame proves
 * liveness), but at least one goes every down_after_hb/2 periods so a restart shows.  A peer silent for down_after_hb periods is declared down; the first frame
 * from it brings it back up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NODE_AREA_HDR 64u
#define NODE_THREAD_REC 8u
#define NODE_SUB_REC 24u
#define NODE_AREA_MAGIC 0x4e565354u /* "TSVN" */

static uint64_t hb_ns(const struct tasvir_node *n)
{
    return n->conf.hb_period_us * 1000;
}

bool tasvir__peer_mac(struct tasvir_node *n, uint16_t node, uint8_t mac[6])
{
    if (node == n->ident.node_id) {
        memcpy(mac, n->ident.mac, 6);
        return true;
    }
    if (node >= TASVIR_MAX_NODES || !atomic_load_explicit(&n->peers[node].known, memory_order_relaxed))
        return false;
    memcpy(mac, n->peers[node].mac, 6);
    return true;
}

static void set_up(struct tasvir_node *n, uint16_t node, bool up, uint64_t now)
{
    struct tasvir__peer *p = &n->peers[node];
    atomic_store_explicit(&p->up, up, memory_order_relaxed);
    atomic_store_explicit(&p->since_ns, now, memory_order_relaxed);
    uint64_t bit = (uint64_t)1 << (node & 63);
    if (up)
        atomic_fetch_or_explicit(&n->peer_up_bits[node >> 6], bit, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&n->peer_up_bits[node >> 6], ~bit, memory_order_relaxed);
}

static void learn_peer(struct tasvir_node *n, uint16_t node, const uint8_t *mac)
{
    struct tasvir__peer *p = &n->peers[node];
    if (mac)
        memcpy(p->mac, mac, 6);
    if (!atomic_load_explicit(&p->known, memory_order_relaxed))
        atomic_store_explicit(&p->known, 1, memory_order_relaxed);
}

void tasvir__member_heard(struct tasvir_node *n, uint16_t node, const uint8_t *mac, uint64_t now)
{
    (void)mac;
    struct tasvir__peer *p = &n->peers[node];
    atomic_store_explicit(&p->last_heard_ns, now, memory_order_relaxed);
    if (!atomic_load_explicit(&p->up, memory_order_relaxed)) {
        if (p->ever_heard) {
            tasvir__stat_add(&n->st.peers_up, 1);
            tasvir__log(n, TASVIR_LOG_INFO, "node %u is up again", node);
        }
        set_up(n, node, true, now);
    }
    p->ever_heard = true;
}

/* ---- directory entries ---- */

/* Entry flags (offset 46).  In the directory: 0 = free slot, 1 = in use.  In a REG frame: 1
 * = register this entry, 2 = withdraw it (the owner destroyed the area, or the entry is
 * left over from its previous incarnation). */
#define ENTRY_USED 1u
#define ENTRY_WITHDRAW 2u

static void entry_encode(uint8_t *e, const char *name, uint32_t id, uint16_t owner,
                         const uint8_t mac[6], uint64_t len, uint64_t int_us, uint64_t ext_us,
                         uint64_t inc, uint16_t flags)
{
    memset(e, 0, TASVIR_DIR_ENTRY);
    memcpy(e, name, strnlen(name, TASVIR_NAME_MAX));
    tasvir__put32(e + 40, id);
    tasvir__put16(e + 44, owner);
    tasvir__put16(e + 46, flags);
    memcpy(e + 48, mac, 6);
    tasvir__put64(e + 56, len);
    tasvir__put32(e + 64, (uint32_t)(int_us > UINT32_MAX ? UINT32_MAX : int_us));
    tasvir__put32(e + 68, (uint32_t)(ext_us > UINT32_MAX ? UINT32_MAX : ext_us));
    tasvir__put64(e + 72, inc);
}

/* Decode and validate an entry whose flags are `flags`.  Returns false if malformed. */
static bool entry_decode(const struct tasvir_node *n, const uint8_t *e, uint16_t flags,
                         struct tasvir__dirent *d)
{
    if (tasvir__get16(e + 46) != flags)
        return false;
    size_t len = strnlen((const char *)e, 40);
    if (len == 0 || len > TASVIR_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (e[i] <= ' ' || e[i] > '~')
            return false;
    memset(d, 0, sizeof(*d));
    memcpy(d->name, e, len);
    d->id = tasvir__get32(e + 40);
    d->owner = tasvir__get16(e + 44);
    memcpy(d->mac, e + 48, 6);
    d->len = tasvir__get64(e + 56);
    d->int_us = tasvir__get32(e + 64);
    d->ext_us = tasvir__get32(e + 68);
    d->inc = tasvir__get64(e + 72);
    if (d->owner >= TASVIR_MAX_NODES || (d->id >> 16) != d->owner || d->len == 0 ||
        d->len > n->conf.max_area_bytes || d->int_us == 0 || d->ext_us == 0 || d->inc == 0)
        return false;
    return true;
}

/* Under node->lock: the entry of another node's area called `name`.  Entries of this
 * node's own areas are left out: its live areas are found in the area table, and its
 * entries that match none (a destroyed area whose withdrawal has not come back yet, an
 * area of its previous incarnation) must not make a name look taken. */
const struct tasvir__dirent *tasvir__dir_find(struct tasvir_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->dirix_n; i++)
        if (n->dirix[i].owner != n->ident.node_id && strcmp(n->dirix[i].name, name) == 0)
            return &n->dirix[i];
    return NULL;
}

/* Under node->lock: add an entry to the name index. */
static int dirix_add(struct tasvir_node *n, const struct tasvir__dirent *d)
{
    if (n->dirix_n == n->dirix_cap) {
        uint32_t cap = n->dirix_cap ? n->dirix_cap * 2 : 64;
        struct tasvir__dirent *x = realloc(n->dirix, cap * sizeof(*x));
        if (!x)
            return -ENOMEM;
        n->dirix = x;
        n->dirix_cap = cap;
    }
    n->dirix[n->dirix_n++] = *d;
    return 0;
}

/* Write bytes into an engine-owned area's writer copy, logging only what changed. */
static void sys_write(struct tasvir__area *a, uint64_t off, const void *src, uint64_t len)
{
    if (off + len > a->len || memcmp(a->wcopy + off, src, len) == 0)
        return;
    memcpy(a->wcopy + off, src, len);
    tasvir__log_lines(a, off, len);
    a->sys_dirty = true;
    tasvir__isync_due_changed(a->node_of_sys);
}

/* Root: free directory slot i (withdrawn or stale entry). */
static void dir_clear(struct tasvir_node *n, uint32_t i)
{
    static const uint8_t zero[TASVIR_DIR_ENTRY];
    sys_write(n->dir, (uint64_t)i * TASVIR_DIR_ENTRY, zero, TASVIR_DIR_ENTRY);
    if (n->dir_used)
        n->dir_used--;
}

/* Root: a registration was refused; count it, and log (at most once a second, with the
 * number of refusals not logged since: owners repeat a REG every heartbeat). */
static void dir_refuse(struct tasvir_node *n, uint64_t now, const struct tasvir__dirent *d,
                       uint16_t other)
{
    tasvir__stat_add(&n->st.dir_refused, 1);
    if (n->dir_log_ns && tasvir__elapsed(now, n->dir_log_ns) < 1000000000ull) {
        n->dir_log_quiet++;
        return;
    }
    if (other < TASVIR_MAX_NODES)
        tasvir__log(n, TASVIR_LOG_WARN,
                    "directory: node %u registers '%s', already registered by node %u: refused "
                    "(%u more refusals not logged)",
                    d->owner, d->name, other, n->dir_log_quiet);
    else
        tasvir__log(n, TASVIR_LOG_ERR,
                    "directory full (%u entries, conf.dir_entries): area '%s' of node %u is "
                    "not registered and cannot be attached from other nodes (%u more "
                    "refusals not logged)",
                    n->dir_capacity, d->name, d->owner, n->dir_log_quiet);
    n->dir_log_ns = now ? now : 1;
    n->dir_log_quiet = 0;
}

/* Root: apply a registration (already validated, from the entry's owner).  Names belong to
 * one area at a time: the owner of a name may re-register it with another id, length or
 * intervals (after a restart ids start over; a destroyed area may be created again), and
 * the entry is rewritten; a name registered by another node is refused.  An entry of the
 * same owner that still lists this id under another name is stale (the id was handed out
 * again by a restarted owner) and is freed, so that no name leads readers to another
 * area's data.  Free slots (left by withdrawn entries) are reused. */
static void dir_register(struct tasvir_node *n, const uint8_t *entry,
                         const struct tasvir__dirent *d, uint64_t now)
{
    struct tasvir__area *dir = n->dir;
    uint32_t free_slot = UINT32_MAX, slot = UINT32_MAX;
    for (uint32_t i = 0; i < n->dir_capacity; i++) {
        const uint8_t *e = dir->wcopy + (uint64_t)i * TASVIR_DIR_ENTRY;
        if (tasvir__get16(e + 46) != ENTRY_USED) {
            if (free_slot == UINT32_MAX)
                free_slot = i;
            continue;
        }
        uint16_t owner = tasvir__get16(e + 44);
        if (strncmp((const char *)e, d->name, 40) == 0) {
            if (owner != d->owner) {
                dir_refuse(n, now, d, owner); /* name taken */
                return;
            }
            slot = i;
        } else if (owner == d->owner && tasvir__get32(e + 40) == d->id) {
            dir_clear(n, i); /* stale: this id now names another area */
            if (free_slot == UINT32_MAX || i < free_slot)
                free_slot = i;
        }
    }
    if (slot == UINT32_MAX) {
        if (free_slot == UINT32_MAX) {
            dir_refuse(n, now, d, UINT16_MAX); /* full */
            return;
        }
        slot = free_slot;
        n->dir_used++;
    }
    sys_write(dir, (uint64_t)slot * TASVIR_DIR_ENTRY, entry, TASVIR_DIR_ENTRY);
}

/* Root: withdraw the entry that matches d exactly (name, id, owner, incarnation); a
 * withdrawal that finds nothing (already withdrawn, or replaced since) changes nothing. */
static void dir_withdraw(struct tasvir_node *n, const struct tasvir__dirent *d)
{
    for (uint32_t i = 0; i < n->dir_capacity; i++) {
        const uint8_t *e = n->dir->wcopy + (uint64_t)i * TASVIR_DIR_ENTRY;
        if (tasvir__get16(e + 46) == ENTRY_USED && strncmp((const char *)e, d->name, 40) == 0 &&
            tasvir__get32(e + 40) == d->id && tasvir__get16(e + 44) == d->owner &&
            tasvir__get64(e + 72) == d->inc)
            dir_clear(n, i);
    }
}

/* Root: node `owner` restarted (incarnation now `inc`): the entries of its previous
 * incarnation are gone with it (it registers its areas again). */
static void dir_purge(struct tasvir_node *n, uint16_t owner, uint64_t inc)
{
    for (uint32_t i = 0; i < n->dir_capacity; i++) {
        const uint8_t *e = n->dir->wcopy + (uint64_t)i * TASVIR_DIR_ENTRY;
        if (tasvir__get16(e + 46) == ENTRY_USED && tasvir__get16(e + 44) == owner &&
            tasvir__get64(e + 72) != inc)
            dir_clear(n, i);
    }
}

/* Reset a replica's staging for another area (its name now names a different area, or a
 * new incarnation of it): the same as an owner restart (esync.c,
 * tasvir__replica_owner_restart) without counting one.  Readers keep their (shifted,
 * monotonic) versions; every line is republished with the first version of the new area. */
static void replica_reset(struct tasvir__area *a)
{
    struct tasvir__rx *rx = a->rx;
    rx->ready = false;
    rx->vofs = atomic_load_explicit(&a->version, memory_order_relaxed);
    memset(a->wcopy, 0, a->copy_bytes);
    tasvir__log_lines(a, 0, a->copy_bytes);
    rx->cur_ver = rx->cur_base = rx->cur_pub = 0;
    rx->cur_count = rx->cur_got = 0;
    rx->latest_ver = rx->latest_pub = rx->next_pub = 0;
    rx->have_data = false;
    rx->last_sub_ns = 0;
    atomic_store_explicit(&a->info.latest_ver, rx->vofs, memory_order_relaxed);
    atomic_store_explicit(&a->info.latest_pub, 0, memory_order_relaxed);
    atomic_store_explicit(&a->info.next_pub, 0, memory_order_relaxed);
}

/* Under node->lock: unbind a replica from the directory (see struct tasvir__rx). */
static void replica_unbind(struct tasvir_node *n, struct tasvir__area *a, uint64_t now, bool fresh)
{
    struct tasvir__rx *rx = a->rx;
    if (!rx->unbound) {
        rx->unbound = true;
        rx->fresh = fresh;
        /* out of the id map: frames for its old id (which may now be another area's) must
         * not reach it */
        atomic_fetch_add_explicit(&n->areas_gen, 1, memory_order_release);
        tasvir__log(n, TASVIR_LOG_WARN,
                    "area %s (id %#x, node %u): no longer in the directory; readers see it "
                    "gone until it is listed again",
                    a->name, a->id, a->owner_node);
    } else if (fresh) {
        rx->fresh = true;
    }
    if (!atomic_load_explicit(&a->info.gone_ns, memory_order_relaxed))
        atomic_store_explicit(&a->info.gone_ns, now ? now : 1, memory_order_relaxed);
}

/* Under node->lock: make the directory's entries the truth for every user replica of this
 * node.  A replica follows its name: bound to the entry of that name while the entry is of
 * the owner's current incarnation (and of the same length: a replica cannot change size),
 * re-bound (staging reset, subscribed anew) when the name's entry now lists another id or
 * incarnation, unbound while the name has no such entry. */
static void dir_reconcile(struct tasvir_node *n, uint64_t now)
{
    /* Cost: replicas x entries (tasvir__dir_find is a linear scan), once per directory
     * version, at most once per heartbeat; a hash of the index would make it linear. */
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (!a || !a->rx || a->sys ||
            atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE)
            continue;
        struct tasvir__rx *rx = a->rx;
        const struct tasvir__dirent *e = tasvir__dir_find(n, a->name);
        uint64_t known = e ? atomic_load_explicit(&n->peers[e->owner].incarnation,
                                                  memory_order_relaxed)
                           : 0;
        if (!e || e->len != a->len || (known && e->inc != known)) {
            /* gone, resized, or listed for an incarnation other than the one we know of
             * (the heartbeat that tells the restart comes later: the restart handling
             * re-runs this) */
            replica_unbind(n, a, now, false);
            continue;
        }
        bool same = e->id == a->id && e->owner == a->owner_node;
        if (!rx->unbound && same && (rx->dir_inc == e->inc || rx->dir_inc == 0)) {
            rx->dir_inc = e->inc; /* bound as it was (or first seen since the attach) */
            continue;
        }
        /* (re)bind to e */
        if (!(same && rx->dir_inc == e->inc) && !(rx->unbound && rx->fresh))
            replica_reset(a);
        if (!same || rx->dir_inc != e->inc || rx->unbound) {
            /* subscribe (again): SUB for the id it now has, and after any time unbound,
             * when its frames were answered with UNSUB (esync.c unsub_reply) */
            rx->have_data = false;
            rx->last_sub_ns = 0;
        }
        if (!same)
            tasvir__log(n, TASVIR_LOG_INFO, "area %s: now id %#x of node %u (was %#x of node %u)",
                        a->name, e->id, e->owner, a->id, a->owner_node);
        a->id = e->id;
        a->owner_node = e->owner;
        rx->owner = e->owner;
        rx->dir_inc = e->inc;
        rx->unbound = false;
        rx->fresh = false;
        atomic_store_explicit(&a->info.gone_ns, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&n->areas_gen, 1, memory_order_release); /* id map */
    }
}

/* Under node->lock: is there an area called `name` in the area table? */
static bool have_area(struct tasvir_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->areas_hwm; i++)
        if (n->areas[i] && strcmp(n->areas[i]->name, name) == 0)
            return true;
    return false;
}

/* Rebuild the name index from the directory's reader copy when it has changed (entries
 * are added, rewritten and freed anywhere in it), and reconcile the replicas with it. */
static void dir_index(struct tasvir_node *n, uint64_t now)
{
    struct tasvir__area *dir = n->dir;
    uint64_t v = atomic_load_explicit(&dir->version, memory_order_acquire);
    if (v == n->dir_indexed_ver && !n->dir_reindex)
        return;
    n->dir_indexed_ver = v;
    n->dir_reindex = false;
    n->reg_dirty = true;
    pthread_mutex_lock(&n->lock);
    n->dirix_n = 0;
    for (uint32_t i = 0; i < n->dir_capacity; i++) {
        const uint8_t *e = dir->rcopy + (uint64_t)i * TASVIR_DIR_ENTRY;
        struct tasvir__dirent d;
        if (!entry_decode(n, e, ENTRY_USED, &d))
            continue; /* free slot (or garbage) */
        if (dirix_add(n, &d))
            break;
        if (d.owner != n->ident.node_id)
            learn_peer(n, d.owner, d.mac);
        /* the root watches every node area */
        if (n->ident.node_id == n->conf.root_node && strncmp(d.name, "tasvir/node/", 12) == 0 &&
            d.owner != n->ident.node_id && !have_area(n, d.name)) {
            int rc;
            struct tasvir__area *r = tasvir__replica_create(n, &d, true, &rc);
            if (!r)
                tasvir__log(n, TASVIR_LOG_ERR, "cannot replicate %s: %s", d.name,
                            tasvir_strerror(rc));
        }
    }
    dir_reconcile(n, now);
    pthread_mutex_unlock(&n->lock);
}

/* Registration of local areas.  An area counts as listed only when the directory has an
 * entry with its id *and* its name, length and this incarnation (a restarted node hands
 * out the same ids to other names); until then it is registered (REG), at the root
 * directly, elsewhere once at creation and then once per heartbeat.  Entries under this
 * node's id that match no live area (destroyed areas, areas of its previous incarnation)
 * are withdrawn the same way.  Runs whenever the directory or the area table changed, and
 * until nothing is pending. */
static void register_areas(struct tasvir_node *n, uint64_t now, bool tick)
{
    /* A destroyed area leaves the area table only when an epoch ends (tasvir__area_reap),
     * which on a quiet node may take many heartbeats: look for listed areas that are dying
     * once per heartbeat, so that their entries are withdrawn without waiting for that. */
    for (uint32_t i = 0; tick && !n->reg_dirty && i < n->nelist; i++) {
        struct tasvir__area *a = n->elist[i];
        if (a && a->local && a->registered &&
            atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE)
            n->reg_dirty = true;
    }
    if (!n->reg_dirty && n->reg_done_gen == n->emap_gen)
        return;
    bool root = n->ident.node_id == n->conf.root_node;
    uint32_t pending = 0;
    for (uint32_t i = 0; i < n->nelist; i++)
        if (n->elist[i] && n->elist[i]->local)
            n->elist[i]->registered = false;
    /* own entries: confirm the areas they list, withdraw the others */
    pthread_mutex_lock(&n->lock);
    for (uint32_t k = 0; k < n->dirix_n; k++) {
        const struct tasvir__dirent *d = &n->dirix[k];
        if (d->owner != n->ident.node_id)
            continue;
        struct tasvir__area *a = NULL;
        for (uint32_t i = 0; i < n->nelist && !a; i++)
            if (n->elist[i] && n->elist[i]->local && n->elist[i]->id == d->id)
                a = n->elist[i];
        if (a && atomic_load_explicit(&a->state, memory_order_relaxed) == TASVIR__AREA_LIVE &&
            strcmp(a->name, d->name) == 0 && a->len == d->len && d->inc == n->incarnation) {
            a->registered = true;
            continue;
        }
        pending++;
        uint8_t e[TASVIR_DIR_ENTRY];
        entry_encode(e, d->name, d->id, d->owner, d->mac, d->len, d->int_us, d->ext_us, d->inc,
                     ENTRY_WITHDRAW);
        if (root)
            dir_withdraw(n, d);
        else if (tick)
            tasvir__send_ctrl(n, n->conf.root_node, TASVIR_FT_CTRL, TASVIR_CTRL_REG, d->id, 0, 0,
                              e, TASVIR_DIR_ENTRY);
    }
    pthread_mutex_unlock(&n->lock);
    for (uint32_t i = 0; i < n->nelist; i++) {
        struct tasvir__area *a = n->elist[i];
        if (!a || !a->local || a->registered ||
            atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE)
            continue;
        pending++;
        uint8_t e[TASVIR_DIR_ENTRY];
        entry_encode(e, a->name, a->id, n->ident.node_id, n->ident.mac, a->len,
                     atomic_load_explicit(&a->sync_int_ns, memory_order_relaxed) / 1000,
                     atomic_load_explicit(&a->sync_ext_ns, memory_order_relaxed) / 1000,
                     n->incarnation, ENTRY_USED);
        if (root) {
            struct tasvir__dirent d;
            if (entry_decode(n, e, ENTRY_USED, &d))
                dir_register(n, e, &d, now);
        } else if (tick || !a->ext.round) {
            if (tick && n->dirix_n >= n->dir_capacity &&
                (!n->dir_log_ns || tasvir__elapsed(now, n->dir_log_ns) >= 1000000000ull)) {
                /* the root refuses it (and counts it there); say so here too */
                n->dir_log_ns = now ? now : 1;
                tasvir__log(n, TASVIR_LOG_ERR,
                            "area '%s' is not listed: the root directory is full (%u entries, "
                            "the root's dir_entries); other nodes cannot attach it",
                            a->name, n->dir_capacity);
            }
            /* REG now for new areas, then once per heartbeat until listed */
            if (!tick)
                a->ext.round = 1; /* marks "first REG sent" for an area without rounds yet */
            tasvir__send_ctrl(n, n->conf.root_node, TASVIR_FT_CTRL, TASVIR_CTRL_REG, a->id, 0, 0,
                              e, TASVIR_DIR_ENTRY);
        }
    }
    /* The root applied everything to its directory: the next check is due when that (or
     * anything else) changes its copy, not at every poll until then (each pass scans the
     * directory). */
    if (!pending || root) {
        n->reg_done_gen = n->emap_gen;
        n->reg_dirty = false;
    }
}

/* The root's heartbeats announce its directory's size (entries, header field `count`).
 * A node's replica of the directory is first sized from its own conf.dir_entries; when the
 * root's differs, the replica is replaced by one of the root's size (a smaller one would
 * drop every DATA frame past its end as out of bounds and NACK for ever; a larger one would
 * index nothing wrong but waste memory).  Under the engine, not under node->lock. */
static void dir_follow_root(struct tasvir_node *n, uint32_t entries, uint64_t now)
{
    if (entries == n->dir_capacity)
        return;
    if (entries > (1u << 20)) { /* the largest dir_entries a node accepts */
        if (!n->dir_size_logged)
            tasvir__log(n, TASVIR_LOG_ERR,
                        "root node %u announces a directory of %u entries (more than 2^20): "
                        "ignored",
                        n->conf.root_node, entries);
        n->dir_size_logged = true;
        return;
    }
    struct tasvir__area *old = n->dir;
    struct tasvir__dirent d = {.id = ((uint32_t)n->conf.root_node << 16) | 1,
                               .owner = n->conf.root_node,
                               .len = (uint64_t)entries * TASVIR_DIR_ENTRY,
                               .int_us = (uint32_t)n->conf.hb_period_us,
                               .ext_us = (uint32_t)n->conf.hb_period_us};
    snprintf(d.name, sizeof(d.name), "tasvir/root");
    memcpy(d.mac, n->peers[n->conf.root_node].mac, 6);
    int rc = 0;
    pthread_mutex_lock(&n->lock);
    struct tasvir__area *a = NULL;
    if (!old->handles) { /* a thread that attached "tasvir/root" keeps the old one */
        /* the old replica first leaves the name table and the id map (same name, same id) */
        atomic_store_explicit(&old->state, TASVIR__AREA_DYING, memory_order_release);
        old->rx->unbound = true;
        if (!(a = tasvir__replica_create(n, &d, true, &rc))) {
            atomic_store_explicit(&old->state, TASVIR__AREA_LIVE, memory_order_release);
            old->rx->unbound = false;
        }
        atomic_fetch_add_explicit(&n->areas_gen, 1, memory_order_release);
    }
    if (a) {
        n->dir = a;
        n->dir_indexed_ver = 0; /* the new replica's versions start over */
    }
    pthread_mutex_unlock(&n->lock);
    if (!a) {
        if (!n->dir_size_logged)
            tasvir__log(n, TASVIR_LOG_ERR,
                        "root node %u has a directory of %u entries, this node %u "
                        "(conf.dir_entries): cannot follow it (%s); areas listed past entry %u "
                        "are invisible here",
                        n->conf.root_node, entries, n->dir_capacity,
                        rc ? tasvir_strerror(rc) : "tasvir/root is attached", n->dir_capacity);
        n->dir_size_logged = true;
        return;
    }
    tasvir__log(n, TASVIR_LOG_WARN,
                "root node %u has a directory of %u entries, this node was configured with %u "
                "(conf.dir_entries): following the root",
                n->conf.root_node, entries, n->dir_capacity);
    n->dir_capacity = entries;
    n->dir_size_logged = false;
    atomic_store_explicit(&n->reap_pending, 1, memory_order_release);
    (void)now;
}

/* ---- node area ---- */

static uint64_t node_area_len(const struct tasvir_node *n)
{
    return NODE_AREA_HDR + (uint64_t)NODE_THREAD_REC * n->conf.max_threads +
           (uint64_t)NODE_SUB_REC * n->conf.max_areas;
}

static void node_area_update(struct tasvir_node *n, uint64_t now)
{
    struct tasvir__area *a = n->self;
    uint8_t hdr[NODE_AREA_HDR] = {0};
    uint32_t live = 0;
    uint8_t rec[NODE_THREAD_REC];
    pthread_mutex_lock(&n->lock);
    for (uint32_t i = 0; i < n->conf.max_threads; i++) {
        struct tasvir_thread *t = &n->threads[i];
        memset(rec, 0, sizeof(rec));
        if (t->state == TASVIR__THR_LIVE) {
            live++;
            tasvir__put16(rec, (uint16_t)i);
            rec[2] = (uint8_t)atomic_load_explicit(&t->active, memory_order_relaxed);
            rec[3] = (uint8_t)atomic_load_explicit(&t->excluded, memory_order_relaxed);
            tasvir__put32(rec + 4, 1);
        }
        sys_write(a, NODE_AREA_HDR + (uint64_t)i * NODE_THREAD_REC, rec, sizeof(rec));
    }
    pthread_mutex_unlock(&n->lock);
    uint32_t nsubs = 0;
    uint8_t srec[NODE_SUB_REC];
    uint64_t subs_off = NODE_AREA_HDR + (uint64_t)NODE_THREAD_REC * n->conf.max_threads;
    for (uint32_t i = 0; i < n->nelist && nsubs < n->conf.max_areas; i++) {
        struct tasvir__area *r = n->elist[i];
        if (!r || !r->rx)
            continue;
        memset(srec, 0, sizeof(srec));
        tasvir__put32(srec, r->id);
        tasvir__put16(srec + 4, r->owner_node);
        tasvir__put64(srec + 8, atomic_load_explicit(&r->version, memory_order_relaxed));
        tasvir__put64(srec + 16, r->rx->visible_ns);
        sys_write(a, subs_off + (uint64_t)nsubs * NODE_SUB_REC, srec, sizeof(srec));
        nsubs++;
    }
    memset(srec, 0, sizeof(srec)); /* clear a record left by an unsubscribed area */
    if (nsubs < n->conf.max_areas)
        sys_write(a, subs_off + (uint64_t)nsubs * NODE_SUB_REC, srec, sizeof(srec));
    tasvir__put32(hdr, NODE_AREA_MAGIC);
    tasvir__put16(hdr + 4, n->ident.node_id);
    tasvir__put16(hdr + 6, (uint16_t)live);
    tasvir__put64(hdr + 8, n->incarnation);
    tasvir__put64(hdr + 16, n->hb_count);
    tasvir__put64(hdr + 24, now);
    tasvir__put32(hdr + 32, nsubs);
    tasvir__put32(hdr + 36, n->conf.max_areas);
    sys_write(a, 0, hdr, sizeof(hdr));
}

/* ---- heartbeats ---- */

static struct tasvir_frame *hb_frame(struct tasvir_node *n, uint16_t peer, uint64_t now)
{
    struct tasvir_frame *f = n->hbf[peer];
    if (f)
        return f;
    if (!tasvir__frame_begin(n, &f, NULL))
        return NULL;
    f->len = TASVIR_ETH_HDR + TASVIR_WIRE_HDR; /* header written when sent */
    (void)now;
    n->hbf[peer] = f;
    return f;
}

static void hb_close(struct tasvir_node *n, uint16_t peer, uint64_t now)
{
    struct tasvir_frame *f = n->hbf[peer];
    if (!f)
        return;
    n->hbf[peer] = NULL;
    uint8_t mac[6];
    if (!tasvir__peer_mac(n, peer, mac)) {
        n->be.ops->frame_free(n->be.ctx, &f, 1);
        return;
    }
    struct tasvir_wire_hdr h = {
        .type = TASVIR_FT_HB,
        .src_node = n->ident.node_id,
        .dst_node = peer,
        .version = n->hb_count,
        .base_version = n->incarnation,
        .length = f->len - TASVIR_ETH_HDR - TASVIR_WIRE_HDR,
        /* the root tells its directory's size (dir_follow_root) */
        .count = n->ident.node_id == n->conf.root_node ? n->dir_capacity : 0,
        .pub_ns = now,
    };
    tasvir__wire_encode_hdr(f->data, mac, n->ident.mac, &h);
    if (f->len < 60) {
        memset(f->data + f->len, 0, 60 - f->len);
        f->len = 60;
    }
    tasvir__frame_send_ctrl(n, f); /* ahead of the data backlog; last_tx_ns set when it leaves */
    n->peers[peer].last_hb_ns = now;
    tasvir__stat_add(&n->st.hb_tx, 1);
}

static void hb_send(struct tasvir_node *n, uint64_t now)
{
    n->hb_count++;
    uint64_t period = hb_ns(n);
    uint32_t k = n->conf.down_after_hb / 2;
    uint64_t force_every = (k ? k : 1) * period;
    /* announcements: each subscriber of each owned area learns its latest version */
    for (uint32_t i = 0; i < n->nelist; i++) {
        struct tasvir__area *a = n->elist[i];
        if (!a || !a->local || !a->ext.nsubs)
            continue;
        uint64_t v = atomic_load_explicit(&a->version, memory_order_relaxed);
        uint64_t pub = atomic_load_explicit(&a->pub_ns, memory_order_relaxed);
        for (uint32_t k = 0; k < a->ext.nsubs; k++) {
            uint16_t peer = a->ext.subs[k].node;
            struct tasvir_frame *f = hb_frame(n, peer, now);
            if (!f)
                continue;
            if (f->len + TASVIR_HB_ENTRY > TASVIR_ETH_HDR + n->mtu) {
                hb_close(n, peer, now);
                if (!(f = hb_frame(n, peer, now)))
                    continue;
            }
            uint8_t *e = f->data + f->len;
            tasvir__put32(e, a->id);
            /* which incarnation of the peer subscribed: only that one may take the listing
             * as confirmation (a restarted peer must still send its own SUB) */
            tasvir__put32(e + 4, (uint32_t)a->ext.subs[k].inc);
            tasvir__put64(e + 8, v);
            tasvir__put64(e + 16, pub);
            f->len += TASVIR_HB_ENTRY;
        }
    }
    for (uint16_t p = 0; p < TASVIR_MAX_NODES; p++) {
        if (p == n->ident.node_id || !atomic_load_explicit(&n->peers[p].known, memory_order_relaxed))
            continue;
        /* nothing to announce and another frame went there this period: skip -- but not
         * for long: heartbeats also carry the incarnation that reveals a restart */
        struct tasvir__peer *x = &n->peers[p];
        if (!n->hbf[p] && x->last_tx_ns && tasvir__elapsed(now, x->last_tx_ns) < period &&
            tasvir__elapsed(now, x->last_hb_ns) < force_every)
            continue;
        if (!n->hbf[p] && !hb_frame(n, p, now))
            continue;
        hb_close(n, p, now);
    }
}

static void liveness(struct tasvir_node *n, uint64_t now)
{
    uint64_t limit = hb_ns(n) * n->conf.down_after_hb;
    for (uint16_t p = 0; p < TASVIR_MAX_NODES; p++) {
        struct tasvir__peer *x = &n->peers[p];
        if (p == n->ident.node_id || !atomic_load_explicit(&x->known, memory_order_relaxed) ||
            !atomic_load_explicit(&x->up, memory_order_relaxed))
            continue;
        uint64_t last = atomic_load_explicit(&x->last_heard_ns, memory_order_relaxed);
        if (tasvir__elapsed(now, last) > limit) {
            set_up(n, p, false, now);
            tasvir__stat_add(&n->st.peers_down, 1);
            tasvir__log(n, TASVIR_LOG_WARN, "node %u declared down (silent for %" PRIu64 " us)", p,
                        tasvir__elapsed(now, last) / 1000);
        }
    }
}

/* A frame told us node src's incarnation (heartbeats and subscriptions carry it).  If it
 * changed, the node restarted: it lost its subscriptions and its areas started over.
 * Subscriptions carry it too because a restarted node's first SUB can overtake its first
 * heartbeat: the restart must be handled before that SUB is added, not after. */
void tasvir__member_incarnation(struct tasvir_node *n, uint16_t src, uint64_t inc)
{
    struct tasvir__peer *x = &n->peers[src];
    uint64_t old = atomic_load_explicit(&x->incarnation, memory_order_relaxed);
    if (!inc || old == inc)
        return;
    atomic_store_explicit(&x->incarnation, inc, memory_order_relaxed);
    /* the directory binds replicas to the owner's current incarnation: check them again */
    n->dir_reindex = true;
    if (n->ident.node_id == n->conf.root_node)
        dir_purge(n, src, inc);
    if (!old)
        return;
    for (uint32_t i = 0; i < n->nelist; i++) {
        struct tasvir__area *a = n->elist[i];
        if (!a)
            continue;
        if (a->local) {
            tasvir__owner_del_sub(n, a, src);
            /* the root restarted: its directory starts empty; register everything again */
            if (src == n->conf.root_node)
                a->registered = false;
        } else if (a->rx && a->owner_node == src) {
            tasvir__replica_owner_restart(n, a, inc);
            if (!a->sys) {
                /* its areas start over, ids too: no data until the directory lists this
                 * name for the new incarnation (the id may now be another area's) */
                pthread_mutex_lock(&n->lock);
                replica_unbind(n, a, tasvir__now(n), true);
                pthread_mutex_unlock(&n->lock);
            }
        }
    }
    if (src == n->conf.root_node)
        n->reg_dirty = true;
}

void tasvir__member_rx(struct tasvir_node *n, const struct tasvir_wire_hdr *h,
                       const uint8_t *src_mac, const uint8_t *p, uint32_t plen, uint64_t now)
{
    uint16_t src = h->src_node;
    if (h->type == TASVIR_FT_HB) {
        learn_peer(n, src, src_mac);
        tasvir__member_heard(n, src, src_mac, now);
        tasvir__stat_add(&n->st.hb_rx, 1);
        tasvir__member_incarnation(n, src, h->base_version);
        if (src == n->conf.root_node && h->count && n->ident.node_id != n->conf.root_node)
            dir_follow_root(n, h->count, now);
        for (uint32_t off = 0; off + TASVIR_HB_ENTRY <= plen; off += TASVIR_HB_ENTRY) {
            /* NULL: not a replica here; an area we do not want is answered with UNSUB */
            struct tasvir__area *a = tasvir__replica_listed(n, src, tasvir__get32(p + off), now);
            if (!a)
                continue;
            /* the owner lists this incarnation of us: subscription confirmed */
            if (tasvir__get32(p + off + 4) == (uint32_t)n->incarnation)
                a->rx->have_data = true;
            tasvir__replica_announce(n, a, tasvir__get64(p + off + 8), tasvir__get64(p + off + 16),
                                     now);
        }
        return;
    }
    /* REG: only the root keeps the directory */
    if (n->ident.node_id != n->conf.root_node) {
        tasvir__stat_add(&n->st.rx_drop[TASVIR_DROP_NOT_OWNER], 1);
        return;
    }
    struct tasvir__dirent d;
    bool withdraw = plen >= TASVIR_DIR_ENTRY && tasvir__get16(p + 46) == ENTRY_WITHDRAW;
    if (!entry_decode(n, p, withdraw ? ENTRY_WITHDRAW : ENTRY_USED, &d) || d.owner != src ||
        memcmp(d.mac, src_mac, 6) != 0) {
        tasvir__stat_add(&n->st.rx_drop[TASVIR_DROP_FIELD], 1);
        return;
    }
    learn_peer(n, src, src_mac);
    tasvir__member_heard(n, src, src_mac, now);
    if (withdraw) {
        /* no incarnation learnt from it: it may name a previous one */
        dir_withdraw(n, &d);
        return;
    }
    /* a registration is made by the sender's current incarnation: a restart shows here
     * before its first heartbeat (and purges the entries of the previous one).  Known
     * weakness, shared with SUB: a REG of a dead incarnation delivered after the new one's
     * frames (a long reordering) would be taken as a restart back to it, until the next
     * heartbeat corrects it. */
    tasvir__member_incarnation(n, src, d.inc);
    dir_register(n, p, &d, now);
}

void tasvir__member_poll(struct tasvir_node *n, uint64_t now, uint64_t *wake)
{
    if (n->n_pend_peers) {
        pthread_mutex_lock(&n->lock);
        for (uint32_t i = 0; i < n->n_pend_peers; i++)
            learn_peer(n, n->pend_peers[i].id, n->pend_peers[i].mac);
        n->n_pend_peers = 0;
        pthread_mutex_unlock(&n->lock);
    }
    dir_index(n, now);
    bool tick = now >= n->next_hb_ns;
    register_areas(n, now, tick);
    if (tick) {
        /* the node area is informational: refresh it every 10 heartbeats, so it costs an
         * epoch (and a round to its subscribers) at that pace, not at every heartbeat */
        if (n->hb_count % 10 == 0)
            node_area_update(n, now);
        hb_send(n, now);
        liveness(n, now);
        n->next_hb_ns += hb_ns(n);
        if (n->next_hb_ns <= now)
            n->next_hb_ns = now + hb_ns(n);
    }
    if (n->next_hb_ns < *wake)
        *wake = n->next_hb_ns;
}

/* Create an engine-owned system area. */
static struct tasvir__area *sys_area(struct tasvir_node *n, const char *name, uint64_t len,
                                     uint32_t local_id, int *rc)
{
    /* they change at most once per heartbeat: sync them at that pace */
    uint64_t us = n->conf.hb_period_us;
    struct tasvir__area *a = tasvir__area_new(n, name, len, us, us, rc);
    if (!a)
        return NULL;
    a->local = true;
    a->sys = true;
    a->node_of_sys = n;
    a->ever = calloc(a->nwords, sizeof(uint64_t));
    if (!a->ever) {
        *rc = -ENOMEM;
        tasvir__area_free(n, a);
        return NULL;
    }
    pthread_mutex_lock(&n->lock);
    *rc = tasvir__area_insert(n, a, local_id);
    pthread_mutex_unlock(&n->lock);
    if (*rc) {
        tasvir__area_free(n, a);
        return NULL;
    }
    return a;
}

int tasvir__member_init(struct tasvir_node *n)
{
    int rc;
    n->peers = calloc(TASVIR_MAX_NODES, sizeof(*n->peers));
    n->hbf = calloc(TASVIR_MAX_NODES, sizeof(*n->hbf));
    n->defer = calloc(n->conf.max_deferred, sizeof(*n->defer));
    if (!n->peers || !n->hbf || !n->defer)
        return -ENOMEM;
    uint64_t now = tasvir__now(n);
    n->created_ns = now;
    n->incarnation = now | 1;
    for (uint32_t i = 0; i < n->conf.n_peers; i++) {
        const struct tasvir_peer *p = &n->conf.peers[i];
        if (p->node_id >= TASVIR_MAX_NODES)
            return -EINVAL;
        if (p->node_id != n->ident.node_id)
            learn_peer(n, p->node_id, p->mac);
    }
    n->conf.peers = NULL; /* not kept: the caller's array need not outlive the call */
    learn_peer(n, n->ident.node_id, n->ident.mac);
    set_up(n, n->ident.node_id, true, now);
    bool root = n->ident.node_id == n->conf.root_node;
    if (!root && !atomic_load_explicit(&n->peers[n->conf.root_node].known, memory_order_relaxed)) {
        tasvir__log(n, TASVIR_LOG_ERR, "root node %u is not among the peers", n->conf.root_node);
        return -EINVAL;
    }
    char name[TASVIR_NAME_MAX + 1];
    snprintf(name, sizeof(name), "tasvir/node/%u", n->ident.node_id);
    if (!(n->self = sys_area(n, name, node_area_len(n), 0, &rc)))
        return rc;
    n->dir_capacity = n->conf.dir_entries;
    uint64_t dir_len = (uint64_t)n->dir_capacity * TASVIR_DIR_ENTRY;
    if (root) {
        if (!(n->dir = sys_area(n, "tasvir/root", dir_len, 1, &rc)))
            return rc;
    } else {
        struct tasvir__dirent d = {.id = ((uint32_t)n->conf.root_node << 16) | 1,
                                   .owner = n->conf.root_node,
                                   .len = dir_len,
                                   .int_us = (uint32_t)n->conf.hb_period_us,
                                   .ext_us = (uint32_t)n->conf.hb_period_us};
        snprintf(d.name, sizeof(d.name), "tasvir/root");
        memcpy(d.mac, n->peers[n->conf.root_node].mac, 6);
        pthread_mutex_lock(&n->lock);
        n->dir = tasvir__replica_create(n, &d, true, &rc);
        pthread_mutex_unlock(&n->lock);
        if (!n->dir)
            return rc;
    }
    n->next_hb_ns = now;
    return 0;
}

void tasvir__member_fini(struct tasvir_node *n)
{
    if (n->hbf)
        for (uint32_t i = 0; i < TASVIR_MAX_NODES; i++)
            if (n->hbf[i])
                n->be.ops->frame_free(n->be.ctx, &n->hbf[i], 1);
    if (n->ndefer)
        n->be.ops->frame_free(n->be.ctx, n->defer, n->ndefer);
    tasvir__esync_tx_fini(n);
    free(n->hbf);
    free(n->defer);
    free(n->peers);
    free(n->dirix);
    free(n->emap);
    free(n->elist);
    free(n->pend_peers);
}

int tasvir_node_add_peer(struct tasvir_node *n, const struct tasvir_peer *p)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    if (!p || p->node_id >= TASVIR_MAX_NODES || p->node_id == n->ident.node_id)
        return -EINVAL;
    pthread_mutex_lock(&n->lock);
    if (n->n_pend_peers == n->cap_pend_peers) {
        uint32_t cap = n->cap_pend_peers ? n->cap_pend_peers * 2 : 8;
        struct tasvir__pending_peer *x = realloc(n->pend_peers, cap * sizeof(*x));
        if (!x) {
            pthread_mutex_unlock(&n->lock);
            return -ENOMEM;
        }
        n->pend_peers = x;
        n->cap_pend_peers = cap;
    }
    n->pend_peers[n->n_pend_peers].id = p->node_id;
    memcpy(n->pend_peers[n->n_pend_peers].mac, p->mac, 6);
    n->n_pend_peers++;
    pthread_mutex_unlock(&n->lock);
    tasvir__kick(n, TASVIR_KICK_ENGINE);
    return 0;
}

int tasvir_node_peer_info(const struct tasvir_node *n, uint16_t id, struct tasvir_peer_info *o)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    if (!o || id >= TASVIR_MAX_NODES)
        return -EINVAL;
    struct tasvir__peer *p = &n->peers[id];
    o->node_id = id;
    o->known = atomic_load_explicit(&p->known, memory_order_relaxed);
    o->up = atomic_load_explicit(&p->up, memory_order_relaxed);
    o->since_ns = atomic_load_explicit(&p->since_ns, memory_order_relaxed);
    o->last_heard_ns = atomic_load_explicit(&p->last_heard_ns, memory_order_relaxed);
    o->incarnation = id == n->ident.node_id
                         ? n->incarnation
                         : atomic_load_explicit(&p->incarnation, memory_order_relaxed);
    return 0;
}

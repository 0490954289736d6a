/*
 * area.c — areas and their handles: create, attach, detach, destroy, lookup, accessors,
 * interval changes, and the slow paths of tasvir_log.
 *
 * An area (struct tasvir__area) exists once per node; handles (struct tasvir_area) are
 * per attachment.  The owner's handle carries the writer copy and the dirty log in its
 * hot prefix so that tasvir_log() inlines; reader handles carry none, so logging through
 * them fails.  Destroyed areas are unlinked from the name table at once and reclaimed by
 * the engine between epochs (tasvir__area_reap); their handles are kept, marked dead, until
 * the node is destroyed, so that later use is reported instead of touching freed memory.
 *
 * Handles and concurrent destroys: kill_handle (under node->lock) marks a handle dead and
 * clears its core pointer.  Accessors load that pointer once (core_of) and never read it
 * again; those that may be called from threads the epochs do not wait for
 * (tasvir_area_info, _get_sync, _set_sync) read the area under node->lock, which the reap
 * also holds.  The others (version, reader, ...) take no lock: they rely on the reap
 * waiting for an epoch to complete after the destroy (see tasvir__area_reap).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A handle's magic, which kill_handle may be changing in another thread: an atomic load
 * (the field is a plain uint32_t of the public header, read plainly by the tasvir_log fast
 * path on the owner's own thread). */
static uint32_t magic_of(const struct tasvir_area *a)
{
    return __atomic_load_n(&a->hot.magic, __ATOMIC_RELAXED);
}

static int check_area(const struct tasvir_area *a)
{
    if (!a)
        return TASVIR_EBADHANDLE;
    uint32_t m = magic_of(a);
    if (m == TASVIR__MAGIC_AREA)
        return 0;
    return m == TASVIR__MAGIC_DEAD ? TASVIR_EDESTROYED : TASVIR_EBADHANDLE;
}

/* The area of handle a, loaded once, or NULL with *rc set (TASVIR_EBADHANDLE, or
 * TASVIR_EDESTROYED for a handle killed by now, even if its magic still read live).  The
 * caller must use the result, never a->core again: a concurrent destroy clears it. */
static struct tasvir__area *core_of(const struct tasvir_area *a, int *rc)
{
    if ((*rc = check_area(a)))
        return NULL;
    struct tasvir__area *c = atomic_load_explicit(&a->core, memory_order_acquire);
    if (!c)
        *rc = TASVIR_EDESTROYED;
    return c;
}

static int check_thread(const struct tasvir_thread *t)
{
    if (!t)
        return TASVIR_EBADHANDLE;
    if (t->magic == TASVIR__MAGIC_THREAD)
        return 0;
    return t->magic == TASVIR__MAGIC_DEAD ? TASVIR_EDESTROYED : TASVIR_EBADHANDLE;
}

/* Names: 1..TASVIR_NAME_MAX printable characters without spaces. */
static int check_name(const char *name)
{
    if (!name)
        return -EINVAL;
    size_t len = strnlen(name, TASVIR_NAME_MAX + 1);
    if (len == 0 || len > TASVIR_NAME_MAX)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (name[i] <= ' ' || name[i] > '~')
            return -EINVAL;
    return 0;
}

/* An interval in us that the runtime takes: 1..TASVIR_SYNC_MAX_US, so that its value in
 * ns neither wraps (a wrapped interval could be 0 or a few ns: due at every epoch, epochs
 * back to back) nor exceeds the directory's 32-bit field in us. */
static bool interval_ok(uint64_t us)
{
    return us >= 1 && us <= TASVIR_SYNC_MAX_US;
}

/* Under node->lock. */
static struct tasvir__area *find_live(struct tasvir_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (a && atomic_load_explicit(&a->state, memory_order_relaxed) == TASVIR__AREA_LIVE &&
            strcmp(a->name, name) == 0)
            return a;
    }
    return NULL;
}

static struct tasvir_area *new_handle(struct tasvir__area *a, struct tasvir_thread *t,
                                      bool owner)
{
    struct tasvir_area *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    if (owner) {
        h->hot.wbase = a->wcopy;
        h->hot.wlen = (const uint8_t *)(uintptr_t)a->len;
        h->hot.wlines = (const uint8_t *)(uintptr_t)(a->len / TASVIR_LINE_BYTES);
        h->hot.log = (tasvir__mark *)(void *)a->log;
        h->hot.sum = (tasvir__mark *)(void *)a->sum;
    }
    h->hot.misuse = (uint64_t *)(void *)&t->node->st.log_misuse;
    h->hot.magic = TASVIR__MAGIC_AREA;
    h->hot.err = owner ? -ERANGE : TASVIR_ENOTOWNER;
    h->is_owner = owner;
    atomic_init(&h->core, a);
    h->node = t->node;
    h->thread = t;
    h->next = a->handles;
    a->handles = h;
    return h;
}

/* Under node->lock: mark a handle dead and park it on the node's dead list.
 *
 * Dead handles are kept until tasvir_node_destroy (about 100 bytes each), never freed or
 * reused before: the header promises that any use of a destroyed handle is reported while
 * its node lives, and a freed or recycled handle would turn a stale pointer into a
 * use-after-free or into another area's handle.  (The list used to be cut at 1024 handles,
 * and the oldest were freed.) */
static void kill_handle(struct tasvir_node *n, struct tasvir_area *h)
{
    __atomic_store_n(&h->hot.magic, TASVIR__MAGIC_DEAD, __ATOMIC_RELAXED);
    h->hot.err = TASVIR_EDESTROYED; /* hot.misuse stays: the node outlives its dead handles */
    h->hot.wbase = NULL;
    h->hot.wlen = NULL;
    h->hot.wlines = NULL;
    h->hot.log = NULL;
    h->hot.sum = NULL;
    atomic_store_explicit(&h->core, NULL, memory_order_release);
    h->next = NULL;
    if (n->dead_tail)
        n->dead_tail->next = h;
    else
        n->dead_head = h;
    n->dead_tail = h;
    n->n_dead++;
}

/* Under node->lock: area a goes dying (destroyed, or its last reader detached). */
static void set_dying(struct tasvir_node *n, struct tasvir__area *a)
{
    a->dying_ok = atomic_load_explicit(&n->st.epochs_ok, memory_order_relaxed);
    atomic_store_explicit(&a->state, TASVIR__AREA_DYING, memory_order_release);
}

void tasvir__area_free(struct tasvir_node *n, struct tasvir__area *a)
{
    const struct tasvir_backend_ops *ops = n->be.ops;
    if (a->wcopy)
        ops->mem_free(n->be.ctx, a->wcopy, a->copy_bytes);
    if (a->rcopy)
        ops->mem_free(n->be.ctx, a->rcopy, a->copy_bytes);
    free(a->log);
    free(a->sum);
    free(a->sticky);
    free(a->ever);
    for (int i = 0; i < TASVIR__TIERS; i++)
        free(a->ext.tier[i]);
    free(a->ext.subs);
    if (a->rx)
        free(a->rx->seen);
    free(a->rx);
    free(a);
}

/* Called by the engine at the end of an epoch.  A dying area is freed only once an epoch
 * that ended after it went dying completed (epochs_ok moved past dying_ok): such an epoch
 * waited for every thread it counted to check in, so none of them is still inside an
 * accessor (tasvir_area_version, ...) that loaded the area's pointer before the destroy.
 * A failed epoch does not wait for its threads (one may be descheduled inside such a
 * call): the area then waits for the next epoch that completes. */
void tasvir__area_reap(struct tasvir_node *n)
{
    if (!atomic_exchange_explicit(&n->reap_pending, 0, memory_order_acq_rel))
        return;
    /* the engine read the DONE phase that followed the epoch's count (acquire) */
    uint64_t ok = atomic_load_explicit(&n->st.epochs_ok, memory_order_relaxed);
    pthread_mutex_lock(&n->lock);
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (a && atomic_load_explicit(&a->state, memory_order_relaxed) == TASVIR__AREA_DYING &&
            !a->want_unsub) {
            if (ok <= a->dying_ok) {
                atomic_store_explicit(&n->reap_pending, 1, memory_order_relaxed);
                continue;
            }
            if (atomic_load_explicit(&a->oc_listed, memory_order_acquire)) {
                /* still on its owner's list of log clears (isync.c owner_clears): the
                 * owner takes it off at its next check-in or deactivation */
                atomic_store_explicit(&n->reap_pending, 1, memory_order_relaxed);
                continue;
            }
            n->areas[i] = NULL;
            n->n_areas--;
            atomic_fetch_add_explicit(&n->areas_gen, 1, memory_order_release);
            tasvir__area_free(n, a);
        }
    }
    pthread_mutex_unlock(&n->lock);
}

int tasvir_area_conf_init(struct tasvir_area_conf *conf)
{
    if (!conf)
        return -EINVAL;
    memset(conf, 0, sizeof(*conf));
    return 0;
}

struct tasvir__area *tasvir__area_new(struct tasvir_node *n, const char *name, uint64_t len,
                                      uint64_t int_us, uint64_t ext_us, int *rc)
{
    struct tasvir__area *a = tasvir__zalloc_lines(sizeof(*a)); /* it has line-aligned fields */
    if (!a) {
        *rc = -ENOMEM;
        return NULL;
    }
    snprintf(a->name, sizeof(a->name), "%s", name);
    a->len = len;
    a->nlines = (a->len + TASVIR_LINE_BYTES - 1) / TASVIR_LINE_BYTES;
    a->nwords = (a->nlines + TASVIR__WORD_LINES - 1) / TASVIR__WORD_LINES;
    a->copy_bytes = a->nlines * TASVIR_LINE_BYTES;
    size_t align = a->copy_bytes >= 4096 ? 4096 : TASVIR__CACHELINE;
    const struct tasvir_backend_ops *ops = n->be.ops;
    a->wcopy = ops->mem_alloc(n->be.ctx, a->copy_bytes, align);
    a->rcopy = ops->mem_alloc(n->be.ctx, a->copy_bytes, align);
    /* line-aligned: log words and summary blocks are read as whole cache lines */
    a->log = tasvir__zalloc_lines(a->nwords * TASVIR__WORD_LINES);
    a->sum = tasvir__zalloc_lines(tasvir__sum_bytes(a->nwords));
    a->sticky = calloc((a->nwords + 63) / 64, sizeof(uint64_t));
    if (!a->wcopy || !a->rcopy || !a->log || !a->sum || !a->sticky) {
        tasvir__area_free(n, a);
        *rc = -ENOMEM;
        return NULL;
    }
    atomic_init(&a->sync_int_ns, int_us * 1000);
    atomic_init(&a->sync_ext_ns, ext_us * 1000);
    atomic_init(&a->version, 0);
    atomic_init(&a->pub_ns, 0);
    atomic_init(&a->due_hint, tasvir__grid_next(tasvir__now(n), int_us * 1000));
    atomic_init(&a->state, TASVIR__AREA_LIVE);
    *rc = 0;
    return a;
}

/* Under node->lock: a local id (the low 16 bits of an area id) for a new area of this node,
 * in TASVIR__FIRST_USER_ID..0xffff (lower ids are the system areas'), used by no area
 * of this node that is live or dying (not yet reaped): the first such id at or after
 * next_local_id, wrapping from 0xffff to the first user id.  Handing ids out round the
 * ring, not lowest-first, keeps an id just freed from coming back at once (other nodes
 * may still be told about the area it named).  -EBUSY when every id is taken.
 *
 * The plain counter this replaces wrapped after 65 536 creations into the ids of live
 * areas, then into the reserved ones (the root directory's). */
#define TASVIR__FIRST_USER_ID 16u
static int alloc_local_id(struct tasvir_node *n, uint32_t *out)
{
    uint64_t used[0x10000 / 64] = {0};
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        const struct tasvir__area *a = n->areas[i];
        if (a && a->local) {
            uint32_t l = a->id & 0xffffu;
            used[l / 64] |= 1ull << (l % 64);
        }
    }
    uint32_t id = n->next_local_id;
    for (uint32_t k = 0; k < 0x10000u - TASVIR__FIRST_USER_ID; k++) {
        if (id < TASVIR__FIRST_USER_ID || id > 0xffffu)
            id = TASVIR__FIRST_USER_ID;
        if (!(used[id / 64] & (1ull << (id % 64)))) {
            *out = id;
            n->next_local_id = id + 1; /* wrapped on the next call if past 0xffff */
            return 0;
        }
        id++;
    }
    return -EBUSY;
}

/* Under node->lock: give the area a slot (and, for local areas, an id from local_id or a
 * free local id: alloc_local_id).  Returns 0, -EEXIST or -EBUSY. */
int tasvir__area_insert(struct tasvir_node *n, struct tasvir__area *a, uint32_t local_id)
{
    if (find_live(n, a->name))
        return -EEXIST;
    uint32_t slot = n->conf.max_areas;
    for (uint32_t i = 0; i < n->conf.max_areas; i++)
        if (!n->areas[i]) {
            slot = i;
            break;
        }
    if (slot == n->conf.max_areas)
        return -EBUSY;
    if (a->local) {
        if (local_id == UINT32_MAX) {
            int rc = alloc_local_id(n, &local_id);
            if (rc)
                return rc;
        }
        a->id = ((uint32_t)n->ident.node_id << 16) | (local_id & 0xffffu);
        a->owner_node = n->ident.node_id;
    }
    a->slot = slot;
    n->areas[slot] = a;
    n->n_areas++;
    if (slot + 1 > n->areas_hwm)
        n->areas_hwm = slot + 1;
    atomic_fetch_add_explicit(&n->areas_gen, 1, memory_order_release);
    return 0;
}

int tasvir_area_create(struct tasvir_thread *owner, const struct tasvir_area_conf *conf,
                       struct tasvir_area **out)
{
    int rc = check_thread(owner);
    if (rc)
        return rc;
    if (!conf || !out)
        return -EINVAL;
    if ((rc = check_name(conf->name)))
        return rc;
    struct tasvir_node *n = owner->node;
    if (conf->len_bytes == 0)
        return -EINVAL;
    if (conf->len_bytes > n->conf.max_area_bytes)
        return -E2BIG;
    if (strncmp(conf->name, "tasvir/", 7) == 0)
        return -EINVAL; /* reserved for system areas */
    uint64_t int_us = conf->sync_int_us ? conf->sync_int_us : n->conf.sync_int_us;
    uint64_t ext_us = conf->sync_ext_us ? conf->sync_ext_us : n->conf.sync_ext_us;
    if (!interval_ok(int_us) || !interval_ok(ext_us))
        return -EINVAL; /* the node's defaults are checked by tasvir_node_create */
    struct tasvir__area *a = tasvir__area_new(n, conf->name, conf->len_bytes, int_us, ext_us, &rc);
    if (!a)
        return rc;
    a->owner = owner;
    a->local = true;
    a->ever = calloc(a->nwords, sizeof(uint64_t));
    if (!a->ever) {
        rc = -ENOMEM;
        goto fail;
    }

    pthread_mutex_lock(&n->lock);
    /* names are testbed-wide: refuse one the directory already gives to another area */
    if (tasvir__dir_find(n, conf->name)) {
        pthread_mutex_unlock(&n->lock);
        rc = -EEXIST;
        goto fail;
    }
    struct tasvir_area *h = new_handle(a, owner, true);
    if (!h) {
        pthread_mutex_unlock(&n->lock);
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = tasvir__area_insert(n, a, UINT32_MAX))) {
        a->handles = NULL;
        free(h);
        pthread_mutex_unlock(&n->lock);
        goto fail;
    }
    a->owner_handle = h;
    owner->owned_areas++;
    pthread_mutex_unlock(&n->lock);
    tasvir__isync_due_changed(n);
    tasvir__kick(n, TASVIR_KICK_ENGINE);
    *out = h;
    return 0;
fail:
    tasvir__area_free(n, a);
    return rc;
}

/* Under node->lock: create the replica of a directory entry. */
struct tasvir__area *tasvir__replica_create(struct tasvir_node *n, const struct tasvir__dirent *e,
                                           bool sys, int *rc)
{
    struct tasvir__area *a = tasvir__area_new(n, e->name, e->len, e->int_us ? e->int_us : 1000,
                                              e->ext_us ? e->ext_us : 10000, rc);
    if (!a)
        return NULL;
    a->rx = calloc(1, sizeof(*a->rx));
    if (!a->rx) {
        *rc = -ENOMEM;
        goto fail;
    }
    a->id = e->id;
    a->sys = sys;
    a->owner_node = e->owner;
    a->rx->owner = e->owner;
    if ((*rc = tasvir__area_insert(n, a, 0)))
        goto fail;
    return a;
fail:
    tasvir__area_free(n, a);
    return NULL;
}

int tasvir_area_attach(struct tasvir_thread *t, const char *name, struct tasvir_area **out)
{
    int rc = check_thread(t);
    if (rc)
        return rc;
    if (!out || (rc = check_name(name)))
        return -EINVAL;
    struct tasvir_node *n = t->node;
    pthread_mutex_lock(&n->lock);
    struct tasvir__area *a = find_live(n, name);
    bool created = false;
    if (!a) {
        const struct tasvir__dirent *e = tasvir__dir_find(n, name);
        if (!e || e->owner == n->ident.node_id) {
            pthread_mutex_unlock(&n->lock);
            return -ENOENT;
        }
        if (!(a = tasvir__replica_create(n, e, false, &rc))) {
            pthread_mutex_unlock(&n->lock);
            return rc;
        }
        created = true;
    }
    struct tasvir_area *h = new_handle(a, t, false);
    if (h)
        a->n_reader_handles++;
    pthread_mutex_unlock(&n->lock);
    if (!h)
        return -ENOMEM; /* a new replica stays, unsubscribed handles-wise; reaped on detach */
    if (created)
        tasvir__kick(n, TASVIR_KICK_ENGINE); /* the engine subscribes */
    *out = h;
    return 0;
}

int tasvir_area_detach(struct tasvir_area *h)
{
    int rc = check_area(h);
    if (rc)
        return rc;
    if (h->is_owner)
        return -EINVAL;
    struct tasvir_node *n = h->node;
    pthread_mutex_lock(&n->lock);
    /* checked again under the lock: the handle may have died since (its area destroyed,
     * or a detach of it in another thread) */
    struct tasvir__area *a = core_of(h, &rc);
    if (!a) {
        pthread_mutex_unlock(&n->lock);
        return rc;
    }
    struct tasvir_area **pp = &a->handles;
    while (*pp && *pp != h)
        pp = &(*pp)->next;
    if (*pp)
        *pp = h->next;
    kill_handle(n, h);
    bool unsub = false;
    if (--a->n_reader_handles == 0 && a->rx && !a->sys) {
        /* last reader of a replica gone: unsubscribe and reclaim */
        a->want_unsub = true;
        set_dying(n, a);
        for (struct tasvir_area *x = a->handles, *next; x; x = next) {
            next = x->next;
            kill_handle(n, x);
        }
        a->handles = NULL;
        unsub = true;
    }
    pthread_mutex_unlock(&n->lock);
    if (unsub) {
        atomic_store_explicit(&n->reap_pending, 1, memory_order_release);
        tasvir__isync_due_changed(n);
        tasvir__kick(n, TASVIR_KICK_ENGINE);
    }
    return 0;
}

int tasvir_area_destroy(struct tasvir_area *h)
{
    int rc = check_area(h);
    if (rc)
        return rc;
    if (!h->is_owner)
        return TASVIR_ENOTOWNER;
    struct tasvir_node *n = h->node;
    pthread_mutex_lock(&n->lock);
    /* checked again under the lock: another thread may have destroyed it since */
    struct tasvir__area *a = core_of(h, &rc);
    if (!a) {
        pthread_mutex_unlock(&n->lock);
        return rc;
    }
    set_dying(n, a);
    a->owner->owned_areas--;
    for (struct tasvir_area *x = a->handles, *next; x; x = next) {
        next = x->next;
        kill_handle(n, x);
    }
    a->handles = NULL;
    a->owner_handle = NULL;
    pthread_mutex_unlock(&n->lock);
    atomic_store_explicit(&n->reap_pending, 1, memory_order_release);
    tasvir__isync_due_changed(n);
    return 0;
}

int tasvir_area_lookup(struct tasvir_node *n, const char *name)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    if (check_name(name))
        return -EINVAL;
    pthread_mutex_lock(&n->lock);
    int found = find_live(n, name) != NULL || tasvir__dir_find(n, name) != NULL;
    pthread_mutex_unlock(&n->lock);
    return found;
}

/* The accessors below take no lock (readers may call them at every read): each loads the
 * area pointer once (core_of), so a destroy between the check and the use gives 0 / NULL
 * (TASVIR_EDESTROYED inside), not a NULL dereference.  An area they loaded just before a
 * destroy stays allocated until an epoch completes after it (tasvir__area_reap). */
void *tasvir_area_writer(const struct tasvir_area *h)
{
    int rc;
    struct tasvir__area *a = core_of(h, &rc);
    return a && h->is_owner ? a->wcopy : NULL;
}

const void *tasvir_area_reader(const struct tasvir_area *h)
{
    int rc;
    struct tasvir__area *a = core_of(h, &rc);
    return a ? a->rcopy : NULL;
}

uint64_t tasvir_area_len(const struct tasvir_area *h)
{
    int rc;
    struct tasvir__area *a = core_of(h, &rc);
    return a ? a->len : 0;
}

const char *tasvir_area_name(const struct tasvir_area *h)
{
    int rc;
    struct tasvir__area *a = core_of(h, &rc);
    return a ? a->name : NULL;
}

uint64_t tasvir_area_version(const struct tasvir_area *h)
{
    int rc;
    struct tasvir__area *a = core_of(h, &rc);
    return a ? atomic_load_explicit(&a->version, memory_order_acquire) : 0;
}

uint64_t tasvir_area_pub_ns(const struct tasvir_area *h)
{
    int rc;
    struct tasvir__area *a = core_of(h, &rc);
    return a ? atomic_load_explicit(&a->pub_ns, memory_order_relaxed) : 0;
}

int tasvir_area_set_sync(struct tasvir_area *h, uint64_t sync_int_us, uint64_t sync_ext_us)
{
    int rc = check_area(h);
    if (rc)
        return rc;
    if (!h->is_owner)
        return TASVIR_ENOTOWNER;
    if ((sync_int_us && !interval_ok(sync_int_us)) || (sync_ext_us && !interval_ok(sync_ext_us)))
        return -EINVAL; /* neither is changed */
    struct tasvir_node *n = h->node;
    uint64_t due = sync_int_us ? tasvir__grid_next(tasvir__now(n), sync_int_us * 1000) : 0;
    /* under the lock: a concurrent destroy (from another thread) cannot free the area while
     * we store into it */
    pthread_mutex_lock(&n->lock);
    struct tasvir__area *a = core_of(h, &rc);
    if (a) {
        if (sync_int_us) {
            atomic_store_explicit(&a->sync_int_ns, sync_int_us * 1000, memory_order_relaxed);
            atomic_store_explicit(&a->due_hint, due, memory_order_release);
        }
        if (sync_ext_us)
            atomic_store_explicit(&a->sync_ext_ns, sync_ext_us * 1000, memory_order_relaxed);
    }
    pthread_mutex_unlock(&n->lock);
    if (a && sync_int_us)
        tasvir__isync_due_changed(n);
    return rc;
}

int tasvir_area_get_sync(const struct tasvir_area *h, uint64_t *sync_int_us, uint64_t *sync_ext_us)
{
    int rc = check_area(h);
    if (rc)
        return rc;
    struct tasvir_node *n = h->node;
    pthread_mutex_lock(&n->lock); /* any thread: the area cannot be reaped under us */
    struct tasvir__area *a = core_of(h, &rc);
    if (a) {
        if (sync_int_us)
            *sync_int_us = atomic_load_explicit(&a->sync_int_ns, memory_order_relaxed) / 1000;
        if (sync_ext_us)
            *sync_ext_us = atomic_load_explicit(&a->sync_ext_ns, memory_order_relaxed) / 1000;
    }
    pthread_mutex_unlock(&n->lock);
    return rc;
}

/* The bytes [from, to] (0 <= from <= to <= 7, in memory order) of an 8-byte block of the
 * dirty log set to 1, as the value of a uint64_t loaded from it (any byte order). */
static inline uint64_t block_mask(unsigned from, unsigned to)
{
    const uint64_t ones = 0x0101010101010101ull; /* byte k of the value: 1 */
    /* bytes from..to of the value: shifts, not a memset of a variable length (a call) */
    uint64_t m = (ones >> (8 * (7 - to))) & (ones << (8 * from));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    m = __builtin_bswap64(m); /* value bytes to memory order */
#endif
    return m;
}

/* Mark lines [first, last] dirty in a dirty log and its summary, 8 lines at a time (the
 * log is allocated in whole 64-line words, so a block never passes its end), storing only
 * into a block with a line still clean. */
static void set_lines(uint8_t *log, uint8_t *sum, uint64_t first, uint64_t last)
{
    for (uint64_t b = first >> 3; b <= last >> 3; b++) {
        uint64_t m = block_mask(b == first >> 3 ? (unsigned)(first & 7) : 0,
                                b == last >> 3 ? (unsigned)(last & 7) : 7);
        uint64_t x;
        memcpy(&x, log + 8 * b, sizeof(x));
        if ((x & m) != m) {
            x |= m;
            memcpy(log + 8 * b, &x, sizeof(x));
        }
    }
    tasvir__sum_mark(sum, first >> 6, last >> 6);
}

static int log_bad(struct tasvir_area *h)
{
    int rc = check_area(h);
    if (rc == TASVIR_EBADHANDLE)
        return rc; /* no node to count on for a garbage handle */
    /* live or dead handles still know their node (dead ones are kept until it goes) */
    tasvir__stat_add(&h->node->st.log_misuse, 1);
    return h->hot.err; /* set with the magic: -ERANGE, TASVIR_ENOTOWNER, TASVIR_EDESTROYED */
}

/* What tasvir_log() reads for a NULL handle (tasvir.h): no writer copy, no magic. */
const struct tasvir__area_hot tasvir__no_hot = {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0};

/* Everything tasvir_log's inline fast path does not take: ranges over several lines,
 * len == 0, and errors. */
int tasvir__log_slow(struct tasvir_area *h, const void *addr, size_t len)
{
    if (!h || !h->hot.wbase)
        return log_bad(h);
    uint64_t wlen = (uint64_t)(uintptr_t)h->hot.wlen;
    uint64_t off = (uint64_t)((uintptr_t)addr - (uintptr_t)h->hot.wbase);
    if (off > wlen || len > wlen - off)
        return log_bad(h);
    if (len)
        set_lines((uint8_t *)(void *)h->hot.log, (uint8_t *)(void *)h->hot.sum, off >> 6,
                  (off + len - 1) >> 6);
    return 0;
}

void tasvir__log_lines(struct tasvir__area *a, uint64_t off, uint64_t len)
{
    if (len)
        set_lines(a->log, a->sum, off >> 6, (off + len - 1) >> 6);
}

int tasvir_log_checked(struct tasvir_thread *t, struct tasvir_area *h, const void *addr,
                       size_t len)
{
    int rc = check_thread(t);
    if (rc)
        return rc;
    struct tasvir__area *a = core_of(h, &rc);
    if (!a)
        return rc;
    if (!h->is_owner || a->owner != t) {
        tasvir__stat_add(&h->node->st.log_misuse, 1);
        return TASVIR_ENOTOWNER;
    }
    return tasvir_log(h, addr, len);
}

/* Under node->lock (tasvir_area_info). */
static void area_info(struct tasvir_node *n, const struct tasvir__area *a,
                      struct tasvir_area_info *o)
{
    memset(o, 0, sizeof(*o));
    o->id = a->id;
    o->owner_node = a->owner_node;
    o->local = a->local;
    o->len_bytes = a->len;
    o->version = atomic_load_explicit(&a->version, memory_order_acquire);
    o->pub_ns = atomic_load_explicit(&a->pub_ns, memory_order_relaxed);
    if (a->local) {
        o->visible_ns = o->pub_ns;
        o->latest_version = o->version;
        o->latest_pub_ns = o->pub_ns;
        o->owner_up = 1;
        o->owner_since_ns = n->created_ns;
        return;
    }
    struct tasvir__info_atomic *x = (struct tasvir__info_atomic *)&a->info;
    o->visible_ns = atomic_load_explicit(&x->visible_ns, memory_order_relaxed);
    o->latest_version = atomic_load_explicit(&x->latest_ver, memory_order_relaxed);
    o->latest_pub_ns = atomic_load_explicit(&x->latest_pub, memory_order_relaxed);
    if (o->latest_version < o->version) { /* the announcement lags what we already show */
        o->latest_version = o->version;
        o->latest_pub_ns = o->pub_ns;
    }
    o->next_pub_ns = o->latest_version > o->version
                         ? atomic_load_explicit(&x->next_pub, memory_order_relaxed)
                         : 0;
    struct tasvir__peer *p = &n->peers[a->owner_node];
    o->owner_up = atomic_load_explicit(&p->up, memory_order_relaxed);
    o->owner_since_ns = atomic_load_explicit(&p->since_ns, memory_order_relaxed);
    uint64_t stale = o->latest_version > o->version
                         ? atomic_load_explicit(&x->stale_since_ns, memory_order_relaxed)
                         : 0;
    if (!o->owner_up) {
        /* down: stale at least since we last heard from it */
        uint64_t last = atomic_load_explicit(&p->last_heard_ns, memory_order_relaxed);
        if (!last)
            last = n->created_ns;
        if (!stale || last < stale)
            stale = last;
    }
    uint64_t gone = atomic_load_explicit(&x->gone_ns, memory_order_relaxed);
    if (gone) { /* no longer in the directory (destroyed, or its owner restarted without it) */
        o->owner_up = 0;
        o->owner_since_ns = gone;
        if (!stale || gone < stale)
            stale = gone;
    }
    o->stale_since_ns = stale;
}

int tasvir_area_info(const struct tasvir_area *h, struct tasvir_area_info *o)
{
    int rc = check_area(h);
    if (rc)
        return rc;
    if (!o)
        return -EINVAL;
    /* "Any thread, any time", including threads the epochs do not wait for (a monitor):
     * under the lock, which the reap holds to free an area, so that a destroy racing this
     * call gives TASVIR_EDESTROYED and never a freed area. */
    struct tasvir_node *n = h->node;
    pthread_mutex_lock(&n->lock);
    const struct tasvir__area *a = core_of(h, &rc);
    if (a)
        area_info(n, a, o);
    pthread_mutex_unlock(&n->lock);
    return rc;
}

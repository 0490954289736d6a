/*
 * thread.c — worker threads: registration, activation, and tasvir_service, the check-in
 * state machine every active thread runs between pieces of work.
 *
 * A thread's view of epoch seq s goes through these cases (see isync.c for the epoch):
 *  - s == seen_seq:         nothing new; the fast path returns at once.
 *  - counted in s:          arrive (CAS), then help copy, then wait for DONE/ABORT.
 *  - not counted in s:      it became active (or was readmitted) after s started, so s
 *                           copies without it; if s is still in progress it must stay out
 *                           of area memory until s ends (wait_seq).
 *  - counted in s, left it: it deactivated during s and is active again; s no longer
 *                           waits for it, so it waits s out as above (join_locked).
 * Deactivation (leave) waits out a COPY phase in progress before the thread goes, and
 * takes the dirty-log clears its copiers left to it (isync.c owner_clears).
 * Membership changes (register, activate, deactivate, readmit) happen under node->lock,
 * which the engine also holds while it takes the snapshot that starts an epoch, so a thread
 * is either counted in an epoch or knows it has to wait that epoch out.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int check_thread(const struct tasvir_thread *t)
{
    if (!t)
        return TASVIR_EBADHANDLE;
    if (t->magic == TASVIR__MAGIC_THREAD)
        return 0;
    return t->magic == TASVIR__MAGIC_DEAD ? TASVIR_EDESTROYED : TASVIR_EBADHANDLE;
}

int tasvir_thread_register(struct tasvir_node *n, struct tasvir_thread **out)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    if (!out)
        return -EINVAL;
    pthread_mutex_lock(&n->lock);
    /* Prefer never-used slots so that a stale handle of an unregistered thread keeps
     * reporting TASVIR_EDESTROYED for as long as possible. */
    struct tasvir_thread *t = NULL;
    for (uint32_t i = 0; i < n->conf.max_threads && !t; i++)
        if (n->threads[i].state == TASVIR__THR_FREE)
            t = &n->threads[i];
    for (uint32_t i = 0; i < n->conf.max_threads && !t; i++)
        if (n->threads[i].state == TASVIR__THR_DEAD)
            t = &n->threads[i];
    if (!t) {
        pthread_mutex_unlock(&n->lock);
        return -EBUSY;
    }
    uint64_t seq = TASVIR__CTL_SEQ(atomic_load_explicit(&n->ctl, memory_order_acquire));
    t->state = TASVIR__THR_LIVE;
    t->node = n;
    atomic_store_explicit(&t->active, 0, memory_order_relaxed);
    atomic_store_explicit(&t->excluded, 0, memory_order_relaxed);
    atomic_store_explicit(&t->counted_seq, 0, memory_order_relaxed);
    atomic_store_explicit(&t->arrive_seq, 0, memory_order_relaxed);
    t->seen_seq = seq;
    t->wait_seq = 0;
    t->readmit_pending = false;
    t->owned_areas = 0;
    atomic_store_explicit(&t->oc_head, NULL, memory_order_relaxed);
    t->misses = 0;
    t->magic = TASVIR__MAGIC_THREAD;
    pthread_mutex_unlock(&n->lock);
    *out = t;
    return 0;
}

/* Under node->lock: make t inactive.  Returns false, with t left active and untouched, if
 * t must first take log clears copiers may leave to it (owner_clears) — the caller then
 * settles and tries again; else true, with *owe the epoch t must still arrive in (it was
 * counted and has not arrived) or 0; the caller arrives after dropping the lock.
 *
 * Why the store comes first: a copier of epoch s leaves the clears of a chunk to the owner
 * if it sees the owner active and counted in s, and lists them only when the chunk is
 * copied.  A deactivation that read the phase first and stored after could miss such a
 * copier: COPY may begin between the read and the store (t arrived earlier in s's
 * CHECKIN), and the copier's list of clears would reach t once it is inactive, where
 * nothing takes it off (the log words stay set: the next epochs copy them again, and t's
 * check-in after it is back clears them, with its new writes' marks).  So t stores
 * active = 0, then reads ctl with a read-modify-write (a release that the CAS starting
 * COPY synchronizes with: the modifications of ctl in between are all RMWs, so every
 * copier of a COPY phase that starts later sees t inactive), and if a COPY phase that
 * counted t is already running, or clears are already listed, t becomes active again and
 * waits the copy out before it retries (tasvir__isync_owner_settle).  t may not clear
 * while inactive: epochs that do not count it would copy its areas meanwhile.  No new
 * epoch starts while we hold the lock, and one that counts t cannot reach COPY before t
 * arrives, so the retry does not recur for the same reason. */
static bool deactivate_locked(struct tasvir_thread *t, uint64_t *owe)
{
    struct tasvir_node *n = t->node;
    *owe = 0;
    if (!atomic_load_explicit(&t->active, memory_order_relaxed))
        return true;
    atomic_store_explicit(&t->active, 0, memory_order_seq_cst);
    uint64_t ctl = atomic_fetch_add_explicit(&n->ctl, 0, memory_order_acq_rel);
    uint64_t s = TASVIR__CTL_SEQ(ctl);
    bool counted = atomic_load_explicit(&t->counted_seq, memory_order_relaxed) == s;
    if ((TASVIR__CTL_PHASE(ctl) == TASVIR__PH_COPY && counted) ||
        atomic_load_explicit(&t->oc_head, memory_order_acquire)) {
        atomic_store_explicit(&t->active, 1, memory_order_seq_cst);
        return false;
    }
    if (TASVIR__CTL_PHASE(ctl) == TASVIR__PH_CHECKIN && counted &&
        atomic_load_explicit(&t->arrive_seq, memory_order_relaxed) != s)
        *owe = s;
    if (atomic_load_explicit(&t->excluded, memory_order_relaxed)) {
        atomic_store_explicit(&t->excluded, 0, memory_order_relaxed);
        atomic_fetch_sub_explicit(&n->st.threads_excluded_now, 1, memory_order_relaxed);
    }
    t->seen_seq = s;
    t->wait_seq = 0;
    return true;
}

/* Deactivate t (tasvir_thread_deactivate, tasvir_thread_unregister): wait out the COPY
 * phase of an epoch t checked in to and take the log clears its copiers left to t, while
 * t is still active (an epoch that counts t cannot copy its areas again before t
 * arrives), then make t inactive (deactivate_locked says why it may have to settle
 * again).  If t must copy for the epoch to end (its own areas, left to it by the engine,
 * or no engine thread runs), it copies: tasvir__isync_owner_settle calls
 * tasvir__isync_copy_work.  With `unregister`, returns -EBUSY, t untouched, if t still
 * owns areas. */
static int leave(struct tasvir_thread *t, bool unregister)
{
    struct tasvir_node *n = t->node;
    uint64_t owe;
    for (;;) {
        (void)tasvir__isync_owner_settle(t, true);
        pthread_mutex_lock(&n->lock);
        if (unregister && t->owned_areas) {
            pthread_mutex_unlock(&n->lock);
            return -EBUSY;
        }
        bool done = deactivate_locked(t, &owe);
        pthread_mutex_unlock(&n->lock);
        if (done)
            break;
    }
    /* Arriving on the way out lets an epoch that counted us finish without a timeout. */
    if (owe)
        tasvir__isync_arrive(t, owe);
    return 0;
}

int tasvir_thread_deactivate(struct tasvir_thread *t)
{
    int rc = check_thread(t);
    if (rc)
        return rc;
    return leave(t, false);
}

int tasvir_thread_unregister(struct tasvir_thread *t)
{
    int rc = check_thread(t);
    if (rc)
        return rc;
    struct tasvir_node *n = t->node;
    if ((rc = leave(t, true)))
        return rc;
    pthread_mutex_lock(&n->lock);
    t->state = TASVIR__THR_DEAD;
    t->magic = TASVIR__MAGIC_DEAD;
    pthread_mutex_unlock(&n->lock);
    return 0;
}

/* Under node->lock: (re)join epochs.  If an epoch is in progress, t must wait it out:
 * either it was not counted in it, or it was and left it (deactivated during it, arriving
 * on its way out if it had not yet), so the epoch does not wait for t again, and may copy
 * t's areas at any moment until it ends.  (Testing counted_seq != s alone let a thread
 * that deactivated and activated again within one epoch back into area memory during
 * the epoch's COPY phase: its service took the fast path, seen_seq being s.) */
static int join_locked(struct tasvir_thread *t)
{
    struct tasvir_node *n = t->node;
    atomic_store_explicit(&t->active, 1, memory_order_seq_cst);
    uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
    uint64_t s = TASVIR__CTL_SEQ(ctl);
    if (tasvir__ph_in_progress(TASVIR__CTL_PHASE(ctl))) {
        t->wait_seq = s;
        return -EAGAIN;
    }
    t->seen_seq = s;
    t->wait_seq = 0;
    return 0;
}

int tasvir_thread_activate(struct tasvir_thread *t)
{
    int rc = check_thread(t);
    if (rc)
        return rc;
    pthread_mutex_lock(&t->node->lock);
    if (atomic_load_explicit(&t->active, memory_order_relaxed))
        rc = t->wait_seq ? -EAGAIN : 0;
    else
        rc = join_locked(t);
    pthread_mutex_unlock(&t->node->lock);
    return rc;
}

struct tasvir_node *tasvir_thread_node(const struct tasvir_thread *t)
{
    return check_thread(t) ? NULL : t->node;
}

static int finish(struct tasvir_thread *t, uint64_t s)
{
    /* Before the thread writes again.  A thread with clears pending is not released
     * during a COPY phase (it arrived in that epoch, or waits it out uncounted), so this
     * only guards: writes logged before the clear would be lost. */
    if (!tasvir__isync_owner_settle(t, false))
        return -EAGAIN;
    t->seen_seq = s;
    if (t->readmit_pending) {
        t->readmit_pending = false;
        return TASVIR_SERVICE_READMITTED;
    }
    return TASVIR_SERVICE_OK;
}

static int service_slow(struct tasvir_thread *t)
{
    struct tasvir_node *n = t->node;
    if (!atomic_load_explicit(&t->active, memory_order_relaxed))
        return TASVIR_ENOTACTIVE;
    if (atomic_load_explicit(&t->excluded, memory_order_acquire)) {
        pthread_mutex_lock(&n->lock);
        atomic_store_explicit(&t->excluded, 0, memory_order_relaxed);
        atomic_fetch_sub_explicit(&n->st.threads_excluded_now, 1, memory_order_relaxed);
        tasvir__stat_add(&n->st.threads_readmitted, 1);
        t->readmit_pending = true;
        (void)join_locked(t);
        pthread_mutex_unlock(&n->lock);
        tasvir__log(n, TASVIR_LOG_DEBUG, "thread %u readmitted after exclusion", t->idx);
    }
    for (;;) {
        uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
        uint64_t s = TASVIR__CTL_SEQ(ctl);
        unsigned ph = TASVIR__CTL_PHASE(ctl);
        if (t->wait_seq) {
            if (s == t->wait_seq && tasvir__ph_in_progress(ph))
                return -EAGAIN;
            t->seen_seq = t->wait_seq;
            t->wait_seq = 0;
        }
        if (s == t->seen_seq)
            return finish(t, s);
        if (atomic_load_explicit(&t->counted_seq, memory_order_relaxed) != s) {
            /* Not waited for in s (joined after it started). */
            if (tasvir__ph_in_progress(ph)) {
                t->wait_seq = s;
                return -EAGAIN;
            }
            return finish(t, s);
        }
        if (atomic_load_explicit(&t->arrive_seq, memory_order_relaxed) != s) {
            /* before s can copy our areas (s is collecting check-ins: no COPY phase) */
            (void)tasvir__isync_owner_settle(t, false);
            if (!tasvir__isync_arrive(t, s)) {
                /* s was aborted (or superseded) before we arrived: done with it. */
                t->seen_seq = s;
                continue;
            }
        }
        ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
        if (TASVIR__CTL_SEQ(ctl) == s && TASVIR__CTL_PHASE(ctl) == TASVIR__PH_COPY) {
            tasvir__isync_copy_work(n, t, s);
            ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
        }
        if (TASVIR__CTL_SEQ(ctl) != s || !tasvir__ph_in_progress(TASVIR__CTL_PHASE(ctl)))
            return finish(t, s);
        return -EAGAIN;
    }
}

int tasvir_service(struct tasvir_thread *t)
{
    if (__builtin_expect(!t || t->magic != TASVIR__MAGIC_THREAD, 0))
        return check_thread(t);
    uint64_t ctl = atomic_load_explicit(&t->node->ctl, memory_order_acquire);
    if (__builtin_expect(TASVIR__CTL_SEQ(ctl) == t->seen_seq && !t->wait_seq &&
                             !atomic_load_explicit(&t->excluded, memory_order_relaxed) &&
                             atomic_load_explicit(&t->active, memory_order_relaxed),
                         1))
        return TASVIR_SERVICE_OK;
    return service_slow(t);
}

int tasvir_service_wait(struct tasvir_thread *t)
{
    for (;;) {
        int rc = tasvir_service(t);
        if (rc != -EAGAIN)
            return rc;
        tasvir__relax(t->node);
    }
}

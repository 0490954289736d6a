/*
 * node.c — a node: configuration defaults, create/destroy over a backend, the sync
 * engine's poll entry point, counters, the dump, and the log sink.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int tasvir_node_conf_init(struct tasvir_node_conf *c)
{
    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->max_threads = 64;
    c->max_areas = 1024;
    c->max_area_bytes = (uint64_t)1 << 30;
    c->epoch_window_ns = 50000;
    c->epoch_retry_ns = 0; /* 0: same as the window */
    c->exclude_after_misses = 8;
    c->sync_int_us = 1000;
    c->sync_ext_us = 10000;
    c->log_level = TASVIR_LOG_WARN;
    c->root_node = 0;
    c->addressing = TASVIR_ADDR_UNICAST;
    c->mtu = 0;
    c->hb_period_us = 10000;
    c->down_after_hb = 5;
    c->nack_gap_us = 200;
    c->max_deferred = 4096;
    c->dir_entries = 4096;
    return 0;
}

void tasvir__log(const struct tasvir_node *n, int level, const char *fmt, ...)
{
    if (!n->conf.log_fn || level > n->conf.log_level)
        return;
    char buf[256];
    int off = snprintf(buf, sizeof(buf), "node %u: ", n->ident.node_id);
    if (off < 0 || (size_t)off >= sizeof(buf))
        off = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + off, sizeof(buf) - (size_t)off, fmt, ap);
    va_end(ap);
    n->conf.log_fn(n->conf.log_arg, level, buf);
}

/* Whether the CPU running us has the instructions of TASVIR_COPY_AVX512. */
static bool cpu_has_wide_copy(void)
{
#if TASVIR__HAVE_WIDE_COPY
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("bmi") &&
           __builtin_cpu_supports("bmi2");
#else
    return false;
#endif
}

/* And those TASVIR_COPY_AVX512_VBMI2 adds. */
static bool cpu_has_wide_list(void)
{
#if TASVIR__HAVE_WIDE_COPY
    return cpu_has_wide_copy() && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi2");
#else
    return false;
#endif
}

static int check_conf(const struct tasvir_node_conf *c)
{
    if (!c->backend || !c->backend->ops)
        return -EINVAL;
    const struct tasvir_backend_ops *o = c->backend->ops;
    if (!o->now_ns || !o->frame_alloc || !o->frame_free || !o->tx_burst || !o->rx_burst ||
        !o->mem_alloc || !o->mem_free || !o->identity)
        return TASVIR_EBACKEND;
    if (c->max_threads == 0 || c->max_threads > 0xfffff || c->max_areas == 0 ||
        c->max_areas > (1u << 20) || c->max_area_bytes == 0 ||
        c->max_area_bytes > ((uint64_t)1 << 40) || c->epoch_window_ns == 0 ||
        c->exclude_after_misses == 0 || c->sync_int_us == 0 || c->sync_ext_us == 0)
        return -EINVAL;
    /* intervals are kept in ns: refuse those whose value in ns would wrap (to 0 or a few
     * ns: an area due at every epoch, epochs back to back); the heartbeat period is the
     * system areas' interval */
    if (c->sync_int_us > TASVIR_SYNC_MAX_US || c->sync_ext_us > TASVIR_SYNC_MAX_US ||
        c->hb_period_us > TASVIR_SYNC_MAX_US)
        return -EINVAL;
    /* and times added to the clock: a window (or retry) near UINT64_MAX made `now + window`
     * wrap, so areas were never taken into an epoch; down_after_hb heartbeat periods must
     * fit in ns as well */
    if (c->epoch_window_ns > TASVIR_SYNC_MAX_US * 1000 ||
        c->epoch_retry_ns > TASVIR_SYNC_MAX_US * 1000 || c->down_after_hb > TASVIR_DOWN_MAX_HB)
        return -EINVAL;
    if ((c->n_peers && !c->peers) || c->root_node >= TASVIR_MAX_NODES ||
        (c->addressing != TASVIR_ADDR_UNICAST && c->addressing != TASVIR_ADDR_MULTICAST) ||
        (c->mtu && (c->mtu < 576 || c->mtu > 9600)) || c->hb_period_us == 0 ||
        c->down_after_hb == 0 || c->max_deferred == 0 || c->dir_entries == 0 ||
        c->dir_entries > (1u << 20))
        return -EINVAL;
    if (!tasvir_copy_isa_name(c->copy_isa))
        return -EINVAL;
    if ((c->copy_isa == TASVIR_COPY_AVX512 && !cpu_has_wide_copy()) ||
        (c->copy_isa == TASVIR_COPY_AVX512_VBMI2 && !cpu_has_wide_list()))
        return -ENOTSUP;
    return 0;
}

int tasvir_node_create(const struct tasvir_node_conf *conf, struct tasvir_node **out)
{
    if (!conf || !out)
        return -EINVAL;
    int rc = check_conf(conf);
    if (rc)
        return rc;
    struct tasvir_node *n = tasvir__zalloc_lines(sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->conf = *conf;
    bool autoisa = conf->copy_isa == TASVIR_COPY_AUTO;
    n->wide_list =
        conf->copy_isa == TASVIR_COPY_AVX512_VBMI2 || (autoisa && cpu_has_wide_list());
    n->wide_copy = n->wide_list || conf->copy_isa == TASVIR_COPY_AVX512 ||
                   (autoisa && cpu_has_wide_copy());
    if (!n->conf.epoch_retry_ns)
        n->conf.epoch_retry_ns = n->conf.epoch_window_ns;
    n->be = *conf->backend;
    n->conf.backend = &n->be;
    if (pthread_mutex_init(&n->lock, NULL)) {
        free(n);
        return -ENOMEM;
    }
    rc = n->be.ops->identity(n->be.ctx, &n->ident);
    if (rc || n->ident.node_id >= TASVIR_MAX_NODES) {
        rc = TASVIR_EBACKEND;
        goto fail;
    }
    n->threads = tasvir__zalloc_lines(sizeof(struct tasvir_thread) * n->conf.max_threads);
    n->areas = calloc(n->conf.max_areas, sizeof(*n->areas));
    if (!n->threads || !n->areas) {
        rc = -ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < n->conf.max_threads; i++) {
        n->threads[i].idx = i;
        n->threads[i].node = n;
    }
    n->next_local_id = 16; /* ids 0..15 of every node are reserved for system areas */
    atomic_init(&n->ctl, TASVIR__CTL(0, 0, TASVIR__PH_IDLE));
    atomic_init(&n->due_stale, 1);
    /* the backend's frames hold ident.mtu bytes of payload: a larger node MTU would pack
     * versions and heartbeats past their end */
    if (n->conf.mtu > n->ident.mtu) {
        rc = -EINVAL;
        goto fail;
    }
    n->mtu = n->conf.mtu ? n->conf.mtu : n->ident.mtu;
    if (n->mtu < 576 || n->mtu > 9600) {
        rc = TASVIR_EBACKEND;
        goto fail;
    }
    n->magic = TASVIR__MAGIC_NODE;
    if ((rc = tasvir__member_init(n))) {
        n->magic = 0;
        goto fail;
    }
    *out = n;
    return 0;
fail:
    tasvir__member_fini(n);
    for (uint32_t i = 0; n->areas && i < n->areas_hwm; i++)
        if (n->areas[i])
            tasvir__area_free(n, n->areas[i]);
    free(n->threads);
    free(n->areas);
    pthread_mutex_destroy(&n->lock);
    free(n);
    return rc;
}

void tasvir_node_destroy(struct tasvir_node *n)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return;
    n->magic = TASVIR__MAGIC_DEAD;
    tasvir__member_fini(n);
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (!a)
            continue;
        for (struct tasvir_area *h = a->handles, *next; h; h = next) {
            next = h->next;
            free(h);
        }
        tasvir__area_free(n, a);
    }
    for (struct tasvir_area *h = n->dead_head, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    for (uint32_t i = 0; i < n->conf.max_threads; i++)
        n->threads[i].magic = TASVIR__MAGIC_DEAD;
    free(n->threads);
    free(n->areas);
    free(n->chunks);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

int tasvir_node_poll(struct tasvir_node *n, uint64_t *next_ns)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    uint64_t now = tasvir__now(n);
    uint64_t next = UINT64_MAX;
    /* 1. an epoch in progress: drive it; nothing else touches areas meanwhile */
    int rc = tasvir__isync_drive(n, now, &next);
    if (rc == -EAGAIN) {
        /* frames already built wait in the backlog: sending them touches no area memory,
         * so it goes on during the epoch */
        if (tasvir__tx_pending(n))
            tasvir__esync_flush(n);
    } else {
        /* 2. idle: network (receive, external rounds, membership), then maybe an epoch */
        tasvir__esync_poll(n, now, &next);
        /* the network work took time: an epoch starts (and its window runs) from now */
        now = tasvir__now(n);
        uint64_t inext = UINT64_MAX;
        rc = tasvir__isync_maybe_start(n, now, &inext);
        if (inext < next)
            next = inext;
    }
    if (next_ns)
        *next_ns = next;
    return rc;
}

int tasvir_node_sync_now(struct tasvir_node *n)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    atomic_store_explicit(&n->sync_now, 1, memory_order_release);
    tasvir__kick(n, TASVIR_KICK_ENGINE);
    return 0;
}

int tasvir_node_id(const struct tasvir_node *n)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return -1;
    return n->ident.node_id;
}

int tasvir_node_copy_isa(const struct tasvir_node *n)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    return n->wide_list   ? TASVIR_COPY_AVX512_VBMI2
           : n->wide_copy ? TASVIR_COPY_AVX512
                          : TASVIR_COPY_BASELINE;
}

const char *tasvir_copy_isa_name(int isa)
{
    switch (isa) {
    case TASVIR_COPY_AUTO:
        return "auto";
    case TASVIR_COPY_BASELINE:
        return "baseline";
    case TASVIR_COPY_AVX512:
        return "avx512";
    case TASVIR_COPY_AVX512_VBMI2:
        return "avx512-vbmi2";
    default:
        return NULL;
    }
}

int tasvir_copy_isa_from_name(const char *name)
{
    if (!name)
        return -EINVAL;
    for (int isa = TASVIR_COPY_AUTO; isa <= TASVIR_COPY_AVX512_VBMI2; isa++)
        if (!strcmp(name, tasvir_copy_isa_name(isa)))
            return isa;
    return -EINVAL;
}

uint64_t tasvir_node_now_ns(const struct tasvir_node *n)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return 0;
    return tasvir__now(n);
}

int tasvir_node_stats(const struct tasvir_node *n, struct tasvir_stats *o)
{
    if (!n || n->magic != TASVIR__MAGIC_NODE)
        return TASVIR_EBADHANDLE;
    if (!o)
        return -EINVAL;
    const struct tasvir__stats_atomic *s = &n->st;
#define LD(f) o->f = atomic_load_explicit(&s->f, memory_order_relaxed)
    LD(epochs_ok);
    LD(epochs_failed);
    LD(epoch_ns);
    LD(barrier_ns);
    LD(bytes_scanned);
    LD(bytes_changed);
    LD(bytes_copied);
    LD(versions_published);
    LD(threads_excluded);
    LD(threads_readmitted);
    LD(threads_excluded_now);
    LD(log_misuse);
    LD(frames_tx);
    LD(bytes_tx);
    LD(frames_rx);
    LD(bytes_rx);
    LD(tx_failed);
    LD(data_frames_tx);
    LD(data_payload_tx);
    LD(versions_sent);
    LD(full_resends);
    LD(nack_resends);
    LD(rounds_postponed);
    LD(versions_rx_complete);
    LD(versions_rx_superseded);
    LD(versions_rx_published);
    LD(frames_deferred);
    LD(acks_tx);
    LD(acks_rx);
    LD(nacks_tx);
    LD(nacks_rx);
    LD(hb_tx);
    LD(hb_rx);
    LD(peers_down);
    LD(peers_up);
    LD(owner_restarts);
    LD(dir_refused);
#undef LD
    for (int i = 0; i < 16; i++)
        o->rx_drop[i] = atomic_load_explicit(&s->rx_drop[i], memory_order_relaxed);
    return 0;
}

const char *tasvir_drop_reason(int i)
{
    return i >= 0 && i < TASVIR_DROP__COUNT ? tasvir__drop_name(i) : "?";
}

static const char *phase_name(unsigned ph)
{
    switch (ph) {
    case TASVIR__PH_IDLE: return "idle";
    case TASVIR__PH_CHECKIN: return "checkin";
    case TASVIR__PH_COPY: return "copy";
    case TASVIR__PH_DONE: return "done";
    case TASVIR__PH_ABORT: return "abort";
    default: return "?";
    }
}

void tasvir_dump(const struct tasvir_node *cn, FILE *f)
{
    struct tasvir_node *n = (struct tasvir_node *)cn;
    if (!n || n->magic != TASVIR__MAGIC_NODE || !f)
        return;
    struct tasvir_stats st;
    tasvir_node_stats(n, &st);
    uint64_t ctl = atomic_load_explicit(&n->ctl, memory_order_acquire);
    pthread_mutex_lock(&n->lock);
    fprintf(f, "node %u mtu %u epoch seq %" PRIu64 " phase %s arrived %u/%u\n",
            n->ident.node_id, n->ident.mtu, TASVIR__CTL_SEQ(ctl),
            phase_name(TASVIR__CTL_PHASE(ctl)), TASVIR__CTL_ARRIVED(ctl),
            atomic_load_explicit(&n->expected, memory_order_relaxed));
    fprintf(f, "  epochs ok %" PRIu64 " failed %" PRIu64 " barrier %" PRIu64 " ns total %" PRIu64
               " ns; scanned %" PRIu64 " changed %" PRIu64 " copied %" PRIu64 " B\n",
            st.epochs_ok, st.epochs_failed, st.barrier_ns, st.epoch_ns, st.bytes_scanned,
            st.bytes_changed, st.bytes_copied);
    for (uint32_t i = 0; i < n->conf.max_threads; i++) {
        struct tasvir_thread *t = &n->threads[i];
        if (t->state != TASVIR__THR_LIVE)
            continue;
        fprintf(f, "  thread %u active %d excluded %d misses %u owns %u\n", t->idx,
                atomic_load_explicit(&t->active, memory_order_relaxed),
                atomic_load_explicit(&t->excluded, memory_order_relaxed), t->misses,
                t->owned_areas);
    }
    for (uint32_t i = 0; i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (!a)
            continue;
        fprintf(f, "  area %#x '%s' %" PRIu64 " B v%" PRIu64 " pub %" PRIu64
                   " int %" PRIu64 " us ext %" PRIu64 " us %s node %u thread %d%s\n",
                a->id, a->name, a->len, atomic_load_explicit(&a->version, memory_order_relaxed),
                atomic_load_explicit(&a->pub_ns, memory_order_relaxed),
                atomic_load_explicit(&a->sync_int_ns, memory_order_relaxed) / 1000,
                atomic_load_explicit(&a->sync_ext_ns, memory_order_relaxed) / 1000,
                a->rx ? "replica of" : "owned by", a->owner_node,
                a->owner ? (int)a->owner->idx : -1,
                atomic_load_explicit(&a->state, memory_order_relaxed) == TASVIR__AREA_DYING
                    ? " (dying)"
                    : "");
    }
    pthread_mutex_unlock(&n->lock);
}

/*
 * esync.c — external synchronization, run by the sync engine between epochs.
 *
 * Owner side (areas this node owns, with subscribers):
 *   Every external interval, for each subscriber that lacks the published version, send
 *   the lines changed since the newest pivot <= the version it acknowledged: one of the
 *   cumulative tier logs, or `ever` (base 0: every line ever written) if it is too far
 *   behind.  Lines are read from the reader copy, which only changes during epochs, and the
 *   engine starts epochs itself, so a version goes out as one consistent snapshot.  A NACK
 *   makes a subscriber "urgent": it is served again as soon as nack_gap allows.
 *   Subscriptions are made only by SUB and ended by UNSUB (unless a newer SUB overtook it);
 *   subscribers declared down are not served (sub_served).
 *
 * Replica side (areas owned elsewhere that a thread here attached to):
 *   DATA frames of version v with base b are applied to the staging copy (wcopy) only if
 *   b <= the visible version: then every line a newer version will not overwrite already
 *   holds its value in that version, so partial leftovers of a superseded version are
 *   harmless.  Frames of older versions are dropped (they could overwrite newer lines).  A
 *   version is complete when all `count` DATA frames arrived; it is published by the next
 *   internal epoch (isync.c copies the staging log to the reader copy) and only then
 *   acknowledged.  While a complete version awaits its epoch, frames of newer versions are
 *   deferred (held, bounded) so the staging copy stays exactly the complete version.
 *   Frames of an area not replicated here (our UNSUB was lost) are answered with UNSUB.
 *
 * Frames are built directly in backend buffers (tasvir__frame_begin/send) and transmitted
 * in bursts (tasvir__esync_flush); control frames go ahead of the data backlog.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define RX_BURST 32
#define RX_BUDGET 1024 /* frames per poll, so epochs are not starved */

/* ------------------------------------------------------------------------------------ */
/* engine id map                                                                        */

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

static void emap_refresh(struct tasvir_node *n)
{
    uint64_t gen = atomic_load_explicit(&n->areas_gen, memory_order_acquire);
    if (gen == n->emap_gen && n->emap)
        return;
    pthread_mutex_lock(&n->lock);
    gen = atomic_load_explicit(&n->areas_gen, memory_order_relaxed);
    uint32_t cap = 16;
    while (cap < 2 * n->conf.max_areas)
        cap *= 2;
    if (cap != n->emap_cap) {
        free(n->emap);
        n->emap = calloc(cap, sizeof(*n->emap));
        n->emap_cap = n->emap ? cap : 0;
    } else {
        memset(n->emap, 0, cap * sizeof(*n->emap));
    }
    if (n->elist_cap < n->conf.max_areas) {
        free(n->elist);
        n->elist = calloc(n->conf.max_areas, sizeof(*n->elist));
        n->elist_cap = n->elist ? n->conf.max_areas : 0;
    }
    n->nelist = 0;
    for (uint32_t i = 0; n->emap && n->elist && i < n->areas_hwm; i++) {
        struct tasvir__area *a = n->areas[i];
        if (!a)
            continue;
        n->elist[n->nelist++] = a;
        if (a->rx && a->rx->unbound)
            continue; /* its id may be another area's now (member.c, dir_reconcile) */
        uint32_t k = hash32(a->id) & (cap - 1);
        while (n->emap[k])
            k = (k + 1) & (cap - 1);
        n->emap[k] = a;
    }
    n->emap_gen = gen;
    pthread_mutex_unlock(&n->lock);
}

struct tasvir__area *tasvir__emap_get(struct tasvir_node *n, uint32_t id)
{
    emap_refresh(n);
    if (!n->emap)
        return NULL;
    uint32_t k = hash32(id) & (n->emap_cap - 1);
    for (struct tasvir__area *a; (a = n->emap[k]); k = (k + 1) & (n->emap_cap - 1))
        if (a->id == id)
            return a;
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* transmit                                                                             */

/* Frames the port did not take wait in a FIFO backlog for the next poll instead of being
 * dropped after retries: a round to many subscribers can burst more frames than a NIC
 * queue holds, and in a simulator nothing drains while the engine retries.  Order is kept
 * (new frames queue behind the backlog).  Only a full backlog drops (counted).
 *
 * Control frames (heartbeats, ACK, NACK, SUB, UNSUB, REG) have a queue of their own, sent
 * before the backlog at every flush.  Behind a large version in the backlog (seconds of
 * frames on a slow link) a heartbeat would reach peers that get none of that data too
 * late, and they would declare a live, busy node down; ACKs and NACKs would stall every
 * area this node replicates.  They are small and few, and no control frame depends on
 * data frames queued before it (VEND, which does, is a data frame); among themselves they
 * keep their order (an UNSUB and a later SUB of one area). */
#define BACKLOG_MAX 65536u

static void ring_push(struct tasvir_node *n, struct tasvir__fring *r, struct tasvir_frame **f,
                      uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        if (r->n == r->cap) {
            uint32_t cap = r->cap ? r->cap * 2 : 256;
            struct tasvir_frame **x = cap <= BACKLOG_MAX ? malloc(cap * sizeof(*x)) : NULL;
            if (!x) {
                tasvir__stat_add(&n->st.tx_failed, k - i);
                n->be.ops->frame_free(n->be.ctx, f + i, k - i);
                return;
            }
            for (uint32_t j = 0; j < r->n; j++) /* unroll the ring */
                x[j] = r->f[(r->head + j) % r->cap];
            free(r->f);
            r->f = x;
            r->cap = cap;
            r->head = 0;
        }
        r->f[(r->head + r->n++) % r->cap] = f[i];
    }
}

/* Hand frames to the port; returns how many it took.
 *
 * A peer's last_tx_ns is when a unicast frame to it was handed to the port, not when it
 * was queued: heartbeats to a peer are skipped while other frames to it prove this node
 * alive (member.c hb_send), and a frame still waiting in a backlog proves nothing.
 * Destinations and lengths are read before each burst: after tx_burst returns k, the
 * backend owns the first k frames (and may already have freed them). */
#define TX_CHUNK 64u

static unsigned tx_some(struct tasvir_node *n, struct tasvir_frame **f, unsigned k)
{
    unsigned total = 0;
    uint64_t bytes = 0, now = 0;
    while (total < k) {
        unsigned m = k - total < TX_CHUNK ? k - total : TX_CHUNK;
        uint16_t dst[TX_CHUNK];
        uint32_t len[TX_CHUNK];
        for (unsigned i = 0; i < m; i++) {
            const struct tasvir_frame *x = f[total + i];
            len[i] = x->len;
            /* every frame the core sends starts with its Tasvir header (dst_node at 6) */
            dst[i] = x->len >= TASVIR_ETH_HDR + TASVIR_WIRE_HDR
                         ? tasvir__get16(x->data + TASVIR_ETH_HDR + 6)
                         : TASVIR_NODE_GROUP;
        }
        unsigned sent = n->be.ops->tx_burst(n->be.ctx, f + total, m);
        if (sent && !now)
            now = tasvir__now(n);
        for (unsigned i = 0; i < sent; i++) {
            bytes += len[i];
            if (dst[i] < TASVIR_MAX_NODES) /* not a multicast group */
                n->peers[dst[i]].last_tx_ns = now;
        }
        total += sent;
        if (sent < m)
            break;
    }
    tasvir__stat_add(&n->st.bytes_tx, bytes);
    tasvir__stat_add(&n->st.frames_tx, total);
    return total;
}

/* Try to send a ring; returns true if it is empty now. */
static bool ring_drain(struct tasvir_node *n, struct tasvir__fring *r)
{
    while (r->n) {
        uint32_t run = r->cap - r->head; /* contiguous part of the ring */
        if (run > r->n)
            run = r->n;
        unsigned sent = tx_some(n, r->f + r->head, run);
        r->head = (r->head + sent) % r->cap;
        r->n -= sent;
        if (sent < run)
            return false;
    }
    r->head = 0;
    return true;
}

void tasvir__esync_flush(struct tasvir_node *n)
{
    uint32_t k = n->ntxq;
    n->ntxq = 0;
    /* control frames first; data only if the port took them all */
    if (!ring_drain(n, &n->ctlq) || !ring_drain(n, &n->backlog)) {
        ring_push(n, &n->backlog, n->txq, k);
        return;
    }
    unsigned sent = k ? tx_some(n, n->txq, k) : 0;
    if (sent < k)
        ring_push(n, &n->backlog, n->txq + sent, k - sent);
}

void tasvir__esync_tx_fini(struct tasvir_node *n)
{
    if (n->ntxq)
        n->be.ops->frame_free(n->be.ctx, n->txq, n->ntxq);
    n->ntxq = 0;
    struct tasvir__fring *rings[2] = {&n->ctlq, &n->backlog};
    for (int i = 0; i < 2; i++) {
        struct tasvir__fring *r = rings[i];
        for (; r->n; r->n--, r->head = (r->head + 1) % r->cap)
            n->be.ops->frame_free(n->be.ctx, &r->f[r->head], 1);
        free(r->f);
        r->f = NULL;
        r->cap = 0;
    }
}

/* Allocate a frame and write the Ethernet header; returns the offset of the Tasvir header
 * (the caller fills it with tasvir__wire_encode_hdr) or 0 if no frame could be had. */
uint32_t tasvir__frame_begin(struct tasvir_node *n, struct tasvir_frame **f, const uint8_t *dst)
{
    (void)dst;
    if (n->be.ops->frame_alloc(n->be.ctx, f, 1) != 1) {
        tasvir__stat_add(&n->st.tx_failed, 1);
        return 0;
    }
    return TASVIR_ETH_HDR;
}

void tasvir__frame_send(struct tasvir_node *n, struct tasvir_frame *f)
{
    n->txq[n->ntxq++] = f;
    if (n->ntxq == sizeof(n->txq) / sizeof(n->txq[0]))
        tasvir__esync_flush(n);
}

void tasvir__frame_send_ctrl(struct tasvir_node *n, struct tasvir_frame *f)
{
    ring_push(n, &n->ctlq, &f, 1); /* sent at the next flush, before any data frame */
}

void tasvir__send_ctrl(struct tasvir_node *n, uint16_t dst, uint8_t type, uint16_t flags,
                       uint32_t area_id, uint64_t version, uint64_t base, const void *payload,
                       uint32_t plen)
{
    uint8_t mac[6];
    if (!tasvir__peer_mac(n, dst, mac))
        return;
    struct tasvir_frame *f;
    if (!tasvir__frame_begin(n, &f, mac))
        return;
    struct tasvir_wire_hdr h = {
        .type = type,
        .flags = flags,
        .src_node = n->ident.node_id,
        .dst_node = dst,
        .area_id = area_id,
        .version = version,
        .base_version = base,
        .length = plen,
        .pub_ns = tasvir__now(n),
    };
    uint32_t off = tasvir__wire_encode_hdr(f->data, mac, n->ident.mac, &h);
    if (plen)
        memcpy(f->data + off, payload, plen);
    f->len = off + plen;
    if (f->len < 60) { /* Ethernet minimum frame (without FCS) */
        memset(f->data + f->len, 0, 60 - f->len);
        f->len = 60;
    }
    tasvir__frame_send_ctrl(n, f);
    switch (type) {
    case TASVIR_FT_ACK: tasvir__stat_add(&n->st.acks_tx, 1); break;
    case TASVIR_FT_NACK: tasvir__stat_add(&n->st.nacks_tx, 1); break;
    default: break;
    }
}

/* ------------------------------------------------------------------------------------ */
/* owner side                                                                           */

static struct tasvir__sub *find_sub(struct tasvir__area *a, uint16_t node)
{
    for (uint32_t i = 0; i < a->ext.nsubs; i++)
        if (a->ext.subs[i].node == node)
            return &a->ext.subs[i];
    return NULL;
}

/* Add (or refresh) node's subscription, from its SUB: inc and visible are what the SUB
 * says, sub_ns its pub_ns (the subscriber's clock when it sent it). */
void tasvir__owner_add_sub(struct tasvir_node *n, struct tasvir__area *a, uint16_t node,
                           uint64_t inc, uint64_t visible, uint64_t sub_ns)
{
    struct tasvir__owner_ext *x = &a->ext;
    uint64_t v = atomic_load_explicit(&a->version, memory_order_relaxed);
    if (!x->tiers_on) {
        /* tiers start now: they hold the changes after the current version */
        for (int t = 0; t < TASVIR__TIERS; t++) {
            x->tier[t] = calloc(a->nwords, sizeof(uint64_t));
            if (!x->tier[t]) {
                for (int u = 0; u < t; u++) {
                    free(x->tier[u]);
                    x->tier[u] = NULL;
                }
                tasvir__log(n, TASVIR_LOG_ERR, "area %s: no memory for diff tiers", a->name);
                return;
            }
            x->pivot[t] = v;
        }
        x->round_ver = v;
        x->tiers_on = true;
        x->next_ns = tasvir__now(n);
    }
    struct tasvir__sub *s = find_sub(a, node);
    if (!s) {
        if (x->nsubs == x->cap) {
            uint32_t cap = x->cap ? x->cap * 2 : 4;
            struct tasvir__sub *ns = realloc(x->subs, cap * sizeof(*ns));
            if (!ns)
                return;
            x->subs = ns;
            x->cap = cap;
        }
        s = &x->subs[x->nsubs++];
        memset(s, 0, sizeof(*s));
        s->node = node;
    }
    /* A subscriber states what it has; a claim beyond our version (it saw an earlier
     * incarnation of this node) means it has nothing we can diff against. */
    s->acked = visible <= v ? visible : 0;
    s->assumed = 0;
    s->inc = inc;
    s->urgent = true;
    /* the newest SUB wins: a duplicate of an older one must not make an UNSUB sent in
     * between look stale */
    if (sub_ns > s->sub_ns)
        s->sub_ns = sub_ns;
}

void tasvir__owner_del_sub(struct tasvir_node *n, struct tasvir__area *a, uint16_t node)
{
    (void)n;
    struct tasvir__sub *s = find_sub(a, node);
    if (s)
        *s = a->ext.subs[--a->ext.nsubs];
}

/* Iterate the runs of set bits of a bitmap: calls fn(ctx, first_line, n_lines). */
typedef void (*run_fn)(void *ctx, uint64_t first, uint64_t len);

static void for_each_run(const uint64_t *log, uint64_t nwords, run_fn fn, void *ctx)
{
    uint64_t start = 0, len = 0;
    for (uint64_t w = 0; w < nwords; w++) {
        uint64_t x = log[w];
        if (x == 0) {
            if (len) {
                fn(ctx, start, len);
                len = 0;
            }
            continue;
        }
        if (x == ~(uint64_t)0) {
            if (!len)
                start = w * 64;
            len += 64;
            continue;
        }
        uint64_t base = w * 64;
        unsigned pos = 0;
        while (pos < 64) {
            uint64_t rest = x >> pos;
            if (rest == 0) {
                if (len) {
                    fn(ctx, start, len);
                    len = 0;
                }
                break;
            }
            unsigned z = (unsigned)__builtin_ctzll(rest);
            if (z) { /* a gap ends the current run */
                if (len) {
                    fn(ctx, start, len);
                    len = 0;
                }
                pos += z;
                rest >>= z;
            }
            unsigned ones = ~rest ? (unsigned)__builtin_ctzll(~rest) : 64 - pos;
            if (!len)
                start = base + pos;
            len += ones;
            pos += ones;
        }
    }
    if (len)
        fn(ctx, start, len);
}

/* Packing state shared by the counting and the emitting pass. */
struct pack {
    struct tasvir_node *n;
    struct tasvir__area *a;
    uint32_t cap;    /* payload bytes per frame */
    uint32_t used;   /* payload bytes in the open frame; cap = "no frame open" */
    uint32_t frames; /* frames opened */
    /* emitting */
    bool emit;
    struct tasvir_wire_hdr h;
    const uint8_t *dst_mac;
    struct tasvir_frame *f;
    uint8_t *payload;
    bool first_seg;
    bool failed;
};

static void pack_close(struct pack *p)
{
    if (!p->emit || !p->f)
        return;
    p->h.length = p->used;
    uint32_t off = tasvir__wire_encode_hdr(p->f->data, p->dst_mac, p->n->ident.mac, &p->h);
    p->f->len = off + p->used;
    tasvir__frame_send(p->n, p->f);
    tasvir__stat_add(&p->n->st.data_frames_tx, 1);
    p->f = NULL;
    p->h.seq++;
}

static void pack_open(struct pack *p)
{
    pack_close(p);
    p->used = 0;
    p->frames++;
    p->first_seg = true;
    if (!p->emit)
        return;
    if (!tasvir__frame_begin(p->n, &p->f, p->dst_mac)) {
        p->failed = true;
        return;
    }
    p->payload = p->f->data + TASVIR_ETH_HDR + TASVIR_WIRE_HDR;
}

static void pack_run(void *ctx, uint64_t first, uint64_t len)
{
    struct pack *p = ctx;
    while (len && !p->failed) {
        if (p->cap - p->used < TASVIR_SEG_HDR + 64)
            pack_open(p);
        if (p->failed)
            return;
        uint64_t k = (p->cap - p->used - TASVIR_SEG_HDR) / 64;
        if (k > len)
            k = len;
        if (p->emit) {
            uint8_t *s = p->payload + p->used;
            tasvir__put32(s, (uint32_t)first);
            tasvir__put32(s + 4, (uint32_t)k);
            memcpy(s + TASVIR_SEG_HDR, p->a->rcopy + first * 64, k * 64);
            if (p->first_seg) {
                p->h.offset = first * 64;
                p->first_seg = false;
            }
            tasvir__stat_add(&p->n->st.data_payload_tx, k * 64);
        }
        p->used += TASVIR_SEG_HDR + (uint32_t)(k * 64);
        first += k;
        len -= k;
    }
}

/* Send the published version of owned area a to dst (a node or TASVIR_NODE_GROUP), as a
 * diff from the best pivot <= acked. */
static bool send_version(struct tasvir_node *n, struct tasvir__area *a, uint16_t dst,
                         uint64_t acked)
{
    uint64_t v = atomic_load_explicit(&a->version, memory_order_relaxed);
    uint64_t pub = atomic_load_explicit(&a->pub_ns, memory_order_relaxed);
    const uint64_t *log = a->ever;
    uint64_t base = 0;
    if (a->ext.tiers_on)
        for (int t = 0; t < TASVIR__TIERS; t++)
            if (a->ext.pivot[t] <= acked && a->ext.pivot[t] >= base && a->ext.pivot[t] < v) {
                base = a->ext.pivot[t];
                log = a->ext.tier[t];
            }
    uint8_t mac[6];
    if (dst == TASVIR_NODE_GROUP)
        tasvir__area_group_mac(a->id, mac);
    else if (!tasvir__peer_mac(n, dst, mac))
        return false;
    struct pack p = {.n = n, .a = a, .cap = n->mtu - TASVIR_WIRE_HDR};
    p.used = p.cap;
    for_each_run(log, a->nwords, pack_run, &p);
    uint32_t count = p.frames;
    if (count == 0)
        return false; /* nothing changed since base: cannot happen for base < v, be safe */
    p = (struct pack){.n = n, .a = a, .cap = n->mtu - TASVIR_WIRE_HDR, .emit = true,
                      .dst_mac = mac};
    p.used = p.cap;
    p.h = (struct tasvir_wire_hdr){
        .type = TASVIR_FT_DATA,
        .flags = base == 0 ? TASVIR_FL_FULL : 0,
        .src_node = n->ident.node_id,
        .dst_node = dst,
        .area_id = a->id,
        .version = v,
        .base_version = base,
        .count = count,
        .pub_ns = pub,
    };
    for_each_run(log, a->nwords, pack_run, &p);
    pack_close(&p);
    /* version end */
    struct tasvir_frame *f;
    if (tasvir__frame_begin(n, &f, mac)) {
        struct tasvir_wire_hdr h = p.h;
        h.type = TASVIR_FT_VEND;
        h.seq = count;
        h.offset = 0;
        h.length = 0;
        f->len = tasvir__wire_encode_hdr(f->data, mac, n->ident.mac, &h);
        tasvir__frame_send(n, f);
    }
    tasvir__stat_add(&n->st.versions_sent, 1);
    tasvir__trace(n, TASVIR_TRACE_SENT, a, v, dst, count, 0);
    bool full = log == a->ever && acked > 0;
    if (full)
        tasvir__stat_add(&n->st.full_resends, 1); /* behind every tier: everything again */
    return full;
}

/* Rotate the tiers after a round that sent version v.  Tier t ages every 2^t rounds by
 * taking over tier t-1 (its lines and pivot), and tier 0 restarts at v: pivots stay spread
 * over about 1, 2, 4, ... 2^(TIERS-1) rounds back, so a subscriber a round or a few behind
 * always finds one (resetting every tier to v at once would leave it only the full
 * resend).  Rotation moves pointers; only the recycled bitmap is cleared. */
static void rotate_tiers(struct tasvir__area *a, uint64_t v)
{
    struct tasvir__owner_ext *x = &a->ext;
    if (!x->tiers_on || x->round_ver == v)
        return;
    x->round++;
    int top = 0;
    while (top + 1 < TASVIR__TIERS && x->round % (1u << (top + 1)) == 0)
        top++;
    uint64_t *spare = x->tier[top];
    for (int t = top; t > 0; t--) {
        x->tier[t] = x->tier[t - 1];
        x->pivot[t] = x->pivot[t - 1];
    }
    memset(spare, 0, a->nwords * sizeof(uint64_t));
    x->tier[0] = spare;
    x->pivot[0] = v;
    x->round_ver = v;
}

/* Whether subscriber s is served.  A subscriber whose node is declared down is not: it may
 * never come back (nothing else would end its subscription), and frames to a node we do
 * not hear from are likely lost anyway.  Its subscription is kept (the heartbeats still
 * list it), so the first frame from it brings it up and the next round serves it again,
 * diffed from what it acknowledged: no new SUB needed.  (A restarted node is a new
 * incarnation: its old subscriptions are dropped and it subscribes anew.) */
static bool sub_served(const struct tasvir_node *n, const struct tasvir__sub *s)
{
    return atomic_load_explicit(&n->peers[s->node].up, memory_order_relaxed);
}

/* One owned area: run its external round if due, serve urgent subscribers.  Returns the
 * time it next needs attention. */
static uint64_t owner_poll(struct tasvir_node *n, struct tasvir__area *a, uint64_t now)
{
    struct tasvir__owner_ext *x = &a->ext;
    if (!x->nsubs)
        return UINT64_MAX;
    uint64_t v = atomic_load_explicit(&a->version, memory_order_relaxed);
    uint64_t iv = atomic_load_explicit(&a->sync_ext_ns, memory_order_relaxed);
    if (x->next_ns > now + iv) /* interval lowered */
        x->next_ns = tasvir__grid_next(now, iv);
    bool due = now >= x->next_ns;
    /* Rounds are on the grid of the node clock, as internal syncs are.  A round due with
     * the area's internal sync goes out after that epoch (this poll starts it, the round
     * follows at the first poll after it, whether it published or failed): sent first, it
     * would carry the version of an internal interval earlier, and the phase between the
     * two would be whatever the first subscription made it. */
    if (due && !x->held && tasvir__isync_publish_due(a, now)) {
        due = false;
        x->held = true;
    } else if (due) {
        x->held = false;
    }
    /* A round due while frames of earlier ones still wait for the port is postponed until
     * they have left: queued behind them it would only supersede the round in flight
     * (receivers drop frames of versions older than one they started) and grow the
     * backlog without bound.  The postponed round then diffs from what was acknowledged,
     * so it carries every change meanwhile; versions go out at the rate the link takes. */
    if (due && n->backlog.n) {
        due = false;
        if (!x->postponed)
            tasvir__stat_add(&n->st.rounds_postponed, 1);
        x->postponed = true;
    } else if (due) {
        x->postponed = false;
    }
    uint64_t gap = n->conf.nack_gap_us * 1000;
    uint64_t wake = UINT64_MAX;
    bool sent = false;
    bool mcast = n->conf.addressing == TASVIR_ADDR_MULTICAST;
    if (mcast && due) {
        /* the round goes to the group, diffed from the oldest version anyone lacks */
        uint64_t min_acked = UINT64_MAX;
        for (uint32_t i = 0; i < x->nsubs; i++)
            if (x->subs[i].acked < v && x->subs[i].acked < min_acked &&
                sub_served(n, &x->subs[i]))
                min_acked = x->subs[i].acked;
        if (min_acked != UINT64_MAX) {
            send_version(n, a, TASVIR_NODE_GROUP, min_acked);
            for (uint32_t i = 0; i < x->nsubs; i++)
                if (x->subs[i].acked < v && sub_served(n, &x->subs[i])) {
                    x->subs[i].last_tx_ns = now;
                    x->subs[i].urgent = false;
                }
            sent = true;
        }
    }
    for (uint32_t i = 0; i < x->nsubs; i++) {
        struct tasvir__sub *s = &x->subs[i];
        if (s->acked >= v) {
            s->urgent = false;
            continue;
        }
        if (!sub_served(n, s))
            continue;
        /* unicast: each subscriber gets its round; multicast: repairs after a NACK go to
         * the subscriber that asked, not to the whole group */
        bool go = due && !mcast;
        /* a repair, like a round, waits until earlier frames have left the backlog */
        if (!go && s->urgent && !n->backlog.n) {
            if (tasvir__elapsed(now, s->last_tx_ns) >= gap)
                go = true;
            else if (s->last_tx_ns + gap < wake)
                wake = s->last_tx_ns + gap;
        }
        if (!go)
            continue;
        if (!due || mcast)
            tasvir__stat_add(&n->st.nack_resends, 1);
        /* After a full resend, later rounds diff from the version it carried (optimistic:
         * a subscriber that did not complete it NACKs, which resets this).  Otherwise a
         * subscriber behind every tier would get the whole area every round and fall
         * further behind under the load. */
        uint64_t from = s->assumed > s->acked && s->assumed < v ? s->assumed : s->acked;
        if (send_version(n, a, s->node, from))
            s->assumed = v;
        s->last_tx_ns = now;
        s->urgent = false;
        sent = true;
    }
    if (sent)
        rotate_tiers(a, v);
    if (due)
        x->next_ns = tasvir__grid_next(now, iv);
    return x->next_ns < wake ? x->next_ns : wake;
}

/* ------------------------------------------------------------------------------------ */
/* replica side                                                                         */

static void info_publish(struct tasvir__area *a)
{
    struct tasvir__rx *rx = a->rx;
    atomic_store_explicit(&a->info.latest_ver, rx->latest_ver + rx->vofs, memory_order_relaxed);
    atomic_store_explicit(&a->info.latest_pub, rx->latest_pub, memory_order_relaxed);
    atomic_store_explicit(&a->info.next_pub, rx->next_pub, memory_order_relaxed);
    atomic_store_explicit(&a->info.visible_ns, rx->visible_ns, memory_order_relaxed);
    atomic_store_explicit(&a->info.stale_since_ns, rx->stale_since_ns, memory_order_relaxed);
}

/* Visible version of a replica in the owner's numbering. */
static uint64_t rx_vis(const struct tasvir__area *a)
{
    return atomic_load_explicit(&a->version, memory_order_relaxed) - a->rx->vofs;
}

void tasvir__replica_announce(struct tasvir_node *n, struct tasvir__area *a, uint64_t ver,
                              uint64_t pub, uint64_t now)
{
    (void)n;
    struct tasvir__rx *rx = a->rx;
    uint64_t vis = rx_vis(a);
    if (ver > rx->latest_ver) {
        rx->latest_ver = ver;
        rx->latest_pub = pub;
    }
    if (ver > vis && (rx->next_pub == 0 || pub < rx->next_pub))
        rx->next_pub = pub;
    if (rx->latest_ver > vis && !rx->stale_since_ns)
        rx->stale_since_ns = now;
    info_publish(a);
}

/* After a publish: recompute what is still missing. */
static void replica_published(struct tasvir__area *a)
{
    struct tasvir__rx *rx = a->rx;
    uint64_t vis = rx_vis(a);
    if (vis > rx->latest_ver) {
        rx->latest_ver = vis;
        rx->latest_pub = atomic_load_explicit(&a->pub_ns, memory_order_relaxed);
    }
    if (rx->latest_ver > vis) {
        rx->next_pub = rx->latest_pub; /* best bound we know */
    } else {
        rx->next_pub = 0;
        rx->stale_since_ns = 0;
    }
    info_publish(a);
}

void tasvir__replica_owner_restart(struct tasvir_node *n, struct tasvir__area *a, uint64_t inc)
{
    struct tasvir__rx *rx = a->rx;
    /* a complete version still waiting for its epoch belongs to the old incarnation: drop
     * it (the engine runs between epochs, so no epoch is using the staging copy now) */
    rx->ready = false;
    /* Versions restart at the owner.  Keep the readers' view monotonic: new versions are
     * shown shifted past the last one they saw; the staging copy restarts from zeros and
     * every line will be republished with the first new version. */
    rx->vofs = atomic_load_explicit(&a->version, memory_order_relaxed);
    memset(a->wcopy, 0, a->copy_bytes);
    tasvir__log_lines(a, 0, a->copy_bytes);
    rx->cur_ver = rx->cur_base = rx->cur_pub = 0;
    rx->cur_count = rx->cur_got = 0;
    rx->latest_ver = rx->latest_pub = rx->next_pub = 0;
    rx->have_data = false;
    rx->last_sub_ns = 0;
    rx->owner_inc = inc;
    tasvir__stat_add(&n->st.owner_restarts, 1);
    tasvir__log(n, TASVIR_LOG_WARN, "owner node %u of area %s restarted; replica reset",
                a->owner_node, a->name);
    info_publish(a);
}

static void drop(struct tasvir_node *n, int reason)
{
    tasvir__stat_add(&n->st.rx_drop[reason], 1);
}

static void maybe_nack(struct tasvir_node *n, struct tasvir__area *a, uint64_t now)
{
    struct tasvir__rx *rx = a->rx;
    if (rx->last_nack_ns && tasvir__elapsed(now, rx->last_nack_ns) < n->conf.nack_gap_us * 1000)
        return;
    rx->last_nack_ns = now;
    tasvir__send_ctrl(n, a->owner_node, TASVIR_FT_NACK, 0, a->id, rx_vis(a), rx->cur_ver, NULL, 0);
}

/* The owner sent us something we already have: it missed our ACK; repeat it. */
static void maybe_reack(struct tasvir_node *n, struct tasvir__area *a, uint64_t now)
{
    struct tasvir__rx *rx = a->rx;
    if (rx->last_nack_ns && tasvir__elapsed(now, rx->last_nack_ns) < n->conf.nack_gap_us * 1000)
        return;
    rx->last_nack_ns = now;
    tasvir__send_ctrl(n, a->owner_node, TASVIR_FT_ACK, 0, a->id, rx_vis(a), 0, NULL, 0);
}

/* Owner `owner` sent us a frame of area_id (DATA, VEND, or a heartbeat listing) although we
 * do not replicate it: it still has us subscribed.  Our UNSUB was lost, or a frame it sent
 * was in flight when we detached; the owner would otherwise serve us for ever, since
 * nothing else ends a subscription of a live node.  Answer UNSUB, at most once per
 * nack_gap per area (a version is many frames), like the re-ACK above.  The rate limit
 * lives in a small table on the node, not in the area, which may be gone: a collision of
 * two areas in one slot only lets an extra UNSUB through. */
static void unsub_reply(struct tasvir_node *n, uint16_t owner, uint32_t area_id, uint64_t now)
{
    if ((area_id >> 16) != owner) /* not the owner's area: nothing it could end */
        return;
    uint32_t k = hash32(area_id) & (TASVIR__UNSUB_MEMO - 1);
    if (n->unsub_memo[k].area == area_id && n->unsub_memo[k].ns &&
        tasvir__elapsed(now, n->unsub_memo[k].ns) < n->conf.nack_gap_us * 1000)
        return;
    n->unsub_memo[k].area = area_id;
    n->unsub_memo[k].ns = now;
    tasvir__send_ctrl(n, owner, TASVIR_FT_CTRL, TASVIR_CTRL_UNSUB, area_id, 0, 0, NULL, 0);
}

/* A frame for area a (NULL: unknown here) came from its owner src: is it one we replicate?
 * If not, and the area is not ours either, tell the owner (unsub_reply). */
static bool replicated_or_unsub(struct tasvir_node *n, struct tasvir__area *a, uint16_t src,
                                uint32_t area_id, uint64_t now)
{
    if (a && a->rx && atomic_load_explicit(&a->state, memory_order_relaxed) == TASVIR__AREA_LIVE)
        return true;
    if (!a || !a->local) /* gone, or a replica being detached */
        unsub_reply(n, src, area_id, now);
    return false;
}

struct tasvir__area *tasvir__replica_listed(struct tasvir_node *n, uint16_t src,
                                            uint32_t area_id, uint64_t now)
{
    struct tasvir__area *a = tasvir__emap_get(n, area_id);
    if (!replicated_or_unsub(n, a, src, area_id, now) || a->owner_node != src)
        return NULL;
    return a;
}

static bool defer_frame(struct tasvir_node *n, struct tasvir_frame *f)
{
    if (n->ndefer >= n->conf.max_deferred) {
        drop(n, TASVIR_DROP_DEFER_FULL);
        return false;
    }
    n->defer[n->ndefer++] = f;
    tasvir__stat_add(&n->st.frames_deferred, 1);
    return true;
}

/* Start assembling version v (superseding an incomplete one). */
static bool rx_start(struct tasvir_node *n, struct tasvir__area *a,
                     const struct tasvir_wire_hdr *h)
{
    struct tasvir__rx *rx = a->rx;
    if (rx->cur_ver > rx_vis(a) && rx->cur_got < rx->cur_count && h->version != rx->cur_ver)
        tasvir__stat_add(&n->st.versions_rx_superseded, 1);
    uint32_t words = (h->count + 63) / 64;
    if (words > rx->seen_words) {
        uint64_t *s = realloc(rx->seen, words * sizeof(uint64_t));
        if (!s)
            return false;
        rx->seen = s;
        rx->seen_words = words;
    }
    memset(rx->seen, 0, words * sizeof(uint64_t));
    rx->cur_ver = h->version;
    rx->cur_base = h->base_version;
    rx->cur_pub = h->pub_ns;
    rx->cur_count = h->count;
    rx->cur_got = 0;
    tasvir__trace(n, TASVIR_TRACE_RX_FIRST, a, h->version, n->ident.node_id, h->count, 0);
    return true;
}

static void rx_complete(struct tasvir_node *n, struct tasvir__area *a)
{
    struct tasvir__rx *rx = a->rx;
    rx->ready = true;
    rx->ready_ver = rx->cur_ver;
    rx->ready_pub = rx->cur_pub;
    tasvir__stat_add(&n->st.versions_rx_complete, 1);
    tasvir__trace(n, TASVIR_TRACE_RX_COMPLETE, a, rx->cur_ver, n->ident.node_id, 0, 0);
    tasvir__isync_due_changed(n);
}

/* Common gate for DATA and VEND.  Returns 1 to go on, 0 if handled (dropped/deferred),
 * 2 if the frame was deferred (kept). */
static int rx_gate(struct tasvir_node *n, struct tasvir__area *a, const struct tasvir_wire_hdr *h,
                   struct tasvir_frame *f, uint64_t now)
{
    struct tasvir__rx *rx = a->rx;
    uint64_t vis = rx_vis(a);
    uint64_t top = rx->ready ? rx->ready_ver : vis;
    /* the subscription is answered: frames addressed to us prove it, group frames do not
     * (a bridge floods them to every port, subscribed or not: a replica whose SUB was
     * lost, or whose subscription ended, stopped asking, and the owner, which drops the
     * NACKs of non-subscribers, never served it; the owner's heartbeat listing us confirms
     * a multicast subscription, member.c) */
    if (h->dst_node == n->ident.node_id)
        rx->have_data = true;
    rx->last_rx_ns = now;
    if (h->version > rx->latest_ver) /* once per version, not per frame */
        tasvir__replica_announce(n, a, h->version, h->pub_ns, now);
    if (h->type == TASVIR_FT_VEND && h->version == rx->cur_ver && rx->cur_got == rx->cur_count)
        return 0; /* the end of a version we completed: nothing to do, nothing wrong */
    if (h->version <= top) {
        drop(n, TASVIR_DROP_OLD);
        if (h->version <= vis && !rx->ready)
            maybe_reack(n, a, now);
        return 0;
    }
    if (rx->ready)
        return defer_frame(n, f) ? 2 : 0;
    if (h->base_version > vis) {
        drop(n, TASVIR_DROP_BASE);
        maybe_nack(n, a, now);
        return 0;
    }
    if (h->version < rx->cur_ver) {
        drop(n, TASVIR_DROP_OLD); /* older than the version in progress: could undo it */
        return 0;
    }
    /* A newer version supersedes the one being assembled.  The same version encoded from
     * another base (a repair diffed from a different pivot) restarts the count: lines of
     * either encoding are this version's contents, so nothing applied so far is wrong. */
    if ((h->version > rx->cur_ver ||
         (h->base_version != rx->cur_base || h->count != rx->cur_count)) &&
        !rx_start(n, a, h)) {
        drop(n, TASVIR_DROP_BOUNDS);
        return 0;
    }
    return 1;
}

static int rx_data(struct tasvir_node *n, struct tasvir__area *a, const struct tasvir_wire_hdr *h,
                   const uint8_t *p, uint32_t plen, struct tasvir_frame *f, uint64_t now)
{
    /* bounds against this area before anything is applied */
    if (h->count > a->nlines) {
        drop(n, TASVIR_DROP_BOUNDS);
        return 0;
    }
    for (uint32_t off = 0; off < plen;) {
        uint64_t first = tasvir__get32(p + off), k = tasvir__get32(p + off + 4);
        if (first >= a->nlines || k > a->nlines - first) {
            drop(n, TASVIR_DROP_BOUNDS);
            return 0;
        }
        off += TASVIR_SEG_HDR + (uint32_t)k * 64;
    }
    int g = rx_gate(n, a, h, f, now);
    if (g != 1)
        return g;
    struct tasvir__rx *rx = a->rx;
    uint64_t bit = (uint64_t)1 << (h->seq & 63);
    if (rx->seen[h->seq >> 6] & bit) {
        drop(n, TASVIR_DROP_OLD); /* duplicate */
        return 0;
    }
    for (uint32_t off = 0; off < plen;) {
        uint64_t first = tasvir__get32(p + off), k = tasvir__get32(p + off + 4);
        memcpy(a->wcopy + first * 64, p + off + TASVIR_SEG_HDR, k * 64);
        tasvir__log_lines(a, first * 64, k * 64);
        off += TASVIR_SEG_HDR + (uint32_t)k * 64;
    }
    rx->seen[h->seq >> 6] |= bit;
    if (++rx->cur_got == rx->cur_count)
        rx_complete(n, a);
    return 0;
}

static int rx_vend(struct tasvir_node *n, struct tasvir__area *a, const struct tasvir_wire_hdr *h,
                   struct tasvir_frame *f, uint64_t now)
{
    if (h->count > a->nlines) {
        drop(n, TASVIR_DROP_BOUNDS);
        return 0;
    }
    int g = rx_gate(n, a, h, f, now);
    if (g != 1)
        return g;
    /* the version ended and frames are missing: ask now instead of waiting a round */
    if (a->rx->cur_got < a->rx->cur_count)
        maybe_nack(n, a, now);
    return 0;
}

/* Control frames addressed to an owned area. */
static void rx_owner_ctrl(struct tasvir_node *n, struct tasvir__area *a,
                          const struct tasvir_wire_hdr *h)
{
    uint64_t v = atomic_load_explicit(&a->version, memory_order_relaxed);
    struct tasvir__sub *s = find_sub(a, h->src_node);
    switch (h->type) {
    case TASVIR_FT_ACK:
        tasvir__stat_add(&n->st.acks_rx, 1);
        if (h->version > v) {
            drop(n, TASVIR_DROP_FIELD);
            return;
        }
        if (s && h->version > s->acked)
            s->acked = h->version;
        return;
    case TASVIR_FT_NACK:
        tasvir__stat_add(&n->st.nacks_rx, 1);
        if (!s) {
            /* Not a subscriber (any more): a NACK it sent before its UNSUB and that arrived
             * after it, or one from before we restarted.  It subscribes nobody: only a SUB
             * does (a replica that still wants the area sends SUBs until it hears from
             * us, and again when it sees we restarted). */
            drop(n, TASVIR_DROP_AREA);
            return;
        }
        /* the subscriber knows what it has: trust its visible version */
        s->acked = h->version <= v ? h->version : 0;
        s->assumed = 0;
        s->urgent = true;
        return;
    case TASVIR_FT_CTRL:
        switch (h->flags & TASVIR_FL_OP_MASK) {
        case TASVIR_CTRL_SUB:
            tasvir__member_incarnation(n, h->src_node, h->base_version);
            tasvir__owner_add_sub(n, a, h->src_node, h->base_version, h->version, h->pub_ns);
            return;
        case TASVIR_CTRL_UNSUB:
            /* An UNSUB sent before the subscriber's latest SUB (detach, attach again, and
             * the network reordered them; or one answering a frame that was in flight
             * when it attached) must not end the newer subscription: the replica, once
             * served, sends no more SUBs and would never hear from us again.  Both
             * pub_ns come from the subscriber's clock, which only moves forward (a
             * restart, whose clock might not, drops its subscriptions first). */
            if (s && h->pub_ns > s->sub_ns)
                tasvir__owner_del_sub(n, a, h->src_node);
            else if (s)
                drop(n, TASVIR_DROP_OLD);
            return;
        default:
            return;
        }
    default:
        return;
    }
}

/* Process one received frame.  Returns true if the frame was kept (deferred); otherwise the
 * caller frees it. */
static bool rx_frame(struct tasvir_node *n, struct tasvir_frame *f, uint64_t now)
{
    struct tasvir_wire_hdr h;
    const uint8_t *p;
    uint32_t plen;
    int r = tasvir__wire_decode(f->data, f->len, &h, &p, &plen);
    int kept = 0;
    if (r >= 0) {
        drop(n, r);
        goto out;
    }
    if (h.src_node == n->ident.node_id) {
        drop(n, TASVIR_DROP_NODE);
        goto out;
    }
    if (h.dst_node != TASVIR_NODE_GROUP && h.dst_node != n->ident.node_id) {
        drop(n, TASVIR_DROP_DST);
        goto out;
    }
    /* Membership frames (heartbeats, registration) may come from nodes we do not know yet;
     * everything else must come from a known peer. */
    if (h.type == TASVIR_FT_HB ||
        (h.type == TASVIR_FT_CTRL && (h.flags & TASVIR_FL_OP_MASK) == TASVIR_CTRL_REG)) {
        tasvir__member_rx(n, &h, f->data + 6, p, plen, now);
        goto out;
    }
    if (!n->peers[h.src_node].known) {
        drop(n, TASVIR_DROP_NODE);
        goto out;
    }
    tasvir__member_heard(n, h.src_node, f->data + 6, now);
    struct tasvir__area *a = tasvir__emap_get(n, h.area_id);
    if (!a || atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE) {
        drop(n, TASVIR_DROP_AREA);
        if (h.type == TASVIR_FT_DATA || h.type == TASVIR_FT_VEND)
            replicated_or_unsub(n, a, h.src_node, h.area_id, now);
        goto out;
    }
    switch (h.type) {
    case TASVIR_FT_DATA:
    case TASVIR_FT_VEND:
        if (!a->rx) {
            drop(n, TASVIR_DROP_AREA); /* data for an area we own or do not replicate */
            break;
        }
        if (h.src_node != a->owner_node) {
            drop(n, TASVIR_DROP_NODE);
            break;
        }
        kept = h.type == TASVIR_FT_DATA ? rx_data(n, a, &h, p, plen, f, now)
                                        : rx_vend(n, a, &h, f, now);
        break;
    default:
        if (!a->local) {
            drop(n, TASVIR_DROP_NOT_OWNER);
            break;
        }
        rx_owner_ctrl(n, a, &h);
        break;
    }
out:
    return kept == 2;
}

void tasvir__esync_rx_frame(struct tasvir_node *n, struct tasvir_frame *f, uint64_t now)
{
    if (!rx_frame(n, f, now))
        n->be.ops->frame_free(n->be.ctx, &f, 1);
}

/* ------------------------------------------------------------------------------------ */
/* epoch end, poll                                                                      */

/* A held DATA frame, for finding complete versions among held frames. */
struct held_key {
    uint32_t area, idx;
    uint64_t version, base;
    uint32_t count, seq;
};

static int cmp_held(const void *x, const void *y)
{
    const struct held_key *a = x, *b = y;
    if (a->area != b->area)
        return a->area < b->area ? -1 : 1;
    if (a->version != b->version)
        return a->version < b->version ? -1 : 1;
    if (a->base != b->base)
        return a->base < b->base ? -1 : 1;
    if (a->count != b->count)
        return a->count < b->count ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Free (and NULL) held frames of versions older than the newest version that is complete
 * among the held frames and applicable (base <= visible) for its replica. */
static void skip_superseded(struct tasvir_node *n, struct tasvir_frame **held, uint32_t nd)
{
    struct held_key *k = malloc(nd * sizeof(*k));
    if (!k)
        return;
    uint32_t nk = 0;
    for (uint32_t i = 0; i < nd; i++) {
        struct tasvir_wire_hdr h;
        const uint8_t *p;
        uint32_t plen;
        if (tasvir__wire_decode(held[i]->data, held[i]->len, &h, &p, &plen) >= 0 ||
            h.type != TASVIR_FT_DATA)
            continue;
        k[nk++] = (struct held_key){h.area_id, i, h.version, h.base_version, h.count, h.seq};
    }
    qsort(k, nk, sizeof(*k), cmp_held);
    for (uint32_t i = 0; i < nk;) {
        uint32_t area_end = i;
        while (area_end < nk && k[area_end].area == k[i].area)
            area_end++;
        struct tasvir__area *a = tasvir__emap_get(n, k[i].area);
        uint64_t best = 0;
        if (a && a->rx && !a->rx->ready) {
            uint64_t vis = rx_vis(a);
            for (uint32_t g = i; g < area_end;) { /* groups of one (version, base, count) */
                uint32_t e = g, distinct = 0;
                while (e < area_end && k[e].version == k[g].version && k[e].base == k[g].base &&
                       k[e].count == k[g].count) {
                    distinct += e == g || k[e].seq != k[e - 1].seq;
                    e++;
                }
                if (distinct == k[g].count && k[g].base <= vis && k[g].version > best)
                    best = k[g].version;
                g = e;
            }
        }
        if (best) {
            /* every held frame of this area (DATA or VEND) older than best goes */
            for (uint32_t x = 0; x < nd; x++) {
                if (!held[x] || held[x]->len < TASVIR_ETH_HDR + TASVIR_WIRE_HDR)
                    continue;
                const uint8_t *q = held[x]->data + TASVIR_ETH_HDR;
                if (tasvir__get32(q + 8) == k[i].area && tasvir__get64(q + 16) < best) {
                    drop(n, TASVIR_DROP_OLD);
                    n->be.ops->frame_free(n->be.ctx, &held[x], 1);
                    held[x] = NULL;
                }
            }
        }
        i = area_end;
    }
    free(k);
}

void tasvir__esync_epoch_end(struct tasvir_node *n, bool published, uint64_t now)
{
    if (published) {
        for (uint32_t i = 0; i < n->nchunks; i++) {
            struct tasvir__area *a = n->chunks[i].area;
            if (!a->in_epoch || !a->rx || (i > 0 && n->chunks[i - 1].area == a))
                continue;
            replica_published(a);
            tasvir__send_ctrl(n, a->owner_node, TASVIR_FT_ACK, 0, a->id, rx_vis(a), 0, NULL, 0);
        }
    }
    /* frames held while versions awaited publication: process them now, skipping versions
     * that a newer one, complete among the held frames, supersedes (otherwise a subscriber
     * that fell behind would publish one old version per epoch and stay behind) */
    uint32_t nd = n->ndefer;
    if (nd) {
        struct tasvir_frame **held = malloc(nd * sizeof(*held));
        if (!held)
            return; /* retried at the next epoch end */
        memcpy(held, n->defer, nd * sizeof(*held));
        n->ndefer = 0;
        skip_superseded(n, held, nd);
        for (uint32_t i = 0; i < nd; i++)
            if (held[i])
                tasvir__esync_rx_frame(n, held[i], now);
        free(held);
    }
    tasvir__esync_flush(n);
}

static uint64_t replica_poll(struct tasvir_node *n, struct tasvir__area *a, uint64_t now)
{
    struct tasvir__rx *rx = a->rx;
    uint64_t hb = n->conf.hb_period_us * 1000;
    if (a->want_unsub) {
        /* unbound (member.c): its old id may be another area's that we subscribe to */
        if (!rx->unbound)
            tasvir__send_ctrl(n, a->owner_node, TASVIR_FT_CTRL, TASVIR_CTRL_UNSUB, a->id, 0, 0,
                              NULL, 0);
        if (!rx->unbound && n->conf.addressing == TASVIR_ADDR_MULTICAST && n->be.ops->mcast) {
            uint8_t mac[6];
            tasvir__area_group_mac(a->id, mac);
            n->be.ops->mcast(n->be.ctx, mac, 0);
        }
        a->want_unsub = false;
        atomic_store_explicit(&n->reap_pending, 1, memory_order_release);
        return UINT64_MAX;
    }
    if (atomic_load_explicit(&a->state, memory_order_relaxed) != TASVIR__AREA_LIVE ||
        rx->unbound) /* not in the directory: nothing to subscribe to (member.c) */
        return UINT64_MAX;
    /* (re)subscribe until the owner answers */
    if (!rx->have_data && (!rx->last_sub_ns || tasvir__elapsed(now, rx->last_sub_ns) >= hb)) {
        if (!rx->last_sub_ns && n->conf.addressing == TASVIR_ADDR_MULTICAST && n->be.ops->mcast) {
            uint8_t mac[6];
            tasvir__area_group_mac(a->id, mac);
            n->be.ops->mcast(n->be.ctx, mac, 1);
        }
        rx->last_sub_ns = now;
        tasvir__send_ctrl(n, a->owner_node, TASVIR_FT_CTRL, TASVIR_CTRL_SUB, a->id, rx_vis(a),
                          n->incarnation, NULL, 0);
    }
    uint64_t wake = rx->have_data ? UINT64_MAX : rx->last_sub_ns + hb;
    /* a version stuck incomplete: ask for it */
    if (!rx->ready && rx->cur_ver > rx_vis(a) && rx->cur_got < rx->cur_count) {
        uint64_t gap = n->conf.nack_gap_us * 1000;
        uint64_t quiet = rx->last_rx_ns + 2 * gap;
        if (now >= quiet)
            maybe_nack(n, a, now);
        uint64_t next = (rx->last_nack_ns > rx->last_rx_ns ? rx->last_nack_ns + gap : quiet);
        if (next <= now)
            next = now + gap;
        if (next < wake)
            wake = next;
    }
    return wake;
}

void tasvir__esync_poll(struct tasvir_node *n, uint64_t now, uint64_t *next_ns)
{
    emap_refresh(n);
    /* receive */
    struct tasvir_frame *fs[RX_BURST];
    for (uint32_t total = 0; total < RX_BUDGET;) {
        unsigned k = n->be.ops->rx_burst(n->be.ctx, fs, RX_BURST);
        if (!k)
            break;
        uint64_t bytes = 0;
        unsigned nfree = 0;
        for (unsigned i = 0; i < k; i++) {
            bytes += fs[i]->len;
            if (!rx_frame(n, fs[i], now))
                fs[nfree++] = fs[i]; /* freed together below */
        }
        if (nfree)
            n->be.ops->frame_free(n->be.ctx, fs, nfree);
        tasvir__stat_add(&n->st.frames_rx, k);
        tasvir__stat_add(&n->st.bytes_rx, bytes);
        total += k;
        if (k < RX_BURST)
            break;
    }
    emap_refresh(n);
    uint64_t wake = UINT64_MAX;
    for (uint32_t i = 0; i < n->nelist; i++) {
        struct tasvir__area *a = n->elist[i];
        if (!a)
            continue;
        uint64_t w = a->rx ? replica_poll(n, a, now)
                           : (atomic_load_explicit(&a->state, memory_order_relaxed) ==
                                      TASVIR__AREA_LIVE
                                  ? owner_poll(n, a, now)
                                  : UINT64_MAX);
        if (w < wake)
            wake = w;
    }
    tasvir__member_poll(n, now, &wake);
    tasvir__esync_flush(n);
    /* frames wait for room at the port: come back soon (a backend that can tell when its
     * queue drains kicks the engine earlier) */
    if (tasvir__tx_pending(n) && now + 10000 < wake)
        wake = now + 10000;
    if (wake < *next_ns)
        *next_ns = wake;
}

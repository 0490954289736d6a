/*
 * workload.h — writer workloads and staleness probes shared by the simulator (tasvir-sim)
 * and the hardware node program (tasvir-node), so both produce the same files
 * (docs/data-formats.md).  Plain C on the public Tasvir API; no threads, no clock: every
 * function takes the current time, so event-driven agents and real threads call the same
 * code.
 *
 * Area layout ("versioned lines"):
 *   line 0  header: u64 gen, u64 digest, u64 last_write_ns, u64 writer_node, u64 nlines,
 *           u64 writes, u64 0, u64 check
 *   line i  stamp:  u64 gen, u64 write_ns, u64 i, 4 x u64 derived, u64 checksum
 * gen counts write batches; digest = XOR over lines i >= 1 of mix(gen_i, i) XOR the same for
 * all-zero lines, so a reader can tell a complete version (digest matches, every stamp
 * intact) from a torn or partial one.
 *
 * Files (CSV, header line first):
 *   versions.csv     area,owner,version,pub_ns,lines_changed         (owner side)
 *   visible.csv      area,owner,node,version,pub_ns,visible_ns       (each version a node exposed)
 *   samples-raw.csv  time_ns,node,thread,area,owner,version,pub_ns,announced_version,
 *                    announced_pub_ns,w2v_ns                         (reader samples)
 * tsv_join() turns them into visibility.csv and samples.csv with exact latest version,
 * age and version lag (one time base per run: simulator time or CLOCK_MONOTONIC).
 */
#ifndef TASVIR_WORKLOAD_H
#define TASVIR_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tasvir/tasvir.h"

/* A 64-bit mixing function (a bijection with good avalanche): line stamps, checksums and
 * seeds derived from a run's seed. */
static inline uint64_t tsv_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* ---- outputs ---- */

struct tsv_out {
    FILE *versions; /* may be NULL */
    FILE *visible;
    FILE *samples;
};

/* Write the header lines of the non-NULL files. */
void tsv_out_headers(const struct tsv_out *o);

/* ---- writer ---- */

enum tsv_pattern { TSV_SEQ = 0, TSV_RND = 1 };

struct tsv_writer_conf {
    uint32_t lines_per_write; /* lines stamped per write batch, >= 1 */
    int pattern;              /* enum tsv_pattern */
    double rate_hz;           /* write batches per second, > 0 */
    uint32_t burst;           /* batches back to back per burst, >= 1 (rate is kept) */
    int poisson;              /* 1: exponential gaps between bursts; 0: fixed gaps */
    uint64_t seed;
};

struct tsv_writer {
    struct tsv_writer_conf c;
    struct tasvir_area *a;
    uint8_t *w;
    uint64_t nlines;
    uint64_t *line_gen;
    uint64_t gen, digest, zero_digest;
    uint64_t rng;
    uint64_t next_ns;
    uint32_t burst_left;
    uint64_t seq_pos;
    uint64_t last_ver;
    uint64_t lines_since_ver;
    uint32_t area_id;
    uint16_t node;
    uint64_t writes;
};

/* Fill conf with defaults (4 lines, random, 1000 Hz, no bursts, fixed gaps). */
void tsv_writer_conf_init(struct tsv_writer_conf *c);
/* Bind a writer to an owner handle (area of >= 2 lines).  Returns 0 or -EINVAL/-ENOMEM. */
int tsv_writer_init(struct tsv_writer *w, struct tasvir_area *owner, const struct tsv_writer_conf *c,
                    uint16_t node, uint64_t now_ns);
void tsv_writer_fini(struct tsv_writer *w);
/* Time of the next write batch. */
static inline uint64_t tsv_writer_next_ns(const struct tsv_writer *w) { return w->next_ns; }
/* Do one write batch now (between check-ins of the owner thread) and schedule the next. */
void tsv_writer_write(struct tsv_writer *w, uint64_t now_ns);
/* After each check-in of the owner thread: record versions published since the last call. */
void tsv_writer_checkin(struct tsv_writer *w, const struct tsv_out *o);

/* ---- probe ---- */

struct tsv_probe {
    struct tasvir_area *a;
    uint32_t area_id;
    uint16_t owner, node, thread;
    uint64_t nlines;
    uint64_t zero_digest;
    uint64_t last_ver;
    uint64_t last_gen;
    uint64_t pending_w2v_ts; /* write timestamp first seen, reported at the next sample */
    bool w2v_pending;
    /* results */
    uint64_t checks, torn, backwards, samples;
};

/* Bind a probe to a reader handle. */
int tsv_probe_init(struct tsv_probe *p, struct tasvir_area *reader, uint16_t node, uint16_t thread);
/* After every check-in of the reader thread: record a newly visible version and verify it
 * is complete (only when the version changed, so cheap on a hot loop). */
void tsv_probe_checkin(struct tsv_probe *p, uint64_t now_ns, const struct tsv_out *o);
/* One sample row (at the sample rate). */
void tsv_probe_sample(struct tsv_probe *p, uint64_t now_ns, const struct tsv_out *o);

/* ---- trace of the version path ---- */

/* The core's trace events (tasvir_node_conf.trace_fn) of one node, kept in memory and
 * written at the end as trace-node<N>.csv:
 *   node,area,owner,version,event,peer,ns,epoch_start_ns,frames
 * event: 1 publish (epoch_start_ns set), 2 sent (peer: destination, 65535 the multicast
 * group; frames set), 3 first frame received (frames: expected), 4 version complete.
 * tsv_join() turns them into the stage columns of visibility.csv. */
struct tsv_trace; /* opaque */

/* A buffer of cap records (its memory is only touched as records arrive), or NULL.  grow:
 * the sink is only ever called from one thread, so it may grow the buffer (the
 * simulator); otherwise the sink is lock-free and records beyond cap are counted and
 * dropped (tasvir-node). */
struct tsv_trace *tsv_trace_new(size_t cap, bool grow);
void tsv_trace_free(struct tsv_trace *t);
/* The trace sink: pass as trace_fn with the struct tsv_trace as trace_arg. */
void tsv_trace_sink(void *arg, const struct tasvir_trace_rec *r);
/* Records dropped because the buffer was full. */
uint64_t tsv_trace_dropped(const struct tsv_trace *t);
/* Write the records to path (node: this node's id).  Returns 0 or -errno. */
int tsv_trace_write(const struct tsv_trace *t, uint16_t node, const char *path);

/* ---- join ---- */

/* Read versions.csv, visible.csv and samples-raw.csv from dir and write visibility.csv and
 * samples.csv there.  Several files of each kind may be given as dir/<kind>*.csv (one per
 * node on hardware).  With trace*.csv files (tsv_trace_write), the rows of received
 * versions (skipped = 0) get the steps of their way: sent_ns (the owner's first send of
 * the version to that subscriber or its group), rx_first_ns, rx_complete_ns and
 * epoch_start_ns (of the subscriber's epoch that published it); empty where unknown.
 * Returns 0, or -1 with a message naming the file and line in err. */
int tsv_join(const char *dir, char *err, size_t errlen);

#endif

/*
 * output.c — write tasvir-node's result files (see output.h).  Files are written to
 * "<name>.tmp" and renamed, so a reader never sees half a file.
 */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef TASVIR_VERSION
#define TASVIR_VERSION "unknown"
#endif
#include "tnode-gitrev.h" /* TNODE_GIT_DESCRIBE: git describe --always --dirty of the build */

uint64_t tnode_gaps_quantile(const struct tnode_gaps *g, double q)
{
    if (!g->n)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(g->n - 1)), seen = 0;
    for (unsigned i = 0; i <= TNODE_GAP_BUCKETS; i++) {
        seen += g->b[i];
        if (seen > rank)
            return i < TNODE_GAP_BUCKETS ? (i + 1) * 1000ull : g->max_ns;
    }
    return g->max_ns;
}

static void p_num(void *arg, const char *key, double v)
{
    json_t *j = (v == (double)(json_int_t)v) ? json_integer((json_int_t)v) : json_real(v);
    json_object_set_new(arg, key, j);
}

static void p_str(void *arg, const char *key, const char *v)
{
    json_object_set_new(arg, key, json_string(v));
}

/* The run's parameters, flat, units in the names (docs/data-formats.md). */
static json_t *params(const struct tnode_results *r)
{
    const struct tasvir_hwconfig *c = r->cfg;
    json_t *p = json_object();
    json_object_set_new(p, "testbed", json_string(c->name));
    json_object_set_new(p, "topology", json_string(tasvir_hwconfig_topology_name(c->topology)));
    json_object_set_new(p, "nodes", json_integer(c->n_nodes));
    json_object_set_new(p, "mtu", json_integer(c->mtu));
    json_object_set_new(p, "addressing",
                        json_string(tasvir_hwconfig_addressing_name(c->addressing)));
    json_object_set_new(p, "relax", json_string(c->relax == 2   ? "sleep"
                                                : c->relax == 1 ? "pause"
                                                                : "yield"));
    json_object_set_new(p, "clock", json_string(c->clock_monotonic ? "monotonic" : "tsc"));
    json_object_set_new(p, "copy_isa", json_string(tasvir_copy_isa_name(c->copy_isa)));
    if (c->relax == 2)
        json_object_set_new(p, "idle_sleep_us", json_integer(c->idle_sleep_us));
    json_object_set_new(p, "hb_period_us", json_integer(c->hb_period_us));
    json_object_set_new(p, "down_after_hb", json_integer(c->down_after_hb));
    json_object_set_new(p, "nack_gap_us", json_integer(c->nack_gap_us));
    if (r->nconf) {
        json_object_set_new(p, "sync_int_us", json_integer((json_int_t)r->nconf->sync_int_us));
        json_object_set_new(p, "sync_ext_us", json_integer((json_int_t)r->nconf->sync_ext_us));
        json_object_set_new(p, "epoch_window_us",
                            json_integer((json_int_t)(r->nconf->epoch_window_ns / 1000)));
    }
    json_object_set_new(p, "duration_s", json_real(r->duration_s));
    json_object_set_new(p, "workload", json_string(r->workload->name));
    if (r->wl_conf && r->workload->conf_params) {
        struct tnode_param_sink sink = {p_num, p_str, p};
        r->workload->conf_params(r->wl_conf, &sink);
    }
    return p;
}

static FILE *open_tmp(const char *dir, const char *name, char *tmp, char *final, size_t len)
{
    snprintf(final, len, "%s/%s", dir, name);
    snprintf(tmp, len, "%s/%s.tmp", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f)
        fprintf(stderr, "tasvir-node: cannot write %s: %s\n", tmp, strerror(errno));
    return f;
}

static int close_tmp(FILE *f, const char *tmp, const char *final)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "tasvir-node: writing %s failed\n", tmp);
        unlink(tmp);
        return -EIO;
    }
    if (rename(tmp, final) != 0) {
        fprintf(stderr, "tasvir-node: cannot rename %s: %s\n", tmp, strerror(errno));
        return -errno;
    }
    return 0;
}

static void mac_str(const uint8_t m[6], char *b, size_t len)
{
    snprintf(b, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static json_t *str_array(int n, char **v)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i] ? v[i] : ""));
    return a;
}

static json_t *manifest(const struct tnode_results *r)
{
    const struct tasvir_hwconfig *c = r->cfg;
    json_t *m = json_object();
    char b[128];
    json_object_set_new(m, "label", json_string(r->label));
    json_object_set_new(m, "mode", json_string("hw"));
    json_object_set_new(m, "seed", json_integer((json_int_t)r->seed));
    json_object_set_new(m, "git_rev", json_string(TNODE_GIT_DESCRIBE));
    json_object_set_new(m, "params", params(r));
    json_t *given = json_array();
    for (unsigned i = 0; i < r->n_params; i++) {
        json_t *g = json_object();
        json_object_set_new(g, "key", json_string(r->param_key[i]));
        json_object_set_new(g, "value", json_string(r->param_val[i]));
        json_object_set_new(g, "from", json_string(r->param_origin[i]));
        json_object_set_new(g, "use", json_string(r->param_kind[i] == 'w'   ? "workload"
                                                  : r->param_kind[i] == 'i' ? "ignored (simulator only)"
                                                  : r->param_kind[i] == 'p' ? "param=KEY=VALUE"
                                                                            : "node"));
        json_array_append_new(given, g);
    }
    json_object_set_new(m, "params_given", given);
    json_object_set_new(m, "program", json_string("tasvir-node"));
    json_object_set_new(m, "version", json_string(TASVIR_VERSION));
    json_object_set_new(m, "backend", json_string("dpdk"));
    json_object_set_new(m, "run_id", json_string(r->run_id));
    json_object_set_new(m, "node_id", json_integer(r->node_id));
    json_object_set_new(m, "command_line", str_array(r->argc, r->argv));
    json_object_set_new(m, "eal_args", str_array(r->eal_argc, r->eal_argv));

    json_t *tb = json_object();
    json_object_set_new(tb, "name", json_string(c->name));
    json_object_set_new(tb, "config", json_string(c->path));
    json_object_set_new(tb, "topology", json_string(tasvir_hwconfig_topology_name(c->topology)));
    json_object_set_new(tb, "addressing",
                        json_string(tasvir_hwconfig_addressing_name(c->addressing)));
    json_object_set_new(tb, "mtu", json_integer(c->mtu));
    json_t *ids = json_array();
    for (unsigned i = 0; i < c->n_nodes; i++)
        json_array_append_new(ids, json_integer(c->nodes[i].id));
    json_object_set_new(tb, "nodes", ids);
    json_object_set_new(m, "testbed", tb);

    json_t *host = json_object();
    if (gethostname(b, sizeof(b)) == 0) {
        b[sizeof(b) - 1] = 0;
        json_object_set_new(host, "hostname", json_string(b));
    }
    struct utsname u;
    if (uname(&u) == 0) {
        json_object_set_new(host, "kernel", json_string(u.release));
        json_object_set_new(host, "machine", json_string(u.machine));
    }
    json_object_set_new(host, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(m, "host", host);

    json_object_set_new(m, "dpdk_version", json_string(tasvir_dpdk_version()));
    struct tasvir_dpdk_port_info pi;
    if (r->port && tasvir_dpdk_port_info(r->port, &pi) == 0) {
        json_t *p = json_object();
        json_object_set_new(p, "name", json_string(pi.name));
        json_object_set_new(p, "driver", json_string(pi.driver));
        mac_str(pi.mac, b, sizeof(b));
        json_object_set_new(p, "mac", json_string(b));
        json_object_set_new(p, "mtu", json_integer(pi.mtu));
        json_object_set_new(p, "min_mtu", json_integer(pi.min_mtu));
        json_object_set_new(p, "max_mtu", json_integer(pi.max_mtu));
        json_object_set_new(p, "rx_desc", json_integer(pi.rx_desc));
        json_object_set_new(p, "tx_desc", json_integer(pi.tx_desc));
        json_object_set_new(p, "mbufs", json_integer(pi.mbufs));
        json_object_set_new(p, "frame_cap", json_integer(pi.frame_cap));
        json_object_set_new(p, "rx_filter", json_string(tasvir_dpdk_rx_filter_name(pi.rx_filter)));
        json_object_set_new(p, "link_up_at_start", json_boolean(r->link_up_at_start));
        json_object_set_new(p, "link_speed_mbps", json_integer(pi.link_speed_mbps));
        json_object_set_new(p, "hugepages", json_boolean(pi.hugepages));
        json_object_set_new(p, "socket_id", json_integer(pi.socket_id));
        json_object_set_new(m, "port", p);
        json_t *clk = json_object();
        json_object_set_new(clk, "source", json_string(tasvir_dpdk_clock_name(pi.clock)));
        json_object_set_new(clk, "tsc_hz", json_integer((json_int_t)pi.tsc_hz));
        json_object_set_new(m, "clock", clk);
    }

    if (r->nconf) {
        json_t *n = json_object();
        json_object_set_new(n, "epoch_window_ns", json_integer((json_int_t)r->nconf->epoch_window_ns));
        json_object_set_new(n, "sync_int_us", json_integer((json_int_t)r->nconf->sync_int_us));
        json_object_set_new(n, "sync_ext_us", json_integer((json_int_t)r->nconf->sync_ext_us));
        json_object_set_new(n, "max_threads", json_integer(r->nconf->max_threads));
        json_object_set_new(n, "max_areas", json_integer(r->nconf->max_areas));
        json_object_set_new(n, "exclude_after_misses", json_integer(r->nconf->exclude_after_misses));
        /* the line copies the internal sync used (tasvir_node_conf.copy_isa, auto) */
        const char *isa = r->node ? tasvir_copy_isa_name(tasvir_node_copy_isa(r->node)) : NULL;
        json_object_set_new(n, "copy_isa", json_string(isa ? isa : "unknown"));
        json_object_set_new(m, "node_conf", n);
    }

    json_t *wl = json_object();
    json_object_set_new(wl, "name", json_string(r->workload->name));
    json_object_set_new(wl, "threads", json_integer(r->n_workers));
    json_t *lc = json_array();
    for (unsigned i = 0; i < r->n_workers && i < TNODE_MAX_WORKERS; i++)
        json_array_append_new(lc, json_integer(r->worker_lcore[i]));
    json_object_set_new(wl, "worker_lcores", lc);
    json_object_set_new(m, "workload", wl);

    json_object_set_new(m, "start_unix_ns",
                        json_integer((json_int_t)r->start_wall.tv_sec * 1000000000 +
                                     r->start_wall.tv_nsec));
    json_object_set_new(m, "start_ns", json_integer((json_int_t)r->start_ns));
    json_object_set_new(m, "end_ns", json_integer((json_int_t)r->end_ns));
    json_object_set_new(m, "duration_s_requested", json_real(r->duration_s));
    json_object_set_new(m, "duration_s",
                        json_real(r->end_ns > r->start_ns ? (r->end_ns - r->start_ns) / 1e9 : 0));
    json_object_set_new(m, "stop_reason", json_string(r->stop_reason ? r->stop_reason : ""));
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        /* CPU time of this process over its life (EAL start-up included) */
        json_t *cpu = json_object();
        json_object_set_new(cpu, "user_s", json_real(ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6));
        json_object_set_new(cpu, "system_s", json_real(ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6));
        json_object_set_new(cpu, "voluntary_switches", json_integer(ru.ru_nvcsw));
        json_object_set_new(cpu, "involuntary_switches", json_integer(ru.ru_nivcsw));
        json_object_set_new(m, "cpu", cpu);
    }
    if (r->gaps) {
        /* How long an arriving frame can wait before the engine looks: the receiver's
         * share of the one-way delay (docs/testbed.md, analytic bound). */
        json_t *e = json_object();
        json_object_set_new(e, "polls", json_integer((json_int_t)r->gaps->n));
        json_object_set_new(e, "poll_gap_mean_ns",
                            json_integer(r->gaps->n ? (json_int_t)(r->gaps->sum_ns / r->gaps->n) : 0));
        json_object_set_new(e, "poll_gap_p50_ns", json_integer((json_int_t)tnode_gaps_quantile(r->gaps, 0.5)));
        json_object_set_new(e, "poll_gap_p99_ns", json_integer((json_int_t)tnode_gaps_quantile(r->gaps, 0.99)));
        json_object_set_new(e, "poll_gap_p999_ns", json_integer((json_int_t)tnode_gaps_quantile(r->gaps, 0.999)));
        json_object_set_new(e, "poll_gap_max_ns", json_integer((json_int_t)r->gaps->max_ns));
        json_object_set_new(m, "engine", e);
    }
    json_t *v = json_object();
    json_object_set_new(v, "ok", json_boolean(r->verdict_ok));
    json_object_set_new(v, "message", json_string(r->verdict ? r->verdict : ""));
    json_object_set_new(m, "verdict", v);
    json_t *files = json_object();
    json_object_set_new(files, "counters", json_string("counters.csv"));
    if (r->workload->write_files) {
        static const char *const kinds[] = {"versions", "visible", "samples-raw"};
        for (int k = 0; k < 3; k++) {
            snprintf(b, sizeof(b), "%s-node%u.csv", kinds[k], r->node_id);
            json_object_set_new(files, kinds[k], json_string(b));
        }
    } else if (r->workload->write_samples) {
        json_object_set_new(files, "samples", json_string("samples.csv"));
    }
    json_object_set_new(files, "dump", json_string("dump.txt"));
    json_object_set_new(m, "files", files);
    json_object_set_new(m, "exit_status", json_integer(r->exit_status));
    return m;
}

struct csv_sink {
    FILE *f;
    const char *scope;
};

static void emit(void *arg, const char *name, uint64_t value)
{
    struct csv_sink *s = arg;
    fprintf(s->f, "%s,%s,%" PRIu64 "\n", s->scope, name, value);
}

static void counters(FILE *f, const struct tnode_results *r)
{
    struct csv_sink s = {f, "node"};
    fprintf(f, "scope,name,value\n");
    struct tasvir_stats st;
    if (r->node && tasvir_node_stats(r->node, &st) == 0) {
#define N(x) emit(&s, #x, st.x)
        N(epochs_ok);
        N(epochs_failed);
        N(epoch_ns);
        N(barrier_ns);
        N(bytes_scanned);
        N(bytes_changed);
        N(bytes_copied);
        N(versions_published);
        N(threads_excluded);
        N(threads_readmitted);
        N(threads_excluded_now);
        N(log_misuse);
        N(frames_tx);
        N(bytes_tx);
        N(frames_rx);
        N(bytes_rx);
        N(tx_failed);
        N(data_frames_tx);
        N(data_payload_tx);
        N(versions_sent);
        N(full_resends);
        N(nack_resends);
        N(rounds_postponed);
        N(versions_rx_complete);
        N(versions_rx_superseded);
        N(versions_rx_published);
        N(frames_deferred);
        N(acks_tx);
        N(acks_rx);
        N(nacks_tx);
        N(nacks_rx);
        N(hb_tx);
        N(hb_rx);
        N(peers_down);
        N(peers_up);
        N(owner_restarts);
#undef N
        char name[64];
        for (int i = 0; i < TASVIR_DROP_REASONS; i++) {
            snprintf(name, sizeof(name), "rx_drop_%s", tasvir_drop_reason(i));
            emit(&s, name, st.rx_drop[i]);
        }
        /* Liveness of every other testbed node as this node saw it at the end. */
        s.scope = "peer";
        for (unsigned i = 0; r->cfg && i < r->cfg->n_nodes; i++) {
            uint16_t id = r->cfg->nodes[i].id;
            struct tasvir_peer_info pi;
            if (id == r->node_id || tasvir_node_peer_info(r->node, id, &pi) != 0)
                continue;
            snprintf(name, sizeof(name), "node%u_up", id);
            emit(&s, name, (uint64_t)pi.up);
            snprintf(name, sizeof(name), "node%u_incarnation", id);
            emit(&s, name, pi.incarnation);
            if (r->peer_up_events) {
                snprintf(name, sizeof(name), "node%u_up_events", id);
                emit(&s, name, r->peer_up_events[i]);
                snprintf(name, sizeof(name), "node%u_down_events", id);
                emit(&s, name, r->peer_down_events[i]);
            }
        }
    }
    struct tasvir_dpdk_port_stats ps;
    if (r->port && tasvir_dpdk_port_stats(r->port, &ps) == 0) {
        s.scope = "port";
#define P(x) emit(&s, #x, ps.x)
        P(tx_frames);
        P(tx_bytes);
        P(tx_full);
        P(tx_rejected);
        P(rx_frames);
        P(rx_bytes);
        P(rx_linearized);
        P(rx_copied);
        P(rx_dropped);
        P(alloc_failed);
        P(mem_dpdk_bytes);
        P(mem_fallback_bytes);
        P(mem_failed);
        P(mcast_groups);
        P(mbufs_free);
        P(eth_ipackets);
        P(eth_opackets);
        P(eth_ibytes);
        P(eth_obytes);
        P(eth_imissed);
        P(eth_ierrors);
        P(eth_oerrors);
        P(eth_rx_nombuf);
#undef P
    }
    s.scope = "runner";
    emit(&s, "worker_steps", r->worker_steps);
    emit(&s, "worker_readmitted", r->worker_readmitted);
    emit(&s, "stale_frames_dropped", r->stale_frames);
    if (r->trace)
        emit(&s, "trace_dropped", tsv_trace_dropped(r->trace));
    if (r->wl && r->workload->counters) {
        s.scope = "workload";
        struct tnode_counter_sink sink = {emit, &s};
        r->workload->counters(r->wl, &sink);
    }
}

int tnode_results_write(const struct tnode_results *r)
{
    char tmp[600], fin[600];
    int rc = 0, e;
    FILE *f;

    if ((f = open_tmp(r->out_dir, "counters.csv", tmp, fin, sizeof(tmp)))) {
        counters(f, r);
        if ((e = close_tmp(f, tmp, fin)))
            rc = e;
    } else {
        rc = -EIO;
    }
    if (r->wl && r->workload->write_files) {
        char err[512];
        if ((e = r->workload->write_files(r->wl, r->out_dir, err, sizeof(err)))) {
            fprintf(stderr, "tasvir-node: %s\n", err);
            rc = e;
        }
    } else if (r->wl && r->workload->write_samples) {
        if ((f = open_tmp(r->out_dir, "samples.csv", tmp, fin, sizeof(tmp)))) {
            r->workload->write_samples(r->wl, f);
            if ((e = close_tmp(f, tmp, fin)))
                rc = e;
        } else {
            rc = -EIO;
        }
    }
    if (r->trace && r->wl) {
        /* next to the workload's files, which tsv_join joins it with */
        char path[600];
        snprintf(path, sizeof(path), "%s/trace-node%u.csv", r->out_dir, r->node_id);
        if ((e = tsv_trace_write(r->trace, (uint16_t)r->node_id, path))) {
            fprintf(stderr, "tasvir-node: %s: %s\n", path, strerror(-e));
            rc = e;
        }
    }
    if (r->node && (f = open_tmp(r->out_dir, "dump.txt", tmp, fin, sizeof(tmp)))) {
        tasvir_dump(r->node, f);
        if ((e = close_tmp(f, tmp, fin)))
            rc = e;
    }
    /* The manifest goes last: its presence says the other files are complete. */
    if ((f = open_tmp(r->out_dir, "manifest.json", tmp, fin, sizeof(tmp)))) {
        json_t *m = manifest(r);
        if (json_dumpf(m, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
            fputs("{}", f);
        fputc('\n', f);
        json_decref(m);
        if ((e = close_tmp(f, tmp, fin)))
            rc = e;
    } else {
        rc = -EIO;
    }
    return rc;
}

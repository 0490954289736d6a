/*
 * tasvir-step-workload.cc — see tasvir-step-workload.h.
 */
#include "tasvir-step-workload.h"

#include "tasvir-node-app.h"
#include "tasvir-shared-files.h"

// experiments/node/workload.h is a C header without extern "C" guards.
extern "C"
{
#include "../experiments/node/workload.h"
}

#include "ns3/simulator.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <unistd.h>

namespace ns3
{

namespace
{

/* Entries added to struct tnode_workload after the first version (conf_check, conf_params,
 * thread_checkin, thread_readmitted, write_files) are optional (NULL when absent).  These helpers call them
 * when the header has them and compile to nothing when it does not (overload resolution
 * prefers the int parameter when the member exists). */
template <typename W>
auto
ConfCheck(const W* wl, const void* conf, char* err, size_t len, int)
    -> decltype(wl->conf_check, int())
{
    return wl->conf_check ? wl->conf_check(conf, err, len) : 0;
}

template <typename W>
int
ConfCheck(const W*, const void*, char*, size_t, long)
{
    return 0;
}

template <typename W>
auto
HasCheckin(const W* wl, int) -> decltype(wl->thread_checkin, bool())
{
    return wl->thread_checkin != nullptr;
}

template <typename W>
bool
HasCheckin(const W*, long)
{
    return false;
}

template <typename W>
auto
Checkin(const W* wl, void* w, unsigned idx, struct tasvir_thread* t, uint64_t now, int)
    -> decltype(wl->thread_checkin, void())
{
    wl->thread_checkin(w, idx, t, now);
}

template <typename W>
void
Checkin(const W*, void*, unsigned, struct tasvir_thread*, uint64_t, long)
{
}

template <typename W>
auto
Work(const W* wl, void* w, unsigned idx, uint64_t* verified, uint64_t* written, int)
    -> decltype(wl->thread_work, bool())
{
    if (!wl->thread_work)
    {
        return false;
    }
    wl->thread_work(w, idx, verified, written);
    return true;
}

template <typename W>
bool
Work(const W*, void*, unsigned, uint64_t*, uint64_t*, long)
{
    return false;
}

template <typename W>
auto
Readmitted(const W* wl, void* w, unsigned idx, struct tasvir_thread* t, int)
    -> decltype(wl->thread_readmitted, void())
{
    if (wl->thread_readmitted)
    {
        wl->thread_readmitted(w, idx, t);
    }
}

template <typename W>
void
Readmitted(const W*, void*, unsigned, struct tasvir_thread*, long)
{
}

template <typename W>
auto
WriteFiles(const W* wl, void* w, const char* dir, char* err, size_t len, int)
    -> decltype(wl->write_files, int())
{
    return wl->write_files ? wl->write_files(w, dir, err, len) : 0;
}

template <typename W>
int
WriteFiles(const W*, void*, const char*, char*, size_t, long)
{
    return 0;
}

template <typename F>
struct SecondArg;

template <typename R, typename A, typename B>
struct SecondArg<R (*)(A, B)>
{
    using type = B;
};

struct ParamCollector
{
    std::vector<TasvirWorkload::Param>* out;
};

template <typename S>
void
SinkNum(void* arg, const char* key, double value)
{
    TasvirWorkload::Param p;
    p.key = key;
    p.numeric = true;
    p.num = value;
    static_cast<ParamCollector*>(arg)->out->push_back(p);
}

template <typename S>
void
SinkStr(void* arg, const char* key, const char* value)
{
    TasvirWorkload::Param p;
    p.key = key;
    p.numeric = false;
    p.num = 0;
    p.str = value ? value : "";
    static_cast<ParamCollector*>(arg)->out->push_back(p);
}

template <typename W>
auto
ConfParams(const W* wl, const void* conf, std::vector<TasvirWorkload::Param>* out, int)
    -> decltype(wl->conf_params, void())
{
    if (!wl->conf_params)
    {
        return;
    }
    // The sink type is taken from the entry's own signature, so this compiles only where
    // the header has it.
    using Sink = std::remove_const_t<
        std::remove_pointer_t<typename SecondArg<decltype(wl->conf_params)>::type>>;
    ParamCollector c{out};
    Sink sink;
    sink.num = &SinkNum<W>;
    sink.str = &SinkStr<W>;
    sink.arg = &c;
    wl->conf_params(conf, &sink);
}

template <typename W>
void
ConfParams(const W*, const void*, std::vector<TasvirWorkload::Param>*, long)
{
}

} // namespace

TasvirStepWorkload::TasvirStepWorkload(const struct tnode_workload* wl,
                                       std::vector<std::pair<std::string, std::string>> params,
                                       std::string samples,
                                       uint64_t seed,
                                       bool join)
    : m_wl(wl),
      m_params(std::move(params)),
      m_samples(std::move(samples)),
      m_seed(seed),
      m_join(join),
      m_stopped(false),
      m_finished(false)
{
}

TasvirStepWorkload::~TasvirStepWorkload()
{
    for (NodeRun& n : m_nodes)
    {
        if (n.wl)
        {
            m_wl->destroy(n.wl);
        }
        if (n.conf)
        {
            m_wl->conf_free(n.conf);
        }
    }
}

std::vector<std::string>
TasvirStepWorkload::Names()
{
    std::vector<std::string> v;
    for (const struct tnode_workload* const* w = tnode_workloads; *w; w++)
    {
        v.emplace_back((*w)->name);
    }
    return v;
}

const struct tnode_workload*
TasvirStepWorkload::Find(const std::string& name)
{
    return tnode_workload_find(name.c_str());
}

static bool
MakeConf(const struct tnode_workload* wl,
         const std::vector<std::pair<std::string, std::string>>& params,
         void** conf,
         std::string* error)
{
    *conf = nullptr;
    int rc = wl->conf_create(conf);
    if (rc)
    {
        *error = std::string("workload ") + wl->name + ": cannot create its configuration (" +
                 std::strerror(-rc) + ")";
        return false;
    }
    for (const auto& kv : params)
    {
        char msg[256] = "";
        if (wl->conf_set(*conf, kv.first.c_str(), kv.second.c_str(), msg, sizeof(msg)) != 0)
        {
            std::string why = msg[0] ? std::string(msg)
                                     : "bad parameter " + kv.first + "=" + kv.second;
            *error = std::string("workload ") + wl->name + ": " + why;
            wl->conf_free(*conf);
            *conf = nullptr;
            return false;
        }
    }
    char msg[256] = "";
    if (ConfCheck(wl, *conf, msg, sizeof(msg), 0) != 0)
    {
        *error = std::string("workload ") + wl->name + ": " +
                 (msg[0] ? std::string(msg) : std::string("inconsistent parameters"));
        wl->conf_free(*conf);
        *conf = nullptr;
        return false;
    }
    return true;
}

bool
TasvirStepWorkload::CheckParams(const struct tnode_workload* wl,
                                const std::vector<std::pair<std::string, std::string>>& params,
                                uint32_t threads,
                                std::string* error)
{
    void* conf;
    if (!MakeConf(wl, params, &conf, error))
    {
        return false;
    }
    unsigned need = wl->threads(conf);
    wl->conf_free(conf);
    if (need > threads)
    {
        *error = std::string("workload ") + wl->name + " needs " + std::to_string(need) +
                 " worker threads per node with these parameters; use --threads=" +
                 std::to_string(need) + " or more";
        return false;
    }
    return true;
}

bool
TasvirStepWorkload::Install(const std::vector<Ptr<TasvirNodeApp>>& apps,
                            Time start,
                            std::string* error)
{
    m_apps = apps;
    for (const Ptr<TasvirNodeApp>& a : apps)
    {
        m_ids.push_back(a->GetTasvirId());
    }
    m_nodes.resize(apps.size());
    for (uint32_t n = 0; n < apps.size(); n++)
    {
        NodeRun& r = m_nodes[n];
        if (!MakeConf(m_wl, m_params, &r.conf, error))
        {
            return false;
        }
        r.threads = m_wl->threads(r.conf);
        if (r.threads > apps[n]->GetNThreads())
        {
            *error = std::string("workload ") + m_wl->name + " needs " +
                     std::to_string(r.threads) + " worker threads per node; use --threads=" +
                     std::to_string(r.threads) + " or more";
            return false;
        }
        struct tnode_wl_env env;
        env.node = apps[n]->GetTasvirNode();
        env.node_id = apps[n]->GetTasvirId();
        env.n_nodes = m_ids.size();
        env.node_ids = m_ids.data();
        env.n_threads = r.threads;
        env.seed = m_seed;
        int rc = m_wl->create(r.conf, &env, &r.wl);
        if (rc)
        {
            *error = std::string("workload ") + m_wl->name + ": create failed on node " +
                     std::to_string(n) + ": " + tasvir_strerror(rc);
            r.wl = nullptr;
            return false;
        }
        r.events.resize(r.threads);
        r.failed.assign(r.threads, false);
        r.verified.assign(r.threads, 0);
        r.written.assign(r.threads, 0);
        if (n == 0)
        {
            ConfParams(m_wl, r.conf, &m_params_out, 0);
        }
        if (HasCheckin(m_wl, 0))
        {
            // After every check-in the simulation runs (every epoch end is one), as the
            // hardware worker loop calls it after every check-in.
            apps[n]->TraceConnectWithoutContext(
                "Service",
                MakeCallback(&TasvirStepWorkload::OnService, this).Bind(n));
        }
        Time delay = start - Simulator::Now();
        for (unsigned i = 0; i < r.threads; i++)
        {
            r.events[i] = Simulator::Schedule(delay, &TasvirStepWorkload::Step, this, n, i, true);
        }
    }
    return true;
}

void
TasvirStepWorkload::ScheduleStep(uint32_t node, unsigned idx, uint64_t dueNodeNs)
{
    // The workload speaks its node's clock; events are in simulator time.  On hardware the
    // worker loop checks in and then steps if a step is due, so a step runs right after
    // the first check-in at or after its due time: the thread's next check-in tick (never
    // the current instant, so a step that is always due runs once per check-in period).
    uint64_t off = m_apps[node]->GetClockOffsetNs();
    uint64_t due = dueNodeNs > off ? dueNodeNs - off : 0;
    uint64_t now = TasvirNodeApp::NowNs();
    uint64_t at = m_apps[node]->GetThreadAgent(idx)->NextCheckinNs(due > now ? due : now + 1);
    m_nodes[node].events[idx] = Simulator::Schedule(NanoSeconds(at - now),
                                                    &TasvirStepWorkload::Step,
                                                    this,
                                                    node,
                                                    idx,
                                                    false);
}

void
TasvirStepWorkload::Step(uint32_t node, unsigned idx, bool init)
{
    if (m_stopped)
    {
        return;
    }
    TasvirThreadAgent* agent = m_apps[node]->GetThreadAgent(idx);
    agent->Submit([this, node, idx, init, agent]() {
        NodeRun& r = m_nodes[node];
        if (m_stopped || r.failed[idx])
        {
            return (uint64_t)0;
        }
        struct tasvir_thread* t = agent->GetThread();
        int rc;
        uint64_t next = UINT64_MAX;
        if (init)
        {
            rc = m_wl->thread_init ? m_wl->thread_init(r.wl, idx, t) : 0;
            next = tasvir_node_now_ns(m_apps[node]->GetTasvirNode());
        }
        else
        {
            rc = m_wl->thread_step(r.wl,
                                   idx,
                                   t,
                                   tasvir_node_now_ns(m_apps[node]->GetTasvirNode()),
                                   &next);
        }
        if (rc < 0)
        {
            r.failed[idx] = true;
            std::fprintf(stderr,
                         "tasvir-sim: workload %s, node %u thread %u: %s failed: %s\n",
                         m_wl->name,
                         m_ids[node],
                         idx,
                         init ? "thread_init" : "thread_step",
                         tasvir_strerror(rc));
            return (uint64_t)0;
        }
        if (next != UINT64_MAX)
        {
            ScheduleStep(node, idx, next);
        }
        return AppWorkNs(node, idx);
    });
}

uint64_t
TasvirStepWorkload::AppWorkNs(uint32_t node, unsigned idx)
{
    NodeRun& r = m_nodes[node];
    uint64_t verified = 0, written = 0;
    if (!Work(m_wl, r.wl, idx, &verified, &written, 0))
    {
        return 0;
    }
    uint64_t dv = verified > r.verified[idx] ? verified - r.verified[idx] : 0;
    uint64_t dw = written > r.written[idx] ? written - r.written[idx] : 0;
    r.verified[idx] = verified;
    r.written[idx] = written;
    return m_apps[node]->GetCostModel().AppCostNs(dw, dv);
}

void
TasvirStepWorkload::OnService(uint32_t node, uint32_t idx, int rc, uint64_t costNs)
{
    (void)costNs;
    NodeRun& r = m_nodes[node];
    if (m_stopped || rc < 0 || idx >= r.threads || r.failed[idx] || !r.wl)
    {
        return;
    }
    struct tasvir_thread* t = m_apps[node]->GetThreadAgent(idx)->GetThread();
    if (rc == TASVIR_SERVICE_READMITTED)
    {
        Readmitted(m_wl, r.wl, idx, t, 0);
    }
    Checkin(m_wl, r.wl, idx, t, tasvir_node_now_ns(m_apps[node]->GetTasvirNode()), 0);
    // The check-in's own work (a probe verifying a new version) extends the service call
    // that this trace reports, on the calling thread's CPU.
    m_apps[node]->AddCallCostNs(AppWorkNs(node, idx));
}

std::vector<TasvirWorkload::Param>
TasvirStepWorkload::Params() const
{
    return m_params_out;
}

void
TasvirStepWorkload::Stop()
{
    if (m_stopped)
    {
        return;
    }
    m_stopped = true;
    for (NodeRun& r : m_nodes)
    {
        for (EventId& e : r.events)
        {
            e.Cancel();
        }
    }
    Finish();
}

static void
CollectCounter(void* arg, const char* name, uint64_t value)
{
    auto* v = static_cast<std::vector<std::pair<std::string, uint64_t>>*>(arg);
    v->emplace_back(name, value);
}

void
TasvirStepWorkload::Finish()
{
    if (m_finished)
    {
        return;
    }
    m_finished = true;
    for (uint32_t n = 0; n < m_nodes.size(); n++)
    {
        NodeRun& r = m_nodes[n];
        if (!r.wl)
        {
            continue;
        }
        for (unsigned i = 0; i < r.threads && m_wl->thread_fini; i++)
        {
            TasvirThreadAgent* agent = m_apps[n]->GetThreadAgent(i);
            if (agent) // null once the simulator has disposed of the application
            {
                m_wl->thread_fini(r.wl, i, agent->GetThread());
            }
        }
        struct tnode_counter_sink sink = {&CollectCounter, &r.counters};
        if (m_wl->counters)
        {
            m_wl->counters(r.wl, &sink);
        }
        for (const auto& kv : r.counters)
        {
            bool known = false;
            for (const std::string& k : m_counterNames)
            {
                known = known || k == "wl_" + kv.first;
            }
            if (!known)
            {
                m_counterNames.push_back("wl_" + kv.first);
            }
        }
        char msg[512] = "";
        r.verdictOk = m_wl->verdict(r.wl, msg, sizeof(msg)) == 0;
        r.verdict = msg;
    }
}

bool
TasvirStepWorkload::Write(const std::string& dir, std::string* error)
{
    Finish();
    m_files.clear();
    for (uint32_t n = 0; n < m_nodes.size(); n++)
    {
        char msg[256] = "";
        if (m_nodes[n].wl && WriteFiles(m_wl, m_nodes[n].wl, dir.c_str(), msg, sizeof(msg), 0))
        {
            *error = std::string("workload ") + m_wl->name + ", node " + std::to_string(n) +
                     ": " + (msg[0] ? std::string(msg) : std::string("cannot write its files"));
            return false;
        }
    }
    // The shared module's per-node files (node clocks) -> simulator time -> the join.
    std::vector<uint64_t> offsets;
    bool shared = false;
    for (uint32_t n = 0; n < m_apps.size(); n++)
    {
        uint16_t id = m_ids[n];
        if (offsets.size() <= id)
        {
            offsets.resize(id + 1, 0);
        }
        offsets[id] = m_apps[n]->GetClockOffsetNs();
        // the core's trace goes with the shared module's files (it is joined with them)
        if (access((dir + "/versions-node" + std::to_string(id) + ".csv").c_str(), F_OK) == 0 &&
            !TasvirSharedFilesWriteTrace(dir, id, m_apps[n]->GetTrace(), error))
        {
            return false;
        }
        for (const std::string& f : TasvirSharedFilesOfNode(dir, id))
        {
            m_files.push_back(f);
            shared = true;
        }
    }
    if (shared && (!TasvirSharedFilesToSimTime(dir, m_ids, offsets, error) ||
                   (m_join && !TasvirSharedFilesJoin(dir, m_ids, &m_files, error))))
    {
        return false;
    }
    if (m_samples.empty() || !m_wl->write_samples)
    {
        return true;
    }
    FILE* out = std::fopen(m_samples.c_str(), "w");
    if (!out)
    {
        *error = m_samples + ": " + std::strerror(errno);
        return false;
    }
    bool ok = true;
    for (uint32_t n = 0; n < m_nodes.size() && ok; n++)
    {
        // Each node writes a header line and its rows; keep the first header only.
        char* buf = nullptr;
        size_t len = 0;
        FILE* mem = open_memstream(&buf, &len);
        if (!mem)
        {
            ok = false;
            break;
        }
        int rc = m_nodes[n].wl ? m_wl->write_samples(m_nodes[n].wl, mem) : 0;
        std::fclose(mem);
        if (rc)
        {
            *error = m_samples + ": workload could not write the samples of node " +
                     std::to_string(n) + ": " + std::strerror(-rc);
            std::free(buf);
            std::fclose(out);
            return false;
        }
        const char* body = buf;
        if (n > 0)
        {
            const char* nl = buf ? std::strchr(buf, '\n') : nullptr;
            body = nl ? nl + 1 : "";
        }
        if (body && *body && std::fputs(body, out) == EOF)
        {
            ok = false;
        }
        std::free(buf);
    }
    ok = std::fclose(out) == 0 && ok;
    if (!ok)
    {
        *error = m_samples + ": write failed: " + std::strerror(errno);
    }
    size_t slash = m_samples.find_last_of('/');
    m_files.push_back(slash == std::string::npos ? m_samples : m_samples.substr(slash + 1));
    return ok;
}

bool
TasvirStepWorkload::Verdict(std::string* message) const
{
    for (uint32_t n = 0; n < m_nodes.size(); n++)
    {
        if (!m_nodes[n].verdictOk)
        {
            *message = "node " + std::to_string(m_ids[n]) + ": " + m_nodes[n].verdict;
            return false;
        }
    }
    *message = "ok";
    return true;
}

std::vector<std::string>
TasvirStepWorkload::CounterNames() const
{
    return m_counterNames;
}

std::vector<uint64_t>
TasvirStepWorkload::Counters(uint32_t node) const
{
    std::vector<uint64_t> v(m_counterNames.size(), 0);
    for (const auto& kv : m_nodes[node].counters)
    {
        for (size_t i = 0; i < m_counterNames.size(); i++)
        {
            if (m_counterNames[i] == "wl_" + kv.first)
            {
                v[i] = kv.second;
            }
        }
    }
    return v;
}

std::vector<std::string>
TasvirStepWorkload::Files() const
{
    return m_files;
}

} // namespace ns3

/*
 * tasvir-scenario.cc — see tasvir-scenario.h.
 *
 * Divided into: building (network, nodes, load, workload, streams), running, and the
 * output writers (CSV files with a fixed column order, the JSON manifest).
 */
#include "tasvir-scenario.h"

#include "tasvir-net-device.h"
#include "tasvir-node-app.h"
#include "tasvir-raw-traffic.h"
#include "tasvir-step-workload.h"
#include "tasvir-switch.h"

#include "tasvir-sim-gitrev.h"
#include "tasvir/sim.h"

#include "ns3/boolean.h"
#include "ns3/data-rate.h"
#include "ns3/double.h"
#include "ns3/node.h"
#include "ns3/object-factory.h"
#include "ns3/nstime.h"
#include "ns3/random-variable-stream.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"

#include <cerrno>
#include <cmath>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <jansson.h>

namespace ns3
{

/* Stream bases: each consumer owns a disjoint range, so adding nodes never shifts another
 * consumer's streams. */
static const int64_t kStreamNet = 0;
static const int64_t kStreamApps = 1000000;
static const int64_t kStreamRaw = 2000000;
static const int64_t kStreamWorkload = 3000000;
static const int64_t kStreamClocks = 4000000;

void
TasvirScenario::SetTimeResolution()
{
    if (Time::GetResolution() != Time::PS)
    {
        Time::SetResolution(Time::PS);
    }
}

std::vector<std::string>
TasvirScenario::WorkloadNames()
{
    return TasvirStepWorkload::Names();
}

bool
TasvirScenario::ValidateWorkload(const TasvirSimConfig& cfg, std::string* error)
{
    const struct tnode_workload* wl = TasvirStepWorkload::Find(cfg.workload);
    if (wl)
    {
        return TasvirStepWorkload::CheckParams(wl, cfg.WorkloadParams(), cfg.threads, error);
    }
    std::string all;
    for (const std::string& n : WorkloadNames())
    {
        all += (all.empty() ? "" : ", ") + n;
    }
    *error = "--workload: unknown workload '" + cfg.workload + "' (expected one of " + all + ")";
    return false;
}

TasvirScenario::TasvirScenario(const TasvirSimConfig& cfg)
    : m_cfg(cfg),
      m_skewNs(0),
      m_durationNs(0),
      m_events(0),
      m_built(false)
{
}

TasvirScenario::~TasvirScenario()
{
    if (m_workload)
    {
        m_workload->Stop();
    }
}

static std::string
Errno(const std::string& what)
{
    return what + ": " + std::strerror(errno);
}

bool
TasvirScenario::Build(std::string* error)
{
    if (m_built)
    {
        *error = "scenario already built";
        return false;
    }
    if (!m_cfg.Validate(error) || !ValidateWorkload(m_cfg, error))
    {
        return false;
    }
    if (m_cfg.calibration != "builtin" && !m_costs.Load(m_cfg.calibration, error))
    {
        return false;
    }
    uint64_t intNs, extNs, winNs, cpNs, linkDelayNs, swDelayNs, rateBps, hbNs;
    std::string e;
    ParseTimeNs(m_cfg.syncInt, &intNs, &e);
    ParseTimeNs(m_cfg.syncExt, &extNs, &e);
    ParseTimeNs(m_cfg.epochWindow, &winNs, &e);
    ParseTimeNs(m_cfg.checkinPeriod, &cpNs, &e);
    uint64_t idleNs = 0;
    ParseTimeNs(m_cfg.idlePoll, &idleNs, &e);
    // timer_late_ns and timer_wake_ns depend on how long the sleep is (on a virtual machine
    // an idle CPU halts, and a longer sleep lets it halt deeper): say so when the calibration
    // measured another sleep than the idle engine's
    uint64_t calSleepNs = (uint64_t)m_costs.Get().timer_sleep_ns;
    if (m_cfg.relax == "sleep" && calSleepNs != idleNs)
    {
        m_warnings.push_back("the calibration (" + m_cfg.calibration +
                             ") measured timed sleeps of " + std::to_string(calSleepNs) +
                             " ns (timer_sleep_ns), but --idlePoll is " +
                             std::to_string(idleNs) +
                             " ns: its timer_late_ns and timer_wake_ns may not hold for the idle "
                             "engine (tasvir-bench calibrate --idle-sleep-us measures them)");
    }
    std::vector<uint32_t> cpuList;
    if (!m_cfg.nodeCpu.empty())
    {
        ParseCpuList(m_cfg.nodeCpu, &cpuList, &e);
    }
    ParseTimeNs(m_cfg.linkDelay, &linkDelayNs, &e);
    ParseTimeNs(m_cfg.switchDelay, &swDelayNs, &e);
    ParseTimeNs(m_cfg.duration, &m_durationNs, &e);
    ParseRateBps(m_cfg.linkRate, &rateBps, &e);
    ParseTimeNs(m_cfg.hbPeriod, &hbNs, &e);
    m_skewNs = m_cfg.ClockSkewNs();

    std::error_code ec;
    std::filesystem::create_directories(m_cfg.out, ec);
    if (ec)
    {
        *error = m_cfg.out + ": cannot create output directory: " + ec.message();
        return false;
    }
    if (m_cfg.pcap)
    {
        std::filesystem::create_directories(m_cfg.out + "/pcap", ec);
        if (ec)
        {
            *error = m_cfg.out + "/pcap: cannot create directory: " + ec.message();
            return false;
        }
    }

    RngSeedManager::SetSeed((uint32_t)m_cfg.seed);
    RngSeedManager::SetRun(1);
    ObjectFactory sched;
    sched.SetTypeId(m_cfg.scheduler == "map"        ? "ns3::MapScheduler"
                    : m_cfg.scheduler == "calendar" ? "ns3::CalendarScheduler"
                    : m_cfg.scheduler == "heap"     ? "ns3::HeapScheduler"
                                                    : "ns3::PriorityQueueScheduler");
    Simulator::SetScheduler(sched);

    // Network.
    m_hosts.Create(m_cfg.nodes);
    for (uint32_t i = 0; i < m_cfg.nodes; i++)
    {
        uint8_t mac[6];
        tasvir_sim_mac((uint16_t)i, mac);
        Mac48Address m;
        m.CopyFrom(mac);
        m_macs.push_back(m);
    }
    m_star.SetDeviceAttribute("DataRate", DataRateValue(DataRate(rateBps)));
    m_star.SetDeviceAttribute("Mtu", UintegerValue(m_cfg.mtu));
    m_star.SetChannelAttribute("Delay", TimeValue(NanoSeconds(linkDelayNs)));
    m_star.SetSwitchAttribute("ForwardingDelay", TimeValue(NanoSeconds(swDelayNs)));
    m_star.SetSwitchQueueSize(QueueSize(QueueSizeUnit::PACKETS, m_cfg.queueFrames));
    m_star.SetHostQueueSize(QueueSize(QueueSizeUnit::PACKETS, m_cfg.hostQueueFrames));
    m_star.SetLossRate(m_cfg.lossRate);
    m_nics = m_star.Install(m_hosts, m_macs);
    m_star.AssignStreams(kStreamNet);

    // Tasvir nodes: every node knows every other as a peer; node 0 holds the root directory.
    // Clock offsets uniform in [0, skew): the core aligns syncs to a grid of its own clock,
    // so equal clocks would put every node's syncs in phase.
    Ptr<UniformRandomVariable> clocks = CreateObject<UniformRandomVariable>();
    clocks->SetStream(kStreamClocks);
    for (uint32_t i = 0; i < m_cfg.nodes; i++)
    {
        std::vector<struct tasvir_peer> peers;
        for (uint32_t j = 0; j < m_cfg.nodes; j++)
        {
            if (j != i)
            {
                struct tasvir_peer p;
                p.node_id = (uint16_t)j;
                m_macs[j].CopyTo(p.mac);
                peers.push_back(p);
            }
        }
        uint64_t offset = m_skewNs ? (uint64_t)clocks->GetValue(0, (double)m_skewNs) : 0;
        Ptr<TasvirNodeApp> app = CreateObject<TasvirNodeApp>();
        app->SetAttribute("TasvirId", UintegerValue(i));
        app->SetAttribute("Threads", UintegerValue(m_cfg.threads));
        app->SetAttribute("CheckinPeriod", TimeValue(NanoSeconds(cpNs)));
        app->SetAttribute("Relax", StringValue(m_cfg.relax));
        app->SetAttribute("IdlePoll", TimeValue(NanoSeconds(idleNs)));
        app->SetAttribute("EpochWindow", TimeValue(NanoSeconds(winNs)));
        app->SetAttribute("WaitRecheck", TimeValue(NanoSeconds(winNs)));
        app->SetAttribute("SyncInternal", TimeValue(NanoSeconds(intNs)));
        app->SetAttribute("SyncExternal", TimeValue(NanoSeconds(extNs)));
        app->SetAttribute("Addressing", StringValue(m_cfg.addressing));
        app->SetAttribute("RootNode", UintegerValue(0));
        app->SetAttribute("HeartbeatPeriod", TimeValue(NanoSeconds(hbNs)));
        app->SetAttribute("DownAfterHeartbeats", UintegerValue(m_cfg.downAfter));
        app->SetAttribute("ClockOffset", TimeValue(NanoSeconds(offset)));
        if (!cpuList.empty())
        {
            uint32_t cpu = cpuList[i % cpuList.size()];
            m_nodeCpu.push_back(cpu);
            std::unique_ptr<TasvirHostCpu>& c = m_cpus[cpu];
            if (!c)
            {
                c.reset(new TasvirHostCpu());
            }
            app->SetHostCpu(c.get());
        }
        m_hosts.Get(i)->AddApplication(app);
        int rc = app->Setup(DynamicCast<TasvirNetDevice>(m_nics.Get(i)),
                            m_star.GetSwitch(),
                            i,
                            &m_costs,
                            peers);
        if (rc)
        {
            *error = "node " + std::to_string(i) + ": setup failed: " + tasvir_strerror(rc);
            return false;
        }
        app->AssignStreams(kStreamApps + i);
        app->SetStartTime(Seconds(0));
        app->SetStopTime(NanoSeconds(m_durationNs));
        m_apps.push_back(app);
    }

    // Synthetic raw-frame load.
    if (m_cfg.rawRate > 0)
    {
        for (uint32_t i = 0; i < m_cfg.nodes; i++)
        {
            Ptr<TasvirRawTrafficApp> r = CreateObject<TasvirRawTrafficApp>();
            r->SetAttribute("Rate", DoubleValue(m_cfg.rawRate));
            r->SetAttribute("FrameBytes", UintegerValue(m_cfg.rawBytes));
            r->SetAttribute("Destination", StringValue(m_cfg.rawDest));
            m_hosts.Get(i)->AddApplication(r);
            r->Setup(m_apps[i], m_macs, i);
            r->AssignStreams(kStreamRaw + 2 * i);
            r->SetStartTime(Seconds(0));
            r->SetStopTime(NanoSeconds(m_durationNs));
            m_raw.push_back(r);
        }
    }

    // Workload: a stepped workload of tasvir-node (default versioned, the shared module).
    m_workload = Create<TasvirStepWorkload>(TasvirStepWorkload::Find(m_cfg.workload),
                                            m_cfg.WorkloadParams(),
                                            m_cfg.samples ? m_cfg.out + "/samples.csv" : "",
                                            m_cfg.seed,
                                            m_cfg.visibility);
    if (!m_workload->Install(m_apps, Seconds(0), error))
    {
        return false;
    }

    if (m_cfg.pcap)
    {
        for (uint32_t i = 0; i < m_cfg.nodes; i++)
        {
            TasvirStarHelper::EnablePcap(m_cfg.out + "/pcap/host-" + std::to_string(i) + ".pcap",
                                         DynamicCast<TasvirNetDevice>(m_nics.Get(i)));
        }
    }
    m_built = true;
    return true;
}

void
TasvirScenario::Run()
{
    uint64_t before = Simulator::GetEventCount();
    Simulator::Stop(NanoSeconds(m_durationNs));
    Simulator::Run();
    m_workload->Stop();
    m_events = Simulator::GetEventCount() - before;
}

/* ---- accessors ---- */

const TasvirSimConfig&
TasvirScenario::GetConfig() const
{
    return m_cfg;
}

const std::vector<Ptr<TasvirNodeApp>>&
TasvirScenario::GetApps() const
{
    return m_apps;
}

const std::vector<Ptr<TasvirRawTrafficApp>>&
TasvirScenario::GetRawApps() const
{
    return m_raw;
}

TasvirStarHelper&
TasvirScenario::GetStar()
{
    return m_star;
}

Ptr<TasvirWorkload>
TasvirScenario::GetWorkload() const
{
    return m_workload;
}

uint64_t
TasvirScenario::WorkloadCounter(const std::string& name) const
{
    std::vector<std::string> names = m_workload->CounterNames();
    uint64_t sum = 0;
    for (size_t k = 0; k < names.size(); k++)
    {
        if (names[k] == "wl_" + name)
        {
            for (uint32_t i = 0; i < m_apps.size(); i++)
            {
                sum += m_workload->Counters(i)[k];
            }
        }
    }
    return sum;
}

std::vector<uint64_t>
TasvirScenario::GetClockOffsetsNs() const
{
    std::vector<uint64_t> v;
    for (const Ptr<TasvirNodeApp>& a : m_apps)
    {
        v.push_back(a->GetClockOffsetNs());
    }
    return v;
}

const TasvirCostModel&
TasvirScenario::GetCostModel() const
{
    return m_costs;
}

uint64_t
TasvirScenario::GetDurationNs() const
{
    return m_durationNs;
}

uint64_t
TasvirScenario::GetEvents() const
{
    return m_events;
}

const std::vector<std::string>&
TasvirScenario::GetWarnings() const
{
    return m_warnings;
}

std::vector<std::string>
TasvirScenario::GetFiles() const
{
    std::vector<std::string> f = {"manifest.json", "counters.csv", "links.csv"};
    if (!m_raw.empty())
    {
        f.push_back("raw.csv");
    }
    for (const std::string& w : m_workload->Files())
    {
        f.push_back(w);
    }
    if (m_cfg.pcap)
    {
        for (uint32_t i = 0; i < m_cfg.nodes; i++)
        {
            f.push_back("pcap/host-" + std::to_string(i) + ".pcap");
        }
    }
    return f;
}

/* ---- outputs ---- */

namespace
{

/* A CSV file written row by row; remembers the first error. */
class Csv
{
  public:
    explicit Csv(const std::string& path)
        : m_path(path),
          m_f(fopen(path.c_str(), "w"))
    {
    }

    ~Csv()
    {
        if (m_f)
        {
            fclose(m_f);
        }
    }

    bool Ok() const
    {
        return m_f != nullptr;
    }

    void Header(const std::vector<std::string>& cols)
    {
        for (size_t i = 0; i < cols.size(); i++)
        {
            fprintf(m_f, "%s%s", i ? "," : "", cols[i].c_str());
        }
        fputc('\n', m_f);
    }

    void Named(uint64_t node, const std::string& name, uint64_t value)
    {
        fprintf(m_f, "%" PRIu64 ",%s,%" PRIu64 "\n", node, name.c_str(), value);
    }

    void Row(const std::vector<uint64_t>& vals)
    {
        for (size_t i = 0; i < vals.size(); i++)
        {
            fprintf(m_f, "%s%" PRIu64, i ? "," : "", vals[i]);
        }
        fputc('\n', m_f);
    }

    bool Close(std::string* error)
    {
        bool bad = ferror(m_f) != 0;
        bad = fclose(m_f) != 0 || bad;
        m_f = nullptr;
        if (bad)
        {
            *error = Errno(m_path + ": write failed");
        }
        return !bad;
    }

  private:
    std::string m_path;
    FILE* m_f;
};

} // namespace

bool
TasvirScenario::WriteCounters(const std::string& path, std::string* error) const
{
    Csv csv(path);
    if (!csv.Ok())
    {
        *error = Errno(path);
        return false;
    }
    std::vector<std::string> cols = {
        "node",           "epochs_ok",         "epochs_failed",      "epoch_ns",
        "barrier_ns",     "bytes_scanned",     "bytes_changed",      "bytes_copied",
        "versions_published", "threads_excluded", "threads_readmitted", "log_misuse",
        "polls",          "service_calls",     "checkins",           "epoch_wait_ns",
        "cpu_ns",         "kicks_epoch",       "kicks_done",         "kicks_engine",
        "frames_sent",    "frames_delivered",  "nic_refused",        "log_warnings",
        "port_tx_frames", "port_tx_bytes",     "port_tx_refused",    "port_rx_frames",
        "port_rx_bytes",  "port_rx_overflow",  "port_rx_nobuf",      "port_frames_max",
        "mem_bytes",      "mcast_joins",       "relax_calls",        "room_kicks",
        "frames_tx",      "bytes_tx",          "frames_rx",          "bytes_rx",
        "tx_failed",      "data_frames_tx",    "data_payload_tx",    "versions_sent",
        "full_resends",   "nack_resends",      "rounds_postponed",   "versions_rx_complete",
        "versions_rx_superseded",
        "versions_rx_published", "frames_deferred", "acks_tx",       "acks_rx",
        "nacks_tx",       "nacks_rx",          "hb_tx",              "hb_rx",
        "peers_down",     "peers_up",          "owner_restarts",     "rx_dropped",
        "clock_offset_ns"};
    std::vector<std::string> wl = m_workload->CounterNames();
    cols.insert(cols.end(), wl.begin(), wl.end());
    // Long format (docs/data-formats.md): node,name,value; names in a fixed order.
    csv.Header({"node", "name", "value"});
    for (uint32_t i = 0; i < m_apps.size(); i++)
    {
        const Ptr<TasvirNodeApp>& app = m_apps[i];
        struct tasvir_stats st;
        tasvir_node_stats(app->GetTasvirNode(), &st);
        struct tasvir_sim_port_stats ps;
        tasvir_sim_port_stats(app->GetPort(), &ps);
        const TasvirNodeApp::Counters& c = app->GetCounters();
        uint64_t rxDropped = 0;
        for (int r = 0; r < 16; r++)
        {
            rxDropped += st.rx_drop[r];
        }
        uint64_t checkins = 0;
        uint64_t waitNs = 0;
        for (uint32_t t = 0; t < app->GetNThreads(); t++)
        {
            checkins += app->GetThreadAgent(t)->GetCheckins();
            waitNs += app->GetThreadAgent(t)->GetWaitNs();
        }
        std::vector<uint64_t> row = {
            app->GetTasvirId(), st.epochs_ok,         st.epochs_failed,      st.epoch_ns,
            st.barrier_ns,      st.bytes_scanned,     st.bytes_changed,      st.bytes_copied,
            st.versions_published, st.threads_excluded, st.threads_readmitted, st.log_misuse,
            c.polls,            c.serviceCalls,       checkins,              waitNs,
            c.cpuNs,            c.kicksEpoch,         c.kicksDone,           c.kicksEngine,
            c.framesSent,       c.framesDelivered,    c.nicRefused,          c.logWarnings,
            ps.tx_frames,       ps.tx_bytes,          ps.tx_refused,         ps.rx_frames,
            ps.rx_bytes,        ps.rx_overflow,       ps.rx_nobuf,           ps.frames_max,
            ps.mem_bytes_now,   ps.mcast_joins,       c.relaxCalls,          c.roomKicks,
            st.frames_tx,       st.bytes_tx,          st.frames_rx,          st.bytes_rx,
            st.tx_failed,       st.data_frames_tx,    st.data_payload_tx,    st.versions_sent,
            st.full_resends,    st.nack_resends,      st.rounds_postponed,   st.versions_rx_complete,
            st.versions_rx_superseded, st.versions_rx_published, st.frames_deferred,
            st.acks_tx,         st.acks_rx,           st.nacks_tx,           st.nacks_rx,
            st.hb_tx,           st.hb_rx,             st.peers_down,         st.peers_up,
            st.owner_restarts,  rxDropped,            app->GetClockOffsetNs()};
        std::vector<uint64_t> w = m_workload->Counters(i);
        row.insert(row.end(), w.begin(), w.end());
        for (size_t k = 1; k < cols.size(); k++)
        {
            csv.Named(row[0], cols[k], row[k]);
        }
    }
    return csv.Close(error);
}

bool
TasvirScenario::WriteLinks(const std::string& path, std::string* error) const
{
    Csv csv(path);
    if (!csv.Ok())
    {
        *error = Errno(path);
        return false;
    }
    csv.Header({"node",
                "host_tx_frames",
                "host_tx_bytes",
                "host_queue_drops",
                "host_rx_frames",
                "host_rx_lost",
                "host_rx_filtered",
                "switch_tx_frames",
                "switch_tx_bytes",
                "switch_queue_drops",
                "switch_rx_frames",
                "switch_rx_lost"});
    Ptr<TasvirSwitch> sw = const_cast<TasvirStarHelper&>(m_star).GetSwitch();
    for (uint32_t i = 0; i < m_apps.size(); i++)
    {
        Ptr<TasvirNetDevice> h = DynamicCast<TasvirNetDevice>(m_nics.Get(i));
        Ptr<TasvirNetDevice> s = sw->GetPort(i);
        csv.Row({i,
                 h->GetTxFrames(),
                 h->GetTxBytes(),
                 h->GetQueueDrops(),
                 h->GetRxFrames(),
                 h->GetRxErrorDrops(),
                 h->GetRxFilterDrops(),
                 s->GetTxFrames(),
                 s->GetTxBytes(),
                 s->GetQueueDrops(),
                 s->GetRxFrames(),
                 s->GetRxErrorDrops()});
    }
    return csv.Close(error);
}

bool
TasvirScenario::WriteRaw(const std::string& path, std::string* error) const
{
    Csv csv(path);
    if (!csv.Ok())
    {
        *error = Errno(path);
        return false;
    }
    csv.Header({"node",
                "tx_frames",
                "tx_refused",
                "tx_no_frame",
                "rx_frames",
                "rx_bytes",
                "rx_gaps",
                "latency_mean_ns",
                "latency_max_ns"});
    for (uint32_t i = 0; i < m_raw.size(); i++)
    {
        const TasvirRawTrafficApp::Counters& c = m_raw[i]->GetCounters();
        csv.Row({i,
                 c.txFrames,
                 c.txRefused,
                 c.txNoFrame,
                 c.rxFrames,
                 c.rxBytes,
                 c.rxGaps,
                 c.rxFrames ? c.latencySumNs / c.rxFrames : 0,
                 c.latencyMaxNs});
    }
    return csv.Close(error);
}

static uint64_t
TimeNs(const std::string& v)
{
    uint64_t x = 0;
    std::string e;
    ParseTimeNs(v, &x, &e);
    return x;
}

json_t*
TasvirScenario::ContractParams() const
{
    // Flat, units in the names: what tasvir-analyze plots against (--x-param).
    json_t* p = json_object();
    uint64_t bps = 0;
    std::string e;
    ParseRateBps(m_cfg.linkRate, &bps, &e);
    json_object_set_new(p, "nodes", json_integer(m_cfg.nodes));
    json_object_set_new(p, "threads", json_integer(m_cfg.threads));
    json_object_set_new(p, "sync_int_us", json_integer((json_int_t)(TimeNs(m_cfg.syncInt) / 1000)));
    json_object_set_new(p, "sync_ext_us", json_integer((json_int_t)(TimeNs(m_cfg.syncExt) / 1000)));
    json_object_set_new(p, "loss_pct", json_real(m_cfg.lossRate * 100));
    json_object_set_new(p, "link_rate_bps", json_integer((json_int_t)bps));
    json_object_set_new(p, "link_delay_ns", json_integer((json_int_t)TimeNs(m_cfg.linkDelay)));
    json_object_set_new(p, "switch_delay_ns", json_integer((json_int_t)TimeNs(m_cfg.switchDelay)));
    json_object_set_new(p, "mtu", json_integer(m_cfg.mtu));
    json_object_set_new(p, "addressing", json_string(m_cfg.addressing.c_str()));
    json_object_set_new(p, "relax", json_string(m_cfg.relax.c_str()));
    json_object_set_new(p, "node_cpu", json_string(m_cfg.nodeCpu.c_str()));
    json_object_set_new(p, "workload", json_string(m_cfg.workload.c_str()));
    json_object_set_new(p, "duration_ns", json_integer((json_int_t)TimeNs(m_cfg.duration)));
    json_object_set_new(p, "clock_skew_ns", json_integer((json_int_t)m_skewNs));
    for (const TasvirWorkload::Param& w : m_workload->Params())
    {
        json_object_set_new(p,
                            w.key.c_str(),
                            w.numeric ? json_real(w.num) : json_string(w.str.c_str()));
    }
    return p;
}

uint64_t
TasvirScenario::AnalyticBoundNs() const
{
    // DESIGN.md §6: owner internal + external interval + transmission + one-way delay +
    // reader internal.  Transmission: one external round of every area of one owner (the
    // lines its writer can change in one external interval, a header line per write, at
    // most the whole area, in full frames, plus the end-of-version frame) to each of its
    // subscribers (one copy per subscriber with unicast, one with multicast) at the link
    // rate; one-way delay: two hops of propagation and one frame's serialization each, plus
    // the switch.  Needs the write parameters of the shared workload (versioned); unknown
    // (0) for other workloads.
    double areaBytes = -1, writeRate = -1, linesPerWrite = -1, areas = -1;
    std::string subscription;
    for (const TasvirWorkload::Param& w : m_workload->Params())
    {
        if (w.key == "area_bytes" && w.numeric)
        {
            areaBytes = w.num;
        }
        else if (w.key == "write_rate_hz" && w.numeric)
        {
            writeRate = w.num;
        }
        else if (w.key == "lines_per_write" && w.numeric)
        {
            linesPerWrite = w.num;
        }
        else if (w.key == "areas_per_node" && w.numeric)
        {
            areas = w.num;
        }
        else if (w.key == "subscription" && !w.numeric)
        {
            subscription = w.str;
        }
    }
    if (areaBytes < 0 || writeRate < 0 || linesPerWrite < 0 || areas < 0 || subscription.empty())
    {
        return 0;
    }
    uint64_t intNs = TimeNs(m_cfg.syncInt), extNs = TimeNs(m_cfg.syncExt);
    uint64_t lines = ((uint64_t)areaBytes + 63) / 64;
    double writes = std::ceil(writeRate * (double)extNs / 1e9);
    double perExt = writes * (linesPerWrite + 1);
    uint64_t changed = perExt < (double)lines ? (uint64_t)perExt : lines;
    // docs/protocol.md: 56-byte Tasvir header, one 8-byte segment header, whole lines
    uint64_t linesPerFrame = (m_cfg.mtu - 56 - 8) / 64;
    uint64_t frames = (uint64_t)areas * ((changed + linesPerFrame - 1) / linesPerFrame);
    uint64_t bps = 0;
    std::string e;
    ParseRateBps(m_cfg.linkRate, &bps, &e);
    double frameNs = (double)(m_cfg.mtu + 14 + 24) * 8e9 / (double)bps;
    double vendNs = (double)(60 + 24) * 8e9 / (double)bps;
    uint64_t subscribers = subscription == "none" ? 0 : m_cfg.nodes - 1;
    uint64_t copies = m_cfg.addressing == "multicast" ? (subscribers ? 1 : 0) : subscribers;
    double transmission = (double)copies * ((double)frames * frameNs + areas * vendNs);
    uint64_t oneWay = 2 * TimeNs(m_cfg.linkDelay) + TimeNs(m_cfg.switchDelay) +
                      (uint64_t)(2 * frameNs);
    return intNs + extNs + (uint64_t)transmission + oneWay + intNs;
}

bool
TasvirScenario::WriteManifest(const std::string& path, std::string* error) const
{
    json_t* root = json_object();
    // Keys of docs/data-formats.md first (label, mode, seed, git_rev, params,
    // analytic_bound_ns, clock_error_ns), then tasvir-sim's own.
    json_object_set_new(root, "label", json_string(m_cfg.label.c_str()));
    json_object_set_new(root, "mode", json_string("sim"));
    json_object_set_new(root, "seed", json_integer((json_int_t)m_cfg.seed));
    json_object_set_new(root, "git_rev", json_string(TASVIR_SIM_GIT_DESCRIBE));
    json_object_set_new(root, "params", ContractParams());
    uint64_t bound = AnalyticBoundNs();
    json_object_set_new(root, "analytic_bound_ns",
                        bound ? json_integer((json_int_t)bound) : json_null());
    json_object_set_new(root, "clock_error_ns", json_integer(0));
    json_object_set_new(root, "program", json_string("tasvir-sim"));
    json_object_set_new(root, "manifest_format", json_integer(1));
    json_object_set_new(root, "backend", json_string("ns-3 3.37 (TasvirNetDevice, TasvirSwitch)"));
    json_object_set_new(root, "git_revision", json_string(TASVIR_SIM_GIT_REV));
    json_object_set_new(root, "machine", json_string("ns-3 3.37 simulation"));
    json_object_set_new(root, "git_dirty_at_build", json_boolean(TASVIR_SIM_GIT_DIRTY));

    json_t* params = json_object();
    TasvirSimConfig cfg = m_cfg; // Options() binds to a mutable object
    for (const TasvirSimConfig::Option& o : cfg.Options())
    {
        std::string v = o.get();
        json_t* j;
        if (o.kind == "list")
        {
            j = json_array();
            for (const auto& kv : m_cfg.params)
            {
                json_array_append_new(j, json_string((kv.first + "=" + kv.second).c_str()));
            }
        }
        else if (o.kind == "uint")
        {
            j = json_integer((json_int_t)std::stoull(v));
        }
        else if (o.kind == "double")
        {
            j = json_real(std::stod(v));
        }
        else if (o.kind == "bool")
        {
            j = json_boolean(v == "true");
        }
        else
        {
            j = json_string(v.c_str());
        }
        json_object_set_new(params, o.name.c_str(), j);
    }
    json_object_set_new(root, "options", params);

    json_t* resolved = json_object();
    auto ns = [&](const char* key, const std::string& v) {
        uint64_t x = 0;
        std::string e;
        ParseTimeNs(v, &x, &e);
        json_object_set_new(resolved, key, json_integer((json_int_t)x));
    };
    ns("sync_int_ns", m_cfg.syncInt);
    ns("sync_ext_ns", m_cfg.syncExt);
    ns("epoch_window_ns", m_cfg.epochWindow);
    ns("checkin_period_ns", m_cfg.checkinPeriod);
    ns("idle_poll_ns", m_cfg.idlePoll);
    ns("link_delay_ns", m_cfg.linkDelay);
    ns("switch_delay_ns", m_cfg.switchDelay);
    ns("duration_ns", m_cfg.duration);
    uint64_t bps = 0;
    std::string e;
    ParseRateBps(m_cfg.linkRate, &bps, &e);
    json_object_set_new(resolved, "link_rate_bps", json_integer((json_int_t)bps));
    // Shared host CPUs (--nodeCpu): which nodes, and how busy they were.
    json_t* cpus = json_array();
    for (const auto& c : m_cpus)
    {
        json_t* o = json_object();
        json_t* nodes = json_array();
        for (size_t i = 0; i < m_nodeCpu.size(); i++)
        {
            if (m_nodeCpu[i] == c.first)
            {
                json_array_append_new(nodes, json_integer((json_int_t)i));
            }
        }
        json_object_set_new(o, "cpu", json_integer(c.first));
        json_object_set_new(o, "nodes", nodes);
        json_object_set_new(o, "busy_ns", json_integer((json_int_t)c.second->busyNs));
        json_object_set_new(o, "switches", json_integer((json_int_t)c.second->switches));
        json_array_append_new(cpus, o);
    }
    json_object_set_new(resolved, "host_cpus", cpus);
    json_object_set_new(resolved, "time_resolution", json_string("ps"));
    json_object_set_new(resolved, "clock_skew_ns", json_integer((json_int_t)m_skewNs));
    json_t* offs = json_array();
    for (uint64_t o : GetClockOffsetsNs())
    {
        json_array_append_new(offs, json_integer((json_int_t)o));
    }
    // node i's clock reads simulator time + clock_offsets_ns[i]; every file is in
    // simulator time
    json_object_set_new(resolved, "clock_offsets_ns", offs);
    json_object_set_new(root, "resolved", resolved);

    json_t* cal = json_object();
    if (m_costs.Path().empty())
    {
        json_object_set_new(cal, "path", json_null());
        json_object_set_new(cal, "source", json_string("built-in defaults"));
    }
    else
    {
        char sum[17];
        snprintf(sum, sizeof(sum), "%016" PRIx64, m_costs.Checksum());
        json_object_set_new(cal, "path", json_string(m_costs.Path().c_str()));
        json_object_set_new(cal, "fnv1a64", json_string(sum));
    }
    json_t* vals = json_object();
    for (const auto& kv : m_costs.Values())
    {
        json_object_set_new(vals, kv.first.c_str(), json_real(kv.second));
    }
    json_object_set_new(cal, "values", vals);
    json_t* def = json_array();
    for (const std::string& k : m_costs.Defaulted())
    {
        json_array_append_new(def, json_string(k.c_str()));
    }
    json_object_set_new(cal, "defaulted", def);
    json_t* meta = json_object();
    for (const auto& kv : m_costs.Metadata())
    {
        json_object_set_new(meta, kv.first.c_str(), json_string(kv.second.c_str()));
    }
    json_object_set_new(cal, "metadata", meta);
    json_object_set_new(root, "calibration", cal);

    json_t* summary = json_object();
    json_object_set_new(summary, "simulated_ns", json_integer((json_int_t)m_durationNs));
    json_object_set_new(summary, "events", json_integer((json_int_t)m_events));
    uint64_t epochs = 0, failed = 0, versions = 0;
    for (const Ptr<TasvirNodeApp>& app : m_apps)
    {
        struct tasvir_stats st;
        tasvir_node_stats(app->GetTasvirNode(), &st);
        epochs += st.epochs_ok;
        failed += st.epochs_failed;
        versions += st.versions_published;
    }
    json_object_set_new(summary, "epochs_ok", json_integer((json_int_t)epochs));
    json_object_set_new(summary, "epochs_failed", json_integer((json_int_t)failed));
    json_object_set_new(summary, "versions_published", json_integer((json_int_t)versions));
    std::string verdict;
    bool ok = m_workload->Verdict(&verdict);
    json_object_set_new(summary, "workload_verdict_ok", json_boolean(ok));
    json_object_set_new(summary, "workload_verdict", json_string(verdict.c_str()));
    for (const std::string& c : m_workload->CounterNames())
    {
        // the workload's invariants and volumes at a glance (all of them: counters.csv)
        static const char* const kShown[] = {"wl_writes",
                                             "wl_samples",
                                             "wl_probe_torn",
                                             "wl_probe_backwards",
                                             "wl_changed_without_version",
                                             "wl_targets",
                                             "wl_targets_attached",
                                             "wl_targets_converged"};
        for (const char* k : kShown)
        {
            if (c == k)
            {
                json_object_set_new(summary,
                                    k,
                                    json_integer((json_int_t)WorkloadCounter(c.substr(3))));
            }
        }
    }
    Ptr<TasvirSwitch> sw = const_cast<TasvirStarHelper&>(m_star).GetSwitch();
    json_object_set_new(summary, "switch_frames_in", json_integer((json_int_t)sw->GetFramesIn()));
    json_object_set_new(summary, "switch_copies_out", json_integer((json_int_t)sw->GetCopiesOut()));
    json_object_set_new(summary, "switch_no_route", json_integer((json_int_t)sw->GetNoRoute()));
    json_object_set_new(root, "summary", summary);

    json_t* files = json_array();
    for (const std::string& f : GetFiles())
    {
        json_array_append_new(files, json_string(f.c_str()));
    }
    json_object_set_new(root, "files", files);

    char* text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    FILE* f = text ? fopen(path.c_str(), "w") : nullptr;
    bool written = f && fputs(text, f) != EOF && fputc('\n', f) != EOF;
    written = (f && fclose(f) == 0) && written;
    free(text);
    if (!written)
    {
        *error = Errno(path + ": cannot write manifest");
        return false;
    }
    return true;
}

bool
TasvirScenario::WriteOutputs(std::string* error)
{
    const std::string& d = m_cfg.out;
    return m_workload->Write(d, error) && WriteCounters(d + "/counters.csv", error) &&
           WriteLinks(d + "/links.csv", error) &&
           (m_raw.empty() || WriteRaw(d + "/raw.csv", error)) &&
           WriteManifest(d + "/manifest.json", error);
}

} // namespace ns3

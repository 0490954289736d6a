/*
 * tasvir-node-app.cc — see tasvir-node-app.h.
 *
 * Divided into: type registration, setup and teardown, the two call wrappers (CallPoll,
 * CallService) with kick dispatch, and the host callbacks of the sim port (clock,
 * transmit, receive, multicast, relax, log).
 */
#include "tasvir-node-app.h"

#include "tasvir-net-device.h"
#include "tasvir-switch.h"

// The shared module's C header (its trace buffer); no extern "C" guards of its own.
extern "C"
{
#include "../experiments/workload/workload.h"
}

#include "ns3/abort.h"
#include "ns3/enum.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/random-variable-stream.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <algorithm>
#include <cerrno>
#include <iostream>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirNodeApp");
NS_OBJECT_ENSURE_REGISTERED(TasvirNodeApp);

TypeId
TasvirNodeApp::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::TasvirNodeApp")
            .SetParent<Application>()
            .SetGroupName("Tasvir")
            .AddConstructor<TasvirNodeApp>()
            .AddAttribute("TasvirId",
                          "Node id of this Tasvir node (unique, < TASVIR_MAX_NODES).",
                          UintegerValue(0),
                          MakeUintegerAccessor(&TasvirNodeApp::m_tasvirId),
                          MakeUintegerChecker<uint16_t>(0, TASVIR_MAX_NODES - 1))
            .AddAttribute("Threads",
                          "Worker threads registered and activated at setup.",
                          UintegerValue(2),
                          MakeUintegerAccessor(&TasvirNodeApp::m_nThreads),
                          MakeUintegerChecker<uint32_t>(1, 1024))
            .AddAttribute("CheckinPeriod",
                          "Interval between two check-ins of a busy worker thread.",
                          TimeValue(MicroSeconds(10)),
                          MakeTimeAccessor(&TasvirNodeApp::m_checkinPeriod),
                          MakeTimeChecker(NanoSeconds(1)))
            .AddAttribute("Relax",
                          "How the node's idle threads wait: spin (dedicated cores) or sleep "
                          "(woken by kicks after sleep_wake_ns; the idle engine polls every "
                          "IdlePoll plus timer_late_ns and finds frames only when it polls).",
                          EnumValue(0),
                          MakeEnumAccessor(&TasvirNodeApp::m_sleep),
                          MakeEnumChecker(0, "spin", 1, "sleep"))
            .AddAttribute("IdlePoll",
                          "Relax sleep: how long the idle engine sleeps between two polls.",
                          TimeValue(MicroSeconds(20)),
                          MakeTimeAccessor(&TasvirNodeApp::m_idlePoll),
                          MakeTimeChecker(NanoSeconds(1)))
            .AddAttribute("EpochWindow",
                          "Check-in window of an internal-sync epoch.",
                          TimeValue(MicroSeconds(50)),
                          MakeTimeAccessor(&TasvirNodeApp::m_epochWindow),
                          MakeTimeChecker(NanoSeconds(1)))
            .AddAttribute("SyncInternal",
                          "Default internal sync interval of new areas (whole us).",
                          TimeValue(MilliSeconds(1)),
                          MakeTimeAccessor(&TasvirNodeApp::m_syncInternal),
                          MakeTimeChecker(MicroSeconds(1)))
            .AddAttribute("SyncExternal",
                          "Default external sync interval of new areas (whole us).",
                          TimeValue(MilliSeconds(10)),
                          MakeTimeAccessor(&TasvirNodeApp::m_syncExternal),
                          MakeTimeChecker(MicroSeconds(1)))
            .AddAttribute("ExcludeAfterMisses",
                          "Missed epoch windows after which a thread is excluded.",
                          UintegerValue(8),
                          MakeUintegerAccessor(&TasvirNodeApp::m_excludeAfter),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("WaitRecheck",
                          "A thread waiting in an epoch calls tasvir_service again after "
                          "this long if no DONE kick came (a safety net).",
                          TimeValue(MicroSeconds(50)),
                          MakeTimeAccessor(&TasvirNodeApp::m_waitRecheck),
                          MakeTimeChecker(NanoSeconds(1)))
            .AddAttribute("PoolFrames",
                          "Most frames the node's backend port has alive at once.",
                          UintegerValue(8192),
                          MakeUintegerAccessor(&TasvirNodeApp::m_poolFrames),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("RxQueueFrames",
                          "Received frames waiting for the sync engine before drops.",
                          UintegerValue(4096),
                          MakeUintegerAccessor(&TasvirNodeApp::m_rxQueueFrames),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("Addressing",
                          "How owners fan out data frames: one copy per subscriber, or one "
                          "per area multicast group.",
                          EnumValue(TASVIR_ADDR_UNICAST),
                          MakeEnumAccessor(&TasvirNodeApp::m_addressing),
                          MakeEnumChecker(TASVIR_ADDR_UNICAST,
                                          "unicast",
                                          TASVIR_ADDR_MULTICAST,
                                          "multicast"))
            .AddAttribute("RootNode",
                          "Node id holding the root directory.",
                          UintegerValue(0),
                          MakeUintegerAccessor(&TasvirNodeApp::m_rootNode),
                          MakeUintegerChecker<uint16_t>(0, TASVIR_MAX_NODES - 1))
            .AddAttribute("HeartbeatPeriod",
                          "Heartbeat period (whole us).",
                          TimeValue(MilliSeconds(10)),
                          MakeTimeAccessor(&TasvirNodeApp::m_hbPeriod),
                          MakeTimeChecker(MicroSeconds(1)))
            .AddAttribute("DownAfterHeartbeats",
                          "Silent heartbeat periods before a peer is declared down.",
                          UintegerValue(5),
                          MakeUintegerAccessor(&TasvirNodeApp::m_downAfter),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("ClockOffset",
                          "This node's clock runs ahead of simulator time by this much "
                          "(unsynchronised clocks; 0: all clocks equal).",
                          TimeValue(Time(0)),
                          MakeTimeAccessor(&TasvirNodeApp::m_clockOffset),
                          MakeTimeChecker(Time(0)))
            .AddTraceSource("Poll",
                            "The sync engine polled: (return code, modelled cost in ns).",
                            MakeTraceSourceAccessor(&TasvirNodeApp::m_pollTrace),
                            "ns3::TasvirNodeApp::PollTracedCallback")
            .AddTraceSource("Service",
                            "A thread called tasvir_service: (thread, return code, cost ns).",
                            MakeTraceSourceAccessor(&TasvirNodeApp::m_serviceTrace),
                            "ns3::TasvirNodeApp::ServiceTracedCallback")
            .AddTraceSource("FrameTx",
                            "The core sent a frame (payload after the Ethernet header).",
                            MakeTraceSourceAccessor(&TasvirNodeApp::m_frameTxTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("FrameRx",
                            "A Tasvir frame arrived for the core (payload).",
                            MakeTraceSourceAccessor(&TasvirNodeApp::m_frameRxTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("AfterCall",
                            "A call into the core (poll or service) returned: versions may "
                            "have been published.",
                            MakeTraceSourceAccessor(&TasvirNodeApp::m_afterCallTrace),
                            "ns3::TracedCallback::Void");
    return tid;
}

TasvirNodeApp::TasvirNodeApp()
    : m_tasvirId(0),
      m_nThreads(2),
      m_excludeAfter(8),
      m_poolFrames(8192),
      m_rxQueueFrames(4096),
      m_addressing(TASVIR_ADDR_UNICAST),
      m_rootNode(0),
      m_downAfter(5),
      m_switchPort(0),
      m_costs(nullptr),
      m_port(nullptr),
      m_tnode(nullptr),
      m_inCall(false),
      m_heldKicks(0),
      m_callTxCostNs(0),
      m_callSent(false),
      m_nPeers(0),
      m_ctr()
{
    m_rng = CreateObject<UniformRandomVariable>();
}

TasvirNodeApp::~TasvirNodeApp()
{
    tasvir_node_destroy(m_tnode);
    tasvir_sim_port_destroy(m_port);
    tsv_trace_free(m_trace);
}

uint64_t
TasvirNodeApp::NowNs()
{
    // Integer division by the steps per ns: Time::GetNanoSeconds converts through a
    // 128-bit fixed-point division, and this runs on every clock read of the core.
    static const int64_t stepsPerNs = NanoSeconds(1).GetTimeStep();
    int64_t ts = Simulator::Now().GetTimeStep();
    return (uint64_t)(stepsPerNs > 1 ? ts / stepsPerNs : ts);
}

/* ---- setup ---- */

int
TasvirNodeApp::Setup(Ptr<TasvirNetDevice> nic,
                     Ptr<TasvirSwitch> sw,
                     uint32_t port,
                     const TasvirCostModel* costs,
                     const std::vector<struct tasvir_peer>& peers)
{
    NS_ABORT_MSG_IF(m_tnode, "TasvirNodeApp::Setup called twice");
    NS_ABORT_MSG_IF(!nic || !costs, "TasvirNodeApp::Setup needs a NIC and a cost model");
    NS_ABORT_MSG_IF(!GetNode(), "TasvirNodeApp::Setup: add the application to a node first");
    m_nic = nic;
    m_switch = sw;
    m_switchPort = port;
    m_costs = costs;

    struct tasvir_sim_port_conf pc;
    tasvir_sim_port_conf_init(&pc);
    pc.node_id = m_tasvirId;
    Mac48Address::ConvertFrom(nic->GetAddress()).CopyTo(pc.mac);
    pc.mac_set = 1;
    pc.mtu = nic->GetMtu();
    pc.pool_frames = m_poolFrames;
    pc.rx_queue_max = m_rxQueueFrames;
    pc.host.ctx = this;
    pc.host.now_ns = &TasvirNodeApp::HostNow;
    pc.host.transmit = &TasvirNodeApp::HostTransmit;
    pc.host.kick = &TasvirNodeApp::HostKick;
    pc.host.mcast = &TasvirNodeApp::HostMcast;
    pc.host.relax = &TasvirNodeApp::HostRelax;
    int rc = tasvir_sim_port_create(&pc, &m_port);
    if (rc)
    {
        return rc;
    }

    struct tasvir_node_conf nc;
    tasvir_node_conf_init(&nc);
    nc.backend = tasvir_sim_port_backend(m_port);
    nc.max_threads = m_nThreads;
    nc.epoch_window_ns = (uint64_t)m_epochWindow.GetNanoSeconds();
    nc.exclude_after_misses = m_excludeAfter;
    nc.sync_int_us = (uint64_t)m_syncInternal.GetMicroSeconds();
    nc.sync_ext_us = (uint64_t)m_syncExternal.GetMicroSeconds();
    nc.log_fn = &TasvirNodeApp::LogSink;
    nc.log_arg = this;
    nc.log_level = TASVIR_LOG_INFO;
    // one thread (the simulator's): the buffer grows instead of dropping
    tsv_trace_free(m_trace);
    m_trace = tsv_trace_new(4096, true);
    if (!m_trace)
    {
        return -ENOMEM;
    }
    nc.trace_fn = tsv_trace_sink;
    nc.trace_arg = m_trace;
    nc.peers = peers.empty() ? nullptr : peers.data();
    nc.n_peers = peers.size();
    m_nPeers = (uint32_t)peers.size();
    nc.root_node = m_rootNode;
    nc.addressing = m_addressing;
    nc.hb_period_us = (uint64_t)m_hbPeriod.GetMicroSeconds();
    nc.down_after_hb = m_downAfter;
    rc = tasvir_node_create(&nc, &m_tnode);
    if (rc)
    {
        return rc;
    }
    for (uint32_t i = 0; i < m_nThreads; i++)
    {
        struct tasvir_thread* t = nullptr;
        rc = tasvir_thread_register(m_tnode, &t);
        if (rc == 0)
        {
            rc = tasvir_thread_activate(t); // no epoch can run before the engine starts
        }
        if (rc)
        {
            return rc;
        }
        m_threads.push_back(t);
        m_agents.emplace_back(new TasvirThreadAgent(this, i, t));
    }
    m_engine.reset(new TasvirEngineAgent(this));
    GetNode()->RegisterProtocolHandler(MakeCallback(&TasvirNodeApp::ReceiveFrame, this),
                                       kEtherType,
                                       nic,
                                       true); // promiscuous: the handler needs the destination
    return 0;
}

int64_t
TasvirNodeApp::AssignStreams(int64_t stream)
{
    m_rng->SetStream(stream);
    return 1;
}

uint64_t
TasvirNodeApp::DrawPhaseNs(uint64_t periodNs)
{
    return periodNs > 1 ? (uint64_t)m_rng->GetInteger(0, (uint32_t)(periodNs - 1)) : 0;
}

uint64_t
TasvirNodeApp::DrawJitterNs()
{
    double j = m_costs->Get().checkin_jitter_ns;
    return j > 0 ? (uint64_t)m_rng->GetValue(0, j) : 0;
}

bool
TasvirNodeApp::Sleeps() const
{
    return m_sleep != 0;
}

void
TasvirNodeApp::SetHostCpu(TasvirHostCpu* cpu)
{
    m_hostCpu = cpu;
}

void
TasvirNodeApp::AddCallCostNs(uint64_t ns)
{
    m_traceCostNs += ns;
}

TasvirHostCpu*
TasvirNodeApp::GetHostCpu() const
{
    return m_hostCpu;
}

bool
TasvirNodeApp::AcquireCpu(const void* who, uint64_t nowNs, uint64_t* runAtNs, bool timerWake)
{
    TasvirHostCpu* c = m_hostCpu;
    if (!c)
    {
        return true;
    }
    // First come, first served: an agent refused while the CPU was busy queues, and when it
    // frees the first in the queue takes it.  The others retry just after (the first one's
    // retry may be later in this instant's events) and then wait for it; a first one that
    // has not come back within kClaimNs (its retry was replaced by a later wake-up) loses
    // its place.
    const uint64_t kClaimNs = 1000;
    if (c->switchedIn == who && nowNs >= c->freeAt)
    {
        c->switchedIn = nullptr; // the switch to it is over: it runs now (runStart is set)
        return true;
    }
    // An agent that goes on at the instant its last action ended (it did not sleep in
    // between) keeps the CPU ahead of the queue, for up to one scheduler slice of
    // continuous running: Linux does not let a woken thread preempt a running one before
    // that (EEVDF's run-to-parity; CFS's wakeup granularity).  kSliceNs is Linux's default
    // for a 2-CPU host (0.75 ms x (1 + log2 2)); continuous runs here are far shorter, and
    // 0.1 to 1.5 ms gave the same results.
    const uint64_t kSliceNs = 1500000;
    if (c->last == who && nowNs == c->freeAt && nowNs < c->runStart + kSliceNs)
    {
        return true;
    }
    auto queued = std::find(c->waiting.begin(), c->waiting.end(), who);
    if (nowNs < c->freeAt)
    {
        if (queued == c->waiting.end())
        {
            c->waiting.push_back(who);
        }
        // 1 ns after it frees: the agent that held it, if it goes on at once, comes first
        *runAtNs = c->freeAt + 1;
        return false;
    }
    while (!c->waiting.empty() && c->waiting.front() != who && nowNs > c->freeAt + kClaimNs)
    {
        c->waiting.pop_front();
    }
    if (!c->waiting.empty() && c->waiting.front() != who)
    {
        if (queued == c->waiting.end())
        {
            c->waiting.push_back(who);
        }
        *runAtNs = nowNs > c->freeAt ? c->freeAt + kClaimNs + 1 : nowNs + 1;
        return false;
    }
    if (!c->waiting.empty())
    {
        c->waiting.pop_front();
    }
    if (c->last == who && nowNs == c->freeAt)
    {
        c->runStart = nowNs; // a new slice of the agent that had it: it goes on
    }
    else
    {
        // Another agent, or the one that had it after sleeping (the CPU idled meanwhile:
        // the kernel switches from its idle task to the woken thread, which costs the
        // same).  A thread its own timer woke (the engine's idle poll) costs the CPU more
        // than one another thread kicked: the timer interrupt, on a VM the exits.
        uint64_t sw = timerWake ? DrawTimerWakeNs() : DrawSleepWakeNs();
        c->last = who;
        c->runStart = nowNs + sw; // it runs once switched in
        c->freeAt = nowNs + sw;
        c->busyNs += sw;
        c->switches++;
        if (sw > 0)
        {
            c->switchedIn = who;
            *runAtNs = c->freeAt;
            return false;
        }
    }
    return true;
}

void
TasvirNodeApp::ReleaseCpu(uint64_t nowNs, uint64_t costNs)
{
    if (m_hostCpu)
    {
        m_hostCpu->freeAt = nowNs + costNs;
        m_hostCpu->busyNs += costNs;
    }
}

void
TasvirNodeApp::PreemptCpu()
{
    if (m_hostCpu)
    {
        m_hostCpu->last = nullptr;
    }
}

uint64_t
TasvirNodeApp::GetIdlePollNs() const
{
    return (uint64_t)m_idlePoll.GetNanoSeconds();
}

static uint64_t
DrawAround(Ptr<UniformRandomVariable> rng, double median)
{
    return median > 0 ? (uint64_t)rng->GetValue(0.5 * median, 1.5 * median) : 0;
}

uint64_t
TasvirNodeApp::DrawSleepWakeNs()
{
    return DrawAround(m_rng, m_costs->Get().sleep_wake_ns);
}

uint64_t
TasvirNodeApp::DrawTimerWakeNs()
{
    double m = m_costs->Get().timer_wake_ns;
    return m > 0 ? DrawAround(m_rng, m) : DrawSleepWakeNs();
}

uint64_t
TasvirNodeApp::DrawTimerLateNs()
{
    return DrawAround(m_rng, m_costs->Get().timer_late_ns);
}

uint64_t
TasvirNodeApp::SleeperWakeNs()
{
    return m_hostCpu ? 0 : DrawSleepWakeNs();
}

uint64_t
TasvirNodeApp::GetCheckinPeriodNs() const
{
    return (uint64_t)m_checkinPeriod.GetNanoSeconds();
}

void
TasvirNodeApp::StartApplication()
{
    NS_ABORT_MSG_IF(!m_tnode, "TasvirNodeApp started without Setup()");
    m_engine->WakeAt(NowNs());
}

void
TasvirNodeApp::StopApplication()
{
    m_roomKick.Cancel();
    if (m_engine)
    {
        m_engine->Stop();
    }
    for (auto& a : m_agents)
    {
        a->Stop();
    }
}

void
TasvirNodeApp::DoDispose()
{
    StopApplication();
    m_agents.clear();
    m_engine.reset();
    tasvir_node_destroy(m_tnode);
    m_tnode = nullptr;
    m_threads.clear();
    tasvir_sim_port_destroy(m_port);
    m_port = nullptr;
    m_nic = nullptr;
    m_switch = nullptr;
    m_rng = nullptr;
    Application::DoDispose();
}

/* ---- accessors ---- */

uint16_t
TasvirNodeApp::GetTasvirId() const
{
    return m_tasvirId;
}

struct tasvir_node*
TasvirNodeApp::GetTasvirNode() const
{
    return m_tnode;
}

const struct tsv_trace*
TasvirNodeApp::GetTrace() const
{
    return m_trace;
}

const struct tasvir_backend*
TasvirNodeApp::GetBackend() const
{
    return tasvir_sim_port_backend(m_port);
}

struct tasvir_sim_port*
TasvirNodeApp::GetPort() const
{
    return m_port;
}

Ptr<TasvirNetDevice>
TasvirNodeApp::GetNic() const
{
    return m_nic;
}

uint32_t
TasvirNodeApp::GetNThreads() const
{
    return m_agents.size();
}

TasvirThreadAgent*
TasvirNodeApp::GetThreadAgent(uint32_t i) const
{
    return i < m_agents.size() ? m_agents[i].get() : nullptr;
}

TasvirEngineAgent*
TasvirNodeApp::GetEngineAgent() const
{
    return m_engine.get();
}

const TasvirCostModel&
TasvirNodeApp::GetCostModel() const
{
    return *m_costs;
}

uint64_t
TasvirNodeApp::GetWaitRecheckNs() const
{
    return (uint64_t)m_waitRecheck.GetNanoSeconds();
}

const TasvirNodeApp::Counters&
TasvirNodeApp::GetCounters() const
{
    return m_ctr;
}

/* ---- calls into the core ---- */

void
TasvirNodeApp::Snapshot(struct tasvir_stats* st, struct tasvir_sim_port_stats* ps) const
{
    tasvir_node_stats(m_tnode, st);
    tasvir_sim_port_stats(m_port, ps);
}

TasvirNodeApp::CallResult
TasvirNodeApp::Call(bool engine, struct tasvir_thread* t)
{
    struct tasvir_stats b, a;
    struct tasvir_sim_port_stats pb, pa;
    Snapshot(&b, &pb);
    m_inCall = true;
    m_heldKicks = 0;
    m_callTxCostNs = 0;
    m_callSent = false;
    CallResult r;
    r.nextNs = UINT64_MAX;
    r.appNs = 0;
    r.rc = engine ? tasvir_node_poll(m_tnode, &r.nextNs) : tasvir_service(t);
    m_inCall = false;
    if (r.nextNs != UINT64_MAX)
    {
        // The core speaks its own clock; agents schedule in simulator time.
        uint64_t off = GetClockOffsetNs();
        r.nextNs = r.nextNs > off ? r.nextNs - off : 0;
    }
    Snapshot(&a, &pa);
    const TasvirCostModel::Params& c = m_costs->Get();
    double decode = c.frame_decode_ns * (double)(pa.rx_frames - pb.rx_frames) +
                    c.frame_decode_ns_per_kib * (double)(pa.rx_bytes - pb.rx_bytes) / 1024.0;
    r.costNs = m_costs->CallCostNs(engine, b, a, m_nPeers) + m_callTxCostNs + (uint64_t)(decode + 0.5);
    r.kicks = m_heldKicks;
    m_heldKicks = 0;
    m_ctr.cpuNs += r.costNs;
    return r;
}

TasvirNodeApp::CallResult
TasvirNodeApp::CallPoll()
{
    CallResult r = Call(true, nullptr);
    m_ctr.polls++;
    m_pollTrace(r.rc, r.costNs);
    m_afterCallTrace();
    return r;
}

TasvirNodeApp::CallResult
TasvirNodeApp::CallService(struct tasvir_thread* t, uint32_t agentIndex)
{
    CallResult r = Call(false, t);
    m_ctr.serviceCalls++;
    m_traceCostNs = 0;
    m_serviceTrace(agentIndex, r.rc, r.costNs);
    m_afterCallTrace();
    r.appNs = m_traceCostNs;
    m_traceCostNs = 0;
    return r;
}

void
TasvirNodeApp::DispatchKicks(unsigned kicks, uint64_t readyNs)
{
    if (kicks & (1u << TASVIR_KICK_DONE))
    {
        for (auto& a : m_agents)
        {
            a->OnDone(readyNs);
        }
    }
    if (kicks & (1u << TASVIR_KICK_EPOCH))
    {
        for (auto& a : m_agents)
        {
            a->OnEpoch(readyNs);
        }
    }
    if ((kicks & (1u << TASVIR_KICK_ENGINE)) && m_engine)
    {
        m_engine->WakeAt(readyNs + (Sleeps() ? SleeperWakeNs()
                                             : (uint64_t)m_costs->Get().engine_wake_ns));
    }
}

/* ---- host callbacks of the sim port ---- */

uint64_t
TasvirNodeApp::HostNow(void* ctx)
{
    return NowNs() + static_cast<TasvirNodeApp*>(ctx)->GetClockOffsetNs();
}

uint64_t
TasvirNodeApp::GetClockOffsetNs() const
{
    return (uint64_t)m_clockOffset.GetNanoSeconds();
}

int
TasvirNodeApp::HostTransmit(void* ctx, const uint8_t* frame, uint32_t len)
{
    TasvirNodeApp* app = static_cast<TasvirNodeApp*>(ctx);
    // The NIC's queue bounds what may be outstanding, as a TX ring does.
    if (!app->m_nic->HasRoom(1, len))
    {
        app->m_ctr.nicRefused++;
        // The core keeps what tx_burst did not take for a later poll (its transmit
        // backlog); a spinning engine would retry at once, so kick the engine when the
        // queue has drained to half (departure times are known when frames are queued).
        if (!app->m_roomKick.IsRunning())
        {
            QueueSize q = app->m_nic->GetQueueSize();
            uint32_t half = q.GetUnit() == QueueSizeUnit::PACKETS ? q.GetValue() / 2 : 0;
            Time at = app->m_nic->WhenWaitingAtMost(half);
            app->m_roomKick = Simulator::Schedule(at - Simulator::Now(), &TasvirNodeApp::RoomKick, app);
        }
        return -ENOBUFS;
    }
    Mac48Address dst;
    Mac48Address src;
    dst.CopyFrom(frame);
    src.CopyFrom(frame + 6);
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    Ptr<Packet> payload = Create<Packet>(frame + 14, len - 14);
    app->m_ctr.framesSent++;
    Time ready = Simulator::Now();
    if (app->m_inCall)
    {
        // Frame k of a call is ready after the encode and port costs of frames 0..k (the
        // port's: the kernel carrying it on a net_af_packet testbed, one kick per call);
        // the NIC starts it at that time or when the frames before it are out, whichever
        // is later.
        app->m_callTxCostNs += app->m_costs->EncodeCostNs(len) +
                               app->m_costs->PortTxCostNs(!app->m_callSent);
        app->m_callSent = true;
        ready += NanoSeconds(app->m_callTxCostNs);
    }
    app->m_frameTxTrace(payload);
    app->m_nic->SendFromAt(payload, src, dst, type, ready);
    return 0;
}

void
TasvirNodeApp::RoomKick()
{
    m_ctr.roomKicks++;
    HostKick(this, TASVIR_KICK_ENGINE);
}

void
TasvirNodeApp::HostKick(void* ctx, enum tasvir_kick what)
{
    TasvirNodeApp* app = static_cast<TasvirNodeApp*>(ctx);
    switch (what)
    {
    case TASVIR_KICK_EPOCH:
        app->m_ctr.kicksEpoch++;
        break;
    case TASVIR_KICK_DONE:
        app->m_ctr.kicksDone++;
        break;
    case TASVIR_KICK_ENGINE:
        app->m_ctr.kicksEngine++;
        break;
    default:
        return;
    }
    if (app->m_inCall)
    {
        app->m_heldKicks |= 1u << what;
    }
    else
    {
        app->DispatchKicks(1u << what, NowNs());
    }
}

int
TasvirNodeApp::HostMcast(void* ctx, const uint8_t mac[6], int join)
{
    TasvirNodeApp* app = static_cast<TasvirNodeApp*>(ctx);
    Mac48Address group;
    group.CopyFrom(mac);
    if (join)
    {
        app->m_nic->JoinGroup(group);
        if (app->m_switch)
        {
            app->m_switch->JoinGroup(group, app->m_switchPort);
        }
    }
    else
    {
        app->m_nic->LeaveGroup(group);
        if (app->m_switch)
        {
            app->m_switch->LeaveGroup(group, app->m_switchPort);
        }
    }
    return 0;
}

void
TasvirNodeApp::HostRelax(void* ctx)
{
    // No simulated time passes inside a call: the core's transmit retries against a full
    // NIC queue run out at once and it drops (tx_failed).  Counted; the port catches
    // endless waits.
    static_cast<TasvirNodeApp*>(ctx)->m_ctr.relaxCalls++;
}

void
TasvirNodeApp::ReceiveFrame(Ptr<NetDevice> dev,
                            Ptr<const Packet> packet,
                            uint16_t protocol,
                            const Address& from,
                            const Address& to,
                            NetDevice::PacketType type)
{
    (void)dev;
    (void)type;
    if (!m_port)
    {
        return;
    }
    uint32_t size = packet->GetSize();
    struct tasvir_frame* f = tasvir_sim_port_rx_begin(m_port, size + 14);
    if (!f)
    {
        return; // counted by the port (queue full, pool empty, bad length)
    }
    Mac48Address::ConvertFrom(to).CopyTo(f->data);
    Mac48Address::ConvertFrom(from).CopyTo(f->data + 6);
    f->data[12] = (uint8_t)(protocol >> 8);
    f->data[13] = (uint8_t)protocol;
    packet->CopyData(f->data + 14, size);
    tasvir_sim_port_rx_commit(m_port, f);
    m_ctr.framesDelivered++;
    m_frameRxTrace(packet);
    // A spinning engine notices the frame at once; a sleeping one (tasvir-node with relax =
    // sleep waits on a futex that frames do not touch) at its next poll.
    if (m_engine && !Sleeps())
    {
        m_engine->WakeAt(NowNs() + (uint64_t)m_costs->Get().engine_wake_ns);
    }
}

void
TasvirNodeApp::LogSink(void* arg, int level, const char* msg)
{
    TasvirNodeApp* app = static_cast<TasvirNodeApp*>(arg);
    if (level <= TASVIR_LOG_WARN)
    {
        app->m_ctr.logWarnings++;
    }
    if (level <= TASVIR_LOG_ERR)
    {
        // Errors are rare and abnormal: always visible.  Everything else goes to NS_LOG.
        std::cerr << "tasvir-sim: t=" << Simulator::Now().GetNanoSeconds() << " ns: " << msg
                  << std::endl;
        NS_LOG_ERROR(msg);
    }
    else if (level <= TASVIR_LOG_WARN)
    {
        NS_LOG_WARN(msg);
    }
    else if (level <= TASVIR_LOG_INFO)
    {
        NS_LOG_INFO(msg);
    }
    else
    {
        NS_LOG_DEBUG(msg);
    }
}

} // namespace ns3

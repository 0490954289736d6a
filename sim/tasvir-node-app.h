/*
 * tasvir-node-app.h — one Tasvir node inside ns-3: the unchanged core, its sim backend
 * port, a sync-engine agent and one agent per worker thread.
 *
 * The application owns:
 *  - a tasvir_sim_port (runtime/backends/sim), whose host callbacks are implemented here:
 *    simulator clock, frames to and from the host's TasvirNetDevice (EtherType 0x88B6,
 *    through a Node protocol handler), multicast joins (the host NIC filter and the
 *    switch's static membership), and kicks that schedule the agents;
 *  - the tasvir_node created over that port, and its registered, active threads;
 *  - the agents (tasvir-agents.h) that call tasvir_node_poll and tasvir_service.
 *
 * Every call into the core goes through CallPoll/CallService, which measure the node's
 * counters around the call and turn the work done into simulated CPU time with the cost
 * model; kicks raised inside the call are held and dispatched once that time has elapsed.
 * A frame the core sends during a call is ready once the encode costs of that frame and
 * of the frames before it in the same call have elapsed (and leaves when the NIC is free).
 *
 * Setup() builds everything at time 0 (before Simulator::Run) so that a workload can
 * create areas before the agents start; StartApplication starts the engine.
 */
#ifndef TASVIR_NODE_APP_H
#define TASVIR_NODE_APP_H

#include "tasvir-agents.h"
#include "tasvir-cost-model.h"

#include "tasvir/sim.h"
#include "tasvir/tasvir.h"

#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/mac48-address.h"
#include "ns3/net-device.h"
#include "ns3/nstime.h"
#include "ns3/traced-callback.h"

#include <cstdint>
#include <memory>
#include <vector>

struct tsv_trace; // experiments/workload/workload.h

namespace ns3
{

class Packet;
class TasvirNetDevice;
class TasvirSwitch;
class UniformRandomVariable;

class TasvirNodeApp : public Application
{
  public:
    static TypeId GetTypeId();
    TasvirNodeApp();
    ~TasvirNodeApp() override;

    /** EtherType of Tasvir frames (IEEE 802 local experimental 1). */
    static const uint16_t kEtherType = 0x88B6;

    /**
     * Build the port, the node and its threads.  Call once, at time 0, after the node has
     * its NIC and after setting attributes.
     * @param nic     the host's NIC (its address becomes the node's MAC)
     * @param sw      the switch (for static multicast membership), may be null
     * @param port    the switch port the NIC is connected to
     * @param costs   the cost model; must outlive the application
     * @param peers   the other members of the testbed (id and MAC), for external sync;
     *                the one with id RootNode holds the root directory
     * @return 0 or a negative Tasvir error (tasvir_strerror)
     */
    int Setup(Ptr<TasvirNetDevice> nic,
              Ptr<TasvirSwitch> sw,
              uint32_t port,
              const TasvirCostModel* costs,
              const std::vector<struct tasvir_peer>& peers = {});

    /** Fix the random streams (check-in phases and jitter); returns how many were used. */
    int64_t AssignStreams(int64_t stream);

    uint16_t GetTasvirId() const;
    struct tasvir_node* GetTasvirNode() const;
    /** The core's trace of the version path (trace-node<N>.csv), or nullptr before Setup. */
    const struct tsv_trace* GetTrace() const;
    const struct tasvir_backend* GetBackend() const;
    struct tasvir_sim_port* GetPort() const;
    Ptr<TasvirNetDevice> GetNic() const;
    uint32_t GetNThreads() const;
    TasvirThreadAgent* GetThreadAgent(uint32_t i) const;
    TasvirEngineAgent* GetEngineAgent() const;
    const TasvirCostModel& GetCostModel() const;
    /** From a "Service" trace callback: CPU time the application spends after that call
     *  (a workload's check-in work), reported as the call's appNs. */
    void AddCallCostNs(uint64_t ns);
    /** WaitRecheck attribute in ns: how long a waiting thread trusts the DONE kick. */
    uint64_t GetWaitRecheckNs() const;
    /** CheckinPeriod attribute in ns. */
    uint64_t GetCheckinPeriodNs() const;
    /** Draws from the node's random stream: a check-in phase in [0, period), and a
     *  check-in lateness in [0, checkin_jitter_ns). */
    uint64_t DrawPhaseNs(uint64_t periodNs);
    uint64_t DrawJitterNs();
    /** Relax attribute: do the node's idle threads sleep (instead of spinning)? */
    bool Sleeps() const;
    /** Place the node's agents on a shared host CPU (null: a core per agent).  Before
     *  the simulation runs; the CPU must outlive the application. */
    void SetHostCpu(TasvirHostCpu* cpu);
    TasvirHostCpu* GetHostCpu() const;
    /** May agent `who` run an action on the node's CPU now?  True with no shared CPU, or
     *  when the CPU is free, no agent refused earlier is waiting for it, and `who` ran on
     *  it last (or the switch to it just ended).  Otherwise *runAtNs is when to ask again:
     *  when the CPU is free (refused agents queue, first come first served), or after the
     *  context switch to `who`, which this call starts when `who` may have the CPU now.
     *  The switch costs sleep_wake_ns, or timer_wake_ns when `who` was woken by its own
     *  timer (timerWake).  An agent that had the CPU last and slept meanwhile (the CPU
     *  idled) is switched in again too. */
    bool AcquireCpu(const void* who, uint64_t nowNs, uint64_t* runAtNs, bool timerWake = false);
    /** The action of the agent that acquired the CPU at nowNs took costNs. */
    void ReleaseCpu(uint64_t nowNs, uint64_t costNs);
    /** The agent that ran last was preempted (it kicked a thread of its CPU): it goes on
     *  only after a switch back, behind the agents queued for the CPU. */
    void PreemptCpu();
    /** IdlePoll attribute in ns. */
    uint64_t GetIdlePollNs() const;
    /** Draws for sleeping threads: a wake-up latency (sleep_wake_ns) and a timed sleep's
     *  lateness (timer_late_ns), each uniform in [0.5, 1.5] x the calibrated median. */
    uint64_t DrawSleepWakeNs();
    uint64_t DrawTimerWakeNs();
    uint64_t DrawTimerLateNs();
    /** Relax sleep: how long after a kick a sleeping agent of this node acts.  On a shared
     *  host CPU nothing here: the switch is charged when the agent gets the CPU
     *  (AcquireCpu); otherwise a drawn sleep_wake_ns. */
    uint64_t SleeperWakeNs();

    /** Result of one call into the core. */
    struct CallResult
    {
        int rc;          //!< what the core returned
        uint64_t costNs; //!< modelled CPU time of the call
        unsigned kicks;  //!< kicks raised during the call (bit 1 << enum tasvir_kick)
        uint64_t nextNs; //!< CallPoll only: the core's next_ns
        uint64_t appNs;  //!< CallService only: the application's check-in work after the
                         //!< call (AddCallCostNs), on the same thread; kicks come before it
    };
    CallResult CallPoll();
    CallResult CallService(struct tasvir_thread* t, uint32_t agentIndex);
    /** Deliver held kicks: threads and engine act from readyNs on. */
    void DispatchKicks(unsigned kicks, uint64_t readyNs);

    /** Counters of the glue (the core's are in tasvir_node_stats, the port's in
     *  tasvir_sim_port_stats). */
    struct Counters
    {
        uint64_t polls;           //!< tasvir_node_poll calls
        uint64_t serviceCalls;    //!< tasvir_service calls
        uint64_t cpuNs;           //!< modelled CPU time charged, all agents
        uint64_t kicksEpoch;      //!< TASVIR_KICK_EPOCH seen
        uint64_t kicksDone;       //!< TASVIR_KICK_DONE seen
        uint64_t kicksEngine;     //!< TASVIR_KICK_ENGINE seen
        uint64_t framesDelivered; //!< 0x88B6 frames handed to the port's rx queue
        uint64_t framesSent;      //!< frames handed to the NIC
        uint64_t nicRefused;      //!< frames the NIC queue refused (tx_burst returned less)
        uint64_t logWarnings;     //!< log messages at WARN or worse
        uint64_t relaxCalls;      //!< relax calls (the core retrying a full NIC queue)
        uint64_t roomKicks;       //!< engine kicks when a refusing NIC queue had room again
    };
    const Counters& GetCounters() const;

    /** Simulator time in ns (global ground truth). */
    static uint64_t NowNs();
    /** This node's clock offset: its clock reads NowNs() + offset. */
    uint64_t GetClockOffsetNs() const;

  protected:
    void DoDispose() override;

  private:
    void StartApplication() override;
    void StopApplication() override;

    static uint64_t HostNow(void* ctx);
    static int HostTransmit(void* ctx, const uint8_t* frame, uint32_t len);
    static void HostKick(void* ctx, enum tasvir_kick what);
    static int HostMcast(void* ctx, const uint8_t mac[6], int join);
    static void HostRelax(void* ctx);
    static void LogSink(void* arg, int level, const char* msg);

    void RoomKick();
    void ReceiveFrame(Ptr<NetDevice> dev,
                      Ptr<const Packet> packet,
                      uint16_t protocol,
                      const Address& from,
                      const Address& to,
                      NetDevice::PacketType type);
    void Snapshot(struct tasvir_stats* st, struct tasvir_sim_port_stats* ps) const;
    CallResult Call(bool engine, struct tasvir_thread* t);

    // attributes
    uint16_t m_tasvirId;
    uint32_t m_nThreads;
    Time m_checkinPeriod;
    int m_sleep; //!< Relax attribute: 0 spin, 1 sleep
    TasvirHostCpu* m_hostCpu = nullptr;
    Time m_idlePoll;
    Time m_epochWindow;
    Time m_syncInternal;
    Time m_syncExternal;
    uint32_t m_excludeAfter;
    Time m_waitRecheck;
    uint32_t m_poolFrames;
    uint32_t m_rxQueueFrames;
    int m_addressing;
    uint16_t m_rootNode;
    Time m_hbPeriod;
    uint32_t m_downAfter;
    Time m_clockOffset;

    Ptr<TasvirNetDevice> m_nic;
    Ptr<TasvirSwitch> m_switch;
    uint32_t m_switchPort;
    const TasvirCostModel* m_costs;
    uint64_t m_traceCostNs = 0; //!< AddCallCostNs during the current call's traces
    struct tasvir_sim_port* m_port;
    struct tasvir_node* m_tnode;
    struct tsv_trace* m_trace = nullptr; //!< the core's trace of the version path
    std::vector<struct tasvir_thread*> m_threads;
    std::unique_ptr<TasvirEngineAgent> m_engine;
    std::vector<std::unique_ptr<TasvirThreadAgent>> m_agents;
    Ptr<UniformRandomVariable> m_rng; //!< check-in phases and jitter of all threads

    bool m_inCall;
    unsigned m_heldKicks;
    uint64_t m_callTxCostNs; //!< encode and port cost of frames sent so far in the current call
    bool m_callSent;         //!< the current call has sent a frame (its port kick is charged)
    uint32_t m_nPeers;       //!< other nodes this node knows (a poll's per-peer cost)
    EventId m_roomKick;      //!< pending kick for when the refusing NIC queue has room
    Counters m_ctr;

    TracedCallback<int, uint64_t> m_pollTrace;
    TracedCallback<uint32_t, int, uint64_t> m_serviceTrace;
    TracedCallback<Ptr<const Packet>> m_frameTxTrace;
    TracedCallback<Ptr<const Packet>> m_frameRxTrace;
    TracedCallback<> m_afterCallTrace;
};

} // namespace ns3

#endif /* TASVIR_NODE_APP_H */

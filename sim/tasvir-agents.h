/*
 * tasvir-agents.h — the event-driven stand-ins for a node's CPU cores.
 *
 * A real node runs a sync-engine lcore spinning on tasvir_node_poll() and worker threads
 * that check in (tasvir_service) every ~10 us.  Simulating every spin and every check-in
 * would cost an event per microsecond per core; the agents below simulate only the calls
 * that can do something:
 *
 *  TasvirEngineAgent  polls at the time the core asked for (next_ns), or earlier when
 *                     kicked (TASVIR_KICK_ENGINE) or when a frame arrives, never while the
 *                     core is still busy with the previous poll's modelled CPU time.
 *  TasvirThreadAgent  sleeps between epochs.  When an epoch starts (TASVIR_KICK_EPOCH) it
 *                     checks in at its next check-in tick: its own phase on a grid of
 *                     CheckinPeriod, plus a random jitter.  While tasvir_service returns
 *                     -EAGAIN it waits for TASVIR_KICK_DONE (plus the time to notice it),
 *                     with a recheck timer as a safety net.  Application work (writes,
 *                     reads) is submitted as tasks that run only between check-ins.
 *
 * Each agent has a "busy until" time: the modelled CPU cost of its last call or task.
 * Nothing it does starts before that, so costs delay the agent's later actions, and kicks
 * raised inside a call take effect when the call's cost has elapsed.
 */
#ifndef TASVIR_AGENTS_H
#define TASVIR_AGENTS_H

#include "ns3/event-id.h"
#include "ns3/nstime.h"

#include <cstdint>
#include <deque>
#include <functional>

struct tasvir_thread;

namespace ns3
{

class TasvirNodeApp;

/**
 * One host CPU shared by the agents of the nodes placed on it (--nodeCpu): it runs one
 * agent action (poll, check-in, task) at a time, in the order they ask for it, and passing
 * it from one agent to another first costs a context switch (sleep_wake_ns, drawn).
 */
struct TasvirHostCpu
{
    uint64_t freeAt = 0;        //!< simulator time the CPU is free again
    const void* last = nullptr; //!< the agent that ran (or is switched in) last
    uint64_t busyNs = 0;        //!< actions and switches, in total
    uint64_t switches = 0;      //!< times the CPU passed to another agent
    std::deque<const void*> waiting; //!< agents refused while it was busy, first come first
    const void* switchedIn = nullptr; //!< the agent the CPU is being switched to (it runs next)
    uint64_t runStart = 0;            //!< when `last` last got the CPU
};

class TasvirEngineAgent
{
  public:
    explicit TasvirEngineAgent(TasvirNodeApp* app);
    /** Poll no later than `at` (absolute ns); an earlier pending poll stays.  timer: the
     *  wake-up is the engine's own timed sleep ending (not a kick). */
    void WakeAt(uint64_t atNs, bool timer = false);
    void Stop();
    uint64_t GetPolls() const;

  private:
    void DoPoll();

    TasvirNodeApp* m_app;
    EventId m_event;
    uint64_t m_eventAt;
    bool m_eventTimer = false; //!< the pending poll is a timed sleep's end
    uint64_t m_busyUntil;
    uint64_t m_polls;
    bool m_stopped;
};

class TasvirThreadAgent
{
  public:
    /** A unit of application work; returns the CPU time it took, in ns. */
    typedef std::function<uint64_t()> Task;

    /** The check-in phase is drawn from the node's random stream on first use. */
    TasvirThreadAgent(TasvirNodeApp* app, uint32_t index, struct tasvir_thread* thread);

    /** An epoch started; the core may use the thread from readyNs on. */
    void OnEpoch(uint64_t readyNs);
    /** An epoch ended at readyNs (published or aborted). */
    void OnDone(uint64_t readyNs);
    /** Run a task between check-ins: now if the thread is free, else when it is. */
    void Submit(Task task);
    /** The first check-in tick of this thread at or after fromNs (simulator time), with
     *  its modelled lateness: when a thread that loops "check in, then work if due"
     *  would next do work due at fromNs. */
    uint64_t NextCheckinNs(uint64_t fromNs);
    void Stop();

    /** True between check-ins and not busy: area memory may be touched right now. */
    bool IsFree() const;
    struct tasvir_thread* GetThread() const;
    uint32_t GetIndex() const;
    uint64_t GetCheckins() const;  //!< completed check-ins (service returned >= 0)
    uint64_t GetCalls() const;     //!< tasvir_service calls
    uint64_t GetWaitNs() const;    //!< time spent waiting in epochs (-EAGAIN)
    uint64_t GetTasks() const;     //!< tasks run

  private:
    enum State
    {
        RUNNING, //!< between check-ins
        WAITING, //!< tasvir_service returned -EAGAIN
    };
    void ScheduleCheckin(uint64_t atNs);
    void DoCheckin();
    void RunTasks();
    void RunCheckinWork();
    uint64_t NextTick(uint64_t fromNs);

    TasvirNodeApp* m_app;
    uint32_t m_index;
    struct tasvir_thread* m_thread;
    uint64_t m_periodNs;
    uint64_t m_phaseNs;
    bool m_phaseSet;
    State m_state;
    bool m_stopped;
    EventId m_checkinEvent;
    EventId m_taskEvent;
    EventId m_workEvent;              //!< RunCheckinWork
    uint64_t m_pendingWorkNs = 0;     //!< check-in work waiting for the CPU (preempted)
    bool m_checkinAfterWork = false;  //!< a check-in came due meanwhile
    uint64_t m_busyUntil;
    uint64_t m_waitSince;
    std::deque<Task> m_tasks;
    uint64_t m_checkins;
    uint64_t m_calls;
    uint64_t m_waitNs;
    uint64_t m_tasksRun;
};

} // namespace ns3

#endif /* TASVIR_AGENTS_H */

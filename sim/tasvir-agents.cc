/*
 * tasvir-agents.cc — see tasvir-agents.h.
 *
 * Invariants:
 *  - an agent never calls the core before its busy-until time;
 *  - a thread agent has at most one check-in event pending, and none while RUNNING with no
 *    epoch to check in for;
 *  - tasks run only in RUNNING state, in submission order, each after the previous one's
 *    cost (and after the cost of the check-in before them).
 */
#include "tasvir-agents.h"

#include "tasvir-node-app.h"

#include "ns3/log.h"
#include "ns3/simulator.h"

#include <cerrno>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirAgents");

static Time
At(uint64_t atNs)
{
    uint64_t now = TasvirNodeApp::NowNs();
    return NanoSeconds(atNs > now ? atNs - now : 0);
}

/* ---- engine ---- */

TasvirEngineAgent::TasvirEngineAgent(TasvirNodeApp* app)
    : m_app(app),
      m_eventAt(0),
      m_busyUntil(0),
      m_polls(0),
      m_stopped(false)
{
}

void
TasvirEngineAgent::WakeAt(uint64_t atNs, bool timer)
{
    if (m_stopped)
    {
        return;
    }
    if (atNs < m_busyUntil)
    {
        atNs = m_busyUntil;
    }
    if (m_event.IsRunning())
    {
        if (m_eventAt <= atNs)
        {
            return;
        }
        m_event.Cancel();
    }
    m_eventAt = atNs;
    m_eventTimer = timer;
    m_event = Simulator::Schedule(At(atNs), &TasvirEngineAgent::DoPoll, this);
}

void
TasvirEngineAgent::DoPoll()
{
    uint64_t now = TasvirNodeApp::NowNs();
    uint64_t runAt;
    if (!m_app->AcquireCpu(this, now, &runAt, m_eventTimer))
    {
        m_eventAt = runAt; // (still the same wake-up: m_eventTimer stays)
        m_event = Simulator::Schedule(At(runAt), &TasvirEngineAgent::DoPoll, this);
        return;
    }
    m_eventTimer = false;
    m_polls++;
    struct tasvir_sim_port_stats before;
    tasvir_sim_port_stats(m_app->GetPort(), &before);
    TasvirNodeApp::CallResult r = m_app->CallPoll();
    m_busyUntil = now + r.costNs;
    m_app->ReleaseCpu(now, r.costNs);
    m_app->DispatchKicks(r.kicks, m_busyUntil);
    uint64_t next = r.nextNs;
    // A real engine spins: if this poll drained frames and more are waiting, it polls again
    // as soon as it is free.  (If the core does not read frames at all, no busy loop.)
    struct tasvir_sim_port_stats after;
    tasvir_sim_port_stats(m_app->GetPort(), &after);
    if (after.rx_frames > before.rx_frames && tasvir_sim_port_rx_pending(m_app->GetPort()) > 0)
    {
        next = m_busyUntil;
    }
    if (m_app->Sleeps())
    {
        // tasvir-node with relax = sleep: during an epoch's check-in phase the engine sleeps
        // until the core's deadline (or a kick); with nothing due within IdlePoll it sleeps
        // IdlePoll (or until a kick); otherwise it polls on, as a spinning engine.  A timed
        // sleep ends late.
        uint64_t idle = m_app->GetIdlePollNs();
        if (r.rc == -EAGAIN && next != UINT64_MAX && next > now)
        {
            WakeAt(next + m_app->DrawTimerLateNs(), true);
            return;
        }
        if (next == UINT64_MAX || next > now + idle)
        {
            WakeAt(m_busyUntil + idle + m_app->DrawTimerLateNs(), true);
            return;
        }
    }
    if (next == UINT64_MAX)
    {
        return; // idle until kicked
    }
    if (next <= now)
    {
        // The core wants to be polled again at once (work in progress): the next poll
        // happens after this one's cost, and never at the same instant.
        uint64_t gap = r.costNs ? r.costNs : 1;
        next = now + gap;
    }
    WakeAt(next);
}

void
TasvirEngineAgent::Stop()
{
    m_stopped = true;
    m_event.Cancel();
}

uint64_t
TasvirEngineAgent::GetPolls() const
{
    return m_polls;
}

/* ---- threads ---- */

TasvirThreadAgent::TasvirThreadAgent(TasvirNodeApp* app,
                                     uint32_t index,
                                     struct tasvir_thread* thread)
    : m_app(app),
      m_index(index),
      m_thread(thread),
      m_periodNs(1),
      m_phaseNs(0),
      m_phaseSet(false),
      m_state(RUNNING),
      m_stopped(false),
      m_busyUntil(0),
      m_waitSince(0),
      m_checkins(0),
      m_calls(0),
      m_waitNs(0),
      m_tasksRun(0)
{
}

uint64_t
TasvirThreadAgent::NextTick(uint64_t fromNs)
{
    // First tick phase + k * period at or after fromNs, then the modelled lateness.
    if (!m_phaseSet)
    {
        // Drawn late so that the simulation's stream assignment has happened.
        m_periodNs = m_app->GetCheckinPeriodNs();
        m_periodNs = m_periodNs ? m_periodNs : 1;
        m_phaseNs = m_app->DrawPhaseNs(m_periodNs);
        m_phaseSet = true;
    }
    uint64_t tick;
    if (fromNs <= m_phaseNs)
    {
        tick = m_phaseNs;
    }
    else
    {
        uint64_t k = (fromNs - m_phaseNs + m_periodNs - 1) / m_periodNs;
        tick = m_phaseNs + k * m_periodNs;
    }
    return tick + m_app->DrawJitterNs();
}

uint64_t
TasvirThreadAgent::NextCheckinNs(uint64_t fromNs)
{
    return NextTick(fromNs);
}

void
TasvirThreadAgent::ScheduleCheckin(uint64_t atNs)
{
    m_checkinEvent.Cancel();
    m_checkinEvent = Simulator::Schedule(At(atNs), &TasvirThreadAgent::DoCheckin, this);
}

void
TasvirThreadAgent::OnEpoch(uint64_t readyNs)
{
    if (m_stopped || m_state != RUNNING || m_checkinEvent.IsRunning())
    {
        return; // a waiting thread re-checks on DONE; a pending check-in stays
    }
    uint64_t from = readyNs > m_busyUntil ? readyNs : m_busyUntil;
    // A sleeping worker runs when the kick has woken it; a spinning one at its next tick.
    ScheduleCheckin(m_app->Sleeps() ? from + m_app->SleeperWakeNs() : NextTick(from));
}

void
TasvirThreadAgent::OnDone(uint64_t readyNs)
{
    if (m_stopped || m_state != WAITING)
    {
        return;
    }
    uint64_t at = readyNs + (m_app->Sleeps()
                                 ? m_app->SleeperWakeNs()
                                 : (uint64_t)m_app->GetCostModel().Get().done_notice_ns);
    if (at < m_busyUntil)
    {
        at = m_busyUntil;
    }
    ScheduleCheckin(at);
}

void
TasvirThreadAgent::DoCheckin()
{
    uint64_t now = TasvirNodeApp::NowNs();
    if (m_pendingWorkNs)
    {
        m_checkinAfterWork = true; // after the preempted check-in work
        return;
    }
    if (now < m_busyUntil)
    {
        ScheduleCheckin(m_busyUntil);
        return;
    }
    uint64_t runAt;
    if (!m_app->AcquireCpu(this, now, &runAt))
    {
        ScheduleCheckin(runAt);
        return;
    }
    m_calls++;
    TasvirNodeApp::CallResult r = m_app->CallService(m_thread, m_index);
    uint64_t callEnd = now + r.costNs; // kicks raised in the call act from here
    // A kick wakes a thread of this node, on this CPU: on Linux (EEVDF) it mostly runs at
    // once, inside the kicker's wake-up call (docs/testbed.md §7c); the kicker's own
    // check-in work then waits for the CPU behind it.
    bool preempted = m_app->GetHostCpu() && r.kicks && r.appNs > 0 && r.rc != -EAGAIN;
    if (preempted)
    {
        m_busyUntil = callEnd;
        m_pendingWorkNs = r.appNs;
        m_app->ReleaseCpu(now, r.costNs);
        m_app->PreemptCpu();
    }
    else
    {
        m_busyUntil = callEnd + r.appNs; // then the application's check-in work
        m_app->ReleaseCpu(now, r.costNs + r.appNs);
    }
    if (r.rc == -EAGAIN)
    {
        if (m_state != WAITING)
        {
            m_state = WAITING;
            m_waitSince = now;
        }
        // Safety net: the DONE kick normally comes first and replaces this event.
        ScheduleCheckin(m_busyUntil + m_app->GetWaitRecheckNs());
    }
    else
    {
        if (m_state == WAITING)
        {
            m_waitNs += now - m_waitSince;
        }
        m_state = RUNNING;
        if (r.rc >= 0)
        {
            m_checkins++;
        }
        if (!m_tasks.empty() && !m_taskEvent.IsRunning())
        {
            m_taskEvent = Simulator::Schedule(At(m_busyUntil), &TasvirThreadAgent::RunTasks, this);
        }
    }
    m_app->DispatchKicks(r.kicks, callEnd);
    if (preempted) // (scheduled after the woken agents: they ask for the CPU first)
    {
        m_workEvent = Simulator::Schedule(At(callEnd), &TasvirThreadAgent::RunCheckinWork, this);
    }
}

void
TasvirThreadAgent::RunCheckinWork()
{
    if (m_stopped || !m_pendingWorkNs)
    {
        return;
    }
    uint64_t now = TasvirNodeApp::NowNs();
    uint64_t runAt;
    if (!m_app->AcquireCpu(this, now, &runAt))
    {
        m_workEvent = Simulator::Schedule(At(runAt), &TasvirThreadAgent::RunCheckinWork, this);
        return;
    }
    uint64_t cost = m_pendingWorkNs;
    m_pendingWorkNs = 0;
    m_busyUntil = now + cost;
    m_app->ReleaseCpu(now, cost);
    if (m_checkinAfterWork)
    {
        m_checkinAfterWork = false;
        ScheduleCheckin(m_busyUntil);
    }
    if (!m_tasks.empty() && !m_taskEvent.IsRunning())
    {
        m_taskEvent = Simulator::Schedule(At(m_busyUntil), &TasvirThreadAgent::RunTasks, this);
    }
}

void
TasvirThreadAgent::Submit(Task task)
{
    if (m_stopped)
    {
        return;
    }
    m_tasks.push_back(std::move(task));
    if (IsFree() && !m_taskEvent.IsRunning())
    {
        RunTasks();
    }
    else if (m_state == RUNNING && !m_taskEvent.IsRunning())
    {
        m_taskEvent = Simulator::Schedule(At(m_busyUntil), &TasvirThreadAgent::RunTasks, this);
    }
    // WAITING: the check-in that ends the wait schedules the tasks.
}

void
TasvirThreadAgent::RunTasks()
{
    while (!m_tasks.empty() && !m_stopped)
    {
        uint64_t now = TasvirNodeApp::NowNs();
        if (m_state != RUNNING || m_pendingWorkNs)
        {
            return; // (RunCheckinWork goes on with the tasks)
        }
        if (now < m_busyUntil)
        {
            m_taskEvent = Simulator::Schedule(At(m_busyUntil), &TasvirThreadAgent::RunTasks, this);
            return;
        }
        uint64_t runAt;
        if (!m_app->AcquireCpu(this, now, &runAt))
        {
            m_taskEvent = Simulator::Schedule(At(runAt), &TasvirThreadAgent::RunTasks, this);
            return;
        }
        Task t = std::move(m_tasks.front());
        m_tasks.pop_front();
        m_tasksRun++;
        uint64_t cost = t();
        m_busyUntil = now + cost;
        m_app->ReleaseCpu(now, cost);
    }
}

void
TasvirThreadAgent::Stop()
{
    m_stopped = true;
    m_checkinEvent.Cancel();
    m_taskEvent.Cancel();
    m_workEvent.Cancel();
    m_tasks.clear();
}

bool
TasvirThreadAgent::IsFree() const
{
    return m_state == RUNNING && !m_pendingWorkNs && TasvirNodeApp::NowNs() >= m_busyUntil;
}

struct tasvir_thread*
TasvirThreadAgent::GetThread() const
{
    return m_thread;
}

uint32_t
TasvirThreadAgent::GetIndex() const
{
    return m_index;
}

uint64_t
TasvirThreadAgent::GetCheckins() const
{
    return m_checkins;
}

uint64_t
TasvirThreadAgent::GetCalls() const
{
    return m_calls;
}

uint64_t
TasvirThreadAgent::GetWaitNs() const
{
    return m_waitNs;
}

uint64_t
TasvirThreadAgent::GetTasks() const
{
    return m_tasksRun;
}

} // namespace ns3

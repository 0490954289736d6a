/*
 * tasvir-workload.h — what an application does on the simulated nodes.
 *
 * The simulator decides *when* things happen (agents, events); a workload decides *what*:
 * which areas exist, who writes them and how, who reads what and what a read records.
 * Everything a workload does to area memory must run as a task on a thread agent
 * (TasvirThreadAgent::Submit), which runs it only between check-ins, exactly as a real
 * worker thread may only touch areas between two tasvir_service calls.
 *
 * Lifecycle (driven by TasvirScenario):
 *   Install(apps)   at time 0, after every TasvirNodeApp::Setup: create areas, plan
 *                   subscriptions, schedule the first events at or after `start`.
 *   ... Simulator::Run ...
 *   Write(dir)      after the run: write the workload's own files (samples) into dir.
 *   Counters()      per-node counters for nodes.csv, with stable column names.
 *
 * The built-in TasvirBasicWorkload is one implementation; the shared workload and
 * staleness-probe module (plain C, experiments/workload/, also used by the hardware node
 * program) plugs in as another, through an adapter that maps its write and sample calls
 * onto thread-agent tasks (see docs/simulation.md).
 */
#ifndef TASVIR_WORKLOAD_H
#define TASVIR_WORKLOAD_H

#include "ns3/nstime.h"
#include "ns3/ptr.h"
#include "ns3/simple-ref-count.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ns3
{

class TasvirNodeApp;

class TasvirWorkload : public SimpleRefCount<TasvirWorkload>
{
  public:
    virtual ~TasvirWorkload() = default;

    /** Set up on every node; false with *error on failure. */
    virtual bool Install(const std::vector<Ptr<TasvirNodeApp>>& apps,
                         Time start,
                         std::string* error) = 0;
    /** Stop generating events (at the end of the run). */
    virtual void Stop() = 0;
    /** Write the workload's files into dir; false with *error on failure. */
    virtual bool Write(const std::string& dir, std::string* error) = 0;
    /** Column names of the per-node counters, and the values of node i. */
    virtual std::vector<std::string> CounterNames() const = 0;
    virtual std::vector<uint64_t> Counters(uint32_t node) const = 0;
    /** Files Write() produced (names relative to dir), for the manifest. */
    virtual std::vector<std::string> Files() const = 0;
};

} // namespace ns3

#endif /* TASVIR_WORKLOAD_H */

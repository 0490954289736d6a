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
 *   Stop()          at the end of the run: stop generating events.
 *   Write(dir)      after the run: write the workload's own files (samples) into dir.
 *   Verdict()       did the workload's invariants hold (no torn or regressing reads)?
 *   Counters()      per-node counters for counters.csv, with stable names.
 *
 * Implementation: TasvirStepWorkload, which runs the stepped C workloads of the hardware
 * node program (struct tnode_workload: "versioned", the shared writers and staleness
 * probes of experiments/workload, and the others) unchanged, by turning each step into a
 * thread-agent task.
 */
#ifndef TASVIR_SIM_WORKLOAD_H
#define TASVIR_SIM_WORKLOAD_H

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
    /** After Stop: did every invariant hold?  false with a message naming the first
     *  violation (torn or regressing reads...). */
    virtual bool Verdict(std::string* message) const = 0;
    /** Column names of the per-node counters, and the values of node i. */
    virtual std::vector<std::string> CounterNames() const = 0;
    virtual std::vector<uint64_t> Counters(uint32_t node) const = 0;
    /** Files Write() produced (names relative to dir), for the manifest. */
    virtual std::vector<std::string> Files() const = 0;

    /** One effective parameter for the manifest's flat `params` (units in the key). */
    struct Param
    {
        std::string key;
        bool numeric;
        double num;
        std::string str;
    };
    /** The workload's own parameters for the manifest (none by default). */
    virtual std::vector<Param> Params() const
    {
        return {};
    }
};

} // namespace ns3

#endif /* TASVIR_SIM_WORKLOAD_H */

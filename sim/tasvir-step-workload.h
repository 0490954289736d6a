/*
 * tasvir-step-workload.h — runs a *stepped* workload, the kind tasvir-node runs on
 * hardware (struct tnode_workload, experiments/node/workload.h), on simulated nodes.
 *
 * A stepped workload never blocks and never reads a clock: each worker thread's step
 * runs between two check-ins and says when its next step is due (node clock).  On
 * hardware, tasvir-node's worker loop checks in continuously and calls the step when it
 * is due.  Here each step is a task on the thread's agent (TasvirThreadAgent::Submit), so
 * it runs only between check-ins: right after the thread's first check-in tick at or after
 * the time the workload asked for (converted from the node's clock), as a worker loop
 * "check in, then step if due" would run it, or later if the thread is busy.  The same C code thus
 * runs unchanged in both modes and writes the same samples schema and counters.
 *
 * Mapping of the table's calls (optional entries are used when present):
 *   conf_create/conf_set/          once per node, with the --param KEY=VALUE list;
 *   conf_check/threads             conf_params of node 0 go to the manifest's params
 *   create                         at time 0 (env: node, id, all ids, threads, seed)
 *   thread_init, thread_step...    tasks on thread agents 0 .. threads()-1
 *   thread_readmitted,             after every simulated check-in (every epoch end);
 *   thread_checkin                 the first only when tasvir_service said READMITTED
 *   write_files                    after the run, into the run directory; the shared
 *                                  module's per-node files (versioned) are converted to
 *                                  simulator time and joined (tasvir-shared-files.h)
 *   thread_fini, counters,         after the run; counters become counters.csv rows (wl_*)
 *   write_samples, verdict         samples of all nodes go to one file (header once);
 *                                  a failed verdict fails the run
 */
#ifndef TASVIR_STEP_WORKLOAD_H
#define TASVIR_STEP_WORKLOAD_H

#include "tasvir-workload.h"

#include "ns3/event-id.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct tnode_workload;

namespace ns3
{

class TasvirStepWorkload : public TasvirWorkload
{
  public:
    /**
     * @param wl        the workload table
     * @param params    (KEY, VALUE) pairs passed to conf_set, in order
     * @param samples   path of the samples file write_samples fills ("" : none)
     * @param seed      the run's seed (env.seed)
     * @param join      join the shared module's per-node files (if the workload wrote
     *                  them) into visibility.csv, samples.csv and versions.csv
     */
    TasvirStepWorkload(const struct tnode_workload* wl,
                       std::vector<std::pair<std::string, std::string>> params,
                       std::string samples,
                       uint64_t seed,
                       bool join = true);
    ~TasvirStepWorkload() override;

    /** Names of the stepped workloads built in, for --help and errors. */
    static std::vector<std::string> Names();
    /** The table of a stepped workload by name (nullptr if unknown). */
    static const struct tnode_workload* Find(const std::string& name);
    /** Check the parameters without running (one conf_create/conf_set round). */
    static bool CheckParams(const struct tnode_workload* wl,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            uint32_t threads,
                            std::string* error);

    bool Install(const std::vector<Ptr<TasvirNodeApp>>& apps,
                 Time start,
                 std::string* error) override;
    void Stop() override;
    bool Write(const std::string& dir, std::string* error) override;
    bool Verdict(std::string* message) const override;
    std::vector<std::string> CounterNames() const override;
    std::vector<uint64_t> Counters(uint32_t node) const override;
    std::vector<std::string> Files() const override;
    std::vector<Param> Params() const override;

  private:
    struct NodeRun
    {
        void* conf = nullptr;
        void* wl = nullptr;
        unsigned threads = 0;
        std::vector<EventId> events;
        std::vector<bool> failed;
        std::vector<uint64_t> verified, written; //!< thread_work at its last charge
        std::vector<std::pair<std::string, uint64_t>> counters;
        std::string verdict;
        bool verdictOk = true;
    };

    void Step(uint32_t node, unsigned idx, bool init);
    void OnService(uint32_t node, uint32_t idx, int rc, uint64_t costNs);
    void ScheduleStep(uint32_t node, unsigned idx, uint64_t dueNodeNs);
    /** CPU time of the application work thread idx did since the last call (thread_work
     *  at the calibrated app_*_ns_per_line; 0 for workloads without it). */
    uint64_t AppWorkNs(uint32_t node, unsigned idx);
    void Finish();

    const struct tnode_workload* m_wl;
    std::vector<std::pair<std::string, std::string>> m_params;
    std::string m_samples;
    uint64_t m_seed;
    std::vector<Ptr<TasvirNodeApp>> m_apps;
    std::vector<uint16_t> m_ids;
    std::vector<NodeRun> m_nodes;
    std::vector<std::string> m_counterNames;
    std::vector<Param> m_params_out;
    std::vector<std::string> m_files; //!< written by Write (names relative to the run dir)
    bool m_join;
    bool m_stopped;
    bool m_finished;
};

} // namespace ns3

#endif /* TASVIR_STEP_WORKLOAD_H */

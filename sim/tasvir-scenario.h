/*
 * tasvir-scenario.h — one tasvir-sim run: build the testbed from a TasvirSimConfig, run
 * it, write its outputs.  Shared by the tasvir-sim program and the sim tests.
 *
 * Build (at simulated time 0): seed ns-3's RNG, load the calibration, create N hosts and
 * the star network, one TasvirNodeApp per host (node id = host index), optional raw-frame
 * load, the workload, pcap hooks; fix every random stream in a fixed order.  Node clocks
 * get offsets drawn uniformly in [0, clockSkew) (default: the largest sync interval), so
 * the core's interval grids are not in phase across nodes.  Run: until
 * `duration`.  Outputs (in --out; everything derived from simulated state only, written in
 * node order, so the same config and seed give byte-identical files):
 *
 *   manifest.json  the keys of docs/data-formats.md (label, mode, seed, git_rev, params,
 *                  analytic_bound_ns, clock_error_ns), then every option as given and
 *                  resolved, the calibration (path, checksum, values, defaulted keys),
 *                  a summary and the list of files
 *   counters.csv   node,name,value: core, glue, port and workload counters of every node
 *   versions-node<N>.csv, visible-node<N>.csv, samples-raw-node<N>.csv
 *                  the shared workload's per-node files (versioned workload), converted
 *                  to simulator time; joined (tsv_join, as tasvir-collect does on
 *                  hardware) into visibility.csv and samples.csv, and versions.csv
 *   links.csv      per host link: host NIC and switch port counters, both directions
 *   raw.csv        per node: synthetic raw-frame counters (when rawRate > 0)
 *   samples.csv    probe reads: the join's (versioned), or a stepped workload's own
 *                  write_samples (the same as tasvir-node writes)
 *   pcap/          host-<id>.pcap per node (when pcap is on)
 *
 * Call SetTimeResolution() before creating any ns-3 object: the scenario runs with
 * picosecond resolution so that serialization times at 10 Gb/s are exact.
 */
#ifndef TASVIR_SCENARIO_H
#define TASVIR_SCENARIO_H

#include "tasvir-agents.h"
#include "tasvir-cost-model.h"
#include "tasvir-sim-config.h"
#include "tasvir-star-helper.h"
#include "tasvir-workload.h"

#include "ns3/mac48-address.h"
#include "ns3/net-device-container.h"
#include "ns3/node-container.h"

#include <cstdint>
#include <map>
#include <memory>

struct json_t;
#include <string>
#include <vector>

namespace ns3
{

class TasvirNodeApp;
class TasvirRawTrafficApp;

class TasvirScenario
{
  public:
    /** Picosecond time resolution; call first thing in main (idempotent). */
    static void SetTimeResolution();

    /** Check the workload choice and its --param list; false with *error (a usage
     *  error: unknown workload, bad parameter, too few threads). */
    static bool ValidateWorkload(const TasvirSimConfig& cfg, std::string* error);
    /** Names of the workloads tasvir-sim can run (the stepped workloads of tasvir-node). */
    static std::vector<std::string> WorkloadNames();

    explicit TasvirScenario(const TasvirSimConfig& cfg);
    ~TasvirScenario();

    bool Build(std::string* error);
    /** Run to the configured duration. */
    void Run();
    bool WriteOutputs(std::string* error);

    const TasvirSimConfig& GetConfig() const;
    const std::vector<Ptr<TasvirNodeApp>>& GetApps() const;
    const std::vector<Ptr<TasvirRawTrafficApp>>& GetRawApps() const;
    TasvirStarHelper& GetStar();
    Ptr<TasvirWorkload> GetWorkload() const;
    /** A workload counter (counters.csv name without the "wl_" prefix, e.g. "probe_torn"),
     *  summed over the nodes; 0 if the workload has no such counter. */
    uint64_t WorkloadCounter(const std::string& name) const;
    /** Every node's clock offset (node clock = simulator time + offset), in node order. */
    std::vector<uint64_t> GetClockOffsetsNs() const;
    const TasvirCostModel& GetCostModel() const;
    uint64_t GetDurationNs() const;
    /** Events executed by Run(). */
    uint64_t GetEvents() const;
    /** Files written into the output directory (names relative to it). */
    std::vector<std::string> GetFiles() const;
    /** What Build() found questionable but not wrong (e.g. a calibration measured for
     *  another idle poll), one sentence each, for the user. */
    const std::vector<std::string>& GetWarnings() const;

  private:
    bool WriteCounters(const std::string& path, std::string* error) const;
    struct json_t* ContractParams() const;
    uint64_t AnalyticBoundNs() const;
    bool WriteLinks(const std::string& path, std::string* error) const;
    bool WriteRaw(const std::string& path, std::string* error) const;
    bool WriteManifest(const std::string& path, std::string* error) const;

    TasvirSimConfig m_cfg;
    TasvirCostModel m_costs;
    NodeContainer m_hosts;
    TasvirStarHelper m_star;
    NetDeviceContainer m_nics;
    std::vector<Mac48Address> m_macs;
    std::vector<Ptr<TasvirNodeApp>> m_apps;
    std::vector<uint32_t> m_nodeCpu;                      //!< host CPU of node i (--nodeCpu)
    std::map<uint32_t, std::unique_ptr<TasvirHostCpu>> m_cpus; //!< shared host CPUs by number
    std::vector<Ptr<TasvirRawTrafficApp>> m_raw;
    Ptr<TasvirWorkload> m_workload;
    uint64_t m_skewNs;
    uint64_t m_durationNs;
    uint64_t m_events;
    bool m_built;
    std::vector<std::string> m_warnings;
};

} // namespace ns3

#endif /* TASVIR_SCENARIO_H */

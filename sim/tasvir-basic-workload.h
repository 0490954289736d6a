/*
 * tasvir-basic-workload.h — the built-in workload: writers, subscriptions and a probe.
 *
 * Writers: every node owns AreasPerNode areas named "n<node>.a<j>", area j owned by thread
 * j % threads.  Each area gets writes at WriteRate per second (constant spacing or
 * Poisson), each write stamping LinesPerWrite consecutive lines (the next ones in sequence,
 * or a random start) and the area's header line (line 0) with its sequence number and
 * write time.  A stamped line carries (seq, write time, area, line, checksum), so a reader
 * can tell a torn version (header of one write, lines of another) from a consistent one.
 *
 * Subscriptions: the probe thread (the node's last thread) attaches every local area, and
 * the remote areas chosen by the pattern: none, all (every other node's areas), one (node
 * 0's areas, from every other node) or random (the areas of K random other nodes).  An
 * attach that fails with -ENOENT (the name is not known on this node yet: discovery is the
 * external-sync layer's business) is retried with exponential backoff.
 *
 * Probe: SampleRate times per second the probe thread reads every attached area and writes
 * one row per area to samples.csv: what it sees (version, publish time, last write)
 * against the ground truth kept by the simulation (the owner's latest published version
 * and the publish time of every version), giving age and version lag as defined in
 * DESIGN.md §6, plus the write-to-visibility delay the first time a write is seen.
 *
 * Ground truth beyond the probe (written by Write(), docs/data-formats.md): after every
 * call into a node's core, the versions its owned areas published (versions.csv) and the
 * versions its remote subscriptions made visible, and when (visibility.csv: for every
 * published version and subscriber, when a version >= it became visible there).
 * All times in the files are simulator time (node clocks converted).
 */
#ifndef TASVIR_BASIC_WORKLOAD_H
#define TASVIR_BASIC_WORKLOAD_H

#include "tasvir-workload.h"

#include "ns3/event-id.h"
#include "ns3/nstime.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

struct tasvir_area;

namespace ns3
{

class UniformRandomVariable;
class ExponentialRandomVariable;

class TasvirBasicWorkload : public TasvirWorkload
{
  public:
    enum Subscription
    {
        SUB_NONE,
        SUB_ALL,
        SUB_ONE,
        SUB_RANDOM,
    };

    struct Config
    {
        uint32_t areasPerNode = 1;
        uint64_t areaBytes = 65536;
        uint64_t syncIntUs = 0; //!< 0: node default
        uint64_t syncExtUs = 0; //!< 0: node default
        double writeRate = 1000; //!< writes per second per area (0: no writes)
        Time writeStop = Time(0); //!< no writes from this time on (0: never stop)
        uint32_t linesPerWrite = 1;
        bool randomLines = false;
        bool poissonWrites = false;
        double sampleRate = 100; //!< probe samples per second per node (0: none)
        Subscription subscription = SUB_NONE;
        uint32_t subscribeK = 2;
        Time attachRetryMin = MilliSeconds(1);
        Time attachRetryMax = MilliSeconds(64);
        std::string samplesPath; //!< "" : no samples file
        bool visibility = false; //!< keep what Write() needs for visibility.csv
    };

    explicit TasvirBasicWorkload(const Config& cfg);
    ~TasvirBasicWorkload() override;

    /** Check a configuration; false with *error naming the bad field. */
    static bool Validate(const Config& cfg, std::string* error);
    static const char* SubscriptionName(Subscription s);
    /** Parse "none", "all", "one", "random"; false if unknown. */
    static bool ParseSubscription(const std::string& s, Subscription* out);

    /** Fix the random streams (call before Install); returns how many were used. */
    int64_t AssignStreams(int64_t stream);

    bool Install(const std::vector<Ptr<TasvirNodeApp>>& apps,
                 Time start,
                 std::string* error) override;
    void Stop() override;
    bool Write(const std::string& dir, std::string* error) override;
    bool Verdict(std::string* message) const override;
    std::vector<std::string> CounterNames() const override;
    std::vector<uint64_t> Counters(uint32_t node) const override;
    std::vector<std::string> Files() const override;

    /** Subscriptions (attached or not) whose reader copy differs from the owner's
     *  published version (version or bytes); 0 when every subscriber has converged. */
    uint64_t CountUnconverged() const;
    /** Subscriptions not attached yet. */
    uint64_t CountUnattached() const;

    /** Totals over all nodes (tests). */
    uint64_t TotalWrites() const;
    uint64_t TotalSamples() const;
    uint64_t TotalTorn() const;
    uint64_t TotalNonMonotonic() const;

  private:
    struct Area
    {
        std::string name;
        uint32_t ownerNode;
        uint32_t ownerThread;
        uint32_t uid;
        uint32_t id; //!< the core's testbed-wide area id (tasvir_area_info)
        struct tasvir_area* handle; //!< the owner's handle
        uint64_t nlines;
        uint64_t cursor;  //!< next line of a sequential writer
        uint64_t seq;     //!< writes so far
        std::vector<uint64_t> pubNs; //!< publish time of each version (index = version)
        EventId writeEvent;
    };
    struct Sub
    {
        uint32_t area;
        struct tasvir_area* handle; //!< null until attached
        uint64_t lastVersion;
        uint64_t seenVersion;                                 //!< visible here, last call
        uint64_t attachNs;                                    //!< when the attach succeeded
        std::vector<std::pair<uint64_t, uint64_t>> visible;   //!< (version, visible ns)
        uint64_t lastSeq;
        Time retry;
        EventId retryEvent;
    };
    struct NodeState
    {
        std::vector<uint32_t> owned; //!< indices into m_areas
        std::vector<Sub> subs;
        EventId sampleEvent;
        uint64_t writes = 0;
        uint64_t samples = 0;
        uint64_t rows = 0;
        uint64_t torn = 0;
        uint64_t nonMonotonic = 0;
        uint64_t attachOk = 0;
        uint64_t attachTries = 0;
    };

    void ScheduleWrite(uint32_t area, bool first);
    void WriteEvent(uint32_t area);
    uint64_t DoWrite(uint32_t area);
    void ScheduleSample(uint32_t node, Time delay);
    void SampleEvent(uint32_t node);
    uint64_t DoSample(uint32_t node);
    void TryAttach(uint32_t node, uint32_t sub);
    void AfterCall(uint32_t node);
    void PlanSubscriptions(uint32_t node, std::vector<uint32_t>* remoteNodes);
    /** A time on node `node`'s clock, in simulator time. */
    uint64_t ToSim(uint64_t nodeNs, uint32_t node) const;

    bool WriteVersions(const std::string& path, std::string* error) const;
    bool WriteVisibility(const std::string& path, std::string* error) const;

    Config m_cfg;
    std::vector<Ptr<TasvirNodeApp>> m_apps;
    std::vector<Area> m_areas;
    std::vector<NodeState> m_nodes;
    Ptr<UniformRandomVariable> m_uni;
    Ptr<ExponentialRandomVariable> m_exp;
    FILE* m_samples;
    bool m_stopped;
};

} // namespace ns3

#endif /* TASVIR_BASIC_WORKLOAD_H */

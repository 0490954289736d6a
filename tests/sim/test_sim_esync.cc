/*
 * test_sim_esync.cc — external synchronization of the unchanged core on the simulated
 * network, measured by the shared workload (versioned: experiments/workload's writers and
 * staleness probes, tasvir-sim's default) exactly as on hardware.
 *
 * Covers: three nodes, all-to-all, unicast and multicast fan-out: every subscription
 * attaches, every subscriber converges to the writer's final version (the probe verifies
 * the contents of every version it sees: complete, not torn), versions never go backwards
 * (probe and visible-node<N>.csv); 5% link loss while writing, then loss switched off: no
 * torn version, frames were lost, all converge; staleness sanity: with zero loss no
 * visibility delay (every version, DESIGN.md §6, from visibility.csv) exceeds the analytic
 * bound of the manifest (owner internal + external interval + transmission + propagation +
 * reader internal) plus the modelled CPU costs, and the median grows with the external
 * interval (about half of it); node clocks
 * get random offsets by default (recorded in the manifest), none with clockSkew=0;
 * sleeping nodes (--relax=sleep) poll periodically when idle, wait for sleeping workers and
 * find frames only at their polls, so versions become visible later than with spinning;
 * nodes sharing a host CPU (--nodeCpu) take turns on it and pay a switch each time; a
 * stepped workload of tasvir-node ("local", reading every node) runs unchanged and its
 * verdict holds.
 *
 * (C++ tests use Criterion's classic assertion macros: the typed ones of
 * criterion/new/assert.h do not compile with C++ rvalue arguments in Criterion 2.4.)
 */
#include "tasvir-node-app.h"
#include "tasvir-net-device.h"
#include "tasvir-scenario.h"
#include "tasvir-switch.h"

#include "tasvir/tasvir.h"

#include "ns3/simulator.h"

#include <algorithm>
#include <criterion/criterion.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace ns3;

namespace
{

std::string
TempDir()
{
    char dir[] = "/tmp/tasvir-esync-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

TasvirSimConfig
Config(const std::string& out)
{
    TasvirSimConfig c;
    c.nodes = 3;
    c.threads = 2;
    c.subscription = "all";
    c.syncInt = "1ms";
    c.syncExt = "10ms";
    c.writeRate = 2000;
    c.linesPerWrite = 4;
    c.sampleRate = 1000;
    c.writeStop = "100ms";
    c.duration = "300ms";
    c.params = {{"requireConverged", "1"}};
    c.out = out;
    return c;
}

/* CSV rows as maps column -> value. */
std::vector<std::map<std::string, std::string>>
ReadCsv(const std::string& path)
{
    std::ifstream in(path);
    cr_assert(in.good(), "%s", path.c_str());
    std::string line;
    std::getline(in, line);
    std::vector<std::string> cols;
    std::stringstream hs(line);
    for (std::string c; std::getline(hs, c, ',');)
    {
        cols.push_back(c);
    }
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line))
    {
        std::map<std::string, std::string> r;
        std::stringstream ls(line);
        std::string v;
        for (size_t i = 0; i < cols.size(); i++)
        {
            if (!std::getline(ls, v, ','))
            {
                v.clear();
            }
            r[cols[i]] = v;
        }
        rows.push_back(r);
    }
    return rows;
}

uint64_t
U(const std::map<std::string, std::string>& r, const char* k)
{
    return std::strtoull(r.at(k).c_str(), nullptr, 10);
}

/* The workload's invariants, the convergence and the files of a finished run. */
void
CheckConverged(TasvirScenario& s, const TasvirSimConfig& c, const char* what)
{
    std::string verdict;
    cr_assert(s.GetWorkload()->Verdict(&verdict), "%s: %s", what, verdict.c_str());
    cr_assert_eq(s.WorkloadCounter("probe_torn"), 0, "%s: no torn version", what);
    cr_assert_eq(s.WorkloadCounter("probe_backwards"), 0, "%s: versions monotonic", what);
    cr_assert_eq(s.WorkloadCounter("changed_without_version"), 0, "%s", what);
    uint64_t targets = s.WorkloadCounter("targets");
    cr_assert_eq(targets, (uint64_t)c.nodes * c.nodes, "%s: every node probes every area", what);
    cr_assert_eq(s.WorkloadCounter("targets_attached"), targets, "%s: all attached", what);
    cr_assert_eq(s.WorkloadCounter("targets_converged"), targets,
                 "%s: every subscriber ended on the owner's final version", what);
    for (const Ptr<TasvirNodeApp>& app : s.GetApps())
    {
        struct tasvir_stats st;
        tasvir_node_stats(app->GetTasvirNode(), &st);
        cr_assert_gt(st.versions_rx_published, 0, "%s: node received versions", what);
    }
    // The files: each subscriber's last visible version of an area is the owner's last
    // published one, and the versions it made visible only grow.
    std::map<uint64_t, uint64_t> lastOwned; // area -> last version
    for (const auto& r : ReadCsv(c.out + "/versions.csv"))
    {
        lastOwned[U(r, "area")] = std::max(lastOwned[U(r, "area")], U(r, "version"));
    }
    cr_assert_eq(lastOwned.size(), c.nodes, "%s: one area per node", what);
    for (uint32_t n = 0; n < c.nodes; n++)
    {
        std::map<uint64_t, uint64_t> last; // area -> last visible version here
        for (const auto& r : ReadCsv(c.out + "/visible-node" + std::to_string(n) + ".csv"))
        {
            uint64_t a = U(r, "area"), v = U(r, "version");
            cr_assert_gt(v, last[a], "%s: node %u: area %lu version %lu after %lu", what, n, a, v,
                         last[a]);
            last[a] = v;
        }
        cr_assert_eq(last.size(), c.nodes - 1, "%s: node %u saw every remote area", what, n);
        for (const auto& av : last)
        {
            cr_assert_eq(av.second, lastOwned[av.first],
                         "%s: node %u ends on version %lu of area %lu, the owner published %lu",
                         what, n, av.second, av.first, lastOwned[av.first]);
        }
    }
}

void
RunAndCheckConverged(TasvirSimConfig c, const char* what)
{
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s: %s", what, err.c_str());
    s.Run();
    cr_assert(s.WriteOutputs(&err), "%s: %s", what, err.c_str());
    cr_assert_gt(s.WorkloadCounter("writes"), 3 * 150, "%s", what);
    CheckConverged(s, c, what);
    Simulator::Destroy();
}

struct Staleness
{
    uint64_t boundNs = 0;   //!< manifest analytic_bound_ns
    uint64_t slackNs = 0;   //!< modelled CPU costs on the way
    uint64_t maxDelayNs = 0;
    uint64_t medianDelayNs = 0;
    uint64_t maxAgeNs = 0;
    size_t rows = 0;
};

uint64_t
ManifestBound(const std::string& dir)
{
    std::ifstream in(dir + "/manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t k = text.find("\"analytic_bound_ns\": ");
    cr_assert_neq(k, std::string::npos);
    return std::strtoull(text.c_str() + k + 21, nullptr, 10);
}

Staleness
RunStaleness(const std::string& dir, const char* ext)
{
    TasvirSimConfig c = Config(dir);
    c.syncExt = ext;
    c.writeStop = "0s";
    c.duration = "400ms";
    c.sampleRate = 2000;
    c.params.clear();
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    s.Run();
    cr_assert(s.WriteOutputs(&err), "%s", err.c_str());
    Staleness st;
    // Modelled CPU costs on a version's way: the owner's polls (the round, frames encoded),
    // the subscriber's polls (frames decoded), its epoch (check-ins, copy of the changed
    // lines, publish) and the times to notice kicks and frames; generously 10 polls.
    const TasvirCostModel::Params& m = s.GetCostModel().Get();
    double poll = m.poll_ns + m.poll_ns_per_peer * (c.nodes - 1);
    double frames = 4 * (c.nodes - 1);
    st.slackNs = (uint64_t)(10 * poll + frames * (m.frame_encode_ns + m.frame_decode_ns +
                                                  1.5 * (m.frame_encode_ns_per_kib +
                                                         m.frame_decode_ns_per_kib)) +
                            m.epoch_fixed_ns + 4 * m.checkin_ns + m.checkin_jitter_ns +
                            1024 * m.copy_ns_per_line + m.done_notice_ns +
                            4 * m.engine_wake_ns + 10000 /* check-in period */);
    Simulator::Destroy();
    st.boundNs = ManifestBound(dir);
    std::vector<uint64_t> delays;
    for (const auto& r : ReadCsv(dir + "/visibility.csv"))
    {
        if (r.at("delay_ns").empty() || U(r, "pub_ns") < 50000000)
        {
            continue; // never visible (published at the end), or still attaching
        }
        delays.push_back(U(r, "delay_ns"));
    }
    std::sort(delays.begin(), delays.end());
    st.rows = delays.size();
    st.maxDelayNs = delays.empty() ? 0 : delays.back();
    st.medianDelayNs = delays.empty() ? 0 : delays[delays.size() / 2];
    for (const auto& r : ReadCsv(dir + "/samples.csv"))
    {
        if (r.at("node") != r.at("owner") && U(r, "time_ns") >= 50000000 && !r.at("age_ns").empty())
        {
            st.maxAgeNs = std::max(st.maxAgeNs, U(r, "age_ns"));
        }
    }
    return st;
}

} // namespace

Test(sim_esync, converge_unicast, .timeout = 120)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    RunAndCheckConverged(Config(dir), "unicast");
    std::filesystem::remove_all(dir);
}

Test(sim_esync, converge_multicast, .timeout = 120)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    TasvirSimConfig c = Config(dir);
    c.addressing = "multicast";
    RunAndCheckConverged(c, "multicast");
    std::filesystem::remove_all(dir);
}

Test(sim_esync, loss_then_converge, .timeout = 120)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    TasvirSimConfig c = Config(dir);
    c.lossRate = 0.05;
    c.writeStop = "150ms";
    c.duration = "500ms";
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    TasvirStarHelper* star = &s.GetStar();
    Simulator::Schedule(MilliSeconds(200), [star]() { star->ChangeLossRate(0); });
    s.Run();
    cr_assert(s.WriteOutputs(&err), "%s", err.c_str());
    uint64_t lost = 0;
    for (uint32_t i = 0; i < c.nodes; i++)
    {
        lost += s.GetStar().GetSwitch()->GetPort(i)->GetRxErrorDrops();
    }
    cr_assert_gt(lost, 0, "frames were lost");
    CheckConverged(s, c, "5% loss, then none");
    Simulator::Destroy();
    std::filesystem::remove_all(dir);
}

Test(sim_esync, staleness_bound_and_interval, .timeout = 300)
{
    TasvirScenario::SetTimeResolution();
    std::string d1 = TempDir(), d2 = TempDir();
    Staleness fast = RunStaleness(d1, "5ms");
    Staleness slow = RunStaleness(d2, "20ms");
    cr_assert_gt(fast.rows, 1000);
    cr_assert_gt(slow.rows, 1000);
    // The manifest's bound: owner internal (1 ms) + external + transmission (one round of
    // 5 ms * 2000 writes/s * 5 lines = 50 lines: 3 frames per subscriber, ~2.5 us each,
    // plus the end-of-version frame) + one-way delay (propagation and switch 1.5 us, store
    // and forward ~2.5 us) + reader internal (1 ms).
    cr_assert_geq(fast.boundNs, 7000000);
    cr_assert_leq(fast.boundNs, 7030000, "bound %lu", fast.boundNs);
    cr_assert_geq(slow.boundNs, 22000000);
    cr_assert_leq(slow.boundNs, 22060000, "bound %lu", slow.boundNs);
    cr_assert_leq(fast.slackNs, 300000, "the modelled costs stay small: %lu", fast.slackNs);
    cr_assert_leq(fast.maxDelayNs, fast.boundNs + fast.slackNs, "worst %lu bound %lu + %lu",
                  fast.maxDelayNs, fast.boundNs, fast.slackNs);
    cr_assert_leq(slow.maxDelayNs, slow.boundNs + slow.slackNs, "worst %lu bound %lu + %lu",
                  slow.maxDelayNs, slow.boundNs, slow.slackNs);
    // Age counts from the publish of the oldest version a reader lacks, so it is bounded the
    // same way (less the owner's internal interval, which it does not include).
    cr_assert_leq(fast.maxAgeNs, fast.boundNs - 1000000 + fast.slackNs, "max age %lu",
                  fast.maxAgeNs);
    cr_assert_leq(slow.maxAgeNs, slow.boundNs - 1000000 + slow.slackNs, "max age %lu",
                  slow.maxAgeNs);
    // Versions are published on the owner's internal grid and its external rounds lie on
    // the same clock's grid: a version waits 0 .. ext - int for its round (median
    // (ext - int) / 2), then up to one internal interval for the reader's next sync (its
    // clock is out of phase: median int / 2).  The median is about half the external
    // interval.
    auto near = [](uint64_t median, double ext) {
        double expect = ext / 2;
        return (double)median > expect - 1000000 && (double)median < expect + 1000000;
    };
    cr_assert(near(fast.medianDelayNs, 5e6), "median %lu at 5 ms", fast.medianDelayNs);
    cr_assert(near(slow.medianDelayNs, 20e6), "median %lu at 20 ms", slow.medianDelayNs);
    cr_assert_gt(slow.medianDelayNs, 3 * fast.medianDelayNs, "median %lu vs %lu",
                 slow.medianDelayNs, fast.medianDelayNs);
    std::filesystem::remove_all(d1);
    std::filesystem::remove_all(d2);
}

Test(sim_esync, clock_offsets_random_by_default, .timeout = 60)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    TasvirSimConfig c = Config(dir);
    c.nodes = 8;
    c.duration = "1ms";
    c.syncExt = "20ms";
    std::vector<uint64_t> first;
    for (int run = 0; run < 3; run++)
    {
        if (run == 2)
        {
            c.seed = 2;
        }
        TasvirScenario s(c);
        std::string err;
        cr_assert(s.Build(&err), "%s", err.c_str());
        std::vector<uint64_t> off = s.GetClockOffsetsNs();
        cr_assert_eq(off.size(), 8);
        std::vector<uint64_t> sorted = off;
        std::sort(sorted.begin(), sorted.end());
        cr_assert(std::unique(sorted.begin(), sorted.end()) == sorted.end(), "distinct offsets");
        for (uint64_t o : off)
        {
            cr_assert_lt(o, 20000000, "within the largest sync interval");
        }
        if (run == 0)
        {
            first = off;
        }
        else if (run == 1)
        {
            cr_assert(off == first, "the same seed gives the same offsets");
        }
        else
        {
            cr_assert(off != first, "another seed gives other offsets");
        }
        Simulator::Destroy();
    }
    c.clockSkew = "0ns";
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    for (uint64_t o : s.GetClockOffsetsNs())
    {
        cr_assert_eq(o, 0, "clockSkew=0ns: all clocks equal");
    }
    Simulator::Destroy();
    std::filesystem::remove_all(dir);
}

Test(sim_esync, stepped_local_workload, .timeout = 120)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    TasvirSimConfig c;
    c.nodes = 3;
    c.threads = 2;
    c.workload = "local";
    c.params = {{"read_nodes", "all"},
                {"read_us", "200"},
                {"write_for_ms", "100"},
                {"require_converged", "1"}};
    c.duration = "300ms";
    c.out = dir;
    std::string err;
    cr_assert(TasvirScenario::ValidateWorkload(c, &err), "%s", err.c_str());
    TasvirScenario s(c);
    cr_assert(s.Build(&err), "%s", err.c_str());
    s.Run();
    cr_assert(s.WriteOutputs(&err), "%s", err.c_str());
    std::string verdict;
    cr_assert(s.GetWorkload()->Verdict(&verdict), "%s", verdict.c_str());
    // Reader rows from every owner node are in the one samples file.
    std::vector<std::map<std::string, std::string>> rows = ReadCsv(dir + "/samples.csv");
    std::map<std::string, int> owners;
    for (const auto& r : rows)
    {
        owners[r.at("owner_node")]++;
    }
    cr_assert_eq(owners.size(), 3, "samples of areas of all three owners");
    Simulator::Destroy();

    // Bad parameters are usage errors that name the parameter.
    c.params = {{"read_us", "soon"}};
    cr_assert_not(TasvirScenario::ValidateWorkload(c, &err));
    cr_assert(err.find("read_us") != std::string::npos, "%s", err.c_str());
    c.params = {{"writers", "3"}, {"readers", "1"}};
    cr_assert_not(TasvirScenario::ValidateWorkload(c, &err));
    cr_assert(err.find("--threads=4") != std::string::npos, "%s", err.c_str());
    c.workload = "nosuch";
    cr_assert_not(TasvirScenario::ValidateWorkload(c, &err));
    cr_assert(err.find("unknown workload 'nosuch'") != std::string::npos, "%s", err.c_str());
    std::filesystem::remove_all(dir);
}

namespace
{

struct SleepRun
{
    uint64_t polls = 0;         // node 1's engine polls
    double barrierUs = 0;       // node 1's mean epoch barrier
    uint64_t medianDelayNs = 0; // node 1's visibility delay of node 0's versions
    bool oneCpu = false;        // both nodes on the same shared host CPU
    uint64_t cpuBusyNs = 0, cpuSwitches = 0;
    uint64_t ownerCpuBusyNs = 0; // node 0's host CPU
    uint64_t ownerFramesTx = 0;  // frames node 0 sent
    uint64_t medianSendNs = 0;   // node 1's received versions: owner publish -> sent
};

SleepRun
RunRelax(const std::string& dir,
         const std::string& calibration,
         const char* relax,
         const char* nodeCpu = "")
{
    TasvirSimConfig c = Config(dir);
    c.nodes = 2;
    c.subscription = "one";
    c.syncExt = "1ms";
    c.linesPerWrite = 1;
    c.writeRate = 1000;
    c.writeStop = "0s";
    c.duration = "200ms";
    c.sampleRate = 0;
    c.clockSkew = "0ns";
    c.params = {{"writeNodes", "0"}};
    c.calibration = calibration;
    c.relax = relax;
    c.idlePoll = "20us";
    c.nodeCpu = nodeCpu;
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    s.Run();
    cr_assert(s.WriteOutputs(&err), "%s", err.c_str());
    SleepRun r;
    Ptr<TasvirNodeApp> reader = s.GetApps()[1];
    r.polls = reader->GetEngineAgent()->GetPolls();
    struct tasvir_stats st;
    tasvir_node_stats(reader->GetTasvirNode(), &st);
    cr_assert_gt(st.epochs_ok, 150, "%s: the reader's epochs ran", relax);
    r.barrierUs = (double)st.barrier_ns / (double)st.epochs_ok / 1e3;
    TasvirHostCpu* cpu = reader->GetHostCpu();
    r.oneCpu = cpu && cpu == s.GetApps()[0]->GetHostCpu();
    r.cpuBusyNs = cpu ? cpu->busyNs : 0;
    r.cpuSwitches = cpu ? cpu->switches : 0;
    TasvirHostCpu* ownerCpu = s.GetApps()[0]->GetHostCpu();
    r.ownerCpuBusyNs = ownerCpu ? ownerCpu->busyNs : 0;
    tasvir_node_stats(s.GetApps()[0]->GetTasvirNode(), &st);
    r.ownerFramesTx = st.frames_tx;
    Simulator::Destroy();
    std::vector<uint64_t> delays, sends;
    for (const auto& row : ReadCsv(dir + "/visibility.csv"))
    {
        if (row.at("node") == "1" && !row.at("delay_ns").empty() && U(row, "pub_ns") >= 20000000)
        {
            delays.push_back(U(row, "delay_ns"));
            if (!row.at("sent_ns").empty())
            {
                sends.push_back(U(row, "sent_ns") - U(row, "pub_ns"));
            }
        }
    }
    if (!sends.empty())
    {
        std::sort(sends.begin(), sends.end());
        r.medianSendNs = sends[sends.size() / 2];
    }
    cr_assert_gt(delays.size(), 150, "%s: versions reached the reader", relax);
    std::sort(delays.begin(), delays.end());
    r.medianDelayNs = delays[delays.size() / 2];
    return r;
}

/* A calibration file for the sleeping-node tests: 20 us switches, timed sleeps 50 us late;
 * `extra` adds lines. */
std::string
SleepCalibration(const std::string& dir, const std::string& extra = "")
{
    std::string cal = dir + "/sleep.calib";
    std::ofstream f(cal);
    f << "format = 1\nsleep_wake_ns = 20000\ntimer_late_ns = 50000\n" << extra;
    return cal;
}

/* The median delay of `later` exceeds that of `base` by more than lo and less than hi ns. */
void
AssertLaterBy(const SleepRun& later, const SleepRun& base, uint64_t lo, uint64_t hi)
{
    cr_assert_gt(later.medianDelayNs, base.medianDelayNs + lo, "median %lu vs %lu",
                 later.medianDelayNs, base.medianDelayNs);
    cr_assert_lt(later.medianDelayNs, base.medianDelayNs + hi, "median %lu vs %lu",
                 later.medianDelayNs, base.medianDelayNs);
}

/* Two runs with --relax=sleep, the two nodes on host CPUs 0 and 1: SleepCalibration plus
 * the keys `base`, then plus the keys `cost` (the cost under test). */
struct CostRuns
{
    SleepRun base, cost;
};

CostRuns
RunWithAndWithoutCost(const std::string& base, const std::string& cost)
{
    TasvirScenario::SetTimeResolution();
    std::string d1 = TempDir(), d2 = TempDir();
    CostRuns r;
    r.base = RunRelax(d1, SleepCalibration(d1, base), "sleep", "0,1");
    r.cost = RunRelax(d2, SleepCalibration(d2, cost), "sleep", "0,1");
    std::filesystem::remove_all(d1);
    std::filesystem::remove_all(d2);
    return r;
}

} // namespace

/* --relax=sleep: kicks reach threads after sleep_wake_ns (so epochs wait for sleeping workers),
 * the idle engine polls every idlePoll + timer_late_ns and a frame waits for that poll (so
 * versions become visible later); --relax=spin ignores both keys. */
Test(sim_esync, sleeping_nodes_wake_late, .timeout = 120)
{
    TasvirScenario::SetTimeResolution();
    std::string d1 = TempDir(), d2 = TempDir();
    std::string cal = SleepCalibration(d1);
    SleepRun spin = RunRelax(d1, cal, "spin");
    SleepRun sleep = RunRelax(d2, cal, "sleep");
    // Idle cycles of 20 us + 25..75 us (mean 50): about 200 ms / 70 us = 2860 polls, fewer
    // where the engine waits through epochs; a spinning engine polls only when due or kicked.
    cr_assert_gt(sleep.polls, 1700, "sleeping engine: %lu polls", sleep.polls);
    cr_assert_lt(sleep.polls, 4000, "sleeping engine: %lu polls", sleep.polls);
    cr_assert_lt(spin.polls * 2, sleep.polls, "spinning engine: %lu polls", spin.polls);
    // Two workers woken after 10..30 us each: the later one arrives after about 23 us.
    cr_assert(sleep.barrierUs > 15 && sleep.barrierUs < 35, "sleep barrier %.1f us",
              sleep.barrierUs);
    cr_assert_lt(spin.barrierUs, 12, "spin barrier %.1f us", spin.barrierUs);
    // On its way a version waits for the owner's next poll after the grid point, its
    // workers, the reader's next poll, the reader's workers: tens of microseconds each.
    AssertLaterBy(sleep, spin, 50000, 400000);
    std::filesystem::remove_all(d1);
    std::filesystem::remove_all(d2);
}

/* --nodeCpu: the agents of nodes placed on one host CPU run one at a time and pay a context
 * switch (sleep_wake_ns) each time the CPU changes hands, so the two workers of an epoch
 * arrive one after the other and versions take longer; the CPU is never busier than the
 * time that passed. */
Test(sim_esync, nodes_sharing_a_cpu_take_turns, .timeout = 120)
{
    TasvirScenario::SetTimeResolution();
    std::string d1 = TempDir(), d2 = TempDir();
    std::string cal = SleepCalibration(d1);
    SleepRun own = RunRelax(d1, cal, "sleep");
    SleepRun shared = RunRelax(d2, cal, "sleep", "0");
    cr_assert_not(own.oneCpu);
    cr_assert(shared.oneCpu, "both nodes on host CPU 0");
    cr_assert_gt(shared.cpuSwitches, 1000, "%lu switches", shared.cpuSwitches);
    cr_assert_geq(shared.cpuBusyNs, shared.cpuSwitches * 10000, "switches of 10..30 us");
    cr_assert_leq(shared.cpuBusyNs, 200000000, "busy %lu ns in a 200 ms run", shared.cpuBusyNs);
    // Own cores: the later of two wake-ups of 10..30 us, about 23 us.  One CPU: the engine
    // starting the epoch, then each worker switched in after the other, about 40 us or more.
    cr_assert_gt(shared.barrierUs, own.barrierUs * 1.3, "barrier %.1f us vs %.1f us",
                 shared.barrierUs, own.barrierUs);
    cr_assert_gt(shared.medianDelayNs, own.medianDelayNs, "median %lu vs %lu",
                 shared.medianDelayNs, own.medianDelayNs);
    std::filesystem::remove_all(d1);
    std::filesystem::remove_all(d2);
}

/* port_tx_ns / port_tx_ns_per_frame (a kernel-backed port, as net_af_packet's): the sending
 * CPU carries every frame it sends, and a frame leaves only after the kick and the frames
 * before it in its call, so the owner's CPU is busier by at least the per-frame cost of
 * every frame and versions arrive later. */
Test(sim_esync, port_transmit_costs_the_sender, .timeout = 120)
{
    CostRuns r = RunWithAndWithoutCost("", "port_tx_ns = 20000\nport_tx_ns_per_frame = 10000\n");
    const SleepRun &free = r.base, &port = r.cost;
    cr_log_info("port cost: owner busy %lu vs %lu ns, %lu frames; median delay %lu vs %lu ns",
                port.ownerCpuBusyNs, free.ownerCpuBusyNs, port.ownerFramesTx, port.medianDelayNs,
                free.medianDelayNs);
    cr_assert_not(port.oneCpu, "nodes on CPUs 0 and 1");
    cr_assert_gt(port.ownerFramesTx, 200, "%lu frames", port.ownerFramesTx);
    // Every frame adds at least its 10 us to the owner's CPU (each call's first also the
    // 20 us kick); without the keys the port costs nothing.
    cr_assert_geq(port.ownerCpuBusyNs, free.ownerCpuBusyNs + port.ownerFramesTx * 10000,
                  "busy %lu ns with the port cost, %lu without, %lu frames", port.ownerCpuBusyNs,
                  free.ownerCpuBusyNs, port.ownerFramesTx);
    cr_assert_leq(port.ownerCpuBusyNs, 200000000, "busy %lu ns in a 200 ms run",
                  port.ownerCpuBusyNs);
    // A version's DATA frame leaves 30 us (kick + its own cost) later than without.
    AssertLaterBy(port, free, 20000, 400000);
}

/* app_verify_ns_per_line / app_write_ns_per_line: the workload's own work (a probe verifying
 * each new version whole, a writer stamping lines) is CPU time of the thread that does it,
 * on its host CPU; with both keys 0 it costs nothing, as before the keys existed. */
Test(sim_esync, application_work_costs_its_thread, .timeout = 120)
{
    CostRuns r = RunWithAndWithoutCost("app_write_ns_per_line = 0\napp_verify_ns_per_line = 0\n",
                                       "app_write_ns_per_line = 0\napp_verify_ns_per_line = 100\n");
    const SleepRun &free = r.base, &app = r.cost;
    cr_log_info("application work: reader CPU busy %lu vs %lu ns; median delay %lu vs %lu ns",
                app.cpuBusyNs, free.cpuBusyNs, app.medianDelayNs, free.medianDelayNs);
    cr_assert_not(app.oneCpu, "nodes on CPUs 0 and 1");
    // The reader verifies each of the ~200 versions it receives in 200 ms, 1024 lines of its
    // 64 KiB area at 100 ns each: over 100 us a version, about 20 ms in all.  The two runs
    // also differ in context switches (a thread that goes on verifying after its check-in
    // is not switched in again), so at least half of that.
    cr_assert_geq(app.cpuBusyNs, free.cpuBusyNs + 10000000,
                  "busy %lu ns with the cost, %lu without", app.cpuBusyNs, free.cpuBusyNs);
    cr_assert_leq(app.cpuBusyNs, 200000000, "busy %lu ns in a 200 ms run", app.cpuBusyNs);
}

/* timer_wake_ns: an engine whose own timed sleep ended (its idle poll) is switched in for
 * timer_wake_ns instead of sleep_wake_ns.  Each node here is alone on its CPU, so nearly
 * every poll of its idle engine is such a wake-up after the CPU idled: with the key at
 * 60 us instead of the 20 us hand-off (SleepCalibration), each costs 40 us more CPU. */
Test(sim_esync, timer_wakeups_cost_their_cpu, .timeout = 120)
{
    CostRuns r = RunWithAndWithoutCost("", "timer_wake_ns = 60000\n");
    const SleepRun &base = r.base, &tw = r.cost;
    cr_log_info("timer wake-ups: reader CPU busy %lu vs %lu ns, %lu vs %lu switches, %lu vs "
                "%lu polls",
                tw.cpuBusyNs, base.cpuBusyNs, tw.cpuSwitches, base.cpuSwitches, tw.polls,
                base.polls);
    cr_assert_not(tw.oneCpu, "nodes on CPUs 0 and 1");
    // An idle cycle is 20 us + the timer's 25..75 us + the switch: over 1000 wake-ups in
    // 200 ms even at 60 us a switch, each 40 us busier than with the hand-off's 20 us (some
    // polls follow kicks, and the runs' schedules differ: at least 25 us a wake-up).
    cr_assert_gt(tw.polls, 1000u, "%lu polls", tw.polls);
    cr_assert_geq(tw.cpuBusyNs, base.cpuBusyNs + 1000 * 25000ull,
                  "busy %lu ns with timer wake-ups at 60 us, %lu at the hand-off's cost",
                  tw.cpuBusyNs, base.cpuBusyNs);
    cr_assert_leq(tw.cpuBusyNs, 200000000u, "busy %lu ns in a 200 ms run", tw.cpuBusyNs);
    // the engines poll less often: each wake-up takes longer
    cr_assert_lt(tw.polls, base.polls);
}

/* A kick hands the CPU to the thread it wakes on that CPU (as Linux mostly does, inside the
 * wake-up call): the owner's last worker to arrive kicks the engine, which sends the round
 * before that worker goes on with its own check-in work (here a 102 us verification of each
 * version by the owner's probe).  Without the preemption the round would wait for it. */
Test(sim_esync, kick_hands_the_cpu_to_the_woken_thread, .timeout = 120)
{
    CostRuns r = RunWithAndWithoutCost("app_write_ns_per_line = 0\napp_verify_ns_per_line = 0\n",
                                       "app_write_ns_per_line = 0\napp_verify_ns_per_line = 100\n");
    cr_log_info("owner publish -> sent: %lu ns with 102 us check-in work, %lu without",
                r.cost.medianSendNs, r.base.medianSendNs);
    cr_assert_gt(r.base.medianSendNs, 0u, "the trace gave the send stage");
    cr_assert_lt(r.cost.medianSendNs, r.base.medianSendNs + 50000,
                 "send %lu ns with the work, %lu without", r.cost.medianSendNs,
                 r.base.medianSendNs);
}

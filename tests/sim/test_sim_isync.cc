/*
 * test_sim_isync.cc — internal synchronization driven by the simulation agents.
 *
 * Covers: epochs complete on every node at the configured interval, within one check-in
 * period (plus jitter) of their start; versions seen after every core call never go
 * backwards and every epoch with writes publishes one version; the probes of the shared
 * workload (versioned, the default) see no torn version and no version going backwards; thread agents are not simulated per check-in (event count bounded by epochs,
 * not by the 10 us check-in grid); late check-ins (jitter beyond the window) make epochs
 * fail and threads get excluded and readmitted without a torn read; the cost model's copy
 * cost shows up as charged CPU time; a calibration file with an error is rejected.
 *
 * (C++ tests use Criterion's classic assertion macros: the typed ones of
 * criterion/new/assert.h do not compile with C++ rvalue arguments in Criterion 2.4.)
 */
#include "tasvir-node-app.h"
#include "tasvir-scenario.h"

#include "tasvir/tasvir.h"

#include "ns3/simulator.h"

#include <criterion/criterion.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

using namespace ns3;

namespace
{

std::string
TempDir()
{
    char dir[] = "/tmp/tasvir-simtest-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

std::string
WriteFile(const std::string& dir, const std::string& name, const std::string& text)
{
    std::string path = dir + "/" + name;
    FILE* f = fopen(path.c_str(), "w");
    cr_assert_not_null(f);
    fputs(text.c_str(), f);
    fclose(f);
    return path;
}

struct VersionWatch
{
    Ptr<TasvirNodeApp> app;
    uint64_t last = 0;
    uint64_t lastPub = 0;
    uint64_t backwards = 0;
    uint64_t changes = 0;

    void Check()
    {
        // The owner thread of area n<id>.a0 is thread 0; look it up by name each time.
        struct tasvir_area* a = nullptr;
        if (tasvir_area_attach(app->GetThreadAgent(0)->GetThread(), Name().c_str(), &a) != 0)
        {
            return;
        }
        uint64_t v = tasvir_area_version(a);
        uint64_t pub = tasvir_area_pub_ns(a);
        tasvir_area_detach(a);
        if (v < last || (v > 0 && pub < lastPub))
        {
            backwards++;
        }
        if (v != last)
        {
            changes++;
        }
        last = v;
        lastPub = pub;
    }

    std::string Name() const
    {
        return "n" + std::to_string(app->GetTasvirId()) + ".a0";
    }
};

TasvirSimConfig
BaseConfig(const std::string& out)
{
    TasvirSimConfig c;
    c.nodes = 3;
    c.threads = 2;
    c.duration = "50ms";
    c.syncInt = "1ms";
    c.writeRate = 2000; // every epoch has changes
    c.sampleRate = 1000;
    c.out = out;
    return c;
}

} // namespace

Test(sim_isync, epochs_complete_versions_monotonic, .timeout = 60)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    TasvirScenario s(BaseConfig(dir));
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    std::vector<VersionWatch> watch(s.GetApps().size());
    for (size_t i = 0; i < watch.size(); i++)
    {
        watch[i].app = s.GetApps()[i];
        s.GetApps()[i]->TraceConnectWithoutContext(
            "AfterCall",
            MakeCallback(&VersionWatch::Check, &watch[i]));
    }
    s.Run();
    for (size_t i = 0; i < watch.size(); i++)
    {
        Ptr<TasvirNodeApp> app = s.GetApps()[i];
        struct tasvir_stats st;
        tasvir_node_stats(app->GetTasvirNode(), &st);
        // 1 ms interval over 50 ms: the first epoch at 1 ms, the last before 50 ms.
        cr_assert_geq(st.epochs_ok, 48, "node %zu: %lu epochs", i, st.epochs_ok);
        cr_assert_eq(st.epochs_failed, 0);
        cr_assert_eq(st.threads_excluded, 0);
        cr_assert_eq(watch[i].backwards, 0, "versions never go backwards");
        // Writes every 0.5 ms, syncs on the 1 ms grid: one version per grid point (49 or
        // 50 of them); other epochs (system areas with their own intervals) publish none.
        cr_assert_geq(watch[i].last, 48, "node %zu: version %lu", i, watch[i].last);
        cr_assert_leq(watch[i].last, 50, "node %zu: version %lu", i, watch[i].last);
        cr_assert_leq(watch[i].last, st.epochs_ok);
        cr_assert_eq(watch[i].changes, watch[i].last, "every version seen, one at a time");
        // (system areas — node area, root directory — publish versions too)
        cr_assert_geq(st.versions_published, st.epochs_ok);
        // An epoch ends when the last thread checked in: threads hear of it when the
        // engine's poll is over (poll_ns), then check in at their next tick (within the
        // 10 us period, plus jitter); a few small costs on top.
        const TasvirCostModel::Params& c = s.GetCostModel().Get();
        double bound = c.poll_ns + 10000 + c.checkin_jitter_ns + c.checkin_ns + 1000;
        cr_assert_leq(st.epoch_ns / st.epochs_ok, (uint64_t)bound);
        uint64_t checkins = 0;
        for (uint32_t t = 0; t < app->GetNThreads(); t++)
        {
            checkins += app->GetThreadAgent(t)->GetCheckins();
        }
        cr_assert_geq(checkins, 2 * st.epochs_ok, "every thread checked in every epoch");
    }
    // 2000 writes/s for 50 ms; a step lands on its thread's next check-in tick, a little late,
    // and the shared writer schedules the next write from then (up to ~1% fewer)
    cr_assert_geq(s.WorkloadCounter("writes"), 3 * 97, "%lu writes", s.WorkloadCounter("writes"));
    cr_assert_geq(s.WorkloadCounter("samples"), 3 * 49);
    cr_assert_geq(s.WorkloadCounter("probe_checks"), 3 * 45, "the probes checked versions");
    cr_assert_eq(s.WorkloadCounter("probe_torn"), 0);
    cr_assert_eq(s.WorkloadCounter("probe_backwards"), 0);
    cr_assert_eq(s.WorkloadCounter("changed_without_version"), 0);
    cr_assert(s.WriteOutputs(&err), "%s", err.c_str());
    Simulator::Destroy();
    std::filesystem::remove_all(dir);
}

Test(sim_isync, checkins_not_simulated_one_by_one, .timeout = 60)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    TasvirSimConfig c = BaseConfig(dir);
    c.nodes = 1;
    c.duration = "100ms";
    c.writeRate = 0;
    c.sampleRate = 0;
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    s.Run();
    struct tasvir_stats st;
    tasvir_node_stats(s.GetApps()[0]->GetTasvirNode(), &st);
    cr_assert_geq(st.epochs_ok, 98);
    // Two threads checking in every 10 us for 100 ms would be 20000 events; the agents
    // only act around epochs.
    cr_assert_lt(s.GetEvents(), 20 * st.epochs_ok, "%lu events", s.GetEvents());
    Simulator::Destroy();
    std::filesystem::remove_all(dir);
}

Test(sim_isync, late_checkins_fail_and_exclude, .timeout = 60)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    // Check-ins land up to 200 us after their tick, the window is 50 us.
    std::string cal = WriteFile(dir, "late.calib", "format = 1\ncheckin_jitter_ns = 200000\n");
    TasvirSimConfig c = BaseConfig(dir);
    c.nodes = 2;
    c.duration = "100ms";
    c.calibration = cal;
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    s.Run();
    uint64_t failed = 0, excluded = 0, ok = 0;
    for (const Ptr<TasvirNodeApp>& app : s.GetApps())
    {
        struct tasvir_stats st;
        tasvir_node_stats(app->GetTasvirNode(), &st);
        failed += st.epochs_failed;
        excluded += st.threads_excluded;
        ok += st.epochs_ok;
    }
    cr_assert_gt(failed, 0);
    cr_assert_gt(excluded, 0, "threads that keep missing windows are excluded");
    cr_assert_gt(ok, 0, "epochs still complete");
    cr_assert_eq(s.WorkloadCounter("probe_torn"), 0);
    cr_assert_eq(s.WorkloadCounter("probe_backwards"), 0);
    Simulator::Destroy();
    std::filesystem::remove_all(dir);
}

static uint64_t
RunCpu(const std::string& dir, const std::string& calibration, uint64_t* linesCopied)
{
    TasvirSimConfig c = BaseConfig(dir);
    c.nodes = 1;
    c.calibration = calibration;
    c.linesPerWrite = 16;
    TasvirScenario s(c);
    std::string err;
    cr_assert(s.Build(&err), "%s", err.c_str());
    s.Run();
    struct tasvir_stats st;
    tasvir_node_stats(s.GetApps()[0]->GetTasvirNode(), &st);
    *linesCopied = st.bytes_copied / 64;
    uint64_t cpu = s.GetApps()[0]->GetCounters().cpuNs;
    Simulator::Destroy();
    return cpu;
}

Test(sim_isync, copy_cost_is_charged, .timeout = 60)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    std::string cheap = WriteFile(dir, "cheap.calib", "copy_ns_per_line = 0\n");
    std::string dear = WriteFile(dir, "dear.calib", "copy_ns_per_line = 1000\n");
    uint64_t l0, l1;
    uint64_t c0 = RunCpu(dir, cheap, &l0);
    uint64_t c1 = RunCpu(dir, dear, &l1);
    cr_assert_gt(l1, 1000, "lines were copied");
    // The other costs are the same per call; the difference is the copy cost (the call
    // count may differ slightly because costs shift the check-in times).
    double extra = (double)c1 - (double)c0;
    double expect = 1000.0 * (double)l1;
    cr_assert(extra > 0.9 * expect, "extra %f expected %f", extra, expect);
    cr_assert(extra < 1.1 * expect, "extra %f expected %f", extra, expect);
    std::filesystem::remove_all(dir);
}

Test(sim_isync, bad_calibration_rejected, .timeout = 30)
{
    TasvirScenario::SetTimeResolution();
    std::string dir = TempDir();
    std::string cal = WriteFile(dir, "bad.calib", "copy_ns_per_line = 3\ncopy_ns_per_lin = 4\n");
    TasvirSimConfig c = BaseConfig(dir);
    c.calibration = cal;
    TasvirScenario s(c);
    std::string err;
    cr_assert_not(s.Build(&err));
    cr_assert_neq(err.find(cal + ":2: unknown key 'copy_ns_per_lin'"), std::string::npos, "%s", err.c_str());
    Simulator::Destroy();
    std::filesystem::remove_all(dir);
}

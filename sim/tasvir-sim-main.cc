/*
 * tasvir-sim-main.cc — the tasvir-sim program: parse options, build the scenario, run it,
 * write its outputs, report speed.
 *
 * Options are ns-3 CommandLine style (--key=value) plus --config=FILE; see --help.  The
 * speed report (wall time, events per second) goes to stdout and, with --perf=FILE, is
 * appended to that CSV file; it is never written into the output directory, whose files
 * must not depend on the machine or the wall clock.
 */
#include "tasvir-node-app.h"
#include "tasvir-scenario.h"
#include "tasvir-sim-config.h"

#include "ns3/simulator.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

using namespace ns3;

namespace
{

const char* kProgram = "tasvir-sim";

int
Usage(const std::string& msg)
{
    std::cerr << kProgram << ": " << msg << "\n"
              << "Try '" << kProgram << " --help'.\n";
    return 2;
}

bool
AppendPerf(const std::string& path,
           const TasvirSimConfig& cfg,
           uint64_t simNs,
           double wallS,
           uint64_t events,
           std::string* error)
{
    FILE* f = fopen(path.c_str(), "a");
    if (!f)
    {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    long pos = ftell(f);
    if (pos == 0)
    {
        fprintf(f, "nodes,threads,sim_s,wall_s,events,events_per_wall_s,sim_s_per_wall_s\n");
    }
    double simS = simNs / 1e9;
    fprintf(f,
            "%u,%u,%.9g,%.6f,%llu,%.0f,%.6g\n",
            cfg.nodes,
            cfg.threads,
            simS,
            wallS,
            (unsigned long long)events,
            wallS > 0 ? events / wallS : 0.0,
            wallS > 0 ? simS / wallS : 0.0);
    if (fclose(f) != 0)
    {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

} // namespace

int
main(int argc, char** argv)
{
    TasvirScenario::SetTimeResolution();
    TasvirSimConfig cfg;
    std::string perfPath;
    for (int i = 1; i < argc; i++)
    {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h")
        {
            cfg.PrintHelp(std::cout, kProgram);
            std::cout << "  --perf=<path>                   append wall-clock speed figures "
                         "(CSV) to this file\n\nWorkloads:";
            for (const std::string& w : TasvirScenario::WorkloadNames())
            {
                std::cout << " " << w;
            }
            std::cout << "\n";
            return 0;
        }
        if (arg.compare(0, 2, "--") != 0)
        {
            return Usage("unexpected argument '" + arg + "' (options are --key=value)");
        }
        size_t eq = arg.find('=');
        std::string key = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        std::string value;
        if (eq == std::string::npos)
        {
            // A bare boolean flag means true; anything else needs a value.
            bool isBool = false;
            for (const auto& o : cfg.Options())
            {
                isBool = isBool || (o.name == key && o.kind == "bool");
            }
            if (!isBool)
            {
                return Usage("option --" + key + " needs a value (--" + key + "=...)");
            }
            value = "true";
        }
        else
        {
            value = arg.substr(eq + 1);
        }
        std::string error;
        if (key == "config")
        {
            if (!cfg.LoadFile(value, &error))
            {
                return Usage(error);
            }
            continue;
        }
        if (key == "perf")
        {
            perfPath = value;
            continue;
        }
        if (!cfg.Set(key, value, &error))
        {
            return Usage(error);
        }
    }
    std::string error;
    if (!cfg.Validate(&error) || !TasvirScenario::ValidateWorkload(cfg, &error))
    {
        return Usage(error);
    }

    TasvirScenario scenario(cfg);
    if (!scenario.Build(&error))
    {
        std::cerr << kProgram << ": " << error << "\n";
        Simulator::Destroy();
        return 1;
    }
    for (const std::string& w : scenario.GetWarnings())
    {
        std::cerr << kProgram << ": warning: " << w << "\n";
    }
    auto t0 = std::chrono::steady_clock::now();
    scenario.Run();
    double wallS =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bool ok = scenario.WriteOutputs(&error);
    if (!ok)
    {
        std::cerr << kProgram << ": " << error << "\n";
    }
    std::string verdict;
    if (!scenario.GetWorkload()->Verdict(&verdict))
    {
        std::cerr << kProgram << ": workload invariant violated: " << verdict << "\n";
        ok = false;
    }
    uint64_t events = scenario.GetEvents();
    double simS = scenario.GetDurationNs() / 1e9;
    std::printf("%s: %u nodes x %u threads, %.6g s simulated in %.3f s wall "
                "(%.4g simulated s per wall s), %llu events (%.0f events/s); results in %s\n",
                kProgram,
                cfg.nodes,
                cfg.threads,
                simS,
                wallS,
                wallS > 0 ? simS / wallS : 0.0,
                (unsigned long long)events,
                wallS > 0 ? events / wallS : 0.0,
                cfg.out.c_str());
    if (ok && !perfPath.empty() &&
        !AppendPerf(perfPath, cfg, scenario.GetDurationNs(), wallS, events, &error))
    {
        std::cerr << kProgram << ": " << error << "\n";
        ok = false;
    }
    Simulator::Destroy();
    return ok ? 0 : 1;
}

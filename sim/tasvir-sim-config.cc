/*
 * tasvir-sim-config.cc — see tasvir-sim-config.h.
 *
 * Divided into: value parsers (with messages), the option table, file loading, and the
 * cross-field checks.
 */
#include "tasvir-sim-config.h"

#include "tasvir-cost-model.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>

namespace ns3
{

namespace
{

bool
ParseUint(const std::string& v, uint64_t lo, uint64_t hi, uint64_t* out, std::string* err)
{
    errno = 0;
    char* end = nullptr;
    if (v.empty() || v[0] == '-' || v[0] == '+')
    {
        *err = "expected an unsigned integer, got '" + v + "'";
        return false;
    }
    unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE)
    {
        *err = "expected an unsigned integer, got '" + v + "'";
        return false;
    }
    if (x < lo || x > hi)
    {
        *err = "value " + v + " outside " + std::to_string(lo) + ".." + std::to_string(hi);
        return false;
    }
    *out = x;
    return true;
}

bool
ParseDouble(const std::string& v, double lo, double hi, double* out, std::string* err)
{
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(x))
    {
        *err = "expected a number, got '" + v + "'";
        return false;
    }
    if (x < lo || x > hi)
    {
        std::ostringstream os;
        os << "value " << v << " outside " << lo << ".." << hi;
        *err = os.str();
        return false;
    }
    *out = x;
    return true;
}

/* number followed by a unit from the table; returns the value times the unit's factor. */
bool
ParseWithUnit(const std::string& v,
              const std::vector<std::pair<std::string, double>>& units,
              const std::string& what,
              double* out,
              std::string* err)
{
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    std::string unit = end ? std::string(end) : "";
    std::string expected;
    for (const auto& u : units)
    {
        expected += (expected.empty() ? "" : ", ") + u.first;
    }
    if (end == v.c_str() || errno == ERANGE || !std::isfinite(x) || x < 0)
    {
        *err = "expected a non-negative " + what + " such as '" + "10" + units[1].first +
               "', got '" + v + "'";
        return false;
    }
    for (const auto& u : units)
    {
        if (unit == u.first)
        {
            *out = x * u.second;
            return true;
        }
    }
    *err = "'" + v + "': missing or unknown unit (expected one of " + expected + ")";
    return false;
}

} // namespace

bool
ParseCpuList(const std::string& v, std::vector<uint32_t>* cpus, std::string* err)
{
    cpus->clear();
    std::istringstream in(v);
    std::string tok;
    while (std::getline(in, tok, ','))
    {
        uint64_t x;
        std::string e;
        if (!ParseUint(tok, 0, 1023, &x, &e))
        {
            *err = "expected a comma list of CPU numbers 0..1023, got '" + v + "'";
            return false;
        }
        cpus->push_back((uint32_t)x);
    }
    if (cpus->empty() || v.back() == ',')
    {
        *err = "expected a comma list of CPU numbers 0..1023, got '" + v + "'";
        return false;
    }
    return true;
}

bool
ParseTimeNs(const std::string& v, uint64_t* ns, std::string* err)
{
    double x;
    if (!ParseWithUnit(v, {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}, "duration", &x, err))
    {
        return false;
    }
    if (x > 1e18)
    {
        *err = "duration '" + v + "' too long";
        return false;
    }
    *ns = (uint64_t)std::llround(x);
    return true;
}

bool
ParseRateBps(const std::string& v, uint64_t* bps, std::string* err)
{
    double x;
    if (!ParseWithUnit(v,
                       {{"bps", 1}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}, {"Tbps", 1e12}},
                       "data rate",
                       &x,
                       err))
    {
        return false;
    }
    if (x < 1 || x > 1e15)
    {
        *err = "data rate '" + v + "' outside 1bps..1000Tbps";
        return false;
    }
    *bps = (uint64_t)std::llround(x);
    return true;
}

std::vector<TasvirSimConfig::Option>
TasvirSimConfig::Options()
{
    std::vector<Option> o;
    auto u32 = [&o](const char* name, const char* help, uint32_t* p, uint64_t lo, uint64_t hi) {
        o.push_back({name,
                     help,
                     "uint",
                     [p]() { return std::to_string(*p); },
                     [p, lo, hi](const std::string& v, std::string* e) {
                         uint64_t x;
                         if (!ParseUint(v, lo, hi, &x, e))
                         {
                             return false;
                         }
                         *p = (uint32_t)x;
                         return true;
                     }});
    };
    auto u64 = [&o](const char* name, const char* help, uint64_t* p, uint64_t lo, uint64_t hi) {
        o.push_back({name,
                     help,
                     "uint",
                     [p]() { return std::to_string(*p); },
                     [p, lo, hi](const std::string& v, std::string* e) {
                         return ParseUint(v, lo, hi, p, e);
                     }});
    };
    auto dbl = [&o](const char* name, const char* help, double* p, double lo, double hi) {
        o.push_back({name,
                     help,
                     "double",
                     [p]() {
                         std::ostringstream os;
                         os << std::setprecision(17) << *p;
                         return os.str();
                     },
                     [p, lo, hi](const std::string& v, std::string* e) {
                         return ParseDouble(v, lo, hi, p, e);
                     }});
    };
    auto tim = [&o](const char* name, const char* help, std::string* p) {
        o.push_back({name,
                     help,
                     "time",
                     [p]() { return *p; },
                     [p](const std::string& v, std::string* e) {
                         uint64_t ns;
                         if (!ParseTimeNs(v, &ns, e))
                         {
                             return false;
                         }
                         *p = v;
                         return true;
                     }});
    };
    auto str = [&o](const char* name,
                    const char* help,
                    std::string* p,
                    std::vector<std::string> choices) {
        o.push_back({name,
                     help,
                     choices.empty() ? "path" : "string",
                     [p]() { return *p; },
                     [p, choices](const std::string& v, std::string* e) {
                         if (choices.empty())
                         {
                             *p = v;
                             return true;
                         }
                         std::string all;
                         for (const auto& c : choices)
                         {
                             if (v == c)
                             {
                                 *p = v;
                                 return true;
                             }
                             all += (all.empty() ? "" : ", ") + c;
                         }
                         *e = "expected one of " + all + ", got '" + v + "'";
                         return false;
                     }});
    };
    auto boo = [&o](const char* name, const char* help, bool* p) {
        o.push_back({name,
                     help,
                     "bool",
                     [p]() { return std::string(*p ? "true" : "false"); },
                     [p](const std::string& v, std::string* e) {
                         if (v == "1" || v == "true")
                         {
                             *p = true;
                         }
                         else if (v == "0" || v == "false")
                         {
                             *p = false;
                         }
                         else
                         {
                             *e = "expected true/false or 1/0, got '" + v + "'";
                             return false;
                         }
                         return true;
                     }});
    };

    u32("nodes", "simulated Tasvir nodes (hosts on the switch)", &nodes, 1, 1024);
    u32("threads", "worker threads per node", &threads, 1, 64);
    u32("mtu", "L2 payload bytes per frame", &mtu, 128, 9600);
    u32("areasPerNode", "areas owned per node", &areasPerNode, 0, 1024);
    u64("areaBytes", "bytes per area", &areaBytes, 128, (uint64_t)1 << 30);
    str("subscription",
        "which remote areas each node attaches: none, all (all-to-all), one (node 0's, "
        "one-to-all), random (those of subscribeK random nodes)",
        &subscription,
        {"none", "all", "one", "random"});
    u32("subscribeK", "nodes each node subscribes to with subscription=random", &subscribeK, 1,
        1023);
    tim("syncInt", "internal sync interval of every area (whole us)", &syncInt);
    tim("syncExt", "external sync interval of every area (whole us)", &syncExt);
    tim("epochWindow", "epoch check-in window", &epochWindow);
    tim("checkinPeriod", "interval between check-ins of a busy worker thread", &checkinPeriod);
    str("relax",
        "how a node's idle threads wait: spin (dedicated cores: workers check in every "
        "checkinPeriod, the engine polls when due or at once on a kick or a frame) or sleep "
        "(threads sleep, as tasvir-node with relax = sleep on shared CPUs: a kick wakes a "
        "thread after the calibration's sleep_wake_ns, the idle engine polls every idlePoll "
        "plus timer_late_ns and finds frames only then)",
        &relax,
        {"spin", "sleep"});
    tim("idlePoll", "relax=sleep: how long the idle engine sleeps between polls", &idlePoll);
    o.push_back({"nodeCpu",
                 "relax=sleep: the host CPU (0..1023) of each node's engine and threads, a "
                 "comma list cycled over the nodes (0,1: even nodes on CPU 0, odd on CPU 1, as "
                 "local-bridge); a CPU runs one of its agents at a time and switching to "
                 "another costs sleep_wake_ns; empty: every agent has a core of its own",
                 "list",
                 [this]() { return nodeCpu; },
                 [this](const std::string& v, std::string* e) {
                     std::vector<uint32_t> cpus;
                     if (!v.empty() && !ParseCpuList(v, &cpus, e))
                     {
                         return false;
                     }
                     nodeCpu = v;
                     return true;
                 }});
    str("addressing",
        "fan-out of data frames: unicast (one copy per subscriber) or multicast (one per "
        "area group)",
        &addressing,
        {"unicast", "multicast"});
    tim("hbPeriod", "heartbeat period (whole us)", &hbPeriod);
    u32("downAfter", "silent heartbeat periods before a peer is declared down", &downAfter, 1,
        1000);
    tim("clockSkew",
        "node clocks are offset from simulator time by a random amount in [0, clockSkew) "
        "(drawn from the seed); auto: the largest sync interval, so syncs are not in phase "
        "across nodes; 0ns: all clocks equal",
        &clockSkew);
    o.back().set = [this](const std::string& v, std::string* e) {
        uint64_t ns;
        if (v != "auto" && !ParseTimeNs(v, &ns, e))
        {
            *e = "expected auto or a duration such as '5ms', got '" + v + "'";
            return false;
        }
        clockSkew = v;
        return true;
    };
    dbl("writeRate", "writes per second per area (0: none)", &writeRate, 0, 1e9);
    tim("writeStop", "no writes from this time on (0s: write until the end)", &writeStop);
    u32("linesPerWrite", "64-byte lines stamped per write", &linesPerWrite, 1, 1u << 24);
    str("writePattern", "lines of successive writes: seq or random", &writePattern,
        {"seq", "random"});
    str("writeArrival", "spacing of writes: constant or poisson", &writeArrival,
        {"constant", "poisson"});
    u32("writeBurst", "writes back to back per burst, same average rate", &writeBurst, 1,
        1u << 20);
    dbl("sampleRate", "probe reads per second per node (0: none)", &sampleRate, 0, 1e9);
    str("workload",
        "versioned (the shared writers and staleness probes of experiments/workload, as "
        "tasvir-node runs them; configured by the area, write, sample and subscription "
        "options above) or another stepped workload of tasvir-node (e.g. local), "
        "configured with --param (basic, the former built-in workload, is read as versioned)",
        &workload,
        {});
    o.back().kind = "string";
    o.back().set = [this](const std::string& v, std::string* e) {
        if (v.empty())
        {
            *e = "expected a workload name";
            return false;
        }
        workload = v == "basic" ? "versioned" : v;
        return true;
    };
    o.push_back({"param",
                 "KEY=VALUE for the workload (repeat for several; overrides the options "
                 "above for versioned)",
                 "list",
                 [this]() {
                     std::string all;
                     for (const auto& kv : params)
                     {
                         all += (all.empty() ? "" : " ") + kv.first + "=" + kv.second;
                     }
                     return all;
                 },
                 [this](const std::string& v, std::string* e) {
                     size_t eq = v.find('=');
                     if (eq == std::string::npos || eq == 0)
                     {
                         *e = "expected KEY=VALUE, got '" + v + "'";
                         return false;
                     }
                     params.emplace_back(v.substr(0, eq), v.substr(eq + 1));
                     return true;
                 }});
    str("linkRate", "rate of every link, e.g. 10Gbps", &linkRate, {});
    o.back().kind = "rate";
    o.back().set = [this](const std::string& v, std::string* e) {
        uint64_t bps;
        if (!ParseRateBps(v, &bps, e))
        {
            return false;
        }
        linkRate = v;
        return true;
    };
    tim("linkDelay", "one-way propagation delay of every link", &linkDelay);
    tim("switchDelay", "forwarding latency of the switch", &switchDelay);
    dbl("lossRate", "probability a frame is lost at each receiving port", &lossRate, 0, 1);
    u32("queueFrames", "output queue of each switch port, in frames", &queueFrames, 1, 1u << 24);
    u32("hostQueueFrames", "transmit queue of each host NIC, in frames", &hostQueueFrames, 1,
        1u << 24);
    dbl("rawRate", "synthetic raw frames per second per node (0: none)", &rawRate, 0, 1e9);
    u32("rawBytes", "raw frame length, Ethernet header included", &rawBytes, 34, 9614);
    str("rawDest", "raw frame destination: unicast, mcast or bcast", &rawDest,
        {"unicast", "mcast", "bcast"});
    tim("duration", "simulated time to run", &duration);
    u64("seed", "random seed (ns-3 RngSeedManager), > 0", &seed, 1,
        std::numeric_limits<uint32_t>::max());
    str("out", "output directory (created)", &out, {});
    str("calibration",
        "calibration file of CPU costs ('builtin': the built-in values, which equal the "
        "shipped default file)",
        &calibration,
        {});
    str("scheduler",
        "ns-3 event scheduler: heap, map, calendar or priority (speed only: results are "
        "identical)",
        &scheduler,
        {"heap", "map", "calendar", "priority"});
    boo("pcap", "write pcap/host-<id>.pcap per node (DLT_EN10MB)", &pcap);
    boo("samples", "probe reads (samples-raw-node<N>.csv, joined into samples.csv)", &samples);
    boo("visibility",
        "join the workload's per-node files into visibility.csv (one row per version and "
        "remote subscriber: large for big all-to-all runs), samples.csv and versions.csv",
        &visibility);
    str("label", "name of the run in the manifest (tables and plot legends)", &label, {});
    o.back().kind = "string";
    return o;
}

bool
TasvirSimConfig::Set(const std::string& key, const std::string& value, std::string* error)
{
    for (Option& opt : Options())
    {
        if (opt.name == key)
        {
            std::string e;
            if (!opt.set(value, &e))
            {
                *error = "--" + key + ": " + e;
                return false;
            }
            return true;
        }
    }
    *error = "unknown option '" + key + "' (see --help)";
    return false;
}

bool
TasvirSimConfig::LoadFile(const std::string& path, std::string* error)
{
    std::ifstream in(path);
    if (!in)
    {
        *error = path + ": cannot open config file: " + std::strerror(errno);
        return false;
    }
    std::string raw;
    unsigned lineNo = 0;
    while (std::getline(in, raw))
    {
        lineNo++;
        std::string line = TasvirTrimBlanks(raw.substr(0, raw.find('#')));
        if (line.empty())
        {
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string::npos)
        {
            *error = path + ":" + std::to_string(lineNo) + ": expected 'key = value', got '" +
                     line + "'";
            return false;
        }
        std::string key = TasvirTrimBlanks(line.substr(0, eq));
        std::string value = TasvirTrimBlanks(line.substr(eq + 1));
        if (key == "config")
        {
            *error = path + ":" + std::to_string(lineNo) + ": config files cannot include others";
            return false;
        }
        std::string e;
        if (!Set(key, value, &e))
        {
            *error = path + ":" + std::to_string(lineNo) + ": " + e;
            return false;
        }
    }
    return true;
}

bool
TasvirSimConfig::Validate(std::string* error)
{
    uint64_t intNs, extNs, winNs, cpNs, durNs, hbNs;
    std::string e;
    ParseTimeNs(hbPeriod, &hbNs, &e);
    if (hbNs < 1000 || hbNs % 1000)
    {
        *error = "hbPeriod must be whole microseconds, at least 1us";
        return false;
    }
    ParseTimeNs(syncInt, &intNs, &e);
    ParseTimeNs(syncExt, &extNs, &e);
    ParseTimeNs(epochWindow, &winNs, &e);
    ParseTimeNs(checkinPeriod, &cpNs, &e);
    ParseTimeNs(duration, &durNs, &e);
    if (!nodeCpu.empty() && relax != "sleep")
    {
        *error = "nodeCpu needs relax=sleep: threads spinning on a shared CPU are not modelled";
        return false;
    }
    uint64_t idleNs = 0;
    ParseTimeNs(idlePoll, &idleNs, &e);
    if (idleNs == 0 || idleNs > 1000000000ull)
    {
        *error = "idlePoll must be positive and at most 1s, got " + idlePoll;
        return false;
    }
    if (intNs < 1000 || intNs % 1000 || extNs < 1000 || extNs % 1000)
    {
        *error = "syncInt and syncExt must be whole microseconds, at least 1us";
        return false;
    }
    if (winNs == 0 || cpNs == 0 || durNs == 0)
    {
        *error = "epochWindow, checkinPeriod and duration must be positive";
        return false;
    }
    if (cpNs >= winNs)
    {
        *error = "checkinPeriod (" + checkinPeriod + ") must be shorter than epochWindow (" +
                 epochWindow + "), or every epoch would time out";
        return false;
    }
    uint64_t lines = (areaBytes + 63) / 64;
    if (linesPerWrite > lines - 1)
    {
        *error = "linesPerWrite " + std::to_string(linesPerWrite) + " exceeds the " +
                 std::to_string(lines - 1) + " data lines of an area of " +
                 std::to_string(areaBytes) + " bytes";
        return false;
    }
    if (rawBytes > mtu + 14)
    {
        *error = "rawBytes " + std::to_string(rawBytes) + " exceeds mtu + 14 (" +
                 std::to_string(mtu + 14) + ")";
        return false;
    }
    uint64_t skewNs = 0;
    if (clockSkew != "auto" && (!ParseTimeNs(clockSkew, &skewNs, &e) || skewNs > 1000000000000ull))
    {
        *error = "clockSkew must be auto or a duration up to 1000s";
        return false;
    }
    if (subscription == "random" && subscribeK >= nodes)
    {
        *error = "subscribeK " + std::to_string(subscribeK) + " must be below nodes (" +
                 std::to_string(nodes) + ")";
        return false;
    }
    if (out.empty())
    {
        *error = "--out must name a directory";
        return false;
    }
    for (char ch : label)
    {
        if (ch == ',' || ch == '"' || (unsigned char)ch < 0x20)
        {
            *error = "--label must not contain a comma, a double quote or a control character";
            return false;
        }
    }
    if (calibration.empty())
    {
        *error = "--calibration must name a file (or be 'builtin')";
        return false;
    }
    return true;
}

uint64_t
TasvirSimConfig::ClockSkewNs() const
{
    uint64_t ns = 0;
    std::string e;
    if (clockSkew != "auto")
    {
        ParseTimeNs(clockSkew, &ns, &e);
        return ns;
    }
    uint64_t intNs = 0, extNs = 0;
    ParseTimeNs(syncInt, &intNs, &e);
    ParseTimeNs(syncExt, &extNs, &e);
    return std::max(intNs, extNs);
}

std::vector<std::pair<std::string, std::string>>
TasvirSimConfig::WorkloadParams() const
{
    std::vector<std::pair<std::string, std::string>> p;
    if (workload == "versioned")
    {
        auto num = [](double x) {
            std::ostringstream os;
            os << std::setprecision(17) << x;
            return os.str();
        };
        p = {{"threads", std::to_string(threads)},
             {"areasPerNode", std::to_string(areasPerNode)},
             {"areaBytes", std::to_string(areaBytes)},
             {"writeRate", num(writeRate)},
             {"writeStop", writeStop},
             {"linesPerWrite", std::to_string(linesPerWrite)},
             {"writePattern", writePattern},
             {"writeArrival", writeArrival},
             {"writeBurst", std::to_string(writeBurst)},
             {"sampleRate", samples ? num(sampleRate) : std::string("0")},
             {"subscription", subscription},
             {"subscribeK", std::to_string(subscribeK)}};
    }
    p.insert(p.end(), params.begin(), params.end());
    return p;
}

void
TasvirSimConfig::PrintHelp(std::ostream& os, const std::string& program)
{
    os << "Usage: " << program << " [--config=FILE] [--key=value ...]\n"
       << "\n"
       << "Run Tasvir nodes (the unchanged runtime core) on an ns-3 network: N hosts on one\n"
       << "switch with full-duplex links, running the workload tasvir-node runs on hardware\n"
       << "(default: versioned, the shared writers and staleness probes).  Writes a run\n"
       << "directory (docs/data-formats.md) into --out: the workload's per-node files\n"
       << "(versions-node<N>.csv, visible-node<N>.csv, samples-raw-node<N>.csv, in simulator\n"
       << "time), joined as on hardware into visibility.csv, samples.csv and versions.csv;\n"
       << "manifest.json, counters.csv, links.csv, and raw.csv and pcap/ when enabled.  The\n"
       << "same options and seed give byte-identical files.  Details: docs/simulation.md.\n"
       << "\n"
       << "Options (also accepted as 'key = value' lines in --config files; later ones win):\n";
    for (const Option& opt : Options())
    {
        std::string left = "  --" + opt.name + "=<" + opt.kind + ">";
        os << std::left << std::setw(34) << left << opt.help << " [" << opt.get() << "]\n";
    }
    os << "  --config=<path>                 read options from a file (before later options)\n"
       << "  --help                          this text\n"
       << "\n"
       << "Times take a unit (ns, us, ms, s); rates take bps, kbps, Mbps, Gbps or Tbps.\n"
       << "Exit status: 0 success, 1 failure, 2 usage error.\n";
}

} // namespace ns3

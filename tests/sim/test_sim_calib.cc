/*
 * test_sim_calib.cc — calibration files, the cost formulas, and tasvir-sim options.
 *
 * Covers: a complete file (values, metadata, nothing defaulted, checksum); the shipped
 * default calibration parses completely and holds the built-in values; `tasvir-bench calibrate --quick` writes a file that
 * this parser reads completely (every key, positive costs, metadata) and its usage errors; partial files keep defaults and say which;
 * every parse error names the file, the line and the key (unknown key, missing '=',
 * bad number, negative cost, duplicate, wrong format version, bad key characters, empty
 * value, missing file); cost formulas from counter deltas; option parsing (times, rates,
 * ranges, choices, config files with line numbers) and cross-field validation.
 *
 * (C++ tests use Criterion's classic assertion macros: the typed ones of
 * criterion/new/assert.h do not compile with C++ rvalue arguments in Criterion 2.4.)
 */
#include <algorithm>
#include "tasvir-cost-model.h"
#include "tasvir-sim-config.h"

#include <criterion/criterion.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TASVIR_BENCH_BIN
#error "TASVIR_BENCH_BIN must name the tasvir-bench executable"
#endif

using namespace ns3;

namespace
{

bool
Contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

void
ExpectError(const std::string& text, const std::string& part)
{
    TasvirCostModel m;
    std::string err;
    cr_assert_not(m.Parse(text, "f.calib", &err), "accepted: %s", text.c_str());
    cr_assert(Contains(err, part), "error '%s' lacks '%s'", err.c_str(), part.c_str());
}

} // namespace

Test(sim_calib, complete_file)
{
    std::string text = "# measured\nformat = 1\nmachine = test box # trailing comment\n";
    for (const std::string& k : TasvirCostModel::Keys())
    {
        text += k + " = 2.5\n";
    }
    TasvirCostModel m;
    std::string err;
    cr_assert(m.Parse(text, "f.calib", &err), "%s", err.c_str());
    cr_assert_eq(m.Defaulted().size(), 0);
    cr_assert((m.Get().copy_ns_per_line) == (2.5));
    cr_assert((m.Get().frame_decode_ns_per_kib) == (2.5));
    cr_assert_eq(m.Metadata().size(), 1);
    cr_assert(m.Metadata()[0].second == "test box");
    cr_assert_neq(m.Checksum(), 0);
    cr_assert_eq(m.Values().size(), TasvirCostModel::Keys().size());
}

Test(sim_calib, shipped_default_parses)
{
    TasvirCostModel m;
    std::string err;
    cr_assert(m.Load(TASVIR_DEFAULT_CALIBRATION, &err), "%s", err.c_str());
    cr_assert_eq(m.Defaulted().size(), 0, "the shipped file sets every key");
    cr_assert(m.Path() == TASVIR_DEFAULT_CALIBRATION);
    // --calibration=builtin is documented as the same numbers as the shipped file
    TasvirCostModel builtin;
    std::vector<std::pair<std::string, double>> f = m.Values(), b = builtin.Values();
    cr_assert_eq(f.size(), b.size());
    for (size_t i = 0; i < f.size(); i++)
    {
        cr_assert(f[i].first == b[i].first);
        cr_assert(f[i].second == b[i].second, "%s: file %g, built-in %g", f[i].first.c_str(),
                  f[i].second, b[i].second);
    }
}

/* Exit status of a shell command (stdout and stderr to /dev/null). */
static int
Sh(const std::string& cmd)
{
    int st = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

Test(sim_calib, tasvir_bench_calibrate_writes_a_file_the_parser_reads, .timeout = 120)
{
    char dir[] = "/tmp/tasvir-calib-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    std::string out = std::string(dir) + "/this-machine.calib";
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) +
                    " calibrate --quick --git-rev test-rev --idle-sleep-us 50 --out " + out),
                 0);
    TasvirCostModel m;
    std::string err;
    cr_assert(m.Load(out, &err), "%s", err.c_str());
    // every key but the port-transmit ones, which need --port-iface (a kernel-backed port)
    std::vector<std::string> left = m.Defaulted();
    std::sort(left.begin(), left.end());
    cr_assert(left == std::vector<std::string>({"port_tx_ns", "port_tx_ns_per_frame"}),
              "calibrate writes every key but the port's (%zu left to defaults)", left.size());
    for (const auto& kv : m.Values())
    {
        // every cost is measured, and none is absurd (a second per unit)
        cr_assert(kv.second >= 0 && kv.second < 1e9, "%s = %f", kv.first.c_str(), kv.second);
    }
    // the sleeping-thread figures were measured with the idle sleep asked for, and say so
    cr_assert_eq(m.Get().timer_sleep_ns, 50000.0);
    cr_assert_gt(m.Get().timer_late_ns, 0);
    cr_assert_gt(m.Get().poll_ns + m.Get().poll_ns_per_peer, 0);
    cr_assert_gt(m.Get().copy_ns_per_line, 0);
    cr_assert_gt(m.Get().frame_encode_ns + m.Get().frame_encode_ns_per_kib, 0);
    cr_assert_gt(m.Get().frame_decode_ns + m.Get().frame_decode_ns_per_kib, 0);
    bool tool = false, date = false, machine = false;
    for (const auto& kv : m.Metadata())
    {
        tool = tool || (kv.first == "tool" && Contains(kv.second, "test-rev"));
        date = date || kv.first == "date";
        machine = machine || kv.first == "machine";
    }
    cr_assert(tool && date && machine, "tool (with the git revision), date and machine set");
    // usage errors exit 2; --help exits 0
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --rounds=0"), 2);
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --peers=4,2"), 2);
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --idle-sleep-us=0"), 2);
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --idle-sleep-us=100001"), 2);
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --bogus"), 2);
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate stray"), 2);
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --help"), 0);
    // an unwritable output is a failure (exit 1)
    cr_assert_eq(Sh(std::string(TASVIR_BENCH_BIN) + " calibrate --quick --out /nonexistent/x"), 1);
    unlink(out.c_str());
    rmdir(dir);
}

Test(sim_calib, partial_file_keeps_defaults)
{
    TasvirCostModel m;
    double before = m.Get().checkin_ns;
    std::string err;
    cr_assert(m.Parse("copy_ns_per_line = 7\n\n   \n", "p.calib", &err), "%s", err.c_str());
    cr_assert((m.Get().copy_ns_per_line) == (7.0));
    cr_assert((m.Get().checkin_ns) == (before));
    cr_assert_eq(m.Defaulted().size(), TasvirCostModel::Keys().size() - 1);
}

Test(sim_calib, errors_name_file_line_key)
{
    ExpectError("copy_ns_per_line = 1\nfoo = 2\n", "f.calib:2: unknown key 'foo'");
    ExpectError("copy_ns_per_line 1\n", "f.calib:1: expected 'key = value'");
    ExpectError("\n\ncopy_ns_per_line = fast\n", "f.calib:3: key 'copy_ns_per_line': expected a number");
    ExpectError("copy_ns_per_line = 1x\n", "key 'copy_ns_per_line': expected a number");
    ExpectError("scan_ns_per_kib = -1\n", "f.calib:1: key 'scan_ns_per_kib': a cost cannot be negative");
    ExpectError("poll_ns = 1\npoll_ns = 2\n", "f.calib:2: key 'poll_ns' set twice (first on line 1)");
    ExpectError("format = 2\n", "f.calib:1: key 'format'");
    ExpectError("Copy = 1\n", "f.calib:1: key 'Copy'");
    ExpectError("poll_ns =\n", "f.calib:1: key 'poll_ns': missing value");
    ExpectError("= 3\n", "f.calib:1: missing key");
    ExpectError("poll_ns = nan\n", "key 'poll_ns': expected a number");
    TasvirCostModel m;
    std::string err;
    cr_assert_not(m.Load("/nonexistent/x.calib", &err));
    cr_assert(Contains(err, "/nonexistent/x.calib: cannot open calibration file"), "%s", err.c_str());
}

Test(sim_calib, failed_parse_keeps_values)
{
    TasvirCostModel m;
    std::string err;
    cr_assert(m.Parse("poll_ns = 11\n", "a", &err));
    cr_assert_not(m.Parse("poll_ns = 12\nbad\n", "b", &err));
    cr_assert((m.Get().poll_ns) == (11.0));
}

Test(sim_calib, cost_formulas)
{
    TasvirCostModel m;
    std::string err;
    cr_assert(m.Parse("poll_ns = 10\ncheckin_ns = 20\nscan_ns_per_kib = 2\ncopy_ns_per_line = 3\n"
                      "epoch_fixed_ns = 100\nframe_encode_ns = 50\nframe_encode_ns_per_kib = 1024\n"
                      "frame_decode_ns = 40\nframe_decode_ns_per_kib = 512\n",
                      "c",
                      &err), "%s", err.c_str());
    struct tasvir_stats b;
    memset(&b, 0, sizeof(b));
    struct tasvir_stats a = b;
    a.bytes_scanned = 4096;  // 4 KiB -> 8 ns
    a.bytes_copied = 640;    // 10 lines -> 30 ns
    a.epochs_ok = 1;         // 100 ns
    cr_assert_eq(m.CallCostNs(true, b, a), 10 + 8 + 30 + 100);
    cr_assert_eq(m.CallCostNs(false, b, a), 20 + 8 + 30 + 100);
    cr_assert_eq(m.CallCostNs(false, b, b), 20);
    cr_assert_eq(m.EncodeCostNs(1024), 50 + 1024);
    cr_assert_eq(m.DecodeCostNs(2048), 40 + 1024);
    // a poll also pays per peer the node knows
    cr_assert(m.Parse("poll_ns = 10\npoll_ns_per_peer = 2.5\n", "d", &err), "%s", err.c_str());
    cr_assert_eq(m.CallCostNs(true, b, b, 8), 10 + 20);
    cr_assert_eq(m.CallCostNs(false, b, b, 8), m.CallCostNs(false, b, b, 0),
                 "check-ins do not pay per peer");
}

Test(sim_config, workload_clock_skew_and_params)
{
    TasvirSimConfig c;
    std::string err;
    cr_assert(c.workload == "versioned", "the shared workload is the default");
    cr_assert(c.Set("workload", "basic", &err));
    cr_assert(c.workload == "versioned", "basic, the former built-in, is read as versioned");
    cr_assert_not(c.Set("workload", "", &err));
    // clockSkew: auto = the largest sync interval; a duration; 0ns = none
    cr_assert(c.clockSkew == "auto");
    c.syncInt = "2ms";
    c.syncExt = "50ms";
    cr_assert_eq(c.ClockSkewNs(), 50000000);
    cr_assert(c.Set("clockSkew", "3ms", &err), "%s", err.c_str());
    cr_assert_eq(c.ClockSkewNs(), 3000000);
    cr_assert(c.Set("clockSkew", "0ns", &err));
    cr_assert_eq(c.ClockSkewNs(), 0);
    cr_assert_not(c.Set("clockSkew", "sometimes", &err));
    cr_assert(Contains(err, "--clockSkew: expected auto or a duration"), "%s", err.c_str());
    // the options become the versioned workload's parameters; --param comes last (wins)
    c.writeRate = 250;
    c.samples = false;
    c.params = {{"writeRate", "10"}};
    auto p = c.WorkloadParams();
    cr_assert(p.front().first == "threads" && p.front().second == "2");
    bool rate = false, samples = false;
    for (const auto& kv : p)
    {
        rate = rate || (kv.first == "writeRate" && kv.second == "250");
        samples = samples || (kv.first == "sampleRate" && kv.second == "0");
    }
    cr_assert(rate && samples, "writeRate and sampleRate=0 (samples=false) passed on");
    cr_assert(p.back().first == "writeRate" && p.back().second == "10");
    c.workload = "local";
    cr_assert_eq(c.WorkloadParams().size(), 1, "other workloads get the --param list only");
}

Test(sim_config, values)
{
    uint64_t x;
    std::string err;
    cr_assert(ParseTimeNs("10us", &x, &err));
    cr_assert_eq(x, 10000);
    cr_assert(ParseTimeNs("2.5ms", &x, &err));
    cr_assert_eq(x, 2500000);
    cr_assert(ParseTimeNs("1s", &x, &err));
    cr_assert_eq(x, 1000000000);
    cr_assert_not(ParseTimeNs("10", &x, &err));
    cr_assert(Contains(err, "unit"), "%s", err.c_str());
    cr_assert_not(ParseTimeNs("-1ms", &x, &err));
    cr_assert_not(ParseTimeNs("fast", &x, &err));
    cr_assert(ParseRateBps("10Gbps", &x, &err));
    cr_assert_eq(x, 10000000000ull);
    cr_assert(ParseRateBps("100Mbps", &x, &err));
    cr_assert_eq(x, 100000000ull);
    cr_assert_not(ParseRateBps("10GB", &x, &err));
}

Test(sim_config, set_and_validate)
{
    TasvirSimConfig c;
    std::string err;
    cr_assert(c.Set("nodes", "64", &err));
    cr_assert_eq(c.nodes, 64);
    cr_assert_not(c.Set("nodes", "0", &err));
    cr_assert(Contains(err, "--nodes: value 0 outside 1..1024"), "%s", err.c_str());
    cr_assert_not(c.Set("nodes", "4x", &err));
    cr_assert(Contains(err, "--nodes: expected an unsigned integer"), "%s", err.c_str());
    cr_assert_not(c.Set("subscription", "some", &err));
    cr_assert(Contains(err, "expected one of none, all, one, random"), "%s", err.c_str());
    cr_assert_not(c.Set("lossRate", "1.5", &err));
    cr_assert_not(c.Set("syncExt", "10", &err));
    cr_assert_not(c.Set("linkRate", "fast", &err));
    cr_assert_not(c.Set("nosuch", "1", &err));
    cr_assert(Contains(err, "unknown option 'nosuch'"), "%s", err.c_str());
    cr_assert(c.Set("pcap", "true", &err));
    cr_assert(c.pcap);
    cr_assert(c.Validate(&err), "%s", err.c_str());
    c.checkinPeriod = "60us";
    cr_assert_not(c.Validate(&err));
    cr_assert(Contains(err, "checkinPeriod"), "%s", err.c_str());
    c.checkinPeriod = "10us";
    c.syncInt = "1500ns";
    cr_assert_not(c.Validate(&err));
    cr_assert(Contains(err, "whole microseconds"), "%s", err.c_str());
}

Test(sim_config, config_file_errors)
{
    char path[] = "/tmp/tasvir-cfg-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char* text = "nodes = 8\n# comment\nthreads = 3\nduration = soon\n";
    cr_assert_eq((int)write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    TasvirSimConfig c;
    std::string err;
    cr_assert_not(c.LoadFile(path, &err));
    cr_assert(Contains(err, std::string(path) + ":4: --duration:"), "%s", err.c_str());
    cr_assert_eq(c.nodes, 8);
    cr_assert_eq(c.threads, 3);
    unlink(path);
    cr_assert_not(c.LoadFile("/nonexistent/cfg", &err));
    cr_assert(Contains(err, "cannot open config file"), "%s", err.c_str());
}

/*
 * tasvir-cost-model.cc — see tasvir-cost-model.h.
 *
 * Divided into: the key table (name, member, default), the parser, and the cost formulas.
 */
#include "tasvir-cost-model.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ns3
{

namespace
{

struct KeyDef
{
    const char* name;
    double TasvirCostModel::Params::*member;
    double def;
};

/* Built-in defaults, the values of hw-configs/calibration/dev-vm-epyc-2cpu.calib (tasvir-sim's
 * default file, measured by `tasvir-bench calibrate` on the development machine; the two
 * sleeping-thread keys and the two application-work keys were added to it later, from runs
 * of the same machine; test_sim_calib checks that the two agree): used with
 * --calibration=builtin or for keys a file omits. */
const KeyDef kKeys[] = {
    {"epoch_fixed_ns", &TasvirCostModel::Params::epoch_fixed_ns, 352.5},
    {"checkin_ns", &TasvirCostModel::Params::checkin_ns, 10.2},
    {"checkin_jitter_ns", &TasvirCostModel::Params::checkin_jitter_ns, 26.6},
    {"done_notice_ns", &TasvirCostModel::Params::done_notice_ns, 24.9},
    {"poll_ns", &TasvirCostModel::Params::poll_ns, 38.9},
    {"poll_ns_per_peer", &TasvirCostModel::Params::poll_ns_per_peer, 11.03},
    {"engine_wake_ns", &TasvirCostModel::Params::engine_wake_ns, 44.4},
    {"scan_ns_per_kib", &TasvirCostModel::Params::scan_ns_per_kib, 0.003},
    {"copy_ns_per_line", &TasvirCostModel::Params::copy_ns_per_line, 4.41},
    {"frame_encode_ns", &TasvirCostModel::Params::frame_encode_ns, 62.9},
    {"frame_encode_ns_per_kib", &TasvirCostModel::Params::frame_encode_ns_per_kib, 52.5},
    {"frame_decode_ns", &TasvirCostModel::Params::frame_decode_ns, 31.0},
    {"frame_decode_ns_per_kib", &TasvirCostModel::Params::frame_decode_ns_per_kib, 40.8},
    {"sleep_wake_ns", &TasvirCostModel::Params::sleep_wake_ns, 11109.9},
    {"timer_late_ns", &TasvirCostModel::Params::timer_late_ns, 33820.0},
    {"timer_wake_ns", &TasvirCostModel::Params::timer_wake_ns, 23202.7},
    {"timer_sleep_ns", &TasvirCostModel::Params::timer_sleep_ns, 20000.0},
    {"port_tx_ns", &TasvirCostModel::Params::port_tx_ns, 0.0},
    {"port_tx_ns_per_frame", &TasvirCostModel::Params::port_tx_ns_per_frame, 0.0},
    {"app_write_ns_per_line", &TasvirCostModel::Params::app_write_ns_per_line, 46.13},
    {"app_verify_ns_per_line", &TasvirCostModel::Params::app_verify_ns_per_line, 8.94},
};

const char* const kTextKeys[] = {"machine", "cpu", "date", "tool", "note"};

uint64_t
Fnv1a64(const std::string& s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s)
    {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t
Round(double ns)
{
    return ns <= 0 ? 0 : (uint64_t)std::llround(ns);
}

} // namespace

TasvirCostModel::TasvirCostModel()
    : m_checksum(0)
{
    for (const KeyDef& k : kKeys)
    {
        m_p.*k.member = k.def;
        m_defaulted.emplace_back(k.name);
    }
}

std::vector<std::string>
TasvirCostModel::Keys()
{
    std::vector<std::string> v;
    for (const KeyDef& k : kKeys)
    {
        v.emplace_back(k.name);
    }
    return v;
}

bool
TasvirCostModel::Load(const std::string& path, std::string* error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        *error = path + ": cannot open calibration file: " + std::strerror(errno);
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
    {
        *error = path + ": cannot read calibration file";
        return false;
    }
    if (!Parse(ss.str(), path, error))
    {
        return false;
    }
    m_path = path;
    return true;
}

bool
TasvirCostModel::Parse(const std::string& text, const std::string& name, std::string* error)
{
    Params p;
    for (const KeyDef& k : kKeys)
    {
        p.*k.member = k.def;
    }
    std::vector<std::pair<std::string, unsigned>> seen; // key, line
    std::vector<std::pair<std::string, std::string>> meta;
    std::istringstream in(text);
    std::string raw;
    unsigned lineNo = 0;
    auto fail = [&](const std::string& msg) {
        *error = name + ":" + std::to_string(lineNo) + ": " + msg;
        return false;
    };
    while (std::getline(in, raw))
    {
        lineNo++;
        std::string line = raw.substr(0, raw.find('#'));
        line = TasvirTrimBlanks(line);
        if (line.empty())
        {
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string::npos)
        {
            return fail("expected 'key = value', got '" + line + "'");
        }
        std::string key = TasvirTrimBlanks(line.substr(0, eq));
        std::string value = TasvirTrimBlanks(line.substr(eq + 1));
        if (key.empty())
        {
            return fail("missing key before '='");
        }
        for (char c : key)
        {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            {
                return fail("key '" + key + "': only lower-case letters, digits and '_' allowed");
            }
        }
        for (const auto& s : seen)
        {
            if (s.first == key)
            {
                return fail("key '" + key + "' set twice (first on line " +
                            std::to_string(s.second) + ")");
            }
        }
        seen.emplace_back(key, lineNo);
        if (value.empty())
        {
            return fail("key '" + key + "': missing value");
        }
        bool isText = false;
        for (const char* t : kTextKeys)
        {
            isText = isText || key == t;
        }
        if (isText)
        {
            meta.emplace_back(key, value);
            continue;
        }
        if (key == "format")
        {
            if (value != "1")
            {
                return fail("key 'format': this program reads format 1, the file is format '" +
                            value + "'");
            }
            continue;
        }
        const KeyDef* def = nullptr;
        for (const KeyDef& k : kKeys)
        {
            if (key == k.name)
            {
                def = &k;
            }
        }
        if (!def)
        {
            std::string known = "format";
            for (const char* t : kTextKeys)
            {
                known += std::string(", ") + t;
            }
            for (const KeyDef& k : kKeys)
            {
                known += std::string(", ") + k.name;
            }
            return fail("unknown key '" + key + "' (known keys: " + known + ")");
        }
        errno = 0;
        char* end = nullptr;
        double v = std::strtod(value.c_str(), &end);
        if (end == value.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
        {
            return fail("key '" + key + "': expected a number of nanoseconds, got '" + value +
                        "'");
        }
        if (v < 0)
        {
            return fail("key '" + key + "': a cost cannot be negative (" + value + ")");
        }
        p.*def->member = v;
    }
    m_p = p;
    m_meta = meta;
    m_defaulted.clear();
    for (const KeyDef& k : kKeys)
    {
        bool set = false;
        for (const auto& s : seen)
        {
            set = set || s.first == k.name;
        }
        if (!set)
        {
            m_defaulted.emplace_back(k.name);
        }
    }
    m_path = name;
    m_checksum = Fnv1a64(text);
    return true;
}

const TasvirCostModel::Params&
TasvirCostModel::Get() const
{
    return m_p;
}

void
TasvirCostModel::Set(const Params& p)
{
    m_p = p;
}

const std::string&
TasvirCostModel::Path() const
{
    return m_path;
}

uint64_t
TasvirCostModel::Checksum() const
{
    return m_checksum;
}

std::vector<std::pair<std::string, double>>
TasvirCostModel::Values() const
{
    std::vector<std::pair<std::string, double>> v;
    for (const KeyDef& k : kKeys)
    {
        v.emplace_back(k.name, m_p.*k.member);
    }
    return v;
}

const std::vector<std::string>&
TasvirCostModel::Defaulted() const
{
    return m_defaulted;
}

const std::vector<std::pair<std::string, std::string>>&
TasvirCostModel::Metadata() const
{
    return m_meta;
}

uint64_t
TasvirCostModel::CallCostNs(bool engine,
                            const struct tasvir_stats& b,
                            const struct tasvir_stats& a,
                            uint32_t peers) const
{
    double ns = engine ? m_p.poll_ns + m_p.poll_ns_per_peer * peers : m_p.checkin_ns;
    ns += m_p.scan_ns_per_kib * (double)(a.bytes_scanned - b.bytes_scanned) / 1024.0;
    ns += m_p.copy_ns_per_line * (double)(a.bytes_copied - b.bytes_copied) / TASVIR_LINE_BYTES;
    ns += m_p.epoch_fixed_ns *
          (double)((a.epochs_ok - b.epochs_ok) + (a.epochs_failed - b.epochs_failed));
    return Round(ns);
}

uint64_t
TasvirCostModel::EncodeCostNs(uint32_t frameBytes) const
{
    return Round(m_p.frame_encode_ns + m_p.frame_encode_ns_per_kib * frameBytes / 1024.0);
}

uint64_t
TasvirCostModel::PortTxCostNs(bool firstOfCall) const
{
    return Round(m_p.port_tx_ns_per_frame + (firstOfCall ? m_p.port_tx_ns : 0.0));
}

uint64_t
TasvirCostModel::AppCostNs(uint64_t linesWritten, uint64_t linesVerified) const
{
    return Round(m_p.app_write_ns_per_line * (double)linesWritten +
                 m_p.app_verify_ns_per_line * (double)linesVerified);
}

uint64_t
TasvirCostModel::DecodeCostNs(uint32_t frameBytes) const
{
    return Round(m_p.frame_decode_ns + m_p.frame_decode_ns_per_kib * frameBytes / 1024.0);
}

std::string
TasvirTrimBlanks(const std::string& s)
{
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos)
    {
        return "";
    }
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

} // namespace ns3

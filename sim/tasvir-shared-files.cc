/*
 * tasvir-shared-files.cc — see tasvir-shared-files.h.
 */
#include "tasvir-shared-files.h"

// The shared module's C header (tsv_join); no extern "C" guards of its own.
extern "C"
{
#include "../experiments/workload/workload.h"
}

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace ns3
{

namespace
{

const char* const kKinds[] = {"versions", "visible", "samples-raw", "trace"};

std::string
PathOf(const std::string& dir, const char* kind, uint16_t id)
{
    return dir + "/" + kind + "-node" + std::to_string(id) + ".csv";
}

std::string
Errno(const std::string& what)
{
    return what + ": " + std::strerror(errno);
}

std::vector<std::string>
Split(const std::string& line)
{
    std::vector<std::string> cells;
    size_t start = 0;
    for (;;)
    {
        size_t c = line.find(',', start);
        cells.push_back(line.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos)
        {
            return cells;
        }
        start = c + 1;
    }
}

bool
ReadLine(FILE* f, std::string* line)
{
    static thread_local char* buf = nullptr;
    static thread_local size_t cap = 0;
    ssize_t n = getline(&buf, &cap, f);
    if (n < 0)
    {
        line->clear();
        return false;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    {
        n--;
    }
    line->assign(buf, (size_t)n);
    return true;
}

bool
ParseU64(const std::string& s, uint64_t* v)
{
    if (s.empty() || s[0] < '0' || s[0] > '9')
    {
        return false;
    }
    char* end;
    errno = 0;
    unsigned long long x = std::strtoull(s.c_str(), &end, 10);
    if (errno || *end)
    {
        return false;
    }
    *v = x;
    return true;
}

/** One time column: whose clock it is, and the version column that must be > 0 for it to
 *  hold a time (version 0 has none). */
struct TimeCol
{
    const char* name;
    const char* clock; //!< "node" or "owner"
    const char* guard; //!< nullptr: always a time when set
};

int
Col(const std::vector<std::string>& header, const char* name)
{
    for (size_t i = 0; i < header.size(); i++)
    {
        if (header[i] == name)
        {
            return (int)i;
        }
    }
    return -1;
}

bool
ConvertFile(const std::string& path,
            const char* kind,
            const std::vector<uint64_t>& off,
            std::string* error)
{
    static const TimeCol kVersions[] = {{"pub_ns", "owner", "version"}};
    static const TimeCol kVisible[] = {{"pub_ns", "owner", "version"},
                                       {"visible_ns", "node", nullptr}};
    static const TimeCol kSamples[] = {{"time_ns", "node", nullptr},
                                       {"pub_ns", "owner", "version"},
                                       {"announced_pub_ns", "owner", "announced_version"}};
    static const TimeCol kTrace[] = {{"ns", "node", nullptr},
                                     {"epoch_start_ns", "node", nullptr}};
    const TimeCol* cols = kSamples;
    size_t ncols = 3;
    bool w2v = true;
    if (!std::strcmp(kind, "trace"))
    {
        cols = kTrace;
        ncols = 2;
        w2v = false;
    }
    else if (!std::strcmp(kind, "versions"))
    {
        cols = kVersions;
        ncols = 1;
        w2v = false;
    }
    else if (!std::strcmp(kind, "visible"))
    {
        cols = kVisible;
        ncols = 2;
        w2v = false;
    }
    FILE* in = std::fopen(path.c_str(), "r");
    if (!in)
    {
        *error = Errno(path);
        return false;
    }
    std::string tmp = path + ".tmp";
    FILE* out = std::fopen(tmp.c_str(), "w");
    if (!out)
    {
        *error = Errno(tmp);
        std::fclose(in);
        return false;
    }
    std::string line;
    bool ok = ReadLine(in, &line);
    if (!ok)
    {
        *error = path + ":1: empty file (expected a header line)";
    }
    std::vector<std::string> header = Split(line);
    struct Idx
    {
        int col, clock, guard;
    };
    std::vector<Idx> idx;
    int nodeCol = Col(header, "node"), ownerCol = Col(header, "owner");
    int w2vCol = w2v ? Col(header, "w2v_ns") : -1;
    for (size_t k = 0; k < ncols; k++)
    {
        const TimeCol& c = cols[k];
        if (!ok)
        {
            break;
        }
        Idx x = {Col(header, c.name),
                 Col(header, c.clock),
                 c.guard ? Col(header, c.guard) : -1};
        if (x.col < 0 || x.clock < 0 || (c.guard && x.guard < 0))
        {
            *error = path + ":1: header lacks column '" + c.name + "', '" + c.clock + "'" +
                     (c.guard ? std::string(" or '") + c.guard + "'" : std::string());
            ok = false;
        }
        idx.push_back(x);
    }
    if (ok && w2v && (w2vCol < 0 || nodeCol < 0 || ownerCol < 0))
    {
        *error = path + ":1: header lacks column 'w2v_ns', 'node' or 'owner'";
        ok = false;
    }
    if (ok)
    {
        std::fprintf(out, "%s\n", line.c_str());
    }
    long lineNo = 1;
    while (ok && ReadLine(in, &line))
    {
        lineNo++;
        if (line.empty())
        {
            continue;
        }
        std::vector<std::string> cell = Split(line);
        std::string where = path + ":" + std::to_string(lineNo) + ": ";
        if (cell.size() != header.size())
        {
            *error = where + "expected " + std::to_string(header.size()) + " cells, found " +
                     std::to_string(cell.size());
            ok = false;
            break;
        }
        auto offsetOf = [&](int clockCol, uint64_t* o) {
            uint64_t id;
            if (!ParseU64(cell[clockCol], &id) || id >= off.size())
            {
                *error = where + "bad node id '" + cell[clockCol] + "'";
                return false;
            }
            *o = off[id];
            return true;
        };
        for (const Idx& x : idx)
        {
            uint64_t v, g = 1, o;
            if (cell[x.col].empty() || (x.guard >= 0 && ParseU64(cell[x.guard], &g) && g == 0))
            {
                continue;
            }
            if (!ParseU64(cell[x.col], &v) || !offsetOf(x.clock, &o))
            {
                *error = error->empty() ? where + "bad time '" + cell[x.col] + "'" : *error;
                ok = false;
                break;
            }
            if (v < o)
            {
                *error = where + header[x.col] + " " + cell[x.col] +
                         " precedes the clock offset " + std::to_string(o) + " of node " +
                         cell[x.clock];
                ok = false;
                break;
            }
            cell[x.col] = std::to_string(v - o);
        }
        if (ok && w2v && !cell[w2vCol].empty())
        {
            uint64_t v, on, oo;
            if (!ParseU64(cell[w2vCol], &v) || !offsetOf(nodeCol, &on) ||
                !offsetOf(ownerCol, &oo))
            {
                *error = error->empty() ? where + "bad w2v_ns '" + cell[w2vCol] + "'" : *error;
                ok = false;
                break;
            }
            // reader time minus an owner-stamped write time: both to simulator time
            int64_t sim = (int64_t)v + (int64_t)oo - (int64_t)on;
            cell[w2vCol] = std::to_string(sim);
        }
        if (!ok)
        {
            break;
        }
        for (size_t i = 0; i < cell.size(); i++)
        {
            std::fputs(cell[i].c_str(), out);
            std::fputc(i + 1 < cell.size() ? ',' : '\n', out);
        }
    }
    std::fclose(in);
    bool bad = std::ferror(out) != 0;
    bad = std::fclose(out) != 0 || bad;
    if (ok && bad)
    {
        *error = tmp + ": write failed";
        ok = false;
    }
    if (ok && std::rename(tmp.c_str(), path.c_str()) != 0)
    {
        *error = Errno(path);
        ok = false;
    }
    if (!ok)
    {
        unlink(tmp.c_str());
    }
    return ok;
}

} // namespace

bool
TasvirSharedFilesWriteTrace(const std::string& dir,
                            uint16_t id,
                            const struct tsv_trace* trace,
                            std::string* error)
{
    std::string p = PathOf(dir, "trace", id);
    int rc = trace ? tsv_trace_write(trace, id, p.c_str()) : 0;
    if (rc)
    {
        *error = p + ": " + std::strerror(-rc);
        return false;
    }
    return true;
}

std::vector<std::string>
TasvirSharedFilesOfNode(const std::string& dir, uint16_t id)
{
    std::vector<std::string> v;
    for (const char* k : kKinds)
    {
        std::string p = PathOf(dir, k, id);
        if (access(p.c_str(), F_OK) == 0)
        {
            v.push_back(p.substr(dir.size() + 1));
        }
    }
    return v;
}

bool
TasvirSharedFilesToSimTime(const std::string& dir,
                           const std::vector<uint16_t>& ids,
                           const std::vector<uint64_t>& offsetNs,
                           std::string* error)
{
    for (uint16_t id : ids)
    {
        for (const char* k : kKinds)
        {
            std::string p = PathOf(dir, k, id);
            if (access(p.c_str(), F_OK) == 0 && !ConvertFile(p, k, offsetNs, error))
            {
                return false;
            }
        }
    }
    return true;
}

bool
TasvirSharedFilesJoin(const std::string& dir,
                      const std::vector<uint16_t>& ids,
                      std::vector<std::string>* files,
                      std::string* error)
{
    // versions.csv would be read as one more versions*.csv: written after the join
    std::string vpath = dir + "/versions.csv";
    if (unlink(vpath.c_str()) != 0 && errno != ENOENT)
    {
        *error = Errno(vpath);
        return false;
    }
    char err[1024] = "";
    if (tsv_join(dir.c_str(), err, sizeof(err)) != 0)
    {
        *error = std::string("join: ") + err;
        return false;
    }
    // samples.csv in node order (stable: each node's rows keep their order)
    std::string spath = dir + "/samples.csv";
    FILE* f = std::fopen(spath.c_str(), "r");
    if (!f)
    {
        *error = Errno(spath);
        return false;
    }
    std::string header, line;
    ReadLine(f, &header);
    std::vector<std::pair<uint64_t, std::string>> rows;
    while (ReadLine(f, &line))
    {
        size_t c1 = line.find(',');
        uint64_t node = 0;
        if (c1 != std::string::npos)
        {
            ParseU64(line.substr(c1 + 1, line.find(',', c1 + 1) - c1 - 1), &node);
        }
        rows.emplace_back(node, line);
    }
    std::fclose(f);
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.first < b.first;
    });
    f = std::fopen(spath.c_str(), "w");
    if (!f)
    {
        *error = Errno(spath);
        return false;
    }
    std::fprintf(f, "%s\n", header.c_str());
    for (const auto& r : rows)
    {
        std::fprintf(f, "%s\n", r.second.c_str());
    }
    if (std::fclose(f) != 0)
    {
        *error = spath + ": write failed";
        return false;
    }
    // versions.csv: every owner's versions, in node order (as tasvir-collect writes it)
    FILE* vo = std::fopen(vpath.c_str(), "w");
    if (!vo)
    {
        *error = Errno(vpath);
        return false;
    }
    std::fputs("area,owner,version,pub_ns,lines_changed\n", vo);
    for (uint16_t id : ids)
    {
        FILE* in = std::fopen(PathOf(dir, "versions", id).c_str(), "r");
        if (!in)
        {
            continue;
        }
        bool first = true;
        while (ReadLine(in, &line))
        {
            if (!first && !line.empty())
            {
                std::fprintf(vo, "%s\n", line.c_str());
            }
            first = false;
        }
        std::fclose(in);
    }
    if (std::fclose(vo) != 0)
    {
        *error = vpath + ": write failed";
        return false;
    }
    files->push_back("visibility.csv");
    files->push_back("samples.csv");
    files->push_back("versions.csv");
    return true;
}

} // namespace ns3

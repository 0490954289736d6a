/*
 * tasvir-basic-workload.cc — see tasvir-basic-workload.h.
 *
 * Divided into: line stamps (write and check), configuration, installation (areas,
 * subscriptions, first events), writers, the probe, ground truth (publish times, recorded
 * after every call into an owner node's core), and outputs.
 */
#include "tasvir-basic-workload.h"

#include "tasvir-node-app.h"

#include "tasvir/tasvir.h"

#include "ns3/log.h"
#include "ns3/random-variable-stream.h"
#include "ns3/simulator.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirBasicWorkload");

namespace
{

const uint64_t kHeaderMagic = 0x7a5e4844ull; // "TasvirHD"
/* Lines of the latest write checked by a probe read (bounds the probe's CPU use). */
const uint64_t kCheckLines = 8;

uint64_t
Mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* Data line: w0 seq, w1 write time, w2 (area uid, line), w3..w6 filler, w7 checksum. */
void
StampLine(uint64_t* w, uint64_t seq, uint64_t nowNs, uint32_t uid, uint64_t line)
{
    w[0] = seq;
    w[1] = nowNs;
    w[2] = (uint64_t)uid << 40 | line;
    uint64_t sum = Mix(w[0] ^ Mix(w[1]) ^ Mix(w[2] + 1));
    for (int i = 3; i < 7; i++)
    {
        w[i] = Mix(seq * 8 + (uint64_t)i + line);
        sum ^= w[i];
    }
    w[7] = sum;
}

/* Returns the line's seq, or UINT64_MAX if it is not a valid stamp of (uid, line). */
uint64_t
CheckLine(const uint64_t* w, uint32_t uid, uint64_t line)
{
    if (w[2] != ((uint64_t)uid << 40 | line))
    {
        return UINT64_MAX;
    }
    uint64_t sum = Mix(w[0] ^ Mix(w[1]) ^ Mix(w[2] + 1));
    for (int i = 3; i < 7; i++)
    {
        sum ^= w[i];
    }
    return sum == w[7] ? w[0] : UINT64_MAX;
}

/* Header line 0: w0 seq, w1 write time, w2 first line, w3 line count, w4 magic, w7 sum. */
void
StampHeader(uint64_t* w, uint64_t seq, uint64_t nowNs, uint64_t first, uint64_t count)
{
    w[0] = seq;
    w[1] = nowNs;
    w[2] = first;
    w[3] = count;
    w[4] = kHeaderMagic;
    w[5] = 0;
    w[6] = 0;
    w[7] = Mix(seq ^ Mix(nowNs) ^ Mix(first * 31 + count) ^ kHeaderMagic);
}

bool
HeaderValid(const uint64_t* w)
{
    return w[4] == kHeaderMagic && w[7] == Mix(w[0] ^ Mix(w[1]) ^ Mix(w[2] * 31 + w[3]) ^ kHeaderMagic);
}

bool
AllZero(const uint64_t* w)
{
    for (int i = 0; i < 8; i++)
    {
        if (w[i])
        {
            return false;
        }
    }
    return true;
}

} // namespace

/* ---- configuration ---- */

const char*
TasvirBasicWorkload::SubscriptionName(Subscription s)
{
    switch (s)
    {
    case SUB_NONE:
        return "none";
    case SUB_ALL:
        return "all";
    case SUB_ONE:
        return "one";
    case SUB_RANDOM:
        return "random";
    }
    return "?";
}

bool
TasvirBasicWorkload::ParseSubscription(const std::string& s, Subscription* out)
{
    for (Subscription x : {SUB_NONE, SUB_ALL, SUB_ONE, SUB_RANDOM})
    {
        if (s == SubscriptionName(x))
        {
            *out = x;
            return true;
        }
    }
    return false;
}

bool
TasvirBasicWorkload::Validate(const Config& c, std::string* error)
{
    if (c.areaBytes < 2 * TASVIR_LINE_BYTES)
    {
        *error = "areaBytes must be at least 128 (a header line and a data line)";
        return false;
    }
    uint64_t lines = (c.areaBytes + TASVIR_LINE_BYTES - 1) / TASVIR_LINE_BYTES;
    if (c.writeRate < 0 || c.sampleRate < 0)
    {
        *error = "writeRate and sampleRate cannot be negative";
        return false;
    }
    if (c.linesPerWrite == 0 || c.linesPerWrite > lines - 1)
    {
        *error = "linesPerWrite must be between 1 and " + std::to_string(lines - 1) +
                 " (the data lines of an area of areaBytes)";
        return false;
    }
    if (c.subscription == SUB_RANDOM && c.subscribeK == 0)
    {
        *error = "subscribeK must be at least 1 with subscription=random";
        return false;
    }
    if (c.attachRetryMin <= Time(0) || c.attachRetryMax < c.attachRetryMin)
    {
        *error = "attach retry bounds must satisfy 0 < min <= max";
        return false;
    }
    return true;
}

TasvirBasicWorkload::TasvirBasicWorkload(const Config& cfg)
    : m_cfg(cfg),
      m_samples(nullptr),
      m_stopped(false)
{
    m_uni = CreateObject<UniformRandomVariable>();
    m_exp = CreateObject<ExponentialRandomVariable>();
}

TasvirBasicWorkload::~TasvirBasicWorkload()
{
    if (m_samples)
    {
        fclose(m_samples);
    }
}

int64_t
TasvirBasicWorkload::AssignStreams(int64_t stream)
{
    m_uni->SetStream(stream);
    m_exp->SetStream(stream + 1);
    return 2;
}

/* ---- installation ---- */

void
TasvirBasicWorkload::PlanSubscriptions(uint32_t node, std::vector<uint32_t>* remote)
{
    uint32_t n = m_apps.size();
    switch (m_cfg.subscription)
    {
    case SUB_NONE:
        break;
    case SUB_ALL:
        for (uint32_t i = 0; i < n; i++)
        {
            if (i != node)
            {
                remote->push_back(i);
            }
        }
        break;
    case SUB_ONE:
        if (node != 0)
        {
            remote->push_back(0);
        }
        break;
    case SUB_RANDOM: {
        // K distinct other nodes: a partial Fisher-Yates shuffle of the others.
        std::vector<uint32_t> others;
        for (uint32_t i = 0; i < n; i++)
        {
            if (i != node)
            {
                others.push_back(i);
            }
        }
        uint32_t k = std::min<uint32_t>(m_cfg.subscribeK, others.size());
        for (uint32_t i = 0; i < k; i++)
        {
            uint32_t j = i + m_uni->GetInteger(0, others.size() - 1 - i);
            std::swap(others[i], others[j]);
            remote->push_back(others[i]);
        }
        std::sort(remote->begin(), remote->end());
        break;
    }
    }
}

bool
TasvirBasicWorkload::Install(const std::vector<Ptr<TasvirNodeApp>>& apps,
                             Time start,
                             std::string* error)
{
    if (!Validate(m_cfg, error))
    {
        return false;
    }
    m_apps = apps;
    m_nodes.assign(apps.size(), NodeState());
    if (!m_cfg.samplesPath.empty())
    {
        m_samples = fopen(m_cfg.samplesPath.c_str(), "w");
        if (!m_samples)
        {
            *error = m_cfg.samplesPath + ": " + std::strerror(errno);
            return false;
        }
        setvbuf(m_samples, nullptr, _IOFBF, 1 << 20);
        fprintf(m_samples,
                "time_ns,node,thread,area,owner,version,pub_ns,latest_version,latest_pub_ns,"
                "age_ns,version_lag,w2v_ns,visible_ns,write_seq,write_ns,torn,area_name\n");
    }
    // Areas, owned by threads round robin.
    for (uint32_t n = 0; n < apps.size(); n++)
    {
        Ptr<TasvirNodeApp> app = apps[n];
        for (uint32_t j = 0; j < m_cfg.areasPerNode; j++)
        {
            Area a;
            a.name = "n" + std::to_string(app->GetTasvirId()) + ".a" + std::to_string(j);
            a.ownerNode = n;
            a.ownerThread = j % app->GetNThreads();
            a.uid = m_areas.size();
            a.nlines = (m_cfg.areaBytes + TASVIR_LINE_BYTES - 1) / TASVIR_LINE_BYTES;
            a.cursor = 1;
            a.seq = 0;
            a.pubNs.push_back(0); // version 0: all zeros, "published" at creation
            struct tasvir_area_conf ac;
            tasvir_area_conf_init(&ac);
            ac.name = a.name.c_str();
            ac.len_bytes = m_cfg.areaBytes;
            ac.sync_int_us = m_cfg.syncIntUs;
            ac.sync_ext_us = m_cfg.syncExtUs;
            int rc = tasvir_area_create(app->GetThreadAgent(a.ownerThread)->GetThread(),
                                        &ac,
                                        &a.handle);
            if (rc)
            {
                *error = "node " + std::to_string(n) + ": cannot create area " + a.name + ": " +
                         tasvir_strerror(rc);
                return false;
            }
            struct tasvir_area_info info;
            a.id = tasvir_area_info(a.handle, &info) == 0 ? info.id : a.uid;
            m_nodes[n].owned.push_back(m_areas.size());
            m_areas.push_back(a);
        }
    }
    // Subscriptions: every local area, then the planned remote ones.
    for (uint32_t n = 0; n < apps.size(); n++)
    {
        std::vector<uint32_t> remote;
        PlanSubscriptions(n, &remote);
        std::vector<uint32_t> from = {n};
        from.insert(from.end(), remote.begin(), remote.end());
        for (uint32_t src : from)
        {
            for (uint32_t ai : m_nodes[src].owned)
            {
                Sub s;
                s.area = ai;
                s.handle = nullptr;
                s.lastVersion = 0;
                s.seenVersion = 0;
                s.attachNs = 0;
                s.lastSeq = 0;
                s.retry = m_cfg.attachRetryMin;
                m_nodes[n].subs.push_back(s);
            }
        }
        apps[n]->TraceConnectWithoutContext(
            "AfterCall",
            MakeCallback(&TasvirBasicWorkload::AfterCall, this).Bind(n));
    }
    // First events.
    Time delay = start - Simulator::Now();
    for (uint32_t n = 0; n < apps.size(); n++)
    {
        for (uint32_t s = 0; s < m_nodes[n].subs.size(); s++)
        {
            Simulator::Schedule(delay, &TasvirBasicWorkload::TryAttach, this, n, s);
        }
        if (m_cfg.sampleRate > 0)
        {
            // A random phase so that nodes do not all sample at the same instants.
            double period = 1.0 / m_cfg.sampleRate;
            ScheduleSample(n, delay + Seconds(m_uni->GetValue(0, period)));
        }
    }
    for (uint32_t a = 0; a < m_areas.size(); a++)
    {
        if (m_cfg.writeRate > 0)
        {
            m_areas[a].writeEvent =
                Simulator::Schedule(delay, &TasvirBasicWorkload::ScheduleWrite, this, a, true);
        }
    }
    return true;
}

void
TasvirBasicWorkload::Stop()
{
    m_stopped = true;
    for (Area& a : m_areas)
    {
        a.writeEvent.Cancel();
    }
    for (NodeState& n : m_nodes)
    {
        n.sampleEvent.Cancel();
        for (Sub& s : n.subs)
        {
            s.retryEvent.Cancel();
        }
    }
}

/* ---- writers ---- */

void
TasvirBasicWorkload::ScheduleWrite(uint32_t area, bool first)
{
    if (m_stopped || (m_cfg.writeStop > Time(0) && Simulator::Now() >= m_cfg.writeStop))
    {
        return;
    }
    double mean = 1.0 / m_cfg.writeRate;
    double gap;
    if (m_cfg.poissonWrites)
    {
        gap = m_exp->GetValue(mean, 0);
    }
    else
    {
        // Constant spacing; the first write at a random phase within one spacing.
        gap = first ? m_uni->GetValue(0, mean) : mean;
    }
    m_areas[area].writeEvent =
        Simulator::Schedule(Seconds(gap), &TasvirBasicWorkload::WriteEvent, this, area);
}

void
TasvirBasicWorkload::WriteEvent(uint32_t area)
{
    const Area& a = m_areas[area];
    TasvirThreadAgent* t = m_apps[a.ownerNode]->GetThreadAgent(a.ownerThread);
    t->Submit([this, area]() { return DoWrite(area); });
    ScheduleWrite(area, false);
}

uint64_t
TasvirBasicWorkload::DoWrite(uint32_t area)
{
    Area& a = m_areas[area];
    // The stamp carries the owner's clock, as a real writer's would.
    uint64_t now = tasvir_node_now_ns(m_apps[a.ownerNode]->GetTasvirNode());
    uint8_t* base = static_cast<uint8_t*>(tasvir_area_writer(a.handle));
    uint64_t n = m_cfg.linesPerWrite;
    uint64_t data = a.nlines - 1; // lines 1 .. nlines-1
    uint64_t first;
    if (m_cfg.randomLines)
    {
        first = 1 + m_uni->GetInteger(0, data - n);
    }
    else
    {
        if (a.cursor + n > a.nlines)
        {
            a.cursor = 1;
        }
        first = a.cursor;
        a.cursor += n;
    }
    uint64_t seq = ++a.seq;
    for (uint64_t l = first; l < first + n; l++)
    {
        StampLine(reinterpret_cast<uint64_t*>(base + l * TASVIR_LINE_BYTES), seq, now, a.uid, l);
    }
    StampHeader(reinterpret_cast<uint64_t*>(base), seq, now, first, n);
    tasvir_log(a.handle, base + first * TASVIR_LINE_BYTES, n * TASVIR_LINE_BYTES);
    tasvir_log(a.handle, base, TASVIR_LINE_BYTES);
    m_nodes[a.ownerNode].writes++;
    return 0; // application work: not part of the calibrated cost model
}

/* ---- probe ---- */

void
TasvirBasicWorkload::TryAttach(uint32_t node, uint32_t sub)
{
    if (m_stopped)
    {
        return;
    }
    TasvirThreadAgent* t = m_apps[node]->GetThreadAgent(m_apps[node]->GetNThreads() - 1);
    t->Submit([this, node, sub, t]() {
        NodeState& s = m_nodes[node];
        Sub& x = s.subs[sub];
        if (x.handle || m_stopped)
        {
            return (uint64_t)0;
        }
        s.attachTries++;
        int rc = tasvir_area_attach(t->GetThread(), m_areas[x.area].name.c_str(), &x.handle);
        if (rc == 0)
        {
            s.attachOk++;
            x.attachNs = TasvirNodeApp::NowNs();
            return (uint64_t)0;
        }
        x.handle = nullptr;
        if (rc != -ENOENT)
        {
            NS_LOG_WARN("node " << node << ": attach " << m_areas[x.area].name << ": "
                                << tasvir_strerror(rc));
        }
        x.retryEvent =
            Simulator::Schedule(x.retry, &TasvirBasicWorkload::TryAttach, this, node, sub);
        x.retry = std::min(x.retry * 2, m_cfg.attachRetryMax);
        return (uint64_t)0;
    });
}

void
TasvirBasicWorkload::ScheduleSample(uint32_t node, Time delay)
{
    m_nodes[node].sampleEvent =
        Simulator::Schedule(delay, &TasvirBasicWorkload::SampleEvent, this, node);
}

void
TasvirBasicWorkload::SampleEvent(uint32_t node)
{
    if (m_stopped)
    {
        return;
    }
    TasvirThreadAgent* t = m_apps[node]->GetThreadAgent(m_apps[node]->GetNThreads() - 1);
    t->Submit([this, node]() { return DoSample(node); });
    ScheduleSample(node, Seconds(1.0 / m_cfg.sampleRate));
}

uint64_t
TasvirBasicWorkload::DoSample(uint32_t node)
{
    NodeState& ns = m_nodes[node];
    uint64_t now = TasvirNodeApp::NowNs();
    uint32_t thread = m_apps[node]->GetNThreads() - 1;
    ns.samples++;
    for (Sub& s : ns.subs)
    {
        if (!s.handle)
        {
            continue;
        }
        const Area& a = m_areas[s.area];
        uint64_t v = tasvir_area_version(s.handle);
        // Times from the core are on the owner's / this node's clock: convert to
        // simulator time, the ground truth of every sample.
        uint64_t pub = ToSim(tasvir_area_pub_ns(s.handle), a.ownerNode);
        struct tasvir_area_info info;
        uint64_t visible = 0;
        if (tasvir_area_info(s.handle, &info) == 0 && info.version == v)
        {
            visible = ToSim(info.visible_ns, node);
        }
        uint64_t latest = tasvir_area_version(a.handle);
        const uint64_t* hdr = static_cast<const uint64_t*>(tasvir_area_reader(s.handle));
        bool torn = false;
        uint64_t seq = 0;
        uint64_t writeNs = 0;
        if (!AllZero(hdr))
        {
            if (!HeaderValid(hdr) || hdr[2] == 0 || hdr[2] + hdr[3] > a.nlines)
            {
                torn = true;
            }
            else
            {
                seq = hdr[0];
                writeNs = hdr[1];
                const uint8_t* base = reinterpret_cast<const uint8_t*>(hdr);
                uint64_t end = hdr[2] + std::min(hdr[3], kCheckLines);
                for (uint64_t l = hdr[2]; l < end; l++)
                {
                    const uint64_t* w =
                        reinterpret_cast<const uint64_t*>(base + l * TASVIR_LINE_BYTES);
                    if (CheckLine(w, a.uid, l) != seq)
                    {
                        torn = true;
                    }
                }
            }
        }
        if (torn)
        {
            ns.torn++;
        }
        if (v < s.lastVersion || seq < s.lastSeq)
        {
            ns.nonMonotonic++;
        }
        uint64_t age = 0;
        if (v < latest && v + 1 < a.pubNs.size())
        {
            age = now - a.pubNs[v + 1];
        }
        bool fresh = seq > s.lastSeq;
        uint64_t writeSim = seq ? ToSim(writeNs, a.ownerNode) : 0;
        uint64_t lag = latest >= v ? latest - v : 0;
        s.lastVersion = std::max(s.lastVersion, v);
        s.lastSeq = std::max(s.lastSeq, seq);
        if (m_samples)
        {
            ns.rows++;
            uint64_t latestPub = latest < a.pubNs.size() ? a.pubNs[latest] : 0;
            char w2v[24] = "";
            if (fresh)
            {
                snprintf(w2v, sizeof(w2v), "%" PRIu64, now - writeSim);
            }
            fprintf(m_samples,
                    "%" PRIu64 ",%u,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d,%s\n",
                    now, m_apps[node]->GetTasvirId(), thread, a.id,
                    m_apps[a.ownerNode]->GetTasvirId(), v, pub, latest, latestPub, age, lag, w2v,
                    visible, seq, writeSim, torn ? 1 : 0, a.name.c_str());
        }
    }
    return 0;
}

/* ---- ground truth ---- */

void
TasvirBasicWorkload::AfterCall(uint32_t node)
{
    if (m_cfg.visibility)
    {
        for (Sub& s : m_nodes[node].subs)
        {
            if (!s.handle || m_areas[s.area].ownerNode == node)
            {
                continue;
            }
            uint64_t v = tasvir_area_version(s.handle);
            if (v == s.seenVersion)
            {
                continue;
            }
            s.seenVersion = v;
            struct tasvir_area_info info;
            uint64_t at = TasvirNodeApp::NowNs();
            if (tasvir_area_info(s.handle, &info) == 0 && info.version == v)
            {
                at = ToSim(info.visible_ns, node);
            }
            s.visible.emplace_back(v, at);
        }
    }
    for (uint32_t ai : m_nodes[node].owned)
    {
        Area& a = m_areas[ai];
        uint64_t v = tasvir_area_version(a.handle);
        while (a.pubNs.size() <= v)
        {
            // One call ends at most one epoch, so this records each version exactly once.
            a.pubNs.push_back(ToSim(tasvir_area_pub_ns(a.handle), node));
        }
    }
}

uint64_t
TasvirBasicWorkload::ToSim(uint64_t nodeNs, uint32_t node) const
{
    uint64_t off = m_apps[node]->GetClockOffsetNs();
    return nodeNs > off ? nodeNs - off : 0;
}

uint64_t
TasvirBasicWorkload::CountUnconverged() const
{
    uint64_t bad = 0;
    for (const NodeState& n : m_nodes)
    {
        for (const Sub& s : n.subs)
        {
            const Area& a = m_areas[s.area];
            if (!s.handle || tasvir_area_version(s.handle) != tasvir_area_version(a.handle) ||
                memcmp(tasvir_area_reader(s.handle),
                       tasvir_area_reader(a.handle),
                       tasvir_area_len(a.handle)) != 0)
            {
                bad++;
            }
        }
    }
    return bad;
}

uint64_t
TasvirBasicWorkload::CountUnattached() const
{
    uint64_t n = 0;
    for (const NodeState& ns : m_nodes)
    {
        for (const Sub& s : ns.subs)
        {
            n += s.handle ? 0 : 1;
        }
    }
    return n;
}

/* ---- outputs ---- */

bool
TasvirBasicWorkload::WriteVersions(const std::string& path, std::string* error) const
{
    FILE* f = fopen(path.c_str(), "w");
    if (!f)
    {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    fprintf(f, "area,owner,version,pub_ns,lines_changed,area_name\n");
    for (const Area& a : m_areas)
    {
        for (uint64_t v = 1; v < a.pubNs.size(); v++)
        {
            fprintf(f, "%u,%u,%" PRIu64 ",%" PRIu64 ",,%s\n", a.id,
                    m_apps[a.ownerNode]->GetTasvirId(), v, a.pubNs[v], a.name.c_str());
        }
    }
    bool bad = ferror(f) != 0;
    bad = fclose(f) != 0 || bad;
    if (bad)
    {
        *error = path + ": write failed";
    }
    return !bad;
}

bool
TasvirBasicWorkload::WriteVisibility(const std::string& path, std::string* error) const
{
    FILE* f = fopen(path.c_str(), "w");
    if (!f)
    {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    setvbuf(f, nullptr, _IOFBF, 1 << 20);
    fprintf(f, "area,owner,version,pub_ns,node,visible_ns,delay_ns,skipped\n");
    for (uint32_t n = 0; n < m_nodes.size(); n++)
    {
        for (const Sub& s : m_nodes[n].subs)
        {
            const Area& a = m_areas[s.area];
            if (a.ownerNode == n)
            {
                continue; // visibility is about remote subscribers
            }
            if (!s.handle)
            {
                continue; // never subscribed
            }
            // Versions published while subscribed; s.visible is in time order with
            // growing versions: walk it once.
            size_t k = 0;
            for (uint64_t v = 1; v < a.pubNs.size(); v++)
            {
                if (a.pubNs[v] < s.attachNs)
                {
                    continue;
                }
                while (k < s.visible.size() && s.visible[k].first < v)
                {
                    k++;
                }
                if (k < s.visible.size())
                {
                    uint64_t vis = s.visible[k].second;
                    fprintf(f, "%u,%u,%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRId64 ",%d\n",
                            a.id, m_apps[a.ownerNode]->GetTasvirId(), v, a.pubNs[v],
                            m_apps[n]->GetTasvirId(), vis, (int64_t)(vis - a.pubNs[v]),
                            s.visible[k].first != v ? 1 : 0);
                }
                else
                {
                    fprintf(f, "%u,%u,%" PRIu64 ",%" PRIu64 ",%u,,,0\n", a.id,
                            m_apps[a.ownerNode]->GetTasvirId(), v, a.pubNs[v],
                            m_apps[n]->GetTasvirId());
                }
            }
        }
    }
    bool bad = ferror(f) != 0;
    bad = fclose(f) != 0 || bad;
    if (bad)
    {
        *error = path + ": write failed";
    }
    return !bad;
}

bool
TasvirBasicWorkload::Write(const std::string& dir, std::string* error)
{
    if (m_cfg.visibility &&
        !(WriteVersions(dir + "/versions.csv", error) &&
          WriteVisibility(dir + "/visibility.csv", error)))
    {
        return false;
    }
    if (m_samples)
    {
        bool bad = fflush(m_samples) != 0 || ferror(m_samples);
        bad = fclose(m_samples) != 0 || bad;
        m_samples = nullptr;
        if (bad)
        {
            *error = m_cfg.samplesPath + ": write failed: " + std::strerror(errno);
            return false;
        }
    }
    return true;
}

bool
TasvirBasicWorkload::Verdict(std::string* message) const
{
    for (uint32_t i = 0; i < m_nodes.size(); i++)
    {
        if (m_nodes[i].torn || m_nodes[i].nonMonotonic)
        {
            *message = "node " + std::to_string(m_apps[i]->GetTasvirId()) + ": " +
                       std::to_string(m_nodes[i].torn) + " torn reads, " +
                       std::to_string(m_nodes[i].nonMonotonic) + " reads that went backwards";
            return false;
        }
    }
    *message = "ok";
    return true;
}

std::vector<std::string>
TasvirBasicWorkload::CounterNames() const
{
    return {"wl_writes",
            "wl_samples",
            "wl_sample_rows",
            "wl_torn",
            "wl_non_monotonic",
            "wl_subscriptions",
            "wl_attached",
            "wl_attach_tries"};
}

std::vector<uint64_t>
TasvirBasicWorkload::Counters(uint32_t node) const
{
    const NodeState& n = m_nodes[node];
    return {n.writes,
            n.samples,
            n.rows,
            n.torn,
            n.nonMonotonic,
            (uint64_t)n.subs.size(),
            n.attachOk,
            n.attachTries};
}

std::vector<std::string>
TasvirBasicWorkload::Files() const
{
    std::vector<std::string> f;
    if (!m_cfg.samplesPath.empty())
    {
        std::string p = m_cfg.samplesPath;
        size_t slash = p.find_last_of('/');
        f.push_back(slash == std::string::npos ? p : p.substr(slash + 1));
    }
    if (m_cfg.visibility)
    {
        f.push_back("versions.csv");
        f.push_back("visibility.csv");
    }
    return f;
}

uint64_t
TasvirBasicWorkload::TotalWrites() const
{
    uint64_t s = 0;
    for (const NodeState& n : m_nodes)
    {
        s += n.writes;
    }
    return s;
}

uint64_t
TasvirBasicWorkload::TotalSamples() const
{
    uint64_t s = 0;
    for (const NodeState& n : m_nodes)
    {
        s += n.samples;
    }
    return s;
}

uint64_t
TasvirBasicWorkload::TotalTorn() const
{
    uint64_t s = 0;
    for (const NodeState& n : m_nodes)
    {
        s += n.torn;
    }
    return s;
}

uint64_t
TasvirBasicWorkload::TotalNonMonotonic() const
{
    uint64_t s = 0;
    for (const NodeState& n : m_nodes)
    {
        s += n.nonMonotonic;
    }
    return s;
}

} // namespace ns3

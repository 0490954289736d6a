/*
 * tasvir-switch.cc — see tasvir-switch.h.
 */
#include "tasvir-switch.h"

#include "tasvir-net-device.h"

#include "ns3/abort.h"
#include "ns3/log.h"
#include "ns3/nstime.h"
#include "ns3/packet.h"

#include <algorithm>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirSwitch");
NS_OBJECT_ENSURE_REGISTERED(TasvirSwitch);

TypeId
TasvirSwitch::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::TasvirSwitch")
            .SetParent<Object>()
            .SetGroupName("Tasvir")
            .AddConstructor<TasvirSwitch>()
            .AddAttribute("ForwardingDelay",
                          "Latency of the switch pipeline, added to every forwarded frame "
                          "(applies to ports added after it is set).",
                          TimeValue(NanoSeconds(500)),
                          MakeTimeAccessor(&TasvirSwitch::m_forwardingDelay),
                          MakeTimeChecker(Time(0)));
    return tid;
}

TasvirSwitch::TasvirSwitch()
    : m_framesIn(0),
      m_copiesOut(0),
      m_noRoute(0)
{
}

uint64_t
TasvirSwitch::Key(const uint8_t* b)
{
    return (uint64_t)b[0] << 40 | (uint64_t)b[1] << 32 | (uint64_t)b[2] << 24 |
           (uint64_t)b[3] << 16 | (uint64_t)b[4] << 8 | (uint64_t)b[5];
}

uint64_t
TasvirSwitch::Key(Mac48Address mac)
{
    uint8_t b[6];
    mac.CopyTo(b);
    return Key(b);
}

uint32_t
TasvirSwitch::AddPort(Ptr<TasvirNetDevice> port)
{
    uint32_t idx = m_ports.size();
    m_ports.push_back(port);
    m_portIndex[PeekPointer(port)] = idx;
    port->SetAttribute("TxDelay", TimeValue(m_forwardingDelay));
    port->SetFrameHook(MakeCallback(&TasvirSwitch::Forward, this));
    return idx;
}

uint32_t
TasvirSwitch::GetNPorts() const
{
    return m_ports.size();
}

Ptr<TasvirNetDevice>
TasvirSwitch::GetPort(uint32_t i) const
{
    return i < m_ports.size() ? m_ports[i] : nullptr;
}

void
TasvirSwitch::AddStaticEntry(Mac48Address mac, uint32_t port)
{
    NS_ABORT_MSG_IF(port >= m_ports.size(), "TasvirSwitch: no port " << port);
    m_fdb[Key(mac)] = port;
}

void
TasvirSwitch::JoinGroup(Mac48Address group, uint32_t port)
{
    NS_ABORT_MSG_IF(port >= m_ports.size(), "TasvirSwitch: no port " << port);
    std::vector<uint32_t>& v = m_groups[Key(group)];
    auto it = std::lower_bound(v.begin(), v.end(), port);
    if (it == v.end() || *it != port)
    {
        v.insert(it, port);
    }
}

void
TasvirSwitch::LeaveGroup(Mac48Address group, uint32_t port)
{
    auto g = m_groups.find(Key(group));
    if (g == m_groups.end())
    {
        return;
    }
    std::vector<uint32_t>& v = g->second;
    v.erase(std::remove(v.begin(), v.end(), port), v.end());
    if (v.empty())
    {
        m_groups.erase(g);
    }
}

std::vector<uint32_t>
TasvirSwitch::GetGroupPorts(Mac48Address group) const
{
    auto g = m_groups.find(Key(group));
    return g == m_groups.end() ? std::vector<uint32_t>() : g->second;
}

void
TasvirSwitch::Forward(Ptr<TasvirNetDevice> in, Ptr<Packet> frame)
{
    m_framesIn++;
    uint32_t inPort = m_portIndex[PeekPointer(in)];
    uint8_t hdr[12];
    if (frame->CopyData(hdr, sizeof(hdr)) < sizeof(hdr))
    {
        m_noRoute++;
        return;
    }
    uint64_t dst = Key(hdr);
    uint64_t src = Key(hdr + 6);
    if (!(hdr[6] & 1))
    {
        m_fdb[src] = inPort; // learn (agrees with the static entries on a static testbed)
    }
    if (dst == 0xffffffffffffull)
    {
        for (uint32_t p = 0; p < m_ports.size(); p++)
        {
            if (p != inPort)
            {
                m_copiesOut++;
                m_ports[p]->SendFrame(frame);
            }
        }
        return;
    }
    if (hdr[0] & 1)
    {
        auto g = m_groups.find(dst);
        if (g == m_groups.end())
        {
            m_noRoute++;
            return;
        }
        for (uint32_t p : g->second)
        {
            if (p != inPort)
            {
                m_copiesOut++;
                m_ports[p]->SendFrame(frame);
            }
        }
        return;
    }
    auto e = m_fdb.find(dst);
    if (e == m_fdb.end() || e->second == inPort)
    {
        m_noRoute++;
        return;
    }
    m_copiesOut++;
    m_ports[e->second]->SendFrame(frame);
}

uint64_t
TasvirSwitch::GetFramesIn() const
{
    return m_framesIn;
}

uint64_t
TasvirSwitch::GetCopiesOut() const
{
    return m_copiesOut;
}

uint64_t
TasvirSwitch::GetNoRoute() const
{
    return m_noRoute;
}

void
TasvirSwitch::DoDispose()
{
    for (auto& p : m_ports)
    {
        p->SetFrameHook(MakeNullCallback<void, Ptr<TasvirNetDevice>, Ptr<Packet>>());
    }
    m_ports.clear();
    m_portIndex.clear();
    Object::DoDispose();
}

} // namespace ns3

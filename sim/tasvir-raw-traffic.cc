/*
 * tasvir-raw-traffic.cc — see tasvir-raw-traffic.h.
 *
 * Frame layout after the 14-byte Ethernet header (little-endian):
 *   u16 sender index, u8 destination kind (0 unicast, 1 group), u8 pad,
 *   u64 sequence number, u64 send time (ns); zero padding up to FrameBytes.
 */
#include "tasvir-raw-traffic.h"

#include "tasvir-net-device.h"
#include "tasvir-node-app.h"

#include "tasvir/backend.h"

#include "ns3/abort.h"
#include "ns3/boolean.h"
#include "ns3/double.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/random-variable-stream.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"

#include <cstring>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirRawTrafficApp");
NS_OBJECT_ENSURE_REGISTERED(TasvirRawTrafficApp);

static const uint32_t kHdr = 14;
static const uint32_t kBody = 20;

static void
Put64(uint8_t* p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
    {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t
Get64(const uint8_t* p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
    {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

TypeId
TasvirRawTrafficApp::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::TasvirRawTrafficApp")
            .SetParent<Application>()
            .SetGroupName("Tasvir")
            .AddConstructor<TasvirRawTrafficApp>()
            .AddAttribute("Rate",
                          "Frames per second sent by this node (0: receive only).",
                          DoubleValue(0),
                          MakeDoubleAccessor(&TasvirRawTrafficApp::m_rate),
                          MakeDoubleChecker<double>(0))
            .AddAttribute("FrameBytes",
                          "Frame length, Ethernet header included (at least 34).",
                          UintegerValue(1014),
                          MakeUintegerAccessor(&TasvirRawTrafficApp::m_frameBytes),
                          MakeUintegerChecker<uint32_t>(kHdr + kBody, 9614))
            .AddAttribute("Destination",
                          "unicast (a random other node per frame), mcast or bcast.",
                          StringValue("mcast"),
                          MakeStringAccessor(&TasvirRawTrafficApp::m_dest),
                          MakeStringChecker())
            .AddAttribute("Poisson",
                          "Exponential gaps between frames instead of constant ones.",
                          BooleanValue(false),
                          MakeBooleanAccessor(&TasvirRawTrafficApp::m_poisson),
                          MakeBooleanChecker());
    return tid;
}

TasvirRawTrafficApp::TasvirRawTrafficApp()
    : m_rate(0),
      m_frameBytes(1014),
      m_dest("mcast"),
      m_poisson(false),
      m_self(0),
      m_running(false),
      m_ctr()
{
    m_uni = CreateObject<UniformRandomVariable>();
    m_exp = CreateObject<ExponentialRandomVariable>();
}

Mac48Address
TasvirRawTrafficApp::GroupAddress()
{
    return Mac48Address("03:00:00:00:88:b5");
}

void
TasvirRawTrafficApp::Setup(Ptr<TasvirNodeApp> tasvir,
                           const std::vector<Mac48Address>& peers,
                           uint32_t self)
{
    NS_ABORT_MSG_IF(m_dest != "unicast" && m_dest != "mcast" && m_dest != "bcast",
                    "TasvirRawTrafficApp: Destination must be unicast, mcast or bcast, not '"
                        << m_dest << "'");
    NS_ABORT_MSG_IF(m_frameBytes > (uint32_t)tasvir->GetNic()->GetMtu() + kHdr,
                    "TasvirRawTrafficApp: FrameBytes " << m_frameBytes << " exceeds MTU + 14");
    m_tasvir = tasvir;
    m_peers = peers;
    m_self = self;
    m_txSeq.assign(peers.size(), 0);
    m_rxSeq.assign(peers.size(), 0);
    GetNode()->RegisterProtocolHandler(MakeCallback(&TasvirRawTrafficApp::Receive, this),
                                       kEtherType,
                                       tasvir->GetNic(),
                                       true);
    if (m_dest == "mcast")
    {
        // Through the backend, as the core joins its groups.
        const struct tasvir_backend* be = tasvir->GetBackend();
        uint8_t g[6];
        GroupAddress().CopyTo(g);
        int rc = be->ops->mcast(be->ctx, g, 1);
        NS_ABORT_MSG_IF(rc != 0, "TasvirRawTrafficApp: mcast join failed (" << rc << ")");
    }
}

int64_t
TasvirRawTrafficApp::AssignStreams(int64_t stream)
{
    m_uni->SetStream(stream);
    m_exp->SetStream(stream + 1);
    return 2;
}

const TasvirRawTrafficApp::Counters&
TasvirRawTrafficApp::GetCounters() const
{
    return m_ctr;
}

void
TasvirRawTrafficApp::StartApplication()
{
    m_running = true;
    if (m_rate > 0)
    {
        // First frame at a random phase within one gap.
        m_event = Simulator::Schedule(Seconds(m_uni->GetValue(0, 1.0 / m_rate)),
                                      &TasvirRawTrafficApp::SendOne,
                                      this);
    }
}

void
TasvirRawTrafficApp::StopApplication()
{
    m_running = false;
    m_event.Cancel();
}

void
TasvirRawTrafficApp::ScheduleNext()
{
    double gap = m_poisson ? m_exp->GetValue(1.0 / m_rate, 0) : 1.0 / m_rate;
    m_event = Simulator::Schedule(Seconds(gap), &TasvirRawTrafficApp::SendOne, this);
}

void
TasvirRawTrafficApp::SendOne()
{
    if (!m_running)
    {
        return;
    }
    ScheduleNext();
    const struct tasvir_backend* be = m_tasvir->GetBackend();
    struct tasvir_frame* f = nullptr;
    if (be->ops->frame_alloc(be->ctx, &f, 1) != 1)
    {
        m_ctr.txNoFrame++;
        return;
    }
    uint8_t* d = f->data;
    uint32_t idx = 0;
    uint8_t kind = 1;
    if (m_dest == "unicast")
    {
        if (m_peers.size() < 2)
        {
            be->ops->frame_free(be->ctx, &f, 1);
            return;
        }
        idx = m_uni->GetInteger(0, m_peers.size() - 2);
        idx += idx >= m_self ? 1 : 0;
        m_peers[idx].CopyTo(d);
        kind = 0;
    }
    else if (m_dest == "mcast")
    {
        GroupAddress().CopyTo(d);
    }
    else
    {
        Mac48Address::GetBroadcast().CopyTo(d);
    }
    m_peers[m_self].CopyTo(d + 6);
    d[12] = (uint8_t)(kEtherType >> 8);
    d[13] = (uint8_t)kEtherType;
    std::memset(d + kHdr, 0, m_frameBytes - kHdr);
    d[kHdr] = (uint8_t)m_self;
    d[kHdr + 1] = (uint8_t)(m_self >> 8);
    d[kHdr + 2] = kind;
    Put64(d + kHdr + 4, m_txSeq[idx]++);
    Put64(d + kHdr + 12, TasvirNodeApp::NowNs());
    f->len = m_frameBytes;
    if (be->ops->tx_burst(be->ctx, &f, 1) != 1)
    {
        m_ctr.txRefused++;
        m_txSeq[idx]--; // not sent: the receiver must not count a gap
        be->ops->frame_free(be->ctx, &f, 1);
        return;
    }
    m_ctr.txFrames++;
}

void
TasvirRawTrafficApp::Receive(Ptr<NetDevice> dev,
                             Ptr<const Packet> p,
                             uint16_t proto,
                             const Address& from,
                             const Address& to,
                             NetDevice::PacketType type)
{
    (void)dev;
    (void)proto;
    (void)from;
    (void)to;
    (void)type;
    uint8_t b[kBody];
    if (p->GetSize() < kBody || p->CopyData(b, kBody) != kBody)
    {
        return;
    }
    uint32_t src = b[0] | (uint32_t)b[1] << 8;
    if (src >= m_rxSeq.size())
    {
        return;
    }
    uint64_t seq = Get64(b + 4);
    uint64_t sent = Get64(b + 12);
    m_ctr.rxFrames++;
    m_ctr.rxBytes += p->GetSize();
    if (seq > m_rxSeq[src])
    {
        m_ctr.rxGaps += seq - m_rxSeq[src];
    }
    if (seq >= m_rxSeq[src])
    {
        m_rxSeq[src] = seq + 1;
    }
    uint64_t lat = TasvirNodeApp::NowNs() - sent;
    m_ctr.latencySumNs += lat;
    if (lat > m_ctr.latencyMaxNs)
    {
        m_ctr.latencyMaxNs = lat;
    }
}

void
TasvirRawTrafficApp::DoDispose()
{
    m_event.Cancel();
    m_tasvir = nullptr;
    m_uni = nullptr;
    m_exp = nullptr;
    Application::DoDispose();
}

} // namespace ns3

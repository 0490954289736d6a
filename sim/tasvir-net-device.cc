/*
 * tasvir-net-device.cc — see tasvir-net-device.h.
 *
 * Divided into: type registration, transmit path (SendFrom -> SendFrame: departure time,
 * queue admission, channel), receive path (Receive), and the NetDevice boilerplate.
 */
#include "tasvir-net-device.h"

#include "tasvir-channel.h"

#include "ns3/abort.h"
#include "ns3/error-model.h"
#include "ns3/ethernet-header.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/pointer.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <algorithm>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirNetDevice");
NS_OBJECT_ENSURE_REGISTERED(TasvirNetDevice);

/* Ethernet: 14-byte header, 60-byte minimum frame without FCS. */
static const uint32_t kEthHeaderBytes = 14;
static const uint32_t kEthMinFrameBytes = 60;

TypeId
TasvirNetDevice::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::TasvirNetDevice")
            .SetParent<NetDevice>()
            .SetGroupName("Tasvir")
            .AddConstructor<TasvirNetDevice>()
            .AddAttribute("Address",
                          "MAC address of this port.",
                          Mac48AddressValue(Mac48Address("02:00:00:00:ff:ff")),
                          MakeMac48AddressAccessor(&TasvirNetDevice::m_address),
                          MakeMac48AddressChecker())
            .AddAttribute("Mtu",
                          "Largest L2 payload in bytes (Ethernet header excluded).",
                          UintegerValue(1500),
                          MakeUintegerAccessor(&TasvirNetDevice::SetMtu, &TasvirNetDevice::GetMtu),
                          MakeUintegerChecker<uint16_t>(46, 9600))
            .AddAttribute("DataRate",
                          "Line rate of the transmitter.",
                          DataRateValue(DataRate("10Gbps")),
                          MakeDataRateAccessor(&TasvirNetDevice::m_rate),
                          MakeDataRateChecker())
            .AddAttribute("WireOverhead",
                          "Bytes on the wire per frame besides the frame itself and the "
                          "inter-frame gap: preamble + SFD (8) and FCS (4).",
                          UintegerValue(12),
                          MakeUintegerAccessor(&TasvirNetDevice::m_overheadBytes),
                          MakeUintegerChecker<uint32_t>(0, 1000))
            .AddAttribute("InterframeGap",
                          "Idle bytes the transmitter keeps after each frame.",
                          UintegerValue(12),
                          MakeUintegerAccessor(&TasvirNetDevice::m_ifgBytes),
                          MakeUintegerChecker<uint32_t>(0, 1000))
            .AddAttribute("TxDelay",
                          "Constant added to every departure (a switch's forwarding latency).",
                          TimeValue(Time(0)),
                          MakeTimeAccessor(&TasvirNetDevice::m_txDelay),
                          MakeTimeChecker(Time(0)))
            .AddAttribute("QueueSize",
                          "Output queue: frames (\"100p\") or bytes (\"150000B\") that may "
                          "wait for the transmitter; more are dropped.",
                          QueueSizeValue(QueueSize("1000p")),
                          MakeQueueSizeAccessor(&TasvirNetDevice::m_queueSize),
                          MakeQueueSizeChecker())
            .AddAttribute("ReceiveErrorModel",
                          "Error model deciding which arriving frames are lost.",
                          PointerValue(),
                          MakePointerAccessor(&TasvirNetDevice::m_rxErrorModel),
                          MakePointerChecker<ErrorModel>())
            .AddTraceSource("MacTx",
                            "A packet was accepted for transmission (no header).",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_macTxTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("MacTxDrop",
                            "A frame was dropped before transmission (queue full, too big).",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_macTxDropTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("MacRx",
                            "A packet was passed up (header removed).",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_macRxTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("MacRxDrop",
                            "An arriving frame was not addressed to this port.",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_macRxDropTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PhyRxDrop",
                            "An arriving frame was lost (receive error model).",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_phyRxDropTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("Sniffer",
                            "Every frame (Ethernet header included) that arrives intact.",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_snifferTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("TxStart",
                            "A frame (Ethernet header included) was admitted; it starts on "
                            "the wire at the given (possibly future) time.",
                            MakeTraceSourceAccessor(&TasvirNetDevice::m_txStartTrace),
                            "ns3::TasvirNetDevice::TxStartTracedCallback");
    return tid;
}

TasvirNetDevice::TasvirNetDevice()
    : m_ifIndex(0),
      m_mtu(1500),
      m_overheadBytes(12),
      m_ifgBytes(12),
      m_queueSize("1000p"),
      m_waitingBytes(0),
      m_txFreeAt(Time(0)),
      m_txFrames(0),
      m_txBytes(0),
      m_queueDrops(0),
      m_rxFrames(0),
      m_rxErrorDrops(0),
      m_rxFilterDrops(0)
{
    NS_LOG_FUNCTION(this);
}

void
TasvirNetDevice::Attach(Ptr<TasvirChannel> channel)
{
    m_channel = channel;
    channel->Attach(this);
}

void
TasvirNetDevice::SetQueueSize(QueueSize size)
{
    m_queueSize = size;
}

QueueSize
TasvirNetDevice::GetQueueSize() const
{
    return m_queueSize;
}

void
TasvirNetDevice::SetReceiveErrorModel(Ptr<ErrorModel> em)
{
    m_rxErrorModel = em;
}

void
TasvirNetDevice::SetFrameHook(FrameHook hook)
{
    m_frameHook = hook;
}

void
TasvirNetDevice::JoinGroup(Mac48Address group)
{
    if (std::find(m_groups.begin(), m_groups.end(), group) == m_groups.end())
    {
        m_groups.push_back(group);
    }
}

void
TasvirNetDevice::LeaveGroup(Mac48Address group)
{
    m_groups.erase(std::remove(m_groups.begin(), m_groups.end(), group), m_groups.end());
}

Time
TasvirNetDevice::WireTime(uint32_t bytes) const
{
    return m_rate.CalculateBytesTxTime(std::max(bytes, kEthMinFrameBytes) + m_overheadBytes);
}

/* ---- transmit ---- */

bool
TasvirNetDevice::SendFromAt(Ptr<Packet> packet,
                            const Address& source,
                            const Address& dest,
                            uint16_t protocolNumber,
                            Time notBefore)
{
    if (packet->GetSize() > m_mtu)
    {
        NS_LOG_WARN("payload of " << packet->GetSize() << " B exceeds MTU " << m_mtu);
        m_macTxDropTrace(packet);
        return false;
    }
    m_macTxTrace(packet);
    uint32_t size = packet->GetSize();
    if (size + kEthHeaderBytes < kEthMinFrameBytes)
    {
        // A zero-filled packet: Packet::AddPaddingAtEnd leaves the new bytes uninitialised.
        packet->AddAtEnd(Create<Packet>(kEthMinFrameBytes - kEthHeaderBytes - size));
    }
    EthernetHeader hdr(false);
    hdr.SetSource(Mac48Address::ConvertFrom(source));
    hdr.SetDestination(Mac48Address::ConvertFrom(dest));
    hdr.SetLengthType(protocolNumber);
    packet->AddHeader(hdr);
    return SendFrame(packet, notBefore);
}

bool
TasvirNetDevice::SendFrom(Ptr<Packet> packet,
                          const Address& source,
                          const Address& dest,
                          uint16_t protocolNumber)
{
    return SendFromAt(packet, source, dest, protocolNumber, Time(0));
}

bool
TasvirNetDevice::Send(Ptr<Packet> packet, const Address& dest, uint16_t protocolNumber)
{
    return SendFromAt(packet, m_address, dest, protocolNumber, Time(0));
}

void
TasvirNetDevice::Prune(int64_t nowTs)
{
    // Frames whose start time has come are on the wire, no longer in the queue.
    while (!m_waiting.empty() && m_waiting.front().first <= nowTs)
    {
        m_waitingBytes -= m_waiting.front().second;
        m_waiting.pop_front();
    }
}

bool
TasvirNetDevice::HasRoom(uint32_t frames, uint32_t bytesEach)
{
    Prune(Simulator::Now().GetTimeStep());
    if (m_queueSize.GetUnit() == QueueSizeUnit::PACKETS)
    {
        return m_waiting.size() + frames <= m_queueSize.GetValue();
    }
    return m_waitingBytes + (uint64_t)frames * bytesEach <= m_queueSize.GetValue();
}

uint32_t
TasvirNetDevice::GetWaitingFrames()
{
    Prune(Simulator::Now().GetTimeStep());
    return m_waiting.size();
}

Time
TasvirNetDevice::WhenWaitingAtMost(uint32_t frames)
{
    Prune(Simulator::Now().GetTimeStep());
    if (m_waiting.size() <= frames)
    {
        return Simulator::Now();
    }
    // The frame at this index is the last to leave before only `frames` remain.
    return TimeStep(m_waiting[m_waiting.size() - frames - 1].first);
}

bool
TasvirNetDevice::SendFrame(Ptr<Packet> frame, Time notBefore)
{
    NS_ABORT_MSG_IF(!m_channel, "TasvirNetDevice: send on a port that is not attached");
    Time now = Simulator::Now();
    Time start = std::max(now, std::max(notBefore, m_txFreeAt));
    uint32_t size = frame->GetSize();
    if (start > now)
    {
        // It has to wait: admit it only if the queue has room.
        if (!HasRoom(1, size))
        {
            m_queueDrops++;
            m_macTxDropTrace(frame);
            return false;
        }
        m_waiting.emplace_back(start.GetTimeStep(), size);
        m_waitingBytes += size;
    }
    uint32_t bytes = std::max(size, kEthMinFrameBytes);
    Time lastBit = m_rate.CalculateBytesTxTime(bytes + m_overheadBytes);
    m_txFreeAt = start + m_rate.CalculateBytesTxTime(bytes + m_overheadBytes + m_ifgBytes);
    m_txFrames++;
    m_txBytes += size;
    m_txStartTrace(frame, start);
    m_channel->Transmit(frame, this, start - now + lastBit + m_txDelay);
    return true;
}

/* ---- receive ---- */

void
TasvirNetDevice::Receive(Ptr<Packet> frame)
{
    if (m_rxErrorModel && m_rxErrorModel->IsCorrupt(frame))
    {
        m_rxErrorDrops++;
        m_phyRxDropTrace(frame);
        return;
    }
    m_rxFrames++;
    m_snifferTrace(frame);
    if (!m_frameHook.IsNull())
    {
        m_frameHook(this, frame);
        return;
    }
    // The frame may be shared with other receivers: strip the header from a copy.
    Ptr<Packet> p = frame->Copy();
    EthernetHeader hdr(false);
    p->RemoveHeader(hdr);
    Mac48Address dst = hdr.GetDestination();
    PacketType type;
    if (dst == m_address)
    {
        type = PACKET_HOST;
    }
    else if (dst.IsBroadcast())
    {
        type = PACKET_BROADCAST;
    }
    else if (dst.IsGroup() && std::find(m_groups.begin(), m_groups.end(), dst) != m_groups.end())
    {
        type = PACKET_MULTICAST;
    }
    else
    {
        m_rxFilterDrops++;
        m_macRxDropTrace(frame);
        return;
    }
    m_macRxTrace(p);
    if (!m_promiscCallback.IsNull())
    {
        m_promiscCallback(this, p, hdr.GetLengthType(), hdr.GetSource(), dst, type);
    }
    if (!m_rxCallback.IsNull())
    {
        m_rxCallback(this, p, hdr.GetLengthType(), hdr.GetSource());
    }
}

/* ---- counters ---- */

uint64_t
TasvirNetDevice::GetTxFrames() const
{
    return m_txFrames;
}

uint64_t
TasvirNetDevice::GetTxBytes() const
{
    return m_txBytes;
}

uint64_t
TasvirNetDevice::GetQueueDrops() const
{
    return m_queueDrops;
}

uint64_t
TasvirNetDevice::GetRxFrames() const
{
    return m_rxFrames;
}

uint64_t
TasvirNetDevice::GetRxErrorDrops() const
{
    return m_rxErrorDrops;
}

uint64_t
TasvirNetDevice::GetRxFilterDrops() const
{
    return m_rxFilterDrops;
}

/* ---- NetDevice boilerplate ---- */

void
TasvirNetDevice::SetIfIndex(const uint32_t index)
{
    m_ifIndex = index;
}

uint32_t
TasvirNetDevice::GetIfIndex() const
{
    return m_ifIndex;
}

Ptr<Channel>
TasvirNetDevice::GetChannel() const
{
    return m_channel;
}

void
TasvirNetDevice::SetAddress(Address address)
{
    m_address = Mac48Address::ConvertFrom(address);
}

Address
TasvirNetDevice::GetAddress() const
{
    return m_address;
}

bool
TasvirNetDevice::SetMtu(const uint16_t mtu)
{
    m_mtu = mtu;
    return true;
}

uint16_t
TasvirNetDevice::GetMtu() const
{
    return m_mtu;
}

bool
TasvirNetDevice::IsLinkUp() const
{
    return m_channel != nullptr;
}

void
TasvirNetDevice::AddLinkChangeCallback(Callback<void> callback)
{
    m_linkChange.ConnectWithoutContext(callback);
}

bool
TasvirNetDevice::IsBroadcast() const
{
    return true;
}

Address
TasvirNetDevice::GetBroadcast() const
{
    return Mac48Address::GetBroadcast();
}

bool
TasvirNetDevice::IsMulticast() const
{
    return true;
}

Address
TasvirNetDevice::GetMulticast(Ipv4Address multicastGroup) const
{
    return Mac48Address::GetMulticast(multicastGroup);
}

Address
TasvirNetDevice::GetMulticast(Ipv6Address addr) const
{
    return Mac48Address::GetMulticast(addr);
}

bool
TasvirNetDevice::IsBridge() const
{
    return false;
}

bool
TasvirNetDevice::IsPointToPoint() const
{
    return false;
}

Ptr<Node>
TasvirNetDevice::GetNode() const
{
    return m_node;
}

void
TasvirNetDevice::SetNode(Ptr<Node> node)
{
    m_node = node;
}

bool
TasvirNetDevice::NeedsArp() const
{
    return false;
}

void
TasvirNetDevice::SetReceiveCallback(NetDevice::ReceiveCallback cb)
{
    m_rxCallback = cb;
}

void
TasvirNetDevice::SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb)
{
    m_promiscCallback = cb;
}

bool
TasvirNetDevice::SupportsSendFrom() const
{
    return true;
}

void
TasvirNetDevice::DoDispose()
{
    m_node = nullptr;
    m_channel = nullptr;
    m_waiting.clear();
    m_rxErrorModel = nullptr;
    m_frameHook = MakeNullCallback<void, Ptr<TasvirNetDevice>, Ptr<Packet>>();
    m_rxCallback = MakeNullCallback<bool, Ptr<NetDevice>, Ptr<const Packet>, uint16_t, const Address&>();
    m_promiscCallback = MakeNullCallback<bool,
                                         Ptr<NetDevice>,
                                         Ptr<const Packet>,
                                         uint16_t,
                                         const Address&,
                                         const Address&,
                                         PacketType>();
    NetDevice::DoDispose();
}

} // namespace ns3

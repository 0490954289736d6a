/*
 * tasvir-channel.cc — see tasvir-channel.h.
 */
#include "tasvir-channel.h"

#include "tasvir-net-device.h"

#include "ns3/abort.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("TasvirChannel");
NS_OBJECT_ENSURE_REGISTERED(TasvirChannel);

TypeId
TasvirChannel::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::TasvirChannel")
            .SetParent<Channel>()
            .SetGroupName("Tasvir")
            .AddConstructor<TasvirChannel>()
            .AddAttribute("Delay",
                          "One-way propagation delay of the link.",
                          TimeValue(NanoSeconds(500)),
                          MakeTimeAccessor(&TasvirChannel::m_delay),
                          MakeTimeChecker(Time(0)));
    return tid;
}

TasvirChannel::TasvirChannel()
{
    NS_LOG_FUNCTION(this);
}

void
TasvirChannel::Attach(Ptr<TasvirNetDevice> device)
{
    NS_ABORT_MSG_IF(m_dev[0] && m_dev[1], "TasvirChannel: a link connects exactly two devices");
    (m_dev[0] ? m_dev[1] : m_dev[0]) = device;
}

void
TasvirChannel::Transmit(Ptr<Packet> frame, Ptr<TasvirNetDevice> sender, Time txTime)
{
    Ptr<TasvirNetDevice> peer = sender == m_dev[0] ? m_dev[1] : m_dev[0];
    if (!peer)
    {
        return; // an unconnected end: the frame falls off the wire
    }
    Simulator::ScheduleWithContext(peer->GetNode()->GetId(),
                                   txTime + m_delay,
                                   &TasvirNetDevice::Receive,
                                   peer,
                                   frame);
}

Time
TasvirChannel::GetDelay() const
{
    return m_delay;
}

std::size_t
TasvirChannel::GetNDevices() const
{
    return (m_dev[0] ? 1 : 0) + (m_dev[1] ? 1 : 0);
}

Ptr<NetDevice>
TasvirChannel::GetDevice(std::size_t i) const
{
    return i < 2 ? m_dev[i] : nullptr;
}

void
TasvirChannel::DoDispose()
{
    m_dev[0] = nullptr;
    m_dev[1] = nullptr;
    Channel::DoDispose();
}

} // namespace ns3

/*
 * tasvir-star-helper.cc — see tasvir-star-helper.h.
 */
#include "tasvir-star-helper.h"

#include "tasvir-channel.h"
#include "tasvir-net-device.h"
#include "tasvir-switch.h"

#include "ns3/abort.h"
#include "ns3/error-model.h"
#include "ns3/node.h"
#include "ns3/simple-ref-count.h"
#include "ns3/simulator.h"
#include "ns3/trace-helper.h"

#include <deque>

namespace ns3
{

TasvirStarHelper::TasvirStarHelper()
    : m_switchQueue("1000p"),
      m_hostQueue("1000p"),
      m_lossRate(0)
{
    m_deviceFactory.SetTypeId("ns3::TasvirNetDevice");
    m_channelFactory.SetTypeId("ns3::TasvirChannel");
    m_switchFactory.SetTypeId("ns3::TasvirSwitch");
}

void
TasvirStarHelper::SetDeviceAttribute(std::string name, const AttributeValue& value)
{
    m_deviceFactory.Set(name, value);
}

void
TasvirStarHelper::SetChannelAttribute(std::string name, const AttributeValue& value)
{
    m_channelFactory.Set(name, value);
}

void
TasvirStarHelper::SetSwitchAttribute(std::string name, const AttributeValue& value)
{
    m_switchFactory.Set(name, value);
}

void
TasvirStarHelper::SetSwitchQueueSize(QueueSize size)
{
    m_switchQueue = size;
}

void
TasvirStarHelper::SetHostQueueSize(QueueSize size)
{
    m_hostQueue = size;
}

void
TasvirStarHelper::SetLossRate(double rate)
{
    NS_ABORT_MSG_IF(!(rate >= 0 && rate <= 1), "TasvirStarHelper: loss rate " << rate
                                                                            << " outside [0, 1]");
    m_lossRate = rate;
}

Ptr<TasvirNetDevice>
TasvirStarHelper::MakeDevice(Mac48Address mac, QueueSize queue)
{
    Ptr<TasvirNetDevice> dev = m_deviceFactory.Create<TasvirNetDevice>();
    dev->SetAddress(mac);
    dev->SetQueueSize(queue);
    if (m_lossRate > 0)
    {
        Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
        em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
        em->SetRate(m_lossRate);
        dev->SetReceiveErrorModel(em);
        m_errorModels.push_back(em);
    }
    return dev;
}

NetDeviceContainer
TasvirStarHelper::Install(const NodeContainer& hosts, const std::vector<Mac48Address>& macs)
{
    NS_ABORT_MSG_IF(macs.size() != hosts.GetN(), "TasvirStarHelper: one MAC per host needed");
    NS_ABORT_MSG_IF(m_switch, "TasvirStarHelper: Install may be called once");
    m_switchNode = CreateObject<Node>();
    m_switch = m_switchFactory.Create<TasvirSwitch>();
    m_switchNode->AggregateObject(m_switch);
    NetDeviceContainer hostDevs;
    for (uint32_t i = 0; i < hosts.GetN(); i++)
    {
        Ptr<TasvirChannel> ch = m_channelFactory.Create<TasvirChannel>();
        Ptr<TasvirNetDevice> h = MakeDevice(macs[i], m_hostQueue);
        // Switch ports carry a locally administered address of their own (never a
        // destination: the switch is transparent).
        uint8_t pm[6] = {0x06, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
        Mac48Address portMac;
        portMac.CopyFrom(pm);
        Ptr<TasvirNetDevice> s = MakeDevice(portMac, m_switchQueue);
        hosts.Get(i)->AddDevice(h);
        m_switchNode->AddDevice(s);
        h->Attach(ch);
        s->Attach(ch);
        uint32_t port = m_switch->AddPort(s);
        m_switch->AddStaticEntry(macs[i], port);
        hostDevs.Add(h);
        m_ports.Add(s);
    }
    return hostDevs;
}

Ptr<TasvirSwitch>
TasvirStarHelper::GetSwitch() const
{
    return m_switch;
}

Ptr<Node>
TasvirStarHelper::GetSwitchNode() const
{
    return m_switchNode;
}

const NetDeviceContainer&
TasvirStarHelper::GetSwitchPorts() const
{
    return m_ports;
}

int64_t
TasvirStarHelper::AssignStreams(int64_t stream)
{
    int64_t used = 0;
    for (auto& em : m_errorModels)
    {
        used += em->AssignStreams(stream + used);
    }
    return used;
}

void
TasvirStarHelper::ChangeLossRate(double rate)
{
    for (auto& em : m_errorModels)
    {
        em->SetRate(rate);
    }
}

namespace
{

/* One pcap file per device, records in time order: frames received are written when they
 * arrive; frames sent are known when admitted, with a start time that may lie in the
 * future, so they wait here until nothing earlier can still come. */
class PcapMerger : public SimpleRefCount<PcapMerger>
{
  public:
    explicit PcapMerger(Ptr<PcapFileWrapper> file)
        : m_file(file)
    {
    }

    ~PcapMerger()
    {
        Flush(Time::Max());
    }

    void Tx(Ptr<const Packet> frame, Time start)
    {
        Flush(Simulator::Now());
        m_pending.emplace_back(start, frame);
    }

    void Rx(Ptr<const Packet> frame)
    {
        Flush(Simulator::Now());
        m_file->Write(Simulator::Now(), frame);
    }

  private:
    void Flush(Time upTo)
    {
        while (!m_pending.empty() && m_pending.front().first <= upTo)
        {
            m_file->Write(m_pending.front().first, m_pending.front().second);
            m_pending.pop_front();
        }
    }

    Ptr<PcapFileWrapper> m_file;
    std::deque<std::pair<Time, Ptr<const Packet>>> m_pending;
};

} // namespace

void
TasvirStarHelper::EnablePcap(const std::string& path, Ptr<TasvirNetDevice> device)
{
    PcapHelper pcap;
    Ptr<PcapFileWrapper> file = pcap.CreateFile(path, std::ios::out, PcapHelper::DLT_EN10MB);
    Ptr<PcapMerger> m = Create<PcapMerger>(file);
    device->TraceConnectWithoutContext("TxStart", MakeCallback(&PcapMerger::Tx, m));
    device->TraceConnectWithoutContext("Sniffer", MakeCallback(&PcapMerger::Rx, m));
}

} // namespace ns3

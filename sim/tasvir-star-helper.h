/*
 * tasvir-star-helper.h — builds the testbed network: N hosts, one TasvirSwitch, one
 * full-duplex TasvirChannel per host, and optional pcap capture of host ports.
 *
 * Every device (host NICs and switch ports) gets the device attributes (DataRate, Mtu,
 * ...), its own output queue (host NIC and switch port sizes are set separately) and, if
 * a loss rate is set, its own RateErrorModel on receive: a frame crossing host -> switch ->
 * host meets two independent loss draws, and a multicast frame lost on the sender's uplink
 * is lost for every receiver, as on real links.
 */
#ifndef TASVIR_STAR_HELPER_H
#define TASVIR_STAR_HELPER_H

#include "ns3/attribute.h"
#include "ns3/error-model.h"
#include "ns3/mac48-address.h"
#include "ns3/net-device-container.h"
#include "ns3/node-container.h"
#include "ns3/object-factory.h"
#include "ns3/queue-size.h"

#include <string>
#include <vector>

namespace ns3
{

class TasvirSwitch;
class TasvirNetDevice;

class TasvirStarHelper
{
  public:
    TasvirStarHelper();

    /** Attribute of every TasvirNetDevice (e.g. "DataRate", "Mtu"). */
    void SetDeviceAttribute(std::string name, const AttributeValue& value);
    /** Attribute of every TasvirChannel (e.g. "Delay"). */
    void SetChannelAttribute(std::string name, const AttributeValue& value);
    /** Attribute of the TasvirSwitch (e.g. "ForwardingDelay"). */
    void SetSwitchAttribute(std::string name, const AttributeValue& value);
    /** Output queue sizes of switch ports and of host NICs (drop-tail). */
    void SetSwitchQueueSize(QueueSize size);
    void SetHostQueueSize(QueueSize size);
    /** Probability that a frame is lost on arrival at any device (0 disables). */
    void SetLossRate(double rate);

    /**
     * Build the star.  hosts[i] gets MAC macs[i] and is connected to switch port i.
     * Returns the host devices (one per host, in order).
     */
    NetDeviceContainer Install(const NodeContainer& hosts, const std::vector<Mac48Address>& macs);

    Ptr<TasvirSwitch> GetSwitch() const;
    Ptr<Node> GetSwitchNode() const;
    /** Switch port devices, port i towards hosts[i]. */
    const NetDeviceContainer& GetSwitchPorts() const;

    /** Fix the random streams of the error models; returns how many were used. */
    int64_t AssignStreams(int64_t stream);

    /** Switch every error model's rate (e.g. to stop loss mid-run). */
    void ChangeLossRate(double rate);

    /** Capture every frame a device sends (at the time it starts on the wire) or receives
     *  intact (when it arrives) into the pcap file `path`, in time order (DLT_EN10MB:
     *  tcpdump/tshark decode the Ethernet header).  The file is complete once the device is
     *  disposed (Simulator::Destroy). */
    static void EnablePcap(const std::string& path, Ptr<TasvirNetDevice> device);

  private:
    Ptr<TasvirNetDevice> MakeDevice(Mac48Address mac, QueueSize queue);

    ObjectFactory m_deviceFactory;
    ObjectFactory m_channelFactory;
    ObjectFactory m_switchFactory;
    QueueSize m_switchQueue;
    QueueSize m_hostQueue;
    double m_lossRate;
    Ptr<Node> m_switchNode;
    Ptr<TasvirSwitch> m_switch;
    NetDeviceContainer m_ports;
    std::vector<Ptr<RateErrorModel>> m_errorModels;
};

} // namespace ns3

#endif /* TASVIR_STAR_HELPER_H */

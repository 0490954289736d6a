/*
 * tasvir-switch.h — an output-queued Ethernet switch with static multicast membership.
 *
 * The switch is an Object on its own ns-3 Node whose ports are TasvirNetDevices, one per
 * full-duplex link to a host.  A frame that fully arrived on a port (store-and-forward) is
 * forwarded at once to its output port(s), where it waits in that port's output queue and is
 * serialized at the port's rate; ForwardingDelay (the pipeline latency of a real switch)
 * shifts every departure by a constant, which leaves queueing and drop decisions exactly as
 * if the delay were applied before the queue.
 *
 * Forwarding: unicast by a MAC table (static entries from the helper, plus learning of
 * source addresses); broadcast to every port but the ingress; multicast only to the ports
 * whose host joined the group (static membership, like IGMP snooping: hosts join through
 * the backend's mcast op).  Frames for a group without members and unknown unicast
 * destinations are dropped and counted (a testbed with static tables has no unknown hosts).
 * One frame object is shared by every output port: ports never modify frames.
 */
#ifndef TASVIR_SWITCH_H
#define TASVIR_SWITCH_H

#include "ns3/mac48-address.h"
#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/ptr.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ns3
{

class Packet;
class TasvirNetDevice;

class TasvirSwitch : public Object
{
  public:
    static TypeId GetTypeId();
    TasvirSwitch();

    /** Add a port (already attached to its link); returns its index. */
    uint32_t AddPort(Ptr<TasvirNetDevice> port);
    uint32_t GetNPorts() const;
    Ptr<TasvirNetDevice> GetPort(uint32_t i) const;

    /** Static MAC table entry: frames for `mac` leave through port `port`. */
    void AddStaticEntry(Mac48Address mac, uint32_t port);
    /** Static multicast membership of a port (idempotent). */
    void JoinGroup(Mac48Address group, uint32_t port);
    void LeaveGroup(Mac48Address group, uint32_t port);
    /** Ports that receive frames for `group`, in increasing order. */
    std::vector<uint32_t> GetGroupPorts(Mac48Address group) const;

    /** Counters: frames received, copies sent to output ports (including those the output
     *  queue then dropped), frames dropped for lack of a destination. */
    uint64_t GetFramesIn() const;
    uint64_t GetCopiesOut() const;
    uint64_t GetNoRoute() const;

  protected:
    void DoDispose() override;

  private:
    void Forward(Ptr<TasvirNetDevice> in, Ptr<Packet> frame);
    static uint64_t Key(Mac48Address mac);
    static uint64_t Key(const uint8_t* b);

    Time m_forwardingDelay;
    std::vector<Ptr<TasvirNetDevice>> m_ports;
    std::unordered_map<const TasvirNetDevice*, uint32_t> m_portIndex;
    std::unordered_map<uint64_t, uint32_t> m_fdb;
    std::unordered_map<uint64_t, std::vector<uint32_t>> m_groups;
    uint64_t m_framesIn;
    uint64_t m_copiesOut;
    uint64_t m_noRoute;
};

} // namespace ns3

#endif /* TASVIR_SWITCH_H */

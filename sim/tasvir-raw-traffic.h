/*
 * tasvir-raw-traffic.h — synthetic raw-frame load through a node's Tasvir backend.
 *
 * Sends frames at a configured rate through the *same backend operations the core uses*
 * (frame_alloc, tx_burst, mcast on the node's tasvir_sim_port), so the whole path — C-side
 * pool, host transmit, NIC queue, links, switch, receive — carries load before external
 * synchronization exists, and keeps doing so as background traffic after.  Frames use
 * EtherType 0x88B5 (IEEE 802 local experimental 2), so they never reach the core's receive
 * queue; a Node protocol handler counts them.
 *
 * Destinations: "unicast" (a random other node per frame), "mcast" (a group every node
 * joins through the backend's mcast op) or "bcast".  Each frame carries the sender id, a
 * sequence number per (sender, destination) and the send time, so receivers count frames,
 * gaps (losses) and one-way latency.
 */
#ifndef TASVIR_RAW_TRAFFIC_H
#define TASVIR_RAW_TRAFFIC_H

#include "ns3/application.h"
#include "ns3/event-id.h"
#include "ns3/mac48-address.h"
#include "ns3/net-device.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ns3
{

class Packet;
class TasvirNodeApp;
class UniformRandomVariable;
class ExponentialRandomVariable;

class TasvirRawTrafficApp : public Application
{
  public:
    static TypeId GetTypeId();
    TasvirRawTrafficApp();

    static const uint16_t kEtherType = 0x88B5;
    /** The group MAC of "mcast" traffic. */
    static Mac48Address GroupAddress();

    /** Send through `tasvir`'s backend; peers[i] is the MAC of the node with index i,
     *  `self` is this node's index.  Call at time 0 after TasvirNodeApp::Setup. */
    void Setup(Ptr<TasvirNodeApp> tasvir, const std::vector<Mac48Address>& peers, uint32_t self);
    int64_t AssignStreams(int64_t stream);

    struct Counters
    {
        uint64_t txFrames;   //!< frames accepted by tx_burst
        uint64_t txRefused;  //!< tx_burst took none (NIC queue full)
        uint64_t txNoFrame;  //!< frame_alloc gave none
        uint64_t rxFrames;   //!< frames received
        uint64_t rxBytes;    //!< bytes received (payload)
        uint64_t rxGaps;     //!< frames missing by sequence number
        uint64_t latencySumNs;
        uint64_t latencyMaxNs;
    };
    const Counters& GetCounters() const;

  protected:
    void DoDispose() override;

  private:
    void StartApplication() override;
    void StopApplication() override;
    void SendOne();
    void ScheduleNext();
    void Receive(Ptr<NetDevice> dev,
                 Ptr<const Packet> p,
                 uint16_t proto,
                 const Address& from,
                 const Address& to,
                 NetDevice::PacketType type);

    double m_rate;
    uint32_t m_frameBytes;
    std::string m_dest;
    bool m_poisson;

    Ptr<TasvirNodeApp> m_tasvir;
    std::vector<Mac48Address> m_peers;
    uint32_t m_self;
    std::vector<uint64_t> m_txSeq; //!< next seq per destination (index = node, or 0 for groups)
    std::vector<uint64_t> m_rxSeq; //!< next expected seq per source
    Ptr<UniformRandomVariable> m_uni;
    Ptr<ExponentialRandomVariable> m_exp;
    EventId m_event;
    bool m_running;
    Counters m_ctr;
};

} // namespace ns3

#endif /* TASVIR_RAW_TRAFFIC_H */

/*
 * tasvir-net-device.h — a full-duplex Ethernet port: the NIC of a simulated host and each
 * port of the simulated switch.
 *
 * Transmit side: Send/SendFrom add a DIX Ethernet header (and pad to the 60-byte minimum
 * with zeros, as a NIC does), then the frame is serialized at DataRate, one frame at a
 * time, with the Ethernet wire overhead counted: preamble + SFD + FCS (WireOverhead, 12 B)
 * in the time to the last bit, and the inter-frame gap (InterframeGap, 12 B) before the
 * next frame may start.  The receiver acts on a frame when its last bit has arrived
 * (store-and-forward).  TxDelay, if set, shifts every departure by a constant (the switch
 * uses it for its forwarding latency).
 *
 * The output queue is a FIFO computed at enqueue time: a frame handed over at time t (and
 * ready at `notBefore`, for frames whose building takes modelled CPU time) starts at
 * max(t, notBefore, end of the previous frame + gap), which is exactly when a drop-tail
 * FIFO served at line rate would start it.  Frames waiting to start count against
 * QueueSize (frames or bytes); a frame that finds the queue full is dropped and counted.
 * Computing departures up front costs one event per frame and hop (its arrival) instead
 * of one more per queued frame.
 *
 * Receive side: ReceiveErrorModel may drop the frame (link loss).  A port with a frame
 * hook (the switch) hands the whole frame to the hook.  Otherwise the device filters on the
 * destination MAC (its own address, broadcast, or a multicast group it joined), strips the
 * header and passes the payload up through the promiscuous and normal receive callbacks,
 * which is how Node protocol handlers (EtherType 0x88B6) get it.
 *
 * Frames are shared, never modified after they are handed to the channel: a receiver that
 * needs to change one (strip the header) works on a Copy().
 */
#ifndef TASVIR_NET_DEVICE_H
#define TASVIR_NET_DEVICE_H

#include "ns3/data-rate.h"
#include "ns3/mac48-address.h"
#include "ns3/net-device.h"
#include "ns3/nstime.h"
#include "ns3/queue-size.h"
#include "ns3/traced-callback.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace ns3
{

class ErrorModel;
class TasvirChannel;

class TasvirNetDevice : public NetDevice
{
  public:
    static TypeId GetTypeId();
    TasvirNetDevice();

    /** Frame hook: gets every frame (header included) that passed the error model. */
    typedef Callback<void, Ptr<TasvirNetDevice>, Ptr<Packet>> FrameHook;

    void Attach(Ptr<TasvirChannel> channel);
    void SetQueueSize(QueueSize size);
    QueueSize GetQueueSize() const;
    void SetReceiveErrorModel(Ptr<ErrorModel> em);
    void SetFrameHook(FrameHook hook);

    /** Transmit a complete frame (Ethernet header included), not before `notBefore`;
     *  false if the output queue dropped it. */
    bool SendFrame(Ptr<Packet> frame, Time notBefore = Time(0));
    /** SendFrom for a frame that is ready only at `notBefore` (absolute time). */
    bool SendFromAt(Ptr<Packet> packet,
                    const Address& source,
                    const Address& dest,
                    uint16_t protocolNumber,
                    Time notBefore);
    /** Could `frames` more frames of `bytesEach` bytes be queued right now? */
    bool HasRoom(uint32_t frames, uint32_t bytesEach);
    /** Frames waiting to start right now. */
    uint32_t GetWaitingFrames();
    /** When at most `frames` frames will be waiting, if nothing more is queued (departure
     *  times are fixed at enqueue): now if that is already so. */
    Time WhenWaitingAtMost(uint32_t frames);
    /** Called by the channel when a frame has fully arrived. */
    void Receive(Ptr<Packet> frame);

    /** Multicast filter of a host NIC: accept frames for this group (or stop). */
    void JoinGroup(Mac48Address group);
    void LeaveGroup(Mac48Address group);

    /** Time from the first to the last bit of a frame of `bytes` (header included, no
     *  FCS; padded to 60): (max(bytes, 60) + WireOverhead) * 8 / DataRate.  The transmitter
     *  is busy InterframeGap bytes longer. */
    Time WireTime(uint32_t bytes) const;

    /** Frames and bytes handed to the channel so far; drops at the output queue. */
    uint64_t GetTxFrames() const;
    uint64_t GetTxBytes() const;
    uint64_t GetQueueDrops() const;
    /** Frames received, dropped by the error model, dropped by the MAC filter. */
    uint64_t GetRxFrames() const;
    uint64_t GetRxErrorDrops() const;
    uint64_t GetRxFilterDrops() const;

    // NetDevice
    void SetIfIndex(const uint32_t index) override;
    uint32_t GetIfIndex() const override;
    Ptr<Channel> GetChannel() const override;
    void SetAddress(Address address) override;
    Address GetAddress() const override;
    bool SetMtu(const uint16_t mtu) override;
    uint16_t GetMtu() const override;
    bool IsLinkUp() const override;
    void AddLinkChangeCallback(Callback<void> callback) override;
    bool IsBroadcast() const override;
    Address GetBroadcast() const override;
    bool IsMulticast() const override;
    Address GetMulticast(Ipv4Address multicastGroup) const override;
    Address GetMulticast(Ipv6Address addr) const override;
    bool IsBridge() const override;
    bool IsPointToPoint() const override;
    bool Send(Ptr<Packet> packet, const Address& dest, uint16_t protocolNumber) override;
    bool SendFrom(Ptr<Packet> packet,
                  const Address& source,
                  const Address& dest,
                  uint16_t protocolNumber) override;
    Ptr<Node> GetNode() const override;
    void SetNode(Ptr<Node> node) override;
    bool NeedsArp() const override;
    void SetReceiveCallback(NetDevice::ReceiveCallback cb) override;
    void SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb) override;
    bool SupportsSendFrom() const override;

  protected:
    void DoDispose() override;

  private:
    void Prune(int64_t nowTs);

    Ptr<Node> m_node;
    Ptr<TasvirChannel> m_channel;
    Ptr<ErrorModel> m_rxErrorModel;
    Mac48Address m_address;
    uint32_t m_ifIndex;
    uint16_t m_mtu;
    DataRate m_rate;
    uint32_t m_overheadBytes;
    uint32_t m_ifgBytes;
    QueueSize m_queueSize;
    std::deque<std::pair<int64_t, uint32_t>> m_waiting; //!< (start time step, bytes)
    uint64_t m_waitingBytes;
    Time m_txDelay;
    Time m_txFreeAt;
    std::vector<Mac48Address> m_groups;
    FrameHook m_frameHook;
    NetDevice::ReceiveCallback m_rxCallback;
    NetDevice::PromiscReceiveCallback m_promiscCallback;
    TracedCallback<> m_linkChange;

    uint64_t m_txFrames;
    uint64_t m_txBytes;
    uint64_t m_queueDrops;
    uint64_t m_rxFrames;
    uint64_t m_rxErrorDrops;
    uint64_t m_rxFilterDrops;

    TracedCallback<Ptr<const Packet>> m_macTxTrace;
    TracedCallback<Ptr<const Packet>> m_macTxDropTrace;
    TracedCallback<Ptr<const Packet>> m_macRxTrace;
    TracedCallback<Ptr<const Packet>> m_macRxDropTrace;
    TracedCallback<Ptr<const Packet>> m_phyRxDropTrace;
    TracedCallback<Ptr<const Packet>> m_snifferTrace;
    TracedCallback<Ptr<const Packet>, Time> m_txStartTrace;
};

} // namespace ns3

#endif /* TASVIR_NET_DEVICE_H */

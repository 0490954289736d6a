/*
 * tasvir-channel.h — one full-duplex Ethernet link between two TasvirNetDevices.
 *
 * The channel only models propagation: each direction is serialized by its sending device
 * (which has its own transmitter, so both directions run at full rate at the same time) and
 * the channel delivers the frame to the other end `Delay` after the last bit left.
 */
#ifndef TASVIR_CHANNEL_H
#define TASVIR_CHANNEL_H

#include "ns3/channel.h"
#include "ns3/nstime.h"
#include "ns3/ptr.h"

namespace ns3
{

class Packet;
class TasvirNetDevice;

class TasvirChannel : public Channel
{
  public:
    static TypeId GetTypeId();
    TasvirChannel();

    /** Connect a device; a channel takes exactly two. */
    void Attach(Ptr<TasvirNetDevice> device);

    /**
     * Deliver a frame sent by `sender` to the other end.  The last bit leaves the sender
     * `txTime` from now; the receiver gets it `txTime + Delay` from now (store-and-forward
     * devices act on whole frames).
     */
    void Transmit(Ptr<Packet> frame, Ptr<TasvirNetDevice> sender, Time txTime);

    Time GetDelay() const;

    std::size_t GetNDevices() const override;
    Ptr<NetDevice> GetDevice(std::size_t i) const override;

  protected:
    void DoDispose() override;

  private:
    Time m_delay;
    Ptr<TasvirNetDevice> m_dev[2];
};

} // namespace ns3

#endif /* TASVIR_CHANNEL_H */

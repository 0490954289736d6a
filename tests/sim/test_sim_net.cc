/*
 * test_sim_net.cc — the ns-3 network model and the backend's frame path through it.
 *
 * Covers: exact delivery time of one frame (serialization at the link rate with Ethernet
 * overhead, propagation on both links, switch latency); back-to-back frames at line rate
 * (inter-frame gap); full duplex (both directions at full rate at once); output-queue drops
 * under 2:1 incast; loss from the receive error models; multicast delivered only to hosts
 * that joined through the backend's mcast op, broadcast to all others; raw 0x88B6 frames
 * from one node's tx_burst to another's rx_burst (bytes intact, short frames padded to
 * 60); the NIC refusing frames when its queue is full; pcap output with the Ethernet link
 * type; the order in which a shared host CPU serves agents (first come, first served, the
 * running agent going on first).
 *
 * (C++ tests use Criterion's classic assertion macros: the typed ones of
 * criterion/new/assert.h do not compile with C++ rvalue arguments in Criterion 2.4.)
 */
#include "tasvir-cost-model.h"
#include "tasvir-net-device.h"
#include "tasvir-node-app.h"
#include "tasvir-scenario.h"
#include "tasvir-star-helper.h"
#include "tasvir-switch.h"

#include "tasvir/sim.h"

#include "ns3/data-rate.h"
#include "ns3/node.h"
#include "ns3/packet.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <criterion/criterion.h>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

using namespace ns3;

namespace
{

struct Arrival
{
    int64_t ps;
    uint32_t bytes;
};

struct Recorder
{
    std::vector<Arrival> rx;

    void Rx(Ptr<NetDevice>, Ptr<const Packet> p, uint16_t proto, const Address&)
    {
        if (proto == 0x88B6)
        {
            rx.push_back({Simulator::Now().GetPicoSeconds(), p->GetSize()});
        }
    }
};

/* A star of n hosts with recorders on every host (non-promiscuous 0x88B6 handlers). */
struct Net
{
    NodeContainer hosts;
    TasvirStarHelper star;
    NetDeviceContainer nics;
    std::vector<Mac48Address> macs;
    std::vector<Recorder> rec;

    explicit Net(uint32_t n, uint32_t switchQueue = 1000, double loss = 0)
        : rec(n)
    {
        TasvirScenario::SetTimeResolution();
        hosts.Create(n);
        for (uint32_t i = 0; i < n; i++)
        {
            uint8_t m[6];
            tasvir_sim_mac(i, m);
            Mac48Address a;
            a.CopyFrom(m);
            macs.push_back(a);
        }
        star.SetDeviceAttribute("DataRate", DataRateValue(DataRate("10Gbps")));
        star.SetChannelAttribute("Delay", TimeValue(NanoSeconds(500)));
        star.SetSwitchAttribute("ForwardingDelay", TimeValue(NanoSeconds(500)));
        star.SetSwitchQueueSize(QueueSize(QueueSizeUnit::PACKETS, switchQueue));
        star.SetLossRate(loss);
        nics = star.Install(hosts, macs);
        star.AssignStreams(0);
        for (uint32_t i = 0; i < n; i++)
        {
            hosts.Get(i)->RegisterProtocolHandler(MakeCallback(&Recorder::Rx, &rec[i]),
                                                  0x88B6,
                                                  nics.Get(i),
                                                  false);
        }
    }

    Ptr<TasvirNetDevice> Nic(uint32_t i)
    {
        return DynamicCast<TasvirNetDevice>(nics.Get(i));
    }

    /* Schedule `count` frames of `payload` bytes from host `from` to `to` at time t. */
    void SendAt(Time t, uint32_t from, Address to, uint32_t payload, uint32_t count)
    {
        Ptr<TasvirNetDevice> dev = Nic(from);
        for (uint32_t k = 0; k < count; k++)
        {
            Simulator::Schedule(t, [dev, to, payload]() {
                dev->Send(Create<Packet>(payload), to, 0x88B6);
            });
        }
    }
};

/* Wire time in ps of a frame of `frame` bytes (header included) plus `extra` bytes. */
int64_t
WirePs(uint32_t frame, uint32_t extra)
{
    uint32_t b = std::max<uint32_t>(frame, 60) + extra;
    return (int64_t)b * 8 * 100; // 10 Gb/s: 100 ps per bit
}

const int64_t kProp = 500000;   // 500 ns
const int64_t kSwitch = 500000; // 500 ns

} // namespace

Test(sim_net, one_frame_timing, .timeout = 30)
{
    Net net(2);
    net.SendAt(MicroSeconds(1), 0, net.macs[1], 1000, 1);
    Simulator::Run();
    cr_assert_eq(net.rec[1].rx.size(), 1);
    cr_assert_eq(net.rec[0].rx.size(), 0);
    // 1014-byte frame: (1014 + 12) * 8 bits at 10 Gb/s = 820.8 ns per hop.
    int64_t expect = 1000000 + 2 * WirePs(1014, 12) + 2 * kProp + kSwitch;
    cr_assert_eq(net.rec[1].rx[0].ps, expect);
    cr_assert_eq(net.rec[1].rx[0].ps, 4141600);
    cr_assert_eq(net.rec[1].rx[0].bytes, 1000);
    cr_assert_eq(net.Nic(0)->WireTime(1014).GetPicoSeconds(), WirePs(1014, 12));
    Simulator::Destroy();
}

Test(sim_net, back_to_back_at_line_rate, .timeout = 30)
{
    Net net(2);
    net.SendAt(Seconds(0), 0, net.macs[1], 1486, 50); // 1500-byte frames
    Simulator::Run();
    const std::vector<Arrival>& rx = net.rec[1].rx;
    cr_assert_eq(rx.size(), 50);
    int64_t gap = WirePs(1500, 24); // frame + preamble/SFD/FCS + inter-frame gap
    for (size_t k = 1; k < rx.size(); k++)
    {
        cr_assert_eq(rx[k].ps - rx[k - 1].ps, gap, "frame %zu", k);
    }
    cr_assert_eq(rx[0].ps, 2 * WirePs(1500, 12) + 2 * kProp + kSwitch);
    Simulator::Destroy();
}

Test(sim_net, full_duplex, .timeout = 30)
{
    // Alone: 0 -> 1.  Together: 0 -> 1 and 1 -> 0 at once.  Same finishing times.
    int64_t alone;
    {
        Net net(2);
        net.SendAt(Seconds(0), 0, net.macs[1], 1486, 200);
        Simulator::Run();
        cr_assert_eq(net.rec[1].rx.size(), 200);
        alone = net.rec[1].rx.back().ps;
        Simulator::Destroy();
    }
    Net net(2);
    net.SendAt(Seconds(0), 0, net.macs[1], 1486, 200);
    net.SendAt(Seconds(0), 1, net.macs[0], 1486, 200);
    Simulator::Run();
    cr_assert_eq(net.rec[0].rx.size(), 200);
    cr_assert_eq(net.rec[1].rx.size(), 200);
    cr_assert_eq(net.rec[1].rx.back().ps, alone);
    cr_assert_eq(net.rec[0].rx.back().ps, alone);
    // 200 frames in (alone - first arrival): the line rate, in both directions.
    int64_t span = alone - net.rec[0].rx.front().ps;
    cr_assert_eq(span, 199 * WirePs(1500, 24));
    Simulator::Destroy();
}

Test(sim_net, incast_queue_drops, .timeout = 30)
{
    const uint32_t q = 20;
    Net net(3, q);
    net.SendAt(Seconds(0), 0, net.macs[2], 1486, 300);
    net.SendAt(Seconds(0), 1, net.macs[2], 1486, 300);
    Simulator::Run();
    Ptr<TasvirNetDevice> port2 = net.star.GetSwitch()->GetPort(2);
    uint64_t delivered = net.rec[2].rx.size();
    uint64_t drops = port2->GetQueueDrops();
    cr_assert_gt(drops, 0);
    cr_assert_eq(delivered + drops, 600, "every frame delivered or counted as a drop");
    // Two senders at line rate into one port: it runs at line rate throughout, so it
    // delivers about half of the offered frames plus what its queue absorbed.
    cr_assert_geq(delivered, 300);
    cr_assert_leq(delivered, 300 + q + 2);
    for (size_t k = 1; k < net.rec[2].rx.size(); k++)
    {
        cr_assert_eq(net.rec[2].rx[k].ps - net.rec[2].rx[k - 1].ps, WirePs(1500, 24));
    }
    cr_assert_eq(net.Nic(0)->GetQueueDrops() + net.Nic(1)->GetQueueDrops(), 0);
    Simulator::Destroy();
}

Test(sim_net, link_loss, .timeout = 30)
{
    Net net(2, 1000, 0.2);
    for (int k = 0; k < 2000; k++)
    {
        net.SendAt(MicroSeconds(10 * k), 0, net.macs[1], 500, 1); // spaced: no queueing
    }
    Simulator::Run();
    uint64_t delivered = net.rec[1].rx.size();
    Ptr<TasvirNetDevice> port0 = net.star.GetSwitch()->GetPort(0);
    uint64_t lost = port0->GetRxErrorDrops() + net.Nic(1)->GetRxErrorDrops();
    cr_assert_eq(delivered + lost, 2000);
    // Two independent draws at 20%: 64% expected (1280), well within +-100.
    cr_assert_geq(delivered, 1180);
    cr_assert_leq(delivered, 1380);
    Simulator::Destroy();
}

namespace
{

/* Tasvir node apps on a star, engines stopped so that frames stay in the rx queues. */
struct Nodes
{
    Net net;
    TasvirCostModel costs;
    std::vector<Ptr<TasvirNodeApp>> apps;

    explicit Nodes(uint32_t n, uint32_t hostQueue = 1000)
        : net(n)
    {
        for (uint32_t i = 0; i < n; i++)
        {
            net.Nic(i)->SetQueueSize(QueueSize(QueueSizeUnit::PACKETS, hostQueue));
            Ptr<TasvirNodeApp> app = CreateObject<TasvirNodeApp>();
            app->SetAttribute("TasvirId", UintegerValue(i));
            net.hosts.Get(i)->AddApplication(app);
            std::vector<struct tasvir_peer> peers;
            for (uint32_t j = 0; j < n; j++)
            {
                if (j != i)
                {
                    struct tasvir_peer p;
                    p.node_id = (uint16_t)j;
                    net.macs[j].CopyTo(p.mac);
                    peers.push_back(p);
                }
            }
            cr_assert_eq(app->Setup(net.Nic(i), net.star.GetSwitch(), i, &costs, peers), 0);
            app->GetEngineAgent()->Stop();
            apps.push_back(app);
        }
    }

    const struct tasvir_backend* Be(uint32_t i)
    {
        return apps[i]->GetBackend();
    }

    /* Send one frame of `len` bytes through node i's backend at time t. */
    void TxAt(Time t, uint32_t i, const uint8_t dst[6], uint32_t len, uint8_t fillByte)
    {
        const struct tasvir_backend* be = Be(i);
        std::vector<uint8_t> d(dst, dst + 6);
        uint8_t src[6];
        net.macs[i].CopyTo(src);
        std::vector<uint8_t> s(src, src + 6);
        Simulator::Schedule(t, [be, d, s, len, fillByte]() {
            struct tasvir_frame* f = nullptr;
            cr_assert_eq(be->ops->frame_alloc(be->ctx, &f, 1), 1);
            memcpy(f->data, d.data(), 6);
            memcpy(f->data + 6, s.data(), 6);
            f->data[12] = 0x88;
            f->data[13] = 0xB6;
            for (uint32_t k = 14; k < len; k++)
            {
                f->data[k] = (uint8_t)(fillByte + k);
            }
            f->len = len;
            cr_assert_eq(be->ops->tx_burst(be->ctx, &f, 1), 1);
        });
    }

    /* Drain node i's rx queue. */
    std::vector<std::vector<uint8_t>> Rx(uint32_t i)
    {
        const struct tasvir_backend* be = Be(i);
        std::vector<std::vector<uint8_t>> out;
        struct tasvir_frame* f[16];
        unsigned n;
        while ((n = be->ops->rx_burst(be->ctx, f, 16)) > 0)
        {
            for (unsigned k = 0; k < n; k++)
            {
                out.emplace_back(f[k]->data, f[k]->data + f[k]->len);
            }
            be->ops->frame_free(be->ctx, f, n);
        }
        return out;
    }
};

} // namespace

Test(sim_net, backend_frames_unicast_and_padding, .timeout = 30)
{
    Nodes n(2);
    uint8_t dst[6];
    n.net.macs[1].CopyTo(dst);
    n.TxAt(MicroSeconds(1), 0, dst, 1514, 3);
    n.TxAt(MicroSeconds(5), 0, dst, 40, 9); // shorter than the Ethernet minimum
    Simulator::Run();
    std::vector<std::vector<uint8_t>> rx = n.Rx(1);
    cr_assert_eq(rx.size(), 2);
    cr_assert_eq(rx[0].size(), 1514);
    cr_assert_eq(memcmp(rx[0].data(), dst, 6), 0);
    cr_assert_eq(rx[0][12], 0x88);
    cr_assert_eq(rx[0][13], 0xB6);
    for (uint32_t k = 14; k < 1514; k++)
    {
        cr_assert_eq(rx[0][k], (uint8_t)(3 + k), "byte %u", k);
    }
    cr_assert_eq(rx[1].size(), 60, "padded to the Ethernet minimum, as a NIC does");
    for (uint32_t k = 14; k < 40; k++)
    {
        cr_assert_eq(rx[1][k], (uint8_t)(9 + k));
    }
    for (uint32_t k = 40; k < 60; k++)
    {
        cr_assert_eq(rx[1][k], 0, "byte %u is %u", k, rx[1][k]);
    }
    cr_assert_eq(n.Rx(0).size(), 0);
    cr_assert_eq(n.apps[1]->GetCounters().framesDelivered, 2);
    Simulator::Destroy();
}

Test(sim_net, multicast_only_to_joined, .timeout = 30)
{
    Nodes n(4);
    uint8_t group[6] = {0x03, 0x00, 0x5e, 0x00, 0x00, 0x2a};
    for (uint32_t i : {1u, 2u})
    {
        cr_assert_eq(n.Be(i)->ops->mcast(n.Be(i)->ctx, group, 1), 0);
    }
    Mac48Address g;
    g.CopyFrom(group);
    std::vector<uint32_t> ports = n.net.star.GetSwitch()->GetGroupPorts(g);
    cr_assert_eq(ports.size(), 2);
    n.TxAt(MicroSeconds(1), 0, group, 200, 1);
    uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    n.TxAt(MicroSeconds(20), 0, bcast, 100, 2);
    Simulator::Run();
    std::vector<std::vector<uint8_t>> r1 = n.Rx(1), r2 = n.Rx(2), r3 = n.Rx(3), r0 = n.Rx(0);
    cr_assert_eq(r1.size(), 2, "group member: multicast + broadcast");
    cr_assert_eq(r2.size(), 2);
    cr_assert_eq(r3.size(), 1, "not a member: broadcast only");
    cr_assert_eq(r0.size(), 0, "the sender gets neither");
    cr_assert_eq(memcmp(r1[0].data(), group, 6), 0);
    cr_assert_eq(memcmp(r3[0].data(), bcast, 6), 0);
    // The switch never put the group frame on host 3's link.
    cr_assert_eq(n.net.Nic(3)->GetRxFrames(), 1);
    cr_assert_eq(n.net.Nic(3)->GetRxFilterDrops(), 0);
    // Leaving the group stops delivery.
    cr_assert_eq(n.Be(2)->ops->mcast(n.Be(2)->ctx, group, 0), 0);
    n.TxAt(MicroSeconds(40), 0, group, 200, 1);
    Simulator::Run();
    cr_assert_eq(n.Rx(1).size(), 1);
    cr_assert_eq(n.Rx(2).size(), 0);
    Simulator::Destroy();
}

Test(sim_net, nic_queue_refuses, .timeout = 30)
{
    Nodes n(2, 4);
    uint8_t dst[6];
    n.net.macs[1].CopyTo(dst);
    const struct tasvir_backend* be = n.Be(0);
    unsigned taken = 0;
    Simulator::Schedule(MicroSeconds(1), [&]() {
        struct tasvir_frame* f[10];
        cr_assert_eq(be->ops->frame_alloc(be->ctx, f, 10), 10);
        for (int k = 0; k < 10; k++)
        {
            memcpy(f[k]->data, dst, 6);
            memset(f[k]->data + 6, 0, 6);
            f[k]->data[12] = 0x88;
            f[k]->data[13] = 0xB6;
            f[k]->len = 1000;
        }
        taken = be->ops->tx_burst(be->ctx, f, 10);
        be->ops->frame_free(be->ctx, f + taken, 10 - taken);
    });
    Simulator::Run();
    // One frame on the wire at once, four in the NIC queue: the fifth refusal stops the burst.
    cr_assert_eq(taken, 5);
    struct tasvir_sim_port_stats st;
    tasvir_sim_port_stats(n.apps[0]->GetPort(), &st);
    cr_assert_eq(st.tx_refused, 5);
    cr_assert_eq(st.frames_now, 0);
    cr_assert_eq(n.Rx(1).size(), 5);
    Simulator::Destroy();
}

Test(sim_net, pcap_ethernet, .timeout = 30)
{
    char dir[] = "/tmp/tasvir-pcap-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    std::string path = std::string(dir) + "/h0.pcap";
    {
        Net net(2);
        TasvirStarHelper::EnablePcap(path, net.Nic(0));
        net.SendAt(MicroSeconds(1), 0, net.macs[1], 100, 3);
        Simulator::Run();
        Simulator::Destroy();
    }
    FILE* f = fopen(path.c_str(), "rb");
    cr_assert_not_null(f);
    uint8_t b[24 + 16 + 114];
    size_t got = fread(b, 1, sizeof(b), f);
    fclose(f);
    cr_assert_eq(got, sizeof(b));
    uint32_t magic, link, caplen;
    memcpy(&magic, b, 4);
    memcpy(&link, b + 20, 4);
    memcpy(&caplen, b + 24 + 8, 4);
    cr_assert_eq(magic, 0xa1b2c3d4u);
    cr_assert_eq(link, 1u, "DLT_EN10MB");
    cr_assert_eq(caplen, 114u, "100-byte payload + 14-byte header");
    uint8_t dst[6];
    tasvir_sim_mac(1, dst);
    cr_assert_eq(memcmp(b + 40, dst, 6), 0, "record starts with the destination MAC");
    cr_assert_eq(b[40 + 12], 0x88);
    cr_assert_eq(b[40 + 13], 0xB6);
    unlink(path.c_str());
    rmdir(dir);
}

/* A shared host CPU (--nodeCpu) serves the agents that queue for it in order, except that
 * the agent holding it goes on first when it asks again at the instant its last action
 * ended (it did not sleep: Linux lets no woken thread preempt it), for up to a slice of
 * continuous running (1.5 ms). Context switches cost 0 here. */
Test(sim_net, shared_cpu_runs_to_block, .timeout = 30)
{
    Nodes nodes(1);
    TasvirCostModel::Params p = nodes.costs.Get();
    p.sleep_wake_ns = 0;
    nodes.costs.Set(p);
    TasvirHostCpu cpu;
    Ptr<TasvirNodeApp> app = nodes.apps[0];
    app->SetHostCpu(&cpu);
    int a = 0, b = 0, c = 0; // three agents
    uint64_t at = 0;
    cr_assert(app->AcquireCpu(&a, 0, &at));
    app->ReleaseCpu(0, 100);
    cr_assert_not(app->AcquireCpu(&b, 50, &at), "busy until 100");
    cr_assert_eq(at, 101u, "b retries just after it frees");
    cr_assert(app->AcquireCpu(&a, 100, &at), "a goes on at once: it keeps the CPU");
    app->ReleaseCpu(100, 100);
    cr_assert_not(app->AcquireCpu(&b, 101, &at), "a runs until 200");
    cr_assert_not(app->AcquireCpu(&c, 150, &at));
    // a sleeps: the CPU goes to the queue, first come first served
    cr_assert(app->AcquireCpu(&b, 201, &at), "b queued first");
    app->ReleaseCpu(201, 100);
    cr_assert_not(app->AcquireCpu(&a, 250, &at), "a woke up: it queues behind c");
    cr_assert(app->AcquireCpu(&c, 302, &at), "c before a");
    app->ReleaseCpu(302, 1000000 - 302); // c runs until 1 ms
    // a gets it at 1 ms and runs on without sleeping: after 1.5 ms of that (counted from
    // its own start, not from a's earlier runs) the waiting b gets its turn
    const uint64_t t0 = 1000000;
    cr_assert(app->AcquireCpu(&a, t0, &at));
    uint64_t t = t0;
    app->ReleaseCpu(t, 100000);
    t += 100000;
    cr_assert_not(app->AcquireCpu(&b, t0 + 10, &at));
    unsigned turns = 0;
    while (app->AcquireCpu(&a, t, &at))
    {
        app->ReleaseCpu(t, 100000);
        t += 100000;
        turns++;
        cr_assert_lt(turns, 100u, "a never gave the CPU up");
    }
    cr_assert(t >= t0 + 1500000 && t <= t0 + 1600000, "a ran on until %lu ns", t);
    cr_assert(app->AcquireCpu(&b, t + 1, &at), "then b");
}

/* The switch to an agent costs sleep_wake_ns, or timer_wake_ns when its own timer woke it;
 * an agent that had the CPU last pays it again once it has slept (the CPU idled), and
 * not when it goes on at once. */
Test(sim_net, shared_cpu_switch_costs, .timeout = 30)
{
    Nodes nodes(1);
    TasvirCostModel::Params p = nodes.costs.Get();
    p.sleep_wake_ns = 1000;
    p.timer_wake_ns = 5000;
    nodes.costs.Set(p);
    TasvirHostCpu cpu;
    Ptr<TasvirNodeApp> app = nodes.apps[0];
    app->SetHostCpu(&cpu);
    int a = 0;
    uint64_t at = 0;
    // a kicked thread: switched in for 0.5..1.5 x 1 us
    cr_assert_not(app->AcquireCpu(&a, 0, &at));
    cr_assert(at >= 500 && at <= 1500, "switch %lu ns", at);
    cr_assert(app->AcquireCpu(&a, at, &at), "it runs once switched in");
    uint64_t t = at;
    app->ReleaseCpu(t, 100);
    t += 100;
    cr_assert(app->AcquireCpu(&a, t, &at), "it goes on at once: no switch");
    app->ReleaseCpu(t, 100);
    t += 100;
    uint64_t switches = cpu.switches;
    // it slept 10 us, the CPU idled: switched in again
    t += 10000;
    cr_assert_not(app->AcquireCpu(&a, t, &at), "after sleeping it is switched in again");
    cr_assert(at - t >= 500 && at - t <= 1500, "switch %lu ns", at - t);
    cr_assert(app->AcquireCpu(&a, at, &at));
    app->ReleaseCpu(at, 100);
    t = at + 100 + 10000;
    // woken by its own timer: 0.5..1.5 x 5 us
    cr_assert_not(app->AcquireCpu(&a, t, &at, true));
    cr_assert(at - t >= 2500 && at - t <= 7500, "timer wake-up switch %lu ns", at - t);
    cr_assert_eq(cpu.switches, switches + 2);
}

#!/bin/bash
# test_af_packet.sh PEER — the DPDK backend on net_af_packet, over veths in two network
# namespaces joined by a Linux bridge: unicast and multicast frames with EtherType 0x88B6
# between two processes (tasvir-dpdk-peer echo / ping), then nothing left behind.
# Needs root.  Every name starts with tsva<pid>; everything is removed on exit or signal.
set -u
PEER=$1
R="tsva$$"
EAL=(--no-huge -m 128 --no-pci --no-telemetry --log-level=lib.eal:error)
fail=0

cleanup() {
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    # The bridge-side ends first: deleting a veth removes its peer at once, while a
    # deleted namespace releases its devices asynchronously.
    ip link delete "${R}h0" 2>/dev/null
    ip link delete "${R}h1" 2>/dev/null
    ip netns delete "${R}n0" 2>/dev/null
    ip netns delete "${R}n1" 2>/dev/null
    ip link delete "${R}br" 2>/dev/null
    rm -rf /var/run/dpdk/"${R}"*
    # the namespace directory's own mount, if this test made it and nothing else uses it
    if [ "$netns_mounted" = 0 ] && mountpoint -q /var/run/netns && [ -z "$(ip netns list)" ]; then
        umount /var/run/netns 2>/dev/null
    fi
}
netns_mounted=1
mountpoint -q /var/run/netns 2>/dev/null || netns_mounted=0
trap cleanup EXIT
trap 'exit 130' INT TERM

set -e
ip link add "${R}br" type bridge
ip link set "${R}br" up
for i in 0 1; do
    ip netns add "${R}n$i"
    ip link add "${R}h$i" type veth peer name "${R}v$i"
    ip link set "${R}v$i" netns "${R}n$i"
    nsenter --net="/var/run/netns/${R}n$i" ip link set "${R}v$i" address "02:00:00:00:aa:0$i" up
    ip link set "${R}h$i" master "${R}br" up
done
set +e

# round NAME ECHO_OPTS PING_OPTS: one echo/ping exchange; checks both exit 0.
round() {
    local name=$1 echo_opts=$2 ping_opts=$3
    # shellcheck disable=SC2086
    nsenter --net="/var/run/netns/${R}n0" "$PEER" "${EAL[@]}" --file-prefix="${R}e" -l 0 \
        --vdev="net_af_packet0,iface=${R}v0" -- --mode echo --timeout-ms 30000 $echo_opts \
        > "/tmp/${R}-echo.out" 2>&1 &
    local epid=$!
    # shellcheck disable=SC2086
    nsenter --net="/var/run/netns/${R}n1" "$PEER" "${EAL[@]}" --file-prefix="${R}p" -l 1 \
        --vdev="net_af_packet0,iface=${R}v1" -- --mode ping --timeout-ms 30000 $ping_opts \
        > "/tmp/${R}-ping.out" 2>&1
    local prc=$?
    wait "$epid"
    local erc=$?
    if [ "$prc" != 0 ] || [ "$erc" != 0 ]; then
        echo "FAIL: $name: ping exited $prc, echo exited $erc"
        fail=1
    else
        echo "ok: $name"
    fi
    grep -E '^(ping|echo|port):' "/tmp/${R}-ping.out" "/tmp/${R}-echo.out" | sed 's/^/    /'
    grep -q "bad=0" "/tmp/${R}-ping.out" || { echo "FAIL: $name: damaged frames"; fail=1; }
    rm -f "/tmp/${R}-ping.out" "/tmp/${R}-echo.out"
}

round unicast "" "--count 20000 --dst 02:00:00:00:aa:00"
round multicast "--mcast 01:00:5e:00:88:b6" "--count 5000 --mcast 01:00:5e:00:88:b6"
round full-size "" "--count 5000 --size 1514 --dst 02:00:00:00:aa:00"

# The backend's port setup must not have left its EAL runtime directories.
left=$(ls -d /var/run/dpdk/"${R}"* 2>/dev/null)
[ -z "$left" ] || { echo "FAIL: EAL left $left"; fail=1; }

cleanup
trap - EXIT
left=$( (ip netns list; ip -o link show) | grep -c "$R")
[ "$left" = 0 ] || { echo "FAIL: $left namespaces/links named $R* left"; fail=1; }
exit $fail

#!/bin/bash
# test_launcher.sh BUILD_DIR SOURCE_DIR [CASE...] — experiments/testbed/launch end to end,
# with tasvir-node's default workload (versioned: the shared writers and staleness probes)
# and the run directory collected and joined by tasvir-collect:
#   dry_run_cluster  --dry-run of example-cluster.ini prints the expected ssh, scp,
#                    host-setup and collect commands and runs nothing; so does --calibrate
#                    (tasvir-bench calibrate on node 0's host, the file copied back)
#   dry_run_bridge   --dry-run of local-bridge.ini prints the namespace/veth/bridge commands
#                    and creates nothing; --calibrate runs in node 0's namespace with its
#                    veth as the port and node 1's namespace receiving
#   run_memif        local-memif: the writer on node 0 (writeNodes=0) writes for 2 s, node 1
#                    reads its area (subscription=one): every version node 1 sees is
#                    complete (probe_torn 0,
#                    nothing going backwards), it converges to the final version; the run
#                    directory has manifest.json (mode hw, bound), counters.csv,
#                    visibility.csv and samples.csv, which tasvir-analyze accepts; the
#                    socket is gone and nothing is left behind
#   run_bridge       local-bridge, 4 nodes all-to-all (subscription=all): the same
#                    invariants on every node
#   kill_restart     local-bridge all-to-all with node 3 killed at 3 s and restarted 1 s
#                    later: the others see it go down and come back, read its
#                    new incarnation without any invariant violation and converge on it;
#                    the restarted node catches up on every other node's final version;
#                    the joined run directory (the new incarnation as an area of its own)
#                    passes tasvir-analyze
#   local_workload   the older "local" workload still runs (memif, every node reading every
#                    node's area, converged); nothing to join
#   interrupt        SIGINT during a run: nodes stop cleanly (results flushed), status 130,
#                    nothing left behind
#   interrupt_late   SIGINT while the run is already tearing down (its nodes done): the
#                    teardown finishes, status 130, the notice printed, nothing left
#                    behind
#   node_failure     nodes that fail (bad app argument): status 1, nothing left behind
#   name_clash       a name the run would create already exists: status 1, and the
#                    existing device is left alone
# "Nothing left behind" compares snapshots taken before and after: network namespaces,
# links, processes, unix sockets, files in /tmp and /var/run/dpdk.  Needs root.
set -u
BUILD=$1
SRC=$2
shift 2
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(dry_run_cluster dry_run_bridge run_memif run_bridge kill_restart local_workload interrupt interrupt_late node_failure name_clash)
ANALYZE="$BUILD/analysis/tasvir-analyze"
LAUNCH="$SRC/experiments/testbed/launch"
WORK=$(mktemp -d /tmp/tsvlt.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
cd "$SRC" || exit 1

bad() { echo "FAIL: $CASE: $*"; fail=1; case_failed=1; }
# The last lines each node of run directory $1 wrote to stderr (for a failed run's report).
node_logs() {
    local f
    for f in "$1"/node*/stderr.log; do
        [ -s "$f" ] && printf '%s:\n%s\n' "${f#$1/}" "$(tail -n 15 "$f")"
    done
}
has() { grep -qF -- "$1" "$2" || bad "output lacks: $1"; }

snapshot() {
    {
        ip netns list | sed 's/^/netns /'
        ip -o link show | awk -F': ' '{print "link " $2}' | sed 's/@.*//'
        ps -e -o pid=,args= | grep -v -e ' ps ' -e grep -e test_launcher | sed 's/^ */proc /'
        ss -xlpn 2>/dev/null | awk 'NR>1 {print "unix " $5}'
        ls /tmp | sed 's/^/tmp /'
        ls /var/run/dpdk 2>/dev/null | sed 's/^/dpdk /'
    } | sort
}

# Entries that appeared since the snapshot in $1 and that belong to run $2 (or to Tasvir).
leftovers() {
    snapshot > "$WORK/after"
    comm -13 "$1" "$WORK/after" | grep -e "$2" -e "$BUILD/experiments/node/tasvir-node" || true
}

dry_run_cluster() {
    local out="$WORK/dry-cluster.txt" rid=tsvdry$$
    "$LAUNCH" --config hw-configs/example-cluster.ini --dry-run --duration 10 \
        --out "$WORK/never" --run-id "$rid" --build "$BUILD" --label "cluster test" -- --param threads=2 > "$out" 2>&1
    [ $? = 0 ] || bad "dry run exited non-zero: $(cat "$out")"
    local ssh="ssh -o BatchMode=yes -o ConnectTimeout=5"
    has "$ssh tasvir@node0.example.org 'sudo -n /opt/tasvir/experiments/testbed/host-setup --hugepages 1024 --hugepage-size 2M --governor performance --pci 0000:3b:00.0 --driver vfio-pci'" "$out"
    has "$ssh tasvir@node2.example.org 'sudo -n /opt/tasvir/experiments/testbed/host-setup --hugepages 1024 --hugepage-size 2M --governor performance --pci 0000:af:00.1 --driver vfio-pci'" "$out"
    has "scp -q -r -o BatchMode=yes -o ConnectTimeout=5 hw-configs/example-cluster.ini tasvir@node3.example.org:/tmp/$rid/hw-config.ini" "$out"
    has "$ssh tasvir@node1.example.org 'echo \$\$ > /tmp/$rid/node1.pid && exec sudo -n /opt/tasvir/build/experiments/node/tasvir-node -a 0000:3b:00.0 -n 4 --huge-unlink --no-telemetry --lcores=2-5 --file-prefix=$rid-n1 -- --config /tmp/$rid/hw-config.ini --node 1 --duration 10 --out /tmp/$rid/node1 --run-id $rid --param threads=2'" "$out"
    has "--lcores=14-17 --file-prefix=$rid-n3" "$out"
    has "scp -q -r -o BatchMode=yes -o ConnectTimeout=5 tasvir@node2.example.org:/tmp/$rid/node2/. $WORK/never/node2/" "$out"
    has "$ssh tasvir@node0.example.org 'if [ -f /tmp/$rid/node0.pid ]; then sudo -n kill -TERM" "$out"
    has "rm -rf /tmp/$rid /var/run/dpdk/$rid-n0'" "$out"
    has "$BUILD/experiments/testbed/tasvir-collect --label 'cluster test' $WORK/never" "$out"
    [ "$(grep -c "host-setup" "$out")" = 4 ] || bad "expected host-setup on 4 hosts"
    [ ! -e "$WORK/never" ] || bad "the dry run created $WORK/never"
    # host-setup's own dry run
    "$SRC/experiments/testbed/host-setup" --dry-run --hugepages 1024 --pci 0000:3b:00.0 \
        --driver vfio-pci > "$out" 2>&1 || bad "host-setup --dry-run failed"
    has "echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages" "$out"
    has "mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages" "$out"
    has "--bind=vfio-pci 0000:3b:00.0" "$out"
    has "performance" "$out"
    # --calibrate: tasvir-bench calibrate over ssh on node 0's host, pinned to its lcores,
    # with the testbed's idle sleep (the default 20 us here), the file copied back into the
    # testbed's folder (here --calib-out)
    "$LAUNCH" --config hw-configs/example-cluster.ini --calibrate --dry-run --rounds 3 \
        --run-id "$rid" --build "$BUILD" --calib-out "$WORK/never/cal.calib" > "$out" 2>&1 ||
        bad "calibrate dry run exited non-zero: $(cat "$out")"
    has "$ssh tasvir@node0.example.org 'sudo -n /opt/tasvir/experiments/testbed/host-setup --hugepages 1024" "$out"
    has "$ssh tasvir@node0.example.org 'taskset -c 2,3,4,5 /opt/tasvir/build/experiments/bench/tasvir-bench calibrate --rounds 3 --idle-sleep-us 20 --note '\''testbed example-cluster (cluster), node 0 on node0.example.org, CPUs 2,3,4,5'\'' --out /tmp/$rid/calibration.calib'" "$out"
    has "scp -q -r -o BatchMode=yes -o ConnectTimeout=5 tasvir@node0.example.org:/tmp/$rid/calibration.calib $WORK/never/cal.calib.tmp" "$out"
    has "$ssh tasvir@node0.example.org 'rm -rf /tmp/$rid'" "$out"
    [ "$(grep -c "node[123].example.org" "$out")" = 0 ] || bad "calibrate touched a node other than 0"
    [ ! -e "$WORK/never" ] || bad "the calibrate dry run created $WORK/never"
}

dry_run_bridge() {
    local out="$WORK/dry-bridge.txt" rid=tsvdb$$
    snapshot > "$WORK/before"
    "$LAUNCH" --config hw-configs/local-bridge.ini --dry-run --duration 3 --out "$WORK/nb" \
        --run-id "$rid" --build "$BUILD" > "$out" 2>&1 || bad "dry run exited non-zero"
    has "ip link add ${rid}br mtu 1500 type bridge" "$out"
    has "ip netns add ${rid}n3" "$out"
    has "ip link add ${rid}h2 mtu 1500 type veth peer name ${rid}v2 mtu 1500" "$out"
    has "nsenter --net=/var/run/netns/${rid}n1 ip link set ${rid}v1 address 02:00:00:00:01:01" "$out"
    has "ip link set ${rid}h0 master ${rid}br up" "$out"
    has "nsenter --net=/var/run/netns/${rid}n3 $BUILD/experiments/node/tasvir-node --no-huge -m 256 --no-pci --no-telemetry --vdev=net_af_packet0,iface=${rid}v3 '--lcores=(0-2)@1' --file-prefix=${rid}-n3 --" "$out"
    has "ip netns delete ${rid}n0" "$out"
    has "ip link delete ${rid}br" "$out"
    "$LAUNCH" --config hw-configs/local-bridge.ini --dry-run --duration 10 --kill 2@3+1 \
        --out "$WORK/nb" --run-id "$rid" --build "$BUILD" > "$out" 2>&1 || bad "dry run with --kill failed"
    has "kill -KILL <pid of node 2>" "$out"
    has "--duration 6 --out $WORK/nb/node2.restart" "$out"
    "$LAUNCH" --config hw-configs/local-bridge.ini --calibrate --dry-run --run-id "$rid" \
        --build "$BUILD" > "$out" 2>&1 || bad "calibrate dry run failed"
    has "nsenter --net=/var/run/netns/${rid}n0 taskset -c 0,1 $BUILD/experiments/bench/tasvir-bench calibrate --rounds 5 --idle-sleep-us 100 --port-iface ${rid}v0 --port-sink-netns /var/run/netns/${rid}n1 --port-sink-iface ${rid}v1" "$out"
    has "--out $SRC/hw-configs/local-bridge/calibration.calib" "$out"
    # the port's frames need a receiver: nodes 0 and 1 on the bridge, both torn down
    has "ip link set ${rid}h1 master ${rid}br up" "$out"
    has "ip netns delete ${rid}n0" "$out"
    has "ip netns delete ${rid}n1" "$out"
    has "ip link delete ${rid}br" "$out"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "the dry run created: $left"
}

check_results() { # DIR NODES...: every node ok, its files there, the run joined
    local dir=$1 n
    shift
    for n in "$@"; do
        [ -f "$dir/node$n/manifest.json" ] || { bad "node $n: no manifest"; continue; }
        grep -q '"ok": true' "$dir/node$n/manifest.json" || bad "node $n: verdict not ok: $(grep -A1 '"ok"' "$dir/node$n/manifest.json" | tail -1)"
        for f in counters.csv dump.txt stdout.log stderr.log versions-node$n.csv visible-node$n.csv samples-raw-node$n.csv; do
            [ -s "$dir/node$n/$f" ] || bad "node $n: $f missing or empty"
        done
        grep -q "^$n,localhost,0$" "$dir/nodes.csv" || bad "node $n: not 0 in nodes.csv"
    done
    [ -s "$dir/launch.log" ] || bad "no launch.log"
    [ -s "$dir/hw-config.ini" ] || bad "no hw-config.ini"
    check_joined "$dir"
}

check_joined() { # DIR: tasvir-collect's files, accepted by tasvir-analyze
    local dir=$1 f
    for f in manifest.json counters.csv visibility.csv samples.csv versions.csv; do
        [ -s "$dir/$f" ] || bad "run directory: $f missing or empty"
    done
    grep -q '"mode": "hw"' "$dir/manifest.json" || bad "run manifest: no mode hw"
    grep -q '"analytic_bound_ns": [1-9]' "$dir/manifest.json" || bad "run manifest: no analytic bound"
    head -1 "$dir/counters.csv" | grep -q '^node,name,value$' || bad "counters.csv: header"
    # received versions: delay = visible - pub >= 0 (one time base), and some of them
    awk -F, 'NR > 1 && $6 != "" { n++; if ($7 != $6 - $4 || $7 < 0) bad++ }
             END { exit !(n > 0 && bad == 0) }' "$dir/visibility.csv" ||
        bad "visibility.csv: no rows, or a delay that is negative or not visible - pub"
    "$ANALYZE" --out "$dir/analysis" "$dir" > "$dir/analyze.txt" 2>&1 ||
        bad "tasvir-analyze rejected the run: $(tail -3 "$dir/analyze.txt")"
}

# counter FILE SCOPE NAME: its value (empty if absent)
counter() { sed -n "s/^$2,$3,//p" "$1"; }

run_memif() {
    local rid=tsvrm$$ out="$WORK/rm"
    snapshot > "$WORK/before"
    # The writer on node 0 writes for 2 s; node 1 reads its area (and its own, unwritten).
    "$LAUNCH" --config hw-configs/local-memif.ini --duration 4 --out "$out" --run-id "$rid" \
        --build "$BUILD" -- --param subscription=one --param writeNodes=0 --param writeStop=2s \
        --param requireConverged=1 > "$WORK/rm.txt" 2>&1
    local rc=$?
    [ $rc = 0 ] || bad "exit status $rc: $(cat "$WORK/rm.txt")
$(node_logs "$out")"
    check_results "$out" 0 1
    grep -q '"link_up_at_start": true' "$out/node1/manifest.json" || bad "memif link never came up"
    grep -Eq '"copy_isa": "(avx512-vbmi2|avx512|baseline)"' "$out/node1/manifest.json" ||
        bad "manifest: no copy_isa in node_conf"
    local c="$out/node1/counters.csv"
    [ "$(counter "$c" workload targets_remote)" = 1 ] || bad "node 1 does not read node 0's area"
    [ "$(counter "$c" workload targets_converged)" = 2 ] || bad "node 1: not every area converged"
    [ "$(counter "$c" workload probe_torn)" = 0 ] || bad "node 1 saw a torn version"
    [ "$(counter "$c" workload probe_checks)" -gt 100 ] || bad "node 1 checked few versions"
    [ "$(counter "$c" node versions_rx_published)" -gt 0 ] || bad "node 1 received no version"
    awk -F, '$5 == 1 && $2 == 0' "$out/visibility.csv" | grep -q . ||
        bad "no visibility row of node 0's area at node 1"
    [ ! -e "/tmp/$rid-memif.sock" ] || bad "memif socket left"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

run_bridge() {
    local rid=tsvrb$$ out="$WORK/rb" n c
    snapshot > "$WORK/before"
    "$LAUNCH" --config hw-configs/local-bridge.ini --duration 5 --out "$out" --run-id "$rid" \
        --build "$BUILD" -- --param subscription=all --param writeStop=2s \
        --param requireConverged=1 > "$WORK/rb.txt" 2>&1
    local rc=$?
    [ $rc = 0 ] || bad "exit status $rc: $(cat "$WORK/rb.txt")
$(node_logs "$out")"
    check_results "$out" 0 1 2 3
    grep -q '"driver": "net_af_packet"' "$out/node2/manifest.json" || bad "node 2 not on af_packet"
    for n in 0 1 2 3; do
        c="$out/node$n/counters.csv"
        [ "$(counter "$c" workload targets_converged)" = 4 ] || bad "node $n: not every area converged"
        [ "$(counter "$c" workload probe_torn)" = 0 ] || bad "node $n saw a torn version"
        [ "$(counter "$c" node versions_rx_published)" -gt 0 ] || bad "node $n received no version"
    done
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

kill_restart() {
    local rid=tsvrk$$ out="$WORK/rk" n c
    snapshot > "$WORK/before"
    "$LAUNCH" --config hw-configs/local-bridge.ini --duration 14 --kill 3@3+1 --out "$out" \
        --run-id "$rid" --build "$BUILD" -- --param subscription=all --param writeStop=2s \
        --param requireConverged=1 > "$WORK/rk.txt" 2>&1
    local rc=$?
    # on failure, the launcher's timestamped log says when each step happened
    [ $rc = 0 ] || bad "exit status $rc: $(cat "$WORK/rk.txt")
launch.log:
$(tail -n 40 "$out/launch.log" 2>/dev/null)
$(node_logs "$out")"
    grep -q "^3,localhost,killed after [3-9]s$" "$out/nodes.csv" || bad "node 3 not killed: $(cat "$out/nodes.csv")"
    grep -q "^3.restart,localhost,0$" "$out/nodes.csv" || bad "node 3 not restarted cleanly"
    # requireConverged=1: exit 0 means every probe target ended on its owner's newest version
    grep -qs '"ok": true' "$out/node3.restart/manifest.json" || bad "restarted node 3: verdict not ok"
    c="$out/node3.restart/counters.csv"
    [ "$(counter "$c" workload targets_converged)" = 4 ] || bad "restarted node 3 did not catch up on every area"
    for n in 0 1 2; do
        c="$out/node$n/counters.csv"
        grep -q "^peer,node3_down_events,[1-9]" "$c" || bad "node $n never saw node 3 go down"
        # Up at the start and again after the restart (at the very end nodes stop one
        # after the other, so the final state says nothing).
        grep -q "^peer,node3_up_events,[2-9]" "$c" || bad "node $n never saw node 3 come back"
        grep -q "^node,owner_restarts,[1-9]" "$c" || bad "node $n did not see node 3's new incarnation"
        [ "$(counter "$c" workload targets_converged)" = 4 ] || bad "node $n: not every area converged"
        [ "$(counter "$c" workload probe_torn)" = 0 ] || bad "node $n saw a torn version"
    done
    check_joined "$out"
    [ -s "$out/versions-node3-restart.csv" ] || bad "the restarted node's files were not collected"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

local_workload() {
    local rid=tsvrl$$ out="$WORK/rl" n
    snapshot > "$WORK/before"
    "$LAUNCH" --config hw-configs/local-memif.ini --duration 3 --out "$out" --run-id "$rid" \
        --build "$BUILD" -- --workload local --param read_nodes=all --param write_for_ms=1500 \
        --param read_us=200 --param require_converged=1 > "$WORK/rl.txt" 2>&1
    local rc=$?
    [ $rc = 0 ] || bad "exit status $rc: $(cat "$WORK/rl.txt")
$(node_logs "$out")"
    for n in 0 1; do
        grep -q '"ok": true' "$out/node$n/manifest.json" || bad "node $n: verdict not ok"
        [ -s "$out/node$n/samples.csv" ] || bad "node $n: no samples.csv"
        grep -q "^workload,targets_converged,2$" "$out/node$n/counters.csv" ||
            bad "node $n: not every area converged"
    done
    [ ! -e "$out/visibility.csv" ] || bad "a local-workload run was joined"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

interrupt() {
    local rid=tsvri$$ out="$WORK/ri"
    snapshot > "$WORK/before"
    # A background job gets SIGINT ignored (no job control); give the launcher the default
    # disposition back, as a terminal's Ctrl-C would find it.
    setsid env --default-signal=INT "$LAUNCH" --config hw-configs/local-bridge.ini --duration 60 --out "$out" \
        --run-id "$rid" --build "$BUILD" > "$WORK/ri.txt" 2>&1 &
    local lp=$! i n up
    for i in $(seq 150); do # all four nodes running (up to 30 s)
        up=0
        for n in 0 1 2 3; do grep -qs "running" "$out/node$n/stdout.log" && up=$((up + 1)); done
        [ $up = 4 ] && break
        sleep 0.2
    done
    [ "$up" = 4 ] || bad "nodes did not start: $(cat "$WORK/ri.txt")"
    kill -INT "$lp"
    wait "$lp"
    local rc=$?
    [ $rc = 130 ] || bad "exit status $rc after SIGINT (expected 130)"
    grep -q "interrupted; tearing down" "$WORK/ri.txt" || bad "no notice of the interruption"
    for n in 0 1 2 3; do
        grep -qs '"stop_reason": "signal' "$out/node$n/manifest.json" ||
            bad "node $n did not stop on the signal with its results written"
    done
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

interrupt_late() {
    local rid=tsvrt$$ out="$WORK/rt" i
    snapshot > "$WORK/before"
    setsid env --default-signal=INT "$LAUNCH" --config hw-configs/local-bridge.ini --duration 2 --out "$out" \
        --run-id "$rid" --build "$BUILD" > "$WORK/rt.txt" 2>&1 &
    local lp=$!
    for i in $(seq 3000); do # the teardown has begun (up to 30 s)
        grep -qs "teardown" "$out/launch.log" && break
        sleep 0.01
    done
    grep -qs "teardown" "$out/launch.log" || bad "the run never reached its teardown: $(cat "$WORK/rt.txt")"
    kill -INT "$lp"
    wait "$lp"
    local rc=$?
    [ $rc = 130 ] || bad "exit status $rc after SIGINT (expected 130)"
    grep -q "interrupted; tearing down" "$WORK/rt.txt" ||
        bad "no notice of the interruption: $(cat "$WORK/rt.txt"; tail -5 "$out/launch.log")"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

node_failure() {
    local rid=tsvrf$$ out="$WORK/rf"
    snapshot > "$WORK/before"
    "$LAUNCH" --config hw-configs/local-bridge.ini --duration 3 --out "$out" --run-id "$rid" \
        --build "$BUILD" -- --param colour=blue > "$WORK/rf.txt" 2>&1
    local rc=$?
    [ $rc = 1 ] || bad "exit status $rc (expected 1)"
    grep -q "^0,localhost,2$" "$out/nodes.csv" || bad "node 0 status not 2 in nodes.csv"
    grep -q "unknown parameter" "$out/node0/stderr.log" || bad "the node's error is not in its stderr.log"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

name_clash() {
    local rid=tsvrc$$ out="$WORK/rc"
    ip link add "${rid}br" type bridge || { bad "cannot create the clashing bridge"; return; }
    snapshot > "$WORK/before"
    "$LAUNCH" --config hw-configs/local-bridge.ini --duration 3 --out "$out" --run-id "$rid" \
        --build "$BUILD" > "$WORK/rc.txt" 2>&1
    local rc=$?
    [ $rc = 1 ] || bad "exit status $rc (expected 1)"
    grep -q "${rid}br already exists" "$WORK/rc.txt" || bad "no clear message: $(cat "$WORK/rc.txt")"
    ip link show "${rid}br" > /dev/null 2>&1 || bad "the launcher deleted a bridge it did not create"
    ip link delete "${rid}br"
    local left; left=$(leftovers "$WORK/before" "$rid")
    [ -z "$left" ] || bad "left behind: $left"
}

for CASE in "${CASES[@]}"; do
    case_failed=0
    start=$SECONDS
    "$CASE"
    [ "$case_failed" = 0 ] && echo "ok: $CASE ($((SECONDS - start)) s)"
done
exit $fail

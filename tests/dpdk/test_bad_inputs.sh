#!/bin/bash
# test_bad_inputs.sh BUILD_DIR SOURCE_DIR — bad hw-config files and bad arguments of
# tasvir-hwconfig, tasvir-node (and its --params-file), tasvir-collect, launch and
# host-setup: each must exit with status 2 and a message that names the problem (for
# files: file, line and key).  tasvir-node must reject its arguments before EAL starts
# (nothing left in /var/run/dpdk).  tasvir-collect on a directory that is not a run (or a
# run without the versioned workload's files) fails with status 1 and says why.
set -u
BUILD=$1
SRC=$2
HW="$BUILD/experiments/testbed/tasvir-hwconfig"
COLLECT="$BUILD/experiments/testbed/tasvir-collect"
NODE="$BUILD/experiments/node/tasvir-node"
LAUNCH="$SRC/experiments/testbed/launch"
BENCH="$BUILD/experiments/bench/tasvir-bench"
SETUP="$SRC/experiments/testbed/host-setup"
BAD="$SRC/tests/dpdk/bad-configs"
failures=0 checks=0

# expect STATUS FRAGMENT CMD...: CMD exits with STATUS and its stderr (or stdout for
# status 0) contains FRAGMENT.
expect() {
    local want=$1 frag=$2 out rc
    shift 2
    out=$("$@" 2>&1 >/dev/null)
    rc=$?
    [ "$want" = 0 ] && out=$("$@" 2>/dev/null)
    checks=$((checks + 1))
    if [ "$rc" != "$want" ] || [[ "$out" != *"$frag"* ]]; then
        failures=$((failures + 1))
        echo "FAIL: $*"
        echo "      wanted status $want and '$frag'"
        echo "      got status $rc: $out"
    fi
}

cd "$BAD" || exit 1
for f in *.ini; do
    frag=$(sed -n '1s/^; expect: //p' "$f")
    case "$frag" in
        [0-9]*) frag="$f:$frag" ;;
        *) frag="$f: $frag" ;;
    esac
    expect 2 "$frag" "$HW" "$f"
    # tasvir-node reads the same files and reports them the same way.
    expect 2 "$frag" "$NODE" -- --config "$f" --node 0
done
expect 2 "nosuch.ini: cannot open: No such file or directory" "$HW" nosuch.ini
cd "$SRC" || exit 1

# tasvir-hwconfig usage
expect 0 "usage: tasvir-hwconfig" "$HW" --help
expect 2 "expected exactly one FILE" "$HW"
expect 2 "--eal-args needs --node N" "$HW" --eal-args hw-configs/local-memif.ini
expect 2 "--node x: expected a node id" "$HW" --eal-args --node x hw-configs/local-memif.ini
expect 2 "has no [node.9]" "$HW" --eal-args --node 9 hw-configs/local-memif.ini
expect 2 "placeholder {iface} has no value" "$HW" --eal-args --node 0 hw-configs/local-bridge.ini
expect 0 "--vdev=net_af_packet0,iface=veth7" "$HW" --eal-args --node 0 --iface veth7 --run-id tsvq hw-configs/local-bridge.ini
expect 0 "--file-prefix=tsvq-n1" "$HW" --eal-args --node 1 --run-id tsvq hw-configs/local-memif.ini

# tasvir-node arguments (all rejected before EAL init)
before=$(ls /var/run/dpdk 2>/dev/null | sort)
expect 0 "usage: tasvir-node" "$NODE" --help
expect 0 "usage: tasvir-node" "$NODE" -- --help
expect 2 "--config FILE is required" "$NODE" -- --node 0
expect 2 "--node N is required" "$NODE" -- --config hw-configs/local-memif.ini
expect 2 "--node abc: expected a node id in 0..1023" "$NODE" -- --config hw-configs/local-memif.ini --node abc
expect 2 "--duration -1: expected seconds >= 0" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --duration -1
expect 2 "unknown option '--frobnicate'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --frobnicate
expect 2 "--out needs a value" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --out
expect 2 "--param foo: expected KEY=VALUE" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param foo
expect 2 "--param colour: unknown parameter of workload 'versioned'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param colour=blue
expect 2 "--param requireConverged=2: expected 0 or 1 in 0..1" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param requireConverged=2
expect 2 "--param areaBytes=0: expected bytes in 128..1073741824" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param areaBytes=0
expect 2 "--param writeRate=-1: expected writes per second per area in 0..1e+09" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param writeRate=-1
expect 2 "--param writePattern=zigzag: expected seq or random" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param writePattern=zigzag
expect 2 "--param writeArrival=bursty: expected constant or poisson" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param writeArrival=bursty
expect 2 "--param subscription=some: expected none, all, one or random" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param subscription=some
expect 2 "--param writeStop=5: expected a duration with a unit" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param writeStop=5
expect 2 "--param linesPerWrite=2000 exceeds the 1023 data lines of an area of areaBytes=65536" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param linesPerWrite=2000
expect 2 "--param: syncExt=10: expected whole microseconds with a unit" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param syncExt=10
expect 2 "--param: syncInt=1500ns: expected whole microseconds with a unit" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param syncInt=1500ns
expect 2 "--param lossRate: a tasvir-sim option; on hardware the testbed file" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param lossRate=0.1
expect 2 "--param local: unknown parameter of workload 'local'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --workload local --param local=1
expect 2 "--param require_converged=2: expected 0 or 1 in 0..1" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --workload local --param require_converged=2
expect 2 "--workload nope: unknown workload" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --workload nope
expect 2 "--node 5: hw-configs/local-memif.ini has no [node.5]" "$NODE" -- --config hw-configs/local-memif.ini --node 5
expect 2 "workload versioned needs 5 worker lcores; [node.0] of hw-configs/local-memif.ini has 2" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param threads=5
expect 2 "workload local needs 6 worker lcores; [node.0] of hw-configs/local-memif.ini has 2" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --workload local --param readers=5
expect 2 "--label a,b: expected 1..200 characters without ','" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --label a,b
expect 2 "--params-file nosuch.conf: cannot open" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --params-file nosuch.conf
expect 2 "placeholder {iface} has no value" "$NODE" -- --config hw-configs/local-bridge.ini --node 0
expect 2 "--log-level loud: expected err, warn, info or debug" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --log-level loud
expect 2 "--sync-int-us 0: expected microseconds" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --sync-int-us 0
expect 2 "unexpected argument 'extra'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 extra
# --params-file: tasvir-sim's "key = value" format; errors name the file and the line
PF=$(mktemp -d /tmp/tsvpf.XXXXXX)
printf '# experiment\nwriteRate = 500\nlossRate = 0.01   # simulator only: ignored here\nwritePattern\n' > "$PF/noeq.conf"
expect 2 "noeq.conf:4: expected 'key = value', got 'writePattern'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --params-file "$PF/noeq.conf"
printf 'syncExt = 1ms\nwriteRate = fast\n' > "$PF/badval.conf"
expect 2 "badval.conf:2: --param writeRate=fast: expected writes per second" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --params-file "$PF/badval.conf"
printf 'param = threads\n' > "$PF/badparam.conf"
expect 2 "badparam.conf:1: param=threads: expected param=KEY=VALUE" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --params-file "$PF/badparam.conf"
printf 'syncInt = 1ms\nnodes = 4\nlinkRate = 10Gbps\nparam = threads=9\n' > "$PF/threads.conf"
expect 2 "workload versioned needs 9 worker lcores" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --params-file "$PF/threads.conf"
rm -rf "$PF"
after=$(ls /var/run/dpdk 2>/dev/null | sort)
checks=$((checks + 1))
if [ "$before" != "$after" ]; then
    failures=$((failures + 1))
    echo "FAIL: tasvir-node argument errors left EAL state in /var/run/dpdk: $after"
fi

# launch arguments
OUTD=$(mktemp -d /tmp/tsvbad.XXXXXX)
trap 'rm -rf "$OUTD"' EXIT
expect 0 "usage: launch" "$LAUNCH" --help
expect 2 "--config FILE is required" "$LAUNCH" --out "$OUTD/a"
expect 2 "--out DIR is required" "$LAUNCH" --config hw-configs/local-memif.ini
expect 2 "unknown argument '--fast'" "$LAUNCH" --fast
expect 2 "--duration soon: expected seconds" "$LAUNCH" --config hw-configs/local-memif.ini --out "$OUTD/a" --duration soon --build "$BUILD"
expect 2 "bad-mtu.ini:5: [testbed] mtu = 70000" "$LAUNCH" --config tests/dpdk/bad-configs/bad-mtu.ini --out "$OUTD/a" --build "$BUILD"
expect 2 "--config nosuch.ini: cannot read the file" "$LAUNCH" --config nosuch.ini --out "$OUTD/a" --build "$BUILD"
expect 2 "tasvir-hwconfig not found" "$LAUNCH" --config hw-configs/local-memif.ini --out "$OUTD/a" --build /nonexistent
expect 2 "--run-id 1x: expected 3..24 letters and digits" "$LAUNCH" --config hw-configs/local-memif.ini --out "$OUTD/a" --run-id 1x --build "$BUILD"
expect 2 "exceed 15 characters" "$LAUNCH" --config hw-configs/local-bridge.ini --out "$OUTD/a" --run-id tsvabcdefghijk --build "$BUILD"
expect 2 "--kill soon: expected N@T or N@T+R" "$LAUNCH" --config hw-configs/local-bridge.ini --out "$OUTD/a" --kill soon --build "$BUILD"
expect 2 "--kill: hw-configs/local-bridge.ini has no [node.9]" "$LAUNCH" --config hw-configs/local-bridge.ini --out "$OUTD/a" --kill 9@1 --build "$BUILD"
expect 2 "--kill 1@8+5: the kill (and restart) must fall inside the 10s run" "$LAUNCH" --config hw-configs/local-bridge.ini --out "$OUTD/a" --duration 10 --kill 1@8+5 --build "$BUILD"

# the figure scripts refuse an output directory holding earlier runs (they would be read
# back as this campaign's)
mkdir -p "$OUTD/old/hw-ext1000-1"
scripts="staleness goodput knobs"
[ -x "$BUILD/sim/tasvir-sim" ] && scripts="$scripts sim-vs-hw" # (a build without ns-3 has none)
for s in $scripts; do
    expect 2 "--out $OUTD/old exists and is not empty" "$SRC/experiments/hw/$s" --build "$BUILD" --out "$OUTD/old"
done
expect 2 "--kill: only for local testbeds" "$LAUNCH" --config hw-configs/example-cluster.ini --out "$OUTD/a" --kill 1@2 --dry-run --build "$BUILD"
expect 2 "--calibrate writes a calibration file, not a run: no --out" "$LAUNCH" --config hw-configs/local-bridge.ini --calibrate --out "$OUTD/a" --dry-run --build "$BUILD"
expect 2 "--rounds 0: expected a whole number in 1..20" "$LAUNCH" --config hw-configs/example-cluster.ini --calibrate --rounds 0 --dry-run --build "$BUILD"
expect 2 "--calib-out needs --calibrate" "$LAUNCH" --config hw-configs/local-bridge.ini --out "$OUTD/a" --calib-out "$OUTD/c" --dry-run --build "$BUILD"
expect 2 "--note: expected one line of text without '#'" "$BENCH" calibrate --note 'a#b'
expect 2 "--port-iface, --port-sink-netns and --port-sink-iface go together" "$BENCH" calibrate --quick --port-iface lo
expect 2 "--port-iface: expected an interface name (1..15 characters)" "$BENCH" calibrate --port-iface abcdefghijklmnopq --port-sink-netns /proc/self/ns/net --port-sink-iface lo
expect 1 "port transmit: no interface 'tsvnope0' here" "$BENCH" calibrate --quick --port-iface tsvnope0 --port-sink-netns /proc/self/ns/net --port-sink-iface lo
expect 1 "--port-sink-netns /nonexistent-ns: No such file or directory" "$BENCH" calibrate --quick --port-iface lo --port-sink-netns /nonexistent-ns --port-sink-iface lo
mkdir -p "$OUTD/full" && touch "$OUTD/full/x"
expect 2 "exists and is not empty" "$LAUNCH" --config hw-configs/local-memif.ini --out "$OUTD/full" --build "$BUILD"

# tasvir-collect
expect 0 "usage: tasvir-collect" "$COLLECT" --help
expect 2 "RUNDIR is required" "$COLLECT"
expect 2 "expected exactly one RUNDIR" "$COLLECT" a b
expect 2 "--link-rate-mbps fast: expected a rate in Mbit/s" "$COLLECT" --link-rate-mbps fast "$OUTD"
expect 2 "--one-way-ns -5: expected nanoseconds >= 0" "$COLLECT" --one-way-ns -5 "$OUTD"
expect 2 "--label x\"y: expected 1..200 characters" "$COLLECT" --label 'x"y' "$OUTD"
expect 2 "/nonexistent-run: cannot open the run directory" "$COLLECT" /nonexistent-run
expect 2 "--warmup-s soon: expected seconds >= 0" "$COLLECT" --warmup-s soon "$OUTD"
expect 2 "--out: expected a directory" "$COLLECT" --out "" "$OUTD"
mkdir -p "$OUTD/notrun"
expect 1 "no node<N>/ directories (is this a launcher run directory?)" "$COLLECT" "$OUTD/notrun"
mkdir -p "$OUTD/local/node0" && printf '{"mode": "hw", "params": {}}\n' > "$OUTD/local/node0/manifest.json"
expect 1 "no node wrote the versioned workload's files" "$COLLECT" "$OUTD/local"
printf '{"mode": "hw", "mode": "sim"}\n' > "$OUTD/local/node0/manifest.json"
expect 1 "node0/manifest.json:1: duplicate object key" "$COLLECT" "$OUTD/local"
expect 2 "--link-rate-mbps abc: expected a rate in Mbit/s" "$LAUNCH" --config hw-configs/local-memif.ini --out "$OUTD/a" --link-rate-mbps abc --build "$BUILD"

# host-setup arguments
expect 0 "usage: host-setup" "$SETUP" --help
expect 2 "--pci 3b:00: expected an address like 0000:3b:00.0" "$SETUP" --dry-run --pci 3b:00
expect 2 "--hugepage-size 4M: expected 2M or 1G" "$SETUP" --dry-run --hugepage-size 4M
expect 2 "--hugepages many: expected a number" "$SETUP" --dry-run --hugepages many
expect 2 "unknown argument '--now'" "$SETUP" --now

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]

#!/bin/bash
# test_bad_inputs.sh BUILD_DIR SOURCE_DIR — bad hw-config files and bad arguments of
# tasvir-hwconfig, tasvir-node, launch and host-setup: each must exit with status 2 and a
# message that names the problem (for files: file, line and key).  tasvir-node must reject
# its arguments before EAL starts (nothing left in /var/run/dpdk).
set -u
BUILD=$1
SRC=$2
HW="$BUILD/experiments/testbed/tasvir-hwconfig"
NODE="$BUILD/experiments/node/tasvir-node"
LAUNCH="$SRC/experiments/testbed/launch"
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
expect 2 "--param colour: unknown parameter of workload 'local'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param colour=blue
expect 2 "--param require_converged=2: expected 0 or 1 in 0..1" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param require_converged=2
expect 2 "--param area_bytes=0: expected bytes in 64..1073741824" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param area_bytes=0
expect 2 "--workload nope: unknown workload" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --workload nope
expect 2 "--node 5: hw-configs/local-memif.ini has no [node.5]" "$NODE" -- --config hw-configs/local-memif.ini --node 5
expect 2 "workload local needs 6 worker lcores; [node.0] of hw-configs/local-memif.ini has 2" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --param readers=5
expect 2 "placeholder {iface} has no value" "$NODE" -- --config hw-configs/local-bridge.ini --node 0
expect 2 "--log-level loud: expected err, warn, info or debug" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --log-level loud
expect 2 "--sync-int-us 0: expected microseconds" "$NODE" -- --config hw-configs/local-memif.ini --node 0 --sync-int-us 0
expect 2 "unexpected argument 'extra'" "$NODE" -- --config hw-configs/local-memif.ini --node 0 extra
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
expect 2 "--kill: only for local testbeds" "$LAUNCH" --config hw-configs/example-cluster.ini --out "$OUTD/a" --kill 1@2 --dry-run --build "$BUILD"
mkdir -p "$OUTD/full" && touch "$OUTD/full/x"
expect 2 "exists and is not empty" "$LAUNCH" --config hw-configs/local-memif.ini --out "$OUTD/full" --build "$BUILD"

# host-setup arguments
expect 0 "usage: host-setup" "$SETUP" --help
expect 2 "--pci 3b:00: expected an address like 0000:3b:00.0" "$SETUP" --dry-run --pci 3b:00
expect 2 "--hugepage-size 4M: expected 2M or 1G" "$SETUP" --dry-run --hugepage-size 4M
expect 2 "--hugepages many: expected a number" "$SETUP" --dry-run --hugepages many
expect 2 "unknown argument '--now'" "$SETUP" --now

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]

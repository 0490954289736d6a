#!/bin/bash
# ext_calibrate_test.sh TASVIR-BENCH WORKDIR — ctest of `tasvir-bench ext` and of how
# `tasvir-bench calibrate` fails: a quick ext run prints its two CSV sections whole (every
# wire and fanout row, every figure finite, the wire cases' frames and bytes as the
# version's size implies); bad arguments exit 2 with a message; calibrate with an output
# file it cannot write, or with one CPU, exits 1 at once and says why.  Measures nothing.
set -u
BENCH=$1 WORK=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1

# expect RC FRAGMENT CMD...: CMD exits RC and its stderr contains FRAGMENT
expect() {
    local want=$1 frag=$2 rc
    shift 2
    timeout 60 "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ $rc -eq "$want" ] || fail "$*: exit $rc, expected $want"
    grep -qF -- "$frag" "$WORK/err" || fail "$*: no '$frag' in: $(cat "$WORK/err")"
    return 0
}

# ext --quick: a wire header and 4 rows (MTU 1500/9000 x dense/sparse), then a fanout
# header and 4 cases x 2 subscribers (--nodes 3)
"$BENCH" ext --quick --nodes 3 >"$WORK/ext.csv" 2>"$WORK/ext.err" ||
    fail "ext --quick failed: $(tail -3 "$WORK/ext.err")"
[ "$(grep -c '^bench,' "$WORK/ext.csv")" -eq 2 ] || fail "ext: expected two CSV headers"
[ "$(grep -c '^wire,' "$WORK/ext.csv")" -eq 4 ] || fail "ext: expected 4 wire rows"
[ "$(grep -c '^fanout,' "$WORK/ext.csv")" -eq 8 ] || fail "ext: expected 8 fanout rows"
grep -qiE '(^|,)-?(nan|inf)(,|$)' "$WORK/ext.csv" && fail "ext: a figure is not finite"
# wire: dense versions change all 16384 lines of the 1 MiB area, sparse ones 2048; the
# payload is the changed bytes; a frame's bytes never exceed the MTU plus the Ethernet header
awk -F, '$1 == "wire" {
    want = ($3 == "dense") ? 16384 : 2048
    if ($5 != want || $8 != want * 64 || $7 < 1 || $6 != $7 + 1 ||
        $9 > $6 * ($2 + 14) || $10 <= 0 || $10 > 1)
        { print "bad wire row: " $0; bad = 1 }
} END { exit bad }' "$WORK/ext.csv" || fail "ext: wire rows inconsistent"
# fanout: every subscriber received data (more than nothing per byte changed)
awk -F, '$1 == "fanout" && !($8 > 0 && $7 > 0) { print "bad fanout row: " $0; bad = 1 }
    END { exit bad }' "$WORK/ext.csv" || fail "ext: a subscriber received nothing"

expect 2 "--nodes: expected an integer in [2, 8], got '9'" "$BENCH" ext --nodes 9
expect 2 "unknown option '--bogus'" "$BENCH" ext --bogus
expect 2 "unexpected argument 'x'" "$BENCH" ext x

# a note for the file's one-line note field: no carriage return either
expect 2 "--note: expected one line of text without '#'" "$BENCH" calibrate --note "$(printf 'a\rb')"
# calibrate fails before measuring when it cannot write its file or has one CPU
expect 1 "calibrate: --out: cannot write $WORK/none/x.calib.tmp: No such file or directory" \
    "$BENCH" calibrate --quick --out "$WORK/none/x.calib"
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
    expect 1 "calibrate: needs 2 CPUs it may run on, has 1" taskset -c 0 "$BENCH" calibrate --quick
fi
echo "ok"

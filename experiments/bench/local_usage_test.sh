#!/bin/bash
# local_usage_test.sh TASVIR-BENCH WORKDIR — ctest of `tasvir-bench local`'s arguments: bad
# values exit 2 with a message that names the option and the value; --copy-sizes sets the
# sync_copy cells (one row per size, layout and copier count, with the areas the help
# gives); the host probe's rows and summary line; the host's steal and other processes' CPU
# time (with a spinning shell beside one run); the clock the core reads (--clock).
# Measures nothing.
set -u
BENCH=$1 WORK=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1

# expect FRAGMENT ARGS...: `local ARGS` exits 2 and its stderr contains FRAGMENT
expect() {
    local frag=$1 rc
    shift
    "$BENCH" local "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ $rc -eq 2 ] || fail "local $*: exit $rc, expected 2"
    grep -qF -- "$frag" "$WORK/err" || fail "local $*: no '$frag' in: $(cat "$WORK/err")"
    [ -s "$WORK/out" ] && fail "local $*: printed on stdout"
    return 0
}
"$BENCH" local --help | grep -q -- "--copy-sizes LIST" || fail "--help lacks --copy-sizes"
expect "--copy-sizes: size '3M' is not a power of two" --copy-sizes 3M
expect "--copy-sizes: size 128M out of range [4096, 67108864] bytes" --copy-sizes 128M
expect "--copy-sizes: size 2K out of range" --copy-sizes 1M,2K
expect "--copy-sizes: expected a size like 4096, 64K, 1M or 32MiB, got 'x'" --copy-sizes 1M,x
expect "--copy-sizes: empty list" --copy-sizes ,
expect "--copy-sizes: at most 8 values" --copy-sizes 4K,4K,4K,4K,4K,4K,4K,4K,4K
expect "option '--copy-sizes' needs an argument" --copy-sizes
expect "--sizes: size 2G out of range" --sizes 2G
expect "--sync-int-us: expected an integer in [10, 10000000], got '5'" --sync-int-us 5
expect "--only: unknown section or workload 'bogus'" --only bogus
expect "unknown option '--bogus'" --bogus
expect "--clock: unknown 'rtc' (auto, monotonic, tsc)" --clock rtc
expect "--loop: unknown 'fast' (lean, prototype)" --loop fast

# the clock the core reads: named in the header, whichever is asked for (the TSC where
# this CPU has an invariant one: auto picks it, and an explicit tsc is refused otherwise)
# and in the last two columns of every row (clock, copy_isa), with the copies in use
for clk in monotonic auto; do
    "$BENCH" local --quick -r 1 -o log_cost --clock $clk >"$WORK/k.csv" 2>"$WORK/k.err" ||
        fail "a log_cost run with --clock $clk failed: $(tail -3 "$WORK/k.err")"
    grep -q "the core reads the time from " "$WORK/k.err" || fail "--clock $clk: no clock line"
    isa=$(sed -n 's/.*internal sync copies lines with .* (--copy-isa \([a-z0-9-]*\))$/\1/p' "$WORK/k.err")
    want=$clk
    [ $clk = auto ] && { want=monotonic; grep -q "from the TSC" "$WORK/k.err" && want=tsc; }
    [ "$(head -n 1 "$WORK/k.csv" | awk -F, '{ print $(NF - 1) "," $NF }')" = "clock,copy_isa" ] ||
        fail "--clock $clk: the header does not end with clock,copy_isa"
    got=$(tail -n +2 "$WORK/k.csv" | awk -F, '{ print $(NF - 1) "," $NF }' | sort -u | tr '\n' ' ')
    [ "$got" = "$want,$isa " ] || fail "--clock $clk: settings '$got', want '$want,$isa'"
done
grep -q "from CLOCK_MONOTONIC (--clock monotonic)\|from the TSC (--clock tsc" "$WORK/k.err" ||
    fail "--clock auto: $(grep 'reads the time' "$WORK/k.err")"
if grep -q "from the TSC" "$WORK/k.err"; then
    "$BENCH" local --quick -r 1 -o log_cost --clock tsc >/dev/null 2>"$WORK/k.err" ||
        fail "--clock tsc failed where auto picked it: $(tail -3 "$WORK/k.err")"
    grep -q "from the TSC (--clock tsc" "$WORK/k.err" || fail "--clock tsc: no TSC line"
fi

# two small cells: 3 layouts x 2 sizes x 1 and 2 copiers, areas 2x (8x for rnd)
"$BENCH" local --quick -r 1 -o sync_copy --copy-sizes 4K,32K >"$WORK/c.csv" 2>"$WORK/c.err" ||
    fail "a sync_copy run with --copy-sizes failed: $(tail -3 "$WORK/c.err")"
rows=$(cut -d, -f1,3,4,6,7 "$WORK/c.csv" | grep '^sync_copy,' | sort | tr '\n' ' ')
want=""
for c in 1 2; do
    for s in 4096 32768; do
        want+="sync_copy,alt,$((2 * s)),$s,$c sync_copy,dense,$((2 * s)),$s,$c sync_copy,rnd,$((8 * s)),$s,$c "
    done
done
want=$(echo "$want" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
[ "$rows" = "$want" ] || fail "sync_copy rows: got '$rows', want '$want'"
# --write-profile: usage errors, then the rows of one short l1s1 run
expect "--write-profile profiles the l1s1 runs, which --configs leaves out" --write-profile -c l0s0
expect "--write-profile: the overhead section does not run" --write-profile -o log_cost
# 200 ms: under load (other builds on the 2 CPUs) a 30 ms run once profiled no epoch at all
"$BENCH" local --quick -r 1 -d 200 -o RND_W100 -s 1M -i 1000 -c l1s1 --write-profile \
    >"$WORK/p.csv" 2>"$WORK/p.err" || fail "a --write-profile run failed: $(tail -3 "$WORK/p.err")"
awk -F, -v want="since_publish_us ns_per_op ops" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
              n = split(want, w, " ")
              for (k = 1; k <= n; k++) if (!(w[k] in col)) { print "no column " w[k]; bad = 1 }
              next }
    $1 == "overhead" { ovh++ }
    $1 == "write_profile" {
        rows++
        t = $col["since_publish_us"]; ns = $col["ns_per_op"]; ops = $col["ops"]
        if ($col["area_bytes"] != 1048576 || $col["sync_int_us"] != 1000) { print "cells: " $0; bad = 1 }
        if (t < 0 || t > 1000 || t % 50 != 0 || t <= last) { print "bin start " t " after " last; bad = 1 }
        if (!(ns > 0 && ns < 1e6) || !(ops > 0) || ops % 64 != 0) { print "bin: " $0; bad = 1 }
        last = t; total += ops
    }
    END { if (ovh != 1 || rows < 10 || total < 1000) { print ovh " overhead rows, " rows " bins, " total " ops"; bad = 1 }
          exit bad }' last=-1 "$WORK/p.csv" >"$WORK/p.chk" || fail "--write-profile rows: $(cat "$WORK/p.chk")"
"$BENCH" local --quick -r 1 -d 30 -o RND_W100 -s 1M -i 1000 -c l1s1 >"$WORK/q.csv" 2>/dev/null ||
    fail "a run without --write-profile failed"
grep -q '^write_profile,' "$WORK/q.csv" && fail "write_profile rows without --write-profile"
# the host probe: four rows (start and end, worker and engine CPU) pinned, two unpinned,
# each with a time per op; and its summary line
probe_rows() { # probe_rows CSV -> "variant ..." of rows with a sane ns_per_op and ops
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
             $1 == "host_probe" && $col["ns_per_op"] > 0 && $col["ns_per_op"] < 1000 &&
                 $col["ops"] == 1048576 { printf "%s ", $col["variant"] }' "$1"
}
"$BENCH" local --quick -r 1 -o log_cost >"$WORK/h.csv" 2>"$WORK/h.err" ||
    fail "a log_cost run failed: $(tail -3 "$WORK/h.err")"
got=$(probe_rows "$WORK/h.csv")
[ "$got" = "start_worker start_engine end_worker end_engine " ] || fail "host_probe rows: '$got'"
grep -q "host probe, ns per op (start -> end): worker CPU" "$WORK/h.err" ||
    fail "no host probe line in the summary: $(tail -3 "$WORK/h.err")"
# the TLB probe: one row per region (4, 8, 16 MiB) with a time per hop and its page count,
# and its summary line
got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
               $1 == "host_tlb" && $col["ns_per_op"] > 0 && $col["ns_per_op"] < 100000 &&
                   $col["ops"] * 4096 == $col["area_bytes"] { printf "%s ", $col["area_bytes"] }' \
      "$WORK/h.csv")
[ "$got" = "4194304 8388608 16777216 " ] || fail "host_tlb rows: '$got'"
grep -q "host TLB probe, ns per hop through a line of each 4 KiB page, 4 / 8 / 16 MiB: [0-9.]* / [0-9.]* / [0-9.]*$" \
    "$WORK/h.err" || fail "no TLB probe line in the summary: $(tail -4 "$WORK/h.err")"
"$BENCH" local --quick -r 1 -o log_cost --no-pin >"$WORK/h.csv" 2>"$WORK/h.err" ||
    fail "a --no-pin log_cost run failed: $(tail -3 "$WORK/h.err")"
got=$(probe_rows "$WORK/h.csv")
[ "$got" = "start_worker end_worker " ] || fail "host_probe rows with --no-pin: '$got'"
grep -q "host probe, ns per op (start -> end): unpinned" "$WORK/h.err" ||
    fail "no unpinned host probe line in the summary: $(tail -3 "$WORK/h.err")"
# the host's steal: one row per section run and one for the run, each with a time and a
# share in range, and its summary line (where the kernel counts it: /proc/stat)
if [ -r /proc/stat ] && grep -q '^cpu ' /proc/stat; then
    "$BENCH" local --quick -r 1 -o log_cost,idle_scan >"$WORK/s.csv" 2>"$WORK/s.err" ||
        fail "a log_cost,idle_scan run failed: $(tail -3 "$WORK/s.err")"
    got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                   $1 == "host_steal" && $col["steal_ms"] >= 0 && $col["steal_pct"] >= 0 &&
                       $col["steal_pct"] <= 100 { printf "%s ", $col["variant"] }' "$WORK/s.csv")
    [ "$got" = "log_cost idle_scan run " ] || fail "host_steal rows: '$got'"
    grep -q "section idle_scan done in [0-9.]* s; host steal [0-9.]* %, other processes [0-9.]* % of the CPUs" "$WORK/s.err" ||
        fail "no steal and other processes in the section line: $(grep section "$WORK/s.err")"
    # a figure where the kernel has counted steal since boot (the 8th field of the total
    # line), else a line that says it has not
    if awk '$1 == "cpu" { exit !($9 > 0) }' /proc/stat; then
        grep -q "host steal: [0-9]* ms of the [0-9]* CPUs' time over the run" "$WORK/s.err" ||
            fail "no host steal line in the summary: $(tail -3 "$WORK/s.err")"
    else
        grep -q "host steal: none counted since boot" "$WORK/s.err" ||
            fail "no 'none counted' steal line in the summary: $(tail -3 "$WORK/s.err")"
    fi
    # other processes' time: the same rows; with a shell spinning beside the run, the run's
    # row gives them at least a fifth of one CPU (the spinner gets more than that whatever
    # else runs), and the summary flags the run exactly when their share is 5 % or more
    ( while :; do :; done ) &
    spinner=$!
    trap 'kill "$spinner" 2>/dev/null' EXIT
    "$BENCH" local --quick -r 1 -o log_cost,idle_scan >"$WORK/o.csv" 2>"$WORK/o.err"
    rc=$?
    kill "$spinner"
    wait "$spinner" 2>/dev/null
    [ "$rc" = 0 ] || fail "a log_cost,idle_scan run beside a spinner failed: $(tail -3 "$WORK/o.err")"
    got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                   $1 == "other_cpu" && $col["other_cpu_ms"] >= 0 && $col["other_cpu_pct"] >= 0 &&
                       $col["other_cpu_pct"] <= 100 { printf "%s ", $col["variant"] }' "$WORK/o.csv")
    [ "$got" = "log_cost idle_scan run " ] || fail "other_cpu rows: '$got'"
    pct=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                   $1 == "other_cpu" && $col["variant"] == "run" { print $col["other_cpu_pct"] }' "$WORK/o.csv")
    line=$(grep "^  other processes: [0-9]* ms of the [0-9]* CPUs' time over the run" "$WORK/o.err") ||
        fail "no other processes line in the summary: $(tail -3 "$WORK/o.err")"
    ncpu=$(echo "$line" | sed 's/.* ms of the \([0-9]*\) CPUs.*/\1/')
    awk -v p="$pct" -v n="$ncpu" 'BEGIN { exit !(n > 0 && p >= 20 / n) }' ||
        fail "other processes $pct % of $ncpu CPUs with a spinner beside the run: $line"
    if awk -v p="$pct" 'BEGIN { exit !(p >= 5) }'; then
        case "$line" in *"other processes competed"*) ;; *) fail "not flagged at $pct %: $line" ;; esac
    else
        case "$line" in *"competed"*) fail "flagged at $pct %: $line" ;; esac
    fi
fi
echo "local usage: ok"

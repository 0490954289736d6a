#!/bin/bash
# compare_test.sh TASVIR-BENCH SCRIPT WORKDIR — ctest of compare-builds: usage errors exit
# 2 with a message; one run of the same binary as "old" and "new" writes both builds' rows
# to the CSV and prints a median line per figure of the rows it ran; a build that prints
# fewer columns at the end (an older tasvir-bench, played by a wrapper) is compared on the
# columns both print, in either order; any other difference in the columns is exit 1.
# Measures nothing.
set -u
BENCH=$1 SCRIPT=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
"$SCRIPT" --help | grep -q "compare-builds" || fail "--help does not describe the tool"
"$SCRIPT" "$BENCH" 2>"$WORK/e1"; [ $? -eq 2 ] || fail "one executable: expected exit 2"
grep -q "two tasvir-bench executables" "$WORK/e1" || fail "no message for one executable"
"$SCRIPT" --runs 0 "$BENCH" "$BENCH" 2>"$WORK/e2"; [ $? -eq 2 ] || fail "--runs 0: expected exit 2"
"$SCRIPT" "$BENCH" "$WORK/nonexistent" 2>"$WORK/e3"; [ $? -eq 2 ] || fail "missing binary: exit 2"
grep -q "nonexistent" "$WORK/e3" || fail "the missing binary is not named"
"$SCRIPT" "$BENCH" "$BENCH" stray 2>"$WORK/e4"; [ $? -eq 2 ] || fail "stray argument: exit 2"
# a failing tasvir-bench run (a bad option) is exit 1, with its message
"$SCRIPT" --runs 1 --csv "$WORK/bad.csv" "$BENCH" "$BENCH" -- --bogus 2>"$WORK/e5"
[ $? -eq 1 ] || fail "a failing run: expected exit 1"
grep -q "failed" "$WORK/e5" || fail "a failing run is not reported"
"$SCRIPT" --runs 1 --csv "$WORK/c.csv" "$BENCH" "$BENCH" -- --quick -o log_cost -r 1 \
    >"$WORK/summary.txt" 2>"$WORK/err.txt" || fail "a run of log_cost failed: $(tail -3 "$WORK/err.txt")"
head -n 1 "$WORK/c.csv" | grep -q "^build,run,bench," || fail "CSV header: $(head -n 1 "$WORK/c.csv")"
[ "$(grep -c '^old,1,log_cost' "$WORK/c.csv")" -ge 3 ] || fail "old rows missing from the CSV"
[ "$(grep -c '^new,1,log_cost' "$WORK/c.csv")" -ge 3 ] || fail "new rows missing from the CSV"
grep -Eq "^log_cost line_set area=1048576 changed=64 +ns_per_call: +old [0-9.e+-]+ \([0-9.e+-]+-[0-9.e+-]+, n=1\) +new [0-9.e+-]+ " \
    "$WORK/summary.txt" || fail "no median line for line_set: $(cat "$WORK/summary.txt")"
grep -Eq "^host_probe start_worker +ns_per_op: +old [0-9.e+-]+ \([0-9.e+-]+-[0-9.e+-]+, n=1\) +new " \
    "$WORK/summary.txt" || fail "no median line for the host probe: $(cat "$WORK/summary.txt")"
grep -Eq "^host_tlb chase area=16777216 +ns_per_op: +old [0-9.e+-]+ \([0-9.e+-]+-[0-9.e+-]+, n=1\) +new " \
    "$WORK/summary.txt" || fail "no median line for the TLB probe: $(cat "$WORK/summary.txt")"
grep -Eq "^settings: +old clock (tsc|monotonic), copy_isa [a-z0-9-]+ +new clock (tsc|monotonic), copy_isa [a-z0-9-]+$" \
    "$WORK/summary.txt" || fail "no settings line: $(tail -2 "$WORK/summary.txt")"
if grep -q '^old,1,host_steal,' "$WORK/c.csv"; then # where /proc/stat can be read
    grep -Eq "^host_steal run +steal_pct: +old [0-9.e+-]+ \([0-9.e+-]+-[0-9.e+-]+, n=1\) +new " \
        "$WORK/summary.txt" || fail "no median line for the host's steal: $(cat "$WORK/summary.txt")"
    grep -Eq "^other_cpu run +other_cpu_pct: +old [0-9.e+-]+ \([0-9.e+-]+-[0-9.e+-]+, n=1\) +new " \
        "$WORK/summary.txt" || fail "no median line for other processes: $(cat "$WORK/summary.txt")"
fi

# an "older" build: the same CSV without its last two columns; a "different" one: without
# its fourth column
printf '#!/bin/bash\nset -o pipefail\n"%s" "$@" | rev | cut -d, -f3- | rev\n' "$BENCH" >"$WORK/older"
printf '#!/bin/bash\nset -o pipefail\n"%s" "$@" | cut -d, -f1-3,5-\n' "$BENCH" >"$WORK/other"
chmod +x "$WORK/older" "$WORK/other"
# rows of the common columns, with build and run in front
width=$(( $(head -n 1 "$WORK/c.csv" | tr ',' '\n' | wc -l) - 2 ))
for order in older-first newer-first; do
    if [ $order = older-first ]; then a=$WORK/older b=$BENCH; else a=$BENCH b=$WORK/older; fi
    "$SCRIPT" --runs 1 --csv "$WORK/o.csv" "$a" "$b" -- --quick -o log_cost -r 1 \
        >"$WORK/o.txt" 2>"$WORK/o.err" || fail "$order: $(tail -3 "$WORK/o.err")"
    grep -q "2 more CSV column(s)" "$WORK/o.err" || fail "$order: no note on the extra columns"
    [ "$(awk -F, '{print NF}' "$WORK/o.csv" | sort -u)" = "$width" ] ||
        fail "$order: rows of other widths than the $((width - 2)) common columns + build, run"
    [ "$(grep -c '^old,1,log_cost' "$WORK/o.csv")" -ge 3 ] &&
        [ "$(grep -c '^new,1,log_cost' "$WORK/o.csv")" -ge 3 ] || fail "$order: rows missing"
    grep -Eq "ns_per_call: +old" "$WORK/o.txt" || fail "$order: no summary"
    grep -q "^settings:" "$WORK/o.txt" && fail "$order: a settings line without the columns"
done
"$SCRIPT" --runs 1 --csv "$WORK/x.csv" "$BENCH" "$WORK/other" -- --quick -o log_cost -r 1 \
    >/dev/null 2>"$WORK/x.err"
[ $? -eq 1 ] || fail "different columns: expected exit 1"
grep -q "different CSV columns" "$WORK/x.err" || fail "different columns are not reported"
echo "compare-builds ok: $(wc -l <"$WORK/summary.txt") summary lines"

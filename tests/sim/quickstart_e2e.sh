#!/usr/bin/env bash
# quickstart_e2e.sh ROOT BUILD_DIR — `experiments/run quickstart` end to end, as a user runs
# it: packages checked, tasvir-sim and tasvir-analyze configured and built (Release) in
# BUILD_DIR (incremental after the first run), the three simulated runs (2 s each:
# TASVIR_QUICKSTART_DURATION) and the analysis.  Checks: exit 0; staleness-cdf.png is a PNG
# (signature 89 50 4E 47 0D 0A 1A 0A) of more than 10 kB; staleness-cdf.pdf is a PDF; the
# table has a row per interval with the bound met; the results directory is printed.
set -euo pipefail
root=$1
build=$2
tmp=$(mktemp -d /tmp/tasvir-quickstart-e2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "quickstart_e2e: $*" >&2; exit 1; }

TASVIR_BUILD_DIR=$build TASVIR_QUICKSTART_DURATION=2s \
  "$root/experiments/run" quickstart --out "$tmp/qs" >"$tmp/stdout" 2>"$tmp/stderr" ||
  { cat "$tmp/stderr" >&2; fail "experiments/run quickstart failed"; }
cat "$tmp/stdout"

png=$tmp/qs/staleness-cdf.png
pdf=$tmp/qs/staleness-cdf.pdf
[ -f "$png" ] || fail "$png missing"
sig=$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] || fail "$png: not a PNG (starts with $sig)"
size=$(stat -c %s "$png")
[ "$size" -gt 10000 ] || fail "$png: only $size bytes"
[ -s "$pdf" ] || fail "$pdf missing or empty"
[ "$(head -c 5 "$pdf")" = "%PDF-" ] || fail "$pdf: not a PDF"
for e in 1 10 100; do
  grep -Eq "^  ext $e ms +[0-9]+ .* yes$" "$tmp/stdout" || fail "no row for ext $e ms with the bound met"
done
grep -q "^results: $tmp/qs\$" "$tmp/stdout" || fail "the results directory is not printed"
grep -q "building tasvir-sim and tasvir-analyze" "$tmp/stderr" || fail "no build progress on stderr"
echo "quickstart_e2e: ok (PNG $size bytes)"

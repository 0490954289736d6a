# lib.sh — sourced by the experiments/hw scripts.
#
# variant_config: derive a testbed file from another
# with some keys changed (the knobs of the figures: relax, lcores, epoch_window_us, ...).
#
#   variant_config SRC DST KEY=VALUE...
# A key of [testbed] (relax, epoch_window_us, nack_gap_us, clock, ...) replaces that line
# of [testbed], or is added to it; `lcores` replaces the lcores of every [node.N]; `vdev+`
# appends ",VALUE" to every net_memif vdev argument (e.g. vdev+=rsize=12).  The scripts
# check the result with tasvir-hwconfig (a bad key or value stops them with its message).

# fresh_out DIR: make DIR the campaign's output directory; one that exists and is not empty
# is refused (exit 2): its earlier runs would be read back as this campaign's (a launch
# refuses to write into a run directory that exists, and the script would go on with the
# old one).
fresh_out() {
    if [ -d "$1" ] && [ -n "$(ls -A "$1" 2>/dev/null)" ]; then
        echo "$PROG: --out $1 exists and is not empty: choose a new directory (its runs would be mixed into this campaign's figures)" >&2
        exit 2
    fi
    mkdir -p "$1" || exit 1
}

variant_config() {
    local src=$1 dst=$2
    shift 2
    cp "$src" "$dst" || return 1
    local kv k v
    for kv in "$@"; do
        [[ "$kv" == *=* ]] || { echo "variant: '$kv': expected KEY=VALUE" >&2; return 2; }
        k=${kv%%=*} v=${kv#*=}
        case "$k" in
            lcores)
                awk -v v="$v" '/^\[node\./ { n = 1 } /^\[testbed\]/ { n = 0 }
                    n && /^lcores *=/ { print "lcores = " v; next } { print }' "$dst" > "$dst.tmp" ;;
            vdev+)
                sed "s/\(--vdev=net_memif[^ ]*\)/\1,$v/" "$dst" > "$dst.tmp" ;;
            *)
                awk -v k="$k" -v v="$v" '
                    /^\[/ { if (tb && !done) { print k " = " v; done = 1 } tb = ($0 == "[testbed]") }
                    tb && $0 ~ "^" k " *=" { print k " = " v; done = 1; next }
                    { print }
                    END { if (tb && !done) print k " = " v }' "$dst" > "$dst.tmp" ;;
        esac
        mv "$dst.tmp" "$dst" || return 1
    done
}

# ---- machine load during a run -----------------------------------------------------------
# cpu_stat: "busy steal total" jiffies of the whole machine (/proc/stat).
cpu_stat() {
    awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8; print busy, $9, busy + $5 + $6 + $9 }' /proc/stat
}

# other_load BEFORE AFTER RUNDIR: "other_cpu_pct steal_pct": the share of the machine's CPU
# time (all CPUs) used by everything but the run's tasvir-node processes (their CPU time
# from their manifests), and the share stolen by the hypervisor, between the two samples.
other_load() {
    local hz; hz=$(getconf CLK_TCK)
    local ours; ours=$(cat "$3"/node*/manifest.json 2>/dev/null |
        awk '/"user_s"|"system_s"/ { gsub(/[^0-9.]/, "", $2); s += $2 } END { print s + 0 }')
    awk -v b="$1" -v a="$2" -v hz="$hz" -v ours="$ours" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        total = y[3] - x[3]; if (total <= 0) { print "0 0"; exit }
        other = (y[1] - x[1]) - ours * hz; if (other < 0) other = 0
        printf "%.1f %.1f\n", 100 * other / total, 100 * (y[2] - x[2]) / total }'
}

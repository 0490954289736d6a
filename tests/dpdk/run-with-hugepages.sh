#!/bin/bash
# run-with-hugepages.sh PAGES CMD [ARGS...]
# Reserve PAGES more 2 MiB hugepages, mount a private hugetlbfs, run CMD with
# TASVIR_TEST_HUGEDIR pointing at it, then give everything back (also on failure and
# signals).  Needs root.  Exit status: CMD's, or 1 when the pages cannot be had.
set -u
if [ $# -lt 2 ]; then
    echo "usage: run-with-hugepages.sh PAGES CMD [ARGS...]" >&2
    exit 2
fi
pages=$1
shift
nr=/proc/sys/vm/nr_hugepages
dir=$(mktemp -d /tmp/tsvhuge.XXXXXX) || exit 1
reserved=0
cleanup() {
    mountpoint -q "$dir" && umount "$dir"
    rmdir "$dir" 2>/dev/null
    if [ "$reserved" -gt 0 ]; then
        # Give back what we added (others may have changed the pool meanwhile).
        echo $(( $(cat $nr) - reserved )) > $nr
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
before=$(cat $nr)
if ! echo $((before + pages)) > $nr 2>/dev/null; then
    echo "run-with-hugepages: cannot write $nr (root needed)" >&2
    exit 1
fi
after=$(cat $nr)
reserved=$((after - before))
if [ "$reserved" -lt "$pages" ]; then
    echo "run-with-hugepages: the kernel gave $reserved of $pages hugepages (memory fragmented?)" >&2
    exit 1
fi
if ! mount -t hugetlbfs -o pagesize=2M nodev "$dir"; then
    echo "run-with-hugepages: cannot mount hugetlbfs on $dir" >&2
    exit 1
fi
TASVIR_TEST_HUGEDIR=$dir "$@"

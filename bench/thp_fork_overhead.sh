#!/bin/bash
# The harness's price on thp_fork: the full runner (pinned worker, per-op timing
# and histograms, 1 s throughput series, kmsg/taint/vmstat watch, SQLite) against
# the same workload code built with no timing and no stats, run bare. Alternating
# runs, the same seconds, the same CPU; rates from the kernel's own counters
# (pgfault: COW and fault-in faults; thp_split_pmd: PMD splits).
#
# usage: thp_fork_overhead.sh MMTORTURE THP_FORK_BARE [REPS] [SECONDS] [OPTS]
set -eu
M=$1
BARE=$2
REPS=${3:-5}
SECS=${4:-10}
OPTS=${5:-size=64M,children=1,threads=1}
CPU=0
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

rate() { # count elapsed_ns
	awk -v c="$1" -v e="$2" 'BEGIN { printf "%.0f", c / (e / 1e9) }'
}

harness() {
	"$M" run -q -n 1 -p cpus=$CPU -d "${SECS}s" -w "thp_fork:$OPTS" --db "$T/h.db" >/dev/null 2>&1 || true
	local id e f s
	id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
	e=$(sqlite3 "$T/h.db" "select elapsed_ns from jobs where id=$id")
	f=$(sqlite3 "$T/h.db" "select coalesce((select delta from vmstat where job_id=$id and key='pgfault'),0)")
	s=$(sqlite3 "$T/h.db" "select coalesce((select delta from vmstat where job_id=$id and key='thp_split_pmd'),0)")
	echo "$(rate "$f" "$e") $(rate "$s" "$e")"
}

bare() {
	local out
	out=$("$BARE" "$SECS" $CPU "$OPTS")
	set -- $out
	echo "$(rate "$4" "$2") $(rate "$6" "$2")"
}

median() {
	sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

echo "thp_fork:$OPTS, ${SECS}s x $REPS each, alternating, cpu $CPU"
: >"$T/h"
: >"$T/b"
for i in $(seq "$REPS"); do
	bare >>"$T/b"
	harness >>"$T/h"
	echo "  rep $i: bare $(tail -1 "$T/b")  harness $(tail -1 "$T/h")  (faults/s splits/s)"
done
bf=$(cut -d' ' -f1 "$T/b" | median)
hf=$(cut -d' ' -f1 "$T/h" | median)
bs=$(cut -d' ' -f2 "$T/b" | median)
hs=$(cut -d' ' -f2 "$T/h" | median)
printf '\n%-22s %14s %14s %10s\n' "rate (median)" bare harness "harness/bare"
printf '%-22s %14.0f %14.0f %10.4f\n' "faults/s (COW)" "$bf" "$hf" "$(awk -v a="$hf" -v b="$bf" 'BEGIN{print a/b}')"
printf '%-22s %14.0f %14.0f %10.4f\n' "PMD splits/s" "$bs" "$hs" "$(awk -v a="$hs" -v b="$bs" 'BEGIN{print a/b}')"
id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
echo
echo "harness per-op latency, last run (raw limits in shared/notes/MACHINE.md:"
echo "  COW fault ~4.4 us in a fork+write loop; PMD split by MADV_DONTNEED ~12.6 us):"
sqlite3 -column "$T/h.db" "select name, count, round(p50_ns/1000.0,2) as p50_us, round(p99_ns/1000.0,2) as p99_us from job_ops where job_id=$id"

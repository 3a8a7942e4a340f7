#!/bin/bash
# The harness's price on thp_fork, split in two:
#   bare    the workload's own code built with no timing and no stats, run by a
#           tiny driver (one pinned process; no monitor, no kmsg, no store);
#   timed   the same driver with per-op timing and histograms on;
#   harness mmtorture run: pinned, memory-bound worker, 1 s throughput series,
#           kmsg/taint/vmstat watch, hang watchdog, SQLite.
# Each round runs the three back to back on the same CPU for the same seconds;
# rates come from the kernel's own counters (pgfault: the COW and fault-in
# faults; thp_split_pmd: PMD splits). The machine drifts between rounds, so the
# figure is the median over rounds of each round's ratio, with its quartiles.
#
# usage: thp_fork_overhead.sh MMTORTURE BARE BARE_TIMED [ROUNDS] [SECONDS] [OPTS]
set -eu
M=$1
BARE=$2
TIMED=$3
ROUNDS=${4:-15}
SECS=${5:-4}
OPTS=${6:-size=64M,children=1,threads=1}
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

driver() { # binary
	local out
	out=$("$1" "$SECS" $CPU "$OPTS")
	set -- $out
	echo "$(rate "$4" "$2") $(rate "$6" "$2")"
}

quartiles() { # -> "q1 median q3"
	sort -g | awk '{ a[NR] = $1 }
		function q(p,  i) { i = 1 + p * (NR - 1); return a[int(i)] + (i - int(i)) * (a[int(i) + 1] - a[int(i)]) }
		END { printf "%.4f %.4f %.4f", q(0.25), q(0.5), q(0.75) }'
}

echo "thp_fork:$OPTS, $ROUNDS rounds of bare/timed/harness, ${SECS}s each, cpu $CPU"
: >"$T/r"
for i in $(seq "$ROUNDS"); do
	b=$(driver "$BARE")
	t=$(driver "$TIMED")
	h=$(harness)
	echo "$b $t $h" >>"$T/r"
	echo "  round $i: faults/s splits/s  bare $b  timed $t  harness $h"
done
echo
printf '%-16s %-18s %10s %10s %10s   %s\n' metric ratio q1 median q3 "median rates (bare / timed / harness)"
for col in 1 2; do
	name=faults/s
	[ $col = 2 ] && name=splits/s
	med() { awk -v c="$1" '{ print $c }' "$T/r" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
	rates="$(med $col) / $(med $((col + 2))) / $(med $((col + 4)))"
	read -r q1 m q3 <<<"$(awk -v a=$((col + 2)) -v b=$col '{ print $a / $b }' "$T/r" | quartiles)"
	printf '%-16s %-18s %10s %10s %10s   %s\n' "$name" "timed/bare" "$q1" "$m" "$q3" "$rates"
	read -r q1 m q3 <<<"$(awk -v a=$((col + 4)) -v b=$col '{ print $a / $b }' "$T/r" | quartiles)"
	printf '%-16s %-18s %10s %10s %10s\n' "" "harness/bare" "$q1" "$m" "$q3"
done
id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
echo
echo "harness per-op latency, last round (raw limits in shared/notes/MACHINE.md:"
echo "  COW fault ~4.4 us in a fork+write loop; PMD split by MADV_DONTNEED ~12.6 us):"
sqlite3 -column "$T/h.db" "select name, count, round(p50_ns/1000.0,2) as p50_us, round(p99_ns/1000.0,2) as p99_us from job_ops where job_id=$id"

#!/bin/bash
# numa_migrate's migration rate against a bare move_pages loop and stress-ng.
# The rate is the kernel's own count of migrated pages (/proc/vmstat
# pgmigrate_success) per second, for:
#   workload   mmtorture run -w numa_migrate:mode=move_pages,cow=no,... (the
#              job's vmstat delta and elapsed_ns from its --db)
#   bare       bench/numa_migrate_bare: the same move_pages + status query +
#              writers, no tags, no verification, no timing
#   stress-ng  stress-ng --numa 1 (mbind, migrate_pages, move_pages of its
#              buffer), the same counter read around it
# Same seconds, one worker each on CPU 0 (its threads too), alternating rounds;
# medians and ratios
# (goals: workload/bare >= 0.90, workload/stress-ng >= 5).
# Migration needs two memory nodes: with fewer it says so and exits 77.
#
# usage: numa_migrate_bench.sh MMTORTURE BARE [ROUNDS] [SECONDS] [SIZE_MB] [THREADS]
set -eu
. "$(dirname "$0")/lib.sh"
M=$1
BARE=$2
ROUNDS=${3:-5}
SECS=${4:-5}
MB=${5:-16}
THREADS=${6:-1}
BATCH=256
CPU=0
OPTS="mode=move_pages,cow=no,size=${MB}M,threads=$THREADS,batch=$BATCH"

nodes=$(cat /sys/devices/system/node/has_memory 2>/dev/null || echo 0)
nn=$(echo "$nodes" | awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n }')
if [ "$nn" -lt 2 ]; then
	echo "SKIP: cannot measure page migration: needs >= 2 memory NUMA nodes; this machine has $nn (has_memory: $nodes)"
	exit 77
fi

T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT


workload() {
	"$M" run -q -n 1 -p cpus=$CPU -d "${SECS}s" -w "numa_migrate:$OPTS" --db "$T/h.db" >/dev/null 2>&1 || true
	local id e c
	id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
	e=$(sqlite3 "$T/h.db" "select elapsed_ns from jobs where id=$id")
	c=$(sqlite3 "$T/h.db" "select coalesce((select delta from vmstat where job_id=$id and key='pgmigrate_success'),0)")
	[ "$(sqlite3 "$T/h.db" "select status from jobs where id=$id")" = pass ] ||
		echo "workload job did not pass: $(sqlite3 "$T/h.db" "select status || ' ' || reason from jobs where id=$id")" >&2
	rate "$c" "$e"
}

bare() {
	set -- $("$BARE" "$SECS" $CPU "$MB" "$THREADS" "$BATCH")
	rate "$4" "$2"
}

stressng() {
	local b t0 t1 a
	b=$(vm pgmigrate_success)
	t0=$(ns)
	stress-ng --numa 1 --taskset $CPU --timeout "${SECS}s" --metrics-brief >"$T/sng.out" 2>&1 || true
	t1=$(ns)
	a=$(vm pgmigrate_success)
	rate $((a - b)) $((t1 - t0))
}


echo "numa_migrate:$OPTS vs numa_migrate_bare vs stress-ng --numa 1; $ROUNDS rounds of ${SECS}s; memory nodes $nodes"
rounds "pgmigrate_success/s"
wm=$(awk '{ print $1 }' "$T/r" | median)
bm=$(awk '{ print $2 }' "$T/r" | median)
sm=$(awk '{ print $3 }' "$T/r" | median)
echo
printf '%-34s %14s\n' "pages migrated/s (median)" ""
printf '%-34s %14s\n' "  mmtorture numa_migrate" "$wm"
printf '%-34s %14s\n' "  bare move_pages loop" "$bm"
printf '%-34s %14s\n' "  stress-ng --numa 1" "$sm"
printf '%-34s %14s   goal >= 0.90\n' "workload/bare" "$(awk -v a="$wm" -v b="$bm" 'BEGIN { printf "%.3f", b ? a / b : 0 }')"
printf '%-34s %14s   goal >= 5\n' "workload/stress-ng" "$(awk -v a="$wm" -v b="$sm" 'BEGIN { printf "%.1f", b ? a / b : 0 }')"
id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
echo
echo "workload per-op latency, last round:"
sqlite3 -column "$T/h.db" "select name, count, round(p50_ns/1000.0,1) as p50_us, round(p99_ns/1000.0,1) as p99_us from job_ops where job_id=$id and count > 0"

#!/bin/bash
# vma_iter's kernel event rates against a bare loop and stress-ng, side by side.
#
# Two events, counted where the kernel does the work:
#   maps lines/s   VMAs iterated through full reads of /proc/self/maps (reads x
#                  lines per read; the job's maps_read count and maps_lines
#                  metric, the bare loop's own counts), over the job's elapsed
#                  time (arena build included, as it is in the bare window);
#   mprotect/s     mprotect syscalls of the whole command (perf, on the
#                  syscall tracepoint), over its wall time: the writer's toggles;
#   VMA writes/s   mmap + munmap + mprotect syscalls likewise: every change to
#                  the VMA tree, the one event stress-ng's mmapmany makes too.
# Contenders, 1 worker each, the same seconds, alternating rounds:
#   mmtorture  -w vma_iter with one maps reader and one mprotect writer (the
#              checker on every read, tags verified once a second);
#   bare       bench/vma_iter_bare.c: the same arena and loops, no checks;
#   stress-ng  --mmapmany 1, the nearest stressor in 0.15.06 (no --vma): it
#              maps as many VMAs as it may and unmaps them; it never reads maps.
#
# usage: vma_iter_bench.sh MMTORTURE BARE [ROUNDS] [SECONDS] [NVMAS]
set -eu
. "$(dirname "$0")/lib.sh"
M=$1
BARE=$2
ROUNDS=${3:-5}
SECS=${4:-5}
N=${5:-60000}
OPTS="vmas=$N,readers=1,writers=1,read=maps,write=mprotect,remote=no"
EV=syscalls:sys_enter_mmap,syscalls:sys_enter_munmap,syscalls:sys_enter_mprotect
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT

for t in perf sqlite3 stress-ng; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done


# perf over a command: prints "mprotect/s writes/s"; its stdout goes to $T/out.
vma_writes() {
	local t0 t1
	t0=$(date +%s%N)
	perf stat -x, -e "$EV" -o "$T/perf" -- "$@" >"$T/out" 2>&1 || true
	t1=$(date +%s%N)
	echo "$(rate "$(awk -F, '/sys_enter_mprotect/ { s += $1 } END { print s + 0 }' "$T/perf")" $((t1 - t0))) $(rate "$(awk -F, '/sys_enter/ { s += $1 } END { print s + 0 }' "$T/perf")" $((t1 - t0)))"
}

workload() {
	local w id e r l
	rm -f "$T/h.db"
	w=$(vma_writes "$M" run -q -n 1 -d "${SECS}s" -w "vma_iter:$OPTS" --db "$T/h.db")
	id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
	e=$(sqlite3 "$T/h.db" "select elapsed_ns from jobs where id=$id")
	r=$(sqlite3 "$T/h.db" "select coalesce(sum(count),0) from job_ops where job_id=$id and name='maps_read'")
	l=$(sqlite3 "$T/h.db" "select coalesce(max(value),0) from metrics where job_id=$id and key='maps_lines'")
	echo "$(rate "$(awk -v r="$r" -v l="$l" 'BEGIN { print r * l }')" "$e") $w"
}

bare() {
	local w
	w=$(vma_writes "$BARE" "$SECS" "$N")
	set -- $(cat "$T/out")
	echo "$(rate $(($4 * $6)) "$2") $w"
}

stressng() {
	local w
	w=$(vma_writes stress-ng --mmapmany 1 --timeout "${SECS}s" --metrics-brief)
	echo "0 $w"
}


echo "vma_iter:$OPTS vs bare vs stress-ng --mmapmany 1; $ROUNDS rounds, ${SECS}s each"
rounds "lines/s mprotect/s writes/s"
echo
printf '%-14s %14s %14s %14s %12s %14s\n' event mmtorture bare stress-ng "mmt/bare" "mmt/stress-ng"
for ev in 1 2 3; do
	name="maps lines/s"
	[ $ev = 2 ] && name="mprotect/s"
	[ $ev = 3 ] && name="VMA writes/s"
	h=$(med $ev "$T/r")
	b=$(med $((ev + 3)) "$T/r")
	s=$(med $((ev + 6)) "$T/r")
	printf '%-14s %14.0f %14.0f %14.0f %12s %14s\n' "$name" "$h" "$b" "$s" \
		"$(awk -v a="$h" -v b="$b" 'BEGIN { printf (b > 0 ? "%.3f" : "n/a"), (b > 0 ? a / b : 0) }')" \
		"$(awk -v a="$h" -v b="$s" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf (0)" }')"
done
echo "goals: mmt/bare >= 0.90, mmt/stress-ng >= 5"

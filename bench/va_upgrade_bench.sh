#!/bin/bash
# va_upgrade's kernel event rate against a bare loop and stress-ng, side by side.
#
# Counted by the kernel, per process tree, with perf (tracepoints and the
# page-faults software event), so other users of the machine do not count:
#   high mmaps/s  mmap(2) calls with a hint >= 1<<46 (top half of the 47-bit
#                 window and above): the boundary cases, at/above/straddling,
#                 fixed and not; the event compared with stress-ng
#   mmaps/s       every mmap(2) call
#   faults/s      page faults: every mapping is touched whole
#   forks/s       sched_process_fork: forks after the high mapping
# Row "sweep": the case sweep alone (fork_every=0); row "fork": the sweep plus
# a fork after the high mapping every round (fork_every=1). Contestants:
#   (a) mmtorture run -w va_upgrade (1 worker on cpu 0; rate over the job's
#       elapsed_ns from its --db; perf also counts the runner's own few mmaps),
#   (b) bench/va_upgrade_bare: the same syscalls, no timing/tags/verification,
#   (c) stress-ng --mmapaddr 1 (random-address mmap; sweep row only).
# Same seconds, same cpu, rounds alternate; medians of per-round rates.
#
# usage: va_upgrade_bench.sh MMTORTURE BARE [ROUNDS] [SECONDS]
set -eu
. "$(dirname "$0")/lib.sh"
M=$1
BARE=$2
ROUNDS=${3:-5}
SECS=${4:-4}
CPU=0
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
EV=(-e syscalls:sys_enter_mmap --filter 'addr >= 0x400000000000' -e syscalls:sys_enter_mmap
	-e page-faults -e sched:sched_process_fork)
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the bare loop replays x86_64 only"; exit 77; }
command -v perf >/dev/null || { echo "SKIP: needs perf"; exit 77; }

counts() { # perf csv -> "high all faults forks"
	awk -F, '!/^#/ && NF > 2 { v[n++] = $1 } END { print v[0], v[1], v[2], v[3] }' "$1"
}

rates() { # "high all faults forks" elapsed_ns -> rates/s
	echo "$1" | awk -v e="$2" '{ printf "%.0f %.0f %.0f %.0f", $1 / (e / 1e9), $2 / (e / 1e9), $3 / (e / 1e9), $4 / (e / 1e9) }'
}

workload() { # fork_every
	rm -f "$T/w.db"
	perf stat -x, -o "$T/p" "${EV[@]}" -- "$M" run -q -n 1 -p cpus=$CPU -d "${SECS}s" \
		-w "va_upgrade:vmas=0,threads=0,exec_every=0,fork_every=$1" --db "$T/w.db" >/dev/null 2>&1 || true
	rates "$(counts "$T/p")" "$(sqlite3 "$T/w.db" "select elapsed_ns from jobs")"
}

bare() { # fork_every
	local out
	out=$(perf stat -x, -o "$T/p" "${EV[@]}" -- taskset -c $CPU "$BARE" "$SECS" "$1")
	rates "$(counts "$T/p")" "$(echo "$out" | awk '{ print $4 }')"
}

stressng() {
	local t0 t1
	t0=$(date +%s%N)
	perf stat -x, -o "$T/p" "${EV[@]}" -- stress-ng --mmapaddr 1 --taskset $CPU \
		--timeout "${SECS}s" --metrics-brief >"$T/s" 2>&1 || true
	t1=$(date +%s%N)
	rates "$(counts "$T/p")" $((t1 - t0))
}


echo "va_upgrade: $ROUNDS rounds x ${SECS}s, cpu $CPU, rates per second (medians)"
for i in $(seq "$ROUNDS"); do
	workload 0 >>"$T/ws"
	echo >>"$T/ws"
	bare 0 >>"$T/bs"
	echo >>"$T/bs"
	stressng >>"$T/ss"
	echo >>"$T/ss"
	workload 1 >>"$T/wf"
	echo >>"$T/wf"
	bare 1 >>"$T/bf"
	echo >>"$T/bf"
	echo "  round $i: sweep w/b/s $(tail -1 "$T/ws" | cut -d' ' -f1) / $(tail -1 "$T/bs" | cut -d' ' -f1) / $(tail -1 "$T/ss" | cut -d' ' -f1) high mmaps/s; fork w/b $(tail -1 "$T/wf" | cut -d' ' -f4) / $(tail -1 "$T/bf" | cut -d' ' -f4) forks/s"
done
echo
printf '%-6s %-13s %12s %12s %12s %10s %10s\n' row event workload bare stress-ng "w/bare" "w/stress"
row() { # name wfile bfile sfile
	local c name w b s
	for c in 1 2 3 4; do
		name=$(echo "high-mmaps/s mmaps/s faults/s forks/s" | cut -d' ' -f$c)
		w=$(med $c "$2")
		b=$(med $c "$3")
		s=-
		[ -n "$4" ] && s=$(med $c "$4")
		[ "$1" = fork ] && [ $c != 4 ] && [ $c != 3 ] && continue
		[ "$1" = sweep ] && [ $c = 4 ] && continue
		printf '%-6s %-13s %12s %12s %12s %10s %10s\n' "$1" "$name" "$w" "$b" "$s" \
			"$(awk -v a="$w" -v b="$b" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }')" \
			"$(awk -v a="$w" -v b="$s" 'BEGIN { printf (b > 0 ? "%.1f" : "-"), a / b }')"
	done
}
row sweep "$T/ws" "$T/bs" "$T/ss"
row fork "$T/wf" "$T/bf" ""
echo
echo "goals: workload/bare >= 0.90; workload/stress-ng >= 5 in high-mmaps/s (stress-ng"
echo "mmapaddr hints random addresses and barely touches them: see its faults/s)."

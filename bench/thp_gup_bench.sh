#!/bin/bash
# thp_gup's kernel event rates, side by side with a bare loop and stress-ng:
#   splits/s   thp_split_pmd per second (the kernel's own counter, /proc/vmstat;
#              for mmtorture the job's stored delta over its elapsed_ns)
#   pages/s    4 KiB pages moved through the pin paths: one 64 KiB window
#              (16 pages) per I/O cycle (O_DIRECT, io_uring fixed, vmsplice,
#              process_vm_*); from the job's op counts and the bare loop's
#              count. No kernel counter covers vmsplice or process_vm_*.
# a) mmtorture run -w thp_gup (1 worker: 1 splitter, 1 I/O thread, 1 helper)
# b) thp_gup_bare: the same syscalls with no timing, stats or verification
# c) stress-ng --vm 1 --vm-madvise hugepage: stress-ng's only stressor that
#    keeps THPs and splits them under load (no stress-ng stressor pins THP
#    memory while splitting it); it moves no pages through a pin path.
# Same seconds, one worker each, alternating rounds; medians printed.
#
# usage: thp_gup_bench.sh MMTORTURE BARE [ROUNDS] [SECONDS]
set -eu
. "$(dirname "$0")/lib.sh"
M=$1
BARE=$2
ROUNDS=${3:-5}
SECS=${4:-4}
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT


workload() {
	"$M" run -q -n 1 -d "${SECS}s" -w thp_gup:size=16M --db "$T/h.db" >/dev/null 2>&1 || true
	local id e s c
	id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
	e=$(sqlite3 "$T/h.db" "select elapsed_ns from jobs where id=$id")
	s=$(sqlite3 "$T/h.db" "select coalesce((select delta from vmstat where job_id=$id and key='thp_split_pmd'),0)")
	c=$(sqlite3 "$T/h.db" "select coalesce(sum(count),0) from job_ops where job_id=$id and name in ('odirect_read','uring_read','vmsplice','pvm_write')")
	echo "$(rate "$s" "$e") $(rate $((c * 16)) "$e")"
}

bare() {
	local a b out
	a=$(vm thp_split_pmd)
	out=$("$BARE" "$SECS" 16 "$T")
	b=$(vm thp_split_pmd)
	set -- $out
	echo "$(rate $((b - a)) "$2") $(rate $(($4 * 16)) "$2")"
}

stressng() {
	local a b t0 t1
	a=$(vm thp_split_pmd)
	t0=$(date +%s%N)
	stress-ng --vm 1 --vm-madvise hugepage --timeout "${SECS}s" --metrics-brief >"$T/sng.out" 2>&1 || true
	t1=$(date +%s%N)
	b=$(vm thp_split_pmd)
	echo "$(rate $((b - a)) $((t1 - t0))) 0"
}

# stress-ng often splits no PMD at all in a round: against one split per run
# (its floor), the ratio is a lower bound, shown as ">=".
floor_ratio() { awk -v a="$1" -v b="$2" -v s="$SECS" 'BEGIN { f = 1 / s; if (b >= f) printf "%.2f", a / b; else printf ">=%.0f", a / f }'; }

command -v stress-ng >/dev/null || { echo "SKIP: stress-ng not installed"; exit 77; }
echo "thp_gup:size=16M (1 worker), $ROUNDS rounds of mmtorture/bare/stress-ng, ${SECS}s each"
rounds "splits/s pages/s"
echo
printf '%-10s %12s %12s %12s %14s %18s\n' metric mmtorture bare stress-ng "mmtorture/bare" "mmtorture/stress-ng"
for col in 1 2; do
	name=splits/s
	[ $col = 2 ] && name=pages/s
	w=$(med $col)
	b=$(med $((col + 2)))
	s=$(med $((col + 4)))
	printf '%-10s %12s %12s %12s %14s %18s\n' "$name" "$w" "$b" "$s" "$(ratio "$w" "$b")" "$([ $col = 1 ] && floor_ratio "$w" "$s" || ratio "$w" "$s")"
done
echo "goals: splits/s mmtorture/bare >= 0.90, mmtorture/stress-ng >= 5"

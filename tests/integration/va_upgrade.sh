#!/bin/bash
# va_upgrade end to end: every case this machine can run passes and records
# ops in each family; the upgrade cases it cannot reach are counted and named
# with the reason; and each failure path fails the job with its own detail:
# a mapping seen below the boundary, a COW leak into the fork child's view, a
# corrupted page in the re-exec'd process (reported back through the pipe).
. "$(dirname "$0")/lib.sh"
need_root

run() { # name args...
	local name=$1
	shift
	"$M" run -q -n 1 "$@" >"$T/$name.out" 2>&1
	echo $?
}
job="(select max(id) from jobs)"
metric() { q "select cast(value as integer) from metrics where job_id=$job and key='$1'"; }

rc=$(run clean -w va_upgrade:vmas=200,exec_every=4 -d 4s)
# Memory hot-unplug tests running beside us on a shared machine dump pages
# ("unmovable page") into the kernel log, which fails whatever job is running.
noise="kind='kmsg' and detail like '%page dumped because: unmovable page%'"
if [ "$(q "select count(*) from failures where job_id=$job and $noise")" = 0 ]; then
	expect_eq "clean exit" "$rc" 0
	expect_eq "clean job" "$(q "select status from jobs where id=$job")" pass
else
	echo "note: hotplug page dumps from another job landed in this one; ignoring them"
fi
expect_eq "clean failures" "$(q "select count(*) from failures where job_id=$job and not ($noise)")" 0
for op in map_hint map_fixed touch verify munmap munmap_cross mremap_cross fork_upgrade \
	exec_upgrade low_fault; do
	expect_match "ops $op" "$(q "select count from job_ops where job_id=$job and name='$op'")" '^[1-9]'
done
expect_eq "va_bits" "$(metric va_bits)" "$(q "select va_bits from runs order by id desc limit 1")"
expect_match "cases run" "$(metric cases_run)" '^[1-9][0-9]{2,}$'
if [ "$(metric windows_up)" = 0 ]; then
	# No window of this arch can be upgraded here (x86_64 without LA57: 47 bits).
	expect_match "cases skipped" "$(metric cases_skipped)" '^[1-9]'
	expect_match "skip note" "$(q "select group_concat(text, ' | ') from notes where job_id=$job")" \
		"skipped: upgrade side of [0-9]+ cases .*$(metric va_bits)-bit VA cannot reach window"
fi

rc=$(run low -w va_upgrade:inject=low,exec_every=0 -d 2s)
expect_eq "low exit" "$rc" 1
expect_match "low failure" "$(q "select kind || ': ' || detail from failures where job_id=$job")" \
	'^verify: window .* case below: mmap\(0x[0-9a-f]+, [0-9]+\) = 0x[0-9a-f]+: want exactly the hint; came back below the boundary 1<<[0-9]+$'

rc=$(run child -w va_upgrade:inject=child,exec_every=0 -d 2s)
expect_eq "child exit" "$rc" 1
expect_eq "child failure" "$(q "select kind || '|' || vclass || '|' || want_gen || '|' || found_gen || '|' || (pid != (select pid from job_workers where job_id=$job)) from failures where job_id=$job")" \
	"verify|newer generation|1|2|1"

rc=$(run exec -w va_upgrade:inject=exec,exec_every=1 -d 2s)
expect_eq "exec exit" "$rc" 1
expect_match "exec failure" "$(q "select group_concat(distinct op_name || '|' || vclass || '|' || (found_index - want_index)) from failures where job_id=$job")" \
	'^exec_upgrade\|other index\|1$'
done_test

#!/bin/bash
# numa_migrate end to end. With fewer than two memory nodes the runner must skip
# the job before its probe, with the exact reason, and the run (its only job)
# exits 77. With two or more it must really migrate: pages move (the job's
# pgmigrate_success and the workload's own count), every byte verifies, THPs
# migrate too, and a page corrupted after a migration is caught and classified.
. "$(dirname "$0")/lib.sh"
need_root

list=$("$M" list numa_migrate)
expect_match "list needs" "$list" 'needs: +>=2 NUMA nodes'
expect_match "list ops" "$list" 'ops: +move_pages migrate_pages mbind locate write verify'
expect_match "list modes" "$list" 'move_pages\|migrate_pages\|mbind\|rotate'

run() { # name args...
	local name=$1
	shift
	"$M" run -q -n 1 "$@" >"$T/$name.out" 2>&1
	echo $?
}
last() { q "select $1 from jobs where id=(select max(id) from jobs)"; }
metric() { q "select coalesce(max(value),0) from metrics where key='$1' and job_id=(select max(id) from jobs)"; }
vmstat() { q "select coalesce(max(delta),0) from vmstat where key='$1' and job_id=(select max(id) from jobs)"; }

nodes=$(cat /sys/devices/system/node/has_memory 2>/dev/null || echo 0)
# The runner counts NUMA nodes as hwloc does; no node directory at all is one node.
nn=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
[ "$nn" -ge 1 ] || nn=1

if [ "$nn" -lt 2 ]; then
	rc=$(run skip -w numa_migrate:size=4M -d 2s)
	expect_eq "one-node exit" "$rc" 77
	expect_eq "one-node status" "$(last status)" skip
	expect_eq "one-node reason" "$(last reason)" \
		"numa_migrate needs >= 2 NUMA nodes; this machine has $nn"
	expect_eq "one-node no ops" "$(q "select count(*) from job_ops j where count > 0 and job_id=(select max(id) from jobs)")" 0
	expect_eq "run complete" "$(q "select status || ' ' || exit_code from runs")" "complete 77"
	# Every variant skips the same way; the option parser still judges the options.
	rc=$(run thp -w numa_migrate:page=thp,mode=mbind,inject=corrupt -d 1s)
	expect_eq "one-node thp exit" "$rc" 77
	rc=$(run bad -w numa_migrate:mode=teleport -d 1s)
	expect_eq "bad mode exit" "$rc" 2
	echo "note: $nn memory node(s) ($nodes): only the skip path runs here"
	done_test
fi

rc=$(run real -w numa_migrate:size=8M,threads=2 -d 6s)
expect_eq "real exit" "$rc" 0
expect_eq "real status" "$(last status)" pass
expect_eq "real failures" "$(q "select count(*) from failures where job_id=(select max(id) from jobs)")" 0
migrated=$(metric pages_migrated)
awk -v m="$migrated" 'BEGIN { exit !(m >= 2048) }' || fail "pages_migrated $migrated < 2048 (one 8M pass)"
[ "$(vmstat pgmigrate_success)" -ge 2048 ] || fail "pgmigrate_success $(vmstat pgmigrate_success) < 2048"
for op in move_pages mbind locate verify fork cow_write; do
	n=$(q "select coalesce(sum(count),0) from job_ops where name='$op' and job_id=(select max(id) from jobs)")
	[ "$n" -gt 0 ] || fail "op $op never ran"
done

if grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	echo "note: THP disabled: the thp case is not run"
else
	rc=$(run thp -w numa_migrate:size=16M,page=thp,mode=move_pages -d 6s)
	expect_eq "thp exit" "$rc" 0
	[ "$(vmstat thp_migration_success)" -gt 0 ] || fail "no THP migrated"
fi

rc=$(run corrupt -w numa_migrate:size=8M,inject=corrupt -d 4s)
expect_eq "corrupt exit" "$rc" 1
cls=$(q "select vclass || '|' || found_index || '|' || want_index from failures where kind='verify' and job_id=(select max(id) from jobs) limit 1")
expect_eq "corrupt class" "$cls" "other index|1|0"
done_test

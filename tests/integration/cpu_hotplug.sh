#!/bin/bash
# cpu_hotplug end to end: skipped without --allow-destructive (reason recorded);
# real offline/online cycles of cpu1 under pinned filler threads whose pages
# are verified, cpu1 online afterwards; an injected corruption is caught;
# SIGKILL of the runner while cpu1 is held offline, then `mmtorture restore`
# or the next `mmtorture run`, brings it back.
. "$(dirname "$0")/lib.sh"
need_root
CPU1=/sys/devices/system/cpu/cpu1/online
[ -w $CPU1 ] || { echo "SKIP: no writable $CPU1"; exit 77; }
[ "$(cat $CPU1)" = 1 ] || { echo "SKIP: cpu1 is offline before the test"; exit 77; }

last() {
	q "select $1 from jobs order by id desc limit 1"
}
op_count() {
	q "select coalesce((select count from job_ops where job_id=(select max(id) from jobs) and name='$1'),0)"
}
metric() {
	q "select coalesce((select cast(value as int) from metrics where job_id=(select max(id) from jobs) and key='$1'),-1)"
}

"$M" run -q -w cpu_hotplug:cpu=1 -d 1s >"$T/skip" 2>&1
expect_eq "no --allow-destructive: status" "$(last status)" skip
expect_match "skip reason" "$(last reason)" 'destructive: runs only with --allow-destructive'

"$M" run -q --allow-destructive -w cpu_hotplug:cpu=1 -d 4s >"$T/run" 2>&1
expect_eq "run exit" "$?" 0
expect_match "job" "$(last "status || ': ' || reason")" '^pass'
expect_match "offline ops" "$(op_count offline)" '^[1-9]'
expect_eq "online ops = offline ops" "$(op_count online)" "$(op_count offline)"
expect_match "cycles" "$(metric cycles)" '^[1-9]'
expect_match "verify passes" "$(op_count verify)" '^[1-9]'
# The filler pinned to cpu1 lost its CPU and was pinned back: the behaviour
# any other workload's pinned workers see in the same job.
expect_match "affinity broken" "$(metric affinity_broken)" '^[1-9]'
expect_match "repinned" "$(metric repinned)" '^[1-9]'
expect_eq "online at end" "$(metric online_at_end)" 1
expect_eq "failures" "$(q "select count(*) from failures")" 0
expect_eq "cpu1 online" "$(cat $CPU1)" 1
expect_eq "journal empty" "$(stat -c %s "$DB.sysfs-journal")" 0

"$M" run -q --allow-destructive -w cpu_hotplug:cpu=1,inject=corrupt -d 3s >"$T/corrupt" 2>&1
expect_eq "corrupt exit" "$?" 1
expect_eq "corrupt class" "$(q "select vclass || '|' || found_index || '|' || want_index from failures where kind='verify' limit 1")" "other index|1|0"
expect_eq "cpu1 online after corrupt" "$(cat $CPU1)" 1

# A long hold: cpu1 stays offline until the kill.
killed_run() {
	"$M" run -q --allow-destructive -w cpu_hotplug:cpu=1,hold=60s -d 60s >"$T/hold" 2>&1 &
	local run=$! i
	for i in $(seq 200); do
		[ "$(cat $CPU1)" = 0 ] && break
		sleep 0.1
	done
	kill -9 $run
	wait $run 2>/dev/null
	sleep 0.5
	expect_eq "$1: cpu1 left offline by the kill" "$(cat $CPU1)" 0
	expect_match "$1: journal" "$(cat "$DB.sysfs-journal")" "cpu1/online"$'\t'1
}
killed_run restore
"$M" restore >"$T/restore" 2>&1
expect_match "restore output" "$(cat "$T/restore")" '^restored 1 setting'
expect_eq "cpu1 online after restore" "$(cat $CPU1)" 1

killed_run "next run"
"$M" run -w cpu_hotplug -d 1s >"$T/next" 2>&1
expect_match "next run restores" "$(cat "$T/next")" 'restored 1 sysfs/sysctl setting'
expect_eq "cpu1 online after next run" "$(cat $CPU1)" 1
done_test

#!/bin/bash
# A job with a companion (`with`): both workloads run in one job, the companion's
# ops are stored as "W.op", and when a CPU under a pinned worker goes offline the
# kernel moves it and the runner re-pins it when the CPU is back, and says so.
. "$(dirname "$0")/lib.sh"
need_root
cpu=/sys/devices/system/cpu/cpu1/online
[ -w $cpu ] || { echo "SKIP: cpu1 cannot be offlined here"; exit 77; }
trap 'echo 1 >$cpu 2>/dev/null; rm -rf "$T"' EXIT

"$M" run -q -n 2 -w thp_fork:size=16M --with thp_fork:size=8M,workers=2,children=1 -d 6s \
	>"$T/out" 2>&1 &
run=$!
sleep 2
echo 0 >$cpu
sleep 1
echo 1 >$cpu
wait $run
expect_eq "exit" "$?" 0
expect_eq "cpu1 back" "$(cat $cpu)" 1
expect_eq "one job" "$(q "select count(*) || '|' || status from jobs")" "1|pass"
expect_match "params" "$(q "select params_json from jobs")" '"with":"thp_fork:size=8M,workers=2,children=1"'
expect_eq "workers" "$(q "select count(*) from job_workers")" 4
expect_match "companion ops" "$(q "select count from job_ops where name='thp_fork.cow_fault'")" '^[1-9]'
expect_match "primary ops" "$(q "select count from job_ops where name='cow_fault'")" '^[1-9]'
expect_match "moves noted" "$(q "select group_concat(text, ' / ') from notes")" \
	'worker [0-9] \(thp_fork\): its cpu 1 went offline 1 time\(s\); the kernel moved it; re-pinned 1 time\(s\)'
expect_match "kernel said so" "$(q "select count(*) from kmsg where text like '%no longer affine to cpu1%' and verdict='info'")" '^[1-9]'

# The issue's shape: cpu_hotplug takes cpu1 away again and again while a thp_fork
# companion keeps running pinned over both CPUs: its worker on cpu1 is moved by
# the kernel and re-pinned by the runner, nothing is lost, every CPU comes back.
"$M" run -q --allow-destructive -w cpu_hotplug:hold=200ms,settle=100ms \
	--with thp_fork:size=16M,workers=2,children=1 -d 6s >"$T/out2" 2>&1
expect_eq "hotplug+storm exit" "$?" 0
expect_eq "cpu1 back again" "$(cat $cpu)" 1
job="(select max(id) from jobs)"
expect_eq "hotplug job" "$(q "select status from jobs where id=$job")" pass
expect_match "offlines" "$(q "select count from job_ops where job_id=$job and name='offline'")" '^[1-9]'
expect_match "storm ran" "$(q "select count from job_ops where job_id=$job and name='thp_fork.verify'")" '^[1-9]'
expect_match "storm moved" "$(q "select group_concat(text, ' / ') from notes where job_id=$job")" \
	'worker 2 \(thp_fork\): its cpu 1 went offline [1-9][0-9]* time\(s\); the kernel moved it; re-pinned [1-9]'
expect_eq "no failures" "$(q "select count(*) from failures where job_id=$job")" 0
done_test

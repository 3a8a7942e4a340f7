#!/bin/bash
# SIGKILL the runner mid-run: the db opens, the run is incomplete, the finished
# job is intact, no worker survives, and the sysfs value the job changed
# through the journal is restored at the next start.
. "$(dirname "$0")/lib.sh"
need_root
knob=/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled
[ -w $knob ] || { echo "SKIP: no 64 KiB mTHP knob"; exit 77; }
grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled && { echo "SKIP: THP disabled"; exit 77; }

orig=$(sed 's/.*\[\(.*\)\].*/\1/' $knob)
echo never >$knob # so the job must change it
"$M" run -q -n 1 -w thp_fork:size=16M,thp_size=64K,duration=2s \
	-w thp_fork:size=16M,thp_size=64K,duration=60s >"$T/out" 2>&1 &
run=$!
for _ in $(seq 300); do
	[ "$(q "select count(*) from jobs" 2>/dev/null)" = 1 ] && grep -q '\[madvise\]' $knob && break
	sleep 0.1
done
sleep 1 # job 2 is running
pgid_workers=$(pgrep -P $run | tr '\n' ' ')
expect_match "job 2 workers" "$pgid_workers" '[0-9]'
expect_match "changed knob" "$(cat $knob)" '\[madvise\]'
kill -9 $run
wait $run 2>/dev/null
sleep 1
# Dead means gone or a zombie waiting for init to reap it (state Z).
for p in $pgid_workers; do
	st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] || fail "worker $p outlived the runner (state $st)"
done
expect_eq "integrity" "$(q "pragma integrity_check")" ok
expect_eq "run status" "$(q "select status from runs")" incomplete
expect_eq "jobs kept" "$(q "select count(*) || '|' || min(status) from jobs")" "1|pass"
expect_match "job 1 ops" "$(q "select count from job_ops o join jobs j on j.id=o.job_id where j.seq=1 and name='cow_fault'")" '^[1-9]'
"$M" report latest >"$T/report" || fail "report of the killed run"
grep -q incomplete "$T/report" || fail "report does not say incomplete"
expect_match "still changed" "$(cat $knob)" '\[madvise\]'
expect_match "journal" "$(cat "$DB.sysfs-journal")" "$knob"$'\t'never

"$M" run -q -n 1 -w thp_fork:size=16M,duration=1s >"$T/next" 2>&1
expect_match "restored message" "$(cat "$T/next")" 'restored [0-9]+ sysfs/sysctl setting'
expect_match "restored knob" "$(cat $knob)" '\[never\]'
expect_eq "journal empty" "$(stat -c %s "$DB.sysfs-journal")" 0

# SIGINT or SIGTERM mid-job: the workers stop, the knob is put back before the
# runner exits, the job and the run say interrupted, and the journal is empty.
for sig in INT TERM; do
	echo never >$knob
	"$M" run -q -n 1 -w thp_fork:size=16M,thp_size=64K,duration=60s >"$T/sig" 2>&1 &
	run=$!
	for _ in $(seq 300); do
		grep -q '\[madvise\]' $knob && break
		sleep 0.1
	done
	sleep 0.5
	kill -$sig $run
	wait $run
	rc=$?
	want=130
	[ $sig = TERM ] && want=143
	expect_eq "SIG$sig exit" "$rc" "$want"
	expect_match "SIG$sig knob" "$(cat $knob)" '\[never\]'
	expect_eq "SIG$sig run" "$(q "select status from runs order by id desc limit 1")" interrupted
	expect_match "SIG$sig job" "$(q "select status || ': ' || reason from jobs order by id desc limit 1")" '^error: interrupted by'
	expect_eq "SIG$sig journal" "$(stat -c %s "$DB.sysfs-journal")" 0
done
echo "$orig" >$knob
done_test

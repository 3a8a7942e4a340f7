#!/bin/bash
# A WARNING: line in the kernel log during a job fails that job and is attributed
# to it; one written before the job is not.
. "$(dirname "$0")/lib.sh"
need_root
[ -w /dev/kmsg ] || { echo "SKIP: /dev/kmsg not writable"; exit 77; }

tag="mmt-kmsg-test-$$-$RANDOM"
echo "WARNING: $tag before the run" >/dev/kmsg
timeout 60 dmesg -W >"$T/log" 2>/dev/null &
follow=$!
"$M" run -q -n 1 -w thp_fork:size=16M,duration=3s -w thp_fork:size=16M,duration=6s >"$T/out" 2>&1 &
run=$!
for _ in $(seq 200); do
	grep -q "mmtorture: job 2 start" "$T/log" && break
	sleep 0.1
done
grep -q "mmtorture: job 2 start" "$T/log" || fail "never saw job 2's start marker"
echo "WARNING: $tag during job 2" >/dev/kmsg
wait $run
rc=$?
kill $follow 2>/dev/null
wait $follow 2>/dev/null
expect_eq "exit" "$rc" 1
expect_eq "job 1" "$(q "select status from jobs where seq=1")" pass
expect_eq "job 2" "$(q "select status from jobs where seq=2")" fail
expect_eq "job 2 kmsg failure" "$(q "select count(*) from failures f join jobs j on j.id=f.job_id where j.seq=2 and kind='kmsg' and detail like '%WARNING: $tag during job 2%'")" 1
expect_eq "kept line" "$(q "select verdict || '|' || rule from kmsg k join jobs j on j.id=k.job_id where j.seq=2 and text like '%$tag during%'")" "fail|WARNING"
expect_eq "not blamed: before" "$(q "select count(*) from failures where detail like '%$tag before%'")" 0
expect_eq "job 1 clean" "$(q "select count(*) from failures f join jobs j on j.id=f.job_id where j.seq=1")" 0

# An allow-list in the profile downgrades it, and says so.
cat >"$T/allow.ini" <<INI
[run]
duration = 3s
workers = 1
[kmsg]
allow = $tag
[thp_fork]
size = 16M
INI
"$M" run -q "$T/allow.ini" >"$T/out2" 2>&1 &
run=$!
for _ in $(seq 100); do
	grep -q "mmtorture: job 1 start run" <(tail -n 5 "$T/log") && break
	sleep 0.1
done
sleep 1
echo "WARNING: $tag allowed" >/dev/kmsg
wait $run
expect_eq "allowed exit" "$?" 0
expect_eq "allowed verdict" "$(q "select verdict from kmsg where text like '%$tag allowed%'")" allowed
done_test

#!/bin/bash
# The failure paths, end to end, with the harness's own fault injection:
# a child that dies of SIGSEGV, a corrupted page, a worker that stops progressing.
. "$(dirname "$0")/lib.sh"
need_root

run() { # name args...
	local name=$1
	shift
	"$M" run -q -n 1 "$@" >"$T/$name.out" 2>&1
	echo $?
}

rc=$(run segv -w thp_fork:size=16M,inject=segv -d 3s)
expect_eq "segv exit" "$rc" 1
expect_eq "segv job" "$(q "select status from jobs order by id desc limit 1")" fail
sig=$(q "select err || ' ' || addr || ' ' || detail from failures where kind='signal'")
expect_match "segv failure" "$sig" '^11 [1-9][0-9]* child [0-9]+ killed by Segmentation fault at 0x'

rc=$(run corrupt -w thp_fork:size=16M,inject=corrupt -d 3s)
expect_eq "corrupt exit" "$rc" 1
cls=$(q "select vclass || '|' || found_index || '|' || want_index from failures f join jobs j on j.id=f.job_id where j.id=(select max(id) from jobs) and kind='verify' limit 1")
expect_eq "corrupt class" "$cls" "other index|1|0"

start=$(date +%s)
rc=$(run hang -w thp_fork:size=16M,inject=hang -d 30s --hang-timeout 2s)
took=$(($(date +%s) - start))
expect_eq "hang exit" "$rc" 1
expect_match "hang failure" "$(q "select detail from failures where kind='hang'")" 'made no progress for [0-9.]+s; killed'
[ "$took" -lt 25 ] || fail "the hang was not cut short: the run took ${took}s"
expect_eq "hang worker signal" "$(q "select term_signal from job_workers w join jobs j on j.id=w.job_id where j.id=(select max(id) from jobs)")" 9

expect_eq "runs complete" "$(q "select group_concat(status) from runs")" "complete,complete,complete"

# A failure seen before an interruption still counts: exit 1 (bisect: bad), job failed.
"$M" run -q -n 1 -w thp_fork:size=16M,inject=corrupt -d 60s --bisect-exit >"$T/int.out" 2>&1 &
run=$!
sleep 4 # the corruption is in the first round, well under a second in
kill -INT $run
wait $run
expect_eq "interrupted after a failure: exit" "$?" 1
expect_eq "interrupted after a failure: job" "$(q "select status from jobs order by id desc limit 1")" fail
expect_eq "interrupted after a failure: run" "$(q "select status from runs order by id desc limit 1")" interrupted
done_test

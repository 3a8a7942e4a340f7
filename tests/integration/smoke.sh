#!/bin/bash
# The smoke profile: every workload briefly, verified; thp_fork records THP coverage.
. "$(dirname "$0")/lib.sh"

"$M" run "$SRCDIR/profiles/smoke.ini" -q --seed 7 >"$T/out" 2>&1
rc=$?
cat "$T/out"
expect_eq "exit code" "$rc" 0
expect_eq "run status" "$(q "select status from runs")" complete
expect_eq "failed jobs" "$(q "select count(*) from jobs where status != 'pass'")" 0
for wl in $("$M" list | awk '{print $1}'); do
	expect_eq "$wl ran" "$(q "select count(*) from jobs where workload='$wl' and status='pass'")" 1
done
cov=$(q "select value from metrics m join jobs j on j.id=m.job_id where j.workload='thp_fork' and key='thp_coverage_pct'")
expect_match "thp coverage" "$cov" '^[0-9.]+$'
awk -v c="$cov" 'BEGIN { exit !(c > 0) }' || fail "THP coverage is $cov%, want > 0"
expect_match "verify passes" "$(q "select count from job_ops where name='verify'")" '^[1-9][0-9]*$'
expect_match "cow faults" "$(q "select count from job_ops where name='cow_fault'")" '^[1-9][0-9]+$'
expect_eq "failures" "$(q "select count(*) from failures")" 0
done_test

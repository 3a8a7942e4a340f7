#!/bin/bash
# The smoke profile: every workload briefly, verified. Each one passes here, or
# skips for a reason this machine gives (one NUMA node), stated in the results;
# thp_fork records THP coverage.
. "$(dirname "$0")/lib.sh"

flags=""
[ "$(id -u)" = 0 ] && flags="--allow-destructive"
"$M" run "$SRCDIR/profiles/smoke.ini" -q --seed 7 $flags >"$T/out" 2>&1
rc=$?
cat "$T/out"
expect_eq "exit code" "$rc" 0
expect_eq "run status" "$(q "select status from runs")" complete
expect_eq "failed jobs" "$(q "select count(*) from jobs where status in ('fail', 'error')")" 0
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
for wl in $("$M" list | awk '{print $1}'); do
	st=$(q "select status || '|' || reason from jobs where workload='$wl'")
	case "$wl:$st" in
	*:pass\|*) ;;
	numa_migrate:skip\|*) [ "$nodes" -lt 2 ] || fail "numa_migrate skipped with $nodes nodes: $st"
		expect_match "numa_migrate reason" "$st" 'needs >= 2 NUMA nodes; this machine has 1' ;;
	*_hotplug:skip\|*) [ "$(id -u)" != 0 ] || fail "$wl skipped as root: $st" ;;
	*) fail "$wl: want pass, got '$st'" ;;
	esac
done
cov=$(q "select value from metrics m join jobs j on j.id=m.job_id where j.workload='thp_fork' and key='thp_coverage_pct'")
expect_match "thp coverage" "$cov" '^[0-9.]+$'
awk -v c="$cov" 'BEGIN { exit !(c > 0) }' || fail "THP coverage is $cov%, want > 0"
expect_match "verify passes" "$(q "select count from job_ops o join jobs j on j.id=o.job_id where j.workload='thp_fork' and name='verify'")" '^[1-9][0-9]*$'
expect_eq "failures" "$(q "select count(*) from failures")" 0
done_test

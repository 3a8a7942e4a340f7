#!/bin/bash
# compare's power and false positives on this machine's own data: REPS real runs
# of each WORKLOAD (10 s each, one job per repetition) into a scratch store, then
# TRIALS random 5-vs-5 splits of those jobs compared as they are (A/A: anything
# marked is a false positive) and with every candidate latency 10% slower (the
# shift is detected when an op's p50 is marked REGRESSION). Goals: detection
# >= 95%, A/A <= 1% of trials. Beside each op stands the most any test could
# detect given the op's run-to-run spread here ("best any", see compare_power.c).
#
# usage: compare_power.sh MMTORTURE COMPARE_POWER [WORKLOADS] [REPS] [TRIALS]
#   WORKLOADS: comma-separated; default the host stressors that need no
#   --allow-destructive and no second NUMA node.
#   DB=path reuses (or keeps) the store of real runs instead of a scratch one;
#   PER=N draws N jobs a side instead of 5 (REPS must be at least 2N).
set -eu
M=$1
P=$2
WS=${3:-thp_fork,thp_gup,va_upgrade,vma_iter}
REPS=${4:-12}
TRIALS=${5:-200}
T=$(mktemp -d /tmp/mmt-cpower.XXXXXX)
trap 'rm -rf "$T"' EXIT
DB=${DB:-$T/pool.db}

for W in ${WS//,/ }; do
	have=0
	[ -s "$DB" ] && have=$(sqlite3 "$DB" \
		"SELECT count(*) FROM jobs WHERE workload = '$W' AND status = 'pass'")
	if [ "$have" -lt $((2 * ${PER:-5})) ]; then
		echo "real runs: $W, $REPS x 10 s into $DB"
		"$M" run -q --db "$DB" --scratch "$T/scratch" -w "$W" -d 10s --repeat "$REPS" \
			--tag compare-power >"$T/run.log" 2>&1 || { cat "$T/run.log"; exit 1; }
	fi
	echo "trials: $TRIALS, each an A/A and a +10% latency comparison"
	start=$(date +%s)
	"$P" "$DB" "$W" "$TRIALS" 10 "${PER:-5}"
	echo "($(($(date +%s) - start)) s of comparisons)"
	echo
done

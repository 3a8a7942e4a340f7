#!/bin/bash
# compare's power and false positives on this machine's own data: REPS real runs
# of WORKLOAD (10 s each, one job per repetition) into a scratch store, then
# TRIALS random 5-vs-5 splits of those jobs compared as they are (A/A: anything
# marked is a false positive) and with every candidate latency 10% slower (the
# shift is detected when an op's p50 is marked REGRESSION). Goals: detection
# >= 95% for ops whose run-to-run spread allows it, A/A <= 1% of trials.
#
# usage: compare_power.sh MMTORTURE COMPARE_POWER [WORKLOAD] [REPS] [TRIALS]
#   DB=path reuses (or keeps) the store of real runs instead of a scratch one.
set -eu
M=$1
P=$2
W=${3:-vma_iter}
REPS=${4:-12}
TRIALS=${5:-200}
T=$(mktemp -d /tmp/mmt-cpower.XXXXXX)
trap 'rm -rf "$T"' EXIT
DB=${DB:-$T/pool.db}

if [ ! -s "$DB" ]; then
	echo "real runs: $W, $REPS x 10 s into $DB"
	"$M" run -q --db "$DB" --scratch "$T/scratch" -w "$W" -d 10s --repeat "$REPS" \
		--tag compare-power >"$T/run.log" 2>&1 || { cat "$T/run.log"; exit 1; }
fi
echo "trials: $TRIALS, each an A/A and a +10% latency comparison"
start=$(date +%s)
"$P" "$DB" "$TRIALS" 10 5
echo "($(($(date +%s) - start)) s of comparisons)"

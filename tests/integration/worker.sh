#!/bin/bash
# Workers exec into mmtorture-worker: the process a job runs in is that small
# image (no shared libraries mapped), it gets the probe's and the options'
# hand-off, and MMTORTURE_WORKER=inproc keeps them forks of the runner, noted.
. "$(dirname "$0")/lib.sh"
need_root

# Sample the runner's children while the job runs: their image and libraries.
sample() { # runner-pid out
	local c
	for _ in $(seq 100); do
		for c in $(pgrep -P "$1"); do
			readlink "/proc/$c/exe" >"$2.exe" 2>/dev/null || continue
			grep -c '\.so' "/proc/$c/maps" >"$2.libs"
			tr '\0' ' ' <"/proc/$c/cmdline" >"$2.cmd"
			return
		done
		sleep 0.1
	done
}

"$M" run -q -n 1 -w vma_iter:vmas=100,read=maps,duration=3s >"$T/out" 2>&1 &
run=$!
sample $run "$T/s"
wait $run
expect_eq "exec run" "$?" 0
expect_match "worker image" "$(cat "$T/s.exe" 2>/dev/null)" '/mmtorture-worker$'
expect_eq "libraries in a worker" "$(cat "$T/s.libs" 2>/dev/null)" 0
expect_match "worker args" "$(cat "$T/s.cmd" 2>/dev/null)" 'mmtorture-worker 3 0 [0-9]+'
# The worker built what the options asked (the VMA count it measured).
expect_match "options handed over" "$(q "select value from metrics where key = 'vmas'")" '^1[0-9][0-9](\.0)?$' 
expect_eq "no in-process note" "$(q "select count(*) from notes where text like '%forks of the runner%'")" 0

rm -f "$DB"
MMTORTURE_WORKER=inproc "$M" run -q -n 1 -w vma_iter:vmas=100,read=maps,duration=2s \
	>"$T/out" 2>&1 &
run=$!
sample $run "$T/i"
wait $run
expect_eq "inproc run" "$?" 0
expect_match "inproc image" "$(cat "$T/i.exe" 2>/dev/null)" '/mmtorture$'
expect_eq "inproc note" "$(q "select count(*) from notes where text like '%forks of the runner%'")" 1

rm -f "$DB"
MMTORTURE_WORKER=$T/missing "$M" run -q -n 1 -w vma_iter:vmas=100,read=maps,duration=1s >"$T/out" 2>&1
expect_eq "missing worker run" "$?" 0
expect_match "missing worker warning" "$(cat "$T/out")" "MMTORTURE_WORKER=$T/missing cannot be executed"

# The worker refuses to run outside a job.
"$(dirname "$M")/mmtorture-worker" >"$T/out" 2>&1
expect_eq "bare worker exit" "$?" 2
expect_match "bare worker usage" "$(cat "$T/out")" 'usage: mmtorture-worker'
done_test

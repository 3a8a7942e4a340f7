#!/bin/bash
# compare end to end: real short runs of one workload on this host, interleaved
# into two sides, come out clean (A/A); a candidate with corrupted data is a
# regression (exit 1); bad selectors, options and stores exit 2 naming the
# valid terms; the store is the same file afterwards.
. "$(dirname "$0")/lib.sh"
need_root

run() { # tag args...
	local tag=$1
	shift
	"$M" run -q -n 1 --tag "$tag" "$@" >>"$T/runs.out" 2>&1
}

# A and B alternate so that whatever else the machine does falls on both sides.
# Five a side: at p < 0.01 the per-job test needs five jobs a side to mark anything.
for i in 1 2 3 4 5; do
	run A -w thp_fork:size=16M -d 2s || fail "run A$i"
	run B -w thp_fork:size=16M -d 2s || fail "run B$i"
done

sum() { cat "$DB" "$DB-wal" 2>/dev/null | sha256sum; }
before=$(sum)
"$M" compare --baseline tag=A --candidate tag=B --json "$T/aa.json" >"$T/aa" 2>&1
rc=$?
cat "$T/aa"
expect_eq "A/A exit" "$rc" 0
grep -q REGRESSION "$T/aa" && fail "A/A marked a regression"
grep -q 'cow_fault p50' "$T/aa" || fail "A/A table lacks cow_fault p50"
grep -Eq '^baseline +runs 1,3,5,7,9 \(tag=A\)' "$T/aa" || fail "baseline runs: $(head -1 "$T/aa")"
jq -e '.regressions == 0 and (.baseline.runs | length) == 5 and (.candidate.runs | map(.id)) == [2, 4, 6, 8, 10]' \
	"$T/aa.json" >/dev/null || fail "A/A JSON sides"
jq -e '.workloads[0].ops | map(select(.op == "cow_fault"))[0].metrics | length == 6' \
	"$T/aa.json" >/dev/null || fail "A/A JSON metrics"
jq -e '[.workloads[0].ops[].metrics[] | select(.metric == "p50" and .test == "bootstrap")] | length > 0' \
	"$T/aa.json" >/dev/null || fail "no p50 was tested"
# How many jobs a side a 10% p50 change needs here: the line and the JSON agree.
need=$(grep -Eo 'jobs a side to mark a 10% p50 change 95% of the time:.* cow_fault ([0-9]+|never)' "$T/aa" |
	sed 's/.* cow_fault //')
expect_match "jobs a side for cow_fault" "$need" '^([5-9]|[1-9][0-9]+|never)$'
expect_eq "jobs a side in the JSON" \
	"$(jq -r '.workloads[0].ops[] | select(.op == "cow_fault") | .metrics[] | select(.metric == "p50") | .runs_needed' "$T/aa.json" | sed 's/^-1$/never/')" \
	"$need"
"$M" compare --baseline tag=A --candidate tag=B --target 50 >"$T/t50" 2>&1
grep -q 'jobs a side to mark a 50% p50 change' "$T/t50" || fail "--target 50: $(grep 'jobs a side' "$T/t50")"
"$M" compare --baseline tag=A --candidate tag=B --json - | jq -e '.options.seed == 1 and .options.target_pct == 10' >/dev/null ||
	fail "--json -"
"$M" compare --baseline tag=A --candidate tag=B --workload 'thp_*' -o "$T/o" || fail "--workload -o"
# The HTML report: the comparison's tables beside both sides' plots, one file.
"$M" compare --baseline tag=A --candidate tag=B --html "$T/html" -o /dev/null 2>/dev/null ||
	fail "--html"
expect_match "html comparison tables" "$(grep -c 'class="comparison"' "$T/html/index.html")" '^[1-9]'
expect_match "html plots inlined" "$(grep -c 'src="data:image/svg+xml;base64,' "$T/html/index.html")" '^[1-9]'
expect_eq "html fetches nothing" "$(grep -Ec '(src|href)="https?:' "$T/html/index.html")" 0
grep -q '^thp_fork' "$T/o" || fail "-o table"
expect_eq "store untouched by compare" "$(sum)" "$before"

# A new failure kind on the candidate: a regression, exit 1.
run C -w thp_fork:size=16M,inject=corrupt -d 2s
"$M" compare --baseline tag=A --candidate tag=C >"$T/c" 2>&1
expect_eq "regression exit" "$?" 1
grep -Eq 'failures verify .* REGRESSION +new on the candidate' "$T/c" || fail "new failure kind: $(cat "$T/c")"
grep -Eq 'status +pass 5/5 +fail 1/1 +REGRESSION' "$T/c" || fail "newly failing"
before=$(sum)

# Bad input: exit 2, the message names the problem and the valid choices.
bad() { # what want-regex args...
	local what=$1 want=$2
	shift 2
	"$M" compare "$@" >"$T/e" 2>&1
	expect_eq "$what exit" "$?" 2
	expect_match "$what message" "$(cat "$T/e")" "$want"
}
keys='run, last, uuid, kernel, arch, tag, host, profile, guest, status, since, until'
bad "unknown term" "--baseline: selector 'colour=red': unknown key 'colour'; valid: $keys" \
	--baseline colour=red --candidate tag=B
bad "bare word" "'6.1' is not KEY=VALUE; valid keys: $keys" --baseline 6.1 --candidate tag=B
bad "bad run" "bad run '5-2'; valid: a run id" --baseline run=5-2 --candidate tag=B
bad "bad date" "bad since '11/01/2026'; valid: a start time, YYYY-MM-DD" \
	--baseline since=11/01/2026 --candidate tag=B
bad "no match" "--candidate 'kernel=0.0.\*' selects no run; the store has 11 runs, ids 1-11; kernels '[^']+' \(11\); arches '[^']+' \(11\); tags 'A' \(5\), 'B' \(5\), 'C' \(1\)" \
	--baseline tag=A --candidate 'kernel=0.0.*'
bad "overlap" "run 1 is selected by both" --baseline tag=A --candidate run=1-2
bad "one side" "give both --baseline SEL and --candidate SEL" --baseline tag=A
bad "workload" "no job of workload 'nope' on either side; there: thp_fork" \
	--baseline tag=A --candidate tag=B --workload nope
bad "alpha" "bad --alpha '2'; valid" --baseline tag=A --candidate tag=B --alpha 2
bad "target" "bad --target '0'; valid: 0.01..1000" --baseline tag=A --candidate tag=B --target 0
bad "option" "unrecognized option" --baseline tag=A --candidate tag=B --frobnicate
bad "missing db" "no such file" --db "$T/none.db" --baseline tag=A --candidate tag=B
[ -e "$T/none.db" ] && fail "compare created a store"
echo "not a database" >"$T/junk.db"
bad "junk db" "junk.db: not an SQLite database" --db "$T/junk.db" --baseline tag=A --candidate tag=B
expect_eq "junk untouched" "$(cat "$T/junk.db")" "not a database"
expect_eq "store untouched" "$(sum)" "$before"
"$M" compare --help | grep -q 'since=DATE' || fail "compare --help"
"$M" --help | grep -q 'compare --baseline' || fail "--help lists compare"
done_test

#!/bin/bash
# The command line: list, topo, report (text and JSON), exit codes, --bisect-exit,
# and bad input that must be refused with file, line and the valid choices.
. "$(dirname "$0")/lib.sh"
need_root

"$M" list | grep -q '^thp_fork ' || fail "list"
"$M" list thp_fork | grep -q 'split .*enum .*dontneed|mprotect|mremap|rotate' || fail "list thp_fork"
"$M" list thp_fork | grep -q 'needs: *THP' || fail "list needs"
"$M" list nope 2>"$T/e"; expect_eq "list nope" "$?" 2
"$M" topo | grep -q 'per-core' || fail "topo"
"$M" topo --synthetic "pack:2 numa:2 core:16 pu:2" --placement spread --workers 4 >"$T/topo" || fail "topo synthetic"
grep -q '128 PUs' "$T/topo" || fail "synthetic summary: $(head -3 "$T/topo")"
"$M" --help | grep -q 'report' || fail "--help"
for c in run list topo report compare plot html import restore; do
	"$M" $c --help >/dev/null || fail "$c --help"
done

# A pass, then the report in both forms.
"$M" run -q -n 1 -w thp_fork:size=16M -d 2s --json "$T/run.json" >/dev/null 2>&1
expect_eq "pass exit" "$?" 0
"$M" report latest >"$T/r" || fail "report"
for w in 'fork' 'cow_fault' 'p99.9' 'VA bits 47|VA bits [0-9]+' 'thp_coverage_pct' 'taint'; do
	grep -Eq "$w" "$T/r" || fail "report lacks $w"
done
jq -e '.jobs[0].ops.cow_fault.percentiles."99" > 0' "$T/run.json" >/dev/null || fail "json percentiles"
"$M" report --json latest | jq -e '.run.va_bits >= 39 and .jobs[0].status == "pass"' >/dev/null || fail "report --json"

# A database in directories that do not exist yet (results/ in a fresh clone).
(cd "$T" && "$M" run -q -n 1 -w thp_fork:size=8M -d 1s --db new/deeper/m.db) >"$T/newdir" 2>&1
expect_eq "new db dir" "$?" 0
expect_eq "new db runs" "$(sqlite3 "$T/new/deeper/m.db" "select status from runs")" complete

# --scratch: workloads' files go there (thp_gup's O_DIRECT file, unlinked once open).
"$M" run -q -n 1 -w thp_gup:size=8M --scratch "$T/scr" -d 1s >/dev/null 2>&1
expect_eq "scratch run" "$?" 0
[ -d "$T/scr" ] || fail "--scratch directory not made"

# Skips: exit 77, the reason recorded; bisect: 125.
"$M" run -q -n 1 -w thp_fork:thp_size=3M -d 1s >/dev/null 2>&1
expect_eq "all skipped" "$?" 77
expect_match "skip reason" "$(q "select reason from jobs order by id desc limit 1")" 'thp_size=3072K not offered by this kernel; sizes: .*64K'
"$M" run -q -n 1 -w thp_fork:thp_size=3M -d 1s --bisect-exit >/dev/null 2>&1
expect_eq "bisect skip" "$?" 125
"$M" run -q -n 1 -w thp_fork:size=16M,inject=corrupt -d 2s --bisect-exit >/dev/null 2>&1
expect_eq "bisect bad" "$?" 1
"$M" run -q -n 1 -w thp_fork:size=16M -d 1s --bisect-exit >/dev/null 2>&1
expect_eq "bisect good" "$?" 0

# Bad input: exit 2, a message naming the place and the valid choices, nothing lost.
runs=$(q "select count(*) from runs")
printf '[run]\nduration = 1s\n[thp_fork]\nchildren = lots\n' >"$T/bad.ini"
"$M" run "$T/bad.ini" 2>"$T/e"; expect_eq "bad profile exit" "$?" 2
expect_match "bad profile msg" "$(cat "$T/e")" "bad.ini:4: bad value 'lots' for children \(int\); valid: 1..32"
"$M" run -w thp_fork -p sideways 2>"$T/e"; expect_eq "bad placement" "$?" 2
expect_match "placement msg" "$(cat "$T/e")" 'per-core, per-node, per-package, compact, spread, cpus=LIST'
"$M" run -w thp_fork:write=most 2>"$T/e"; expect_eq "bad -w" "$?" 2
expect_match "-w msg" "$(cat "$T/e")" "all\|one-per-thp\|random"
"$M" run --frobnicate 2>/dev/null; expect_eq "bad option" "$?" 2
"$M" report 99999 2>"$T/e"; expect_eq "no such run" "$?" 2
expect_eq "runs kept" "$(q "select count(*) from runs")" "$runs"
echo "not a database" >"$T/junk.db"
"$M" run --db "$T/junk.db" -w thp_fork -d 1s 2>"$T/e"; expect_eq "junk db" "$?" 2
expect_match "junk msg" "$(cat "$T/e")" "junk.db"
expect_eq "junk untouched" "$(cat "$T/junk.db")" "not a database"
done_test

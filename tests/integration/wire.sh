#!/bin/bash
# The result stream end to end: `run --stream` to a file, `import` into another
# store gives the same report; a second import is refused; a stream cut short
# imports as incomplete with the jobs that finished; an interrupted run's
# stream says so; a stream through a tty (\r\n) reads back; a stream that
# cannot be written warns once and the run goes on.
. "$(dirname "$0")/lib.sh"

S=$T/stream
O=$T/other.db
jobs=(-w vma_iter:vmas=2000)
if [ -e /sys/kernel/mm/transparent_hugepage/enabled ]; then
	jobs+=(-w thp_fork:size=16M,inject=corrupt) # failures with tags, kernel state
	want_rc=1
else
	jobs+=(-w va_upgrade)
	want_rc=0
fi
"$M" run -q -n 2 "${jobs[@]}" -d 2s --seed 11 --tag wire --stream "$S" >"$T/run.out" 2>&1
expect_eq "run exit" "$?" "$want_rc"
grep -q 'warning: --stream' "$T/run.out" && fail "stream warning: $(cat "$T/run.out")"
expect_eq "frames end with END" "$(grep -c '^@@MMT1 END 0 ' "$S")" 1

# Import into a fresh store: the same report, but the run's id.
"$M" import --db "$O" "$S" >"$T/imp.out" 2>&1
expect_eq "import exit" "$?" 0
expect_match "import says" "$(cat "$T/imp.out")" "stream: run [0-9a-f-]{36} imported as run 1 \(complete, 2 jobs\)$"
"$M" report --json --db "$DB" latest | jq -S 'del(.run.id)' >"$T/a.json"
"$M" report --json --db "$O" latest | jq -S 'del(.run.id)' >"$T/b.json"
diff "$T/a.json" "$T/b.json" >"$T/diff" || fail "JSON reports differ: $(head -40 "$T/diff")"
[ "$want_rc" = 1 ] && { jq -e '[.jobs[].failures[] | select(.kind == "verify" and .expected != null)] | length > 0' "$T/b.json" >/dev/null || fail "no verify failure with tags came across"; }
"$M" report --db "$DB" latest >"$T/a.txt"
"$M" report --db "$O" latest >"$T/b.txt"
diff "$T/a.txt" "$T/b.txt" >"$T/diff" || fail "text reports differ: $(head -20 "$T/diff")"

# Again: refused, nothing written; into the store the run came from, too.
"$M" import --db "$O" "$S" >"$T/imp2.out" 2>&1
expect_eq "re-import exit" "$?" 2
expect_match "re-import says" "$(cat "$T/imp2.out")" "already imported as run 1; nothing written"
expect_eq "runs after re-import" "$(sqlite3 "$O" "select count(*) from runs")" 1
"$M" import "$S" >"$T/imp3.out" 2>&1
expect_eq "import into origin exit" "$?" 2
expect_eq "runs in origin" "$(q "select count(*) from runs")" 1

# --tag and --guest; standard input.
"$M" import --db "$T/tagged.db" --tag vm-7 --guest - <"$S" >/dev/null 2>&1
expect_eq "stdin import exit" "$?" 0
expect_eq "tag, guest" "$(sqlite3 "$T/tagged.db" "select tag || '|' || guest from runs")" "vm-7|1"

# A guest that died in the middle of job 2's second frame: job 1 and the run, incomplete.
n=$(grep -n '^@@MMT1 JOB 2 2/' "$S" | cut -d: -f1)
head -n $((n - 1)) "$S" >"$T/cut"
sed -n "${n}p" "$S" | head -c 300 >>"$T/cut"
"$M" import --db "$T/cut.db" "$T/cut" >"$T/cut.out" 2>&1
expect_eq "cut import exit" "$?" 0
expect_match "cut import says" "$(cat "$T/cut.out")" "imported as run 1 \(incomplete, 1 job; its END record never arrived\)"
expect_match "cut import drop" "$(cat "$T/cut.out")" "dropped JOB 2: 1 of [0-9]+ parts arrived \(part 2 missing\)"
expect_match "cut import damage" "$(cat "$T/cut.out")" "1 damaged frame\(s\) ignored"
expect_eq "cut run" "$(sqlite3 "$T/cut.db" "select status || '|' || coalesce(exit_code, 'null') || '|' || coalesce(finished_ns, 'null') from runs")" "incomplete|null|null"
expect_eq "cut jobs" "$(sqlite3 "$T/cut.db" "select group_concat(seq) from jobs")" 1
"$M" report --json --db "$T/cut.db" | jq -S '.jobs[0]' >"$T/c1.json"
jq -S '.jobs[0]' "$T/a.json" >"$T/a1.json"
diff "$T/a1.json" "$T/c1.json" >/dev/null || fail "job 1 of the cut stream differs"

# Not a stream; not a file.
printf 'login: \n@@MMT1 JOB 1 1/1 0000000000000000 {}\n' >"$T/junk"
"$M" import --db "$T/junk.db" "$T/junk" >/dev/null 2>"$T/junk.err"
expect_eq "junk exit" "$?" 2
expect_match "junk says" "$(cat "$T/junk.err")" "junk: no RUN record \(0 good, 1 damaged frames\)"
"$M" import --db "$T/junk.db" "$T/nope" 2>"$T/nope.err"
expect_eq "missing file exit" "$?" 2
expect_match "missing file says" "$(cat "$T/nope.err")" "nope: No such file"
"$M" import --db "$T/junk.db" 2>/dev/null
expect_eq "no file exit" "$?" 2

# Interrupted: END says so, and the import agrees with the run's own store.
"$M" run -q -n 1 -w vma_iter:vmas=2000 -d 30s --db "$T/int.db" --stream "$T/int" >"$T/int.out" 2>&1 &
pid=$!
sleep 3
kill -INT $pid
wait $pid
expect_eq "interrupted exit" "$?" 130
"$M" import --db "$T/int2.db" "$T/int" >/dev/null 2>&1
expect_eq "interrupted import" "$?" 0
expect_eq "interrupted run" "$(sqlite3 "$T/int2.db" "select status || '|' || exit_code from runs")" "interrupted|130"
expect_eq "interrupted origin" "$(sqlite3 "$T/int.db" "select status || '|' || exit_code from runs")" "interrupted|130"

# Through a terminal (a pty standing in for a serial port): \r\n endings, read back.
if command -v python3 >/dev/null; then
	python3 - "$M" "$T/tty" "$T/tty.db" <<'EOF' >"$T/tty.out" 2>&1
import os, pty, subprocess, sys, threading
m, s = pty.openpty()
out = open(sys.argv[2], "wb")
def drain():
    while True:
        try:
            b = os.read(m, 65536)
        except OSError:
            break
        if not b:
            break
        out.write(b)
t = threading.Thread(target=drain)
t.start()
rc = subprocess.call([sys.argv[1], "run", "-q", "-n", "1", "-w", "vma_iter:vmas=1000", "-d", "1s",
                      "--db", sys.argv[3], "--stream", os.ttyname(s)])
os.close(s)
t.join()
out.close()
sys.exit(rc)
EOF
	expect_eq "tty run exit" "$?" 0
	grep -q $'\r$' "$T/tty" || fail "no \\r\\n in what the tty carried"
	"$M" import --db "$T/tty2.db" "$T/tty" >"$T/tty2.out" 2>&1
	expect_eq "tty import exit" "$?" 0
	expect_match "tty import" "$(cat "$T/tty2.out")" "imported as run 1 \(complete, 1 job\)$"
else
	echo "no python3: the tty case is not run"
fi

# A stream that cannot be written: one warning, the run and its store carry on.
"$M" run -q -n 1 -w vma_iter:vmas=1000 -w vma_iter:vmas=1000 -d 1s --db "$T/full.db" --stream /dev/full >"$T/full.out" 2>&1
expect_eq "full stream exit" "$?" 0
expect_eq "full stream warnings" "$(grep -c 'warning: --stream /dev/full: No space left on device' "$T/full.out")" 1
expect_eq "full stream store" "$(sqlite3 "$T/full.db" "select status || '|' || (select count(*) from jobs) from runs")" "complete|2"
"$M" run -q -w vma_iter -d 1s --stream "$T/no/such/dir/s" >/dev/null 2>"$T/nodir.err"
expect_eq "bad stream path exit" "$?" 2
expect_match "bad stream path says" "$(cat "$T/nodir.err")" "--stream .*/no/such/dir/s: No such file or directory"
done_test

#!/bin/bash
# mmtorture plot on two short real runs of this host (tags alpha and beta): every
# plot is drawn as valid SVG and PNG, carries the series it should, and its data
# agrees with the store; grouping, filters and formats; bad input is refused
# naming the valid choices.
. "$(dirname "$0")/lib.sh"
export MMTORTURE_PLOTS=$SRCDIR/plots

for tag in alpha beta; do
	"$M" run -q -w thp_fork:size=16M -w vma_iter -w numa_migrate -d 3s --tag $tag \
		--seed 7 >"$T/run-$tag" 2>&1 || { cat "$T/run-$tag"; fail "run $tag failed"; }
done

is_svg() { # file
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1" || fail "$1: not well-formed XML"
		expect_eq "$1 root" "$(xmllint --xpath 'name(/*)' "$1")" svg
	else
		grep -q '<svg' "$1" && tail -c 16 "$1" | grep -q '</svg>' || fail "$1: not an SVG"
	fi
}

is_png() { # file
	expect_eq "$1 magic" "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
}

# plot NAME in DIR: both files there and valid
drawn() { # dir base
	[ -s "$1/$2.svg" ] && [ -s "$1/$2.png" ] || { fail "$2: no SVG or PNG in $1"; return; }
	is_svg "$1/$2.svg"
	is_png "$1/$2.png"
}

has() { # file text...
	local f=$1
	shift
	for s in "$@"; do
		grep -qF -- "$s" "$f" || fail "$f: no '$s'"
	done
}

out=$T/two
"$M" plot tag=alpha tag=beta --out "$out" >"$T/list" 2>"$T/err"
expect_eq "plot exit" $? 0
cat "$T/err"
while read -r f; do
	[ -s "$f" ] || fail "listed $f is missing"
done <"$T/list"
ops=$(q "select distinct o.name from job_ops o join jobs j on j.id = o.job_id
	where j.workload = 'thp_fork' and o.count > 0")
[ -n "$ops" ] || fail "thp_fork recorded no ops"
for base in matrix throughput-thp_fork throughput-vma_iter timeline-thp_fork timeline-vma_iter \
	$(for op in $ops; do echo spectrum-thp_fork-$op; done); do
	drawn "$out" "$base"
done
expect_eq "plots listed" "$(wc -l <"$T/list")" $((2 * $(ls "$out"/*.svg | wc -l)))
has "$out/matrix.svg" tag=alpha tag=beta thp_fork vma_iter numa_migrate pass
st=$(q "select status from jobs where workload = 'numa_migrate' limit 1")
has "$out/matrix.svg" "$([ "$st" = fail ] && echo FAIL || echo "$st")"
has "$out/spectrum-thp_fork-fork.svg" tag=alpha tag=beta p50 p99
has "$out/throughput-vma_iter.svg" tag=alpha tag=beta "n="
has "$out/timeline-thp_fork.svg" "tag=alpha: run 1 job 1" "tag=beta: run 2 job 1"
# A skipped workload has no throughput to draw.
if [ "$st" = skip ]; then
	[ ! -e "$out/throughput-numa_migrate.svg" ] || fail "a skipped job drew a throughput plot"
fi

# The data agree with the store: the sample count is the intervals stored, the
# spectrum ends at the stored max.
for tag in alpha beta; do
	nint=$(q "select length(intervals) - length(replace(intervals, ',', '')) + 1
		from job_ops o join jobs j on j.id = o.job_id join runs r on r.id = j.run_id
		where r.tag = '$tag' and j.workload = 'vma_iter' limit 1")
	n=$(awk -v s="\"tag=$tag\"" '$2 == s { print $6 }' "$out/throughput-vma_iter.dat")
	expect_eq "vma_iter intervals of $tag" "$n" "$nint"
	max=$(q "select max_ns from job_ops o join jobs j on j.id = o.job_id join runs r
		on r.id = j.run_id where r.tag = '$tag' and j.workload = 'thp_fork' and o.name = 'fork'")
	last=$(awk -v s="\"tag=$tag\"" '$0 == s { on = 1; next } on && NF == 0 { on = 0 }
		on { v = $3 } END { print v }' "$out/spectrum-thp_fork-fork.dat")
	expect_eq "fork max of $tag" "$last" "$max"
done
# The script beside each plot draws it again.
(cd "$out" && rm matrix.svg matrix.png && gnuplot matrix.gp) || fail "matrix.gp does not run"
drawn "$out" matrix

# Default series: one per kernel/arch; --by run: one per run.
"$M" plot --out "$T/all" --format svg >/dev/null || fail "plot of every run failed"
has "$T/all/matrix.svg" "$(q "select kernel_release || '/' || arch from runs limit 1")"
[ ! -e "$T/all/matrix.png" ] || fail "--format svg drew a PNG"
"$M" plot --by run,tag -w vma_iter --format png --out "$T/byrun" >/dev/null || fail "--by run failed"
[ -s "$T/byrun/timeline-vma_iter.png" ] || fail "--by run drew no timeline"
[ ! -e "$T/byrun/timeline-thp_fork.png" ] || fail "-w vma_iter drew thp_fork"
has "$T/byrun/throughput-vma_iter.dat" '"run 1/alpha"' '"run 2/beta"'

# Bad input: exit 2, the piece named, the valid choices listed.
bad() { # want-exit want-text args...
	local want=$1 text=$2
	shift 2
	"$M" plot "$@" >"$T/bad.out" 2>"$T/bad.err"
	expect_eq "plot $* exit" $? "$want"
	expect_match "plot $*" "$(cat "$T/bad.err")" "$text"
}
bad 2 "no output directory: give one with --out DIR" tag=alpha
bad 2 "selector 'foo=1': unknown key 'foo'; valid: run, last, uuid, kernel, arch, tag" foo=1 --out "$T/x"
bad 2 "selector 'run=x': bad run 'x'; valid: a run id \(3\), a range \(5-7\) or latest" run=x --out "$T/x"
bad 2 "selector 'tag=nope' selects no run" tag=nope --out "$T/x"
bad 2 "bad format 'pdf' in 'svg,pdf'; valid: svg, png" --format svg,pdf --out "$T/x"
bad 2 "bad grouping field 'colour' in 'colour'; valid: sel, run, kernel" --by colour --out "$T/x"
bad 2 "no selected run has workload 'nosuch'; valid: thp_fork, vma_iter, numa_migrate" \
	-w nosuch --out "$T/x"
bad 2 "/nonexistent/t.db: No such file or directory" --db /nonexistent/t.db --out "$T/x"
MMTORTURE_GNUPLOT=/nonexistent/gnuplot bad 1 \
	"/nonexistent/gnuplot: not found \(Debian: apt-get install gnuplot-nox\)" --out "$T/x"
"$M" plot --help >"$T/help" || fail "plot --help failed"
has "$T/help" "usage: mmtorture plot [SEL...] --out DIR" "spectrum-W-OP" "--by FIELDS"
done_test

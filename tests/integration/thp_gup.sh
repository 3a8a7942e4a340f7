#!/bin/bash
# thp_gup end to end: every pin path (O_DIRECT, io_uring fixed buffers,
# vmsplice, process_vm_*) moves data through THPs that splitters split at the
# same time; every path's ops and every split op this kernel supports are
# recorded, the data is verified, PMDs were really split; a byte corrupted in
# the data that came through a path is caught as "garbage"; an mTHP run works.
. "$(dirname "$0")/lib.sh"
need_root
grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled && { echo "SKIP: THP disabled"; exit 77; }

run() { # name args...
	local name=$1
	shift
	"$M" run -q -n 1 "$@" >"$T/$name.out" 2>&1
	echo $?
}
job() { q "select max(id) from jobs"; }
ops() { q "select coalesce((select count from job_ops where job_id=$1 and name='$2'),0)"; }
metric() { q "select coalesce((select value from metrics where job_id=$1 and key='$2'),-1)"; }
skipped() { # job path: the workload noted why it could not run that path here
	[ "$(q "select count(*) from notes where job_id=$1 and text like 'skipped: $2:%'")" != 0 ]
}
# Each path's ops ran, unless the job says why this machine cannot run it.
check_ops() { # job label path op...
	local id=$1 label=$2 path=$3 op
	shift 3
	if skipped "$id" "$path"; then
		echo "note: $label: $(q "select text from notes where job_id=$id and text like 'skipped: $path:%'")"
		return
	fi
	for op in "$@"; do
		[ "$(ops "$id" "$op")" -gt 0 ] || fail "$label: no $op ops recorded"
	done
}

# 1. PMD THPs, two I/O threads and two splitters.
rc=$(run main -w thp_gup:size=16M,io_threads=2,splitters=2 -d 6s)
id=$(job)
expect_eq "main exit" "$rc" 0
expect_eq "main job" "$(q "select status from jobs where id=$id")" pass
expect_eq "main failures" "$(q "select count(*) from failures where job_id=$id")" 0
check_ops "$id" main odirect odirect_write odirect_read
check_ops "$id" main uring uring_write uring_read
check_ops "$id" main vmsplice vmsplice
check_ops "$id" main pvm pvm_write pvm_read
check_ops "$id" main collapse collapse
for op in split_dontneed split_mprotect split_mremap fork verify thp_fault; do
	[ "$(ops "$id" $op)" -gt 0 ] || fail "main: no $op ops recorded"
done
cov=$(metric "$id" thp_coverage_pct)
awk -v c="$cov" 'BEGIN { exit !(c > 0) }' || fail "main: thp_coverage_pct is $cov, want > 0"
splits=$(q "select coalesce((select delta from vmstat where job_id=$id and key='thp_split_pmd'),0)")
[ "$splits" -gt 0 ] || fail "main: thp_split_pmd did not move during the job"
# Each split op hits a THP that was just re-formed: most of them must split a PMD.
nsplit=$(($(ops "$id" split_dontneed) + $(ops "$id" split_mprotect) + $(ops "$id" split_mremap)))
[ "$splits" -ge $((nsplit / 4)) ] || fail "main: $splits PMD splits for $nsplit split ops"
# The verifier reads every byte: the verify op must have run over the region.
nv=$(ops "$id" verify)
[ "$nv" -gt "$(ops "$id" odirect_read)" ] || fail "main: verify ran $nv times, fewer than the I/O cycles"
echo "main: splits $splits, coverage $cov%, ops $(q "select group_concat(name || '=' || count, ' ') from job_ops where job_id=$id")"

# 2. A byte corrupted after it came through the first path op (O_DIRECT read).
rc=$(run corrupt -w thp_gup:size=8M,inject=corrupt -d 2s)
id=$(job)
expect_eq "corrupt exit" "$rc" 1
expect_eq "corrupt job" "$(q "select status from jobs where id=$id")" fail
got=$(q "select vclass || '|' || op_name || '|' || (found_index = want_index) || '|' || (found_gen = want_gen) from failures where job_id=$id and kind='verify' order by id limit 1")
if skipped "$id" odirect; then
	expect_match "corrupt class" "$got" '^garbage\|(uring_read|vmsplice|pvm_write)\|1\|1$'
else
	expect_eq "corrupt class" "$got" "garbage|odirect_read|1|1"
fi
expect_eq "corrupt is the only failure" "$(q "select count(*) from failures where job_id=$id")" 1

# 3. mTHP: 64 KiB THPs (collapse, PMD-only, is skipped with a note).
if [ -e /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled ]; then
	rc=$(run mthp -w thp_gup:size=8M,thp_size=64K -d 3s)
	id=$(job)
	expect_eq "mthp exit" "$rc" 0
	expect_eq "mthp job" "$(q "select status from jobs where id=$id")" pass
	check_ops "$id" mthp odirect odirect_read
	check_ops "$id" mthp vmsplice vmsplice
	for op in split_dontneed split_mprotect split_mremap fork verify; do
		[ "$(ops "$id" $op)" -gt 0 ] || fail "mthp: no $op ops recorded"
	done
	expect_match "mthp collapse note" "$(q "select group_concat(text, ';') from notes where job_id=$id")" 'skipped: collapse: .*PMD-size'
	cov=$(metric "$id" thp_coverage_pct)
	awk -v c="$cov" 'BEGIN { exit !(c > 0) }' || fail "mthp: thp_coverage_pct is $cov, want > 0"
else
	echo "note: no 64 KiB mTHP on this kernel: the mTHP run is skipped"
fi

expect_eq "runs complete" "$(q "select group_concat(status) from runs")" "$(q "select group_concat('complete') from runs")"
done_test

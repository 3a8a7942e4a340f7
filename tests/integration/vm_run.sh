#!/bin/bash
# `vm run` end to end under QEMU TCG: a Debian 6.1 amd64 kernel (fetched into the
# test cache), the static x86_64 binaries (cross/build.sh), the smoke profile run
# inside and imported into the host store as a guest run, with its console kept; a
# guest that prints a WARNING and then crashes mid-job fails that job from the console
# alone; bad input is refused before anything boots.
. "$(dirname "$0")/lib.sh"
need_root
export MMTORTURE_CACHE=${MMTORTURE_CACHE:-${VM_TEST_CACHE:?set by meson}}
for t in qemu-system-x86_64 busybox; do
	command -v $t >/dev/null || { echo "SKIP: needs $t (./bootstrap.sh installs it)"; exit 77; }
done
BIN=${BUILDDIR:?set by meson}/cross-x86_64
"$SRCDIR/cross/build.sh" x86_64 "$BIN" >"$T/build" 2>&1 || { cat "$T/build"; fail "static build"; done_test; }
KERNEL=6.1.0-56-amd64
"$M" vm fetch "$KERNEL" >/dev/null 2>"$T/fetch" || { cat "$T/fetch"; fail "fetch $KERNEL"; done_test; }

# --- the smoke profile inside the guest ---
t0=$(date +%s)
"$M" vm run -q --kernel "$KERNEL" --bin "$BIN" --tag guest-smoke "$SRCDIR/profiles/smoke.ini" \
	-d 2s >"$T/out" 2>&1
rc=$?
echo "smoke in the guest: exit $rc in $(($(date +%s) - t0)) s"
run=$(q "select id from runs order by id desc limit 1")
expect_eq "run imported" "$(q "select guest || ' ' || kernel_release || ' ' || arch || ' ' || status \
	from runs where id = $run")" "1 $KERNEL x86_64 complete"
expect_eq "tag" "$(q "select tag from runs where id = $run")" guest-smoke
expect_eq "every job of the profile" "$(q "select group_concat(workload, ' ') from \
	(select workload from jobs where run_id = $run order by seq)")" \
	"thp_fork thp_gup va_upgrade vma_iter mem_hotplug cpu_hotplug numa_migrate"
expect_eq "none made up from the console" "$(q "select count(*) from jobs where run_id = $run \
	and label = 'console'")" 0
expect_eq "thp_fork passed in the guest" "$(q "select status from jobs where run_id = $run \
	and workload = 'thp_fork'")" pass
expect_match "hotplug skipped with its reason" "$(q "select reason from jobs where run_id = $run \
	and workload = 'mem_hotplug'")" 'allow-destructive'
expect_match "ops recorded" "$(q "select sum(count) from job_ops o join jobs j on j.id = o.job_id \
	where j.run_id = $run")" '^[1-9][0-9]+'
fails=$(q "select count(*) from jobs where run_id = $run and status = 'fail'")
expect_eq "exit code as the jobs say" "$rc" "$([ "$fails" = 0 ] && echo 0 || echo 1)"
"$M" report "$run" --console >"$T/console"
expect_match "console kept" "$(grep -a -c '@@MMT-GUEST boot' "$T/console")" '^1$'
"$M" report "$run" --file vm.json >"$T/vm.json"
expect_match "boot time kept" "$(jq -r '.boot_s' "$T/vm.json")" '^[0-9]+\.[0-9]+$'
echo "boot to mmtorture: $(jq -r '.boot_s' "$T/vm.json") s; to the first job: $(jq -r '.first_job_s' "$T/vm.json") s"

# --- a splat, then a crash: only the console can tell ---
"$M" vm run -q --kernel "$KERNEL" --bin "$BIN" -w vma_iter:vmas=100 -d 30s \
	--guest-sh 'sleep 4; echo "WARNING: mmt-guest-test splat" >/dev/kmsg; sleep 1;
		echo c >/proc/sysrq-trigger' >"$T/out" 2>&1
expect_eq "crash exit" "$?" 1
run=$(q "select id from runs order by id desc limit 1")
expect_eq "crashed run" "$(q "select status from runs where id = $run")" incomplete
expect_eq "the job it happened in" "$(q "select seq || ' ' || workload || ' ' || status from jobs \
	where run_id = $run")" "1 vma_iter fail"
expect_eq "splat" "$(q "select count(*) from failures f join jobs j on j.id = f.job_id where \
	j.run_id = $run and f.kind = 'kmsg' and f.detail like '%WARNING: mmt-guest-test splat%'")" 1
expect_eq "panic" "$(q "select count(*) from failures f join jobs j on j.id = f.job_id where \
	j.run_id = $run and f.kind = 'kmsg' and f.detail like '%Kernel panic%'")" 1

# --- a guest still busy at --timeout is killed by its PID: a hang in that job ---
t0=$(date +%s)
"$M" vm run -q --kernel "$KERNEL" --bin "$BIN" -w vma_iter:vmas=100 -d 60s --timeout 10s \
	>"$T/out" 2>&1
expect_eq "timeout exit" "$?" 1
expect_match "killed at the timeout, not after the job" "$(($(date +%s) - t0))" '^(9|1[0-9])$'
run=$(q "select id from runs order by id desc limit 1")
expect_eq "hang in the job" "$(q "select j.seq || ' ' || j.workload || ' ' || f.kind from failures f \
	join jobs j on j.id = f.job_id where j.run_id = $run")" "1 vma_iter hang"

# --- a matrix of one kernel: a table row per kernel/arch/profile ---
printf '[matrix]\nkernels = %s\nprofiles = %s\nduration = 1s\ntag = m\n' "$KERNEL" \
	"$SRCDIR/profiles/smoke.ini" >"$T/m.ini"
MMTORTURE_GUEST_BIN=$BIN "$M" vm matrix -q "$T/m.ini" >"$T/out" 2>&1
expect_match "matrix exit" "$?" '^[01]$'
expect_match "matrix row" "$(cat "$T/out")" "$KERNEL x86_64 .*smoke.ini +pass"
expect_match "matrix columns" "$(cat "$T/out")" 'thp_fork +thp_gup +va_upgrade +vma_iter'
expect_eq "matrix run stored" "$(q "select count(*) from runs where tag = 'm' and guest = 1")" 1
printf '[matrix]\nkernels = %s\nsmpp = 2\n' "$KERNEL" >"$T/m.ini"
"$M" vm matrix "$T/m.ini" >"$T/out" 2>&1
expect_eq "bad matrix exit" "$?" 2
expect_match "bad matrix names the line and keys" "$(cat "$T/out")" "m.ini:3: unknown key 'smpp'; valid: kernels"

# --- bad input: refused before a boot ---
"$M" vm run --kernel 9.9-nonsense >"$T/out" 2>&1
expect_eq "bad kernel exit" "$?" 2
expect_match "bad kernel says the forms" "$(cat "$T/out")" 'amd64'
printf '[run]\nduration = 1s\n[no_such_workload]\n' >"$T/bad.ini"
"$M" vm run --kernel "$KERNEL" --bin "$BIN" "$T/bad.ini" >"$T/out" 2>&1
expect_eq "bad profile exit" "$?" 2
expect_match "bad profile names the line" "$(cat "$T/out")" "bad.ini:3"
"$M" vm run --kernel "$KERNEL" --bin /nonexistent >"$T/out" 2>&1
expect_eq "no binaries exit" "$?" 2
expect_match "no binaries says how" "$(cat "$T/out")" 'cross/build.sh x86_64'
done_test

#!/bin/bash
# The kernel's taint changing during a job fails that job. The only real way to
# change it is to taint the running kernel, which lasts until reboot: the test
# sets the user-requested taint (U, 64), the flag meant for this. On this host
# that works once per boot; when an earlier run already set it, the same check
# runs in a QEMU guest of Debian's 6.1 kernel, which boots untainted every time.
. "$(dirname "$0")/lib.sh"
need_root

# The guest's run is imported into $DB like a host run: the checks are the same.
check() { # run-id taint-before
	local run=$1 t=$2
	expect_eq "job 1" "$(q "select status from jobs where run_id = $run and seq = 1")" pass
	expect_eq "job 2" "$(q "select status from jobs where run_id = $run and seq = 2")" fail
	expect_match "taint failure" "$(q "select detail from failures f join jobs j on j.id = f.job_id \
		where j.run_id = $run and f.kind = 'taint'")" \
		"kernel taint changed: $(printf '%#x' "$t") .* -> $(printf '%#x' $((t | 64))) \(.*U.*\)"
	expect_eq "recorded" "$(q "select taint_before || '->' || taint_after from jobs \
		where run_id = $run and seq = 2")" "$t->$((t | 64))"
}

on_host() {
	local t run
	t=$(cat /proc/sys/kernel/tainted)
	timeout 60 dmesg -W >"$T/log" 2>/dev/null &
	follow=$!
	"$M" run -q -n 1 -w thp_fork:size=16M,duration=2s -w thp_fork:size=16M,duration=5s \
		>"$T/out" 2>&1 &
	run=$!
	for _ in $(seq 200); do
		grep -q "mmtorture: job 2 start" "$T/log" && break
		sleep 0.1
	done
	echo 64 >/proc/sys/kernel/tainted
	wait $run
	expect_eq "exit" "$?" 1
	kill $follow 2>/dev/null
	check "$(q "select max(id) from runs")" "$t"
}

in_guest() {
	local kernel=6.1.0-56-amd64 bin=$GUEST_BUILDDIR run
	export MMTORTURE_CACHE=${MMTORTURE_CACHE:-$VM_TEST_CACHE}
	"$SRCDIR/cross/build.sh" x86_64 "$bin" >"$T/build" 2>&1 || { cat "$T/build"; fail "static build"; return; }
	"$M" vm fetch "$kernel" >/dev/null 2>"$T/fetch" || { cat "$T/fetch"; fail "fetch $kernel"; return; }
	# The guest's shell waits for job 2's marker in its own kernel log, then taints.
	"$M" vm run -q --kernel "$kernel" --bin "$bin" -w thp_fork:size=16M,duration=2s \
		-w thp_fork:size=16M,duration=5s --guest-sh 'until dmesg | grep -q "mmtorture: job 2 start"; do
			sleep 1; done; echo 64 >/proc/sys/kernel/tainted' >"$T/out" 2>&1
	expect_eq "guest exit" "$?" 1
	run=$(q "select max(id) from runs")
	expect_eq "a guest run of $kernel" "$(q "select guest || ' ' || kernel_release from runs where id = $run")" \
		"1 $kernel"
	check "$run" "$(q "select taint_before from jobs where run_id = $run and seq = 2")"
	expect_eq "the guest booted untainted" "$(q "select taint_before from jobs where run_id = $run and seq = 1")" 0
}

if [ $(($(cat /proc/sys/kernel/tainted) & 64)) = 0 ]; then
	echo "tainting this host's kernel (U), once per boot"
	on_host
elif [ -n "${GUEST_BUILDDIR:-}" ] && command -v qemu-system-x86_64 >/dev/null; then
	echo "this host's kernel already carries U: tainting a 6.1 guest instead"
	in_guest
else
	echo "SKIP: the kernel already carries the U taint (set by an earlier run of this test) and no QEMU guest is configured (-Dvm)"
	exit 77
fi
[ "$failures" = 0 ] || cat "$T/out"
done_test

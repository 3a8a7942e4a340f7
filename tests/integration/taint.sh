#!/bin/bash
# The kernel's taint changing during a job fails that job. The only real way to
# change it is to taint the running kernel, which lasts until reboot: the test
# sets the user-requested taint (U, 64), the flag meant for this, once per boot,
# and skips with that reason when an earlier run already set it.
. "$(dirname "$0")/lib.sh"
need_root
t=$(cat /proc/sys/kernel/tainted)
if [ $((t & 64)) != 0 ]; then
	echo "SKIP: the kernel already carries the U taint (set by an earlier run of this test); it can be exercised once per boot"
	exit 77
fi
timeout 60 dmesg -W >"$T/log" 2>/dev/null &
follow=$!
"$M" run -q -n 1 -w thp_fork:size=16M,duration=2s -w thp_fork:size=16M,duration=5s >"$T/out" 2>&1 &
run=$!
for _ in $(seq 200); do
	grep -q "mmtorture: job 2 start" "$T/log" && break
	sleep 0.1
done
echo 64 >/proc/sys/kernel/tainted
wait $run
rc=$?
kill $follow 2>/dev/null
expect_eq "exit" "$rc" 1
expect_eq "job 1" "$(q "select status from jobs where seq=1")" pass
expect_eq "job 2" "$(q "select status from jobs where seq=2")" fail
expect_match "taint failure" "$(q "select detail from failures where kind='taint'")" \
	"kernel taint changed: $(printf '%#x' "$t") .* -> $(printf '%#x' $((t | 64))) \(.*U.*\)"
expect_eq "recorded" "$(q "select taint_before || '->' || taint_after from jobs where seq=2")" "$t->$((t | 64))"
done_test

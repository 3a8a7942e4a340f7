#!/bin/bash
# A real OOM kill, inside a memory cgroup too small for the storm: the SIGKILL the
# kernel log blames on the OOM killer is recorded as its own kind, "oom".
. "$(dirname "$0")/lib.sh"
need_root

cg=""
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup/mmt-oom-$$
	mkdir "$cg" && echo 96M >"$cg/memory.max" && echo 0 >"$cg/memory.swap.max" 2>/dev/null
	root=/sys/fs/cgroup
elif [ -d /sys/fs/cgroup/memory ]; then
	cg=/sys/fs/cgroup/memory/mmt-oom-$$
	mkdir "$cg" && echo 96M >"$cg/memory.limit_in_bytes"
	root=/sys/fs/cgroup/memory
else
	echo "SKIP: no memory cgroup controller"
	exit 77
fi
cleanup() {
	echo $$ >"$root/cgroup.procs" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The whole run goes into the cgroup; the OOM killer picks the biggest process,
# a worker (64 MiB of THPs) or one of its children, never the small runner.
(
	echo $BASHPID >"$cg/cgroup.procs"
	exec "$M" run -q -n 1 -w thp_fork:size=64M,children=2 -d 8s
) >"$T/out" 2>&1 &
wait $!
rc=$?
expect_eq "exit" "$rc" 1
expect_eq "run" "$(q "select status from runs")" complete
expect_match "oom failure" "$(q "select detail from failures where kind='oom' limit 1")" 'OOM-killed: .*Killed process [0-9]+'
expect_match "kept line" "$(q "select count(*) from kmsg where text like '%Killed process%'")" '^[1-9]'
done_test

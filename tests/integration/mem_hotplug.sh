#!/bin/bash
# mem_hotplug end to end: skipped without --allow-destructive (reason recorded);
# real offline/online cycles with every filler page verified and every block
# back online afterwards; an injected corruption is caught; SIGKILL of the
# runner while a block is held offline, then `mmtorture restore` or the next
# `mmtorture run`, brings every block back.
. "$(dirname "$0")/lib.sh"
need_root
MEM=/sys/devices/system/memory
[ -d $MEM ] || { echo "SKIP: no $MEM (kernel without memory hotplug)"; exit 77; }

online_blocks() {
	grep -lx online $MEM/memory*/state | sort -V | tr '\n' ' '
}
offline_count() {
	grep -lx offline $MEM/memory*/state 2>/dev/null | wc -l
}
last() { # column of the last job
	q "select $1 from jobs order by id desc limit 1"
}
op_count() {
	q "select coalesce((select count from job_ops where job_id=(select max(id) from jobs) and name='$1'),0)"
}
metric() {
	q "select coalesce((select cast(value as int) from metrics where job_id=(select max(id) from jobs) and key='$1'),-1)"
}
# A failing offline dumps the unmovable page it met (only offline_pages() asks
# for that dump): mem_hotplug declares it as expected noise, so the profiles
# here need no [kmsg] section.
profile() { # file options...
	local f=$1
	shift
	printf '[run]\nduration = %s\n[mem_hotplug]\n' \
		"$1" >"$f"
	shift
	printf '%s\n' "$@" >>"$f"
}
# A machine that has run for hours keeps clean page cache (large folios) in
# most blocks, and offlining them then fails: free it first, as an admin would
# before a hotplug test (both are actions, not settings: nothing to restore).
prepare() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
}
prepare
before=$(online_blocks)
pre_offline=$(offline_count)

"$M" run -q -w mem_hotplug -d 1s >"$T/skip" 2>&1
expect_eq "no --allow-destructive: status" "$(last status)" skip
expect_match "skip reason" "$(last reason)" 'destructive: runs only with --allow-destructive'

# A short nanny in every job here: an offline that keeps retrying migration
# (up to the 5 s default) must not eat a short job's time, and on a machine
# that has run for long most blocks do that.
profile "$T/p.ini" 6s "filler = 128M" "timeout = 300ms"
"$M" run -q --allow-destructive "$T/p.ini" >"$T/run" 2>&1
expect_eq "run exit" "$?" 0
expect_match "job" "$(last "status || ': ' || reason")" '^pass'
expect_match "offline ops" "$(op_count offline)" '^[1-9]'
expect_eq "online ops = offline ops" "$(op_count online)" "$(op_count offline)"
expect_match "verify passes" "$(op_count verify)" '^[1-9]'
expect_match "cycles metric" "$(metric cycles)" '^[1-9]'
expect_match "blocks metric" "$(metric blocks)" '^[1-9]'
expect_eq "failures" "$(q "select count(*) from failures")" 0
expect_eq "kmsg failures" "$(q "select count(*) from kmsg where verdict='fail'")" 0
# The refused offlines' page dumps are the workload's declared noise: kept as
# "allowed" with no [kmsg] section in the profile.
expect_eq "dumps allowed" "$(q "select count(*) from kmsg where text like 'page dumped because: unmovable page%' and verdict != 'allowed'")" 0
expect_eq "online blocks after" "$(online_blocks)" "$before"
expect_eq "journal empty" "$(stat -c %s "$DB.sysfs-journal")" 0

prepare
profile "$T/c.ini" 6s "filler = 16M" "inject = corrupt" "timeout = 300ms"
"$M" run -q --allow-destructive "$T/c.ini" >"$T/corrupt" 2>&1
expect_eq "corrupt exit" "$?" 1
expect_eq "corrupt class" "$(q "select vclass || '|' || found_index || '|' || want_index from failures where kind='verify' limit 1")" "other index|1|0"
expect_eq "online blocks after corrupt" "$(online_blocks)" "$before"

# SIGKILL while a block is held offline; $1: how the next start restores.
killed_run() {
	prepare
	profile "$T/h.ini" 60s "filler = 16M" "hold = 60s" "timeout = 300ms"
	"$M" run -q --allow-destructive "$T/h.ini" >"$T/hold" 2>&1 &
	local run=$! i
	for i in $(seq 200); do
		[ "$(offline_count)" -gt "$pre_offline" ] && break
		sleep 0.1
	done
	kill -9 $run
	wait $run 2>/dev/null
	sleep 0.5
	expect_match "$1: a block left offline by the kill" "$(offline_count)" "^[1-9]"
	expect_match "$1: journal" "$(cat "$DB.sysfs-journal")" "memory[0-9]+/online"$'\t'1
}
killed_run restore
"$M" restore >"$T/restore" 2>&1
expect_match "restore output" "$(cat "$T/restore")" '^restored [1-9][0-9]* setting'
expect_eq "online blocks after restore" "$(online_blocks)" "$before"

killed_run "next run"
"$M" run -w mem_hotplug -d 1s >"$T/next" 2>&1
expect_match "next run restores" "$(cat "$T/next")" 'restored [1-9][0-9]* sysfs/sysctl setting'
expect_eq "online blocks after next run" "$(online_blocks)" "$before"
done_test

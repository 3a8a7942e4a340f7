#!/bin/bash
# mem_hotplug's kernel event rate against the bare loop and stress-ng
# --memhotplug, side by side: memory blocks offlined per second (counted from
# the kernel's own "offline@/devices/system/memory/..." uevents, the same
# observer for all three) and pages migrated per second (pgmigrate_success).
# Rounds alternate the three tools, same seconds, one worker each.
#
# usage: mem_hotplug_bench.sh MMTORTURE BARE [ROUNDS] [SECONDS] [FILLER_MIB]
set -u
. "$(dirname "$0")/lib.sh"
M=$1
BARE=$2
ROUNDS=${3:-5}
SECS=${4:-5}
MIB=${5:-128}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -d /sys/devices/system/memory ] || { echo "SKIP: no memory hotplug"; exit 77; }
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'touch "$T/stop"; wait; rm -rf "$T"' EXIT

printf '[run]\nduration = %ss\n[kmsg]\nallow = ^page dumped because: unmovable page$\n[mem_hotplug]\nfiller = %sM\n' \
	"$SECS" "$MIB" >"$T/p.ini"


workload() {
	uev_start /devices/system/memory/
	"$M" run -q --allow-destructive --db "$T/h.db" "$T/p.ini" >/dev/null 2>&1
	local off id e m
	off=$(uev_stop)
	id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
	e=$(sqlite3 "$T/h.db" "select elapsed_ns from jobs where id=$id")
	m=$(sqlite3 "$T/h.db" "select coalesce((select delta from vmstat where job_id=$id and key='pgmigrate_success'),0)")
	echo "$(rate "$off" "$e") $(rate "$m" "$e")"
}
bare() {
	local m0 m1 off out
	uev_start /devices/system/memory/
	m0=$(vm pgmigrate_success)
	out=$("$BARE" "$SECS" "$MIB")
	m1=$(vm pgmigrate_success)
	off=$(uev_stop)
	set -- $out
	echo "$(rate "$off" "$6") $(rate $((m1 - m0)) "$6")"
}
stressng() {
	local m0 m1 off t0 t1
	uev_start /devices/system/memory/
	m0=$(vm pgmigrate_success)
	t0=$(date +%s%N)
	stress-ng --memhotplug 1 --timeout "${SECS}s" --metrics-brief >"$T/sng" 2>&1
	t1=$(date +%s%N)
	m1=$(vm pgmigrate_success)
	off=$(uev_stop)
	echo "$(rate "$off" $((t1 - t0))) $(rate $((m1 - m0)) $((t1 - t0)))"
}

echo "mem_hotplug (filler ${MIB} MiB, 1 worker), $ROUNDS rounds x ${SECS}s of workload / bare / stress-ng --memhotplug 1"
rounds "offlines/s migrated/s"
grep -lx offline /sys/devices/system/memory/memory*/state >/dev/null 2>&1 &&
	echo "WARNING: a memory block is offline after the bench"
echo
printf '%-22s %12s %12s %12s %16s %20s\n' "median" workload bare stress-ng "workload/bare" "workload/stress-ng"
printf '%-22s %12s %12s %12s %16s %20s\n' "blocks offlined/s" "$(med 1)" "$(med 3)" "$(med 5)" \
	"$(ratio "$(med 1)" "$(med 3)")" "$(ratio "$(med 1)" "$(med 5)")"
printf '%-22s %12s %12s %12s %16s %20s\n' "pgmigrate_success/s" "$(med 2)" "$(med 4)" "$(med 6)" \
	"$(ratio "$(med 2)" "$(med 4)")" "$(ratio "$(med 2)" "$(med 6)")"
echo "(goals: workload/bare >= 0.90, workload/stress-ng >= 5; stress-ng's own line, last round:)"
grep -E "memhotplug" "$T/sng" | tail -2

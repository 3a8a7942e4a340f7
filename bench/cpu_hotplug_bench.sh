#!/bin/bash
# cpu_hotplug's kernel event rate against the bare loop and stress-ng
# --cpu-online, side by side: CPUs offlined and onlined per second, counted
# from the kernel's own "offline@/devices/system/cpu/..." and "online@" uevents
# (no vmstat counter exists; the same observer for all three). Rounds
# alternate the three tools, same seconds, one worker each, cpu1 only.
#
# usage: cpu_hotplug_bench.sh MMTORTURE BARE [ROUNDS] [SECONDS]
set -u
. "$(dirname "$0")/lib.sh"
M=$1
BARE=$2
ROUNDS=${3:-5}
SECS=${4:-5}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -w /sys/devices/system/cpu/cpu1/online ] || { echo "SKIP: cpu1 cannot be offlined"; exit 77; }
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'touch "$T/stop"; wait; rm -rf "$T"' EXIT


workload() {
	uev_start /devices/system/cpu/
	"$M" run -q --allow-destructive --db "$T/h.db" -d "${SECS}s" -w cpu_hotplug:cpu=1 >/dev/null 2>&1
	local ev id e
	ev=$(uev_stop)
	id=$(sqlite3 "$T/h.db" "select max(id) from jobs")
	e=$(sqlite3 "$T/h.db" "select elapsed_ns from jobs where id=$id")
	set -- $ev
	echo "$(rate "$1" "$e") $(rate "$2" "$e")"
}
bare() {
	local ev out
	uev_start /devices/system/cpu/
	out=$("$BARE" "$SECS" 1)
	ev=$(uev_stop)
	set -- $ev $out
	echo "$(rate "$1" "$6") $(rate "$2" "$6")"
}
stressng() {
	local ev t0 t1
	uev_start /devices/system/cpu/
	t0=$(date +%s%N)
	stress-ng --cpu-online 1 --pathological --timeout "${SECS}s" --metrics-brief >"$T/sng" 2>&1
	t1=$(date +%s%N)
	ev=$(uev_stop)
	set -- $ev
	echo "$(rate "$1" $((t1 - t0))) $(rate "$2" $((t1 - t0)))"
}

# The kernel's floor: the bare loop in raw mode, only the offline and online
# writes, no filler on the CPU and no waiting for it.
raw() {
	local ev out
	uev_start /devices/system/cpu/
	out=$("$BARE" "$SECS" 1 raw)
	ev=$(uev_stop)
	set -- $ev $out
	echo "$(rate "$1" "$6")"
}

echo "cpu_hotplug (cpu1, 1 worker), $ROUNDS rounds x ${SECS}s of workload / bare / stress-ng --cpu-online 1"
rounds "offlines/s onlines/s"
: >"$T/raw"
for _ in $(seq "$ROUNDS"); do raw >>"$T/raw"; done
[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ] || echo "WARNING: cpu1 is offline after the bench"
echo
printf '%-22s %12s %12s %12s %16s %20s\n' "median" workload bare stress-ng "workload/bare" "workload/stress-ng"
printf '%-22s %12s %12s %12s %16s %20s\n' "CPUs offlined/s" "$(med 1)" "$(med 3)" "$(med 5)" \
	"$(ratio "$(med 1)" "$(med 3)")" "$(ratio "$(med 1)" "$(med 5)")"
printf '%-22s %12s %12s %12s %16s %20s\n' "CPUs onlined/s" "$(med 2)" "$(med 4)" "$(med 6)" \
	"$(ratio "$(med 2)" "$(med 4)")" "$(ratio "$(med 2)" "$(med 6)")"
printf '%-22s %12s %20s\n' "kernel floor" "$(median <"$T/raw")" \
	"floor/stress-ng $(ratio "$(median <"$T/raw")" "$(med 5)")"
echo "(goals: workload/bare >= 0.90, workload/stress-ng >= 5; the floor is the bare"
echo " loop's raw mode, the two writes alone)"
echo "(stress-ng's own line, last round:)"
grep -E "cpu-online" "$T/sng" | tail -2

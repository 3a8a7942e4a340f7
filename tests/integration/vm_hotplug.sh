#!/bin/bash
# `vm hotplug` on a real Debian kernel under QEMU TCG: one clean pc-dimm cycle with
# online_movable (every step timed and stored, the data verified before and after the
# reboot and after the unplug), one virtio-mem cycle, the plain-online limitation (the
# unplug after the reboot refused, "Offline failed") reported as expected when asked
# and as a failure when not, an injected corruption caught, and bad input refused.
. "$(dirname "$0")/lib.sh"
C=${MMTORTURE_CACHE:-${VM_TEST_CACHE:?set by meson}}
export MMTORTURE_CACHE=$C
K=${VM_HOTPLUG_KERNEL:-6.1.0-56-amd64}
for t in apt-get dpkg-deb qemu-system-x86_64 sqlite3 jq; do
	command -v $t >/dev/null || { echo "SKIP: needs $t (./bootstrap.sh installs it)"; exit 77; }
done
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: x86_64 guests are built natively here"; exit 77; }
[ -x /bin/busybox ] || { echo "SKIP: needs busybox-static"; exit 77; }

secs() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

"$M" vm fetch --cache "$C" "$K" >"$T/fetch" 2>&1 || { cat "$T/fetch"; fail "vm fetch $K"; done_test; }
B=$("$SRCDIR/cross/build.sh" x86_64 "${GUEST_BUILDDIR:?set by meson}" 2>"$T/build.err" | tail -1)
[ -x "$B" ] || { tail -5 "$T/build.err"; fail "cross/build.sh x86_64"; done_test; }
B=$(dirname "$B")

hp() { # TAG ARGS...: one run into $DB, its exit code in $rc
	local tag=$1
	shift
	t0=$(secs)
	"$M" vm hotplug -k "$K" --bin "$B" --db "$DB" --tag "$tag" -q "$@" >"$T/$tag.out" 2>&1
	rc=$?
	echo "$tag: exit $rc in $(since "$t0") s"
}
run_of() { q "select id from runs where tag = '$1'"; }
metric() { # TAG KEY
	"$M" report --json --db "$DB" "$(run_of "$1")" | jq -r ".jobs[0].metrics.$2"
}

# --- bad input: exit 2, the option and its valid choices named, nothing booted ---
"$M" vm hotplug -k "$K" --device dimm 2>"$T/e"; expect_eq "bad device exit" "$?" 2
expect_match "bad device" "$(cat "$T/e")" "--device 'dimm': valid: pc-dimm, virtio-mem"
"$M" vm hotplug -k "$K" --online auto 2>"$T/e"; expect_eq "bad online exit" "$?" 2
expect_match "bad online" "$(cat "$T/e")" "--online 'auto': valid: movable, normal"
"$M" vm hotplug -k "$K" --expect pass 2>"$T/e"; expect_eq "bad expect exit" "$?" 2
expect_match "bad expect" "$(cat "$T/e")" "--expect 'pass': valid: clean, limitation"
"$M" vm hotplug -k "$K" --size 100M 2>"$T/e"; expect_eq "bad size exit" "$?" 2
expect_match "bad size" "$(cat "$T/e")" "--size '100M': valid: a multiple of 128M"
"$M" vm hotplug -k "$K" --cycles 0 2>"$T/e"; expect_eq "bad cycles exit" "$?" 2
"$M" vm hotplug --cycles 2 2>"$T/e"; expect_eq "no kernel exit" "$?" 2
expect_match "no kernel" "$(cat "$T/e")" "--kernel SPEC\|PATH is required"
# Arch and device combinations that cannot work are refused before anything boots: a
# stand-in cache entry (meta.json, empty files) says which arch a kernel is.
fake() { # RELEASE DEBIAN-ARCH QEMU-ARCH IMAGE
	local d=$T/fake/kernels/$1
	mkdir -p "$d" && : >"$d/$4" && : >"$d/config"
	printf '{"format":1,"release":"%s","package":"linux-image-%s","version":"0","source":"debian",
"flavour":"%s","debian_arch":"%s","qemu_arch":"%s","boot_images":["%s"],"files":{"%s":"%s",
"config":"config","modules":null}}\n' "$1" "$1" "$2" "$2" "$3" "$4" "$4" "$4" >"$d/meta.json"
}
fake 6.1.0-1-arm64 arm64 aarch64 vmlinuz
fake 6.1.0-1-powerpc64le ppc64el ppc64le vmlinux
fake 6.1.0-1-s390x s390x s390x vmlinuz
for c in "6.1.0-1-arm64 pc-dimm aarch64" "6.1.0-1-powerpc64le virtio-mem ppc64le" \
	"6.1.0-1-s390x pc-dimm s390x" "6.1.0-1-s390x virtio-mem s390x"; do
	set -- $c
	MMTORTURE_CACHE=$T/fake "$M" vm hotplug -k "$1" --device "$2" 2>"$T/e"
	expect_eq "$3 $2 refused: exit" "$?" 2
	expect_match "$3 $2 refused" "$(cat "$T/e")" \
		"is $3: --device $2 cannot be hotplugged there \\(valid: x86_64 pc-dimm\\|virtio-mem, ppc64le pc-dimm, aarch64 virtio-mem\\)"
done
MMTORTURE_CACHE=$T/fake "$M" vm hotplug -k 6.1.0-1-powerpc64le --size 384M 2>"$T/e"
expect_eq "ppc64le 384M exit" "$?" 2
expect_match "ppc64le 384M" "$(cat "$T/e")" "--size 384M: valid on ppc64le: a multiple of 256M"
"$M" vm hotplug --help | grep -q "^usage: mmtorture vm hotplug" || fail "vm hotplug --help"
"$M" vm --help | grep -q "hotplug --kernel" || fail "vm --help lacks hotplug"

# --- one clean pc-dimm cycle, online_movable ---
hp clean --seed 7
expect_eq "clean exit" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$T/clean.out"
expect_eq "clean job" "$(tag_job clean "workload || ':' || label || '|' || status || '|' || reason")" \
	"hotplug:pc-dimm|pass|"
expect_eq "clean ops" "$(tag_ops clean)" \
	"plug=1 online=1 verify=2 reboot=1 unplug=1 recheck=1 cycle=1"
expect_eq "clean run" "$(q "select guest || '|' || kernel_release || '|' || arch || '|' || status \
	|| '|' || exit_code || '|' || seed from runs where tag = 'clean'")" "1|$K|x86_64|complete|0|7"
expect_match "clean cmdline" "$(q "select cmdline from runs where tag = 'clean'")" \
	"memhp_default_state=online_movable movable_node"
expect_eq "clean cycles" "$(metric clean cycles_clean)" 1
expect_eq "clean failures" "$(q "select count(*) from failures")" 0
"$M" report --db "$DB" "$(run_of clean)" --console >"$T/console"
expect_match "console: online in Movable" "$(grep -a "@@MMT-GUEST hp online" "$T/console" | head -1)" \
	"bytes=536870912 zone=Movable"
expect_eq "console: verified twice" "$(grep -ac "@@MMT-GUEST hp verify ok" "$T/console")" 2
expect_match "console: data back after the unplug" "$(grep -a "@@MMT-GUEST hp gone" "$T/console")" \
	"blocks=0 bytes=0 recheck ok pages=[1-9][0-9]* on_node=0 bad=0"
"$M" report --db "$DB" "$(run_of clean)" >"$T/report"
grep -E "^  (plug|online|verify|reboot|unplug|cycle) " "$T/report"
# A hotplug run has no planned duration: its elapsed line says none.
expect_match "report: elapsed without a plan" "$(grep -m1 "^  elapsed" "$T/report")" \
	"^  elapsed   [0-9.]+ ?[a-z]+, [0-9]+ ops"

# --- virtio-mem: plugged and unplugged by resizing one device ---
hp vmem --device virtio-mem
expect_eq "virtio-mem exit" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$T/vmem.out"
expect_eq "virtio-mem ops" "$(tag_ops vmem)" \
	"plug=1 online=1 verify=2 reboot=1 unplug=1 recheck=1 cycle=1"

# --- plain online: the unplug after the reboot fails, as expected ---
hp limit --online normal --expect limitation
expect_eq "limitation exit" "$rc" 0
expect_match "limitation reason" "$(tag_job limit "status || '|' || reason")" \
	"^pass\|expected limitation in 1 of 1 cycles: cycle 1: no DEVICE_DELETED for dimm0 .*_OST status 0x82.*Offline failed"
expect_eq "limitation ops" "$(tag_ops limit)" \
	"plug=1 online=1 verify=2 reboot=1 unplug=0 recheck=0 cycle=1"
expect_eq "limitation cycles" "$(metric limit cycles_limited)" 1
expect_match "limitation kmsg kept as allowed" "$(q "select group_concat(verdict || ':' || rule, ',') \
	from kmsg where run_id = $(run_of limit)")" "allowed:Offline failed"
expect_eq "limitation failures" "$(q "select count(*) from failures f join jobs j on f.job_id = j.id \
	where j.run_id = $(run_of limit)")" 0

# --- ... and a failure where a clean cycle was expected ---
hp normal --online normal
expect_eq "normal, expected clean: exit" "$rc" 1
expect_match "normal, expected clean: reason" "$(tag_job normal reason)" \
	"^errno: cycle 1 unplug: no DEVICE_DELETED for dimm0 .*Offline failed"
expect_match "normal, expected clean: kmsg failures" "$(q "select group_concat(distinct kind) from \
	failures f join jobs j on f.job_id = j.id where j.run_id = $(run_of normal)")" "kmsg"
expect_eq "normal: unplug failure op and errno" "$(q "select op_name || '|' || err from failures \
	f join jobs j on f.job_id = j.id where j.run_id = $(run_of normal) and kind = 'errno'")" \
	"unplug|16"

# --- the verifier is real: a page the guest damages is caught ---
hp corrupt --inject corrupt
expect_eq "corrupt exit" "$rc" 1
expect_match "corrupt reason" "$(tag_job corrupt reason)" \
	"^verify: cycle 1 verify: 1 of [0-9]+ pages read back wrong: first index=[0-9]+ offset=96 class=garbage"

done_test

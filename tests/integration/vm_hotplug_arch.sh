#!/bin/bash
# `vm hotplug` beyond x86_64 (the `long` suite): on ppc64le pseries one pc-dimm cycle
# with online_movable must be clean (the LMBs in ZONE_MOVABLE before and after the
# reboot, the data read back after the unplug) and one with plain online must show the
# limitation (the unplug after the reboot refused: "Memory indexed-count-remove
# failed"); on aarch64 virt one virtio-mem cycle must be clean, its memory told apart
# on node 0 and the tagged pages found on it.
. "$(dirname "$0")/lib.sh"
C=${MMTORTURE_CACHE:-${VM_TEST_CACHE:?set by meson}}
export MMTORTURE_CACHE=$C
KP=${VM_HOTPLUG_KERNEL_PPC64LE:-6.1.0-50-powerpc64le}
KA=${VM_HOTPLUG_KERNEL_ARM64:-6.1.0-50-arm64}
for t in apt-get dpkg-deb qemu-system-ppc64 qemu-system-aarch64 sqlite3; do
	command -v $t >/dev/null || { echo "SKIP: needs $t (./bootstrap.sh installs it)"; exit 77; }
done
BUILD=${GUEST_BUILDDIR:?set by meson}

guest() { # ARCH KERNEL: fetched kernel and static binary, the binary's dir in $B
	"$M" vm fetch --cache "$C" "$2" >"$T/fetch-$1" 2>&1 ||
		{ cat "$T/fetch-$1"; fail "vm fetch $2"; done_test; }
	B=$("$SRCDIR/cross/build.sh" "$1" "$BUILD-$1" 2>"$T/build-$1.err" | tail -1)
	[ -x "$B" ] || { tail -5 "$T/build-$1.err"; fail "cross/build.sh $1"; done_test; }
	B=$(dirname "$B")
}
hp() { # TAG KERNEL ARGS...: one run into $DB, its exit code in $rc
	local tag=$1 k=$2
	shift 2
	"$M" vm hotplug -k "$k" --db "$DB" --tag "$tag" --keep "$T/$tag" -q "$@" >"$T/$tag.out" 2>&1
	rc=$?
	echo "$tag: exit $rc"
	[ "$rc" = 0 ] || tail -5 "$T/$tag.out"
}

# --- ppc64le pseries: pc-dimm LMBs ---
guest ppc64le "$KP"
hp ppc "$KP" --bin "$B" --seed 3
expect_eq "ppc64le exit" "$rc" 0
expect_eq "ppc64le job" "$(tag_job ppc "label || '|' || status || '|' || reason")" "pc-dimm|pass|"
expect_eq "ppc64le ops" "$(tag_ops ppc)" "plug=1 online=1 verify=2 reboot=1 unplug=1 recheck=1 cycle=1"
expect_eq "ppc64le arch" "$(q "select arch || '|' || page_size from runs where tag = 'ppc'")" \
	"ppc64le|65536"
expect_eq "ppc64le online twice in Movable" \
	"$(grep -ac "@@MMT-GUEST hp online blocks=2 bytes=536870912 zone=Movable" "$T/ppc/console.log")" 2
expect_match "ppc64le LMBs hot-removed" "$(cat "$T/ppc/console.log")" "was hot-removed"
expect_match "ppc64le data back" "$(grep -a "@@MMT-GUEST hp gone" "$T/ppc/console.log")" \
	"blocks=0 bytes=0 recheck ok pages=[1-9][0-9]* on_node=0 bad=0"

hp ppclimit "$KP" --bin "$B" --online normal --expect limitation
expect_eq "ppc64le limitation exit" "$rc" 0
expect_match "ppc64le limitation reason" "$(tag_job ppclimit "status || '|' || reason")" \
	"^pass\|expected limitation in 1 of 1 cycles: cycle 1: no DEVICE_DELETED for dimm0 .*indexed-count-remove failed"
expect_eq "ppc64le limitation ops" "$(tag_ops ppclimit)" \
	"plug=1 online=1 verify=2 reboot=1 unplug=0 recheck=0 cycle=1"
expect_match "ppc64le limitation kmsg kept as allowed" "$(q "select group_concat(verdict || ':' || \
	rule, ',') from kmsg where run_id = (select id from runs where tag = 'ppclimit')")" \
	"allowed:LMB remove failed"

# --- aarch64 virt: virtio-mem, its memory on node 0 ---
guest aarch64 "$KA"
hp arm "$KA" --bin "$B" --device virtio-mem --seed 5
expect_eq "aarch64 exit" "$rc" 0
expect_eq "aarch64 job" "$(tag_job arm "label || '|' || status || '|' || placement")" \
	"virtio-mem|pass|guest node 0"
expect_eq "aarch64 ops" "$(tag_ops arm)" "plug=1 online=1 verify=2 reboot=1 unplug=1 recheck=1 cycle=1"
expect_match "aarch64 verified on virtio-mem's memory" \
	"$(grep -a "@@MMT-GUEST hp verify" "$T/arm/console.log" | head -1)" \
	"verify ok pages=([0-9]+) on_node=\1 bad=0"
expect_match "aarch64 data back" "$(grep -a "@@MMT-GUEST hp gone" "$T/arm/console.log")" \
	"blocks=0 bytes=0 recheck ok pages=[1-9][0-9]* on_node=0 bad=0"

done_test

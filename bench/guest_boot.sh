#!/bin/bash
# Guest boot-to-first-op under QEMU TCG, per kernel: `vm run` of a 1 s vma_iter job,
# ROUNDS times; the host's own clock from QEMU's start to the guest's "job 1 start"
# marker on the console (vm.json's first_job_s), and to the end of the run (total_s).
# Kernels must be cached (vm fetch) and their arch's static binaries built
# (cross/build.sh ARCH). Goal: x86_64 <= 6 s to the first op.
#
# usage: guest_boot.sh MMTORTURE [ROUNDS] [KERNEL...]
set -u
. "$(dirname "$0")/lib.sh"
M=$1
ROUNDS=${2:-5}
shift 2 2>/dev/null || shift $#
KERNELS=${*:-6.1.0-56-amd64}
T=$(mktemp -d /tmp/mmt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
printf '%-24s %8s %12s %12s %12s %12s\n' kernel rounds "boot med s" "1st op med" "1st op max" "total med"
for k in $KERNELS; do
	: >"$T/boot"; : >"$T/first"; : >"$T/total"
	for _ in $(seq "$ROUNDS"); do
		"$M" vm run -q --db "$T/b.db" --kernel "$k" -w vma_iter:vmas=100 -d 1s >/dev/null 2>&1
		"$M" report --db "$T/b.db" latest --file vm.json >"$T/vm.json" 2>/dev/null || continue
		jq -r .boot_s "$T/vm.json" >>"$T/boot"
		jq -r .first_job_s "$T/vm.json" >>"$T/first"
		jq -r .total_s "$T/vm.json" >>"$T/total"
	done
	printf '%-24s %8s %12s %12s %12s %12s\n' "$k" "$(wc -l <"$T/first")" \
		"$(median <"$T/boot")" "$(median <"$T/first")" "$(sort -g "$T/first" | tail -1)" \
		"$(median <"$T/total")"
done
echo "(goal: x86_64 boot-to-first-op <= 6 s under TCG)"

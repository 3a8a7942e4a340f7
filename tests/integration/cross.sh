#!/bin/bash
# cross.sh ARCH (the `long` suite): cross/build.sh builds the static binary for
# ARCH into CROSS_BUILDDIR; it must be statically linked and, under qemu-user
# (natively for x86_64), print its version, list the workloads and one workload's
# options, run a short vma_iter and thp_fork job into a SQLite database and report
# it; then the unit suites run for ARCH, which on s390x puts the histogram, tag,
# store and journal code through a big-endian machine.
#
# Under qemu-user the syscalls reach this host's kernel through qemu's emulation:
# the page size is the host's (4 KiB even on ppc64le), mmap placement is qemu's
# (va_upgrade's windows mean nothing there), and process_vm_*, io_uring, the
# memory-policy calls and PROCMAP_QUERY answer ENOSYS, which the workloads skip.
# What the kernel of ARCH does is for a QEMU system guest to show.
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: cross.sh ARCH}
out=${CROSS_BUILDDIR:?set by meson}
wrap=""
if [ "$arch" != "$(uname -m)" ]; then
	wrap=qemu-$arch-static
	command -v "$wrap" >/dev/null ||
		{ echo "SKIP: no $wrap (apt-get install qemu-user-static, or ./bootstrap.sh --cross)"; exit 77; }
fi
export MMT_SYSROOT=${MMT_SYSROOT:-$out-sysroot}

t0=$(date +%s)
bin=$("$SRCDIR/cross/build.sh" "$arch" "$out" 2>"$T/build.log" | tail -n 1)
t1=$(date +%s)
if [ ! -x "$bin" ]; then
	tail -n 40 "$T/build.log" >&2
	echo "FAIL: cross/build.sh $arch built nothing"
	exit 1
fi
echo "built $bin: $(wc -c <"$bin") bytes in $((t1 - t0)) s"

case "$(readelf -lW "$bin")" in
*"program interpreter"*) fail "$bin is dynamically linked" ;;
esac
if command -v file >/dev/null; then
	desc=$(file -b "$bin")
	echo "file: $desc"
	expect_match "file $bin" "$desc" 'statically linked'
fi

mmt() { # args...: the binary, under qemu-user where it is foreign
	timeout -k 5 120 ${wrap:+"$wrap"} "$bin" "$@"
}

expect_match "--version" "$(mmt --version 2>&1)" '^mmtorture [0-9]+\.[0-9]+\.[0-9]+ '
list=$(mmt list 2>&1)
for w in thp_fork thp_gup va_upgrade vma_iter mem_hotplug cpu_hotplug numa_migrate; do
	printf '%s\n' "$list" | grep -q "^$w " || fail "list: no $w in '$list'"
done
expect_match "list thp_fork" "$(mmt list thp_fork 2>&1)" 'ops: +fork cow_fault'

# A short run. Its kmsg watch reads this host's /dev/kmsg, where the machine's
# other users may print a WARNING meanwhile: kmsg and taint failures belong to the
# host's kernel, and only the workloads' own failures count here.
mmt run -q --db "$DB" -d 1s --workers 1 -w vma_iter:vmas=200 -w thp_fork:size=8M,children=1 \
	>"$T/run.out" 2>&1
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || { cat "$T/run.out" >&2; fail "run exited $rc"; }
if mmt report latest --db "$DB" --json >"$T/report.json" 2>"$T/report.err"; then
	expect_eq "jobs" "$(jq '.jobs | length' "$T/report.json")" 2
	expect_eq "jobs that ran" "$(jq '[.jobs[] | select(.status == "pass" or .status == "fail")] | length' "$T/report.json")" 2
	own=$(jq -r '[.jobs[].failures[] | select(.kind != "kmsg" and .kind != "taint")
		| .kind + ": " + (.detail // "")] | .[:5] | .[]' "$T/report.json")
	[ -z "$own" ] || fail "the workloads failed under $arch: $own"
	expect_match "ops done" "$(jq '[.jobs[].ops_total] | min' "$T/report.json")" '^[1-9]'
	jq -r '.jobs[] | "job \(.workload): \(.status), \(.ops_total) ops" + (if (.notes | length) > 0 then "; " + (.notes | join("; ")) else "" end)' "$T/report.json"
else
	cat "$T/report.err" >&2
	fail "report --json"
fi
mmt report latest --db "$DB" >/dev/null 2>&1 || fail "report (text)"

# The unit suites for ARCH: the cross file's exe_wrapper runs them under qemu-user.
t2=$(date +%s)
if ! meson test -C "$out" --suite unit --print-errorlogs >"$T/unit.log" 2>&1; then
	cat "$T/unit.log" >&2
	fail "unit suites for $arch"
fi
grep -E '^(Ok|Fail|Skipped|Timeout):' "$T/unit.log"
echo "unit suites for $arch in $(($(date +%s) - t2)) s"
done_test

#!/bin/bash
# `vm fetch` and `vm list` on real Debian kernels: the newest 6.1 amd64 kernel into a
# cache kept between runs (build/vm-cache, or $MMTORTURE_CACHE), its meta.json, its
# vmlinux booted under QEMU TCG with no initrd (the banner, then the panic for want of
# a root: proof the extracted ELF is the kernel), virtio_mem's module chain, a no-op
# re-fetch, an interrupted fetch, bad SPECs; and a foreign-arch (s390x) kernel.
. "$(dirname "$0")/lib.sh"
C=${MMTORTURE_CACHE:-${VM_TEST_CACHE:?set by meson}}
KM=${VM_KMODS:?set by meson}
for t in apt-get dpkg-deb sha256sum jq od qemu-system-x86_64; do
	command -v $t >/dev/null || { echo "SKIP: needs $t (./bootstrap.sh installs it)"; exit 77; }
done

secs() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

# An ELF header's class, data, type and machine as "2 1 2 62" (64-bit LSB exec x86-64).
elf_id() {
	od -An -tu1 -j4 -N2 "$1" | tr -s ' ' | sed 's/^ //;s/ $//' | tr '\n' ' '
	od -An -tu2 -j16 -N4 "$1" | tr -s ' ' | sed 's/^ //;s/ $//'
}

# --- fetch the newest 6.1 amd64 kernel (a no-op when the cache has it) ---
t0=$(secs)
"$M" vm fetch --cache "$C" 6.1-amd64 >"$T/fetch" 2>"$T/fetch.err"
expect_eq "fetch 6.1-amd64 exit" "$?" 0
echo "fetch 6.1-amd64: $(since "$t0") s: $(cat "$T/fetch")"
REL=$(sed -n 's/^\(6\.1\.0-[0-9]*-amd64\): .*/\1/p' "$T/fetch")
expect_match "resolved release" "$REL" '^6\.1\.0-[0-9]+-amd64$'
K=$C/kernels/$REL
echo "cache: $(du -sh "$K" | cut -f1) in $K"

# --- meta.json ---
jq -e --arg r "$REL" '.release == $r and .package == "linux-image-" + $r
	and .debian_arch == "amd64" and .qemu_arch == "x86_64" and .flavour == "amd64"
	and .source == "debian" and (.version | test("^6\\.1\\."))
	and (.deb_sha256 | test("^[0-9a-f]{64}$")) and .deb_size > 10000000
	and .boot_images == ["vmlinuz", "vmlinux"] and .files.vmlinux == "vmlinux"
	and .files.config == "config" and .files.modules == "modules"
	and .modules_set == "guest" and .modules_count > 20 and .size > 10000000
	and (.fetched | test("^20[0-9-]+T"))' "$K/meta.json" >/dev/null ||
	fail "meta.json: $(cat "$K/meta.json")"
expect_eq "vmlinux ELF (class data type machine)" "$(elf_id "$K/vmlinux")" "2 1 2 62"
grep -q "^CONFIG_VIRTIO_MEM=m" "$K/config" || fail "config lacks CONFIG_VIRTIO_MEM=m"
[ -e "$K/System.map" ] && fail "Debian's placeholder System.map was kept"

# --- list ---
"$M" vm list --cache "$C" >"$T/list" || fail "vm list"
expect_match "list row" "$(grep "^$REL " "$T/list")" "^$REL +amd64 +amd64 +6\.1\.[0-9]+-[0-9]+ +[0-9.]+M +vmlinuz,vmlinux +20"
"$M" vm list --cache "$C" --json | jq -e --arg r "$REL" --arg d "$K" \
	'map(select(.release == $r and .dir == $d)) | length == 1' >/dev/null || fail "list --json"

# --- virtio_mem's chain: every dependency before its user, the transport before the driver ---
"$KM" "$C" "$REL" virtio_mem >"$T/chain" 2>"$T/chain.err" || fail "kmods: $(cat "$T/chain.err")"
names=$(sed 's#.*/##;s/\.ko.*//' "$T/chain" | tr '\n' ' ')
echo "virtio_mem load order: $names"
expect_eq "virtio_mem chain" "$names" "virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_pci virtio_mem "
if command -v modinfo >/dev/null; then
	seen=" "
	while read -r ko; do
		for d in $(modinfo -F depends "$ko" | tr ',' ' '); do
			case "$seen" in *" $d "*) ;; *) fail "$ko needs $d, not loaded before it" ;; esac
		done
		seen="$seen$(modinfo -F name "$ko") "
	done <"$T/chain"
fi
"$KM" "$C" "$REL" ext4 | sed 's#.*/##' | tr '\n' ' ' >"$T/ext4"
expect_match "ext4 chain" "$(cat "$T/ext4")" '(crc16|mbcache|jbd2).*ext4\.ko $'
# The library finds a kernel by path and by X.Y-FLAVOUR (the newest cached) too.
expect_eq "by path" "$("$KM" "$C" "$K" virtio_mem | tail -1)" "$K/modules/kernel/drivers/virtio/virtio_mem.ko"
expect_eq "by series" "$("$KM" "$C" 6.1-amd64 virtio_mem | tail -1)" "$(tail -1 "$T/chain")"
expect_eq "by series, fetching" "$("$KM" "$C" 6.1-amd64 --fetch virtio_mem | tail -1)" "$(tail -1 "$T/chain")"
# Unpacked for loading: plain ELF relocatables (the 6.1 ones are not compressed: copied).
"$KM" "$C" "$REL" --unpack "$T" virtio_mem >"$T/unpacked" || fail "--unpack"
while read -r ko; do
	expect_eq "$ko is an ELF relocatable" "$(elf_id "$ko")" "2 1 1 62"
done <"$T/unpacked"
expect_eq "unpacked" "$(wc -l <"$T/unpacked")" 6
"$KM" "$C" "$REL" no_such_module 2>"$T/e"; expect_eq "unknown module" "$?" 2
expect_match "unknown module msg" "$(cat "$T/e")" 'no_such_module: neither in .* nor built into'

# --- a second fetch is a no-op; so is one by package name ---
stamp=$(stat -c %Y "$K/meta.json")
t0=$(secs)
"$M" vm fetch --cache "$C" "$REL" "linux-image-$REL" >"$T/again" 2>&1
expect_eq "re-fetch exit" "$?" 0
expect_eq "re-fetch said so" "$(grep -c "^$REL: already cached" "$T/again")" 2
expect_eq "re-fetch left meta.json" "$(stat -c %Y "$K/meta.json")" "$stamp"
echo "re-fetch (no-op): $(since "$t0") s"

# --- bad SPECs: exit 2 with the valid forms; a missing package with candidates ---
"$M" vm fetch --cache "$C" nonsense 2>"$T/e"; expect_eq "bad SPEC exit" "$?" 2
expect_match "bad SPEC msg" "$(cat "$T/e")" "bad SPEC 'nonsense'; valid: linux-image-RELEASE .*X\.Y-FLAVOUR .*host.*flavours: amd64 rt-amd64 cloud-amd64 .*s390x powerpc64le"
"$M" vm fetch --cache "$C" 6.1.0-56-amd65 2>"$T/e"; expect_eq "bad flavour exit" "$?" 2
expect_match "bad flavour msg" "$(cat "$T/e")" "unknown flavour"
"$M" vm fetch --cache "$C" 6.1.0-9999-amd64 2>"$T/e"; expect_eq "no such package exit" "$?" 2
expect_match "candidates" "$(cat "$T/e")" "no package linux-image-6\.1\.0-9999-amd64 .*candidates: 6\.1\.0-[0-9]+-amd64"
for c in "" fetch list; do
	"$M" vm $c --help | grep -q "^usage: mmtorture vm" || fail "vm $c --help"
done
"$M" --help | grep -q "vm fetch SPEC" || fail "--help lacks vm"
"$M" vm frobnicate 2>"$T/e"; expect_eq "bad vm command" "$?" 2
expect_match "vm commands" "$(cat "$T/e")" "valid: fetch, list"
"$M" vm fetch --cache "$C" 2>/dev/null; expect_eq "no SPEC" "$?" 2
"$M" vm list --cache "$C" --bogus 2>/dev/null; expect_eq "bad list option" "$?" 2

# A forced re-fetch in the background, signalled a second after its temp dir appears.
fetch_killed() { # SIGNAL STDERR-FILE: sets pid, leaves the exit status in rc
	"$M" vm fetch --cache "$C" --force -q "$REL" >/dev/null 2>"$2" &
	pid=$!
	for i in $(seq 50); do
		ls -d "$C/kernels/.tmp-$REL-$pid" >/dev/null 2>&1 && break
		sleep 0.1
	done
	sleep 1
	kill "-$1" "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
}

# --- an interrupted fetch leaves the cached kernel whole and nothing half in the list ---
fetch_killed KILL /dev/null
"$M" vm list --cache "$C" >"$T/list2"
expect_eq "list after a killed fetch" "$(grep -c "^$REL " "$T/list2")" 1
grep -q '^\.' "$T/list2" && fail "a temporary directory is listed"
jq -e .release "$K/meta.json" >/dev/null || fail "meta.json after a killed fetch"
"$M" vm fetch --cache "$C" "$REL" >/dev/null 2>&1 || fail "fetch after a killed fetch"
ls -d "$C/kernels/.tmp-$REL-$pid" 2>/dev/null && fail "the dead fetch's temp dir was not cleaned"

# Interrupted (Ctrl-C): the tool at work is stopped, the half-made kernel removed.
fetch_killed INT "$T/int"
expect_eq "interrupted fetch exit" "$rc" 130
expect_match "interrupted msg" "$(cat "$T/int")" "interrupted"
ls -d "$C/kernels/.tmp-$REL-$pid" 2>/dev/null && fail "an interrupted fetch left its temp dir"
jq -e .release "$K/meta.json" >/dev/null || fail "meta.json after an interrupted fetch"

# --- boot the extracted vmlinux: no initrd, so the kernel must panic for want of a root ---
t0=$(secs)
qemu-system-x86_64 -accel tcg -nodefaults -no-user-config -display none -serial stdio \
	-m 512 -no-reboot -kernel "$K/vmlinux" -append "console=ttyS0 panic=-1" \
	</dev/null >"$T/console" 2>&1 &
qpid=$!
for i in $(seq 1200); do
	kill -0 "$qpid" 2>/dev/null || break
	grep -q 'Kernel panic' "$T/console" && sleep 0.5 && break
	sleep 0.1
done
kill -KILL "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
echo "boot to panic: $(since "$t0") s"
expect_match "kernel banner" "$(grep -a 'Linux version' "$T/console")" "Linux version $REL "
grep -aq 'VFS: Unable to mount root' "$T/console" || fail "no 'VFS: Unable to mount root': $(tail -5 "$T/console")"
grep -aq 'Kernel panic - not syncing' "$T/console" || fail "no kernel panic line"

# --- a foreign architecture through its own private apt state ---
t0=$(secs)
"$M" vm fetch --cache "$C" 6.1-s390x >"$T/s390" 2>"$T/s390.err"
expect_eq "fetch 6.1-s390x exit" "$?" 0
echo "fetch 6.1-s390x: $(since "$t0") s: $(cat "$T/s390")"
SREL=$(sed -n 's/^\(6\.1\.0-[0-9]*-s390x\): .*/\1/p' "$T/s390")
jq -e '.debian_arch == "s390x" and .qemu_arch == "s390x" and .boot_images == ["vmlinuz"]
	and .modules_count > 10' "$C/kernels/$SREL/meta.json" >/dev/null ||
	fail "s390x meta.json: $(cat "$C/kernels/$SREL/meta.json")"
# Big-endian modules: virtio_blk with virtio_ccw's transport built in.
"$KM" "$C" "$SREL" virtio_blk virtio >"$T/schain" 2>&1 || fail "s390x kmods: $(cat "$T/schain")"
expect_match "s390x chain" "$(tr '\n' ' ' <"$T/schain")" 'virtio_blk\.ko builtin virtio $'
[ -z "$(dpkg --print-foreign-architectures)" ] || fail "the system gained a foreign architecture"

# --- the host's running kernel: copied when /boot has it, else a clear refusal ---
HR=$(uname -r)
if [ -r "/boot/vmlinuz-$HR" ]; then
	"$M" vm fetch --cache "$T/hc" host >/dev/null 2>&1 || fail "fetch host"
	jq -e '.source == "host"' "$T/hc/kernels/$HR/meta.json" >/dev/null || fail "host meta"
else
	"$M" vm fetch --cache "$T/hc" host 2>"$T/e"; expect_eq "host without /boot image" "$?" 1
	expect_match "host msg" "$(cat "$T/e")" "/boot/vmlinuz-$HR: .*must be readable"
fi
# The copy itself, from a root laid out as the host's would be (the Debian kernel's
# files under the running release's names), through MMTORTURE_HOST_ROOT.
if [ "$(uname -m)" = x86_64 ]; then
	R=$T/hostroot
	mkdir -p "$R/boot" "$R/lib/modules"
	cp "$K/vmlinuz" "$R/boot/vmlinuz-$HR"
	cp "$K/config" "$R/boot/config-$HR"
	cp -r "$K/modules" "$R/lib/modules/$HR"
	MMTORTURE_HOST_ROOT=$R "$M" vm fetch --cache "$T/hc" host >"$T/host" 2>&1
	expect_eq "host copy exit" "$?" 0
	jq -e --arg r "$HR" '.source == "host" and .flavour == "host" and .release == $r
		and .package == null and .qemu_arch == "x86_64" and .deb_sha256 == null
		and .boot_images == ["vmlinuz", "vmlinux"] and .modules_set == "guest"
		and .modules_count > 20' "$T/hc/kernels/$HR/meta.json" >/dev/null ||
		fail "host copy meta: $(cat "$T/hc/kernels/$HR/meta.json" "$T/host")"
	cmp -s "$K/vmlinux" "$T/hc/kernels/$HR/vmlinux" || fail "host copy: vmlinux differs"
	"$KM" "$T/hc" host virtio_mem | tail -1 | grep -q "/virtio_mem.ko$" || fail "host modules"
	[ -e "$R/boot/vmlinuz-$HR" ] || fail "the host's own files were moved"
fi

done_test

#!/bin/sh
# cross/build.sh ARCH [BUILDDIR]: a statically linked mmtorture for ARCH, to put in
# a guest's initramfs. ARCH is x86_64 (a static build for this host), s390x, aarch64
# or ppc64le (Debian's cross compilers, the libraries from cross/sysroot.sh).
#
# Installs the cross compiler if it is missing, makes the sysroot (default
# build-sysroot/ARCH, or $MMT_SYSROOT), configures BUILDDIR (default build-ARCH)
# with -Dstatic=true and builds the mmtorture target. Meson's and the compiler's
# output go to stderr; the last line on stdout is the binary's path. Idempotent: a
# second run only rebuilds what changed. Extra meson options: $MMT_MESON_OPTS.
set -eu

die() {
	echo "build.sh: $*" >&2
	exit 1
}

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: cross/build.sh x86_64|s390x|aarch64|ppc64le [BUILDDIR]"
arch=$1
. "$(dirname "$0")/arch.sh"
cross_arch "$arch"
src=$(cd "$(dirname "$0")/.." && pwd)
builddir=${2:-$src/build-$arch}

native=0
if [ "$arch" = x86_64 ]; then
	[ "$(uname -m)" = x86_64 ] || die "x86_64 is built on an x86_64 host only (natively)"
	native=1
fi

# Host packages only: the compiler and, for a static host build, the -dev packages
# bootstrap.sh installs. Nothing of another architecture goes through the system's apt.
if [ $native = 1 ]; then
	need="gcc libc6-dev meson ninja-build pkg-config libsqlite3-dev libjson-c-dev libinih-dev
		zlib1g-dev libnuma-dev liburing-dev"
else
	need="gcc-$triplet libc6-dev-$darch-cross meson ninja-build pkg-config"
fi
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "build.sh: installing$missing" >&2
	$SUDO apt-get update -q >&2
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		$missing >&2 || die "cannot install$missing"
fi

start=$(date +%s)
if [ $native = 1 ]; then
	setup_args="-Dstatic=true"
else
	sysroot=${MMT_SYSROOT:-$src/build-sysroot/$arch}
	"$src/cross/sysroot.sh" "$arch" "$sysroot" >&2
	sysroot=$(cd "$sysroot" && pwd)
	setup_args="--cross-file $sysroot/sysroot.ini --cross-file $src/cross/$arch.ini -Dstatic=true"
fi
if [ ! -f "$builddir/build.ninja" ]; then
	# shellcheck disable=SC2086 # option lists
	meson setup "$builddir" "$src" $setup_args ${MMT_MESON_OPTS:-} >&2 ||
		die "meson setup $builddir failed"
fi
meson compile -C "$builddir" mmtorture mmtorture-worker >&2 || die "building $builddir/mmtorture failed"

bin=$builddir/mmtorture
# A static build has no program interpreter: a dynamic one would not start in a
# guest whose initramfs holds nothing but busybox and this binary.
if readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
	die "$bin is dynamically linked"
fi
echo "build.sh: $arch: $(wc -c <"$bin") bytes, $(($(date +%s) - start)) s" >&2
echo "$bin"

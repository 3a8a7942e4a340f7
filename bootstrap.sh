#!/bin/sh
# Install what mmtorture needs from Debian (12 or newer) and build it into ./build.
# Idempotent: a second run only rebuilds what changed. Run as root (or with sudo).
# chromium (about 115 MB to fetch, 350 MB installed) and xmllint are for the smoke
# suite's tests of the plots and of the HTML report in a real browser.
# --cross also installs the cross compilers and qemu-user for cross/build.sh and the
# `long` suite's cross tests (the target-arch libraries come from cross/sysroot.sh).
set -eu
cd "$(dirname "$0")"

PACKAGES="meson ninja-build gcc pkg-config git libnuma-dev liburing-dev libhwloc-dev
	libinih-dev libjson-c-dev libsqlite3-dev libarchive-dev zlib1g-dev sqlite3 jq gnuplot-nox
	util-linux procps
	libkmod-dev liblzma-dev libzstd-dev liblz4-dev kmod
	qemu-system-x86 busybox-static
	chromium libxml2-utils"
CROSS_PACKAGES="gcc-s390x-linux-gnu libc6-dev-s390x-cross gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
	qemu-user-static file debian-archive-keyring"
case "${1:-}" in
"") ;;
--cross) PACKAGES="$PACKAGES $CROSS_PACKAGES" ;;
*)
	echo "usage: ./bootstrap.sh [--cross]" >&2
	exit 2
	;;
esac

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "bootstrap: installing$missing"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
[ -d build ] || meson setup build
meson compile -C build

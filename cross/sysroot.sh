#!/bin/sh
# cross/sysroot.sh ARCH DIR: the target-arch libraries mmtorture links, unpacked into DIR.
#
# ARCH is x86_64, s390x, aarch64 or ppc64le. Debian's packages for ARCH are fetched
# with an apt state private to DIR/.apt (its own sources list, package lists, cache
# and an empty dpkg status), then unpacked with dpkg-deb -x: the system's apt and
# dpkg are never touched, so no foreign architecture is added to them and a broken
# foreign index cannot break the system's `apt-get update`.
#
# Also writes DIR/sysroot.ini, the machine file that tells cross/ARCH.ini where DIR
# is. Idempotent: DIR/.complete records what was unpacked; a second run with the
# same package list does nothing (MMT_SYSROOT_REFRESH=1 fetches again).
# MMT_DEBIAN_MIRROR and MMT_DEBIAN_SUITE override the mirror and the release.
set -eu

die() {
	echo "sysroot.sh: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: cross/sysroot.sh x86_64|s390x|aarch64|ppc64le DIR"
. "$(dirname "$0")/arch.sh"
cross_arch "$1"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	die "needs Debian's apt-get and dpkg-deb"

mkdir -p "$2"
dir=$(cd "$2" && pwd)
case "$dir" in *"'"*) die "DIR may not contain a quote: $dir" ;; esac

# The required libraries (json-c, sqlite3 and its zlib, inih) and the optional ones
# the core uses when present (libnuma, liburing). The runtime packages come along so
# that a dynamic cross build can link too; a static build takes the .a files from the
# -dev packages. hwloc is left out: its static library needs libudev, which Debian
# ships as a shared library only.
PACKAGES="libsqlite3-dev libsqlite3-0 libjson-c-dev libjson-c5 libinih-dev libinih1
	zlib1g-dev zlib1g libnuma-dev libnuma1 liburing-dev liburing2"
REQUIRED_LIBS="libsqlite3.a libjson-c.a libinih.a libz.a"

mirror=${MMT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -z "${MMT_DEBIAN_SUITE:-}" ]; then
	MMT_DEBIAN_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$MMT_DEBIAN_SUITE" ] || die "cannot tell the Debian release; set MMT_DEBIAN_SUITE"
fi
suite=$MMT_DEBIAN_SUITE
# shellcheck disable=SC2086,SC2116 # one line, single spaces
want="$darch $suite $(echo $PACKAGES)"

write_ini() {
	cat >"$dir/sysroot.ini" <<EOF
# Written by cross/sysroot.sh: pass before cross/$1.ini.
[constants]
sysroot = '$dir'
EOF
}

if [ "${MMT_SYSROOT_REFRESH:-0}" != 1 ] && [ -f "$dir/.complete" ] &&
	[ "$(cat "$dir/.complete")" = "$want" ]; then
	write_ini "$1"
	echo "sysroot.sh: $dir is up to date ($darch)"
	exit 0
fi
rm -f "$dir/.complete"

state=$dir/.apt
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs" \
	"$state/empty.d"
: >"$state/status"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring is missing (apt-get install debian-archive-keyring)"
sources() { # all | main
	echo "deb [arch=$darch signed-by=$keyring] $mirror $suite main"
	[ "$1" = all ] || return 0
	echo "deb [arch=$darch signed-by=$keyring] $mirror $suite-updates main"
	case "$mirror" in
	*/debian) echo "deb [arch=$darch signed-by=$keyring] ${mirror}-security $suite-security main" ;;
	esac
}

# Every path apt would take from the system is pointed into $state; the system's
# hooks (update notifiers, cache cleaners) are cleared: they are about the system.
apt_private() {
	apt-get -q \
		-o Dir::State="$state" \
		-o Dir::State::Lists="$state/lists" \
		-o Dir::State::status="$state/status" \
		-o Dir::Cache="$state/cache" \
		-o Dir::Cache::archives="$state/cache/archives" \
		-o Dir::Cache::pkgcache="$state/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$state/cache/srcpkgcache.bin" \
		-o Dir::Etc::SourceList="$state/sources.list" \
		-o Dir::Etc::SourceParts="$state/empty.d" \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts="$state/empty.d" \
		-o APT::Architecture="$darch" \
		-o APT::Architectures="$darch" \
		-o APT::Update::Post-Invoke-Success::= \
		-o APT::Update::Post-Invoke::= \
		-o APT::Sandbox::User=root \
		-o Acquire::Retries=3 \
		-o Acquire::Languages=none \
		"$@"
}

# A foreign index has been seen to fail with a size mismatch ("Mirror sync in
# progress?"), and to go on failing: try twice from empty lists, then once with the
# release's own suite alone, which holds every package needed (without its later
# security fixes, which a test binary can do without).
n=0
for which in all all main; do
	n=$((n + 1))
	rm -rf "$state/lists"
	mkdir -p "$state/lists/partial"
	sources $which >"$state/sources.list"
	if apt_private update >"$state/update.log" 2>&1 && ! grep -q '^E:' "$state/update.log"; then
		[ $which = all ] ||
			echo "sysroot.sh: warning: $suite-updates and $suite-security left out: their $darch index failed" >&2
		break
	fi
	if [ $n -ge 3 ]; then
		cat "$state/update.log" >&2
		die "apt-get update of the $darch package lists failed $n times (log above, $state/update.log)"
	fi
	grep '^E:' "$state/update.log" | head -n 2 >&2
	echo "sysroot.sh: apt-get update failed, retrying in $((n * 5)) s" >&2
	sleep $((n * 5))
done

rm -f "$state/debs"/*.deb
# shellcheck disable=SC2086 # a list of package names
(cd "$state/debs" && apt_private download $PACKAGES) >"$state/download.log" 2>&1 || {
	cat "$state/download.log" >&2
	die "downloading the $darch packages failed (log above)"
}
for p in $PACKAGES; do
	ls "$state/debs/${p}_"*"_${darch}.deb" >/dev/null 2>&1 || die "package $p:$darch was not downloaded"
done
for deb in "$state/debs"/*.deb; do
	dpkg-deb -x "$deb" "$dir" || die "cannot unpack $deb"
done

libdir=$dir/usr/lib/$triplet
for a in $REQUIRED_LIBS; do
	[ -f "$libdir/$a" ] || die "$libdir/$a is missing after unpacking"
done
[ -d "$libdir/pkgconfig" ] || die "$libdir/pkgconfig is missing after unpacking"
write_ini "$1"
# The package lists and apt's caches (~80 MB) are only needed for the next fetch.
rm -rf "$state/lists" "$state/cache" "$state/debs"
echo "$want" >"$dir/.complete"
echo "sysroot.sh: $darch libraries unpacked into $dir"

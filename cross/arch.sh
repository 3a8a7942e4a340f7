# Sourced by cross/build.sh and cross/sysroot.sh: ARCH's Debian name and GNU
# triplet, the one table of the arches a static guest build knows.
# cross_arch ARCH: sets darch and triplet, or dies naming the valid ones.
cross_arch() {
	case "$1" in
	x86_64) darch=amd64 triplet=x86_64-linux-gnu ;;
	s390x) darch=s390x triplet=s390x-linux-gnu ;;
	aarch64) darch=arm64 triplet=aarch64-linux-gnu ;;
	ppc64le) darch=ppc64el triplet=powerpc64le-linux-gnu ;;
	*) die "unknown ARCH '$1' (x86_64, s390x, aarch64 or ppc64le)" ;;
	esac
}

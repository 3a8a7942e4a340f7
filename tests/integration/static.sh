#!/bin/bash
# -Dstatic=true: the binary has no program interpreter and no dynamic section (a
# guest's initramfs holds nothing else to load). That it starts is the test beside
# this one, which meson runs under the cross file's exe_wrapper where it must.
. "$(dirname "$0")/lib.sh"

hdr=$(readelf -lW "$M" 2>&1) || fail "readelf -l $M: $hdr"
case "$hdr" in
*"program interpreter"*) fail "$M asks for a program interpreter: dynamically linked" ;;
esac
case "$(readelf -dW "$M" 2>&1)" in
*"no dynamic section"*) ;;
*) fail "$M has a dynamic section" ;;
esac
if command -v file >/dev/null; then
	expect_match "file $M" "$(file -b "$M")" 'statically linked'
fi
done_test

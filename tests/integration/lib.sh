# Shared by the integration tests: a scratch dir and db, and small checks.
# MMTORTURE (the binary) and SRCDIR come from meson.
set -u
M=${MMTORTURE:?set by meson}
T=$(mktemp -d /tmp/mmt-test.XXXXXX)
DB=$T/t.db
export MMTORTURE_DB=$DB
failures=0
trap 'rm -rf "$T"' EXIT

need_root() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
}

q() {
	sqlite3 -batch -noheader "$DB" "$@"
}

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect_eq() { # what got want
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

expect_match() { # what text regex
	printf '%s' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match /$3/"
}

done_test() {
	[ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }
	exit 0
}

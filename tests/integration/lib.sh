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

# The one-job run tagged TAG: a column of its job; its ops as "plug=1 online=1 ...".
tag_job() { # TAG COLUMN
	q "select $2 from jobs where run_id = (select id from runs where tag = '$1')"
}
tag_ops() { # TAG: "plug=1 online=1 ..." in the op order
	q "select group_concat(name || '=' || count, ' ') from (select o.name, o.count from job_ops o
		join jobs j on o.job_id = j.id join runs r on j.run_id = r.id
		where r.tag = '$1' order by o.id)"
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

// SPDX-License-Identifier: GPL-2.0
/*
 * Run selectors: each form selects exactly its runs from a real store, the
 * SQL binds every value (a quote in a tag is data), and every kind of bad
 * selector is refused naming the piece and the valid choices. Grouping names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "select.h"
#include "synth.h"

static char dir[] = "/tmp/mmt-select-XXXXXX";

static const struct synth_run runs[] = {
	{"6.1.0-56-amd64", "x86_64", "base", "h1", "profiles/smoke.ini", 0, "complete"},
	{"6.1.0-56-amd64", "x86_64", "patched", "h1", NULL, 0, "complete"},
	{"6.12.9-amd64", "x86_64", "base", "h2", NULL, 1, "complete"},
	{"6.1.0-50-s390x", "s390x", "it's", "h2", NULL, 1, "interrupted"},
	{"6.12.9-arm64", "aarch64", "base", "h2", NULL, 1, NULL},
	{"6.12.9-amd64", "x86_64", "", "h1", NULL, 0, "complete"},
	{"6.1.0-56-amd64", "x86_64", "nightly", "h1", NULL, 0, "complete"},
};

/* The ids sel selects, as "1,2,3". */
static const char *selected(struct mmt_store *s, const char *text)
{
	static char buf[320];
	struct mmt_sel *sel;
	char err[256];
	int64_t *ids;
	size_t used = 0;
	int n, i;

	if (mmt_sel_parse(text, &sel, err, sizeof(err))) {
		snprintf(buf, sizeof(buf), "parse error: %s", err);
		return buf;
	}
	buf[0] = '\0';
	if (mmt_sel_runs(s, sel, &ids, &n)) {
		snprintf(buf, sizeof(buf), "query error");
	} else {
		for (i = 0; i < n; i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%" PRId64,
						 i ? "," : "", ids[i]);
		free(ids);
	}
	mmt_sel_free(sel);
	return buf;
}

static void selecting(struct mmt_store *s)
{
	CHECK_STR(selected(s, "run=3,5-7"), "3,5,6,7");
	CHECK_STR(selected(s, "run=latest"), "7");
	CHECK_STR(selected(s, "run=2,latest"), "2,7");
	CHECK_STR(selected(s, "last=2"), "6,7");
	CHECK_STR(selected(s, "kernel=6.1.*"), "1,2,4,7");
	CHECK_STR(selected(s, "kernel=6.1*"), "1,2,3,4,5,6,7"); /* a glob: 6.12 too */
	CHECK_STR(selected(s, "kernel=6.1*,6.12*,arch=x86_64"), "1,2,3,6,7");
	CHECK_STR(selected(s, "kernel=6.12*,arch=x86_64"), "3,6");
	CHECK_STR(selected(s, "tag=it's"), "4");
	CHECK_STR(selected(s, "tag!=base"), "2,4,6,7");
	CHECK_STR(selected(s, "tag=[bn]*"), "1,3,5,7");
	CHECK_STR(selected(s, "guest=1"), "3,4,5");
	CHECK_STR(selected(s, "guest=0,host=h1"), "1,2,6,7");
	CHECK_STR(selected(s, "status=interrupted"), "4");
	CHECK_STR(selected(s, "status=incomplete"), "5");
	CHECK_STR(selected(s, "arch=s390*"), "4");
	CHECK_STR(selected(s, "profile=*smoke*"), "1");
	CHECK_STR(selected(s, "uuid=000ABC03"), "3");
	CHECK_STR(selected(s, "kernel=6.1.*,tag!=base,guest=0"), "2,7");
	CHECK_STR(selected(s, "run=1-3,kernel!=6.12*"), "1,2");
	CHECK_STR(selected(s, "run=100-200"), "");
	/* A glob is case-sensitive, as SQLite's GLOB. */
	CHECK_STR(selected(s, "arch=X86_64"), "");
}

static void sql(void)
{
	struct mmt_sel *sel;
	char err[256], where[512];
	sqlite3_stmt *st;
	sqlite3 *db;

	CHECK(!mmt_sel_parse("run=3,5-7,kernel=6.1*", &sel, err, sizeof(err)));
	CHECK(!mmt_sel_where(sel, "r", where, sizeof(where)));
	CHECK_STR(where, "((r.id = ? OR r.id BETWEEN ? AND ?) AND (r.kernel_release GLOB ?))");
	CHECK(!mmt_sel_where(sel, NULL, where, sizeof(where)));
	CHECK_STR(where, "((id = ? OR id BETWEEN ? AND ?) AND (kernel_release GLOB ?))");
	CHECK(mmt_sel_where(sel, "r", where, 20) == -ENOSPC);
	CHECK_STR(mmt_sel_text(sel), "run=3,5-7,kernel=6.1*");
	/* Binding starts where the caller says and returns the next free index. */
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT ?, ?, ?, ?, ?, ?", -1, &st, NULL) == SQLITE_OK);
	CHECK(mmt_sel_bind(sel, st, 2) == 6);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK(sqlite3_column_type(st, 0) == SQLITE_NULL);
	CHECK(sqlite3_column_int(st, 1) == 3 && sqlite3_column_int(st, 2) == 5);
	CHECK(sqlite3_column_int(st, 3) == 7);
	CHECK_STR((const char *)sqlite3_column_text(st, 4), "6.1*");
	sqlite3_finalize(st);
	sqlite3_close(db);
	mmt_sel_free(sel);
	CHECK(!mmt_sel_parse("tag!=a,b", &sel, err, sizeof(err)));
	CHECK(!mmt_sel_where(sel, "", where, sizeof(where)));
	CHECK_STR(where, "(NOT (tag GLOB ? OR tag GLOB ?))");
	mmt_sel_free(sel);
}

/* text is refused with an error holding each of the wants. */
static void refused(const char *text, const char *want1, const char *want2)
{
	struct mmt_sel *sel = (struct mmt_sel *)1;
	char err[512] = "";

	CHECK_MSG(mmt_sel_parse(text, &sel, err, sizeof(err)) == -EINVAL, "'%s' accepted", text);
	CHECK(sel == NULL);
	CHECK_CONTAINS(err, want1);
	if (want2)
		CHECK_CONTAINS(err, want2);
}

static void invalid(void)
{
	const char *ids = "valid: a run id (3), a range (5-7) or latest";

	refused("foo=1", "selector 'foo=1': unknown key 'foo'", mmt_sel_keys);
	refused("6.1", "'6.1' is not KEY=VALUE; valid keys: run, last, uuid, kernel", NULL);
	refused("", "'' is not KEY=VALUE", mmt_sel_keys);
	refused("=x", "unknown key ''", mmt_sel_keys);
	refused("run=x", "bad run 'x'", ids);
	refused("run=0", "bad run '0'", ids);
	refused("run=7-5", "bad run '7-5'", ids);
	refused("run=3-", "bad run '3-'", ids);
	refused("run=-3", "bad run '-3'", ids);
	refused("run=99999999999999999999", "bad run", ids);
	refused("guest=yes", "bad guest 'yes'; valid: 0, 1", NULL);
	refused("status=done", "bad status 'done'", "valid: complete, incomplete, interrupted");
	refused("kernel=", "empty value for kernel", "valid: a kernel release or a glob");
	refused("kernel=6.1*,", "empty value for kernel", NULL);
	refused("last=2,3", "last takes one value", "a count of the latest runs");
	refused("last!=2", "last takes '=' only", NULL);
	refused("last=0", "bad last '0'", NULL);
	refused("uuid=zz", "bad uuid 'zz'", "hex digits");
}

static void grouping(void)
{
	struct mmt_run_info ri;
	char err[256], name[64];
	unsigned by;

	CHECK(!mmt_sel_parse_by("kernel,arch", &by, err, sizeof(err)));
	CHECK(by == (MMT_BY_KERNEL | MMT_BY_ARCH));
	CHECK(!mmt_sel_parse_by("sel,run,tag,host,guest", &by, err, sizeof(err)));
	CHECK(by == (MMT_BY_SEL | MMT_BY_RUN | MMT_BY_TAG | MMT_BY_HOST | MMT_BY_GUEST));
	CHECK(mmt_sel_parse_by("kernel,colour", &by, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "bad grouping field 'colour'");
	CHECK_CONTAINS(err, mmt_sel_by_names);
	CHECK(mmt_sel_parse_by("", &by, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "empty grouping");

	memset(&ri, 0, sizeof(ri));
	snprintf(ri.kernel_release, sizeof(ri.kernel_release), "6.1.0-56-amd64");
	snprintf(ri.arch, sizeof(ri.arch), "x86_64");
	snprintf(ri.hostname, sizeof(ri.hostname), "box");
	ri.guest = 1;
	mmt_sel_group_name(MMT_BY_KERNEL | MMT_BY_ARCH, NULL, 3, &ri, name, sizeof(name));
	CHECK_STR(name, "6.1.0-56-amd64/x86_64");
	mmt_sel_group_name(MMT_BY_SEL | MMT_BY_TAG, "tag=x", 3, &ri, name, sizeof(name));
	CHECK_STR(name, "tag=x/(no tag)");
	mmt_sel_group_name(MMT_BY_SEL, NULL, 3, &ri, name, sizeof(name));
	CHECK_STR(name, "all");
	mmt_sel_group_name(MMT_BY_RUN | MMT_BY_GUEST | MMT_BY_HOST, NULL, 3, &ri, name,
			   sizeof(name));
	CHECK_STR(name, "run 3/box/guest");
	mmt_sel_group_name(MMT_BY_KERNEL | MMT_BY_ARCH, NULL, 3, &ri, name, 10);
	CHECK_STR(name, "6.1.0-56-");
}

int main(void)
{
	struct mmt_store *s;
	char path[64], err[256];
	size_t i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	CHECK(!mmt_store_open(&s, path, err, sizeof(err)));
	for (i = 0; i < MMT_ARRAY_SIZE(runs); i++)
		CHECK(synth_run(s, &runs[i], (int)i + 1) == (int64_t)i + 1);
	selecting(s);
	mmt_store_close(s);
	sql();
	invalid();
	grouping();
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return check_done();
}

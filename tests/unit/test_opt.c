// SPDX-License-Identifier: GPL-2.0
/* Option tables: parsing, ranges, defaults, formatting and the error texts. */
#include <errno.h>
#include <stddef.h>

#include "check.h"
#include "opt.h"
#include "workload.h"

struct o {
	int64_t size, n, t;
	int mode, flag;
};

static const char *const modes[] = {"all", "one", NULL};
static const struct mmt_opt opts[] = {
	{"size", MMT_OPT_SIZE, offsetof(struct o, size), 4096, 1ll << 30, "64M", NULL, ""},
	{"n", MMT_OPT_INT, offsetof(struct o, n), 1, 32, "2", NULL, ""},
	{"t", MMT_OPT_DURATION, offsetof(struct o, t), 0, 3600000000000ll, "30s", NULL, ""},
	{"mode", MMT_OPT_ENUM, offsetof(struct o, mode), 0, 0, "one", modes, ""},
	{"flag", MMT_OPT_BOOL, offsetof(struct o, flag), 0, 0, "no", NULL, ""},
	{NULL},
};

static void parse(void)
{
	int64_t v;
	int b;

	CHECK(!mmt_parse_size("64M", &v) && v == 64 << 20);
	CHECK(!mmt_parse_size("2g", &v) && v == 2ll << 30);
	CHECK(!mmt_parse_size("4096", &v) && v == 4096);
	CHECK(!mmt_parse_size("1.5K", &v) && v == 1536);
	CHECK(mmt_parse_size("12Q", &v) == -EINVAL);
	CHECK(mmt_parse_size("-1M", &v) == -EINVAL);
	CHECK(!mmt_parse_duration("250ms", &v) && v == 250000000);
	CHECK(!mmt_parse_duration("2m", &v) && v == 120000000000ll);
	CHECK(!mmt_parse_duration("3", &v) && v == 3000000000ll);
	CHECK(mmt_parse_duration("soon", &v) == -EINVAL);
	CHECK(!mmt_parse_bool("yes", &b) && b == 1);
	CHECK(!mmt_parse_bool("off", &b) && b == 0);
	CHECK(mmt_parse_bool("maybe", &b) == -EINVAL);
}

static void table(void)
{
	struct o x;
	char err[512], buf[64];

	CHECK(mmt_opt_defaults(opts, &x) == 0);
	CHECK(x.size == 64 << 20 && x.n == 2 && x.t == 30000000000ll && x.mode == 1 && !x.flag);
	CHECK(mmt_opt_set(opts, &x, "n", "5", err, sizeof(err)) == 0 && x.n == 5);
	CHECK(mmt_opt_set(opts, &x, "mode", "all", err, sizeof(err)) == 0 && x.mode == 0);
	CHECK(mmt_opt_set(opts, &x, "nn", "5", err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "unknown option 'nn'");
	CHECK_CONTAINS(err, "size, n, t, mode, flag");
	CHECK(mmt_opt_set(opts, &x, "n", "99", err, sizeof(err)) == -ERANGE);
	CHECK_CONTAINS(err, "1..32");
	CHECK(mmt_opt_set(opts, &x, "size", "1K", err, sizeof(err)) == -ERANGE);
	CHECK_CONTAINS(err, "4K..1G");
	CHECK(mmt_opt_set(opts, &x, "mode", "some", err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "all|one");
	CHECK(mmt_opt_set(opts, &x, "n", "five", err, sizeof(err)) == -EINVAL);
	mmt_opt_format(&opts[0], &x, buf, sizeof(buf));
	CHECK_STR(buf, "64M");
	mmt_opt_format(&opts[2], &x, buf, sizeof(buf));
	CHECK_STR(buf, "30s");
	mmt_opt_format(&opts[3], &x, buf, sizeof(buf));
	CHECK_STR(buf, "all");
}

/* Every registered workload's table is sound: defaults parse and lie in range. */
static void registry(void)
{
	const struct mmt_workload *wl;
	char buf[256];
	size_t i;
	void *o;

	CHECK(mmt_nworkloads >= 1);
	for (i = 0; i < mmt_nworkloads; i++) {
		wl = mmt_workloads[i];
		o = calloc(1, wl->opts_size ? wl->opts_size : 1);
		CHECK_MSG(mmt_opt_defaults(wl->opts, o) == 0, "%s defaults", wl->name);
		CHECK_MSG(mmt_workload_nops(wl) >= 1 && mmt_workload_nops(wl) <= MMT_MAX_OPS,
			  "%s ops", wl->name);
		CHECK(wl->setup && wl->run && wl->teardown && wl->summary && wl->mirrors);
		CHECK(mmt_workload_find(wl->name) == wl);
		free(o);
	}
	mmt_needs_format(MMT_NEED_ROOT | MMT_NEED_DESTRUCTIVE, buf, sizeof(buf));
	CHECK_STR(buf, "root, destructive");
}

int main(void)
{
	parse();
	table();
	registry();
	return check_done();
}

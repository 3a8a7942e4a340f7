// SPDX-License-Identifier: GPL-2.0
/* Profiles: what a good one yields, and the file:line and choices a bad one names. */
#include <errno.h>

#include "check.h"
#include "main.h"
#include "profile.h"

static int load(struct mmt_profile *p, const char *text, char *err, size_t len)
{
	mmt_profile_init(p);
	return mmt_profile_load_string(p, "t.ini", text, err, len);
}

static void good(void)
{
	struct mmt_profile p;
	char err[1024], *json;
	int r;

	r = load(&p,
		 "; comment\n"
		 "[run]\n"
		 "duration = 3s\n"
		 "placement = compact\n"
		 "seed = 99\n"
		 "\n"
		 "[kmsg]\n"
		 "allow = ^ACPI Warning\n"
		 "[thp_fork]\n"
		 "[thp_fork:big]\n"
		 "size = 128M   ; inline comment\n"
		 "write = random\n"
		 "duration = 1s\n"
		 "workers = 3\n",
		 err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	CHECK(p.duration_ns == 3000000000ll);
	CHECK_STR(p.placement, "compact");
	CHECK(p.seed_set && p.seed == 99);
	CHECK(p.allow.n == 1 && mmt_kmsg_allowed(&p.allow, "ACPI Warning: foo"));
	CHECK(p.njobs == 2); /* an empty section is a job with defaults */
	CHECK_STR(p.jobs[0].label, "");
	CHECK_STR(p.jobs[0].where, "t.ini:9");
	CHECK_STR(p.jobs[1].label, "big");
	CHECK(p.jobs[1].duration_ns == 1000000000ll && p.jobs[1].workers == 3);
	json = mmt_job_params_json(&p.jobs[1]);
	CHECK_CONTAINS(json, "\"size\":\"128M\"");
	CHECK_CONTAINS(json, "\"write\":\"random\"");
	free(json);
	mmt_profile_free(&p);
}

static void bad(const char *text, const char *want1, const char *want2)
{
	struct mmt_profile p;
	char err[2048];

	CHECK_MSG(load(&p, text, err, sizeof(err)) == -EINVAL, "accepted: %s", text);
	CHECK_CONTAINS(err, want1);
	if (want2)
		CHECK_CONTAINS(err, want2);
	mmt_profile_free(&p);
}

static void errors(void)
{
	bad("[run]\nduration = 1s\n[thp_fork]\nsise = 64M\n",
	    "t.ini:4: unknown key 'sise' in "
	    "[thp_fork]",
	    "valid: size, children, threads");
	bad("[thp_frk]\n", "t.ini:1: unknown section [thp_frk]", "thp_fork");
	bad("[thp_fork]\nchildren = 99\n", "t.ini:2:", "1..32");
	bad("[thp_fork]\nwrite = most\n", "t.ini:2: bad value 'most' for write",
	    "all|one-per-thp|random");
	bad("[run]\nplacement = percore\n[thp_fork]\n", "t.ini:2:", "per-core, per-node");
	bad("[run]\nspeed = 3\n", "t.ini:2: unknown key 'speed' in [run]", "duration, workers");
	bad("[run]\nduration = soon\n", "t.ini:2: bad value 'soon' for duration", "30s");
	bad("[kmsg]\nallow = (unclosed\n[thp_fork]\n", "t.ini:2: bad regex", NULL);
	bad("[thp_fork]\nthis line has no equals sign\n", "t.ini:2: syntax error", NULL);
	bad("[run]\nduration = 1s\n", "no jobs", NULL);
	bad("size = 1M\n", "t.ini:1: 'size' outside any section", NULL);
}

static void companion(void)
{
	struct mmt_profile p;
	char err[1024], *json;

	CHECK_MSG(load(&p, "[thp_fork]\nwith = thp_fork:size=8M,workers=1\nsize = 32M\n", err,
		       sizeof(err)) == 0,
		  "%s", err);
	CHECK(p.njobs == 1 && p.jobs[0].with && p.jobs[0].with->workers == 1);
	CHECK(p.jobs[0].with->wl == mmt_workload_find("thp_fork"));
	json = mmt_job_params_json(&p.jobs[0]);
	CHECK_CONTAINS(json, "\"with\":\"thp_fork:size=8M,workers=1\"");
	CHECK_CONTAINS(json, "\"size\":\"32M\"");
	free(json);
	mmt_profile_free(&p);
	bad("[thp_fork]\nwith = nope\n", "t.ini:2: unknown workload 'nope' in with", "thp_fork");
	bad("[thp_fork]\nwith = thp_fork:sise=1M\n", "t.ini:2: unknown key 'sise'", "size");
	bad("[thp_fork]\nwith = thp_fork:duration=1s\n", "t.ini:2: with: 'duration' is the job's",
	    NULL);
	bad("[thp_fork]\nwith = thp_fork\nwith = thp_fork\n", "t.ini:3: a job takes one 'with'",
	    NULL);
	mmt_profile_init(&p);
	CHECK(mmt_profile_set_with(&p, "thp_fork", err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "after -w");
	CHECK(mmt_profile_add_cli_job(&p, "thp_fork", err, sizeof(err)) == 0);
	CHECK(mmt_profile_set_with(&p, "thp_fork:children=1", err, sizeof(err)) == 0);
	CHECK(p.jobs[0].with != NULL);
	mmt_profile_free(&p);
}

static void cli_jobs(void)
{
	struct mmt_profile p;
	char err[1024];

	mmt_profile_init(&p);
	CHECK(mmt_profile_add_cli_job(&p, "thp_fork:size=32M,children=3,duration=2s", err,
				      sizeof(err)) == 0);
	CHECK(p.njobs == 1 && p.jobs[0].duration_ns == 2000000000ll);
	CHECK(mmt_profile_add_cli_job(&p, "nope", err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "unknown workload 'nope'; valid: thp_fork");
	CHECK(mmt_profile_add_cli_job(&p, "thp_fork:size", err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "not OPTION=VALUE");
	CHECK(mmt_profile_add_cli_job(&p, "thp_fork:bogus=1", err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "unknown key 'bogus'");
	mmt_profile_free(&p);
}

/* The shipped profiles parse. */
static void shipped(void)
{
	static const char *const names[] = {"quick", "smoke"};
	struct mmt_profile p;
	char path[4096], err[1024];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(mmt_find_profile(names[i], path, sizeof(path)) == 0);
		mmt_profile_init(&p);
		CHECK_MSG(mmt_profile_load(&p, path, err, sizeof(err)) == 0, "%s", err);
		CHECK(p.njobs >= 1);
		mmt_profile_free(&p);
	}
	mmt_profile_init(&p);
	CHECK(mmt_profile_load(&p, "/nonexistent.ini", err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "/nonexistent.ini: cannot read profile");
	mmt_profile_free(&p);
}

int main(void)
{
	good();
	errors();
	companion();
	cli_jobs();
	shipped();
	return check_done();
}

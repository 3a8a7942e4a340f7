// SPDX-License-Identifier: GPL-2.0
/*
 * compare on synthetic stores written with the store API: runs drawn from one
 * distribution come out clean (A/A); a 10% slower median, a 10% faster one, a
 * 10% throughput drop and a new failure kind are marked, with the right sign;
 * selectors pick what they say and refuse what they do not know; the store is
 * not modified; the JSON carries the numbers the table shows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"
#include "compare.h"
#include "html.h"
#include "select.h"
#include "stats.h"
#include "store.h"

static char dir[] = "/tmp/mmt-compare-XXXXXX";

/* How a side's jobs are drawn. */
struct shape {
	double lat_scale; /* multiplies every latency */
	double rate_scale; /* multiplies every interval's ops */
	int fail_kind; /* -1: none; else every job fails with this kind */
};

static const struct shape same = {1, 1, -1};

static double gauss(struct mmt_rng *r)
{
	double u = mmt_rng_unit(r), v = mmt_rng_unit(r);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/*
 * One job's op: 20000 latencies, log-normal around 2 us (sigma 0.5, a long
 * tail), with a per-job level that varies 2% from run to run; ten 1 s intervals
 * around 2000 ops, per-job level varying 2%, each interval 5%.
 */
static void fill_op(struct mmt_op_result *o, const struct shape *sh, struct mmt_rng *r)
{
	double lat_level = 1 + 0.02 * gauss(r), rate_level = 1 + 0.02 * gauss(r);
	int i;

	snprintf(o->name, sizeof(o->name), "fault");
	mmt_hist_init(&o->h);
	for (i = 0; i < 20000; i++)
		mmt_hist_record(&o->h,
				(uint64_t)(2000 * lat_level * sh->lat_scale * exp(0.5 * gauss(r))));
	o->nintervals = 10;
	o->intervals = calloc(10, sizeof(*o->intervals));
	for (i = 0; i < 10; i++)
		o->intervals[i] =
			(uint64_t)(2000 * rate_level * sh->rate_scale * (1 + 0.05 * gauss(r)));
}

static void fill_job(struct mmt_job_result *j, const struct shape *sh, struct mmt_rng *r)
{
	memset(j, 0, sizeof(*j));
	j->seq = 1;
	snprintf(j->workload, sizeof(j->workload), "thp_fork");
	j->params_json = strdup("{\"size\":\"64M\"}");
	j->repeat = 1;
	j->nworkers = 1;
	j->planned_ns = j->elapsed_ns = 10000000000ull;
	j->interval_ns = 1000000000ull;
	j->status = sh->fail_kind >= 0 ? MMT_FAIL : MMT_PASS;
	j->nops = 1;
	j->ops = calloc(1, sizeof(*j->ops));
	fill_op(&j->ops[0], sh, r);
	if (sh->fail_kind < 0)
		return;
	j->nfailures = 1;
	j->failures = calloc(1, sizeof(*j->failures));
	j->failures[0].kind = sh->fail_kind;
	snprintf(j->failures[0].detail, sizeof(j->failures[0].detail), "injected");
}

static void fill_run(struct mmt_run_info *ri, const char *kernel, const char *tag, int day)
{
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->uuid, sizeof(ri->uuid), "%s-%s-%d", kernel, tag, day);
	/* 2026-11-01 00:00 UTC plus day days and an hour. */
	ri->started_ns = (1793491200ull + (uint64_t)day * 86400 + 3600) * 1000000000ull;
	snprintf(ri->tool_version, sizeof(ri->tool_version), "0.1.0");
	snprintf(ri->kernel_release, sizeof(ri->kernel_release), "%s", kernel);
	snprintf(ri->arch, sizeof(ri->arch), "x86_64");
	snprintf(ri->tag, sizeof(ri->tag), "%s", tag);
	snprintf(ri->hostname, sizeof(ri->hostname), "testhost");
	ri->page_size = 4096;
	ri->va_bits = 47;
}

/* n runs of one job each, tagged. */
static void add_runs(struct mmt_store *s, const char *kernel, const char *tag, int n,
		     const struct shape *sh, struct mmt_rng *r, int day0)
{
	struct mmt_run_info ri;
	struct mmt_job_result j;
	int64_t id;
	int i;

	for (i = 0; i < n; i++) {
		fill_run(&ri, kernel, tag, day0 + i);
		CHECK(mmt_store_begin_run(s, &ri, &id) == 0);
		fill_job(&j, sh, r);
		CHECK(mmt_store_add_job(s, id, &j) == 0);
		CHECK(mmt_store_end_run(s, id, "complete", j.status == MMT_PASS ? 0 : 1) == 0);
		mmt_job_result_free(&j);
	}
}

/* A store with a baseline tagged "base" and a candidate tagged "cand", 5 runs each. */
static struct mmt_store *make_store(const char *name, const struct shape *cand, uint64_t seed)
{
	char path[256], err[256];
	struct mmt_store *s;
	struct mmt_rng r;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	CHECK(mmt_store_open(&s, path, err, sizeof(err)) == 0);
	mmt_rng_seed(&r, seed);
	add_runs(s, "6.1.0-56-amd64", "base", 5, &same, &r, 0);
	add_runs(s, "6.12.117+deb12-amd64", "cand", 5, cand, &r, 10);
	return s;
}

static int select_ids(struct mmt_store *s, const char *text, int64_t **ids, int *n)
{
	struct mmt_sel *sel;
	char err[1024];
	int rc = mmt_sel_parse(text, &sel, err, sizeof(err));

	CHECK_MSG(rc == 0, "%s: %s", text, err);
	if (rc)
		return rc;
	rc = mmt_sel_runs(s, sel, ids, n);
	mmt_sel_free(sel);
	return rc ? rc : *n ? 0 : -ENOENT;
}

static struct mmt_compare *compare(struct mmt_store *s, const char *bsel, const char *csel)
{
	struct mmt_cmp_opts o;
	struct mmt_compare *c = NULL;
	int64_t *b = NULL, *cd = NULL;
	int nb = 0, nc = 0;
	char err[512];

	mmt_cmp_opts_init(&o);
	CHECK(select_ids(s, bsel, &b, &nb) == 0);
	CHECK(select_ids(s, csel, &cd, &nc) == 0);
	CHECK_MSG(mmt_compare_runs(s, b, nb, cd, nc, &o, &c, err, sizeof(err)) == 0, "%s", err);
	free(b);
	free(cd);
	return c;
}

static const struct mmt_cmp_row *row(const struct mmt_compare *c, int metric)
{
	return &c->wl[0].ops[0].row[metric];
}

static void print_rows(const char *what, const struct mmt_compare *c)
{
	int m;

	for (m = 0; m < MMT_CMP__METRICS; m++) {
		const struct mmt_cmp_row *r = row(c, m);

		fprintf(stderr, "%s %-6s %+6.2f%% p=%.3g CI [%+.2f, %+.2f] floor %.1f%% %s\n", what,
			mmt_cmp_metric_name(m), r->change_pct, r->p, r->ci_lo, r->ci_hi,
			r->floor_pct, mmt_cmp_mark_name(r->mark));
	}
}

static void test_aa(void)
{
	struct mmt_store *s;
	struct mmt_compare *c;
	uint64_t seed;
	int m;

	/* Five independent A/A stores: nothing may be marked in any of them. */
	for (seed = 1; seed <= 5; seed++) {
		char name[16];

		snprintf(name, sizeof(name), "aa%d", (int)seed);
		s = make_store(name, &same, seed);
		c = compare(s, "tag=base", "tag=cand");
		if (!c)
			break;
		print_rows("A/A", c);
		CHECK_MSG(c->regressions == 0 && c->improvements == 0, "seed %d: %d, %d", (int)seed,
			  c->regressions, c->improvements);
		CHECK(c->nwl == 1 && c->wl[0].nops == 1 && c->base.nruns == 5);
		CHECK(c->wl[0].status_mark == MMT_CMP_SAME);
		for (m = 0; m < MMT_CMP_MAX; m++)
			CHECK(row(c, m)->mark == MMT_CMP_SAME);
		CHECK(row(c, MMT_CMP_MAX)->mark == MMT_CMP_UNTESTED);
		/* The noise floor never drops below its minimum. */
		CHECK(row(c, MMT_CMP_P50)->floor_pct >= 5);
		mmt_compare_free(c);
		mmt_store_close(s);
	}
}

static void test_latency_shift(void)
{
	struct shape slower = {1.10, 1, -1}, faster = {1 / 1.10, 1, -1};
	struct mmt_store *s = make_store("slow", &slower, 11);
	struct mmt_compare *c = compare(s, "tag=base", "tag=cand");
	const struct mmt_cmp_row *r;

	if (!c)
		return;
	print_rows("slower", c);
	r = row(c, MMT_CMP_P50);
	CHECK(r->mark == MMT_CMP_REGRESSION);
	CHECK_MSG(r->change_pct > 7 && r->change_pct < 13, "%g", r->change_pct);
	CHECK(r->ci_lo > 0 && r->ci_lo < r->change_pct && r->ci_hi > r->change_pct);
	CHECK(row(c, MMT_CMP_P90)->mark == MMT_CMP_REGRESSION);
	CHECK(row(c, MMT_CMP_OPS_S)->mark == MMT_CMP_SAME);
	CHECK(c->regressions >= 2 && c->improvements == 0);
	mmt_compare_free(c);
	mmt_store_close(s);

	s = make_store("fast", &faster, 12);
	c = compare(s, "tag=base", "tag=cand");
	if (!c)
		return;
	print_rows("faster", c);
	CHECK(row(c, MMT_CMP_P50)->mark == MMT_CMP_IMPROVED);
	CHECK(row(c, MMT_CMP_P50)->change_pct < -5);
	CHECK(c->regressions == 0);
	/* The same comparison the other way round: the improvement is a regression. */
	mmt_compare_free(c);
	c = compare(s, "tag=cand", "tag=base");
	if (c)
		CHECK(row(c, MMT_CMP_P50)->mark == MMT_CMP_REGRESSION);
	mmt_compare_free(c);
	mmt_store_close(s);
}

static void test_throughput_drop(void)
{
	struct shape drop = {1, 0.90, -1};
	struct mmt_store *s = make_store("drop", &drop, 21);
	struct mmt_compare *c = compare(s, "tag=base", "tag=cand");
	const struct mmt_cmp_row *r;

	if (!c)
		return;
	print_rows("drop", c);
	r = row(c, MMT_CMP_OPS_S);
	CHECK(r->mark == MMT_CMP_REGRESSION);
	CHECK_MSG(r->change_pct < -7 && r->change_pct > -13, "%g", r->change_pct);
	CHECK(r->p < 1e-6 && !r->exact); /* 50 intervals a side: the normal approximation */
	CHECK(r->nb_samples == 50 && r->nc_samples == 50);
	CHECK(row(c, MMT_CMP_P50)->mark == MMT_CMP_SAME);
	mmt_compare_free(c);
	mmt_store_close(s);
}

static void test_new_failure(void)
{
	struct shape verify = {1, 1, MMT_FK_VERIFY};
	struct mmt_store *s = make_store("fail", &verify, 31);
	struct mmt_compare *c = compare(s, "tag=base", "tag=cand");
	const struct mmt_cmp_workload *w;

	if (!c)
		return;
	w = &c->wl[0];
	CHECK(w->status_mark == MMT_CMP_REGRESSION);
	CHECK(w->kind_mark[MMT_FK_VERIFY] == MMT_CMP_REGRESSION);
	CHECK(w->kind_mark[MMT_FK_SIGNAL] == MMT_CMP_SAME);
	CHECK(w->cand.fail == 5 && w->cand.kind_jobs[MMT_FK_VERIFY] == 5);
	CHECK(w->base.pass == 5 && w->base.kind_jobs[MMT_FK_VERIFY] == 0);
	CHECK(c->regressions == 2);
	/* Reversed: the failure is gone, which is an improvement, not a regression. */
	mmt_compare_free(c);
	c = compare(s, "tag=cand", "tag=base");
	if (c) {
		CHECK(c->wl[0].status_mark == MMT_CMP_IMPROVED);
		CHECK(c->wl[0].kind_mark[MMT_FK_VERIFY] == MMT_CMP_IMPROVED);
		CHECK(c->regressions == 0);
	}
	mmt_compare_free(c);
	mmt_store_close(s);
}

static int count(struct mmt_store *s, const char *sel)
{
	int64_t *ids = NULL;
	int n = 0, rc = select_ids(s, sel, &ids, &n);

	free(ids);
	return rc ? rc : n;
}

static void check_bad(const char *text, const char *want)
{
	struct mmt_sel *sel = NULL;
	char err[1024] = "";

	CHECK_MSG(mmt_sel_parse(text, &sel, err, sizeof(err)) == -EINVAL, "%s parsed", text);
	CHECK_CONTAINS(err, want);
	mmt_sel_free(sel);
}

/*
 * The selectors compare takes are the shared ones (test_select covers them);
 * here the sides this test's stores are made of, and since/until.
 */
static void test_selectors(void)
{
	struct mmt_store *s = make_store("sel", &same, 41);
	int64_t *ids;
	int n;

	/* Runs 1-5: 6.1 on days 0-4; runs 6-10: 6.12.117+deb12 on days 10-14. */
	CHECK(count(s, "kernel=6.1.*") == 5);
	CHECK(count(s, "kernel=6.12.117+deb12-amd64") == 5);
	CHECK(count(s, "kernel=6.1.*,arch=arm64") == -ENOENT);
	CHECK(count(s, "run=1,3-4,9") == 4);
	CHECK(count(s, "tag=base,cand") == 10);
	CHECK(count(s, "since=2026-11-11") == 5);
	CHECK(count(s, "until=2026-11-03") == 3); /* the whole of the 3rd */
	CHECK(count(s, "since=2026-11-03T00:59,until=2026-11-03T01:00") == 1);
	CHECK(count(s, "since=2026-11-03T01:00:01") == 7);
	CHECK(count(s, "until!=2026-11-12") == 3); /* started after the 12th */
	CHECK(select_ids(s, "since=2026-11-02,until=2026-11-04", &ids, &n) == 0);
	CHECK(n == 3 && ids[0] == 2 && ids[2] == 4);
	free(ids);
	check_bad("since=yesterday", "bad since 'yesterday'; valid: a start time, YYYY-MM-DD");
	check_bad("until=2026-13-01", "bad until '2026-13-01'");
	check_bad("until=2026-11-01T25:00", "bad until");
	check_bad("since=2026-11-01,2026-11-02", "since takes one value");
	check_bad("colour=red", "unknown key 'colour'; valid: run, last, uuid, kernel, arch, tag, "
				"host, profile, guest, status, since, until");
	mmt_store_close(s);
}

static void test_read_only_and_json(void)
{
	struct shape slower = {1.10, 1, -1};
	struct mmt_store *s = make_store("ro", &slower, 51), *ro;
	struct json_object *doc, *wl, *op, *m, *v;
	char path[256], err[256], *buf = NULL;
	struct mmt_compare *c;
	struct stat before, after;
	size_t len = 0;
	FILE *f;

	mmt_store_close(s);
	snprintf(path, sizeof(path), "%s/ro.db", dir);
	CHECK(stat(path, &before) == 0);
	CHECK(mmt_store_open_ro(&ro, path, err, sizeof(err)) == 0);
	c = compare(ro, "kernel=6.1.*", "kernel=6.12.*");
	mmt_store_close(ro);
	CHECK(stat(path, &after) == 0);
	CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	      before.st_mtim.tv_nsec == after.st_mtim.tv_nsec && before.st_size == after.st_size);
	snprintf(path, sizeof(path), "%s/none.db", dir);
	CHECK(mmt_store_open_ro(&ro, path, err, sizeof(err)) == -ENOENT);
	CHECK(access(path, F_OK) != 0); /* not created */
	if (!c)
		return;
	doc = mmt_compare_to_json(c);
	CHECK(json_object_get_int(json_object_object_get(doc, "regressions")) == c->regressions);
	wl = json_object_array_get_idx(json_object_object_get(doc, "workloads"), 0);
	op = json_object_array_get_idx(json_object_object_get(wl, "ops"), 0);
	m = json_object_array_get_idx(json_object_object_get(op, "metrics"), MMT_CMP_P50);
	CHECK_STR(json_object_get_string(json_object_object_get(m, "metric")), "p50");
	CHECK_STR(json_object_get_string(json_object_object_get(m, "mark")), "REGRESSION");
	CHECK(json_object_get_double(json_object_object_get(m, "change_pct")) ==
	      row(c, MMT_CMP_P50)->change_pct);
	v = json_object_object_get(json_object_object_get(m, "job_values"), "candidate");
	CHECK(json_object_array_length(v) == 5);
	CHECK(json_object_array_length(json_object_object_get(m, "ci_pct")) == 2);
	CHECK(json_object_get_type(json_object_object_get(m, "p")) == json_type_null);
	v = json_object_array_get_idx(
		json_object_object_get(json_object_object_get(doc, "baseline"), "runs"), 0);
	CHECK_STR(json_object_get_string(json_object_object_get(v, "kernel")), "6.1.0-56-amd64");
	json_object_put(doc);
	/* The HTML report's comparison section accepts the tables as they are. */
	doc = mmt_compare_to_html(c);
	f = open_memstream(&buf, &len);
	CHECK(mmt_html_comparison(doc, f) == 0);
	fclose(f);
	CHECK_CONTAINS(buf, "fault");
	CHECK_CONTAINS(buf, "REGRESSION");
	free(buf);
	buf = NULL;
	json_object_put(doc);
	f = open_memstream(&buf, &len);
	CHECK(mmt_compare_text(c, f) == 0);
	fclose(f);
	CHECK_CONTAINS(buf, "fault p50");
	CHECK_CONTAINS(buf, "REGRESSION");
	CHECK_CONTAINS(buf, "runs 1-5:");
	free(buf);
	mmt_compare_free(c);
}

/*
 * Jobs a side against t tables: at alpha 0.01 on one row, CV 10% and a 10%
 * target, n = 37 gives (t(.995, 72) + t(.95, 72)) sqrt(2/37) = (2.646 + 1.666)
 * 0.2325 = 1.0025 > 1 and n = 38 gives (2.644 + 1.666) 0.2294 = 0.989 <= 1.
 */
static void test_runs_needed(void)
{
	struct mmt_cmp_opts o;
	int n;

	mmt_cmp_opts_init(&o);
	CHECK(o.target_pct == 10);
	n = mmt_cmp_runs_needed(&o, 1, 10);
	CHECK_MSG(n == 38, "%d", n);
	/* No spread: the per-job Mann-Whitney test alone sets it, five a side at 0.01... */
	CHECK(mmt_cmp_runs_needed(&o, 1, 0) == 5);
	/* ...and four at 0.05 (2 / C(8, 4) = 0.029 < 0.05 <= 2 / C(6, 3) = 0.1). */
	o.alpha = 0.05;
	CHECK(mmt_cmp_runs_needed(&o, 1, 0) == 4);
	o.alpha = 0.01;
	/* More rows tested, more runs; a larger target, fewer. */
	CHECK(mmt_cmp_runs_needed(&o, 40, 10) > n);
	o.target_pct = 20;
	CHECK(mmt_cmp_runs_needed(&o, 1, 10) < n);
	/* Out of reach: over the bound, or a target under the minimum floor. */
	o.target_pct = 10;
	CHECK(mmt_cmp_runs_needed(&o, 1, 200) == -1);
	o.target_pct = 4;
	CHECK(mmt_cmp_runs_needed(&o, 1, 1) == -1);
	/* Without a measured spread there is nothing to say. */
	CHECK(mmt_cmp_runs_needed(&o, 1, NAN) == 0);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 99;
	test_aa();
	test_latency_shift();
	test_throughput_drop();
	test_new_failure();
	test_selectors();
	test_read_only_and_json();
	test_runs_needed();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The results store: a run with two jobs goes in and comes back field for
 * field; a run that was never ended stays 'incomplete' with its jobs; files the
 * store does not understand are refused untouched; the reports show what a
 * kernel developer looks for.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "check.h"
#include "report.h"
#include "store.h"

static char dir[] = "/tmp/mmt-store-XXXXXX";

static void fill_run(struct mmt_run_info *ri, const char *uuid)
{
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->uuid, sizeof(ri->uuid), "%s", uuid);
	ri->started_ns = 1700000000123456789ull;
	snprintf(ri->tool_version, sizeof(ri->tool_version), "0.1.0");
	snprintf(ri->git_rev, sizeof(ri->git_rev), "v0.1-3-gabcdef0-dirty");
	ri->seed = 0xfeedfacecafebeefull; /* above INT64_MAX: must survive the signed column */
	snprintf(ri->profile, sizeof(ri->profile), "profiles/quick.ini");
	ri->profile_text = strdup("[thp_fork]\nsize = 64M\n");
	ri->argv = strdup("mmtorture run -p profiles/quick.ini");
	snprintf(ri->kernel_release, sizeof(ri->kernel_release), "6.8.0-test");
	snprintf(ri->kernel_version, sizeof(ri->kernel_version), "#1 SMP PREEMPT_DYNAMIC");
	snprintf(ri->arch, sizeof(ri->arch), "x86_64");
	ri->page_size = 4096;
	ri->va_bits = 47;
	ri->thp_json = strdup("{\"enabled\":\"madvise\",\"defrag\":\"madvise\"}");
	ri->cmdline = NULL; /* absent stays absent */
	snprintf(ri->config_hash, sizeof(ri->config_hash), "cbf29ce484222325");
	snprintf(ri->config_source, sizeof(ri->config_source), "/proc/config.gz");
	snprintf(ri->cpu_model, sizeof(ri->cpu_model), "AMD EPYC 7763");
	snprintf(ri->topology, sizeof(ri->topology), "1 package, 2 nodes, 8 cores, 16 cpus");
	snprintf(ri->hostname, sizeof(ri->hostname), "testhost");
	ri->guest = 1;
	snprintf(ri->virt, sizeof(ri->virt), "kvm");
	snprintf(ri->tag, sizeof(ri->tag), "nightly");
}

static void fill_op(struct mmt_op_result *o, const char *name, uint64_t base, unsigned n)
{
	uint64_t x = base * 2654435761u + 1;
	unsigned i;

	snprintf(o->name, sizeof(o->name), "%s", name);
	mmt_hist_init(&o->h);
	for (i = 0; i < n; i++) {
		/* A spread over four decades with a long tail, like fault latencies. */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		mmt_hist_record(&o->h, base + (x >> 33) % (base * (i % 100 == 0 ? 1000 : 10)));
	}
	o->nintervals = 5;
	o->intervals = calloc(5, sizeof(*o->intervals));
	for (i = 0; i < 5; i++)
		o->intervals[i] = n / 5 + i;
}

static void fill_failures(struct mmt_job_result *j)
{
	struct mmt_failure *f;

	j->nfailures = 3;
	j->failures = calloc(3, sizeof(*j->failures));
	f = &j->failures[0];
	f->kind = MMT_FK_VERIFY;
	f->worker = 1;
	f->pid = 4242;
	f->op = 1;
	f->vclass = MMT_V_STALE_GEN;
	f->addr = 0x7f0000001000ull;
	f->t_ns = 123456789;
	f->want = mmt_tag_make(0x1234, mmt_owner(1, 2), 7, 12);
	f->found = mmt_tag_make(0x1234, mmt_owner(1, 2), 6, 12);
	snprintf(f->detail, sizeof(f->detail), "child 2 read a stale page after fork");
	f = &j->failures[1];
	f->kind = MMT_FK_ERRNO;
	f->op = 0;
	f->err = ENOMEM;
	f->addr = 0xffffffffffff0000ull;
	snprintf(f->detail, sizeof(f->detail), "mremap: Cannot allocate memory");
	f = &j->failures[2];
	f->kind = MMT_FK_SIGNAL;
	f->op = -1;
	f->err = SIGSEGV;
	snprintf(f->detail, sizeof(f->detail), "pid 4243 killed by SIGSEGV at 0x10");
	j->failures_dropped = 17;
}

static void fill_kmsg(struct mmt_job_result *j)
{
	static const char *const text[] = {
		"thp_fork[4242]: segfault at 10 ip 0000 sp 0000 error 4",
		"WARNING: CPU: 3 PID: 4242 at mm/huge_memory.c:2650 split_huge_page",
		"page_owner is disabled",
	};
	int i;

	j->nkmsg = 3;
	j->kmsg = calloc(3, sizeof(*j->kmsg));
	for (i = 0; i < 3; i++) {
		j->kmsg[i].seq = 1000 + (uint64_t)i;
		j->kmsg[i].ts_us = 5000000 + (uint64_t)i * 17;
		j->kmsg[i].level = 4 - i;
		j->kmsg[i].verdict = i == 0   ? MMT_KMSG_INFO
				     : i == 1 ? MMT_KMSG_FAIL
					      : MMT_KMSG_ALLOWED;
		snprintf(j->kmsg[i].rule, sizeof(j->kmsg[i].rule), "%s", i ? "WARNING:" : "");
		j->kmsg[i].text = strdup(text[i]);
	}
}

static void fill_extras(struct mmt_job_result *j, int seq)
{
	int i;

	j->nvmstat = 2;
	j->vmstat = calloc(2, sizeof(*j->vmstat));
	snprintf(j->vmstat[0].key, sizeof(j->vmstat[0].key), "thp_split_page");
	j->vmstat[0].delta = 12 * seq;
	snprintf(j->vmstat[1].key, sizeof(j->vmstat[1].key), "nr_anon_pages");
	j->vmstat[1].delta = -4096;
	j->nmetrics = 2;
	j->metrics = calloc(2, sizeof(*j->metrics));
	snprintf(j->metrics[0].key, sizeof(j->metrics[0].key), "cow_bytes");
	j->metrics[0].value = 1.5e9;
	snprintf(j->metrics[1].key, sizeof(j->metrics[1].key), "split_ratio");
	j->metrics[1].value = 0.123456789;
	j->nnotes = 2;
	j->notes = calloc(2, sizeof(*j->notes));
	j->notes[0] = strdup("THP disabled for this VMA after 3 retries");
	j->notes[1] = strdup("");
	j->nworkers = 2;
	j->workers = calloc(2, sizeof(*j->workers));
	for (i = 0; i < 2; i++) {
		struct mmt_worker_result *w = &j->workers[i];

		w->worker = i;
		w->pid = 4000 + i;
		w->planned = (struct mmt_where){i, i, 0, i};
		w->applied = (struct mmt_where){i + 8, i, 0, -1};
		w->status = i ? MMT_FAIL : MMT_PASS;
		w->exit_code = i ? -1 : 0;
		w->term_signal = i ? SIGKILL : 0;
	}
}

static void fill_job(struct mmt_job_result *j, int seq, int failing)
{
	memset(j, 0, sizeof(*j));
	j->seq = seq;
	snprintf(j->workload, sizeof(j->workload), "%s", failing ? "thp_fork" : "mremap_storm");
	snprintf(j->label, sizeof(j->label), "%s", failing ? "big" : "");
	j->params_json = strdup("{\"size\":\"64M\",\"children\":\"2\"}");
	j->repeat = seq;
	snprintf(j->placement, sizeof(j->placement), "spread");
	j->planned_ns = 5000000000ull;
	j->started_ns = 1700000001000000000ull + (uint64_t)seq;
	j->elapsed_ns = 5012345678ull;
	j->interval_ns = 1000000000ull;
	j->status = failing ? MMT_FAIL : MMT_PASS;
	snprintf(j->reason, sizeof(j->reason), "%s", failing ? "verify: stale generation" : "");
	j->taint_before = 0;
	j->taint_after = failing ? 0x200 : 0;
	j->nops = 2;
	j->ops = calloc(2, sizeof(*j->ops));
	fill_op(&j->ops[0], failing ? "fork" : "mremap", 2000, 20000);
	fill_op(&j->ops[1], failing ? "cow_fault" : "touch", 300, 50000);
	fill_extras(j, seq);
	if (failing) {
		fill_failures(j);
		fill_kmsg(j);
	}
}

static void compare_run(const struct mmt_run_info *a, const struct mmt_run_info *b)
{
	CHECK_STR(a->uuid, b->uuid);
	CHECK(a->started_ns == b->started_ns);
	CHECK_STR(a->tool_version, b->tool_version);
	CHECK_STR(a->git_rev, b->git_rev);
	CHECK(a->seed == b->seed);
	CHECK_STR(a->profile, b->profile);
	CHECK_STR(a->profile_text, b->profile_text);
	CHECK_STR(a->argv, b->argv);
	CHECK_STR(a->kernel_release, b->kernel_release);
	CHECK_STR(a->kernel_version, b->kernel_version);
	CHECK_STR(a->arch, b->arch);
	CHECK(a->page_size == b->page_size);
	CHECK(a->va_bits == b->va_bits);
	CHECK_STR(a->thp_json, b->thp_json);
	CHECK(b->cmdline == NULL);
	CHECK_STR(a->config_hash, b->config_hash);
	CHECK_STR(a->config_source, b->config_source);
	CHECK_STR(a->cpu_model, b->cpu_model);
	CHECK_STR(a->topology, b->topology);
	CHECK_STR(a->hostname, b->hostname);
	CHECK(a->guest == b->guest);
	CHECK_STR(a->virt, b->virt);
	CHECK_STR(a->tag, b->tag);
}

static void compare_ops(const struct mmt_job_result *a, const struct mmt_job_result *b)
{
	static const double pct[] = {50, 90, 99, 99.9};
	int i, k;

	CHECK(a->nops == b->nops);
	for (i = 0; i < a->nops && i < b->nops; i++) {
		const struct mmt_op_result *x = &a->ops[i], *y = &b->ops[i];

		CHECK_STR(x->name, y->name);
		CHECK_MSG(!memcmp(&x->h, &y->h, sizeof(x->h)), "histogram of %s differs", x->name);
		for (k = 0; k < (int)MMT_ARRAY_SIZE(pct); k++)
			CHECK(mmt_hist_percentile(&x->h, pct[k]) ==
			      mmt_hist_percentile(&y->h, pct[k]));
		CHECK(x->nintervals == y->nintervals);
		for (k = 0; k < x->nintervals && k < y->nintervals; k++)
			CHECK(x->intervals[k] == y->intervals[k]);
	}
}

static void compare_failures(const struct mmt_job_result *a, const struct mmt_job_result *b)
{
	int i;

	CHECK(a->nfailures == b->nfailures);
	CHECK(a->failures_dropped == b->failures_dropped);
	for (i = 0; i < a->nfailures && i < b->nfailures; i++)
		CHECK_MSG(!memcmp(&a->failures[i], &b->failures[i], sizeof(a->failures[i])),
			  "failure %d differs (%s)", i, b->failures[i].detail);
	CHECK(a->nkmsg == b->nkmsg);
	for (i = 0; i < a->nkmsg && i < b->nkmsg; i++) {
		CHECK(a->kmsg[i].seq == b->kmsg[i].seq);
		CHECK(a->kmsg[i].ts_us == b->kmsg[i].ts_us);
		CHECK(a->kmsg[i].level == b->kmsg[i].level);
		CHECK(a->kmsg[i].verdict == b->kmsg[i].verdict);
		CHECK_STR(a->kmsg[i].rule, b->kmsg[i].rule);
		CHECK_STR(a->kmsg[i].text, b->kmsg[i].text);
	}
}

static void compare_extras(const struct mmt_job_result *a, const struct mmt_job_result *b)
{
	int i;

	CHECK(a->nworkers == b->nworkers);
	for (i = 0; i < a->nworkers && b->workers; i++)
		CHECK(!memcmp(&a->workers[i], &b->workers[i], sizeof(a->workers[i])));
	CHECK(a->nvmstat == b->nvmstat);
	for (i = 0; i < a->nvmstat && i < b->nvmstat; i++) {
		CHECK_STR(a->vmstat[i].key, b->vmstat[i].key);
		CHECK(a->vmstat[i].delta == b->vmstat[i].delta);
	}
	CHECK(a->nmetrics == b->nmetrics);
	for (i = 0; i < a->nmetrics && i < b->nmetrics; i++) {
		CHECK_STR(a->metrics[i].key, b->metrics[i].key);
		CHECK(a->metrics[i].value == b->metrics[i].value);
	}
	CHECK(a->nnotes == b->nnotes);
	for (i = 0; i < a->nnotes && i < b->nnotes; i++)
		CHECK_STR(a->notes[i], b->notes[i]);
}

static void compare_job(const struct mmt_job_result *a, const struct mmt_job_result *b)
{
	CHECK(a->seq == b->seq);
	CHECK_STR(a->workload, b->workload);
	CHECK_STR(a->label, b->label);
	CHECK_STR(a->params_json, b->params_json);
	CHECK(a->repeat == b->repeat);
	CHECK_STR(a->placement, b->placement);
	CHECK(a->planned_ns == b->planned_ns);
	CHECK(a->started_ns == b->started_ns);
	CHECK(a->elapsed_ns == b->elapsed_ns);
	CHECK(a->interval_ns == b->interval_ns);
	CHECK(a->status == b->status);
	CHECK_STR(a->reason, b->reason);
	CHECK(a->taint_before == b->taint_before);
	CHECK(a->taint_after == b->taint_after);
	compare_ops(a, b);
	compare_failures(a, b);
	compare_extras(a, b);
}

static struct mmt_store *open_ok(const char *path)
{
	struct mmt_store *s = NULL;
	char err[512];
	int rc = mmt_store_open(&s, path, err, sizeof(err));

	CHECK_MSG(rc == 0, "open %s: %d %s", path, rc, err);
	if (rc)
		exit(check_done());
	return s;
}

static char *capture(int (*fn)(struct mmt_store *, int64_t, FILE *), struct mmt_store *s,
		     int64_t id)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	CHECK(fn(s, id, f) == 0);
	fclose(f);
	return buf ? buf : strdup("");
}

static void test_reports(struct mmt_store *s, int64_t id)
{
	struct json_object *doc, *o;
	char *text, *json, *sum;
	int rows = 0;
	char *p;

	text = capture(mmt_report_text, s, id);
	CHECK_CONTAINS(text, "cow_fault");
	CHECK_CONTAINS(text, "mremap");
	CHECK_CONTAINS(text, "p99");
	CHECK_CONTAINS(text, "child 2 read a stale page after fork");
	CHECK_CONTAINS(text, "mremap: Cannot allocate memory");
	CHECK_CONTAINS(text, "split_huge_page");
	CHECK_CONTAINS(text, "deadbeef-0001");
	json = capture(mmt_report_json, s, id);
	doc = json_tokener_parse(json);
	CHECK_MSG(doc != NULL, "report JSON does not parse");
	o = doc;
	CHECK(json_object_object_get_ex(o, "jobs", &o));
	o = json_object_array_get_idx(o, 0);
	CHECK(o && json_object_object_get_ex(o, "ops", &o));
	CHECK(o && json_object_object_get_ex(o, "mremap", &o));
	CHECK(o && json_object_object_get_ex(o, "percentiles", &o));
	CHECK(o && json_object_object_get_ex(o, "99", &o) && json_object_get_int64(o) > 0);
	json_object_put(doc);
	sum = capture(mmt_report_summary, s, id);
	for (p = sum; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;

		/* A job row starts with its number; the totals line does too, but says "jobs:". */
		if (strtol(p, &end, 10) > 0 && *end == ' ' && strncmp(end, " jobs:", 6))
			rows++;
	}
	CHECK_MSG(rows == 2, "summary has %d job rows:\n%s", rows, sum);
	CHECK_CONTAINS(sum, "2 jobs: 1 passed, 1 failed, 0 skipped, 0 errors");
	if (getenv("MMT_TEST_SHOW"))
		printf("%s\n%s\n%s\n", text, sum, json);
	free(text);
	free(json);
	free(sum);
}

static void test_round_trip(void)
{
	struct mmt_job_result jobs[2], *back = NULL;
	struct mmt_run_info ri, rback;
	char path[256], status[32];
	struct mmt_store *s;
	int64_t id, found;
	int i, n = 0;

	snprintf(path, sizeof(path), "%s/sub/dir/results.db", dir);
	s = open_ok(path);
	fill_run(&ri, "deadbeef-0001-4000-8000-000000000001");
	CHECK(mmt_store_begin_run(s, &ri, &id) == 0);
	fill_job(&jobs[0], 1, 0);
	fill_job(&jobs[1], 2, 1);
	for (i = 0; i < 2; i++)
		CHECK(mmt_store_add_job(s, id, &jobs[i]) == 0);
	CHECK(mmt_store_end_run(s, id, "complete", 1) == 0);
	CHECK(mmt_store_end_run(s, id, "bogus", 1) == -EINVAL);
	mmt_store_close(s);

	s = open_ok(path);
	CHECK(mmt_store_find_run(s, "latest", &found) == 0 && found == id);
	CHECK(mmt_store_load_run(s, id, &rback, status, sizeof(status)) == 0);
	CHECK_STR(status, "complete");
	compare_run(&ri, &rback);
	CHECK(mmt_store_load_jobs(s, id, &back, &n) == 0);
	CHECK(n == 2);
	for (i = 0; i < n && i < 2; i++)
		compare_job(&jobs[i], &back[i]);
	test_reports(s, id);
	mmt_store_close(s);
	mmt_job_results_free(back, n);
	mmt_run_info_free(&rback);
	mmt_run_info_free(&ri);
	for (i = 0; i < 2; i++)
		mmt_job_result_free(&jobs[i]);
}

static int64_t exit_code_of(struct mmt_store *s, int64_t id)
{
	sqlite3_stmt *st;
	int64_t v = -1000;

	if (sqlite3_prepare_v2(mmt_store_db(s), "SELECT exit_code FROM runs WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return v;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2000 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t count_rows(struct mmt_store *s, const char *table)
{
	char sql[64];
	sqlite3_stmt *st;
	int64_t v = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(mmt_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return v;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A run killed mid-way: the job committed before the kill is all there. */
static void test_incomplete(void)
{
	struct mmt_job_result job, *back = NULL;
	struct mmt_run_info ri, rback;
	char path[256], status[32], which[32];
	int64_t id, id2, found;
	struct mmt_store *s;
	int n = 0;

	snprintf(path, sizeof(path), "%s/killed.db", dir);
	s = open_ok(path);
	fill_run(&ri, "abc00001-aaaa");
	CHECK(mmt_store_begin_run(s, &ri, &id) == 0);
	fill_job(&job, 1, 1);
	CHECK(mmt_store_add_job(s, id, &job) == 0);
	/* A job that cannot be stored whole leaves nothing behind. */
	job.workers[1].status = 5;
	CHECK(mmt_store_add_job(s, id, &job) < 0);
	CHECK(count_rows(s, "jobs") == 1 && count_rows(s, "job_ops") == 2);
	CHECK(count_rows(s, "failures") == 3 && count_rows(s, "kmsg") == 3);
	job.workers[1].status = MMT_FAIL;
	mmt_store_close(s); /* no end_run */

	s = open_ok(path);
	CHECK(mmt_store_find_run(s, "latest", &found) == 0 && found == id);
	CHECK(mmt_store_load_run(s, id, &rback, status, sizeof(status)) == 0);
	CHECK_STR(status, "incomplete");
	CHECK(exit_code_of(s, id) == -2000);
	CHECK(mmt_store_load_jobs(s, id, &back, &n) == 0 && n == 1);
	if (n == 1)
		compare_job(&job, &back[0]);
	mmt_job_results_free(back, n);
	mmt_run_info_free(&rback);

	/* end_run; then find_run by id, uuid prefix, ambiguity and absence. */
	CHECK(mmt_store_end_run(s, id, "interrupted", 130) == 0);
	CHECK(mmt_store_load_run(s, id, &rback, status, sizeof(status)) == 0);
	CHECK_STR(status, "interrupted");
	CHECK(exit_code_of(s, id) == 130);
	mmt_run_info_free(&rback);
	mmt_run_info_free(&ri);
	fill_run(&ri, "abc00002-bbbb");
	CHECK(mmt_store_begin_run(s, &ri, &id2) == 0 && id2 > id);
	CHECK(mmt_store_find_run(s, "latest", &found) == 0 && found == id2);
	snprintf(which, sizeof(which), "%" PRId64, id);
	CHECK(mmt_store_find_run(s, which, &found) == 0 && found == id);
	CHECK(mmt_store_find_run(s, "abc00002", &found) == 0 && found == id2);
	CHECK(mmt_store_find_run(s, "ABC00001-A", &found) == 0 && found == id);
	CHECK(mmt_store_find_run(s, "abc0000", &found) == -EINVAL);
	CHECK(mmt_store_find_run(s, "999", &found) == -ENOENT);
	CHECK(mmt_store_find_run(s, "ffff", &found) == -ENOENT);
	CHECK(mmt_store_end_run(s, 999, "complete", 0) == -ENOENT);
	mmt_store_close(s);
	mmt_run_info_free(&ri);
	mmt_job_result_free(&job);
}

static void test_not_a_db(void)
{
	static const char junk[] = "this is a text file, not a database\n";
	char path[256], err[512], back[sizeof(junk) + 16];
	struct mmt_store *s = NULL;
	size_t len;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	f = fopen(path, "w");
	fputs(junk, f);
	fclose(f);
	rc = mmt_store_open(&s, path, err, sizeof(err));
	CHECK(rc < 0 && s == NULL);
	CHECK_CONTAINS(err, path);
	CHECK_CONTAINS(err, "not an SQLite database");
	f = fopen(path, "r");
	len = fread(back, 1, sizeof(back), f);
	fclose(f);
	CHECK(len == sizeof(junk) - 1 && !memcmp(back, junk, len));
	snprintf(path, sizeof(path), "%s/notes.txt-wal", dir);
	CHECK(access(path, F_OK) != 0);

	/* An empty file is a new database as far as SQLite is concerned: it becomes a store. */
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	f = fopen(path, "w");
	fclose(f);
	rc = mmt_store_open(&s, path, err, sizeof(err));
	CHECK_MSG(rc == 0, "%s", err);
	mmt_store_close(s);
}

static void test_newer_schema(void)
{
	char path[256], err[512], want[64];
	struct mmt_store *s = NULL;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/future.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	snprintf(want, sizeof(want), "PRAGMA user_version = %d", MMT_SCHEMA_VERSION + 1);
	CHECK(sqlite3_exec(db, "CREATE TABLE runs (id INTEGER PRIMARY KEY)", NULL, NULL, NULL) ==
	      SQLITE_OK);
	CHECK(sqlite3_exec(db, want, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(mmt_store_open(&s, path, err, sizeof(err)) < 0 && s == NULL);
	CHECK_CONTAINS(err, path);
	snprintf(want, sizeof(want), "version %d", MMT_SCHEMA_VERSION + 1);
	CHECK_CONTAINS(err, want);
	snprintf(want, sizeof(want), "version %d", MMT_SCHEMA_VERSION);
	CHECK_CONTAINS(err, want);

	/* Someone else's database is not ours to add tables to. */
	snprintf(path, sizeof(path), "%s/other.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(mmt_store_open(&s, path, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, path);
}

/* A version 1 store (before run_files) is upgraded in place, its runs kept. */
static void test_upgrade_v1(void)
{
	char path[256], *data = NULL;
	struct mmt_job_result job, *back = NULL;
	struct mmt_run_info ri;
	struct mmt_store *s;
	size_t len = 0;
	int64_t id, user = 0;
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = 0;

	snprintf(path, sizeof(path), "%s/v1.db", dir);
	s = open_ok(path);
	fill_run(&ri, "abc00002-bbbb");
	CHECK(mmt_store_begin_run(s, &ri, &id) == 0);
	fill_job(&job, 1, 1);
	CHECK(mmt_store_add_job(s, id, &job) == 0);
	mmt_store_close(s);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "DROP TABLE run_files; PRAGMA user_version = 1", NULL, NULL, NULL) ==
	      SQLITE_OK);
	sqlite3_close(db);

	s = open_ok(path);
	CHECK(mmt_store_load_jobs(s, id, &back, &n) == 0 && n == 1);
	if (n == 1)
		compare_job(&job, &back[0]);
	mmt_job_results_free(back, n);
	CHECK(mmt_store_load_file(s, id, "console", &data, &len) == -ENOENT);
	CHECK(mmt_store_add_file(s, id, "console", "boot\0log", 8) == 0);
	CHECK(mmt_store_add_file(s, id, "console", "boot\0log2", 9) == 0);
	CHECK(mmt_store_load_file(s, id, "console", &data, &len) == 0 && len == 9 &&
	      !memcmp(data, "boot\0log2", 9));
	free(data);
	CHECK(sqlite3_prepare_v2(mmt_store_db(s), "PRAGMA user_version", -1, &st, NULL) ==
	      SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		user = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	CHECK(user == MMT_SCHEMA_VERSION);
	mmt_store_close(s);
	mmt_job_result_free(&job);
	mmt_run_info_free(&ri);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_incomplete();
	test_not_a_db();
	test_newer_schema();
	test_upgrade_v1();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (!getenv("MMT_TEST_KEEP") && system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}

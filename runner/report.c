// SPDX-License-Identifier: GPL-2.0
/*
 * Reports read everything back through the store (never from memory), so the
 * end-of-run summary shows exactly what `mmtorture report` will show later.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sqlite3.h>

#define FAILS_SHOWN_PER_KIND 20
#define SUMMARY_WIDTH 120

struct loaded {
	int64_t id;
	struct mmt_run_info ri;
	char status[32];
	int has_exit; /* exit_code is NULL until the run ends */
	int exit_code;
	uint64_t finished_ns;
	struct mmt_job_result *jobs;
	int njobs;
};

static int load_end(struct mmt_store *s, struct loaded *l)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(mmt_store_db(s),
				"SELECT exit_code, finished_ns FROM runs"
				" WHERE id = ?",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, l->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		l->has_exit = sqlite3_column_type(st, 0) != SQLITE_NULL;
		l->exit_code = sqlite3_column_int(st, 0);
		l->finished_ns = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static void unload(struct loaded *l)
{
	mmt_run_info_free(&l->ri);
	mmt_job_results_free(l->jobs, l->njobs);
	l->jobs = NULL;
	l->njobs = 0;
}

static int load(struct mmt_store *s, int64_t id, struct loaded *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->id = id;
	rc = mmt_store_load_run(s, id, &l->ri, l->status, sizeof(l->status));
	if (rc)
		return rc;
	rc = load_end(s, l);
	if (!rc)
		rc = mmt_store_load_jobs(s, id, &l->jobs, &l->njobs);
	if (rc)
		unload(l);
	return rc;
}

/* ---- units -------------------------------------------------------------- */

/* Three significant digits: 812ns, 4.41us, 12.0ms, 301s. */
static const char *fmt_ns(uint64_t ns, char *buf, size_t len)
{
	static const char *const unit[] = {"ns", "us", "ms", "s"};
	static const double div[] = {1, 1e3, 1e6, 1e9};
	double v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v = (double)ns / div[i];
		if (v < 999.5 || i == 3)
			break;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else
		snprintf(buf, len, "%.*f%s", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, unit[i]);
	return buf;
}

/* A rate or a count, three significant digits: 0.50, 812, 4.41k, 12.0M. */
static const char *fmt_num(double r, char *buf, size_t len)
{
	static const char *const unit[] = {"", "k", "M", "G", "T"};
	int i;

	for (i = 0; i < 4 && r >= 999.5; i++)
		r /= 1000;
	if (r == 0)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%.*f%s", r < 9.995 ? 2 : r < 99.95 ? 1 : 0, r, unit[i]);
	return buf;
}

const char *mmt_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	return fmt_ns(ns, buf, len);
}

const char *mmt_fmt_num(double r, char *buf, size_t len)
{
	return fmt_num(r, buf, len);
}

/* A run's length: "42.0s", "1h02m03s". */
static const char *fmt_span(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 100)
		return fmt_ns(ns, buf, len);
	if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", s / 3600,
			 s / 60 % 60, s % 60);
	return buf;
}

const char *mmt_fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

static double per_second(uint64_t n, uint64_t elapsed_ns)
{
	return elapsed_ns ? (double)n * 1e9 / (double)elapsed_ns : 0.0;
}

static const char *op_name(const struct mmt_job_result *j, int op)
{
	return op >= 0 && op < j->nops ? j->ops[op].name : NULL;
}

static const char *kmsg_verdict(int v)
{
	return v == MMT_KMSG_FAIL ? "fail" : v == MMT_KMSG_ALLOWED ? "allowed" : "info";
}

static const char *job_title(const struct mmt_job_result *j, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", j->workload, j->label[0] ? ":" : "", j->label);
	return buf;
}

/* ---- text --------------------------------------------------------------- */

static void text_run(const struct loaded *l, FILE *out)
{
	const struct mmt_run_info *ri = &l->ri;
	char a[64], b[64];

	fprintf(out, "run %" PRId64 "  %s  %s", l->id, ri->uuid, l->status);
	if (l->has_exit)
		fprintf(out, " (exit %d)", l->exit_code);
	fprintf(out, "\n  started   %s", mmt_fmt_time(ri->started_ns, a, sizeof(a)));
	if (l->finished_ns > ri->started_ns)
		fprintf(out, ", finished %s, took %s", mmt_fmt_time(l->finished_ns, b, sizeof(b)),
			fmt_span(l->finished_ns - ri->started_ns, a, sizeof(a)));
	fprintf(out, "\n  tool      mmtorture %s (%s), seed 0x%" PRIx64 "\n", ri->tool_version,
		ri->git_rev, ri->seed);
	fprintf(out, "  profile   %s\n", ri->profile);
	if (ri->argv)
		fprintf(out, "  command   %s\n", ri->argv);
	fprintf(out, "  kernel    %s %s\n", ri->kernel_release, ri->kernel_version);
	fprintf(out, "  arch      %s, page size %ld, VA bits %d\n", ri->arch, ri->page_size,
		ri->va_bits);
	fprintf(out, "  THP       %s\n", ri->thp_json ? ri->thp_json : "-");
	fprintf(out, "  cmdline   %s\n", ri->cmdline ? ri->cmdline : "-");
	fprintf(out, "  config    %s (%s)\n", ri->config_hash[0] ? ri->config_hash : "none",
		ri->config_source[0] ? ri->config_source : "no source");
	fprintf(out, "  cpu       %s\n", ri->cpu_model);
	fprintf(out, "  topology  %s\n", ri->topology);
	fprintf(out, "  host      %s, %s, virt %s\n", ri->hostname,
		ri->guest ? "mmtorture guest" : "not a guest", ri->virt[0] ? ri->virt : "-");
	if (ri->tag[0])
		fprintf(out, "  tag       %s\n", ri->tag);
}

static void text_params(const struct mmt_job_result *j, FILE *out)
{
	struct json_object *p = j->params_json ? json_tokener_parse(j->params_json) : NULL;
	struct json_object_iterator it, end;
	int first = 1;

	if (!j->params_json)
		return;
	fprintf(out, "  params   ");
	if (!p || !json_object_is_type(p, json_type_object)) {
		fprintf(out, " %s\n", j->params_json);
		json_object_put(p);
		return;
	}
	it = json_object_iter_begin(p);
	end = json_object_iter_end(p);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		fprintf(out, "%s%s=%s", first ? " " : ", ", json_object_iter_peek_name(&it),
			json_object_get_string(json_object_iter_peek_value(&it)));
		first = 0;
	}
	fputc('\n', out);
	json_object_put(p);
}

static void text_where(const char *what, const struct mmt_where *w, FILE *out)
{
	fprintf(out, "  %s %d/%d/%d/%d", what, w->cpu, w->core, w->package, w->node);
}

static void text_workers(const struct mmt_job_result *j, FILE *out)
{
	int i;

	fprintf(out, "  workers   %d, placement %s (cpu/core/package/node)\n", j->nworkers,
		j->placement[0] ? j->placement : "-");
	for (i = 0; j->workers && i < j->nworkers; i++) {
		const struct mmt_worker_result *w = &j->workers[i];

		fprintf(out, "    w%-3d pid %-7d", w->worker, w->pid);
		text_where("planned", &w->planned, out);
		text_where("applied", &w->applied, out);
		fprintf(out, "  %s", mmt_status_name(w->status));
		if (w->term_signal)
			fprintf(out, ", killed by signal %d (%s)", w->term_signal,
				strsignal(w->term_signal));
		else if (w->exit_code)
			fprintf(out, ", exit %d", w->exit_code);
		fputc('\n', out);
	}
}

static void text_ops(const struct mmt_job_result *j, FILE *out)
{
	static const double pct[] = {50, 90, 99, 99.9};
	char b[6][24];
	int i, k;

	if (!j->nops)
		return;
	fprintf(out, "  %-20s %10s %8s %8s %8s %8s %8s %8s\n", "op", "count", "ops/s", "p50", "p90",
		"p99", "p99.9", "max");
	for (i = 0; i < j->nops; i++) {
		const struct mmt_hist *h = &j->ops[i].h;

		fmt_num(per_second(h->count, j->elapsed_ns), b[0], sizeof(b[0]));
		for (k = 0; k < 4; k++)
			fmt_ns(mmt_hist_percentile(h, pct[k]), b[k + 1], sizeof(b[k + 1]));
		fmt_ns(h->count ? h->max : 0, b[5], sizeof(b[5]));
		fprintf(out, "  %-20s %10" PRIu64 " %8s %8s %8s %8s %8s %8s\n", j->ops[i].name,
			h->count, b[0], b[1], b[2], b[3], b[4], b[5]);
	}
}

static void text_failure(const struct mmt_job_result *j, const struct mmt_failure *f, FILE *out)
{
	char want[128], found[128];
	const char *op = op_name(j, f->op);

	fprintf(out, "      w%d pid %d", f->worker, f->pid);
	if (op)
		fprintf(out, " op %s", op);
	if (f->kind == MMT_FK_ERRNO)
		fprintf(out, " errno %d (%s)", f->err, strerror(f->err));
	else if (f->kind == MMT_FK_SIGNAL)
		fprintf(out, " signal %d (%s)", f->err, strsignal(f->err));
	else if (f->err)
		fprintf(out, " status %d", f->err);
	if (f->addr)
		fprintf(out, " at 0x%" PRIx64, f->addr);
	fprintf(out, ": %.*s\n", (int)sizeof(f->detail), f->detail);
	if (f->kind != MMT_FK_VERIFY)
		return;
	mmt_tag_format(&f->want, want, sizeof(want));
	mmt_tag_format(&f->found, found, sizeof(found));
	fprintf(out, "        %s: expected %s, found %s\n", mmt_vclass_name(f->vclass), want,
		found);
}

static void text_failures(const struct mmt_job_result *j, FILE *out)
{
	int kind, i, n, shown;

	if (!j->nfailures && !j->failures_dropped)
		return;
	fprintf(out, "  failures  %d kept", j->nfailures);
	if (j->failures_dropped)
		fprintf(out, ", %" PRIu64 " more not kept", j->failures_dropped);
	fputc('\n', out);
	for (kind = 0; kind < MMT_FK__COUNT; kind++) {
		for (i = n = 0; i < j->nfailures; i++)
			n += j->failures[i].kind == kind;
		if (!n)
			continue;
		fprintf(out, "    %s x%d\n", mmt_fail_kind_name(kind), n);
		for (i = shown = 0; i < j->nfailures && shown < FAILS_SHOWN_PER_KIND; i++) {
			if (j->failures[i].kind != kind)
				continue;
			text_failure(j, &j->failures[i], out);
			shown++;
		}
		if (n > shown)
			fprintf(out, "      ... and %d more %s failures\n", n - shown,
				mmt_fail_kind_name(kind));
	}
}

static void text_kmsg(const struct mmt_job_result *j, FILE *out)
{
	int i;

	if (!j->nkmsg)
		return;
	fprintf(out, "  kmsg\n");
	for (i = 0; i < j->nkmsg; i++) {
		const struct mmt_kmsg_line *k = &j->kmsg[i];

		fprintf(out, "    [%5" PRIu64 ".%06" PRIu64 "] %-7s <%d> %s", k->ts_us / 1000000,
			k->ts_us % 1000000, kmsg_verdict(k->verdict), k->level,
			k->text ? k->text : "");
		if (k->rule[0])
			fprintf(out, "  (rule \"%s\")", k->rule);
		fputc('\n', out);
	}
}

static int vmstat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mmt_vmstat_delta *)a)->key,
		      ((const struct mmt_vmstat_delta *)b)->key);
}

static void text_vmstat(const struct mmt_job_result *j, FILE *out)
{
	struct mmt_vmstat_delta *v;
	int i;

	if (!j->nvmstat)
		return;
	fprintf(out, "  vmstat\n");
	v = malloc((size_t)j->nvmstat * sizeof(*v));
	if (v) {
		memcpy(v, j->vmstat, (size_t)j->nvmstat * sizeof(*v));
		qsort(v, (size_t)j->nvmstat, sizeof(*v), vmstat_cmp);
	}
	for (i = 0; i < j->nvmstat; i++) {
		const struct mmt_vmstat_delta *d = v ? &v[i] : &j->vmstat[i];

		fprintf(out, "    %-32s %+" PRId64 "\n", d->key, d->delta);
	}
	free(v);
}

static void text_tail(const struct mmt_job_result *j, FILE *out)
{
	int i;

	fprintf(out, "  taint     0x%" PRIx64 " -> 0x%" PRIx64 "%s\n", j->taint_before,
		j->taint_after, j->taint_after != j->taint_before ? "  CHANGED" : "");
	text_vmstat(j, out);
	for (i = 0; i < j->nmetrics; i++)
		fprintf(out, "%s%-32s %.6g\n", i ? "    " : "  metrics\n    ", j->metrics[i].key,
			j->metrics[i].value);
	for (i = 0; i < j->nnotes; i++)
		if (j->notes[i] && j->notes[i][0])
			fprintf(out, "  note      %s\n", j->notes[i]);
}

static void text_job(const struct mmt_job_result *j, FILE *out)
{
	char title[160], a[24], b[24], c[24];
	uint64_t total = mmt_job_ops_total(j);

	fprintf(out, "\njob %d  %s (repeat %d)  %s", j->seq, job_title(j, title, sizeof(title)),
		j->repeat, mmt_status_name(j->status));
	fprintf(out, "%s%s\n", j->reason[0] ? "  " : "", j->reason);
	text_params(j, out);
	text_workers(j, out);
	/* A vm hotplug step has no planned duration: it runs its cycles. */
	fprintf(out, "  elapsed   %s%s%s%s, %" PRIu64 " ops, %s ops/s\n",
		fmt_ns(j->elapsed_ns, a, sizeof(a)), j->planned_ns ? " of " : "",
		j->planned_ns ? fmt_ns(j->planned_ns, b, sizeof(b)) : "",
		j->planned_ns ? " planned" : "", total,
		fmt_num(per_second(total, j->elapsed_ns), c, sizeof(c)));
	text_ops(j, out);
	text_failures(j, out);
	text_kmsg(j, out);
	text_tail(j, out);
}

int mmt_report_text(struct mmt_store *s, int64_t run_id, FILE *out)
{
	struct loaded l;
	int rc, i;

	rc = load(s, run_id, &l);
	if (rc)
		return rc;
	text_run(&l, out);
	for (i = 0; i < l.njobs; i++)
		text_job(&l.jobs[i], out);
	unload(&l);
	return ferror(out) ? -EIO : 0;
}

/* ---- JSON --------------------------------------------------------------- */

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jhex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

/* Embedded JSON text becomes a value; if it does not parse it stays a string. */
static struct json_object *jembed(const char *text)
{
	struct json_object *o;

	if (!text)
		return NULL;
	o = json_tokener_parse(text);
	return o ? o : json_object_new_string(text);
}

static void jset(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *json_run(const struct loaded *l)
{
	const struct mmt_run_info *ri = &l->ri;
	struct json_object *o = json_object_new_object();

	jset(o, "id", json_object_new_int64(l->id));
	jset(o, "uuid", jstr(ri->uuid));
	jset(o, "status", jstr(l->status));
	jset(o, "exit_code", l->has_exit ? json_object_new_int(l->exit_code) : NULL);
	jset(o, "started_ns", json_object_new_uint64(ri->started_ns));
	jset(o, "finished_ns", l->finished_ns ? json_object_new_uint64(l->finished_ns) : NULL);
	jset(o, "tool_version", jstr(ri->tool_version));
	jset(o, "git_rev", jstr(ri->git_rev));
	jset(o, "seed", json_object_new_uint64(ri->seed));
	jset(o, "profile", jstr(ri->profile));
	jset(o, "profile_text", jstr(ri->profile_text));
	jset(o, "argv", jstr(ri->argv));
	jset(o, "kernel_release", jstr(ri->kernel_release));
	jset(o, "kernel_version", jstr(ri->kernel_version));
	jset(o, "arch", jstr(ri->arch));
	jset(o, "page_size", json_object_new_int64(ri->page_size));
	jset(o, "va_bits", json_object_new_int(ri->va_bits));
	jset(o, "thp", jembed(ri->thp_json));
	jset(o, "cmdline", jstr(ri->cmdline));
	jset(o, "config_hash", jstr(ri->config_hash));
	jset(o, "config_source", jstr(ri->config_source));
	jset(o, "cpu_model", jstr(ri->cpu_model));
	jset(o, "topology", jstr(ri->topology));
	jset(o, "hostname", jstr(ri->hostname));
	jset(o, "guest", json_object_new_boolean(ri->guest));
	jset(o, "virt", jstr(ri->virt));
	jset(o, "tag", jstr(ri->tag));
	return o;
}

static struct json_object *json_where(const struct mmt_where *w)
{
	struct json_object *o = json_object_new_object();

	jset(o, "cpu", json_object_new_int(w->cpu));
	jset(o, "core", json_object_new_int(w->core));
	jset(o, "package", json_object_new_int(w->package));
	jset(o, "node", json_object_new_int(w->node));
	return o;
}

static struct json_object *json_workers(const struct mmt_job_result *j)
{
	struct json_object *a = json_object_new_array();
	int i;

	for (i = 0; j->workers && i < j->nworkers; i++) {
		const struct mmt_worker_result *w = &j->workers[i];
		struct json_object *o = json_object_new_object();

		jset(o, "worker", json_object_new_int(w->worker));
		jset(o, "pid", json_object_new_int(w->pid));
		jset(o, "planned", json_where(&w->planned));
		jset(o, "applied", json_where(&w->applied));
		jset(o, "status", jstr(mmt_status_name(w->status)));
		jset(o, "exit_code", json_object_new_int(w->exit_code));
		jset(o, "term_signal", json_object_new_int(w->term_signal));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *json_op(const struct mmt_op_result *op)
{
	const struct mmt_hist *h = &op->h;
	struct json_object *o = json_object_new_object(), *p = json_object_new_object();
	struct json_object *iv = json_object_new_array();
	int i;

	jset(o, "count", json_object_new_uint64(h->count));
	jset(o, "min_ns", json_object_new_uint64(h->count ? h->min : 0));
	jset(o, "max_ns", json_object_new_uint64(h->count ? h->max : 0));
	jset(o, "mean_ns", json_object_new_double(mmt_hist_mean(h)));
	jset(p, "50", json_object_new_uint64(mmt_hist_percentile(h, 50)));
	jset(p, "90", json_object_new_uint64(mmt_hist_percentile(h, 90)));
	jset(p, "99", json_object_new_uint64(mmt_hist_percentile(h, 99)));
	jset(p, "99.9", json_object_new_uint64(mmt_hist_percentile(h, 99.9)));
	jset(o, "percentiles", p);
	for (i = 0; op->intervals && i < op->nintervals; i++)
		json_object_array_add(iv, json_object_new_uint64(op->intervals[i]));
	jset(o, "intervals", iv);
	return o;
}

static struct json_object *json_failure(const struct mmt_job_result *j, const struct mmt_failure *f)
{
	struct json_object *o = json_object_new_object();
	int verify = f->kind == MMT_FK_VERIFY;
	char want[128], found[128];

	mmt_tag_format(&f->want, want, sizeof(want));
	mmt_tag_format(&f->found, found, sizeof(found));
	jset(o, "kind", jstr(mmt_fail_kind_name(f->kind)));
	jset(o, "worker", json_object_new_int(f->worker));
	jset(o, "pid", json_object_new_int(f->pid));
	jset(o, "op", jstr(op_name(j, f->op)));
	jset(o, "err", json_object_new_int(f->err));
	jset(o, "class", verify ? jstr(mmt_vclass_name(f->vclass)) : NULL);
	jset(o, "addr", jhex(f->addr));
	jset(o, "detail",
	     json_object_new_string_len(f->detail, (int)strnlen(f->detail, sizeof(f->detail))));
	jset(o, "expected", verify ? jstr(want) : NULL);
	jset(o, "found", verify ? jstr(found) : NULL);
	return o;
}

static struct json_object *json_kmsg(const struct mmt_kmsg_line *k)
{
	struct json_object *o = json_object_new_object();

	jset(o, "ts_us", json_object_new_uint64(k->ts_us));
	jset(o, "level", json_object_new_int(k->level));
	jset(o, "verdict", jstr(kmsg_verdict(k->verdict)));
	jset(o, "rule", jstr(k->rule));
	jset(o, "text", jstr(k->text ? k->text : ""));
	return o;
}

static void json_job_lists(struct json_object *o, const struct mmt_job_result *j)
{
	struct json_object *ops = json_object_new_object(), *fails = json_object_new_array();
	struct json_object *kmsg = json_object_new_array(), *taint = json_object_new_object();
	struct json_object *vm = json_object_new_object(), *met = json_object_new_object();
	struct json_object *notes = json_object_new_array();
	int i;

	for (i = 0; i < j->nops; i++)
		jset(ops, j->ops[i].name, json_op(&j->ops[i]));
	for (i = 0; i < j->nfailures; i++)
		json_object_array_add(fails, json_failure(j, &j->failures[i]));
	for (i = 0; i < j->nkmsg; i++)
		json_object_array_add(kmsg, json_kmsg(&j->kmsg[i]));
	jset(taint, "before", json_object_new_uint64(j->taint_before));
	jset(taint, "after", json_object_new_uint64(j->taint_after));
	for (i = 0; i < j->nvmstat; i++)
		jset(vm, j->vmstat[i].key, json_object_new_int64(j->vmstat[i].delta));
	for (i = 0; i < j->nmetrics; i++)
		jset(met, j->metrics[i].key, json_object_new_double(j->metrics[i].value));
	for (i = 0; i < j->nnotes; i++)
		json_object_array_add(notes, jstr(j->notes[i] ? j->notes[i] : ""));
	jset(o, "ops", ops);
	jset(o, "failures", fails);
	jset(o, "failures_dropped", json_object_new_uint64(j->failures_dropped));
	jset(o, "kmsg", kmsg);
	jset(o, "taint", taint);
	jset(o, "vmstat", vm);
	jset(o, "metrics", met);
	jset(o, "notes", notes);
}

static struct json_object *json_job(const struct mmt_job_result *j)
{
	struct json_object *o = json_object_new_object();
	uint64_t total = mmt_job_ops_total(j);

	jset(o, "seq", json_object_new_int(j->seq));
	jset(o, "workload", jstr(j->workload));
	jset(o, "label", jstr(j->label));
	jset(o, "repeat", json_object_new_int(j->repeat));
	jset(o, "status", jstr(mmt_status_name(j->status)));
	jset(o, "reason", jstr(j->reason));
	jset(o, "params", j->params_json ? jembed(j->params_json) : json_object_new_object());
	jset(o, "placement", jstr(j->placement));
	jset(o, "nworkers", json_object_new_int(j->nworkers));
	jset(o, "started_ns", json_object_new_uint64(j->started_ns));
	jset(o, "planned_s", json_object_new_double((double)j->planned_ns / 1e9));
	jset(o, "elapsed_s", json_object_new_double((double)j->elapsed_ns / 1e9));
	jset(o, "interval_s", json_object_new_double((double)j->interval_ns / 1e9));
	jset(o, "ops_total", json_object_new_uint64(total));
	jset(o, "ops_per_s", json_object_new_double(per_second(total, j->elapsed_ns)));
	jset(o, "workers", json_workers(j));
	json_job_lists(o, j);
	return o;
}

int mmt_report_json(struct mmt_store *s, int64_t run_id, FILE *out)
{
	struct json_object *doc, *jobs;
	struct loaded l;
	int rc, i;

	rc = load(s, run_id, &l);
	if (rc)
		return rc;
	doc = json_object_new_object();
	jobs = json_object_new_array();
	jset(doc, "schema", json_object_new_int(1));
	jset(doc, "run", json_run(&l));
	for (i = 0; i < l.njobs; i++)
		json_object_array_add(jobs, json_job(&l.jobs[i]));
	jset(doc, "jobs", jobs);
	rc = mmt_json_write(doc, out);
	unload(&l);
	return rc;
}

int mmt_json_write(struct json_object *doc, FILE *out)
{
	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE),
	      out);
	fputc('\n', out);
	json_object_put(doc);
	return ferror(out) ? -EIO : 0;
}

/* ---- summary ------------------------------------------------------------ */

/* "fork 4.41us/12.0ms  cow_fault 812ns/3.10us" */
static void summary_ops(const struct mmt_job_result *j, char *buf, size_t len)
{
	char p50[24], p99[24];
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < j->nops && off < len; i++) {
		const struct mmt_hist *h = &j->ops[i].h;

		fmt_ns(mmt_hist_percentile(h, 50), p50, sizeof(p50));
		fmt_ns(mmt_hist_percentile(h, 99), p99, sizeof(p99));
		off += (size_t)snprintf(buf + off, len - off, "%s%s %s/%s", i ? "  " : "",
					j->ops[i].name, p50, p99);
	}
}

/* Why the job ended as it did: the reason, else the first failure, else a note. */
static const char *summary_why(const struct mmt_job_result *j)
{
	int i;

	if (j->reason[0])
		return j->reason;
	if (j->nfailures)
		return j->failures[0].detail;
	for (i = 0; i < j->nnotes; i++)
		if (j->notes[i] && j->notes[i][0])
			return j->notes[i];
	return "";
}

static void summary_row(const struct mmt_job_result *j, int opsw, FILE *out)
{
	char title[160], ops[512], rate[24];
	uint64_t nfail = (uint64_t)j->nfailures + j->failures_dropped;
	const char *why = summary_why(j);
	int used, room;

	job_title(j, title, sizeof(title));
	summary_ops(j, ops, sizeof(ops));
	fmt_num(per_second(mmt_job_ops_total(j), j->elapsed_ns), rate, sizeof(rate));
	used = fprintf(out, "%3d  %-24.24s %-6s %7s  %-*s %5" PRIu64 "  ", j->seq, title,
		       mmt_status_name(j->status), rate, opsw, ops, nfail);
	/* Many ops push the last column past the width; it still gets a readable stub. */
	room = used < SUMMARY_WIDTH - 24 ? SUMMARY_WIDTH - used : 24;
	if ((int)strlen(why) > room)
		fprintf(out, "%.*s...\n", room - 3, why);
	else
		fprintf(out, "%s\n", why);
}

static void summary_totals(const struct loaded *l, FILE *out)
{
	int n[4] = {0}, i;

	for (i = 0; i < l->njobs; i++) {
		int st = l->jobs[i].status;

		n[st == MMT_PASS ? 0 : st == MMT_FAIL ? 1 : st == MMT_SKIP ? 2 : 3]++;
	}
	fprintf(out, "%d jobs: %d passed, %d failed, %d skipped, %d errors\n", l->njobs, n[0], n[1],
		n[2], n[3]);
}

int mmt_report_summary(struct mmt_store *s, int64_t run_id, FILE *out)
{
	char ops[512];
	struct loaded l;
	int rc, i, opsw = 12;

	rc = load(s, run_id, &l);
	if (rc)
		return rc;
	for (i = 0; i < l.njobs; i++) {
		summary_ops(&l.jobs[i], ops, sizeof(ops));
		if ((int)strlen(ops) > opsw)
			opsw = (int)strlen(ops);
	}
	fprintf(out, "%3s  %-24s %-6s %7s  %-*s %5s  %s\n", "#", "workload", "status", "ops/s",
		opsw, "ops p50/p99", "fails", "reason / first failure / notes");
	for (i = 0; i < l.njobs; i++)
		summary_row(&l.jobs[i], opsw, out);
	summary_totals(&l, out);
	unload(&l);
	return ferror(out) ? -EIO : 0;
}

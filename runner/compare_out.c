// SPDX-License-Identifier: GPL-2.0
/* A comparison as a text table (in the manner of mmtests' compare-kernels) and as JSON. */
#include "compare.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

#define COL_NAME 34

/* ---- text --------------------------------------------------------------- */

/* "3-5,7": run ids (ascending) with ranges folded. */
static void fmt_ids(const struct mmt_cmp_side *sd, char *buf, size_t len)
{
	size_t off = 0;
	int i = 0, k;

	buf[0] = '\0';
	while (i < sd->nruns && off < len) {
		for (k = i; k + 1 < sd->nruns && sd->runs[k + 1].id == sd->runs[k].id + 1; k++)
			;
		if (k > i)
			off += (size_t)snprintf(buf + off, len - off, "%s%lld-%lld", i ? "," : "",
						(long long)sd->runs[i].id,
						(long long)sd->runs[k].id);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? "," : "",
						(long long)sd->runs[i].id);
		i = k + 1;
	}
}

/* The distinct "kernel arch [tag]" of a side's runs. */
static void fmt_kernels(const struct mmt_cmp_side *sd, char *buf, size_t len)
{
	size_t off = 0;
	int i, k, shown = 0;

	buf[0] = '\0';
	for (i = 0; i < sd->nruns && off < len; i++) {
		const struct mmt_cmp_run *r = &sd->runs[i];

		for (k = 0; k < i; k++)
			if (!strcmp(sd->runs[k].kernel, r->kernel) &&
			    !strcmp(sd->runs[k].arch, r->arch) && !strcmp(sd->runs[k].tag, r->tag))
				break;
		if (k < i)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s %s%s%s%s", shown++ ? "; " : "",
					r->kernel, r->arch, r->guest ? " guest" : "",
					r->tag[0] ? " tag " : "", r->tag);
	}
}

static void text_side(const char *name, const struct mmt_cmp_side *sd, FILE *out)
{
	char ids[256], k[512];

	fmt_ids(sd, ids, sizeof(ids));
	fmt_kernels(sd, k, sizeof(k));
	fprintf(out, "%-10s", name);
	if (sd->nruns)
		fprintf(out, " run%s %s", sd->nruns > 1 ? "s" : "", ids);
	if (sd->selector[0])
		fprintf(out, " (%s)", sd->selector);
	fprintf(out, ": %s%s%d jobs\n", k, k[0] ? ", " : "", sd->njobs);
}

static void text_header(const struct mmt_compare *c, FILE *out)
{
	const struct mmt_cmp_opts *o = &c->opts;

	text_side("baseline", &c->base, out);
	text_side("candidate", &c->cand, out);
	fprintf(out,
		"marked when significant and above the noise floor: ops/s by Mann-Whitney U on\n"
		"per-interval rates (p < %g), latency by a %g%% bootstrap interval over jobs\n"
		"(%d resamples, seed %" PRIu64 ") excluding 0; the jobs apart (Mann-Whitney on\n"
		"per-job values, 'jobs p', p < %g); above the noise floor: the change run-to-run\n"
		"spread reaches by chance in any of the %d metrics tested, at p = %g / %d\n"
		"(t x CV x sqrt(1/n1 + 1/n2)), at least %g%%\n",
		o->alpha, (1 - o->alpha) * 100, o->iters, o->seed, o->alpha, c->ntested, o->alpha,
		c->ntested, o->min_floor_pct);
}

static void fmt_value(int metric, double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (metric == MMT_CMP_OPS_S)
		mmt_fmt_num(v, buf, len);
	else
		mmt_fmt_ns((uint64_t)v, buf, len);
}

static void fmt_test(const struct mmt_cmp_row *r, char *buf, size_t len)
{
	if (r->why)
		snprintf(buf, len, "%s", r->why);
	else if (r->metric == MMT_CMP_OPS_S)
		snprintf(buf, len, "p=%.2g%s  jobs p=%.2g  floor %.1f%%", r->p,
			 r->exact ? " exact" : "", r->job_p, r->floor_pct);
	else
		snprintf(buf, len, "CI [%+.1f%%, %+.1f%%]  jobs p=%.2g  floor %.1f%%", r->ci_lo,
			 r->ci_hi, r->job_p, r->floor_pct);
}

static void text_row(const char *op, const struct mmt_cmp_row *r, FILE *out)
{
	char name[96], b[24], cv[24], ch[24], test[128];

	snprintf(name, sizeof(name), "  %s %s", op, mmt_cmp_metric_name(r->metric));
	fmt_value(r->metric, r->base, b, sizeof(b));
	fmt_value(r->metric, r->cand, cv, sizeof(cv));
	if (isnan(r->change_pct))
		snprintf(ch, sizeof(ch), "-");
	else
		snprintf(ch, sizeof(ch), "%+.1f%%", r->change_pct);
	fmt_test(r, test, sizeof(test));
	fprintf(out, "%-*s %10s %10s %8s  %-10s  %s\n", COL_NAME, name, b, cv, ch,
		mmt_cmp_mark_name(r->mark), test);
}

static void fmt_status(const struct mmt_cmp_status *st, char *buf, size_t len)
{
	if (!st->jobs)
		snprintf(buf, len, "-");
	else if (st->fail)
		snprintf(buf, len, "fail %d/%d", st->fail, st->jobs);
	else if (st->pass)
		snprintf(buf, len, "pass %d/%d", st->pass, st->jobs);
	else if (st->skip)
		snprintf(buf, len, "skip %d/%d", st->skip, st->jobs);
	else
		snprintf(buf, len, "error %d/%d", st->error, st->jobs);
}

static void text_failures(const struct mmt_cmp_workload *w, FILE *out)
{
	char name[64], b[24], c[24];
	int k;

	fmt_status(&w->base, b, sizeof(b));
	fmt_status(&w->cand, c, sizeof(c));
	fprintf(out, "%-*s %10s %10s %8s  %s\n", COL_NAME, "  status", b, c, "",
		mmt_cmp_mark_name(w->status_mark));
	for (k = 0; k < MMT_FK__COUNT; k++) {
		if (!w->base.kind_jobs[k] && !w->cand.kind_jobs[k])
			continue;
		snprintf(name, sizeof(name), "  failures %s (jobs)", mmt_fail_kind_name(k));
		snprintf(b, sizeof(b), "%d/%d", w->base.kind_jobs[k], w->base.jobs);
		snprintf(c, sizeof(c), "%d/%d", w->cand.kind_jobs[k], w->cand.jobs);
		fprintf(out, "%-*s %10s %10s %8s  %-10s  %s\n", COL_NAME, name, b, c, "",
			mmt_cmp_mark_name(w->kind_mark[k]),
			w->kind_mark[k] == MMT_CMP_REGRESSION ? "new on the candidate"
			: w->kind_mark[k] == MMT_CMP_IMPROVED ? "gone on the candidate"
							      : "");
	}
}

/*
 * Per op, the jobs a side that would mark a p50 change of the target 95% of
 * the time: how many repetitions a report on these machines needs.
 */
static void text_runs(const struct mmt_cmp_workload *w, double target, FILE *out)
{
	const struct mmt_cmp_row *r;
	int i, shown = 0;

	for (i = 0; i < w->nops; i++) {
		r = &w->ops[i].row[MMT_CMP_P50];
		if (r->why || !r->runs_needed)
			continue;
		if (!shown++)
			fprintf(out, "  jobs a side to mark a %g%% p50 change 95%% of the time:",
				target);
		if (r->runs_needed < 0)
			fprintf(out, "%s %s never", shown > 1 ? "," : "", w->ops[i].name);
		else
			fprintf(out, "%s %s %d", shown > 1 ? "," : "", w->ops[i].name,
				r->runs_needed);
	}
	if (shown)
		fputc('\n', out);
}

static void text_workload(const struct mmt_cmp_workload *w, double target, FILE *out)
{
	int i, m;

	fprintf(out, "\n%s%s%s\n", w->workload, w->label[0] ? ":" : "", w->label);
	for (i = 0; i < w->nnotes; i++)
		fprintf(out, "  note: %s\n", w->notes[i]);
	text_failures(w, out);
	if (!w->base.jobs || !w->cand.jobs)
		return;
	for (i = 0; i < w->nops; i++) {
		const struct mmt_cmp_op *op = &w->ops[i];

		if (!op->in_base || !op->in_cand) {
			fprintf(out, "  %s: %s\n", op->name, op->row[0].why);
			continue;
		}
		for (m = 0; m < MMT_CMP__METRICS; m++)
			text_row(op->name, &op->row[m], out);
	}
	text_runs(w, target, out);
}

static void text_summary(const struct mmt_compare *c, FILE *out)
{
	int i, shown = 0;

	fprintf(out, "\n%d regression%s, %d improvement%s", c->regressions,
		c->regressions == 1 ? "" : "s", c->improvements, c->improvements == 1 ? "" : "s");
	for (i = 0; i < c->nwl; i++) {
		const struct mmt_cmp_workload *w = &c->wl[i];

		if (!w->regressions)
			continue;
		fprintf(out, "%s%s%s%s %d", shown++ ? ", " : " (regressions: ", w->workload,
			w->label[0] ? ":" : "", w->label, w->regressions);
	}
	fprintf(out, "%s\n", shown ? ")" : "");
}

int mmt_compare_text(const struct mmt_compare *c, FILE *out)
{
	int i;

	text_header(c, out);
	fprintf(out, "\n%-*s %10s %10s %8s  %-10s  %s\n", COL_NAME, "workload / op metric",
		"baseline", "candidate", "change", "mark", "test");
	for (i = 0; i < c->nwl; i++)
		text_workload(&c->wl[i], c->opts.target_pct, out);
	text_summary(c, out);
	return ferror(out) ? -EIO : 0;
}

/* ---- JSON --------------------------------------------------------------- */

/* JSON has no NaN: an undefined number is null. */
static struct json_object *jnum(double v)
{
	return isnan(v) || isinf(v) ? NULL : json_object_new_double(v);
}

static void jset(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *json_side(const struct mmt_cmp_side *sd)
{
	struct json_object *o = json_object_new_object(), *runs = json_object_new_array();
	int i;

	for (i = 0; i < sd->nruns; i++) {
		const struct mmt_cmp_run *r = &sd->runs[i];
		struct json_object *j = json_object_new_object();

		jset(j, "id", json_object_new_int64(r->id));
		jset(j, "kernel", json_object_new_string(r->kernel));
		jset(j, "arch", json_object_new_string(r->arch));
		jset(j, "tag", json_object_new_string(r->tag));
		jset(j, "host", json_object_new_string(r->host));
		jset(j, "guest", json_object_new_boolean(r->guest));
		jset(j, "started_ns", json_object_new_uint64(r->started_ns));
		json_object_array_add(runs, j);
	}
	jset(o, "selector", json_object_new_string(sd->selector));
	jset(o, "runs", runs);
	jset(o, "jobs", json_object_new_int(sd->njobs));
	return o;
}

static struct json_object *json_values(const double *v, int n)
{
	struct json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, jnum(v[i]));
	return a;
}

static struct json_object *json_row(const struct mmt_cmp_row *r)
{
	struct json_object *o = json_object_new_object(), *ci = NULL, *vals, *n;
	int thr = r->metric == MMT_CMP_OPS_S;

	jset(o, "metric", json_object_new_string(mmt_cmp_metric_name(r->metric)));
	jset(o, "unit", json_object_new_string(thr ? "ops/s" : "ns"));
	jset(o, "better", json_object_new_string(thr ? "higher" : "lower"));
	jset(o, "baseline", jnum(r->base));
	jset(o, "candidate", jnum(r->cand));
	jset(o, "change_pct", jnum(r->change_pct));
	jset(o, "test", r->why ? NULL : json_object_new_string(thr ? "mann-whitney" : "bootstrap"));
	jset(o, "u", jnum(r->u));
	jset(o, "z", jnum(r->z));
	jset(o, "p", jnum(r->p));
	jset(o, "exact", json_object_new_boolean(r->exact));
	if (!isnan(r->ci_lo)) {
		ci = json_object_new_array();
		json_object_array_add(ci, jnum(r->ci_lo));
		json_object_array_add(ci, jnum(r->ci_hi));
	}
	jset(o, "ci_pct", ci);
	jset(o, "job_p", jnum(r->job_p));
	jset(o, "cv_pct", jnum(r->cv_pct));
	jset(o, "floor_pct", jnum(r->floor_pct));
	jset(o, "runs_needed", r->runs_needed ? json_object_new_int(r->runs_needed) : NULL);
	jset(o, "mark", json_object_new_string(mmt_cmp_mark_name(r->mark)));
	jset(o, "why", r->why ? json_object_new_string(r->why) : NULL);
	vals = json_object_new_object();
	jset(vals, "baseline", json_values(r->base_jobs, r->nb_jobs));
	jset(vals, "candidate", json_values(r->cand_jobs, r->nc_jobs));
	jset(o, "job_values", vals);
	n = json_object_new_object();
	jset(n, "baseline", json_object_new_int(r->nb_samples));
	jset(n, "candidate", json_object_new_int(r->nc_samples));
	jset(o, "samples", n);
	return o;
}

static struct json_object *json_status(const struct mmt_cmp_status *st)
{
	struct json_object *o = json_object_new_object(), *kinds = json_object_new_object();
	int k;

	jset(o, "jobs", json_object_new_int(st->jobs));
	jset(o, "pass", json_object_new_int(st->pass));
	jset(o, "fail", json_object_new_int(st->fail));
	jset(o, "skip", json_object_new_int(st->skip));
	jset(o, "error", json_object_new_int(st->error));
	for (k = 0; k < MMT_FK__COUNT; k++)
		if (st->kind_jobs[k])
			jset(kinds, mmt_fail_kind_name(k), json_object_new_int(st->kind_jobs[k]));
	jset(o, "failure_kinds", kinds);
	return o;
}

static struct json_object *json_failures(const struct mmt_cmp_workload *w)
{
	struct json_object *a = json_object_new_array(), *f;
	int k;

	for (k = 0; k < MMT_FK__COUNT; k++) {
		if (!w->base.kind_jobs[k] && !w->cand.kind_jobs[k])
			continue;
		f = json_object_new_object();
		jset(f, "kind", json_object_new_string(mmt_fail_kind_name(k)));
		jset(f, "baseline_jobs", json_object_new_int(w->base.kind_jobs[k]));
		jset(f, "candidate_jobs", json_object_new_int(w->cand.kind_jobs[k]));
		jset(f, "mark", json_object_new_string(mmt_cmp_mark_name(w->kind_mark[k])));
		json_object_array_add(a, f);
	}
	return a;
}

static struct json_object *json_workload(const struct mmt_cmp_workload *w)
{
	struct json_object *o = json_object_new_object(), *ops = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	int i, m;

	jset(o, "workload", json_object_new_string(w->workload));
	jset(o, "label", json_object_new_string(w->label));
	jset(o, "baseline", json_status(&w->base));
	jset(o, "candidate", json_status(&w->cand));
	jset(o, "status_mark", json_object_new_string(mmt_cmp_mark_name(w->status_mark)));
	jset(o, "failures", json_failures(w));
	for (i = 0; i < w->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(w->notes[i]));
	jset(o, "notes", notes);
	for (i = 0; i < w->nops; i++) {
		struct json_object *op = json_object_new_object(), *rows = json_object_new_array();

		jset(op, "op", json_object_new_string(w->ops[i].name));
		jset(op, "baseline_jobs", json_object_new_int(w->ops[i].in_base));
		jset(op, "candidate_jobs", json_object_new_int(w->ops[i].in_cand));
		for (m = 0; m < MMT_CMP__METRICS; m++)
			json_object_array_add(rows, json_row(&w->ops[i].row[m]));
		jset(op, "metrics", rows);
		json_object_array_add(ops, op);
	}
	jset(o, "ops", ops);
	jset(o, "regressions", json_object_new_int(w->regressions));
	jset(o, "improvements", json_object_new_int(w->improvements));
	return o;
}

static struct json_object *json_opts(const struct mmt_compare *c)
{
	struct json_object *o = json_object_new_object();

	jset(o, "alpha", json_object_new_double(c->opts.alpha));
	jset(o, "ci_level", json_object_new_double(1 - c->opts.alpha));
	jset(o, "bootstrap_iters", json_object_new_int(c->opts.iters));
	jset(o, "seed", json_object_new_uint64(c->opts.seed));
	jset(o, "min_floor_pct", json_object_new_double(c->opts.min_floor_pct));
	jset(o, "target_pct", json_object_new_double(c->opts.target_pct));
	jset(o, "workload", c->opts.workload ? json_object_new_string(c->opts.workload) : NULL);
	return o;
}

struct json_object *mmt_compare_to_json(const struct mmt_compare *c)
{
	struct json_object *doc = json_object_new_object(), *wl = json_object_new_array();
	int i;

	if (!doc || !wl) {
		json_object_put(doc);
		json_object_put(wl);
		return NULL;
	}
	jset(doc, "schema", json_object_new_int(1));
	jset(doc, "options", json_opts(c));
	jset(doc, "baseline", json_side(&c->base));
	jset(doc, "candidate", json_side(&c->cand));
	jset(doc, "metrics_tested", json_object_new_int(c->ntested));
	jset(doc, "regressions", json_object_new_int(c->regressions));
	jset(doc, "improvements", json_object_new_int(c->improvements));
	for (i = 0; i < c->nwl; i++)
		json_object_array_add(wl, json_workload(&c->wl[i]));
	jset(doc, "workloads", wl);
	return doc;
}

/* ---- for the HTML report ---------------------------------------------- */

static const char *html_mark(int mark)
{
	return mark == MMT_CMP_REGRESSION ? "regression"
	       : mark == MMT_CMP_IMPROVED ? "improvement"
	       : mark == MMT_CMP_SAME	  ? "unchanged"
					  : NULL;
}

static void html_row(struct json_object *rows, const char *const cells[8], int mark)
{
	struct json_object *r = json_object_new_object(), *a = json_object_new_array();
	int i;

	for (i = 0; i < 8; i++)
		json_object_array_add(a, json_object_new_string(cells[i]));
	jset(r, "cells", a);
	if (html_mark(mark))
		jset(r, "mark", json_object_new_string(html_mark(mark)));
	json_object_array_add(rows, r);
}

static void html_metric(struct json_object *rows, const char *op, const struct mmt_cmp_row *r)
{
	char b[24], c[24], ch[24], test[128], fl[24];
	const char *cells[8] = {op, mmt_cmp_metric_name(r->metric), b, c, ch, test,
				fl, mmt_cmp_mark_name(r->mark)};

	fmt_value(r->metric, r->base, b, sizeof(b));
	fmt_value(r->metric, r->cand, c, sizeof(c));
	snprintf(ch, sizeof(ch), isnan(r->change_pct) ? "-" : "%+.1f%%", r->change_pct);
	if (r->why)
		snprintf(test, sizeof(test), "%s", r->why);
	else if (r->metric == MMT_CMP_OPS_S)
		snprintf(test, sizeof(test), "p=%.2g, jobs p=%.2g", r->p, r->job_p);
	else
		snprintf(test, sizeof(test), "CI [%+.1f%%, %+.1f%%], jobs p=%.2g", r->ci_lo,
			 r->ci_hi, r->job_p);
	snprintf(fl, sizeof(fl), "%.1f%%", r->floor_pct);
	html_row(rows, cells, r->mark);
}

static struct json_object *html_table(const struct mmt_cmp_workload *w)
{
	static const char *const cols[] = {"op",     "metric", "baseline", "candidate",
					   "change", "test",   "floor",	   "mark"};
	struct json_object *t = json_object_new_object(), *a = json_object_new_array();
	struct json_object *rows = json_object_new_array();
	char title[160], b[24], c[24], name[48];
	const char *cells[8] = {"", "status", b, c, "", "", "", ""};
	int i, m, k;

	snprintf(title, sizeof(title), "%s%s%s", w->workload, w->label[0] ? ":" : "", w->label);
	jset(t, "title", json_object_new_string(title));
	for (i = 0; i < 8; i++)
		json_object_array_add(a, json_object_new_string(cols[i]));
	jset(t, "columns", a);
	fmt_status(&w->base, b, sizeof(b));
	fmt_status(&w->cand, c, sizeof(c));
	cells[7] = mmt_cmp_mark_name(w->status_mark);
	html_row(rows, cells, w->status_mark);
	for (k = 0; k < MMT_FK__COUNT; k++) {
		if (!w->base.kind_jobs[k] && !w->cand.kind_jobs[k])
			continue;
		snprintf(name, sizeof(name), "failures %s (jobs)", mmt_fail_kind_name(k));
		snprintf(b, sizeof(b), "%d/%d", w->base.kind_jobs[k], w->base.jobs);
		snprintf(c, sizeof(c), "%d/%d", w->cand.kind_jobs[k], w->cand.jobs);
		cells[1] = name;
		cells[7] = mmt_cmp_mark_name(w->kind_mark[k]);
		html_row(rows, cells, w->kind_mark[k]);
	}
	for (i = 0; w->base.jobs && w->cand.jobs && i < w->nops; i++)
		for (m = 0; m < MMT_CMP__METRICS; m++)
			html_metric(rows, w->ops[i].name, &w->ops[i].row[m]);
	jset(t, "rows", rows);
	return t;
}

struct json_object *mmt_compare_to_html(const struct mmt_compare *c)
{
	struct json_object *doc = json_object_new_object(), *tables = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	char title[600], note[256];
	int i;

	if (!doc || !tables || !notes) {
		json_object_put(doc);
		json_object_put(tables);
		json_object_put(notes);
		return NULL;
	}
	snprintf(title, sizeof(title), "%s vs %s", c->base.selector, c->cand.selector);
	jset(doc, "title", json_object_new_string(title));
	jset(doc, "baseline", json_object_new_string(c->base.selector));
	jset(doc, "candidate", json_object_new_string(c->cand.selector));
	for (i = 0; i < c->nwl; i++)
		json_object_array_add(tables, html_table(&c->wl[i]));
	jset(doc, "tables", tables);
	snprintf(note, sizeof(note), "%d regressions, %d improvements; %d metrics tested",
		 c->regressions, c->improvements, c->ntested);
	json_object_array_add(notes, json_object_new_string(note));
	snprintf(note, sizeof(note),
		 "marked when p < %g (ops/s) or the %g%% bootstrap interval excludes 0, the jobs "
		 "differ (jobs p < %g) and the change is above the floor",
		 c->opts.alpha, (1 - c->opts.alpha) * 100, c->opts.alpha);
	json_object_array_add(notes, json_object_new_string(note));
	jset(doc, "notes", notes);
	return doc;
}

int mmt_compare_json(const struct mmt_compare *c, FILE *out)
{
	struct json_object *doc = mmt_compare_to_json(c);

	if (!doc)
		return -ENOMEM;
	return mmt_json_write(doc, out);
}

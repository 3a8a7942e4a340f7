// SPDX-License-Identifier: GPL-2.0
/*
 * The static HTML report (html.h). Plots go in as data: URIs rather than
 * inline <svg>: gnuplot gives every SVG the same element ids (clip paths,
 * point shapes), which would collide in one document.
 */
#include "html.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "gitrev.h"
#include "mmt.h"
#include "tag.h"

#define FAILS_SHOWN_PER_JOB 20

static const char css[] =
	"body{font:14px/1.45 sans-serif;margin:0 auto;max-width:1400px;padding:0 1.5em 3em;"
	"color:#1d1d1d;background:#fff}"
	"h1{font-size:1.6em;margin:.8em 0 .2em}h2{border-bottom:2px solid #5c8fd6;"
	"padding-bottom:.15em;margin-top:2em}h3{margin:1.4em 0 .4em}"
	"nav a{margin-right:1.2em}"
	"table{border-collapse:collapse;margin:.4em 0 1em}"
	"th,td{border:1px solid #ccc;padding:.2em .55em;text-align:left;vertical-align:top}"
	"th{background:#eef2f8}"
	"table.kv th{width:11em;background:#f5f5f5}"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}"
	"code,pre,.mono{font-family:monospace;font-size:.93em}"
	"pre{background:#f7f7f7;border:1px solid #ddd;padding:.5em;overflow-x:auto;"
	"white-space:pre-wrap}"
	"figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #e3e3e3}"
	"figcaption{color:#555;font-size:.92em}"
	".pass{background:#dcefdc}.fail{background:#f6d3d3}.skip{background:#ececec}"
	".error{background:#ffe3bf}"
	"tr.mark-regression td{background:#f6d3d3}tr.mark-improvement td{background:#dcefdc}"
	"tr.mark-noise td{color:#777}"
	"article.run{border-top:1px solid #ddd;margin-top:1.5em}"
	".muted{color:#666}";

void mmt_html_text(const char *s, FILE *out)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* A fixed-size field that may fill its array without a NUL. */
static void html_textn(const char *s, size_t n, FILE *out)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%.*s", (int)strnlen(s, n < sizeof(buf) ? n : sizeof(buf) - 1),
		 s);
	mmt_html_text(buf, out);
}

/* ---- head --------------------------------------------------------------- */

static void head(const struct mmt_html_in *in, FILE *out)
{
	char now[64];

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>mmtorture report</title>\n<style>",
	      out);
	fputs(css, out);
	fputs("</style>\n</head>\n<body>\n<header>\n<h1>mmtorture report</h1>\n<p class=\"muted\">",
	      out);
	fprintf(out, "%d run%s in %d series; made %s by mmtorture %s (%s)", in->pd->nruns,
		in->pd->nruns == 1 ? "" : "s", in->pd->ngroups,
		mmt_fmt_time((uint64_t)time(NULL) * 1000000000ull, now, sizeof(now)), MMT_VERSION,
		MMT_GIT_REV);
	if (in->command) {
		fputs("<br>command: <code>", out);
		mmt_html_text(in->command, out);
		fputs("</code>", out);
	}
	fputs("</p>\n</header>\n", out);
}

static int has_kind(const struct mmt_html_in *in, enum mmt_plot_kind k)
{
	int i;

	for (i = 0; i < in->nitems; i++)
		if (in->items[i].kind == k && in->items[i].made)
			return 1;
	return 0;
}

static void nav(const struct mmt_html_in *in, FILE *out)
{
	fputs("<nav><a href=\"#series\">Series</a>", out);
	if (in->comparison)
		fputs("<a href=\"#comparison\">Comparison</a>", out);
	if (has_kind(in, MMT_PLOT_MATRIX))
		fputs("<a href=\"#matrix\">Failure matrix</a>", out);
	if (has_kind(in, MMT_PLOT_THROUGHPUT))
		fputs("<a href=\"#throughput\">Throughput</a>", out);
	if (has_kind(in, MMT_PLOT_TIMELINE))
		fputs("<a href=\"#timeline\">Over time</a>", out);
	if (has_kind(in, MMT_PLOT_SPECTRUM))
		fputs("<a href=\"#spectra\">Latency spectra</a>", out);
	fputs("<a href=\"#runs\">Runs</a></nav>\n", out);
}

static void series(const struct mmt_pd *pd, FILE *out)
{
	int g, r, first;

	fputs("<section id=\"series\">\n<h2>Series</h2>\n<table>\n"
	      "<tr><th>series</th><th>runs</th></tr>\n",
	      out);
	for (g = 0; g < pd->ngroups; g++) {
		fputs("<tr><td>", out);
		mmt_html_text(pd->groups[g], out);
		fputs("</td><td>", out);
		for (r = 0, first = 1; r < pd->nruns; r++) {
			if (pd->runs[r].group != g)
				continue;
			fprintf(out, "%s<a href=\"#run-%" PRId64 "\">%" PRId64 "</a>",
				first ? "" : ", ", pd->runs[r].id, pd->runs[r].id);
			first = 0;
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
}

/* ---- comparison --------------------------------------------------------- */

static const char *jstring(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *jarray(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static void cmp_row(struct json_object *row, const char *cell_tag, FILE *out)
{
	struct json_object *cells =
		json_object_is_type(row, json_type_array) ? row : jarray(row, "cells");
	const char *mark = json_object_is_type(row, json_type_object) ? jstring(row, "mark") : NULL;
	size_t i, n = cells ? json_object_array_length(cells) : 0;
	const char *v;

	fputs("<tr", out);
	if (mark && *mark) {
		fputs(" class=\"mark-", out);
		mmt_html_text(mark, out);
		fputc('"', out);
	}
	fputc('>', out);
	for (i = 0; i < n; i++) {
		v = json_object_get_string(json_object_array_get_idx(cells, i));
		fprintf(out, "<%s>", cell_tag);
		mmt_html_text(v ? v : "", out);
		fprintf(out, "</%s>", cell_tag);
	}
	fputs("</tr>\n", out);
}

static int cmp_table(struct json_object *t, FILE *out)
{
	struct json_object *cols = jarray(t, "columns"), *rows = jarray(t, "rows");
	const char *title = jstring(t, "title");
	size_t i;

	if (!json_object_is_type(t, json_type_object) || !rows)
		return -EINVAL;
	if (title) {
		fputs("<h3>", out);
		mmt_html_text(title, out);
		fputs("</h3>\n", out);
	}
	fputs("<table class=\"comparison\">\n", out);
	if (cols)
		cmp_row(cols, "th", out);
	for (i = 0; i < json_object_array_length(rows); i++)
		cmp_row(json_object_array_get_idx(rows, i), "td", out);
	fputs("</table>\n", out);
	return 0;
}

static void cmp_heading(struct json_object *cmp, FILE *out)
{
	const char *title = jstring(cmp, "title"), *base = jstring(cmp, "baseline");
	const char *cand = jstring(cmp, "candidate");

	fputs("<section id=\"comparison\">\n<h2>Comparison</h2>\n", out);
	if (title) {
		fputs("<p>", out);
		mmt_html_text(title, out);
		fputs("</p>\n", out);
	}
	if (base || cand) {
		fputs("<table class=\"kv\"><tr><th>baseline</th><td>", out);
		mmt_html_text(base ? base : "-", out);
		fputs("</td></tr><tr><th>candidate</th><td>", out);
		mmt_html_text(cand ? cand : "-", out);
		fputs("</td></tr></table>\n", out);
	}
}

int mmt_html_comparison(struct json_object *cmp, FILE *out)
{
	struct json_object *tables = jarray(cmp, "tables"), *notes = jarray(cmp, "notes");
	size_t i;
	int rc = 0;

	if (!json_object_is_type(cmp, json_type_object) || !tables)
		return -EINVAL;
	cmp_heading(cmp, out);
	for (i = 0; !rc && i < json_object_array_length(tables); i++)
		rc = cmp_table(json_object_array_get_idx(tables, i), out);
	for (i = 0; notes && i < json_object_array_length(notes); i++) {
		fputs("<p class=\"muted\">", out);
		mmt_html_text(json_object_get_string(json_object_array_get_idx(notes, i)), out);
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
	return rc;
}

/* ---- plots -------------------------------------------------------------- */

static void base64(const unsigned char *in, size_t n, FILE *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		fputc(a[v >> 18], out);
		fputc(a[v >> 12 & 63], out);
		fputc(a[v >> 6 & 63], out);
		fputc(a[v & 63], out);
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		fputc(a[v >> 18], out);
		fputc(a[v >> 12 & 63], out);
		fputc(i + 1 < n ? a[v >> 6 & 63] : '=', out);
		fputc('=', out);
	}
}

static int base64_file(const char *path, FILE *out)
{
	unsigned char buf[3 * 4096];
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!f)
		return -errno;
	/* Whole multiples of 3 until the end, so no padding falls mid-stream. */
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		base64(buf, n, out);
	if (ferror(f))
		rc = -EIO;
	fclose(f);
	return rc;
}

static int figure(const struct mmt_html_in *in, const struct mmt_plot_item *it, FILE *out,
		  char *err, size_t errlen)
{
	int svg = !!(it->made & MMT_FMT_SVG);
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s.%s", in->plotdir, it->base, svg ? "svg" : "png");
	fprintf(out, "<figure id=\"plot-%s\">\n<img alt=\"", it->base);
	mmt_html_text(it->title, out);
	fprintf(out, "\" src=\"data:image/%s;base64,", svg ? "svg+xml" : "png");
	rc = base64_file(path, out);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	fputs("\">\n<figcaption>", out);
	mmt_html_text(it->title, out);
	fprintf(out, " <span class=\"muted\">(%s.dat)</span></figcaption>\n</figure>\n", it->base);
	return 0;
}

static int plots(const struct mmt_html_in *in, enum mmt_plot_kind k, const char *id,
		 const char *heading, FILE *out, char *err, size_t errlen)
{
	int i, rc = 0, wl = -2;

	if (!has_kind(in, k))
		return 0;
	fprintf(out, "<section id=\"%s\">\n<h2>%s</h2>\n", id, heading);
	for (i = 0; !rc && i < in->nitems; i++) {
		const struct mmt_plot_item *it = &in->items[i];

		if (it->kind != k || !it->made)
			continue;
		if (k == MMT_PLOT_SPECTRUM && it->wl != wl) {
			wl = it->wl;
			fputs("<h3>", out);
			mmt_html_text(in->pd->workloads[wl], out);
			fputs("</h3>\n", out);
		}
		rc = figure(in, it, out, err, errlen);
	}
	fputs("</section>\n", out);
	return rc;
}

/* ---- runs --------------------------------------------------------------- */

static void kv(const char *key, const char *value, FILE *out)
{
	fprintf(out, "<tr><th>%s</th><td>", key);
	mmt_html_text(value && *value ? value : "-", out);
	fputs("</td></tr>\n", out);
}

/* {"enabled":"madvise",...} as "enabled=madvise, ..."; as stored if it does not parse. */
static void kv_thp(const char *json, FILE *out)
{
	struct json_object *o = json ? json_tokener_parse(json) : NULL;
	struct json_object_iterator it, end;
	int first = 1;

	if (!o || !json_object_is_type(o, json_type_object)) {
		kv("THP", json, out);
		json_object_put(o);
		return;
	}
	fputs("<tr><th>THP</th><td class=\"mono\">", out);
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it), first = 0) {
		fputs(first ? "" : "<br>", out);
		mmt_html_text(json_object_iter_peek_name(&it), out);
		fputc('=', out);
		mmt_html_text(json_object_get_string(json_object_iter_peek_value(&it)), out);
	}
	fputs("</td></tr>\n", out);
	json_object_put(o);
}

static void record(const struct mmt_pd_run *r, FILE *out)
{
	const struct mmt_run_info *ri = &r->ri;
	char buf[640], a[64], b[64];

	fputs("<table class=\"kv\">\n", out);
	snprintf(buf, sizeof(buf), "%s %s", ri->kernel_release, ri->kernel_version);
	kv("kernel", buf, out);
	snprintf(buf, sizeof(buf), "%s, page size %ld, VA bits %d", ri->arch, ri->page_size,
		 ri->va_bits);
	kv("arch", buf, out);
	snprintf(buf, sizeof(buf), "%s (%s)", ri->config_hash[0] ? ri->config_hash : "none",
		 ri->config_source[0] ? ri->config_source : "no source");
	kv("config hash", buf, out);
	kv("cmdline", ri->cmdline, out);
	kv_thp(ri->thp_json, out);
	snprintf(buf, sizeof(buf), "mmtorture %s (%s)", ri->tool_version, ri->git_rev);
	kv("tool", buf, out);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, ri->seed);
	kv("seed", buf, out);
	kv("profile", ri->profile, out);
	kv("command", ri->argv, out);
	snprintf(buf, sizeof(buf), "%s; %s; %s", ri->hostname, ri->cpu_model, ri->topology);
	kv("machine", buf, out);
	snprintf(buf, sizeof(buf), "%s, virt %s", ri->guest ? "mmtorture guest" : "not a guest",
		 ri->virt[0] ? ri->virt : "-");
	kv("guest", buf, out);
	kv("tag", ri->tag, out);
	snprintf(buf, sizeof(buf), "%s to %s", mmt_fmt_time(ri->started_ns, a, sizeof(a)),
		 mmt_fmt_time(r->finished_ns, b, sizeof(b)));
	kv("time", buf, out);
	fputs("</table>\n", out);
	if (ri->profile_text && *ri->profile_text) {
		fputs("<details><summary>profile text</summary><pre>", out);
		mmt_html_text(ri->profile_text, out);
		fputs("</pre></details>\n", out);
	}
}

static void jobs(const struct mmt_pd_run *r, FILE *out)
{
	char title[160];
	int k;

	if (!r->njobs)
		return;
	fputs("<table>\n<tr><th>#</th><th>job</th><th>repeat</th><th>status</th><th>ops</th>"
	      "<th>ops/s</th><th>elapsed</th><th>reason</th></tr>\n",
	      out);
	for (k = 0; k < r->njobs; k++) {
		const struct mmt_job_result *j = &r->jobs[k];
		const char *st = mmt_status_name(j->status);
		uint64_t n = mmt_job_ops_total(j);
		double rate = j->elapsed_ns ? (double)n * 1e9 / (double)j->elapsed_ns : 0.0;

		fprintf(out, "<tr><td class=\"num\">%d</td><td>", j->seq);
		mmt_html_text(mmt_pd_job_title(j, title, sizeof(title)), out);
		fprintf(out, "</td><td class=\"num\">%d</td><td class=\"%s\">%s</td>", j->repeat,
			st, st);
		fprintf(out, "<td class=\"num\">%" PRIu64 "</td><td class=\"num\">%.*f</td>", n,
			rate < 100 ? 2 : 0, rate);
		fprintf(out, "<td class=\"num\">%.1f s</td><td>", (double)j->elapsed_ns / 1e9);
		html_textn(j->reason, sizeof(j->reason), out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void failure_row(const struct mmt_job_result *j, const struct mmt_failure *f, FILE *out)
{
	char want[128], found[128];

	fprintf(out, "<tr><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td>",
		mmt_fail_kind_name(f->kind), f->worker, f->pid);
	mmt_html_text(f->op >= 0 && f->op < j->nops ? j->ops[f->op].name : "-", out);
	fprintf(out, "</td><td class=\"num\">%d</td><td class=\"mono\">0x%" PRIx64 "</td><td>",
		f->err, f->addr);
	html_textn(f->detail, sizeof(f->detail), out);
	if (f->kind == MMT_FK_VERIFY) {
		mmt_tag_format(&f->want, want, sizeof(want));
		mmt_tag_format(&f->found, found, sizeof(found));
		fprintf(out, "<br><span class=\"mono\">%s: expected ", mmt_vclass_name(f->vclass));
		mmt_html_text(want, out);
		fputs(", found ", out);
		mmt_html_text(found, out);
		fputs("</span>", out);
	}
	fputs("</td></tr>\n", out);
}

static void kmsg_fails(const struct mmt_job_result *j, FILE *out)
{
	int i, first = 1;

	for (i = 0; i < j->nkmsg; i++) {
		if (j->kmsg[i].verdict != MMT_KMSG_FAIL)
			continue;
		fputs(first ? "<p>kernel log lines that failed it:</p><pre>" : "\n", out);
		mmt_html_text(j->kmsg[i].text, out);
		first = 0;
	}
	if (!first)
		fputs("</pre>\n", out);
}

static void failures(const struct mmt_pd_run *r, FILE *out)
{
	char title[160];
	int k, i, any = 0;

	for (k = 0; k < r->njobs; k++)
		any |= r->jobs[k].nfailures || r->jobs[k].failures_dropped;
	if (!any)
		fputs("<p class=\"muted\">no failures recorded</p>\n", out);

	for (k = 0; k < r->njobs; k++) {
		const struct mmt_job_result *j = &r->jobs[k];

		if (!j->nfailures && !j->failures_dropped)
			continue;
		fprintf(out, "<h4>job %d ", j->seq);
		mmt_html_text(mmt_pd_job_title(j, title, sizeof(title)), out);
		fprintf(out, ": %d failure%s kept", j->nfailures, j->nfailures == 1 ? "" : "s");
		if (j->failures_dropped)
			fprintf(out, ", %" PRIu64 " more not kept", j->failures_dropped);
		fputs("</h4>\n<table>\n<tr><th>kind</th><th>worker</th><th>pid</th><th>op</th>"
		      "<th>err</th><th>address</th><th>detail</th></tr>\n",
		      out);
		for (i = 0; i < j->nfailures && i < FAILS_SHOWN_PER_JOB; i++)
			failure_row(j, &j->failures[i], out);
		fputs("</table>\n", out);
		if (j->nfailures > FAILS_SHOWN_PER_JOB)
			fprintf(out,
				"<p class=\"muted\">... and %d more (mmtorture report %" PRId64
				")</p>\n",
				j->nfailures - FAILS_SHOWN_PER_JOB, r->id);
		kmsg_fails(j, out);
	}
}

static int seen_before(const struct mmt_pd *pd, int r)
{
	int i;

	for (i = 0; i < r; i++)
		if (pd->runs[i].id == pd->runs[r].id)
			return 1;
	return 0;
}

static void run(const struct mmt_pd *pd, const struct mmt_pd_run *r, FILE *out)
{
	fprintf(out, "<article class=\"run\" id=\"run-%" PRId64 "\">\n<h3>run %" PRId64 " ", r->id,
		r->id);
	mmt_html_text(r->ri.uuid, out);
	fputs(" <span class=\"muted\">", out);
	mmt_html_text(r->status, out);
	if (r->has_exit)
		fprintf(out, ", exit %d", r->exit_code);
	fputs("; series ", out);
	mmt_html_text(pd->groups[r->group], out);
	fputs("</span></h3>\n", out);
	record(r, out);
	jobs(r, out);
	failures(r, out);
	fputs("</article>\n", out);
}

static void runs(const struct mmt_pd *pd, FILE *out)
{
	int r;

	fputs("<section id=\"runs\">\n<h2>Runs</h2>\n", out);
	for (r = 0; r < pd->nruns; r++)
		if (!seen_before(pd, r))
			run(pd, &pd->runs[r], out);
	fputs("</section>\n", out);
}

int mmt_html_write(const struct mmt_html_in *in, FILE *out, char *err, size_t errlen)
{
	int rc = 0;

	if (errlen)
		err[0] = '\0';
	head(in, out);
	nav(in, out);
	series(in->pd, out);
	if (in->comparison && mmt_html_comparison(in->comparison, out)) {
		snprintf(err, errlen, "the comparison is not of the shape html.h describes");
		return -EINVAL;
	}
	rc = plots(in, MMT_PLOT_MATRIX, "matrix", "Failure matrix", out, err, errlen);
	if (!rc)
		rc = plots(in, MMT_PLOT_THROUGHPUT, "throughput", "Throughput", out, err, errlen);
	if (!rc)
		rc = plots(in, MMT_PLOT_TIMELINE, "timeline", "Throughput over time", out, err,
			   errlen);
	if (!rc)
		rc = plots(in, MMT_PLOT_SPECTRUM, "spectra", "Latency spectra", out, err, errlen);
	if (rc)
		return rc;
	runs(in->pd, out);
	fputs("</body>\n</html>\n", out);
	return ferror(out) ? -EIO : 0;
}

int mmt_html_report(const struct mmt_pd *pd, const struct mmt_plot_opts *o, struct json_object *cmp,
		    const char *command, char *err, size_t errlen)
{
	struct mmt_html_in in = {
		.pd = pd, .plotdir = o->outdir, .comparison = cmp, .command = command};
	struct mmt_plot_item *items;
	char path[PATH_MAX], why[512];
	FILE *f = NULL;
	int rc;

	rc = mmt_plot_all(pd, o, &items, &in.nitems, err, errlen);
	in.items = items;
	snprintf(path, sizeof(path), "%s/index.html", o->outdir);
	if (!rc && !(f = fopen(path, "w"))) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	}
	if (f) {
		rc = mmt_html_write(&in, f, why, sizeof(why));
		if (fclose(f) && !rc)
			rc = -errno;
		if (rc)
			snprintf(err, errlen, "%s: %s", path, why[0] ? why : strerror(-rc));
	}
	free(items);
	return rc;
}

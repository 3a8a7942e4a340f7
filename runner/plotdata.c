// SPDX-License-Identifier: GPL-2.0
/*
 * Selected runs, grouped, and the gnuplot data files drawn from them
 * (plotdata.h). Everything is read back through the store, as the reports do.
 */
#include "plotdata.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mmt.h"

/* ---- loading ------------------------------------------------------------ */

static int load_end(struct mmt_store *s, struct mmt_pd_run *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(mmt_store_db(s),
			       "SELECT exit_code, finished_ns FROM runs WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->has_exit = sqlite3_column_type(st, 0) != SQLITE_NULL;
		r->exit_code = sqlite3_column_int(st, 0);
		r->finished_ns = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int load_run(struct mmt_store *s, int64_t id, struct mmt_pd_run *r)
{
	int rc;

	r->id = id;
	rc = mmt_store_load_run(s, id, &r->ri, r->status, sizeof(r->status));
	if (!rc)
		rc = load_end(s, r);
	if (!rc)
		rc = mmt_store_load_jobs(s, id, &r->jobs, &r->njobs);
	return rc;
}

/* Index of name in a list, appended when new; -ENOMEM. */
static int intern(char ***list, int *n, const char *name)
{
	char **p;
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], name))
			return i;
	p = realloc(*list, sizeof(*p) * (size_t)(*n + 1));
	if (!p)
		return -ENOMEM;
	*list = p;
	p[*n] = strdup(name);
	if (!p[*n])
		return -ENOMEM;
	return (*n)++;
}

const char *mmt_pd_job_title(const struct mmt_job_result *j, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", j->workload, j->label[0] ? ":" : "", j->label);
	return buf;
}

static int add_runs(struct mmt_store *s, struct mmt_pd *pd, const struct mmt_sel *sel, unsigned by,
		    char *err, size_t errlen)
{
	char name[512];
	int64_t *ids;
	int rc, n, i;

	rc = mmt_sel_runs(s, sel, &ids, &n);
	if (rc)
		return rc;
	if (!n) {
		if (sel)
			snprintf(err, errlen, "selector '%s' selects no run", mmt_sel_text(sel));
		else
			snprintf(err, errlen, "the store holds no runs");
		free(ids);
		return -ENOENT;
	}
	for (i = 0; i < n && !rc; i++) {
		struct mmt_pd_run *r = realloc(pd->runs, sizeof(*r) * (size_t)(pd->nruns + 1));

		if (!r) {
			rc = -ENOMEM;
			break;
		}
		pd->runs = r;
		r = &pd->runs[pd->nruns++];
		memset(r, 0, sizeof(*r));
		rc = load_run(s, ids[i], r);
		if (rc)
			break;
		mmt_sel_group_name(by, sel ? mmt_sel_text(sel) : NULL, r->id, &r->ri, name,
				   sizeof(name));
		r->group = intern(&pd->groups, &pd->ngroups, name);
		rc = r->group < 0 ? r->group : 0;
	}
	free(ids);
	return rc;
}

static int job_wanted(const struct mmt_job_result *j, const char *const *only, int nonly)
{
	char title[160];
	int i;

	mmt_pd_job_title(j, title, sizeof(title));
	for (i = 0; i < nonly; i++)
		if (!strcmp(only[i], j->workload) || !strcmp(only[i], title))
			return 1;
	return !nonly;
}

/* Every name in only must match a job somewhere; else say which ones there are. */
static int check_only(const struct mmt_pd *pd, const char *const *only, int nonly, char *err,
		      size_t errlen)
{
	size_t used;
	int i, r, k, w;

	for (i = 0; i < nonly; i++) {
		for (r = 0; r < pd->nruns; r++)
			for (k = 0; k < pd->runs[r].njobs; k++)
				if (job_wanted(&pd->runs[r].jobs[k], only + i, 1))
					goto found;
		used = (size_t)snprintf(err, errlen,
					"no selected run has workload '%s'; valid:", only[i]);
		for (w = 0; w < pd->nworkloads && used < errlen; w++)
			used += (size_t)snprintf(err + used, errlen - used, "%s %s", w ? "," : "",
						 pd->workloads[w]);
		return -ENOENT;
	found:;
	}
	return 0;
}

static void drop_unwanted(struct mmt_pd_run *r, const char *const *only, int nonly)
{
	int k, kept = 0;

	for (k = 0; k < r->njobs; k++) {
		if (job_wanted(&r->jobs[k], only, nonly))
			r->jobs[kept++] = r->jobs[k];
		else
			mmt_job_result_free(&r->jobs[k]);
	}
	r->njobs = kept;
}

static int collect_workloads(struct mmt_pd *pd)
{
	char title[160];
	int r, k, rc;

	for (r = 0; r < pd->nruns; r++)
		for (k = 0; k < pd->runs[r].njobs; k++) {
			mmt_pd_job_title(&pd->runs[r].jobs[k], title, sizeof(title));
			rc = intern(&pd->workloads, &pd->nworkloads, title);
			if (rc < 0)
				return rc;
		}
	return 0;
}

static void free_names(char **names, int n)
{
	int i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static int filter(struct mmt_pd *pd, const char *const *only, int nonly, char *err, size_t errlen)
{
	int rc, r;

	rc = check_only(pd, only, nonly, err, errlen);
	if (rc)
		return rc;
	for (r = 0; r < pd->nruns; r++)
		drop_unwanted(&pd->runs[r], only, nonly);
	free_names(pd->workloads, pd->nworkloads);
	pd->workloads = NULL;
	pd->nworkloads = 0;
	return collect_workloads(pd);
}

int mmt_pd_load(struct mmt_store *s, struct mmt_sel *const *sels, int nsels, unsigned by,
		const char *const *only, int nonly, struct mmt_pd **out, char *err, size_t errlen)
{
	struct mmt_pd *pd = calloc(1, sizeof(*pd));
	int rc = pd ? 0 : -ENOMEM, k;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	for (k = 0; !rc && k < (nsels ? nsels : 1); k++)
		rc = add_runs(s, pd, nsels ? sels[k] : NULL, by, err, errlen);
	if (!rc)
		rc = collect_workloads(pd);
	if (!rc && nonly)
		rc = filter(pd, only, nonly, err, errlen);
	if (rc && errlen && !err[0])
		snprintf(err, errlen, "cannot load the selected runs: %s (%s)", strerror(-rc),
			 mmt_store_errmsg(s));
	if (rc) {
		mmt_pd_free(pd);
		return rc;
	}
	*out = pd;
	return 0;
}

void mmt_pd_free(struct mmt_pd *pd)
{
	int r;

	if (!pd)
		return;
	for (r = 0; r < pd->nruns; r++) {
		mmt_run_info_free(&pd->runs[r].ri);
		mmt_job_results_free(pd->runs[r].jobs, pd->runs[r].njobs);
	}
	free(pd->runs);
	free_names(pd->groups, pd->ngroups);
	free_names(pd->workloads, pd->nworkloads);
	free(pd);
}

/* Does job j belong to workload wl? */
static int is_wl(const struct mmt_pd *pd, int wl, const struct mmt_job_result *j)
{
	char title[160];

	return !strcmp(pd->workloads[wl], mmt_pd_job_title(j, title, sizeof(title)));
}

int mmt_pd_ops(const struct mmt_pd *pd, int wl, const char ***names, int *n)
{
	const char **list = NULL, **p;
	int r, k, o, i;

	*n = 0;
	for (r = 0; r < pd->nruns; r++)
		for (k = 0; k < pd->runs[r].njobs; k++) {
			const struct mmt_job_result *j = &pd->runs[r].jobs[k];

			for (o = 0; is_wl(pd, wl, j) && o < j->nops; o++) {
				for (i = 0; i < *n && strcmp(list[i], j->ops[o].name); i++)
					;
				if (i < *n)
					continue;
				p = realloc(list, sizeof(*p) * (size_t)(*n + 1));
				if (!p) {
					free(list);
					return -ENOMEM;
				}
				list = p;
				list[(*n)++] = j->ops[o].name;
			}
		}
	*names = list;
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

/* A name inside gnuplot's double quotes: no quote, no line break. */
static void put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : (unsigned char)*s < ' ' ? ' ' : *s, out);
	fputc('"', out);
}

static int done(FILE *out, int n)
{
	return ferror(out) ? -EIO : n;
}

/* op's histograms over group g's jobs of wl, merged. */
static void merge_group(const struct mmt_pd *pd, int wl, const char *op, int g, struct mmt_hist *h)
{
	int r, k, o;

	mmt_hist_init(h);
	for (r = 0; r < pd->nruns; r++) {
		if (pd->runs[r].group != g)
			continue;
		for (k = 0; k < pd->runs[r].njobs; k++) {
			const struct mmt_job_result *j = &pd->runs[r].jobs[k];

			for (o = 0; is_wl(pd, wl, j) && o < j->nops; o++)
				if (!strcmp(j->ops[o].name, op))
					mmt_hist_merge(h, &j->ops[o].h);
		}
	}
}

/*
 * Twenty points a decade of 1/(1-p), as far as the samples reach: beyond
 * x = count a percentile says nothing the max does not.
 */
static void spectrum_rows(const struct mmt_hist *h, FILE *out)
{
	double x, p;
	int k;

	for (k = 0;; k++) {
		x = pow(10.0, k / 20.0);
		if (x > (double)h->count)
			break;
		p = 100.0 * (1.0 - 1.0 / x);
		fprintf(out, "%.6g %.6f %" PRIu64 "\n", x, p, mmt_hist_percentile(h, p));
	}
	fprintf(out, "%.6g %.6f %" PRIu64 "\n", (double)h->count, 100.0 * (1.0 - 1.0 / h->count),
		h->max);
}

int mmt_pd_write_spectrum(const struct mmt_pd *pd, int wl, const char *op, FILE *out)
{
	struct mmt_hist *h = malloc(sizeof(*h));
	int g, n = 0;

	if (!h)
		return -ENOMEM;
	fprintf(out,
		"# %s %s: latency percentile spectrum, a block per series\n"
		"# x = 1/(1-p)  p (%%)  latency (ns)\n",
		pd->workloads[wl], op);
	for (g = 0; g < pd->ngroups; g++) {
		merge_group(pd, wl, op, g, h);
		if (!h->count)
			continue;
		fputs(n++ ? "\n\n" : "", out);
		put_quoted(out, pd->groups[g]);
		fputc('\n', out);
		spectrum_rows(h, out);
	}
	free(h);
	return done(out, n);
}

static double t975(int df)
{
	static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
				       2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
				       2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
				       2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
	const double z = 1.959964, v = df;

	if (df >= 1 && df <= (int)MMT_ARRAY_SIZE(table))
		return table[df - 1];
	/* Cornish-Fisher expansion of t about the normal quantile: 4 digits from df 30 on. */
	return z + (z * z * z + z) / (4 * v) +
	       (5 * pow(z, 5) + 16 * pow(z, 3) + 3 * z) / (96 * v * v) +
	       (3 * pow(z, 7) + 19 * pow(z, 5) + 17 * pow(z, 3) - 15 * z) / (384 * v * v * v);
}

void mmt_pd_mean_ci(const double *x, int n, double *mean, double *half)
{
	double sum = 0, ss = 0;
	int i;

	*mean = *half = 0;
	if (n < 1)
		return;
	for (i = 0; i < n; i++)
		sum += x[i];
	*mean = sum / n;
	if (n < 2)
		return;
	for (i = 0; i < n; i++)
		ss += (x[i] - *mean) * (x[i] - *mean);
	*half = t975(n - 1) * sqrt(ss / (n - 1)) / sqrt(n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *x, int n)
{
	qsort(x, (size_t)n, sizeof(*x), cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static double interval_s(const struct mmt_job_result *j)
{
	return j->interval_ns ? (double)j->interval_ns / 1e9 : 1.0;
}

static int job_nintervals(const struct mmt_job_result *j)
{
	int o, n = 0;

	for (o = 0; o < j->nops; o++)
		if (j->ops[o].nintervals > n)
			n = j->ops[o].nintervals;
	return n;
}

/* Ops/s of job j in interval i: its own ops, not a companion's ("W.op"). */
static double job_rate(const struct mmt_job_result *j, int i)
{
	uint64_t n = 0;
	int o;

	for (o = 0; o < j->nops; o++)
		if (!strchr(j->ops[o].name, '.') && i < j->ops[o].nintervals)
			n += j->ops[o].intervals[i];
	return (double)n / interval_s(j);
}

/* Append every interval's rate of group g's jobs of wl to *x. */
static int group_rates(const struct mmt_pd *pd, int wl, int g, double **x, int *n)
{
	int r, k, i, m;

	for (r = 0; r < pd->nruns; r++) {
		for (k = 0; pd->runs[r].group == g && k < pd->runs[r].njobs; k++) {
			const struct mmt_job_result *j = &pd->runs[r].jobs[k];
			double *p;

			if (!is_wl(pd, wl, j) || !(m = job_nintervals(j)))
				continue;
			p = realloc(*x, sizeof(*p) * (size_t)(*n + m));
			if (!p)
				return -ENOMEM;
			*x = p;
			for (i = 0; i < m; i++)
				(*x)[(*n)++] = job_rate(j, i);
		}
	}
	return 0;
}

int mmt_pd_write_throughput(const struct mmt_pd *pd, int wl, FILE *out)
{
	double mean, half, *x = NULL;
	int g, n, rows = 0, rc = 0;

	fprintf(out,
		"# %s: ops/s per interval, per series: mean and its 95%% confidence interval\n"
		"# row  series  mean  ci_lo  ci_hi  n  median\n",
		pd->workloads[wl]);
	for (g = 0; g < pd->ngroups && !rc; g++) {
		n = 0;
		rc = group_rates(pd, wl, g, &x, &n);
		if (rc || !n)
			continue;
		mmt_pd_mean_ci(x, n, &mean, &half);
		fprintf(out, "%d ", rows++);
		put_quoted(out, pd->groups[g]);
		fprintf(out, " %.6g %.6g %.6g %d %.6g\n", mean, mean - half, mean + half, n,
			median(x, n));
	}
	free(x);
	return rc ? rc : done(out, rows);
}

enum cell { CELL_NONE, CELL_SKIP, CELL_PASS, CELL_ERROR, CELL_FAIL };

static const struct {
	const char *label;
	unsigned rgb;
} cells[] = {
	[CELL_NONE] = {"-", 0xffffff},	  [CELL_SKIP] = {"skip", 0xd0d0d0},
	[CELL_PASS] = {"pass", 0x81c784}, [CELL_ERROR] = {"error", 0xffb74d},
	[CELL_FAIL] = {"FAIL", 0xe57373},
};

static enum cell cell_of(int status)
{
	return status == MMT_PASS   ? CELL_PASS
	       : status == MMT_FAIL ? CELL_FAIL
	       : status == MMT_SKIP ? CELL_SKIP
				    : CELL_ERROR;
}

/* The worst status of group g's jobs of wl, and how many of them had it. */
static enum cell matrix_cell(const struct mmt_pd *pd, int wl, int g, int *nworst, int *total)
{
	int count[CELL_FAIL + 1] = {0}, r, k;
	enum cell worst = CELL_NONE, c;

	*total = 0;
	for (r = 0; r < pd->nruns; r++)
		for (k = 0; pd->runs[r].group == g && k < pd->runs[r].njobs; k++) {
			if (!is_wl(pd, wl, &pd->runs[r].jobs[k]))
				continue;
			c = cell_of(pd->runs[r].jobs[k].status);
			count[c]++;
			(*total)++;
			if (c > worst)
				worst = c;
		}
	*nworst = count[worst];
	return worst;
}

int mmt_pd_write_matrix(const struct mmt_pd *pd, FILE *out)
{
	int wl, g, nworst, total;
	enum cell c;

	fputs("# pass/fail/skip per workload (x) and series (y)\n"
	      "# x  y  rgb  label  workload  series\n",
	      out);
	for (g = 0; g < pd->ngroups; g++)
		for (wl = 0; wl < pd->nworkloads; wl++) {
			c = matrix_cell(pd, wl, g, &nworst, &total);
			fprintf(out, "%d %d 0x%06x ", wl, g, cells[c].rgb);
			if (total > 1)
				fprintf(out, "\"%s %d/%d\" ", cells[c].label, nworst, total);
			else
				fprintf(out, "\"%s\" ", cells[c].label);
			put_quoted(out, pd->workloads[wl]);
			fputc(' ', out);
			put_quoted(out, pd->groups[g]);
			fputc('\n', out);
		}
	return done(out, pd->ngroups * pd->nworkloads);
}

static void timeline_block(const struct mmt_pd *pd, const struct mmt_pd_run *r,
			   const struct mmt_job_result *j, int m, FILE *out)
{
	char name[640];
	int i;

	snprintf(name, sizeof(name), "%s: run %" PRId64 " job %d", pd->groups[r->group], r->id,
		 j->seq);
	put_quoted(out, name);
	fputc('\n', out);
	for (i = 0; i < m; i++)
		fprintf(out, "%.6g %.6g\n", (i + 1) * interval_s(j), job_rate(j, i));
}

int mmt_pd_write_timeline(const struct mmt_pd *pd, int wl, FILE *out)
{
	int r, k, m, n = 0;

	fprintf(out,
		"# %s: ops/s in each interval, a block per job\n"
		"# t (s, end of the interval)  ops/s\n",
		pd->workloads[wl]);
	for (r = 0; r < pd->nruns; r++)
		for (k = 0; k < pd->runs[r].njobs; k++) {
			const struct mmt_job_result *j = &pd->runs[r].jobs[k];

			if (!is_wl(pd, wl, j) || !(m = job_nintervals(j)))
				continue;
			fputs(n++ ? "\n\n" : "", out);
			timeline_block(pd, &pd->runs[r], j, m, out);
		}
	return done(out, n);
}

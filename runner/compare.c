// SPDX-License-Identifier: GPL-2.0
/*
 * Building a comparison: jobs grouped per workload (and label) and side, then
 * per op the throughput and latency rows with their tests and floors, and the
 * workload's failure verdicts. The method is described in compare.h.
 */
#include "compare.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "mmt.h"
#include "stats.h"

/* A percentile needs this many samples beyond it on each side to be tested. */
#define TAIL_SAMPLES 10
#define NLAT (MMT_CMP__METRICS - 1)

static const double lat_pct[NLAT] = {50, 90, 99, 99.9, 100};

const char *mmt_cmp_metric_name(int metric)
{
	static const char *const names[] = {"ops/s", "p50", "p90", "p99", "p99.9", "max"};

	return metric >= 0 && metric < MMT_CMP__METRICS ? names[metric] : "?";
}

const char *mmt_cmp_mark_name(int mark)
{
	static const char *const names[] = {"~", "REGRESSION", "improved", "-"};

	return mark >= 0 && mark <= MMT_CMP_UNTESTED ? names[mark] : "?";
}

void mmt_cmp_opts_init(struct mmt_cmp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->alpha = 0.01;
	o->iters = 2000;
	o->seed = 1;
	o->min_floor_pct = 5;
	o->target_pct = 10;
}

/* One side's jobs of one workload, and per op the jobs that timed it. */
struct side {
	const struct mmt_job_result **jobs;
	int njobs;
	const struct mmt_op_result **ops; /* per job of this op, NULL if it has none */
	const struct mmt_job_result **opjobs;
	int nops;
	unsigned lo, hi; /* the buckets any of the op's histograms uses */
};

/* ---- per-job values and pooled values ----------------------------------- */

/* The resamples merge thousands of histograms: only over the buckets in use. */
static void bucket_range(struct side *sd)
{
	unsigned i;
	int k;

	sd->lo = MMT_HIST_BUCKETS;
	sd->hi = 0;
	for (k = 0; k < sd->nops; k++) {
		const uint64_t *b = sd->ops[k]->h.b;

		for (i = 0; i < sd->lo && !b[i]; i++)
			;
		sd->lo = i < sd->lo ? i : sd->lo;
		for (i = MMT_HIST_BUCKETS - 1; i > sd->hi && !b[i]; i--)
			;
		sd->hi = i > sd->hi ? i : sd->hi;
	}
}

static int side_ops(struct side *sd, const char *name)
{
	int i, k;

	sd->nops = 0;
	for (i = 0; i < sd->njobs; i++) {
		const struct mmt_job_result *j = sd->jobs[i];

		for (k = 0; k < j->nops; k++) {
			if (strcmp(j->ops[k].name, name))
				continue;
			if (!j->ops[k].h.count && !j->ops[k].nintervals)
				break;
			sd->ops[sd->nops] = &j->ops[k];
			sd->opjobs[sd->nops++] = j;
			break;
		}
	}
	bucket_range(sd);
	return sd->nops;
}

static double interval_s(const struct mmt_job_result *j)
{
	return j->interval_ns ? (double)j->interval_ns / 1e9 : 1.0;
}

/* Every interval's rate of every job in *rates; the per-job means in row's arrays. */
static int rate_samples(const struct side *sd, double **rates, int *n, double *per_job)
{
	int i, k, total = 0;

	for (i = 0; i < sd->nops; i++)
		total += sd->ops[i]->nintervals;
	*n = 0;
	*rates = malloc((size_t)(total ? total : 1) * sizeof(**rates));
	if (!*rates)
		return -ENOMEM;
	for (i = 0; i < sd->nops; i++) {
		const struct mmt_op_result *o = sd->ops[i];
		double s = 0;

		for (k = 0; k < o->nintervals; k++) {
			(*rates)[*n] = (double)o->intervals[k] / interval_s(sd->opjobs[i]);
			s += (*rates)[(*n)++];
		}
		per_job[i] = o->nintervals ? s / o->nintervals : NAN;
	}
	return 0;
}

static double lat_value(const struct mmt_hist *h, int m)
{
	if (!h->count)
		return NAN;
	return m == MMT_CMP_MAX ? (double)h->max : (double)mmt_hist_percentile(h, lat_pct[m - 1]);
}

/*
 * Merge the picked jobs' histograms (all of them without pick) into h, whose
 * buckets outside the side's range must be zero, as they stay.
 */
static void merge_side(const struct side *sd, const size_t *pick, size_t n, struct mmt_hist *h)
{
	size_t i;
	unsigned k;

	h->count = h->sum = h->max = 0;
	h->min = UINT64_MAX;
	if (sd->lo > sd->hi)
		return;
	memset(&h->b[sd->lo], 0, (sd->hi - sd->lo + 1) * sizeof(h->b[0]));
	for (i = 0; i < n; i++) {
		const struct mmt_hist *src = &sd->ops[pick ? pick[i] : i]->h;

		if (!src->count)
			continue;
		h->count += src->count;
		h->sum += src->sum;
		h->min = src->min < h->min ? src->min : h->min;
		h->max = src->max > h->max ? src->max : h->max;
		for (k = sd->lo; k <= sd->hi; k++)
			h->b[k] += src->b[k];
	}
}

static double change_pct(double base, double cand)
{
	return base > 0 && !isnan(cand) ? (cand - base) / base * 100 : NAN;
}

/*
 * The pooled run-to-run coefficient of variation of per-job values, in percent:
 * each side's relative variance weighted by its degrees of freedom (*df, their
 * sum). NAN when neither side has two jobs.
 */
static double pooled_cv(const double *a, int na, const double *b, int nb, int *df)
{
	double var = 0, m;

	*df = 0;
	if (na >= 2 && (m = mmt_mean(a, (size_t)na)) > 0) {
		var += (na - 1) * pow(mmt_stddev(a, (size_t)na) / m, 2);
		*df += na - 1;
	}
	if (nb >= 2 && (m = mmt_mean(b, (size_t)nb)) > 0) {
		var += (nb - 1) * pow(mmt_stddev(b, (size_t)nb) / m, 2);
		*df += nb - 1;
	}
	return *df ? sqrt(var / *df) * 100 : NAN;
}

/*
 * The noise floor: the change that run-to-run spread alone reaches by chance,
 * t CV sqrt(1/nb + 1/nc), as in a t-test on the per-job values; never below
 * the minimum. Few repetitions give a wide floor, many a
 * narrow one. A report tests dozens of metrics at once and an A/A comparison
 * must come out clean as a whole, so t is taken at alpha / ntested (Bonferroni):
 * t(1 - alpha / (2 ntested), df).
 */
static void set_floor(const struct mmt_cmp_opts *o, int ntested, struct mmt_cmp_row *r)
{
	double f;
	int df;

	r->cv_pct = pooled_cv(r->base_jobs, r->nb_jobs, r->cand_jobs, r->nc_jobs, &df);
	r->floor_pct = o->min_floor_pct;
	if (isnan(r->cv_pct))
		return;
	f = mmt_t_quantile(1 - o->alpha / (2.0 * (ntested > 1 ? ntested : 1)), df) * r->cv_pct *
	    sqrt(1.0 / r->nb_jobs + 1.0 / r->nc_jobs);
	if (f > r->floor_pct)
		r->floor_pct = f;
}

/* Whether n jobs a side reach the target (see mmt_cmp_runs_needed). */
static int enough_runs(double a, double cv_pct, double target, int n)
{
	double t = mmt_t_quantile(1 - a, 2 * n - 2) + mmt_t_quantile(0.95, 2 * n - 2);

	return t * cv_pct * sqrt(2.0 / n) <= target;
}

/*
 * The fewest jobs a side whose per-job Mann-Whitney test can go below alpha:
 * its smallest two-sided p, with one side all above the other, is 2 / C(2n, n).
 */
static int fewest_runs(double alpha)
{
	double c = 2; /* C(2, 1) */
	int n = 1;

	while (2 / c >= alpha && n < MMT_CMP_MAX_RUNS) {
		c = c * (2 * n + 1) * (2 * n + 2) / ((n + 1) * (double)(n + 1));
		n++;
	}
	return n;
}

/*
 * Jobs a side for a change of target_pct to clear the floor 95% of the time:
 * the smallest n with (t(1 - alpha / (2 ntested), 2n - 2) + t(0.95, 2n - 2)) CV
 * sqrt(2 / n) <= target, the usual t-test sample size; and at least enough for
 * the per-job Mann-Whitney test to pass (five a side at alpha 0.01).
 */
int mmt_cmp_runs_needed(const struct mmt_cmp_opts *o, int ntested, double cv_pct)
{
	double a = o->alpha / (2.0 * (ntested > 1 ? ntested : 1));
	int lo = fewest_runs(o->alpha), hi = MMT_CMP_MAX_RUNS, mid;

	if (isnan(cv_pct))
		return 0;
	if (o->target_pct <= o->min_floor_pct || !enough_runs(a, cv_pct, o->target_pct, hi))
		return -1;
	/* The left side falls as n grows: bisect for the first n that is enough. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (enough_runs(a, cv_pct, o->target_pct, mid))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---- marks -------------------------------------------------------------- */

/* Whether the jobs of one side all sit apart from the other's, as a p-value. */
static double job_p(const struct mmt_cmp_row *r)
{
	struct mmt_mwu u;

	if (!r->nb_jobs || !r->nc_jobs ||
	    mmt_mwu(r->base_jobs, (size_t)r->nb_jobs, r->cand_jobs, (size_t)r->nc_jobs, &u))
		return NAN;
	return u.p;
}

static void mark_row(const struct mmt_cmp_opts *o, int ntested, struct mmt_cmp_row *r)
{
	int significant, worse;

	set_floor(o, ntested, r);
	r->runs_needed = mmt_cmp_runs_needed(o, ntested, r->cv_pct);
	r->job_p = job_p(r);
	if (r->why)
		return;
	if (isnan(r->change_pct)) {
		r->mark = MMT_CMP_UNTESTED;
		r->why = "baseline value is 0";
		return;
	}
	if (r->metric == MMT_CMP_OPS_S)
		significant = r->p < o->alpha;
	else
		significant = r->ci_lo > 0 || r->ci_hi < 0;
	significant = significant && r->job_p < o->alpha;
	worse = r->metric == MMT_CMP_OPS_S ? r->change_pct < 0 : r->change_pct > 0;
	r->mark = MMT_CMP_SAME;
	if (significant && fabs(r->change_pct) > r->floor_pct)
		r->mark = worse ? MMT_CMP_REGRESSION : MMT_CMP_IMPROVED;
}

static void untested(struct mmt_cmp_row *r, const char *why)
{
	r->mark = MMT_CMP_UNTESTED;
	r->why = why;
}

/* ---- throughput ----------------------------------------------------------- */

static int throughput_row(const struct side *b, const struct side *c, struct mmt_cmp_row *r)
{
	double *rb = NULL, *rc = NULL;
	struct mmt_mwu u;
	int nb, nc, err;

	err = rate_samples(b, &rb, &nb, r->base_jobs);
	if (!err)
		err = rate_samples(c, &rc, &nc, r->cand_jobs);
	if (err)
		goto out;
	r->nb_samples = nb;
	r->nc_samples = nc;
	r->base = nb ? mmt_mean(rb, (size_t)nb) : NAN;
	r->cand = nc ? mmt_mean(rc, (size_t)nc) : NAN;
	r->change_pct = change_pct(r->base, r->cand);
	if (nb < 2 || nc < 2) {
		untested(r, "fewer than 2 intervals a side");
		goto out;
	}
	/*
	 * Intervals of one run vary less than runs do: with a single job a side any
	 * run-to-run difference would look significant, and there is no spread to
	 * set the floor by.
	 */
	if (b->nops < 2 && c->nops < 2) {
		untested(r, "one job a side: no run-to-run spread (repeat the runs)");
		goto out;
	}
	err = mmt_mwu(rb, (size_t)nb, rc, (size_t)nc, &u);
	if (!err) {
		r->u = u.u1;
		r->z = u.z;
		r->p = u.p;
		r->exact = u.exact;
	}
out:
	free(rb);
	free(rc);
	return err;
}

/* ---- latency -------------------------------------------------------------- */

struct boot_ctx {
	const struct side *b, *c;
	struct mmt_hist *hb, *hc;
};

static void boot_latency(void *ctx, const size_t *ia, size_t na, const size_t *ib, size_t nb,
			 double *out)
{
	struct boot_ctx *x = ctx;
	int m;

	merge_side(x->b, ia, na, x->hb);
	merge_side(x->c, ib, nb, x->hc);
	for (m = MMT_CMP_P50; m < MMT_CMP__METRICS; m++)
		out[m - 1] = change_pct(lat_value(x->hb, m), lat_value(x->hc, m));
}

/* Enough samples beyond percentile m on both sides for its value to mean something. */
static int enough_tail(const struct mmt_hist *hb, const struct mmt_hist *hc, int m)
{
	double beyond = m == MMT_CMP_MAX ? 1 : 1 - lat_pct[m - 1] / 100;

	return (double)hb->count * beyond >= TAIL_SAMPLES - 1e-9 &&
	       (double)hc->count * beyond >= TAIL_SAMPLES - 1e-9;
}

static uint64_t op_seed(const struct mmt_cmp_opts *o, const struct mmt_cmp_workload *w,
			const char *op)
{
	uint64_t h = mmt_fnv1a64(MMT_FNV64_OFFSET, w->workload, strlen(w->workload));

	h = mmt_fnv1a64(h, ":", 1);
	h = mmt_fnv1a64(h, w->label, strlen(w->label));
	h = mmt_fnv1a64(h, "/", 1);
	h = mmt_fnv1a64(h, op, strlen(op));
	return o->seed ^ h;
}

static void latency_values(const struct side *b, const struct side *c, struct mmt_cmp_op *op,
			   struct mmt_hist *hb, struct mmt_hist *hc)
{
	int m, i;

	merge_side(b, NULL, (size_t)b->nops, hb);
	merge_side(c, NULL, (size_t)c->nops, hc);
	for (m = MMT_CMP_P50; m < MMT_CMP__METRICS; m++) {
		struct mmt_cmp_row *r = &op->row[m];

		for (i = 0; i < b->nops; i++)
			r->base_jobs[i] = lat_value(&b->ops[i]->h, m);
		for (i = 0; i < c->nops; i++)
			r->cand_jobs[i] = lat_value(&c->ops[i]->h, m);
		r->nb_samples = (int)(hb->count > INT32_MAX ? INT32_MAX : hb->count);
		r->nc_samples = (int)(hc->count > INT32_MAX ? INT32_MAX : hc->count);
		r->base = lat_value(hb, m);
		r->cand = lat_value(hc, m);
		r->change_pct = change_pct(r->base, r->cand);
		if (!hb->count || !hc->count)
			untested(r, "no samples on one side");
		else if (b->nops < 2 || c->nops < 2)
			untested(r, "fewer than 2 jobs a side (repeat the runs)");
		else if (m == MMT_CMP_MAX)
			untested(r, "one op, the slowest: shown, not tested");
		else if (!enough_tail(hb, hc, m))
			untested(r, "too few samples beyond this percentile");
	}
}

static int latency_rows(const struct mmt_compare *cmp, const struct mmt_cmp_workload *w,
			const struct side *b, const struct side *c, struct mmt_cmp_op *op)
{
	struct mmt_boot boot = {cmp->opts.iters, 1 - cmp->opts.alpha,
				op_seed(&cmp->opts, w, op->name)};
	double lo[NLAT], hi[NLAT];
	struct boot_ctx x = {b, c, calloc(1, sizeof(*x.hb)), calloc(1, sizeof(*x.hc))};
	int m, need = 0, err = 0;

	if (!x.hb || !x.hc) {
		err = -ENOMEM;
		goto out;
	}
	latency_values(b, c, op, x.hb, x.hc);
	for (m = MMT_CMP_P50; m < MMT_CMP__METRICS; m++)
		need |= !op->row[m].why;
	if (need)
		err = mmt_bootstrap2(&boot, (size_t)b->nops, (size_t)c->nops, NLAT, boot_latency,
				     &x, lo, hi);
	for (m = MMT_CMP_P50; need && !err && m < MMT_CMP__METRICS; m++) {
		if (op->row[m].why)
			continue;
		op->row[m].ci_lo = lo[m - 1];
		op->row[m].ci_hi = hi[m - 1];
		if (isnan(lo[m - 1]))
			untested(&op->row[m], "percentile undefined in most resamples");
	}
out:
	free(x.hb);
	free(x.hc);
	return err;
}

/* ---- ops ------------------------------------------------------------------ */

static int op_rows_alloc(struct mmt_cmp_op *op, int nb, int nc)
{
	int m;

	for (m = 0; m < MMT_CMP__METRICS; m++) {
		struct mmt_cmp_row *r = &op->row[m];

		r->metric = m;
		r->base = r->cand = r->change_pct = NAN;
		r->u = r->z = r->p = r->ci_lo = r->ci_hi = r->cv_pct = r->job_p = NAN;
		r->nb_jobs = nb;
		r->nc_jobs = nc;
		r->base_jobs = calloc((size_t)(nb ? nb : 1), sizeof(double));
		r->cand_jobs = calloc((size_t)(nc ? nc : 1), sizeof(double));
		if (!r->base_jobs || !r->cand_jobs)
			return -ENOMEM;
	}
	return 0;
}

static int build_op(const struct mmt_compare *cmp, const struct mmt_cmp_workload *w, struct side *b,
		    struct side *c, struct mmt_cmp_op *op)
{
	int m, err;

	op->in_base = side_ops(b, op->name);
	op->in_cand = side_ops(c, op->name);
	err = op_rows_alloc(op, op->in_base, op->in_cand);
	if (err)
		return err;
	if (!op->in_base || !op->in_cand) {
		for (m = 0; m < MMT_CMP__METRICS; m++)
			untested(&op->row[m], op->in_base ? "not timed on the candidate"
							  : "not timed on the baseline");
	} else {
		err = throughput_row(b, c, &op->row[MMT_CMP_OPS_S]);
		if (!err)
			err = latency_rows(cmp, w, b, c, op);
	}
	return err;
}

/* ---- workloads ------------------------------------------------------------ */

static int job_is(const struct mmt_job_result *j, const struct mmt_cmp_workload *w)
{
	return !strcmp(j->workload, w->workload) && !strcmp(j->label, w->label);
}

static int add_note(struct mmt_cmp_workload *w, const char *text)
{
	char **n = realloc(w->notes, (size_t)(w->nnotes + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	w->notes = n;
	n[w->nnotes] = strdup(text);
	return n[w->nnotes++] ? 0 : -ENOMEM;
}

static void count_status(const struct side *sd, struct mmt_cmp_status *st)
{
	int i, k, kinds;

	st->jobs = sd->njobs;
	for (i = 0; i < sd->njobs; i++) {
		const struct mmt_job_result *j = sd->jobs[i];

		st->pass += j->status == MMT_PASS;
		st->fail += j->status == MMT_FAIL;
		st->skip += j->status == MMT_SKIP;
		st->error += j->status == MMT_ERROR;
		for (kinds = 0, k = 0; k < j->nfailures; k++)
			if (j->failures[k].kind >= 0 && j->failures[k].kind < MMT_FK__COUNT)
				kinds |= 1 << j->failures[k].kind;
		for (k = 0; k < MMT_FK__COUNT; k++)
			st->kind_jobs[k] += !!(kinds & (1 << k));
	}
}

static void failure_marks(struct mmt_cmp_workload *w)
{
	const struct mmt_cmp_status *b = &w->base, *c = &w->cand;
	int k;

	if (!b->jobs || !c->jobs) {
		w->status_mark = MMT_CMP_UNTESTED;
		return;
	}
	if (!b->fail && b->pass && c->fail)
		w->status_mark = MMT_CMP_REGRESSION;
	else if (b->fail && !c->fail && c->pass)
		w->status_mark = MMT_CMP_IMPROVED;
	for (k = 0; k < MMT_FK__COUNT; k++) {
		if (c->kind_jobs[k] && !b->kind_jobs[k])
			w->kind_mark[k] = MMT_CMP_REGRESSION;
		else if (b->kind_jobs[k] && !c->kind_jobs[k] && c->pass)
			w->kind_mark[k] = MMT_CMP_IMPROVED;
	}
}

/* Jobs whose numbers count: those that ran (passed or failed), not skips or errors. */
static int side_collect(struct side *sd, const struct mmt_job_result *jobs, int n,
			const struct mmt_cmp_workload *w, int ran)
{
	int i;

	sd->njobs = 0;
	for (i = 0; i < n; i++)
		if (job_is(&jobs[i], w) &&
		    (!ran || jobs[i].status == MMT_PASS || jobs[i].status == MMT_FAIL))
			sd->jobs[sd->njobs++] = &jobs[i];
	return sd->njobs;
}

static int add_op_name(struct mmt_cmp_workload *w, const char *name)
{
	struct mmt_cmp_op *ops;
	int i;

	for (i = 0; i < w->nops; i++)
		if (!strcmp(w->ops[i].name, name))
			return 0;
	ops = realloc(w->ops, (size_t)(w->nops + 1) * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	w->ops = ops;
	memset(&ops[w->nops], 0, sizeof(*ops));
	snprintf(ops[w->nops++].name, sizeof(ops->name), "%s", name);
	return 0;
}

static int op_names(struct mmt_cmp_workload *w, const struct side *b, const struct side *c)
{
	const struct side *sides[2] = {b, c};
	int s, i, k, err = 0;

	for (s = 0; s < 2; s++)
		for (i = 0; i < sides[s]->njobs; i++)
			for (k = 0; !err && k < sides[s]->jobs[i]->nops; k++)
				err = add_op_name(w, sides[s]->jobs[i]->ops[k].name);
	return err;
}

static int params_note(struct mmt_cmp_workload *w, const struct side *b, const struct side *c)
{
	const char *pb, *pc;
	char note[512];
	int i;

	if (!b->njobs || !c->njobs)
		return 0;
	pb = b->jobs[0]->params_json ? b->jobs[0]->params_json : "{}";
	for (i = 0; i < c->njobs; i++) {
		pc = c->jobs[i]->params_json ? c->jobs[i]->params_json : "{}";
		if (strcmp(pb, pc)) {
			snprintf(note, sizeof(note), "parameters differ: baseline %s, candidate %s",
				 pb, pc);
			return add_note(w, note);
		}
	}
	return 0;
}

static int sides_alloc(struct side *sd, int n)
{
	sd->jobs = calloc((size_t)(n ? n : 1), sizeof(*sd->jobs));
	sd->ops = calloc((size_t)(n ? n : 1), sizeof(*sd->ops));
	sd->opjobs = calloc((size_t)(n ? n : 1), sizeof(*sd->opjobs));
	return sd->jobs && sd->ops && sd->opjobs ? 0 : -ENOMEM;
}

static void sides_free(struct side *sd)
{
	free(sd->jobs);
	free(sd->ops);
	free(sd->opjobs);
}

static void count_marks(struct mmt_cmp_workload *w)
{
	int i, m, k;

	w->regressions = w->status_mark == MMT_CMP_REGRESSION;
	w->improvements = w->status_mark == MMT_CMP_IMPROVED;
	for (k = 0; k < MMT_FK__COUNT; k++) {
		w->regressions += w->kind_mark[k] == MMT_CMP_REGRESSION;
		w->improvements += w->kind_mark[k] == MMT_CMP_IMPROVED;
	}
	for (i = 0; i < w->nops; i++)
		for (m = 0; m < MMT_CMP__METRICS; m++) {
			w->regressions += w->ops[i].row[m].mark == MMT_CMP_REGRESSION;
			w->improvements += w->ops[i].row[m].mark == MMT_CMP_IMPROVED;
		}
}

static int build_workload(struct mmt_compare *cmp, struct mmt_cmp_workload *w,
			  const struct mmt_job_result *base, int nb,
			  const struct mmt_job_result *cand, int nc)
{
	struct side b = {0}, c = {0};
	int i, err;

	err = sides_alloc(&b, nb);
	if (!err)
		err = sides_alloc(&c, nc);
	if (err)
		goto out;
	side_collect(&b, base, nb, w, 0);
	side_collect(&c, cand, nc, w, 0);
	count_status(&b, &w->base);
	count_status(&c, &w->cand);
	failure_marks(w);
	if (!b.njobs || !c.njobs)
		err = add_note(w, b.njobs ? "only in the baseline" : "only in the candidate");
	if (!err)
		err = params_note(w, &b, &c);
	side_collect(&b, base, nb, w, 1);
	side_collect(&c, cand, nc, w, 1);
	if (!err)
		err = op_names(w, &b, &c);
	for (i = 0; !err && i < w->nops; i++)
		err = build_op(cmp, w, &b, &c, &w->ops[i]);
out:
	sides_free(&b);
	sides_free(&c);
	return err;
}

/* ---- the whole comparison ------------------------------------------------- */

/* Marks once every row is known: the floors depend on how many rows are tested. */
static void mark_all(struct mmt_compare *c)
{
	int w, i, m;

	for (w = 0; w < c->nwl; w++)
		for (i = 0; i < c->wl[w].nops; i++)
			for (m = 0; m < MMT_CMP__METRICS; m++)
				c->ntested += !c->wl[w].ops[i].row[m].why;
	for (w = 0; w < c->nwl; w++) {
		for (i = 0; i < c->wl[w].nops; i++)
			for (m = 0; m < MMT_CMP__METRICS; m++)
				mark_row(&c->opts, c->ntested, &c->wl[w].ops[i].row[m]);
		count_marks(&c->wl[w]);
		c->regressions += c->wl[w].regressions;
		c->improvements += c->wl[w].improvements;
	}
}

static int wl_selected(const struct mmt_cmp_opts *o, const struct mmt_job_result *j)
{
	char key[160];

	if (!o->workload)
		return 1;
	snprintf(key, sizeof(key), "%s%s%s", j->workload, j->label[0] ? ":" : "", j->label);
	return !fnmatch(o->workload, j->workload, 0) || !fnmatch(o->workload, key, 0);
}

static int add_workload(struct mmt_compare *c, const struct mmt_job_result *j)
{
	struct mmt_cmp_workload *w;
	int i;

	for (i = 0; i < c->nwl; i++)
		if (job_is(j, &c->wl[i]))
			return 0;
	w = realloc(c->wl, (size_t)(c->nwl + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	c->wl = w;
	w = &c->wl[c->nwl++];
	memset(w, 0, sizeof(*w));
	snprintf(w->workload, sizeof(w->workload), "%s", j->workload);
	snprintf(w->label, sizeof(w->label), "%s", j->label);
	return 0;
}

/* "thp_fork, vma_iter:many" for an error message. */
static void say_workloads(const struct mmt_job_result *jobs, int n, const struct mmt_compare *c,
			  char *err, size_t errlen)
{
	struct mmt_compare all = {0};
	size_t off;
	int i;

	off = (size_t)snprintf(err, errlen,
			       "no job of workload '%s' on either side; there: ", c->opts.workload);
	for (i = 0; i < n; i++)
		if (add_workload(&all, &jobs[i]))
			break;
	for (i = 0; i < all.nwl && off < errlen; i++)
		off += (size_t)snprintf(err + off, errlen - off, "%s%s%s%s", i ? ", " : "",
					all.wl[i].workload, all.wl[i].label[0] ? ":" : "",
					all.wl[i].label);
	if (!all.nwl && off < errlen)
		snprintf(err + off, errlen - off, "no jobs at all");
	free(all.wl);
}

static int check_opts(const struct mmt_cmp_opts *o, char *err, size_t errlen)
{
	if (!(o->alpha > 0 && o->alpha <= 0.5))
		snprintf(err, errlen, "alpha %g: valid 0 < alpha <= 0.5", o->alpha);
	else if (o->iters < 100 || o->iters > 1000000)
		snprintf(err, errlen, "bootstrap iterations %d: valid 100..1000000", o->iters);
	else if (!(o->target_pct > 0))
		snprintf(err, errlen, "target change %g%%: valid > 0", o->target_pct);
	else if (!(o->min_floor_pct >= 0))
		snprintf(err, errlen, "noise floor %g%%: valid >= 0", o->min_floor_pct);
	else
		return 0;
	return -EINVAL;
}

/* Workloads in the order the baseline ran them, then the candidate's new ones. */
static int collect_workloads(struct mmt_compare *c, const struct mmt_job_result *base, int nb,
			     const struct mmt_job_result *cand, int nc)
{
	int i, err = 0;

	for (i = 0; !err && i < nb; i++)
		if (wl_selected(&c->opts, &base[i]))
			err = add_workload(c, &base[i]);
	for (i = 0; !err && i < nc; i++)
		if (wl_selected(&c->opts, &cand[i]))
			err = add_workload(c, &cand[i]);
	return err;
}

static int count_selected(const struct mmt_cmp_opts *o, const struct mmt_job_result *j, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += wl_selected(o, &j[i]);
	return k;
}

int mmt_compare_jobs(const struct mmt_job_result *base, int nb, const struct mmt_job_result *cand,
		     int nc, const struct mmt_cmp_opts *o, struct mmt_compare **out, char *err,
		     size_t errlen)
{
	struct mmt_compare *c;
	int i, rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	rc = check_opts(o, err, errlen);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->opts = *o;
	if (o->workload) {
		snprintf(c->workload_glob, sizeof(c->workload_glob), "%s", o->workload);
		c->opts.workload = c->workload_glob;
	}
	c->base.njobs = count_selected(&c->opts, base, nb);
	c->cand.njobs = count_selected(&c->opts, cand, nc);
	rc = collect_workloads(c, base, nb, cand, nc);
	if (!rc && !c->nwl && o->workload) {
		struct mmt_job_result *both = malloc((size_t)(nb + nc + 1) * sizeof(*both));

		if (both) {
			memcpy(both, base, (size_t)nb * sizeof(*both));
			memcpy(both + nb, cand, (size_t)nc * sizeof(*both));
			say_workloads(both, nb + nc, c, err, errlen);
			free(both);
		}
		rc = -ENOENT;
	}
	for (i = 0; !rc && i < c->nwl; i++)
		rc = build_workload(c, &c->wl[i], base, nb, cand, nc);
	if (!rc)
		mark_all(c);
	if (rc) {
		if (errlen && !err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		mmt_compare_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void mmt_compare_set_selectors(struct mmt_compare *c, const char *base, const char *cand)
{
	snprintf(c->base.selector, sizeof(c->base.selector), "%s", base ? base : "");
	snprintf(c->cand.selector, sizeof(c->cand.selector), "%s", cand ? cand : "");
}

static void workload_free(struct mmt_cmp_workload *w)
{
	int i, m;

	for (i = 0; i < w->nops; i++)
		for (m = 0; m < MMT_CMP__METRICS; m++) {
			free(w->ops[i].row[m].base_jobs);
			free(w->ops[i].row[m].cand_jobs);
		}
	free(w->ops);
	for (i = 0; i < w->nnotes; i++)
		free(w->notes[i]);
	free(w->notes);
}

void mmt_compare_free(struct mmt_compare *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->nwl; i++)
		workload_free(&c->wl[i]);
	free(c->wl);
	free(c->base.runs);
	free(c->cand.runs);
	free(c);
}

/* ---- from the store ------------------------------------------------------- */

/* Every job of the runs, in one array; each run's record in runs. */
static int load_side(struct mmt_store *s, const int64_t *ids, int n, struct mmt_job_result **jobs,
		     int *njobs, struct mmt_cmp_run *runs, char *err, size_t errlen)
{
	struct mmt_job_result *one, *all;
	struct mmt_run_info ri;
	int i, k, rc = 0;

	for (i = 0; !rc && i < n; i++) {
		rc = mmt_store_load_run(s, ids[i], &ri, NULL, 0);
		if (rc) {
			snprintf(err, errlen, "run %lld: %s", (long long)ids[i], strerror(-rc));
			break;
		}
		runs[i].id = ids[i];
		snprintf(runs[i].kernel, sizeof(runs[i].kernel), "%s", ri.kernel_release);
		snprintf(runs[i].arch, sizeof(runs[i].arch), "%s", ri.arch);
		snprintf(runs[i].tag, sizeof(runs[i].tag), "%s", ri.tag);
		snprintf(runs[i].host, sizeof(runs[i].host), "%s", ri.hostname);
		runs[i].started_ns = ri.started_ns;
		runs[i].guest = ri.guest;
		mmt_run_info_free(&ri);
		rc = mmt_store_load_jobs(s, ids[i], &one, &k);
		if (rc) {
			snprintf(err, errlen, "run %lld: cannot read its jobs: %s %s",
				 (long long)ids[i], strerror(-rc), mmt_store_errmsg(s));
			break;
		}
		all = realloc(*jobs, (size_t)(*njobs + k + 1) * sizeof(*all));
		if (!all) {
			mmt_job_results_free(one, k);
			rc = -ENOMEM;
			break;
		}
		/* The jobs move into the pooled array; only the old array goes. */
		memcpy(all + *njobs, one, (size_t)k * sizeof(*all));
		free(one);
		*jobs = all;
		*njobs += k;
	}
	return rc;
}

static int side_runs(struct mmt_cmp_side *sd, int n)
{
	sd->runs = calloc((size_t)(n ? n : 1), sizeof(*sd->runs));
	sd->nruns = n;
	return sd->runs ? 0 : -ENOMEM;
}

int mmt_compare_runs(struct mmt_store *s, const int64_t *base, int nbase, const int64_t *cand,
		     int ncand, const struct mmt_cmp_opts *o, struct mmt_compare **out, char *err,
		     size_t errlen)
{
	struct mmt_job_result *bj = NULL, *cj = NULL;
	struct mmt_cmp_run *br, *cr;
	int nb = 0, nc = 0, rc;

	*out = NULL;
	br = calloc((size_t)nbase + 1, sizeof(*br));
	cr = calloc((size_t)ncand + 1, sizeof(*cr));
	rc = br && cr ? 0 : -ENOMEM;
	if (!rc)
		rc = load_side(s, base, nbase, &bj, &nb, br, err, errlen);
	if (!rc)
		rc = load_side(s, cand, ncand, &cj, &nc, cr, err, errlen);
	if (!rc)
		rc = mmt_compare_jobs(bj, nb, cj, nc, o, out, err, errlen);
	if (!rc && !(rc = side_runs(&(*out)->base, nbase)) &&
	    !(rc = side_runs(&(*out)->cand, ncand))) {
		memcpy((*out)->base.runs, br, (size_t)nbase * sizeof(*br));
		memcpy((*out)->cand.runs, cr, (size_t)ncand * sizeof(*cr));
	}
	if (rc && *out) {
		mmt_compare_free(*out);
		*out = NULL;
	}
	mmt_job_results_free(bj, nb);
	mmt_job_results_free(cj, nc);
	free(br);
	free(cr);
	return rc;
}

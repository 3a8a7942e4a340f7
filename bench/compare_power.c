// SPDX-License-Identifier: GPL-2.0
/*
 * compare's power and false positives on real data (bench/compare_power.sh).
 *
 * usage: compare_power DB WORKLOAD [TRIALS] [SHIFT_PCT] [PER_SIDE]
 *
 * The pool is every passed job of WORKLOAD stored in DB (real runs made on this
 * machine). Each trial draws 2 x PER_SIDE distinct jobs at random, PER_SIDE to
 * each side, and compares them twice through mmt_compare_jobs() with the
 * command's defaults: as they are (A/A: anything marked is a false positive),
 * and with every candidate latency made SHIFT_PCT percent slower (each bucket's
 * midpoint scaled and put back into the histogram, min, max and sum scaled; the
 * intervals untouched): an op's shift is detected when its p50 is marked
 * REGRESSION. Prints a row per op and the totals.
 *
 * Beside each op's detection rate stands the most any test could reach on
 * these runs: the power of a one-sided z test at compare's alpha that knows the
 * op's true run-to-run spread (the pool's log-SD of per-job p50s), with the
 * jobs as the unit of replication. No valid test on PER_SIDE jobs a side does
 * better, so an op far below 95% there is held back by the machine's
 * run-to-run noise, not by the method. Beside it, the power of the two-sided
 * t test on the per-job log values, with that same true spread, at the per-row
 * alpha that keeps a whole comparison's false positives at alpha (alpha over
 * the rows tested, as compare's floor takes it): what a test that must
 * estimate the spread from 2 x PER_SIDE jobs, on every row at once, reaches.
 * Last, "needed": the median over the A/A trials of the jobs a side compare
 * itself says a 10% p50 change needs (its runs_needed).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "select.h"
#include "stats.h"
#include "store.h"

#define MAX_OPS 64

struct tally {
	int testable; /* trials where the op's p50 could be tested */
	int detected, p90_detected, wrong_sign;
	int aa_p50, aa_any; /* A/A: p50 marked; any metric of the op marked */
	double cv_sum, floor_sum; /* over A/A trials: p50's run-to-run CV and floor */
	double pool_sd; /* log-SD of the per-job p50 over the whole pool */
	double bound; /* best power any test could reach (see the top) */
	double t_bound; /* power of a t test on per-job values at compare's per-row alpha */
	int *need, nneed; /* compare's p50 runs_needed in each A/A trial (-1 as MAX + 1) */
};

static double ntested_sum; /* rows compare tested, summed over the A/A trials */

static struct tally tally[MAX_OPS];
static int aa_metric[MMT_CMP__METRICS]; /* A/A trials where the metric is marked in some op */
static char names[MAX_OPS][32];
static int nnames;

static int load_pool(const char *db, const char *workload, struct mmt_job_result **jobs, int *n)
{
	struct mmt_store *s;
	struct mmt_job_result *one;
	char err[512];
	int64_t id = 0;
	int rc, k, i;

	rc = mmt_store_open_ro(&s, db, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "compare_power: %s\n", err);
		return rc;
	}
	*jobs = NULL;
	*n = 0;
	/* Every run in the store: ids 1.. until one is missing. */
	for (id = 1; mmt_store_load_jobs(s, id, &one, &k) == 0 && k > 0; id++) {
		*jobs = realloc(*jobs, (size_t)(*n + k) * sizeof(**jobs));
		for (i = 0; i < k; i++)
			if (one[i].status == MMT_PASS && !strcmp(one[i].workload, workload))
				(*jobs)[(*n)++] = one[i];
			else
				mmt_job_result_free(&one[i]);
		free(one);
	}
	mmt_store_close(s);
	return *n ? 0 : -ENOENT;
}

/* A copy of j whose op histograms are (1 + shift) times slower; intervals shared. */
static void shifted(const struct mmt_job_result *j, double shift, struct mmt_job_result *out)
{
	int i;
	unsigned k;

	*out = *j;
	out->ops = malloc((size_t)j->nops * sizeof(*out->ops));
	for (i = 0; i < j->nops; i++) {
		const struct mmt_hist *h = &j->ops[i].h;
		struct mmt_hist *d = &out->ops[i].h;

		out->ops[i] = j->ops[i];
		memset(d->b, 0, sizeof(d->b));
		for (k = 0; k < MMT_HIST_BUCKETS; k++) {
			uint64_t mid = mmt_hist_bucket_lo(k) +
				       (mmt_hist_bucket_hi(k) - mmt_hist_bucket_lo(k)) / 2;

			if (h->b[k])
				d->b[mmt_hist_bucket(
					(uint64_t)llround((double)mid * (1 + shift)))] += h->b[k];
		}
		d->min = (uint64_t)llround((double)h->min * (1 + shift));
		d->max = (uint64_t)llround((double)h->max * (1 + shift));
		d->sum = (uint64_t)llround((double)h->sum * (1 + shift));
	}
}

static int op_slot(const char *name)
{
	int i;

	for (i = 0; i < nnames; i++)
		if (!strcmp(names[i], name))
			return i;
	if (nnames == MAX_OPS)
		return -1;
	snprintf(names[nnames], sizeof(names[0]), "%s", name);
	return nnames++;
}

static int any_mark(const struct mmt_cmp_op *op)
{
	int m;

	for (m = 0; m < MMT_CMP__METRICS; m++)
		if (op->row[m].mark == MMT_CMP_REGRESSION || op->row[m].mark == MMT_CMP_IMPROVED)
			return 1;
	return 0;
}

static void add_need(struct tally *t, int n)
{
	int *p;

	if (!n)
		return;
	p = realloc(t->need, (size_t)(t->nneed + 1) * sizeof(*p));
	if (!p)
		return;
	t->need = p;
	t->need[t->nneed++] = n < 0 ? MMT_CMP_MAX_RUNS + 1 : n;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The median of what compare said was needed, as text: "8", ">1000", "-". */
static const char *need_text(struct tally *t, char *buf, size_t len)
{
	int m;

	if (!t->nneed)
		return "-";
	qsort(t->need, (size_t)t->nneed, sizeof(*t->need), cmp_int);
	m = t->need[t->nneed / 2];
	if (m > MMT_CMP_MAX_RUNS)
		snprintf(buf, len, ">%d", MMT_CMP_MAX_RUNS);
	else
		snprintf(buf, len, "%d", m);
	return buf;
}

static void count_aa(const struct mmt_compare *c)
{
	int w, i, k, m, hit[MMT_CMP__METRICS] = {0};

	for (w = 0; w < c->nwl; w++)
		for (i = 0; i < c->wl[w].nops; i++) {
			const struct mmt_cmp_op *op = &c->wl[w].ops[i];
			const struct mmt_cmp_row *r = &op->row[MMT_CMP_P50];

			if ((k = op_slot(op->name)) < 0)
				continue;
			tally[k].aa_p50 +=
				r->mark == MMT_CMP_REGRESSION || r->mark == MMT_CMP_IMPROVED;
			tally[k].aa_any += any_mark(op);
			if (!isnan(r->cv_pct))
				tally[k].cv_sum += r->cv_pct;
			tally[k].floor_sum += r->floor_pct;
			add_need(&tally[k], r->runs_needed);
			for (m = 0; m < MMT_CMP__METRICS; m++)
				hit[m] |= op->row[m].mark == MMT_CMP_REGRESSION ||
					  op->row[m].mark == MMT_CMP_IMPROVED;
		}
	for (m = 0; m < MMT_CMP__METRICS; m++)
		aa_metric[m] += hit[m];
	ntested_sum += c->ntested;
}

static void count_shift(const struct mmt_compare *c)
{
	int w, i, k;

	for (w = 0; w < c->nwl; w++)
		for (i = 0; i < c->wl[w].nops; i++) {
			const struct mmt_cmp_op *op = &c->wl[w].ops[i];

			if ((k = op_slot(op->name)) < 0)
				continue;
			tally[k].testable += op->row[MMT_CMP_P50].mark != MMT_CMP_UNTESTED;
			tally[k].detected += op->row[MMT_CMP_P50].mark == MMT_CMP_REGRESSION;
			tally[k].p90_detected += op->row[MMT_CMP_P90].mark == MMT_CMP_REGRESSION;
			tally[k].wrong_sign += op->row[MMT_CMP_P50].mark == MMT_CMP_IMPROVED;
		}
}

/* Standard normal quantile by bisection on erfc: only a handful are needed. */
static double z_quantile(double p)
{
	double lo = -10, hi = 10, mid;
	int i;

	for (i = 0; i < 200; i++) {
		mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / sqrt(2.0)) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* One standard normal draw (Box-Muller). */
static double gauss(struct mmt_rng *r)
{
	double u = mmt_rng_unit(r), v = mmt_rng_unit(r);

	return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

/* P(|T| > t(1 - a/2, df)) for T noncentral t(df, ncp), by 20000 draws. */
static double t_power(double ncp, int df, double a)
{
	double crit = mmt_t_quantile(1 - a / 2, df), chi, t;
	struct mmt_rng r;
	int i, k, hit = 0;

	mmt_rng_seed(&r, 7);
	for (i = 0; i < 20000; i++) {
		for (chi = 0, k = 0; k < df; k++)
			chi += pow(gauss(&r), 2);
		t = (ncp + gauss(&r)) / sqrt(chi / df);
		hit += fabs(t) > crit;
	}
	return hit / 20000.0;
}

/* The log-SD of op name's per-job p50 over the pool; NAN under two jobs. */
static double pool_log_sd(const struct mmt_job_result *pool, int npool, const char *name)
{
	double *v = malloc((size_t)npool * sizeof(*v)), sd;
	const struct mmt_op_result *op;
	int j, i, n = 0;

	for (j = 0; v && j < npool; j++)
		for (i = 0; i < pool[j].nops; i++) {
			op = &pool[j].ops[i];
			if (!strcmp(op->name, name) && op->h.count)
				v[n++] = log((double)mmt_hist_percentile(&op->h, 50));
		}
	sd = n > 1 ? mmt_stddev(v, (size_t)n) : NAN;
	free(v);
	return sd;
}

/*
 * Each op's log-SD of per-job p50 over the whole pool, and the power of a
 * one-sided z test at alpha that knows it: Phi(ln(1 + shift) / se - z(1 - alpha))
 * with se = sd sqrt(2 / per), the most any test on per jobs a side can reach;
 * and the t test's power at alpha / ntested (see the top).
 */
static void bounds(const struct mmt_job_result *pool, int npool, int per, double shift,
		   double alpha, double ntested)
{
	double se, ncp;
	int k;

	for (k = 0; k < nnames; k++) {
		tally[k].pool_sd = pool_log_sd(pool, npool, names[k]);
		se = tally[k].pool_sd * sqrt(2.0 / per);
		ncp = log(1 + shift) / se;
		if (!(se > 0)) {
			tally[k].bound = tally[k].t_bound = se == 0 ? 1 : NAN;
			continue;
		}
		tally[k].bound = 0.5 * erfc(-(ncp - z_quantile(1 - alpha)) / sqrt(2.0));
		tally[k].t_bound = t_power(ncp, 2 * per - 2, alpha / (ntested > 1 ? ntested : 1));
	}
}

/* Partial Fisher-Yates: the first 2 * per of idx become a random draw. */
static void draw(struct mmt_rng *r, int *idx, int n, int per)
{
	int i, k, t;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 0; i < 2 * per; i++) {
		k = i + (int)mmt_rng_below(r, (uint64_t)(n - i));
		t = idx[i];
		idx[i] = idx[k];
		idx[k] = t;
	}
}

static void print_table(const char *workload, int trials, int aa_trials_marked, int njobs, int per,
			double shift)
{
	int i, nposs = 0, nmet = 0, nmet_all = 0, ntestable = 0;
	char need[16];

	printf("%s: pool %d jobs; %d trials of %d vs %d jobs; shift %+.0f%% on every candidate "
	       "latency; %.0f rows tested a comparison\n\n",
	       workload, njobs, trials, per, per, shift * 100, ntested_sum / trials);
	printf("%-18s %8s %8s %8s %9s %9s %9s %9s %9s %9s %9s %7s\n", "op", "pool CV", "p50 CV",
	       "floor", "testable", "best any", "t bound", "p50 det.", "p90 det.", "A/A p50",
	       "A/A any", "needed");
	for (i = 0; i < nnames; i++) {
		struct tally *t = &tally[i];
		/* An op too rare to test (a few samples a job) counts in neither. */
		int possible = t->testable && t->bound >= 0.95,
		    met = t->testable && 100.0 * t->detected >= 95.0 * trials;

		printf("%-18s %7.1f%% %7.1f%% %7.1f%% %8.0f%% %8.1f%% %8.1f%% %8.1f%% %8.1f%% "
		       "%8.1f%% %8.1f%% %7s\n",
		       names[i], 100 * (exp(t->pool_sd) - 1), t->cv_sum / trials,
		       t->floor_sum / trials, 100.0 * t->testable / trials, 100 * t->bound,
		       100 * t->t_bound, 100.0 * t->detected / trials,
		       100.0 * t->p90_detected / trials, 100.0 * t->aa_p50 / trials,
		       100.0 * t->aa_any / trials, need_text(t, need, sizeof(need)));
		nposs += possible;
		nmet += possible && met;
		nmet_all += met;
	}
	for (i = 0; i < nnames; i++)
		ntestable += tally[i].testable > 0;
	printf("\np50 shift detected in >= 95%% of trials: %d of %d testable ops; of the %d ops "
	       "where a test knowing the true spread could reach 95%%, %d\n",
	       nmet_all, ntestable, nposs, nmet);
	printf("\nA/A trials with a metric marked in some op:");
	for (i = 0; i < MMT_CMP__METRICS; i++)
		printf("  %s %.1f%%", mmt_cmp_metric_name(i), 100.0 * aa_metric[i] / trials);
	printf("\nA/A trials with anything marked (any op, any metric, failures): %d of %d = "
	       "%.1f%%\n",
	       aa_trials_marked, trials, 100.0 * aa_trials_marked / trials);
}

int main(int argc, char **argv)
{
	int trials = argc > 3 ? atoi(argv[3]) : 200, per = argc > 5 ? atoi(argv[5]) : 5;
	double shift = (argc > 4 ? atof(argv[4]) : 10) / 100;
	struct mmt_job_result *pool, b[64], c[64];
	int npool, *idx, t, i, aa_marked = 0;
	struct mmt_cmp_opts o;
	struct mmt_compare *cmp;
	struct mmt_rng r;
	char err[512];

	if (argc < 3 || load_pool(argv[1], argv[2], &pool, &npool)) {
		fprintf(stderr, "usage: compare_power DB WORKLOAD [TRIALS] [SHIFT_PCT] [PER_SIDE]"
				" (DB with passed jobs of WORKLOAD)\n");
		return 2;
	}
	if (per < 2 || per > 64 || 2 * per > npool || trials < 1) {
		fprintf(stderr, "compare_power: %d jobs in the pool; need 2 x %d\n", npool, per);
		return 2;
	}
	mmt_cmp_opts_init(&o);
	mmt_rng_seed(&r, 2026);
	idx = malloc((size_t)npool * sizeof(*idx));
	for (t = 0; t < trials; t++) {
		draw(&r, idx, npool, per);
		for (i = 0; i < per; i++) {
			b[i] = pool[idx[i]];
			c[i] = pool[idx[per + i]];
		}
		o.seed = (uint64_t)t + 1;
		if (mmt_compare_jobs(b, per, c, per, &o, &cmp, err, sizeof(err)))
			return fprintf(stderr, "compare_power: %s\n", err), 1;
		count_aa(cmp);
		aa_marked += cmp->regressions + cmp->improvements > 0;
		mmt_compare_free(cmp);
		for (i = 0; i < per; i++)
			shifted(&pool[idx[per + i]], shift, &c[i]);
		if (mmt_compare_jobs(b, per, c, per, &o, &cmp, err, sizeof(err)))
			return fprintf(stderr, "compare_power: %s\n", err), 1;
		count_shift(cmp);
		mmt_compare_free(cmp);
		for (i = 0; i < per; i++)
			free(c[i].ops);
	}
	bounds(pool, npool, per, shift, o.alpha, ntested_sum / trials);
	print_table(argv[2], trials, aa_marked, npool, per, shift);
	free(idx);
	for (i = 0; i < nnames; i++)
		free(tally[i].need);
	mmt_job_results_free(pool, npool);
	return 0;
}

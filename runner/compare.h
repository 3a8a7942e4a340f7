/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Regression reports between two sets of runs (`mmtorture compare`).
 *
 * Each side's jobs are pooled as repetitions and matched by workload and label.
 * Per workload and op:
 *  - throughput: per-interval rates (ops in an interval / its length) of every
 *    job; shown as their mean, tested with Mann-Whitney U (stats.h);
 *  - latency p50, p90, p99, p99.9 and max of the merged histograms; the
 *    percentiles tested with a bootstrap over jobs (each side's jobs resampled
 *    with replacement, their histograms merged, the percentile's relative change
 *    taken), needing at least two jobs a side and ten samples beyond the
 *    percentile on each side; max, one op of one job (a single stall on a busy
 *    machine), is shown and not tested;
 *  - a noise floor: the change that run-to-run spread alone reaches by chance
 *    in any of the ntested metrics the report tests (Bonferroni),
 *    t(1 - alpha / (2 ntested), df) * CV * sqrt(1/nb + 1/nc) with CV the pooled
 *    coefficient of variation of the nb and nc per-job values, and never below
 *    min_floor_pct.
 * A change is marked only when it is significant (p < alpha, or the
 * (1 - alpha) interval excludes 0), the jobs differ consistently (Mann-Whitney
 * on the per-job values, p < alpha: at 0.01 that takes five jobs a side, all of
 * one side beyond all of the other; the bootstrap alone trusts a handful of jobs
 * too much) and the change is larger than the floor; its direction
 * decides regression or improvement (more ops/s is better, less latency is
 * better). A failure kind seen in some candidate job and in no baseline job,
 * and a workload that passed on every baseline job and fails on the candidate,
 * are always regressions.
 *
 * Core module: returns -errno, prints nothing but to the FILE it is handed.
 * Renderers take a built struct mmt_compare: text and JSON here; others (HTML)
 * read the same struct or its JSON.
 */
#ifndef MMT_COMPARE_H
#define MMT_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "store.h"

struct json_object;

enum mmt_cmp_metric {
	MMT_CMP_OPS_S, /* mean ops per second over the intervals; higher is better */
	MMT_CMP_P50, /* latency percentiles in ns; lower is better */
	MMT_CMP_P90,
	MMT_CMP_P99,
	MMT_CMP_P999,
	MMT_CMP_MAX,
	MMT_CMP__METRICS
};

enum mmt_cmp_mark {
	MMT_CMP_SAME, /* "~": no change both significant and above the floor */
	MMT_CMP_REGRESSION, /* "REGRESSION" */
	MMT_CMP_IMPROVED, /* "improved" */
	MMT_CMP_UNTESTED, /* "-": too little data to test; why says what */
};

/* "ops/s", "p50", "p90", "p99", "p99.9", "max". */
const char *mmt_cmp_metric_name(int metric);
/* "~", "REGRESSION", "improved", "-". */
const char *mmt_cmp_mark_name(int mark);

#define MMT_CMP_MAX_RUNS 1000

struct mmt_cmp_row {
	int metric;
	double base, cand; /* pooled value per side: ops/s, or ns */
	double change_pct; /* (cand - base) / base * 100; NAN when base is 0 */
	int nb_jobs, nc_jobs; /* jobs with data for this op */
	double *base_jobs, *cand_jobs; /* the per-job values */
	int nb_samples, nc_samples; /* intervals (throughput) or ops (latency) */
	double u, z, p; /* Mann-Whitney (throughput); NAN otherwise */
	int exact; /* p from U's exact distribution */
	double ci_lo, ci_hi; /* bootstrap interval of change_pct (latency); NAN otherwise */
	double job_p; /* Mann-Whitney on the per-job values: do the jobs differ consistently? */
	double cv_pct; /* pooled run-to-run CV of the per-job values; NAN under two jobs a side */
	double floor_pct;
	/*
	 * About how many jobs a side would mark a change of opts.target_pct in 95%
	 * of comparisons, given cv_pct and the rows tested; 0 without a CV, -1 over
	 * MMT_CMP_MAX_RUNS or when the target is under the minimum floor.
	 */
	int runs_needed;
	int mark;
	const char *why; /* for MMT_CMP_UNTESTED (a static string), else NULL */
};

struct mmt_cmp_op {
	char name[32];
	int in_base, in_cand; /* jobs that timed it, per side */
	struct mmt_cmp_row row[MMT_CMP__METRICS];
};

struct mmt_cmp_status {
	int jobs, pass, fail, skip, error;
	int kind_jobs[MMT_FK__COUNT]; /* jobs with at least one failure of each kind */
};

struct mmt_cmp_workload {
	char workload[64], label[64];
	struct mmt_cmp_status base, cand;
	int status_mark; /* REGRESSION: passed everywhere on baseline, fails on candidate */
	int kind_mark[MMT_FK__COUNT]; /* REGRESSION: a kind new on candidate; improved: gone */
	int nops;
	struct mmt_cmp_op *ops;
	int nnotes;
	char **notes; /* "only in the baseline", "parameters differ: ...", ... */
	int regressions, improvements;
};

struct mmt_cmp_run {
	int64_t id;
	char kernel[128], arch[32], tag[64], host[128];
	uint64_t started_ns;
	int guest;
};

struct mmt_cmp_side {
	char selector[256]; /* as given; "" when built from jobs */
	int nruns;
	struct mmt_cmp_run *runs;
	int njobs;
};

struct mmt_cmp_opts {
	double alpha; /* 0.01: p < alpha, or a (1 - alpha) interval excluding 0 */
	int iters; /* bootstrap replicates, 2000 */
	uint64_t seed; /* bootstrap PRNG seed: the same seed, the same intervals */
	double min_floor_pct; /* 5 */
	double target_pct; /* 10: the change runs_needed is worked out for */
	const char *workload; /* fnmatch glob on "workload" or "workload:label"; NULL: all */
};

struct mmt_compare {
	struct mmt_cmp_opts opts;
	char workload_glob[128];
	struct mmt_cmp_side base, cand;
	int nwl;
	struct mmt_cmp_workload *wl;
	int ntested; /* metric rows tested (not "-"): the floor's Bonferroni factor */
	int regressions, improvements;
};

void mmt_cmp_opts_init(struct mmt_cmp_opts *o);
/*
 * Jobs a side for a change of o->target_pct to clear the noise floor in 95% of
 * comparisons, when the per-job values spread by cv_pct and ntested rows are
 * tested: a row's runs_needed (0, -1 and the bound as there).
 */
int mmt_cmp_runs_needed(const struct mmt_cmp_opts *o, int ntested, double cv_pct);

/*
 * Compare two sets of jobs in memory (each set any number of workloads; the
 * arrays are not kept). -EINVAL for bad options, -ENOENT when opts->workload
 * matches no job (err lists the workloads there), -ENOMEM.
 */
int mmt_compare_jobs(const struct mmt_job_result *base, int nbase,
		     const struct mmt_job_result *cand, int ncand, const struct mmt_cmp_opts *o,
		     struct mmt_compare **out, char *err, size_t errlen);
/* The same for stored runs; the runs are recorded in base/cand. -errno, err set. */
int mmt_compare_runs(struct mmt_store *s, const int64_t *base, int nbase, const int64_t *cand,
		     int ncand, const struct mmt_cmp_opts *o, struct mmt_compare **out, char *err,
		     size_t errlen);
/* Record the selectors the sides came from (for the reports). */
void mmt_compare_set_selectors(struct mmt_compare *c, const char *base, const char *cand);
void mmt_compare_free(struct mmt_compare *c);

/* The table, in the manner of mmtests' compare-kernels. -EIO if out fails. */
int mmt_compare_text(const struct mmt_compare *c, FILE *out);
/* Everything as JSON (a new reference, put by the caller); NULL without memory. */
struct json_object *mmt_compare_to_json(const struct mmt_compare *c);
/*
 * The tables in the shape html.h's comparison section takes (a table per
 * workload, a row per status, failure kind and op metric, marked regression,
 * improvement or unchanged), for mmt_html_report(). NULL without memory.
 */
struct json_object *mmt_compare_to_html(const struct mmt_compare *c);
/* mmt_compare_to_json(), pretty-printed to out. */
int mmt_compare_json(const struct mmt_compare *c, FILE *out);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data behind `mmtorture plot` and the HTML report: selected runs loaded
 * from the store and grouped into series, and the gnuplot data files drawn
 * from them. A "workload" here is a job's title (workload, or workload:label
 * for a labelled profile section), so that differently configured jobs of
 * one workload are never merged.
 *
 * Data files are plain gnuplot text: '#' comments, strings in double quotes,
 * and where there is one block per series, blocks separated by two blank lines
 * (gnuplot's `index`), each starting with the series name (`columnheader(1)`).
 */
#ifndef MMT_PLOTDATA_H
#define MMT_PLOTDATA_H

#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "select.h"
#include "store.h"

struct mmt_pd_run {
	int64_t id;
	int group; /* index into mmt_pd.groups */
	char status[16]; /* complete, incomplete, interrupted */
	int has_exit;
	int exit_code;
	uint64_t finished_ns;
	struct mmt_run_info ri;
	struct mmt_job_result *jobs;
	int njobs;
};

struct mmt_pd {
	int nruns;
	struct mmt_pd_run *runs; /* in selector order, then by id; a run may be in several groups */
	int ngroups;
	char **groups; /* series names, in the order they were first met */
	int nworkloads;
	char **workloads; /* job titles, in the order they were first met */
};

/*
 * Load the runs each selector selects (every run when nsels is 0), each run
 * into the group its fields under `by` name (select.h). only: job titles or
 * workload names to keep (nonly 0: all). -ENOENT with err naming a selector
 * that selects no run, or a workload no selected run has (and those they
 * have); -errno otherwise.
 */
int mmt_pd_load(struct mmt_store *s, struct mmt_sel *const *sels, int nsels, unsigned by,
		const char *const *only, int nonly, struct mmt_pd **pd, char *err, size_t errlen);
void mmt_pd_free(struct mmt_pd *pd);

/* "workload" or "workload:label". */
const char *mmt_pd_job_title(const struct mmt_job_result *j, char *buf, size_t len);
/* The ops workload wl recorded in any selected run, first-met order; caller frees the array. */
int mmt_pd_ops(const struct mmt_pd *pd, int wl, const char ***names, int *n);

/*
 * The data files. Each returns the number of series (or rows, or cells)
 * written, 0 when there was nothing to draw, or -errno.
 *
 * spectrum: per group, op's histograms merged over the group's jobs of wl; a
 * block per group of rows "x p latency_ns" at x = 1/(1-p) = 10^(k/20) up to
 * the sample count, then the max at x = count.
 */
int mmt_pd_write_spectrum(const struct mmt_pd *pd, int wl, const char *op, FILE *out);
/*
 * throughput: per group, the per-interval ops/s of wl's jobs (every op of the
 * workload summed; a companion's "W.op" left out) as samples: a row
 * "i \"group\" mean ci_lo ci_hi n median", the interval being the mean's
 * 95% Student t confidence interval.
 */
int mmt_pd_write_throughput(const struct mmt_pd *pd, int wl, FILE *out);
/*
 * matrix: a cell per workload and group, "x y 0xRRGGBB \"label\" \"workload\"
 * \"group\"": FAIL if any job failed, else error, else pass, else skip;
 * "-" where the group ran no such job. The label counts the jobs when more
 * than one: "FAIL 1/3".
 */
int mmt_pd_write_matrix(const struct mmt_pd *pd, FILE *out);
/* timeline: a block per job of wl, rows "t_s ops_per_s" at each interval's end. */
int mmt_pd_write_timeline(const struct mmt_pd *pd, int wl, FILE *out);

/* Mean and the half width of its 95% confidence interval (Student t); half = 0 for n < 2. */
void mmt_pd_mean_ci(const double *x, int n, double *mean, double *half);

#endif

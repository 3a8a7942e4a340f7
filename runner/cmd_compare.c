// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture compare`: select the runs of each side, build the comparison
 * (compare.h) and hand it to the renderers. The store is opened read-only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cmds.h"
#include "compare.h"
#include "html.h"
#include "plot.h"
#include "plotdata.h"
#include "select.h"
#include "store.h"

struct compare_args {
	const char *db;
	const char *base, *cand; /* selectors */
	const char *json; /* JSON to this file ("-": stdout) */
	const char *out; /* text to this file instead of stdout */
	const char *html; /* the HTML report (tables, plots, runs) into this directory */
	struct mmt_cmp_opts opts;
};

static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: mmtorture compare --baseline SEL --candidate SEL [--workload W] [--db "
		"PATH]\n"
		"                         [--json FILE] [-o FILE] [--seed N] [--floor PCT]\n"
		"                         [--alpha P] [--target PCT] [--html DIR]\n"
		"\n"
		"Compare two sets of stored runs per workload and op: throughput (per-interval\n"
		"ops/s, Mann-Whitney U) and latency p50/p90/p99/p99.9/max (merged histograms,\n"
		"bootstrap interval over the jobs). The runs of a side are pooled, their jobs\n"
		"matched by workload and label. A change is marked REGRESSION or improved only\n"
		"when it is significant, the jobs differ consistently (at p < 0.01 that takes\n"
		"five jobs a side) and it is above the noise floor: the change the run-to-run\n"
		"spread of the jobs reaches by chance in any metric tested (at least PCT);\n"
		"a failure kind new on the candidate, or a workload that passed on the baseline\n"
		"and fails on the candidate, is always a regression. The store is only read.\n"
		"Per workload, a line says about how many jobs a side would mark a p50 change\n"
		"of --target PCT in 95%% of comparisons, given the spread measured ('never'\n"
		"when the target is under the floor's minimum or needs over 1000).\n"
		"\n"
		"SEL is KEY=VALUE terms joined by ',', all of which must hold; a piece without\n"
		"'=' is one more value of the term before it (any may match); KEY!=VALUE negates:\n"
		"  run=ID[-ID]|latest  last=N  uuid=PREFIX  guest=0|1  status=complete|...\n"
		"  kernel= arch= tag= host= profile=         globs on the run's record\n"
		"  since=DATE until=DATE                     start, YYYY-MM-DD[THH:MM[:SS]] UTC\n"
		"e.g. kernel=6.1.*,arch=x86_64   run=3,5-7   tag=nightly,since=2026-11-01\n"
		"\n"
		"  --baseline SEL    the runs to compare against\n"
		"  --candidate SEL   the runs under test\n"
		"  --workload W      only workloads matching W (glob on name or name:label)\n"
		"  --db PATH         results store to read\n"
		"  --json FILE       everything as JSON to FILE ('-': stdout, instead of the "
		"table)\n"
		"  -o FILE           the table to FILE instead of stdout\n"
		"  --html DIR        also a self-contained HTML report in DIR: the tables, the\n"
		"                    plots of both sides, each run's record and failures\n"
		"  --seed N          bootstrap seed (default 1; the same seed gives the same "
		"result)\n"
		"  --floor PCT       minimum noise floor in percent (default 5)\n"
		"  --alpha P         significance level (default 0.01: p < 0.01, 99%% intervals)\n"
		"  --target PCT      the change the jobs-a-side line is worked out for (default "
		"10)\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 no regression, 1 a regression marked, 2 bad input or store.\n");
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "mmtorture compare: bad %s '%s'; valid: %g..%g\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_seed(const char *s, uint64_t *seed)
{
	char *end;

	errno = 0;
	*seed = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "mmtorture compare: bad --seed '%s'; valid: 0..2^64-1\n", s);
		return -1;
	}
	return 0;
}

static int compare_opt(int c, struct compare_args *a)
{
	switch (c) {
	case 'b':
		a->base = optarg;
		return 0;
	case 'c':
		a->cand = optarg;
		return 0;
	case 'w':
		a->opts.workload = optarg;
		return 0;
	case 'd':
		a->db = optarg;
		return 0;
	case 'j':
		a->json = optarg;
		return 0;
	case 'o':
		a->out = optarg;
		return 0;
	case 'H':
		a->html = optarg;
		return 0;
	case 's':
		return parse_seed(optarg, &a->opts.seed);
	case 'f':
		return parse_double("--floor", optarg, 0, 1000, &a->opts.min_floor_pct);
	case 'a':
		return parse_double("--alpha", optarg, 1e-9, 0.5, &a->opts.alpha);
	case 't':
		return parse_double("--target", optarg, 0.01, 1000, &a->opts.target_pct);
	}
	compare_usage(stderr);
	return -1;
}

/* 0 to go on, 1 when help was printed, -1 on a usage error (already said). */
static int compare_parse(int argc, char **argv, struct compare_args *a)
{
	static const struct option longopts[] = {
		{"baseline", required_argument, NULL, 'b'},
		{"candidate", required_argument, NULL, 'c'},
		{"workload", required_argument, NULL, 'w'},
		{"db", required_argument, NULL, 'd'},
		{"json", required_argument, NULL, 'j'},
		{"output", required_argument, NULL, 'o'},
		{"html", required_argument, NULL, 'H'},
		{"seed", required_argument, NULL, 's'},
		{"floor", required_argument, NULL, 'f'},
		{"alpha", required_argument, NULL, 'a'},
		{"target", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (c == 'h') {
			compare_usage(stdout);
			return 1;
		}
		if (compare_opt(c, a))
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "mmtorture compare: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!a->base || !a->cand) {
		fprintf(stderr,
			"mmtorture compare: give both --baseline SEL and --candidate SEL;"
			" SEL keys: %s\n",
			mmt_sel_keys);
		return -1;
	}
	return 0;
}

/* "; kernels '6.1.0-56-amd64' (3), '6.12...' (2)": what a column holds, to stderr. */
static void say_distinct(struct mmt_store *s, const char *col, const char *what)
{
	char sql[160];
	sqlite3_stmt *st;
	int i = 0;

	snprintf(sql, sizeof(sql), "SELECT %s, count(*) FROM runs GROUP BY 1 ORDER BY min(id)",
		 col);
	if (sqlite3_prepare_v2(mmt_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return;
	fprintf(stderr, "; %s", what);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(stderr, "%s'%s' (%d)", i++ ? ", " : " ", sqlite3_column_text(st, 0),
			sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
}

/* A selector that picks nothing: say what the store does hold. */
static void say_store(struct mmt_store *s, const char *db, const char *opt, const char *text)
{
	sqlite3_stmt *st;
	int n = 0;

	fprintf(stderr, "mmtorture compare: %s: %s '%s' selects no run", db, opt, text);
	if (sqlite3_prepare_v2(mmt_store_db(s), "SELECT count(*), min(id), max(id) FROM runs", -1,
			       &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && (n = sqlite3_column_int(st, 0)))
			fprintf(stderr, "; the store has %d runs, ids %lld-%lld", n,
				(long long)sqlite3_column_int64(st, 1),
				(long long)sqlite3_column_int64(st, 2));
		sqlite3_finalize(st);
	}
	if (n) {
		say_distinct(s, "kernel_release", "kernels");
		say_distinct(s, "arch", "arches");
		say_distinct(s, "tag", "tags");
	} else {
		fprintf(stderr, "; the store has no runs");
	}
	fputc('\n', stderr);
}

/* The run ids one selector picks; 0 or -1 (said). */
static int select_side(struct mmt_store *s, const char *db, const char *opt, const char *text,
		       int64_t **ids, int *n)
{
	struct mmt_sel *sel;
	char err[1024];
	int rc;

	rc = mmt_sel_parse(text, &sel, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "mmtorture compare: %s: %s\n", opt,
			rc == -ENOMEM ? strerror(ENOMEM) : err);
		return -1;
	}
	rc = mmt_sel_runs(s, sel, ids, n);
	mmt_sel_free(sel);
	if (rc)
		fprintf(stderr, "mmtorture compare: %s: %s '%s': %s (%s)\n", db, opt, text,
			strerror(-rc), mmt_store_errmsg(s));
	else if (!*n)
		say_store(s, db, opt, text);
	return rc || !*n ? -1 : 0;
}

/* A run on both sides would compare it with itself. */
static int check_disjoint(const int64_t *b, int nb, const int64_t *c, int nc)
{
	int i, k;

	for (i = 0; i < nb; i++)
		for (k = 0; k < nc; k++)
			if (b[i] == c[k]) {
				fprintf(stderr,
					"mmtorture compare: run %lld is selected by both "
					"--baseline "
					"and --candidate; the sides must not share runs\n",
					(long long)b[i]);
				return -1;
			}
	return 0;
}

static int write_to(const char *path, const struct mmt_compare *c,
		    int (*render)(const struct mmt_compare *, FILE *))
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int rc;

	if (!f) {
		fprintf(stderr, "mmtorture compare: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = render(c, f);
	if ((f == stdout ? fflush(f) : fclose(f)) && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "mmtorture compare: %s: %s\n", path, strerror(-rc));
	return rc ? -1 : 0;
}

/* Every renderer asked for; the table unless JSON took stdout. */
static int compare_render(const struct mmt_compare *c, const struct compare_args *a)
{
	int rc = 0;

	if (a->json)
		rc |= write_to(a->json, c, mmt_compare_json);
	if (a->out || !a->json || strcmp(a->json, "-"))
		rc |= write_to(a->out ? a->out : "-", c, mmt_compare_text);
	return rc;
}

static int compare_build(struct mmt_store *s, const struct compare_args *a, struct mmt_compare **c)
{
	int64_t *bids = NULL, *cids = NULL;
	int nb = 0, nc = 0, rc;
	char err[1024];

	rc = select_side(s, a->db, "--baseline", a->base, &bids, &nb);
	if (!rc)
		rc = select_side(s, a->db, "--candidate", a->cand, &cids, &nc);
	if (!rc)
		rc = check_disjoint(bids, nb, cids, nc);
	if (!rc) {
		rc = mmt_compare_runs(s, bids, nb, cids, nc, &a->opts, c, err, sizeof(err));
		if (rc)
			fprintf(stderr, "mmtorture compare: %s: %s\n", a->db, err);
		else
			mmt_compare_set_selectors(*c, a->base, a->cand);
	}
	free(bids);
	free(cids);
	return rc ? -1 : 0;
}

/* The HTML report: both sides' runs as two series, and the comparison's tables. */
static int compare_html(struct mmt_store *s, const struct compare_args *a,
			const struct mmt_compare *c)
{
	struct mmt_plot_opts o = {.outdir = a->html, .formats = MMT_FMT_SVG};
	struct mmt_sel *sels[2] = {NULL, NULL};
	struct json_object *cmp = NULL;
	struct mmt_pd *pd = NULL;
	char err[1024], command[512];
	int rc;

	snprintf(command, sizeof(command), "mmtorture compare --baseline %s --candidate %s",
		 a->base, a->cand);
	rc = mmt_sel_parse(a->base, &sels[0], err, sizeof(err));
	if (!rc)
		rc = mmt_sel_parse(a->cand, &sels[1], err, sizeof(err));
	if (!rc)
		rc = mmt_pd_load(s, sels, 2, MMT_BY_SEL, NULL, 0, &pd, err, sizeof(err));
	cmp = rc ? NULL : mmt_compare_to_html(c);
	if (!rc && !cmp)
		rc = -ENOMEM, snprintf(err, sizeof(err), "out of memory");
	if (!rc)
		rc = mmt_html_report(pd, &o, cmp, command, err, sizeof(err));
	if (rc)
		fprintf(stderr, "mmtorture compare: --html %s: %s\n", a->html, err);
	else
		fprintf(stderr, "mmtorture compare: %s/index.html\n", a->html);
	json_object_put(cmp);
	mmt_pd_free(pd);
	mmt_sel_free(sels[0]);
	mmt_sel_free(sels[1]);
	return rc ? -1 : 0;
}

int mmt_cmd_compare(int argc, char **argv, const char *default_db)
{
	struct compare_args a = {.db = default_db};
	struct mmt_compare *c = NULL;
	struct mmt_store *s;
	char err[512];
	int rc;

	mmt_cmp_opts_init(&a.opts);
	rc = compare_parse(argc, argv, &a);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!a.db) {
		fprintf(stderr, "mmtorture compare: no results store: give one with --db PATH\n");
		return 2;
	}
	if (mmt_store_open_ro(&s, a.db, err, sizeof(err))) {
		fprintf(stderr, "mmtorture compare: %s\n", err);
		return 2;
	}
	rc = compare_build(s, &a, &c);
	if (!rc && a.html && compare_html(s, &a, c))
		rc = -1;
	mmt_store_close(s);
	if (rc) {
		mmt_compare_free(c);
		return 2;
	}
	rc = compare_render(c, &a) ? 2 : c->regressions ? 1 : 0;
	mmt_compare_free(c);
	return rc;
}

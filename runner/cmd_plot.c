// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture plot` and `mmtorture html`: gnuplot plots of the selected runs,
 * and the self-contained HTML report that carries them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "html.h"
#include "main.h"
#include "plot.h"
#include "select.h"

#define MAX_ONLY 64

struct plot_args {
	const char *cmd; /* "plot" or "html" */
	const char *db;
	const char *out;
	const char *formats;
	const char *by;
	char *only[MAX_ONLY];
	int nonly;
	char **sels;
	int nsels;
};

static void plot_usage(const char *cmd, FILE *f)
{
	int html = !strcmp(cmd, "html");

	fprintf(f,
		"usage: mmtorture %s [SEL...] --out DIR [--db PATH] [--workload W[,W...]]\n"
		"                      [--format svg,png] [--by FIELD[,FIELD...]]\n\n",
		cmd);
	if (html)
		fputs("A static report in DIR/index.html that opens offline: the series and their\n"
		      "runs, the failure matrix, throughput with confidence intervals, throughput\n"
		      "over time, latency spectra (the plots of `mmtorture plot`, inlined), and "
		      "each\n"
		      "run's reproducibility record, jobs and failures. The plot files stay in "
		      "DIR.\n",
		      f);
	else
		fputs("Plots of stored runs, drawn by gnuplot into DIR: matrix (pass/fail/skip "
		      "per\n"
		      "workload and series), throughput-W (ops/s per interval: mean and 95%\n"
		      "confidence interval per series), timeline-W (ops/s over time, a line per\n"
		      "job), spectrum-W-OP (latency against percentile, a line per series, the\n"
		      "series' histograms merged). Each comes with its .dat and .gp.\n",
		      f);
	fputs("\nSEL selects runs: KEY=VALUE terms joined by ',' (all must hold; a piece with\n"
	      "no '=' is another value of the term before it; KEY!=VALUE negates). Keys:\n"
	      "run (3, 5-7, latest), last (N latest), uuid (prefix), kernel, arch, tag,\n"
	      "host, profile (globs: 6.1* matches 6.12 too, 6.1.* does not), guest (0|1),\n"
	      "status (complete|incomplete|interrupted).\n"
	      "No SEL: every run. Series: one per SEL when there are several, else one per\n"
	      "kernel/arch (--by changes that).\n\n"
	      "  -o, --out DIR       where the files go (created)\n"
	      "      --db PATH       results store to read\n"
	      "  -w, --workload W    only these workloads (or job titles W:LABEL); repeatable\n"
	      "      --format LIST   svg, png or both (default: svg,png)\n"
	      "      --by FIELDS     series by sel, run, kernel, arch, tag, host, guest\n"
	      "  -h, --help          this help\n\n"
	      "examples:\n"
	      "  mmtorture plot --out results/plots             every run, by kernel/arch\n"
	      "  mmtorture plot tag=base tag=patched --out cmp/ two series\n"
	      "  mmtorture html kernel=6.1.*,arch=x86_64 kernel=6.12.*,arch=x86_64 --out report/\n",
	      f);
}

/* "a,b" -> two more names; argv itself stays as given, for the report's command line. */
static int add_only(struct plot_args *a, const char *list)
{
	size_t n;

	for (; *list; list += n + (list[n] == ',')) {
		n = strcspn(list, ",");
		if (!n)
			continue;
		if (a->nonly == MAX_ONLY) {
			fprintf(stderr, "mmtorture %s: more than %d workloads given\n", a->cmd,
				MAX_ONLY);
			return -1;
		}
		a->only[a->nonly] = strndup(list, n);
		if (!a->only[a->nonly++])
			return -1;
	}
	return 0;
}

/* 0 to go on, 1 when help was printed, -1 on a usage error (already said). */
static int plot_parse(int argc, char **argv, struct plot_args *a)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"out", required_argument, NULL, 'o'},
		{"workload", required_argument, NULL, 'w'},
		{"format", required_argument, NULL, 'f'},
		{"by", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:w:", longopts, NULL)) != -1) {
		if (c == 'd')
			a->db = optarg;
		else if (c == 'o')
			a->out = optarg;
		else if (c == 'w' && add_only(a, optarg))
			return -1;
		else if (c == 'f')
			a->formats = optarg;
		else if (c == 'b')
			a->by = optarg;
		else if (c == 'h')
			return plot_usage(a->cmd, stdout), 1;
		else if (c != 'w')
			return plot_usage(a->cmd, stderr), -1;
	}
	a->sels = argv + optind;
	a->nsels = argc - optind;
	if (!a->out) {
		fprintf(stderr, "mmtorture %s: no output directory: give one with --out DIR\n",
			a->cmd);
		return -1;
	}
	return 0;
}

static int open_store(const struct plot_args *a, struct mmt_store **s)
{
	char err[512];
	struct stat sb;

	/* Opening would create an empty store, and there is nothing to plot in one. */
	if (stat(a->db, &sb)) {
		fprintf(stderr, "mmtorture %s: %s: %s (no runs recorded there yet?)\n", a->cmd,
			a->db, strerror(errno));
		return -1;
	}
	if (mmt_store_open(s, a->db, err, sizeof(err))) {
		fprintf(stderr, "mmtorture %s: %s\n", a->cmd, err);
		return -1;
	}
	return 0;
}

static void free_sels(struct mmt_sel **sels, int n)
{
	int i;

	for (i = 0; sels && i < n; i++)
		mmt_sel_free(sels[i]);
	free(sels);
}

/* Selectors, formats and grouping, all checked before anything is read. */
static int plot_check(const struct plot_args *a, struct mmt_sel ***sels, unsigned *formats,
		      unsigned *by)
{
	char err[512];
	int i;

	*sels = calloc((size_t)a->nsels + 1, sizeof(**sels));
	if (!*sels)
		return -1;
	for (i = 0; i < a->nsels; i++)
		if (mmt_sel_parse(a->sels[i], &(*sels)[i], err, sizeof(err)))
			goto bad;
	if (mmt_plot_formats(a->formats ? a->formats : "svg,png", formats, err, sizeof(err)))
		goto bad;
	if (a->by && mmt_sel_parse_by(a->by, by, err, sizeof(err)))
		goto bad;
	if (!a->by)
		*by = a->nsels > 1 ? MMT_BY_SEL : MMT_BY_KERNEL | MMT_BY_ARCH;
	return 0;
bad:
	fprintf(stderr, "mmtorture %s: %s\n", a->cmd, err);
	return -1;
}

static void list_plots(const struct plot_args *a, const struct mmt_plot_item *items, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (items[i].made & MMT_FMT_SVG)
			printf("%s/%s.svg\n", a->out, items[i].base);
		if (items[i].made & MMT_FMT_PNG)
			printf("%s/%s.png\n", a->out, items[i].base);
	}
}

/* Plots (and for html the page) of the loaded runs: 0, or 1 with the error said. */
static int draw(const struct plot_args *a, const struct mmt_pd *pd, unsigned formats,
		const char *command)
{
	struct mmt_plot_opts o = {.outdir = a->out, .formats = formats};
	struct mmt_plot_item *items = NULL;
	char err[1024];
	int rc, n = 0;

	if (!strcmp(a->cmd, "html")) {
		rc = mmt_html_report(pd, &o, NULL, command, err, sizeof(err));
		if (!rc)
			printf("%s/index.html\n", a->out);
	} else {
		rc = mmt_plot_all(pd, &o, &items, &n, err, sizeof(err));
		if (!rc)
			list_plots(a, items, n);
		free(items);
	}
	if (rc)
		fprintf(stderr, "mmtorture %s: %s\n", a->cmd, err);
	return rc ? 1 : 0;
}

static int plot_run(const struct plot_args *a, const char *command)
{
	struct mmt_store *s = NULL;
	struct mmt_sel **sels = NULL;
	struct mmt_pd *pd = NULL;
	unsigned formats, by;
	char err[1024];
	int rc = 2;

	if (plot_check(a, &sels, &formats, &by) || open_store(a, &s))
		goto out;
	if (mmt_pd_load(s, sels, a->nsels, by, (const char *const *)a->only, a->nonly, &pd, err,
			sizeof(err))) {
		fprintf(stderr, "mmtorture %s: %s: %s\n", a->cmd, a->db, err);
		goto out;
	}
	rc = draw(a, pd, formats, command);
out:
	mmt_pd_free(pd);
	mmt_store_close(s);
	free_sels(sels, a->nsels);
	return rc;
}

int mmt_cmd_plot(int argc, char **argv, const char *default_db)
{
	struct plot_args a = {.cmd = argv[0], .db = default_db};
	/* As typed: getopt reorders argv. */
	char *command = mmt_join_argv(argc, argv);
	int rc, i;

	rc = plot_parse(argc, argv, &a);
	if (!rc)
		rc = plot_run(&a, command);
	else
		rc = rc > 0 ? 0 : 2;
	free(command);
	for (i = 0; i < a.nonly; i++)
		free(a.only[i]);
	return rc;
}

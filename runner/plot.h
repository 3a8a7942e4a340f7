/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `mmtorture plot`: for the loaded runs (plotdata.h), the plots to draw, their
 * data files, gnuplot scripts made from the templates in plots/, and gnuplot
 * itself, run as a child with a deadline and always reaped (proc.h).
 *
 * For each plot BASE the output directory gets BASE.dat (the data), BASE.gp
 * (the filled template, runnable again with `gnuplot BASE.gp` in that
 * directory) and BASE.svg and/or BASE.png.
 *
 * A template is a gnuplot script without `set terminal` or `set output`,
 * which mmtorture writes in front of it once per format. @NAME@ placeholders
 * are filled in; string values (marked so in mmt_plot_var) are escaped for a
 * single-quoted gnuplot string, so templates put them in '...'.
 */
#ifndef MMT_PLOT_H
#define MMT_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "plotdata.h"

enum mmt_plot_kind { MMT_PLOT_MATRIX, MMT_PLOT_THROUGHPUT, MMT_PLOT_TIMELINE, MMT_PLOT_SPECTRUM };

enum { MMT_FMT_SVG = 1, MMT_FMT_PNG = 2 };

struct mmt_plot_item {
	enum mmt_plot_kind kind;
	int wl; /* index into mmt_pd.workloads; -1 for the matrix */
	char op[32]; /* the spectrum's op */
	char base[192]; /* file name without extension: spectrum-thp_fork-fork */
	char title[256];
	int n; /* series, rows or cells in the data; 0: nothing to draw, no plot made */
	unsigned made; /* MMT_FMT_* files written */
};

struct mmt_plot_opts {
	const char *outdir;
	unsigned formats; /* MMT_FMT_* */
	const char *templates; /* directory; NULL: mmt_plot_find_templates() */
	const char *gnuplot; /* NULL: $MMTORTURE_GNUPLOT, else gnuplot from PATH */
	int64_t timeout_ms; /* per gnuplot run; 0: 60 s */
};

struct mmt_plot_var {
	const char *name; /* without the @s */
	const char *value;
	int string; /* escape for '...' */
};

/* "svg,png" -> MMT_FMT_*. -EINVAL with err listing the formats. */
int mmt_plot_formats(const char *text, unsigned *formats, char *err, size_t errlen);
/* $MMTORTURE_PLOTS, the installed plots/, the source tree's. -ENOENT. */
int mmt_plot_find_templates(char *dir, size_t len);
/* Matrix; each workload's throughput and timeline; each workload and op's spectrum. */
int mmt_plot_plan(const struct mmt_pd *pd, struct mmt_plot_item **items, int *n);
/* Fill tpl's placeholders; *out is malloc'ed. -EINVAL with err naming one left unfilled. */
int mmt_plot_fill(const char *tpl, const struct mmt_plot_var *vars, int nvars, char **out,
		  char *err, size_t errlen);
/* Write BASE.dat, setting it->n; then, when there is something to draw, BASE.gp and the plots. */
int mmt_plot_make(const struct mmt_pd *pd, struct mmt_plot_item *it, const struct mmt_plot_opts *o,
		  char *err, size_t errlen);
/* Create o->outdir, plan every plot and make each; *items (caller frees) as made. */
int mmt_plot_all(const struct mmt_pd *pd, const struct mmt_plot_opts *o,
		 struct mmt_plot_item **items, int *n, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The static HTML report (`mmtorture html`): one self-contained file that
 * opens offline from disk: inline CSS, every plot inlined as a data: URI
 * (SVG, else PNG), no script, no external resource. Sections: the series and
 * their runs, the comparison tables (when given), the failure matrix,
 * throughput, throughput over time, latency spectra, then each run's
 * reproducibility record, jobs and failures.
 *
 * The comparison enters through one function and one JSON shape, so that the
 * code that compares (or anything else) only has to produce this:
 *
 *   {
 *     "title": "kernel=6.1* vs kernel=6.12*",      optional
 *     "baseline": "kernel=6.1*",                    optional
 *     "candidate": "kernel=6.12*",                  optional
 *     "tables": [
 *       { "title": "thp_fork",                      optional
 *         "columns": ["op", "metric", "baseline", "candidate", "change", "p", "verdict"],
 *         "rows": [
 *           { "cells": ["fork", "p99", "12.0us", "14.1us", "+17.5%", 0.001, "regression"],
 *             "mark": "regression" }                optional: regression, improvement,
 *         ] }                                       unchanged, noise
 *     ],
 *     "notes": ["noise floor 2%", "A/A clean"]     optional
 *   }
 *
 * Cells are strings or numbers, shown as they are (HTML-escaped); a row's
 * mark colours it.
 */
#ifndef MMT_HTML_H
#define MMT_HTML_H

#include <stdio.h>

#include <json-c/json.h>

#include "plot.h"
#include "plotdata.h"

struct mmt_html_in {
	const struct mmt_pd *pd;
	const struct mmt_plot_item *items; /* as mmt_plot_make() left them */
	int nitems;
	const char *plotdir; /* where the plot files are */
	struct json_object *comparison; /* the shape above; NULL: no comparison section */
	const char *command; /* the command line that made the report, shown in it */
};

/* -errno, with err naming a plot file that could not be read. */
int mmt_html_write(const struct mmt_html_in *in, FILE *out, char *err, size_t errlen);
/*
 * All that `mmtorture html` writes: every plot (mmt_plot_all) in o->outdir and
 * o->outdir/index.html, with cmp as its comparison section (NULL: none). The way
 * in for another command: load the runs (mmt_pd_load), build cmp, call this.
 * -errno with err saying what failed.
 */
int mmt_html_report(const struct mmt_pd *pd, const struct mmt_plot_opts *o, struct json_object *cmp,
		    const char *command, char *err, size_t errlen);
/* The comparison section alone. -EINVAL when cmp is not of the shape above. */
int mmt_html_comparison(struct json_object *cmp, FILE *out);
/* s with & < > " ' escaped. */
void mmt_html_text(const char *s, FILE *out);

#endif

// SPDX-License-Identifier: GPL-2.0
/* Plots: data files, scripts from plots/ templates, gnuplot under a deadline (plot.h). */
#include "plot.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "main.h"
#include "mmt.h"
#include "proc.h"

#define GNUPLOT_TIMEOUT_MS 60000

static const char *const kind_names[] = {
	[MMT_PLOT_MATRIX] = "matrix",
	[MMT_PLOT_THROUGHPUT] = "throughput",
	[MMT_PLOT_TIMELINE] = "timeline",
	[MMT_PLOT_SPECTRUM] = "spectrum",
};

int mmt_plot_formats(const char *text, unsigned *formats, char *err, size_t errlen)
{
	const char *p = text;
	size_t n;

	*formats = 0;
	while (*p) {
		n = strcspn(p, ",");
		if (n == 3 && !strncmp(p, "svg", 3)) {
			*formats |= MMT_FMT_SVG;
		} else if (n == 3 && !strncmp(p, "png", 3)) {
			*formats |= MMT_FMT_PNG;
		} else {
			snprintf(err, errlen, "bad format '%.*s' in '%s'; valid: svg, png", (int)n,
				 p, text);
			return -EINVAL;
		}
		p += n + (p[n] == ',');
	}
	if (!*formats) {
		snprintf(err, errlen, "no format given; valid: svg, png");
		return -EINVAL;
	}
	return 0;
}

int mmt_plot_find_templates(char *dir, size_t len)
{
	const char *env = getenv("MMTORTURE_PLOTS");
	const char *const dirs[] = {MMT_DATADIR "/plots", MMT_SOURCE_DIR "/plots"};
	char probe[PATH_MAX];
	size_t i;

	if (env && *env) {
		snprintf(dir, len, "%s", env);
		return 0;
	}
	for (i = 0; i < MMT_ARRAY_SIZE(dirs); i++) {
		snprintf(probe, sizeof(probe), "%s/spectrum.gp", dirs[i]);
		if (!access(probe, R_OK)) {
			snprintf(dir, len, "%s", dirs[i]);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- planning ----------------------------------------------------------- */

/* A piece of a file name: letters, digits, '_', '.', '+', '-'; anything else becomes '_'. */
static void name_part(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = isalnum((unsigned char)src[i]) || strchr("_.+-", src[i]) ? src[i] : '_';
	dst[i] = '\0';
}

static struct mmt_plot_item *add_item(struct mmt_plot_item **items, int *n, enum mmt_plot_kind k,
				      int wl)
{
	struct mmt_plot_item *p = realloc(*items, sizeof(*p) * (size_t)(*n + 1));

	if (!p)
		return NULL;
	*items = p;
	p = &p[(*n)++];
	memset(p, 0, sizeof(*p));
	p->kind = k;
	p->wl = wl;
	return p;
}

static int plan_workload(const struct mmt_pd *pd, int wl, enum mmt_plot_kind k,
			 struct mmt_plot_item **items, int *n)
{
	static const char *const what[] = {
		[MMT_PLOT_THROUGHPUT] = "ops/s per interval, mean and 95% confidence interval",
		[MMT_PLOT_TIMELINE] = "ops/s over time, per job",
	};
	struct mmt_plot_item *it = add_item(items, n, k, wl);
	char part[128];

	if (!it)
		return -ENOMEM;
	name_part(part, sizeof(part), pd->workloads[wl]);
	snprintf(it->base, sizeof(it->base), "%s-%s", kind_names[k], part);
	snprintf(it->title, sizeof(it->title), "%s: %s", pd->workloads[wl], what[k]);
	return 0;
}

static int plan_spectra(const struct mmt_pd *pd, int wl, struct mmt_plot_item **items, int *n)
{
	char part[96], op[64];
	const char **ops;
	int nops, i, rc;

	rc = mmt_pd_ops(pd, wl, &ops, &nops);
	for (i = 0; !rc && i < nops; i++) {
		struct mmt_plot_item *it = add_item(items, n, MMT_PLOT_SPECTRUM, wl);

		if (!it) {
			rc = -ENOMEM;
			break;
		}
		snprintf(it->op, sizeof(it->op), "%s", ops[i]);
		name_part(part, sizeof(part), pd->workloads[wl]);
		name_part(op, sizeof(op), ops[i]);
		snprintf(it->base, sizeof(it->base), "spectrum-%s-%s", part, op);
		snprintf(it->title, sizeof(it->title), "%s %s: latency by percentile",
			 pd->workloads[wl], ops[i]);
	}
	free(ops);
	return rc;
}

int mmt_plot_plan(const struct mmt_pd *pd, struct mmt_plot_item **items, int *n)
{
	struct mmt_plot_item *it;
	int wl, rc = 0;

	*items = NULL;
	*n = 0;
	it = add_item(items, n, MMT_PLOT_MATRIX, -1);
	if (!it)
		return -ENOMEM;
	snprintf(it->base, sizeof(it->base), "matrix");
	snprintf(it->title, sizeof(it->title), "pass / fail / skip per workload and series");
	for (wl = 0; !rc && wl < pd->nworkloads; wl++)
		rc = plan_workload(pd, wl, MMT_PLOT_THROUGHPUT, items, n);
	for (wl = 0; !rc && wl < pd->nworkloads; wl++)
		rc = plan_workload(pd, wl, MMT_PLOT_TIMELINE, items, n);
	for (wl = 0; !rc && wl < pd->nworkloads; wl++)
		rc = plan_spectra(pd, wl, items, n);
	if (rc) {
		free(*items);
		*items = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- templates ---------------------------------------------------------- */

struct strbuf {
	char *p;
	size_t len, cap;
};

static int sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int sb_value(struct strbuf *b, const struct mmt_plot_var *v)
{
	const char *s;
	int rc = 0;

	if (!v->string)
		return sb_add(b, v->value, strlen(v->value));
	/* In a single-quoted gnuplot string only the quote is special: it is doubled. */
	for (s = v->value; *s && !rc; s++)
		rc = *s == '\'' ? sb_add(b, "''", 2) : sb_add(b, s, 1);
	return rc;
}

/* Length of an @NAME@ placeholder at s (NAME: A-Z, 0-9, _), 0 if none. */
static size_t placeholder(const char *s)
{
	size_t n = 1;

	while (isupper((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n > 1 && s[n] == '@' ? n + 1 : 0;
}

static const struct mmt_plot_var *var_find(const struct mmt_plot_var *vars, int nvars,
					   const char *name, size_t n)
{
	int i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == n && !strncmp(vars[i].name, name, n))
			return &vars[i];
	return NULL;
}

static int unknown_placeholder(const char *at, size_t n, const struct mmt_plot_var *vars, int nvars,
			       char *err, size_t errlen)
{
	size_t used;
	int i;

	used = (size_t)snprintf(err, errlen, "unknown placeholder %.*s; valid:", (int)n, at);
	for (i = 0; i < nvars && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, "%s @%s@", i ? "," : "",
					 vars[i].name);
	return -EINVAL;
}

int mmt_plot_fill(const char *tpl, const struct mmt_plot_var *vars, int nvars, char **out,
		  char *err, size_t errlen)
{
	struct strbuf b = {0};
	const struct mmt_plot_var *v;
	const char *s = tpl, *at;
	size_t n;
	int rc = sb_add(&b, "", 0);

	while (!rc && (at = strchr(s, '@'))) {
		rc = sb_add(&b, s, (size_t)(at - s));
		n = placeholder(at);
		v = n ? var_find(vars, nvars, at + 1, n - 2) : NULL;
		if (!rc && n && !v)
			rc = unknown_placeholder(at, n, vars, nvars, err, errlen);
		else if (!rc && v)
			rc = sb_value(&b, v);
		else if (!rc)
			rc = sb_add(&b, "@", 1); /* a lone '@' is the script's own */
		s = at + (v ? n : 1);
	}
	if (!rc)
		rc = sb_add(&b, s, strlen(s));
	if (rc) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	return 0;
}

static int read_text(const char *path, char **text)
{
	struct strbuf b = {0};
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f)
		return -errno;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = sb_add(&b, chunk, n);
	if (!rc && ferror(f))
		rc = -EIO;
	if (!rc && !b.p)
		rc = sb_add(&b, "", 0);
	fclose(f);
	if (rc)
		free(b.p);
	else
		*text = b.p;
	return rc;
}

/* ---- one plot ----------------------------------------------------------- */

static int write_data(const struct mmt_pd *pd, struct mmt_plot_item *it, const char *path)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	switch (it->kind) {
	case MMT_PLOT_MATRIX:
		rc = mmt_pd_write_matrix(pd, f);
		break;
	case MMT_PLOT_THROUGHPUT:
		rc = mmt_pd_write_throughput(pd, it->wl, f);
		break;
	case MMT_PLOT_TIMELINE:
		rc = mmt_pd_write_timeline(pd, it->wl, f);
		break;
	default:
		rc = mmt_pd_write_spectrum(pd, it->wl, it->op, f);
		break;
	}
	if (fclose(f) && rc >= 0)
		rc = -errno;
	if (rc >= 0)
		it->n = rc;
	return rc < 0 ? rc : 0;
}

/* Canvas size: the matrix grows with its cells, the others with their series. */
static void canvas(const struct mmt_pd *pd, const struct mmt_plot_item *it, int *w, int *h)
{
	*w = 900;
	*h = 540;
	if (it->kind == MMT_PLOT_MATRIX) {
		*w = 240 + 110 * pd->nworkloads;
		*h = 150 + 44 * pd->ngroups;
	} else if (it->kind == MMT_PLOT_THROUGHPUT) {
		*w = 200 + 120 * it->n;
	} else if (it->kind == MMT_PLOT_TIMELINE) {
		*h = 480 + 20 * ((it->n + 1) / 2);
	}
	*w = *w < 640 ? 640 : *w > 2400 ? 2400 : *w;
	*h = *h < 300 ? 300 : *h > 2400 ? 2400 : *h;
}

static int fill_template(const struct mmt_pd *pd, const struct mmt_plot_item *it,
			 const char *tpl_path, char **body, char *err, size_t errlen)
{
	char data[256], n[16], nx[16], ny[16], *tpl = NULL;
	struct mmt_plot_var vars[] = {
		{"DATA", data, 1}, {"TITLE", it->title, 1}, {"NSERIES", n, 0},
		{"NROWS", n, 0},   {"NX", nx, 0},	    {"NY", ny, 0},
	};
	int rc;

	snprintf(data, sizeof(data), "%s.dat", it->base);
	snprintf(n, sizeof(n), "%d", it->n);
	snprintf(nx, sizeof(nx), "%d", pd->nworkloads);
	snprintf(ny, sizeof(ny), "%d", pd->ngroups);
	rc = read_text(tpl_path, &tpl);
	if (rc) {
		snprintf(err, errlen, "%s: %s", tpl_path, strerror(-rc));
		return rc;
	}
	rc = mmt_plot_fill(tpl, vars, (int)MMT_ARRAY_SIZE(vars), body, err, errlen);
	if (rc == -EINVAL) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", tpl_path, why);
	}
	free(tpl);
	return rc;
}

static void script_format(FILE *f, const struct mmt_plot_item *it, unsigned fmt, int w, int h,
			  const char *body)
{
	if (fmt == MMT_FMT_SVG)
		fprintf(f,
			"set terminal svg size %d,%d fixed noenhanced font 'sans,11'"
			" background rgb '#ffffff'\n",
			w, h);
	else
		fprintf(f,
			"set terminal pngcairo size %d,%d noenhanced font 'sans,10'"
			" background rgb '#ffffff'\n",
			w, h);
	fprintf(f, "set output '%s.%s'\n%s\nset output\nreset\n", it->base,
		fmt == MMT_FMT_SVG ? "svg" : "png", body);
}

static int write_script(const struct mmt_pd *pd, const struct mmt_plot_item *it,
			const struct mmt_plot_opts *o, const char *tpl_path, const char *path,
			char *err, size_t errlen)
{
	char *body;
	FILE *f;
	int rc, w, h;
	unsigned fmt;

	rc = fill_template(pd, it, tpl_path, &body, err, errlen);
	if (rc)
		return rc;
	canvas(pd, it, &w, &h);
	f = fopen(path, "w");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		free(body);
		return rc;
	}
	fprintf(f,
		"# Made by mmtorture plot from %s;\n# `gnuplot %s.gp` in this directory "
		"draws it again.\n",
		tpl_path, it->base);
	for (fmt = MMT_FMT_SVG; fmt <= MMT_FMT_PNG; fmt <<= 1)
		if (o->formats & fmt)
			script_format(f, it, fmt, w, h, body);
	free(body);
	rc = ferror(f) ? -EIO : 0;
	if (fclose(f) || rc) {
		rc = -EIO;
		snprintf(err, errlen, "%s: cannot write", path);
	}
	return rc;
}

static int gnuplot_error(int rc, const struct mmt_plot_opts *o, const char *gp, const char *script,
			 const char *tail, char *err, size_t errlen)
{
	int64_t ms = o->timeout_ms ? o->timeout_ms : GNUPLOT_TIMEOUT_MS;

	if (rc == 127)
		snprintf(err, errlen, "%s: not found (Debian: apt-get install gnuplot-nox)", gp);
	else if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "%s %s: still running after %lld ms; killed", gp, script,
			 (long long)ms);
	else if (rc == -EINTR)
		snprintf(err, errlen, "%s %s: interrupted", gp, script);
	else if (rc < 0)
		snprintf(err, errlen, "%s: cannot run: %s", gp, strerror(-rc));
	else
		snprintf(err, errlen, "%s %s: exit %d: %s", gp, script, rc, tail);
	return rc < 0 ? rc : -EIO;
}

static int run_gnuplot(const struct mmt_plot_item *it, const struct mmt_plot_opts *o,
		       const char *script, char *err, size_t errlen)
{
	const char *env = getenv("MMTORTURE_GNUPLOT");
	const char *gp = o->gnuplot ? o->gnuplot : env && *env ? env : "gnuplot";
	char tail[1024], name[256];
	const char *argv[] = {gp, name, NULL};
	struct mmt_proc p = {
		.argv = argv,
		.cwd = o->outdir,
		.timeout_ms = o->timeout_ms ? o->timeout_ms : GNUPLOT_TIMEOUT_MS,
		.err = tail,
		.errlen = sizeof(tail),
	};
	int rc;

	snprintf(name, sizeof(name), "%s.gp", it->base);
	rc = mmt_proc_run(&p);
	if (rc)
		return gnuplot_error(rc, o, gp, script, tail, err, errlen);
	return 0;
}

static void output_path(const struct mmt_plot_item *it, const struct mmt_plot_opts *o, unsigned fmt,
			char *path, size_t len)
{
	snprintf(path, len, "%s/%s.%s", o->outdir, it->base, fmt == MMT_FMT_SVG ? "svg" : "png");
}

/* A plot left from an earlier run must not pass for this one's. */
static void remove_outputs(const struct mmt_plot_item *it, const struct mmt_plot_opts *o)
{
	char path[PATH_MAX];
	unsigned fmt;

	for (fmt = MMT_FMT_SVG; fmt <= MMT_FMT_PNG; fmt <<= 1) {
		output_path(it, o, fmt, path, sizeof(path));
		(void)unlink(path);
	}
}

/* gnuplot can exit 0 having drawn nothing: each file must be there and not empty. */
static int check_outputs(struct mmt_plot_item *it, const struct mmt_plot_opts *o, char *err,
			 size_t errlen)
{
	char path[PATH_MAX];
	struct stat sb;
	unsigned fmt;

	for (fmt = MMT_FMT_SVG; fmt <= MMT_FMT_PNG; fmt <<= 1) {
		if (!(o->formats & fmt))
			continue;
		output_path(it, o, fmt, path, sizeof(path));
		if (stat(path, &sb) || !sb.st_size) {
			snprintf(err, errlen, "gnuplot wrote no %s", path);
			return -EIO;
		}
		it->made |= fmt;
	}
	return 0;
}

int mmt_plot_make(const struct mmt_pd *pd, struct mmt_plot_item *it, const struct mmt_plot_opts *o,
		  char *err, size_t errlen)
{
	char dir[PATH_MAX], tpl[PATH_MAX + 32], path[PATH_MAX + 256];
	int rc;

	it->made = 0;
	remove_outputs(it, o);
	snprintf(path, sizeof(path), "%s/%s.dat", o->outdir, it->base);
	rc = write_data(pd, it, path);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!it->n)
		return 0;
	if (o->templates)
		snprintf(dir, sizeof(dir), "%s", o->templates);
	else if (mmt_plot_find_templates(dir, sizeof(dir))) {
		snprintf(err, errlen,
			 "no plots/ templates found (%s/plots, %s/plots;"
			 " or set MMTORTURE_PLOTS)",
			 MMT_DATADIR, MMT_SOURCE_DIR);
		return -ENOENT;
	}
	snprintf(tpl, sizeof(tpl), "%s/%s.gp", dir, kind_names[it->kind]);
	snprintf(path, sizeof(path), "%s/%s.gp", o->outdir, it->base);
	rc = write_script(pd, it, o, tpl, path, err, errlen);
	if (!rc)
		rc = run_gnuplot(it, o, path, err, errlen);
	if (!rc)
		rc = check_outputs(it, o, err, errlen);
	return rc;
}

int mmt_plot_all(const struct mmt_pd *pd, const struct mmt_plot_opts *o,
		 struct mmt_plot_item **items, int *n, char *err, size_t errlen)
{
	int i, rc;

	*items = NULL;
	*n = 0;
	rc = mmt_mkdir_p(o->outdir);
	if (rc) {
		snprintf(err, errlen, "%s: %s", o->outdir, strerror(-rc));
		return rc;
	}
	rc = mmt_plot_plan(pd, items, n);
	if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	for (i = 0; !rc && i < *n; i++)
		rc = mmt_plot_make(pd, &(*items)[i], o, err, errlen);
	return rc;
}

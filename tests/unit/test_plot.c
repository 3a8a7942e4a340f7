// SPDX-License-Identifier: GPL-2.0
/*
 * Plots and the HTML report from a synthetic store: runs loaded and grouped
 * as the selectors say, each data file holding exactly the numbers the
 * stored histograms and intervals give (computed here independently),
 * templates filled and refused, gnuplot's failures reported (missing, a
 * script error, a deadline, nothing drawn), and the HTML carrying every
 * record, failure and comparison row, escaped, with plots inlined byte for byte.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "html.h"
#include "plot.h"
#include "proc.h"
#include "synth.h"

static char dir[] = "/tmp/mmt-plot-XXXXXX";

static const uint64_t iv_a[] = {10, 20, 30}, iv_b[] = {1, 2, 3}, iv_c[] = {1000, 1000, 1000};
static const uint64_t iv_stall[] = {10, 0, 10, 10}, iv_five[] = {5, 5}, iv_one[] = {7};

static void add_failure(struct mmt_job_result *j)
{
	struct mmt_failure *f;

	j->nfailures = 1;
	j->failures = f = calloc(1, sizeof(*f));
	f->kind = MMT_FK_VERIFY;
	f->worker = 1;
	f->pid = 4242;
	f->addr = 0x7f0000001000ull;
	f->want = mmt_tag_make(0x1234, mmt_owner(1, 2), 7, 12);
	f->found = mmt_tag_make(0x1234, mmt_owner(1, 2), 6, 12);
	f->vclass = MMT_V_STALE_GEN;
	snprintf(f->detail, sizeof(f->detail), "stale page <b>");
	j->failures_dropped = 3;
	j->nkmsg = 1;
	j->kmsg = calloc(1, sizeof(*j->kmsg));
	j->kmsg[0].verdict = MMT_KMSG_FAIL;
	j->kmsg[0].text = strdup("WARNING: at mm/x.c:12 & more");
}

/* Run 1: kernel a, three jobs (one failing, one with a companion op, one labelled). */
static void run1(struct mmt_store *s)
{
	const struct synth_run r = {"6.1.0-a", "x86_64", "base<script>", "h1", NULL, 0, "complete"};
	struct mmt_job_result j;
	struct mmt_op_result *o;
	int64_t id = synth_run(s, &r, 1);

	synth_job(&j, 1, "thp_fork", NULL, MMT_PASS, 1000000000ull);
	o = synth_ops(&j, 3);
	synth_op(&o[0], "fork", 1000, 100, iv_a, 3);
	synth_op(&o[1], "cow_fault", 100, 1000, iv_b, 3);
	synth_op(&o[2], "vma_iter.maps_read", 50, 10, iv_c, 3);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
	synth_job(&j, 2, "vma_iter", NULL, MMT_FAIL, 1000000000ull);
	synth_op(synth_ops(&j, 1), "maps_read", 5000, 10, iv_five, 2);
	add_failure(&j);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
	synth_job(&j, 3, "thp_fork", "mthp", MMT_PASS, 1000000000ull);
	synth_op(synth_ops(&j, 1), "fork", 3000, 10, iv_one, 1);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
}

/* Run 2: kernel b, half-second intervals with a stall; a skip; another workload. */
static void run2(struct mmt_store *s)
{
	const struct synth_run r = {"6.12.0-b", "x86_64", "cand", "h1", NULL, 0, "complete"};
	struct mmt_job_result j;
	int64_t id = synth_run(s, &r, 2);

	synth_job(&j, 1, "thp_fork", NULL, MMT_PASS, 500000000ull);
	synth_op(synth_ops(&j, 1), "fork", 2000, 50, iv_stall, 4);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
	synth_job(&j, 2, "vma_iter", NULL, MMT_SKIP, 1000000000ull);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
	synth_job(&j, 3, "numa_migrate", NULL, MMT_PASS, 1000000000ull);
	synth_op(synth_ops(&j, 1), "move", 10, 3, iv_one, 1);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
}

/* Run 3: kernel a again, so its series merges two runs. */
static void run3(struct mmt_store *s)
{
	const struct synth_run r = {"6.1.0-a", "x86_64", "base2", "h1", NULL, 0, "complete"};
	struct mmt_job_result j;
	int64_t id = synth_run(s, &r, 3);

	synth_job(&j, 1, "thp_fork", NULL, MMT_FAIL, 1000000000ull);
	synth_op(synth_ops(&j, 1), "fork", 1000, 100, iv_five, 2);
	CHECK(!mmt_store_add_job(s, id, &j));
	mmt_job_result_free(&j);
}

typedef int (*writer_fn)(const struct mmt_pd *pd, int wl, const char *op, FILE *out);

static char *capture(const struct mmt_pd *pd, int wl, const char *op, writer_fn fn, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*ret = fn(pd, wl, op, f);
	fclose(f);
	return buf;
}

static int w_spectrum(const struct mmt_pd *pd, int wl, const char *op, FILE *out)
{
	return mmt_pd_write_spectrum(pd, wl, op, out);
}

static int w_throughput(const struct mmt_pd *pd, int wl, const char *op, FILE *out)
{
	return mmt_pd_write_throughput(pd, wl, out);
}

static int w_matrix(const struct mmt_pd *pd, int wl, const char *op, FILE *out)
{
	return mmt_pd_write_matrix(pd, out);
}

static int w_timeline(const struct mmt_pd *pd, int wl, const char *op, FILE *out)
{
	return mmt_pd_write_timeline(pd, wl, out);
}

static struct mmt_pd *load(struct mmt_store *s, const char *const *sels, int nsels, unsigned by,
			   const char *const *only, int nonly, int *rc, char *err, size_t errlen)
{
	struct mmt_sel *parsed[4] = {0};
	struct mmt_pd *pd = NULL;
	int i;

	for (i = 0; i < nsels; i++)
		CHECK(!mmt_sel_parse(sels[i], &parsed[i], err, errlen));
	*rc = mmt_pd_load(s, parsed, nsels, by, only, nonly, &pd, err, errlen);
	for (i = 0; i < nsels; i++)
		mmt_sel_free(parsed[i]);
	return pd;
}

static void grouping(const struct mmt_pd *pd)
{
	CHECK(pd->nruns == 3 && pd->ngroups == 2);
	CHECK_STR(pd->groups[0], "6.1.0-a/x86_64");
	CHECK_STR(pd->groups[1], "6.12.0-b/x86_64");
	CHECK(pd->runs[0].group == 0 && pd->runs[1].group == 1 && pd->runs[2].group == 0);
	CHECK(pd->nworkloads == 4);
	CHECK_STR(pd->workloads[0], "thp_fork");
	CHECK_STR(pd->workloads[1], "vma_iter");
	CHECK_STR(pd->workloads[2], "thp_fork:mthp");
	CHECK_STR(pd->workloads[3], "numa_migrate");
}

/* One spectrum row: "x p value". */
static void check_row(const char *text, double x, double p, uint64_t v)
{
	char want[96];

	snprintf(want, sizeof(want), "\n%.6g %.6f %" PRIu64 "\n", x, p, v);
	CHECK_CONTAINS(text, want);
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)); text++)
		n++;
	return n;
}

static void spectrum(const struct mmt_pd *pd)
{
	struct mmt_hist a, b;
	char *t;
	int rc;
	unsigned i;

	/* Series 0 is runs 1 and 3: 1..100 us twice; series 1 is run 2: 2..100 us. */
	mmt_hist_init(&a);
	mmt_hist_init(&b);
	for (i = 1; i <= 100; i++) {
		mmt_hist_record(&a, 1000ull * i);
		mmt_hist_record(&a, 1000ull * i);
	}
	for (i = 1; i <= 50; i++)
		mmt_hist_record(&b, 2000ull * i);
	t = capture(pd, 0, "fork", w_spectrum, &rc);
	CHECK(rc == 2);
	CHECK_CONTAINS(t, "\"6.1.0-a/x86_64\"\n1 0.000000 ");
	check_row(t, 10, 90, mmt_hist_percentile(&a, 90));
	check_row(t, 100, 99, mmt_hist_percentile(&a, 99));
	check_row(t, 200, 99.5, 100000); /* the max, at x = count */
	CHECK_CONTAINS(t, "\n\n\n\"6.12.0-b/x86_64\"\n1 0.000000 ");
	check_row(t, 10, 90, mmt_hist_percentile(&b, 90));
	check_row(t, 50, 98, 100000);
	/* 20 points a decade up to the count, then the max: 47 + 1 and 34 + 1. */
	CHECK_MSG(count(t, "\n") == 2 + 1 + 48 + 2 + 1 + 35, "%d lines", count(t, "\n"));
	free(t);
	t = capture(pd, 1, "maps_read", w_spectrum, &rc);
	CHECK(rc == 1); /* series 1's vma_iter skipped: no samples, no line */
	CHECK(!strstr(t, "6.12.0-b"));
	free(t);
	t = capture(pd, 0, "no_such_op", w_spectrum, &rc);
	CHECK(rc == 0);
	free(t);
}

/* Parse a throughput row for series name; 0 if found. */
static int tp_row(const char *text, const char *name, double v[5])
{
	char want[96];
	const char *p;
	int n;

	snprintf(want, sizeof(want), "\"%s\" ", name);
	p = strstr(text, want);
	if (!p)
		return -1;
	if (sscanf(p + strlen(want), "%lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5)
		return -1;
	n = (int)v[3];
	return n > 0 ? 0 : -1;
}

static void throughput(const struct mmt_pd *pd)
{
	/* Series 0: run 1's fork + cow_fault (not the companion's ops), run 3's fork, per second.
	 */
	const double x0[] = {11, 22, 33, 5, 5}, x1[] = {20, 0, 20, 20}; /* run 2: 0.5 s intervals */
	double v[5], mean, half;
	char *t;
	int rc;

	t = capture(pd, 0, NULL, w_throughput, &rc);
	CHECK(rc == 2);
	CHECK(!tp_row(t, "6.1.0-a/x86_64", v));
	CHECK(fabs(v[0] - 15.2) < 1e-9 && v[3] == 5 && v[4] == 11);
	/* sd = sqrt(588.8 / 4); t(0.975, 4) = 2.776 */
	CHECK_MSG(fabs(v[2] - v[0] - 2.776 * sqrt(147.2) / sqrt(5)) < 1e-4, "hi %g", v[2]);
	CHECK(fabs((v[0] - v[1]) - (v[2] - v[0])) < 1e-4);
	CHECK(!tp_row(t, "6.12.0-b/x86_64", v));
	CHECK(v[0] == 15 && v[3] == 4 && v[4] == 20);
	CHECK_MSG(fabs(v[2] - 15 - 3.182 * 10 / 2) < 1e-4, "hi %g", v[2]);
	CHECK_CONTAINS(t, "\n0 \"6.1.0-a/x86_64\" ");
	CHECK_CONTAINS(t, "\n1 \"6.12.0-b/x86_64\" ");
	free(t);
	mmt_pd_mean_ci(x0, 5, &mean, &half);
	CHECK(fabs(mean - 15.2) < 1e-12);
	mmt_pd_mean_ci(x1, 1, &mean, &half);
	CHECK(mean == 20 && half == 0);
	/* Past the table: t(0.975, 39) = 2.0227; x = 0..39 has variance 40 * 41 / 12. */
	{
		double x[40];
		int i;

		for (i = 0; i < 40; i++)
			x[i] = i;
		mmt_pd_mean_ci(x, 40, &mean, &half);
		CHECK_MSG(fabs(half - 2.0227 * sqrt(40 * 41 / 12.0) / sqrt(40.0)) < 2e-3, "half %g",
			  half);
	}
	t = capture(pd, 3, NULL, w_throughput, &rc); /* numa_migrate: one interval */
	CHECK(rc == 1);
	CHECK_CONTAINS(t, "\"6.12.0-b/x86_64\" 7 7 7 1 7\n");
	free(t);
}

static void matrix(const struct mmt_pd *pd)
{
	char *t;
	int rc;

	t = capture(pd, 0, NULL, w_matrix, &rc);
	CHECK(rc == 8);
	CHECK_CONTAINS(t, "\n0 0 0xe57373 \"FAIL 1/2\" \"thp_fork\" \"6.1.0-a/x86_64\"\n");
	CHECK_CONTAINS(t, "\n1 0 0xe57373 \"FAIL\" \"vma_iter\" \"6.1.0-a/x86_64\"\n");
	CHECK_CONTAINS(t, "\n2 0 0x81c784 \"pass\" \"thp_fork:mthp\" \"6.1.0-a/x86_64\"\n");
	CHECK_CONTAINS(t, "\n3 0 0xffffff \"-\" \"numa_migrate\" \"6.1.0-a/x86_64\"\n");
	CHECK_CONTAINS(t, "\n0 1 0x81c784 \"pass\" \"thp_fork\" \"6.12.0-b/x86_64\"\n");
	CHECK_CONTAINS(t, "\n1 1 0xd0d0d0 \"skip\" \"vma_iter\" \"6.12.0-b/x86_64\"\n");
	CHECK_CONTAINS(t, "\n2 1 0xffffff \"-\" \"thp_fork:mthp\" \"6.12.0-b/x86_64\"\n");
	CHECK_CONTAINS(t, "\n3 1 0x81c784 \"pass\" \"numa_migrate\" \"6.12.0-b/x86_64\"\n");
	free(t);
}

static void timeline(const struct mmt_pd *pd)
{
	char *t;
	int rc;

	t = capture(pd, 0, NULL, w_timeline, &rc);
	CHECK(rc == 3);
	CHECK_CONTAINS(t, "\"6.1.0-a/x86_64: run 1 job 1\"\n1 11\n2 22\n3 33\n");
	CHECK_CONTAINS(t, "\n\n\n\"6.12.0-b/x86_64: run 2 job 1\"\n0.5 20\n1 0\n1.5 20\n2 20\n");
	CHECK_CONTAINS(t, "\n\n\n\"6.1.0-a/x86_64: run 3 job 1\"\n1 5\n2 5\n");
	free(t);
	t = capture(pd, 1, NULL, w_timeline, &rc);
	CHECK(rc == 1); /* the skipped job has no intervals */
	free(t);
}

static void selections(struct mmt_store *s)
{
	const char *two[] = {"tag=base*", "tag=cand"}, *dup[] = {"run=1-2", "run=2"};
	const char *none[] = {"tag=zzz"}, *only_wl[] = {"thp_fork"},
		   *only_mthp[] = {"thp_fork:mthp"};
	const char *bad_wl[] = {"nosuch"};
	struct mmt_pd *pd;
	char err[512];
	int rc;

	pd = load(s, two, 2, MMT_BY_SEL, NULL, 0, &rc, err, sizeof(err));
	CHECK(!rc && pd->ngroups == 2 && pd->nruns == 3);
	CHECK_STR(pd->groups[0], "tag=base*");
	CHECK(pd->runs[0].id == 1 && pd->runs[1].id == 3 && pd->runs[2].group == 1);
	mmt_pd_free(pd);
	pd = load(s, dup, 2, MMT_BY_SEL, NULL, 0, &rc, err, sizeof(err));
	CHECK(!rc && pd->nruns == 3 && pd->runs[2].id == 2 && pd->runs[2].group == 1);
	mmt_pd_free(pd);
	pd = load(s, none, 1, MMT_BY_SEL, NULL, 0, &rc, err, sizeof(err));
	CHECK(rc == -ENOENT && !pd);
	CHECK_STR(err, "selector 'tag=zzz' selects no run");
	pd = load(s, NULL, 0, MMT_BY_RUN, only_wl, 1, &rc, err, sizeof(err));
	CHECK(!rc && pd->nworkloads == 2 && pd->ngroups == 3);
	CHECK_STR(pd->workloads[1], "thp_fork:mthp");
	CHECK_STR(pd->groups[2], "run 3");
	mmt_pd_free(pd);
	pd = load(s, NULL, 0, MMT_BY_RUN, only_mthp, 1, &rc, err, sizeof(err));
	CHECK(!rc && pd->nworkloads == 1 && pd->runs[0].njobs == 1 && pd->runs[1].njobs == 0);
	mmt_pd_free(pd);
	pd = load(s, NULL, 0, MMT_BY_RUN, bad_wl, 1, &rc, err, sizeof(err));
	CHECK(rc == -ENOENT && !pd);
	CHECK_STR(err, "no selected run has workload 'nosuch'; valid: thp_fork, vma_iter, "
		       "thp_fork:mthp, numa_migrate");
}

static void plan(const struct mmt_pd *pd)
{
	static const char *const want[] = {
		"matrix",
		"throughput-thp_fork",
		"throughput-vma_iter",
		"throughput-thp_fork_mthp",
		"throughput-numa_migrate",
		"timeline-thp_fork",
		"timeline-vma_iter",
		"timeline-thp_fork_mthp",
		"timeline-numa_migrate",
		"spectrum-thp_fork-fork",
		"spectrum-thp_fork-cow_fault",
		"spectrum-thp_fork-vma_iter.maps_read",
		"spectrum-vma_iter-maps_read",
		"spectrum-thp_fork_mthp-fork",
		"spectrum-numa_migrate-move",
	};
	struct mmt_plot_item *items;
	int n, i;

	CHECK(!mmt_plot_plan(pd, &items, &n));
	CHECK(n == (int)MMT_ARRAY_SIZE(want));
	for (i = 0; i < n && i < (int)MMT_ARRAY_SIZE(want); i++)
		CHECK_STR(items[i].base, want[i]);
	CHECK_STR(items[13].title, "thp_fork:mthp fork: latency by percentile");
	CHECK(items[13].kind == MMT_PLOT_SPECTRUM && items[13].wl == 2);
	free(items);
}

static void fill(void)
{
	const struct mmt_plot_var vars[] = {
		{"TITLE", "it's", 1}, {"DATA", "x.dat", 1}, {"N", "3", 0}, {"RAW", "a'b", 0}};
	char *out = NULL, err[256];
	unsigned fm;

	CHECK(!mmt_plot_fill("set title '@TITLE@'\nplot '@DATA@' index @N@ # me@host @@ @RAW@\n",
			     vars, 4, &out, err, sizeof(err)));
	CHECK_STR(out, "set title 'it''s'\nplot 'x.dat' index 3 # me@host @@ a'b\n");
	free(out);
	CHECK(mmt_plot_fill("plot @NOPE@", vars, 4, &out, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "unknown placeholder @NOPE@; valid: @TITLE@, @DATA@, @N@, @RAW@");
	CHECK(!mmt_plot_fill("", vars, 4, &out, err, sizeof(err)));
	CHECK_STR(out, "");
	free(out);
	CHECK(!mmt_plot_formats("svg", &fm, err, sizeof(err)));
	CHECK(fm == MMT_FMT_SVG);
	CHECK(!mmt_plot_formats("png,svg", &fm, err, sizeof(err)));
	CHECK(fm == (MMT_FMT_SVG | MMT_FMT_PNG));
	CHECK(mmt_plot_formats("svg,pdf", &fm, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "bad format 'pdf' in 'svg,pdf'; valid: svg, png");
	CHECK(mmt_plot_formats("", &fm, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "no format given; valid: svg, png");
}

static int file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (int)sb.st_size;
}

static void write_tpl(const char *tdir, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/matrix.gp", tdir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* gnuplot's failures, each named: a bad template, a script error, missing, a deadline, no plot. */
static void gnuplot_errors(const struct mmt_pd *pd, struct mmt_plot_item *it)
{
	char tdir[128], err[1024];
	struct mmt_plot_opts o = {.outdir = dir, .formats = MMT_FMT_SVG, .templates = tdir};
	struct timespec t0, t1;

	snprintf(tdir, sizeof(tdir), "%s/tpl", dir);
	CHECK(!mkdir(tdir, 0755));
	write_tpl(tdir, "plot @NOPE@\n");
	CHECK(mmt_plot_make(pd, it, &o, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "tpl/matrix.gp: unknown placeholder @NOPE@; valid: @DATA@");
	write_tpl(tdir, "set nosuchthing\n");
	CHECK(mmt_plot_make(pd, it, &o, err, sizeof(err)) == -EIO);
	CHECK_CONTAINS(err, "matrix.gp: exit ");
	CHECK_CONTAINS(err, "nosuchthing");
	write_tpl(tdir, "print 'nothing drawn'\n");
	CHECK(mmt_plot_make(pd, it, &o, err, sizeof(err)) == -EIO);
	CHECK_CONTAINS(err, "gnuplot wrote no ");
	CHECK(!it->made);
	write_tpl(tdir, "pause 30\n");
	o.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(mmt_plot_make(pd, it, &o, err, sizeof(err)) == -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_CONTAINS(err, "still running after 300 ms; killed");
	CHECK(t1.tv_sec - t0.tv_sec < 10);
	o.gnuplot = "/nonexistent/gnuplot";
	CHECK(mmt_plot_make(pd, it, &o, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err,
		       "/nonexistent/gnuplot: not found (Debian: apt-get install gnuplot-nox)");
}

static int have_gnuplot(void)
{
	const char *const argv[] = {"gnuplot", "--version", NULL};

	return mmt_proc_simple(argv, 10000, NULL, 0) == 0;
}

/* The real templates through real gnuplot: both formats, valid headers. */
static void render(const struct mmt_pd *pd, struct mmt_plot_item *it)
{
	struct mmt_plot_opts o = {.outdir = dir,
				  .formats = MMT_FMT_SVG | MMT_FMT_PNG,
				  .templates = MMT_SOURCE_DIR "/plots"};
	char path[256], head[16] = "", err[1024];
	FILE *f;

	CHECK_MSG(!mmt_plot_make(pd, it, &o, err, sizeof(err)), "%s", err);
	CHECK(it->n == 8 && it->made == (MMT_FMT_SVG | MMT_FMT_PNG));
	snprintf(path, sizeof(path), "%s/matrix.png", dir);
	f = fopen(path, "rb");
	CHECK(f && fread(head, 1, 8, f) == 8 && !memcmp(head, "\x89PNG\r\n\x1a\n", 8));
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/matrix.svg", dir);
	CHECK(file_size(path) > 1000);
	snprintf(path, sizeof(path), "%s/matrix.gp", dir);
	CHECK(file_size(path) > 0);
}

static int b64val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

/* Decode the base64 run at s (up to the closing quote) and compare it with the file. */
static void check_inlined(const char *s, const char *path)
{
	size_t n = 0, cap = (size_t)file_size(path) + 4;
	unsigned char *buf = malloc(cap), *want = malloc(cap);
	unsigned v = 0;
	int bits = 0, d;
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(want, 1, cap, f) : 0;

	for (; *s && *s != '"' && *s != '='; s++) {
		d = b64val(*s);
		CHECK(d >= 0);
		v = v << 6 | (unsigned)(d < 0 ? 0 : d);
		bits += 6;
		if (bits >= 8 && n < cap) {
			bits -= 8;
			buf[n++] = (unsigned char)(v >> bits);
		}
	}
	CHECK_MSG(n == len && !memcmp(buf, want, n), "inlined %zu bytes, file %zu", n, len);
	if (f)
		fclose(f);
	free(buf);
	free(want);
}

static const char comparison[] =
	"{\"title\": \"A vs B\", \"baseline\": \"kernel=6.1*\", \"candidate\": \"kernel=6.12*\","
	" \"tables\": [{\"title\": \"thp_fork\","
	" \"columns\": [\"op\", \"metric\", \"baseline\", \"candidate\", \"change\", \"verdict\"],"
	" \"rows\": [{\"cells\": [\"fork\", \"p99\", \"12.0us\", \"14.1us\", \"+17.5%\","
	" \"regression\"], \"mark\": \"regression\"},"
	" {\"cells\": [\"cow_fault\", \"p50\", 812, \"<b>\", \"-1%\", \"unchanged\"]}]}],"
	" \"notes\": [\"noise floor 2%\"]}";

static char *html(const struct mmt_pd *pd, const struct mmt_plot_item *items, int n,
		  struct json_object *cmp, int *rc)
{
	struct mmt_html_in in = {.pd = pd,
				 .items = items,
				 .nitems = n,
				 .plotdir = dir,
				 .comparison = cmp,
				 .command = "mmtorture html --out r"};
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = mmt_html_write(&in, f, err, sizeof(err));
	fclose(f);
	return buf;
}

static void report(const struct mmt_pd *pd, struct mmt_plot_item *items, int n, int plotted)
{
	struct json_object *cmp = json_tokener_parse(comparison), *bad = json_tokener_parse("[1]");
	char path[256], *t;
	const char *p;
	int rc;

	CHECK(cmp != NULL);
	t = html(pd, items, n, cmp, &rc);
	CHECK(rc == 0);
	CHECK(!strncmp(t, "<!DOCTYPE html>", 15));
	CHECK_CONTAINS(t, "<style>");
	CHECK(!strstr(t, "<script") && !strstr(t, "http://") && !strstr(t, "https://"));
	CHECK_CONTAINS(t, "base&lt;script&gt;");
	CHECK_CONTAINS(t, "<a href=\"#comparison\">Comparison</a>");
	CHECK_CONTAINS(t, "<tr class=\"mark-regression\"><td>fork</td><td>p99</td>");
	CHECK_CONTAINS(t, "<td>812</td><td>&lt;b&gt;</td>");
	CHECK_CONTAINS(t, "noise floor 2%");
	CHECK_CONTAINS(t, "<th>baseline</th><td>kernel=6.1*</td>");
	CHECK_CONTAINS(t, "<tr><td>6.1.0-a/x86_64</td><td><a href=\"#run-1\">1</a>, "
			  "<a href=\"#run-3\">3</a></td></tr>");
	/* The reproducibility record. */
	CHECK_CONTAINS(t, "<th>kernel</th><td>6.1.0-a #1 SMP Debian</td>");
	CHECK_CONTAINS(t, "<th>arch</th><td>x86_64, page size 4096, VA bits 47</td>");
	CHECK_CONTAINS(t, "<th>config hash</th><td>0000000000c0ff1f (/boot/config-6.1.0-a)</td>");
	CHECK_CONTAINS(t, "<th>cmdline</th><td>console=ttyS0 transparent_hugepage=madvise</td>");
	CHECK_CONTAINS(t, "<th>THP</th><td class=\"mono\">enabled=madvise<br>defrag=never</td>");
	CHECK_CONTAINS(t, "<th>tool</th><td>mmtorture 0.1.0 (v0.1-7-g1234567)</td>");
	CHECK_CONTAINS(t, "<th>seed</th><td>0x5eed0001</td>");
	CHECK_CONTAINS(t, "<th>profile</th><td>-w</td>");
	CHECK_CONTAINS(t, "<th>command</th><td>mmtorture run -w thp_fork --tag x</td>");
	CHECK_CONTAINS(t, "[thp_fork]\nsize = 64M");
	/* Failures. */
	CHECK_CONTAINS(t, "<h4>job 2 vma_iter: 1 failure kept, 3 more not kept</h4>");
	CHECK_CONTAINS(t, "<td>verify</td><td class=\"num\">1</td><td class=\"num\">4242</td>");
	CHECK_CONTAINS(t, "stale page &lt;b&gt;");
	CHECK_CONTAINS(t, "stale generation: expected ");
	CHECK_CONTAINS(t, "WARNING: at mm/x.c:12 &amp; more");
	CHECK_CONTAINS(t, "<td class=\"skip\">skip</td>");
	CHECK(count(t, "no failures recorded") == 2); /* runs 2 and 3 */
	CHECK(count(t, "id=\"run-") == 3);
	if (plotted) {
		CHECK_CONTAINS(t, "<section id=\"matrix\">");
		p = strstr(t, "src=\"data:image/svg+xml;base64,");
		CHECK(p != NULL);
		snprintf(path, sizeof(path), "%s/matrix.svg", dir);
		if (p)
			check_inlined(p + strlen("src=\"data:image/svg+xml;base64,"), path);
	}
	CHECK(!strstr(t, "id=\"spectra\"")); /* nothing drawn there */
	free(t);
	t = html(pd, items, n, bad, &rc);
	CHECK(rc == -EINVAL);
	free(t);
	CHECK(mmt_html_comparison(bad, stdout) == -EINVAL);
	json_object_put(cmp);
	json_object_put(bad);
}

/* Files of 1, 2 and 3 bytes inline with base64's two paddings and none. */
static void inline_sizes(const struct mmt_pd *pd)
{
	static const char *const text[] = {"a", "ab", "abc"};
	static const char *const want[] = {"base64,YQ==\"", "base64,YWI=\"", "base64,YWJj\""};
	struct mmt_plot_item items[3];
	char path[256], *t;
	int i, rc;
	FILE *f;

	memset(items, 0, sizeof(items));
	for (i = 0; i < 3; i++) {
		items[i].kind = MMT_PLOT_SPECTRUM;
		items[i].made = MMT_FMT_PNG;
		snprintf(items[i].base, sizeof(items[i].base), "b64-%d", i);
		snprintf(path, sizeof(path), "%s/b64-%d.png", dir, i);
		f = fopen(path, "w");
		CHECK(f != NULL);
		if (f) {
			fputs(text[i], f);
			fclose(f);
		}
	}
	t = html(pd, items, 3, NULL, &rc);
	CHECK(rc == 0);
	for (i = 0; i < 3; i++)
		CHECK_CONTAINS(t, want[i]);
	CHECK_CONTAINS(t, "src=\"data:image/png;base64,");
	CHECK(!strstr(t, "id=\"comparison\""));
	free(t);
	snprintf(path, sizeof(path), "%s/b64-1.png", dir);
	unlink(path);
	t = html(pd, items, 3, NULL, &rc);
	CHECK(rc == -ENOENT);
	free(t);
}

/* The whole of `mmtorture html` through its entry point, with a comparison. */
static void whole_report(const struct mmt_pd *pd)
{
	struct mmt_plot_opts o = {.formats = MMT_FMT_SVG, .templates = MMT_SOURCE_DIR "/plots"};
	struct json_object *cmp = json_tokener_parse(comparison);
	char out[160], path[200], err[1024], *t = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(out, sizeof(out), "%s/report/sub", dir);
	o.outdir = out;
	CHECK_MSG(!mmt_html_report(pd, &o, cmp, "mmtorture compare --html", err, sizeof(err)), "%s",
		  err);
	snprintf(path, sizeof(path), "%s/index.html", out);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK(getdelim(&t, &len, '\0', f) > 0);
		fclose(f);
	}
	if (t) {
		CHECK_CONTAINS(t, "<section id=\"comparison\">");
		CHECK_CONTAINS(t, "mmtorture compare --html");
		/* the matrix, 4 throughputs, 4 timelines, 6 spectra */
		CHECK_MSG(count(t, "<img ") == 15, "%d images", count(t, "<img "));
		CHECK(count(t, "data:image/svg+xml;base64,") == 15);
	}
	free(t);
	snprintf(path, sizeof(path), "%s/spectrum-numa_migrate-move.svg", out);
	CHECK(file_size(path) > 0);
	o.outdir = "/proc/no/such/dir";
	CHECK(mmt_html_report(pd, &o, NULL, NULL, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "/proc/no/such/dir: ");
	json_object_put(cmp);
}

static void plots_and_report(struct mmt_store *s)
{
	struct mmt_plot_item *items;
	struct mmt_pd *pd;
	char err[512];
	int rc, n, plotted = 0;

	pd = load(s, NULL, 0, MMT_BY_KERNEL | MMT_BY_ARCH, NULL, 0, &rc, err, sizeof(err));
	CHECK(!rc);
	if (rc)
		return;
	CHECK(!mmt_plot_plan(pd, &items, &n));
	if (have_gnuplot()) {
		gnuplot_errors(pd, &items[0]);
		render(pd, &items[0]);
		whole_report(pd);
		plotted = 1;
	} else {
		fprintf(stderr, "no gnuplot here: rendering checks left out\n");
	}
	report(pd, items, n, plotted);
	inline_sizes(pd);
	free(items);
	mmt_pd_free(pd);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	struct mmt_store *s, *empty;
	struct mmt_pd *pd;
	char path[128], err[512];
	int rc;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	CHECK(!mmt_store_open(&s, path, err, sizeof(err)));
	run1(s);
	run2(s);
	run3(s);
	pd = load(s, NULL, 0, MMT_BY_KERNEL | MMT_BY_ARCH, NULL, 0, &rc, err, sizeof(err));
	CHECK(!rc);
	if (pd) {
		grouping(pd);
		spectrum(pd);
		throughput(pd);
		matrix(pd);
		timeline(pd);
		plan(pd);
		mmt_pd_free(pd);
	}
	selections(s);
	fill();
	plots_and_report(s);
	mmt_store_close(s);
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	CHECK(!mmt_store_open(&empty, path, err, sizeof(err)));
	CHECK(load(empty, NULL, 0, MMT_BY_RUN, NULL, 0, &rc, err, sizeof(err)) == NULL);
	CHECK(rc == -ENOENT);
	CHECK_STR(err, "the store holds no runs");
	mmt_store_close(empty);
	if (!check_failures)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}

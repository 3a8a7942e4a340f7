// SPDX-License-Identifier: GPL-2.0
/*
 * The result stream: a run and its jobs, every field populated with awkward
 * values, go out as frames, come back through a console's worth of noise (a
 * shell prompt, escape sequences, kernel lines, \r\n, a cut frame, a damaged
 * frame, interleaved and repeated frames) field for field, and into a results
 * store and back. A stream cut short stores as incomplete; malformed or
 * mangled input is refused with a message and never crashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "store.h"
#include "wire.h"

static char dir[] = "/tmp/mmt-wire-XXXXXX";

/* ---- a run and its jobs, every field set --------------------------------- */

static const char odd_text[] =
	"quote \" backslash \\ slash / tab \t cr \r nl \n bell \a esc \x1b[31mred\x1b[0m "
	"del \x7f utf-8 \xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xa7 "
	"at @ @@ and a marker: @@MMT1 JOB 1 1/1 0123456789abcdef {\"seq\":1}";

static void fill_run(struct mmt_run_info *ri, const char *uuid)
{
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->uuid, sizeof(ri->uuid), "%s", uuid);
	ri->started_ns = 1700000000123456789ull;
	snprintf(ri->tool_version, sizeof(ri->tool_version), "0.1.0");
	snprintf(ri->git_rev, sizeof(ri->git_rev), "v0.1-3-gabcdef0-dirty");
	ri->seed = 0xfeedfacecafebeefull; /* above INT64_MAX */
	snprintf(ri->profile, sizeof(ri->profile), "profiles/\"odd\" name @@MMT1 .ini");
	ri->profile_text = strdup(odd_text);
	ri->argv = strdup("mmtorture run -w 'thp_fork:size=64M' --tag \"a\\b\"");
	snprintf(ri->kernel_release, sizeof(ri->kernel_release), "6.8.0-test");
	snprintf(ri->kernel_version, sizeof(ri->kernel_version), "#1 SMP PREEMPT_DYNAMIC @ 2024");
	snprintf(ri->arch, sizeof(ri->arch), "x86_64");
	ri->page_size = 65536;
	ri->va_bits = 52;
	ri->thp_json = strdup("{\"enabled\":\"madvise\",\"hugepages-64kB/enabled\":\"never\"}");
	ri->cmdline = NULL; /* absent stays absent */
	snprintf(ri->config_hash, sizeof(ri->config_hash), "cbf29ce484222325");
	snprintf(ri->config_source, sizeof(ri->config_source), "/proc/config.gz");
	snprintf(ri->cpu_model, sizeof(ri->cpu_model), "AMD EPYC 7763 64-Core Processor");
	snprintf(ri->topology, sizeof(ri->topology), "1 package, 2 nodes, 8 cores, 16 cpus");
	snprintf(ri->hostname, sizeof(ri->hostname), "guest\xc3\xa9");
	ri->guest = 0;
	snprintf(ri->virt, sizeof(ri->virt), "kvm");
	snprintf(ri->tag, sizeof(ri->tag), "nightly \"quoted\"");
}

static void fill_op(struct mmt_op_result *o, const char *name, uint64_t base, unsigned n)
{
	uint64_t x = base * 2654435761u + 1;
	unsigned i;

	snprintf(o->name, sizeof(o->name), "%s", name);
	mmt_hist_init(&o->h);
	for (i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		mmt_hist_record(&o->h, base + (x >> 33) % (base * (i % 100 == 0 ? 100000 : 10)));
	}
	if (n) {
		mmt_hist_record(&o->h, 0); /* both ends of the range */
		mmt_hist_record(&o->h, UINT64_MAX / 4);
	}
	o->nintervals = 7;
	o->intervals = calloc(7, sizeof(*o->intervals));
	for (i = 0; i < 7; i++)
		o->intervals[i] = i == 3 ? 0 : i == 6 ? UINT64_MAX : n / 7 + i;
}

static void fill_failures(struct mmt_job_result *j, int seq)
{
	struct mmt_failure *f;
	int i;

	j->nfailures = MMT_FK__COUNT + 1;
	j->failures = calloc((size_t)j->nfailures, sizeof(*j->failures));
	for (i = 0; i < j->nfailures; i++) {
		f = &j->failures[i];
		f->kind = i % MMT_FK__COUNT;
		f->worker = i % 3;
		f->pid = 4000 + i;
		f->op = i % 4 - 1;
		f->err = i == 0 ? 0 : -i * 1000;
		f->addr = 0xffffffffffff0000ull - (uint64_t)i * 4096;
		f->t_ns = 123456789ull * (uint64_t)(i + 1);
		snprintf(f->detail, sizeof(f->detail), "job %d failure %d: %s", seq, i, odd_text);
	}
	f = &j->failures[0]; /* a verify failure with both tags */
	f->vclass = MMT_V_STALE_GEN;
	f->want = mmt_tag_make(0x1234, mmt_owner(1, 2), 7, 12);
	f->found = mmt_tag_make(0x1234, mmt_owner(1, 2), 6, 12);
	f->found.check = UINT64_MAX;
	f = &j->failures[MMT_FK__COUNT]; /* a second verify: garbage, detail without a NUL */
	f->kind = MMT_FK_VERIFY;
	f->vclass = MMT_V_GARBAGE;
	f->want = mmt_tag_make(0xffffffffu, 0xffffffffu, 0xffffffffu, UINT64_MAX);
	memset(f->detail, 'x', sizeof(f->detail));
	j->failures[2].vclass = MMT_V_ZEROED; /* a class kept on a non-verify failure */
	j->failures_dropped = 17 + (uint64_t)seq;
}

static void fill_kmsg(struct mmt_job_result *j)
{
	static const char *const text[] = {
		"thp_fork[4242]: segfault at 10 ip 0000 sp 0000 error 4",
		"WARNING: CPU: 3 PID: 4242 at mm/huge_memory.c:2650 split_huge_page",
		odd_text,
		"",
	};
	int i;

	j->nkmsg = 5;
	j->kmsg = calloc(5, sizeof(*j->kmsg));
	for (i = 0; i < 5; i++) {
		j->kmsg[i].seq = 1000 + (uint64_t)i;
		j->kmsg[i].ts_us = 5000000 + (uint64_t)i * 17;
		j->kmsg[i].level = 4 - i;
		j->kmsg[i].verdict = i % 3;
		snprintf(j->kmsg[i].rule, sizeof(j->kmsg[i].rule), "%s", i ? "WARNING:" : "");
		if (i < 4) {
			j->kmsg[i].text = strdup(text[i]);
		} else { /* a long line: more than a chunk on its own */
			j->kmsg[i].text = malloc(3001);
			memset(j->kmsg[i].text, 'k', 3000);
			j->kmsg[i].text[3000] = '\0';
		}
	}
}

static void fill_extras(struct mmt_job_result *j, int seq)
{
	static const double values[] = {1.5e9, 0.1, -0.0, 1e300, 5e-324, -DBL_MAX, 98.25};
	int i, n = (int)MMT_ARRAY_SIZE(values);

	j->nvmstat = 4;
	j->vmstat = calloc(4, sizeof(*j->vmstat));
	snprintf(j->vmstat[0].key, sizeof(j->vmstat[0].key), "thp_split_page");
	j->vmstat[0].delta = 12 * seq;
	snprintf(j->vmstat[1].key, sizeof(j->vmstat[1].key), "nr_anon_pages");
	j->vmstat[1].delta = -4096;
	snprintf(j->vmstat[2].key, sizeof(j->vmstat[2].key), "big");
	j->vmstat[2].delta = INT64_MAX;
	snprintf(j->vmstat[3].key, sizeof(j->vmstat[3].key), "small");
	j->vmstat[3].delta = INT64_MIN;
	j->nmetrics = n;
	j->metrics = calloc((size_t)n, sizeof(*j->metrics));
	for (i = 0; i < n; i++) {
		snprintf(j->metrics[i].key, sizeof(j->metrics[i].key), "metric_%d", i);
		j->metrics[i].value = values[i];
	}
	j->nnotes = 3;
	j->notes = calloc(3, sizeof(*j->notes));
	j->notes[0] = strdup("THP disabled for this VMA after 3 retries");
	j->notes[1] = strdup("");
	j->notes[2] = strdup(odd_text);
	j->nworkers = 4;
	j->workers = calloc(4, sizeof(*j->workers));
	for (i = 0; i < 4; i++) {
		struct mmt_worker_result *w = &j->workers[i];

		w->worker = i;
		w->pid = 4000 + i;
		w->planned = (struct mmt_where){i, i, 0, i % 2};
		w->applied = (struct mmt_where){i + 8, i, 0, -1};
		w->status = i == 1 ? MMT_FAIL : i == 2 ? MMT_SKIP : i == 3 ? MMT_ERROR : MMT_PASS;
		w->exit_code = i == 1 ? -1 : i == 2 ? 77 : 0;
		w->term_signal = i == 1 ? SIGKILL : 0;
	}
}

static void fill_job(struct mmt_job_result *j, int seq)
{
	memset(j, 0, sizeof(*j));
	j->seq = seq;
	snprintf(j->workload, sizeof(j->workload), "%s", seq == 2 ? "vma_iter" : "thp_fork");
	snprintf(j->label, sizeof(j->label), "%s", seq == 1 ? "big \"one\"" : "");
	j->params_json = seq == 2 ? NULL : strdup("{\"size\":\"64M\",\"children\":\"2\"}");
	j->repeat = seq;
	snprintf(j->placement, sizeof(j->placement), "cpus=0-3,8");
	j->planned_ns = 5000000000ull;
	j->started_ns = 1700000001000000000ull + (uint64_t)seq;
	j->elapsed_ns = 5012345678ull;
	j->interval_ns = 1000000000ull;
	j->status = seq == 1 ? MMT_FAIL : MMT_PASS;
	snprintf(j->reason, sizeof(j->reason), "%s", seq == 1 ? odd_text : "");
	j->taint_before = seq == 1 ? 0 : UINT64_MAX;
	j->taint_after = 0x200;
	j->nops = 3;
	j->ops = calloc(3, sizeof(*j->ops));
	fill_op(&j->ops[0], "fork", 2000, 20000);
	fill_op(&j->ops[1], "cow_fault", 300, 50000);
	fill_op(&j->ops[2], "never", 10, 0); /* an empty histogram: min stays UINT64_MAX */
	fill_extras(j, seq);
	fill_failures(j, seq);
	fill_kmsg(j);
}

/* ---- comparing ------------------------------------------------------------ */

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

#define CHECK_SAME(a, b)                                                                           \
	CHECK_MSG(same_str((a), (b)), "'%s' != '%s'", (a) ? (a) : "(null)", (b) ? (b) : "(null)")

static void compare_run(const struct mmt_run_info *a, const struct mmt_run_info *b)
{
	CHECK_STR(a->uuid, b->uuid);
	CHECK(a->started_ns == b->started_ns);
	CHECK_STR(a->tool_version, b->tool_version);
	CHECK_STR(a->git_rev, b->git_rev);
	CHECK(a->seed == b->seed);
	CHECK_STR(a->profile, b->profile);
	CHECK_SAME(a->profile_text, b->profile_text);
	CHECK_SAME(a->argv, b->argv);
	CHECK_STR(a->kernel_release, b->kernel_release);
	CHECK_STR(a->kernel_version, b->kernel_version);
	CHECK_STR(a->arch, b->arch);
	CHECK(a->page_size == b->page_size);
	CHECK(a->va_bits == b->va_bits);
	CHECK_SAME(a->thp_json, b->thp_json);
	CHECK_SAME(a->cmdline, b->cmdline);
	CHECK_STR(a->config_hash, b->config_hash);
	CHECK_STR(a->config_source, b->config_source);
	CHECK_STR(a->cpu_model, b->cpu_model);
	CHECK_STR(a->topology, b->topology);
	CHECK_STR(a->hostname, b->hostname);
	CHECK(a->guest == b->guest);
	CHECK_STR(a->virt, b->virt);
	CHECK_STR(a->tag, b->tag);
}

static void compare_ops(const struct mmt_job_result *a, const struct mmt_job_result *b)
{
	int i, k;

	CHECK(a->nops == b->nops);
	for (i = 0; i < a->nops && i < b->nops; i++) {
		const struct mmt_op_result *x = &a->ops[i], *y = &b->ops[i];

		CHECK_STR(x->name, y->name);
		CHECK_MSG(!memcmp(&x->h, &y->h, sizeof(x->h)), "histogram of %s differs", x->name);
		CHECK(x->nintervals == y->nintervals);
		for (k = 0; k < x->nintervals && k < y->nintervals; k++)
			CHECK(x->intervals[k] == y->intervals[k]);
	}
}

static void compare_lists(const struct mmt_job_result *a, const struct mmt_job_result *b,
			  int stored)
{
	int i;

	CHECK(a->nfailures == b->nfailures);
	CHECK(a->failures_dropped == b->failures_dropped);
	for (i = 0; i < a->nfailures && i < b->nfailures; i++)
		CHECK_MSG(!memcmp(&a->failures[i], &b->failures[i], sizeof(a->failures[i])),
			  "failure %d differs", i);
	CHECK(a->nkmsg == b->nkmsg);
	for (i = 0; i < a->nkmsg && i < b->nkmsg; i++) {
		CHECK(a->kmsg[i].seq == b->kmsg[i].seq);
		CHECK(a->kmsg[i].ts_us == b->kmsg[i].ts_us);
		CHECK(a->kmsg[i].level == b->kmsg[i].level);
		CHECK(a->kmsg[i].verdict == b->kmsg[i].verdict);
		CHECK_STR(a->kmsg[i].rule, b->kmsg[i].rule);
		CHECK_SAME(a->kmsg[i].text, b->kmsg[i].text);
	}
	CHECK(a->nworkers == b->nworkers);
	CHECK(!a->workers == !b->workers);
	for (i = 0; a->workers && b->workers && i < a->nworkers && i < b->nworkers; i++)
		CHECK(!memcmp(&a->workers[i], &b->workers[i], sizeof(a->workers[i])));
	CHECK(a->nvmstat == b->nvmstat);
	for (i = 0; i < a->nvmstat && i < b->nvmstat; i++) {
		CHECK_STR(a->vmstat[i].key, b->vmstat[i].key);
		CHECK(a->vmstat[i].delta == b->vmstat[i].delta);
	}
	CHECK(a->nmetrics == b->nmetrics);
	for (i = 0; i < a->nmetrics && i < b->nmetrics; i++) {
		CHECK_STR(a->metrics[i].key, b->metrics[i].key);
		/* The wire keeps them bit for bit (-0.0 stays negative); SQLite makes -0.0 0. */
		CHECK_MSG(stored ? a->metrics[i].value == b->metrics[i].value
				 : !memcmp(&a->metrics[i].value, &b->metrics[i].value,
					   sizeof(double)),
			  "metric %s: %.17g != %.17g", a->metrics[i].key, a->metrics[i].value,
			  b->metrics[i].value);
	}
	CHECK(a->nnotes == b->nnotes);
	for (i = 0; i < a->nnotes && i < b->nnotes; i++)
		CHECK_SAME(a->notes[i], b->notes[i]);
}

static void compare_job_as(const struct mmt_job_result *a, const struct mmt_job_result *b,
			   int stored)
{
	CHECK(a->seq == b->seq);
	CHECK_STR(a->workload, b->workload);
	CHECK_STR(a->label, b->label);
	CHECK_SAME(a->params_json, b->params_json);
	CHECK(a->repeat == b->repeat);
	CHECK_STR(a->placement, b->placement);
	CHECK(a->planned_ns == b->planned_ns);
	CHECK(a->started_ns == b->started_ns);
	CHECK(a->elapsed_ns == b->elapsed_ns);
	CHECK(a->interval_ns == b->interval_ns);
	CHECK(a->status == b->status);
	CHECK_STR(a->reason, b->reason);
	CHECK(a->taint_before == b->taint_before);
	CHECK(a->taint_after == b->taint_after);
	compare_ops(a, b);
	compare_lists(a, b, stored);
}

static void compare_job(const struct mmt_job_result *a, const struct mmt_job_result *b)
{
	compare_job_as(a, b, 0);
}

/* ---- helpers -------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	FILE *f = fopen(path, "r");

	if (!f || fstat(fileno(f), &sb))
		exit(99);
	buf = malloc((size_t)sb.st_size + 1);
	*len = fread(buf, 1, (size_t)sb.st_size, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* A growing string. */
struct sb {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* The frame lines of a clean stream, without their newlines. */
struct line {
	const char *s;
	size_t len;
	char kind[4];
	unsigned rec, part, nparts;
};

static int split_frames(const char *buf, size_t len, struct line *out, int max)
{
	const char *p = buf, *end = buf + len, *nl;
	int n = 0;

	while (p < end && n < max) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p) {
			CHECK(!strncmp(p, MMT_WIRE_MAGIC, strlen(MMT_WIRE_MAGIC)));
			out[n].s = p;
			out[n].len = (size_t)(nl - p);
			CHECK(sscanf(p, "@@MMT1 %3s %u %u/%u", out[n].kind, &out[n].rec,
				     &out[n].part, &out[n].nparts) == 4);
			n++;
		}
		p = nl + 1;
	}
	return n;
}

static void add_line(struct sb *b, const struct line *l, const char *eol)
{
	sb_add(b, l->s, l->len);
	sb_puts(b, eol);
}

/* Write a run (jobs[0..njobs), END if end) through a real file descriptor. */
static char *write_stream(const char *name, const struct mmt_run_info *ri,
			  const struct mmt_job_result *jobs, int njobs, int end, size_t *len)
{
	char path[256];
	int fd, i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = mmt_wire_open(path);
	CHECK_MSG(fd >= 0, "open %s: %s", path, strerror(-fd));
	if (fd < 0)
		exit(check_done());
	CHECK(mmt_wire_write_run(fd, ri) == 0);
	for (i = 0; i < njobs; i++)
		CHECK(mmt_wire_write_job(fd, &jobs[i]) == 0);
	if (end)
		CHECK(mmt_wire_write_end(fd, "complete", 1, 1700000099000000000ull, njobs) == 0);
	close(fd);
	return read_all(path, len);
}

static struct mmt_store *open_ok(const char *name)
{
	struct mmt_store *s = NULL;
	char path[256], err[512];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = mmt_store_open(&s, path, err, sizeof(err));
	CHECK_MSG(rc == 0, "open %s: %d %s", path, rc, err);
	if (rc)
		exit(check_done());
	return s;
}

/* exit_code and finished_ns of a run: -1 for NULL. */
static void run_end(struct mmt_store *s, int64_t id, int64_t *code, int64_t *fin)
{
	sqlite3_stmt *st;

	*code = *fin = -2;
	if (sqlite3_prepare_v2(mmt_store_db(s),
			       "SELECT exit_code, finished_ns FROM runs WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*code = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1
								  : sqlite3_column_int64(st, 0);
		*fin = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static int64_t count_runs(struct mmt_store *s)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(mmt_store_db(s), "SELECT count(*) FROM runs", -1, &st, NULL) !=
	    SQLITE_OK)
		return v;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void load_compare(struct mmt_store *s, int64_t id, const struct mmt_run_info *ri,
			 const struct mmt_job_result *jobs, int njobs, const char *want_status)
{
	struct mmt_job_result *back = NULL;
	struct mmt_run_info rback;
	char status[32];
	int n = 0, i;

	CHECK(mmt_store_load_run(s, id, &rback, status, sizeof(status)) == 0);
	CHECK_STR(status, want_status);
	compare_run(ri, &rback);
	CHECK(mmt_store_load_jobs(s, id, &back, &n) == 0);
	CHECK_MSG(n == njobs, "%d jobs stored, want %d", n, njobs);
	for (i = 0; i < n && i < njobs; i++)
		compare_job_as(&jobs[i], &back[i], 1);
	mmt_job_results_free(back, n);
	mmt_run_info_free(&rback);
}

/* ---- the tests -------------------------------------------------------------- */

static void test_codec(void)
{
	struct mmt_job_result j, back;
	struct mmt_run_info ri, rback;
	static const char minimal_end[] = "{\"status\":\"complete\",\"exit_code\":0}";
	struct mmt_wire_end e;
	char *json, err[256];

	fill_run(&ri, "0a0a0a0a-1111-4222-8333-444444444444");
	CHECK(mmt_wire_encode_run(&ri, &json) == 0);
	CHECK(!strchr(json, '\n'));
	CHECK(mmt_wire_decode_run(json, strlen(json), &rback, err, sizeof(err)) == 0);
	compare_run(&ri, &rback);
	free(json);
	mmt_run_info_free(&rback);
	mmt_run_info_free(&ri);

	/* NULLs stay NULL in memory (the store makes "" of some; the wire does not). */
	fill_job(&j, 1);
	free(j.kmsg[3].text);
	j.kmsg[3].text = NULL;
	free(j.notes[1]);
	j.notes[1] = NULL;
	j.metrics[1].value = NAN;
	j.metrics[2].value = -INFINITY;
	CHECK(mmt_wire_encode_job(&j, &json) == 0);
	CHECK_MSG(mmt_wire_decode_job(json, strlen(json), &back, err, sizeof(err)) == 0, "%s", err);
	CHECK(back.kmsg && back.kmsg[3].text == NULL);
	CHECK(back.notes && back.notes[1] == NULL);
	CHECK(back.metrics && isnan(back.metrics[1].value));
	CHECK(back.metrics && back.metrics[2].value == -INFINITY);
	j.metrics[1].value = back.metrics ? back.metrics[1].value : 0; /* NaN != NaN */
	compare_job(&j, &back);
	free(json);
	mmt_job_result_free(&back);

	/* A job that never started: nworkers without worker rows. */
	free(j.workers);
	j.workers = NULL;
	CHECK(mmt_wire_encode_job(&j, &json) == 0);
	CHECK(mmt_wire_decode_job(json, strlen(json), &back, err, sizeof(err)) == 0);
	CHECK(back.nworkers == 4 && back.workers == NULL);
	free(json);
	mmt_job_result_free(&back);
	mmt_job_result_free(&j);

	CHECK(mmt_wire_encode_end("interrupted", 130, 42, 3, &json) == 0);
	CHECK(mmt_wire_decode_end(json, strlen(json), &e, err, sizeof(err)) == 0);
	CHECK_STR(e.status, "interrupted");
	CHECK(e.exit_code == 130 && e.finished_ns == 42 && e.njobs == 3);
	free(json);
	CHECK(mmt_wire_decode_end(minimal_end, strlen(minimal_end), &e, err, sizeof(err)) == 0);
	CHECK(e.finished_ns == 0 && e.njobs == -1);
}

/* The frames as a console shows them: everything the reader must live through. */
static void test_noisy_stream(void)
{
	struct mmt_job_result jobs[3], extra;
	struct mmt_run_info ri;
	struct mmt_wire w;
	struct line l[400];
	struct sb b = {0};
	char *clean, err[512], *cut, *p;
	size_t len, i;
	int n, k, j1[50], j2[50], n1 = 0, n2 = 0, j3 = -1, j3parts = 0;
	struct mmt_wire_import_opts o = {0};
	struct mmt_store *s;
	int64_t id, id2;
	int64_t code, fin;

	fill_run(&ri, "5eed5eed-0001-4000-8000-000000000001");
	for (k = 0; k < 3; k++)
		fill_job(&jobs[k], k + 1);
	clean = write_stream("clean", &ri, jobs, 3, 1, &len);

	/* "@@MMT1 " only where a frame starts, and no line over 1 KiB. */
	for (n = 0, p = clean; (p = strstr(p, MMT_WIRE_MAGIC)); p++)
		n++;
	k = split_frames(clean, len, l, 400);
	CHECK_MSG(n == k, "%d markers for %d frames", n, k);
	for (i = 0; i < (size_t)k; i++)
		CHECK_MSG(l[i].len <= 1024, "frame line of %zu bytes", l[i].len);
	n = k;

	for (k = 0; k < n; k++) {
		if (!strcmp(l[k].kind, "JOB") && l[k].rec == 1)
			j1[n1++] = k;
		if (!strcmp(l[k].kind, "JOB") && l[k].rec == 2)
			j2[n2++] = k;
		if (!strcmp(l[k].kind, "JOB") && l[k].rec == 3 && l[k].part == 2)
			j3 = k;
		if (!strcmp(l[k].kind, "JOB") && l[k].rec == 3)
			j3parts++;
	}
	CHECK_MSG(n1 >= 3 && n2 >= 3 && j3 > 0, "jobs of %d, %d parts; JOB 3 part 2 at %d", n1, n2,
		  j3);
	if (n1 < 3 || n2 < 3 || j3 < 0)
		return;

	sb_puts(&b, "\x1b[?25l\x1b[2J\x1b[H[    0.000000] Linux version 6.8.0\r\n");
	sb_puts(&b, "garbage \x01\x02 @@MMT0 not a frame\n@@MMT1 bogus\n");
	sb_puts(&b, "\x1b[1;32m~ #\x1b[0m "); /* a prompt, the frame on the same line */
	for (k = 0; k < n && strcmp(l[k].kind, "JOB"); k++)
		add_line(&b, &l[k], "\r\n");
	sb_puts(&b, "[   12.345678] random: crng init done\n");
	/* JOB 1 and 2 interleaved part by part, with a cut copy of each before it arrives. */
	for (k = 0; k < n1 || k < n2; k++) {
		if (k == 1) { /* cut in the middle, then the line goes on */
			sb_add(&b, l[j1[k]].s, l[j1[k]].len / 2);
			sb_puts(&b, "\n\n");
		}
		if (k < n1)
			add_line(&b, &l[j1[k]], "\n");
		if (k == 2) /* cut, and the whole frame right after it on the same line */
			sb_add(&b, l[j2[k]].s, l[j2[k]].len / 3);
		if (k < n2)
			add_line(&b, &l[j2[k]], "\r\n");
		if (k == 0) /* an echo of a frame already seen */
			add_line(&b, &l[j1[0]], "\n");
	}
	/* JOB 3, with a kernel message landing in the middle of its part 2. */
	for (k = 0; k < n; k++) {
		if (strcmp(l[k].kind, "JOB") || l[k].rec != 3)
			continue;
		if (k != j3) {
			add_line(&b, &l[k], "\n");
			continue;
		}
		sb_add(&b, l[k].s, l[k].len / 2);
		sb_puts(&b, "[   13.000000] BUG: Bad page state");
		sb_add(&b, l[k].s + l[k].len / 2, l[k].len - l[k].len / 2);
		sb_puts(&b, "\n");
	}
	for (k = 0; k < n; k++)
		if (!strcmp(l[k].kind, "END"))
			add_line(&b, &l[k], "\r\n");
	sb_puts(&b, "~ # \x1b[6n[   20.000000] reboot: Power down\n");

	CHECK_MSG(mmt_wire_parse(b.s, b.len, &w, err, sizeof(err)) == 0, "%s", err);
	if (getenv("MMT_TEST_SHOW"))
		printf("%s\n%d frames; JOB 1, 2, 3: %d, %d, %d parts; %" PRIu64 " good, %" PRIu64
		       " bad, %" PRIu64 " repeated\n",
		       b.s, n, n1, n2, j3parts, w.good_frames, w.bad_frames, w.dup_frames);
	CHECK(w.have_run);
	compare_run(&ri, &w.ri);
	CHECK_MSG(w.njobs == 2, "%d jobs", w.njobs);
	for (k = 0; k < 2 && k < w.njobs; k++)
		compare_job(&jobs[k], &w.jobs[k]);
	CHECK(w.have_end);
	CHECK_STR(w.end.status, "complete");
	CHECK(w.end.exit_code == 1 && w.end.finished_ns == 1700000099000000000ull);
	CHECK(w.end.njobs == 3);
	CHECK_MSG(w.bad_frames == 4, "%" PRIu64 " bad frames", w.bad_frames);
	CHECK_MSG(w.dup_frames == 1, "%" PRIu64 " duplicate frames", w.dup_frames);
	CHECK(w.good_frames == (uint64_t)n); /* all but the damaged one, plus the echo */
	CHECK(w.dropped_records == 1 && w.ndropped == 1);
	if (w.ndropped == 1) {
		char want[64];

		snprintf(want, sizeof(want), "%d of %d parts arrived (part 2 missing)", j3parts - 1,
			 j3parts);
		CHECK(w.dropped[0].kind == MMT_WIRE_JOB && w.dropped[0].recno == 3);
		CHECK_CONTAINS(w.dropped[0].why, want);
	}

	/* Into a store and back. */
	s = open_ok("noisy.db");
	CHECK_MSG(mmt_wire_store(s, &w, &o, &id, err, sizeof(err)) == 0, "%s", err);
	load_compare(s, id, &ri, jobs, 2, "complete");
	run_end(s, id, &code, &fin);
	CHECK(code == 1 && fin == 1700000099000000000ll);
	/* Again: refused, nothing written. */
	CHECK(mmt_wire_store(s, &w, &o, &id2, err, sizeof(err)) == -EEXIST && id2 == id);
	snprintf(b.s, b.cap, "already imported as run %" PRId64, id);
	CHECK_CONTAINS(err, b.s);
	CHECK(count_runs(s) == 1);

	/* What `vm run` does: amend a job, add the one the guest never reported, then store. */
	k = w.jobs[0].nfailures++;
	w.jobs[0].failures = realloc(w.jobs[0].failures,
				     (size_t)w.jobs[0].nfailures * sizeof(*w.jobs[0].failures));
	memset(&w.jobs[0].failures[k], 0, sizeof(w.jobs[0].failures[k]));
	w.jobs[0].failures[k].kind = MMT_FK_KMSG;
	snprintf(w.jobs[0].failures[k].detail, MMT_DETAIL_LEN, "console: Oops");
	memset(&extra, 0, sizeof(extra));
	extra.seq = 3;
	snprintf(extra.workload, sizeof(extra.workload), "thp_fork");
	extra.status = MMT_ERROR;
	snprintf(extra.reason, sizeof(extra.reason), "the guest never reported it");
	CHECK(mmt_wire_add_job(&w, &extra) == 0 && extra.seq == 0 && w.njobs == 3);
	snprintf(w.ri.uuid, sizeof(w.ri.uuid), "5eed5eed-0001-4000-8000-00000000000f");
	o.guest = 1;
	o.tag = "vm";
	CHECK_MSG(mmt_wire_store(s, &w, &o, &id2, err, sizeof(err)) == 0, "%s", err);
	CHECK(id2 != id && count_runs(s) == 2);
	{
		struct mmt_job_result *back = NULL;
		struct mmt_run_info rb;
		char status[32];
		int nb = 0;

		CHECK(mmt_store_load_run(s, id2, &rb, status, sizeof(status)) == 0);
		CHECK(rb.guest == 1);
		CHECK_STR(rb.tag, "vm");
		CHECK(mmt_store_load_jobs(s, id2, &back, &nb) == 0 && nb == 3);
		if (nb == 3) {
			CHECK(back[0].nfailures == jobs[0].nfailures + 1);
			CHECK_STR(back[0].failures[back[0].nfailures - 1].detail, "console: Oops");
			CHECK(back[2].seq == 3 && back[2].status == MMT_ERROR);
		}
		mmt_job_results_free(back, nb);
		mmt_run_info_free(&rb);
	}
	mmt_store_close(s);
	mmt_wire_free(&w);

	/* Cut the clean stream anywhere: never a crash, never a job that did not all arrive. */
	for (i = 0; i <= len; i += 61) {
		struct mmt_wire c;

		CHECK(mmt_wire_parse(clean, i, &c, err, sizeof(err)) == 0);
		CHECK(c.njobs <= 3 && !c.have_end);
		for (k = 0; k < c.njobs; k++)
			compare_job(&jobs[c.jobs[k].seq - 1], &c.jobs[k]);
		mmt_wire_free(&c);
	}
	/* A changed number in a header fails the check: it is covered too. */
	cut = strdup(clean);
	p = strstr(cut, "JOB 2 2/");
	if (p)
		p[4] = '3';
	CHECK(mmt_wire_parse(cut, len, &w, err, sizeof(err)) == 0);
	CHECK(w.njobs == 2 && w.bad_frames == 1 && w.ndropped == 1);
	mmt_wire_free(&w);
	free(cut);

	for (k = 0; k < 3; k++)
		mmt_job_result_free(&jobs[k]);
	mmt_run_info_free(&ri);
	free(clean);
	free(b.s);
}

/* A guest that died mid-run: RUN, job 1, half of job 2, no END. */
static void test_incomplete(void)
{
	struct mmt_job_result jobs[2];
	struct mmt_run_info ri;
	struct mmt_wire w;
	struct line l[400];
	char *clean, err[512];
	const char *cutat;
	size_t len;
	int64_t id, code, fin;
	struct mmt_store *s;
	int n, k;

	fill_run(&ri, "dead0000-0002-4000-8000-000000000002");
	fill_job(&jobs[0], 1);
	fill_job(&jobs[1], 2);
	clean = write_stream("cut", &ri, jobs, 2, 0, &len);
	n = split_frames(clean, len, l, 400);
	for (k = 0; k < n && !(l[k].rec == 2 && l[k].part == 2); k++)
		;
	CHECK(k < n);
	cutat = k < n ? l[k].s + l[k].len / 2 : clean + len; /* mid-line, as a dying guest does */
	CHECK(mmt_wire_parse(clean, (size_t)(cutat - clean), &w, err, sizeof(err)) == 0);
	CHECK(w.have_run && !w.have_end && w.njobs == 1);
	CHECK(w.bad_frames == 1 && w.ndropped == 1);
	if (w.ndropped == 1)
		CHECK(w.dropped[0].kind == MMT_WIRE_JOB && w.dropped[0].recno == 2);
	s = open_ok("incomplete.db");
	CHECK_MSG(mmt_wire_store(s, &w, NULL, &id, err, sizeof(err)) == 0, "%s", err);
	load_compare(s, id, &ri, jobs, 1, "incomplete");
	run_end(s, id, &code, &fin);
	CHECK(code == -1 && fin == -1);
	mmt_store_close(s);
	mmt_wire_free(&w);

	/* No RUN record: nothing to store. */
	for (k = 0; k < n && strcmp(l[k].kind, "JOB"); k++)
		;
	CHECK(k < n);
	CHECK(mmt_wire_parse(l[k].s, len - (size_t)(l[k].s - clean), &w, err, sizeof(err)) == 0);
	CHECK(!w.have_run && w.njobs == 2);
	s = open_ok("incomplete.db");
	CHECK(mmt_wire_store(s, &w, NULL, &id, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "no RUN record");
	mmt_store_close(s);
	mmt_wire_free(&w);
	CHECK(mmt_wire_parse("no frames here\n", 15, &w, err, sizeof(err)) == 0);
	CHECK(!w.have_run && !w.njobs && !w.good_frames && !w.bad_frames);
	mmt_wire_free(&w);

	free(clean);
	mmt_job_result_free(&jobs[0]);
	mmt_job_result_free(&jobs[1]);
	mmt_run_info_free(&ri);
}

/* Jobs of which no frame arrived at all are listed, by the numbers around them and END's count. */
static void test_missing_jobs(void)
{
	struct mmt_job_result jobs[2];
	struct mmt_run_info ri;
	char *buf = NULL, *json, err[256];
	struct mmt_wire w;
	size_t len = 0;

	fill_run(&ri, "11110000-0003-4000-8000-000000000003");
	fill_job(&jobs[0], 1);
	fill_job(&jobs[1], 4);
	CHECK(mmt_wire_encode_run(&ri, &json) == 0);
	CHECK(mmt_wire_frame(MMT_WIRE_RUN, 0, json, strlen(json), &buf, &len) == 0);
	free(json);
	CHECK(mmt_wire_encode_job(&jobs[0], &json) == 0);
	CHECK(mmt_wire_frame(MMT_WIRE_JOB, 1, json, strlen(json), &buf, &len) == 0);
	free(json);
	CHECK(mmt_wire_encode_job(&jobs[1], &json) == 0);
	CHECK(mmt_wire_frame(MMT_WIRE_JOB, 4, json, strlen(json), &buf, &len) == 0);
	free(json);
	CHECK(mmt_wire_encode_end("complete", 0, 0, 6, &json) == 0);
	CHECK(mmt_wire_frame(MMT_WIRE_END, 0, json, strlen(json), &buf, &len) == 0);
	free(json);
	CHECK(mmt_wire_parse(buf, len, &w, err, sizeof(err)) == 0);
	CHECK(w.njobs == 2 && w.have_end && w.dropped_records == 4 && w.ndropped == 2);
	if (w.ndropped == 2) {
		CHECK(w.dropped[0].recno == 2 && w.dropped[0].count == 2);
		CHECK_CONTAINS(w.dropped[0].why, "JOBs 2..3: no frame arrived");
		CHECK(w.dropped[1].recno == 5 && w.dropped[1].count == 2);
	}
	mmt_wire_free(&w);
	free(buf);
	mmt_job_result_free(&jobs[0]);
	mmt_job_result_free(&jobs[1]);
	mmt_run_info_free(&ri);
}

/* A file appended to by two runs; a stream read twice over. */
static void test_several_runs(void)
{
	struct mmt_job_result job;
	struct mmt_run_info ri;
	struct mmt_wire *runs = NULL, w;
	char *a, *b2, *both, err[256];
	size_t la, lb;
	int n = 0;

	fill_job(&job, 1);
	fill_run(&ri, "aaaa0000-0004-4000-8000-000000000004");
	a = write_stream("two", &ri, &job, 1, 1, &la);
	mmt_run_info_free(&ri);
	fill_run(&ri, "bbbb0000-0004-4000-8000-000000000004");
	both = write_stream("two", &ri, &job, 1, 0, &lb); /* appended: both runs */
	CHECK(lb > la && !memcmp(both, a, la));
	CHECK(mmt_wire_parse_all(both, lb, &runs, &n, err, sizeof(err)) == 0);
	CHECK_MSG(n == 2, "%d runs", n);
	if (n == 2) {
		CHECK_STR(runs[0].ri.uuid, "aaaa0000-0004-4000-8000-000000000004");
		CHECK(runs[0].have_end && runs[0].njobs == 1 && !runs[0].ndropped);
		CHECK_STR(runs[1].ri.uuid, "bbbb0000-0004-4000-8000-000000000004");
		CHECK(!runs[1].have_end && runs[1].njobs == 1 && !runs[1].ndropped);
		CHECK(!runs[0].bad_frames && !runs[1].bad_frames);
	}
	mmt_wire_free_all(runs, n);
	CHECK(mmt_wire_parse(both, lb, &w, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "holds 2 runs");

	/* The same run twice over (two captures of one console): one run, echoes ignored. */
	b2 = malloc(2 * la);
	memcpy(b2, a, la);
	memcpy(b2 + la, a, la);
	CHECK(mmt_wire_parse(b2, 2 * la, &w, err, sizeof(err)) == 0);
	CHECK(w.have_run && w.have_end && w.njobs == 1 && w.dup_frames * 2 == w.good_frames);
	if (w.njobs == 1)
		compare_job(&job, &w.jobs[0]);
	mmt_wire_free(&w);

	free(a);
	free(b2);
	free(both);
	mmt_job_result_free(&job);
	mmt_run_info_free(&ri);
}

struct bad_case {
	const char *json;
	const char *want; /* in the message */
};

static void test_malformed(void)
{
	static const struct bad_case jobs[] = {
		{"", "cut short"},
		{"{\"seq\":1,", "cut short"},
		{"[]", "not a JSON object"},
		{"{} x", "bytes after the JSON"},
		{"{\"seq\":1 \"workload\":\"x\"}", "bad JSON"},
		{"{\"seq\":\"1\",\"workload\":\"x\",\"status\":\"pass\"}", "seq: not an integer"},
		{"{\"seq\":1.5,\"workload\":\"x\",\"status\":\"pass\"}", "seq: not an integer"},
		{"{\"seq\":0,\"workload\":\"x\",\"status\":\"pass\"}", "seq: 0: not a job number"},
		{"{\"seq\":1,\"status\":\"pass\"}", "workload: missing"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"maybe\"}",
		 "status: unknown 'maybe'; valid: pass, fail, skip, error"},
		{"{\"seq\":1,\"workload\":"
		 "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxx\",\"status\":\"pass\"}",
		 "workload: 69 bytes, more than the 63"},
		{"{\"seq\":1,\"workload\":\"a\\u0000b\",\"status\":\"pass\"}", "NUL"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"planned_ns\":-1}",
		 "planned_ns: negative"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"repeat\":99999999999}",
		 "repeat: 99999999999 out of range"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"taint_after\":\"0x200\"}",
		 "taint_after: not an integer"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":{}}",
		 "ops: not an array"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":[{\"name\":\"f\","
		 "\"b\":[5000,1]}]}",
		 "ops[0].b: bucket 5000 out of range"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":[{\"name\":\"f\","
		 "\"b\":[3,1,2430,1]}]}",
		 "ops[0].b: bucket 2433 out of range"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":[{\"name\":\"f\","
		 "\"b\":[3,1,0,1]}]}",
		 "do not ascend"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":[{\"name\":\"f\","
		 "\"b\":[3]}]}",
		 "odd length"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":[{\"name\":\"f\","
		 "\"iv\":[1,-2]}]}",
		 "ops[0].iv: negative"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"ops\":[7]}",
		 "ops[0].op: not an object"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"nworkers\":2,\"workers\":"
		 "[{\"status\":\"pass\"}]}",
		 "1 entries for nworkers 2"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"nworkers\":1,\"workers\":"
		 "[{\"status\":\"pass\",\"planned\":[1,2,3]}]}",
		 "workers[0].planned: not an array of 4 integers"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"failures\":[{\"kind\":"
		 "\"meh\"}]}",
		 "failures[0].kind: unknown 'meh'; valid: verify"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"failures\":[{\"kind\":"
		 "\"verify\","
		 "\"want\":[1,2,3]}]}",
		 "failures[0].want: not an array of 6"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"failures\":[{\"kind\":"
		 "\"verify\","
		 "\"found\":[4294967296,0,0,0,0,0]}]}",
		 "failures[0].found: 4294967296 out of range"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"failures\":[{\"kind\":"
		 "\"verify\","
		 "\"pid\":2147483648}]}",
		 "failures[0].pid: 2147483648 out of range"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"kmsg\":[{\"verdict\":\"bad\"}"
		 "]}",
		 "kmsg[0].verdict: unknown 'bad'; valid: info, fail, allowed"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"kmsg\":[{\"text\":5}]}",
		 "kmsg[0].text: not a string"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"vmstat\":[[\"a\"]]}",
		 "vmstat[0].entry: not a [key, value] pair"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"vmstat\":[[\"a\",1.5]]}",
		 "vmstat[0].delta: not an integer"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"metrics\":[[\"a\",\"1\"]]}",
		 "metrics[0].value: not a number"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"metrics\":[[\"a\",null]]}",
		 "metrics[0].value: null"},
		{"{\"seq\":1,\"workload\":\"x\",\"status\":\"pass\",\"notes\":[1]}",
		 "notes[0].note: not a string"},
	};
	static const struct bad_case runs[] = {
		{"{\"uuid\":5}", "uuid: not a string"},
		{"{\"uuid\":\"\"}", "uuid: empty"},
		{"{\"started_ns\":1}", "uuid: missing"},
		{"{\"uuid\":\"u\",\"argv\":[]}", "argv: not a string"},
		{"{\"uuid\":\"u\",\"page_size\":-4096}", "page_size: -4096 out of range"},
	};
	static const struct bad_case ends[] = {
		{"{\"status\":\"done\",\"exit_code\":0}", "status: unknown 'done'"},
		{"{\"status\":\"complete\"}", "exit_code: missing"},
		{"{\"status\":\"complete\",\"exit_code\":300}", "exit_code: 300 out of range"},
	};
	static const struct {
		int kind;
		uint32_t recno;
		const char *json;
	} framed[] = {
		{MMT_WIRE_RUN, 0, "{\"uuid\":5}"},
		{MMT_WIRE_JOB, 1, "{\"seq\":1,"},
		{MMT_WIRE_JOB, 2, "{\"seq\":3,\"workload\":\"x\",\"status\":\"pass\"}"},
		{MMT_WIRE_END, 0, "{\"status\":\"complete\",\"exit_code\":-1}"},
	};
	struct mmt_job_result j;
	struct mmt_run_info ri;
	struct mmt_wire_end e;
	struct mmt_wire w;
	char err[256], *deep, *buf = NULL;
	size_t i, len = 0;
	int rc;

	for (i = 0; i < MMT_ARRAY_SIZE(jobs); i++) {
		rc = mmt_wire_decode_job(jobs[i].json, strlen(jobs[i].json), &j, err, sizeof(err));
		CHECK_MSG(rc == -EINVAL, "job case %zu: %d", i, rc);
		CHECK_MSG(strstr(err, jobs[i].want), "job case %zu: '%s' lacks '%s'", i, err,
			  jobs[i].want);
		CHECK(!j.ops && !j.failures && !j.workers && !j.nops);
	}
	for (i = 0; i < MMT_ARRAY_SIZE(runs); i++) {
		rc = mmt_wire_decode_run(runs[i].json, strlen(runs[i].json), &ri, err, sizeof(err));
		CHECK_MSG(rc == -EINVAL, "run case %zu: %d", i, rc);
		CHECK_MSG(strstr(err, runs[i].want), "run case %zu: '%s' lacks '%s'", i, err,
			  runs[i].want);
		CHECK(!ri.argv && !ri.profile_text);
	}
	for (i = 0; i < MMT_ARRAY_SIZE(ends); i++) {
		rc = mmt_wire_decode_end(ends[i].json, strlen(ends[i].json), &e, err, sizeof(err));
		CHECK_MSG(rc == -EINVAL, "end case %zu: %d", i, rc);
		CHECK_MSG(strstr(err, ends[i].want), "end case %zu: '%s' lacks '%s'", i, err,
			  ends[i].want);
	}
	/* Nesting far deeper than any record: refused, not recursed into. */
	deep = malloc(200001);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = '\0';
	CHECK(mmt_wire_decode_job(deep, 200000, &j, err, sizeof(err)) == -EINVAL);
	free(deep);

	/* Malformed JSON in frames whose checksums are right: dropped with the reason. */
	for (i = 0; i < MMT_ARRAY_SIZE(framed); i++)
		CHECK(mmt_wire_frame(framed[i].kind, framed[i].recno, framed[i].json,
				     strlen(framed[i].json), &buf, &len) == 0);
	CHECK(mmt_wire_frame(MMT_WIRE_JOB, 1, "", 0, &buf, &len) == -EINVAL);
	CHECK(mmt_wire_parse(buf, len, &w, err, sizeof(err)) == 0);
	CHECK(!w.have_run && !w.have_end && !w.njobs && w.ndropped == 4 && !w.bad_frames);
	if (w.ndropped == 4) {
		CHECK(w.dropped[0].kind == MMT_WIRE_RUN);
		CHECK_CONTAINS(w.dropped[0].why, "all parts arrived, but uuid: not a string");
		CHECK_CONTAINS(w.dropped[1].why, "JSON cut short");
		CHECK_CONTAINS(w.dropped[2].why, "it holds job 3");
		CHECK(w.dropped[3].kind == MMT_WIRE_END);
		CHECK_CONTAINS(w.dropped[3].why, "exit_code: -1 out of range");
	}
	mmt_wire_free(&w);
	free(buf);
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random damage to JSON and to streams: an answer every time, never a crash. */
static void test_fuzz(void)
{
	static const char alphabet[] = "\"{}[],:0123456789-e.\\unlt@ \x01\xff";
	struct mmt_job_result j, back;
	struct mmt_run_info ri;
	struct mmt_wire w;
	char *json, *m, *stream, err[256];
	size_t len, slen, i;
	int it, k, rc, ok = 0;

	fill_job(&j, 2);
	CHECK(mmt_wire_encode_job(&j, &json) == 0);
	len = strlen(json);
	m = malloc(len + 1);
	for (it = 0; it < 3000; it++) {
		memcpy(m, json, len + 1);
		for (k = 0; k < 1 + (int)(rnd() % 4); k++)
			m[rnd() % len] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		i = it % 5 ? len : rnd() % len; /* and sometimes cut short */
		rc = mmt_wire_decode_job(m, i, &back, err, sizeof(err));
		CHECK_MSG(rc == 0 || (rc == -EINVAL && err[0]), "rc %d", rc);
		ok += !rc;
		mmt_job_result_free(&back);
	}
	CHECK(ok > 0 && ok < 3000);
	free(m);
	free(json);

	fill_run(&ri, "f0220000-0005-4000-8000-000000000005");
	stream = write_stream("fuzz", &ri, &j, 1, 1, &slen);
	m = malloc(slen + 1);
	for (it = 0; it < 300; it++) {
		memcpy(m, stream, slen + 1);
		for (k = 0; k < 1 + (int)(rnd() % 8); k++)
			m[rnd() % slen] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		rc = mmt_wire_parse(m, slen, &w, err, sizeof(err));
		CHECK(rc == 0 || rc == -EINVAL);
		CHECK(w.njobs <= 1);
		if (w.njobs == 1)
			compare_job(&j, &w.jobs[0]);
		mmt_wire_free(&w);
	}
	free(m);
	free(stream);

	/* Frames that verify but make no sense together: numbers, parts and runs all mixed. */
	for (it = 0; it < 200; it++) {
		struct mmt_wire *runs = NULL;
		char *buf = NULL, *rec;
		size_t blen = 0, rlen;
		int nruns = 0, nrec = 1 + (int)(rnd() % 12);

		for (k = 0; k < nrec; k++) {
			int kind = (int)(rnd() % MMT_WIRE__NKINDS);
			uint32_t recno = kind == MMT_WIRE_JOB ? (uint32_t)(rnd() % 5) : 0;

			if (kind == MMT_WIRE_RUN)
				CHECK(mmt_wire_encode_run(&ri, &rec) == 0);
			else if (kind == MMT_WIRE_JOB)
				CHECK(mmt_wire_encode_job(&j, &rec) == 0);
			else
				CHECK(mmt_wire_encode_end("complete", 0, 0, (int)(rnd() % 9) - 1,
							  &rec) == 0);
			rlen = strlen(rec);
			if (rnd() % 3 == 0) /* a part of it only */
				rlen = 1 + rnd() % rlen;
			CHECK(mmt_wire_frame(kind, recno, rec, rlen, &buf, &blen) == 0);
			free(rec);
		}
		CHECK(mmt_wire_parse_all(buf, blen, &runs, &nruns, err, sizeof(err)) == 0);
		for (k = 0; k < nruns; k++) {
			CHECK(runs[k].njobs <= 1 && runs[k].ndropped <= 64);
			if (runs[k].njobs)
				CHECK(runs[k].jobs[0].seq == j.seq);
		}
		mmt_wire_free_all(runs, nruns);
		free(buf);
	}
	mmt_run_info_free(&ri);
	mmt_job_result_free(&j);
}

static void test_open_errors(void)
{
	struct mmt_run_info ri;
	char path[256];
	int fd;

	fill_run(&ri, "e0000000-0006-4000-8000-000000000006");
	fd = mmt_wire_open("/dev/full"); /* a character device that is always full */
	if (fd >= 0) {
		CHECK(mmt_wire_write_run(fd, &ri) == -ENOSPC);
		close(fd);
	}
	CHECK(mmt_wire_open(dir) == -EISDIR);
	snprintf(path, sizeof(path), "%s/no/such/dir/stream", dir);
	CHECK(mmt_wire_open(path) == -ENOENT);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(mmt_wire_open(path) == -ENXIO); /* nobody reads it */
	mmt_run_info_free(&ri);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 99;
	test_codec();
	test_noisy_stream();
	test_incomplete();
	test_missing_jobs();
	test_several_runs();
	test_malformed();
	test_fuzz();
	test_open_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (!check_failures && system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}

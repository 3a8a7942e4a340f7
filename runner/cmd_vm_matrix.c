// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture vm matrix FILE.ini`: kernels x profiles (each kernel brings its
 * arch) from one command, each combination a guest run in the store, then one
 * table: a row per kernel/arch/profile, a column per workload, pass/fail/skip
 * with the job's op rate.
 */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cmds.h"
#include "main.h"
#include "opt.h"
#include "store.h"
#include "vm_guest.h"

#define MAX_ITEMS 32
#define MAX_COLS 32

struct matrix {
	const char *path;
	char *kernels[MAX_ITEMS], *profiles[MAX_ITEMS];
	int nk, np;
	char duration[32], timeout[32], tag[64], mem[32];
	int smp, numa_nodes;
	int line, failed;
	char err[512];
	FILE *f;
};

static const char valid_keys[] = "kernels, profiles, duration, timeout, smp, mem, numa_nodes, tag";

static int split(char *v, char **out, int *n)
{
	char *save = NULL, *t;

	for (t = strtok_r(v, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		if (*n == MAX_ITEMS)
			return -E2BIG;
		out[(*n)++] = strdup(t);
	}
	return 0;
}

static int merr(struct matrix *m, const char *fmt, const char *a, const char *b)
	__attribute__((format(printf, 2, 0)));
static int merr(struct matrix *m, const char *fmt, const char *a, const char *b)
{
	int k = snprintf(m->err, sizeof(m->err), "%s:%d: ", m->path, m->line);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(m->err + k, sizeof(m->err) - (size_t)k, fmt, a, b);
#pragma GCC diagnostic pop
	m->failed = 1;
	return 0;
}

static int number(struct matrix *m, const char *k, const char *v, int lo, int hi, int *out)
{
	int64_t x;

	if (mmt_parse_int(v, &x) || x < lo || x > hi)
		return merr(m, "bad %s '%s': want an integer in range", k, v);
	*out = (int)x;
	return 1;
}

static int handler(void *user, const char *section, const char *k, const char *v)
{
	struct matrix *m = user;
	int64_t x;
	char *dup;

	if (m->failed)
		return 0;
	if (strcmp(section, "matrix"))
		return merr(m, "section [%s]: the file has one section, [matrix]%s", section, "");
	if (!strcmp(k, "kernels") || !strcmp(k, "profiles")) {
		dup = strdup(v);
		if (!dup ||
		    split(dup, *k == 'k' ? m->kernels : m->profiles, *k == 'k' ? &m->nk : &m->np))
			merr(m, "%s: too many (at most 32)%s", k, "");
		free(dup);
		return !m->failed;
	}
	if (!strcmp(k, "duration") || !strcmp(k, "timeout")) {
		if (mmt_parse_duration(v, &x) || x <= 0)
			return merr(m, "bad %s '%s': want e.g. 30s, 2m", k, v);
		snprintf(*k == 'd' ? m->duration : m->timeout, sizeof(m->duration), "%s", v);
		return 1;
	}
	if (!strcmp(k, "mem")) {
		if (mmt_parse_size(v, &x) || x < (128 << 20))
			return merr(m, "bad mem '%s': want a size, at least 128M%s", v, "");
		snprintf(m->mem, sizeof(m->mem), "%s", v);
		return 1;
	}
	if (!strcmp(k, "smp"))
		return number(m, k, v, 1, 64, &m->smp);
	if (!strcmp(k, "numa_nodes"))
		return number(m, k, v, 0, 8, &m->numa_nodes);
	if (!strcmp(k, "tag")) {
		snprintf(m->tag, sizeof(m->tag), "%s", v);
		return 1;
	}
	return merr(m, "unknown key '%s'; valid: %s", k, valid_keys);
}

/* Lines counted as they are read, so an error names its line. */
static char *reader(char *str, int num, void *stream)
{
	struct matrix *m = stream;
	char *r = fgets(str, num, m->f);

	if (r)
		m->line++;
	return r;
}

static int load(struct matrix *m)
{
	int r;

	m->f = fopen(m->path, "re");
	if (!m->f)
		return fprintf(stderr, "mmtorture: vm matrix: %s: %s\n", m->path, strerror(errno)),
		       2;
	r = ini_parse_stream(reader, m, handler, m);
	fclose(m->f);
	if (m->failed)
		return fprintf(stderr, "mmtorture: vm matrix: %s\n", m->err), 2;
	if (r)
		return fprintf(stderr, "mmtorture: vm matrix: %s:%d: syntax error\n", m->path, r),
		       2;
	if (!m->nk)
		return fprintf(stderr, "mmtorture: vm matrix: %s: no kernels = ... in [matrix]\n",
			       m->path),
		       2;
	if (!m->np)
		m->profiles[m->np++] = strdup("quick");
	return 0;
}

/* ------------------------------------------------------------ the table */

struct cell {
	char status[8];
	double rate;
};

static int column(char cols[][64], int *ncols, const char *name)
{
	int i;

	for (i = 0; i < *ncols; i++)
		if (!strcmp(cols[i], name))
			return i;
	if (*ncols == MAX_COLS)
		return -1;
	snprintf(cols[*ncols], 64, "%s", name);
	return (*ncols)++;
}

static void rate_text(double r, char *buf, size_t len)
{
	if (r >= 1e6)
		snprintf(buf, len, "%.1fM/s", r / 1e6);
	else if (r >= 1e3)
		snprintf(buf, len, "%.1fk/s", r / 1e3);
	else
		snprintf(buf, len, "%.0f/s", r);
}

static const char cells_sql[] =
	"SELECT r.kernel_release, r.arch, j.workload || CASE WHEN j.label = '' THEN '' "
	"ELSE ':' || j.label END, j.status, "
	"coalesce((SELECT sum(count) FROM job_ops o WHERE o.job_id = j.id), 0) * 1e9 / "
	"max(j.elapsed_ns, 1) FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.id = ? "
	"ORDER BY j.seq";

static void table(struct mmt_store *s, const int64_t *ids, char **rowname, int n)
{
	static struct cell cells[MAX_ITEMS * MAX_ITEMS][MAX_COLS];
	char cols[MAX_COLS][64], rows[MAX_ITEMS * MAX_ITEMS][160], buf[64];
	sqlite3_stmt *st;
	int ncols = 0, i, c;

	memset(cells, 0, sizeof(cells));
	if (sqlite3_prepare_v2(mmt_store_db(s), cells_sql, -1, &st, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < n; i++) {
		snprintf(rows[i], sizeof(rows[i]), "%s", rowname[i]);
		sqlite3_bind_int64(st, 1, ids[i]);
		while (ids[i] && sqlite3_step(st) == SQLITE_ROW) {
			snprintf(rows[i], sizeof(rows[i]), "%s %s %s",
				 (const char *)sqlite3_column_text(st, 0),
				 (const char *)sqlite3_column_text(st, 1), rowname[i]);
			c = column(cols, &ncols, (const char *)sqlite3_column_text(st, 2));
			if (c < 0)
				continue;
			snprintf(cells[i][c].status, sizeof(cells[i][c].status), "%s",
				 (const char *)sqlite3_column_text(st, 3));
			cells[i][c].rate = sqlite3_column_double(st, 4);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	printf("\n%-44s", "kernel arch profile");
	for (c = 0; c < ncols; c++)
		printf(" %-16.16s", cols[c]);
	putchar('\n');
	for (i = 0; i < n; i++) {
		printf("%-44.44s", rows[i]);
		for (c = 0; c < ncols; c++) {
			rate_text(cells[i][c].rate, buf, sizeof(buf));
			if (!cells[i][c].status[0])
				printf(" %-16s", ids[i] ? "-" : "(no run)");
			else if (!strcmp(cells[i][c].status, "skip"))
				printf(" %-16s", "skip");
			else
				printf(" %-5s %-10s",
				       !strcmp(cells[i][c].status, "pass") ? "pass" : "FAIL", buf);
		}
		putchar('\n');
	}
}

static const char usage[] =
	"usage: mmtorture vm matrix [--db PATH] [-q] FILE.ini\n"
	"\n"
	"Every kernel of the file's [matrix] section with every profile, each a `vm run`\n"
	"(the kernel decides the arch; static binaries from build-ARCH/), then a table:\n"
	"a row per kernel/arch/profile, a column per workload, pass/FAIL/skip and the\n"
	"job's ops per second. Keys: kernels, profiles (default quick), duration (each\n"
	"job's), timeout, smp, mem, numa_nodes, tag.\n"
	"\n"
	"Exit: 0 every job passed or skipped, 1 a job failed, 2 bad input, 99 a guest\n"
	"could not be run.\n";

static int run_all(struct matrix *m, const char *db, int quiet)
{
	int64_t ids[MAX_ITEMS * MAX_ITEMS] = {0};
	char *names[MAX_ITEMS * MAX_ITEMS], err[512];
	struct mmt_store *s;
	int i, k, n = 0, r, worst = 0;

	for (i = 0; i < m->nk; i++)
		for (k = 0; k < m->np; k++) {
			struct mmt_guest_opts o = {.kernel = m->kernels[i],
						   .profile = m->profiles[k],
						   .smp = m->smp ? m->smp : 2,
						   .mem_mb = 2048,
						   .numa_nodes = m->numa_nodes,
						   .tag = m->tag[0] ? m->tag : NULL,
						   .duration = m->duration[0] ? m->duration : NULL,
						   .quiet = 1};
			int64_t v;

			if (m->mem[0] && !mmt_parse_size(m->mem, &v))
				o.mem_mb = (long)(v >> 20);
			if (m->timeout[0] && !mmt_parse_duration(m->timeout, &v))
				o.timeout_ns = v;
			if (!quiet)
				fprintf(stderr, "matrix: %s, profile %s\n", m->kernels[i],
					m->profiles[k]);
			r = mmt_guest_run(&o, db, &ids[n]);
			/* The row says which profile by its file name. */
			names[n] = strrchr(m->profiles[k], '/');
			names[n] = names[n] ? names[n] + 1 : m->profiles[k];
			n++;
			worst = r > worst && r != 77 ? r : worst;
		}
	if (mmt_store_open(&s, db, err, sizeof(err)))
		return fprintf(stderr, "mmtorture: vm matrix: %s\n", err), 99;
	table(s, ids, names, n);
	mmt_store_close(s);
	return worst;
}

int mmt_cmd_vm_matrix(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct matrix m = {0};
	const char *db = mmt_default_db();
	int c, quiet = 0, r, i;

	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'q')
			quiet = 1;
		else
			return fputs(usage, c == 'h' ? stdout : stderr), c == 'h' ? 0 : 2;
	}
	if (optind != argc - 1)
		return fputs(usage, stderr), 2;
	m.path = argv[optind];
	r = load(&m);
	if (!r)
		r = run_all(&m, db, quiet);
	for (i = 0; i < m.nk; i++)
		free(m.kernels[i]);
	for (i = 0; i < m.np; i++)
		free(m.profiles[i]);
	return r;
}

// SPDX-License-Identifier: GPL-2.0
/* `mmtorture import`: result streams (mmtorture run --stream) into the results store. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "store.h"
#include "wire.h"

static const char import_usage[] =
	"usage: mmtorture import [--db PATH] [--tag TAG] [--guest] STREAM-FILE...\n"
	"\n"
	"Store the runs in result streams written by `mmtorture run --stream` (a file, or\n"
	"what was captured from a guest's serial port or console: other text around the\n"
	"frames is ignored) as new runs. Damaged or missing records are dropped and said;\n"
	"a run whose END never arrived is stored as incomplete, with the jobs that did.\n"
	"A run already in the store (same uuid) is refused, and nothing of its file is\n"
	"written. '-' reads standard input.\n"
	"\n"
	"      --db PATH   results database (results/mmtorture.db)\n"
	"      --tag TAG   label the imported runs TAG instead of their own tag\n"
	"      --guest     mark the imported runs as run inside a guest\n"
	"  -h, --help      this text\n"
	"\n"
	"Exit: 0 every file imported, 2 usage or bad input (no RUN record, already\n"
	"imported, unreadable file or database), 99 a failure writing the store.\n";

struct import_args {
	const char *db;
	struct mmt_wire_import_opts o;
	char **files;
	int nfiles;
};

/* 0 to go on, 1 when help was printed, 2 on a usage error (already said). */
static int import_parse(int argc, char **argv, struct import_args *a)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"tag", required_argument, NULL, 't'},
		{"guest", no_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->db = optarg;
			break;
		case 't':
			if (strlen(optarg) >= sizeof(((struct mmt_run_info *)0)->tag)) {
				fprintf(stderr,
					"mmtorture import: --tag '%s' is longer than %zu "
					"bytes\n",
					optarg, sizeof(((struct mmt_run_info *)0)->tag) - 1);
				return 2;
			}
			a->o.tag = optarg;
			break;
		case 'g':
			a->o.guest = 1;
			break;
		case 'h':
			fputs(import_usage, stdout);
			return 1;
		default:
			fprintf(stderr, "(see mmtorture import --help)\n");
			return 2;
		}
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	if (!a->nfiles) {
		fprintf(stderr, "mmtorture import: no STREAM-FILE given\n"
				"(see mmtorture import --help)\n");
		return 2;
	}
	if (!a->db) {
		fprintf(stderr, "mmtorture import: no results store: give one with --db PATH\n");
		return 2;
	}
	return 0;
}

/* The whole file ('-': standard input) into *buf; -errno. */
static int slurp(const char *path, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	char *b = NULL, *p;
	ssize_t r;
	int rc = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (!b || n == cap) {
			cap = b ? cap * 2 : cap;
			p = realloc(b, cap);
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			b = p;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

static void say_losses(const char *file, const struct mmt_wire *w)
{
	int i;

	for (i = 0; i < w->ndropped; i++) {
		const struct mmt_wire_drop *d = &w->dropped[i];

		if (d->count > 1)
			printf("%s: dropped %s\n", file, d->why);
		else
			printf("%s: dropped %s %" PRIu32 ": %s\n", file,
			       mmt_wire_kind_name(d->kind), d->recno, d->why);
	}
	if (w->bad_frames)
		printf("%s: %" PRIu64 " damaged frame(s) ignored\n", file, w->bad_frames);
}

/* Refuse the file if any of its runs is in the store already: all of it or nothing. */
static int already_there(struct mmt_store *s, const char *file, const struct mmt_wire *runs, int n)
{
	int64_t id;
	int i, j, rc;

	for (i = 0; i < n; i++) {
		if (!runs[i].have_run)
			continue;
		for (j = 0; j < i; j++) {
			if (runs[j].have_run && !strcmp(runs[j].ri.uuid, runs[i].ri.uuid)) {
				fprintf(stderr,
					"mmtorture import: %s: holds run %s twice; nothing "
					"written\n",
					file, runs[i].ri.uuid);
				return 2;
			}
		}
		rc = mmt_store_find_uuid(s, runs[i].ri.uuid, &id);
		if (!rc) {
			fprintf(stderr,
				"mmtorture import: %s: run %s already imported as run %" PRId64
				"; nothing written\n",
				file, runs[i].ri.uuid, id);
			return 2;
		}
		if (rc != -ENOENT) {
			fprintf(stderr, "mmtorture import: %s: %s (%s)\n", file, strerror(-rc),
				mmt_store_errmsg(s));
			return 99;
		}
	}
	return 0;
}

static int import_run(struct mmt_store *s, const struct import_args *a, const char *file,
		      const struct mmt_wire *w)
{
	char err[512];
	int64_t id;
	int rc;

	rc = mmt_wire_store(s, w, &a->o, &id, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "mmtorture import: %s: %s%s\n", file, err,
			rc == -EEXIST ? "; nothing written" : "");
		return rc == -EEXIST || rc == -EINVAL ? 2 : 99;
	}
	printf("%s: run %s imported as run %" PRId64 " (%s, %d job%s%s)\n", file, w->ri.uuid, id,
	       w->have_end ? w->end.status : "incomplete", w->njobs, w->njobs == 1 ? "" : "s",
	       w->have_end ? "" : "; its END record never arrived");
	say_losses(file, w);
	return 0;
}

static int import_file(struct mmt_store *s, const struct import_args *a, const char *file)
{
	struct mmt_wire *runs = NULL;
	int n = 0, i, code = 0, c, orphans = 0;
	char err[512], *buf = NULL;
	size_t len = 0;

	c = slurp(file, &buf, &len);
	if (c) {
		fprintf(stderr, "mmtorture import: %s: %s\n", file, strerror(-c));
		return 2;
	}
	c = mmt_wire_parse_all(buf, len, &runs, &n, err, sizeof(err));
	if (c) {
		fprintf(stderr, "mmtorture import: %s: %s\n", file, err);
		free(buf);
		return 99;
	}
	for (i = 0; i < n; i++)
		orphans += !runs[i].have_run;
	if (orphans == n) {
		uint64_t good = 0, bad = 0;

		for (i = 0; i < n; i++) {
			good += runs[i].good_frames;
			bad += runs[i].bad_frames;
			say_losses(file, &runs[i]);
		}
		fprintf(stderr, "mmtorture import: %s: no RUN record", file);
		if (n)
			fprintf(stderr, " (%" PRIu64 " good, %" PRIu64 " damaged frames)\n", good,
				bad);
		else
			fprintf(stderr, ": no mmtorture frames in it at all\n");
		code = 2;
		goto out;
	}
	code = already_there(s, file, runs, n);
	for (i = 0; !code && i < n; i++)
		if (runs[i].have_run)
			code = import_run(s, a, file, &runs[i]);
	for (i = 0; !code && i < n; i++) {
		if (runs[i].have_run)
			continue;
		fprintf(stderr,
			"mmtorture import: %s: %" PRIu64 " frame(s) of a run whose RUN record was "
			"lost: not imported\n",
			file, runs[i].good_frames);
		say_losses(file, &runs[i]);
	}
	if (!code && orphans)
		code = 2;
out:
	mmt_wire_free_all(runs, n);
	free(buf);
	return code;
}

int mmt_cmd_import(int argc, char **argv, const char *default_db)
{
	struct import_args a = {.db = default_db};
	struct mmt_store *s;
	char err[512];
	int i, c, code = 0;

	c = import_parse(argc, argv, &a);
	if (c)
		return c == 1 ? 0 : c;
	c = mmt_store_open(&s, a.db, err, sizeof(err));
	if (c) {
		fprintf(stderr, "mmtorture import: %s\n", err);
		return 2;
	}
	for (i = 0; i < a.nfiles; i++) {
		c = import_file(s, &a, a.files[i]);
		/* The worst of them: a harness error over bad input over success. */
		if (c == 99 || (c && code != 99))
			code = c;
	}
	mmt_store_close(s);
	return code;
}

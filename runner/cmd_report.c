// SPDX-License-Identifier: GPL-2.0
/* `mmtorture report`: show a stored run as text or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "report.h"
#include "store.h"

struct report_args {
	const char *db;
	const char *which;
	const char *out;
	const char *file; /* print this file kept with the run instead */
	int json;
};

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: mmtorture report [RUN-ID|latest] [--db PATH] [--json|--console|--file "
		"NAME]\n"
		"                        [-o FILE]\n"
		"\n"
		"Show a stored run: its reproducibility record, then per job the status,\n"
		"latencies, failures, kernel log lines, taint, vmstat deltas and notes.\n"
		"RUN-ID is a run number or a prefix of its uuid; the default is the latest run.\n"
		"\n"
		"  --db PATH     results store to read\n"
		"  --json        one JSON document instead of text\n"
		"  --console     a guest run's whole console, as kept with the run\n"
		"  --file NAME   another file kept with the run (vm.json: the guest's QEMU\n"
		"                command line and boot timings)\n"
		"  -o FILE       write to FILE instead of stdout\n"
		"  -h, --help    this help\n");
}

/* 0 to go on, 1 when help was printed, -1 on a usage error (already said). */
static int report_parse(int argc, char **argv, struct report_args *a)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"console", no_argument, NULL, 'c'},
		{"file", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->db = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'c':
			a->file = "console";
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return 1;
		default:
			report_usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		a->which = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "mmtorture report: unexpected argument '%s'\n", argv[optind]);
		report_usage(stderr);
		return -1;
	}
	return 0;
}

static int report_open(const char *db, struct mmt_store **s)
{
	char err[512];
	struct stat sb;

	if (!db) {
		fprintf(stderr, "mmtorture report: no results store: give one with --db PATH\n");
		return -1;
	}
	/* Opening would create an empty store; a report of nothing helps no one. */
	if (stat(db, &sb)) {
		fprintf(stderr, "mmtorture report: %s: %s (no runs recorded there yet?)\n", db,
			strerror(errno));
		return -1;
	}
	if (mmt_store_open(s, db, err, sizeof(err))) {
		fprintf(stderr, "mmtorture report: %s\n", err);
		return -1;
	}
	return 0;
}

static int report_find(struct mmt_store *s, const char *db, const char *which, int64_t *id)
{
	int rc = mmt_store_find_run(s, which, id);

	if (!rc)
		return 0;
	if (rc == -ENOENT && !strcmp(which, "latest"))
		fprintf(stderr, "mmtorture report: %s: no runs recorded\n", db);
	else if (rc == -ENOENT)
		fprintf(stderr, "mmtorture report: %s: no run '%s'\n", db, which);
	else if (rc == -EINVAL)
		fprintf(stderr,
			"mmtorture report: %s: '%s' matches more than one run; "
			"give more of the uuid\n",
			db, which);
	else
		fprintf(stderr, "mmtorture report: %s: %s (%s)\n", db, strerror(-rc),
			mmt_store_errmsg(s));
	return -1;
}

static int write_file(struct mmt_store *s, const struct report_args *a, int64_t id, FILE *out)
{
	char *data = NULL;
	size_t len = 0;
	int rc = mmt_store_load_file(s, id, a->file, &data, &len);

	if (rc == -ENOENT) {
		fprintf(stderr,
			"mmtorture report: run %lld keeps no '%s' (guest runs keep "
			"'console' and 'vm.json')\n",
			(long long)id, a->file);
		return -ENOENT;
	}
	if (!rc && fwrite(data, 1, len, out) != len)
		rc = -EIO;
	free(data);
	return rc;
}

static int report_write(struct mmt_store *s, const struct report_args *a, int64_t id)
{
	FILE *out = stdout;
	int rc;

	if (a->out) {
		out = fopen(a->out, "w");
		if (!out) {
			fprintf(stderr, "mmtorture report: %s: %s\n", a->out, strerror(errno));
			return -1;
		}
	}
	if (a->file)
		rc = write_file(s, a, id, out);
	else
		rc = a->json ? mmt_report_json(s, id, out) : mmt_report_text(s, id, out);
	if (a->out) {
		if (fclose(out) && !rc)
			rc = -errno;
	} else if (fflush(out) && !rc) {
		rc = -errno;
	}
	if (rc && !(a->file && rc == -ENOENT)) /* that one was said already */
		fprintf(stderr, "mmtorture report: %s: run %lld: %s %s\n", a->db, (long long)id,
			strerror(-rc), mmt_store_errmsg(s));
	return rc ? -1 : 0;
}

int mmt_cmd_report(int argc, char **argv, const char *default_db)
{
	struct report_args a = {.db = default_db, .which = "latest"};
	struct mmt_store *s;
	int64_t id;
	int rc;

	rc = report_parse(argc, argv, &a);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (report_open(a.db, &s))
		return 2;
	rc = report_find(s, a.db, a.which, &id);
	if (!rc)
		rc = report_write(s, &a, id);
	mmt_store_close(s);
	return rc ? 2 : 0;
}

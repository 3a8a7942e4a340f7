// SPDX-License-Identifier: GPL-2.0
/* `mmtorture list` and `mmtorture restore`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "journal.h"
#include "workload.h"

static void list_all(void)
{
	size_t i;

	for (i = 0; i < mmt_nworkloads; i++)
		printf("%-16s %s\n", mmt_workloads[i]->name, mmt_workloads[i]->summary);
}

static void list_one(const struct mmt_workload *wl)
{
	const struct mmt_opt *o;
	char needs[128], range[256], *ops;
	unsigned i;

	mmt_needs_format(wl->needs, needs, sizeof(needs));
	printf("%s — %s\n\nmirrors: %s\nneeds:   %s\nops:    ", wl->name, wl->summary, wl->mirrors,
	       needs);
	for (i = 0; wl->ops[i]; i++)
		printf(" %s", wl->ops[i]);
	printf("\n\noptions (profile key = value, or -w %s:key=value,...):\n", wl->name);
	for (o = wl->opts; o && o->name; o++) {
		mmt_opt_range(o, range, sizeof(range));
		printf("  %-12s %-8s default %-7s %s\n  %12s %s\n", o->name,
		       mmt_opt_type_name(o->type), o->def, range, "", o->help);
	}
	for (i = 0; wl->kmsg_allow && wl->kmsg_allow[i]; i++)
		printf("%s%s\n", i ? "                         " : "\nexpected kernel log noise: ",
		       wl->kmsg_allow[i]);
	printf("\nevery job also takes: duration, workers, placement, repeat, with\n");
	(void)ops;
}

int mmt_cmd_list(int argc, char **argv)
{
	const struct mmt_workload *wl;
	size_t i;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: mmtorture list [WORKLOAD]\n\nWithout WORKLOAD: every workload, "
		       "one line each. With it: its options (type, default, range, help),\n"
		       "its ops and what it needs (root, THP, NUMA nodes, destructive).\n");
		return 0;
	}
	if (argc < 2) {
		list_all();
		return 0;
	}
	wl = mmt_workload_find(argv[1]);
	if (!wl) {
		fprintf(stderr, "mmtorture list: unknown workload '%s'; valid:", argv[1]);
		for (i = 0; i < mmt_nworkloads; i++)
			fprintf(stderr, " %s", mmt_workloads[i]->name);
		fprintf(stderr, "\n");
		return 2;
	}
	list_one(wl);
	return 0;
}

int mmt_cmd_restore(int argc, char **argv, const char *default_db)
{
	const char *db = default_db;
	struct mmt_journal j;
	char path[4200];
	int r;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: mmtorture restore [--db PATH]\n\nPut back every sysfs/sysctl value "
		       "recorded in the journal next to the database\n(DB.sysfs-journal) by a run "
		       "that did not finish. A run does this itself when it starts.\n");
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--db"))
		db = argv[2];
	else if (argc > 1) {
		fprintf(stderr, "mmtorture restore: unexpected argument '%s'; valid: --db PATH\n",
			argv[1]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s.sysfs-journal", db);
	r = mmt_journal_open(&j, path);
	if (r == -ENOENT) {
		printf("nothing to restore: no journal at %s\n", path);
		return 0;
	}
	if (r) {
		fprintf(stderr, "mmtorture restore: %s: %s\n", path,
			r == -EWOULDBLOCK ? "a run is in progress and owns it" : strerror(-r));
		return 2;
	}
	r = mmt_journal_restore(&j);
	mmt_journal_close(&j);
	if (r < 0) {
		fprintf(stderr, "mmtorture restore: %s: %s (kept for the next try)\n", path,
			strerror(-r));
		return 1;
	}
	printf("restored %d setting(s) from %s\n", r, path);
	return 0;
}

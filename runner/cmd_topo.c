// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture topo`: what the planner sees of a machine (this one, a synthetic
 * description or an hwloc XML file) and where each policy would put workers.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "topo.h"

#define TOPO_MAX_WORKERS (1 << 20)

static const char *const topo_policies[] = {"per-core", "per-node", "per-package", "compact",
					    "spread"};

static void topo_usage(FILE *out)
{
	fprintf(out,
		"usage: mmtorture topo [--synthetic DESC] [--workers N] [--placement P]\n"
		"Show the topology and where each placement policy puts N workers.\n"
		"  --synthetic DESC  an hwloc synthetic description (\"pack:2 numa:2 core:16 "
		"pu:2\")\n"
		"                    or the path of an hwloc XML file, instead of this machine\n"
		"  --workers N       plan N workers (default: each policy's own default)\n"
		"  --placement P     only this policy: per-core, per-node, per-package, compact,\n"
		"                    spread or cpus=LIST (OS cpu numbers, \"cpus=0-3,8\")\n"
		"  -h, --help        this text\n");
}

static int parse_workers(const char *s, int *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > TOPO_MAX_WORKERS) {
		fprintf(stderr, "mmtorture topo: bad --workers '%s'; want a number from 1 to %d\n",
			s, TOPO_MAX_WORKERS);
		return -EINVAL;
	}
	*n = v;
	return 0;
}

static int bad_option(char **argv, int opt)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		fprintf(stderr, "mmtorture topo: option '%s' needs a value\n", arg);
	else if (optopt)
		fprintf(stderr, "mmtorture topo: unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "mmtorture topo: unknown option '%s'\n", arg);
	fprintf(stderr, "valid: --synthetic DESC, --workers N, --placement P, -h/--help\n");
	return 2;
}

/* A cpus= list naming a cpu the topology lacks is the user's mistake: say which. */
static int check_cpus(const struct mmt_topo *t, const struct mmt_placement *p)
{
	int i, j, lo = t->pu[0].os, hi = t->pu[0].os;

	for (i = 0; i < t->npu; i++) {
		lo = t->pu[i].os < lo ? t->pu[i].os : lo;
		hi = t->pu[i].os > hi ? t->pu[i].os : hi;
	}
	for (i = 0; p->policy == MMT_PLACE_CPUS && i < p->ncpus; i++) {
		for (j = 0; j < t->npu && t->pu[j].os != p->cpus[i]; j++)
			;
		if (j == t->npu) {
			fprintf(stderr,
				"mmtorture topo: --placement: cpu %d is not in the topology (%d "
				"PUs, OS indexes %d-%d)\n",
				p->cpus[i], t->npu, lo, hi);
			return -EINVAL;
		}
	}
	return 0;
}

static int show(const char *from, int nworkers, const struct mmt_placement *only)
{
	struct mmt_placement p;
	struct mmt_topo t;
	char err[256];
	size_t i;
	int ret;

	ret = mmt_topo_load(&t, from, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "mmtorture topo: %s\n", err);
		return from ? 2 : 1;
	}
	if (only && check_cpus(&t, only) < 0) {
		mmt_topo_free(&t);
		return 2;
	}
	if (from)
		printf("source: %s\n", from);
	mmt_topo_print(&t, stdout);
	for (i = 0; i < MMT_ARRAY_SIZE(topo_policies) && !only; i++) {
		if (mmt_placement_parse(topo_policies[i], &p, NULL, 0) < 0)
			continue;
		printf("\n");
		mmt_plan_print(&t, &p, nworkers, stdout);
	}
	if (only) {
		printf("\n");
		mmt_plan_print(&t, only, nworkers, stdout);
	}
	mmt_topo_free(&t);
	return 0;
}

int mmt_cmd_topo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"synthetic", required_argument, NULL, 's'},
		{"workers", required_argument, NULL, 'w'},
		{"placement", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* Big (the cpus list): static, the command runs once. */
	static struct mmt_placement only;
	const char *from = NULL;
	int opt, nworkers = 0, have_only = 0;
	char err[256];

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			from = optarg;
			break;
		case 'w':
			if (parse_workers(optarg, &nworkers) < 0)
				return 2;
			break;
		case 'p':
			if (mmt_placement_parse(optarg, &only, err, sizeof(err)) < 0) {
				fprintf(stderr, "mmtorture topo: --placement: %s\n", err);
				return 2;
			}
			have_only = 1;
			break;
		case 'h':
			topo_usage(stdout);
			return 0;
		default:
			return bad_option(argv, opt);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmtorture topo: unexpected argument '%s'\n", argv[optind]);
		topo_usage(stderr);
		return 2;
	}
	return show(from, nworkers, have_only ? &only : NULL);
}

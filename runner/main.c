// SPDX-License-Identifier: GPL-2.0
/* mmtorture: a torture suite for the Linux kernel's memory-management subsystem. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "config.h"
#include "gitrev.h"
#include "main.h"
#include "workload.h"

static const char usage[] =
	"usage: mmtorture COMMAND [options]\n"
	"\n"
	"Torture the kernel's memory management with stressors that recreate real mm\n"
	"regressions, pinned over the topology; record per-op latency and every failure\n"
	"(wrong data, signals, OOM, hangs, kernel log splats, taint) in a results store.\n"
	"\n"
	"commands:\n"
	"  run [PROFILE.ini] [-w W[:opt=val,...]]...   run a profile or jobs (default profile: "
	"quick)\n"
	"  list [WORKLOAD]                              workloads; a workload's options and needs\n"
	"  topo [--synthetic DESC|XML]                  the topology and each placement's plan\n"
	"  report [RUN-ID|latest] [--json]              a stored run, job by job\n"
	"  compare --baseline SEL --candidate SEL       regressions between two sets of runs\n"
	"  plot [SEL...] --out DIR                      gnuplot plots of stored runs across "
	"kernels/arches\n"
	"  html [SEL...] --out DIR                      a self-contained HTML report with those "
	"plots\n"
	"  import STREAM-FILE...                        store runs sent with run --stream\n"
	"  restore                                      put back sysfs/sysctl values a dead run "
	"left\n"
	"  vm fetch SPEC... | vm list                   kernels for QEMU guests: fetch into the "
	"cache, list\n"
	"  vm run --kernel SPEC [PROFILE] [-w ...]      a profile inside a QEMU guest, imported "
	"here\n"
	"  vm matrix FILE.ini                           kernels x profiles in guests, one table\n"
	"  vm hotplug --kernel SPEC [--cycles N]        memory hotplug -> reboot -> unplug cycles "
	"in a guest\n"
	"  help                                         this text\n"
	"\n"
	"Each command takes --help. Results: results/mmtorture.db ($MMTORTURE_DB), see\n"
	"mmtorture(1).\n";

/* `mmtorture __exec WORKLOAD args...`: a workload re-executing itself. */
static int exec_workload(int argc, char **argv)
{
	const struct mmt_workload *wl = argc > 2 ? mmt_workload_find(argv[2]) : NULL;

	if (!wl || !wl->exec_main)
		return fprintf(stderr, "mmtorture: __exec: no such workload entry\n"), 2;
	return wl->exec_main(argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "__exec"))
		return exec_workload(argc, argv);
	if (!strcmp(cmd, "__guest-hotplug"))
		return mmt_guest_hotplug_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return mmt_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return mmt_cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "topo"))
		return mmt_cmd_topo(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return mmt_cmd_report(argc - 1, argv + 1, mmt_default_db());
	if (!strcmp(cmd, "compare"))
		return mmt_cmd_compare(argc - 1, argv + 1, mmt_default_db());
	if (!strcmp(cmd, "plot") || !strcmp(cmd, "html"))
		return mmt_cmd_plot(argc - 1, argv + 1, mmt_default_db());
	if (!strcmp(cmd, "import"))
		return mmt_cmd_import(argc - 1, argv + 1, mmt_default_db());
	if (!strcmp(cmd, "restore"))
		return mmt_cmd_restore(argc - 1, argv + 1, mmt_default_db());
	if (!strcmp(cmd, "vm"))
#if HAVE_VM
		return mmt_cmd_vm(argc - 1, argv + 1);
#else
		return fprintf(stderr, "mmtorture: vm: built without guest support (-Dvm: "
				       "libarchive, libkmod, liblzma, libzstd, liblz4)\n"),
		       2;
#endif
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("mmtorture %s (%s)\n", MMT_VERSION, MMT_GIT_REV);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return argc > 1 ? 0 : 2;
	}
	fprintf(stderr,
		"mmtorture: unknown command '%s'; valid: run, list, topo, report, compare, plot, "
		"html, import, restore, vm, help\n",
		cmd);
	return 2;
}

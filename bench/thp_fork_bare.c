// SPDX-License-Identifier: GPL-2.0
/*
 * thp_fork with no harness: the workload's own code, compiled with
 * MMT_BENCH_BARE (no timestamps, no histograms), run in one forked process
 * pinned like a worker, with no monitor, no kmsg watch and no results store.
 * Prints the elapsed time and the kernel's counters for the window, so that
 * bench/thp_fork_overhead.sh can price the harness as a ratio.
 *
 * usage: thp_fork_bare SECONDS CPU [opt=val,...]
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

extern const struct mmt_workload mmt_wl_thp_fork;

static unsigned long long vmstat(const char *key)
{
	char k[64];
	unsigned long long v, found = 0;
	FILE *f = fopen("/proc/vmstat", "re");

	while (f && fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

static int set_opts(const struct mmt_workload *wl, void *opts, char *arg)
{
	char err[512], *save = NULL, *kv, *eq;

	if (mmt_opt_defaults(wl->opts, opts))
		return -1;
	for (kv = arg ? strtok_r(arg, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
		eq = strchr(kv, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		if (mmt_opt_set(wl->opts, opts, kv, eq + 1, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
	}
	return 0;
}

static unsigned nops(const struct mmt_workload *wl)
{
	unsigned n = 0;

	while (wl->ops[n])
		n++;
	return n;
}

static __attribute__((noreturn)) void worker(const struct mmt_workload *wl, struct mmt_shared *sh,
					     void *opts, int cpu)
{
	struct mmt_worker w;
	cpu_set_t set;
	void *state = NULL;
	int r;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* MMT_BENCH_BIND=1: bind memory to node 0 as a worker is, to price that alone. */
	if (getenv("MMT_BENCH_BIND")) {
		unsigned long mask = 1;

		syscall(SYS_set_mempolicy, 2 /* MPOL_BIND */, &mask, 64);
	}
	mmt_worker_init(&w, sh, 0, 1, opts);
	r = wl->setup(&w, &state);
	if (!r)
		r = wl->run(&w, state);
	wl->teardown(&w, state);
	_exit(r ? 99 : 0);
}

int main(int argc, char **argv)
{
	const struct mmt_workload *wl = &mmt_wl_thp_fork;
	const char *keys[] = {"pgfault", "thp_split_pmd", "thp_fault_alloc"};
	unsigned long long before[3], after[3];
	struct mmt_shared *sh;
	uint64_t t0, t1;
	void *opts;
	int status, i;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SECONDS CPU [opt=val,...]\n", argv[0]);
		return 2;
	}
	opts = calloc(1, wl->opts_size);
	if (set_opts(wl, opts, argc > 3 ? argv[3] : NULL) ||
	    mmt_shared_create(&sh, 1, wl->recorders(opts), nops(wl)))
		return 2;
	for (i = 0; i < 3; i++)
		before[i] = vmstat(keys[i]);
	t0 = mmt_mono_ns();
	pid = fork();
	if (pid == 0)
		worker(wl, sh, opts, atoi(argv[2]));
	usleep((useconds_t)(atof(argv[1]) * 1e6));
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	waitpid(pid, &status, 0);
	t1 = mmt_mono_ns();
	for (i = 0; i < 3; i++)
		after[i] = vmstat(keys[i]);
	printf("elapsed_ns %llu", (unsigned long long)(t1 - t0));
	for (i = 0; i < 3; i++)
		printf(" %s %llu", keys[i], after[i] - before[i]);
	printf(" status %d\n", status);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}

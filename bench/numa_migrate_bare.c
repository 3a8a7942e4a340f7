// SPDX-License-Identifier: GPL-2.0
/*
 * numa_migrate with no harness: the same kernel operations as
 * `numa_migrate:mode=move_pages,cow=no` (move_pages of the whole region to the
 * next memory node, `batch` pages per call, then a move_pages status query of
 * the region; writer threads rewriting their pages meanwhile; the main thread
 * rewriting its eighth after each round), with no tags, no verification, no
 * timing and no stats. Pinned to CPU (its threads too; -1: not pinned) and with
 * memory bound to the first node, as a worker is. Prints the elapsed time and
 * the kernel's migration counters for the window.
 *
 * usage: numa_migrate_bare SECONDS CPU [SIZE_MB [THREADS [BATCH [thp]]]]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity, when built on its own */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXNODE 1024

static char *base;
static size_t len, pg, unit, nmain;
static unsigned nthreads;
static volatile int stop;

static unsigned long long vmstat(const char *key)
{
	unsigned long long v, found = 0;
	char k[64];
	FILE *f = fopen("/proc/vmstat", "re");

	while (f && fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Memory nodes from has_memory ("0-1", "0,2"); returns how many. */
static int mem_nodes(int *nodes, int max)
{
	char buf[256], *p = buf, *end;
	long a, b;
	int n = 0;
	FILE *f = fopen("/sys/devices/system/node/has_memory", "re");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	while (*p && *p != '\n') {
		a = strtol(p, &end, 10);
		b = *end == '-' ? strtol(end + 1, &end, 10) : a;
		for (; a <= b && n < max; a++)
			nodes[n++] = (int)a;
		if (*end != ',')
			break;
		p = end + 1;
	}
	return n;
}

static void *writer(void *arg)
{
	size_t t = (size_t)(uintptr_t)arg, i, npages = len / pg;
	unsigned char gen = 0;

	while (!stop) {
		gen++;
		for (i = nmain / pg + t; i < npages && !stop; i += nthreads)
			memset(base + i * pg, gen, pg);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, t0, t1;
	int cpu = argc > 2 ? atoi(argv[2]) : -1;
	size_t mb = argc > 3 ? strtoul(argv[3], NULL, 0) : 16;
	size_t batch = argc > 5 ? strtoul(argv[5], NULL, 0) : 256, nunits, off, n, u;
	int thp = argc > 6 && !strcmp(argv[6], "thp"), nodes[64], nn, target = 0, rounds = 0;
	unsigned long mask[MAXNODE / 64] = {0};
	unsigned long long m0, m1, t0m, t1m;
	pthread_t tid[16];
	cpu_set_t set;
	void **addr;
	int *tn, *st;
	unsigned i;
	char *map;

	nthreads = argc > 4 ? (unsigned)atoi(argv[4]) : 2;
	if (nthreads > 16)
		nthreads = 16;
	nn = mem_nodes(nodes, 64);
	if (nn < 2) {
		printf("SKIP needs >= 2 memory nodes; this machine has %d\n", nn);
		return 77;
	}
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	mask[nodes[0] / 64] = 1ul << (nodes[0] % 64);
	if (syscall(SYS_set_mempolicy, 2 /* MPOL_BIND */, mask, MAXNODE + 1))
		perror("set_mempolicy");
	pg = (size_t)sysconf(_SC_PAGESIZE);
	unit = thp ? 2u << 20 : pg;
	len = mb << 20;
	nunits = len / unit;
	nmain = (nunits / 8 ? nunits / 8 : 1) * unit;
	map = mmap(NULL, len + unit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return perror("mmap"), 1;
	base = (char *)(((uintptr_t)map + unit - 1) & ~(uintptr_t)(unit - 1));
	madvise(base, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(base, 1, len);
	addr = calloc(nunits, sizeof(*addr));
	tn = calloc(nunits, sizeof(*tn));
	st = calloc(nunits, sizeof(*st));
	if (!addr || !tn || !st)
		return 1;
	for (u = 0; u < nunits; u++)
		addr[u] = base + u * unit;
	for (i = 0; i < nthreads; i++)
		pthread_create(&tid[i], NULL, writer, (void *)(uintptr_t)i);
	m0 = vmstat("pgmigrate_success");
	t0m = vmstat("thp_migration_success");
	t0 = now();
	while (now() - t0 < secs) {
		target = (target + 1) % nn;
		for (u = 0; u < nunits; u++)
			tn[u] = nodes[target];
		for (off = 0; off < nunits; off += n) {
			n = nunits - off < batch ? nunits - off : batch;
			if (syscall(SYS_move_pages, 0, n, addr + off, tn + off, st + off, 2) < 0)
				return perror("move_pages"), 1;
		}
		for (off = 0; off < nunits; off += n) {
			n = nunits - off < batch ? nunits - off : batch;
			syscall(SYS_move_pages, 0, n, addr + off, NULL, st + off, 0);
		}
		memset(base, rounds++, nmain);
	}
	t1 = now();
	m1 = vmstat("pgmigrate_success");
	t1m = vmstat("thp_migration_success");
	stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	printf("elapsed_ns %.0f pgmigrate_success %llu thp_migration_success %llu rounds %d\n",
	       (t1 - t0) * 1e9, m1 - m0, t1m - t0m, rounds);
	return 0;
}

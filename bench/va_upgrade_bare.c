// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel operations of va_upgrade's round, bare: the same hinted and fixed
 * mmaps around the top of the VA window (x86_64: 1 << 47, one guard page),
 * every mapping written whole and unmapped, the munmap/mremap-across calls,
 * the kept "above" and "-1" mappings, and a fork after the high mapping whose
 * child reads and writes the region: no timing, no tags, no verification.
 * This host is flat (no LA57), so it replays the workload's flat side.
 *
 * usage: va_upgrade_bare SECONDS FORK_EVERY [PAGES]   prints "rounds N elapsed_ns T"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
int main(void)
{
	puts("SKIP: the bare loop replays the x86_64 window only");
	return 77;
}
#else
#define B ((uintptr_t)1 << 47)
#define A ((uintptr_t)1 << 48)

static size_t pg, n;

struct c {
	uintptr_t hint;
	size_t pages; /* 0: n */
	int flags, keep;
};

static void *map(uintptr_t at, size_t len, int flags)
{
	return mmap((void *)at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		    -1, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sweep(const struct c *cs, unsigned ncs, void **kept, size_t *keptlen, unsigned *nk)
{
	unsigned k;
	size_t len;
	char *p;

	for (k = 0; k < ncs; k++) {
		len = (cs[k].pages ? cs[k].pages : n) * pg;
		p = map(cs[k].hint, len, cs[k].flags);
		if (p == MAP_FAILED)
			continue;
		memset(p, (int)k + 1, len);
		if (cs[k].keep) {
			kept[*nk] = p;
			keptlen[(*nk)++] = len;
		} else {
			munmap(p, len);
		}
	}
	/* munmap across the top of the window: both refused, the page stays. */
	p = map(B - 2 * pg, pg, MAP_FIXED_NOREPLACE);
	if (p != MAP_FAILED) {
		memset(p, 1, pg);
		munmap((void *)(B - pg), 2 * pg);
		munmap(p, 3 * pg);
		munmap(p, pg);
	}
	/* mremap to the boundary and growing across it: both refused. */
	p = map(B - 2 * pg, pg, MAP_FIXED_NOREPLACE);
	if (p != MAP_FAILED) {
		memset(p, 2, pg);
		mremap(p, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)B);
		mremap(p, pg, 4 * pg, 0);
		munmap(p, pg);
	}
}

static void fork_round(char *region, size_t len, unsigned round)
{
	int pfd[2], st;
	char b;
	pid_t pid;

	memset(region, (int)round, len);
	if (pipe(pfd))
		exit(1);
	pid = fork();
	if (pid == 0) {
		while (read(pfd[0], &b, 1) < 0)
			;
		for (size_t i = 0; i < len; i += pg)
			if (region[i] != (char)round)
				_exit(1);
		memset(region, (int)round + 2, len);
		_exit(0);
	}
	memset(region, (int)round + 1, len);
	(void)!write(pfd[1], "", 1);
	waitpid(pid, &st, 0);
	close(pfd[0]);
	close(pfd[1]);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	unsigned fork_every = argc > 2 ? (unsigned)atoi(argv[2]) : 1, nk, i;
	uint64_t t0, end, rounds = 0;
	void *kept[4];
	size_t keptlen[4], flen;
	char *region;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	n = argc > 3 ? (size_t)atoi(argv[3]) : 2;
	const struct c cs[] = {
		{B - 2 * pg, 1, 0, 0},
		{B - 2 * pg, 0, 0, 0},
		{B - pg, 1, 0, 0},
		{B, 1, 0, 0},
		{A, 0, 0, 1},
		{B, 0, MAP_FIXED, 0},
		{B, 0, MAP_FIXED_NOREPLACE, 0},
		{A + A / 2, 0, MAP_FIXED, 0},
		{A + A / 2, 0, MAP_FIXED_NOREPLACE, 0},
		{B - pg, 0, MAP_FIXED, 0},
		{B - 2 * pg, 1, MAP_FIXED_NOREPLACE, 0},
		{0, 0, 0, 0},
		{(uintptr_t)1 << 30, 0, 0, 0},
		{~(uintptr_t)0, 0, 0, 1},
	};
	flen = n * pg;
	region = map(B - pg - 64 * flen, flen, 0);
	if (region == MAP_FAILED)
		return 1;
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (now_ns() < end) {
		rounds++;
		nk = 0;
		sweep(cs, sizeof(cs) / sizeof(cs[0]), kept, keptlen, &nk);
		if (fork_every && rounds % fork_every == 0)
			fork_round(region, flen, (unsigned)rounds);
		for (i = 0; i < nk; i++)
			munmap(kept[i], keptlen[i]);
	}
	printf("rounds %llu elapsed_ns %llu\n", (unsigned long long)rounds,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}
#endif

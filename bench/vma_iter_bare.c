// SPDX-License-Identifier: GPL-2.0
/*
 * vma_iter with no harness: the same arena (N one-page VMAs with alternating
 * protections and a one-page hole after each, a PROT_NONE guard page at each
 * end), one thread reading /proc/self/maps in 1 MiB read()s and one toggling
 * mprotect(PROT_NONE) and back on every 8th VMA; no timing, no checks, no
 * tags. The window starts before the arena is built, as a job's elapsed time
 * does, and ends when both threads have stopped.
 *
 * usage: vma_iter_bare SECONDS NVMAS
 * prints: elapsed_ns E reads R lines_per_read L toggles T
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define SPACING 8

static volatile int stop;
static char *lo;
static size_t n, pg;
static uint64_t reads, lines, toggles;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int build(void)
{
	size_t stride = 2 * pg, len = n * stride + 2 * pg, i;
	char *res = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (res == MAP_FAILED)
		return -1;
	lo = res + pg;
	munmap(lo, n * stride);
	for (i = 0; i < n; i++) {
		char *a = lo + i * stride;

		if (mmap(a, pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != a)
			return -1;
		memset(a, (int)i, pg);
		if ((i & 1) && mprotect(a, pg, PROT_READ))
			return -1;
	}
	return 0;
}

static void *reader(void *arg)
{
	char *buf = malloc(CHUNK);
	ssize_t r;
	int fd;

	(void)arg;
	while (buf && !stop) {
		fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		while ((r = read(fd, buf, CHUNK)) > 0)
			if (!reads) /* count the lines of the first read only */
				for (ssize_t k = 0; k < r; k++)
					lines += buf[k] == '\n';
		close(fd);
		reads++;
	}
	free(buf);
	return NULL;
}

static void *writer(void *arg)
{
	size_t slot = 1, nslots = (n - 2) / SPACING;
	char *a;

	(void)arg;
	while (nslots && !stop) {
		a = lo + slot * SPACING * 2 * pg;
		mprotect(a, pg, PROT_NONE);
		mprotect(a, pg, PROT_READ | PROT_WRITE);
		toggles += 2;
		slot = slot % nslots + 1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t rt, wt;
	uint64_t t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SECONDS NVMAS\n", argv[0]);
		return 2;
	}
	pg = (size_t)sysconf(_SC_PAGESIZE);
	n = strtoul(argv[2], NULL, 10);
	t0 = now_ns();
	if (n < 16 || build()) {
		perror("building the arena");
		return 1;
	}
	pthread_create(&rt, NULL, reader, NULL);
	pthread_create(&wt, NULL, writer, NULL);
	while (now_ns() - t0 < (uint64_t)(atof(argv[1]) * 1e9))
		usleep(10000);
	stop = 1;
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	t1 = now_ns();
	printf("elapsed_ns %llu reads %llu lines_per_read %llu toggles %llu\n",
	       (unsigned long long)(t1 - t0), (unsigned long long)reads, (unsigned long long)lines,
	       (unsigned long long)toggles);
	return 0;
}

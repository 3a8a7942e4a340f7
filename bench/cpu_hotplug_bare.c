// SPDX-License-Identifier: GPL-2.0
/*
 * The bare loop cpu_hotplug is measured against: the same kernel operations
 * (one thread pinned to the CPU freeing and refaulting 4 MiB of base pages,
 * pinned back after each online; the CPU offlined and onlined through
 * cpuN/online, waiting up to 50 ms after each online for the thread to have
 * run a pass on it) with no timing, stats or verification. Leaves the CPU
 * online.
 *
 * With a third argument "raw": no filler thread and no waiting, only the two
 * writes: the kernel's own floor for offline + online of that CPU.
 *
 * usage: cpu_hotplug_bare SECONDS [CPU [raw]] -> "cycles N elapsed_ns N"
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FILLER (4u << 20)

static unsigned cpu = 1;
static volatile int stop, offline;
static volatile uint64_t epoch, settled;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pin(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

static void *filler(void *arg)
{
	char *p = mmap(NULL, FILLER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pinned = !pin();
	uint64_t e;
	cpu_set_t s;
	unsigned g = 0;

	(void)arg;
	madvise(p, FILLER, MADV_NOHUGEPAGE);
	while (!stop) {
		e = epoch;
		if (!sched_getaffinity(0, sizeof(s), &s) &&
		    !(CPU_COUNT(&s) == 1 && CPU_ISSET(cpu, &s)))
			pinned = 0;
		if (!pinned && !offline)
			pinned = !pin();
		madvise(p, FILLER, MADV_DONTNEED);
		memset(p, (int)++g, FILLER);
		if (pinned)
			settled = e;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t secs = argc > 1 ? strtoull(argv[1], NULL, 10) : 5, t0, dl, cycles = 0;
	char path[96];
	cpu_set_t keep;
	pthread_t tid;
	int fd, raw;

	if (argc > 2)
		cpu = (unsigned)atoi(argv[2]);
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 77;
	/* Off the CPU it offlines, as the workload's worker moves itself. */
	sched_getaffinity(0, sizeof(keep), &keep);
	CPU_CLR(cpu, &keep);
	sched_setaffinity(0, sizeof(keep), &keep);
	raw = argc > 3 && !strcmp(argv[3], "raw");
	if (!raw)
		pthread_create(&tid, NULL, filler, NULL);
	t0 = now_ns();
	while (now_ns() - t0 < secs * 1000000000ull) {
		offline = 1;
		if (pwrite(fd, "0", 1, 0) != 1) {
			offline = 0;
			usleep(10000);
			continue;
		}
		if (pwrite(fd, "1", 1, 0) != 1)
			break;
		offline = 0;
		epoch++;
		cycles++;
		dl = now_ns() + 50000000ull;
		while (!raw && settled != epoch && now_ns() < dl)
			usleep(200);
	}
	t0 = now_ns() - t0;
	stop = 1;
	if (!raw)
		pthread_join(tid, NULL);
	(void)!pwrite(fd, "1", 1, 0);
	printf("cycles %llu elapsed_ns %llu\n", (unsigned long long)cycles, (unsigned long long)t0);
	return 0;
}

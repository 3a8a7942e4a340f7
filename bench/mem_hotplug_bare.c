// SPDX-License-Identifier: GPL-2.0
/*
 * The bare loop mem_hotplug is measured against: the same kernel operations
 * (a filler of base pages rewritten by one thread, a pagemap scan every
 * 200 ms to find the blocks holding it, offline through memoryN/online, online
 * again, busy blocks backing off 10 ms .. 5 s) with no timing, stats or
 * verification. Puts every block it offlined back online before it exits.
 *
 * usage: mem_hotplug_bare SECONDS [FILLER_MIB] -> "cycles N busy N elapsed_ns N"
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_DIR "/sys/devices/system/memory"
#define MAXB 1024

struct blk {
	unsigned id;
	int fd;
	unsigned streak, pages;
	uint64_t retry;
};

static struct blk blk[MAXB];
static unsigned nblk, maxid, *slot;
static char *base;
static size_t npages, pg;
static volatile int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int rd(unsigned id, const char *a, char *buf, size_t len)
{
	char p[128];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), MEM_DIR "/memory%u/%s", id, a);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return (int)((const struct blk *)a)->id - (int)((const struct blk *)b)->id;
}

static void find_blocks(void)
{
	DIR *d = opendir(MEM_DIR);
	struct dirent *e;
	char st[32], vz[64], p[128];
	unsigned id, i;

	while (d && (e = readdir(d)) && nblk < MAXB) {
		if (sscanf(e->d_name, "memory%u", &id) != 1)
			continue;
		if (rd(id, "state", st, sizeof(st)) || strcmp(st, "online") ||
		    rd(id, "valid_zones", vz, sizeof(vz)) || !strcmp(vz, "none"))
			continue;
		snprintf(p, sizeof(p), MEM_DIR "/memory%u/online", id);
		blk[nblk].id = id;
		blk[nblk].fd = open(p, O_WRONLY);
		if (blk[nblk].fd >= 0)
			nblk++;
	}
	if (d)
		closedir(d);
	qsort(blk, nblk, sizeof(blk[0]), cmp);
	for (i = 0; i < nblk; i++)
		maxid = blk[i].id > maxid ? blk[i].id : maxid;
	slot = calloc(maxid + 1, sizeof(*slot));
	for (i = 0; i < nblk; i++)
		slot[blk[i].id] = i + 1;
}

static void *writer(void *arg)
{
	unsigned gen = 0;
	size_t i;

	(void)arg;
	while (!stop) {
		gen++;
		for (i = 0; i < npages; i++)
			memset(base + i * pg, (int)(gen + i), pg);
	}
	return NULL;
}

static void scan(int pm, uint64_t *buf, uint64_t bsz)
{
	uint64_t e, pfn, id;
	size_t i;

	if (pread(pm, buf, npages * 8, (off_t)((uintptr_t)base / pg * 8)) != (ssize_t)(npages * 8))
		return;
	for (i = 0; i < nblk; i++)
		blk[i].pages = 0;
	for (i = 0; i < npages; i++) {
		e = buf[i];
		pfn = e & ((1ull << 55) - 1);
		if (!(e >> 63) || !pfn)
			continue;
		id = pfn * pg / bsz;
		if (id <= maxid && slot[id])
			blk[slot[id] - 1].pages++;
	}
}

static struct blk *pick(unsigned *cursor, uint64_t t)
{
	struct blk *best = NULL, *b;
	unsigned k;

	for (k = 0; k < nblk; k++) {
		b = &blk[(*cursor + k) % nblk];
		if (b->retry > t)
			continue;
		if (!best || b->pages > best->pages)
			best = b;
	}
	if (best)
		*cursor = (unsigned)(best - blk + 1) % nblk;
	return best;
}

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt the offline write, as the workload's nanny does */
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	sigset_t alrm;
	uint64_t secs = argc > 1 ? strtoull(argv[1], NULL, 10) : 5, t0, t, next_scan = 0, d;
	size_t mib = argc > 2 ? strtoull(argv[2], NULL, 10) : 256;
	uint64_t cycles = 0, busy = 0, bsz, *pmbuf;
	unsigned cursor = 0;
	struct blk *b;
	pthread_t tid;
	char buf[64];
	int pm;

	sigaction(SIGALRM, &sa, NULL);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	npages = mib * 1048576 / pg;
	find_blocks();
	if (!nblk || rd(0, "../block_size_bytes", buf, sizeof(buf)))
		return 77;
	bsz = strtoull(buf, NULL, 16);
	base = mmap(NULL, npages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pmbuf = malloc(npages * 8);
	if (base == MAP_FAILED || !pmbuf)
		return 1;
	madvise(base, npages * pg, MADV_NOHUGEPAGE);
	memset(base, 1, npages * pg);
	pm = open("/proc/self/pagemap", O_RDONLY);
	/* The writer thread inherits SIGALRM blocked: the alarm lands on this thread. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	pthread_create(&tid, NULL, writer, NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	t0 = now_ns();
	while ((t = now_ns()) - t0 < secs * 1000000000ull) {
		if (pm >= 0 && t >= next_scan) {
			scan(pm, pmbuf, bsz);
			next_scan = t + 200000000ull;
		}
		b = pick(&cursor, t);
		if (!b) {
			usleep(5000);
			continue;
		}
		alarm(5); /* the workload's default `timeout` */
		d = pwrite(b->fd, "0", 1, 0) != 1;
		alarm(0);
		if (d) {
			busy++;
			d = 10000000ull << (b->streak < 10 ? b->streak : 10);
			b->streak++;
			b->retry = t + (d < 5000000000ull ? d : 5000000000ull);
			continue;
		}
		b->streak = 0;
		if (pwrite(b->fd, "1", 1, 0) == 1)
			cycles++;
	}
	t = now_ns() - t0;
	stop = 1;
	pthread_join(tid, NULL);
	for (cursor = 0; cursor < nblk; cursor++)
		(void)!pwrite(blk[cursor].fd, "1", 1, 0); /* online already: a no-op */
	printf("cycles %llu busy %llu elapsed_ns %llu\n", (unsigned long long)cycles,
	       (unsigned long long)busy, (unsigned long long)t);
	return 0;
}

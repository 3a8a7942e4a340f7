// SPDX-License-Identifier: GPL-2.0
/*
 * thp_gup's kernel operations with nothing else: one I/O thread moving a 64K
 * window of THP memory through O_DIRECT pwrite/pread, io_uring fixed buffers
 * (register, WRITE_FIXED, READ_FIXED, unregister), vmsplice + pipe read, and a
 * forked helper's process_vm_writev/readv; one splitter re-forming each THP
 * (re-fault or MADV_COLLAPSE, alternately) and splitting it (MADV_DONTNEED of
 * a subpage + re-fault, mprotect, partial mremap, fork + child write), in the
 * same order as the workload. No timing, no stats, no verification, no
 * protocol between the threads.
 *
 * usage: thp_gup_bare SECONDS [SIZE_MB] [DIR]
 * prints: elapsed_ns N io_cycles N splitter_visits N
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#if HAVE_URING
#include <liburing.h>
#endif

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define HP (2ul << 20)
#define PG 4096ul
#define BS (64ul << 10)

static char *base;
static size_t len, nthp;
static volatile int stop;
static uint64_t io_cycles, visits;
static int fd = -1, pipefd[2], cmd[2], done[2];
static pid_t parent;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void helper(void)
{
	char *buf = malloc(BS), *buf2 = malloc(BS);
	uint64_t addr;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(cmd[1]);
	memset(buf, 0x5a, BS);
	while (read(cmd[0], &addr, sizeof(addr)) == sizeof(addr)) {
		struct iovec l = {buf, BS}, l2 = {buf2, BS}, r = {(void *)addr, BS};

		(void)!process_vm_writev(parent, &l, 1, &r, 1, 0);
		(void)!process_vm_readv(parent, &l2, 1, &r, 1, 0);
		(void)!write(done[1], &addr, sizeof(addr));
	}
	_exit(0);
}

static void *io_main(void *arg)
{
	size_t slots = nthp * (HP / 2 / BS), s = 0;
	char *rbuf = malloc(BS);
	unsigned p = 0;
#if HAVE_URING
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct iovec none = {NULL, 0};
	int ring_ok =
		!io_uring_queue_init(8, &ring, 0) && !io_uring_register_buffers_sparse(&ring, 1);
#endif
	(void)arg;
	while (!stop) {
		char *a = base + (s / (HP / 2 / BS)) * HP + (s % (HP / 2 / BS)) * BS;
		struct iovec iov = {a, BS};
		uint64_t addr = (uintptr_t)a;
		size_t got;

		s = (s + 1) % slots;
		memset(a, (int)s, 1);
		switch (p++ % 4) {
		case 0:
			(void)!pwrite(fd, a, BS, 0);
			(void)!pread(fd, a, BS, 0);
			break;
		case 1:
#if HAVE_URING
			if (!ring_ok)
				break;
			io_uring_register_buffers_update_tag(&ring, 0, &iov, NULL, 1);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write_fixed(sqe, fd, a, BS, 0, 0);
			io_uring_submit_and_wait(&ring, 1);
			io_uring_wait_cqe(&ring, &cqe);
			io_uring_cqe_seen(&ring, cqe);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read_fixed(sqe, fd, a, BS, 0, 0);
			io_uring_submit_and_wait(&ring, 1);
			io_uring_wait_cqe(&ring, &cqe);
			io_uring_cqe_seen(&ring, cqe);
			io_uring_register_buffers_update_tag(&ring, 0, &none, NULL, 1);
#endif
			break;
		case 2:
			for (got = 0; got < BS;) {
				ssize_t r = vmsplice(pipefd[1], &iov, 1, SPLICE_F_NONBLOCK);

				if (r <= 0)
					break;
				got += (size_t)r;
				iov.iov_base = a + got;
				iov.iov_len = BS - got;
			}
			for (size_t n = 0; n < got;) {
				ssize_t r = read(pipefd[0], rbuf + n, got - n);

				if (r <= 0)
					break;
				n += (size_t)r;
			}
			break;
		case 3:
			(void)!write(cmd[1], &addr, sizeof(addr));
			(void)!read(done[0], &addr, sizeof(addr));
			break;
		}
		io_cycles++;
	}
	return NULL;
}

static void split(char *thp, char *scratch, uint64_t v)
{
	char *p = thp + HP / 2 + (v * 7919 % (HP / 2 / PG - 1)) * PG;
	pid_t pid;

	switch (v % 4) {
	case 0:
		madvise(p, PG, MADV_DONTNEED);
		memset(p, 1, PG);
		break;
	case 1:
		mprotect(p, 2 * PG, PROT_READ);
		mprotect(p, 2 * PG, PROT_READ | PROT_WRITE);
		break;
	case 2:
		mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, scratch);
		mremap(scratch, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p);
		mmap(scratch, HP, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 3:
		pid = fork();
		if (pid == 0) {
			memset(p, 0xc5, PG);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		break;
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	size_t mb = argc > 2 ? (size_t)atol(argv[2]) : 16;
	const char *dir = argc > 3 ? argv[3] : "/var/tmp";
	char path[512], *map, *scratch;
	uint64_t t0, end;
	pthread_t io;
	size_t t;

	len = mb << 20;
	nthp = len / HP;
	map = mmap(NULL, len + HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	scratch = mmap(NULL, HP, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || scratch == MAP_FAILED)
		return perror("mmap"), 1;
	base = (char *)(((uintptr_t)map + HP - 1) & ~(HP - 1));
	madvise(base, len, MADV_HUGEPAGE);
	for (t = 0; t < nthp; t++)
		base[t * HP] = 0;
	snprintf(path, sizeof(path), "%s/thp_gup_bare.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0)
		return perror("open"), 1;
	unlink(path);
	if (ftruncate(fd, BS) || pipe(pipefd) || pipe(cmd) || pipe(done))
		return perror("setup"), 1;
	fcntl(pipefd[1], F_SETPIPE_SZ, (int)BS);
	parent = getpid();
	if (fork() == 0)
		helper();
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	pthread_create(&io, NULL, io_main, NULL);
	while (now_ns() < end) {
		for (t = 0; t < nthp; t++, visits++) {
			char *thp = base + t * HP;

			if (visits & 1) {
				madvise(thp, HP, MADV_COLLAPSE);
			} else {
				madvise(thp, HP, MADV_DONTNEED);
				*(volatile char *)thp = 0;
			}
			split(thp, scratch, visits / 2);
		}
	}
	stop = 1;
	pthread_join(io, NULL);
	printf("elapsed_ns %llu io_cycles %llu splitter_visits %llu\n",
	       (unsigned long long)(now_ns() - t0), (unsigned long long)io_cycles,
	       (unsigned long long)visits);
	fflush(stdout);
	close(cmd[1]);
	wait(NULL);
	return 0;
}

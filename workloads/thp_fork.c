// SPDX-License-Identifier: GPL-2.0
/*
 * thp_fork — the THP fork/write storm.
 *
 * Stresses: fork's copy of PMD-mapped THPs (copy_huge_pmd), the write fault on
 * a shared THP (do_huge_pmd_wp_page: split the PMD, then COW one base page),
 * PMD splits by MADV_DONTNEED of a subpage, by mprotect of a sub-range and by
 * a partial mremap (__split_huge_pmd), racing writers on both sides of fork.
 *
 * Mirrors: 6.1-rc1, sparc64 dpkg segfaults after "mm/thp: carry over dirty bit
 * when thp splits on pmd": a PMD split produced wrong PTEs and user data was
 * corrupted. Every byte of every page is verified on both sides of each fork,
 * so a split that loses a write, maps a wrong page, or lets a write leak
 * across fork is caught and classified.
 *
 * A round: the worker forks `children`; each child writes a subset of its copy
 * (every page, one page per THP, or random pages) and forces splits in both
 * orders (split then write, write then split), then verifies its whole view;
 * meanwhile the worker's writer threads write half of the parent's pages;
 * the worker reaps the children and verifies its own view. Every `refresh`
 * rounds the region is dropped and faulted in again as fresh THPs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thp.h"
#include "workload.h"

enum { W_ALL, W_ONE_PER_THP, W_RANDOM };
enum { S_DONTNEED, S_MPROTECT, S_MREMAP, S_ROTATE };
enum { O_SPLIT_FIRST, O_WRITE_FIRST, O_BOTH };
enum { INJ_NONE, INJ_SEGV, INJ_CORRUPT, INJ_HANG };
enum { OP_FORK, OP_COW, OP_SPLIT, OP_WAIT, OP_VERIFY, OP_THP_FAULT };

struct thp_fork_opts {
	int64_t size;
	int64_t children;
	int64_t threads;
	int write;
	int split;
	int order;
	int64_t thp_size;
	int64_t refresh;
	int inject;
};

static const char *const write_modes[] = {"all", "one-per-thp", "random", NULL};
static const char *const split_modes[] = {"dontneed", "mprotect", "mremap", "rotate", NULL};
static const char *const orders[] = {"split-first", "write-first", "both", NULL};
static const char *const injects[] = {"none", "segv", "corrupt", "hang", NULL};

#define OFF(f) offsetof(struct thp_fork_opts, f)
static const struct mmt_opt thp_fork_options[] = {
	{"size", MMT_OPT_SIZE, OFF(size), 2 << 20, 1ll << 40, "64M", NULL,
	 "region per worker, faulted in as THPs"},
	{"children", MMT_OPT_INT, OFF(children), 1, 32, "2", NULL, "children forked per round"},
	{"threads", MMT_OPT_INT, OFF(threads), 0, 16, "1", NULL,
	 "parent threads writing while the children run"},
	{"write", MMT_OPT_ENUM, OFF(write), 0, 0, "all", write_modes,
	 "what each child writes: every page, one page per THP, random pages (1 in 8)"},
	{"split", MMT_OPT_ENUM, OFF(split), 0, 0, "rotate", split_modes,
	 "how children split PMDs: MADV_DONTNEED of a subpage, mprotect of a sub-range, "
	 "partial mremap, or each in turn"},
	{"order", MMT_OPT_ENUM, OFF(order), 0, 0, "both", orders,
	 "split then write, write then split, or alternate per THP"},
	{"thp_size", MMT_OPT_SIZE, OFF(thp_size), 0, 1ll << 30, "0", NULL,
	 "THP size: 0 for the PMD size, or an mTHP size the kernel offers (set through "
	 "the journal)"},
	{"refresh", MMT_OPT_INT, OFF(refresh), 0, 1000000, "8", NULL,
	 "rounds between dropping the region and faulting fresh THPs (0: never)"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: a child dies of SIGSEGV, a page is corrupted before verify, "
	 "or the worker stops making progress"},
	{NULL},
};

static const char *const thp_fork_ops[] = {
	[OP_FORK] = "fork",
	[OP_COW] = "cow_fault",
	[OP_SPLIT] = "split",
	[OP_WAIT] = "child_wait",
	[OP_VERIFY] = "verify",
	[OP_THP_FAULT] = "thp_fault",
	NULL,
};

struct thp_fork;

struct writer {
	struct thp_fork *tf;
	unsigned idx;
	pthread_t tid;
};

struct thp_fork {
	struct mmt_worker *w;
	const struct thp_fork_opts *o;
	char *base; /* THP-aligned region */
	char *map; /* what mmap returned, for munmap */
	size_t maplen, len, npages, hp; /* hp: THP size in bytes */
	size_t pg;
	uint32_t *gen; /* expected generation per page (0: expect zeroes) */
	uint16_t *role; /* expected writer per page: 0 parent, 1+c child c */
	char *scratch; /* PROT_NONE reservation: mremap target, guard page */
	uint64_t *exit_t0; /* shared: child c's ticks just before _exit */
	uint64_t round;
	unsigned nthreads, nstarted;
	struct writer *writers;
	pthread_barrier_t start, done;
	int stopping;
	double coverage_sum;
	unsigned coverage_n;
};

static unsigned rec_child(const struct thp_fork *tf, unsigned c)
{
	return 1 + tf->nthreads + c;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- probe: the THP size in force, through the journal ---- */

static int thp_fork_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	const struct thp_fork_opts *o = opts;

	return mmt_thp_prepare(env, o->thp_size, o->size, reason, len);
}

/* ---- setup ---- */

static int region_map(struct thp_fork *tf)
{
	tf->maplen = tf->len + tf->hp;
	tf->map =
		mmap(NULL, tf->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tf->map == MAP_FAILED) {
		tf->map = NULL;
		return -errno;
	}
	tf->base = (char *)(((uintptr_t)tf->map + tf->hp - 1) & ~(uintptr_t)(tf->hp - 1));
	if (madvise(tf->base, tf->len, MADV_HUGEPAGE))
		return -errno;
	tf->scratch = mmap(NULL, tf->hp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tf->scratch == MAP_FAILED) {
		tf->scratch = NULL;
		return -errno;
	}
	tf->exit_t0 = mmap(NULL, 32 * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tf->exit_t0 == MAP_FAILED) {
		tf->exit_t0 = NULL;
		return -errno;
	}
	return 0;
}

static struct mmt_tag page_tag(const struct thp_fork *tf, size_t i)
{
	if (!tf->gen[i])
		return mmt_tag_zero(i);
	return mmt_tag_make((uint32_t)tf->w->seed, mmt_owner(tf->w->id, tf->role[i]), tf->gen[i],
			    i);
}

/* Fault the region in as fresh THPs, timing the first touch of each. */
static void fault_in(struct thp_fork *tf, uint32_t gen)
{
	struct mmt_hist *h = mmt_hist_of(tf->w, 0, OP_THP_FAULT);
	size_t i, per = tf->hp / tf->pg;
	struct mmt_tag t;
	uint64_t t0;

	for (i = 0; i < tf->npages; i++) {
		tf->gen[i] = gen;
		tf->role[i] = 0;
		t = page_tag(tf, i);
		if (i % per == 0) {
			t0 = mmt_ticks();
			*(volatile uint32_t *)(tf->base + i * tf->pg) = MMT_TAG_MAGIC;
			mmt_time(h, t0);
		}
		mmt_tag_fill(tf->base + i * tf->pg, tf->pg, &t);
	}
}

static void measure_coverage(struct thp_fork *tf)
{
	double pct = mmt_thp_coverage(tf->base, tf->len, tf->hp, (long)tf->pg);

	if (pct < 0)
		return;
	tf->coverage_sum += pct;
	tf->coverage_n++;
	mmt_metric(tf->w, "thp_coverage_pct", tf->coverage_sum / tf->coverage_n);
}

static void *writer_main(void *arg);

static int start_writers(struct thp_fork *tf)
{
	unsigned i;
	int r;

	if (!tf->nthreads)
		return 0;
	tf->writers = calloc(tf->nthreads, sizeof(*tf->writers));
	if (!tf->writers)
		return -ENOMEM;
	pthread_barrier_init(&tf->start, NULL, tf->nthreads + 1);
	pthread_barrier_init(&tf->done, NULL, tf->nthreads + 1);
	for (i = 0; i < tf->nthreads; i++) {
		tf->writers[i].tf = tf;
		tf->writers[i].idx = i;
		r = pthread_create(&tf->writers[i].tid, NULL, writer_main, &tf->writers[i]);
		if (r)
			return -r;
		tf->nstarted++;
	}
	return 0;
}

static int thp_fork_setup(struct mmt_worker *w, void **state)
{
	const struct thp_fork_opts *o = w->opts;
	struct thp_fork *tf = calloc(1, sizeof(*tf));
	int r;

	if (!tf)
		return -ENOMEM;
	*state = tf;
	tf->w = w;
	tf->o = o;
	tf->pg = (size_t)w->pagesz;
	r = mmt_thp_size(o->thp_size, &tf->hp);
	if (r)
		return r;
	tf->len = (size_t)o->size / tf->hp * tf->hp;
	tf->npages = tf->len / tf->pg;
	tf->nthreads = (unsigned)o->threads;
	tf->gen = calloc(tf->npages, sizeof(*tf->gen));
	tf->role = calloc(tf->npages, sizeof(*tf->role));
	if (!tf->gen || !tf->role)
		return -ENOMEM;
	r = region_map(tf);
	if (r)
		return r;
	fault_in(tf, 1);
	measure_coverage(tf);
	r = mmt_catch_faults(w);
	return r ? r : start_writers(tf);
}

/* ---- verification ---- */

/* Check every page against the expectation; report the first few mismatches. */
static unsigned verify_all(struct thp_fork *tf, unsigned rec)
{
	struct mmt_hist *h = mmt_hist_of(tf->w, rec, OP_VERIFY);
	unsigned bad = 0;
	struct mmt_verify v;
	struct mmt_tag t;
	uint64_t t0 = mmt_ticks();
	size_t i;

	for (i = 0; i < tf->npages; i++) {
		t = page_tag(tf, i);
		if (mmt_likely(!mmt_tag_verify(tf->base + i * tf->pg, tf->pg, &t, &v)))
			continue;
		if (bad++ < 8)
			mmt_fail_verify(tf->w, OP_VERIFY, tf->base + i * tf->pg, &t, &v);
	}
	mmt_time(h, t0);
	if (bad > 8)
		mmt_fail(tf->w, MMT_FK_VERIFY, OP_VERIFY, 0, 0,
			 "%u pages mismatched in this pass (first 8 recorded)", bad);
	return bad;
}

/* ---- writes and splits ---- */

/* Write page i as `role`; time the first store, which takes the fault. */
static void write_page(struct thp_fork *tf, size_t i, unsigned role, struct mmt_hist *h)
{
	char *p = tf->base + i * tf->pg;
	struct mmt_tag t;
	uint64_t t0;

	tf->gen[i]++;
	tf->role[i] = (uint16_t)role;
	t = page_tag(tf, i);
	t0 = mmt_ticks();
	*(volatile uint32_t *)p = MMT_TAG_MAGIC;
	mmt_time(h, t0);
	mmt_tag_fill(p, tf->pg, &t);
}

static int split_dontneed(struct thp_fork *tf, size_t first, size_t sub)
{
	if (madvise(tf->base + (first + sub) * tf->pg, tf->pg, MADV_DONTNEED))
		return errno;
	tf->gen[first + sub] = 0;
	return 0;
}

static int split_mprotect(struct thp_fork *tf, size_t first, size_t sub, size_t n)
{
	char *p = tf->base + (first + sub) * tf->pg;

	if (mprotect(p, n * tf->pg, PROT_READ))
		return errno;
	if (mprotect(p, n * tf->pg, PROT_READ | PROT_WRITE))
		return errno;
	return 0;
}

/* Move a sub-range out to the scratch reservation and back: two partial mremaps. */
static int split_mremap(struct thp_fork *tf, size_t first, size_t sub, size_t n)
{
	char *p = tf->base + (first + sub) * tf->pg;
	void *q;

	q = mremap(p, n * tf->pg, n * tf->pg, MREMAP_MAYMOVE | MREMAP_FIXED, tf->scratch);
	if (q == MAP_FAILED)
		return errno;
	q = mremap(tf->scratch, n * tf->pg, n * tf->pg, MREMAP_MAYMOVE | MREMAP_FIXED, p);
	if (q == MAP_FAILED)
		return errno;
	/* Give the scratch back its PROT_NONE reservation for the next split. */
	if (mmap(tf->scratch, tf->hp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED)
		return errno;
	return 0;
}

static void split_thp(struct thp_fork *tf, size_t thp, unsigned rec, uint64_t *rnd)
{
	static const char *const calls[] = {"madvise(MADV_DONTNEED)", "mprotect", "mremap"};
	size_t per = tf->hp / tf->pg, first = thp * per, sub = xorshift(rnd) % per;
	size_t n = per / 4 ? per / 4 : 1;
	int mode = tf->o->split == S_ROTATE ? (int)((thp + tf->round) % 3) : tf->o->split;
	uint64_t t0;
	int err;

	if (sub + n > per)
		sub = per - n;
	t0 = mmt_ticks();
	if (mode == S_DONTNEED)
		err = split_dontneed(tf, first, sub);
	else if (mode == S_MPROTECT)
		err = split_mprotect(tf, first, sub, n);
	else
		err = split_mremap(tf, first, sub, n);
	mmt_time(mmt_hist_of(tf->w, rec, OP_SPLIT), t0);
	if (err)
		mmt_fail_errno(tf->w, OP_SPLIT, calls[mode], err);
}

static void write_thp(struct thp_fork *tf, size_t thp, unsigned role, unsigned rec, uint64_t *rnd)
{
	struct mmt_hist *h = mmt_hist_of(tf->w, rec, OP_COW);
	size_t per = tf->hp / tf->pg, first = thp * per, i;

	if (tf->o->write == W_ONE_PER_THP) {
		write_page(tf, first + xorshift(rnd) % per, role, h);
		return;
	}
	for (i = 0; i < per; i++)
		if (tf->o->write == W_ALL || xorshift(rnd) % 8 == 0)
			write_page(tf, first + i, role, h);
}

/* ---- the child ---- */

static void inject_in_child(struct thp_fork *tf, unsigned c)
{
	if (tf->o->inject == INJ_SEGV && c == 0 && tf->round == 1)
		*(volatile char *)tf->scratch = 1; /* PROT_NONE: a real SIGSEGV */
}

static __attribute__((noreturn)) void child_main(struct thp_fork *tf, unsigned c)
{
	unsigned rec = rec_child(tf, c);
	size_t thp, nthp = tf->len / tf->hp;
	uint64_t rnd = tf->w->seed ^ (tf->round << 20) ^ (c + 1) ^ 0x9e3779b97f4a7c15ull;
	int split_first;

	/* Die with the worker; if it died before this line, go now. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != tf->w->ws->pid)
		_exit(0);
	for (thp = 0; thp < nthp && !mmt_should_stop(tf->w); thp++) {
		split_first =
			tf->o->order == O_BOTH ? (int)(thp & 1) : tf->o->order == O_SPLIT_FIRST;
		if (split_first)
			split_thp(tf, thp, rec, &rnd);
		write_thp(tf, thp, 1 + c, rec, &rnd);
		if (!split_first)
			split_thp(tf, thp, rec, &rnd);
		inject_in_child(tf, c);
	}
	verify_all(tf, rec);
	tf->exit_t0[c] = mmt_ticks();
	_exit(0);
}

/* ---- the parent's writers ---- */

/* Writer t owns pages i with i % nthreads == t; half of them each round. */
static void parent_writes(struct thp_fork *tf, unsigned t)
{
	struct mmt_hist *h = mmt_hist_of(tf->w, 1 + t, OP_COW);
	size_t i;

	for (i = t; i < tf->npages; i += tf->nthreads)
		if ((i / tf->nthreads + tf->round) % 2 == 0)
			write_page(tf, i, 0, h);
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct thp_fork *tf = wr->tf;

	for (;;) {
		pthread_barrier_wait(&tf->start);
		if (tf->stopping)
			return NULL;
		parent_writes(tf, wr->idx);
		pthread_barrier_wait(&tf->done);
	}
}

/* ---- the round ---- */

static void reap_children(struct thp_fork *tf, pid_t *pids, unsigned n);

static int fork_children(struct thp_fork *tf, pid_t *pids)
{
	struct mmt_hist *h = mmt_hist_of(tf->w, 0, OP_FORK);
	unsigned c;
	uint64_t t0;
	int err;

	for (c = 0; c < (unsigned)tf->o->children; c++) {
		tf->exit_t0[c] = 0;
		t0 = mmt_ticks();
		pids[c] = fork();
		if (pids[c] == 0)
			child_main(tf, c);
		mmt_time(h, t0);
		if (pids[c] < 0) {
			/* Out of processes or memory: a harness limit, not a kernel bug. */
			err = errno;
			reap_children(tf, pids, c);
			return -err;
		}
	}
	return 0;
}

/* Reap the children; time from each child's last action to its reaping. */
static void reap_children(struct thp_fork *tf, pid_t *pids, unsigned n)
{
	struct mmt_hist *h = mmt_hist_of(tf->w, 0, OP_WAIT);
	uint64_t now;
	unsigned c;
	int status;

	for (c = 0; c < n; c++) {
		while (waitpid(pids[c], &status, 0) < 0 && errno == EINTR)
			;
		now = mmt_ticks();
		if (WIFEXITED(status) && tf->exit_t0[c] && now > tf->exit_t0[c])
			mmt_hist_record(h, mmt_ticks_to_ns(now - tf->exit_t0[c]));
		mmt_child_status(tf->w, OP_WAIT, pids[c], status, "child");
	}
}

static void refresh(struct thp_fork *tf)
{
	if (madvise(tf->base, tf->len, MADV_DONTNEED)) {
		mmt_fail_errno(tf->w, OP_THP_FAULT, "madvise(MADV_DONTNEED)", errno);
		return;
	}
	fault_in(tf, (uint32_t)tf->round + 1);
	measure_coverage(tf);
}

static void inject_in_parent(struct thp_fork *tf)
{
	if (tf->o->inject == INJ_CORRUPT && tf->round == 1 && tf->npages > 1) {
		/* Page 1's bytes where page 0 belongs: the verifier must say "other index". */
		memcpy(tf->base, tf->base + tf->pg, tf->pg);
	}
	if (tf->o->inject == INJ_HANG && tf->round == 1)
		for (;;)
			pause();
}

static int thp_fork_round(struct thp_fork *tf)
{
	pid_t pids[32];
	int r;

	tf->round++;
	r = fork_children(tf, pids);
	if (r)
		return r;
	if (tf->nthreads)
		pthread_barrier_wait(&tf->start);
	reap_children(tf, pids, (unsigned)tf->o->children);
	if (tf->nthreads)
		pthread_barrier_wait(&tf->done);
	inject_in_parent(tf);
	verify_all(tf, 0);
	if (tf->o->refresh && tf->round % (uint64_t)tf->o->refresh == 0)
		refresh(tf);
	return 0;
}

static int thp_fork_run(struct mmt_worker *w, void *state)
{
	struct thp_fork *tf = state;
	int r;

	while (!mmt_should_stop(w)) {
		r = thp_fork_round(tf);
		if (r)
			return r;
	}
	if (tf->coverage_n && tf->coverage_sum == 0)
		mmt_note(
			w,
			"THP coverage 0%%: no THP was faulted in; this run tested base pages only");
	return 0;
}

static void thp_fork_teardown(struct mmt_worker *w, void *state)
{
	struct thp_fork *tf = state;
	unsigned i;

	(void)w;
	if (!tf)
		return;
	/* A partial start cannot pass the barrier: the exiting process ends them. */
	if (tf->writers && tf->nstarted == tf->nthreads) {
		tf->stopping = 1;
		pthread_barrier_wait(&tf->start);
		for (i = 0; i < tf->nthreads; i++)
			pthread_join(tf->writers[i].tid, NULL);
		free(tf->writers);
	}
	if (tf->map)
		munmap(tf->map, tf->maplen);
	if (tf->scratch)
		munmap(tf->scratch, tf->hp);
	if (tf->exit_t0)
		munmap(tf->exit_t0, 32 * sizeof(uint64_t));
	free(tf->gen);
	free(tf->role);
	free(tf);
}

static unsigned thp_fork_recorders(const void *opts)
{
	const struct thp_fork_opts *o = opts;

	return 1 + (unsigned)o->threads + (unsigned)o->children;
}

const struct mmt_workload mmt_wl_thp_fork = {
	.name = "thp_fork",
	.summary = "THP fork/write storm: COW and PMD splits racing writers, every byte verified",
	.mirrors = "6.1-rc1 sparc64 dpkg segfaults after \"mm/thp: carry over dirty bit when "
		   "thp splits on pmd\"",
	.needs = MMT_NEED_THP,
	.opts = thp_fork_options,
	.opts_size = sizeof(struct thp_fork_opts),
	.ops = thp_fork_ops,
	.recorders = thp_fork_recorders,
	.probe = thp_fork_probe,
	.setup = thp_fork_setup,
	.run = thp_fork_run,
	.teardown = thp_fork_teardown,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * thp_gup — THP splits racing GUP-fast and long-term pins.
 *
 * Stresses: PMD splits (__split_huge_pmd: pmdp_invalidate) and collapses
 * (MADV_COLLAPSE) of THPs whose subpages are being pinned at the same moment
 * by lockless GUP-fast and by long-term pins: O_DIRECT pread/pwrite
 * (FOLL_PIN), io_uring fixed buffers (FOLL_LONGTERM, re-registered every
 * cycle), vmsplice (FOLL_GET references held by a pipe) and
 * process_vm_readv/writev from another process (remote GUP). Splitters split
 * with MADV_DONTNEED of a subpage, mprotect of a sub-range, a partial mremap
 * out and back, and fork (copy_huge_pmd vs GUP-fast, write_protect_seq), then
 * re-form the THP by re-faulting it or by MADV_COLLAPSE.
 *
 * Mirrors: 4.5-rc1, random kernel crashes on s390 after the THP refcounting
 * rework: pmdp_invalidate did not serialise against GUP-fast, so a lockless
 * walker could pin a page through a PMD that was being split. The symptom in
 * user space is data that went through a pin landing in (or coming from) a
 * page that is no longer mapped: every byte that goes through a path is
 * verified against the tag it must carry, and so is every page a splitter
 * touched and, at each re-fault, the whole THP.
 *
 * The per-THP protocol: each THP is split into two halves. The I/O half holds
 * the I/O windows (block size each; window slot s belongs to I/O thread
 * s % io_threads, so windows never overlap); the other half is the split
 * zone, where splitters drop, protect and move pages. Both work on the same
 * THP at the same time, so the PMD split races the pins, but only one side
 * writes any page. Re-faulting a THP rewrites every page, so it takes the THP
 * exclusively (an atomic state word: I/O count | REFRESH bit) and flips which
 * half is which, so every page takes its turn under I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "thp.h"
#include "workload.h"

#if HAVE_URING
#include <liburing.h>
#endif

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

enum {
	OP_OD_READ,
	OP_OD_WRITE,
	OP_UR_READ,
	OP_UR_WRITE,
	OP_VMSPLICE,
	OP_PVM_READ,
	OP_PVM_WRITE,
	OP_SPLIT_DONTNEED,
	OP_SPLIT_MPROTECT,
	OP_SPLIT_MREMAP,
	OP_COLLAPSE,
	OP_FORK,
	OP_VERIFY,
	OP_THP_FAULT,
};
enum { P_ODIRECT, P_URING, P_VMSPLICE, P_PVM, P__N };
enum { S_DONTNEED, S_MPROTECT, S_MREMAP, S_FORK, S__N };
enum { INJ_NONE, INJ_CORRUPT };

struct thp_gup_opts {
	int64_t size;
	int64_t thp_size;
	int path[P__N];
	int split[S__N];
	int collapse;
	int64_t splitters;
	int64_t io_threads;
	int64_t bs;
	int64_t verify_every;
	int inject;
};

static const char *const injects[] = {"none", "corrupt", NULL};

#define OFF(f) offsetof(struct thp_gup_opts, f)
static const struct mmt_opt thp_gup_options[] = {
	{"size", MMT_OPT_SIZE, OFF(size), 64 << 10, 1ll << 40, "16M", NULL,
	 "region per worker, faulted in as THPs"},
	{"thp_size", MMT_OPT_SIZE, OFF(thp_size), 0, 1ll << 30, "0", NULL,
	 "THP size: 0 for the PMD size, or an mTHP size the kernel offers (set through "
	 "the journal)"},
	{"odirect", MMT_OPT_BOOL, OFF(path[P_ODIRECT]), 0, 0, "1", NULL,
	 "O_DIRECT pwrite/pread between a scratch file and THP memory"},
	{"uring", MMT_OPT_BOOL, OFF(path[P_URING]), 0, 0, "1", NULL,
	 "io_uring WRITE_FIXED/READ_FIXED with the window registered as a fixed buffer"},
	{"vmsplice", MMT_OPT_BOOL, OFF(path[P_VMSPLICE]), 0, 0, "1", NULL,
	 "vmsplice THP memory into a pipe, read the pipe back"},
	{"pvm", MMT_OPT_BOOL, OFF(path[P_PVM]), 0, 0, "1", NULL,
	 "process_vm_writev/readv of the window by a forked helper"},
	{"dontneed", MMT_OPT_BOOL, OFF(split[S_DONTNEED]), 0, 0, "1", NULL,
	 "split by MADV_DONTNEED of one subpage, then re-fault it"},
	{"mprotect", MMT_OPT_BOOL, OFF(split[S_MPROTECT]), 0, 0, "1", NULL,
	 "split by mprotect(PROT_READ) of a sub-range and back"},
	{"mremap", MMT_OPT_BOOL, OFF(split[S_MREMAP]), 0, 0, "1", NULL,
	 "split by a partial mremap out to a reservation and back"},
	{"fork", MMT_OPT_BOOL, OFF(split[S_FORK]), 0, 0, "1", NULL,
	 "fork a child that writes a subpage and exits"},
	{"collapse", MMT_OPT_BOOL, OFF(collapse), 0, 0, "1", NULL,
	 "re-form every other split THP with MADV_COLLAPSE (PMD size only) instead of "
	 "re-faulting it"},
	{"splitters", MMT_OPT_INT, OFF(splitters), 1, 8, "1", NULL,
	 "splitter threads (the worker's own thread is the first)"},
	{"io_threads", MMT_OPT_INT, OFF(io_threads), 1, 8, "1", NULL,
	 "I/O threads, each cycling through the enabled paths"},
	{"bs", MMT_OPT_SIZE, OFF(bs), 4096, 1 << 20, "64K", NULL,
	 "I/O window (block) size; clamped to half a THP"},
	{"verify_every", MMT_OPT_INT, OFF(verify_every), 1, 1000000, "8", NULL,
	 "re-faults of a THP between full verifications of all its pages"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: corrupt one byte of the data that came through the first "
	 "path op, before it is verified"},
	{NULL},
};

static const char *const thp_gup_ops[] = {
	[OP_OD_READ] = "odirect_read",
	[OP_OD_WRITE] = "odirect_write",
	[OP_UR_READ] = "uring_read",
	[OP_UR_WRITE] = "uring_write",
	[OP_VMSPLICE] = "vmsplice",
	[OP_PVM_READ] = "pvm_read",
	[OP_PVM_WRITE] = "pvm_write",
	[OP_SPLIT_DONTNEED] = "split_dontneed",
	[OP_SPLIT_MPROTECT] = "split_mprotect",
	[OP_SPLIT_MREMAP] = "split_mremap",
	[OP_COLLAPSE] = "collapse",
	[OP_FORK] = "fork",
	[OP_VERIFY] = "verify",
	[OP_THP_FAULT] = "thp_fault",
	NULL,
};

static const char *const path_names[] = {"odirect", "uring", "vmsplice", "pvm"};

#define ST_REFRESH 0x80000000u
#define ROLE_SPLIT 0 /* splitters and re-faults */
#define ROLE_IO 1 /* + I/O thread index */
#define ROLE_PVM 32 /* + helper index */
#define MAX_BAD 4 /* mismatches recorded per verification call */

struct pvm_cmd {
	uint64_t first, n;
	uint32_t gen, quit;
};

struct thp_gup;

struct iothr {
	struct thp_gup *tg;
	unsigned k, rec;
	pthread_t tid;
	int started;
	uint64_t slot; /* the next window slot this thread visits */
	uint32_t gen;
	unsigned path;
	int pipefd[2]; /* vmsplice */
	char *buf; /* bs bytes: the pipe's data, the helper's buffers */
	char *buf2;
	int cmd[2], done[2]; /* worker -> helper, helper -> worker */
	pid_t helper;
#if HAVE_URING
	struct io_uring ring;
#endif
	int ring_ok;
};

struct splitter {
	struct thp_gup *tg;
	unsigned s, rec;
	pthread_t tid;
	int started;
	uint64_t rnd, visits, refreshes;
	uint32_t gen;
	char *scratch; /* PROT_NONE reservation: mremap target */
	uint64_t collapse_ok, collapse_busy, refresh_busy;
};

struct thp_gup {
	struct mmt_worker *w;
	const struct thp_gup_opts *o;
	char *base, *map;
	size_t maplen, len, npages, hp, pg, per, half; /* per, half: pages per THP, per half */
	size_t nthp, bs, bpp, spt, nslots; /* bpp: pages per window; spt: slots per THP */
	uint32_t *state; /* per THP: I/O count | ST_REFRESH */
	uint8_t *zone; /* per THP: 0 I/O in the low half, 1 in the high half */
	uint32_t *gen; /* expected generation per page (0: zero) */
	uint8_t *role;
	int path_on[P__N], split_on[S__N], collapse_on;
	int fd; /* O_DIRECT scratch file */
	unsigned nio, nsplit;
	struct iothr *io;
	struct splitter *sp;
	int stopping;
	int injected;
	double coverage_sum;
	unsigned coverage_n;
	uint64_t last_cov;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int stopping(const struct thp_gup *tg)
{
	return mmt_should_stop(tg->w) || __atomic_load_n(&tg->stopping, __ATOMIC_RELAXED);
}

/* ---- probe ---- */

static int thp_gup_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	const struct thp_gup_opts *o = opts;
	int i, any = 0;

	if (o->bs % env->pagesz)
		return snprintf(reason, len, "bs=%lld is not a multiple of the page size %ld",
				(long long)o->bs, env->pagesz),
		       MMT_SKIP;
	for (i = 0; i < P__N; i++)
		any |= o->path[i];
	if (!any)
		return snprintf(reason, len,
				"every pin path is off (odirect, uring, vmsplice, pvm)"),
		       MMT_SKIP;
	return mmt_thp_prepare(env, o->thp_size, o->size, reason, len);
}

/* ---- expectations and verification ---- */

static struct mmt_tag page_tag(const struct thp_gup *tg, size_t i)
{
	if (!tg->gen[i])
		return mmt_tag_zero(i);
	return mmt_tag_make((uint32_t)tg->w->seed, mmt_owner(tg->w->id, tg->role[i]), tg->gen[i],
			    i);
}

static char *page_at(const struct thp_gup *tg, size_t i)
{
	return tg->base + i * tg->pg;
}

static void set_pages(struct thp_gup *tg, size_t first, size_t n, uint32_t gen, unsigned role)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		tg->gen[i] = gen;
		tg->role[i] = (uint8_t)role;
	}
}

/* Write pages [first, first+n) as their expectation says. */
static void fill_pages(struct thp_gup *tg, size_t first, size_t n)
{
	struct mmt_tag t;
	size_t i;

	for (i = first; i < first + n; i++) {
		t = page_tag(tg, i);
		mmt_tag_fill(page_at(tg, i), tg->pg, &t);
	}
}

/*
 * Check n pages at mem (the region itself, or a buffer holding a copy of
 * pages [first, first+n)) against the expectation of pages [first, first+n).
 */
static unsigned verify_pages(struct thp_gup *tg, const char *mem, size_t first, size_t n, int op)
{
	unsigned bad = 0;
	struct mmt_verify v;
	struct mmt_tag t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = page_tag(tg, first + i);
		if (mmt_likely(!mmt_tag_verify(mem + i * tg->pg, tg->pg, &t, &v)))
			continue;
		if (bad++ < MAX_BAD)
			mmt_fail_verify(tg->w, op, mem + i * tg->pg, &t, &v);
	}
	if (bad > MAX_BAD)
		mmt_fail(tg->w, MMT_FK_VERIFY, op, 0, (uint64_t)(uintptr_t)mem,
			 "%u of %zu pages mismatched (first %d recorded)", bad, n, MAX_BAD);
	return bad;
}

static unsigned verify_timed(struct thp_gup *tg, unsigned rec, size_t first, size_t n)
{
	uint64_t t0 = mmt_ticks();
	unsigned bad = verify_pages(tg, page_at(tg, first), first, n, OP_VERIFY);

	mmt_time(mmt_hist_of(tg->w, rec, OP_VERIFY), t0);
	return bad;
}

/* ---- the per-THP protocol ---- */

static int io_enter(struct thp_gup *tg, size_t t)
{
	uint32_t s = __atomic_load_n(&tg->state[t], __ATOMIC_RELAXED);

	do {
		if (s & ST_REFRESH)
			return 0;
	} while (!__atomic_compare_exchange_n(&tg->state[t], &s, s + 1, 0, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return 1;
}

static void io_leave(struct thp_gup *tg, size_t t)
{
	__atomic_fetch_sub(&tg->state[t], 1, __ATOMIC_RELEASE);
}

static int refresh_enter(struct thp_gup *tg, size_t t)
{
	uint32_t zero = 0;

	return __atomic_compare_exchange_n(&tg->state[t], &zero, ST_REFRESH, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void refresh_leave(struct thp_gup *tg, size_t t)
{
	__atomic_store_n(&tg->state[t], 0, __ATOMIC_RELEASE);
}

/* First page of THP t's I/O half, or of its split zone. */
static size_t io_half(const struct thp_gup *tg, size_t t)
{
	return t * tg->per + (tg->zone[t] ? tg->half : 0);
}

static size_t split_half(const struct thp_gup *tg, size_t t)
{
	return t * tg->per + (tg->zone[t] ? 0 : tg->half);
}

/* ---- setup ---- */

static int region_map(struct thp_gup *tg)
{
	tg->maplen = tg->len + tg->hp;
	tg->map =
		mmap(NULL, tg->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tg->map == MAP_FAILED) {
		tg->map = NULL;
		return -errno;
	}
	tg->base = (char *)(((uintptr_t)tg->map + tg->hp - 1) & ~(uintptr_t)(tg->hp - 1));
	if (madvise(tg->base, tg->len, MADV_HUGEPAGE))
		return -errno;
	return 0;
}

/* Every THP faulted in as zeroes: one store per THP, the kernel zeroes the rest. */
static void fault_thp(struct thp_gup *tg, size_t t, unsigned rec)
{
	uint64_t t0 = mmt_ticks();

	*(volatile char *)page_at(tg, t * tg->per) = 0;
	mmt_time(mmt_hist_of(tg->w, rec, OP_THP_FAULT), t0);
	set_pages(tg, t * tg->per, tg->per, 0, ROLE_SPLIT);
}

static void measure_coverage(struct thp_gup *tg)
{
	double pct = mmt_thp_coverage(tg->base, tg->len, tg->hp, (long)tg->pg);

	if (pct < 0)
		return;
	tg->coverage_sum += pct;
	tg->coverage_n++;
	mmt_metric(tg->w, "thp_coverage_pct", tg->coverage_sum / tg->coverage_n);
}

static void *map_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A path this machine cannot run: off for this worker, with the reason on record. */
static mmt_printf(3, 4) void path_skip(struct thp_gup *tg, int p, const char *fmt, ...)
{
	char why[160], key[32];
	va_list ap;

	if (!tg->path_on[p])
		return;
	tg->path_on[p] = 0;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	mmt_note(tg->w, "skipped: %s: %s", path_names[p], why);
	snprintf(key, sizeof(key), "skipped_%s", path_names[p]);
	mmt_metric(tg->w, key, 1);
}

static void file_skip(struct thp_gup *tg, const char *dir, const char *why, int err)
{
	path_skip(tg, P_ODIRECT, "%s in %s%s%s", why, dir, err ? ": " : "",
		  err ? strerror(err) : "");
	path_skip(tg, P_URING, "needs the O_DIRECT file: %s in %s", why, dir);
}

/* Does O_DIRECT I/O work on this file? tmpfs and some filesystems say EINVAL. */
static int odirect_works(struct thp_gup *tg)
{
	void *p = map_buf(tg->pg);
	ssize_t r;

	if (!p)
		return ENOMEM;
	memset(p, 0, tg->pg);
	r = pwrite(tg->fd, p, tg->pg, 0);
	munmap(p, tg->pg);
	return r == (ssize_t)tg->pg ? 0 : r < 0 ? errno : EIO;
}

/* The O_DIRECT file, unlinked at once so nothing is left behind. */
static void open_file(struct thp_gup *tg)
{
	const char *dir = tg->w->scratch ? tg->w->scratch : "/var/tmp";
	char path[512];
	struct statfs sf;
	int err;

	if (!tg->path_on[P_ODIRECT] && !tg->path_on[P_URING])
		return;
	if (!statfs(dir, &sf) && sf.f_type == TMPFS_MAGIC)
		return file_skip(tg, dir, "the scratch directory is tmpfs", 0);
	snprintf(path, sizeof(path), "%s/thp_gup.%u.%d", dir, tg->w->id, (int)getpid());
	tg->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (tg->fd < 0)
		return file_skip(tg, dir, "O_DIRECT open refused", errno);
	unlink(path);
	err = ftruncate(tg->fd, (off_t)(tg->nio * tg->bs)) ? errno : odirect_works(tg);
	if (err) {
		close(tg->fd);
		tg->fd = -1;
		file_skip(tg, dir, "O_DIRECT write refused", err);
	}
}

static int thp_gup_geometry(struct thp_gup *tg)
{
	const struct thp_gup_opts *o = tg->o;
	int64_t pmd = 0;
	int r, i;

	tg->pg = (size_t)tg->w->pagesz;
	r = mmt_thp_size(o->thp_size, &tg->hp);
	if (r)
		return r;
	tg->len = (size_t)o->size / tg->hp * tg->hp;
	tg->npages = tg->len / tg->pg;
	tg->per = tg->hp / tg->pg;
	tg->half = tg->per / 2;
	tg->nthp = tg->len / tg->hp;
	tg->bs = (size_t)o->bs;
	if (tg->bs > tg->half * tg->pg) {
		mmt_note(tg->w, "bs=%zuK clamped to half a THP: %zuK", tg->bs >> 10,
			 tg->half * tg->pg >> 10);
		tg->bs = tg->half * tg->pg;
	}
	tg->bpp = tg->bs / tg->pg;
	tg->spt = tg->half / tg->bpp;
	tg->nslots = tg->spt * tg->nthp;
	tg->nio = (unsigned)o->io_threads;
	if (tg->nio > tg->nslots)
		tg->nio = (unsigned)tg->nslots;
	tg->nsplit = (unsigned)o->splitters;
	if (tg->nsplit > tg->nthp)
		tg->nsplit = (unsigned)tg->nthp;
	for (i = 0; i < P__N; i++)
		tg->path_on[i] = o->path[i];
	for (i = 0; i < S__N; i++)
		tg->split_on[i] = o->split[i];
	tg->collapse_on = o->collapse;
	(void)mmt_thp_pmd_size(&pmd);
	if (tg->collapse_on && (int64_t)tg->hp != pmd) {
		tg->collapse_on = 0;
		mmt_note(tg->w,
			 "skipped: collapse: MADV_COLLAPSE builds PMD-size THPs only, "
			 "thp_size is %zuK",
			 tg->hp >> 10);
		mmt_metric(tg->w, "skipped_collapse", 1);
	}
	return 0;
}

static int alloc_state(struct thp_gup *tg)
{
	tg->state = calloc(tg->nthp, sizeof(*tg->state));
	tg->zone = calloc(tg->nthp, sizeof(*tg->zone));
	tg->gen = calloc(tg->npages, sizeof(*tg->gen));
	tg->role = calloc(tg->npages, sizeof(*tg->role));
	tg->io = calloc(tg->nio, sizeof(*tg->io));
	tg->sp = calloc(tg->nsplit, sizeof(*tg->sp));
	if (!tg->state || !tg->zone || !tg->gen || !tg->role || !tg->io || !tg->sp)
		return -ENOMEM;
	return 0;
}

static int splitter_init(struct thp_gup *tg, unsigned s)
{
	struct splitter *sp = &tg->sp[s];

	sp->tg = tg;
	sp->s = s;
	sp->rec = s;
	sp->rnd = tg->w->seed ^ ((uint64_t)(s + 1) << 32) ^ 0x9e3779b97f4a7c15ull;
	sp->scratch = mmap(NULL, tg->hp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sp->scratch == MAP_FAILED) {
		sp->scratch = NULL;
		return -errno;
	}
	return 0;
}

static void uring_init(struct thp_gup *tg, struct iothr *io)
{
#if HAVE_URING
	int r;

	if (!tg->path_on[P_URING])
		return;
	r = io_uring_queue_init(8, &io->ring, 0);
	if (r < 0) {
		path_skip(tg, P_URING, "io_uring_queue_init: %s", strerror(-r));
		return;
	}
	io->ring_ok = 1;
	r = io_uring_register_buffers_sparse(&io->ring, 1);
	if (r < 0)
		path_skip(tg, P_URING, "io_uring_register_buffers_sparse: %s", strerror(-r));
#else
	path_skip(tg, P_URING, "built without liburing");
#endif
}

static void helper_main(struct iothr *io);

/* A forked helper per I/O thread: process_vm_* into the worker through its pid. */
static int helper_start(struct thp_gup *tg, struct iothr *io)
{
	if (pipe2(io->cmd, O_CLOEXEC) || pipe2(io->done, O_CLOEXEC))
		return -errno;
	io->helper = fork();
	if (io->helper < 0)
		return -errno;
	if (io->helper == 0)
		helper_main(io);
	close(io->cmd[0]);
	close(io->done[1]);
	io->cmd[0] = io->done[1] = -1;
	/* Under Yama ptrace_scope=1 a child may not otherwise read its parent. */
	(void)prctl(PR_SET_PTRACER, io->helper, 0, 0, 0);
	return 0;
}

static int iothr_init(struct thp_gup *tg, unsigned k)
{
	struct iothr *io = &tg->io[k];
	int r;

	io->tg = tg;
	io->k = k;
	io->rec = tg->nsplit + k;
	io->slot = k;
	io->gen = 1;
	io->path = P__N - 1; /* the first cycle takes the first enabled path */
	io->pipefd[0] = io->pipefd[1] = io->cmd[0] = io->cmd[1] = -1;
	io->done[0] = io->done[1] = -1;
	io->buf = map_buf(tg->bs);
	io->buf2 = map_buf(tg->bs);
	if (!io->buf || !io->buf2)
		return -ENOMEM;
	if (tg->path_on[P_VMSPLICE]) {
		if (pipe2(io->pipefd, O_CLOEXEC))
			return -errno;
		if (fcntl(io->pipefd[1], F_SETPIPE_SZ, (int)tg->bs) < (int)tg->bs)
			path_skip(tg, P_VMSPLICE, "F_SETPIPE_SZ to %zu bytes: %s", tg->bs,
				  strerror(errno));
	}
	uring_init(tg, io);
	if (tg->path_on[P_PVM]) {
		r = helper_start(tg, io);
		if (r)
			return r;
	}
	return 0;
}

/* A kernel without CONFIG_CROSS_MEMORY_ATTACH, and qemu-user, answer ENOSYS. */
static void pvm_probe(struct thp_gup *tg)
{
	char from = 1, to = 0;
	struct iovec local = {&to, 1}, remote = {&from, 1};

	if (tg->path_on[P_PVM] && process_vm_readv(getpid(), &local, 1, &remote, 1, 0) < 0 &&
	    errno == ENOSYS)
		path_skip(tg, P_PVM, "process_vm_readv: %s", strerror(ENOSYS));
}

static int thp_gup_setup(struct mmt_worker *w, void **state)
{
	struct thp_gup *tg = calloc(1, sizeof(*tg));
	unsigned i;
	size_t t;
	int r;

	if (!tg)
		return -ENOMEM;
	*state = tg;
	tg->w = w;
	tg->o = w->opts;
	tg->fd = -1;
	r = thp_gup_geometry(tg);
	if (!r)
		r = alloc_state(tg);
	if (!r)
		r = region_map(tg);
	if (r)
		return r;
	for (t = 0; t < tg->nthp; t++)
		fault_thp(tg, t, 0);
	measure_coverage(tg);
	r = mmt_catch_faults(w);
	if (r)
		return r;
	open_file(tg);
	pvm_probe(tg);
	for (i = 0; i < tg->nsplit && !r; i++)
		r = splitter_init(tg, i);
	for (i = 0; i < tg->nio && !r; i++)
		r = iothr_init(tg, i);
	return r;
}

/* ---- the pvm helper (a child process) ---- */

static void helper_cycle(struct iothr *io, const struct pvm_cmd *c)
{
	struct thp_gup *tg = io->tg;
	struct mmt_worker *w = tg->w;
	size_t len = c->n * tg->pg, i;
	struct iovec local = {io->buf, len}, rbuf = {io->buf2, len};
	struct iovec remote = {page_at(tg, c->first), len};
	struct mmt_tag t;
	uint64_t t0;
	ssize_t r;

	/* The helper's copy of the expectations: what it is about to write. */
	for (i = 0; i < c->n; i++) {
		tg->gen[c->first + i] = c->gen;
		tg->role[c->first + i] = (uint8_t)(ROLE_PVM + io->k);
		t = page_tag(tg, c->first + i);
		mmt_tag_fill(io->buf + i * tg->pg, tg->pg, &t);
	}
	t0 = mmt_ticks();
	r = process_vm_writev(w->ws->pid, &local, 1, &remote, 1, 0);
	mmt_time(mmt_hist_of(w, tg->nsplit + tg->nio + io->k, OP_PVM_WRITE), t0);
	if (r != (ssize_t)len) {
		mmt_fail(w, MMT_FK_ERRNO, OP_PVM_WRITE, r < 0 ? errno : 0, 0,
			 "process_vm_writev: %zd of %zu bytes: %s", r, len,
			 r < 0 ? strerror(errno) : "short");
		return;
	}
	memset(io->buf2, 0, len);
	t0 = mmt_ticks();
	r = process_vm_readv(w->ws->pid, &rbuf, 1, &remote, 1, 0);
	mmt_time(mmt_hist_of(w, tg->nsplit + tg->nio + io->k, OP_PVM_READ), t0);
	if (r != (ssize_t)len) {
		mmt_fail(w, MMT_FK_ERRNO, OP_PVM_READ, r < 0 ? errno : 0, 0,
			 "process_vm_readv: %zd of %zu bytes: %s", r, len,
			 r < 0 ? strerror(errno) : "short");
		return;
	}
	verify_pages(tg, io->buf2, c->first, c->n, OP_PVM_READ);
}

static __attribute__((noreturn)) void helper_main(struct iothr *io)
{
	struct thp_gup *tg = io->tg;
	struct pvm_cmd c;
	int ok;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != tg->w->ws->pid)
		_exit(0);
	close(io->cmd[1]);
	close(io->done[0]);
	for (;;) {
		if (read(io->cmd[0], &c, sizeof(c)) != (ssize_t)sizeof(c) || c.quit)
			_exit(0);
		helper_cycle(io, &c);
		ok = 1;
		if (write(io->done[1], &ok, sizeof(ok)) != (ssize_t)sizeof(ok))
			_exit(1);
	}
}

/* ---- the I/O paths: each moves one window through a pin and verifies it ---- */

struct window {
	size_t t, first; /* THP, first page */
	char *addr;
	off_t foff;
};

/* The data that went through the path, corrupted once: the verifier must see it. */
static void inject(struct thp_gup *tg, char *mem)
{
	if (tg->o->inject != INJ_CORRUPT || tg->injected)
		return;
	tg->injected = 1;
	mem[(tg->bpp > 1 ? tg->pg : 0) + 100] ^= 0x5a;
}

/* New generation over the window (the data to send); returns it. */
static uint32_t fresh_window(struct iothr *io, const struct window *win)
{
	struct thp_gup *tg = io->tg;
	uint32_t g = io->gen += 2;

	set_pages(tg, win->first, tg->bpp, g, ROLE_IO + io->k);
	fill_pages(tg, win->first, tg->bpp);
	return g;
}

/* A newer header on each page: a read that does not land leaves it visible. */
static void poison_window(struct iothr *io, const struct window *win, uint32_t g)
{
	struct thp_gup *tg = io->tg;
	struct mmt_tag t;
	size_t i;

	for (i = 0; i < tg->bpp; i++) {
		t = mmt_tag_make((uint32_t)tg->w->seed, mmt_owner(tg->w->id, ROLE_IO + io->k), g,
				 win->first + i);
		memcpy(page_at(tg, win->first + i), &t, sizeof(t));
	}
}

static int io_result(struct iothr *io, int op, const char *call, ssize_t r)
{
	if (mmt_likely(r == (ssize_t)io->tg->bs))
		return 0;
	if (r < 0)
		mmt_fail_errno(io->tg->w, op, call, (int)-r);
	else
		mmt_fail(io->tg->w, MMT_FK_ERRNO, op, 0, 0, "%s: %zd of %zu bytes", call, r,
			 io->tg->bs);
	return -1;
}

/* Verify the data that came through a path; put the window right after a mismatch. */
static void check_window(struct iothr *io, const struct window *win, const char *mem, int op)
{
	if (verify_pages(io->tg, mem, win->first, io->tg->bpp, op))
		fill_pages(io->tg, win->first, io->tg->bpp);
}

static int drain_pipe(struct iothr *io, size_t len)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < len; got += (size_t)r) {
		r = read(io->pipefd[0], io->buf + got, len - got);
		if (r <= 0) {
			mmt_fail_errno(io->tg->w, OP_VMSPLICE, "read(pipe)", r < 0 ? errno : EIO);
			return -1;
		}
	}
	return 0;
}

static void path_odirect(struct iothr *io, const struct window *win)
{
	struct thp_gup *tg = io->tg;
	uint32_t g = fresh_window(io, win);
	uint64_t t0 = mmt_ticks();
	ssize_t r = pwrite(tg->fd, win->addr, tg->bs, win->foff);

	mmt_time(mmt_hist_of(tg->w, io->rec, OP_OD_WRITE), t0);
	if (io_result(io, OP_OD_WRITE, "pwrite(O_DIRECT)", r < 0 ? -errno : r))
		return;
	poison_window(io, win, g + 1);
	t0 = mmt_ticks();
	r = pread(tg->fd, win->addr, tg->bs, win->foff);
	mmt_time(mmt_hist_of(tg->w, io->rec, OP_OD_READ), t0);
	if (io_result(io, OP_OD_READ, "pread(O_DIRECT)", r < 0 ? -errno : r)) {
		fill_pages(tg, win->first, tg->bpp);
		return;
	}
	inject(tg, win->addr);
	check_window(io, win, win->addr, OP_OD_READ);
}

#if HAVE_URING
static ssize_t uring_rw(struct iothr *io, const struct window *win, int write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);
	struct io_uring_cqe *cqe;
	ssize_t r;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write_fixed(sqe, io->tg->fd, win->addr, (unsigned)io->tg->bs,
					  (uint64_t)win->foff, 0);
	else
		io_uring_prep_read_fixed(sqe, io->tg->fd, win->addr, (unsigned)io->tg->bs,
					 (uint64_t)win->foff, 0);
	r = io_uring_submit_and_wait(&io->ring, 1);
	if (r < 0)
		return r;
	r = io_uring_wait_cqe(&io->ring, &cqe);
	if (r < 0)
		return r;
	r = cqe->res;
	io_uring_cqe_seen(&io->ring, cqe);
	return r;
}

/* Register the window (a long-term pin), write it out, read it back, drop the pin. */
static void path_uring(struct iothr *io, const struct window *win)
{
	struct thp_gup *tg = io->tg;
	struct iovec iov = {win->addr, tg->bs}, none = {NULL, 0};
	uint32_t g = fresh_window(io, win);
	uint64_t t0 = mmt_ticks();
	ssize_t r = io_uring_register_buffers_update_tag(&io->ring, 0, &iov, NULL, 1);

	if (r >= 0)
		r = uring_rw(io, win, 1);
	mmt_time(mmt_hist_of(tg->w, io->rec, OP_UR_WRITE), t0);
	if (io_result(io, OP_UR_WRITE, "io_uring WRITE_FIXED", r))
		goto unpin;
	poison_window(io, win, g + 1);
	t0 = mmt_ticks();
	r = uring_rw(io, win, 0);
	mmt_time(mmt_hist_of(tg->w, io->rec, OP_UR_READ), t0);
	if (io_result(io, OP_UR_READ, "io_uring READ_FIXED", r)) {
		fill_pages(tg, win->first, tg->bpp);
		goto unpin;
	}
	inject(tg, win->addr);
	check_window(io, win, win->addr, OP_UR_READ);
unpin:
	/* Unpinned, the THP can be collapsed and re-faulted without leaking it. */
	(void)io_uring_register_buffers_update_tag(&io->ring, 0, &none, NULL, 1);
}
#else
static void path_uring(struct iothr *io, const struct window *win)
{
	(void)io;
	(void)win;
}
#endif

/* Pipe pages reference the window; the pipe read must return what was there. */
static void path_vmsplice(struct iothr *io, const struct window *win)
{
	struct thp_gup *tg = io->tg;
	struct iovec iov;
	size_t got = 0;
	uint64_t t0;
	ssize_t r = 0;

	fresh_window(io, win);
	t0 = mmt_ticks();
	/* The pipe holds the whole block (F_SETPIPE_SZ), so this never waits. */
	while (got < tg->bs) {
		iov.iov_base = win->addr + got;
		iov.iov_len = tg->bs - got;
		r = vmsplice(io->pipefd[1], &iov, 1, SPLICE_F_NONBLOCK);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	mmt_time(mmt_hist_of(tg->w, io->rec, OP_VMSPLICE), t0);
	if (io_result(io, OP_VMSPLICE, "vmsplice", r < 0 ? -errno : (ssize_t)got)) {
		drain_pipe(io, got);
		return;
	}
	if (drain_pipe(io, got))
		return;
	inject(tg, io->buf);
	check_window(io, win, io->buf, OP_VMSPLICE);
}

/* The helper writes the window through our pid, reads it back; we check our view. */
static void path_pvm(struct iothr *io, const struct window *win)
{
	struct thp_gup *tg = io->tg;
	struct pvm_cmd c = {.first = win->first, .n = tg->bpp, .gen = io->gen += 2};
	int ok;

	if (write(io->cmd[1], &c, sizeof(c)) != (ssize_t)sizeof(c) ||
	    read(io->done[0], &ok, sizeof(ok)) != (ssize_t)sizeof(ok)) {
		mmt_fail(tg->w, MMT_FK_EXIT, OP_PVM_WRITE, errno, 0,
			 "the process_vm helper %d is gone", (int)io->helper);
		tg->path_on[P_PVM] = 0;
		return;
	}
	set_pages(tg, win->first, tg->bpp, c.gen, ROLE_PVM + io->k);
	inject(tg, win->addr);
	check_window(io, win, win->addr, OP_PVM_WRITE);
}

static void (*const path_fn[P__N])(struct iothr *, const struct window *) = {
	[P_ODIRECT] = path_odirect,
	[P_URING] = path_uring,
	[P_VMSPLICE] = path_vmsplice,
	[P_PVM] = path_pvm,
};

static int next_path(struct iothr *io)
{
	unsigned i;

	for (i = 0; i < P__N; i++) {
		io->path = (io->path + 1) % P__N;
		if (io->tg->path_on[io->path])
			return (int)io->path;
	}
	return -1;
}

/* One window: claim its THP, check what is there, move it through a path. */
static void io_cycle(struct iothr *io)
{
	struct thp_gup *tg = io->tg;
	uint64_t s = io->slot;
	struct window win;
	int p;

	io->slot += tg->nio;
	if (io->slot >= tg->nslots)
		io->slot = io->k;
	win.t = s / tg->spt;
	if (!io_enter(tg, win.t))
		return;
	p = next_path(io);
	if (p >= 0) {
		win.first = io_half(tg, win.t) + (s % tg->spt) * tg->bpp;
		win.addr = page_at(tg, win.first);
		win.foff = (off_t)(io->k * tg->bs);
		verify_timed(tg, io->rec, win.first, tg->bpp);
		path_fn[p](io, &win);
	}
	io_leave(tg, win.t);
}

static void *io_main(void *arg)
{
	struct iothr *io = arg;

	while (!stopping(io->tg))
		io_cycle(io);
	return NULL;
}

/* ---- splitters ---- */

static void collapse_thp(struct splitter *sp, size_t t)
{
	struct thp_gup *tg = sp->tg;
	uint64_t t0 = mmt_ticks();
	int r = madvise(page_at(tg, t * tg->per), tg->hp, MADV_COLLAPSE) ? errno : 0;

	mmt_time(mmt_hist_of(tg->w, sp->rec, OP_COLLAPSE), t0);
	if (!r) {
		sp->collapse_ok++;
	} else if (r == EAGAIN || r == EBUSY || r == ENOMEM) {
		/* Pinned pages refuse to be collapsed: that is the kernel being right. */
		sp->collapse_busy++;
	} else if (r == EINVAL) {
		tg->collapse_on = 0;
		mmt_note(tg->w, "skipped: collapse: MADV_COLLAPSE not supported (EINVAL)");
	} else {
		mmt_fail_errno(tg->w, OP_COLLAPSE, "madvise(MADV_COLLAPSE)", r);
	}
}

/* Re-fault THP t as a fresh THP (exclusive); every verify_every-th time, check it all. */
static void refresh_thp(struct splitter *sp, size_t t)
{
	struct thp_gup *tg = sp->tg;

	if (!refresh_enter(tg, t)) {
		/* I/O in flight on it: re-form it in place instead, racing the pins. */
		sp->refresh_busy++;
		if (tg->collapse_on)
			collapse_thp(sp, t);
		return;
	}
	if (++sp->refreshes % (uint64_t)tg->o->verify_every == 0)
		verify_timed(tg, sp->rec, t * tg->per, tg->per);
	if (madvise(page_at(tg, t * tg->per), tg->hp, MADV_DONTNEED))
		mmt_fail_errno(tg->w, OP_THP_FAULT, "madvise(MADV_DONTNEED)", errno);
	tg->zone[t] ^= 1;
	fault_thp(tg, t, sp->rec);
	refresh_leave(tg, t);
}

static int split_dontneed(struct splitter *sp, size_t p)
{
	struct thp_gup *tg = sp->tg;

	if (madvise(page_at(tg, p), tg->pg, MADV_DONTNEED))
		return errno;
	/* Dropped: zero until written again; write it again (a fresh 4K fault). */
	set_pages(tg, p, 1, 0, ROLE_SPLIT);
	verify_pages(tg, page_at(tg, p), p, 1, OP_SPLIT_DONTNEED);
	set_pages(tg, p, 1, ++sp->gen, ROLE_SPLIT);
	fill_pages(tg, p, 1);
	return 0;
}

static int split_mprotect(struct splitter *sp, size_t p, size_t n)
{
	struct thp_gup *tg = sp->tg;

	if (mprotect(page_at(tg, p), n * tg->pg, PROT_READ))
		return errno;
	if (mprotect(page_at(tg, p), n * tg->pg, PROT_READ | PROT_WRITE))
		return errno;
	verify_pages(tg, page_at(tg, p), p, n, OP_SPLIT_MPROTECT);
	return 0;
}

/* Move a sub-range out to the reservation and back: two partial mremaps. */
static int split_mremap(struct splitter *sp, size_t p, size_t n)
{
	struct thp_gup *tg = sp->tg;
	char *a = page_at(tg, p);
	void *q;

	q = mremap(a, n * tg->pg, n * tg->pg, MREMAP_MAYMOVE | MREMAP_FIXED, sp->scratch);
	if (q == MAP_FAILED)
		return errno;
	q = mremap(sp->scratch, n * tg->pg, n * tg->pg, MREMAP_MAYMOVE | MREMAP_FIXED, a);
	if (q == MAP_FAILED)
		return errno;
	if (mmap(sp->scratch, tg->hp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED)
		return errno;
	verify_pages(tg, a, p, n, OP_SPLIT_MREMAP);
	return 0;
}

/* The child writes its copy of page p and leaves; ours must not change. */
static int split_fork(struct splitter *sp, size_t p)
{
	struct thp_gup *tg = sp->tg;
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != tg->w->ws->pid)
			_exit(0);
		memset(page_at(tg, p), 0xc5, tg->pg);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	mmt_child_status(tg->w, OP_FORK, pid, status, "fork child");
	verify_pages(tg, page_at(tg, p), p, 1, OP_FORK);
	return 0;
}

static const int split_op[S__N] = {OP_SPLIT_DONTNEED, OP_SPLIT_MPROTECT, OP_SPLIT_MREMAP, OP_FORK};
static const char *const split_call[S__N] = {"madvise(MADV_DONTNEED)", "mprotect", "mremap",
					     "fork"};

static void split_thp(struct splitter *sp, size_t t, int mode)
{
	struct thp_gup *tg = sp->tg;
	size_t n = tg->half >= 2 ? 2 : 1;
	size_t p = split_half(tg, t) + xorshift(&sp->rnd) % (tg->half - n + 1);
	uint64_t t0 = mmt_ticks();
	int err;

	if (mode == S_DONTNEED)
		err = split_dontneed(sp, p);
	else if (mode == S_MPROTECT)
		err = split_mprotect(sp, p, n);
	else if (mode == S_MREMAP)
		err = split_mremap(sp, p, n);
	else
		err = split_fork(sp, p);
	mmt_time(mmt_hist_of(tg->w, sp->rec, split_op[mode]), t0);
	if (err)
		mmt_fail_errno(tg->w, split_op[mode], split_call[mode], err);
}

static int next_split(struct splitter *sp)
{
	unsigned i, m;

	for (i = 0; i < S__N; i++) {
		m = (unsigned)((sp->visits + i) % S__N);
		if (sp->tg->split_on[m])
			return (int)m;
	}
	return -1;
}

/* Splitter s owns THPs t with t % nsplit == s: re-form each, then split it. */
static void splitter_pass(struct splitter *sp)
{
	struct thp_gup *tg = sp->tg;
	size_t t;
	int mode;

	for (t = sp->s; t < tg->nthp && !stopping(tg); t += tg->nsplit) {
		sp->visits++;
		if (tg->collapse_on && (sp->visits & 1))
			collapse_thp(sp, t);
		else
			refresh_thp(sp, t);
		mode = next_split(sp);
		if (mode >= 0)
			split_thp(sp, t, mode);
		else
			mmt_beat(tg->w);
	}
}

static void *splitter_main(void *arg)
{
	struct splitter *sp = arg;

	while (!stopping(sp->tg))
		splitter_pass(sp);
	return NULL;
}

/* ---- run ---- */

static int start_threads(struct thp_gup *tg)
{
	unsigned i;
	int r;

	for (i = 1; i < tg->nsplit; i++) {
		r = pthread_create(&tg->sp[i].tid, NULL, splitter_main, &tg->sp[i]);
		if (r)
			return -r;
		tg->sp[i].started = 1;
	}
	for (i = 0; i < tg->nio; i++) {
		r = pthread_create(&tg->io[i].tid, NULL, io_main, &tg->io[i]);
		if (r)
			return -r;
		tg->io[i].started = 1;
	}
	return 0;
}

static void stop_threads(struct thp_gup *tg)
{
	unsigned i;

	__atomic_store_n(&tg->stopping, 1, __ATOMIC_RELAXED);
	for (i = 0; i < tg->nsplit; i++)
		if (tg->sp[i].started && !pthread_join(tg->sp[i].tid, NULL))
			tg->sp[i].started = 0;
	for (i = 0; i < tg->nio; i++)
		if (tg->io[i].started && !pthread_join(tg->io[i].tid, NULL))
			tg->io[i].started = 0;
}

static void final_metrics(struct thp_gup *tg)
{
	uint64_t ok = 0, busy = 0, rbusy = 0;
	unsigned i;

	for (i = 0; i < tg->nsplit; i++) {
		ok += tg->sp[i].collapse_ok;
		busy += tg->sp[i].collapse_busy;
		rbusy += tg->sp[i].refresh_busy;
	}
	if (tg->collapse_on || ok || busy) {
		mmt_metric(tg->w, "collapse_ok", (double)ok);
		mmt_metric(tg->w, "collapse_busy", (double)busy);
	}
	mmt_metric(tg->w, "refresh_busy", (double)rbusy);
	mmt_metric(tg->w, "bs_bytes", (double)tg->bs);
	if (tg->coverage_n && tg->coverage_sum == 0)
		mmt_note(tg->w, "WARNING: THP coverage 0%%: no THP was faulted in; this run "
				"split nothing");
}

static int thp_gup_run(struct mmt_worker *w, void *state)
{
	struct thp_gup *tg = state;
	uint64_t sec = 1000000000ull, now;
	int r = start_threads(tg);

	while (!r && !stopping(tg)) {
		splitter_pass(&tg->sp[0]);
		now = mmt_ticks_to_ns(mmt_ticks());
		if (now - tg->last_cov >= sec) {
			tg->last_cov = now;
			measure_coverage(tg);
		}
	}
	stop_threads(tg);
	/* Everything is quiet: every page of the region must be what we expect. */
	verify_timed(tg, 0, 0, tg->npages);
	final_metrics(tg);
	return r;
}

static void helper_stop(struct iothr *io)
{
	struct pvm_cmd quit = {.quit = 1};
	int status;

	if (io->cmd[1] >= 0) {
		(void)!write(io->cmd[1], &quit, sizeof(quit));
		close(io->cmd[1]);
	}
	if (io->helper > 0) {
		while (waitpid(io->helper, &status, 0) < 0 && errno == EINTR)
			;
		mmt_child_status(io->tg->w, OP_PVM_WRITE, io->helper, status, "pvm helper");
	}
}

static void iothr_free(struct thp_gup *tg, struct iothr *io)
{
	int i;

	if (!io->tg)
		return;
	helper_stop(io);
	for (i = 0; i < 2; i++) {
		if (io->pipefd[i] >= 0)
			close(io->pipefd[i]);
	}
	if (io->done[0] >= 0)
		close(io->done[0]);
#if HAVE_URING
	if (io->ring_ok)
		io_uring_queue_exit(&io->ring);
#endif
	if (io->buf)
		munmap(io->buf, tg->bs);
	if (io->buf2)
		munmap(io->buf2, tg->bs);
}

static void thp_gup_teardown(struct mmt_worker *w, void *state)
{
	struct thp_gup *tg = state;
	unsigned i;

	(void)w;
	if (!tg)
		return;
	if (tg->sp && tg->io)
		stop_threads(tg);
	for (i = 0; tg->io && i < tg->nio; i++)
		iothr_free(tg, &tg->io[i]);
	for (i = 0; tg->sp && i < tg->nsplit; i++)
		if (tg->sp[i].scratch)
			munmap(tg->sp[i].scratch, tg->hp);
	if (tg->fd >= 0)
		close(tg->fd);
	if (tg->map)
		munmap(tg->map, tg->maplen);
	free(tg->state);
	free(tg->zone);
	free(tg->gen);
	free(tg->role);
	free(tg->io);
	free(tg->sp);
	free(tg);
}

static unsigned thp_gup_recorders(const void *opts)
{
	const struct thp_gup_opts *o = opts;

	/* Splitters, then I/O threads, then their process_vm helpers. */
	return (unsigned)(o->splitters + 2 * o->io_threads);
}

const struct mmt_workload mmt_wl_thp_gup = {
	.name = "thp_gup",
	.summary = "THP splits and collapses racing GUP-fast and long-term pins (O_DIRECT, "
		   "io_uring fixed buffers, vmsplice, process_vm_*), every byte verified",
	.mirrors = "4.5-rc1 random kernel crashes after the THP rework on s390: pmdp_invalidate "
		   "vs GUP-fast serialisation during a PMD split",
	.needs = MMT_NEED_THP,
	.opts = thp_gup_options,
	.opts_size = sizeof(struct thp_gup_opts),
	.ops = thp_gup_ops,
	.recorders = thp_gup_recorders,
	.probe = thp_gup_probe,
	.setup = thp_gup_setup,
	.run = thp_gup_run,
	.teardown = thp_gup_teardown,
};

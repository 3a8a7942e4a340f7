// SPDX-License-Identifier: GPL-2.0
/*
 * numa_migrate — page migration under writers.
 *
 * Stresses: migrate_pages() (the core), reached three ways: move_pages(2)
 * (do_pages_move: per-page isolation, status array), migrate_pages(2)
 * (do_migrate_pages: the whole process, node to node) and mbind(2) with
 * MPOL_MF_MOVE (queue_pages_range, plus mbind_range's VMA split and merge when
 * `batch` covers less than the region). Base pages or PMD-mapped THPs (THP
 * migration: set_pmd_migration_entry / remove_migration_pmd), while writer
 * threads write the pages being migrated (the fault waits on the migration
 * entry), and, with `cow`, while a forked child shares the main thread's eighth
 * of them (MPOL_MF_MOVE_ALL migrates COW-shared pages; the restored PTEs must
 * stay write-protected).
 *
 * Mirrors: 6.1-rc1, "mm: remember young/dirty bit for page migrations"
 * (2e3468778dbe): on sparc64, pte_mkdirty() also sets the hardware write bit,
 * so a page restored from a clean read-only migration entry came back
 * writable, and a write to a COW-shared page went into the page the other
 * process still maps (fixed by "mm/migrate: fix wrongly apply write bit after
 * mkdirty on sparc64", 96a9c287e25d). The cow child writes every shared page
 * after the migration; its parent then checks that none of those writes shows
 * through (the verifier says "other owner"). Lost writes during the copy show
 * as "stale generation", a wrong page mapped back as "other index".
 *
 * The worker's memory is MPOL_BIND'ed to its node by the runner. That task
 * policy only decides where new pages are allocated: move_pages and
 * migrate_pages move existing pages to the node they are given regardless;
 * mbind installs a VMA policy that overrides the task policy for the region
 * from then on (faults after a pass land on the pass's node). The region is
 * MADV_NOHUGEPAGE for base pages so that khugepaged cannot collapse it onto
 * another node behind the placement check.
 *
 * A round: (cow) fork a child sharing the main pages; move every page of the
 * region to the next memory node (move_pages, migrate_pages or mbind, `batch`
 * units per call); ask the kernel where each unit is now (move_pages with no
 * nodes); (cow) let the child verify and rewrite its copy, reap it; verify and
 * rewrite the main thread's pages. Writer threads meanwhile verify and rewrite
 * their own pages continuously, so every write is checked by the next one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if HAVE_NUMA
#include <numaif.h>
#endif

#include "thp.h"
#include "workload.h"

#ifndef MPOL_BIND
#define MPOL_BIND 2
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif
#ifndef MPOL_MF_MOVE_ALL
#define MPOL_MF_MOVE_ALL (1 << 2)
#endif

#define NM_MAXNODE 1024 /* bits in the node masks we pass */
#define NM_MAXBAD 8 /* verification failures recorded per pass */
#define NM_UNTOUCHED (-(1 << 30)) /* a status move_pages did not write */

enum { P_BASE, P_THP };
enum { M_MOVE_PAGES, M_MIGRATE_PAGES, M_MBIND, M_ROTATE };
enum { INJ_NONE, INJ_CORRUPT };
enum {
	OP_MOVE_PAGES,
	OP_MIGRATE_PAGES,
	OP_MBIND,
	OP_LOCATE,
	OP_WRITE,
	OP_VERIFY,
	OP_FORK,
	OP_COW,
	OP_WAIT,
};

struct nm_opts {
	int64_t size;
	int page;
	int mode;
	int64_t threads;
	int64_t batch;
	int cow;
	int inject;
};

static const char *const page_kinds[] = {"base", "thp", NULL};
static const char *const modes[] = {"move_pages", "migrate_pages", "mbind", "rotate", NULL};
static const char *const injects[] = {"none", "corrupt", NULL};

#define OFF(f) offsetof(struct nm_opts, f)
static const struct mmt_opt nm_options[] = {
	{"size", MMT_OPT_SIZE, OFF(size), 1 << 20, 1ll << 40, "16M", NULL,
	 "region per worker, migrated whole every round"},
	{"page", MMT_OPT_ENUM, OFF(page), 0, 0, "base", page_kinds,
	 "base pages, or PMD-size THPs (MADV_HUGEPAGE; THP migration)"},
	{"mode", MMT_OPT_ENUM, OFF(mode), 0, 0, "rotate", modes,
	 "how pages move: move_pages(2), migrate_pages(2) of the whole process, "
	 "mbind(2) with MPOL_MF_MOVE, or each in turn per round"},
	{"threads", MMT_OPT_INT, OFF(threads), 0, 16, "2", NULL,
	 "writer threads verifying and rewriting their pages during the migrations"},
	{"batch", MMT_OPT_INT, OFF(batch), 1, 1 << 20, "256", NULL,
	 "units (pages or THPs) per move_pages or mbind call"},
	{"cow", MMT_OPT_BOOL, OFF(cow), 0, 0, "1", NULL,
	 "fork a child sharing the main thread's eighth of the pages each round; migrate "
	 "with MPOL_MF_MOVE_ALL; the child writes after the migration, the parent must "
	 "not see it"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: copy page 1 over page 0 after the first migration"},
	{NULL},
};

static const char *const nm_ops[] = {
	[OP_MOVE_PAGES] = "move_pages",
	[OP_MIGRATE_PAGES] = "migrate_pages",
	[OP_MBIND] = "mbind",
	[OP_LOCATE] = "locate",
	[OP_WRITE] = "write",
	[OP_VERIFY] = "verify",
	[OP_FORK] = "fork",
	[OP_COW] = "cow_write",
	[OP_WAIT] = "child_wait",
	NULL,
};

struct nm;

struct writer {
	struct nm *nm;
	unsigned idx;
	pthread_t tid;
};

struct nm {
	struct mmt_worker *w;
	const struct nm_opts *o;
	char *map, *base; /* base: aligned to the unit */
	size_t maplen, len, pg, unit, upp; /* unit: page or THP; upp: pages per unit */
	size_t npages, nunits, nmain; /* pages [0, nmain) are the main thread's */
	uint32_t *gen; /* expected generation per page */
	void **addr; /* one address per unit */
	int *tnode, *mstatus, *lstatus; /* target per unit; move and locate status */
	int nodes[64], nn, home, target; /* memory nodes; indexes into nodes[] */
	int ok[3]; /* per migration path: still usable */
	int movef; /* MPOL_MF_MOVE, or MOVE_ALL with cow */
	int cow;
	uint64_t round, t_start;
	unsigned nthreads, nstarted;
	struct writer *writers;
	int stopping;
	double migrated, unmoved, off_target, coverage_sum;
	unsigned coverage_n;
};

/* ---- the kernel interfaces: libnuma's wrappers, or the raw syscalls ---- */

static long nm_move_pages(unsigned long n, void **pages, const int *nodes, int *status, int flags)
{
#if HAVE_NUMA
	return move_pages(0, n, pages, nodes, status, flags);
#else
	return syscall(SYS_move_pages, 0, n, pages, nodes, status, flags);
#endif
}

static long nm_migrate_pages(const unsigned long *from, const unsigned long *to)
{
#if HAVE_NUMA
	return migrate_pages(0, NM_MAXNODE + 1, from, to);
#else
	return syscall(SYS_migrate_pages, 0, NM_MAXNODE + 1, from, to);
#endif
}

static long nm_mbind(void *p, size_t len, const unsigned long *mask, unsigned flags)
{
#if HAVE_NUMA
	return mbind(p, len, MPOL_BIND, mask, NM_MAXNODE + 1, flags);
#else
	return syscall(SYS_mbind, p, len, MPOL_BIND, mask, NM_MAXNODE + 1, flags);
#endif
}

static void mask_set(unsigned long *mask, int node)
{
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
}

static const char *errname(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "unknown errno";
}

/* A path the kernel does not offer: the call itself is refused, not one page. */
static int unsupported(int err)
{
	return err == ENOSYS || err == EINVAL || err == EOPNOTSUPP;
}

/* ---- probe ---- */

static int nm_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	const struct nm_opts *o = opts;

	/* A count of zero asks nothing: ENOSYS means no CONFIG_MIGRATION/NUMA. */
	if (nm_move_pages(0, NULL, NULL, NULL, 0) < 0 && errno == ENOSYS)
		return snprintf(reason, len, "move_pages(2) not supported (ENOSYS)"), MMT_SKIP;
	if (o->page == P_THP)
		return mmt_thp_prepare(env, 0, o->size, reason, len);
	return 0;
}

/* ---- setup ---- */

/* /sys/devices/system/node/has_memory: "0-1" or "0,2-3". */
static int read_nodes(struct nm *nm, char *buf, size_t len)
{
	int fd = open("/sys/devices/system/node/has_memory", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p, *end;
	long a, b;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (p = buf; *p;) {
		a = strtol(p, &end, 10);
		b = *end == '-' ? strtol(end + 1, &end, 10) : a;
		for (; a <= b && a < NM_MAXNODE && nm->nn < (int)MMT_ARRAY_SIZE(nm->nodes); a++)
			nm->nodes[nm->nn++] = (int)a;
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p)
			return -EINVAL;
	}
	return 0;
}

static struct mmt_tag page_tag(const struct nm *nm, size_t i, unsigned role)
{
	return mmt_tag_make((uint32_t)nm->w->seed, mmt_owner(nm->w->id, role), nm->gen[i], i);
}

static int region_map(struct nm *nm)
{
	nm->maplen = nm->len + nm->unit;
	nm->map =
		mmap(NULL, nm->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (nm->map == MAP_FAILED) {
		nm->map = NULL;
		return -errno;
	}
	nm->base = (char *)(((uintptr_t)nm->map + nm->unit - 1) & ~(uintptr_t)(nm->unit - 1));
	if (madvise(nm->base, nm->len, nm->o->page == P_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return -errno;
	/*
	 * The cow child needs only the main pages: the writers' stay out of it, so
	 * their stores never break COW (no copies placed by the policy, THPs stay
	 * PMD-mapped) and every page is held to where move_pages says it went.
	 */
	if (nm->nmain < nm->npages && madvise(nm->base + nm->nmain * nm->pg,
					      (nm->npages - nm->nmain) * nm->pg, MADV_DONTFORK))
		return -errno;
	return 0;
}

static void fill(struct nm *nm)
{
	struct mmt_tag t;
	size_t i;

	for (i = 0; i < nm->npages; i++) {
		nm->gen[i] = 1;
		t = page_tag(nm, i, 0);
		mmt_tag_fill(nm->base + i * nm->pg, nm->pg, &t);
	}
	for (i = 0; i < nm->nunits; i++)
		nm->addr[i] = nm->base + i * nm->unit;
}

/* The main and the writers' pages are separate VMAs (MADV_DONTFORK): measure each. */
static void measure_coverage(struct nm *nm)
{
	size_t mlen = nm->nmain * nm->pg, wlen = nm->len - mlen;
	double pct, wpct = 0;

	if (nm->o->page != P_THP)
		return;
	pct = mmt_thp_coverage(nm->base, mlen, nm->unit, (long)nm->pg);
	if (wlen)
		wpct = mmt_thp_coverage(nm->base + mlen, wlen, nm->unit, (long)nm->pg);
	if (pct < 0 || wpct < 0)
		return;
	pct = (pct * (double)mlen + wpct * (double)wlen) / (double)nm->len;
	nm->coverage_sum += pct;
	nm->coverage_n++;
	mmt_metric(nm->w, "thp_coverage_pct", nm->coverage_sum / nm->coverage_n);
}

static int sizes(struct nm *nm)
{
	size_t mainu;
	int r;

	nm->pg = (size_t)nm->w->pagesz;
	nm->unit = nm->pg;
	if (nm->o->page == P_THP) {
		r = mmt_thp_size(0, &nm->unit);
		if (r)
			return r;
	}
	nm->upp = nm->unit / nm->pg;
	nm->nunits = (size_t)nm->o->size / nm->unit;
	if (!nm->nunits)
		return mmt_worker_verdict(nm->w, MMT_SKIP, "size %lld holds no %zu-byte unit",
					  (long long)nm->o->size, nm->unit);
	nm->len = nm->nunits * nm->unit;
	nm->npages = nm->len / nm->pg;
	/* An eighth of the units stay with the main thread (at least one): the cow part. */
	mainu = nm->nunits / 8 ? nm->nunits / 8 : 1;
	nm->nthreads = mainu < nm->nunits ? (unsigned)nm->o->threads : 0;
	nm->nmain = nm->nthreads ? mainu * nm->upp : nm->npages;
	return 0;
}

static int alloc_arrays(struct nm *nm)
{
	nm->gen = calloc(nm->npages, sizeof(*nm->gen));
	nm->addr = calloc(nm->nunits, sizeof(*nm->addr));
	nm->tnode = calloc(nm->nunits, sizeof(*nm->tnode));
	nm->mstatus = calloc(nm->nunits, sizeof(*nm->mstatus));
	nm->lstatus = calloc(nm->nunits, sizeof(*nm->lstatus));
	return nm->gen && nm->addr && nm->tnode && nm->mstatus && nm->lstatus ? 0 : -ENOMEM;
}

static int pick_home(struct nm *nm)
{
	char buf[256];
	int i, r = read_nodes(nm, buf, sizeof(buf));

	if (r)
		return mmt_worker_verdict(nm->w, MMT_SKIP,
					  "cannot read /sys/devices/system/node/has_memory: %s",
					  strerror(-r));
	if (nm->nn < 2)
		return mmt_worker_verdict(nm->w, MMT_SKIP,
					  "needs >= 2 memory nodes; has_memory is \"%s\"", buf);
	for (i = 0; i < nm->nn; i++)
		if (nm->nodes[i] == nm->w->node)
			nm->home = i;
	nm->target = nm->home;
	return 0;
}

/* The cow path needs MPOL_MF_MOVE_ALL (CAP_SYS_NICE): shared pages are skipped without. */
static void pick_cow(struct nm *nm)
{
	nm->cow = nm->o->cow;
	if (nm->cow && geteuid() != 0) {
		nm->cow = 0;
		mmt_note(nm->w,
			 "skipped: cow path needs CAP_SYS_NICE (MPOL_MF_MOVE_ALL); not root");
		mmt_metric(nm->w, "cow_skipped", 1);
	}
	nm->movef = nm->cow ? MPOL_MF_MOVE_ALL : MPOL_MF_MOVE;
}

/*
 * Ask each path the mode uses once, moving nothing (to the home node, where the
 * pages are): a path the kernel refuses is skipped with its errno.
 */
static int check_paths(struct nm *nm)
{
	static const char *const calls[] = {"move_pages(2)", "migrate_pages(2)", "mbind(2)"};
	unsigned long none[NM_MAXNODE / (8 * sizeof(long))] = {0};
	unsigned long home[NM_MAXNODE / (8 * sizeof(long))] = {0};
	int m, n = 0, skipped = 0, st = 0, node = nm->nodes[nm->home];
	long r;

	mask_set(home, node);
	for (m = 0; m < 3; m++) {
		nm->ok[m] = 0;
		if (nm->o->mode != M_ROTATE && nm->o->mode != m)
			continue;
		if (m == M_MOVE_PAGES)
			r = nm_move_pages(1, nm->addr, &node, &st, nm->movef);
		else if (m == M_MIGRATE_PAGES)
			r = nm_migrate_pages(none, home);
		else
			r = nm_mbind(nm->base, nm->unit, home, (unsigned)nm->movef);
		if (r < 0 && unsupported(errno)) {
			mmt_note(nm->w, "skipped: %s not supported (%s)", calls[m], errname(errno));
			mmt_metric(nm->w, "paths_skipped", ++skipped);
			continue;
		}
		if (r < 0)
			return -errno;
		nm->ok[m] = 1;
		n++;
	}
	if (!n)
		return mmt_worker_verdict(nm->w, MMT_SKIP, "no migration path is supported (%s)",
					  modes[nm->o->mode]);
	return 0;
}

static void *writer_main(void *arg);

static int start_writers(struct nm *nm)
{
	unsigned i;
	int r;

	if (!nm->nthreads)
		return 0;
	nm->writers = calloc(nm->nthreads, sizeof(*nm->writers));
	if (!nm->writers)
		return -ENOMEM;
	for (i = 0; i < nm->nthreads; i++) {
		nm->writers[i].nm = nm;
		nm->writers[i].idx = i;
		r = pthread_create(&nm->writers[i].tid, NULL, writer_main, &nm->writers[i]);
		if (r)
			return -r;
		nm->nstarted++;
	}
	return 0;
}

static int nm_setup(struct mmt_worker *w, void **state)
{
	struct nm *nm = calloc(1, sizeof(*nm));
	int r;

	if (!nm)
		return -ENOMEM;
	*state = nm;
	nm->w = w;
	nm->o = w->opts;
	r = sizes(nm);
	if (!r)
		r = pick_home(nm);
	if (!r)
		r = alloc_arrays(nm);
	if (!r)
		r = region_map(nm);
	if (r)
		return r;
	pick_cow(nm);
	fill(nm);
	measure_coverage(nm);
	r = check_paths(nm);
	if (!r)
		r = mmt_catch_faults(w);
	return r ? r : start_writers(nm);
}

/* ---- verification ---- */

/* Check page i against its expectation; true when it matched. */
static int check_page(struct nm *nm, size_t i, unsigned role, unsigned *bad)
{
	struct mmt_verify v;
	struct mmt_tag t = page_tag(nm, i, role);

	if (mmt_likely(!mmt_tag_verify(nm->base + i * nm->pg, nm->pg, &t, &v)))
		return 1;
	if ((*bad)++ < NM_MAXBAD)
		mmt_fail_verify(nm->w, OP_VERIFY, nm->base + i * nm->pg, &t, &v);
	return 0;
}

static void report_bad(struct nm *nm, unsigned bad, const char *who)
{
	if (bad > NM_MAXBAD)
		mmt_fail(nm->w, MMT_FK_VERIFY, OP_VERIFY, 0, 0,
			 "%u pages mismatched in one %s pass (first %d recorded)", bad, who,
			 NM_MAXBAD);
}

/* Pages [from, to) step `step`, all expected as written by `role`. */
static unsigned verify_range(struct nm *nm, size_t from, size_t to, size_t step, unsigned role,
			     unsigned rec)
{
	uint64_t t0 = mmt_ticks();
	unsigned bad = 0;
	size_t i;

	for (i = from; i < to; i += step)
		check_page(nm, i, role, &bad);
	mmt_time(mmt_hist_of(nm->w, rec, OP_VERIFY), t0);
	report_bad(nm, bad, "verify");
	return bad;
}

/* Bump page i's generation and rewrite it; the first store takes any fault. */
static void write_page(struct nm *nm, size_t i, unsigned role, struct mmt_hist *h)
{
	char *p = nm->base + i * nm->pg;
	struct mmt_tag t;
	uint64_t t0;

	nm->gen[i]++;
	t = page_tag(nm, i, role);
	t0 = mmt_ticks();
	*(volatile uint32_t *)p = MMT_TAG_MAGIC;
	mmt_time(h, t0);
	mmt_tag_fill(p, nm->pg, &t);
}

/* ---- the writers: each owns pages nmain + t, + nthreads, ... ---- */

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct nm *nm = wr->nm;
	struct mmt_hist *h = mmt_hist_of(nm->w, 1 + wr->idx, OP_WRITE);
	unsigned bad;
	size_t i;

	while (!__atomic_load_n(&nm->stopping, __ATOMIC_RELAXED) && !mmt_should_stop(nm->w)) {
		bad = 0;
		for (i = nm->nmain + wr->idx; i < nm->npages; i += nm->nthreads) {
			/* A mismatch is rewritten below, so it is reported once. */
			check_page(nm, i, 0, &bad);
			write_page(nm, i, 0, h);
			if (mmt_unlikely(__atomic_load_n(&nm->stopping, __ATOMIC_RELAXED)))
				break;
		}
		report_bad(nm, bad, "writer");
	}
	return NULL;
}

static void stop_writers(struct nm *nm)
{
	unsigned i;

	__atomic_store_n(&nm->stopping, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nm->nstarted; i++)
		pthread_join(nm->writers[i].tid, NULL);
	nm->nstarted = 0;
}

/* ---- migration passes ---- */

static void path_failed(struct nm *nm, int m, int op, const char *call, int err)
{
	if (unsupported(err)) {
		/* Accepted in setup, refused now: the kernel changed its mind; say so. */
		mmt_note(nm->w, "skipped: %s started failing with %s", call, errname(err));
		nm->ok[m] = 0;
		return;
	}
	mmt_fail_errno(nm->w, op, call, err);
}

/* Status of one unit after move_pages: busy pages are retried next round, not bugs. */
static void move_status(struct nm *nm, size_t u, int node, unsigned *bad)
{
	int s = nm->mstatus[u];

	if (s == node) {
		nm->migrated += (double)nm->upp;
		return;
	}
	if (s == NM_UNTOUCHED || s == -EBUSY || s == -EAGAIN || s == -ENOMEM || s == -ENOENT) {
		nm->unmoved += (double)nm->upp;
		return;
	}
	if ((*bad)++ < NM_MAXBAD)
		mmt_fail(nm->w, MMT_FK_ERRNO, OP_MOVE_PAGES, s < 0 ? -s : 0,
			 (uint64_t)(uintptr_t)nm->addr[u],
			 "move_pages to node %d: unit %zu status %d (%s)", node, u, s,
			 s < 0 ? errname(-s) : "another node");
}

static void pass_move_pages(struct nm *nm, int node)
{
	struct mmt_hist *h = mmt_hist_of(nm->w, 0, OP_MOVE_PAGES);
	size_t off, n, u, batch = (size_t)nm->o->batch;
	unsigned bad = 0;
	uint64_t t0;
	long r;

	/*
	 * When a batch partly fails, move_pages returns how many pages it did not
	 * move and leaves the rest of the status array unwritten.
	 */
	for (u = 0; u < nm->nunits; u++)
		nm->mstatus[u] = NM_UNTOUCHED;
	for (off = 0; off < nm->nunits; off += n) {
		n = nm->nunits - off < batch ? nm->nunits - off : batch;
		t0 = mmt_ticks();
		r = nm_move_pages(n, nm->addr + off, nm->tnode + off, nm->mstatus + off, nm->movef);
		mmt_time(h, t0);
		if (r < 0) {
			path_failed(nm, M_MOVE_PAGES, OP_MOVE_PAGES, "move_pages", errno);
			return;
		}
	}
	for (u = 0; u < nm->nunits; u++)
		move_status(nm, u, node, &bad);
}

static void pass_migrate_pages(struct nm *nm, int node)
{
	unsigned long from[NM_MAXNODE / (8 * sizeof(long))] = {0};
	unsigned long to[NM_MAXNODE / (8 * sizeof(long))] = {0};
	uint64_t t0;
	long r;
	int i;

	/* Every other node: stragglers from a failed earlier pass come along too. */
	for (i = 0; i < nm->nn; i++)
		if (nm->nodes[i] != node)
			mask_set(from, nm->nodes[i]);
	mask_set(to, node);
	t0 = mmt_ticks();
	r = nm_migrate_pages(from, to);
	mmt_time(mmt_hist_of(nm->w, 0, OP_MIGRATE_PAGES), t0);
	if (r < 0)
		path_failed(nm, M_MIGRATE_PAGES, OP_MIGRATE_PAGES, "migrate_pages", errno);
	else
		nm->unmoved += (double)r; /* pages of the whole process it could not move */
}

static void pass_mbind(struct nm *nm, int node)
{
	unsigned long mask[NM_MAXNODE / (8 * sizeof(long))] = {0};
	struct mmt_hist *h = mmt_hist_of(nm->w, 0, OP_MBIND);
	size_t off, n, batch = (size_t)nm->o->batch;
	uint64_t t0;
	long r;

	mask_set(mask, node);
	for (off = 0; off < nm->nunits; off += n) {
		n = nm->nunits - off < batch ? nm->nunits - off : batch;
		t0 = mmt_ticks();
		r = nm_mbind(nm->base + off * nm->unit, n * nm->unit, mask, (unsigned)nm->movef);
		mmt_time(h, t0);
		if (r < 0) {
			path_failed(nm, M_MBIND, OP_MBIND, "mbind", errno);
			return;
		}
	}
}

/*
 * Where is each unit now? After move_pages, a unit whose status named the
 * target must be there: nothing else moves our pages across nodes (the task and
 * VMA policies are BIND, so NUMA balancing leaves them alone; the writers'
 * pages are never COW-shared, and the main pages are not written meanwhile).
 */
static void locate(struct nm *nm, int m, int node)
{
	struct mmt_hist *h = mmt_hist_of(nm->w, 0, OP_LOCATE);
	size_t off, n, u, batch = (size_t)nm->o->batch;
	unsigned bad = 0;
	uint64_t t0;

	for (off = 0; off < nm->nunits; off += n) {
		n = nm->nunits - off < batch ? nm->nunits - off : batch;
		t0 = mmt_ticks();
		if (nm_move_pages(n, nm->addr + off, NULL, nm->lstatus + off, 0) < 0) {
			mmt_fail_errno(nm->w, OP_LOCATE, "move_pages(nodes=NULL)", errno);
			return;
		}
		mmt_time(h, t0);
	}
	for (u = 0; u < nm->nunits; u++) {
		if (nm->lstatus[u] != node)
			nm->off_target += (double)nm->upp;
		else if (m != M_MOVE_PAGES)
			nm->migrated += (double)nm->upp;
		if (m != M_MOVE_PAGES || nm->mstatus[u] != node || nm->lstatus[u] == node)
			continue;
		if (bad++ < NM_MAXBAD)
			mmt_fail(nm->w, MMT_FK_ERRNO, OP_LOCATE, 0,
				 (uint64_t)(uintptr_t)nm->addr[u],
				 "move_pages said unit %zu moved to node %d, but it is on %d", u,
				 node, nm->lstatus[u]);
	}
}

static int pick_mode(struct nm *nm)
{
	int m, k;

	if (nm->o->mode != M_ROTATE)
		return nm->ok[nm->o->mode] ? nm->o->mode : -1;
	for (k = 0; k < 3; k++) {
		m = (int)((nm->round + (uint64_t)k) % 3);
		if (nm->ok[m])
			return m;
	}
	return -1;
}

static int migrate(struct nm *nm)
{
	int m = pick_mode(nm), node;
	size_t u;

	if (m < 0)
		return -EOPNOTSUPP;
	nm->target = (nm->target + 1) % nm->nn;
	node = nm->nodes[nm->target];
	if (m == M_MOVE_PAGES) {
		for (u = 0; u < nm->nunits; u++)
			nm->tnode[u] = node;
		pass_move_pages(nm, node);
	} else if (m == M_MIGRATE_PAGES) {
		pass_migrate_pages(nm, node);
	} else {
		pass_mbind(nm, node);
	}
	locate(nm, m, node);
	return 0;
}

/* ---- the cow child: shares the main pages across the migration ---- */

static __attribute__((noreturn)) void child_main(struct nm *nm, int rfd)
{
	unsigned rec = 1 + nm->nthreads;
	struct mmt_hist *h = mmt_hist_of(nm->w, rec, OP_COW);
	ssize_t n;
	size_t i;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != nm->w->ws->pid)
		_exit(0);
	/* Wait for the parent's migration pass; EOF: it went away, nothing to check. */
	do
		n = read(rfd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(0);
	verify_range(nm, 0, nm->nmain, 1, 0, rec);
	for (i = 0; i < nm->nmain; i++)
		write_page(nm, i, 1, h);
	verify_range(nm, 0, nm->nmain, 1, 1, rec);
	_exit(0);
}

static pid_t fork_child(struct nm *nm, int *wfd)
{
	int p[2];
	pid_t pid;
	uint64_t t0;

	if (pipe2(p, O_CLOEXEC)) {
		mmt_fail_errno(nm->w, OP_FORK, "pipe2", errno);
		return -1;
	}
	t0 = mmt_ticks();
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		child_main(nm, p[0]);
	}
	mmt_time(mmt_hist_of(nm->w, 0, OP_FORK), t0);
	close(p[0]);
	if (pid < 0) {
		mmt_fail_errno(nm->w, OP_FORK, "fork", errno);
		close(p[1]);
		return -1;
	}
	*wfd = p[1];
	return pid;
}

static void release_child(struct nm *nm, pid_t pid, int wfd)
{
	uint64_t t0 = mmt_ticks();
	int status;

	if (write(wfd, "g", 1) != 1)
		mmt_fail_errno(nm->w, OP_WAIT, "write(pipe)", errno);
	close(wfd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	mmt_time(mmt_hist_of(nm->w, 0, OP_WAIT), t0);
	mmt_child_status(nm->w, OP_WAIT, pid, status, "cow child");
}

/* ---- the round ---- */

static void inject(struct nm *nm)
{
	/* Page 1's bytes where page 0 belongs: the verifier must say "other index". */
	if (nm->o->inject == INJ_CORRUPT && nm->round == 1 && nm->nmain > 1)
		memcpy(nm->base, nm->base + nm->pg, nm->pg);
}

static int nm_round(struct nm *nm)
{
	struct mmt_hist *h = mmt_hist_of(nm->w, 0, OP_WRITE);
	pid_t pid = -1;
	int wfd = -1, r;
	size_t i;

	nm->round++;
	if (nm->cow)
		pid = fork_child(nm, &wfd);
	r = migrate(nm);
	if (pid > 0)
		release_child(nm, pid, wfd);
	if (r)
		return r;
	inject(nm);
	verify_range(nm, 0, nm->nmain, 1, 0, 0);
	for (i = 0; i < nm->nmain; i++)
		write_page(nm, i, 0, h);
	return 0;
}

static void final_metrics(struct nm *nm)
{
	double s = (double)(mmt_mono_ns() - nm->t_start) / 1e9;

	mmt_metric(nm->w, "rounds", (double)nm->round);
	mmt_metric(nm->w, "pages_migrated", nm->migrated);
	mmt_metric(nm->w, "pages_migrated_per_s", s > 0 ? nm->migrated / s : 0);
	mmt_metric(nm->w, "pages_unmoved", nm->unmoved);
	mmt_metric(nm->w, "pages_off_target", nm->off_target);
	measure_coverage(nm);
	if (nm->o->page == P_THP && nm->coverage_n && nm->coverage_sum == 0)
		mmt_note(nm->w, "WARNING: THP coverage 0%%: no THP was faulted in; this run "
				"migrated base pages only");
}

static int nm_run(struct mmt_worker *w, void *state)
{
	struct nm *nm = state;
	int r = 0;

	nm->t_start = mmt_mono_ns();
	while (!mmt_should_stop(w) && !r)
		r = nm_round(nm);
	stop_writers(nm);
	/* The writers' last writes, and everything else, once more at rest. */
	verify_range(nm, 0, nm->npages, 1, 0, 0);
	final_metrics(nm);
	if (r == -EOPNOTSUPP) {
		mmt_note(w, "every migration path stopped being supported after round %llu",
			 (unsigned long long)nm->round);
		r = 0;
	}
	return r;
}

static void nm_teardown(struct mmt_worker *w, void *state)
{
	struct nm *nm = state;

	(void)w;
	if (!nm)
		return;
	if (nm->writers)
		stop_writers(nm);
	free(nm->writers);
	if (nm->map)
		munmap(nm->map, nm->maplen);
	free(nm->gen);
	free(nm->addr);
	free(nm->tnode);
	free(nm->mstatus);
	free(nm->lstatus);
	free(nm);
}

static unsigned nm_recorders(const void *opts)
{
	const struct nm_opts *o = opts;

	/* The main thread, the writers, the cow child (one at a time). */
	return 1 + (unsigned)o->threads + 1;
}

const struct mmt_workload mmt_wl_numa_migrate = {
	.name = "numa_migrate",
	.summary = "move_pages/migrate_pages/mbind of tagged base pages or THPs between nodes "
		   "under writers and a COW-sharing child, every byte verified",
	.mirrors = "6.1-rc1 \"mm: remember young/dirty bit for page migrations\": on sparc64 "
		   "migrated read-only PTEs came back writable (fixed by \"mm/migrate: fix "
		   "wrongly apply write bit after mkdirty on sparc64\")",
	.needs = MMT_NEED_NUMA2,
	.opts = nm_options,
	.opts_size = sizeof(struct nm_opts),
	.ops = nm_ops,
	.recorders = nm_recorders,
	.probe = nm_probe,
	.setup = nm_setup,
	.run = nm_run,
	.teardown = nm_teardown,
};

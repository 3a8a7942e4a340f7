// SPDX-License-Identifier: GPL-2.0
/*
 * vma_iter — many-VMA iterators against concurrent writers.
 *
 * Stresses: the maple-tree VMA iterators behind /proc/PID/maps, smaps and
 * smaps_rollup (show_map/m_start/m_next, read under per-VMA locks and RCU
 * since 6.17), the PROCMAP_QUERY ioctl (query_vma_find_by_addr), mincore's VMA
 * walk, and a remote reader of /proc/PID/maps in another process, all while
 * writer threads change the tree under them: mprotect toggles (vma_modify),
 * munmap + refill of a VMA (gaps appearing and closing), mremap moves out and
 * back (vma_merge/copy_vma), MADV_DONTNEED.
 *
 * Mirrors: maple-tree iterator bugs that returned a wrong VMA or skipped one
 * when a process has many VMAs (mas_find/mas_next_entry with node splits and
 * rebalancing; the s390 next-20220513 mmap_region crash with more than 14 VMAs,
 * where the iterator handed out node metadata as a VMA). An iterator that skips
 * or repeats a VMA, reports a wrong range or permission, or goes backwards, is
 * caught here.
 *
 * The arena: N non-mergeable VMAs of `vma_pages` pages, with alternating
 * protections (even rw-p, odd r--p) and, in the "holes" layout, a one-page
 * hole after each. Every page carries a tag. One VMA in every `spacing` is a
 * writer slot (even, so always rw-p at rest and never adjacent to another
 * slot); the others are stable: no writer ever touches them.
 *
 * Checks, on every full read by every reader (the same checker for maps text,
 * smaps headers, the remote reader and PROCMAP_QUERY answers): lines sorted and
 * non-overlapping (the documented guarantee of a racy maps read), every stable
 * VMA present once with its exact range and protections, no line that cuts
 * into the layout, slot VMAs only as themselves (rw-p or ---p), and no more
 * slots missing than the writers could have had unmapped during that read.
 * smaps: each stable VMA's Rss is whole; smaps_rollup: Rss covers the stable
 * pages; mincore: stable pages resident, holes ENOMEM. The worker verifies the
 * tags of every stable page once a second; writers verify their slot's data
 * across every mremap, before every munmap and MADV_DONTNEED, and the zeroes
 * after it.
 *
 * `sweep` records the read latency of /proc/self/maps against the VMA count
 * (10 to 1M, as vm.max_map_count allows; `max_map_count` raises it through the
 * journal) as metrics maps_read_us_nN (p50).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>

#include "workload.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The PROCMAP_QUERY UAPI (Linux 6.11), a stable ABI older headers lack. */
#ifndef PROCMAP_QUERY
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#endif

#define MAX_MAP_COUNT "/proc/sys/vm/max_map_count"
#define CHUNK (1u << 20) /* read() size for the /proc text files */

enum { L_HOLES, L_ADJACENT };
enum { R_ALL, R_MAPS, R_SMAPS, R_ROLLUP, R_QUERY, R_MINCORE };
enum { WR_ALL, WR_MPROTECT, WR_MUNMAP, WR_MREMAP, WR_MADVISE };
enum { INJ_NONE, INJ_DROP, INJ_OVERLAP, INJ_UNSORTED, INJ_CORRUPT };
enum {
	OP_MAPS,
	OP_SMAPS,
	OP_ROLLUP,
	OP_QUERY,
	OP_MINCORE,
	OP_REMOTE,
	OP_MPROTECT,
	OP_UNMAP,
	OP_MREMAP,
	OP_MADVISE,
	OP_VERIFY,
	OP_BUILD,
};

struct vma_iter_opts {
	int64_t vmas;
	int64_t max_map_count;
	int64_t vma_pages;
	int layout;
	int64_t readers;
	int64_t writers;
	int read;
	int write;
	int remote;
	int64_t spacing;
	int sweep;
	int inject;
};

static const char *const layouts[] = {"holes", "adjacent", NULL};
static const char *const read_modes[] = {"all",	  "maps",    "smaps", "rollup",
					 "query", "mincore", NULL};
static const char *const write_modes[] = {"all", "mprotect", "munmap", "mremap", "madvise", NULL};
static const char *const injects[] = {"none", "drop-vma", "overlap", "unsorted", "corrupt", NULL};

#define OFF(f) offsetof(struct vma_iter_opts, f)
static const struct mmt_opt vma_iter_options[] = {
	{"vmas", MMT_OPT_INT, OFF(vmas), 0, 4000000, "0", NULL,
	 "VMAs in the arena; 0: vm.max_map_count minus headroom for the process's own maps"},
	{"max_map_count", MMT_OPT_INT, OFF(max_map_count), 0, 8000000, "0", NULL,
	 "raise vm.max_map_count to this first (root, through the journal, restored after); "
	 "0: leave it"},
	{"vma_pages", MMT_OPT_INT, OFF(vma_pages), 1, 512, "1", NULL, "pages per VMA"},
	{"layout", MMT_OPT_ENUM, OFF(layout), 0, 0, "holes", layouts,
	 "non-mergeable VMAs kept apart by one-page holes, or adjacent with alternating "
	 "protections"},
	{"readers", MMT_OPT_INT, OFF(readers), 0, 16, "2", NULL,
	 "reader threads (each rotates through the `read` kinds)"},
	{"writers", MMT_OPT_INT, OFF(writers), 0, 16, "1", NULL,
	 "writer threads changing their own slot VMAs"},
	{"read", MMT_OPT_ENUM, OFF(read), 0, 0, "all", read_modes,
	 "what readers do: every kind in turn, or only full reads of /proc/self/maps, smaps, "
	 "smaps_rollup, a PROCMAP_QUERY walk, or a mincore sweep"},
	{"write", MMT_OPT_ENUM, OFF(write), 0, 0, "all", write_modes,
	 "what writers do: every kind in turn, or only mprotect toggles, munmap + refill, "
	 "mremap out and back, MADV_DONTNEED + refill"},
	{"remote", MMT_OPT_BOOL, OFF(remote), 0, 0, "1", NULL,
	 "a forked helper reads /proc/PID/maps of the worker from another process"},
	{"spacing", MMT_OPT_INT, OFF(spacing), 2, 1000000, "8", NULL,
	 "one VMA in this many is a writer slot (rounded up to even); the rest are stable"},
	{"sweep", MMT_OPT_BOOL, OFF(sweep), 0, 0, "0", NULL,
	 "first record the maps read latency against the VMA count (10..1M, as "
	 "vm.max_map_count allows) as metrics maps_read_us_nN"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: check a real maps text with a stable VMA's line removed, "
	 "duplicated or swapped with another, or corrupt a stable page before verify"},
	{NULL},
};

static const char *const vma_iter_ops[] = {
	[OP_MAPS] = "maps_read",
	[OP_SMAPS] = "smaps_read",
	[OP_ROLLUP] = "rollup_read",
	[OP_QUERY] = "query_walk",
	[OP_MINCORE] = "mincore_sweep",
	[OP_REMOTE] = "remote_maps_read",
	[OP_MPROTECT] = "mprotect_toggle",
	[OP_UNMAP] = "unmap_refill",
	[OP_MREMAP] = "mremap_move",
	[OP_MADVISE] = "madvise_dontneed",
	[OP_VERIFY] = "verify",
	[OP_BUILD] = "build",
	NULL,
};

/* ---- the layout and the checker ---- */

struct layout {
	uintptr_t lo, hi; /* the arena: VMA i starts at lo + i * stride */
	size_t n, vlen, stride, spacing, pg;
	size_t nslots; /* writer slots: VMAs k * spacing, 0 < k * spacing < n - 1 */
	size_t nstable; /* VMAs no writer touches */
};

static inline uintptr_t vma_addr(const struct layout *l, size_t i)
{
	return l->lo + i * l->stride;
}

static inline int is_slot(const struct layout *l, size_t i)
{
	/* Never the first or last: those touch the arena's PROT_NONE guards. */
	return i % l->spacing == 0 && i && i + 1 < l->n;
}

static inline int base_prot(size_t i)
{
	return i & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
}

static inline const char *base_perms(size_t i)
{
	return i & 1 ? "r--p" : "rw-p";
}

/*
 * One pass over a full read. Lines (or PROCMAP_QUERY answers) are fed in
 * address order as they come; the first issue is kept in words, the rest
 * counted, so that one bad read is one failure record.
 */
struct vcheck {
	const struct layout *l;
	int smaps, check_rss, prev_in_arena;
	uint64_t prev_start, prev_end;
	size_t next; /* the next arena VMA index expected */
	size_t lines, arena_lines, slot_missing, slot_none;
	long cur_stable; /* smaps: the stable VMA whose fields follow, or -1 */
	unsigned issues;
	uint64_t addr;
	char first[160];
};

static void mmt_printf(3, 4) vc_issue(struct vcheck *ck, uint64_t addr, const char *fmt, ...)
{
	va_list ap;

	if (ck->issues++)
		return;
	ck->addr = addr;
	va_start(ap, fmt);
	vsnprintf(ck->first, sizeof(ck->first), fmt, ap);
	va_end(ap);
}

static void vc_begin(struct vcheck *ck, const struct layout *l, int smaps, int check_rss)
{
	memset(ck, 0, sizeof(*ck));
	ck->l = l;
	ck->smaps = smaps;
	ck->check_rss = check_rss;
	ck->cur_stable = -1;
}

/* Arena VMAs [ck->next, upto) did not appear: stable ones are a failure. */
static void vc_gap(struct vcheck *ck, size_t upto)
{
	const struct layout *l = ck->l;
	size_t j;

	for (j = ck->next; j < upto && j < l->n; j++) {
		if (is_slot(l, j))
			ck->slot_missing++;
		else
			vc_issue(ck, vma_addr(l, j), "stable VMA #%zu %#lx-%#lx %s missing", j,
				 (unsigned long)vma_addr(l, j),
				 (unsigned long)(vma_addr(l, j) + l->vlen), base_perms(j));
	}
	if (upto > ck->next)
		ck->next = upto;
}

/* Lines never go backwards and never overlap. */
static void vc_order(struct vcheck *ck, uint64_t start, uint64_t end, const char *perms)
{
	if (start < ck->prev_start || end <= start)
		vc_issue(ck, start,
			 "%#" PRIx64 "-%#" PRIx64
			 " %.4s goes backwards: previous line starts at %#" PRIx64,
			 start, end, perms, ck->prev_start);
	else if (start < ck->prev_end)
		vc_issue(ck, start,
			 "%#" PRIx64 "-%#" PRIx64
			 " %.4s overlaps the previous line, which ends at %#" PRIx64,
			 start, end, perms, ck->prev_end);
}

static void vc_vma(struct vcheck *ck, uint64_t start, uint64_t end, const char *perms)
{
	const struct layout *l = ck->l;
	uint64_t off;
	int in_arena;
	size_t i;

	in_arena = end > l->lo && start < l->hi;
	ck->lines++;
	ck->cur_stable = -1;
	/*
	 * A read that resumes after a chunk may print a VMA that merged with the
	 * one it printed last, so lines may overlap where VMAs merge (the parking
	 * reservations, outside the arena). Nothing in the arena merges: there,
	 * and right after it, the order is strict.
	 */
	if (in_arena || ck->prev_in_arena)
		vc_order(ck, start, end, perms);
	ck->prev_start = start;
	ck->prev_in_arena = in_arena;
	if (end > ck->prev_end)
		ck->prev_end = end;
	if (!in_arena) {
		if (start >= l->hi)
			vc_gap(ck, l->n);
		return;
	}
	ck->arena_lines++;
	off = start - l->lo;
	i = start < l->lo ? 0 : off / l->stride;
	if (start < l->lo || off % l->stride || end - start != l->vlen || i >= l->n) {
		vc_issue(ck, start,
			 "%#" PRIx64 "-%#" PRIx64 " %.4s cuts into the layout (near VMA #%zu)",
			 start, end, perms, i);
		return;
	}
	if (i < ck->next) {
		vc_issue(ck, start, "VMA #%zu %#" PRIx64 "-%#" PRIx64 " reported twice", i, start,
			 end);
		return;
	}
	vc_gap(ck, i);
	ck->next = i + 1;
	if (is_slot(l, i)) {
		if (!memcmp(perms, "---p", 4))
			ck->slot_none++;
		else if (memcmp(perms, base_perms(i), 4))
			vc_issue(ck, start,
				 "slot VMA #%zu %#" PRIx64 "-%#" PRIx64 " is %.4s, want %s or ---p",
				 i, start, end, perms, base_perms(i));
		return;
	}
	if (memcmp(perms, base_perms(i), 4))
		vc_issue(ck, start, "stable VMA #%zu %#" PRIx64 "-%#" PRIx64 " is %.4s, want %s", i,
			 start, end, perms, base_perms(i));
	ck->cur_stable = (long)i;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "start-end perms ..." -> 0, or -1 when the line is not a VMA header. */
static int parse_header(const char *s, const char *e, uint64_t *start, uint64_t *end,
			const char **perms)
{
	uint64_t a = 0, b = 0;
	int v;

	for (; s < e && (v = hexval(*s)) >= 0; s++)
		a = a << 4 | (uint64_t)v;
	if (s >= e || *s++ != '-')
		return -1;
	for (; s < e && (v = hexval(*s)) >= 0; s++)
		b = b << 4 | (uint64_t)v;
	if (e - s < 5 || *s != ' ')
		return -1;
	*start = a;
	*end = b;
	*perms = s + 1;
	return 0;
}

/* smaps: a stable VMA holds all its pages (no swap), so its Rss is whole. */
static void vc_field(struct vcheck *ck, const char *s, const char *e)
{
	unsigned long kb, want = ck->l->vlen / 1024;

	if (ck->cur_stable < 0 || e - s < 5 || memcmp(s, "Rss:", 4))
		return;
	kb = strtoul(s + 4, NULL, 10);
	if (ck->check_rss && kb != want)
		vc_issue(ck, vma_addr(ck->l, (size_t)ck->cur_stable),
			 "stable VMA #%ld Rss %lu kB, want %lu kB", ck->cur_stable, kb, want);
	ck->cur_stable = -1;
}

static void vc_line(struct vcheck *ck, const char *s, const char *e)
{
	uint64_t start, end;
	const char *perms;

	if (s == e)
		return;
	if (hexval(*s) >= 0) {
		if (parse_header(s, e, &start, &end, &perms))
			vc_issue(ck, 0, "unparsable line \"%.*s\"", (int)(e - s > 80 ? 80 : e - s),
				 s);
		else
			vc_vma(ck, start, end, perms);
		return;
	}
	if (ck->smaps)
		vc_field(ck, s, e);
	else
		vc_issue(ck, 0, "unparsable line \"%.*s\"", (int)(e - s > 80 ? 80 : e - s), s);
}

/* Check the complete lines of text; returns the bytes consumed. */
static size_t vc_feed(struct vcheck *ck, const char *text, size_t len)
{
	const char *s = text, *end = text + len, *nl;

	while (s < end && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		vc_line(ck, s, nl);
		s = nl + 1;
	}
	return (size_t)(s - text);
}

/*
 * The read is over: every arena VMA not seen is missing, and no more slots may
 * be missing than the writers could have unmapped while it ran.
 */
static void vc_end(struct vcheck *ck, uint64_t allowed_missing)
{
	vc_gap(ck, ck->l->n);
	if (ck->slot_missing > allowed_missing)
		vc_issue(ck, 0, "%zu writer VMAs missing, writers had at most %" PRIu64 " unmapped",
			 ck->slot_missing, allowed_missing);
}

/* The checker on one whole text buffer (a test can feed it anything). */
static unsigned vc_check_text(struct vcheck *ck, const char *text, size_t len,
			      uint64_t allowed_missing)
{
	size_t used = vc_feed(ck, text, len);

	if (used < len)
		vc_line(ck, text + used, text + len);
	vc_end(ck, allowed_missing);
	return ck->issues;
}

/* ---- per-worker state ---- */

struct vma_iter;

struct shared_counts {
	uint64_t removals; /* slot removals started by writers (atomic) */
	uint64_t lost; /* slots a failed refill left unmapped for good */
};

struct reader {
	struct vma_iter *vi;
	unsigned idx, rec;
	pthread_t tid;
	char *buf; /* CHUNK bytes */
	unsigned char *vec; /* mincore */
	int qfd; /* /proc/self/maps kept open for PROCMAP_QUERY */
	uint64_t round;
	uint64_t lines, reads; /* maps reads, for the lines-per-read metric */
	uint64_t slot_missing, slot_none;
};

struct writer {
	struct vma_iter *vi;
	unsigned idx, rec;
	pthread_t tid;
	char *park; /* PROT_NONE reservation: the mremap target */
	size_t cursor;
	uint64_t step;
};

struct vma_iter {
	struct mmt_worker *w;
	const struct vma_iter_opts *o;
	struct layout l;
	char *arena; /* the reservation the arena lives in */
	size_t arena_len;
	uint32_t *gen; /* expected generation per VMA (0: zeroes) */
	struct shared_counts *counts; /* MAP_SHARED: the remote helper reads it too */
	unsigned nreaders, nwriters, nr_started, nw_started;
	struct reader *readers;
	struct writer *writers;
	struct reader helper; /* the remote helper's reader state */
	pid_t helper_pid;
	char *inj_buf; /* inject: a whole maps text */
	size_t inj_cap;
	long max_vmas; /* what vm.max_map_count leaves for the arena */
	long mem_vmas; /* what a quarter of the available memory holds */
	long mmc;
	int query_ok, check_rss;
};

static unsigned rec_reader(const struct vma_iter *vi, unsigned r)
{
	(void)vi;
	return 1 + r;
}

static unsigned rec_writer(const struct vma_iter *vi, unsigned wr)
{
	return 1 + (unsigned)vi->o->readers + wr;
}

static unsigned rec_helper(const struct vma_iter *vi)
{
	return 1 + (unsigned)vi->o->readers + (unsigned)vi->o->writers;
}

static long read_long(const char *path)
{
	char buf[64];

	if (mmt_sysfs_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* ---- probe: vm.max_map_count through the journal ---- */

static int vma_iter_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	const struct vma_iter_opts *o = opts;
	long cur = read_long(MAX_MAP_COUNT);
	char val[32];
	int r;

	if (cur < 0)
		return snprintf(reason, len, "cannot read %s", MAX_MAP_COUNT), MMT_SKIP;
	if (o->max_map_count > cur) {
		if (!env->is_root)
			return snprintf(reason, len,
					"max_map_count=%" PRId64
					" needs root (vm.max_map_count is %ld)",
					o->max_map_count, cur),
			       MMT_SKIP;
		snprintf(val, sizeof(val), "%" PRId64, o->max_map_count);
		r = mmt_sysfs_write(env->journal, MAX_MAP_COUNT, val);
		if (r)
			return snprintf(reason, len, "raising vm.max_map_count to %s: %s", val,
					strerror(-r)),
			       MMT_SKIP;
		cur = (long)o->max_map_count;
	}
	if (o->vmas && o->vmas > cur - 1024)
		return snprintf(reason, len,
				"vmas=%" PRId64
				" does not fit under vm.max_map_count %ld with headroom "
				"(raise it with max_map_count=)",
				o->vmas, cur),
		       MMT_SKIP;
	return 0;
}

/* ---- the arena ---- */

static struct mmt_tag vma_tag(const struct vma_iter *vi, size_t i, size_t p, uint32_t gen)
{
	uint64_t index = (uint64_t)i * (uint64_t)vi->o->vma_pages + p;

	if (!gen)
		return mmt_tag_zero(index);
	return mmt_tag_make((uint32_t)vi->w->seed, mmt_owner(vi->w->id, 0), gen, index);
}

static void fill_vma(struct vma_iter *vi, char *at, size_t i, uint32_t gen)
{
	size_t p, pg = vi->l.pg;
	struct mmt_tag t;

	for (p = 0; p < vi->l.vlen / pg; p++) {
		t = vma_tag(vi, i, p, gen);
		mmt_tag_fill(at + p * pg, pg, &t);
	}
}

/* Verify VMA i's pages at `at`; returns the mismatches (the first few reported). */
static unsigned verify_vma(struct vma_iter *vi, const char *at, size_t i, uint32_t gen, int op,
			   unsigned *budget)
{
	size_t p, pg = vi->l.pg;
	unsigned bad = 0;
	struct mmt_verify v;
	struct mmt_tag t;

	for (p = 0; p < vi->l.vlen / pg; p++) {
		t = vma_tag(vi, i, p, gen);
		if (mmt_likely(!mmt_tag_verify(at + p * pg, pg, &t, &v)))
			continue;
		bad++;
		if (*budget) {
			(*budget)--;
			mmt_fail_verify(vi->w, op, at + p * pg, &t, &v);
		}
	}
	return bad;
}

/* Map VMA i at its place, fill it, and give it its protection. */
static int map_vma(struct vma_iter *vi, const struct layout *l, size_t i)
{
	void *a = (void *)vma_addr(l, i);

	if (mmap(a, l->vlen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != a)
		return errno ? -errno : -EEXIST;
	fill_vma(vi, a, i, 1);
	/*
	 * Adjacent layout: an odd VMA merged into its rw-p neighbour when it was
	 * mapped; making it read-only splits it off again.
	 */
	if (base_prot(i) != (PROT_READ | PROT_WRITE) && mprotect(a, l->vlen, base_prot(i)))
		return -errno;
	return 0;
}

static void layout_init(struct vma_iter *vi, struct layout *l, size_t n)
{
	const struct vma_iter_opts *o = vi->o;

	l->pg = (size_t)vi->w->pagesz;
	l->n = n;
	l->vlen = (size_t)o->vma_pages * l->pg;
	l->stride = l->vlen + (o->layout == L_HOLES ? l->pg : 0);
	l->spacing = (size_t)(o->spacing + (o->spacing & 1));
	l->nslots = n > 2 ? (n - 2) / l->spacing : 0;
	l->nstable = n - l->nslots;
}

/*
 * Reserve the arena plus a PROT_NONE guard page at each end, so that nothing
 * mapped later next to it can merge with VMA 0 or n-1; free the inside
 * (nothing else maps in this process meanwhile) and map every VMA into it.
 */
static int arena_build(struct vma_iter *vi, struct layout *l, size_t n, char **res, size_t *rlen)
{
	void *p;
	size_t i;
	int r;

	layout_init(vi, l, n);
	*rlen = n * l->stride + 2 * l->pg;
	p = mmap(NULL, *rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	*res = p;
	l->lo = (uintptr_t)p + l->pg;
	l->hi = l->lo + n * l->stride;
	if (munmap((void *)l->lo, n * l->stride))
		return -errno;
	for (i = 0; i < n; i++) {
		r = map_vma(vi, l, i);
		if (r)
			return r;
		if ((i & 4095) == 4095)
			mmt_beat(vi->w);
	}
	return 0;
}

static void arena_destroy(char **res, size_t rlen)
{
	if (*res)
		munmap(*res, rlen);
	*res = NULL;
}

/* ---- reading /proc text through the checker ---- */

/* Read fd to the end through the checker; -errno on a read error. */
static int read_checked(int fd, char *buf, struct vcheck *ck)
{
	size_t have = 0, used;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + have, CHUNK - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		have += (size_t)n;
		used = vc_feed(ck, buf, have);
		if (!used && have == CHUNK) {
			vc_issue(ck, 0, "a line longer than %u bytes", CHUNK);
			return 0;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (have)
		vc_line(ck, buf, buf + have);
	return 0;
}

static uint64_t removals_now(const struct vma_iter *vi)
{
	return __atomic_load_n(&vi->counts->removals, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&vi->counts->lost, __ATOMIC_ACQUIRE);
}

static void report_check(struct vma_iter *vi, int op, const struct vcheck *ck, const char *what)
{
	if (mmt_likely(!ck->issues))
		return;
	mmt_fail(vi->w, MMT_FK_VERIFY, op, 0, ck->addr, "%s: %s (%u issue%s in this read)", what,
		 ck->first, ck->issues, ck->issues > 1 ? "s" : "");
}

static void note_read(struct reader *rd, const struct vcheck *ck)
{
	rd->slot_missing += ck->slot_missing;
	rd->slot_none += ck->slot_none;
}

/*
 * One full read of a maps-format file (maps, smaps, or another process's maps),
 * timed into op unless `quiet` (the sweep keeps its own times).
 */
static void read_maps_file(struct reader *rd, const char *path, int op, int smaps, int quiet)
{
	struct vma_iter *vi = rd->vi;
	struct vcheck ck;
	uint64_t r0, t0;
	int fd, r;

	vc_begin(&ck, &vi->l, smaps, vi->check_rss);
	r0 = removals_now(vi);
	t0 = mmt_ticks();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mmt_fail_errno(vi->w, op, path, errno);
		return;
	}
	r = read_checked(fd, rd->buf, &ck);
	close(fd);
	if (!quiet)
		mmt_time(mmt_hist_of(vi->w, rd->rec, op), t0);
	if (r) {
		mmt_fail_errno(vi->w, op, path, -r);
		return;
	}
	vc_end(&ck, removals_now(vi) - r0 + vi->nwriters);
	report_check(vi, op, &ck, path);
	note_read(rd, &ck);
	if (op == OP_MAPS) {
		rd->lines += ck.lines;
		rd->reads++;
	}
}

/* smaps_rollup: one header spanning every VMA, and an Rss holding the stable pages. */
static void read_rollup(struct reader *rd)
{
	struct vma_iter *vi = rd->vi;
	unsigned long long lo = 0, hi = 0, rss = 0, want;
	uint64_t t0 = mmt_ticks();
	ssize_t n, have = 0;
	char *p;
	int fd;

	fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mmt_fail_errno(vi->w, OP_ROLLUP, "/proc/self/smaps_rollup", errno);
		return;
	}
	while ((n = read(fd, rd->buf + have, CHUNK - 1 - (size_t)have)) > 0)
		have += n;
	close(fd);
	mmt_time(mmt_hist_of(vi->w, rd->rec, OP_ROLLUP), t0);
	rd->buf[have] = '\0';
	p = strstr(rd->buf, "\nRss:");
	if (sscanf(rd->buf, "%llx-%llx", &lo, &hi) != 2 || !p || sscanf(p + 5, "%llu", &rss) != 1) {
		mmt_fail(vi->w, MMT_FK_VERIFY, OP_ROLLUP, 0, 0,
			 "smaps_rollup: unparsable (%zd bytes): \"%.60s\"", have, rd->buf);
		return;
	}
	want = (unsigned long long)(vi->l.nstable * vi->l.vlen / 1024);
	if (lo > vi->l.lo || hi < vi->l.hi)
		mmt_fail(vi->w, MMT_FK_VERIFY, OP_ROLLUP, 0, lo,
			 "smaps_rollup: span %#llx-%#llx does not cover the arena %#lx-%#lx", lo,
			 hi, (unsigned long)vi->l.lo, (unsigned long)vi->l.hi);
	else if (vi->check_rss && rss < want)
		mmt_fail(vi->w, MMT_FK_VERIFY, OP_ROLLUP, 0, 0,
			 "smaps_rollup: Rss %llu kB, less than the %llu kB of stable pages", rss,
			 want);
}

static void query_perms(uint64_t flags, char perms[4])
{
	perms[0] = flags & PROCMAP_QUERY_VMA_READABLE ? 'r' : '-';
	perms[1] = flags & PROCMAP_QUERY_VMA_WRITABLE ? 'w' : '-';
	perms[2] = flags & PROCMAP_QUERY_VMA_EXECUTABLE ? 'x' : '-';
	perms[3] = flags & PROCMAP_QUERY_VMA_SHARED ? 's' : 'p';
}

/* Walk the whole address space with PROCMAP_QUERY "covering or next". */
static int query_walk(int fd, struct vcheck *ck)
{
	struct procmap_query q;
	uint64_t addr = 0;
	char perms[4];

	for (;;) {
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
		q.query_addr = addr;
		if (ioctl(fd, PROCMAP_QUERY, &q))
			return errno == ENOENT ? 0 : -errno;
		query_perms(q.vma_flags, perms);
		vc_vma(ck, q.vma_start, q.vma_end, perms);
		if (q.vma_end <= addr)
			return -EINVAL;
		addr = q.vma_end;
	}
}

static void read_query(struct reader *rd)
{
	struct vma_iter *vi = rd->vi;
	struct vcheck ck;
	uint64_t r0, t0;
	int r;

	vc_begin(&ck, &vi->l, 0, 0);
	r0 = removals_now(vi);
	t0 = mmt_ticks();
	r = query_walk(rd->qfd, &ck);
	mmt_time(mmt_hist_of(vi->w, rd->rec, OP_QUERY), t0);
	if (r) {
		mmt_fail_errno(vi->w, OP_QUERY, "ioctl(PROCMAP_QUERY)", -r);
		return;
	}
	vc_end(&ck, removals_now(vi) - r0 + vi->nwriters);
	report_check(vi, OP_QUERY, &ck, "PROCMAP_QUERY walk");
	note_read(rd, &ck);
}

/* mincore over each stable VMA (resident), its hole (ENOMEM), or a run of them. */
static int mincore_one(struct reader *rd, uintptr_t a, size_t len, int want_err)
{
	struct vma_iter *vi = rd->vi;
	size_t k, np = len / vi->l.pg;
	int r = mincore((void *)a, len, rd->vec);

	if (want_err) {
		if (r == 0 || errno != ENOMEM)
			mmt_fail(vi->w, MMT_FK_VERIFY, OP_MINCORE, r ? errno : 0, a,
				 "mincore of the hole at %#lx: %s, want ENOMEM", (unsigned long)a,
				 r ? strerror(errno) : "success");
		return 0;
	}
	if (r) {
		mmt_fail(vi->w, MMT_FK_VERIFY, OP_MINCORE, errno, a,
			 "mincore of stable VMAs %#lx+%zu: %s", (unsigned long)a, len,
			 strerror(errno));
		return -1;
	}
	for (k = 0; vi->check_rss && k < np; k++)
		if (!(rd->vec[k] & 1)) {
			mmt_fail(vi->w, MMT_FK_VERIFY, OP_MINCORE, 0, a + k * vi->l.pg,
				 "mincore: stable page %#lx not resident",
				 (unsigned long)(a + k * vi->l.pg));
			return -1;
		}
	return 0;
}

static void read_mincore(struct reader *rd)
{
	const struct layout *l = &rd->vi->l;
	uint64_t t0 = mmt_ticks();
	size_t i, first;

	for (i = 0; i < l->n && !mmt_should_stop(rd->vi->w); i++) {
		if (is_slot(l, i))
			continue;
		if (l->stride != l->vlen) {
			if (mincore_one(rd, vma_addr(l, i), l->vlen, 0) ||
			    mincore_one(rd, vma_addr(l, i) + l->vlen, l->pg, 1))
				break;
			continue;
		}
		/* Adjacent: one call across the run of stable VMAs up to the next slot. */
		for (first = i; i + 1 < l->n && !is_slot(l, i + 1); i++)
			;
		if (mincore_one(rd, vma_addr(l, first), (i - first + 1) * l->vlen, 0))
			break;
	}
	mmt_time(mmt_hist_of(rd->vi->w, rd->rec, OP_MINCORE), t0);
}

static int reader_kind(const struct reader *rd)
{
	static const int rotation[] = {R_MAPS, R_QUERY, R_MINCORE, R_ROLLUP, R_SMAPS};
	int k;

	if (rd->vi->o->read != R_ALL)
		return rd->vi->o->read;
	k = rotation[(rd->round + rd->idx) % MMT_ARRAY_SIZE(rotation)];
	return k == R_QUERY && !rd->vi->query_ok ? R_MAPS : k;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;

	while (!mmt_should_stop(rd->vi->w)) {
		switch (reader_kind(rd)) {
		case R_MAPS:
			read_maps_file(rd, "/proc/self/maps", OP_MAPS, 0, 0);
			break;
		case R_SMAPS:
			read_maps_file(rd, "/proc/self/smaps", OP_SMAPS, 1, 0);
			break;
		case R_ROLLUP:
			read_rollup(rd);
			break;
		case R_QUERY:
			if (rd->vi->query_ok)
				read_query(rd);
			else
				return NULL; /* read=query here: skipped, noted in setup */
			break;
		case R_MINCORE:
			read_mincore(rd);
			break;
		}
		rd->round++;
	}
	return NULL;
}

/* ---- writers: each owns the slots s with s % nwriters == its index ---- */

/* How many slots writer wr owns. */
static size_t slots_of(const struct writer *wr)
{
	const struct vma_iter *vi = wr->vi;

	if (wr->idx >= vi->l.nslots)
		return 0;
	return (vi->l.nslots - wr->idx + vi->nwriters - 1) / vi->nwriters;
}

static size_t next_slot(struct writer *wr)
{
	struct vma_iter *vi = wr->vi;
	size_t mine = slots_of(wr);
	size_t s = wr->idx + (wr->cursor++ % mine) * vi->nwriters;

	return (s + 1) * vi->l.spacing;
}

static void removal_start(struct vma_iter *vi)
{
	__atomic_fetch_add(&vi->counts->removals, 1, __ATOMIC_RELEASE);
}

static void slot_lost(struct vma_iter *vi)
{
	__atomic_fetch_add(&vi->counts->lost, 1, __ATOMIC_RELEASE);
}

static void op_mprotect(struct writer *wr, size_t i)
{
	struct vma_iter *vi = wr->vi;
	void *a = (void *)vma_addr(&vi->l, i);
	uint64_t t0 = mmt_ticks();

	if (mprotect(a, vi->l.vlen, PROT_NONE)) {
		mmt_fail_errno(vi->w, OP_MPROTECT, "mprotect(PROT_NONE)", errno);
		return;
	}
	if (mprotect(a, vi->l.vlen, base_prot(i)))
		mmt_fail_errno(vi->w, OP_MPROTECT, "mprotect(PROT_READ|PROT_WRITE)", errno);
	mmt_time(mmt_hist_of(vi->w, wr->rec, OP_MPROTECT), t0);
}

static void op_unmap(struct writer *wr, size_t i, unsigned *budget)
{
	struct vma_iter *vi = wr->vi;
	char *a = (char *)vma_addr(&vi->l, i);
	uint64_t t0;
	void *p;

	verify_vma(vi, a, i, vi->gen[i], OP_UNMAP, budget);
	removal_start(vi);
	t0 = mmt_ticks();
	if (munmap(a, vi->l.vlen)) {
		mmt_fail_errno(vi->w, OP_UNMAP, "munmap", errno);
		return;
	}
	p = mmap(a, vi->l.vlen, base_prot(i), MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		 0);
	mmt_time(mmt_hist_of(vi->w, wr->rec, OP_UNMAP), t0);
	if (p != a) {
		/* EEXIST: something else took the slot while it was empty. */
		mmt_fail_errno(vi->w, OP_UNMAP, "mmap(MAP_FIXED_NOREPLACE) of the emptied slot",
			       p == MAP_FAILED ? errno : EEXIST);
		slot_lost(vi);
		return;
	}
	fill_vma(vi, a, i, ++vi->gen[i]);
}

/* Move the slot into the parking reservation and back, its data checked on both sides. */
static void op_mremap(struct writer *wr, size_t i, unsigned *budget)
{
	struct vma_iter *vi = wr->vi;
	char *a = (char *)vma_addr(&vi->l, i);
	size_t len = vi->l.vlen;
	uint64_t t0, t1, t2;
	void *q;

	removal_start(vi);
	t0 = mmt_ticks();
	q = mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, wr->park);
	t1 = mmt_ticks();
	if (q == MAP_FAILED) {
		mmt_fail_errno(vi->w, OP_MREMAP, "mremap(out)", errno);
		return;
	}
	verify_vma(vi, wr->park, i, vi->gen[i], OP_MREMAP, budget);
	t2 = mmt_ticks();
	q = mremap(wr->park, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, a);
	mmt_hist_record(mmt_hist_of(vi->w, wr->rec, OP_MREMAP),
			mmt_ticks_to_ns(t1 - t0 + mmt_ticks() - t2));
	if (q == MAP_FAILED) {
		mmt_fail_errno(vi->w, OP_MREMAP, "mremap(back)", errno);
		slot_lost(vi);
		return;
	}
	verify_vma(vi, a, i, vi->gen[i], OP_MREMAP, budget);
	/* Close the reservation again (the move split it in three). */
	if (mmap(wr->park - vi->l.pg, len + 2 * vi->l.pg, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		mmt_fail_errno(vi->w, OP_MREMAP, "mmap(parking reservation)", errno);
}

static void op_madvise(struct writer *wr, size_t i, unsigned *budget)
{
	struct vma_iter *vi = wr->vi;
	char *a = (char *)vma_addr(&vi->l, i);
	uint64_t t0;

	verify_vma(vi, a, i, vi->gen[i], OP_MADVISE, budget);
	t0 = mmt_ticks();
	if (madvise(a, vi->l.vlen, MADV_DONTNEED)) {
		mmt_fail_errno(vi->w, OP_MADVISE, "madvise(MADV_DONTNEED)", errno);
		return;
	}
	mmt_time(mmt_hist_of(vi->w, wr->rec, OP_MADVISE), t0);
	verify_vma(vi, a, i, 0, OP_MADVISE, budget);
	fill_vma(vi, a, i, ++vi->gen[i]);
}

/*
 * Every slot's data once per 64 passes over them: mprotect toggles check no
 * data on their own, and a per-op check would cost more than the toggle.
 */
static void writer_verify(struct writer *wr, unsigned *budget)
{
	struct vma_iter *vi = wr->vi;
	size_t mine = slots_of(wr), k, i;
	uint64_t t0 = mmt_ticks();

	for (k = 0; k < mine; k++) {
		i = (wr->idx + k * vi->nwriters + 1) * vi->l.spacing;
		verify_vma(vi, (char *)vma_addr(&vi->l, i), i, vi->gen[i], OP_VERIFY, budget);
	}
	mmt_time(mmt_hist_of(vi->w, wr->rec, OP_VERIFY), t0);
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct vma_iter *vi = wr->vi;
	size_t mine = slots_of(wr);
	unsigned budget = 8; /* verify failures this writer records */
	int kind;
	size_t i;

	if (!mine)
		return NULL;
	while (!mmt_should_stop(vi->w)) {
		i = next_slot(wr);
		kind = vi->o->write != WR_ALL ? vi->o->write : (int)(wr->step % 4) + 1;
		wr->step++;
		if (kind == WR_MPROTECT)
			op_mprotect(wr, i);
		else if (kind == WR_MUNMAP)
			op_unmap(wr, i, &budget);
		else if (kind == WR_MREMAP)
			op_mremap(wr, i, &budget);
		else
			op_madvise(wr, i, &budget);
		if (wr->step % (64 * mine) == 0)
			writer_verify(wr, &budget);
	}
	return NULL;
}

/* ---- the remote helper: another process reading /proc/PID/maps ---- */

static __attribute__((noreturn)) void helper_main(struct vma_iter *vi)
{
	char path[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != vi->w->ws->pid)
		_exit(0);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)vi->w->ws->pid);
	while (!mmt_should_stop(vi->w))
		read_maps_file(&vi->helper, path, OP_REMOTE, 0, 0);
	_exit(0);
}

/* ---- setup ---- */

static long count_maps_lines(void)
{
	char buf[4096];
	long lines = 0;
	ssize_t n, k;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (k = 0; k < n; k++)
			lines += buf[k] == '\n';
	close(fd);
	return lines;
}

static long meminfo_kb(const char *key)
{
	char line[128], fmt[48];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int swap_total_kb(void)
{
	return meminfo_kb("SwapTotal") > 0;
}

static long memory_vmas(struct vma_iter *vi)
{
	long avail = meminfo_kb("MemAvailable");
	size_t vlen = (size_t)vi->o->vma_pages * (size_t)vi->w->pagesz;
	size_t fit;

	if (avail <= 0 || !vlen)
		return vi->max_vmas;
	fit = (size_t)avail * 1024 / 4 / (vi->w->nworkers ? vi->w->nworkers : 1) / vlen;
	return fit < 16 ? 16 : fit > (size_t)vi->max_vmas ? vi->max_vmas : (long)fit;
}

/* Headroom: the process's own maps, two per thread (stack, guard), parking, slack. */
static int size_arena(struct vma_iter *vi)
{
	const struct vma_iter_opts *o = vi->o;
	long own = count_maps_lines(), threads = o->readers + o->writers + 1;

	vi->mmc = read_long(MAX_MAP_COUNT);
	if (own < 0 || vi->mmc < 0)
		return -EIO;
	vi->max_vmas = vi->mmc - own - 4 * threads - 3 * o->writers - 256;
	if (o->vmas > vi->max_vmas)
		return mmt_worker_verdict(vi->w, MMT_SKIP,
					  "vmas=%" PRId64
					  " does not fit: vm.max_map_count %ld leaves %ld",
					  o->vmas, vi->mmc, vi->max_vmas);
	if (vi->max_vmas < 16)
		return mmt_worker_verdict(vi->w, MMT_SKIP, "vm.max_map_count %ld leaves %ld VMAs",
					  vi->mmc, vi->max_vmas);
	vi->mem_vmas = memory_vmas(vi);
	return 0;
}

static void *map_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int reader_init(struct vma_iter *vi, struct reader *rd, unsigned idx, unsigned rec)
{
	rd->vi = vi;
	rd->idx = idx;
	rd->rec = rec;
	rd->qfd = -1;
	rd->buf = map_buf(CHUNK);
	rd->vec = map_buf((size_t)(vi->o->spacing + 2) * (size_t)vi->o->vma_pages);
	if (!rd->buf || !rd->vec)
		return -ENOMEM;
	if (vi->query_ok) {
		rd->qfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (rd->qfd < 0)
			return -errno;
	}
	return 0;
}

/* PROCMAP_QUERY exists from 6.11: ENOTTY (or EINVAL) before. */
static void probe_query(struct vma_iter *vi)
{
	struct procmap_query q = {.size = sizeof(q),
				  .query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA};
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -1 : ioctl(fd, PROCMAP_QUERY, &q), err = errno;

	if (fd >= 0)
		close(fd);
	vi->query_ok = r == 0;
	if (!vi->query_ok)
		mmt_note(vi->w, "skipped: PROCMAP_QUERY walk not supported (%s)", strerror(err));
}

static int vma_iter_setup(struct mmt_worker *w, void **state)
{
	const struct vma_iter_opts *o = w->opts;
	struct vma_iter *vi = calloc(1, sizeof(*vi));
	unsigned i;
	int r;

	if (!vi)
		return -ENOMEM;
	*state = vi;
	vi->w = w;
	vi->o = o;
	vi->helper_pid = -1;
	vi->nreaders = (unsigned)o->readers;
	vi->nwriters = (unsigned)o->writers;
	r = size_arena(vi);
	if (r)
		return r;
	vi->check_rss = !swap_total_kb();
	if (!vi->check_rss)
		mmt_note(w, "swap is on: residency and Rss checks of stable pages are off");
	probe_query(vi);
	vi->counts = mmap(NULL, sizeof(*vi->counts), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vi->counts == MAP_FAILED) {
		vi->counts = NULL;
		return -errno;
	}
	vi->readers = calloc(vi->nreaders + 1, sizeof(*vi->readers));
	vi->writers = calloc(vi->nwriters + 1, sizeof(*vi->writers));
	if (!vi->readers || !vi->writers)
		return -ENOMEM;
	for (i = 0; i < vi->nreaders; i++) {
		r = reader_init(vi, &vi->readers[i], i, rec_reader(vi, i));
		if (r)
			return r;
	}
	r = reader_init(vi, &vi->helper, 0, rec_helper(vi));
	if (r)
		return r;
	return mmt_catch_faults(w);
}

/* ---- the sweep: maps read latency against the VMA count ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50 of a few quiet reads of /proc/self/maps with n VMAs, each one checked. */
static int sweep_point(struct vma_iter *vi, size_t n, double *p50_us)
{
	uint64_t t[64], start, t0;
	struct reader *rd = &vi->helper;
	struct layout saved = vi->l;
	unsigned k = 0;
	int r;

	r = arena_build(vi, &vi->l, n, &vi->arena, &vi->arena_len);
	start = mmt_ticks();
	while (!r && k < MMT_ARRAY_SIZE(t) && !mmt_should_stop(vi->w) &&
	       (k < 3 || mmt_ticks_to_ns(mmt_ticks() - start) < 300000000ull)) {
		t0 = mmt_ticks();
		read_maps_file(rd, "/proc/self/maps", OP_MAPS, 0, 1);
		t[k++] = mmt_ticks_to_ns(mmt_ticks() - t0);
		mmt_beat(vi->w);
	}
	arena_destroy(&vi->arena, vi->arena_len);
	vi->l = saved;
	if (r || !k)
		return r ? r : -EINTR;
	qsort(t, k, sizeof(t[0]), cmp_u64);
	*p50_us = (double)t[k / 2] / 1000.0;
	return 0;
}

static void run_sweep(struct vma_iter *vi)
{
	static const long points[] = {10, 16, 100, 1000, 10000, 60000, 100000, 1000000};
	char key[32], skipped[96] = "";
	double us;
	size_t p;
	int r;

	for (p = 0; p < MMT_ARRAY_SIZE(points) && !mmt_should_stop(vi->w); p++) {
		if (points[p] > vi->mem_vmas) {
			snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped),
				 " n%ld", points[p]);
			continue;
		}
		r = sweep_point(vi, (size_t)points[p], &us);
		if (r == -EINTR)
			break;
		if (r) {
			mmt_fail_errno(vi->w, OP_BUILD, "sweep: building the arena", -r);
			return;
		}
		snprintf(key, sizeof(key), "maps_read_us_n%ld", points[p]);
		mmt_metric(vi->w, key, us);
	}
	if (skipped[0])
		mmt_note(vi->w, "sweep skipped%s: vm.max_map_count %ld leaves %ld VMAs, memory %ld",
			 skipped, vi->mmc, vi->max_vmas, vi->mem_vmas);
}

/* ---- the main arena, threads, and the worker's own verification ---- */

/*
 * The default arena: most of max_map_count, but at most a quarter of the
 * available memory over the workers (with 64K pages a VMA of a few pages is
 * 16 times larger, and max_map_count's worth would not fit).
 */
static size_t default_vmas(struct vma_iter *vi)
{
	if (vi->mem_vmas < vi->max_vmas)
		mmt_note(vi->w, "%ld VMAs, not %ld: a quarter of MemAvailable over %u worker(s)",
			 vi->mem_vmas, vi->max_vmas, vi->w->nworkers);
	return (size_t)vi->mem_vmas;
}

static int build_main(struct vma_iter *vi)
{
	size_t n = vi->o->vmas ? (size_t)vi->o->vmas : default_vmas(vi);
	uint64_t t0 = mmt_ticks();
	int r;

	r = arena_build(vi, &vi->l, n, &vi->arena, &vi->arena_len);
	mmt_time(mmt_hist_of(vi->w, 0, OP_BUILD), t0);
	if (r)
		return r;
	vi->gen = malloc(n * sizeof(*vi->gen));
	if (!vi->gen)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		vi->gen[i] = 1;
	mmt_metric(vi->w, "vmas", (double)n);
	mmt_metric(vi->w, "max_map_count", (double)vi->mmc);
	return 0;
}

static int start_threads(struct vma_iter *vi)
{
	size_t park = vi->l.vlen + 2 * vi->l.pg;
	unsigned i;
	int r;

	for (i = 0; i < vi->nwriters; i++) {
		struct writer *wr = &vi->writers[i];

		wr->vi = vi;
		wr->idx = i;
		wr->rec = rec_writer(vi, i);
		wr->park = mmap(NULL, park, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);
		if (wr->park == MAP_FAILED)
			return -errno;
		wr->park += vi->l.pg; /* a PROT_NONE page on each side of the moved VMA */
	}
	for (i = 0; i < vi->nreaders; i++, vi->nr_started++) {
		r = pthread_create(&vi->readers[i].tid, NULL, reader_main, &vi->readers[i]);
		if (r)
			return -r;
	}
	for (i = 0; i < vi->nwriters; i++, vi->nw_started++) {
		r = pthread_create(&vi->writers[i].tid, NULL, writer_main, &vi->writers[i]);
		if (r)
			return -r;
	}
	return 0;
}

/* Every stable page, against its tag. */
static void verify_stable(struct vma_iter *vi)
{
	unsigned bad = 0, budget = 8;
	uint64_t t0 = mmt_ticks();
	size_t i;

	for (i = 0; i < vi->l.n; i++)
		if (!is_slot(&vi->l, i))
			bad += verify_vma(vi, (char *)vma_addr(&vi->l, i), i, 1, OP_VERIFY,
					  &budget);
	mmt_time(mmt_hist_of(vi->w, 0, OP_VERIFY), t0);
	if (bad > 8)
		mmt_fail(vi->w, MMT_FK_VERIFY, OP_VERIFY, 0, 0,
			 "%u stable pages mismatched in this pass (first 8 recorded)", bad);
}

/* Find the line of VMA i in a maps text; NULL when it is not there. */
static char *find_line(char *text, size_t len, uintptr_t start)
{
	char needle[32];
	char *p;

	text[len] = '\0';
	snprintf(needle, sizeof(needle), "%lx-", (unsigned long)start);
	p = strstr(text, needle);
	return p && (p == text || p[-1] == '\n') ? p : NULL;
}

static size_t line_len(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? (size_t)(nl - p + 1) : strlen(p);
}

/* Take a real maps text and break it the way inject= says. */
static int inject_text(struct vma_iter *vi, char *t, size_t *len)
{
	char *a = find_line(t, *len, vma_addr(&vi->l, 1)), *b;
	size_t la, lb;
	char tmp[256];

	if (!a)
		return -ENOENT;
	la = line_len(a);
	if (vi->o->inject == INJ_DROP) {
		memmove(a, a + la, *len - (size_t)(a + la - t));
		*len -= la;
	} else if (vi->o->inject == INJ_OVERLAP) {
		memmove(a + la, a, *len - (size_t)(a - t));
		*len += la;
	} else {
		/* VMA 0's line before the guard page's below it: out of order. */
		a = find_line(t, *len, vma_addr(&vi->l, 0));
		b = find_line(t, *len, vi->l.lo - vi->l.pg);
		if (!a)
			return -ENOENT;
		la = line_len(a);
		if (!b || (lb = line_len(b)) != la || la > sizeof(tmp))
			return -ENOENT;
		memcpy(tmp, a, la);
		memcpy(a, b, la);
		memcpy(b, tmp, la);
	}
	return 0;
}

/* inject=corrupt: VMA 3's page where VMA 1's belongs; verify must say "other index". */
static int inject_corrupt(struct vma_iter *vi)
{
	char *a = (char *)vma_addr(&vi->l, 1);

	if (mprotect(a, vi->l.vlen, PROT_READ | PROT_WRITE))
		return -errno;
	memcpy(a, (char *)vma_addr(&vi->l, 3), vi->l.pg);
	return mprotect(a, vi->l.vlen, base_prot(1)) ? -errno : 0;
}

/* The harness self-test; a harness error (-errno) when it cannot be staged. */
static int run_inject(struct vma_iter *vi)
{
	size_t len = 0, cap = 128 * (vi->l.n + 8192);
	struct vcheck ck;
	ssize_t n = 0;
	int fd, r;
	char *t;

	if (vi->l.n < 4)
		return -EINVAL;
	if (vi->o->inject == INJ_CORRUPT)
		return inject_corrupt(vi);
	t = map_buf(cap);
	if (!t)
		return -ENOMEM;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && len < cap / 2 && (n = read(fd, t + len, cap / 2 - len)) > 0)
		len += (size_t)n;
	r = fd < 0 || n < 0 ? -errno : inject_text(vi, t, &len);
	if (fd >= 0)
		close(fd);
	if (!r) {
		vc_begin(&ck, &vi->l, 0, 0);
		vc_check_text(&ck, t, len, vi->nwriters + removals_now(vi));
		report_check(vi, OP_MAPS, &ck, "/proc/self/maps (inject)");
	}
	munmap(t, cap);
	return r;
}

/* The worker: verify the stable pages once a second while the threads run. */
static void main_loop(struct vma_iter *vi)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	unsigned tick = 0;

	while (!mmt_should_stop(vi->w)) {
		if (tick++ % 20 == 0)
			verify_stable(vi);
		nanosleep(&ts, NULL);
		mmt_beat(vi->w);
	}
}

static void stop_threads(struct vma_iter *vi)
{
	unsigned i;

	for (i = 0; i < vi->nr_started; i++)
		pthread_join(vi->readers[i].tid, NULL);
	for (i = 0; i < vi->nw_started; i++)
		pthread_join(vi->writers[i].tid, NULL);
	vi->nr_started = vi->nw_started = 0;
}

static void reap_helper(struct vma_iter *vi)
{
	int status;

	if (vi->helper_pid <= 0)
		return;
	while (waitpid(vi->helper_pid, &status, 0) < 0 && errno == EINTR)
		;
	mmt_child_status(vi->w, OP_REMOTE, vi->helper_pid, status, "remote maps reader");
	vi->helper_pid = -1;
}

static void final_metrics(struct vma_iter *vi)
{
	uint64_t lines = 0, reads = 0, missing = 0, none = 0;
	unsigned i;

	for (i = 0; i < vi->nreaders; i++) {
		lines += vi->readers[i].lines;
		reads += vi->readers[i].reads;
		missing += vi->readers[i].slot_missing;
		none += vi->readers[i].slot_none;
	}
	if (reads)
		mmt_metric(vi->w, "maps_lines", (double)lines / (double)reads);
	mmt_metric(vi->w, "slots_seen_missing", (double)missing);
	mmt_metric(vi->w, "slots_seen_prot_none", (double)none);
	mmt_metric(vi->w, "procmap_query", vi->query_ok);
}

static int vma_iter_run(struct mmt_worker *w, void *state)
{
	struct vma_iter *vi = state;
	int r;

	if (vi->o->sweep)
		run_sweep(vi);
	if (mmt_should_stop(w))
		return 0;
	r = build_main(vi);
	if (r)
		return r;
	/* Before the helper exists: inject=corrupt briefly merges VMA 1 with its neighbours. */
	if (vi->o->inject != INJ_NONE) {
		r = run_inject(vi);
		if (r)
			return r;
	}
	/* Fork the helper while this process has one thread. */
	if (vi->o->remote) {
		vi->helper_pid = fork();
		if (vi->helper_pid == 0)
			helper_main(vi);
		if (vi->helper_pid < 0)
			return -errno;
	}
	r = start_threads(vi);
	if (!r)
		main_loop(vi);
	stop_threads(vi);
	reap_helper(vi);
	final_metrics(vi);
	return r;
}

static void vma_iter_teardown(struct mmt_worker *w, void *state)
{
	struct vma_iter *vi = state;
	unsigned i;

	(void)w;
	if (!vi)
		return;
	stop_threads(vi);
	if (vi->helper_pid > 0) {
		kill(vi->helper_pid, SIGKILL);
		reap_helper(vi);
	}
	arena_destroy(&vi->arena, vi->arena_len);
	for (i = 0; vi->readers && i < vi->nreaders + 1; i++) {
		struct reader *rd = i < vi->nreaders ? &vi->readers[i] : &vi->helper;

		if (rd->buf)
			munmap(rd->buf, CHUNK);
		if (rd->vec)
			munmap(rd->vec, (size_t)(vi->o->spacing + 2) * (size_t)vi->o->vma_pages);
		if (rd->qfd >= 0 && rd->vi)
			close(rd->qfd);
	}
	for (i = 0; vi->writers && i < vi->nwriters; i++)
		if (vi->writers[i].park && vi->writers[i].park != MAP_FAILED)
			munmap(vi->writers[i].park - vi->l.pg, vi->l.vlen + 2 * vi->l.pg);
	if (vi->counts)
		munmap(vi->counts, sizeof(*vi->counts));
	free(vi->readers);
	free(vi->writers);
	free(vi->gen);
	free(vi);
}

static unsigned vma_iter_recorders(const void *opts)
{
	const struct vma_iter_opts *o = opts;

	return 2 + (unsigned)o->readers + (unsigned)o->writers;
}

const struct mmt_workload mmt_wl_vma_iter = {
	.name = "vma_iter",
	.summary = "many-VMA iterators: maps/smaps/rollup/PROCMAP_QUERY/mincore readers vs "
		   "mprotect/munmap/mremap/madvise writers, every VMA and page checked",
	.mirrors = "maple-tree VMA iterators returning a wrong or missing VMA with many VMAs "
		   "(s390 next-20220513 mmap_region crash with > 14 VMAs)",
	.opts = vma_iter_options,
	.opts_size = sizeof(struct vma_iter_opts),
	.ops = vma_iter_ops,
	.recorders = vma_iter_recorders,
	.probe = vma_iter_probe,
	.setup = vma_iter_setup,
	.run = vma_iter_run,
	.teardown = vma_iter_teardown,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * va_upgrade — high-address mmap and page-table level upgrades.
 *
 * Stresses: get_unmapped_area at the top of the default mmap window and above
 * it (the hint rules of each arch: mmap_address_hint_valid on x86,
 * arch_get_mmap_end/arch_get_mmap_base on arm64 and riscv, the slice code on
 * ppc64, crst_table_upgrade on s390), MAP_FIXED and MAP_FIXED_NOREPLACE at and
 * above the boundary, munmap and mremap across it (free_pgtables of the top
 * levels), fork of an mm that was upgraded, and the upgrade itself in a fresh
 * process and in a forked child, with threads faulting low memory meanwhile
 * and with many VMAs in the maple tree.
 *
 * Mirrors: the s390 maple-tree crash in mmap_region (next-20220513): a forked
 * child with more than 14 VMAs mapped at 1 << 54, the 3 -> 5 level upgrade ran,
 * and the iterator returned node metadata as a VMA; and arm64 LPA2 runtime PUD
 * folding (2024): pud_free on a folded level, "Bad page state".
 *
 * One table of cases in the style of the kernel selftest va_high_addr_switch.c
 * (hint, size, flags, expectation) is run against every VA window of the arch
 * (a table per arch below); every mapping is touched with tagged pages and
 * verified. Each case has two expectations: with the larger VA in force (the
 * "upgrade" side) and without it (a flat kernel: a hint above the window is
 * ignored, MAP_FIXED there fails). Windows the machine cannot reach are
 * recorded as skipped, with the cases named; the flat side still runs.
 *
 * A round: the case sweep over each window (the "above" and "-1" mappings are
 * kept for the round), then a fork after the upgrade (the child checks the
 * parent's high data, and writes go private both ways), then every
 * `exec_every` rounds a re-exec of the binary: a fresh address space builds
 * VMAs, forks a grandchild that does its first high mapping (the upgrade in a
 * forked child, as on s390) while threads fault low memory, then does its own.
 * The exec'd process reports failures back through an inherited pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vabits.h"
#include "workload.h"

/* ---- the per-arch table: VA windows and how the arch treats hints ---- */

/* What a case must see. E_AT..E_M1 depend on the arch, resolved per window. */
enum {
	E_EXACT, /* mapped exactly at the hint */
	E_LOW, /* mapped, entirely inside the default mmap window */
	E_HIGH, /* mapped at or above the boundary */
	E_ANY, /* mapped anywhere */
	E_ENOMEM, /* refused with ENOMEM */
	E_AT, /* a hint exactly at the boundary */
	E_STRADDLE, /* a non-fixed hint whose range straddles the boundary */
	E_M1, /* a hint of -1 */
};

/*
 * A window: mappings stay below 1 << lo unless a hint asks for more; the
 * larger VA reaches 1 << hi. above: the "above" hint, 1 << above (the
 * selftest's HIGH_ADDR). The expectations were read from each arch's
 * get_unmapped_area; only x86_64 without LA57 is verified on this project's
 * machines so far.
 */
struct va_window {
	const char *name;
	unsigned lo, hi, above;
	int at_up, straddle_up, m1_up;
};

#if defined(__x86_64__)
#define VA_ARCH "x86_64"
/* TASK_SIZE and DEFAULT_MAP_WINDOW stop one page below 1 << 47. */
#define VA_GUARD 1
#define VA_DEFAULT_BITS 47
static const struct va_window va_windows[] = {
	{"47->56 (4->5 levels, LA57)", 47, 56, 48, E_EXACT, E_LOW, E_HIGH},
};
#elif defined(__aarch64__)
#define VA_ARCH "arm64"
#define VA_GUARD 0
#define VA_DEFAULT_BITS 48
/* A hint exactly at DEFAULT_MAP_WINDOW is not "above" it: the mapping stays low. */
static const struct va_window va_windows[] = {
	{"48->52 (52-bit VA / LPA2 PUD folding)", 48, 52, 49, E_LOW, E_LOW, E_HIGH},
};
#elif defined(__powerpc64__)
#define VA_ARCH "ppc64"
#define VA_GUARD 0
#define VA_DEFAULT_BITS 47
/*
 * Hash MMU slices take a hint at 128T as "large" (addr >= the window); radix
 * uses the generic arch_get_mmap_end (addr > DEFAULT_MAP_WINDOW, which is
 * exactly 128T there), so the same hint stays low: see radix_mmu().
 */
static const struct va_window va_windows[] = {
	{"47->52 (128T->4P slices)", 47, 52, 48, E_EXACT, E_LOW, E_HIGH},
};
#define VA_AT_DEPENDS_ON_MMU 1
#elif defined(__s390x__)
#define VA_ARCH "s390x"
#define VA_GUARD 0
#define VA_DEFAULT_BITS 42
/* Any hint below TASK_SIZE is honoured and upgrades the ASCE; -1 is not a hint. */
static const struct va_window va_windows[] = {
	{"42->53 (3->4 levels)", 42, 53, 43, E_EXACT, E_EXACT, E_LOW},
	{"53->64 (4->5 levels)", 53, 63, 54, E_EXACT, E_EXACT, E_LOW},
	{"42->64 (3->5 levels in one map)", 42, 63, 54, E_EXACT, E_EXACT, E_LOW},
};
#elif defined(__riscv) && __riscv_xlen == 64
#define VA_ARCH "riscv64"
#define VA_GUARD 0
#define VA_DEFAULT_BITS 47
/* The hint bounds the result (mmap_end = hint + len): a -1 hint is anywhere. */
static const struct va_window va_windows[] = {
	{"38->47 (sv39->sv48)", 38, 47, 39, E_EXACT, E_EXACT, E_ANY},
	{"47->56 (sv48->sv57)", 47, 56, 48, E_EXACT, E_EXACT, E_ANY},
};
#else
#define VA_ARCH "this architecture"
#define VA_GUARD 0
#define VA_DEFAULT_BITS 0
static const struct va_window va_windows[1];
#define VA_NO_TABLE 1
#endif

#define VA_NWIN (sizeof(va_windows) / sizeof(va_windows[0]))

/* ---- the case table (per window) ---- */

enum { H_BELOW, H_GUARD, H_AT, H_ABOVE, H_ABOVE_FIXED, H_NULL, H_LOW, H_MINUS_ONE };

struct va_case {
	const char *name;
	int hint;
	unsigned pages; /* 0: the `pages` option */
	int flags;
	int up, flat; /* expectation with and without the larger VA */
	int keep; /* stays mapped for the round: later cases map around it */
};

/* clang-format off */
static const struct va_case va_cases[] = {
	/* name            hint           pages flags                 up          flat      keep */
	{"below",          H_BELOW,       1, 0,                   E_EXACT,    E_EXACT,  0},
	{"straddle",       H_BELOW,       0, 0,                   E_STRADDLE, E_LOW,    0},
	{"guard",          H_GUARD,       1, 0,                   E_LOW,      E_LOW,    0},
	{"at",             H_AT,          1, 0,                   E_AT,       E_LOW,    0},
	{"above",          H_ABOVE,       0, 0,                   E_EXACT,    E_LOW,    1},
	{"fixed_at",       H_AT,          0, MAP_FIXED,           E_EXACT,    E_ENOMEM, 0},
	{"noreplace_at",   H_AT,          0, MAP_FIXED_NOREPLACE, E_EXACT,    E_ENOMEM, 0},
	{"fixed_above",    H_ABOVE_FIXED, 0, MAP_FIXED,           E_EXACT,    E_ENOMEM, 0},
	{"noreplace_above", H_ABOVE_FIXED, 0, MAP_FIXED_NOREPLACE, E_EXACT,   E_ENOMEM, 0},
	{"fixed_straddle", H_GUARD,       0, MAP_FIXED,           E_EXACT,    E_ENOMEM, 0},
	{"top",            H_BELOW,       1, MAP_FIXED_NOREPLACE, E_EXACT,    E_EXACT,  0},
	{"null",           H_NULL,        0, 0,                   E_LOW,      E_LOW,    0},
	{"low",            H_LOW,         0, 0,                   E_LOW,      E_LOW,    0},
	{"minus_one",      H_MINUS_ONE,   0, 0,                   E_M1,       E_LOW,    1},
};
/* clang-format on */

#define VA_NCASES (sizeof(va_cases) / sizeof(va_cases[0]))
#define VA_CROSS_CASES 2 /* munmap and mremap across the boundary */

/* ---- options ---- */

enum { INJ_NONE, INJ_LOW, INJ_CHILD, INJ_EXEC };
enum {
	OP_MAP_HINT,
	OP_MAP_FIXED,
	OP_TOUCH,
	OP_VERIFY,
	OP_MUNMAP,
	OP_MUNMAP_CROSS,
	OP_MREMAP_CROSS,
	OP_FORK,
	OP_EXEC,
	OP_LOW_FAULT,
};
/* Tag owners: the role in the low half. */
enum { ROLE_WORKER, ROLE_FORK_CHILD, ROLE_EXEC, ROLE_GRANDCHILD, ROLE_VMAS, ROLE_THREAD };

struct va_upgrade_opts {
	int64_t pages;
	int64_t vmas;
	int64_t threads;
	int64_t fork_every;
	int64_t exec_every;
	int inject;
};

static const char *const injects[] = {"none", "low", "child", "exec", NULL};

#define OFF(f) offsetof(struct va_upgrade_opts, f)
static const struct mmt_opt va_upgrade_options[] = {
	{"pages", MMT_OPT_INT, OFF(pages), 2, 512, "2", NULL,
	 "pages of the multi-page cases (straddling, fixed, NULL, low, -1) and of the fork region"},
	{"vmas", MMT_OPT_INT, OFF(vmas), 0, 30000, "1001", NULL,
	 "non-mergeable tagged VMAs present during the upgrades (the exec'd process rotates "
	 "0, 15 and this many)"},
	{"threads", MMT_OPT_INT, OFF(threads), 0, 8, "1", NULL,
	 "threads faulting low memory while the high mappings are made"},
	{"fork_every", MMT_OPT_INT, OFF(fork_every), 0, 1000000, "1", NULL,
	 "rounds between forks after the upgrade (0: never)"},
	{"exec_every", MMT_OPT_INT, OFF(exec_every), 0, 1000000, "16", NULL,
	 "rounds between re-execs for an upgrade in a fresh process (0: never)"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: a mapping seen below the boundary, a COW leak into the fork "
	 "child's view, a corrupted page in the exec'd process"},
	{NULL},
};

static const char *const va_upgrade_ops[] = {
	[OP_MAP_HINT] = "map_hint",
	[OP_MAP_FIXED] = "map_fixed",
	[OP_TOUCH] = "touch",
	[OP_VERIFY] = "verify",
	[OP_MUNMAP] = "munmap",
	[OP_MUNMAP_CROSS] = "munmap_cross",
	[OP_MREMAP_CROSS] = "mremap_cross",
	[OP_FORK] = "fork_upgrade",
	[OP_EXEC] = "exec_upgrade",
	[OP_LOW_FAULT] = "low_fault",
	NULL,
};

/* ---- per-process context: the worker, or the exec'd process ---- */

#define VA_MAX_KEEP (2 * 3)
#define VA_MAX_BAD 8 /* failures recorded per pass */

struct va_map {
	char *addr;
	size_t len;
	uint64_t index0; /* tag index of the first page */
};

/* A failure crossing the pipe from the exec'd process: one atomic write. */
struct va_record {
	int32_t kind, op, err, pad;
	uint64_t addr;
	struct mmt_tag want;
	struct mmt_verify v;
	char detail[MMT_DETAIL_LEN];
};
_Static_assert(sizeof(struct va_record) <= PIPE_BUF, "a record must be written atomically");

struct va_ctx {
	struct mmt_worker *w; /* NULL in the exec'd process: failures go to fd */
	int fd;
	unsigned rec; /* recorder of this process's main thread */
	size_t pg, pages;
	int va_bits;
	uint32_t seed, owner, gen;
	int inject, injected;
	unsigned nbad; /* failures this pass */
	struct va_map keep[VA_MAX_KEEP];
	unsigned nkeep;
	uint64_t cases_run, cases_occupied, cross_run;
	char *vmas; /* PROT_NONE reservation, every other page RW */
	size_t nvmas;
};

static void va_send(struct va_ctx *c, const struct va_record *r)
{
	ssize_t n;

	do
		n = write(c->fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
}

static mmt_printf(6, 7) void va_fail(struct va_ctx *c, int kind, int op, int err, uint64_t addr,
				     const char *fmt, ...)
{
	struct va_record r = {.kind = kind, .op = op, .err = err, .addr = addr};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.detail, sizeof(r.detail), fmt, ap);
	va_end(ap);
	if (c->w)
		mmt_fail(c->w, kind, op, err, addr, "%s", r.detail);
	else
		va_send(c, &r);
}

static void va_fail_verify(struct va_ctx *c, int op, const char *page, const struct mmt_tag *want,
			   const struct mmt_verify *v)
{
	struct va_record r = {.kind = MMT_FK_VERIFY, .op = op, .want = *want, .v = *v};

	if (c->w) {
		mmt_fail_verify(c->w, op, page, want, v);
		return;
	}
	r.addr = (uint64_t)(uintptr_t)page;
	va_send(c, &r);
}

static inline void va_time(const struct va_ctx *c, unsigned rec, int op, uint64_t t0)
{
	if (c->w)
		mmt_time(mmt_hist_of(c->w, rec, (unsigned)op), t0);
}

static struct mmt_tag va_tag(const struct va_ctx *c, uint32_t owner, uint64_t index)
{
	return mmt_tag_make(c->seed, owner, c->gen, index);
}

/* Tag index of page p of case k in window win: which mapping a stray page came from. */
static uint64_t va_index(unsigned win, unsigned k, size_t p)
{
	return ((uint64_t)win << 48) | ((uint64_t)k << 32) | p;
}

/* ---- touching and verifying ---- */

/* Fault every page in (the first store of each is timed) and tag it. */
static void va_touch(struct va_ctx *c, unsigned rec, char *p, size_t len, uint32_t owner,
		     uint64_t index0, int op)
{
	struct mmt_tag t;
	uint64_t t0;
	size_t i;

	for (i = 0; i < len / c->pg; i++) {
		t = va_tag(c, owner, index0 + i);
		t0 = mmt_ticks();
		*(volatile uint32_t *)(p + i * c->pg) = MMT_TAG_MAGIC;
		va_time(c, rec, op, t0);
		mmt_tag_fill(p + i * c->pg, c->pg, &t);
	}
}

/* Rewrite pages already faulted in: no first touch to time. */
static void va_fill(struct va_ctx *c, char *p, size_t len, uint32_t owner, uint64_t index0)
{
	struct mmt_tag t;
	size_t i;

	for (i = 0; i < len / c->pg; i++) {
		t = va_tag(c, owner, index0 + i);
		mmt_tag_fill(p + i * c->pg, c->pg, &t);
	}
}

/* Check every byte of every page; the first few mismatches of a pass are recorded. */
static unsigned va_verify(struct va_ctx *c, unsigned rec, const char *p, size_t len, uint32_t owner,
			  uint64_t index0)
{
	unsigned bad = 0;
	struct mmt_verify v;
	struct mmt_tag t;
	uint64_t t0 = mmt_ticks();
	size_t i;

	for (i = 0; i < len / c->pg; i++) {
		t = va_tag(c, owner, index0 + i);
		if (mmt_likely(!mmt_tag_verify(p + i * c->pg, c->pg, &t, &v)))
			continue;
		bad++;
		if (c->nbad++ < VA_MAX_BAD)
			va_fail_verify(c, OP_VERIFY, p + i * c->pg, &t, &v);
	}
	va_time(c, rec, OP_VERIFY, t0);
	return bad;
}

static void va_unmap(struct va_ctx *c, void *p, size_t len)
{
	uint64_t t0 = mmt_ticks();

	if (munmap(p, len))
		va_fail(c, MMT_FK_ERRNO, OP_MUNMAP, errno, (uintptr_t)p, "munmap(%p, %zu): %s", p,
			len, strerror(errno));
	va_time(c, c->rec, OP_MUNMAP, t0);
}

/* ---- the VA bits in force, probed with hints in a child ---- */

/* The child takes the upgrade, never the caller. */
static int va_probe_bits(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(mmt_va_bits_by_hints());
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

static int win_active(const struct va_ctx *c, const struct va_window *win)
{
	return c->va_bits >= (int)win->lo;
}

static int win_up(const struct va_ctx *c, const struct va_window *win)
{
	return c->va_bits >= (int)win->hi;
}

static int case_applies(const struct va_case *cs)
{
	return cs->hint != H_GUARD || VA_GUARD || cs->flags;
}

/* ---- the case sweep ---- */

static uintptr_t case_hint(const struct va_ctx *c, const struct va_window *win, int hint)
{
	uintptr_t b = (uintptr_t)1 << win->lo, a = (uintptr_t)1 << win->above;

	switch (hint) {
	case H_BELOW:
		return b - VA_GUARD * c->pg - c->pg;
	case H_GUARD:
		return b - c->pg;
	case H_AT:
		return b;
	case H_ABOVE:
		return a;
	case H_ABOVE_FIXED:
		return a + a / 2;
	case H_LOW:
		return (uintptr_t)1 << 30;
	case H_MINUS_ONE:
		return ~(uintptr_t)0;
	}
	return 0;
}

#ifdef VA_AT_DEPENDS_ON_MMU
/* "MMU : Radix" in /proc/cpuinfo (ppc64 picks hash or radix at boot). */
static int radix_mmu(void)
{
	static int radix = -1;
	char line[256];
	FILE *f;

	if (radix >= 0)
		return radix;
	radix = 0;
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "MMU", 3) && strstr(line, "Radix"))
			radix = 1;
	if (f)
		fclose(f);
	return radix;
}
#endif

static int case_expect(const struct va_window *win, const struct va_case *cs, int up)
{
	int e = up ? cs->up : cs->flat;

#ifdef VA_AT_DEPENDS_ON_MMU
	if (e == E_AT && radix_mmu())
		return E_LOW;
#endif
	if (e == E_AT)
		return win->at_up;
	if (e == E_STRADDLE)
		return win->straddle_up;
	if (e == E_M1)
		return win->m1_up;
	return e;
}

/*
 * Is [hint, hint + len) taken by a mapping (or the stack's guard gap)? Only
 * asked when a hint that should be honoured was not: with ASLR off the stack
 * sits at the top of the window, and that is no kernel bug.
 */
static int va_occupied(uintptr_t hint, size_t len, size_t pg)
{
	uintptr_t lo = hint > 256 * pg ? hint - 256 * pg : 0, hi = hint + len, s, e;
	char line[512];
	int hit = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (!hit && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			hit = 1;
	fclose(f);
	return hit;
}

/* A straddling mapping starts below b: "below" alone would read as what was wanted. */
static const char *where(uintptr_t p, size_t len, uintptr_t b)
{
	return p + len <= b ? "below" : p < b ? "across" : "at or above";
}

/* Check a successful mmap against the expectation; nonzero if it was wrong. */
static int check_mapped(struct va_ctx *c, const struct va_window *win, const struct va_case *cs,
			int exp, uintptr_t hint, size_t len, uintptr_t got)
{
	uintptr_t b = (uintptr_t)1 << win->lo, d = (uintptr_t)1 << VA_DEFAULT_BITS;
	uintptr_t seen = got;

	/* Self-test: see the mapping below the boundary, as a broken kernel would give it. */
	if (c->inject == INJ_LOW && c->w && !c->injected && (exp == E_EXACT || exp == E_HIGH)) {
		seen = got >= b ? got - b : got - b / 2;
		c->injected = 1;
	}
	if (exp == E_EXACT && seen != hint) {
		if (seen == got && va_occupied(hint, len, c->pg)) {
			c->cases_occupied++;
			return 0;
		}
		va_fail(c, MMT_FK_VERIFY, cs->flags ? OP_MAP_FIXED : OP_MAP_HINT, 0, seen,
			"window %s case %s: mmap(%#lx, %zu) = %#lx: want exactly the hint; came "
			"back %s the boundary 1<<%u",
			win->name, cs->name, hint, len, seen, where(seen, len, b), win->lo);
		return 1;
	}
	if ((exp == E_HIGH && seen < b) || (exp == E_LOW && seen + len > d)) {
		va_fail(c, MMT_FK_VERIFY, cs->flags ? OP_MAP_FIXED : OP_MAP_HINT, 0, seen,
			"window %s case %s: mmap(%#lx, %zu) = %#lx: want %s 1<<%u; came back %s it",
			win->name, cs->name, hint, len, seen,
			exp == E_HIGH ? "at or above" : "below",
			exp == E_HIGH ? win->lo : VA_DEFAULT_BITS,
			where(seen, len, exp == E_HIGH ? b : d));
		return 1;
	}
	if (exp == E_ENOMEM) {
		va_fail(c, MMT_FK_VERIFY, OP_MAP_FIXED, 0, seen,
			"window %s case %s: mmap(%#lx, %zu) = %#lx: want ENOMEM, beyond the %d-bit "
			"VA in force",
			win->name, cs->name, hint, len, seen, c->va_bits);
		return 1;
	}
	return 0;
}

static void check_failed(struct va_ctx *c, const struct va_window *win, const struct va_case *cs,
			 int exp, uintptr_t hint, size_t len, int err)
{
	if (exp == E_ENOMEM && err == ENOMEM)
		return;
	if (exp == E_EXACT && err == EEXIST && va_occupied(hint, len, c->pg)) {
		c->cases_occupied++;
		return;
	}
	va_fail(c, MMT_FK_ERRNO, cs->flags ? OP_MAP_FIXED : OP_MAP_HINT, err, hint,
		"window %s case %s: mmap(%#lx, %zu, %s): %s (errno %d); want %s", win->name,
		cs->name, hint, len,
		cs->flags == MAP_FIXED		   ? "MAP_FIXED"
		: cs->flags == MAP_FIXED_NOREPLACE ? "MAP_FIXED_NOREPLACE"
						   : "hint",
		strerror(err), err, exp == E_ENOMEM ? "ENOMEM" : "a mapping");
}

static void inject_exec(struct va_ctx *c, const struct va_case *cs, char *p, size_t len)
{
	if (c->inject == INJ_EXEC && !c->w && !c->injected && cs->hint == H_NULL &&
	    len >= 2 * c->pg) {
		/* Page 1's bytes where page 0 belongs: the verifier must say "other index". */
		memcpy(p, p + c->pg, c->pg);
		c->injected = 1;
	}
}

static void run_case(struct va_ctx *c, unsigned wi, unsigned k, int up)
{
	const struct va_window *win = &va_windows[wi];
	const struct va_case *cs = &va_cases[k];
	size_t len = (cs->pages ? cs->pages : c->pages) * c->pg;
	uintptr_t hint = case_hint(c, win, cs->hint);
	int exp = case_expect(win, cs, up), op = cs->flags ? OP_MAP_FIXED : OP_MAP_HINT;
	uint64_t t0 = mmt_ticks(), index0 = va_index(wi, k, 0);
	char *p;

	p = mmap((void *)hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | cs->flags,
		 -1, 0);
	va_time(c, c->rec, op, t0);
	c->cases_run++;
	if (p == MAP_FAILED) {
		check_failed(c, win, cs, exp, hint, len, errno);
		return;
	}
	check_mapped(c, win, cs, exp, hint, len, (uintptr_t)p);
	va_touch(c, c->rec, p, len, c->owner, index0, OP_TOUCH);
	inject_exec(c, cs, p, len);
	va_verify(c, c->rec, p, len, c->owner, index0);
	if (cs->keep && c->nkeep < VA_MAX_KEEP) {
		c->keep[c->nkeep++] = (struct va_map){.addr = p, .len = len, .index0 = index0};
		return;
	}
	va_unmap(c, p, len);
}

/* The kept mappings saw every later case map and unmap around them. */
static void release_kept(struct va_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->nkeep; i++) {
		va_verify(c, c->rec, c->keep[i].addr, c->keep[i].len, c->owner, c->keep[i].index0);
		va_unmap(c, c->keep[i].addr, c->keep[i].len);
	}
	c->nkeep = 0;
}

/* ---- munmap and mremap across the boundary ---- */

/*
 * A kernel before 4.17, and qemu-user, take MAP_FIXED_NOREPLACE for a hint: what
 * they place elsewhere is given back at once, since the munmaps that follow reach
 * past the mapping and would cut into whatever lies beside it.
 */
static void *map_fixed_nr(uintptr_t at, size_t len)
{
	void *p = mmap((void *)at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != MAP_FAILED && (uintptr_t)p != at) {
		munmap(p, len);
		errno = EOPNOTSUPP;
		return MAP_FAILED;
	}
	return p;
}

static void want_errno(struct va_ctx *c, int op, const char *what, int r, int want)
{
	int err = r ? errno : 0;

	if (err == want)
		return;
	va_fail(c, err ? MMT_FK_ERRNO : MMT_FK_VERIFY, op, err, 0, "%s: %s; want %s", what,
		err ? strerror(err) : "succeeded", want ? strerror(want) : "success");
}

/*
 * Upgrade side: four pages [b - 2p, b + 2p) across the boundary, the middle two
 * unmapped: the outer pages survive and the middle is gone. Flat side: the top
 * page of the window survives two munmaps reaching past it (EINVAL).
 */
static void munmap_cross(struct va_ctx *c, unsigned wi, int up)
{
	uintptr_t b = (uintptr_t)1 << va_windows[wi].lo, pg = c->pg;
	uintptr_t at = up ? b - 2 * pg : b - VA_GUARD * pg - pg;
	size_t len = up ? 4 * pg : pg;
	uint64_t index0 = va_index(wi, VA_NCASES, 0), t0;
	unsigned char vec[2];
	char *p = map_fixed_nr(at, len);
	int r;

	if (p == MAP_FAILED) {
		if (errno == EEXIST && va_occupied(at, len, pg))
			c->cases_occupied++;
		else
			want_errno(c, OP_MUNMAP_CROSS, "mmap(MAP_FIXED_NOREPLACE) at the boundary",
				   -1, 0);
		return;
	}
	c->cross_run++;
	va_touch(c, c->rec, p, len, c->owner, index0, OP_TOUCH);
	t0 = mmt_ticks();
	r = munmap((void *)(b - pg), 2 * pg);
	va_time(c, c->rec, OP_MUNMAP_CROSS, t0);
	want_errno(c, OP_MUNMAP_CROSS, "munmap across the boundary", r, up ? 0 : EINVAL);
	if (up) {
		if (mincore((void *)(b - pg), 2 * pg, vec) == 0 || errno != ENOMEM)
			va_fail(c, MMT_FK_VERIFY, OP_MUNMAP_CROSS, 0, b - pg,
				"pages at the boundary still mapped after munmap(%#lx, %zu)",
				(unsigned long)(b - pg), (size_t)(2 * pg));
		va_verify(c, c->rec, p, pg, c->owner, index0);
		va_verify(c, c->rec, p + 3 * pg, pg, c->owner, index0 + 3);
		va_unmap(c, p, pg);
		va_unmap(c, p + 3 * pg, pg);
		return;
	}
	/* A munmap that wrongly succeeded may have taken the page: failed above, not read. */
	if (!r && mincore(p, pg, vec) < 0)
		return;
	r = munmap(p, (VA_GUARD + 2) * pg);
	want_errno(c, OP_MUNMAP_CROSS, "munmap from the top page past the window", r, EINVAL);
	if (!r)
		return;
	va_verify(c, c->rec, p, pg, c->owner, index0);
	va_unmap(c, p, pg);
}

/* Upgrade side: move low data across the boundary, then wholly above it. */
static void mremap_up(struct va_ctx *c, unsigned wi, char *p, size_t len, uint64_t index0)
{
	uintptr_t b = (uintptr_t)1 << va_windows[wi].lo;
	uintptr_t a = (uintptr_t)1 << va_windows[wi].above, dst[2] = {b - c->pg, a + a / 4};
	uint64_t t0;
	char *q;
	int i;

	for (i = 0; i < 2; i++) {
		t0 = mmt_ticks();
		q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)dst[i]);
		va_time(c, c->rec, OP_MREMAP_CROSS, t0);
		if (q == MAP_FAILED) {
			want_errno(c, OP_MREMAP_CROSS, "mremap to the boundary", -1, 0);
			break;
		}
		if ((uintptr_t)q != dst[i])
			va_fail(c, MMT_FK_VERIFY, OP_MREMAP_CROSS, 0, (uintptr_t)q,
				"mremap(MREMAP_FIXED, %#lx) = %p", (unsigned long)dst[i], q);
		p = q;
		va_verify(c, c->rec, p, len, c->owner, index0);
	}
	va_unmap(c, p, len);
}

/* Flat side: the top page cannot move to the boundary nor grow across it. */
static void mremap_flat(struct va_ctx *c, unsigned wi, char *p, size_t len, uint64_t index0)
{
	uintptr_t b = (uintptr_t)1 << va_windows[wi].lo;
	uint64_t t0 = mmt_ticks();
	void *q;

	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)b);
	va_time(c, c->rec, OP_MREMAP_CROSS, t0);
	want_errno(c, OP_MREMAP_CROSS, "mremap to the boundary", q == MAP_FAILED ? -1 : 0, EINVAL);
	/* A move or a growth that wrongly succeeded: the data is followed, not lost. */
	if (q != MAP_FAILED)
		p = q;
	t0 = mmt_ticks();
	q = mremap(p, len, len + (VA_GUARD + 2) * c->pg, 0);
	va_time(c, c->rec, OP_MREMAP_CROSS, t0);
	want_errno(c, OP_MREMAP_CROSS, "mremap growing the top page across the boundary",
		   q == MAP_FAILED ? -1 : 0, ENOMEM);
	va_verify(c, c->rec, p, len, c->owner, index0);
	va_unmap(c, p, q == MAP_FAILED ? len : len + (VA_GUARD + 2) * c->pg);
}

static void mremap_cross(struct va_ctx *c, unsigned wi, int up)
{
	uintptr_t b = (uintptr_t)1 << va_windows[wi].lo;
	size_t len = up ? c->pages * c->pg : c->pg;
	uint64_t index0 = va_index(wi, VA_NCASES + 1, 0);
	char *p;

	if (up)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		p = map_fixed_nr(b - VA_GUARD * c->pg - len, len);
	if (p == MAP_FAILED) {
		if (errno == EEXIST && va_occupied(b - VA_GUARD * c->pg - len, len, c->pg))
			c->cases_occupied++;
		else
			want_errno(c, OP_MREMAP_CROSS, "mmap of the page to move", -1, 0);
		return;
	}
	c->cross_run++;
	va_touch(c, c->rec, p, len, c->owner, index0, OP_TOUCH);
	if (up)
		mremap_up(c, wi, p, len, index0);
	else
		mremap_flat(c, wi, p, len, index0);
}

/*
 * Every case of every window this machine has; the kept mappings stay. In
 * reverse, a fresh process's first high mapping is the last window's (on s390
 * the single 3 -> 5 jump).
 */
static void sweep(struct va_ctx *c, int reverse)
{
	unsigned i, wi, k;
	int up;

	c->nbad = 0;
	for (i = 0; i < VA_NWIN; i++) {
		wi = reverse ? (unsigned)VA_NWIN - 1 - i : i;
		if (!win_active(c, &va_windows[wi]))
			continue;
		up = win_up(c, &va_windows[wi]);
		for (k = 0; k < VA_NCASES; k++)
			if (case_applies(&va_cases[k]))
				run_case(c, wi, k, up);
		munmap_cross(c, wi, up);
		mremap_cross(c, wi, up);
	}
}

/* ---- many VMAs: every other page of a reservation made writable ---- */

static int vmas_build(struct va_ctx *c, size_t n)
{
	size_t i;
	struct mmt_tag t;

	c->nvmas = n;
	if (!n)
		return 0;
	c->vmas = mmap(NULL, 2 * n * c->pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->vmas == MAP_FAILED) {
		c->vmas = NULL;
		return -errno;
	}
	for (i = 0; i < n; i++) {
		/* A protection differing from both neighbours: no merge, one VMA each. */
		if (mprotect(c->vmas + 2 * i * c->pg, c->pg, PROT_READ | PROT_WRITE))
			return -errno;
		t = mmt_tag_make(c->seed, mmt_owner(0, ROLE_VMAS), 1, i);
		mmt_tag_fill(c->vmas + 2 * i * c->pg, c->pg, &t);
	}
	return 0;
}

static void vmas_verify(struct va_ctx *c)
{
	struct mmt_verify v;
	struct mmt_tag t;
	size_t i;

	for (i = 0; i < c->nvmas; i++) {
		t = mmt_tag_make(c->seed, mmt_owner(0, ROLE_VMAS), 1, i);
		if (mmt_likely(!mmt_tag_verify(c->vmas + 2 * i * c->pg, c->pg, &t, &v)))
			continue;
		if (c->nbad++ < VA_MAX_BAD)
			va_fail_verify(c, OP_VERIFY, c->vmas + 2 * i * c->pg, &t, &v);
	}
}

static void vmas_free(struct va_ctx *c)
{
	if (c->vmas)
		munmap(c->vmas, 2 * c->nvmas * c->pg);
	c->vmas = NULL;
}

/* ---- threads faulting low memory ---- */

#define LOW_PAGES 16

struct va_thread {
	struct va_ctx *c;
	unsigned idx;
	pthread_t tid;
	volatile int *stop;
	uint32_t gen;
};

static void low_cycle(struct va_thread *t)
{
	struct va_ctx *c = t->c;
	size_t len = LOW_PAGES * c->pg, i;
	uint32_t owner = (c->owner & ~0xffffu) | (ROLE_THREAD + t->idx);
	struct mmt_verify v;
	struct mmt_tag tag;
	uint64_t t0;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		va_fail(c, MMT_FK_ERRNO, OP_LOW_FAULT, errno, 0, "low mmap: %s", strerror(errno));
		return;
	}
	t->gen++;
	for (i = 0; i < LOW_PAGES; i++) {
		tag = mmt_tag_make(c->seed, owner, t->gen, i);
		t0 = mmt_ticks();
		*(volatile uint32_t *)(p + i * c->pg) = MMT_TAG_MAGIC;
		va_time(c, 1 + t->idx, OP_LOW_FAULT, t0);
		mmt_tag_fill(p + i * c->pg, c->pg, &tag);
	}
	for (i = 0; i < LOW_PAGES; i++) {
		tag = mmt_tag_make(c->seed, owner, t->gen, i);
		if (mmt_tag_verify(p + i * c->pg, c->pg, &tag, &v)) {
			va_fail_verify(c, OP_LOW_FAULT, p + i * c->pg, &tag, &v);
			break;
		}
	}
	munmap(p, len);
}

static void *low_main(void *arg)
{
	struct va_thread *t = arg;

	while (!*t->stop && !(t->c->w && mmt_should_stop(t->c->w)))
		low_cycle(t);
	return NULL;
}

/* Start n low faulters; returns how many started (stop them with low_stop). */
static unsigned low_start(struct va_ctx *c, struct va_thread *t, unsigned n, volatile int *stop)
{
	unsigned i;

	*stop = 0;
	for (i = 0; i < n; i++) {
		t[i] = (struct va_thread){.c = c, .idx = i, .stop = stop};
		if (pthread_create(&t[i].tid, NULL, low_main, &t[i]))
			break;
	}
	return i;
}

static void low_stop(struct va_thread *t, unsigned n, volatile int *stop)
{
	unsigned i;

	*stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
}

/* ---- the exec'd process: an upgrade in a fresh address space ---- */

/* argv: NAME fd worker seed round pages vmas threads inject va_bits */
enum { A_FD = 1, A_WORKER, A_SEED, A_ROUND, A_PAGES, A_VMAS, A_THREADS, A_INJECT, A_BITS, A_N };

static void report_child(struct va_ctx *c, pid_t pid, int status, const char *role)
{
	if (WIFSIGNALED(status))
		va_fail(c, MMT_FK_SIGNAL, OP_EXEC, WTERMSIG(status), 0, "%s %d killed by %s", role,
			pid, strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		va_fail(c, MMT_FK_EXIT, OP_EXEC, WEXITSTATUS(status), 0, "%s %d exited %d", role,
			pid, WEXITSTATUS(status));
}

/* The s390 shape: a forked child of a not yet upgraded mm, with many VMAs, maps high. */
static void grandchild(struct va_ctx *c, unsigned nthreads)
{
	struct va_thread t[8];
	volatile int stop;
	unsigned n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0); /* its parent died before the line above */
	c->owner = (c->owner & ~0xffffu) | ROLE_GRANDCHILD;
	n = low_start(c, t, nthreads, &stop);
	sweep(c, 1);
	release_kept(c);
	low_stop(t, n, &stop);
	vmas_verify(c);
	_exit(0);
}

static int va_upgrade_exec(int argc, char **argv)
{
	struct va_ctx c = {.pg = (size_t)sysconf(_SC_PAGESIZE)};
	unsigned nthreads;
	int status, r;
	pid_t pid;

	if (argc != A_N)
		return fprintf(stderr, "va_upgrade: __exec wants %d arguments\n", A_N - 1), 2;
	c.fd = atoi(argv[A_FD]);
	c.seed = (uint32_t)strtoul(argv[A_SEED], NULL, 0);
	c.owner = mmt_owner((unsigned)atoi(argv[A_WORKER]), ROLE_EXEC);
	c.gen = (uint32_t)strtoul(argv[A_ROUND], NULL, 0);
	c.pages = strtoul(argv[A_PAGES], NULL, 0);
	nthreads = (unsigned)atoi(argv[A_THREADS]);
	c.inject = atoi(argv[A_INJECT]);
	c.va_bits = atoi(argv[A_BITS]);
	if (fcntl(c.fd, F_GETFD) < 0 || c.pages < 2 || nthreads > 8)
		return fprintf(stderr, "va_upgrade: __exec: bad arguments\n"), 2;
	r = vmas_build(&c, strtoul(argv[A_VMAS], NULL, 0));
	if (r)
		va_fail(&c, MMT_FK_ERRNO, OP_EXEC, -r, 0, "exec'd process: building VMAs: %s",
			strerror(-r));
	pid = fork();
	if (pid == 0)
		grandchild(&c, nthreads);
	if (pid < 0)
		va_fail(&c, MMT_FK_ERRNO, OP_EXEC, errno, 0, "fork in the exec'd process: %s",
			strerror(errno));
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0)
		report_child(&c, pid, status, "grandchild (upgrade after fork)");
	/* Its own first high mapping: the upgrade of a fresh process. */
	sweep(&c, 0);
	release_kept(&c);
	vmas_verify(&c);
	vmas_free(&c);
	return 0;
}

/* ---- the worker ---- */

struct va_upgrade {
	struct va_ctx c;
	const struct va_upgrade_opts *o;
	uint64_t round, forks, execs;
	char *fork_map; /* high data a fork child checks */
	size_t fork_len;
	struct va_thread threads[8];
	unsigned nthreads;
	volatile int stop_threads;
	char exe_argv[A_N][24];
};

static int va_upgrade_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	int bits = va_probe_bits();
	unsigned wi, lowest = 64;

	(void)opts;
	(void)env;
#ifdef VA_NO_TABLE
	return snprintf(reason, len, "no VA window table for this architecture"), MMT_SKIP;
#endif
	if (bits < 0)
		return snprintf(reason, len, "probing the VA bits: %s", strerror(-bits)), MMT_ERROR;
	for (wi = 0; wi < VA_NWIN; wi++)
		if (va_windows[wi].lo < lowest)
			lowest = va_windows[wi].lo;
	if (bits < (int)lowest)
		return snprintf(reason, len, "%d-bit VA is below every %s window (lowest 1<<%u)",
				bits, VA_ARCH, lowest),
		       MMT_SKIP;
	return 0;
}

/* The fork region: above the first window that upgrades, else the top of the window. */
static int fork_region(struct va_upgrade *vu)
{
	struct va_ctx *c = &vu->c;
	uintptr_t hint = 0, a;
	unsigned wi;

	vu->fork_len = c->pages * c->pg;
	for (wi = 0; wi < VA_NWIN && !hint; wi++) {
		a = (uintptr_t)1 << va_windows[wi].above;
		if (win_up(c, &va_windows[wi]))
			hint = a + a / 8;
	}
	if (!hint)
		hint = ((uintptr_t)1 << VA_DEFAULT_BITS) - VA_GUARD * c->pg - 64 * vu->fork_len;
	vu->fork_map = mmap((void *)hint, vu->fork_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vu->fork_map == MAP_FAILED) {
		vu->fork_map = NULL;
		return -errno;
	}
	return 0;
}

static int va_upgrade_setup(struct mmt_worker *w, void **state)
{
	struct va_upgrade *vu = calloc(1, sizeof(*vu));
	struct va_ctx *c;
	int r;

	if (!vu)
		return -ENOMEM;
	*state = vu;
	vu->o = w->opts;
	c = &vu->c;
	c->w = w;
	c->fd = -1;
	c->pg = (size_t)w->pagesz;
	c->pages = (size_t)vu->o->pages;
	c->seed = (uint32_t)w->seed;
	c->owner = mmt_owner(w->id, ROLE_WORKER);
	c->inject = vu->o->inject;
	c->va_bits = va_probe_bits();
	if (c->va_bits < 0)
		return c->va_bits;
	r = vmas_build(c, (size_t)vu->o->vmas);
	if (r)
		return r;
	r = fork_region(vu);
	if (r)
		return r;
	r = mmt_catch_faults(w);
	if (r)
		return r;
	vu->nthreads = low_start(c, vu->threads, (unsigned)vu->o->threads, &vu->stop_threads);
	return vu->nthreads == vu->o->threads ? 0 : -EAGAIN;
}

/* ---- fork after the upgrade ---- */

static unsigned rec_fork_child(const struct va_upgrade *vu)
{
	return 1 + (unsigned)vu->o->threads;
}

static __attribute__((noreturn)) void fork_child(struct va_upgrade *vu, int rfd)
{
	struct va_ctx *c = &vu->c;
	uint32_t parent = c->owner, mine = (c->owner & ~0xffffu) | ROLE_FORK_CHILD;
	unsigned i;
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != c->w->ws->pid)
		_exit(0);
	c->rec = rec_fork_child(vu);
	/* Wait until the parent has rewritten its copy: none of it may show here. */
	while (read(rfd, &b, 1) < 0 && errno == EINTR)
		;
	if (c->inject == INJ_CHILD && vu->forks == 0) {
		struct mmt_tag leak = mmt_tag_make(c->seed, parent, c->gen + 1, 0);

		mmt_tag_fill(vu->fork_map, c->pg, &leak);
	}
	va_verify(c, c->rec, vu->fork_map, vu->fork_len, parent, 0);
	for (i = 0; i < c->nkeep; i++)
		va_verify(c, c->rec, c->keep[i].addr, c->keep[i].len, parent, c->keep[i].index0);
	c->gen++;
	va_touch(c, c->rec, vu->fork_map, vu->fork_len, mine, 0, OP_TOUCH);
	va_verify(c, c->rec, vu->fork_map, vu->fork_len, mine, 0);
	_exit(0);
}

static void fork_round(struct va_upgrade *vu)
{
	struct va_ctx *c = &vu->c;
	uint64_t t0;
	int p[2], status;
	pid_t pid;
	uint32_t gen = c->gen;

	va_fill(c, vu->fork_map, vu->fork_len, c->owner, 0);
	if (pipe2(p, O_CLOEXEC)) {
		va_fail(c, MMT_FK_ERRNO, OP_FORK, errno, 0, "pipe2: %s", strerror(errno));
		return;
	}
	t0 = mmt_ticks();
	pid = fork();
	if (pid == 0)
		fork_child(vu, p[0]);
	if (pid < 0) {
		va_fail(c, MMT_FK_ERRNO, OP_FORK, errno, 0, "fork: %s", strerror(errno));
	} else {
		/* COW the other way: the parent's new generation, invisible to the child. */
		c->gen++;
		va_touch(c, 0, vu->fork_map, vu->fork_len, c->owner, 0, OP_TOUCH);
		(void)!write(p[1], "", 1);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		va_time(c, 0, OP_FORK, t0);
		mmt_child_status(c->w, OP_FORK, pid, status, "fork child");
		va_verify(c, 0, vu->fork_map, vu->fork_len, c->owner, 0);
		vu->forks++;
	}
	c->gen = gen; /* the kept mappings carry the round's generation */
	close(p[0]);
	close(p[1]);
}

/* ---- the exec round ---- */

static void exec_args(struct va_upgrade *vu, int fd, char **argv)
{
	const struct va_upgrade_opts *o = vu->o;
	static const int64_t rot[3] = {0, 15, -1};
	int64_t vmas = rot[vu->execs % 3] < 0 ? o->vmas : rot[vu->execs % 3];
	unsigned long long v[A_N] = {
		0,
		(unsigned)fd,
		vu->c.w->id,
		vu->c.seed,
		vu->c.gen,
		(unsigned long long)o->pages,
		(unsigned long long)(vmas < o->vmas ? vmas : o->vmas),
		(unsigned long long)o->threads,
		(unsigned)(o->inject == INJ_EXEC && vu->execs == 0 ? INJ_EXEC : INJ_NONE),
		(unsigned)vu->c.va_bits};
	int i;

	argv[0] = "mmtorture";
	argv[1] = "__exec";
	argv[2] = "va_upgrade";
	for (i = 1; i < A_N; i++) {
		snprintf(vu->exe_argv[i], sizeof(vu->exe_argv[i]), "%llu", v[i]);
		argv[2 + i] = vu->exe_argv[i];
	}
	argv[2 + A_N] = NULL;
}

static void relay(struct va_ctx *c, const struct va_record *r)
{
	if (r->kind == MMT_FK_VERIFY && r->want.magic)
		mmt_fail_verify(c->w, OP_EXEC, (const void *)(uintptr_t)r->addr, &r->want, &r->v);
	else
		mmt_fail(c->w, r->kind, OP_EXEC, r->err, r->addr, "exec'd process: %s", r->detail);
}

#define EXEC_BOUND_S 30

/* Read the child's records until it closes the pipe; keep the watchdog fed. */
static void exec_collect(struct va_upgrade *vu, int fd, pid_t pid)
{
	struct va_record r;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	unsigned waited = 0;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, 1000) == 0) {
			/*
			 * An exec round takes well under a second: keep the watchdog fed
			 * for EXEC_BOUND_S, then call it a hang (the process is stuck in
			 * the kernel, e.g. in the upgrade) rather than hide it.
			 */
			if (++waited <= EXEC_BOUND_S) {
				mmt_beat(vu->c.w);
				continue;
			}
			if (waited == EXEC_BOUND_S + 1)
				mmt_fail(vu->c.w, MMT_FK_HANG, OP_EXEC, 0, 0,
					 "exec'd process %d silent for %ds; killed", pid,
					 EXEC_BOUND_S);
			kill(pid, SIGKILL);
			continue;
		}
		n = read(fd, (char *)&r + got, sizeof(r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		got += (size_t)n;
		if (got == sizeof(r)) {
			relay(&vu->c, &r);
			got = 0;
		}
	}
}

static void exec_round(struct va_upgrade *vu)
{
	struct va_ctx *c = &vu->c;
	char *argv[A_N + 3];
	uint64_t t0;
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		va_fail(c, MMT_FK_ERRNO, OP_EXEC, errno, 0, "pipe2: %s", strerror(errno));
		return;
	}
	exec_args(vu, p[1], argv);
	t0 = mmt_ticks();
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != c->w->ws->pid)
			_exit(0);
		if (fcntl(p[1], F_SETFD, 0) == 0)
			execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		va_fail(c, MMT_FK_ERRNO, OP_EXEC, errno, 0, "fork: %s", strerror(errno));
		close(p[0]);
		return;
	}
	exec_collect(vu, p[0], pid);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	va_time(c, 0, OP_EXEC, t0);
	mmt_child_status(c->w, OP_EXEC, pid, status, "exec'd process");
	vu->execs++;
}

/* ---- the round ---- */

static void va_round(struct va_upgrade *vu)
{
	const struct va_upgrade_opts *o = vu->o;
	struct va_ctx *c = &vu->c;

	vu->round++;
	c->gen = (uint32_t)vu->round;
	sweep(c, 0);
	if (o->fork_every && vu->round % (uint64_t)o->fork_every == 0)
		fork_round(vu);
	release_kept(c);
	vmas_verify(c);
	if (o->exec_every && vu->round % (uint64_t)o->exec_every == 1 % o->exec_every)
		exec_round(vu);
}

static unsigned skipped_cases(const struct va_ctx *c, char *names, size_t len)
{
	unsigned wi, k, n = 0, per = VA_CROSS_CASES;
	int off = 0;

	for (k = 0; k < VA_NCASES; k++)
		per += case_applies(&va_cases[k]);
	for (wi = 0; wi < VA_NWIN; wi++) {
		if (win_up(c, &va_windows[wi]))
			continue;
		n += per;
		if (off >= 0 && (size_t)off < len)
			off += snprintf(names + off, len - (size_t)off, "%s%s", off ? "; " : "",
					va_windows[wi].name);
	}
	return n;
}

static void summarize(struct va_upgrade *vu)
{
	struct va_ctx *c = &vu->c;
	unsigned wi, up = 0, active = 0, skipped;
	char names[160] = "";

	for (wi = 0; wi < VA_NWIN; wi++) {
		up += (unsigned)win_up(c, &va_windows[wi]);
		active += (unsigned)win_active(c, &va_windows[wi]);
	}
	skipped = skipped_cases(c, names, sizeof(names));
	mmt_metric(c->w, "va_bits", c->va_bits);
	mmt_metric(c->w, "windows_up", up);
	mmt_metric(c->w, "cases_run", (double)c->cases_run);
	mmt_metric(c->w, "cases_skipped", skipped);
	mmt_metric(c->w, "cases_occupied", (double)c->cases_occupied);
	mmt_metric(c->w, "fork_rounds", (double)vu->forks);
	mmt_metric(c->w, "exec_rounds", (double)vu->execs);
	if (skipped)
		mmt_note(c->w,
			 "skipped: upgrade side of %u cases (hint honoured at/above, MAP_FIXED(_"
			 "NOREPLACE) at/above/straddling, munmap+mremap across): %d-bit VA cannot "
			 "reach window %s",
			 skipped, c->va_bits, names);
	if (active > up)
		mmt_note(c->w,
			 "%u window(s) flat here: checked the no-upgrade side instead (hints "
			 "ignored "
			 "-> low, MAP_FIXED -> ENOMEM, munmap -> EINVAL); fork/exec/threads ran "
			 "against the top of the %d-bit window",
			 active - up, c->va_bits);
	if (c->cases_occupied)
		mmt_note(c->w, "%llu hinted ranges were occupied (ASLR off?): not counted",
			 (unsigned long long)c->cases_occupied);
}

static int va_upgrade_run(struct mmt_worker *w, void *state)
{
	struct va_upgrade *vu = state;

	while (!mmt_should_stop(w))
		va_round(vu);
	summarize(vu);
	return 0;
}

static void va_upgrade_teardown(struct mmt_worker *w, void *state)
{
	struct va_upgrade *vu = state;

	(void)w;
	if (!vu)
		return;
	low_stop(vu->threads, vu->nthreads, &vu->stop_threads);
	release_kept(&vu->c);
	vmas_free(&vu->c);
	if (vu->fork_map)
		munmap(vu->fork_map, vu->fork_len);
	free(vu);
}

static unsigned va_upgrade_recorders(const void *opts)
{
	const struct va_upgrade_opts *o = opts;

	return 2 + (unsigned)o->threads;
}

const struct mmt_workload mmt_wl_va_upgrade = {
	.name = "va_upgrade",
	.summary = "high-address mmap around every VA window of the arch: hint/fixed cases, "
		   "munmap/mremap across, fork and re-exec after the upgrade, tagged pages",
	.mirrors = "s390 maple-tree crash in mmap_region after a 3->5 level upgrade by "
		   "mmap(1<<54) in a forked child with >14 VMAs (next-20220513); arm64 LPA2 "
		   "runtime PUD folding: pud_free on a folded level, Bad page state (2024)",
	.opts = va_upgrade_options,
	.opts_size = sizeof(struct va_upgrade_opts),
	.ops = va_upgrade_ops,
	.recorders = va_upgrade_recorders,
	.probe = va_upgrade_probe,
	.setup = va_upgrade_setup,
	.run = va_upgrade_run,
	.teardown = va_upgrade_teardown,
	.exec_main = va_upgrade_exec,
};

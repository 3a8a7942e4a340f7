// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture __guest-hotplug NODE UNIT SEED FILL_PCT [INJECT [SCOPE]]`: the guest side of
 * `vm hotplug`, started by the guest's init on every boot. The host plugs
 * memory into NODE (a node with no memory at boot) in units of UNIT bytes,
 * reboots the guest and unplugs, over QMP; this side never waits for the
 * host. It watches the node's memory blocks and says what it sees on the
 * console, each line after a newline (a prompt or a kernel line may be
 * half-written there):
 *
 *   @@MMT-GUEST hp boot node=N block=B blocks=K bytes=X zone=Z pagesize=P version=...
 *   @@MMT-GUEST hp seen blocks=K online=O bytes=X zone=Z   (any change, for diagnosis)
 *   @@MMT-GUEST hp online blocks=K bytes=X zone=Z           (grown to a whole unit, all online)
 *   @@MMT-GUEST hp verify ok|bad pages=N on_node=M bad=K fill_ms=F verify_ms=V bind_ms=B
 *                                                                                   [first ...]
 *   @@MMT-GUEST hp gone blocks=K bytes=X recheck ok|bad|none pages=N on_node=M bad=K [first ...]
 *   @@MMT-GUEST hp error WHAT: ERRNO-TEXT errno=N
 *
 * Each time the node grows to a whole number of units with every block
 * online, tagged pages (lib/tag.h) bound to the node with mbind(MPOL_BIND)
 * fill FILL_PCT of a unit, are placed (move_pages says where each page is)
 * and read back whole. The data stays: when the node shrinks to a whole
 * number of units again (an unplug), it has been migrated off the removed
 * memory by the kernel and is read back again.
 *
 * SCOPE "virtio_mem" (aarch64, whose device-tree guest knows no node without
 * memory at boot: NODE is 0 there) counts only the node's memory blocks in
 * virtio-mem's resources, and "on_node" counts the pages whose frames
 * (/proc/self/pagemap) are in them.
 *
 * INJECT proves the host's failure paths: "corrupt" damages one filled page
 * before it is read back, "panic" crashes the kernel (sysrq) once the memory
 * is online.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "tag.h"

#define POLL_US 20000
#define BIND_WAIT_MS 5000
#define PLACE_BATCH 4096
#define MPOL_BIND_ 2
#define MAX_NODE 1024

struct node_snap {
	int blocks, online;
	char zone[32]; /* of the online blocks: one name, "mixed" or "-" */
};

struct region {
	char *p;
	size_t len, pages;
	uint32_t owner;
};

/* Physical ranges of virtio-mem's memory, from /proc/iomem. */
#define MAX_RANGES 64
struct ranges {
	int n;
	uint64_t lo[MAX_RANGES], hi[MAX_RANGES]; /* inclusive */
};

struct hp {
	int node;
	int vmem_only; /* scope virtio_mem: only the node's memory virtio-mem added */
	uint64_t unit, block;
	uint32_t seed;
	int fill_pct;
	const char *inject;
	long pagesz;
	int round;
	uint64_t bind_ms; /* the last fill waited this long to bind to the node */
	struct region data;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "\n@@MMT-GUEST hp ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: the line must not interleave with the kernel's. */
	if (write(1, line, (size_t)n) < 0)
		return;
}

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		r = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return r;
}

/* The zone an online block is in: valid_zones names just that one. */
static void note_zone(struct node_snap *s, const char *dir)
{
	char path[448], z[32];

	snprintf(path, sizeof(path), "%s/valid_zones", dir);
	if (read_line(path, z, sizeof(z)))
		return;
	z[strcspn(z, " ")] = '\0';
	if (!strcmp(s->zone, "-"))
		snprintf(s->zone, sizeof(s->zone), "%s", z);
	else if (strcmp(s->zone, z))
		snprintf(s->zone, sizeof(s->zone), "mixed");
}

/*
 * "System RAM (virtio_mem)": what virtio-mem added (it names its resources so
 * that kexec and the like leave them alone). Gone once unplugged.
 */
static void vmem_ranges(struct ranges *r)
{
	unsigned long long lo, hi;
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");

	r->n = 0;
	while (f && r->n < MAX_RANGES && fgets(line, sizeof(line), f))
		if (strstr(line, "System RAM (virtio_mem)") &&
		    sscanf(line, " %llx-%llx", &lo, &hi) == 2) {
			r->lo[r->n] = lo;
			r->hi[r->n++] = hi;
		}
	if (f)
		fclose(f);
}

static int in_ranges(const struct ranges *r, uint64_t addr)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (addr >= r->lo[i] && addr <= r->hi[i])
			return 1;
	return 0;
}

/* A memory block of the node that counts: any, or one virtio-mem added. */
static int counts(const struct hp *h, const struct ranges *r, const char *name)
{
	return !h->vmem_only || in_ranges(r, strtoull(name + 6, NULL, 10) * h->block);
}

static int snap(const struct hp *h, struct node_snap *s)
{
	char dir[64], path[400], state[32];
	struct ranges r = {0};
	struct dirent *d;
	DIR *dp;

	memset(s, 0, sizeof(*s));
	snprintf(s->zone, sizeof(s->zone), "-");
	snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%d", h->node);
	if (h->vmem_only)
		vmem_ranges(&r);
	dp = opendir(dir);
	/* A node that has had no memory yet may have no directory. */
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "memory", 6) || d->d_name[6] < '0' || d->d_name[6] > '9' ||
		    !counts(h, &r, d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/state", dir, d->d_name);
		if (read_line(path, state, sizeof(state)))
			continue; /* going away under us */
		s->blocks++;
		if (strcmp(state, "online"))
			continue;
		s->online++;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		note_zone(s, path);
	}
	closedir(dp);
	return 0;
}

static void region_free(struct region *r)
{
	if (r->p)
		munmap(r->p, r->len);
	memset(r, 0, sizeof(*r));
}

/* Whether the page at p is in virtio-mem's memory: its frame from pagemap. */
static int page_in_vmem(const struct hp *h, const struct ranges *r, int fd, const char *p)
{
	uint64_t e;
	off_t off = (off_t)((uintptr_t)p / (uintptr_t)h->pagesz * sizeof(e));

	if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e >> 63))
		return 0;
	return in_ranges(r, (e & ((1ull << 55) - 1)) * (uint64_t)h->pagesz);
}

/* How many of the region's pages are in virtio-mem's memory (scope virtio_mem). */
static long in_vmem(const struct hp *h, const struct region *rg)
{
	struct ranges r;
	size_t i;
	long count = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	vmem_ranges(&r);
	for (i = 0; i < rg->pages; i++)
		count += page_in_vmem(h, &r, fd, rg->p + i * (size_t)h->pagesz);
	close(fd);
	return count;
}

/*
 * How many of the region's pages the kernel says are on the node (move_pages);
 * in scope virtio_mem, on virtio-mem's memory of the node.
 */
static long on_node(const struct hp *h, const struct region *r)
{
	void *pages[PLACE_BATCH];
	int status[PLACE_BATCH];
	size_t i, k, n;
	long count = 0;

	if (h->vmem_only)
		return in_vmem(h, r);
	for (i = 0; i < r->pages; i += n) {
		n = r->pages - i < PLACE_BATCH ? r->pages - i : PLACE_BATCH;
		for (k = 0; k < n; k++)
			pages[k] = r->p + (i + k) * (size_t)h->pagesz;
		if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) < 0)
			return -errno;
		for (k = 0; k < n; k++)
			count += status[k] == h->node;
	}
	return count;
}

/* Read every page back; the first bad page is described in first. */
static size_t verify(const struct hp *h, const struct region *r, char *first, size_t len)
{
	struct mmt_verify v;
	struct mmt_tag want;
	char w[96], f[96];
	size_t i, bad = 0;

	first[0] = '\0';
	for (i = 0; i < r->pages; i++) {
		want = mmt_tag_make(h->seed, r->owner, 1, i);
		if (mmt_tag_verify(r->p + i * (size_t)h->pagesz, (size_t)h->pagesz, &want, &v) ==
		    MMT_V_OK)
			continue;
		if (!bad++) {
			mmt_tag_format(&want, w, sizeof(w));
			mmt_tag_format(&v.found, f, sizeof(f));
			snprintf(first, len,
				 " first index=%zu offset=%zu class=%s want=%s found=%s", i,
				 v.offset, mmt_vclass_name(v.vclass), w, f);
		}
	}
	return bad;
}

/* len bytes at a 2 MiB boundary, so that THPs can back all of it. */
static void *map_aligned(size_t len)
{
	size_t align = 2u << 20, head;
	char *p =
		mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	head = (align - (uintptr_t)p % align) % align;
	if (head)
		munmap(p, head);
	munmap(p + head + len, align - head);
	return p + head;
}

/*
 * The cpuset's allowed nodes follow memory hotplug from a work item: just
 * after a node got memory back, binding to it fails with EINVAL for a while.
 */
static int bind(struct hp *h, struct region *r, const unsigned long *mask)
{
	struct timespec t0;
	long rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = syscall(SYS_mbind, r->p, r->len, MPOL_BIND_, mask, MAX_NODE + 1, 0)) < 0 &&
	       errno == EINVAL && ms_since(&t0) < BIND_WAIT_MS)
		usleep(POLL_US / 2);
	h->bind_ms = ms_since(&t0);
	return (int)rc;
}

static int fill(struct hp *h, struct region *r)
{
	unsigned long mask[MAX_NODE / (8 * sizeof(unsigned long))] = {0};
	size_t bits = 8 * sizeof(unsigned long), i;

	r->len = (size_t)(h->unit * (uint64_t)h->fill_pct / 100) & ~((size_t)(2u << 20) - 1);
	if (!r->len)
		r->len = 2u << 20; /* one THP's worth at the least */
	r->p = map_aligned(r->len);
	if (!r->p)
		return -errno;
	r->pages = r->len / (size_t)h->pagesz;
	r->owner = mmt_owner(0, (unsigned)++h->round);
	mask[h->node / bits] |= 1ul << (h->node % bits);
	/* Bound to the new memory: a page elsewhere would test nothing. */
	if (bind(h, r, mask) < 0)
		return -errno;
	/* THPs where the kernel gives them: a TCG guest faults 4 KiB pages slowly. */
	madvise(r->p, r->len, MADV_HUGEPAGE);
	for (i = 0; i < r->pages; i++) {
		struct mmt_tag t = mmt_tag_make(h->seed, r->owner, 1, i);

		mmt_tag_fill(r->p + i * (size_t)h->pagesz, (size_t)h->pagesz, &t);
	}
	return 0;
}

static void crash(void)
{
	FILE *f = fopen("/proc/sysrq-trigger", "we");

	if (f) {
		fputc('c', f);
		fclose(f);
	}
	say("error inject=panic: the kernel did not crash");
}

static void grown(struct hp *h, const struct node_snap *s)
{
	struct timespec t0;
	char first[400];
	uint64_t fill_ms;
	size_t bad;
	long where;
	int r;

	say("online blocks=%d bytes=%llu zone=%s", s->blocks,
	    (unsigned long long)((uint64_t)s->blocks * h->block), s->zone);
	if (!strcmp(h->inject, "panic"))
		crash();
	region_free(&h->data);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = fill(h, &h->data);
	if (r) {
		say("error fill: %s errno=%d", strerror(-r), -r);
		region_free(&h->data);
		return;
	}
	fill_ms = ms_since(&t0);
	if (!strcmp(h->inject, "corrupt"))
		h->data.p[h->data.pages / 2 * (size_t)h->pagesz + 100] ^= 0x5a;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	where = on_node(h, &h->data);
	bad = verify(h, &h->data, first, sizeof(first));
	if (where < 0)
		say("error move_pages: %s errno=%d", strerror((int)-where), (int)-where);
	say("verify %s pages=%zu on_node=%ld bad=%zu fill_ms=%llu verify_ms=%llu bind_ms=%llu%s",
	    bad ? "bad" : "ok", h->data.pages, where, bad, (unsigned long long)fill_ms,
	    (unsigned long long)ms_since(&t0), (unsigned long long)h->bind_ms, first);
}

static void shrunk(struct hp *h, const struct node_snap *s)
{
	char first[400] = "";
	size_t bad = 0;
	long where = 0;

	if (h->data.p) {
		where = on_node(h, &h->data);
		bad = verify(h, &h->data, first, sizeof(first));
	}
	say("gone blocks=%d bytes=%llu recheck %s pages=%zu on_node=%ld bad=%zu%s", s->blocks,
	    (unsigned long long)((uint64_t)s->blocks * h->block),
	    !h->data.p ? "none"
	    : bad      ? "bad"
		       : "ok",
	    h->data.pages, where, bad, first);
	if (!s->blocks)
		region_free(&h->data);
}

static void boot_line(const struct hp *h, const struct node_snap *s)
{
	struct utsname u;

	uname(&u);
	say("boot node=%d block=%llu blocks=%d bytes=%llu zone=%s pagesize=%ld version=%s", h->node,
	    (unsigned long long)h->block, s->blocks,
	    (unsigned long long)((uint64_t)s->blocks * h->block), s->zone, h->pagesz, u.version);
}

/* Act on whole units only: a DIMM's blocks come and go one by one. */
static void watch(struct hp *h)
{
	struct node_snap s, seen = {.blocks = -1};
	int acted = 0, r;

	for (;;) {
		r = snap(h, &s);
		if (r) {
			say("error node%d: %s errno=%d", h->node, strerror(-r), -r);
			return;
		}
		if (s.blocks != seen.blocks || s.online != seen.online) {
			say("seen blocks=%d online=%d bytes=%llu zone=%s", s.blocks, s.online,
			    (unsigned long long)((uint64_t)s.blocks * h->block), s.zone);
			seen = s;
		}
		if (s.blocks != s.online || (uint64_t)s.blocks * h->block % h->unit ||
		    s.blocks == acted) {
			usleep(POLL_US);
			continue;
		}
		if (s.blocks > acted)
			grown(h, &s);
		else
			shrunk(h, &s);
		acted = s.blocks;
	}
}

static int arg_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || *v < lo || *v > hi ? -EINVAL : 0;
}

int mmt_guest_hotplug_main(int argc, char **argv)
{
	struct hp h = {0};
	struct node_snap s;
	uint64_t node, seed, pct;
	const char *scope;
	char bs[32];

	h.inject = argc >= 6 ? argv[5] : "none";
	scope = argc == 7 ? argv[6] : "node";
	if (argc < 5 || argc > 7 || arg_u64(argv[1], 0, MAX_NODE - 1, &node) ||
	    arg_u64(argv[2], 1, UINT64_MAX, &h.unit) || arg_u64(argv[3], 0, UINT32_MAX, &seed) ||
	    arg_u64(argv[4], 1, 90, &pct) ||
	    (strcmp(h.inject, "none") && strcmp(h.inject, "corrupt") &&
	     strcmp(h.inject, "panic")) ||
	    (strcmp(scope, "node") && strcmp(scope, "virtio_mem"))) {
		fprintf(stderr, "usage: mmtorture __guest-hotplug NODE UNIT-BYTES SEED FILL-PCT "
				"[none|corrupt|panic [node|virtio_mem]] (run by a `vm hotplug` "
				"guest's init)\n");
		return 2;
	}
	h.vmem_only = !strcmp(scope, "virtio_mem");
	h.node = (int)node;
	h.seed = (uint32_t)seed;
	h.fill_pct = (int)pct;
	h.pagesz = sysconf(_SC_PAGESIZE);
	if (read_line("/sys/devices/system/memory/block_size_bytes", bs, sizeof(bs)) ||
	    !(h.block = strtoull(bs, NULL, 16))) {
		say("error /sys/devices/system/memory/block_size_bytes: no memory hotplug");
		return 1;
	}
	if (snap(&h, &s)) {
		memset(&s, 0, sizeof(s));
		snprintf(s.zone, sizeof(s.zone), "-");
	}
	boot_line(&h, &s);
	watch(&h);
	return 1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mem_hotplug — host memory block offline/online loops under tagged data.
 *
 * Stresses: memory offlining (offline_pages: page isolation, the migration of
 * every movable page out of the block, the zone and pgdat span and managed
 * page updates, pcp and LRU-cache draining) and onlining (online_pages, the
 * memmap and the zone's free lists), with filler threads rewriting the data
 * that the offline has to migrate while it migrates it.
 *
 * Mirrors: the Power9 memory hot-unplug oops of 2019 (pt_frag_refcount of
 * memory present at boot): hot-unplug walked kernel state the hot-add path
 * had never set up. The host-side half of that shape is a tight offline/online
 * loop over boot memory, with data whose loss or misplacement is caught; the
 * reboot-between half needs a guest.
 *
 * A round: pick a block (the one holding most filler pages, found through
 * /proc/self/pagemap, among those not backing off), write 0 to its `online`
 * attribute, hold it offline, write 1. EBUSY (an unmovable page in the block:
 * the kernel prints "page dumped because: unmovable page") is the common,
 * expected answer on most blocks: counted as busy, never a failure, and the
 * block backs off exponentially. The filler is base pages (MADV_NOHUGEPAGE):
 * each page migrates on its own, so a lost or misplaced page is pinned to its
 * 4 KiB, and the offline does not depend on finding free 2 MiB targets on a
 * fragmented host. Every filler page is verified before each rewrite.
 *
 * Safety: the probe saves every `online` attribute the worker may write in the
 * runner's journal; the worker (handed the probe's list, see probe_state) only
 * writes those, and puts every block back online in teardown. `online` and not
 * `state` because writing 1 to an online block succeeds, so the journal's
 * restore is idempotent (writing "online" to `state` of an online block fails
 * with EINVAL).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define MEM_DIR "/sys/devices/system/memory"
#define MH_MAX_BLOCKS 1024 /* a journal line each */
#define MH_MAX_THREADS 8
#define SCAN_EVERY_NS 200000000ull
#define FULL_VERIFY_NS 1000000000ull /* every page, at least this often */
#define BACKOFF_MIN_NS 10000000ull
#define BACKOFF_MAX_NS 5000000000ull
#define NS_PER_MS 1000000ull

enum { Z_ANY, Z_DMA32, Z_NORMAL, Z_MOVABLE };
enum { INJ_NONE, INJ_CORRUPT };
enum { OP_OFFLINE, OP_ONLINE, OP_BUSY, OP_VERIFY, OP_REWRITE, OP_SCAN };

struct mem_hotplug_opts {
	int64_t blocks;
	int zone;
	int64_t filler;
	int64_t threads;
	int64_t hold;
	int64_t timeout;
	int inject;
};

static const char *const zones[] = {"any", "dma32", "normal", "movable", NULL};
static const char *const zone_names[] = {"", "DMA32", "Normal", "Movable"};
static const char *const injects[] = {"none", "corrupt", NULL};

#define OFF(f) offsetof(struct mem_hotplug_opts, f)
static const struct mmt_opt mem_hotplug_options[] = {
	{"blocks", MMT_OPT_INT, OFF(blocks), 0, MH_MAX_BLOCKS, "0", NULL,
	 "memory blocks to cycle, lowest numbers first (0: every online block whose "
	 "valid_zones is not 'none', at most 1024)"},
	{"zone", MMT_OPT_ENUM, OFF(zone), 0, 0, "any", zones,
	 "only blocks in this zone (valid_zones of an online block names its zone)"},
	{"filler", MMT_OPT_SIZE, OFF(filler), 1 << 20, 1ll << 40, "256M", NULL,
	 "tagged anonymous data (base pages) that offlining has to migrate"},
	{"threads", MMT_OPT_INT, OFF(threads), 0, MH_MAX_THREADS, "1", NULL,
	 "filler threads verifying and rewriting their pages while blocks go offline "
	 "(0: the worker verifies and rewrites everything after each cycle instead)"},
	{"hold", MMT_OPT_DURATION, OFF(hold), 0, 3600000000000ll, "0", NULL,
	 "how long a block stays offline before it is onlined again"},
	{"timeout", MMT_OPT_DURATION, OFF(timeout), 100000000ll, 600000000000ll, "5s", NULL,
	 "interrupt an offline still migrating after this long (a signal: EINTR, counted)"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: a filler page is overwritten with another after the first "
	 "cycle; verification must report it"},
	{NULL},
};

static const char *const mem_hotplug_ops[] = {
	[OP_OFFLINE] = "offline",
	[OP_ONLINE] = "online",
	[OP_BUSY] = "offline_busy",
	[OP_VERIFY] = "verify",
	[OP_REWRITE] = "rewrite",
	[OP_SCAN] = "scan",
	NULL,
};

/*
 * The blocks the probe saved in the journal. The worker gets this list from
 * the runner (probe_state) and writes nothing else.
 */
static struct {
	unsigned n;
	unsigned id[MH_MAX_BLOCKS];
} mh_saved;

struct block {
	unsigned id;
	int fd; /* `online`, kept open: an op is one pwrite */
	int zone; /* Z_* at setup, 0 if another */
	int offline; /* we offlined it and it is not back yet */
	int refused; /* EINVAL: the kernel will never offline it */
	unsigned streak; /* EBUSY answers in a row */
	uint64_t retry_ns; /* backing off until then */
	uint64_t cycles;
	uint32_t pages; /* filler pages in it at the last scan */
};

struct mem_hotplug;

struct filler {
	struct mem_hotplug *mh;
	unsigned idx;
	size_t first, n; /* pages it owns */
	pthread_t tid;
};

struct mem_hotplug {
	struct mmt_worker *w;
	const struct mem_hotplug_opts *o;
	size_t pg, npages, len;
	char *base;
	uint32_t *gen;
	uint64_t *pfn; /* per filler page at the last scan, 0 if unknown */
	uint64_t *pmbuf;
	int pagemap;
	uint64_t block_size;
	unsigned *slot_of; /* block id -> index in blocks + 1 */
	unsigned max_id;
	struct block *blocks;
	unsigned nblocks, cursor;
	struct filler fillers[MH_MAX_THREADS];
	unsigned nthreads, nstarted;
	int stopping;
	uint64_t cycles, busy, eintr, moved, next_scan_ns, next_verify_ns;
	uint64_t passes; /* filler verify passes, all threads */
	/* The nanny: interrupts an offline that migrates for too long. */
	pthread_t main_tid, nanny;
	int nanny_started;
	uint64_t offline_since_ns; /* 0 when no offline is in progress */
};

/* ---- probe: find the candidate blocks and save each in the journal ---- */

static int read_attr(unsigned id, const char *attr, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), MEM_DIR "/memory%u/%s", id, attr);
	return mmt_sysfs_read(path, buf, len);
}

static int zone_of(const char *valid_zones)
{
	int z;

	for (z = Z_DMA32; z <= Z_MOVABLE; z++)
		if (!strcmp(valid_zones, zone_names[z]))
			return z;
	return Z_ANY;
}

/* An online block the kernel may offline, in the zone asked for. */
static int candidate(unsigned id, int want_zone)
{
	char state[32], vz[64], path[128];

	if (read_attr(id, "state", state, sizeof(state)) < 0 || strcmp(state, "online"))
		return 0;
	if (read_attr(id, "valid_zones", vz, sizeof(vz)) < 0 || !strcmp(vz, "none"))
		return 0;
	snprintf(path, sizeof(path), MEM_DIR "/memory%u/online", id);
	if (access(path, W_OK))
		return 0;
	return want_zone == Z_ANY || zone_of(vz) == want_zone;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Every memoryN id, sorted; -errno. */
static int list_blocks(unsigned **ids, unsigned *n)
{
	DIR *d = opendir(MEM_DIR);
	struct dirent *e;
	unsigned cap = 0, *v = NULL, *nv;
	char *end;
	unsigned long id;

	if (!d)
		return -errno;
	*n = 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "memory", 6))
			continue;
		id = strtoul(e->d_name + 6, &end, 10);
		if (end == e->d_name + 6 || *end)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = (unsigned)id;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_uint);
	*ids = v;
	return 0;
}

static int mem_hotplug_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	const struct mem_hotplug_opts *o = opts;
	unsigned *ids = NULL, n = 0, i, max = o->blocks ? (unsigned)o->blocks : MH_MAX_BLOCKS;
	char path[128];
	int r;

	mh_saved.n = 0;
	r = list_blocks(&ids, &n);
	if (r == -ENOENT)
		return snprintf(reason, len,
				"no " MEM_DIR ": kernel without CONFIG_MEMORY_HOTPLUG"),
		       MMT_SKIP;
	if (r)
		return snprintf(reason, len, MEM_DIR ": %s", strerror(-r)), MMT_ERROR;
	for (i = 0; i < n && mh_saved.n < max; i++) {
		if (!candidate(ids[i], o->zone))
			continue;
		snprintf(path, sizeof(path), MEM_DIR "/memory%u/online", ids[i]);
		r = mmt_journal_save(env->journal, path);
		if (r) {
			free(ids);
			return snprintf(reason, len, "saving %s in the journal: %s", path,
					strerror(-r)),
			       MMT_ERROR;
		}
		mh_saved.id[mh_saved.n++] = ids[i];
	}
	free(ids);
	if (!mh_saved.n)
		return snprintf(reason, len,
				"no online memory block%s%s can be offlined (valid_zones 'none' "
				"or no writable 'online' attribute on all %u)",
				o->zone ? " in zone " : "", o->zone ? zone_names[o->zone] : "", n),
		       MMT_SKIP;
	return 0;
}

/* ---- setup ---- */

static int open_blocks(struct mem_hotplug *mh)
{
	char path[128], vz[64];
	struct block *b;
	unsigned i;

	mh->blocks = calloc(mh_saved.n, sizeof(*mh->blocks));
	if (!mh->blocks)
		return -ENOMEM;
	for (i = 0; i < mh_saved.n; i++) {
		b = &mh->blocks[mh->nblocks];
		b->id = mh_saved.id[i];
		snprintf(path, sizeof(path), MEM_DIR "/memory%u/online", b->id);
		b->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (b->fd < 0)
			return -errno;
		mh->nblocks++;
		if (read_attr(b->id, "valid_zones", vz, sizeof(vz)) >= 0)
			b->zone = zone_of(vz);
		if (b->id > mh->max_id)
			mh->max_id = b->id;
	}
	mh->slot_of = calloc(mh->max_id + 1, sizeof(*mh->slot_of));
	if (!mh->slot_of)
		return -ENOMEM;
	for (i = 0; i < mh->nblocks; i++)
		mh->slot_of[mh->blocks[i].id] = i + 1;
	return 0;
}

static struct mmt_tag page_tag(const struct mem_hotplug *mh, size_t i)
{
	return mmt_tag_make((uint32_t)mh->w->seed, mmt_owner(mh->w->id, 0), mh->gen[i], i);
}

static int filler_map(struct mem_hotplug *mh)
{
	size_t i;
	struct mmt_tag t;

	mh->base = mmap(NULL, mh->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mh->base == MAP_FAILED) {
		mh->base = NULL;
		return -errno;
	}
	if (madvise(mh->base, mh->len, MADV_NOHUGEPAGE))
		return -errno;
	mh->gen = calloc(mh->npages, sizeof(*mh->gen));
	mh->pfn = calloc(mh->npages, sizeof(*mh->pfn));
	mh->pmbuf = calloc(mh->npages, sizeof(*mh->pmbuf));
	if (!mh->gen || !mh->pfn || !mh->pmbuf)
		return -ENOMEM;
	for (i = 0; i < mh->npages; i++) {
		mh->gen[i] = 1;
		t = page_tag(mh, i);
		mmt_tag_fill(mh->base + i * mh->pg, mh->pg, &t);
		if ((i & 4095) == 0)
			mmt_beat(mh->w);
	}
	return 0;
}

static void zone_metrics(struct mem_hotplug *mh)
{
	unsigned i, n[4] = {0};

	for (i = 0; i < mh->nblocks; i++)
		n[mh->blocks[i].zone]++;
	mmt_metric(mh->w, "blocks", mh->nblocks);
	mmt_metric(mh->w, "blocks_dma32", n[Z_DMA32]);
	mmt_metric(mh->w, "blocks_normal", n[Z_NORMAL]);
	mmt_metric(mh->w, "blocks_movable", n[Z_MOVABLE]);
	mmt_metric(mh->w, "block_mib", (double)(mh->block_size >> 20));
}

static void *filler_main(void *arg);
static void *nanny_main(void *arg);

static void on_nanny(int sig)
{
	(void)sig; /* only to make the offline's write() return EINTR */
}

static int start_threads(struct mem_hotplug *mh)
{
	struct sigaction sa = {.sa_handler = on_nanny}; /* no SA_RESTART */
	size_t per = mh->npages / (mh->nthreads ? mh->nthreads : 1);
	unsigned i;
	int r;

	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	mh->main_tid = pthread_self();
	r = pthread_create(&mh->nanny, NULL, nanny_main, mh);
	if (r)
		return -r;
	mh->nanny_started = 1;
	for (i = 0; i < mh->nthreads; i++) {
		mh->fillers[i] = (struct filler){.mh = mh, .idx = i, .first = i * per, .n = per};
		if (i == mh->nthreads - 1)
			mh->fillers[i].n = mh->npages - i * per;
		r = pthread_create(&mh->fillers[i].tid, NULL, filler_main, &mh->fillers[i]);
		if (r)
			return -r;
		mh->nstarted++;
	}
	return 0;
}

static int mem_hotplug_setup(struct mmt_worker *w, void **state)
{
	const struct mem_hotplug_opts *o = w->opts;
	struct mem_hotplug *mh = calloc(1, sizeof(*mh));
	char buf[64];
	int r;

	if (!mh)
		return -ENOMEM;
	*state = mh;
	mh->w = w;
	mh->o = o;
	mh->pagemap = -1;
	mh->pg = (size_t)w->pagesz;
	mh->npages = (size_t)o->filler / mh->pg;
	mh->len = mh->npages * mh->pg;
	mh->nthreads = (unsigned)o->threads;
	if (!mh_saved.n)
		return mmt_worker_verdict(w, MMT_ERROR, "no block saved by the probe");
	r = mmt_sysfs_read(MEM_DIR "/block_size_bytes", buf, sizeof(buf));
	if (r < 0)
		return r;
	mh->block_size = strtoull(buf, NULL, 16);
	if (!mh->block_size)
		return -EINVAL;
	r = open_blocks(mh);
	if (r)
		return r;
	zone_metrics(mh);
	r = filler_map(mh);
	if (r)
		return r;
	mh->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (mh->pagemap < 0)
		mmt_note(w, "no /proc/self/pagemap (%s): blocks picked in turn, moves not counted",
			 strerror(errno));
	r = mmt_catch_faults(w);
	return r ? r : start_threads(mh);
}

/* ---- verification and rewriting (a filler thread's pages, or all) ---- */

/* After the first cycle, page first+1's bytes where page first belongs: "other index". */
static void maybe_inject(struct mem_hotplug *mh, size_t first, size_t n, int *done)
{
	if (*done || mh->o->inject != INJ_CORRUPT || n < 2 ||
	    !__atomic_load_n(&mh->cycles, __ATOMIC_RELAXED))
		return;
	memcpy(mh->base + first * mh->pg, mh->base + (first + 1) * mh->pg, mh->pg);
	*done = 1;
}

static unsigned verify_range(struct mem_hotplug *mh, unsigned rec, size_t first, size_t n)
{
	struct mmt_hist *h = mmt_hist_of(mh->w, rec, OP_VERIFY);
	struct mmt_verify v;
	struct mmt_tag t;
	unsigned bad = 0;
	uint64_t t0 = mmt_ticks();
	size_t i;

	for (i = first; i < first + n; i++) {
		t = page_tag(mh, i);
		if (mmt_likely(!mmt_tag_verify(mh->base + i * mh->pg, mh->pg, &t, &v)))
			continue;
		if (bad++ < 8)
			mmt_fail_verify(mh->w, OP_VERIFY, mh->base + i * mh->pg, &t, &v);
		/* Re-tag it so that one loss is reported once, not on every pass. */
		mmt_tag_fill(mh->base + i * mh->pg, mh->pg, &t);
	}
	mmt_time(h, t0);
	if (bad > 8)
		mmt_fail(mh->w, MMT_FK_VERIFY, OP_VERIFY, 0, 0,
			 "%u pages mismatched in this pass (first 8 recorded)", bad);
	__atomic_fetch_add(&mh->passes, 1, __ATOMIC_RELAXED);
	return bad;
}

static void rewrite_range(struct mem_hotplug *mh, unsigned rec, size_t first, size_t n)
{
	struct mmt_hist *h = mmt_hist_of(mh->w, rec, OP_REWRITE);
	struct mmt_tag t;
	uint64_t t0 = mmt_ticks();
	size_t i;

	for (i = first; i < first + n; i++) {
		mh->gen[i]++;
		t = page_tag(mh, i);
		mmt_tag_fill(mh->base + i * mh->pg, mh->pg, &t);
	}
	mmt_time(h, t0);
}

static void *filler_main(void *arg)
{
	struct filler *f = arg;
	struct mem_hotplug *mh = f->mh;
	int injected = f->idx != 0;

	while (!__atomic_load_n(&mh->stopping, __ATOMIC_RELAXED) && !mmt_should_stop(mh->w)) {
		maybe_inject(mh, f->first, f->n, &injected);
		verify_range(mh, 1 + f->idx, f->first, f->n);
		rewrite_range(mh, 1 + f->idx, f->first, f->n);
	}
	return NULL;
}

/* ---- the nanny ---- */

static void *nanny_main(void *arg)
{
	struct mem_hotplug *mh = arg;
	uint64_t since;

	while (!__atomic_load_n(&mh->stopping, __ATOMIC_RELAXED)) {
		usleep(100000);
		since = __atomic_load_n(&mh->offline_since_ns, __ATOMIC_RELAXED);
		/* offline_pages() retries migration until a signal is pending. */
		if (since && mmt_mono_ns() - since > (uint64_t)mh->o->timeout)
			pthread_kill(mh->main_tid, SIGUSR1);
	}
	return NULL;
}

/* ---- where the filler lives: /proc/self/pagemap ---- */

static int pagemap_read(struct mem_hotplug *mh)
{
	size_t want = mh->npages * sizeof(uint64_t), got = 0;
	off_t off = (off_t)((uintptr_t)mh->base / mh->pg * sizeof(uint64_t));
	ssize_t n;

	while (got < want) {
		n = pread(mh->pagemap, (char *)mh->pmbuf + got, want - got, off + (off_t)got);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* Count filler pages per block, and the pages whose frame changed (migrated). */
static void scan(struct mem_hotplug *mh)
{
	uint64_t e, pfn, id, t0 = mmt_ticks(), seen = 0;
	size_t i;
	unsigned k;

	if (pagemap_read(mh)) {
		mmt_note(mh->w, "reading /proc/self/pagemap failed: blocks picked in turn");
		goto off;
	}
	for (k = 0; k < mh->nblocks; k++)
		mh->blocks[k].pages = 0;
	for (i = 0; i < mh->npages; i++) {
		e = mh->pmbuf[i];
		pfn = e & ((1ull << 55) - 1);
		if (!(e >> 63) || !pfn)
			continue;
		seen++;
		if (mh->pfn[i] && mh->pfn[i] != pfn)
			mh->moved++;
		mh->pfn[i] = pfn;
		id = pfn * mh->pg / mh->block_size;
		if (id <= mh->max_id && mh->slot_of[id])
			mh->blocks[mh->slot_of[id] - 1].pages++;
	}
	mmt_time(mmt_hist_of(mh->w, 0, OP_SCAN), t0);
	if (seen)
		return;
	mmt_note(mh->w, "pagemap shows no page frame numbers: blocks picked in turn");
off:
	close(mh->pagemap);
	mh->pagemap = -1;
}

static void publish(struct mem_hotplug *mh)
{
	unsigned i, cycled = 0, refused = 0;

	for (i = 0; i < mh->nblocks; i++) {
		cycled += mh->blocks[i].cycles > 0;
		refused += mh->blocks[i].refused;
	}
	mmt_metric(mh->w, "cycles", (double)mh->cycles);
	mmt_metric(mh->w, "busy", (double)mh->busy);
	mmt_metric(mh->w, "timeouts", (double)mh->eintr);
	mmt_metric(mh->w, "blocks_cycled", cycled);
	mmt_metric(mh->w, "blocks_refused", refused);
	mmt_metric(mh->w, "pages_moved", (double)mh->moved);
	mmt_metric(mh->w, "verify_passes", (double)__atomic_load_n(&mh->passes, __ATOMIC_RELAXED));
}

/* ---- the cycle ---- */

/* The block holding most filler pages among those not backing off; ties in turn. */
static struct block *pick(struct mem_hotplug *mh, uint64_t now)
{
	struct block *best = NULL, *b;
	unsigned k;

	for (k = 0; k < mh->nblocks; k++) {
		b = &mh->blocks[(mh->cursor + k) % mh->nblocks];
		if (b->refused || b->offline || b->retry_ns > now)
			continue;
		if (!best || b->pages > best->pages)
			best = b;
	}
	if (best)
		mh->cursor = (unsigned)(best - mh->blocks + 1) % mh->nblocks;
	return best;
}

static void backoff(struct block *b, uint64_t now)
{
	uint64_t d = BACKOFF_MIN_NS << (b->streak < 10 ? b->streak : 10);

	b->streak++;
	b->retry_ns = now + (d < BACKOFF_MAX_NS ? d : BACKOFF_MAX_NS);
}

/* 0 when the block went offline; otherwise why not (errno), already accounted for. */
static int offline_block(struct mem_hotplug *mh, struct block *b, uint64_t now)
{
	uint64_t t0 = mmt_ticks();
	ssize_t n;
	int err;

	__atomic_store_n(&mh->offline_since_ns, now, __ATOMIC_RELAXED);
	n = pwrite(b->fd, "0", 1, 0);
	err = n == 1 ? 0 : n < 0 ? errno : EIO;
	__atomic_store_n(&mh->offline_since_ns, 0, __ATOMIC_RELAXED);
	if (!err) {
		mmt_time(mmt_hist_of(mh->w, 0, OP_OFFLINE), t0);
		b->offline = 1;
		b->streak = 0;
		return 0;
	}
	mmt_time(mmt_hist_of(mh->w, 0, OP_BUSY), t0);
	switch (err) {
	case EBUSY: /* an unmovable page in the block: expected on most blocks */
	case EAGAIN:
	case ENOMEM: /* nowhere to migrate to */
		mh->busy++;
		break;
	case EINTR: /* the nanny: migration did not finish within `timeout` */
		mh->eintr++;
		break;
	case EINVAL: /* holes, a block spanning zones: never offlinable */
		b->refused = 1;
		return err;
	default:
		mmt_fail(mh->w, MMT_FK_ERRNO, OP_OFFLINE, err, 0, "write(memory%u/online, 0): %s",
			 b->id, strerror(err));
	}
	backoff(b, now);
	return err;
}

/*
 * Online a block in the zone it had: writing 1 to `online` takes the kernel's
 * default type, which can put a Movable block into ZONE_NORMAL (and make it
 * unremovable); a Movable block goes back through state=online_movable.
 */
static int write_online(struct block *b)
{
	char path[96];
	ssize_t n;
	int fd, err;

	if (b->zone != Z_MOVABLE) {
		n = pwrite(b->fd, "1", 1, 0);
		return n == 1 ? 0 : n < 0 ? errno : EIO;
	}
	snprintf(path, sizeof(path), MEM_DIR "/memory%u/state", b->id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, "online_movable", 14);
	err = n == 14 ? 0 : n < 0 ? errno : EIO;
	close(fd);
	return err;
}

static int online_block(struct mem_hotplug *mh, struct block *b)
{
	uint64_t t0 = mmt_ticks();
	int err = write_online(b);

	mmt_time(mmt_hist_of(mh->w, 0, OP_ONLINE), t0);
	if (err) {
		mmt_fail(mh->w, MMT_FK_ERRNO, OP_ONLINE, err, 0,
			 "write(memory%u/online, 1): %s; retried at teardown", b->id,
			 strerror(err));
		return err;
	}
	b->offline = 0;
	b->cycles++;
	__atomic_store_n(&mh->cycles, mh->cycles + 1, __ATOMIC_RELAXED);
	return 0;
}

/* Sleep in slices so the watchdog sees progress and a stop is not delayed. */
static void hold(struct mem_hotplug *mh)
{
	int64_t left = mh->o->hold, d;
	struct timespec ts;

	while (left > 0 && !mmt_should_stop(mh->w)) {
		d = left < 100000000 ? left : 100000000;
		ts = (struct timespec){.tv_sec = 0, .tv_nsec = d};
		nanosleep(&ts, NULL);
		mmt_beat(mh->w);
		left -= d;
	}
}

static void idle(struct mem_hotplug *mh)
{
	usleep(5000);
	mmt_beat(mh->w);
}

static int mem_hotplug_run(struct mmt_worker *w, void *state)
{
	struct mem_hotplug *mh = state;
	int injected = 0;
	struct block *b;
	uint64_t now;

	while (!mmt_should_stop(w)) {
		now = mmt_mono_ns();
		if (mh->pagemap >= 0 && now >= mh->next_scan_ns) {
			scan(mh);
			publish(mh);
			mh->next_scan_ns = now + SCAN_EVERY_NS;
		}
		b = pick(mh, now);
		if (!b) {
			idle(mh);
			continue;
		}
		if (offline_block(mh, b, now))
			continue;
		hold(mh);
		if (online_block(mh, b) || mh->nthreads)
			continue;
		/*
		 * What this cycle migrated is checked at once; a block that held none
		 * of the filler (as of the last scan, 200 ms old at most) only waits
		 * for the once-a-second pass, so empty blocks cycle at the kernel's pace.
		 */
		if (b->pages || mh->pagemap < 0 || now >= mh->next_verify_ns) {
			maybe_inject(mh, 0, mh->npages, &injected);
			verify_range(mh, 0, 0, mh->npages);
			rewrite_range(mh, 0, 0, mh->npages);
			mh->next_verify_ns = mmt_mono_ns() + FULL_VERIFY_NS;
		}
	}
	if (!mh->nthreads)
		verify_range(mh, 0, 0, mh->npages);
	publish(mh);
	if (!mh->cycles)
		mmt_note(w,
			 "WARNING: no block went offline (%llu busy, %llu timed out): nothing "
			 "was migrated in this run (page cache often pins blocks on a machine "
			 "that has run for long: sync, drop_caches 3 and compact_memory free it)",
			 (unsigned long long)mh->busy, (unsigned long long)mh->eintr);
	return 0;
}

/* ---- teardown: every block back online, in the zone it had ---- */

static void restore_blocks(struct mem_hotplug *mh)
{
	char vz[64];
	unsigned i, try;
	struct block *b;
	int err;

	for (i = 0; i < mh->nblocks; i++) {
		b = &mh->blocks[i];
		for (try = 0, err = 0; b->offline && try < 3; try++) {
			err = write_online(b);
			if (!err)
				b->offline = 0;
			else
				usleep(100000);
		}
		if (b->offline)
			mmt_fail(mh->w, MMT_FK_ERRNO, OP_ONLINE, err, 0,
				 "memory%u left offline: onlining it: %s", b->id, strerror(err));
		else if (b->cycles && read_attr(b->id, "valid_zones", vz, sizeof(vz)) >= 0 &&
			 zone_of(vz) != b->zone)
			mmt_note(mh->w, "WARNING: memory%u came back in zone %s (was %s)", b->id,
				 vz, b->zone ? zone_names[b->zone] : "other");
		close(b->fd);
	}
}

static void mem_hotplug_teardown(struct mmt_worker *w, void *state)
{
	struct mem_hotplug *mh = state;
	unsigned i;

	(void)w;
	if (!mh)
		return;
	__atomic_store_n(&mh->stopping, 1, __ATOMIC_RELAXED);
	for (i = 0; i < mh->nstarted; i++)
		pthread_join(mh->fillers[i].tid, NULL);
	if (mh->nanny_started)
		pthread_join(mh->nanny, NULL);
	if (mh->blocks)
		restore_blocks(mh);
	if (mh->pagemap >= 0)
		close(mh->pagemap);
	if (mh->base)
		munmap(mh->base, mh->len);
	free(mh->blocks);
	free(mh->slot_of);
	free(mh->gen);
	free(mh->pfn);
	free(mh->pmbuf);
	free(mh);
}

static unsigned mem_hotplug_recorders(const void *opts)
{
	const struct mem_hotplug_opts *o = opts;

	return 1 + (unsigned)o->threads;
}

const struct mmt_workload mmt_wl_mem_hotplug = {
	.name = "mem_hotplug",
	.summary = "memory block offline/online loops migrating tagged filler data, every byte "
		   "verified",
	.mirrors = "2019 Power9 memory hot-unplug oops (pt_frag_refcount of boot memory); "
		   "offline_pages migration and zone resizing",
	.needs = MMT_NEED_ROOT | MMT_NEED_DESTRUCTIVE,
	.max_workers = 1,
	.opts = mem_hotplug_options,
	.opts_size = sizeof(struct mem_hotplug_opts),
	.ops = mem_hotplug_ops,
	/* A refused offline dumps the unmovable page it met (offline_pages asks for it). */
	.kmsg_allow = (const char *const[]){"^page dumped because: unmovable page$", NULL},
	.recorders = mem_hotplug_recorders,
	.probe = mem_hotplug_probe,
	.setup = mem_hotplug_setup,
	.run = mem_hotplug_run,
	.teardown = mem_hotplug_teardown,
	.probe_state = &mh_saved,
	.probe_state_size = sizeof(mh_saved),
};

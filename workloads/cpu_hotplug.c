// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_hotplug — CPU offline/online loops under pinned, page-churning threads.
 *
 * Stresses: the CPU hotplug state machine's mm teardown and setup steps
 * (page_alloc_cpu_dead draining the dead CPU's per-CPU page lists and folding
 * its vmstat diffs, lru_add_drain_cpu of its folio batches, the slab and
 * memcg per-CPU caches, the mm_cid and TLB state of tasks that ran there) and
 * the scheduler breaking the affinity of tasks pinned to the dying CPU.
 *
 * Mirrors: the class of bugs where per-CPU mm state is drained or freed at
 * CPU offline while pages are in flight (no single named regression: the
 * issue asks for CPU hotplug under load). A page left on a dead CPU's pcp
 * list or folio batch, or handed out twice, shows up as tagged data that
 * changed under its owner.
 *
 * A cycle: offline `max_offline` CPUs of the set in turn (write 0 to
 * cpuN/online), hold, online them again. Meanwhile one filler thread per CPU
 * of the set, pinned to it, frees its pages (MADV_DONTNEED: into that CPU's
 * pcp lists), faults them back in with new tags and verifies every byte. When
 * its CPU goes away the kernel breaks its affinity and it runs elsewhere;
 * when the CPU is back it pins itself again. Counted, never a failure: the
 * same thing happens to any other workload's pinned workers running in the
 * same job, which is why the worker itself moves off the CPUs it offlines.
 *
 * Safety: the probe saves every cpuN/online the worker may write in the
 * runner's journal (writing 1 to an online CPU succeeds, so restoring is
 * idempotent); the worker, handed that list (probe_state), writes only
 * those (CPU 0 only where the kernel offers its online file), never all of them at once, and
 * onlines every CPU again in teardown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define CPU_DIR "/sys/devices/system/cpu"
#define CH_MAX_CPUS 1024 /* journal lines: well under its 64 KiB */
#define CH_MAX_THREADS 16

enum { INJ_NONE, INJ_CORRUPT };
enum { OP_OFFLINE, OP_ONLINE, OP_REFILL, OP_VERIFY };

struct cpu_hotplug_opts {
	int64_t cpu;
	int64_t max_offline;
	int64_t hold;
	int64_t cycles;
	int64_t settle;
	int64_t filler;
	int inject;
};

static const char *const injects[] = {"none", "corrupt", NULL};

#define OFF(f) offsetof(struct cpu_hotplug_opts, f)
static const struct mmt_opt cpu_hotplug_options[] = {
	{"cpu", MMT_OPT_INT, OFF(cpu), -1, CH_MAX_CPUS - 1, "-1", NULL,
	 "the CPU to cycle (-1: every online CPU with a cpuN/online file, in turn; CPU 0 "
	 "only if the kernel offers its online file)"},
	{"max_offline", MMT_OPT_INT, OFF(max_offline), 1, CH_MAX_CPUS, "1", NULL,
	 "CPUs offline at once in a cycle (capped so that one CPU always stays online)"},
	{"hold", MMT_OPT_DURATION, OFF(hold), 0, 3600000000000ll, "0", NULL,
	 "how long the CPUs stay offline in a cycle"},
	{"cycles", MMT_OPT_INT, OFF(cycles), 0, 1ll << 40, "0", NULL,
	 "stop cycling after this many (0: until the job ends); the fillers go on"},
	{"settle", MMT_OPT_DURATION, OFF(settle), 0, 10000000000ll, "50ms", NULL,
	 "after onlining, wait up to this long for each filler to be pinned back and to "
	 "have churned pages on its CPU before that CPU goes down again (0: no wait)"},
	{"filler", MMT_OPT_SIZE, OFF(filler), 64 << 10, 1ll << 34, "4M", NULL,
	 "tagged pages each pinned filler thread frees, refaults and verifies per pass"},
	{"inject", MMT_OPT_ENUM, OFF(inject), 0, 0, "none", injects,
	 "harness self-test: a filler page is overwritten with another after the first "
	 "cycle; verification must report it"},
	{NULL},
};

static const char *const cpu_hotplug_ops[] = {
	[OP_OFFLINE] = "offline",
	[OP_ONLINE] = "online",
	[OP_REFILL] = "refill",
	[OP_VERIFY] = "verify",
	NULL,
};

/* The CPUs the probe saved in the journal; handed to the worker (probe_state). */
static struct {
	unsigned n;
	unsigned id[CH_MAX_CPUS];
} ch_saved;

struct cpu_hotplug;

struct target {
	struct cpu_hotplug *ch;
	unsigned cpu, idx;
	int fd; /* cpuN/online, kept open: an op is one pwrite */
	int offline; /* we offlined it and it is not back yet */
	/* its filler thread (the first CH_MAX_THREADS targets have one) */
	pthread_t tid;
	int started;
	char *base;
	uint32_t gen;
	uint64_t broken, repinned;
	uint64_t epoch; /* bumped when the CPU is back online */
	uint64_t settled; /* the epoch of the filler's last pass pinned on it */
};

struct cpu_hotplug {
	struct mmt_worker *w;
	const struct cpu_hotplug_opts *o;
	struct target *t;
	unsigned n, nthreads, cursor, max_offline;
	size_t pg, npages;
	int stopping;
	uint64_t cycles, busy, passes, unsettled;
};

/* ---- probe: the CPUs to cycle, each saved in the journal ---- */

static int cpu_online_path(unsigned cpu, char *path, size_t len)
{
	return snprintf(path, len, CPU_DIR "/cpu%u/online", cpu);
}

static int cpu_is_candidate(unsigned cpu)
{
	char path[96], v[16];

	cpu_online_path(cpu, path, sizeof(path));
	return !access(path, W_OK) && mmt_sysfs_read(path, v, sizeof(v)) > 0 && !strcmp(v, "1");
}

static int cpu_hotplug_probe(const void *opts, struct mmt_env *env, char *reason, size_t len)
{
	const struct cpu_hotplug_opts *o = opts;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF), online = sysconf(_SC_NPROCESSORS_ONLN);
	char path[96];
	unsigned c;
	int r;

	ch_saved.n = 0;
	if (online < 2)
		return snprintf(reason, len, "%ld CPU online: nothing can go offline", online),
		       MMT_SKIP;
	for (c = 0; c < (unsigned)ncpu && c < CH_MAX_CPUS; c++) {
		if ((o->cpu >= 0 && c != (unsigned)o->cpu) || !cpu_is_candidate(c))
			continue;
		cpu_online_path(c, path, sizeof(path));
		r = mmt_journal_save(env->journal, path);
		if (r)
			return snprintf(reason, len, "saving %s in the journal: %s", path,
					strerror(-r)),
			       MMT_ERROR;
		ch_saved.id[ch_saved.n++] = c;
	}
	if (!ch_saved.n && o->cpu >= 0)
		return snprintf(reason, len,
				"cpu%lld cannot be offlined here: no writable " CPU_DIR
				"/cpu%lld/online, or it is not online",
				(long long)o->cpu, (long long)o->cpu),
		       MMT_SKIP;
	if (!ch_saved.n)
		return snprintf(reason, len,
				"no hotpluggable CPU: no online CPU has a writable " CPU_DIR
				"/cpuN/online (kernel without CONFIG_HOTPLUG_CPU?)"),
		       MMT_SKIP;
	return 0;
}

/* ---- the filler threads ---- */

static struct mmt_tag page_tag(const struct target *t, size_t i)
{
	return mmt_tag_make((uint32_t)t->ch->w->seed, mmt_owner(t->ch->w->id, 1 + t->idx), t->gen,
			    i);
}

static int pin(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * Offlining our CPU widened our affinity (the kernel's fallback); pin again
 * once the CPU is back. One sched_getaffinity per pass of `filler` bytes.
 */
static void check_pin(struct target *t, int *pinned)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	if (*pinned && CPU_COUNT(&set) == 1 && CPU_ISSET(t->cpu, &set))
		return;
	if (*pinned) {
		*pinned = 0;
		t->broken++;
	}
	if (!__atomic_load_n(&t->offline, __ATOMIC_RELAXED) && !pin(t->cpu)) {
		*pinned = 1;
		t->repinned++;
	}
}

static unsigned verify_pages(struct target *t, unsigned rec)
{
	struct cpu_hotplug *ch = t->ch;
	struct mmt_verify v;
	struct mmt_tag want;
	uint64_t t0 = mmt_ticks();
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < ch->npages; i++) {
		want = page_tag(t, i);
		if (mmt_likely(!mmt_tag_verify(t->base + i * ch->pg, ch->pg, &want, &v)))
			continue;
		if (bad++ < 8)
			mmt_fail_verify(ch->w, OP_VERIFY, t->base + i * ch->pg, &want, &v);
	}
	mmt_time(mmt_hist_of(ch->w, rec, OP_VERIFY), t0);
	if (bad > 8)
		mmt_fail(ch->w, MMT_FK_VERIFY, OP_VERIFY, 0, 0,
			 "%u pages mismatched in this pass (first 8 recorded)", bad);
	__atomic_fetch_add(&ch->passes, 1, __ATOMIC_RELAXED);
	return bad;
}

/* Free every page to this CPU's lists, fault fresh ones in with the next tags. */
static int refill(struct target *t, unsigned rec)
{
	struct cpu_hotplug *ch = t->ch;
	struct mmt_tag tag;
	uint64_t t0 = mmt_ticks();
	size_t i;

	if (madvise(t->base, ch->npages * ch->pg, MADV_DONTNEED))
		return errno;
	t->gen++;
	for (i = 0; i < ch->npages; i++) {
		tag = page_tag(t, i);
		mmt_tag_fill(t->base + i * ch->pg, ch->pg, &tag);
	}
	mmt_time(mmt_hist_of(ch->w, rec, OP_REFILL), t0);
	return 0;
}

static void *filler_main(void *arg)
{
	struct target *t = arg;
	struct cpu_hotplug *ch = t->ch;
	unsigned rec = 1 + t->idx;
	int pinned = !pin(t->cpu), injected = t->idx != 0, err;

	uint64_t epoch;

	while (!__atomic_load_n(&ch->stopping, __ATOMIC_RELAXED) && !mmt_should_stop(ch->w)) {
		epoch = __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE);
		check_pin(t, &pinned);
		err = refill(t, rec);
		if (err) {
			mmt_fail_errno(ch->w, OP_REFILL, "madvise(MADV_DONTNEED)", err);
			break;
		}
		if (!injected && ch->o->inject == INJ_CORRUPT && ch->npages > 1 &&
		    __atomic_load_n(&ch->cycles, __ATOMIC_RELAXED)) {
			/* Page 1's bytes where page 0 belongs: "other index". */
			memcpy(t->base, t->base + ch->pg, ch->pg);
			injected = 1;
		}
		verify_pages(t, rec);
		/* A whole pass pinned on a CPU that was online for it: its lists are dirty. */
		if (pinned)
			__atomic_store_n(&t->settled, epoch, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* ---- setup ---- */

/* Move the worker off the CPUs it will offline, onto those it never touches. */
static void move_off_targets(struct cpu_hotplug *ch)
{
	cpu_set_t cur, keep;
	unsigned i;
	int hit = 0;

	if (sched_getaffinity(0, sizeof(cur), &cur))
		return;
	keep = cur;
	for (i = 0; i < ch->n; i++) {
		hit |= CPU_ISSET(ch->t[i].cpu, &cur);
		CPU_CLR(ch->t[i].cpu, &keep);
	}
	if (!hit)
		return;
	if (!CPU_COUNT(&keep)) {
		/* Pinned only to targets: any online CPU the worker never offlines. */
		CPU_ZERO(&keep);
		for (i = 0; i < CPU_SETSIZE && i < (unsigned)sysconf(_SC_NPROCESSORS_CONF); i++)
			CPU_SET(i, &keep);
		for (i = 0; i < ch->n; i++)
			CPU_CLR(ch->t[i].cpu, &keep);
	}
	if (!sched_setaffinity(0, sizeof(keep), &keep))
		mmt_note(ch->w,
			 "worker moved off its planned cpu: it offlines it (now on %d CPUs "
			 "it never offlines)",
			 CPU_COUNT(&keep));
}

static int open_targets(struct cpu_hotplug *ch)
{
	char path[96];
	unsigned i;
	size_t len = ch->npages * ch->pg;

	ch->t = calloc(ch_saved.n, sizeof(*ch->t));
	if (!ch->t)
		return -ENOMEM;
	for (i = 0; i < ch_saved.n; i++) {
		struct target *t = &ch->t[ch->n];

		t->ch = ch;
		t->idx = i;
		t->cpu = ch_saved.id[i];
		t->fd = -1;
		ch->n++;
		cpu_online_path(t->cpu, path, sizeof(path));
		t->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (t->fd < 0)
			return -errno;
		if (i >= CH_MAX_THREADS)
			continue;
		t->base =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->base == MAP_FAILED) {
			t->base = NULL;
			return -errno;
		}
		/* Base pages: each one comes from, and goes back to, the pcp lists. */
		if (madvise(t->base, len, MADV_NOHUGEPAGE))
			return -errno;
	}
	return 0;
}

static int start_fillers(struct cpu_hotplug *ch)
{
	unsigned i;
	int r;

	ch->nthreads = ch->n < CH_MAX_THREADS ? ch->n : CH_MAX_THREADS;
	for (i = 0; i < ch->nthreads; i++) {
		r = pthread_create(&ch->t[i].tid, NULL, filler_main, &ch->t[i]);
		if (r)
			return -r;
		ch->t[i].started = 1;
	}
	return 0;
}

static int cpu_hotplug_setup(struct mmt_worker *w, void **state)
{
	const struct cpu_hotplug_opts *o = w->opts;
	struct cpu_hotplug *ch = calloc(1, sizeof(*ch));
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	if (!ch)
		return -ENOMEM;
	*state = ch;
	ch->w = w;
	ch->o = o;
	ch->pg = (size_t)w->pagesz;
	ch->npages = (size_t)o->filler / ch->pg;
	if (!ch_saved.n)
		return mmt_worker_verdict(w, MMT_ERROR, "no CPU saved by the probe");
	r = open_targets(ch);
	if (r)
		return r;
	/* Never every online CPU at once: one always stays. */
	ch->max_offline = (unsigned)o->max_offline;
	if (ch->max_offline > ch->n)
		ch->max_offline = ch->n;
	if (online > 1 && ch->max_offline > (unsigned)online - 1)
		ch->max_offline = (unsigned)online - 1;
	move_off_targets(ch);
	mmt_metric(w, "cpus", ch->n);
	mmt_metric(w, "max_offline", ch->max_offline);
	r = mmt_catch_faults(w);
	return r ? r : start_fillers(ch);
}

/* ---- the cycle ---- */

static int set_online(struct cpu_hotplug *ch, struct target *t, int on)
{
	uint64_t t0 = mmt_ticks();
	ssize_t n;
	int err;

	if (!on)
		__atomic_store_n(&t->offline, 1, __ATOMIC_RELAXED);
	n = pwrite(t->fd, on ? "1" : "0", 1, 0);
	err = n == 1 ? 0 : n < 0 ? errno : EIO;
	if (!err)
		mmt_time(mmt_hist_of(ch->w, 0, on ? OP_ONLINE : OP_OFFLINE), t0);
	if (on && !err) {
		__atomic_store_n(&t->offline, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->epoch, t->epoch + 1, __ATOMIC_RELEASE);
	}
	if (!on && err)
		__atomic_store_n(&t->offline, 0, __ATOMIC_RELAXED);
	return err;
}

static void hold(struct cpu_hotplug *ch)
{
	int64_t left = ch->o->hold, d;
	struct timespec ts;

	while (left > 0 && !mmt_should_stop(ch->w)) {
		d = left < 100000000 ? left : 100000000;
		ts = (struct timespec){.tv_sec = 0, .tv_nsec = d};
		nanosleep(&ts, NULL);
		mmt_beat(ch->w);
		left -= d;
	}
}

/* Offline up to max_offline CPUs in turn; returns how many went down. */
static unsigned offline_some(struct cpu_hotplug *ch, struct target **down)
{
	unsigned k, nd = 0;
	struct target *t;
	int err;

	for (k = 0; k < ch->n && nd < ch->max_offline; k++) {
		t = &ch->t[(ch->cursor + k) % ch->n];
		err = set_online(ch, t, 0);
		if (!err) {
			down[nd++] = t;
			continue;
		}
		if (err == EBUSY || err == EAGAIN) /* the kernel may refuse: counted */
			ch->busy++;
		else
			mmt_fail(ch->w, MMT_FK_ERRNO, OP_OFFLINE, err, 0,
				 "write(cpu%u/online, 0): %s", t->cpu, strerror(err));
	}
	ch->cursor = (ch->cursor + (k ? k : 1)) % ch->n;
	return nd;
}

static void online_all(struct cpu_hotplug *ch, struct target **down, unsigned nd)
{
	unsigned i;
	int err;

	for (i = 0; i < nd; i++) {
		err = set_online(ch, down[i], 1);
		if (err)
			mmt_fail(ch->w, MMT_FK_ERRNO, OP_ONLINE, err, 0,
				 "write(cpu%u/online, 1): %s; retried at teardown", down[i]->cpu,
				 strerror(err));
	}
}

/* Wait (bounded) until every filler of the onlined CPUs ran a pass on its CPU. */
static void settle(struct cpu_hotplug *ch, struct target **down, unsigned nd)
{
	uint64_t deadline = mmt_mono_ns() + (uint64_t)ch->o->settle;
	unsigned i;

	for (i = 0; i < nd; i++) {
		if (!down[i]->started)
			continue;
		while (__atomic_load_n(&down[i]->settled, __ATOMIC_ACQUIRE) != down[i]->epoch) {
			if (mmt_mono_ns() >= deadline || mmt_should_stop(ch->w)) {
				ch->unsettled++;
				return;
			}
			usleep(200);
		}
	}
}

static void publish(struct cpu_hotplug *ch)
{
	uint64_t broken = 0, repinned = 0;
	unsigned i;

	for (i = 0; i < ch->nthreads; i++) {
		broken += ch->t[i].broken;
		repinned += ch->t[i].repinned;
	}
	mmt_metric(ch->w, "cycles", (double)ch->cycles);
	mmt_metric(ch->w, "busy", (double)ch->busy);
	mmt_metric(ch->w, "unsettled", (double)ch->unsettled);
	mmt_metric(ch->w, "affinity_broken", (double)broken);
	mmt_metric(ch->w, "repinned", (double)repinned);
	mmt_metric(ch->w, "verify_passes", (double)__atomic_load_n(&ch->passes, __ATOMIC_RELAXED));
}

static int cpu_hotplug_run(struct mmt_worker *w, void *state)
{
	struct cpu_hotplug *ch = state;
	struct target *down[CH_MAX_CPUS];
	unsigned nd;

	while (!mmt_should_stop(w)) {
		if (ch->o->cycles && ch->cycles >= (uint64_t)ch->o->cycles) {
			usleep(50000);
			mmt_beat(w);
			continue;
		}
		nd = offline_some(ch, down);
		if (!nd) {
			usleep(10000);
			mmt_beat(w);
			continue;
		}
		hold(ch);
		online_all(ch, down, nd);
		if (ch->o->settle)
			settle(ch, down, nd);
		__atomic_store_n(&ch->cycles, ch->cycles + 1, __ATOMIC_RELAXED);
	}
	publish(ch);
	if (!ch->cycles)
		mmt_note(w, "WARNING: no CPU went offline (%llu refused with EBUSY)",
			 (unsigned long long)ch->busy);
	return 0;
}

/* ---- teardown: every CPU back online ---- */

static void restore_cpus(struct cpu_hotplug *ch)
{
	char path[96], v[16];
	unsigned i, try;
	struct target *t;

	for (i = 0; i < ch->n; i++) {
		t = &ch->t[i];
		for (try = 0; t->fd >= 0 && try < 3; try++) {
			/* Writing 1 to an online CPU succeeds: no need to know its state. */
			if (pwrite(t->fd, "1", 1, 0) == 1)
				break;
			usleep(100000);
		}
		cpu_online_path(t->cpu, path, sizeof(path));
		if (mmt_sysfs_read(path, v, sizeof(v)) <= 0 || strcmp(v, "1"))
			mmt_fail(ch->w, MMT_FK_ERRNO, OP_ONLINE, errno, 0,
				 "cpu%u left offline at teardown", t->cpu);
		if (t->fd >= 0)
			close(t->fd);
	}
}

static void cpu_hotplug_teardown(struct mmt_worker *w, void *state)
{
	struct cpu_hotplug *ch = state;
	unsigned i, online = 0;
	char path[96], v[16];

	(void)w;
	if (!ch)
		return;
	__atomic_store_n(&ch->stopping, 1, __ATOMIC_RELAXED);
	for (i = 0; i < ch->nthreads; i++)
		if (ch->t[i].started)
			pthread_join(ch->t[i].tid, NULL);
	if (ch->t) {
		publish(ch);
		restore_cpus(ch);
		for (i = 0; i < ch->n; i++) {
			cpu_online_path(ch->t[i].cpu, path, sizeof(path));
			online += mmt_sysfs_read(path, v, sizeof(v)) > 0 && !strcmp(v, "1");
			if (ch->t[i].base)
				munmap(ch->t[i].base, ch->npages * ch->pg);
		}
		mmt_metric(ch->w, "online_at_end", online);
	}
	free(ch->t);
	free(ch);
}

static unsigned cpu_hotplug_recorders(const void *opts)
{
	(void)opts;
	/* The cycling thread and up to CH_MAX_THREADS fillers. */
	return 1 + CH_MAX_THREADS;
}

const struct mmt_workload mmt_wl_cpu_hotplug = {
	.name = "cpu_hotplug",
	.summary = "CPU offline/online loops under pinned threads churning tagged pages through "
		   "the per-CPU lists",
	.mirrors = "per-CPU mm state (pcp lists, LRU batches) drained at CPU offline under "
		   "pinned users; no single named regression",
	.needs = MMT_NEED_ROOT | MMT_NEED_DESTRUCTIVE,
	.max_workers = 1,
	.opts = cpu_hotplug_options,
	.opts_size = sizeof(struct cpu_hotplug_opts),
	.ops = cpu_hotplug_ops,
	.recorders = cpu_hotplug_recorders,
	.probe = cpu_hotplug_probe,
	.setup = cpu_hotplug_setup,
	.run = cpu_hotplug_run,
	.teardown = cpu_hotplug_teardown,
	.probe_state = &ch_saved,
	.probe_state_size = sizeof(ch_saved),
};

// SPDX-License-Identifier: GPL-2.0
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const fail_kind_names[MMT_FK__COUNT] = {
	[MMT_FK_VERIFY] = "verify", [MMT_FK_ERRNO] = "errno", [MMT_FK_SIGNAL] = "signal",
	[MMT_FK_OOM] = "oom",	    [MMT_FK_HANG] = "hang",   [MMT_FK_EXIT] = "exit",
	[MMT_FK_KMSG] = "kmsg",	    [MMT_FK_TAINT] = "taint",
};

const char *mmt_status_name(int status)
{
	switch (status) {
	case MMT_PASS:
		return "pass";
	case MMT_FAIL:
		return "fail";
	case MMT_SKIP:
		return "skip";
	case MMT_ERROR:
		return "error";
	}
	return "unknown";
}

const char *mmt_fail_kind_name(int kind)
{
	if (kind < 0 || kind >= MMT_FK__COUNT)
		return "unknown";
	return fail_kind_names[kind];
}

int mmt_fail_kind_parse(const char *name)
{
	int i;

	for (i = 0; i < MMT_FK__COUNT; i++)
		if (!strcmp(fail_kind_names[i], name))
			return i;
	return -EINVAL;
}

/*
 * The header and each worker's area start SHARED_ALIGN apart so that no two
 * workers' hot counters share a cache line. A layout constant, not the page size:
 * mmap rounds the whole block up to pages (64 KiB on ppc64le) itself.
 */
#define SHARED_ALIGN ((size_t)4096)

_Static_assert(sizeof(struct mmt_shared) <= 4096, "the header is the block's first page");

static size_t wshared_size(unsigned nrec, unsigned nops)
{
	size_t sz = sizeof(struct mmt_wshared) + (size_t)nrec * nops * sizeof(struct mmt_hist);

	return (sz + SHARED_ALIGN - 1) & ~(SHARED_ALIGN - 1);
}

/*
 * A memfd when the kernel has them, so an exec'd worker can map the same
 * pages; close-on-exec, the runner's child hands it on explicitly.
 */
static void *shared_map(size_t size, int *fd)
{
	void *p;

	*fd = memfd_create("mmtorture-job", MFD_CLOEXEC);
	if (*fd >= 0 && ftruncate(*fd, (off_t)size) < 0) {
		close(*fd);
		*fd = -1;
	}
	if (*fd < 0)
		return mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		close(*fd);
		*fd = -1;
	}
	return p;
}

int mmt_shared_create(struct mmt_shared **out, unsigned nworkers, unsigned nrec, unsigned nops)
{
	size_t stride = wshared_size(nrec, nops), size = MMT_SHARED_HEAD + stride * nworkers;
	struct mmt_shared *sh;
	unsigned w, r, o;
	int fd;

	if (!nworkers || !nrec || !nops || nops > MMT_MAX_OPS || nrec > MMT_MAX_RECORDERS)
		return -EINVAL;
	/* Shared so that workers and their children write where the runner reads. */
	sh = shared_map(size, &fd);
	if (sh == MAP_FAILED)
		return -errno;
	sh->nworkers = nworkers;
	sh->nrec = nrec;
	sh->nops = nops;
	sh->wstride = stride;
	sh->size = size;
	sh->fd = fd;
	for (w = 0; w < nworkers; w++)
		for (r = 0; r < nrec; r++)
			for (o = 0; o < nops; o++)
				mmt_hist_init(mmt_shared_hist(sh, w, r, o));
	*out = sh;
	return 0;
}

void mmt_shared_destroy(struct mmt_shared *sh)
{
	int fd;

	if (!sh)
		return;
	fd = sh->fd;
	munmap(sh, sh->size);
	if (fd >= 0)
		close(fd);
}

int mmt_shared_handoff(struct mmt_shared *sh, const char *workload, uint64_t duration_ns,
		       const char *scratch, const void *opts, size_t opts_size, const void *probe,
		       size_t probe_size)
{
	if (strlen(workload) >= sizeof(sh->workload) ||
	    strlen(scratch ? scratch : "") >= sizeof(sh->scratch) || opts_size > sizeof(sh->opts) ||
	    probe_size > MMT_HANDOFF_PROBE)
		return -E2BIG;
	sh->probe_size = (uint32_t)probe_size;
	if (probe_size)
		memcpy(mmt_shared_probe(sh), probe, probe_size);
	strcpy(sh->workload, workload);
	strcpy(sh->scratch, scratch ? scratch : "");
	sh->duration_ns = duration_ns;
	sh->opts_size = (uint32_t)opts_size;
	if (opts_size)
		memcpy(sh->opts, opts, opts_size);
	return 0;
}

int mmt_shared_attach(struct mmt_shared **out, int fd)
{
	struct mmt_shared *sh;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size < sizeof(*sh))
		return -EINVAL;
	sh = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		return -errno;
	if (sh->size != (size_t)st.st_size || !sh->nworkers || sh->nops > MMT_MAX_OPS ||
	    sh->nrec > MMT_MAX_RECORDERS || sh->opts_size > sizeof(sh->opts) ||
	    sh->probe_size > MMT_HANDOFF_PROBE ||
	    MMT_SHARED_HEAD + sh->wstride * sh->nworkers > sh->size) {
		munmap(sh, (size_t)st.st_size);
		return -EINVAL;
	}
	*out = sh;
	return 0;
}

struct mmt_wshared *mmt_shared_worker(struct mmt_shared *sh, unsigned worker)
{
	return (struct mmt_wshared *)((char *)sh + MMT_SHARED_HEAD + sh->wstride * worker);
}

struct mmt_hist *mmt_shared_hist(struct mmt_shared *sh, unsigned worker, unsigned rec, unsigned op)
{
	struct mmt_hist *h = (struct mmt_hist *)(mmt_shared_worker(sh, worker) + 1);

	return &h[rec * sh->nops + op];
}

uint64_t mmt_shared_progress(struct mmt_shared *sh, unsigned worker)
{
	uint64_t n = __atomic_load_n(&mmt_shared_worker(sh, worker)->beat, __ATOMIC_RELAXED);
	unsigned r, o;

	for (r = 0; r < sh->nrec; r++)
		for (o = 0; o < sh->nops; o++)
			n += __atomic_load_n(&mmt_shared_hist(sh, worker, r, o)->count,
					     __ATOMIC_RELAXED);
	return n;
}

uint64_t mmt_shared_op_count(struct mmt_shared *sh, unsigned op)
{
	uint64_t n = 0;
	unsigned w, r;

	for (w = 0; w < sh->nworkers; w++)
		for (r = 0; r < sh->nrec; r++)
			n += __atomic_load_n(&mmt_shared_hist(sh, w, r, op)->count,
					     __ATOMIC_RELAXED);
	return n;
}

void mmt_worker_init(struct mmt_worker *w, struct mmt_shared *sh, unsigned id, uint64_t seed,
		     const void *opts)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->nworkers = sh->nworkers;
	w->seed = seed;
	w->opts = opts;
	w->sh = sh;
	w->ws = mmt_shared_worker(sh, id);
	w->hist = mmt_shared_hist(sh, id, 0, 0);
	w->nrec = sh->nrec;
	w->nops = sh->nops;
	w->pagesz = sysconf(_SC_PAGESIZE);
	w->node = -1;
	w->ws->pid = getpid(); /* called in the worker process itself */
}

/* Claim a slot; NULL when the kept slots are used up (the count still grows). */
static struct mmt_failure *fail_slot(struct mmt_worker *w, int kind, int op)
{
	uint32_t i = __atomic_fetch_add(&w->ws->nfail, 1, __ATOMIC_RELAXED);
	struct mmt_failure *f;

	if (i >= MMT_MAX_FAILS)
		return NULL;
	f = &w->ws->fail[i];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->worker = (int32_t)w->id;
	f->pid = getpid();
	f->op = op;
	f->t_ns = mmt_mono_ns();
	return f;
}

void mmt_fail(struct mmt_worker *w, int kind, int op, int err, uint64_t addr, const char *fmt, ...)
{
	struct mmt_failure *f = fail_slot(w, kind, op);
	va_list ap;

	if (!f)
		return;
	f->err = err;
	f->addr = addr;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

void mmt_fail_errno(struct mmt_worker *w, int op, const char *call, int err)
{
	mmt_fail(w, MMT_FK_ERRNO, op, err, 0, "%s: %s (errno %d)", call, strerror(err), err);
}

void mmt_fail_verify(struct mmt_worker *w, int op, const void *addr, const struct mmt_tag *want,
		     const struct mmt_verify *v)
{
	struct mmt_failure *f = fail_slot(w, MMT_FK_VERIFY, op);
	char ws[72], fs[72];

	if (!f)
		return;
	f->vclass = v->vclass;
	f->addr = (uint64_t)(uintptr_t)addr + v->offset;
	f->want = *want;
	f->found = v->found;
	mmt_tag_format(want, ws, sizeof(ws));
	mmt_tag_format(&v->found, fs, sizeof(fs));
	snprintf(f->detail, sizeof(f->detail),
		 "%s at +%zu: expected %s, found %s (word %016llx, want %016llx)",
		 mmt_vclass_name(v->vclass), v->offset, ws, fs, (unsigned long long)v->got_word,
		 (unsigned long long)v->want_word);
}

const struct mmt_fault *mmt_fault_of(struct mmt_shared *sh, unsigned worker, pid_t pid)
{
	struct mmt_wshared *ws = mmt_shared_worker(sh, worker);
	uint32_t i, n = __atomic_load_n(&ws->nfault, __ATOMIC_ACQUIRE);

	if (n > MMT_MAX_FAULTS)
		n = MMT_MAX_FAULTS;
	for (i = n; i-- > 0;)
		if (ws->fault[i].pid == pid)
			return &ws->fault[i];
	return NULL;
}

void mmt_child_status(struct mmt_worker *w, int op, pid_t pid, int status, const char *role)
{
	const struct mmt_fault *ft;
	struct mmt_failure *f;
	int sig;

	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return;
	if (!WIFEXITED(status) && !WIFSIGNALED(status))
		return;
	f = fail_slot(w, WIFEXITED(status) ? MMT_FK_EXIT : MMT_FK_SIGNAL, op);
	if (!f)
		return;
	f->pid = pid; /* the dead one: the runner matches OOM-killer lines by pid */
	if (WIFEXITED(status)) {
		f->err = WEXITSTATUS(status);
		snprintf(f->detail, sizeof(f->detail), "%s %d exited with status %d", role, pid,
			 f->err);
		return;
	}
	sig = WTERMSIG(status);
	f->err = sig;
	ft = mmt_fault_of(w->sh, w->id, pid);
	if (ft && ft->sig == sig) {
		f->addr = ft->addr;
		snprintf(f->detail, sizeof(f->detail), "%s %d killed by %s at %#llx (code %d)",
			 role, pid, strsignal(sig), (unsigned long long)ft->addr, ft->code);
		return;
	}
	snprintf(f->detail, sizeof(f->detail), "%s %d killed by %s", role, pid, strsignal(sig));
}

void mmt_metric(struct mmt_worker *w, const char *key, double value)
{
	struct mmt_wshared *ws = w->ws;
	uint32_t i;

	for (i = 0; i < ws->nmetric; i++) {
		if (!strcmp(ws->metric[i].key, key)) {
			ws->metric[i].value = value;
			return;
		}
	}
	if (ws->nmetric >= MMT_MAX_METRICS)
		return;
	snprintf(ws->metric[i].key, sizeof(ws->metric[i].key), "%s", key);
	ws->metric[i].value = value;
	ws->nmetric++;
}

void mmt_note(struct mmt_worker *w, const char *fmt, ...)
{
	uint32_t i = __atomic_fetch_add(&w->ws->nnote, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= MMT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(w->ws->note[i], sizeof(w->ws->note[i]), fmt, ap);
	va_end(ap);
}

int mmt_worker_verdict(struct mmt_worker *w, int status, const char *fmt, ...)
{
	va_list ap;

	w->ws->status = status;
	va_start(ap, fmt);
	vsnprintf(w->ws->reason, sizeof(w->ws->reason), fmt, ap);
	va_end(ap);
	return status;
}

static struct mmt_wshared *fault_ws;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	uint32_t i = __atomic_fetch_add(&fault_ws->nfault, 1, __ATOMIC_ACQ_REL);

	(void)uc;
	if (i < MMT_MAX_FAULTS) {
		fault_ws->fault[i].pid = getpid();
		fault_ws->fault[i].sig = sig;
		fault_ws->fault[i].code = si->si_code;
		fault_ws->fault[i].addr = (uint64_t)(uintptr_t)si->si_addr;
	}
	/* Die of the same signal so the parent's wait status tells the truth. */
	signal(sig, SIG_DFL);
	raise(sig);
}

int mmt_catch_faults(struct mmt_worker *w)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
	struct sigaction sa;
	size_t i;

	fault_ws = w->ws;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < MMT_ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

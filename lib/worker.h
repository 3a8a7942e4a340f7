/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a workload sees while it runs: its worker context, its recorders (one
 * histogram per named op), and the failure, metric and note slots. All of it
 * lives in one MAP_SHARED block made by the runner before it forks the
 * workers, so a workload's own forked children record into it too, and the
 * runner reads progress from it while the job runs and everything after the
 * worker is gone (even when it was killed).
 *
 * A recorder has exactly one writer (a thread, or a child process): recording
 * is plain stores, no atomics, no syscalls.
 */
#ifndef MMT_WORKER_H
#define MMT_WORKER_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "hist.h"
#include "mmt.h"
#include "tag.h"

#define MMT_MAX_OPS 16
#define MMT_MAX_RECORDERS 64
#define MMT_MAX_FAILS 64 /* kept per worker; more are counted */
#define MMT_MAX_METRICS 16
#define MMT_MAX_NOTES 4
#define MMT_MAX_FAULTS 32
#define MMT_DETAIL_LEN 240

enum mmt_fail_kind {
	MMT_FK_VERIFY, /* data mismatch */
	MMT_FK_ERRNO, /* a call failed with an errno the workload did not expect */
	MMT_FK_SIGNAL, /* a process died of a signal */
	MMT_FK_OOM, /* ... of the OOM killer */
	MMT_FK_HANG, /* no progress: killed by the watchdog */
	MMT_FK_EXIT, /* a process exited with an unexpected status */
	MMT_FK_KMSG, /* a kernel log line (BUG, WARNING, Oops, ...) */
	MMT_FK_TAINT, /* the kernel taint changed */
	MMT_FK__COUNT
};

const char *mmt_fail_kind_name(int kind);
int mmt_fail_kind_parse(const char *name);

struct mmt_failure {
	int32_t kind;
	int32_t worker;
	int32_t pid;
	int32_t op; /* index into the workload's ops, or -1 */
	int32_t err; /* errno, signal number or exit status */
	int32_t vclass; /* MMT_FK_VERIFY */
	uint64_t addr; /* faulting or mismatching address */
	uint64_t t_ns; /* CLOCK_MONOTONIC */
	struct mmt_tag want, found; /* MMT_FK_VERIFY */
	char detail[MMT_DETAIL_LEN];
};

/* Where a process took SIGSEGV/SIGBUS/..., written by the signal handler. */
struct mmt_fault {
	int32_t pid;
	int32_t sig;
	int32_t code;
	uint64_t addr;
};

struct mmt_metric {
	char key[32];
	double value;
};

/*
 * Where a worker runs: cpu is the OS index (as taskset takes it), core and
 * package hwloc logical indexes, node the OS index (as numactl takes it).
 */
struct mmt_where {
	int32_t cpu, core, package, node;
};

struct mmt_wshared {
	uint64_t beat; /* bumped by workloads in long loops without ops */
	int32_t status; /* the worker's verdict on itself: MMT_PASS/SKIP/ERROR */
	int32_t pid;
	struct mmt_where applied;
	char reason[256]; /* why it skipped or erred */
	uint32_t nfail; /* claimed slots; may exceed MMT_MAX_FAILS */
	uint32_t nfault;
	uint32_t nmetric;
	uint32_t nnote;
	struct mmt_failure fail[MMT_MAX_FAILS];
	struct mmt_fault fault[MMT_MAX_FAULTS];
	struct mmt_metric metric[MMT_MAX_METRICS];
	char note[MMT_MAX_NOTES][MMT_DETAIL_LEN];
};

#define MMT_HANDOFF_OPTS 2048
#define MMT_HANDOFF_PROBE 8192 /* what a probe found, for the workers (MMT_SHARED_HEAD) */
#define MMT_SHARED_HEAD (4096 + MMT_HANDOFF_PROBE) /* then the workers' areas */

/*
 * The block's first page. The part after `size` is the hand-off to a worker
 * that is a fresh executable (mmtorture-worker) rather than a fork of the
 * runner: it finds its workload, options and limits here, byte for byte as
 * the runner parsed them (option structs hold no pointers).
 */
struct mmt_shared {
	int stop; /* set by the runner; read with mmt_should_stop() */
	uint32_t nworkers, nrec, nops;
	size_t wstride; /* bytes from one worker's area to the next */
	size_t size;
	int fd; /* the memfd behind the block, -1 if anonymous; runner's number */
	char workload[64];
	uint64_t duration_ns;
	char scratch[512];
	uint32_t opts_size;
	unsigned char opts[MMT_HANDOFF_OPTS];
	uint32_t probe_size; /* bytes in the page after this one */
};

struct mmt_worker {
	unsigned id, nworkers;
	uint64_t seed; /* the job's seed mixed with the worker id */
	const void *opts; /* the workload's option struct */
	struct mmt_shared *sh;
	struct mmt_wshared *ws;
	struct mmt_hist *hist; /* [recorder][op] */
	unsigned nrec, nops;
	long pagesz;
	int node; /* memory node it is bound to, -1 if unknown */
	uint64_t duration_ns;
	const char *scratch; /* a directory on a real filesystem (O_DIRECT, files) */
};

/* Runner side: one block for the job; -errno. */
int mmt_shared_create(struct mmt_shared **sh, unsigned nworkers, unsigned nrec, unsigned nops);
void mmt_shared_destroy(struct mmt_shared *sh);
/* Fill the hand-off; -E2BIG if a string or the options do not fit. */
int mmt_shared_handoff(struct mmt_shared *sh, const char *workload, uint64_t duration_ns,
		       const char *scratch, const void *opts, size_t opts_size, const void *probe,
		       size_t probe_size);
static inline void *mmt_shared_probe(struct mmt_shared *sh)
{
	return (char *)sh + 4096;
}
/* Worker side of an exec'd worker: map the block behind an inherited fd. */
int mmt_shared_attach(struct mmt_shared **sh, int fd);
struct mmt_wshared *mmt_shared_worker(struct mmt_shared *sh, unsigned worker);
struct mmt_hist *mmt_shared_hist(struct mmt_shared *sh, unsigned worker, unsigned rec, unsigned op);
/* Sum of op counts and beats of one worker: the watchdog's notion of progress. */
uint64_t mmt_shared_progress(struct mmt_shared *sh, unsigned worker);
uint64_t mmt_shared_op_count(struct mmt_shared *sh, unsigned op);
/* In the worker process itself (it records its pid for its children's checks). */
void mmt_worker_init(struct mmt_worker *w, struct mmt_shared *sh, unsigned id, uint64_t seed,
		     const void *opts);

static inline int mmt_should_stop(const struct mmt_worker *w)
{
	return __atomic_load_n(&w->sh->stop, __ATOMIC_RELAXED);
}

static inline struct mmt_hist *mmt_hist_of(const struct mmt_worker *w, unsigned rec, unsigned op)
{
	return &w->hist[rec * w->nops + op];
}

/* Record the time since t0 (from mmt_ticks()) into h. */
static inline void mmt_time(struct mmt_hist *h, uint64_t t0)
{
	mmt_hist_record(h, mmt_ticks_to_ns(mmt_ticks() - t0));
}

static inline void mmt_beat(struct mmt_worker *w)
{
	__atomic_store_n(&w->ws->beat, w->ws->beat + 1, __ATOMIC_RELAXED);
}

/* Failure reporting: safe from threads and from forked children (lock-free). */
void mmt_fail_errno(struct mmt_worker *w, int op, const char *call, int err);
void mmt_fail_verify(struct mmt_worker *w, int op, const void *addr, const struct mmt_tag *want,
		     const struct mmt_verify *v);
void mmt_fail(struct mmt_worker *w, int kind, int op, int err, uint64_t addr, const char *fmt, ...)
	mmt_printf(6, 7);
/* Record how a reaped child ended: nothing if it exited 0. */
void mmt_child_status(struct mmt_worker *w, int op, pid_t pid, int status, const char *role);

void mmt_metric(struct mmt_worker *w, const char *key, double value);
void mmt_note(struct mmt_worker *w, const char *fmt, ...) mmt_printf(2, 3);
/* The worker skips (MMT_SKIP) or fails as a harness (MMT_ERROR) with a reason. */
int mmt_worker_verdict(struct mmt_worker *w, int status, const char *fmt, ...) mmt_printf(3, 4);

/*
 * SIGSEGV/SIGBUS/SIGILL/SIGFPE handlers that note the fault address in the
 * shared block and die of the same signal; inherited by forked children.
 */
int mmt_catch_faults(struct mmt_worker *w);
const struct mmt_fault *mmt_fault_of(struct mmt_shared *sh, unsigned worker, pid_t pid);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workload contract. A workload is a descriptor (name, summary, the bug it
 * mirrors, what it needs, an option table, its named ops) and four hooks:
 *
 *   probe     in the runner, before workers start: pass (0) or skip (MMT_SKIP)
 *             with a reason; may change sysfs for its options, only through
 *             env->journal (restored when the job ends and on any exit).
 *   setup     in each worker: map and fill; 0, MMT_SKIP/MMT_ERROR through
 *             mmt_worker_verdict(), or -errno (a harness error).
 *   run       loops until mmt_should_stop(), times each op into its recorder,
 *             reports failures through the core; never exits the process.
 *   teardown  tolerates a partial setup.
 */
#ifndef MMT_WORKLOAD_H
#define MMT_WORKLOAD_H

#include <stddef.h>

#include "journal.h"
#include "opt.h"
#include "worker.h"

#define MMT_NEED_ROOT (1u << 0)
#define MMT_NEED_THP (1u << 1)
#define MMT_NEED_NUMA2 (1u << 2)
#define MMT_NEED_DESTRUCTIVE (1u << 3)

/* What the runner offers a probe. */
struct mmt_env {
	struct mmt_journal *journal;
	int is_root;
	int allow_destructive;
	int nnodes;
	long pagesz;
	const char *scratch; /* the run's scratch directory, on a real filesystem */
};

struct mmt_workload {
	const char *name;
	const char *summary;
	const char *mirrors; /* the real regression whose shape it recreates */
	unsigned needs;
	unsigned max_workers; /* 0: any number; 1 for machine-wide actors like hotplug */
	const struct mmt_opt *opts; /* NULL-terminated */
	size_t opts_size;
	const char *const *ops; /* NULL-terminated, at most MMT_MAX_OPS */
	/*
	 * Kernel log lines the workload causes on purpose (POSIX extended regexes,
	 * NULL-terminated, or NULL): in its own jobs they are kept as "allowed"
	 * instead of failing the job, as a profile's [kmsg] allow would.
	 */
	const char *const *kmsg_allow;
	/* Recorders per worker: one per thread or child that times ops. NULL: 1. */
	unsigned (*recorders)(const void *opts);
	int (*probe)(const void *opts, struct mmt_env *env, char *reason, size_t len);
	int (*setup)(struct mmt_worker *w, void **state);
	int (*run)(struct mmt_worker *w, void *state);
	void (*teardown)(struct mmt_worker *w, void *state);
	/*
	 * Optional: `mmtorture __exec NAME args...` lands here, for a workload that
	 * re-executes the binary to get a fresh address space; returns the exit code.
	 */
	int (*exec_main)(int argc, char **argv);
	/*
	 * What the probe found that the workers need (a static object the probe
	 * fills in the runner): handed to each worker through the shared block,
	 * since a worker may be a fresh executable rather than a fork.
	 */
	void *probe_state;
	size_t probe_state_size;
};

/* The registry (workloads/list.h). */
extern const struct mmt_workload *const mmt_workloads[];
extern const size_t mmt_nworkloads;
const struct mmt_workload *mmt_workload_find(const char *name);
unsigned mmt_workload_nops(const struct mmt_workload *wl);
unsigned mmt_workload_recorders(const struct mmt_workload *wl, const void *opts);
/* setup, run, teardown in a worker: MMT_PASS, or its verdict (reason in w->ws). */
int mmt_workload_body(const struct mmt_workload *wl, struct mmt_worker *w);
/*
 * main() of mmtorture-worker, the small executable workers become (few
 * mappings: forks inside workloads stay cheap): `FD WORKER SEED`, the shared
 * block behind FD already holding the hand-off; or `__exec NAME ...`.
 */
int mmt_worker_exec_main(int argc, char **argv);
/* "root, THP" */
int mmt_needs_format(unsigned needs, char *buf, size_t len);

#endif

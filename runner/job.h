/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running one job: check needs and probe, plan placement, fork the workers
 * (each pinned, memory-bound, in its own process group, killed if the runner
 * dies), then watch them — kernel log, taint, progress per interval, the hang
 * watchdog, the deadline, SIGINT/SIGTERM — and gather what they recorded.
 */
#ifndef MMT_JOB_H
#define MMT_JOB_H

#include <signal.h>
#include <stdio.h>

#include "journal.h"
#include "kmsg.h"
#include "profile.h"
#include "result.h"
#include "topo.h"

struct mmt_runctx {
	struct mmt_topo *topo;
	struct mmt_journal *journal;
	struct mmt_kmsg kmsg; /* fd < 0: not watched, kmsg_reason says why */
	char kmsg_reason[128];
	const struct mmt_kmsg_allow *allow;
	char uuid[40];
	uint64_t seed;
	const char *scratch; /* directory for workloads' files (O_DIRECT needs a real fs) */
	const char *worker_exe; /* mmtorture-worker, or NULL: workers stay forks of the runner */
	int allow_destructive;
	int64_t hang_timeout_ns;
	int64_t interval_ns;
	FILE *progress; /* NULL: quiet */
	int progress_tty;
	int njobs;
	volatile sig_atomic_t *interrupted; /* the signal that asked us to stop, or 0 */
	/* Splat lines seen between jobs, handed to the next job's record. */
	int npending;
	struct mmt_kmsg_line *pending;
};

struct mmt_job_params {
	const struct mmt_job_spec *spec;
	int seq;
	int repeat;
	int64_t duration_ns;
	int workers; /* 0: the placement's default */
	char placement[64];
};

/*
 * After the last job: splats the kernel printed outside any job's window (set
 * aside, or still unread), to warn about; returns how many were written to out.
 */
int mmt_job_kmsg_leftovers(struct mmt_runctx *rc, FILE *out);

/* Run one job into res (which the caller frees). 0, or -errno for a harness fault. */
int mmt_job_run(struct mmt_runctx *rc, const struct mmt_job_params *jp, struct mmt_job_result *res);

#endif

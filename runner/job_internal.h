/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state of one running job, shared by job.c (workers, monitor, watchdog),
 * job_kmsg.c (kernel log attribution) and job_gather.c (results, verdict).
 *
 * A job runs one or two groups of workers: the workload, and optionally a
 * companion (`with = W[:opts]`) that runs at the same time, such as a storm
 * kept running while cpu_hotplug takes CPUs away. Workers are numbered across
 * groups; ops are the primary's, then the companion's as "W.op".
 */
#ifndef MMT_JOB_INTERNAL_H
#define MMT_JOB_INTERNAL_H

#include <sys/types.h>

#include "job.h"

#define NS_PER_S 1000000000ll
#define MAX_KMSG_LINES 2000
#define MAX_RUNNER_FAILS 256

enum { K_BEFORE, K_IN, K_AFTER };
enum { KILLED_NO, KILLED_HANG, KILLED_STOP };

struct group {
	const struct mmt_workload *wl;
	const struct mmt_job_spec *spec;
	struct mmt_shared *sh;
	int first, nw; /* its workers: [first, first + nw) */
	int op0, nops; /* its ops in the job's list */
};

struct jobrun {
	struct mmt_runctx *rc;
	const struct mmt_job_params *jp;
	struct mmt_job_result *res;
	pid_t runner;
	int ngroups;
	struct group g[2];
	int nw, alive, nops; /* over all groups */
	struct mmt_where *plan;
	pid_t *pid; /* 0 once reaped or given up on */
	int *wstatus, *killed;
	uint64_t *progress, *progress_ns, *kill_ns;
	uint64_t t_start, t_stop, t_end;
	/* CPU hotplug seen while running: workers whose CPU went away */
	char cpus_online[256];
	unsigned *cpu_lost, *repinned;
	/* throughput series */
	uint64_t *last_count, next_interval;
	int nint, capint;
	uint64_t **series;
	/* kernel log */
	struct mmt_kmsg_allow wl_allow; /* what the job's workloads declare as noise */
	int kstate;
	char start_marker[96], end_marker[96];
	int noom;
	int oom_pid[64];
	char oom_line[64][160];
	uint64_t kmsg_dropped;
	uint64_t kmsg_lost0; /* records the log overwrote unread, at the job's start */
	/* failures the runner itself saw (signals, hangs, splats, taint) */
	int nfail;
	struct mmt_failure fail[MAX_RUNNER_FAILS];
	uint64_t next_progress;
};

static inline struct group *group_of(struct jobrun *jr, int worker)
{
	return jr->ngroups > 1 && worker >= jr->g[1].first ? &jr->g[1] : &jr->g[0];
}

static inline unsigned local_id(struct jobrun *jr, int worker)
{
	return (unsigned)(worker - group_of(jr, worker)->first);
}

static inline struct mmt_wshared *wshared(struct jobrun *jr, int worker)
{
	return mmt_shared_worker(group_of(jr, worker)->sh, local_id(jr, worker));
}

struct mmt_failure *runner_fail(struct jobrun *jr, int kind, int worker, int pid, const char *fmt,
				...) mmt_printf(5, 6);
void add_note(struct mmt_job_result *res, const char *fmt, ...) mmt_printf(2, 3);

/* job_kmsg.c */
void kmsg_start(struct jobrun *jr);
void kmsg_drain(struct jobrun *jr);
void kmsg_end(struct jobrun *jr);

/* job_gather.c */
void gather(struct jobrun *jr);

#endif

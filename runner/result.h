/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a run and its jobs produce, in memory, on the way to the results store.
 */
#ifndef MMT_RESULT_H
#define MMT_RESULT_H

#include <stdint.h>

#include "hist.h"
#include "worker.h"

/* The reproducibility record of a run. Strings are owned by the struct. */
struct mmt_run_info {
	char uuid[40];
	uint64_t started_ns; /* CLOCK_REALTIME */
	char tool_version[32];
	char git_rev[64];
	uint64_t seed;
	char profile[512]; /* path, or "-w" for a command-line job list */
	char *profile_text;
	char *argv; /* the mmtorture command line */
	char kernel_release[128]; /* uname -r */
	char kernel_version[256]; /* uname -v */
	char arch[32];
	long page_size;
	int va_bits; /* probed with hint mmaps */
	char *thp_json; /* {"enabled":"madvise","hugepages-64kB/enabled":"never",...} */
	char *cmdline; /* /proc/cmdline */
	char config_hash[32]; /* FNV-1a 64 of the config text, hex; "" if none */
	char config_source[128];
	char cpu_model[128];
	char topology[256];
	char hostname[128];
	int guest; /* ran inside an mmtorture QEMU guest */
	char virt[32]; /* "none", "hypervisor" ... as seen from inside */
	char tag[64]; /* user label */
};

enum mmt_kmsg_verdict { MMT_KMSG_INFO = 0, MMT_KMSG_FAIL = 1, MMT_KMSG_ALLOWED = 2 };

struct mmt_kmsg_line {
	uint64_t seq;
	uint64_t ts_us; /* kernel timestamp */
	int level;
	int verdict;
	char rule[32]; /* the pattern it matched, "" if none */
	char *text;
};

struct mmt_vmstat_delta {
	char key[64];
	int64_t delta;
};

struct mmt_op_result {
	char name[32];
	struct mmt_hist h; /* merged over workers and recorders */
	int nintervals;
	uint64_t *intervals; /* ops completed in each interval, all workers */
};

struct mmt_worker_result {
	int worker;
	int pid;
	struct mmt_where planned, applied;
	int status; /* MMT_PASS/FAIL/SKIP/ERROR as the runner judged it */
	int exit_code; /* -1 if killed */
	int term_signal; /* 0 if it exited */
};

struct mmt_job_result {
	int seq; /* 1-based order within the run */
	char workload[64];
	char label[64]; /* profile section label, "" if none */
	char *params_json; /* {"size":"64M","children":"2",...} */
	int repeat; /* 1-based repetition */
	int nworkers;
	char placement[64];
	uint64_t planned_ns; /* asked duration */
	uint64_t started_ns; /* CLOCK_REALTIME */
	uint64_t elapsed_ns;
	uint64_t interval_ns; /* length of one throughput interval */
	int status;
	char reason[512]; /* skip/error reason, or the first failure */
	uint64_t taint_before, taint_after;
	struct mmt_worker_result *workers;
	int nops;
	struct mmt_op_result *ops;
	int nfailures;
	struct mmt_failure *failures;
	uint64_t failures_dropped; /* beyond the slots kept */
	int nkmsg;
	struct mmt_kmsg_line *kmsg;
	int nvmstat;
	struct mmt_vmstat_delta *vmstat;
	int nmetrics;
	struct mmt_metric *metrics; /* averaged over workers */
	int nnotes;
	char **notes;
};

void mmt_job_result_free(struct mmt_job_result *j);
/* Ops the job completed: every op's count, all workers. */
uint64_t mmt_job_ops_total(const struct mmt_job_result *j);
void mmt_run_info_free(struct mmt_run_info *ri);
/* Free each of njobs results and the array itself. */
void mmt_job_results_free(struct mmt_job_result *jobs, int njobs);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run profiles: INI files parsed with libinih.
 *
 *   [run]              duration, workers, placement, seed, repeat, hang_timeout,
 *                      interval, tag, description
 *   [kmsg]             allow = REGEX   (repeatable: known noise, recorded as allowed)
 *   [WORKLOAD]         a job: the workload's options, and per-job duration, workers,
 *   [WORKLOAD:label]   placement, repeat, with; a label tells two jobs of one workload
 *                      apart; with = W[:opt=val,...] runs workload W alongside, in the
 *                      same job (e.g. a storm while cpu_hotplug takes CPUs away)
 *
 * Every error names the file, the line, the bad section, key or value and the
 * valid choices.
 */
#ifndef MMT_PROFILE_H
#define MMT_PROFILE_H

#include <limits.h>
#include <stdint.h>

#include "kmsg.h"
#include "workload.h"

struct mmt_job_spec {
	const struct mmt_workload *wl;
	char label[64];
	void *opts; /* the workload's option struct: defaults, then what was set */
	int64_t duration_ns; /* 0: the run's */
	int workers; /* 0: the run's */
	char placement[64]; /* "": the run's */
	int repeat; /* 0: the run's */
	char where[PATH_MAX + 16]; /* "file:line" of its section, or "-w" */
	/* A companion run in the same job, at the same time (`with = W[:opts]`). */
	struct mmt_job_spec *with;
	char with_text[256];
};

struct mmt_profile {
	char path[PATH_MAX]; /* "" when the jobs came from -w only */
	char *text;
	char description[256];
	int64_t duration_ns;
	int workers; /* 0: the placement's default */
	char placement[64];
	uint64_t seed;
	int seed_set;
	int repeat;
	int64_t hang_timeout_ns;
	int64_t interval_ns;
	char tag[64];
	struct mmt_kmsg_allow allow;
	int njobs;
	struct mmt_job_spec *jobs;
};

/* Run defaults and no jobs. */
void mmt_profile_init(struct mmt_profile *p);
void mmt_profile_free(struct mmt_profile *p);
/* Parse a profile file into p (after mmt_profile_init). -errno; err says where and why. */
int mmt_profile_load(struct mmt_profile *p, const char *path, char *err, size_t errlen);
/* Parse the same from a string (named `name` in errors). */
int mmt_profile_load_string(struct mmt_profile *p, const char *name, const char *text, char *err,
			    size_t errlen);
/* -w "WORKLOAD[:opt=val,...]": append a job. */
int mmt_profile_add_cli_job(struct mmt_profile *p, const char *arg, char *err, size_t errlen);
/* --with W[:opt=val,...]: give the last job a companion. */
int mmt_profile_set_with(struct mmt_profile *p, const char *arg, char *err, size_t errlen);
/* Drop every job (the -w list replaces a profile's jobs). */
void mmt_profile_clear_jobs(struct mmt_profile *p);
/* The job's options as JSON text: {"size":"64M",...}; caller frees. */
char *mmt_job_params_json(const struct mmt_job_spec *j);

#endif

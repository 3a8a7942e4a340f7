/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log, read from /dev/kmsg record by record (a read smaller than a
 * record fails with EINVAL, so the buffer holds a whole one). The runner
 * writes a marker record at each job's start and end; records between them
 * belong to that job, so a line printed before the job is never blamed on it.
 */
#ifndef MMT_KMSG_H
#define MMT_KMSG_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#define MMT_KMSG_TEXT 1024

struct mmt_kmsg_rec {
	uint64_t seq;
	uint64_t ts_us;
	int level; /* 0 emerg .. 7 debug */
	int facility;
	char text[MMT_KMSG_TEXT]; /* the message, continuation lines dropped */
};

struct mmt_kmsg {
	int fd;
	uint64_t lost; /* records overwritten before we read them (EPIPE) */
};

/* Open O_NONBLOCK and seek to the end: only records from now on. -errno. */
int mmt_kmsg_open(struct mmt_kmsg *k);
void mmt_kmsg_close(struct mmt_kmsg *k);
/* 1 with a record, 0 when none is waiting, -errno. */
int mmt_kmsg_read(struct mmt_kmsg *k, struct mmt_kmsg_rec *rec);
/* Parse one raw record "pri,seq,ts,flags;text\n key=val..." -> -EINVAL if malformed. */
int mmt_kmsg_parse(const char *raw, size_t len, struct mmt_kmsg_rec *rec);
/* Write a record to /dev/kmsg (one write is one record). */
int mmt_kmsg_write(const char *text);

/*
 * Does the line show the kernel misbehaving? Returns the name of the rule
 * ("BUG", "WARNING", "Oops", "Bad page state", "page dumped", "GPF",
 * "soft lockup", "hard lockup", "RCU stall", "panic", "kernel BUG",
 * "Offline failed", "list corruption", "KASAN", "UBSAN", "hung task", ...)
 * or NULL. OOM-killer lines are not splats: see mmt_kmsg_oom_pid().
 */
const char *mmt_kmsg_splat(const char *text);
/* The pid in "Out of memory: Killed process 1234 (x)" / "oom-kill:...pid=1234"; -1 otherwise. */
int mmt_kmsg_oom_pid(const char *text);

/* An allow-list of POSIX extended regexes that downgrade known noise. */
struct mmt_kmsg_allow {
	int n;
	regex_t *re;
	char **src;
};

/* Add one pattern; -EINVAL with err holding regerror()'s text. */
int mmt_kmsg_allow_add(struct mmt_kmsg_allow *a, const char *pattern, char *err, size_t errlen);
int mmt_kmsg_allowed(const struct mmt_kmsg_allow *a, const char *text);
void mmt_kmsg_allow_free(struct mmt_kmsg_allow *a);

#endif

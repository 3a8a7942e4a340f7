/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The results store: SQLite in WAL mode with a versioned schema (PRAGMA
 * user_version). A run row is written when the run starts (status
 * 'incomplete') and completed when it ends; each job is committed, with its
 * ops, failures, kmsg lines, vmstat deltas and metrics, in one transaction as
 * it ends, so a run that is killed keeps every finished job.
 */
#ifndef MMT_STORE_H
#define MMT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define MMT_SCHEMA_VERSION 2

struct mmt_store;

/*
 * Open or create; creates missing parent directories. -errno with err saying
 * what is wrong with the file (not a database, schema newer than this tool,
 * ...). Never modifies an existing database it cannot understand.
 */
int mmt_store_open(struct mmt_store **s, const char *path, char *err, size_t errlen);
/*
 * Open an existing store read-only, for readers that must change nothing (compare):
 * no file is created, no schema upgraded, no journal mode set. -ENOENT for a
 * missing or empty file, else as mmt_store_open().
 */
int mmt_store_open_ro(struct mmt_store **s, const char *path, char *err, size_t errlen);
void mmt_store_close(struct mmt_store *s);
void *mmt_store_db(struct mmt_store *s); /* the sqlite3 handle, for report code */
/* SQLite's message for the last failed call, for the command to print; "" if none. */
const char *mmt_store_errmsg(struct mmt_store *s);

int mmt_store_begin_run(struct mmt_store *s, const struct mmt_run_info *ri, int64_t *run_id);
int mmt_store_add_job(struct mmt_store *s, int64_t run_id, const struct mmt_job_result *j);
/* status: "complete", "interrupted", "incomplete"; exit_code as the CLI exits. */
int mmt_store_end_run(struct mmt_store *s, int64_t run_id, const char *status, int exit_code);
/*
 * The same with the end time given (CLOCK_REALTIME ns; 0 leaves it NULL) and
 * exit_code < 0 for "unknown" (NULL): a run imported from a stream.
 */
int mmt_store_end_run_at(struct mmt_store *s, int64_t run_id, const char *status, int exit_code,
			 uint64_t finished_ns);

/*
 * One write transaction around several calls (an import is all or nothing):
 * begin takes the write lock at once; add_job nests inside it. -errno.
 */
int mmt_store_tx_begin(struct mmt_store *s);
int mmt_store_tx_commit(struct mmt_store *s);
void mmt_store_tx_rollback(struct mmt_store *s);

/* A file kept with a run, e.g. a guest's console ("console"); replaces one of that name. */
int mmt_store_add_file(struct mmt_store *s, int64_t run_id, const char *name, const void *data,
		       size_t len);
/* NUL-terminated copy in *data (caller frees); -ENOENT if the run has none of that name. */
int mmt_store_load_file(struct mmt_store *s, int64_t run_id, const char *name, char **data,
			size_t *len);
/* "latest", a run id, or a uuid prefix -> id. -ENOENT if none. */
int mmt_store_find_run(struct mmt_store *s, const char *which, int64_t *run_id);
/* The run with exactly this uuid (the lowest id if several). -ENOENT if none. */
int mmt_store_find_uuid(struct mmt_store *s, const char *uuid, int64_t *run_id);

/*
 * Read a run back (for tests and the report). Caller frees with the _free()s;
 * the jobs array with mmt_job_results_free().
 */
int mmt_store_load_run(struct mmt_store *s, int64_t run_id, struct mmt_run_info *ri, char *status,
		       size_t statuslen);
int mmt_store_load_jobs(struct mmt_store *s, int64_t run_id, struct mmt_job_result **jobs,
			int *njobs);

#endif

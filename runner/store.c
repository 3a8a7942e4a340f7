// SPDX-License-Identifier: GPL-2.0
/*
 * The results store. Unsigned 64-bit values (ns, addresses, taint, tags) are
 * kept as SQLite's signed 64-bit integers bit for bit, so a round trip is exact;
 * a histogram's min and max are NULL while it is empty.
 */
#include "store.h"

#include "main.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

struct mmt_store {
	sqlite3 *db;
	char errmsg[256];
};

/* Version 2: files kept with a run (a guest's whole console). */
#define SCHEMA_V2                                                                                  \
	"CREATE TABLE run_files ("                                                                 \
	" id INTEGER PRIMARY KEY,"                                                                 \
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"                          \
	" name TEXT NOT NULL, content BLOB NOT NULL, UNIQUE (run_id, name));"

static const char schema_sql[] =
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY,"
	" uuid TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'incomplete'"
	"  CHECK (status IN ('incomplete', 'complete', 'interrupted')),"
	" exit_code INTEGER,"
	" started_ns INTEGER NOT NULL,"
	" finished_ns INTEGER,"
	" tool_version TEXT NOT NULL, git_rev TEXT NOT NULL, seed INTEGER NOT NULL,"
	" profile TEXT NOT NULL, profile_text TEXT, argv TEXT,"
	" kernel_release TEXT NOT NULL, kernel_version TEXT NOT NULL, arch TEXT NOT NULL,"
	" page_size INTEGER NOT NULL, va_bits INTEGER NOT NULL, thp_json TEXT, cmdline TEXT,"
	" config_hash TEXT NOT NULL, config_source TEXT NOT NULL, cpu_model TEXT NOT NULL,"
	" topology TEXT NOT NULL, hostname TEXT NOT NULL, guest INTEGER NOT NULL,"
	" virt TEXT NOT NULL, tag TEXT NOT NULL);"
	"CREATE INDEX runs_uuid ON runs(uuid);"
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, workload TEXT NOT NULL, label TEXT NOT NULL, params_json TEXT,"
	" repeat INTEGER NOT NULL, nworkers INTEGER NOT NULL, placement TEXT NOT NULL,"
	" planned_ns INTEGER NOT NULL, started_ns INTEGER NOT NULL, elapsed_ns INTEGER NOT NULL,"
	" interval_ns INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'skip', 'error')),"
	" reason TEXT NOT NULL, taint_before INTEGER NOT NULL, taint_after INTEGER NOT NULL,"
	" failures_dropped INTEGER NOT NULL);"
	"CREATE INDEX jobs_run ON jobs(run_id, seq);"
	"CREATE TABLE job_workers ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	" worker INTEGER NOT NULL, pid INTEGER NOT NULL,"
	" planned_cpu INTEGER NOT NULL, planned_core INTEGER NOT NULL,"
	" planned_package INTEGER NOT NULL, planned_node INTEGER NOT NULL,"
	" applied_cpu INTEGER NOT NULL, applied_core INTEGER NOT NULL,"
	" applied_package INTEGER NOT NULL, applied_node INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'skip', 'error')),"
	" exit_code INTEGER NOT NULL, term_signal INTEGER NOT NULL);"
	"CREATE INDEX job_workers_job ON job_workers(job_id);"
	"CREATE TABLE job_ops ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, count INTEGER NOT NULL, sum_ns INTEGER NOT NULL,"
	" min_ns INTEGER, max_ns INTEGER, mean_ns REAL NOT NULL,"
	" p50_ns INTEGER NOT NULL, p90_ns INTEGER NOT NULL, p99_ns INTEGER NOT NULL,"
	" p999_ns INTEGER NOT NULL,"
	" hist TEXT NOT NULL," /* mmt_hist_encode(): "bucket:count,..." */
	" intervals TEXT NOT NULL);" /* ops per interval: "n,n,..." */
	"CREATE INDEX job_ops_job ON job_ops(job_id);"
	"CREATE TABLE failures ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL, worker INTEGER NOT NULL, pid INTEGER NOT NULL,"
	" op INTEGER NOT NULL, op_name TEXT, err INTEGER NOT NULL, vclass TEXT,"
	" addr INTEGER NOT NULL, t_ns INTEGER NOT NULL,"
	" want TEXT, found TEXT,"
	" want_magic INTEGER NOT NULL, want_owner INTEGER NOT NULL, want_seed INTEGER NOT NULL,"
	" want_gen INTEGER NOT NULL, want_index INTEGER NOT NULL, want_check INTEGER NOT NULL,"
	" found_magic INTEGER NOT NULL, found_owner INTEGER NOT NULL,"
	" found_seed INTEGER NOT NULL, found_gen INTEGER NOT NULL,"
	" found_index INTEGER NOT NULL, found_check INTEGER NOT NULL,"
	" detail TEXT NOT NULL);"
	"CREATE INDEX failures_job ON failures(job_id);"
	"CREATE TABLE kmsg ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, ts_us INTEGER NOT NULL, level INTEGER NOT NULL,"
	" verdict TEXT NOT NULL CHECK (verdict IN ('info', 'fail', 'allowed')),"
	" rule TEXT NOT NULL, text TEXT NOT NULL);"
	"CREATE INDEX kmsg_run ON kmsg(run_id);"
	"CREATE INDEX kmsg_job ON kmsg(job_id);"
	"CREATE TABLE vmstat ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, delta INTEGER NOT NULL);"
	"CREATE INDEX vmstat_job ON vmstat(job_id);"
	"CREATE TABLE metrics ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, value REAL NOT NULL);"
	"CREATE INDEX metrics_job ON metrics(job_id);"
	"CREATE TABLE notes ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	" text TEXT NOT NULL);"
	"CREATE INDEX notes_job ON notes(job_id);" SCHEMA_V2;

static const char *const verdict_names[] = {
	[MMT_KMSG_INFO] = "info",
	[MMT_KMSG_FAIL] = "fail",
	[MMT_KMSG_ALLOWED] = "allowed",
};

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_TOOBIG:
		return -E2BIG;
	}
	return -EIO;
}

/* Remember SQLite's own words for mmt_store_errmsg() and turn rc into -errno. */
static int fail(struct mmt_store *s, int rc)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", sqlite3_errmsg(s->db));
	return sqlite_errno(rc);
}

const char *mmt_store_errmsg(struct mmt_store *s)
{
	return s->errmsg;
}

void *mmt_store_db(struct mmt_store *s)
{
	return s->db;
}

static int prepare(struct mmt_store *s, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

/* Run a bound statement that returns no rows, then make it ready for the next binding. */
static int step_done(struct mmt_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail(s, rc);
}

static int exec(struct mmt_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

/* A single integer from a statement without parameters, e.g. a PRAGMA. */
static int query_int(struct mmt_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = prepare(s, &st, sql);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	snprintf(dst, len, "%s", col_text(st, i));
}

/* A NULL column stays NULL; -ENOMEM only if the copy fails. */
static int col_dup(sqlite3_stmt *st, int i, char **dst)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	*dst = NULL;
	if (!t)
		return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : -ENOMEM;
	*dst = strdup((const char *)t);
	return *dst ? 0 : -ENOMEM;
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	return (uint64_t)sqlite3_column_int64(st, i);
}

static int status_parse(const char *name)
{
	static const int all[] = {MMT_PASS, MMT_FAIL, MMT_SKIP, MMT_ERROR};
	size_t i;

	for (i = 0; i < MMT_ARRAY_SIZE(all); i++)
		if (!strcmp(mmt_status_name(all[i]), name))
			return all[i];
	return MMT_ERROR;
}

static int vclass_parse(const char *name)
{
	int i;

	for (i = 0; i < MMT_V__COUNT; i++)
		if (!strcmp(mmt_vclass_name(i), name))
			return i;
	return MMT_V_GARBAGE;
}

static int verdict_parse(const char *name)
{
	int i;

	for (i = 0; i < (int)MMT_ARRAY_SIZE(verdict_names); i++)
		if (!strcmp(verdict_names[i], name))
			return i;
	return MMT_KMSG_INFO;
}

static const char *verdict_name(int v)
{
	if (v < 0 || v >= (int)MMT_ARRAY_SIZE(verdict_names))
		return "info";
	return verdict_names[v];
}

/* ---- opening ------------------------------------------------------------ */

static int create_schema(struct mmt_store *s)
{
	int64_t user;
	char sql[64];
	int rc;

	rc = exec(s, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	/* Another process may have created it since we looked. */
	rc = query_int(s, "PRAGMA user_version", &user);
	if (!rc && user == MMT_SCHEMA_VERSION)
		return exec(s, "COMMIT");
	if (!rc)
		rc = exec(s, schema_sql);
	/* A pragma takes no bound parameters; the version is our own constant. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", MMT_SCHEMA_VERSION);
	if (!rc)
		rc = exec(s, sql);
	if (!rc)
		rc = exec(s, "COMMIT");
	if (rc)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Look before writing anything: the reads below fail on a file that is not a
 * database, and a schema we do not know is refused while the file is untouched.
 * Returns 1 when the schema has to be created.
 */
static int check_schema(struct mmt_store *s, const char *path, char *err, size_t errlen)
{
	int64_t schema, user, ntables = 0;
	int rc;

	rc = query_int(s, "PRAGMA schema_version", &schema);
	if (rc == -EBADMSG)
		snprintf(err, errlen, "%s: not an SQLite database (%s)", path, s->errmsg);
	else if (rc)
		snprintf(err, errlen, "%s: cannot read: %s", path, s->errmsg);
	if (rc)
		return rc;
	rc = query_int(s, "PRAGMA user_version", &user);
	if (!rc)
		rc = query_int(s, "SELECT count(*) FROM sqlite_master", &ntables);
	if (rc) {
		snprintf(err, errlen, "%s: cannot read the schema: %s", path, s->errmsg);
		return rc;
	}
	if (user > MMT_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "%s: results schema version %" PRId64
			 " is newer than this mmtorture's version %d; use a newer mmtorture",
			 path, user, MMT_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (user == 0 && ntables) {
		snprintf(err, errlen, "%s: an SQLite database, but not an mmtorture results store",
			 path);
		return -EINVAL;
	}
	if (user == 1)
		return 2; /* only adds a table: upgraded in place */
	return user == 0;
}

static int upgrade_v1(struct mmt_store *s)
{
	int rc = exec(s, "BEGIN IMMEDIATE");
	int64_t user = 0;

	if (rc)
		return rc;
	/* Another process may have upgraded it since we looked. */
	rc = query_int(s, "PRAGMA user_version", &user);
	if (!rc && user == 1)
		rc = exec(s, SCHEMA_V2 "; PRAGMA user_version = 2");
	if (!rc)
		return exec(s, "COMMIT");
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int configure(struct mmt_store *s)
{
	int rc;

	rc = exec(s, "PRAGMA foreign_keys = ON");
	/* Read-only stores can still be reported on; only writers need WAL. */
	if (!rc && !sqlite3_db_readonly(s->db, "main"))
		rc = exec(s, "PRAGMA journal_mode = WAL");
	if (!rc)
		rc = exec(s, "PRAGMA synchronous = NORMAL");
	return rc;
}

static int open_db(struct mmt_store *s, const char *path, int ro, char *err, size_t errlen)
{
	int flags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, rc;
	struct stat sb;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: is a directory, not a results store", path);
			return -EISDIR;
		}
	} else if (errno == ENOENT && ro) {
		snprintf(err, errlen, "%s: no such file (no runs recorded there yet?)", path);
		return -ENOENT;
	} else if (errno == ENOENT) {
		rc = mmt_mkdir_parents(path);
		if (rc) {
			snprintf(err, errlen, "%s: cannot create its directory: %s", path,
				 strerror(-rc));
			return rc;
		}
		flags |= SQLITE_OPEN_CREATE;
	} else {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = fail(s, rc);
		snprintf(err, errlen, "%s: cannot open: %s", path, s->errmsg);
		return rc;
	}
	/* Before the first read: a run writing to the store may hold the lock. */
	sqlite3_busy_timeout(s->db, 5000);
	return 0;
}

static int store_open(struct mmt_store **out, const char *path, int ro, char *err, size_t errlen)
{
	struct mmt_store *s;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = open_db(s, path, ro, err, errlen);
	if (!rc)
		rc = check_schema(s, path, err, errlen);
	if (rc == 1 && ro) {
		snprintf(err, errlen, "%s: an empty database: no runs recorded", path);
		rc = -ENOENT;
	}
	if (rc >= 0) {
		int create = rc;

		rc = configure(s);
		if (!rc && create == 1)
			rc = create_schema(s);
		else if (!rc && create == 2 && !ro && !sqlite3_db_readonly(s->db, "main"))
			rc = upgrade_v1(s);
		if (rc)
			snprintf(err, errlen, "%s: cannot set up the results store: %s", path,
				 s->errmsg);
	}
	if (rc) {
		mmt_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int mmt_store_open(struct mmt_store **out, const char *path, char *err, size_t errlen)
{
	return store_open(out, path, 0, err, errlen);
}

int mmt_store_open_ro(struct mmt_store **out, const char *path, char *err, size_t errlen)
{
	return store_open(out, path, 1, err, errlen);
}

void mmt_store_close(struct mmt_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

/* ---- writing ------------------------------------------------------------ */

int mmt_store_begin_run(struct mmt_store *s, const struct mmt_run_info *ri, int64_t *run_id)
{
	sqlite3_stmt *st;
	int rc, i = 1;

	rc = prepare(s, &st,
		     "INSERT INTO runs (uuid, status, started_ns, tool_version, git_rev, seed,"
		     " profile, profile_text, argv, kernel_release, kernel_version, arch,"
		     " page_size, va_bits, thp_json, cmdline, config_hash, config_source,"
		     " cpu_model, topology, hostname, guest, virt, tag) VALUES (?, 'incomplete',"
		     " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (rc)
		return rc;
	bind_text(st, i++, ri->uuid);
	bind_u64(st, i++, ri->started_ns);
	bind_text(st, i++, ri->tool_version);
	bind_text(st, i++, ri->git_rev);
	bind_u64(st, i++, ri->seed);
	bind_text(st, i++, ri->profile);
	bind_text(st, i++, ri->profile_text);
	bind_text(st, i++, ri->argv);
	bind_text(st, i++, ri->kernel_release);
	bind_text(st, i++, ri->kernel_version);
	bind_text(st, i++, ri->arch);
	sqlite3_bind_int64(st, i++, ri->page_size);
	sqlite3_bind_int(st, i++, ri->va_bits);
	bind_text(st, i++, ri->thp_json);
	bind_text(st, i++, ri->cmdline);
	bind_text(st, i++, ri->config_hash);
	bind_text(st, i++, ri->config_source);
	bind_text(st, i++, ri->cpu_model);
	bind_text(st, i++, ri->topology);
	bind_text(st, i++, ri->hostname);
	sqlite3_bind_int(st, i++, ri->guest);
	bind_text(st, i++, ri->virt);
	bind_text(st, i++, ri->tag);
	rc = step_done(s, st);
	sqlite3_finalize(st);
	if (!rc)
		*run_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int mmt_store_end_run(struct mmt_store *s, int64_t run_id, const char *status, int exit_code)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return mmt_store_end_run_at(s, run_id, status, exit_code,
				    (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

int mmt_store_end_run_at(struct mmt_store *s, int64_t run_id, const char *status, int exit_code,
			 uint64_t finished_ns)
{
	sqlite3_stmt *st;
	int rc;

	if (strcmp(status, "complete") && strcmp(status, "interrupted") &&
	    strcmp(status, "incomplete"))
		return -EINVAL;
	rc = prepare(s, &st,
		     "UPDATE runs SET status = ?, exit_code = ?, finished_ns = ? WHERE id = ?");
	if (rc)
		return rc;
	bind_text(st, 1, status);
	if (exit_code >= 0)
		sqlite3_bind_int(st, 2, exit_code);
	else
		sqlite3_bind_null(st, 2);
	if (finished_ns)
		bind_u64(st, 3, finished_ns);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, run_id);
	rc = step_done(s, st);
	sqlite3_finalize(st);
	if (!rc && !sqlite3_changes(s->db))
		rc = -ENOENT;
	return rc;
}

static int insert_job_row(struct mmt_store *s, int64_t run_id, const struct mmt_job_result *j,
			  int64_t *job_id)
{
	sqlite3_stmt *st;
	int rc, i = 1;

	rc = prepare(s, &st,
		     "INSERT INTO jobs (run_id, seq, workload, label, params_json, repeat,"
		     " nworkers, placement, planned_ns, started_ns, elapsed_ns, interval_ns,"
		     " status, reason, taint_before, taint_after, failures_dropped)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, i++, run_id);
	sqlite3_bind_int(st, i++, j->seq);
	bind_text(st, i++, j->workload);
	bind_text(st, i++, j->label);
	bind_text(st, i++, j->params_json);
	sqlite3_bind_int(st, i++, j->repeat);
	sqlite3_bind_int(st, i++, j->nworkers);
	bind_text(st, i++, j->placement);
	bind_u64(st, i++, j->planned_ns);
	bind_u64(st, i++, j->started_ns);
	bind_u64(st, i++, j->elapsed_ns);
	bind_u64(st, i++, j->interval_ns);
	bind_text(st, i++, mmt_status_name(j->status));
	bind_text(st, i++, j->reason);
	bind_u64(st, i++, j->taint_before);
	bind_u64(st, i++, j->taint_after);
	bind_u64(st, i++, j->failures_dropped);
	rc = step_done(s, st);
	sqlite3_finalize(st);
	if (!rc)
		*job_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int bind_where(sqlite3_stmt *st, int i, const struct mmt_where *w)
{
	sqlite3_bind_int(st, i++, w->cpu);
	sqlite3_bind_int(st, i++, w->core);
	sqlite3_bind_int(st, i++, w->package);
	sqlite3_bind_int(st, i++, w->node);
	return i;
}

static int insert_workers(struct mmt_store *s, int64_t job_id, const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	int rc, k;

	rc = prepare(s, &st,
		     "INSERT INTO job_workers (job_id, worker, pid, planned_cpu, planned_core,"
		     " planned_package, planned_node, applied_cpu, applied_core, applied_package,"
		     " applied_node, status, exit_code, term_signal)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	for (k = 0; !rc && k < j->nworkers && j->workers; k++) {
		const struct mmt_worker_result *w = &j->workers[k];
		int i = 1;

		sqlite3_bind_int64(st, i++, job_id);
		sqlite3_bind_int(st, i++, w->worker);
		sqlite3_bind_int(st, i++, w->pid);
		i = bind_where(st, i, &w->planned);
		i = bind_where(st, i, &w->applied);
		bind_text(st, i++, mmt_status_name(w->status));
		sqlite3_bind_int(st, i++, w->exit_code);
		sqlite3_bind_int(st, i++, w->term_signal);
		rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Large enough for every bucket at its longest: "2431:18446744073709551615,". */
#define HIST_TEXT_MAX ((size_t)MMT_HIST_BUCKETS * 26 + 1)

static char *intervals_encode(const struct mmt_op_result *o)
{
	size_t len = (size_t)(o->nintervals > 0 ? o->nintervals : 0) * 21 + 1, off = 0;
	char *buf = malloc(len);
	int k;

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (k = 0; k < o->nintervals && o->intervals; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRIu64, k ? "," : "",
					o->intervals[k]);
	return buf;
}

static int bind_op(struct mmt_store *s, sqlite3_stmt *st, const struct mmt_op_result *o, char *hist)
{
	const struct mmt_hist *h = &o->h;
	char *iv;
	int i = 2;

	if (mmt_hist_encode(h, hist, HIST_TEXT_MAX) < 0)
		return -ENOSPC;
	iv = intervals_encode(o);
	if (!iv)
		return -ENOMEM;
	bind_text(st, i++, o->name);
	bind_u64(st, i++, h->count);
	bind_u64(st, i++, h->sum);
	if (h->count) {
		bind_u64(st, i++, h->min);
		bind_u64(st, i++, h->max);
	} else {
		sqlite3_bind_null(st, i++);
		sqlite3_bind_null(st, i++);
	}
	sqlite3_bind_double(st, i++, mmt_hist_mean(h));
	bind_u64(st, i++, mmt_hist_percentile(h, 50));
	bind_u64(st, i++, mmt_hist_percentile(h, 90));
	bind_u64(st, i++, mmt_hist_percentile(h, 99));
	bind_u64(st, i++, mmt_hist_percentile(h, 99.9));
	bind_text(st, i++, hist);
	sqlite3_bind_text(st, i++, iv, -1, free);
	return 0;
}

static int insert_ops(struct mmt_store *s, int64_t job_id, const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	char *hist;
	int rc, k;

	hist = malloc(HIST_TEXT_MAX);
	if (!hist)
		return -ENOMEM;
	rc = prepare(s, &st,
		     "INSERT INTO job_ops (job_id, name, count, sum_ns, min_ns, max_ns, mean_ns,"
		     " p50_ns, p90_ns, p99_ns, p999_ns, hist, intervals)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	for (k = 0; !rc && k < j->nops && j->ops; k++) {
		sqlite3_bind_int64(st, 1, job_id);
		rc = bind_op(s, st, &j->ops[k], hist);
		if (!rc)
			rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	free(hist);
	return rc;
}

static int bind_tag(sqlite3_stmt *st, int i, const struct mmt_tag *t)
{
	sqlite3_bind_int64(st, i++, t->magic);
	sqlite3_bind_int64(st, i++, t->owner);
	sqlite3_bind_int64(st, i++, t->seed);
	sqlite3_bind_int64(st, i++, t->gen);
	bind_u64(st, i++, t->index);
	bind_u64(st, i++, t->check);
	return i;
}

static void bind_failure(sqlite3_stmt *st, const struct mmt_job_result *j,
			 const struct mmt_failure *f)
{
	int i = 2, verify = f->kind == MMT_FK_VERIFY;
	char want[128], found[128];

	mmt_tag_format(&f->want, want, sizeof(want));
	mmt_tag_format(&f->found, found, sizeof(found));
	bind_text(st, i++, mmt_fail_kind_name(f->kind));
	sqlite3_bind_int(st, i++, f->worker);
	sqlite3_bind_int(st, i++, f->pid);
	sqlite3_bind_int(st, i++, f->op);
	bind_text(st, i++, f->op >= 0 && f->op < j->nops && j->ops ? j->ops[f->op].name : NULL);
	sqlite3_bind_int(st, i++, f->err);
	/* Tags mean something only for a data mismatch; the raw fields are kept anyway. */
	bind_text(st, i++, verify || f->vclass ? mmt_vclass_name(f->vclass) : NULL);
	bind_u64(st, i++, f->addr);
	bind_u64(st, i++, f->t_ns);
	bind_text(st, i++, verify ? want : NULL);
	bind_text(st, i++, verify ? found : NULL);
	i = bind_tag(st, i, &f->want);
	i = bind_tag(st, i, &f->found);
	sqlite3_bind_text(st, i++, f->detail, (int)strnlen(f->detail, sizeof(f->detail)),
			  SQLITE_TRANSIENT);
}

static int insert_failures(struct mmt_store *s, int64_t job_id, const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	int rc, k;

	rc = prepare(s, &st,
		     "INSERT INTO failures (job_id, kind, worker, pid, op, op_name, err, vclass,"
		     " addr, t_ns, want, found, want_magic, want_owner, want_seed, want_gen,"
		     " want_index, want_check, found_magic, found_owner, found_seed, found_gen,"
		     " found_index, found_check, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		     " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	for (k = 0; !rc && k < j->nfailures && j->failures; k++) {
		sqlite3_bind_int64(st, 1, job_id);
		bind_failure(st, j, &j->failures[k]);
		rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int insert_kmsg(struct mmt_store *s, int64_t run_id, int64_t job_id,
		       const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	int rc, k;

	rc = prepare(s, &st,
		     "INSERT INTO kmsg (run_id, job_id, seq, ts_us, level, verdict, rule, text)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	for (k = 0; !rc && k < j->nkmsg && j->kmsg; k++) {
		const struct mmt_kmsg_line *l = &j->kmsg[k];

		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_int64(st, 2, job_id);
		bind_u64(st, 3, l->seq);
		bind_u64(st, 4, l->ts_us);
		sqlite3_bind_int(st, 5, l->level);
		bind_text(st, 6, verdict_name(l->verdict));
		bind_text(st, 7, l->rule);
		bind_text(st, 8, l->text ? l->text : "");
		rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int insert_vmstat(struct mmt_store *s, int64_t job_id, const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	int rc, k;

	rc = prepare(s, &st, "INSERT INTO vmstat (job_id, key, delta) VALUES (?, ?, ?)");
	for (k = 0; !rc && k < j->nvmstat && j->vmstat; k++) {
		sqlite3_bind_int64(st, 1, job_id);
		bind_text(st, 2, j->vmstat[k].key);
		sqlite3_bind_int64(st, 3, j->vmstat[k].delta);
		rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int insert_metrics(struct mmt_store *s, int64_t job_id, const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	int rc, k;

	rc = prepare(s, &st, "INSERT INTO metrics (job_id, key, value) VALUES (?, ?, ?)");
	for (k = 0; !rc && k < j->nmetrics && j->metrics; k++) {
		sqlite3_bind_int64(st, 1, job_id);
		bind_text(st, 2, j->metrics[k].key);
		sqlite3_bind_double(st, 3, j->metrics[k].value);
		rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int insert_notes(struct mmt_store *s, int64_t job_id, const struct mmt_job_result *j)
{
	sqlite3_stmt *st;
	int rc, k;

	rc = prepare(s, &st, "INSERT INTO notes (job_id, text) VALUES (?, ?)");
	for (k = 0; !rc && k < j->nnotes && j->notes; k++) {
		sqlite3_bind_int64(st, 1, job_id);
		bind_text(st, 2, j->notes[k] ? j->notes[k] : "");
		rc = step_done(s, st);
	}
	sqlite3_finalize(st);
	return rc;
}

int mmt_store_tx_begin(struct mmt_store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int mmt_store_tx_commit(struct mmt_store *s)
{
	return exec(s, "COMMIT");
}

void mmt_store_tx_rollback(struct mmt_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int mmt_store_add_job(struct mmt_store *s, int64_t run_id, const struct mmt_job_result *j)
{
	/* Inside the caller's transaction a savepoint keeps the job all or nothing. */
	int nested = !sqlite3_get_autocommit(s->db);
	int64_t job_id;
	int rc;

	/* IMMEDIATE takes the write lock now, so a busy store waits here, not mid-job. */
	rc = exec(s, nested ? "SAVEPOINT add_job" : "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = insert_job_row(s, run_id, j, &job_id);
	if (!rc)
		rc = insert_workers(s, job_id, j);
	if (!rc)
		rc = insert_ops(s, job_id, j);
	if (!rc)
		rc = insert_failures(s, job_id, j);
	if (!rc)
		rc = insert_kmsg(s, run_id, job_id, j);
	if (!rc)
		rc = insert_vmstat(s, job_id, j);
	if (!rc)
		rc = insert_metrics(s, job_id, j);
	if (!rc)
		rc = insert_notes(s, job_id, j);
	if (!rc)
		rc = exec(s, nested ? "RELEASE add_job" : "COMMIT");
	if (rc && nested)
		sqlite3_exec(s->db, "ROLLBACK TO add_job; RELEASE add_job", NULL, NULL, NULL);
	else if (rc)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---- finding and reading ------------------------------------------------ */

static int find_one(struct mmt_store *s, const char *sql, const char *arg, int64_t *run_id)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	rc = prepare(s, &st, sql);
	if (rc)
		return rc;
	if (arg)
		bind_text(st, 1, arg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 2) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			break;
		*run_id = sqlite3_column_int64(st, 0);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rc = fail(s, rc);
	else
		rc = n == 0 ? -ENOENT : n > 1 ? -EINVAL : 0;
	sqlite3_finalize(st);
	return rc;
}

int mmt_store_find_run(struct mmt_store *s, const char *which, int64_t *run_id)
{
	size_t n;
	int rc;

	if (!which || !strcmp(which, "latest"))
		return find_one(s, "SELECT max(id) FROM runs", NULL, run_id);
	n = strlen(which);
	if (!n)
		return -EINVAL;
	if (strspn(which, "0123456789") == n) {
		rc = find_one(s, "SELECT id FROM runs WHERE id = CAST(? AS INTEGER)", which,
			      run_id);
		if (rc != -ENOENT)
			return rc;
	}
	/* Not a run id (or no such run): a uuid prefix, which must name one run. */
	return find_one(s,
			"SELECT id FROM runs WHERE substr(lower(uuid), 1, length(?1)) = lower(?1)"
			" LIMIT 2",
			which, run_id);
}

int mmt_store_find_uuid(struct mmt_store *s, const char *uuid, int64_t *run_id)
{
	sqlite3_stmt *st;
	int rc;

	rc = prepare(s, &st, "SELECT min(id) FROM runs WHERE uuid = ?");
	if (rc)
		return rc;
	bind_text(st, 1, uuid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*run_id = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_ROW ? -ENOENT : fail(s, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

static int read_run_row(sqlite3_stmt *st, struct mmt_run_info *ri, char *status, size_t statuslen)
{
	int i = 0, rc = 0;

	col_copy(st, i++, ri->uuid, sizeof(ri->uuid));
	if (status && statuslen)
		col_copy(st, i, status, statuslen);
	i++;
	ri->started_ns = col_u64(st, i++);
	col_copy(st, i++, ri->tool_version, sizeof(ri->tool_version));
	col_copy(st, i++, ri->git_rev, sizeof(ri->git_rev));
	ri->seed = col_u64(st, i++);
	col_copy(st, i++, ri->profile, sizeof(ri->profile));
	rc |= col_dup(st, i++, &ri->profile_text);
	rc |= col_dup(st, i++, &ri->argv);
	col_copy(st, i++, ri->kernel_release, sizeof(ri->kernel_release));
	col_copy(st, i++, ri->kernel_version, sizeof(ri->kernel_version));
	col_copy(st, i++, ri->arch, sizeof(ri->arch));
	ri->page_size = (long)sqlite3_column_int64(st, i++);
	ri->va_bits = sqlite3_column_int(st, i++);
	rc |= col_dup(st, i++, &ri->thp_json);
	rc |= col_dup(st, i++, &ri->cmdline);
	col_copy(st, i++, ri->config_hash, sizeof(ri->config_hash));
	col_copy(st, i++, ri->config_source, sizeof(ri->config_source));
	col_copy(st, i++, ri->cpu_model, sizeof(ri->cpu_model));
	col_copy(st, i++, ri->topology, sizeof(ri->topology));
	col_copy(st, i++, ri->hostname, sizeof(ri->hostname));
	ri->guest = sqlite3_column_int(st, i++);
	col_copy(st, i++, ri->virt, sizeof(ri->virt));
	col_copy(st, i++, ri->tag, sizeof(ri->tag));
	return rc ? -ENOMEM : 0;
}

int mmt_store_load_run(struct mmt_store *s, int64_t run_id, struct mmt_run_info *ri, char *status,
		       size_t statuslen)
{
	sqlite3_stmt *st;
	int rc;

	memset(ri, 0, sizeof(*ri));
	rc = prepare(s, &st,
		     "SELECT uuid, status, started_ns, tool_version, git_rev, seed, profile,"
		     " profile_text, argv, kernel_release, kernel_version, arch, page_size,"
		     " va_bits, thp_json, cmdline, config_hash, config_source, cpu_model,"
		     " topology, hostname, guest, virt, tag FROM runs WHERE id = ?");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_run_row(st, ri, status, statuslen);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : fail(s, rc);
	sqlite3_finalize(st);
	if (rc)
		mmt_run_info_free(ri);
	return rc;
}

/*
 * Run a query with one id parameter and hand each row to fn in a zeroed slot of
 * an array grown by doubling; *n counts the slots handed out, so the array can
 * be freed with the job even when fn fails halfway.
 */
typedef int (*row_fn)(struct mmt_store *s, sqlite3_stmt *st, void *slot);

static int load_rows(struct mmt_store *s, const char *sql, int64_t id, void **arr, int *n,
		     size_t elsize, row_fn fn)
{
	sqlite3_stmt *st;
	int rc, cap = 0;

	*arr = NULL;
	*n = 0;
	rc = prepare(s, &st, sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			void *p = realloc(*arr, (size_t)(cap = cap ? cap * 2 : 4) * elsize);

			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			*arr = p;
		}
		memset((char *)*arr + (size_t)*n * elsize, 0, elsize);
		(*n)++;
		rc = fn(s, st, (char *)*arr + (size_t)(*n - 1) * elsize);
		if (rc)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = rc == SQLITE_NOMEM ? -ENOMEM : fail(s, rc);
	sqlite3_finalize(st);
	return rc;
}

static void col_where(sqlite3_stmt *st, int i, struct mmt_where *w)
{
	w->cpu = sqlite3_column_int(st, i);
	w->core = sqlite3_column_int(st, i + 1);
	w->package = sqlite3_column_int(st, i + 2);
	w->node = sqlite3_column_int(st, i + 3);
}

static int worker_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_worker_result *w = slot;

	w->worker = sqlite3_column_int(st, 0);
	w->pid = sqlite3_column_int(st, 1);
	col_where(st, 2, &w->planned);
	col_where(st, 6, &w->applied);
	w->status = status_parse(col_text(st, 10));
	w->exit_code = sqlite3_column_int(st, 11);
	w->term_signal = sqlite3_column_int(st, 12);
	return 0;
}

static int intervals_decode(struct mmt_op_result *o, const char *s)
{
	int n = *s ? 1 : 0, k;
	const char *p;
	char *end;

	for (p = s; *p; p++)
		n += *p == ',';
	if (!n)
		return 0;
	o->intervals = calloc((size_t)n, sizeof(*o->intervals));
	if (!o->intervals)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		o->intervals[k] = strtoull(s, &end, 10);
		if (end == s || (*end && *end != ','))
			return -EBADMSG;
		s = *end ? end + 1 : end;
	}
	o->nintervals = n;
	return 0;
}

static int op_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_op_result *o = slot;
	int rc;

	col_copy(st, 0, o->name, sizeof(o->name));
	mmt_hist_init(&o->h);
	rc = mmt_hist_decode(&o->h, col_text(st, 5));
	if (rc)
		return -EBADMSG;
	o->h.count = col_u64(st, 1);
	o->h.sum = col_u64(st, 2);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		o->h.min = col_u64(st, 3);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		o->h.max = col_u64(st, 4);
	return intervals_decode(o, col_text(st, 6));
}

static void col_tag(sqlite3_stmt *st, int i, struct mmt_tag *t)
{
	t->magic = (uint32_t)sqlite3_column_int64(st, i);
	t->owner = (uint32_t)sqlite3_column_int64(st, i + 1);
	t->seed = (uint32_t)sqlite3_column_int64(st, i + 2);
	t->gen = (uint32_t)sqlite3_column_int64(st, i + 3);
	t->index = col_u64(st, i + 4);
	t->check = col_u64(st, i + 5);
}

static int failure_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_failure *f = slot;
	int kind = mmt_fail_kind_parse(col_text(st, 0));
	const char *t;

	f->kind = kind < 0 ? MMT_FK_EXIT : kind;
	f->worker = sqlite3_column_int(st, 1);
	f->pid = sqlite3_column_int(st, 2);
	f->op = sqlite3_column_int(st, 3);
	f->err = sqlite3_column_int(st, 4);
	f->vclass = sqlite3_column_type(st, 5) == SQLITE_NULL ? MMT_V_OK
							      : vclass_parse(col_text(st, 5));
	f->addr = col_u64(st, 6);
	f->t_ns = col_u64(st, 7);
	col_tag(st, 8, &f->want);
	col_tag(st, 14, &f->found);
	/* A detail may fill its array without a NUL: keep all of it. */
	t = col_text(st, 20);
	memcpy(f->detail, t, strnlen(t, sizeof(f->detail)));
	return 0;
}

static int kmsg_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_kmsg_line *l = slot;

	l->seq = col_u64(st, 0);
	l->ts_us = col_u64(st, 1);
	l->level = sqlite3_column_int(st, 2);
	l->verdict = verdict_parse(col_text(st, 3));
	col_copy(st, 4, l->rule, sizeof(l->rule));
	l->text = strdup(col_text(st, 5));
	return l->text ? 0 : -ENOMEM;
}

static int vmstat_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_vmstat_delta *v = slot;

	col_copy(st, 0, v->key, sizeof(v->key));
	v->delta = sqlite3_column_int64(st, 1);
	return 0;
}

static int metric_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_metric *m = slot;

	col_copy(st, 0, m->key, sizeof(m->key));
	m->value = sqlite3_column_double(st, 1);
	return 0;
}

static int note_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	char **note = slot;

	*note = strdup(col_text(st, 0));
	return *note ? 0 : -ENOMEM;
}

/* Worker rows are written all or none, so their count is the job's nworkers or 0. */
static int load_children(struct mmt_store *s, int64_t job_id, struct mmt_job_result *j)
{
	int rc, nworkers;

	rc = load_rows(s,
		       "SELECT worker, pid, planned_cpu, planned_core, planned_package,"
		       " planned_node, applied_cpu, applied_core, applied_package, applied_node,"
		       " status, exit_code, term_signal FROM job_workers WHERE job_id = ?"
		       " ORDER BY id",
		       job_id, (void **)&j->workers, &nworkers, sizeof(*j->workers), worker_row);
	if (!rc)
		rc = load_rows(s,
			       "SELECT name, count, sum_ns, min_ns, max_ns, hist, intervals"
			       " FROM job_ops WHERE job_id = ? ORDER BY id",
			       job_id, (void **)&j->ops, &j->nops, sizeof(*j->ops), op_row);
	if (!rc)
		rc = load_rows(s,
			       "SELECT kind, worker, pid, op, err, vclass, addr, t_ns, want_magic,"
			       " want_owner, want_seed, want_gen, want_index, want_check,"
			       " found_magic, found_owner, found_seed, found_gen, found_index,"
			       " found_check, detail FROM failures WHERE job_id = ? ORDER BY id",
			       job_id, (void **)&j->failures, &j->nfailures, sizeof(*j->failures),
			       failure_row);
	if (!rc)
		rc = load_rows(s,
			       "SELECT seq, ts_us, level, verdict, rule, text FROM kmsg"
			       " WHERE job_id = ? ORDER BY id",
			       job_id, (void **)&j->kmsg, &j->nkmsg, sizeof(*j->kmsg), kmsg_row);
	if (!rc)
		rc = load_rows(s, "SELECT key, delta FROM vmstat WHERE job_id = ? ORDER BY id",
			       job_id, (void **)&j->vmstat, &j->nvmstat, sizeof(*j->vmstat),
			       vmstat_row);
	if (!rc)
		rc = load_rows(s, "SELECT key, value FROM metrics WHERE job_id = ? ORDER BY id",
			       job_id, (void **)&j->metrics, &j->nmetrics, sizeof(*j->metrics),
			       metric_row);
	if (!rc)
		rc = load_rows(s, "SELECT text FROM notes WHERE job_id = ? ORDER BY id", job_id,
			       (void **)&j->notes, &j->nnotes, sizeof(*j->notes), note_row);
	return rc;
}

static int read_job_row(sqlite3_stmt *st, struct mmt_job_result *j, int64_t *job_id)
{
	*job_id = sqlite3_column_int64(st, 0);
	j->seq = sqlite3_column_int(st, 1);
	col_copy(st, 2, j->workload, sizeof(j->workload));
	col_copy(st, 3, j->label, sizeof(j->label));
	if (col_dup(st, 4, &j->params_json))
		return -ENOMEM;
	j->repeat = sqlite3_column_int(st, 5);
	j->nworkers = sqlite3_column_int(st, 6);
	col_copy(st, 7, j->placement, sizeof(j->placement));
	j->planned_ns = col_u64(st, 8);
	j->started_ns = col_u64(st, 9);
	j->elapsed_ns = col_u64(st, 10);
	j->interval_ns = col_u64(st, 11);
	j->status = status_parse(col_text(st, 12));
	col_copy(st, 13, j->reason, sizeof(j->reason));
	j->taint_before = col_u64(st, 14);
	j->taint_after = col_u64(st, 15);
	j->failures_dropped = col_u64(st, 16);
	return 0;
}

static int job_row(struct mmt_store *s, sqlite3_stmt *st, void *slot)
{
	struct mmt_job_result *j = slot;
	int64_t job_id;
	int rc;

	rc = read_job_row(st, j, &job_id);
	if (!rc)
		rc = load_children(s, job_id, j);
	return rc;
}

int mmt_store_load_jobs(struct mmt_store *s, int64_t run_id, struct mmt_job_result **jobs,
			int *njobs)
{
	int rc;

	rc = load_rows(s,
		       "SELECT id, seq, workload, label, params_json, repeat, nworkers, placement,"
		       " planned_ns, started_ns, elapsed_ns, interval_ns, status, reason,"
		       " taint_before, taint_after, failures_dropped FROM jobs WHERE run_id = ?"
		       " ORDER BY seq, id",
		       run_id, (void **)jobs, njobs, sizeof(**jobs), job_row);
	if (rc) {
		mmt_job_results_free(*jobs, *njobs);
		*jobs = NULL;
		*njobs = 0;
	}
	return rc;
}

int mmt_store_add_file(struct mmt_store *s, int64_t run_id, const char *name, const void *data,
		       size_t len)
{
	sqlite3_stmt *st;
	int rc = prepare(
		s, &st,
		"INSERT OR REPLACE INTO run_files (run_id, name, content) VALUES (?, ?, ?)");

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 3, len ? data : "", len, SQLITE_STATIC);
	rc = step_done(s, st);
	sqlite3_finalize(st);
	return rc;
}

int mmt_store_load_file(struct mmt_store *s, int64_t run_id, const char *name, char **data,
			size_t *len)
{
	sqlite3_stmt *st;
	const void *p;
	int rc = prepare(s, &st, "SELECT content FROM run_files WHERE run_id = ? AND name = ?");

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		p = sqlite3_column_blob(st, 0);
		*data = malloc(*len + 1);
		if (*data) {
			memcpy(*data, p ? p : "", *len);
			(*data)[*len] = '\0';
		}
		rc = *data ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : fail(s, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

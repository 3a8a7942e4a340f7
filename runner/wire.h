/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The result stream: a run's results on their way out of a QEMU guest (or any
 * machine) over a serial line, a virtio-serial port, the console or a file,
 * and their import into a results store.
 *
 * A stream is a sequence of records: RUN (the run_info), one JOB per job
 * result, END (status, exit code). Each record is compact JSON (the codec below:
 * every field, histograms as their non-empty buckets), cut into chunks of at
 * most MMT_WIRE_CHUNK bytes, each written as one line of its own:
 *
 *   \n@@MMT1 <KIND> <record-no> <part>/<nparts> <fnv1a64> <chunk>\n
 *
 * KIND is RUN, JOB or END; record-no is 0 for RUN and END and the job's seq
 * for JOB; part counts from 1; fnv1a64 is 16 hex digits of FNV-1a 64 over
 * "<KIND> <record-no> <part>/<nparts> " followed by the chunk (the header is
 * covered too, so a damaged number cannot put a good chunk in the wrong place).
 * A chunk never holds '@' (the JSON writes it as \u0040), so "@@MMT1 " always
 * starts a frame.
 *
 * The reader finds "@@MMT1 " anywhere in a line (after a shell prompt, an
 * escape sequence, half a kernel message), strips trailing \r, verifies each
 * chunk, ignores exact duplicates, and reassembles a record once all its parts
 * are there; a record with a part missing or damaged is dropped and reported.
 * Everything else in the stream is ignored. A file may hold several runs one
 * after the other (a stream opened for appending).
 */
#ifndef MMT_WIRE_H
#define MMT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "store.h"

#define MMT_WIRE_MAGIC "@@MMT1 "
#define MMT_WIRE_CHUNK 900 /* JSON bytes per frame; a frame line is under 1 KiB */

enum mmt_wire_kind { MMT_WIRE_RUN, MMT_WIRE_JOB, MMT_WIRE_END, MMT_WIRE__NKINDS };

const char *mmt_wire_kind_name(int kind);

/* ---- codec: one record's JSON text ------------------------------------- */

/* Compact JSON, malloc'ed into *json. -ENOMEM. */
int mmt_wire_encode_run(const struct mmt_run_info *ri, char **json);
int mmt_wire_encode_job(const struct mmt_job_result *j, char **json);
/* finished_ns 0: not given; njobs: the JOB records the stream carried. */
int mmt_wire_encode_end(const char *status, int exit_code, uint64_t finished_ns, int njobs,
			char **json);

/*
 * Decode into *ri / *j (overwritten; free with the result.h _free()s). On
 * error nothing is left allocated and -EINVAL comes with err saying which
 * field is wrong; no length, index or name in the input is trusted.
 */
int mmt_wire_decode_run(const char *json, size_t len, struct mmt_run_info *ri, char *err,
			size_t errlen);
int mmt_wire_decode_job(const char *json, size_t len, struct mmt_job_result *j, char *err,
			size_t errlen);
struct mmt_wire_end {
	char status[16]; /* "complete", "interrupted" or "incomplete" */
	int exit_code;
	uint64_t finished_ns; /* 0 if not given */
	int njobs; /* -1 if not given */
};
int mmt_wire_decode_end(const char *json, size_t len, struct mmt_wire_end *e, char *err,
			size_t errlen);

/* ---- framing ------------------------------------------------------------ */

/* The frames of one record's JSON text, appended to *buf (malloc'ed, *len grows). */
int mmt_wire_frame(int kind, uint32_t recno, const char *json, size_t jlen, char **buf,
		   size_t *len);

/*
 * Open a stream for writing: a regular file (created, appended to), a
 * character device (a tty is set CLOCAL so a serial port never waits for a
 * carrier) or a FIFO; anything else is -EINVAL. Non-blocking: a write that cannot go on for
 * MMT_WIRE_STALL_MS fails with -ETIMEDOUT instead of hanging the run. fd or -errno.
 */
#define MMT_WIRE_STALL_MS 20000
int mmt_wire_open(const char *path);

/*
 * Write one record; each frame goes out in one write(). Afterwards the data is
 * pushed towards the other side (fdatasync of a file, tcdrain of a tty), so a
 * guest that dies in the next job has already handed this one over. -errno.
 */
int mmt_wire_write_run(int fd, const struct mmt_run_info *ri);
int mmt_wire_write_job(int fd, const struct mmt_job_result *j);
int mmt_wire_write_end(int fd, const char *status, int exit_code, uint64_t finished_ns, int njobs);

/* ---- reading ------------------------------------------------------------ */

/* Records that did not make it: KIND, number (count of them from recno on) and why. */
struct mmt_wire_drop {
	int kind;
	uint32_t recno;
	uint32_t count; /* 1, or a run of JOB numbers of which no frame arrived */
	char why[200];
};

/*
 * One run read from a stream. Everything is malloc'ed and the caller may edit
 * it before storing (add a failure to a job, add a job the guest never
 * reported: mmt_wire_add_job); mmt_wire_free() frees what it holds then.
 */
struct mmt_wire {
	int have_run; /* the RUN record arrived */
	struct mmt_run_info ri;
	int njobs;
	struct mmt_job_result *jobs; /* in seq order */
	int have_end; /* the END record arrived */
	struct mmt_wire_end end;
	uint64_t good_frames; /* verified, including duplicates */
	uint64_t dup_frames; /* exact repeats of a frame already seen */
	uint64_t bad_frames; /* "@@MMT1 " lines that did not verify */
	uint64_t dropped_records; /* records lost: a part missing or damaged, bad JSON, */
	int ndropped; /* or a JOB number skipped over (no frame at all) */
	struct mmt_wire_drop *dropped;
};

/*
 * Parse a stream of exactly one run (a stream without any frame gives an empty
 * *out with have_run 0). A stream of several runs is -EINVAL; see _parse_all.
 * Damaged frames and lost records are not errors: they are counted and listed
 * in *out. -ENOMEM, -EINVAL with err.
 */
int mmt_wire_parse(const char *buf, size_t len, struct mmt_wire *out, char *err, size_t errlen);
/* Every run in the stream, in order; *runs is malloc'ed (free: mmt_wire_free_all). */
int mmt_wire_parse_all(const char *buf, size_t len, struct mmt_wire **runs, int *nruns, char *err,
		       size_t errlen);
void mmt_wire_free(struct mmt_wire *w);
void mmt_wire_free_all(struct mmt_wire *runs, int nruns);

/* Insert a job (taken over: *j is zeroed) in seq order; replaces one of the same seq. */
int mmt_wire_add_job(struct mmt_wire *w, struct mmt_job_result *j);

struct mmt_wire_import_opts {
	int guest; /* mark the run as run inside a guest */
	const char *tag; /* replace the run's tag; NULL keeps it */
};

/*
 * Store a parsed run as a new run, in one transaction: the run row, every job,
 * and its end: END's status, exit code and time, or "incomplete" (exit code
 * and end time unknown) when END never arrived. A run whose uuid is in the
 * store already is refused with -EEXIST and *run_id set to it, and nothing is
 * written. -EINVAL without a RUN record; other -errno from the store (err says).
 */
int mmt_wire_store(struct mmt_store *s, const struct mmt_wire *w,
		   const struct mmt_wire_import_opts *o, int64_t *run_id, char *err, size_t errlen);

#endif

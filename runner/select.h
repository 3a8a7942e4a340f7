/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run selectors: which stored runs a command looks at, and how they are
 * grouped into series (plot) or sides (compare).
 *
 * A selector (SEL) is one command-line word of KEY=VALUE terms joined by
 * commas; a comma-separated piece without '=' is one more value of the term
 * before it. Values of one term are alternatives (OR), terms must all hold
 * (AND), and KEY!=VALUE negates a term:
 *
 *   run=3,5-7                  runs 3, 5, 6 and 7
 *   kernel=6.1*,6.12*,arch=x86_64
 *   tag=nightly,guest=0        host runs tagged nightly
 *   tag!=baseline,last=10      the ten latest runs, less those tagged baseline
 *
 * Keys: run (ids, ranges N-M, latest), last (the N latest runs), uuid (a
 * prefix), kernel (kernel release), arch, tag, host (hostname), profile (its
 * path), guest (0|1), status (complete|incomplete|interrupted). kernel, arch,
 * tag, host and profile take globs (* ? [...], case-sensitive, as SQLite's
 * GLOB). since and until (one value each) bound the run's start time,
 * YYYY-MM-DD[THH:MM[:SS]] in UTC: since from that instant on, until through the
 * whole day, minute or second named. A value cannot hold ',' or '='.
 *
 * A parsed selector becomes an SQL boolean expression over the runs table's
 * columns with '?' placeholders and the values to bind, or the list of run ids
 * it selects.
 */
#ifndef MMT_SELECT_H
#define MMT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "store.h"

struct mmt_sel;
struct sqlite3_stmt;

/* "run, last, uuid, kernel, arch, tag, host, profile, guest, status, since, until" */
extern const char mmt_sel_keys[];

/* -EINVAL with err naming the bad piece and what is valid there. */
int mmt_sel_parse(const char *text, struct mmt_sel **sel, char *err, size_t errlen);
void mmt_sel_free(struct mmt_sel *sel);
/* The selector as it was written: a series' or a side's name. */
const char *mmt_sel_text(const struct mmt_sel *sel);

/*
 * The selector as an SQL expression over the runs table, columns prefixed with
 * alias ("r" -> "r.id"; NULL or "" for none), e.g.
 * "((r.id = ? OR r.id BETWEEN ? AND ?) AND r.kernel_release GLOB ?)".
 * Its parameters are bound, from index first on, by mmt_sel_bind(), which
 * returns the next free index. -ENOSPC if buf is too small.
 */
int mmt_sel_where(const struct mmt_sel *sel, const char *alias, char *buf, size_t len);
int mmt_sel_bind(const struct mmt_sel *sel, struct sqlite3_stmt *st, int first);

/* The ids of the runs sel selects (every run if sel is NULL), ascending. Caller frees. */
int mmt_sel_runs(struct mmt_store *s, const struct mmt_sel *sel, int64_t **ids, int *n);

/*
 * Grouping: runs with equal fields fall in one group, named by the fields'
 * values joined with '/' ("6.1.0-56-amd64/x86_64"). sel: the selector the run
 * came through.
 */
enum mmt_sel_by {
	MMT_BY_SEL = 1 << 0,
	MMT_BY_RUN = 1 << 1,
	MMT_BY_KERNEL = 1 << 2,
	MMT_BY_ARCH = 1 << 3,
	MMT_BY_TAG = 1 << 4,
	MMT_BY_HOST = 1 << 5,
	MMT_BY_GUEST = 1 << 6,
};

/* "sel, run, kernel, arch, tag, host, guest" */
extern const char mmt_sel_by_names[];

/* "kernel,arch" -> MMT_BY_KERNEL | MMT_BY_ARCH. -EINVAL with err listing the fields. */
int mmt_sel_parse_by(const char *text, unsigned *by, char *err, size_t errlen);
void mmt_sel_group_name(unsigned by, const char *sel, int64_t run_id, const struct mmt_run_info *ri,
			char *buf, size_t len);

#endif

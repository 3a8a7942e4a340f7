/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run selectors: which stored runs make one side of a comparison.
 *
 * A selector is terms joined by ',' or '+', every term must hold:
 *   kernel=GLOB  arch=GLOB  tag=GLOB  host=GLOB     (fnmatch globs on the run's record)
 *   run=ID[-ID]  since=DATE  until=DATE  guest=0|1  last=N  latest
 * A term takes several values separated by ',' (any one may match): a ','-piece
 * without '=' continues the term before it, so "run=3,5-7,arch=x86_64" is two
 * terms, and a '+' splits only before "KEY=", so a release such as
 * 6.12.117+deb12-amd64 stays whole. DATE is YYYY-MM-DD[THH:MM[:SS]] in UTC;
 * since= is inclusive, until= a bare date takes in that whole day. last=N keeps
 * the N newest runs that match everything else; latest is last=1.
 */
#ifndef MMT_SELECT_H
#define MMT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The terms, for error messages and --help. */
#define MMT_SEL_TERMS                                                                              \
	"kernel=GLOB, arch=GLOB, tag=GLOB, host=GLOB, run=ID[-ID][,...], since=DATE, until=DATE, " \
	"guest=0|1, last=N, latest"

struct mmt_sel;

/* -EINVAL with err naming the bad term or value and the valid ones; -ENOMEM. */
int mmt_sel_parse(const char *text, struct mmt_sel **sel, char *err, size_t errlen);
void mmt_sel_free(struct mmt_sel *sel);
/* The text it was parsed from. */
const char *mmt_sel_text(const struct mmt_sel *sel);

/*
 * The ids of the runs sel picks, ascending, in *ids (caller frees). -ENOENT
 * when none does, with err saying what the store holds (kernels, arches, tags,
 * run ids); other -errno for the store.
 */
int mmt_sel_runs(struct mmt_store *s, const struct mmt_sel *sel, int64_t **ids, int *n, char *err,
		 size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMT_MAIN_H
#define MMT_MAIN_H

#include <stddef.h>

/* results/mmtorture.db, or $MMTORTURE_DB. */
const char *mmt_default_db(void);
/* mkdir -p of the directory holding path (the database's); 0 or -errno. */
int mmt_mkdir_parents(const char *path);
/* mkdir -p; 0 or -errno. */
int mmt_mkdir_p(const char *dir);
/* profiles/NAME.ini: ./profiles, then the installed and source trees. 0 or -ENOENT. */
int mmt_find_profile(const char *name, char *path, size_t len);
/* mmtorture-worker: $MMTORTURE_WORKER, beside this binary, or installed; -ENOENT. */
int mmt_find_worker(char *path, size_t len);
/* A random (version 4) UUID as text. */
void mmt_uuid(char *buf, size_t len);
/* "mmtorture ARGS..." (malloc'ed), as a run records its command line. */
char *mmt_join_argv(int argc, char **argv);

#endif

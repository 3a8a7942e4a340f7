/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The safety journal: every sysfs/sysctl value the suite changes is written
 * through mmt_sysfs_write(), which first appends the old value to a journal
 * file (fsync'ed) and only then writes the new one. mmt_journal_restore() puts
 * the old values back, newest change first, so a path changed twice ends at
 * its original value. The file stays (empty) when nothing is pending; it is
 * locked while a run owns it so a second instance cannot restore a live run's
 * settings underneath it.
 *
 * Format, a line per change: "<path>\t<old value>\n" (the value never holds a
 * tab or newline: sysfs attributes are one token).
 */
#ifndef MMT_JOURNAL_H
#define MMT_JOURNAL_H

#include <limits.h>
#include <stddef.h>

struct mmt_journal {
	char path[PATH_MAX];
	int fd;
};

/* Open (create) and lock; -EWOULDBLOCK when another process holds it. */
int mmt_journal_open(struct mmt_journal *j, const char *path);
void mmt_journal_close(struct mmt_journal *j);
/* Number of pending entries, or -errno. */
int mmt_journal_pending(struct mmt_journal *j);
/*
 * Write every saved value back, newest first, then empty the journal. Returns
 * the number restored, or the first -errno (the others are still tried; the
 * journal is kept when any failed so the next start tries again).
 */
int mmt_journal_restore(struct mmt_journal *j);
/* Save the current value (once per path until restored), then write value. */
int mmt_sysfs_write(struct mmt_journal *j, const char *path, const char *value);
/*
 * Only save the current value: for attributes a worker process will write
 * later (memory block or CPU online state), so that the runner, which owns the
 * journal, puts them back whatever happens to the worker.
 */
int mmt_journal_save(struct mmt_journal *j, const char *path);

/* Read an attribute, without the trailing newline. */
int mmt_sysfs_read(const char *path, char *buf, size_t len);
/*
 * The value to write back for an attribute that lists choices with the current
 * one in brackets ("always [madvise] never" -> "madvise"); other values are
 * copied.
 */
int mmt_sysfs_current(const char *raw, char *out, size_t len);

#endif

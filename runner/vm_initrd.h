/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's initramfs: a gzip'd newc cpio (what every kernel unpacks) written
 * with libarchive from a list of files, inline texts and symlinks.
 */
#ifndef MMT_VM_INITRD_H
#define MMT_VM_INITRD_H

#include <stddef.h>

struct mmt_initrd_entry {
	const char *path; /* in the guest, without the leading slash */
	const char *src; /* a host file to copy, or NULL */
	const char *data; /* inline content when src is NULL */
	const char *link; /* a symlink's target, when both are NULL */
	unsigned mode; /* permission bits */
	int unpack; /* src may be compressed (.ko.xz, .ko.zst): store it decompressed */
};

/* Parent directories are added as needed. -errno with err naming the file. */
int mmt_initrd_write(const char *out, const struct mmt_initrd_entry *e, int n, char *err,
		     size_t errlen);

#endif

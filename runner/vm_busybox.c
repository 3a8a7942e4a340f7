// SPDX-License-Identifier: GPL-2.0
/*
 * A static busybox for a guest of another architecture: Debian's
 * busybox-static of that arch, downloaded through the cache's private apt
 * state and unpacked (nothing installed), kept as CACHE/busybox/DEBARCH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "vm_internal.h"

#define DPKG_MS 60000

static int unpack(struct mmt_apt *a, const char *dir, const char *bin, char *err, size_t errlen)
{
	char deb[PATH_MAX], tmp[PATH_MAX + 16], from[PATH_MAX + 32];
	const char *argv[] = {"dpkg-deb", "-x", deb, tmp, NULL};
	struct mmt_deb d;
	int r;

	r = mmt_apt_show(a, "busybox-static", &d, err, errlen);
	if (r == -ENOENT && mmt_apt_update(a, err, errlen) >= 0)
		r = mmt_apt_show(a, "busybox-static", &d, err, errlen);
	if (r)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", dir, (int)getpid());
	mmt_rm_rf(tmp);
	r = mmt_mkdir_p(tmp);
	if (!r)
		r = mmt_apt_download(a, "busybox-static", tmp, deb, sizeof(deb), err, errlen);
	if (!r)
		r = mmt_proc_simple(argv, DPKG_MS, err, errlen) ? -EIO : 0;
	snprintf(from, sizeof(from), "%s/bin/busybox", tmp);
	if (!r && access(from, X_OK))
		r = -ENOENT;
	if (!r && (mmt_mkdir_p(dir) || rename(from, bin)))
		r = -errno;
	mmt_rm_rf(tmp);
	if (r && !*err)
		snprintf(err, errlen, "busybox-static (%s): %s", a->debarch, strerror(-r));
	return r;
}

int mmt_busybox_fetch(const char *cache, const char *debarch, char *bin, size_t len, char *err,
		      size_t errlen)
{
	struct mmt_apt a;
	char dir[PATH_MAX];
	int r;

	if (errlen)
		err[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/busybox/%s", cache, debarch);
	snprintf(bin, len, "%s/busybox", dir);
	if (!access(bin, X_OK))
		return 0;
	r = mmt_apt_open(cache, debarch, &a, err, errlen);
	if (r)
		return r;
	/* Another fetch may have made it while we waited for the lock. */
	r = access(bin, X_OK) ? unpack(&a, dir, bin, err, errlen) : 0;
	mmt_apt_close(&a);
	return r;
}

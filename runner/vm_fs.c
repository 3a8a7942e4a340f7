// SPDX-License-Identifier: GPL-2.0
/* Files for the kernel cache: trees removed, directories made, files copied. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_internal.h"

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_DP)
		return rmdir(path) ? -errno : 0;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

int mmt_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? -errno : 0;
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

int mmt_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out, r = 0;
	struct stat st;
	off_t off = 0;

	if (in < 0)
		return -errno;
	if (fstat(in, &st)) {
		r = -errno;
		close(in);
		return r;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while (off < st.st_size && !r) {
		ssize_t n = sendfile(out, in, &off, st.st_size - off);

		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n == 0)
			r = -EIO; /* the file shrank under us */
	}
	close(in);
	if (close(out) && !r)
		r = -errno;
	return r;
}

static uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path, (void)ftw;
	if (type == FTW_F)
		du_total += st->st_size;
	return 0;
}

uint64_t mmt_du(const char *path)
{
	du_total = 0;
	nftw(path, du_one, 32, FTW_PHYS);
	return du_total;
}

int mmt_system_map_real(const char *path)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen(path, "re");

	while (f && lines < 2 && fgets(line, sizeof(line), f))
		if (!strstr(line, "-dbg package"))
			lines++;
	if (f)
		fclose(f);
	return lines >= 2;
}

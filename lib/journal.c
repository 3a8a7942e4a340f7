// SPDX-License-Identifier: GPL-2.0
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far above any real use (a line per block or CPU), so a restore is never refused. */
#define MMT_JOURNAL_MAX (16 * 1024 * 1024)

int mmt_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int mmt_sysfs_current(const char *raw, char *out, size_t len)
{
	const char *l = strchr(raw, '['), *r = l ? strchr(l, ']') : NULL;
	size_t n;

	if (!l || !r) {
		n = strlen(raw);
		l = raw - 1;
	} else {
		n = (size_t)(r - l - 1);
	}
	if (n + 1 > len)
		return -ENOSPC;
	memcpy(out, l + 1, n);
	out[n] = '\0';
	return 0;
}

int mmt_journal_open(struct mmt_journal *j, const char *path)
{
	if (strlen(path) >= sizeof(j->path))
		return -ENAMETOOLONG;
	strcpy(j->path, path);
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return -errno;
	if (flock(j->fd, LOCK_EX | LOCK_NB)) {
		int r = -errno;

		close(j->fd);
		j->fd = -1;
		return r;
	}
	return 0;
}

void mmt_journal_close(struct mmt_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

/* The whole journal, NUL-terminated; caller frees. */
static int journal_slurp(struct mmt_journal *j, char **out, size_t *len)
{
	struct stat st;
	ssize_t n;
	char *buf;

	if (fstat(j->fd, &st))
		return -errno;
	if (st.st_size > MMT_JOURNAL_MAX)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = pread(j->fd, buf, (size_t)st.st_size, 0);
	if (n < 0) {
		free(buf);
		return -errno;
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* Is path already saved? Then its original value is safe and must stay first. */
static int journal_has(const char *buf, const char *path)
{
	size_t pl = strlen(path);
	const char *p = buf;

	while (*p) {
		if (!strncmp(p, path, pl) && p[pl] == '\t')
			return 1;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return 0;
}

int mmt_journal_pending(struct mmt_journal *j)
{
	char *buf;
	size_t len, i;
	int n = 0, r = journal_slurp(j, &buf, &len);

	if (r)
		return r;
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	free(buf);
	return n;
}

static int write_value(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	/* O_TRUNC: as a shell's '>' does; sysfs and procfs ignore it, plain files need it. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static int journal_append(struct mmt_journal *j, const char *path, const char *old)
{
	char line[PATH_MAX + 512];
	int n = snprintf(line, sizeof(line), "%s\t%s\n", path, old);

	if (n < 0 || (size_t)n >= sizeof(line) || strchr(old, '\n') || strchr(old, '\t'))
		return -EINVAL;
	if (write(j->fd, line, (size_t)n) != n)
		return -EIO;
	return fsync(j->fd) ? -errno : 0;
}

int mmt_journal_save(struct mmt_journal *j, const char *path)
{
	char raw[512], old[512], *buf;
	size_t len;
	int r, has;

	r = mmt_sysfs_read(path, raw, sizeof(raw));
	if (r < 0)
		return r;
	r = mmt_sysfs_current(raw, old, sizeof(old));
	if (r)
		return r;
	r = journal_slurp(j, &buf, &len);
	if (r)
		return r;
	has = journal_has(buf, path);
	free(buf);
	return has ? 0 : journal_append(j, path, old);
}

int mmt_sysfs_write(struct mmt_journal *j, const char *path, const char *value)
{
	int r = mmt_journal_save(j, path);

	return r ? r : write_value(path, value);
}

int mmt_journal_restore(struct mmt_journal *j)
{
	char *buf, *line, *tab;
	size_t len;
	int r, first = 0, done = 0;

	r = journal_slurp(j, &buf, &len);
	if (r)
		return r;
	/* A torn last line was never acted on: the write follows the fsync. */
	while (len > 0 && buf[len - 1] != '\n')
		len--;
	/* Newest first: walk lines from the end. */
	while (len > 0) {
		buf[len - 1] = '\0'; /* the newline */
		line = strrchr(buf, '\n');
		line = line ? line + 1 : buf;
		len = (size_t)(line - buf);
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		r = write_value(line, tab + 1);
		if (r && !first)
			first = r;
		done += !r;
	}
	free(buf);
	if (first)
		return first;
	if (ftruncate(j->fd, 0))
		return -errno;
	(void)fsync(j->fd);
	return done;
}

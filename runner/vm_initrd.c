// SPDX-License-Identifier: GPL-2.0
#include "vm_initrd.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DIRS 256

struct writer {
	struct archive *a;
	char *dirs[MAX_DIRS]; /* already written */
	int ndirs;
	char *err;
	size_t errlen;
};

static int fail(struct writer *w, int r, const char *what, const char *path)
{
	snprintf(w->err, w->errlen, "%s %s: %s", what, path,
		 w->a && archive_error_string(w->a) ? archive_error_string(w->a) : strerror(-r));
	return r;
}

static int header(struct writer *w, const char *path, unsigned type, unsigned mode, size_t size,
		  const char *link)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	if (link)
		archive_entry_set_symlink(e, link);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : fail(w, -EIO, "writing", path);
}

/* Each parent of path once, shallowest first: cpio has no implicit dirs. */
static int parents(struct writer *w, const char *path)
{
	char buf[4096];
	char *p;
	int i, r, seen;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strchr(buf, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		for (seen = 0, i = 0; i < w->ndirs && !seen; i++)
			seen = !strcmp(w->dirs[i], buf);
		if (!seen) {
			if (w->ndirs == MAX_DIRS)
				return fail(w, -E2BIG, "too many directories at", buf);
			w->dirs[w->ndirs++] = strdup(buf);
			r = header(w, buf, AE_IFDIR, 0755, 0, NULL);
			if (r)
				return r;
		}
		*p = '/';
	}
	return 0;
}

/* The whole of a host file, decompressed through libarchive's filters when asked. */
static int slurp(const char *path, int unpack, char **out, size_t *len)
{
	struct archive *a;
	struct archive_entry *e;
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	la_ssize_t got;
	int r = -EIO;

	a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_format_raw(a);
	if (unpack)
		archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = errno ? -errno : -EIO;
		goto out;
	}
	for (;;) {
		if (cap - n < 1 << 16) {
			cap = cap ? cap * 2 : 1 << 20;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		got = archive_read_data(a, buf + n, cap - n);
		if (got < 0)
			goto out;
		if (!got)
			break;
		n += (size_t)got;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	archive_read_free(a);
	return r;
}

static int entry(struct writer *w, const struct mmt_initrd_entry *e)
{
	char *buf = NULL;
	const char *data = e->data;
	size_t len = data ? strlen(data) : 0;
	int r;

	r = parents(w, e->path);
	if (r)
		return r;
	if (!e->src && !e->data)
		return header(w, e->path, AE_IFLNK, 0777, 0, e->link);
	if (e->src) {
		r = slurp(e->src, e->unpack, &buf, &len);
		if (r)
			return fail(w, r, "reading", e->src);
		data = buf;
	}
	r = header(w, e->path, AE_IFREG, e->mode, len, NULL);
	if (!r && len && archive_write_data(w->a, data, len) != (la_ssize_t)len)
		r = fail(w, -EIO, "writing", e->path);
	free(buf);
	return r;
}

int mmt_initrd_write(const char *out, const struct mmt_initrd_entry *e, int n, char *err,
		     size_t errlen)
{
	struct writer w = {.err = err, .errlen = errlen};
	int i, r = 0;

	w.a = archive_write_new();
	if (!w.a)
		return -ENOMEM;
	if (archive_write_set_format_cpio_newc(w.a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(w.a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(w.a, "gzip", "compression-level", "1") != ARCHIVE_OK ||
	    archive_write_open_filename(w.a, out) != ARCHIVE_OK)
		r = fail(&w, -EIO, "creating", out);
	for (i = 0; !r && i < n; i++)
		r = entry(&w, &e[i]);
	if (archive_write_close(w.a) != ARCHIVE_OK && !r)
		r = fail(&w, -EIO, "finishing", out);
	archive_write_free(w.a);
	for (i = 0; i < w.ndirs; i++)
		free(w.dirs[i]);
	return r;
}

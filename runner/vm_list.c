// SPDX-License-Identifier: GPL-2.0
/* The cached kernels: listed, and found by SPEC or path for a guest boot. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vm_internal.h"

static int by_release(const void *a, const void *b)
{
	return strverscmp(((const struct mmt_kernel *)a)->release,
			  ((const struct mmt_kernel *)b)->release);
}

int mmt_kernel_list(const char *cache, struct mmt_kernel **ks, size_t *n)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct mmt_kernel *v = NULL, *nv;
	struct dirent *e;
	size_t cnt = 0;
	DIR *d;

	*ks = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/kernels", cache);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* A leading dot is a fetch in progress (or one that died): never a kernel. */
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!mmt_kernel_load(path, &v[cnt]))
			cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_release);
	*ks = v;
	*n = cnt;
	return 0;
}

/* A kernel directory, or its meta.json. */
static int load_path(const char *what, struct mmt_kernel *k, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	size_t n;
	int r;

	snprintf(dir, sizeof(dir), "%s", what);
	n = strlen(dir);
	if (n > 10 && !strcmp(dir + n - 10, "/meta.json"))
		dir[n - 10] = '\0';
	r = mmt_kernel_load(dir, k);
	if (r)
		snprintf(err, errlen, "%s: %s", what,
			 r == -ENOENT	 ? "no meta.json: not a cached kernel directory"
			 : r == -EBADMSG ? "meta.json does not parse"
					 : strerror(-r));
	return r;
}

/* X.Y-FLAVOUR among what is cached: the newest release of that series. */
static int newest_cached(const char *cache, const struct mmt_kspec *ks, struct mmt_kernel *k)
{
	struct mmt_kernel *v;
	size_t n, i, sl = strlen(ks->series);
	int r = mmt_kernel_list(cache, &v, &n), found = -1;

	if (r)
		return r;
	for (i = 0; i < n; i++)
		if (!strncmp(v[i].release, ks->series, sl) && v[i].release[sl] == '.' &&
		    !strcmp(v[i].flavour, ks->flavour->name))
			found = (int)i;
	if (found >= 0)
		*k = v[found];
	free(v);
	return found >= 0 ? 0 : -ENOENT;
}

int mmt_kernel_resolve(const char *cache, const char *what, const struct mmt_fetch_opts *o,
		       struct mmt_kernel *k, char *err, size_t errlen)
{
	struct mmt_kspec ks;
	char dir[PATH_MAX];
	struct stat st;
	int r;

	err[0] = '\0';
	if (strchr(what, '/') || (!stat(what, &st) && S_ISDIR(st.st_mode)))
		return load_path(what, k, err, errlen);
	if (o && (o->flags & MMT_RESOLVE_FETCH)) {
		r = mmt_kernel_fetch(cache, what, o, k, err, errlen);
		return r > 0 ? 0 : r;
	}
	r = mmt_kspec_parse(what, &ks, err, errlen);
	if (r)
		return r;
	if (ks.kind == MMT_KSPEC_NEWEST)
		r = newest_cached(cache, &ks, k);
	else if (snprintf(dir, sizeof(dir), "%s/kernels/%s", cache, ks.release) >= (int)sizeof(dir))
		r = -ENAMETOOLONG;
	else
		r = mmt_kernel_load(dir, k);
	if (r == -ENOENT)
		snprintf(err, errlen,
			 "%s is not in the cache %s; `mmtorture vm fetch %s` fetches it", what,
			 cache, what);
	else if (r)
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
	return r;
}

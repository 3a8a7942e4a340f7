// SPDX-License-Identifier: GPL-2.0
/* Where things are: the results database and the shipped profiles. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/random.h>

#include "clock.h"
#include "config.h"
#include "main.h"

const char *mmt_default_db(void)
{
	const char *db = getenv("MMTORTURE_DB");

	return db && *db ? db : "results/mmtorture.db";
}

int mmt_find_profile(const char *name, char *path, size_t len)
{
	const char *const dirs[] = {"profiles", MMT_DATADIR "/profiles",
				    MMT_SOURCE_DIR "/profiles"};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, len, "%s/%s.ini", dirs[i], name);
		if (!access(path, R_OK))
			return 0;
	}
	return -ENOENT;
}

int mmt_mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int mmt_mkdir_parents(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	return mmt_mkdir_p(dir);
}

/*
 * mmtorture-worker: $MMTORTURE_WORKER ("inproc": none, workers stay forks of
 * the runner), else beside this executable (a build tree), else the installed
 * one. -ENOENT when there is none; -EACCES when the variable names a file
 * that cannot run.
 */
int mmt_find_worker(char *path, size_t len)
{
	const char *env = getenv("MMTORTURE_WORKER");
	char self[4096];
	ssize_t n;
	char *slash;

	if (env && *env) {
		if (!strcmp(env, "inproc"))
			return -ENOENT;
		snprintf(path, len, "%s", env);
		return access(path, X_OK) ? -EACCES : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, len, "%s/mmtorture-worker", self);
			if (!access(path, X_OK))
				return 0;
		}
	}
	snprintf(path, len, "%s/mmtorture-worker", MMT_LIBEXECDIR);
	return access(path, X_OK) ? -ENOENT : 0;
}

/* A random (version 4) UUID, as text. */
void mmt_uuid(char *buf, size_t len)
{
	unsigned char b[16];
	int i, n = 0;

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		for (i = 0; i < 16; i++)
			b[i] = (unsigned char)(mmt_mono_ns() >> (i % 8));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++)
		n += snprintf(buf + n, len - (size_t)n, "%s%02x",
			      (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", b[i]);
}

/* "mmtorture" and the arguments, space-separated, for the record; NULL without memory. */
char *mmt_join_argv(int argc, char **argv)
{
	size_t len = 16;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	strcpy(s, "mmtorture");
	for (i = 0; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

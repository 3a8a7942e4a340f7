// SPDX-License-Identifier: GPL-2.0
/*
 * A private apt state per Debian architecture, so that a foreign index (which
 * can fail to update) never touches the system's apt or dpkg state:
 *
 *   CACHE/apt/DEBARCH/apt.conf        APT_CONFIG: the system's Acquire settings
 *                                     (proxies, validity checks) and our Dir::*;
 *                                     no system apt.conf.d, so none of its hooks
 *                     sources.list    the system's Debian sources, main only
 *                     status          empty: nothing is installed here
 *                     state/ cache/   lists and archives
 *                     updated         stamp of the last good `apt-get update`
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decomp.h"
#include "proc.h"
#include "vm_internal.h"

#define APT_UPDATE_MS (300 * 1000)
#define APT_QUERY_MS (120 * 1000)
#define APT_DOWNLOAD_MS (900 * 1000)
#define APT_LOCK_MS (1800 * 1000)
#define KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

static int apt_path(const struct mmt_apt *a, char *buf, size_t len, const char *name)
{
	return snprintf(buf, len, "%s/%s", a->dir, name) >= (int)len ? -ENAMETOOLONG : 0;
}

/* Wait for the lock, bounded: a holder is itself bounded by its tools' timeouts. */
static int apt_lock(struct mmt_apt *a)
{
	char path[PATH_MAX + 8];
	int waited = 0;

	apt_path(a, path, sizeof(path), "lock");
	a->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (a->lockfd < 0)
		return -errno;
	while (flock(a->lockfd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (waited >= APT_LOCK_MS)
			return -EWOULDBLOCK;
		if (mmt_proc_interrupted)
			return -EINTR;
		usleep(200 * 1000);
		waited += 200;
	}
	return 0;
}

int mmt_apt_open(const char *cache, const char *debarch, struct mmt_apt *a, char *err,
		 size_t errlen)
{
	static const char *const sub[] = {"", "/parts", "/sourceparts", "/state/lists/partial",
					  "/cache/archives/partial"};
	char path[PATH_MAX + 32];
	size_t i;
	int r, fd;

	memset(a, 0, sizeof(*a));
	a->lockfd = -1;
	a->debarch = debarch;
	if (snprintf(a->dir, sizeof(a->dir), "%s/apt/%s", cache, debarch) >= (int)sizeof(a->dir))
		return -ENAMETOOLONG;
	snprintf(a->env, sizeof(a->env), "APT_CONFIG=%s/apt.conf", a->dir);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", a->dir, sub[i]);
		r = mmt_mkdir_p(path);
		if (r) {
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			return r;
		}
	}
	snprintf(path, sizeof(path), "%s/status", a->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	r = apt_lock(a);
	if (r)
		snprintf(err, errlen, "%s/lock: %s", a->dir,
			 r == -EWOULDBLOCK ? "another fetch holds it" : strerror(-r));
	return r;
}

void mmt_apt_close(struct mmt_apt *a)
{
	if (a->lockfd >= 0)
		close(a->lockfd);
	a->lockfd = -1;
}

long mmt_apt_age(const struct mmt_apt *a)
{
	char path[PATH_MAX + 16];
	struct stat st;

	apt_path(a, path, sizeof(path), "updated");
	if (stat(path, &st))
		return -1;
	return (long)(time(NULL) - st.st_mtime);
}

/* An apt tool on our state; its exit status, with stderr's tail in err. */
static int apt_run(struct mmt_apt *a, const char *const *argv, const char *cwd, int64_t ms,
		   char *out, size_t outlen, char *err, size_t errlen)
{
	const char *env[] = {a->env, "LC_ALL=C", NULL};
	struct mmt_proc p = {.argv = argv,
			     .cwd = cwd,
			     .env = env,
			     .timeout_ms = ms,
			     .out = out,
			     .outlen = outlen,
			     .err = err,
			     .errlen = errlen};
	int r = mmt_proc_run(&p);

	if (r == -ETIMEDOUT)
		snprintf(err, errlen, "%s %s: no answer in %lld s", argv[0], argv[1],
			 (long long)ms / 1000);
	else if (r == -EINTR)
		snprintf(err, errlen, "%s %s: interrupted", argv[0], argv[1]);
	else if (r == 127)
		snprintf(err, errlen, "%s not found: install apt", argv[0]);
	return r;
}

/* One "REPO SUITE" per line: the system's Debian sources, or deb.debian.org's. */
static int debian_sources(struct mmt_apt *a, char *out, size_t len)
{
	static const char *const argv[] = {"apt-get",
					   "indextargets",
					   "--format",
					   "$(REPO_URI) $(RELEASE) $(COMPONENT)",
					   "Origin: Debian",
					   "Identifier: Packages",
					   NULL};
	struct mmt_proc p = {.argv = argv, .timeout_ms = APT_QUERY_MS, .out = out, .outlen = len};
	char codename[64] = "", line[256];
	FILE *f;

	if (mmt_proc_run(&p) == 0 && strstr(out, " main"))
		return 0;
	/* The system has never updated its own index: Debian's own mirrors, its codename. */
	f = fopen("/etc/os-release", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VERSION_CODENAME=%63[a-z]", codename) == 1)
			break;
	if (f)
		fclose(f);
	if (!*codename)
		return -ENOENT;
	snprintf(out, len,
		 "http://deb.debian.org/debian/ %s main\nhttp://deb.debian.org/debian/ %s-updates "
		 "main\nhttp://deb.debian.org/debian-security/ %s-security main\n",
		 codename, codename, codename);
	return 0;
}

static int write_sources(struct mmt_apt *a, char *err, size_t errlen)
{
	char list[8192], path[PATH_MAX + 16], uri[1024], suite[128], comp[64];
	const char *signed_by = access(KEYRING, R_OK) ? "" : "signed-by=" KEYRING " ";
	char *line, *save = NULL;
	FILE *f;
	int r = debian_sources(a, list, sizeof(list));

	if (r) {
		snprintf(err, errlen,
			 "no Debian sources: the system's apt lists none and "
			 "/etc/os-release has no VERSION_CODENAME");
		return r;
	}
	apt_path(a, path, sizeof(path), "sources.list");
	f = fopen(path, "we");
	if (!f)
		return -errno;
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%1023s %127s %63s", uri, suite, comp) == 3 &&
		    !strcmp(comp, "main"))
			fprintf(f, "deb [arch=%s %s] %s %s main\n", a->debarch, signed_by, uri,
				suite);
	return fclose(f) ? -errno : 0;
}

/* The system's Acquire::* settings (minus index targets), then our own paths. */
static int write_conf(struct mmt_apt *a, char *err, size_t errlen)
{
	static const char *const argv[] = {"apt-config", "dump", "Acquire", NULL};
	static char dump[256 * 1024];
	struct mmt_proc p = {
		.argv = argv, .timeout_ms = APT_QUERY_MS, .out = dump, .outlen = sizeof(dump)};
	char path[PATH_MAX + 16], *line, *save = NULL;
	FILE *f;

	if (mmt_proc_run(&p) != 0)
		dump[0] = '\0';
	apt_path(a, path, sizeof(path), "apt.conf");
	f = fopen(path, "we");
	if (!f)
		return -errno;
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "Acquire::IndexTargets", 21) &&
		    strncmp(line, "Acquire::Languages", 18))
			fprintf(f, "%s\n", line);
	fprintf(f,
		"Acquire::Languages \"none\";\n"
		"Dir::Etc::Main \"/dev/null\";\nDir::Etc::Parts \"%1$s/parts\";\n"
		"Dir::Etc::SourceList \"%1$s/sources.list\";\n"
		"Dir::Etc::SourceParts \"%1$s/sourceparts\";\n"
		"Dir::State \"%1$s/state\";\nDir::State::status \"%1$s/status\";\n"
		"Dir::Cache \"%1$s/cache\";\nDir::Cache::srcpkgcache \"\";\n"
		"APT::Architecture \"%2$s\";\nAPT::Architectures \"%2$s\";\n",
		a->dir, a->debarch);
	/* As root apt downloads as _apt, which cannot enter a cache under /root. */
	if (geteuid() == 0)
		fprintf(f, "APT::Sandbox::User \"root\";\n");
	(void)err, (void)errlen;
	return fclose(f) ? -errno : 0;
}

static int have_lists(const struct mmt_apt *a)
{
	char path[PATH_MAX + 16];
	struct dirent *e;
	int found = 0;
	DIR *d;

	apt_path(a, path, sizeof(path), "state/lists");
	d = opendir(path);
	while (d && !found && (e = readdir(d)))
		found = strstr(e->d_name, "_Packages") != NULL;
	if (d)
		closedir(d);
	return found;
}

int mmt_apt_update(struct mmt_apt *a, char *err, size_t errlen)
{
	static const char *const argv[] = {"apt-get", "-q", "-q", "update", NULL};
	char path[PATH_MAX + 16];
	int r = write_sources(a, err, errlen);

	if (!r)
		r = write_conf(a, err, errlen);
	if (r) {
		if (!*err)
			snprintf(err, errlen, "%s: %s", a->dir, strerror(-r));
		return r;
	}
	r = apt_run(a, argv, a->dir, APT_UPDATE_MS, NULL, 0, err, errlen);
	if (r < 0)
		return r;
	a->updated = 1;
	/* One bad index (a mirror mid-sync) fails the whole update; the rest serve. */
	if (r > 0)
		return have_lists(a) ? 1 : -EIO;
	apt_path(a, path, sizeof(path), "updated");
	return mmt_write_file(path, "", 0);
}

void mmt_strv_free(char **v, size_t n)
{
	while (v && n)
		free(v[--n]);
	free(v);
}

static int newest_first(const void *x, const void *y)
{
	return -strverscmp(*(char *const *)x, *(char *const *)y);
}

int mmt_apt_search(struct mmt_apt *a, const char *regex, char ***names, size_t *n, char *err,
		   size_t errlen)
{
	const char *argv[] = {"apt-cache", "search", "--names-only", regex, NULL};
	static char out[512 * 1024];
	char *line, *save = NULL, **v = NULL, name[256];
	size_t cnt = 0;
	int r = apt_run(a, argv, NULL, APT_QUERY_MS, out, sizeof(out), err, errlen);

	if (r)
		return r > 0 ? -EIO : r;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **nv;

		if (sscanf(line, "%255s", name) != 1)
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv || !(nv[cnt] = strdup(name))) {
			mmt_strv_free(nv ? nv : v, cnt);
			return -ENOMEM;
		}
		v = nv;
		cnt++;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), newest_first);
	*names = v;
	*n = cnt;
	return 0;
}

static void field(const char *text, const char *key, char *buf, size_t len)
{
	const char *p = text;
	size_t kl = strlen(key), n;

	buf[0] = '\0';
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		p += kl + 1;
		p += strspn(p, " ");
		n = strcspn(p, "\n");
		snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
		return;
	}
}

int mmt_apt_show(struct mmt_apt *a, const char *pkg, struct mmt_deb *d, char *err, size_t errlen)
{
	const char *argv[] = {"apt-cache", "show", "--no-all-versions", pkg, NULL};
	static char out[64 * 1024];
	char size[32];
	int r = apt_run(a, argv, NULL, APT_QUERY_MS, out, sizeof(out), err, errlen);

	/* 100: no such package, or a purely virtual name (nothing to download). */
	if (r == 100 || (!r && !strstr(out, "Package:")))
		return -ENOENT;
	if (r)
		return r > 0 ? -EIO : r;
	field(out, "Version", d->version, sizeof(d->version));
	field(out, "SHA256", d->sha256, sizeof(d->sha256));
	field(out, "Size", size, sizeof(size));
	d->size = strtoull(size, NULL, 10);
	return *d->version ? 0 : -ENOENT;
}

static int find_deb(const char *dir, char *deb, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && r) {
		size_t n = strlen(e->d_name);

		if (n > 4 && !strcmp(e->d_name + n - 4, ".deb"))
			r = snprintf(deb, len, "%s/%s", dir, e->d_name) >= (int)len ? -ENAMETOOLONG
										    : 0;
	}
	closedir(d);
	return r;
}

int mmt_apt_download(struct mmt_apt *a, const char *pkg, const char *dir, char *deb, size_t len,
		     char *err, size_t errlen)
{
	const char *argv[] = {"apt-get", "-q", "-q", "download", pkg, NULL};
	int r = apt_run(a, argv, dir, APT_DOWNLOAD_MS, NULL, 0, err, errlen);

	if (r)
		return r > 0 ? -EIO : r;
	r = find_deb(dir, deb, len);
	if (r)
		snprintf(err, errlen, "apt-get download %s left no .deb in %s", pkg, dir);
	return r;
}

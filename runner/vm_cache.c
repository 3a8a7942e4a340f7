// SPDX-License-Identifier: GPL-2.0
/*
 * Fetching kernels into the cache: from Debian's archive through the private
 * apt state (apt-get download, dpkg-deb -x; nothing is installed), or from the
 * host's /boot and /lib/modules. See vm_cache.h for the layout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "decomp.h"
#include "mmt.h"
#include "proc.h"
#include "vm_internal.h"

#define INDEX_MAX_AGE (24 * 3600)
#define DPKG_DEB_MS (600 * 1000)
#define SHA256_MS (120 * 1000)
#define NCANDIDATES 6

struct fetch {
	const char *cache;
	const struct mmt_fetch_opts *o;
	struct mmt_kspec ks;
	struct mmt_kernel *k;
	char tmp[PATH_MAX - 64]; /* room for /NAME in PATH_MAX */
	char *err;
	size_t errlen;
};

int mmt_vm_cache_dir(const char *dir, char *buf, size_t len)
{
	const char *env = getenv("MMTORTURE_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (dir && *dir)
		n = snprintf(buf, len, "%s", dir);
	else if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/mmtorture", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/mmtorture", home);
	else
		return -ENOENT;
	return n >= (int)len ? -ENAMETOOLONG : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static mmt_printf(2, 3) void note(const struct fetch *f, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!f->o || !f->o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->o->note(f->o->arg, msg);
}

static unsigned flags(const struct fetch *f)
{
	return f->o ? f->o->flags : 0;
}

static int kernel_dir(const char *cache, const char *release, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/kernels/%s", cache, release) >= (int)len ? -ENAMETOOLONG : 0;
}

/* .tmp-RELEASE-PID of fetches that died. */
static void clean_stale(const char *cache)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *e;
	int tries;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/kernels", cache);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		const char *dash = strrchr(e->d_name, '-');
		long pid = dash ? strtol(dash + 1, NULL, 10) : 0;

		if (strncmp(e->d_name, ".tmp-", 5))
			continue;
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* A killed fetch's helpers (tar behind dpkg-deb) may write on for a moment. */
		for (tries = 0; mmt_rm_rf(path) && tries < 20; tries++)
			usleep(100 * 1000);
	}
	if (d)
		closedir(d);
}

static int make_tmp(struct fetch *f)
{
	int r;

	if (snprintf(f->tmp, sizeof(f->tmp), "%s/kernels/.tmp-%s-%d", f->cache, f->ks.release,
		     (int)getpid()) >= (int)sizeof(f->tmp))
		return -ENAMETOOLONG;
	mmt_rm_rf(f->tmp);
	r = mmt_mkdir_p(f->tmp);
	if (r)
		snprintf(f->err, f->errlen, "%s: %s", f->tmp, strerror(-r));
	return r;
}

static int tmp_path(const struct fetch *f, const char *name, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s", f->tmp, name) >= (int)len ? -ENAMETOOLONG : 0;
}

/*
 * meta.json last, then the whole directory renamed into place; a kernel fetched
 * again (--force) is exchanged with the old one in one step, so that the
 * release is never missing from the cache, and the old one is removed after.
 */
static int commit(struct fetch *f, char *final, size_t len)
{
	char meta[PATH_MAX + 16];
	struct mmt_kernel *k = f->k;
	char *json;
	int r;

	kernel_dir(f->cache, f->ks.release, final, len);
	snprintf(k->dir, sizeof(k->dir), "%s", f->tmp);
	k->size = mmt_du(f->tmp);
	json = mmt_kernel_json(k);
	if (!json)
		return -ENOMEM;
	tmp_path(f, "meta.json", meta, sizeof(meta));
	r = mmt_write_file(meta, json, strlen(json));
	free(json);
	if (r)
		return r;
	if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, final, RENAME_NOREPLACE)) {
		if (errno != EEXIST ||
		    renameat2(AT_FDCWD, f->tmp, AT_FDCWD, final, RENAME_EXCHANGE))
			return -errno;
		mmt_rm_rf(f->tmp); /* now the old one */
	}
	return mmt_kernel_load(final, k);
}

/* Already there, complete: load it and say so (1). */
static int cached(struct fetch *f)
{
	char dir[PATH_MAX];

	if (flags(f) & MMT_FETCH_FORCE)
		return 0;
	if (kernel_dir(f->cache, f->ks.release, dir, sizeof(dir)))
		return 0;
	return mmt_kernel_load(dir, f->k) == 0;
}

static void set_identity(struct fetch *f, const char *source)
{
	struct mmt_kernel *k = f->k;

	memset(k, 0, sizeof(*k));
	snprintf(k->release, sizeof(k->release), "%s", f->ks.release);
	snprintf(k->source, sizeof(k->source), "%s", source);
	snprintf(k->flavour, sizeof(k->flavour), "%s",
		 f->ks.kind == MMT_KSPEC_HOST ? "host" : f->ks.flavour->name);
	snprintf(k->debarch, sizeof(k->debarch), "%s", f->ks.flavour->debarch);
	snprintf(k->qemu_arch, sizeof(k->qemu_arch), "%s", f->ks.flavour->qemu_arch);
	k->fetched = time(NULL);
}

/* The x86_64 vmlinux beside the vmlinuz; other arches boot their image as is. */
static int add_vmlinux(struct fetch *f)
{
	struct mmt_kernel *k = f->k;
	int r;

	if (strcmp(k->qemu_arch, "x86_64"))
		return 0;
	tmp_path(f, "vmlinux", k->vmlinux, sizeof(k->vmlinux));
	r = mmt_vmlinux_extract(k->vmlinuz, k->vmlinux, f->ks.flavour->elf_machine, k->compression,
				sizeof(k->compression), f->err, f->errlen);
	if (r)
		k->vmlinux[0] = '\0';
	return r;
}

/* ---- from Debian's archive ---- */

/* apt-get update; a partial failure is said and passed over. */
static int update(struct fetch *f, struct mmt_apt *a)
{
	int r = mmt_apt_update(a, f->err, f->errlen);

	if (r == 1) {
		f->err[strcspn(f->err, "\n")] = '\0';
		note(f, "part of the %s index did not update, going on with the rest: %s",
		     a->debarch, f->err);
		f->err[0] = '\0';
		return 0;
	}
	if (r)
		snprintf(f->err + strlen(f->err), f->errlen - strlen(f->err),
			 " (apt-get update of the private %s index)", a->debarch);
	return r;
}

static int index_ready(struct fetch *f, struct mmt_apt *a)
{
	long age = mmt_apt_age(a);

	if (!(flags(f) & MMT_FETCH_UPDATE) && age >= 0 && age < INDEX_MAX_AGE)
		return 0;
	note(f, "updating the %s package index in %s", a->debarch, a->dir);
	return update(f, a);
}

/* linux-image-X.Y.* of the flavour; with no series, any version. */
static void image_regex(const struct fetch *f, const char *series, char *buf, size_t len)
{
	char s[64] = "[0-9]+\\.[0-9]+", *p, *o;

	if (series && *series) {
		for (p = (char *)series, o = s; *p && o < s + sizeof(s) - 3; p++) {
			if (*p == '.')
				*o++ = '\\';
			*o++ = *p;
		}
		*o = '\0';
	}
	snprintf(buf, len, "^linux-image-%s\\.[0-9]+(-[0-9]+|\\+[a-z0-9.~]+)?-%s$", s,
		 f->ks.flavour->name);
}

static int search(struct fetch *f, struct mmt_apt *a, const char *series, char ***names, size_t *n)
{
	char re[256];

	image_regex(f, series, re, sizeof(re));
	return mmt_apt_search(a, re, names, n, f->err, f->errlen);
}

/* -ENOPKG with the nearest packages the index has. */
static int not_found(struct fetch *f, struct mmt_apt *a)
{
	char series[32] = "", **names = NULL, list[1024] = "";
	size_t n = 0, i, off = 0;
	int major, minor;

	/* The same series first (X.Y-FLAVOUR found none of its own), then any version. */
	if (f->ks.kind != MMT_KSPEC_NEWEST && sscanf(f->ks.release, "%d.%d", &major, &minor) == 2)
		snprintf(series, sizeof(series), "%d.%d", major, minor);
	if ((search(f, a, series, &names, &n) || !n) && *series) {
		mmt_strv_free(names, n);
		names = NULL;
		n = 0;
		search(f, a, NULL, &names, &n);
	}
	for (i = 0; i < n && i < NCANDIDATES && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
				names[i] + 12);
	if (f->ks.kind == MMT_KSPEC_NEWEST)
		snprintf(f->err, f->errlen, "no linux-image-%s.*-%s", f->ks.series,
			 f->ks.flavour->name);
	else
		snprintf(f->err, f->errlen, "no package %s", f->ks.package);
	snprintf(f->err + strlen(f->err), f->errlen - strlen(f->err),
		 " in the %s index (Debian's sources in %s); %s%s", a->debarch, a->dir,
		 n ? "candidates: " : "no other -", n ? list : f->ks.flavour->name);
	if (!n)
		snprintf(f->err + strlen(f->err), f->errlen - strlen(f->err), " kernels there");
	mmt_strv_free(names, n);
	return -ENOPKG;
}

/* X.Y-FLAVOUR: the newest such package the index has. */
static int pick_newest(struct fetch *f, struct mmt_apt *a)
{
	char **names = NULL;
	size_t n = 0;
	int r = search(f, a, f->ks.series, &names, &n);

	if (!r && !n && !a->updated) {
		note(f, "no %s-%s in the %s index: updating it", f->ks.series, f->ks.flavour->name,
		     a->debarch);
		r = update(f, a);
		if (!r)
			r = search(f, a, f->ks.series, &names, &n);
	}
	if (!r && !n) {
		mmt_strv_free(names, n);
		return not_found(f, a);
	}
	if (!r) {
		snprintf(f->ks.package, sizeof(f->ks.package), "%s", names[0]);
		snprintf(f->ks.release, sizeof(f->ks.release), "%s", names[0] + 12);
	}
	mmt_strv_free(names, n);
	return r;
}

static int sha256(const char *path, char *hex, size_t len, char *err, size_t errlen)
{
	const char *argv[] = {"sha256sum", path, NULL};
	char out[256];
	struct mmt_proc p = {.argv = argv,
			     .timeout_ms = SHA256_MS,
			     .out = out,
			     .outlen = sizeof(out),
			     .err = err,
			     .errlen = errlen};
	int r = mmt_proc_run(&p);

	if (r || sscanf(out, "%64[0-9a-f]", hex) != 1 || strlen(hex) != 64) {
		snprintf(err, errlen, "sha256sum %s %s", path,
			 r == -EINTR ? "interrupted" : "failed");
		return r < 0 ? r : -EIO;
	}
	(void)len;
	return 0;
}

static int download(struct fetch *f, struct mmt_apt *a, const struct mmt_deb *d, char *deb,
		    size_t len)
{
	char dir[PATH_MAX + 8];
	double t0 = now_s();
	int r;

	tmp_path(f, "deb", dir, sizeof(dir));
	r = mmt_mkdir_p(dir);
	note(f, "downloading %s %s (%.1f MiB)", f->ks.package, d->version, d->size / 1048576.0);
	if (!r)
		r = mmt_apt_download(a, f->ks.package, dir, deb, len, f->err, f->errlen);
	f->k->download_s = now_s() - t0;
	if (!r)
		r = sha256(deb, f->k->deb_sha256, sizeof(f->k->deb_sha256), f->err, f->errlen);
	if (!r && *d->sha256 && strcmp(d->sha256, f->k->deb_sha256)) {
		snprintf(f->err, f->errlen, "%s: sha256 %s, the index says %s", deb,
			 f->k->deb_sha256, d->sha256);
		r = -EBADMSG;
	}
	return r;
}

/* root/PREFIX-RELEASE renamed to the kernel dir's name; 0 when absent and optional. */
static int take(struct fetch *f, const char *root, const char *prefix, const char *name, char *out,
		size_t len, int required)
{
	char src[PATH_MAX * 2];

	snprintf(src, sizeof(src), "%s/%s%s", root, prefix, f->ks.release);
	tmp_path(f, name, out, len);
	if (!rename(src, out))
		return 0;
	out[0] = '\0';
	if (errno == ENOENT && !required)
		return 0;
	snprintf(f->err, f->errlen, "%s: %s (not a kernel image package?)", src, strerror(errno));
	return -errno;
}

static int place_deb_modules(struct fetch *f, const char *root)
{
	struct mmt_kernel *k = f->k;
	int r;

	r = take(f, root, "lib/modules/", "modules", k->modules, sizeof(k->modules), 0);
	if (!r && !*k->modules) /* merged /usr (trixie on) */
		r = take(f, root, "usr/lib/modules/", "modules", k->modules, sizeof(k->modules), 0);
	if (r || !*k->modules) {
		snprintf(k->modules_set, sizeof(k->modules_set), "none");
		return r;
	}
	snprintf(k->modules_set, sizeof(k->modules_set), "%s",
		 flags(f) & MMT_FETCH_ALL_MODULES ? "all" : "guest");
	r = flags(f) & MMT_FETCH_ALL_MODULES ? mmt_kmod_count(k->modules)
					     : mmt_kmod_prune(k->modules, f->err, f->errlen);
	if (r >= 0)
		k->nmodules = r;
	return r < 0 ? r : 0;
}

/* vmlinuz as most ship it; ppc64el ships the ELF vmlinux itself. */
static int take_image(struct fetch *f, const char *root)
{
	struct mmt_kernel *k = f->k;
	size_t len;
	void *buf;
	int r = take(f, root, "boot/vmlinuz-", "vmlinuz", k->vmlinuz, sizeof(k->vmlinuz), 0);

	if (r || *k->vmlinuz)
		return r;
	r = take(f, root, "boot/vmlinux-", "vmlinux", k->vmlinux, sizeof(k->vmlinux), 0);
	if (r || !*k->vmlinux) {
		if (!r)
			snprintf(f->err, f->errlen,
				 "%s/boot has no vmlinuz-%s or vmlinux-%s (not a "
				 "kernel image package?)",
				 root, f->ks.release, f->ks.release);
		return r ? r : -ENOENT;
	}
	r = mmt_read_file(k->vmlinux, (size_t)1 << 30, &buf, &len);
	if (!r) {
		r = mmt_elf_check(buf, len, f->ks.flavour->elf_machine);
		free(buf);
	}
	if (r)
		snprintf(f->err, f->errlen, "%s: not an ELF executable for %s", k->vmlinux,
			 f->ks.flavour->qemu_arch);
	return r;
}

static int unpack_deb(struct fetch *f, const char *deb)
{
	struct mmt_kernel *k = f->k;
	char root[PATH_MAX + 8];
	const char *argv[] = {"dpkg-deb", "-x", deb, root, NULL};
	double t0 = now_s();
	int r;

	tmp_path(f, "root", root, sizeof(root));
	note(f, "unpacking %s", strrchr(deb, '/') + 1);
	r = mmt_proc_simple(argv, DPKG_DEB_MS, f->err, f->errlen);
	if (r) {
		snprintf(f->err + strlen(f->err), f->errlen - strlen(f->err),
			 "%sdpkg-deb -x %s: %s", *f->err ? "; " : "", deb,
			 r == -ETIMEDOUT ? "timed out"
			 : r == -EINTR	 ? "interrupted"
			 : r == 127	 ? "not found"
					 : "failed");
		return r < 0 ? r : -EIO;
	}
	r = take_image(f, root);
	if (!r)
		r = take(f, root, "boot/config-", "config", k->config, sizeof(k->config), 0);
	if (!r)
		r = take(f, root, "boot/System.map-", "System.map", k->system_map,
			 sizeof(k->system_map), 0);
	if (!r && *k->system_map && !mmt_system_map_real(k->system_map)) {
		unlink(k->system_map);
		k->system_map[0] = '\0';
	}
	if (!r)
		r = place_deb_modules(f, root);
	if (!r)
		r = add_vmlinux(f);
	mmt_rm_rf(root);
	tmp_path(f, "deb", root, sizeof(root));
	mmt_rm_rf(root);
	k->extract_s = now_s() - t0;
	return r;
}

static int resolve_package(struct fetch *f, struct mmt_apt *a, struct mmt_deb *d)
{
	int r = 0;

	if (f->ks.kind == MMT_KSPEC_NEWEST)
		r = pick_newest(f, a);
	if (r || cached(f))
		return r ? r : 1;
	r = mmt_apt_show(a, f->ks.package, d, f->err, f->errlen);
	if (r == -ENOENT && !a->updated) {
		note(f, "%s is not in the %s index: updating it", f->ks.package, a->debarch);
		r = update(f, a);
		if (!r)
			r = mmt_apt_show(a, f->ks.package, d, f->err, f->errlen);
	}
	if (r == -ENOENT)
		return not_found(f, a);
	return r;
}

static int fetch_debian(struct fetch *f)
{
	struct mmt_deb d = {0};
	struct mmt_apt a;
	char deb[PATH_MAX * 2], final[PATH_MAX];
	int r;

	/* An exact release already here needs no index at all. */
	if (f->ks.kind == MMT_KSPEC_RELEASE && cached(f))
		return 1;
	r = mmt_apt_open(f->cache, f->ks.flavour->debarch, &a, f->err, f->errlen);
	if (!r)
		r = index_ready(f, &a);
	if (!r)
		r = resolve_package(f, &a, &d);
	if (r) {
		mmt_apt_close(&a);
		return r;
	}
	set_identity(f, "debian");
	snprintf(f->k->package, sizeof(f->k->package), "%s", f->ks.package);
	snprintf(f->k->version, sizeof(f->k->version), "%s", d.version);
	f->k->deb_size = d.size;
	r = make_tmp(f);
	if (!r)
		r = download(f, &a, &d, deb, sizeof(deb));
	if (!r)
		r = unpack_deb(f, deb);
	if (!r)
		r = commit(f, final, sizeof(final));
	if (r)
		mmt_rm_rf(f->tmp);
	/* Held to here: a second fetch of the same kernel waits, then finds it cached. */
	mmt_apt_close(&a);
	return r;
}

/* ---- the host's running kernel ---- */

/* Where /boot and /lib/modules are: $MMTORTURE_HOST_ROOT (a mounted copy of this
 * machine's root, when its /boot is elsewhere), else "" for /. */
static const char *host_root(void)
{
	const char *r = getenv("MMTORTURE_HOST_ROOT");

	return r && *r && strcmp(r, "/") ? r : "";
}

static int host_file(struct fetch *f, const char *src, const char *name, char *out, size_t len)
{
	int r;

	tmp_path(f, name, out, len);
	r = mmt_copy_file(src, out);
	if (r) {
		out[0] = '\0';
		snprintf(f->err, f->errlen, "%s: %s", src, strerror(-r));
	}
	return r;
}

/* /boot/config-RELEASE, else /proc/config.gz when it is this kernel's. */
static int host_config(struct fetch *f)
{
	struct mmt_kernel *k = f->k;
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/boot/config-%s", host_root(), f->ks.release);
	if (!access(src, R_OK))
		return host_file(f, src, "config", k->config, sizeof(k->config));
	if (*host_root() || access("/proc/config.gz", R_OK))
		return 0;
	tmp_path(f, "config", k->config, sizeof(k->config));
	if (mmt_decompress_file("/proc/config.gz", k->config)) {
		unlink(k->config);
		k->config[0] = '\0';
	}
	return 0;
}

static int host_modules(struct fetch *f)
{
	struct mmt_kernel *k = f->k;
	char src[PATH_MAX];
	int all = !!(flags(f) & MMT_FETCH_ALL_MODULES), r;

	snprintf(src, sizeof(src), "%s/lib/modules/%s", host_root(), f->ks.release);
	snprintf(k->modules_set, sizeof(k->modules_set), "none");
	if (access(src, R_OK | X_OK))
		return 0;
	tmp_path(f, "modules", k->modules, sizeof(k->modules));
	r = mmt_kmod_copy(src, k->modules, all, f->err, f->errlen);
	if (r < 0)
		return r;
	k->nmodules = r;
	snprintf(k->modules_set, sizeof(k->modules_set), "%s", all ? "all" : "guest");
	return 0;
}

static int fetch_host(struct fetch *f)
{
	struct mmt_kernel *k = f->k;
	char src[PATH_MAX], final[PATH_MAX];
	struct utsname u;
	double t0;
	int r;

	snprintf(src, sizeof(src), "%s/boot/vmlinuz-%s", host_root(), f->ks.release);
	if (access(src, R_OK)) {
		snprintf(f->err, f->errlen,
			 "host: %s: %s; the running kernel's image must be "
			 "readable",
			 src, strerror(errno));
		return -ENOENT;
	}
	if (cached(f))
		return 1;
	set_identity(f, "host");
	uname(&u);
	snprintf(k->version, sizeof(k->version), "%s", u.version);
	t0 = now_s();
	r = make_tmp(f);
	if (!r)
		r = host_file(f, src, "vmlinuz", k->vmlinuz, sizeof(k->vmlinuz));
	if (!r)
		r = host_config(f);
	snprintf(src, sizeof(src), "%s/boot/System.map-%s", host_root(), f->ks.release);
	if (!r && mmt_system_map_real(src))
		r = host_file(f, src, "System.map", k->system_map, sizeof(k->system_map));
	k->download_s = now_s() - t0;
	if (!r)
		r = host_modules(f);
	if (!r)
		r = add_vmlinux(f);
	k->extract_s = now_s() - t0 - k->download_s;
	if (!r)
		r = commit(f, final, sizeof(final));
	if (r)
		mmt_rm_rf(f->tmp);
	return r;
}

int mmt_kernel_fetch(const char *cache, const char *spec, const struct mmt_fetch_opts *o,
		     struct mmt_kernel *k, char *err, size_t errlen)
{
	struct fetch f = {.cache = cache, .o = o, .k = k, .err = err, .errlen = errlen};
	char dir[PATH_MAX];
	int r;

	err[0] = '\0';
	r = mmt_kspec_parse(spec, &f.ks, err, errlen);
	if (r)
		return r;
	snprintf(dir, sizeof(dir), "%s/kernels", cache);
	r = mmt_mkdir_p(dir);
	if (r) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	clean_stale(cache);
	r = f.ks.kind == MMT_KSPEC_HOST ? fetch_host(&f) : fetch_debian(&f);
	if (r < 0 && !*err)
		snprintf(err, errlen, "%s: %s", spec, strerror(-r));
	return r;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Module trees without modules.dep (the packages run depmod at install time):
 * each module's dependencies come from its modinfo `depends=`, read with
 * libkmod, which also reads .ko.xz/.ko.zst and big-endian modules.
 *
 * The guest set: a whole modules tree is 110-400 MiB, of which a QEMU guest
 * running the stressors can use a few MiB. A fetch keeps, with everything they
 * depend on:
 *   drivers/virtio/    the virtio core and transports (pci, mmio), virtio_mem,
 *                      virtio_balloon; virtio_ccw for s390x
 *   mm/                what mm builds as modules (hwpoison_inject, zsmalloc, ...)
 *   virtio_console virtio_rng virtio_blk virtio_scsi sd_mod virtio_pmem nd_pmem
 *                      consoles, entropy and the guest's scratch disk
 *   ext4 crc32c_generic crc32c_intel   its filesystem (crc32c is looked up by name)
 *   9p 9pnet_virtio virtiofs           host directories shared into the guest
 *   zram loop brd null_blk             swap on zram, loop and RAM block devices
 *   lz4 lz4hc zstd 842 lzo lzo_rle deflate   zram and zswap compressors
 *   device_dax kmem dax_pmem papr_scm        memory added as DAX, then as RAM
 * `vm fetch --all-modules` keeps the whole tree.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkmod.h>

#include "decomp.h"
#include "vm_internal.h"

static const char *const guest_dirs[] = {"kernel/drivers/virtio/", "kernel/mm/",
					 "kernel/drivers/s390/virtio/"};
static const char *const guest_names[] = {
	"virtio_console",
	"virtio_rng",
	"virtio_blk",
	"virtio_scsi",
	"sd_mod",
	"virtio_pmem",
	"nd_pmem",
	"ext4",
	"crc32c_generic",
	"crc32c_intel",
	"9p",
	"9pnet_virtio",
	"virtiofs",
	"zram",
	"loop",
	"brd",
	"null_blk",
	"lz4",
	"lz4hc",
	"zstd",
	"842",
	"lzo",
	"lzo_rle",
	"deflate",
	"device_dax",
	"kmem",
	"dax_pmem",
	"papr_scm",
};
/* Virtio infrastructure; any other virtio* module is a driver that needs a transport. */
static const char *const virtio_core[] = {"virtio",
					  "virtio_ring",
					  "virtio_pci",
					  "virtio_pci_modern_dev",
					  "virtio_pci_legacy_dev",
					  "virtio_mmio",
					  "virtio_ccw",
					  "virtio_dma_buf"};

struct kent {
	char name[64];
	char *rel; /* path under the tree, e.g. kernel/mm/zsmalloc.ko */
	int state; /* 0 unseen, 1 on the DFS path, 2 placed */
};

struct kindex {
	char root[PATH_MAX];
	struct kent *e;
	size_t n, cap;
	char **builtin;
	size_t nbuiltin;
	struct kmod_ctx *ctx;
	char **order; /* rel paths, dependencies first */
	size_t norder;
};

static struct kindex *walk_ix; /* nftw has no argument */

/* "kernel/fs/ext4/ext4.ko.xz" -> "ext4"; 0 when not a module file. */
static int module_name(const char *path, char *name, size_t len)
{
	static const char *const ext[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	const char *base = strrchr(path, '/');
	size_t i, n, el;
	char *p;

	base = base ? base + 1 : path;
	n = strlen(base);
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		el = strlen(ext[i]);
		if (n > el && !strcmp(base + n - el, ext[i]) && n - el < len)
			break;
	}
	if (i == sizeof(ext) / sizeof(ext[0]))
		return 0;
	memcpy(name, base, n - el);
	name[n - el] = '\0';
	for (p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return 1;
}

static int add_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct kindex *ix = walk_ix;
	struct kent *e;

	(void)st, (void)ftw;
	if (type != FTW_F)
		return 0;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 1024;
		struct kent *ne = realloc(ix->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		ix->e = ne;
		ix->cap = cap;
	}
	e = &ix->e[ix->n];
	memset(e, 0, sizeof(*e));
	if (!module_name(path, e->name, sizeof(e->name)))
		return 0;
	e->rel = strdup(path + strlen(ix->root) + 1);
	if (!e->rel)
		return -ENOMEM;
	ix->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kent *)a)->name, ((const struct kent *)b)->name);
}

static struct kent *ix_find(struct kindex *ix, const char *name)
{
	struct kent key;
	char *p;

	snprintf(key.name, sizeof(key.name), "%s", name);
	for (p = key.name; *p; p++)
		if (*p == '-')
			*p = '_';
	return bsearch(&key, ix->e, ix->n, sizeof(*ix->e), by_name);
}

/* modules.builtin: the names built into the image. */
static int ix_builtin(struct kindex *ix)
{
	char path[PATH_MAX + 32], line[512], name[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules.builtin", ix->root);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char **nb;

		line[strcspn(line, "\n")] = '\0';
		if (!module_name(line, name, sizeof(name)))
			continue;
		nb = realloc(ix->builtin, (ix->nbuiltin + 1) * sizeof(*nb));
		if (!nb || !(nb[ix->nbuiltin] = strdup(name))) {
			ix->builtin = nb ? nb : ix->builtin;
			fclose(f);
			return -ENOMEM;
		}
		ix->builtin = nb;
		ix->nbuiltin++;
	}
	if (f)
		fclose(f);
	return 0;
}

static int ix_is_builtin(const struct kindex *ix, const char *name)
{
	char n[64], *p;
	size_t i;

	snprintf(n, sizeof(n), "%s", name);
	for (p = n; *p; p++)
		if (*p == '-')
			*p = '_';
	for (i = 0; i < ix->nbuiltin; i++)
		if (!strcmp(ix->builtin[i], n))
			return 1;
	return 0;
}

static void ix_free(struct kindex *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		free(ix->e[i].rel);
	free(ix->e);
	mmt_strv_free(ix->builtin, ix->nbuiltin);
	free(ix->order);
	if (ix->ctx)
		kmod_unref(ix->ctx);
	memset(ix, 0, sizeof(*ix));
}

static int ix_open(struct kindex *ix, const char *root)
{
	static const char *const no_config[] = {NULL};
	int r;

	memset(ix, 0, sizeof(*ix));
	if (snprintf(ix->root, sizeof(ix->root), "%s", root) >= (int)sizeof(ix->root))
		return -ENAMETOOLONG;
	walk_ix = ix;
	r = nftw(root, add_one, 32, FTW_PHYS);
	if (r == -1)
		r = -errno;
	if (!r && ix->n)
		qsort(ix->e, ix->n, sizeof(*ix->e), by_name);
	if (!r)
		r = ix_builtin(ix);
	/* No modprobe.d, no host index: only the files we hand it. */
	if (!r && !(ix->ctx = kmod_new(root, no_config)))
		r = -ENOMEM;
	if (r)
		ix_free(ix);
	return r;
}

/* The module's `depends=` value into buf ("" when it has none). */
static int ix_depends(struct kindex *ix, struct kent *e, char *buf, size_t len)
{
	struct kmod_list *info = NULL, *it;
	struct kmod_module *mod;
	char path[PATH_MAX * 2];
	int r;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", ix->root, e->rel);
	r = kmod_module_new_from_path(ix->ctx, path, &mod);
	if (r < 0)
		return r;
	r = kmod_module_get_info(mod, &info);
	if (r >= 0) {
		kmod_list_foreach(it, info)
		{
			if (!strcmp(kmod_module_info_get_key(it), "depends")) {
				snprintf(buf, len, "%s", kmod_module_info_get_value(it));
				break;
			}
		}
		r = 0;
	}
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	return r;
}

/* Depth-first: every dependency placed before e. */
static int visit(struct kindex *ix, struct kent *e, char *err, size_t errlen)
{
	char deps[1024], *d, *save = NULL;
	int r;

	if (e->state == 2)
		return 0;
	if (e->state == 1) {
		snprintf(err, errlen, "%s: circular module dependencies", e->name);
		return -ELOOP;
	}
	e->state = 1;
	r = ix_depends(ix, e, deps, sizeof(deps));
	if (r) {
		snprintf(err, errlen, "%s/%s: cannot read its modinfo: %s", ix->root, e->rel,
			 strerror(-r));
		return r;
	}
	for (d = strtok_r(deps, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		struct kent *dep = ix_find(ix, d);

		if (!dep && ix_is_builtin(ix, d))
			continue;
		if (!dep) {
			snprintf(err, errlen, "%s needs %s, which is not in %s", e->name, d,
				 ix->root);
			return -ENOENT;
		}
		r = visit(ix, dep, err, errlen);
		if (r)
			return r;
	}
	e->state = 2;
	ix->order[ix->norder++] = e->rel;
	return 0;
}

static int ix_begin(struct kindex *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		ix->e[i].state = 0;
	ix->norder = 0;
	free(ix->order);
	ix->order = calloc(ix->n ? ix->n : 1, sizeof(*ix->order));
	return ix->order ? 0 : -ENOMEM;
}

static int in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

static int is_guest_root(const struct kent *e)
{
	size_t i;

	for (i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++)
		if (!strncmp(e->rel, guest_dirs[i], strlen(guest_dirs[i])))
			return 1;
	return in_list(e->name, guest_names, sizeof(guest_names) / sizeof(guest_names[0]));
}

/* The guest set and its dependencies, in ix->order. */
static int guest_set(struct kindex *ix, char *err, size_t errlen)
{
	size_t i;
	int r = ix_begin(ix);

	for (i = 0; i < ix->n && !r; i++)
		if (is_guest_root(&ix->e[i]))
			r = visit(ix, &ix->e[i], err, errlen);
	return r;
}

static int kept(const struct kindex *ix, const char *rel)
{
	size_t i;

	for (i = 0; i < ix->norder; i++)
		if (!strcmp(ix->order[i], rel))
			return 1;
	return 0;
}

static int rmdir_empty(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type == FTW_DP && ftw->level > 0)
		rmdir(path); /* only the empty ones go */
	return 0;
}

int mmt_kmod_prune(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX * 2];
	struct kindex ix;
	size_t i;
	int r = ix_open(&ix, dir);

	if (r) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	r = guest_set(&ix, err, errlen);
	for (i = 0; i < ix.n && !r; i++) {
		if (kept(&ix, ix.e[i].rel))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ix.e[i].rel);
		if (unlink(path))
			r = -errno;
	}
	if (!r)
		nftw(dir, rmdir_empty, 32, FTW_DEPTH | FTW_PHYS);
	if (!r)
		r = (int)ix.norder;
	ix_free(&ix);
	return r;
}

static int copy_rel(const char *from, const char *dir, const char *rel)
{
	char src[PATH_MAX * 2], dst[PATH_MAX * 2], *slash;
	int r;

	snprintf(src, sizeof(src), "%s/%s", from, rel);
	snprintf(dst, sizeof(dst), "%s/%s", dir, rel);
	slash = strrchr(dst, '/');
	*slash = '\0';
	r = mmt_mkdir_p(dst);
	*slash = '/';
	return r ? r : mmt_copy_file(src, dst);
}

int mmt_kmod_copy(const char *from, const char *dir, int all, char *err, size_t errlen)
{
	static const char *const meta[] = {"modules.builtin", "modules.builtin.modinfo",
					   "modules.order"};
	struct kindex ix;
	size_t i;
	int r = ix_open(&ix, from);

	err[0] = '\0';
	if (r) {
		snprintf(err, errlen, "%s: %s", from, strerror(-r));
		return r;
	}
	r = all ? ix_begin(&ix) : guest_set(&ix, err, errlen);
	for (i = 0; all && !r && i < ix.n; i++)
		ix.order[ix.norder++] = ix.e[i].rel;
	for (i = 0; i < ix.norder && !r; i++)
		r = copy_rel(from, dir, ix.order[i]);
	for (i = 0; i < sizeof(meta) / sizeof(meta[0]) && !r; i++) {
		char src[PATH_MAX * 2];
		struct stat st;

		snprintf(src, sizeof(src), "%s/%s", from, meta[i]);
		if (!stat(src, &st))
			r = copy_rel(from, dir, meta[i]);
	}
	if (r && !*err)
		snprintf(err, errlen, "copying modules from %s to %s: %s", from, dir, strerror(-r));
	if (!r)
		r = (int)ix.norder;
	ix_free(&ix);
	return r;
}

static int count_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char name[64];

	(void)st, (void)ftw;
	if (type == FTW_F && module_name(path, name, sizeof(name)))
		walk_ix->n++;
	return 0;
}

int mmt_kmod_count(const char *dir)
{
	struct kindex ix = {0};

	walk_ix = &ix;
	if (nftw(dir, count_one, 32, FTW_PHYS))
		return -errno;
	return (int)ix.n;
}

static int is_virtio_driver(const char *name)
{
	return strstr(name, "virtio") &&
	       !in_list(name, virtio_core, sizeof(virtio_core) / sizeof(virtio_core[0]));
}

static int resolve_one(struct kindex *ix, const char *qemu_arch, const char *name,
		       struct mmt_kmods *out, char *err, size_t errlen)
{
	struct kent *e = ix_find(ix, name), *t;
	char **nb;

	if (!e && ix_is_builtin(ix, name)) {
		nb = realloc(out->builtin, (out->nbuiltin + 1) * sizeof(*nb));
		if (!nb || !(nb[out->nbuiltin] = strdup(name)))
			return -ENOMEM;
		out->builtin = nb;
		out->nbuiltin++;
		return 0;
	}
	if (!e) {
		snprintf(err, errlen, "module %s: neither in %s nor built into the kernel", name,
			 ix->root);
		return -ENOENT;
	}
	/* A virtio driver binds to nothing without its transport; a built-in one is there. */
	t = ix_find(ix, strcmp(qemu_arch, "s390x") ? "virtio_pci" : "virtio_ccw");
	if (t && is_virtio_driver(e->name)) {
		int r = visit(ix, t, err, errlen);

		if (r)
			return r;
	}
	return visit(ix, e, err, errlen);
}

static int fill_out(struct kindex *ix, struct mmt_kmods *out)
{
	size_t i;

	out->path = calloc(ix->norder + 1, sizeof(*out->path));
	out->name = calloc(ix->norder + 1, sizeof(*out->name));
	if (!out->path || !out->name)
		return -ENOMEM;
	for (i = 0; i < ix->norder; i++) {
		char name[64];

		if (asprintf(&out->path[i], "%s/%s", ix->root, ix->order[i]) < 0) {
			out->path[i] = NULL;
			return -ENOMEM;
		}
		module_name(ix->order[i], name, sizeof(name));
		out->name[i] = strdup(name);
		out->n = i + 1;
		if (!out->name[i])
			return -ENOMEM;
	}
	return 0;
}

int mmt_kmod_resolve(const struct mmt_kernel *k, const char *const *names, size_t n,
		     struct mmt_kmods *out, char *err, size_t errlen)
{
	struct kindex ix;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!*k->modules) {
		snprintf(err, errlen, "%s: the kernel has no modules directory", k->dir);
		return -ENOENT;
	}
	r = ix_open(&ix, k->modules);
	if (r) {
		snprintf(err, errlen, "%s: %s", k->modules, strerror(-r));
		return r;
	}
	r = ix_begin(&ix);
	for (i = 0; i < n && !r; i++)
		r = resolve_one(&ix, k->qemu_arch, names[i], out, err, errlen);
	if (!r)
		r = fill_out(&ix, out);
	if (r && !*err)
		snprintf(err, errlen, "%s: %s", k->modules, strerror(-r));
	ix_free(&ix);
	if (r)
		mmt_kmods_free(out);
	return r;
}

void mmt_kmods_free(struct mmt_kmods *m)
{
	mmt_strv_free(m->path, m->n);
	mmt_strv_free(m->name, m->n);
	mmt_strv_free(m->builtin, m->nbuiltin);
	memset(m, 0, sizeof(*m));
}

int mmt_kmod_unpack(const char *ko, const char *dst)
{
	return mmt_decompress_file(ko, dst);
}

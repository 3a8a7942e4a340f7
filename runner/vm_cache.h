/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest kernel cache: Debian kernel packages (or the host's kernel) unpacked
 * into what a QEMU boot needs, one directory per kernel release:
 *
 *   CACHE/kernels/RELEASE/vmlinuz      the boot image as shipped
 *                         vmlinux      x86_64: the uncompressed ELF (PVH direct boot);
 *                                      ppc64el ships this ELF instead of a vmlinuz
 *                         config       the kernel's .config
 *                         System.map   when the package has a real one
 *                         modules/     /lib/modules/RELEASE: the guest set (or all)
 *                         meta.json    what it is, where it came from, what is there
 *   CACHE/apt/DEBARCH/                 a private apt state per Debian architecture
 *
 * CACHE is --cache, $MMTORTURE_CACHE, $XDG_CACHE_HOME/mmtorture or
 * ~/.cache/mmtorture. A kernel is built in CACHE/kernels/.tmp-RELEASE-PID and
 * renamed into place whole, meta.json last: a directory without a leading dot
 * and with a meta.json is complete. The system's apt and dpkg state are never
 * touched: the package indexes live in the private state, with the system's
 * Debian sources and Acquire settings (proxies) but none of its hooks.
 */
#ifndef MMT_VM_CACHE_H
#define MMT_VM_CACHE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A kernel flavour: the package name's suffix, which fixes the architecture. */
struct mmt_flavour {
	const char *name; /* amd64, rt-amd64, s390x, powerpc64le, ... */
	const char *debarch; /* amd64, arm64, s390x, ppc64el */
	const char *qemu_arch; /* x86_64, aarch64, s390x, ppc64 (qemu-system-NAME) */
	unsigned elf_machine; /* EM_* of its vmlinux and modules */
};

extern const struct mmt_flavour mmt_flavours[];
extern const size_t mmt_nflavours;

enum mmt_kspec_kind {
	MMT_KSPEC_RELEASE, /* one package: linux-image-RELEASE */
	MMT_KSPEC_NEWEST, /* X.Y-FLAVOUR: the archive's newest X.Y.* of that flavour */
	MMT_KSPEC_HOST, /* the running kernel, copied from /boot and /lib/modules */
};

struct mmt_kspec {
	enum mmt_kspec_kind kind;
	char series[32]; /* "6.12" (NEWEST) */
	char release[128]; /* "6.1.0-56-amd64" (RELEASE, HOST) */
	char package[160]; /* "linux-image-6.1.0-56-amd64" (RELEASE) */
	const struct mmt_flavour *flavour;
};

/* The accepted SPEC forms, for usage texts and errors. */
extern const char mmt_kspec_forms[];

/* Parse SPEC; -EINVAL with err naming the valid forms or flavours. */
int mmt_kspec_parse(const char *spec, struct mmt_kspec *ks, char *err, size_t errlen);

/* A cached kernel, as its meta.json says; paths are absolute, "" when absent. */
struct mmt_kernel {
	char dir[PATH_MAX];
	char release[128];
	char package[160]; /* "" for the host's kernel */
	char version[96]; /* the package version, or the host's `uname -v` */
	char source[16]; /* "debian" or "host" */
	char flavour[32]; /* "host" for the host's kernel */
	char debarch[16];
	char qemu_arch[16];
	char deb_sha256[65];
	char compression[16]; /* of the vmlinuz payload (x86_64), or "" */
	char modules_set[16]; /* "guest", "all" or "none" */
	time_t fetched;
	uint64_t size; /* bytes in the directory */
	uint64_t deb_size;
	double download_s, extract_s;
	int nmodules;
	char vmlinuz[PATH_MAX];
	char vmlinux[PATH_MAX];
	char config[PATH_MAX];
	char system_map[PATH_MAX];
	char modules[PATH_MAX];
};

/* The cache directory: dir if given, else the environment's (see above). */
int mmt_vm_cache_dir(const char *dir, char *buf, size_t len);

enum {
	MMT_FETCH_FORCE = 1 << 0, /* fetch again even when cached */
	MMT_FETCH_ALL_MODULES = 1 << 1, /* keep every module, not the guest set */
	MMT_FETCH_UPDATE = 1 << 2, /* refresh the package index first */
	MMT_RESOLVE_FETCH = 1 << 3, /* mmt_kernel_resolve: fetch what is not cached */
};

struct mmt_fetch_opts {
	unsigned flags;
	/* Progress ("updating the s390x package index", ...); may be NULL. */
	void (*note)(void *arg, const char *msg);
	void *arg;
};

/*
 * Fetch SPEC into cache (after mmt_vm_cache_dir). Returns 1 when it was already
 * cached (nothing done), 0 when fetched, or -errno with err saying what failed:
 * -EINVAL a bad SPEC, -ENOPKG no such package (err lists candidates), other
 * errors from apt, dpkg-deb, the image or the file system.
 */
int mmt_kernel_fetch(const char *cache, const char *spec, const struct mmt_fetch_opts *o,
		     struct mmt_kernel *k, char *err, size_t errlen);

/*
 * SPEC or a path (a kernel directory or its meta.json) to a cached kernel. A
 * SPEC that names no cached kernel is fetched with MMT_RESOLVE_FETCH, else it
 * is -ENOENT; X.Y-FLAVOUR without fetching is the newest cached one.
 */
int mmt_kernel_resolve(const char *cache, const char *what, const struct mmt_fetch_opts *o,
		       struct mmt_kernel *k, char *err, size_t errlen);

/* Read DIR/meta.json. -ENOENT without one, -EBADMSG when it does not parse. */
int mmt_kernel_load(const char *dir, struct mmt_kernel *k);

/* Every complete kernel in the cache, sorted by release; caller frees *ks. */
int mmt_kernel_list(const char *cache, struct mmt_kernel **ks, size_t *n);

/* meta.json of k as JSON text (caller frees). */
char *mmt_kernel_json(const struct mmt_kernel *k);

/*
 * A static busybox for DEBARCH (Debian's busybox-static, unpacked into
 * CACHE/busybox/DEBARCH/busybox on first use); its path in bin.
 */
int mmt_busybox_fetch(const char *cache, const char *debarch, char *bin, size_t len, char *err,
		      size_t errlen);

/* Modules: paths in load order, dependencies first. */
struct mmt_kmods {
	size_t n;
	char **path; /* absolute paths of .ko, .ko.xz, .ko.zst or .ko.gz files */
	char **name; /* their module names */
	size_t nbuiltin;
	char **builtin; /* asked-for names built into the kernel: nothing to load */
};

/*
 * Resolve module names (dashes or underscores) to files in load order with
 * their dependencies, from each module's modinfo `depends` (the packages have
 * no modules.dep). A virtio driver brings the architecture's virtio transport
 * (virtio_pci; virtio_ccw on s390x) when that is a module: without it the
 * driver binds to nothing. -ENOENT with err naming a module that is neither
 * there nor built in.
 */
int mmt_kmod_resolve(const struct mmt_kernel *k, const char *const *names, size_t n,
		     struct mmt_kmods *out, char *err, size_t errlen);
void mmt_kmods_free(struct mmt_kmods *m);

/* A module decompressed (or copied when plain) to dst: busybox insmod may not read .ko.xz. */
int mmt_kmod_unpack(const char *ko, const char *dst);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the guest kernel cache: the private apt state, module trees, files. */
#ifndef MMT_VM_INTERNAL_H
#define MMT_VM_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "main.h"
#include "vm_cache.h"

/* ---- vm_apt.c: apt-get and apt-cache on CACHE/apt/DEBARCH ---- */

struct mmt_apt {
	char dir[PATH_MAX];
	char env[PATH_MAX + 32]; /* APT_CONFIG=DIR/apt.conf */
	const char *debarch;
	int lockfd;
	int updated; /* this session refreshed the index */
};

struct mmt_deb {
	char version[96];
	char sha256[65];
	uint64_t size;
};

/* Create or open the private state and lock it (concurrent fetches take turns). */
int mmt_apt_open(const char *cache, const char *debarch, struct mmt_apt *a, char *err,
		 size_t errlen);
void mmt_apt_close(struct mmt_apt *a);
/* Seconds since the index was last refreshed; -1 never. */
long mmt_apt_age(const struct mmt_apt *a);
/*
 * Write the sources and config from the system's, then `apt-get update`: 0, or
 * 1 when some indexes failed (err says which) while others are there to use.
 */
int mmt_apt_update(struct mmt_apt *a, char *err, size_t errlen);
/* Names of real packages matching an extended regex, newest release first. */
int mmt_apt_search(struct mmt_apt *a, const char *regex, char ***names, size_t *n, char *err,
		   size_t errlen);
void mmt_strv_free(char **v, size_t n);
/* The candidate version of pkg; -ENOENT when the index has no such package. */
int mmt_apt_show(struct mmt_apt *a, const char *pkg, struct mmt_deb *d, char *err, size_t errlen);
/* Download pkg's .deb into dir; its path in deb. */
int mmt_apt_download(struct mmt_apt *a, const char *pkg, const char *dir, char *deb, size_t len,
		     char *err, size_t errlen);

/* ---- vm_kmod.c: module trees ---- */

/*
 * Keep in the modules tree at dir only the guest set (see vm_kmod.c) with every
 * dependency. Returns the number of modules kept.
 */
int mmt_kmod_prune(const char *dir, char *err, size_t errlen);
/* Copy the guest set (or all) of the tree at from into dir; from is only read. */
int mmt_kmod_copy(const char *from, const char *dir, int all, char *err, size_t errlen);
/* Modules (.ko*) under dir. */
int mmt_kmod_count(const char *dir);

/* ---- vm_image.c: boot images ---- */

/*
 * The x86 bzImage at img, its compressed payload found by magic and
 * decompressed: an ELF of the given machine is written to out. *how says
 * which compression it was.
 */
int mmt_vmlinux_extract(const char *img, const char *out, unsigned machine, char *how,
			size_t howlen, char *err, size_t errlen);
/* 0 when buf is a 64-bit executable ELF for machine; -ENOEXEC otherwise. */
int mmt_elf_check(const void *buf, size_t len, unsigned machine);

/* ---- vm_fs.c: files ---- */

int mmt_rm_rf(const char *path);
int mmt_copy_file(const char *from, const char *to);
/* Bytes in regular files under path. */
uint64_t mmt_du(const char *path);
/* A System.map with symbols, not Debian's one-line pointer to the -dbg package. */
int mmt_system_map_real(const char *path);

#endif

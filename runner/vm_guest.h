/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One guest run, end to end: the command layer behind `vm run` (and the
 * matrix): it prints progress and errors itself.
 */
#ifndef MMT_VM_GUEST_H
#define MMT_VM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "vm_cache.h"
#include "vm_initrd.h"
#include "vm_qemu.h"

#define MMT_GUEST_MAX_JOBS 64

struct mmt_guest_opts {
	const char *kernel; /* SPEC or a boot image path */
	const char *arch; /* NULL: the kernel's */
	const char *profile; /* NULL: quick */
	const char *w[MMT_GUEST_MAX_JOBS];
	int nw;
	const char *duration;
	int smp;
	long mem_mb;
	int numa_nodes;
	const char *cpu;
	int la57;
	const char *append;
	int64_t timeout_ns; /* 0: from the profile */
	const char *bin, *busybox;
	int allow_destructive;
	const char *tag;
	const char *keep;
	const char *guest_sh; /* a shell command the guest runs beside the profile */
	int quiet;
};

/*
 * Returns the exit code, as `run` would for the imported run; its id in
 * *run_id (0 when nothing was stored).
 */
int mmt_guest_run(const struct mmt_guest_opts *o, const char *db, int64_t *run_id);

/*
 * The pieces every guest command needs, checked on the host before a boot.
 * They print why not as "mmtorture: WHO: ..." and return the exit code (2 bad
 * input, 99 the tool failed), 0 when found.
 */

/*
 * The kernel SPEC: a boot image path (arch, default x86_64, names its
 * architecture) or a cached kernel, fetched when missing; *have_k says which.
 * image gets what QEMU boots (the uncompressed vmlinux unless la57).
 */
int mmt_guest_kernel(const char *who, const char *spec, const char *arch, int la57,
		     const struct mmt_vm_arch **a, struct mmt_kernel *k, int *have_k, char *image,
		     size_t len);
/*
 * The static mmtorture and mmtorture-worker of the guest's arch in bin (NULL:
 * $MMTORTURE_GUEST_BIN, else the source tree's build-ARCH) and a static busybox
 * (NULL: the host's when the arch is the host's, else bin's), each checked to be
 * a static executable of that arch. Both buffers are len long.
 */
int mmt_guest_binaries(const char *who, const struct mmt_vm_arch *a, const char *bin,
		       const char *busybox, char *bindir, char *bbpath, size_t len);

#define MMT_GUEST_MAX_MODULES 64

/*
 * How every guest's /init begins and ends: busybox, the kernel filesystems,
 * the modules of mmt/modules, the boot line; the exit line, power off. The
 * machine-readable lines start on a fresh line (a prompt or a half kernel line
 * may precede them). Between them an image runs its own part, leaving $?.
 */
#define MMT_GUEST_INIT_HEAD                                                                        \
	"#!/bin/busybox sh\n"                                                                      \
	"export PATH=/bin\n"                                                                       \
	"/bin/busybox --install -s /bin\n"                                                         \
	"mount -t proc proc /proc\n"                                                               \
	"mount -t sysfs sysfs /sys\n"                                                              \
	"mount -t devtmpfs devtmpfs /dev\n"                                                        \
	"for m in $(cat /mmt/modules); do\n"                                                       \
	"\tinsmod /mmt/ko/$m.ko || { echo; echo \"@@MMT-GUEST insmod $m failed\"; }\n"             \
	"done\n"                                                                                   \
	"echo; echo \"@@MMT-GUEST boot $(uname -r) $(uname -m)\"\n"
#define MMT_GUEST_INIT_TAIL                                                                        \
	"rc=$?\n"                                                                                  \
	"echo; echo \"@@MMT-GUEST exit $rc\"\n"                                                    \
	"sync\n"                                                                                   \
	"poweroff -f\n"

/* Storage for the entries mmt_guest_image_tail() adds; lives as long as they do. */
struct mmt_guest_tail {
	char kos[MMT_GUEST_MAX_MODULES][96];
	char list[4096];
};

/*
 * What every guest image ends with, after its own files: the modules (as
 * mmt/ko/NAME.ko, unpacked, and their load order in mmt/modules) and the mount
 * points. e must have room for MMT_GUEST_MAX_MODULES + 4 more; returns the new n.
 */
int mmt_guest_image_tail(struct mmt_initrd_entry *e, int n, const struct mmt_kmods *m,
			 struct mmt_guest_tail *t);

#endif

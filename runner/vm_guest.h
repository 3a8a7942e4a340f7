/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One guest run, end to end: the command layer behind `vm run` (and the
 * matrix): it prints progress and errors itself.
 */
#ifndef MMT_VM_GUEST_H
#define MMT_VM_GUEST_H

#include <stdint.h>

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

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine facts a run records, and the kernel counters a job diffs.
 */
#ifndef MMT_SYSINFO_H
#define MMT_SYSINFO_H

#include <stdint.h>

#include "result.h"

/*
 * Fill the reproducibility record (everything but uuid, seed, profile, argv,
 * tool version, topology and guest, which the runner knows): uname, page size,
 * VA bits, THP and mTHP settings, /proc/cmdline, kernel config hash
 * (/proc/config.gz or /boot/config-RELEASE), CPU model, hostname, virt. -errno.
 */
int mmt_sysinfo_collect(struct mmt_run_info *ri);

/*
 * The user virtual address bits in force, probed with hint mmaps in a forked
 * child (so the caller's address space is never upgraded to more page-table
 * levels): the largest b for which a hint just below 1<<b is honoured.
 */
int mmt_probe_va_bits(void);

/* /proc/sys/kernel/tainted. */
int mmt_taint_read(uint64_t *taint);
/* "G W O" style letters for the set bits ("" for none). */
void mmt_taint_letters(uint64_t taint, char *buf, size_t len);

/* A snapshot of /proc/vmstat. */
struct mmt_vmstat {
	int n;
	char (*key)[64];
	uint64_t *val;
};

int mmt_vmstat_read(struct mmt_vmstat *v);
void mmt_vmstat_free(struct mmt_vmstat *v);
/*
 * after - before for the keys a job cares about (thp_*, pgfault, pgmajfault,
 * pgmigrate_*, compact_*, numa_*, oom_kill, pswp*, nr_anon_transparent_hugepages,
 * ...), non-zero ones only. *out is malloc'ed. -errno.
 */
int mmt_vmstat_diff(const struct mmt_vmstat *before, const struct mmt_vmstat *after,
		    struct mmt_vmstat_delta **out, int *n);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the THP workloads share: putting exactly one THP size in force through
 * the journal (PMD, or any mTHP size the kernel offers), and measuring how much
 * of a region is actually THP-backed.
 */
#ifndef MMT_THP_H
#define MMT_THP_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

#define MMT_THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

/* hpage_pmd_size; -errno when the kernel has no THP. */
int mmt_thp_pmd_size(int64_t *pmd);
/*
 * In a probe: skip (MMT_SKIP, reason) when THP is missing or off, or the size is
 * not offered; otherwise make `size` (0: the PMD size) the only THP size in
 * force, writing sysfs only through env->journal and only where needed.
 * region: the bytes the workload maps per worker (must hold one THP).
 */
int mmt_thp_prepare(struct mmt_env *env, int64_t size, int64_t region, char *reason, size_t len);
/* The THP size a worker uses: size, or the PMD size for 0. -errno. */
int mmt_thp_size(int64_t size, size_t *out);
/*
 * Percent of [base, base+len) backed by THPs of size hp: AnonHugePages from
 * /proc/self/smaps for the PMD size, /proc/kpageflags (root) for mTHP, which
 * smaps does not count. -1 when it cannot be measured.
 */
double mmt_thp_coverage(const void *base, size_t len, size_t hp, long pagesz);

#endif

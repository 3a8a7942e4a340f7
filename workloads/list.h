/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every workload, one line each. Adding one is a line here and a file with its
 * descriptor `const struct mmt_workload mmt_wl_NAME`; a missing descriptor is
 * a link error.
 */
MMT_WORKLOAD(thp_fork)
MMT_WORKLOAD(thp_gup)
MMT_WORKLOAD(va_upgrade)
MMT_WORKLOAD(vma_iter)
MMT_WORKLOAD(mem_hotplug)
MMT_WORKLOAD(cpu_hotplug)
MMT_WORKLOAD(numa_migrate)

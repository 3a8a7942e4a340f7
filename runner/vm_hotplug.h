/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `vm hotplug`: memory hotplug -> reboot -> unplug cycles in a QEMU guest,
 * driven over QMP while the guest's console is read. The command layer: it
 * prints progress and errors itself, and stores one run with one job.
 */
#ifndef MMT_VM_HOTPLUG_H
#define MMT_VM_HOTPLUG_H

#include <stdint.h>

enum mmt_hp_device { MMT_HP_PC_DIMM, MMT_HP_VIRTIO_MEM };
enum mmt_hp_online { MMT_HP_MOVABLE, MMT_HP_NORMAL };
enum mmt_hp_expect { MMT_HP_CLEAN, MMT_HP_LIMITATION };
enum mmt_hp_inject { MMT_HP_INJECT_NONE, MMT_HP_INJECT_CORRUPT, MMT_HP_INJECT_PANIC };

struct mmt_hotplug_opts {
	const char *kernel; /* SPEC or a boot image path */
	int cycles;
	int device, online, expect;
	int inject; /* the guest breaks something on purpose: the failure paths proved */
	uint64_t size; /* plugged each cycle */
	int fill_pct; /* of size, filled with tagged pages by the guest */
	int smp;
	long mem_mb;
	const char *cpu, *append;
	int64_t timeout_ns; /* the whole run; 0: from the cycles */
	int64_t unplug_timeout_ns;
	const char *bin, *busybox;
	uint64_t seed;
	const char *tag, *keep;
	const char *cmdline; /* the command as given, for the run record */
	int quiet;
};

extern const char *const mmt_hp_device_names[]; /* "pc-dimm", "virtio-mem" */
extern const char *const mmt_hp_online_names[]; /* "movable", "normal" */
extern const char *const mmt_hp_expect_names[]; /* "clean", "limitation" */
extern const char *const mmt_hp_inject_names[]; /* "none", "corrupt", "panic" */

/* Returns the exit code: 0 pass, 1 failure, 2 bad input, 99 harness, 130 interrupted. */
int mmt_hotplug_run(const struct mmt_hotplug_opts *o, const char *db);

#endif

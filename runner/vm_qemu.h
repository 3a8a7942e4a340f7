/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests under QEMU (TCG: KVM is not assumed): the per-architecture machine,
 * console and results channel, the command line, and the process, which is
 * always bounded by a deadline and killed by its PID.
 */
#ifndef MMT_VM_QEMU_H
#define MMT_VM_QEMU_H

#include <stdint.h>
#include <sys/types.h>

struct mmt_vm_arch {
	const char *name; /* x86_64, s390x, aarch64, ppc64le */
	const char *debian; /* amd64, s390x, arm64, ppc64el */
	const char *qemu; /* qemu-system-... */
	const char *machine;
	const char *cpu; /* default -cpu */
	const char *console; /* the guest's console device */
	const char *results; /* the guest's device for the results channel */
	int numa; /* the machine takes -numa nodes */
	/*
	 * Kernel lines the emulated machine itself causes at boot (an extended
	 * regex, or NULL): not the kernel under test misbehaving.
	 */
	const char *machine_noise;
};

/* By name or alias (amd64, arm64, ppc64el, powerpc64le, ...); NULL if unknown. */
const struct mmt_vm_arch *mmt_vm_arch_find(const char *name);
/* "x86_64, s390x, aarch64, ppc64le" */
const char *mmt_vm_arch_names(void);
/* The host's own architecture. */
const struct mmt_vm_arch *mmt_vm_arch_host(void);

struct mmt_vm_cfg {
	const struct mmt_vm_arch *arch;
	const char *kernel, *initrd, *append;
	const char *cpu; /* NULL: the arch's default */
	int smp;
	long mem_mb;
	int numa_nodes; /* 0: none declared (x86_64 gets one: movable_node wants an SRAT) */
	long maxmem_mb; /* > mem_mb: room for hot-added memory */
	int slots;
	const char *results; /* host file the results channel writes to */
	const char *qmp; /* unix socket path for QMP, or NULL */
	const char *const *extra; /* more arguments, NULL-terminated, or NULL */
};

#define MMT_VM_MAX_ARGS 96

/* The command line, into argv (strings in buf). -E2BIG if it does not fit. */
int mmt_vm_cmdline(const struct mmt_vm_cfg *c, char **argv, char *buf, size_t len);

struct mmt_vm {
	pid_t pid;
	int console; /* read end: the guest's console (QEMU's stdout and stderr) */
};

/* Start QEMU in its own process group; -errno. */
int mmt_vm_start(const struct mmt_vm_cfg *c, struct mmt_vm *vm);
/*
 * Reap it: wait until deadline_ns (CLOCK_MONOTONIC), then SIGKILL the PID and
 * reap. Returns its wait status; *killed says whether the deadline did it.
 */
int mmt_vm_reap(struct mmt_vm *vm, uint64_t deadline_ns, int *killed);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's console, read on the host while the guest runs: it is the only
 * witness left when the guest dies before sending its results. Lines are
 * cleaned of terminal escapes and the printk timestamp, the runner's job
 * markers say which job is running, and kernel splats are attributed to it.
 */
#ifndef MMT_VM_CONSOLE_H
#define MMT_VM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define MMT_VM_MAX_JOBS 256
#define MMT_VM_MAX_SPLATS 64
#define MMT_VM_TAIL 12

struct mmt_vm_splat {
	int job; /* the job running when it was printed; 0: none (boot, between jobs) */
	char rule[32];
	char text[512];
};

struct mmt_vm_jobmark {
	int seq;
	char workload[64];
	int ended;
	uint64_t start_ns; /* host CLOCK_MONOTONIC when the marker was seen */
};

struct mmt_vm_console {
	int cur; /* index + 1 into jobs of the running job, 0 none */
	struct mmt_vm_jobmark jobs[MMT_VM_MAX_JOBS];
	int njobs;
	struct mmt_vm_splat splat[MMT_VM_MAX_SPLATS];
	int nsplat, splats_dropped;
	int booted; /* the guest's init reached mmtorture */
	int exit_code; /* mmtorture's exit code in the guest, -1 until seen */
	uint64_t boot_ns; /* when the init said so */
	char tail[MMT_VM_TAIL][256]; /* the last lines, for a death report */
	int ntail;
	char part[4096]; /* a line not yet ended */
	size_t plen;
	/* Each cleaned, non-empty line, before it is looked at; set after init, or NULL. */
	void (*on_line)(void *arg, const char *line, uint64_t now_ns);
	void *arg;
};

void mmt_vm_console_init(struct mmt_vm_console *c);
/* Raw console bytes as they come; complete lines are looked at. */
void mmt_vm_console_feed(struct mmt_vm_console *c, const char *buf, size_t n, uint64_t now_ns);
/* The end of the stream: a last unterminated line counts too. */
void mmt_vm_console_flush(struct mmt_vm_console *c, uint64_t now_ns);
/* One line: terminal escapes, \r and the "[ 12.345678] " timestamp removed in place. */
char *mmt_vm_console_clean(char *line);
/* The last lines, oldest first, joined with " | " into buf. */
void mmt_vm_console_tail(const struct mmt_vm_console *c, int n, char *buf, size_t len);

#endif

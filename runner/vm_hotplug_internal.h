/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside `vm hotplug`: the machine (vm_hotplug.c: boot, console, the guest's
 * lines, bounded waits, the record) and the cycle (vm_hotplug_cycle.c).
 */
#ifndef MMT_VM_HOTPLUG_INTERNAL_H
#define MMT_VM_HOTPLUG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "qmp.h"
#include "result.h"
#include "vm_cache.h"
#include "vm_console.h"
#include "vm_hotplug.h"
#include "vm_qemu.h"

#define HP_SEC 1000000000ull

/* The job's ops, in this order. */
enum { OP_PLUG, OP_ONLINE, OP_VERIFY, OP_REBOOT, OP_UNPLUG, OP_RECHECK, OP_CYCLE, OP__N };

/* The guest's "@@MMT-GUEST ..." lines, by kind. */
enum { GK_BOOT, GK_SEEN, GK_ONLINE, GK_VERIFY, GK_GONE, GK_ERROR, GK_EXIT, GK__N };

struct hp_line {
	int n; /* how many came */
	uint64_t t_ns; /* when the last came (host CLOCK_MONOTONIC) */
	char text[768]; /* the last, from the kind on */
};

/* Why a wait ended other than with what it waited for: a failure of the cycle. */
enum { HW_OK, HW_TIMEOUT, HW_GONE, HW_PANIC, HW_REBOOTED, HW_GUEST_ERROR, HW_INTERRUPTED, HW_QMP };

/* A console splat, with where the cycle was when it came. */
struct hp_splat {
	int cycle;
	const char *step;
	uint64_t t_ns; /* when it was read, from QEMU's start */
	char rule[32];
	char text[512];
	int judged;
};

struct hp {
	const struct mmt_hotplug_opts *o;
	const char *device, *online, *expect; /* the names */
	/*
	 * Where memory is plugged: the guest's memory-only node 1, or (aarch64: a
	 * device-tree guest knows no node without memory at boot) node 0, where
	 * the guest tells virtio-mem's memory by its resources (scope).
	 */
	int node;
	const char *scope; /* "node": all of the node's memory; "virtio_mem" */
	/* what boots */
	const struct mmt_vm_arch *arch;
	struct mmt_kernel k;
	int have_k;
	char image[4096], bin[4096], busybox[4096];
	struct mmt_kmods mods;
	char dir[4096], initrd[4200], results[4200], sock[4200], conlog[4200];
	char append[2048], gargs[128], qemu_cmd[16384];
	long maxmem_mb;
	/* the machine */
	struct mmt_vm vm;
	int started, con_eof, killed;
	struct mmt_qmp q;
	struct mmt_vm_console con;
	char *console;
	size_t conlen;
	uint64_t t0, deadline; /* the run's */
	uint64_t vm_t0; /* this QEMU's start */
	int machines; /* QEMUs started: a new one after each limitation */
	/* what the guest said */
	struct hp_line g[GK__N];
	char release[128], version[256]; /* the guest's uname -r and -v */
	long pagesize;
	uint64_t boot_ns; /* the first boot, from QEMU's start */
	int boots_expected; /* the first boot and every reset we asked for */
	struct hp_splat *splats;
	int nsplats;
	/* where the cycles are */
	int cycle; /* 1-based, 0 before the first */
	const char *step;
	int ndimm; /* DIMMs plugged so far: ids dimmN, memN */
	uint64_t expect_bytes; /* on the node now, as the host sees it */
	/* the record */
	struct mmt_hist hist[OP__N];
	struct mmt_job_result job;
	uint64_t started_real;
	int done, clean, limited, unexpected; /* cycles by outcome */
	char cycle_text[512]; /* the current cycle's steps, for its note */
	char limit_text[512]; /* the first expected limitation, as seen */
	double fill_ms, verify_ms;
	uint64_t bind_ms_max; /* the longest the guest waited to bind to the new node */
	int nfills;
	int interrupted;
};

/* vm_hotplug_guest.c: the console, the guest's lines, bounded waits, the record */
extern const char *const hp_op_names[OP__N];
void hp_console_init(struct hp *h);
/* Bytes into the console kept with the run. */
void hp_console_keep(struct hp *h, const char *buf, size_t n);
/* The console is readable: take what is there (the QMP client's side callback). */
int hp_console_ready(void *arg);
uint64_t hp_now(void);
void hp_say(struct hp *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hp_note(struct hp *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hp_fail(struct hp *h, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The guest refused with what amounts to an errno (an eject answered "busy": EBUSY). */
void hp_fail_errno(struct hp *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The job cannot go on for a reason of the harness's (QMP refused a command). */
void hp_error(struct hp *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A step took ns: into its op's histogram and the cycle's note. */
void hp_record(struct hp *h, int op, uint64_t ns);
/* A step's deadline: limit from now, no later than the run's. */
uint64_t hp_until(struct hp *h, uint64_t limit_ns);
/* What a wait must not see happen: the guest ending, rebooting, erring. */
struct hp_watch {
	int exit_n, boot_n, err_n, splat_n;
};

void hp_watch_begin(struct hp *h, struct hp_watch *w);
/*
 * One round of waiting (console and QMP served): HW_OK when something may
 * have come, HW_TIMEOUT at the deadline, or what went wrong since begin.
 */
int hp_poll(struct hp *h, struct hp_watch *w, uint64_t deadline);
/* Wait until the guest said a line of kind beyond the n-th; W_*. */
int hp_wait_line(struct hp *h, int kind, int n, uint64_t deadline);
/* Keep reading the console (and QMP) until the deadline; HW_OK or why not. */
int hp_idle(struct hp *h, uint64_t deadline);
/* A key's value in a guest line ("bytes=123" -> "123"); "" if absent. */
const char *hp_kv(const char *line, const char *key, char *buf, size_t len);
uint64_t hp_kv_u64(const char *line, const char *key);
/* Say how a failed wait ended, as a failure of the current step. */
void hp_wait_failed(struct hp *h, int w, const char *what);
/* Run a QMP command; a refusal is a harness error. 0 or -errno. */
int hp_qmp(struct hp *h, const char *cmd, struct json_object *args, struct json_object **ret);
/* A splat of rule printed during step of the current cycle, or NULL. */
const struct hp_splat *hp_splat_in(struct hp *h, const char *step, const char *rule);
/*
 * Put the splats not judged yet into the job: each a kmsg line, and a
 * failure unless it is the limitation's own signature where one is
 * expected. Returns how many failed.
 */
int hp_judge_splats(struct hp *h);

/* vm_hotplug.c */
/*
 * A new guest for cycle: the old one holds memory it could not give back,
 * and every cycle starts from the same state. 0, or -1 (failure recorded).
 */
int hp_restart(struct hp *h);

/* vm_hotplug_cycle.c */
/* Run the cycles; the outcome is in h->job and the counters. */
void hp_cycles(struct hp *h);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded child processes: a tool (apt-get, dpkg-deb, qemu, ...) runs in its own
 * process group under a deadline; at the deadline the whole group is killed by
 * the PID we hold, and the child is always reaped.
 */
#ifndef MMT_PROC_H
#define MMT_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct mmt_proc {
	const char *const *argv; /* argv[0] is looked up in PATH */
	const char *cwd; /* NULL: ours */
	const char *const *env; /* extra NAME=VALUE entries, NULL-terminated; or NULL */
	int64_t timeout_ms;
	char *out; /* stdout, NUL-terminated; NULL: discarded */
	size_t outlen;
	size_t outused; /* bytes kept; output past outlen - 1 is dropped */
	char *err; /* the tail of stderr, NUL-terminated; NULL: discarded */
	size_t errlen;
};

/*
 * Set from a signal handler (SIGINT, SIGTERM): a running child's group is
 * killed and reaped at once and mmt_proc_run returns -EINTR; so does every
 * later call until it is cleared.
 */
extern volatile sig_atomic_t mmt_proc_interrupted;

/*
 * Run p->argv to completion. Returns the exit status (0..255), 128 + the signal
 * when a signal ended it, -ETIMEDOUT when the deadline passed (the child's
 * process group was killed and the child reaped), -EINTR when interrupted (as
 * for a timeout), or -errno when it could not be started (127 when exec failed
 * in the child: the program is missing).
 */
int mmt_proc_run(struct mmt_proc *p);

/* Run argv with a timeout, discarding its output; as mmt_proc_run. */
int mmt_proc_simple(const char *const *argv, int64_t timeout_ms, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small QMP client: QEMU's machine protocol, one JSON object a line over a
 * unix socket. Commands carry an "id" and wait for the answer with that id;
 * events that arrive meanwhile are queued, to be waited for or looked up by
 * name and a field of their data. Every wait is bounded by a deadline
 * (CLOCK_MONOTONIC ns), and while waiting, a second descriptor (the guest's
 * console) is served, so that the guest never stalls on a full pipe and the
 * caller sees its output as it comes. Returns -errno; nothing is printed.
 */
#ifndef MMT_QMP_H
#define MMT_QMP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define MMT_QMP_MAX_EVENTS 512

struct mmt_qmp_event {
	char name[64];
	uint64_t t_ns; /* host CLOCK_MONOTONIC when it was read */
	struct json_object *data; /* the event's "data", or NULL */
	int taken; /* handed out by mmt_qmp_wait_event or mmt_qmp_take */
};

struct mmt_qmp {
	int fd;
	unsigned next_id;
	char *buf; /* bytes read, not yet a whole line */
	size_t len, cap;
	struct json_object *answer; /* the answer to the command in flight */
	unsigned answer_id;
	struct mmt_qmp_event ev[MMT_QMP_MAX_EVENTS];
	int nev;
	uint64_t ev_dropped; /* events beyond the queue */
	char error[256]; /* the last failed command's error class and text */
	int side_fd;
	int (*side)(void *arg); /* side_fd is readable: < 0 stops serving it */
	void *side_arg;
	int greeted; /* QEMU's greeting was read */
	int eof; /* QEMU closed the socket */
};

void mmt_qmp_init(struct mmt_qmp *q);
/*
 * Serve fd while waiting: side(arg) is called when it is readable (or hung
 * up); once it returns < 0 the descriptor is no longer polled. fd -1: none.
 */
void mmt_qmp_set_side(struct mmt_qmp *q, int fd, int (*side)(void *arg), void *arg);
/*
 * Connect to path, retrying while QEMU has not made the socket yet, read the
 * greeting and leave capabilities negotiation. -ETIMEDOUT at the deadline
 * (nothing listened, or nothing greeted), -EPROTO if negotiation is refused;
 * on failure the socket is closed again, so that it can be retried.
 */
int mmt_qmp_connect(struct mmt_qmp *q, const char *path, uint64_t deadline_ns);
void mmt_qmp_close(struct mmt_qmp *q);
/*
 * Run cmd with args (taken over and freed; NULL: none) and wait for its
 * answer; *ret (if ret) gets the "return" value, to json_object_put. An error
 * answer is -EREMOTEIO with q->error set; -ETIMEDOUT at the deadline (the
 * answer, if it comes later, is dropped); -ECONNRESET when QEMU went away.
 */
int mmt_qmp_exec(struct mmt_qmp *q, const char *cmd, struct json_object *args,
		 struct json_object **ret, uint64_t deadline_ns);
/*
 * Wait for the first event called name not yet taken whose data has val at
 * key (a dotted path such as "info.device"; key NULL: any), and take it.
 * -ETIMEDOUT, -ECONNRESET.
 */
int mmt_qmp_wait_event(struct mmt_qmp *q, const char *name, const char *key, const char *val,
		       uint64_t deadline_ns, struct mmt_qmp_event **ev);
/* The same, without waiting: NULL when none has come. */
struct mmt_qmp_event *mmt_qmp_take(struct mmt_qmp *q, const char *name, const char *key,
				   const char *val);
/*
 * Wait until something arrives on the socket or the side descriptor, or the
 * deadline, and take it in. 0, or -ECONNRESET when QEMU went away.
 */
int mmt_qmp_poll(struct mmt_qmp *q, uint64_t deadline_ns);
/* A member of an object by dotted path, or NULL. */
struct json_object *mmt_qmp_get(struct json_object *o, const char *path);

#endif

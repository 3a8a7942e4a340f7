// SPDX-License-Identifier: GPL-2.0
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_RETRY_MS 20
#define MAX_LINE (4u << 20) /* a QMP answer longer than this is not one we asked for */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Milliseconds to the deadline for poll(), at least 0, at most cap. */
static int ms_left(uint64_t deadline_ns, int cap)
{
	uint64_t now = mono_ns();
	uint64_t ms = deadline_ns > now ? (deadline_ns - now + 999999) / 1000000 : 0;

	return ms < (uint64_t)cap ? (int)ms : cap;
}

void mmt_qmp_init(struct mmt_qmp *q)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->side_fd = -1;
	q->next_id = 1;
}

void mmt_qmp_set_side(struct mmt_qmp *q, int fd, int (*side)(void *arg), void *arg)
{
	q->side_fd = fd;
	q->side = side;
	q->side_arg = arg;
}

struct json_object *mmt_qmp_get(struct json_object *o, const char *path)
{
	char key[64];
	size_t n;

	while (o && *path) {
		n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

/* Room for one more event: taken ones go first, then the oldest. */
static void make_room(struct mmt_qmp *q)
{
	int i, k = 0;

	for (i = 0; i < q->nev; i++) {
		if (q->ev[i].taken)
			json_object_put(q->ev[i].data);
		else
			q->ev[k++] = q->ev[i];
	}
	q->nev = k;
	if (q->nev < MMT_QMP_MAX_EVENTS)
		return;
	json_object_put(q->ev[0].data);
	memmove(&q->ev[0], &q->ev[1], sizeof(q->ev[0]) * (size_t)(q->nev - 1));
	q->nev--;
	q->ev_dropped++;
}

static void queue_event(struct mmt_qmp *q, struct json_object *o, const char *name)
{
	struct mmt_qmp_event *e;
	struct json_object *data;

	if (q->nev == MMT_QMP_MAX_EVENTS)
		make_room(q);
	e = &q->ev[q->nev++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->t_ns = mono_ns();
	if (json_object_object_get_ex(o, "data", &data))
		e->data = json_object_get(data);
}

static void take_line(struct mmt_qmp *q, const char *line)
{
	struct json_object *o = json_tokener_parse(line), *v;

	if (!o)
		return;
	if (json_object_object_get_ex(o, "event", &v)) {
		queue_event(q, o, json_object_get_string(v));
	} else if (json_object_object_get_ex(o, "QMP", &v)) {
		q->greeted = 1;
	} else if (json_object_object_get_ex(o, "id", &v) &&
		   (unsigned)json_object_get_int(v) == q->answer_id && !q->answer) {
		q->answer = json_object_get(o);
	}
	json_object_put(o);
}

/* What the socket has now, split into lines. */
static int read_socket(struct mmt_qmp *q)
{
	char *nl, *nb;
	ssize_t n;

	for (;;) {
		if (q->cap - q->len < 4096) {
			if (q->cap >= MAX_LINE)
				return -E2BIG;
			nb = realloc(q->buf, q->cap ? q->cap * 2 : 16384);
			if (!nb)
				return -ENOMEM;
			q->buf = nb;
			q->cap = q->cap ? q->cap * 2 : 16384;
		}
		n = read(q->fd, q->buf + q->len, q->cap - q->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		/* Closed, or reset by a QEMU that exited with our input unread. */
		if (n <= 0) {
			q->eof = 1;
			return -ECONNRESET;
		}
		q->len += (size_t)n;
		q->buf[q->len] = '\0';
		while ((nl = memchr(q->buf, '\n', q->len))) {
			*nl = '\0';
			take_line(q, q->buf);
			q->len -= (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, q->len);
		}
	}
}

int mmt_qmp_poll(struct mmt_qmp *q, uint64_t deadline_ns)
{
	struct pollfd p[2] = {{.fd = q->fd, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
	int n, r = 0;

	if (q->eof)
		return -ECONNRESET;
	if (q->side_fd >= 0 && q->side)
		p[1].fd = q->side_fd;
	n = poll(p, 2, ms_left(deadline_ns, 1000));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[1].revents && q->side(q->side_arg) < 0)
		q->side_fd = -1;
	if (p[0].revents)
		r = read_socket(q);
	return r;
}

static int send_all(struct mmt_qmp *q, const char *s, size_t len, uint64_t deadline_ns)
{
	struct pollfd p = {.fd = q->fd, .events = POLLOUT};
	ssize_t n;

	while (len) {
		n = send(q->fd, s, len, MSG_NOSIGNAL);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			q->eof = errno == EPIPE || errno == ECONNRESET;
			return q->eof ? -ECONNRESET : -errno;
		}
		if (mono_ns() >= deadline_ns)
			return -ETIMEDOUT;
		poll(&p, 1, ms_left(deadline_ns, 100));
	}
	return 0;
}

static void set_error(struct mmt_qmp *q, struct json_object *err)
{
	struct json_object *c = mmt_qmp_get(err, "class"), *d = mmt_qmp_get(err, "desc");

	snprintf(q->error, sizeof(q->error), "%s: %s", c ? json_object_get_string(c) : "?",
		 d ? json_object_get_string(d) : "?");
}

int mmt_qmp_exec(struct mmt_qmp *q, const char *cmd, struct json_object *args,
		 struct json_object **ret, uint64_t deadline_ns)
{
	struct json_object *m = json_object_new_object(), *v;
	const char *s;
	int r;

	if (ret)
		*ret = NULL;
	q->error[0] = '\0';
	json_object_object_add(m, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(m, "arguments", args);
	q->answer_id = q->next_id++;
	json_object_object_add(m, "id", json_object_new_int((int)q->answer_id));
	s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	r = q->eof ? -ECONNRESET : send_all(q, s, strlen(s), deadline_ns);
	if (!r)
		r = send_all(q, "\n", 1, deadline_ns);
	json_object_put(m);
	while (!r && !q->answer) {
		if (mono_ns() >= deadline_ns)
			r = -ETIMEDOUT;
		else
			r = mmt_qmp_poll(q, deadline_ns);
	}
	q->answer_id = 0; /* a late answer is not taken for the next command's */
	if (r || !q->answer)
		return r ? r : -EPROTO;
	if (json_object_object_get_ex(q->answer, "error", &v)) {
		set_error(q, v);
		r = -EREMOTEIO;
	} else if (ret && json_object_object_get_ex(q->answer, "return", &v)) {
		*ret = json_object_get(v);
	}
	json_object_put(q->answer);
	q->answer = NULL;
	return r;
}

static int matches(const struct mmt_qmp_event *e, const char *name, const char *key,
		   const char *val)
{
	struct json_object *v;

	if (e->taken || strcmp(e->name, name))
		return 0;
	if (!key)
		return 1;
	v = mmt_qmp_get(e->data, key);
	return v && !strcmp(json_object_get_string(v), val);
}

struct mmt_qmp_event *mmt_qmp_take(struct mmt_qmp *q, const char *name, const char *key,
				   const char *val)
{
	int i;

	for (i = 0; i < q->nev; i++) {
		if (matches(&q->ev[i], name, key, val)) {
			q->ev[i].taken = 1;
			return &q->ev[i];
		}
	}
	return NULL;
}

int mmt_qmp_wait_event(struct mmt_qmp *q, const char *name, const char *key, const char *val,
		       uint64_t deadline_ns, struct mmt_qmp_event **ev)
{
	struct mmt_qmp_event *e;
	int r = 0;

	while (!(e = mmt_qmp_take(q, name, key, val))) {
		if (r)
			return r;
		if (mono_ns() >= deadline_ns)
			return -ETIMEDOUT;
		r = mmt_qmp_poll(q, deadline_ns);
	}
	if (ev)
		*ev = e;
	return 0;
}

/* One attempt: -ENOENT or -ECONNREFUSED while QEMU has not listened yet. */
static int try_connect(struct mmt_qmp *q, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	q->fd = fd;
	return 0;
}

/* Sleep a little, serving the side descriptor meanwhile. */
static void idle(struct mmt_qmp *q, uint64_t deadline_ns)
{
	struct pollfd p = {.fd = q->side_fd, .events = POLLIN};

	if (poll(&p, 1, ms_left(deadline_ns, CONNECT_RETRY_MS)) > 0 && p.revents && q->side &&
	    q->side(q->side_arg) < 0)
		q->side_fd = -1;
}

int mmt_qmp_connect(struct mmt_qmp *q, const char *path, uint64_t deadline_ns)
{
	int r;

	while ((r = try_connect(q, path)) == -ENOENT || r == -ECONNREFUSED) {
		if (mono_ns() >= deadline_ns)
			return -ETIMEDOUT;
		idle(q, deadline_ns);
	}
	while (!r && !q->greeted) {
		if (mono_ns() >= deadline_ns)
			r = -ETIMEDOUT;
		else
			r = mmt_qmp_poll(q, deadline_ns);
	}
	if (!r)
		r = mmt_qmp_exec(q, "qmp_capabilities", NULL, NULL, deadline_ns);
	/* Hang up a half-made session: QEMU serves one client, and a retry starts afresh. */
	if (r && q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
		q->len = 0;
		q->greeted = 0;
		q->eof = 0;
	}
	return r == -EREMOTEIO ? -EPROTO : r;
}

void mmt_qmp_close(struct mmt_qmp *q)
{
	int i;

	if (q->fd >= 0)
		close(q->fd);
	for (i = 0; i < q->nev; i++)
		json_object_put(q->ev[i].data);
	json_object_put(q->answer);
	free(q->buf);
	mmt_qmp_init(q);
}

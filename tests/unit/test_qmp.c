// SPDX-License-Identifier: GPL-2.0
/*
 * The QMP client against a real QEMU with no machine (-M none starts in a few
 * milliseconds): connecting while nothing listens is bounded and keeps the
 * side descriptor served, answers are matched to their commands while the
 * events that come first are queued, an error answer is told apart, events
 * are found by a field of their data, a wait for an event that never comes
 * ends at its deadline, and QEMU going away is seen.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "qmp.h"

#define MS 1000000ull

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct side {
	int fd, reads;
};

static int side_ready(void *arg)
{
	struct side *s = arg;
	char buf[64];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	s->reads++;
	return n > 0 ? 0 : -1;
}

static pid_t start_qemu(const char *sock)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("qemu-system-x86_64", "qemu-system-x86_64", "-M", "none", "-nodefaults",
		       "-no-user-config", "-display", "none", "-qmp", sock, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Reaped within a second, else killed by its PID and reaped. */
static int reap(pid_t pid)
{
	uint64_t end = now() + 1000 * MS;
	int status = 0;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now() < end)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return status;
}

static void test_get(void)
{
	struct json_object *o =
		json_tokener_parse("{\"info\":{\"device\":\"dimm1\",\"status\":130},\"x\":1}");

	CHECK_STR(json_object_get_string(mmt_qmp_get(o, "info.device")), "dimm1");
	CHECK(json_object_get_int(mmt_qmp_get(o, "info.status")) == 130);
	CHECK(mmt_qmp_get(o, "info.nothing") == NULL);
	CHECK(mmt_qmp_get(o, "x.y") == NULL);
	json_object_put(o);
}

/* Nothing listens: the deadline ends it, and the side is served meanwhile. */
static void test_connect_timeout(const char *path, struct side *s, int wfd)
{
	struct mmt_qmp q;
	uint64_t t0 = now();

	mmt_qmp_init(&q);
	mmt_qmp_set_side(&q, s->fd, side_ready, s);
	CHECK(write(wfd, "x", 1) == 1);
	CHECK(mmt_qmp_connect(&q, path, t0 + 150 * MS) == -ETIMEDOUT);
	CHECK(now() - t0 >= 150 * MS && now() - t0 < 2000 * MS);
	CHECK(s->reads >= 1);
	mmt_qmp_close(&q);
}

static void test_session(struct mmt_qmp *q, struct side *s, int wfd)
{
	struct json_object *ret = NULL, *args;
	struct mmt_qmp_event *e = NULL;
	uint64_t t0;
	int reads, r;

	CHECK(mmt_qmp_exec(q, "query-status", NULL, &ret, now() + 5000 * MS) == 0);
	CHECK_STR(json_object_get_string(mmt_qmp_get(ret, "status")), "running");
	json_object_put(ret);

	/* The event comes before the answer: queued, then waited for. */
	CHECK(mmt_qmp_exec(q, "system_reset", NULL, NULL, now() + 5000 * MS) == 0);
	CHECK(mmt_qmp_take(q, "RESET", "reason", "guest-reset") == NULL);
	CHECK(mmt_qmp_wait_event(q, "RESET", "reason", "host-qmp-system-reset", now() + 10 * MS,
				 &e) == 0);
	CHECK(e && !strcmp(e->name, "RESET") && e->taken);
	CHECK(mmt_qmp_take(q, "RESET", NULL, NULL) == NULL); /* taken once */

	args = json_object_new_object();
	json_object_object_add(args, "driver", json_object_new_string("no-such-device"));
	CHECK(mmt_qmp_exec(q, "device_add", args, NULL, now() + 5000 * MS) == -EREMOTEIO);
	CHECK_CONTAINS(q->error, "GenericError: ");
	CHECK_CONTAINS(q->error, "no-such-device");
	CHECK(mmt_qmp_exec(q, "no-such-command", NULL, NULL, now() + 5000 * MS) == -EREMOTEIO);
	CHECK_CONTAINS(q->error, "CommandNotFound");

	/* An event that never comes: the deadline, with the side still served. */
	reads = s->reads;
	CHECK(write(wfd, "y", 1) == 1);
	t0 = now();
	CHECK(mmt_qmp_wait_event(q, "DEVICE_DELETED", "device", "dimm0", t0 + 200 * MS, NULL) ==
	      -ETIMEDOUT);
	CHECK(now() - t0 >= 200 * MS && now() - t0 < 2000 * MS);
	CHECK(s->reads > reads);

	/* QEMU may be gone (its socket reset) before its answer to quit is read. */
	r = mmt_qmp_exec(q, "quit", NULL, NULL, now() + 5000 * MS);
	CHECK_MSG(r == 0 || r == -ECONNRESET, "quit: %s", strerror(-r));
	/* With the answer read, the event that came before it is queued. */
	if (!r)
		CHECK(mmt_qmp_take(q, "SHUTDOWN", "reason", "host-qmp-quit") != NULL);
	t0 = now();
	while (mmt_qmp_poll(q, now() + 100 * MS) == 0 && now() - t0 < 3000 * MS)
		;
	CHECK(q->eof);
	CHECK(mmt_qmp_exec(q, "query-status", NULL, NULL, now() + 1000 * MS) == -ECONNRESET);
}

int main(void)
{
	char dir[] = "/tmp/mmt-qmp.XXXXXX", path[64], arg[96];
	struct side s = {0};
	struct mmt_qmp q;
	int p[2], r;
	pid_t pid;

	test_get();
	if (system("command -v qemu-system-x86_64 >/dev/null 2>&1"))
		MMT_TEST_SKIP("no qemu-system-x86_64");
	if (!mkdtemp(dir) || pipe(p))
		return 99;
	s.fd = p[0];
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	test_connect_timeout(path, &s, p[1]);

	snprintf(arg, sizeof(arg), "unix:%s,server=on,wait=off", path);
	pid = start_qemu(arg);
	CHECK(pid > 0);
	mmt_qmp_init(&q);
	mmt_qmp_set_side(&q, s.fd, side_ready, &s);
	/* Started this instant: the socket may not be there yet. */
	r = mmt_qmp_connect(&q, path, now() + 10000 * MS);
	CHECK_MSG(r == 0, "connect: %s", strerror(-r));
	if (!r)
		test_session(&q, &s, p[1]);
	mmt_qmp_close(&q);
	CHECK(reap(pid) == 0);
	unlink(path);
	rmdir(dir);
	return check_done();
}

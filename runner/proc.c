// SPDX-License-Identifier: GPL-2.0
/* Bounded child processes: own process group, deadline, always reaped. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t mmt_proc_interrupted;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((noreturn)) void child_exec(const struct mmt_proc *p, int out, int err)
{
	const char *const *e;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Its own group, so that a timeout kills apt's download methods too. */
	setpgid(0, 0);
	/* If we die, it dies: no download outlives the command that wanted it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(null, 0);
	dup2(out >= 0 ? out : null, 1);
	dup2(err >= 0 ? err : null, 2);
	if (p->cwd && chdir(p->cwd))
		_exit(126);
	for (e = p->env; e && *e; e++)
		putenv((char *)*e);
	execvp(p->argv[0], (char *const *)p->argv);
	_exit(127);
}

/* Append to out (dropping what does not fit) or keep err's tail. */
static void keep(char *buf, size_t len, size_t *used, const char *data, size_t n, int tail)
{
	if (!buf || !len)
		return;
	if (tail && *used + n > len - 1) {
		size_t drop = *used + n - (len - 1);

		if (drop >= *used) {
			data += n > len - 1 ? n - (len - 1) : 0;
			n = n > len - 1 ? len - 1 : n;
			*used = 0;
		} else {
			memmove(buf, buf + drop, *used - drop);
			*used -= drop;
		}
	}
	if (*used + n > len - 1)
		n = len - 1 - *used;
	memcpy(buf + *used, data, n);
	*used += n;
	buf[*used] = '\0';
}

/* Read what is ready on fd; 0 at EOF (fd closed and set to -1). */
static void drain(int *fd, char *buf, size_t len, size_t *used, int tail)
{
	char chunk[8192];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		keep(buf, len, used, chunk, (size_t)n, tail);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

static int child_exited(pid_t pid)
{
	siginfo_t si = {0};

	/* WNOWAIT: the zombie keeps its PID, and so its process group id, ours to kill. */
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return 1;
	return si.si_pid == pid;
}

/* stopped: 0, or -ETIMEDOUT / -EINTR when the child was cut short. */
static int reap(pid_t pid, int stopped)
{
	int status;

	/* Helpers left in the group (or all of it, when stopped) go with the child. */
	kill(-pid, SIGKILL);
	if (stopped)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (stopped)
		return stopped;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int watch(struct mmt_proc *p, pid_t pid, int out, int err)
{
	int64_t deadline = now_ms() + p->timeout_ms;
	size_t errused = 0;

	p->outused = 0;
	for (;;) {
		struct pollfd fds[2] = {{.fd = out, .events = POLLIN},
					{.fd = err, .events = POLLIN}};
		int64_t left = deadline - now_ms();

		if (left <= 0 || mmt_proc_interrupted)
			break;
		if (out < 0 && err < 0 && child_exited(pid))
			return reap(pid, 0);
		/* Short waits: a child that exits while a helper holds its pipes still ends. */
		if (poll(fds, 2, left < 200 ? (int)left : 200) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			drain(&out, p->out, p->outlen, &p->outused, 0);
		if (fds[1].revents)
			drain(&err, p->err, p->errlen, &errused, 1);
		if ((out >= 0 || err >= 0) && child_exited(pid)) {
			while (out >= 0 && poll(fds, 1, 0) > 0 && fds[0].revents)
				drain(&out, p->out, p->outlen, &p->outused, 0);
			break;
		}
	}
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	if (child_exited(pid))
		return reap(pid, 0);
	return reap(pid, mmt_proc_interrupted ? -EINTR : -ETIMEDOUT);
}

int mmt_proc_run(struct mmt_proc *p)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	pid_t pid;

	if (p->out && p->outlen)
		p->out[0] = '\0';
	if (p->err && p->errlen)
		p->err[0] = '\0';
	if (mmt_proc_interrupted)
		return -EINTR;
	if ((p->out && pipe2(po, O_CLOEXEC)) || pipe2(pe, O_CLOEXEC)) {
		int r = -errno;

		if (po[0] >= 0)
			close(po[0]), close(po[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		if (po[0] >= 0)
			close(po[0]), close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return r;
	}
	if (pid == 0)
		child_exec(p, po[1], pe[1]);
	setpgid(pid, pid);
	if (po[1] >= 0)
		close(po[1]);
	close(pe[1]);
	return watch(p, pid, po[0], pe[0]);
}

int mmt_proc_simple(const char *const *argv, int64_t timeout_ms, char *err, size_t errlen)
{
	struct mmt_proc p = {.argv = argv, .timeout_ms = timeout_ms, .err = err, .errlen = errlen};

	return mmt_proc_run(&p);
}

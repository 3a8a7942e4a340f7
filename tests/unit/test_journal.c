// SPDX-License-Identifier: GPL-2.0
/*
 * The safety journal on stand-in attribute files: the old value is saved
 * before a write, the original comes back even after two changes, a torn
 * last line is ignored, and a second owner is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "journal.h"

static char dir[] = "/tmp/mmt-journal-XXXXXX";

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void get(const char *path, char *buf, size_t len)
{
	CHECK(mmt_sysfs_read(path, buf, len) >= 0);
}

static void current(void)
{
	char out[32];

	CHECK(!mmt_sysfs_current("always [madvise] never", out, sizeof(out)));
	CHECK_STR(out, "madvise");
	CHECK(!mmt_sysfs_current("65530", out, sizeof(out)));
	CHECK_STR(out, "65530");
}

static void save_restore(void)
{
	char jp[256], a[256], b[256], buf[64];
	struct mmt_journal j;

	snprintf(jp, sizeof(jp), "%s/j", dir);
	snprintf(a, sizeof(a), "%s/enabled", dir);
	snprintf(b, sizeof(b), "%s/max_map_count", dir);
	put(a, "always [madvise] never\n");
	put(b, "65530\n");
	CHECK(mmt_journal_open(&j, jp) == 0);
	CHECK(mmt_journal_pending(&j) == 0);
	CHECK(mmt_sysfs_write(&j, a, "never") == 0);
	CHECK(mmt_sysfs_write(&j, a, "always") == 0); /* the original is kept, not "never" */
	CHECK(mmt_sysfs_write(&j, b, "1000000") == 0);
	CHECK(mmt_journal_pending(&j) == 2);
	get(a, buf, sizeof(buf));
	CHECK_STR(buf, "always");
	CHECK(mmt_journal_restore(&j) == 2);
	get(a, buf, sizeof(buf));
	CHECK_STR(buf, "madvise");
	get(b, buf, sizeof(buf));
	CHECK_STR(buf, "65530");
	CHECK(mmt_journal_pending(&j) == 0);
	CHECK(mmt_sysfs_write(&j, "/nonexistent/x", "1") == -ENOENT);
	CHECK(mmt_journal_pending(&j) == 0);
	mmt_journal_close(&j);
}

/* A process that dies after changing a value: the next owner restores it. */
static void crash(void)
{
	char jp[256], a[256], buf[64];
	struct mmt_journal j;
	int status, fd;
	pid_t pid;

	snprintf(jp, sizeof(jp), "%s/crash", dir);
	snprintf(a, sizeof(a), "%s/defrag", dir);
	put(a, "always defer [madvise] never\n");
	pid = fork();
	if (pid == 0) {
		if (mmt_journal_open(&j, jp) || mmt_sysfs_write(&j, a, "defer"))
			_exit(1);
		for (;;)
			pause();
	}
	for (int i = 0; i < 200; i++) {
		get(a, buf, sizeof(buf));
		if (!strcmp(buf, "defer"))
			break;
		usleep(10000);
	}
	CHECK(mmt_journal_open(&j, jp) == -EWOULDBLOCK); /* the owner is alive */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* A torn line after the complete one: never acted on, must be ignored. */
	fd = open(jp, O_WRONLY | O_APPEND);
	CHECK(write(fd, "/tmp/x\tpartial", 14) == 14);
	close(fd);
	CHECK(mmt_journal_open(&j, jp) == 0);
	CHECK(mmt_journal_restore(&j) == 1);
	get(a, buf, sizeof(buf));
	CHECK_STR(buf, "madvise");
	mmt_journal_close(&j);
}

/* A value that cannot be written back is reported, and kept for the next try. */
static void restore_failure(void)
{
	char jp[256], line[512];
	struct mmt_journal j;
	int fd, n;

	snprintf(jp, sizeof(jp), "%s/fail", dir);
	CHECK(mmt_journal_open(&j, jp) == 0);
	/* A directory cannot be written: the restore must fail with EISDIR. */
	n = snprintf(line, sizeof(line), "%s\told\n", dir);
	fd = open(jp, O_WRONLY | O_APPEND);
	CHECK(write(fd, line, (size_t)n) == n);
	close(fd);
	CHECK(mmt_journal_restore(&j) == -EISDIR);
	CHECK(mmt_journal_pending(&j) == 1);
	mmt_journal_close(&j);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	current();
	save_restore();
	crash();
	restore_failure();
	return check_done();
}

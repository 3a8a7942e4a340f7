// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the kernel log record by record, and judging each line: a splat
 * fails the job, an OOM kill is reported with its victim, an allow-listed
 * line is kept but forgiven.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kmsg.h"
#include "mmt.h"

#define KMSG_PATH "/dev/kmsg"
/* A read smaller than the record fails with EINVAL; records stay below 8 KiB. */
#define KMSG_READ_MAX 16384
/* The prefix of the runner's own marker records: never a splat. */
#define KMSG_MARKER "mmtorture: "

int mmt_kmsg_open(struct mmt_kmsg *k)
{
	k->lost = 0;
	k->fd = open(KMSG_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		int r = -errno;

		close(k->fd);
		k->fd = -1;
		return r;
	}
	return 0;
}

void mmt_kmsg_close(struct mmt_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

int mmt_kmsg_read(struct mmt_kmsg *k, struct mmt_kmsg_rec *rec)
{
	char buf[KMSG_READ_MAX];
	ssize_t n;

	for (;;) {
		n = read(k->fd, buf, sizeof(buf));
		if (n > 0)
			return mmt_kmsg_parse(buf, (size_t)n, rec) ? -EINVAL : 1;
		if (n == 0 || errno == EAGAIN)
			return 0;
		if (errno == EPIPE) {
			/* The ring wrapped past us: at least one record is gone. */
			k->lost++;
			continue;
		}
		if (errno != EINTR)
			return -errno;
	}
}

/* A decimal field ended by sep; advances *p past the separator. */
static int parse_u64(const char **p, const char *end, char sep, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || !isdigit((unsigned char)*s))
		return -EINVAL;
	while (s < end && isdigit((unsigned char)*s)) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	if (s >= end || *s != sep)
		return -EINVAL;
	*val = v;
	*p = s + 1;
	return 0;
}

/*
 * The kernel escapes non-printables (and the backslash) as \xNN; undo that,
 * except \x00, which would cut the text short.
 */
static void unescape(const char *s, const char *end, char *out, size_t outlen)
{
	size_t o = 0;

	while (s < end && o + 1 < outlen) {
		int hi, lo;

		if (end - s >= 4 && s[0] == '\\' && s[1] == 'x' && (hi = mmt_hexval(s[2])) >= 0 &&
		    (lo = mmt_hexval(s[3])) >= 0 && (hi | lo)) {
			out[o++] = (char)(hi << 4 | lo);
			s += 4;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
}

int mmt_kmsg_parse(const char *raw, size_t len, struct mmt_kmsg_rec *rec)
{
	const char *p = raw, *end = raw + len, *semi, *nl;
	uint64_t pri, seq, ts;

	if (parse_u64(&p, end, ',', &pri) || parse_u64(&p, end, ',', &seq) ||
	    parse_u64(&p, end, ',', &ts))
		return -EINVAL;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		nl = end;
	/* Flags and any later fields (caller=...) end at the first ';'. */
	semi = memchr(p, ';', (size_t)(nl - p));
	if (!semi || semi == p || pri > 0xffff)
		return -EINVAL;
	rec->seq = seq;
	rec->ts_us = ts;
	rec->level = (int)(pri & 7);
	rec->facility = (int)(pri >> 3);
	unescape(semi + 1, nl, rec->text, sizeof(rec->text));
	return 0;
}

int mmt_kmsg_write(const char *text)
{
	size_t len = strlen(text);
	int nl = len && text[len - 1] == '\n';
	/*
	 * Without the newline the ring keeps the record open for a continuation
	 * and readers see it only when the next record arrives.
	 */
	struct iovec iov[2] = {{(void *)text, len}, {"\n", nl ? 0 : 1}};
	ssize_t n;
	int fd, r = 0;

	/* A fresh open per record: the kernel rate-limits writes per open file. */
	fd = open(KMSG_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One writev() is one record, newline included. */
	n = writev(fd, iov, 2);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len + iov[1].iov_len)
		r = -EIO;
	close(fd);
	return r;
}

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* "BUG:" or "BUG " not inside a longer word such as "DEBUG:". */
static int has_bare_bug(const char *text)
{
	const char *s;

	for (s = strstr(text, "BUG"); s; s = strstr(s + 1, "BUG")) {
		if (s > text && is_word_char(s[-1]))
			continue;
		if (s[3] == ':' || s[3] == ' ')
			return 1;
	}
	return 0;
}

struct splat_rule {
	const char *needle;
	const char *name;
};

/*
 * Most specific first: "BUG: KASAN: ..." is KASAN, "watchdog: BUG: soft
 * lockup" a soft lockup, "Oops: general protection fault" a GPF, and a
 * stack-protector panic names the stack protector rather than the panic.
 */
static const struct splat_rule splat_rules[] = {
	{"kernel BUG at", "kernel BUG"},
	{"BUG: KASAN", "KASAN"},
	{"BUG: KFENCE", "KFENCE"},
	{"Bad page state", "Bad page state"},
	{"page dumped because", "page dumped"},
	{"soft lockup", "soft lockup"},
	{"hard LOCKUP", "hard lockup"},
	{"rcu_sched detected stall", "RCU stall"},
	{"rcu_preempt detected stall", "RCU stall"},
	{"detected stalls on CPUs", "RCU stall"},
	{"RCU stall", "RCU stall"},
	{"rcu: INFO:", "RCU stall"},
	{"blocked for more than", "hung task"},
	{"stack-protector", "stack protector"},
	{"Kernel panic", "panic"},
	{"list_add corruption", "list corruption"},
	{"list_del corruption", "list corruption"},
	{"general protection fault", "GPF"},
	{"invalid opcode", "invalid opcode"},
	{"UBSAN:", "UBSAN"},
	{"refcount_t:", "refcount"},
	{"Unable to handle kernel", "Oops"},
	{"Oops", "Oops"},
	{"WARNING:", "WARNING"},
	{"Offline failed", "Offline failed"},
	/* pseries (DLPAR): an LMB that would not go offline, and the rest put back */
	{"indexed-count-remove failed", "LMB remove failed"},
	{"hot-remove failed, adding LMB", "LMB remove failed"},
};

/* OOM reports quote task names, which any user picks: never judge them. */
static int is_oom_line(const char *text)
{
	return mmt_kmsg_oom_pid(text) >= 0 || strstr(text, "invoked oom-killer");
}

const char *mmt_kmsg_splat(const char *text)
{
	size_t i;

	/* Markers carry user-chosen labels and must not fail the job they frame. */
	if (!strncmp(text, KMSG_MARKER, strlen(KMSG_MARKER)) || is_oom_line(text))
		return NULL;
	for (i = 0; i < sizeof(splat_rules) / sizeof(splat_rules[0]); i++)
		if (strstr(text, splat_rules[i].needle))
			return splat_rules[i].name;
	return has_bare_bug(text) ? "BUG" : NULL;
}

/* The decimal right after needle, or -1. */
static int pid_after(const char *text, const char *needle)
{
	const char *s = strstr(text, needle);
	char *end;
	long pid;

	if (!s)
		return -1;
	s += strlen(needle);
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	pid = strtol(s, &end, 10);
	if (errno || pid <= 0 || pid > 0x3fffffff)
		return -1;
	return (int)pid;
}

int mmt_kmsg_oom_pid(const char *text)
{
	const char *ok = strstr(text, "oom-kill:"), *s, *last = NULL;

	/* "Out of memory: Killed process N" and "Memory cgroup out of memory: ..." */
	if (strstr(text, "ut of memory") && strstr(text, "Killed process "))
		return pid_after(text, "Killed process ");
	if (!ok)
		return -1;
	/* The last one: task=<comm> comes before pid= and may hold anything. */
	for (s = strstr(ok, ",pid="); s; s = strstr(s + 1, ",pid="))
		last = s;
	return last ? pid_after(last, ",pid=") : -1;
}

int mmt_kmsg_allow_add(struct mmt_kmsg_allow *a, const char *pattern, char *err, size_t errlen)
{
	regex_t *re;
	char **src;
	int r;

	re = realloc(a->re, sizeof(*re) * (size_t)(a->n + 1));
	if (!re)
		return -ENOMEM;
	a->re = re;
	src = realloc(a->src, sizeof(*src) * (size_t)(a->n + 1));
	if (!src)
		return -ENOMEM;
	a->src = src;
	r = regcomp(&a->re[a->n], pattern, REG_EXTENDED | REG_NOSUB);
	if (r) {
		if (err && errlen)
			regerror(r, &a->re[a->n], err, errlen);
		return -EINVAL;
	}
	a->src[a->n] = strdup(pattern);
	if (!a->src[a->n]) {
		regfree(&a->re[a->n]);
		return -ENOMEM;
	}
	a->n++;
	return 0;
}

int mmt_kmsg_allowed(const struct mmt_kmsg_allow *a, const char *text)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (!regexec(&a->re[i], text, 0, NULL, 0))
			return 1;
	return 0;
}

void mmt_kmsg_allow_free(struct mmt_kmsg_allow *a)
{
	int i;

	for (i = 0; i < a->n; i++) {
		regfree(&a->re[i]);
		free(a->src[i]);
	}
	free(a->re);
	free(a->src);
	a->re = NULL;
	a->src = NULL;
	a->n = 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * `vm hotplug` watching its guest: the console is read whenever the host
 * waits (for QMP or for the guest), the guest's "@@MMT-GUEST" lines are kept
 * by kind, kernel splats are noted with the cycle and step they came in, and
 * every wait is bounded by a deadline and ends early when the guest or QEMU
 * dies, reboots by itself, reports an error, or the user interrupts.
 */
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmsg.h"
#include "proc.h"
#include "vm_hotplug_internal.h"

#define MAX_CONSOLE (64u << 20)

uint64_t hp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hp_say(struct hp *h, const char *fmt, ...)
{
	va_list ap;

	if (h->o->quiet)
		return;
	fprintf(stderr, "hotplug %6.1fs: ", (double)(hp_now() - h->t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void hp_note(struct hp *h, const char *fmt, ...)
{
	struct mmt_job_result *j = &h->job;
	char **n = realloc(j->notes, sizeof(*n) * (size_t)(j->nnotes + 1));
	va_list ap;

	if (!n)
		return;
	j->notes = n;
	va_start(ap, fmt);
	n[j->nnotes] = vformat(fmt, ap);
	va_end(ap);
	if (n[j->nnotes])
		j->nnotes++;
}

const char *const hp_op_names[OP__N] = {"plug",	  "online",  "verify", "reboot",
					"unplug", "recheck", "cycle"};

/* The op of the step a failure came in (the report names it), or -1. */
static int step_op(const char *step)
{
	int i;

	for (i = 0; step && i < OP_CYCLE; i++)
		if (!strcmp(step, hp_op_names[i]))
			return i;
	return -1;
}

static void add_failure(struct hp *h, int kind, int err, const char *detail)
{
	struct mmt_job_result *j = &h->job;
	struct mmt_failure *f = realloc(j->failures, sizeof(*f) * (size_t)(j->nfailures + 1));

	if (!f)
		return;
	j->failures = f;
	f = &f[j->nfailures++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->err = err;
	f->worker = -1;
	f->op = step_op(h->step);
	f->pid = h->vm.pid;
	f->t_ns = hp_now();
	/* Long details are cut to the slots' size: the console keeps the rest. */
	snprintf(f->detail, sizeof(f->detail), "%.*s", (int)sizeof(f->detail) - 1, detail);
	if (j->status != MMT_FAIL) {
		j->status = MMT_FAIL;
		snprintf(j->reason, sizeof(j->reason), "%s: %.400s", mmt_fail_kind_name(kind),
			 detail);
	}
}

/* "cycle 2 unplug: what", or "boot: what" before the first cycle. */
static void where(struct hp *h, char *buf, size_t len, const char *fmt, va_list ap)
{
	char what[MMT_DETAIL_LEN * 2];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (h->cycle)
		snprintf(buf, len, "cycle %d %s: %s", h->cycle, h->step, what);
	else
		snprintf(buf, len, "%s: %s", h->step, what);
}

static void fail(struct hp *h, int kind, int err, const char *fmt, va_list ap)
{
	char detail[MMT_DETAIL_LEN * 3];

	where(h, detail, sizeof(detail), fmt, ap);
	add_failure(h, kind, err, detail);
	hp_say(h, "FAIL %s", detail);
}

void hp_fail(struct hp *h, int kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail(h, kind, 0, fmt, ap);
	va_end(ap);
}

void hp_fail_errno(struct hp *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail(h, MMT_FK_ERRNO, err, fmt, ap);
	va_end(ap);
}

void hp_error(struct hp *h, const char *fmt, ...)
{
	struct mmt_job_result *j = &h->job;
	char detail[MMT_DETAIL_LEN * 3];
	va_list ap;

	va_start(ap, fmt);
	where(h, detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (j->status == MMT_PASS) {
		j->status = MMT_ERROR;
		snprintf(j->reason, sizeof(j->reason), "%.500s", detail);
	}
	hp_note(h, "%s", detail);
	hp_say(h, "ERROR %s", detail);
}

void hp_record(struct hp *h, int op, uint64_t ns)
{
	size_t off = strlen(h->cycle_text);

	mmt_hist_record(&h->hist[op], ns);
	if (op != OP_CYCLE)
		snprintf(h->cycle_text + off, sizeof(h->cycle_text) - off, "%s%s %.2fs",
			 off ? ", " : "", hp_op_names[op], (double)ns / 1e9);
}

uint64_t hp_until(struct hp *h, uint64_t limit_ns)
{
	uint64_t t = hp_now() + limit_ns;

	return t < h->deadline ? t : h->deadline;
}

/* ------------------------------------------------------------ the console */

void hp_console_keep(struct hp *h, const char *buf, size_t n)
{
	char *nb;

	if (h->conlen + n > MAX_CONSOLE)
		return;
	nb = realloc(h->console, h->conlen + n + 1);
	if (!nb)
		return;
	h->console = nb;
	memcpy(h->console + h->conlen, buf, n);
	h->conlen += n;
	h->console[h->conlen] = '\0';
}

static void splat(struct hp *h, const char *rule, const char *line)
{
	struct hp_splat *s = realloc(h->splats, sizeof(*s) * (size_t)(h->nsplats + 1));

	if (!s)
		return;
	h->splats = s;
	s = &s[h->nsplats++];
	memset(s, 0, sizeof(*s));
	s->cycle = h->cycle;
	s->step = h->step;
	s->t_ns = hp_now() - h->t0;
	snprintf(s->rule, sizeof(s->rule), "%s", rule);
	snprintf(s->text, sizeof(s->text), "%s", line);
	hp_say(h, "console: %s", line);
}

static void guest_line(struct hp *h, const char *g, uint64_t now)
{
	static const char *const kinds[GK__N] = {
		[GK_BOOT] = "hp boot ",	    [GK_SEEN] = "hp seen ", [GK_ONLINE] = "hp online ",
		[GK_VERIFY] = "hp verify ", [GK_GONE] = "hp gone ", [GK_ERROR] = "hp error ",
		[GK_EXIT] = "exit ",
	};
	int k;

	if (!strncmp(g, "boot ", 5) && !h->release[0])
		sscanf(g + 5, "%127s", h->release);
	if (!strncmp(g, "insmod ", 7))
		k = GK_ERROR;
	else
		for (k = 0; k < GK__N && strncmp(g, kinds[k], strlen(kinds[k])); k++)
			;
	if (k == GK__N)
		return;
	h->g[k].n++;
	h->g[k].t_ns = now;
	snprintf(h->g[k].text, sizeof(h->g[k].text), "%s", g);
	if (k != GK_SEEN && !(k == GK_VERIFY || k == GK_ONLINE || k == GK_GONE))
		hp_say(h, "guest: %s", g);
}

static void on_line(void *arg, const char *line, uint64_t now)
{
	struct hp *h = arg;
	const char *g = strstr(line, "@@MMT-GUEST ");
	const char *rule;

	if (g) {
		guest_line(h, g + 12, now);
		return;
	}
	rule = mmt_kmsg_splat(line);
	if (rule)
		splat(h, rule, line);
}

void hp_console_init(struct hp *h)
{
	mmt_vm_console_init(&h->con);
	h->con.on_line = on_line;
	h->con.arg = h;
}

int hp_console_ready(void *arg)
{
	struct hp *h = arg;
	char buf[8192];
	ssize_t n = read(h->vm.console, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		mmt_vm_console_flush(&h->con, hp_now());
		h->con_eof = 1;
		return -1;
	}
	hp_console_keep(h, buf, (size_t)n);
	mmt_vm_console_feed(&h->con, buf, (size_t)n, hp_now());
	return 0;
}

/* ------------------------------------------------------------ waiting */

void hp_watch_begin(struct hp *h, struct hp_watch *w)
{
	w->exit_n = h->g[GK_EXIT].n;
	w->err_n = h->g[GK_ERROR].n;
	w->boot_n = h->boots_expected;
	w->splat_n = h->nsplats;
}

/* The guest's kernel panicked since the wait began: nothing more will come. */
static int panicked(struct hp *h, struct hp_watch *w)
{
	for (; w->splat_n < h->nsplats; w->splat_n++)
		if (strstr(h->splats[w->splat_n].text, "Kernel panic"))
			return 1;
	return 0;
}

int hp_poll(struct hp *h, struct hp_watch *w, uint64_t deadline)
{
	if (mmt_proc_interrupted) {
		h->interrupted = 1;
		return HW_INTERRUPTED;
	}
	if (panicked(h, w))
		return HW_PANIC;
	if (h->con_eof || h->q.eof || h->g[GK_EXIT].n > w->exit_n)
		return HW_GONE;
	if (h->g[GK_BOOT].n > w->boot_n)
		return HW_REBOOTED;
	if (h->g[GK_ERROR].n > w->err_n)
		return HW_GUEST_ERROR;
	if (hp_now() >= deadline)
		return HW_TIMEOUT;
	if (mmt_qmp_poll(&h->q, deadline) < 0 && h->q.eof)
		return HW_GONE;
	return HW_OK;
}

int hp_wait_line(struct hp *h, int kind, int n, uint64_t deadline)
{
	struct hp_watch w;
	int r;

	hp_watch_begin(h, &w);
	if (kind == GK_BOOT)
		w.boot_n = n + 1;
	for (;;) {
		if (h->g[kind].n > n)
			return HW_OK;
		r = hp_poll(h, &w, deadline);
		if (r)
			return r;
	}
}

int hp_idle(struct hp *h, uint64_t deadline)
{
	struct hp_watch w;
	int r;

	hp_watch_begin(h, &w);
	while ((r = hp_poll(h, &w, deadline)) == HW_OK)
		;
	return r == HW_TIMEOUT ? HW_OK : r;
}

void hp_wait_failed(struct hp *h, int w, const char *what)
{
	char tail[700];

	mmt_vm_console_tail(&h->con, 3, tail, sizeof(tail));
	switch (w) {
	case HW_TIMEOUT:
		if (h->deadline <= hp_now())
			hp_fail(h, MMT_FK_HANG, "%s: the run's %llds timeout passed; console: %s",
				what, (long long)((h->deadline - h->t0) / HP_SEC), tail);
		else
			hp_fail(h, MMT_FK_HANG, "%s: not in time; the guest last said: %s", what,
				h->g[GK_SEEN].text);
		break;
	case HW_GONE:
		hp_fail(h, MMT_FK_EXIT, "%s: the guest %s; console: %s", what,
			h->g[GK_EXIT].n ? "program ended" : "or QEMU ended", tail);
		break;
	case HW_PANIC:
		/* The panic's own line is the failure, when the splats are judged. */
		hp_say(h, "%s: the guest's kernel panicked", what);
		break;
	case HW_REBOOTED:
		hp_fail(h, MMT_FK_EXIT, "%s: the guest rebooted by itself; console: %s", what,
			tail);
		break;
	case HW_GUEST_ERROR:
		/* "hp error fill: Invalid argument errno=22"; "insmod virtio_mem failed" */
		if (strstr(h->g[GK_ERROR].text, " errno="))
			hp_fail_errno(h, (int)hp_kv_u64(h->g[GK_ERROR].text, "errno"),
				      "%s: the guest said: %s", what, h->g[GK_ERROR].text);
		else
			hp_fail(h, MMT_FK_EXIT, "%s: the guest said: %s", what,
				h->g[GK_ERROR].text);
		break;
	case HW_INTERRUPTED:
		hp_note(h, "cycle %d %s: interrupted", h->cycle, h->step);
		break;
	default:
		break;
	}
}

const char *hp_kv(const char *line, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key), n;
	const char *p = line;

	buf[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			n = strcspn(p + k + 1, " ");
			snprintf(buf, len, "%.*s", (int)n, p + k + 1);
			break;
		}
		p += k;
	}
	return buf;
}

uint64_t hp_kv_u64(const char *line, const char *key)
{
	char v[32];

	return strtoull(hp_kv(line, key, v, sizeof(v)), NULL, 10);
}

int hp_qmp(struct hp *h, const char *cmd, struct json_object *args, struct json_object **ret)
{
	int r = mmt_qmp_exec(&h->q, cmd, args, ret, hp_until(h, 30 * HP_SEC));

	if (r == -EREMOTEIO)
		hp_error(h, "QMP %s: %s", cmd, h->q.error);
	else if (r)
		hp_fail(h, MMT_FK_HANG, "QMP %s: %s", cmd,
			r == -ETIMEDOUT ? "no answer in time" : strerror(-r));
	return r;
}

/* ------------------------------------------------------------ splats */

const struct hp_splat *hp_splat_in(struct hp *h, const char *step, const char *rule)
{
	int i;

	for (i = 0; i < h->nsplats; i++)
		if (h->splats[i].cycle == h->cycle && h->splats[i].step == step &&
		    !strcmp(h->splats[i].rule, rule))
			return &h->splats[i];
	return NULL;
}

/* The lines a failing offline prints: what an expected limitation looks like. */
static int limitation_signature(const struct hp *h, const struct hp_splat *s)
{
	return h->o->expect == MMT_HP_LIMITATION && s->step && !strcmp(s->step, "unplug") &&
	       (!strcmp(s->rule, "Offline failed") || !strcmp(s->rule, "LMB remove failed") ||
		!strcmp(s->rule, "page dumped"));
}

/* A line the emulated machine itself causes (pseries' empty NVRAM), not the kernel. */
static int machine_noise(const struct hp *h, const struct hp_splat *s)
{
	regex_t re;
	int hit;

	if (!h->arch->machine_noise ||
	    regcomp(&re, h->arch->machine_noise, REG_EXTENDED | REG_NOSUB))
		return 0;
	hit = !regexec(&re, s->text, 0, NULL, 0);
	regfree(&re);
	return hit;
}

static void add_kmsg(struct hp *h, const struct hp_splat *s, int verdict)
{
	struct mmt_job_result *j = &h->job;
	struct mmt_kmsg_line *k = realloc(j->kmsg, sizeof(*k) * (size_t)(j->nkmsg + 1));

	if (!k)
		return;
	j->kmsg = k;
	k = &k[j->nkmsg];
	memset(k, 0, sizeof(*k));
	k->seq = (uint64_t)j->nkmsg;
	k->ts_us = s->t_ns / 1000; /* the host's clock: the console's stamps were cleaned off */
	k->level = -1; /* a console line carries no level */
	k->verdict = verdict;
	snprintf(k->rule, sizeof(k->rule), "%s", s->rule);
	k->text = strdup(s->text);
	if (k->text)
		j->nkmsg++;
}

int hp_judge_splats(struct hp *h)
{
	const char *step = h->step;
	int i, failed = 0, cycle = h->cycle;

	for (i = 0; i < h->nsplats; i++) {
		struct hp_splat *s = &h->splats[i];

		if (s->judged)
			continue;
		s->judged = 1;
		if (limitation_signature(h, s) || machine_noise(h, s)) {
			add_kmsg(h, s, MMT_KMSG_ALLOWED);
			continue;
		}
		add_kmsg(h, s, MMT_KMSG_FAIL);
		h->cycle = s->cycle;
		h->step = s->step ? s->step : "boot";
		hp_fail(h, MMT_FK_KMSG, "console: %s: %s", s->rule, s->text);
		failed++;
	}
	h->cycle = cycle;
	h->step = step;
	return failed;
}

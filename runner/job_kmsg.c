// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log during a job: the runner writes a marker record at the job's
 * start and end; what lies between is the job's. Splats outside any window
 * are handed to the next job, recorded but not blamed on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "job_internal.h"

static int kmsg_append(struct mmt_job_result *res, const struct mmt_kmsg_line *line)
{
	struct mmt_kmsg_line *nl = realloc(res->kmsg, sizeof(*nl) * (size_t)(res->nkmsg + 1));

	if (!nl)
		return -ENOMEM;
	res->kmsg = nl;
	nl[res->nkmsg++] = *line;
	return 0;
}

static void kmsg_keep(struct jobrun *jr, const struct mmt_kmsg_rec *rec, const char *rule,
		      int verdict)
{
	struct mmt_kmsg_line l = {
		.seq = rec->seq, .ts_us = rec->ts_us, .level = rec->level, .verdict = verdict};

	if (jr->res->nkmsg >= MAX_KMSG_LINES) {
		jr->kmsg_dropped++;
		return;
	}
	snprintf(l.rule, sizeof(l.rule), "%s", rule ? rule : "");
	l.text = strdup(rec->text);
	if (l.text && kmsg_append(jr->res, &l))
		free(l.text);
}

/* A splat outside any job's window: the next job records it (not blamed on it). */
static void kmsg_pend(struct mmt_runctx *rc, const struct mmt_kmsg_rec *rec, const char *rule)
{
	struct mmt_kmsg_line *nl;

	if (rc->npending >= 64)
		return;
	nl = realloc(rc->pending, sizeof(*nl) * (size_t)(rc->npending + 1));
	if (!nl)
		return;
	rc->pending = nl;
	memset(&nl[rc->npending], 0, sizeof(*nl));
	nl[rc->npending].seq = rec->seq;
	nl[rc->npending].ts_us = rec->ts_us;
	nl[rc->npending].level = rec->level;
	nl[rc->npending].verdict = MMT_KMSG_INFO;
	snprintf(nl[rc->npending].rule, sizeof(nl->rule), "outside-job:%s", rule);
	nl[rc->npending].text = strdup(rec->text);
	rc->npending++;
}

static void kmsg_in_job(struct jobrun *jr, const struct mmt_kmsg_rec *rec)
{
	const char *rule = mmt_kmsg_splat(rec->text);
	int pid = mmt_kmsg_oom_pid(rec->text);

	if (pid > 0 && jr->noom < 64) {
		jr->oom_pid[jr->noom] = pid;
		snprintf(jr->oom_line[jr->noom++], sizeof(jr->oom_line[0]), "%.159s", rec->text);
	}
	if (!rule) {
		kmsg_keep(jr, rec, NULL, MMT_KMSG_INFO);
		return;
	}
	if (mmt_kmsg_allowed(jr->rc->allow, rec->text) ||
	    mmt_kmsg_allowed(&jr->wl_allow, rec->text)) {
		kmsg_keep(jr, rec, rule, MMT_KMSG_ALLOWED);
		return;
	}
	kmsg_keep(jr, rec, rule, MMT_KMSG_FAIL);
	runner_fail(jr, MMT_FK_KMSG, -1, 0, "[%llu.%06llu] %s: %s",
		    (unsigned long long)(rec->ts_us / 1000000),
		    (unsigned long long)(rec->ts_us % 1000000), rule, rec->text);
}

static void kmsg_handle(struct jobrun *jr, const struct mmt_kmsg_rec *rec)
{
	const char *rule;

	if (!strcmp(rec->text, jr->start_marker)) {
		jr->kstate = K_IN;
		return;
	}
	if (!strcmp(rec->text, jr->end_marker)) {
		jr->kstate = K_AFTER;
		return;
	}
	if (jr->kstate == K_IN) {
		kmsg_in_job(jr, rec);
		return;
	}
	rule = mmt_kmsg_splat(rec->text);
	if (rule)
		kmsg_pend(jr->rc, rec, rule);
}

void kmsg_drain(struct jobrun *jr)
{
	struct mmt_kmsg_rec rec;

	if (jr->rc->kmsg.fd < 0)
		return;
	while (mmt_kmsg_read(&jr->rc->kmsg, &rec) == 1)
		kmsg_handle(jr, &rec);
}

/* Read until our own marker comes back, so every earlier line has been seen. */
static void kmsg_sync(struct jobrun *jr, int until)
{
	uint64_t deadline = mmt_mono_ns() + 2 * NS_PER_S;

	while (jr->rc->kmsg.fd >= 0 && jr->kstate < until && mmt_mono_ns() < deadline) {
		kmsg_drain(jr);
		if (jr->kstate < until)
			usleep(10000);
	}
}

void kmsg_start(struct jobrun *jr)
{
	struct mmt_runctx *rc = jr->rc;
	int i;

	/* The workload's name lets a guest's console alone say which job died. */
	snprintf(jr->start_marker, sizeof(jr->start_marker), "mmtorture: job %d start run %.8s: %s",
		 jr->jp->seq, rc->uuid, jr->jp->spec->wl->name);
	snprintf(jr->end_marker, sizeof(jr->end_marker), "mmtorture: job %d end run %.8s: %s",
		 jr->jp->seq, rc->uuid, jr->jp->spec->wl->name);
	/* Recorded with this job for the record, as info: they came before it. */
	for (i = 0; i < rc->npending; i++)
		if (kmsg_append(jr->res, &rc->pending[i]))
			free(rc->pending[i].text);
	free(rc->pending);
	rc->pending = NULL;
	rc->npending = 0;
	if (rc->kmsg.fd < 0)
		return;
	jr->kmsg_lost0 = rc->kmsg.lost;
	if (mmt_kmsg_write(jr->start_marker)) {
		mmt_kmsg_close(&rc->kmsg);
		snprintf(rc->kmsg_reason, sizeof(rc->kmsg_reason),
			 "cannot write /dev/kmsg markers");
		return;
	}
	kmsg_sync(jr, K_IN);
}

/*
 * The start marker never came back (the log overflowed while we waited): the
 * splats seen meanwhile were set aside as "outside any job", but they are most
 * likely this job's. Charge them to it rather than let them pass.
 */
static void claim_pending(struct jobrun *jr)
{
	struct mmt_runctx *rc = jr->rc;
	struct mmt_kmsg_line *l;
	int i;

	add_note(jr->res, "WARNING: this job's kernel log start marker was never read back; "
			  "splats seen during the job are charged to it");
	for (i = 0; i < rc->npending; i++) {
		l = &rc->pending[i];
		if (mmt_kmsg_allowed(rc->allow, l->text) ||
		    mmt_kmsg_allowed(&jr->wl_allow, l->text)) {
			l->verdict = MMT_KMSG_ALLOWED;
		} else {
			l->verdict = MMT_KMSG_FAIL;
			runner_fail(jr, MMT_FK_KMSG, -1, 0, "(start marker lost) %s: %s", l->rule,
				    l->text);
		}
		if (kmsg_append(jr->res, l))
			free(l->text);
	}
	free(rc->pending);
	rc->pending = NULL;
	rc->npending = 0;
}

void kmsg_end(struct jobrun *jr)
{
	uint64_t lost = jr->rc->kmsg.lost - jr->kmsg_lost0;

	if (jr->rc->kmsg.fd < 0)
		return;
	if (jr->kstate == K_IN && !mmt_kmsg_write(jr->end_marker))
		kmsg_sync(jr, K_AFTER);
	if (jr->kstate == K_BEFORE)
		claim_pending(jr);
	if (lost)
		add_note(jr->res,
			 "WARNING: the kernel log overwrote %llu record(s) before they "
			 "were read; a splat among them would be missed",
			 (unsigned long long)lost);
	if (jr->kmsg_dropped)
		add_note(jr->res, "%llu more kernel log lines seen but not kept",
			 (unsigned long long)jr->kmsg_dropped);
}

int mmt_job_kmsg_leftovers(struct mmt_runctx *rc, FILE *out)
{
	struct mmt_kmsg_rec rec;
	const char *rule;
	int i, n = 0;

	for (i = 0; i < rc->npending; i++, n++) {
		fprintf(out, "mmtorture: WARNING: kernel log outside any job: %s: %s\n",
			rc->pending[i].rule, rc->pending[i].text);
		free(rc->pending[i].text);
	}
	free(rc->pending);
	rc->pending = NULL;
	rc->npending = 0;
	while (rc->kmsg.fd >= 0 && mmt_kmsg_read(&rc->kmsg, &rec) == 1) {
		rule = mmt_kmsg_splat(rec.text);
		if (!rule || mmt_kmsg_allowed(rc->allow, rec.text))
			continue;
		fprintf(out, "mmtorture: WARNING: kernel log after the last job: %s: %s\n", rule,
			rec.text);
		n++;
	}
	return n;
}

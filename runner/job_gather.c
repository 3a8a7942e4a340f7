// SPDX-License-Identifier: GPL-2.0
/*
 * After a job's workers are gone: merge their histograms and series, collect
 * failures, metrics and notes from the shared blocks, tell OOM kills apart,
 * check the taint, and decide the job's status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "job_internal.h"
#include "sysinfo.h"

static void op_name(const struct jobrun *jr, const struct group *g, unsigned op, char *buf,
		    size_t len)
{
	if (g == &jr->g[0])
		snprintf(buf, len, "%s", g->wl->ops[op]);
	else /* the companion's ops, told apart by its name */
		snprintf(buf, len, "%s.%s", g->wl->name, g->wl->ops[op]);
}

static void gather_ops(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	struct mmt_op_result *o;
	struct group *g;
	unsigned w, r, op;
	int k;

	res->ops = calloc((size_t)jr->nops, sizeof(*res->ops));
	if (!res->ops)
		return;
	res->nops = jr->nops;
	for (k = 0; k < jr->ngroups; k++) {
		g = &jr->g[k];
		for (op = 0; op < (unsigned)g->nops; op++) {
			o = &res->ops[g->op0 + (int)op];
			op_name(jr, g, op, o->name, sizeof(o->name));
			mmt_hist_init(&o->h);
			for (w = 0; w < (unsigned)g->nw; w++)
				for (r = 0; r < g->sh->nrec; r++)
					mmt_hist_merge(&o->h, mmt_shared_hist(g->sh, w, r, op));
			o->nintervals = jr->nint;
			o->intervals = jr->series[g->op0 + (int)op];
			jr->series[g->op0 + (int)op] = NULL;
		}
	}
}

static void gather_failures(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	struct mmt_failure *f;
	struct mmt_wshared *ws;
	uint32_t n, total = (uint32_t)jr->nfail, k;
	int i;

	for (i = 0; i < jr->nw; i++) {
		n = wshared(jr, i)->nfail;
		total += n < MMT_MAX_FAILS ? n : MMT_MAX_FAILS;
	}
	res->failures = calloc(total ? total : 1, sizeof(*res->failures));
	if (!res->failures)
		return;
	for (i = 0; i < jr->nw; i++) {
		ws = wshared(jr, i);
		n = ws->nfail < MMT_MAX_FAILS ? ws->nfail : MMT_MAX_FAILS;
		for (k = 0; k < n; k++) {
			f = &res->failures[res->nfailures++];
			*f = ws->fail[k];
			/* Job-wide numbering: workers across groups, ops in the job's list. */
			f->worker = i;
			if (f->op >= 0)
				f->op += group_of(jr, i)->op0;
		}
		res->failures_dropped += ws->nfail - n;
	}
	memcpy(res->failures + res->nfailures, jr->fail, (size_t)jr->nfail * sizeof(*jr->fail));
	res->nfailures += jr->nfail;
}

/* A SIGKILL the kernel log blames on the OOM killer is an OOM kill. */
static void classify_oom(struct jobrun *jr)
{
	struct mmt_failure *f;
	int i, k;

	for (i = 0; i < jr->res->nfailures; i++) {
		f = &jr->res->failures[i];
		if (f->kind != MMT_FK_SIGNAL || f->err != SIGKILL)
			continue;
		for (k = 0; k < jr->noom; k++) {
			if (jr->oom_pid[k] != f->pid)
				continue;
			f->kind = MMT_FK_OOM;
			snprintf(f->detail, sizeof(f->detail), "pid %d OOM-killed: %s", f->pid,
				 jr->oom_line[k]);
		}
	}
}

/* The metric's slot in the job, by key; -1 when they are all taken. */
static int metric_slot(struct mmt_job_result *res, const char *key)
{
	int m;

	for (m = 0; m < res->nmetrics; m++)
		if (!strcmp(res->metrics[m].key, key))
			return m;
	if (res->nmetrics == MMT_MAX_METRICS * 2)
		return -1;
	snprintf(res->metrics[m].key, sizeof(res->metrics[m].key), "%.31s", key);
	res->metrics[m].value = 0;
	return res->nmetrics++;
}

static void gather_worker_metrics(struct jobrun *jr, int i, int *cnt)
{
	struct mmt_wshared *ws = wshared(jr, i);
	struct group *g = group_of(jr, i);
	char key[64];
	uint32_t j;
	int m;

	for (j = 0; j < ws->nmetric && j < MMT_MAX_METRICS; j++) {
		if (g == &jr->g[0])
			snprintf(key, sizeof(key), "%s", ws->metric[j].key);
		else
			snprintf(key, sizeof(key), "%s.%s", g->wl->name, ws->metric[j].key);
		m = metric_slot(jr->res, key);
		if (m < 0)
			continue;
		jr->res->metrics[m].value += ws->metric[j].value;
		cnt[m]++;
	}
}

static void gather_worker_notes(struct jobrun *jr, int i)
{
	struct mmt_wshared *ws = wshared(jr, i);
	struct mmt_job_result *res = jr->res;
	struct group *g = group_of(jr, i);
	char note[MMT_DETAIL_LEN + 64];
	uint32_t j;
	int k;

	for (j = 0; j < ws->nnote && j < MMT_MAX_NOTES; j++) {
		snprintf(note, sizeof(note), "%s%s%s", g == &jr->g[0] ? "" : g->wl->name,
			 g == &jr->g[0] ? "" : ": ", ws->note[j]);
		for (k = 0; k < res->nnotes; k++)
			if (!strcmp(res->notes[k], note))
				break;
		if (k == res->nnotes)
			add_note(res, "%s", note);
	}
}

static void gather_metrics_notes(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	int i, m, cnt[MMT_MAX_METRICS * 2] = {0};

	res->metrics = calloc(MMT_MAX_METRICS * 2, sizeof(*res->metrics));
	if (!res->metrics)
		return;
	for (i = 0; i < jr->nw; i++) {
		gather_worker_metrics(jr, i, cnt);
		gather_worker_notes(jr, i);
	}
	for (m = 0; m < res->nmetrics; m++)
		res->metrics[m].value /= cnt[m]; /* the mean over workers */
}

/* Where CPU hotplug moved workers, for the record. */
static void gather_moves(struct jobrun *jr)
{
	int i;

	for (i = 0; i < jr->nw; i++)
		if (jr->cpu_lost[i])
			add_note(jr->res,
				 "worker %d (%s): its cpu %d went offline %u time(s); the kernel "
				 "moved it; re-pinned %u time(s) when the cpu came back",
				 i, group_of(jr, i)->wl->name, jr->plan[i].cpu, jr->cpu_lost[i],
				 jr->repinned[i]);
}

static void gather_workers(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	struct mmt_worker_result *w;
	struct mmt_wshared *ws;
	int i, st;

	res->workers = calloc((size_t)jr->nw, sizeof(*res->workers));
	if (!res->workers)
		return;
	for (i = 0; i < jr->nw; i++) {
		w = &res->workers[i];
		ws = wshared(jr, i);
		st = jr->wstatus[i];
		w->worker = i;
		w->pid = ws->pid;
		w->planned = jr->plan[i];
		w->applied = ws->applied;
		w->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		w->term_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		if (WIFSIGNALED(st) || jr->killed[i])
			w->status = MMT_FAIL;
		else if (w->exit_code == MMT_PASS || w->exit_code == MMT_SKIP)
			w->status = w->exit_code;
		else
			w->status = MMT_ERROR;
	}
	res->nworkers = jr->nw;
}

static void judge(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	int i, skipped = 0, errored = -1;

	/* A failure seen before an interruption still counts: the kernel misbehaved. */
	if (res->nfailures) {
		res->status = MMT_FAIL;
		snprintf(res->reason, sizeof(res->reason), "%s: %s",
			 mmt_fail_kind_name(res->failures[0].kind), res->failures[0].detail);
		return;
	}
	if (*jr->rc->interrupted) {
		res->status = MMT_ERROR;
		snprintf(res->reason, sizeof(res->reason), "interrupted by %s",
			 strsignal(*jr->rc->interrupted));
		return;
	}
	for (i = 0; i < res->nworkers; i++) {
		skipped += res->workers[i].status == MMT_SKIP;
		if (res->workers[i].status == MMT_ERROR && errored < 0)
			errored = i;
	}
	res->status = MMT_PASS;
	if (errored < 0 && !(skipped && skipped == res->nworkers))
		return;
	i = errored >= 0 ? errored : 0;
	res->status = errored >= 0 ? MMT_ERROR : MMT_SKIP;
	snprintf(res->reason, sizeof(res->reason), "worker %d: %s", i,
		 wshared(jr, i)->reason[0] ? wshared(jr, i)->reason
					   : "exited with an unexpected status");
}

static void check_taint(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	char before[64], after[64];

	if (mmt_taint_read(&res->taint_after) || res->taint_after == res->taint_before)
		return;
	mmt_taint_letters(res->taint_before, before, sizeof(before));
	mmt_taint_letters(res->taint_after, after, sizeof(after));
	runner_fail(jr, MMT_FK_TAINT, -1, 0, "kernel taint changed: %#llx (%s) -> %#llx (%s)",
		    (unsigned long long)res->taint_before, before,
		    (unsigned long long)res->taint_after, after);
}

void gather(struct jobrun *jr)
{
	check_taint(jr);
	gather_ops(jr);
	gather_failures(jr);
	classify_oom(jr);
	gather_metrics_notes(jr);
	gather_moves(jr);
	gather_workers(jr);
	judge(jr);
}

// SPDX-License-Identifier: GPL-2.0
#include "job.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "sysinfo.h"

#define NS_PER_S 1000000000ll
#define STOP_GRACE_NS (15 * NS_PER_S) /* from the stop request to SIGKILL */
#define KILL_GRACE_NS (30 * NS_PER_S) /* from SIGKILL to giving up on a D-state worker */
#define TICK_MS 50
#define MAX_KMSG_LINES 2000
#define MAX_RUNNER_FAILS 256

enum { K_BEFORE, K_IN, K_AFTER };
enum { KILLED_NO, KILLED_HANG, KILLED_STOP };

struct jobrun {
	struct mmt_runctx *rc;
	const struct mmt_job_params *jp;
	const struct mmt_workload *wl;
	struct mmt_job_result *res;
	struct mmt_shared *sh;
	pid_t runner;
	int nw, alive, nops;
	struct mmt_where *plan;
	pid_t *pid; /* 0 once reaped or given up on */
	int *wstatus, *killed;
	uint64_t *progress, *progress_ns, *kill_ns;
	uint64_t t_start, t_stop, t_end;
	/* throughput series */
	uint64_t *last_count, next_interval;
	int nint, capint;
	uint64_t **series;
	/* kernel log */
	int kstate;
	char start_marker[96], end_marker[96];
	int noom;
	int oom_pid[64];
	char oom_line[64][160];
	uint64_t kmsg_dropped;
	/* failures the runner itself saw (signals, hangs, splats, taint) */
	int nfail;
	struct mmt_failure fail[MAX_RUNNER_FAILS];
	uint64_t next_progress;
};

/* ---------------------------------------------------------------- worker */

static uint64_t worker_seed(uint64_t job_seed, unsigned i)
{
	return job_seed ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull);
}

static int worker_body(struct jobrun *jr, struct mmt_worker *w)
{
	const struct mmt_where *where = &jr->plan[w->id];
	void *state = NULL;
	int r;

	r = mmt_bind_self(jr->rc->topo, where, &w->ws->applied);
	if (r)
		return mmt_worker_verdict(w, MMT_ERROR, "binding to cpu %d, node %d: %s",
					  where->cpu, where->node, strerror(-r));
	w->node = w->ws->applied.node;
	r = jr->wl->setup(w, &state);
	if (!r)
		r = jr->wl->run(w, state);
	jr->wl->teardown(w, state);
	if (r < 0)
		return mmt_worker_verdict(w, MMT_ERROR, "%s: %s", jr->wl->name, strerror(-r));
	if (r == MMT_SKIP || r == MMT_ERROR)
		return w->ws->reason[0]
			       ? r
			       : mmt_worker_verdict(w, r, "%s gave no reason", jr->wl->name);
	return MMT_PASS;
}

static __attribute__((noreturn)) void worker_main(struct jobrun *jr, unsigned i)
{
	struct mmt_worker w;

	/* Own group: the watchdog kills the worker and its children together. */
	setpgid(0, 0);
	/* Nothing outlives the runner, even a SIGKILLed one. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != jr->runner)
		_exit(MMT_ERROR);
	signal(SIGINT, SIG_IGN); /* the runner decides when to stop */
	signal(SIGTERM, SIG_DFL);
	mmt_worker_init(&w, jr->sh, i, worker_seed(jr->rc->seed + (uint64_t)jr->jp->seq, i),
			jr->jp->spec->opts);
	w.duration_ns = (uint64_t)jr->jp->duration_ns;
	w.scratch = jr->rc->scratch;
	_exit(worker_body(jr, &w));
}

/* ------------------------------------------------------------- failures */

static struct mmt_failure *runner_fail(struct jobrun *jr, int kind, int worker, int pid,
				       const char *fmt, ...) mmt_printf(5, 6);

static struct mmt_failure *runner_fail(struct jobrun *jr, int kind, int worker, int pid,
				       const char *fmt, ...)
{
	static struct mmt_failure overflow; /* counted, not kept */
	struct mmt_failure *f = &overflow;
	va_list ap;

	if (jr->nfail < MAX_RUNNER_FAILS)
		f = &jr->fail[jr->nfail++];
	else
		jr->res->failures_dropped++;
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->worker = worker;
	f->pid = pid;
	f->op = -1;
	f->t_ns = mmt_mono_ns();
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return f;
}

/* ------------------------------------------------------------ kernel log */

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
	if (mmt_kmsg_allowed(jr->rc->allow, rec->text)) {
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

static void kmsg_drain(struct jobrun *jr)
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

static void kmsg_start(struct jobrun *jr)
{
	struct mmt_runctx *rc = jr->rc;
	int i;

	snprintf(jr->start_marker, sizeof(jr->start_marker), "mmtorture: job %d start run %.8s",
		 jr->jp->seq, rc->uuid);
	snprintf(jr->end_marker, sizeof(jr->end_marker), "mmtorture: job %d end run %.8s",
		 jr->jp->seq, rc->uuid);
	/* Recorded with this job for the record, as info: they came before it. */
	for (i = 0; i < rc->npending; i++)
		if (kmsg_append(jr->res, &rc->pending[i]))
			free(rc->pending[i].text);
	free(rc->pending);
	rc->pending = NULL;
	rc->npending = 0;
	if (rc->kmsg.fd < 0)
		return;
	if (mmt_kmsg_write(jr->start_marker)) {
		mmt_kmsg_close(&rc->kmsg);
		snprintf(rc->kmsg_reason, sizeof(rc->kmsg_reason),
			 "cannot write /dev/kmsg markers");
		return;
	}
	kmsg_sync(jr, K_IN);
}

static void add_note(struct mmt_job_result *res, const char *text);

static void kmsg_end(struct jobrun *jr)
{
	char note[96];

	if (jr->rc->kmsg.fd < 0)
		return;
	if (jr->kstate == K_IN && !mmt_kmsg_write(jr->end_marker))
		kmsg_sync(jr, K_AFTER);
	if (jr->kmsg_dropped) {
		snprintf(note, sizeof(note), "%llu more kernel log lines seen but not kept",
			 (unsigned long long)jr->kmsg_dropped);
		add_note(jr->res, note);
	}
}

/* ------------------------------------------------------------- workers */

static int fork_workers(struct jobrun *jr)
{
	int i;
	pid_t pid;

	for (i = 0; i < jr->nw; i++) {
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			worker_main(jr, (unsigned)i);
		setpgid(pid, pid); /* both sides, so a kill never races the child's own */
		jr->pid[i] = pid;
		jr->progress_ns[i] = mmt_mono_ns();
		jr->alive++;
	}
	return 0;
}

static void kill_worker(struct jobrun *jr, int i, int why, uint64_t now)
{
	if (!jr->pid[i] || jr->killed[i])
		return;
	jr->killed[i] = why;
	jr->kill_ns[i] = now;
	kill(-jr->pid[i], SIGKILL);
	kill(jr->pid[i], SIGKILL);
}

static void reaped(struct jobrun *jr, int i, int status)
{
	struct mmt_wshared *ws = mmt_shared_worker(jr->sh, (unsigned)i);
	const struct mmt_fault *ft;
	int sig;

	jr->wstatus[i] = status;
	/* Its children die with it: they are in its process group. */
	kill(-jr->pid[i], SIGKILL);
	if (WIFSIGNALED(status) && !jr->killed[i]) {
		sig = WTERMSIG(status);
		ft = mmt_fault_of(jr->sh, (unsigned)i, jr->pid[i]);
		if (ft && ft->sig == sig)
			runner_fail(jr, MMT_FK_SIGNAL, i, jr->pid[i],
				    "worker %d (pid %d) killed by %s at %#llx (code %d)", i,
				    jr->pid[i], strsignal(sig), (unsigned long long)ft->addr,
				    ft->code)
				->err = sig;
		else
			runner_fail(jr, MMT_FK_SIGNAL, i, jr->pid[i],
				    "worker %d (pid %d) killed by %s", i, jr->pid[i],
				    strsignal(sig))
				->err = sig;
	}
	(void)ws;
	jr->pid[i] = 0;
	jr->alive--;
}

static void reap(struct jobrun *jr)
{
	int i, status;
	pid_t r;

	for (i = 0; i < jr->nw; i++) {
		if (!jr->pid[i])
			continue;
		r = waitpid(jr->pid[i], &status, WNOHANG);
		if (r == jr->pid[i])
			reaped(jr, i, status);
	}
}

/* A worker that does not die even of SIGKILL is stuck in the kernel: say so, move on. */
static void give_up_stuck(struct jobrun *jr, uint64_t now)
{
	int i;

	for (i = 0; i < jr->nw; i++) {
		if (!jr->pid[i] || !jr->killed[i] || now < jr->kill_ns[i] + KILL_GRACE_NS)
			continue;
		runner_fail(
			jr, MMT_FK_HANG, i, jr->pid[i],
			"worker %d (pid %d) still alive %llds after SIGKILL: stuck in the kernel "
			"(see /proc/%d/stack)",
			i, jr->pid[i], KILL_GRACE_NS / NS_PER_S, jr->pid[i]);
		jr->pid[i] = 0;
		jr->alive--;
	}
}

static void watchdog(struct jobrun *jr, uint64_t now)
{
	uint64_t p;
	int i;

	for (i = 0; i < jr->nw; i++) {
		if (!jr->pid[i] || jr->killed[i])
			continue;
		p = mmt_shared_progress(jr->sh, (unsigned)i);
		if (p != jr->progress[i]) {
			jr->progress[i] = p;
			jr->progress_ns[i] = now;
			continue;
		}
		if (now - jr->progress_ns[i] < (uint64_t)jr->rc->hang_timeout_ns)
			continue;
		runner_fail(jr, MMT_FK_HANG, i, jr->pid[i],
			    "worker %d (pid %d) made no progress for %.1fs; killed", i, jr->pid[i],
			    (double)(now - jr->progress_ns[i]) / NS_PER_S);
		kill_worker(jr, i, KILLED_HANG, now);
	}
}

static void request_stop(struct jobrun *jr, uint64_t now)
{
	if (jr->t_stop)
		return;
	jr->t_stop = now;
	__atomic_store_n(&jr->sh->stop, 1, __ATOMIC_RELEASE);
}

static void enforce_stop(struct jobrun *jr, uint64_t now)
{
	int i;

	if (!jr->t_stop || now - jr->t_stop < STOP_GRACE_NS)
		return;
	for (i = 0; i < jr->nw; i++) {
		if (!jr->pid[i] || jr->killed[i])
			continue;
		runner_fail(
			jr, MMT_FK_HANG, i, jr->pid[i],
			"worker %d (pid %d) did not stop within %llds of the stop request; killed",
			i, jr->pid[i], STOP_GRACE_NS / NS_PER_S);
		kill_worker(jr, i, KILLED_STOP, now);
	}
}

/* ------------------------------------------------------ throughput series */

static int sample_intervals(struct jobrun *jr, uint64_t now)
{
	uint64_t c, **ns;
	int op;

	while (now >= jr->next_interval) {
		if (jr->nint == jr->capint) {
			jr->capint = jr->capint ? jr->capint * 2 : 64;
			for (op = 0; op < jr->nops; op++) {
				ns = &jr->series[op];
				*ns = realloc(*ns, sizeof(**ns) * (size_t)jr->capint);
				if (!*ns)
					return -ENOMEM;
			}
		}
		for (op = 0; op < jr->nops; op++) {
			c = mmt_shared_op_count(jr->sh, (unsigned)op);
			jr->series[op][jr->nint] = c - jr->last_count[op];
			jr->last_count[op] = c;
		}
		jr->nint++;
		jr->next_interval += (uint64_t)jr->rc->interval_ns;
	}
	return 0;
}

static uint64_t failures_so_far(struct jobrun *jr)
{
	uint64_t n = (uint64_t)jr->nfail;
	int i;

	for (i = 0; i < jr->nw; i++)
		n += __atomic_load_n(&mmt_shared_worker(jr->sh, (unsigned)i)->nfail,
				     __ATOMIC_RELAXED);
	return n;
}

static void progress(struct jobrun *jr, uint64_t now, int last)
{
	struct mmt_runctx *rc = jr->rc;
	uint64_t ops = 0, interval = rc->progress_tty ? NS_PER_S / 4 : 10 * NS_PER_S;
	double el = (double)(now - jr->t_start) / NS_PER_S, rate = 0;
	char name[96];
	int op;

	if (!rc->progress || (!last && now < jr->next_progress))
		return;
	jr->next_progress = now + interval;
	for (op = 0; op < jr->nops; op++)
		ops += jr->last_count[op];
	if (jr->nint && el > 0)
		rate = (double)ops / ((double)jr->nint * (double)rc->interval_ns / NS_PER_S);
	snprintf(name, sizeof(name), "%s%s%s", jr->wl->name, jr->res->label[0] ? ":" : "",
		 jr->res->label);
	fprintf(rc->progress, "%s[%d/%d] %-24s %6.1fs/%.0fs  %10.0f ops/s  failures %llu%s",
		rc->progress_tty ? "\r\033[K" : "", jr->jp->seq, rc->njobs, name, el,
		(double)jr->jp->duration_ns / NS_PER_S, rate,
		(unsigned long long)failures_so_far(jr), rc->progress_tty && !last ? "" : "\n");
	fflush(rc->progress);
}

/* ------------------------------------------------------------ the loop */

static void wait_tick(struct jobrun *jr)
{
	struct pollfd pfd = {.fd = jr->rc->kmsg.fd, .events = POLLIN};

	if (pfd.fd >= 0)
		(void)poll(&pfd, 1, TICK_MS);
	else
		usleep(TICK_MS * 1000);
}

static int monitor(struct jobrun *jr)
{
	uint64_t now;
	int r;

	while (jr->alive > 0) {
		wait_tick(jr);
		now = mmt_mono_ns();
		kmsg_drain(jr);
		reap(jr);
		if (now - jr->t_start >= (uint64_t)jr->jp->duration_ns || *jr->rc->interrupted)
			request_stop(jr, now);
		if (!jr->t_stop) {
			r = sample_intervals(jr, now);
			if (r)
				return r;
		}
		watchdog(jr, now);
		enforce_stop(jr, now);
		give_up_stuck(jr, now);
		progress(jr, now, 0);
	}
	jr->t_end = mmt_mono_ns();
	progress(jr, jr->t_end, 1);
	return 0;
}

/* ------------------------------------------------------------ gathering */

static void gather_ops(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	struct mmt_op_result *o;
	unsigned w, r;
	int op;

	res->ops = calloc((size_t)jr->nops, sizeof(*res->ops));
	if (!res->ops)
		return;
	res->nops = jr->nops;
	for (op = 0; op < jr->nops; op++) {
		o = &res->ops[op];
		snprintf(o->name, sizeof(o->name), "%s", jr->wl->ops[op]);
		mmt_hist_init(&o->h);
		for (w = 0; w < (unsigned)jr->nw; w++)
			for (r = 0; r < jr->sh->nrec; r++)
				mmt_hist_merge(&o->h, mmt_shared_hist(jr->sh, w, r, (unsigned)op));
		o->nintervals = jr->nint;
		o->intervals = jr->series[op];
		jr->series[op] = NULL;
	}
}

static void gather_failures(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	struct mmt_wshared *ws;
	uint32_t n, total = (uint32_t)jr->nfail;
	int i;

	for (i = 0; i < jr->nw; i++) {
		n = mmt_shared_worker(jr->sh, (unsigned)i)->nfail;
		total += n < MMT_MAX_FAILS ? n : MMT_MAX_FAILS;
	}
	res->failures = calloc(total ? total : 1, sizeof(*res->failures));
	if (!res->failures)
		return;
	for (i = 0; i < jr->nw; i++) {
		ws = mmt_shared_worker(jr->sh, (unsigned)i);
		n = ws->nfail < MMT_MAX_FAILS ? ws->nfail : MMT_MAX_FAILS;
		memcpy(res->failures + res->nfailures, ws->fail, n * sizeof(*ws->fail));
		res->nfailures += (int)n;
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

static void gather_metrics_notes(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	struct mmt_wshared *ws;
	int i, k, m, cnt[MMT_MAX_METRICS * 8] = {0};
	uint32_t j;

	res->metrics = calloc(MMT_MAX_METRICS, sizeof(*res->metrics));
	if (!res->metrics)
		return;
	for (i = 0; i < jr->nw; i++) {
		ws = mmt_shared_worker(jr->sh, (unsigned)i);
		for (j = 0; j < ws->nmetric && j < MMT_MAX_METRICS; j++) {
			for (m = 0; m < res->nmetrics; m++)
				if (!strcmp(res->metrics[m].key, ws->metric[j].key))
					break;
			if (m == res->nmetrics) {
				if (m == MMT_MAX_METRICS)
					continue;
				res->metrics[m] = ws->metric[j];
				res->metrics[m].value = 0;
				res->nmetrics++;
			}
			res->metrics[m].value += ws->metric[j].value;
			cnt[m]++;
		}
		for (j = 0; j < ws->nnote && j < MMT_MAX_NOTES; j++) {
			for (k = 0; k < res->nnotes; k++)
				if (!strcmp(res->notes[k], ws->note[j]))
					break;
			if (k == res->nnotes)
				add_note(res, ws->note[j]);
		}
	}
	for (m = 0; m < res->nmetrics; m++)
		res->metrics[m].value /= cnt[m]; /* the mean over workers */
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
		ws = mmt_shared_worker(jr->sh, (unsigned)i);
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

	if (*jr->rc->interrupted) {
		res->status = MMT_ERROR;
		snprintf(res->reason, sizeof(res->reason), "interrupted by %s",
			 strsignal(*jr->rc->interrupted));
		return;
	}
	if (res->nfailures) {
		res->status = MMT_FAIL;
		snprintf(res->reason, sizeof(res->reason), "%s: %s",
			 mmt_fail_kind_name(res->failures[0].kind), res->failures[0].detail);
		return;
	}
	for (i = 0; i < res->nworkers; i++) {
		skipped += res->workers[i].status == MMT_SKIP;
		if (res->workers[i].status == MMT_ERROR && errored < 0)
			errored = i;
	}
	res->status = MMT_PASS;
	if (errored >= 0 || (skipped && skipped == res->nworkers)) {
		i = errored >= 0 ? errored : 0;
		res->status = errored >= 0 ? MMT_ERROR : MMT_SKIP;
		snprintf(res->reason, sizeof(res->reason), "worker %d: %s", i,
			 mmt_shared_worker(jr->sh, (unsigned)i)->reason[0]
				 ? mmt_shared_worker(jr->sh, (unsigned)i)->reason
				 : "exited with an unexpected status");
	}
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

/* ------------------------------------------------------------- set-up */

static int needs_met(const struct jobrun *jr, char *reason, size_t len)
{
	unsigned needs = jr->wl->needs;

	if ((needs & MMT_NEED_ROOT) && geteuid())
		return snprintf(reason, len, "needs root"), 0;
	if ((needs & MMT_NEED_DESTRUCTIVE) && !jr->rc->allow_destructive)
		return snprintf(reason, len, "destructive: runs only with --allow-destructive"), 0;
	if ((needs & MMT_NEED_NUMA2) && jr->rc->topo->nnode < 2)
		return snprintf(reason, len, "needs >= 2 NUMA nodes; this machine has %d",
				jr->rc->topo->nnode),
		       0;
	return 1;
}

static int plan_workers(struct jobrun *jr)
{
	struct mmt_placement *pl = malloc(sizeof(*pl));
	char err[256];
	int r;

	if (!pl)
		return -ENOMEM;
	r = mmt_placement_parse(jr->jp->placement, pl, err, sizeof(err));
	if (!r) {
		jr->nw = jr->jp->workers ? jr->jp->workers
					 : mmt_placement_default_workers(jr->rc->topo, pl);
		if (jr->nw < 1)
			jr->nw = 1;
		if (jr->wl->max_workers && (unsigned)jr->nw > jr->wl->max_workers)
			jr->nw = (int)jr->wl->max_workers;
		jr->plan = calloc((size_t)jr->nw, sizeof(*jr->plan));
		r = jr->plan ? mmt_plan(jr->rc->topo, pl, jr->nw, jr->plan) : -ENOMEM;
	}
	free(pl);
	return r;
}

static int alloc_run(struct jobrun *jr)
{
	size_t n = (size_t)jr->nw;

	jr->pid = calloc(n, sizeof(*jr->pid));
	jr->wstatus = calloc(n, sizeof(*jr->wstatus));
	jr->killed = calloc(n, sizeof(*jr->killed));
	jr->progress = calloc(n, sizeof(*jr->progress));
	jr->progress_ns = calloc(n, sizeof(*jr->progress_ns));
	jr->kill_ns = calloc(n, sizeof(*jr->kill_ns));
	jr->last_count = calloc((size_t)jr->nops, sizeof(*jr->last_count));
	jr->series = calloc((size_t)jr->nops, sizeof(*jr->series));
	if (!jr->pid || !jr->wstatus || !jr->killed || !jr->progress || !jr->progress_ns ||
	    !jr->kill_ns || !jr->last_count || !jr->series)
		return -ENOMEM;
	return mmt_shared_create(&jr->sh, (unsigned)jr->nw,
				 mmt_workload_recorders(jr->wl, jr->jp->spec->opts),
				 (unsigned)jr->nops);
}

static void free_run(struct jobrun *jr)
{
	int op;

	for (op = 0; jr->series && op < jr->nops; op++)
		free(jr->series[op]);
	free(jr->series);
	free(jr->last_count);
	free(jr->pid);
	free(jr->wstatus);
	free(jr->killed);
	free(jr->progress);
	free(jr->progress_ns);
	free(jr->kill_ns);
	free(jr->plan);
	mmt_shared_destroy(jr->sh);
}

static void fill_header(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	const struct mmt_job_spec *spec = jr->jp->spec;

	res->seq = jr->jp->seq;
	res->repeat = jr->jp->repeat;
	snprintf(res->workload, sizeof(res->workload), "%s", jr->wl->name);
	snprintf(res->label, sizeof(res->label), "%s", spec->label);
	snprintf(res->placement, sizeof(res->placement), "%s", jr->jp->placement);
	res->params_json = mmt_job_params_json(spec);
	res->planned_ns = (uint64_t)jr->jp->duration_ns;
	res->interval_ns = (uint64_t)jr->rc->interval_ns;
	res->started_ns = mmt_real_ns();
	(void)mmt_taint_read(&res->taint_before);
}

/* Needs, probe, placement: anything that keeps the job from starting. */
static int prepare(struct jobrun *jr)
{
	struct mmt_runctx *rc = jr->rc;
	struct mmt_env env = {
		.journal = rc->journal,
		.is_root = geteuid() == 0,
		.allow_destructive = rc->allow_destructive,
		.nnodes = rc->topo->nnode,
		.pagesz = sysconf(_SC_PAGESIZE),
		.scratch = rc->scratch,
	};
	struct mmt_job_result *res = jr->res;
	int r;

	if (!needs_met(jr, res->reason, sizeof(res->reason)))
		return MMT_SKIP;
	if (jr->wl->probe) {
		r = jr->wl->probe(jr->jp->spec->opts, &env, res->reason, sizeof(res->reason));
		if (r)
			return r;
	}
	r = plan_workers(jr);
	if (r) {
		snprintf(res->reason, sizeof(res->reason), "placement %s: %s", jr->jp->placement,
			 strerror(-r));
		return MMT_ERROR;
	}
	return 0;
}

static int execute(struct jobrun *jr)
{
	struct mmt_vmstat before = {0}, after = {0};
	int r;

	r = alloc_run(jr);
	if (r)
		return r;
	(void)mmt_vmstat_read(&before);
	kmsg_start(jr);
	jr->t_start = mmt_mono_ns();
	jr->next_interval = jr->t_start + (uint64_t)jr->rc->interval_ns;
	r = fork_workers(jr);
	if (r)
		request_stop(jr, mmt_mono_ns());
	r = monitor(jr) ?: r;
	kmsg_end(jr);
	check_taint(jr);
	if (!mmt_vmstat_read(&after))
		(void)mmt_vmstat_diff(&before, &after, &jr->res->vmstat, &jr->res->nvmstat);
	mmt_vmstat_free(&before);
	mmt_vmstat_free(&after);
	jr->res->elapsed_ns = jr->t_end - jr->t_start;
	gather_ops(jr);
	gather_failures(jr);
	classify_oom(jr);
	gather_metrics_notes(jr);
	gather_workers(jr);
	judge(jr);
	return r;
}

static void add_note(struct mmt_job_result *res, const char *text)
{
	char **nn = realloc(res->notes, sizeof(char *) * (size_t)(res->nnotes + 1));

	if (!nn)
		return;
	res->notes = nn;
	nn[res->nnotes] = strdup(text);
	if (nn[res->nnotes])
		res->nnotes++;
}

int mmt_job_run(struct mmt_runctx *rc, const struct mmt_job_params *jp, struct mmt_job_result *res)
{
	struct jobrun *jr = calloc(1, sizeof(*jr));
	int r;

	if (!jr)
		return -ENOMEM;
	jr->rc = rc;
	jr->jp = jp;
	jr->wl = jp->spec->wl;
	jr->res = res;
	jr->runner = getpid();
	jr->nops = (int)mmt_workload_nops(jr->wl);
	fill_header(jr);
	r = prepare(jr);
	if (r) {
		res->status = r;
		res->nworkers = 0;
	} else {
		r = execute(jr);
		if (rc->kmsg.fd < 0)
			add_note(res, rc->kmsg_reason);
	}
	/* Each job leaves the machine as it found it. */
	(void)mmt_journal_restore(rc->journal);
	free_run(jr);
	free(jr);
	return r < 0 ? r : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Running one job: check needs and probe, plan placement, fork the workers
 * (pinned, memory-bound, each in its own process group, killed if the runner
 * dies), then watch them until they are all reaped: the kernel log (job_kmsg.c),
 * progress per interval, the hang watchdog, the deadline, CPUs going offline
 * and coming back, SIGINT/SIGTERM. job_gather.c turns what they left in the
 * shared blocks into the job's result.
 */
#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "job_internal.h"
#include "sysinfo.h"

#define STOP_GRACE_NS (15 * NS_PER_S) /* from the stop request to SIGKILL */
#define KILL_GRACE_NS (30 * NS_PER_S) /* from SIGKILL to giving up on a D-state worker */
#define TICK_MS 50
#define CPUS_ONLINE "/sys/devices/system/cpu/online"

/* ---------------------------------------------------------------- worker */

static uint64_t worker_seed(uint64_t job_seed, unsigned i)
{
	return job_seed ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull);
}

/*
 * Become mmtorture-worker: a small image, so that forks inside the workload
 * copy a few mappings rather than the runner's libraries. The block goes over
 * as fd 3; binding, process group and signal dispositions survive the exec.
 */
static int exec_worker(struct jobrun *jr, struct group *g, struct mmt_worker *w)
{
	char id[16], seed[24];
	char *argv[] = {(char *)jr->rc->worker_exe, "3", id, seed, NULL};

	if (dup2(g->sh->fd, 3) < 0 || fcntl(3, F_SETFD, 0) < 0)
		return mmt_worker_verdict(w, MMT_ERROR, "handing the shared block over: %s",
					  strerror(errno));
	snprintf(id, sizeof(id), "%u", w->id);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)w->seed);
	execv(jr->rc->worker_exe, argv);
	return mmt_worker_verdict(w, MMT_ERROR, "exec %s: %s", jr->rc->worker_exe, strerror(errno));
}

static int worker_body(struct jobrun *jr, struct group *g, struct mmt_worker *w, int i)
{
	const struct mmt_where *where = &jr->plan[i];
	int r;

	r = mmt_bind_self(jr->rc->topo, where, &w->ws->applied);
	if (r)
		return mmt_worker_verdict(w, MMT_ERROR, "binding to cpu %d, node %d: %s",
					  where->cpu, where->node, strerror(-r));
	w->node = w->ws->applied.node;
	if (jr->rc->worker_exe && g->sh->fd >= 0)
		return exec_worker(jr, g, w);
	return mmt_workload_body(g->wl, w);
}

static __attribute__((noreturn)) void worker_main(struct jobrun *jr, int i)
{
	struct group *g = group_of(jr, i);
	struct mmt_worker w;

	/* Own group: the watchdog kills the worker and its children together. */
	setpgid(0, 0);
	/* Nothing outlives the runner, even a SIGKILLed one. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != jr->runner)
		_exit(MMT_ERROR);
	signal(SIGINT, SIG_IGN); /* the runner decides when to stop */
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	mmt_worker_init(&w, g->sh, local_id(jr, i),
			worker_seed(jr->rc->seed + (uint64_t)jr->jp->seq, (unsigned)i),
			g->spec->opts);
	w.duration_ns = (uint64_t)jr->jp->duration_ns;
	w.scratch = jr->rc->scratch;
	_exit(worker_body(jr, g, &w, i));
}

/* ------------------------------------------------------------- failures */

struct mmt_failure *runner_fail(struct jobrun *jr, int kind, int worker, int pid, const char *fmt,
				...)
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

void add_note(struct mmt_job_result *res, const char *fmt, ...)
{
	char **nn = realloc(res->notes, sizeof(char *) * (size_t)(res->nnotes + 1));
	va_list ap;

	if (!nn)
		return;
	res->notes = nn;
	va_start(ap, fmt);
	if (vasprintf(&nn[res->nnotes], fmt, ap) >= 0)
		res->nnotes++;
	va_end(ap);
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
			worker_main(jr, i);
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
	const struct mmt_fault *ft;
	int sig;

	jr->wstatus[i] = status;
	if (WIFSIGNALED(status) && !jr->killed[i]) {
		sig = WTERMSIG(status);
		ft = mmt_fault_of(group_of(jr, i)->sh, local_id(jr, i), jr->pid[i]);
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
	jr->pid[i] = 0;
	jr->alive--;
}

static void reap(struct jobrun *jr)
{
	siginfo_t si;
	int i, status;

	for (i = 0; i < jr->nw; i++) {
		if (!jr->pid[i])
			continue;
		si.si_pid = 0;
		/* Look first, reap after: the zombie keeps the group id from being reused. */
		if (waitid(P_PID, (id_t)jr->pid[i], &si, WEXITED | WNOHANG | WNOWAIT) || !si.si_pid)
			continue;
		kill(-jr->pid[i], SIGKILL); /* its children die with it */
		if (waitpid(jr->pid[i], &status, 0) == jr->pid[i])
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
		p = mmt_shared_progress(group_of(jr, i)->sh, local_id(jr, i));
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
	int k;

	if (jr->t_stop)
		return;
	jr->t_stop = now;
	for (k = 0; k < jr->ngroups; k++)
		__atomic_store_n(&jr->g[k].sh->stop, 1, __ATOMIC_RELEASE);
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

/* ------------------------------------------------------------ cpu hotplug */

static int cpu_in_list(const char *list, int cpu)
{
	const char *p = list;
	char *end;
	long a, b;

	while (*p) {
		a = strtol(p, &end, 10);
		b = *end == '-' ? strtol(end + 1, &end, 10) : a;
		if (end == p)
			return 0;
		if (cpu >= a && cpu <= b)
			return 1;
		p = *end == ',' ? end + 1 : end;
		if (*p == '\n')
			break;
	}
	return 0;
}

/*
 * Pin the worker's threads that the kernel unpinned (affinity widened to
 * more than one CPU) back onto its CPU; threads the workload pinned itself
 * elsewhere keep their single CPU.
 */
static void repin(pid_t pid, int cpu)
{
	char path[64];
	struct dirent *d;
	cpu_set_t set, cur;
	pid_t tid;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		tid = atoi(d->d_name);
		if (!sched_getaffinity(tid, sizeof(cur), &cur) && CPU_COUNT(&cur) > 1)
			(void)sched_setaffinity(tid, sizeof(set), &set);
	}
	closedir(dir);
}

/*
 * A CPU that goes offline takes its pinned workers' affinity with it (the
 * kernel moves them); when it comes back, put them back, and count both.
 */
static void follow_cpus(struct jobrun *jr)
{
	char now[sizeof(jr->cpus_online)];
	int i, was, is;

	if (mmt_sysfs_read(CPUS_ONLINE, now, sizeof(now)) < 0 || !strcmp(now, jr->cpus_online))
		return;
	for (i = 0; i < jr->nw; i++) {
		if (!jr->pid[i] || jr->plan[i].cpu < 0)
			continue;
		was = cpu_in_list(jr->cpus_online, jr->plan[i].cpu);
		is = cpu_in_list(now, jr->plan[i].cpu);
		if (was && !is)
			jr->cpu_lost[i]++;
		if (!was && is) {
			repin(jr->pid[i], jr->plan[i].cpu);
			jr->repinned[i]++;
		}
	}
	memcpy(jr->cpus_online, now, sizeof(now));
}

/* ------------------------------------------------------ throughput series */

static int grow_series(struct jobrun *jr)
{
	uint64_t **ns;
	int op;

	jr->capint = jr->capint ? jr->capint * 2 : 64;
	for (op = 0; op < jr->nops; op++) {
		ns = &jr->series[op];
		*ns = realloc(*ns, sizeof(**ns) * (size_t)jr->capint);
		if (!*ns)
			return -ENOMEM;
	}
	return 0;
}

static int sample_intervals(struct jobrun *jr, uint64_t now)
{
	struct group *g;
	uint64_t c;
	int k, op;

	while (now >= jr->next_interval) {
		if (jr->nint == jr->capint && grow_series(jr))
			return -ENOMEM;
		for (k = 0; k < jr->ngroups; k++) {
			g = &jr->g[k];
			for (op = 0; op < g->nops; op++) {
				c = mmt_shared_op_count(g->sh, (unsigned)op);
				jr->series[g->op0 + op][jr->nint] = c - jr->last_count[g->op0 + op];
				jr->last_count[g->op0 + op] = c;
			}
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
		n += __atomic_load_n(&wshared(jr, i)->nfail, __ATOMIC_RELAXED);
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
	snprintf(name, sizeof(name), "%s%s%s%s%s", jr->g[0].wl->name, jr->res->label[0] ? ":" : "",
		 jr->res->label, jr->ngroups > 1 ? "+" : "",
		 jr->ngroups > 1 ? jr->g[1].wl->name : "");
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
	int err = 0;

	while (jr->alive > 0) {
		wait_tick(jr);
		now = mmt_mono_ns();
		kmsg_drain(jr);
		reap(jr);
		follow_cpus(jr);
		if (now - jr->t_start >= (uint64_t)jr->jp->duration_ns || *jr->rc->interrupted)
			request_stop(jr, now);
		/* Out of memory for the series: stop the job, but still reap everyone. */
		if (!jr->t_stop && sample_intervals(jr, now)) {
			err = -ENOMEM;
			request_stop(jr, now);
		}
		watchdog(jr, now);
		enforce_stop(jr, now);
		give_up_stuck(jr, now);
		progress(jr, now, 0);
	}
	jr->t_end = mmt_mono_ns();
	progress(jr, jr->t_end, 1);
	return err;
}

/* ------------------------------------------------------------- set-up */

static int needs_met(const struct jobrun *jr, const struct mmt_workload *wl, char *reason,
		     size_t len)
{
	unsigned needs = wl->needs;

	if ((needs & MMT_NEED_ROOT) && geteuid())
		return snprintf(reason, len, "%s needs root", wl->name), 0;
	if ((needs & MMT_NEED_DESTRUCTIVE) && !jr->rc->allow_destructive)
		return snprintf(reason, len,
				"%s is destructive: runs only with --allow-destructive", wl->name),
		       0;
	if ((needs & MMT_NEED_NUMA2) && jr->rc->topo->nnode < 2)
		return snprintf(reason, len, "%s needs >= 2 NUMA nodes; this machine has %d",
				wl->name, jr->rc->topo->nnode),
		       0;
	return 1;
}

/* Workers of each group, planned from the first PU on with the job's policy. */
static int plan_workers(struct jobrun *jr)
{
	struct mmt_placement *pl = malloc(sizeof(*pl));
	struct group *g;
	char err[256];
	int r, k, n;

	if (!pl)
		return -ENOMEM;
	r = mmt_placement_parse(jr->jp->placement, pl, err, sizeof(err));
	for (k = 0; !r && k < jr->ngroups; k++) {
		g = &jr->g[k];
		n = k ? g->spec->workers : jr->jp->workers;
		g->nw = n ? n : mmt_placement_default_workers(jr->rc->topo, pl);
		if (g->nw < 1)
			g->nw = 1;
		if (g->wl->max_workers && (unsigned)g->nw > g->wl->max_workers)
			g->nw = (int)g->wl->max_workers;
		g->first = jr->nw;
		jr->nw += g->nw;
	}
	jr->plan = r ? NULL : calloc((size_t)jr->nw, sizeof(*jr->plan));
	if (!r && !jr->plan)
		r = -ENOMEM;
	for (k = 0; !r && k < jr->ngroups; k++)
		r = mmt_plan(jr->rc->topo, pl, jr->g[k].nw, jr->plan + jr->g[k].first);
	free(pl);
	return r;
}

static int alloc_run(struct jobrun *jr)
{
	size_t n = (size_t)jr->nw;
	struct group *g;
	int k, r;

	jr->pid = calloc(n, sizeof(*jr->pid));
	jr->wstatus = calloc(n, sizeof(*jr->wstatus));
	jr->killed = calloc(n, sizeof(*jr->killed));
	jr->progress = calloc(n, sizeof(*jr->progress));
	jr->progress_ns = calloc(n, sizeof(*jr->progress_ns));
	jr->kill_ns = calloc(n, sizeof(*jr->kill_ns));
	jr->cpu_lost = calloc(n, sizeof(*jr->cpu_lost));
	jr->repinned = calloc(n, sizeof(*jr->repinned));
	jr->last_count = calloc((size_t)jr->nops, sizeof(*jr->last_count));
	jr->series = calloc((size_t)jr->nops, sizeof(*jr->series));
	if (!jr->pid || !jr->wstatus || !jr->killed || !jr->progress || !jr->progress_ns ||
	    !jr->kill_ns || !jr->cpu_lost || !jr->repinned || !jr->last_count || !jr->series)
		return -ENOMEM;
	for (k = 0; k < jr->ngroups; k++) {
		g = &jr->g[k];
		r = mmt_shared_create(&g->sh, (unsigned)g->nw,
				      mmt_workload_recorders(g->wl, g->spec->opts),
				      (unsigned)g->nops);
		if (!r)
			r = mmt_shared_handoff(g->sh, g->wl->name, (uint64_t)jr->jp->duration_ns,
					       jr->rc->scratch, g->spec->opts, g->wl->opts_size,
					       g->wl->probe_state, g->wl->probe_state_size);
		if (r)
			return r;
	}
	return 0;
}

static void free_run(struct jobrun *jr)
{
	int op, k;

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
	free(jr->cpu_lost);
	free(jr->repinned);
	free(jr->plan);
	for (k = 0; k < jr->ngroups; k++)
		mmt_shared_destroy(jr->g[k].sh);
	mmt_kmsg_allow_free(&jr->wl_allow);
}

static void fill_header(struct jobrun *jr)
{
	struct mmt_job_result *res = jr->res;
	const struct mmt_job_spec *spec = jr->jp->spec;

	res->seq = jr->jp->seq;
	res->repeat = jr->jp->repeat;
	snprintf(res->workload, sizeof(res->workload), "%s", spec->wl->name);
	snprintf(res->label, sizeof(res->label), "%s", spec->label);
	snprintf(res->placement, sizeof(res->placement), "%s", jr->jp->placement);
	res->params_json = mmt_job_params_json(spec);
	res->planned_ns = (uint64_t)jr->jp->duration_ns;
	res->interval_ns = (uint64_t)jr->rc->interval_ns;
	res->started_ns = mmt_real_ns();
	(void)mmt_taint_read(&res->taint_before);
}

static void set_groups(struct jobrun *jr)
{
	const struct mmt_job_spec *spec = jr->jp->spec;

	jr->g[0].spec = spec;
	jr->g[0].wl = spec->wl;
	jr->ngroups = 1;
	if (spec->with) {
		jr->g[1].spec = spec->with;
		jr->g[1].wl = spec->with->wl;
		jr->ngroups = 2;
	}
	jr->g[0].nops = (int)mmt_workload_nops(jr->g[0].wl);
	jr->nops = jr->g[0].nops;
	if (jr->ngroups > 1) {
		jr->g[1].op0 = jr->nops;
		jr->g[1].nops = (int)mmt_workload_nops(jr->g[1].wl);
		jr->nops += jr->g[1].nops;
	}
}

/* Needs, probes, placement: anything that keeps the job from starting. */
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
	const char *const *a;
	char err[128];
	struct group *g;
	int r, k;

	for (k = 0; k < jr->ngroups; k++) {
		g = &jr->g[k];
		if (!needs_met(jr, g->wl, res->reason, sizeof(res->reason)))
			return MMT_SKIP;
		for (a = g->wl->kmsg_allow; a && *a; a++)
			if (mmt_kmsg_allow_add(&jr->wl_allow, *a, err, sizeof(err)))
				return snprintf(res->reason, sizeof(res->reason),
						"%s: bad kmsg_allow '%s': %s", g->wl->name, *a,
						err),
				       MMT_ERROR;
		r = g->wl->probe
			    ? g->wl->probe(g->spec->opts, &env, res->reason, sizeof(res->reason))
			    : 0;
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
	(void)mmt_sysfs_read(CPUS_ONLINE, jr->cpus_online, sizeof(jr->cpus_online));
	(void)mmt_vmstat_read(&before);
	kmsg_start(jr);
	jr->t_start = mmt_mono_ns();
	jr->next_interval = jr->t_start + (uint64_t)jr->rc->interval_ns;
	r = fork_workers(jr);
	if (r)
		request_stop(jr, mmt_mono_ns());
	r = monitor(jr) ?: r;
	kmsg_end(jr);
	if (!mmt_vmstat_read(&after))
		(void)mmt_vmstat_diff(&before, &after, &jr->res->vmstat, &jr->res->nvmstat);
	mmt_vmstat_free(&before);
	mmt_vmstat_free(&after);
	jr->res->elapsed_ns = jr->t_end - jr->t_start;
	gather(jr);
	return r;
}

int mmt_job_run(struct mmt_runctx *rc, const struct mmt_job_params *jp, struct mmt_job_result *res)
{
	struct jobrun *jr = calloc(1, sizeof(*jr));
	int r, rr;

	if (!jr)
		return -ENOMEM;
	jr->rc = rc;
	jr->jp = jp;
	jr->res = res;
	jr->runner = getpid();
	set_groups(jr);
	fill_header(jr);
	r = prepare(jr);
	if (r) {
		res->status = r;
		res->nworkers = 0;
	} else {
		r = execute(jr);
		if (rc->kmsg.fd < 0)
			add_note(res, "%s", rc->kmsg_reason);
		if (!rc->worker_exe)
			add_note(res, "workers ran as forks of the runner (no mmtorture-worker): "
				      "their forks copy the runner's mappings");
	}
	/* Each job leaves the machine as it found it, or says loudly that it could not. */
	rr = mmt_journal_restore(rc->journal);
	if (rr < 0) {
		add_note(res,
			 "WARNING: putting back sysfs/sysctl values failed: %s; they stay "
			 "in the journal, `mmtorture restore` retries",
			 strerror(-rr));
		if (res->status == MMT_PASS || res->status == MMT_SKIP) {
			res->status = MMT_ERROR;
			snprintf(res->reason, sizeof(res->reason),
				 "restoring sysfs/sysctl values: %s", strerror(-rr));
		}
	}
	free_run(jr);
	free(jr);
	return r < 0 ? r : 0;
}

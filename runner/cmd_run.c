// SPDX-License-Identifier: GPL-2.0
/* `mmtorture run`: profile -> jobs -> results store, summary, exit code. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cmds.h"
#include "config.h"
#include "gitrev.h"
#include "job.h"
#include "main.h"
#include "report.h"
#include "store.h"
#include "sysinfo.h"
#include "wire.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static const char run_usage[] =
	"usage: mmtorture run [PROFILE.ini] [options]\n"
	"\n"
	"Run a profile (default: profiles/quick.ini) or the jobs given with -w; results go to\n"
	"the SQLite store; a summary is printed at the end.\n"
	"\n"
	"  -w, --workload W[:opt=val,...]  a job (repeatable; replaces the profile's jobs)\n"
	"      --with W[:opt=val,...]      run W alongside the preceding -w job, in the same job\n"
	"  -d, --duration TIME             per job: 500ms, 30s, 2m (overrides the profile)\n"
	"  -n, --workers N                 workers per job (default: the placement's)\n"
	"  -p, --placement P               per-core|per-node|per-package|compact|spread|cpus=LIST\n"
	"  -s, --seed N                    seed for data patterns and random choices\n"
	"  -r, --repeat N                  run each job N times\n"
	"      --hang-timeout TIME         kill a worker without progress this long (60s)\n"
	"      --db PATH                   results database (results/mmtorture.db)\n"
	"      --scratch DIR               workloads' files, on a real filesystem (DB's "
	"dir/scratch)\n"
	"      --json FILE                 also write the run's report as JSON\n"
	"      --tag TEXT                  label stored with the run\n"
	"      --stream PATH               also send the results as a framed stream to a file\n"
	"                                  or device (/dev/ttyS1, /dev/hvc1, /dev/vport0p1);\n"
	"                                  read back with mmtorture import\n"
	"      --allow-destructive         run destructive workloads (hotplug)\n"
	"      --bisect-exit               exit 0 good, 1 bad, 125 untestable (git bisect run)\n"
	"  -q, --quiet                     no progress line\n"
	"  -h, --help                      this text\n"
	"\n"
	"Exit: 0 all passed, 1 a job failed, 2 usage or input error, 77 every job skipped,\n"
	"99 harness error, 130/143 interrupted.\n";

struct run_opts {
	const char *profile;
	const char *db;
	const char *json;
	const char *tag;
	const char *scratch;
	const char *stream;
	int64_t duration_ns, hang_ns;
	int workers, repeat, seed_set, destructive, bisect, quiet;
	uint64_t seed;
	char placement[64];
	int nw;
	char **w;
	int *w_with;
};

enum { O_DB = 256, O_JSON, O_TAG, O_DESTRUCTIVE, O_BISECT, O_HANG, O_SCRATCH, O_WITH, O_STREAM };

static int usage_error(const char *fmt, ...) mmt_printf(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mmtorture run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see mmtorture run --help)\n");
	return 2;
}

static int parse_opt(struct run_opts *o, int c, const char *arg)
{
	int64_t n;

	switch (c) {
	case 'w':
	case O_WITH: /* kept in order: a --with belongs to the -w before it */
		o->w = realloc(o->w, sizeof(char *) * (size_t)(o->nw + 1));
		o->w_with = realloc(o->w_with, sizeof(int) * (size_t)(o->nw + 1));
		if (!o->w || !o->w_with)
			return usage_error("%s", "out of memory");
		o->w_with[o->nw] = c == O_WITH;
		o->w[o->nw++] = (char *)arg;
		return 0;
	case 'd':
		if (mmt_parse_duration(arg, &o->duration_ns) || o->duration_ns <= 0)
			return usage_error("bad duration '%s'; valid: e.g. 500ms, 30s, 2m, 1h",
					   arg);
		return 0;
	case O_HANG:
		if (mmt_parse_duration(arg, &o->hang_ns) || o->hang_ns <= 0)
			return usage_error("bad hang timeout '%s'; valid: e.g. 10s, 2m", arg);
		return 0;
	case 'n':
		if (mmt_parse_int(arg, &n) || n < 1 || n > 65536)
			return usage_error("bad worker count '%s'; valid: 1..65536", arg);
		o->workers = (int)n;
		return 0;
	case 'r':
		if (mmt_parse_int(arg, &n) || n < 1 || n > 100000)
			return usage_error("bad repeat '%s'; valid: 1..100000", arg);
		o->repeat = (int)n;
		return 0;
	case 's':
		if (mmt_parse_int(arg, &n))
			return usage_error("bad seed '%s'; valid: an integer", arg);
		o->seed = (uint64_t)n;
		o->seed_set = 1;
		return 0;
	case 'p':
		snprintf(o->placement, sizeof(o->placement), "%s", arg);
		return 0;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{"workload", required_argument, NULL, 'w'},
		{"with", required_argument, NULL, O_WITH},
		{"duration", required_argument, NULL, 'd'},
		{"workers", required_argument, NULL, 'n'},
		{"placement", required_argument, NULL, 'p'},
		{"seed", required_argument, NULL, 's'},
		{"repeat", required_argument, NULL, 'r'},
		{"hang-timeout", required_argument, NULL, O_HANG},
		{"db", required_argument, NULL, O_DB},
		{"scratch", required_argument, NULL, O_SCRATCH},
		{"json", required_argument, NULL, O_JSON},
		{"tag", required_argument, NULL, O_TAG},
		{"stream", required_argument, NULL, O_STREAM},
		{"allow-destructive", no_argument, NULL, O_DESTRUCTIVE},
		{"bisect-exit", no_argument, NULL, O_BISECT},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "w:d:n:p:s:r:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(run_usage, stdout);
			return -1; /* done, successfully */
		case 'q':
			o->quiet = 1;
			break;
		case O_DB:
			o->db = optarg;
			break;
		case O_JSON:
			o->json = optarg;
			break;
		case O_SCRATCH:
			o->scratch = optarg;
			break;
		case O_TAG:
			o->tag = optarg;
			break;
		case O_STREAM:
			o->stream = optarg;
			break;
		case O_DESTRUCTIVE:
			o->destructive = 1;
			break;
		case O_BISECT:
			o->bisect = 1;
			break;
		case '?':
			fprintf(stderr, "(see mmtorture run --help)\n");
			return 2;
		default:
			r = parse_opt(o, c, optarg);
			if (r)
				return r;
		}
	}
	if (optind < argc)
		o->profile = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The profile file and -w jobs, with the command line's overrides. */
static int build_profile(struct run_opts *o, struct mmt_profile *p)
{
	char err[2048], path[4096];
	int i, r;

	mmt_profile_init(p);
	if (o->profile || !o->nw) {
		if (!o->profile && mmt_find_profile("quick", path, sizeof(path)))
			return usage_error("%s", "cannot find profiles/quick.ini; name a profile");
		r = mmt_profile_load(p, o->profile ? o->profile : path, err, sizeof(err));
		if (r)
			return fprintf(stderr, "mmtorture: %s\n", err), 2;
	}
	if (o->nw)
		mmt_profile_clear_jobs(p);
	for (i = 0; i < o->nw; i++) {
		if (o->w_with[i])
			r = mmt_profile_set_with(p, o->w[i], err, sizeof(err));
		else
			r = mmt_profile_add_cli_job(p, o->w[i], err, sizeof(err));
		if (r)
			return fprintf(stderr, "mmtorture: %s\n", err), 2;
	}
	if (o->placement[0]) {
		struct mmt_placement *pl = malloc(sizeof(*pl));

		r = pl ? mmt_placement_parse(o->placement, pl, err, sizeof(err)) : -ENOMEM;
		free(pl);
		if (r)
			return fprintf(stderr, "mmtorture run: --placement: %s\n", err), 2;
	}
	return 0;
}

/* The command line's values win over the profile's, for every job. */
static void job_params(const struct run_opts *o, const struct mmt_profile *p,
		       const struct mmt_job_spec *j, struct mmt_job_params *jp)
{
	jp->spec = j;
	jp->duration_ns = o->duration_ns   ? o->duration_ns
			  : j->duration_ns ? j->duration_ns
					   : p->duration_ns;
	jp->workers = o->workers ? o->workers : j->workers ? j->workers : p->workers;
	snprintf(jp->placement, sizeof(jp->placement), "%s",
		 o->placement[0]   ? o->placement
		 : j->placement[0] ? j->placement
				   : p->placement);
}

static int job_repeats(const struct run_opts *o, const struct mmt_profile *p,
		       const struct mmt_job_spec *j)
{
	return o->repeat ? o->repeat : j->repeat ? j->repeat : p->repeat;
}

static void fill_run_info(struct mmt_run_info *ri, const struct run_opts *o,
			  const struct mmt_profile *p, const struct mmt_topo *t, int argc,
			  char **argv)
{
	(void)mmt_sysinfo_collect(ri);
	mmt_uuid(ri->uuid, sizeof(ri->uuid));
	ri->started_ns = mmt_real_ns();
	snprintf(ri->tool_version, sizeof(ri->tool_version), "%s", MMT_VERSION);
	snprintf(ri->git_rev, sizeof(ri->git_rev), "%s", MMT_GIT_REV);
	snprintf(ri->profile, sizeof(ri->profile), "%s", p->path[0] ? p->path : "-w");
	ri->profile_text = p->text ? strdup(p->text) : NULL;
	ri->argv = mmt_join_argv(argc, argv);
	snprintf(ri->topology, sizeof(ri->topology), "%s", t->summary);
	snprintf(ri->tag, sizeof(ri->tag), "%s", o->tag ? o->tag : p->tag);
	ri->guest = getenv("MMTORTURE_GUEST") != NULL;
	if (o->seed_set)
		ri->seed = o->seed;
	else if (p->seed_set)
		ri->seed = p->seed;
	else if (getrandom(&ri->seed, sizeof(ri->seed), 0) != sizeof(ri->seed))
		ri->seed = mmt_mono_ns();
	ri->seed &= (1ull << 62) - 1; /* fits SQLite's signed integers either way */
}

struct run {
	struct run_opts o;
	struct mmt_profile p;
	struct mmt_topo topo;
	struct mmt_journal journal;
	struct mmt_store *store;
	struct mmt_run_info ri;
	struct mmt_runctx rc;
	char scratch[4200];
	char worker_exe[4096];
	int64_t run_id;
	int fail, error, skip, pass;
	int stream_fd; /* --stream, or -1 */
	int stream_warned, stream_stalled;
};

/* Journal next to the db: restore what a run that died left behind. */
static int open_journal(struct run *r, const char *db)
{
	char path[4200];
	int n;

	snprintf(path, sizeof(path), "%s.sysfs-journal", db);
	/* A fresh clone has no results/: the journal goes in before the database. */
	n = mmt_mkdir_parents(db);
	if (n)
		return fprintf(stderr, "mmtorture: cannot create the directory of %s: %s\n", db,
			       strerror(-n)),
		       2;
	n = mmt_journal_open(&r->journal, path);
	if (n == -EWOULDBLOCK)
		return fprintf(stderr, "mmtorture: another mmtorture run is using %s\n", db), 2;
	if (n)
		return fprintf(stderr, "mmtorture: %s: %s\n", path, strerror(-n)), 2;
	n = mmt_journal_pending(&r->journal);
	if (n < 0)
		return fprintf(stderr, "mmtorture: %s: %s\n", path, strerror(-n)), 2;
	if (n > 0) {
		n = mmt_journal_restore(&r->journal);
		if (n < 0)
			fprintf(stderr, "mmtorture: restoring settings from %s: %s\n", path,
				strerror(-n));
		else
			fprintf(stderr,
				"mmtorture: restored %d sysfs/sysctl setting(s) left changed by "
				"a run that did not finish (%s)\n",
				n, path);
	}
	return 0;
}

/* The scratch directory: --scratch, or "scratch" beside the database. */
static int make_scratch(struct run *r, const char *db)
{
	const char *slash = strrchr(db, '/');

	if (r->o.scratch)
		snprintf(r->scratch, sizeof(r->scratch), "%s", r->o.scratch);
	else
		snprintf(r->scratch, sizeof(r->scratch), "%.*sscratch",
			 slash ? (int)(slash - db + 1) : 0, db);
	if (mkdir(r->scratch, 0700) && errno != EEXIST)
		return fprintf(stderr, "mmtorture: scratch directory %s: %s\n", r->scratch,
			       strerror(errno)),
		       2;
	return 0;
}

static int open_all(struct run *r, const char *db)
{
	char err[1024];
	int n;

	n = open_journal(r, db);
	if (n)
		return n;
	n = mmt_store_open(&r->store, db, err, sizeof(err));
	if (n)
		return fprintf(stderr, "mmtorture: %s\n", err), 2;
	n = mmt_topo_load(&r->topo, NULL, err, sizeof(err));
	if (n)
		return fprintf(stderr, "mmtorture: topology: %s\n", err), 99;
	if (r->o.stream) {
		r->stream_fd = mmt_wire_open(r->o.stream);
		if (r->stream_fd < 0)
			return fprintf(stderr, "mmtorture: --stream %s: %s\n", r->o.stream,
				       r->stream_fd == -EINVAL
					       ? "not a file, character device or FIFO"
					       : strerror(-r->stream_fd)),
			       2;
	}
	return make_scratch(r, db);
}

/*
 * The stream is a copy for whoever reads it: a write that fails is said once,
 * and the run and its store go on. One that stalls stops the stream, so a
 * reader that went away cannot hold each job up for MMT_WIRE_STALL_MS.
 */
static void stream_result(struct run *r, int n)
{
	if (!n)
		return;
	if (!r->stream_warned)
		fprintf(stderr,
			"mmtorture: warning: --stream %s: %s%s; the results still go to %s\n",
			r->o.stream, strerror(-n),
			n == -ETIMEDOUT ? " (nothing read it); streaming stopped" : "", r->o.db);
	r->stream_warned = 1;
	r->stream_stalled |= n == -ETIMEDOUT;
}

static int streaming(const struct run *r)
{
	return r->stream_fd >= 0 && !r->stream_stalled;
}

static void setup_ctx(struct run *r)
{
	struct mmt_runctx *rc = &r->rc;
	int n;

	rc->topo = &r->topo;
	rc->journal = &r->journal;
	rc->allow = &r->p.allow;
	snprintf(rc->uuid, sizeof(rc->uuid), "%s", r->ri.uuid);
	rc->seed = r->ri.seed;
	rc->scratch = r->scratch;
	rc->allow_destructive = r->o.destructive;
	rc->hang_timeout_ns = r->o.hang_ns ? r->o.hang_ns : r->p.hang_timeout_ns;
	rc->interval_ns = r->p.interval_ns;
	rc->progress = r->o.quiet ? NULL : stderr;
	rc->progress_tty = isatty(STDERR_FILENO);
	rc->interrupted = &interrupted;
	n = mmt_find_worker(r->worker_exe, sizeof(r->worker_exe));
	if (n == -EACCES)
		fprintf(stderr,
			"mmtorture: warning: MMTORTURE_WORKER=%s cannot be executed; "
			"workers stay forks of the runner\n",
			r->worker_exe);
	rc->worker_exe = n ? NULL : r->worker_exe;
	n = mmt_kmsg_open(&rc->kmsg);
	if (n) {
		rc->kmsg.fd = -1;
		snprintf(rc->kmsg_reason, sizeof(rc->kmsg_reason),
			 "kernel log not watched: /dev/kmsg: %s", strerror(-n));
		fprintf(stderr, "mmtorture: warning: %s\n", rc->kmsg_reason);
	}
}

static void count(struct run *r, int status)
{
	r->fail += status == MMT_FAIL;
	r->error += status == MMT_ERROR;
	r->skip += status == MMT_SKIP;
	r->pass += status == MMT_PASS;
}

static int run_one(struct run *r, struct mmt_job_params *jp)
{
	struct mmt_job_result res = {0};
	int n;

	n = mmt_job_run(&r->rc, jp, &res);
	if (n) {
		fprintf(stderr, "mmtorture: job %d (%s): %s\n", jp->seq, jp->spec->wl->name,
			strerror(-n));
		if (res.status == MMT_PASS)
			res.status = MMT_ERROR;
	}
	count(r, res.status);
	n = mmt_store_add_job(r->store, r->run_id, &res);
	if (n)
		fprintf(stderr, "mmtorture: storing job %d: %s\n", jp->seq, strerror(-n));
	/* Even a job the local store refused: the stream may be all that gets out. */
	if (streaming(r))
		stream_result(r, mmt_wire_write_job(r->stream_fd, &res));
	mmt_job_result_free(&res);
	return n;
}

static int run_jobs(struct run *r)
{
	struct mmt_job_params jp;
	int i, k, seq = 0, n;

	for (i = 0; i < r->p.njobs; i++)
		r->rc.njobs += job_repeats(&r->o, &r->p, &r->p.jobs[i]);
	for (i = 0; i < r->p.njobs && !interrupted; i++) {
		n = job_repeats(&r->o, &r->p, &r->p.jobs[i]);
		for (k = 1; k <= n && !interrupted; k++) {
			memset(&jp, 0, sizeof(jp));
			job_params(&r->o, &r->p, &r->p.jobs[i], &jp);
			jp.seq = ++seq;
			jp.repeat = k;
			if (run_one(r, &jp))
				return 99;
		}
	}
	return 0;
}

static int exit_code(const struct run *r, int bisect)
{
	int total = r->fail + r->error + r->skip + r->pass;

	if (r->fail)
		return 1; /* even if interrupted afterwards: a bad kernel is bad */
	if (interrupted)
		return bisect ? 125 : 128 + interrupted;
	if (r->error)
		return bisect ? 125 : 99;
	if (!total || r->skip == total)
		return bisect ? 125 : 77;
	return 0;
}

static void finish(struct run *r, int code)
{
	const char *status = interrupted ? "interrupted" : "complete";
	uint64_t now = mmt_real_ns();
	FILE *f;

	(void)mmt_store_end_run_at(r->store, r->run_id, status, code, now);
	if (streaming(r))
		stream_result(r, mmt_wire_write_end(r->stream_fd, status, code, now,
						    r->fail + r->error + r->skip + r->pass));
	if (!r->o.quiet)
		(void)mmt_report_summary(r->store, r->run_id, stdout);
	if (r->o.json) {
		f = fopen(r->o.json, "we");
		if (!f || mmt_report_json(r->store, r->run_id, f))
			fprintf(stderr, "mmtorture: cannot write %s\n", r->o.json);
		if (f)
			fclose(f);
	}
	if (!r->o.quiet)
		printf("run %lld (%s) stored in %s; details: mmtorture report %lld\n",
		       (long long)r->run_id, r->ri.uuid, r->o.db, (long long)r->run_id);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void cleanup(struct run *r)
{
	if (r->run_id)
		(void)mmt_job_kmsg_leftovers(&r->rc, stderr);
	int n = r->journal.fd >= 0 ? mmt_journal_restore(&r->journal) : 0;

	if (n < 0)
		fprintf(stderr,
			"mmtorture: WARNING: putting back sysfs/sysctl values failed: %s; they "
			"stay in %s (mmtorture restore retries)\n",
			strerror(-n), r->journal.path);
	mmt_journal_close(&r->journal);
	if (r->rc.kmsg.fd >= 0)
		mmt_kmsg_close(&r->rc.kmsg);
	if (r->store)
		mmt_store_close(r->store);
	if (r->stream_fd >= 0)
		close(r->stream_fd);
	mmt_topo_free(&r->topo);
	mmt_run_info_free(&r->ri);
	mmt_profile_free(&r->p);
	free(r->o.w);
	free(r->o.w_with);
}

int mmt_cmd_run(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	int code;

	if (!r)
		return 99;
	r->rc.kmsg.fd = -1;
	r->journal.fd = -1;
	r->stream_fd = -1;
	code = parse_args(argc, argv, &r->o);
	if (code) {
		code = code < 0 ? 0 : code;
		goto out;
	}
	if (!r->o.db)
		r->o.db = mmt_default_db();
	code = build_profile(&r->o, &r->p);
	if (code)
		goto out;
	install_signals();
	code = open_all(r, r->o.db);
	if (code)
		goto out;
	(void)mmt_clock_init();
	fill_run_info(&r->ri, &r->o, &r->p, &r->topo, argc, argv);
	setup_ctx(r);
	if (mmt_store_begin_run(r->store, &r->ri, &r->run_id)) {
		fprintf(stderr, "mmtorture: cannot record the run in %s\n", r->o.db);
		code = 99;
		goto out;
	}
	if (streaming(r))
		stream_result(r, mmt_wire_write_run(r->stream_fd, &r->ri));
	code = run_jobs(r);
	if (!code)
		code = exit_code(r, r->o.bisect);
	finish(r, code);
out:
	cleanup(r);
	free(r);
	return code;
}

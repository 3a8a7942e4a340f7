// SPDX-License-Identifier: GPL-2.0
#include "profile.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <ini.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

#define RUN_KEYS                                                                                   \
	"duration, workers, placement, seed, repeat, hang_timeout, interval, tag, description"
#define JOB_KEYS "duration, workers, placement, repeat, with"

/* The parser's state: libinih calls our reader per line, then the handler. */
struct parse {
	struct mmt_profile *p;
	const char *name; /* file name for messages */
	const char *text; /* remaining input (string mode) */
	int line;
	int in_run, in_kmsg;
	struct mmt_job_spec *job; /* the section being filled, NULL for [run]/[kmsg] */
	char section[128];
	char *err;
	size_t errlen;
	int failed;
};

void mmt_profile_init(struct mmt_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->duration_ns = 10ll * 1000000000;
	snprintf(p->placement, sizeof(p->placement), "per-core");
	p->repeat = 1;
	p->hang_timeout_ns = 60ll * 1000000000;
	p->interval_ns = 1000000000;
}

static void job_free(struct mmt_job_spec *j)
{
	free(j->opts);
	if (j->with) {
		job_free(j->with);
		free(j->with);
	}
}

void mmt_profile_clear_jobs(struct mmt_profile *p)
{
	int i;

	for (i = 0; i < p->njobs; i++)
		job_free(&p->jobs[i]);
	free(p->jobs);
	p->jobs = NULL;
	p->njobs = 0;
}

void mmt_profile_free(struct mmt_profile *p)
{
	mmt_profile_clear_jobs(p);
	mmt_kmsg_allow_free(&p->allow);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

static int workload_names(char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < mmt_nworkloads && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					mmt_workloads[i]->name);
	return (int)off;
}

static int job_init(struct mmt_job_spec *j, const struct mmt_workload *wl, const char *label,
		    const char *where)
{
	memset(j, 0, sizeof(*j));
	j->opts = calloc(1, wl->opts_size ? wl->opts_size : 1);
	if (!j->opts || mmt_opt_defaults(wl->opts, j->opts)) {
		free(j->opts);
		return -ENOMEM;
	}
	j->wl = wl;
	snprintf(j->label, sizeof(j->label), "%s", label ? label : "");
	snprintf(j->where, sizeof(j->where), "%s", where);
	return 0;
}

static struct mmt_job_spec *job_new(struct mmt_profile *p, const struct mmt_workload *wl,
				    const char *label, const char *where)
{
	struct mmt_job_spec *jobs = realloc(p->jobs, sizeof(*jobs) * (size_t)(p->njobs + 1));

	if (!jobs)
		return NULL;
	p->jobs = jobs;
	if (job_init(&jobs[p->njobs], wl, label, where))
		return NULL;
	return &jobs[p->njobs++];
}

static int perr(struct parse *ps, const char *fmt, ...) mmt_printf(2, 3);

static int perr(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->failed)
		return 0;
	ps->failed = 1;
	if (ps->line)
		n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->name, ps->line);
	else
		n = snprintf(ps->err, ps->errlen, "%s: ", ps->name);
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen > (size_t)n ? ps->errlen - (size_t)n : 0, fmt, ap);
	va_end(ap);
	return 0;
}

/* A section line: [run], [kmsg], [WORKLOAD] or [WORKLOAD:label]. */
static void begin_section(struct parse *ps, const char *name)
{
	char wl_name[128], where[PATH_MAX + 16], names[512];
	const struct mmt_workload *wl;
	const char *colon = strchr(name, ':');

	snprintf(ps->section, sizeof(ps->section), "%s", name);
	ps->in_run = !strcmp(name, "run");
	ps->in_kmsg = !strcmp(name, "kmsg");
	ps->job = NULL;
	if (ps->in_run || ps->in_kmsg)
		return;
	snprintf(wl_name, sizeof(wl_name), "%.*s", colon ? (int)(colon - name) : (int)strlen(name),
		 name);
	wl = mmt_workload_find(wl_name);
	if (!wl) {
		workload_names(names, sizeof(names));
		perr(ps, "unknown section [%s]; valid: [run], [kmsg], or a workload: %s", name,
		     names);
		return;
	}
	if (ps->line)
		snprintf(where, sizeof(where), "%s:%d", ps->name, ps->line);
	else
		snprintf(where, sizeof(where), "%s", ps->name);
	ps->job = job_new(ps->p, wl, colon ? colon + 1 : NULL, where);
	if (!ps->job)
		perr(ps, "out of memory");
}

/* libinih reader: hand over one line, counting lines and spotting sections. */
static char *reader_common(struct parse *ps, char *line)
{
	char *s = line, *end;

	ps->line++;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return line;
	end = strchr(s, ']');
	if (!end) {
		perr(ps, "section header without ']': %s", s);
		return line;
	}
	*end = '\0';
	begin_section(ps, s + 1);
	*end = ']';
	return line;
}

static char *string_reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *nl;
	size_t n;

	if (!*ps->text)
		return NULL;
	nl = strchr(ps->text, '\n');
	n = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, ps->text, n);
	str[n] = '\0';
	ps->text += n;
	return reader_common(ps, str);
}

static int set_duration(struct parse *ps, const char *key, const char *v, int64_t *out)
{
	if (mmt_parse_duration(v, out) || *out <= 0)
		return perr(ps, "bad value '%s' for %s (duration); valid: e.g. 500ms, 30s, 2m, 1h",
			    v, key);
	return 1;
}

static int set_count(struct parse *ps, const char *key, const char *v, int min, int max, int *out)
{
	int64_t n;

	if (mmt_parse_int(v, &n) || n < min || n > max)
		return perr(ps, "bad value '%s' for %s (int); valid: %d..%d", v, key, min, max);
	*out = (int)n;
	return 1;
}

static int set_placement(struct parse *ps, const char *v, char *out, size_t len)
{
	struct mmt_placement *pl = malloc(sizeof(*pl));
	char err[256];
	int r;

	if (!pl)
		return perr(ps, "out of memory");
	r = mmt_placement_parse(v, pl, err, sizeof(err));
	free(pl);
	if (r)
		return perr(ps, "%s", err);
	if (strlen(v) >= len)
		return perr(ps, "placement '%s' is too long", v);
	snprintf(out, len, "%s", v);
	return 1;
}

static int workload_key(struct parse *ps, struct mmt_job_spec *j, const char *k, const char *v);

/* with = W[:opt=val,...]: a companion job spec, parsed like -w. */
static int set_with(struct parse *ps, struct mmt_job_spec *j, const char *v)
{
	char *copy = strdup(v), *opts, *kv, *save = NULL, *eq, names[512];
	const struct mmt_workload *wl;
	struct mmt_job_spec *c = NULL;

	if (!copy)
		return perr(ps, "out of memory");
	opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	wl = mmt_workload_find(copy);
	if (!wl) {
		workload_names(names, sizeof(names));
		perr(ps, "unknown workload '%s' in with; valid: %s", copy, names);
		goto out;
	}
	if (j->with) {
		perr(ps, "a job takes one 'with'");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c || job_init(c, wl, NULL, j->where)) {
		perr(ps, "out of memory");
		free(c);
		goto out;
	}
	j->with = c;
	snprintf(j->with_text, sizeof(j->with_text), "%s", v);
	for (kv = opts ? strtok_r(opts, ",", &save) : NULL; kv && !ps->failed;
	     kv = strtok_r(NULL, ",", &save)) {
		eq = strchr(kv, '=');
		if (!eq) {
			perr(ps, "with: '%s' is not OPTION=VALUE (with = WORKLOAD[:opt=val,...])",
			     kv);
			break;
		}
		*eq = '\0';
		if (!strcmp(kv, "with") || !strcmp(kv, "repeat") || !strcmp(kv, "duration"))
			perr(ps,
			     "with: '%s' is the job's, not the companion's; valid: workers, "
			     "placement and %s's options",
			     kv, wl->name);
		else
			workload_key(ps, c, kv, eq + 1);
	}
out:
	free(copy);
	return ps->failed ? 0 : 1;
}

/* Keys every job section takes besides its workload's options; 1 if handled. */
static int job_key(struct parse *ps, struct mmt_job_spec *j, const char *k, const char *v,
		   int *handled)
{
	*handled = 1;
	if (!strcmp(k, "duration"))
		return set_duration(ps, k, v, &j->duration_ns);
	if (!strcmp(k, "workers"))
		return set_count(ps, k, v, 1, 65536, &j->workers);
	if (!strcmp(k, "placement"))
		return set_placement(ps, v, j->placement, sizeof(j->placement));
	if (!strcmp(k, "repeat"))
		return set_count(ps, k, v, 1, 100000, &j->repeat);
	if (!strcmp(k, "with"))
		return set_with(ps, j, v);
	*handled = 0;
	return 1;
}

static int run_key(struct parse *ps, const char *k, const char *v)
{
	struct mmt_profile *p = ps->p;
	int64_t n;

	if (!strcmp(k, "duration"))
		return set_duration(ps, k, v, &p->duration_ns);
	if (!strcmp(k, "hang_timeout"))
		return set_duration(ps, k, v, &p->hang_timeout_ns);
	if (!strcmp(k, "interval"))
		return set_duration(ps, k, v, &p->interval_ns);
	if (!strcmp(k, "workers"))
		return set_count(ps, k, v, 1, 65536, &p->workers);
	if (!strcmp(k, "repeat"))
		return set_count(ps, k, v, 1, 100000, &p->repeat);
	if (!strcmp(k, "placement"))
		return set_placement(ps, v, p->placement, sizeof(p->placement));
	if (!strcmp(k, "seed")) {
		if (mmt_parse_int(v, &n))
			return perr(ps, "bad value '%s' for seed (int)", v);
		p->seed = (uint64_t)n;
		p->seed_set = 1;
		return 1;
	}
	if (!strcmp(k, "tag"))
		return snprintf(p->tag, sizeof(p->tag), "%s", v), 1;
	if (!strcmp(k, "description"))
		return snprintf(p->description, sizeof(p->description), "%s", v), 1;
	return perr(ps, "unknown key '%s' in [run]; valid: " RUN_KEYS, k);
}

static int kmsg_key(struct parse *ps, const char *k, const char *v)
{
	char err[256];

	if (strcmp(k, "allow"))
		return perr(ps, "unknown key '%s' in [kmsg]; valid: allow", k);
	if (mmt_kmsg_allow_add(&ps->p->allow, v, err, sizeof(err)))
		return perr(ps, "bad regex '%s' for allow: %s", v, err);
	return 1;
}

static int workload_key(struct parse *ps, struct mmt_job_spec *j, const char *k, const char *v)
{
	char err[1024], names[768];
	int handled, r = job_key(ps, j, k, v, &handled);

	if (handled)
		return r;
	r = mmt_opt_set(j->wl->opts, j->opts, k, v, err, sizeof(err));
	if (r == -ENOENT) {
		mmt_opt_names(j->wl->opts, names, sizeof(names));
		return perr(ps, "unknown key '%s' in [%s]; valid: %s%s" JOB_KEYS, k, ps->section,
			    names, names[0] ? ", " : "");
	}
	if (r)
		return perr(ps, "%s", err);
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;

	(void)section; /* ours, from the reader, follows [x:label] and empty sections */
	if (ps->failed)
		return 1;
	if (ps->in_run)
		return run_key(ps, name, value);
	if (ps->in_kmsg)
		return kmsg_key(ps, name, value);
	if (ps->job)
		return workload_key(ps, ps->job, name, value);
	return perr(ps, "'%s' outside any section; put it under [run] or a workload section", name);
}

static int parse_string(struct mmt_profile *p, const char *name, const char *text, char *err,
			size_t errlen)
{
	struct parse ps = {.p = p, .name = name, .text = text, .err = err, .errlen = errlen};
	int r;

	err[0] = '\0';
	r = ini_parse_stream(string_reader, &ps, handler, &ps);
	if (ps.failed)
		return -EINVAL;
	if (r > 0) {
		snprintf(err, errlen,
			 "%s:%d: syntax error: expected [section], key = value, or a "
			 "comment (; or #)",
			 name, r);
		return -EINVAL;
	}
	return r < 0 ? -EIO : 0;
}

int mmt_profile_load_string(struct mmt_profile *p, const char *name, const char *text, char *err,
			    size_t errlen)
{
	int r;

	snprintf(p->path, sizeof(p->path), "%s", name);
	free(p->text);
	p->text = strdup(text);
	if (!p->text)
		return -ENOMEM;
	r = parse_string(p, name, text, err, errlen);
	if (!r && !p->njobs) {
		snprintf(err, errlen, "%s: no jobs: add a workload section, e.g. [thp_fork]", name);
		return -EINVAL;
	}
	return r;
}

static int slurp(const char *path, char **out)
{
	size_t cap = 4096, len = 0, n;
	char *buf = malloc(cap), *nb;
	FILE *f = fopen(path, "re");

	if (!f || !buf) {
		int r = f ? -ENOMEM : -errno;

		free(buf);
		if (f)
			fclose(f);
		return r;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len > 1)
			continue;
		nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			fclose(f);
			return -ENOMEM;
		}
		buf = nb;
		cap *= 2;
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int mmt_profile_load(struct mmt_profile *p, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	int r = slurp(path, &text);

	if (r) {
		snprintf(err, errlen, "%s: cannot read profile: %s", path, strerror(-r));
		return r;
	}
	r = mmt_profile_load_string(p, path, text, err, errlen);
	free(text);
	return r;
}

int mmt_profile_add_cli_job(struct mmt_profile *p, const char *arg, char *err, size_t errlen)
{
	struct parse ps = {.p = p, .name = "-w", .err = err, .errlen = errlen};
	char *copy = strdup(arg), *opts, *kv, *save = NULL, *eq, names[512];

	if (!copy)
		return -ENOMEM;
	err[0] = '\0';
	opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (!mmt_workload_find(copy)) {
		workload_names(names, sizeof(names));
		perr(&ps, "unknown workload '%s'; valid: %s", copy, names);
	} else {
		begin_section(&ps, copy);
	}
	for (kv = opts ? strtok_r(opts, ",", &save) : NULL; kv && !ps.failed;
	     kv = strtok_r(NULL, ",", &save)) {
		eq = strchr(kv, '=');
		if (!eq) {
			perr(&ps, "'%s' is not OPTION=VALUE (-w WORKLOAD[:opt=val,...])", kv);
			break;
		}
		*eq = '\0';
		workload_key(&ps, ps.job, kv, eq + 1);
	}
	free(copy);
	return ps.failed ? -EINVAL : 0;
}

int mmt_profile_set_with(struct mmt_profile *p, const char *arg, char *err, size_t errlen)
{
	struct parse ps = {.p = p, .name = "--with", .err = err, .errlen = errlen};

	err[0] = '\0';
	if (!p->njobs) {
		snprintf(err, errlen, "--with: no job to go with; put it after -w WORKLOAD");
		return -EINVAL;
	}
	set_with(&ps, &p->jobs[p->njobs - 1], arg);
	return ps.failed ? -EINVAL : 0;
}

static json_object *params_object(const struct mmt_job_spec *j)
{
	json_object *o = json_object_new_object();
	const struct mmt_opt *opt;
	char buf[128];

	for (opt = j->wl->opts; opt && opt->name; opt++) {
		mmt_opt_format(opt, j->opts, buf, sizeof(buf));
		json_object_object_add(o, opt->name, json_object_new_string(buf));
	}
	return o;
}

char *mmt_job_params_json(const struct mmt_job_spec *j)
{
	json_object *o = params_object(j), *w;
	char *out;

	if (j->with) {
		/* The companion: its workload, then its options, as one string. */
		w = json_object_new_string(j->with_text);
		json_object_object_add(o, "with", w);
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The result stream's codec: run_info, job results and the end of a run as
 * compact JSON, and back. Field names are the struct's; enums travel as their
 * names (so a guest and a host built from different trees still agree);
 * nullable strings as null; a histogram as count, sum, min, max and its
 * non-empty buckets, "b": [first index, count, index step, count, ...], so it
 * decodes bit for bit. Decoding checks every type, range, length and name.
 */
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mmt.h"
#include "tag.h"
#include "worker.h"

typedef struct json_object jo;

static const char *const kind_names[MMT_WIRE__NKINDS] = {"RUN", "JOB", "END"};
static const char *const verdict_names[] = {
	[MMT_KMSG_INFO] = "info",
	[MMT_KMSG_FAIL] = "fail",
	[MMT_KMSG_ALLOWED] = "allowed",
};
static const int job_statuses[] = {MMT_PASS, MMT_FAIL, MMT_SKIP, MMT_ERROR};
static const char *const run_statuses[] = {"complete", "interrupted", "incomplete"};

/* Bounds on what a decoder allocates from one list; far above anything a run makes. */
#define MAX_LIST (1 << 24)

const char *mmt_wire_kind_name(int kind)
{
	return kind >= 0 && kind < MMT_WIRE__NKINDS ? kind_names[kind] : "?";
}

/* ---- encoding ----------------------------------------------------------- */

/* json-c returns NULL when out of memory; every builder goes through these. */
struct enc {
	int oom;
};

static jo *new_obj(struct enc *e)
{
	jo *o = json_object_new_object();

	e->oom |= !o;
	return o;
}

static jo *new_arr(struct enc *e)
{
	jo *a = json_object_new_array();

	e->oom |= !a;
	return a;
}

/* Add v (a new reference, or NULL for JSON null when nullable) to object o. */
static void set_v(struct enc *e, jo *o, const char *key, jo *v, int nullable)
{
	if (!v && !nullable)
		e->oom = 1;
	if (!o || json_object_object_add(o, key, v)) {
		e->oom = 1;
		json_object_put(v);
	}
}

static void set(struct enc *e, jo *o, const char *key, jo *v)
{
	set_v(e, o, key, v, 0);
}

static void push(struct enc *e, jo *a, jo *v)
{
	if (!v)
		e->oom = 1;
	if (!a || json_object_array_add(a, v)) {
		e->oom = 1;
		json_object_put(v);
	}
}

static jo *jstrn(const char *s, size_t size)
{
	return json_object_new_string_len(s, (int)strnlen(s, size));
}

#define JBUF(f) jstrn((f), sizeof(f))

static jo *ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static jo *ji64(int64_t v)
{
	return json_object_new_int64(v);
}

/* A malloc'ed string that may be NULL: JSON null then. */
static void set_dup(struct enc *e, jo *o, const char *key, const char *s)
{
	set_v(e, o, key, s ? json_object_new_string(s) : NULL, !s);
}

static char *finish(struct enc *e, jo *o)
{
	const char *s;
	char *out = NULL;

	if (!e->oom && o) {
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
		out = s ? strdup(s) : NULL;
	}
	json_object_put(o);
	return out;
}

int mmt_wire_encode_run(const struct mmt_run_info *ri, char **json)
{
	struct enc e = {0};
	jo *o = new_obj(&e);

	set(&e, o, "uuid", JBUF(ri->uuid));
	set(&e, o, "started_ns", ju64(ri->started_ns));
	set(&e, o, "tool_version", JBUF(ri->tool_version));
	set(&e, o, "git_rev", JBUF(ri->git_rev));
	set(&e, o, "seed", ju64(ri->seed));
	set(&e, o, "profile", JBUF(ri->profile));
	set_dup(&e, o, "profile_text", ri->profile_text);
	set_dup(&e, o, "argv", ri->argv);
	set(&e, o, "kernel_release", JBUF(ri->kernel_release));
	set(&e, o, "kernel_version", JBUF(ri->kernel_version));
	set(&e, o, "arch", JBUF(ri->arch));
	set(&e, o, "page_size", ji64(ri->page_size));
	set(&e, o, "va_bits", ji64(ri->va_bits));
	set_dup(&e, o, "thp_json", ri->thp_json);
	set_dup(&e, o, "cmdline", ri->cmdline);
	set(&e, o, "config_hash", JBUF(ri->config_hash));
	set(&e, o, "config_source", JBUF(ri->config_source));
	set(&e, o, "cpu_model", JBUF(ri->cpu_model));
	set(&e, o, "topology", JBUF(ri->topology));
	set(&e, o, "hostname", JBUF(ri->hostname));
	set(&e, o, "guest", ji64(ri->guest));
	set(&e, o, "virt", JBUF(ri->virt));
	set(&e, o, "tag", JBUF(ri->tag));
	*json = finish(&e, o);
	return *json ? 0 : -ENOMEM;
}

static jo *enc_where(struct enc *e, const struct mmt_where *w)
{
	jo *a = new_arr(e);

	push(e, a, ji64(w->cpu));
	push(e, a, ji64(w->core));
	push(e, a, ji64(w->package));
	push(e, a, ji64(w->node));
	return a;
}

static jo *enc_worker(struct enc *e, const struct mmt_worker_result *w)
{
	jo *o = new_obj(e);

	set(e, o, "worker", ji64(w->worker));
	set(e, o, "pid", ji64(w->pid));
	set(e, o, "planned", enc_where(e, &w->planned));
	set(e, o, "applied", enc_where(e, &w->applied));
	set(e, o, "status", json_object_new_string(mmt_status_name(w->status)));
	set(e, o, "exit_code", ji64(w->exit_code));
	set(e, o, "term_signal", ji64(w->term_signal));
	return o;
}

/* Non-empty buckets: the first index, then the step from the previous one. */
static jo *enc_buckets(struct enc *e, const struct mmt_hist *h)
{
	jo *a = new_arr(e);
	unsigned i, prev = 0;
	int first = 1;

	for (i = 0; i < MMT_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		push(e, a, ju64(first ? i : i - prev));
		push(e, a, ju64(h->b[i]));
		prev = i;
		first = 0;
	}
	return a;
}

static jo *enc_op(struct enc *e, const struct mmt_op_result *op)
{
	jo *o = new_obj(e), *iv = new_arr(e);
	int i;

	set(e, o, "name", JBUF(op->name));
	set(e, o, "count", ju64(op->h.count));
	set(e, o, "sum", ju64(op->h.sum));
	set(e, o, "min", ju64(op->h.min));
	set(e, o, "max", ju64(op->h.max));
	set(e, o, "b", enc_buckets(e, &op->h));
	for (i = 0; op->intervals && i < op->nintervals; i++)
		push(e, iv, ju64(op->intervals[i]));
	set(e, o, "iv", iv);
	return o;
}

static int tag_is_zero(const struct mmt_tag *t)
{
	return !t->magic && !t->owner && !t->seed && !t->gen && !t->index && !t->check;
}

static jo *enc_tag(struct enc *e, const struct mmt_tag *t)
{
	jo *a = new_arr(e);

	push(e, a, ju64(t->magic));
	push(e, a, ju64(t->owner));
	push(e, a, ju64(t->seed));
	push(e, a, ju64(t->gen));
	push(e, a, ju64(t->index));
	push(e, a, ju64(t->check));
	return a;
}

static jo *enc_failure(struct enc *e, const struct mmt_failure *f)
{
	jo *o = new_obj(e);

	set(e, o, "kind", json_object_new_string(mmt_fail_kind_name(f->kind)));
	set(e, o, "worker", ji64(f->worker));
	set(e, o, "pid", ji64(f->pid));
	set(e, o, "op", ji64(f->op));
	set(e, o, "err", ji64(f->err));
	set(e, o, "vclass", json_object_new_string(mmt_vclass_name(f->vclass)));
	set(e, o, "addr", ju64(f->addr));
	set(e, o, "t_ns", ju64(f->t_ns));
	if (!tag_is_zero(&f->want))
		set(e, o, "want", enc_tag(e, &f->want));
	if (!tag_is_zero(&f->found))
		set(e, o, "found", enc_tag(e, &f->found));
	set(e, o, "detail", JBUF(f->detail));
	return o;
}

static jo *enc_kmsg(struct enc *e, const struct mmt_kmsg_line *k)
{
	jo *o = new_obj(e);
	int v = k->verdict >= 0 && k->verdict < (int)MMT_ARRAY_SIZE(verdict_names) ? k->verdict
										   : MMT_KMSG_INFO;

	set(e, o, "seq", ju64(k->seq));
	set(e, o, "ts_us", ju64(k->ts_us));
	set(e, o, "level", ji64(k->level));
	set(e, o, "verdict", json_object_new_string(verdict_names[v]));
	set(e, o, "rule", JBUF(k->rule));
	set_dup(e, o, "text", k->text);
	return o;
}

/* [key, value] pairs keep the order (and any repeated key) that an object would lose. */
static jo *pair(struct enc *e, jo *k, jo *v)
{
	jo *a = new_arr(e);

	push(e, a, k);
	push(e, a, v);
	return a;
}

static void enc_job_lists(struct enc *e, jo *o, const struct mmt_job_result *j)
{
	jo *ops = new_arr(e), *fails = new_arr(e), *kmsg = new_arr(e), *vm = new_arr(e);
	jo *met = new_arr(e), *notes = new_arr(e);
	int i;

	for (i = 0; j->ops && i < j->nops; i++)
		push(e, ops, enc_op(e, &j->ops[i]));
	for (i = 0; j->failures && i < j->nfailures; i++)
		push(e, fails, enc_failure(e, &j->failures[i]));
	for (i = 0; j->kmsg && i < j->nkmsg; i++)
		push(e, kmsg, enc_kmsg(e, &j->kmsg[i]));
	for (i = 0; j->vmstat && i < j->nvmstat; i++)
		push(e, vm, pair(e, JBUF(j->vmstat[i].key), ji64(j->vmstat[i].delta)));
	for (i = 0; j->metrics && i < j->nmetrics; i++)
		push(e, met,
		     pair(e, JBUF(j->metrics[i].key), json_object_new_double(j->metrics[i].value)));
	for (i = 0; j->notes && i < j->nnotes; i++) {
		if (j->notes[i])
			push(e, notes, json_object_new_string(j->notes[i]));
		else if (notes && json_object_array_add(notes, NULL))
			e->oom = 1;
	}
	set(e, o, "ops", ops);
	set(e, o, "failures", fails);
	set(e, o, "failures_dropped", ju64(j->failures_dropped));
	set(e, o, "kmsg", kmsg);
	set(e, o, "vmstat", vm);
	set(e, o, "metrics", met);
	set(e, o, "notes", notes);
}

int mmt_wire_encode_job(const struct mmt_job_result *j, char **json)
{
	struct enc e = {0};
	jo *o = new_obj(&e), *w;
	int i;

	set(&e, o, "seq", ji64(j->seq));
	set(&e, o, "workload", JBUF(j->workload));
	set(&e, o, "label", JBUF(j->label));
	set_dup(&e, o, "params_json", j->params_json);
	set(&e, o, "repeat", ji64(j->repeat));
	set(&e, o, "nworkers", ji64(j->nworkers));
	set(&e, o, "placement", JBUF(j->placement));
	set(&e, o, "planned_ns", ju64(j->planned_ns));
	set(&e, o, "started_ns", ju64(j->started_ns));
	set(&e, o, "elapsed_ns", ju64(j->elapsed_ns));
	set(&e, o, "interval_ns", ju64(j->interval_ns));
	set(&e, o, "status", json_object_new_string(mmt_status_name(j->status)));
	set(&e, o, "reason", JBUF(j->reason));
	set(&e, o, "taint_before", ju64(j->taint_before));
	set(&e, o, "taint_after", ju64(j->taint_after));
	/* Worker rows exist for all of nworkers or for none (a job that never started). */
	if (j->workers) {
		w = new_arr(&e);
		for (i = 0; i < j->nworkers; i++)
			push(&e, w, enc_worker(&e, &j->workers[i]));
		set(&e, o, "workers", w);
	}
	enc_job_lists(&e, o, j);
	*json = finish(&e, o);
	return *json ? 0 : -ENOMEM;
}

int mmt_wire_encode_end(const char *status, int exit_code, uint64_t finished_ns, int njobs,
			char **json)
{
	struct enc e = {0};
	jo *o = new_obj(&e);

	set(&e, o, "status", json_object_new_string(status));
	set(&e, o, "exit_code", ji64(exit_code));
	if (finished_ns)
		set(&e, o, "finished_ns", ju64(finished_ns));
	if (njobs >= 0)
		set(&e, o, "jobs", ji64(njobs));
	*json = finish(&e, o);
	return *json ? 0 : -ENOMEM;
}

/* ---- decoding ----------------------------------------------------------- */

struct dec {
	char *err;
	size_t errlen;
	char where[64]; /* "ops[2]" while inside a list element */
};

static int bad(struct dec *d, const char *what, const char *fmt, ...) mmt_printf(3, 4);

static int bad(struct dec *d, const char *what, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->errlen)
		snprintf(d->err, d->errlen, "%s%s%s: %s", d->where, d->where[0] ? "." : "", what,
			 msg);
	return -EINVAL;
}

/* Member key of o: 1 found, 0 absent or null (an error if required). */
static int member(struct dec *d, jo *o, const char *key, jo **v, int required)
{
	if (!json_object_object_get_ex(o, key, v) || !*v) {
		*v = NULL;
		return required ? bad(d, key, "missing") : 0;
	}
	return 1;
}

static int val_u64(struct dec *d, const char *what, jo *v, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return bad(d, what, "not an integer");
	/* json-c keeps values past INT64_MAX as unsigned; get_int64 clamps those. */
	if (json_object_get_int64(v) < 0)
		return bad(d, what, "negative");
	*out = json_object_get_uint64(v);
	return 0;
}

static int val_i64(struct dec *d, const char *what, jo *v, int64_t min, int64_t max, int64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return bad(d, what, "not an integer");
	x = json_object_get_int64(v);
	if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return bad(d, what, "out of range");
	if (x < min || x > max)
		return bad(d, what, "%" PRId64 " out of range (%" PRId64 "..%" PRId64 ")", x, min,
			   max);
	*out = x;
	return 0;
}

static int val_double(struct dec *d, const char *what, jo *v, double *out)
{
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return bad(d, what, "not a number");
	*out = json_object_get_double(v);
	return 0;
}

/* A string with no NUL in it; *s points into v. */
static int val_str(struct dec *d, const char *what, jo *v, const char **s, size_t *len)
{
	int n;

	if (!json_object_is_type(v, json_type_string))
		return bad(d, what, "not a string");
	n = json_object_get_string_len(v);
	*s = json_object_get_string(v);
	if (n < 0 || !*s)
		return bad(d, what, "unreadable string");
	*len = (size_t)n;
	if (memchr(*s, '\0', *len))
		return bad(d, what, "holds a NUL byte");
	return 0;
}

/* Into a char array; full: may fill it without a terminating NUL (failure details). */
static int val_buf(struct dec *d, const char *what, jo *v, char *buf, size_t size, int full)
{
	const char *s;
	size_t len;
	int rc = val_str(d, what, v, &s, &len);

	if (rc)
		return rc;
	if (len > (full ? size : size - 1))
		return bad(d, what, "%zu bytes, more than the %zu it may have", len,
			   full ? size : size - 1);
	memset(buf, 0, size);
	memcpy(buf, s, len);
	return 0;
}

static int val_dup(struct dec *d, const char *what, jo *v, char **out)
{
	const char *s;
	size_t len;
	int rc;

	*out = NULL;
	if (!v)
		return 0;
	rc = val_str(d, what, v, &s, &len);
	if (rc)
		return rc;
	*out = strndup(s, len);
	return *out ? 0 : -ENOMEM;
}

static int get_u64(struct dec *d, jo *o, const char *key, uint64_t *out, int required)
{
	jo *v;
	int rc = member(d, o, key, &v, required);

	return rc <= 0 ? rc : val_u64(d, key, v, out);
}

static int get_i64(struct dec *d, jo *o, const char *key, int64_t min, int64_t max, int64_t *out,
		   int required)
{
	jo *v;
	int rc = member(d, o, key, &v, required);

	return rc <= 0 ? rc : val_i64(d, key, v, min, max, out);
}

static int get_int(struct dec *d, jo *o, const char *key, int *out, int required)
{
	int64_t x = *out; /* absent: unchanged */
	int rc = get_i64(d, o, key, INT_MIN, INT_MAX, &x, required);

	if (!rc)
		*out = (int)x;
	return rc;
}

static int get_i32(struct dec *d, jo *o, const char *key, int32_t *out)
{
	int64_t x = *out;
	int rc = get_i64(d, o, key, INT32_MIN, INT32_MAX, &x, 0);

	if (!rc)
		*out = (int32_t)x;
	return rc;
}

static int get_buf(struct dec *d, jo *o, const char *key, char *buf, size_t size, int required)
{
	jo *v;
	int rc = member(d, o, key, &v, required);

	return rc <= 0 ? rc : val_buf(d, key, v, buf, size, 0);
}

#define GET_BUF(d, o, key, f, req) get_buf((d), (o), (key), (f), sizeof(f), (req))

static int get_dup(struct dec *d, jo *o, const char *key, char **out)
{
	jo *v;
	int rc = member(d, o, key, &v, 0);

	*out = NULL;
	return rc <= 0 ? rc : val_dup(d, key, v, out);
}

/* A name out of a table of n; *out is its index. */
static int get_name(struct dec *d, jo *o, const char *key, const char *const *names, int n,
		    int *out, int required)
{
	char name[48], valid[256];
	size_t off = 0;
	jo *v;
	int rc = member(d, o, key, &v, required), i;

	if (rc <= 0)
		return rc;
	rc = val_buf(d, key, v, name, sizeof(name), 0);
	if (rc)
		return rc;
	valid[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!strcmp(name, names[i])) {
			*out = i;
			return 0;
		}
		if (off < sizeof(valid))
			off += (size_t)snprintf(valid + off, sizeof(valid) - off, "%s%s",
						i ? ", " : "", names[i]);
	}
	return bad(d, key, "unknown '%s'; valid: %s", name, valid);
}

/* An array member: *n elements, at most max (absent: 0 and *a NULL). */
static int get_array(struct dec *d, jo *o, const char *key, jo **a, size_t *n, size_t max)
{
	int rc = member(d, o, key, a, 0);

	*n = 0;
	if (rc <= 0)
		return rc;
	if (!json_object_is_type(*a, json_type_array))
		return bad(d, key, "not an array");
	*n = json_object_array_length(*a);
	if (*n > max)
		return bad(d, key, "%zu entries, more than %zu", *n, max);
	return 0;
}

/* An array value of exactly n integers, each within [min, max]. */
static int val_ints(struct dec *d, const char *what, jo *a, size_t n, int64_t min, int64_t max,
		    int64_t *out)
{
	size_t i;
	int rc;

	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) != n)
		return bad(d, what, "not an array of %zu integers", n);
	for (i = 0; i < n; i++) {
		rc = val_i64(d, what, json_object_array_get_idx(a, i), min, max, &out[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Set d->where to "list[i]" for messages about the element's fields. */
static void enter(struct dec *d, const char *list, size_t i)
{
	snprintf(d->where, sizeof(d->where), "%s[%zu]", list, i);
}

/* Parse text that must be exactly one JSON object. */
static int parse_top(struct dec *d, const char *json, size_t len, jo **out)
{
	enum json_tokener_error e;
	struct json_tokener *tok;
	size_t end;
	jo *o;

	*out = NULL;
	if (len > INT_MAX)
		return bad(d, "record", "too large (%zu bytes)", len);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, json, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || e != json_tokener_success) {
		json_object_put(o);
		if (e == json_tokener_continue || e == json_tokener_success)
			return bad(d, "record", "JSON cut short after %zu bytes", len);
		return bad(d, "record", "bad JSON at byte %zu: %s", end,
			   json_tokener_error_desc(e));
	}
	if (end != len) {
		json_object_put(o);
		return bad(d, "record", "bytes after the JSON value, at byte %zu of %zu", end, len);
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return bad(d, "record", "not a JSON object");
	}
	*out = o;
	return 0;
}

static int dec_run(struct dec *d, jo *o, struct mmt_run_info *ri)
{
	int64_t page = 0;
	int rc = 0;

	rc = rc ?: GET_BUF(d, o, "uuid", ri->uuid, 1);
	if (!rc && !ri->uuid[0])
		rc = bad(d, "uuid", "empty");
	rc = rc ?: get_u64(d, o, "started_ns", &ri->started_ns, 0);
	rc = rc ?: GET_BUF(d, o, "tool_version", ri->tool_version, 0);
	rc = rc ?: GET_BUF(d, o, "git_rev", ri->git_rev, 0);
	rc = rc ?: get_u64(d, o, "seed", &ri->seed, 0);
	rc = rc ?: GET_BUF(d, o, "profile", ri->profile, 0);
	rc = rc ?: get_dup(d, o, "profile_text", &ri->profile_text);
	rc = rc ?: get_dup(d, o, "argv", &ri->argv);
	rc = rc ?: GET_BUF(d, o, "kernel_release", ri->kernel_release, 0);
	rc = rc ?: GET_BUF(d, o, "kernel_version", ri->kernel_version, 0);
	rc = rc ?: GET_BUF(d, o, "arch", ri->arch, 0);
	rc = rc ?: get_i64(d, o, "page_size", 0, LONG_MAX, &page, 0);
	ri->page_size = (long)page;
	rc = rc ?: get_int(d, o, "va_bits", &ri->va_bits, 0);
	rc = rc ?: get_dup(d, o, "thp_json", &ri->thp_json);
	rc = rc ?: get_dup(d, o, "cmdline", &ri->cmdline);
	rc = rc ?: GET_BUF(d, o, "config_hash", ri->config_hash, 0);
	rc = rc ?: GET_BUF(d, o, "config_source", ri->config_source, 0);
	rc = rc ?: GET_BUF(d, o, "cpu_model", ri->cpu_model, 0);
	rc = rc ?: GET_BUF(d, o, "topology", ri->topology, 0);
	rc = rc ?: GET_BUF(d, o, "hostname", ri->hostname, 0);
	rc = rc ?: get_int(d, o, "guest", &ri->guest, 0);
	rc = rc ?: GET_BUF(d, o, "virt", ri->virt, 0);
	rc = rc ?: GET_BUF(d, o, "tag", ri->tag, 0);
	return rc;
}

int mmt_wire_decode_run(const char *json, size_t len, struct mmt_run_info *ri, char *err,
			size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	jo *o;
	int rc;

	memset(ri, 0, sizeof(*ri));
	if (errlen)
		err[0] = '\0';
	rc = parse_top(&d, json, len, &o);
	if (rc)
		return rc;
	rc = dec_run(&d, o, ri);
	json_object_put(o);
	if (rc)
		mmt_run_info_free(ri);
	return rc;
}

static int status_of(struct dec *d, jo *o, const char *key, int *status)
{
	static const char *const names[] = {"pass", "fail", "skip", "error"};
	int i = 0, rc = get_name(d, o, key, names, 4, &i, 1);

	if (!rc)
		*status = job_statuses[i];
	return rc;
}

static int dec_where(struct dec *d, jo *o, const char *key, struct mmt_where *w)
{
	int64_t v[4];
	jo *a;
	int rc = member(d, o, key, &a, 0);

	if (rc <= 0)
		return rc;
	rc = val_ints(d, key, a, 4, INT32_MIN, INT32_MAX, v);
	if (!rc)
		*w = (struct mmt_where){(int32_t)v[0], (int32_t)v[1], (int32_t)v[2], (int32_t)v[3]};
	return rc;
}

static int dec_worker(struct dec *d, jo *o, struct mmt_worker_result *w)
{
	int rc = 0;

	if (!json_object_is_type(o, json_type_object))
		return bad(d, "worker", "not an object");
	rc = rc ?: get_int(d, o, "worker", &w->worker, 0);
	rc = rc ?: get_int(d, o, "pid", &w->pid, 0);
	rc = rc ?: dec_where(d, o, "planned", &w->planned);
	rc = rc ?: dec_where(d, o, "applied", &w->applied);
	rc = rc ?: status_of(d, o, "status", &w->status);
	rc = rc ?: get_int(d, o, "exit_code", &w->exit_code, 0);
	rc = rc ?: get_int(d, o, "term_signal", &w->term_signal, 0);
	return rc;
}

static int dec_buckets(struct dec *d, jo *o, struct mmt_hist *h)
{
	uint64_t idx = 0, step, n;
	size_t len, k;
	jo *a;
	int rc = get_array(d, o, "b", &a, &len, 2 * MMT_HIST_BUCKETS);

	if (rc || !a)
		return rc;
	if (len % 2)
		return bad(d, "b", "odd length %zu: want index, count pairs", len);
	for (k = 0; k < len; k += 2) {
		rc = val_u64(d, "b", json_object_array_get_idx(a, k), &step);
		rc = rc ?: val_u64(d, "b", json_object_array_get_idx(a, k + 1), &n);
		if (rc)
			return rc;
		if (k && !step)
			return bad(d, "b", "bucket indexes do not ascend at entry %zu", k / 2);
		if (step >= MMT_HIST_BUCKETS || idx + step >= MMT_HIST_BUCKETS)
			return bad(d, "b", "bucket %" PRIu64 " out of range (0..%u)",
				   step >= MMT_HIST_BUCKETS ? step : idx + step,
				   MMT_HIST_BUCKETS - 1);
		idx += step;
		h->b[idx] = n;
	}
	return 0;
}

static int dec_op(struct dec *d, jo *o, struct mmt_op_result *op)
{
	uint64_t *iv;
	size_t n, i;
	jo *a;
	int rc = 0;

	if (!json_object_is_type(o, json_type_object))
		return bad(d, "op", "not an object");
	memset(&op->h, 0, sizeof(op->h));
	rc = rc ?: GET_BUF(d, o, "name", op->name, 1);
	rc = rc ?: get_u64(d, o, "count", &op->h.count, 0);
	rc = rc ?: get_u64(d, o, "sum", &op->h.sum, 0);
	rc = rc ?: get_u64(d, o, "min", &op->h.min, 0);
	rc = rc ?: get_u64(d, o, "max", &op->h.max, 0);
	rc = rc ?: dec_buckets(d, o, &op->h);
	rc = rc ?: get_array(d, o, "iv", &a, &n, MAX_LIST);
	if (rc || !n)
		return rc;
	iv = calloc(n, sizeof(*iv));
	if (!iv)
		return -ENOMEM;
	op->intervals = iv;
	op->nintervals = (int)n;
	for (i = 0; i < n && !rc; i++)
		rc = val_u64(d, "iv", json_object_array_get_idx(a, i), &iv[i]);
	return rc;
}

static int dec_tag(struct dec *d, jo *o, const char *key, struct mmt_tag *t)
{
	int64_t v[6];
	jo *a;
	int rc = member(d, o, key, &a, 0), i;

	if (rc <= 0)
		return rc;
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) != 6)
		return bad(d, key, "not an array of 6 integers");
	for (i = 0; i < 4; i++) {
		rc = val_i64(d, key, json_object_array_get_idx(a, (size_t)i), 0, UINT32_MAX, &v[i]);
		if (rc)
			return rc;
	}
	t->magic = (uint32_t)v[0];
	t->owner = (uint32_t)v[1];
	t->seed = (uint32_t)v[2];
	t->gen = (uint32_t)v[3];
	rc = val_u64(d, key, json_object_array_get_idx(a, 4), &t->index);
	return rc ?: val_u64(d, key, json_object_array_get_idx(a, 5), &t->check);
}

static int dec_failure(struct dec *d, jo *o, struct mmt_failure *f)
{
	const char *kinds[MMT_FK__COUNT], *classes[MMT_V__COUNT];
	int i, kind = 0, vclass = 0, rc = 0;
	jo *v;

	if (!json_object_is_type(o, json_type_object))
		return bad(d, "failure", "not an object");
	for (i = 0; i < MMT_FK__COUNT; i++)
		kinds[i] = mmt_fail_kind_name(i);
	for (i = 0; i < MMT_V__COUNT; i++)
		classes[i] = mmt_vclass_name(i);
	rc = rc ?: get_name(d, o, "kind", kinds, MMT_FK__COUNT, &kind, 1);
	f->kind = kind;
	rc = rc ?: get_i32(d, o, "worker", &f->worker);
	rc = rc ?: get_i32(d, o, "pid", &f->pid);
	rc = rc ?: get_i32(d, o, "op", &f->op);
	rc = rc ?: get_i32(d, o, "err", &f->err);
	rc = rc ?: get_name(d, o, "vclass", classes, MMT_V__COUNT, &vclass, 0);
	f->vclass = vclass;
	rc = rc ?: get_u64(d, o, "addr", &f->addr, 0);
	rc = rc ?: get_u64(d, o, "t_ns", &f->t_ns, 0);
	rc = rc ?: dec_tag(d, o, "want", &f->want);
	rc = rc ?: dec_tag(d, o, "found", &f->found);
	if (!rc && member(d, o, "detail", &v, 0) > 0)
		rc = val_buf(d, "detail", v, f->detail, sizeof(f->detail), 1);
	return rc;
}

static int dec_kmsg(struct dec *d, jo *o, struct mmt_kmsg_line *k)
{
	jo *v;
	int rc = 0, verdict = 0;

	if (!json_object_is_type(o, json_type_object))
		return bad(d, "kmsg", "not an object");
	rc = rc ?: get_u64(d, o, "seq", &k->seq, 0);
	rc = rc ?: get_u64(d, o, "ts_us", &k->ts_us, 0);
	rc = rc ?: get_int(d, o, "level", &k->level, 0);
	rc = rc
		     ?: get_name(d, o, "verdict", verdict_names, (int)MMT_ARRAY_SIZE(verdict_names),
				 &verdict, 0);
	k->verdict = verdict;
	rc = rc ?: GET_BUF(d, o, "rule", k->rule, 0);
	if (!rc && member(d, o, "text", &v, 0) > 0)
		rc = val_dup(d, "text", v, &k->text);
	return rc;
}

/* A [key, value] pair; *v is the value. */
static int dec_pair(struct dec *d, jo *o, char *key, size_t keysize, jo **v)
{
	if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) != 2)
		return bad(d, "entry", "not a [key, value] pair");
	*v = json_object_array_get_idx(o, 1);
	if (!*v)
		return bad(d, "value", "null");
	return val_buf(d, "key", json_object_array_get_idx(o, 0), key, keysize, 0);
}

static int dec_vmstat(struct dec *d, jo *o, struct mmt_vmstat_delta *m)
{
	jo *v;
	int rc = dec_pair(d, o, m->key, sizeof(m->key), &v);

	return rc ?: val_i64(d, "delta", v, INT64_MIN, INT64_MAX, &m->delta);
}

static int dec_metric(struct dec *d, jo *o, struct mmt_metric *m)
{
	jo *v;
	int rc = dec_pair(d, o, m->key, sizeof(m->key), &v);

	return rc ?: val_double(d, "value", v, &m->value);
}

static int dec_note(struct dec *d, jo *o, char **note)
{
	return val_dup(d, "note", o, note);
}

typedef int (*elem_fn)(struct dec *d, jo *o, void *slot);

/* A list member into a calloc'ed array of n elements (n counts the slots handed out). */
static int dec_list(struct dec *d, jo *o, const char *key, void **arr, int *n, size_t elsize,
		    elem_fn fn)
{
	size_t len, i;
	jo *a;
	int rc = get_array(d, o, key, &a, &len, MAX_LIST);

	*arr = NULL;
	*n = 0;
	if (rc || !len)
		return rc;
	*arr = calloc(len, elsize);
	if (!*arr)
		return -ENOMEM;
	for (i = 0; i < len && !rc; i++) {
		enter(d, key, i);
		*n = (int)i + 1;
		rc = fn(d, json_object_array_get_idx(a, i), (char *)*arr + i * elsize);
	}
	if (!rc)
		d->where[0] = '\0';
	return rc;
}

#define DEC_LIST(d, o, key, arr, n, fn)                                                            \
	dec_list((d), (o), (key), (void **)&(arr), &(n), sizeof(*(arr)), (elem_fn)(fn))

static int dec_job_head(struct dec *d, jo *o, struct mmt_job_result *j)
{
	int rc = 0;

	rc = rc ?: get_int(d, o, "seq", &j->seq, 1);
	if (!rc && j->seq < 1)
		rc = bad(d, "seq", "%d: not a job number (1, 2, ...)", j->seq);
	rc = rc ?: GET_BUF(d, o, "workload", j->workload, 1);
	rc = rc ?: GET_BUF(d, o, "label", j->label, 0);
	rc = rc ?: get_dup(d, o, "params_json", &j->params_json);
	rc = rc ?: get_int(d, o, "repeat", &j->repeat, 0);
	rc = rc ?: get_int(d, o, "nworkers", &j->nworkers, 0);
	if (!rc && j->nworkers < 0)
		rc = bad(d, "nworkers", "negative");
	rc = rc ?: GET_BUF(d, o, "placement", j->placement, 0);
	rc = rc ?: get_u64(d, o, "planned_ns", &j->planned_ns, 0);
	rc = rc ?: get_u64(d, o, "started_ns", &j->started_ns, 0);
	rc = rc ?: get_u64(d, o, "elapsed_ns", &j->elapsed_ns, 0);
	rc = rc ?: get_u64(d, o, "interval_ns", &j->interval_ns, 0);
	rc = rc ?: status_of(d, o, "status", &j->status);
	rc = rc ?: GET_BUF(d, o, "reason", j->reason, 0);
	rc = rc ?: get_u64(d, o, "taint_before", &j->taint_before, 0);
	rc = rc ?: get_u64(d, o, "taint_after", &j->taint_after, 0);
	rc = rc ?: get_u64(d, o, "failures_dropped", &j->failures_dropped, 0);
	return rc;
}

static int dec_job(struct dec *d, jo *o, struct mmt_job_result *j)
{
	int nw = 0, rc = dec_job_head(d, o, j);
	jo *w;

	if (!rc && member(d, o, "workers", &w, 0) > 0) {
		rc = DEC_LIST(d, o, "workers", j->workers, nw, dec_worker);
		if (!rc && nw != j->nworkers)
			rc = bad(d, "workers", "%d entries for nworkers %d", nw, j->nworkers);
	}
	rc = rc ?: DEC_LIST(d, o, "ops", j->ops, j->nops, dec_op);
	rc = rc ?: DEC_LIST(d, o, "failures", j->failures, j->nfailures, dec_failure);
	rc = rc ?: DEC_LIST(d, o, "kmsg", j->kmsg, j->nkmsg, dec_kmsg);
	rc = rc ?: DEC_LIST(d, o, "vmstat", j->vmstat, j->nvmstat, dec_vmstat);
	rc = rc ?: DEC_LIST(d, o, "metrics", j->metrics, j->nmetrics, dec_metric);
	rc = rc ?: DEC_LIST(d, o, "notes", j->notes, j->nnotes, dec_note);
	return rc;
}

int mmt_wire_decode_job(const char *json, size_t len, struct mmt_job_result *j, char *err,
			size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	jo *o;
	int rc;

	memset(j, 0, sizeof(*j));
	if (errlen)
		err[0] = '\0';
	rc = parse_top(&d, json, len, &o);
	if (rc)
		return rc;
	rc = dec_job(&d, o, j);
	json_object_put(o);
	if (rc)
		mmt_job_result_free(j);
	return rc;
}

int mmt_wire_decode_end(const char *json, size_t len, struct mmt_wire_end *e, char *err,
			size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	int st = 0, rc;
	jo *o;

	memset(e, 0, sizeof(*e));
	e->njobs = -1;
	if (errlen)
		err[0] = '\0';
	rc = parse_top(&d, json, len, &o);
	if (rc)
		return rc;
	rc = get_name(&d, o, "status", run_statuses, (int)MMT_ARRAY_SIZE(run_statuses), &st, 1);
	if (!rc)
		snprintf(e->status, sizeof(e->status), "%s", run_statuses[st]);
	rc = rc ?: get_int(&d, o, "exit_code", &e->exit_code, 1);
	if (!rc && (e->exit_code < 0 || e->exit_code > 255))
		rc = bad(&d, "exit_code", "%d out of range (0..255)", e->exit_code);
	rc = rc ?: get_u64(&d, o, "finished_ns", &e->finished_ns, 0);
	rc = rc ?: get_int(&d, o, "jobs", &e->njobs, 0);
	if (!rc && e->njobs < -1)
		rc = bad(&d, "jobs", "negative");
	json_object_put(o);
	return rc;
}

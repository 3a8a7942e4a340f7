// SPDX-License-Identifier: GPL-2.0
/*
 * Run selectors (select.h). Values are never pasted into SQL: each becomes a
 * '?' bound later, so a glob or a tag with quotes in it selects what it says.
 */
#include "select.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "mmt.h"

enum kind {
	KIND_IDS,
	KIND_LAST,
	KIND_PREFIX,
	KIND_GLOB,
	KIND_BOOL,
	KIND_ENUM,
	KIND_SINCE,
	KIND_UNTIL
};

struct keydef {
	const char *name;
	const char *column;
	enum kind kind;
	const char *valid; /* what a value may be, for the error */
};

static const struct keydef keys[] = {
	{"run", "id", KIND_IDS, "a run id (3), a range (5-7) or latest"},
	{"last", "id", KIND_LAST, "a count of the latest runs (1 or more)"},
	{"uuid", "uuid", KIND_PREFIX, "a uuid or a prefix of one (hex digits and '-')"},
	{"kernel", "kernel_release", KIND_GLOB, "a kernel release or a glob (6.1*)"},
	{"arch", "arch", KIND_GLOB, "an arch or a glob (x86_64, s390*)"},
	{"tag", "tag", KIND_GLOB, "a tag or a glob"},
	{"host", "hostname", KIND_GLOB, "a hostname or a glob"},
	{"profile", "profile", KIND_GLOB, "a profile path or a glob (*smoke*)"},
	{"guest", "guest", KIND_BOOL, "0, 1"},
	{"status", "status", KIND_ENUM, "complete, incomplete, interrupted"},
	{"since", "started_ns", KIND_SINCE, "a start time, YYYY-MM-DD[THH:MM[:SS]] in UTC"},
	{"until", "started_ns", KIND_UNTIL, "a start time, YYYY-MM-DD[THH:MM[:SS]] in UTC"},
};

const char mmt_sel_keys[] =
	"run, last, uuid, kernel, arch, tag, host, profile, guest, status, since, until";

static const char *const statuses[] = {"complete", "incomplete", "interrupted", NULL};

/* run=latest: lo = hi = LATEST. */
#define LATEST (-1)

struct value {
	int64_t lo, hi; /* ids, counts, 0/1 */
	const char *text; /* into mmt_sel.buf */
};

struct term {
	const struct keydef *key;
	int neg;
	int nvals;
	struct value *vals; /* a slice of mmt_sel.vals */
};

struct mmt_sel {
	char *text;
	char *buf; /* text, split at the commas and '=' */
	int nterms;
	struct term *terms;
	struct value *vals;
};

static mmt_printf(4, 5) int bad(char *err, size_t errlen, const char *sel, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "selector '%s': ", sel);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct keydef *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < MMT_ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* A decimal number >= 1 that fits int64; 0 if s is not one. */
static int64_t positive(const char *s)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return *end || errno || v < 1 ? 0 : (int64_t)v;
}

static int parse_ids(struct value *v, char *s)
{
	char *dash = strchr(s, '-');

	if (!strcmp(s, "latest")) {
		v->lo = v->hi = LATEST;
		return 0;
	}
	if (dash)
		*dash = '\0';
	v->lo = positive(s);
	v->hi = dash ? positive(dash + 1) : v->lo;
	if (dash)
		*dash = '-';
	return v->lo && v->hi && v->lo <= v->hi ? 0 : -EINVAL;
}

static int parse_prefix(struct value *v, char *s)
{
	char *p;

	for (p = s; *p; p++) {
		if (!isxdigit((unsigned char)*p) && *p != '-')
			return -EINVAL;
		*p = (char)tolower((unsigned char)*p);
	}
	v->lo = (int64_t)strlen(s);
	v->text = s;
	return 0;
}

static int parse_enum(struct value *v, char *s)
{
	int i;

	for (i = 0; statuses[i]; i++)
		if (!strcmp(statuses[i], s)) {
			v->text = statuses[i];
			return 0;
		}
	return -EINVAL;
}

/*
 * YYYY-MM-DD[(T| )HH:MM[:SS]] in UTC -> ns since the epoch in *ns; *span is what
 * the text names (a day, a minute, a second), so that until= takes all of it.
 */
static int parse_time(const char *s, int64_t *ns, int64_t *span)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	struct tm tm = {0};
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	*span = 86400;
	if (s[n] == 'T' || s[n] == ' ') {
		s += n + 1;
		n = 0;
		if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -EINVAL;
		*span = 60;
		if (s[n] == ':') {
			s += n + 1;
			n = 0;
			if (sscanf(s, "%2d%n", &sec, &n) != 1 || n != 2)
				return -EINVAL;
			*span = 1;
		}
	}
	if (s[n] || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ns = (int64_t)t * 1000000000;
	*span *= 1000000000;
	return 0;
}

static int parse_value(const struct keydef *k, struct value *v, char *s)
{
	int64_t span;

	switch (k->kind) {
	case KIND_IDS:
		return parse_ids(v, s);
	case KIND_LAST:
		v->lo = positive(s);
		return v->lo ? 0 : -EINVAL;
	case KIND_PREFIX:
		return parse_prefix(v, s);
	case KIND_GLOB:
		v->text = s;
		return 0;
	case KIND_BOOL:
		if (strcmp(s, "0") && strcmp(s, "1"))
			return -EINVAL;
		v->lo = s[0] == '1';
		return 0;
	case KIND_ENUM:
		return parse_enum(v, s);
	case KIND_SINCE:
		return parse_time(s, &v->lo, &span);
	case KIND_UNTIL:
		if (parse_time(s, &v->lo, &span))
			return -EINVAL;
		v->lo += span;
		return 0;
	}
	return -EINVAL;
}

/* "key=value" or "key!=value": start a new term. */
static int start_term(struct mmt_sel *sel, char *piece, char *err, size_t errlen)
{
	char *eq = strchr(piece, '=');
	struct term *t = &sel->terms[sel->nterms];
	const struct keydef *k;

	t->neg = eq > piece && eq[-1] == '!';
	eq[-t->neg] = '\0';
	k = key_find(piece);
	if (!k)
		return bad(err, errlen, sel->text, "unknown key '%s'; valid: %s", piece,
			   mmt_sel_keys);
	if (t->neg && k->kind == KIND_LAST)
		return bad(err, errlen, sel->text, "last takes '=' only; valid: %s", k->valid);
	t->key = k;
	t->vals = sel->vals + (sel->nterms ? sel->terms[sel->nterms - 1].vals - sel->vals +
						     sel->terms[sel->nterms - 1].nvals
					   : 0);
	sel->nterms++;
	return (int)(eq + 1 - piece);
}

static int add_value(struct mmt_sel *sel, char *s, char *err, size_t errlen)
{
	struct term *t = &sel->terms[sel->nterms - 1];

	if (!*s)
		return bad(err, errlen, sel->text, "empty value for %s; valid: %s", t->key->name,
			   t->key->valid);
	if (t->nvals && (t->key->kind == KIND_LAST || t->key->kind >= KIND_SINCE))
		return bad(err, errlen, sel->text, "%s takes one value; valid: %s", t->key->name,
			   t->key->valid);
	if (parse_value(t->key, &t->vals[t->nvals], s))
		return bad(err, errlen, sel->text, "bad %s '%s'; valid: %s", t->key->name, s,
			   t->key->valid);
	t->nvals++;
	return 0;
}

static int parse_pieces(struct mmt_sel *sel, char *err, size_t errlen)
{
	char *piece = sel->buf, *next;
	int rc;

	for (; piece; piece = next) {
		next = strchr(piece, ',');
		if (next)
			*next++ = '\0';
		if (strchr(piece, '=')) {
			rc = start_term(sel, piece, err, errlen);
			if (rc < 0)
				return rc;
			piece += rc;
		} else if (!sel->nterms) {
			return bad(err, errlen, sel->text, "'%s' is not KEY=VALUE; valid keys: %s",
				   piece, mmt_sel_keys);
		}
		rc = add_value(sel, piece, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int mmt_sel_parse(const char *text, struct mmt_sel **out, char *err, size_t errlen)
{
	struct mmt_sel *sel;
	size_t npieces = 1;
	const char *p;
	int rc;

	*out = NULL;
	for (p = text; *p; p++)
		npieces += *p == ',';
	sel = calloc(1, sizeof(*sel));
	if (!sel)
		return -ENOMEM;
	sel->text = strdup(text);
	sel->buf = strdup(text);
	sel->terms = calloc(npieces, sizeof(*sel->terms));
	sel->vals = calloc(npieces, sizeof(*sel->vals));
	if (!sel->text || !sel->buf || !sel->terms || !sel->vals) {
		mmt_sel_free(sel);
		return -ENOMEM;
	}
	rc = parse_pieces(sel, err, errlen);
	if (rc) {
		mmt_sel_free(sel);
		return rc;
	}
	*out = sel;
	return 0;
}

void mmt_sel_free(struct mmt_sel *sel)
{
	if (!sel)
		return;
	free(sel->text);
	free(sel->buf);
	free(sel->terms);
	free(sel->vals);
	free(sel);
}

const char *mmt_sel_text(const struct mmt_sel *sel)
{
	return sel->text;
}

/* ---- SQL ---------------------------------------------------------------- */

struct sqlbuf {
	char *p;
	size_t len, used;
	int overflow;
};

static mmt_printf(2, 3) void put(struct sqlbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used)
		b->overflow = 1;
	else
		b->used += (size_t)n;
}

static void value_sql(struct sqlbuf *b, const char *col, enum kind kind, const struct value *v)
{
	switch (kind) {
	case KIND_IDS:
		if (v->lo == LATEST)
			put(b, "%s = (SELECT max(id) FROM runs)", col);
		else if (v->lo == v->hi)
			put(b, "%s = ?", col);
		else
			put(b, "%s BETWEEN ? AND ?", col);
		break;
	case KIND_LAST:
		put(b, "%s IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)", col);
		break;
	case KIND_PREFIX:
		put(b, "substr(lower(%s), 1, ?) = ?", col);
		break;
	case KIND_GLOB:
		put(b, "%s GLOB ?", col);
		break;
	case KIND_BOOL:
	case KIND_ENUM:
		put(b, "%s = ?", col);
		break;
	case KIND_SINCE:
		put(b, "%s >= ?", col);
		break;
	case KIND_UNTIL:
		put(b, "%s < ?", col);
		break;
	}
}

int mmt_sel_where(const struct mmt_sel *sel, const char *alias, char *buf, size_t len)
{
	struct sqlbuf b = {.p = buf, .len = len};
	char col[96];
	int i, k;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	put(&b, "(");
	for (i = 0; i < sel->nterms; i++) {
		const struct term *t = &sel->terms[i];

		snprintf(col, sizeof(col), "%s%s%s", alias && *alias ? alias : "",
			 alias && *alias ? "." : "", t->key->column);
		put(&b, "%s%s(", i ? " AND " : "", t->neg ? "NOT " : "");
		for (k = 0; k < t->nvals; k++) {
			put(&b, "%s", k ? " OR " : "");
			value_sql(&b, col, t->key->kind, &t->vals[k]);
		}
		put(&b, ")");
	}
	put(&b, ")");
	return b.overflow ? -ENOSPC : 0;
}

static int bind_value(sqlite3_stmt *st, int i, enum kind kind, const struct value *v)
{
	switch (kind) {
	case KIND_IDS:
		if (v->lo == LATEST)
			return i;
		sqlite3_bind_int64(st, i++, v->lo);
		if (v->lo != v->hi)
			sqlite3_bind_int64(st, i++, v->hi);
		return i;
	case KIND_LAST:
	case KIND_BOOL:
	case KIND_SINCE:
	case KIND_UNTIL:
		sqlite3_bind_int64(st, i++, v->lo);
		return i;
	case KIND_PREFIX:
		sqlite3_bind_int64(st, i++, v->lo);
		sqlite3_bind_text(st, i++, v->text, -1, SQLITE_TRANSIENT);
		return i;
	case KIND_GLOB:
	case KIND_ENUM:
		sqlite3_bind_text(st, i++, v->text, -1, SQLITE_TRANSIENT);
		return i;
	}
	return i;
}

int mmt_sel_bind(const struct mmt_sel *sel, struct sqlite3_stmt *st, int first)
{
	int i, k;

	for (i = 0; i < sel->nterms; i++)
		for (k = 0; k < sel->terms[i].nvals; k++)
			first = bind_value(st, first, sel->terms[i].key->kind,
					   &sel->terms[i].vals[k]);
	return first;
}

static int collect_ids(sqlite3_stmt *st, int64_t **ids, int *n)
{
	int rc, cap = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *p = realloc(*ids, sizeof(*p) * (size_t)(cap = cap ? cap * 2 : 16));

			if (!p)
				return -ENOMEM;
			*ids = p;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int mmt_sel_runs(struct mmt_store *s, const struct mmt_sel *sel, int64_t **ids, int *n)
{
	char sql[4096] = "SELECT id FROM runs ORDER BY id";
	sqlite3_stmt *st;
	char where[3584];
	int rc;

	*ids = NULL;
	*n = 0;
	if (sel) {
		rc = mmt_sel_where(sel, NULL, where, sizeof(where));
		if (rc)
			return rc;
		snprintf(sql, sizeof(sql), "SELECT id FROM runs WHERE %s ORDER BY id", where);
	}
	if (sqlite3_prepare_v2(mmt_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sel)
		mmt_sel_bind(sel, st, 1);
	rc = collect_ids(st, ids, n);
	sqlite3_finalize(st);
	if (rc) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- grouping ----------------------------------------------------------- */

static const char *const by_names[] = {"sel", "run", "kernel", "arch", "tag", "host", "guest"};

const char mmt_sel_by_names[] = "sel, run, kernel, arch, tag, host, guest";

int mmt_sel_parse_by(const char *text, unsigned *by, char *err, size_t errlen)
{
	const char *p = text;
	size_t i, n;

	*by = 0;
	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < MMT_ARRAY_SIZE(by_names); i++)
			if (strlen(by_names[i]) == n && !strncmp(by_names[i], p, n))
				break;
		if (i == MMT_ARRAY_SIZE(by_names)) {
			snprintf(err, errlen, "bad grouping field '%.*s' in '%s'; valid: %s",
				 (int)n, p, text, mmt_sel_by_names);
			return -EINVAL;
		}
		*by |= 1u << i;
		p += n + (p[n] == ',');
	}
	if (!*by) {
		snprintf(err, errlen, "empty grouping; valid fields: %s", mmt_sel_by_names);
		return -EINVAL;
	}
	return 0;
}

static void group_field(unsigned field, const char *sel, int64_t run_id,
			const struct mmt_run_info *ri, char *buf, size_t len)
{
	switch (field) {
	case MMT_BY_SEL:
		snprintf(buf, len, "%s", sel && *sel ? sel : "all");
		break;
	case MMT_BY_RUN:
		snprintf(buf, len, "run %" PRId64, run_id);
		break;
	case MMT_BY_KERNEL:
		snprintf(buf, len, "%s", ri->kernel_release);
		break;
	case MMT_BY_ARCH:
		snprintf(buf, len, "%s", ri->arch);
		break;
	case MMT_BY_TAG:
		snprintf(buf, len, "%s", ri->tag[0] ? ri->tag : "(no tag)");
		break;
	case MMT_BY_HOST:
		snprintf(buf, len, "%s", ri->hostname);
		break;
	case MMT_BY_GUEST:
		snprintf(buf, len, "%s", ri->guest ? "guest" : "host");
		break;
	}
}

void mmt_sel_group_name(unsigned by, const char *sel, int64_t run_id, const struct mmt_run_info *ri,
			char *buf, size_t len)
{
	char field[256];
	size_t used = 0;
	unsigned f;

	if (!len)
		return;
	buf[0] = '\0';
	for (f = 1; f <= MMT_BY_GUEST; f <<= 1) {
		if (!(by & f))
			continue;
		group_field(f, sel, run_id, ri, field, sizeof(field));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "/" : "", field);
		if (used >= len)
			return; /* truncated, still NUL-terminated */
	}
}

// SPDX-License-Identifier: GPL-2.0
/* Run selectors; the syntax is in select.h. */
#include "select.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "mmt.h"

enum sel_key { K_KERNEL, K_ARCH, K_TAG, K_HOST, K_RUN, K_SINCE, K_UNTIL, K_GUEST, K_LAST };

static const char *const key_names[] = {
	[K_KERNEL] = "kernel", [K_ARCH] = "arch",   [K_TAG] = "tag",
	[K_HOST] = "host",     [K_RUN] = "run",	    [K_SINCE] = "since",
	[K_UNTIL] = "until",   [K_GUEST] = "guest", [K_LAST] = "last",
};

struct term {
	enum sel_key key;
	int nvals;
	char **vals; /* globs, or run ranges "N" / "N-M" */
	int64_t *lo, *hi; /* K_RUN: the ranges */
	uint64_t ns; /* K_SINCE: from; K_UNTIL: before */
	long num; /* K_GUEST, K_LAST */
};

struct mmt_sel {
	char *text;
	int nterms;
	struct term *terms;
};

/* A run's record as far as selectors look at it. */
struct run_row {
	int64_t id;
	char kernel[128], arch[32], tag[64], host[128];
	int guest;
	uint64_t started_ns;
};

void mmt_sel_free(struct mmt_sel *sel)
{
	int i, k;

	if (!sel)
		return;
	for (i = 0; i < sel->nterms; i++) {
		for (k = 0; k < sel->terms[i].nvals; k++)
			free(sel->terms[i].vals[k]);
		free(sel->terms[i].vals);
		free(sel->terms[i].lo);
		free(sel->terms[i].hi);
	}
	free(sel->terms);
	free(sel->text);
	free(sel);
}

const char *mmt_sel_text(const struct mmt_sel *sel)
{
	return sel->text;
}

/* ---- parsing ------------------------------------------------------------ */

static mmt_printf(3, 4) int bad(char *err, size_t errlen, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s; valid terms: " MMT_SEL_TERMS, msg);
	return -EINVAL;
}

/* The key of a piece "key=..." (-1 if it is not of that shape; -2 unknown key). */
static int piece_key(const char *p, size_t *keylen)
{
	size_t n = 0, i;

	while (islower((unsigned char)p[n]) || p[n] == '_')
		n++;
	if (!n || p[n] != '=')
		return -1;
	*keylen = n;
	for (i = 0; i < MMT_ARRAY_SIZE(key_names); i++)
		if (strlen(key_names[i]) == n && !strncmp(p, key_names[i], n))
			return (int)i;
	return -2;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS]] in UTC -> ns; *span is the length the text names. */
static int parse_date(const char *s, uint64_t *ns, uint64_t *span)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
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
	if (s[n] || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    h < 0 || mi < 0 || sec < 0 || y < 1970)
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
	*ns = (uint64_t)t * 1000000000ull;
	return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "N" or "N-M" with N <= M. */
static int parse_range(const char *s, int64_t *lo, int64_t *hi)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*lo = strtoll(s, &end, 10);
	*hi = *lo;
	if (*end == '-') {
		s = end + 1;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		*hi = strtoll(s, &end, 10);
	}
	return errno || *end || *hi < *lo ? -EINVAL : 0;
}

/* One value of a term: checked, and kept. */
static int add_value(struct term *t, const char *v, char *err, size_t errlen)
{
	char **vals;
	uint64_t span;
	int64_t *lo, *hi;
	int rc = 0;

	if (!*v)
		return bad(err, errlen, "empty value for %s=", key_names[t->key]);
	if (t->nvals && t->key >= K_SINCE)
		return bad(err, errlen, "%s= takes one value", key_names[t->key]);
	vals = realloc(t->vals, (size_t)(t->nvals + 1) * sizeof(*vals));
	if (vals)
		t->vals = vals;
	lo = realloc(t->lo, (size_t)(t->nvals + 1) * sizeof(*lo));
	if (lo)
		t->lo = lo;
	hi = realloc(t->hi, (size_t)(t->nvals + 1) * sizeof(*hi));
	if (hi)
		t->hi = hi;
	if (!vals || !lo || !hi || !(t->vals[t->nvals] = strdup(v)))
		return -ENOMEM;
	t->nvals++;
	if (t->key == K_RUN && parse_range(v, &t->lo[t->nvals - 1], &t->hi[t->nvals - 1]))
		return bad(err, errlen, "bad run '%s': a run id or a range N-M", v);
	if (t->key == K_SINCE || t->key == K_UNTIL) {
		rc = parse_date(v, &t->ns, &span);
		if (rc)
			return bad(err, errlen, "bad date '%s': YYYY-MM-DD[THH:MM[:SS]] (UTC)", v);
		if (t->key == K_UNTIL)
			t->ns += span * 1000000000ull;
	}
	if (t->key == K_GUEST && parse_long(v, 0, 1, &t->num))
		return bad(err, errlen, "bad guest '%s': 0 or 1", v);
	if (t->key == K_LAST && parse_long(v, 1, 1000000, &t->num))
		return bad(err, errlen, "bad last '%s': a number of runs, 1 or more", v);
	return 0;
}

static int new_term(struct mmt_sel *sel, enum sel_key key)
{
	struct term *t = realloc(sel->terms, (size_t)(sel->nterms + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	sel->terms = t;
	memset(&t[sel->nterms], 0, sizeof(*t));
	t[sel->nterms++].key = key;
	return 0;
}

/* One ','-piece: "key=value", "latest", or another value of the term before. */
static int parse_piece(struct mmt_sel *sel, const char *p, char *err, size_t errlen)
{
	size_t keylen = 0;
	int key = piece_key(p, &keylen), rc;

	if (key == -2) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)keylen, p);
		return bad(err, errlen, "unknown selector term '%s='", name);
	}
	if (key < 0 && !strcmp(p, "latest")) {
		rc = new_term(sel, K_LAST);
		return rc ? rc : add_value(&sel->terms[sel->nterms - 1], "1", err, errlen);
	}
	if (key < 0 && (!sel->nterms || sel->terms[sel->nterms - 1].key >= K_SINCE))
		return bad(err, errlen, "bad selector term '%s': terms are KEY=VALUE", p);
	if (key < 0)
		return add_value(&sel->terms[sel->nterms - 1], p, err, errlen);
	rc = new_term(sel, (enum sel_key)key);
	return rc ? rc : add_value(&sel->terms[sel->nterms - 1], p + keylen + 1, err, errlen);
}

/* Split at '+' where a term starts ("KEY=" or "latest"), so a '+' inside a value stays. */
static int parse_plus(struct mmt_sel *sel, char *piece, char *err, size_t errlen)
{
	char *p = piece, *plus;
	size_t keylen;
	int rc;

	while ((plus = strchr(p, '+'))) {
		if (piece_key(plus + 1, &keylen) == -1 && strncmp(plus + 1, "latest", 6)) {
			p = plus + 1;
			continue;
		}
		*plus = '\0';
		rc = parse_piece(sel, piece, err, errlen);
		if (rc)
			return rc;
		piece = p = plus + 1;
	}
	return parse_piece(sel, piece, err, errlen);
}

int mmt_sel_parse(const char *text, struct mmt_sel **out, char *err, size_t errlen)
{
	struct mmt_sel *sel = calloc(1, sizeof(*sel));
	char *copy = strdup(text), *piece, *save = NULL;
	int rc = 0;

	*out = NULL;
	if (!sel || !copy || !(sel->text = strdup(text))) {
		free(copy);
		mmt_sel_free(sel);
		return -ENOMEM;
	}
	for (piece = strtok_r(copy, ",", &save); piece && !rc; piece = strtok_r(NULL, ",", &save))
		rc = parse_plus(sel, piece, err, errlen);
	if (!rc && !sel->nterms)
		rc = bad(err, errlen, "empty selector");
	free(copy);
	if (rc) {
		mmt_sel_free(sel);
		return rc;
	}
	*out = sel;
	return 0;
}

/* ---- matching ----------------------------------------------------------- */

static int glob_any(const struct term *t, const char *s)
{
	int k;

	for (k = 0; k < t->nvals; k++)
		if (!fnmatch(t->vals[k], s, 0))
			return 1;
	return 0;
}

static int term_holds(const struct term *t, const struct run_row *r)
{
	int k;

	switch (t->key) {
	case K_KERNEL:
		return glob_any(t, r->kernel);
	case K_ARCH:
		return glob_any(t, r->arch);
	case K_TAG:
		return glob_any(t, r->tag);
	case K_HOST:
		return glob_any(t, r->host);
	case K_RUN:
		for (k = 0; k < t->nvals; k++)
			if (r->id >= t->lo[k] && r->id <= t->hi[k])
				return 1;
		return 0;
	case K_SINCE:
		return r->started_ns >= t->ns;
	case K_UNTIL:
		return r->started_ns < t->ns;
	case K_GUEST:
		return r->guest == (int)t->num;
	case K_LAST:
		return 1; /* applied to the whole match */
	}
	return 0;
}

static int sel_holds(const struct mmt_sel *sel, const struct run_row *r)
{
	int i;

	for (i = 0; i < sel->nterms; i++)
		if (!term_holds(&sel->terms[i], r))
			return 0;
	return 1;
}

static long sel_last(const struct mmt_sel *sel)
{
	long last = 0;
	int i;

	for (i = 0; i < sel->nterms; i++)
		if (sel->terms[i].key == K_LAST && (!last || sel->terms[i].num < last))
			last = sel->terms[i].num;
	return last;
}

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* Every run's record, oldest first (by start, then id). */
static int load_rows(struct mmt_store *s, struct run_row **rows, int *n)
{
	sqlite3_stmt *st;
	struct run_row *r;
	int rc, cap = 0;

	*rows = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(mmt_store_db(s),
				"SELECT id, kernel_release, arch, tag, hostname, guest, started_ns"
				" FROM runs ORDER BY started_ns, id",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			r = realloc(*rows, (size_t)(cap = cap ? cap * 2 : 64) * sizeof(*r));
			if (!r) {
				rc = SQLITE_NOMEM;
				break;
			}
			*rows = r;
		}
		r = &(*rows)[(*n)++];
		r->id = sqlite3_column_int64(st, 0);
		copy_col(st, 1, r->kernel, sizeof(r->kernel));
		copy_col(st, 2, r->arch, sizeof(r->arch));
		copy_col(st, 3, r->tag, sizeof(r->tag));
		copy_col(st, 4, r->host, sizeof(r->host));
		r->guest = sqlite3_column_int(st, 5);
		r->started_ns = (uint64_t)sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	free(*rows);
	*rows = NULL;
	*n = 0;
	return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

/* Append the distinct values of one field to err: "kernels 6.1.0-56-amd64 (3), ...". */
static void say_distinct(const struct run_row *rows, int n, size_t off, const char *what, char *err,
			 size_t errlen)
{
	size_t len = strlen(err);
	int i, k, count, shown = 0;

	len += (size_t)snprintf(err + len, len < errlen ? errlen - len : 0, "; %s", what);
	for (i = 0; i < n && len < errlen; i++) {
		const char *v = (const char *)&rows[i] + off;

		for (k = 0; k < i; k++)
			if (!strcmp((const char *)&rows[k] + off, v))
				break;
		if (k < i)
			continue;
		for (count = 0, k = i; k < n; k++)
			count += !strcmp((const char *)&rows[k] + off, v);
		len += (size_t)snprintf(err + len, len < errlen ? errlen - len : 0, "%s'%s' (%d)",
					shown++ ? ", " : " ", v, count);
	}
}

static void say_store(const struct mmt_sel *sel, const struct run_row *rows, int n, char *err,
		      size_t errlen)
{
	int64_t lo = INT64_MAX, hi = 0;
	int i;

	if (!n) {
		snprintf(err, errlen, "selector '%s' matches no run: the store has no runs",
			 sel->text);
		return;
	}
	for (i = 0; i < n; i++) {
		lo = rows[i].id < lo ? rows[i].id : lo;
		hi = rows[i].id > hi ? rows[i].id : hi;
	}
	snprintf(err, errlen,
		 "selector '%s' matches no run; the store has %d runs, ids %" PRId64 "-%" PRId64,
		 sel->text, n, lo, hi);
	say_distinct(rows, n, offsetof(struct run_row, kernel), "kernels", err, errlen);
	say_distinct(rows, n, offsetof(struct run_row, arch), "arches", err, errlen);
	say_distinct(rows, n, offsetof(struct run_row, tag), "tags", err, errlen);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int mmt_sel_runs(struct mmt_store *s, const struct mmt_sel *sel, int64_t **ids, int *n, char *err,
		 size_t errlen)
{
	struct run_row *rows;
	long last = sel_last(sel);
	int nrows, i, rc;

	*ids = NULL;
	*n = 0;
	rc = load_rows(s, &rows, &nrows);
	if (rc) {
		snprintf(err, errlen, "cannot read the runs: %s", mmt_store_errmsg(s));
		return rc;
	}
	*ids = malloc((size_t)(nrows ? nrows : 1) * sizeof(**ids));
	if (!*ids) {
		free(rows);
		return -ENOMEM;
	}
	/* Newest first, so that last=N keeps the first N that match. */
	for (i = nrows - 1; i >= 0 && (!last || *n < last); i--)
		if (sel_holds(sel, &rows[i]))
			(*ids)[(*n)++] = rows[i].id;
	if (!*n) {
		say_store(sel, rows, nrows, err, errlen);
		free(*ids);
		*ids = NULL;
		free(rows);
		return -ENOENT;
	}
	qsort(*ids, (size_t)*n, sizeof(**ids), cmp_id);
	free(rows);
	return 0;
}

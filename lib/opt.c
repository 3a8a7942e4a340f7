// SPDX-License-Identifier: GPL-2.0
#include "opt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *mmt_opt_type_name(enum mmt_opt_type t)
{
	switch (t) {
	case MMT_OPT_INT:
		return "int";
	case MMT_OPT_SIZE:
		return "size";
	case MMT_OPT_DURATION:
		return "duration";
	case MMT_OPT_ENUM:
		return "enum";
	case MMT_OPT_BOOL:
		return "bool";
	}
	return "?";
}

int mmt_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	*out = v;
	return 0;
}

struct unit {
	const char *sfx;
	int64_t mul;
};

static int parse_units(const char *s, const struct unit *u, int64_t bare, int64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	if (!*end) {
		*out = (int64_t)(v * (double)bare);
		return 0;
	}
	for (; u->sfx; u++) {
		if (strcasecmp(end, u->sfx))
			continue;
		if (v * (double)u->mul > 9.2e18)
			return -ERANGE;
		*out = (int64_t)(v * (double)u->mul);
		return 0;
	}
	return -EINVAL;
}

int mmt_parse_size(const char *s, int64_t *out)
{
	static const struct unit u[] = {
		{"k", 1ll << 10},   {"kb", 1ll << 10},	{"kib", 1ll << 10}, {"m", 1ll << 20},
		{"mb", 1ll << 20},  {"mib", 1ll << 20}, {"g", 1ll << 30},   {"gb", 1ll << 30},
		{"gib", 1ll << 30}, {"t", 1ll << 40},	{"tb", 1ll << 40},  {"tib", 1ll << 40},
		{"b", 1},	    {NULL, 0},
	};

	return parse_units(s, u, 1, out);
}

int mmt_parse_duration(const char *s, int64_t *out)
{
	static const struct unit u[] = {
		{"ns", 1},
		{"us", 1000},
		{"ms", 1000000},
		{"s", 1000000000ll},
		{"m", 60000000000ll},
		{"min", 60000000000ll},
		{"h", 3600000000000ll},
		{NULL, 0},
	};

	return parse_units(s, u, 1000000000ll, out);
}

int mmt_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on", NULL};
	static const char *const no[] = {"0", "no", "false", "off", NULL};
	int i;

	for (i = 0; yes[i]; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

int mmt_format_size(int64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGT";
	int i = -1;

	while (v && !(v & 1023) && i < 3) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		return snprintf(buf, len, "%" PRId64, v);
	return snprintf(buf, len, "%" PRId64 "%c", v, sfx[i]);
}

int mmt_format_duration(int64_t ns, char *buf, size_t len)
{
	if (ns && ns % 3600000000000ll == 0)
		return snprintf(buf, len, "%" PRId64 "h", (int64_t)(ns / 3600000000000ll));
	if (ns && ns % 60000000000ll == 0)
		return snprintf(buf, len, "%" PRId64 "m", (int64_t)(ns / 60000000000ll));
	if (ns % 1000000000ll == 0)
		return snprintf(buf, len, "%" PRId64 "s", (int64_t)(ns / 1000000000ll));
	if (ns % 1000000ll == 0)
		return snprintf(buf, len, "%" PRId64 "ms", (int64_t)(ns / 1000000ll));
	if (ns % 1000ll == 0)
		return snprintf(buf, len, "%" PRId64 "us", (int64_t)(ns / 1000ll));
	return snprintf(buf, len, "%" PRId64 "ns", ns);
}

const struct mmt_opt *mmt_opt_find(const struct mmt_opt *opts, const char *name)
{
	for (; opts && opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

int mmt_opt_names(const struct mmt_opt *opts, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (len)
		buf[0] = '\0';
	for (; opts && opts->name; opts++) {
		n = snprintf(buf + off, len > off ? len - off : 0, "%s%s", off ? ", " : "",
			     opts->name);
		if (n < 0)
			return -EINVAL;
		off += (size_t)n;
	}
	return (int)off;
}

static int format_num(enum mmt_opt_type t, int64_t v, char *buf, size_t len)
{
	if (t == MMT_OPT_SIZE)
		return mmt_format_size(v, buf, len);
	if (t == MMT_OPT_DURATION)
		return mmt_format_duration(v, buf, len);
	return snprintf(buf, len, "%" PRId64, v);
}

int mmt_opt_range(const struct mmt_opt *o, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t off = 0;
	int i;

	if (o->type == MMT_OPT_BOOL)
		return snprintf(buf, len, "yes|no");
	if (o->type == MMT_OPT_ENUM) {
		buf[0] = '\0';
		for (i = 0; o->choices[i]; i++)
			off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s",
						i ? "|" : "", o->choices[i]);
		return (int)off;
	}
	format_num(o->type, o->min, lo, sizeof(lo));
	format_num(o->type, o->max, hi, sizeof(hi));
	return snprintf(buf, len, "%s..%s", lo, hi);
}

static int parse_value(const struct mmt_opt *o, const char *value, int64_t *num, int *idx)
{
	int i;

	switch (o->type) {
	case MMT_OPT_INT:
		return mmt_parse_int(value, num);
	case MMT_OPT_SIZE:
		return mmt_parse_size(value, num);
	case MMT_OPT_DURATION:
		return mmt_parse_duration(value, num);
	case MMT_OPT_BOOL:
		return mmt_parse_bool(value, idx);
	case MMT_OPT_ENUM:
		for (i = 0; o->choices[i]; i++) {
			if (!strcmp(o->choices[i], value)) {
				*idx = i;
				return 0;
			}
		}
		return -EINVAL;
	}
	return -EINVAL;
}

int mmt_opt_set(const struct mmt_opt *opts, void *dst, const char *name, const char *value,
		char *err, size_t errlen)
{
	const struct mmt_opt *o = mmt_opt_find(opts, name);
	char range[512], names[1024];
	int64_t num = 0;
	int idx = 0, r;

	if (!o) {
		mmt_opt_names(opts, names, sizeof(names));
		snprintf(err, errlen, "unknown option '%s'; valid: %s", name, names);
		return -ENOENT;
	}
	mmt_opt_range(o, range, sizeof(range));
	r = parse_value(o, value, &num, &idx);
	if (r) {
		snprintf(err, errlen, "bad value '%s' for %s (%s); valid: %s", value, name,
			 mmt_opt_type_name(o->type), range);
		return -EINVAL;
	}
	if (o->type == MMT_OPT_ENUM || o->type == MMT_OPT_BOOL) {
		*(int *)((char *)dst + o->offset) = idx;
		return 0;
	}
	if (num < o->min || num > o->max) {
		snprintf(err, errlen, "%s=%s is out of range; valid: %s", name, value, range);
		return -ERANGE;
	}
	*(int64_t *)((char *)dst + o->offset) = num;
	return 0;
}

int mmt_opt_defaults(const struct mmt_opt *opts, void *dst)
{
	char err[256];
	int r;

	for (; opts && opts->name; opts++) {
		r = mmt_opt_set(opts, dst, opts->name, opts->def, err, sizeof(err));
		if (r)
			return r;
	}
	return 0;
}

int mmt_opt_format(const struct mmt_opt *o, const void *src, char *buf, size_t len)
{
	const char *p = (const char *)src + o->offset;

	if (o->type == MMT_OPT_ENUM)
		return snprintf(buf, len, "%s", o->choices[*(const int *)p]);
	if (o->type == MMT_OPT_BOOL)
		return snprintf(buf, len, "%s", *(const int *)p ? "yes" : "no");
	return format_num(o->type, *(const int64_t *)p, buf, len);
}

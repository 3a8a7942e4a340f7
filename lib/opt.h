/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarative options: one table per workload (name, type, offset into the
 * workload's option struct, range, default, help) serves the command line, the
 * profile parser, `mmtorture list WORKLOAD` and the parameters stored with
 * results, as fio's options do.
 *
 * Storage: INT, SIZE (bytes) and DURATION (ns) are int64_t; ENUM (index into
 * choices) and BOOL are int.
 */
#ifndef MMT_OPT_H
#define MMT_OPT_H

#include <stddef.h>
#include <stdint.h>

enum mmt_opt_type { MMT_OPT_INT, MMT_OPT_SIZE, MMT_OPT_DURATION, MMT_OPT_ENUM, MMT_OPT_BOOL };

struct mmt_opt {
	const char *name;
	enum mmt_opt_type type;
	size_t offset;
	int64_t min, max; /* INT/SIZE/DURATION; ignored otherwise */
	const char *def; /* default, as it would be written in a profile */
	const char *const *choices; /* ENUM: NULL-terminated */
	const char *help;
};

const char *mmt_opt_type_name(enum mmt_opt_type t);
/* Fill dst with every option's default; -EINVAL if a default is bad (a bug). */
int mmt_opt_defaults(const struct mmt_opt *opts, void *dst);
const struct mmt_opt *mmt_opt_find(const struct mmt_opt *opts, const char *name);
/*
 * Set one option from text. -ENOENT for an unknown name, -EINVAL for a value
 * of the wrong form, -ERANGE out of range; err then says what is valid.
 */
int mmt_opt_set(const struct mmt_opt *opts, void *dst, const char *name, const char *value,
		char *err, size_t errlen);
/* The value as it would be written in a profile ("64M", "30s", "mremap"). */
int mmt_opt_format(const struct mmt_opt *o, const void *src, char *buf, size_t len);
/* "size, children, write, ..." */
int mmt_opt_names(const struct mmt_opt *opts, char *buf, size_t len);
/* "always|madvise|never" or "64K..1G" */
int mmt_opt_range(const struct mmt_opt *o, char *buf, size_t len);

/* "4096", "64K", "2M", "1G" (binary units) -> bytes. */
int mmt_parse_size(const char *s, int64_t *out);
/* "250ms", "30s", "2m", "1h", "1500us", a bare number is seconds -> ns. */
int mmt_parse_duration(const char *s, int64_t *out);
int mmt_parse_int(const char *s, int64_t *out);
int mmt_parse_bool(const char *s, int *out);
int mmt_format_size(int64_t v, char *buf, size_t len);
int mmt_format_duration(int64_t ns, char *buf, size_t len);

#endif

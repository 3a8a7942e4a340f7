/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common definitions shared by the core library, the runner and the workloads.
 * Core code returns -errno and never logs: the caller decides what to say.
 */
#ifndef MMT_H
#define MMT_H

#include <stddef.h>
#include <stdint.h>

#define MMT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define mmt_likely(x) __builtin_expect(!!(x), 1)
#define mmt_unlikely(x) __builtin_expect(!!(x), 0)
#define mmt_cold __attribute__((cold))
#define mmt_printf(a, b) __attribute__((format(printf, a, b)))

/* Job and process status, as in liburing's tests and automake's harness. */
enum mmt_status {
	MMT_PASS = 0, /* the kernel behaved */
	MMT_FAIL = 1, /* the kernel misbehaved: wrong data, signal, splat, taint */
	MMT_SKIP = 77, /* a feature is missing here; a reason says which */
	MMT_ERROR = 99 /* the harness itself failed */
};

const char *mmt_status_name(int status);

/* A hex digit's value, -1 for anything else. */
static inline int mmt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif

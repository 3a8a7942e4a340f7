/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMT_REPORT_H
#define MMT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/*
 * `mmtorture report`: the run's reproducibility record, then per job: status,
 * ops, ops/s, per-op count/p50/p90/p99/p99.9/max, failures by kind with
 * details, kmsg lines, taint change, vmstat deltas, metrics and notes.
 */
int mmt_report_text(struct mmt_store *s, int64_t run_id, FILE *out);
/* The same as one JSON document (json-c), written to out. */
int mmt_report_json(struct mmt_store *s, int64_t run_id, FILE *out);
/* The end-of-run table: a row per job (workload, status, ops/s, p50/p99 of each op, failures). */
int mmt_report_summary(struct mmt_store *s, int64_t run_id, FILE *out);

struct json_object;
/* doc, pretty-printed with a newline, to out; doc is put. -EIO on a write error. */
int mmt_json_write(struct json_object *doc, FILE *out);

/* Three significant digits with a unit: 812ns, 4.41us, 12.0ms, 301s. */
const char *mmt_fmt_ns(uint64_t ns, char *buf, size_t len);
/* A rate or a count, three significant digits: 0.50, 812, 4.41k, 12.0M. */
const char *mmt_fmt_num(double r, char *buf, size_t len);
/* CLOCK_REALTIME ns as "YYYY-MM-DD HH:MM:SS UTC", "-" for 0. */
const char *mmt_fmt_time(uint64_t ns, char *buf, size_t len);

#endif

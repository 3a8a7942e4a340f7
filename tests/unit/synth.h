/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic results stores for the selector, plot and report tests: runs with
 * the fields a selector looks at, and jobs with chosen histograms and
 * per-interval counts, written through the real store.
 */
#ifndef MMT_TEST_SYNTH_H
#define MMT_TEST_SYNTH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct synth_run {
	const char *kernel, *arch, *tag, *host, *profile;
	int guest;
	const char *status; /* NULL: left incomplete */
};

static inline int64_t synth_run(struct mmt_store *s, const struct synth_run *r, int n)
{
	struct mmt_run_info ri;
	int64_t id = -1;

	memset(&ri, 0, sizeof(ri));
	snprintf(ri.uuid, sizeof(ri.uuid), "%08x-aaaa-4bbb-8ccc-%012d", 0xabc00 + n, n);
	ri.started_ns = 1700000000000000000ull + (uint64_t)n * 1000000000ull;
	snprintf(ri.tool_version, sizeof(ri.tool_version), "0.1.0");
	snprintf(ri.git_rev, sizeof(ri.git_rev), "v0.1-7-g1234567");
	ri.seed = 0x5eed0000ull + (uint64_t)n;
	snprintf(ri.profile, sizeof(ri.profile), "%s", r->profile ? r->profile : "-w");
	ri.profile_text = strdup("[thp_fork]\nsize = 64M\n");
	ri.argv = strdup("mmtorture run -w thp_fork --tag x");
	snprintf(ri.kernel_release, sizeof(ri.kernel_release), "%s", r->kernel);
	snprintf(ri.kernel_version, sizeof(ri.kernel_version), "#1 SMP Debian");
	snprintf(ri.arch, sizeof(ri.arch), "%s", r->arch);
	ri.page_size = 4096;
	ri.va_bits = 47;
	ri.thp_json = strdup("{\"enabled\":\"madvise\",\"defrag\":\"never\"}");
	ri.cmdline = strdup("console=ttyS0 transparent_hugepage=madvise");
	snprintf(ri.config_hash, sizeof(ri.config_hash), "%016x", 0xc0ff1e + n);
	snprintf(ri.config_source, sizeof(ri.config_source), "/boot/config-%s", r->kernel);
	snprintf(ri.cpu_model, sizeof(ri.cpu_model), "Test CPU");
	snprintf(ri.topology, sizeof(ri.topology), "1 package, 2 cores");
	snprintf(ri.hostname, sizeof(ri.hostname), "%s", r->host ? r->host : "h1");
	ri.guest = r->guest;
	snprintf(ri.virt, sizeof(ri.virt), "%s", r->guest ? "kvm" : "none");
	snprintf(ri.tag, sizeof(ri.tag), "%s", r->tag ? r->tag : "");
	if (mmt_store_begin_run(s, &ri, &id))
		id = -1;
	if (id > 0 && r->status)
		mmt_store_end_run(s, id, r->status, strcmp(r->status, "complete") ? 130 : 0);
	mmt_run_info_free(&ri);
	return id;
}

/* n values base, 2*base, ..., n*base: the percentiles are known. */
static inline void synth_op(struct mmt_op_result *o, const char *name, uint64_t base, unsigned n,
			    const uint64_t *iv, int niv)
{
	unsigned i;

	snprintf(o->name, sizeof(o->name), "%s", name);
	mmt_hist_init(&o->h);
	for (i = 1; i <= n; i++)
		mmt_hist_record(&o->h, base * i);
	o->nintervals = niv;
	o->intervals = niv ? calloc((size_t)niv, sizeof(*o->intervals)) : NULL;
	if (niv)
		memcpy(o->intervals, iv, sizeof(*iv) * (size_t)niv);
}

static inline void synth_job(struct mmt_job_result *j, int seq, const char *wl, const char *label,
			     int status, uint64_t interval_ns)
{
	memset(j, 0, sizeof(*j));
	j->seq = seq;
	snprintf(j->workload, sizeof(j->workload), "%s", wl);
	snprintf(j->label, sizeof(j->label), "%s", label ? label : "");
	j->params_json = strdup("{}");
	j->repeat = 1;
	snprintf(j->placement, sizeof(j->placement), "per-core");
	j->planned_ns = 3000000000ull;
	j->started_ns = 1700000000500000000ull;
	j->elapsed_ns = 3000000000ull;
	j->interval_ns = interval_ns;
	j->status = status;
	if (status == MMT_SKIP)
		snprintf(j->reason, sizeof(j->reason), "%s needs >= 2 NUMA nodes", wl);
}

/* Room for n ops in j. */
static inline struct mmt_op_result *synth_ops(struct mmt_job_result *j, int n)
{
	j->nops = n;
	j->ops = calloc((size_t)n, sizeof(*j->ops));
	return j->ops;
}

#endif

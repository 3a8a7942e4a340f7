// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "workload.h"

#define MMT_WORKLOAD(n) extern const struct mmt_workload mmt_wl_##n;
#include "list.h"
#undef MMT_WORKLOAD

const struct mmt_workload *const mmt_workloads[] = {
#define MMT_WORKLOAD(n) &mmt_wl_##n,
#include "list.h"
#undef MMT_WORKLOAD
};

const size_t mmt_nworkloads = sizeof(mmt_workloads) / sizeof(mmt_workloads[0]);

const struct mmt_workload *mmt_workload_find(const char *name)
{
	size_t i;

	for (i = 0; i < mmt_nworkloads; i++)
		if (!strcmp(mmt_workloads[i]->name, name))
			return mmt_workloads[i];
	return NULL;
}

unsigned mmt_workload_nops(const struct mmt_workload *wl)
{
	unsigned n = 0;

	while (wl->ops[n])
		n++;
	return n;
}

unsigned mmt_workload_recorders(const struct mmt_workload *wl, const void *opts)
{
	unsigned n = wl->recorders ? wl->recorders(opts) : 1;

	return n < 1 ? 1 : n > MMT_MAX_RECORDERS ? MMT_MAX_RECORDERS : n;
}

int mmt_needs_format(unsigned needs, char *buf, size_t len)
{
	static const char *const names[] = {"root", "THP", ">=2 NUMA nodes", "destructive"};
	size_t off = 0, i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < MMT_ARRAY_SIZE(names); i++) {
		if (!(needs & (1u << i)))
			continue;
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s",
					off ? ", " : "", names[i]);
	}
	if (!off)
		off = (size_t)snprintf(buf, len, "nothing");
	return (int)off;
}

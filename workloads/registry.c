// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int mmt_workload_body(const struct mmt_workload *wl, struct mmt_worker *w)
{
	void *state = NULL;
	int r;

	r = wl->setup(w, &state);
	if (!r)
		r = wl->run(w, state);
	wl->teardown(w, state);
	if (r < 0)
		return mmt_worker_verdict(w, MMT_ERROR, "%s: %s", wl->name, strerror(-r));
	if (r == MMT_SKIP || r == MMT_ERROR)
		return w->ws->reason[0] ? r
					: mmt_worker_verdict(w, r, "%s gave no reason", wl->name);
	return MMT_PASS;
}

int mmt_worker_exec_main(int argc, char **argv)
{
	const struct mmt_workload *wl;
	struct mmt_shared *sh;
	struct mmt_worker w;
	unsigned long long id, seed;
	int fd, r;

	if (argc > 2 && !strcmp(argv[1], "__exec")) {
		wl = mmt_workload_find(argv[2]);
		if (!wl || !wl->exec_main)
			return fprintf(stderr,
				       "mmtorture-worker: __exec: no such workload entry\n"),
			       2;
		return wl->exec_main(argc - 2, argv + 2);
	}
	if (argc != 4 || sscanf(argv[1], "%d", &fd) != 1 || sscanf(argv[2], "%llu", &id) != 1 ||
	    sscanf(argv[3], "%llu", &seed) != 1)
		return fprintf(stderr, "usage: mmtorture-worker FD WORKER SEED (started by "
				       "mmtorture run)\n"),
		       2;
	r = mmt_shared_attach(&sh, fd);
	if (r)
		return fprintf(stderr, "mmtorture-worker: fd %d: %s\n", fd, strerror(-r)),
		       MMT_ERROR;
	close(fd);
	if (id >= sh->nworkers)
		return MMT_ERROR;
	mmt_worker_init(&w, sh, (unsigned)id, seed, sh->opts);
	wl = mmt_workload_find(sh->workload);
	if (!wl || wl->opts_size != sh->opts_size)
		return mmt_worker_verdict(&w, MMT_ERROR,
					  "mmtorture-worker has no workload '%s' like the runner's",
					  sh->workload);
	if (wl->probe_state_size != sh->probe_size)
		return mmt_worker_verdict(&w, MMT_ERROR, "probe hand-off of %u bytes, want %zu",
					  sh->probe_size, wl->probe_state_size);
	if (sh->probe_size)
		memcpy(wl->probe_state, mmt_shared_probe(sh), sh->probe_size);
	w.duration_ns = sh->duration_ns;
	w.scratch = sh->scratch;
	/* The runner bound this process before the exec; it left what it applied here. */
	w.node = w.ws->applied.node;
	return mmt_workload_body(wl, &w);
}

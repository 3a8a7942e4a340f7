/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's topology as the planner needs it, read through hwloc (this
 * machine, a synthetic description, or an hwloc XML file), and worker
 * placement on it. Planning works on the plain arrays below, so it is the same
 * for this machine and for a 1024-PU synthetic one.
 */
#ifndef MMT_TOPO_H
#define MMT_TOPO_H

#include <stdio.h>

#include "worker.h"

struct mmt_pu {
	int os; /* OS index: what sched_setaffinity takes */
	int core; /* logical index of its core (0..ncore-1) */
	int package; /* logical index of its package */
	int node; /* logical index of the NUMA node holding it, -1 if none */
	int node_os; /* OS index of that node (what libnuma takes), -1 if none */
	int l3; /* logical index of its L3 (or last-level) cache, -1 if none */
	int smt; /* its rank among the PUs of its core (0 = first hyperthread) */
};

struct mmt_cache_level {
	int depth; /* 1, 2, 3 ... */
	char type; /* 'd', 'i', 'u' */
	int count;
	unsigned long long size; /* bytes, of one instance */
};

struct mmt_topo {
	void *hw; /* hwloc_topology_t */
	int synthetic; /* not this machine: cannot bind */
	int npu, ncore, npackage, nnode, nl3;
	struct mmt_pu *pu; /* in hwloc logical order */
	int ncache;
	struct mmt_cache_level cache[8];
	char summary[256]; /* "1 package, 1 NUMA node, 2 cores, 2 PUs, L3 32M x1" */
};

enum mmt_policy {
	MMT_PLACE_PER_CORE,
	MMT_PLACE_PER_NODE,
	MMT_PLACE_PER_PACKAGE,
	MMT_PLACE_COMPACT,
	MMT_PLACE_SPREAD,
	MMT_PLACE_CPUS
};

#define MMT_MAX_CPUS_LIST 4096

struct mmt_placement {
	enum mmt_policy policy;
	int ncpus; /* MMT_PLACE_CPUS: OS indexes */
	int cpus[MMT_MAX_CPUS_LIST];
};

/*
 * from: NULL for this machine; a string with ':' in it for an hwloc synthetic
 * description ("pack:2 numa:2 core:16 pu:2"); otherwise an hwloc XML path.
 * -errno; err says what was wrong with from.
 */
int mmt_topo_load(struct mmt_topo *t, const char *from, char *err, size_t errlen);
void mmt_topo_free(struct mmt_topo *t);

/*
 * "per-core", "per-node", "per-package", "compact", "spread", "cpus=0-3,8,10-11".
 * -EINVAL with err naming the valid choices.
 */
int mmt_placement_parse(const char *s, struct mmt_placement *p, char *err, size_t errlen);
/* Back to the text form ("cpus=0-3,8"). */
int mmt_placement_format(const struct mmt_placement *p, char *buf, size_t len);
/* Workers when none are asked for: cores, nodes, packages, cores, cores, len(cpus). */
int mmt_placement_default_workers(const struct mmt_topo *t, const struct mmt_placement *p);

/*
 * out[i] for worker i, i < nworkers:
 *  per-core     core i (first PU), wrapping onto the next hyperthreads then around;
 *  per-node     round-robin over nodes, the next free core of that node each time;
 *  per-package  the same over packages;
 *  compact      PU i in logical order (hyperthreads of a core together);
 *  spread       the farthest free core: packages, then nodes, then L3s, then cores,
 *               hyperthreads last;
 *  cpus=LIST    LIST[i % n]; -EINVAL if a cpu is not in the topology.
 * More workers than PUs wrap around. Returns 0 or -errno.
 */
int mmt_plan(const struct mmt_topo *t, const struct mmt_placement *p, int nworkers,
	     struct mmt_where *out);

/*
 * In a worker: bind the calling process's CPUs (hwloc) to where->cpu and its
 * memory (libnuma, MPOL_BIND) to where->node, then read back what is in force
 * into applied (sched_getcpu, get_mempolicy). -errno.
 */
int mmt_bind_self(const struct mmt_topo *t, const struct mmt_where *where,
		  struct mmt_where *applied);

/* `mmtorture topo`: the tree, the caches, and each policy's plan for nworkers. */
void mmt_topo_print(const struct mmt_topo *t, FILE *out);
void mmt_plan_print(const struct mmt_topo *t, const struct mmt_placement *p, int nworkers,
		    FILE *out);

#endif

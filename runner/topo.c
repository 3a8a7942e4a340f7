// SPDX-License-Identifier: GPL-2.0
/*
 * Topology and worker placement. The loaders (hwloc, or sysfs when built
 * without it) reduce the machine to struct mmt_pu rows; everything after that,
 * planning and printing, only looks at those rows, so a synthetic 1024-PU
 * machine is planned exactly like this one.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if HAVE_HWLOC
#include <hwloc.h>
#endif
#if HAVE_NUMA
#include <numa.h>
#include <numaif.h>
#else
#include <linux/mempolicy.h>
#endif

#include "topo.h"

/* Larger than any cpu or node number a kernel hands out (NR_CPUS <= 8192). */
#define TOPO_MAX_ID (1 << 20)
/* Nodes get_mempolicy can report: MAX_NUMNODES is at most 1024. */
#define TOPO_MAX_NODES 1024
#define LONG_BITS (8 * (int)sizeof(unsigned long))

static const char *const policy_names[] = {
	[MMT_PLACE_PER_CORE] = "per-core",	 [MMT_PLACE_PER_NODE] = "per-node",
	[MMT_PLACE_PER_PACKAGE] = "per-package", [MMT_PLACE_COMPACT] = "compact",
	[MMT_PLACE_SPREAD] = "spread",
};

#define VALID_PLACEMENTS "per-core, per-node, per-package, compact, spread, cpus=LIST"

static void seterr(char *err, size_t len, const char *fmt, ...) mmt_printf(3, 4);

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* One range of a cpu list ("0-3,8"): 1 with [*a, *b], 0 at its end, -EINVAL. */
static int list_range(const char **sp, int *a, int *b)
{
	const char *s = *sp;
	char *end;
	long lo, hi;

	if (!*s)
		return 0;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	lo = hi = strtol(s, &end, 10);
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return -EINVAL;
		hi = strtol(end + 1, &end, 10);
	}
	if (lo > hi || hi >= TOPO_MAX_ID)
		return -EINVAL;
	if (*end == ',') {
		if (!end[1])
			return -EINVAL;
		end++;
	} else if (*end) {
		return -EINVAL;
	}
	*a = lo;
	*b = hi;
	*sp = end;
	return 1;
}

/* The inverse: consecutive ascending runs become ranges; order is kept. */
static int format_list(const int *v, int n, char *buf, size_t len)
{
	size_t off = 0;
	int i, j, w;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j + 1 < n && v[j + 1] == v[j] + 1; j++)
			;
		if (j > i)
			w = snprintf(buf + off, len - off, "%s%d-%d", i ? "," : "", v[i], v[j]);
		else
			w = snprintf(buf + off, len - off, "%s%d", i ? "," : "", v[i]);
		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += w;
	}
	return 0;
}

static void human_size(unsigned long long b, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (b && !(b % 1024) && u < 3) {
		b /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", b);
	else
		snprintf(buf, len, "%llu%c", b, units[u]);
}

static int cache_cmp(const void *a, const void *b)
{
	const struct mmt_cache_level *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth - y->depth;
	return x->type - y->type;
}

/* The cache the l3 field names: L3, or the largest level below it if none. */
static int llc_index(const struct mmt_topo *t)
{
	int i, best = -1;

	for (i = 0; i < t->ncache; i++) {
		const struct mmt_cache_level *c = &t->cache[i];

		if (c->type == 'i' || c->depth > 3)
			continue;
		if (best < 0 || c->depth > t->cache[best].depth)
			best = i;
	}
	return best;
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/* Counts and ranks derived from the rows, then the one-line summary. */
static int topo_finish(struct mmt_topo *t)
{
	int *rank, i, llc;
	size_t off;

	t->ncore = t->npackage = 0;
	for (i = 0; i < t->npu; i++) {
		if (t->pu[i].core >= t->ncore)
			t->ncore = t->pu[i].core + 1;
		if (t->pu[i].package >= t->npackage)
			t->npackage = t->pu[i].package + 1;
	}
	rank = calloc(t->ncore, sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	for (i = 0; i < t->npu; i++)
		t->pu[i].smt = rank[t->pu[i].core]++;
	free(rank);

	off = snprintf(t->summary, sizeof(t->summary),
		       "%d package%s, %d NUMA node%s, %d core%s, %d PU%s", t->npackage,
		       plural(t->npackage), t->nnode, plural(t->nnode), t->ncore, plural(t->ncore),
		       t->npu, plural(t->npu));
	llc = llc_index(t);
	if (llc >= 0 && off < sizeof(t->summary)) {
		char sz[32];

		human_size(t->cache[llc].size, sz, sizeof(sz));
		snprintf(t->summary + off, sizeof(t->summary) - off, ", L%d %s x%d",
			 t->cache[llc].depth, sz, t->cache[llc].count);
	}
	return 0;
}

#if HAVE_HWLOC

static int hw_open(hwloc_topology_t *hw, const char *from, char *err, size_t errlen)
{
	if (hwloc_topology_init(hw) < 0) {
		*hw = NULL;
		return neg_errno();
	}
	hwloc_topology_set_io_types_filter(*hw, HWLOC_TYPE_FILTER_KEEP_NONE);
	/* Shown like lstopo and the sysfs loader show them. */
	hwloc_topology_set_icache_types_filter(*hw, HWLOC_TYPE_FILTER_KEEP_ALL);
	/* A synthetic description has a ':'; so may a path, if it exists. */
	if (from && strchr(from, ':') && access(from, F_OK) < 0) {
		if (hwloc_topology_set_synthetic(*hw, from) < 0) {
			seterr(err, errlen,
			       "bad synthetic topology '%s' (e.g. \"pack:2 numa:2 core:16 pu:2\")",
			       from);
			return -EINVAL;
		}
	} else if (from) {
		if (access(from, R_OK) < 0) {
			int ret = -errno;

			seterr(err, errlen, "cannot read hwloc XML file '%s': %s", from,
			       strerror(-ret));
			return ret;
		}
		if (hwloc_topology_set_xml(*hw, from) < 0) {
			seterr(err, errlen, "'%s' is not an hwloc XML topology", from);
			return -EINVAL;
		}
	}
	if (hwloc_topology_load(*hw) < 0) {
		int ret = neg_errno();

		seterr(err, errlen, "cannot load the topology of %s: %s",
		       from ? from : "this machine", strerror(-ret));
		return from ? -EINVAL : ret;
	}
	return 0;
}

static void hw_caches(struct mmt_topo *t, hwloc_topology_t hw)
{
	int d, depth = hwloc_topology_get_depth(hw);

	for (d = 0; d < depth && t->ncache < (int)MMT_ARRAY_SIZE(t->cache); d++) {
		hwloc_obj_t o = hwloc_get_obj_by_depth(hw, d, 0);
		struct mmt_cache_level *c = &t->cache[t->ncache];

		if (!o || !hwloc_obj_type_is_cache(o->type))
			continue;
		c->depth = o->attr->cache.depth;
		c->type = o->attr->cache.type == HWLOC_OBJ_CACHE_DATA	       ? 'd'
			  : o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? 'i'
									       : 'u';
		c->count = hwloc_get_nbobjs_by_depth(hw, d);
		c->size = o->attr->cache.size;
		t->ncache++;
	}
	qsort(t->cache, t->ncache, sizeof(t->cache[0]), cache_cmp);
}

static int ancestor_index(hwloc_topology_t hw, hwloc_obj_type_t type, hwloc_obj_t pu, int none)
{
	hwloc_obj_t o = hwloc_get_ancestor_obj_by_type(hw, type, pu);

	return o ? (int)o->logical_index : none;
}

static void hw_pu(struct mmt_topo *t, hwloc_topology_t hw, hwloc_obj_t o, int llc_type,
		  int *coreless)
{
	struct mmt_pu *p = &t->pu[o->logical_index];
	hwloc_obj_t node;

	p->os = o->os_index;
	p->core = ancestor_index(hw, HWLOC_OBJ_CORE, o, -1);
	/* A PU without a Core object (some VMs, some arches) is its own core. */
	if (p->core < 0)
		p->core = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_CORE) + (*coreless)++;
	p->package = ancestor_index(hw, HWLOC_OBJ_PACKAGE, o, 0);
	/* hwloc 2 hangs NUMA nodes off the side of the tree: no ancestor. */
	node = hwloc_get_next_obj_covering_cpuset_by_type(hw, o->cpuset, HWLOC_OBJ_NUMANODE, NULL);
	p->node = node ? (int)node->logical_index : -1;
	p->node_os = node ? (int)node->os_index : -1;
	p->l3 = llc_type >= 0 ? ancestor_index(hw, llc_type, o, -1) : -1;
}

static int hw_fill(struct mmt_topo *t, hwloc_topology_t hw)
{
	static const hwloc_obj_type_t cache_types[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1CACHE,
						       HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE};
	int i, llc, llc_type = -1, coreless = 0;
	hwloc_obj_t o = NULL;

	t->npu = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_PU);
	if (t->npu <= 0)
		return -ENODEV;
	t->pu = calloc(t->npu, sizeof(*t->pu));
	if (!t->pu)
		return -ENOMEM;
	hw_caches(t, hw);
	llc = llc_index(t);
	if (llc >= 0) {
		llc_type = cache_types[t->cache[llc].depth];
		t->nl3 = t->cache[llc].count;
	}
	for (i = 0; i < t->npu; i++) {
		o = hwloc_get_next_obj_by_type(hw, HWLOC_OBJ_PU, o);
		hw_pu(t, hw, o, llc_type, &coreless);
	}
	t->nnode = hwloc_get_nbobjs_by_type(hw, HWLOC_OBJ_NUMANODE);
	return 0;
}

int mmt_topo_load(struct mmt_topo *t, const char *from, char *err, size_t errlen)
{
	hwloc_topology_t hw = NULL;
	int ret;

	memset(t, 0, sizeof(*t));
	seterr(err, errlen, "%s", "");
	ret = hw_open(&hw, from, err, errlen);
	if (!ret)
		ret = hw_fill(t, hw);
	if (!ret)
		ret = topo_finish(t);
	t->hw = hw;
	t->synthetic = from != NULL;
	if (ret < 0) {
		if (err && !err[0])
			seterr(err, errlen, "cannot read the topology: %s", strerror(-ret));
		mmt_topo_free(t);
	}
	return ret;
}

void mmt_topo_free(struct mmt_topo *t)
{
	if (t->hw)
		hwloc_topology_destroy(t->hw);
	free(t->pu);
	memset(t, 0, sizeof(*t));
}

#else /* !HAVE_HWLOC: this machine only, from sysfs */

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"

static int read_str(char *buf, size_t len, const char *fmt, ...) mmt_printf(3, 4);

/* The first line of a sysfs file, without its newline. */
static int read_str(char *buf, size_t len, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_int(int def, int cpu, const char *file)
{
	char buf[32];

	if (read_str(buf, sizeof(buf), SYS_CPU "/cpu%d/%s", cpu, file) < 0 ||
	    !isdigit((unsigned char)buf[0]))
		return def;
	return atoi(buf);
}

/* Sysfs ids of a PU, turned into logical indexes once the PUs are sorted. */
struct sys_pu {
	int os, package, node_os, core_id;
};

static int sys_pu_cmp(const void *a, const void *b)
{
	const struct sys_pu *x = a, *y = b;

	if (x->package != y->package)
		return x->package - y->package;
	if (x->node_os != y->node_os)
		return x->node_os - y->node_os;
	if (x->core_id != y->core_id)
		return x->core_id - y->core_id;
	return x->os - y->os;
}

static int sys_cpus(struct sys_pu **out, int *n)
{
	char buf[4096];
	const char *s = buf;
	int a, b, ret, cnt = 0;
	struct sys_pu *p;

	ret = read_str(buf, sizeof(buf), "%s", SYS_CPU "/online");
	if (ret < 0)
		return ret;
	while ((ret = list_range(&s, &a, &b)) > 0)
		cnt += b - a + 1;
	if (ret < 0 || !cnt)
		return -ENODEV;
	p = calloc(cnt, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (s = buf, *n = 0; list_range(&s, &a, &b) > 0;) {
		for (; a <= b; a++, (*n)++) {
			p[*n].os = a;
			p[*n].package = read_int(0, a, "topology/physical_package_id");
			p[*n].core_id = read_int(a, a, "topology/core_id");
			/* A kernel without NUMA has no node dirs: one node 0, as hwloc says. */
			p[*n].node_os = 0;
		}
	}
	*out = p;
	return 0;
}

/* node_os of each PU from nodeN/cpulist; the number of nodes. */
static int sys_nodes(struct sys_pu *p, int n, int *node_ids, int max)
{
	struct dirent *de;
	int id, i, a, b, nnode = 0;
	char buf[4096];
	const char *s;
	DIR *d;

	d = opendir(SYS_NODE);
	if (!d)
		return 0;
	while ((de = readdir(d)) && nnode < max) {
		if (sscanf(de->d_name, "node%d", &id) != 1)
			continue;
		node_ids[nnode++] = id;
		if (read_str(buf, sizeof(buf), SYS_NODE "/node%d/cpulist", id) < 0)
			continue;
		for (s = buf; list_range(&s, &a, &b) > 0;)
			for (i = 0; i < n; i++)
				if (p[i].os >= a && p[i].os <= b)
					p[i].node_os = id;
	}
	closedir(d);
	return nnode;
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void sys_logical(struct mmt_topo *t, const struct sys_pu *p, const int *node_ids, int nnode)
{
	int i, k;

	for (i = 0; i < t->npu; i++) {
		struct mmt_pu *q = &t->pu[i];
		int same_pkg = i && p[i].package == p[i - 1].package;
		int same_core = same_pkg && p[i].node_os == p[i - 1].node_os &&
				p[i].core_id == p[i - 1].core_id;

		q->os = p[i].os;
		q->package = !i ? 0 : t->pu[i - 1].package + !same_pkg;
		q->core = !i ? 0 : t->pu[i - 1].core + !same_core;
		q->node = 0;
		q->node_os = p[i].node_os;
		for (k = 0; k < nnode; k++)
			if (node_ids[k] == p[i].node_os)
				q->node = k;
		q->l3 = -1;
	}
}

/*
 * One cache kind (level and type) across the PUs: its instances numbered in
 * the order the PUs meet them, an instance named by the first cpu sharing it.
 */
struct sys_cache {
	struct mmt_cache_level lvl;
	int *inst; /* by the instance's first cpu */
};

static struct sys_cache *sys_cache_kind(struct sys_cache *k, int *nk, int level, char type,
					int maxos)
{
	int i;

	for (i = 0; i < *nk; i++)
		if (k[i].lvl.depth == level && k[i].lvl.type == type)
			return &k[i];
	if (*nk >= (int)MMT_ARRAY_SIZE(((struct mmt_topo *)0)->cache))
		return NULL;
	k[*nk].lvl.depth = level;
	k[*nk].lvl.type = type;
	k[*nk].inst = malloc((maxos + 1) * sizeof(int));
	if (!k[*nk].inst)
		return NULL;
	memset(k[*nk].inst, 0xff, (maxos + 1) * sizeof(int));
	return &k[(*nk)++];
}

/* Index idx of one cpu: 1 if read, 0 past the last index. */
static int sys_cache_index(int cpu, int idx, int *level, char *type, unsigned long long *size,
			   int *first)
{
	char buf[4096], *end;
	const char *s = buf;
	int b, ret;

	if (read_str(buf, sizeof(buf), SYS_CPU "/cpu%d/cache/index%d/level", cpu, idx) < 0)
		return 0;
	*level = atoi(buf);
	if (read_str(buf, sizeof(buf), SYS_CPU "/cpu%d/cache/index%d/type", cpu, idx) < 0)
		return 0;
	*type = !strcmp(buf, "Data") ? 'd' : !strcmp(buf, "Instruction") ? 'i' : 'u';
	if (read_str(buf, sizeof(buf), SYS_CPU "/cpu%d/cache/index%d/size", cpu, idx) < 0)
		return 0;
	*size = strtoull(buf, &end, 10);
	*size <<= *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
	ret = read_str(buf, sizeof(buf), SYS_CPU "/cpu%d/cache/index%d/shared_cpu_list", cpu, idx);
	if (ret < 0 || list_range(&s, first, &b) <= 0)
		*first = cpu;
	return 1;
}

static void sys_caches(struct mmt_topo *t)
{
	struct sys_cache k[MMT_ARRAY_SIZE(t->cache)] = {0};
	int i, j, idx, nk = 0, maxos = 0, level, first, llc;
	unsigned long long size;
	char type;

	for (i = 0; i < t->npu; i++)
		maxos = t->pu[i].os > maxos ? t->pu[i].os : maxos;
	for (i = 0; i < t->npu; i++) {
		for (idx = 0; sys_cache_index(t->pu[i].os, idx, &level, &type, &size, &first);
		     idx++) {
			struct sys_cache *c = sys_cache_kind(k, &nk, level, type, maxos);

			if (!c || first > maxos || c->inst[first] >= 0)
				continue;
			c->inst[first] = c->lvl.count++;
			c->lvl.size = size;
		}
	}
	for (j = 0; j < nk; j++)
		t->cache[j] = k[j].lvl;
	t->ncache = nk;
	llc = llc_index(t);
	for (i = 0; llc >= 0 && i < t->npu; i++)
		for (idx = 0; sys_cache_index(t->pu[i].os, idx, &level, &type, &size, &first);
		     idx++)
			if (level == t->cache[llc].depth && type == t->cache[llc].type &&
			    first <= maxos)
				t->pu[i].l3 = k[llc].inst[first];
	t->nl3 = llc >= 0 ? t->cache[llc].count : 0;
	for (j = 0; j < nk; j++)
		free(k[j].inst);
	qsort(t->cache, t->ncache, sizeof(t->cache[0]), cache_cmp);
}

static int sys_load(struct mmt_topo *t)
{
	int node_ids[TOPO_MAX_NODES], ret, n = 0;
	struct sys_pu *p = NULL;

	ret = sys_cpus(&p, &n);
	if (ret < 0)
		return ret;
	t->nnode = sys_nodes(p, n, node_ids, TOPO_MAX_NODES);
	qsort(node_ids, t->nnode, sizeof(int), int_cmp);
	if (!t->nnode)
		node_ids[t->nnode++] = 0;
	qsort(p, n, sizeof(*p), sys_pu_cmp);
	t->npu = n;
	t->pu = calloc(n, sizeof(*t->pu));
	if (!t->pu) {
		free(p);
		return -ENOMEM;
	}
	sys_logical(t, p, node_ids, t->nnode);
	free(p);
	sys_caches(t);
	return 0;
}

int mmt_topo_load(struct mmt_topo *t, const char *from, char *err, size_t errlen)
{
	int ret;

	memset(t, 0, sizeof(*t));
	seterr(err, errlen, "%s", "");
	if (from) {
		seterr(err, errlen,
		       "cannot load '%s': synthetic and XML topologies need hwloc, and this build "
		       "has none",
		       from);
		return -ENOTSUP;
	}
	ret = sys_load(t);
	if (!ret)
		ret = topo_finish(t);
	if (ret < 0) {
		seterr(err, errlen, "cannot read the topology from " SYS_CPU ": %s",
		       strerror(-ret));
		mmt_topo_free(t);
	}
	return ret;
}

void mmt_topo_free(struct mmt_topo *t)
{
	free(t->pu);
	memset(t, 0, sizeof(*t));
}

#endif /* HAVE_HWLOC */

int mmt_placement_parse(const char *s, struct mmt_placement *p, char *err, size_t errlen)
{
	const char *list;
	int i, a, b, ret;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < (int)MMT_ARRAY_SIZE(policy_names); i++) {
		if (!strcmp(s, policy_names[i])) {
			p->policy = i;
			return 0;
		}
	}
	if (strncmp(s, "cpus=", 5)) {
		seterr(err, errlen, "bad placement '%s'; valid: " VALID_PLACEMENTS, s);
		return -EINVAL;
	}
	p->policy = MMT_PLACE_CPUS;
	for (list = s + 5; (ret = list_range(&list, &a, &b)) > 0;) {
		for (; a <= b; a++) {
			if (p->ncpus >= MMT_MAX_CPUS_LIST) {
				seterr(err, errlen, "placement '%.40s...' lists more than %d cpus",
				       s, MMT_MAX_CPUS_LIST);
				return -E2BIG;
			}
			p->cpus[p->ncpus++] = a;
		}
	}
	if (ret < 0 || !p->ncpus) {
		seterr(err, errlen,
		       "bad cpu list in placement '%s' (want OS cpu numbers like cpus=0-3,8); "
		       "valid: " VALID_PLACEMENTS,
		       s);
		return -EINVAL;
	}
	return 0;
}

int mmt_placement_format(const struct mmt_placement *p, char *buf, size_t len)
{
	int w;

	if (p->policy != MMT_PLACE_CPUS) {
		if ((unsigned)p->policy >= MMT_ARRAY_SIZE(policy_names))
			return -EINVAL;
		w = snprintf(buf, len, "%s", policy_names[p->policy]);
		return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
	}
	w = snprintf(buf, len, "cpus=");
	if (w < 0 || (size_t)w >= len)
		return -ENOSPC;
	return format_list(p->cpus, p->ncpus, buf + w, len - w);
}

/* Nodes that hold PUs: a CPU-less (memory only) node cannot host a worker. */
static int nodes_with_cpus(const struct mmt_topo *t)
{
	int i, n = 0, max = 0;
	char *seen;

	for (i = 0; i < t->npu; i++)
		max = t->pu[i].node > max ? t->pu[i].node : max;
	seen = calloc(max + 1, 1);
	if (!seen)
		return t->nnode > 0 ? t->nnode : 1;
	for (i = 0; i < t->npu; i++) {
		if (t->pu[i].node >= 0 && !seen[t->pu[i].node]++)
			n++;
	}
	free(seen);
	return n ? n : 1;
}

int mmt_placement_default_workers(const struct mmt_topo *t, const struct mmt_placement *p)
{
	switch (p->policy) {
	case MMT_PLACE_PER_NODE:
		return nodes_with_cpus(t);
	case MMT_PLACE_PER_PACKAGE:
		return t->npackage;
	case MMT_PLACE_CPUS:
		return p->ncpus;
	default:
		return t->ncore;
	}
}

/*
 * Planning: every policy but cpus= is an ordering of all PUs, and worker i
 * takes slot i % npu. Slots are sorted by hyperthread tier first, so a second
 * hyperthread is only used once every core has a worker; within a tier the
 * runs of equal key[0] are interleaved round-robin, each run first interleaved
 * the same way by key[1], and so on down to nlevel.
 */
struct slot {
	int tier;
	int key[4];
	int pu;
};

static int slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	int i;

	if (x->tier != y->tier)
		return x->tier - y->tier;
	for (i = 0; i < 4; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] - y->key[i];
	return x->pu - y->pu;
}

static int interleave(struct slot *s, int n, int level, int nlevel)
{
	int *start, nrun = 0, i, r, k, round, ret = 0;
	struct slot *tmp;

	if (level >= nlevel || n <= 1)
		return 0;
	start = malloc((n + 1) * sizeof(*start));
	tmp = malloc(n * sizeof(*tmp));
	if (!start || !tmp) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!i || s[i].key[level] != s[i - 1].key[level])
			start[nrun++] = i;
	start[nrun] = n;
	for (r = 0; r < nrun && !ret; r++)
		ret = interleave(s + start[r], start[r + 1] - start[r], level + 1, nlevel);
	for (k = 0, round = 0; k < n; round++)
		for (r = 0; r < nrun; r++)
			if (start[r] + round < start[r + 1])
				tmp[k++] = s[start[r] + round];
	memcpy(s, tmp, n * sizeof(*tmp));
out:
	free(start);
	free(tmp);
	return ret;
}

static void slot_key(const struct mmt_topo *t, enum mmt_policy policy, int i, struct slot *x)
{
	const struct mmt_pu *p = &t->pu[i];

	memset(x, 0, sizeof(*x));
	x->pu = i;
	x->tier = policy == MMT_PLACE_COMPACT ? 0 : p->smt;
	switch (policy) {
	case MMT_PLACE_PER_CORE:
		x->key[0] = p->core;
		break;
	case MMT_PLACE_PER_NODE:
		x->key[0] = p->node;
		x->key[1] = p->core;
		break;
	case MMT_PLACE_PER_PACKAGE:
		x->key[0] = p->package;
		x->key[1] = p->core;
		break;
	case MMT_PLACE_SPREAD:
		x->key[0] = p->package;
		x->key[1] = p->node;
		x->key[2] = p->l3;
		x->key[3] = p->core;
		break;
	default:
		break;
	}
}

static struct mmt_where where_of(const struct mmt_pu *p)
{
	return (struct mmt_where){
		.cpu = p->os, .core = p->core, .package = p->package, .node = p->node_os};
}

static int plan_order(const struct mmt_topo *t, const struct mmt_placement *p, int nworkers,
		      struct mmt_where *out)
{
	static const int nlevel[] = {
		[MMT_PLACE_PER_NODE] = 1, [MMT_PLACE_PER_PACKAGE] = 1, [MMT_PLACE_SPREAD] = 3};
	struct slot *s = malloc(t->npu * sizeof(*s));
	int i, j, ret = 0;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < t->npu; i++)
		slot_key(t, p->policy, i, &s[i]);
	qsort(s, t->npu, sizeof(*s), slot_cmp);
	for (i = 0; i < t->npu && !ret; i = j) {
		for (j = i; j < t->npu && s[j].tier == s[i].tier; j++)
			;
		ret = interleave(s + i, j - i, 0, nlevel[p->policy]);
	}
	for (i = 0; i < nworkers && !ret; i++)
		out[i] = where_of(&t->pu[s[i % t->npu].pu]);
	free(s);
	return ret;
}

static const struct mmt_pu *pu_by_os(const struct mmt_topo *t, int cpu)
{
	int i;

	for (i = 0; i < t->npu; i++)
		if (t->pu[i].os == cpu)
			return &t->pu[i];
	return NULL;
}

static int plan_cpus(const struct mmt_topo *t, const struct mmt_placement *p, int nworkers,
		     struct mmt_where *out)
{
	int i;

	if (p->ncpus <= 0 || p->ncpus > MMT_MAX_CPUS_LIST)
		return -EINVAL;
	for (i = 0; i < p->ncpus; i++)
		if (!pu_by_os(t, p->cpus[i]))
			return -EINVAL;
	for (i = 0; i < nworkers; i++)
		out[i] = where_of(pu_by_os(t, p->cpus[i % p->ncpus]));
	return 0;
}

int mmt_plan(const struct mmt_topo *t, const struct mmt_placement *p, int nworkers,
	     struct mmt_where *out)
{
	if (!t || !p || nworkers < 0 || (nworkers && !out) || t->npu <= 0)
		return -EINVAL;
	if (p->policy == MMT_PLACE_CPUS)
		return plan_cpus(t, p, nworkers, out);
	if ((unsigned)p->policy >= MMT_ARRAY_SIZE(policy_names))
		return -EINVAL;
	return plan_order(t, p, nworkers, out);
}

static int bind_cpu(const struct mmt_topo *t, int cpu)
{
#if HAVE_HWLOC
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int ret = 0;

	if (!set)
		return -ENOMEM;
	hwloc_bitmap_only(set, cpu);
	errno = 0;
	if (hwloc_set_cpubind(t->hw, set, HWLOC_CPUBIND_PROCESS) < 0)
		ret = neg_errno();
	hwloc_bitmap_free(set);
	return ret;
#else
	cpu_set_t *set = CPU_ALLOC(cpu + 1);
	size_t size = CPU_ALLOC_SIZE(cpu + 1);
	int ret = 0;

	if (!set)
		return -ENOMEM;
	CPU_ZERO_S(size, set);
	CPU_SET_S(cpu, size, set);
	if (sched_setaffinity(0, size, set) < 0)
		ret = -errno;
	CPU_FREE(set);
	return ret;
#endif
}

/*
 * MPOL_BIND to one node. libnuma's numa_set_membind() would print on failure;
 * its set_mempolicy() wrapper returns the error instead.
 */
static int bind_mem(int node)
{
	unsigned long mask[TOPO_MAX_NODES / LONG_BITS] = {0};
	long r;

	if (node >= TOPO_MAX_NODES)
		return -EINVAL;
	mask[node / LONG_BITS] = 1UL << (node % LONG_BITS);
#if HAVE_NUMA
	r = set_mempolicy(MPOL_BIND, mask, TOPO_MAX_NODES + 1);
#else
	r = syscall(SYS_set_mempolicy, MPOL_BIND, mask, TOPO_MAX_NODES + 1);
#endif
	return r < 0 ? -errno : 0;
}

/* The node memory goes to now: the bound one, else the local one (def). */
static int mem_node(int def)
{
	unsigned long mask[TOPO_MAX_NODES / LONG_BITS] = {0};
	int mode = 0, i;
	long r;

#if HAVE_NUMA
	r = get_mempolicy(&mode, mask, TOPO_MAX_NODES + 1, NULL, 0);
#else
	r = syscall(SYS_get_mempolicy, &mode, mask, TOPO_MAX_NODES + 1, NULL, 0);
#endif
	/* The mode flags (static/relative nodes, balancing) sit above the mode. */
	if (r < 0 || (mode & 0xff) != MPOL_BIND)
		return def;
	for (i = 0; i < TOPO_MAX_NODES; i++)
		if (mask[i / LONG_BITS] & (1UL << (i % LONG_BITS)))
			return i;
	return def;
}

int mmt_bind_self(const struct mmt_topo *t, const struct mmt_where *where,
		  struct mmt_where *applied)
{
	const struct mmt_pu *pu;
	int ret;

	if (!t || !where || !applied || t->synthetic)
		return -EINVAL;
	if (where->cpu >= 0) {
		if (!pu_by_os(t, where->cpu))
			return -EINVAL;
		ret = bind_cpu(t, where->cpu);
		if (ret < 0)
			return ret;
	}
	if (where->node >= 0) {
		ret = bind_mem(where->node);
		/* A kernel without NUMA has one node: all memory is already there. */
		if (ret == -ENOSYS && t->nnode <= 1)
			ret = 0;
		if (ret < 0)
			return ret;
	}
	/* Setting the affinity migrates us; yield so the read-back sees it settled. */
	sched_yield();
	applied->cpu = sched_getcpu();
	pu = pu_by_os(t, applied->cpu);
	applied->core = pu ? pu->core : -1;
	applied->package = pu ? pu->package : -1;
	applied->node = mem_node(pu ? pu->node_os : -1);
	return applied->cpu < 0 ? neg_errno() : 0;
}

static void print_tree(const struct mmt_topo *t, FILE *out)
{
	int i, j, n, *os = malloc(t->npu * sizeof(*os));
	const struct mmt_pu *p, *prev = NULL;
	int llc_level = llc_index(t) >= 0 ? t->cache[llc_index(t)].depth : 3;
	char list[256];

	if (!os)
		return;
	fprintf(out, "tree:\n");
	for (i = 0; i < t->npu; i = j, prev = p) {
		p = &t->pu[i];
		for (j = i, n = 0; j < t->npu && t->pu[j].core == p->core; j++)
			os[n++] = t->pu[j].os;
		if (!prev || prev->package != p->package)
			fprintf(out, "  package L#%d\n", p->package);
		if (!prev || prev->package != p->package || prev->node != p->node)
			fprintf(out, "    NUMA node L#%d (P#%d)\n", p->node, p->node_os);
		if (p->l3 >= 0 && (!prev || prev->package != p->package || prev->node != p->node ||
				   prev->l3 != p->l3))
			fprintf(out, "      L%d L#%d\n", llc_level, p->l3);
		if (format_list(os, n, list, sizeof(list)) < 0)
			snprintf(list, sizeof(list), "%d...", os[0]);
		fprintf(out, "        core L#%-4d cpu %s\n", p->core, list);
	}
	free(os);
}

static void print_nodes(const struct mmt_topo *t, FILE *out)
{
	int *os = malloc(t->npu * sizeof(*os)), node, i, n;
	char list[512];

	if (!os)
		return;
	for (node = 0; node < t->nnode; node++) {
		int node_os = -1;

		for (i = 0, n = 0; i < t->npu; i++) {
			if (t->pu[i].node == node) {
				os[n++] = t->pu[i].os;
				node_os = t->pu[i].node_os;
			}
		}
		if (format_list(os, n, list, sizeof(list)) < 0)
			snprintf(list, sizeof(list), "(%d cpus)", n);
		if (n)
			fprintf(out, "  node L#%d P#%d: cpu %s\n", node, node_os, list);
		else
			fprintf(out, "  node L#%d: no cpus\n", node);
	}
	free(os);
}

void mmt_topo_print(const struct mmt_topo *t, FILE *out)
{
	int i, maxsmt = 0;
	char sz[32];

	for (i = 0; i < t->npu; i++)
		maxsmt = t->pu[i].smt > maxsmt ? t->pu[i].smt : maxsmt;
	fprintf(out, "topology: %s%s\n", t->summary,
		t->synthetic ? " (not this machine: no binding)" : "");
	fprintf(out, "packages: %d\n", t->npackage);
	fprintf(out, "NUMA nodes: %d\n", t->nnode);
	print_nodes(t, out);
	fprintf(out, "caches:%s\n", t->ncache ? "" : " none known");
	for (i = 0; i < t->ncache; i++) {
		human_size(t->cache[i].size, sz, sizeof(sz));
		fprintf(out, "  L%d%-2s %6s x%d\n", t->cache[i].depth,
			t->cache[i].type == 'u'	  ? ""
			: t->cache[i].type == 'd' ? "d"
						  : "i",
			sz, t->cache[i].count);
	}
	fprintf(out, "cores: %d\n", t->ncore);
	fprintf(out, "PUs: %d (up to %d per core)\n", t->npu, maxsmt + 1);
	print_tree(t, out);
}

void mmt_plan_print(const struct mmt_topo *t, const struct mmt_placement *p, int nworkers,
		    FILE *out)
{
	struct mmt_where *w;
	char name[64];
	int i, ret;

	if (nworkers <= 0)
		nworkers = mmt_placement_default_workers(t, p);
	if (mmt_placement_format(p, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "cpus=(%d cpus)", p->ncpus);
	fprintf(out, "placement %s, %d worker%s:\n", name, nworkers, plural(nworkers));
	w = calloc(nworkers ? nworkers : 1, sizeof(*w));
	ret = w ? mmt_plan(t, p, nworkers, w) : -ENOMEM;
	if (ret < 0) {
		fprintf(out, "  cannot plan: %s\n", strerror(-ret));
		free(w);
		return;
	}
	fprintf(out, "  %6s %5s %5s %8s %5s\n", "worker", "cpu", "core", "package", "node");
	for (i = 0; i < nworkers; i++)
		fprintf(out, "  %6d %5d %5d %8d %5d\n", i, w[i].cpu, w[i].core, w[i].package,
			w[i].node);
	free(w);
}

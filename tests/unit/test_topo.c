// SPDX-License-Identifier: GPL-2.0
/*
 * Topology loading and placement on hwloc synthetic machines (skipped in a
 * build without hwloc), then binding a forked child on this machine.
 */
#include "config.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if HAVE_HWLOC
#include <hwloc.h>
#endif

#include "check.h"
#include "topo.h"

#define SYN_128 "pack:2 numa:2 core:16 pu:2"
#define SYN_1024 "pack:4 numa:2 core:64 pu:2"

static const struct mmt_pu *pu_of(const struct mmt_topo *t, int cpu)
{
	for (int i = 0; i < t->npu; i++)
		if (t->pu[i].os == cpu)
			return &t->pu[i];
	return NULL;
}

/* A plan for n workers with the policy named s, or NULL (a check failed). */
static struct mmt_where *plan(const struct mmt_topo *t, const char *s, int n)
{
	struct mmt_where *w = calloc(n, sizeof(*w));
	struct mmt_placement p;
	char err[256];
	int ret;

	CHECK(w != NULL);
	ret = mmt_placement_parse(s, &p, err, sizeof(err));
	CHECK_MSG(ret == 0, "parse %s: %s", s, err);
	if (ret == 0)
		ret = mmt_plan(t, &p, n, w);
	CHECK_MSG(ret == 0, "plan %s x%d: %d", s, n, ret);
	if (ret) {
		free(w);
		return NULL;
	}
	return w;
}

/* How many distinct values of field f among w[0..n-1]; values < max. */
static int distinct(const struct mmt_where *w, int n, size_t off, int max)
{
	char *seen = calloc(max, 1);
	int i, d = 0;

	for (i = 0; i < n; i++) {
		int v = *(const int32_t *)((const char *)&w[i] + off);

		if (v >= 0 && v < max && !seen[v]++)
			d++;
	}
	free(seen);
	return d;
}

#define DISTINCT(w, n, field, max) distinct(w, n, offsetof(struct mmt_where, field), max)

/* 0 if loaded; -ENOTSUP (and a note) in a build without hwloc. */
static int load_synthetic(struct mmt_topo *t, const char *desc)
{
	char err[256];
	int ret = mmt_topo_load(t, desc, err, sizeof(err));

	if (ret == -ENOTSUP && !HAVE_HWLOC) {
		CHECK_CONTAINS(err, "hwloc");
		return ret;
	}
	CHECK_MSG(ret == 0, "load '%s': %d %s", desc, ret, err);
	return ret;
}

static void test_counts(const struct mmt_topo *t)
{
	CHECK(t->npu == 128);
	CHECK(t->ncore == 64);
	CHECK(t->npackage == 2);
	CHECK(t->nnode == 4);
	CHECK(t->synthetic == 1);
	CHECK_CONTAINS(t->summary, "2 packages, 4 NUMA nodes, 64 cores, 128 PUs");
	CHECK(t->pu[0].os == 0 && t->pu[0].smt == 0 && t->pu[1].smt == 1);
	CHECK(t->pu[0].core == t->pu[1].core && t->pu[2].core == 1);
	CHECK(t->pu[127].package == 1 && t->pu[127].node == 3 && t->pu[127].node_os == 3);
	CHECK(t->pu[32].node == 1 && t->pu[32].package == 0);
}

static void test_per_core(const struct mmt_topo *t)
{
	struct mmt_where *w = plan(t, "per-core", 65);
	int i;

	if (!w)
		return;
	CHECK(DISTINCT(w, 64, core, t->ncore) == 64);
	for (i = 0; i < 64; i++)
		CHECK_MSG(pu_of(t, w[i].cpu)->smt == 0, "worker %d on cpu %d", i, w[i].cpu);
	CHECK(w[0].core == 0 && w[0].cpu == 0);
	CHECK(w[64].core == w[0].core && pu_of(t, w[64].cpu)->smt == 1);
	free(w);
}

static void test_per_node(const struct mmt_topo *t)
{
	struct mmt_where *w = plan(t, "per-node", 8);
	int count[4] = {0}, i;

	if (!w)
		return;
	CHECK(DISTINCT(w, 4, node, 4) == 4);
	for (i = 0; i < 8; i++)
		count[w[i].node]++;
	for (i = 0; i < 4; i++)
		CHECK_MSG(count[i] == 2, "node %d got %d workers", i, count[i]);
	CHECK(DISTINCT(w, 8, core, t->ncore) == 8);
	free(w);
}

static void test_per_package_compact(const struct mmt_topo *t)
{
	struct mmt_where *w = plan(t, "per-package", 64);
	int i;

	if (w) {
		for (i = 0; i < 64; i++)
			CHECK_MSG(w[i].package == i % 2, "worker %d in package %d", i,
				  w[i].package);
		CHECK(DISTINCT(w, 64, core, t->ncore) == 64);
		free(w);
	}
	w = plan(t, "compact", 128);
	if (w) {
		CHECK(w[0].core == w[1].core && w[0].cpu != w[1].cpu);
		for (i = 0; i < 128; i++)
			CHECK(w[i].cpu == t->pu[i].os);
		free(w);
	}
}

static void test_spread(const struct mmt_topo *t)
{
	struct mmt_where *w = plan(t, "spread", 128);
	int i;

	if (!w)
		return;
	CHECK(w[0].package != w[1].package);
	CHECK(DISTINCT(w, 4, node, 4) == 4);
	CHECK(DISTINCT(w, 64, core, t->ncore) == 64);
	for (i = 64; i < 128; i++)
		CHECK(pu_of(t, w[i].cpu)->smt == 1);
	CHECK(DISTINCT(w, 128, cpu, t->npu) == 128);
	free(w);
}

static void test_cpus(const struct mmt_topo *t)
{
	static const int want[] = {0, 1, 2, 3, 8, 0, 1};
	struct mmt_where w[7];
	struct mmt_placement p;
	char err[256], buf[64];
	int i;

	CHECK(mmt_placement_parse("cpus=0-3,8", &p, err, sizeof(err)) == 0);
	CHECK(p.ncpus == 5);
	CHECK(mmt_plan(t, &p, 7, w) == 0);
	for (i = 0; i < 7; i++)
		CHECK_MSG(w[i].cpu == want[i], "worker %d on cpu %d", i, w[i].cpu);
	CHECK(w[4].core == 4 && w[4].package == 0 && w[4].node == 0);
	CHECK(mmt_placement_format(&p, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "cpus=0-3,8");
	CHECK(mmt_placement_parse("cpus=9999", &p, err, sizeof(err)) == 0);
	CHECK(mmt_plan(t, &p, 1, w) == -EINVAL);
}

static void test_defaults(const struct mmt_topo *t)
{
	static const struct {
		const char *s;
		int n;
	} cases[] = {{"per-core", 64}, {"per-node", 4}, {"per-package", 2},
		     {"compact", 64},  {"spread", 64},	{"cpus=0-3,8", 5}};
	struct mmt_placement p;
	size_t i;

	for (i = 0; i < MMT_ARRAY_SIZE(cases); i++) {
		CHECK(mmt_placement_parse(cases[i].s, &p, NULL, 0) == 0);
		CHECK_MSG(mmt_placement_default_workers(t, &p) == cases[i].n, "%s: %d", cases[i].s,
			  mmt_placement_default_workers(t, &p));
	}
}

static void test_bind_refused(const struct mmt_topo *t)
{
	struct mmt_where w = {0, 0, 0, 0}, applied;

	CHECK(mmt_bind_self(t, &w, &applied) == -EINVAL);
}

static void test_synthetic_128(void)
{
	struct mmt_topo t;

	if (load_synthetic(&t, SYN_128))
		return;
	test_counts(&t);
	test_per_core(&t);
	test_per_node(&t);
	test_per_package_compact(&t);
	test_spread(&t);
	test_cpus(&t);
	test_defaults(&t);
	test_bind_refused(&t);
	mmt_topo_free(&t);
}

static void test_synthetic_1024(void)
{
	struct mmt_where *w;
	struct mmt_topo t;
	int count[8] = {0}, i;

	if (load_synthetic(&t, SYN_1024))
		return;
	CHECK(t.npu == 1024 && t.ncore == 512 && t.nnode == 8 && t.npackage == 4);
	w = plan(&t, "per-core", 512);
	if (w)
		CHECK(DISTINCT(w, 512, core, t.ncore) == 512);
	free(w);
	w = plan(&t, "spread", 8);
	if (w)
		CHECK(DISTINCT(w, 8, node, 8) == 8);
	free(w);
	w = plan(&t, "per-node", 1024);
	if (w) {
		for (i = 0; i < 1024; i++)
			count[w[i].node]++;
		for (i = 0; i < 8; i++)
			CHECK_MSG(count[i] == 128, "node %d: %d workers", i, count[i]);
	}
	free(w);
	w = plan(&t, "compact", 1024);
	if (w)
		CHECK(DISTINCT(w, 1024, cpu, t.npu) == 1024);
	free(w);
	mmt_topo_free(&t);
}

/* Caches: sizes, counts, and spread across last-level caches. */
static void test_caches(void)
{
	struct mmt_where *w;
	struct mmt_topo t;

	if (load_synthetic(&t, "pack:2 l3:2(size=32MiB) l2:2(size=1MiB) core:2 pu:2"))
		return;
	CHECK(t.nl3 == 4 && t.ncache == 2);
	CHECK(t.cache[0].depth == 2 && t.cache[0].count == 8 && t.cache[0].size == 1 << 20);
	CHECK(t.cache[1].depth == 3 && t.cache[1].count == 4 && t.cache[1].size == 32 << 20);
	CHECK_CONTAINS(t.summary, ", L3 32M x4");
	CHECK(t.pu[0].l3 == 0 && t.pu[8].l3 == 1 && t.pu[31].l3 == 3);
	w = plan(&t, "spread", 4);
	if (w) {
		CHECK(pu_of(&t, w[0].cpu)->l3 != pu_of(&t, w[2].cpu)->l3);
		CHECK(w[0].package != w[1].package && w[0].package == w[2].package);
		CHECK(DISTINCT(w, 4, core, t.ncore) == 4);
	}
	free(w);
	mmt_topo_free(&t);
}

static void test_parse_errors(void)
{
	static const char *const bad[] = {"percore", "",	"cpus=",   "cpus=a",  "cpus=3-1",
					  "cpus=1,", "cpus=1-", "cpus=-1", "cpus=0;1"};
	struct mmt_placement p;
	char err[256];
	size_t i;

	for (i = 0; i < MMT_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK_MSG(mmt_placement_parse(bad[i], &p, err, sizeof(err)) == -EINVAL, "'%s'",
			  bad[i]);
		CHECK_CONTAINS(err, bad[i]);
		CHECK_CONTAINS(
			err, "valid: per-core, per-node, per-package, compact, spread, cpus=LIST");
	}
	CHECK(mmt_placement_parse("cpus=0-5000", &p, err, sizeof(err)) == -E2BIG);
	CHECK(mmt_placement_parse("cpus=0-3,8,10-11", &p, err, sizeof(err)) == 0);
	CHECK(p.ncpus == 7 && p.cpus[4] == 8 && p.cpus[6] == 11);
	CHECK(mmt_placement_parse("spread", &p, err, sizeof(err)) == 0);
	CHECK(p.policy == MMT_PLACE_SPREAD);
}

static void test_load_errors(void)
{
	struct mmt_topo t;
	char err[256];
	int ret;

	ret = mmt_topo_load(&t, "/nonexistent/topo.xml", err, sizeof(err));
	CHECK(ret < 0);
	CHECK_CONTAINS(err, "/nonexistent/topo.xml");
	if (!HAVE_HWLOC)
		return;
	CHECK(ret == -ENOENT);
	CHECK(mmt_topo_load(&t, "pack:x core:2", err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "pack:x core:2");
}

/* An XML file written by hwloc from a synthetic topology reads back the same. */
static void test_xml(void)
{
#if HAVE_HWLOC
	char path[] = "/tmp/mmt-topo-XXXXXX";
	struct mmt_topo syn, xml;
	char err[256];
	int fd;

	if (load_synthetic(&syn, SYN_128))
		return;
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK(hwloc_topology_export_xml(syn.hw, path, 0) == 0);
	CHECK_MSG(mmt_topo_load(&xml, path, err, sizeof(err)) == 0, "%s", err);
	CHECK(xml.synthetic == 1 && xml.npu == 128 && xml.ncore == 64 && xml.nnode == 4);
	CHECK_STR(xml.summary, syn.summary);
	CHECK(xml.pu[77].os == syn.pu[77].os && xml.pu[77].node == syn.pu[77].node);
	unlink(path);
	mmt_topo_free(&xml);
	mmt_topo_free(&syn);
#endif
}

static int only_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) != 1)
		return 0;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			return i == cpu;
	return 0;
}

/*
 * What get_mempolicy says is in force: MPOL_BIND to node only, or not. A kernel
 * built without NUMA, and qemu-user, answer ENOSYS: there is no policy to check, and
 * mmt_bind_self() accepts that on a one-node machine.
 */
static int bound_to(int node, int nnode)
{
	enum { BITS = 8 * sizeof(unsigned long) };
	unsigned long mask[1024 / BITS] = {0};
	int mode = -1, i;

	if (node < 0 || node >= 1024)
		return 0;
	if (syscall(SYS_get_mempolicy, &mode, mask, 1025, NULL, 0) < 0) {
		if (errno == ENOSYS && nnode <= 1) {
			fprintf(stderr,
				"note: no memory policies here (ENOSYS): binding unchecked\n");
			return 1;
		}
		return 0;
	}
	for (i = 0; i < 1024; i++)
		if (!!(mask[i / BITS] & (1UL << (i % BITS))) != (i == node))
			return 0;
	return (mode & 0xff) == MPOL_BIND;
}

/* In a child: bind to the last PU and its node, and see it in force. */
static int bind_child(const struct mmt_topo *t)
{
	const struct mmt_pu *last = &t->pu[t->npu - 1];
	struct mmt_where where = {last->os, last->core, last->package, last->node_os}, applied;
	int ret;

	check_failures = 0; /* the parent's, copied by fork */
	ret = mmt_bind_self(t, &where, &applied);
	CHECK_MSG(ret == 0, "bind to cpu %d node %d: %s", where.cpu, where.node, strerror(-ret));
	if (ret)
		return 1;
	CHECK_MSG(applied.cpu == where.cpu, "on cpu %d, want %d", applied.cpu, where.cpu);
	CHECK(applied.core == where.core && applied.package == where.package);
	CHECK_MSG(applied.node == where.node, "on node %d, want %d", applied.node, where.node);
	CHECK(only_cpu(where.cpu));
	CHECK_MSG(bound_to(where.node, t->nnode), "memory not bound to node %d", where.node);
	return check_done();
}

static void test_machine(void)
{
	struct mmt_topo t;
	struct mmt_where *w;
	char err[256];
	int ret, status;
	pid_t pid;

	ret = mmt_topo_load(&t, NULL, err, sizeof(err));
	CHECK_MSG(ret == 0, "load this machine: %s", err);
	if (ret)
		return;
	CHECK(t.npu >= 1 && t.ncore >= 1 && t.npackage >= 1 && t.nnode >= 1);
	CHECK(!t.synthetic);
	CHECK_CONTAINS(t.summary, " PU");
	w = plan(&t, "per-core", t.ncore);
	if (w)
		CHECK(DISTINCT(w, t.ncore, core, t.ncore) == t.ncore);
	free(w);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(bind_child(&t));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	mmt_topo_free(&t);
}

int main(void)
{
	if (!HAVE_HWLOC)
		fprintf(stderr, "note: built without hwloc: synthetic and XML checks skipped\n");
	test_parse_errors();
	test_load_errors();
	test_synthetic_128();
	test_synthetic_1024();
	test_caches();
	test_xml();
	test_machine();
	return check_done();
}

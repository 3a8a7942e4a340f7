// SPDX-License-Identifier: GPL-2.0
#include "thp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int mmt_thp_pmd_size(int64_t *pmd)
{
	char buf[64];
	int r = mmt_sysfs_read(MMT_THP_SYSFS "/hpage_pmd_size", buf, sizeof(buf));

	if (r < 0)
		return r;
	return mmt_parse_int(buf, pmd);
}

int mmt_thp_size(int64_t size, size_t *out)
{
	int64_t pmd;
	int r;

	if (size) {
		*out = (size_t)size;
		return 0;
	}
	r = mmt_thp_pmd_size(&pmd);
	if (!r)
		*out = (size_t)pmd;
	return r;
}

static int size_knob(int64_t size, char *path, size_t len)
{
	return snprintf(path, len, MMT_THP_SYSFS "/hugepages-%lldkB/enabled",
			(long long)(size >> 10));
}

/* Every mTHP size the kernel offers, for the skip reason. */
static void list_sizes(char *buf, size_t len)
{
	char path[128];
	size_t off = 0;
	int64_t s;

	buf[0] = '\0';
	for (s = 8 << 10; s <= (1ll << 30) && off < len; s <<= 1) {
		size_knob(s, path, sizeof(path));
		if (!access(path, F_OK))
			off += (size_t)snprintf(buf + off, len - off, "%s%lldK", off ? " " : "",
						(long long)(s >> 10));
	}
}

static int is_one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

/* Leave a size's knob alone if it already says what we need; else set it. */
static int ensure_knob(struct mmt_env *env, const char *path, const char *const *ok,
		       const char *set, char *reason, size_t len)
{
	char raw[128], cur[32];
	int r = mmt_sysfs_read(path, raw, sizeof(raw));

	if (r < 0)
		return snprintf(reason, len, "cannot read %s: %s", path, strerror(-r)), MMT_SKIP;
	mmt_sysfs_current(raw, cur, sizeof(cur));
	if (is_one_of(cur, ok))
		return 0;
	if (!env->is_root)
		return snprintf(reason, len, "needs root to set %s to %s", path, set), MMT_SKIP;
	r = mmt_sysfs_write(env->journal, path, set);
	if (r)
		return snprintf(reason, len, "writing %s: %s", path, strerror(-r)), MMT_SKIP;
	return 0;
}

/* The top level is on (checked first), so "inherit" means on. */
static const char *const knob_on[] = {"always", "madvise", "inherit", NULL};
static const char *const knob_off[] = {"never", NULL};

int mmt_thp_prepare(struct mmt_env *env, int64_t size, int64_t region, char *reason, size_t len)
{
	char raw[128], cur[32], path[128], sizes[256];
	int64_t pmd, want, s;
	int r;

	if (mmt_sysfs_read(MMT_THP_SYSFS "/enabled", raw, sizeof(raw)) < 0)
		return snprintf(reason, len, "kernel has no THP (%s missing)", MMT_THP_SYSFS),
		       MMT_SKIP;
	mmt_sysfs_current(raw, cur, sizeof(cur));
	if (!strcmp(cur, "never"))
		return snprintf(reason, len, "THP disabled (%s/enabled = never)", MMT_THP_SYSFS),
		       MMT_SKIP;
	if (mmt_thp_pmd_size(&pmd))
		return snprintf(reason, len, "cannot read %s/hpage_pmd_size", MMT_THP_SYSFS),
		       MMT_SKIP;
	want = size ? size : pmd;
	size_knob(want, path, sizeof(path));
	if (want != pmd && access(path, F_OK)) {
		list_sizes(sizes, sizeof(sizes));
		return snprintf(reason, len, "thp_size=%lldK not offered by this kernel; sizes: %s",
				(long long)(want >> 10), sizes[0] ? sizes : "PMD only"),
		       MMT_SKIP;
	}
	if (region < want)
		return snprintf(reason, len,
				"the region (%lld bytes) is smaller than one THP (%lld)",
				(long long)region, (long long)want),
		       MMT_SKIP;
	/* Exactly one THP size in force, so the workload has the shape asked for. */
	for (s = 8 << 10; s <= pmd; s <<= 1) {
		size_knob(s, path, sizeof(path));
		if (access(path, F_OK))
			continue;
		r = ensure_knob(env, path, s == want ? knob_on : knob_off,
				s == want ? "madvise" : "never", reason, len);
		if (r)
			return r;
	}
	return 0;
}

/* AnonHugePages of the VMA holding base in /proc/self/smaps: PMD-mapped THPs only. */
static double coverage_smaps(const void *base, size_t len)
{
	unsigned long lo, hi, kb;
	char line[256];
	double pct = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = lo <= (uintptr_t)base && (uintptr_t)base < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			pct = 100.0 * (double)kb * 1024 / (double)len;
			break;
		}
	}
	fclose(f);
	return pct > 100 ? 100 : pct;
}

/* Pages of large folios, from the PFNs in pagemap and KPF_THP in kpageflags. */
static double coverage_kpageflags(const void *base, size_t len, long pagesz)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	size_t i, n = len / (size_t)pagesz;
	uint64_t e, fl, pfn, thp = 0;
	double pct = -1;

	if (pm < 0 || kf < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (pread(pm, &e, 8, (off_t)(((uintptr_t)base / (size_t)pagesz + i) * 8)) != 8)
			goto out;
		pfn = e & ((1ull << 55) - 1);
		if (!(e >> 63) || !pfn || pread(kf, &fl, 8, (off_t)(pfn * 8)) != 8)
			continue;
		thp += (fl >> 22) & 1; /* KPF_THP */
	}
	pct = 100.0 * (double)thp / (double)n;
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return pct;
}

double mmt_thp_coverage(const void *base, size_t len, size_t hp, long pagesz)
{
	int64_t pmd = 0;

	(void)mmt_thp_pmd_size(&pmd);
	if ((int64_t)hp == pmd)
		return coverage_smaps(base, len);
	return coverage_kpageflags(base, len, pagesz);
}

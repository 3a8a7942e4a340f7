// SPDX-License-Identifier: GPL-2.0
/*
 * The run record on this machine, the VA-bits probe, taint letters, and
 * vmstat diffs: synthetic snapshots, then a real 64 MiB of page faults.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"
#include "config.h"
#include "sysinfo.h"

#define TOUCH_SIZE (64UL << 20)

static char *cpuinfo(void)
{
	static char buf[1 << 20];
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* 1 when the x86 "flags" line lists la57; 0 when it does not; -1 without flags. */
static int cpu_has_la57(void)
{
	char *info = cpuinfo(), *flags, *nl;

	if (!info || !(flags = strstr(info, "\nflags")))
		return -1;
	nl = strchr(flags + 1, '\n');
	if (nl)
		*nl = '\0';
	return strstr(flags, " la57") != NULL;
}

static void free_info(struct mmt_run_info *ri)
{
	free(ri->thp_json);
	free(ri->cmdline);
}

static void check_thp(const struct mmt_run_info *ri)
{
	struct json_object *obj = json_tokener_parse(ri->thp_json), *v;

	CHECK_MSG(obj && json_object_is_type(obj, json_type_object), "thp_json '%s'", ri->thp_json);
	if (!obj)
		return;
	if (!access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK)) {
		CHECK(json_object_object_get_ex(obj, "enabled", &v));
		/* The bracketed choice, not the whole list. */
		CHECK_MSG(v && !strchr(json_object_get_string(v), '['), "enabled = '%s'",
			  v ? json_object_get_string(v) : "");
		CHECK(json_object_object_get_ex(obj, "khugepaged/scan_sleep_millisecs", &v));
	} else {
		CHECK_STR(ri->thp_json, "{}");
	}
	if (!access("/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled", R_OK)) {
		CHECK(json_object_object_get_ex(obj, "hugepages-64kB/enabled", &v));
		CHECK(!json_object_object_get_ex(obj, "hugepages-64kB/stats/anon_fault_alloc", &v));
	}
	json_object_put(obj);
}

/* One value of thp_json, "" when absent. */
static const char *thp_get(const char *json, const char *key, char *out, size_t len)
{
	struct json_object *obj = json_tokener_parse(json), *v;

	out[0] = '\0';
	if (obj && json_object_object_get_ex(obj, key, &v))
		snprintf(out, len, "%s", json_object_get_string(v));
	json_object_put(obj);
	return out;
}

static int is_hex16(const char *s)
{
	int i;

	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[16] == '\0';
}

static void check_config(const struct mmt_run_info *a, const struct mmt_run_info *b)
{
	if (HAVE_ZLIB && !access("/proc/config.gz", R_OK)) {
		CHECK_MSG(is_hex16(a->config_hash), "config_hash '%s'", a->config_hash);
		CHECK_STR(a->config_source, "/proc/config.gz");
	}
	CHECK_STR(a->config_hash, b->config_hash);
	CHECK_STR(a->config_source, b->config_source);
	if (!a->config_hash[0])
		CHECK_STR(a->config_source, "");
}

static void test_collect(void)
{
	struct mmt_run_info a = {0}, b = {0};
	char va[64], vb[64];
	struct utsname u;
	int r, la57;

	r = mmt_sysinfo_collect(&a);
	CHECK_MSG(!r, "collect: %s", strerror(-r));
	if (r)
		return;
	CHECK(a.page_size == sysconf(_SC_PAGESIZE));
	CHECK(!uname(&u));
	CHECK(a.arch[0] != '\0');
	CHECK_STR(a.arch, u.machine);
	CHECK_STR(a.kernel_release, u.release);
	CHECK_MSG(a.va_bits >= 39, "va_bits %d", a.va_bits);
	la57 = cpu_has_la57();
	if (!strcmp(u.machine, "x86_64") && la57 == 0)
		CHECK_MSG(a.va_bits == 47, "va_bits %d on 4-level x86_64", a.va_bits);
	check_thp(&a);
	CHECK(a.cmdline != NULL);
	CHECK(a.cmdline && !strchr(a.cmdline, '\n'));
	CHECK(a.cpu_model[0] != '\0');
	CHECK(a.hostname[0] != '\0');
	CHECK(a.virt[0] != '\0');
	if (la57 >= 0)
		CHECK_MSG(!strcmp(a.virt, "hypervisor") || !strcmp(a.virt, "none"), "virt '%s'",
			  a.virt);
	/* Fields the runner owns stay as they were. */
	CHECK(a.uuid[0] == '\0' && a.seed == 0 && a.profile[0] == '\0' && !a.argv);

	r = mmt_sysinfo_collect(&b);
	CHECK_MSG(!r, "second collect: %s", strerror(-r));
	if (!r) {
		check_config(&a, &b);
		CHECK(a.va_bits == b.va_bits);
		/* Settings only: counters such as khugepaged/full_scans may tick. */
		CHECK_STR(thp_get(a.thp_json, "enabled", va, sizeof(va)),
			  thp_get(b.thp_json, "enabled", vb, sizeof(vb)));
	}
	free_info(&a);
	free_info(&b);
}

/* /proc/self/maps into buf, without allocating (which could add a mapping). */
static void read_maps(char *buf, size_t len)
{
	ssize_t n, off = 0;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd >= 0) {
		while ((n = read(fd, buf + off, len - 1 - (size_t)off)) > 0)
			off += n;
		close(fd);
	}
	buf[off] = '\0';
}

static void test_va_bits(void)
{
	static char before[1 << 16], after[1 << 16];
	int bits;

	read_maps(before, sizeof(before));
	bits = mmt_probe_va_bits();
	read_maps(after, sizeof(after));
	CHECK_MSG(bits >= 39 && bits <= 64, "va_bits %d", bits);
	/* The probe ran in a child: our own address space is untouched. */
	CHECK(before[0] && !strcmp(before, after));
}

static void test_taint(void)
{
	char buf[128];
	uint64_t t;

	CHECK(!mmt_taint_read(&t));
	mmt_taint_letters(0, buf, sizeof(buf));
	CHECK_STR(buf, "");
	mmt_taint_letters(1 << 9, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "W");
	mmt_taint_letters(1 << 9 | 1 << 12, buf, sizeof(buf));
	CHECK_STR(buf, "W O");
	mmt_taint_letters(1, buf, sizeof(buf));
	CHECK_STR(buf, "P");
	mmt_taint_letters(1 << 19 | 1ULL << 63, buf, sizeof(buf));
	CHECK_STR(buf, "J ?63");
	/* A short buffer stays terminated. */
	mmt_taint_letters(0xfffff, buf, 4);
	CHECK(strlen(buf) < 4);
}

static uint64_t vm_get(const struct mmt_vmstat *v, const char *key)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->key[i], key))
			return v->val[i];
	return UINT64_MAX;
}

static int64_t delta_get(const struct mmt_vmstat_delta *d, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(d[i].key, key))
			return d[i].delta;
	return 0;
}

static int delta_has(const struct mmt_vmstat_delta *d, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(d[i].key, key))
			return 1;
	return 0;
}

/* Keys out of order, a key in one snapshot only, a gauge that went down. */
static void test_diff_synthetic(void)
{
	char bk[][64] = {"pgfault", "nr_anon_pages", "thp_split_pmd", "pgmajfault", "nr_dirty"};
	uint64_t bv[] = {100, 500, 7, 3, 10};
	char ak[][64] = {"nr_anon_pages", "pgfault", "thp_fault_alloc", "pgmajfault", "nr_dirty"};
	uint64_t av[] = {400, 150, 2, 3, 99};
	struct mmt_vmstat before = {5, bk, bv}, after = {5, ak, av};
	struct mmt_vmstat_delta *d = NULL;
	int n = -1;

	CHECK(!mmt_vmstat_diff(&before, &after, &d, &n));
	CHECK(n == 2);
	CHECK(delta_get(d, n, "pgfault") == 50);
	CHECK(delta_get(d, n, "nr_anon_pages") == -100);
	CHECK(!delta_has(d, n, "pgmajfault")); /* unchanged */
	CHECK(!delta_has(d, n, "nr_dirty")); /* not an mm counter we report */
	CHECK(!delta_has(d, n, "thp_fault_alloc")); /* only in one snapshot */
	CHECK(!delta_has(d, n, "thp_split_pmd"));
	free(d);
}

/* The largest folio an anonymous fault may get without madvise, from thp_json. */
static long max_fault_size(const char *thp, long page_size)
{
	struct json_object *obj = json_tokener_parse(thp), *v;
	const char *top = "never";
	long max = page_size;

	if (!obj)
		return page_size;
	if (json_object_object_get_ex(obj, "enabled", &v))
		top = json_object_get_string(v);
	if (!strcmp(top, "always") && json_object_object_get_ex(obj, "hpage_pmd_size", &v))
		max = atol(json_object_get_string(v));
	json_object_object_foreach(obj, key, val)
	{
		long kb;
		const char *s = json_object_get_string(val);

		if (sscanf(key, "hugepages-%ldkB/enabled", &kb) != 1 || !strchr(key, '/') ||
		    strcmp(strchr(key, '/'), "/enabled"))
			continue;
		if ((!strcmp(s, "always") || (!strcmp(s, "inherit") && !strcmp(top, "always"))) &&
		    kb * 1024 > max)
			max = kb * 1024;
	}
	json_object_put(obj);
	return max;
}

static void test_diff_real(void)
{
	struct mmt_vmstat before, after;
	struct mmt_vmstat_delta *d = NULL;
	struct mmt_run_info ri = {0};
	long ps = sysconf(_SC_PAGESIZE), fault_size;
	volatile char *p;
	size_t off;
	int n, r;

	r = mmt_sysinfo_collect(&ri);
	CHECK_MSG(!r, "collect: %s", strerror(-r));
	fault_size = r ? ps : max_fault_size(ri.thp_json, ps);
	free_info(&ri);

	CHECK(!mmt_vmstat_read(&before));
	CHECK(before.n > 50);
	CHECK(vm_get(&before, "pgfault") != UINT64_MAX);
	CHECK(vm_get(&before, "thp_fault_alloc") != UINT64_MAX);

	p = mmap(NULL, TOUCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	for (off = 0; off < TOUCH_SIZE; off += (size_t)ps)
		p[off] = 1;
	CHECK(!mmt_vmstat_read(&after));
	munmap((void *)p, TOUCH_SIZE);

	CHECK(!mmt_vmstat_diff(&before, &after, &d, &n));
	/* Only THP set to "always" somewhere could satisfy it in fewer faults. */
	CHECK_MSG(delta_get(d, n, "pgfault") >= (int64_t)(TOUCH_SIZE / (size_t)fault_size),
		  "pgfault +%lld for %lu faults of %ld bytes",
		  (long long)delta_get(d, n, "pgfault"), TOUCH_SIZE / (size_t)fault_size,
		  fault_size);
	CHECK(!delta_has(d, n, "nr_free_pages"));
	free(d);
	mmt_vmstat_free(&before);
	mmt_vmstat_free(&after);
	CHECK(before.n == 0 && !before.key);
}

int main(void)
{
	test_collect();
	test_va_bits();
	test_taint();
	test_diff_synthetic();
	test_diff_real();
	return check_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The facts that make a run reproducible (kernel, config, THP settings, VA
 * size, CPU), the taint word, and the /proc/vmstat counters a job diffs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "fnv.h"
#include "journal.h"
#include "mmt.h"
#include "sysinfo.h"
#include "vabits.h"

#if HAVE_ZLIB
#include <zlib.h>
#endif

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define VA_PROBE_TIMEOUT_MS 5000

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A whole (proc) file, NUL-terminated; its size is not known up front. */
static int slurp(const char *path, char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd, r = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	for (;;) {
		if (cap - len < 2) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r)
		goto fail;
	buf[len] = '\0';
	*out = buf;
	if (outlen)
		*outlen = len;
	return 0;
fail:
	free(buf);
	return r;
}

/* ---- THP settings ---- */

static int thp_add(struct json_object *obj, const char *key, const char *path)
{
	char raw[512], val[512];
	struct json_object *s;

	/* Write-only or vanished attributes are simply not recorded. */
	if (mmt_sysfs_read(path, raw, sizeof(raw)) < 0 || mmt_sysfs_current(raw, val, sizeof(val)))
		return 0;
	s = json_object_new_string(val);
	if (!s)
		return -ENOMEM;
	if (json_object_object_add(obj, key, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

/* a sep b, or -ENAMETOOLONG (sysfs names are short: never in practice). */
static int join(char *out, size_t len, const char *a, const char *sep, const char *b)
{
	int n = snprintf(out, len, "%s%s%s", a, sep, b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * hugepages-<size>/ holds a stats/ dir too: only the two policies matter
 * (8kB has no "enabled": anonymous memory never uses order 1).
 */
static int thp_mthp(struct json_object *obj, const char *dir, const char *prefix)
{
	static const char *const files[] = {"enabled", "shmem_enabled"};
	char path[PATH_MAX], key[256];
	size_t i;
	int r = 0;

	for (i = 0; !r && i < MMT_ARRAY_SIZE(files); i++) {
		r = join(path, sizeof(path), dir, "/", files[i]) ?:
			    join(key, sizeof(key), prefix, "/", files[i]) ?:
				    thp_add(obj, key, path);
	}
	return r;
}

/*
 * Every attribute of dir, keyed "<prefix><name>", and one level of
 * subdirectories when recurse is set. Sorted (8kB before 16kB) so runs compare
 * key by key.
 */
static int thp_walk(struct json_object *obj, const char *dir, const char *prefix, int recurse)
{
	char path[PATH_MAX], key[256];
	struct dirent **ents;
	int i, n, r = 0;

	n = scandir(dir, &ents, NULL, versionsort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (r || name[0] == '.')
			continue;
		r = join(path, sizeof(path), dir, "/", name)
			    ?: join(key, sizeof(key), prefix, "", name);
		if (r)
			continue;
		if (ents[i]->d_type == DT_REG)
			r = thp_add(obj, key, path);
		else if (ents[i]->d_type == DT_DIR && recurse && !strncmp(name, "hugepages-", 10))
			r = thp_mthp(obj, path, key);
		else if (ents[i]->d_type == DT_DIR && recurse)
			r = join(key, sizeof(key), prefix, name, "/")
				    ?: thp_walk(obj, path, key, 0);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return r;
}

static int thp_json(char **out)
{
	struct json_object *obj = json_object_new_object();
	int r;

	if (!obj)
		return -ENOMEM;
	r = thp_walk(obj, THP_DIR, "", 1);
	if (r == -ENOENT)
		r = 0;
	if (!r) {
		/* Keys hold slashes ("khugepaged/defrag"); "\/" would only obscure them. */
		*out = strdup(json_object_to_json_string_ext(
			obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (!*out)
			r = -ENOMEM;
	}
	json_object_put(obj);
	return r;
}

/* ---- kernel config ---- */

#if HAVE_ZLIB
/* gzread also reads an uncompressed file as is. */
static int hash_gz(const char *path, uint64_t *hash)
{
	unsigned char buf[65536];
	uint64_t h = MMT_FNV64_OFFSET;
	gzFile gz;
	int n;

	errno = 0;
	gz = gzopen(path, "rb");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		h = mmt_fnv1a64(h, buf, (size_t)n);
	gzclose(gz);
	if (n < 0)
		return -EIO;
	*hash = h;
	return 0;
}
#endif

static int hash_plain(const char *path, uint64_t *hash)
{
	size_t len;
	char *buf;
	int r = slurp(path, &buf, &len);

	if (r)
		return r;
	*hash = mmt_fnv1a64(MMT_FNV64_OFFSET, buf, len);
	free(buf);
	return 0;
}

static void config_hash(struct mmt_run_info *ri)
{
	char boot[sizeof(ri->kernel_release) + 16];
	uint64_t h;

	ri->config_hash[0] = '\0';
	ri->config_source[0] = '\0';
#if HAVE_ZLIB
	if (!hash_gz("/proc/config.gz", &h)) {
		copy_str(ri->config_source, sizeof(ri->config_source), "/proc/config.gz");
		goto found;
	}
#endif
	if (join(boot, sizeof(boot), "/boot/config-", "", ri->kernel_release) ||
	    hash_plain(boot, &h))
		return;
	copy_str(ri->config_source, sizeof(ri->config_source), boot);
#if HAVE_ZLIB
found:
#endif
	snprintf(ri->config_hash, sizeof(ri->config_hash), "%016" PRIx64, h);
}

/* ---- CPU and virtualisation ---- */

/* The value of the first "key<blanks>: value" line of /proc/cpuinfo, or NULL. */
static const char *cpuinfo_get(const char *info, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key), n;
	const char *line, *v, *nl;

	for (line = info; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (strncmp(line, key, klen))
			continue;
		v = line + klen;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != ':')
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		n = nl ? (size_t)(nl - v) : strlen(v);
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n >= len)
			n = len - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return out;
	}
	return NULL;
}

static void cpu_model(struct mmt_run_info *ri, const char *info)
{
	char a[128], b[64];

	if (info && (cpuinfo_get(info, "model name", a, sizeof(a)) ||
		     cpuinfo_get(info, "cpu", a, sizeof(a)) ||
		     cpuinfo_get(info, "vendor_id", a, sizeof(a)))) {
		copy_str(ri->cpu_model, sizeof(ri->cpu_model), a);
	} else if (info && cpuinfo_get(info, "CPU implementer", a, 64) &&
		   cpuinfo_get(info, "CPU part", b, sizeof(b))) {
		/* arm64 names no model; implementer and part identify the core. */
		snprintf(ri->cpu_model, sizeof(ri->cpu_model), "implementer %.50s part %.50s", a,
			 b);
	} else {
		copy_str(ri->cpu_model, sizeof(ri->cpu_model), ri->arch);
	}
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *s;

	for (s = strstr(list, word); s; s = strstr(s + 1, word))
		if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
			return 1;
	return 0;
}

static void virt(struct mmt_run_info *ri, const char *info)
{
	char flags[8192], type[32];

	/* Only x86 has a "flags" line, and there the CPUID bit is authoritative. */
	if (info && cpuinfo_get(info, "flags", flags, sizeof(flags))) {
		copy_str(ri->virt, sizeof(ri->virt),
			 has_word(flags, "hypervisor") ? "hypervisor" : "none");
		return;
	}
	if (mmt_sysfs_read("/sys/hypervisor/type", type, sizeof(type)) > 0)
		copy_str(ri->virt, sizeof(ri->virt), type);
	else if (!access("/proc/device-tree/hypervisor", F_OK))
		copy_str(ri->virt, sizeof(ri->virt), "hypervisor");
	else
		copy_str(ri->virt, sizeof(ri->virt), "unknown");
}

/* ---- collect ---- */

static int uname_info(struct mmt_run_info *ri)
{
	struct utsname u;

	if (uname(&u))
		return -errno;
	copy_str(ri->kernel_release, sizeof(ri->kernel_release), u.release);
	copy_str(ri->kernel_version, sizeof(ri->kernel_version), u.version);
	copy_str(ri->arch, sizeof(ri->arch), u.machine);
	return 0;
}

static int read_cmdline(struct mmt_run_info *ri)
{
	size_t len;
	int r = slurp("/proc/cmdline", &ri->cmdline, &len);

	if (r)
		return r;
	while (len && ri->cmdline[len - 1] == '\n')
		ri->cmdline[--len] = '\0';
	return 0;
}

int mmt_sysinfo_collect(struct mmt_run_info *ri)
{
	char *info = NULL;
	int r;

	r = uname_info(ri);
	if (r)
		return r;
	ri->page_size = sysconf(_SC_PAGESIZE);
	ri->va_bits = mmt_probe_va_bits();
	if (ri->va_bits < 0)
		return ri->va_bits;
	ri->thp_json = NULL;
	ri->cmdline = NULL;
	r = thp_json(&ri->thp_json);
	if (r)
		return r;
	r = read_cmdline(ri);
	if (r)
		return r;
	config_hash(ri);
	/* CPU and hypervisor are best effort: a missing cpuinfo is no error. */
	(void)slurp("/proc/cpuinfo", &info, NULL);
	cpu_model(ri, info);
	virt(ri, info);
	free(info);
	if (gethostname(ri->hostname, sizeof(ri->hostname)) && errno != ENAMETOOLONG)
		return -errno;
	ri->hostname[sizeof(ri->hostname) - 1] = '\0';
	return 0;
}

/* ---- VA bits ---- */

/*
 * Runs in the child. Two hints per size: with ASLR off the stack tops out just
 * below 1 << 47, where the first hint lands, so a quarter below is tried too.
 */
static int wait_answer(int fd, pid_t pid, int *bits)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct timespec t0, t1;
	int r, left = VA_PROBE_TIMEOUT_MS;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((r = poll(&pfd, 1, left)) < 0 && errno == EINTR) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = VA_PROBE_TIMEOUT_MS -
		       (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left < 0)
			left = 0;
	}
	if (r < 0)
		return -errno;
	if (r == 0) {
		kill(pid, SIGKILL);
		return -ETIMEDOUT;
	}
	do {
		n = read(fd, bits, sizeof(*bits));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(*bits) && *bits > 0 ? 0 : -EIO;
}

int mmt_probe_va_bits(void)
{
	int p[2], bits = 0, r, status;
	pid_t pid;

	/* A 32-bit process cannot even name a hint at 1 << 32. */
	if (sizeof(void *) < 8)
		return 32;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		bits = mmt_va_bits_by_hints();
		_exit(write(p[1], &bits, sizeof(bits)) == sizeof(bits) ? 0 : 1);
	}
	close(p[1]);
	r = wait_answer(p[0], pid, &bits);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return r ? r : bits;
}

/* ---- taint ---- */

int mmt_taint_read(uint64_t *taint)
{
	char buf[64], *end;
	int r = mmt_sysfs_read("/proc/sys/kernel/tainted", buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	*taint = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* Documentation/admin-guide/tainted-kernels.rst, bit 0 first. */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXTNJ";

void mmt_taint_letters(uint64_t taint, char *buf, size_t len)
{
	size_t o = 0;
	int b, n;

	if (!len)
		return;
	buf[0] = '\0';
	for (b = 0; b < 64; b++) {
		if (!(taint & (1ULL << b)))
			continue;
		if (b < (int)sizeof(taint_letters) - 1)
			n = snprintf(buf + o, len - o, "%s%c", o ? " " : "", taint_letters[b]);
		else
			n = snprintf(buf + o, len - o, "%s?%d", o ? " " : "", b);
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
	}
}

/* ---- vmstat ---- */

void mmt_vmstat_free(struct mmt_vmstat *v)
{
	free(v->key);
	free(v->val);
	v->key = NULL;
	v->val = NULL;
	v->n = 0;
}

static int vmstat_parse(struct mmt_vmstat *v, char *text)
{
	char *line, *save = NULL, key[64];
	unsigned long long val;
	int cap = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %llu", key, &val) != 2)
			continue;
		if (v->n == cap) {
			char(*k)[64];
			uint64_t *nv;

			cap = cap ? cap * 2 : 256;
			k = realloc(v->key, sizeof(*k) * (size_t)cap);
			if (!k)
				return -ENOMEM;
			v->key = k;
			nv = realloc(v->val, sizeof(*nv) * (size_t)cap);
			if (!nv)
				return -ENOMEM;
			v->val = nv;
		}
		copy_str(v->key[v->n], sizeof(v->key[v->n]), key);
		v->val[v->n++] = val;
	}
	return 0;
}

int mmt_vmstat_read(struct mmt_vmstat *v)
{
	char *text;
	int r;

	v->n = 0;
	v->key = NULL;
	v->val = NULL;
	r = slurp("/proc/vmstat", &text, NULL);
	if (r)
		return r;
	r = vmstat_parse(v, text);
	free(text);
	if (r)
		mmt_vmstat_free(v);
	return r;
}

/* The memory-management counters (and gauges) worth reporting per job. */
static const char *const vmstat_prefixes[] = {
	"thp_",
	"pgfault",
	"pgmajfault",
	"pgmigrate_",
	"compact_",
	"numa_",
	"oom_kill",
	"pswpin",
	"pswpout",
	"pgalloc_",
	"pgfree",
	"pgsteal_",
	"pgscan_",
	"pgdemote_",
	"pgpromote_",
	"allocstall_",
	"pglazyfree",
	"pgreuse",
	"htlb_",
	"zone_reclaim_",
	"kcompactd",
	"khugepaged",
	"direct_map",
	"ksm_",
	"cow_ksm",
	"swap_ra",
	"nr_anon_transparent_hugepages",
	"nr_shmem_hugepages",
	"nr_file_hugepages",
	"nr_anon_pages",
	"nr_mapped",
};

static int vmstat_wanted(const char *key)
{
	size_t i;

	for (i = 0; i < MMT_ARRAY_SIZE(vmstat_prefixes); i++)
		if (!strncmp(key, vmstat_prefixes[i], strlen(vmstat_prefixes[i])))
			return 1;
	return 0;
}

static int vmstat_find(const struct mmt_vmstat *v, const char *key, int hint)
{
	int i;

	/* Both snapshots usually list keys in the same order: try there first. */
	if (hint < v->n && !strcmp(v->key[hint], key))
		return hint;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->key[i], key))
			return i;
	return -1;
}

int mmt_vmstat_diff(const struct mmt_vmstat *before, const struct mmt_vmstat *after,
		    struct mmt_vmstat_delta **out, int *n)
{
	struct mmt_vmstat_delta *d;
	int i, j, k = 0;

	d = calloc((size_t)(after->n ? after->n : 1), sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (i = 0; i < after->n; i++) {
		int64_t delta;

		if (!vmstat_wanted(after->key[i]))
			continue;
		/* A key only one snapshot has tells nothing about the job. */
		j = vmstat_find(before, after->key[i], i);
		if (j < 0)
			continue;
		delta = (int64_t)(after->val[i] - before->val[j]);
		if (!delta)
			continue;
		copy_str(d[k].key, sizeof(d[k].key), after->key[i]);
		d[k++].delta = delta;
	}
	*out = d;
	*n = k;
	return 0;
}

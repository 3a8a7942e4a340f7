// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel cache without the network: SPEC parsing, bounded children
 * (a timeout kills the whole group), every decompressor against its library's
 * own compressor, vmlinux found inside a made-up bzImage, module load order
 * from synthetic modules' .modinfo (plain and .ko.xz), the guest set's pruning,
 * and meta.json read back through list and resolve.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "decomp.h"
#include "proc.h"
#include "vm_cache.h"
#include "vm_internal.h"

static char tmp[] = "/tmp/mmt-test-vm.XXXXXX";

static void specs(void)
{
	struct mmt_kspec ks;
	char err[1024];

	CHECK(!mmt_kspec_parse("linux-image-6.1.0-56-amd64", &ks, err, sizeof(err)));
	CHECK(ks.kind == MMT_KSPEC_RELEASE);
	CHECK_STR(ks.release, "6.1.0-56-amd64");
	CHECK_STR(ks.package, "linux-image-6.1.0-56-amd64");
	CHECK_STR(ks.flavour->debarch, "amd64");
	CHECK(!mmt_kspec_parse("6.1.0-56-rt-amd64", &ks, err, sizeof(err)));
	CHECK_STR(ks.flavour->name, "rt-amd64");
	CHECK(!mmt_kspec_parse("6.12.117+deb12-cloud-amd64", &ks, err, sizeof(err)));
	CHECK_STR(ks.flavour->name, "cloud-amd64");
	CHECK_STR(ks.package, "linux-image-6.12.117+deb12-cloud-amd64");
	CHECK(!mmt_kspec_parse("6.12-amd64", &ks, err, sizeof(err)));
	CHECK(ks.kind == MMT_KSPEC_NEWEST);
	CHECK_STR(ks.series, "6.12");
	CHECK(!mmt_kspec_parse("6.1.0-50-powerpc64le", &ks, err, sizeof(err)));
	CHECK_STR(ks.flavour->debarch, "ppc64el");
	CHECK_STR(ks.flavour->qemu_arch, "ppc64");
	CHECK(!mmt_kspec_parse("6.1.0-50-s390x", &ks, err, sizeof(err)));
	CHECK(ks.flavour->elf_machine == EM_S390);
	CHECK(!mmt_kspec_parse("6.1.0-50-arm64", &ks, err, sizeof(err)));
	CHECK_STR(ks.flavour->qemu_arch, "aarch64");
	/* The unsigned twin is its own package, the same release. */
	CHECK(!mmt_kspec_parse("linux-image-6.1.0-56-amd64-unsigned", &ks, err, sizeof(err)));
	CHECK_STR(ks.release, "6.1.0-56-amd64");
	CHECK_STR(ks.package, "linux-image-6.1.0-56-amd64-unsigned");
	CHECK(!mmt_kspec_parse("host", &ks, err, sizeof(err)) || strstr(err, "no QEMU guest"));

	CHECK(mmt_kspec_parse("6.1.0-56-amd65", &ks, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "unknown flavour");
	CHECK_CONTAINS(err, "flavours: amd64 rt-amd64");
	CHECK(mmt_kspec_parse("linux-image-6.12-amd64", &ks, err, sizeof(err)) == -EINVAL);
	CHECK(mmt_kspec_parse("6-amd64", &ks, err, sizeof(err)) == -EINVAL);
	CHECK(mmt_kspec_parse("6.1.0-x-amd64", &ks, err, sizeof(err)) == -EINVAL);
	CHECK(mmt_kspec_parse("", &ks, err, sizeof(err)) == -EINVAL);
	CHECK(mmt_kspec_parse("debian", &ks, err, sizeof(err)) == -EINVAL);
	CHECK_CONTAINS(err, "X.Y-FLAVOUR");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Running, as opposed to gone or a zombie waiting for whoever reaps orphans. */
static int alive(pid_t pid)
{
	char path[64], stat[256], *paren;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	stat[0] = '\0';
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = '\0';
	fclose(f);
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static void procs(void)
{
	const char *echo[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	/* A grandchild that would outlive its parent: the timeout must take it too. */
	const char *hang[] = {"sh", "-c", "sleep 60 & echo $!; wait", NULL};
	const char *none[] = {"/nonexistent/tool", NULL};
	char out[64], err[64];
	struct mmt_proc p = {.argv = echo,
			     .timeout_ms = 10000,
			     .out = out,
			     .outlen = sizeof(out),
			     .err = err,
			     .errlen = sizeof(err)};
	double t0;
	pid_t gc;

	CHECK(mmt_proc_run(&p) == 3);
	CHECK_STR(out, "out\n");
	CHECK_STR(err, "err\n");
	p.argv = hang;
	p.timeout_ms = 300;
	t0 = now();
	CHECK(mmt_proc_run(&p) == -ETIMEDOUT);
	CHECK(now() - t0 < 3);
	gc = (pid_t)atoi(out);
	CHECK(gc > 0);
	usleep(100 * 1000);
	CHECK_MSG(gc > 0 && !alive(gc), "grandchild %d outlived the timeout", (int)gc);
	CHECK(mmt_proc_simple(none, 1000, NULL, 0) == 127);
}

/* 3 MiB that compress well but are not all one byte. */
static unsigned char *sample(size_t *len)
{
	unsigned char *b = malloc(3 << 20);
	size_t i;

	for (i = 0; i < (3u << 20); i++)
		b[i] = (unsigned char)(i * 7 / 4096 + (i % 13 == 0));
	*len = 3 << 20;
	return b;
}

/* Compressed with each library's own encoder, into a malloc'd buffer with room after. */
static unsigned char *pack(enum mmt_comp c, const unsigned char *in, size_t len, size_t *out)
{
	size_t cap = len + (1 << 20);
	unsigned char *b = malloc(cap + 64);
	size_t pos = 0;

	if (c == MMT_COMP_XZ) {
		lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, in, len, b, &pos, cap);
	} else if (c == MMT_COMP_ZSTD) {
		pos = ZSTD_compress(b, cap, in, len, 3);
	} else if (c == MMT_COMP_GZIP) {
		z_stream z = {
			.next_in = (Bytef *)in, .avail_in = len, .next_out = b, .avail_out = cap};

		deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		deflate(&z, Z_FINISH);
		pos = z.total_out;
		deflateEnd(&z);
	} else if (c == MMT_COMP_LZ4) { /* the legacy frame, in 8 MiB blocks: here one */
		int n = LZ4_compress_default((const char *)in, (char *)b + 8, len, cap - 8);

		memcpy(b, "\x02\x21\x4c\x18", 4);
		b[4] = n & 0xff, b[5] = n >> 8 & 0xff, b[6] = n >> 16 & 0xff, b[7] = n >> 24;
		pos = 8 + n;
	}
	*out = pos;
	return b;
}

static void decompressors(void)
{
	static const enum mmt_comp cs[] = {MMT_COMP_XZ, MMT_COMP_ZSTD, MMT_COMP_GZIP, MMT_COMP_LZ4};
	size_t len, clen, olen, i;
	unsigned char *in = sample(&len);
	void *out;

	for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		unsigned char *c = pack(cs[i], in, len, &clen);

		CHECK(mmt_comp_detect(c, clen) == cs[i]);
		/* Trailing bytes (a bzImage's tail) are not part of the stream. */
		memcpy(c + clen, "\x00\x00\x30\x00trailing", 12);
		CHECK_MSG(!mmt_decompress(cs[i], c, clen + 12, 1 << 30, NULL, 0, &out, &olen), "%s",
			  mmt_comp_name(cs[i]));
		CHECK_MSG(olen == len && !memcmp(out, in, len), "%s round trip",
			  mmt_comp_name(cs[i]));
		free(out);
		/* A prefix the output does not have stops it early. */
		CHECK(mmt_decompress(cs[i], c, clen, 1 << 30,
				     "\x7f"
				     "ELF",
				     4, &out, &olen) == -ENOEXEC);
		if (cs[i] != MMT_COMP_LZ4) /* its frame has no end to miss */
			CHECK_MSG(mmt_decompress(cs[i], c, clen / 2, 1 << 30, NULL, 0, &out,
						 &olen) == -EBADMSG,
				  "%s truncated", mmt_comp_name(cs[i]));
		free(c);
	}
	CHECK(mmt_decompress(MMT_COMP_BZIP2, "BZh9", 4, 1 << 20, NULL, 0, &out, &olen) ==
	      -EPROTONOSUPPORT);
	free(in);
}

/* An ELF header for machine (type ET_EXEC or ET_REL) in front of len bytes. */
static unsigned char *elf(unsigned type, unsigned machine, size_t len)
{
	unsigned char *b = calloc(1, len);
	Elf64_Ehdr *e = (Elf64_Ehdr *)b;
	size_t i;

	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = type;
	e->e_machine = machine;
	e->e_version = EV_CURRENT;
	e->e_ehsize = sizeof(*e);
	for (i = sizeof(*e); i < len; i++)
		b[i] = (unsigned char)(i / 1000);
	return b;
}

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp, name);
}

/* A made-up bzImage: setup code, a decoy gzip magic, the xz payload, a tail. */
static void vmlinux(void)
{
	size_t elen = 2 << 20, clen, off = 20000, len;
	unsigned char *e = elf(ET_EXEC, EM_X86_64, elen), *c, *img;
	char in[4096], out[4096], how[16], err[512];
	void *got;

	c = pack(MMT_COMP_XZ, e, elen, &clen);
	img = malloc(off + clen + 1000);
	memset(img, 0x90, off + clen + 1000);
	memcpy(img + 5000, "\x1f\x8b\x08\x00garbage", 11);
	memcpy(img + off, c, clen);
	path(in, sizeof(in), "bzImage");
	path(out, sizeof(out), "vmlinux");
	CHECK(!mmt_write_file(in, img, off + clen + 1000));
	CHECK_MSG(!mmt_vmlinux_extract(in, out, EM_X86_64, how, sizeof(how), err, sizeof(err)),
		  "%s", err);
	CHECK_STR(how, "xz");
	CHECK(!mmt_read_file(out, 1 << 30, &got, &len));
	CHECK(len == elen && !memcmp(got, e, elen));
	free(got);
	CHECK(mmt_vmlinux_extract(in, out, EM_S390, how, sizeof(how), err, sizeof(err)) ==
	      -EMEDIUMTYPE);
	CHECK_CONTAINS(err, "another machine");
	CHECK(mmt_elf_check(e, elen, EM_X86_64) == 0);
	CHECK(mmt_elf_check(e, elen, EM_AARCH64) == -ENOEXEC);
	CHECK(mmt_elf_check(img, 64, EM_X86_64) == -ENOEXEC);
	free(e);
	free(c);
	free(img);
}

/* A relocatable ELF whose only content is a .modinfo section. */
static void module(const char *rel, const char *depends, int xz)
{
	char modinfo[256], file[4096], dir[4096], *slash;
	static const char shstr[] = "\0.modinfo\0.shstrtab";
	size_t mlen = (size_t)snprintf(modinfo, sizeof(modinfo), "license=GPL") + 1;
	size_t len, off;
	unsigned char *b;
	Elf64_Shdr *sh;

	mlen += (size_t)snprintf(modinfo + mlen, sizeof(modinfo) - mlen, "depends=%s", depends) + 1;
	off = sizeof(Elf64_Ehdr) + mlen + sizeof(shstr);
	off = (off + 7) & ~(size_t)7;
	len = off + 3 * sizeof(Elf64_Shdr);
	b = elf(ET_REL, EM_X86_64, len);
	memset(b + sizeof(Elf64_Ehdr), 0, len - sizeof(Elf64_Ehdr));
	memcpy(b + sizeof(Elf64_Ehdr), modinfo, mlen);
	memcpy(b + sizeof(Elf64_Ehdr) + mlen, shstr, sizeof(shstr));
	((Elf64_Ehdr *)b)->e_shoff = off;
	((Elf64_Ehdr *)b)->e_shentsize = sizeof(Elf64_Shdr);
	((Elf64_Ehdr *)b)->e_shnum = 3;
	((Elf64_Ehdr *)b)->e_shstrndx = 2;
	sh = (Elf64_Shdr *)(b + off);
	sh[1] = (Elf64_Shdr){.sh_name = 1,
			     .sh_type = SHT_PROGBITS,
			     .sh_offset = sizeof(Elf64_Ehdr),
			     .sh_size = mlen,
			     .sh_addralign = 1};
	sh[2] = (Elf64_Shdr){.sh_name = 10,
			     .sh_type = SHT_STRTAB,
			     .sh_offset = sizeof(Elf64_Ehdr) + mlen,
			     .sh_size = sizeof(shstr),
			     .sh_addralign = 1};
	snprintf(file, sizeof(file), "%s/modules/%s%s", tmp, rel, xz ? ".xz" : "");
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	*slash = '\0';
	CHECK(!mmt_mkdir_p(dir));
	if (xz) {
		size_t clen;
		unsigned char *c = pack(MMT_COMP_XZ, b, len, &clen);

		CHECK(!mmt_write_file(file, c, clen));
		free(c);
	} else {
		CHECK(!mmt_write_file(file, b, len));
	}
	free(b);
}

static void module_tree(void)
{
	char p[4096];
	static const char builtin[] = "kernel/drivers/base/bi.ko\n";

	module("kernel/lib/a.ko", "", 0);
	module("kernel/lib/b-dash.ko", "a", 1); /* named b_dash, compressed */
	module("kernel/fs/c.ko", "a,b_dash,bi", 0);
	module("kernel/drivers/virtio/virtio_ring.ko", "", 0);
	module("kernel/drivers/virtio/virtio.ko", "virtio_ring", 0);
	module("kernel/drivers/virtio/virtio_pci.ko", "virtio,virtio_ring", 0);
	module("kernel/drivers/virtio/virtio_foo.ko", "virtio", 0);
	module("kernel/mm/zz.ko", "q", 0); /* a guest root whose dependency lies elsewhere */
	module("kernel/lib/q.ko", "", 0);
	module("kernel/drivers/gpu/big.ko", "a", 0);
	module("kernel/x/d.ko", "e", 0);
	module("kernel/x/e.ko", "d", 0);
	module("kernel/x/f.ko", "missing", 0);
	path(p, sizeof(p), "modules/modules.builtin");
	CHECK(!mmt_write_file(p, builtin, sizeof(builtin) - 1));
}

static void names(const struct mmt_kmods *m, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < m->n; i++)
		off += snprintf(buf + off, len - off, "%s ", m->name[i]);
	for (i = 0; i < m->nbuiltin; i++)
		off += snprintf(buf + off, len - off, "[%s] ", m->builtin[i]);
}

static int resolve(const struct mmt_kernel *k, const char *name, char *got, size_t len)
{
	const char *list[] = {name};
	struct mmt_kmods m;
	char err[1024];
	int r = mmt_kmod_resolve(k, list, 1, &m, err, sizeof(err));

	if (r) {
		snprintf(got, len, "%s", err);
		return r;
	}
	names(&m, got, len);
	mmt_kmods_free(&m);
	return 0;
}

static void modules(void)
{
	struct mmt_kernel k = {0};
	char got[1024], p[4096];
	struct stat st;

	module_tree();
	snprintf(k.qemu_arch, sizeof(k.qemu_arch), "x86_64");
	path(k.modules, sizeof(k.modules), "modules");
	CHECK(!resolve(&k, "c", got, sizeof(got)));
	CHECK_STR(got, "a b_dash c ");
	CHECK(!resolve(&k, "b-dash", got, sizeof(got)));
	CHECK_STR(got, "a b_dash ");
	/* A virtio driver brings the transport. */
	CHECK(!resolve(&k, "virtio_foo", got, sizeof(got)));
	CHECK_STR(got, "virtio_ring virtio virtio_pci virtio_foo ");
	CHECK(!resolve(&k, "bi", got, sizeof(got)));
	CHECK_STR(got, "[bi] ");
	CHECK(resolve(&k, "d", got, sizeof(got)) == -ELOOP);
	CHECK(resolve(&k, "f", got, sizeof(got)) == -ENOENT);
	CHECK_CONTAINS(got, "f needs missing");
	CHECK(resolve(&k, "nope", got, sizeof(got)) == -ENOENT);

	/* The guest set: virtio and mm with what they need; the rest goes. */
	CHECK(mmt_kmod_prune(k.modules, got, sizeof(got)) == 6);
	path(p, sizeof(p), "modules/kernel/lib/q.ko");
	CHECK(!stat(p, &st));
	path(p, sizeof(p), "modules/kernel/drivers/gpu");
	CHECK(stat(p, &st) && errno == ENOENT);
	CHECK(mmt_kmod_count(k.modules) == 6);
}

/* A kernel directory with a meta.json, found through list and resolve. */
static void meta(void)
{
	struct mmt_kernel k = {0}, back, *v;
	char cache[1024], dir[1200], err[1300], *json;
	size_t n;

	path(cache, sizeof(cache), "cache");
	snprintf(dir, sizeof(dir), "%s/kernels/6.1.0-9-amd64", cache);
	CHECK(!mmt_mkdir_p(dir));
	snprintf(k.dir, sizeof(k.dir), "%s", dir);
	snprintf(k.release, sizeof(k.release), "6.1.0-9-amd64");
	snprintf(k.flavour, sizeof(k.flavour), "amd64");
	snprintf(k.qemu_arch, sizeof(k.qemu_arch), "x86_64");
	snprintf(k.vmlinuz, sizeof(k.vmlinuz), "%s/vmlinuz", dir);
	snprintf(k.vmlinux, sizeof(k.vmlinux), "%s/vmlinux", dir);
	k.fetched = 1700000000;
	k.size = 123;
	json = mmt_kernel_json(&k);
	snprintf(err, sizeof(err), "%s/meta.json", dir);
	CHECK(!mmt_write_file(err, json, strlen(json)));
	free(json);
	CHECK(!mmt_kernel_load(dir, &back));
	CHECK_STR(back.vmlinux, k.vmlinux);
	CHECK(back.config[0] == '\0' && back.fetched == k.fetched && back.size == 123);
	/* A fetch in progress is never listed. */
	snprintf(dir, sizeof(dir), "%s/kernels/.tmp-6.1.0-10-amd64-1", cache);
	CHECK(!mmt_mkdir_p(dir));
	CHECK(!mmt_kernel_list(cache, &v, &n));
	CHECK(n == 1 && !strcmp(v[0].release, "6.1.0-9-amd64"));
	free(v);
	CHECK(!mmt_kernel_resolve(cache, "6.1-amd64", NULL, &back, err, sizeof(err)));
	CHECK_STR(back.release, "6.1.0-9-amd64");
	CHECK(!mmt_kernel_resolve(cache, "linux-image-6.1.0-9-amd64", NULL, &back, err,
				  sizeof(err)));
	CHECK(mmt_kernel_resolve(cache, "6.1.0-8-amd64", NULL, &back, err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "mmtorture vm fetch 6.1.0-8-amd64");
	CHECK(mmt_kernel_resolve(cache, "6.1-rt-amd64", NULL, &back, err, sizeof(err)) == -ENOENT);
	CHECK(mmt_kernel_resolve(cache, tmp, NULL, &back, err, sizeof(err)) == -ENOENT);
	CHECK_CONTAINS(err, "not a cached kernel directory");
}

int main(void)
{
	if (!mkdtemp(tmp))
		MMT_TEST_SKIP("mkdtemp: %s", strerror(errno));
	specs();
	procs();
	decompressors();
	vmlinux();
	modules();
	meta();
	mmt_rm_rf(tmp);
	return check_done();
}

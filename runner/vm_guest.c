// SPDX-License-Identifier: GPL-2.0
/*
 * One guest run: check the profile on the host (bad input fails before a
 * boot), pack the initramfs, boot, watch the console under a deadline, then
 * import what the guest streamed, completed with what only the console saw.
 */
#include "vm_guest.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "main.h"
#include "profile.h"
#include "report.h"
#include "store.h"
#include "vm_cache.h"
#include "vm_console.h"
#include "vm_initrd.h"
#include "vm_qemu.h"
#include "wire.h"

#define BOOT_ALLOWANCE_NS (180ll * 1000000000ll) /* TCG boots, slow arches, teardown */
#define PER_JOB_NS (15ll * 1000000000ll)
#define MAX_CONSOLE (64u << 20)

struct guest {
	const struct mmt_guest_opts *o;
	const struct mmt_vm_arch *arch;
	struct mmt_kernel k;
	int have_k;
	char image[4096]; /* what QEMU boots */
	char bin[4096], busybox[4096];
	char dir[4096]; /* the work directory */
	char initrd[4200], stream[4200], conlog[4200];
	struct mmt_kmods mods;
	char args[8192]; /* the guest's `mmtorture run` arguments, one per line */
	char profile_path[4096];
	int64_t timeout_ns;
	struct mmt_vm_console con;
	char *console; /* the whole console */
	size_t conlen;
	uint64_t t0, t_end;
	int killed, status;
	int noise; /* boot lines of the emulated machine, not failed on */
	char qemu_cmd[16384];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bad(const char *fmt, const char *a, const char *b) __attribute__((format(printf, 1, 0)));
static int bad(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "mmtorture: vm run: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, a, b);
#pragma GCC diagnostic pop
	fputc('\n', stderr);
	return 2;
}

/* ------------------------------------------------------------ checking */

/* The jobs as the guest will see them, parsed here first; and their length. */
static int check_jobs(struct guest *g)
{
	const struct mmt_guest_opts *o = g->o;
	struct mmt_profile p;
	char err[1024];
	int64_t d = 0, total = 0;
	int i, r = 0, rep;

	mmt_profile_init(&p);
	if (!o->profile || !strchr(o->profile, '/')) {
		if (mmt_find_profile(o->profile ? o->profile : "quick", g->profile_path,
				     sizeof(g->profile_path)) &&
		    (!o->profile || access(o->profile, R_OK)))
			return bad("profile '%s' not found (give a path, or a name from "
				   "profiles/)%s",
				   o->profile ? o->profile : "quick", "");
		if (o->profile && !access(o->profile, R_OK))
			snprintf(g->profile_path, sizeof(g->profile_path), "%s", o->profile);
	} else {
		snprintf(g->profile_path, sizeof(g->profile_path), "%s", o->profile);
	}
	r = mmt_profile_load(&p, g->profile_path, err, sizeof(err));
	if (!r && o->nw)
		mmt_profile_clear_jobs(&p);
	for (i = 0; !r && i < o->nw; i++)
		r = mmt_profile_add_cli_job(&p, o->w[i], err, sizeof(err));
	if (r) {
		mmt_profile_free(&p);
		return bad("%s%s", err, "");
	}
	if (o->duration)
		mmt_parse_duration(o->duration, &d);
	for (i = 0; i < p.njobs; i++) {
		rep = p.jobs[i].repeat ? p.jobs[i].repeat : p.repeat ? p.repeat : 1;
		total += rep * ((d			 ? d
				 : p.jobs[i].duration_ns ? p.jobs[i].duration_ns
							 : p.duration_ns) +
				PER_JOB_NS);
	}
	mmt_profile_free(&p);
	g->timeout_ns = o->timeout_ns ? o->timeout_ns : BOOT_ALLOWANCE_NS + total;
	return 0;
}

/* e_machine of an ELF file and whether it asks for an interpreter (dynamic). */
static int elf_info(const char *path, unsigned *machine, int *dynamic)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i, big;
	uint16_t m;

	if (fd < 0)
		return -errno;
	*dynamic = 0;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return -ENOEXEC;
	}
	big = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	m = big ? (uint16_t)((eh.e_machine >> 8) | (eh.e_machine << 8)) : eh.e_machine;
	*machine = m;
	/* Program headers are only read for the host's byte order (static check). */
	for (i = 0; !big && i < eh.e_phnum; i++)
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) == sizeof(ph) &&
		    ph.p_type == PT_INTERP)
			*dynamic = 1;
	close(fd);
	return 0;
}

static unsigned arch_machine(const struct mmt_vm_arch *a)
{
	if (!strcmp(a->name, "x86_64"))
		return EM_X86_64;
	if (!strcmp(a->name, "s390x"))
		return EM_S390;
	if (!strcmp(a->name, "aarch64"))
		return EM_AARCH64;
	return EM_PPC64;
}

/* The kernel: a boot image path, or a cached (or fetched) Debian kernel. */
int mmt_guest_kernel(const char *who, const char *spec, const char *arch, int la57,
		     const struct mmt_vm_arch **a, struct mmt_kernel *k, int *have_k, char *image,
		     size_t len)
{
	struct mmt_fetch_opts fo = {.flags = MMT_RESOLVE_FETCH};
	char cache[4096], err[1024];
	struct stat st;
	int r;

	*have_k = 0;
	if (!stat(spec, &st) && S_ISREG(st.st_mode)) {
		snprintf(image, len, "%s", spec);
		*a = mmt_vm_arch_find(arch ? arch : "x86_64");
		if (!*a)
			fprintf(stderr, "mmtorture: %s: --arch '%s': valid: %s\n", who, arch,
				mmt_vm_arch_names());
		return *a ? 0 : 2;
	}
	r = mmt_vm_cache_dir(NULL, cache, sizeof(cache));
	if (!r)
		r = mmt_kernel_resolve(cache, spec, &fo, k, err, sizeof(err));
	if (r)
		return fprintf(stderr, "mmtorture: %s: --kernel %s: %s\n", who, spec, err),
		       r == -EINVAL || r == -ENOPKG || r == -ENOENT ? 2 : 99;
	*have_k = 1;
	*a = mmt_vm_arch_find(k->qemu_arch);
	if (!*a || (arch && mmt_vm_arch_find(arch) != *a)) {
		fprintf(stderr, "mmtorture: %s: ", who);
		if (*a)
			fprintf(stderr, "--arch %s does not match the kernel's (%s)\n", arch,
				k->qemu_arch);
		else
			fprintf(stderr, "kernel architecture '%s' is not one of %s\n", k->qemu_arch,
				mmt_vm_arch_names());
		return 2;
	}
	/* The uncompressed ELF boots in seconds (PVH); LA57 needs the real decompressor. */
	snprintf(image, len, "%s", k->vmlinux[0] && !la57 ? k->vmlinux : k->vmlinuz);
	if (!image[0])
		return fprintf(stderr,
			       "mmtorture: %s: kernel %s has no boot image in its cache "
			       "directory\n",
			       who, k->release),
		       2;
	return 0;
}

static int find_kernel(struct guest *g)
{
	return mmt_guest_kernel("vm run", g->o->kernel, g->o->arch, g->o->la57, &g->arch, &g->k,
				&g->have_k, g->image, sizeof(g->image));
}

/* The guest arch's static mmtorture, mmtorture-worker and busybox. */
int mmt_guest_binaries(const char *who, const struct mmt_vm_arch *a, const char *bin,
		       const char *busybox, char *bindir, char *bbpath, size_t len)
{
	const char *names[] = {"mmtorture", "mmtorture-worker"};
	char path[4200];
	unsigned m;
	int dyn, i;

	if (bin)
		snprintf(bindir, len, "%s", bin);
	else if (getenv("MMTORTURE_GUEST_BIN"))
		snprintf(bindir, len, "%s", getenv("MMTORTURE_GUEST_BIN"));
	else
		snprintf(bindir, len, "%s/build-%s", MMT_SOURCE_DIR, a->name);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", bindir, names[i]);
		if (elf_info(path, &m, &dyn))
			return fprintf(stderr,
				       "mmtorture: %s: no %s for %s in %s (build one with "
				       "`cross/build.sh %s`, or give --bin DIR)\n",
				       who, names[i], a->name, bindir, a->name),
			       2;
		if (m != arch_machine(a) || dyn)
			return fprintf(stderr, "mmtorture: %s: %s is not a static %s executable\n",
				       who, path, a->name),
			       2;
	}
	if (busybox) {
		snprintf(bbpath, len, "%s", busybox);
	} else if (a == mmt_vm_arch_host()) {
		snprintf(bbpath, len, "/bin/busybox");
	} else {
		char cache[4096], err[1024];
		int r = mmt_vm_cache_dir(NULL, cache, sizeof(cache));

		if (!r)
			r = mmt_busybox_fetch(cache, a->debian, bbpath, len, err, sizeof(err));
		if (r)
			return fprintf(stderr, "mmtorture: %s: a static busybox for %s: %s\n", who,
				       a->name, err),
			       99;
	}
	if (elf_info(bbpath, &m, &dyn) || m != arch_machine(a) || dyn)
		return fprintf(stderr,
			       "mmtorture: %s: %s is not a static busybox for %s (Debian's "
			       "busybox-static of that arch; --busybox PATH)\n",
			       who, bbpath, a->name),
		       2;
	return 0;
}

static int find_binaries(struct guest *g)
{
	return mmt_guest_binaries("vm run", g->arch, g->o->bin, g->o->busybox, g->bin, g->busybox,
				  sizeof(g->bin));
}

/* ------------------------------------------------------------ initramfs */

/*
 * The guest's init: mount, load modules, run the profile with the stream on
 * the results channel, say how it ended, power off.
 */
static const char init_script[] =
	MMT_GUEST_INIT_HEAD "mkdir -p /tmp && mount -t tmpfs tmpfs /tmp\n"
			    "mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null\n"
			    "set --\n"
			    "while IFS= read -r a; do set -- \"$@\" \"$a\"; done </mmt/args\n"
			    "[ -s /mmt/sh ] && sh /mmt/sh </dev/null >/dev/console 2>&1 &\n"
			    "cd /tmp\n"
			    "MMTORTURE_GUEST=1 /bin/mmtorture run \"$@\"\n" MMT_GUEST_INIT_TAIL;

/* The results channel and the run's options, one argument per line. */
static int guest_args(struct guest *g)
{
	const struct mmt_guest_opts *o = g->o;
	size_t off = 0;
	int i;

#define ARG(...)                                                                                   \
	off += (size_t)snprintf(g->args + off, off < sizeof(g->args) ? sizeof(g->args) - off : 0,  \
				__VA_ARGS__)
	/* Quiet: a progress line rewritten with \r would only clutter the console. */
	ARG("-q\n--db\n/tmp/results.db\n--scratch\n/tmp\n--stream\n%s\n", g->arch->results);
	ARG("/mmt/profile.ini\n");
	for (i = 0; i < o->nw; i++)
		ARG("-w\n%s\n", o->w[i]);
	if (o->duration)
		ARG("-d\n%s\n", o->duration);
	if (o->allow_destructive)
		ARG("--allow-destructive\n");
	if (o->tag)
		ARG("--tag\n%s\n", o->tag);
#undef ARG
	return off < sizeof(g->args) ? 0 : bad("too many arguments for the guest%s%s", "", "");
}

/* The modules the results channel needs (virtio-serial where there is no second UART). */
static int guest_modules(struct guest *g)
{
	const char *want[] = {"virtio_console"};
	char err[1024];
	int r;

	if (strcmp(g->arch->results, "/dev/vport0p1"))
		return 0;
	if (!g->have_k)
		return bad("%s needs virtio_console for its results channel: give a cached kernel "
			   "(vm fetch), not a bare image%s",
			   g->arch->name, "");
	r = mmt_kmod_resolve(&g->k, want, 1, &g->mods, err, sizeof(err));
	return r ? bad("modules: %s%s", err, "") : 0;
}

int mmt_guest_image_tail(struct mmt_initrd_entry *e, int n, const struct mmt_kmods *m,
			 struct mmt_guest_tail *t)
{
	size_t off = 0, i;

	t->list[0] = '\0';
	for (i = 0; i < m->n && i < MMT_GUEST_MAX_MODULES; i++) {
		snprintf(t->kos[i], sizeof(t->kos[i]), "mmt/ko/%s.ko", m->name[i]);
		e[n++] = (struct mmt_initrd_entry){t->kos[i], m->path[i], NULL, NULL, 0644, 1};
		off += (size_t)snprintf(t->list + off,
					off < sizeof(t->list) ? sizeof(t->list) - off : 0, "%s\n",
					m->name[i]);
	}
	e[n++] = (struct mmt_initrd_entry){"mmt/modules", NULL, t->list, NULL, 0644, 0};
	e[n++] = (struct mmt_initrd_entry){"proc/.keep", NULL, "", NULL, 0644, 0};
	e[n++] = (struct mmt_initrd_entry){"sys/.keep", NULL, "", NULL, 0644, 0};
	e[n++] = (struct mmt_initrd_entry){"dev/.keep", NULL, "", NULL, 0644, 0};
	return n;
}

static int pack(struct guest *g)
{
	struct mmt_initrd_entry e[8 + MMT_GUEST_MAX_MODULES + 4];
	struct mmt_guest_tail tail;
	char bins[2][4200], err[1024];
	int n = 0, r;

	snprintf(bins[0], sizeof(bins[0]), "%s/mmtorture", g->bin);
	snprintf(bins[1], sizeof(bins[1]), "%s/mmtorture-worker", g->bin);
	e[n++] = (struct mmt_initrd_entry){"init", NULL, init_script, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"bin/busybox", g->busybox, NULL, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"bin/mmtorture", bins[0], NULL, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"bin/mmtorture-worker", bins[1], NULL, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"mmt/profile.ini", g->profile_path, NULL, NULL, 0644, 0};
	e[n++] = (struct mmt_initrd_entry){"mmt/args", NULL, g->args, NULL, 0644, 0};
	e[n++] = (struct mmt_initrd_entry){"mmt/sh", NULL, g->o->guest_sh ? g->o->guest_sh : "",
					   NULL,     0644, 0};
	n = mmt_guest_image_tail(e, n, &g->mods, &tail);
	r = mmt_initrd_write(g->initrd, e, n, err, sizeof(err));
	return r ? (fprintf(stderr, "mmtorture: vm run: initramfs: %s\n", err), 99) : 0;
}

/* ------------------------------------------------------------ booting */

static int workdir(struct guest *g)
{
	if (g->o->keep) {
		if (mkdir(g->o->keep, 0755) && errno != EEXIST)
			return fprintf(stderr, "mmtorture: vm run: --keep %s: %s\n", g->o->keep,
				       strerror(errno)),
			       2;
		snprintf(g->dir, sizeof(g->dir), "%s", g->o->keep);
	} else {
		snprintf(g->dir, sizeof(g->dir), "/tmp/mmtorture-vm.XXXXXX");
		if (!mkdtemp(g->dir))
			return fprintf(stderr, "mmtorture: vm run: %s: %s\n", g->dir,
				       strerror(errno)),
			       99;
	}
	snprintf(g->initrd, sizeof(g->initrd), "%s/initrd.cpio.gz", g->dir);
	snprintf(g->stream, sizeof(g->stream), "%s/results.stream", g->dir);
	snprintf(g->conlog, sizeof(g->conlog), "%s/console.log", g->dir);
	unlink(g->stream);
	/* QEMU opens the channel's file itself; it must exist empty, ours to read. */
	close(open(g->stream, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	return 0;
}

static void cleanup(struct guest *g)
{
	if (g->o->keep || !g->dir[0])
		return;
	unlink(g->initrd);
	unlink(g->stream);
	unlink(g->conlog);
	rmdir(g->dir);
}

static void say(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	if (g->o->quiet)
		return;
	fprintf(stderr, "guest %6.1fs: ", (double)(mono_ns() - g->t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* What changed on the console since the last look, for the user. */
static void progress(struct guest *g, int njobs, int nsplat, int booted)
{
	struct mmt_vm_console *c = &g->con;
	int i;

	if (c->booted && !booted)
		say(g, "booted, mmtorture starting");
	for (i = njobs; i < c->njobs; i++)
		say(g, "job %d %s", c->jobs[i].seq, c->jobs[i].workload);
	for (i = nsplat; i < c->nsplat; i++)
		say(g, "console splat (%s) in job %d: %s", c->splat[i].rule, c->splat[i].job,
		    c->splat[i].text);
}

static void keep_console(struct guest *g, const char *buf, size_t n)
{
	char *nb;

	if (g->conlen + n > MAX_CONSOLE)
		return;
	nb = realloc(g->console, g->conlen + n + 1);
	if (!nb)
		return;
	g->console = nb;
	memcpy(g->console + g->conlen, buf, n);
	g->conlen += n;
	g->console[g->conlen] = '\0';
}

/* Read the console until QEMU closes it or the deadline passes. */
static void watch(struct guest *g, struct mmt_vm *vm, uint64_t deadline)
{
	struct pollfd pfd = {.fd = vm->console, .events = POLLIN};
	char buf[8192];
	ssize_t n;
	uint64_t now;
	int nj, ns, nb;

	while ((now = mono_ns()) < deadline) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(vm->console, buf, sizeof(buf));
		if (n <= 0)
			break;
		keep_console(g, buf, (size_t)n);
		nj = g->con.njobs;
		ns = g->con.nsplat;
		nb = g->con.booted;
		mmt_vm_console_feed(&g->con, buf, (size_t)n, now);
		progress(g, nj, ns, nb);
	}
	mmt_vm_console_flush(&g->con, mono_ns());
}

static int boot(struct guest *g)
{
	const struct mmt_guest_opts *o = g->o;
	struct mmt_vm_cfg c = {
		.arch = g->arch,
		.kernel = g->image,
		.initrd = g->initrd,
		.append = o->append,
		.cpu = o->cpu,
		.smp = o->smp,
		.mem_mb = o->mem_mb,
		.numa_nodes = o->numa_nodes,
		.results = g->stream,
	};
	char *argv[MMT_VM_MAX_ARGS], buf[16384], append[1024];
	struct mmt_vm vm;
	size_t off = 0;
	int r, i;

	/* panic=-1: a panicking guest reboots at once, and -no-reboot ends QEMU. */
	snprintf(append, sizeof(append), "panic=-1 rdinit=/init %s", o->append ? o->append : "");
	c.append = append;
	if (!mmt_vm_cmdline(&c, argv, buf, sizeof(buf)))
		for (i = 0; argv[i]; i++)
			off += (size_t)snprintf(g->qemu_cmd + off, sizeof(g->qemu_cmd) - off,
						"%s%s", i ? " " : "", argv[i]);
	mmt_vm_console_init(&g->con);
	g->t0 = mono_ns();
	r = mmt_vm_start(&c, &vm);
	if (r)
		return fprintf(stderr, "mmtorture: vm run: starting %s: %s\n", g->arch->qemu,
			       strerror(-r)),
		       99;
	say(g, "%s, %s, timeout %llds", g->arch->qemu, g->image,
	    (long long)(g->timeout_ns / 1000000000ll));
	watch(g, &vm, g->t0 + (uint64_t)g->timeout_ns);
	g->status = mmt_vm_reap(&vm, g->t0 + (uint64_t)g->timeout_ns, &g->killed);
	close(vm.console);
	g->t_end = mono_ns();
	if (g->killed)
		say(g, "killed at the timeout");
	return 0;
}

/* ------------------------------------------------------------ results */

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *b = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return -errno;
	do {
		if (cap - n < 65536) {
			char *nb = realloc(b, cap = cap ? cap * 2 : 1 << 20);

			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* What the host knows when the guest never sent its own run record. */
static void host_run_info(struct guest *g, struct mmt_run_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	mmt_uuid(ri->uuid, sizeof(ri->uuid));
	ri->started_ns =
		(uint64_t)time(NULL) * 1000000000ull - (mono_ns() - g->t0); /* when QEMU started */
	snprintf(ri->tool_version, sizeof(ri->tool_version), "%s", MMT_VERSION);
	snprintf(ri->profile, sizeof(ri->profile), "%.500s", g->profile_path);
	/* A kernel given as a path stands as its release: cut to the field. */
	snprintf(ri->kernel_release, sizeof(ri->kernel_release), "%.*s",
		 (int)sizeof(ri->kernel_release) - 1, g->have_k ? g->k.release : g->image);
	snprintf(ri->arch, sizeof(ri->arch), "%s", g->arch->name);
	snprintf(ri->virt, sizeof(ri->virt), "qemu-tcg");
	ri->guest = 1;
	ri->argv = strdup(g->qemu_cmd);
}

static struct mmt_job_result *job_of(struct mmt_wire *w, int seq)
{
	int i;

	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].seq == seq)
			return &w->jobs[i];
	return NULL;
}

static int add_failure(struct mmt_job_result *j, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add_failure(struct mmt_job_result *j, int kind, const char *fmt, ...)
{
	struct mmt_failure *f = realloc(j->failures, sizeof(*f) * (size_t)(j->nfailures + 1));
	va_list ap;

	if (!f)
		return -ENOMEM;
	j->failures = f;
	f = &f[j->nfailures++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->worker = -1;
	f->op = -1;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	if (j->status != MMT_FAIL) {
		j->status = MMT_FAIL;
		snprintf(j->reason, sizeof(j->reason), "%s: %s", mmt_fail_kind_name(kind),
			 f->detail);
	}
	return 0;
}

/* A job the guest never reported, from its console marker (seq 0: outside any job). */
static struct mmt_job_result *synth_job(struct mmt_wire *w, int seq, const char *workload)
{
	struct mmt_job_result j = {0};

	j.seq = seq;
	j.repeat = 1;
	j.status = MMT_PASS; /* until its failures are added */
	snprintf(j.workload, sizeof(j.workload), "%s", workload);
	snprintf(j.label, sizeof(j.label), "console");
	snprintf(j.placement, sizeof(j.placement), "-");
	if (mmt_wire_add_job(w, &j))
		return NULL;
	return job_of(w, seq);
}

static int next_seq(struct mmt_wire *w, struct guest *g)
{
	int i, max = 0;

	for (i = 0; i < w->njobs; i++)
		max = w->jobs[i].seq > max ? w->jobs[i].seq : max;
	for (i = 0; i < g->con.njobs; i++)
		max = g->con.jobs[i].seq > max ? g->con.jobs[i].seq : max;
	return max + 1;
}

/* A boot line the emulated machine causes (g->arch->machine_noise): kept in vm.json. */
static int machine_noise(struct guest *g, const char *text)
{
	regex_t re;
	int hit;

	if (!g->arch->machine_noise ||
	    regcomp(&re, g->arch->machine_noise, REG_EXTENDED | REG_NOSUB))
		return 0;
	hit = !regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (hit)
		g->noise++;
	return hit;
}

/* How the guest ended, when that ended a job. */
static void death(struct guest *g, struct mmt_job_result *j, const char *where)
{
	char tail[1024];

	mmt_vm_console_tail(&g->con, 4, tail, sizeof(tail));
	if (g->killed)
		add_failure(j, MMT_FK_HANG, "guest killed at the %llds timeout %s; console: %s",
			    (long long)(g->timeout_ns / 1000000000ll), where, tail);
	else
		add_failure(j, MMT_FK_EXIT, "guest ended %s (QEMU status %d); console: %s", where,
			    g->status, tail);
}

/*
 * Complete the guest's record with the console: jobs it never reported fail
 * with their splats or how the guest died; splats it did not record (it died
 * first) fail their job; splats outside any job fail a "guest" job.
 */
static int amend(struct guest *g, struct mmt_wire *w)
{
	struct mmt_vm_console *c = &g->con;
	struct mmt_job_result *j, *outside;
	int i, k, seen, in_job = 0, outside_seq = 0;

	for (i = 0; i < c->njobs; i++) {
		if (job_of(w, c->jobs[i].seq))
			continue;
		j = synth_job(w, c->jobs[i].seq, c->jobs[i].workload);
		if (!j)
			return -ENOMEM;
		j->notes = calloc(1, sizeof(char *));
		if (j->notes && (j->notes[0] = strdup("the guest never reported this job: "
						      "what is known comes from its console")))
			j->nnotes = 1;
	}
	for (i = 0; i < c->nsplat; i++) {
		if (!c->splat[i].job && machine_noise(g, c->splat[i].text))
			continue;
		j = c->splat[i].job ? job_of(w, c->splat[i].job) : NULL;
		/* By seq, not by pointer: adding a job may move the array. */
		if (!j && !outside_seq) {
			outside_seq = next_seq(w, g);
			synth_job(w, outside_seq, c->njobs ? "guest" : "guest-boot");
		}
		if (!j)
			j = job_of(w, outside_seq);
		if (!j)
			return -ENOMEM;
		for (seen = 0, k = 0; k < j->nkmsg && !seen; k++)
			seen = strstr(c->splat[i].text, j->kmsg[k].text) != NULL;
		if (!seen)
			add_failure(j, MMT_FK_KMSG, "console: %s: %s", c->splat[i].rule,
				    c->splat[i].text);
	}
	/* A job the console saw start and never end, with nothing else to show for it. */
	for (i = 0; i < c->njobs; i++) {
		if (!c->jobs[i].ended)
			in_job = 1;
		j = job_of(w, c->jobs[i].seq);
		if (!j || strcmp(j->label, "console") || j->nfailures)
			continue;
		if (c->jobs[i].ended)
			add_failure(j, MMT_FK_EXIT,
				    "it ended, but its record never reached the host "
				    "(%llu stream record(s) lost)",
				    (unsigned long long)w->dropped_records);
		else
			death(g, j, "during this job");
	}
	outside = outside_seq ? job_of(w, outside_seq) : NULL;
	if (!c->booted || (!w->have_end && !c->njobs)) {
		j = outside ? outside
			    : synth_job(w, next_seq(w, g), c->booted ? "guest" : "guest-boot");
		if (!j)
			return -ENOMEM;
		death(g, j, c->booted ? "before its first job" : "before mmtorture started");
	} else if (!w->have_end && !in_job && c->exit_code < 0 &&
		   (g->killed || WIFSIGNALED(g->status))) {
		j = outside ? outside : synth_job(w, next_seq(w, g), "guest");
		if (j)
			death(g, j, "between jobs or at the end");
	}
	return 0;
}

static char *vm_json(struct guest *g)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f,
		"{\"arch\":\"%s\",\"image\":\"%s\",\"kernel\":\"%s\",\"timeout_s\":%lld,"
		"\"killed\":%d,\"qemu_status\":%d,\"boot_s\":%.3f,\"first_job_s\":%.3f,"
		"\"total_s\":%.3f,\"guest_exit\":%d,\"machine_noise_lines\":%d,\"qemu\":\"",
		g->arch->name, g->image, g->have_k ? g->k.release : "",
		(long long)(g->timeout_ns / 1000000000ll), g->killed, g->status,
		g->con.booted ? (double)(g->con.boot_ns - g->t0) / 1e9 : -1.0,
		g->con.njobs ? (double)(g->con.jobs[0].start_ns - g->t0) / 1e9 : -1.0,
		(double)(g->t_end - g->t0) / 1e9, g->con.exit_code, g->noise);
	for (const char *p = g->qemu_cmd; *p; p++)
		fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
	fputs("\"}", f);
	fclose(f);
	return s;
}

static int exit_code_of(const struct mmt_wire *w)
{
	int i, fail = 0, err = 0, pass = 0;

	for (i = 0; i < w->njobs; i++) {
		fail += w->jobs[i].status == MMT_FAIL;
		err += w->jobs[i].status == MMT_ERROR;
		pass += w->jobs[i].status == MMT_PASS;
	}
	return fail ? 1 : err ? 99 : pass ? 0 : 77;
}

static int import(struct guest *g, const char *db, int64_t *run_id, int *code)
{
	struct mmt_wire_import_opts io = {.guest = 1, .tag = g->o->tag};
	struct mmt_store *s = NULL;
	struct mmt_wire w = {0};
	char err[4600], *buf = NULL, *vj;
	size_t len = 0;
	int r;

	r = read_file(g->stream, &buf, &len);
	if (!r)
		r = mmt_wire_parse(buf, len, &w, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s: %s", g->stream, strerror(-r));
	free(buf);
	if (r)
		return fprintf(stderr, "mmtorture: vm run: results: %s\n", err), 99;
	if (!w.have_run) {
		host_run_info(g, &w.ri);
		w.have_run = 1;
	} else if (!strcmp(w.ri.profile, "/mmt/profile.ini")) {
		/* The guest ran the host's profile under its initramfs name. */
		snprintf(w.ri.profile, sizeof(w.ri.profile), "%.500s", g->profile_path);
	}
	r = amend(g, &w);
	*code = exit_code_of(&w);
	if (!r)
		r = mmt_store_open(&s, db, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", strerror(-r));
	if (!r)
		r = mmt_wire_store(s, &w, &io, run_id, err, sizeof(err));
	if (!r)
		r = mmt_store_add_file(s, *run_id, "console", g->console ? g->console : "",
				       g->conlen);
	vj = r ? NULL : vm_json(g);
	if (vj) {
		r = mmt_store_add_file(s, *run_id, "vm.json", vj, strlen(vj));
		free(vj);
	}
	if (r && !err[0])
		snprintf(err, sizeof(err), "%s", mmt_store_errmsg(s));
	if (r)
		fprintf(stderr, "mmtorture: vm run: storing in %s: %s\n", db, err);
	if (!r && w.dropped_records)
		fprintf(stderr, "mmtorture: vm run: %llu record(s) of the stream were lost\n",
			(unsigned long long)w.dropped_records);
	if (!r && !g->o->quiet)
		mmt_report_text(s, *run_id, stdout);
	mmt_store_close(s);
	mmt_wire_free(&w);
	return r ? 99 : 0;
}

int mmt_guest_run(const struct mmt_guest_opts *o, const char *db, int64_t *run_id)
{
	struct guest *g = calloc(1, sizeof(*g));
	int r, code = 99;

	*run_id = 0;
	if (!g)
		return 99;
	g->o = o;
	r = check_jobs(g);
	if (!r)
		r = find_kernel(g);
	if (!r)
		r = find_binaries(g);
	if (!r)
		r = guest_args(g);
	if (!r)
		r = guest_modules(g);
	if (!r)
		r = workdir(g);
	if (!r)
		r = pack(g);
	if (!r)
		r = boot(g);
	if (!r && g->console && o->keep) {
		FILE *f = fopen(g->conlog, "we");

		if (f) {
			fwrite(g->console, 1, g->conlen, f);
			fclose(f);
		}
	}
	if (!r)
		r = import(g, db, run_id, &code);
	if (!r) {
		if (!o->quiet)
			printf("guest run stored as run %lld in %s (console: `mmtorture report "
			       "%lld --console`)\n",
			       (long long)*run_id, db, (long long)*run_id);
		r = code;
	}
	cleanup(g);
	mmt_kmods_free(&g->mods);
	free(g->console);
	free(g);
	return r;
}

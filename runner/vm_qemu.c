// SPDX-License-Identifier: GPL-2.0
#include "vm_qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The results channel is a second serial line where the machine has one
 * (ttyS1, hvc1: no driver to load, no kernel messages in between) and a
 * virtio-serial port otherwise.
 */
static const struct mmt_vm_arch arches[] = {
	{"x86_64", "amd64", "qemu-system-x86_64", "pc", "max", "ttyS0", "/dev/ttyS1", 1},
	{"s390x", "s390x", "qemu-system-s390x", "s390-ccw-virtio", "max", "ttysclp0",
	 "/dev/vport0p1", 0},
	{"aarch64", "arm64", "qemu-system-aarch64", "virt", "cortex-a72", "ttyAMA0",
	 "/dev/vport0p1", 1},
	/* QEMU's pseries starts with an empty NVRAM, which the kernel reports. */
	{"ppc64le", "ppc64el", "qemu-system-ppc64", "pseries,x-vof=on", "power9", "hvc0",
	 "/dev/hvc1", 1, "nvram corruption detected: 0-length partition"},
};

static const struct {
	const char *alias, *name;
} aliases[] = {
	{"amd64", "x86_64"},	{"x86-64", "x86_64"},	    {"arm64", "aarch64"},
	{"ppc64el", "ppc64le"}, {"powerpc64le", "ppc64le"}, {"ppc64", "ppc64le"},
};

const struct mmt_vm_arch *mmt_vm_arch_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].alias))
			name = aliases[i].name;
	for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (!strcmp(name, arches[i].name))
			return &arches[i];
	return NULL;
}

const char *mmt_vm_arch_names(void)
{
	return "x86_64 (amd64), s390x, aarch64 (arm64), ppc64le (ppc64el)";
}

const struct mmt_vm_arch *mmt_vm_arch_host(void)
{
	struct utsname u;

	return uname(&u) ? NULL : mmt_vm_arch_find(u.machine);
}

struct args {
	char **argv;
	int n;
	char *buf;
	size_t len, off;
	int overflow;
};

static void add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct args *a, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (a->overflow || a->n >= MMT_VM_MAX_ARGS - 1 || a->off >= a->len) {
		a->overflow = 1;
		return;
	}
	va_start(ap, fmt);
	k = vsnprintf(a->buf + a->off, a->len - a->off, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= a->len - a->off) {
		a->overflow = 1;
		return;
	}
	a->argv[a->n++] = a->buf + a->off;
	a->off += (size_t)k + 1;
}

static void console_args(struct args *a, const struct mmt_vm_cfg *c)
{
	const char *arch = c->arch->name;

	if (!strcmp(arch, "s390x")) {
		add(a, "-chardev");
		add(a, "stdio,id=con,signal=off");
		add(a, "-device");
		add(a, "sclpconsole,chardev=con");
	} else {
		add(a, "-serial");
		add(a, "stdio");
	}
	if (!strcmp(c->arch->results, "/dev/vport0p1")) {
		add(a, "-device");
		add(a, "%s", !strcmp(arch, "s390x") ? "virtio-serial-ccw" : "virtio-serial-pci");
		add(a, "-chardev");
		add(a, "file,id=results,path=%s", c->results);
		add(a, "-device");
		add(a, "virtserialport,chardev=results,name=mmtorture.results");
	} else {
		add(a, "-serial");
		add(a, "file:%s", c->results);
	}
}

/* Memory split over the nodes; CPUs in contiguous blocks (a node may have none). */
static void numa_args(struct args *a, const struct mmt_vm_cfg *c)
{
	int nodes = c->numa_nodes ? c->numa_nodes : 1, i, lo, hi;
	long per = c->mem_mb / nodes;

	for (i = 0; i < nodes; i++) {
		add(a, "-object");
		add(a, "memory-backend-ram,id=ram%d,size=%ldM", i,
		    i == nodes - 1 ? c->mem_mb - per * (nodes - 1) : per);
		lo = i * c->smp / nodes;
		hi = (i + 1) * c->smp / nodes - 1;
		add(a, "-numa");
		if (hi >= lo)
			add(a, "node,nodeid=%d,cpus=%d-%d,memdev=ram%d", i, lo, hi, i);
		else
			add(a, "node,nodeid=%d,memdev=ram%d", i, i);
	}
}

int mmt_vm_cmdline(const struct mmt_vm_cfg *c, char **argv, char *buf, size_t len)
{
	struct args a = {.argv = argv, .buf = buf, .len = len};

	add(&a, "%s", c->arch->qemu);
	add(&a, "-accel");
	add(&a, "tcg");
	add(&a, "-M");
	add(&a, "%s", c->arch->machine);
	add(&a, "-cpu");
	add(&a, "%s", c->cpu ? c->cpu : c->arch->cpu);
	add(&a, "-smp");
	/*
	 * A socket per node: CPUs of one socket split over nodes make the guest
	 * warn at boot (topology_sane), which would fail the run.
	 */
	if (c->numa_nodes > 1 && c->smp % c->numa_nodes == 0)
		add(&a, "%d,sockets=%d,cores=%d,threads=1", c->smp, c->numa_nodes,
		    c->smp / c->numa_nodes);
	else if (c->numa_nodes > 1)
		add(&a, "%d,sockets=%d,cores=1,threads=1", c->smp, c->smp);
	else
		add(&a, "%d", c->smp);
	add(&a, "-m");
	if (c->maxmem_mb > c->mem_mb)
		add(&a, "%ldM,slots=%d,maxmem=%ldM", c->mem_mb, c->slots ? c->slots : 4,
		    c->maxmem_mb);
	else
		add(&a, "%ldM", c->mem_mb);
	if (c->arch->numa && (c->numa_nodes || !strcmp(c->arch->name, "x86_64")))
		numa_args(&a, c);
	add(&a, "-kernel");
	add(&a, "%s", c->kernel);
	add(&a, "-initrd");
	add(&a, "%s", c->initrd);
	add(&a, "-append");
	add(&a, "console=%s %s", c->arch->console, c->append ? c->append : "");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-no-user-config");
	add(&a, "-nodefaults");
	add(&a, "-no-reboot");
	console_args(&a, c);
	if (c->qmp) {
		add(&a, "-qmp");
		add(&a, "unix:%s,server=on,wait=off", c->qmp);
	}
	for (const char *const *x = c->extra; x && *x; x++)
		add(&a, "%s", *x);
	argv[a.n] = NULL;
	return a.overflow ? -E2BIG : 0;
}

int mmt_vm_start(const struct mmt_vm_cfg *c, struct mmt_vm *vm)
{
	static char buf[16384];
	char *argv[MMT_VM_MAX_ARGS];
	int pfd[2], nul, r;
	pid_t pid;

	r = mmt_vm_cmdline(c, argv, buf, sizeof(buf));
	if (r)
		return r;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		/* Own group, and gone with us: a guest never outlives its runner. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "mmtorture: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	vm->pid = pid;
	vm->console = pfd[0];
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int mmt_vm_reap(struct mmt_vm *vm, uint64_t deadline_ns, int *killed)
{
	int status = 0;
	pid_t r;

	*killed = 0;
	while ((r = waitpid(vm->pid, &status, WNOHANG)) == 0 && mono_ns() < deadline_ns)
		usleep(20000);
	if (r == 0) {
		*killed = 1;
		kill(vm->pid, SIGKILL);
		while (waitpid(vm->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	vm->pid = 0;
	return status;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The guest console reader: escapes and timestamps cleaned wherever they are,
 * job markers followed, splats attributed to the job they were printed in,
 * lines split across reads, and the QEMU command lines per arch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "vm_console.h"
#include "vm_qemu.h"

static void feed(struct mmt_vm_console *c, const char *s)
{
	mmt_vm_console_feed(c, s, strlen(s), 1);
}

struct seen {
	int n;
	char last[128];
};

static void on_line(void *arg, const char *line, uint64_t now_ns)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", line);
	(void)now_ns;
}

static void test_clean(void)
{
	char a[] = "\033[1;32m~ # \033[0m[   12.345678] WARNING: CPU: 1 PID: 7 at mm/x.c:1\r";
	char b[] = "[1.5] ok";
	char c[] = "no [timestamp here] x";
	char d[] = "[1/1] vma_iter 0.1s/20s\r[1/1] vma_iter 0.3s/20s\r[    7.5] WARNING: x\r";

	CHECK_STR(mmt_vm_console_clean(a), "~ # WARNING: CPU: 1 PID: 7 at mm/x.c:1");
	CHECK_STR(mmt_vm_console_clean(b), "ok");
	CHECK_STR(mmt_vm_console_clean(c), "no [timestamp here] x");
	CHECK_STR(mmt_vm_console_clean(d), "WARNING: x");
}

static void test_attribution(void)
{
	struct mmt_vm_console c;
	char tail[512];

	mmt_vm_console_init(&c);
	feed(&c, "[    0.000000] Linux version 6.1.0\n[    1.0] BUG: early splat\n");
	feed(&c, "\n@@MMT-GUEST boot 6.1.0-56-amd64 x86_64\r\n");
	feed(&c, "[    5.1] mmtorture: job 1 start run 1a2b3c4d: thp_fork\n");
	feed(&c, "[    6.0] WARNING: CPU: 0 PID: 9 at mm/huge_memory.c:2");
	feed(&c, "00 split\n"); /* a line cut across two reads */
	feed(&c, "[    7.1] mmtorture: job 1 end run 1a2b3c4d: thp_fork\n");
	feed(&c, "[    7.2] Bad page state in process x\n");
	feed(&c, "[    8.1] mmtorture: job 2 start run 1a2b3c4d: vma_iter\n");
	feed(&c, "~ # [    9.0] Oops: general protection fault");
	mmt_vm_console_flush(&c, 2);

	CHECK(c.booted == 1 && c.exit_code == -1);
	CHECK(c.njobs == 2);
	CHECK(c.jobs[0].seq == 1 && c.jobs[0].ended == 1);
	CHECK_STR(c.jobs[0].workload, "thp_fork");
	CHECK(c.jobs[1].seq == 2 && c.jobs[1].ended == 0);
	CHECK_STR(c.jobs[1].workload, "vma_iter");
	CHECK(c.nsplat == 4);
	CHECK(c.splat[0].job == 0); /* at boot */
	CHECK(c.splat[1].job == 1);
	CHECK_CONTAINS(c.splat[1].text, "mm/huge_memory.c:200 split");
	CHECK_STR(c.splat[1].rule, "WARNING");
	CHECK(c.splat[2].job == 0); /* between jobs */
	CHECK(c.splat[3].job == 2);
	CHECK_CONTAINS(c.splat[3].text, "Oops: general protection fault");
	mmt_vm_console_tail(&c, 2, tail, sizeof(tail));
	CHECK_CONTAINS(tail, "vma_iter | ~ # Oops");

	feed(&c, "\n@@MMT-GUEST exit 1\n");
	CHECK(c.exit_code == 1);
}

/* The line hook sees each cleaned line once; empty lines are not lines. */
static void test_hook(void)
{
	struct mmt_vm_console c;
	struct seen s = {0};

	mmt_vm_console_init(&c);
	c.on_line = on_line;
	c.arg = &s;
	feed(&c, "\n\r\n[    3.2] @@MMT-GUEST hp online blo");
	CHECK(s.n == 0);
	feed(&c, "cks=4\r\n~ # ");
	CHECK(s.n == 1);
	CHECK_STR(s.last, "@@MMT-GUEST hp online blocks=4");
	mmt_vm_console_flush(&c, 3);
	CHECK(s.n == 2);
	CHECK_STR(s.last, "~ # ");
}

static int has(char **argv, const char *a, const char *b)
{
	int i;

	for (i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], a) && !strcmp(argv[i + 1], b))
			return 1;
	return 0;
}

static void test_cmdline(void)
{
	struct mmt_vm_cfg c = {.kernel = "vmlinux",
			       .initrd = "i.gz",
			       .append = "x=1",
			       .smp = 2,
			       .mem_mb = 1024,
			       .results = "/tmp/r"};
	char *argv[MMT_VM_MAX_ARGS], buf[8192];

	c.arch = mmt_vm_arch_find("amd64");
	CHECK(c.arch && !strcmp(c.arch->name, "x86_64"));
	CHECK(mmt_vm_cmdline(&c, argv, buf, sizeof(buf)) == 0);
	CHECK_STR(argv[0], "qemu-system-x86_64");
	CHECK(has(argv, "-accel", "tcg") && has(argv, "-cpu", "max"));
	CHECK(has(argv, "-serial", "stdio") && has(argv, "-serial", "file:/tmp/r"));
	CHECK(has(argv, "-append", "console=ttyS0 x=1"));
	CHECK(has(argv, "-no-user-config", "-nodefaults") &&
	      has(argv, "-nodefaults", "-no-reboot"));
	c.reboot = 1;
	c.qmp = "/tmp/q.sock";
	CHECK(mmt_vm_cmdline(&c, argv, buf, sizeof(buf)) == 0);
	CHECK(!has(argv, "-nodefaults", "-no-reboot"));
	CHECK(has(argv, "-qmp", "unix:/tmp/q.sock,server=on,wait=off"));
	c.reboot = 0;
	c.qmp = NULL;
	/* one node by default on x86_64: movable_node wants an SRAT */
	CHECK(has(argv, "-numa", "node,nodeid=0,cpus=0-1,memdev=ram0"));

	c.numa_nodes = 2;
	c.maxmem_mb = 4096;
	CHECK(mmt_vm_cmdline(&c, argv, buf, sizeof(buf)) == 0);
	CHECK(has(argv, "-m", "1024M,slots=4,maxmem=4096M"));
	CHECK(has(argv, "-object", "memory-backend-ram,id=ram1,size=512M"));
	CHECK(has(argv, "-numa", "node,nodeid=1,cpus=1-1,memdev=ram1"));
	CHECK(has(argv, "-smp", "2,sockets=2,cores=1,threads=1"));

	c.numa_nodes = 0;
	c.arch = mmt_vm_arch_find("s390x");
	CHECK(mmt_vm_cmdline(&c, argv, buf, sizeof(buf)) == 0);
	CHECK(has(argv, "-device", "sclpconsole,chardev=con"));
	CHECK(has(argv, "-device", "virtio-serial-ccw"));
	CHECK(has(argv, "-chardev", "file,id=results,path=/tmp/r"));
	CHECK(!has(argv, "-numa", "node,nodeid=0,cpus=0-1,memdev=ram0"));

	c.arch = mmt_vm_arch_find("ppc64el");
	CHECK(c.arch && !strcmp(c.arch->results, "/dev/hvc1"));
	c.arch = mmt_vm_arch_find("arm64");
	CHECK(mmt_vm_cmdline(&c, argv, buf, sizeof(buf)) == 0);
	CHECK(has(argv, "-device", "virtio-serial-pci"));
	CHECK(mmt_vm_arch_find("mips") == NULL);
	CHECK(mmt_vm_cmdline(&c, argv, buf, 64) == -E2BIG);
}

int main(void)
{
	test_clean();
	test_attribution();
	test_hook();
	test_cmdline();
	return check_done();
}

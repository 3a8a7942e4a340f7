// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log reader: record parsing, the splat rules on real kernel lines,
 * OOM victims, the allow-list, and a marker round trip through /dev/kmsg.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "kmsg.h"

static int parse(const char *raw, struct mmt_kmsg_rec *rec)
{
	return mmt_kmsg_parse(raw, strlen(raw), rec);
}

static void test_parse(void)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"6,123,456;no flags field",
		"6,123,456,-no semicolon\n",
		"x,1,2,-;text",
		"6,,2,-;text",
		"6,1,2,;empty flags",
		"6,1,2,-\n;semicolon after the newline",
	};
	struct mmt_kmsg_rec rec;
	size_t i;

	CHECK(!parse("6,1234,5678901,-;hello world\n", &rec));
	CHECK(rec.seq == 1234);
	CHECK(rec.ts_us == 5678901);
	CHECK(rec.level == 6);
	CHECK(rec.facility == 0);
	CHECK_STR(rec.text, "hello world");

	/* Facility 1 (user), level 4; continuation lines are dropped. */
	CHECK(!parse("12,99,100,c;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n", &rec));
	CHECK(rec.level == 4 && rec.facility == 1);
	CHECK_STR(rec.text, "usb 1-1: new device");

	/* Escapes: a tab, a backslash, and an invalid escape kept as is. */
	CHECK(!parse("3,7,8,-;a\\x09b \\x5c c \\xZZ\n", &rec));
	CHECK(rec.level == 3);
	CHECK_STR(rec.text, "a\tb \\ c \\xZZ");

	/* Extra header fields (CONFIG_PRINTK_CALLER) before the ';'. */
	CHECK(!parse("4,10,20,-,caller=T123;WARNING: x\n", &rec));
	CHECK_STR(rec.text, "WARNING: x");

	/* No trailing newline, and a record not NUL-terminated at len. */
	CHECK(!mmt_kmsg_parse("6,1,2,-;abcXYZ", 11, &rec));
	CHECK_STR(rec.text, "abc");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(parse(bad[i], &rec) == -EINVAL, "accepted '%s'", bad[i]);
}

struct splat_case {
	const char *line;
	const char *rule;
};

static const struct splat_case splats[] = {
	{"WARNING: CPU: 1 PID: 2345 at mm/huge_memory.c:2905 __split_huge_pmd_locked+0x1f3/0x9a0",
	 "WARNING"},
	{"BUG: Bad page state in process dpkg  pfn:1a2b3", "Bad page state"},
	{"kernel BUG at mm/memory.c:1234!", "kernel BUG"},
	{"Oops: general protection fault, probably for non-canonical address "
	 "0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN NOPTI",
	 "GPF"},
	{"general protection fault: 0000 [#1] SMP PTI", "GPF"},
	{"Oops: 0000 [#1] PREEMPT SMP NOPTI", "Oops"},
	{"Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI", "invalid opcode"},
	{"Unable to handle kernel paging request at virtual address dead000000000108", "Oops"},
	{"watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [x:123]", "soft lockup"},
	{"NMI watchdog: Watchdog detected hard LOCKUP on cpu 3", "hard lockup"},
	{"rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", "RCU stall"},
	{"rcu: INFO: rcu_preempt self-detected stall on CPU", "RCU stall"},
	{"INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall"},
	{"Kernel panic - not syncing: Fatal exception", "panic"},
	{"Kernel panic - not syncing: Out of memory and no killable processes...", "panic"},
	{"Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: foo+0x1/0x2",
	 "stack protector"},
	{"page dumped because: nonzero mapcount", "page dumped"},
	{"Offline failed.", "Offline failed"},
	{"list_add corruption. prev->next should be next (ffff888100a1b2c0), but was "
	 "0000000000000000.",
	 "list corruption"},
	{"list_del corruption, ffff888100a1b2c0->next is LIST_POISON1 (dead000000000100)",
	 "list corruption"},
	{"INFO: task khugepaged:55 blocked for more than 120 seconds.", "hung task"},
	{"UBSAN: shift-out-of-bounds in mm/x.c:1:2", "UBSAN"},
	{"BUG: KASAN: use-after-free in folio_try_get+0x4f/0x120", "KASAN"},
	{"BUG: KFENCE: out-of-bounds read in __split_huge_page+0x12/0x340", "KFENCE"},
	{"refcount_t: underflow; use-after-free.", "refcount"},
	{"BUG: unable to handle page fault for address: ffffc90000a4f000", "BUG"},
	{"BUG: Bad rss-counter state mm:000000001a2b3c4d type:MM_ANONPAGES val:-1", "BUG"},
	{"BUG kmalloc-64 (Not tainted): Poison overwritten", "BUG"},
};

static const char *const not_splats[] = {
	"mmtorture: job 3 start run 1a2b",
	"mmtorture: job 7 end run 7f3a label=WARNING: Oops BUG: kernel BUG at",
	"usb 1-1: new high-speed USB device number 2 using xhci_hcd",
	"debugfs: Directory 'x' with parent 'y' already present!",
	"EXT4-fs (vda): mounted filesystem 0d1e2f3a r/w with ordered data mode.",
	"Out of memory: Killed process 1234 (mmtorture) total-vm:1048576kB, anon-rss:1000kB",
	"stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0",
	("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
	 "global_oom,task_memcg=/user.slice,task=BUG: x,pid=4321,uid=0"),
	"Call Trace:",
	" <TASK>",
	"PM: DEBUG: something harmless",
	"systemd[1]: Mounting sys-kernel-debug.mount - Kernel Debug File System...",
	"x86/cpu: BUGS: none",
	"BUG_ON is a macro, not a splat",
};

static void test_splat(void)
{
	const char *rule;
	size_t i;

	for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++) {
		rule = mmt_kmsg_splat(splats[i].line);
		CHECK_MSG(rule && !strcmp(rule, splats[i].rule), "'%s' -> %s, want %s",
			  splats[i].line, rule ? rule : "(none)", splats[i].rule);
	}
	for (i = 0; i < sizeof(not_splats) / sizeof(not_splats[0]); i++) {
		rule = mmt_kmsg_splat(not_splats[i]);
		CHECK_MSG(!rule, "'%s' -> %s", not_splats[i], rule);
	}
}

static void test_oom_pid(void)
{
	CHECK(mmt_kmsg_oom_pid("Out of memory: Killed process 1234 (mmtorture) total-vm:1kB") ==
	      1234);
	CHECK(mmt_kmsg_oom_pid(
		      "Memory cgroup out of memory: Killed process 987 (x) total-vm:1kB") == 987);
	CHECK(mmt_kmsg_oom_pid("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
			       "mems_allowed=0,oom_memcg=/t,task_memcg=/t,task=a,pid=1234,uid=0") ==
	      1234);
	/* A task name that looks like a pid field does not fool it. */
	CHECK(mmt_kmsg_oom_pid("oom-kill:constraint=CONSTRAINT_NONE,task=x,pid=1,pid=77,uid=0") ==
	      77);
	CHECK(mmt_kmsg_oom_pid("stress invoked oom-killer: gfp_mask=0x0, order=0") == -1);
	CHECK(mmt_kmsg_oom_pid("Killed process without a number") == -1);
	CHECK(mmt_kmsg_oom_pid("WARNING: CPU: 1 PID: 2345 at mm/oom_kill.c:1") == -1);
	CHECK(mmt_kmsg_oom_pid("") == -1);
}

static void test_allow(void)
{
	struct mmt_kmsg_allow a = {0};
	char err[128] = "";

	CHECK(!mmt_kmsg_allowed(&a, "anything"));
	CHECK(!mmt_kmsg_allow_add(&a, "^WARNING: .* at mm/page_alloc\\.c:[0-9]+", err,
				  sizeof(err)));
	CHECK(!mmt_kmsg_allow_add(&a, "hung_task|blocked for more than (120|240) seconds", err,
				  sizeof(err)));
	CHECK(a.n == 2);
	CHECK_STR(a.src[1], "hung_task|blocked for more than (120|240) seconds");
	CHECK(mmt_kmsg_allowed(&a, "WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:4400 x+0x1"));
	CHECK(mmt_kmsg_allowed(&a, "INFO: task a:1 blocked for more than 240 seconds."));
	CHECK(!mmt_kmsg_allowed(&a, "WARNING: CPU: 0 PID: 1 at mm/huge_memory.c:4400 x+0x1"));
	CHECK(!mmt_kmsg_allowed(&a, "xWARNING: CPU: 0 PID: 1 at mm/page_alloc.c:1"));
	CHECK(mmt_kmsg_allow_add(&a, "unbalanced (paren", err, sizeof(err)) == -EINVAL);
	CHECK_MSG(err[0] != '\0', "no regerror text");
	CHECK(mmt_kmsg_allow_add(&a, "[z-a]", err, sizeof(err)) == -EINVAL);
	CHECK(a.n == 2);
	mmt_kmsg_allow_free(&a);
	CHECK(a.n == 0 && !a.re && !a.src);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write a marker and read it back: the whole path a job's start marker takes. */
static void test_round_trip(void)
{
	struct mmt_kmsg_rec rec;
	struct mmt_kmsg k;
	char marker[128];
	struct timespec ts;
	int64_t deadline;
	int r, seen = 0;

	r = mmt_kmsg_open(&k);
	if (r == -EACCES || r == -EPERM || r == -ENOENT)
		MMT_TEST_SKIP("cannot open /dev/kmsg: %s", strerror(-r));
	CHECK_MSG(!r, "mmt_kmsg_open: %s", strerror(-r));
	if (r)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srandom((unsigned int)(ts.tv_nsec ^ getpid()));
	snprintf(marker, sizeof(marker), "mmtorture: test_kmsg pid %d nonce %ld", (int)getpid(),
		 random());
	r = mmt_kmsg_write(marker);
	if (r == -EACCES || r == -EPERM)
		MMT_TEST_SKIP("cannot write /dev/kmsg: %s", strerror(-r));
	CHECK_MSG(!r, "mmt_kmsg_write: %s", strerror(-r));
	/* The record is in the ring once write() returns; allow 2 s anyway. */
	for (deadline = now_ms() + 2000; !r && !seen && now_ms() < deadline;) {
		r = mmt_kmsg_read(&k, &rec);
		if (r == 0)
			usleep(10000);
		else if (r == 1)
			seen = !strcmp(rec.text, marker);
		r = r < 0 ? r : 0;
	}
	CHECK_MSG(r >= 0, "mmt_kmsg_read: %s", strerror(-r));
	CHECK_MSG(seen, "marker '%s' not read back", marker);
	if (seen) {
		CHECK(rec.facility == 1); /* LOG_USER, as for any write to /dev/kmsg */
		CHECK(rec.seq > 0);
	}
	CHECK(!mmt_kmsg_splat(marker));
	mmt_kmsg_close(&k);
	CHECK(k.fd == -1);
}

int main(void)
{
	test_parse();
	test_splat();
	test_oom_pid();
	test_allow();
	test_round_trip();
	return check_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture vm hotplug`: memory hotplug -> reboot -> unplug cycles in a QEMU
 * guest, the shape of the 2019 Power9 hot-unplug failure (memory that was
 * present at boot could not be removed). Options are checked here, before
 * anything boots.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "main.h"
#include "opt.h"
#include "proc.h"
#include "vm_hotplug.h"

#define MIB (1ull << 20)
#define BLOCK (128 * MIB) /* x86_64's memory block; pseries wants 256M LMBs (checked later) */

static const char usage[] =
	"usage: mmtorture vm hotplug --kernel SPEC|PATH [options]\n"
	"\n"
	"Memory hotplug across a reboot in a QEMU guest (TCG: x86_64; ppc64le pseries with\n"
	"pc-dimm; aarch64 virt with virtio-mem, plugged into node 0), driven over QMP.\n"
	"Each cycle plugs memory into the guest's memory-only NUMA node 1; the guest\n"
	"onlines it (the kernel command line decides the zone) and fills and verifies\n"
	"tagged pages there; the guest is reset and must see the memory again after the\n"
	"reboot (and verifies new data on it); the memory is unplugged, QEMU must confirm\n"
	"(DEVICE_DELETED, or virtio-mem's size back to 0), and the guest reads back the\n"
	"data the kernel migrated off it. Per-step latencies (plug, online, verify,\n"
	"reboot, unplug, recheck, cycle), failures, the console's splats and the whole\n"
	"console are stored as one run with one job.\n"
	"\n"
	"options:\n"
	"  -k, --kernel SPEC|PATH   a cached kernel (see `vm fetch`, fetched if missing) or a\n"
	"                           boot image\n"
	"  -n, --cycles N           cycles, 1..1000 (default 1)\n"
	"      --device D           pc-dimm (default: an ACPI DIMM on x86_64, LMBs on\n"
	"                           ppc64le pseries) or virtio-mem (x86_64, aarch64)\n"
	"      --size SIZE          memory plugged each cycle: a multiple of 128M up to 16G\n"
	"                           (of 256M on ppc64le; default 512M)\n"
	"      --online M           movable: memhp_default_state=online_movable movable_node\n"
	"                           (default); normal: memhp_default_state=online, where the\n"
	"                           memory lands in ZONE_NORMAL and its unplug after a reboot\n"
	"                           is known to fail\n"
	"      --expect E           clean (default): every cycle must complete; limitation:\n"
	"                           each unplug after the reboot must fail the known way (the\n"
	"                           guest refuses the eject, \"Offline failed\"; on pseries\n"
	"                           \"Memory indexed-count-remove failed\"; virtio-mem\n"
	"                           keeps memory plugged); a cycle that goes through is\n"
	"                           reported as unexpected\n"
	"      --fill PCT           share of SIZE the guest fills with tagged pages, 1..90\n"
	"                           (default 25)\n"
	"      --unplug-timeout D   how long an unplug may take (default 30s)\n"
	"      --timeout D          the whole run's limit (default 3m + 2m a cycle)\n"
	"      --smp N              guest CPUs (default 2)\n"
	"      --mem SIZE           guest memory at boot, on node 0 (default 1G)\n"
	"      --cpu MODEL          QEMU -cpu (default: max; power9, cortex-a72)\n"
	"      --append TEXT        more kernel command line\n"
	"      --bin DIR            the guest's static mmtorture (cross/build.sh ARCH)\n"
	"      --busybox PATH       a static busybox (default: the host's /bin/busybox)\n"
	"      --seed N             the tag seed (default: from the clock)\n"
	"      --inject I           none (default); corrupt: the guest damages a page it\n"
	"                           filled; panic: it crashes its kernel once the memory is\n"
	"                           online (both must fail the run: the failure paths proved)\n"
	"      --db PATH            results database (default: results/mmtorture.db)\n"
	"      --tag TAG            label the run\n"
	"      --keep DIR           keep the initramfs and the console in DIR\n"
	"  -q, --quiet              no progress or report\n"
	"\n"
	"Exit: 0 pass (an expected limitation included), 1 a cycle failed, 2 bad input,\n"
	"99 QEMU or the harness failed, 130 interrupted.\n";

enum {
	H_DEVICE = 256,
	H_SIZE,
	H_ONLINE,
	H_EXPECT,
	H_FILL,
	H_UNPLUG_TIMEOUT,
	H_TIMEOUT,
	H_SMP,
	H_MEM,
	H_CPU,
	H_APPEND,
	H_BIN,
	H_BUSYBOX,
	H_SEED,
	H_INJECT,
	H_DB,
	H_TAG,
	H_KEEP,
};

static int bad(const char *opt, const char *val, const char *valid)
{
	fprintf(stderr, "mmtorture: vm hotplug: %s '%s': valid: %s\n", opt, val, valid);
	return 2;
}

/* "a, b, c" */
static const char *valid_list(const char *const *names)
{
	static char buf[128];
	size_t off = 0;
	int i;

	for (i = 0; names[i]; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
					names[i]);
	return buf;
}

static int choice(const char *opt, const char *val, const char *const *names, int *out)
{
	int i;

	for (i = 0; names[i]; i++) {
		if (!strcmp(val, names[i])) {
			*out = i;
			return 0;
		}
	}
	return bad(opt, val, valid_list(names));
}

static int number(const char *opt, const char *val, int64_t lo, int64_t hi, int *out)
{
	char valid[64];
	int64_t v;

	snprintf(valid, sizeof(valid), "an integer from %lld to %lld", (long long)lo,
		 (long long)hi);
	if (mmt_parse_int(val, &v) || v < lo || v > hi)
		return bad(opt, val, valid);
	*out = (int)v;
	return 0;
}

static int duration(const char *opt, const char *val, int64_t *out)
{
	if (mmt_parse_duration(val, out) || *out <= 0)
		return bad(opt, val, "a duration such as 30s, 5m");
	return 0;
}

static int size_opt(const char *opt, const char *val, int64_t lo, int64_t hi, int64_t unit,
		    int64_t *out)
{
	char valid[96];

	snprintf(valid, sizeof(valid), "a multiple of %lldM from %lldM to %lldG",
		 (long long)(unit >> 20), (long long)(lo >> 20), (long long)(hi >> 30));
	if (mmt_parse_size(val, out) || *out < lo || *out > hi || *out % unit)
		return bad(opt, val, valid);
	return 0;
}

static int option(int c, struct mmt_hotplug_opts *o)
{
	int64_t v;
	int r = 0;

	switch (c) {
	case 'k':
		o->kernel = optarg;
		break;
	case 'n':
		r = number("--cycles", optarg, 1, 1000, &o->cycles);
		break;
	case H_DEVICE:
		r = choice("--device", optarg, mmt_hp_device_names, &o->device);
		break;
	case H_SIZE:
		r = size_opt("--size", optarg, BLOCK, 16ll << 30, BLOCK, &v);
		o->size = (uint64_t)v;
		break;
	case H_ONLINE:
		r = choice("--online", optarg, mmt_hp_online_names, &o->online);
		break;
	case H_EXPECT:
		r = choice("--expect", optarg, mmt_hp_expect_names, &o->expect);
		break;
	case H_INJECT:
		r = choice("--inject", optarg, mmt_hp_inject_names, &o->inject);
		break;
	case H_FILL:
		r = number("--fill", optarg, 1, 90, &o->fill_pct);
		break;
	case H_UNPLUG_TIMEOUT:
		r = duration("--unplug-timeout", optarg, &o->unplug_timeout_ns);
		break;
	case H_TIMEOUT:
		r = duration("--timeout", optarg, &o->timeout_ns);
		break;
	case H_SMP:
		r = number("--smp", optarg, 1, 64, &o->smp);
		break;
	case H_MEM:
		r = size_opt("--mem", optarg, 256 * MIB, 64ll << 30, MIB, &v);
		o->mem_mb = (long)(v >> 20);
		break;
	case H_SEED:
		if (mmt_parse_int(optarg, &v) || v < 0)
			return bad("--seed", optarg, "a non-negative integer");
		o->seed = (uint64_t)v;
		break;
	default:
		return -1;
	}
	return r;
}

static int text_option(int c, struct mmt_hotplug_opts *o, const char **db)
{
	const char **slot[] = {
		[H_CPU - H_DEVICE] = &o->cpu,	[H_APPEND - H_DEVICE] = &o->append,
		[H_BIN - H_DEVICE] = &o->bin,	[H_BUSYBOX - H_DEVICE] = &o->busybox,
		[H_DB - H_DEVICE] = db,		[H_TAG - H_DEVICE] = &o->tag,
		[H_KEEP - H_DEVICE] = &o->keep,
	};

	if (c < H_DEVICE || c > H_KEEP || !slot[c - H_DEVICE])
		return -1;
	*slot[c - H_DEVICE] = optarg;
	return 0;
}

static int parse_args(int argc, char **argv, struct mmt_hotplug_opts *o, const char **db)
{
	static const struct option longopts[] = {
		{"kernel", required_argument, NULL, 'k'},
		{"cycles", required_argument, NULL, 'n'},
		{"device", required_argument, NULL, H_DEVICE},
		{"size", required_argument, NULL, H_SIZE},
		{"online", required_argument, NULL, H_ONLINE},
		{"expect", required_argument, NULL, H_EXPECT},
		{"fill", required_argument, NULL, H_FILL},
		{"unplug-timeout", required_argument, NULL, H_UNPLUG_TIMEOUT},
		{"timeout", required_argument, NULL, H_TIMEOUT},
		{"smp", required_argument, NULL, H_SMP},
		{"mem", required_argument, NULL, H_MEM},
		{"cpu", required_argument, NULL, H_CPU},
		{"append", required_argument, NULL, H_APPEND},
		{"bin", required_argument, NULL, H_BIN},
		{"busybox", required_argument, NULL, H_BUSYBOX},
		{"seed", required_argument, NULL, H_SEED},
		{"inject", required_argument, NULL, H_INJECT},
		{"db", required_argument, NULL, H_DB},
		{"tag", required_argument, NULL, H_TAG},
		{"keep", required_argument, NULL, H_KEEP},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "k:n:qh", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (c == 'q') {
			o->quiet = 1;
			continue;
		}
		r = option(c, o);
		if (r < 0)
			r = text_option(c, o, db);
		if (r < 0)
			return fputs(usage, stderr), 2;
		if (r)
			return r;
	}
	if (optind < argc)
		return fprintf(stderr, "mmtorture: vm hotplug: unexpected '%s'\n", argv[optind]), 2;
	if (!o->kernel)
		return fprintf(stderr, "mmtorture: vm hotplug: --kernel SPEC|PATH is required\n%s",
			       usage),
		       2;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	mmt_proc_interrupted = 1;
}

/* Ctrl-C ends the cycles at the next wait; the guest is stopped and the run stored. */
static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static char *joined(int argc, char **argv)
{
	size_t len = 0, off = 0;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len + 16);
	if (!s)
		return NULL;
	off = (size_t)sprintf(s, "mmtorture vm");
	for (i = 0; i < argc; i++)
		off += (size_t)sprintf(s + off, " %s", argv[i]);
	return s;
}

int mmt_cmd_vm_hotplug(int argc, char **argv)
{
	struct mmt_hotplug_opts o = {
		.cycles = 1,
		.size = 512 * MIB,
		.fill_pct = 25,
		.smp = 2,
		.mem_mb = 1024,
		.unplug_timeout_ns = 30ll * 1000000000ll,
	};
	const char *db = mmt_default_db();
	char *cmdline = joined(argc, argv);
	int r;

	o.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	o.cmdline = cmdline;
	r = parse_args(argc, argv, &o, &db);
	if (!r && !o.timeout_ns)
		o.timeout_ns =
			(180ll + 120ll * o.cycles) * 1000000000ll + o.cycles * o.unplug_timeout_ns;
	if (!r) {
		catch_signals();
		r = mmt_hotplug_run(&o, db);
	}
	free(cmdline);
	return r;
}

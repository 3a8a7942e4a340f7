// SPDX-License-Identifier: GPL-2.0
/*
 * `mmtorture vm run`: a profile inside a QEMU guest. The host builds an
 * initramfs (busybox, the static mmtorture of the guest's arch, the profile,
 * modules), boots it under TCG with a deadline, keeps the whole console, and
 * imports the framed results the guest's runner streams out over a second
 * channel. What the guest could not say, the console does: a splat fails the
 * job it was printed in, and a job the guest never reported (it died, hung or
 * panicked) is recorded as failed with the console's last lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "config.h"
#include "main.h"
#include "opt.h"
#include "vm_guest.h"

static const char usage[] =
	"usage: mmtorture vm run --kernel SPEC|PATH [options] [PROFILE.ini] [-w "
	"W[:opt=val,...]]...\n"
	"\n"
	"Boot a kernel under QEMU (TCG), run a profile inside it with the guest's static\n"
	"mmtorture, and import the results into the host's store, tagged with the guest's\n"
	"kernel and arch. The guest's whole console is kept with the run.\n"
	"\n"
	"options:\n"
	"  -k, --kernel SPEC|PATH   a cached kernel (see `vm fetch`/`vm list`) or a boot image\n"
	"      --arch ARCH          x86_64, s390x, aarch64, ppc64le (default: the kernel's)\n"
	"  -p, --profile P          a profile name (profiles/P.ini) or path (default: quick)\n"
	"  -w W[:opt=val,...]       a job (replaces the profile's jobs), as for `run`\n"
	"  -d, --duration D         each job's duration inside the guest\n"
	"      --smp N              guest CPUs (default 2)\n"
	"      --mem SIZE           guest memory (default 2G)\n"
	"      --numa-nodes N       NUMA nodes (memory split evenly; default: none declared)\n"
	"      --cpu MODEL          QEMU -cpu (default: max on x86_64, so LA57 is there)\n"
	"      --la57               boot the compressed image: 5-level paging on x86_64\n"
	"      --append TEXT        more kernel command line\n"
	"      --timeout D          kill the guest after D (default: the profile's length + 3m)\n"
	"      --bin DIR            the guest arch's static mmtorture and mmtorture-worker\n"
	"      --busybox PATH       a static busybox of the guest's arch\n"
	"      --allow-destructive  let hotplug workloads run (inside the guest)\n"
	"      --db PATH            host results database (default: results/mmtorture.db)\n"
	"      --tag TAG            label the imported run\n"
	"      --keep DIR           keep the initramfs, console and stream in DIR\n"
	"      --guest-sh CMD       a shell command the guest runs in the background beside\n"
	"                           the profile (inject a crash, load, a kernel log line)\n"
	"  -q, --quiet              no console echo or summary\n"
	"\n"
	"Exit: as `run` (0 pass, 1 a job failed, 77 all skipped), 2 bad input, 99 the guest\n"
	"or QEMU could not be run.\n";

enum {
	V_ARCH = 256,
	V_SMP,
	V_MEM,
	V_NUMA,
	V_CPU,
	V_LA57,
	V_APPEND,
	V_TIMEOUT,
	V_BIN,
	V_BUSYBOX,
	V_DESTRUCTIVE,
	V_DB,
	V_TAG,
	V_KEEP,
	V_GUEST_SH,
};

static int parse_int(const char *what, const char *s, int lo, int hi, int *out)
{
	int64_t v;

	if (mmt_parse_int(s, &v) || v < lo || v > hi) {
		fprintf(stderr, "mmtorture: vm run: %s: '%s' is not an integer in %d..%d\n", what,
			s, lo, hi);
		return 2;
	}
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct mmt_guest_opts *o, const char **db)
{
	static const struct option longopts[] = {
		{"kernel", required_argument, NULL, 'k'},
		{"arch", required_argument, NULL, V_ARCH},
		{"workload", required_argument, NULL, 'w'},
		{"profile", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"smp", required_argument, NULL, V_SMP},
		{"mem", required_argument, NULL, V_MEM},
		{"numa-nodes", required_argument, NULL, V_NUMA},
		{"cpu", required_argument, NULL, V_CPU},
		{"la57", no_argument, NULL, V_LA57},
		{"append", required_argument, NULL, V_APPEND},
		{"timeout", required_argument, NULL, V_TIMEOUT},
		{"bin", required_argument, NULL, V_BIN},
		{"busybox", required_argument, NULL, V_BUSYBOX},
		{"allow-destructive", no_argument, NULL, V_DESTRUCTIVE},
		{"db", required_argument, NULL, V_DB},
		{"tag", required_argument, NULL, V_TAG},
		{"keep", required_argument, NULL, V_KEEP},
		{"guest-sh", required_argument, NULL, V_GUEST_SH},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "k:w:d:p:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 'p':
			o->profile = optarg;
			break;
		case V_ARCH:
			o->arch = optarg;
			break;
		case 'w':
			if (o->nw == MMT_GUEST_MAX_JOBS)
				return fprintf(stderr, "mmtorture: vm run: at most %d -w\n",
					       MMT_GUEST_MAX_JOBS),
				       2;
			o->w[o->nw++] = optarg;
			break;
		case 'd':
			if (mmt_parse_duration(optarg, &v) || v <= 0)
				return fprintf(stderr,
					       "mmtorture: vm run: --duration '%s': want e.g. 30s, "
					       "2m\n",
					       optarg),
				       2;
			o->duration = optarg;
			break;
		case V_SMP:
			if (parse_int("--smp", optarg, 1, 64, &o->smp))
				return 2;
			break;
		case V_MEM:
			if (mmt_parse_size(optarg, &v) || v < (128 << 20) || v > (256ll << 30))
				return fprintf(stderr,
					       "mmtorture: vm run: --mem '%s': want a size from "
					       "128M "
					       "to 256G\n",
					       optarg),
				       2;
			o->mem_mb = (long)(v >> 20);
			break;
		case V_NUMA:
			if (parse_int("--numa-nodes", optarg, 0, 8, &o->numa_nodes))
				return 2;
			break;
		case V_CPU:
			o->cpu = optarg;
			break;
		case V_LA57:
			o->la57 = 1;
			break;
		case V_APPEND:
			o->append = optarg;
			break;
		case V_TIMEOUT:
			if (mmt_parse_duration(optarg, &v) || v <= 0)
				return fprintf(stderr,
					       "mmtorture: vm run: --timeout '%s': want e.g. 5m\n",
					       optarg),
				       2;
			o->timeout_ns = v;
			break;
		case V_BIN:
			o->bin = optarg;
			break;
		case V_BUSYBOX:
			o->busybox = optarg;
			break;
		case V_DESTRUCTIVE:
			o->allow_destructive = 1;
			break;
		case V_DB:
			*db = optarg;
			break;
		case V_TAG:
			o->tag = optarg;
			break;
		case V_KEEP:
			o->keep = optarg;
			break;
		case V_GUEST_SH:
			o->guest_sh = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc && o->profile)
		return fprintf(stderr, "mmtorture: vm run: a profile twice ('%s', '%s')\n",
			       o->profile, argv[optind]),
		       2;
	if (optind < argc)
		o->profile = argv[optind++];
	if (optind < argc)
		return fprintf(stderr, "mmtorture: vm run: unexpected '%s'\n", argv[optind]), 2;
	if (!o->kernel)
		return fprintf(stderr, "mmtorture: vm run: --kernel SPEC|PATH is required\n%s",
			       usage),
		       2;
	return 0;
}

int mmt_cmd_vm_run(int argc, char **argv)
{
	struct mmt_guest_opts o = {.smp = 2, .mem_mb = 2048};
	const char *db = mmt_default_db();
	int64_t run_id;
	int r;

	r = parse_args(argc, argv, &o, &db);
	if (r)
		return r;
	return mmt_guest_run(&o, db, &run_id);
}

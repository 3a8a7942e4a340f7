// SPDX-License-Identifier: GPL-2.0
/* `mmtorture vm fetch|list`: the cache of kernels that QEMU guests boot. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cmds.h"
#include "proc.h"
#include "vm_cache.h"

static const char vm_usage[] =
	"usage: mmtorture vm COMMAND [options]\n"
	"\n"
	"Profiles in QEMU guests (TCG) across kernels and architectures. Kernels are\n"
	"kept in a cache (--cache DIR, $MMTORTURE_CACHE, $XDG_CACHE_HOME/mmtorture or\n"
	"~/.cache/mmtorture).\n"
	"\n"
	"commands:\n"
	"  fetch SPEC...     download Debian kernel packages (or copy the host's kernel)\n"
	"                    and unpack what a guest boot needs\n"
	"  list              the cached kernels\n"
	"  run --kernel SPEC [PROFILE] [-w ...]\n"
	"                    boot a guest, run the profile inside, import the results\n"
	"  matrix FILE.ini   kernels x profiles, each a guest run, then one table\n"
	"  hotplug --kernel SPEC [--cycles N] [--device pc-dimm|virtio-mem] ...\n"
	"                    memory hotplug -> reboot -> unplug cycles over QMP\n"
	"\n"
	"Each command takes --help.\n";

static void fetch_usage(FILE *f)
{
	fprintf(f,
		"usage: mmtorture vm fetch [--cache DIR] [--force] [--all-modules] [--update] "
		"[-q] SPEC...\n"
		"\n"
		"Download Debian's linux-image packages with apt-get through a private apt state\n"
		"(the system's apt and dpkg state are not touched, nothing goes to /boot) and\n"
		"unpack into CACHE/kernels/RELEASE: vmlinuz, vmlinux (x86_64: the uncompressed "
		"ELF\n"
		"for a fast direct boot), config, System.map when real, modules/ and meta.json.\n"
		"A kernel already cached is left alone.\n"
		"\n"
		"SPEC: %s.\n"
		"The flavour decides the architecture: *amd64 amd64 (qemu x86_64), *arm64 arm64\n"
		"(aarch64), s390x s390x, powerpc64le* ppc64el (ppc64).\n"
		"\n"
		"  --cache DIR     the cache (default: $MMTORTURE_CACHE, "
		"$XDG_CACHE_HOME/mmtorture,\n"
		"                  ~/.cache/mmtorture)\n"
		"  --force         fetch again even when cached\n"
		"  --all-modules   keep every module, not only the guest set (virtio, mm, ext4,\n"
		"                  9p, zram and their dependencies)\n"
		"  --update        refresh the package index first (else when a day old)\n"
		"  -q, --quiet     no progress lines\n"
		"  -h, --help      this help\n"
		"\n"
		"Exit: 0 fetched or cached, 1 a fetch failed, 2 a bad SPEC or no such package,\n"
		"130 interrupted (what was being fetched is removed).\n",
		mmt_kspec_forms);
}

static void list_usage(FILE *f)
{
	fprintf(f,
		"usage: mmtorture vm list [--cache DIR] [--json]\n"
		"\n"
		"The cached kernels: release, Debian arch, flavour, package version, size on\n"
		"disk, boot images and when each was fetched. --json prints each one's meta.json\n"
		"with its directory, in one array.\n");
}

struct vm_args {
	const char *cache;
	unsigned flags;
	int json, quiet;
};

/* 0 to go on, 1 after --help, -1 on a usage error (already said). */
static int vm_parse(int argc, char **argv, struct vm_args *a, int fetch)
{
	static const struct option longopts[] = {
		{"cache", required_argument, NULL, 'c'}, {"force", no_argument, NULL, 'f'},
		{"all-modules", no_argument, NULL, 'a'}, {"update", no_argument, NULL, 'u'},
		{"json", no_argument, NULL, 'j'},	 {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	void (*usage)(FILE *) = fetch ? fetch_usage : list_usage;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+hq", longopts, NULL)) != -1) {
		if (c == 'c')
			a->cache = optarg;
		else if (fetch && c == 'f')
			a->flags |= MMT_FETCH_FORCE;
		else if (fetch && c == 'a')
			a->flags |= MMT_FETCH_ALL_MODULES;
		else if (fetch && c == 'u')
			a->flags |= MMT_FETCH_UPDATE;
		else if (fetch && c == 'q')
			a->quiet = 1;
		else if (!fetch && c == 'j')
			a->json = 1;
		else if (c == 'h')
			return usage(stdout), 1;
		else
			return usage(stderr), -1;
	}
	return 0;
}

static void fetch_note(void *arg, const char *msg)
{
	fprintf(stderr, "vm fetch: %s\n", msg);
	(void)arg;
}

static void say_fetched(const struct mmt_kernel *k, int was_cached)
{
	char when[32];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&k->fetched));
	if (was_cached) {
		printf("%s: already cached in %s (fetched %s); --force fetches it again\n",
		       k->release, k->dir, when);
		return;
	}
	printf("%s: %s %s (%s) in %.1f s (download %.1f s, unpack %.1f s): %.1f MiB in %s; "
	       "boot:%s%s%s%s%s; %d modules (%s set)\n",
	       k->release, *k->package ? k->package : "host kernel", k->version, k->debarch,
	       k->download_s + k->extract_s, k->download_s, k->extract_s, k->size / 1048576.0,
	       k->dir, *k->vmlinuz ? " vmlinuz" : "", *k->vmlinux ? " vmlinux" : "",
	       *k->compression ? " (from " : "", k->compression, *k->compression ? ")" : "",
	       k->nmodules, k->modules_set);
}

static void on_signal(int sig)
{
	(void)sig;
	mmt_proc_interrupted = 1;
}

/* Ctrl-C stops the tool at work (in its own process group) and the fetch cleans up. */
static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int do_fetch(const char *cache, char **specs, int n, const struct vm_args *a)
{
	struct mmt_fetch_opts o = {.flags = a->flags, .note = a->quiet ? NULL : fetch_note};
	struct mmt_kernel k;
	char err[2048];
	int i, r, rc = 0;

	catch_signals();
	for (i = 0; i < n; i++) {
		if (mmt_proc_interrupted) {
			fprintf(stderr, "mmtorture vm fetch: interrupted\n");
			return 130;
		}
		r = mmt_kernel_fetch(cache, specs[i], &o, &k, err, sizeof(err));
		if (r >= 0) {
			say_fetched(&k, r > 0);
			continue;
		}
		fprintf(stderr, "mmtorture vm fetch: %s\n", err);
		rc = r == -EINVAL || r == -ENOPKG ? 2 : (rc ? rc : 1);
	}
	return mmt_proc_interrupted ? 130 : rc;
}

static int cmd_fetch(int argc, char **argv)
{
	struct vm_args a = {0};
	struct mmt_kspec ks;
	char cache[4096], err[2048];
	int r = vm_parse(argc, argv, &a, 1), i;

	if (r)
		return r > 0 ? 0 : 2;
	if (optind >= argc) {
		fprintf(stderr, "mmtorture vm fetch: no SPEC; valid: %s\n", mmt_kspec_forms);
		return 2;
	}
	/* Every SPEC is checked before anything is downloaded. */
	for (i = optind; i < argc; i++) {
		if (mmt_kspec_parse(argv[i], &ks, err, sizeof(err))) {
			fprintf(stderr, "mmtorture vm fetch: %s\n", err);
			return 2;
		}
	}
	r = mmt_vm_cache_dir(a.cache, cache, sizeof(cache));
	if (r) {
		fprintf(stderr, "mmtorture vm fetch: no cache directory: give --cache DIR or set "
				"MMTORTURE_CACHE\n");
		return 2;
	}
	return do_fetch(cache, argv + optind, argc - optind, &a);
}

static void list_text(const struct mmt_kernel *v, size_t n)
{
	char when[32], boot[32];
	size_t i;

	printf("%-28s %-8s %-12s %-22s %9s  %-16s %s\n", "RELEASE", "ARCH", "FLAVOUR", "VERSION",
	       "SIZE", "BOOT", "FETCHED");
	for (i = 0; i < n; i++) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&v[i].fetched));
		snprintf(boot, sizeof(boot), "%s%s%s", *v[i].vmlinuz ? "vmlinuz" : "",
			 *v[i].vmlinuz && *v[i].vmlinux ? "," : "", *v[i].vmlinux ? "vmlinux" : "");
		printf("%-28s %-8s %-12s %-22.22s %7.1fM  %-16s %s\n", v[i].release, v[i].debarch,
		       v[i].flavour, v[i].version, v[i].size / 1048576.0, boot, when);
	}
}

static void list_json(const struct mmt_kernel *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		char *text = mmt_kernel_json(&v[i]);
		struct json_object *o = text ? json_tokener_parse(text) : NULL;

		free(text);
		if (!o)
			continue;
		/* meta.json as stored, plus where it lies. */
		json_object_object_add(o, "dir", json_object_new_string(v[i].dir));
		json_object_array_add(a, o);
	}
	printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
}

static int cmd_list(int argc, char **argv)
{
	struct vm_args a = {0};
	struct mmt_kernel *v;
	char cache[4096];
	size_t n;
	int r = vm_parse(argc, argv, &a, 0);

	if (r)
		return r > 0 ? 0 : 2;
	if (optind < argc) {
		fprintf(stderr,
			"mmtorture vm list: unexpected argument '%s'; valid: --cache DIR, "
			"--json\n",
			argv[optind]);
		return 2;
	}
	if (mmt_vm_cache_dir(a.cache, cache, sizeof(cache))) {
		fprintf(stderr, "mmtorture vm list: no cache directory: give --cache DIR\n");
		return 2;
	}
	r = mmt_kernel_list(cache, &v, &n);
	if (r) {
		fprintf(stderr, "mmtorture vm list: %s/kernels: %s\n", cache, strerror(-r));
		return 1;
	}
	if (a.json)
		list_json(v, n);
	else if (n)
		list_text(v, n);
	else
		printf("no kernels in %s; `mmtorture vm fetch SPEC` adds one\n", cache);
	free(v);
	return 0;
}

int mmt_cmd_vm(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "fetch"))
		return cmd_fetch(argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(sub, "run"))
		return mmt_cmd_vm_run(argc - 1, argv + 1);
	if (!strcmp(sub, "matrix"))
		return mmt_cmd_vm_matrix(argc - 1, argv + 1);
	if (!strcmp(sub, "hotplug"))
		return mmt_cmd_vm_hotplug(argc - 1, argv + 1);
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		fputs(vm_usage, stdout);
		return 0;
	}
	fprintf(stderr, "mmtorture vm: %s '%s'; valid: fetch, list, run, matrix, hotplug\n",
		*sub ? "unknown command" : "no command", sub);
	return 2;
}

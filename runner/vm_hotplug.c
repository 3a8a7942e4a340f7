// SPDX-License-Identifier: GPL-2.0
/*
 * `vm hotplug` end to end: check the kernel and binaries on the host, pack
 * an initramfs whose init runs the guest side (__guest-hotplug) on every
 * boot, start QEMU with a memory-only NUMA node 1 and room for hot-added
 * memory, drive the cycles over QMP, and store one run with one job: the
 * per-step latencies as ops, failures, the console's splats as kmsg lines,
 * a note per cycle, and the whole console.
 */
#include "vm_hotplug.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "decomp.h"
#include "fnv.h"
#include "gitrev.h"
#include "main.h"
#include "report.h"
#include "store.h"
#include "vm_guest.h"
#include "vm_hotplug_internal.h"
#include "vm_initrd.h"

#define WHO "vm hotplug"
#define BOOT_LIMIT (180 * HP_SEC)
#define QMP_CONNECT_LIMIT (30 * HP_SEC)
#define QUIT_LIMIT (5 * HP_SEC)

const char *const mmt_hp_device_names[] = {"pc-dimm", "virtio-mem", NULL};
const char *const mmt_hp_online_names[] = {"movable", "normal", NULL};
const char *const mmt_hp_expect_names[] = {"clean", "limitation", NULL};
const char *const mmt_hp_inject_names[] = {"none", "corrupt", "panic", NULL};

/* ------------------------------------------------------------ checking */

/* The value of CONFIG_name in the cached kernel's config: 'y', 'm' or 0. */
static int config_of(const struct mmt_kernel *k, const char *name)
{
	char line[256], want[96];
	size_t n = (size_t)snprintf(want, sizeof(want), "CONFIG_%s=", name);
	FILE *f = fopen(k->config, "re");
	int v = 0;

	if (!f)
		return -1;
	while (!v && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, n))
			v = line[n];
	fclose(f);
	return v;
}

/*
 * Where each device can be plugged: pc-dimm through ACPI on x86_64 and
 * through the hypervisor's LMB hotplug (DLPAR) on pseries; virtio-mem on
 * x86_64 and aarch64's virt. Not pc-dimm on aarch64: Debian's arm64 kernel
 * lacks ACPI memory hotplug. Not s390x: QEMU 7.2 has no virtio-mem-ccw.
 * unit: the DIMM granularity (pseries plugs whole 256M LMBs). need: the
 * kernel's config.
 */
static const struct hp_combo {
	const char *arch;
	int device;
	uint64_t unit;
	const char *need;
} combos[] = {
	{"x86_64", MMT_HP_PC_DIMM, 128ull << 20, "ACPI_HOTPLUG_MEMORY"},
	{"x86_64", MMT_HP_VIRTIO_MEM, 128ull << 20, "VIRTIO_MEM"},
	{"ppc64le", MMT_HP_PC_DIMM, 256ull << 20, "PPC_PSERIES"},
	{"aarch64", MMT_HP_VIRTIO_MEM, 128ull << 20, "VIRTIO_MEM"},
};

#define VALID_COMBOS "x86_64 pc-dimm|virtio-mem, ppc64le pc-dimm, aarch64 virtio-mem"

static const struct hp_combo *combo_of(const char *arch, int device)
{
	size_t i;

	for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++)
		if (!strcmp(combos[i].arch, arch) && combos[i].device == device)
			return &combos[i];
	return NULL;
}

/* What the cycle needs of the arch and, when its config is known, the kernel. */
static int check_kernel(struct hp *h)
{
	const struct hp_combo *c = combo_of(h->arch->name, h->o->device);
	const char *need[3] = {"MEMORY_HOTPLUG", "MEMORY_HOTREMOVE", c ? c->need : NULL};
	int i, v;

	if (!c)
		return fprintf(stderr,
			       "mmtorture: " WHO ": kernel %s is %s: --device %s cannot be "
			       "hotplugged there (valid: " VALID_COMBOS ")\n",
			       h->o->kernel, h->arch->name, h->device),
		       2;
	/* A device-tree guest ignores a node that has no memory at boot. */
	h->node = strcmp(h->arch->name, "aarch64") ? 1 : 0;
	h->scope = h->node ? "node" : "virtio_mem";
	if (h->o->size % c->unit)
		return fprintf(stderr,
			       "mmtorture: " WHO ": --size %lluM: valid on %s: a multiple of "
			       "%lluM\n",
			       (unsigned long long)(h->o->size >> 20), h->arch->name,
			       (unsigned long long)(c->unit >> 20)),
		       2;
	if (!h->have_k && h->o->device == MMT_HP_VIRTIO_MEM)
		return fprintf(stderr, "mmtorture: " WHO ": --device virtio-mem loads its module: "
				       "give a cached kernel (vm fetch), not a bare image\n"),
		       2;
	for (i = 0; h->have_k && i < 3; i++) {
		v = config_of(&h->k, need[i]);
		if (v == 'y' || v == 'm' || v < 0)
			continue;
		return fprintf(stderr, "mmtorture: " WHO ": kernel %s lacks CONFIG_%s\n",
			       h->k.release, need[i]),
		       2;
	}
	return 0;
}

static int find_pieces(struct hp *h)
{
	const char *want[] = {"virtio_mem"};
	char err[1024];
	int r;

	r = mmt_guest_kernel(WHO, h->o->kernel, NULL, 0, &h->arch, &h->k, &h->have_k, h->image,
			     sizeof(h->image));
	if (!r)
		r = check_kernel(h);
	if (!r)
		r = mmt_guest_binaries(WHO, h->arch, h->o->bin, h->o->busybox, h->bin, h->busybox,
				       sizeof(h->bin));
	if (r || h->o->device != MMT_HP_VIRTIO_MEM)
		return r;
	r = mmt_kmod_resolve(&h->k, want, 1, &h->mods, err, sizeof(err));
	if (r)
		fprintf(stderr, "mmtorture: " WHO ": modules: %s\n", err);
	return r ? 2 : 0;
}

/* ------------------------------------------------------------ the guest */

/*
 * Load the modules, say the guest is up, hand over to __guest-hotplug; were
 * it to end, say how and power off (QEMU then ends, and the host sees it).
 */
static const char init_script[] = MMT_GUEST_INIT_HEAD
	"/bin/mmtorture __guest-hotplug $(cat /mmt/hotplug)\n" MMT_GUEST_INIT_TAIL;

static int workdir(struct hp *h)
{
	const char *d = h->o->keep;

	if (d && mkdir(d, 0755) && errno != EEXIST)
		return fprintf(stderr, "mmtorture: " WHO ": --keep %s: %s\n", d, strerror(errno)),
		       2;
	if (d) {
		snprintf(h->dir, sizeof(h->dir), "%s", d);
	} else {
		snprintf(h->dir, sizeof(h->dir), "/tmp/mmtorture-hp.XXXXXX");
		if (!mkdtemp(h->dir))
			return fprintf(stderr, "mmtorture: " WHO ": %s: %s\n", h->dir,
				       strerror(errno)),
			       99;
	}
	snprintf(h->initrd, sizeof(h->initrd), "%s/initrd.cpio.gz", h->dir);
	snprintf(h->results, sizeof(h->results), "%s/results.stream", h->dir);
	snprintf(h->conlog, sizeof(h->conlog), "%s/console.log", h->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/qmp.sock", h->dir);
	if (strlen(h->sock) >= 100)
		return fprintf(stderr,
			       "mmtorture: " WHO ": --keep %s: too long for QMP's unix socket "
			       "(at most 90 characters)\n",
			       d),
		       2;
	unlink(h->sock);
	return 0;
}

static int pack(struct hp *h)
{
	struct mmt_initrd_entry e[4 + MMT_GUEST_MAX_MODULES + 4];
	struct mmt_guest_tail tail;
	char mmt[4200], err[1024];
	int n = 0, r;

	snprintf(mmt, sizeof(mmt), "%s/mmtorture", h->bin);
	snprintf(h->gargs, sizeof(h->gargs), "%d %llu %llu %d %s %s\n", h->node,
		 (unsigned long long)h->o->size, (unsigned long long)(h->o->seed & 0xffffffffu),
		 h->o->fill_pct, mmt_hp_inject_names[h->o->inject], h->scope);
	e[n++] = (struct mmt_initrd_entry){"init", NULL, init_script, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"bin/busybox", h->busybox, NULL, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"bin/mmtorture", mmt, NULL, NULL, 0755, 0};
	e[n++] = (struct mmt_initrd_entry){"mmt/hotplug", NULL, h->gargs, NULL, 0644, 0};
	n = mmt_guest_image_tail(e, n, &h->mods, &tail);
	r = mmt_initrd_write(h->initrd, e, n, err, sizeof(err));
	return r ? (fprintf(stderr, "mmtorture: " WHO ": initramfs: %s\n", err), 99) : 0;
}

/* ------------------------------------------------------------ the machine */

static void machine(struct hp *h, struct mmt_vm_cfg *c, const char **extra, char *vmem, size_t len)
{
	uint64_t mb = h->o->size >> 20;
	int n = 0;

	snprintf(h->append, sizeof(h->append), "panic=-1 rdinit=/init %s%s%s",
		 h->o->online == MMT_HP_MOVABLE ? "memhp_default_state=online_movable movable_node"
						: "memhp_default_state=online",
		 h->o->append ? " " : "", h->o->append ? h->o->append : "");
	/* One DIMM (or virtio-mem device) at a time: a guest that keeps one is replaced. */
	h->maxmem_mb = h->o->mem_mb + (long)mb;
	*c = (struct mmt_vm_cfg){
		.arch = h->arch,
		.kernel = h->image,
		.initrd = h->initrd,
		.append = h->append,
		.cpu = h->o->cpu,
		.smp = h->o->smp,
		.mem_mb = h->o->mem_mb,
		.maxmem_mb = h->maxmem_mb,
		.slots = 1,
		/* Node 0 declared: node 1 alone is not a machine every arch boots. */
		.numa_nodes = 1,
		.results = h->results,
		.qmp = h->sock,
		.reboot = 1,
		.extra = extra,
	};
	/* Node 1 has neither CPUs nor memory: what is plugged there is all it has. */
	if (h->node == 1) {
		extra[n++] = "-numa";
		extra[n++] = "node,nodeid=1";
	}
	if (h->o->device == MMT_HP_VIRTIO_MEM) {
		snprintf(vmem, len,
			 "memory-backend-ram,id=vmemmem,size=%lluM%c"
			 "virtio-mem-pci,id=vmem0,memdev=vmemmem,node=%d,block-size=2M,"
			 "requested-size=0",
			 (unsigned long long)mb, 0, h->node);
		extra[n++] = "-object";
		extra[n++] = vmem;
		extra[n++] = "-device";
		extra[n++] = vmem + strlen(vmem) + 1;
	}
	extra[n] = NULL;
}

static int start(struct hp *h)
{
	const char *extra[8];
	char *argv[MMT_VM_MAX_ARGS], buf[16384], vmem[256];
	struct mmt_vm_cfg c;
	size_t off = 0;
	int r, i;

	machine(h, &c, extra, vmem, sizeof(vmem));
	r = mmt_vm_cmdline(&c, argv, buf, sizeof(buf));
	for (i = 0; !r && argv[i]; i++)
		off += (size_t)snprintf(h->qemu_cmd + off, sizeof(h->qemu_cmd) - off, "%s%s",
					i ? " " : "", argv[i]);
	/* QEMU opens the results file itself; nothing is sent there here. */
	close(open(h->results, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	hp_console_init(h);
	h->vm_t0 = hp_now();
	if (!r)
		r = mmt_vm_start(&c, &h->vm);
	if (r)
		return fprintf(stderr, "mmtorture: " WHO ": starting %s: %s\n", h->arch->qemu,
			       strerror(-r)),
		       99;
	h->started = 1;
	h->machines++;
	mmt_qmp_init(&h->q);
	mmt_qmp_set_side(&h->q, h->vm.console, hp_console_ready, h);
	if (h->machines == 1)
		hp_say(h,
		       "%s, %s: %s of %llu MiB into node %d, online %s, expect %s, timeout %llds",
		       h->arch->qemu, h->image, h->device, (unsigned long long)(h->o->size >> 20),
		       h->node, h->online, h->expect,
		       (long long)(h->o->timeout_ns / (int64_t)HP_SEC));
	return 0;
}

/* Up to the guest's first word: QMP answers, the guest boots with node 1 empty. */
static int first_boot(struct hp *h)
{
	char tail[700];
	uint64_t end;
	int r, w, n;

	h->step = "boot";
	end = hp_until(h, QMP_CONNECT_LIMIT);
	/* In short tries: a QEMU that refuses its options ends, and its console says why. */
	do
		r = mmt_qmp_connect(&h->q, h->sock,
				    hp_now() + 200 * 1000000ull < end ? hp_now() + 200 * 1000000ull
								      : end);
	while (r == -ETIMEDOUT && !h->con_eof && hp_now() < end);
	if (r) {
		mmt_vm_console_tail(&h->con, 3, tail, sizeof(tail));
		hp_error(h, "QMP on %s: %s; console: %s", h->sock,
			 r == -ETIMEDOUT ? "no answer" : strerror(-r), tail);
		return -1;
	}
	n = h->g[GK_BOOT].n;
	h->boots_expected = n + 1;
	w = hp_wait_line(h, GK_BOOT, n, hp_until(h, BOOT_LIMIT));
	if (w) {
		hp_wait_failed(h, w, "waiting for the guest to boot");
		return -1;
	}
	if (!h->boot_ns)
		h->boot_ns = h->g[GK_BOOT].t_ns - h->vm_t0;
	h->pagesize = (long)hp_kv_u64(h->g[GK_BOOT].text, "pagesize");
	if (strstr(h->g[GK_BOOT].text, " version="))
		snprintf(h->version, sizeof(h->version), "%s",
			 strstr(h->g[GK_BOOT].text, " version=") + 9);
	hp_say(h, "booted in %.1fs", (double)(h->g[GK_BOOT].t_ns - h->vm_t0) / 1e9);
	if (hp_kv_u64(h->g[GK_BOOT].text, "bytes")) {
		hp_error(h, "node %d has memory at boot: %s", h->node, h->g[GK_BOOT].text);
		return -1;
	}
	return 0;
}

/* Ask QEMU to quit, read the console to its end, and reap it (killed by PID at the limit). */
static void stop(struct hp *h)
{
	struct pollfd p = {.fd = h->vm.console, .events = POLLIN};
	uint64_t end = hp_now() + QUIT_LIMIT;

	if (!h->started)
		return;
	if (!h->q.eof && h->q.fd >= 0)
		mmt_qmp_exec(&h->q, "quit", NULL, NULL, end);
	while (!h->con_eof && hp_now() < end)
		if (poll(&p, 1, 100) > 0 && hp_console_ready(h) < 0)
			break;
	mmt_vm_reap(&h->vm, end, &h->killed);
	close(h->vm.console);
	mmt_qmp_close(&h->q);
	unlink(h->sock);
	h->started = 0;
	if (h->killed)
		hp_say(h, "QEMU did not quit: killed");
}

int hp_restart(struct hp *h)
{
	static const char mark[] = "\n[mmtorture host] a new guest for the next cycle\n";
	const char *step = h->step;

	h->step = "restart";
	hp_say(h, "cycle %d: a new guest (the last one keeps memory it could not unplug)",
	       h->cycle);
	stop(h);
	h->con_eof = 0;
	h->ndimm = 0;
	h->expect_bytes = 0;
	h->cycle_text[0] = '\0';
	hp_console_keep(h, mark, sizeof(mark) - 1);
	if (start(h)) {
		hp_error(h, "QEMU did not start again");
		return -1;
	}
	h->step = step;
	return first_boot(h);
}

/* ------------------------------------------------------------ the record */

static void run_info(struct hp *h, struct mmt_run_info *ri)
{
	void *text = NULL;
	size_t len = 0;

	memset(ri, 0, sizeof(*ri));
	mmt_uuid(ri->uuid, sizeof(ri->uuid));
	ri->started_ns = h->started_real;
	ri->seed = h->o->seed;
	snprintf(ri->tool_version, sizeof(ri->tool_version), "%s", MMT_VERSION);
	snprintf(ri->git_rev, sizeof(ri->git_rev), "%s", MMT_GIT_REV);
	snprintf(ri->profile, sizeof(ri->profile), "vm hotplug");
	ri->argv = strdup(h->o->cmdline ? h->o->cmdline : WHO);
	snprintf(ri->kernel_release, sizeof(ri->kernel_release), "%s",
		 h->release[0] ? h->release
		 : h->have_k   ? h->k.release
			       : "?");
	snprintf(ri->kernel_version, sizeof(ri->kernel_version), "%s", h->version);
	snprintf(ri->arch, sizeof(ri->arch), "%s", h->arch->name);
	ri->page_size = h->pagesize;
	if (asprintf(&ri->cmdline, "console=%s %s", h->arch->console, h->append) < 0)
		ri->cmdline = NULL;
	if (h->have_k && !mmt_read_file(h->k.config, 16u << 20, &text, &len)) {
		snprintf(ri->config_hash, sizeof(ri->config_hash), "%016llx",
			 (unsigned long long)mmt_fnv1a64(MMT_FNV64_OFFSET, text, len));
		snprintf(ri->config_source, sizeof(ri->config_source), "%.127s", h->k.config);
		free(text);
	}
	snprintf(ri->cpu_model, sizeof(ri->cpu_model), "QEMU TCG -cpu %s",
		 h->o->cpu ? h->o->cpu : h->arch->cpu);
	if (h->node)
		snprintf(ri->topology, sizeof(ri->topology),
			 "%d CPUs, %ld MiB on node 0; node %d memory-only, maxmem %ld MiB",
			 h->o->smp, h->o->mem_mb, h->node, h->maxmem_mb);
	else
		snprintf(ri->topology, sizeof(ri->topology),
			 "%d CPUs, %ld MiB on node 0, where virtio-mem plugs; maxmem %ld MiB",
			 h->o->smp, h->o->mem_mb, h->maxmem_mb);
	gethostname(ri->hostname, sizeof(ri->hostname) - 1);
	ri->guest = 1;
	snprintf(ri->virt, sizeof(ri->virt), "qemu-tcg");
	snprintf(ri->tag, sizeof(ri->tag), "%s", h->o->tag ? h->o->tag : "");
}

static void metric(struct mmt_job_result *j, const char *key, double v)
{
	struct mmt_metric *m = realloc(j->metrics, sizeof(*m) * (size_t)(j->nmetrics + 1));

	if (!m)
		return;
	j->metrics = m;
	snprintf(m[j->nmetrics].key, sizeof(m[0].key), "%s", key);
	m[j->nmetrics++].value = v;
}

/* Pass, fail or error, and why; never a silent pass where the limitation was expected. */
static void verdict(struct hp *h)
{
	struct mmt_job_result *j = &h->job;

	if (h->interrupted && j->status == MMT_PASS) {
		j->status = MMT_ERROR;
		snprintf(j->reason, sizeof(j->reason), "interrupted in cycle %d of %d", h->cycle,
			 h->o->cycles);
	}
	if (j->status != MMT_PASS || h->o->expect != MMT_HP_LIMITATION)
		return;
	if (h->unexpected)
		snprintf(j->reason, sizeof(j->reason),
			 "UNEXPECTED: %d of %d cycles unplugged cleanly after the reboot although "
			 "the limitation was expected; %d showed it",
			 h->unexpected, h->done, h->limited);
	else
		snprintf(j->reason, sizeof(j->reason),
			 "expected limitation in %d of %d cycles: %.400s", h->limited, h->done,
			 h->limit_text);
}

static void params(struct hp *h)
{
	if (asprintf(&h->job.params_json,
		     "{\"device\":\"%s\",\"size\":\"%lluM\",\"online\":\"%s\",\"expect\":\"%s\","
		     "\"cycles\":\"%d\",\"fill_pct\":\"%d\",\"mem\":\"%ldM\",\"smp\":\"%d\","
		     "\"unplug_timeout\":\"%.0fs\",\"node\":\"%d\",\"inject\":\"%s\"}",
		     h->device, (unsigned long long)(h->o->size >> 20), h->online, h->expect,
		     h->o->cycles, h->o->fill_pct, h->o->mem_mb, h->o->smp,
		     (double)h->o->unplug_timeout_ns / 1e9, h->node,
		     mmt_hp_inject_names[h->o->inject]) < 0)
		h->job.params_json = NULL;
}

static void finish_job(struct hp *h)
{
	struct mmt_job_result *j = &h->job;
	int i;

	j->seq = 1;
	j->repeat = 1;
	snprintf(j->workload, sizeof(j->workload), "hotplug");
	snprintf(j->label, sizeof(j->label), "%s", h->device);
	snprintf(j->placement, sizeof(j->placement), "guest node %d", h->node);
	j->started_ns = h->started_real;
	j->elapsed_ns = hp_now() - h->t0;
	params(h);
	j->ops = calloc(OP__N, sizeof(*j->ops));
	for (i = 0; j->ops && i < OP__N; i++) {
		snprintf(j->ops[i].name, sizeof(j->ops[i].name), "%s", hp_op_names[i]);
		j->ops[i].h = h->hist[i];
	}
	j->nops = j->ops ? OP__N : 0;
	metric(j, "cycles_run", h->done);
	metric(j, "cycles_clean", h->clean);
	metric(j, "cycles_limited", h->limited);
	metric(j, "cycles_unexpected_clean", h->unexpected);
	metric(j, "boot_s", (double)h->boot_ns / 1e9);
	metric(j, "guests", h->machines);
	if (h->nfills) {
		metric(j, "guest_fill_ms", h->fill_ms / h->nfills);
		metric(j, "guest_verify_ms", h->verify_ms / h->nfills);
		metric(j, "guest_bind_wait_ms_max", (double)h->bind_ms_max);
	}
	verdict(h);
}

static char *vm_json(struct hp *h)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "arch", json_object_new_string(h->arch->name));
	json_object_object_add(o, "image", json_object_new_string(h->image));
	json_object_object_add(o, "kernel", json_object_new_string(h->have_k ? h->k.release : ""));
	json_object_object_add(o, "boot_s", json_object_new_double((double)h->boot_ns / 1e9));
	json_object_object_add(o, "guests", json_object_new_int(h->machines));
	json_object_object_add(o, "killed", json_object_new_boolean(h->killed));
	json_object_object_add(o, "qemu", json_object_new_string(h->qemu_cmd));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static int exit_code(const struct hp *h)
{
	if (h->interrupted)
		return 130;
	return h->job.status == MMT_FAIL ? 1 : h->job.status == MMT_ERROR ? 99 : 0;
}

static int store_end(struct hp *h, struct mmt_store *s, int64_t run_id)
{
	char *vj = vm_json(h);
	int code = exit_code(h), r;

	r = mmt_store_add_job(s, run_id, &h->job);
	if (!r)
		r = mmt_store_add_file(s, run_id, "console", h->console ? h->console : "",
				       h->conlen);
	if (!r && vj)
		r = mmt_store_add_file(s, run_id, "vm.json", vj, strlen(vj));
	if (!r)
		r = mmt_store_end_run(s, run_id, h->interrupted ? "interrupted" : "complete", code);
	free(vj);
	return r;
}

static void keep_files(struct hp *h)
{
	FILE *f;

	if (!h->o->keep) {
		unlink(h->initrd);
		unlink(h->results);
		rmdir(h->dir);
		return;
	}
	f = fopen(h->conlog, "we");
	if (f) {
		fwrite(h->console ? h->console : "", 1, h->conlen, f);
		fclose(f);
	}
}

/* ------------------------------------------------------------ the run */

static int prepare(struct hp *h, const char *db, struct mmt_store **s, int64_t *run_id)
{
	char err[1024];
	int r = find_pieces(h);

	if (!r)
		r = workdir(h);
	if (!r)
		r = pack(h);
	if (r)
		return r;
	r = mmt_store_open(s, db, err, sizeof(err));
	if (r)
		return fprintf(stderr, "mmtorture: " WHO ": --db %s: %s\n", db, err), 2;
	h->started_real = (uint64_t)time(NULL) * HP_SEC;
	return 0;
}

/*
 * The run goes into the store once the guest has said what it runs (or
 * failed to boot): a host that dies during the cycles leaves it incomplete.
 */
static int begin_run(struct hp *h, struct mmt_store *s, const char *db, int64_t *run_id)
{
	struct mmt_run_info ri;
	int r;

	run_info(h, &ri);
	r = mmt_store_begin_run(s, &ri, run_id);
	mmt_run_info_free(&ri);
	if (r)
		fprintf(stderr, "mmtorture: " WHO ": storing in %s: %s\n", db, mmt_store_errmsg(s));
	return r ? 99 : 0;
}

int mmt_hotplug_run(const struct mmt_hotplug_opts *o, const char *db)
{
	struct hp *h = calloc(1, sizeof(*h));
	struct mmt_store *s = NULL;
	int64_t run_id = 0;
	int r, i;

	if (!h)
		return 99;
	h->o = o;
	h->device = mmt_hp_device_names[o->device];
	h->online = mmt_hp_online_names[o->online];
	h->expect = mmt_hp_expect_names[o->expect];
	h->step = "setup";
	for (i = 0; i < OP__N; i++)
		mmt_hist_init(&h->hist[i]);
	h->t0 = hp_now();
	h->deadline = h->t0 + (uint64_t)o->timeout_ns;
	r = prepare(h, db, &s, &run_id);
	if (!r)
		r = start(h);
	if (!r) {
		i = first_boot(h);
		r = begin_run(h, s, db, &run_id);
		if (!i && !r)
			hp_cycles(h);
		h->step = "end";
		stop(h);
		hp_judge_splats(h);
		finish_job(h);
	}
	if (!r && run_id) {
		r = store_end(h, s, run_id);
		if (r)
			fprintf(stderr, "mmtorture: " WHO ": storing in %s: %s\n", db,
				mmt_store_errmsg(s));
		else if (!o->quiet)
			mmt_report_text(s, run_id, stdout);
		if (!r && !o->quiet)
			printf("hotplug run stored as run %lld in %s (console: `mmtorture report "
			       "%lld --console`)\n",
			       (long long)run_id, db, (long long)run_id);
		r = r ? 99 : exit_code(h);
	}
	stop(h);
	if (h->dir[0])
		keep_files(h);
	mmt_store_close(s);
	mmt_job_result_free(&h->job);
	mmt_kmods_free(&h->mods);
	free(h->splats);
	free(h->console);
	free(h);
	return r;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * One hotplug cycle, step by step: plug memory into the guest's node 1 over
 * QMP; the guest onlines it (the kernel command line decides the zone) and
 * says so; it fills tagged pages there and reads them back; reset the guest;
 * after the reboot it must see the memory again and verifies new data on it;
 * unplug, and wait for QEMU to say the device is gone; the guest reads back
 * the data the kernel migrated off the memory as it went.
 *
 * The unplug after the reboot is where memory that came up in ZONE_NORMAL
 * fails (the Power9 2019 case had the same shape: memory present at boot
 * cannot be removed): the guest's offline fails ("Offline failed" on the
 * console), it answers the eject with an ACPI _OST failure, and
 * DEVICE_DELETED never comes. Whether that is a failure or the expected
 * limitation is the user's --expect; a cycle that goes through where the
 * limitation was expected is said so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vm_hotplug_internal.h"

#define PLUG_LIMIT (60 * HP_SEC)
#define ONLINE_LIMIT (60 * HP_SEC)
#define VERIFY_LIMIT (180 * HP_SEC)
#define REBOOT_LIMIT (180 * HP_SEC)
#define RECHECK_LIMIT (180 * HP_SEC)
#define OST_GRACE (1 * HP_SEC) /* after a refused eject: the console's last words */
#define VMEM_POLL (20 * 1000000ull)
#define VMEM_PATH "/machine/peripheral/vmem0"
#define OST_EJECT 3 /* ACPI _OST source: an eject request */
#define OST_IN_PROGRESS 0x84

/* How a cycle ended. */
enum { C_CLEAN, C_LIMITED, C_STOP };

static struct json_object *obj(const char *k1, struct json_object *v1, const char *k2,
			       struct json_object *v2)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k1, v1);
	if (k2)
		json_object_object_add(o, k2, v2);
	return o;
}

/* ------------------------------------------------------------ QMP side */

static int plug_dimm(struct hp *h)
{
	struct json_object *a;
	char mem[16], dimm[16];

	snprintf(mem, sizeof(mem), "mem%d", h->ndimm);
	snprintf(dimm, sizeof(dimm), "dimm%d", h->ndimm);
	a = obj("qom-type", json_object_new_string("memory-backend-ram"), "id",
		json_object_new_string(mem));
	json_object_object_add(a, "size", json_object_new_int64((int64_t)h->o->size));
	if (hp_qmp(h, "object-add", a, NULL))
		return -1;
	a = obj("driver", json_object_new_string("pc-dimm"), "id", json_object_new_string(dimm));
	json_object_object_add(a, "memdev", json_object_new_string(mem));
	json_object_object_add(a, "node", json_object_new_int(h->node));
	if (hp_qmp(h, "device_add", a, NULL)) {
		mmt_qmp_exec(&h->q, "object-del",
			     obj("id", json_object_new_string(mem), NULL, NULL), NULL,
			     hp_until(h, 10 * HP_SEC));
		return -1;
	}
	h->ndimm++;
	return 0;
}

static int vmem_size(struct hp *h, uint64_t *size)
{
	struct json_object *ret = NULL;
	int r = hp_qmp(h, "qom-get",
		       obj("path", json_object_new_string(VMEM_PATH), "property",
			   json_object_new_string("size")),
		       &ret);

	if (!r)
		*size = (uint64_t)json_object_get_int64(ret);
	json_object_put(ret);
	return r;
}

/* virtio-mem: ask for want bytes and wait until the device has that many plugged. */
static int vmem_resize(struct hp *h, uint64_t want, uint64_t deadline, uint64_t *size)
{
	struct json_object *a = obj("path", json_object_new_string(VMEM_PATH), "property",
				    json_object_new_string("requested-size"));
	struct hp_watch w;
	uint64_t until;
	int r;

	json_object_object_add(a, "value", json_object_new_int64((int64_t)want));
	if (hp_qmp(h, "qom-set", a, NULL))
		return HW_QMP;
	hp_watch_begin(h, &w);
	for (;;) {
		if (vmem_size(h, size))
			return HW_QMP;
		if (*size == want)
			return HW_OK;
		until = hp_now() + VMEM_POLL < deadline ? hp_now() + VMEM_POLL : deadline;
		while ((r = hp_poll(h, &w, until)) == HW_OK)
			;
		if (r != HW_TIMEOUT || hp_now() >= deadline)
			return r;
	}
}

/* ------------------------------------------------------------ the guest's word */

/* The guest's online line: the bytes it sees on the node, in the zone asked for. */
static int check_online(struct hp *h, const char *when)
{
	const char *line = h->g[GK_ONLINE].text;
	const char *want = h->o->online == MMT_HP_MOVABLE ? "Movable" : "Normal";
	uint64_t bytes = hp_kv_u64(line, "bytes");
	char zone[32];

	if (bytes != h->expect_bytes) {
		hp_fail(h, MMT_FK_EXIT, "%s the guest has %llu MiB on node %d, not %llu MiB: %s",
			when, (unsigned long long)(bytes >> 20), h->node,
			(unsigned long long)(h->expect_bytes >> 20), line);
		return -1;
	}
	hp_kv(line, "zone", zone, sizeof(zone));
	if (strcmp(zone, want))
		hp_note(h, "cycle %d %s: the memory is in zone %s, not %s as --online %s asks",
			h->cycle, h->step, zone, want, h->online);
	return 0;
}

/* The guest's verify line for the data it put on the new memory. */
static int check_verify(struct hp *h)
{
	const char *line = h->g[GK_VERIFY].text;
	uint64_t pages = hp_kv_u64(line, "pages"), where = hp_kv_u64(line, "on_node");
	const char *first = strstr(line, " first ");

	h->fill_ms += (double)hp_kv_u64(line, "fill_ms");
	h->verify_ms += (double)hp_kv_u64(line, "verify_ms");
	if (hp_kv_u64(line, "bind_ms") > h->bind_ms_max)
		h->bind_ms_max = hp_kv_u64(line, "bind_ms");
	h->nfills++;
	if (strncmp(line, "hp verify ok ", 13)) {
		hp_fail(h, MMT_FK_VERIFY, "%llu of %llu pages read back wrong:%s",
			(unsigned long long)hp_kv_u64(line, "bad"), (unsigned long long)pages,
			first ? first : line);
		return -1;
	}
	if (where != pages)
		hp_note(h, "cycle %d %s: %llu of %llu tagged pages were not on node %d", h->cycle,
			h->step, (unsigned long long)(pages - where), (unsigned long long)pages,
			h->node);
	return 0;
}

static int wait_verify(struct hp *h, int n)
{
	int w = hp_wait_line(h, GK_VERIFY, n, hp_until(h, VERIFY_LIMIT));

	if (w) {
		hp_wait_failed(h, w, "waiting for the guest's fill and verify");
		return -1;
	}
	hp_record(h, OP_VERIFY, h->g[GK_VERIFY].t_ns - h->g[GK_ONLINE].t_ns);
	return check_verify(h);
}

/* ------------------------------------------------------------ steps */

/*
 * Plug, and wait for the guest to have all of it online. The online time is
 * from the request: virtio-mem's guest driver plugs (and onlines) while QEMU's
 * size is still growing.
 */
static int plug(struct hp *h)
{
	int n = h->g[GK_ONLINE].n, nv = h->g[GK_VERIFY].n, w = HW_OK;
	uint64_t t = hp_now(), size;

	h->step = "plug";
	if (h->o->device == MMT_HP_PC_DIMM)
		w = plug_dimm(h) ? HW_QMP : HW_OK;
	else
		w = vmem_resize(h, h->o->size, hp_until(h, PLUG_LIMIT), &size);
	if (w) {
		if (w != HW_QMP)
			hp_wait_failed(h, w, "waiting for virtio-mem to plug it");
		return -1;
	}
	hp_record(h, OP_PLUG, hp_now() - t);
	h->expect_bytes += h->o->size;
	h->step = "online";
	w = hp_wait_line(h, GK_ONLINE, n, hp_until(h, ONLINE_LIMIT));
	if (w) {
		hp_wait_failed(h, w, "waiting for the guest to online the memory");
		return -1;
	}
	hp_record(h, OP_ONLINE, h->g[GK_ONLINE].t_ns - t);
	if (check_online(h, "after the plug"))
		return -1;
	h->step = "verify";
	return wait_verify(h, nv);
}

/* Reset the guest: after its reboot it must see the memory again. */
static int reboot(struct hp *h)
{
	int nb = h->g[GK_BOOT].n, n = h->g[GK_ONLINE].n, nv = h->g[GK_VERIFY].n, w;
	uint64_t t = hp_now(), bytes;

	h->step = "reboot";
	h->boots_expected++;
	if (hp_qmp(h, "system_reset", NULL, NULL))
		return -1;
	w = hp_wait_line(h, GK_BOOT, nb, hp_until(h, REBOOT_LIMIT));
	if (w) {
		hp_wait_failed(h, w, "waiting for the guest to boot again");
		return -1;
	}
	/* A DIMM is there at boot (ACPI); virtio-mem plugs again once its driver is loaded. */
	bytes = hp_kv_u64(h->g[GK_BOOT].text, "bytes");
	if (h->o->device == MMT_HP_PC_DIMM && bytes != h->expect_bytes) {
		hp_fail(h, MMT_FK_EXIT,
			"after the reboot the guest has %llu MiB on node %d, not %llu "
			"MiB: %s",
			(unsigned long long)(bytes >> 20), h->node,
			(unsigned long long)(h->expect_bytes >> 20), h->g[GK_BOOT].text);
		return -1;
	}
	w = hp_wait_line(h, GK_ONLINE, n, hp_until(h, REBOOT_LIMIT));
	if (w) {
		hp_wait_failed(h, w, "waiting for the rebooted guest to online the memory");
		return -1;
	}
	hp_record(h, OP_REBOOT, h->g[GK_ONLINE].t_ns - t);
	if (check_online(h, "after the reboot"))
		return -1;
	h->step = "verify";
	return wait_verify(h, nv);
}

/* The data the guest kept on the memory, read back after the kernel moved it off. */
static int recheck(struct hp *h, int n, uint64_t since)
{
	const char *line = h->g[GK_GONE].text;
	int w;

	h->step = "recheck";
	w = hp_wait_line(h, GK_GONE, n, hp_until(h, RECHECK_LIMIT));
	if (w) {
		hp_wait_failed(h, w, "waiting for the guest to see the memory gone");
		return -1;
	}
	hp_record(h, OP_RECHECK, h->g[GK_GONE].t_ns > since ? h->g[GK_GONE].t_ns - since : 0);
	if (hp_kv_u64(line, "bytes") != h->expect_bytes) {
		hp_fail(h, MMT_FK_EXIT, "the guest has %llu MiB left on node %d, not %llu MiB: %s",
			(unsigned long long)(hp_kv_u64(line, "bytes") >> 20), h->node,
			(unsigned long long)(h->expect_bytes >> 20), line);
		return -1;
	}
	if (strstr(line, " recheck bad ")) {
		hp_fail(h, MMT_FK_VERIFY,
			"%llu of %llu pages migrated off the memory read back "
			"wrong:%s",
			(unsigned long long)hp_kv_u64(line, "bad"),
			(unsigned long long)hp_kv_u64(line, "pages"),
			strstr(line, " first ") ? strstr(line, " first ") : "");
		return -1;
	}
	return 0;
}

/*
 * What the guest's answer to the eject said: "" while it has not refused. x86
 * answers through ACPI _OST; a pseries guest that could not remove an LMB adds
 * it back, and QEMU reports the rollback (DEVICE_UNPLUG_GUEST_ERROR).
 */
static void eject_answer(struct hp *h, const char *dimm, int *refused, char *why, size_t len)
{
	struct mmt_qmp_event *e;
	int source, status;

	while ((e = mmt_qmp_take(&h->q, "ACPI_DEVICE_OST", "info.device", dimm))) {
		source = json_object_get_int(mmt_qmp_get(e->data, "info.source"));
		status = json_object_get_int(mmt_qmp_get(e->data, "info.status"));
		if (source != OST_EJECT || !status || status == OST_IN_PROGRESS)
			continue;
		*refused = 1;
		snprintf(why, len, "the guest answered the eject with ACPI _OST status 0x%x%s",
			 status, status == 0x82 ? " (device busy)" : "");
	}
	if (mmt_qmp_take(&h->q, "DEVICE_UNPLUG_GUEST_ERROR", "device", dimm)) {
		*refused = 1;
		snprintf(why, len, "the guest put the memory back (DEVICE_UNPLUG_GUEST_ERROR)");
	}
	/* QEMU 7.2 does not always say so: the guest's console does. */
	if (!*refused && hp_splat_in(h, "unplug", "LMB remove failed")) {
		*refused = 1;
		snprintf(why, len, "the guest could not remove an LMB and added it back");
	}
}

/*
 * An unplug that did not complete: the expected limitation when the guest
 * shows why (it refused the eject, the console says "Offline failed", or
 * virtio-mem kept memory plugged: kept), else a failure.
 */
static int limitation(struct hp *h, int refused, int kept, const char *why, const char *what)
{
	const struct hp_splat *off = hp_splat_in(h, "unplug", "Offline failed");
	char text[900];

	/* pseries says it in its own words */
	if (!off)
		off = hp_splat_in(h, "unplug", "LMB remove failed");
	snprintf(text, sizeof(text), "%s; %s%s%s", what, why[0] ? why : "no answer from the guest",
		 off ? "; console: " : "", off ? off->text : "");
	if (h->o->expect == MMT_HP_LIMITATION && (refused || kept || off)) {
		if (!h->limited++)
			snprintf(h->limit_text, sizeof(h->limit_text), "cycle %d: %.480s", h->cycle,
				 text);
		snprintf(h->cycle_text + strlen(h->cycle_text),
			 sizeof(h->cycle_text) - strlen(h->cycle_text),
			 ", unplug did not complete");
		hp_note(h, "cycle %d: expected limitation: %s", h->cycle, text);
		hp_say(h, "cycle %d: expected limitation: %s", h->cycle, text);
		return C_LIMITED;
	}
	/* Refused: the guest's offline failed (EBUSY); nothing said: no progress. */
	if (refused)
		hp_fail_errno(h, EBUSY, "%s", text);
	else
		hp_fail(h, MMT_FK_HANG, "%s", text);
	return C_STOP;
}

static int unplug_dimm(struct hp *h)
{
	struct mmt_qmp_event *e = NULL;
	uint64_t t = hp_now(), end = hp_until(h, (uint64_t)h->o->unplug_timeout_ns);
	int n = h->g[GK_GONE].n, refused = 0, w = HW_OK;
	char dimm[16], mem[16], why[160] = "", what[200];
	struct hp_watch watch;

	snprintf(dimm, sizeof(dimm), "dimm%d", h->ndimm - 1);
	snprintf(mem, sizeof(mem), "mem%d", h->ndimm - 1);
	if (hp_qmp(h, "device_del", obj("id", json_object_new_string(dimm), NULL, NULL), NULL))
		return C_STOP;
	hp_watch_begin(h, &watch);
	while (!(e = mmt_qmp_take(&h->q, "DEVICE_DELETED", "device", dimm)) && w == HW_OK) {
		if (!refused) {
			eject_answer(h, dimm, &refused, why, sizeof(why));
			if (refused && hp_now() + OST_GRACE < end)
				end = hp_now() + OST_GRACE;
		}
		w = hp_poll(h, &watch, end);
	}
	if (!e && w != HW_TIMEOUT) {
		hp_wait_failed(h, w, "waiting for DEVICE_DELETED");
		return C_STOP;
	}
	if (!e) {
		snprintf(what, sizeof(what), "no DEVICE_DELETED for %s in %.1fs", dimm,
			 (double)(hp_now() - t) / 1e9);
		return limitation(h, refused, 0, why, what);
	}
	hp_record(h, OP_UNPLUG, e->t_ns - t);
	h->expect_bytes -= h->o->size;
	if (hp_qmp(h, "object-del", obj("id", json_object_new_string(mem), NULL, NULL), NULL))
		return C_STOP;
	return recheck(h, n, e->t_ns) ? C_STOP : C_CLEAN;
}

static int unplug_vmem(struct hp *h)
{
	uint64_t t = hp_now(), size = 0, end = hp_until(h, (uint64_t)h->o->unplug_timeout_ns);
	int n = h->g[GK_GONE].n, w;
	char what[200];

	w = vmem_resize(h, 0, end, &size);
	if (w == HW_TIMEOUT && hp_now() < h->deadline) {
		snprintf(what, sizeof(what),
			 "virtio-mem still has %llu of %llu MiB plugged after %.1fs",
			 (unsigned long long)(size >> 20), (unsigned long long)(h->o->size >> 20),
			 (double)(hp_now() - t) / 1e9);
		return limitation(h, 0, size > 0, "its guest driver could not unplug the rest",
				  what);
	}
	if (w) {
		if (w != HW_QMP)
			hp_wait_failed(h, w, "waiting for virtio-mem to unplug");
		return C_STOP;
	}
	t = hp_now() - t;
	hp_record(h, OP_UNPLUG, t);
	h->expect_bytes = 0;
	return recheck(h, n, hp_now()) ? C_STOP : C_CLEAN;
}

static int unplug(struct hp *h)
{
	h->step = "unplug";
	return h->o->device == MMT_HP_PC_DIMM ? unplug_dimm(h) : unplug_vmem(h);
}

/* ------------------------------------------------------------ cycles */

static int cycle(struct hp *h)
{
	uint64_t t = hp_now();
	int r;

	h->cycle_text[0] = '\0';
	if (plug(h) || reboot(h))
		return C_STOP;
	r = unplug(h);
	if (r == C_STOP)
		return r;
	hp_record(h, OP_CYCLE, hp_now() - t);
	if (r == C_CLEAN) {
		h->clean++;
		if (h->o->expect == MMT_HP_LIMITATION) {
			h->unexpected++;
			hp_note(h,
				"cycle %d: UNEXPECTED: the unplug after the reboot went through "
				"although the limitation was expected (--expect limitation)",
				h->cycle);
			hp_say(h, "cycle %d: UNEXPECTED: the unplug after the reboot went through",
			       h->cycle);
		}
	}
	hp_note(h, "cycle %d %s in %.1fs: %s", h->cycle, r == C_CLEAN ? "clean" : "limited",
		(double)(hp_now() - t) / 1e9, h->cycle_text);
	hp_say(h, "cycle %d %s in %.1fs: %s", h->cycle, r == C_CLEAN ? "clean" : "limited",
	       (double)(hp_now() - t) / 1e9, h->cycle_text);
	return r;
}

void hp_cycles(struct hp *h)
{
	int i, r = C_CLEAN;

	for (i = 1; i <= h->o->cycles; i++) {
		h->cycle = i;
		if (r == C_LIMITED && hp_restart(h)) {
			hp_judge_splats(h);
			hp_note(h, "cycles %d..%d not run: no new guest", i, h->o->cycles);
			break;
		}
		r = cycle(h);
		h->done++;
		if (hp_judge_splats(h))
			r = C_STOP;
		if (r != C_STOP)
			continue;
		if (i < h->o->cycles && !h->interrupted)
			hp_note(h,
				"cycles %d..%d not run: the guest is in an unknown state after a "
				"failure",
				i + 1, h->o->cycles);
		break;
	}
}

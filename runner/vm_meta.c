// SPDX-License-Identifier: GPL-2.0
/* meta.json of a cached kernel: written last by a fetch, read by everything else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "decomp.h"
#include "vm_internal.h"

#define META_FORMAT 1

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, *v ? json_object_new_string(v) : NULL);
}

/* A file's name relative to the kernel directory, or null when absent. */
static void add_file(struct json_object *o, const char *key, const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!*path || strncmp(path, dir, n) || path[n] != '/')
		json_object_object_add(o, key, NULL);
	else
		json_object_object_add(o, key, json_object_new_string(path + n + 1));
}

static struct json_object *boot_images(const struct mmt_kernel *k)
{
	struct json_object *a = json_object_new_array();

	if (*k->vmlinuz)
		json_object_array_add(a, json_object_new_string("vmlinuz"));
	if (*k->vmlinux)
		json_object_array_add(a, json_object_new_string("vmlinux"));
	return a;
}

static struct json_object *files(const struct mmt_kernel *k)
{
	struct json_object *f = json_object_new_object();

	add_file(f, "vmlinuz", k->dir, k->vmlinuz);
	add_file(f, "vmlinux", k->dir, k->vmlinux);
	add_file(f, "config", k->dir, k->config);
	add_file(f, "system_map", k->dir, k->system_map);
	add_file(f, "modules", k->dir, k->modules);
	return f;
}

char *mmt_kernel_json(const struct mmt_kernel *k)
{
	struct json_object *o = json_object_new_object(), *t = json_object_new_object();
	char when[32];
	char *s;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&k->fetched));
	json_object_object_add(o, "format", json_object_new_int(META_FORMAT));
	add_str(o, "release", k->release);
	add_str(o, "package", k->package);
	add_str(o, "version", k->version);
	add_str(o, "source", k->source);
	add_str(o, "flavour", k->flavour);
	add_str(o, "debian_arch", k->debarch);
	add_str(o, "qemu_arch", k->qemu_arch);
	add_str(o, "deb_sha256", k->deb_sha256);
	json_object_object_add(o, "deb_size", json_object_new_int64((int64_t)k->deb_size));
	json_object_object_add(o, "fetched", json_object_new_string(when));
	json_object_object_add(o, "fetched_unix", json_object_new_int64(k->fetched));
	json_object_object_add(o, "boot_images", boot_images(k));
	add_str(o, "vmlinuz_compression", k->compression);
	json_object_object_add(o, "files", files(k));
	add_str(o, "modules_set", k->modules_set);
	json_object_object_add(o, "modules_count", json_object_new_int(k->nmodules));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)k->size));
	json_object_object_add(t, "download_s", json_object_new_double(k->download_s));
	json_object_object_add(t, "extract_s", json_object_new_double(k->extract_s));
	json_object_object_add(o, "timings", t);
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static void get_str(struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	buf[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void get_file(struct json_object *f, const char *key, const char *dir, char *buf, size_t len)
{
	char rel[PATH_MAX];

	get_str(f, key, rel, sizeof(rel));
	buf[0] = '\0';
	if (*rel && snprintf(buf, len, "%s/%s", dir, rel) >= (int)len)
		buf[0] = '\0';
}

static void get_files(struct json_object *o, struct mmt_kernel *k)
{
	struct json_object *f = NULL, *t = NULL;

	json_object_object_get_ex(o, "files", &f);
	get_file(f, "vmlinuz", k->dir, k->vmlinuz, sizeof(k->vmlinuz));
	get_file(f, "vmlinux", k->dir, k->vmlinux, sizeof(k->vmlinux));
	get_file(f, "config", k->dir, k->config, sizeof(k->config));
	get_file(f, "system_map", k->dir, k->system_map, sizeof(k->system_map));
	get_file(f, "modules", k->dir, k->modules, sizeof(k->modules));
	if (json_object_object_get_ex(o, "timings", &t)) {
		struct json_object *v;

		if (json_object_object_get_ex(t, "download_s", &v))
			k->download_s = json_object_get_double(v);
		if (json_object_object_get_ex(t, "extract_s", &v))
			k->extract_s = json_object_get_double(v);
	}
}

int mmt_kernel_load(const char *dir, struct mmt_kernel *k)
{
	char path[PATH_MAX + 16];
	struct json_object *o;
	size_t len;
	void *buf;
	int r;

	memset(k, 0, sizeof(*k));
	if (snprintf(k->dir, sizeof(k->dir), "%s", dir) >= (int)sizeof(k->dir))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	r = mmt_read_file(path, 1 << 20, &buf, &len);
	if (r)
		return r;
	o = json_tokener_parse(buf);
	free(buf);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    get_int(o, "format") != META_FORMAT) {
		json_object_put(o);
		return -EBADMSG;
	}
	get_str(o, "release", k->release, sizeof(k->release));
	get_str(o, "package", k->package, sizeof(k->package));
	get_str(o, "version", k->version, sizeof(k->version));
	get_str(o, "source", k->source, sizeof(k->source));
	get_str(o, "flavour", k->flavour, sizeof(k->flavour));
	get_str(o, "debian_arch", k->debarch, sizeof(k->debarch));
	get_str(o, "qemu_arch", k->qemu_arch, sizeof(k->qemu_arch));
	get_str(o, "deb_sha256", k->deb_sha256, sizeof(k->deb_sha256));
	get_str(o, "vmlinuz_compression", k->compression, sizeof(k->compression));
	get_str(o, "modules_set", k->modules_set, sizeof(k->modules_set));
	k->deb_size = (uint64_t)get_int(o, "deb_size");
	k->fetched = (time_t)get_int(o, "fetched_unix");
	k->size = (uint64_t)get_int(o, "size");
	k->nmodules = (int)get_int(o, "modules_count");
	get_files(o, k);
	json_object_put(o);
	return *k->release && (*k->vmlinuz || *k->vmlinux) ? 0 : -EBADMSG;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * For the guest tests: `vm_kmods CACHE KERNEL [--fetch|--unpack DIR] MODULE...`
 * prints the files mmt_kmod_resolve() gives, one a line in load order, then
 * "builtin NAME" for each asked-for module built into the kernel. KERNEL goes
 * through mmt_kernel_resolve(), with MMT_RESOLVE_FETCH after --fetch. With
 * --unpack, each is decompressed into DIR (mmt_kmod_unpack) and that path is
 * printed instead.
 */
#include <stdio.h>
#include <string.h>

#include "vm_cache.h"

static int unpack_all(const struct mmt_kmods *m, const char *dir)
{
	char dst[8192];
	size_t i;
	int r;

	for (i = 0; i < m->n; i++) {
		snprintf(dst, sizeof(dst), "%s/%s.ko", dir, m->name[i]);
		r = mmt_kmod_unpack(m->path[i], dst);
		if (r) {
			fprintf(stderr, "vm_kmods: %s: %s\n", m->path[i], strerror(-r));
			return 1;
		}
		printf("%s\n", dst);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mmt_fetch_opts o = {.flags = MMT_RESOLVE_FETCH};
	const char *unpack = NULL;
	int fetch = 0;
	struct mmt_kernel k;
	struct mmt_kmods m;
	char err[2048];
	size_t i;
	int first = 3, r;

	if (argc > 4 && !strcmp(argv[3], "--unpack"))
		unpack = argv[4], first = 5;
	else if (argc > 3 && !strcmp(argv[3], "--fetch"))
		fetch = 1, first = 4;
	if (argc <= first) {
		fprintf(stderr, "usage: vm_kmods CACHE KERNEL [--fetch|--unpack DIR] MODULE...\n");
		return 2;
	}
	r = mmt_kernel_resolve(argv[1], argv[2], fetch ? &o : NULL, &k, err, sizeof(err));
	if (!r)
		r = mmt_kmod_resolve(&k, (const char *const *)argv + first, argc - first, &m, err,
				     sizeof(err));
	if (r) {
		fprintf(stderr, "vm_kmods: %s\n", err);
		return 2;
	}
	r = unpack ? unpack_all(&m, unpack) : 0;
	for (i = 0; !unpack && i < m.n; i++)
		printf("%s\n", m.path[i]);
	for (i = 0; i < m.nbuiltin; i++)
		printf("builtin %s\n", m.builtin[i]);
	mmt_kmods_free(&m);
	return r;
}

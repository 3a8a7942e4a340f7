// SPDX-License-Identifier: GPL-2.0
/* Kernel SPECs: package names, releases, X.Y-FLAVOUR, host; the flavour table. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "vm_cache.h"

/* Debian's image flavours per architecture; the suffix alone decides the arch. */
const struct mmt_flavour mmt_flavours[] = {
	{"amd64", "amd64", "x86_64", EM_X86_64},
	{"rt-amd64", "amd64", "x86_64", EM_X86_64},
	{"cloud-amd64", "amd64", "x86_64", EM_X86_64},
	{"arm64", "arm64", "aarch64", EM_AARCH64},
	{"rt-arm64", "arm64", "aarch64", EM_AARCH64},
	{"cloud-arm64", "arm64", "aarch64", EM_AARCH64},
	{"arm64-16k", "arm64", "aarch64", EM_AARCH64},
	{"s390x", "s390x", "s390x", EM_S390},
	{"powerpc64le", "ppc64el", "ppc64", EM_PPC64},
	{"powerpc64le-64k", "ppc64el", "ppc64", EM_PPC64},
};
const size_t mmt_nflavours = sizeof(mmt_flavours) / sizeof(mmt_flavours[0]);

const char mmt_kspec_forms[] =
	"linux-image-RELEASE (e.g. linux-image-6.1.0-56-amd64), RELEASE (6.1.0-56-amd64, "
	"6.1.0-56-rt-amd64, 6.12.117+deb12-cloud-amd64, 6.1.0-50-s390x), X.Y-FLAVOUR (the "
	"newest X.Y.*, e.g. 6.12-amd64), host (the running kernel)";

static const char host_machines[][2][16] = {
	{"x86_64", "amd64"},
	{"aarch64", "arm64"},
	{"s390x", "s390x"},
	{"ppc64le", "powerpc64le"},
};

static const struct mmt_flavour *flavour_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < mmt_nflavours; i++)
		if (!strcmp(mmt_flavours[i].name, name))
			return &mmt_flavours[i];
	return NULL;
}

/* The longest flavour that ends rel after a dash; *vlen is the length before it. */
static const struct mmt_flavour *flavour_suffix(const char *rel, size_t *vlen)
{
	const struct mmt_flavour *best = NULL;
	size_t len = strlen(rel), i;

	for (i = 0; i < mmt_nflavours; i++) {
		size_t fl = strlen(mmt_flavours[i].name);

		if (fl + 2 > len || rel[len - fl - 1] != '-' ||
		    strcmp(rel + len - fl, mmt_flavours[i].name))
			continue;
		if (!best || fl > strlen(best->name)) {
			best = &mmt_flavours[i];
			*vlen = len - fl - 1;
		}
	}
	return best;
}

static size_t digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* "N.N" (a series) 2, "N.N.N", "N.N.N-ABI" or "N.N.N+tag" (a release) 3, else 0. */
static int version_shape(const char *v, size_t n)
{
	size_t i = 0, d, parts = 0;

	while (i < n) {
		d = digits(v + i, n - i);
		if (!d)
			return 0;
		i += d;
		parts++;
		if (i == n || v[i] != '.' || parts == 3)
			break;
		i++;
	}
	if (i == n)
		return parts == 2 || parts == 3 ? (int)parts : 0;
	if (parts != 3)
		return 0;
	if (v[i] == '-')
		return digits(v + i + 1, n - i - 1) == n - i - 1 && n - i > 1 ? 3 : 0;
	if (v[i] != '+' || n - i < 2)
		return 0;
	for (i++; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.~", v[i]))
			return 0;
	return 3;
}

static void flavour_list(char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < mmt_nflavours && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", mmt_flavours[i].name);
}

static int parse_host(struct mmt_kspec *ks, char *err, size_t errlen)
{
	struct utsname u;
	size_t i;

	if (uname(&u))
		return -errno;
	for (i = 0; i < sizeof(host_machines) / sizeof(host_machines[0]); i++)
		if (!strcmp(u.machine, host_machines[i][0]))
			ks->flavour = flavour_by_name(host_machines[i][1]);
	if (!ks->flavour) {
		snprintf(err, errlen,
			 "host: machine %s has no QEMU guest support; valid: x86_64, "
			 "aarch64, s390x, ppc64le",
			 u.machine);
		return -EINVAL;
	}
	ks->kind = MMT_KSPEC_HOST;
	snprintf(ks->release, sizeof(ks->release), "%s", u.release);
	return 0;
}

static int bad_spec(const char *spec, const char *why, char *err, size_t errlen)
{
	char fl[256];

	flavour_list(fl, sizeof(fl));
	snprintf(err, errlen, "bad SPEC '%s'%s; valid: %s; flavours: %s", spec, why,
		 mmt_kspec_forms, fl);
	return -EINVAL;
}

int mmt_kspec_parse(const char *spec, struct mmt_kspec *ks, char *err, size_t errlen)
{
	static const char prefix[] = "linux-image-", unsigned_sfx[] = "-unsigned";
	char rel[128];
	size_t vlen = 0, n;
	int full = 0, shape;

	memset(ks, 0, sizeof(*ks));
	if (!strcmp(spec, "host"))
		return parse_host(ks, err, errlen);
	if (!strncmp(spec, prefix, sizeof(prefix) - 1)) {
		spec += sizeof(prefix) - 1;
		full = 1;
	}
	if (snprintf(rel, sizeof(rel), "%s", spec) >= (int)sizeof(rel) || !*rel)
		return bad_spec(spec, "", err, errlen);
	n = strlen(rel);
	/* The -unsigned twin holds the same image, before signing. */
	if (full && n > sizeof(unsigned_sfx) &&
	    !strcmp(rel + n - sizeof(unsigned_sfx) + 1, unsigned_sfx))
		rel[n - sizeof(unsigned_sfx) + 1] = '\0';
	ks->flavour = flavour_suffix(rel, &vlen);
	if (!ks->flavour)
		return bad_spec(full ? spec - sizeof(prefix) + 1 : spec,
				*rel >= '0' && *rel <= '9' ? ": unknown flavour" : "", err, errlen);
	shape = version_shape(rel, vlen);
	if (shape == 3) {
		ks->kind = MMT_KSPEC_RELEASE;
		snprintf(ks->release, sizeof(ks->release), "%s", rel);
		/* A full name is kept as given: the -unsigned twin is a package of its own. */
		snprintf(ks->package, sizeof(ks->package), "linux-image-%s", full ? spec : rel);
		return 0;
	}
	if (shape == 2 && !full && vlen < sizeof(ks->series)) {
		ks->kind = MMT_KSPEC_NEWEST;
		memcpy(ks->series, rel, vlen);
		ks->series[vlen] = '\0';
		return 0;
	}
	return bad_spec(full ? spec - sizeof(prefix) + 1 : spec, "", err, errlen);
}

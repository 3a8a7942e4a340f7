// SPDX-License-Identifier: GPL-2.0
/*
 * vmlinux from a bzImage. QEMU boots an uncompressed x86_64 vmlinux through its
 * PVH entry in about a third of a bzImage's time under TCG, and the packages
 * ship only the bzImage. Its payload is found as scripts/extract-vmlinux does:
 * at each compression magic, try to decompress, and keep the first result that
 * is an ELF for the right machine (Debian: xz for 6.1, zstd for 6.12, lz4 for
 * cloud-amd64).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decomp.h"
#include "vm_internal.h"

#define IMAGE_MAX ((size_t)256 << 20)
#define VMLINUX_MAX ((size_t)2 << 30)

static uint16_t get16(const unsigned char *p, int big)
{
	return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

int mmt_elf_check(const void *buf, size_t len, unsigned machine)
{
	const unsigned char *e = buf;
	int big;

	if (len < sizeof(Elf64_Ehdr) || memcmp(e, ELFMAG, SELFMAG) || e[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	big = e[EI_DATA] == ELFDATA2MSB;
	if (get16(e + offsetof(Elf64_Ehdr, e_type), big) != ET_EXEC)
		return -ENOEXEC;
	return get16(e + offsetof(Elf64_Ehdr, e_machine), big) == machine ? 0 : -ENOEXEC;
}

/* Try the payload at each magic; 0 with *elf set, or the most telling error. */
static int scan(const unsigned char *img, size_t len, unsigned machine, void **elf, size_t *elflen,
		enum mmt_comp *how)
{
	int r = -ENOEXEC;
	size_t i;

	for (i = 0; i < len; i++) {
		enum mmt_comp c = mmt_comp_detect(img + i, len - i);
		int t;

		if (c == MMT_COMP_NONE)
			continue;
		if (c == MMT_COMP_BZIP2) {
			*how = c;
			r = -EPROTONOSUPPORT;
			continue;
		}
		t = mmt_decompress(c, img + i, len - i, VMLINUX_MAX, ELFMAG, SELFMAG, elf, elflen);
		if (t)
			continue;
		if (!mmt_elf_check(*elf, *elflen, machine)) {
			*how = c;
			return 0;
		}
		free(*elf);
		r = -EMEDIUMTYPE; /* an ELF, for another machine */
	}
	return r;
}

int mmt_vmlinux_extract(const char *img, const char *out, unsigned machine, char *how,
			size_t howlen, char *err, size_t errlen)
{
	enum mmt_comp c = MMT_COMP_NONE;
	void *buf, *elf = NULL;
	size_t len, elflen;
	int r = mmt_read_file(img, IMAGE_MAX, &buf, &len);

	if (r) {
		snprintf(err, errlen, "%s: %s", img, strerror(-r));
		return r;
	}
	r = scan(buf, len, machine, &elf, &elflen, &c);
	free(buf);
	if (r == -EPROTONOSUPPORT)
		snprintf(err, errlen,
			 "%s: payload compressed with %s, which is not decoded here "
			 "(gzip, xz, lzma, zstd, lz4 are)",
			 img, mmt_comp_name(c));
	else if (r == -EMEDIUMTYPE)
		snprintf(err, errlen, "%s: the payload is an ELF for another machine", img);
	else if (r)
		snprintf(err, errlen,
			 "%s: no gzip, xz, lzma, zstd or lz4 payload that holds an ELF", img);
	if (r)
		return r;
	snprintf(how, howlen, "%s", mmt_comp_name(c));
	r = mmt_write_file(out, elf, elflen);
	if (r)
		snprintf(err, errlen, "%s: %s", out, strerror(-r));
	free(elf);
	return r;
}

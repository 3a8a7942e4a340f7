/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decompression of what kernel packages ship: the payload of a bzImage and
 * compressed modules (.ko.xz, .ko.zst, .ko.gz), with zlib, liblzma, libzstd and liblz4.
 */
#ifndef MMT_DECOMP_H
#define MMT_DECOMP_H

#include <stddef.h>

enum mmt_comp {
	MMT_COMP_NONE,
	MMT_COMP_GZIP,
	MMT_COMP_XZ,
	MMT_COMP_LZMA,
	MMT_COMP_ZSTD,
	MMT_COMP_LZ4, /* the legacy frame of kernel images (Debian's cloud-amd64) */
	MMT_COMP_BZIP2, /* recognised, not decoded: no Debian kernel uses it */
};

const char *mmt_comp_name(enum mmt_comp c);
/* The format whose magic starts buf, or MMT_COMP_NONE. */
enum mmt_comp mmt_comp_detect(const void *buf, size_t len);

/*
 * Decompress the one stream that starts at in (bytes after its end are
 * ignored) into a malloc'd *out. At most limit bytes are produced (-EFBIG past
 * that). When prefix is given, decoding stops with -ENOEXEC as soon as the
 * output cannot start with it: a false magic costs a few KiB, not a whole
 * decode. -EBADMSG for corrupt data, -EPROTONOSUPPORT for bzip2.
 */
int mmt_decompress(enum mmt_comp c, const void *in, size_t inlen, size_t limit, const void *prefix,
		   size_t prefixlen, void **out, size_t *outlen);

/* A whole file in a malloc'd buffer, NUL-terminated (at most limit bytes: -EFBIG). */
int mmt_read_file(const char *path, size_t limit, void **buf, size_t *len);
/* Write buf to path (created 0644, fsync'ed). */
int mmt_write_file(const char *path, const void *buf, size_t len);

/* src, decompressed by its magic (or copied when plain), written to dst. */
int mmt_decompress_file(const char *src, const char *dst);

#endif

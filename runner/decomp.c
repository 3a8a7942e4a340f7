// SPDX-License-Identifier: GPL-2.0
/* gzip (zlib), xz and lzma (liblzma), zstd (libzstd): one stream, into memory. */
#include "decomp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK (1u << 20)

static const struct {
	enum mmt_comp c;
	const char *name;
	const char *magic;
	size_t len;
} formats[] = {
	{MMT_COMP_GZIP, "gzip", "\x1f\x8b\x08", 3},
	{MMT_COMP_XZ, "xz",
	 "\xfd"
	 "7zXZ\0",
	 6},
	{MMT_COMP_ZSTD, "zstd", "\x28\xb5\x2f\xfd", 4},
	/* lzma-alone: properties 0x5d and a 64 MiB or smaller dictionary. */
	{MMT_COMP_LZMA, "lzma", "\x5d\x00\x00", 3},
	{MMT_COMP_LZ4, "lz4", "\x02\x21\x4c\x18", 4}, /* the legacy frame */
	{MMT_COMP_BZIP2, "bzip2", "BZh", 3},
};

const char *mmt_comp_name(enum mmt_comp c)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].c == c)
			return formats[i].name;
	return "none";
}

enum mmt_comp mmt_comp_detect(const void *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (len >= formats[i].len && !memcmp(buf, formats[i].magic, formats[i].len))
			return formats[i].c;
	return MMT_COMP_NONE;
}

/* The output buffer, grown as the decoder fills it. */
struct sink {
	unsigned char *buf;
	size_t used, cap, limit;
	const void *prefix;
	size_t prefixlen;
};

static int sink_grow(struct sink *s);

/* Room for the next chunk at buf + used; -ENOMEM or -EFBIG. */
static int sink_room(struct sink *s)
{
	if (s->cap - s->used >= CHUNK)
		return 0;
	return sink_grow(s);
}

/* Double the buffer (for decoders that need a whole block's room). */
static int sink_grow(struct sink *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4 * CHUNK;
	void *p;

	if (s->used >= s->limit)
		return -EFBIG;
	p = realloc(s->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->cap = cap;
	return 0;
}

/* -ENOEXEC once the output shows it is not what the caller looks for. */
static int sink_check(const struct sink *s)
{
	size_t n = s->used < s->prefixlen ? s->used : s->prefixlen;

	if (s->prefix && memcmp(s->buf, s->prefix, n))
		return -ENOEXEC;
	return 0;
}

static int run_lzma(lzma_stream *z, const void *in, size_t inlen, struct sink *s)
{
	lzma_ret ret = LZMA_OK;
	int r = 0;

	z->next_in = in;
	z->avail_in = inlen;
	while (ret == LZMA_OK && !r) {
		r = sink_room(s);
		if (r)
			break;
		z->next_out = s->buf + s->used;
		z->avail_out = s->cap - s->used;
		ret = lzma_code(z, LZMA_FINISH);
		s->used = s->cap - z->avail_out;
		r = sink_check(s);
	}
	lzma_end(z);
	if (r)
		return r;
	if (ret == LZMA_MEM_ERROR)
		return -ENOMEM;
	return ret == LZMA_STREAM_END ? 0 : -EBADMSG;
}

static int dec_xz(enum mmt_comp c, const void *in, size_t inlen, struct sink *s)
{
	lzma_stream z = LZMA_STREAM_INIT;
	lzma_ret ret;

	/* No LZMA_CONCATENATED: stop at the end of the first stream. */
	if (c == MMT_COMP_XZ)
		ret = lzma_stream_decoder(&z, UINT64_MAX, 0);
	else
		ret = lzma_alone_decoder(&z, UINT64_MAX);
	if (ret != LZMA_OK)
		return -ENOMEM;
	return run_lzma(&z, in, inlen, s);
}

static int dec_gzip(const void *in, size_t inlen, struct sink *s)
{
	z_stream z = {0};
	int ret = Z_OK, r = 0;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = inlen > UINT32_MAX ? UINT32_MAX : (uInt)inlen;
	while (ret == Z_OK && !r) {
		r = sink_room(s);
		if (r)
			break;
		z.next_out = s->buf + s->used;
		z.avail_out = s->cap - s->used > UINT32_MAX ? UINT32_MAX : s->cap - s->used;
		ret = inflate(&z, Z_NO_FLUSH);
		s->used = (size_t)(z.next_out - s->buf);
		r = sink_check(s);
		if (ret == Z_BUF_ERROR && z.avail_out)
			break; /* input ended inside the stream */
		if (ret == Z_BUF_ERROR)
			ret = Z_OK;
	}
	inflateEnd(&z);
	if (r)
		return r;
	return ret == Z_STREAM_END ? 0 : (ret == Z_MEM_ERROR ? -ENOMEM : -EBADMSG);
}

/*
 * The kernel's lz4 is the legacy frame: a magic, then blocks of at most 8 MiB
 * output, each after its 4-byte little-endian compressed size, with no end
 * mark: the stream ends where a size is impossible or a block does not decode
 * (in a bzImage, at the 4-byte length that follows the payload).
 */
#define LZ4_LEGACY_BLOCK (8u << 20)

static int dec_lz4(const unsigned char *in, size_t inlen, struct sink *s)
{
	size_t pos = 4, blocks = 0;
	int r = 0;

	while (!r && pos + 4 <= inlen) {
		uint32_t n = in[pos] | in[pos + 1] << 8 | in[pos + 2] << 16 |
			     (uint32_t)in[pos + 3] << 24;
		int out;

		if (n == 0x184c2102) { /* a concatenated frame starts again */
			pos += 4;
			continue;
		}
		if (!n || n > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK) || n > inlen - pos - 4)
			break;
		while (!r && s->cap - s->used < LZ4_LEGACY_BLOCK)
			r = sink_grow(s);
		if (r)
			break;
		out = LZ4_decompress_safe((const char *)in + pos + 4, (char *)s->buf + s->used,
					  (int)n, LZ4_LEGACY_BLOCK);
		if (out < 0)
			break;
		s->used += out;
		pos += 4 + n;
		blocks++;
		r = sink_check(s);
	}
	if (r)
		return r;
	return blocks ? 0 : -EBADMSG;
}

static int dec_zstd(const void *in, size_t inlen, struct sink *s)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = {in, inlen, 0};
	size_t ret = 1;
	int r = 0;

	if (!d)
		return -ENOMEM;
	/* Kernel images are compressed with --ultra -22: a 128 MiB window. */
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 31);
	while (ret && !r) {
		ZSTD_outBuffer ob;

		r = sink_room(s);
		if (r)
			break;
		ob = (ZSTD_outBuffer){s->buf + s->used, s->cap - s->used, 0};
		ret = ZSTD_decompressStream(d, &ob, &ib);
		s->used += ob.pos;
		if (ZSTD_isError(ret))
			r = -EBADMSG;
		else if (!r)
			r = sink_check(s);
		if (!r && ret && ib.pos == ib.size && ob.pos < ob.size)
			r = -EBADMSG; /* input ended inside the frame */
	}
	ZSTD_freeDCtx(d);
	return r;
}

int mmt_decompress(enum mmt_comp c, const void *in, size_t inlen, size_t limit, const void *prefix,
		   size_t prefixlen, void **out, size_t *outlen)
{
	struct sink s = {.limit = limit, .prefix = prefix, .prefixlen = prefixlen};
	int r;

	switch (c) {
	case MMT_COMP_GZIP:
		r = dec_gzip(in, inlen, &s);
		break;
	case MMT_COMP_XZ:
	case MMT_COMP_LZMA:
		r = dec_xz(c, in, inlen, &s);
		break;
	case MMT_COMP_ZSTD:
		r = dec_zstd(in, inlen, &s);
		break;
	case MMT_COMP_LZ4:
		r = dec_lz4(in, inlen, &s);
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (!r && s.used < prefixlen)
		r = -ENOEXEC;
	if (r) {
		free(s.buf);
		return r;
	}
	*out = s.buf;
	*outlen = s.used;
	return 0;
}

int mmt_read_file(const char *path, size_t limit, void **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st = {0};
	size_t got = 0;
	char *p;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (size_t)st.st_size > limit) {
		int r = (size_t)st.st_size > limit ? -EFBIG : -errno;

		close(fd);
		return r;
	}
	p = malloc(st.st_size + 1); /* and a NUL, for text */
	while (p && got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, st.st_size - got);

		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		got += n > 0 ? n : 0;
	}
	close(fd);
	if (!p || got != (size_t)st.st_size) {
		free(p);
		return p ? -EIO : -ENOMEM;
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	return 0;
}

int mmt_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = buf;
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len && !r) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			p += n, len -= n;
	}
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	return r;
}

int mmt_decompress_file(const char *src, const char *dst)
{
	void *in, *out = NULL;
	size_t inlen, outlen;
	enum mmt_comp c;
	int r;

	r = mmt_read_file(src, (size_t)1 << 30, &in, &inlen);
	if (r)
		return r;
	c = mmt_comp_detect(in, inlen);
	if (c == MMT_COMP_NONE)
		r = mmt_write_file(dst, in, inlen);
	else
		r = mmt_decompress(c, in, inlen, (size_t)1 << 30, NULL, 0, &out, &outlen);
	if (c != MMT_COMP_NONE && !r)
		r = mmt_write_file(dst, out, outlen);
	free(in);
	free(out);
	return r;
}

// SPDX-License-Identifier: GPL-2.0
#include "hist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mmt_hist_init(struct mmt_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t mmt_hist_bucket_lo(unsigned i)
{
	unsigned k;

	if (i < MMT_HIST_SUB)
		return i;
	k = (i - MMT_HIST_SUB) / MMT_HIST_SUB + MMT_HIST_SUB_BITS;
	return (uint64_t)(MMT_HIST_SUB + (i - MMT_HIST_SUB) % MMT_HIST_SUB)
	       << (k - MMT_HIST_SUB_BITS);
}

uint64_t mmt_hist_bucket_hi(unsigned i)
{
	unsigned k;

	if (i < MMT_HIST_SUB)
		return i;
	k = (i - MMT_HIST_SUB) / MMT_HIST_SUB + MMT_HIST_SUB_BITS;
	return mmt_hist_bucket_lo(i) + (1ull << (k - MMT_HIST_SUB_BITS)) - 1;
}

void mmt_hist_merge(struct mmt_hist *dst, const struct mmt_hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < MMT_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t mmt_hist_percentile(const struct mmt_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	unsigned i;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	rank = (uint64_t)(p / 100.0 * (double)h->count);
	if ((double)rank < p / 100.0 * (double)h->count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < MMT_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == MMT_HIST_BUCKETS)
		return h->max;
	v = mmt_hist_bucket_lo(i) + (mmt_hist_bucket_hi(i) - mmt_hist_bucket_lo(i)) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double mmt_hist_mean(const struct mmt_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int mmt_hist_encode(const struct mmt_hist *h, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;
	int n;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < MMT_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		n = snprintf(buf + off, len > off ? len - off : 0, "%s%u:%llu", off ? "," : "", i,
			     (unsigned long long)h->b[i]);
		if (n < 0 || off + (size_t)n >= len)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}

int mmt_hist_decode(struct mmt_hist *h, const char *s)
{
	unsigned long i;
	unsigned long long n;
	char *end;

	memset(h->b, 0, sizeof(h->b));
	while (*s) {
		errno = 0;
		i = strtoul(s, &end, 10);
		if (errno || end == s || *end != ':' || i >= MMT_HIST_BUCKETS)
			return -EINVAL;
		s = end + 1;
		n = strtoull(s, &end, 10);
		if (errno || end == s || (*end && *end != ','))
			return -EINVAL;
		h->b[i] += n;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram (nanoseconds).
 *
 * Values below 64 ns have a bucket each (exact). From 64 ns on, every power of
 * two [2^k, 2^(k+1)) is split into 64 equal sub-buckets of width 2^(k-6), so a
 * bucket's width is at most 1/64 of any value in it. A percentile is reported
 * as the midpoint of its bucket: the relative error is at most 1/128 (0.78%).
 * The top power of two is 2^42, so the range is 1 ns to 2^43 - 1 ns (2 h 26 min);
 * larger values land in the last bucket, and the exact min, max, sum and count
 * are kept beside the buckets. 2432 buckets, 19 KiB, as fio's stat.h does it
 * (64 sub-buckets per power of two, ~0.8%).
 *
 * Recording is a plain increment: every recorder (a worker thread or a forked
 * child) owns its histograms, and they are merged when the job ends.
 */
#ifndef MMT_HIST_H
#define MMT_HIST_H

#include <stddef.h>
#include <stdint.h>

#define MMT_HIST_SUB_BITS 6
#define MMT_HIST_SUB (1u << MMT_HIST_SUB_BITS)
#define MMT_HIST_MAX_POW 42
#define MMT_HIST_BUCKETS (MMT_HIST_SUB + (MMT_HIST_MAX_POW - MMT_HIST_SUB_BITS + 1) * MMT_HIST_SUB)
#define MMT_HIST_MAX_NS ((1ull << (MMT_HIST_MAX_POW + 1)) - 1)

struct mmt_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t b[MMT_HIST_BUCKETS];
};

static inline unsigned mmt_hist_bucket(uint64_t v)
{
	unsigned k;

	if (v < MMT_HIST_SUB)
		return (unsigned)v;
	if (v > MMT_HIST_MAX_NS)
		return MMT_HIST_BUCKETS - 1;
	k = 63 - (unsigned)__builtin_clzll(v);
	return MMT_HIST_SUB + (k - MMT_HIST_SUB_BITS) * MMT_HIST_SUB +
	       (unsigned)((v >> (k - MMT_HIST_SUB_BITS)) - MMT_HIST_SUB);
}

static inline void mmt_hist_record(struct mmt_hist *h, uint64_t ns)
{
#ifdef MMT_BENCH_BARE
	return; /* bench/: the workload without stats, to price the harness */
#endif
	/* count is read by the monitor for the per-second series: store it whole. */
	__atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);
	h->sum += ns;
	h->b[mmt_hist_bucket(ns)]++;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

/* Empty histogram: min starts at UINT64_MAX so the first value sets it. */
void mmt_hist_init(struct mmt_hist *h);
/* Lowest and highest value that falls into bucket i. */
uint64_t mmt_hist_bucket_lo(unsigned i);
uint64_t mmt_hist_bucket_hi(unsigned i);
/* Add src into dst. */
void mmt_hist_merge(struct mmt_hist *dst, const struct mmt_hist *src);
/*
 * Value at percentile p (0..100): the midpoint of the bucket holding the
 * ceil(p/100 * count)-th smallest sample, clamped to [min, max]. 0 if empty.
 */
uint64_t mmt_hist_percentile(const struct mmt_hist *h, double p);
double mmt_hist_mean(const struct mmt_hist *h);

/*
 * Sparse encoding for storage: "i:n,i:n,..." of non-empty buckets. Returns the
 * length written (like snprintf), or -ENOSPC.
 */
int mmt_hist_encode(const struct mmt_hist *h, char *buf, size_t len);
/* Parse that encoding (count, sum, min and max are set separately). -EINVAL. */
int mmt_hist_decode(struct mmt_hist *h, const char *s);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * The histogram's percentiles against exact nearest-rank percentiles of known
 * distributions: within the documented relative error (1/128), over the whole
 * documented range (1 ns .. 2^43 ns).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "hist.h"

#define N 200000

static uint64_t rng = 88172645463325252ull;

static double uniform01(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	double r = ceil(p / 100.0 * (double)n);

	return sorted[(size_t)(r < 1 ? 1 : r) - 1];
}

static void check_distribution(const char *name, uint64_t *v, size_t n)
{
	static const double ps[] = {1, 10, 50, 90, 99, 99.9, 99.99};
	struct mmt_hist *h = malloc(sizeof(*h));
	uint64_t got, want;
	double err;
	size_t i;

	mmt_hist_init(h);
	for (i = 0; i < n; i++)
		mmt_hist_record(h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	CHECK(h->count == n);
	CHECK(h->min == v[0]);
	CHECK(h->max == v[n - 1]);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		got = mmt_hist_percentile(h, ps[i]);
		want = exact_percentile(v, n, ps[i]);
		err = fabs((double)got - (double)want) / (double)(want ? want : 1);
		CHECK_MSG(err <= 1.0 / 128 + 1e-12, "%s p%g: got %llu want %llu (error %.4f%%)",
			  name, ps[i], (unsigned long long)got, (unsigned long long)want,
			  err * 100);
	}
	CHECK(mmt_hist_percentile(h, 100) == v[n - 1]);
	CHECK(mmt_hist_percentile(h, 0) == v[0]);
	free(h);
}

static void distributions(void)
{
	uint64_t *v = malloc(sizeof(*v) * N);
	size_t i;

	for (i = 0; i < N; i++)
		v[i] = 1 + (uint64_t)(uniform01() * 1e6);
	check_distribution("uniform 1ns..1ms", v, N);
	for (i = 0; i < N; i++)
		v[i] = 1 + (uint64_t)(-log(1 - uniform01()) * 4400);
	check_distribution("exponential mean 4.4us", v, N);
	for (i = 0; i < N; i++)
		v[i] = 1 + (uint64_t)exp(8 + 3 * sqrt(-2 * log(1 - uniform01())) *
						     cos(2 * M_PI * uniform01()));
	check_distribution("lognormal", v, N);
	for (i = 0; i < N; i++)
		v[i] = uniform01() < 0.9 ? 3000 + (uint64_t)(uniform01() * 500)
					 : 300000000 + (uint64_t)(uniform01() * 1e8);
	check_distribution("bimodal 3us / 300ms", v, N);
	for (i = 0; i < N; i++)
		v[i] = (uint64_t)(uniform01() * 63);
	check_distribution("small exact values", v, N);
	free(v);
}

/* Every bucket's bounds are contiguous and within 1/64 of their values. */
static void buckets(void)
{
	unsigned i;

	CHECK(mmt_hist_bucket(0) == 0);
	CHECK(mmt_hist_bucket(63) == 63);
	CHECK(mmt_hist_bucket(64) == 64);
	for (i = 1; i < MMT_HIST_BUCKETS; i++) {
		CHECK_MSG(mmt_hist_bucket_lo(i) == mmt_hist_bucket_hi(i - 1) + 1, "bucket %u", i);
		CHECK(mmt_hist_bucket(mmt_hist_bucket_lo(i)) == i);
		CHECK(mmt_hist_bucket(mmt_hist_bucket_hi(i)) == i);
		if (i >= 64)
			CHECK((double)(mmt_hist_bucket_hi(i) - mmt_hist_bucket_lo(i) + 1) /
				      (double)mmt_hist_bucket_lo(i) <=
			      1.0 / 64);
	}
	CHECK(mmt_hist_bucket_hi(MMT_HIST_BUCKETS - 1) == MMT_HIST_MAX_NS);
}

/* 1 ns and 1 hour both land with the documented error; beyond the range clamps. */
static void range(void)
{
	struct mmt_hist *h = malloc(sizeof(*h));
	uint64_t hour = 3600ull * 1000000000ull, got;

	mmt_hist_init(h);
	mmt_hist_record(h, 1);
	CHECK(mmt_hist_percentile(h, 50) == 1);
	mmt_hist_init(h);
	mmt_hist_record(h, hour);
	mmt_hist_record(h, hour + 1);
	got = mmt_hist_percentile(h, 50);
	CHECK(got == hour); /* clamped to min */
	mmt_hist_init(h);
	mmt_hist_record(h, hour - 1000000);
	mmt_hist_record(h, hour);
	mmt_hist_record(h, hour + 1000000);
	got = mmt_hist_percentile(h, 50);
	CHECK(fabs((double)got - (double)hour) / (double)hour <= 1.0 / 128);
	CHECK(MMT_HIST_MAX_NS > 2 * hour);
	mmt_hist_record(h, UINT64_MAX / 2);
	CHECK(h->b[MMT_HIST_BUCKETS - 1] == 1);
	CHECK(h->max == UINT64_MAX / 2);
	free(h);
}

static void merge_and_encode(void)
{
	struct mmt_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *c = malloc(sizeof(*c));
	char *buf = malloc(1 << 16);
	unsigned i;

	mmt_hist_init(a);
	mmt_hist_init(b);
	for (i = 1; i < 5000; i++) {
		mmt_hist_record(a, i * 7);
		mmt_hist_record(b, i * 1013);
	}
	mmt_hist_merge(a, b);
	CHECK(a->count == 2 * 4999);
	CHECK(a->min == 7);
	CHECK(a->max == 4999ull * 1013);
	CHECK(mmt_hist_encode(a, buf, 1 << 16) > 0);
	mmt_hist_init(c);
	CHECK(mmt_hist_decode(c, buf) == 0);
	CHECK(!memcmp(c->b, a->b, sizeof(a->b)));
	CHECK(mmt_hist_encode(a, buf, 8) == -ENOSPC);
	CHECK(mmt_hist_decode(c, "12:x") == -EINVAL);
	CHECK(mmt_hist_decode(c, "999999:1") == -EINVAL);
	free(a);
	free(b);
	free(c);
	free(buf);
}

int main(void)
{
	buckets();
	distributions();
	range();
	merge_and_encode();
	return check_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * What timing one op costs: a store to a warm page, bare, then wrapped the way
 * workloads time an op (mmt_ticks() before, mmt_time() after: a histogram
 * record), with the TSC and with clock_gettime. The difference per op, against
 * the ops it wraps (a 4 KiB COW fault is ~3-4.4 us here), is the harness's
 * price on the stressor's hot path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

#define N 20000000u
#define PAGES 64

static char page[PAGES * 4096] __attribute__((aligned(4096)));

static double bare(void)
{
	uint64_t t0 = mmt_mono_ns();
	unsigned i;

	for (i = 0; i < N; i++)
		*(volatile uint32_t *)(page + (i % PAGES) * 4096) = i;
	return (double)(mmt_mono_ns() - t0) / N;
}

static double timed(struct mmt_hist *h)
{
	uint64_t t0 = mmt_mono_ns(), t;
	unsigned i;

	for (i = 0; i < N; i++) {
		t = mmt_ticks();
		*(volatile uint32_t *)(page + (i % PAGES) * 4096) = i;
		mmt_time(h, t);
	}
	return (double)(mmt_mono_ns() - t0) / N;
}

static double best(double (*fn)(void))
{
	double b = 1e9, v;
	int r;

	for (r = 0; r < 5; r++) {
		v = fn();
		b = v < b ? v : b;
	}
	return b;
}

static struct mmt_hist *hist;

static double timed_h(void)
{
	return timed(hist);
}

int main(void)
{
	double b, tsc = 0, cg;

	hist = malloc(sizeof(*hist));
	mmt_hist_init(hist);
	memset(page, 1, sizeof(page));
	mmt_clock_init();
	b = best(bare);
	if (mmt_clock.use_tsc)
		tsc = best(timed_h) - b;
	mmt_clock.use_tsc = 0;
	cg = best(timed_h) - b;
	printf("bare store                      %6.2f ns/op\n", b);
	if (tsc > 0)
		printf("+ timing with rdtsc             %6.2f ns/op  = %.2f%% of a 3.2 us COW "
		       "fault\n",
		       tsc, tsc / 32.0);
	printf("+ timing with clock_gettime     %6.2f ns/op  = %.2f%% of a 3.2 us COW fault\n", cg,
	       cg / 32.0);
	printf("(histogram check: %llu records)\n", (unsigned long long)hist->count);
	return 0;
}

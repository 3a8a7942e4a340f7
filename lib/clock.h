/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cheap timestamps for per-operation latency.
 *
 * On x86_64 with an invariant TSC (constant_tsc + nonstop_tsc) mmt_ticks() is
 * rdtsc (~9 ns here) and ticks are turned into nanoseconds with a multiplier
 * calibrated against CLOCK_MONOTONIC at start; elsewhere a tick is a
 * CLOCK_MONOTONIC nanosecond (~23 ns through the vDSO). Timing a 4 KiB COW
 * fault (~4.4 us) twice with clock_gettime would cost ~1% of it, hence rdtsc.
 */
#ifndef MMT_CLOCK_H
#define MMT_CLOCK_H

#include <stdint.h>
#include <time.h>

struct mmt_clock {
	int use_tsc;
	uint64_t mult; /* ns = ticks * mult >> 32 */
};

extern struct mmt_clock mmt_clock;

/* Calibrate once per process before forking workers; 0 or -errno. */
int mmt_clock_init(void);

static inline uint64_t mmt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mmt_ticks(void)
{
#ifdef MMT_BENCH_BARE
	return 0; /* bench/: the workload without timing, to price the harness */
#endif
#if defined(__x86_64__)
	if (mmt_clock.use_tsc) {
		uint32_t lo, hi;

		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		return ((uint64_t)hi << 32) | lo;
	}
#endif
	return mmt_mono_ns();
}

static inline uint64_t mmt_ticks_to_ns(uint64_t ticks)
{
	if (!mmt_clock.use_tsc)
		return ticks;
	return (uint64_t)(((unsigned __int128)ticks * mmt_clock.mult) >> 32);
}

static inline uint64_t mmt_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif

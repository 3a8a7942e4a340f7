// SPDX-License-Identifier: GPL-2.0
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mmt_clock mmt_clock;

/* Invariant TSC only: a TSC that stops or changes rate cannot time anything. */
static int tsc_is_invariant(void)
{
#if defined(__x86_64__)
	char line[8192];
	int ok = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
		break;
	}
	fclose(f);
	return ok;
#else
	return 0;
#endif
}

int mmt_clock_init(void)
{
	uint64_t t0, c0, t1, c1;
	struct timespec d = {0, 20 * 1000 * 1000};

	mmt_clock.use_tsc = 0;
	/* MMT_NO_TSC=1 forces clock_gettime, to compare the two. */
	if (getenv("MMT_NO_TSC") || !tsc_is_invariant())
		return 0;
	mmt_clock.use_tsc = 1;
	t0 = mmt_mono_ns();
	c0 = mmt_ticks();
	while (nanosleep(&d, &d) && errno == EINTR)
		;
	t1 = mmt_mono_ns();
	c1 = mmt_ticks();
	if (c1 <= c0 || t1 <= t0) {
		mmt_clock.use_tsc = 0;
		return -EIO;
	}
	mmt_clock.mult = (uint64_t)((((unsigned __int128)(t1 - t0)) << 32) / (c1 - c0));
	return 0;
}

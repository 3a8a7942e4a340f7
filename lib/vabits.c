// SPDX-License-Identifier: GPL-2.0
#include "vabits.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static int hint_honoured(uintptr_t hint, size_t len)
{
	void *p =
		mmap((void *)hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	munmap(p, len);
	return (uintptr_t)p == hint;
}

int mmt_va_bits_by_hints(void)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	int b, best = 0;

	for (b = 32; b < 64; b++) {
		uintptr_t top = (uintptr_t)1 << b;

		if (hint_honoured(top - 16 * ps, ps) || hint_honoured(top - (top >> 2), ps))
			best = b;
	}
	return best;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FNV-1a, 64 bits: the kernel config hash a run records and the checksum of
 * each frame of a result stream. Not cryptographic: it catches damage, not
 * forgery.
 */
#ifndef MMT_FNV_H
#define MMT_FNV_H

#include <stddef.h>
#include <stdint.h>

#define MMT_FNV64_OFFSET 0xcbf29ce484222325ULL
#define MMT_FNV64_PRIME 0x100000001b3ULL

/* Continue hash h over n bytes; start with MMT_FNV64_OFFSET. */
static inline uint64_t mmt_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= MMT_FNV64_PRIME;
	}
	return h;
}

#endif

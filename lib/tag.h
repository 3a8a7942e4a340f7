/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tagged pages: every page a workload verifies starts with a 32-byte tag
 * (seed, owner, generation, page index, checksum) and the rest of the page is a
 * pattern derived from the tag, so every byte is checked and a wrong page, a
 * stale page, a zeroed page and a page that leaked across fork are told apart.
 */
#ifndef MMT_TAG_H
#define MMT_TAG_H

#include <stddef.h>
#include <stdint.h>

#define MMT_TAG_MAGIC 0x544d4d54u /* "TMMT" little-endian */

struct mmt_tag {
	uint32_t magic;
	uint32_t owner; /* who wrote it: worker, process role, child index */
	uint32_t seed;
	uint32_t gen; /* generation: bumped by each write of the page */
	uint64_t index; /* page index within the region */
	uint64_t check; /* hash of the fields above */
};

/* What a mismatching page looks like, worst-understood last. */
enum mmt_vclass {
	MMT_V_OK = 0,
	MMT_V_ZEROED, /* all zero where data was expected */
	MMT_V_STALE_GEN, /* an older write of this page (a lost write) */
	MMT_V_NEWER_GEN, /* a newer write: one that should not be visible here */
	MMT_V_OTHER_OWNER, /* written by another process or worker (leak across fork) */
	MMT_V_OTHER_INDEX, /* another page of the same owner (wrong page mapped) */
	MMT_V_GARBAGE, /* no valid tag, or a valid tag over a corrupt body */
	MMT_V__COUNT
};

struct mmt_verify {
	int vclass;
	size_t offset; /* first byte that differs */
	struct mmt_tag found;
	uint64_t want_word, got_word; /* the 8-byte words at offset */
};

/* Owner ids: worker in the high half, the role (0 = worker itself) low. */
static inline uint32_t mmt_owner(unsigned worker, unsigned role)
{
	return (uint32_t)(worker << 16) | (role & 0xffff);
}

struct mmt_tag mmt_tag_make(uint32_t seed, uint32_t owner, uint32_t gen, uint64_t index);
/* An expectation of an all-zero page (after MADV_DONTNEED, say). */
struct mmt_tag mmt_tag_zero(uint64_t index);
/* Write the tag and the pattern over the whole page. */
void mmt_tag_fill(void *page, size_t pagesz, const struct mmt_tag *t);
/* Check every byte of the page against the expectation; returns the class. */
int mmt_tag_verify(const void *page, size_t pagesz, const struct mmt_tag *want,
		   struct mmt_verify *out);
const char *mmt_vclass_name(int vclass);
/* "owner=0x10002 gen=7 index=12 seed=0x1234" or "zero" / "no tag". */
int mmt_tag_format(const struct mmt_tag *t, char *buf, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0
#include "tag.h"

#include <stdio.h>
#include <string.h>

#define GOLDEN 0x9e3779b97f4a7c15ull

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t tag_hash(const struct mmt_tag *t)
{
	uint64_t h = mix64(((uint64_t)t->magic << 32) | t->owner);

	h = mix64(h ^ (((uint64_t)t->seed << 32) | t->gen));
	return mix64(h ^ t->index);
}

struct mmt_tag mmt_tag_make(uint32_t seed, uint32_t owner, uint32_t gen, uint64_t index)
{
	struct mmt_tag t = {
		.magic = MMT_TAG_MAGIC, .owner = owner, .seed = seed, .gen = gen, .index = index};

	t.check = tag_hash(&t);
	return t;
}

struct mmt_tag mmt_tag_zero(uint64_t index)
{
	struct mmt_tag t = {.index = index};

	return t;
}

static int is_zero_tag(const struct mmt_tag *t)
{
	return t->magic == 0;
}

void mmt_tag_fill(void *page, size_t pagesz, const struct mmt_tag *t)
{
	uint64_t *w = page, v = t->check;
	size_t i, n = pagesz / sizeof(uint64_t);

	if (is_zero_tag(t)) {
		memset(page, 0, pagesz);
		return;
	}
	memcpy(page, t, sizeof(*t));
	/* An additive sequence: as cheap as memset, different on every page. */
	for (i = sizeof(*t) / sizeof(uint64_t); i < n; i++) {
		v += GOLDEN;
		w[i] = v;
	}
}

static int found_is_valid(const struct mmt_tag *f)
{
	return f->magic == MMT_TAG_MAGIC && f->check == tag_hash(f);
}

static int page_is_zero(const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i])
			return 0;
	return 1;
}

/* The header differs: say whose page this is instead. */
static int classify_header(const struct mmt_tag *want, const struct mmt_tag *found)
{
	if (!found_is_valid(found))
		return MMT_V_GARBAGE;
	if (is_zero_tag(want))
		return MMT_V_STALE_GEN; /* discarded data came back */
	if (found->seed != want->seed)
		return MMT_V_GARBAGE;
	if (found->owner != want->owner)
		return MMT_V_OTHER_OWNER;
	if (found->index != want->index)
		return MMT_V_OTHER_INDEX;
	if (found->gen < want->gen)
		return MMT_V_STALE_GEN;
	if (found->gen > want->gen)
		return MMT_V_NEWER_GEN;
	return MMT_V_GARBAGE;
}

static int verify_zero(const uint64_t *w, size_t n, const struct mmt_tag *want,
		       struct mmt_verify *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!w[i])
			continue;
		out->offset = i * sizeof(uint64_t);
		out->got_word = w[i];
		out->vclass = classify_header(want, &out->found);
		return out->vclass;
	}
	return MMT_V_OK;
}

int mmt_tag_verify(const void *page, size_t pagesz, const struct mmt_tag *want,
		   struct mmt_verify *out)
{
	const uint64_t *w = page;
	size_t i, n = pagesz / sizeof(uint64_t), h = sizeof(*want) / sizeof(uint64_t);
	uint64_t v = want->check;

	memset(out, 0, sizeof(*out));
	memcpy(&out->found, page, sizeof(out->found));
	if (is_zero_tag(want))
		return verify_zero(w, n, want, out);
	if (memcmp(page, want, sizeof(*want))) {
		for (i = 0; i < h && w[i] == ((const uint64_t *)want)[i]; i++)
			;
		out->offset = i * sizeof(uint64_t);
		out->want_word = ((const uint64_t *)want)[i];
		out->got_word = w[i];
		out->vclass =
			page_is_zero(w, n) ? MMT_V_ZEROED : classify_header(want, &out->found);
		return out->vclass;
	}
	for (i = h; i < n; i++) {
		v += GOLDEN;
		if (w[i] == v)
			continue;
		out->offset = i * sizeof(uint64_t);
		out->want_word = v;
		out->got_word = w[i];
		out->vclass = MMT_V_GARBAGE;
		return out->vclass;
	}
	return MMT_V_OK;
}

const char *mmt_vclass_name(int vclass)
{
	static const char *const names[MMT_V__COUNT] = {
		[MMT_V_OK] = "ok",
		[MMT_V_ZEROED] = "zeroed page",
		[MMT_V_STALE_GEN] = "stale generation",
		[MMT_V_NEWER_GEN] = "newer generation",
		[MMT_V_OTHER_OWNER] = "page of another owner",
		[MMT_V_OTHER_INDEX] = "other index",
		[MMT_V_GARBAGE] = "garbage",
	};

	if (vclass < 0 || vclass >= MMT_V__COUNT)
		return "unknown";
	return names[vclass];
}

int mmt_tag_format(const struct mmt_tag *t, char *buf, size_t len)
{
	if (is_zero_tag(t) && !t->check)
		return snprintf(buf, len, "zero");
	if (!found_is_valid(t))
		return snprintf(buf, len, "no tag (%016llx %016llx)",
				(unsigned long long)(((uint64_t)t->owner << 32) | t->magic),
				(unsigned long long)t->index);
	return snprintf(buf, len, "owner=0x%x gen=%u index=%llu seed=0x%x", t->owner, t->gen,
			(unsigned long long)t->index, t->seed);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Tag classification: pages corrupted on purpose in each way the verifier
 * must tell apart, and the failure record the core makes of one.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "tag.h"
#include "worker.h"

#define PG 4096

static char *page(int n)
{
	return aligned_alloc(PG, (size_t)n * PG);
}

static int classify(const void *p, const struct mmt_tag *want)
{
	struct mmt_verify v;

	return mmt_tag_verify(p, PG, want, &v);
}

static void classes(void)
{
	char *p = page(2), *q = page(1);
	struct mmt_tag t = mmt_tag_make(42, mmt_owner(1, 0), 5, 7), other;
	struct mmt_verify v;

	mmt_tag_fill(p, PG, &t);
	CHECK(classify(p, &t) == MMT_V_OK);

	memset(q, 0, PG);
	CHECK(classify(q, &t) == MMT_V_ZEROED);

	other = mmt_tag_make(42, mmt_owner(1, 0), 4, 7);
	mmt_tag_fill(q, PG, &other);
	CHECK(classify(q, &t) == MMT_V_STALE_GEN);

	other = mmt_tag_make(42, mmt_owner(1, 0), 6, 7);
	mmt_tag_fill(q, PG, &other);
	CHECK(classify(q, &t) == MMT_V_NEWER_GEN);

	other = mmt_tag_make(42, mmt_owner(1, 3), 5, 7); /* a child's write */
	mmt_tag_fill(q, PG, &other);
	CHECK(classify(q, &t) == MMT_V_OTHER_OWNER);

	other = mmt_tag_make(42, mmt_owner(1, 0), 5, 8); /* the neighbouring page */
	mmt_tag_fill(q, PG, &other);
	CHECK(classify(q, &t) == MMT_V_OTHER_INDEX);

	memset(q, 0x5a, PG);
	CHECK(classify(q, &t) == MMT_V_GARBAGE);

	/* One flipped byte deep in the body: garbage, at that offset. */
	mmt_tag_fill(q, PG, &t);
	q[3001] ^= 0x10;
	CHECK(mmt_tag_verify(q, PG, &t, &v) == MMT_V_GARBAGE);
	CHECK(v.offset == 3000);
	CHECK(v.got_word != v.want_word);

	/* The last byte of the page is checked too. */
	mmt_tag_fill(q, PG, &t);
	q[PG - 1] ^= 1;
	CHECK(classify(q, &t) == MMT_V_GARBAGE);

	/* A tag with a broken checksum is not believed. */
	mmt_tag_fill(q, PG, &other);
	((struct mmt_tag *)q)->index = 7; /* the expected index, stale checksum */
	CHECK(classify(q, &t) == MMT_V_GARBAGE);

	/* Another run's (seed's) page is garbage here. */
	other = mmt_tag_make(43, mmt_owner(1, 0), 5, 7);
	mmt_tag_fill(q, PG, &other);
	CHECK(classify(q, &t) == MMT_V_GARBAGE);
	free(p);
	free(q);
}

static void zero_expectations(void)
{
	char *q = page(1);
	struct mmt_tag z = mmt_tag_zero(9), old = mmt_tag_make(1, 0, 3, 9);

	memset(q, 0, PG);
	CHECK(classify(q, &z) == MMT_V_OK);
	mmt_tag_fill(q, PG, &old); /* MADV_DONTNEED'ed data came back */
	CHECK(classify(q, &z) == MMT_V_STALE_GEN);
	memset(q, 0, PG);
	q[100] = 1;
	CHECK(classify(q, &z) == MMT_V_GARBAGE);
	free(q);
}

/* The failure record: class, address of the first bad byte, both tags. */
static void failure_record(void)
{
	struct mmt_shared *sh;
	struct mmt_worker w;
	struct mmt_tag t = mmt_tag_make(7, mmt_owner(0, 0), 2, 0);
	struct mmt_tag n = mmt_tag_make(7, mmt_owner(0, 0), 2, 1);
	struct mmt_verify v;
	struct mmt_failure *f;
	char *p = page(2);

	CHECK(mmt_shared_create(&sh, 1, 1, 1) == 0);
	mmt_worker_init(&w, sh, 0, 7, NULL);
	mmt_tag_fill(p, PG, &t);
	mmt_tag_fill(p + PG, PG, &n);
	memcpy(p, p + PG, PG); /* page 1's bytes where page 0 belongs */
	CHECK(mmt_tag_verify(p, PG, &t, &v) == MMT_V_OTHER_INDEX);
	mmt_fail_verify(&w, 0, p, &t, &v);
	f = &w.ws->fail[0];
	CHECK(w.ws->nfail == 1);
	CHECK(f->kind == MMT_FK_VERIFY);
	CHECK(f->vclass == MMT_V_OTHER_INDEX);
	CHECK(f->want.index == 0 && f->found.index == 1);
	CHECK(f->addr >= (uint64_t)(uintptr_t)p && f->addr < (uint64_t)(uintptr_t)p + PG);
	CHECK_CONTAINS(f->detail, "other index");
	CHECK_CONTAINS(f->detail, "index=1");
	mmt_shared_destroy(sh);
	free(p);
}

int main(void)
{
	classes();
	zero_expectations();
	failure_record();
	return check_done();
}

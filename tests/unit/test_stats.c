// SPDX-License-Identifier: GPL-2.0
/*
 * compare's statistics against known values: quantiles as numpy/R compute them,
 * the Mann-Whitney U of published examples with their exact and normal p-values,
 * a bootstrap that is reproducible and covers a known shift, and a PRNG that
 * is the reference xoshiro256**.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "stats.h"

#define CLOSE(a, b, tol)                                                                           \
	CHECK_MSG(fabs((a) - (b)) <= (tol), "%.12g vs %.12g", (double)(a), (double)(b))

static void test_rng(void)
{
	struct mmt_rng a, b;
	uint64_t hist[10] = {0};
	int i, same = 1;

	/* splitmix64 from 0: its first output is the reference 0xe220a8397b1dcdaf. */
	mmt_rng_seed(&a, 0);
	CHECK(a.s[0] == 0xe220a8397b1dcdafull);
	mmt_rng_seed(&a, 42);
	mmt_rng_seed(&b, 42);
	for (i = 0; i < 1000; i++)
		same &= mmt_rng_next(&a) == mmt_rng_next(&b);
	CHECK(same);
	mmt_rng_seed(&b, 43);
	CHECK(mmt_rng_next(&a) != mmt_rng_next(&b));
	/* 100000 draws into 10 bins: each within 5% of 10000 (about 16 sigma). */
	for (i = 0; i < 100000; i++)
		hist[mmt_rng_below(&a, 10)]++;
	for (i = 0; i < 10; i++)
		CHECK_MSG(hist[i] > 9500 && hist[i] < 10500, "bin %d: %llu", i,
			  (unsigned long long)hist[i]);
	for (i = 0; i < 1000; i++) {
		double u = mmt_rng_unit(&a);

		CHECK(u >= 0 && u < 1);
	}
}

static void test_quantiles(void)
{
	double x[] = {7, 1, 10, 3, 2, 9, 4, 8, 6, 5}, one[] = {4.5};
	double sd[] = {2, 4, 4, 4, 5, 5, 7, 9};

	/* numpy.quantile(range(1, 11), q), linear (type 7). */
	CLOSE(mmt_median(x, 10), 5.5, 1e-12);
	CLOSE(mmt_quantile_sorted(x, 10, 0.9), 9.1, 1e-12);
	CLOSE(mmt_quantile_sorted(x, 10, 0.25), 3.25, 1e-12);
	CLOSE(mmt_quantile_sorted(x, 10, 0), 1, 0);
	CLOSE(mmt_quantile_sorted(x, 10, 1), 10, 0);
	CLOSE(mmt_median(one, 1), 4.5, 0);
	CHECK(isnan(mmt_quantile_sorted(x, 0, 0.5)));
	/* Mean 5; the sample standard deviation is sqrt(32 / 7). */
	CLOSE(mmt_mean(sd, 8), 5, 1e-12);
	CLOSE(mmt_stddev(sd, 8), sqrt(32.0 / 7), 1e-12);
	CLOSE(mmt_normal_p2(1.959963984540054), 0.05, 1e-12);
	CLOSE(mmt_normal_p2(-2.5758293035489), 0.01, 1e-12);
}

/* Student's t quantiles of the printed tables (to 6 decimals), and the normal limit. */
static void test_t(void)
{
	CLOSE(mmt_t_quantile(0.975, 1), 12.706205, 1e-6);
	CLOSE(mmt_t_quantile(0.995, 2), 9.924843, 1e-6);
	CLOSE(mmt_t_quantile(0.995, 8), 3.355387, 1e-6);
	CLOSE(mmt_t_quantile(0.975, 30), 2.042272, 1e-6);
	CLOSE(mmt_t_quantile(0.005, 8), -3.355387, 1e-6);
	CLOSE(mmt_t_quantile(0.995, 1e7), 2.575829, 1e-5);
	CLOSE(mmt_t_cdf(0, 5), 0.5, 1e-12);
	/* df = 1 is the Cauchy distribution: P(T <= 1) = 3/4. */
	CLOSE(mmt_t_cdf(1, 1), 0.75, 1e-10);
	CHECK(isnan(mmt_t_quantile(1, 3)) && isnan(mmt_t_cdf(1, 0)));
}

/*
 * The example of scipy.stats.mannwhitneyu's documentation: ages at diagnosis of
 * five men and four women. U1 = 17; exact two-sided p = 0.1111 (= 2 * 7/126: 7 of
 * the 126 arrangements have U <= 3); asymptotic p = 0.11134688653314041.
 */
static void test_mwu_scipy_doc(void)
{
	double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
	struct mmt_mwu r;

	CHECK(mmt_mwu(males, 5, females, 4, &r) == 0);
	CLOSE(r.u1, 17, 0);
	CLOSE(r.u2, 3, 0);
	CHECK(r.exact && !r.ties);
	CLOSE(r.p, 1.0 / 9, 1e-12);
	CLOSE(r.z, 1.5921683328090657, 1e-9);
	CLOSE(mmt_mwu_cdf(5, 4, 3), 7.0 / 126, 1e-12);
	CLOSE(mmt_normal_p2(r.z), 0.11134688653314041, 1e-9);
	/* Swapping the samples swaps U and keeps p. */
	CHECK(mmt_mwu(females, 4, males, 5, &r) == 0);
	CLOSE(r.u1, 3, 0);
	CLOSE(r.p, 1.0 / 9, 1e-12);
}

/*
 * The tortoise and the hare of the Wikipedia article on the test: six of each
 * race, finishing order T H H H H H T T T T T H. The tortoises beat the hares in
 * U_T = 11 pairs, the hares the tortoises in U_H = 25. The exact two-sided p is
 * 2 * 143/924 = 0.30952 (enumerating all C(12,6) = 924 orders), far from
 * significant (the table's critical U for 6 and 6 at 0.05 is 5); the normal
 * approximation gives z = 1.0408, p = 0.29795.
 */
static void test_mwu_tortoise(void)
{
	const char *order = "THHHHHTTTTTH";
	double t[6], h[6];
	struct mmt_mwu r;
	int i, nt = 0, nh = 0;

	/* A larger value is a faster finisher: minus the place. */
	for (i = 0; i < 12; i++) {
		if (order[i] == 'T')
			t[nt++] = -(i + 1);
		else
			h[nh++] = -(i + 1);
	}
	CHECK(mmt_mwu(t, 6, h, 6, &r) == 0);
	CLOSE(r.u1, 11, 0);
	CLOSE(r.u2, 25, 0);
	CHECK(r.exact);
	CLOSE(r.p, 0.30952380952380953, 1e-12);
	CLOSE(fabs(r.z), 1.0408329997330663, 1e-9);
	CLOSE(mmt_normal_p2(r.z), 0.2979530616081678, 1e-9);
}

/*
 * Ten against twelve without ties (values of the exact test's range): U1 = 92,
 * exact p = 0.035827949 (enumerating C(22,10) = 646646 arrangements), normal
 * approximation p = 0.0377970839. Then with 25 against 23 integer scores full of
 * ties: U1 = 88, tie-corrected and continuity-corrected z = -4.17168599,
 * p = 3.02354116e-5 (both computed by direct enumeration and by the textbook
 * formula in an independent script; they agree with scipy's method="asymptotic").
 */
static void test_mwu_larger(void)
{
	double a[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01};
	double b[] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.07, 3.14, 1.28, 0.95, 1.11, 0.71};
	double x[] = {3, 4, 2, 6, 2, 5, 4, 4, 3, 5, 6, 7, 3, 4, 5, 3, 2, 4, 5, 6, 4, 3, 5, 4, 6};
	double y[] = {5, 6, 7, 5, 8, 6, 4, 7, 6, 5, 9, 6, 7, 5, 8, 4, 6, 7, 5, 6, 8, 7, 6};
	struct mmt_mwu r;

	CHECK(mmt_mwu(a, 10, b, 12, &r) == 0);
	CLOSE(r.u1, 92, 0);
	CHECK(r.exact);
	CLOSE(r.p, 0.03582794914064264, 1e-12);
	CLOSE(mmt_normal_p2(r.z), 0.037797083908718054, 1e-9);
	CHECK(mmt_mwu(x, 25, y, 23, &r) == 0);
	CLOSE(r.u1, 88, 0);
	CHECK(!r.exact && r.ties);
	CLOSE(r.z, -4.17168599032454, 1e-9);
	CLOSE(r.p, 3.0235411600272784e-05, 1e-12);
}

/*
 * Ties in small samples: the exact permutation distribution over the midranks,
 * as an independent enumeration of every split computes it: {1,2,2,3} vs
 * {3,4,4,5}: U1 = 0.5, p = 0.057142857 (8 of 70 splits as extreme, both
 * tails); {10,10,11,11,12} vs {13,13,14,14,15}: complete separation, p = 2/252;
 * {5,6,6,7,7,8} vs {6,7,8,8,9,9}: U1 = 7, p = 0.112554113.
 */
static void test_mwu_ties_small(void)
{
	double a[] = {1, 2, 2, 3}, b[] = {3, 4, 4, 5};
	double c[] = {10, 10, 11, 11, 12}, d[] = {13, 13, 14, 14, 15};
	double e[] = {5, 6, 6, 7, 7, 8}, f[] = {6, 7, 8, 8, 9, 9};
	struct mmt_mwu r;

	CHECK(mmt_mwu(a, 4, b, 4, &r) == 0);
	CHECK(r.exact && r.ties);
	CLOSE(r.u1, 0.5, 0);
	CLOSE(r.p, 0.05714285714285714, 1e-12);
	CHECK(mmt_mwu(c, 5, d, 5, &r) == 0);
	CLOSE(r.p, 0.007936507936507936, 1e-12);
	CHECK(mmt_mwu(e, 6, f, 6, &r) == 0);
	CLOSE(r.u1, 7, 0);
	CLOSE(r.p, 0.11255411255411256, 1e-12);
}

static void test_mwu_edges(void)
{
	double same[] = {3, 3, 3}, x[30], y[30];
	struct mmt_mwu r;
	int i;

	CHECK(mmt_mwu(same, 3, same, 3, &r) == 0);
	CLOSE(r.p, 1, 0);
	CLOSE(r.z, 0, 0);
	CHECK(mmt_mwu(same, 0, same, 3, &r) == -EINVAL);
	x[0] = NAN;
	CHECK(mmt_mwu(x, 1, same, 3, &r) == -EINVAL);
	/* Complete separation of 20 and 20: the exact p is 2 / C(40, 20). */
	for (i = 0; i < 20; i++) {
		x[i] = i;
		y[i] = 100 + i;
	}
	CHECK(mmt_mwu(x, 20, y, 20, &r) == 0);
	CHECK(r.exact);
	CLOSE(r.p, 2 / 137846528820.0, 1e-22);
	/* 21 each: past the exact range, the normal approximation takes over. */
	for (i = 0; i < 21; i++) {
		x[i] = i;
		y[i] = 100 + i;
	}
	CHECK(mmt_mwu(x, 21, y, 21, &r) == 0);
	CHECK(!r.exact && r.p < 1e-6);
	CHECK(isnan(mmt_mwu_cdf(21, 3, 1)));
	/* The null distribution sums to one and is symmetric about n1 n2 / 2. */
	CLOSE(mmt_mwu_cdf(7, 9, 63), 1, 1e-12);
	CLOSE(mmt_mwu_cdf(7, 9, 31), 1 - mmt_mwu_cdf(7, 9, 31), 1e-12);
	CLOSE(mmt_mwu_cdf(7, 9, 10), 1 - mmt_mwu_cdf(7, 9, 52), 1e-12);
}

/* ---- bootstrap ---------------------------------------------------------- */

struct two {
	const double *a, *b;
	double *tmp;
};

/* Difference of medians, candidate minus baseline. */
static void median_diff(void *ctx, const size_t *ia, size_t na, const size_t *ib, size_t nb,
			double *out)
{
	struct two *t = ctx;
	double ma, mb;
	size_t i;

	for (i = 0; i < na; i++)
		t->tmp[i] = t->a[ia[i]];
	ma = mmt_median(t->tmp, na);
	for (i = 0; i < nb; i++)
		t->tmp[i] = t->b[ib[i]];
	mb = mmt_median(t->tmp, nb);
	out[0] = mb - ma;
}

/* A standard normal deviate by Box-Muller, from the PRNG under test. */
static double gauss(struct mmt_rng *r)
{
	double u = mmt_rng_unit(r), v = mmt_rng_unit(r);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static void test_bootstrap(void)
{
	struct mmt_boot b = {.iters = 1000, .level = 0.95, .seed = 7};
	double a[100], c[100], tmp[100], lo, hi, lo2, hi2;
	struct two t = {a, c, tmp};
	struct mmt_rng r;
	int i, rep, covered = 0;

	mmt_rng_seed(&r, 1);
	for (i = 0; i < 100; i++) {
		a[i] = 10 + gauss(&r);
		c[i] = 11 + gauss(&r); /* shifted by 1 */
	}
	CHECK(mmt_bootstrap2(&b, 100, 100, 1, median_diff, &t, &lo, &hi) == 0);
	CHECK_MSG(lo < 1 && hi > 1 && lo > 0, "[%g, %g] should cover 1 and exclude 0", lo, hi);
	CHECK(mmt_bootstrap2(&b, 100, 100, 1, median_diff, &t, &lo2, &hi2) == 0);
	CHECK(lo == lo2 && hi == hi2); /* the same seed: the same interval */
	b.seed = 8;
	CHECK(mmt_bootstrap2(&b, 100, 100, 1, median_diff, &t, &lo2, &hi2) == 0);
	CHECK(lo != lo2 || hi != hi2);
	CHECK(fabs(lo - lo2) < 0.15 && fabs(hi - hi2) < 0.15);
	/*
	 * Coverage: over 200 fresh pairs of samples (n = 50 each, shift 1) a 90%
	 * interval holds the true shift about 90% of the time; the percentile
	 * bootstrap of a median runs a little short, so accept 80..98%.
	 */
	b.level = 0.90;
	b.iters = 400;
	for (rep = 0; rep < 200; rep++) {
		for (i = 0; i < 50; i++) {
			a[i] = 10 + gauss(&r);
			c[i] = 11 + gauss(&r);
		}
		b.seed = (uint64_t)rep;
		CHECK(mmt_bootstrap2(&b, 50, 50, 1, median_diff, &t, &lo, &hi) == 0);
		covered += lo <= 1 && hi >= 1;
	}
	CHECK_MSG(covered >= 160 && covered <= 196, "covered %d of 200", covered);
	CHECK(mmt_bootstrap2(&b, 0, 50, 1, median_diff, &t, &lo, &hi) == -EINVAL);
	b.level = 1;
	CHECK(mmt_bootstrap2(&b, 50, 50, 1, median_diff, &t, &lo, &hi) == -EINVAL);
}

int main(void)
{
	test_rng();
	test_quantiles();
	test_t();
	test_mwu_scipy_doc();
	test_mwu_tortoise();
	test_mwu_larger();
	test_mwu_ties_small();
	test_mwu_edges();
	test_bootstrap();
	return check_done();
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The statistics `mmtorture compare` needs, small enough to read in one sitting:
 * a seedable PRNG, sample quantiles, the Mann-Whitney U test and a two-sample
 * percentile bootstrap. Nothing here assumes normally distributed data: op
 * latencies and per-second rates on a busy machine are skewed and lumpy.
 */
#ifndef MMT_STATS_H
#define MMT_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * xoshiro256** (Blackman and Vigna, 2018), seeded through splitmix64 so that any
 * 64-bit seed, 0 included, gives a well-mixed state. The same seed gives the same
 * stream on every machine: compare's confidence intervals are reproducible.
 */
struct mmt_rng {
	uint64_t s[4];
};

void mmt_rng_seed(struct mmt_rng *r, uint64_t seed);
uint64_t mmt_rng_next(struct mmt_rng *r);
/* Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject); n > 0. */
uint64_t mmt_rng_below(struct mmt_rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 random bits. */
double mmt_rng_unit(struct mmt_rng *r);

/* Sort ascending (NaNs last). */
void mmt_sort_doubles(double *x, size_t n);
/*
 * Quantile q (0..1) of sorted data with linear interpolation between order
 * statistics (Hyndman and Fan's type 7, the default of R and numpy):
 * h = (n - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). NAN if n is 0.
 */
double mmt_quantile_sorted(const double *sorted, size_t n, double q);
/* The same for unsorted data, which is sorted in place. */
double mmt_quantile(double *x, size_t n, double q);
double mmt_median(double *x, size_t n);
double mmt_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1 in the denominator); 0 when n < 2. */
double mmt_stddev(const double *x, size_t n);

/* Two-sided p-value of a standard normal deviate: P(|Z| >= |z|). */
double mmt_normal_p2(double z);
/*
 * Student's t distribution with df degrees of freedom (df > 0): P(T <= t), from
 * the regularized incomplete beta function, P(T <= t) = 1 - I_x(df/2, 1/2) / 2
 * with x = df / (df + t^2) for t >= 0; and the quantile for p in (0, 1), by
 * bisection of the CDF to 1e-10. NAN outside the domain.
 */
double mmt_t_cdf(double t, double df);
double mmt_t_quantile(double p, double df);

/*
 * Mann-Whitney U (Wilcoxon rank-sum) test of x against y, two-sided.
 *
 * u1 counts the pairs (x_i, y_j) with x_i > y_j, ties counting one half (so
 * u1 + u2 = n1 n2), as scipy.stats.mannwhitneyu reports it. Without ties and with
 * both samples at most MMT_MWU_EXACT_MAX long, p comes from the exact null
 * distribution of U: p = 2 min(P(U <= u1), P(U >= u1)), capped at 1. With ties
 * and at most MMT_MWU_PERM_MAX values in all, the same from the exact
 * permutation distribution of U over the midranks (every split enumerated):
 * few per-job values, quantized to histogram buckets, tie often. Otherwise
 * from the normal approximation with the tie correction of the variance,
 *   sigma^2 = n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))),
 * over the tied groups of sizes t, and a continuity correction of 1/2:
 *   z = (|u1 - n1 n2 / 2| - 1/2) / sigma, signed as u1 - n1 n2 / 2.
 * All values equal: z = 0, p = 1.
 */
#define MMT_MWU_EXACT_MAX 20
#define MMT_MWU_PERM_MAX 20

struct mmt_mwu {
	double u1, u2;
	double z;
	double p;
	int exact; /* p from the exact distribution */
	int ties; /* some values are tied (across or within the samples) */
};

/* 0, -EINVAL for an empty sample or a NaN, -ENOMEM. */
int mmt_mwu(const double *x, size_t n1, const double *y, size_t n2, struct mmt_mwu *r);
/* Exact P(U <= u) under the null for sample sizes n1, n2 <= MMT_MWU_EXACT_MAX; NAN beyond. */
double mmt_mwu_cdf(size_t n1, size_t n2, double u);

/*
 * Two-sample percentile bootstrap. Each of iters replicates draws na indices
 * into sample A and nb into sample B, uniformly with replacement, and hands them
 * to fn, which computes nstat statistics into out (NAN where one is undefined).
 * lo[k] and hi[k] are the (1 - level) / 2 and (1 + level) / 2 quantiles of
 * statistic k over the replicates; NAN when more than half of its replicates
 * were NAN. The same seed gives the same interval.
 */
typedef void (*mmt_boot_fn)(void *ctx, const size_t *ia, size_t na, const size_t *ib, size_t nb,
			    double *out);

struct mmt_boot {
	int iters; /* replicates, e.g. 2000 */
	double level; /* e.g. 0.99 */
	uint64_t seed;
};

/* 0, -EINVAL (no data, nstat < 1, iters < 1, level outside (0, 1)), -ENOMEM. */
int mmt_bootstrap2(const struct mmt_boot *b, size_t na, size_t nb, int nstat, mmt_boot_fn fn,
		   void *ctx, double *lo, double *hi);

#endif

// SPDX-License-Identifier: GPL-2.0
/* Statistics for compare; see stats.h for the definitions and their sources. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void mmt_rng_seed(struct mmt_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t mmt_rng_next(struct mmt_rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t mmt_rng_below(struct mmt_rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)mmt_rng_next(r) * n;
	uint64_t low = (uint64_t)m, floor;

	/* The low word below 2^64 mod n would over-represent some results: draw again. */
	if (low < n) {
		floor = -n % n;
		while (low < floor) {
			m = (unsigned __int128)mmt_rng_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double mmt_rng_unit(struct mmt_rng *r)
{
	return (double)(mmt_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- descriptive ------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return x < y ? -1 : x > y;
}

void mmt_sort_doubles(double *x, size_t n)
{
	qsort(x, n, sizeof(*x), cmp_double);
}

double mmt_quantile_sorted(const double *x, size_t n, double q)
{
	double h, f;
	size_t i;

	if (!n)
		return NAN;
	if (q <= 0)
		return x[0];
	if (q >= 1)
		return x[n - 1];
	h = (double)(n - 1) * q;
	f = floor(h);
	i = (size_t)f;
	if (i + 1 >= n)
		return x[n - 1];
	return x[i] + (h - f) * (x[i + 1] - x[i]);
}

double mmt_quantile(double *x, size_t n, double q)
{
	mmt_sort_doubles(x, n);
	return mmt_quantile_sorted(x, n, q);
}

double mmt_median(double *x, size_t n)
{
	return mmt_quantile(x, n, 0.5);
}

double mmt_mean(const double *x, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += x[i];
	return n ? s / (double)n : NAN;
}

double mmt_stddev(const double *x, size_t n)
{
	double m = mmt_mean(x, n), s = 0;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++)
		s += (x[i] - m) * (x[i] - m);
	return sqrt(s / (double)(n - 1));
}

double mmt_normal_p2(double z)
{
	return erfc(fabs(z) / sqrt(2.0));
}

/*
 * The continued fraction of the incomplete beta function, evaluated with the
 * modified Lentz method (Press et al., Numerical Recipes, 2nd ed., 6.4).
 */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h, num, del;
	int m;

	d = 1 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (m = 1; m <= 300; m++) {
		num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + num * d;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = 1 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + num * d;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = 1 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

/* The regularized incomplete beta function I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x));
	/* The fraction converges fast below the mean; above it, use the symmetry. */
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double mmt_t_cdf(double t, double df)
{
	double tail;

	if (!(df > 0) || isnan(t))
		return NAN;
	tail = 0.5 * beta_inc(df / 2, 0.5, df / (df + t * t));
	return t >= 0 ? 1 - tail : tail;
}

double mmt_t_quantile(double p, double df)
{
	double lo = -1, hi = 1, mid;
	int i;

	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	while (mmt_t_cdf(lo, df) > p)
		lo *= 2;
	while (mmt_t_cdf(hi, df) < p)
		hi *= 2;
	for (i = 0; i < 200 && hi - lo > 1e-10; i++) {
		mid = (lo + hi) / 2;
		if (mmt_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* ---- Mann-Whitney U --------------------------------------------------- */

/*
 * The number of arrangements of n1 x's and n2 y's with U = u is the coefficient
 * of q^u in the Gaussian binomial coefficient [n1 + n2 choose n1]_q, that is
 * prod_{i=1..n1} (1 - q^(n2+i)) / (1 - q^i): each factor is a multiplication
 * and an exact division of a polynomial. Coefficients stay below C(40, 20), which
 * a double holds exactly.
 */
static double *mwu_counts(size_t n1, size_t n2)
{
	size_t deg = 0, cap = n1 * n2 + n1 + 1, i, k, a;
	double *c = calloc(cap, sizeof(*c));

	if (!c)
		return NULL;
	c[0] = 1;
	for (i = 1; i <= n1; i++) {
		a = n2 + i;
		for (k = deg + a; k >= a; k--)
			c[k] -= c[k - a];
		deg += a;
		for (k = i; k <= deg; k++)
			c[k] += c[k - i];
		deg -= i;
	}
	return c;
}

double mmt_mwu_cdf(size_t n1, size_t n2, double u)
{
	double below = 0, total = 0, *c;
	size_t k;

	if (!n1 || !n2 || n1 > MMT_MWU_EXACT_MAX || n2 > MMT_MWU_EXACT_MAX)
		return NAN;
	if (u < 0)
		return 0;
	c = mwu_counts(n1, n2);
	if (!c)
		return NAN;
	for (k = 0; k <= n1 * n2; k++) {
		total += c[k];
		if ((double)k <= u + 1e-9)
			below += c[k];
	}
	free(c);
	return below / total;
}

struct ranked {
	double v;
	double rank; /* midrank, once ranked */
	int first; /* from x */
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/* Sum of the average ranks of x's values; *tie_sum = sum(t^3 - t) over tied groups. */
static void rank_sum(struct ranked *all, size_t n, double *r1, double *tie_sum)
{
	size_t i = 0, j, k;
	double rank, t;

	*r1 = 0;
	*tie_sum = 0;
	qsort(all, n, sizeof(*all), cmp_ranked);
	while (i < n) {
		for (j = i + 1; j < n && all[j].v == all[i].v; j++)
			;
		rank = (double)(i + 1 + j) / 2; /* ranks i+1 .. j share their mean */
		for (k = i; k < j; k++) {
			all[k].rank = rank;
			if (all[k].first)
				*r1 += rank;
		}
		t = (double)(j - i);
		*tie_sum += t * t * t - t;
		i = j;
	}
}

static void mwu_normal(struct mmt_mwu *r, double n1, double n2, double tie_sum)
{
	double n = n1 + n2, mu = n1 * n2 / 2, d = r->u1 - mu, var, a;

	var = n1 * n2 / 12 * ((n + 1) - tie_sum / (n * (n - 1)));
	if (var <= 0) {
		r->z = 0;
		r->p = 1;
		return;
	}
	a = fabs(d) - 0.5;
	if (a < 0)
		a = 0;
	r->z = copysign(a / sqrt(var), d);
	r->p = mmt_normal_p2(r->z);
}

/*
 * With ties and few values, the exact permutation distribution of U under the
 * midranks: every choice of n1 of the n values as "x" (Gosper's hack walks the
 * n-bit masks with n1 bits set; C(20, 10) = 184756 at most).
 */
static double mwu_perm_p(const struct ranked *all, size_t n, size_t n1, double u1)
{
	double base = (double)n1 * (double)(n1 + 1) / 2, le = 0, ge = 0, total = 0, u;
	uint32_t mask = (1u << n1) - 1, c, rr;
	size_t i;

	while (mask < (1u << n)) {
		for (u = -base, i = 0; i < n; i++)
			if (mask & (1u << i))
				u += all[i].rank;
		total++;
		le += u <= u1 + 1e-9;
		ge += u >= u1 - 1e-9;
		c = mask & -mask;
		rr = mask + c;
		mask = (((rr ^ mask) >> 2) / c) | rr;
	}
	return fmin(1.0, 2 * fmin(le, ge) / total);
}

int mmt_mwu(const double *x, size_t n1, const double *y, size_t n2, struct mmt_mwu *r)
{
	struct ranked *all;
	double r1, tie_sum, lo, hi;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!n1 || !n2)
		return -EINVAL;
	all = malloc((n1 + n2) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (i = 0; i < n1 + n2; i++) {
		all[i].first = i < n1;
		all[i].v = i < n1 ? x[i] : y[i - n1];
		if (isnan(all[i].v)) {
			free(all);
			return -EINVAL;
		}
	}
	rank_sum(all, n1 + n2, &r1, &tie_sum);
	r->u1 = r1 - (double)n1 * (double)(n1 + 1) / 2;
	r->u2 = (double)n1 * (double)n2 - r->u1;
	r->ties = tie_sum > 0;
	mwu_normal(r, (double)n1, (double)n2, tie_sum);
	if (r->ties && n1 + n2 <= MMT_MWU_PERM_MAX) {
		r->p = mwu_perm_p(all, n1 + n2, n1, r->u1);
		r->exact = 1;
	}
	free(all);
	if (r->ties || n1 > MMT_MWU_EXACT_MAX || n2 > MMT_MWU_EXACT_MAX)
		return 0;
	/* Symmetric null: P(U >= u1) = P(U <= u2). */
	lo = mmt_mwu_cdf(n1, n2, r->u1);
	hi = mmt_mwu_cdf(n1, n2, r->u2);
	if (isnan(lo) || isnan(hi))
		return -ENOMEM;
	r->p = fmin(1.0, 2 * fmin(lo, hi));
	r->exact = 1;
	return 0;
}

/* ---- bootstrap -------------------------------------------------------- */

/* Quantiles of one statistic's replicates, its NaNs dropped. */
static void boot_interval(double *v, size_t n, double level, double *lo, double *hi)
{
	size_t valid = 0, i;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[valid++] = v[i];
	if (valid * 2 <= n) {
		*lo = *hi = NAN;
		return;
	}
	mmt_sort_doubles(v, valid);
	*lo = mmt_quantile_sorted(v, valid, (1 - level) / 2);
	*hi = mmt_quantile_sorted(v, valid, (1 + level) / 2);
}

int mmt_bootstrap2(const struct mmt_boot *b, size_t na, size_t nb, int nstat, mmt_boot_fn fn,
		   void *ctx, double *lo, double *hi)
{
	size_t it, i, iters = (size_t)b->iters, *ia, *ib;
	double *rep, *out, *col;
	struct mmt_rng rng;
	int k, rc = 0;

	if (!na || !nb || nstat < 1 || b->iters < 1 || !(b->level > 0 && b->level < 1))
		return -EINVAL;
	ia = malloc(na * sizeof(*ia));
	ib = malloc(nb * sizeof(*ib));
	rep = malloc(iters * (size_t)nstat * sizeof(*rep));
	out = malloc((size_t)nstat * sizeof(*out));
	col = malloc(iters * sizeof(*col));
	if (!ia || !ib || !rep || !out || !col) {
		rc = -ENOMEM;
		goto out;
	}
	mmt_rng_seed(&rng, b->seed);
	for (it = 0; it < iters; it++) {
		for (i = 0; i < na; i++)
			ia[i] = (size_t)mmt_rng_below(&rng, na);
		for (i = 0; i < nb; i++)
			ib[i] = (size_t)mmt_rng_below(&rng, nb);
		fn(ctx, ia, na, ib, nb, out);
		memcpy(rep + it * (size_t)nstat, out, (size_t)nstat * sizeof(*out));
	}
	for (k = 0; k < nstat; k++) {
		for (it = 0; it < iters; it++)
			col[it] = rep[it * (size_t)nstat + (size_t)k];
		boot_interval(col, iters, b->level, &lo[k], &hi[k]);
	}
out:
	free(ia);
	free(ib);
	free(rep);
	free(out);
	free(col);
	return rc;
}

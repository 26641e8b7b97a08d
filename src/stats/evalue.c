/*
 * Per-query e-values from the tail of the query's own null distribution
 * (the approach of X!Tandem's expectation values: Fenyo & Beavis, Anal.
 * Chem. 75 (2003) 768).
 *
 * For one query, the scores of the library spectra that are not its best
 * match are a sample of what chance gives. Their survival count N(s) (how
 * many score at least s) falls roughly exponentially in the upper tail, so
 * ln N(s) = a + b s is fitted by least squares (GSL, gsl_fit_linear) to the
 * top tail_fraction of the sample (at least 10 points), and the e-value of a
 * hit with score s is exp(a + b s): the number of library spectra expected to
 * score that well by chance. The fit is refused, and no e-value reported,
 * when the sample is smaller than min_candidates, the slope is not negative,
 * or r^2 < min_r2: inventing a number from a handful of scores would give a
 * confidence that cannot be defended.
 *
 * Only the tail is needed in order: the m largest scores are moved to the
 * front by selection (quickselect, three-way partitioning because chance
 * scores tie often), and only those are sorted. A full sort of the sample
 * (tens of thousands of candidates per open-search query on MassBank) took
 * two thirds of the search time.
 */
#include "stats.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdlib.h>

static int cmp_desc(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a > b ? -1 : a < b;
}

static inline void swap_d(double *v, size_t i, size_t j)
{
    double t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static inline double median3(double a, double b, double c)
{
    if (a < b) return b < c ? b : a < c ? c : a;
    return a < c ? a : b < c ? c : b;
}

/* Move the m largest values of v[0, n) to v[0, m), in no particular order.
 * Invariant: everything before lo is >= everything in [lo, hi), which is >=
 * everything from hi on; the boundary m lies in [lo, hi]. */
static void select_largest(double *v, size_t n, size_t m)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        double piv = median3(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
        /* [lo, lt) > piv, [lt, gt) == piv, [gt, hi) < piv */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (v[i] > piv)
                swap_d(v, lt++, i++);
            else if (v[i] < piv)
                swap_d(v, i, --gt);
            else
                i++;
        }
        if (m < lt)
            hi = lt;
        else if (m <= gt)
            return;
        else
            lo = gt;
    }
}

int nps_tail_fit(double *a, double *b, double *scores, size_t n, size_t min_candidates,
                 double tail_fraction, double min_r2)
{
    if (n < min_candidates || n < 10) return 0;
    size_t m = (size_t)ceil(tail_fraction * (double)n);
    if (m < 10) m = 10;
    if (m > n) m = n;
    select_largest(scores, n, m);
    qsort(scores, m, sizeof *scores, cmp_desc);
    /* points (s_k, ln k), k = 1..m, with ties collapsed to their largest count */
    double *x = malloc(m * sizeof *x), *y = malloc(m * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return 0;
    }
    size_t p = 0;
    for (size_t k = 0; k < m; k++) {
        if (k + 1 < m && scores[k + 1] == scores[k]) continue;
        x[p] = scores[k];
        y[p] = log((double)(k + 1));
        p++;
    }
    int ok = 0;
    if (p >= 5 && x[0] > x[p - 1]) {
        double c0, c1, cov00, cov01, cov11, sumsq;
        gsl_fit_linear(x, 1, y, 1, p, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
        double my = 0, ss = 0;
        for (size_t i = 0; i < p; i++) my += y[i];
        my /= (double)p;
        for (size_t i = 0; i < p; i++) ss += (y[i] - my) * (y[i] - my);
        double r2 = ss > 0 ? 1 - sumsq / ss : 0;
        if (c1 < 0 && r2 >= min_r2 && isfinite(c0)) {
            *a = c0;
            *b = c1;
            ok = 1;
        }
    }
    free(x);
    free(y);
    return ok;
}

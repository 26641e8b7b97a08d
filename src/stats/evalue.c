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
 * Only the tail is needed in order, and its cost is paid by every query, so
 * it is found without comparisons: a histogram of the sample on 1024 equal
 * bins below its maximum finds the bin where the tail begins; the scores in
 * that bin and above (the m largest, and the rest of that bin) are gathered
 * in one pass (bins are monotone in the score, so nothing outside them can
 * beat anything inside) and sorted by a radix sort on their IEEE-754 bits
 * (for scores >= 0 the bit order is the numeric order). The points are the
 * same as with a comparison sort, so the fit is too. A full sort of the
 * sample (tens of thousands of candidates per open-search query on MassBank)
 * took two thirds of the search time; quickselect and qsort of the tail
 * still cost as much as the search.
 */
#include "stats.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Move the m largest values of v[0, n) to v[0, m), in no particular order
 * (quickselect, three-way partitioning because chance scores tie often).
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

#define TAIL_BINS 1024

/* the bin of v in [0, max]: monotone in v */
static inline size_t bin_of(double v, double sc)
{
    size_t b = (size_t)(v * sc);
    return b < TAIL_BINS ? b : TAIL_BINS - 1;
}

/* Move a set of values of v[0, n) holding its m largest to the front, and
 * return its size k >= m: every value moved is >= every value left. All
 * values must be >= 0 and finite. */
static size_t gather_tail(double *v, size_t n, size_t m)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++) mx = v[i] > mx ? v[i] : mx;
    if (!(mx > 0)) return n; /* all zero: everything ties */
    const double sc = (TAIL_BINS - 1) / mx;
    uint32_t cnt[TAIL_BINS] = {0};
    for (size_t i = 0; i < n; i++) cnt[bin_of(v[i], sc)]++;
    size_t t = TAIL_BINS, cum = 0;
    while (t > 0 && cum < m) cum += cnt[--t];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (bin_of(v[i], sc) >= t) swap_d(v, k++, i);
    return k;
}

/* Sort v[0, n) (values >= 0) in descending order: LSD radix sort, 8 bits a
 * pass, on the bits of each double, skipping the passes whose digit is the
 * same for every value (the high bytes, for scores of one magnitude). */
static void radix_desc(double *v, double *tmp, size_t n)
{
    double *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++) {
            uint64_t b;
            memcpy(&b, &src[i], sizeof b);
            cnt[255 - ((b >> shift) & 0xff)]++; /* descending: the largest digit first */
        }
        int trivial = 0;
        for (size_t d = 0; d < 256; d++)
            if (cnt[d] == n) trivial = 1;
        if (trivial) continue;
        size_t pos = 0;
        for (size_t d = 0; d < 256; d++) {
            size_t c = cnt[d];
            cnt[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t b;
            memcpy(&b, &src[i], sizeof b);
            dst[cnt[255 - ((b >> shift) & 0xff)]++] = src[i];
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

int nps_tail_fit(double *a, double *b, double *scores, size_t n, size_t min_candidates,
                 double tail_fraction, double min_r2)
{
    if (n < min_candidates || n < 10) return 0;
    size_t m = (size_t)ceil(tail_fraction * (double)n);
    if (m < 10) m = 10;
    if (m > n) m = n;
    for (size_t i = 0; i < n; i++)
        if (!(scores[i] > 0) || !isfinite(scores[i])) scores[i] = 0; /* -0, NAN: no chance */
    size_t got = gather_tail(scores, n, m);
    if (got > 4 * m) { /* a crowded bin: select within the gathered */
        select_largest(scores, got, m);
        got = m;
    }
    /* points (s_k, ln k), k = 1..m, with ties collapsed to their largest count */
    double *x = malloc(got * sizeof *x), *y = malloc(got * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return 0;
    }
    radix_desc(scores, x, got); /* x is scratch until the points are written */
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

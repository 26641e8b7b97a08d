/*
 * The NIST identity match factor (MF) and reverse match factor (RMF) of EI
 * spectra: what NIST MS Search's Identity (EI Normal) algorithm computes, as
 * Samokhin worked it out from the program's own hit lists ("The Identity
 * Algorithm: How the Most Popular Electron Ionization Mass Spectral Library
 * Search Engine Actually Works", J. Am. Soc. Mass Spectrom. 35, 3178
 * (2024)), which differs from the 1994 papers' description (Stein & Scott,
 * JASMS 5, 859; Stein, JASMS 5, 316). tests/test_nist.c checks it against
 * NIST MS Search's results file: 30 hits, MF and RMF equal to the integer.
 *
 * Each spectrum is first put in NIST's form (prepare): m/z to integers with
 * the bin boundary at 0.649 (M = ceil(mz - 0.649): 57.64 is 57, 57.65 is
 * 58; AMDIS's rule too), the intensities of one bin summed, scaled so that
 * the base peak is 999 and rounded to integers, bins that round to 0 left
 * out. Then, for an unknown u and a library spectrum l:
 *   - library m/z below the unknown's lowest are left out (the unknown was
 *     not recorded there), and so is an m/z where both intensities are at
 *     most 1;
 *   - the dot term F1 = (sum_c M sqrt(I_u I_l))^2 / (sum M I_u * sum M I_l),
 *     the weights sqrt(M I), the sums over every m/z left in, c over the
 *     common ones (present in both);
 *   - the ratio term F2 = sum M min(R, 1/R) / sum M over adjacent common
 *     m/z (two common m/z with no other m/z left in between: a peak present
 *     in one spectrum only breaks the chain), R = sqrt((I_l / I_l') /
 *     (I_u / I_u')) against the previous common m/z';
 *   - MF = (n1 F1 + n2 F2) / (n1 + n2), n1 the number of common m/z, n2 of
 *     ratio terms.
 * RMF is the same with the unknown's m/z that the library spectrum lacks
 * left out of F1's unknown sum (the ratio term is the forward one). NIST
 * prints round(1000 MF - 0.5), i.e. floor(1000 MF), at most 999
 * (nps_composite_mf_int). The m/z tolerance plays no part: the bins match or
 * they do not.
 *
 * The prepared form keeps one entry per input peak, so that the plan's
 * per-peak weight arrays and the fragment index stay aligned: the first peak
 * of each bin carries the bin (v = its NIST intensity, w = sqrt(M v)), the
 * others v = w = 0; norm = ||w||.
 */
#include "scoring.h"

#include <math.h>

#include <stdint.h>
#include <stdlib.h>

int nps_composite_mf_int(double mf)
{
    if (!(mf > 0)) return 0;
    double k = floor(1000.0 * mf);
    return k > 999 ? 999 : (int)k;
}

/* The end of the bin that peak i starts (peaks sorted by m/z), its nominal
 * m/z into *M and summed intensity into *s; always past i. */
static size_t bin_end(double *M, double *s, const double *mz, const float *in, size_t n, size_t i)
{
    *M = nps_nist_mz(mz[i]);
    *s = (double)in[i];
    size_t j = i + 1;
    while (j < n && nps_nist_mz(mz[j]) == *M) *s += (double)in[j++];
    return j;
}

/* w = sqrt(M I), v = I (NIST's integer intensity) on the first peak of each
 * bin; norm = ||w||. v may be NULL (w alone). */
static double prepare(double *w, double *v, const double *mz, const float *in, size_t n,
                      const nps_score_options *o)
{
    (void)o;
    double base = 0, M, s;
    for (size_t i = 0; i < n;) {
        i = bin_end(&M, &s, mz, in, n, i);
        if (M >= 1 && isfinite(M) && s > base) base = s;
    }
    double ss = 0;
    for (size_t i = 0, j; i < n; i = j) {
        j = bin_end(&M, &s, mz, in, n, i);
        double I = M >= 1 && isfinite(M) && base > 0 && s > 0 ? floor(999.0 * s / base + 0.5) : 0;
        for (size_t k = i; k < j; k++) {
            w[k] = 0;
            if (v) v[k] = 0;
        }
        if (!(I > 0)) continue;
        w[i] = sqrt(M * I);
        if (v) v[i] = I;
        ss += M * I;
    }
    return sqrt(ss);
}

/* The next bin of a prepared spectrum from peak k on (v > 0), at or above lo. */
static inline size_t next_bin(const nps_prep *p, size_t k, double lo)
{
    while (k < p->n && (!(p->v[k] > 0) || nps_nist_mz(p->mz[k]) < lo)) k++;
    return k;
}

double nps_score_composite_prepared(nps_score_workspace *ws, const nps_prep *u, const nps_prep *l,
                                    const nps_score_options *o, size_t *matched, double *rmf)
{
    (void)o;
    *matched = 0;
    if (rmf) *rmf = 0;
    ws->npairs = 0;
    if (!u->v || !l->v) return 0;
    size_t i = next_bin(u, 0, -INFINITY), j;
    if (i >= u->n) return 0;
    const double lo = nps_nist_mz(u->mz[i]);
    j = next_bin(l, 0, lo);
    double su = 0, sl = 0, sur = 0, dot = 0, num = 0, den = 0, pa = 0, pb = 0;
    size_t n1 = 0, n2 = 0;
    int chain = 0;
    /* each bin's m/z is taken once; past lo, every later bin is above it */
    double Mu = nps_nist_mz(u->mz[i]), Ml = j < l->n ? nps_nist_mz(l->mz[j]) : INFINITY;
    while (i < u->n || j < l->n) {
        double M = Mu < Ml ? Mu : Ml;
        double a = Mu == M ? u->v[i] : 0, b = Ml == M ? l->v[j] : 0;
        size_t ii = i, jj = j;
        if (Mu == M) {
            i = next_bin(u, i + 1, -INFINITY);
            Mu = i < u->n ? nps_nist_mz(u->mz[i]) : INFINITY;
        }
        if (Ml == M) {
            j = next_bin(l, j + 1, -INFINITY);
            Ml = j < l->n ? nps_nist_mz(l->mz[j]) : INFINITY;
        }
        if (a <= 1 && b <= 1) continue; /* left out: no sum, no break */
        su += M * a;
        sl += M * b;
        if (b > 0) sur += M * a;
        if (!(a > 0 && b > 0)) {
            chain = 0;
            continue;
        }
        /* sqrt(M I_u) sqrt(M I_l), and R from the same weights: w_l w_u' /
         * (w_l' w_u) = sqrt((I_l / I_l') / (I_u / I_u')), no root taken */
        double wa = u->w[ii], wb = l->w[jj];
        dot += wa * wb;
        if (chain) {
            double R = (wb * pa) / (pb * wa);
            num += M * (R < 1 ? R : 1 / R);
            den += M;
            n2++;
        }
        n1++;
        pa = wa;
        pb = wb;
        chain = 1;
        if (ws->want_pairs) {
            if (ws->npairs == ws->pairs_cap &&
                nps_grow((void **)&ws->pairs, &ws->pairs_cap, ws->npairs + 1, sizeof *ws->pairs))
                return 0;
            ws->pairs[ws->npairs++] = (nps_peak_match){ii, jj};
        }
    }
    *matched = n1;
    if (n1 == 0 || !(su > 0) || !(sl > 0)) return 0;
    double f2 = den > 0 ? num / den : 0, d2 = dot * dot;
    double mf = ((double)n1 * (d2 / (su * sl)) + (double)n2 * f2) / (double)(n1 + n2);
    if (rmf) {
        double r = ((double)n1 * (d2 / (sur * sl)) + (double)n2 * f2) / (double)(n1 + n2);
        *rmf = r > 1 ? 1 : r < 0 ? 0 : r;
    }
    return mf > 1 ? 1 : mf < 0 ? 0 : mf;
}

static int pair(nps_score_result *res, nps_peak_match *m, size_t cap, size_t *n_m,
                nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                const nps_score_options *o)
{
    size_t k = 0;
    ws->want_pairs = cap > 0;
    res->score = nps_score_composite_prepared(ws, q, r, o, &res->matched, &res->reverse);
    ws->want_pairs = 0;
    res->composite = res->score;
    for (; k < cap && k < ws->npairs; k++) m[k] = ws->pairs[k];
    *n_m = k;
    return 0;
}

/*
 * The bound from the fragment-index scan. The scan sums a = sum x y over
 * every pair of peaks within the query's bin (x = w_u / ||u||, y = w_l /
 * ||l||), a superset of the common m/z, so dot <= a ||u|| ||l||. F1's sums
 * are smaller than the norms (m/z left out), but at least SU_min = sum M I_u
 * over the unknown's intensities above 1 and E_l = sum M I_l over the
 * library's above 1 from the cut at or above the unknown's lowest m/z (m/z
 * never left out): F1 <= a^2 s, s = (||u||^2 / SU_min) (||l||^2 / E_l),
 * passed by the scan (nps_composite_query_scale, the plan's cut table). The
 * ratio term the scan computes itself (common.c, scan_window): it meets the
 * common bins in m/z order, knows from the query's intensities and the
 * library's chain counts (weights.c) whether a bin of either spectrum above 1
 * lies between two of them, and sums min(R, 1/R) from the index weights
 * (the norms cancel in R). So n1, n2 and F2 are NIST's own, in float32, and
 * MF <= (n1 F + n2 F2) / (n1 + n2) with F = min(1, a^2 s); a and F2 are
 * raised by 1e-5 (relative, absolute), far above their float32 rounding.
 */
static double bound(double a, double n1, double n2, double f2, double s)
{
    double ar = a * (1 + 1e-5), f = ar * ar * s;
    if (!(f <= 1)) f = 1; /* also s infinite */
    double r = f2 + 1e-5;
    if (!(r <= 1)) r = 1;
    return n1 + n2 > 0 ? (n1 * f + n2 * r) / (n1 + n2) : f;
}

/* The cuts of the bound's library sums: every other m/z to 60 (the start of
 * most GC-MS scans), then coarser. */
static const double cuts[NPS_COMPOSITE_CUTS] = {
    1,  2,  4,  6,  8,  10, 12, 14, 16, 18, 20, 22, 24, 26, 28,  30,  32,  34,  36,  38,
    40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 64, 72, 80, 100, 120, 150, 200, 300, 500};

void nps_composite_cut_scales(float *out, size_t stride, const nps_prep *l)
{
    double e[NPS_COMPOSITE_CUTS] = {0};
    for (size_t k = 0; k < l->n; k++) {
        if (!(l->v[k] > 1)) continue;
        double M = nps_nist_mz(l->mz[k]);
        for (size_t c = 0; c < NPS_COMPOSITE_CUTS && cuts[c] <= M; c++) e[c] += M * l->v[k];
    }
    double n2 = l->norm * l->norm;
    for (size_t c = 0; c < NPS_COMPOSITE_CUTS; c++) {
        float f = e[c] > 0 ? (float)(n2 / e[c]) : INFINITY;
        /* rounded up: a bound may only grow */
        if (e[c] > 0 && (double)f < n2 / e[c]) f = nextafterf(f, INFINITY);
        out[c * stride] = f;
    }
}

double nps_composite_query_scale(const nps_prep *u, size_t *cut)
{
    *cut = NPS_COMPOSITE_CUTS;
    if (!u->v) return INFINITY;
    double lo = INFINITY, smin = 0;
    for (size_t k = 0; k < u->n; k++) {
        if (!(u->v[k] > 0)) continue;
        double M = nps_nist_mz(u->mz[k]);
        if (M < lo) lo = M;
        if (u->v[k] > 1) smin += M * u->v[k];
    }
    size_t c = 0;
    while (c < NPS_COMPOSITE_CUTS && cuts[c] < lo) c++;
    *cut = c;
    return smin > 0 ? u->norm * u->norm / smin : INFINITY;
}

const nps_score_ops nps_score_composite = {"composite", 0, prepare, pair, bound, 0.0};

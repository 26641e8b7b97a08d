/*
 * The NIST composite (identity) match factor for EI spectra (Stein & Scott,
 * J. Am. Soc. Mass Spectrom. 5, 859 (1994); Stein, JASMS 5, 316 (1994)).
 *
 * Peaks are paired with the greedy rule of the cosine score, weighting each
 * peak by W = sqrt(mz I). Then
 *   DP  = (sum_matched W_u W_l)^2 / (sum_all W_u^2 * sum_all W_l^2)
 *   F_R = sum_i min(R_i, 1/R_i) mz_i / sum_i mz_i over consecutive matched
 *         pairs (in m/z order of the unknown), with
 *         R_i = (V_l,i V_u,i-1) / (V_l,i-1 V_u,i),  V = sqrt(I)
 *   MF  = (N_u DP + N_ur F_R) / (N_u + N_ur),
 * N_u the number of peaks of the unknown and N_ur the number of ratio terms
 * (matched pairs minus one). The ratio term rewards spectra whose adjacent
 * peaks keep the same relative abundances, which a dot product alone misses.
 * MF lies in [0, 1]; NIST prints it as round(999 MF).
 */
#include "scoring.h"

#include <math.h>

#include <stdint.h>
#include <stdlib.h>

/* MF from the dot product and the ratio terms (already summed). */
static double finish(const nps_prep *q, const nps_prep *r, double dot, double fr_num, double fr_den,
                     size_t nur)
{
    double dp = (dot * dot) / (q->norm * q->norm * r->norm * r->norm);
    double nu = (double)q->n;
    if (nur == 0 || fr_den <= 0) return dp > 1 ? 1 : dp;
    double fr = fr_num / fr_den;
    double mf = (nu * dp + (double)nur * fr) / (nu + (double)nur);
    return mf > 1 ? 1 : mf < 0 ? 0 : mf;
}

/* The ratio term of consecutive matched pairs (i0, j0) -> (i1, j1). */
static inline void ratio_term(const nps_prep *q, const nps_prep *r, size_t i0, size_t j0, size_t i1,
                              size_t j1, double *num, double *den, size_t *nur)
{
    double vu0 = q->v[i0], vu1 = q->v[i1], vl0 = r->v[j0], vl1 = r->v[j1];
    if (vu0 <= 0 || vu1 <= 0 || vl0 <= 0 || vl1 <= 0) return;
    double R = (vl1 * vu0) / (vl0 * vu1);
    double m = R < 1 ? R : 1 / R;
    *num += m * q->mz[i1];
    *den += q->mz[i1];
    (*nur)++;
}

/*
 * One two-pointer pass for the usual case: when no peak has two candidates
 * within the tolerance, the greedy assignment keeps every candidate, in m/z
 * order, and MF follows directly. Returns 0 (not handled) at the first
 * conflict, for the general path.
 */
static int composite_direct(double *mf, size_t *matched, const nps_prep *q, const nps_prep *r,
                            const nps_score_options *o)
{
    size_t lo = 0, last_j = SIZE_MAX, np = 0, nur = 0, pi = 0, pj = 0;
    double dot = 0, num = 0, den = 0;
    for (size_t i = 0; i < q->n; i++) {
        double tol = nps_tol_at(o, q->mz[i]);
        double a = q->mz[i] - tol, b = q->mz[i] + tol;
        while (lo < r->n && r->mz[lo] < a) lo++;
        if (lo >= r->n || r->mz[lo] > b) continue;
        size_t j = lo;
        if ((last_j != SIZE_MAX && j <= last_j) || (j + 1 < r->n && r->mz[j + 1] <= b)) return 0;
        last_j = j;
        dot += q->w[i] * r->w[j];
        if (np) ratio_term(q, r, pi, pj, i, j, &num, &den, &nur);
        pi = i;
        pj = j;
        np++;
    }
    *matched = np;
    *mf = np ? finish(q, r, dot, num, den, nur) : 0;
    return 1;
}

double nps_score_composite_prepared(nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                                    const nps_score_options *o, size_t *matched)
{
    *matched = 0;
    if (q->n == 0 || r->n == 0 || q->norm <= 0 || r->norm <= 0) return 0;
    double mf;
    if (!ws->want_pairs && composite_direct(&mf, matched, q, r, o)) return mf;
    if (nps_greedy_match(ws, q, r, o)) return 0;
    size_t np = ws->npairs;
    *matched = np;
    if (np == 0) return 0;
    /* insertion sort of the pairs by query index (m/z order of the unknown);
     * they usually come in that order already */
    nps_peak_match *p = ws->pairs;
    for (size_t k = 1; k < np; k++) {
        if (p[k - 1].query < p[k].query) continue;
        nps_peak_match t = p[k];
        size_t b = k;
        while (b > 0 && p[b - 1].query > t.query) {
            p[b] = p[b - 1];
            b--;
        }
        p[b] = t;
    }
    double dot = 0, num = 0, den = 0;
    size_t nur = 0;
    for (size_t k = 0; k < np; k++) dot += q->w[p[k].query] * r->w[p[k].reference];
    for (size_t k = 1; k < np; k++)
        ratio_term(q, r, p[k - 1].query, p[k - 1].reference, p[k].query, p[k].reference, &num, &den,
                   &nur);
    return finish(q, r, dot, num, den, nur);
}

/* w = sqrt(mz I) (the NIST dot-product weights), v = sqrt(I) (the ratio
 * term's); the norm is ||w||. */
static double prepare(double *w, double *v, const double *mz, const float *in, size_t n,
                      const nps_score_options *o)
{
    (void)o;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        w[i] = sqrt(mz[i] * (double)in[i]);
        if (v) v[i] = sqrt((double)in[i]);
        ss += w[i] * w[i];
    }
    return sqrt(ss);
}

static int pair(nps_score_result *res, nps_peak_match *m, size_t cap, size_t *n_m,
                nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                const nps_score_options *o)
{
    size_t k = 0;
    ws->want_pairs = cap > 0;
    res->score = nps_score_composite_prepared(ws, q, r, o, &res->matched);
    ws->want_pairs = 0;
    res->composite = res->score;
    for (; k < cap && k < ws->npairs && res->matched; k++) m[k] = ws->pairs[k];
    *n_m = k;
    return 0;
}

/* The index sums the normalised dot-product terms: DP <= a^2; the ratio term
 * is at most 1 and weighs N_ur <= min(pairs, N_u) - 1 pairs of pairs. */
static double bound(double a, double pairs, double nu)
{
    double dp = a * a > 1 ? 1 : a * a;
    if (pairs > nu) pairs = nu;
    double nur = pairs > 1 ? pairs - 1 : 0;
    return nur > 0 ? (nu * dp + nur) / (nu + nur) : dp;
}

const nps_score_ops nps_score_composite = {"composite", 0, prepare, pair, bound, 0.0};

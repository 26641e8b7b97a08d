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

#include <stdlib.h>

double nps_score_composite_prepared(nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                                    const nps_score_options *o, size_t *matched)
{
    *matched = 0;
    if (q->n == 0 || r->n == 0 || q->norm <= 0 || r->norm <= 0) return 0;
    if (nps_greedy_match(ws, q, r, o)) return 0;
    size_t np = ws->npairs;
    *matched = np;
    if (np == 0) return 0;
    /* insertion sort of the pairs by query index (m/z order of the unknown) */
    nps_peak_match *p = ws->pairs;
    for (size_t a = 1; a < np; a++) {
        nps_peak_match t = p[a];
        size_t b = a;
        while (b > 0 && p[b - 1].query > t.query) {
            p[b] = p[b - 1];
            b--;
        }
        p[b] = t;
    }
    double dot = 0;
    for (size_t k = 0; k < np; k++) dot += q->w[p[k].query] * r->w[p[k].reference];
    double dp = (dot * dot) / (q->norm * q->norm * r->norm * r->norm);
    double fr_num = 0, fr_den = 0;
    size_t nur = 0;
    for (size_t k = 1; k < np; k++) {
        double vu0 = q->v[p[k - 1].query], vu1 = q->v[p[k].query];
        double vl0 = r->v[p[k - 1].reference], vl1 = r->v[p[k].reference];
        if (vu0 <= 0 || vu1 <= 0 || vl0 <= 0 || vl1 <= 0) continue;
        double R = (vl1 * vu0) / (vl0 * vu1);
        double m = R < 1 ? R : 1 / R;
        fr_num += m * q->mz[p[k].query];
        fr_den += q->mz[p[k].query];
        nur++;
    }
    double nu = (double)q->n;
    if (nur == 0 || fr_den <= 0) return dp > 1 ? 1 : dp;
    double fr = fr_num / fr_den;
    double mf = (nu * dp + (double)nur * fr) / (nu + (double)nur);
    return mf > 1 ? 1 : mf < 0 ? 0 : mf;
}

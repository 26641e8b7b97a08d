/*
 * Greedy cosine similarity, with the semantics of matchms's CosineGreedy so
 * that scores can be checked against it:
 *  - candidates are all peak pairs (i, j) with mz_q - tol <= mz_r <= mz_q + tol,
 *    evaluated in double exactly as written (so at exactly the tolerance the
 *    decision is that of the rounded bounds; see docs/scores.md);
 *  - each candidate weighs (mz_q^a I_q^b)(mz_r^a I_r^b);
 *  - candidates are taken in decreasing weight, each peak at most once; equal
 *    weights are taken in reverse generation order (higher i, then higher j
 *    first), which is what matchms's stable ascending sort followed by a
 *    reversal does;
 *  - score = sum of accepted weights / (||w_q|| ||w_r||) over all peaks.
 * The same greedy assignment serves the composite score.
 */
#include "scoring.h"

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static int cmp_cand(const void *a, const void *b)
{
    const struct nps_cand *x = a, *y = b;
    if (x->w > y->w) return -1;
    if (x->w < y->w) return 1;
    if (x->i != y->i) return x->i > y->i ? -1 : 1;
    if (x->j != y->j) return x->j > y->j ? -1 : 1;
    return 0;
}

int nps_greedy_match(nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                     const nps_score_options *o)
{
    ws->ncand = 0;
    ws->npairs = 0;
    size_t lo = 0;
    /* A conflict is a peak with two candidates. Without one (the usual case
     * for cleaned or unit-mass spectra), greedy selection keeps every
     * candidate and no sorting is needed. Windows move forward with i, so a
     * reference peak shared by two query peaks shows up as a j that does not
     * exceed the largest j seen so far. */
    int conflict = 0;
    size_t last_j = SIZE_MAX;
    /* room for the usual case up front, so the loop below rarely grows */
    if (nps_grow((void **)&ws->cand, &ws->cand_cap, q->n + r->n + 1, sizeof *ws->cand))
        return NPS_ENOMEM;
    for (size_t i = 0; i < q->n; i++) {
        double tol = nps_tol_at(o, q->mz[i]);
        double a = q->mz[i] - tol, b = q->mz[i] + tol;
        while (lo < r->n && r->mz[lo] < a) lo++;
        size_t here = 0;
        for (size_t j = lo; j < r->n && r->mz[j] <= b; j++) {
            if (ws->ncand == ws->cand_cap &&
                nps_grow((void **)&ws->cand, &ws->cand_cap, ws->ncand + 1, sizeof *ws->cand))
                return NPS_ENOMEM;
            ws->cand[ws->ncand++] =
                (struct nps_cand){q->w[i] * r->w[j], (uint32_t)i, (uint32_t)j, 0};
            if (++here > 1 || (last_j != SIZE_MAX && j <= last_j)) conflict = 1;
            last_j = j;
        }
    }
    if (ws->ncand == 0) return 0;
    if (!conflict) {
        if (nps_grow((void **)&ws->pairs, &ws->pairs_cap, ws->ncand, sizeof *ws->pairs))
            return NPS_ENOMEM;
        for (size_t c = 0; c < ws->ncand; c++)
            ws->pairs[ws->npairs++] = (nps_peak_match){ws->cand[c].i, ws->cand[c].j};
        return 0;
    }
    if (nps_grow((void **)&ws->used_q, &ws->used_q_cap, q->n, 1) ||
        nps_grow((void **)&ws->used_r, &ws->used_r_cap, r->n, 1) ||
        nps_grow((void **)&ws->pairs, &ws->pairs_cap, ws->ncand < q->n ? ws->ncand : q->n,
                 sizeof *ws->pairs))
        return NPS_ENOMEM;
    memset(ws->used_q, 0, q->n);
    memset(ws->used_r, 0, r->n);
    qsort(ws->cand, ws->ncand, sizeof *ws->cand, cmp_cand);
    for (size_t c = 0; c < ws->ncand; c++) {
        uint32_t i = ws->cand[c].i, j = ws->cand[c].j;
        if (ws->used_q[i] || ws->used_r[j]) continue;
        ws->used_q[i] = ws->used_r[j] = 1;
        ws->pairs[ws->npairs++] = (nps_peak_match){i, j};
    }
    return 0;
}

/* w = mz^a I^b; the norm is ||w||. */
static double prepare(double *w, double *v, const double *mz, const float *in, size_t n,
                      const nps_score_options *o)
{
    (void)v;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double a = o->mz_power == 0 ? 1.0 : pow(mz[i], o->mz_power);
        double b = o->intensity_power == 1     ? (double)in[i]
                   : o->intensity_power == 0.5 ? sqrt((double)in[i])
                                               : pow((double)in[i], o->intensity_power);
        w[i] = a * b;
        ss += w[i] * w[i];
    }
    return sqrt(ss);
}

static int pair(nps_score_result *res, nps_peak_match *m, size_t cap, size_t *n_m,
                nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                const nps_score_options *o)
{
    size_t k = 0;
    if (q->norm > 0 && r->norm > 0) {
        int rc = nps_greedy_match(ws, q, r, o);
        if (rc) return rc;
        double s = 0;
        for (size_t p = 0; p < ws->npairs; p++)
            s += q->w[ws->pairs[p].query] * r->w[ws->pairs[p].reference];
        res->score = s / (q->norm * r->norm);
        res->matched = ws->npairs;
        for (; k < cap && k < ws->npairs; k++) m[k] = ws->pairs[k];
    }
    *n_m = k;
    return 0;
}

/* The index sums the normalised products of every pair within tolerance, a
 * superset of the matched ones: the bound is a. */
const nps_score_ops nps_score_cosine = {"cosine", 0, prepare, pair, NULL, 1.0};

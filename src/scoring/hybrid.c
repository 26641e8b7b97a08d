/*
 * Hybrid (analogue) similarity, after NIST's hybrid search (Moorthy, Wallace
 * et al., Anal. Chem. 89 (2017) 13261, "Combining Fragment-Ion and
 * Neutral-Loss Matching during Mass Spectral Library Searching: A New General
 * Purpose Algorithm Applicable to Illicit Drug Identification").
 *
 * An analogue differs from its library relative by a modification of mass
 * delta = M(query) - M(reference). Fragments that lost the modification keep
 * their m/z; fragments that kept it move by delta. So a reference peak at m
 * may match a query peak at m (a direct match) or at m + delta (a shifted
 * match, equivalently: the same neutral loss from both precursors).
 *
 * Exact rule, for peaks sorted by m/z and the score's per-peak weights w:
 *  - candidates: every pair (i, j) with |q_i - r_j| <= tol (direct), and
 *    every pair with |q_i - (r_j + delta)| <= tol (shifted), the latter only
 *    when |delta| > tol (otherwise a shifted match is a direct one) and, when
 *    precursors are given, only for peaks below their own precursor (a
 *    shifted pair shares a positive neutral loss); tol is the fragment
 *    tolerance at q_i (Da, or ppm of q_i);
 *  - a candidate contributes c(i, j): for the entropy scores
 *    1/2 [f(x+y) - f(x) - f(y)], f(v) = v log2 v, x = w_q[i], y = w_r[j]
 *    (the pair term of the entropy similarity, whose weights sum to 1); for
 *    the cosine and the composite w_q[i] w_r[j] / (|w_q| |w_r|) (for the
 *    composite this is its dot-product term: the ratio term is not defined
 *    for shifted pairs);
 *  - candidates are taken greedily in decreasing contribution, each peak at
 *    most once; ties go to the direct match, then the lower query peak, then
 *    the lower reference peak (a total order: the result does not depend on
 *    the order candidates were generated in);
 *  - score = sum of the accepted contributions, clamped to [0, 1].
 * With delta = 0 the score is the plain score's greedy variant (for the
 * cosine, exactly matchms's CosineGreedy; matchms's ModifiedCosine is this
 * rule for the cosine with intensity power 1).
 */
#include "scoring.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline double xlog2x(double v)
{
    return v > 0 ? v * log2(v) : 0;
}

static int cmp_hyb(const void *a, const void *b)
{
    const struct nps_cand *x = a, *y = b;
    if (x->w > y->w) return -1;
    if (x->w < y->w) return 1;
    if (x->shifted != y->shifted) return x->shifted < y->shifted ? -1 : 1;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    if (x->j != y->j) return x->j < y->j ? -1 : 1;
    return 0;
}

static inline double contribution(const nps_prep *q, const nps_prep *r, size_t i, size_t j,
                                  int entropy, double inv_norms)
{
    if (entropy) {
        double x = q->w[i], y = r->w[j];
        return 0.5 * (xlog2x(x + y) - (q->v ? q->v[i] : xlog2x(x)) - (r->v ? r->v[j] : xlog2x(y)));
    }
    return q->w[i] * r->w[j] * inv_norms;
}

/* Append the candidates of one kind: reference m/z moved by `shift`. */
static int candidates(nps_score_workspace *ws, const nps_prep *q, const nps_prep *r, double shift,
                      unsigned shifted, double qlim, double rlim, const nps_score_options *o,
                      int entropy, double inv_norms)
{
    size_t lo = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (shifted && !(q->mz[i] < qlim)) break;
        double tol = nps_tol_at(o, q->mz[i]);
        double a = q->mz[i] - tol, b = q->mz[i] + tol;
        while (lo < r->n && r->mz[lo] + shift < a) lo++;
        for (size_t j = lo; j < r->n && r->mz[j] + shift <= b; j++) {
            if (shifted && !(r->mz[j] < rlim)) break;
            double c = contribution(q, r, i, j, entropy, inv_norms);
            if (!(c > 0)) continue;
            if (ws->ncand == ws->cand_cap &&
                nps_grow((void **)&ws->cand, &ws->cand_cap, ws->ncand + 1, sizeof *ws->cand))
                return NPS_ENOMEM;
            ws->cand[ws->ncand++] = (struct nps_cand){c, (uint32_t)i, (uint32_t)j, shifted};
        }
    }
    return 0;
}

int nps_hybrid_prepared(nps_hybrid_result *res, nps_score_workspace *ws, const nps_prep *q,
                        const nps_prep *r, double delta, double qprec, double rprec,
                        const nps_score_options *o)
{
    memset(res, 0, sizeof *res);
    res->delta = delta;
    const int entropy = nps_score_is_entropy(o->type);
    double inv = 0;
    if (!entropy) {
        if (!(q->norm > 0) || !(r->norm > 0)) return 0;
        inv = 1.0 / (q->norm * r->norm);
    }
    ws->ncand = 0;
    ws->npairs = 0;
    int rc = candidates(ws, q, r, 0.0, 0, INFINITY, INFINITY, o, entropy, inv);
    double tol = nps_tol_at(o, isnan(qprec) ? (q->n ? q->mz[q->n - 1] : 0) : qprec);
    if (!rc && isfinite(delta) && fabs(delta) > tol)
        rc = candidates(ws, q, r, delta, 1, isnan(qprec) ? INFINITY : qprec,
                        isnan(rprec) ? INFINITY : rprec, o, entropy, inv);
    if (rc) return rc;
    if (ws->ncand == 0) return 0;
    if (nps_grow((void **)&ws->used_q, &ws->used_q_cap, q->n, 1) ||
        nps_grow((void **)&ws->used_r, &ws->used_r_cap, r->n, 1) ||
        nps_grow((void **)&ws->pairs, &ws->pairs_cap, ws->ncand, sizeof *ws->pairs) ||
        nps_grow((void **)&ws->pair_shifted, &ws->pair_shifted_cap, ws->ncand, 1))
        return NPS_ENOMEM;
    memset(ws->used_q, 0, q->n);
    memset(ws->used_r, 0, r->n);
    qsort(ws->cand, ws->ncand, sizeof *ws->cand, cmp_hyb);
    double s = 0;
    for (size_t c = 0; c < ws->ncand; c++) {
        uint32_t i = ws->cand[c].i, j = ws->cand[c].j;
        if (ws->used_q[i] || ws->used_r[j]) continue;
        ws->used_q[i] = ws->used_r[j] = 1;
        ws->pair_shifted[ws->npairs] = (unsigned char)ws->cand[c].shifted;
        ws->pairs[ws->npairs++] = (nps_peak_match){i, j};
        s += ws->cand[c].w;
        if (ws->cand[c].shifted)
            res->shifted++;
        else
            res->direct++;
    }
    res->score = s < 0 ? 0 : s > 1 ? 1 : s;
    return 0;
}

static int hybrid_public(nps_hybrid_result *out, nps_score_workspace *ws, const double *q_mz,
                         const float *q_int, size_t q_n, double qprec, const double *r_mz,
                         const float *r_int, size_t r_n, double rprec, double delta,
                         const nps_score_options *o)
{
    if (o->version != NPS_SCORE_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_score_options version %d not supported", o->version);
    if (!(o->tolerance >= 0)) return nps_err(NPS_EINVAL, "negative tolerance");
    double *buf = malloc(((q_n + r_n) * 2 + 2) * sizeof *buf);
    if (!buf) return nps_err(NPS_ENOMEM, "out of memory");
    nps_prep q = {q_mz, q_int, buf, buf + q_n, q_n, 0};
    nps_prep r = {r_mz, r_int, buf + 2 * q_n, buf + 2 * q_n + r_n, r_n, 0};
    q.norm = nps_score_prepare(buf, buf + q_n, q_mz, q_int, q_n, o);
    r.norm = nps_score_prepare(buf + 2 * q_n, buf + 2 * q_n + r_n, r_mz, r_int, r_n, o);
    int rc = nps_hybrid_prepared(out, ws, &q, &r, delta, qprec, rprec, o);
    free(buf);
    return rc;
}

int nps_score_hybrid(nps_hybrid_result *out, nps_score_workspace *ws, const double *q_mz,
                     const float *q_int, size_t q_n, double q_precursor, const double *r_mz,
                     const float *r_int, size_t r_n, double r_precursor,
                     const nps_score_options *options)
{
    if (!isfinite(q_precursor) || !isfinite(r_precursor))
        return nps_err(NPS_EINVAL, "hybrid score needs both precursor m/z");
    return hybrid_public(out, ws, q_mz, q_int, q_n, q_precursor, r_mz, r_int, r_n, r_precursor,
                         q_precursor - r_precursor, options);
}

int nps_score_shifted(nps_hybrid_result *out, nps_score_workspace *ws, const double *q_mz,
                      const float *q_int, size_t q_n, const double *r_mz, const float *r_int,
                      size_t r_n, double delta, const nps_score_options *options)
{
    if (!isfinite(delta)) return nps_err(NPS_EINVAL, "shift must be finite");
    return hybrid_public(out, ws, q_mz, q_int, q_n, NAN, r_mz, r_int, r_n, NAN, delta, options);
}

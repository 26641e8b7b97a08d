/*
 * The two ways a mode finds its candidates: pairwise, and through the
 * inverted fragment index.
 *
 * Pairwise (identity mode, and the exhaustive reference path) scores every
 * candidate exactly; identity mode hands it the library spectra whose
 * precursor lies in the query's window.
 *
 * The indexed path (after the Flash entropy search, library/index.c): each
 * query peak scans the library peaks inside its tolerance window and adds
 * its contribution to the accumulator of their spectrum, so only spectra
 * sharing a fragment with the query are touched, and only those are cleared
 * afterwards. Every score here is a sum of non-negative contributions over
 * matched peak pairs (entropy, cosine; the composite's dot-product term), and
 * the scan adds the contribution of every pair inside the (slightly widened)
 * window, a superset of the pairs the exact one-to-one matching keeps. The
 * accumulated value is therefore an upper bound of the exact score (for the
 * composite, with its ratio term bounded by 1). The candidates are then
 * scored exactly, in decreasing bound, until the next bound falls below the
 * K-th exact score: the result is, by construction, the exhaustive top K,
 * with the exhaustive path's own numbers. When peaks are at least twice the
 * tolerance apart (the default cleaning merges within 0.05 Da for a 0.02 Da
 * tolerance) the bound is the score itself and only about K spectra are
 * rescored. Reverse search renormalises per pair, so it has no bound: every
 * touched spectrum is rescored (still far fewer than the library).
 *
 * In HYBRID mode the query's neutral losses are also looked up in the loss
 * index, weighted as the fragments they come from: a shifted match is a
 * shared loss, so every pair the hybrid rule can accept (direct or shifted)
 * is in one of the two scans, and the sum stays an upper bound of the hybrid
 * score.
 */
#include "fastlog.h"
#include "plan.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void nps_target_prep(nps_prep *R, nps_workspace *ws, const nps_target *tg, nps_score_type t,
                     size_t ri)
{
    const nps_weights *lw = tg->wt[t];
    const nps_score_options *so = &lw->so;
    const double *rmz;
    const float *rin;
    size_t rn;
    nps_spectra_peaks(tg->spectra, ri, &rmz, &rin, &rn);
    if (lw->w) {
        size_t off = rn ? (size_t)(rmz - tg->mz0) : 0;
        *R = (nps_prep){rmz, rin, lw->w + off, lw->v ? lw->v + off : NULL, rn, lw->norm[ri]};
        return;
    }
    double *v = so->type == NPS_SCORE_COMPOSITE ? ws->rv : NULL;
    double norm = nps_score_prepare(ws->rw, v, rmz, rin, rn, so);
    *R = (nps_prep){rmz, rin, ws->rw, v, rn, norm};
}

int nps_exact_ranked(nps_ranked *out, nps_workspace *ws, const nps_query_ctx *c, size_t ri)
{
    nps_prep R;
    nps_target_prep(&R, ws, c->tg, c->t, ri);
    if (c->mode == NPS_MODE_HYBRID) {
        double rp = nps_spectra_precursor_mz(c->tg->spectra, ri);
        nps_hybrid_result h;
        int rc = nps_hybrid_prepared(&h, ws->sws, c->Q, &R, c->qprec - rp, c->qprec, rp, c->so);
        if (rc) return rc;
        *out = nps_ranked_make(h.score, ri, h.direct + h.shifted);
        out->delta = c->qprec - rp;
        out->shifted = h.shifted;
        return 0;
    }
    nps_score_result res;
    int rc = nps_score_prepared(&res, NULL, NULL, ws->sws, c->Q, &R, c->so);
    if (rc) return rc;
    *out = nps_ranked_make(res.score, ri, res.matched);
    return 0;
}

int nps_search_pairwise(nps_workspace *ws, const nps_query_ctx *c, size_t lo, size_t hi,
                        int use_order)
{
    const nps_plan *p = c->p;
    int rc = 0;
    if (p->o.evalues && (rc = nps_ws_cand_reserve(ws, hi - lo))) return rc;
    for (size_t k = lo; k < hi; k++) {
        size_t ri = use_order ? p->order[k].idx : k;
        if (p->o.same_kind_only && p->kinds_of[ri] != (unsigned char)c->kind) continue;
        if (c->windowed && !nps_in_window(c, ri)) continue;
        if (nps_excluded(c, ri)) continue;
        nps_ranked r;
        if ((rc = nps_exact_ranked(&r, ws, c, ri))) return rc;
        if (p->o.evalues && r.score > 0) ws->cand[ws->nc++] = (nps_bound){r.score, ri};
        nps_keep(ws, c, r);
    }
    return 0;
}

/* f(v) = v log2 v, the entropy contribution helper */
static inline double xlog2x(double v)
{
    return v > 0 ? v * log2(v) : 0;
}

/* Add, for one query value v of weight x, the contribution of every entry of
 * index ix within the tolerance window to its spectrum's accumulator. iw/ify
 * are the entries' weights in ix's order.
 *
 * The scatter into the accumulators is the cost of an open search (tens of
 * thousands of entries per query on a 10^5-spectrum library, each a random
 * access). When the bound is a multiple of the sum (every score but the
 * composite, whose bound also needs the number of pairs), the accumulators
 * are plain floats, half the cache footprint, and a spectrum is new to the
 * touched list when its accumulator is still 0: every contribution is made
 * strictly positive (raising a bound keeps it a bound), so that test is
 * exact, and it is made without a branch (the id is always written, the
 * count advanced by the test). */
static int scan_window(nps_workspace *ws, const nps_query_ctx *c, const nps_fragment_index *ix,
                       const float *iw, const float *ify, double v, double tol, double x,
                       int entropy, int counted, size_t *nt)
{
    const nps_plan *p = c->p;
    const unsigned char *kinds = p->o.same_kind_only && p->mixed_kinds ? p->kinds_of : NULL;
    /* guard band: wider than float32 rounding of the index and of the bounds */
    double g = 4e-7 * (v + tol) + 1e-9;
    double fx = entropy ? xlog2x(x) : 0;
    size_t lo = nps_index_lower(ix, v - tol - g), hi = nps_index_after(ix, (float)(v + tol + g));
    if (hi <= lo) return 0;
    /* two passes over the window: the contributions (a straight loop the
     * compiler vectorises), then the scatter into the accumulators */
    if (hi - lo > ws->ccap) {
        int rc = nps_grow((void **)&ws->cbuf, &ws->ccap, hi - lo, sizeof *ws->cbuf);
        if (rc) return rc;
    }
    float *cb = ws->cbuf;
    const float xf = (float)x, fxf = (float)fx;
    const size_t w = hi - lo;
    if (entropy) {
        const float *yv = iw + lo, *fy = ify + lo;
        for (size_t j = 0; j < w; j++) {
            float xy = xf + yv[j];
            float h = xy * nps_fast_log2f(xy) - fxf - fy[j];
            cb[j] = h > FLT_MIN ? h : FLT_MIN; /* a max the compiler vectorises */
        }
    } else {
        const float *yv = iw + lo;
        for (size_t j = 0; j < w; j++) {
            float h = xf * yv[j];
            cb[j] = h > FLT_MIN ? h : FLT_MIN;
        }
    }
    /* locals, so that the count and the arrays stay in registers */
    uint32_t *touched = ws->touched;
    size_t n = *nt;
    const uint32_t *spv = ix->spec + lo;
    if (counted) {
        struct nps_acc *acc = ws->acc;
        for (size_t j = 0; j < w; j++) {
            uint32_t sp = spv[j];
            if (kinds && kinds[sp] != (unsigned char)c->kind) continue;
            if (acc[sp].cnt++ == 0) touched[n++] = sp;
            acc[sp].acc += cb[j];
        }
    } else if (kinds) {
        float *acc = ws->accf;
        for (size_t j = 0; j < w; j++) {
            uint32_t sp = spv[j];
            if (kinds[sp] != (unsigned char)c->kind) continue;
            float a = acc[sp];
            touched[n] = sp;
            n += a == 0.0f;
            acc[sp] = a + cb[j];
        }
    } else {
        float *acc = ws->accf;
        for (size_t j = 0; j < w; j++) {
            uint32_t sp = spv[j];
            float a = acc[sp];
            touched[n] = sp;
            n += a == 0.0f;
            acc[sp] = a + cb[j];
        }
    }
    *nt = n;
    return 0;
}

/* Push b into the min-heap kb of the K largest bounds (nb of them). */
static inline void kbest_push(double *kb, size_t *nb, size_t K, double b)
{
    if (*nb < K) {
        size_t i = (*nb)++;
        kb[i] = b;
        while (i > 0 && kb[(i - 1) / 2] > kb[i]) { /* sift up */
            double t = kb[i];
            kb[i] = kb[(i - 1) / 2];
            kb[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (b > kb[0]) {
        kb[0] = b;
        for (size_t i = 0;;) { /* sift down */
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < *nb && kb[l] < kb[m]) m = l;
            if (r < *nb && kb[r] < kb[m]) m = r;
            if (m == i) break;
            double t = kb[i];
            kb[i] = kb[m];
            kb[m] = t;
            i = m;
        }
    }
}

enum { BOUND_NONE, BOUND_SCALE, BOUND_FUNCTION };

/* The candidates of the scan: every touched spectrum whose bound can reach
 * min_score, with the K largest bounds in ws->kbest (*nb of them); the
 * accumulators are cleared on the way. `how` is a constant at each call, so
 * the compiler makes one loop per kind of bound (BOUND_FUNCTION reads the
 * counted accumulators, the others the float ones: scan_window). */
static inline __attribute__((always_inline)) size_t
collect(nps_workspace *ws, const nps_query_ctx *c, size_t nt, size_t *nb, int how,
        double (*bound)(double, double, double), double scale, const int windowed)
{
    const nps_plan *p = c->p;
    struct nps_acc *acc = ws->acc;
    float *accf = ws->accf;
    const uint32_t *touched = ws->touched;
    nps_bound *cand = ws->cand;
    double *kb = ws->kbest, nu = (double)c->Q->n, min = p->o.min_score;
    size_t nc = 0, K = p->o.top_k;
    for (size_t j = 0; j < nt; j++) {
        uint32_t sp = touched[j];
        double b;
        if (how == BOUND_FUNCTION) {
            b = bound(acc[sp].acc, (double)acc[sp].cnt, nu);
            acc[sp].acc = 0;
            acc[sp].cnt = 0;
        } else {
            b = how == BOUND_NONE ? INFINITY : scale * accf[sp];
            accf[sp] = 0;
        }
        if (b + NPS_BOUND_MARGIN < min || !(b > 0) || nps_excluded(c, sp)) continue;
        if (windowed && !nps_in_window(c, sp)) continue;
        cand[nc++] = (nps_bound){b, sp};
        kbest_push(kb, nb, K, b);
    }
    return nc;
}

/* Sift entry i down the max-heap h of n candidates, by bound. */
static void bound_sift(nps_bound *h, size_t n, size_t i)
{
    nps_bound x = h[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        double bm = x.b;
        if (l < n && h[l].b > bm) m = l, bm = h[l].b;
        if (r < n && h[r].b > bm) m = r;
        if (m == i) break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

int nps_search_indexed(nps_workspace *ws, const nps_query_ctx *c)
{
    const nps_plan *p = c->p;
    const nps_target *tg = c->tg;
    const nps_fragment_index *ix = tg->ix;
    const float *iw = tg->wt[c->t]->iw, *ify = tg->wt[c->t]->ify;
    const nps_prep *Q = c->Q;
    const int entropy = nps_score_is_entropy(c->t);
    const int hybrid = c->mode == NPS_MODE_HYBRID;
    const double qnorm = Q->norm;
    const nps_score_ops *ops = nps_score_table[c->t];
    /* the composite's bound needs the number of pairs (collect) */
    const int counted = !p->o.reverse && !hybrid && ops->bound != NULL;
    size_t nt = 0;
    ws->indexed = 1;
    if (!entropy && !(qnorm > 0)) return 0;
    for (size_t i = 0; i < Q->n; i++) {
        /* The first touch of each window is a cache miss: fetch the bin of the
         * window after next, and the start of the next window, ahead. */
        if (i + 2 < Q->n) {
            double q2 = Q->mz[i + 2], lo2 = q2 - nps_tol_at(c->so, q2);
            size_t b2 = lo2 > 0 ? (size_t)(lo2 / ix->bin_width) : 0;
            if (b2 < ix->nbins) __builtin_prefetch(&ix->bin[b2], 0, 1);
        }
        if (i + 1 < Q->n) {
            double q1 = Q->mz[i + 1], lo1 = q1 - nps_tol_at(c->so, q1);
            size_t b1 = lo1 > 0 ? (size_t)(lo1 / ix->bin_width) : 0;
            if (b1 < ix->nbins) {
                size_t pp = ix->bin[b1];
                __builtin_prefetch(&ix->mz[pp], 0, 1);
                __builtin_prefetch(&ix->spec[pp], 0, 1);
                __builtin_prefetch(&iw[pp], 0, 1);
                if (ify) __builtin_prefetch(&ify[pp], 0, 1);
            }
        }
        double q = Q->mz[i];
        double x = entropy ? Q->w[i] : Q->w[i] / qnorm;
        if (!(x > 0) && !p->o.reverse) continue;
        int rc = scan_window(ws, c, ix, iw, ify, q, nps_tol_at(c->so, q), x, entropy, counted, &nt);
        if (rc) return rc;
    }
    if (hybrid && isfinite(c->qprec)) {
        /* the query's losses, ascending: its peaks below the precursor, backwards */
        const float *liw = tg->wt[c->t]->liw, *lify = tg->wt[c->t]->lify;
        for (size_t i = Q->n; i-- > 0;) {
            if (!(Q->mz[i] < c->qprec)) continue;
            double x = entropy ? Q->w[i] : Q->w[i] / qnorm;
            if (!(x > 0)) continue;
            /* the hybrid rule's tolerance is that of the query peak's m/z */
            int rc = scan_window(ws, c, &p->loss_ix, liw, lify, c->qprec - Q->mz[i],
                                 nps_tol_at(c->so, Q->mz[i]), x, entropy, 0, &nt);
            if (rc) return rc;
        }
    }
    /* Bounds of the touched spectra, and the K-th largest of them (a min-heap
     * of K values: most candidates are rejected by one comparison).
     * The bound of a touched spectrum: in HYBRID mode every score's pair term
     * is summed as such (the composite's, its dot-product term), so the sum,
     * halved for entropy, is the bound; otherwise the score's own bound
     * (reverse search renormalises per pair and has none). This loop runs
     * once per touched spectrum: it is specialised per kind of bound. */
    int rc = nps_ws_cand_reserve(ws, nt);
    if (rc) return rc;
    size_t nc, nb = 0;
    const int win = c->windowed; /* identity: a specialisation of its own */
    if (p->o.reverse && !hybrid)
        nc = win ? collect(ws, c, nt, &nb, BOUND_NONE, NULL, 0, 1)
                 : collect(ws, c, nt, &nb, BOUND_NONE, NULL, 0, 0);
    else if (hybrid)
        nc = collect(ws, c, nt, &nb, BOUND_SCALE, NULL, entropy ? 0.5 : 1.0, 0);
    else if (ops->bound)
        nc = win ? collect(ws, c, nt, &nb, BOUND_FUNCTION, ops->bound, 0, 1)
                 : collect(ws, c, nt, &nb, BOUND_FUNCTION, ops->bound, 0, 0);
    else
        nc = win ? collect(ws, c, nt, &nb, BOUND_SCALE, NULL, ops->bound_scale, 1)
                 : collect(ws, c, nt, &nb, BOUND_SCALE, NULL, ops->bound_scale, 0);
    size_t K = p->o.top_k;
    const double *kb = ws->kbest;
    ws->nc = nc; /* the bounds are the e-values' null sample */
    if (nc == 0) return 0;
    /* Rescore exactly every candidate whose bound reaches the K-th largest
     * bound bk. A candidate below bk has an exact score below its bound plus
     * the margin M, so it can still enter (a tie too, which the library id
     * breaks) only if b + M reaches the heap's worst exact score w. When the
     * bounds are the scores (well-separated peaks: the usual case), w >= bk - M
     * and only candidates with b >= bk - 2M qualify: the near-ties of the
     * K-th place (replicate spectra make many). They are set aside during
     * the first pass, so every other candidate is visited once. When w is
     * lower (loose bounds, or a heap left short by min_score or exclusions),
     * every candidate below bk is looked at again. */
    double bk = nb < K ? -INFINITY : kb[0];
    double near_lo = bk - 2 * NPS_BOUND_MARGIN;
    size_t nn = 0;
    for (size_t j = 0; j < nc; j++) {
        const nps_bound *cb = &ws->cand[j];
        if (cb->b < bk) {
            if (cb->b >= near_lo) {
                if (nn == ws->near_cap &&
                    (rc = nps_grow((void **)&ws->near, &ws->near_cap, nn + 1, sizeof *ws->near)))
                    return rc;
                ws->near[nn++] = *cb;
            }
            continue;
        }
        nps_ranked r;
        if ((rc = nps_exact_ranked(&r, ws, c, cb->s))) return rc;
        nps_keep(ws, c, r);
    }
    if (bk == -INFINITY) return 0; /* every candidate was rescored */
    int near_only = ws->nh == K && nps_rank_worst(ws->heap)->score >= bk - NPS_BOUND_MARGIN;
    size_t n2 = near_only ? nn : nc, m = 0;
    const nps_bound *second = near_only ? ws->near : ws->cand;
    if (!near_only && nc > ws->near_cap &&
        (rc = nps_grow((void **)&ws->near, &ws->near_cap, nc, sizeof *ws->near)))
        return rc;
    /* The rest by decreasing bound: the heap's worst score rises as they are
     * scored, and the first bound below it ends the pass (loose bounds, as
     * the composite's, leave hundreds of candidates above the worst score of
     * the first pass; taken in this order, only those whose bound reaches
     * the final worst score are scored, but for the few that arrive on the
     * way). Compacted into ws->near (in place when it is the source). */
    double worst = ws->nh == K ? nps_rank_worst(ws->heap)->score : -INFINITY;
    for (size_t j = 0; j < n2; j++) {
        nps_bound cb = second[j];
        if (cb.b >= bk || cb.b + NPS_BOUND_MARGIN < worst) continue; /* done above; out */
        ws->near[m++] = cb;
    }
    /* a max-heap, popped while the bounds reach the worst score: no more of
     * the order is made than is used (and nothing allocated) */
    nps_bound *h = ws->near;
    for (size_t j = m / 2; j-- > 0;) bound_sift(h, m, j);
    while (m > 0) {
        nps_bound cb = h[0];
        if (ws->nh == K && cb.b + NPS_BOUND_MARGIN < nps_rank_worst(ws->heap)->score) break;
        h[0] = h[--m];
        bound_sift(h, m, 0);
        nps_ranked r;
        if ((rc = nps_exact_ranked(&r, ws, c, cb.s))) return rc;
        nps_keep(ws, c, r);
    }
    return 0;
}

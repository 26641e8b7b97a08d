/*
 * The two ways a mode finds its candidates: pairwise, and through the
 * inverted fragment index.
 *
 * Pairwise (identity mode, and the exhaustive reference path) scores every
 * candidate exactly; identity mode hands it the library spectra whose
 * precursor lies in the query's window.
 *
 * The indexed path (after the Flash entropy search, library/index.c): each
 * query peak scans the library peaks inside its tolerance window and adds its
 * contribution to the accumulator of their spectrum, so only spectra sharing a
 * fragment with the query are touched, and only those are cleared afterwards
 * (or, when the query's windows hold many entries for the library's size,
 * every accumulator is read once: scan_window). Every score here is a sum of
 * non-negative contributions over matched peak pairs (entropy, cosine; the
 * composite's dot-product term), and the scan adds the contribution of every
 * pair inside the (slightly widened) window, a superset of the pairs the exact
 * one-to-one matching keeps. The accumulated value is therefore an upper bound
 * of the exact score (for the composite, with its ratio term bounded by 1).
 * The candidates are then scored exactly, in decreasing bound, until the next
 * bound falls below the K-th exact score: the result is, by construction, the
 * exhaustive top K, with the exhaustive path's own numbers. When peaks are at
 * least twice the tolerance apart (the default cleaning merges within 0.05 Da
 * for a 0.02 Da tolerance) the bound is the score itself and only about K
 * spectra are rescored. Reverse search renormalises per pair, so it has no
 * bound: every touched spectrum is rescored (still far fewer than the
 * library).
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

/* The entries of index ix within the tolerance window of a query value v of
 * weight x: [lo, hi). */
static inline nps_window window_of(const nps_fragment_index *ix, double v, double tol, double x)
{
    /* guard band: wider than float32 rounding of the index and of the bounds */
    double g = 4e-7 * (v + tol) + 1e-9;
    nps_window w = {
        nps_index_lower(ix, v - tol - g), nps_index_after(ix, (float)(v + tol + g)), x, 0, 0, 0, 0};
    if (w.hi < w.lo) w.hi = w.lo;
    return w;
}

/* The contribution of each entry of a window to its spectrum's bound: the
 * entropy pair term (x + y) log2 (x + y) - x log2 x - y log2 y from the
 * entries' weights y and y log2 y, or the product x y. A straight loop the
 * compiler vectorises; every contribution is made strictly positive (raising
 * a bound keeps it a bound), so that an accumulator is 0 exactly when its
 * spectrum was not touched. */
NPS_CLONES static void contributions(float *restrict cb, const float *restrict yv,
                                     const float *restrict fy, size_t w, float xf, float fxf)
{
    if (fy) {
        for (size_t j = 0; j < w; j++) {
            float xy = xf + yv[j];
            float h = xy * nps_fast_log2f(xy) - fxf - fy[j];
            cb[j] = h > FLT_MIN ? h : FLT_MIN; /* a max the compiler vectorises */
        }
    } else {
        for (size_t j = 0; j < w; j++) {
            float h = xf * yv[j];
            cb[j] = h > FLT_MIN ? h : FLT_MIN;
        }
    }
}

/* Add the contribution of every entry of window W of index ix to its
 * spectrum's accumulator. iw/ify are the entries' weights in ix's order.
 *
 * The scatter into the accumulators is the cost of an open search (tens of
 * thousands of entries per query on a 10^5-spectrum library, each a random
 * access). Three ways, chosen per query (nps_search_indexed):
 * - counted (the composite, whose bound also needs the number of pairs):
 *   accumulator and count side by side, a touched list of the spectra seen;
 * - touched: plain float accumulators (half the cache footprint) and a
 *   touched list, a spectrum being new when its accumulator is still 0 (the
 *   test is made without a branch: the id is always written, the count
 *   advanced by the test);
 * - dense: plain float accumulators and nothing else; the candidates are
 *   then found by reading every accumulator (collect_dense), which costs
 *   less than keeping the list once a query touches a good part of the
 *   library. */
enum { SCAN_COUNTED, SCAN_TOUCHED, SCAN_DENSE };

/* min(p, q) / max(p, q) for p, q >= 0, without a branch: the bit patterns
 * of non-negative floats order like their values, and the integer select
 * becomes a conditional move (a float select became a compare and a jump). */
static inline float min_over_max(float p, float q)
{
    uint32_t a, b;
    memcpy(&a, &p, sizeof a);
    memcpy(&b, &q, sizeof b);
    uint32_t lo = a < b ? a : b, hi = a ^ b ^ lo;
    float fl, fh;
    memcpy(&fl, &lo, sizeof fl);
    memcpy(&fh, &hi, sizeof fh);
    return fl / fh;
}

/* x when on is 1, +0 when on is 0 (whatever x is, a NaN too) */
static inline float masked(float x, uint32_t on)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u &= 0u - on;
    memcpy(&x, &u, sizeof x);
    return x;
}

static int scan_window(nps_workspace *ws, const nps_query_ctx *c, const nps_fragment_index *ix,
                       const float *iw, const float *ify, const uint64_t *chain, nps_window W,
                       int how, size_t *nt)
{
    const nps_plan *p = c->p;
    /* the kind of each accumulator position (the index's scan order) */
    const unsigned char *kinds =
        p->o.same_kind_only && p->mixed_kinds ? (p->kinds_at ? p->kinds_at : p->kinds_of) : NULL;
    const size_t lo = W.lo, w = W.hi - W.lo;
    if (w == 0) return 0;
    if (w > ws->ccap) {
        int rc = nps_grow((void **)&ws->cbuf, &ws->ccap, w, sizeof *ws->cbuf);
        if (rc) return rc;
    }
    float *cb = ws->cbuf;
    /* two passes over the window: the contributions, then the scatter */
    contributions(cb, iw + lo, ify ? ify + lo : NULL, w, (float)W.x,
                  ify ? (float)xlog2x(W.x) : 0.0f);
    /* locals, so that the count and the arrays stay in registers */
    const uint32_t *spv = ix->spec + lo;
    const unsigned char kind = (unsigned char)c->kind;
    if (how == SCAN_COUNTED) {
        struct nps_acc *acc = ws->acc;
        uint32_t *touched = ws->touched;
        size_t n = *nt;
        /* The composite's ratio term, as the scan meets the common bins in
         * m/z order (composite.c): a common bin left in (either intensity
         * above 1) closes a ratio term with its spectrum's previous one when
         * no bin above 1 of either spectrum lies between them: no query bin
         * above 1 (the last one before this window is brk), no library bin
         * above 1 (its chain count h equals the previous one's h plus its
         * flag). The term min(R, 1/R), R = (y x') / (y' x) from the weights
         * (the norms cancel), is summed weighted by the bin's m/z. Only
         * entries of the window's own bin count: the guard band may reach a
         * neighbouring bin's peak, and a peak merged into an earlier one's
         * bin (UINT64_MAX) carries nothing. Without chain values every pair
         * counts as a common bin and a ratio term of 1, which only raises
         * the bound. */
        const uint32_t k1 = W.k + 1, brk = W.brk;
        const uint64_t *chv = chain ? chain + lo : NULL;
        const float *yv = iw + lo, xw = (float)W.x, Mw = (float)W.bin;
        for (size_t j = 0; j < w; j++) {
            uint32_t sp = spv[j];
            if (kinds && kinds[sp] != kind) continue;
            struct nps_acc *A = &acc[sp];
            /* a contribution is never 0: an accumulator at 0 is untouched */
            touched[n] = sp;
            n += A->acc == 0.0f;
            A->acc += cb[j];
            if (!chv) {
                A->n1++;
                A->n2++;
                A->num += 1;
                A->den += 1;
                continue;
            }
            uint64_t g = chv[j];
            uint32_t h = (uint32_t)g;
            if ((uint32_t)(g >> 32) != W.bin || !(W.above | (h & 1))) continue;
            /* Whether this bin closes a ratio term, and which side of the
             * ratio is the smaller, are data (about half the entries either
             * way): as branches they were mispredicted on every other entry.
             * So the term is always formed, min / max with one division,
             * and added under a mask; the first common bin's xprev = yprev
             * = 0 gives 0/0, which the mask turns into 0. A third less scan
             * time (bench/RESULTS.md section 16). */
            const uint32_t pair = (A->last != 0) & (A->last >= brk) & ((h >> 1) == A->lastg);
            A->num += masked(Mw * min_over_max(yv[j] * A->xprev, A->yprev * xw), pair);
            A->den += masked(Mw, pair);
            A->n2 = (uint16_t)(A->n2 + pair);
            A->n1++;
            A->last = k1;
            A->lastg = (h >> 1) + (h & 1);
            A->xprev = xw;
            A->yprev = yv[j];
        }
        *nt = n;
    } else if (how == SCAN_TOUCHED) {
        float *acc = ws->accf;
        uint32_t *touched = ws->touched;
        size_t n = *nt;
        for (size_t j = 0; j < w; j++) {
            uint32_t sp = spv[j];
            if (kinds && kinds[sp] != kind) continue;
            float a = acc[sp];
            touched[n] = sp;
            n += a == 0.0f;
            acc[sp] = a + cb[j];
        }
        *nt = n;
    } else if (kinds) {
        float *acc = ws->accf;
        for (size_t j = 0; j < w; j++)
            if (kinds[spv[j]] == kind) acc[spv[j]] += cb[j];
    } else {
        float *acc = ws->accf;
        for (size_t j = 0; j < w; j++) acc[spv[j]] += cb[j];
    }
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

/* Whether spectrum sp, of bound b, can be a hit of the query at all: its
 * bound reaches min_score (within the margin), it is not excluded, and (in
 * identity mode) its precursor lies in the window. The one test both ways of
 * collecting the candidates make. */
static inline int candidate_ok(const nps_query_ctx *c, size_t sp, double b, const int windowed)
{
    if (b + NPS_BOUND_MARGIN < c->p->o.min_score || !(b > 0) || nps_excluded(c, sp)) return 0;
    return !windowed || nps_in_window(c, sp);
}

/* The candidates of a touched-list scan: every touched spectrum whose bound
 * can reach min_score, with the K largest bounds in ws->kbest (*nb of them);
 * the accumulators are cleared on the way. `how` is a constant at each call,
 * so the compiler makes one loop per kind of bound (BOUND_FUNCTION reads the
 * counted accumulators, the others the float ones: scan_window). */
static inline __attribute__((always_inline)) size_t
collect(nps_workspace *ws, const nps_query_ctx *c, size_t nt, size_t *nb, int how,
        double (*bound)(double, double, double, double, double), double scale, const float *lf,
        const int windowed)
{
    struct nps_acc *acc = ws->acc;
    float *accf = ws->accf;
    const uint32_t *touched = ws->touched;
    nps_bound *cand = ws->cand;
    double *kb = ws->kbest;
    size_t nc = 0, K = c->p->o.top_k;
    const nps_fragment_index *ix = c->tg->ix;
    for (size_t j = 0; j < nt; j++) {
        uint32_t sp = touched[j]; /* an accumulator position */
        double b;
        if (how == BOUND_FUNCTION) {
            b = bound(acc[sp].acc, (double)acc[sp].n1, (double)acc[sp].n2,
                      acc[sp].den > 0 ? (double)acc[sp].num / acc[sp].den : 0,
                      lf ? scale * lf[sp] : INFINITY);
            acc[sp] = (struct nps_acc){0};
        } else {
            b = how == BOUND_NONE ? INFINITY : scale * accf[sp];
            accf[sp] = 0;
        }
        size_t s = nps_index_lib(ix, sp);
        if (!candidate_ok(c, s, b, windowed)) continue;
        cand[nc++] = (nps_bound){b, s};
        kbest_push(kb, nb, K, b);
    }
    return nc;
}

/* A float f >= 0 with scale * f below t (0 when t <= 0): an accumulator at
 * most f has a bound below t, so it is skipped; one above it may still be
 * below t, which its exact bound, computed next, decides. */
static float acc_below(double t, double scale)
{
    if (!(t > 0)) return 0.0f;
    float f = (float)(t / scale);
    while (f > 0 && (double)f * scale >= t) f = nextafterf(f, 0.0f);
    return f;
}

/* The candidates of a dense scan (bounds scale * accf, every spectrum):
 * every spectrum whose bound is within twice the margin of the K largest
 * seen so far, which holds every candidate the rescoring will take when the
 * bounds are the scores (nps_search_indexed); the others are found again by
 * rescan_dense if they are needed. The accumulators are read sixteen at a
 * time, a block none of whose values can reach the running threshold
 * skipped after one vectorised comparison: once the first K are in, nearly
 * every block is. */
enum { DENSE_BLOCK = 16 };

/* The first block from b0 on with a value above tf (blocks of DENSE_BLOCK up
 * to nfull, then the rest as one block). Written with the compilers' vector
 * types (GCC and clang): two comparisons of eight lanes ORed and tested as
 * four 64-bit lanes, one test per block, compiled per x86-64 level (AVX2:
 * two instructions a block; the baseline splits them in SSE halves); the
 * autovectoriser leaves such an early-exit loop scalar. The unaligned,
 * may_alias vector type reads the float array in place. */
typedef float nps_v8f __attribute__((vector_size(32)));
typedef float nps_v8fu __attribute__((vector_size(32), aligned(4), may_alias));
typedef long long nps_v4l __attribute__((vector_size(32)));

NPS_CLONES static size_t next_block(const float *restrict acc, size_t b0, size_t nfull, float tf)
{
    const nps_v8f t = {tf, tf, tf, tf, tf, tf, tf, tf};
    for (; b0 < nfull; b0 += DENSE_BLOCK) {
        const nps_v8fu *a = (const nps_v8fu *)(acc + b0);
        nps_v4l m = (nps_v4l)((a[0] > t) | (a[1] > t));
        if ((m[0] | m[1]) | (m[2] | m[3])) return b0;
    }
    return b0;
}

static int collect_dense(size_t *out_nc, nps_workspace *ws, const nps_query_ctx *c, size_t *nb,
                         double scale, const int windowed)
{
    const float *acc = ws->accf;
    double *kb = ws->kbest, min_b = c->p->o.min_score - NPS_BOUND_MARGIN, t = min_b;
    size_t nc = 0, K = c->p->o.top_k, n = ws->nlib;
    float tf = acc_below(t, scale);
    const size_t nfull = n - n % DENSE_BLOCK;
    const nps_fragment_index *ix = c->tg->ix;
    for (size_t b0 = 0; b0 < n; b0 += DENSE_BLOCK) {
        b0 = next_block(acc, b0, nfull, tf);
        if (b0 >= n) break;
        size_t e = n - b0 < DENSE_BLOCK ? n - b0 : DENSE_BLOCK;
        for (size_t j = 0; j < e; j++) {
            size_t sp = b0 + j;
            if (!(acc[sp] > tf)) continue;
            double b = scale * acc[sp];
            size_t s = nps_index_lib(ix, sp);
            if (b < t || !candidate_ok(c, s, b, windowed)) continue;
            if (nc == ws->cand_cap) {
                int rc = nps_ws_cand_reserve(ws, nc < 64 ? 64 : 2 * nc);
                if (rc) return rc;
            }
            ws->cand[nc++] = (nps_bound){b, s};
            kbest_push(kb, nb, K, b);
            if (*nb == K && kb[0] - 2 * NPS_BOUND_MARGIN > t) {
                t = kb[0] - 2 * NPS_BOUND_MARGIN;
                tf = acc_below(t, scale);
            }
        }
    }
    *out_nc = nc;
    return 0;
}

/* The number of accumulators above 0: a count the compiler vectorises. */
NPS_CLONES static size_t count_touched(const float *restrict acc, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += acc[i] > 0.0f;
    return k;
}

/* The e-values' null sample of a dense scan where every touched spectrum is
 * a candidate (min_score 0, no exclusion, no window: nps_search_indexed):
 * their number (ws->nc) and the candidates whose library index is a
 * multiple of the null-sample stride (ws->sample, flagged by ws->thinned),
 * the very sample the touched list gives (query.c, fit_tail): same spectra,
 * same bounds, in library order (read through the index's scan order). */
static int dense_null(nps_workspace *ws, const nps_fragment_index *ix, double scale)
{
    const float *acc = ws->accf;
    size_t n = count_touched(acc, ws->nlib), stride = nps_evalue_stride(n), m = 0;
    /* at most one in `stride` library indices, and at most n */
    size_t most = ws->nlib / stride + 1, need = most < n ? most : n;
    int rc = nps_grow((void **)&ws->sample, &ws->sample_cap, need ? need : 1, sizeof *ws->sample);
    if (rc) return rc;
    for (size_t s = 0; s < ws->nlib; s += stride) {
        float a = acc[nps_index_pos(ix, s)];
        if (a > 0.0f) ws->sample[m++] = (nps_bound){scale * a, s};
    }
    ws->nc = n;
    ws->nsample = m;
    ws->thinned = 1;
    return 0;
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

/* Rescore exactly every candidate whose bound reaches the K-th largest bound
 * bk (kb[0] when nb == K). A candidate below bk has an exact score below its
 * bound plus the margin M, so it can still enter (a tie too, which the
 * library id breaks) only if b + M reaches the heap's worst exact score w.
 * When the bounds are the scores (well-separated peaks: the usual case),
 * w >= bk - M and only candidates with b >= bk - 2M qualify: the near-ties of
 * the K-th place (replicate spectra make many). They are set aside during
 * the first pass, so every other candidate is visited once. When w is lower
 * (loose bounds, or a heap left short by min_score or exclusions), every
 * candidate below bk is looked at again: from cand when it holds them all,
 * else by reading the dense accumulators again (dense_scale > 0). */
static int rescore(nps_workspace *ws, const nps_query_ctx *c, size_t nc, size_t nb,
                   double dense_scale)
{
    size_t K = c->p->o.top_k;
    double bk = nb < K ? -INFINITY : ws->kbest[0];
    double near_lo = bk - 2 * NPS_BOUND_MARGIN;
    size_t nn = 0;
    int rc;
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
    /* The rest by decreasing bound: the heap's worst score rises as they are
     * scored, and the first bound below it ends the pass (loose bounds, as
     * the composite's, leave hundreds of candidates above the worst score of
     * the first pass; taken in this order, only those whose bound reaches
     * the final worst score are scored, but for the few that arrive on the
     * way). Compacted into ws->near (in place when it is the source). */
    double worst = ws->nh == K ? nps_rank_worst(ws->heap)->score : -INFINITY;
    size_t m = 0;
    if (near_only) {
        for (size_t j = 0; j < nn; j++)
            if (!(ws->near[j].b + NPS_BOUND_MARGIN < worst)) ws->near[m++] = ws->near[j];
    } else if (dense_scale > 0) {
        const float *acc = ws->accf;
        float tf = acc_below(worst - NPS_BOUND_MARGIN, dense_scale);
        for (size_t sp = 0; sp < ws->nlib; sp++) {
            if (!(acc[sp] > tf)) continue;
            double b = dense_scale * acc[sp];
            if (b >= bk || b + NPS_BOUND_MARGIN < worst) continue; /* done above; out */
            size_t s = nps_index_lib(c->tg->ix, sp);
            if (!candidate_ok(c, s, b, c->windowed)) continue;
            if (m == ws->near_cap &&
                (rc = nps_grow((void **)&ws->near, &ws->near_cap, m + 1, sizeof *ws->near)))
                return rc;
            ws->near[m++] = (nps_bound){b, s};
        }
    } else {
        if (nc > ws->near_cap &&
            (rc = nps_grow((void **)&ws->near, &ws->near_cap, nc, sizeof *ws->near)))
            return rc;
        for (size_t j = 0; j < nc; j++) {
            nps_bound cb = ws->cand[j];
            if (cb.b >= bk || cb.b + NPS_BOUND_MARGIN < worst) continue;
            ws->near[m++] = cb;
        }
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

/* The query's windows: one per query peak in the fragment index, then, in
 * HYBRID mode, one per query loss in the loss index (n_frag of them are
 * fragment windows). */
static int query_windows(size_t *n_frag, size_t *n_all, size_t *entries, nps_workspace *ws,
                         const nps_query_ctx *c)
{
    const nps_prep *Q = c->Q;
    const int entropy = nps_score_is_entropy(c->t);
    const int hybrid = c->mode == NPS_MODE_HYBRID && isfinite(c->qprec);
    const int bins = c->t == NPS_SCORE_COMPOSITE && c->mode != NPS_MODE_HYBRID;
    uint32_t brk = 0;
    size_t need = hybrid ? 2 * Q->n : Q->n, n = 0, e = 0;
    int rc = nps_grow((void **)&ws->win, &ws->win_cap, need, sizeof *ws->win);
    if (rc) return rc;
    for (size_t i = 0; i < Q->n; i++) {
        double q = Q->mz[i];
        double x = entropy ? Q->w[i] : Q->w[i] / Q->norm;
        if (!(x > 0) && !c->p->o.reverse) continue;
        /* the composite matches NIST's nominal bins, (M - 0.351, M + 0.649]
         * (composite.c); other scores, the tolerance */
        double M = bins ? nps_nist_mz(q) : 0;
        ws->win[n] = bins ? window_of(c->tg->ix, M + 0.149, 0.5, x)
                          : window_of(c->tg->ix, q, nps_tol_at(c->so, q), x);
        ws->win[n].k = (uint32_t)n;
        ws->win[n].brk = brk;
        ws->win[n].bin = bins && M >= 0 && M < 4e9 ? (uint32_t)M : UINT32_MAX;
        ws->win[n].above = bins && Q->v && Q->v[i] > 1;
        /* NIST's intensity of this query bin (composite.c) */
        if (bins && Q->v && Q->v[i] > 1) brk = (uint32_t)n + 1;
        e += ws->win[n].hi - ws->win[n].lo;
        n++;
    }
    *n_frag = n;
    if (hybrid) {
        /* the query's losses, ascending: its peaks below the precursor, backwards */
        for (size_t i = Q->n; i-- > 0;) {
            if (!(Q->mz[i] < c->qprec)) continue;
            double x = entropy ? Q->w[i] : Q->w[i] / Q->norm;
            if (!(x > 0)) continue;
            /* the hybrid rule's tolerance is that of the query peak's m/z */
            ws->win[n] =
                window_of(&c->p->loss_ix, c->qprec - Q->mz[i], nps_tol_at(c->so, Q->mz[i]), x);
            e += ws->win[n].hi - ws->win[n].lo;
            n++;
        }
    }
    *n_all = n;
    *entries = e;
    return 0;
}

/* A dense scan pays for reading every accumulator once (and clearing them);
 * the touched list pays for every entry and, more, for every spectrum it
 * holds. The list is kept while the windows hold fewer entries than an
 * eighth of the library's spectra. */
#define NPS_DENSE_MIN_FRACTION 8

int nps_scan_force = NPS_SCAN_AUTO;

int nps_search_indexed(nps_workspace *ws, const nps_query_ctx *c)
{
    const nps_plan *p = c->p;
    const nps_target *tg = c->tg;
    const nps_weights *wt = tg->wt[c->t];
    const int entropy = nps_score_is_entropy(c->t);
    const int hybrid = c->mode == NPS_MODE_HYBRID;
    const nps_score_ops *ops = nps_score_table[c->t];
    ws->indexed = 1;
    if (!entropy && !(c->Q->norm > 0)) return 0;
    size_t nf, nw, entries;
    int rc = query_windows(&nf, &nw, &entries, ws, c);
    if (rc) return rc;
    /* The bound of a touched spectrum: in HYBRID mode every score's pair term
     * is summed as such (the composite's, its dot-product term), so the sum,
     * halved for entropy, is the bound; otherwise the score's own bound
     * (reverse search renormalises per pair and has none). */
    int bound_kind = p->o.reverse && !hybrid ? BOUND_NONE
                     : hybrid                ? BOUND_SCALE
                     : ops->bound            ? BOUND_FUNCTION
                                             : BOUND_SCALE;
    double scale = hybrid ? (entropy ? 0.5 : 1.0) : ops->bound_scale;
    /* the composite's counts are 16-bit: a query of more bins is rescored
     * for every spectrum it touches */
    if (bound_kind == BOUND_FUNCTION && nw > UINT16_MAX) bound_kind = BOUND_NONE;
    /* the dense way needs a bound that is a multiple of the sum, and leaves
     * out the candidates that cannot be hits, which the e-values' null
     * sample needs */
    /* e-values take their null sample from every candidate: the dense way
     * counts and samples them itself when every touched spectrum is one
     * (no min_score, no exclusion, no identity window; dense_null) */
    int dense_ok = bound_kind == BOUND_SCALE &&
                   (!p->o.evalues || (p->o.min_score <= 0 && !p->o.exclude && !c->windowed));
    int dense = nps_scan_force == NPS_SCAN_AUTO ? entries * NPS_DENSE_MIN_FRACTION >= ws->nlib
                                                : nps_scan_force == NPS_SCAN_DENSE;
    int how = bound_kind == BOUND_FUNCTION ? SCAN_COUNTED
              : dense_ok && dense          ? SCAN_DENSE
                                           : SCAN_TOUCHED;
    ws->dense = how == SCAN_DENSE;
    size_t nt = 0;
    for (size_t i = 0; i < nw; i++) {
        const int loss = i >= nf;
        const nps_fragment_index *ix = loss ? &p->loss_ix : tg->ix;
        const float *iw = loss ? wt->liw : wt->iw, *ify = loss ? wt->lify : wt->ify;
        /* the first touch of each window is a cache miss: fetch the start of
         * the next window ahead */
        if (i + 1 < nw) {
            const int l1 = i + 1 >= nf;
            size_t pp = ws->win[i + 1].lo;
            const nps_fragment_index *ix1 = l1 ? &p->loss_ix : tg->ix;
            const float *iw1 = l1 ? wt->liw : wt->iw, *ify1 = l1 ? wt->lify : wt->ify;
            if (pp < ix1->n) {
                __builtin_prefetch(&ix1->spec[pp], 0, 1);
                __builtin_prefetch(&iw1[pp], 0, 1);
                if (ify1) __builtin_prefetch(&ify1[pp], 0, 1);
            }
        }
        if ((rc = scan_window(ws, c, ix, iw, ify, loss ? NULL : wt->chain, ws->win[i], how, &nt))) {
            /* leave the accumulators clear for the next query */
            if (how == SCAN_DENSE)
                memset(ws->accf, 0, ws->nlib * sizeof *ws->accf);
            else
                for (size_t j = 0; j < nt; j++) {
                    if (how == SCAN_COUNTED)
                        ws->acc[ws->touched[j]] = (struct nps_acc){0};
                    else
                        ws->accf[ws->touched[j]] = 0;
                }
            return rc;
        }
    }
    /* Bounds of the touched spectra, and the K-th largest of them (a min-heap
     * of K values: most candidates are rejected by one comparison). Each way
     * is specialised per kind of bound, and identity's window test is a
     * specialisation of its own. */
    size_t nc = 0, nb = 0;
    const int win = c->windowed;
    if (how == SCAN_DENSE) {
        ws->nc = 0;
        rc = p->o.evalues ? dense_null(ws, tg->ix, scale) : 0;
        if (!rc) rc = collect_dense(&nc, ws, c, &nb, scale, win);
        if (!rc) rc = rescore(ws, c, nc, nb, scale);
        memset(ws->accf, 0, ws->nlib * sizeof *ws->accf);
        return rc;
    }
    if ((rc = nps_ws_cand_reserve(ws, nt))) return rc;
    /* the composite's bound scales: the query's, and the cut table's row for
     * its lowest m/z (composite.c) */
    double qs = 1;
    const float *lf = NULL;
    if (bound_kind == BOUND_FUNCTION && c->t == NPS_SCORE_COMPOSITE && wt->cut) {
        size_t cut;
        qs = nps_composite_query_scale(c->Q, &cut);
        if (cut < NPS_COMPOSITE_CUTS) lf = wt->cut + cut * ws->nlib;
    }
    if (bound_kind == BOUND_NONE)
        nc = win ? collect(ws, c, nt, &nb, BOUND_NONE, NULL, 0, NULL, 1)
                 : collect(ws, c, nt, &nb, BOUND_NONE, NULL, 0, NULL, 0);
    else if (bound_kind == BOUND_FUNCTION)
        nc = win ? collect(ws, c, nt, &nb, BOUND_FUNCTION, ops->bound, qs, lf, 1)
                 : collect(ws, c, nt, &nb, BOUND_FUNCTION, ops->bound, qs, lf, 0);
    else
        nc = win ? collect(ws, c, nt, &nb, BOUND_SCALE, NULL, scale, NULL, 1)
                 : collect(ws, c, nt, &nb, BOUND_SCALE, NULL, scale, NULL, 0);
    ws->nc = nc; /* the bounds are the e-values' null sample */
    if (nc == 0) return 0;
    return rescore(ws, c, nc, nb, 0);
}

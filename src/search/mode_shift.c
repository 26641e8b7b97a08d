/*
 * Shift mode (EI analogues): the mass difference between an unknown and its
 * library relative is found from the spectra (an EI spectrum has no reliable
 * precursor): the FFT cross-correlation of the two binned spectra (shift.c,
 * FFTW) proposes the best shifts, and the hybrid rule scores the pair at
 * shift 0 and at each of them; the best counts.
 *
 * Exhaustively, every library spectrum of the query's kind is correlated and
 * scored. Bounded (cosine and composite pair terms, unit-mass spectra,
 * tolerance below 1 Da): two upper bounds of the hybrid score, a cheap one
 * valid at every shift (the sorted-weights product, shift.c) and a sharper
 * one that needs the correlation (c[0] + c[s], the pair terms being the
 * products the correlation sums). Candidates are taken in decreasing cheap
 * bound, correlated, and rescored exactly while the sharp bound can still
 * beat the K-th score; the walk stops when the cheap bound cannot. The
 * result is the exhaustive one (tested). For the entropy pair terms neither
 * bound holds and every spectrum is rescored.
 *
 * High-resolution (MS/MS) queries do not bin at unit mass: they run the
 * hybrid search on their precursors, or open search without one (resolve).
 */
#include "plan.h"

#include <math.h>
#include <stdlib.h>

/* Shift correlation margin: the correlation is computed in float32 by FFT. */
#define SHIFT_MARGIN 1e-4

/* e-values in bounded mode: the null sample is the exact score of every k-th
 * candidate, about this many of them (the bounded search scores only the
 * candidates that can still enter the top K; scoring all of them for the
 * null would undo the pruning, and bounds in their place overstate the null
 * tail: chance hits got e-values of ~36 instead of ~1). */
#define SHIFT_NULL_SAMPLE 1000

/* The correlation peaks looked at per library spectrum, at most. */
#define SHIFT_MAX_CANDIDATES 64

static nps_search_mode resolve(nps_kind kind, int has_precursor)
{
    if (kind == NPS_KIND_MSMS) return has_precursor ? NPS_MODE_HYBRID : NPS_MODE_OPEN;
    return NPS_MODE_SHIFT;
}

static int prepare(nps_plan *p, nps_score_type t)
{
    if (p->shift[t]) return 0;
    int rc = nps_plan_weights(p, &p->main, t, 0);
    if (rc) return rc;
    /* only the spectra a SHIFT query can hit: EI ones unless kinds mix freely */
    unsigned char *use = NULL;
    size_t nl = nps_spectra_count(p->main.spectra);
    if (p->o.same_kind_only) {
        use = malloc(nl ? nl : 1);
        if (!use) return nps_err(NPS_ENOMEM, "out of memory");
        for (size_t i = 0; i < nl; i++) use[i] = p->kinds_of[i] == NPS_KIND_EI;
    }
    rc = nps_shift_plan_create(&p->shift[t], p->main.spectra, &p->main.wt[t]->so, use,
                               p->o.max_shift, p->nthreads);
    free(use);
    return rc;
}

/* One library spectrum: the hybrid rule at shift 0 and at the ns best
 * correlation shifts; the best of them. A shift borne out by fewer than
 * shift_min_pairs shifted pairs is not taken: the shift was picked to fit
 * these two spectra, and a single pair fits any two spectra somewhere. */
static int shift_score(nps_ranked *best, nps_workspace *ws, const nps_query_ctx *c, size_t ri,
                       const int *shifts, size_t ns)
{
    nps_prep R;
    nps_target_prep(&R, ws, c->tg, c->t, ri);
    *best = nps_ranked_make(0, ri, 0);
    for (size_t k = 0; k <= ns; k++) {
        double d = k == 0 ? 0.0 : (double)shifts[k - 1];
        nps_hybrid_result h;
        int rc = nps_hybrid_prepared(&h, ws->sws, c->Q, &R, d, NAN, NAN, c->so);
        if (rc) return rc;
        if (k > 0 && h.shifted < c->p->o.shift_min_pairs) continue; /* scored at shift 0 */
        if (h.score > best->score) {
            *best = nps_ranked_make(h.score, ri, h.direct + h.shifted);
            best->delta = h.shifted ? d : 0.0;
            best->shifted = h.shifted;
        }
    }
    return 0;
}

static void heap_sift_down(nps_bound *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].b > h[m].b) m = l;
        if (r < n && h[r].b > h[m].b) m = r;
        if (m == i) return;
        nps_bound t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int search(nps_workspace *ws, const nps_query_ctx *c)
{
    const nps_plan *p = c->p;
    const nps_shift_plan *plan = p->shift[c->t];
    nps_shift_ws *sw = ws->shw[c->t];
    size_t nl = nps_spectra_count(c->tg->spectra), K = p->o.top_k, nc = 0;
    double tol = c->so->tolerance_ppm ? INFINITY : c->so->tolerance;
    const int bounded = !nps_score_is_entropy(c->t) && tol < 1.0 && !p->o.exhaustive &&
                        !p->o.reverse && nps_library_preprocessing(p->library)->ei.unit_mass;
    size_t T = p->o.shift_candidates;
    int shifts[SHIFT_MAX_CANDIDATES];
    double vals[SHIFT_MAX_CANDIDATES], c0;
    if (T > SHIFT_MAX_CANDIDATES) T = SHIFT_MAX_CANDIDATES;
    if (!plan || !sw) return nps_err(NPS_EINVAL, "the plan was not prepared for shift search");
    int rc = nps_shift_query(sw, plan, c->Q);
    if (rc) return rc;
    size_t nsel = nps_shift_selected(plan);
    if ((rc = nps_ws_cand_reserve(ws, nsel))) return rc;
    if (!bounded) {
        for (size_t ri = 0; ri < nl; ri++) {
            if (!nps_shift_has(plan, ri)) continue;
            if (p->o.same_kind_only && p->kinds_of[ri] != (unsigned char)c->kind) continue;
            if (nps_excluded(c, ri)) continue;
            size_t ns = nps_shift_correlate(sw, plan, ri, &c0, shifts, vals, T);
            nps_ranked r;
            if ((rc = shift_score(&r, ws, c, ri, shifts, ns))) return rc;
            if (p->o.evalues && r.score > 0) ws->cand[ws->nc++] = (nps_bound){r.score, ri};
            nps_keep(ws, c, r);
        }
        return 0;
    }
    /* the candidates and their cheap bounds; e-values: the null subsample */
    size_t stride = 1, seen = 0, nnull = 0, sampled = 0; /* the null sample: ri % stride == 0 */
    if (p->o.evalues) {
        stride = nsel > SHIFT_NULL_SAMPLE ? nsel / SHIFT_NULL_SAMPLE : 1;
        if ((rc = nps_grow((void **)&ws->null, &ws->null_cap, nl / stride + 1, sizeof *ws->null)))
            return rc;
    }
    for (size_t ri = 0; ri < nl; ri++) {
        if (!nps_shift_has(plan, ri)) continue;
        if (p->o.same_kind_only && p->kinds_of[ri] != (unsigned char)c->kind) continue;
        if (nps_excluded(c, ri)) continue;
        seen++;
        if (p->o.evalues && ri % stride == 0) { /* scored exactly now: no need to visit later */
            size_t ns = nps_shift_correlate(sw, plan, ri, &c0, shifts, vals, T);
            nps_ranked r;
            if ((rc = shift_score(&r, ws, c, ri, shifts, ns))) return rc;
            sampled++;
            if (r.score > 0) ws->null[nnull++] = r.score;
            nps_keep(ws, c, r);
            continue;
        }
        double b = nps_shift_sorted_bound(sw, plan, ri) + SHIFT_MARGIN;
        if (b < p->o.min_score || !(b > SHIFT_MARGIN)) continue;
        ws->cand[nc++] = (nps_bound){b, ri};
    }
    if (p->o.evalues) {
        ws->nc = nnull;
        ws->null_in_buf = 1;
        ws->null_scale = sampled ? (double)seen / (double)sampled : 1;
        ws->null_stride = stride;
    }
    for (size_t i = nc / 2; i-- > 0;) heap_sift_down(ws->cand, nc, i); /* best bound first */
    while (nc > 0) {
        nps_bound top = ws->cand[0];
        if (ws->nh == K && top.b < nps_rank_worst(ws->heap)->score) break;
        ws->cand[0] = ws->cand[--nc];
        heap_sift_down(ws->cand, nc, 0);
        size_t ns = nps_shift_correlate(sw, plan, top.s, &c0, shifts, vals, T);
        double b = c0 + (ns ? vals[0] : 0) + SHIFT_MARGIN;
        if (b < p->o.min_score || !(b > SHIFT_MARGIN)) continue;
        if (ws->nh == K && b < nps_rank_worst(ws->heap)->score) continue;
        nps_ranked r;
        if ((rc = shift_score(&r, ws, c, top.s, shifts, ns))) return rc;
        nps_keep(ws, c, r);
    }
    return 0;
}

const nps_mode_ops nps_mode_shift = {"shift", resolve, prepare, search};

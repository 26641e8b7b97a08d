/*
 * Per-score library weights: what a score needs of each library peak,
 * computed once per plan instead of once per pair.
 *
 * Every score works on "prepared" spectra (scoring.h): entropy-weighted
 * intensities, mz^a I^b, or sqrt(mz I) and sqrt(I) for the composite, plus a
 * per-spectrum norm. The plan computes them for every processed library
 * peak, and, for the fragment-index bounds, copies them in index order as
 * float32 (normalised for the cosine-type scores; with the precomputed
 * w log2 w of the entropy contribution), so that the index scan reads one
 * contiguous array per window. The hybrid bounds also need the library
 * weights in the order of the loss index, through the loss map (each loss
 * peak is weighted as the fragment it comes from).
 *
 * Weights live in the plan, not in the library: the library stays what was
 * stored, immutable, and two plans with different options never share or
 * invalidate each other's derived data.
 */
#include "plan.h"

#include <math.h>
#include <stdlib.h>

void nps_weights_free(nps_weights *w)
{
    if (!w) return;
    free(w->w);
    free(w->v);
    free(w->norm);
    free(w->iw);
    free(w->ify);
    free(w->liw);
    free(w->lify);
    free(w);
}

int nps_weights_build(nps_weights **out, const nps_target *tg, const nps_score_options *so,
                      int nthreads)
{
    const nps_spectra *p = tg->spectra;
    size_t P = nps_spectra_total_peaks(p), n = nps_spectra_count(p);
    int comp = so->type == NPS_SCORE_COMPOSITE; /* only the composite needs sqrt(I) */
    nps_weights *lw = calloc(1, sizeof *lw);
    if (!lw) return nps_err(NPS_ENOMEM, "out of memory");
    lw->w = malloc((P ? P : 1) * sizeof(double));
    lw->v = comp ? malloc((P ? P : 1) * sizeof(double)) : NULL;
    lw->norm = malloc((n ? n : 1) * sizeof(double));
    if (!lw->w || (comp && !lw->v) || !lw->norm) {
        nps_weights_free(lw);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    const double *mz0 = tg->mz0;
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (size_t i = 0; i < n; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(p, i, &mz, &in, &k);
        size_t off = (size_t)(mz - mz0);
        lw->norm[i] = nps_score_prepare(lw->w + off, comp ? lw->v + off : NULL, mz, in, k, so);
    }
    *out = lw;
    return 0;
}

/* The float32 index-order copy of one weight: normalised for the cosine-type
 * scores, whose index contributions are products of unit vectors. */
static void index_weight(float *iw, float *ify, size_t k, double w, double norm, int normed)
{
    if (normed) w = norm > 0 ? w / norm : 0;
    iw[k] = (float)w;
    if (!normed) ify[k] = (float)(w > 0 ? w * log2(w) : 0);
}

static int alloc_index_order(float **iw, float **ify, size_t n, int normed)
{
    *iw = malloc((n ? n : 1) * sizeof(float));
    if (!normed) *ify = malloc((n ? n : 1) * sizeof(float));
    if (!*iw || (!normed && !*ify)) return nps_err(NPS_ENOMEM, "out of memory");
    return 0;
}

int nps_weights_index_order(nps_weights *lw, const nps_target *tg, nps_score_type t, int nthreads)
{
    const nps_fragment_index *ix = tg->ix;
    int normed = !nps_score_is_entropy(t);
    int rc = alloc_index_order(&lw->iw, &lw->ify, ix->n, normed);
    if (rc) return rc;
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (size_t k = 0; k < ix->n; k++)
        index_weight(lw->iw, lw->ify, k, lw->w[ix->peak[k]], lw->norm[ix->spec[k]], normed);
    return 0;
}

/* Weights in the loss index's order: entry k is the loss of processed peak
 * lossmap[peak[k]], weighted as that fragment. */
int nps_weights_loss_order(nps_weights *lw, const nps_plan *p, nps_score_type t)
{
    const nps_fragment_index *lx = &p->loss_ix;
    int normed = !nps_score_is_entropy(t);
    int rc = alloc_index_order(&lw->liw, &lw->lify, lx->n, normed);
    if (rc) return rc;
    const uint32_t *map = p->lossmap;
#pragma omp parallel for schedule(static) num_threads(p->nthreads)
    for (size_t k = 0; k < lx->n; k++)
        index_weight(lw->liw, lw->lify, k, lw->w[map[lx->peak[k]]], lw->norm[lx->spec[k]], normed);
    return 0;
}

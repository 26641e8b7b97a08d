/*
 * Per-score library weights: what the fragment-index bounds need of each
 * library peak, computed once per plan.
 *
 * Every score works on "prepared" spectra (scoring.h): entropy-weighted
 * intensities, mz^a I^b, or NIST's sqrt(M I) and I for the composite, plus a
 * per-spectrum norm. For the bounds the plan keeps them in the order of the
 * fragment index, as float32 (normalised for the cosine-type scores; with
 * the precomputed w log2 w of the entropy contribution), so that the index
 * scan reads one contiguous array per window. The hybrid bounds also need
 * them in the order of the loss index, through the loss map (each loss peak
 * is weighted as the fragment it comes from).
 *
 * The exact double-precision weights are kept only while they are cheap
 * (NPS_WEIGHT_CACHE_MAX_BYTES): a 10^6-spectrum library has some 3 x 10^7
 * peaks, 220 MB of weights, while an open search rescores a few dozen
 * spectra per query. Above the limit nps_target_prep prepares a candidate
 * when it is scored, with the same function, options and input, so the
 * numbers are the same bits either way (tests/test_plan.c compares the two),
 * and every path (indexed, pairwise, exhaustive) scores with them. Below it,
 * the searches that score many candidates exactly (identity windows, the EI
 * composite) do not prepare each one again per query. For the entropy
 * scores the cache also holds each weight's w log2 w while both fit (the
 * weights alone are kept first), so that rescoring a candidate takes one
 * logarithm a matched pair (entropy.c). The float32 copies are
 * built through one spectrum-order array, which for the entropy scores is
 * the w log2 w array itself (filled from the index-order weights once the
 * gather has read it), so the build holds no more than what it leaves.
 *
 * Weights live in the plan, not in the library: the library stays what was
 * stored, immutable, and two plans with different options never share or
 * invalidate each other's derived data.
 */
#include "plan.h"

#include <math.h>
#include <stdlib.h>

size_t nps_weight_cache_max_bytes = NPS_WEIGHT_CACHE_MAX_BYTES;

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
    free(w->cut);
    free(w->chain);
    free(w);
}

/* The exact weights of every peak and the norm of every spectrum, when they
 * fit in nps_weight_cache_max_bytes; none (and no error) otherwise. */
static int build_cache(nps_weights *lw, const nps_target *tg, int nthreads)
{
    const nps_spectra *p = tg->spectra;
    size_t P = nps_spectra_total_peaks(p), n = nps_spectra_count(p);
    /* the composite needs its NIST intensities; the entropy scores' w log2 w
     * (entropy.c) only save time, so they are left out first */
    const int comp = lw->so.type == NPS_SCORE_COMPOSITE;
    size_t one = P * sizeof(double), bytes = one + n * sizeof(double);
    int with_v =
        comp || (nps_score_is_entropy(lw->so.type) && bytes + one <= nps_weight_cache_max_bytes);
    if (with_v) bytes += one;
    if (bytes > nps_weight_cache_max_bytes) return 0;
    lw->w = malloc((P ? P : 1) * sizeof(double));
    lw->v = with_v ? malloc((P ? P : 1) * sizeof(double)) : NULL;
    lw->norm = malloc((n ? n : 1) * sizeof(double));
    if (!lw->w || (with_v && !lw->v) || !lw->norm) return nps_err(NPS_ENOMEM, "out of memory");
    const double *mz0 = tg->mz0;
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (size_t i = 0; i < n; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(p, i, &mz, &in, &k);
        size_t off = k ? (size_t)(mz - mz0) : 0;
        lw->norm[i] =
            nps_score_prepare(lw->w + off, with_v ? lw->v + off : NULL, mz, in, k, &lw->so);
    }
    return 0;
}

int nps_weights_build(nps_weights **out, const nps_target *tg, const nps_score_options *so,
                      int nthreads)
{
    nps_weights *lw = calloc(1, sizeof *lw);
    if (!lw) return nps_err(NPS_ENOMEM, "out of memory");
    lw->so = *so;
    int rc = build_cache(lw, tg, nthreads);
    if (rc) {
        nps_weights_free(lw);
        return rc;
    }
    *out = lw;
    return 0;
}

size_t nps_target_max_peaks(const nps_target *tg)
{
    size_t m = 0, n = nps_spectra_count(tg->spectra);
    for (size_t i = 0; i < n; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(tg->spectra, i, &mz, &in, &k);
        if (k > m) m = k;
    }
    return m;
}

/* Spectrum i of the target prepared for lw's score: the cached weights when
 * the plan keeps them, else prepared into buf (maxk values, and maxk more for
 * v when with_v). */
static void prep_spectrum(nps_prep *R, const nps_target *tg, const nps_weights *lw, size_t i,
                          double *buf, size_t maxk, int with_v)
{
    const double *mz;
    const float *in;
    size_t k;
    nps_spectra_peaks(tg->spectra, i, &mz, &in, &k);
    size_t off = k ? (size_t)(mz - tg->mz0) : 0;
    *R = (nps_prep){mz, in, NULL, NULL, k, 0};
    if (lw->w) {
        R->w = lw->w + off;
        R->v = lw->v ? lw->v + off : NULL;
        R->norm = lw->norm[i];
    } else {
        double *v = with_v ? buf + maxk : NULL;
        R->norm = nps_score_prepare(buf, v, mz, in, k, &lw->so);
        R->w = buf;
        R->v = v;
    }
}

/* The float32 weight of every peak of the target, in peak order: normalised
 * for the cosine-type scores, whose index contributions are products of unit
 * vectors. */
static int by_peak(float *out, const nps_target *tg, const nps_weights *lw, int normed,
                   int nthreads)
{
    const nps_spectra *p = tg->spectra;
    size_t n = nps_spectra_count(p), maxk = lw->w ? 0 : nps_target_max_peaks(tg);
    const double *mz0 = tg->mz0;
    int failed = 0;
#pragma omp parallel num_threads(nthreads)
    {
        /* the cached weights when the plan keeps them, else prepared here */
        double *buf = lw->w ? NULL : malloc((maxk ? maxk : 1) * sizeof *buf);
        if (!lw->w && !buf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (!lw->w && !buf) continue;
            nps_prep R;
            prep_spectrum(&R, tg, lw, i, buf, maxk, 0);
            if (R.n == 0) continue;
            size_t off = (size_t)(R.mz - mz0);
            for (size_t j = 0; j < R.n; j++)
                out[off + j] = (float)(normed ? (R.norm > 0 ? R.w[j] / R.norm : 0) : R.w[j]);
        }
        free(buf);
    }
    return failed ? nps_err(NPS_ENOMEM, "out of memory") : 0;
}

/* iw[k] (and ify[k] = iw log2 iw for the entropy scores) for every entry k
 * of index ix, whose entry for peak q of its own spectra weighs as peak
 * map[q] of the target (map NULL: the index is the target's own). */
static int index_order(float **iw, float **ify, const nps_fragment_index *ix,
                       const nps_spectra *ix_spectra, const uint32_t *map, const nps_target *tg,
                       const nps_weights *lw, int normed, int nthreads)
{
    size_t P = nps_spectra_total_peaks(tg->spectra);
    /* the spectrum-order weights go where w log2 w will, when that array
     * has one entry per target peak (the target's own index) */
    int reuse = !normed && !map;
    float *y = malloc((ix->n ? ix->n : 1) * sizeof *y);
    float *fy = normed ? NULL : malloc((ix->n ? ix->n : 1) * sizeof *fy);
    float *tmp = reuse ? fy : malloc((P ? P : 1) * sizeof *tmp);
    if (!y || (!normed && !fy) || !tmp) {
        free(y);
        free(fy);
        if (!reuse) free(tmp);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    int rc = by_peak(tmp, tg, lw, normed, nthreads);
    if (!rc) rc = nps_index_gather(y, ix, ix_spectra, tmp, map, nthreads);
    if (!reuse) free(tmp);
    if (rc) {
        free(y);
        free(fy);
        return rc;
    }
    if (fy) {
#pragma omp parallel for schedule(static) num_threads(nthreads)
        for (size_t k = 0; k < ix->n; k++) {
            double w = y[k];
            fy[k] = (float)(w > 0 ? w * log2(w) : 0);
        }
    }
    *iw = y;
    *ify = fy;
    return 0;
}

/* The composite bound's cut table (composite.c), row c at the accumulator
 * positions of the target's index. */
static int cut_table(nps_weights *lw, const nps_target *tg, int nthreads)
{
    const nps_spectra *p = tg->spectra;
    size_t n = nps_spectra_count(p), maxk = lw->w ? 0 : nps_target_max_peaks(tg);
    size_t P = nps_spectra_total_peaks(p);
    lw->cut = malloc((n ? n : 1) * NPS_COMPOSITE_CUTS * sizeof *lw->cut);
    uint64_t *byp = malloc((P ? P : 1) * sizeof *byp); /* chain values by peak */
    if (!lw->cut || !byp) {
        free(byp);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    const double *mz0 = tg->mz0;
    int failed = 0;
#pragma omp parallel num_threads(nthreads)
    {
        double *buf = lw->w ? NULL : malloc(2 * (maxk ? maxk : 1) * sizeof *buf);
        if (!lw->w && !buf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (!lw->w && !buf) continue;
            nps_prep R;
            prep_spectrum(&R, tg, lw, i, buf, maxk, 1);
            size_t k = R.n, off = k ? (size_t)(R.mz - mz0) : 0;
            const double *mz = R.mz;
            nps_composite_cut_scales(lw->cut + nps_index_pos(tg->ix, i), n, &R);
            /* the ratio chain values of its peaks */
            uint32_t h = 0;
            for (size_t j = 0; j < k; j++) {
                double M = nps_nist_mz(mz[j]);
                if (!(R.v[j] > 0) || !(M >= 0 && M < 4e9)) {
                    byp[off + j] = UINT64_MAX;
                    continue;
                }
                int above = R.v[j] > 1;
                byp[off + j] = (uint64_t)M << 32 | (2 * h + (uint32_t)above);
                h += (uint32_t)above;
            }
        }
        free(buf);
    }
    if (!failed) {
        /* to index order: entry k is peak pk[k] */
        uint32_t *pk = malloc((tg->ix->n ? tg->ix->n : 1) * sizeof *pk);
        lw->chain = malloc((tg->ix->n ? tg->ix->n : 1) * sizeof *lw->chain);
        int rc = pk && lw->chain ? nps_index_peaks(pk, tg->ix, p) : NPS_ENOMEM;
        if (!rc)
            for (size_t e = 0; e < tg->ix->n; e++) lw->chain[e] = byp[pk[e]];
        free(pk);
        if (rc) failed = 1;
    }
    free(byp);
    return failed ? nps_err(NPS_ENOMEM, "out of memory") : 0;
}

int nps_weights_index_order(nps_weights *lw, const nps_target *tg, nps_score_type t, int nthreads)
{
    int rc = index_order(&lw->iw, &lw->ify, tg->ix, tg->spectra, NULL, tg, lw,
                         !nps_score_is_entropy(t), nthreads);
    if (!rc && t == NPS_SCORE_COMPOSITE) rc = cut_table(lw, tg, nthreads);
    return rc;
}

/* Weights in the loss index's order: entry k is the loss of processed peak
 * lossmap[peak(k)], weighted as that fragment. */
int nps_weights_loss_order(nps_weights *lw, const nps_plan *p, nps_score_type t)
{
    return index_order(&lw->liw, &lw->lify, &p->loss_ix, p->loss_spectra, p->lossmap, &p->main, lw,
                       !nps_score_is_entropy(t), p->nthreads);
}

/*
 * Spectrum cleaning.
 *
 * The MS/MS default reproduces the cleaning of the Flash entropy search
 * (Li & Fiehn, Nature Methods 20, 1475 (2023); ms_entropy's clean_spectrum),
 * because the entropy similarity is only comparable across tools when both
 * sides were cleaned the same way:
 *   1. drop m/z <= min_mz and, for MS/MS, m/z >= precursor - 1.6 Da (the
 *      precursor and its isotopes carry no structural information and would
 *      dominate the score); drop intensities <= 0;
 *   2. centroid: while two neighbouring peaks are at most merge_tolerance
 *      apart, visit peaks from the most to the least intense and replace each
 *      surviving peak and its neighbours within the tolerance by their
 *      intensity-weighted m/z and summed intensity;
 *   3. drop peaks below noise x the (merged) base peak;
 *   4. keep the max_peaks most intense;
 *   5. normalise.
 * EI spectra are first reduced to unit mass, m/z := floor(m/z + 0.5), the
 * maximum kept when two peaks land on the same integer (the convention of
 * NIST's unit-mass libraries; summing would inflate split peaks).
 *
 * Equal intensities are visited in index order (ms_entropy's quicksort is
 * not stable; any order is as valid, and ours is reproducible).
 *
 * Precision: ms_entropy works in float32, and a merged centroid or a
 * precursor cut that lands within a float32 ulp of a tolerance decides
 * whether two peaks match. The m/z decisions of this file (merge distance,
 * precursor cut) and the merged centroids are therefore computed in float32
 * arithmetic, exactly as the reference does; m/z values that are not merged
 * keep their full double precision. A float32 m/z is exact to 0.06 ppm, far
 * below any instrument's accuracy.
 */
#include "../core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float in;
    size_t idx;
} order_t;

static int cmp_order(const void *a, const void *b)
{
    const order_t *x = a, *y = b;
    if (x->in > y->in) return -1;
    if (x->in < y->in) return 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct {
    double mz;
    float in;
} pk_t;

static int cmp_mz(const void *a, const void *b)
{
    const pk_t *x = a, *y = b;
    return x->mz < y->mz ? -1 : x->mz > y->mz;
}

static size_t compact(double *mz, float *in, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] > 0) {
            mz[k] = mz[i];
            in[k] = in[i];
            k++;
        }
    return k;
}

static void sort_by_mz(double *mz, float *in, size_t n, pk_t *tmp)
{
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++) sorted = mz[i] >= mz[i - 1];
    if (sorted) return;
    for (size_t i = 0; i < n; i++) tmp[i] = (pk_t){mz[i], in[i]};
    qsort(tmp, n, sizeof *tmp, cmp_mz);
    for (size_t i = 0; i < n; i++) {
        mz[i] = tmp[i].mz;
        in[i] = tmp[i].in;
    }
}

/* Merge distance to the left and right of a peak at m/z m: a fixed distance
 * in Da, or in ppm ms_entropy's asymmetric windows m ppm 1e-6 (left) and
 * m ppm / (1e6 - ppm) (right). All in float32, as the reference. */
typedef struct {
    float da, ppm;
} window_t;

static inline float win_left(window_t w, float m)
{
    return w.ppm > 0 ? m * w.ppm * 1e-6f : w.da;
}

static inline float win_right(window_t w, float m)
{
    return w.ppm > 0 ? m * w.ppm / (1e6f - w.ppm) : w.da;
}

static size_t merge_close(double *mz, float *in, size_t n, window_t w, order_t *ord, pk_t *tmp)
{
    for (;;) {
        int close = 0;
        for (size_t i = 1; i < n; i++)
            if ((float)mz[i] - (float)mz[i - 1] <= win_left(w, (float)mz[i])) {
                close = 1;
                break;
            }
        if (!close) return n;
        for (size_t i = 0; i < n; i++) ord[i] = (order_t){in[i], i};
        qsort(ord, n, sizeof *ord, cmp_order);
        for (size_t o = 0; o < n; o++) {
            size_t c = ord[o].idx;
            if (in[c] <= 0) continue;
            size_t l = c, r = c;
            const float mc = (float)mz[c], dl = win_left(w, mc), dr = win_right(w, mc);
            while (l > 0 && mc - (float)mz[l - 1] <= dl) l--;
            while (r + 1 < n && (float)mz[r + 1] - mc <= dr) r++;
            if (l == r) continue;
            float wsum = 0, isum = 0;
            for (size_t k = l; k <= r; k++) {
                wsum += (float)mz[k] * in[k];
                isum += in[k];
            }
            for (size_t k = l; k <= r; k++)
                if (k != c) in[k] = 0;
            mz[c] = (double)(wsum / isum);
            in[c] = isum;
        }
        n = compact(mz, in, n);
        sort_by_mz(mz, in, n, tmp);
    }
}

size_t nps_preprocess_peaks(double *out_mz, float *out_in, const double *mz, const float *in,
                            size_t n, double precursor_mz, const nps_preprocess_options *o)
{
    if (out_mz != mz) memcpy(out_mz, mz, n * sizeof *mz);
    if (out_in != in) memcpy(out_in, in, n * sizeof *in);
    if (n == 0) return 0;
    pk_t *tmp = malloc(n * sizeof *tmp);
    order_t *ord = malloc(n * sizeof *ord);
    if (!tmp || !ord) {
        free(tmp);
        free(ord);
        nps_err(NPS_ENOMEM, "out of memory");
        return 0;
    }
    sort_by_mz(out_mz, out_in, n, tmp);
    if (o->raw) goto out;

    if (o->unit_mass) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double u = NPS_UNIT_MZ(out_mz[i]);
            if (k && out_mz[k - 1] == u) {
                if (out_in[i] > out_in[k - 1]) out_in[k - 1] = out_in[i];
            } else {
                out_mz[k] = u;
                out_in[k] = out_in[i];
                k++;
            }
        }
        n = k;
    }
    {
        float max_mz = INFINITY;
        if (o->precursor_removal > 0 && isfinite(precursor_mz))
            max_mz = (float)precursor_mz - (float)o->precursor_removal;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (out_mz[i] <= o->min_mz || (float)out_mz[i] >= max_mz || !(out_in[i] > 0)) continue;
            out_mz[k] = out_mz[i];
            out_in[k] = out_in[i];
            k++;
        }
        n = k;
    }
    if (o->merge_tolerance_ppm > 0 || o->merge_tolerance > 0) {
        window_t w = {(float)o->merge_tolerance, (float)o->merge_tolerance_ppm};
        n = merge_close(out_mz, out_in, n, w, ord, tmp);
    }
    if (o->noise > 0 && n) {
        float mx = 0;
        for (size_t i = 0; i < n; i++)
            if (out_in[i] > mx) mx = out_in[i];
        float thr = (float)(o->noise * (double)mx);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (out_in[i] < thr) continue;
            out_mz[k] = out_mz[i];
            out_in[k] = out_in[i];
            k++;
        }
        n = k;
    }
    if (o->max_peaks > 0 && n > o->max_peaks) {
        for (size_t i = 0; i < n; i++) ord[i] = (order_t){out_in[i], i};
        qsort(ord, n, sizeof *ord, cmp_order);
        for (size_t i = o->max_peaks; i < n; i++) out_in[ord[i].idx] = 0;
        n = compact(out_mz, out_in, n);
    }
    if (o->normalize != NPS_NORMALIZE_NONE && n) {
        double d = 0;
        for (size_t i = 0; i < n; i++) {
            if (o->normalize == NPS_NORMALIZE_SUM)
                d += out_in[i];
            else if (out_in[i] > d)
                d = out_in[i];
        }
        if (d > 0)
            for (size_t i = 0; i < n; i++) out_in[i] = (float)((double)out_in[i] / d);
    }
out:
    free(tmp);
    free(ord);
    return n;
}

/* Every spectrum of `in` preprocessed with the options for its kind, into flat
 * arrays (offsets n + 1) that the caller owns. */
static int process_flat(size_t **off_out, double **mz_out, float **in_out, const nps_spectra *in,
                        const nps_preprocess_config *config)
{
    size_t n = nps_spectra_count(in), P = nps_spectra_total_peaks(in);
    size_t *off = malloc((n + 1) * sizeof *off);
    double *mz = malloc((P ? P : 1) * sizeof *mz);
    float *fi = malloc((P ? P : 1) * sizeof *fi);
    if (!off || !mz || !fi) {
        free(off);
        free(mz);
        free(fi);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    /* each spectrum is cleaned in parallel into the place its input peaks
     * occupy (cleaning never adds peaks), then the results are packed */
    const double *mz0 = NULL;
    if (n) {
        const float *v0;
        size_t k0;
        nps_spectra_peaks(in, 0, &mz0, &v0, &k0);
    }
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t i = 0; i < n; i++) {
        const double *m;
        const float *v;
        size_t k;
        nps_spectra_peaks(in, i, &m, &v, &k);
        size_t at = (size_t)(m - mz0);
        const nps_preprocess_options *o =
            nps_spectra_kind(in, i) == NPS_KIND_EI ? &config->ei : &config->msms;
        off[i + 1] =
            nps_preprocess_peaks(mz + at, fi + at, m, v, k, nps_spectra_precursor_mz(in, i), o);
    }
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const double *m;
        const float *v;
        size_t k;
        nps_spectra_peaks(in, i, &m, &v, &k);
        size_t at = (size_t)(m - mz0), cnt = off[i + 1];
        off[i + 1] = off[i] + cnt;
        if (at != off[i]) {
            memmove(mz + off[i], mz + at, cnt * sizeof *mz);
            memmove(fi + off[i], fi + at, cnt * sizeof *fi);
        }
    }
    /* give back what cleaning removed */
    double *mz2 = realloc(mz, (off[n] ? off[n] : 1) * sizeof *mz);
    float *fi2 = realloc(fi, (off[n] ? off[n] : 1) * sizeof *fi);
    *mz_out = mz2 ? mz2 : mz;
    *in_out = fi2 ? fi2 : fi;
    *off_out = off;
    return 0;
}

int nps_preprocess_spectra(nps_spectra **out, const nps_spectra *in,
                           const nps_preprocess_config *config)
{
    size_t *off = NULL;
    double *mz = NULL;
    float *fi = NULL;
    int rc = process_flat(&off, &mz, &fi, in, config);
    if (rc || !off) return rc ? rc : NPS_ENOMEM;
    nps_spectra *s = NULL;
    if ((rc = nps_spectra_create(&s))) goto out;
    for (size_t i = 0; i < nps_spectra_count(in); i++)
        if ((rc = nps_spectra_add_derived(s, in, i, mz + off[i], fi + off[i], off[i + 1] - off[i])))
            break;
    if (rc)
        nps_spectra_free(s);
    else
        *out = s;
out:
    free(off);
    free(mz);
    free(fi);
    return rc;
}

int nps_preprocess_shared(nps_spectra **out, const nps_spectra *in,
                          const nps_preprocess_config *config)
{
    size_t *off = NULL;
    double *mz = NULL;
    float *fi = NULL;
    int rc = process_flat(&off, &mz, &fi, in, config);
    if (rc || !off) return rc ? rc : NPS_ENOMEM;
    return nps_spectra_adopt_flat(out, nps_spectra_count(in), off, mz, fi, NULL, 0, NULL, in);
}

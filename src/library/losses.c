/*
 * Neutral-loss spectra. A fragment at m/z m of a precursor at P is also the
 * neutral loss P - m; analogues that differ by a modification kept in the
 * precursor but lost in a fragment share those losses while their fragments
 * differ. Expressing every spectrum as its losses and searching those with
 * the ordinary machinery (the fragment index, bounds, exact rescoring) gives
 * the neutral-loss search; the same losses, indexed, give the shifted half of
 * the hybrid search's bounds (a shifted match is a shared loss).
 *
 * Only peaks strictly below the precursor have a loss (a positive one).
 * Losses are computed from the processed (cleaned) peaks, so no further
 * cleaning applies. The loss spectra share the metadata (ids, names,
 * classes) of the spectra they derive from, spectrum for spectrum; they are
 * derived search data, built by a search plan that needs them and owned by
 * it.
 */
#include "library.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t nps_losses_of(double *out_mz, float *out_in, uint32_t *out_src, const double *mz,
                     const float *in, size_t n, double precursor)
{
    if (!isfinite(precursor)) return 0;
    size_t k = 0;
    /* peaks ascend, so losses of the peaks below P descend: walk backwards */
    size_t below = 0;
    while (below < n && mz[below] < precursor) below++;
    for (size_t j = below; j-- > 0;) {
        out_mz[k] = precursor - mz[j];
        out_in[k] = in[j];
        if (out_src) out_src[k] = (uint32_t)j;
        k++;
    }
    return k;
}

int nps_losses_build(nps_spectra **out, uint32_t **out_map, const nps_spectra *p)
{
    size_t n = nps_spectra_count(p), P = nps_spectra_total_peaks(p);
    size_t *off = malloc((n + 1) * sizeof *off);
    double *mz = malloc((P ? P : 1) * sizeof *mz);
    float *in = malloc((P ? P : 1) * sizeof *in);
    uint32_t *map = malloc((P ? P : 1) * sizeof *map);
    nps_spectra *ls = NULL;
    int rc = 0;
    if (!off || !mz || !in || !map) {
        rc = nps_err(NPS_ENOMEM, "out of memory building the loss spectra");
        goto fail;
    }
    const double *mz0 = NULL;
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const double *m;
        const float *v;
        size_t k;
        nps_spectra_peaks(p, i, &m, &v, &k);
        if (i == 0) mz0 = m;
        size_t base = off[i];
        size_t got = nps_losses_of(mz + base, in + base, map + base, m, v, k,
                                   nps_spectra_precursor_mz(p, i));
        size_t first = (size_t)(m - mz0);
        for (size_t j = 0; j < got; j++) map[base + j] += (uint32_t)first;
        off[i + 1] = base + got;
    }
    rc = nps_spectra_adopt_flat(&ls, n, off, mz, in, NULL, 0, NULL, p);
    off = NULL;
    mz = NULL;
    in = NULL;
    if (rc) goto fail;
    *out = ls;
    *out_map = map;
    return 0;
fail:
    free(off);
    free(mz);
    free(in);
    free(map);
    return rc;
}

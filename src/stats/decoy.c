/*
 * Decoy spectra for target-decoy error rates (Elias & Gygi, Nat. Methods 4
 * (2007) 207, for the strategy; Scheubert et al., Nat. Commun. 8 (2017)
 * 1494, for decoys of small-molecule spectra).
 *
 * "Naive" decoys after Scheubert et al.: every target spectrum gets one decoy
 * with the same kind, precursor m/z, number of peaks and intensities (in a
 * random order), whose fragment m/z are drawn at random from the pool of all
 * fragments of the library's spectra of that kind, restricted to below the
 * precursor for MS/MS. A decoy thus looks like a library spectrum of the
 * library's own chemistry, but corresponds to no compound: any query that
 * prefers it over every target does so by chance. Draws closer than the
 * minimum spacing (0.05 Da; one unit at unit mass) to an earlier draw are
 * redrawn. GSL's MT19937 generator, seeded by the caller, makes the decoys
 * reproducible.
 */
#include "../core/internal.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* First index of the sorted pool with a value >= v. */
static size_t lower(const double *p, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (p[m] < v)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

int nps_decoys_generate(nps_spectra **out, const nps_spectra *lib, unsigned long seed)
{
    size_t n = nps_spectra_count(lib), P = nps_spectra_total_peaks(lib);
    double *pool[2] = {malloc((P ? P : 1) * sizeof(double)), malloc((P ? P : 1) * sizeof(double))};
    size_t np[2] = {0, 0}, maxn = 0;
    for (size_t i = 0; i < n && pool[0] && pool[1]; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(lib, i, &mz, &in, &k);
        int kind = nps_spectra_kind(lib, i) == NPS_KIND_EI ? 0 : 1;
        for (size_t j = 0; j < k; j++) pool[kind][np[kind]++] = mz[j];
        if (k > maxn) maxn = k;
    }
    double *mz = malloc((maxn ? maxn : 1) * sizeof *mz);
    float *in = malloc((maxn ? maxn : 1) * sizeof *in);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    nps_spectra *d = NULL;
    int rc = 0;
    if (!pool[0] || !pool[1] || !mz || !in || !r || (rc = nps_spectra_create(&d))) {
        rc = rc ? rc : nps_err(NPS_ENOMEM, "out of memory generating decoys");
        goto out;
    }
    gsl_rng_set(r, seed);
    qsort(pool[0], np[0], sizeof(double), cmp_double);
    qsort(pool[1], np[1], sizeof(double), cmp_double);
    for (size_t i = 0; i < n && !rc; i++) {
        const double *tm;
        const float *ti;
        size_t k;
        nps_spectra_peaks(lib, i, &tm, &ti, &k);
        int ei = nps_spectra_kind(lib, i) == NPS_KIND_EI;
        const double *pl = pool[ei ? 0 : 1];
        double prec = nps_spectra_precursor_mz(lib, i);
        size_t avail = isfinite(prec) && !ei ? lower(pl, np[ei ? 0 : 1], prec) : np[ei ? 0 : 1];
        double spacing = ei ? 0.5 : 0.05;
        size_t got = 0;
        for (size_t tries = 0; got < k && avail && tries < 100 * k + 100; tries++) {
            double m = pl[gsl_rng_uniform_int(r, avail)];
            int close = 0;
            for (size_t j = 0; j < got && !close; j++) close = fabs(mz[j] - m) < spacing;
            if (!close) mz[got++] = m;
        }
        /* the target's intensities, in a random order */
        for (size_t j = 0; j < got; j++) in[j] = ti[j];
        for (size_t j = got; j > 1; j--) {
            size_t t = gsl_rng_uniform_int(r, j);
            float x = in[j - 1];
            in[j - 1] = in[t];
            in[t] = x;
        }
        char id[512], name[512], pbuf[40];
        snprintf(id, sizeof id, "DECOY_%.480s", nps_spectra_id(lib, i));
        snprintf(name, sizeof name, "decoy of %.480s", nps_spectra_name(lib, i));
        const char *keys[4] = {NPS_KEY_ID, NPS_KEY_NAME,
                               ei ? NPS_KEY_IONIZATION : NPS_KEY_SPECTRUM_TYPE,
                               NPS_KEY_PRECURSOR_MZ};
        const char *vals[4] = {id, name, ei ? "EI" : "MS2", pbuf};
        size_t nk = 3;
        if (isfinite(prec) && !ei) {
            snprintf(pbuf, sizeof pbuf, "%.17g", prec);
            nk = 4;
        }
        rc = nps_spectra_add(d, mz, in, got, keys, vals, nk);
    }
out:
    free(pool[0]);
    free(pool[1]);
    free(mz);
    free(in);
    gsl_rng_free(r);
    if (rc) {
        nps_spectra_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

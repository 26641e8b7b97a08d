/*
 * Decoy spectra for target-decoy error rates (Elias & Gygi, Nat. Methods 4
 * (2007) 207, for the strategy; Scheubert et al., Nat. Commun. 8 (2017)
 * 1494, for decoys of small-molecule spectra).
 *
 * Every target spectrum gets one decoy with the same kind, precursor m/z,
 * number of peaks and intensities (in a random order); only the fragment m/z
 * are made up. Two methods, after Scheubert et al.:
 *  - naive: every fragment drawn at random from the pool of all fragments of
 *    the library's spectra of that kind (below the precursor for MS/MS);
 *  - conditional peak sampling (the default; better calibrated in their
 *    comparison): the decoy grows from its precursor (EI: from one random
 *    pool fragment); each next fragment is found by taking a fragment already
 *    in the decoy, a random library spectrum that also holds a fragment at
 *    that m/z (within 0.01 Da; 0.5 at unit mass), and a random fragment of
 *    that spectrum. Fragments that co-occur in real spectra thus co-occur in
 *    the decoys, which then resemble real spectra of the library's chemistry
 *    (the wrong-but-similar compounds that make real false hits) while being
 *    no compound at all. When no spectrum shares the chosen fragment, a pool
 *    draw is used.
 * Draws closer than the minimum spacing (0.05 Da; one unit at unit mass) to
 * an earlier fragment are redrawn. GSL's MT19937 generator, seeded by the
 * caller, makes the decoys reproducible.
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

typedef struct {
    double mz;
    uint32_t spec;
} frag_t;

static int cmp_frag(const void *a, const void *b)
{
    const frag_t *x = a, *y = b;
    if (x->mz != y->mz) return x->mz < y->mz ? -1 : 1;
    return x->spec < y->spec ? -1 : x->spec > y->spec;
}

/* First fragment with m/z >= v. */
static size_t frag_lower(const frag_t *f, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (f[m].mz < v)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

static int too_close(const double *mz, size_t n, double m, double spacing)
{
    for (size_t j = 0; j < n; j++)
        if (fabs(mz[j] - m) < spacing) return 1;
    return 0;
}

int nps_decoys_generate_ex(nps_spectra **out, const nps_spectra *lib, unsigned long seed,
                           int conditional)
{
    size_t n = nps_spectra_count(lib), P = nps_spectra_total_peaks(lib);
    double *pool[2] = {malloc((P ? P : 1) * sizeof(double)), malloc((P ? P : 1) * sizeof(double))};
    frag_t *fr[2] = {malloc((P ? P : 1) * sizeof(frag_t)), malloc((P ? P : 1) * sizeof(frag_t))};
    size_t np[2] = {0, 0}, maxn = 0;
    for (size_t i = 0; i < n && pool[0] && pool[1] && fr[0] && fr[1]; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(lib, i, &mz, &in, &k);
        int kind = nps_spectra_kind(lib, i) == NPS_KIND_EI ? 0 : 1;
        for (size_t j = 0; j < k; j++) {
            fr[kind][np[kind]] = (frag_t){mz[j], (uint32_t)i};
            pool[kind][np[kind]++] = mz[j];
        }
        if (k > maxn) maxn = k;
    }
    double *mz = malloc((maxn + 1) * sizeof *mz);
    float *in = malloc((maxn + 1) * sizeof *in);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    nps_spectra *d = NULL;
    int rc = 0;
    if (!pool[0] || !pool[1] || !fr[0] || !fr[1] || !mz || !in || !r ||
        (rc = nps_spectra_create(&d))) {
        rc = rc ? rc : nps_err(NPS_ENOMEM, "out of memory generating decoys");
        goto out;
    }
    gsl_rng_set(r, seed);
    for (int kind = 0; kind < 2; kind++) {
        qsort(pool[kind], np[kind], sizeof(double), cmp_double);
        qsort(fr[kind], np[kind], sizeof(frag_t), cmp_frag);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const double *tm;
        const float *ti;
        size_t k;
        nps_spectra_peaks(lib, i, &tm, &ti, &k);
        int ei = nps_spectra_kind(lib, i) == NPS_KIND_EI, kind = ei ? 0 : 1;
        const double *pl = pool[kind];
        const frag_t *fk = fr[kind];
        double prec = nps_spectra_precursor_mz(lib, i);
        double limit = isfinite(prec) && !ei ? prec : INFINITY;
        size_t avail = isfinite(limit) ? lower(pl, np[kind], limit) : np[kind];
        double spacing = ei ? 0.5 : 0.05, tol = ei ? 0.5 : 0.01;
        /* seeds: the precursor (MS/MS), else nothing; they are not decoy peaks */
        double seedm = isfinite(limit) ? limit : NAN;
        size_t got = 0;
        for (size_t tries = 0; got < k && avail && tries < 100 * k + 100; tries++) {
            double m = NAN;
            if (conditional && (got > 0 || isfinite(seedm))) {
                /* a fragment already there (or the precursor), a spectrum sharing it,
                 * and one of that spectrum's fragments */
                size_t pick = gsl_rng_uniform_int(r, got + (isfinite(seedm) ? 1 : 0));
                double anchor = pick < got ? mz[pick] : seedm;
                size_t lo = frag_lower(fk, np[kind], anchor - tol),
                       hi = frag_lower(fk, np[kind], anchor + tol + 1e-9);
                if (hi > lo) {
                    uint32_t sp = fk[lo + gsl_rng_uniform_int(r, hi - lo)].spec;
                    const double *sm;
                    const float *si;
                    size_t sn;
                    nps_spectra_peaks(lib, sp, &sm, &si, &sn);
                    size_t below = 0;
                    while (below < sn && sm[below] < limit) below++;
                    if (below) m = sm[gsl_rng_uniform_int(r, below)];
                }
            }
            if (isnan(m)) m = pl[gsl_rng_uniform_int(r, avail)];
            if (!(m < limit) || too_close(mz, got, m, spacing)) continue;
            mz[got++] = m;
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
    free(fr[0]);
    free(fr[1]);
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

int nps_decoys_generate(nps_spectra **out, const nps_spectra *lib, unsigned long seed)
{
    return nps_decoys_generate_ex(out, lib, seed, 1);
}

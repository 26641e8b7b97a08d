/*
 * The synthetic library and query generator of the benchmark (issue 3), also
 * used by the index exactness tests. Seeded and deterministic (GSL's MT19937).
 *
 * Library spectrum: precursor m/z uniform in [150, 1000]; 5 to 50 peaks
 * (uniform count) uniform in [50, precursor - 2], at least 0.05 Da apart;
 * intensities log-normal (mu 0, sigma 1) scaled to a base peak of 1000.
 *
 * Query: a copy of a uniformly drawn library spectrum with the precursor
 * shifted by U(-0.003, 0.003) Da, every m/z jittered by N(0, 0.003),
 * intensities multiplied by lognormal(0, 0.2), each peak dropped with
 * probability 0.15, and 0 to 5 noise peaks (uniform m/z in [50, precursor - 2],
 * intensity U(1, 100)) added. The index of the true library spectrum is
 * recorded.
 */
#ifndef NPS_SYNTH_H
#define NPS_SYNTH_H

#include "npsmatch/npsmatch.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int synth_add(nps_spectra *s, const double *mz, const float *in, size_t n, const char *id,
                     double prec)
{
    char p[32];
    snprintf(p, sizeof p, "%.5f", prec);
    const char *k[] = {"Name", "DB#", "PrecursorMZ", "Spectrum_type"};
    const char *v[] = {id, id, p, "MS2"};
    return nps_spectra_add(s, mz, in, n, k, v, 4);
}

/* Append n_lib synthetic library spectra to lib. */
static int synth_library(nps_spectra *lib, size_t n_lib, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double mz[64];
    float in[64];
    char id[32];
    int rc = 0;
    for (size_t i = 0; i < n_lib && !rc; i++) {
        double prec = 150 + 850 * gsl_rng_uniform(r);
        size_t n = 5 + gsl_rng_uniform_int(r, 46), k = 0;
        for (size_t tries = 0; k < n && tries < 10000; tries++) {
            double m = 50 + (prec - 2 - 50) * gsl_rng_uniform(r);
            int ok = 1;
            for (size_t j = 0; j < k && ok; j++) ok = fabs(mz[j] - m) >= 0.05;
            if (ok) mz[k++] = m;
        }
        double base = 0, raw[64];
        for (size_t j = 0; j < k; j++) {
            raw[j] = gsl_ran_lognormal(r, 0, 1);
            if (raw[j] > base) base = raw[j];
        }
        for (size_t j = 0; j < k; j++) in[j] = (float)(1000 * raw[j] / base);
        snprintf(id, sizeof id, "SYN%08zu", i);
        rc = synth_add(lib, mz, in, k, id, prec);
    }
    gsl_rng_free(r);
    return rc;
}

/* Append n_q queries drawn from lib; truth[i] receives the library index. */
static int synth_queries(nps_spectra *q, size_t *truth, const nps_spectra *lib, size_t n_q,
                         unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double mz[64];
    float in[64];
    char id[32];
    int rc = 0;
    for (size_t i = 0; i < n_q && !rc; i++) {
        size_t t = gsl_rng_uniform_int(r, nps_spectra_count(lib));
        const double *lm;
        const float *li;
        size_t ln, k = 0;
        nps_spectra_peaks(lib, t, &lm, &li, &ln);
        double prec = nps_spectra_precursor_mz(lib, t) + (gsl_rng_uniform(r) * 0.006 - 0.003);
        for (size_t j = 0; j < ln; j++) {
            double jit = gsl_ran_gaussian(r, 0.003), f = gsl_ran_lognormal(r, 0, 0.2);
            if (gsl_rng_uniform(r) < 0.15) continue;
            mz[k] = lm[j] + jit;
            if (mz[k] < 0) mz[k] = 0;
            in[k] = (float)(li[j] * f);
            k++;
        }
        size_t noise = gsl_rng_uniform_int(r, 6);
        for (size_t j = 0; j < noise && k < 64; j++) {
            mz[k] = 50 + (prec - 2 - 50) * gsl_rng_uniform(r);
            in[k] = (float)(1 + 99 * gsl_rng_uniform(r));
            k++;
        }
        snprintf(id, sizeof id, "Q%06zu", i);
        if (truth) truth[i] = t;
        rc = synth_add(q, mz, in, k, id, prec);
    }
    gsl_rng_free(r);
    return rc;
}

/* An EI-like spectrum: n distinct unit masses drawn uniformly in [30, 400],
 * intensities log-normal (mu 0, sigma 1) times 1000, in draw order. */
static inline void synth_ei_peaks(gsl_rng *r, double *mz, float *in, size_t n)
{
    size_t k = 0;
    while (k < n) {
        double m = (double)(30 + gsl_rng_uniform_int(r, 371));
        int dup = 0;
        for (size_t j = 0; j < k && !dup; j++) dup = mz[j] == m;
        if (dup) continue;
        mz[k] = m;
        in[k++] = (float)(1000 * gsl_ran_lognormal(r, 0, 1));
    }
}

#endif

/*
 * Synthetic GC-EI-MS runs with known truth, for the deconvolution tests and
 * benchmarks (issue 12). Seeded and deterministic (GSL's MT19937).
 *
 * What a run is made of, and why each part is there:
 *   - compounds: source EI spectra (MassBank, or the bundled library)
 *     eluting as exponentially modified Gaussians (Gaussian sigma, tail
 *     tau: the shape of real GC peaks, Grushka 1972), each scaled to a TIC
 *     height at its apex;
 *   - co-eluting pairs at a chromatographic resolution Rs, apex distance
 *     Rs * 4 * sqrt(sigma^2 + tau^2) (the Rs = dt / (4 sigma) of equal peaks,
 *     with the EMG's standard deviation);
 *   - spectral skew: a quadrupole scans from high to low m/z, so within one
 *     scan a rising peak reaches high m/z later than low m/z; the intensity
 *     of ion m is multiplied by 1 + skew * slope * (m - 200) / 200, with
 *     slope the peak's relative slope at that time;
 *   - baseline drift (every ion, growing through the run), column bleed
 *     (207, 281, 355, 73, 147, 221: polysiloxane, growing with the
 *     temperature), air (28, 32, 40, 44: constant);
 *   - noise of ion counting: every intensity A becomes A + N(0, nf^2 A),
 *     then the acquisition threshold clears what falls below it;
 *   - 0.1 m/z centroids: nominal mass plus an organic mass defect
 *     (0.00045 per Da) plus N(0, 0.02), rounded to 0.1;
 *   - an internal standard and an n-alkane ladder (spectra made here:
 *     the CnH2n+1 series of straight-chain alkanes) when asked for.
 */
#ifndef NPS_RUNSIM_H
#define NPS_RUNSIM_H

#include "npsmatch/npsmatch.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNSIM_MAX_MZ 600
#define RUNSIM_MAX_COMPOUNDS 256

typedef struct {
    unsigned long seed;
    double scan_hz;   /* scans per second */
    double t0, t1;    /* run range, minutes */
    double sigma_s;   /* Gaussian sigma of a peak, seconds */
    double tau_s;     /* exponential tail, seconds */
    double noise;     /* nf: sigma(A) = nf sqrt(A) */
    double threshold; /* acquisition threshold (counts) */
    double skew;      /* spectral skew factor */
    double drift;     /* baseline per ion at the end of the run (counts) */
    double bleed;     /* m/z 207 bleed at the end of the run (counts) */
    double air;       /* m/z 28 air (counts) */
    int mz_lo, mz_hi; /* scan range */
} runsim_params;

#define RUNSIM_PARAMS_INIT                                                                         \
    {                                                                                              \
        1, 5.0, 3.0, 14.6, 0.9, 0.6, 0.6, 40.0, 0.3, 60.0, 800.0, 1500.0, 28, 550                  \
    }

typedef struct {
    /* the compound's spectrum: unit m/z, relative intensities (base 1) */
    double spec[RUNSIM_MAX_MZ + 1];
    char name[128];
    char key[64];  /* InChIKey or name: what the truth compares */
    double rt;     /* apex, minutes */
    double height; /* TIC at the apex */
    int pair;      /* pair number, or -1 */
    double resolution;
    int role; /* 0 analyte, 1 internal standard, 2 alkane */
    int carbons;
} runsim_compound;

typedef struct {
    runsim_params p;
    runsim_compound c[RUNSIM_MAX_COMPOUNDS];
    size_t n;
} runsim;

/* The EMG peak at t (minutes) of a compound with apex mu_apex, scaled to 1
 * at the apex: the apex of an EMG lies after its Gaussian centre; the offset
 * and the scale are found once per shape (sigma, tau) numerically. */
static inline double runsim_emg_raw(double x, double sigma, double tau)
{
    /* EMG with Gaussian centre 0, in seconds */
    if (tau <= 1e-9) return exp(-0.5 * x * x / (sigma * sigma));
    double l = 1.0 / tau;
    double arg = (sigma * sigma * l - x) / (M_SQRT2 * sigma);
    /* exp(l/2 (l sigma^2 - 2x)) erfc(arg), in a form that does not overflow */
    double e = 0.5 * l * (l * sigma * sigma - 2 * x);
    if (arg > 5) {
        /* erfc(a) ~ exp(-a^2)/(a sqrt(pi)) for large a */
        return exp(e - arg * arg) / (arg * sqrt(M_PI)) * 0.5 * l;
    }
    return 0.5 * l * exp(e) * gsl_sf_erfc(arg);
}

static inline void runsim_emg_shape(double sigma, double tau, double *apex_offset, double *peak)
{
    double best = -1, at = 0;
    for (double x = -3 * sigma; x <= 3 * sigma + 3 * tau; x += sigma / 2000) {
        double v = runsim_emg_raw(x, sigma, tau);
        if (v > best) {
            best = v;
            at = x;
        }
    }
    *apex_offset = at;
    *peak = best;
}

/* Apex distance (minutes) of two compounds at resolution rs. */
static inline double runsim_pair_distance(const runsim_params *p, double rs)
{
    double sd = sqrt(p->sigma_s * p->sigma_s + p->tau_s * p->tau_s);
    return rs * 4.0 * sd / 60.0;
}

/* Add a compound from spectrum i of s (peaks to unit m/z, base 1). */
static inline int runsim_add(runsim *r, const nps_spectra *s, size_t i, double rt, double height,
                             int pair, double rs, int role)
{
    if (r->n >= RUNSIM_MAX_COMPOUNDS) return -1;
    runsim_compound *c = &r->c[r->n];
    memset(c, 0, sizeof *c);
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(s, i, &mz, &in, &n);
    double base = 0;
    for (size_t k = 0; k < n; k++) {
        int u = (int)floor(mz[k] + 0.5);
        if (u < r->p.mz_lo || u > r->p.mz_hi || u > RUNSIM_MAX_MZ) continue;
        c->spec[u] += in[k];
        if (c->spec[u] > base) base = c->spec[u];
    }
    if (!(base > 0)) return -1;
    for (int u = 0; u <= RUNSIM_MAX_MZ; u++) c->spec[u] /= base;
    snprintf(c->name, sizeof c->name, "%s", nps_spectra_name(s, i));
    const char *key = nps_spectra_get(s, i, "InChIKey");
    snprintf(c->key, sizeof c->key, "%.14s", key && strlen(key) >= 14 ? key : c->name);
    c->rt = rt;
    c->height = height;
    c->pair = pair;
    c->resolution = rs;
    c->role = role;
    r->n++;
    return 0;
}

/* The n-alkane CnH2n+2: the CnH2n+1 fragment series falling off above 57,
 * 43 and 57 the largest, a weak molecular ion. */
static inline void runsim_add_alkane(runsim *r, int carbons, double rt, double height)
{
    if (r->n >= RUNSIM_MAX_COMPOUNDS) return;
    runsim_compound *c = &r->c[r->n];
    memset(c, 0, sizeof *c);
    for (int k = 3; k < carbons; k++) {
        int m = 14 * k + 1;
        if (m > RUNSIM_MAX_MZ || m > r->p.mz_hi) break;
        double v = k == 3 ? 0.75 : k == 4 ? 1.0 : 0.62 * pow(0.62, k - 5);
        c->spec[m] = v;
        if (m - 2 >= r->p.mz_lo) c->spec[m - 2] += 0.12 * v; /* CnH2n-1 */
        if (m - 1 >= r->p.mz_lo) c->spec[m - 1] += 0.06 * v;
    }
    int mol = 14 * carbons + 2;
    if (mol <= RUNSIM_MAX_MZ && mol <= r->p.mz_hi) c->spec[mol] = 0.02;
    snprintf(c->name, sizeof c->name, "n-C%d alkane", carbons);
    snprintf(c->key, sizeof c->key, "alkane C%d", carbons);
    c->rt = rt;
    c->height = height;
    c->pair = -1;
    c->role = 2;
    c->carbons = carbons;
    r->n++;
}

/* Render the run as scans (spectra with Retention_time, MS1, EI). */
static inline int runsim_render(nps_spectra *out, const runsim *r)
{
    const runsim_params *p = &r->p;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, p->seed);
    double off, peak;
    runsim_emg_shape(p->sigma_s, p->tau_s, &off, &peak);
    size_t n_scans = (size_t)((p->t1 - p->t0) * 60.0 * p->scan_hz);
    double amp[RUNSIM_MAX_MZ + 1];
    double mzv[RUNSIM_MAX_MZ + 1];
    float inv[RUNSIM_MAX_MZ + 1];
    static const int bleed_mz[] = {207, 281, 355, 73, 147, 221};
    static const double bleed_rel[] = {1.0, 0.55, 0.3, 0.25, 0.15, 0.1};
    static const int air_mz[] = {28, 32, 40, 44};
    static const double air_rel[] = {1.0, 0.25, 0.02, 0.05};
    int rc = 0;
    for (size_t s = 0; s < n_scans && !rc; s++) {
        double t = p->t0 + (double)s / (p->scan_hz * 60.0);
        double frac = (t - p->t0) / (p->t1 - p->t0);
        for (int m = p->mz_lo; m <= p->mz_hi; m++) amp[m] = p->drift * frac;
        for (size_t b = 0; b < 6; b++)
            if (bleed_mz[b] >= p->mz_lo && bleed_mz[b] <= p->mz_hi)
                amp[bleed_mz[b]] += p->bleed * bleed_rel[b] * exp(3.0 * (frac - 1.0));
        for (size_t a = 0; a < 4; a++)
            if (air_mz[a] >= p->mz_lo && air_mz[a] <= p->mz_hi)
                amp[air_mz[a]] += p->air * air_rel[a];
        for (size_t k = 0; k < r->n; k++) {
            const runsim_compound *c = &r->c[k];
            double x = (t - c->rt) * 60.0 + off; /* seconds from the Gaussian centre */
            if (x < -6 * p->sigma_s || x > 6 * p->sigma_s + 12 * p->tau_s) continue;
            double sh = runsim_emg_raw(x, p->sigma_s, p->tau_s) / peak;
            double dx = 0.05;
            double slope = (runsim_emg_raw(x + dx, p->sigma_s, p->tau_s) -
                            runsim_emg_raw(x - dx, p->sigma_s, p->tau_s)) /
                           (2 * dx) / peak * (1.0 / p->scan_hz);
            double sum = 0;
            for (int m = p->mz_lo; m <= p->mz_hi; m++) sum += c->spec[m];
            for (int m = p->mz_lo; m <= p->mz_hi; m++) {
                if (c->spec[m] <= 0) continue;
                double skew = 1.0 + p->skew * slope * (double)(m - 200) / 200.0;
                if (skew < 0) skew = 0;
                amp[m] += c->height * c->spec[m] / sum * sh * skew;
            }
        }
        size_t np = 0;
        for (int m = p->mz_lo; m <= p->mz_hi; m++) {
            double a = amp[m];
            double v = a + (a > 0 ? gsl_ran_gaussian(g, p->noise * sqrt(a)) : 0);
            if (v < p->threshold) continue;
            double mz = m + 0.00045 * m + gsl_ran_gaussian(g, 0.02);
            mzv[np] = floor(mz * 10 + 0.5) / 10;
            inv[np] = (float)floor(v + 0.5);
            np++;
        }
        char rt[32], id[32];
        snprintf(rt, sizeof rt, "%.6f", t);
        snprintf(id, sizeof id, "scan=%zu", s + 1);
        const char *keys[] = {"SPECTRUM_ID", "Retention_time", "Spectrum_type", "Ionization"};
        const char *vals[] = {id, rt, "MS1", "EI"};
        rc = nps_spectra_add(out, mzv, inv, np, keys, vals, 4);
    }
    gsl_rng_free(g);
    return rc;
}

/* Write the truth: one line per compound. */
static inline int runsim_write_truth(FILE *fp, const runsim *r)
{
    fprintf(fp, "compound\tkey\trt_min\theight\tpair\tresolution\trole\tcarbons\n");
    for (size_t i = 0; i < r->n; i++) {
        const runsim_compound *c = &r->c[i];
        fprintf(fp, "%s\t%s\t%.5f\t%.1f\t%d\t%.2f\t%s\t%d\n", c->name, c->key, c->rt, c->height,
                c->pair, c->resolution,
                c->role == 0   ? "analyte"
                : c->role == 1 ? "internal_standard"
                               : "alkane",
                c->carbons);
    }
    return ferror(fp) ? -1 : 0;
}

#endif

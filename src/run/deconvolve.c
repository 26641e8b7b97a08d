/*
 * GC-MS deconvolution: from the MS1 scans of a run to one clean spectrum per
 * chromatographic component, after AMDIS (S. E. Stein, "An integrated
 * method for spectrum extraction and compound identification from gas
 * chromatography/mass spectrometry data", J Am Soc Mass Spectrom 10, 770,
 * 1999) and MS-DIAL's MS1Dec (Tsugawa et al., Nat Methods 12, 523, 2015).
 *
 * The run is cut into windows of `window` MS1 scans, each processed with a
 * margin of neighbouring scans on both sides, and only components whose
 * apex falls in a window's own scans are kept: memory is bounded by the
 * window, windows run in parallel (OpenMP), and since a window's result
 * depends on its scans alone the output is the same at any thread count.
 * In a window:
 *
 * 1. Ion chromatograms. Every MS1 peak goes to its unit m/z (NPS_UNIT_MZ,
 *    the EI rule), intensities summed: profile data and 0.1 m/z centroids
 *    both become one chromatogram per nominal mass.
 * 2. Baseline: per ion the moving minimum over +-baseline_window scans,
 *    then its moving mean, a lower envelope that follows column bleed and
 *    drift but not peaks narrower than the window. The fit below adds a
 *    constant per ion and cluster, which absorbs what the envelope leaves.
 * 3. Noise. Detector noise grows with the signal (ion counting), so, like
 *    AMDIS, we estimate one noise factor Nf for the window with
 *    sigma(A) = Nf sqrt(A): the median, over 13-scan segments of every ion
 *    where the ion is present throughout, of the segment's noise (from its
 *    second differences, insensitive to slopes) over the square root of its
 *    mean. The floor is half the acquisition threshold (a low percentile of
 *    the positive intensities): an ion near the threshold flickers between
 *    zero and the threshold, noise of that order, not zero.
 * 4. Ion apexes: local maxima of the ion chromatogram smoothed by a
 *    5-point quadratic Savitzky-Golay filter, above ion_snr noise units and
 *    standing out from their valleys by as much (a noise wiggle on a large
 *    peak does not); walking down the flanks tolerates rises within the
 *    noise. The apex position is refined by a parabola through the three top
 *    points (AMDIS groups ions by such sub-scan apexes). Sharpness (AMDIS):
 *    the steepest fall from the apex over 1-5 scans in noise units per scan,
 *    the smaller of the two sides: high for a clean, narrow, intense peak;
 *    low for an ion shared by two co-eluting compounds, whose sum is broad.
 * 5. Components: apexes by decreasing sharpness; each one that may be a
 *    model (not an air or bleed ion, min_snr, at least min_width scans at
 *    half height) starts a component and collects the unassigned apexes
 *    within apex_tolerance scans; with min_ions ions it is a component,
 *    otherwise its apexes are released.
 * 6. Model peaks and the fit: the model peak of a component is its model
 *    ion's smoothed, baseline-subtracted chromatogram over its flanks,
 *    scaled to 1 at the apex. Components whose model peaks overlap form a
 *    cluster; every ion's chromatogram over the cluster is fitted by NNLS
 *    (stats/nnls.c) to the cluster's model peaks plus a constant: the
 *    coefficient of a component is that ion's height in it at its apex. An
 *    ion enters the component's spectrum when that height is at least
 *    ion_snr noise units. Co-eluting compounds are thereby separated where
 *    their apexes differ by a scan or more, with shared ions divided.
 * 7. Figures: retention time at the sub-scan apex (interpolated between the
 *    scans' times), height (the spectrum's total), area (height times the
 *    model peak's area in minutes), purity (the component's share of the
 *    baseline-subtracted ion current at its apex scan, AMDIS's "purity").
 */
#include "../core/internal.h"
#include "../stats/stats.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IONS 4096
#define SEGMENT 13
#define CLUSTER_MAX 32
#define SHARP_SPAN 5

/* Where a window's MS1 scans come from: a run in memory, or the buffer of
 * a streamed run (nps_deconvolver). Scan i is the i-th MS1 scan of the run,
 * whichever holds it; `number` is its 1-based scan number in the file. */
typedef struct {
    void (*peaks)(const void *src, size_t i, const double **mz, const float **in, size_t *n);
    double (*time)(const void *src, size_t i);
    size_t (*number)(const void *src, size_t i);
    const void *src;
} scan_source;

typedef struct {
    const scan_source *sc;
    const nps_deconvolve_options *o;
    const double *excluded; /* model-ion exclusions */
    size_t n_excluded;
} ctx;

typedef struct {
    size_t ion;
    double pos;    /* sub-scan apex, window scan units */
    double height; /* smoothed, above baseline */
    double sigma;  /* noise at the baseline there */
    double sharp;
    double fwhm;
    size_t l, r; /* flanks (inclusive) */
    size_t apex; /* integer apex */
    int assigned;
} apex_t;

typedef struct {
    size_t model; /* model ion (index into the window's ions) */
    size_t n_ions;
    double *spec; /* J heights */
    double purity, area, height;
    double pos;
    size_t l, r;
    double *shape; /* over [l, r] */
    /* what the component becomes (filled at the end of its window) */
    double rt, model_mz;
    size_t apex_no, first_no, last_no;
    double *pk_mz;
    float *pk_in;
    size_t np;
} comp_t;

typedef struct {
    comp_t *c;
    size_t n, cap;
    int rc;
} win_out;

/* The q-quantile of v[0, n) (reordered): Hoare's selection with a
 * median-of-three pivot, linear on average; a sort cost a fifth of a run's
 * deconvolution. */
static double quantile(double *v, size_t n, double q)
{
    if (!n) return NAN;
    size_t k = (size_t)(q * (double)(n - 1) + 0.5), lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            /* the pivot is one of v[lo, hi], so neither scan passes it; the
             * bounds only make that visible */
            while (i < hi && v[i] < pivot) i++;
            while (j > lo && v[j] > pivot) j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Moving minimum over [i - w, i + w] (monotone deque, O(n)). */
static void moving_min(float *out, const float *x, size_t n, size_t w, size_t *dq)
{
    size_t head = 0, tail = 0, next = 0;
    for (size_t i = 0; i < n; i++) {
        size_t hi = i + w < n ? i + w : n - 1;
        while (next <= hi) {
            while (tail > head && x[dq[tail - 1]] >= x[next]) tail--;
            dq[tail++] = next++;
        }
        size_t lo = i > w ? i - w : 0;
        while (dq[head] < lo) head++;
        out[i] = x[dq[head]];
    }
}

/* Moving mean over [i - w, i + w] clipped to the array. */
static void moving_mean(float *out, const float *x, size_t n, size_t w, double *prefix)
{
    prefix[0] = 0;
    for (size_t i = 0; i < n; i++) prefix[i + 1] = prefix[i] + x[i];
    for (size_t i = 0; i < n; i++) {
        size_t lo = i > w ? i - w : 0, hi = i + w + 1 < n ? i + w + 1 : n;
        out[i] = (float)((prefix[hi] - prefix[lo]) / (double)(hi - lo));
    }
}

/* The noise at a signal level: ion counting (Nf sqrt(A)), and never less
 * than half the acquisition threshold: an ion near the threshold flickers
 * between nothing and the threshold, which is noise of that size however
 * quiet the counting statistics say it should be. */
static double noise_at(double nf, double floor_a, double level)
{
    double a = level > floor_a ? level : floor_a;
    double s = nf * sqrt(a);
    return s > 0.5 * floor_a ? s : 0.5 * floor_a;
}

static int cmp_sharp(const void *a, const void *b)
{
    const apex_t *x = a, *y = b;
    if (x->sharp != y->sharp) return x->sharp > y->sharp ? -1 : 1;
    if (x->ion != y->ion) return x->ion < y->ion ? -1 : 1;
    return (x->apex > y->apex) - (x->apex < y->apex);
}

static int cmp_comp_pos(const void *a, const void *b)
{
    const comp_t *x = a, *y = b;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    return 0;
}

static void comp_free(comp_t *c)
{
    free(c->spec);
    free(c->shape);
    free(c->pk_mz);
    free(c->pk_in);
}

static int push_comp(win_out *w, const comp_t *c)
{
    if (nps_grow((void **)&w->c, &w->cap, w->n + 1, sizeof *w->c)) return NPS_ENOMEM;
    w->c[w->n++] = *c;
    return 0;
}

/* One window: MS1 scans [e0, e1) processed, components with an apex in
 * [w0, w1) kept (all indices into the MS1 scan list). */
static double time_at(const scan_source *sc, double pos, size_t e0, size_t e1);

static int do_window(win_out *out, const ctx *cx, size_t e0, size_t e1, size_t w0, size_t w1)
{
    const nps_deconvolve_options *o = cx->o;
    const scan_source *sc = cx->sc;
    size_t S = e1 - e0;
    int rc = 0;
    /* the window's ions: every unit m/z from its lowest to its highest */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        const double *mz;
        const float *in;
        size_t np;
        sc->peaks(sc->src, e0 + s, &mz, &in, &np);
        for (size_t k = 0; k < np; k++) {
            if (!(in[k] > 0)) continue;
            double u = NPS_UNIT_MZ(mz[k]);
            if (u < lo) lo = u;
            if (u > hi) hi = u;
        }
    }
    if (!(hi >= lo)) return 0; /* no signal: no component */
    if (lo < 1) lo = 1;
    if (hi < lo) return 0;
    size_t J = (size_t)(hi - lo) + 1;
    if (J > MAX_IONS) J = MAX_IONS;
    unsigned char *model_ok = malloc(J);
    if (!model_ok) return NPS_ENOMEM;
    for (size_t j = 0; j < J; j++) {
        model_ok[j] = 1;
        for (size_t e = 0; e < cx->n_excluded; e++)
            if (NPS_UNIT_MZ(cx->excluded[e]) == (double)j + lo) model_ok[j] = 0;
    }
    size_t cells = J * S;
    if (!cells) cells = 1;
    float *x = calloc(cells, sizeof *x);  /* raw, then baseline-subtracted */
    float *b = malloc(cells * sizeof *b); /* baseline */
    float *z = malloc(cells * sizeof *z); /* smoothed, baseline-subtracted */
    float *tmp = malloc((S ? S : 1) * sizeof *tmp);
    size_t *dq = malloc((S ? S : 1) * sizeof *dq);
    double *prefix = malloc((S + 1) * sizeof *prefix);
    size_t seg_cap = J * (S / SEGMENT + 1) + 1;
    double *seg = malloc(seg_cap * sizeof *seg);
    size_t pos_cap = 200000;
    double *posv = malloc(pos_cap * sizeof *posv);
    apex_t *ap = NULL;
    size_t n_ap = 0, ap_cap = 0;
    comp_t *cs = NULL;
    size_t n_cs = 0, cs_cap = 0;
    if (!x || !b || !z || !tmp || !dq || !prefix || !seg || !posv) {
        rc = NPS_ENOMEM;
        goto done;
    }
    /* 1. ion chromatograms */
    for (size_t s = 0; s < S; s++) {
        const double *mz;
        const float *in;
        size_t np;
        sc->peaks(sc->src, e0 + s, &mz, &in, &np);
        for (size_t k = 0; k < np; k++) {
            double u = NPS_UNIT_MZ(mz[k]) - lo;
            if (u < 0 || u >= (double)J || !(in[k] > 0)) continue;
            x[(size_t)u * S + s] += in[k];
        }
    }
    /* the acquisition threshold: a low percentile of the positive intensities
     * (a strided sample: the percentile, not every value, is needed) */
    size_t n_pos = 0, total_pos = 0;
    for (size_t i = 0; i < J * S; i++) total_pos += x[i] > 0;
    size_t stride = total_pos / pos_cap + 1, seen = 0;
    for (size_t i = 0; i < J * S; i++)
        if (x[i] > 0 && (seen++ % stride) == 0 && n_pos < pos_cap) posv[n_pos++] = x[i];
    double floor_a = n_pos ? quantile(posv, n_pos, 0.05) : 1.0;
    if (!(floor_a > 0)) floor_a = 1.0;
    /* 2. baseline; 3. noise factor */
    size_t n_seg = 0;
    for (size_t j = 0; j < J; j++) {
        float *xj = x + j * S, *bj = b + j * S;
        moving_min(tmp, xj, S, o->baseline_window, dq);
        moving_mean(bj, tmp, S, o->baseline_window, prefix);
        for (size_t s0 = 0; s0 + SEGMENT <= S; s0 += SEGMENT) {
            double mean = 0, d2 = 0;
            int present = 1;
            for (size_t s = s0; s < s0 + SEGMENT; s++) {
                if (!(xj[s] > 0)) {
                    present = 0;
                    break;
                }
                mean += xj[s];
            }
            if (!present) continue;
            for (size_t s = s0 + 1; s + 1 < s0 + SEGMENT; s++)
                d2 += fabs((double)xj[s + 1] - 2.0 * xj[s] + xj[s - 1]);
            mean /= SEGMENT;
            d2 /= SEGMENT - 2;
            /* E|x[s+1] - 2x[s] + x[s-1]| = sigma sqrt(6) sqrt(2/pi) for white noise */
            double sigma = d2 / (sqrt(6.0) * sqrt(2.0 / M_PI));
            if (n_seg < seg_cap) seg[n_seg++] = sigma / sqrt(mean);
        }
    }
    double nf;
    if (n_seg >= 20)
        nf = quantile(seg, n_seg, 0.5);
    else
        nf = sqrt(floor_a); /* no steady signal to learn from: the threshold is the noise */
    if (!(nf > 0)) nf = sqrt(floor_a);
    /* baseline-subtract and smooth (Savitzky-Golay, 5 points, quadratic) */
    for (size_t j = 0; j < J; j++) {
        float *xj = x + j * S, *bj = b + j * S, *zj = z + j * S;
        for (size_t s = 0; s < S; s++) xj[s] -= bj[s];
        for (size_t s = 0; s < S; s++) {
            if (s < 2 || s + 2 >= S) {
                zj[s] = xj[s];
                continue;
            }
            zj[s] = (float)((-3.0 * xj[s - 2] + 12.0 * xj[s - 1] + 17.0 * xj[s] + 12.0 * xj[s + 1] -
                             3.0 * xj[s + 2]) /
                            35.0);
        }
    }
    /* 4. ion apexes */
    for (size_t j = 0; j < J; j++) {
        const float *zj = z + j * S, *bj = b + j * S;
        for (size_t s = 1; s + 1 < S; s++) {
            if (!(zj[s] > zj[s - 1] && zj[s] >= zj[s + 1])) continue;
            double h = zj[s];
            double sig = noise_at(nf, floor_a, bj[s]);
            if (h < o->ion_snr * sig) continue;
            double tol_top = 2.0 * noise_at(nf, floor_a, bj[s] + h);
            /* flanks: walk down, through rises within the noise, to the lowest point */
            size_t l = s, lmin = s;
            while (l > 0) {
                if (zj[l - 1] > zj[lmin] + tol_top || zj[l - 1] > h) break;
                l--;
                if (zj[l] < zj[lmin]) lmin = l;
                if (zj[lmin] <= sig) break;
            }
            size_t r = s, rmin = s;
            while (r + 1 < S) {
                if (zj[r + 1] > zj[rmin] + tol_top || zj[r + 1] > h) break;
                r++;
                if (zj[r] < zj[rmin]) rmin = r;
                if (zj[rmin] <= sig) break;
            }
            /* a point of the flank above the apex means a larger peak nearby
             * (this maximum is a shoulder of it, seen from it) */
            double valley = zj[lmin] > zj[rmin] ? zj[lmin] : zj[rmin];
            if (h - valley < o->ion_snr * sig) continue;
            if (lmin == s || rmin == s) continue;
            /* sub-scan apex */
            double y0 = zj[s - 1], y1 = zj[s], y2 = zj[s + 1];
            double den = y0 - 2 * y1 + y2, d = 0;
            if (den < 0) d = 0.5 * (y0 - y2) / den;
            if (d > 0.5) d = 0.5;
            if (d < -0.5) d = -0.5;
            /* half-height width */
            double half = h / 2, wl = 0, wr = 0;
            for (size_t k = s; k > lmin; k--)
                if (zj[k - 1] < half) {
                    wl = (double)(s - k) + (zj[k] - half) / (zj[k] - zj[k - 1]);
                    break;
                } else if (k - 1 == lmin)
                    wl = (double)(s - lmin);
            for (size_t k = s; k < rmin; k++)
                if (zj[k + 1] < half) {
                    wr = (double)(k - s) + (zj[k] - half) / (zj[k] - zj[k + 1]);
                    break;
                } else if (k + 1 == rmin)
                    wr = (double)(rmin - s);
            /* sharpness */
            double sl = 0, sr = 0;
            for (size_t k = 1; k <= SHARP_SPAN && k <= s - lmin; k++) {
                double v = (h - zj[s - k]) / ((double)k * sig);
                if (v > sl) sl = v;
            }
            for (size_t k = 1; k <= SHARP_SPAN && k <= rmin - s; k++) {
                double v = (h - zj[s + k]) / ((double)k * sig);
                if (v > sr) sr = v;
            }
            if (nps_grow((void **)&ap, &ap_cap, n_ap + 1, sizeof *ap)) {
                rc = NPS_ENOMEM;
                goto done;
            }
            apex_t a = {j, (double)s + d, h, sig, sl < sr ? sl : sr, wl + wr, lmin, rmin, s, 0};
            ap[n_ap++] = a;
        }
    }
    /* 5. components */
    if (n_ap) qsort(ap, n_ap, sizeof *ap, cmp_sharp);
    size_t *members = malloc((n_ap ? n_ap : 1) * sizeof *members);
    double *models = malloc((n_ap ? n_ap : 1) * sizeof *models);
    size_t n_models = 0;
    if (!members || !models) {
        free(members);
        free(models);
        rc = NPS_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n_ap; i++) {
        apex_t *m = &ap[i];
        if (m->assigned || !model_ok[m->ion] || m->height < o->min_snr * m->sigma ||
            m->fwhm < o->min_width)
            continue;
        /* two models closer than a quarter of the peak's width are one
         * compound seen through spectral skew or noise (a quadrupole's
         * scan reaches high and low m/z at different times on a steep
         * flank), not two: the second one's ions go to the first in the fit */
        double sep = m->fwhm / 4 > o->apex_tolerance ? m->fwhm / 4 : o->apex_tolerance;
        int near = 0;
        for (size_t q = 0; q < n_models && !near; q++) near = fabs(models[q] - m->pos) <= sep;
        if (near) continue;
        size_t nm = 0, ions = 0;
        for (size_t k = 0; k < n_ap; k++) {
            if (ap[k].assigned || fabs(ap[k].pos - m->pos) > o->apex_tolerance) continue;
            /* one apex per ion: the ion's nearest */
            int dup = 0;
            for (size_t q = 0; q < nm; q++)
                if (ap[members[q]].ion == ap[k].ion) dup = 1;
            members[nm++] = k;
            if (!dup) ions++;
        }
        if (ions < o->min_ions) continue;
        for (size_t q = 0; q < nm; q++) ap[members[q]].assigned = 1;
        models[n_models++] = m->pos;
        double pos_abs = m->pos + (double)e0;
        if (pos_abs < (double)w0 - 0.5 || pos_abs >= (double)w1 - 0.5)
            continue; /* another window's */
        comp_t c = {0};
        c.model = m->ion;
        c.n_ions = ions;
        c.pos = m->pos;
        c.l = m->l;
        c.r = m->r;
        c.spec = calloc(J, sizeof *c.spec);
        c.shape = malloc((c.r - c.l + 1) * sizeof *c.shape);
        if (!c.spec || !c.shape) {
            comp_free(&c);
            free(members);
            free(models);
            rc = NPS_ENOMEM;
            goto done;
        }
        const float *zm = z + m->ion * S;
        for (size_t s = c.l; s <= c.r; s++) {
            double v = zm[s] / m->height;
            c.shape[s - c.l] = v > 0 ? v : 0;
        }
        if (nps_grow((void **)&cs, &cs_cap, n_cs + 1, sizeof *cs)) {
            comp_free(&c);
            free(members);
            free(models);
            rc = NPS_ENOMEM;
            goto done;
        }
        cs[n_cs++] = c;
    }
    free(members);
    free(models);
    /* 6. clusters of overlapping model peaks, fitted together */
    if (n_cs) qsort(cs, n_cs, sizeof *cs, cmp_comp_pos);
    {
        size_t kmax = CLUSTER_MAX + 1;
        double *G = malloc(kmax * kmax * sizeof *G), *hv = malloc(kmax * sizeof *hv);
        double *coef = malloc(kmax * sizeof *coef);
        double *work = malloc(nps_nnls_work_size(kmax) * sizeof *work);
        unsigned char *fs = malloc(kmax);
        if (!G || !hv || !coef || !work || !fs) rc = NPS_ENOMEM;
        for (size_t c0 = 0; c0 < n_cs && !rc;) {
            size_t c1 = c0 + 1, L = cs[c0].l, R = cs[c0].r;
            while (c1 < n_cs && cs[c1].l <= R && c1 - c0 < CLUSTER_MAX) {
                if (cs[c1].r > R) R = cs[c1].r;
                if (cs[c1].l < L) L = cs[c1].l;
                c1++;
            }
            size_t k = c1 - c0, n = k + 1; /* models + constant */
            /* Gram matrix of the models and the constant over [L, R] */
            for (size_t a = 0; a < n; a++)
                for (size_t bb = 0; bb < n; bb++) {
                    double g = 0;
                    for (size_t s = L; s <= R; s++) {
                        double va = a < k ? (s >= cs[c0 + a].l && s <= cs[c0 + a].r
                                                 ? cs[c0 + a].shape[s - cs[c0 + a].l]
                                                 : 0)
                                          : 1.0;
                        double vb = bb < k ? (s >= cs[c0 + bb].l && s <= cs[c0 + bb].r
                                                  ? cs[c0 + bb].shape[s - cs[c0 + bb].l]
                                                  : 0)
                                           : 1.0;
                        g += va * vb;
                    }
                    G[a * n + bb] = g;
                }
            for (size_t j = 0; j < J && !rc; j++) {
                const float *xj = x + j * S, *bj = b + j * S;
                double peak = 0;
                for (size_t s = L; s <= R; s++)
                    if (xj[s] > peak) peak = xj[s];
                double sig = noise_at(nf, floor_a, bj[(L + R) / 2]);
                if (peak < o->ion_snr * sig) continue;
                for (size_t a = 0; a < k; a++) {
                    const comp_t *c = &cs[c0 + a];
                    double v = 0;
                    for (size_t s = c->l; s <= c->r; s++) v += c->shape[s - c->l] * xj[s];
                    hv[a] = v;
                }
                double v = 0;
                for (size_t s = L; s <= R; s++) v += xj[s];
                hv[k] = v;
                if (nps_nnls_gram(coef, G, hv, n, work, fs)) continue;
                for (size_t a = 0; a < k; a++) {
                    comp_t *c = &cs[c0 + a];
                    double sa = noise_at(nf, floor_a, bj[(size_t)(c->pos + 0.5)]);
                    if (coef[a] >= o->ion_snr * sa) c->spec[j] = coef[a];
                }
            }
            c0 = c1;
        }
        /* 7. figures */
        for (size_t i = 0; i < n_cs; i++) {
            comp_t *c = &cs[i];
            size_t as = (size_t)(c->pos + 0.5);
            double h = 0, tot = 0;
            for (size_t j = 0; j < J; j++) {
                h += c->spec[j];
                double v = x[j * S + as];
                if (v > 0) tot += v;
            }
            double sh = as >= c->l && as <= c->r ? c->shape[as - c->l] : 1.0;
            c->height = h;
            c->purity = tot > 0 ? h * sh / tot : 0;
            if (c->purity > 1) c->purity = 1;
            /* the model peak's area in minutes: each scan's share of time
             * (half the distance between its neighbours within the window) */
            double area = 0;
            for (size_t s = c->l; s <= c->r; s++) {
                size_t ga = e0 + (s > 0 ? s - 1 : s), gb = e0 + (s + 1 < S ? s + 1 : s);
                double dt =
                    gb > ga ? (sc->time(sc->src, gb) - sc->time(sc->src, ga)) / (double)(gb - ga)
                            : 0;
                area += c->shape[s - c->l] * dt;
            }
            c->area = h * area;
            c->pos += (double)e0;
            c->l += e0;
            c->r += e0;
            /* what it becomes: its time, scan numbers, model m/z and peaks */
            c->rt = time_at(sc, c->pos, e0, e1);
            c->apex_no = sc->number(sc->src, (size_t)(c->pos + 0.5));
            c->first_no = sc->number(sc->src, c->l);
            c->last_no = sc->number(sc->src, c->r);
            c->model_mz = (double)c->model + lo;
            c->pk_mz = malloc(J * sizeof *c->pk_mz);
            c->pk_in = malloc(J * sizeof *c->pk_in);
            if (!c->pk_mz || !c->pk_in) {
                rc = NPS_ENOMEM;
                break;
            }
            c->np = 0;
            for (size_t j = 0; j < J; j++)
                if (c->spec[j] > 0) {
                    c->pk_mz[c->np] = (double)j + lo;
                    c->pk_in[c->np] = (float)c->spec[j];
                    c->np++;
                }
        }
        free(G);
        free(hv);
        free(coef);
        free(work);
        free(fs);
    }
    for (size_t i = 0; i < n_cs && !rc; i++) {
        free(cs[i].spec);
        free(cs[i].shape);
        cs[i].spec = cs[i].shape = NULL;
        rc = push_comp(out, &cs[i]);
        if (!rc) {
            cs[i].pk_mz = NULL;
            cs[i].pk_in = NULL;
        }
    }
    for (size_t i = 0; i < n_cs; i++) comp_free(&cs[i]);
done:
    free(model_ok);
    free(cs);
    free(ap);
    free(x);
    free(b);
    free(z);
    free(tmp);
    free(dq);
    free(prefix);
    free(seg);
    free(posv);
    return rc;
}

/* The time at a fractional MS1 scan position within [e0, e1). */
static double time_at(const scan_source *sc, double pos, size_t e0, size_t e1)
{
    if (pos <= (double)e0) return sc->time(sc->src, e0);
    size_t a = (size_t)pos;
    if (a + 1 >= e1) return sc->time(sc->src, e1 - 1);
    double f = pos - (double)a;
    double ta = sc->time(sc->src, a), tb = sc->time(sc->src, a + 1);
    return ta + f * (tb - ta);
}

static int add_fmt(char **keys, char **vals, size_t *n, char *store, size_t *used, size_t cap,
                   const char *key, const char *fmt, ...) NPS_PRINTF(8, 9);
static int add_fmt(char **keys, char **vals, size_t *n, char *store, size_t *used, size_t cap,
                   const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    int w = vsnprintf(store + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= cap - *used) return NPS_EINVAL;
    keys[*n] = (char *)key;
    vals[*n] = store + *used;
    (*n)++;
    *used += (size_t)w + 1;
    return 0;
}

/* Append a window's components (in apex order) to res, numbered from
 * *number + 1: the one place a component becomes a spectrum, for runs in
 * memory and streamed runs alike. */
static int emit(nps_spectra *res, size_t *number, win_out *w, const char *run_name)
{
    if (w->n) qsort(w->c, w->n, sizeof *w->c, cmp_comp_pos);
    int rc = 0;
    for (size_t i = 0; i < w->n && !rc; i++) {
        const comp_t *c = &w->c[i];
        if (!c->np) continue;
        size_t no = ++*number;
        char store[1024];
        size_t used = 0, nm = 0;
        char *keys[16], *vals[16];
        if ((rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, NPS_KEY_ID, "component_%zu",
                          no)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, NPS_KEY_NAME,
                          "Component %zu at %.3f min", no, c->rt)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, NPS_KEY_RETENTION_TIME,
                          "%.4f", c->rt)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Apex_scan", "%zu",
                          c->apex_no)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Scan_range", "%zu-%zu",
                          c->first_no, c->last_no)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Model_ion", "%.0f",
                          c->model_mz)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Area", "%.6g", c->area)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Height", "%.6g",
                          c->height)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Purity", "%.3f",
                          c->purity)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Ions", "%zu", c->n_ions)) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, NPS_KEY_IONIZATION, "EI")) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, NPS_KEY_SPECTRUM_TYPE,
                          "MS1")) ||
            (rc = add_fmt(keys, vals, &nm, store, &used, sizeof store, "Run", "%s", run_name)))
            break;
        rc = nps_spectra_add(res, c->pk_mz, c->pk_in, c->np, (const char *const *)keys,
                             (const char *const *)vals, nm);
    }
    if (rc == NPS_EINVAL) rc = nps_err(NPS_EINVAL, "%s: run name too long", run_name);
    for (size_t i = 0; i < w->n; i++) comp_free(&w->c[i]);
    free(w->c);
    w->c = NULL;
    w->n = w->cap = 0;
    return rc;
}

static int check_options(const nps_deconvolve_options *o)
{
    if (o->version != NPS_DECONVOLVE_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_deconvolve_options version %d not supported", o->version);
    if (!(o->min_snr > 0) || !(o->ion_snr > 0) || !(o->apex_tolerance > 0) ||
        !(o->min_width >= 0) || o->min_ions < 1 || o->window < 16 || o->baseline_window < 1)
        return nps_err(NPS_EINVAL,
                       "deconvolution options: min_snr, ion_snr and apex_tolerance must be > 0, "
                       "min_ions >= 1, window >= 16 scans, baseline_window >= 1");
    return 0;
}

static const double excluded_default[] = NPS_DECONVOLVE_EXCLUDED;

static void ctx_init(ctx *cx, const scan_source *sc, const nps_deconvolve_options *o)
{
    cx->sc = sc;
    cx->o = o;
    cx->excluded = o->exclude_model ? o->exclude_model : excluded_default;
    cx->n_excluded =
        o->exclude_model ? o->n_exclude_model : sizeof excluded_default / sizeof *excluded_default;
}

/* The margin each side of a window: the baseline's reach and a peak's. */
static size_t margin(const nps_deconvolve_options *o)
{
    return o->baseline_window * 2 + 32;
}

/* ------------------------------------------------------------ in memory */

typedef struct {
    const nps_run *run;
    const size_t *ms1;
} run_src;

static void run_peaks(const void *src, size_t i, const double **mz, const float **in, size_t *n)
{
    const run_src *r = src;
    nps_run_peaks(r->run, r->ms1[i], mz, in, n);
}

static double run_time(const void *src, size_t i)
{
    const run_src *r = src;
    return nps_run_time(r->run, r->ms1[i]);
}

static size_t run_number(const void *src, size_t i)
{
    const run_src *r = src;
    return r->ms1[i] + 1;
}

int nps_deconvolve(nps_spectra **out, const nps_run *run, const nps_deconvolve_options *options)
{
    *out = NULL;
    nps_deconvolve_options def = NPS_DECONVOLVE_OPTIONS_INIT;
    const nps_deconvolve_options *o = options ? options : &def;
    int rc = check_options(o);
    if (rc) return rc;
    size_t n = nps_run_count(run), n1 = 0;
    for (size_t i = 0; i < n; i++) n1 += nps_run_level(run, i) == 1;
    if (n1 < 8)
        return nps_err(NPS_EINVAL, "%s: %zu MS1 scans: too few for deconvolution",
                       nps_run_name(run), n1);
    size_t *ms1 = malloc(n1 * sizeof *ms1);
    if (!ms1) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < n; i++)
        if (nps_run_level(run, i) == 1) ms1[k++] = i;
    nps_spectra *res;
    if ((rc = nps_spectra_create(&res))) {
        free(ms1);
        return rc;
    }
    run_src rs = {run, ms1};
    scan_source sc = {run_peaks, run_time, run_number, &rs};
    ctx cx;
    ctx_init(&cx, &sc, o);
    size_t W = o->window, G = margin(o);
    size_t nw = (n1 + W - 1) / W;
    win_out *wo = calloc(nw, sizeof *wo);
    if (!wo) rc = nps_err(NPS_ENOMEM, "out of memory");
    /* read by the pragma below, which the analyzer does not see */
    int threads = o->threads > 0 ? o->threads : omp_get_max_threads(); // NOLINT
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (!rc && nw > 1)
    for (size_t w = 0; w < nw; w++) {
        if (rc) continue;
        size_t w0 = w * W, w1 = w0 + W < n1 ? w0 + W : n1;
        size_t e0 = w0 > G ? w0 - G : 0, e1 = w1 + G < n1 ? w1 + G : n1;
        wo[w].rc = do_window(&wo[w], &cx, e0, e1, w0, w1);
    }
    for (size_t w = 0; w < nw && !rc; w++)
        if (wo[w].rc)
            rc = nps_err(wo[w].rc, "deconvolution of %s: out of memory", nps_run_name(run));
    /* components in retention-time order, numbered */
    size_t number = 0;
    for (size_t w = 0; w < nw; w++) {
        if (!rc)
            rc = emit(res, &number, &wo[w], nps_run_name(run));
        else {
            for (size_t i = 0; i < wo[w].n; i++) comp_free(&wo[w].c[i]);
            free(wo[w].c);
        }
    }
    free(wo);
    free(ms1);
    if (rc) {
        nps_spectra_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* ------------------------------------------------------------- streamed */

/*
 * A streamed run: MS1 scans pushed in time order are kept only until every
 * window that needs them has been processed, so memory is that of a window
 * and its margins (plus the components), not of the run. Window k (scans
 * [kW, (k+1)W), with G scans of margin each side) is processed as soon as
 * scan (k+1)W + G has arrived, with exactly the scans nps_deconvolve gives
 * it, so the components are the same as those of the run read whole.
 */
struct nps_deconvolver {
    nps_deconvolve_options o;
    char *name;
    ctx cx;
    scan_source sc;
    /* buffered scans [base, base + nb) of the MS1 scans pushed */
    size_t base, nb, nb_cap;
    double *time;
    size_t *number;
    uint64_t *off; /* nb + 1 */
    double *mz;
    float *in;
    size_t np_cap, off_cap, number_cap, in_cap;
    size_t pushed;    /* MS1 scans pushed */
    size_t next;      /* the next window to process */
    size_t processed; /* scans before this were seen by a processed window */
    size_t late;      /* scans that arrived out of order after their window */
    size_t count;     /* components emitted */
    nps_spectra *res;
    int rc;
};

static void buf_peaks(const void *src, size_t i, const double **mz, const float **in, size_t *n)
{
    const nps_deconvolver *d = src;
    size_t k = i - d->base;
    *mz = d->mz + d->off[k];
    *in = d->in + d->off[k];
    *n = (size_t)(d->off[k + 1] - d->off[k]);
}

static double buf_time(const void *src, size_t i)
{
    const nps_deconvolver *d = src;
    return d->time[i - d->base];
}

static size_t buf_number(const void *src, size_t i)
{
    const nps_deconvolver *d = src;
    return d->number[i - d->base];
}

void nps_deconvolver_free(nps_deconvolver *d)
{
    if (!d) return;
    free(d->name);
    free(d->time);
    free(d->number);
    free(d->off);
    free(d->mz);
    free(d->in);
    nps_spectra_free(d->res);
    free(d);
}

int nps_deconvolver_create(nps_deconvolver **out, const char *run_name,
                           const nps_deconvolve_options *options)
{
    *out = NULL;
    nps_deconvolve_options def = NPS_DECONVOLVE_OPTIONS_INIT;
    const nps_deconvolve_options *o = options ? options : &def;
    int rc = check_options(o);
    if (rc) return rc;
    nps_deconvolver *d = calloc(1, sizeof *d);
    if (!d) return nps_err(NPS_ENOMEM, "out of memory");
    d->o = *o;
    d->name = nps_strdup(run_name ? run_name : "run");
    d->off = malloc(sizeof *d->off);
    d->off_cap = 1;
    if (!d->name || !d->off || (rc = nps_spectra_create(&d->res))) {
        nps_deconvolver_free(d);
        return rc ? rc : nps_err(NPS_ENOMEM, "out of memory");
    }
    d->off[0] = 0;
    d->sc.peaks = buf_peaks;
    d->sc.time = buf_time;
    d->sc.number = buf_number;
    d->sc.src = d;
    ctx_init(&d->cx, &d->sc, &d->o);
    *out = d;
    return 0;
}

/* Process window k with scans [e0, e1), then drop the scans no later
 * window needs. */
static int process(nps_deconvolver *d, size_t k, size_t e1)
{
    size_t W = d->o.window, G = margin(&d->o);
    size_t w0 = k * W, w1 = w0 + W < d->pushed ? w0 + W : d->pushed;
    size_t e0 = w0 > G ? w0 - G : 0;
    win_out wo = {0};
    int rc = do_window(&wo, &d->cx, e0, e1, w0, w1);
    if (!rc) rc = emit(d->res, &d->count, &wo, d->name);
    if (rc) {
        for (size_t i = 0; i < wo.n; i++) comp_free(&wo.c[i]);
        free(wo.c);
        return rc == NPS_ENOMEM ? nps_err(rc, "deconvolution of %s: out of memory", d->name) : rc;
    }
    d->processed = e1;
    /* the next window starts its margin at w1 - G */
    size_t keep_from = w1 > G ? w1 - G : 0;
    if (keep_from > d->base) {
        size_t drop = keep_from - d->base;
        if (drop > d->nb) drop = d->nb;
        uint64_t p0 = d->off[drop];
        size_t rest = d->nb - drop;
        memmove(d->time, d->time + drop, rest * sizeof *d->time);
        memmove(d->number, d->number + drop, rest * sizeof *d->number);
        memmove(d->mz, d->mz + p0, (size_t)(d->off[d->nb] - p0) * sizeof *d->mz);
        memmove(d->in, d->in + p0, (size_t)(d->off[d->nb] - p0) * sizeof *d->in);
        for (size_t i = 0; i <= rest; i++) d->off[i] = d->off[i + drop] - p0;
        d->nb = rest;
        d->base += drop;
    }
    d->next = k + 1;
    return 0;
}

int nps_deconvolver_push(nps_deconvolver *d, size_t scan_number, double time, const double *mz,
                         const float *in, size_t n)
{
    if (d->rc) return d->rc;
    /* where the scan goes in time order among the buffered ones */
    size_t at = d->nb;
    while (at > 0 && d->time[at - 1] > time) at--;
    if (d->base + at < d->processed) {
        d->late++;
        return 0; /* its window is done: the caller reports it */
    }
    size_t np_total = (size_t)d->off[d->nb];
    if (nps_grow((void **)&d->time, &d->nb_cap, d->nb + 1, sizeof *d->time) ||
        nps_grow((void **)&d->off, &d->off_cap, d->nb + 2, sizeof *d->off) ||
        nps_grow((void **)&d->mz, &d->np_cap, np_total + n + 1, sizeof *d->mz)) {
        d->rc = nps_err(NPS_ENOMEM, "out of memory");
        return d->rc;
    }
    if (nps_grow((void **)&d->number, &d->number_cap, d->nb + 1, sizeof *d->number) ||
        nps_grow((void **)&d->in, &d->in_cap, np_total + n + 1, sizeof *d->in)) {
        d->rc = nps_err(NPS_ENOMEM, "out of memory");
        return d->rc;
    }
    /* insert at `at` (at the end unless the scan came out of order) */
    uint64_t p = d->off[at];
    memmove(d->mz + p + n, d->mz + p, (size_t)(np_total - p) * sizeof *d->mz);
    memmove(d->in + p + n, d->in + p, (size_t)(np_total - p) * sizeof *d->in);
    memmove(d->time + at + 1, d->time + at, (d->nb - at) * sizeof *d->time);
    memmove(d->number + at + 1, d->number + at, (d->nb - at) * sizeof *d->number);
    for (size_t i = d->nb + 1; i > at; i--) d->off[i] = d->off[i - 1] + n;
    if (n) {
        memcpy(d->mz + p, mz, n * sizeof *mz);
        memcpy(d->in + p, in, n * sizeof *in);
    }
    d->time[at] = time;
    d->number[at] = scan_number;
    d->nb++;
    d->pushed++;
    size_t W = d->o.window, G = margin(&d->o);
    while (!d->rc && d->pushed >= (d->next + 1) * W + G)
        d->rc = process(d, d->next, (d->next + 1) * W + G);
    return d->rc;
}

size_t nps_deconvolver_late(const nps_deconvolver *d)
{
    return d->late;
}

int nps_deconvolver_finish(nps_spectra **out, nps_deconvolver *d)
{
    *out = NULL;
    if (d->rc) return d->rc;
    if (d->pushed < 8)
        return nps_err(NPS_EINVAL, "%s: %zu MS1 scans: too few for deconvolution", d->name,
                       d->pushed);
    size_t W = d->o.window;
    while (d->next * W < d->pushed) {
        int rc = process(d, d->next, d->pushed);
        if (rc) return d->rc = rc;
    }
    *out = d->res;
    d->res = NULL;
    d->rc = NPS_EINVAL; /* finished: no more pushes */
    return 0;
}

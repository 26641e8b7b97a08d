/*
 * LC-MS/MS runs: one consensus spectrum per compound instead of one query
 * per MS2 scan. Data-dependent acquisition fragments the same precursor
 * many times while its peak elutes (and again if it is re-triggered later);
 * searching every scan multiplies the work and the report by the scan
 * count, and a single scan at the edge of the peak is noisier than what
 * the scans agree on.
 *
 * Grouping: MS2 scans sorted by precursor m/z are cut into precursor groups
 * wherever a scan's precursor lies more than precursor_tolerance above the
 * group's first (no chaining: a group is at most one tolerance wide); each
 * precursor group, in time order, is cut where the gap between successive
 * scans exceeds rt_gap minutes (a re-elution or an isomer).
 *
 * Consensus (as in the consensus spectra of spectral-library building,
 * e.g. Lam et al., Proteomics 2007, and MS-DIAL's MS2 merging): every scan
 * scaled to its base peak so that each counts once, all peaks pooled and
 * sorted, clustered left to right (a cluster holds the peaks within
 * fragment_tolerance of its first one), and a cluster kept when peaks of at
 * least min_fraction of the scans are in it: noise, which does not repeat,
 * is dropped. The cluster's m/z is the intensity-weighted mean, its
 * intensity the mean over the group's scans.
 */
#include "../core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t scan;
    double prec, t;
} ms2_t;

static int cmp_prec(const void *a, const void *b)
{
    const ms2_t *x = a, *y = b;
    if (x->prec != y->prec) return x->prec < y->prec ? -1 : 1;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->scan > y->scan) - (x->scan < y->scan);
}

static int cmp_time(const void *a, const void *b)
{
    const ms2_t *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->scan > y->scan) - (x->scan < y->scan);
}

typedef struct {
    double mz;
    float in;
    size_t scan;
} pooled;

static int cmp_pooled(const void *a, const void *b)
{
    const pooled *x = a, *y = b;
    if (x->mz != y->mz) return x->mz < y->mz ? -1 : 1;
    return (x->scan > y->scan) - (x->scan < y->scan);
}

typedef struct {
    size_t first, n; /* into the sorted scan list */
    double rt;       /* sort key: time of the most intense scan */
    double prec;
} group_t;

static int cmp_group(const void *a, const void *b)
{
    const group_t *x = a, *y = b;
    if (x->rt != y->rt) return x->rt < y->rt ? -1 : 1;
    if (x->prec != y->prec) return x->prec < y->prec ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

int nps_run_consensus(nps_spectra **out, const nps_run *run, const nps_consensus_options *options)
{
    *out = NULL;
    nps_consensus_options def = NPS_CONSENSUS_OPTIONS_INIT;
    const nps_consensus_options *o = options ? options : &def;
    if (o->version != NPS_CONSENSUS_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_consensus_options version %d not supported", o->version);
    if (!(o->precursor_tolerance > 0) || !(o->rt_gap > 0) || !(o->fragment_tolerance > 0) ||
        !(o->min_fraction >= 0 && o->min_fraction <= 1))
        return nps_err(NPS_EINVAL, "consensus options: tolerances and rt_gap must be > 0, "
                                   "min_fraction in [0, 1]");
    size_t n = nps_run_count(run), m = 0, total_peaks = 0;
    ms2_t *sc = malloc((n ? n : 1) * sizeof *sc);
    group_t *g = malloc((n ? n : 1) * sizeof *g);
    nps_spectra *res = NULL;
    pooled *pool = NULL;
    double *cm = NULL;
    float *ci = NULL;
    int rc = 0;
    if (!sc || !g) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (nps_run_level(run, i) < 2 || !isfinite(nps_run_precursor(run, i))) continue;
        const double *mz;
        const float *in;
        size_t np;
        nps_run_peaks(run, i, &mz, &in, &np);
        if (!np) continue;
        sc[m].scan = i;
        sc[m].prec = nps_run_precursor(run, i);
        sc[m].t = nps_run_time(run, i);
        total_peaks += np;
        m++;
    }
    if ((rc = nps_spectra_create(&res))) goto done;
    pool = malloc((total_peaks ? total_peaks : 1) * sizeof *pool);
    cm = malloc((total_peaks ? total_peaks : 1) * sizeof *cm);
    ci = malloc((total_peaks ? total_peaks : 1) * sizeof *ci);
    if (!pool || !cm || !ci) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto done;
    }
    qsort(sc, m, sizeof *sc, cmp_prec);
    size_t ng = 0;
    for (size_t a = 0; a < m;) {
        size_t b = a + 1;
        while (b < m && sc[b].prec - sc[a].prec <= o->precursor_tolerance) b++;
        qsort(sc + a, b - a, sizeof *sc, cmp_time);
        for (size_t s = a; s < b;) {
            size_t e = s + 1;
            while (e < b && sc[e].t - sc[e - 1].t <= o->rt_gap) e++;
            g[ng].first = s;
            g[ng].n = e - s;
            double best = -1, pw = 0, ps = 0;
            for (size_t k = s; k < e; k++) {
                const double *mz;
                const float *in;
                size_t np;
                nps_run_peaks(run, sc[k].scan, &mz, &in, &np);
                double tic = 0;
                for (size_t p = 0; p < np; p++) tic += in[p];
                if (tic > best) {
                    best = tic;
                    g[ng].rt = sc[k].t;
                }
                pw += tic * sc[k].prec;
                ps += tic;
            }
            g[ng].prec = ps > 0 ? pw / ps : sc[s].prec;
            ng++;
            s = e;
        }
        a = b;
    }
    qsort(g, ng, sizeof *g, cmp_group);
    for (size_t gi = 0; gi < ng && !rc; gi++) {
        size_t np_pool = 0;
        double t_lo = INFINITY, t_hi = -INFINITY;
        for (size_t k = g[gi].first; k < g[gi].first + g[gi].n; k++) {
            const double *mz;
            const float *in;
            size_t np;
            nps_run_peaks(run, sc[k].scan, &mz, &in, &np);
            float base = 0;
            for (size_t p = 0; p < np; p++)
                if (in[p] > base) base = in[p];
            for (size_t p = 0; p < np && base > 0; p++) {
                if (!(in[p] > 0)) continue;
                pool[np_pool].mz = mz[p];
                pool[np_pool].in = in[p] / base;
                pool[np_pool].scan = k;
                np_pool++;
            }
            if (sc[k].t < t_lo) t_lo = sc[k].t;
            if (sc[k].t > t_hi) t_hi = sc[k].t;
        }
        qsort(pool, np_pool, sizeof *pool, cmp_pooled);
        size_t nc = 0, need = (size_t)ceil(o->min_fraction * (double)g[gi].n - 1e-9);
        if (need < 1) need = 1;
        for (size_t a = 0; a < np_pool;) {
            size_t b = a + 1;
            while (b < np_pool && pool[b].mz - pool[a].mz <= o->fragment_tolerance) b++;
            /* distinct scans in the cluster (pool is sorted by m/z, scans repeat) */
            size_t distinct = 0;
            double w = 0, wm = 0;
            for (size_t k = a; k < b; k++) {
                int seen = 0;
                for (size_t q = a; q < k && !seen; q++) seen = pool[q].scan == pool[k].scan;
                distinct += !seen;
                w += pool[k].in;
                wm += pool[k].in * pool[k].mz;
            }
            if (distinct >= need && w > 0) {
                cm[nc] = wm / w;
                ci[nc] = (float)(w / (double)g[gi].n);
                nc++;
            }
            a = b;
        }
        if (!nc) continue;
        char name[128], prec[40], rt[40], range[64], scans[32], id[48];
        snprintf(name, sizeof name, "Precursor %.4f at %.3f min", g[gi].prec, g[gi].rt);
        snprintf(prec, sizeof prec, "%.6f", g[gi].prec);
        snprintf(rt, sizeof rt, "%.4f", g[gi].rt);
        snprintf(range, sizeof range, "%.4f-%.4f", t_lo, t_hi);
        snprintf(scans, sizeof scans, "%zu", g[gi].n);
        snprintf(id, sizeof id, "group_%zu", gi + 1);
        const char *keys[] = {
            NPS_KEY_ID, NPS_KEY_NAME, NPS_KEY_PRECURSOR_MZ,  NPS_KEY_RETENTION_TIME,
            "RT_range", "Scans",      NPS_KEY_SPECTRUM_TYPE, "Run"};
        const char *vals[] = {id, name, prec, rt, range, scans, "MS2", nps_run_name(run)};
        rc = nps_spectra_add(res, cm, ci, nc, keys, vals, sizeof keys / sizeof *keys);
    }
done:
    free(sc);
    free(g);
    free(pool);
    free(cm);
    free(ci);
    if (rc) {
        nps_spectra_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

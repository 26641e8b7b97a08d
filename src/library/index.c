/*
 * The inverted fragment index (after the Flash entropy search, Li & Fiehn,
 * Nature Methods 20, 1475 (2023)): every processed library peak in one array
 * sorted by m/z, with the spectrum it belongs to. A query peak then finds
 * every library peak it can match with one lookup and a contiguous scan of
 * its tolerance window, and the search touches only library spectra that
 * share at least one fragment with the query, instead of all of them.
 *
 * The index is built in memory from the processed peaks: m/z values are keyed
 * by their float32 bit patterns (which order like the numbers for m/z >= 0)
 * and sorted with a three-pass LSD radix sort (11 bits per pass), stable, so
 * equal m/z keep spectrum order; that is O(n) and takes well under a second
 * for 10^7 peaks. A table of bins of 0.01 Da gives the start of each bin so a
 * lookup is a table read plus a binary search inside one small bin.
 *
 * The entries do not record which peak they are: the sort is stable and each
 * spectrum's peaks are sorted, so a spectrum's entries come in its own peak
 * order, and one pass with a counter per spectrum recovers the peak of every
 * entry (nps_index_gather; in parallel, each thread starting its counters
 * where the entries before its block leave them).
 *
 * Precision: the index keeps m/z as float32 (exact to 0.06 ppm). It is only
 * used to find candidates: the searcher widens every window by a guard band
 * larger than the float32 rounding and scores the candidates it keeps with
 * the exact double-precision rules, so the result is that of the exhaustive
 * search (tests/test_index.c).
 */
#include "index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BIN_WIDTH 0.01

void nps_index_free(nps_fragment_index *ix)
{
    if (!ix) return;
    free(ix->mz);
    free(ix->spec);
    free(ix->bin);
    memset(ix, 0, sizeof *ix);
}

static inline uint32_t key_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

int nps_index_finish(nps_fragment_index *ix)
{
    size_t n = ix->n;
    double maxmz = n ? (double)ix->mz[n - 1] : 0;
    ix->bin_width = BIN_WIDTH;
    ix->nbins = (size_t)(maxmz / BIN_WIDTH) + 2;
    ix->bin = malloc((ix->nbins + 1) * sizeof *ix->bin);
    if (!ix->bin) return nps_err(NPS_ENOMEM, "out of memory building the fragment index");
    size_t pos = 0;
    for (size_t b = 0; b <= ix->nbins; b++) {
        double edge = (double)b * BIN_WIDTH;
        while (pos < n && (double)ix->mz[pos] < edge) pos++;
        /* float values just below a double edge may round up: step back */
        while (pos > 0 && (double)ix->mz[pos - 1] >= edge) pos--;
        ix->bin[b] = (uint32_t)pos;
    }
    return 0;
}

int nps_index_check(const nps_fragment_index *ix, const nps_spectra *proc)
{
    size_t ns = nps_spectra_count(proc), np = nps_spectra_total_peaks(proc);
    if (ix->n != np) return nps_err(NPS_ELIBRARY, "the index holds %zu peaks, not %zu", ix->n, np);
    for (size_t k = 0; k < ix->n; k++) {
        if (ix->spec[k] >= ns || !(ix->mz[k] >= 0))
            return nps_err(NPS_ELIBRARY, "index entry %zu is out of range", k);
        if (k && ix->mz[k] < ix->mz[k - 1])
            return nps_err(NPS_ELIBRARY, "index entry %zu is out of m/z order", k);
    }
    uint32_t *cnt = calloc(ns ? ns : 1, sizeof *cnt);
    if (!cnt) return nps_err(NPS_ENOMEM, "out of memory checking the fragment index");
    for (size_t k = 0; k < ix->n; k++) cnt[ix->spec[k]]++;
    int rc = 0;
    for (size_t s = 0; s < ns && !rc; s++) {
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(proc, s, &mz, &in, &n);
        if (cnt[s] != n)
            rc = nps_err(NPS_ELIBRARY,
                         "the index holds %u entries of spectrum %zu, which has %zu peaks",
                         (unsigned)cnt[s], s, n);
    }
    free(cnt);
    return rc;
}

/* Where each block of entries starts its counters: for T blocks of the
 * index, row t of the result (ns values) holds, per spectrum, the position of
 * the first of its peaks that an entry of block t stands for. */
static uint32_t *block_starts(const nps_fragment_index *ix, const nps_spectra *proc, int T)
{
    size_t ns = nps_spectra_count(proc), n = ix->n;
    uint32_t *cnt = calloc((size_t)T * (ns ? ns : 1), sizeof *cnt);
    if (!cnt) {
        nps_err(NPS_ENOMEM, "out of memory walking the fragment index");
        return NULL;
    }
#pragma omp parallel for schedule(static, 1) num_threads(T)
    for (int t = 0; t < T; t++) {
        uint32_t *c = cnt + (size_t)t * ns;
        for (size_t k = n * (size_t)t / (size_t)T; k < n * (size_t)(t + 1) / (size_t)T; k++)
            c[ix->spec[k]]++;
    }
    const double *mz0 = NULL;
    for (size_t s = 0; s < ns; s++) {
        const double *mz;
        const float *in;
        size_t np;
        nps_spectra_peaks(proc, s, &mz, &in, &np);
        if (s == 0) mz0 = mz;
        size_t at = (size_t)(mz - mz0);
        for (int t = 0; t < T; t++) {
            size_t c = cnt[(size_t)t * ns + s];
            cnt[(size_t)t * ns + s] = (uint32_t)at;
            at += c;
        }
    }
    return cnt;
}

static int blocks_for(size_t n, int nthreads)
{
    return n < ((size_t)1 << 16) || nthreads < 2 ? 1 : nthreads;
}

int nps_index_peaks(uint32_t *out, const nps_fragment_index *ix, const nps_spectra *proc)
{
    uint32_t *start = block_starts(ix, proc, 1);
    if (!start) return NPS_ENOMEM;
    for (size_t k = 0; k < ix->n; k++) out[k] = start[ix->spec[k]]++;
    free(start);
    return 0;
}

int nps_index_gather(float *out, const nps_fragment_index *ix, const nps_spectra *proc,
                     const float *by_peak, const uint32_t *map, int nthreads)
{
    const int T = blocks_for(ix->n, nthreads);
    size_t ns = nps_spectra_count(proc), n = ix->n;
    uint32_t *start = block_starts(ix, proc, T);
    if (!start) return NPS_ENOMEM;
#pragma omp parallel for schedule(static, 1) num_threads(T)
    for (int t = 0; t < T; t++) {
        uint32_t *c = start + (size_t)t * ns;
        for (size_t k = n * (size_t)t / (size_t)T; k < n * (size_t)(t + 1) / (size_t)T; k++) {
            uint32_t p = c[ix->spec[k]]++;
            out[k] = by_peak[map ? map[p] : p];
        }
    }
    free(start);
    return 0;
}

int nps_index_verify(const nps_fragment_index *ix, const nps_spectra *proc)
{
    size_t ns = nps_spectra_count(proc);
    int rc = nps_index_check(ix, proc);
    if (rc || ns == 0) return rc;
    uint32_t *peak = malloc((ix->n ? ix->n : 1) * sizeof *peak);
    if (!peak) return nps_err(NPS_ENOMEM, "out of memory");
    rc = nps_index_peaks(peak, ix, proc);
    const double *base;
    const float *in;
    size_t n;
    nps_spectra_peaks(proc, 0, &base, &in, &n);
    /* the counts agree (nps_index_check), so every peak is one entry's; the
     * m/z of each entry must be its peak's, which also fails an index whose
     * entries of one spectrum are out of peak order */
    for (size_t k = 0; k < ix->n && !rc; k++)
        if (ix->mz[k] != (float)base[peak[k]])
            rc = nps_err(NPS_ELIBRARY, "index entry %zu: m/z %.9g is not its peak's %.9g", k,
                         (double)ix->mz[k], base[peak[k]]);
    free(peak);
    return rc;
}

int nps_index_build(nps_fragment_index *ix, const nps_spectra *proc)
{
    memset(ix, 0, sizeof *ix);
    size_t n = nps_spectra_total_peaks(proc), ns = nps_spectra_count(proc);
    if (n >= UINT32_MAX || ns >= UINT32_MAX)
        return nps_err(NPS_EINVAL, "library too large for the fragment index (%zu peaks)", n);
    uint32_t *k0 = calloc(n ? n : 1, sizeof *k0), *k1 = malloc((n ? n : 1) * sizeof *k1);
    uint32_t *p0 = malloc((n ? n : 1) * sizeof *p0), *p1 = malloc((n ? n : 1) * sizeof *p1);
    uint32_t *spec_of = malloc((n ? n : 1) * sizeof *spec_of);
    size_t *count = malloc(2048 * sizeof *count);
    int rc = 0;
    if (!k0 || !k1 || !p0 || !p1 || !spec_of || !count) {
        rc = nps_err(NPS_ENOMEM, "out of memory building the fragment index");
        goto out;
    }
    const double *mz0 = NULL;
    double maxmz = 0;
    for (size_t s = 0; s < ns; s++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(proc, s, &mz, &in, &k);
        if (s == 0) mz0 = mz;
        size_t off = (size_t)(mz - mz0);
        for (size_t j = 0; j < k; j++) {
            float f = (float)mz[j];
            k0[off + j] = key_of(f);
            p0[off + j] = (uint32_t)(off + j);
            spec_of[off + j] = (uint32_t)s;
            if (mz[j] > maxmz) maxmz = mz[j];
        }
    }
    /* LSD radix sort of (key, peak) on 3 x 11 bits */
    for (int pass = 0; pass < 3; pass++) {
        int shift = 11 * pass;
        memset(count, 0, 2048 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[(k0[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (size_t b = 0; b < 2048; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t d = count[(k0[i] >> shift) & 2047]++;
            k1[d] = k0[i];
            p1[d] = p0[i];
        }
        uint32_t *t = k0;
        k0 = k1;
        k1 = t;
        t = p0;
        p0 = p1;
        p1 = t;
    }
    ix->n = n;
    /* reuse the spare buffer for the float values (they are written with memcpy
     * below, so the buffer holds float representations) */
    // cppcheck-suppress invalidPointerCast
    ix->mz = (float *)k1;
    k1 = NULL;
    ix->spec = spec_of; /* permuted in place below via k0 as scratch */
    for (size_t i = 0; i < n; i++) {
        memcpy(&ix->mz[i], &k0[i], sizeof(float));
        k0[i] = spec_of[p0[i]];
    }
    memcpy(ix->spec, k0, n * sizeof *ix->spec);
    spec_of = NULL;
    (void)maxmz;
    rc = nps_index_finish(ix);
out:
    free(k0);
    free(k1);
    free(p0);
    free(p1);
    free(spec_of);
    free(count);
    if (rc) nps_index_free(ix);
    return rc;
}

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
    free(ix->peak);
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

int nps_index_check(const nps_fragment_index *ix, size_t n_spectra, size_t n_peaks)
{
    if (ix->n != n_peaks)
        return nps_err(NPS_ELIBRARY, "the index holds %zu peaks, not %zu", ix->n, n_peaks);
    for (size_t k = 0; k < ix->n; k++) {
        if (ix->spec[k] >= n_spectra || ix->peak[k] >= n_peaks || !(ix->mz[k] >= 0))
            return nps_err(NPS_ELIBRARY, "index entry %zu is out of range", k);
        if (k && ix->mz[k] < ix->mz[k - 1])
            return nps_err(NPS_ELIBRARY, "index entry %zu is out of m/z order", k);
    }
    return 0;
}

int nps_index_verify(const nps_fragment_index *ix, const nps_spectra *proc)
{
    size_t ns = nps_spectra_count(proc), np = nps_spectra_total_peaks(proc);
    int rc = nps_index_check(ix, ns, np);
    if (rc) return rc;
    unsigned char *seen = calloc(np ? np : 1, 1);
    if (!seen) return nps_err(NPS_ENOMEM, "out of memory");
    const double *base = NULL;
    if (ns) {
        const float *in;
        size_t n;
        nps_spectra_peaks(proc, 0, &base, &in, &n);
    }
    /* nps_index_check has matched ix->n to the peak count: no peaks, no base */
    for (size_t k = 0; base && k < ix->n && !rc; k++) {
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(proc, ix->spec[k], &mz, &in, &n);
        size_t first = (size_t)(mz - base), p = ix->peak[k];
        if (p < first || p >= first + n)
            rc = nps_err(NPS_ELIBRARY, "index entry %zu: peak %zu is not in spectrum %u", k, p,
                         (unsigned)ix->spec[k]);
        else if (seen[p]++)
            rc = nps_err(NPS_ELIBRARY, "index entry %zu: peak %zu is indexed twice", k, p);
        else if (ix->mz[k] != (float)base[p])
            rc = nps_err(NPS_ELIBRARY, "index entry %zu: m/z %.9g is not the peak's %.9g", k,
                         (double)ix->mz[k], base[p]);
    }
    free(seen);
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
    ix->peak = p0;
    p0 = NULL;
    /* reuse the spare buffer for the float values (they are written with memcpy
     * below, so the buffer holds float representations) */
    // cppcheck-suppress invalidPointerCast
    ix->mz = (float *)k1;
    k1 = NULL;
    ix->spec = spec_of; /* permuted in place below via k0 as scratch */
    for (size_t i = 0; i < n; i++) {
        memcpy(&ix->mz[i], &k0[i], sizeof(float));
        k0[i] = spec_of[ix->peak[i]];
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

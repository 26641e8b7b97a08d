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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define BIN_WIDTH 0.01

void nps_index_free(nps_fragment_index *ix)
{
    if (!ix) return;
    free(ix->mz);
    free(ix->spec);
    free(ix->lib_of);
    free(ix->pos_of);
    free(ix->bin);
    memset(ix, 0, sizeof *ix);
}

static inline uint32_t key_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Entries of one m/z in ascending accumulator position. A window that holds
 * one m/z value, which is every window of a unit-mass library (most EI
 * libraries record integer m/z), then walks the accumulators forwards: the
 * hardware prefetcher follows the walk, where the random order of library
 * numbers made every entry of a common ion a cache miss. Entries of one m/z
 * differ only in their spectrum, and a spectrum's entries of one m/z value
 * are interchangeable (the peak of an entry follows from the order of its
 * spectrum's entries, nps_index_gather, so a swap swaps identical m/z), so
 * no result depends on this order. */
static void sort_ties(nps_fragment_index *ix)
{
    for (size_t i = 0, j; i < ix->n; i = j) {
        uint32_t k = key_of(ix->mz[i]);
        for (j = i + 1; j < ix->n && key_of(ix->mz[j]) == k;) j++;
        if (j - i < 2) continue;
        uint32_t *s = ix->spec + i;
        size_t m = j - i;
        if (m <= 16) {
            for (size_t a = 1; a < m; a++) { /* insertion sort: most runs are short */
                uint32_t v = s[a];
                size_t b = a;
                for (; b > 0 && s[b - 1] > v; b--) s[b] = s[b - 1];
                s[b] = v;
            }
        } else {
            qsort(s, m, sizeof *s, cmp_u32);
        }
    }
}

int nps_index_finish(nps_fragment_index *ix)
{
    size_t n = ix->n;
    sort_ties(ix);
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
        size_t r = nps_index_pos(ix, s);
        if (cnt[r] != n)
            rc = nps_err(NPS_ELIBRARY,
                         "the index holds %u entries of spectrum %zu, which has %zu peaks",
                         (unsigned)cnt[r], s, n);
    }
    free(cnt);
    return rc;
}

/* Where each block of entries starts its counters: for T blocks of the
 * index, row t of the result (ns values) holds, per spectrum (at its
 * accumulator position), the position of
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
        size_t at = (size_t)(mz - mz0), r = nps_index_pos(ix, s);
        for (int t = 0; t < T; t++) {
            size_t c = cnt[(size_t)t * ns + r];
            cnt[(size_t)t * ns + r] = (uint32_t)at;
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

/*
 * The scan order. An open search adds every entry of a query peak's window
 * into the accumulator of the entry's spectrum: thousands of entries for a
 * common fragment (m/z 91.054, 105.070, ...), each a read-modify-write of a
 * random accumulator, and with a 10^5-spectrum library the accumulators are
 * L2-resident, so each entry moves a cache line in and a dirty one out. That
 * traffic, not the arithmetic, is what the scan costs. Numbering the spectra
 * so that those sharing the frequent fragments sit together makes the
 * entries of one window fall into few lines, which then stay in L1.
 *
 * The numbering is the classic row reordering of a sparse binary matrix for
 * locality (D. Lemire, O. Kaser, E. Gutarra, "Reordering rows for better
 * compressibility of bitmap indexes", ACM TODS 37 (2012)): columns are the
 * fragment bins (0.02 Da, so a fragment's scatter between instruments stays
 * mostly in one), ranked by how many spectra hold them; each spectrum is the
 * ascending list of the ranks of its bins, and the spectra are sorted
 * lexicographically on those lists, a spectrum holding a bin before one that
 * does not. Then the spectra of the most frequent bin form one run, those of
 * the second at most two, and so on: the densest windows, which dominate the
 * cost, become the most contiguous. The order changes no result: a
 * spectrum's entries, and so the order its contributions are summed in, do
 * not depend on its number, and every result is reported by library index.
 */
#define ORDER_BIN_WIDTH 0.02

typedef struct {
    uint32_t *r; /* ascending ranks of the spectrum's bins */
    uint32_t n, id;
} order_key;

static int cmp_order_key(const void *pa, const void *pb)
{
    const order_key *a = pa, *b = pb;
    uint32_t n = a->n < b->n ? a->n : b->n;
    for (uint32_t i = 0; i < n; i++)
        if (a->r[i] != b->r[i]) return a->r[i] < b->r[i] ? -1 : 1;
    /* a prefix of the other: the other holds one more bin, and comes first */
    if (a->n != b->n) return a->n > b->n ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int cmp_bin_count(const void *pa, const void *pb)
{
    const uint32_t *a = pa, *b = pb; /* {count, bin} */
    if (a[0] != b[0]) return a[0] > b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static int scan_order(uint32_t *lib_of, const nps_spectra *proc)
{
    size_t ns = nps_spectra_count(proc), np = nps_spectra_total_peaks(proc), nbins = 1;
    for (size_t s = 0; s < ns; s++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(proc, s, &mz, &in, &k);
        /* peaks ascend: the last is the largest; far m/z share one bin */
        if (k && mz[k - 1] > 0) {
            double b = mz[k - 1] / ORDER_BIN_WIDTH;
            size_t bi = b < 1e7 ? (size_t)b : 10000000u;
            if (bi + 1 > nbins) nbins = bi + 1;
        }
    }
    uint32_t *rank = calloc(nbins, sizeof *rank);
    uint32_t *cb = malloc(2 * nbins * sizeof *cb);
    uint32_t *ranks = malloc((np ? np : 1) * sizeof *ranks);
    order_key *keys = malloc((ns ? ns : 1) * sizeof *keys);
    int rc = 0;
    if (!rank || !cb || !ranks || !keys) {
        rc = nps_err(NPS_ENOMEM, "out of memory ordering the fragment index");
        goto out;
    }
    /* each spectrum's distinct bins (ascending, as its peaks), counted */
    size_t at = 0;
    for (size_t s = 0; s < ns; s++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(proc, s, &mz, &in, &k);
        keys[s] = (order_key){ranks + at, 0, (uint32_t)s};
        for (size_t j = 0; j < k; j++) {
            double b = mz[j] > 0 ? mz[j] / ORDER_BIN_WIDTH : 0;
            uint32_t bi = b < (double)(nbins - 1) ? (uint32_t)b : (uint32_t)(nbins - 1);
            if (keys[s].n && ranks[at - 1] == bi) continue;
            ranks[at++] = bi;
            keys[s].n++;
            rank[bi]++;
        }
    }
    /* bins by decreasing count: rank[bin] becomes the bin's rank */
    for (size_t b = 0; b < nbins; b++) {
        cb[2 * b] = rank[b];
        cb[2 * b + 1] = (uint32_t)b;
    }
    qsort(cb, nbins, 2 * sizeof *cb, cmp_bin_count);
    for (size_t i = 0; i < nbins; i++) rank[cb[2 * i + 1]] = (uint32_t)i;
    for (size_t s = 0; s < ns; s++) {
        uint32_t *r = keys[s].r;
        for (uint32_t j = 0; j < keys[s].n; j++) r[j] = rank[r[j]];
        /* a short insertion sort: the ranks of one spectrum's bins */
        for (uint32_t j = 1; j < keys[s].n; j++) {
            uint32_t v = r[j], i = j;
            for (; i > 0 && r[i - 1] > v; i--) r[i] = r[i - 1];
            r[i] = v;
        }
    }
    qsort(keys, ns, sizeof *keys, cmp_order_key);
    for (size_t i = 0; i < ns; i++) lib_of[i] = keys[i].id;
out:
    free(rank);
    free(cb);
    free(ranks);
    free(keys);
    return rc;
}

/* pos_of from lib_of, checking that lib_of is a permutation of 0..ns-1
 * (NULL, with the error raised, if not). */
static uint32_t *invert_order(int *rc, const uint32_t *lib_of, size_t ns)
{
    uint32_t *pos = malloc((ns ? ns : 1) * sizeof *pos);
    if (!pos) {
        *rc = nps_err(NPS_ENOMEM, "out of memory ordering the fragment index");
        return NULL;
    }
    for (size_t i = 0; i < ns; i++) pos[i] = UINT32_MAX;
    for (size_t r = 0; r < ns; r++) {
        if (lib_of[r] >= ns || pos[lib_of[r]] != UINT32_MAX) {
            free(pos);
            *rc = nps_err(NPS_ELIBRARY, "the index's scan order is not a permutation (at %zu)", r);
            return NULL;
        }
        pos[lib_of[r]] = (uint32_t)r;
    }
    return pos;
}

int nps_index_set_order(nps_fragment_index *ix, size_t ns, uint32_t *lib_of)
{
    if (!lib_of) return 0;
    int rc = 0;
    uint32_t *pos = invert_order(&rc, lib_of, ns);
    if (!pos) return rc;
    for (size_t k = 0; k < ix->n; k++)
        if (ix->spec[k] >= ns) {
            free(pos);
            return nps_err(NPS_ELIBRARY, "index entry %zu is out of range", k);
        }
    /* a random read a stored entry (10^7 of them at 10^6 spectra): in parallel */
    const ptrdiff_t n = (ptrdiff_t)ix->n;
    uint32_t *spec = ix->spec;
#pragma omp parallel for schedule(static) if (n > 1 << 20)
    for (ptrdiff_t k = 0; k < n; k++) spec[k] = pos[spec[k]];
    free(ix->lib_of);
    free(ix->pos_of);
    ix->lib_of = lib_of;
    ix->pos_of = pos;
    ix->nspec = ns;
    return 0;
}

int nps_index_build(nps_fragment_index *ix, const nps_spectra *proc, const nps_fragment_index *like)
{
    memset(ix, 0, sizeof *ix);
    size_t n = nps_spectra_total_peaks(proc), ns = nps_spectra_count(proc);
    if (like && like->lib_of && ns != like->nspec)
        return nps_err(NPS_EINVAL,
                       "the index to share a scan order with orders %zu spectra, not %zu",
                       like->nspec, ns);
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
    if (ns && (!like || like->lib_of)) {
        uint32_t *order = malloc(ns * sizeof *order);
        if (!order) {
            rc = nps_err(NPS_ENOMEM, "out of memory ordering the fragment index");
            goto out;
        }
        if (like)
            memcpy(order, like->lib_of, ns * sizeof *order);
        else
            rc = scan_order(order, proc);
        if (!rc) rc = nps_index_set_order(ix, ns, order);
        if (rc) {
            free(order);
            goto out;
        }
    }
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

/* Private: the inverted fragment index (see index.c). */
#ifndef NPS_INDEX_H
#define NPS_INDEX_H

#include "../core/internal.h"

#include <math.h>

/*
 * The peak an entry stands for is not stored: the entries of one spectrum
 * appear in the index in that spectrum's own peak order (its peaks are
 * sorted by m/z, float32 rounding keeps that order, and the sort is stable),
 * so the j-th entry of spectrum s is its j-th peak. nps_index_peaks and
 * nps_index_gather recover it with one pass and a counter per spectrum: four
 * bytes per peak that a 10^6-spectrum library does not keep in memory.
 */
/*
 * The spectra are numbered in the index in a scan order of their own
 * (nps_index_build: spectra sharing frequent fragments numbered together),
 * so that the entries of one m/z window, which a search adds into one
 * accumulator per spectrum, land in few cache lines of the accumulators.
 * spec[k] is that number (the accumulator position); lib_of maps it to the
 * library's index and pos_of back. NULL for both: the library's own order.
 */
typedef struct {
    size_t n;         /* number of indexed peaks */
    float *mz;        /* every processed library peak, sorted by m/z */
    uint32_t *spec;   /* the accumulator position of the spectrum of each */
    uint32_t *lib_of; /* position -> library index (NULL: the same) */
    uint32_t *pos_of; /* library index -> position (NULL: the same) */
    size_t nspec;     /* the number of spectra lib_of orders */
    uint32_t *bin;    /* bin[b]: first position with mz >= b * bin_width; nbins + 1 entries */
    size_t nbins;
    double bin_width;
} nps_fragment_index;

/* Build the index of the processed spectra proc. The scan order is that of
 * `like` when given (an index of other peaks of the same spectra, e.g. their
 * losses, whose accumulators a search shares with it), else made here. */
int nps_index_build(nps_fragment_index *ix, const nps_spectra *proc,
                    const nps_fragment_index *like);
/* Adopt the scan order lib_of (ns values, NULL: the library's order) for an
 * index whose spec holds library indices (as stored in a file): checks that
 * it is a permutation and renumbers spec; lib_of is owned on success. */
int nps_index_set_order(nps_fragment_index *ix, size_t ns, uint32_t *lib_of);
/* Given n, mz and spec (as stored in a library file): build the bin table. */
int nps_index_finish(nps_fragment_index *ix);
/* Structural checks of an index read from a file: every entry in range and in
 * m/z order, and each spectrum holding as many entries as peaks (the
 * checksums of the file cover the values themselves). */
int nps_index_check(const nps_fragment_index *ix, const nps_spectra *proc);
/* out[k]: the position in the processed peak arrays of entry k. */
int nps_index_peaks(uint32_t *out, const nps_fragment_index *ix, const nps_spectra *proc);
/* out[k] = by_peak[map ? map[peak(k)] : peak(k)] for every entry k, with
 * peak(k) as nps_index_peaks gives it; in parallel over nthreads. */
int nps_index_gather(float *out, const nps_fragment_index *ix, const nps_spectra *proc,
                     const float *by_peak, const uint32_t *map, int nthreads);
/* The full invariant against the processed spectra: every peak exactly once,
 * in m/z order, with its own spectrum and float32 m/z (NPS_ELIBRARY if not). */
int nps_index_verify(const nps_fragment_index *ix, const nps_spectra *proc);
void nps_index_free(nps_fragment_index *ix);

/* The library index of accumulator position r. */
static inline size_t nps_index_lib(const nps_fragment_index *ix, size_t r)
{
    return ix->lib_of ? ix->lib_of[r] : r;
}

/* The accumulator position of library index s. */
static inline size_t nps_index_pos(const nps_fragment_index *ix, size_t s)
{
    return ix->pos_of ? ix->pos_of[s] : s;
}

/* The library index of the spectrum of entry k. */
static inline size_t nps_index_spectrum(const nps_fragment_index *ix, size_t k)
{
    return nps_index_lib(ix, ix->spec[k]);
}

/* First position whose m/z is >= mz. */
static inline size_t nps_index_lower(const nps_fragment_index *ix, double mz)
{
    if (mz <= 0) return 0;
    size_t b = (size_t)(mz / ix->bin_width);
    if (b >= ix->nbins) return ix->n;
    size_t lo = ix->bin[b], hi = ix->bin[b + 1];
    float m = (float)mz;
    if ((double)m > mz) m = nextafterf(m, 0.0f); /* never above the requested bound */
    while (lo > 0 && ix->mz[lo - 1] >= m) lo--;  /* m may round below the bin edge */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->mz[mid] < m)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First position whose m/z is above top (the end of a window). */
static inline size_t nps_index_after(const nps_fragment_index *ix, float top)
{
    if (!(top >= 0)) return 0;
    size_t b = (size_t)((double)top / ix->bin_width);
    if (b >= ix->nbins) return ix->n;
    size_t lo = ix->bin[b], hi = ix->bin[b + 1];
    /* the bin of a value at a bin edge may be off by one in either direction */
    while (lo > 0 && ix->mz[lo - 1] > top) lo--;
    while (hi < ix->n && ix->mz[hi] <= top) hi++;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->mz[mid] <= top)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif

/* Private: the inverted fragment index (see index.c). */
#ifndef NPS_INDEX_H
#define NPS_INDEX_H

#include "../core/internal.h"

#include <math.h>

typedef struct {
    size_t n;       /* number of indexed peaks */
    float *mz;      /* every processed library peak, sorted by m/z */
    uint32_t *spec; /* the spectrum of each */
    uint32_t *peak; /* its position in the processed peak arrays */
    uint32_t *bin;  /* bin[b]: first position with mz >= b * bin_width; nbins + 1 entries */
    size_t nbins;
    double bin_width;
} nps_fragment_index;

int nps_index_build(nps_fragment_index *ix, const nps_spectra *proc);
/* Given n, mz, spec and peak (as stored in a library file): build the bin table. */
int nps_index_finish(nps_fragment_index *ix);
/* Structural checks of an index read from a file: every entry in range and in
 * m/z order (the checksums of the file cover the values themselves). */
int nps_index_check(const nps_fragment_index *ix, size_t n_spectra, size_t n_peaks);
/* The full invariant against the processed spectra: every peak exactly once,
 * in m/z order, with its own spectrum and float32 m/z (NPS_ELIBRARY if not). */
int nps_index_verify(const nps_fragment_index *ix, const nps_spectra *proc);
void nps_index_free(nps_fragment_index *ix);

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

#endif

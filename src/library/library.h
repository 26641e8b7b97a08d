/* Private library internals shared by library.c and hdf5.c. */
#ifndef NPS_LIBRARY_H
#define NPS_LIBRARY_H

#include "../core/internal.h"
#include "index.h"

struct nps_library {
    nps_spectra *raw;  /* as read from the source files */
    nps_spectra *proc; /* search-ready, preprocessed with cfg */
    nps_preprocess_config cfg;
    int format_version;
    int search_only;   /* opened without the imported peaks: raw is NULL */
    int metadata_only; /* opened for the metadata: proc has no peaks, no plan can use it */
    /* a part of a split library (nps_library_open_part) holds the spectra
     * [part_first, part_first + count) of a file of part_total; a whole
     * library has part_first 0 and part_total = count */
    size_t part_first, part_total;
    char checksum[24]; /* "crc32:xxxxxxxx" of an opened file's envelope; "" in memory */
    /* the fragment index of the processed peaks: stored in the library file,
     * built when the library is created or opened from a file without one */
    nps_fragment_index ix;
};

int nps_library_alloc(nps_library **out);
/* The fragment index of the processed spectra (always present). */
const nps_fragment_index *nps_library_index(const nps_library *lib);

/* The neutral-loss spectra (losses.c): every processed spectrum with a
 * precursor P as its losses P - m for its peaks m < P, ascending; spectra
 * without a precursor have none. Same order and metadata as proc, which must
 * outlive them. (*lossmap)[k] is the processed peak of loss peak k. */
int nps_losses_build(nps_spectra **out, uint32_t **lossmap, const nps_spectra *proc);
/* Losses of one spectrum into out (capacity n): ascending; returns the count. */
size_t nps_losses_of(double *out_mz, float *out_in, uint32_t *out_src, const double *mz,
                     const float *in, size_t n, double precursor);

/* The integrity envelope (envelope.c): a 512-byte HDF5 user block with the
 * file size and CRC-32 of the rest. seal writes it into a closed file; check
 * verifies a file before HDF5 opens it. */
#define NPS_ENVELOPE_BYTES 512
int nps_envelope_seal(const char *path);
/* *crc gets the body's CRC-32 recorded in (and verified against) the header. */
int nps_envelope_check(uint32_t *crc, const char *path);

#endif

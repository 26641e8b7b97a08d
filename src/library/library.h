/* Private library internals shared by library.c and hdf5.c. */
#ifndef NPS_LIBRARY_H
#define NPS_LIBRARY_H

#include "../core/internal.h"
#include "index.h"

#include <pthread.h>

struct nps_library {
    nps_spectra *raw;  /* as read from the source files */
    nps_spectra *proc; /* search-ready, preprocessed with cfg */
    nps_preprocess_config cfg;
    int format_version;
    int search_only; /* opened without the imported peaks: raw is NULL */
    /* caches of the read-only processed peaks, built on first use and
     * guarded by one lock: the fragment index, and per-score peak weights */
    nps_fragment_index ix;
    int ix_ready;
    struct nps_lib_weights **wc;
    size_t nwc;
    /* the neutral-loss spectra (losses.c), built on first use: a library of
     * their own (search-only, sharing this one's metadata), and for each of
     * its peaks the processed peak it came from */
    nps_library *loss;
    uint32_t *lossmap;
    pthread_mutex_t ix_lock;
};

/* Library weights for one score: per processed peak (w, and v = sqrt(I) for the
 * composite), per spectrum (norm), and in fragment-index order for the
 * open-search bounds (iw; ify = iw log2 iw for the entropy scores). */
typedef struct nps_lib_weights {
    nps_score_type type;
    double mz_power, intensity_power;
    double *w, *v, *norm;
    float *iw, *ify;
    float *liw, *lify; /* the same, in the loss library's index order (hybrid bounds) */
} nps_lib_weights;

/* with_index flags of nps_library_weights */
#define NPS_WEIGHTS_INDEX 1      /* iw/ify: fragment-index order */
#define NPS_WEIGHTS_LOSS_INDEX 2 /* liw/lify: loss-index order */

int nps_library_alloc(nps_library **out);
/* The fragment index of the processed spectra, built on the first call
 * (thread-safe); it lives as long as the library. */
int nps_library_index(const nps_library *lib, const nps_fragment_index **out);
/* The weights of the processed spectra for a score (type and, for the cosine,
 * its powers), built on first use (thread-safe); with_index adds the index-order
 * arrays. They live as long as the library. */
int nps_library_weights(const nps_library *lib, const nps_score_options *so, int with_index,
                        const nps_lib_weights **out);
void nps_library_drop_caches(nps_library *lib);

/* The neutral-loss library (losses.c): every processed spectrum with a
 * precursor P as its losses P - m for its peaks m < P, ascending; spectra
 * without a precursor have none. Same order and metadata as lib; built on
 * first use (thread-safe). lossmap[k] is the processed peak of loss peak k. */
int nps_library_losses(const nps_library *lib, const nps_library **out, const uint32_t **lossmap);
int nps_library_losses_locked(nps_library *lib);
/* Losses of one spectrum into out (capacity n): ascending; returns the count. */
size_t nps_losses_of(double *out_mz, float *out_in, uint32_t *out_src, const double *mz,
                     const float *in, size_t n, double precursor);

/* The integrity envelope (envelope.c): a 512-byte HDF5 user block with the
 * file size and CRC-32 of the rest. seal writes it into a closed file; check
 * verifies a file before HDF5 opens it. */
#define NPS_ENVELOPE_BYTES 512
int nps_envelope_seal(const char *path);
int nps_envelope_check(const char *path);

#endif

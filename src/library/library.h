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
    /* the fragment index of proc, built on first use */
    nps_fragment_index ix;
    int ix_ready;
    pthread_mutex_t ix_lock;
};

int nps_library_alloc(nps_library **out);
/* The fragment index of the processed spectra, built on the first call
 * (thread-safe); it lives as long as the library. */
int nps_library_index(const nps_library *lib, const nps_fragment_index **out);

#endif

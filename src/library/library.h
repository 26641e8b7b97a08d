/* Private library internals shared by library.c and hdf5.c. */
#ifndef NPS_LIBRARY_H
#define NPS_LIBRARY_H

#include "../core/internal.h"

struct nps_library {
    nps_spectra *raw;  /* as read from the source files */
    nps_spectra *proc; /* search-ready, preprocessed with cfg */
    nps_preprocess_config cfg;
    int format_version;
};

int nps_library_alloc(nps_library **out);

#endif

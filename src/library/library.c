/*
 * The in-memory library: the spectra as imported (so that `library export`
 * gives back every peak and field) plus the search-ready copy preprocessed
 * with a recorded configuration. Keeping both costs memory but means a search
 * with other cleaning parameters can re-derive the processed copy without the
 * source files.
 */
#include "library.h"

#include <stdlib.h>

int nps_library_alloc(nps_library **out)
{
    nps_library *lib = calloc(1, sizeof *lib);
    if (!lib) return nps_err(NPS_ENOMEM, "out of memory");
    nps_preprocess_config def = NPS_PREPROCESS_CONFIG_INIT;
    lib->cfg = def;
    pthread_mutex_init(&lib->ix_lock, NULL);
    lib->format_version = NPS_LIBRARY_FORMAT_VERSION;
    *out = lib;
    return 0;
}

int nps_library_create(nps_library **out, const nps_spectra *spectra,
                       const nps_preprocess_config *config)
{
    nps_library *lib = NULL;
    int rc = nps_library_alloc(&lib);
    if (rc || !lib) return rc ? rc : NPS_ENOMEM;
    if ((rc = nps_spectra_create(&lib->raw))) goto fail;
    for (size_t i = 0; i < nps_spectra_count(spectra); i++)
        if ((rc = nps_spectra_add_from(lib->raw, spectra, i))) goto fail;
    if (config) lib->cfg = *config;
    if ((rc = nps_preprocess_spectra(&lib->proc, lib->raw, &lib->cfg))) goto fail;
    *out = lib;
    return 0;
fail:
    nps_library_free(lib);
    return rc;
}

void nps_library_free(nps_library *lib)
{
    if (!lib) return;
    nps_spectra_free(lib->raw);
    nps_spectra_free(lib->proc);
    nps_index_free(&lib->ix);
    pthread_mutex_destroy(&lib->ix_lock);
    free(lib);
}

const nps_spectra *nps_library_spectra(const nps_library *lib)
{
    return lib->raw;
}

const nps_spectra *nps_library_processed(const nps_library *lib)
{
    return lib->proc;
}

const nps_preprocess_config *nps_library_preprocessing(const nps_library *lib)
{
    return &lib->cfg;
}

int nps_library_format_version(const nps_library *lib)
{
    return lib->format_version;
}

int nps_library_reprocess(nps_library *lib, const nps_preprocess_config *config)
{
    nps_spectra *p;
    int rc = nps_preprocess_spectra(&p, lib->raw, config);
    if (rc) return rc;
    nps_spectra_free(lib->proc);
    lib->proc = p;
    lib->cfg = *config;
    pthread_mutex_lock(&lib->ix_lock);
    nps_index_free(&lib->ix);
    lib->ix_ready = 0;
    pthread_mutex_unlock(&lib->ix_lock);
    return 0;
}

int nps_library_index(const nps_library *clib, const nps_fragment_index **out)
{
    /* The index is a cache of the read-only processed peaks: building it does
     * not change what the library is, so it is done behind a lock on first
     * use rather than making every open pay for it. */
    nps_library *lib = (nps_library *)clib;
    int rc = 0;
    pthread_mutex_lock(&lib->ix_lock);
    if (!lib->ix_ready) {
        rc = nps_index_build(&lib->ix, lib->proc);
        lib->ix_ready = rc == 0;
    }
    pthread_mutex_unlock(&lib->ix_lock);
    if (!rc) *out = &lib->ix;
    return rc;
}

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
    return 0;
}

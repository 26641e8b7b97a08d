/*
 * The in-memory library: the spectra as imported (so that `library export`
 * gives back every peak and field) plus the search-ready copy preprocessed
 * with a recorded configuration. Keeping both costs memory but means a search
 * with other cleaning parameters can re-derive the processed copy without the
 * source files.
 */
#include "library.h"

#include <assert.h>
#include <math.h>
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

/* A hit names its library record by id, so ids must identify one record. */
static int unique_ids(const nps_spectra *s)
{
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        size_t first;
        int rc = nps_spectra_find(&first, s, nps_spectra_id(s, i));
        if (rc && rc != NPS_ENOTFOUND) return rc;
        if (rc == 0 && first != i)
            return nps_err(NPS_EINVAL, "records %zu and %zu share the id '%.200s'", first + 1,
                           i + 1, nps_spectra_id(s, i));
    }
    return 0;
}

static int check_peaks(const nps_spectra *s, const char *which)
{
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(s, i, &mz, &in, &n);
        for (size_t k = 0; k < n; k++)
            if (!(mz[k] >= 0) || !isfinite(mz[k]) || !(in[k] >= 0) || !isfinite(in[k]) ||
                (k && mz[k] < mz[k - 1]))
                return nps_err(NPS_ELIBRARY, "%s spectrum %zu ('%.100s'), peak %zu: %s", which,
                               i + 1, nps_spectra_id(s, i), k + 1,
                               k && mz[k] < mz[k - 1] ? "peaks out of m/z order"
                                                      : "invalid m/z or intensity");
    }
    return 0;
}

int nps_library_verify(const nps_library *lib)
{
    assert(lib);
    const nps_spectra *named = lib->raw ? lib->raw : lib->proc;
    int rc = unique_ids(named);
    if (rc == NPS_EINVAL) return nps_err(NPS_ELIBRARY, "%s", nps_error_last());
    if (rc) return rc;
    if (lib->raw && nps_spectra_count(lib->raw) != nps_spectra_count(lib->proc))
        return nps_err(NPS_ELIBRARY, "%zu spectra but %zu processed spectra",
                       nps_spectra_count(lib->raw), nps_spectra_count(lib->proc));
    if (lib->raw && (rc = check_peaks(lib->raw, "imported"))) return rc;
    if ((rc = check_peaks(lib->proc, "processed"))) return rc;
    return nps_index_verify(&lib->ix, lib->proc);
}

/*
 * Copy the spectra, giving every record a distinct id. Ids fall back to the
 * Name when a file has no accession, and a lab library may well hold two
 * spectra of one compound; a hit must still name exactly one record. The
 * k-th repeat of an id gets the DB# "<id>#k" (its own DB#, if it had one, is
 * kept as Original_DB#) and a Duplicate_Of field naming the id it repeats,
 * so the library stays searchable, every hit unambiguous, and the renaming
 * visible: build warns about it and verify reports it.
 */
static int copy_unique(nps_spectra *dst, const nps_spectra *src)
{
    size_t n = nps_spectra_count(src);
    size_t *repeats = calloc(n ? n : 1, sizeof *repeats);
    if (!repeats) return nps_err(NPS_ENOMEM, "out of memory");
    int rc = 0;
    const char **keys = NULL, **vals = NULL, **ann = NULL;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t first;
        const char *id = nps_spectra_id(src, i);
        rc = nps_spectra_find(&first, src, id);
        if (rc) break;
        if (first == i) {
            rc = nps_spectra_add_from(dst, src, i);
            continue;
        }
        char nid[600];
        size_t probe;
        do snprintf(nid, sizeof nid, "%.500s#%zu", id, ++repeats[first] + 1);
        while (nps_spectra_find(&probe, src, nid) == 0);
        size_t m = nps_spectra_meta_count(src, i);
        keys = malloc((m + 3) * sizeof *keys);
        vals = malloc((m + 3) * sizeof *vals);
        if (!keys || !vals) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
            break;
        }
        size_t k = 0;
        keys[k] = NPS_KEY_ID;
        vals[k++] = nid;
        keys[k] = NPS_KEY_DUPLICATE_OF; /* so the renaming is never silent */
        vals[k++] = id;
        for (size_t j = 0; j < m; j++) {
            nps_spectra_meta_at(src, i, j, &keys[k], &vals[k]);
            if (nps_strcaseeq(keys[k], NPS_KEY_ID)) keys[k] = "Original_DB#";
            k++;
        }
        const double *mz;
        const float *in;
        size_t np;
        nps_spectra_peaks(src, i, &mz, &in, &np);
        if (nps_spectra_has_annotations(src)) {
            ann = malloc((np ? np : 1) * sizeof *ann);
            if (!ann) {
                rc = nps_err(NPS_ENOMEM, "out of memory");
                break;
            }
            for (size_t j = 0; j < np; j++) ann[j] = nps_spectra_peak_annotation(src, i, j);
        }
        rc = nps_spectra_add_ex(dst, mz, in, np, keys, vals, k, nid, 1, ann);
        free(keys);
        free(vals);
        free(ann);
        keys = vals = ann = NULL;
    }
    free(keys);
    free(vals);
    free(repeats);
    return rc == NPS_ENOTFOUND ? nps_err(NPS_EINVAL, "record id lookup failed") : rc;
}

int nps_library_create(nps_library **out, const nps_spectra *spectra,
                       const nps_preprocess_config *config)
{
    nps_library *lib = NULL;
    int rc = nps_library_alloc(&lib);
    if (rc || !lib) return rc ? rc : NPS_ENOMEM;
    if ((rc = nps_spectra_create(&lib->raw))) goto fail;
    if ((rc = copy_unique(lib->raw, spectra))) goto fail;
    if (config) lib->cfg = *config;
    if ((rc = nps_preprocess_shared(&lib->proc, lib->raw, &lib->cfg))) goto fail;
    if ((rc = nps_index_build(&lib->ix, lib->proc, NULL))) goto fail;
    lib->part_total = nps_spectra_count(lib->proc);
    *out = lib;
    return 0;
fail:
    nps_library_free(lib);
    return rc;
}

void nps_library_free(nps_library *lib)
{
    if (!lib) return;
    nps_index_free(&lib->ix);
    nps_spectra_free(lib->raw);
    nps_spectra_free(lib->proc);
    free(lib);
}

const nps_spectra *nps_library_spectra(const nps_library *lib)
{
    return lib->search_only ? lib->proc : lib->raw;
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

int nps_library_reprocess(nps_library **out, const nps_library *lib,
                          const nps_preprocess_config *config)
{
    if (lib->search_only)
        return nps_err(NPS_EINVAL, "a library opened for search only cannot be reprocessed");
    /* the ids are unique already: nps_library_create keeps them as they are */
    return nps_library_create(out, lib->raw, config);
}

const nps_fragment_index *nps_library_index(const nps_library *lib)
{
    return &lib->ix;
}

size_t nps_library_part_first(const nps_library *lib)
{
    return lib->part_first;
}

size_t nps_library_part_total(const nps_library *lib)
{
    return lib->part_total;
}

int nps_library_metadata_only(const nps_library *lib)
{
    return lib->metadata_only;
}

const char *nps_library_checksum(const nps_library *lib)
{
    return lib ? lib->checksum : "";
}

size_t nps_library_duplicate_ids(const char **first, const nps_library *lib)
{
    const nps_spectra *s = lib->raw ? lib->raw : lib->proc;
    size_t n = 0;
    if (first) *first = NULL;
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        const char *d = nps_spectra_get(s, i, NPS_KEY_DUPLICATE_OF);
        if (!d) continue;
        if (first && !n) *first = d;
        n++;
    }
    return n;
}

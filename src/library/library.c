/*
 * The in-memory library: the spectra as imported (so that `library export`
 * gives back every peak and field) plus the search-ready copy preprocessed
 * with a recorded configuration. Keeping both costs memory but means a search
 * with other cleaning parameters can re-derive the processed copy without the
 * source files.
 */
#include "library.h"

#include "../scoring/scoring.h"

#include <assert.h>
#include <math.h>
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
    const nps_fragment_index *ix;
    if ((rc = nps_library_index(lib, &ix))) return rc;
    return nps_index_verify(ix, lib->proc);
}

/*
 * Copy the spectra, giving every record a distinct id. Ids fall back to the
 * Name when a file has no accession, and a lab library may well hold two
 * spectra of one compound; a hit must still name exactly one record. The
 * k-th repeat of an id gets the DB# "<id>#k" (its own DB#, if it had one, is
 * kept as Original_DB#), so the library stays searchable and every hit
 * unambiguous.
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
        keys = malloc((m + 2) * sizeof *keys);
        vals = malloc((m + 2) * sizeof *vals);
        if (!keys || !vals) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
            break;
        }
        size_t k = 0;
        keys[k] = NPS_KEY_ID;
        vals[k++] = nid;
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
    *out = lib;
    return 0;
fail:
    nps_library_free(lib);
    return rc;
}

void nps_library_free(nps_library *lib)
{
    if (!lib) return;
    nps_library_drop_caches(lib);
    nps_spectra_free(lib->raw);
    nps_spectra_free(lib->proc);
    pthread_mutex_destroy(&lib->ix_lock);
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

int nps_library_reprocess(nps_library *lib, const nps_preprocess_config *config)
{
    if (lib->search_only)
        return nps_err(NPS_EINVAL, "a library opened for search only cannot be reprocessed");
    nps_spectra *p;
    int rc = nps_preprocess_shared(&p, lib->raw, config);
    if (rc) return rc;
    nps_spectra_free(lib->proc);
    lib->proc = p;
    lib->cfg = *config;
    nps_library_drop_caches(lib);
    return 0;
}

void nps_library_drop_caches(nps_library *lib)
{
    pthread_mutex_lock(&lib->ix_lock);
    nps_index_free(&lib->ix);
    lib->ix_ready = 0;
    for (size_t i = 0; i < lib->nwc; i++) {
        free(lib->wc[i]->w);
        free(lib->wc[i]->v);
        free(lib->wc[i]->norm);
        free(lib->wc[i]->iw);
        free(lib->wc[i]->ify);
        free(lib->wc[i]->liw);
        free(lib->wc[i]->lify);
        free(lib->wc[i]);
    }
    free(lib->wc);
    lib->wc = NULL;
    lib->nwc = 0;
    nps_library_free(lib->loss);
    lib->loss = NULL;
    free(lib->lossmap);
    lib->lossmap = NULL;
    pthread_mutex_unlock(&lib->ix_lock);
}

static int build_weights(nps_library *lib, nps_lib_weights *lw, const nps_score_options *so)
{
    const nps_spectra *p = lib->proc;
    size_t P = nps_spectra_total_peaks(p), n = nps_spectra_count(p);
    int comp = so->type == NPS_SCORE_COMPOSITE; /* only the composite needs sqrt(I) */
    lw->w = malloc((P ? P : 1) * sizeof(double));
    lw->v = comp ? malloc((P ? P : 1) * sizeof(double)) : NULL;
    lw->norm = malloc((n ? n : 1) * sizeof(double));
    if (!lw->w || (comp && !lw->v) || !lw->norm) return nps_err(NPS_ENOMEM, "out of memory");
    const double *mz0 = NULL;
    const float *i0;
    size_t k0;
    if (n) nps_spectra_peaks(p, 0, &mz0, &i0, &k0);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(p, i, &mz, &in, &k);
        size_t off = (size_t)(mz - mz0);
        lw->norm[i] = nps_score_prepare(lw->w + off, comp ? lw->v + off : NULL, mz, in, k, so);
    }
    return 0;
}

static int build_index_weights(nps_library *lib, nps_lib_weights *lw)
{
    if (!lib->ix_ready) {
        int rc = nps_index_build(&lib->ix, lib->proc);
        if (rc) return rc;
        lib->ix_ready = 1;
    }
    const nps_fragment_index *ix = &lib->ix;
    int normed = lw->type == NPS_SCORE_COSINE || lw->type == NPS_SCORE_COMPOSITE;
    lw->iw = malloc((ix->n ? ix->n : 1) * sizeof(float));
    if (!normed) lw->ify = malloc((ix->n ? ix->n : 1) * sizeof(float));
    if (!lw->iw || (!normed && !lw->ify)) return nps_err(NPS_ENOMEM, "out of memory");
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < ix->n; k++) {
        double w = lw->w[ix->peak[k]];
        if (normed) {
            double nr = lw->norm[ix->spec[k]];
            w = nr > 0 ? w / nr : 0;
        }
        lw->iw[k] = (float)w;
        if (!normed) lw->ify[k] = (float)(w > 0 ? w * log2(w) : 0);
    }
    return 0;
}

/* Weights in the loss library's index order: entry k is the loss of
 * processed peak lossmap[peak[k]], weighted as that fragment. */
static int build_loss_index_weights(nps_library *lib, nps_lib_weights *lw)
{
    int rc = nps_library_losses_locked(lib);
    const nps_fragment_index *lx = NULL;
    if (!rc) rc = nps_library_index(lib->loss, &lx);
    if (rc) return rc;
    int normed = lw->type == NPS_SCORE_COSINE || lw->type == NPS_SCORE_COMPOSITE;
    lw->liw = malloc((lx->n ? lx->n : 1) * sizeof(float));
    if (!normed) lw->lify = malloc((lx->n ? lx->n : 1) * sizeof(float));
    if (!lw->liw || (!normed && !lw->lify)) return nps_err(NPS_ENOMEM, "out of memory");
    const uint32_t *map = lib->lossmap;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < lx->n; k++) {
        double w = lw->w[map[lx->peak[k]]];
        if (normed) {
            double nr = lw->norm[lx->spec[k]];
            w = nr > 0 ? w / nr : 0;
        }
        lw->liw[k] = (float)w;
        if (!normed) lw->lify[k] = (float)(w > 0 ? w * log2(w) : 0);
    }
    return 0;
}

int nps_library_weights(const nps_library *clib, const nps_score_options *so, int with_index,
                        const nps_lib_weights **out)
{
    nps_library *lib = (nps_library *)clib; /* caches only; see nps_library_index */
    int cos = so->type == NPS_SCORE_COSINE, rc = 0;
    double a = cos ? so->mz_power : 0, b = cos ? so->intensity_power : 0;
    pthread_mutex_lock(&lib->ix_lock);
    nps_lib_weights *lw = NULL;
    for (size_t i = 0; i < lib->nwc && !lw; i++)
        if (lib->wc[i]->type == so->type && lib->wc[i]->mz_power == a &&
            lib->wc[i]->intensity_power == b)
            lw = lib->wc[i];
    if (!lw) {
        nps_lib_weights **grown = realloc(lib->wc, (lib->nwc + 1) * sizeof(nps_lib_weights *));
        lw = calloc(1, sizeof *lw);
        if (!grown || !lw) {
            if (grown) lib->wc = grown;
            free(lw);
            pthread_mutex_unlock(&lib->ix_lock);
            return nps_err(NPS_ENOMEM, "out of memory");
        }
        lib->wc = grown;
        lw->type = so->type;
        lw->mz_power = a;
        lw->intensity_power = b;
        rc = build_weights(lib, lw, so);
        lib->wc[lib->nwc++] = lw;          /* freed with the caches, complete or not */
        if (rc) lw->type = NPS_SCORE_AUTO; /* never matched again */
    }
    if (!rc && (with_index & NPS_WEIGHTS_INDEX) && !lw->iw) rc = build_index_weights(lib, lw);
    if (!rc && (with_index & NPS_WEIGHTS_LOSS_INDEX) && !lw->liw)
        rc = build_loss_index_weights(lib, lw);
    pthread_mutex_unlock(&lib->ix_lock);
    if (!rc) *out = lw;
    return rc;
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

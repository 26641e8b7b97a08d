/*
 * The HDF5 library file (schema: docs/library-format.md).
 *
 * Everything is stored as flat, concatenated arrays with offsets, the same
 * layout as in memory, so opening a library is a few bulk reads rather than
 * a parse: peaks (m/z float64, intensity float32) of the imported spectra and
 * of their preprocessed copy, per-spectrum metadata as "key\0value\0" byte
 * runs, and convenience columns (id, name, InChIKey, formula, class,
 * precursor m/z, kind) for readers such as h5py. Every dataset is chunked with
 * HDF5's Fletcher-32 checksum filter, so a flipped bit is detected by HDF5 on
 * read. The preprocessing parameters and the format version are attributes.
 *
 * The file starts with a 512-byte integrity envelope (envelope.c: size and
 * CRC-32, checked before HDF5 reads anything), and is written to a temporary
 * name, sealed, fsync'ed and renamed, so a writer killed midway leaves any
 * previous library intact. HDF5 is used
 * from one thread only: a library is read completely, then searched.
 */
#include "library.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_NAME "npsmatch-library"

static void quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ---------------------------------------------------------------- write */

static int write_ds(hid_t loc, const char *name, hid_t type, const void *data, size_t n)
{
    hsize_t dims[1] = {n}, maxd[1] = {H5S_UNLIMITED};
    hsize_t chunk[1] = {n < 1 ? 1 : n > (1u << 18) ? (1u << 18) : n};
    hid_t sp = H5Screate_simple(1, dims, maxd);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 1, chunk);
    H5Pset_fletcher32(pl);
    hid_t ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : 0;
    if (ds >= 0 && n > 0) st = H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(pl);
    H5Sclose(sp);
    return st < 0 ? nps_err(NPS_EIO, "HDF5: cannot write dataset '%s'", name) : 0;
}

static int attr_double(hid_t loc, const char *name, double v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return st < 0 ? nps_err(NPS_EIO, "HDF5: cannot write attribute '%s'", name) : 0;
}

static int attr_int(hid_t loc, const char *name, long long v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_NATIVE_LLONG, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_LLONG, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return st < 0 ? nps_err(NPS_EIO, "HDF5: cannot write attribute '%s'", name) : 0;
}

static int attr_str(hid_t loc, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v) + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, t, v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return st < 0 ? nps_err(NPS_EIO, "HDF5: cannot write attribute '%s'", name) : 0;
}

static int write_peaks(hid_t g, const nps_spectra *s)
{
    size_t n = nps_spectra_count(s), P = nps_spectra_total_peaks(s);
    uint64_t *off = malloc((n + 1) * sizeof *off);
    if (!off) return nps_err(NPS_ENOMEM, "out of memory");
    off[0] = 0;
    const double *mz0 = NULL;
    const float *in0 = NULL;
    for (size_t i = 0; i < n; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(s, i, &mz, &in, &k);
        if (i == 0) {
            mz0 = mz;
            in0 = in;
        }
        off[i + 1] = off[i] + k;
    }
    int rc = write_ds(g, "peak_offsets", H5T_NATIVE_UINT64, off, n + 1);
    /* peaks of a collection are contiguous in spectrum order */
    if (!rc) rc = write_ds(g, "mz", H5T_NATIVE_DOUBLE, mz0, P);
    if (!rc) rc = write_ds(g, "intensity", H5T_NATIVE_FLOAT, in0, P);
    free(off);
    return rc;
}

/* A string column: byte offsets (n + 1) and the NUL-separated text. */
static int write_string_column(hid_t parent, const char *name, const nps_spectra *s,
                               const char *(*get)(const nps_spectra *, size_t, const void *),
                               const void *arg)
{
    size_t n = nps_spectra_count(s), len = 0, cap = 0;
    char *text = NULL;
    uint64_t *off = malloc((n + 1) * sizeof *off);
    if (!off) return nps_err(NPS_ENOMEM, "out of memory");
    int rc = 0;
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = get(s, i, arg);
        size_t l = strlen(v ? v : "") + 1;
        if ((rc = nps_grow((void **)&text, &cap, len + l, 1))) goto out;
        memcpy(text + len, v ? v : "", l);
        len += l;
        off[i + 1] = len;
    }
    hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        rc = nps_err(NPS_EIO, "HDF5: cannot create group '%s'", name);
        goto out;
    }
    rc = write_ds(g, "offsets", H5T_NATIVE_UINT64, off, n + 1);
    if (!rc) rc = write_ds(g, "text", H5T_NATIVE_CHAR, text, len);
    H5Gclose(g);
out:
    free(off);
    free(text);
    return rc;
}

static const char *get_key(const nps_spectra *s, size_t i, const void *key)
{
    return nps_spectra_get(s, i, key);
}

static const char *get_id(const nps_spectra *s, size_t i, const void *unused)
{
    (void)unused;
    return nps_spectra_id(s, i);
}

/* Per-peak annotations, when the spectra have any: "text\0" per peak (empty:
 * none) and P + 1 offsets. */
static int write_annotations(hid_t g, const nps_spectra *s)
{
    if (!nps_spectra_has_annotations(s)) return 0;
    size_t P = nps_spectra_total_peaks(s), len = 0, cap = 0, p = 0;
    uint64_t *off = malloc((P + 1) * sizeof *off);
    char *text = NULL;
    int rc = 0;
    if (!off) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(s, i, &mz, &in, &n);
        for (size_t k = 0; k < n; k++, p++) {
            const char *a = nps_spectra_peak_annotation(s, i, k);
            size_t l = a ? strlen(a) + 1 : 1;
            if ((rc = nps_grow((void **)&text, &cap, len + l, 1))) goto out;
            memcpy(text + len, a ? a : "", l);
            off[p] = len;
            len += l;
        }
    }
    off[P] = len;
    rc = write_ds(g, "peak_annotation_offsets", H5T_NATIVE_UINT64, off, P + 1);
    if (!rc) rc = write_ds(g, "peak_annotations", H5T_NATIVE_CHAR, text, len);
out:
    free(off);
    free(text);
    return rc;
}

static int write_meta(hid_t g, const nps_spectra *s)
{
    size_t n = nps_spectra_count(s), len = 0, cap = 0;
    char *text = NULL;
    uint64_t *off = malloc((n + 1) * sizeof *off);
    double *prec = malloc((n ? n : 1) * sizeof *prec);
    unsigned char *kind = malloc(n ? n : 1);
    int rc = 0;
    if (!off || !prec || !kind) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < nps_spectra_meta_count(s, i); j++) {
            const char *k, *v;
            nps_spectra_meta_at(s, i, j, &k, &v);
            size_t kl = strlen(k) + 1, vl = strlen(v) + 1;
            if ((rc = nps_grow((void **)&text, &cap, len + kl + vl, 1))) goto out;
            memcpy(text + len, k, kl);
            memcpy(text + len + kl, v, vl);
            len += kl + vl;
        }
        off[i + 1] = len;
        prec[i] = nps_spectra_precursor_mz(s, i);
        kind[i] = (unsigned char)nps_spectra_kind(s, i);
    }
    rc = write_ds(g, "meta_offsets", H5T_NATIVE_UINT64, off, n + 1);
    if (!rc) rc = write_ds(g, "meta", H5T_NATIVE_CHAR, text, len);
    if (!rc) rc = write_ds(g, "precursor_mz", H5T_NATIVE_DOUBLE, prec, n);
    if (!rc) rc = write_ds(g, "kind", H5T_NATIVE_UCHAR, kind, n);
out:
    free(off);
    free(prec);
    free(kind);
    free(text);
    return rc;
}

static int write_params(hid_t g, const char *prefix, const nps_preprocess_options *o)
{
    char name[64];
    int rc = 0;
#define P(field, fn, val)                                                                          \
    if (!rc) {                                                                                     \
        snprintf(name, sizeof name, "%s_%s", prefix, field);                                       \
        rc = fn(g, name, val);                                                                     \
    }
    P("raw", attr_int, o->raw);
    P("unit_mass", attr_int, o->unit_mass);
    P("min_mz", attr_double, o->min_mz);
    P("precursor_removal", attr_double, o->precursor_removal);
    P("merge_tolerance", attr_double, o->merge_tolerance);
    P("merge_tolerance_ppm", attr_double, o->merge_tolerance_ppm);
    P("noise", attr_double, o->noise);
    P("max_peaks", attr_int, (long long)o->max_peaks);
    P("normalize", attr_int, (long long)o->normalize);
#undef P
    return rc;
}

/* Attributes carry no HDF5 checksum, so the preprocessing parameters get one
 * of their own: FNV-1a over a canonical text rendering. */
static uint64_t params_checksum(const nps_preprocess_config *c)
{
    char buf[512];
    const nps_preprocess_options *o[2] = {&c->ei, &c->msms};
    size_t k = 0;
    for (int i = 0; i < 2; i++)
        k += (size_t)snprintf(
            buf + k, sizeof buf - k, "%d %d %.17g %.17g %.17g %.17g %.17g %zu %d;", o[i]->raw,
            o[i]->unit_mass, o[i]->min_mz, o[i]->precursor_removal, o[i]->merge_tolerance,
            o[i]->merge_tolerance_ppm, o[i]->noise, o[i]->max_peaks, (int)o[i]->normalize);
    return nps_hash_str(buf);
}

/* The "peak" column of the index group: each entry's position in the
 * processed peak arrays, derived (index.h) and written for the format. */
static int write_index_peaks(hid_t g, const nps_fragment_index *ix, const nps_spectra *proc)
{
    uint32_t *peak = malloc((ix->n ? ix->n : 1) * sizeof *peak);
    if (!peak) return nps_err(NPS_ENOMEM, "out of memory");
    int rc = nps_index_peaks(peak, ix, proc);
    if (!rc) rc = write_ds(g, "peak", H5T_NATIVE_UINT32, peak, ix->n);
    free(peak);
    return rc;
}

/* The "spectrum" column: each entry's library index (the format's meaning;
 * in memory the index holds accumulator positions, index.h). */
static int write_index_spectra(hid_t g, const nps_fragment_index *ix)
{
    if (!ix->lib_of) return write_ds(g, "spectrum", H5T_NATIVE_UINT32, ix->spec, ix->n);
    uint32_t *sp = malloc((ix->n ? ix->n : 1) * sizeof *sp);
    if (!sp) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t k = 0; k < ix->n; k++) sp[k] = (uint32_t)nps_index_spectrum(ix, k);
    int rc = write_ds(g, "spectrum", H5T_NATIVE_UINT32, sp, ix->n);
    free(sp);
    return rc;
}

static int save_to(const nps_library *lib, const char *path)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_userblock(fcpl, NPS_ENVELOPE_BYTES); /* room for the integrity envelope */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (f < 0) return nps_err(NPS_EIO, "%s: cannot create HDF5 file", path);
    int rc = attr_str(f, "format", FORMAT_NAME);
    if (!rc) rc = attr_int(f, "format_version", NPS_LIBRARY_FORMAT_VERSION);
    if (!rc) rc = attr_str(f, "software", "npsmatch " NPS_VERSION_STRING);
    if (!rc) rc = attr_int(f, "n_spectra", (long long)nps_spectra_count(lib->raw));
    hid_t g = H5Gcreate2(f, "spectra", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc) rc = write_peaks(g, lib->raw);
    if (!rc) rc = write_meta(g, lib->raw);
    if (!rc) rc = write_annotations(g, lib->raw);
    H5Gclose(g);
    g = H5Gcreate2(f, "processed", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc) rc = write_peaks(g, lib->proc);
    if (!rc) rc = write_params(g, "ei", &lib->cfg.ei);
    if (!rc) rc = write_params(g, "msms", &lib->cfg.msms);
    if (!rc) rc = attr_int(g, "params_checksum", (long long)params_checksum(&lib->cfg));
    H5Gclose(g);
    /* the fragment index, so that a search does not have to build it */
    const nps_fragment_index *ix = nps_library_index(lib);
    g = H5Gcreate2(f, "index", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc) rc = write_ds(g, "mz", H5T_NATIVE_FLOAT, ix->mz, ix->n);
    if (!rc) rc = write_index_spectra(g, ix);
    if (!rc) rc = write_index_peaks(g, ix, lib->proc);
    if (!rc && ix->lib_of)
        rc = write_ds(g, "order", H5T_NATIVE_UINT32, ix->lib_of, nps_spectra_count(lib->proc));
    H5Gclose(g);
    g = H5Gcreate2(f, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc) rc = write_string_column(g, "id", lib->raw, get_id, NULL);
    static const char *const cols[][2] = {{"name", NPS_KEY_NAME},
                                          {"inchikey", NPS_KEY_INCHIKEY},
                                          {"formula", NPS_KEY_FORMULA},
                                          {"class", NPS_KEY_CLASS}};
    for (size_t c = 0; c < 4 && !rc; c++)
        rc = write_string_column(g, cols[c][0], lib->raw, get_key, cols[c][1]);
    H5Gclose(g);
    if (H5Fclose(f) < 0 && !rc) rc = nps_err(NPS_EIO, "%s: cannot close HDF5 file", path);
    return rc;
}

int nps_library_save(const nps_library *lib, const char *path)
{
    if (lib->search_only)
        return nps_err(NPS_EINVAL, "a library opened for search only cannot be saved");
    quiet();
    nps_output *o;
    int rc = nps_output_open_path(&o, path);
    if (rc) return rc;
    rc = save_to(lib, nps_output_write_path(o));
    if (!rc) rc = nps_envelope_seal(nps_output_write_path(o)); /* header last, then fsync */
    if (rc) {
        nps_output_discard(o);
        return rc;
    }
    return nps_output_commit(o);
    return rc;
}

/* ----------------------------------------------------------------- read */

static int read_ds(hid_t loc, const char *name, hid_t type, size_t elem, void **data, size_t *n,
                   const char *path)
{
    *data = NULL;
    *n = 0;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return nps_err(NPS_ELIBRARY, "%s: missing dataset '%s'", path, name);
    hid_t sp = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    if (rank != 1) {
        H5Sclose(sp);
        H5Dclose(ds);
        return nps_err(NPS_ELIBRARY, "%s: dataset '%s' is not one-dimensional", path, name);
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    void *buf = malloc(dims[0] ? dims[0] * elem : 1);
    if (!buf) {
        H5Dclose(ds);
        return nps_err(NPS_ENOMEM, "%s: out of memory reading '%s'", path, name);
    }
    herr_t st = dims[0] ? H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Dclose(ds);
    if (st < 0) {
        free(buf);
        return nps_err(NPS_ELIBRARY, "%s: dataset '%s' is unreadable or fails its checksum", path,
                       name);
    }
    *data = buf;
    *n = (size_t)dims[0];
    return 0;
}

/* The length of a one-dimensional dataset, without reading it. */
static int ds_length(hid_t loc, const char *name, size_t *n, const char *path)
{
    *n = 0;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return nps_err(NPS_ELIBRARY, "%s: missing dataset '%s'", path, name);
    hid_t sp = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    if (rank == 1) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(ds);
    if (rank != 1)
        return nps_err(NPS_ELIBRARY, "%s: dataset '%s' is not one-dimensional", path, name);
    *n = (size_t)dims[0];
    return 0;
}

/* Elements [start, start + count) of a one-dimensional dataset (a hyperslab:
 * HDF5 reads only the chunks that hold them, and checks their checksums). */
static int read_ds_range(hid_t loc, const char *name, hid_t type, size_t elem, size_t start,
                         size_t count, void **data, const char *path)
{
    *data = NULL;
    size_t len;
    int rc = ds_length(loc, name, &len, path);
    if (rc) return rc;
    if (start > len || count > len - start)
        return nps_err(NPS_ELIBRARY, "%s: dataset '%s' is shorter than its offsets say", path,
                       name);
    void *buf = malloc(count ? count * elem : 1);
    if (!buf) return nps_err(NPS_ENOMEM, "%s: out of memory reading '%s'", path, name);
    if (count) {
        hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
        hid_t fs = H5Dget_space(ds);
        hsize_t st[1] = {start}, ct[1] = {count};
        hid_t ms = H5Screate_simple(1, ct, NULL);
        herr_t e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL);
        if (e >= 0) e = H5Dread(ds, type, ms, fs, H5P_DEFAULT, buf);
        H5Sclose(ms);
        H5Sclose(fs);
        H5Dclose(ds);
        if (e < 0) {
            free(buf);
            return nps_err(NPS_ELIBRARY, "%s: dataset '%s' is unreadable or fails its checksum",
                           path, name);
        }
    }
    *data = buf;
    return 0;
}

static int read_attr_ll(hid_t loc, const char *name, long long *v)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_LLONG, v);
    if (a >= 0) H5Aclose(a);
    return st < 0 ? -1 : 0;
}

static int read_attr_d(hid_t loc, const char *name, double *v)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_DOUBLE, v);
    if (a >= 0) H5Aclose(a);
    return st < 0 ? -1 : 0;
}

static int read_params(hid_t g, const char *prefix, nps_preprocess_options *o, const char *path)
{
    char name[64];
    long long v;
    int bad = 0;
#define RI(field, dst)                                                                             \
    snprintf(name, sizeof name, "%s_%s", prefix, field);                                           \
    if (read_attr_ll(g, name, &v))                                                                 \
        bad = 1;                                                                                   \
    else                                                                                           \
        (dst) = v;
#define RD(field, dst)                                                                             \
    snprintf(name, sizeof name, "%s_%s", prefix, field);                                           \
    if (read_attr_d(g, name, &(dst))) bad = 1;
    RI("raw", o->raw);
    RI("unit_mass", o->unit_mass);
    RD("min_mz", o->min_mz);
    RD("precursor_removal", o->precursor_removal);
    RD("merge_tolerance", o->merge_tolerance);
    RD("merge_tolerance_ppm", o->merge_tolerance_ppm);
    RD("noise", o->noise);
    RI("max_peaks", o->max_peaks);
    RI("normalize", o->normalize);
#undef RI
#undef RD
    if (bad) return nps_err(NPS_ELIBRARY, "%s: missing preprocessing attributes", path);
    return 0;
}

static int check_offsets(const uint64_t *off, size_t noff, size_t n, size_t total, const char *path,
                         const char *what)
{
    if (noff != n + 1 || off[0] != 0 || off[n] != total)
        return nps_err(NPS_ELIBRARY, "%s: %s offsets inconsistent with the data", path, what);
    for (size_t i = 0; i < n; i++)
        if (off[i + 1] < off[i])
            return nps_err(NPS_ELIBRARY, "%s: %s offsets not monotonic at %zu", path, what, i);
    return 0;
}

/* Read the stored fragment index, when the file has one (older files do not:
 * the index is then built from the processed peaks, once, at open). */
static int read_index(nps_library *lib, hid_t f, const char *path)
{
    if (H5Lexists(f, "index", H5P_DEFAULT) <= 0) return nps_index_build(&lib->ix, lib->proc, NULL);
    hid_t g = H5Gopen2(f, "index", H5P_DEFAULT);
    if (g < 0) return nps_err(NPS_ELIBRARY, "%s: unreadable group /index", path);
    nps_fragment_index *ix = &lib->ix;
    void *mz = NULL, *spec = NULL;
    size_t n1 = 0, n2 = 0;
    /* the file's "peak" column is not read: it follows from the order of the
     * entries (index.h), and is written for readers that expect it */
    int rc = read_ds(g, "mz", H5T_NATIVE_FLOAT, 4, &mz, &n1, path);
    if (!rc) rc = read_ds(g, "spectrum", H5T_NATIVE_UINT32, 4, &spec, &n2, path);
    /* the scan order (index.c), optional: without it, the library's own */
    void *order = NULL;
    size_t n3 = 0, ns = nps_spectra_count(lib->proc);
    if (!rc && H5Lexists(g, "order", H5P_DEFAULT) > 0)
        rc = read_ds(g, "order", H5T_NATIVE_UINT32, 4, &order, &n3, path);
    H5Gclose(g);
    ix->mz = mz;
    ix->spec = spec;
    ix->n = n1;
    if (!rc && n2 != n1) rc = nps_err(NPS_ELIBRARY, "%s: index sizes disagree", path);
    if (!rc && order && n3 != ns)
        rc = nps_err(NPS_ELIBRARY, "%s: the index's scan order holds %zu spectra, not %zu", path,
                     n3, ns);
    if (!rc && order) {
        rc = nps_index_set_order(ix, ns, order);
        if (!rc) order = NULL;
    }
    free(order);
    if (!rc) rc = nps_index_check(ix, lib->proc);
    if (!rc) rc = nps_index_finish(ix);
    if (rc) {
        nps_index_free(ix);
        if (rc != NPS_ENOMEM && rc != NPS_ELIBRARY)
            rc = nps_err(NPS_ELIBRARY, "%s: invalid index: %s", path, nps_error_last());
        else if (rc == NPS_ELIBRARY && !strstr(nps_error_last(), path))
            rc = nps_err(NPS_ELIBRARY, "%s: %s", path, nps_error_last());
        return rc;
    }
    return 0;
}

int nps_library_open(nps_library **out, const char *path)
{
    return nps_library_open_ex(out, path, 0);
}

int nps_library_sniff(int *is_library, const char *path)
{
    if (!is_library || !path) return nps_err(NPS_EINVAL, "nps_library_sniff: NULL argument");
    *is_library = 0;
    /* only a regular file: opening a FIFO here would consume (or wait for)
     * bytes that a spectra reader needs */
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    unsigned char head[NPS_LIBRARY_SNIFF_BYTES];
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    *is_library = nps_library_signature(head, got);
    return 0;
}

/* A slice of the library for one process of a split search (n_parts > 0:
 * part `part` of n_parts, search-ready peaks and metadata), or every record's
 * metadata with no peaks (NPS_LIBRARY_METADATA_ONLY). The offsets are read
 * whole (8 bytes a spectrum); the peaks and text of the slice alone, as
 * hyperslabs. The stored fragment index covers the whole library, so a part
 * builds its own. */
static int read_slice(nps_library *lib, hid_t g, hid_t gp, long long nsp, size_t part,
                      size_t n_parts, int metadata_only, const char *path)
{
    void *moff = NULL, *poff = NULL, *meta = NULL, *pmz = NULL, *pin = NULL;
    size_t nmoff = 0, npoff = 0, nmeta = 0, npmz = 0, npin = 0;
    size_t *ppo = NULL, *mo = NULL;
    int rc;
    if ((rc = read_ds(g, "meta_offsets", H5T_NATIVE_UINT64, 8, &moff, &nmoff, path)) ||
        (rc = read_ds(gp, "peak_offsets", H5T_NATIVE_UINT64, 8, &poff, &npoff, path)) ||
        (rc = ds_length(g, "meta", &nmeta, path)) || (rc = ds_length(gp, "mz", &npmz, path)) ||
        (rc = ds_length(gp, "intensity", &npin, path)))
        goto out;
    size_t n = npoff ? npoff - 1 : 0;
    if (npoff == 0 || nmoff != npoff || (nsp >= 0 && (size_t)nsp != n) || npmz != npin) {
        rc = nps_err(NPS_ELIBRARY, "%s: dataset sizes disagree", path);
        goto out;
    }
    if ((rc = check_offsets(moff, nmoff, n, nmeta, path, "metadata")) ||
        (rc = check_offsets(poff, npoff, n, npmz, path, "processed peak")))
        goto out;
    /* part p of N: [floor(p n / N), floor((p + 1) n / N)), the rule of nps_shard_make */
    size_t first = 0, end = n;
    if (n_parts) {
        first = (size_t)(((unsigned long long)part * n) / n_parts);
        end = (size_t)(((unsigned long long)(part + 1) * n) / n_parts);
    }
    const uint64_t *M = moff, *P = poff;
    size_t cnt = end - first, t0 = (size_t)M[first], tlen = (size_t)(M[end] - M[first]);
    size_t p0 = metadata_only ? 0 : (size_t)P[first];
    size_t plen = metadata_only ? 0 : (size_t)(P[end] - P[first]);
    if ((rc = read_ds_range(g, "meta", H5T_NATIVE_CHAR, 1, t0, tlen, &meta, path)) ||
        (rc = read_ds_range(gp, "mz", H5T_NATIVE_DOUBLE, 8, p0, plen, &pmz, path)) ||
        (rc = read_ds_range(gp, "intensity", H5T_NATIVE_FLOAT, 4, p0, plen, &pin, path)))
        goto out;
    if (tlen && (!meta || ((char *)meta)[tlen - 1] != '\0')) {
        rc = nps_err(NPS_ELIBRARY, "%s: metadata text is not terminated", path);
        goto out;
    }
    ppo = malloc((cnt + 1) * sizeof *ppo);
    mo = malloc((cnt + 1) * sizeof *mo);
    if (!ppo || !mo) {
        free(ppo);
        rc = nps_err(NPS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i <= cnt; i++) {
        ppo[i] = metadata_only ? 0 : (size_t)(P[first + i] - p0);
        mo[i] = (size_t)(M[first + i] - t0);
    }
    rc = nps_spectra_adopt_flat(&lib->proc, cnt, ppo, pmz, pin, meta, tlen, mo, NULL);
    meta = pmz = pin = NULL;
    if (rc && rc != NPS_ENOMEM)
        rc = nps_err(NPS_ELIBRARY, "%s: invalid library content: %s", path, nps_error_last());
    lib->search_only = 1;
    lib->metadata_only = metadata_only;
    lib->part_first = first;
    lib->part_total = n;
out:
    free(mo);
    free(moff);
    free(poff);
    free(meta);
    free(pmz);
    free(pin);
    return rc;
}

static int open_impl(nps_library **out, const char *path, unsigned flags, size_t part,
                     size_t n_parts)
{
    const int metadata_only = (flags & NPS_LIBRARY_METADATA_ONLY) != 0;
    const int search_only = (flags & NPS_LIBRARY_SEARCH_ONLY) != 0 || n_parts || metadata_only;
    quiet();
    if (access(path, R_OK) != 0)
        return nps_err(NPS_EIO, "%s: cannot open: %s", path, strerror(errno));
    /* size and checksum before HDF5 reads any of it */
    uint32_t crc = 0;
    int erc = nps_envelope_check(&crc, path);
    if (erc) return erc;
    if (H5Fis_hdf5(path) <= 0) return nps_err(NPS_ELIBRARY, "%s: not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return nps_err(NPS_ELIBRARY, "%s: cannot open HDF5 file (damaged?)", path);
    nps_library *lib = NULL;
    void *off = NULL, *mz = NULL, *in = NULL, *moff = NULL, *meta = NULL, *poff = NULL, *pmz = NULL,
         *pin = NULL;
    size_t noff = 0, nmz = 0, nin = 0, nmoff = 0, nmeta = 0, npoff = 0, npmz = 0, npin = 0;
    hid_t g = -1, gp = -1;
    int rc = 0;
    long long ver = 0, nsp = -1;
    char fmt[64] = "";
    if (H5Aexists(f, "format") > 0) {
        hid_t a = H5Aopen(f, "format", H5P_DEFAULT);
        hid_t t = H5Aget_type(a);
        if (H5Tget_class(t) == H5T_STRING && H5Tget_size(t) < sizeof fmt) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, sizeof fmt);
            H5Aread(a, mt, fmt);
            H5Tclose(mt);
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    if (strcmp(fmt, FORMAT_NAME) != 0) {
        rc = nps_err(NPS_ELIBRARY, "%s: not an npsmatch library (no format attribute)", path);
        goto out;
    }
    if (read_attr_ll(f, "format_version", &ver) || ver < 1 || ver > NPS_LIBRARY_FORMAT_VERSION) {
        rc = nps_err(NPS_ELIBRARY, "%s: unsupported library format version %lld", path, ver);
        goto out;
    }
    read_attr_ll(f, "n_spectra", &nsp);
    if ((rc = nps_library_alloc(&lib))) goto out;
    lib->format_version = (int)ver;
    snprintf(lib->checksum, sizeof lib->checksum, "crc32:%08x", (unsigned)crc);
    g = H5Gopen2(f, "spectra", H5P_DEFAULT);
    gp = H5Gopen2(f, "processed", H5P_DEFAULT);
    if (g < 0 || gp < 0) {
        rc = nps_err(NPS_ELIBRARY, "%s: missing group /spectra or /processed", path);
        goto out;
    }
    if ((rc = read_params(gp, "ei", &lib->cfg.ei, path)) ||
        (rc = read_params(gp, "msms", &lib->cfg.msms, path)))
        goto out;
    long long ck;
    if (read_attr_ll(gp, "params_checksum", &ck) || (uint64_t)ck != params_checksum(&lib->cfg)) {
        rc = nps_err(NPS_ELIBRARY, "%s: preprocessing parameters fail their checksum", path);
        goto out;
    }
    if (n_parts || metadata_only) {
        rc = read_slice(lib, g, gp, nsp, part, n_parts, metadata_only, path);
        goto out;
    }
    if ((rc = read_ds(g, "peak_offsets", H5T_NATIVE_UINT64, 8, &off, &noff, path)) ||
        (!search_only && (rc = read_ds(g, "mz", H5T_NATIVE_DOUBLE, 8, &mz, &nmz, path))) ||
        (!search_only && (rc = read_ds(g, "intensity", H5T_NATIVE_FLOAT, 4, &in, &nin, path))) ||
        (rc = read_ds(g, "meta_offsets", H5T_NATIVE_UINT64, 8, &moff, &nmoff, path)) ||
        (rc = read_ds(g, "meta", H5T_NATIVE_CHAR, 1, &meta, &nmeta, path)) ||
        (rc = read_ds(gp, "peak_offsets", H5T_NATIVE_UINT64, 8, &poff, &npoff, path)) ||
        (rc = read_ds(gp, "mz", H5T_NATIVE_DOUBLE, 8, &pmz, &npmz, path)) ||
        (rc = read_ds(gp, "intensity", H5T_NATIVE_FLOAT, 4, &pin, &npin, path)))
        goto out;
    size_t n = noff ? noff - 1 : 0;
    if (noff == 0 || (nsp >= 0 && (size_t)nsp != n) || nmz != nin || npmz != npin) {
        rc = nps_err(NPS_ELIBRARY, "%s: dataset sizes disagree", path);
        goto out;
    }
    if (search_only) nmz = ((uint64_t *)off)[n]; /* the imported peaks are not read */
    if ((rc = check_offsets(off, noff, n, nmz, path, "peak")) ||
        (rc = check_offsets(moff, nmoff, n, nmeta, path, "metadata")) ||
        (rc = check_offsets(poff, npoff, n, npmz, path, "processed peak")))
        goto out;
    if (nmeta && ((char *)meta)[nmeta - 1] != '\0') {
        rc = nps_err(NPS_ELIBRARY, "%s: metadata text is not terminated", path);
        goto out;
    }
    /* adopt the arrays: the raw spectra take the file's buffers as they are,
     * the processed copy shares their metadata */
    size_t *po = malloc((n + 1) * sizeof *po), *ppo = malloc((n + 1) * sizeof *ppo),
           *mo = malloc((n + 1) * sizeof *mo);
    if (!po || !ppo || !mo) {
        free(po);
        free(ppo);
        free(mo);
        rc = nps_err(NPS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i <= n; i++) {
        po[i] = (size_t)((uint64_t *)off)[i];
        ppo[i] = (size_t)((uint64_t *)poff)[i];
        mo[i] = (size_t)((uint64_t *)moff)[i];
    }
    if (search_only) {
        /* the processed spectra alone, with the metadata */
        free(po);
        lib->search_only = 1;
        rc = nps_spectra_adopt_flat(&lib->proc, n, ppo, pmz, pin, meta, nmeta, mo, NULL);
        meta = pmz = pin = NULL;
        free(mo);
        if (rc && rc != NPS_ENOMEM)
            rc = nps_err(NPS_ELIBRARY, "%s: invalid library content: %s", path, nps_error_last());
        goto out;
    }
    rc = nps_spectra_adopt_flat(&lib->raw, n, po, mz, in, meta, nmeta, mo, NULL);
    mz = in = meta = NULL;
    /* annotations grow the raw text arena: attach them before the processed
     * copy starts sharing it */
    if (!rc && H5Lexists(g, "peak_annotations", H5P_DEFAULT) > 0) {
        void *aoff = NULL, *atext = NULL;
        size_t naoff, natext;
        rc = read_ds(g, "peak_annotation_offsets", H5T_NATIVE_UINT64, 8, &aoff, &naoff, path);
        if (!rc) rc = read_ds(g, "peak_annotations", H5T_NATIVE_CHAR, 1, &atext, &natext, path);
        if (!rc && naoff != nmz + 1) rc = nps_err(NPS_ELIBRARY, "%s: annotation offsets", path);
        if (!rc) rc = nps_spectra_set_annotations(lib->raw, aoff, atext, natext);
        free(aoff);
        free(atext);
    }
    if (!rc)
        rc = nps_spectra_adopt_flat(&lib->proc, n, ppo, pmz, pin, NULL, 0, NULL, lib->raw);
    else {
        free(ppo);
        free(pmz);
        free(pin);
    }
    pmz = pin = NULL;
    free(mo);
    if (rc && rc != NPS_ENOMEM && rc != NPS_ELIBRARY)
        rc = nps_err(NPS_ELIBRARY, "%s: invalid library content: %s", path, nps_error_last());
out:
    if (!rc && lib && lib->proc)
        rc = n_parts || metadata_only ? nps_index_build(&lib->ix, lib->proc, NULL)
                                      : read_index(lib, f, path);
    if (!rc && lib && !n_parts && !metadata_only) lib->part_total = nps_spectra_count(lib->proc);
    if (g >= 0) H5Gclose(g);
    if (gp >= 0) H5Gclose(gp);
    H5Fclose(f);
    free(off);
    free(mz);
    free(in);
    free(moff);
    free(meta);
    free(poff);
    free(pmz);
    free(pin);
    if (rc) {
        nps_library_free(lib);
        return rc;
    }
    *out = lib;
    return 0;
}

int nps_library_open_ex(nps_library **out, const char *path, unsigned flags)
{
    if (!out || !path) return nps_err(NPS_EINVAL, "nps_library_open_ex: NULL argument");
    return open_impl(out, path, flags, 0, 0);
}

int nps_library_open_part(nps_library **out, const char *path, size_t part, size_t n_parts)
{
    if (!out || !path) return nps_err(NPS_EINVAL, "nps_library_open_part: NULL argument");
    if (n_parts < 1 || part >= n_parts)
        return nps_err(NPS_EINVAL, "library part %zu of %zu: need 0 <= part < parts", part,
                       n_parts);
    return open_impl(out, path, 0, part, n_parts);
}

/*
 * The spectrum collection: one flat store for any number of spectra.
 *
 * Peaks of all spectra live in two parallel arrays (m/z as double, intensity
 * as float) indexed through an offsets array, the layout the HDF5 library
 * file uses too, so that loading a library is a handful of bulk reads and
 * scoring walks contiguous memory. Metadata is an ordered list of key/value
 * strings per spectrum, kept in one text arena; lookups are linear in the
 * handful of keys a record has. The id, the precursor m/z and the kind are
 * derived once, when a spectrum is added, because search and output need
 * them for every hit.
 */
#include "../core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static const char *const known_keys[] = {NPS_KEY_INCHIKEY, NPS_KEY_CLASS};
enum { NKNOWN = sizeof known_keys / sizeof *known_keys, KNOWN_FAR = 0xFFFF };

struct nps_spectra {
    size_t n, cap;
    size_t *peak_off; /* n + 1 */
    size_t *meta_off; /* n + 1, into pairs */
    size_t *id_off, *name_off;
    /* where the first entry of each well-known key (known_keys) sits among a
     * spectrum's entries, + 1 (0: absent; KNOWN_FAR: past what 16 bits hold,
     * looked up by scanning): a report reads the InChIKey and class of every
     * hit, and scanning a record's forty MassBank keys, each in its own
     * cache line of the text arena, cost more than the rest of the row */
    uint16_t *known;
    double *precursor;
    unsigned char *kind;

    double *mz;
    float *inten;
    size_t npeaks, peak_cap;
    size_t *ann; /* per-peak annotation text offsets (NONE: none); NULL until one exists */
    size_t ann_cap;

    /* metadata: the text offset of each key; its value is the string right
     * after the key's terminating NUL (every writer stores them so), which
     * halves what a 10^6-spectrum library spends on offsets */
    size_t *pairs;
    size_t npairs, pair_cap;

    char *text;
    size_t text_len, text_cap;

    size_t *hash; /* open addressing, index + 1, 0 empty */
    size_t hash_cap;

    /* the metadata arrays (text, pairs, meta_off, id_off, name_off, precursor,
     * kind) belong to another collection: a library's processed copy shares
     * them with the imported spectra instead of holding a second copy */
    int borrowed;
};

/* The value of metadata entry e: the string after its key. */
static inline size_t value_off(const nps_spectra *s, size_t e)
{
    size_t k = s->pairs[e];
    return k + strlen(s->text + k) + 1;
}

int nps_spectra_create(nps_spectra **out)
{
    nps_spectra *s = calloc(1, sizeof *s);
    if (!s) return nps_err(NPS_ENOMEM, "out of memory");
    size_t c = 0;
    if (nps_grow((void **)&s->peak_off, &c, 1, sizeof(size_t))) goto fail;
    c = 0;
    if (nps_grow((void **)&s->meta_off, &c, 1, sizeof(size_t))) goto fail;
    s->peak_off[0] = 0;
    s->meta_off[0] = 0;
    *out = s;
    return 0;
fail:
    nps_spectra_free(s);
    return NPS_ENOMEM;
}

void nps_spectra_free(nps_spectra *s)
{
    if (!s) return;
    free(s->peak_off);
    if (!s->borrowed) {
        free(s->meta_off);
        free(s->id_off);
        free(s->name_off);
        free(s->known);
        free(s->precursor);
        free(s->kind);
        free(s->pairs);
        free(s->text);
    }
    free(s->mz);
    free(s->inten);
    free(s->ann);
    free(s->hash);
    free(s);
}

void nps_spectra_clear(nps_spectra *s)
{
    if (s->borrowed) return;
    s->n = 0;
    s->npeaks = 0;
    s->npairs = 0;
    s->text_len = 0;
    s->peak_off[0] = 0;
    s->meta_off[0] = 0;
    free(s->ann);
    s->ann = NULL;
    s->ann_cap = 0;
    free(s->hash);
    s->hash = NULL;
    s->hash_cap = 0;
}

size_t nps_spectra_count(const nps_spectra *s)
{
    return s->n;
}

size_t nps_spectra_total_peaks(const nps_spectra *s)
{
    return s->npeaks;
}

void nps_spectra_peaks(const nps_spectra *s, size_t i, const double **mz, const float **intensity,
                       size_t *n)
{
    size_t a = s->peak_off[i], b = s->peak_off[i + 1];
    *mz = s->mz + a;
    *intensity = s->inten + a;
    *n = b - a;
}

size_t nps_spectra_meta_count(const nps_spectra *s, size_t i)
{
    return s->meta_off[i + 1] - s->meta_off[i];
}

void nps_spectra_meta_at(const nps_spectra *s, size_t i, size_t j, const char **key,
                         const char **value)
{
    size_t e = s->meta_off[i] + j;
    *key = s->text + s->pairs[e];
    *value = s->text + value_off(s, e);
}

const char *nps_spectra_get(const nps_spectra *s, size_t i, const char *key)
{
    for (size_t k = 0; k < NKNOWN; k++) {
        if (!nps_strcaseeq(key, known_keys[k])) continue;
        unsigned at = s->known[i * NKNOWN + k];
        if (at == 0) return NULL;
        if (at != KNOWN_FAR) return s->text + value_off(s, s->meta_off[i] + at - 1);
        break;
    }
    for (size_t e = s->meta_off[i]; e < s->meta_off[i + 1]; e++)
        if (nps_strcaseeq(s->text + s->pairs[e], key)) return s->text + value_off(s, e);
    return NULL;
}

const char *nps_spectra_id(const nps_spectra *s, size_t i)
{
    return s->text + s->id_off[i];
}

const char *nps_spectra_name(const nps_spectra *s, size_t i)
{
    return s->name_off[i] == NONE ? "" : s->text + s->name_off[i];
}

double nps_spectra_precursor_mz(const nps_spectra *s, size_t i)
{
    return s->precursor[i];
}

nps_kind nps_spectra_kind(const nps_spectra *s, size_t i)
{
    return (nps_kind)s->kind[i];
}

static int push_text(nps_spectra *s, const char *str, size_t *off)
{
    size_t len = strlen(str) + 1;
    if (nps_grow((void **)&s->text, &s->text_cap, s->text_len + len, 1)) return NPS_ENOMEM;
    memcpy(s->text + s->text_len, str, len);
    *off = s->text_len;
    s->text_len += len;
    return 0;
}

double nps_parse_precursor(const char *value)
{
    if (!value) return NAN;
    char tok[64];
    size_t k = 0;
    while (*value == ' ' || *value == '\t') value++;
    while (*value && *value != ' ' && *value != '\t' && k + 1 < sizeof tok) tok[k++] = *value++;
    tok[k] = '\0';
    double v;
    if (nps_parse_double(&v, tok) || v <= 0) return NAN;
    return v;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t k = 0;
        while (k < n && hay[k] && ((hay[k] | 0x20) == (needle[k] | 0x20))) k++;
        if (k == n) return 1;
    }
    return 0;
}

/*
 * The kind decides preprocessing and scoring, so it must be robust to the
 * many ways files say "this is GC-EI-MS": an Ionization of EI (MassBank
 * "EI", NIST "EI+"), an instrument type such as "EI-B" or "GC-EI-TOF", or,
 * in libraries such as SWGDRUG's that carry no instrument metadata at all,
 * simply the absence of a precursor in a spectrum that is not typed MS2 and
 * names no LC ionisation (ESI in-source-CID MS1 spectra are high resolution).
 */
nps_kind nps_kind_from_meta(const char *const *keys, const char *const *values, size_t n,
                            double precursor_mz)
{
    int msn = 0, hires = 0;
    for (size_t j = 0; j < n; j++) {
        const char *k = keys[j], *v = values[j];
        if (nps_strcaseeq(k, NPS_KEY_IONIZATION)) {
            if ((v[0] == 'E' || v[0] == 'e') && (v[1] == 'I' || v[1] == 'i') &&
                (v[2] == '\0' || v[2] == '+' || v[2] == ' ' || v[2] == '-'))
                return NPS_KIND_EI;
            if (contains_ci(v, "electron ionization") || contains_ci(v, "electron impact"))
                return NPS_KIND_EI;
            if (v[0]) hires = 1; /* ESI, APCI, MALDI...: not a GC-EI spectrum */
        } else if (nps_strcaseeq(k, NPS_KEY_INSTRUMENT_TYPE)) {
            if (contains_ci(v, "EI-") || contains_ci(v, "-EI") || nps_strcaseeq(v, "EI"))
                return NPS_KIND_EI;
            if (contains_ci(v, "ESI") || contains_ci(v, "APCI") || contains_ci(v, "LC-") ||
                contains_ci(v, "MALDI") || contains_ci(v, "APPI"))
                hires = 1;
        } else if (nps_strcaseeq(k, NPS_KEY_SPECTRUM_TYPE)) {
            if (contains_ci(v, "MS2") || contains_ci(v, "MS3") || contains_ci(v, "MSn") ||
                contains_ci(v, "MS/MS"))
                msn = 1;
        }
    }
    if (msn || hires || !isnan(precursor_mz)) return NPS_KIND_MSMS;
    return NPS_KIND_EI;
}

typedef struct {
    double mz;
    float in;
    size_t ann, idx;
} peak_t;

/* by m/z; equal m/z keep their file order */
static int cmp_peak(const void *a, const void *b)
{
    const peak_t *x = a, *y = b;
    if (x->mz < y->mz) return -1;
    if (x->mz > y->mz) return 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

const char *nps_spectra_peak_annotation(const nps_spectra *s, size_t i, size_t k)
{
    if (!s->ann) return NULL;
    size_t o = s->ann[s->peak_off[i] + k];
    return o == NONE ? NULL : s->text + o;
}

/* Make room for per-peak annotations of peaks [0, need). */
static int grow_ann(nps_spectra *s, size_t need)
{
    if (need <= s->ann_cap && s->ann) return 0;
    size_t cap = s->peak_cap > need ? s->peak_cap : need;
    size_t *a = realloc(s->ann, (cap ? cap : 1) * sizeof *a);
    if (!a) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t k = s->ann ? s->ann_cap : 0; k < cap; k++) a[k] = NONE;
    s->ann = a;
    s->ann_cap = cap;
    return 0;
}

static int grow_spectra(nps_spectra *s)
{
    if (s->n + 1 < s->cap) return 0;
    size_t ncap = s->cap ? s->cap * 2 : 64;
    size_t *po = realloc(s->peak_off, (ncap + 1) * sizeof *po);
    if (!po) return nps_err(NPS_ENOMEM, "out of memory");
    s->peak_off = po;
    size_t *mo = realloc(s->meta_off, (ncap + 1) * sizeof *mo);
    if (!mo) return nps_err(NPS_ENOMEM, "out of memory");
    s->meta_off = mo;
    size_t *io = realloc(s->id_off, ncap * sizeof *io);
    if (!io) return nps_err(NPS_ENOMEM, "out of memory");
    s->id_off = io;
    size_t *no = realloc(s->name_off, ncap * sizeof *no);
    if (!no) return nps_err(NPS_ENOMEM, "out of memory");
    s->name_off = no;
    uint16_t *kn = realloc(s->known, ncap * NKNOWN * sizeof *kn);
    if (!kn) return nps_err(NPS_ENOMEM, "out of memory");
    s->known = kn;
    double *pr = realloc(s->precursor, ncap * sizeof *pr);
    if (!pr) return nps_err(NPS_ENOMEM, "out of memory");
    s->precursor = pr;
    unsigned char *k = realloc(s->kind, ncap);
    if (!k) return nps_err(NPS_ENOMEM, "out of memory");
    s->kind = k;
    s->cap = ncap;
    return 0;
}

/*
 * Derive what search and output need for every hit from spectrum i's
 * metadata (pairs [meta_off[i], meta_off[i + 1])): the name, the record id
 * (DB#, else TITLE, else SPECTRUM_ID, else Name, else the fallback), the
 * precursor m/z and the kind. kv is scratch for 2 x (number of pairs).
 */
static int derive(nps_spectra *s, size_t i, const char *fallback_id, const char **kv)
{
    size_t a = s->meta_off[i], nk = s->meta_off[i + 1] - a;
    double prec = NAN;
    size_t name = NONE, id_db = NONE, id_title = NONE, id_sid = NONE;
    uint16_t *known = s->known + i * NKNOWN;
    for (size_t k = 0; k < NKNOWN; k++) known[k] = 0;
    for (size_t j = 0; j < nk; j++) {
        const char *k = s->text + s->pairs[a + j];
        size_t vo = value_off(s, a + j);
        const char *v = s->text + vo;
        kv[j] = k;
        kv[nk + j] = v;
        int nonempty = v[0] != '\0';
        for (size_t w = 0; w < NKNOWN; w++)
            if (known[w] == 0 && nps_strcaseeq(k, known_keys[w]))
                known[w] = j + 1 < KNOWN_FAR ? (uint16_t)(j + 1) : (uint16_t)KNOWN_FAR;
        if (nps_strcaseeq(k, NPS_KEY_NAME) && name == NONE)
            name = vo;
        else if (nps_strcaseeq(k, NPS_KEY_ID) && id_db == NONE && nonempty)
            id_db = vo;
        else if (nps_strcaseeq(k, NPS_KEY_TITLE) && id_title == NONE && nonempty)
            id_title = vo;
        else if (nps_strcaseeq(k, NPS_KEY_SPECTRUM_ID) && id_sid == NONE && nonempty)
            id_sid = vo;
        else if (nps_strcaseeq(k, NPS_KEY_PRECURSOR_MZ) && isnan(prec))
            prec = nps_parse_precursor(v);
    }
    size_t id = id_db != NONE ? id_db : id_title != NONE ? id_title : id_sid;
    if (id == NONE && name != NONE && s->text[name]) id = name;
    if (id == NONE) {
        char buf[64];
        if (!fallback_id) {
            snprintf(buf, sizeof buf, "spectrum#%zu", i + 1);
            fallback_id = buf;
        }
        if (push_text(s, fallback_id, &id)) return NPS_ENOMEM;
    }
    s->id_off[i] = id;
    s->name_off[i] = name;
    s->precursor[i] = prec;
    /* kv may point into text that push_text moved: rebuild before use */
    for (size_t j = 0; j < nk; j++) {
        kv[j] = s->text + s->pairs[a + j];
        kv[nk + j] = s->text + value_off(s, a + j);
    }
    s->kind[i] = (unsigned char)nps_kind_from_meta(kv, kv + nk, nk, prec);
    return 0;
}

int nps_spectra_add_ex(nps_spectra *s, const double *mz, const float *intensity, size_t n_peaks,
                       const char *const *keys, const char *const *values, size_t n_meta,
                       const char *fallback_id, int presorted, const char *const *annotations)
{
    if (s->borrowed)
        return nps_err(NPS_EINVAL, "this collection shares its metadata and cannot grow");
    /* peaks (or strings) taken from this very collection would move when it
     * grows: copy the spectrum first, then append the copy */
    int alias = n_peaks && s->mz &&
                ((const void *)mz >= (const void *)s->mz &&
                 (const void *)mz < (const void *)(s->mz + s->peak_cap));
    alias |= n_peaks && s->inten &&
             ((const void *)intensity >= (const void *)s->inten &&
              (const void *)intensity < (const void *)(s->inten + s->peak_cap));
    for (size_t j = 0; j < n_meta && !alias && s->text; j++)
        alias = (keys[j] >= s->text && keys[j] < s->text + s->text_cap) ||
                (values[j] >= s->text && values[j] < s->text + s->text_cap);
    if (alias) {
        nps_spectra *tmp = NULL;
        int rc = nps_spectra_create(&tmp);
        if (rc || !tmp) return rc ? rc : NPS_ENOMEM;
        rc = nps_spectra_add_ex(tmp, mz, intensity, n_peaks, keys, values, n_meta, fallback_id,
                                presorted, annotations);
        if (!rc) rc = nps_spectra_add_from(s, tmp, 0);
        nps_spectra_free(tmp);
        return rc;
    }
    int any_ann = 0;
    for (size_t k = 0; annotations && k < n_peaks && !any_ann; k++)
        any_ann = annotations[k] && annotations[k][0];
    for (size_t k = 0; k < n_peaks; k++) {
        if (!isfinite(mz[k]) || mz[k] < 0)
            return nps_err(NPS_EINVAL, "peak %zu: m/z %g is not a finite value >= 0", k + 1, mz[k]);
        if (!isfinite(intensity[k]) || intensity[k] < 0)
            return nps_err(NPS_EINVAL, "peak %zu: intensity %g is not a finite value >= 0", k + 1,
                           (double)intensity[k]);
    }
    if (grow_spectra(s)) return NPS_ENOMEM;
    size_t old_cap = s->peak_cap;
    if (nps_grow((void **)&s->mz, &s->peak_cap, s->npeaks + n_peaks, sizeof(double)))
        return NPS_ENOMEM;
    if (s->peak_cap != old_cap || !s->inten) {
        /* keep the float array the same capacity as the double array */
        float *f = realloc(s->inten, (s->peak_cap ? s->peak_cap : 1) * sizeof(float));
        if (!f) return nps_err(NPS_ENOMEM, "out of memory");
        s->inten = f;
    }
    if (nps_grow((void **)&s->pairs, &s->pair_cap, s->npairs + n_meta, sizeof(size_t)))
        return NPS_ENOMEM;

    size_t text_mark = s->text_len;
    size_t i = s->n;
    for (size_t j = 0; j < n_meta; j++) {
        size_t ko, vo;
        if (push_text(s, keys[j], &ko) || push_text(s, values[j], &vo)) {
            s->text_len = text_mark;
            return NPS_ENOMEM;
        }
        (void)vo; /* right after the key: value_off */
        s->pairs[s->npairs + j] = ko;
    }
    const char **kv = malloc((2 * n_meta + 1) * sizeof *kv);
    if (!kv) {
        s->text_len = text_mark;
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    s->meta_off[i + 1] = s->npairs + n_meta;
    int drc = derive(s, i, fallback_id, kv);
    free(kv);
    if (drc) {
        s->text_len = text_mark;
        return drc;
    }

    /* peaks, and their annotations when the file had any */
    if ((any_ann || s->ann) && grow_ann(s, s->npeaks + n_peaks)) {
        s->text_len = text_mark;
        return NPS_ENOMEM;
    }
    /* no arithmetic on the arrays before the first peak allocated them */
    double *dm = n_peaks ? s->mz + s->npeaks : NULL;
    float *di = n_peaks ? s->inten + s->npeaks : NULL;
    size_t *da = s->ann && n_peaks ? s->ann + s->npeaks : NULL;
    int sorted = 1;
    for (size_t k = 0; k < n_peaks; k++) {
        dm[k] = mz[k];
        di[k] = intensity[k];
        if (k && mz[k] < mz[k - 1]) sorted = 0;
        if (da) {
            da[k] = NONE;
            if (any_ann && annotations[k] && annotations[k][0] &&
                push_text(s, annotations[k], &da[k])) {
                s->text_len = text_mark;
                return NPS_ENOMEM;
            }
        }
    }
    if (!sorted && !presorted) {
        peak_t *tmp = malloc(n_peaks * sizeof *tmp);
        if (!tmp) {
            s->text_len = text_mark;
            return nps_err(NPS_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < n_peaks; k++) tmp[k] = (peak_t){dm[k], di[k], da ? da[k] : NONE, k};
        qsort(tmp, n_peaks, sizeof *tmp, cmp_peak);
        for (size_t k = 0; k < n_peaks; k++) {
            dm[k] = tmp[k].mz;
            di[k] = tmp[k].in;
            if (da) da[k] = tmp[k].ann;
        }
        free(tmp);
    }

    s->npeaks += n_peaks;
    s->npairs += n_meta;
    s->peak_off[i + 1] = s->npeaks;
    s->n++;
    if (s->hash) {
        free(s->hash);
        s->hash = NULL;
        s->hash_cap = 0;
    }
    return 0;
}

int nps_spectra_add(nps_spectra *s, const double *mz, const float *intensity, size_t n_peaks,
                    const char *const *keys, const char *const *values, size_t n_meta)
{
    return nps_spectra_add_ex(s, mz, intensity, n_peaks, keys, values, n_meta, NULL, 0, NULL);
}

static int add_copy(nps_spectra *dst, const nps_spectra *src, size_t i, const double *mz,
                    const float *in, size_t n, int with_annotations);

int nps_spectra_add_from(nps_spectra *dst, const nps_spectra *src, size_t i)
{
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(src, i, &mz, &in, &n);
    return add_copy(dst, src, i, mz, in, n, 1);
}

int nps_spectra_add_derived(nps_spectra *dst, const nps_spectra *src, size_t i, const double *mz,
                            const float *in, size_t n)
{
    return add_copy(dst, src, i, mz, in, n, 0);
}

static int add_copy(nps_spectra *dst, const nps_spectra *src, size_t i, const double *mz,
                    const float *in, size_t n, int with_annotations)
{
    size_t nm = nps_spectra_meta_count(src, i);
    const char **kv = malloc((2 * nm + 1) * sizeof *kv);
    if (!kv) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t j = 0; j < nm; j++) nps_spectra_meta_at(src, i, j, &kv[j], &kv[nm + j]);
    const char **ann = NULL;
    if (with_annotations && src->ann) {
        ann = malloc((n ? n : 1) * sizeof *ann);
        if (!ann) {
            free(kv);
            return nps_err(NPS_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < n; k++) ann[k] = nps_spectra_peak_annotation(src, i, k);
    }
    int rc = nps_spectra_add_ex(dst, mz, in, n, kv, kv + nm, nm, nps_spectra_id(src, i), 1, ann);
    free(ann);
    free(kv);
    return rc;
}

/* Bulk construction for the library loader: adopt flat arrays as they come
 * from the file (no per-spectrum copies), index the "key\0value\0" runs of the
 * metadata text in place, and derive id, name, precursor and kind. */
int nps_spectra_adopt_flat(nps_spectra **out, size_t n, size_t *peak_off, double *mz, float *in,
                           char *text, size_t text_len, const size_t *meta_off,
                           const nps_spectra *like)
{
    nps_spectra *s = calloc(1, sizeof *s);
    const char **kv = NULL;
    size_t kvcap = 0;
    int rc = 0;
    if (!s) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto fail_adopt;
    }
    s->n = s->cap = n;
    s->peak_off = peak_off;
    s->mz = mz;
    s->inten = in;
    s->npeaks = s->peak_cap = peak_off[n];
    s->text = text;
    s->text_len = s->text_cap = text_len;
    peak_off = NULL;
    mz = NULL;
    in = NULL;
    text = NULL;
    for (size_t k = 0; k < s->npeaks; k++)
        if (!isfinite(s->mz[k]) || s->mz[k] < 0 || !isfinite(s->inten[k]) || s->inten[k] < 0) {
            rc = nps_err(NPS_EINVAL, "peak %zu is not finite and >= 0", k);
            goto fail_adopt;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t k = s->peak_off[i] + 1; k < s->peak_off[i + 1]; k++)
            if (s->mz[k] < s->mz[k - 1]) {
                rc = nps_err(NPS_EINVAL, "peaks of spectrum %zu are not sorted", i + 1);
                goto fail_adopt;
            }
    if (like) {
        /* other peaks, the same records: share the metadata of `like` */
        if (like->n != n) {
            rc = nps_err(NPS_EINVAL, "the template collection holds another number of spectra");
            goto fail_adopt;
        }
        free(s->text);
        s->borrowed = 1;
        s->text = like->text;
        s->text_len = s->text_cap = like->text_len;
        s->pairs = like->pairs;
        s->npairs = s->pair_cap = like->npairs;
        s->meta_off = like->meta_off;
        s->id_off = like->id_off;
        s->name_off = like->name_off;
        s->known = like->known;
        s->precursor = like->precursor;
        s->kind = like->kind;
        *out = s;
        return 0;
    }
    s->meta_off = malloc((n + 1) * sizeof *s->meta_off);
    s->id_off = malloc((n ? n : 1) * sizeof *s->id_off);
    s->name_off = malloc((n ? n : 1) * sizeof *s->name_off);
    s->known = malloc((n ? n : 1) * NKNOWN * sizeof *s->known);
    s->precursor = malloc((n ? n : 1) * sizeof *s->precursor);
    s->kind = malloc(n ? n : 1);
    if (!s->meta_off || !s->id_off || !s->name_off || !s->known || !s->precursor || !s->kind) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto fail_adopt;
    }
    /* count the strings, then index them */
    size_t nstr = 0;
    for (size_t b = 0; b < s->text_len; b++) nstr += s->text[b] == '\0';
    if (nps_grow((void **)&s->pairs, &s->pair_cap, nstr / 2 + 1, sizeof(size_t))) {
        rc = NPS_ENOMEM;
        goto fail_adopt;
    }
    s->meta_off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t p = meta_off[i], e = meta_off[i + 1], nk = 0;
        while (p < e) {
            size_t kl = strnlen(s->text + p, e - p);
            if (p + kl >= e) break;
            size_t v = p + kl + 1;
            size_t vl = v < e ? strnlen(s->text + v, e - v) : 0;
            if (v >= e || v + vl >= e) break;
            s->pairs[s->npairs++] = p; /* v = p + kl + 1: value_off */
            nk++;
            p = v + vl + 1;
        }
        if (p != e) {
            rc = nps_err(NPS_EINVAL, "metadata of spectrum %zu is malformed", i + 1);
            goto fail_adopt;
        }
        s->meta_off[i + 1] = s->npairs;
        if (nps_grow((void **)&kv, &kvcap, 2 * nk + 2, sizeof *kv)) {
            rc = NPS_ENOMEM;
            goto fail_adopt;
        }
        if ((rc = derive(s, i, NULL, kv))) goto fail_adopt;
    }
    free(kv);
    *out = s;
    return 0;
fail_adopt:
    free(kv);
    free(peak_off);
    free(mz);
    free(in);
    free(text);
    nps_spectra_free(s);
    return rc;
}

int nps_spectra_set_annotations(nps_spectra *s, const uint64_t *off, const char *text, size_t len)
{
    if (s->borrowed) return nps_err(NPS_EINVAL, "this collection shares its metadata");
    if (grow_ann(s, s->npeaks)) return NPS_ENOMEM;
    for (size_t k = 0; k < s->npeaks; k++) {
        s->ann[k] = NONE;
        if (off[k] >= len || off[k + 1] > len || off[k + 1] <= off[k])
            return nps_err(NPS_EINVAL, "peak annotation offsets are inconsistent");
        if (text[off[k]] == '\0') continue;
        if (text[off[k + 1] - 1] != '\0')
            return nps_err(NPS_EINVAL, "peak annotation %zu is not terminated", k);
        if (push_text(s, text + off[k], &s->ann[k])) return NPS_ENOMEM;
    }
    return 0;
}

int nps_spectra_has_annotations(const nps_spectra *s)
{
    return s->ann != NULL;
}

static int build_hash(nps_spectra *s)
{
    size_t cap = 16;
    while (cap < 2 * s->n + 2) cap *= 2;
    size_t *h = calloc(cap, sizeof *h);
    if (!h) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        size_t p = (size_t)nps_hash_str(s->text + s->id_off[i]) & (cap - 1);
        while (h[p]) {
            if (strcmp(s->text + s->id_off[h[p] - 1], s->text + s->id_off[i]) == 0) break;
            p = (p + 1) & (cap - 1);
        }
        if (!h[p]) h[p] = i + 1; /* the first spectrum with an id wins */
    }
    s->hash = h;
    s->hash_cap = cap;
    return 0;
}

int nps_spectra_find(size_t *out_index, const nps_spectra *cs, const char *id)
{
    nps_spectra *s = (nps_spectra *)cs; /* the hash is a cache, not state */
    if (!s->hash) {
        int rc = build_hash(s);
        if (rc || !s->hash) return rc ? rc : NPS_ENOMEM;
    }
    size_t p = (size_t)nps_hash_str(id) & (s->hash_cap - 1);
    while (s->hash[p]) {
        if (strcmp(s->text + s->id_off[s->hash[p] - 1], id) == 0) {
            *out_index = s->hash[p] - 1;
            return 0;
        }
        p = (p + 1) & (s->hash_cap - 1);
    }
    return nps_err(NPS_ENOTFOUND, "no spectrum with id '%s'", id);
}

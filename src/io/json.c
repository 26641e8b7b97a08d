/*
 * JSON writer with matchms-compatible keys: an array of spectrum objects whose
 * metadata keys are those matchms uses (compound_name, spectrum_id,
 * precursor_mz, ionmode, adduct, inchikey, ...), with precursor_mz as a number
 * and the peaks as "peaks_json": [[mz, intensity], ...], so that
 * matchms.importing.load_from_json reads the file. Keys without a matchms
 * name are written in lower case with '_' for other characters; a key that
 * occurs more than once (synonyms), or two keys that map to one JSON name,
 * become an array: no object holds a key twice. Values and escaping are
 * jansson's (core/json.c).
 */
#include "../core/json.h"
#include "lines.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key, *json;
} names[] = {
    {NPS_KEY_NAME, "compound_name"},
    {NPS_KEY_ID, "spectrum_id"},
    {NPS_KEY_PRECURSOR_MZ, "precursor_mz"},
    {NPS_KEY_PRECURSOR_TYPE, "adduct"},
    {NPS_KEY_ION_MODE, "ionmode"},
    {NPS_KEY_INCHIKEY, "inchikey"},
    {NPS_KEY_SMILES, "smiles"},
    {"InChI", "inchi"},
    {NPS_KEY_FORMULA, "formula"},
    {NPS_KEY_MW, "nominal_mass"},
    {NPS_KEY_EXACT_MASS, "exact_mass"},
    {NPS_KEY_CAS, "casno"},
    {NPS_KEY_CHARGE, "charge"},
    {NPS_KEY_SPECTRUM_TYPE, "ms_level"},
    {NPS_KEY_INSTRUMENT_TYPE, "instrument_type"},
    {NPS_KEY_COLLISION_ENERGY, "collision_energy"},
    {NPS_KEY_RETENTION_TIME, "retention_time"},
    {NPS_KEY_RETENTION_INDEX, "retention_index"},
    {NPS_KEY_CLASS, "compound_class"},
    {NPS_KEY_SYNONYM, "synon"},
    {NPS_KEY_COMMENTS, "comment"},
    {NPS_KEY_LICENSE, "license"},
    {NPS_KEY_TITLE, "title"},
};

static void json_key(char *out, size_t n, const char *key)
{
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (nps_strcaseeq(key, names[i].key)) {
            snprintf(out, n, "%s", names[i].json);
            return;
        }
    size_t k = 0;
    for (const char *p = key; *p && k + 1 < n; p++)
        out[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    out[k] = '\0';
}

/* A peak value printed as it was read: the shortest text that reads back as
 * the same float or double, then as a JSON number. */
static json_t *peak_double(double v)
{
    char b[40];
    nps_fmt_double(b, sizeof b, v);
    return json_real(strtod(b, NULL));
}

static json_t *peak_float(float v)
{
    char b[40];
    nps_fmt_float(b, sizeof b, v);
    return json_real(strtod(b, NULL));
}

static json_t *meta_value(const char *jkey, const char *v)
{
    double x;
    if (strcmp(jkey, "ionmode") == 0 && (strcmp(v, "P") == 0 || strcmp(v, "N") == 0))
        return json_string(v[0] == 'P' ? "positive" : "negative");
    if (strcmp(jkey, "precursor_mz") == 0 && nps_parse_double(&x, v) == 0) return peak_double(x);
    return nps_json_str(v);
}

/* One spectrum as a matchms object. Keys are unique by construction: the
 * values of every metadata entry that maps to one JSON key are gathered
 * under it (one value, or an array for several), and spectrum_id from the
 * collection's id is added only if no entry supplied it. */
static int spectrum_object(json_t **out, const nps_spectra *s, size_t i)
{
    json_t *o = json_object();
    if (!o) return nps_err(NPS_ENOMEM, "out of memory");
    char key[160];
    int rc = 0;
    size_t nm = nps_spectra_meta_count(s, i);
    for (size_t j = 0; j < nm && !rc; j++) {
        const char *k, *v;
        nps_spectra_meta_at(s, i, j, &k, &v);
        json_key(key, sizeof key, k);
        json_t *val = meta_value(key, v), *have = json_object_get(o, key);
        if (!val) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
        } else if (!have) {
            rc = nps_json_set(o, key, val);
        } else if (json_is_array(have)) {
            if (json_array_append_new(have, val)) rc = nps_err(NPS_ENOMEM, "out of memory");
        } else {
            json_t *arr = json_array();
            if (!arr || json_array_append(arr, have) || json_array_append_new(arr, val) ||
                json_object_set_new(o, key, arr))
                rc = nps_err(NPS_ENOMEM, "out of memory");
        }
    }
    if (!rc && !json_object_get(o, "spectrum_id"))
        rc = nps_json_set(o, "spectrum_id", nps_json_str(nps_spectra_id(s, i)));
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(s, i, &mz, &in, &n);
    json_t *peaks = rc ? NULL : json_array();
    if (!rc && !peaks) rc = nps_err(NPS_ENOMEM, "out of memory");
    for (size_t k = 0; k < n && !rc; k++) {
        json_t *pair = json_pack("[oo]", peak_double(mz[k]), peak_float(in[k]));
        if (!pair || json_array_append_new(peaks, pair)) rc = nps_err(NPS_ENOMEM, "out of memory");
    }
    if (!rc) {
        rc = nps_json_set(o, "peaks_json", peaks);
        peaks = NULL;
    }
    json_decref(peaks);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int nps_json_write(FILE *fp, const nps_spectra *s)
{
    fputs("[", fp);
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        json_t *o = NULL;
        int rc = spectrum_object(&o, s, i);
        if (rc) return rc;
        if (!o) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
        fputs(i ? ",\n  " : "\n  ", fp);
        rc = nps_json_dump(fp, o, 0);
        json_decref(o);
        if (rc) return rc;
    }
    fputs("\n]\n", fp);
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

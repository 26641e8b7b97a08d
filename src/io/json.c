/*
 * JSON writer with matchms-compatible keys: an array of spectrum objects whose
 * metadata keys are those matchms uses (compound_name, spectrum_id,
 * precursor_mz, ionmode, adduct, inchikey, ...), with precursor_mz as a number
 * and the peaks as "peaks_json": [[mz, intensity], ...], so that
 * matchms.importing.load_from_json reads the file. Keys without a matchms
 * name are written in lower case with '_' for other characters; a key that
 * occurs more than once (synonyms) becomes an array.
 */
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

/* Length of the valid UTF-8 sequence at p (2..4), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t k = 1; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    if (n == 3 && p[0] == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
    if (n == 4 && p[0] == 0xF0 && p[1] < 0x90) return 0; /* overlong */
    if (n == 4 && p[0] == 0xF4 && p[1] > 0x8F) return 0; /* beyond U+10FFFF */
    return n;
}

/* JSON must be UTF-8. Files from older instrument software are often
 * Latin-1 ("Ecstasy, 3,4-méthylène..."): a byte that does not start a valid
 * UTF-8 sequence is taken as Latin-1 and written as \u00XX, so the output
 * is always valid JSON and nothing is lost. */
void nps_io_write_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            size_t n = utf8_len(p);
            if (n) {
                fwrite(p, 1, n, fp);
                p += n - 1;
            } else {
                fprintf(fp, "\\u%04x", *p);
            }
            continue;
        }
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", fp);
        else if (*p == '\t')
            fputs("\\t", fp);
        else if (*p == '\r')
            fputs("\\r", fp);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

static void json_value(FILE *fp, const char *jkey, const char *v)
{
    double x;
    if (strcmp(jkey, "ionmode") == 0 && (strcmp(v, "P") == 0 || strcmp(v, "N") == 0)) {
        nps_io_write_json_string(fp, v[0] == 'P' ? "positive" : "negative");
    } else if (strcmp(jkey, "precursor_mz") == 0 && nps_parse_double(&x, v) == 0) {
        char b[40];
        nps_fmt_double(b, sizeof b, x);
        fputs(b, fp);
    } else {
        nps_io_write_json_string(fp, v);
    }
}

int nps_json_write(FILE *fp, const nps_spectra *s)
{
    char a[40], b[40], key[160], key2[160];
    fputs("[", fp);
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        fputs(i ? ",\n  {" : "\n  {", fp);
        size_t nm = nps_spectra_meta_count(s, i);
        int first = 1;
        if (!nps_spectra_get(s, i, NPS_KEY_ID)) {
            fputs("\"spectrum_id\": ", fp);
            nps_io_write_json_string(fp, nps_spectra_id(s, i));
            first = 0;
        }
        for (size_t j = 0; j < nm; j++) {
            const char *k, *v;
            nps_spectra_meta_at(s, i, j, &k, &v);
            json_key(key, sizeof key, k);
            /* written already with an earlier entry of the same key? */
            int dup = 0, count = 0;
            for (size_t l = 0; l < nm; l++) {
                const char *k2, *v2;
                nps_spectra_meta_at(s, i, l, &k2, &v2);
                json_key(key2, sizeof key2, k2);
                if (strcmp(key, key2) == 0) {
                    if (l < j) dup = 1;
                    count++;
                }
            }
            if (dup) continue;
            fputs(first ? "\"" : ", \"", fp);
            first = 0;
            fputs(key, fp);
            fputs("\": ", fp);
            if (count == 1) {
                json_value(fp, key, v);
                continue;
            }
            fputc('[', fp);
            int f2 = 1;
            for (size_t l = j; l < nm; l++) {
                const char *k2, *v2;
                nps_spectra_meta_at(s, i, l, &k2, &v2);
                json_key(key2, sizeof key2, k2);
                if (strcmp(key, key2) != 0) continue;
                if (!f2) fputs(", ", fp);
                f2 = 0;
                json_value(fp, key, v2);
            }
            fputc(']', fp);
        }
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(s, i, &mz, &in, &n);
        fputs(first ? "\"peaks_json\": [" : ", \"peaks_json\": [", fp);
        for (size_t k = 0; k < n; k++) {
            nps_fmt_double(a, sizeof a, mz[k]);
            nps_fmt_float(b, sizeof b, in[k]);
            fprintf(fp, "%s[%s, %s]", k ? ", " : "", a, b);
        }
        fputs("]}", fp);
    }
    fputs("\n]\n", fp);
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

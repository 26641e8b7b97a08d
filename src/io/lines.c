/*
 * Line-oriented input shared by the MSP and MGF readers.
 *
 * Real spectra files arrive with CRLF endings, a UTF-8 byte-order mark, an
 * occasional megabyte-long comment line and, now and then, binary garbage
 * where a text file was expected. The reader copes with all of them: it
 * strips CR and BOM, caps the length it keeps (the rest of an over-long line is
 * read and discarded, so memory stays bounded) and flags lines holding NUL or
 * other control bytes so the parser can reject the record, not the file.
 *
 * The record accumulator and the peak-line tokenizer live here too, because
 * every text format needs the same rules: numbers must be finite, m/z must
 * not be negative, and quoted per-peak annotations are skipped.
 */
#include "lines.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int nps_lines_open(nps_lines *r, nps_stream *in, size_t max_len)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->path = nps_stream_name(in);
    r->max_len = max_len ? max_len : ((size_t)64 << 20);
    r->cap = 4096;
    r->buf = malloc(r->cap);
    if (!r->buf) return nps_err(NPS_ENOMEM, "out of memory");
    return 0;
}

void nps_lines_close(nps_lines *r)
{
    free(r->buf);
    r->buf = NULL;
    r->in = NULL;
}

const char *nps_lines_defect(nps_lines *r)
{
    if (r->binary) return "binary data in a text file";
    if (!r->too_long) return NULL;
    snprintf(r->why, sizeof r->why, "line longer than %zu bytes", r->max_len);
    return r->why;
}

/* A byte no text line holds: NUL, C0 controls other than tab, CR and form
 * feed, and DEL. */
static int control_byte(unsigned char c)
{
    return c == 0 || (c < 32 && c != '\t' && c != '\r' && c != '\f') || c == 127;
}

int nps_lines_next(nps_lines *r)
{
    size_t len = 0;
    int got = 0;
    r->binary = 0;
    r->too_long = 0;
    r->partial = 1;
    for (;;) {
        const unsigned char *d;
        size_t n;
        int rc = nps_stream_window(&d, &n, r->in);
        if (rc) return rc;
        if (n == 0) break;
        got = 1;
        const unsigned char *nl = memchr(d, '\n', n);
        size_t take = nl ? (size_t)(nl - d) : n;
        for (size_t i = 0; i < take && !r->binary; i++)
            if (control_byte(d[i])) r->binary = 1;
        /* keep at most max_len - 1 bytes; the rest of the line is read and
         * dropped, so memory stays bounded */
        size_t room = len + 1 < r->max_len ? r->max_len - 1 - len : 0;
        size_t keep = take < room ? take : room;
        if (take > keep) r->too_long = 1;
        if (len + keep + 2 > r->cap) {
            size_t ncap = r->cap;
            while (len + keep + 2 > ncap) ncap *= 2;
            char *p = realloc(r->buf, ncap);
            if (!p) return nps_err(NPS_ENOMEM, "out of memory");
            r->buf = p;
            r->cap = ncap;
        }
        memcpy(r->buf + len, d, keep);
        len += keep;
        nps_stream_consume(r->in, take + (nl ? 1 : 0));
        if (nl) {
            r->partial = 0;
            break;
        }
    }
    if (!got) return 0;
    while (len && (r->buf[len - 1] == '\r')) len--;
    r->buf[len] = '\0';
    r->lineno++;
    if (r->lineno == 1 && len >= 3 && (unsigned char)r->buf[0] == 0xEF &&
        (unsigned char)r->buf[1] == 0xBB && (unsigned char)r->buf[2] == 0xBF) {
        memmove(r->buf, r->buf + 3, len - 2);
        len -= 3;
    }
    r->len = len;
    return 1;
}

int nps_line_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* --------------------------------------------------------------------- */

typedef struct {
    const char *alias; /* lower case, without blanks, '_' and '-' */
    const char *key;
} alias_t;

static const alias_t aliases[] = {
    {"name", NPS_KEY_NAME},
    {"compoundname", NPS_KEY_NAME},
    {"synon", NPS_KEY_SYNONYM},
    {"synonym", NPS_KEY_SYNONYM},
    {"synonyms", NPS_KEY_SYNONYM},
    {"formula", NPS_KEY_FORMULA},
    {"molecularformula", NPS_KEY_FORMULA},
    {"molform", NPS_KEY_FORMULA},
    {"mw", NPS_KEY_MW},
    {"molecularweight", NPS_KEY_MW},
    {"nominalmass", NPS_KEY_MW},
    {"exactmass", NPS_KEY_EXACT_MASS},
    {"monoisotopicmass", NPS_KEY_EXACT_MASS},
    {"cas", NPS_KEY_CAS},
    {"cas#", NPS_KEY_CAS},
    {"casno", NPS_KEY_CAS},
    {"casnumber", NPS_KEY_CAS},
    {"casrn", NPS_KEY_CAS},
    {"casregistryno", NPS_KEY_CAS},
    {"inchikey", NPS_KEY_INCHIKEY},
    {"smiles", NPS_KEY_SMILES},
    {"precursormz", NPS_KEY_PRECURSOR_MZ},
    {"precursorm/z", NPS_KEY_PRECURSOR_MZ},
    {"pepmass", NPS_KEY_PRECURSOR_MZ},
    {"precursortype", NPS_KEY_PRECURSOR_TYPE},
    {"precursoriontype", NPS_KEY_PRECURSOR_TYPE},
    {"adduct", NPS_KEY_PRECURSOR_TYPE},
    {"charge", NPS_KEY_CHARGE},
    {"ionmode", NPS_KEY_ION_MODE},
    {"polarity", NPS_KEY_ION_MODE},
    {"ionpolarity", NPS_KEY_ION_MODE},
    {"ionization", NPS_KEY_IONIZATION},
    {"ionisation", NPS_KEY_IONIZATION},
    {"instrumenttype", NPS_KEY_INSTRUMENT_TYPE},
    {"collisionenergy", NPS_KEY_COLLISION_ENERGY},
    {"spectrumtype", NPS_KEY_SPECTRUM_TYPE},
    {"mstype", NPS_KEY_SPECTRUM_TYPE},
    {"retentiontime", NPS_KEY_RETENTION_TIME},
    {"rt", NPS_KEY_RETENTION_TIME},
    {"retentionindex", NPS_KEY_RETENTION_INDEX},
    {"ri", NPS_KEY_RETENTION_INDEX},
    {"class", NPS_KEY_CLASS},
    {"compoundclass", NPS_KEY_CLASS},
    {"db#", NPS_KEY_ID},
    {"accession", NPS_KEY_ID},
    {"title", NPS_KEY_TITLE},
    {"spectrumid", NPS_KEY_SPECTRUM_ID},
    {"source", NPS_KEY_SOURCE},
    {"license", NPS_KEY_LICENSE},
    {"licence", NPS_KEY_LICENSE},
    {"comments", NPS_KEY_COMMENTS},
    {"comment", NPS_KEY_COMMENTS},
};

const char *nps_key_canonical(const char *key)
{
    char norm[64];
    size_t k = 0;
    for (const char *p = key; *p; p++) {
        if (*p == ' ' || *p == '_' || *p == '-' || *p == '\t') continue;
        if (k + 1 >= sizeof norm) return NULL;
        norm[k++] = (char)tolower((unsigned char)*p);
    }
    norm[k] = '\0';
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(norm, aliases[i].alias) == 0) return aliases[i].key;
    return NULL;
}

/* --------------------------------------------------------------------- */

void nps_record_reset(nps_record *r)
{
    for (size_t i = 0; i < r->nmeta; i++) {
        free(r->keys[i]);
        free(r->vals[i]);
    }
    for (size_t k = 0; r->ann && k < r->n; k++) {
        free(r->ann[k]);
        r->ann[k] = NULL;
    }
    r->nmeta = 0;
    r->n = 0;
}

void nps_record_free(nps_record *r)
{
    nps_record_reset(r);
    free(r->mz);
    free(r->in);
    free(r->ann);
    free(r->keys);
    free(r->vals);
    memset(r, 0, sizeof *r);
}

int nps_record_meta(nps_record *r, const char *key, const char *value)
{
    size_t cap = r->meta_cap;
    if (nps_grow((void **)&r->keys, &cap, r->nmeta + 1, sizeof(char *))) return NPS_ENOMEM;
    cap = r->meta_cap;
    if (nps_grow((void **)&r->vals, &cap, r->nmeta + 1, sizeof(char *))) return NPS_ENOMEM;
    r->meta_cap = cap;
    const char *canon = nps_key_canonical(key);
    char *k = nps_strdup(canon ? canon : key);
    char *v = nps_strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return NPS_ENOMEM;
    }
    r->keys[r->nmeta] = k;
    r->vals[r->nmeta] = v;
    r->nmeta++;
    return 0;
}

const char *nps_record_get(const nps_record *r, const char *key)
{
    for (size_t i = 0; i < r->nmeta; i++)
        if (nps_strcaseeq(r->keys[i], key)) return r->vals[i];
    return NULL;
}

int nps_record_peak(nps_record *r, double mz, float in)
{
    size_t cap = r->cap;
    if (nps_grow((void **)&r->mz, &cap, r->n + 1, sizeof(double))) return NPS_ENOMEM;
    if (cap != r->cap || !r->in) {
        float *f = realloc(r->in, cap * sizeof(float));
        if (!f) return nps_err(NPS_ENOMEM, "out of memory");
        r->in = f;
        char **a = realloc(r->ann, cap * sizeof *a);
        if (!a) return nps_err(NPS_ENOMEM, "out of memory");
        for (size_t k = r->cap; k < cap; k++) a[k] = NULL;
        r->ann = a;
        r->cap = cap;
    }
    r->mz[r->n] = mz;
    r->in[r->n] = in;
    r->ann[r->n] = NULL;
    r->n++;
    return 0;
}

/* Attach text[0, len) (trimmed) as the annotation of the last peak. */
static int annotate_last(nps_record *r, const char *text, size_t len)
{
    while (len && (*text == ' ' || *text == '\t')) text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t')) len--;
    if (!len || !r->n) return 0;
    char *a = malloc(len + 1);
    if (!a) return nps_err(NPS_ENOMEM, "out of memory");
    memcpy(a, text, len);
    a[len] = '\0';
    free(r->ann[r->n - 1]);
    r->ann[r->n - 1] = a;
    return 0;
}

static int is_sep(char c)
{
    return c == ' ' || c == '\t' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')' ||
           c == '\f';
}

/* Read one number token at *p; 0 on success, else NPS_EFORMAT. */
static int number_token(double *out, const char **p, char *tok, size_t tsize)
{
    const char *s = *p;
    size_t k = 0;
    while (*s && !is_sep(*s) && *s != '"') {
        if (k + 1 < tsize) tok[k++] = *s;
        s++;
    }
    tok[k] = '\0';
    *p = s;
    return nps_parse_double(out, tok);
}

int nps_parse_peak_line(nps_record *rec, const char *line, int pairs_mode, char *reason,
                        size_t rsize)
{
    if (pairs_mode < 0) {
        int q = 0;
        pairs_mode = 0;
        for (const char *p = line; *p; p++) {
            if (*p == '"')
                q = !q;
            else if (!q && (*p == ';' || *p == ':' || *p == '('))
                pairs_mode = 1;
        }
    }
    const char *p = line;
    double v[2];
    int have = 0, taken = 0;
    char tok[64];
    for (;;) {
        while (*p && is_sep(*p)) p++;
        if (!*p) break;
        if (*p == '"') { /* annotation of the preceding peak */
            const char *b = ++p;
            while (*p && *p != '"') p++;
            if (annotate_last(rec, b, (size_t)(p - b))) {
                snprintf(reason, rsize, "out of memory");
                return NPS_ENOMEM;
            }
            if (*p) p++;
            continue;
        }
        if (!pairs_mode && taken) { /* the rest of the line is the annotation */
            if (annotate_last(rec, p, strlen(p))) {
                snprintf(reason, rsize, "out of memory");
                return NPS_ENOMEM;
            }
            break;
        }
        double x;
        if (number_token(&x, &p, tok, sizeof tok)) {
            if (!pairs_mode && have == 0 && taken == 0) {
                snprintf(reason, rsize, "non-numeric peak value '%s'", tok);
                return NPS_EFORMAT;
            }
            if (!pairs_mode && have == 1) {
                snprintf(reason, rsize, "non-numeric intensity '%s'", tok);
                return NPS_EFORMAT;
            }
            if (pairs_mode) {
                snprintf(reason, rsize, "non-numeric peak value '%s'", tok);
                return NPS_EFORMAT;
            }
            break;
        }
        v[have++] = x;
        if (have == 2) {
            if (v[0] < 0) {
                snprintf(reason, rsize, "negative m/z %g", v[0]);
                return NPS_EFORMAT;
            }
            if (v[1] < 0) {
                snprintf(reason, rsize, "negative intensity %g at m/z %g", v[1], v[0]);
                return NPS_EFORMAT;
            }
            if (v[1] > 3.0e38) {
                snprintf(reason, rsize, "intensity %g out of range", v[1]);
                return NPS_EFORMAT;
            }
            if (nps_record_peak(rec, v[0], (float)v[1])) {
                snprintf(reason, rsize, "out of memory");
                return NPS_ENOMEM;
            }
            have = 0;
            taken = 1;
        }
    }
    if (have == 1) {
        snprintf(reason, rsize, "m/z %g without an intensity", v[0]);
        return NPS_EFORMAT;
    }
    return 0;
}

int nps_read_bad(nps_read_ctx *c, size_t line, const char *reason)
{
    if (c->rep) c->rep->records_skipped++;
    if (c->opt->on_error) c->opt->on_error(c->opt->on_error_ctx, c->path, line, reason);
    if (c->opt->strict) return nps_err_at(NPS_EFORMAT, c->path, line, "%s", reason);
    return 0;
}

int nps_read_commit(nps_read_ctx *c, nps_spectra *dst, nps_record *rec, size_t line,
                    size_t record_no)
{
    char fb[512];
    const char *base = strrchr(c->path, '/');
    base = base ? base + 1 : c->path;
    snprintf(fb, sizeof fb, "%s#%zu", base, record_no);
    if (rec->n > c->opt->max_peaks) {
        char why[128];
        snprintf(why, sizeof why, "record has %zu peaks, more than the limit of %zu", rec->n,
                 c->opt->max_peaks);
        return nps_read_bad(c, line, why);
    }
    int rc = nps_spectra_add_ex(dst, rec->mz, rec->in, rec->n, (const char *const *)rec->keys,
                                (const char *const *)rec->vals, rec->nmeta, fb, 0,
                                (const char *const *)rec->ann);
    if (rc == NPS_ENOMEM) return rc;
    if (rc) return nps_read_bad(c, line, nps_error_last());
    if (c->rep) c->rep->records_read++;
    if (nps_read_streamed(c->opt) && nps_spectra_count(dst) >= NPS_READ_BATCH) {
        rc = c->opt->on_batch(c->opt->on_batch_ctx, dst);
        nps_spectra_clear(dst);
        if (rc) return rc;
    }
    return 0;
}

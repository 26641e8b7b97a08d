/*
 * NIST MSP reader and writer.
 *
 * MSP is the lingua franca of mass spectral libraries (NIST, SWGDRUG, MoNA,
 * MassBank exports, MS-DIAL) and has no formal specification, so the reader
 * follows what the files in the wild do:
 *  - a record is "Key: value" lines, then "Num Peaks: N", then N peaks;
 *    records end at a blank line, or at the next "Name:" line when a file
 *    has none;
 *  - keys are matched case-insensitively, spaces and underscores ignored
 *    ("Num peaks", "NUM PEAKS", "Num_Peaks"), and mapped to canonical names;
 *    unknown keys are kept as written;
 *  - peaks come one per line ("mz int" or "mz\tint\t\"annotation\"") or
 *    several per line ("mz int; mz int;", "mz:int mz:int", AMDIS "(mz int)");
 *  - NIST writes two fields on one line ("CAS#: 50-00-0;  NIST#: 1234");
 *  - MassBank exports hide the precursor in Comments ("Parent=428.31").
 * A malformed record (bad number, negative m/z, peak count that disagrees
 * with Num Peaks, binary bytes, truncation) is reported with its line number
 * and skipped; reading resumes at the next record.
 */
#include "lines.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { IDLE, HEADER, PEAKS, SKIP };

static int is_key_line(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '$' && *s != '#') return 0;
    const char *c = strchr(s, ':');
    return c != NULL && c != s;
}

static int is_numpeaks(const char *key)
{
    char norm[32];
    size_t k = 0;
    for (const char *p = key; *p && k + 1 < sizeof norm; p++)
        if (*p != ' ' && *p != '_' && *p != '\t') norm[k++] = (char)tolower((unsigned char)*p);
    norm[k] = '\0';
    return strcmp(norm, "numpeaks") == 0 || strcmp(norm, "numpeak") == 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* Split "CAS#: 0123-45-6;  NIST#: 654321" style lines into two fields. */
static int add_field(nps_record *rec, char *key, char *value)
{
    size_t kl = strlen(key);
    if (kl && key[kl - 1] == '#') {
        char *semi = strchr(value, ';');
        if (semi) {
            char *k2 = semi + 1;
            while (*k2 == ' ' || *k2 == '\t') k2++;
            char *colon = strchr(k2, ':');
            if (colon && colon > k2 && colon[-1] == '#') {
                *semi = '\0';
                *colon = '\0';
                int rc = nps_record_meta(rec, key, trim(value));
                if (rc) return rc;
                return add_field(rec, trim(k2), trim(colon + 1));
            }
        }
    }
    return nps_record_meta(rec, key, value);
}

/* MassBank and matchms exports put the precursor in Comments as
 * Parent=428.31 (possibly quoted among other key=value pairs). */
static int precursor_from_comments(nps_record *rec)
{
    if (nps_record_get(rec, NPS_KEY_PRECURSOR_MZ)) return 0;
    const char *c = nps_record_get(rec, NPS_KEY_COMMENTS);
    if (!c) return 0;
    for (const char *p = c; *p; p++) {
        if ((p == c || !isalnum((unsigned char)p[-1])) && strncasecmp(p, "parent=", 7) == 0) {
            char tok[64];
            size_t k = 0;
            const char *q = p + 7;
            while (*q && (isdigit((unsigned char)*q) || *q == '.') && k + 1 < sizeof tok)
                tok[k++] = *q++;
            tok[k] = '\0';
            double v;
            if (k && nps_parse_double(&v, tok) == 0 && v > 0)
                return nps_record_meta(rec, NPS_KEY_PRECURSOR_MZ, tok);
            return 0;
        }
    }
    return 0;
}

int nps_msp_read(nps_spectra *dst, nps_read_ctx *c)
{
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    if (rc) return rc;
    nps_record rec = {0};
    int state = IDLE;
    long long expected = -1;
    size_t rec_line = 0, record_no = 0, nonblank = 0;
    char reason[256];

#define BAD(line, ...)                                                                             \
    do {                                                                                           \
        snprintf(reason, sizeof reason, __VA_ARGS__);                                              \
        rc = nps_read_bad(c, (line), reason);                                                      \
        if (rc) goto done;                                                                         \
        state = SKIP;                                                                              \
    } while (0)

    /* Validate and store the record being read. */
#define FINISH()                                                                                   \
    do {                                                                                           \
        if (state == HEADER && expected < 0 && rec.n == 0) {                                       \
            BAD(rec_line, "record without a peak list (no 'Num Peaks:' line)");                    \
        } else if (expected >= 0 && (size_t)expected != rec.n) {                                   \
            BAD(rec_line, "peak count mismatch: Num Peaks says %lld, found %zu", expected, rec.n); \
        } else {                                                                                   \
            if ((rc = precursor_from_comments(&rec))) goto done;                                   \
            if ((rc = nps_read_commit(c, dst, &rec, rec_line, record_no))) goto done;              \
        }                                                                                          \
        state = IDLE;                                                                              \
    } while (0)

    int got;
    while ((got = nps_lines_next(&r)) > 0) {
        char *line = r.buf;
        if (!nps_line_blank(line)) nonblank++;
        if (nps_lines_defect(&r)) {
            if (state != SKIP) {
                if (state == IDLE) {
                    record_no++;
                    nps_record_reset(&rec);
                }
                BAD(r.lineno, "%s", nps_lines_defect(&r));
            }
            continue;
        }
        if (nps_line_blank(line)) {
            if (state == HEADER || state == PEAKS)
                FINISH();
            else
                state = IDLE;
            continue;
        }
        if (state == SKIP) {
            if (strncasecmp(line, "name:", 5) != 0) continue;
            state = IDLE;
        }
        if (state == PEAKS) {
            if (!is_key_line(line)) {
                rc = nps_parse_peak_line(&rec, line, -1, reason, sizeof reason);
                if (rc == NPS_ENOMEM) goto done;
                if (rc && r.partial) {
                    char why[256];
                    snprintf(why, sizeof why, "truncated file: the last line is cut (%.200s)",
                             reason);
                    snprintf(reason, sizeof reason, "%s", why);
                }
                if (rc) {
                    rc = nps_read_bad(c, r.lineno, reason);
                    if (rc) goto done;
                    state = SKIP;
                }
                continue;
            }
            FINISH();
            if (state == SKIP) continue;
        }
        if (state == IDLE && (line[0] == '#' || (line[0] == '/' && line[1] == '/'))) continue;
        if (is_key_line(line)) {
            if (state == IDLE) {
                nps_record_reset(&rec);
                expected = -1;
                rec_line = r.lineno;
                record_no++;
                state = HEADER;
            }
            char *colon = strchr(line, ':');
            *colon = '\0';
            char *key = trim(line), *val = trim(colon + 1);
            if (is_numpeaks(key)) {
                double v;
                if (nps_parse_double(&v, val) || v < 0 || v != floor(v)) {
                    BAD(r.lineno, "invalid peak count '%s'", val);
                    continue;
                }
                if (v > (double)c->opt->max_peaks) {
                    BAD(r.lineno, "peak count %s exceeds the limit of %zu", val, c->opt->max_peaks);
                    continue;
                }
                expected = (long long)v;
                state = PEAKS;
            } else if ((rc = add_field(&rec, key, val))) {
                goto done;
            }
            continue;
        }
        if (state == HEADER && (isdigit((unsigned char)line[0]) || line[0] == ' ' ||
                                line[0] == '\t' || line[0] == '.' || line[0] == '(')) {
            /* a peak list without a Num Peaks line */
            state = PEAKS;
            rc = nps_parse_peak_line(&rec, line, -1, reason, sizeof reason);
            if (rc == NPS_ENOMEM) goto done;
            if (rc) {
                rc = nps_read_bad(c, r.lineno, reason);
                if (rc) goto done;
                state = SKIP;
            }
            continue;
        }
        if (state == IDLE) {
            record_no++;
            nps_record_reset(&rec);
        }
        BAD(r.lineno, "expected 'key: value' or a peak, found '%.40s'", line);
    }
    if (got < 0) {
        rc = got;
        goto done;
    }
    if (state == PEAKS && expected >= 0 && rec.n < (size_t)expected) {
        BAD(r.lineno, "truncated record: Num Peaks says %lld, file ends after %zu", expected,
            rec.n);
    } else if (state == HEADER || state == PEAKS) {
        FINISH();
    }
    if (nonblank == 0) rc = nps_err_at(NPS_EFORMAT, c->path, 1, "empty file");
done:
#undef BAD
#undef FINISH
    nps_record_free(&rec);
    nps_lines_close(&r);
    return rc;
}

/* ----------------------------------------------------------------------- */

/* Shortest decimal text that reads back as the same double / float, so that
 * MSP -> library -> MSP keeps every value exactly. */
void nps_fmt_double(char *buf, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

void nps_fmt_float(char *buf, size_t n, float v)
{
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, n, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v) return;
    }
}

int nps_msp_write(FILE *fp, const nps_spectra *s)
{
    char a[40], b[40];
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        size_t nm = nps_spectra_meta_count(s, i);
        int has_name = 0;
        for (size_t j = 0; j < nm; j++) {
            const char *k, *v;
            nps_spectra_meta_at(s, i, j, &k, &v);
            if (nps_strcaseeq(k, NPS_KEY_NAME)) has_name = 1;
        }
        if (!has_name) fprintf(fp, "Name: %s\n", nps_spectra_id(s, i));
        for (size_t j = 0; j < nm; j++) {
            const char *k, *v;
            nps_spectra_meta_at(s, i, j, &k, &v);
            fprintf(fp, "%s: %s\n", k, v);
        }
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(s, i, &mz, &in, &n);
        fprintf(fp, "Num Peaks: %zu\n", n);
        for (size_t k = 0; k < n; k++) {
            nps_fmt_double(a, sizeof a, mz[k]);
            nps_fmt_float(b, sizeof b, in[k]);
            const char *ann = nps_spectra_peak_annotation(s, i, k);
            if (ann) {
                fprintf(fp, "%s\t%s\t\"", a, b);
                for (const char *c = ann; *c; c++) fputc(*c == '"' ? '\'' : *c, fp);
                fputs("\"\n", fp);
            } else {
                fprintf(fp, "%s\t%s\n", a, b);
            }
        }
        fputc('\n', fp);
    }
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

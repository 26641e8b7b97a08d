/*
 * Mascot Generic Format (MGF) reader and writer.
 *
 * An MGF file is a sequence of BEGIN IONS ... END IONS blocks holding
 * KEY=VALUE parameters and peak lines ("mz intensity [charge|annotation]").
 * Parameters outside any block are global and are inherited by every
 * spectrum that does not set them itself (Matrix Science's definition,
 * which pyteomics's test vectors exercise). PEPMASS may carry an intensity
 * and a charge after the m/z ("983.6 1234 2+"); the precursor is its first
 * number. Comment lines start with '#', ';', '!' or '/'.
 */
#include "lines.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int nps_mgf_read(nps_spectra *dst, nps_read_ctx *c)
{
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    if (rc) return rc;
    nps_record rec = {0}, global = {0};
    int in = 0, skip = 0;
    size_t rec_line = 0, record_no = 0, nonblank = 0;
    char reason[256];
    int got;

    while ((got = nps_lines_next(&r)) > 0) {
        char *line = r.buf;
        while (*line == ' ' || *line == '\t') line++;
        if (!*line) continue;
        nonblank++;
        if (nps_lines_defect(&r)) {
            if (!skip) {
                if (!in) record_no++;
                snprintf(reason, sizeof reason, "%s", nps_lines_defect(&r));
                if ((rc = nps_read_bad(c, r.lineno, reason))) goto done;
            }
            skip = 1;
            continue;
        }
        if (strncasecmp(line, "BEGIN IONS", 10) == 0) {
            if (in && !skip) {
                if ((rc = nps_read_bad(c, rec_line, "spectrum without END IONS"))) goto done;
            }
            in = 1;
            skip = 0;
            record_no++;
            rec_line = r.lineno;
            nps_record_reset(&rec);
            continue;
        }
        if (strncasecmp(line, "END IONS", 8) == 0) {
            if (!in) {
                if ((rc = nps_read_bad(c, r.lineno, "END IONS without BEGIN IONS"))) goto done;
                continue;
            }
            if (!skip) {
                /* inherit global parameters the spectrum does not set */
                for (size_t g = 0; g < global.nmeta; g++)
                    if (!nps_record_get(&rec, global.keys[g]))
                        if ((rc = nps_record_meta(&rec, global.keys[g], global.vals[g]))) goto done;
                if ((rc = nps_read_commit(c, dst, &rec, rec_line, record_no))) goto done;
            }
            in = 0;
            skip = 0;
            continue;
        }
        if (line[0] == '#' || line[0] == ';' || line[0] == '!' || line[0] == '/') continue;
        if (in && skip) continue;
        char *eq = strchr(line, '=');
        if (isalpha((unsigned char)line[0]) && eq) {
            *eq = '\0';
            char *key = line, *val = eq + 1;
            size_t kl = strlen(key);
            while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t')) key[--kl] = '\0';
            while (*val == ' ' || *val == '\t') val++;
            size_t vl = strlen(val);
            while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t')) val[--vl] = '\0';
            if ((rc = nps_record_meta(in ? &rec : &global, key, val))) goto done;
            continue;
        }
        if (!in) {
            record_no++;
            snprintf(reason, sizeof reason, "unexpected line outside BEGIN/END IONS: '%.40s'",
                     line);
            if ((rc = nps_read_bad(c, r.lineno, reason))) goto done;
            continue;
        }
        rc = nps_parse_peak_line(&rec, line, 0, reason, sizeof reason);
        if (rc == NPS_ENOMEM) goto done;
        if (rc) {
            if ((rc = nps_read_bad(c, r.lineno, reason))) goto done;
            skip = 1;
        }
    }
    if (got < 0) {
        rc = got;
        goto done;
    }
    if (in && !skip) {
        if ((rc = nps_read_bad(c, rec_line, "truncated file: spectrum without END IONS")))
            goto done;
    }
    if (nonblank == 0) rc = nps_err_at(NPS_EFORMAT, c->path, 1, "empty file");
done:
    nps_record_free(&rec);
    nps_record_free(&global);
    nps_lines_close(&r);
    return rc;
}

static void mgf_key(char *out, size_t n, const char *key)
{
    if (nps_strcaseeq(key, NPS_KEY_PRECURSOR_MZ)) {
        snprintf(out, n, "PEPMASS");
        return;
    }
    size_t k = 0;
    for (const char *p = key; *p && k + 1 < n; p++)
        out[k++] = (char)((*p == ' ' || *p == '=') ? '_' : toupper((unsigned char)*p));
    out[k] = '\0';
}

int nps_mgf_write(FILE *fp, const nps_spectra *s)
{
    char a[40], b[40], key[128];
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        fputs("BEGIN IONS\n", fp);
        if (!nps_spectra_get(s, i, NPS_KEY_TITLE)) fprintf(fp, "TITLE=%s\n", nps_spectra_id(s, i));
        for (size_t j = 0; j < nps_spectra_meta_count(s, i); j++) {
            const char *k, *v;
            nps_spectra_meta_at(s, i, j, &k, &v);
            mgf_key(key, sizeof key, k);
            fprintf(fp, "%s=%s\n", key, v);
        }
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(s, i, &mz, &in, &n);
        for (size_t k = 0; k < n; k++) {
            nps_fmt_double(a, sizeof a, mz[k]);
            nps_fmt_float(b, sizeof b, in[k]);
            const char *ann = nps_spectra_peak_annotation(s, i, k);
            if (!ann) {
                fprintf(fp, "%s %s\n", a, b);
            } else if (strpbrk(ann, " \t\"")) {
                fprintf(fp, "%s %s \"", a, b);
                for (const char *c = ann; *c; c++) fputc(*c == '"' ? '\'' : *c, fp);
                fputs("\"\n", fp);
            } else {
                fprintf(fp, "%s %s %s\n", a, b, ann);
            }
        }
        fputs("END IONS\n\n", fp);
    }
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

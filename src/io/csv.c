/*
 * CSV/TSV peak lists: one spectrum per file, two or more columns (m/z,
 * intensity, anything after is ignored), with or without a header line,
 * separated by commas, semicolons, tabs or spaces, with a decimal point or a
 * decimal comma. This is what instrument software and spreadsheets export.
 *
 * The separator is decided per file from the first data line: a tab, else a
 * semicolon, else a comma, else blanks. A comma is a decimal comma when the
 * separator is not a comma, or when the line is blank-separated numbers each
 * holding one comma and no point ("112,07 3520,5"). Only the first non-blank
 * line may be a header (a first field that is not a number); the spectrum is
 * named after the file.
 */
#include "lines.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char sep;      /* '\t', ';', ',' or ' ' (any blanks) */
    int dec_comma; /* ',' is the decimal mark */
} csv_style;

static csv_style detect_style(const char *line)
{
    csv_style st = {' ', 0};
    if (strchr(line, '\t'))
        st.sep = '\t';
    else if (strchr(line, ';'))
        st.sep = ';';
    else if (strchr(line, ',')) {
        /* "112,07 3520,5": blank-separated fields, no decimal point, and every
         * comma between two digits: a decimal comma; otherwise commas separate */
        int fields = 0, ok = !strchr(line, '.');
        for (const char *p = line; *p && ok; p++)
            if (*p == ',')
                ok = p > line && isdigit((unsigned char)p[-1]) && isdigit((unsigned char)p[1]);
        for (const char *p = line; *p && ok;) {
            while (*p == ' ') p++;
            if (!*p) break;
            while (*p && *p != ' ') p++;
            fields++;
        }
        st.sep = ok && fields >= 2 ? ' ' : ',';
    }
    st.dec_comma = st.sep != ',' && strchr(line, ',') != NULL;
    return st;
}

/* Split the line into at most 2 numbers; returns the count of fields parsed
 * as numbers before the first non-number (0, 1 or 2), and -1 when the first
 * field is not a number. */
static int two_numbers(double v[2], char *line, csv_style st)
{
    if (st.dec_comma)
        for (char *p = line; *p; p++)
            if (*p == ',') *p = '.';
    char *p = line;
    int got = 0;
    while (got < 2) {
        while (*p == ' ' || (st.sep != ' ' && *p == st.sep && got == 0 && p == line)) p++;
        if (!*p) break;
        char *start = p;
        while (*p && (st.sep == ' ' ? (*p != ' ' && *p != '\t') : *p != st.sep)) p++;
        char save = *p;
        *p = '\0';
        /* trim, and strip quotes that spreadsheets add */
        char *f = start;
        while (*f == ' ' || *f == '"') f++;
        size_t n = strlen(f);
        while (n && (f[n - 1] == ' ' || f[n - 1] == '"')) f[--n] = '\0';
        double x;
        int bad = nps_parse_double(&x, f);
        *p = save;
        if (bad) return got == 0 ? -1 : got;
        v[got++] = x;
        if (*p) p++;
    }
    return got;
}

int nps_csv_read(nps_spectra *dst, nps_read_ctx *c)
{
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    if (rc) return rc;
    nps_record rec = {0};
    csv_style st = {' ', 0};
    int styled = 0, bad = 0;
    size_t data_lines = 0, nonblank = 0, bad_line = 0;
    char reason[256] = "";
    int got;
    while ((got = nps_lines_next(&r)) > 0) {
        if (nps_line_blank(r.buf)) continue;
        nonblank++;
        if (nps_lines_defect(&r)) {
            snprintf(reason, sizeof reason, "%s", nps_lines_defect(&r));
            bad = 1;
            bad_line = r.lineno;
            break;
        }
        char *line = r.buf;
        while (*line == ' ') line++;
        if (line[0] == '#') continue;
        if (!styled) {
            st = detect_style(line);
            styled = 1;
        }
        double v[2];
        int n = two_numbers(v, line, st);
        if (n < 0 && nonblank == 1) { /* a header */
            styled = 0;
            continue;
        }
        if (n < 2) {
            snprintf(reason, sizeof reason, "expected m/z and intensity, found '%.40s'", r.buf);
            bad = 1;
            bad_line = r.lineno;
            break;
        }
        if (v[0] < 0 || v[1] < 0) {
            snprintf(reason, sizeof reason, "negative value in '%.40s'", r.buf);
            bad = 1;
            bad_line = r.lineno;
            break;
        }
        if ((rc = nps_record_peak(&rec, v[0], (float)v[1]))) goto done;
        data_lines++;
    }
    if (got < 0) {
        rc = got;
        goto done;
    }
    if (nonblank == 0) {
        rc = nps_err_at(NPS_EFORMAT, c->path, 1, "empty file");
        goto done;
    }
    if (bad) {
        rc = nps_read_bad(c, bad_line, reason);
        goto done;
    }
    if (data_lines == 0) {
        rc = nps_read_bad(c, 1, "no peaks");
        goto done;
    }
    /* the spectrum is named after the file */
    const char *base = strrchr(c->path, '/');
    base = base ? base + 1 : c->path;
    char name[512];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name) *dot = '\0';
    if ((rc = nps_record_meta(&rec, NPS_KEY_NAME, name))) goto done;
    rc = nps_read_commit(c, dst, &rec, 1, 1);
done:
    nps_record_free(&rec);
    nps_lines_close(&r);
    return rc;
}

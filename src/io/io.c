/*
 * Format detection and dispatch. A lab's files are often misnamed (".txt"
 * exports, ".msp" files that are really MGF), so the content decides: the
 * first few kilobytes are inspected for the markers of each format, and the
 * extension is only a tie-breaker. Formats this build cannot read yet are
 * refused by name rather than misparsed.
 */
#include "lines.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int ext_is(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

/* A peak table: after at most one header line, lines that start with two
 * numbers (digits, signs, points, commas, separators). */
static int looks_like_peak_table(const char *p)
{
    int lines = 0, numeric = 0;
    while (*p && lines < 20) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int blank = 1, digits = 0, other = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];
            if (!isspace(ch)) blank = 0;
            if (isdigit(ch))
                digits++;
            else if (!strchr(" \t\r,;.+-eE\"", ch))
                other++;
        }
        if (!blank) {
            lines++;
            if (digits && !other)
                numeric++;
            else if (lines > 1)
                return 0; /* only the first line may be a header */
        }
        if (!e) break;
        p = e + 1;
    }
    return numeric >= 1 && numeric >= lines - 1;
}

/* An MSP key line: "key:" at the start of a line (blanks before and around
 * the colon allowed), case-insensitive. A document that merely mentions
 * "num peaks" in prose is not an MSP file. */
static int msp_key_line(const char *p, const char *key)
{
    size_t k = strlen(key);
    for (const char *l = p; l; l = strchr(l, '\n')) {
        if (*l == '\n') l++;
        while (*l == ' ' || *l == '\t') l++;
        if (strncasecmp(l, key, k) == 0) {
            const char *c = l + k;
            while (*c == ' ' || *c == '\t') c++;
            if (*c == ':') return 1;
        }
    }
    return 0;
}

/* JCAMP-DX: a "##TITLE=" or "##JCAMP-DX=" labelled record starting a line. */
static int jcamp_label_line(const char *p)
{
    for (const char *l = p; l; l = strchr(l, '\n')) {
        if (*l == '\n') l++;
        while (*l == ' ' || *l == '\t') l++;
        if (strncasecmp(l, "##TITLE", 7) == 0 || strncasecmp(l, "##JCAMP", 7) == 0) return 1;
    }
    return 0;
}

/* MS1/MS2: "H<tab>" header lines, then "S<tab>" spectrum lines. */
static int looks_like_ms2(const char *p)
{
    while (*p == '\n' || *p == '\r') p++;
    if ((p[0] == 'H' || p[0] == 'S') && (p[1] == '\t' || p[1] == ' ')) {
        const char *s = p[0] == 'S' ? p : strstr(p, "\nS");
        return s && (s[s[0] == '\n' ? 2 : 1] == '\t' || s[s[0] == '\n' ? 2 : 1] == ' ');
    }
    return 0;
}

int nps_io_detect(nps_format *out, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return nps_err(NPS_EIO, "%s: cannot open: %s", path, strerror(errno));
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    if (n == 0) return nps_err_at(NPS_EFORMAT, path, 1, "empty file");
    /* A few stray control bytes make a damaged record, which the reader skips;
     * a file that is mostly binary is not a spectra file at all. */
    /* UTF-16/32 text (a BOM, or NULs in every other byte): readable, but not
     * by a byte-oriented parser; say what it is rather than "binary" */
    {
        const unsigned char *u = (const unsigned char *)buf;
        size_t odd0 = 0, even0 = 0;
        for (size_t i = 0; i + 1 < n && i < 512; i += 2) {
            even0 += u[i] == 0;
            odd0 += u[i + 1] == 0;
        }
        size_t pairs = (n < 512 ? n : 512) / 2;
        if ((n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) ||
            (pairs >= 8 && (odd0 * 10 >= pairs * 9 || even0 * 10 >= pairs * 9)))
            return nps_err(NPS_EUNSUPPORTED,
                           "%s: unsupported format: UTF-16 or UTF-32 text; save it as UTF-8 "
                           "(or ASCII) and try again",
                           path);
    }
    size_t ctrl = 0, first = n;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == 0 || (ch < 32 && ch != '\t' && ch != '\n' && ch != '\r' && ch != '\f')) {
            ctrl++;
            if (first == n) first = i;
        }
        if (ch == 0) buf[i] = ' '; /* keep strstr below scanning */
    }
    if (ctrl * 20 > n)
        return nps_err(NPS_EFORMAT, "%s: byte %zu: binary data, not a spectra file", path, first);
    const char *p = buf;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3;
    if (strncmp(p, "BEGIN IONS", 10) == 0 || strstr(p, "\nBEGIN IONS")) {
        *out = NPS_FORMAT_MGF;
        return 0;
    }
    if (strstr(p, "<mzML") || strstr(p, "<indexedmzML")) {
        *out = NPS_FORMAT_MZML;
        return 0;
    }
    if (strstr(p, "<mzXML")) {
        *out = NPS_FORMAT_MZXML;
        return 0;
    }
    if (jcamp_label_line(p)) {
        *out = NPS_FORMAT_JCAMP;
        return 0;
    }
    if (strncmp(p, "ACCESSION:", 10) == 0 || (strstr(p, "\nACCESSION:") && strstr(p, "CH$NAME"))) {
        *out = NPS_FORMAT_MASSBANK;
        return 0;
    }
    if (strncmp(p, "<mzSpecLib", 10) == 0 || strncmp(p, "<Spectrum=", 10) == 0 ||
        strstr(p, "\n<Spectrum=")) {
        *out = NPS_FORMAT_MZSPECLIB;
        return 0;
    }
    if (looks_like_ms2(p)) {
        *out = NPS_FORMAT_MS2;
        return 0;
    }
    if (msp_key_line(p, "num peaks") || msp_key_line(p, "num_peaks") ||
        msp_key_line(p, "numpeaks") || msp_key_line(p, "name") ||
        msp_key_line(p, "compound_name")) {
        *out = NPS_FORMAT_MSP;
        return 0;
    }
    if (p[0] == '[' || p[0] == '{') {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t') q++;
        if (*q == '{' || *q == '"')
            return nps_err(NPS_EUNSUPPORTED,
                           "%s: unsupported format (JSON; npsmatch writes matchms JSON but "
                           "does not read it: convert the file to MSP or MGF)",
                           path);
    }
    if (looks_like_peak_table(p)) {
        *out = NPS_FORMAT_CSV;
        return 0;
    }
    if (ext_is(path, ".mzml")) {
        *out = NPS_FORMAT_MZML;
        return 0;
    }
    if (ext_is(path, ".mzxml")) {
        *out = NPS_FORMAT_MZXML;
        return 0;
    }
    if (ext_is(path, ".jdx") || ext_is(path, ".dx") || ext_is(path, ".jcamp")) {
        *out = NPS_FORMAT_JCAMP;
        return 0;
    }
    if (ext_is(path, ".ms1") || ext_is(path, ".ms2") || ext_is(path, ".cms2")) {
        *out = NPS_FORMAT_MS2;
        return 0;
    }
    if (ext_is(path, ".mzspeclib.txt") || ext_is(path, ".mzspeclib")) {
        *out = NPS_FORMAT_MZSPECLIB;
        return 0;
    }
    if (ext_is(path, ".mgf")) {
        *out = NPS_FORMAT_MGF;
        return 0;
    }
    if (ext_is(path, ".msp")) {
        *out = NPS_FORMAT_MSP;
        return 0;
    }
    if (ext_is(path, ".csv") || ext_is(path, ".tsv")) {
        *out = NPS_FORMAT_CSV;
        return 0;
    }
    return nps_err(NPS_EUNSUPPORTED,
                   "%s: unsupported format (not MSP, MGF, MassBank record, CSV, mzML, mzXML, "
                   "JCAMP-DX, MS1/MS2 or mzSpecLib)",
                   path);
}

int nps_io_read(nps_spectra *dst, nps_read_report *report, const char *path,
                const nps_read_options *options)
{
    nps_read_options def = NPS_READ_OPTIONS_INIT;
    if (!options) options = &def;
    if (options->version != NPS_READ_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_read_options version %d not supported", options->version);
    nps_format f = options->format;
    if (f == NPS_FORMAT_AUTO) {
        int rc = nps_io_detect(&f, path);
        if (rc) return rc;
    }
    nps_read_report local = {0};
    nps_read_ctx c = {path, options, report ? report : &local};
    switch (f) {
    case NPS_FORMAT_MSP:
        return nps_msp_read(dst, &c);
    case NPS_FORMAT_MGF:
        return nps_mgf_read(dst, &c);
    case NPS_FORMAT_MASSBANK:
        return nps_massbank_read(dst, &c);
    case NPS_FORMAT_CSV:
        return nps_csv_read(dst, &c);
    case NPS_FORMAT_MZML:
        return nps_mzml_read(dst, &c);
    case NPS_FORMAT_MZXML:
        return nps_mzxml_read(dst, &c);
    case NPS_FORMAT_JCAMP:
        return nps_jcamp_read(dst, &c);
    case NPS_FORMAT_MS2:
        return nps_ms2_read(dst, &c);
    case NPS_FORMAT_MZSPECLIB:
        return nps_mzspeclib_read(dst, &c);
    default:
        return nps_err(NPS_EINVAL, "unknown format %d", (int)f);
    }
}

int nps_io_write(FILE *fp, const nps_spectra *s, nps_format format)
{
    switch (format) {
    case NPS_FORMAT_MSP:
        return nps_msp_write(fp, s);
    case NPS_FORMAT_MGF:
        return nps_mgf_write(fp, s);
    case NPS_FORMAT_JSON:
        return nps_json_write(fp, s);
    default:
        return nps_err(NPS_EINVAL, "choose MSP, MGF or JSON to write");
    }
}

int nps_io_write_path(const char *path, const nps_spectra *s, nps_format format)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (!tmp) return nps_err(NPS_ENOMEM, "out of memory");
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int rc = nps_err(NPS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    int rc = nps_io_write(fp, s, format);
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) rc = nps_err(NPS_EIO, "%s: write failed", tmp);
    if (fclose(fp) != 0 && !rc) rc = nps_err(NPS_EIO, "%s: write failed", tmp);
    if (!rc && rename(tmp, path) != 0)
        rc = nps_err(NPS_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (rc) remove(tmp);
    free(tmp);
    return rc;
}

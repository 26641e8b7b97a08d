/*
 * Format detection and dispatch. A lab's files are often misnamed (".txt"
 * exports, ".msp" files that are really MGF), so the content decides: the
 * first few kilobytes are inspected for the markers of each format, and the
 * extension is only a tie-breaker. Formats this build cannot read yet are
 * refused by name rather than misparsed.
 */
#include "lines.h"
#include "stream.h"

#include <dirent.h>
#include <sys/stat.h>

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

/* Decide the format of a stream from its first bytes (copied into buf, of
 * which n are valid) and, as a tie-breaker, the extension of its name `ext`
 * (without ".gz"); `path` is the name messages use. */
static int detect_bytes(nps_format *out, const char *path, const char *ext, char *buf, size_t n)
{
    buf[n] = '\0';
    if (n == 0) return nps_err_at(NPS_EFORMAT, path, 1, "empty file");
    if (nps_andi_signature(buf, n)) {
        *out = NPS_FORMAT_ANDI;
        return 0;
    }
    if (nps_library_signature(buf, n))
        return nps_err(NPS_EUNSUPPORTED,
                       "%s: an npsmatch library (HDF5), not a spectra file: give it to "
                       "--library, or write it out with `npsmatch library export`",
                       path);
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
    if (ext_is(ext, ".mzml")) {
        *out = NPS_FORMAT_MZML;
        return 0;
    }
    if (ext_is(ext, ".mzxml")) {
        *out = NPS_FORMAT_MZXML;
        return 0;
    }
    if (ext_is(ext, ".jdx") || ext_is(ext, ".dx") || ext_is(ext, ".jcamp")) {
        *out = NPS_FORMAT_JCAMP;
        return 0;
    }
    if (ext_is(ext, ".ms1") || ext_is(ext, ".ms2") || ext_is(ext, ".cms2")) {
        *out = NPS_FORMAT_MS2;
        return 0;
    }
    if (ext_is(ext, ".mzspeclib.txt") || ext_is(ext, ".mzspeclib")) {
        *out = NPS_FORMAT_MZSPECLIB;
        return 0;
    }
    if (ext_is(ext, ".mgf")) {
        *out = NPS_FORMAT_MGF;
        return 0;
    }
    if (ext_is(ext, ".msp")) {
        *out = NPS_FORMAT_MSP;
        return 0;
    }
    if (ext_is(ext, ".csv") || ext_is(ext, ".tsv")) {
        *out = NPS_FORMAT_CSV;
        return 0;
    }
    return nps_err(NPS_EUNSUPPORTED,
                   "%s: unsupported format (not MSP, MGF, MassBank record, CSV, mzML, mzXML, "
                   "JCAMP-DX, MS1/MS2, mzSpecLib or netCDF ANDI-MS)",
                   path);
}

/* The name the extension tie-breaker looks at: without a trailing ".gz". */
static void name_for_extension(char *dst, size_t cap, const char *name)
{
    snprintf(dst, cap, "%s", name);
    size_t n = strlen(dst);
    if (n > 3 && strcasecmp(dst + n - 3, ".gz") == 0) dst[n - 3] = '\0';
}

#define SNIFF_BYTES 8192

static int detect_stream(nps_format *out, nps_stream *in)
{
    const unsigned char *d;
    size_t n;
    int rc = nps_stream_peek(&d, &n, in, SNIFF_BYTES - 1);
    if (rc) return rc;
    char buf[SNIFF_BYTES], name[1024];
    memcpy(buf, d, n);
    name_for_extension(name, sizeof name, nps_stream_name(in));
    return detect_bytes(out, nps_stream_name(in), name, buf, n);
}

int nps_io_detect(nps_format *out, const char *path)
{
    nps_stream *in;
    int rc = nps_stream_open_path(&in, path);
    if (rc) return rc;
    rc = detect_stream(out, in);
    nps_stream_close(in);
    return rc;
}

const char *nps_format_name(nps_format format)
{
    static const char *const names[] = {
        [NPS_FORMAT_AUTO] = "auto",
        [NPS_FORMAT_MSP] = "msp",
        [NPS_FORMAT_MGF] = "mgf",
        [NPS_FORMAT_MASSBANK] = "massbank",
        [NPS_FORMAT_CSV] = "csv",
        [NPS_FORMAT_JSON] = "json",
        [NPS_FORMAT_MZML] = "mzml",
        [NPS_FORMAT_MZXML] = "mzxml",
        [NPS_FORMAT_JCAMP] = "jcamp",
        [NPS_FORMAT_MS2] = "ms2",
        [NPS_FORMAT_MZSPECLIB] = "mzspeclib",
        [NPS_FORMAT_ANDI] = "andi",
    };
    if ((unsigned)format < sizeof names / sizeof *names && names[format]) return names[format];
    return "unknown";
}

/* One reader per input format. */
typedef struct {
    nps_format format;
    int (*read)(nps_spectra *dst, nps_read_ctx *c);
} reader_entry;

static const reader_entry readers[] = {
    {NPS_FORMAT_MSP, nps_msp_read},
    {NPS_FORMAT_MGF, nps_mgf_read},
    {NPS_FORMAT_MASSBANK, nps_massbank_read},
    {NPS_FORMAT_CSV, nps_csv_read},
    {NPS_FORMAT_MZML, nps_mzml_read},
    {NPS_FORMAT_MZXML, nps_mzxml_read},
    {NPS_FORMAT_JCAMP, nps_jcamp_read},
    {NPS_FORMAT_MS2, nps_ms2_read},
    {NPS_FORMAT_MZSPECLIB, nps_mzspeclib_read},
    {NPS_FORMAT_ANDI, nps_andi_read},
};

static int check_options(const nps_read_options **options, const nps_read_options *def)
{
    if (!*options) *options = def;
    if ((*options)->version != 1 && (*options)->version != NPS_READ_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_read_options version %d not supported",
                       (*options)->version);
    return 0;
}

/* Detect (unless the format is given) and read one stream. */
static int read_stream(nps_spectra *dst, nps_read_report *report, nps_stream *in,
                       const nps_read_options *options)
{
    nps_format f = options->format;
    if (f == NPS_FORMAT_AUTO) {
        int rc = detect_stream(&f, in);
        if (rc) return rc;
    }
    nps_read_report local = {0};
    nps_read_ctx c = {nps_stream_name(in), in, options, report ? report : &local};
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
        if (readers[i].format == f) {
            int rc = readers[i].read(dst, &c);
            /* streamed: the last, partial batch */
            if (!rc && nps_read_streamed(options) && nps_spectra_count(dst)) {
                rc = options->on_batch(options->on_batch_ctx, dst);
                nps_spectra_clear(dst);
            }
            return rc;
        }
    return nps_err(NPS_EINVAL, "%s: format %s cannot be read", nps_stream_name(in),
                   nps_format_name(f));
}

static int read_path(nps_spectra *dst, nps_read_report *report, const char *path,
                     const nps_read_options *options)
{
    nps_stream *in;
    int rc = nps_stream_open_path(&in, path);
    if (rc) return rc;
    rc = read_stream(dst, report, in, options);
    nps_stream_close(in);
    if (!rc && report) report->files_read++;
    return rc;
}

static void add_report(nps_read_report *to, const nps_read_report *from)
{
    to->records_read += from->records_read;
    to->records_skipped += from->records_skipped;
    to->records_filtered += from->records_filtered;
    to->files_read += from->files_read;
    to->files_skipped += from->files_skipped;
}

static int hidden_entry(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/*
 * A directory is read as the files under it, in name order (so a build is
 * reproducible whatever order the file system lists them in), descending
 * into subdirectories. Hidden entries are skipped. A file that is not a
 * spectra file (a README, a PDF, a library .h5) is reported through
 * on_error and counted in files_skipped; the walk goes on unless strict.
 * Symbolic links are followed, to a bounded depth, so a link loop ends.
 */
static int read_dir(nps_spectra *dst, nps_read_report *report, const char *path,
                    const nps_read_options *options, int depth)
{
    if (depth > 32)
        return nps_err(NPS_EINVAL, "%s: directories nested deeper than 32 levels (a link loop?)",
                       path);
    struct dirent **list = NULL;
    int n = scandir(path, &list, hidden_entry, alphasort);
    if (n < 0) return nps_err(NPS_EIO, "%s: cannot read directory: %s", path, strerror(errno));
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        size_t len = strlen(path) + strlen(list[i]->d_name) + 2;
        char *child = malloc(len);
        if (!child) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
            break;
        }
        snprintf(child, len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
                 list[i]->d_name);
        struct stat st;
        if (stat(child, &st) != 0) {
            /* a dangling link: say so and go on, as for any unreadable file */
            char why[256];
            snprintf(why, sizeof why, "cannot read: %s", strerror(errno));
            if (report) report->files_skipped++;
            if (options->on_error) options->on_error(options->on_error_ctx, child, 0, why);
        } else if (S_ISDIR(st.st_mode)) {
            rc = read_dir(dst, report, child, options, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            nps_read_report one = {0};
            rc = read_path(dst, &one, child, options);
            if ((rc == NPS_EFORMAT || rc == NPS_EUNSUPPORTED) && !options->strict) {
                /* the message names the file; the callback gets the reason */
                const char *why = nps_error_last();
                size_t plen = strlen(child);
                if (strncmp(why, child, plen) == 0 && why[plen] == ':') why += plen + 1;
                while (*why == ' ') why++;
                one.files_skipped++;
                if (options->on_error) options->on_error(options->on_error_ctx, child, 0, why);
                rc = 0;
            }
            if (report) add_report(report, &one);
        }
        free(child);
    }
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
    return rc;
}

int nps_io_read(nps_spectra *dst, nps_read_report *report, const char *path,
                const nps_read_options *options)
{
    nps_read_options def = NPS_READ_OPTIONS_INIT;
    int rc = check_options(&options, &def);
    if (rc) return rc;
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        nps_read_report local = {0};
        rc = read_dir(dst, &local, path, options, 0);
        if (report) add_report(report, &local);
        if (!rc && local.files_read == 0)
            rc = nps_err(NPS_EFORMAT, "%s: no spectra file in this directory%s", path,
                         local.files_skipped ? " (every file was skipped)" : "");
        return rc;
    }
    return read_path(dst, report, path, options);
}

int nps_io_read_memory(nps_spectra *dst, nps_read_report *report, const void *data, size_t len,
                       const char *name, const nps_read_options *options)
{
    nps_read_options def = NPS_READ_OPTIONS_INIT;
    int rc = check_options(&options, &def);
    if (rc) return rc;
    nps_stream *in;
    rc = nps_stream_open_memory(&in, data, len, name);
    if (rc) return rc;
    rc = read_stream(dst, report, in, options);
    nps_stream_close(in);
    if (!rc && report) report->files_read++;
    return rc;
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
    nps_output *o;
    int rc = nps_output_open(&o, path);
    if (rc) return rc;
    rc = nps_io_write(nps_output_stream(o), s, format);
    if (rc) {
        nps_output_discard(o);
        return rc;
    }
    return nps_output_commit(o);
}

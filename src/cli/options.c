/*
 * Option parsing and file reading shared by the subcommands. Numbers are
 * parsed strictly: "--top 1O" is an error, not 1.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int cli_parse_double(double *out, const char *s, const char *opt)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0) {
        fprintf(stderr, "npsmatch: %s: invalid value '%s' (a number >= 0)\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_count(size_t *out, const char *s, const char *opt, size_t min)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-' || v < min) {
        fprintf(stderr, "npsmatch: %s: invalid value '%s' (a whole number >= %zu)\n", opt, s, min);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int cli_parse_size(size_t *out, const char *s, const char *opt)
{
    return cli_parse_count(out, s, opt, 0);
}

const char *cli_prep_help =
    "preprocessing (recorded in the library; defaults: MS/MS as Flash entropy search,\n"
    "EI at unit mass):\n"
    "  --precursor-removal DA   drop peaks at or above precursor - DA (MS/MS; 0 disables; 1.6)\n"
    "  --noise FRACTION         drop peaks below FRACTION x base peak (MS/MS 0.01, EI 0)\n"
    "  --merge-tolerance DA     merge peaks closer than DA (MS/MS 0.05, EI 0)\n"
    "  --merge-tolerance-ppm P  merge peaks closer than P ppm instead\n"
    "  --max-peaks N            keep the N most intense peaks (0: all)\n"
    "  --normalize sum|max|none intensity normalisation (sum)\n"
    "  --no-unit-mass           keep EI m/z as given\n"
    "  --raw                    no preprocessing at all (peaks as in the file, sorted)\n";

static int same_opts(const nps_preprocess_options *a, const nps_preprocess_options *b)
{
    return a->raw == b->raw && a->unit_mass == b->unit_mass && a->min_mz == b->min_mz &&
           a->precursor_removal == b->precursor_removal &&
           a->merge_tolerance == b->merge_tolerance &&
           a->merge_tolerance_ppm == b->merge_tolerance_ppm && a->noise == b->noise &&
           a->max_peaks == b->max_peaks && a->normalize == b->normalize;
}

int cli_prep_same(const nps_preprocess_config *a, const nps_preprocess_config *b)
{
    return same_opts(&a->ei, &b->ei) && same_opts(&a->msms, &b->msms);
}

void cli_prep_init(cli_prep *p)
{
    nps_preprocess_config d = NPS_PREPROCESS_CONFIG_INIT;
    p->cfg = d;
    p->changed = 0;
}

int cli_prep_option(cli_prep *p, const char *name, const char *value)
{
    double d;
    size_t z;
    if (strcmp(name, "raw") == 0) {
        nps_preprocess_options r = NPS_PREPROCESS_RAW_INIT;
        p->cfg.ei = r;
        p->cfg.msms = r;
    } else if (strcmp(name, "precursor-removal") == 0) {
        if (cli_parse_double(&d, value, "--precursor-removal")) return -1;
        p->cfg.msms.precursor_removal = p->cfg.ei.precursor_removal = d;
    } else if (strcmp(name, "noise") == 0) {
        if (cli_parse_double(&d, value, "--noise")) return -1;
        if (d >= 1) {
            fprintf(stderr, "npsmatch: --noise: %s is not a fraction below 1\n", value);
            return -1;
        }
        p->cfg.msms.noise = p->cfg.ei.noise = d;
    } else if (strcmp(name, "merge-tolerance") == 0) {
        if (cli_parse_double(&d, value, "--merge-tolerance")) return -1;
        p->cfg.msms.merge_tolerance = p->cfg.ei.merge_tolerance = d;
    } else if (strcmp(name, "merge-tolerance-ppm") == 0) {
        if (cli_parse_double(&d, value, "--merge-tolerance-ppm")) return -1;
        p->cfg.msms.merge_tolerance_ppm = p->cfg.ei.merge_tolerance_ppm = d;
    } else if (strcmp(name, "max-peaks") == 0) {
        if (cli_parse_size(&z, value, "--max-peaks")) return -1;
        p->cfg.msms.max_peaks = p->cfg.ei.max_peaks = z;
    } else if (strcmp(name, "normalize") == 0) {
        nps_normalize nm;
        if (strcmp(value, "sum") == 0)
            nm = NPS_NORMALIZE_SUM;
        else if (strcmp(value, "max") == 0)
            nm = NPS_NORMALIZE_MAX;
        else if (strcmp(value, "none") == 0)
            nm = NPS_NORMALIZE_NONE;
        else {
            fprintf(stderr, "npsmatch: --normalize: '%s' is not sum, max or none\n", value);
            return -1;
        }
        p->cfg.msms.normalize = p->cfg.ei.normalize = nm;
    } else if (strcmp(name, "no-unit-mass") == 0) {
        p->cfg.ei.unit_mass = 0;
    } else {
        return 0;
    }
    p->changed = 1;
    return 1;
}

const char *cli_input_formats =
    "msp, mgf, massbank, csv, mzml, mzxml, jcamp, ms1, ms2 or mzspeclib";

int cli_search_option(nps_search_options *so, int opt, const char *arg)
{
    size_t z;
    switch (opt) {
    case 's':
        if (nps_score_parse(&so->score, arg)) break;
        return 1;
    case 'm':
        if (nps_search_mode_parse(&so->mode, arg)) break;
        return 1;
    case 't':
    case 'T':
        if (cli_parse_double(&so->tolerance, arg, opt == 'T' ? "--tolerance-ppm" : "--tolerance"))
            return -1;
        so->tolerance_ppm = opt == 'T';
        return 1;
    case 'j':
        if (cli_parse_size(&z, arg, "--threads") || z == 0 || z > 4096) {
            fprintf(stderr, "npsmatch: --threads must be between 1 and 4096\n");
            return -1;
        }
        so->threads = (int)z;
        return 1;
    case 1101:
        return cli_parse_double(&so->max_shift, arg, "--max-shift") ? -1 : 1;
    case 1102:
        return cli_parse_size(&so->shift_candidates, arg, "--shift-candidates") ? -1 : 1;
    case 1109:
        return cli_parse_size(&so->shift_min_pairs, arg, "--shift-min-pairs") ? -1 : 1;
    default:
        return 0;
    }
    fprintf(stderr, "npsmatch: --%s: %s\n", opt == 's' ? "score" : "mode", nps_error_last());
    return -1;
}

int cli_parse_input_format(nps_format *out, const char *s)
{
    static const struct {
        const char *name;
        nps_format f;
    } t[] = {{"msp", NPS_FORMAT_MSP},           {"mgf", NPS_FORMAT_MGF},
             {"massbank", NPS_FORMAT_MASSBANK}, {"csv", NPS_FORMAT_CSV},
             {"tsv", NPS_FORMAT_CSV},           {"mzml", NPS_FORMAT_MZML},
             {"mzxml", NPS_FORMAT_MZXML},       {"jcamp", NPS_FORMAT_JCAMP},
             {"jdx", NPS_FORMAT_JCAMP},         {"ms1", NPS_FORMAT_MS2},
             {"ms2", NPS_FORMAT_MS2},           {"mzspeclib", NPS_FORMAT_MZSPECLIB},
             {"andi", NPS_FORMAT_ANDI},         {"cdf", NPS_FORMAT_ANDI}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcasecmp(s, t[i].name) == 0) {
            *out = t[i].f;
            return 0;
        }
    fprintf(stderr, "npsmatch: --input-format: '%s' is not %s\n", s, cli_input_formats);
    return -1;
}

int cli_parse_ms_level(int *out, const char *s)
{
    if (strcasecmp(s, "all") == 0) {
        *out = -1;
        return 0;
    }
    size_t z;
    if (cli_parse_size(&z, s, "--ms-level")) return -1;
    if (z < 1 || z > 10) {
        fprintf(stderr, "npsmatch: --ms-level: '%s' is not 1..10 or all\n", s);
        return -1;
    }
    *out = (int)z;
    return 0;
}

static void on_bad(void *ctx, const char *file, size_t line, const char *reason)
{
    if (((const cli_reader *)ctx)->quiet) return;
    if (line)
        fprintf(stderr, "%s:%zu: %s\n", file, line, reason);
    else /* a whole file, skipped while reading a directory */
        fprintf(stderr, "%s: skipped: %s\n", file, reason);
}

int cli_read_files(nps_spectra *dst, cli_reader *r, char **files, int nfiles)
{
    nps_read_options ro = NPS_READ_OPTIONS_INIT;
    ro.strict = r->strict;
    ro.format = r->format;
    ro.ms_level = r->ms_level;
    ro.on_error = on_bad;
    ro.on_error_ctx = r;
    for (int f = 0; f < nfiles; f++) {
        nps_read_report rep = {0};
        int rc = nps_io_read(dst, &rep, files[f], &ro);
        r->read += rep.records_read;
        r->skipped += rep.records_skipped;
        r->filtered += rep.records_filtered;
        r->files_skipped += rep.files_skipped;
        if (rc == NPS_EFORMAT || rc == NPS_EUNSUPPORTED) {
            /* the whole file is unusable (empty, binary, unknown format) */
            if (!(r->strict && rep.records_skipped) && !r->quiet)
                fprintf(stderr, "%s\n", nps_error_last());
            r->skipped++;
            r->files_failed++;
            if (r->strict) return rc;
        } else if (rc) {
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
            return rc;
        }
    }
    return 0;
}

int cli_output_format(nps_format *out, const char *to, const char *path)
{
    static const struct {
        const char *name;
        nps_format f;
    } t[] = {{"msp", NPS_FORMAT_MSP}, {"mgf", NPS_FORMAT_MGF}, {"json", NPS_FORMAT_JSON}};
    const char *name = to;
    if (!name) {
        /* a stream (standard output, a device, a FIFO) has no name to go by;
         * the output module's own rule says what is one */
        if (nps_output_writes_in_place(path)) {
            *out = NPS_FORMAT_MSP;
            return 0;
        }
        const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
        name = dot && (!slash || dot > slash) ? dot + 1 : "";
    }
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcasecmp(name, t[i].name) == 0) {
            *out = t[i].f;
            return 0;
        }
    if (to)
        fprintf(stderr, "npsmatch: --to: '%s' is not msp, mgf or json\n", to);
    else
        fprintf(stderr,
                "npsmatch: cannot tell the output format of '%s' from its name (use --to "
                "msp, mgf or json)\n",
                path);
    return -1;
}

void cli_warn_filtered(const cli_reader *r)
{
    if (r->filtered)
        fprintf(stderr,
                "npsmatch: warning: %zu scans of another MS level were not read (--ms-level "
                "N or all selects them)\n",
                r->filtered);
}

int cli_output_begin(nps_output **out, const char *path)
{
    int rc = nps_output_open(out, path ? path : "-");
    if (rc) fprintf(stderr, "npsmatch: %s\n", nps_error_last());
    return rc;
}

int cli_output_end(nps_output *o, int rc)
{
    if (rc) {
        /* the producer's error, already set; leave the target as it was. A
         * failed write says only "write error": flushing again recovers the
         * reason (no space, broken pipe) */
        FILE *fp = nps_output_stream(o);
        errno = 0;
        if (fp && ferror(fp) && fflush(fp) != 0 && errno)
            fprintf(stderr, "npsmatch: %s: write failed: %s\n", nps_output_name(o),
                    strerror(errno));
        else
            fprintf(stderr, "npsmatch: %s: %s\n", nps_output_name(o), nps_error_last());
        nps_output_discard(o);
        return rc;
    }
    rc = nps_output_commit(o);
    if (rc) fprintf(stderr, "npsmatch: %s\n", nps_error_last());
    return rc;
}

int cli_write_report(const char *path, const nps_hits *hits, const nps_spectra *queries,
                     const nps_library *lib, const nps_report_options *options)
{
    nps_output *o;
    if (cli_output_begin(&o, path)) return -1;
    return cli_output_end(o, nps_report_write(nps_output_stream(o), hits, queries, lib, options));
}

const char *cli_bundled_library(void)
{
    const char *env = getenv("NPSMATCH_LIBRARY");
    if (env && *env) return env;
    if (access(NPS_BUNDLED_LIBRARY, R_OK) == 0) return NPS_BUNDLED_LIBRARY;
    if (access(NPS_INSTALLED_LIBRARY, R_OK) == 0) return NPS_INSTALLED_LIBRARY;
    return NULL;
}

int cli_is_bundled_library(const char *path)
{
    return strcmp(path, NPS_BUNDLED_LIBRARY) == 0 || strcmp(path, NPS_INSTALLED_LIBRARY) == 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

int cli_load_library(nps_library **out, const char *path, cli_reader *r,
                     const nps_preprocess_config *cfg, unsigned open_flags)
{
    int is_library = 0;
    nps_library_sniff(&is_library, path);
    if (is_library || ends_with(path, ".h5") || ends_with(path, ".hdf5")) {
        int rc = nps_library_open_ex(out, path, open_flags);
        if (rc) fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        return rc;
    }
    nps_spectra *s;
    int rc = nps_spectra_create(&s);
    if (rc) return rc;
    char *files[1] = {(char *)path};
    size_t failed = r->files_failed;
    rc = cli_read_files(s, r, files, 1);
    /* a library that cannot be read, or holds nothing, is a failure (status
     * 1), never a search that found nothing */
    if (!rc && r->files_failed > failed) {
        fprintf(stderr, "npsmatch: %s: cannot be used as a library (see above)\n", path);
        rc = NPS_EFORMAT;
    }
    if (!rc && nps_spectra_count(s) == 0) {
        fprintf(stderr, "npsmatch: %s: no spectra in this library\n", path);
        rc = NPS_EFORMAT;
    }
    if (!rc) {
        rc = nps_library_create(out, s, cfg);
        if (rc) fprintf(stderr, "npsmatch: %s\n", nps_error_last());
    }
    nps_spectra_free(s);
    return rc;
}

/*
 * npsmatch compare: score listed pairs of spectra.
 *
 * PAIRS.tsv holds two record ids per line (tab or space separated; an
 * optional header line is recognised by ids that exist in no input file).
 * One output line per pair, in input order: id_a id_b score matched_peaks.
 * The first id is the query, the second the reference (for --reverse and for
 * ppm tolerances, which are relative to the query peak).
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *compare_help =
    "usage: npsmatch compare [options] --pairs PAIRS.tsv FILE...\n"
    "  --score S             entropy | entropy-unweighted | cosine | composite (entropy)\n"
    "  --tolerance DA        fragment tolerance (0.02)\n"
    "  --tolerance-ppm PPM\n"
    "  --mz-power A          cosine m/z exponent (0)\n"
    "  --intensity-power B   cosine intensity exponent (0.5, as in search)\n"
    "  --reverse             ignore peaks of id_a that have no partner in id_b\n"
    "  --explain             print the matched peak pairs after each line\n"
    "  -o OUT                write to OUT instead of standard output\n"
    "  --input-format F      read FILE as msp, mgf, massbank, csv, mzml, mzxml, jcamp, ms1,\n"
    "                        ms2 or mzspeclib (default: detected from the content)\n"
    "  --strict              stop at the first malformed record or unknown id\n";

static char *next_field(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s || *s == '\n' || *s == '\r') return NULL;
    char *b = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') s++;
    if (*s) *s++ = '\0';
    *p = s;
    return b;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option lo[] = {{"score", required_argument, 0, 's'},
                                       {"tolerance", required_argument, 0, 't'},
                                       {"tolerance-ppm", required_argument, 0, 'T'},
                                       {"mz-power", required_argument, 0, 'a'},
                                       {"intensity-power", required_argument, 0, 'b'},
                                       {"reverse", no_argument, 0, 'r'},
                                       {"pairs", required_argument, 0, 'p'},
                                       {"explain", no_argument, 0, 'e'},
                                       {"output", required_argument, 0, 'o'},
                                       {"strict", no_argument, 0, 'S'},
                                       {"input-format", required_argument, 0, 'I'},
                                       {"help", no_argument, 0, 'h'},
                                       PREP_LONG_OPTIONS,
                                       {0, 0, 0, 0}};
    nps_score_options so = NPS_SCORE_OPTIONS_INIT;
    const char *pairs = NULL, *outp = NULL;
    int explain = 0, c, idx, tol_set = 0;
    cli_reader rd = CLI_READER_INIT;
    cli_prep pp;
    cli_prep_init(&pp);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, &idx)) != -1) {
        switch (c) {
        case 's':
            if (nps_score_parse(&so.type, optarg) || so.type == NPS_SCORE_AUTO) {
                fprintf(stderr, "npsmatch: --score: invalid score '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 't':
        case 'T':
            if (cli_parse_double(&so.tolerance, optarg, lo[idx].name)) return EXIT_USAGE;
            so.tolerance_ppm = c == 'T';
            tol_set = 1;
            break;
        case 'a':
            if (cli_parse_double(&so.mz_power, optarg, "--mz-power")) return EXIT_USAGE;
            break;
        case 'b':
            if (cli_parse_double(&so.intensity_power, optarg, "--intensity-power"))
                return EXIT_USAGE;
            break;
        case 'r':
            so.reverse = 1;
            break;
        case 'p':
            pairs = optarg;
            break;
        case 'e':
            explain = 1;
            break;
        case 'o':
            outp = optarg;
            break;
        case 'S':
            rd.strict = 1;
            break;
        case 'I':
            if (cli_parse_input_format(&rd.format, optarg)) return EXIT_USAGE;
            break;
        case 'h':
            fputs(compare_help, stdout);
            printf("%s", cli_prep_help);
            return EXIT_OK;
        default:
            if (c >= PREP_OPTION_FIRST && c <= PREP_OPTION_LAST) {
                if (cli_prep_option(&pp, lo[idx].name, optarg) < 0) return EXIT_USAGE;
                break;
            }
            fputs(compare_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (!pairs || optind >= argc) {
        fputs(compare_help, stderr);
        return EXIT_USAGE;
    }
    int status = EXIT_FAIL;
    nps_spectra *raw = NULL, *s = NULL;
    nps_score_workspace *ws = NULL;
    nps_peak_match *m = NULL;
    FILE *fp = NULL;
    nps_output *dst = NULL;
    char *line = NULL;
    size_t cap = 0, unknown = 0;
    if (nps_spectra_create(&raw) || nps_score_workspace_create(&ws)) goto out;
    if (cli_read_files(raw, &rd, argv + optind, argc - optind)) goto out;
    if (nps_preprocess_spectra(&s, raw, &pp.cfg)) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        goto out;
    }
    if (!(fp = fopen(pairs, "r"))) {
        fprintf(stderr, "npsmatch: %s: cannot open\n", pairs);
        goto out;
    }
    if (cli_output_begin(&dst, outp)) goto out;
    FILE *op = nps_output_stream(dst);
    size_t lineno = 0;
    while (getline(&line, &cap, fp) > 0) {
        lineno++;
        char *p = line, *a = next_field(&p), *b = a ? next_field(&p) : NULL;
        if (!a) continue;
        size_t ia, ib;
        int fa = nps_spectra_find(&ia, s, a), fb = b ? nps_spectra_find(&ib, s, b) : -1;
        if (fa || fb) {
            if (lineno == 1) continue; /* header */
            fprintf(stderr, "%s:%zu: unknown id '%s'\n", pairs, lineno, fa || !b ? a : b);
            unknown++;
            if (rd.strict) goto out;
            continue;
        }
        const double *qm, *rm;
        const float *qi, *ri;
        size_t qn, rn;
        nps_spectra_peaks(s, ia, &qm, &qi, &qn);
        nps_spectra_peaks(s, ib, &rm, &ri, &rn);
        nps_score_options o = so;
        if (!tol_set && nps_spectra_kind(s, ia) == NPS_KIND_EI)
            o.tolerance = NPS_DEFAULT_TOLERANCE_EI;
        size_t nm = qn < rn ? qn : rn;
        nps_peak_match *mm = realloc(m, (nm ? nm : 1) * sizeof *m);
        if (!mm) goto out;
        m = mm;
        nps_score_result res;
        if (nps_score_pair(&res, m, &nm, ws, qm, qi, qn, rm, ri, rn, &o)) {
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
            goto out;
        }
        fprintf(op, "%s\t%s\t%.9g\t%zu\n", a, b, res.score, res.matched);
        if (explain)
            for (size_t k = 0; k < nm; k++)
                fprintf(op, "#\t%.6f\t%.6g\t%.6f\t%.6g\n", qm[m[k].query], (double)qi[m[k].query],
                        rm[m[k].reference], (double)ri[m[k].reference]);
    }
    int wrc = cli_output_end(dst, 0);
    dst = NULL;
    if (wrc) goto out;
    status = rd.skipped || unknown ? EXIT_SKIPPED : EXIT_OK;
out:
    nps_output_discard(dst);
    if (fp) fclose(fp);
    free(line);
    free(m);
    nps_score_workspace_free(ws);
    nps_spectra_free(raw);
    nps_spectra_free(s);
    return status;
}

/*
 * npsmatch library build | info | export | verify
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int build(int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"strict", no_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       PREP_LONG_OPTIONS,
                                       {0, 0, 0, 0}};
    const char *outp = NULL;
    cli_reader rd = CLI_READER_INIT;
    cli_prep pp;
    cli_prep_init(&pp);
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, &idx)) != -1) {
        if (c == 'o')
            outp = optarg;
        else if (c == 's')
            rd.strict = 1;
        else if (c == 'h') {
            printf("usage: npsmatch library build -o LIB.h5 [--strict] [preprocessing] FILE...\n%s",
                   cli_prep_help);
            return EXIT_OK;
        } else if (c >= PREP_OPTION_FIRST && c <= PREP_OPTION_LAST) {
            if (cli_prep_option(&pp, lo[idx].name, optarg) < 0) return EXIT_USAGE;
        } else
            return EXIT_USAGE;
    }
    if (!outp || optind >= argc) {
        fprintf(stderr, "usage: npsmatch library build -o LIB.h5 FILE...\n");
        return EXIT_USAGE;
    }
    nps_spectra *s;
    if (nps_spectra_create(&s)) return EXIT_FAIL;
    int rc = cli_read_files(s, &rd, argv + optind, argc - optind);
    if (rc) {
        nps_spectra_free(s);
        return EXIT_FAIL;
    }
    if (nps_spectra_count(s) == 0) {
        fprintf(stderr, "npsmatch: no valid spectra read; library not written\n");
        nps_spectra_free(s);
        return EXIT_FAIL;
    }
    nps_library *lib = NULL;
    rc = nps_library_create(&lib, s, &pp.cfg);
    nps_spectra_free(s);
    if (!rc) rc = nps_library_save(lib, outp);
    if (rc) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        nps_library_free(lib);
        return EXIT_FAIL;
    }
    fprintf(stderr, "npsmatch: wrote %s: %zu spectra, %zu records skipped\n", outp,
            nps_spectra_count(nps_library_spectra(lib)), rd.skipped);
    nps_library_free(lib);
    return rd.skipped ? EXIT_SKIPPED : EXIT_OK;
}

static void print_prep(const char *label, const nps_preprocess_options *o)
{
    static const char *norm[] = {"none", "sum", "max"};
    printf("preprocessing %-6s %s unit_mass=%d precursor_removal=%g merge_tolerance=%g "
           "merge_tolerance_ppm=%g "
           "noise=%g max_peaks=%zu normalize=%s\n",
           label, o->raw ? "raw" : "clean", o->unit_mass, o->precursor_removal, o->merge_tolerance,
           o->merge_tolerance_ppm, o->noise, o->max_peaks,
           (unsigned)o->normalize < 3 ? norm[o->normalize] : "?");
}

static int info(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: npsmatch library info LIB.h5\n");
        return EXIT_USAGE;
    }
    nps_library *lib;
    if (nps_library_open(&lib, argv[1])) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        return EXIT_FAIL;
    }
    const nps_spectra *s = nps_library_spectra(lib), *p = nps_library_processed(lib);
    size_t n = nps_spectra_count(s), ei = 0, prec = 0, classes = 0;
    for (size_t i = 0; i < n; i++) {
        ei += nps_spectra_kind(s, i) == NPS_KIND_EI;
        prec += !isnan(nps_spectra_precursor_mz(s, i));
        classes += nps_spectra_get(s, i, NPS_KEY_CLASS) != NULL;
    }
    printf("file           %s\n", argv[1]);
    printf("format_version %d\n", nps_library_format_version(lib));
    printf("spectra        %zu (EI %zu, MS/MS %zu)\n", n, ei, n - ei);
    printf("with_precursor %zu\n", prec);
    printf("with_class     %zu\n", classes);
    printf("peaks          %zu (processed %zu)\n", nps_spectra_total_peaks(s),
           nps_spectra_total_peaks(p));
    print_prep("EI", &nps_library_preprocessing(lib)->ei);
    print_prep("MS/MS", &nps_library_preprocessing(lib)->msms);
    nps_library_free(lib);
    return EXIT_OK;
}

static int verify(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: npsmatch library verify LIB.h5\n"
                        "  checks the file's size and CRC-32, every dataset checksum, and the\n"
                        "  library's invariants (offsets, unique ids, sorted peaks, index)\n");
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? EXIT_OK : EXIT_USAGE;
    }
    nps_library *lib;
    if (nps_library_open(&lib, argv[1]) || nps_library_verify(lib)) {
        printf("%s: FAILED: %s\n", argv[1], nps_error_last());
        return EXIT_FAIL;
    }
    const nps_spectra *s = nps_library_spectra(lib);
    printf("%s: OK: format %d, %zu spectra, %zu peaks (%zu processed); checksums, offsets, "
           "unique ids, peak order and fragment index verified\n",
           argv[1], nps_library_format_version(lib), nps_spectra_count(s),
           nps_spectra_total_peaks(s), nps_spectra_total_peaks(nps_library_processed(lib)));
    nps_library_free(lib);
    return EXIT_OK;
}

static int export_lib(int argc, char **argv)
{
    const char *outp = NULL;
    int c;
    optind = 1;
    static const struct option lo[] = {{"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
        if (c == 'o')
            outp = optarg;
        else
            return EXIT_USAGE;
    }
    if (!outp || optind + 1 != argc) {
        fprintf(stderr, "usage: npsmatch library export -o OUT.msp|OUT.mgf LIB.h5\n");
        return EXIT_USAGE;
    }
    size_t n = strlen(outp);
    nps_format f =
        (n > 4 && strcasecmp(outp + n - 4, ".mgf") == 0) ? NPS_FORMAT_MGF : NPS_FORMAT_MSP;
    nps_library *lib;
    if (nps_library_open(&lib, argv[optind])) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        return EXIT_FAIL;
    }
    int rc = strcmp(outp, "-") == 0 ? nps_io_write(stdout, nps_library_spectra(lib), f)
                                    : nps_io_write_path(outp, nps_library_spectra(lib), f);
    if (rc) fprintf(stderr, "npsmatch: %s\n", nps_error_last());
    nps_library_free(lib);
    return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_library(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: npsmatch library build|info|export|verify ...\n");
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "build") == 0) return build(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0) return info(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0) return export_lib(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0) return verify(argc - 1, argv + 1);
    fprintf(stderr, "npsmatch: unknown library command '%s'\n", argv[1]);
    return EXIT_USAGE;
}

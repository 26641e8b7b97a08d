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

static const char *build_help =
    "usage: npsmatch library build -o LIB.h5 [--input-format F] [--ms-level N|all] [--strict]\n"
    "                              [preprocessing] FILE...\n"
    "  FILE           spectra files, directories (every file under them, in name order),\n"
    "                 gzip files, or - for standard input\n"
    "  -o LIB.h5      the library file (replaced atomically; a device or FIFO gets a copy)\n"
    "  --input-format F  read FILE as msp, mgf, massbank, csv, mzml, mzxml, jcamp, ms1, ms2\n"
    "                 or mzspeclib (default: detected from the content)\n"
    "  --ms-level N|all  runs: which MS level becomes library spectra\n"
    "  --strict       stop at the first malformed record\n";

static int build(int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"strict", no_argument, 0, 's'},
                                       {"input-format", required_argument, 0, 'f'},
                                       {"ms-level", required_argument, 0, 'L'},
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
        if (c == 'o') {
            outp = optarg;
        } else if (c == 's') {
            rd.strict = 1;
        } else if (c == 'f') {
            if (cli_parse_input_format(&rd.format, optarg)) return EXIT_USAGE;
        } else if (c == 'L') {
            if (cli_parse_ms_level(&rd.ms_level, optarg)) return EXIT_USAGE;
        } else if (c == 'h') {
            printf("%s%s", build_help, cli_prep_help);
            return EXIT_OK;
        } else if (c >= PREP_OPTION_FIRST && c <= PREP_OPTION_LAST) {
            if (cli_prep_option(&pp, lo[idx].name, optarg) < 0) return EXIT_USAGE;
        } else {
            fputs(build_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (!outp || optind >= argc) {
        fputs(build_help, stderr);
        return EXIT_USAGE;
    }
    nps_spectra *s;
    if (nps_spectra_create(&s)) return EXIT_FAIL;
    int rc = cli_read_files(s, &rd, argv + optind, argc - optind);
    if (rc) {
        nps_spectra_free(s);
        return EXIT_FAIL;
    }
    cli_warn_filtered(&rd);
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
    const char *dup;
    size_t ndup = nps_library_duplicate_ids(&dup, lib);
    if (ndup)
        fprintf(stderr,
                "npsmatch: warning: %zu records repeat an id already taken (first: '%s'); they "
                "are stored as <id>#2, #3, ... with a Duplicate_Of field: check for a file "
                "given twice or overlapping inputs\n",
                ndup, dup);
    fprintf(stderr, "npsmatch: wrote %s: %zu spectra, %zu records skipped, %zu repeated ids\n",
            outp, nps_spectra_count(nps_library_spectra(lib)), rd.skipped, ndup);
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

/* A subcommand that takes exactly one LIB.h5 and --help. */
static int one_library_arg(int argc, char **argv, const char *help)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(help, stdout);
        return EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    return -1;
}

static int info(int argc, char **argv)
{
    int u = one_library_arg(argc, argv,
                            "usage: npsmatch library info LIB.h5\n"
                            "  prints the library's size, kinds, checksum and preprocessing\n");
    if (u >= 0) return u;
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
    printf("checksum       %s\n", nps_library_checksum(lib));
    printf("format_version %d\n", nps_library_format_version(lib));
    printf("spectra        %zu (EI %zu, MS/MS %zu)\n", n, ei, n - ei);
    printf("with_precursor %zu\n", prec);
    printf("with_class     %zu\n", classes);
    printf("repeated_ids   %zu\n", nps_library_duplicate_ids(NULL, lib));
    printf("peaks          %zu (processed %zu)\n", nps_spectra_total_peaks(s),
           nps_spectra_total_peaks(p));
    print_prep("EI", &nps_library_preprocessing(lib)->ei);
    print_prep("MS/MS", &nps_library_preprocessing(lib)->msms);
    nps_library_free(lib);
    return EXIT_OK;
}

static int verify(int argc, char **argv)
{
    int u = one_library_arg(
        argc, argv,
        "usage: npsmatch library verify LIB.h5\n"
        "  checks the file's size and CRC-32, every dataset checksum, and the\n"
        "  library's invariants (offsets, unique ids, sorted peaks, index); reports\n"
        "  records stored under a new id because their id was already taken\n");
    if (u >= 0) return u;
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
    const char *dup;
    size_t ndup = nps_library_duplicate_ids(&dup, lib);
    if (ndup)
        printf("%s: note: %zu records repeat an id already taken (first: '%s'), stored as "
               "<id>#k with a Duplicate_Of field\n",
               argv[1], ndup, dup);
    nps_library_free(lib);
    return EXIT_OK;
}

static const char *export_help =
    "usage: npsmatch library export [--to msp|mgf|json] -o OUT LIB.h5\n"
    "  writes the library's spectra as read from their source files\n"
    "  --to T, --format T  msp, mgf or json (default: from OUT's extension; msp for -)\n"
    "  -o OUT              output file (replaced atomically), device, FIFO, or -\n";

static int export_lib(int argc, char **argv)
{
    const char *outp = NULL, *to = NULL;
    int c;
    optind = 1;
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"to", required_argument, 0, 't'},
                                       {"format", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        if (c == 'o') {
            outp = optarg;
        } else if (c == 't') {
            to = optarg;
        } else if (c == 'h') {
            fputs(export_help, stdout);
            return EXIT_OK;
        } else {
            fputs(export_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (!outp || optind + 1 != argc) {
        fputs(export_help, stderr);
        return EXIT_USAGE;
    }
    nps_format f;
    if (cli_output_format(&f, to, outp)) return EXIT_USAGE;
    nps_library *lib;
    if (nps_library_open(&lib, argv[optind])) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        return EXIT_FAIL;
    }
    nps_output *o;
    int rc = cli_output_begin(&o, outp);
    if (!rc)
        rc = cli_output_end(o, nps_io_write(nps_output_stream(o), nps_library_spectra(lib), f));
    nps_library_free(lib);
    return rc ? EXIT_FAIL : EXIT_OK;
}

static const char *library_help =
    "usage: npsmatch library COMMAND ...\n"
    "  build -o LIB.h5 FILE...    build a library from spectra files\n"
    "  info LIB.h5                size, kinds, checksum, preprocessing\n"
    "  export -o OUT LIB.h5       write the spectra as MSP, MGF or JSON\n"
    "  verify LIB.h5              check checksums and invariants\n"
    "Run 'npsmatch library COMMAND --help' for the options of a command.\n";

int cmd_library(int argc, char **argv)
{
    if (argc < 2) {
        fputs(library_help, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(library_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "build") == 0) return build(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0) return info(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0) return export_lib(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0) return verify(argc - 1, argv + 1);
    fprintf(stderr, "npsmatch: unknown library command '%s'\n", argv[1]);
    fputs(library_help, stderr);
    return EXIT_USAGE;
}

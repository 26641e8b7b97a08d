/*
 * npsmatch convert: read spectra files in any supported format and write them
 * as MSP, MGF or matchms-compatible JSON.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *convert_help =
    "usage: npsmatch convert [--format F] [--to msp|mgf|json] [--ms-level N|all] [--strict]\n"
    "                        -o OUT IN...\n"
    "  --format F   read IN as msp, mgf, massbank, csv, mzml, mzxml, jcamp, ms1, ms2 or\n"
    "               mzspeclib\n"
    "               (default: detected from the content)\n"
    "  --ms-level N runs (mzML, mzXML): read MS level N, or all (default: 2, or 1 for an\n"
    "               electron-ionisation GC-MS run)\n"
    "  --to T       write msp, mgf or json (default: from OUT's extension; msp for -)\n"
    "  -o OUT       output file, written atomically, or - for standard output\n"
    "  --strict     stop at the first malformed record\n";

static int parse_out(nps_format *f, const char *s)
{
    if (strcasecmp(s, "msp") == 0)
        *f = NPS_FORMAT_MSP;
    else if (strcasecmp(s, "mgf") == 0)
        *f = NPS_FORMAT_MGF;
    else if (strcasecmp(s, "json") == 0)
        *f = NPS_FORMAT_JSON;
    else
        return -1;
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 't'},
                                       {"output", required_argument, 0, 'o'},
                                       {"strict", no_argument, 0, 's'},
                                       {"ms-level", required_argument, 0, 'L'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *outp = NULL;
    nps_format in_fmt = NPS_FORMAT_AUTO, out_fmt = NPS_FORMAT_AUTO;
    cli_reader rd = CLI_READER_INIT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_parse_input_format(&in_fmt, optarg)) {
                fprintf(stderr, "npsmatch: --format: '%s' is not %s\n", optarg, cli_input_formats);
                return EXIT_USAGE;
            }
            break;
        case 'L':
            if (cli_parse_ms_level(&rd.ms_level, optarg)) return EXIT_USAGE;
            break;
        case 't':
            if (parse_out(&out_fmt, optarg)) {
                fprintf(stderr, "npsmatch: --to: '%s' is not msp, mgf or json\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            outp = optarg;
            break;
        case 's':
            rd.strict = 1;
            break;
        case 'h':
            fputs(convert_help, stdout);
            return EXIT_OK;
        default:
            fputs(convert_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (!outp || optind >= argc) {
        fputs(convert_help, stderr);
        return EXIT_USAGE;
    }
    if (out_fmt == NPS_FORMAT_AUTO) {
        const char *dot = strrchr(outp, '.');
        if (strcmp(outp, "-") == 0)
            out_fmt = NPS_FORMAT_MSP;
        else if (!dot || parse_out(&out_fmt, dot + 1)) {
            fprintf(stderr, "npsmatch: cannot tell the output format of '%s' (use --to)\n", outp);
            return EXIT_USAGE;
        }
    }
    nps_spectra *s;
    if (nps_spectra_create(&s)) return EXIT_FAIL;
    rd.format = in_fmt;
    int status = EXIT_FAIL;
    if (cli_read_files(s, &rd, argv + optind, argc - optind)) goto out;
    int rc = strcmp(outp, "-") == 0 ? nps_io_write(stdout, s, out_fmt)
                                    : nps_io_write_path(outp, s, out_fmt);
    if (rc) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        goto out;
    }
    fprintf(stderr, "npsmatch: wrote %zu spectra; %zu malformed records skipped\n",
            nps_spectra_count(s), rd.skipped);
    status = rd.skipped ? EXIT_SKIPPED : EXIT_OK;
out:
    nps_spectra_free(s);
    return status;
}

/*
 * npsmatch convert: read spectra files in any supported format and write them
 * as MSP, MGF or matchms-compatible JSON.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *convert_help =
    "usage: npsmatch convert [--input-format F] [--to msp|mgf|json] [--ms-level N|all]\n"
    "                        [--strict] -o OUT IN...\n"
    "  IN                 spectra files, directories (every file under them), gzip files,\n"
    "                     or - for standard input\n"
    "  --input-format F   read IN as msp, mgf, massbank, csv, mzml, mzxml, jcamp, ms1, ms2\n"
    "                     or mzspeclib (default: detected from the content)\n"
    "  --ms-level N|all   runs (mzML, mzXML): read MS level N, or all (default: 2, or 1 for\n"
    "                     an electron-ionisation GC-MS run)\n"
    "  --to T, --format T write msp, mgf or json (default: from OUT's extension; msp for -)\n"
    "  -o OUT             output file (replaced atomically), device, FIFO, or - for\n"
    "                     standard output\n"
    "  --strict           stop at the first malformed record\n";

int cmd_convert(int argc, char **argv)
{
    static const struct option lo[] = {{"input-format", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 't'},
                                       {"format", required_argument, 0, 't'},
                                       {"output", required_argument, 0, 'o'},
                                       {"strict", no_argument, 0, 's'},
                                       {"ms-level", required_argument, 0, 'L'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *outp = NULL, *to = NULL;
    nps_format in_fmt = NPS_FORMAT_AUTO, out_fmt;
    cli_reader rd = CLI_READER_INIT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_parse_input_format(&in_fmt, optarg)) return EXIT_USAGE;
            break;
        case 'L':
            if (cli_parse_ms_level(&rd.ms_level, optarg)) return EXIT_USAGE;
            break;
        case 't':
            to = optarg;
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
    if (cli_output_format(&out_fmt, to, outp)) return EXIT_USAGE;
    nps_spectra *s;
    if (nps_spectra_create(&s)) return EXIT_FAIL;
    rd.format = in_fmt;
    int status = EXIT_FAIL;
    if (cli_read_files(s, &rd, argv + optind, argc - optind)) goto out;
    cli_warn_filtered(&rd);
    nps_output *o;
    if (cli_output_begin(&o, outp)) goto out;
    if (cli_output_end(o, nps_io_write(nps_output_stream(o), s, out_fmt))) goto out;
    fprintf(stderr, "npsmatch: wrote %zu spectra; %zu malformed records skipped\n",
            nps_spectra_count(s), rd.skipped);
    status = rd.skipped ? EXIT_SKIPPED : EXIT_OK;
out:
    nps_spectra_free(s);
    return status;
}

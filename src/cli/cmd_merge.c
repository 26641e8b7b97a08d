/*
 * npsmatch merge: join the outputs of `npsmatch search --shard I/N` into the
 * output of the whole batch (nps_report_merge).
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *merge_help =
    "usage: npsmatch merge [-o OUT] PART...\n"
    "  joins the outputs of `npsmatch search --shard I/N` (all N of them, TSV or JSON, in\n"
    "  any order) into the output an unsharded search writes, byte for byte; refuses\n"
    "  parts that are missing, repeated, or made with another library or other\n"
    "  parameters\n"
    "  -o OUT   output file (replaced atomically), or - for standard output (default)\n";

int cmd_merge(int argc, char **argv)
{
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *outp = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        if (c == 'o') {
            outp = optarg;
        } else if (c == 'h') {
            fputs(merge_help, stdout);
            return EXIT_OK;
        } else {
            fputs(merge_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(merge_help, stderr);
        return EXIT_USAGE;
    }
    nps_output *o;
    if (cli_output_begin(&o, outp)) return EXIT_FAIL;
    int rc = nps_report_merge(nps_output_stream(o), (const char *const *)(argv + optind),
                              (size_t)(argc - optind));
    if (rc) {
        /* nothing of a refused merge reaches the output */
        fprintf(stderr, "npsmatch: merge: %s\n", nps_error_last());
        nps_output_discard(o);
        return EXIT_FAIL;
    }
    if (cli_output_end(o, 0)) return EXIT_FAIL;
    fprintf(stderr, "npsmatch: merged %d parts\n", argc - optind);
    return EXIT_OK;
}

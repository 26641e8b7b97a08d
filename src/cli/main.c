/*
 * npsmatch: command-line entry point. Dispatches to the subcommands; every
 * piece of work is done by libnpsmatch.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
    fputs("npsmatch " NPS_VERSION_STRING " - spectral library search for forensic drug analysis\n"
          "\n"
          "usage:\n"
          "  npsmatch library build -o LIB.h5 [--strict] [preprocessing] FILE...\n"
          "  npsmatch library info LIB.h5\n"
          "  npsmatch library export [--to msp|mgf|json] -o OUT LIB.h5\n"
          "  npsmatch library verify LIB.h5\n"
          "  npsmatch search [--library LIB.h5|FILE.msp] [options] QUERY_FILE...\n"
          "  npsmatch compare [score options] --pairs PAIRS.tsv [--explain] [-o OUT] FILE...\n"
          "  npsmatch convert [--input-format F] [--to msp|mgf|json] -o OUT IN...\n"
          "  npsmatch evaluate --library LIB --truth FIELD [options] QUERY_FILE...\n"
          "  npsmatch search --shard I/N ...; npsmatch merge [-o OUT] PART...\n"
          "  npsmatch deconvolve [options] [-o COMPONENTS.msp] RUN...\n"
          "  npsmatch screen [--library LIB] [--alkanes FILE] [--top K] [--format tsv|json|html]\n"
          "                  [-o OUT] RUN...\n"
          "\n"
          "Runs: mzML, mzXML, netCDF ANDI-MS (.cdf), JCAMP-DX, MS1/MS2 text.\n"
          "Inputs may be files, directories, gzip files, pipes or - (standard input).\n"
          "Run 'npsmatch COMMAND --help' for the options of a command; --version prints\n"
          "the version.\n"
          "Exit status: 0 ok, 1 failure, 2 usage error, 3 done but records skipped.\n",
          fp);
}

int main(int argc, char **argv)
{
    /* a closed pipe is a write error like any other: reported, status 1
     * (with the default action the process would die silently) */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    /* --version (-V) is answered by every command and subcommand */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            puts("npsmatch " NPS_VERSION_STRING);
            return EXIT_OK;
        }
    const char *cmd = argv[1];
    if (strcmp(cmd, "library") == 0) return cmd_library(argc - 1, argv + 1);
    if (strcmp(cmd, "search") == 0) return cmd_search(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0) return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "convert") == 0) return cmd_convert(argc - 1, argv + 1);
    if (strcmp(cmd, "evaluate") == 0) return cmd_evaluate(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0) return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "deconvolve") == 0) return cmd_deconvolve(argc - 1, argv + 1);
    if (strcmp(cmd, "screen") == 0) return cmd_screen(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "npsmatch: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}

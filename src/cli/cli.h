/* The npsmatch command-line tool: a thin client of libnpsmatch. */
#ifndef NPS_CLI_H
#define NPS_CLI_H

#include "npsmatch/npsmatch.h"

#include <stddef.h>

/* Exit codes (documented in README.md). */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,   /* the command could not do its job */
    EXIT_USAGE = 2,  /* bad command line */
    EXIT_SKIPPED = 3 /* done, but malformed records or unknown ids were skipped */
};

/* Preprocessing flags shared by build, search and compare. */
typedef struct {
    nps_preprocess_config cfg;
    int changed; /* any flag given */
} cli_prep;

/* Options of reading shared by every command that reads spectra files. */
typedef struct {
    int strict;
    nps_format format; /* NPS_FORMAT_AUTO: detect */
    size_t skipped;
    size_t read;
    size_t files_failed;
    int ms_level;         /* nps_read_options.ms_level */
    size_t filtered;      /* well-formed scans of another MS level, not read */
    size_t files_skipped; /* files in a directory that are not spectra files */
    int quiet;            /* no per-record messages (MPI ranks but 0 read the same files) */
} cli_reader;
#define CLI_READER_INIT                                                                            \
    {                                                                                              \
        0, NPS_FORMAT_AUTO, 0, 0, 0, 0, 0, 0, 0                                                    \
    }

/* --input-format names (msp, mgf, massbank, csv, mzml, mzxml, jcamp, ms1,
 * ms2, mzspeclib); an unknown name prints the message and returns -1. */
int cli_parse_input_format(nps_format *out, const char *s);
/* "--ms-level N|all"; prints the error and returns -1 on a bad value. */
int cli_parse_ms_level(int *out, const char *s);
extern const char *cli_input_formats; /* the names, for help texts */

void cli_prep_init(cli_prep *p);
/* Handle one preprocessing option; returns 1 if it was one, 0 if not, -1 on a bad value. */
int cli_prep_option(cli_prep *p, const char *name, const char *value);

/* Field-by-field equality of two configurations. */
int cli_prep_same(const nps_preprocess_config *a, const nps_preprocess_config *b);
int cli_parse_double(double *out, const char *s, const char *opt);
int cli_parse_size(size_t *out, const char *s, const char *opt);
/* A whole number >= min; one message naming the option on a bad value. */
int cli_parse_count(size_t *out, const char *s, const char *opt, size_t min);

/* Read files into dst, printing "file:line: reason" for skipped records.
 * Returns 0, or nonzero if strict and an error occurred, or a file failed
 * fatally (I/O). */
int cli_read_files(nps_spectra *dst, cli_reader *r, char **files, int nfiles);

/* The spectra output format: --to (to, may be NULL), else OUT's extension
 * (.msp, .mgf, .json), msp for "-". Unknown: a message and -1. */
int cli_output_format(nps_format *out, const char *to, const char *path);

/* Warn about scans of another MS level that were not read (a run read at
 * the wrong level otherwise looks like a run without spectra). */
void cli_warn_filtered(const cli_reader *r);

/* Output: OUT, or standard output for NULL or "-". cli_output_end commits
 * (or discards, when rc is nonzero) and prints any error; it returns 0 or
 * the error. */
int cli_output_begin(nps_output **out, const char *path);
int cli_output_end(nps_output *o, int rc);
/* A search report to OUT through cli_output_*. */
int cli_write_report(const char *path, const nps_hits *hits, const nps_spectra *queries,
                     const nps_library *lib, const nps_report_options *options);

/* The default bundled library path, or NULL. */
const char *cli_bundled_library(void);
/* True for the illustrative library shipped with npsmatch (not a lab's). */
int cli_is_bundled_library(const char *path);
/* Load a library from .h5 or any spectra file. */
int cli_load_library(nps_library **out, const char *path, cli_reader *r,
                     const nps_preprocess_config *cfg, unsigned open_flags);

extern const char *cli_prep_help;
/* getopt_long entries 1001..1008 for the preprocessing flags. */
/* clang-format off */
#define PREP_LONG_OPTIONS                                       \
    {"precursor-removal", required_argument, 0, 1001},          \
    {"noise", required_argument, 0, 1002},                      \
    {"merge-tolerance", required_argument, 0, 1003},            \
    {"max-peaks", required_argument, 0, 1004},                  \
    {"normalize", required_argument, 0, 1005},                  \
    {"no-unit-mass", no_argument, 0, 1006},                     \
    {"raw", no_argument, 0, 1007},                              \
    {"merge-tolerance-ppm", required_argument, 0, 1008}
/* clang-format on */
/* clang-format off */
/* Search options shared by search and evaluate. */
#define SEARCH_LONG_OPTIONS                                     \
    {"score", required_argument, 0, 's'},                       \
    {"mode", required_argument, 0, 'm'},                        \
    {"tolerance", required_argument, 0, 't'},                   \
    {"tolerance-ppm", required_argument, 0, 'T'},               \
    {"threads", required_argument, 0, 'j'},                     \
    {"max-shift", required_argument, 0, 1101},                  \
    {"shift-candidates", required_argument, 0, 1102},           \
    {"shift-min-pairs", required_argument, 0, 1109}
/* clang-format on */
/* Apply a SEARCH_LONG_OPTIONS option to so: 1 done, 0 not one of them, -1 a
 * bad value (the message is printed). */
int cli_search_option(nps_search_options *so, int opt, const char *arg);
#define PREP_OPTION_FIRST 1001
#define PREP_OPTION_LAST 1008

/* The MPI transport of `search --mpi` (mpi.c; present when built with MPI).
 * Every call is collective: each rank makes it, in the same order. */
typedef struct {
    int rank, size;
} cli_mpi;
#ifdef NPS_HAVE_MPI
int cli_mpi_init(cli_mpi *m);
/* 1 when ok is true on every rank */
int cli_mpi_all_ok(const cli_mpi *m, int ok);
/* Each rank's hits against its part of the library, merged on rank 0 into
 * *merged (the whole library's hits; NULL elsewhere). meta: the library's
 * metadata, rank 0 only. 0 on every rank when the merge succeeded. */
int cli_mpi_merge_hits(nps_hits **merged, const cli_mpi *m, const nps_hits *hits,
                       const nps_library *part, const nps_library *meta, size_t top_k);
/* rank 0's value, on every rank */
int cli_mpi_broadcast(const cli_mpi *m, int value);
void cli_mpi_finalize(void);
#else
/* built without MPI: --mpi is refused before any of these could run, so
 * they are the one-process answers */
static inline int cli_mpi_init(cli_mpi *m)
{
    (void)m;
    return -1;
}
static inline int cli_mpi_all_ok(const cli_mpi *m, int ok)
{
    (void)m;
    return ok;
}
static inline int cli_mpi_merge_hits(nps_hits **merged, const cli_mpi *m, const nps_hits *hits,
                                     const nps_library *part, const nps_library *meta, size_t top_k)
{
    (void)m, (void)hits, (void)part, (void)meta, (void)top_k;
    *merged = NULL;
    return -1;
}
static inline int cli_mpi_broadcast(const cli_mpi *m, int value)
{
    (void)m;
    return value;
}
static inline void cli_mpi_finalize(void) {}
#endif

int cmd_library(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_deconvolve(int argc, char **argv);
int cmd_screen(int argc, char **argv);

#endif

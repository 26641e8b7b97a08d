/*
 * npsmatch search: rank library spectra for every query.
 *
 * Output (TSV) has one row per hit; its first eight columns are fixed:
 *   query_id query_name rank library_id library_name inchikey score matched_peaks
 * followed by score_type, mode, composite_mf (0-999, EI queries), library_class,
 * precursor_delta, then the analogue columns: delta_mz (unknown - library),
 * shifted_peaks, identity_score, shift_interpretation, and on each query's
 * first row its call (identified / possible new analogue / none), call_class
 * and class_support, e_value, q_value, and composite_rmf (0-999, EI queries).
 * JSON holds the same fields per query.
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *search_help =
    "usage: npsmatch search [--library LIB.h5|FILE.msp] [options] QUERY_FILE...\n"
    "  --library PATH             HDF5 library or spectra file (default: bundled library)\n"
    "  --score S                  entropy | entropy-unweighted | cosine | composite\n"
    "                             (default: entropy for MS/MS, composite for EI)\n"
    "  --mode M                   identity: precursor within tolerance (default for MS/MS\n"
    "                             with a precursor); open: whole library (default for EI)\n"
    "  --mode analogue            analogue search per query: hybrid (MS/MS with a precursor:\n"
    "                             direct and precursor-shifted fragment matches) or shift\n"
    "                             (EI: FFT shift correlation, then the hybrid rule); hits\n"
    "                             carry the mass difference, its interpretation and a call\n"
    "  --mode hybrid|neutral-loss|shift  one analogue search for every query\n"
    "  --max-shift DA             shift: largest mass difference looked for (200)\n"
    "  --shift-candidates N       shift: correlation peaks scored per spectrum (3)\n"
    "  --shift-min-pairs N        shift: shifted peak pairs a mass difference needs (2)\n"
    "  --decoys                   experimental: target-decoy q-values for every hit and the\n"
    "                             score threshold at --fdr; optimistic on real data (0.065\n"
    "                             observed at q 0.01): use the probability column\n"
    "  --fdr A                    the false discovery rate for the threshold (0.01)\n"
    "  --evalues                  a per-query e-value for every hit (fitted null score tail;\n"
    "                             off by default: it separates right from wrong top hits\n"
    "                             less well than the score itself, README, Confidence)\n"
    "  --identity-threshold S     call: plain score for an identification (default per\n"
    "                             kind and score, measured: MS/MS entropy 0.76, EI composite\n"
    "                             0.89; docs/scores.md)\n"
    "  --analogue-threshold S     call: analogue score for a possible analogue (default per\n"
    "                             kind and score: MS/MS entropy 0.45, EI composite 0.93)\n"
    "  --mixtures off|on|deep     call: mixture analysis (default on: EI queries; deep: MS/MS\n"
    "                             too, residuals searched in open mode, about twice the cost\n"
    "                             of an identity search); --no-mixtures is --mixtures off\n"
    "  --tolerance DA             fragment tolerance (default 0.02 MS/MS, 0.5 EI)\n"
    "  --tolerance-ppm PPM        fragment tolerance in ppm\n"
    "  --precursor-tolerance DA   identity window (default 0.01)\n"
    "  --precursor-tolerance-ppm PPM\n"
    "  --reverse                  ignore query peaks absent from the library spectrum\n"
    "  --mz-power A               cosine m/z weight exponent (0)\n"
    "  --intensity-power B        cosine intensity exponent (0.5)\n"
    "  --top K                    hits per query (10)\n"
    "  --min-score S              report hits with score >= S (0: every score > 0)\n"
    "  --any-kind                 let EI queries hit MS/MS spectra and vice versa\n"
    "  --exhaustive               score every library spectrum pairwise (no fragment index;\n"
    "                             the reference the index is tested against)\n"
    "  --threads N                worker threads (default: all cores)\n"
    "  --shard I/N                search only the I-th of N equal parts of the queries (for a\n"
    "                             scheduler); `npsmatch merge` joins the parts' outputs\n"
    "  --mpi                      under mpirun -np K: each rank searches 1/K of the library\n"
    "                             (an HDF5 library file), rank 0 merges the exact top hits\n"
    "                             and writes the output, identical to one process's\n"
    "  --format tsv|json|html     output format (tsv; json for -o *.json, html for -o *.html:\n"
    "                             the case report, with mirror plots); also --to\n"
    "  -o OUT                     write to OUT (replaced atomically; devices, FIFOs in place)\n"
    "  --strict                   stop at the first malformed record\n"
    "  --input-format F           read QUERY files as msp, mgf, massbank, csv, mzml, mzxml,\n"
    "                             jcamp, ms1, ms2 or mzspeclib (default: from the content)\n"
    "  --ms-level N|all           runs (mzML, mzXML): which MS level becomes queries\n"
    "                             (default: 2, or 1 for an electron-ionisation GC-MS run)\n";

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    if (done == total || done % 64 == 0) {
        fprintf(stderr, "\rsearching: %zu/%zu queries", done, total);
        if (done == total) fputc('\n', stderr);
    }
}

/* --mpi: this rank's part of the library file, and on rank 0 the metadata
 * of every record (the report names hits from any part). */
static int mpi_open_library(nps_library **part, nps_library **meta, const cli_mpi *m,
                            const char *path)
{
    int is_lib = 0;
    int ok = nps_library_sniff(&is_lib, path) == 0 && is_lib;
    if (!ok && m->rank == 0)
        fprintf(stderr,
                "npsmatch: --mpi: %s is not an npsmatch library file (make one with "
                "`npsmatch library build`)\n",
                path);
    if (ok && (nps_library_open_part(part, path, (size_t)m->rank, (size_t)m->size) ||
               (m->rank == 0 && nps_library_open_ex(meta, path, NPS_LIBRARY_METADATA_ONLY)))) {
        fprintf(stderr, "npsmatch: rank %d: %s\n", m->rank, nps_error_last());
        ok = 0;
    }
    return cli_mpi_all_ok(m, ok) ? 0 : -1;
}

int cmd_search(int argc, char **argv)
{
    static const struct option lo[] = {{"library", required_argument, 0, 'l'},
                                       {"precursor-tolerance", required_argument, 0, 'p'},
                                       {"precursor-tolerance-ppm", required_argument, 0, 'P'},
                                       {"reverse", no_argument, 0, 'r'},
                                       {"mz-power", required_argument, 0, 'a'},
                                       {"intensity-power", required_argument, 0, 'b'},
                                       {"top", required_argument, 0, 'k'},
                                       {"min-score", required_argument, 0, 'M'},
                                       {"format", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 'f'},
                                       {"output", required_argument, 0, 'o'},
                                       {"strict", no_argument, 0, 'S'},
                                       {"input-format", required_argument, 0, 'I'},
                                       {"ms-level", required_argument, 0, 'L'},
                                       {"identity-threshold", required_argument, 0, 1103},
                                       {"analogue-threshold", required_argument, 0, 1104},
                                       {"no-evalues", no_argument, 0, 1105},
                                       {"evalues", no_argument, 0, 1111},
                                       {"decoys", no_argument, 0, 1106},
                                       {"fdr", required_argument, 0, 1107},
                                       {"any-kind", no_argument, 0, 'A'},
                                       {"exhaustive", no_argument, 0, 'X'},
                                       {"shard", required_argument, 0, 1110},
                                       {"mpi", no_argument, 0, 1112},
                                       {"mixtures", required_argument, 0, 1113},
                                       {"no-mixtures", no_argument, 0, 1114},
                                       {"help", no_argument, 0, 'h'},
                                       SEARCH_LONG_OPTIONS,
                                       PREP_LONG_OPTIONS,
                                       {0, 0, 0, 0}};
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    nps_call_options co = NPS_CALL_OPTIONS_INIT;
    int decoys = 0;
    double fdr = 0.01;
    /* e-values are opt-in: on the cross-laboratory MS/MS set they separate
     * right from wrong top hits less well than the plain score (bench/RESULTS.md
     * section 9); --no-evalues is still accepted */
    so.evalues = 0;
    const char *libpath = NULL, *outp = NULL;
    nps_report_format fmt = NPS_REPORT_TSV;
    int format_given = 0, c, idx;
    size_t shard_i = 0, shard_n = 0;
    int use_mpi = 0;
    cli_reader rd = CLI_READER_INIT;
    cli_prep pp;
    cli_prep_init(&pp);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, &idx)) != -1) {
        int sr = cli_search_option(&so, c, optarg);
        if (sr < 0) return EXIT_USAGE;
        if (sr > 0) continue;
        switch (c) {
        case 'l':
            libpath = optarg;
            break;
        case 1103:
            if (cli_parse_double(&co.identity_threshold, optarg, "--identity-threshold"))
                return EXIT_USAGE;
            break;
        case 1104:
            if (cli_parse_double(&co.analogue_threshold, optarg, "--analogue-threshold"))
                return EXIT_USAGE;
            break;
        case 1105:
            so.evalues = 0;
            break;
        case 1111:
            so.evalues = 1;
            break;
        case 1106:
            decoys = 1;
            break;
        case 1113:
            if (strcmp(optarg, "off") == 0)
                so.mixtures = NPS_MIXTURES_OFF;
            else if (strcmp(optarg, "on") == 0)
                so.mixtures = NPS_MIXTURES_ON;
            else if (strcmp(optarg, "deep") == 0)
                so.mixtures = NPS_MIXTURES_DEEP;
            else {
                fprintf(stderr, "npsmatch: --mixtures: '%s' is not off, on or deep\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 1114:
            so.mixtures = NPS_MIXTURES_OFF;
            break;
        case 1107:
            if (cli_parse_double(&fdr, optarg, "--fdr")) return EXIT_USAGE;
            if (!(fdr > 0 && fdr < 1)) {
                fprintf(stderr, "npsmatch: --fdr: %g is not between 0 and 1\n", fdr);
                return EXIT_USAGE;
            }
            decoys = 1;
            break;
        case 'p':
        case 'P':
            if (cli_parse_double(&so.precursor_tolerance, optarg, lo[idx].name)) return EXIT_USAGE;
            so.precursor_tolerance_ppm = c == 'P';
            break;
        case 'r':
            so.reverse = 1;
            break;
        case 'a':
            if (cli_parse_double(&so.mz_power, optarg, "--mz-power")) return EXIT_USAGE;
            break;
        case 'b':
            if (cli_parse_double(&so.intensity_power, optarg, "--intensity-power"))
                return EXIT_USAGE;
            break;
        case 'k':
            if (cli_parse_count(&so.top_k, optarg, "--top", 1)) return EXIT_USAGE;
            break;
        case 'M':
            if (cli_parse_double(&so.min_score, optarg, "--min-score")) return EXIT_USAGE;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                fmt = NPS_REPORT_JSON;
            else if (strcmp(optarg, "tsv") == 0)
                fmt = NPS_REPORT_TSV;
            else if (strcmp(optarg, "html") == 0)
                fmt = NPS_REPORT_HTML;
            else {
                fprintf(stderr, "npsmatch: --format: '%s' is not tsv, json or html\n", optarg);
                return EXIT_USAGE;
            }
            format_given = 1;
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
        case 'L':
            if (cli_parse_ms_level(&rd.ms_level, optarg)) return EXIT_USAGE;
            break;
        case 'A':
            so.same_kind_only = 0;
            break;
        case 'X':
            so.exhaustive = 1;
            break;
        case 1110: {
            char *slash = strchr(optarg, '/');
            if (!slash || cli_parse_count(&shard_i, (*slash = '\0', optarg), "--shard", 1) ||
                cli_parse_count(&shard_n, slash + 1, "--shard", 1) || shard_i > shard_n) {
                fprintf(stderr, "npsmatch: --shard: give I/N with 1 <= I <= N\n");
                return EXIT_USAGE;
            }
            break;
        }
        case 1112:
            use_mpi = 1;
            break;
        case 'h':
            fputs(search_help, stdout);
            printf("%s", cli_prep_help);
            return EXIT_OK;
        default:
            if (c >= PREP_OPTION_FIRST && c <= PREP_OPTION_LAST) {
                if (cli_prep_option(&pp, lo[idx].name, optarg) < 0) return EXIT_USAGE;
                break;
            }
            fputs(search_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(search_help, stderr);
        return EXIT_USAGE;
    }
    if (shard_n && decoys) {
        fprintf(stderr, "npsmatch: --shard: target-decoy q-values are computed over the whole "
                        "batch, so --decoys cannot be sharded\n");
        return EXIT_USAGE;
    }
    if (use_mpi) {
#ifndef NPS_HAVE_MPI
        fprintf(stderr, "npsmatch: --mpi: this npsmatch was built without MPI (install Open MPI, "
                        "libopenmpi-dev, and rebuild)\n");
        return EXIT_USAGE;
#else
        /* what depends on the whole library cannot be computed from a part */
        const char *no = decoys       ? "--decoys (decoys are ranked against every target)"
                         : so.evalues ? "--evalues (fitted to the scores of the whole library)"
                         : pp.changed ? "preprocessing options (the parts are read search-ready)"
                                      : NULL;
        if (no) {
            fprintf(stderr, "npsmatch: --mpi cannot be combined with %s\n", no);
            return EXIT_USAGE;
        }
        /* a part cannot fit a mixture: the residual search needs the whole
         * library */
        so.mixtures = NPS_MIXTURES_OFF;
#endif
    }
    if (!format_given && outp) { /* -o hits.json writes JSON, -o report.html HTML */
        size_t n = strlen(outp);
        if (n > 5 && strcasecmp(outp + n - 5, ".json") == 0) fmt = NPS_REPORT_JSON;
        if ((n > 5 && strcasecmp(outp + n - 5, ".html") == 0) ||
            (n > 4 && strcasecmp(outp + n - 4, ".htm") == 0))
            fmt = NPS_REPORT_HTML;
    }
    if (fmt == NPS_REPORT_HTML && shard_n) {
        fprintf(stderr, "npsmatch: an HTML report is of a whole batch: write the shards as TSV "
                        "or JSON and `npsmatch merge` them\n");
        return EXIT_USAGE;
    }
    int bundled = 0;
    if (!libpath) {
        libpath = cli_bundled_library();
        if (!libpath) {
            fprintf(stderr, "npsmatch: no --library given and the bundled library was not found "
                            "(set NPSMATCH_LIBRARY)\n");
            return EXIT_FAIL;
        }
        bundled = cli_is_bundled_library(libpath);
    }
    nps_library *lib = NULL;
    nps_spectra *queries = NULL;
    nps_hits *hits = NULL;
    int status = EXIT_FAIL;
    /* --mpi: lib is this rank's part; meta (rank 0) the whole file's
     * metadata, which the report names hits from */
    nps_library *meta = NULL;
    cli_mpi mpi = {0, 1};
    if (use_mpi && cli_mpi_init(&mpi)) return EXIT_FAIL;
    /* other cleaning parameters re-derive the search copy from the imported
     * peaks; otherwise only the search-ready peaks are read */
    /* the query-format options do not apply to the library */
    nps_format qfmt = rd.format;
    int qlevel = rd.ms_level;
    rd.format = NPS_FORMAT_AUTO;
    rd.ms_level = 0;
    int lrc = use_mpi ? mpi_open_library(&lib, &meta, &mpi, libpath)
                      : cli_load_library(&lib, libpath, &rd, &pp.cfg,
                                         pp.changed ? 0 : NPS_LIBRARY_SEARCH_ONLY);
    rd.format = qfmt;
    rd.ms_level = qlevel;
    if (lrc) goto out;
    if (nps_library_part_total(lib) == 0) {
        fprintf(stderr, "npsmatch: %s: the library holds no spectra\n", libpath);
        goto out;
    }
    if (bundled && mpi.rank == 0)
        fprintf(stderr,
                "npsmatch: warning: searching the bundled illustrative library (%s): its "
                "spectra are reconstructions for demonstration, not validated reference "
                "spectra; use --library with your laboratory's library for casework\n",
                libpath);
    if (pp.changed && !cli_prep_same(&pp.cfg, nps_library_preprocessing(lib))) {
        nps_library *re = NULL;
        if (nps_library_reprocess(&re, lib, &pp.cfg)) {
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
            goto out;
        }
        nps_library_free(lib);
        lib = re;
    }
    /* the library the report names hits from */
    const nps_library *rlib = use_mpi ? meta : lib;
    size_t lib_skipped = rd.skipped;
    size_t lib_filtered = rd.filtered;
    rd.quiet = mpi.rank != 0;
    int read_ok = nps_spectra_create(&queries) == 0 &&
                  cli_read_files(queries, &rd, argv + optind, argc - optind) == 0;
    if (use_mpi) read_ok = cli_mpi_all_ok(&mpi, read_ok);
    if (!read_ok) goto out;
    rd.filtered -= lib_filtered;
    if (mpi.rank == 0) cli_warn_filtered(&rd);
    nps_shard shard;
    int shard_ok = 1;
    if (shard_n) {
        /* this node's part of the batch: every node reads every query file,
         * so the parts are the same wherever they run */
        nps_spectra *part = NULL;
        shard_ok = nps_shard_make(&shard, shard_i, shard_n, nps_spectra_count(queries)) == 0 &&
                   nps_spectra_create(&part) == 0;
        for (size_t i = shard.first; shard_ok && i < shard.end; i++)
            shard_ok = nps_spectra_add_from(part, queries, i) == 0;
        if (shard_ok) {
            nps_spectra_free(queries);
            queries = part;
        } else {
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
            nps_spectra_free(part);
        }
    }
    if (use_mpi) shard_ok = cli_mpi_all_ok(&mpi, shard_ok);
    if (!shard_ok) goto out;
    if (isatty(2) && mpi.rank == 0) so.progress = progress;
    double thr = INFINITY;
    size_t n_decoy = 0;
    int search_ok = (decoys ? nps_search_target_decoy(&hits, lib, queries, &so, fdr, &thr, &n_decoy)
                            : nps_search_run(&hits, lib, queries, &so)) == 0;
    if (!search_ok) {
        if (use_mpi)
            fprintf(stderr, "npsmatch: rank %d: %s\n", mpi.rank, nps_error_last());
        else
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
    }
    if (use_mpi && !cli_mpi_all_ok(&mpi, search_ok)) goto out;
    if (!search_ok) goto out;
    if (use_mpi) {
        nps_hits *merged = NULL;
        if (cli_mpi_merge_hits(&merged, &mpi, hits, lib, meta, so.top_k)) goto out;
        nps_hits_free(hits);
        hits = merged;
        if (mpi.rank != 0) { /* rank 0 alone reports */
            status = EXIT_OK;
            goto out;
        }
    }
    if (decoys)
        fprintf(stderr,
                "npsmatch: target-decoy: %zu of %zu queries had a decoy as best hit; score "
                "threshold at %.3g FDR: %s%.4f\n",
                n_decoy, nps_spectra_count(queries), fdr, isfinite(thr) ? "" : "none ",
                isfinite(thr) ? thr : 0.0);
    size_t absent = nps_hits_queries_kind_absent(hits);
    nps_report_options ro = NPS_REPORT_OPTIONS_INIT;
    ro.format = fmt;
    ro.library_path = libpath;
    ro.search = &so;
    ro.call = &co;
    ro.inputs = (const char *const *)(argv + optind);
    ro.n_inputs = (size_t)(argc - optind);
    ro.target_decoy = decoys;
    ro.fdr = fdr;
    ro.fdr_threshold = thr;
    ro.queries_kind_absent = absent;
    ro.records_skipped = rd.skipped;
    ro.records_filtered = rd.filtered;
    ro.shard = shard_n ? &shard : NULL;
    if (bundled)
        ro.warning = "this report searched the bundled illustrative library: its spectra are "
                     "reconstructions for demonstration, not validated reference spectra; it "
                     "is not a basis for casework.";
    if (cli_write_report(outp, hits, queries, rlib, &ro)) goto out;
    size_t nohit = nps_hits_queries_without_hit(hits);
    if (absent)
        fprintf(stderr,
                "npsmatch: warning: %zu queries are of a kind (EI or MS/MS) that the library "
                "holds no spectrum of; they were not searched (--any-kind searches them "
                "against the other kind)\n",
                absent);
    fprintf(stderr,
            "npsmatch: %zu queries searched against %zu library spectra (%s); %zu without a "
            "hit, of which %zu of a kind the library does not hold; %zu malformed records "
            "skipped; %zu scans of another MS level not read\n",
            nps_spectra_count(queries), nps_spectra_count(nps_library_spectra(rlib)), libpath,
            nohit, absent, rd.skipped, rd.filtered);
    status = rd.skipped || lib_skipped ? EXIT_SKIPPED : EXIT_OK;
out:
    nps_hits_free(hits);
    nps_spectra_free(queries);
    nps_library_free(lib);
    nps_library_free(meta);
    if (use_mpi) { /* every rank exits with rank 0's status */
        status = cli_mpi_broadcast(&mpi, status);
        cli_mpi_finalize();
    }
    return status;
}

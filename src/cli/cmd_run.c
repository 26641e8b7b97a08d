/*
 * npsmatch deconvolve / npsmatch screen: from instrument runs to components,
 * and from components to a report.
 *
 * Both read each run (nps_run_read), make its components (GC-EI-MS:
 * nps_deconvolve; LC-MS/MS: nps_run_consensus of the MS2 scans), and give
 * them retention indices when a ladder is known (nps_ri_annotate).
 * deconvolve writes the components as spectra (MSP by default); screen
 * searches them (the search's defaults for their kind), applies the RI
 * penalty (nps_hits_apply_ri), finds the internal standard
 * (nps_hits_find_named) and writes the screen report
 * (nps_screen_report_write). Every step is a library call.
 */
#include "cli.h"

#include <getopt.h>
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *run_help =
    "  --kind ei|msms             what the runs are (default: from the file: all-MS1 runs\n"
    "                             without an LC source are GC-EI-MS)\n"
    "  --alkanes FILE             n-alkane ladder: \"carbon time\" lines (minutes); gives\n"
    "                             every component its linear retention index\n"
    "  --alkane-run RUN           the ladder from a run of the alkane standard (its\n"
    "                             alkane components in elution order)\n"
    "  --first-carbon N           carbon number of the first alkane of --alkane-run (8)\n"
    "  deconvolution (GC-MS):\n"
    "  --min-snr S                model ion's apex over its noise (10)\n"
    "  --min-ions N               ions apexing together that make a component (3)\n"
    "  --apex-tolerance SCANS     how close co-apexing ions' apexes are (1.0)\n"
    "  --min-width SCANS          least half-height width of a model peak (3)\n"
    "  --baseline-window SCANS    baseline window each side (40)\n"
    "  --ion-snr S                an ion's least fitted height over its noise (3)\n"
    "  --window SCANS             scans per processing window (1024)\n"
    "  --threads N                worker threads (default: all cores)\n"
    "  LC-MS/MS grouping:\n"
    "  --group-precursor-tolerance DA  precursor m/z of one group (0.01)\n"
    "  --rt-gap MIN               a group ends after this gap (0.5)\n"
    "  --group-fragment-tolerance DA   consensus peak clustering (0.01)\n"
    "  --min-fraction F           share of a group's scans a consensus peak needs (0.5)\n";

typedef struct {
    nps_run_options ro;
    nps_deconvolve_options dec;
    nps_consensus_options cons;
    const char *alkanes, *alkane_run;
    int first_carbon;
    size_t diag_count;
} run_opts;

static void run_diag(void *ctx, const char *file, size_t line, const char *reason)
{
    run_opts *o = ctx;
    /* called from the threads that read runs */
#pragma omp atomic
    o->diag_count++;
    if (line)
        fprintf(stderr, "%s: scan %zu: %s\n", file, line, reason);
    else
        fprintf(stderr, "%s: %s\n", file, reason);
}

#define RUN_LONG_OPTIONS                                                                           \
    {"kind", required_argument, 0, 2001}, {"alkanes", required_argument, 0, 2002},                 \
        {"alkane-run", required_argument, 0, 2003}, {"first-carbon", required_argument, 0, 2004},  \
        {"min-snr", required_argument, 0, 2005}, {"min-ions", required_argument, 0, 2006},         \
        {"apex-tolerance", required_argument, 0, 2007}, {"min-width", required_argument, 0, 2008}, \
        {"baseline-window", required_argument, 0, 2009}, {"ion-snr", required_argument, 0, 2010},  \
        {"window", required_argument, 0, 2011},                                                    \
        {"group-precursor-tolerance", required_argument, 0, 2012},                                 \
        {"rt-gap", required_argument, 0, 2013},                                                    \
        {"group-fragment-tolerance", required_argument, 0, 2014},                                  \
    {                                                                                              \
        "min-fraction", required_argument, 0, 2015                                                 \
    }

/* 1 handled, 0 not a run option, -1 bad value */
static int run_option(run_opts *o, int c, const char *arg, const char *name)
{
    switch (c) {
    case 2001:
        if (!strcasecmp(arg, "ei"))
            o->ro.kind = NPS_KIND_EI;
        else if (!strcasecmp(arg, "msms"))
            o->ro.kind = NPS_KIND_MSMS;
        else {
            fprintf(stderr, "npsmatch: --kind: '%s' is not ei or msms\n", arg);
            return -1;
        }
        return 1;
    case 2002:
        o->alkanes = arg;
        return 1;
    case 2003:
        o->alkane_run = arg;
        return 1;
    case 2004: {
        size_t v;
        if (cli_parse_count(&v, arg, name, 1) || v > 100) return -1;
        o->first_carbon = (int)v;
        return 1;
    }
    case 2005:
        return cli_parse_double(&o->dec.min_snr, arg, name) ? -1 : 1;
    case 2006:
        return cli_parse_count(&o->dec.min_ions, arg, name, 1) ? -1 : 1;
    case 2007:
        return cli_parse_double(&o->dec.apex_tolerance, arg, name) ? -1 : 1;
    case 2008:
        return cli_parse_double(&o->dec.min_width, arg, name) ? -1 : 1;
    case 2009:
        return cli_parse_count(&o->dec.baseline_window, arg, name, 1) ? -1 : 1;
    case 2010:
        return cli_parse_double(&o->dec.ion_snr, arg, name) ? -1 : 1;
    case 2011:
        return cli_parse_count(&o->dec.window, arg, name, 16) ? -1 : 1;
    case 2012:
        return cli_parse_double(&o->cons.precursor_tolerance, arg, name) ? -1 : 1;
    case 2013:
        return cli_parse_double(&o->cons.rt_gap, arg, name) ? -1 : 1;
    case 2014:
        return cli_parse_double(&o->cons.fragment_tolerance, arg, name) ? -1 : 1;
    case 2015:
        return cli_parse_double(&o->cons.min_fraction, arg, name) ? -1 : 1;
    default:
        return 0;
    }
}

static void run_opts_init(run_opts *o)
{
    nps_run_options ro = NPS_RUN_OPTIONS_INIT;
    nps_deconvolve_options dec = NPS_DECONVOLVE_OPTIONS_INIT;
    nps_consensus_options cons = NPS_CONSENSUS_OPTIONS_INIT;
    memset(o, 0, sizeof *o);
    o->ro = ro;
    o->dec = dec;
    o->cons = cons;
    o->first_carbon = 8;
    o->ro.on_error = run_diag;
    o->ro.on_error_ctx = o;
}

/* One run's work: read (streamed: memory bounded by the deconvolution's
 * window, not by the file), components, RI. Runs are independent, so a
 * batch of them is spread over the threads (the caller owns the parallel
 * loop); a failure keeps its message, since the library's last error is
 * per thread. */
typedef struct {
    const char *path;
    nps_spectra *comp;
    nps_chromatogram *chrom;
    nps_run_report rep;
    size_t outside;
    int rc;
    char msg[512];
} run_job;

static void run_one(run_job *j, const run_opts *o, const nps_deconvolve_options *dec,
                    const nps_ri_ladder *ladder)
{
    j->rc = nps_run_components(&j->comp, &j->chrom, &j->rep, j->path, &o->ro, dec, &o->cons);
    if (!j->rc && ladder) {
        nps_spectra *a = NULL;
        j->rc = nps_ri_annotate(&a, j->comp, ladder, &j->outside);
        nps_spectra_free(j->comp);
        j->comp = a;
    }
    if (j->rc) snprintf(j->msg, sizeof j->msg, "%s", nps_error_last());
}

/* Every run's components, appended to all in the order the runs were
 * given; chroms[i] keeps run i's chromatogram (for the report). */
static int components_of(nps_spectra *all, nps_chromatogram **chroms, char **paths, size_t nr,
                         run_opts *o, const nps_ri_ladder *ladder, size_t *outside)
{
    run_job *jobs = calloc(nr ? nr : 1, sizeof *jobs);
    if (!jobs) return -1;
    /* the streamed deconvolution of one run is serial: runs are the unit
     * of parallel work */
    nps_deconvolve_options dec = o->dec;
    int threads = dec.threads > 0 ? dec.threads : omp_get_max_threads(); // NOLINT
    for (size_t i = 0; i < nr; i++) jobs[i].path = paths[i];
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (nr > 1)
    for (size_t i = 0; i < nr; i++) run_one(&jobs[i], o, &dec, ladder);
    int rc = 0;
    for (size_t i = 0; i < nr; i++) {
        run_job *j = &jobs[i];
        chroms[i] = j->chrom;
        if (rc) {
            nps_spectra_free(j->comp);
            continue;
        }
        if (j->rc) {
            fprintf(stderr, "npsmatch: %s\n", j->msg);
            rc = -1;
            continue;
        }
        int ei = !j->rep.msn && j->chrom && j->chrom->level == 1;
        if (o->ro.kind >= 0) ei = o->ro.kind == NPS_KIND_EI;
        fprintf(stderr, "%s: %zu scans (%zu MS1, %zu MS2+), %s: %zu %s\n", j->path, j->rep.scans,
                j->rep.ms1, j->rep.msn, ei ? "GC-EI-MS" : "LC-MS/MS", nps_spectra_count(j->comp),
                ei ? "components" : "precursor groups");
        *outside += j->outside;
        for (size_t k = 0; k < nps_spectra_count(j->comp) && !rc; k++)
            if (nps_spectra_add_from(all, j->comp, k)) {
                fprintf(stderr, "npsmatch: %s\n", nps_error_last());
                rc = -1;
            }
        nps_spectra_free(j->comp);
    }
    free(jobs);
    return rc;
}

static int load_ladder(nps_ri_ladder **out, run_opts *o)
{
    *out = NULL;
    if (o->alkanes && o->alkane_run) {
        fprintf(stderr, "npsmatch: give --alkanes or --alkane-run, not both\n");
        return -1;
    }
    if (o->alkanes) {
        if (nps_ri_ladder_read(out, o->alkanes)) {
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
            return -1;
        }
    } else if (o->alkane_run) {
        nps_spectra *c = NULL;
        nps_run_options ro = o->ro;
        ro.kind = NPS_KIND_EI;
        int rc = nps_run_components(&c, NULL, NULL, o->alkane_run, &ro, &o->dec, &o->cons);
        if (!rc) rc = nps_ri_ladder_from_components(out, c, o->first_carbon);
        nps_spectra_free(c);
        if (rc) {
            fprintf(stderr, "npsmatch: %s: %s\n", o->alkane_run, nps_error_last());
            return -1;
        }
    } else
        return 0;
    size_t n = nps_ri_ladder_count(*out);
    int c0, c1;
    double t0, t1;
    nps_ri_ladder_at(*out, 0, &c0, &t0);
    nps_ri_ladder_at(*out, n - 1, &c1, &t1);
    size_t missing = (size_t)(c1 - c0 + 1) - n;
    fprintf(stderr, "alkane ladder: %zu alkanes, C%d at %.3f min to C%d at %.3f min%s\n", n, c0, t0,
            c1, t1, missing ? " (carbons missing: interpolated across the gaps)" : "");
    return 0;
}

static void free_runs(nps_chromatogram **runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++) nps_chromatogram_free(runs[i]);
    free(runs);
}

int cmd_deconvolve(int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"to", required_argument, 0, 'f'},
                                       {"threads", required_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       RUN_LONG_OPTIONS,
                                       {0, 0, 0, 0}};
    run_opts o;
    run_opts_init(&o);
    const char *outp = "-", *to = NULL;
    int c, idx = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, &idx)) != -1) {
        int r = run_option(&o, c, optarg, idx >= 0 ? lo[idx].name : "");
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        switch (c) {
        case 'o':
            outp = optarg;
            break;
        case 'f':
            to = optarg;
            break;
        case 'j': {
            size_t v;
            if (cli_parse_count(&v, optarg, "--threads", 1)) return EXIT_USAGE;
            o.dec.threads = (int)v;
            break;
        }
        case 'h':
            fputs("usage: npsmatch deconvolve [options] [-o COMPONENTS.msp] RUN...\n"
                  "  -o OUT                     components as spectra (msp; .mgf, .json by "
                  "extension)\n"
                  "  --to msp|mgf|json          output format\n",
                  stdout);
            fputs(run_help, stdout);
            return EXIT_OK;
        default:
            fputs("usage: npsmatch deconvolve [options] [-o COMPONENTS.msp] RUN...\n", stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs("usage: npsmatch deconvolve [options] [-o COMPONENTS.msp] RUN...\n", stderr);
        return EXIT_USAGE;
    }
    nps_format fmt;
    if (cli_output_format(&fmt, to, outp)) return EXIT_USAGE;
    nps_ri_ladder *ladder = NULL;
    if (load_ladder(&ladder, &o)) return EXIT_FAIL;
    nps_spectra *all = NULL;
    int status = EXIT_FAIL;
    size_t outside = 0, nr = (size_t)(argc - optind);
    nps_chromatogram **runs = calloc(nr ? nr : 1, sizeof(void *));
    if (!runs || nps_spectra_create(&all)) goto out;
    if (components_of(all, runs, argv + optind, nr, &o, ladder, &outside)) goto out;
    if (outside)
        fprintf(stderr, "npsmatch: %zu components outside the alkane ladder: no RI (flagged)\n",
                outside);
    nps_output *out;
    if (cli_output_begin(&out, outp)) goto out;
    if (cli_output_end(out, nps_io_write(nps_output_stream(out), all, fmt))) goto out;
    status = o.diag_count ? EXIT_SKIPPED : EXIT_OK;
out:
    free_runs(runs, nr);
    nps_spectra_free(all);
    nps_ri_ladder_free(ladder);
    return status;
}

static const char *screen_usage =
    "usage: npsmatch screen [--library LIB] [--alkanes FILE] [--top K] [--format tsv|json|html] "
    "[-o OUT] RUN...\n";

int cmd_screen(int argc, char **argv)
{
    static const struct option lo[] = {{"library", required_argument, 0, 'l'},
                                       {"output", required_argument, 0, 'o'},
                                       {"format", required_argument, 0, 'f'},
                                       {"top", required_argument, 0, 'k'},
                                       {"internal-standard", required_argument, 0, 3001},
                                       {"ri-window", required_argument, 0, 3002},
                                       {"ri-slope", required_argument, 0, 3003},
                                       {"ri-max-penalty", required_argument, 0, 3004},
                                       {"no-ri-penalty", required_argument, 0, 3005},
                                       {"identity-threshold", required_argument, 0, 3006},
                                       {"help", no_argument, 0, 'h'},
                                       RUN_LONG_OPTIONS,
                                       SEARCH_LONG_OPTIONS,
                                       {0, 0, 0, 0}};
    run_opts o;
    run_opts_init(&o);
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    nps_call_options co = NPS_CALL_OPTIONS_INIT;
    nps_ri_options rio = NPS_RI_OPTIONS_INIT;
    so.evalues = 0;
    const char *libpath = NULL, *outp = NULL, *standard = NULL;
    nps_report_format fmt = NPS_REPORT_TSV;
    int format_given = 0, c, idx = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, &idx)) != -1) {
        int r = run_option(&o, c, optarg, idx >= 0 ? lo[idx].name : "");
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        int sr = cli_search_option(&so, c, optarg);
        if (sr < 0) return EXIT_USAGE;
        if (sr > 0) {
            if (c == 'j') o.dec.threads = so.threads;
            continue;
        }
        switch (c) {
        case 'l':
            libpath = optarg;
            break;
        case 'o':
            outp = optarg;
            break;
        case 'f':
            if (!strcmp(optarg, "tsv"))
                fmt = NPS_REPORT_TSV;
            else if (!strcmp(optarg, "json"))
                fmt = NPS_REPORT_JSON;
            else if (!strcmp(optarg, "html"))
                fmt = NPS_REPORT_HTML;
            else {
                fprintf(stderr, "npsmatch: --format: '%s' is not tsv, json or html\n", optarg);
                return EXIT_USAGE;
            }
            format_given = 1;
            break;
        case 'k':
            if (cli_parse_count(&so.top_k, optarg, "--top", 1)) return EXIT_USAGE;
            break;
        case 3001:
            standard = optarg;
            break;
        case 3002:
            if (cli_parse_double(&rio.window, optarg, "--ri-window")) return EXIT_USAGE;
            break;
        case 3003:
            if (cli_parse_double(&rio.slope, optarg, "--ri-slope")) return EXIT_USAGE;
            break;
        case 3004:
            if (cli_parse_double(&rio.max_penalty, optarg, "--ri-max-penalty")) return EXIT_USAGE;
            break;
        case 3005:
            if (cli_parse_double(&rio.no_ri, optarg, "--no-ri-penalty")) return EXIT_USAGE;
            break;
        case 3006:
            if (cli_parse_double(&co.identity_threshold, optarg, "--identity-threshold"))
                return EXIT_USAGE;
            break;
        case 'h':
            fputs(screen_usage, stdout);
            fputs("Deconvolve (GC-MS) or group (LC-MS/MS) every run, search each component\n"
                  "with the search's defaults for its kind, and report one block per\n"
                  "component in retention-time order.\n"
                  "  --library PATH             library (default: the bundled one)\n"
                  "  --top K                    hits per component (10)\n"
                  "  --format tsv|json|html     report format (by -o's extension: .json, .html)\n"
                  "  -o OUT                     write to OUT\n"
                  "  --internal-standard NAME   relative retention times against the component\n"
                  "                             identified as NAME (column rrt)\n"
                  "  --ri-window RI             no RI penalty within this difference (20)\n"
                  "  --ri-slope P               penalty per RI unit beyond the window (0.005)\n"
                  "  --ri-max-penalty P         the largest penalty (0.2)\n"
                  "  --no-ri-penalty P          penalty when the library entry has no RI (0)\n"
                  "  --identity-threshold S     call: plain score for an identification\n"
                  "  --score, --tolerance, ...  as for search\n",
                  stdout);
            fputs(run_help, stdout);
            return EXIT_OK;
        default:
            fputs(screen_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(screen_usage, stderr);
        return EXIT_USAGE;
    }
    if (!format_given && outp) {
        size_t n = strlen(outp);
        if (n > 5 && !strcasecmp(outp + n - 5, ".json")) fmt = NPS_REPORT_JSON;
        if (n > 5 && !strcasecmp(outp + n - 5, ".html")) fmt = NPS_REPORT_HTML;
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
    nps_ri_ladder *ladder = NULL;
    if (load_ladder(&ladder, &o)) return EXIT_FAIL;
    nps_library *lib = NULL;
    nps_spectra *all = NULL;
    nps_hits *hits = NULL;
    int status = EXIT_FAIL;
    size_t outside = 0, nr = (size_t)(argc - optind);
    nps_chromatogram **runs = calloc(nr ? nr : 1, sizeof(void *));
    cli_reader rd = CLI_READER_INIT;
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    if (!runs || nps_spectra_create(&all)) goto out;
    if (cli_load_library(&lib, libpath, &rd, &cfg, NPS_LIBRARY_SEARCH_ONLY)) goto out;
    if (bundled)
        fprintf(stderr,
                "npsmatch: warning: screening against the bundled illustrative library "
                "(%s): not validated reference spectra; use --library for casework\n",
                libpath);
    if (components_of(all, runs, argv + optind, nr, &o, ladder, &outside)) goto out;
    if (outside)
        fprintf(stderr, "npsmatch: %zu components outside the alkane ladder: no RI (flagged)\n",
                outside);
    if (nps_search_run(&hits, lib, all, &so)) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        goto out;
    }
    if (ladder && nps_hits_apply_ri(hits, all, nps_library_spectra(lib), &rio)) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        goto out;
    }
    double std_rt = 0;
    if (standard) {
        size_t q;
        if (nps_hits_find_named(&q, hits, nps_library_spectra(lib), standard)) {
            fprintf(stderr, "npsmatch: --internal-standard: %s\n", nps_error_last());
            goto out;
        }
        const char *v = nps_spectra_get(all, q, NPS_KEY_RETENTION_TIME);
        if (!v || !((std_rt = strtod(v, NULL)) > 0)) {
            fprintf(stderr, "npsmatch: --internal-standard: %s has no retention time\n", standard);
            goto out;
        }
        fprintf(stderr, "internal standard %s: %s at %.4f min\n", standard, nps_spectra_id(all, q),
                std_rt);
    }
    nps_report_options ro = NPS_REPORT_OPTIONS_INIT;
    ro.library_path = libpath;
    ro.search = &so;
    ro.call = &co;
    ro.inputs = (const char *const *)argv + optind;
    ro.n_inputs = nr;
    ro.warning = bundled ? "the library is the bundled illustrative one: its spectra are "
                           "reconstructions for demonstration, not validated reference spectra"
                         : NULL;
    nps_screen_report_options sro = NPS_SCREEN_REPORT_OPTIONS_INIT;
    sro.format = fmt;
    sro.report = &ro;
    sro.ri = ladder ? &rio : NULL;
    sro.standard_rt = std_rt;
    sro.standard = standard;
    sro.chromatograms = (const nps_chromatogram *const *)runs;
    sro.n_chromatograms = nr;
    sro.deconvolution = &o.dec;
    sro.grouping = &o.cons;
    nps_output *out;
    if (cli_output_begin(&out, outp)) goto out;
    if (cli_output_end(out, nps_screen_report_write(nps_output_stream(out), hits, all, lib, &sro)))
        goto out;
    status = o.diag_count ? EXIT_SKIPPED : EXIT_OK;
out:
    free_runs(runs, nr);
    nps_hits_free(hits);
    nps_spectra_free(all);
    nps_library_free(lib);
    nps_ri_ladder_free(ladder);
    return status;
}

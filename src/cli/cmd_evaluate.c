/*
 * npsmatch evaluate: search a reference set whose truth is known and report
 * identification accuracy, score separation, error-rate thresholds,
 * calibration, per-class accuracy and the analogue (leave-compound-out)
 * figures, as JSON and as a self-contained HTML page with SVG plots (ROC,
 * score distributions, calibration) that opens offline.
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *evaluate_help =
    "usage: npsmatch evaluate --library LIB --truth inchikey|name|FIELD [options] QUERY_FILE...\n"
    "  --library PATH         HDF5 library or spectra file\n"
    "  --truth FIELD          what identifies a compound: inchikey (first block), name, or any\n"
    "                         metadata field\n"
    "  --exclude-same FIELD   leave out library spectra sharing FIELD with the query (e.g. the\n"
    "                         laboratory, to measure across laboratories); FIELD:sub reads\n"
    "                         sub=value inside FIELD (Comments:contributor in MassBank MSP)\n"
    "  --leave-compound-out   leave out the query's own compound: how often the nearest\n"
    "                         relative has the right class and mass difference\n"
    "  --decoys               target-decoy search: calibration of q-values\n"
    "  --baseline MODE        evaluate MODE as well and report it side by side (e.g.\n"
    "                         --mode analogue --baseline identity)\n"
    "  --mode M, --score S, --tolerance DA, --tolerance-ppm PPM, --threads N,\n"
    "  --max-shift DA, --shift-candidates N, --shift-min-pairs N   as in search\n"
    "  --input-format F, --ms-level N|all   how QUERY_FILE is read, as in search\n"
    "  -o OUT.json            the summary as JSON (default: standard output)\n"
    "  --html OUT.html        an HTML report with SVG plots\n";

/* ------------------------------------------------------------- SVG plots */

#define W 420
#define H 320
#define M 48

static double px(double x)
{
    return M + x * (W - 2 * M);
}
static double py(double y)
{
    return H - M - y * (H - 2 * M);
}

static void axes(FILE *fp, const char *title, const char *xl, const char *yl)
{
    fprintf(fp,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif' font-size='11'>\n",
            W, H);
    fprintf(fp, "<text x='%d' y='18' font-size='13' font-weight='bold'>%s</text>\n", M, title);
    fprintf(fp, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>\n", M, M,
            W - 2 * M, H - 2 * M);
    for (int t = 0; t <= 4; t++) {
        double v = t / 4.0;
        fprintf(fp, "<text x='%.1f' y='%d' text-anchor='middle'>%.2g</text>\n", px(v), H - M + 14,
                v);
        fprintf(fp, "<text x='%d' y='%.1f' text-anchor='end'>%.2g</text>\n", M - 4, py(v) + 4, v);
    }
    fprintf(fp, "<text x='%d' y='%d' text-anchor='middle'>%s</text>\n", W / 2, H - 10, xl);
    fprintf(fp,
            "<text x='14' y='%d' text-anchor='middle' transform='rotate(-90 14 %d)'>%s</text>\n",
            H / 2, H / 2, yl);
}

/* By decreasing magnitude (the sign carries correct/wrong: scores lie in [0, 1],
 * shifted by 2 so that none is zero). */
static int cmp_abs_desc(const void *a, const void *b)
{
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
    return x > y ? -1 : x < y;
}

static void roc_svg(FILE *fp, const nps_evaluation *e)
{
    axes(fp, "ROC of the top hit's score", "false positive rate (wrong top hits accepted)",
         "true positive rate");
    size_t pos = 0, neg = 0;
    for (size_t k = 0; k < e->n_top; k++) (e->top_correct[k] ? pos++ : neg++);
    fprintf(fp,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#bbb' "
            "stroke-dasharray='4'/>\n",
            px(0), py(0), px(1), py(1));
    if (pos && neg) {
        /* thresholds at every distinct score, highest first: one sweep of the
         * top hits sorted by score (sign-encoded so that one sort keeps both) */
        double *sc = malloc(e->n_top * sizeof *sc);
        if (sc) {
            for (size_t k = 0; k < e->n_top; k++)
                sc[k] = e->top_correct[k] ? e->top_score[k] + 2.0 : -(e->top_score[k] + 2.0);
            qsort(sc, e->n_top, sizeof *sc, cmp_abs_desc);
            fputs("<polyline fill='none' stroke='#1f5fa8' stroke-width='2' points='", fp);
            fprintf(fp, "%.1f,%.1f ", px(0), py(0));
            size_t tp = 0, fpn = 0;
            for (size_t k = 0; k < e->n_top; k++) {
                (sc[k] > 0 ? tp++ : fpn++);
                if (k + 1 < e->n_top && fabs(sc[k + 1]) == fabs(sc[k])) continue;
                fprintf(fp, "%.1f,%.1f ", px((double)fpn / (double)neg),
                        py((double)tp / (double)pos));
            }
            fputs("'/>\n", fp);
        }
        free(sc);
    }
    fprintf(fp, "<text x='%.1f' y='%.1f'>AUC %.3f</text>\n</svg>\n", px(0.55), py(0.1), e->auc);
}

static void hist_svg(FILE *fp, const nps_evaluation *e)
{
    axes(fp, "Top-hit scores", "score", "fraction of top hits");
    enum { B = 20 };
    double hc[B] = {0}, hw[B] = {0}, nc = 0, nw = 0;
    for (size_t k = 0; k < e->n_top; k++) {
        int b = (int)(e->top_score[k] * B);
        if (b >= B) b = B - 1;
        if (b < 0) b = 0;
        if (e->top_correct[k]) {
            hc[b]++;
            nc++;
        } else {
            hw[b]++;
            nw++;
        }
    }
    double top = 0;
    for (int b = 0; b < B; b++) {
        if (nc && hc[b] / nc > top) top = hc[b] / nc;
        if (nw && hw[b] / nw > top) top = hw[b] / nw;
    }
    if (top <= 0) top = 1;
    for (int b = 0; b < B; b++) {
        double x0 = px((double)b / B), bw = (px(1) - px(0)) / B;
        if (nc)
            fprintf(fp,
                    "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#2e8b57' "
                    "fill-opacity='0.6'/>\n",
                    x0, py(hc[b] / nc / top), bw / 2, py(0) - py(hc[b] / nc / top));
        if (nw)
            fprintf(fp,
                    "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#c0392b' "
                    "fill-opacity='0.6'/>\n",
                    x0 + bw / 2, py(hw[b] / nw / top), bw / 2, py(0) - py(hw[b] / nw / top));
    }
    fprintf(fp, "<text x='%.1f' y='%.1f' fill='#2e8b57'>correct (%.0f)</text>\n", px(0.02),
            py(0.95), nc);
    fprintf(fp, "<text x='%.1f' y='%.1f' fill='#c0392b'>wrong (%.0f)</text>\n", px(0.02), py(0.88),
            nw);
    fprintf(fp, "<text x='%d' y='%d'>y: fraction / %.3f</text>\n</svg>\n", W - M - 110, M - 6, top);
}

static void calib_svg(FILE *fp, const nps_evaluation *e)
{
    axes(fp, "Calibration of q-values", "predicted error rate (q-value level)",
         "observed false discovery proportion");
    fprintf(fp,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#bbb' "
            "stroke-dasharray='4'/>\n",
            px(0), py(0), px(1), py(1));
    if (e->calibrated) {
        fputs("<polyline fill='none' stroke='#8e44ad' stroke-width='2' points='", fp);
        for (int l = 0; l < NPS_EVALUATE_CAL_LEVELS; l++)
            if (!isnan(e->cal_observed[l]))
                fprintf(fp, "%.1f,%.1f ", px(e->cal_level[l]), py(e->cal_observed[l]));
        fputs("'/>\n", fp);
        for (int l = 0; l < NPS_EVALUATE_CAL_LEVELS; l++)
            if (!isnan(e->cal_observed[l]))
                fprintf(fp, "<circle cx='%.1f' cy='%.1f' r='3' fill='#8e44ad'/>\n",
                        px(e->cal_level[l]), py(e->cal_observed[l]));
    } else {
        fprintf(fp, "<text x='%.1f' y='%.1f'>run with --decoys</text>\n", px(0.3), py(0.5));
    }
    fputs("</svg>\n", fp);
}

static void html_escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", fp);
        else if (*s == '>')
            fputs("&gt;", fp);
        else if (*s == '&')
            fputs("&amp;", fp);
        else
            fputc(*s, fp);
    }
}

static void write_html(FILE *fp, const nps_evaluation *e, const char *truth, int lco,
                       const char *libpath, int nfiles, char **files, const char *mode,
                       const nps_evaluation *base, const char *base_mode)
{
    fputs("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>npsmatch evaluation</title>"
          "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
          "text-align:right}th{background:#eee}svg{margin:0.5em;border:1px solid #eee}</style>"
          "</head><body>\n<h1>npsmatch evaluation</h1>\n<p>Library: ",
          fp);
    html_escape(fp, libpath);
    fputs("<br>Queries: ", fp);
    for (int i = 0; i < nfiles; i++) {
        if (i) fputs(", ", fp);
        html_escape(fp, files[i]);
    }
    fputs("<br>Truth field: ", fp);
    html_escape(fp, truth);
    fprintf(fp, "%s. Search mode: %s", lco ? " (leave-compound-out)" : "", mode);
    if (base) fprintf(fp, "; baseline: %s", base_mode);
    fprintf(fp, ". npsmatch %s.</p>\n", NPS_VERSION_STRING);
    fprintf(fp, "<table><tr><th>queries</th><th>evaluated</th><th>with a hit</th>");
    if (!lco)
        fprintf(fp,
                "<th>top-1</th><th>top-3</th><th>top-5</th><th>top-10</th><th>MRR</th>"
                "<th>ROC AUC</th><th>threshold / recall at 1 %% FDR</th>"
                "<th>threshold / recall at 5 %% FDR</th></tr>\n<tr><td>%zu</td><td>%zu</td>"
                "<td>%zu</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td>"
                "<td>%.3f</td><td>%.3f / %.3f</td><td>%.3f / %.3f</td></tr></table>\n",
                e->n_queries, e->n_evaluated, e->n_hit, e->top1, e->top3, e->top5, e->top10, e->mrr,
                e->auc, e->threshold_fdr1, e->recall_fdr1, e->threshold_fdr5, e->recall_fdr5);
    else
        fprintf(fp,
                "<th>nearest relative: right class</th><th>right mass difference</th>"
                "<th>voted class right</th><th>analogue calls: right class</th></tr>\n"
                "<tr><td>%zu</td><td>%zu</td><td>%zu</td><td>%.3f (of %zu)</td>"
                "<td>%.3f (of %zu)</td><td>%.3f</td><td>%.3f (of %zu)</td></tr></table>\n",
                e->n_queries, e->n_evaluated, e->n_hit, e->lco_class_right, e->lco_class_n,
                e->lco_delta_right, e->lco_delta_n, e->lco_voted_class_right,
                e->lco_analogue_class_right, e->lco_analogue_calls);
    if (!lco) {
        fputs("<div>\n", fp);
        roc_svg(fp, e);
        hist_svg(fp, e);
        calib_svg(fp, e);
        fputs("</div>\n", fp);
        if (e->calibrated) {
            fputs("<h2>Calibration</h2><table><tr><th>q-value level</th><th>accepted</th>"
                  "<th>observed error rate</th></tr>\n",
                  fp);
            for (int l = 0; l < NPS_EVALUATE_CAL_LEVELS; l++)
                fprintf(fp, "<tr><td>%.2f</td><td>%zu</td><td>%.3f</td></tr>\n", e->cal_level[l],
                        e->cal_accepted[l], e->cal_observed[l]);
            fputs("</table>\n", fp);
        }
    } else {
        fputs("<p>Correct here means: the nearest relative (top hit, the query's own compound "
              "left out) has the query's class.</p>\n<div>\n",
              fp);
        roc_svg(fp, e);
        hist_svg(fp, e);
        fputs("</div>\n<h2>Analogue score thresholds</h2><table><tr><th>class error rate</th>"
              "<th>threshold</th><th>recall</th></tr>\n",
              fp);
        for (int l = 0; l < NPS_EVALUATE_CLASS_LEVELS; l++)
            fprintf(fp, "<tr><td>%.2f</td><td>%.3f</td><td>%.3f</td></tr>\n", e->class_level[l],
                    e->class_threshold[l], e->class_recall[l]);
        fputs("</table>\n<h2>Identity thresholds for absent compounds</h2><p>With its compound "
              "left out, a query whose best plain score reaches the identity threshold would be "
              "called identified, wrongly.</p><table><tr><th>share of absent compounds "
              "falsely identified</th><th>lowest identity threshold</th></tr>\n",
              fp);
        for (int l = 0; l < NPS_EVALUATE_ABSENT_LEVELS; l++)
            fprintf(fp, "<tr><td>%.2f</td><td>%.3f</td></tr>\n", e->absent_level[l],
                    e->absent_threshold[l]);
        fputs("</table>\n", fp);
    }
    if (base) {
        fprintf(fp, "<h2>Baseline: %s</h2><table><tr><th>with a hit</th>", base_mode);
        if (lco)
            fprintf(fp,
                    "<th>nearest relative: right class</th><th>right mass difference</th></tr>\n"
                    "<tr><td>%zu</td><td>%.3f (of %zu)</td><td>%.3f</td></tr></table>\n",
                    base->n_hit, base->lco_class_right, base->lco_class_n, base->lco_delta_right);
        else
            fprintf(fp,
                    "<th>top-1</th><th>top-5</th><th>ROC AUC</th></tr>\n<tr><td>%zu</td>"
                    "<td>%.3f</td><td>%.3f</td><td>%.3f</td></tr></table>\n",
                    base->n_hit, base->top1, base->top5, base->auc);
    }
    if (e->n_classes) {
        fprintf(fp, "<h2>Per class</h2><table><tr><th>class</th><th>queries</th><th>%s: %s</th>",
                mode, lco ? "nearest relative of the class" : "top-1");
        if (base) fprintf(fp, "<th>%s</th>", base_mode);
        fputs("</tr>\n", fp);
        for (size_t j = 0; j < e->n_classes; j++) {
            fputs("<tr><td style='text-align:left'>", fp);
            html_escape(fp, e->class_name[j]);
            fprintf(fp, "</td><td>%zu</td><td>%.3f</td>", e->class_n[j], e->class_top1[j]);
            for (size_t i = 0; base && i < base->n_classes; i++)
                if (strcmp(base->class_name[i], e->class_name[j]) == 0)
                    fprintf(fp, "<td>%.3f</td>", base->class_top1[i]);
            fputs("</tr>\n", fp);
        }
        fputs("</table>\n", fp);
    }
    fputs("</body></html>\n", fp);
}

int cmd_evaluate(int argc, char **argv)
{
    static const struct option lo[] = {{"library", required_argument, 0, 'l'},
                                       {"truth", required_argument, 0, 'u'},
                                       {"exclude-same", required_argument, 0, 'x'},
                                       {"leave-compound-out", no_argument, 0, 'L'},
                                       {"decoys", no_argument, 0, 'D'},
                                       {"baseline", required_argument, 0, 'B'},
                                       SEARCH_LONG_OPTIONS,
                                       {"output", required_argument, 0, 'o'},
                                       {"html", required_argument, 0, 'H'},
                                       {"input-format", required_argument, 0, 'I'},
                                       {"ms-level", required_argument, 0, 'M'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    nps_evaluate_options eo = NPS_EVALUATE_OPTIONS_INIT;
    const char *libpath = NULL, *outp = NULL, *htmlp = NULL, *truth = NULL;
    nps_search_mode base_mode = NPS_MODE_AUTO;
    int with_base = 0;
    cli_reader rd = CLI_READER_INIT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        int sr = cli_search_option(&eo.search, c, optarg);
        if (sr < 0) return EXIT_USAGE;
        if (sr > 0) continue;
        switch (c) {
        case 'l':
            libpath = optarg;
            break;
        case 'I':
            if (cli_parse_input_format(&rd.format, optarg)) return EXIT_USAGE;
            break;
        case 'M':
            if (cli_parse_ms_level(&rd.ms_level, optarg)) return EXIT_USAGE;
            break;
        case 'u':
            truth = optarg;
            break;
        case 'x':
            eo.exclude_same_key = optarg;
            break;
        case 'L':
            eo.leave_compound_out = 1;
            break;
        case 'D':
            eo.decoys = 1;
            break;
        case 'B':
            if (nps_search_mode_parse(&base_mode, optarg)) {
                fprintf(stderr, "npsmatch: --baseline: %s\n", nps_error_last());
                return EXIT_USAGE;
            }
            with_base = 1;
            break;
        case 'o':
            outp = optarg;
            break;
        case 'H':
            htmlp = optarg;
            break;
        case 'h':
            fputs(evaluate_help, stdout);
            return EXIT_OK;
        default:
            fputs(evaluate_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (!libpath || !truth || optind >= argc) {
        fputs(evaluate_help, stderr);
        return EXIT_USAGE;
    }
    eo.truth_key = strcasecmp(truth, "inchikey") == 0 ? NPS_KEY_INCHIKEY
                   : strcasecmp(truth, "name") == 0   ? NPS_KEY_NAME
                                                      : truth;
    nps_library *lib = NULL;
    nps_spectra *q = NULL;
    nps_evaluation *e = NULL, *base = NULL;
    int status = EXIT_FAIL;
    /* the query-format options do not apply to the library */
    cli_reader lrd = CLI_READER_INIT;
    lrd.strict = rd.strict;
    int lrc = cli_load_library(&lib, libpath, &lrd, NULL, NPS_LIBRARY_SEARCH_ONLY);
    rd.skipped += lrd.skipped;
    if (lrc) goto out;
    if (nps_spectra_create(&q) || cli_read_files(q, &rd, argv + optind, argc - optind)) goto out;
    if (nps_evaluate(&e, lib, q, &eo)) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        goto out;
    }
    if (with_base) {
        nps_evaluate_options bo = eo;
        bo.search.mode = base_mode;
        if (nps_evaluate(&base, lib, q, &bo)) {
            fprintf(stderr, "npsmatch: %s\n", nps_error_last());
            goto out;
        }
    }
    const char *mname = nps_search_mode_name(eo.search.mode),
               *bname = nps_search_mode_name(base_mode);
    nps_output *o;
    if (cli_output_begin(&o, outp)) goto out;
    if (cli_output_end(o, nps_evaluation_write_json(nps_output_stream(o), e, &eo, base, base_mode)))
        goto out;
    if (htmlp) {
        if (cli_output_begin(&o, htmlp)) goto out;
        write_html(nps_output_stream(o), e, eo.truth_key, eo.leave_compound_out, libpath,
                   argc - optind, argv + optind, mname, base, bname);
        if (cli_output_end(o, 0)) goto out;
    }
    if (eo.leave_compound_out)
        fprintf(stderr,
                "npsmatch: %zu queries evaluated (leave-compound-out): nearest relative of the "
                "right class %.3f (of %zu with a class), right mass difference %.3f\n",
                e->n_evaluated, e->lco_class_right, e->lco_class_n, e->lco_delta_right);
    else
        fprintf(stderr, "npsmatch: %zu queries evaluated: top-1 %.3f, top-5 %.3f, AUC %.3f\n",
                e->n_evaluated, e->top1, e->top5, e->auc);
    if (base && eo.leave_compound_out)
        fprintf(stderr, "npsmatch: baseline %s: nearest relative of the right class %.3f\n", bname,
                base->lco_class_right);
    else if (base)
        fprintf(stderr, "npsmatch: baseline %s: top-1 %.3f, top-5 %.3f, AUC %.3f\n", bname,
                base->top1, base->top5, base->auc);
    status = rd.skipped ? EXIT_SKIPPED : EXIT_OK;
out:
    nps_evaluation_free(e);
    nps_evaluation_free(base);
    nps_spectra_free(q);
    nps_library_free(lib);
    return status;
}

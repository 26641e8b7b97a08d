/*
 * The case report: one self-contained HTML file per batch, for the analyst
 * who signs the result and for the file it goes into.
 *
 * What a seized-drug report shows for each exhibit (SWGDRUG
 * Recommendations, part III B, "Methods of analysis / documentation"; the
 * ENFSI guideline for the forensic examination of drugs): the conclusion,
 * the library hits it rests on with their match factors, and the spectra
 * themselves, unknown over reference, so that a reviewer can see which ions
 * agree. So, per query: the call (report.c's rule, nps_hits_call); the hit
 * table (score, NIST MF and RMF for EI, the reverse match factor, the
 * probability, class, mass differences); and a head-to-tail mirror plot of
 * the query against each of its top hits, drawn as inline SVG: the query
 * up, the library spectrum down, both scaled to their base peak, peaks with
 * a partner within the search tolerance in colour (through the hit's mass
 * shift, for analogue hits, in a second colour), the others grey, the
 * largest peaks labelled. Once per batch: the provenance (npsmatch version,
 * library file and the checksum verified when it was opened, every search
 * and call parameter: the JSON report's run object, verbatim) and the date.
 *
 * Self-contained: no script, no external style sheet, font or image, so the
 * file opens the same in ten years and on an air-gapped workstation; a print
 * style sheet keeps each query on its own page when printed to PDF.
 * Accessible: every plot is an <svg role="img"> with a <title> and a <desc>
 * that says in words what it shows; tables have captions and header scopes.
 *
 * The peaks drawn are the query as read and the library spectrum as the
 * library holds it; "matched" is the tolerance rule every score uses (a
 * peak with a partner within the tolerance), not a re-derivation of the
 * score, which the table states exactly.
 */
#include "report.h"

#include "../scoring/scoring.h"
#include "../search/plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the mirror plots a query gets: its first hits */
#define HTML_PLOTS 3
/* peaks labelled with their m/z on each side of a plot */
#define HTML_LABELS 5

/* Text as HTML: the five characters with a meaning escaped, control
 * characters as spaces, and bytes that are not UTF-8 read as Latin-1 (what
 * they almost always are in spectra files; core/json.c does the same). */
static void esc(FILE *fp, const char *s)
{
    static const char *const entity[128] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;"};
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; u && u[i];) {
        unsigned char c = u[i];
        size_t k = c < 0x80 ? 1 : nps_utf8_len(u + i);
        if (c >= 0x80) {
            if (k)
                fwrite(u + i, 1, k, fp);
            else
                fprintf(fp, "&#x%02X;", c);
            i += k ? k : 1;
            continue;
        }
        if (entity[c])
            fputs(entity[c], fp);
        else
            fputc(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c, fp);
        i++;
    }
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;color:#111;margin:2em auto;max-width:66em;"
    "padding:0 1em}\n"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:2px 6px;"
    "text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "caption{text-align:left;font-weight:bold;padding:.2em 0}\n"
    ".call{font-size:1.1em;padding:.4em .6em;border-left:5px solid #888;background:#f4f4f4}\n"
    ".call.identified{border-color:#1a7f37}.call.mixture{border-color:#1f5fa8}\n"
    ".call.ambiguous{border-color:#b35900}.call.analogue{border-color:#8250df}\n"
    "figure{margin:.8em 0}figcaption{font-size:.9em;color:#333}\n"
    "svg{max-width:100%;height:auto}pre{white-space:pre-wrap;font-size:.8em;background:#f7f7f7;"
    "padding:.5em}\n"
    ".notice{border:1px solid #b35900;padding:.4em .6em}"
    ".warning{background:#fff4e5;border-width:2px}\n"
    "@media print{body{margin:0;max-width:none}section.query{break-before:page}"
    "figure,table{break-inside:avoid}}\n";

/* Whether m/z x has a peak of (mz, n) within the score's tolerance (mz
 * ascending). */
static int has_partner(const double *mz, size_t n, double x, const nps_score_options *o)
{
    double t = nps_tol_at(o, x);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mz[mid] < x - t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && mz[lo] <= x + t;
}

typedef struct {
    const double *mz;
    const float *in;
    size_t n;
    double base; /* the largest intensity */
} side;

static side side_of(const nps_spectra *s, size_t i)
{
    side d = {NULL, NULL, 0, 0};
    nps_spectra_peaks(s, i, &d.mz, &d.in, &d.n);
    for (size_t k = 0; k < d.n; k++)
        if (d.in[k] > d.base) d.base = d.in[k];
    return d;
}

/* Whether peak k of a is matched to b: 1 directly, 2 through the shift
 * delta (a - b), 0 not. */
static int match_kind(const side *a, size_t k, const side *b, double delta,
                      const nps_score_options *o)
{
    if (has_partner(b->mz, b->n, a->mz[k], o)) return 1;
    if (isfinite(delta) && delta != 0 && has_partner(b->mz, b->n, a->mz[k] - delta, o)) return 2;
    return 0;
}

/* The HTML_LABELS largest peaks of a side (indices, at most n). */
static size_t largest(size_t *out, const side *d)
{
    size_t n = 0;
    for (size_t k = 0; k < d->n; k++) {
        size_t j;
        if (!(d->in[k] > 0)) continue;
        if (n < HTML_LABELS)
            j = n++;
        else if (d->in[k] > d->in[out[HTML_LABELS - 1]])
            j = HTML_LABELS - 1;
        else
            continue;
        out[j] = k;
        for (; j > 0 && d->in[out[j]] > d->in[out[j - 1]]; j--) {
            size_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    }
    return n;
}

/* One side of a mirror plot: peaks as vertical lines from the axis, up
 * (dir -1) or down (dir +1); delta is this side's m/z minus the other's
 * (match_kind). */
static void draw_side(FILE *fp, const side *a, const side *b, double delta,
                      const nps_score_options *o, double x0, double x1, double lo, double hi,
                      double axis, double height, int dir)
{
    static const char *const colour[] = {"#9a9a9a", "#1f5fa8", "#c0392b"};
    double w = x1 - x0, span = hi > lo ? hi - lo : 1;
    for (int pass = 0; pass < 3; pass++) /* grey first, so that colour is on top */
        for (size_t k = 0; k < a->n; k++) {
            if (!(a->in[k] > 0) || a->base <= 0) continue;
            int m = match_kind(a, k, b, delta, o);
            if (m != pass) continue;
            double x = x0 + w * (a->mz[k] - lo) / span, y = height * a->in[k] / a->base;
            fprintf(fp,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"1.5\"/>",
                    x, axis, x, axis + dir * y, colour[m]);
        }
    /* unit-mass tolerances label integers, finer ones four decimals */
    int decimals = !o->tolerance_ppm && o->tolerance >= 0.3 ? 0 : 4;
    size_t top[HTML_LABELS], nt = largest(top, a);
    for (size_t i = 0; i < nt; i++) {
        size_t k = top[i];
        double x = x0 + w * (a->mz[k] - lo) / span, y = height * a->in[k] / a->base;
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%.*f</text>",
                x, axis + dir * (y + 3) + (dir > 0 ? 8 : 0), decimals, a->mz[k]);
    }
}

/* The mirror plot of query q against library spectrum r (hit x). */
static void mirror(FILE *fp, const nps_spectra *Q, size_t q, const nps_spectra *L, const nps_hit *x,
                   const nps_search_options *so, const char *id)
{
    side a = side_of(Q, q), b = side_of(L, x->reference);
    /* the tolerance as the search applied it (the kind's default unless set) */
    nps_search_options sdef = NPS_SEARCH_OPTIONS_INIT;
    nps_score_options o;
    nps_plan_score_options(&o, so ? so : &sdef, x->score_type, nps_spectra_kind(Q, q));
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < a.n; k++) lo = fmin(lo, a.mz[k]), hi = fmax(hi, a.mz[k]);
    for (size_t k = 0; k < b.n; k++) lo = fmin(lo, b.mz[k]), hi = fmax(hi, b.mz[k]);
    if (!isfinite(lo)) lo = 0, hi = 100;
    double pad = fmax(5, 0.03 * (hi - lo));
    lo = fmax(0, floor((lo - pad) / 10) * 10);
    hi = ceil((hi + pad) / 10) * 10;
    const double W = 720, H = 320, x0 = 50, x1 = W - 15, axis = 160, height = 130;
    const char *qn = nps_spectra_name(Q, q), *ln = nps_spectra_name(L, x->reference);
    if (!*qn) qn = nps_spectra_id(Q, q);
    if (!*ln) ln = nps_spectra_id(L, x->reference);
    fprintf(fp,
            "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
            "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-labelledby=\"%s-t %s-d\">"
            "<title id=\"%s-t\">Mirror plot: ",
            W, H, W, H, id, id, id);
    esc(fp, qn);
    fputs(" (up) against ", fp);
    esc(fp, ln);
    fputs(" (down)</title>", fp);
    /* the description says how many peaks agree: count them first */
    size_t qm = 0, lm = 0;
    for (size_t k = 0; k < a.n; k++) qm += a.in[k] > 0 && match_kind(&a, k, &b, x->delta_mz, &o);
    for (size_t k = 0; k < b.n; k++) lm += b.in[k] > 0 && match_kind(&b, k, &a, -x->delta_mz, &o);
    fprintf(fp,
            "<desc id=\"%s-d\">Head-to-tail plot, m/z %.0f to %.0f. Query: %zu peaks, %zu with a "
            "library peak within %g %s%s. Library spectrum: %zu peaks, %zu with a query peak. "
            "Matched peaks blue%s, others grey; each side scaled to its base peak.</desc>",
            id, lo, hi, a.n, qm, o.tolerance, o.tolerance_ppm ? "ppm" : "Da",
            isfinite(x->delta_mz) && x->delta_mz != 0 ? " (directly or through the mass shift)"
                                                      : "",
            b.n, lm, isfinite(x->delta_mz) && x->delta_mz != 0 ? ", through the shift red" : "");
    /* axes: the m/z axis in the middle, ticks every step */
    fprintf(fp, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#000\"/>", x0, axis,
            x1, axis);
    double span = hi - lo, step = span > 3000  ? 500
                                  : span > 600 ? 100
                                  : span > 250 ? 50
                                  : span > 100 ? 20
                                               : 10;
    for (long i = (long)ceil(lo / step); (double)i * step <= hi; i++) {
        double t = (double)i * step, xt = x0 + (x1 - x0) * (t - lo) / span;
        fprintf(fp,
                "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#000\"/>"
                "<text x=\"%.1f\" y=\"%.0f\" font-size=\"9\" text-anchor=\"middle\" "
                "fill=\"#555\">%.0f</text>",
                xt, axis, xt, axis + 4, xt, H - 4, t);
    }
    fprintf(fp,
            "<text x=\"4\" y=\"20\" font-size=\"11\">query</text>"
            "<text x=\"4\" y=\"%.0f\" font-size=\"11\">library</text>"
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">m/z"
            "</text>",
            H - 20, x1, H - 4);
    draw_side(fp, &a, &b, x->delta_mz, &o, x0, x1, lo, hi, axis, height, -1);
    draw_side(fp, &b, &a, -x->delta_mz, &o, x0, x1, lo, hi, axis, height, +1);
    fputs("</svg><figcaption>", fp);
    esc(fp, qn);
    fputs(" (up) against ", fp);
    esc(fp, ln);
    fprintf(fp, " (%s, down): %zu of %zu query peaks matched.</figcaption></figure>\n",
            nps_spectra_id(L, x->reference), qm, a.n);
}

static void num_cell(FILE *fp, int decimals, double v)
{
    if (isfinite(v))
        fprintf(fp, "<td class=\"n\">%.*f</td>", decimals, v);
    else
        fputs("<td></td>", fp);
}

static void hit_table(FILE *fp, const nps_hits *h, size_t first, size_t n, const nps_spectra *Q,
                      const nps_spectra *L, const nps_call_options *co)
{
    int ei = 0;
    for (size_t k = 0; k < n; k++) ei |= !isnan(nps_hits_at(h, first + k)->composite);
    const nps_hit *h0 = nps_hits_at(h, first);
    fprintf(fp,
            "<table><caption>Library hits (%s search)</caption><thead><tr>"
            "<th scope=\"col\">rank</th><th scope=\"col\">library spectrum</th>"
            "<th scope=\"col\">score (%s)</th>",
            nps_search_mode_name(h0->mode), nps_score_name(h0->score_type));
    if (ei) fputs("<th scope=\"col\">MF</th><th scope=\"col\">RMF</th>", fp);
    fputs("<th scope=\"col\">reverse</th><th scope=\"col\">probability</th>"
          "<th scope=\"col\">matched peaks</th><th scope=\"col\">class</th>"
          "<th scope=\"col\">&Delta; m/z</th></tr></thead><tbody>",
          fp);
    for (size_t k = 0; k < n; k++) {
        nps_hit_row r;
        nps_hit_row_fill(&r, h, first + k, Q, L, co);
        const nps_hit *x = r.hit;
        fprintf(fp, "<tr><td class=\"n\">%zu</td><td>", x->rank);
        esc(fp, *r.library_name ? r.library_name : r.library_id);
        fputs(" <small>(", fp);
        esc(fp, r.library_id);
        fprintf(fp, ")</small></td><td class=\"n\">%.3f</td>", x->score);
        if (ei) {
            if (r.composite_mf >= 0)
                fprintf(fp, "<td class=\"n\">%d</td><td class=\"n\">%d</td>", r.composite_mf,
                        r.composite_rmf);
            else
                fputs("<td></td><td></td>", fp);
        }
        num_cell(fp, 3, x->rmf);
        num_cell(fp, 3, x->probability);
        fprintf(fp, "<td class=\"n\">%zu</td><td>", x->matched);
        esc(fp, r.library_class);
        fputs("</td>", fp);
        double d = isfinite(x->delta_mz) ? x->delta_mz : -r.precursor_delta;
        num_cell(fp, 4, d);
        fputs("</tr>", fp);
    }
    fputs("</tbody></table>\n", fp);
}

static void query_section(FILE *fp, const nps_hits *h, size_t qi, const nps_spectra *Q,
                          const nps_spectra *L, const nps_call_options *co,
                          const nps_search_options *so)
{
    const char *qid = nps_spectra_id(Q, qi), *qn = nps_spectra_name(Q, qi);
    fprintf(fp, "<section class=\"query\" id=\"q%zu\"><h2>", qi + 1);
    esc(fp, qid);
    if (*qn && strcmp(qn, qid) != 0) {
        fputs(" &mdash; ", fp);
        esc(fp, qn);
    }
    fputs("</h2>\n", fp);
    size_t first, n;
    nps_hits_for_query(h, qi, &first, &n);
    nps_call call;
    char text[512] = "no hit";
    const char *status = "none";
    if (nps_hits_call(&call, h, qi, L, co) == 0) {
        if (n) nps_call_describe(text, sizeof text, &call, h, L);
        status = nps_call_status_name(call.status);
    }
    fprintf(fp, "<p class=\"call %s\"><strong>", status);
    esc(fp, text);
    fputs("</strong></p>\n", fp);
    if (!n) {
        fputs("<p>No library spectrum scored above the search's minimum.</p></section>\n", fp);
        return;
    }
    hit_table(fp, h, first, n, Q, L, co);
    for (size_t k = 0; k < n && k < HTML_PLOTS; k++) {
        char id[48];
        snprintf(id, sizeof id, "q%zu-h%zu", qi + 1, k + 1);
        mirror(fp, Q, qi, L, nps_hits_at(h, first + k), so, id);
    }
    fputs("</section>\n", fp);
}

/* A run's total ion current as an SVG line, the components found in it
 * marked at their retention times and linked to their sections: what a
 * chemist looks at first (is every peak accounted for?). The trace is
 * reduced to at most TIC_BINS points, each the largest of its scans, so
 * that no peak disappears from the picture. */
#define TIC_BINS 1200
static void tic_section(FILE *fp, const nps_chromatogram *ch, const nps_spectra *Q, size_t idx)
{
    size_t n = ch->n;
    if (!n) return;
    const double *tic = ch->tic;
    const char *run_name = ch->run;
    double t0 = ch->time[0], t1 = ch->time[n - 1], top = 0;
    if (!(t1 > t0)) t1 = t0 + 1;
    double bx[TIC_BINS], by[TIC_BINS];
    size_t nb = 0;
    for (size_t b = 0; b < TIC_BINS; b++) {
        bx[b] = NAN;
        by[b] = -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(tic[i])) continue;
        size_t b = (size_t)((ch->time[i] - t0) / (t1 - t0) * (TIC_BINS - 1));
        if (b >= TIC_BINS) b = TIC_BINS - 1;
        if (tic[i] > by[b]) {
            by[b] = tic[i];
            bx[b] = ch->time[i];
        }
        if (tic[i] > top) top = tic[i];
    }
    if (!(top > 0)) top = 1;
    const double W = 900, H = 220, L = 50, B = 30, T = 30;
    const char *base = strrchr(run_name, '/');
    base = base ? base + 1 : run_name;
    fprintf(fp,
            "<figure class=\"tic\"><svg viewBox=\"0 0 960 290\" role=\"img\" "
            "aria-labelledby=\"tic%zu\"><title id=\"tic%zu\">Total ion chromatogram of ",
            idx + 1, idx + 1);
    esc(fp, base);
    fputs("</title><desc>", fp);
    size_t marked = 0;
    for (size_t q = 0; q < nps_spectra_count(Q); q++) {
        const char *r = nps_spectra_get(Q, q, "Run");
        if (r && strcmp(r, run_name) == 0) marked++;
    }
    fprintf(fp, "%zu scans from %.3f to %.3f min; %zu components marked</desc>", n, t0, t1, marked);
    fprintf(fp, "<polyline fill=\"none\" stroke=\"#333\" stroke-width=\"1\" points=\"");
    for (size_t b = 0; b < TIC_BINS; b++) {
        if (by[b] < 0) continue;
        fprintf(fp, "%.1f,%.1f ", L + (bx[b] - t0) / (t1 - t0) * W, T + H - by[b] / top * H);
        nb++;
    }
    fputs("\"/>", fp);
    fprintf(fp, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>", L, T + H,
            L + W, T + H);
    for (int k = 0; k <= 5; k++) {
        double t = t0 + (t1 - t0) * k / 5.0;
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">%.2f"
                "</text>",
                L + W * k / 5.0, T + H + B - 12, t);
    }
    fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">min</text>",
            L + W, T + H + B + 2);
    for (size_t q = 0; q < nps_spectra_count(Q); q++) {
        const char *r = nps_spectra_get(Q, q, "Run");
        const char *v = nps_spectra_get(Q, q, NPS_KEY_RETENTION_TIME);
        double rt;
        if (!r || strcmp(r, run_name) != 0 || !v || nps_parse_double(&rt, v)) continue;
        double x = L + (rt - t0) / (t1 - t0) * W;
        fprintf(fp,
                "<a href=\"#q%zu\"><line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
                "stroke=\"#1f5fa8\" stroke-dasharray=\"2,2\"/><text x=\"%.1f\" y=\"%.0f\" "
                "font-size=\"10\" fill=\"#1f5fa8\" text-anchor=\"middle\">%zu</text></a>",
                q + 1, x, T, x, T + H, x, T - 4, q + 1);
    }
    fputs("</svg><figcaption>Total ion chromatogram of ", fp);
    esc(fp, base);
    fputs(" (largest scan per pixel); the numbered lines are the components below.</figcaption>"
          "</figure>\n",
          fp);
    (void)nb;
}

/* The report's date: SOURCE_DATE_EPOCH when set (reproducible builds of a
 * report), else now; UTC. */
static void report_date(char *out, size_t n)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    time_t t = e && *e ? (time_t)strtoll(e, NULL, 10) : time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, n, "unknown");
}

int nps_report_html(FILE *fp, const nps_hits *h, const nps_spectra *Q, const nps_library *lib,
                    const json_t *run, const nps_call_options *co, const nps_search_options *so,
                    const char *warning, const nps_chromatogram *const *runs, size_t n_runs)
{
    const nps_spectra *L = nps_library_spectra(lib);
    char date[64];
    report_date(date, sizeof date);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<meta name=\"generator\" content=\"npsmatch " NPS_VERSION_STRING "\">"
          "<title>npsmatch case report</title><style>\n",
          fp);
    fputs(style, fp);
    fputs("</style></head><body>\n<header><h1>npsmatch case report</h1>\n<p>", fp);
    size_t nq = nps_spectra_count(Q), identified = 0, mixtures = 0, ambiguous = 0, analogues = 0;
    for (size_t qi = 0; qi < nq; qi++) {
        nps_call c;
        if (nps_hits_call(&c, h, qi, L, co)) continue;
        identified += c.status == NPS_CALL_IDENTIFIED;
        mixtures += c.status == NPS_CALL_MIXTURE;
        ambiguous += c.status == NPS_CALL_AMBIGUOUS;
        analogues += c.status == NPS_CALL_ANALOGUE;
    }
    fprintf(fp,
            "%zu quer%s: identified %zu, mixture %zu, ambiguous %zu, possible new analogue "
            "%zu, no call %zu. Generated %s by npsmatch " NPS_VERSION_STRING ".</p>\n",
            nq, nq == 1 ? "y" : "ies", identified, mixtures, ambiguous, analogues,
            nq - identified - mixtures - ambiguous - analogues, date);
    if (warning && *warning) {
        fputs("<p class=\"notice warning\" role=\"alert\"><strong>Warning:</strong> ", fp);
        esc(fp, warning);
        fputs("</p>\n", fp);
    }
    fputs("<p class=\"notice\">Library matches are evidence for, not proof of, an "
          "identification: confirm against certified reference material analysed under the "
          "same conditions.</p>\n",
          fp);
    /* provenance: the library and its checksum first, then everything */
    const json_t *jl = json_object_get(run, "library");
    const char *path = json_string_value(json_object_get(jl, "path"));
    const char *ck = json_string_value(json_object_get(jl, "checksum"));
    fputs("<section id=\"provenance\"><h2>Provenance</h2><dl><dt>library</dt><dd>", fp);
    esc(fp, path && *path ? path : "(unnamed)");
    fprintf(fp, ", %lld spectra</dd><dt>library checksum</dt><dd>",
            (long long)json_integer_value(json_object_get(jl, "spectra")));
    esc(fp, ck ? ck : "not verified (library built in memory)");
    fputs("</dd><dt>every parameter</dt><dd><a href=\"#parameters\">at the end of the report"
          "</a></dd></dl></section>\n",
          fp);
    /* the calls at a glance, each linked to its query's section */
    fputs("<section id=\"summary\"><h2>Calls</h2><table><caption>One row per query</caption>"
          "<thead><tr><th scope=\"col\">query</th><th scope=\"col\">call</th>"
          "<th scope=\"col\">probability</th></tr></thead><tbody>",
          fp);
    for (size_t qi = 0; qi < nq; qi++) {
        nps_call c;
        char text[512] = "no hit";
        double prob = NAN;
        size_t first, n;
        nps_hits_for_query(h, qi, &first, &n);
        if (n && nps_hits_call(&c, h, qi, L, co) == 0) {
            nps_call_describe(text, sizeof text, &c, h, L);
            if (c.status == NPS_CALL_IDENTIFIED) prob = c.components[0].probability;
        }
        fprintf(fp, "<tr><td><a href=\"#q%zu\">", qi + 1);
        esc(fp, nps_spectra_id(Q, qi));
        fputs("</a></td><td>", fp);
        esc(fp, text);
        fputs("</td>", fp);
        num_cell(fp, 3, prob);
        fputs("</tr>", fp);
    }
    fputs("</tbody></table></section></header>\n<main>\n", fp);
    if (n_runs) {
        fputs("<section id=\"chromatograms\"><h2>Chromatograms</h2>\n", fp);
        for (size_t r = 0; r < n_runs; r++) tic_section(fp, runs[r], Q, r);
        fputs("</section>\n", fp);
    }
    for (size_t qi = 0; qi < nq && !ferror(fp); qi++) query_section(fp, h, qi, Q, L, co, so);
    /* not in a <details>: a closed one would not print, and the record
     * needs every parameter */
    fputs("</main>\n<section id=\"parameters\"><h2>Every parameter (the JSON report's run "
          "object)</h2><pre>",
          fp);
    char *js = json_dumps(run, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    esc(fp, js ? js : "");
    free(js);
    fputs("</pre></section></body></html>\n", fp);
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

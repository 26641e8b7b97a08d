/*
 * Calls: what a lab reports for one unknown, from its ranked hits.
 *
 *  - identified: some hit's plain score (identity_score in the analogue
 *    modes, the score itself otherwise) reaches the identity threshold; the
 *    best such hit is the identification;
 *  - possible new analogue: no identification, and the top analogue score
 *    reaches the analogue threshold; the call names the nearest relative
 *    (the top hit), the mass difference and its interpretation
 *    (massshift.c); a difference within the tolerance is reported as a
 *    possible isomer; otherwise the difference must be borne out by at least
 *    min_shifted shifted peak pairs (a single one is as likely a coincidence,
 *    or a second compound in a mixture);
 *  - otherwise nothing.
 * The class is voted by the top class_hits hits that carry a Class field,
 * each weighing its score; the support is the winner's share of the votes.
 * Thresholds are parameters: `npsmatch evaluate` measures what error rate a
 * threshold gives on a reference set.
 */
#include "../core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int nps_hits_call(nps_call *out, const nps_hits *h, size_t query, const nps_spectra *lib,
                  const nps_call_options *o)
{
    nps_call_options def = NPS_CALL_OPTIONS_INIT;
    if (!o) o = &def;
    if (o->version != NPS_CALL_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_call_options version %d not supported", o->version);
    memset(out, 0, sizeof *out);
    out->query = query;
    out->hit = SIZE_MAX;
    out->delta_mz = NAN;
    size_t first, n;
    nps_hits_for_query(h, query, &first, &n);
    if (n == 0) return 0;
    /* class vote */
    const char *names[64];
    double votes[64], total = 0;
    size_t nv = 0;
    for (size_t k = 0; k < n && k < o->class_hits; k++) {
        const nps_hit *x = nps_hits_at(h, first + k);
        const char *cl = nps_spectra_get(lib, x->reference, NPS_KEY_CLASS);
        if (!cl || !*cl || !(x->score > 0)) continue;
        size_t j = 0;
        while (j < nv && !nps_strcaseeq(names[j], cl)) j++;
        if (j == nv) {
            if (nv == 64) continue;
            names[nv] = cl;
            votes[nv++] = 0;
        }
        votes[j] += x->score;
        total += x->score;
    }
    size_t best = 0;
    for (size_t j = 1; j < nv; j++)
        if (votes[j] > votes[best]) best = j;
    if (nv) {
        snprintf(out->class_name, sizeof out->class_name, "%s", names[best]);
        out->class_support = total > 0 ? votes[best] / total : 0;
    }
    /* identification: the best plain score */
    double bid = -1;
    for (size_t k = 0; k < n; k++) {
        const nps_hit *x = nps_hits_at(h, first + k);
        double id = isnan(x->identity_score) ? x->score : x->identity_score;
        if (id >= o->identity_threshold && id > bid) {
            bid = id;
            out->hit = first + k;
        }
    }
    if (out->hit != SIZE_MAX) {
        out->status = NPS_CALL_IDENTIFIED;
        return 0;
    }
    const nps_hit *top = nps_hits_at(h, first);
    if (isnan(top->delta_mz) || top->score < o->analogue_threshold) return 0;
    int nominal0 = top->mode == NPS_MODE_SHIFT;
    int isomer = fabs(top->delta_mz) <= (nominal0 ? 0.5 : o->shift_tolerance);
    if (!isomer && top->shifted < o->min_shifted) return 0;
    out->status = NPS_CALL_ANALOGUE;
    out->hit = first;
    out->delta_mz = top->delta_mz;
    int nominal = top->mode == NPS_MODE_SHIFT;
    double tol = nominal ? 0.5 : o->shift_tolerance;
    if (fabs(top->delta_mz) <= tol)
        snprintf(out->interpretation, sizeof out->interpretation, "same %s mass: a possible isomer",
                 nominal ? "nominal" : "precursor");
    else
        nps_mass_shift_describe(out->interpretation, sizeof out->interpretation, top->delta_mz, tol,
                                nominal);
    return 0;
}

void nps_call_describe(char *buf, size_t n, const nps_call *c, const nps_hits *h,
                       const nps_spectra *lib)
{
    if (c->status == NPS_CALL_NONE || c->hit == SIZE_MAX) {
        /* the best plain score, so the reader sees how far it was */
        const nps_hit *b = NULL;
        for (size_t k = 0; k < nps_hits_count(h); k++) {
            const nps_hit *x = nps_hits_at(h, k);
            if (x->query != c->query) continue;
            double id = isnan(x->identity_score) ? x->score : x->identity_score;
            double bid = b ? (isnan(b->identity_score) ? b->score : b->identity_score) : -1;
            if (id > bid) b = x;
        }
        char best[300] = "";
        if (b) {
            const char *nm = nps_spectra_name(lib, b->reference);
            snprintf(best, sizeof best, " (best: %.200s, %.3f)",
                     *nm ? nm : nps_spectra_id(lib, b->reference),
                     isnan(b->identity_score) ? b->score : b->identity_score);
        }
        snprintf(buf, n, "no identification%s%s%s", best, c->class_name[0] ? "; class votes: " : "",
                 c->class_name);
        return;
    }
    const nps_hit *x = nps_hits_at(h, c->hit);
    const char *name = nps_spectra_name(lib, x->reference);
    if (!*name) name = nps_spectra_id(lib, x->reference);
    if (c->status == NPS_CALL_IDENTIFIED) {
        double id = isnan(x->identity_score) ? x->score : x->identity_score;
        snprintf(buf, n, "identified: %s (score %.3f)", name, id);
        return;
    }
    int nominal = x->mode == NPS_MODE_SHIFT;
    snprintf(buf, n, "possible new analogue: %s (support %.2f), nearest %s, dM %+.*f%s%s%s",
             c->class_name[0] ? c->class_name : "class unknown", c->class_support, name,
             nominal ? 0 : 4, c->delta_mz, c->interpretation[0] ? " (" : "", c->interpretation,
             c->interpretation[0] ? ")" : "");
}

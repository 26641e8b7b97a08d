/*
 * Calls: what a lab reports for one unknown, from its ranked hits.
 *
 *  - mixture: the query's mixture analysis (src/search/mixture.c) found two
 *    or three compounds that together explain it; the call names them with
 *    their shares of the ion current;
 *  - ambiguous: an identification, but another compound (InChIKey first
 *    block, else name) scores within a measured margin of it: the call names
 *    every such compound, and says so when they share one formula
 *    (positional isomers, which EI spectra often cannot tell apart);
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
 * threshold gives on a reference set, and the defaults below are such
 * measurements.
 */
#include "../core/internal.h"
#include "../search/plan.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Default thresholds per kind (EI, MS/MS) and score (entropy, entropy-
 * unweighted, cosine, composite), rounded up to 0.01, from leave-compound-out
 * runs of `npsmatch evaluate` / `npsbench families[-ei]` (bench/RESULTS.md
 * section 6, 2026-11-28):
 *  - identity: the lowest score at most 10 % of absent compounds reach
 *    (forensic MS/MS subset, identity mode: 0.759, 0.849, 0.865, 0.730;
 *    MassBank EI, open: 0.950, 0.954, 0.961, 0.877; the composite as NIST's
 *    identity MF since 2026-12-03: 0.8897, bench/RESULTS.md section 15). For
 *    the entropy score on
 *    MS/MS this is also the 0.75 that Li et al. (Nat. Methods 2021) give;
 *    for the EI composite it sits where NIST's "good" (800-900) meets
 *    "excellent".
 *  - analogue: the lowest top analogue score at which at most 30 % of the
 *    nearest relatives have the wrong class (forensic MS/MS, hybrid: 0.442,
 *    0.597, 0.609, 0.553; MassBank + bundled EI, shift: 0.867, 0.889, 0.940,
 *    0.925). A stricter 20 % is reached only by the entropy score (MS/MS
 *    0.683, EI 0.894) and the EI composite (0.962). */
static const double default_identity[NPS_KIND_COUNT][NPS_SCORE_COUNT] = {
    [NPS_KIND_EI] = {[NPS_SCORE_ENTROPY] = 0.95,
                     [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.96,
                     [NPS_SCORE_COSINE] = 0.97,
                     [NPS_SCORE_COMPOSITE] = 0.89},
    [NPS_KIND_MSMS] = {[NPS_SCORE_ENTROPY] = 0.76,
                       [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.85,
                       [NPS_SCORE_COSINE] = 0.87,
                       [NPS_SCORE_COMPOSITE] = 0.73},
};
static const double default_analogue[NPS_KIND_COUNT][NPS_SCORE_COUNT] = {
    [NPS_KIND_EI] = {[NPS_SCORE_ENTROPY] = 0.87,
                     [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.89,
                     [NPS_SCORE_COSINE] = 0.94,
                     [NPS_SCORE_COMPOSITE] = 0.93},
    [NPS_KIND_MSMS] = {[NPS_SCORE_ENTROPY] = 0.45,
                       [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.60,
                       [NPS_SCORE_COSINE] = 0.61,
                       [NPS_SCORE_COMPOSITE] = 0.56},
};

void nps_call_default_thresholds(nps_kind kind, nps_score_type score, double *identity,
                                 double *analogue)
{
    assert(kind == NPS_KIND_EI || kind == NPS_KIND_MSMS);
    if (score == NPS_SCORE_AUTO) score = nps_search_default_score(kind);
    assert(score >= 0 && score < NPS_SCORE_COUNT);
    if (identity) *identity = default_identity[kind][score];
    if (analogue) *analogue = default_analogue[kind][score];
}

/* A hit's thresholds: the options', else the defaults for its kind and score. */
static void thresholds(const nps_hit *x, const nps_spectra *lib, const nps_call_options *o,
                       double *identity, double *analogue)
{
    nps_call_default_thresholds(nps_spectra_kind(lib, x->reference), x->score_type, identity,
                                analogue);
    if (o->identity_threshold >= 0) *identity = o->identity_threshold;
    if (o->analogue_threshold >= 0) *analogue = o->analogue_threshold;
}

/* Default ambiguity margins per kind and score: an identification is
 * ambiguous when another compound's plain score is within this of the best.
 * Measured for the default scores (bench/RESULTS.md section 16, `npsbench
 * ambiguity`: cross-laboratory queries with their compound present, and left
 * out): at 0.05, EI composite identifications of absent compounds 7.2 ->
 * 4.9 %, wrong identifications of present ones 3.8 -> 1.2 %, useful answers
 * (the right compound identified, or among the candidates) 41.0 -> 43.4 %;
 * MS/MS entropy 5.0 % absent (unchanged), useful 54.6 -> 55.0 %. Wider
 * margins change little more and name more candidates. The other scores
 * use the same margin, not measured. */
static const double default_margin[NPS_KIND_COUNT][NPS_SCORE_COUNT] = {
    [NPS_KIND_EI] = {[NPS_SCORE_ENTROPY] = 0.05,
                     [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.05,
                     [NPS_SCORE_COSINE] = 0.05,
                     [NPS_SCORE_COMPOSITE] = 0.05},
    [NPS_KIND_MSMS] = {[NPS_SCORE_ENTROPY] = 0.05,
                       [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.05,
                       [NPS_SCORE_COSINE] = 0.05,
                       [NPS_SCORE_COMPOSITE] = 0.05},
};

/* Whether library spectra a and b are of one compound, as the e-values and
 * the mixture analysis see it (nps_compound_key: InChIKey first block, else
 * name; a spectrum without either is a compound of its own). */
static int same_compound(const nps_spectra *lib, size_t a, size_t b)
{
    if (a == b) return 1;
    uint64_t ka = nps_compound_key(lib, a), kb = nps_compound_key(lib, b);
    return ka && ka == kb;
}

/* Whether identification x is ambiguous: other compounds among the query's
 * hits [first, first + n) whose plain score is within the margin of x's.
 * Fills the candidates, best first. */
static int ambiguous(nps_call *out, const nps_hits *h, size_t first, size_t n, const nps_hit *x,
                     const nps_spectra *lib, const nps_call_options *o)
{
    double margin = o->ambiguity_margin >= 0
                        ? o->ambiguity_margin
                        : default_margin[nps_spectra_kind(lib, x->reference)][x->score_type];
    double best = nps_hit_plain_score(x);
    size_t nc = 0;
    nps_call_component *c = out->candidates;
    c[nc++] = (nps_call_component){x->reference, NAN, best, x->probability};
    /* every hit: in the analogue modes the ranks follow the analogue score,
     * not the plain one */
    for (size_t k = 0; k < n; k++) {
        const nps_hit *y = nps_hits_at(h, first + k);
        double s = nps_hit_plain_score(y);
        if (!(s >= best - margin)) continue;
        size_t j = 0;
        while (j < nc && !same_compound(lib, c[j].reference, y->reference)) j++;
        if (j < nc) continue;
        if (nc == NPS_CALL_MAX_CANDIDATES) break;
        c[nc++] = (nps_call_component){y->reference, NAN, s, y->probability};
    }
    if (nc < 2) return 0;
    for (size_t i = 1; i < nc; i++) /* best first: an insertion sort of at most 8 */
        for (size_t j = i; j > 0 && c[j].score > c[j - 1].score; j--) {
            nps_call_component tmp = c[j];
            c[j] = c[j - 1];
            c[j - 1] = tmp;
        }
    const char *f0 = nps_spectra_get(lib, c[0].reference, NPS_KEY_FORMULA);
    int iso = f0 && *f0;
    for (size_t i = 1; iso && i < nc; i++) {
        const char *f = nps_spectra_get(lib, c[i].reference, NPS_KEY_FORMULA);
        iso = f && strcmp(f, f0) == 0;
    }
    out->status = NPS_CALL_AMBIGUOUS;
    out->n_candidates = nc;
    out->isomers = iso;
    return 1;
}

const char *nps_call_status_name(nps_call_status s)
{
    static const char *const names[] = {"none", "identified", "analogue", "mixture", "ambiguous"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "none";
}

double nps_hit_plain_score(const nps_hit *hit)
{
    return isnan(hit->identity_score) ? hit->score : hit->identity_score;
}

int nps_hit_shift_nominal(const nps_hit *hit)
{
    return hit->mode == NPS_MODE_SHIFT;
}

double nps_hit_shift_tolerance(const nps_hit *hit, const nps_call_options *options)
{
    return nps_hit_shift_nominal(hit) ? NPS_NOMINAL_TOLERANCE : options->shift_tolerance;
}

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
        double id = nps_hit_plain_score(x), it, at;
        thresholds(x, lib, o, &it, &at);
        if (id >= it && id > bid) {
            bid = id;
            out->hit = first + k;
        }
    }
    /* a mixture: the components the mixture analysis accepted */
    const nps_mixture *mx = nps_hits_mixture(h, query);
    if (mx && mx->n >= 2) {
        out->status = NPS_CALL_MIXTURE;
        out->hit = first;
        out->n_components = mx->n;
        for (size_t i = 0; i < mx->n; i++)
            out->components[i] =
                (nps_call_component){mx->c[i].reference, mx->c[i].fraction, mx->c[i].score, NAN};
        return 0;
    }
    if (out->hit != SIZE_MAX) {
        const nps_hit *x = nps_hits_at(h, out->hit);
        if (ambiguous(out, h, first, n, x, lib, o)) return 0;
        out->status = NPS_CALL_IDENTIFIED;
        out->n_components = 1;
        out->components[0] =
            (nps_call_component){x->reference, 1.0, nps_hit_plain_score(x), x->probability};
        return 0;
    }
    const nps_hit *top = nps_hits_at(h, first);
    double it, at;
    thresholds(top, lib, o, &it, &at);
    if (isnan(top->delta_mz) || top->score < at) return 0;
    int isomer = fabs(top->delta_mz) <= nps_hit_shift_tolerance(top, o);
    if (!isomer && top->shifted < o->min_shifted) return 0;
    out->status = NPS_CALL_ANALOGUE;
    out->hit = first;
    out->delta_mz = top->delta_mz;
    int nominal = nps_hit_shift_nominal(top);
    double tol = nps_hit_shift_tolerance(top, o);
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
            double id = nps_hit_plain_score(x);
            double bid = b ? nps_hit_plain_score(b) : -1;
            if (id > bid) b = x;
        }
        char best[300] = "";
        if (b) {
            const char *nm = nps_spectra_name(lib, b->reference);
            snprintf(best, sizeof best, " (best: %.200s, %.3f)",
                     *nm ? nm : nps_spectra_id(lib, b->reference), nps_hit_plain_score(b));
        }
        snprintf(buf, n, "no identification%s%s%s", best, c->class_name[0] ? "; class votes: " : "",
                 c->class_name);
        return;
    }
    if (c->status == NPS_CALL_AMBIGUOUS) {
        size_t k = (size_t)snprintf(buf, n, "ambiguous: one of");
        for (size_t i = 0; i < c->n_candidates && k < n; i++) {
            const char *nm = nps_spectra_name(lib, c->candidates[i].reference);
            if (!*nm) nm = nps_spectra_id(lib, c->candidates[i].reference);
            k += (size_t)snprintf(buf + k, n - k, "%s %.200s (%.3f)", i ? "," : "", nm,
                                  c->candidates[i].score);
        }
        if (k < n)
            snprintf(buf + k, n - k, "; %s",
                     c->isomers ? "positional isomer not determined by this spectrum"
                                : "not told apart by this spectrum");
        return;
    }
    if (c->status == NPS_CALL_MIXTURE) {
        size_t k = (size_t)snprintf(buf, n, "mixture:");
        for (size_t i = 0; i < c->n_components && k < n; i++) {
            const char *nm = nps_spectra_name(lib, c->components[i].reference);
            if (!*nm) nm = nps_spectra_id(lib, c->components[i].reference);
            k += (size_t)snprintf(buf + k, n - k, "%s %.200s (%.2f)", i ? " +" : "", nm,
                                  c->components[i].fraction);
        }
        return;
    }
    const nps_hit *x = nps_hits_at(h, c->hit);
    const char *name = nps_spectra_name(lib, x->reference);
    if (!*name) name = nps_spectra_id(lib, x->reference);
    if (c->status == NPS_CALL_IDENTIFIED) {
        double id = nps_hit_plain_score(x);
        snprintf(buf, n, "identified: %s (score %.3f)", name, id);
        return;
    }
    int nominal = nps_hit_shift_nominal(x);
    snprintf(buf, n, "possible new analogue: %s (support %.2f), nearest %s, dM %+.*f%s%s%s",
             c->class_name[0] ? c->class_name : "class unknown", c->class_support, name,
             nominal ? 0 : 4, c->delta_mz, c->interpretation[0] ? " (" : "", c->interpretation,
             c->interpretation[0] ? ")" : "");
}

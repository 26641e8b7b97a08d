/*
 * One query, start to finish: the unit of work of every front end (the CLI's
 * batch, a server's request, an MPI rank).
 *
 * The query is preprocessed with the library's configuration for its kind,
 * into the workspace; its mode and score are decided by the rules of the
 * plan (nps_mode_resolve, nps_search_default_score); the mode's search
 * function, from the mode table, pushes candidates into the workspace's
 * top-K heap; the kept hits are sorted (a total order: the result does not
 * depend on the order in which candidates came), fitted for e-values, and
 * completed with what a report needs: the composite MF of every EI hit
 * (whatever score ranked it) and, for analogue hits, the plain score of the
 * pair (the identification call rests on it, never on a shifted score).
 *
 * e-values: a query's null sample is every candidate score, or bound, but its
 * top hit's; the upper tail of that sample is fitted (stats/evalue.c).
 */
#include "../stats/stats.h"
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* e-values: a query's null sample needs this many scores (a library of a few
 * dozen spectra gives no defensible tail); the top 10 % of it (at least 10)
 * is fitted; a fit explaining less than 80 % of the variance of
 * ln(survival) is not used. */
#define EVALUE_MIN_CANDIDATES 100
#define EVALUE_TAIL_FRACTION 0.1
#define EVALUE_MIN_R2 0.8

typedef struct {
    double a, b;
    int ok;
} tail_fit;

/* Fit the query's null sample, less its top hit. */
static int fit_tail(nps_workspace *ws, tail_fit *out)
{
    out->ok = 0;
    size_t n = ws->nc, nh = ws->nh;
    const nps_ranked *top = nh ? &ws->heap[0] : NULL; /* sorted: the best first */
    if (!ws->null_in_buf) {
        int rc = nps_grow((void **)&ws->null, &ws->null_cap, n ? n : 1, sizeof *ws->null);
        if (rc) return rc;
        /* chance is what the query is not: the top hit's own compound (its
         * replicate spectra, which score high because they are right) is left
         * out of the null sample, not only the top hit itself */
        const uint64_t *cof = ws->plan->compound_of;
        uint64_t tc = top ? cof[top->ref] : 0;
        /* thinned (NPS_EVALUE_NULL_SAMPLE) branch-free, since library
         * indices come in no order, into the near-tie buffer, free once the
         * query's hits are kept */
        const nps_bound *src = ws->thinned ? ws->sample : ws->cand;
        size_t sampled = ws->thinned ? ws->nsample : n;
        const size_t mask = nps_evalue_stride(n) - 1;
        if (mask && !ws->thinned) {
            if (n > ws->near_cap &&
                (rc = nps_grow((void **)&ws->near, &ws->near_cap, n, sizeof *ws->near)))
                return rc;
            sampled = 0;
            for (size_t i = 0; i < n; i++) {
                ws->near[sampled] = ws->cand[i];
                sampled += (ws->cand[i].s & mask) == 0;
            }
            src = ws->near;
        }
        size_t k = 0;
        for (size_t i = 0; i < sampled; i++) {
            size_t s = src[i].s;
            if (top && (s == top->ref || (tc && cof[s] == tc))) continue;
            ws->null[k++] = src[i].b;
        }
        ws->null_scale = sampled ? (double)n / (double)sampled : 1;
        n = k;
    } else if (n && top && ws->null_stride == 1) { /* drop the largest (the top hit's) */
        size_t mi = 0;
        for (size_t i = 1; i < n; i++)
            if (ws->null[i] > ws->null[mi]) mi = i;
        ws->null[mi] = ws->null[--n];
    } else if (n && top && top->ref % ws->null_stride == 0) { /* the top hit was sampled */
        for (size_t i = 0; i < n; i++)
            if (ws->null[i] == top->score) {
                ws->null[i] = ws->null[--n];
                break;
            }
    }
    out->ok = nps_tail_fit(&out->a, &out->b, ws->null, n, EVALUE_MIN_CANDIDATES,
                           EVALUE_TAIL_FRACTION, EVALUE_MIN_R2);
    /* a subsample's ranks are null_scale times smaller than the library's */
    if (out->ok) out->a += log(ws->null_scale);
    return 0;
}

/* Grow the query buffers of the workspace to n peaks. */
static int reserve_query(nps_workspace *ws, size_t n)
{
    if (n <= ws->qcap) return 0;
    size_t cap = ws->qcap ? ws->qcap : 64;
    while (cap < n) cap *= 2;
    double **d[] = {&ws->qmz, &ws->qw, &ws->qv, &ws->cw, &ws->cv, &ws->lmz, &ws->lw, &ws->lv};
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
        double *p = realloc(*d[i], cap * sizeof *p);
        if (!p) return nps_err(NPS_ENOMEM, "out of memory");
        *d[i] = p;
    }
    float **f[] = {&ws->qin, &ws->lin};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        float *p = realloc(*f[i], cap * sizeof *p);
        if (!p) return nps_err(NPS_ENOMEM, "out of memory");
        *f[i] = p;
    }
    ws->qcap = cap;
    return 0;
}

/* Complete the hits: e-value, plain score of analogue hits, the reverse
 * match factor, for EI the composite (NIST identity) MF and RMF whatever the
 * ranking score, and the probability: a few exact scores per hit. */
static int complete(nps_hit *hits, nps_workspace *ws, const nps_query_ctx *c, const tail_fit *fit,
                    size_t query)
{
    const nps_plan *p = c->p;
    nps_score_options plain = *c->so;
    plain.reverse = 0;
    nps_score_options rev = plain;
    rev.reverse = 1;
    nps_score_options sc;
    nps_plan_score_options(&sc, &p->o, NPS_SCORE_COMPOSITE, c->kind);
    sc.reverse = 0;
    int want_mf = c->kind == NPS_KIND_EI && ws->nh;
    nps_prep QC = {c->Q->mz, c->Q->in, ws->cw, ws->cv, c->Q->n, 0};
    if (want_mf) QC.norm = nps_score_prepare(ws->cw, ws->cv, QC.mz, QC.in, QC.n, &sc);
    const nps_spectra *meta = nps_library_spectra(p->library);
    for (size_t k = 0; k < ws->nh; k++) {
        const nps_ranked *r = &ws->heap[k];
        nps_hit *h = &hits[k];
        *h = (nps_hit){query,   k + 1,    r->ref,     r->score, r->matched, NAN, NAN, c->t,
                       c->mode, r->delta, r->shifted, NAN,      NAN,        NAN, NAN, NAN};
        if (fit->ok) h->e_value = exp(fit->a + fit->b * r->score);
        ws->pkey[k] = nps_compound_key(meta, r->ref);
        int shifted = c->mode == NPS_MODE_HYBRID || c->mode == NPS_MODE_SHIFT;
        /* the composite's RMF comes with its MF below */
        int own_rmf = c->t != NPS_SCORE_COMPOSITE || !want_mf;
        nps_prep R;
        nps_score_result pr;
        int rc;
        if (shifted || own_rmf) nps_target_prep(&R, ws, c->tg, c->t, r->ref);
        if (shifted) {
            if ((rc = nps_score_prepared(&pr, NULL, NULL, ws->sws, c->Q, &R, &plain))) return rc;
            h->identity_score = pr.score;
        }
        if (own_rmf) {
            if ((rc = nps_score_prepared(&pr, NULL, NULL, ws->sws, c->Q, &R, &rev))) return rc;
            h->rmf = pr.score;
        }
        if (!want_mf) continue;
        nps_target_prep(&R, ws, &p->main, NPS_SCORE_COMPOSITE, r->ref);
        nps_score_result res;
        if ((rc = nps_score_prepared(&res, NULL, NULL, ws->sws, &QC, &R, &sc))) return rc;
        h->composite = res.score;
        h->composite_rmf = res.reverse;
        if (c->t == NPS_SCORE_COMPOSITE) h->rmf = res.reverse;
    }
    const nps_probability_model *m = nps_probability_builtin(c->kind, c->t);
    if (ws->nh && m) nps_probability_assign(hits, ws->nh, ws->pkey, ws->pu, ws->pcls, m);
    return 0;
}

int nps_search_query(nps_hit *hits, nps_query_info *info, nps_workspace *ws, const nps_plan *p,
                     const nps_spectra *queries, size_t query)
{
    if (!hits || !ws || !p || !queries) return nps_err(NPS_EINVAL, "NULL argument");
    if (ws->plan != p) return nps_err(NPS_EINVAL, "the workspace was made for another plan");
    if (query >= nps_spectra_count(queries))
        return nps_err(NPS_EINVAL, "query %zu of %zu", query, nps_spectra_count(queries));
    const nps_search_options *o = &p->o;
    nps_kind kind = nps_spectra_kind(queries, query);
    double qprec = nps_spectra_precursor_mz(queries, query);
    nps_search_mode m = nps_mode_resolve(o->mode, kind, isfinite(qprec));
    if (!(p->forms & NPS_QUERY_FORM(kind, isfinite(qprec))))
        return nps_err(NPS_EINVAL, "the plan was not prepared for %s queries %s a precursor",
                       kind == NPS_KIND_EI ? "EI" : "MS/MS", isfinite(qprec) ? "with" : "without");
    const double *rmz;
    const float *rin;
    size_t rn;
    nps_spectra_peaks(queries, query, &rmz, &rin, &rn);
    return nps_search_peaks(hits, info, ws, p, kind, qprec, m, rmz, rin, rn, query);
}

int nps_search_peaks(nps_hit *hits, nps_query_info *info, nps_workspace *ws, const nps_plan *p,
                     nps_kind kind, double qprec, nps_search_mode m, const double *rmz,
                     const float *rin, size_t rn, size_t query)
{
    const nps_search_options *o = &p->o;
    nps_score_type t = o->score == NPS_SCORE_AUTO ? nps_search_default_score(kind) : o->score;
    nps_query_info qi = {kind, t, m, 0, 0, 0};
    if (info) *info = qi;
    if (o->same_kind_only && p->n_of_kind[kind] == 0) { /* nothing to search */
        if (info) info->no_library_kind = 1;
        return 0;
    }
    /* the query, preprocessed as the library was */
    int rc = reserve_query(ws, rn);
    if (rc) return rc;
    const nps_preprocess_config *cfg = nps_library_preprocessing(p->library);
    size_t qn = nps_preprocess_peaks(ws->qmz, ws->qin, rmz, rin, rn, qprec,
                                     kind == NPS_KIND_EI ? &cfg->ei : &cfg->msms);
    nps_score_options so;
    nps_plan_score_options(&so, o, t, kind);
    nps_prep Q = {ws->qmz, ws->qin, ws->qw, ws->qv, qn, 0};
    Q.norm = nps_score_prepare(ws->qw, ws->qv, ws->qmz, ws->qin, qn, &so);
    nps_query_ctx c = {p, &p->main, t, kind, &so, &Q, m, qprec, query, 0, 0, 0};
    ws->nh = 0;
    ws->nc = 0;
    ws->null_in_buf = 0;
    ws->thinned = 0;
    ws->null_scale = 1;
    ws->null_stride = 1;
    ws->indexed = 0;
    ws->dense = 0;
    if ((rc = nps_mode_table[m]->search(ws, &c))) return rc;
    nps_rank_sort(ws->heap, ws->nh, p->main.spectra);
    tail_fit fit = {0, 0, 0};
    if (o->evalues && (rc = fit_tail(ws, &fit))) return rc;
    if ((rc = complete(hits, ws, &c, &fit, query))) return rc;
    if (info) {
        info->n_hits = ws->nh;
        info->indexed = ws->indexed;
    }
    return 0;
}

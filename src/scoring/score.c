/*
 * Score dispatch, preparation and the per-thread workspace.
 *
 * Every score is computed on "prepared" spectra whose per-peak weights were
 * computed once (see scoring.h), so that a search prepares each library
 * spectrum once instead of once per query. Reverse search (NIST's "reverse
 * match": peaks of the unknown that are absent from the library spectrum are
 * ignored, because they may come from a co-eluting compound or the matrix)
 * re-prepares the query per pair from only those of its peaks that have a
 * partner within the tolerance; for the entropy score this means the kept
 * peaks are renormalised and re-weighted, so the score stays in [0, 1].
 * The workspace grows to the largest spectrum seen and is then reused:
 * after warm-up nothing is allocated per pair.
 */
#include "scoring.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const nps_score_ops *const nps_score_table[NPS_SCORE_COUNT] = {
    [NPS_SCORE_ENTROPY] = &nps_score_entropy,
    [NPS_SCORE_ENTROPY_UNWEIGHTED] = &nps_score_entropy_unweighted,
    [NPS_SCORE_COSINE] = &nps_score_cosine,
    [NPS_SCORE_COMPOSITE] = &nps_score_composite,
};

const char *nps_score_name(nps_score_type t)
{
    if (t == NPS_SCORE_AUTO) return "auto";
    if ((int)t < 0 || (int)t >= NPS_SCORE_COUNT || !nps_score_table[t]) return "?";
    return nps_score_table[t]->name;
}

int nps_score_parse(nps_score_type *out, const char *name)
{
    for (int i = 0; i < NPS_SCORE_COUNT; i++)
        if (nps_score_table[i] && nps_strcaseeq(name, nps_score_table[i]->name)) {
            *out = (nps_score_type)i;
            return 0;
        }
    if (nps_strcaseeq(name, "auto")) {
        *out = NPS_SCORE_AUTO;
        return 0;
    }
    char list[256] = "";
    for (int i = 0; i < NPS_SCORE_COUNT; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, nps_score_name((nps_score_type)i), sizeof list - strlen(list) - 1);
    }
    return nps_err(NPS_EINVAL, "unknown score '%s' (%s)", name, list);
}

int nps_score_workspace_create(nps_score_workspace **out)
{
    nps_score_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return nps_err(NPS_ENOMEM, "out of memory");
    *out = ws;
    return 0;
}

void nps_score_workspace_free(nps_score_workspace *ws)
{
    if (!ws) return;
    free(ws->cand);
    free(ws->used_q);
    free(ws->used_r);
    free(ws->pairs);
    free(ws->pair_shifted);
    free(ws->rq_mz);
    free(ws->rq_w);
    free(ws->rq_v);
    free(ws->rq_in);
    free(ws->rq_idx);
    free(ws);
}

size_t nps_score_workspace_bytes(const nps_score_workspace *ws)
{
    return sizeof *ws + ws->cand_cap * sizeof *ws->cand + ws->used_q_cap + ws->used_r_cap +
           ws->pairs_cap * sizeof *ws->pairs + ws->pair_shifted_cap +
           ws->rq_cap * (3 * sizeof(double) + sizeof(float) + sizeof(size_t));
}

double nps_score_prepare(double *w, double *v, const double *mz, const float *in, size_t n,
                         const nps_score_options *o)
{
    return nps_score_table[o->type]->prepare(w, v, mz, in, n, o);
}

/* Keep only the query peaks with a reference peak within the tolerance. */
static int reverse_query(nps_prep *out, nps_score_workspace *ws, const nps_prep *q,
                         const nps_prep *r, const nps_score_options *o)
{
    if (q->n > ws->rq_cap) {
        size_t cap = q->n;
        double *a = realloc(ws->rq_mz, cap * sizeof *a);
        if (a) ws->rq_mz = a;
        double *b = realloc(ws->rq_w, cap * sizeof *b);
        if (b) ws->rq_w = b;
        double *c = realloc(ws->rq_v, cap * sizeof *c);
        if (c) ws->rq_v = c;
        float *d = realloc(ws->rq_in, cap * sizeof *d);
        if (d) ws->rq_in = d;
        size_t *e = realloc(ws->rq_idx, cap * sizeof *e);
        if (e) ws->rq_idx = e;
        if (!a || !b || !c || !d || !e) return nps_err(NPS_ENOMEM, "out of memory");
        ws->rq_cap = cap;
    }
    size_t k = 0, lo = 0;
    for (size_t i = 0; i < q->n; i++) {
        double tol = nps_tol_at(o, q->mz[i]);
        while (lo < r->n && r->mz[lo] < q->mz[i] - tol) lo++;
        if (lo < r->n && r->mz[lo] <= q->mz[i] + tol) {
            ws->rq_mz[k] = q->mz[i];
            ws->rq_in[k] = q->in[i];
            ws->rq_idx[k] = i;
            k++;
        }
    }
    /* every query peak kept (a third of the hits of a default search): the
     * query as prepared is what preparing it again would give, bit for bit
     * (preparation does not depend on `reverse`) */
    if (k == q->n) {
        *out = *q;
        return 0;
    }
    out->mz = ws->rq_mz;
    out->in = ws->rq_in;
    out->n = k;
    out->norm = nps_score_prepare(ws->rq_w, ws->rq_v, ws->rq_mz, ws->rq_in, k, o);
    out->w = ws->rq_w;
    out->v = ws->rq_v;
    return 0;
}

int nps_score_prepared(nps_score_result *res, nps_peak_match *matches, size_t *n_matches,
                       nps_score_workspace *ws, const nps_prep *q0, const nps_prep *r,
                       const nps_score_options *o)
{
    nps_prep rq;
    const nps_prep *q = q0;
    res->score = 0;
    res->matched = 0;
    res->composite = NAN;
    res->reverse = NAN;
    if ((int)o->type < 0 || (int)o->type >= NPS_SCORE_COUNT)
        return nps_err(NPS_EINVAL, "unknown score type %d", (int)o->type);
    /* The composite's reverse search is NIST's: its RMF, which leaves out
     * the unknown's bins the library spectrum lacks by its own rule
     * (composite.c); the other scores keep only the query peaks with a
     * reference peak within the tolerance and score what is left. */
    const int filter = o->reverse && o->type != NPS_SCORE_COMPOSITE;
    if (filter) {
        int rc = reverse_query(&rq, ws, q0, r, o);
        if (rc) return rc;
        q = &rq;
    }
    size_t cap = n_matches ? *n_matches : 0, k = 0;
    int rc = nps_score_table[o->type]->pair(res, matches, cap, &k, ws, q, r, o);
    if (rc) return rc;
    if (filter)
        for (size_t p = 0; p < k; p++) matches[p].query = ws->rq_idx[matches[p].query];
    if (o->reverse && o->type == NPS_SCORE_COMPOSITE) res->score = res->reverse;
    if (n_matches) *n_matches = k;
    return 0;
}

int nps_score_pair(nps_score_result *out, nps_peak_match *matches, size_t *n_matches,
                   nps_score_workspace *ws, const double *q_mz, const float *q_int, size_t q_n,
                   const double *r_mz, const float *r_int, size_t r_n,
                   const nps_score_options *options)
{
    if (options->version != NPS_SCORE_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_score_options version %d not supported", options->version);
    if (!(options->tolerance >= 0)) return nps_err(NPS_EINVAL, "negative tolerance");
    size_t need = (q_n + r_n) * 2 + 2;
    double *buf = malloc(need * sizeof *buf);
    if (!buf) return nps_err(NPS_ENOMEM, "out of memory");
    nps_prep q = {q_mz, q_int, buf, buf + q_n, q_n, 0};
    nps_prep r = {r_mz, r_int, buf + 2 * q_n, buf + 2 * q_n + r_n, r_n, 0};
    q.norm = nps_score_prepare(buf, buf + q_n, q_mz, q_int, q_n, options);
    r.norm = nps_score_prepare(buf + 2 * q_n, buf + 2 * q_n + r_n, r_mz, r_int, r_n, options);
    int rc = nps_score_prepared(out, matches, n_matches, ws, &q, &r, options);
    free(buf);
    return rc;
}

/*
 * Retention on hits: the RI penalty (run/ri.c's nps_ri_penalty) applied to
 * a search's hits, and the internal standard found among them.
 *
 * A spectrum alone does not tell apart compounds with near-identical
 * spectra (positional isomers, homologous amines, many terpenes); their
 * retention does. AMDIS subtracts a penalty from the match factor when the
 * component's RI is far from the library's and reports the "net" match;
 * the ranking follows the net score. We do the same: the penalty comes off
 * the score (and the composite MF of EI hits, so that the two stay one
 * figure), each query's hits are re-ranked by the rank rule of the search
 * (higher score, then smaller library id: a total order, so the result
 * does not depend on the order hits came in), and the probabilities, which
 * depend on every compound of the list, are recomputed.
 */
#include "../core/internal.h"
#include "../stats/stats.h"
#include "hits.h"
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nps_hit h;
    const char *id;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->h.score != y->h.score) return x->h.score > y->h.score ? -1 : 1;
    return strcmp(x->id, y->id);
}

int nps_hits_apply_ri(nps_hits *h, const nps_spectra *q, const nps_spectra *L,
                      const nps_ri_options *options)
{
    nps_ri_options def = NPS_RI_OPTIONS_INIT;
    const nps_ri_options *o = options ? options : &def;
    if (o->version != NPS_RI_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_ri_options version %d not supported", o->version);
    if (!(o->window >= 0) || !(o->slope >= 0) || !(o->max_penalty >= 0) || !(o->no_ri >= 0))
        return nps_err(NPS_EINVAL, "RI options: window, slope and penalties must be >= 0");
    size_t kmax = 0;
    for (size_t i = 0; i < h->nq; i++)
        if (h->qoff[i + 1] - h->qoff[i] > kmax) kmax = h->qoff[i + 1] - h->qoff[i];
    keyed *k = malloc((kmax ? kmax : 1) * sizeof *k);
    uint64_t *key = malloc((kmax ? kmax : 1) * sizeof *key);
    double *u = malloc((kmax ? kmax : 1) * sizeof *u);
    size_t *cls = malloc((kmax ? kmax : 1) * sizeof *cls);
    if (!k || !key || !u || !cls) {
        free(k);
        free(key);
        free(u);
        free(cls);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (size_t qi = 0; qi < h->nq; qi++) {
        size_t a = h->qoff[qi], n = h->qoff[qi + 1] - a;
        if (!n) continue;
        double qri = nps_spectra_ri(q, qi);
        if (!isfinite(qri)) continue; /* no calibration: nothing to compare */
        for (size_t r = 0; r < n; r++) {
            nps_hit *x = &h->hits[a + r];
            double p = nps_ri_penalty(o, qri, nps_spectra_ri(L, x->reference));
            x->score = x->score > p ? x->score - p : 0;
            if (isfinite(x->composite)) x->composite = x->composite > p ? x->composite - p : 0;
            if (isfinite(x->identity_score))
                x->identity_score = x->identity_score > p ? x->identity_score - p : 0;
            k[r].h = *x;
            k[r].id = nps_spectra_id(L, x->reference);
        }
        qsort(k, n, sizeof *k, cmp_keyed);
        for (size_t r = 0; r < n; r++) {
            h->hits[a + r] = k[r].h;
            h->hits[a + r].rank = r + 1;
            key[r] = nps_compound_key(L, k[r].h.reference);
        }
        const nps_probability_model *m = nps_probability_model_of(&h->hits[a]);
        if (m) nps_probability_assign(&h->hits[a], n, key, u, cls, m);
    }
    free(k);
    free(key);
    free(u);
    free(cls);
    return 0;
}

int nps_hits_find_named(size_t *query, const nps_hits *h, const nps_spectra *L, const char *name)
{
    size_t best = SIZE_MAX;
    double best_score = -1;
    for (size_t qi = 0; qi < h->nq; qi++) {
        if (h->qoff[qi + 1] == h->qoff[qi]) continue;
        const nps_hit *x = &h->hits[h->qoff[qi]];
        if (!nps_strcaseeq(nps_spectra_name(L, x->reference), name)) continue;
        if (x->score > best_score) {
            best_score = x->score;
            best = qi;
        }
    }
    if (best == SIZE_MAX) return nps_err(NPS_ENOTFOUND, "no component is identified as %s", name);
    *query = best;
    return 0;
}

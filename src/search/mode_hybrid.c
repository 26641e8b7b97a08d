/*
 * Hybrid mode (MS/MS analogues, after NIST's hybrid search): the whole
 * library, a reference peak matching a query peak directly or shifted by the
 * precursor mass difference (scoring/hybrid.c). Candidates come from the
 * fragment index and the neutral-loss index together (common.c explains why
 * the sum bounds the hybrid score), then are rescored exactly. A query
 * without a precursor has no shift to try and runs open search (resolve).
 */
#include "plan.h"

static nps_search_mode resolve(nps_kind kind, int has_precursor)
{
    (void)kind;
    return has_precursor ? NPS_MODE_HYBRID : NPS_MODE_OPEN;
}

static int prepare(nps_plan *p, nps_score_type t)
{
    int rc = nps_plan_weights(p, &p->main, t, !p->o.exhaustive);
    if (!rc && !p->o.exhaustive) rc = nps_plan_loss_weights(p, t);
    return rc;
}

static int search(nps_workspace *ws, const nps_query_ctx *c)
{
    if (c->p->o.exhaustive)
        return nps_search_pairwise(ws, c, 0, nps_spectra_count(c->tg->spectra), 0);
    return nps_search_indexed(ws, c);
}

const nps_mode_ops nps_mode_hybrid = {"hybrid", resolve, prepare, search};

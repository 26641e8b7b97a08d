/*
 * Neutral-loss mode (MS/MS analogues): query and library spectra are both
 * expressed as their neutral losses (precursor - fragment; library/losses.c)
 * and the losses are searched like fragments, through the loss spectra's own
 * fragment index (or pairwise with `exhaustive`). Analogues that differ by a
 * modification kept in the precursor but lost in a fragment share losses
 * while their fragments differ. The loss spectra are in the library's order,
 * so a hit's reference is the library spectrum it derives from.
 */
#include "plan.h"

#include <math.h>

static int prepare(nps_plan *p, nps_score_type t)
{
    int rc = nps_plan_losses(p);
    if (!rc) rc = nps_plan_weights(p, &p->loss, t, !p->o.exhaustive);
    return rc;
}

static int search(nps_workspace *ws, const nps_query_ctx *c)
{
    const nps_plan *p = c->p;
    /* the query's losses (from its processed peaks), prepared for the score */
    size_t n = nps_losses_of(ws->lmz, ws->lin, NULL, c->Q->mz, c->Q->in, c->Q->n, c->qprec);
    nps_prep L = {ws->lmz, ws->lin, ws->lw, ws->lv, n, 0};
    L.norm = nps_score_prepare(ws->lw, ws->lv, ws->lmz, ws->lin, n, c->so);
    nps_query_ctx lc = *c;
    lc.tg = &p->loss;
    lc.Q = &L;
    if (p->o.exhaustive)
        return nps_search_pairwise(ws, &lc, 0, nps_spectra_count(p->loss.spectra), 0);
    return nps_search_indexed(ws, &lc);
}

const nps_mode_ops nps_mode_neutral_loss = {"neutral-loss", NULL, prepare, search};

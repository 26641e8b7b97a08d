/*
 * Open mode: the whole library, through the inverted fragment index (bounds,
 * then exact rescoring: common.c), or pairwise with `exhaustive`, the
 * reference path the index is tested against.
 */
#include "plan.h"

static int prepare(nps_plan *p, nps_score_type t)
{
    return nps_plan_weights(p, &p->main, t, !p->o.exhaustive);
}

static int search(nps_workspace *ws, const nps_query_ctx *c)
{
    if (c->p->o.exhaustive)
        return nps_search_pairwise(ws, c, 0, nps_spectra_count(c->tg->spectra), 0);
    return nps_search_indexed(ws, c);
}

const nps_mode_ops nps_mode_open = {"open", NULL, prepare, search};

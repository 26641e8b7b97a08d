/*
 * Identity mode: the library spectra whose precursor lies within the
 * precursor tolerance of the query's, each scored pairwise.
 *
 * The plan keeps the spectra with a precursor sorted by precursor m/z; two
 * binary searches find the window, which holds a handful of spectra, so the
 * fragment index would not pay. A query without a precursor cannot be
 * searched this way and runs open search instead (resolve).
 */
#include "plan.h"

static nps_search_mode resolve(nps_kind kind, int has_precursor)
{
    (void)kind;
    return has_precursor ? NPS_MODE_IDENTITY : NPS_MODE_OPEN;
}

static int prepare(nps_plan *p, nps_score_type t)
{
    return nps_plan_weights(p, &p->main, t, 0);
}

/* First entry of the precursor order at or above a (upper = 0), or above a. */
static size_t order_bound(const nps_plan *p, double a, int upper)
{
    size_t l = 0, r = p->norder;
    while (l < r) {
        size_t m = l + (r - l) / 2;
        if (upper ? p->order[m].prec <= a : p->order[m].prec < a)
            l = m + 1;
        else
            r = m;
    }
    return l;
}

static int search(nps_workspace *ws, const nps_query_ctx *c)
{
    const nps_search_options *o = &c->p->o;
    double pq = c->qprec;
    double tol =
        o->precursor_tolerance_ppm ? o->precursor_tolerance * 1e-6 * pq : o->precursor_tolerance;
    size_t lo = order_bound(c->p, pq - tol, 0), hi = order_bound(c->p, pq + tol, 1);
    return nps_search_pairwise(ws, c, lo, hi > lo ? hi : lo, 1);
}

const nps_mode_ops nps_mode_identity = {"identity", resolve, prepare, search};

/*
 * Identity mode: the library spectra whose precursor lies within the
 * precursor tolerance of the query's.
 *
 * The plan keeps the spectra with a precursor sorted by precursor m/z; two
 * binary searches find the window. At the usual tolerances (0.01 Da, 10 ppm)
 * it holds a handful of spectra, scored pairwise: the fragment index would
 * not pay. A wide window (a nominal-mass library, a tolerance of several Da,
 * isobaric-rich libraries) can hold a large part of the library; then the
 * fragment index, with the window as a filter on its candidates, is cheaper
 * than scoring every spectrum in it.
 *
 * With `exhaustive`, every library spectrum is tested against the window
 * rule directly and scored pairwise: a path that shares neither the binary
 * search nor the index with the other two, so the exactness tests compare
 * different code. A query without a precursor runs open search (resolve).
 */
#include "plan.h"

static nps_search_mode resolve(nps_kind kind, int has_precursor)
{
    (void)kind;
    return has_precursor ? NPS_MODE_IDENTITY : NPS_MODE_OPEN;
}

/* A window holding more than 1/NPS_IDENTITY_INDEX_SHARE of the library (and
 * at least NPS_IDENTITY_INDEX_MIN spectra) is searched through the index. */
#define NPS_IDENTITY_INDEX_SHARE 16
#define NPS_IDENTITY_INDEX_MIN 256

static int wide(size_t count, size_t nl)
{
    return count >= NPS_IDENTITY_INDEX_MIN && count * NPS_IDENTITY_INDEX_SHARE > nl;
}

/* Can any window at this tolerance be wide? The most populated window, by a
 * two-pointer pass over the precursor order (for ppm, the tolerance at the
 * window's upper end, which only overestimates). Only then does the plan
 * build the index-order weights identity search would need; at ordinary
 * tolerances it never does. */
static int windows_can_be_wide(const nps_plan *p)
{
    const nps_search_options *o = &p->o;
    size_t nl = nps_spectra_count(p->main.spectra), best = 0, j = 0;
    for (size_t i = 0; i < p->norder; i++) {
        double x = p->order[i].prec;
        if (j < i) j = i;
        for (;;) {
            if (j + 1 >= p->norder) break;
            double y = p->order[j + 1].prec;
            double t = o->precursor_tolerance_ppm ? o->precursor_tolerance * 1e-6 * y
                                                  : o->precursor_tolerance;
            if (y - x > 2 * t) break;
            j++;
        }
        if (j - i + 1 > best) best = j - i + 1;
    }
    return wide(best, nl);
}

static int prepare(nps_plan *p, nps_score_type t)
{
    if (!p->o.exhaustive && !p->identity_index) p->identity_index = windows_can_be_wide(p);
    return nps_plan_weights(p, &p->main, t, p->identity_index);
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
    const nps_plan *p = c->p;
    const nps_search_options *o = &p->o;
    double pq = c->qprec;
    double tol =
        o->precursor_tolerance_ppm ? o->precursor_tolerance * 1e-6 * pq : o->precursor_tolerance;
    nps_query_ctx w = *c;
    w.windowed = 1;
    w.win_lo = pq - tol;
    w.win_hi = pq + tol;
    size_t nl = nps_spectra_count(c->tg->spectra);
    if (o->exhaustive) return nps_search_pairwise(ws, &w, 0, nl, 0);
    size_t lo = order_bound(p, w.win_lo, 0), hi = order_bound(p, w.win_hi, 1);
    if (hi < lo) hi = lo;
    if (p->identity_index && wide(hi - lo, nl)) return nps_search_indexed(ws, &w);
    return nps_search_pairwise(ws, &w, lo, hi, 1);
}

const nps_mode_ops nps_mode_identity = {"identity", resolve, prepare, search};

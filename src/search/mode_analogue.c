/*
 * Analogue mode is a composition, not a search of its own: MS/MS queries
 * with a precursor run the hybrid search, every other query the FFT shift
 * search (which itself hands high-resolution queries to hybrid or open
 * search: mode_shift.c).
 */
#include "plan.h"

static nps_search_mode resolve(nps_kind kind, int has_precursor)
{
    return kind == NPS_KIND_MSMS && has_precursor ? NPS_MODE_HYBRID : NPS_MODE_SHIFT;
}

const nps_mode_ops nps_mode_analogue = {"analogue", resolve, NULL, NULL};

/* Private: score statistics (e-values, target-decoy FDR). */
#ifndef NPS_STATS_H
#define NPS_STATS_H

#include "../core/internal.h"

/* Fit ln(#null scores >= s) = a + b s to the upper tail of a per-query null
 * sample (evalue.c). scores is reordered in place (its upper tail first,
 * sorted). Returns 1 with a, b when the fit holds (enough candidates, a
 * falling survival curve, r^2 >= min_r2), 0 otherwise. */
int nps_tail_fit(double *a, double *b, double *scores, size_t n, size_t min_candidates,
                 double tail_fraction, double min_r2);

#endif

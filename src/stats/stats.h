/* Private: score statistics (e-values, target-decoy FDR). */
#ifndef NPS_STATS_H
#define NPS_STATS_H

#include "../core/internal.h"

#include <stdint.h>

/* Fit ln(#null scores >= s) = a + b s to the upper tail of a per-query null
 * sample (evalue.c). scores is reordered in place (its upper tail first,
 * sorted). Returns 1 with a, b when the fit holds (enough candidates, a
 * falling survival curve, r^2 >= min_r2), 0 otherwise. */
int nps_tail_fit(double *a, double *b, double *scores, size_t n, size_t min_candidates,
                 double tail_fraction, double min_r2);

/* The built-in probability model of a kind and ranking score, or NULL. */
const nps_probability_model *nps_probability_builtin(nps_kind kind, nps_score_type score);

/* The model a hit's probability was computed with (NULL: none). */
const nps_probability_model *nps_probability_model_of(const nps_hit *hit);

/* The probability of each of a query's hits hits[0, n) (rank order) under
 * model m (probability.c); key[i] is hit i's compound (nps_compound_key),
 * u and cls scratch of n each. */
void nps_probability_assign(nps_hit *hits, size_t n, const uint64_t *key, double *u, size_t *cls,
                            const nps_probability_model *m);

/* Non-negative least squares from the normal equations G = A'A (n x n,
 * row-major) and h = A'b (nnls.c): x >= 0 minimising |Ax - b|^2. work holds
 * nps_nnls_work_size(n) doubles, free_set n bytes; n <= 64. */
size_t nps_nnls_work_size(size_t n);
int nps_nnls_gram(double *x, const double *G, const double *h, size_t n, double *work,
                  unsigned char *free_set);

#endif

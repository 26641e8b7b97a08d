/* Private: FFT shift correlation for EI analogue search (see shift.c). */
#ifndef NPS_SHIFT_H
#define NPS_SHIFT_H

#include "../scoring/scoring.h"

typedef struct nps_shift_plan nps_shift_plan;
typedef struct nps_shift_ws nps_shift_ws;

/* Plan for spectra up to max_mz and shifts up to +-max_shift (Da): the
 * transform length, FFTW plans (made once, under a lock: FFTW's planner is
 * not thread-safe) and, for each library spectrum selected by `use` (NULL:
 * all), the transform of its binned, normalised weights, prepared with so. */
int nps_shift_plan_create(nps_shift_plan **out, const nps_spectra *lib, const nps_score_options *so,
                          const unsigned char *use, double max_shift, int nthreads);
void nps_shift_plan_free(nps_shift_plan *p);
int nps_shift_ws_create(nps_shift_ws **out, const nps_shift_plan *p);
void nps_shift_ws_free(nps_shift_ws *ws);
size_t nps_shift_ws_bytes(const nps_shift_ws *ws);

/* Bin and transform a prepared query (weights w, norm), and sort its
 * normalised weights for nps_shift_sorted_bound. */
int nps_shift_query(nps_shift_ws *ws, const nps_shift_plan *p, const nps_prep *q);
/* An upper bound, valid at every shift, of the cosine-type hybrid score of
 * the query against library spectrum ref: the dot product of the two
 * normalised weight lists sorted in decreasing order (float32 library
 * weights: use with a margin). */
double nps_shift_sorted_bound(const nps_shift_ws *ws, const nps_shift_plan *p, size_t ref);
/* Cross-correlate the query with library spectrum ref: c0 gets the value at
 * shift 0 and shifts/values the best `max` other shifts (query - reference,
 * local maxima of the correlation, largest first). Returns their number. */
size_t nps_shift_correlate(nps_shift_ws *ws, const nps_shift_plan *p, size_t ref, double *c0,
                           int *shifts, double *values, size_t max);
int nps_shift_has(const nps_shift_plan *p, size_t ref);
/* The number of library spectra the plan transformed. */
size_t nps_shift_selected(const nps_shift_plan *p);

#endif

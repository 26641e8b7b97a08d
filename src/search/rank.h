/* Private: top-K ranking shared by the search paths (see rank.c). */
#ifndef NPS_RANK_H
#define NPS_RANK_H

#include "../core/internal.h"

#include <math.h>

typedef struct {
    double score;
    size_t ref;
    size_t matched;
    double delta;   /* analogue modes: the shift; NAN otherwise */
    size_t shifted; /* analogue modes: pairs matched through it */
    double e;       /* an e-value already known (neutral-loss hits), else NAN */
} nps_ranked;

static inline nps_ranked nps_ranked_make(double score, size_t ref, size_t matched)
{
    nps_ranked r = {score, ref, matched, NAN, 0, NAN};
    return r;
}

/* a ranks before b: higher score, then smaller library id (byte order). */
int nps_rank_better(const nps_ranked *a, const nps_ranked *b, const nps_spectra *lib);
/* Keep the best k of the candidates pushed so far in h[0, *n) (a heap). */
void nps_rank_push(nps_ranked *h, size_t *n, size_t k, nps_ranked c, const nps_spectra *lib);
/* Sort the kept candidates best first; h must be as left by nps_rank_push. */
void nps_rank_sort(nps_ranked *h, size_t n, const nps_spectra *lib);
/* The worst kept candidate (the heap root); n must be > 0. */
static inline const nps_ranked *nps_rank_worst(const nps_ranked *h)
{
    return &h[0];
}

#endif

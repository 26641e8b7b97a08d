/* Private: the hit list (batch.c builds it, stats/fdr.c edits it). */
#ifndef NPS_HITS_H
#define NPS_HITS_H

#include "../core/internal.h"

struct nps_hits {
    nps_hit *hits;
    size_t n;
    size_t *qoff; /* nq + 1 */
    size_t nq;
    size_t n_kind_absent;  /* queries whose kind the library does not hold */
    unsigned char *absent; /* nq: that query's kind is absent (NULL: none is) */
    nps_mixture *mix;      /* nq: each query's mixture analysis (NULL: none made) */
};

#endif

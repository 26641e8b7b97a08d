/* Private: the hit list (searcher.c builds it, stats/fdr.c edits it). */
#ifndef NPS_HITS_H
#define NPS_HITS_H

#include "../core/internal.h"

struct nps_hits {
    nps_hit *hits;
    size_t n;
    size_t *qoff; /* nq + 1 */
    size_t nq;
};

#endif

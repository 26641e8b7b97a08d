/*
 * Top-K ranking and the hit list.
 *
 * Hits are ranked by score, descending, then by library id, ascending (byte
 * order), the tie rule of the Flash entropy reference lists. The best K are
 * kept in a heap whose root is the worst of them, so each candidate costs
 * O(log K). Because the comparison is a total order (ties on id fall back to
 * the library position), the kept set does not depend on the order in which
 * candidates arrive: the exhaustive and the indexed paths, and any number of
 * threads, give the same list.
 */
#include "rank.h"

#include <stdlib.h>
#include <string.h>

int nps_rank_better(const nps_ranked *a, const nps_ranked *b, const nps_spectra *lib)
{
    if (a->score != b->score) return a->score > b->score;
    if (a->ref == b->ref) return 0;
    int c = strcmp(nps_spectra_id(lib, a->ref), nps_spectra_id(lib, b->ref));
    if (c != 0) return c < 0;
    return a->ref < b->ref;
}

void nps_rank_push(nps_ranked *h, size_t *n, size_t k, nps_ranked c, const nps_spectra *lib)
{
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = c;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!nps_rank_better(&h[p], &h[i], lib)) break;
            nps_ranked t = h[p];
            h[p] = h[i];
            h[i] = t;
            i = p;
        }
        return;
    }
    if (!nps_rank_better(&c, &h[0], lib)) return;
    h[0] = c;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && nps_rank_better(&h[m], &h[l], lib)) m = l;
        if (r < *n && nps_rank_better(&h[m], &h[r], lib)) m = r;
        if (m == i) break;
        nps_ranked t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

void nps_rank_sort(nps_ranked *c, size_t n, const nps_spectra *lib)
{
    if (n <= 32) {
        /* insertion sort: K is usually small */
        for (size_t i = 1; i < n; i++) {
            nps_ranked t = c[i];
            size_t j = i;
            while (j > 0 && nps_rank_better(&t, &c[j - 1], lib)) {
                c[j] = c[j - 1];
                j--;
            }
            c[j] = t;
        }
        return;
    }
    /* c is a heap with the worst at the root (nps_rank_push): move the root
     * to the end and restore the heap on the rest, n times (heapsort) */
    for (size_t end = n; end > 1; end--) {
        nps_ranked t = c[0];
        c[0] = c[end - 1];
        c[end - 1] = t;
        size_t i = 0, m = end - 1;
        for (;;) {
            size_t l = 2 * i + 1, r = l + 1, w = i;
            if (l < m && nps_rank_better(&c[w], &c[l], lib)) w = l;
            if (r < m && nps_rank_better(&c[w], &c[r], lib)) w = r;
            if (w == i) break;
            nps_ranked x = c[w];
            c[w] = c[i];
            c[i] = x;
            i = w;
        }
    }
}

/*
 * Target-decoy q-values (Elias & Gygi, Nat. Methods 4 (2007) 207; Storey &
 * Tibshirani, PNAS 100 (2003) 9440, for the q-value).
 *
 * The queries of a batch are searched against the targets and an equal
 * number of decoys (decoy.c) together; each query's best hit is a target or
 * a decoy. A decoy wins only by chance, and an equally likely chance winner
 * is a false target, so among the top hits scoring at least t the false
 * discovery rate is estimated as FDR(t) = D(t) / T(t) (decoy and target top
 * hits at or above t). The q-value of a score s is the smallest FDR of any
 * threshold at or below s: the lowest error rate at which a hit scoring s is
 * accepted. Every target hit gets the q-value of its score; decoy hits are
 * then removed and the target hits re-ranked. The estimate is a batch
 * property: it needs many queries (hundreds) to be precise.
 */
#include "../search/hits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double s;
    int decoy;
} top_t;

static int cmp_top(const void *a, const void *b)
{
    const top_t *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->decoy - y->decoy; /* at equal scores, targets first (counted before decoys) */
}

int nps_hits_target_decoy(nps_hits *h, size_t n_targets, double fdr, double *threshold,
                          size_t *n_decoy_tops)
{
    top_t *t = malloc((h->nq ? h->nq : 1) * sizeof *t);
    double *q = malloc((h->nq ? h->nq : 1) * sizeof *q);
    if (!t || !q) {
        free(t);
        free(q);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    size_t nt = 0, nd = 0;
    for (size_t i = 0; i < h->nq; i++) {
        if (h->qoff[i + 1] == h->qoff[i]) continue;
        const nps_hit *x = &h->hits[h->qoff[i]];
        t[nt].s = x->score;
        t[nt].decoy = x->reference >= n_targets;
        nd += (size_t)t[nt].decoy;
        nt++;
    }
    qsort(t, nt, sizeof *t, cmp_top);
    size_t T = 0, D = 0;
    for (size_t k = 0; k < nt; k++) {
        if (t[k].decoy)
            D++;
        else
            T++;
        q[k] = T ? (double)D / (double)T : 1.0;
        if (q[k] > 1) q[k] = 1;
    }
    for (size_t k = nt; k-- > 1;) /* q: the minimum over this and every lower threshold */
        if (q[k] < q[k - 1]) q[k - 1] = q[k];
    *threshold = INFINITY;
    for (size_t k = 0; k < nt; k++)
        if (q[k] <= fdr && !t[k].decoy) *threshold = t[k].s;
    /* q-values of the target hits; drop decoy hits and renumber ranks */
    size_t w = 0;
    for (size_t i = 0; i < h->nq; i++) {
        size_t first = h->qoff[i], end = h->qoff[i + 1], rank = 0;
        h->qoff[i] = w;
        for (size_t j = first; j < end; j++) {
            nps_hit x = h->hits[j];
            if (x.reference >= n_targets) continue;
            /* the first top-hit score at or below x.score */
            size_t lo = 0, hi = nt;
            while (lo < hi) {
                size_t m = lo + (hi - lo) / 2;
                if (t[m].s > x.score)
                    lo = m + 1;
                else
                    hi = m;
            }
            x.q_value = lo < nt ? q[lo] : (nt ? q[nt - 1] : NAN);
            x.rank = ++rank;
            h->hits[w++] = x;
        }
    }
    h->qoff[h->nq] = w;
    h->n = w;
    if (n_decoy_tops) *n_decoy_tops = nd;
    free(t);
    free(q);
    return 0;
}

/* Decoys are made from the library's processed spectra, so the combined
 * library takes them as they are ("raw" cleaning) and the queries are cleaned
 * beforehand with the library's own parameters. The seed is fixed: the same
 * batch gives the same q-values. */
#define TARGET_DECOY_SEED 20261128UL

int nps_search_target_decoy(nps_hits **out, const nps_library *lib, const nps_spectra *queries,
                            const nps_search_options *so, double fdr, double *threshold,
                            size_t *n_decoy_tops)
{
    const nps_spectra *P = nps_library_processed(lib);
    nps_spectra *dec = NULL, *all = NULL, *qp = NULL;
    nps_library *td = NULL;
    nps_hits *h = NULL;
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    int rc = nps_decoys_generate(&dec, P, TARGET_DECOY_SEED);
    if (!rc) rc = nps_spectra_create(&all);
    for (size_t i = 0; !rc && i < nps_spectra_count(P); i++) rc = nps_spectra_add_from(all, P, i);
    for (size_t i = 0; !rc && i < nps_spectra_count(dec); i++)
        rc = nps_spectra_add_from(all, dec, i);
    if (!rc) rc = nps_library_create(&td, all, &raw);
    if (!rc) rc = nps_preprocess_spectra(&qp, queries, nps_library_preprocessing(lib));
    /* no mixture analysis: its components could be decoys, which the
     * q-values then remove from the hits but not from a mixture */
    nps_search_options o = *so;
    o.mixtures = NPS_MIXTURES_OFF;
    if (!rc) rc = nps_search_run(&h, td, qp, &o);
    if (!rc) rc = nps_hits_target_decoy(h, nps_spectra_count(P), fdr, threshold, n_decoy_tops);
    nps_library_free(td);
    nps_spectra_free(all);
    nps_spectra_free(dec);
    nps_spectra_free(qp);
    if (rc) {
        nps_hits_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

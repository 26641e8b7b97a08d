/*
 * Batch search: every query against the library, exact, in parallel.
 *
 * The library is read-only and shared by all threads. Before the parallel
 * loop, every library spectrum is "prepared" once for each score the batch
 * needs (per-peak weights and norms; see scoring/score.c), and the spectra
 * with a precursor are sorted by precursor m/z so that identity search only
 * visits the window [p - tol, p + tol] (found by binary search). Each thread
 * then owns a scoring workspace, a query buffer and a top-K heap; no lock is
 * taken in the loop and nothing is allocated per pair.
 *
 * Ranking is by score, descending, then by library id, ascending (byte
 * order), the tie rule of the Flash entropy reference lists. Each query is
 * scored by one thread over the candidates in a fixed order, and the heap
 * compares with that total order, so the output does not depend on the
 * number of threads or on scheduling.
 *
 * This is the brute-force reference path; an inverted fragment index will
 * sit beside it for speed, checked against it.
 */
#include "../scoring/scoring.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

struct nps_hits {
    nps_hit *hits;
    size_t n;
    size_t *qoff; /* nq + 1 */
    size_t nq;
};

nps_score_type nps_search_default_score(nps_kind kind)
{
    return kind == NPS_KIND_EI ? NPS_SCORE_COMPOSITE : NPS_SCORE_ENTROPY;
}

void nps_hits_free(nps_hits *h)
{
    if (!h) return;
    free(h->hits);
    free(h->qoff);
    free(h);
}

size_t nps_hits_count(const nps_hits *h)
{
    return h->n;
}

const nps_hit *nps_hits_at(const nps_hits *h, size_t i)
{
    return &h->hits[i];
}

void nps_hits_for_query(const nps_hits *h, size_t query, size_t *first, size_t *n)
{
    *first = h->qoff[query];
    *n = h->qoff[query + 1] - h->qoff[query];
}

/* Library weights for one score type. */
typedef struct {
    int ready;
    double *w, *v, *norm;
} lib_prep;

typedef struct {
    double prec;
    size_t idx;
} prec_t;

static int cmp_prec(const void *a, const void *b)
{
    const prec_t *x = a, *y = b;
    if (x->prec != y->prec) return x->prec < y->prec ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct {
    double score;
    size_t ref;
    size_t matched;
} cand_t;

/* a ranks before b */
static int better(const cand_t *a, const cand_t *b, const nps_spectra *lib)
{
    if (a->score != b->score) return a->score > b->score;
    int c = strcmp(nps_spectra_id(lib, a->ref), nps_spectra_id(lib, b->ref));
    if (c != 0) return c < 0;
    return a->ref < b->ref;
}

/* Min-heap on "better": the root is the worst of the kept K. */
static void heap_push(cand_t *h, size_t *n, size_t k, cand_t c, const nps_spectra *lib)
{
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = c;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!better(&h[p], &h[i], lib)) break;
            cand_t t = h[p];
            h[p] = h[i];
            h[i] = t;
            i = p;
        }
        return;
    }
    if (!better(&c, &h[0], lib)) return;
    h[0] = c;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && better(&h[m], &h[l], lib)) m = l;
        if (r < *n && better(&h[m], &h[r], lib)) m = r;
        if (m == i) break;
        cand_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

static void sort_ranked(cand_t *c, size_t n, const nps_spectra *lib)
{
    /* insertion sort: K is small, and qsort has no context argument */
    for (size_t i = 1; i < n; i++) {
        cand_t t = c[i];
        size_t j = i;
        while (j > 0 && better(&t, &c[j - 1], lib)) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = t;
    }
}

static void score_opts_for(nps_score_options *so, const nps_search_options *o, nps_score_type t,
                           nps_kind kind)
{
    nps_score_options d = NPS_SCORE_OPTIONS_INIT;
    *so = d;
    so->type = t;
    so->tolerance = o->tolerance >= 0     ? o->tolerance
                    : kind == NPS_KIND_EI ? NPS_DEFAULT_TOLERANCE_EI
                                          : NPS_DEFAULT_TOLERANCE_MSMS;
    so->tolerance_ppm = o->tolerance >= 0 ? o->tolerance_ppm : 0;
    so->mz_power = o->mz_power;
    so->intensity_power = o->intensity_power;
    so->reverse = o->reverse;
}

static int prepare_lib(lib_prep *lp, const nps_spectra *lib, const nps_score_options *so)
{
    size_t P = nps_spectra_total_peaks(lib), n = nps_spectra_count(lib);
    lp->w = malloc((P ? P : 1) * sizeof(double));
    lp->v = malloc((P ? P : 1) * sizeof(double));
    lp->norm = malloc((n ? n : 1) * sizeof(double));
    if (!lp->w || !lp->v || !lp->norm) return nps_err(NPS_ENOMEM, "out of memory");
    const double *mz0;
    const float *in0;
    size_t k0;
    if (n) nps_spectra_peaks(lib, 0, &mz0, &in0, &k0);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(lib, i, &mz, &in, &k);
        size_t off = (size_t)(mz - mz0);
        lp->norm[i] = nps_score_prepare(lp->w + off, lp->v + off, mz, in, k, so);
    }
    lp->ready = 1;
    return 0;
}

int nps_search_run(nps_hits **out, const nps_library *library, const nps_spectra *queries,
                   const nps_search_options *o)
{
    if (o->version != NPS_SEARCH_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_search_options version %d not supported", o->version);
    if (o->top_k == 0) return nps_err(NPS_EINVAL, "top_k must be at least 1");
    if (!(o->precursor_tolerance >= 0)) return nps_err(NPS_EINVAL, "negative precursor tolerance");
    const nps_spectra *lib = nps_library_processed(library);
    size_t nl = nps_spectra_count(lib), nq = nps_spectra_count(queries);
    nps_spectra *qp = NULL;
    lib_prep prep[4];
    memset(prep, 0, sizeof prep);
    prec_t *order = NULL;
    size_t norder = 0;
    cand_t *slots = NULL;
    size_t *counts = NULL;
    nps_hits *h = NULL;
    int rc = nps_preprocess_spectra(&qp, queries, nps_library_preprocessing(library));
    if (rc) return rc;

    /* which scores does the batch need? */
    int need[4] = {0, 0, 0, 0};
    for (size_t q = 0; q < nq; q++) {
        nps_kind k = nps_spectra_kind(qp, q);
        nps_score_type t = o->score == NPS_SCORE_AUTO ? nps_search_default_score(k) : o->score;
        need[t] = 1;
        if (k == NPS_KIND_EI) need[NPS_SCORE_COMPOSITE] = 1;
    }
    /* Tolerance depends on the query kind only when it is left at default;
     * library weights do not depend on the tolerance, so one preparation per
     * score serves both kinds. */
    for (int t = 0; t < 4; t++)
        if (need[t]) {
            nps_score_options so;
            score_opts_for(&so, o, (nps_score_type)t, NPS_KIND_MSMS);
            if ((rc = prepare_lib(&prep[t], lib, &so))) goto out;
        }
    order = malloc((nl ? nl : 1) * sizeof *order);
    if (!order) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nl; i++)
        if (!isnan(nps_spectra_precursor_mz(lib, i)))
            order[norder++] = (prec_t){nps_spectra_precursor_mz(lib, i), i};
    qsort(order, norder, sizeof *order, cmp_prec);

    size_t K = o->top_k;
    slots = malloc((nq ? nq : 1) * K * sizeof *slots);
    counts = calloc(nq ? nq : 1, sizeof *counts);
    h = calloc(1, sizeof *h);
    if (!slots || !counts || !h) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    size_t done = 0;
    int shared_rc = 0;
    const double *lmz0 = NULL;
    {
        const float *i0;
        size_t k0;
        if (nl) nps_spectra_peaks(lib, 0, &lmz0, &i0, &k0);
    }
    nps_search_mode *modes = malloc((nq ? nq : 1) * sizeof *modes);
    nps_score_type *types = malloc((nq ? nq : 1) * sizeof *types);
    if (!modes || !types) {
        free(modes);
        free(types);
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }

#ifdef _OPENMP
    /* read by the pragma below, which the analyzer does not see */
    int nthreads = o->threads > 0 ? o->threads : omp_get_max_threads(); // NOLINT
    (void)nthreads;
#endif
#pragma omp parallel num_threads(nthreads)
    {
        nps_score_workspace *ws = NULL;
        double *qw = NULL, *qv = NULL;
        size_t qcap = 0;
        int trc = nps_score_workspace_create(&ws);
#pragma omp for schedule(dynamic, 4)
        for (size_t q = 0; q < nq; q++) {
            if (trc || shared_rc) continue;
            const double *qmz;
            const float *qin;
            size_t qn;
            nps_spectra_peaks(qp, q, &qmz, &qin, &qn);
            nps_kind kind = nps_spectra_kind(qp, q);
            nps_score_type t =
                o->score == NPS_SCORE_AUTO ? nps_search_default_score(kind) : o->score;
            double pq = nps_spectra_precursor_mz(qp, q);
            nps_search_mode mode = o->mode;
            if (mode == NPS_MODE_AUTO)
                mode = (kind == NPS_KIND_MSMS && !isnan(pq)) ? NPS_MODE_IDENTITY : NPS_MODE_OPEN;
            if (mode == NPS_MODE_IDENTITY && isnan(pq)) mode = NPS_MODE_OPEN;
            modes[q] = mode;
            types[q] = t;
            if (qn > qcap) {
                free(qw);
                free(qv);
                qcap = qn;
                qw = malloc(qcap * sizeof *qw);
                qv = malloc(qcap * sizeof *qv);
                if (!qw || !qv) {
                    trc = NPS_ENOMEM;
                    qcap = 0;
                    continue;
                }
            }
            nps_score_options so;
            score_opts_for(&so, o, t, kind);
            nps_prep Q = {qmz, qin, qw, qv, qn, 0};
            Q.norm = nps_score_prepare(qw, qv, qmz, qin, qn, &so);

            size_t lo = 0, hi = nl, use_order = 0;
            if (mode == NPS_MODE_IDENTITY) {
                double tol = o->precursor_tolerance_ppm ? o->precursor_tolerance * 1e-6 * pq
                                                        : o->precursor_tolerance;
                double a = pq - tol, b = pq + tol;
                size_t l = 0, r = norder;
                while (l < r) {
                    size_t m = (l + r) / 2;
                    if (order[m].prec < a)
                        l = m + 1;
                    else
                        r = m;
                }
                lo = l;
                r = norder;
                while (l < r) {
                    size_t m = (l + r) / 2;
                    if (order[m].prec <= b)
                        l = m + 1;
                    else
                        r = m;
                }
                hi = l;
                use_order = 1;
            }
            cand_t *heap = slots + q * K;
            size_t nh = 0;
            const lib_prep *lp = &prep[t];
            for (size_t c = lo; c < hi; c++) {
                size_t ri = use_order ? order[c].idx : c;
                if (o->same_kind_only && nps_spectra_kind(lib, ri) != kind) continue;
                const double *rmz;
                const float *rin;
                size_t rn;
                nps_spectra_peaks(lib, ri, &rmz, &rin, &rn);
                size_t off = (size_t)(rmz - lmz0);
                nps_prep R = {rmz, rin, lp->w + off, lp->v + off, rn, lp->norm[ri]};
                nps_score_result res;
                if (nps_score_prepared(&res, NULL, NULL, ws, &Q, &R, &so)) {
                    trc = NPS_ENOMEM;
                    break;
                }
                if (res.score > 0 && res.score >= o->min_score)
                    heap_push(heap, &nh, K, (cand_t){res.score, ri, res.matched}, lib);
            }
            sort_ranked(heap, nh, lib);
            counts[q] = nh;
            size_t d;
#pragma omp atomic capture
            d = ++done;
#ifdef _OPENMP
            if (o->progress && omp_get_thread_num() == 0) o->progress(o->progress_ctx, d, nq);
#else
            if (o->progress) o->progress(o->progress_ctx, d, nq);
#endif
        }
        if (trc) {
#pragma omp critical
            shared_rc = trc;
        }
        free(qw);
        free(qv);
        nps_score_workspace_free(ws);
    }
    if (shared_rc) {
        free(modes);
        free(types);
        rc = shared_rc == NPS_ENOMEM ? nps_err(NPS_ENOMEM, "out of memory during search")
                                     : shared_rc;
        goto out;
    }
    /* gather, and the composite match factor of EI hits */
    size_t total = 0;
    for (size_t q = 0; q < nq; q++) total += counts[q];
    h->hits = malloc((total ? total : 1) * sizeof *h->hits);
    h->qoff = malloc((nq + 1) * sizeof *h->qoff);
    if (!h->hits || !h->qoff) {
        free(modes);
        free(types);
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    h->nq = nq;
    nps_score_workspace *ws;
    if ((rc = nps_score_workspace_create(&ws))) {
        free(modes);
        free(types);
        goto out;
    }
    for (size_t q = 0; q < nq; q++) {
        h->qoff[q] = h->n;
        const double *qmz;
        const float *qin;
        size_t qn;
        nps_spectra_peaks(qp, q, &qmz, &qin, &qn);
        nps_kind kind = nps_spectra_kind(qp, q);
        double *cw = NULL, *cv = NULL;
        nps_prep QC = {qmz, qin, NULL, NULL, qn, 0};
        nps_score_options sc;
        score_opts_for(&sc, o, NPS_SCORE_COMPOSITE, kind);
        if (kind == NPS_KIND_EI && counts[q]) {
            cw = malloc((qn ? qn : 1) * sizeof *cw);
            cv = malloc((qn ? qn : 1) * sizeof *cv);
            if (cw && cv) {
                QC.w = cw;
                QC.v = cv;
                QC.norm = nps_score_prepare(cw, cv, qmz, qin, qn, &sc);
            }
        }
        for (size_t k = 0; k < counts[q]; k++) {
            cand_t *c = &slots[q * K + k];
            nps_hit *hit = &h->hits[h->n++];
            hit->query = q;
            hit->rank = k + 1;
            hit->reference = c->ref;
            hit->score = c->score;
            hit->matched = c->matched;
            hit->score_type = types[q];
            hit->mode = modes[q];
            hit->composite = NAN;
            if (kind == NPS_KIND_EI) {
                if (types[q] == NPS_SCORE_COMPOSITE && !o->reverse)
                    hit->composite = c->score;
                else if (QC.w) {
                    const double *rmz;
                    const float *rin;
                    size_t rn, m;
                    nps_spectra_peaks(lib, c->ref, &rmz, &rin, &rn);
                    size_t off = (size_t)(rmz - lmz0);
                    nps_prep R = {rmz,
                                  rin,
                                  prep[NPS_SCORE_COMPOSITE].w + off,
                                  prep[NPS_SCORE_COMPOSITE].v + off,
                                  rn,
                                  prep[NPS_SCORE_COMPOSITE].norm[c->ref]};
                    hit->composite = nps_score_composite_prepared(ws, &QC, &R, &sc, &m);
                }
            }
        }
        free(cw);
        free(cv);
    }
    h->qoff[nq] = h->n;
    nps_score_workspace_free(ws);
    free(modes);
    free(types);
    *out = h;
    h = NULL;
out:
    nps_hits_free(h);
    for (int t = 0; t < 4; t++) {
        free(prep[t].w);
        free(prep[t].v);
        free(prep[t].norm);
    }
    free(order);
    free(slots);
    free(counts);
    nps_spectra_free(qp);
    return rc;
}

/*
 * A batch of queries: the loop over nps_search_query (and, with
 * options.mixtures, nps_search_query_mixture), in parallel.
 *
 * This is a thin client of the per-query call, like any front end: one
 * workspace per thread, dynamic scheduling (queries differ in cost by orders
 * of magnitude), each query's hits written into its own slot, so the result
 * is the same for any number of threads. The first failure stops the batch;
 * its code and its message, which live in the failing worker's thread-local
 * error buffer, are copied out under a lock and raised again on the calling
 * thread, so the caller reads the worker's own words.
 */
#include "hits.h"
#include "plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void nps_hits_free(nps_hits *h)
{
    if (!h) return;
    free(h->hits);
    free(h->qoff);
    free(h->absent);
    free(h->mix);
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

const nps_mixture *nps_hits_mixture(const nps_hits *h, size_t query)
{
    return h->mix && query < h->nq ? &h->mix[query] : NULL;
}

size_t nps_hits_queries_without_hit(const nps_hits *h)
{
    size_t k = 0;
    for (size_t q = 0; q < h->nq; q++) k += h->qoff[q + 1] == h->qoff[q];
    return k;
}

size_t nps_hits_queries_kind_absent(const nps_hits *h)
{
    return h->n_kind_absent;
}

/* The first error of a parallel region, carried out of its worker. */
typedef struct {
    int code;
    char message[1024];
} worker_error;

static void worker_fail(worker_error *e, int code)
{
    /* the message first, then the code (read atomically by the other
     * workers, which stop when they see it) */
#pragma omp critical(nps_batch_error)
    {
        if (!__atomic_load_n(&e->code, __ATOMIC_SEQ_CST)) {
            snprintf(e->message, sizeof e->message, "%s", nps_error_last());
            __atomic_store_n(&e->code, code, __ATOMIC_SEQ_CST);
        }
    }
}

int nps_search_batch(nps_hits **out, const nps_plan *plan, const nps_spectra *queries)
{
    if (!out || !plan || !queries) return nps_err(NPS_EINVAL, "NULL argument");
    const nps_search_options *o = nps_plan_options(plan);
    size_t nq = nps_spectra_count(queries), K = o->top_k;
    nps_hits *h = calloc(1, sizeof *h);
    nps_hit **results = calloc(nq ? nq : 1, sizeof(nps_hit *)); /* per query, its hits */
    size_t *counts = calloc(nq ? nq : 1, sizeof *counts);
    unsigned char *absent = calloc(nq ? nq : 1, 1);
    nps_mixture *mix = o->mixtures ? calloc(nq ? nq : 1, sizeof *mix) : NULL;
    if (!h || !results || !counts || !absent || (o->mixtures && !mix)) {
        free(h);
        free(results);
        free(counts);
        free(absent);
        free(mix);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    worker_error err = {0, ""};
    size_t done = 0;
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
    /* more threads than queries or than 4x the processors only cost memory
     * (each owns per-library accumulators) */
    if (nthreads > 4 * omp_get_num_procs()) nthreads = 4 * omp_get_num_procs();
#endif
    /* read by the pragma below, which the analyzer does not see */
    if ((size_t)nthreads > nq) nthreads = nq ? (int)nq : 1; // NOLINT
#pragma omp parallel num_threads(nthreads)
    {
        nps_workspace *ws = NULL;
        nps_hit *scratch = malloc(K * sizeof *scratch);
        int rc = scratch ? nps_workspace_create(&ws, plan) : nps_err(NPS_ENOMEM, "out of memory");
        if (rc) worker_fail(&err, rc);
#pragma omp for schedule(dynamic, 4)
        for (size_t q = 0; q < nq; q++) {
            int stop;
#pragma omp atomic read
            stop = err.code;
            if (stop || !ws) continue;
#ifdef _OPENMP
            double t0 = o->query_seconds ? omp_get_wtime() : 0;
#endif
            nps_query_info info;
            rc = nps_search_query(scratch, &info, ws, plan, queries, q);
            if (!rc && mix)
                rc = nps_search_query_mixture(&mix[q], ws, plan, queries, q, scratch, info.n_hits);
            if (!rc && info.n_hits) {
                results[q] = malloc(info.n_hits * sizeof **results);
                if (results[q])
                    memcpy(results[q], scratch, info.n_hits * sizeof **results);
                else
                    rc = nps_err(NPS_ENOMEM, "out of memory");
            }
            if (rc) {
                worker_fail(&err, rc);
                continue;
            }
            counts[q] = info.n_hits;
            absent[q] = (unsigned char)info.no_library_kind;
#ifdef _OPENMP
            if (o->query_seconds) o->query_seconds[q] = omp_get_wtime() - t0;
#endif
            size_t d;
#pragma omp atomic capture
            d = ++done;
#ifdef _OPENMP
            if (o->progress && omp_get_thread_num() == 0) o->progress(o->progress_ctx, d, nq);
#else
            if (o->progress) o->progress(o->progress_ctx, d, nq);
#endif
        }
        nps_workspace_free(ws);
        free(scratch);
    }
    int rc = 0;
    if (err.code) {
        rc = nps_err(err.code, "%s", err.message);
        goto out;
    }
    /* gather: hits in query order, then rank order */
    size_t total = 0;
    for (size_t q = 0; q < nq; q++) total += counts[q];
    h->qoff = malloc((nq + 1) * sizeof *h->qoff);
    h->hits = malloc((total ? total : 1) * sizeof *h->hits);
    if (!h->qoff || !h->hits) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t q = 0; q < nq; q++) {
        h->qoff[q] = h->n;
        if (counts[q]) memcpy(h->hits + h->n, results[q], counts[q] * sizeof *h->hits);
        h->n += counts[q];
        h->n_kind_absent += absent[q];
    }
    h->qoff[nq] = h->n;
    h->nq = nq;
    h->absent = absent;
    absent = NULL;
    h->mix = mix;
    mix = NULL;
    *out = h;
    h = NULL;
out:
    for (size_t q = 0; q < nq; q++) free(results[q]);
    free(results);
    free(counts);
    free(absent);
    free(mix);
    nps_hits_free(h);
    return rc;
}

int nps_search_run(nps_hits **out, const nps_library *lib, const nps_spectra *queries,
                   const nps_search_options *options)
{
    if (!out || !lib || !queries || !options) return nps_err(NPS_EINVAL, "NULL argument");
    nps_search_options o = *options;
    if (!o.query_forms) /* prepare only for the forms of query this batch holds */
        for (size_t q = 0; q < nps_spectra_count(queries); q++)
            o.query_forms |= NPS_QUERY_FORM(nps_spectra_kind(queries, q),
                                            isfinite(nps_spectra_precursor_mz(queries, q)));
    if (!o.query_forms) o.query_forms = NPS_QUERY_FORM(NPS_KIND_MSMS, 1); /* an empty batch */
    nps_plan *plan = NULL;
    int rc = nps_plan_create(&plan, lib, &o);
    if (rc) return rc;
    rc = nps_search_batch(out, plan, queries);
    nps_plan_free(plan);
    return rc;
}

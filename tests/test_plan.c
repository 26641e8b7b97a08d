/*
 * The search core: one plan, many threads, one query at a time.
 *
 *  - Eight threads share one library and one plan, each with its own
 *    workspace, and search the queries in an order that differs from the
 *    serial one (strided and reversed): every mode (identity, open, hybrid,
 *    neutral loss, shift, analogue), with e-values, gives the hits of the
 *    serial run, field for field. The batch call agrees for 1 and 3 threads,
 *    and so does the target-decoy search (q-values).
 *  - The mode and score tables are complete: every entry has a name that
 *    parses back to it, every mode resolves (for every kind, with and without
 *    a precursor) to a mode that searches, every score prepares, scores and
 *    bounds, and every kind and score has call thresholds.
 *  - An error raised inside a worker thread reaches the caller with its own
 *    code and message; a message may quote the previous one.
 *  - A workspace is bounded: its bytes are reported and do not grow when the
 *    same queries are searched again.
 *  - The fragment index's entries give back their peaks (nps_index_peaks)
 *    and carry any per-peak array into index order (nps_index_gather) the
 *    same way on 1 to 7 threads, with and without a peak map.
 *  - The exact library weights kept in the plan (small libraries) and those
 *    prepared per candidate (large ones) give the same hits, bit for bit, in
 *    every mode and score.
 */
#include "../bench/synth.h"
#include "../src/core/internal.h"
#include "../src/scoring/scoring.h"
#include "../src/search/plan.h"
#include "check.h"
#include "scratch.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define NTHREADS 8

static void ei_add(nps_spectra *s, const double *mz, const float *in, size_t n, const char *id,
                   const char *cls)
{
    const char *k[] = {"Name", "DB#", "Ionization", "Class"};
    const char *v[] = {id, id, "EI", cls};
    CHECK(nps_spectra_add(s, mz, in, n, k, v, 4) == 0);
}

/* n EI spectra (unit masses 30-400), and for every 5th of them a +14
 * analogue in `analogues` (fragments above 150 moved up by 14). */
static void ei_set(nps_spectra *lib, nps_spectra *analogues, size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        double mz[48];
        float in[48];
        size_t np = 20 + gsl_rng_uniform_int(r, 28);
        synth_ei_peaks(r, mz, in, np);
        char id[32];
        snprintf(id, sizeof id, "EI%04zu", i);
        ei_add(lib, mz, in, np, id, i % 2 ? "odd" : "even");
        if (analogues && i % 5 == 0) {
            for (size_t j = 0; j < np; j++)
                if (mz[j] > 150) mz[j] += 14;
            snprintf(id, sizeof id, "AN%04zu", i);
            ei_add(analogues, mz, in, np, id, "");
        }
    }
    gsl_rng_free(r);
}

/* A mixed library (synthetic MS/MS with precursors, EI) and queries of both
 * kinds: library spectra jittered, MS/MS analogues (+14 on the precursor and
 * on half the fragments), EI analogues. */
static void mixed(nps_library **lib, nps_spectra **queries)
{
    nps_spectra *s, *q;
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    CHECK(synth_library(s, 1500, 21) == 0);
    CHECK(synth_queries(q, NULL, s, 60, 22) == 0);
    size_t nms = nps_spectra_count(q);
    for (size_t i = 0; i < nms; i += 3) { /* analogues of the first queries */
        const double *m;
        const float *v;
        size_t n;
        nps_spectra_peaks(q, i, &m, &v, &n);
        double mz[80];
        float in[80];
        for (size_t j = 0; j < n && j < 80; j++) {
            mz[j] = m[j] + (j % 2 ? 14.01565 : 0);
            in[j] = v[j];
        }
        char id[32];
        snprintf(id, sizeof id, "MSAN%03zu", i);
        synth_add(q, mz, in, n < 80 ? n : 80, id, nps_spectra_precursor_mz(q, i) + 14.01565);
    }
    ei_set(s, q, 300, 23);
    CHECK(nps_library_create(lib, s, NULL) == 0);
    nps_spectra_free(s);
    *queries = q;
}

/* The hits of every query, searched by NTHREADS threads over one plan in a
 * scrambled order, each thread with its own workspace. */
static nps_hit *threaded(size_t *counts, const nps_plan *plan, const nps_spectra *q)
{
    size_t nq = nps_spectra_count(q), K = nps_plan_options(plan)->top_k;
    nps_hit *all = calloc(nq * K, sizeof *all);
    int failed = 0;
#pragma omp parallel num_threads(NTHREADS)
    {
        nps_workspace *ws = NULL;
        if (nps_workspace_create(&ws, plan)) {
#pragma omp atomic write
            failed = 1;
        }
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        nt = omp_get_num_threads();
#endif
        /* thread t takes queries t, t + nt, ... from the end backwards */
        for (size_t j = (size_t)t; ws && j < nq; j += (size_t)nt) {
            size_t i = nq - 1 - j;
            nps_query_info info;
            if (nps_search_query(all + i * K, &info, ws, plan, q, i)) {
#pragma omp atomic write
                failed = 1;
            }
            counts[i] = info.n_hits;
        }
        nps_workspace_free(ws);
    }
    CHECK(!failed);
    return all;
}

static void eight_threads(void)
{
    nps_library *lib;
    nps_spectra *q;
    mixed(&lib, &q);
    size_t nq = nps_spectra_count(q);
    static const nps_search_mode modes[] = {
        NPS_MODE_AUTO,  NPS_MODE_IDENTITY,     NPS_MODE_OPEN,    NPS_MODE_HYBRID,
        NPS_MODE_SHIFT, NPS_MODE_NEUTRAL_LOSS, NPS_MODE_ANALOGUE};
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
        for (int s = 0; s < 2; s++) {
            nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
            o.mode = modes[m];
            o.score = s ? NPS_SCORE_COSINE : NPS_SCORE_AUTO;
            o.evalues = 1;
            o.threads = 1;
            nps_plan *plan;
            CHECK(nps_plan_create(&plan, lib, &o) == 0);
            nps_hits *serial;
            CHECK(nps_search_batch(&serial, plan, q) == 0);
            size_t *counts = calloc(nq, sizeof *counts);
            nps_hit *par = threaded(counts, plan, q);
            size_t K = nps_plan_options(plan)->top_k, differ = 0, with_e = 0;
            for (size_t i = 0; i < nq; i++) {
                size_t f, n;
                nps_hits_for_query(serial, i, &f, &n);
                if (n != counts[i]) differ++;
                for (size_t k = 0; k < n && k < counts[i]; k++) {
                    const nps_hit *a = nps_hits_at(serial, f + k), *b = &par[i * K + k];
                    with_e += !isnan(a->e_value);
                    differ += !hit_identical(a, b);
                }
            }
            CHECK_MSG(differ == 0, "mode %s score %d: %zu queries differ with %d threads",
                      nps_search_mode_name(modes[m]), (int)o.score, differ, NTHREADS);
            CHECK_MSG(nps_hits_count(serial) > nq / 2, "mode %s: %zu hits",
                      nps_search_mode_name(modes[m]), nps_hits_count(serial));
            CHECK_MSG(with_e > 0, "mode %s: no e-values", nps_search_mode_name(modes[m]));
            /* the batch call with 3 threads gives the serial hits */
            nps_search_options o3 = o;
            o3.threads = 3;
            nps_hits *h3;
            CHECK(nps_search_run(&h3, lib, q, &o3) == 0);
            CHECK_MSG(hits_identical(serial, h3, "3 threads"), "mode %s",
                      nps_search_mode_name(modes[m]));
            nps_hits_free(h3);
            free(par);
            free(counts);
            nps_hits_free(serial);
            nps_plan_free(plan);
        }
    /* target-decoy q-values do not depend on the thread count either */
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.threads = 1;
    nps_hits *d1, *d3;
    double t1, t3;
    CHECK(nps_search_target_decoy(&d1, lib, q, &o, 0.05, &t1, NULL) == 0);
    o.threads = 3;
    CHECK(nps_search_target_decoy(&d3, lib, q, &o, 0.05, &t3, NULL) == 0);
    CHECK(hits_identical(d1, d3, "target-decoy, 1 and 3 threads"));
    CHECK(same_double(t1, t3));
    size_t with_q = 0;
    for (size_t i = 0; i < nps_hits_count(d1); i++) with_q += !isnan(nps_hits_at(d1, i)->q_value);
    CHECK(with_q > 0);
    nps_hits_free(d1);
    nps_hits_free(d3);
    nps_spectra_free(q);
    nps_library_free(lib);
}

/* Every table entry is complete; names parse back. */
static void tables(void)
{
    for (int m = 0; m < NPS_MODE_COUNT; m++) {
        const nps_mode_ops *ops = nps_mode_table[m];
        CHECK_MSG(ops && ops->name && ops->name[0], "mode %d has no entry", m);
        if (!ops) continue;
        nps_search_mode back;
        CHECK(nps_search_mode_parse(&back, ops->name) == 0 && back == (nps_search_mode)m);
        CHECK(strcmp(nps_search_mode_name((nps_search_mode)m), ops->name) == 0);
        CHECK_MSG(ops->search || ops->resolve, "mode %s neither searches nor resolves", ops->name);
        for (int k = 0; k < NPS_KIND_COUNT; k++)
            for (int pr = 0; pr < 2; pr++) {
                nps_search_mode r = nps_mode_resolve((nps_search_mode)m, (nps_kind)k, pr);
                CHECK_MSG(r >= 0 && r < NPS_MODE_COUNT && nps_mode_table[r]->search &&
                              nps_mode_table[r]->prepare,
                          "mode %s, kind %d, precursor %d resolves to %d", ops->name, k, pr,
                          (int)r);
                /* a resolved mode resolves to itself */
                CHECK(nps_mode_resolve(r, (nps_kind)k, pr) == r);
            }
    }
    for (int k = 0; k < NPS_KIND_COUNT; k++)
        for (int pr = 0; pr < 2; pr++) {
            nps_search_mode r = nps_mode_resolve(NPS_MODE_AUTO, (nps_kind)k, pr);
            CHECK(r >= 0 && r < NPS_MODE_COUNT && nps_mode_table[r]->search);
        }
    nps_search_mode bad;
    CHECK(nps_search_mode_parse(&bad, "sideways") == NPS_EINVAL);
    CHECK(strstr(nps_error_last(), "neutral-loss") != NULL); /* the list of modes */
    CHECK(strcmp(nps_search_mode_name(NPS_MODE_COUNT), "?") == 0);
    for (int t = 0; t < NPS_SCORE_COUNT; t++) {
        const nps_score_ops *ops = nps_score_table[t];
        CHECK_MSG(ops && ops->name && ops->prepare && ops->pair, "score %d has no entry", t);
        if (!ops) continue;
        CHECK_MSG(ops->bound || ops->bound_scale > 0, "score %s has no index bound", ops->name);
        nps_score_type back;
        CHECK(nps_score_parse(&back, ops->name) == 0 && back == (nps_score_type)t);
        for (int k = 0; k < NPS_KIND_COUNT; k++) {
            double id = -1, an = -1;
            nps_call_default_thresholds((nps_kind)k, (nps_score_type)t, &id, &an);
            CHECK_MSG(id > 0 && id <= 1 && an > 0 && an <= 1, "score %s kind %d: thresholds %g %g",
                      ops->name, k, id, an);
        }
        /* a pair scores itself at (about) 1 and an unrelated spectrum at 0 */
        const double mz[] = {50.0, 77.0, 91.0, 105.0};
        const float in[] = {10, 40, 100, 30};
        const double mz2[] = {60.0, 80.0};
        const float in2[] = {10, 10};
        nps_score_options so = NPS_SCORE_OPTIONS_INIT;
        so.type = (nps_score_type)t;
        nps_score_workspace *sw;
        CHECK(nps_score_workspace_create(&sw) == 0);
        nps_score_result r;
        CHECK(nps_score_pair(&r, NULL, NULL, sw, mz, in, 4, mz, in, 4, &so) == 0);
        CHECK_MSG(fabs(r.score - 1) < 1e-9 && r.matched == 4, "score %s self %g", ops->name,
                  r.score);
        CHECK(nps_score_pair(&r, NULL, NULL, sw, mz, in, 4, mz2, in2, 2, &so) == 0);
        CHECK(r.score == 0 && r.matched == 0);
        nps_score_workspace_free(sw);
    }
    CHECK(strcmp(nps_score_name(NPS_SCORE_COUNT), "?") == 0);
}

/* A worker's error reaches the caller, code and message: a plan made for
 * MS/MS queries only, asked to search an EI query in a parallel batch. */
static void worker_errors(void)
{
    nps_library *lib;
    nps_spectra *q;
    mixed(&lib, &q);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.query_forms = NPS_QUERY_FORM(NPS_KIND_MSMS, 1) | NPS_QUERY_FORM(NPS_KIND_MSMS, 0);
    o.threads = 4;
    nps_plan *plan;
    CHECK(nps_plan_create(&plan, lib, &o) == 0);
    nps_error_clear();
    nps_hits *h = NULL;
    CHECK(nps_search_batch(&h, plan, q) == NPS_EINVAL);
    CHECK(h == NULL);
    CHECK_MSG(strstr(nps_error_last(), "not prepared for EI queries") != NULL, "message: '%s'",
              nps_error_last());
    /* a plan prepares only the forms asked for: MS/MS queries with a
     * precursor run identity search, so no open-search weights are built */
    CHECK(plan->main.wt[NPS_SCORE_ENTROPY] != NULL);
    CHECK(plan->main.wt[NPS_SCORE_ENTROPY] && plan->main.wt[NPS_SCORE_ENTROPY]->iw != NULL);
    nps_plan *ident;
    nps_search_options oi = o;
    oi.query_forms = NPS_QUERY_FORM(NPS_KIND_MSMS, 1);
    CHECK(nps_plan_create(&ident, lib, &oi) == 0);
    CHECK(ident->main.wt[NPS_SCORE_ENTROPY] && ident->main.wt[NPS_SCORE_ENTROPY]->iw == NULL);
    CHECK(ident->main.wt[NPS_SCORE_COMPOSITE] == NULL && ident->shift[NPS_SCORE_COMPOSITE] == NULL);
    nps_plan_free(ident);
    /* and the per-query call says the same on this thread */
    nps_workspace *ws;
    CHECK(nps_workspace_create(&ws, plan) == 0);
    nps_hit hits[10];
    CHECK(nps_search_query(hits, NULL, ws, plan, q, nps_spectra_count(q) - 1) == NPS_EINVAL);
    CHECK(nps_search_query(hits, NULL, ws, plan, q, nps_spectra_count(q)) == NPS_EINVAL);
    nps_plan *other;
    CHECK(nps_plan_create(&other, lib, &o) == 0);
    CHECK(nps_search_query(hits, NULL, ws, other, q, 0) == NPS_EINVAL); /* another plan's */
    CHECK(strstr(nps_error_last(), "another plan") != NULL);
    nps_plan_free(other);
    nps_workspace_free(ws);
    nps_plan_free(plan);
    /* a message may quote the previous one (it is formatted, then copied) */
    nps_err(NPS_EINVAL, "inner message");
    CHECK(nps_err(NPS_ELIBRARY, "lib.h5: %s", nps_error_last()) == NPS_ELIBRARY);
    CHECK_MSG(strcmp(nps_error_last(), "lib.h5: inner message") == 0, "'%s'", nps_error_last());
    nps_err_at(NPS_EFORMAT, "a.msp", 7, "bad peak");
    nps_err(NPS_EFORMAT, "%s (and more)", nps_error_last());
    CHECK(strcmp(nps_error_last(), "a.msp:7: bad peak (and more)") == 0);
    /* NULL arguments are refused, not dereferenced */
    CHECK(nps_plan_create(&plan, NULL, &o) == NPS_EINVAL);
    CHECK(nps_plan_create(&plan, lib, NULL) == NPS_EINVAL);
    CHECK(nps_workspace_create(&ws, NULL) == NPS_EINVAL);
    CHECK(nps_search_batch(&h, NULL, q) == NPS_EINVAL);
    CHECK(nps_search_run(&h, lib, NULL, &o) == NPS_EINVAL);
    /* invalid options are refused at plan creation */
    nps_search_options bad = NPS_SEARCH_OPTIONS_INIT;
    bad.top_k = 0;
    CHECK(nps_plan_create(&plan, lib, &bad) == NPS_EINVAL);
    bad = (nps_search_options)NPS_SEARCH_OPTIONS_INIT;
    bad.mode = NPS_MODE_COUNT;
    CHECK(nps_plan_create(&plan, lib, &bad) == NPS_EINVAL);
    bad = (nps_search_options)NPS_SEARCH_OPTIONS_INIT;
    bad.score = NPS_SCORE_COUNT;
    CHECK(nps_plan_create(&plan, lib, &bad) == NPS_EINVAL);
    nps_spectra_free(q);
    nps_library_free(lib);
}

/* Per-thread memory: the fixed part is 8 bytes per library spectrum (16 with
 * a composite index); the rest grows to the largest query and then stays. */
static void workspace_bytes(void)
{
    nps_library *lib;
    nps_spectra *q;
    mixed(&lib, &q);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_ANALOGUE;
    o.evalues = 1;
    nps_plan *plan;
    CHECK(nps_plan_create(&plan, lib, &o) == 0);
    nps_workspace *ws;
    CHECK(nps_workspace_create(&ws, plan) == 0);
    size_t nl = nps_spectra_count(nps_library_processed(lib)), b0 = nps_workspace_bytes(ws);
    CHECK(b0 >= (sizeof(float) + sizeof(uint32_t)) * nl);
    nps_hit hits[10];
    for (size_t i = 0; i < nps_spectra_count(q); i++)
        CHECK(nps_search_query(hits, NULL, ws, plan, q, i) == 0);
    size_t b1 = nps_workspace_bytes(ws);
    for (size_t i = 0; i < nps_spectra_count(q); i++)
        CHECK(nps_search_query(hits, NULL, ws, plan, q, i) == 0);
    size_t b2 = nps_workspace_bytes(ws);
    printf("workspace: %zu library spectra; %zu bytes new, %zu after one pass, %zu after two "
           "(fixed part %zu bytes per spectrum)\n",
           nl, b0, b1, b2, sizeof(float) + sizeof(uint32_t));
    CHECK(b2 == b1);
    nps_workspace_free(ws);
    nps_plan_free(plan);
    nps_spectra_free(q);
    nps_library_free(lib);
}

/* The composite MF of an EI hit is the plain composite of the pair whatever
 * ranked it: for a hybrid hit (an EI query that carries a precursor) it
 * equals the MF that open composite search gives the same reference. */
static void composite_of_hybrid_hits(void)
{
    nps_library *lib;
    nps_spectra *q, *ei;
    mixed(&lib, &q);
    CHECK(nps_spectra_create(&ei) == 0);
    for (size_t i = 0; i < nps_spectra_count(q); i++) {
        if (nps_spectra_kind(q, i) != NPS_KIND_EI) continue;
        const double *m;
        const float *v;
        size_t n;
        nps_spectra_peaks(q, i, &m, &v, &n);
        const char *k[] = {"Name", "Ionization", "PrecursorMZ"};
        const char *val[] = {nps_spectra_id(q, i), "EI", "400"};
        CHECK(nps_spectra_add(ei, m, v, n, k, val, 3) == 0);
    }
    CHECK(nps_spectra_count(ei) > 10 && nps_spectra_kind(ei, 0) == NPS_KIND_EI);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.score = NPS_SCORE_COMPOSITE;
    o.top_k = 3;
    o.mode = NPS_MODE_HYBRID;
    nps_hits *hy, *op;
    CHECK(nps_search_run(&hy, lib, ei, &o) == 0);
    o.mode = NPS_MODE_OPEN;
    o.top_k = 300;
    CHECK(nps_search_run(&op, lib, ei, &o) == 0);
    size_t compared = 0, differ = 0, unlike_score = 0;
    for (size_t i = 0; i < nps_hits_count(hy); i++) {
        const nps_hit *h = nps_hits_at(hy, i);
        CHECK(h->mode == NPS_MODE_HYBRID);
        unlike_score += fabs(h->composite - h->score) > 1e-6;
        size_t f, n;
        nps_hits_for_query(op, h->query, &f, &n);
        for (size_t k = 0; k < n; k++)
            if (nps_hits_at(op, f + k)->reference == h->reference) {
                compared++;
                differ += fabs(nps_hits_at(op, f + k)->composite - h->composite) > 1e-12;
            }
    }
    printf("hybrid EI hits: %zu compared with open composite, %zu differ; %zu with MF != "
           "hybrid score\n",
           compared, differ, unlike_score);
    CHECK(compared > 10 && differ == 0 && unlike_score > 0);
    nps_hits_free(hy);
    nps_hits_free(op);
    nps_spectra_free(ei);
    nps_spectra_free(q);
    nps_library_free(lib);
}

/* Every mode and score, with the plan's weight cache and without it (the
 * limit set to 0, as for a library too large for it): the same hits, to the
 * last bit of every score. */
static void weight_cache(void)
{
    nps_library *lib;
    nps_spectra *q;
    mixed(&lib, &q);
    static const nps_search_mode modes[] = {
        NPS_MODE_AUTO,  NPS_MODE_IDENTITY,     NPS_MODE_OPEN,    NPS_MODE_HYBRID,
        NPS_MODE_SHIFT, NPS_MODE_NEUTRAL_LOSS, NPS_MODE_ANALOGUE};
    size_t compared = 0;
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
        for (int t = NPS_SCORE_AUTO; t < NPS_SCORE_COUNT; t++)
            for (int rev = 0; rev < 2; rev++) {
                nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
                o.mode = modes[m];
                o.score = (nps_score_type)t;
                o.reverse = rev;
                o.threads = 2;
                nps_hits *h[2] = {NULL, NULL};
                for (int cache = 0; cache < 2; cache++) {
                    nps_weight_cache_max_bytes = cache ? NPS_WEIGHT_CACHE_MAX_BYTES : 0;
                    nps_plan *plan;
                    CHECK(nps_plan_create(&plan, lib, &o) == 0);
                    const nps_weights *w = plan->main.wt[nps_search_default_score(NPS_KIND_MSMS)];
                    if (t == NPS_SCORE_AUTO && w) CHECK((w->w != NULL) == cache);
                    CHECK(nps_search_batch(&h[cache], plan, q) == 0);
                    nps_plan_free(plan);
                }
                nps_weight_cache_max_bytes = NPS_WEIGHT_CACHE_MAX_BYTES;
                if (!h[0] || !h[1]) continue;
                CHECK(nps_hits_count(h[0]) == nps_hits_count(h[1]));
                size_t differ = 0;
                for (size_t i = 0; i < nps_hits_count(h[0]) && i < nps_hits_count(h[1]); i++) {
                    const nps_hit *a = nps_hits_at(h[0], i), *b = nps_hits_at(h[1], i);
                    differ += a->query != b->query || a->reference != b->reference ||
                              memcmp(&a->score, &b->score, sizeof a->score) != 0 ||
                              a->matched != b->matched ||
                              !(a->composite == b->composite ||
                                (isnan(a->composite) && isnan(b->composite)));
                    compared++;
                }
                CHECK_MSG(differ == 0, "mode %d score %d reverse %d: %zu hits differ",
                          (int)modes[m], t, rev, differ);
                nps_hits_free(h[0]);
                nps_hits_free(h[1]);
            }
    CHECK(compared > 1000);
    nps_library_free(lib);
    nps_spectra_free(q);
}

/* The index's entries and their peaks: each peak once, each entry's m/z its
 * peak's; a gather by blocks on several threads equals the sequential walk. */
static void index_gather(void)
{
    nps_spectra *s;
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(synth_library(s, 4000, 31) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    nps_spectra_free(s);
    const nps_spectra *proc = nps_library_processed(lib);
    const nps_fragment_index *ix = nps_library_index(lib);
    size_t n = ix->n, P = nps_spectra_total_peaks(proc);
    CHECK(n == P);
    CHECK(n > ((size_t)1 << 16)); /* large enough for the parallel blocks */
    uint32_t *peak = malloc(n * sizeof *peak), *map = malloc(P * sizeof *map);
    unsigned char *seen = calloc(P, 1);
    float *by = malloc(P * sizeof *by), *out = malloc(n * sizeof *out);
    CHECK(nps_index_peaks(peak, ix, proc) == 0);
    const double *base;
    const float *in;
    size_t k0;
    nps_spectra_peaks(proc, 0, &base, &in, &k0);
    size_t bad = 0;
    for (size_t k = 0; k < n; k++) {
        bad += peak[k] >= P || seen[peak[k]]++ || ix->mz[k] != (float)base[peak[k]];
        if (k && ix->spec[k] == ix->spec[k - 1] && ix->mz[k] == ix->mz[k - 1])
            bad += peak[k] < peak[k - 1]; /* equal m/z of one spectrum: peak order */
    }
    CHECK_MSG(bad == 0, "%zu index entries give a wrong peak", bad);
    for (size_t q = 0; q < P; q++) {
        by[q] = (float)q;
        map[q] = (uint32_t)(P - 1 - q);
    }
    static const int threads[] = {1, 2, 3, 7};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
        for (int m = 0; m < 2; m++) {
            CHECK(nps_index_gather(out, ix, proc, by, m ? map : NULL, threads[t]) == 0);
            size_t differ = 0;
            for (size_t k = 0; k < n; k++) differ += out[k] != by[m ? map[peak[k]] : peak[k]];
            CHECK_MSG(differ == 0, "%d threads, map %d: %zu entries differ", threads[t], m, differ);
        }
    free(peak);
    free(map);
    free(seen);
    free(by);
    free(out);
    nps_library_free(lib);
}

/* A query that touches every library spectrum: the branch-free scan writes
 * one slot past the last touched spectrum (under AddressSanitizer, an
 * overflow if the list had only one slot per spectrum). */
static void touch_all(void)
{
    nps_spectra *s, *q;
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    for (int i = 0; i < 7; i++) {
        double mz[2] = {100.0, 150.0 + 10 * i};
        float in[2] = {100, 50};
        char id[16];
        snprintf(id, sizeof id, "ALL%d", i);
        synth_add(s, mz, in, 2, id, 300.0 + i);
    }
    double qm[2] = {100.0, 150.0};
    float qi[2] = {100, 50};
    synth_add(q, qm, qi, 2, "Q", 500.0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    for (int t = NPS_SCORE_AUTO; t < NPS_SCORE_COUNT; t++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = NPS_MODE_OPEN;
        o.score = (nps_score_type)t;
        o.top_k = 20;
        nps_plan *plan;
        CHECK(nps_plan_create(&plan, lib, &o) == 0);
        nps_hits *h;
        CHECK(nps_search_batch(&h, plan, q) == 0);
        CHECK_MSG(nps_hits_count(h) == 7, "score %d: %zu hits", t, nps_hits_count(h));
        nps_hits_free(h);
        nps_plan_free(plan);
    }
    nps_library_free(lib);
    nps_spectra_free(s);
    nps_spectra_free(q);
}

static size_t hits_differ(const nps_hit *a, const nps_hit *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += !hit_identical(&a[i], &b[i]);
    return d;
}

/* Leave out the library spectra whose index is congruent to the query's
 * modulo 7: exclusions inside the candidates of every query. */
static int exclude_mod7(void *ctx, size_t query, size_t reference)
{
    (void)ctx;
    return reference % 7 == query % 7;
}

/* The fragment-index scan kept with a touched list and with dense
 * accumulators (common.c chooses per query by its number of entries): the
 * same hits, to the last bit, for every mode, score and reverse setting, with
 * min_score, exclusions, kinds kept apart, a small and a large top K, and
 * e-values (which keep the touched list); the dense way is taken where it is
 * forced and allowed, and never where the list is forced. */
static void scan_ways(void)
{
    nps_library *lib;
    nps_spectra *q;
    mixed(&lib, &q);
    static const nps_search_mode modes[] = {NPS_MODE_AUTO,         NPS_MODE_IDENTITY,
                                            NPS_MODE_OPEN,         NPS_MODE_HYBRID,
                                            NPS_MODE_NEUTRAL_LOSS, NPS_MODE_ANALOGUE};
    size_t nq = nps_spectra_count(q), compared = 0, dense_runs = 0, touched_dense = 0;
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
        for (int t = NPS_SCORE_AUTO; t < NPS_SCORE_COUNT; t++)
            for (int variant = 0; variant < 6; variant++) {
                /* the composed modes run the others: two variants are enough */
                int composed = modes[m] == NPS_MODE_AUTO || modes[m] == NPS_MODE_ANALOGUE;
                if (composed && variant != 0 && variant != 2) continue;
                nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
                o.mode = modes[m];
                o.score = (nps_score_type)t;
                o.reverse = variant == 1;
                o.min_score = variant == 2 ? 0.35 : 0;
                o.top_k = variant == 3 ? 1 : variant == 4 ? 40 : 10;
                o.same_kind_only = variant != 4;
                o.evalues = variant == 5;
                if (variant == 2) {
                    o.exclude = exclude_mod7;
                    o.exclude_ctx = NULL;
                }
                /* wide identity windows go through the index (mode_identity.c) */
                if (modes[m] == NPS_MODE_IDENTITY) o.precursor_tolerance = 200;
                nps_plan *plan;
                CHECK(nps_plan_create(&plan, lib, &o) == 0);
                nps_workspace *ws;
                CHECK(nps_workspace_create(&ws, plan) == 0);
                size_t K = nps_plan_options(plan)->top_k;
                nps_hit *h[3];
                size_t *n[3];
                for (int way = 0; way < 3; way++) {
                    h[way] = calloc(nq * K, sizeof *h[way]);
                    n[way] = calloc(nq, sizeof *n[way]);
                    nps_scan_force = way == 0   ? NPS_SCAN_AUTO
                                     : way == 1 ? NPS_SCAN_TOUCHED
                                                : NPS_SCAN_DENSE;
                    for (size_t i = 0; i < nq; i++) {
                        nps_query_info info;
                        CHECK(nps_search_query(h[way] + i * K, &info, ws, plan, q, i) == 0);
                        n[way][i] = info.n_hits;
                        if (way == 2) dense_runs += (size_t)ws->dense;
                        if (way == 1) touched_dense += (size_t)ws->dense;
                    }
                }
                nps_scan_force = NPS_SCAN_AUTO;
                for (int way = 1; way < 3; way++) {
                    size_t differ = 0;
                    for (size_t i = 0; i < nq; i++) {
                        differ += n[way][i] != n[0][i];
                        if (n[way][i] == n[0][i])
                            differ += hits_differ(h[way] + i * K, h[0] + i * K, n[0][i]);
                        compared += n[0][i];
                    }
                    CHECK_MSG(differ == 0, "mode %d score %d variant %d way %d: %zu hits differ",
                              (int)modes[m], t, variant, way, differ);
                }
                for (int way = 0; way < 3; way++) {
                    free(h[way]);
                    free(n[way]);
                }
                nps_workspace_free(ws);
                nps_plan_free(plan);
            }
    CHECK(compared > 10000);
    printf("scan ways: %zu hits compared; %zu queries searched the dense way\n", compared,
           dense_runs);
    CHECK_MSG(dense_runs > 1000, "%zu queries searched the dense way", dense_runs);
    CHECK(touched_dense == 0);
    nps_library_free(lib);
    nps_spectra_free(q);
}

/* E-values from a dense scan (its own count and thinned null sample) and
 * from the touched list: the same hits and e-values, bit for bit, on a
 * library where queries touch thousands of spectra (a null-sample stride
 * above 1), in open and hybrid mode. */
static void evalue_ways(void)
{
    nps_spectra *s, *q;
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    CHECK(synth_library(s, 30000, 41) == 0);
    CHECK(synth_queries(q, NULL, s, 40, 42) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    nps_spectra_free(s);
    size_t nq = nps_spectra_count(q), strided = 0, fitted = 0;
    static const nps_search_mode modes[] = {NPS_MODE_OPEN, NPS_MODE_HYBRID};
    for (size_t m = 0; m < 2; m++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = modes[m];
        o.evalues = 1;
        nps_plan *plan;
        CHECK(nps_plan_create(&plan, lib, &o) == 0);
        nps_workspace *ws;
        CHECK(nps_workspace_create(&ws, plan) == 0);
        size_t K = nps_plan_options(plan)->top_k;
        nps_hit *h[2] = {calloc(nq * K, sizeof(nps_hit)), calloc(nq * K, sizeof(nps_hit))};
        size_t *n[2] = {calloc(nq, sizeof(size_t)), calloc(nq, sizeof(size_t))};
        for (int way = 0; way < 2; way++) {
            nps_scan_force = way ? NPS_SCAN_DENSE : NPS_SCAN_TOUCHED;
            for (size_t i = 0; i < nq; i++) {
                nps_query_info info;
                CHECK(nps_search_query(h[way] + i * K, &info, ws, plan, q, i) == 0);
                n[way][i] = info.n_hits;
                CHECK(ws->dense == way);
                if (way) strided += ws->thinned && nps_evalue_stride(ws->nc) > 1;
            }
        }
        nps_scan_force = NPS_SCAN_AUTO;
        size_t differ = 0;
        for (size_t i = 0; i < nq; i++) {
            differ += n[0][i] != n[1][i];
            if (n[0][i] != n[1][i]) continue;
            differ += hits_differ(h[0] + i * K, h[1] + i * K, n[0][i]);
            for (size_t k = 0; k < n[0][i]; k++) fitted += !isnan(h[0][i * K + k].e_value);
        }
        CHECK_MSG(differ == 0, "mode %d: %zu hits differ", (int)modes[m], differ);
        for (int way = 0; way < 2; way++) {
            free(h[way]);
            free(n[way]);
        }
        nps_workspace_free(ws);
        nps_plan_free(plan);
    }
    printf("e-values: %zu dense queries with a null-sample stride above 1, %zu hits with an "
           "e-value\n",
           strided, fitted);
    CHECK(strided > 10 && fitted > 100);
    nps_library_free(lib);
    nps_spectra_free(q);

    /* every touched spectrum at an even library index: all of them in the
     * sample of stride 2 (the sample's buffer must hold them) */
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    for (int i = 0; i < 5000; i++) {
        double mz[3] = {i % 2 ? 300.0 : 100.0, i % 2 ? 400.0 : 200.0, 500.0 + 0.1 * (i % 997)};
        float in[3] = {100, (float)(20 + i % 50), 10};
        char id[16];
        snprintf(id, sizeof id, "E%04d", i);
        synth_add(s, mz, in, 3, id, 600.0 + i % 100);
    }
    double qm[2] = {100.0, 200.0};
    float qi[2] = {100, 40};
    synth_add(q, qm, qi, 2, "Q", 650.0);
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    nps_spectra_free(s);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    o.evalues = 1;
    nps_plan *plan;
    CHECK(nps_plan_create(&plan, lib, &o) == 0);
    nps_workspace *ws;
    CHECK(nps_workspace_create(&ws, plan) == 0);
    nps_hit hd[10], ht[10];
    nps_query_info info[2];
    nps_scan_force = NPS_SCAN_DENSE;
    CHECK(nps_search_query(hd, &info[0], ws, plan, q, 0) == 0);
    CHECK(ws->dense && ws->thinned && ws->nc == 2500 && ws->nsample == 2500);
    nps_scan_force = NPS_SCAN_TOUCHED;
    CHECK(nps_search_query(ht, &info[1], ws, plan, q, 0) == 0);
    nps_scan_force = NPS_SCAN_AUTO;
    CHECK(info[0].n_hits == 10 && info[1].n_hits == 10 && hits_differ(hd, ht, 10) == 0);
    nps_workspace_free(ws);
    nps_plan_free(plan);
    nps_library_free(lib);
    nps_spectra_free(q);
}

/* The index's scan order (library/index.c): a permutation with its inverse;
 * every entry's spectrum, read through it, owns the entry's peak; the
 * spectra holding the most frequent 0.02 Da bin come first, as one run (the
 * rule's first consequence); the order survives a save and an open, with
 * the file's "spectrum" column holding library indices; the loss index of a
 * hybrid plan shares it. */
static void index_scan_order(void)
{
    nps_spectra *s;
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(synth_library(s, 3000, 47) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    nps_spectra_free(s);
    const nps_spectra *proc = nps_library_processed(lib);
    const nps_fragment_index *ix = nps_library_index(lib);
    size_t ns = nps_spectra_count(proc), P = nps_spectra_total_peaks(proc);
    CHECK(ix->lib_of != NULL && ix->pos_of != NULL && ix->nspec == ns);
    if (!ix->lib_of || !ix->pos_of) {
        nps_library_free(lib);
        return;
    }
    size_t bad = 0, moved = 0;
    for (size_t r = 0; r < ns; r++) {
        bad += ix->lib_of[r] >= ns || ix->pos_of[ix->lib_of[r]] != r;
        moved += ix->lib_of[r] != r;
    }
    CHECK_MSG(bad == 0, "%zu positions of the scan order are not a permutation", bad);
    CHECK(moved > ns / 2); /* synthetic spectra in no order of fragments */
    const double *base, *mz;
    const float *in;
    size_t k0, np;
    nps_spectra_peaks(proc, 0, &base, &in, &k0);
    uint32_t *peak = malloc(P * sizeof *peak);
    CHECK(nps_index_peaks(peak, ix, proc) == 0);
    bad = 0;
    for (size_t k = 0; k < ix->n; k++) {
        nps_spectra_peaks(proc, nps_index_spectrum(ix, k), &mz, &in, &np);
        size_t at = (size_t)(mz - base);
        bad += peak[k] < at || peak[k] >= at + np;
    }
    CHECK_MSG(bad == 0, "%zu entries' peaks are not their spectrum's", bad);
    free(peak);
    /* the most frequent bin, counted the rule's way */
    size_t nb = 0;
    for (size_t i = 0; i < ns; i++) {
        nps_spectra_peaks(proc, i, &mz, &in, &np);
        for (size_t j = 0; j < np; j++)
            if ((size_t)(mz[j] / 0.02) + 1 > nb) nb = (size_t)(mz[j] / 0.02) + 1;
    }
    size_t *cnt = calloc(nb, sizeof *cnt);
    unsigned char *has = calloc(ns, 1);
    for (size_t i = 0; i < ns; i++) {
        nps_spectra_peaks(proc, i, &mz, &in, &np);
        for (size_t j = 0; j < np; j++)
            if (!j || (size_t)(mz[j] / 0.02) != (size_t)(mz[j - 1] / 0.02))
                cnt[(size_t)(mz[j] / 0.02)]++;
    }
    size_t top = 0;
    for (size_t b = 1; b < nb; b++)
        if (cnt[b] > cnt[top]) top = b;
    for (size_t i = 0; i < ns; i++) {
        nps_spectra_peaks(proc, i, &mz, &in, &np);
        for (size_t j = 0; j < np; j++) has[i] |= (size_t)(mz[j] / 0.02) == top;
    }
    CHECK(cnt[top] > 1 && cnt[top] < ns);
    size_t run = 0;
    while (run < ns && has[ix->lib_of[run]]) run++;
    CHECK_MSG(run == cnt[top], "the most frequent bin's %zu spectra start with a run of %zu",
              cnt[top], run);
    free(cnt);
    free(has);
    /* save and open */
    CHECK(scratch_open("plan") == 0);
    const char *path = scratch_path("order.h5");
    CHECK(nps_library_save(lib, path) == 0);
    nps_library *back = NULL;
    CHECK(nps_library_open(&back, path) == 0);
    if (back) {
        const nps_fragment_index *bx = nps_library_index(back);
        CHECK(bx->n == ix->n && bx->lib_of != NULL);
        if (bx->lib_of && bx->n == ix->n) {
            CHECK(memcmp(bx->lib_of, ix->lib_of, ns * sizeof *ix->lib_of) == 0);
            CHECK(memcmp(bx->spec, ix->spec, ix->n * sizeof *ix->spec) == 0);
        }
        CHECK(nps_library_verify(back) == 0);
    }
    nps_library_free(back);
    scratch_close();
    /* the loss index of a hybrid plan */
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_HYBRID;
    nps_plan *p = NULL;
    CHECK(nps_plan_create(&p, lib, &o) == 0);
    if (p) {
        CHECK(nps_plan_losses(p) == 0);
        CHECK(p->loss_ix.lib_of != NULL);
        if (p->loss_ix.lib_of)
            CHECK(memcmp(p->loss_ix.lib_of, ix->lib_of, ns * sizeof *ix->lib_of) == 0);
    }
    nps_plan_free(p);
    nps_library_free(lib);
}

/* A unit-mass library (every EI window holds one m/z value): the entries of
 * each m/z come in ascending accumulator position (library/index.c,
 * sort_ties), after a build and after a save and an open, and the composite
 * search through the index equals the exhaustive one. */
static void index_ties_ascending(void)
{
    nps_spectra *s, *q;
    CHECK(nps_spectra_create(&s) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    ei_set(s, q, 800, 91);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    nps_spectra_free(s);
    for (int pass = 0; pass < 2 && lib; pass++) {
        const nps_fragment_index *ix = nps_library_index(lib);
        size_t bad = 0, ties = 0;
        for (size_t k = 1; k < ix->n; k++)
            if (ix->mz[k] == ix->mz[k - 1]) {
                ties++;
                bad += ix->spec[k] < ix->spec[k - 1];
            }
        CHECK(ties > ix->n / 2);
        CHECK_MSG(bad == 0, "%zu of %zu entries of one m/z out of position order (pass %d)", bad,
                  ties, pass);
        if (pass == 1) break;
        CHECK(scratch_open("plan") == 0);
        const char *path = scratch_path("ties.h5");
        CHECK(nps_library_save(lib, path) == 0);
        nps_library_free(lib);
        lib = NULL;
        CHECK(nps_library_open(&lib, path) == 0);
        scratch_close();
    }
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.score = NPS_SCORE_COMPOSITE;
    o.mode = NPS_MODE_OPEN;
    nps_hits *a = NULL, *b = NULL;
    CHECK(nps_search_run(&a, lib, q, &o) == 0);
    o.exhaustive = 1;
    CHECK(nps_search_run(&b, lib, q, &o) == 0);
    if (a && b) CHECK(hits_identical(a, b, "unit-mass composite, index against exhaustive"));
    nps_hits_free(a);
    nps_hits_free(b);
    nps_library_free(lib);
    nps_spectra_free(q);
}

int main(void)
{
    tables();
    eight_threads();
    worker_errors();
    workspace_bytes();
    composite_of_hybrid_hits();
    weight_cache();
    scan_ways();
    evalue_ways();
    touch_all();
    index_gather();
    index_scan_order();
    index_ties_ascending();
    return check_done("test_plan");
}

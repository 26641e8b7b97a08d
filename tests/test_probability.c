/*
 * The identification probability (src/stats/probability.c) and the reverse
 * match factor of every hit (src/search/query.c): the fit recovers a known
 * model from outcomes drawn from it; the probabilities of a hit list and of
 * "none" sum to one; in a search, replicate spectra of one compound carry
 * one probability, a compound scoring higher is more probable, and scores
 * without a calibrated model give none; the RMF is the reverse score of the
 * pair; probabilities survive a library split into parts unchanged.
 */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../bench/synth.h"
#include "check.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Outcomes drawn from a known model are fitted back to it. */
static void fit_recovers(void)
{
    const nps_probability_model truth = {NPS_PROBABILITY_MODEL_VERSION, 6.0, 9.0, 0.6};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    size_t nq = 20000, n = 0;
    nps_probability_obs *o = malloc(nq * 6 * sizeof *o);
    for (size_t q = 0; q < nq; q++) {
        size_t k = 1 + gsl_rng_uniform_int(r, 6), first = n;
        for (size_t i = 0; i < k; i++)
            o[n++] = (nps_probability_obs){q, 0.3 + 0.7 * gsl_rng_uniform(r),
                                           1 + gsl_rng_uniform_int(r, 30), 0};
        /* draw the outcome: one of the k, or none */
        double u = gsl_rng_uniform(r), acc = 0;
        for (size_t i = first; i < n; i++) {
            acc += nps_probability_of(&truth, o + first, k, i - first);
            if (u < acc) {
                o[i].right = 1;
                break;
            }
        }
    }
    nps_probability_model m;
    CHECK(nps_probability_fit(&m, o, n, 0) == 0);
    CHECK_MSG(fabs(m.none - truth.none) < 0.4 && fabs(m.score - truth.score) < 0.5 &&
                  fabs(m.matched - truth.matched) < 0.1,
              "fitted none %.3f score %.3f matched %.3f", m.none, m.score, m.matched);
    /* score only: the matched term stays 0, the others still fit */
    nps_probability_model s1;
    CHECK(nps_probability_fit(&s1, o, n, NPS_PROBABILITY_SCORE_ONLY) == 0);
    CHECK_MSG(s1.matched == 0 && s1.score > 5 && isfinite(s1.none), "score-only fit %.3f %.3f %.3f",
              s1.none, s1.score, s1.matched);
    /* a query with two right compounds is refused, and so is one query */
    o[0].right = o[1].right = 1;
    CHECK(o[1].query == 0 ? nps_probability_fit(&m, o, n, 0) == NPS_EINVAL : 1);
    CHECK(nps_probability_fit(&m, o, 1, 0) == NPS_EINVAL);
    free(o);
    gsl_rng_free(r);

    /* the listed compounds and "none" share all of the probability */
    nps_probability_obs g[3] = {{0, 0.9, 12, 0}, {0, 0.85, 10, 0}, {0, 0.4, 3, 0}};
    double sum = 0;
    for (size_t i = 0; i < 3; i++) sum += nps_probability_of(&truth, g, 3, i);
    double lz = log(exp(truth.none) + exp(9.0 * 0.9 + 0.6 * log(13.0)) +
                    exp(9.0 * 0.85 + 0.6 * log(11.0)) + exp(9.0 * 0.4 + 0.6 * log(4.0)));
    CHECK(fabs(sum + exp(truth.none - lz) - 1) < 1e-12);
    CHECK(nps_probability_of(&truth, g, 3, 0) > nps_probability_of(&truth, g, 3, 1));

    nps_probability_model d;
    CHECK(nps_probability_model_default(&d, NPS_KIND_EI, NPS_SCORE_COMPOSITE) == 0);
    CHECK(d.version == NPS_PROBABILITY_MODEL_VERSION && d.score > 0);
    CHECK(nps_probability_model_default(&d, NPS_KIND_MSMS, NPS_SCORE_ENTROPY) == 0);
    CHECK(d.score > 0);
    CHECK(nps_probability_model_default(&d, NPS_KIND_MSMS, NPS_SCORE_COSINE) == NPS_ENOTFOUND);
}

static void ei_add(nps_spectra *s, const double *mz, const float *in, size_t n, const char *name,
                   const char *id)
{
    const char *k[] = {"Name", "DB#", "Ionization"};
    const char *v[] = {name, id, "EI"};
    CHECK(nps_spectra_add(s, mz, in, n, k, v, 3) == 0);
}

/* A search's probabilities: replicates share one, the list and none sum
 * to at most one, the best compound is the most probable. */
static void in_search(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    nps_spectra *lib, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    double base_mz[40] = {0}, mz[40];
    float base_in[40] = {0}, in[40];
    synth_ei_peaks(r, base_mz, base_in, 40);
    char name[32], id[32];
    /* compound A twice (replicates, slightly different), then 60 others */
    for (int rep = 0; rep < 2; rep++) {
        for (size_t j = 0; j < 40; j++) {
            mz[j] = base_mz[j];
            in[j] = base_in[j] * (float)(1 + 0.05 * (gsl_rng_uniform(r) - 0.5));
        }
        snprintf(id, sizeof id, "A-%d", rep);
        ei_add(lib, mz, in, 40, "compound A", id);
    }
    for (int c = 0; c < 60; c++) {
        synth_ei_peaks(r, mz, in, 40);
        /* a third of them share half of A's peaks: relatives */
        if (c % 3 == 0)
            for (size_t j = 0; j < 20; j++) {
                mz[j] = base_mz[j];
                in[j] = base_in[j];
            }
        snprintf(name, sizeof name, "compound %d", c);
        snprintf(id, sizeof id, "C-%d", c);
        ei_add(lib, mz, in, 40, name, id);
    }
    ei_add(q, base_mz, base_in, 40, "unknown", "Q1");
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    so.top_k = 10;
    so.mixtures = NPS_MIXTURES_OFF;
    nps_hits *h;
    CHECK(nps_search_run(&h, L, q, &so) == 0);
    size_t first, n;
    nps_hits_for_query(h, 0, &first, &n);
    CHECK(n == 10);
    const nps_hit *a0 = nps_hits_at(h, first), *a1 = nps_hits_at(h, first + 1);
    CHECK(strncmp(nps_spectra_id(lib, a0->reference), "A-", 2) == 0 &&
          strncmp(nps_spectra_id(lib, a1->reference), "A-", 2) == 0);
    CHECK(a0->probability == a1->probability); /* one compound, one probability */
    double sum = a0->probability;
    for (size_t k = 2; k < n; k++) {
        const nps_hit *x = nps_hits_at(h, first + k);
        CHECK(x->probability < a0->probability);
        CHECK(isfinite(x->probability) && x->probability >= 0);
        sum += x->probability;
        /* the RMF: the composite's, on its 0..1 scale */
        CHECK(x->rmf == x->composite_rmf);
    }
    CHECK_MSG(sum < 1, "probabilities sum to %.6f", sum);
    CHECK(a0->probability > 0.5);
    nps_hits_free(h);

    /* a score without a calibrated model: no probability; its RMF is the
     * reverse cosine of the pair */
    so.score = NPS_SCORE_COSINE;
    CHECK(nps_search_run(&h, L, q, &so) == 0);
    nps_hits_for_query(h, 0, &first, &n);
    nps_score_workspace *sws;
    CHECK(nps_score_workspace_create(&sws) == 0);
    /* the query as the search saw it: preprocessed as the library was */
    double pmz[40];
    float pin[40];
    size_t pn = nps_preprocess_peaks(pmz, pin, base_mz, base_in, 40, NAN,
                                     &nps_library_preprocessing(L)->ei);
    for (size_t k = 0; k < n; k++) {
        const nps_hit *x = nps_hits_at(h, first + k);
        CHECK(isnan(x->probability));
        const double *rmz;
        const float *rin;
        size_t rn;
        nps_spectra_peaks(nps_library_spectra(L), x->reference, &rmz, &rin, &rn);
        double lmz[40];
        float lin[40];
        CHECK(rn <= 40);
        rn = nps_preprocess_peaks(lmz, lin, rmz, rin, rn, NAN, &nps_library_preprocessing(L)->ei);
        rmz = lmz;
        rin = lin;
        nps_score_options o = NPS_SCORE_OPTIONS_INIT;
        o.type = NPS_SCORE_COSINE;
        o.tolerance = NPS_DEFAULT_TOLERANCE_EI;
        o.reverse = 1;
        nps_score_result res;
        CHECK(nps_score_pair(&res, NULL, NULL, sws, pmz, pin, pn, rmz, rin, rn, &o) == 0);
        CHECK_MSG(fabs(res.score - x->rmf) < 1e-6, "hit %zu: rmf %.9f, reverse cosine %.9f", k,
                  x->rmf, res.score);
        o.reverse = 0;
        CHECK(nps_score_pair(&res, NULL, NULL, sws, pmz, pin, pn, rmz, rin, rn, &o) == 0);
        CHECK(x->rmf >= res.score - 1e-12); /* leaving unmatched peaks out never lowers it */
    }
    nps_score_workspace_free(sws);
    nps_hits_free(h);
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
    gsl_rng_free(r);
}

int main(void)
{
    fit_recovers();
    in_search();
    return check_done("test_probability");
}

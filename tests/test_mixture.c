/*
 * Mixture analysis (src/search/mixture.c) and the call it feeds
 * (src/analogue/call.c): exact combinations of library spectra (1:1, 2:1,
 * and a triple) are found with their shares; at 4:1 no other compound is
 * named; a library spectrum alone is one compound; replicate
 * spectra of one compound never make a mixture of it with itself; the
 * result does not depend on the thread count; mixtures off leave no
 * analysis; the call names the components. And the ambiguity rule: twins
 * of one formula are an ambiguous call between positional isomers.
 */
/* synth.h's MS/MS generators are not used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../bench/synth.h"
#include "check.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NLIB 400

static double mz_of[NLIB][48];
static float in_of[NLIB][48];
static size_t n_of[NLIB];

static void ei_add(nps_spectra *s, const double *mz, const float *in, size_t n, const char *id)
{
    const char *k[] = {"Name", "DB#", "Ionization"};
    const char *v[] = {id, id, "EI"};
    CHECK(nps_spectra_add(s, mz, in, n, k, v, 3) == 0);
}

/* share-weighted sum of library spectra (each at unit total) as query id */
static void add_combination(nps_spectra *q, const size_t *which, const double *share, size_t k,
                            const char *id)
{
    double acc[401] = {0};
    for (size_t c = 0; c < k; c++) {
        size_t s = which[c];
        double tot = 0;
        for (size_t j = 0; j < n_of[s]; j++) tot += in_of[s][j];
        for (size_t j = 0; j < n_of[s]; j++)
            acc[(size_t)mz_of[s][j]] += share[c] * 1000.0 * in_of[s][j] / tot;
    }
    double mz[401];
    float in[401];
    size_t n = 0;
    for (size_t m = 0; m <= 400; m++)
        if (acc[m] > 0) {
            mz[n] = (double)m;
            in[n++] = (float)acc[m];
        }
    ei_add(q, mz, in, n, id);
}

static const nps_call_component *component_named(const nps_call *c, size_t ref)
{
    for (size_t i = 0; i < c->n_components; i++)
        if (c->components[i].reference == ref) return &c->components[i];
    return NULL;
}

/* Positional isomers: two compounds of one formula whose spectra differ by
 * a few per cent, a third compound of another formula as close, and a
 * distinct one. A query of the first is ambiguous between the twins (and
 * says they are isomers), identified at margin 0; a query of the distinct
 * one is identified. */
static void ambiguity(gsl_rng *r)
{
    nps_spectra *ls, *q;
    CHECK(nps_spectra_create(&ls) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    double mz[40] = {0}, mz2[40] = {0};
    float in[40] = {0}, twin[40] = {0}, other[40] = {0};
    synth_ei_peaks(r, mz, in, 40);
    synth_ei_peaks(r, mz2, other, 40);
    for (size_t j = 0; j < 40; j++) twin[j] = in[j] * (float)(0.97 + 0.06 * gsl_rng_uniform(r));
    const char *k[] = {"Name", "DB#", "Ionization", "Formula"};
    const char *v1[] = {"2-fluoro-X", "ISO1", "EI", "C20H23FN2O"};
    const char *v2[] = {"3-fluoro-X", "ISO2", "EI", "C20H23FN2O"};
    const char *v3[] = {"Other", "OTH", "EI", "C10H15N"};
    CHECK(nps_spectra_add(ls, mz, in, 40, k, v1, 4) == 0);
    CHECK(nps_spectra_add(ls, mz, twin, 40, k, v2, 4) == 0);
    CHECK(nps_spectra_add(ls, mz2, other, 40, k, v3, 4) == 0);
    for (int i = 0; i < 30; i++) { /* unrelated spectra */
        double m[30] = {0};
        float x[30] = {0};
        synth_ei_peaks(r, m, x, 30);
        char id[16];
        snprintf(id, sizeof id, "U%02d", i);
        const char *vu[] = {id, id, "EI", "C9H9"};
        CHECK(nps_spectra_add(ls, m, x, 30, k, vu, 4) == 0);
    }
    const char *qk[] = {"Name", "DB#", "Ionization"};
    const char *q1[] = {"query", "Q1", "EI"}, *q2[] = {"query2", "Q2", "EI"};
    CHECK(nps_spectra_add(q, mz, in, 40, qk, q1, 3) == 0);
    CHECK(nps_spectra_add(q, mz2, other, 40, qk, q2, 3) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, ls, NULL) == 0);
    const nps_spectra *L = nps_library_spectra(lib);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    nps_hits *h = NULL;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    if (h) {
        nps_call_options co = NPS_CALL_OPTIONS_INIT;
        nps_call c;
        CHECK(nps_hits_call(&c, h, 0, L, &co) == 0);
        CHECK_MSG(c.status == NPS_CALL_AMBIGUOUS && c.n_candidates == 2 && c.isomers &&
                      c.n_components == 0,
                  "twins: status %d, %zu candidates", (int)c.status, c.n_candidates);
        CHECK(c.candidates[0].reference == 0 && c.candidates[1].reference == 1);
        CHECK(c.candidates[0].score >= c.candidates[1].score);
        char text[512];
        nps_call_describe(text, sizeof text, &c, h, L);
        CHECK_MSG(strstr(text, "ambiguous: one of 2-fluoro-X (") &&
                      strstr(text, ", 3-fluoro-X (") &&
                      strstr(text, "positional isomer not determined by this spectrum"),
                  "%s", text);
        co.ambiguity_margin = 0;
        CHECK(nps_hits_call(&c, h, 0, L, &co) == 0);
        CHECK(c.status == NPS_CALL_IDENTIFIED && c.components[0].reference == 0);
        co = (nps_call_options)NPS_CALL_OPTIONS_INIT;
        CHECK(nps_hits_call(&c, h, 1, L, &co) == 0);
        CHECK_MSG(c.status == NPS_CALL_IDENTIFIED && c.components[0].reference == 2,
                  "distinct compound: status %d", (int)c.status);
    }
    nps_hits_free(h);
    nps_library_free(lib);
    nps_spectra_free(ls);
    nps_spectra_free(q);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    nps_spectra *ls, *q;
    CHECK(nps_spectra_create(&ls) == 0);
    CHECK(nps_spectra_create(&q) == 0);
    for (size_t i = 0; i < NLIB; i++) {
        n_of[i] = 20 + gsl_rng_uniform_int(r, 28);
        synth_ei_peaks(r, mz_of[i], in_of[i], n_of[i]);
        char id[32];
        snprintf(id, sizeof id, "EI%04zu", i);
        ei_add(ls, mz_of[i], in_of[i], n_of[i], id);
    }
    /* a replicate of spectrum 7 under the same name (one compound, two
     * spectra): a query of spectrum 7 alone must not become 7 + its replicate */
    {
        double mz[48];
        float in[48];
        for (size_t j = 0; j < n_of[7]; j++) {
            mz[j] = mz_of[7][j];
            in[j] = in_of[7][j] * (float)(0.8 + 0.4 * gsl_rng_uniform(r));
        }
        ei_add(ls, mz, in, n_of[7], "EI0007");
    }
    nps_library *lib;
    CHECK(nps_library_create(&lib, ls, NULL) == 0);
    const nps_spectra *L = nps_library_spectra(lib);
    /* queries: pairs at 1:1, 2:1 and 4:1, a triple, pure spectra */
    static const size_t pa[][2] = {{3, 150}, {20, 211}, {44, 301}, {7, 90}};
    static const double ratio[] = {0.5, 1.0 / 3.0, 0.2};
    size_t nq = 0;
    for (size_t p = 0; p < 4; p++)
        for (size_t k = 0; k < 3; k++) {
            double share[2] = {1 - ratio[k], ratio[k]};
            char id[32];
            snprintf(id, sizeof id, "MIX%zu_%zu", p, k);
            add_combination(q, pa[p], share, 2, id);
            nq++;
        }
    const size_t tri[3] = {60, 120, 250};
    const double tri_share[3] = {0.5, 0.3, 0.2};
    add_combination(q, tri, tri_share, 3, "TRIPLE");
    nq++;
    const size_t pure[] = {7, 11, 99, 333};
    for (size_t i = 0; i < 4; i++) {
        double share = 1;
        add_combination(q, &pure[i], &share, 1, "PURE");
        nq++;
    }
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.threads = 1;
    nps_hits *h = NULL, *h4 = NULL, *off = NULL;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    o.threads = 4;
    CHECK(nps_search_run(&h4, lib, q, &o) == 0);
    o.mixtures = NPS_MIXTURES_OFF;
    CHECK(nps_search_run(&off, lib, q, &o) == 0);
    if (!h || !h4 || !off) return check_done("test_mixture");
    CHECK(nps_hits_mixture(off, 0) == NULL);
    nps_call_options co = NPS_CALL_OPTIONS_INIT;
    size_t qi = 0;
    for (size_t p = 0; p < 4; p++)
        for (size_t k = 0; k < 3; k++, qi++) {
            const nps_mixture *mx = nps_hits_mixture(h, qi), *m4 = nps_hits_mixture(h4, qi);
            CHECK(mx && m4 && memcmp(mx, m4, sizeof *mx) == 0);
            nps_call c;
            CHECK(nps_hits_call(&c, h, qi, L, &co) == 0);
            if (k == 2) {
                /* 4:1: the minor compound's own ions are a few per cent of
                 * the sum of squares, at the gain threshold (bench/RESULTS.md
                 * section 16: 3 % found on real spectra); whatever the call,
                 * it names no other compound */
                for (size_t i = 0; i < c.n_components; i++)
                    CHECK(c.components[i].reference == pa[p][0] ||
                          c.components[i].reference == pa[p][1]);
                continue;
            }
            CHECK_MSG(c.status == NPS_CALL_MIXTURE && c.n_components == 2,
                      "query %zu: status %d, %zu components", qi, (int)c.status, c.n_components);
            for (size_t s = 0; s < 2; s++) {
                const nps_call_component *cc = component_named(&c, pa[p][s]);
                double want = s ? ratio[k] : 1 - ratio[k];
                CHECK_MSG(cc != NULL, "query %zu: library spectrum %zu not named", qi, pa[p][s]);
                if (cc)
                    CHECK_MSG(fabs(cc->fraction - want) < 1e-6 && cc->score > 0.99,
                              "query %zu: spectrum %zu share %.6f (want %.6f), score %.4f", qi,
                              pa[p][s], cc->fraction, want, cc->score);
            }
            /* the first component has the larger share */
            CHECK(c.components[0].fraction >= c.components[1].fraction);
            char text[512];
            nps_call_describe(text, sizeof text, &c, h, L);
            CHECK_MSG(strncmp(text, "mixture: EI", 11) == 0 && strstr(text, " + EI"), "%s", text);
            /* without the analysis, the same hits make no mixture call */
            nps_call c0;
            CHECK(nps_hits_call(&c0, off, qi, L, &co) == 0);
            CHECK(c0.status != NPS_CALL_MIXTURE);
        }
    {
        nps_call c;
        CHECK(nps_hits_call(&c, h, qi, L, &co) == 0);
        CHECK_MSG(c.status == NPS_CALL_MIXTURE && c.n_components == 3,
                  "triple: status %d, %zu components", (int)c.status, c.n_components);
        for (size_t s = 0; s < 3; s++) {
            const nps_call_component *cc = component_named(&c, tri[s]);
            CHECK(cc && fabs(cc->fraction - tri_share[s]) < 1e-6);
        }
        qi++;
    }
    for (size_t i = 0; i < 4; i++, qi++) {
        const nps_mixture *mx = nps_hits_mixture(h, qi);
        CHECK(mx && mx->n == 1);
        nps_call c;
        CHECK(nps_hits_call(&c, h, qi, L, &co) == 0);
        CHECK_MSG(c.status == NPS_CALL_IDENTIFIED && c.n_components == 1 &&
                      strcmp(nps_spectra_name(L, c.components[0].reference),
                             nps_spectra_name(L, pure[i])) == 0,
                  "pure query of spectrum %zu: status %d", pure[i], (int)c.status);
    }
    CHECK(qi == nq);
    nps_hits_free(h);
    nps_hits_free(h4);
    nps_hits_free(off);
    h = h4 = off = NULL;
    ambiguity(r);
    nps_hits_free(h4);
    nps_hits_free(off);
    nps_library_free(lib);
    nps_spectra_free(ls);
    nps_spectra_free(q);
    gsl_rng_free(r);
    return check_done("test_mixture");
}

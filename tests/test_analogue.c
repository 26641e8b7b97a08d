/*
 * Analogue search: the hybrid score on hand-computed cases (direct and
 * shifted matches, tie rules, the precursor constraint), for the cosine and
 * entropy pair terms.
 */
#include "check.h"

#include "../bench/synth.h"

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static nps_score_workspace *ws;

static nps_hybrid_result hyb(const double *qm, const float *qi, size_t qn, double qp,
                             const double *rm, const float *ri, size_t rn, double rp,
                             nps_score_type t)
{
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.type = t;
    o.tolerance = 0.02;
    o.intensity_power = 1;
    nps_hybrid_result res;
    memset(&res, 0, sizeof res);
    CHECK(nps_score_hybrid(&res, ws, qm, qi, qn, qp, rm, ri, rn, rp, &o) == 0);
    return res;
}

static void hybrid_cosine(void)
{
    /* an analogue +14 (CH2): 100 kept, 136 and 200 moved to 150 and 214 */
    const double qm[] = {100, 150, 214}, rm[] = {100, 136, 200};
    const float in[] = {1, 1, 1};
    nps_hybrid_result h = hyb(qm, in, 3, 300, rm, in, 3, 286, NPS_SCORE_COSINE);
    /* unit weights, norms sqrt 3: three pairs of 1/3 */
    CHECK_NEAR(h.score, 1.0, 1e-12);
    CHECK(h.direct == 1 && h.shifted == 2);
    CHECK_NEAR(h.delta, 14, 1e-12);
    /* the plain cosine sees one pair of three */
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.type = NPS_SCORE_COSINE;
    o.intensity_power = 1;
    nps_score_result plain;
    CHECK(nps_score_pair(&plain, NULL, NULL, ws, qm, in, 3, rm, in, 3, &o) == 0);
    CHECK_NEAR(plain.score, 1.0 / 3, 1e-12);

    /* unequal intensities: q 100:4 150:3; r 100:2 136:6 (delta 14)
     * pairs: direct 100-100 = 8, shifted 150-136 = 18; norms 5 and sqrt 40 */
    const double qm2[] = {100, 150}, rm2[] = {100, 136};
    const float qi2[] = {4, 3}, ri2[] = {2, 6};
    h = hyb(qm2, qi2, 2, 300, rm2, ri2, 2, 286, NPS_SCORE_COSINE);
    CHECK_NEAR(h.score, (8.0 + 18.0) / (5.0 * sqrt(40.0)), 1e-12);

    /* a tie between a direct and a shifted partner of the same query peak:
     * the direct match wins; score 1 / (1 sqrt 2) */
    const double qm3[] = {100}, rm3[] = {86, 100};
    const float one[] = {1, 1};
    h = hyb(qm3, one, 1, 300, rm3, one, 2, 286, NPS_SCORE_COSINE);
    CHECK(h.direct == 1 && h.shifted == 0);
    CHECK_NEAR(h.score, 1 / sqrt(2.0), 1e-12);

    /* greedy takes the larger contribution first: q 150 could pair directly
     * with r 150 (1 x 1) or, shifted, with r 136 (1 x 5): the shifted pair wins,
     * and r 150 then pairs with nothing */
    const double qm4[] = {150}, rm4[] = {136, 150};
    const float qi4[] = {1}, ri4[] = {5, 1};
    h = hyb(qm4, qi4, 1, 300, rm4, ri4, 2, 286, NPS_SCORE_COSINE);
    CHECK(h.direct == 0 && h.shifted == 1);
    CHECK_NEAR(h.score, 5 / sqrt(26.0), 1e-12);

    /* shifted matches need peaks below their precursors (a shared neutral loss):
     * r 290 + 14 = 304 would match q 304, but 290 >= the reference precursor 286 */
    const double qm5[] = {100, 304}, rm5[] = {100, 290};
    h = hyb(qm5, one, 2, 318, rm5, one, 2, 286, NPS_SCORE_COSINE);
    CHECK(h.shifted == 0 && h.direct == 1);
    CHECK_NEAR(h.score, 0.5, 1e-12);

    /* |delta| within the tolerance: no shifted matches (they would be direct) */
    h = hyb(qm, in, 3, 300.01, rm, in, 3, 300, NPS_SCORE_COSINE);
    CHECK(h.shifted == 0 && h.direct == 1);

    /* explicit shift, no precursors (the EI form) */
    nps_score_options o2 = NPS_SCORE_OPTIONS_INIT;
    o2.type = NPS_SCORE_COSINE;
    o2.intensity_power = 1;
    CHECK(nps_score_shifted(&h, ws, qm, in, 3, rm, in, 3, 14, &o2) == 0);
    CHECK(h.direct == 1 && h.shifted == 2);
    CHECK(nps_score_shifted(&h, ws, qm, in, 3, rm, in, 3, NAN, &o2) == NPS_EINVAL);
    CHECK(nps_score_hybrid(&h, ws, qm, in, 3, NAN, rm, in, 3, 286, &o2) == NPS_EINVAL);
}

static void hybrid_entropy(void)
{
    /* unweighted entropy: x = y = 1/2 per peak; a matched pair contributes
     * 1/2 [1 log2 1 - 2 (1/2 log2 1/2)] = 1/2 */
    const double qm[] = {100, 150}, rm[] = {100, 136};
    const float in[] = {1, 1};
    nps_hybrid_result h = hyb(qm, in, 2, 300, rm, in, 2, 286, NPS_SCORE_ENTROPY_UNWEIGHTED);
    CHECK_NEAR(h.score, 1.0, 1e-12);
    CHECK(h.direct == 1 && h.shifted == 1);
    /* without the shift (equal precursors) only the direct pair: 1/2 */
    h = hyb(qm, in, 2, 300, rm, in, 2, 300, NPS_SCORE_ENTROPY_UNWEIGHTED);
    CHECK_NEAR(h.score, 0.5, 1e-12);
    /* x = 3/4, 1/4 against y = 1/2, 1/2, both matched:
     * 1/2 [f(5/4) - f(3/4) - f(1/2)] + 1/2 [f(3/4) - f(1/4) - f(1/2)] */
    const float qi[] = {3, 1};
    h = hyb(qm, qi, 2, 300, rm, in, 2, 286, NPS_SCORE_ENTROPY_UNWEIGHTED);
#define F(v) ((v)*log2(v))
    double want = 0.5 * (F(1.25) - F(0.75) - F(0.5)) + 0.5 * (F(0.75) - F(0.25) - F(0.5));
    CHECK_NEAR(h.score, want, 1e-12);
    /* on cleaned spectra (no peak with two candidates), the hybrid with delta 0
     * is the entropy similarity itself: MSEntropy's test pair */
    const double qm2[] = {69.071, 86.066, 86.0969}, rm2[] = {41.04, 69.07, 86.1};
    const float qi2[] = {7.917962f, 1.021589f, 100.0f}, ri2[] = {37.16f, 66.83f, 999.0f};
    double cqm[3], crm[3];
    float cqi[3], cri[3];
    nps_preprocess_options clean = NPS_PREPROCESS_MSMS_INIT;
    size_t cqn = nps_preprocess_peaks(cqm, cqi, qm2, qi2, 3, NAN, &clean);
    size_t crn = nps_preprocess_peaks(crm, cri, rm2, ri2, 3, NAN, &clean);
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.type = NPS_SCORE_ENTROPY_UNWEIGHTED;
    o.tolerance = 0.05;
    CHECK(nps_score_shifted(&h, ws, cqm, cqi, cqn, crm, cri, crn, 0.0, &o) == 0);
    nps_score_result plain;
    CHECK(nps_score_pair(&plain, NULL, NULL, ws, cqm, cqi, cqn, crm, cri, crn, &o) == 0);
    CHECK_NEAR(h.score, plain.score, 1e-12);
    CHECK_NEAR(h.score, 0.9826668790176113, 1e-6); /* MSEntropy's own test value */
}

/* An analogue of library spectrum t: precursor + delta, fragments above the
 * median m/z moved by delta (they kept the modification), the rest kept;
 * m/z jittered by N(0, 0.002), intensities by lognormal(0, 0.2). */
static void analogue_of(nps_spectra *q, const nps_spectra *lib, size_t t, double delta, gsl_rng *r,
                        const char *id)
{
    const double *lm;
    const float *li;
    size_t n;
    nps_spectra_peaks(lib, t, &lm, &li, &n);
    double mz[64];
    float in[64];
    double cut = n ? lm[n / 2] : 0;
    for (size_t j = 0; j < n; j++) {
        mz[j] = lm[j] + (lm[j] >= cut ? delta : 0) + gsl_ran_gaussian(r, 0.002);
        in[j] = (float)(li[j] * gsl_ran_lognormal(r, 0, 0.2));
    }
    synth_add(q, mz, in, n, id, nps_spectra_precursor_mz(lib, t) + delta);
}

static int same_hits(const nps_hits *a, const nps_hits *b, const char *what)
{
    int ok = nps_hits_count(a) == nps_hits_count(b);
    for (size_t i = 0; ok && i < nps_hits_count(a); i++) {
        const nps_hit *x = nps_hits_at(a, i), *y = nps_hits_at(b, i);
        ok = x->query == y->query && x->reference == y->reference &&
             fabs(x->score - y->score) < 1e-9 && x->shifted == y->shifted;
        if (!ok)
            fprintf(stderr, "%s: hit %zu differs: q%zu r%zu %.9f / q%zu r%zu %.9f\n", what, i,
                    x->query, x->reference, x->score, y->query, y->reference, y->score);
    }
    CHECK_MSG(ok, "%s: index and exhaustive results differ", what);
    return ok;
}

/* Hybrid search through the fragment and loss indexes gives the exhaustive
 * hybrid top K, and finds analogues that the open search misses. */
static void hybrid_search(void)
{
    nps_spectra *lib, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    synth_library(lib, 3000, 11);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    size_t nq = 150, truth[150];
    static const double deltas[] = {14.01565, 15.99491, 17.99058, 33.96103, -14.01565};
    for (size_t i = 0; i < nq; i++) {
        truth[i] = gsl_rng_uniform_int(r, 3000);
        char id[32];
        snprintf(id, sizeof id, "A%03zu", i);
        analogue_of(q, lib, truth[i], deltas[i % 5], r, id);
    }
    nps_library *L;
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    CHECK(nps_library_create(&L, lib, &raw) == 0);
    static const nps_score_type types[] = {NPS_SCORE_ENTROPY, NPS_SCORE_COSINE};
    for (int t = 0; t < 2; t++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.score = types[t];
        o.mode = NPS_MODE_HYBRID;
        o.top_k = 5;
        nps_hits *hi = NULL, *he = NULL, *ho = NULL;
        CHECK(nps_search_run(&hi, L, q, &o) == 0);
        o.exhaustive = 1;
        CHECK(nps_search_run(&he, L, q, &o) == 0);
        if (hi && he) same_hits(hi, he, nps_score_name(types[t]));
        o.exhaustive = 0;
        o.mode = NPS_MODE_OPEN;
        CHECK(nps_search_run(&ho, L, q, &o) == 0);
        size_t top_h = 0, top_o = 0, delta_ok = 0;
        double sum_h = 0, sum_o = 0;
        for (size_t i = 0; i < nq && hi && ho; i++) {
            size_t f, n;
            nps_hits_for_query(hi, i, &f, &n);
            if (n && nps_hits_at(hi, f)->reference == truth[i]) {
                top_h++;
                sum_h += nps_hits_at(hi, f)->score;
                delta_ok += fabs(nps_hits_at(hi, f)->delta_mz - deltas[i % 5]) < 0.01;
                CHECK(nps_hits_at(hi, f)->mode == NPS_MODE_HYBRID);
            }
            nps_hits_for_query(ho, i, &f, &n);
            if (n && nps_hits_at(ho, f)->reference == truth[i]) {
                top_o++;
                sum_o += nps_hits_at(ho, f)->score;
            }
        }
        printf("hybrid (%s): analogue top-1 %zu/%zu (delta right in %zu, mean score %.3f); "
               "open search %zu/%zu (mean score %.3f)\n",
               nps_score_name(types[t]), top_h, nq, delta_ok, top_h ? sum_h / top_h : 0, top_o, nq,
               top_o ? sum_o / top_o : 0);
        CHECK(top_h >= nq * 9 / 10 && delta_ok == top_h);
        /* half the fragments moved: the plain score of the true relative drops,
         * the hybrid score does not */
        CHECK(top_h && top_o && sum_h / top_h > sum_o / top_o + 0.25);
        nps_hits_free(hi);
        nps_hits_free(he);
        nps_hits_free(ho);
    }
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
    gsl_rng_free(r);
}

/* Neutral-loss search: a query whose fragments all moved with its precursor
 * keeps every loss: found with score ~1 where the open search sees nothing. */
static void neutral_loss(void)
{
    nps_spectra *lib, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    synth_library(lib, 500, 3);
    const double *lm;
    const float *li;
    size_t n;
    nps_spectra_peaks(lib, 42, &lm, &li, &n);
    double mz[64];
    for (size_t j = 0; j < n; j++) mz[j] = lm[j] + 37.5;
    synth_add(q, mz, li, n, "NL", nps_spectra_precursor_mz(lib, 42) + 37.5);
    nps_library *L;
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    CHECK(nps_library_create(&L, lib, &raw) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_NEUTRAL_LOSS;
    nps_hits *h = NULL;
    CHECK(nps_search_run(&h, L, q, &o) == 0);
    CHECK(h && nps_hits_count(h) > 0);
    if (h && nps_hits_count(h)) {
        const nps_hit *x = nps_hits_at(h, 0);
        CHECK(x->reference == 42 && x->score > 0.999 && x->mode == NPS_MODE_NEUTRAL_LOSS);
        CHECK(x->matched == n);
    }
    nps_hits_free(h);
    o.mode = NPS_MODE_OPEN;
    CHECK(nps_search_run(&h, L, q, &o) == 0);
    size_t f, k;
    nps_hits_for_query(h, 0, &f, &k);
    CHECK(k == 0 || nps_hits_at(h, f)->reference != 42 || nps_hits_at(h, f)->score < 0.2);
    nps_hits_free(h);
    /* exhaustive and indexed neutral-loss search agree */
    nps_spectra *qq;
    nps_spectra_create(&qq);
    synth_queries(qq, NULL, lib, 100, 9);
    nps_hits *a = NULL, *b = NULL;
    o.mode = NPS_MODE_NEUTRAL_LOSS;
    CHECK(nps_search_run(&a, L, qq, &o) == 0);
    o.exhaustive = 1;
    CHECK(nps_search_run(&b, L, qq, &o) == 0);
    if (a && b) same_hits(a, b, "neutral-loss");
    nps_hits_free(a);
    nps_hits_free(b);
    nps_spectra_free(qq);
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
}

/* EI-like spectra: unit masses, no precursor. */
static void ei_add(nps_spectra *s, const double *mz, const float *in, size_t n, const char *id)
{
    const char *k[] = {"Name", "DB#", "Ionization"};
    const char *v[] = {id, id, "EI"};
    nps_spectra_add(s, mz, in, n, k, v, 3);
}

static void ei_library(nps_spectra *lib, size_t n_lib, gsl_rng *r)
{
    for (size_t i = 0; i < n_lib; i++) {
        double mz[60];
        float in[60];
        size_t n = 25 + gsl_rng_uniform_int(r, 35);
        synth_ei_peaks(r, mz, in, n);
        char id[32];
        snprintf(id, sizeof id, "EI%04zu", i);
        ei_add(lib, mz, in, n, id);
    }
}

/* FFT shift search on synthetic EI analogue pairs: a library spectrum with
 * its fragments above the median m/z shifted by +14 (CH2) or +18 (F for H),
 * at three documented noise levels: (intensity jitter lognormal sigma, noise
 * peaks added at 1-10 % of the base peak) = (0, 0), (0.2, 5), (0.4, 10). */
static void shift_synthetic(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    nps_spectra *lib;
    nps_spectra_create(&lib);
    ei_library(lib, 400, r);
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    static const struct {
        double sigma;
        size_t noise;
    } lv[] = {{0, 0}, {0.2, 5}, {0.4, 10}};
    static const int shifts[] = {14, 18};
    for (size_t l = 0; l < 3; l++) {
        nps_spectra *q;
        nps_spectra_create(&q);
        size_t nq = 60, truth[60];
        for (size_t i = 0; i < nq; i++) {
            truth[i] = gsl_rng_uniform_int(r, 400);
            const double *lm;
            const float *li;
            size_t n;
            nps_spectra_peaks(lib, truth[i], &lm, &li, &n);
            double mz[80], base = 0;
            float in[80];
            size_t k = 0;
            for (size_t j = 0; j < n; j++)
                if (li[j] > base) base = li[j];
            for (size_t j = 0; j < n; j++) {
                mz[k] = lm[j] + (j >= n / 2 ? shifts[i % 2] : 0);
                in[k++] =
                    (float)(li[j] * (lv[l].sigma > 0 ? gsl_ran_lognormal(r, 0, lv[l].sigma) : 1.0));
            }
            for (size_t j = 0; j < lv[l].noise; j++) {
                mz[k] = (double)(30 + gsl_rng_uniform_int(r, 400));
                in[k++] = (float)(base * (0.01 + 0.09 * gsl_rng_uniform(r)));
            }
            char id[32];
            snprintf(id, sizeof id, "U%03zu", i);
            ei_add(q, mz, in, k, id);
        }
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = NPS_MODE_ANALOGUE;
        o.top_k = 5;
        nps_hits *h = NULL, *he = NULL;
        CHECK(nps_search_run(&h, L, q, &o) == 0);
        o.exhaustive = 1;
        CHECK(nps_search_run(&he, L, q, &o) == 0);
        if (h && he) same_hits(h, he, "shift bound vs all");
        size_t right = 0, delta_right = 0;
        for (size_t i = 0; h && i < nq; i++) {
            size_t f, n;
            nps_hits_for_query(h, i, &f, &n);
            if (!n) continue;
            const nps_hit *x = nps_hits_at(h, f);
            CHECK(x->mode == NPS_MODE_SHIFT);
            if (x->reference == truth[i]) {
                right++;
                delta_right += x->delta_mz == shifts[i % 2];
            }
        }
        printf("shift search, noise level %zu (sigma %.1f, %zu noise peaks): top-1 %zu/%zu, "
               "shift found %zu\n",
               l, lv[l].sigma, lv[l].noise, right, nq, delta_right);
        CHECK(right >= nq * 95 / 100 && delta_right >= nq * 9 / 10);
        nps_hits_free(h);
        nps_hits_free(he);
        nps_spectra_free(q);
    }
    nps_library_free(L);
    nps_spectra_free(lib);
    gsl_rng_free(r);
}

/* Leave-compound-out with families (nps_evaluate): 6 synthetic EI families
 * of 4 compounds, each compound measured twice (intensity jitter); compound
 * k of a family is the family's core spectrum with its fragments above
 * m/z 160 moved by 14 k Da (a homologous series), ExactMass 300 + 14 k.
 * 200 unclassed random spectra fill the library. Queries: every family
 * spectrum, plus 5 unclassed spectra (they have hits but no class, so they
 * must not count in the class rate). With its compound left out, the shift
 * search must name a relative of the query's family for >= 90 % and the right
 * mass difference for >= 80 %; the per-class counts add up to the total. */
static void family_lco(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 29);
    nps_spectra *lib, *q, *bg;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    nps_spectra_create(&bg);
    ei_library(bg, 205, r);
    for (int f = 0; f < 6; f++) {
        double core[30] = {0};
        float cin[30] = {0};
        size_t n = 0;
        while (n < 24) {
            double m = (double)(40 + gsl_rng_uniform_int(r, 240));
            int dup = 0;
            for (size_t j = 0; j < n && !dup; j++) dup = core[j] == m;
            if (dup) continue;
            core[n] = m;
            cin[n++] = (float)(1000 * gsl_ran_lognormal(r, 0, 1));
        }
        for (int k = 0; k < 4; k++)
            for (int rep = 0; rep < 2; rep++) {
                double mz[30];
                float in[30];
                for (size_t j = 0; j < n; j++) {
                    mz[j] = core[j] + (core[j] >= 160 ? 14.0 * k : 0);
                    in[j] = (float)(cin[j] * gsl_ran_lognormal(r, 0, 0.15));
                }
                char name[32], cls[32], mass[32];
                snprintf(name, sizeof name, "F%d-C%d", f, k);
                snprintf(cls, sizeof cls, "Family %d", f);
                snprintf(mass, sizeof mass, "%.4f", 300.0 + 14.0 * k);
                const char *kk[] = {"Name", "Class", "ExactMass", "Ionization"};
                const char *vv[] = {name, cls, mass, "EI"};
                nps_spectra_add(lib, mz, in, n, kk, vv, 4);
                nps_spectra_add(q, mz, in, n, kk, vv, 4);
            }
    }
    for (size_t i = 0; i < 205; i++) {
        CHECK(nps_spectra_add_from(lib, bg, i) == 0);
        if (i < 5) CHECK(nps_spectra_add_from(q, bg, i) == 0);
    }
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    nps_evaluate_options eo = NPS_EVALUATE_OPTIONS_INIT;
    eo.truth_key = NPS_KEY_NAME;
    eo.leave_compound_out = 1;
    eo.search.mode = NPS_MODE_ANALOGUE;
    nps_evaluation *e = NULL;
    CHECK(nps_evaluate(&e, L, q, &eo) == 0);
    if (e) {
        size_t sum = 0;
        for (size_t j = 0; j < e->n_classes; j++) sum += e->class_n[j];
        printf("family leave-compound-out (shift): %zu with a hit, %zu with a class, class right "
               "%.3f, dM right %.3f of %zu\n",
               e->lco_n, e->lco_class_n, e->lco_class_right, e->lco_delta_right, e->lco_delta_n);
        CHECK(e->n_evaluated == 53 && e->lco_n == 53 && e->lco_class_n == 48);
        CHECK(e->n_classes == 6 && sum == 48);
        CHECK(e->lco_class_right >= 0.9 && e->lco_delta_right >= 0.8);
        /* what the call says: the voted class, and the analogue calls made */
        printf("  voted class right %.3f; %zu analogue calls, class right %.3f\n",
               e->lco_voted_class_right, e->lco_analogue_calls, e->lco_analogue_class_right);
        CHECK(e->lco_voted_class_right >= 0.9);
        CHECK(e->lco_analogue_calls >= 24 && e->lco_analogue_class_right >= 0.9);
        nps_evaluation_free(e);
    }
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
    nps_spectra_free(bg);
    gsl_rng_free(r);
}

/* e-values in SHIFT mode: past 1000 candidates the null sample is the exact
 * score of the spectra whose index is a multiple of k (searcher.c), and its
 * ranks are scaled back to the whole library. 6000 random EI spectra
 * (every 6th sampled), 40 analogue queries (half their fragments moved by
 * +14) and 40 random spectra absent from the library: the analogues' true
 * hits get e-values far below 1 and the chance best hits e-values of order 1.
 * Measured: median 2.6 for the chance hits (1.8 with the full sample; an
 * exact null model would give ln 2 = 0.69 for the best of N chance scores:
 * the exponential tail fit is conservative on these bounded scores); an
 * unscaled subsample would give about 1/6 of that, which the check rejects. */
static void shift_evalues(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 41);
    nps_spectra *lib, *q, *other;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    nps_spectra_create(&other);
    ei_library(lib, 6000, r);
    ei_library(other, 40, r);
    size_t truth[40];
    for (size_t i = 0; i < 40; i++) {
        truth[i] = gsl_rng_uniform_int(r, 6000);
        const double *lm;
        const float *li;
        size_t n;
        nps_spectra_peaks(lib, truth[i], &lm, &li, &n);
        double mz[80];
        float in[80];
        for (size_t j = 0; j < n; j++) {
            mz[j] = lm[j] + (j >= n / 2 ? 14 : 0);
            in[j] = (float)(li[j] * gsl_ran_lognormal(r, 0, 0.2));
        }
        ei_add(q, mz, in, n, "A");
    }
    for (size_t i = 0; i < 40; i++) CHECK(nps_spectra_add_from(q, other, i) == 0);
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_ANALOGUE;
    o.top_k = 3;
    o.evalues = 1;
    nps_hits *h = NULL;
    CHECK(nps_search_run(&h, L, q, &o) == 0);
    double et[40] = {0}, ef[40] = {0};
    size_t nt = 0, nf = 0;
    for (size_t i = 0; h && i < 80; i++) {
        size_t f, n;
        nps_hits_for_query(h, i, &f, &n);
        if (!n || isnan(nps_hits_at(h, f)->e_value)) continue;
        if (i < 40 && nps_hits_at(h, f)->reference == truth[i])
            et[nt++] = nps_hits_at(h, f)->e_value;
        else if (i >= 40)
            ef[nf++] = nps_hits_at(h, f)->e_value;
    }
    qsort(et, nt, sizeof *et, cmp_dbl);
    qsort(ef, nf, sizeof *ef, cmp_dbl);
    printf("shift e-values: %zu true best hits, median %.3g; %zu chance best hits, median %.3g\n",
           nt, nt ? et[nt / 2] : NAN, nf, nf ? ef[nf / 2] : NAN);
    CHECK(nt >= 36 && nf >= 36);
    CHECK(nt && et[nt / 2] < 1e-3);
    CHECK(nf && ef[nf / 2] > 0.7 && ef[nf / 2] < 7);
    /* the null sample is scored on the side: the hits are those of a search
     * without e-values, and of the exhaustive search */
    nps_hits *h0 = NULL, *hx = NULL;
    o.evalues = 0;
    CHECK(nps_search_run(&h0, L, q, &o) == 0);
    o.exhaustive = 1;
    CHECK(nps_search_run(&hx, L, q, &o) == 0);
    if (h && h0 && hx) {
        same_hits(h, h0, "shift with e-values vs without");
        same_hits(h, hx, "shift with e-values vs exhaustive");
    }
    nps_hits_free(h0);
    nps_hits_free(hx);
    nps_hits_free(h);
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
    nps_spectra_free(other);
    gsl_rng_free(r);
}

/* An MS/MS spectrum with a precursor, a name and a class. */
static void msms_add(nps_spectra *s, const double *mz, const float *in, size_t n, double prec,
                     const char *name, const char *cls)
{
    char p[32];
    snprintf(p, sizeof p, "%.5f", prec);
    const char *k[] = {"Name", "DB#", "PrecursorMZ", "Spectrum_type", "Class"};
    const char *v[] = {name, name, p, "MS2", cls};
    nps_spectra_add(s, mz, in, n, k, v, cls ? 5 : 4);
}

/* Calls on hand-made MS/MS spectra: a copy of a library spectrum is
 * identified; its +CH2 homologue (precursor and the fragments that keep the
 * substituent moved by 14.01565) is a possible new analogue of the right class
 * with dM +14.0157 (+CH2); an unrelated spectrum is no identification. The
 * default thresholds are the measured ones (nps_call_default_thresholds), and
 * explicit thresholds override them. */
static void calls(void)
{
    double id, an;
    nps_call_default_thresholds(NPS_KIND_MSMS, NPS_SCORE_ENTROPY, &id, &an);
    CHECK(id == 0.76 && an == 0.45);
    nps_call_default_thresholds(NPS_KIND_EI, NPS_SCORE_AUTO, &id, &an); /* composite */
    CHECK(id == 0.89 && an == 0.93);
    nps_spectra *lib, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    static const double a[] = {58.0651, 91.0542, 119.0491, 135.0441, 163.0754, 192.1019};
    static const double b[] = {44.0495, 72.0808, 105.0335, 133.0648, 160.0757, 176.1070};
    static const double c[] = {65.0386, 82.0651, 150.0913, 182.0812, 210.1125, 238.1438};
    static const float in[] = {300, 1000, 450, 220, 640, 180};
    msms_add(lib, a, in, 6, 210.1125, "Alpha", "Class A");
    msms_add(lib, b, in, 6, 194.1176, "Beta", "Class B");
    msms_add(lib, c, in, 6, 256.1543, "Gamma", "Class C");
    msms_add(q, a, in, 6, 210.1125, "copy of Alpha", NULL);
    double h[6];
    for (int k = 0; k < 6; k++) h[k] = a[k] + (k >= 3 ? 14.01565 : 0); /* 3 of 6 keep it */
    msms_add(q, h, in, 6, 210.1125 + 14.01565, "homologue of Alpha", NULL);
    static const double u[] = {51.0229, 77.0386, 121.0284, 149.0233, 177.0546, 205.0495};
    msms_add(q, u, in, 6, 223.0601, "unrelated", NULL);
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_ANALOGUE;
    nps_hits *hits = NULL;
    CHECK(nps_search_run(&hits, L, q, &o) == 0);
    if (!hits) {
        nps_library_free(L);
        nps_spectra_free(lib);
        nps_spectra_free(q);
        return;
    }
    nps_call cl;
    char text[600];
    const nps_spectra *ls = nps_library_spectra(L);
    CHECK(nps_hits_call(&cl, hits, 0, ls, NULL) == 0);
    nps_call_describe(text, sizeof text, &cl, hits, ls);
    printf("call 0: %s\n", text);
    CHECK(cl.status == NPS_CALL_IDENTIFIED && strstr(text, "identified: Alpha"));
    CHECK(nps_hits_call(&cl, hits, 1, ls, NULL) == 0);
    nps_call_describe(text, sizeof text, &cl, hits, ls);
    printf("call 1: %s\n", text);
    CHECK(cl.status == NPS_CALL_ANALOGUE && strcmp(cl.class_name, "Class A") == 0);
    CHECK(fabs(cl.delta_mz - 14.01565) < 0.001 && strstr(cl.interpretation, "CH2"));
    CHECK(strstr(text, "nearest Alpha") != NULL);
    CHECK(nps_hits_call(&cl, hits, 2, ls, NULL) == 0);
    CHECK(cl.status == NPS_CALL_NONE);
    /* an explicit identity threshold above every score: the copy is no longer
     * identified, and is called an analogue at dM 0 (a possible isomer) */
    nps_call_options co = NPS_CALL_OPTIONS_INIT;
    co.identity_threshold = 1.01;
    CHECK(nps_hits_call(&cl, hits, 0, ls, &co) == 0);
    CHECK(cl.status == NPS_CALL_ANALOGUE && strstr(cl.interpretation, "isomer"));
    /* an explicit analogue threshold above every score: no analogue call */
    co.identity_threshold = -1;
    co.analogue_threshold = 1.01;
    CHECK(nps_hits_call(&cl, hits, 1, ls, &co) == 0 && cl.status == NPS_CALL_NONE);
    nps_hits_free(hits);
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
}

static void interpretation(void)
{
    char b[512];
    CHECK(nps_mass_shift_describe(b, sizeof b, 14.01565, 0.005, 0) == 1 && strstr(b, "+CH2"));
    CHECK(nps_mass_shift_describe(b, sizeof b, -14.01565, 0.005, 0) == 1 && strstr(b, "-CH2"));
    CHECK(nps_mass_shift_describe(b, sizeof b, 17.99058, 0.005, 0) == 1 && strstr(b, "F for H"));
    CHECK(nps_mass_shift_describe(b, sizeof b, 13.97926, 0.005, 0) == 1 && strstr(b, "C=O"));
    /* nominal 14: CH2 or beta-keto */
    CHECK(nps_mass_shift_describe(b, sizeof b, 14, 0.5, 1) == 2 && strstr(b, " or "));
    CHECK(nps_mass_shift_describe(b, sizeof b, 43.98983, 0.005, 0) >= 1 &&
          strstr(b, "methylenedioxy"));
    /* a pair: CH2 + O = 30.0106 is also OCH3 for H (a single entry wins) */
    CHECK(nps_mass_shift_describe(b, sizeof b, 30.01056, 0.005, 0) == 1 && strstr(b, "OCH3"));
    /* CH2 + F for H = 32.0062: a pair */
    CHECK(nps_mass_shift_describe(b, sizeof b, 32.00623, 0.005, 0) == 1 && strstr(b, ", "));
    CHECK(nps_mass_shift_describe(b, sizeof b, 0.001, 0.005, 0) == 0 && b[0] == '\0');
    CHECK(nps_mass_shift_describe(b, sizeof b, 3.7, 0.005, 0) == 0);
}

int main(void)
{
    if (nps_score_workspace_create(&ws)) return 2;
    hybrid_cosine();
    hybrid_entropy();
    interpretation();
    hybrid_search();
    neutral_loss();
    shift_synthetic();
    family_lco();
    shift_evalues();
    calls();
    nps_score_workspace_free(ws);
    return check_done("test_analogue");
}

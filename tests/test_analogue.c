/*
 * Analogue search: the hybrid score on hand-computed cases (direct and
 * shifted matches, tie rules, the precursor constraint), for the cosine and
 * entropy pair terms.
 */
#include "check.h"

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

int main(void)
{
    if (nps_score_workspace_create(&ws)) return 2;
    hybrid_cosine();
    hybrid_entropy();
    nps_score_workspace_free(ws);
    return check_done("test_analogue");
}

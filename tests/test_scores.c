/*
 * Scores and preprocessing on hand-computed cases: the matchms cosine table
 * and the ms_entropy reference values quoted in VECTORS.md, a composite match
 * factor worked out from its definition, the tolerance boundary rule, ppm
 * tolerances, reverse search and every cleaning step.
 */
#include "check.h"

static nps_score_workspace *ws;

static nps_score_result pair(const double *qm, const float *qi, size_t qn, const double *rm,
                             const float *ri, size_t rn, const nps_score_options *o)
{
    nps_score_result r;
    CHECK(nps_score_pair(&r, NULL, NULL, ws, qm, qi, qn, rm, ri, rn, o) == 0);
    return r;
}

static void cosine_table(void)
{
    const double m1[] = {100, 200, 300, 500, 510}, m2[] = {100, 200, 290, 490, 510};
    const float i1[] = {0.1f, 0.2f, 1.0f, 0.3f, 0.4f}, i2[] = {0.1f, 0.2f, 1.0f, 0.3f, 0.4f};
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.type = NPS_SCORE_COSINE;
    o.tolerance = 0.1;
    o.intensity_power = 1; /* the matchms CosineGreedy reference values use its default, 1 */
    nps_score_result r = pair(m1, i1, 5, m2, i2, 5, &o);
    CHECK(r.matched == 3);
    CHECK_NEAR(r.score, 0.161538, 1e-6);
    o.tolerance = 1.0;
    o.mz_power = 0.5;
    o.intensity_power = 2;
    r = pair(m1, i1, 5, m2, i2, 5, &o);
    CHECK(r.matched == 3);
    CHECK_NEAR(r.score, 0.042855, 1e-6);

    const double m3[] = {100, 299, 300, 301, 510}, m4[] = {100, 300, 301, 511};
    const float i3[] = {0.1f, 1.0f, 0.2f, 0.3f, 0.4f}, i4[] = {0.1f, 1.0f, 0.3f, 0.4f};
    o.mz_power = 0;
    o.intensity_power = 1;
    o.tolerance = 0.2;
    nps_peak_match m[8];
    size_t nm = 8;
    CHECK(nps_score_pair(&r, m, &nm, ws, m3, i3, 5, m4, i4, 4, &o) == 0);
    CHECK(r.matched == 3 && nm == 3);
    CHECK_NEAR(r.score, 0.234404, 1e-6);
    o.tolerance = 2.0;
    r = pair(m3, i3, 5, m4, i4, 4, &o);
    CHECK(r.matched == 4);
    CHECK_NEAR(r.score, 0.984495, 1e-6);
}

static void entropy_reference(void)
{
    /* ms_entropy tests/test_entropy.py; the pairwise calls clean with noise 0.01 and a
     * merge distance of twice the tolerance, without precursor removal */
    const double qm[] = {69.071, 86.066, 86.0969}, rm[] = {41.04, 69.07, 86.1};
    const float qi[] = {7.917962f, 1.021589f, 100.0f}, ri[] = {37.16f, 66.83f, 999.0f};
    static const struct {
        double tol, unweighted, weighted;
    } t[] = {{0.05, 0.9826668790176113, 0.8984397722577456},
             {0.015, 0.9780402849658875, 0.8380874603833756}};
    for (size_t k = 0; k < 2; k++) {
        nps_preprocess_options p = NPS_PREPROCESS_MSMS_INIT;
        p.precursor_removal = 0;
        p.merge_tolerance = 2 * t[k].tol;
        double cqm[3], crm[3];
        float cqi[3], cri[3];
        size_t nq = nps_preprocess_peaks(cqm, cqi, qm, qi, 3, NAN, &p);
        size_t nr = nps_preprocess_peaks(crm, cri, rm, ri, 3, NAN, &p);
        nps_score_options o = NPS_SCORE_OPTIONS_INIT;
        o.tolerance = t[k].tol;
        o.type = NPS_SCORE_ENTROPY_UNWEIGHTED;
        CHECK_NEAR(pair(cqm, cqi, nq, crm, cri, nr, &o).score, t[k].unweighted, 1e-6);
        o.type = NPS_SCORE_ENTROPY;
        CHECK_NEAR(pair(cqm, cqi, nq, crm, cri, nr, &o).score, t[k].weighted, 1e-6);
        /* 200 ppm and 50 ppm are the same tolerances in ppm */
        o.tolerance = k == 0 ? 200 : 50;
        o.tolerance_ppm = 1;
        o.type = NPS_SCORE_ENTROPY_UNWEIGHTED;
        CHECK_NEAR(pair(cqm, cqi, nq, crm, cri, nr, &o).score, t[k].unweighted, 1e-6);
        /* nothing below m/z 50 survives a cut at 50: score 0 */
        p.precursor_removal = 1.6;
        nq = nps_preprocess_peaks(cqm, cqi, qm, qi, 3, 51.6, &p);
        nr = nps_preprocess_peaks(crm, cri, rm, ri, 3, 51.6, &p);
        CHECK(pair(cqm, cqi, nq, crm, cri, nr, &o).score == 0);
    }
    /* clean_spectrum example: max_mz 85, noise 0.01, merge 0.05 Da */
    const double cm[] = {41.04, 69.071, 69.071, 86.0969};
    const float ci[] = {0.3716f, 7.917962f, 100.0f, 66.83f};
    double om[4];
    float oi[4];
    nps_preprocess_options p = NPS_PREPROCESS_MSMS_INIT;
    size_t n = nps_preprocess_peaks(om, oi, cm, ci, 4, 86.6, &p);
    CHECK(n == 1);
    CHECK_NEAR(om[0], 69.071, 1e-5);
    CHECK_NEAR(oi[0], 1.0, 1e-7);
}

static void composite_by_hand(void)
{
    const double m[] = {50, 60, 70};
    const float qi[] = {100, 50, 25}, ri[] = {100, 25, 25};
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.type = NPS_SCORE_COMPOSITE;
    o.tolerance = 0.5;
    nps_score_result r = pair(m, qi, 3, m, ri, 3, &o);
    /* NIST's intensities: base peak 999, rounded (499.5 rounds up) */
    const double Iq[] = {999, 500, 250}, Ir[] = {999, 250, 250};
    double dot = 0, nq = 0, nr = 0;
    for (int k = 0; k < 3; k++) {
        dot += sqrt(m[k] * Iq[k]) * sqrt(m[k] * Ir[k]);
        nq += m[k] * Iq[k];
        nr += m[k] * Ir[k];
    }
    double dp = dot * dot / (nq * nr);
    double r1 = sqrt((250.0 / 999.0) / (500.0 / 999.0)); /* m/z 60 */
    double r2 = sqrt((250.0 / 250.0) / (250.0 / 500.0)); /* m/z 70 */
    double fr = (fmin(r1, 1 / r1) * 60 + fmin(r2, 1 / r2) * 70) / (60 + 70);
    double mf = (3 * dp + 2 * fr) / (3 + 2);
    CHECK(r.matched == 3);
    CHECK_NEAR(r.score, mf, 1e-12);
    CHECK_NEAR(r.composite, mf, 1e-12);
    /* identical spectra score 1 */
    CHECK_NEAR(pair(m, qi, 3, m, qi, 3, &o).score, 1.0, 1e-12);
    /* reverse: an extra unknown peak absent from the reference is ignored */
    const double m2[] = {50, 60, 70, 95};
    const float q2[] = {100, 50, 25, 80};
    double fwd = pair(m2, q2, 4, m, qi, 3, &o).score;
    o.reverse = 1;
    nps_score_result rv = pair(m2, q2, 4, m, qi, 3, &o);
    CHECK(fwd < 0.9);
    CHECK_NEAR(rv.score, 1.0, 1e-12);
}

/*
 * The composite MF where every rule of NIST's shows (composite.c): m/z that
 * are not integers fall in NIST's bins (70.1 and 69.9 are both 70), the two
 * ratio terms differ and are weighted by the bin, the spectra have other
 * peak counts than the number of common bins (n1 = 3, not 4 or 5), peaks of
 * one spectrum only count in the dot term's sums, and the intensities are
 * NIST's, rescaled to 999 and rounded. Computed here from the definition, on
 * both paths (with and without the matched pairs).
 */
static void composite_reference(void)
{
    const double qm[] = {50.0, 60.2, 70.1, 85.0};
    const float qi[] = {100, 50, 20, 10};
    const double rm[] = {50.1, 60.0, 69.9, 120.0, 130.0};
    const float ri[] = {80, 50, 40, 30, 5};
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.type = NPS_SCORE_COMPOSITE;
    o.tolerance = 0.5;
    /* bins 50, 60, 70, 85 and 50, 60, 70, 120, 130; common 50, 60, 70 */
    const double Mq[] = {50, 60, 70, 85}, Iq[] = {999, 500, 200, 100};
    const double Mr[] = {50, 60, 70, 120, 130}, Ir[] = {999, 624, 500, 375, 62};
    double dot = 0, nq = 0, nr = 0;
    for (int k = 0; k < 3; k++) dot += sqrt(Mq[k] * Iq[k] * Mr[k] * Ir[k]);
    for (int k = 0; k < 4; k++) nq += Mq[k] * Iq[k];
    for (int k = 0; k < 5; k++) nr += Mr[k] * Ir[k];
    double dp = dot * dot / (nq * nr);
    double num = 0, den = 0;
    for (int k = 1; k < 3; k++) {
        double R = sqrt((Ir[k] / Ir[k - 1]) / (Iq[k] / Iq[k - 1]));
        num += fmin(R, 1 / R) * Mq[k]; /* weighted by the later bin */
        den += Mq[k];
    }
    double fr = num / den;
    double mf = (3 * dp + 2 * fr) / (3 + 2); /* n1 = 3 common bins, n2 = 2 ratio terms */
    /* the two ratio terms really differ */
    CHECK(fabs(fr - 1) > 0.05 && mf > 0.3 && mf < 0.99);
    nps_score_result r = pair(qm, qi, 4, rm, ri, 5, &o);
    CHECK(r.matched == 3);
    CHECK_NEAR(r.score, mf, 1e-12);
    /* RMF: the unknown's bin 85, absent from the library, leaves F1's sum */
    double rmf = (3 * (dot * dot / ((nq - 85 * 100) * nr)) + 2 * fr) / 5;
    CHECK_NEAR(r.reverse, rmf, 1e-12);
    nps_peak_match m[8];
    size_t nm = 8;
    CHECK(nps_score_pair(&r, m, &nm, ws, qm, qi, 4, rm, ri, 5, &o) == 0);
    CHECK(nm == 3 && r.matched == 3);
    CHECK(m[2].query == 2 && m[2].reference == 2);
    CHECK_NEAR(r.score, mf, 1e-12);
}

/*
 * One-to-one matching, for every score: two query peaks within the tolerance
 * of one library peak. Only one of them may match it. The expected score is
 * computed from one matched pair (cosine, composite) or, for the entropy
 * scores, equals the score with the second query peak moved out of reach
 * (same intensities, so the same spectral entropy and weights: only the
 * matching differs).
 */
static void one_to_one(void)
{
    const double qm[] = {100.0, 100.01}, qfar[] = {100.0, 150.0}, rm[] = {100.005};
    const float qi[] = {1.0f, 0.25f}, ri[] = {1.0f};
    for (int t = 0; t < NPS_SCORE_COUNT; t++) {
        nps_score_options o = NPS_SCORE_OPTIONS_INIT;
        o.type = (nps_score_type)t;
        o.tolerance = 0.02;
        nps_score_result r = pair(qm, qi, 2, rm, ri, 1, &o);
        CHECK_MSG(r.matched == 1, "%s: %zu matches", nps_score_name(o.type), r.matched);
        nps_peak_match m[4];
        size_t nm = 4;
        CHECK(nps_score_pair(&r, m, &nm, ws, qm, qi, 2, rm, ri, 1, &o) == 0);
        CHECK_MSG(nm == 1 && m[0].reference == 0 && m[0].query == 0, "%s: %zu pairs",
                  nps_score_name(o.type), nm);
        double want;
        if (o.type == NPS_SCORE_COSINE) {
            double wy = pow(0.25, o.intensity_power); /* the stronger peak matches */
            want = 1.0 / sqrt(1.0 + wy * wy);
        } else if (o.type == NPS_SCORE_COMPOSITE) {
            /* NIST sums both query peaks into bin 100: one common bin */
            want = 1.0;
        } else {
            want = pair(qfar, qi, 2, rm, ri, 1, &o).score;
        }
        CHECK_MSG(fabs(r.score - want) <= 1e-9, "%s: %.9f, one-to-one %.9f", nps_score_name(o.type),
                  r.score, want);
        CHECK(r.score < 0.999 || o.type == NPS_SCORE_COMPOSITE);
    }
}

static void boundary_and_ppm(void)
{
    /* inclusive at exactly the tolerance (values exact in binary) */
    const double a[] = {100.0}, b[] = {100.5},
                 c[] = {100.5001}; /* entropy decides in float32 (ulp 7.6e-6 at m/z 100) */
    const float one[] = {1.0f};
    nps_score_options o = NPS_SCORE_OPTIONS_INIT;
    o.tolerance = 0.5;
    for (int t = 0; t < 4; t++) {
        o.type = (nps_score_type)t;
        if (o.type == NPS_SCORE_COMPOSITE) continue; /* bins, not a tolerance: below */
        CHECK_MSG(pair(a, one, 1, b, one, 1, &o).matched == 1, "score %d", t);
        CHECK_MSG(pair(a, one, 1, c, one, 1, &o).matched == 0, "score %d", t);
    }
    /* the composite's bins: (99.649, 100.649] is 100 */
    o.type = NPS_SCORE_COMPOSITE;
    const double bin_in[] = {100.649}, bin_out[] = {100.6491}, bin_lo[] = {99.6491},
                 bin_below[] = {99.649};
    CHECK(pair(a, one, 1, bin_in, one, 1, &o).matched == 1);
    CHECK(pair(a, one, 1, bin_out, one, 1, &o).matched == 0);
    CHECK(pair(a, one, 1, bin_lo, one, 1, &o).matched == 1);
    CHECK(pair(a, one, 1, bin_below, one, 1, &o).matched == 0);
    /* 10 ppm at m/z 500 is 0.005 Da, relative to the query peak */
    const double q[] = {500.0}, in[] = {500.004}, out[] = {500.006};
    o.tolerance = 10;
    o.tolerance_ppm = 1;
    for (int t = 0; t < 4; t++) {
        o.type = (nps_score_type)t;
        if (o.type == NPS_SCORE_COMPOSITE) continue;
        CHECK(pair(q, one, 1, in, one, 1, &o).matched == 1);
        CHECK(pair(q, one, 1, out, one, 1, &o).matched == 0);
    }
    /* each peak is matched at most once */
    const double q2[] = {100.0, 100.01}, r2[] = {100.005};
    const float i2[] = {1.0f, 2.0f};
    o.tolerance = 0.02;
    o.tolerance_ppm = 0;
    o.type = NPS_SCORE_COSINE;
    CHECK(pair(q2, i2, 2, r2, one, 1, &o).matched == 1);
}

static void cleaning(void)
{
    double om[8];
    float oi[8];
    /* EI unit mass: floor(mz + 0.5), maximum kept */
    const double em[] = {50.4, 50.6, 51.2, 77.49};
    const float ei[] = {10, 20, 5, 7};
    nps_preprocess_options p = NPS_PREPROCESS_EI_INIT;
    p.normalize = NPS_NORMALIZE_NONE;
    size_t n = nps_preprocess_peaks(om, oi, em, ei, 4, NAN, &p);
    CHECK(n == 3 && om[0] == 50 && oi[0] == 10 && om[1] == 51 && oi[1] == 20 && om[2] == 77);
    /* noise, max peaks, normalisation */
    const double mm[] = {10, 20, 30, 40, 50};
    const float mi[] = {100, 0.5f, 50, 30, 2};
    nps_preprocess_options q = NPS_PREPROCESS_MSMS_INIT;
    q.precursor_removal = 0;
    q.merge_tolerance = 0;
    q.noise = 0.01;
    n = nps_preprocess_peaks(om, oi, mm, mi, 5, NAN, &q);
    CHECK(n == 4 && om[1] == 30); /* 0.5 < 1 = 1% of 100 */
    q.max_peaks = 2;
    n = nps_preprocess_peaks(om, oi, mm, mi, 5, NAN, &q);
    CHECK(n == 2 && om[0] == 10 && om[1] == 30);
    CHECK_NEAR(oi[0] + oi[1], 1.0, 1e-6);
    q.normalize = NPS_NORMALIZE_MAX;
    n = nps_preprocess_peaks(om, oi, mm, mi, 5, NAN, &q);
    CHECK(oi[0] == 1.0f && oi[1] == 0.5f);
    /* merge: the most intense peak absorbs neighbours within the distance */
    const double gm[] = {100.00, 100.03, 100.06, 200.0};
    const float gi[] = {1, 3, 1, 5};
    q = (nps_preprocess_options)NPS_PREPROCESS_MSMS_INIT;
    q.precursor_removal = 0;
    q.normalize = NPS_NORMALIZE_NONE;
    n = nps_preprocess_peaks(om, oi, gm, gi, 4, NAN, &q);
    CHECK(n == 2 && oi[0] == 5 && fabs(om[0] - 100.03) < 1e-4);
    /* precursor removal: m/z >= precursor - 1.6 dropped */
    const double pm[] = {100, 198.3, 198.5, 200};
    const float pi[] = {1, 1, 1, 1};
    q.merge_tolerance = 0;
    q.precursor_removal = 1.6;
    n = nps_preprocess_peaks(om, oi, pm, pi, 4, 200.0, &q);
    CHECK(n == 2 && om[1] == 198.3);
    /* raw: only sorted */
    const double um[] = {300, 100, 200};
    const float ui[] = {0, 2, 3};
    nps_preprocess_options raw = NPS_PREPROCESS_RAW_INIT;
    n = nps_preprocess_peaks(om, oi, um, ui, 3, NAN, &raw);
    CHECK(n == 3 && om[0] == 100 && om[2] == 300 && oi[2] == 0);
}

static void names(void)
{
    nps_score_type t;
    CHECK(nps_score_parse(&t, "composite") == 0 && t == NPS_SCORE_COMPOSITE);
    CHECK(nps_score_parse(&t, "entropy-unweighted") == 0 && t == NPS_SCORE_ENTROPY_UNWEIGHTED);
    CHECK(nps_score_parse(&t, "dot") == NPS_EINVAL);
    CHECK(strcmp(nps_score_name(NPS_SCORE_COSINE), "cosine") == 0);
    CHECK(strcmp(nps_strerror(NPS_EFORMAT), "malformed input") == 0);
}

int main(void)
{
    nps_score_workspace_create(&ws);
    cosine_table();
    entropy_reference();
    composite_by_hand();
    composite_reference();
    one_to_one();
    boundary_and_ppm();
    cleaning();
    names();
    nps_score_workspace_free(ws);
    nps_score_workspace_free(NULL);
    return check_done("test_scores");
}

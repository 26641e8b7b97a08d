/*
 * Spectral entropy similarity (Li, Fiehn et al., Nature Methods 18, 1524
 * (2021)), weighted and unweighted.
 *
 * With p and q the intensities of two spectra normalised to sum 1, the
 * similarity is 1 - (2 S(p+q)/2 - S(p) - S(q)) / ln 4, S the Shannon entropy.
 * Only matched peaks change the merged entropy, so the score reduces to a
 * sum over matched peak pairs (ms_entropy's formulation):
 *     score = 1/2 * sum_matched [ f(x + y) - f(x) - f(y) ],  f(v) = v log2 v,
 * clamped to [0, 1]. The weighted variant first raises every intensity to the
 * power 0.25 + 0.25 S when the spectrum's entropy S is below 3 (nats) and
 * renormalises: low-entropy spectra, dominated by one or two ions, get their
 * minor peaks lifted.
 *
 * A spectrum scored many times (the library's, the query's) carries its
 * f(w) values in its prepared form (nps_prep v), so that a pair costs one
 * logarithm, not three: the same function of the same weights, so the same
 * bits as computing them in the pair.
 *
 * Matching is ms_entropy's two-pointer walk over both m/z-sorted lists:
 * with d = mz_q - mz_r, d < -tol advances the query, d > tol the reference,
 * otherwise the pair matches and both advance. The boundary is inclusive;
 * in ppm mode tol = ppm 1e-6 mz_q. The comparison is made in float32, as in
 * ms_entropy, so that a pair at exactly the tolerance is decided the same way.
 */
#include "scoring.h"

#include <math.h>

void nps_entropy_weights(double *w, const float *in, size_t n, int weighted)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += in[i];
    if (sum <= 0) {
        for (size_t i = 0; i < n; i++) w[i] = 0;
        return;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        w[i] = in[i] / sum;
        if (w[i] > 0) s -= w[i] * log(w[i]);
    }
    if (!weighted || s >= 3.0) return;
    double e = 0.25 + 0.25 * s, t = 0;
    for (size_t i = 0; i < n; i++) {
        w[i] = w[i] > 0 ? pow(w[i], e) : 0;
        t += w[i];
    }
    if (t > 0)
        for (size_t i = 0; i < n; i++) w[i] /= t;
}

static inline double f(double v)
{
    return v > 0 ? v * log2(v) : 0;
}

void nps_entropy_terms(double *fw, const double *w, size_t n)
{
    for (size_t i = 0; i < n; i++) fw[i] = f(w[i]);
}

/* The matched pairs' terms, in match order, added to s. */
static double add_terms(double s, const nps_prep *q, const nps_prep *r, const uint32_t *mi,
                        const uint32_t *mj, size_t n)
{
    for (size_t t = 0; t < n; t++) {
        size_t i = mi[t], j = mj[t];
        double x = q->w[i], y = r->w[j];
        s += f(x + y) - (q->v ? q->v[i] : f(x)) - (r->v ? r->v[j] : f(y));
    }
    return s;
}

/* The walk is written without branches on the data (a step advances the
 * query unless the reference peak lies below its window, the reference
 * unless the query peak lies below the reference's, both on a match), since
 * which way a step goes is a coin toss for the branch predictor; matches are
 * noted a batch at a time and their terms summed after, in the same order,
 * so the sum is the same bits as adding them on the way. */
enum { PAIR_BATCH = 64 };

double nps_entropy_pair(const nps_prep *q, const nps_prep *r, const nps_score_options *o,
                        size_t *matched, nps_peak_match *m, size_t cap)
{
    size_t i = 0, j = 0, k = 0, nb = 0;
    uint32_t mi[PAIR_BATCH], mj[PAIR_BATCH];
    double s = 0;
    while (i < q->n && j < r->n) {
        /* float32, as ms_entropy: decides boundary cases the same way */
        float tol = (float)nps_tol_at(o, q->mz[i]);
        float d = (float)q->mz[i] - (float)r->mz[j];
        int r_low = d > tol, q_low = d < -tol;
        mi[nb] = (uint32_t)i;
        mj[nb] = (uint32_t)j;
        nb += (size_t)(!r_low && !q_low);
        i += (size_t)!r_low;
        j += (size_t)!q_low;
        if (nb == PAIR_BATCH) {
            for (size_t t = 0; t < nb; t++, k++)
                if (m && k < cap) m[k] = (nps_peak_match){mi[t], mj[t]};
            s = add_terms(s, q, r, mi, mj, nb);
            nb = 0;
        }
    }
    for (size_t t = 0; t < nb; t++, k++)
        if (m && k < cap) m[k] = (nps_peak_match){mi[t], mj[t]};
    s = add_terms(s, q, r, mi, mj, nb);
    *matched = k;
    s *= 0.5;
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

static double prepare_weighted(double *w, double *v, const double *mz, const float *in, size_t n,
                               const nps_score_options *o)
{
    (void)mz, (void)o;
    nps_entropy_weights(w, in, n, 1);
    if (v) nps_entropy_terms(v, w, n);
    return 0;
}

static double prepare_unweighted(double *w, double *v, const double *mz, const float *in, size_t n,
                                 const nps_score_options *o)
{
    (void)mz, (void)o;
    nps_entropy_weights(w, in, n, 0);
    if (v) nps_entropy_terms(v, w, n);
    return 0;
}

static int pair(nps_score_result *res, nps_peak_match *m, size_t cap, size_t *n_m,
                nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                const nps_score_options *o)
{
    (void)ws;
    res->score = nps_entropy_pair(q, r, o, &res->matched, m, cap);
    *n_m = res->matched < cap ? res->matched : cap;
    return 0;
}

/* The index sums f(x+y) - f(x) - f(y) over every pair within tolerance, a
 * superset of the matched ones, and the score is half the matched sum: the
 * bound is 0.5 a. */
const nps_score_ops nps_score_entropy = {"entropy", 1, prepare_weighted, pair, NULL, 0.5};
const nps_score_ops nps_score_entropy_unweighted = {
    "entropy-unweighted", 1, prepare_unweighted, pair, NULL, 0.5};

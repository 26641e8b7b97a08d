/*
 * The identification probability: how likely a hit's compound is the
 * query's compound, given the other compounds of the hit list.
 *
 * NIST MS Search prints a "Prob" per hit derived from the differences
 * between the top hits' match factors (Stein, J. Am. Soc. Mass Spectrom. 5
 * (1994) 859-866, section "Probability"): a hit far ahead of the next
 * compound is likely right, two compounds at nearly one score share the
 * probability. It assumes the compound is in the library, which in NPS
 * casework it often is not. The model here keeps that idea and adds the
 * answer a seized-drug library most often needs, "none of these":
 *
 *   a multinomial (conditional) logit over the distinct compounds c of the
 *   hit list and one alternative, none. Compound c, through its best hit,
 *   has utility u_c = b_s * s_c + b_m * ln(1 + m_c) (plain score s_c in
 *   0..1, m_c matched peaks: a match on two peaks is weaker evidence than
 *   one on twenty at the same score); none has utility a. Then
 *       P(c) = exp(u_c) / (exp(a) + sum_c' exp(u_c'))
 *   and the probabilities of the listed compounds sum to at most 1; ratios
 *   between compounds depend only on their score differences, as NIST's do.
 *
 * Compounds are told apart by nps_compound_key (InChIKey first block, else
 * the name), so replicate spectra of one compound count once and carry one
 * probability. A spectrum without a key is a compound of its own.
 *
 * The parameters are fitted by maximum likelihood (the negative
 * log-likelihood is convex in (a, b_s, b_m); GSL's BFGS minimises it with
 * the analytic gradient) on the cross-laboratory MassBank queries, each
 * searched twice: with its compound's other-laboratory spectra in the
 * library and with the compound left out, so the built-in models assume an
 * even prior that the compound is in the library. `npsbench probability`
 * refits them, by compound-disjoint halves, and prints the calibration
 * (observed right rate per probability bin) recorded in bench/RESULTS.md.
 */
#include "stats.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Fitted by `npsbench probability` (all compounds; bench/RESULTS.md section
 * 17): EI ranked by the composite MF (820 cross-laboratory queries of the
 * MassBank EI records), MS/MS by spectral entropy in identity search (4,482
 * cross-laboratory queries of the 78k MassBank MS/MS records). */
static const nps_probability_model builtin_ei = {NPS_PROBABILITY_MODEL_VERSION, 18.9250, 19.4891,
                                                 0.5868};
static const nps_probability_model builtin_msms = {NPS_PROBABILITY_MODEL_VERSION, 3.4036, 5.7930,
                                                   0.0875};

const nps_probability_model *nps_probability_builtin(nps_kind kind, nps_score_type score)
{
    if (kind == NPS_KIND_EI && score == NPS_SCORE_COMPOSITE) return &builtin_ei;
    if (kind == NPS_KIND_MSMS && score == NPS_SCORE_ENTROPY) return &builtin_msms;
    return NULL;
}

int nps_probability_model_default(nps_probability_model *out, nps_kind kind, nps_score_type score)
{
    if (!out) return nps_err(NPS_EINVAL, "NULL argument");
    const nps_probability_model *m = nps_probability_builtin(kind, score);
    if (!m)
        return nps_err(NPS_ENOTFOUND, "no calibrated probability model for %s queries ranked by %s",
                       kind == NPS_KIND_EI ? "EI" : "MS/MS", nps_score_name(score));
    *out = *m;
    return 0;
}

/* The model hits were given their probability with: a search gives one
 * only under a built-in model (search/query.c), and no two built-in models
 * share a ranking score, so the score type names it. */
const nps_probability_model *nps_probability_model_of(const nps_hit *hit)
{
    if (isnan(hit->probability)) return NULL;
    for (int k = 0; k < NPS_KIND_COUNT; k++) {
        const nps_probability_model *m = nps_probability_builtin((nps_kind)k, hit->score_type);
        if (m) return m;
    }
    return NULL;
}

static double utility(const nps_probability_model *m, double score, size_t matched)
{
    return m->score * score + m->matched * log1p((double)matched);
}

/* ln(exp(none) + sum exp(u[i])), without overflow */
static double log_partition(double none, const double *u, size_t n)
{
    double top = none;
    for (size_t i = 0; i < n; i++)
        if (u[i] > top) top = u[i];
    double z = exp(none - top);
    for (size_t i = 0; i < n; i++) z += exp(u[i] - top);
    return top + log(z);
}

void nps_probability_assign(nps_hit *hits, size_t n, const uint64_t *key, double *u, size_t *cls,
                            const nps_probability_model *m)
{
    /* the compounds: cls[i] is hit i's (numbered in order of first hit;
     * hits come in rank order; quadratic in the hit list, which is short),
     * u[c] the utility of compound c's best hit */
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        if (key[i])
            while (j < i && key[j] != key[i]) j++;
        else
            j = i;
        double ui = utility(m, nps_hit_plain_score(&hits[i]), hits[i].matched);
        if (j == i) {
            cls[i] = nc;
            u[nc++] = ui;
        } else {
            cls[i] = cls[j];
            if (ui > u[cls[i]]) u[cls[i]] = ui;
        }
    }
    double lz = log_partition(m->none, u, nc);
    for (size_t i = 0; i < n; i++) hits[i].probability = exp(u[cls[i]] - lz);
}

double nps_probability_of(const nps_probability_model *m, const nps_probability_obs *obs, size_t n,
                          size_t i)
{
    if (!m || !obs || i >= n) return NAN;
    double top = m->none, ui = utility(m, obs[i].score, obs[i].matched);
    for (size_t k = 0; k < n; k++) top = fmax(top, utility(m, obs[k].score, obs[k].matched));
    double z = exp(m->none - top);
    for (size_t k = 0; k < n; k++) z += exp(utility(m, obs[k].score, obs[k].matched) - top);
    return exp(ui - top - log(z));
}

/* ----------------------------------------------------------------- fit */

typedef struct {
    const nps_probability_obs *obs;
    size_t n;
    const size_t *start; /* query g is obs[start[g], start[g + 1]) */
    size_t ng;
    double *u;     /* scratch: utilities of one query */
    int fix_match; /* the matched-peaks term held at 0 */
} fit_data;

/* The negative log-likelihood and its gradient at x = (a, b_s, b_m). */
static void nll(const gsl_vector *x, void *vd, double *f, gsl_vector *g)
{
    const fit_data *d = vd;
    nps_probability_model m = {NPS_PROBABILITY_MODEL_VERSION, gsl_vector_get(x, 0),
                               gsl_vector_get(x, 1), gsl_vector_get(x, 2)};
    double sum = 0, ga = 0, gs = 0, gm = 0;
    for (size_t q = 0; q < d->ng; q++) {
        const nps_probability_obs *o = d->obs + d->start[q];
        size_t k = d->start[q + 1] - d->start[q];
        for (size_t i = 0; i < k; i++) d->u[i] = utility(&m, o[i].score, o[i].matched);
        double lz = log_partition(m.none, d->u, k);
        /* expected features under the model, minus the observed ones */
        double pn = exp(m.none - lz);
        ga += pn;
        int any = 0;
        for (size_t i = 0; i < k; i++) {
            double p = exp(d->u[i] - lz), lm = log1p((double)o[i].matched);
            gs += p * o[i].score;
            gm += p * lm;
            if (o[i].right) {
                any = 1;
                sum += lz - d->u[i];
                gs -= o[i].score;
                gm -= lm;
            }
        }
        if (!any) {
            sum += lz - m.none;
            ga -= 1;
        }
    }
    if (f) *f = sum;
    if (g) {
        gsl_vector_set(g, 0, ga);
        gsl_vector_set(g, 1, gs);
        gsl_vector_set(g, 2, d->fix_match ? 0.0 : gm);
    }
}

static double nll_f(const gsl_vector *x, void *d)
{
    double f;
    nll(x, d, &f, NULL);
    return f;
}

static void nll_df(const gsl_vector *x, void *d, gsl_vector *g)
{
    nll(x, d, NULL, g);
}

static void nll_fdf(const gsl_vector *x, void *d, double *f, gsl_vector *g)
{
    nll(x, d, f, g);
}

int nps_probability_fit(nps_probability_model *out, const nps_probability_obs *obs, size_t n,
                        unsigned flags)
{
    if (!out || (!obs && n)) return nps_err(NPS_EINVAL, "NULL argument");
    /* the queries: runs of one `query` value */
    size_t ng = 0, longest = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || obs[i].query != obs[i - 1].query) ng++;
    if (ng < 2) return nps_err(NPS_EINVAL, "a probability fit needs two queries or more");
    size_t *start = malloc((ng + 1) * sizeof *start);
    if (!start) return nps_err(NPS_ENOMEM, "out of memory");
    size_t g = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || obs[i].query != obs[i - 1].query) start[g++] = i;
    start[ng] = n;
    for (g = 0; g < ng; g++) {
        size_t k = start[g + 1] - start[g], right = 0;
        if (k > longest) longest = k;
        for (size_t i = start[g]; i < start[g + 1]; i++) right += obs[i].right != 0;
        if (right > 1) {
            size_t q = obs[start[g]].query;
            free(start);
            return nps_err(NPS_EINVAL, "query %zu has %zu right compounds", q, right);
        }
    }
    double *u = malloc(longest * sizeof *u);
    if (!u) {
        free(start);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    /* a held term: its gradient is 0, so BFGS never moves it from 0 */
    fit_data d = {obs, n, start, ng, u, (flags & NPS_PROBABILITY_SCORE_ONLY) != 0};
    gsl_multimin_function_fdf fn = {nll_f, nll_df, nll_fdf, 3, &d};
    gsl_vector *x = gsl_vector_alloc(3);
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, 3);
    int rc = 0, status = GSL_CONTINUE;
    if (!x || !s) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
    } else {
        /* start: "none" at a typical score of 0.7, ten utility units per
         * unit of score */
        gsl_vector_set(x, 0, 7.0);
        gsl_vector_set(x, 1, 10.0);
        gsl_vector_set(x, 2, 0.0);
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        gsl_multimin_fdfminimizer_set(s, &fn, x, 0.5, 0.1);
        for (int it = 0; it < 500 && status == GSL_CONTINUE; it++) {
            if (gsl_multimin_fdfminimizer_iterate(s)) break;
            /* the gradient per query: a likelihood summed over thousands */
            status = gsl_multimin_test_gradient(s->gradient, 1e-6 * (double)ng);
        }
        gsl_set_error_handler(old);
        const gsl_vector *b = s->x;
        double g0 = gsl_vector_get(s->gradient, 0) / (double)ng,
               g1 = gsl_vector_get(s->gradient, 1) / (double)ng,
               g2 = gsl_vector_get(s->gradient, 2) / (double)ng;
        /* BFGS may stop on a line search that cannot improve; accept the
         * point when its gradient per query is that of an optimum anyway */
        double gn = sqrt(g0 * g0 + g1 * g1 + g2 * g2);
        int finite = isfinite(gsl_vector_get(b, 0)) && isfinite(gsl_vector_get(b, 1)) &&
                     isfinite(gsl_vector_get(b, 2)) && isfinite(gn);
        if (!finite || (status != GSL_SUCCESS && gn > 1e-4))
            rc = nps_err(NPS_EINVAL, "the probability fit did not converge");
        else
            *out = (nps_probability_model){NPS_PROBABILITY_MODEL_VERSION, gsl_vector_get(b, 0),
                                           gsl_vector_get(b, 1), gsl_vector_get(b, 2)};
    }
    gsl_multimin_fdfminimizer_free(s);
    gsl_vector_free(x);
    free(u);
    free(start);
    return rc;
}

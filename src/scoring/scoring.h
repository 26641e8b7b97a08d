/* Private scoring interface: spectra prepared once, scored many times. */
#ifndef NPS_SCORING_H
#define NPS_SCORING_H

#include "../core/internal.h"

/* A spectrum prepared for one score: per-peak weights computed once, so that
 * a search prepares each library spectrum once and not once per query. */
typedef struct {
    const double *mz;
    const float *in; /* preprocessed intensities (needed to re-prepare for --reverse) */
    const double *w; /* score weights: entropy-weighted p, p, mz^a I^b, or sqrt(mz I) */
    /* composite: NIST's integer intensity (composite.c); entropy scores: w log2 w of
     * each weight (NULL: computed where needed), the same bits either way */
    const double *v;
    size_t n;
    double norm; /* sqrt(sum w^2) (cosine, composite) */
} nps_prep;

/*
 * A score, behind one ops table (score.c holds the table, indexed by
 * nps_score_type and sized by NPS_SCORE_COUNT; each score's entry lives in
 * its own file). Adding a score is its file and one line of the table
 * (docs/architecture.md).
 *   prepare: per-peak weights w (and v) of a spectrum; returns its norm.
 *   pair:    the exact score of a prepared pair; up to cap matched pairs
 *            into m (their number into *n_m).
 *   bound:   an upper bound of the exact score from the fragment-index scan:
 *            a = the sum of the pair terms of every pair within tolerance
 *            (several per peak possible), pairs = their number (the
 *            composite: its common bins), terms and mean = the composite's
 *            ratio terms and their weighted mean, s = a scale of the query
 *            and the spectrum (the composite's);
 *            NULL when the bound is bound_scale * a (the scan then applies it
 *            inline: it runs once per touched library spectrum).
 *   entropy: the pair term is the entropy one, 0.5 (f(x+y) - f(x) - f(y)) with
 *            f(v) = v log2 v, on unnormalised weights; otherwise it is the
 *            product of the weights divided by both norms (cosine type).
 */
typedef struct {
    const char *name;
    int entropy;
    double (*prepare)(double *w, double *v, const double *mz, const float *in, size_t n,
                      const nps_score_options *o);
    int (*pair)(nps_score_result *res, nps_peak_match *m, size_t cap, size_t *n_m,
                nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                const nps_score_options *o);
    double (*bound)(double a, double pairs, double terms, double mean, double s);
    double bound_scale;
} nps_score_ops;

extern const nps_score_ops *const nps_score_table[NPS_SCORE_COUNT];
extern const nps_score_ops nps_score_entropy, nps_score_entropy_unweighted, nps_score_cosine,
    nps_score_composite;

static inline int nps_score_is_entropy(nps_score_type t)
{
    return nps_score_table[t]->entropy;
}

/* Fill w (n values) and v when given (the composite's sqrt(I), the entropy
 * scores' w log2 w); return the norm. */
double nps_score_prepare(double *w, double *v, const double *mz, const float *in, size_t n,
                         const nps_score_options *o);

/* Score a prepared query against a prepared reference. */
int nps_score_prepared(nps_score_result *res, nps_peak_match *matches, size_t *n_matches,
                       nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                       const nps_score_options *o);

/* The composite (NIST identity) match factor of a prepared pair, whatever
 * the ranking score, and its reverse match factor into *rmf (may be NULL);
 * q and r must be prepared for NPS_SCORE_COMPOSITE. */
double nps_score_composite_prepared(nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                                    const nps_score_options *o, size_t *matched, double *rmf);
/* The match factor NIST prints for MF (or RMF) 0..1: floor(1000 MF), at most 999. */
int nps_composite_mf_int(double mf);
/* NIST's nominal m/z of a peak, ceil(mz - 0.649) (bin boundary at 0.649),
 * without a libm call on baseline x86-64 (no rounding instruction): the
 * exact scoring takes it for every peak of every candidate. */
static inline double nps_nist_mz(double mz)
{
    double x = mz - 0.649;
    if (!(x > -4e15 && x < 4e15)) return x; /* NaN, infinities: as they are */
    double t = (double)(long long)x;        /* toward zero */
    return t < x ? t + 1 : t;
}
/* The index bound's scales (composite.c): the cut table of a prepared
 * library spectrum, ||l||^2 over its intensities above 1 from each cut on
 * (out[c * stride], rounded up; infinite when none), and a prepared query's
 * ||u||^2 over its intensities above 1, with the cut to read (*cut ==
 * NPS_COMPOSITE_CUTS: none applies, the bound is 1). */
#define NPS_COMPOSITE_CUTS 40
void nps_composite_cut_scales(float *out, size_t stride, const nps_prep *l);
double nps_composite_query_scale(const nps_prep *u, size_t *cut);

/* Individual scores (on prepared weights). */
double nps_entropy_pair(const nps_prep *q, const nps_prep *r, const nps_score_options *o,
                        size_t *matched, nps_peak_match *m, size_t cap);
int nps_greedy_match(nps_score_workspace *ws, const nps_prep *q, const nps_prep *r,
                     const nps_score_options *o);
void nps_entropy_weights(double *w, const float *in, size_t n, int weighted);
/* fw[i] = w[i] log2 w[i] (0 for w[i] <= 0): the entropy pair terms' f(w). */
void nps_entropy_terms(double *fw, const double *w, size_t n);

/* Hybrid score of prepared spectra (hybrid.c): direct matches and matches
 * shifted by delta; qprec/rprec (or NAN) limit shifted matches to peaks below
 * their precursor. ws->pairs and ws->pair_shifted hold the accepted pairs. */
int nps_hybrid_prepared(nps_hybrid_result *res, nps_score_workspace *ws, const nps_prep *q,
                        const nps_prep *r, double delta, double qprec, double rprec,
                        const nps_score_options *o);

/* The bytes a scoring workspace holds. */
size_t nps_score_workspace_bytes(const nps_score_workspace *ws);

/* Matching tolerance for a query peak. */
static inline double nps_tol_at(const nps_score_options *o, double mz)
{
    return o->tolerance_ppm ? o->tolerance * 1e-6 * mz : o->tolerance;
}

struct nps_score_workspace {
    int want_pairs; /* the caller reads ws->pairs after scoring (matched-pair lists) */
    /* greedy candidates */
    struct nps_cand {
        double w;
        uint32_t i, j;
        uint32_t shifted; /* hybrid: matched through the shift */
    } * cand;
    size_t cand_cap, ncand;
    unsigned char *used_q, *used_r;
    size_t used_q_cap, used_r_cap;
    /* accepted pairs of the last greedy match, in acceptance order */
    nps_peak_match *pairs;
    size_t pairs_cap, npairs;
    unsigned char *pair_shifted; /* hybrid: pairs[k] is a shifted match */
    size_t pair_shifted_cap;
    /* a re-prepared query (reverse search) */
    double *rq_mz, *rq_w, *rq_v;
    float *rq_in;
    size_t *rq_idx;
    size_t rq_cap;
};

#endif

/*
 * Mixture analysis: is the query one library compound, or two or three?
 *
 * Seized drugs are mixtures more often than not (cocaine cut with levamisole
 * or phenacetin, heroin with caffeine and paracetamol), and a GC peak that
 * two compounds share gives one spectrum that is the sum of theirs: ion
 * currents add. So the question is asked the way AMDIS and NIST's mixture
 * search ask it, as a fit: is the query, as a vector of intensities, a
 * non-negative combination of library spectra, and does a second (third)
 * compound explain enough of it to be named?
 *
 * 1. The axis: the query's peaks, preprocessed as the library's were; for EI
 *    NIST's nominal bins (the composite's, composite.c), for MS/MS the
 *    peaks themselves, a library peak mapped to the nearest query peak within
 *    the fragment tolerance. Every spectrum is scaled to unit total
 *    intensity, so that a coefficient is a share of the query's ion current.
 *    EI rows are weighted by their nominal mass (weighted least squares, the
 *    model unchanged): the ions of low mass that most spectra share
 *    (trimethylsilyl's 73 and 147, hydrocarbons' 41-57) would otherwise
 *    decide the fit; the right pair was the best fit in 57 % of 1:1 EI
 *    mixtures weighted, 49 % not.
 *    Library intensity off the axis (where the query has no peak) counts
 *    against the fit: its squares enter the Gram matrix's diagonal. (Two
 *    candidates' off-axis peaks at one m/z would add a cross term; it is left
 *    out, which lowers the residual of such a pair a little. A query peak
 *    the pair both lack is already on the axis.)
 * 2. The candidates: the distinct compounds (nps_compound_key: InChIKey first
 *    block, else name) among the query's hits, each by its best-scoring
 *    spectrum. When the best single compound leaves at least residual_gate
 *    of the query's intensity unexplained, that residual (clipped at 0) is
 *    searched in open mode with the same plan, and its hits' compounds join
 *    the candidates: the second compound of a mixture need not rank among
 *    the first's replicates and relatives (in a library dense in one class,
 *    ten analogues of the first can fill the hit list).
 * 3. The fit: non-negative least squares over every pair of candidates (and
 *    every triple that adds one candidate to the best pair), on the Gram
 *    matrix G = A'A and A'b. For k <= 3 unknowns NNLS is solved exactly by
 *    its active sets: the optimum is the unconstrained least-squares solution
 *    (GSL's Cholesky) of some subset of the columns whose coefficients are
 *    all positive, and of those the one with the least residual (any
 *    feasible point's residual is at least the optimum's). A combination
 *    counts only with every coefficient positive.
 * 4. The choice, each rule a named threshold below, measured (bench/RESULTS.md
 *    section 16): a pair replaces the single compound when it lowers the
 *    residual by gain_min of the query's total sum of squares; every
 *    component carries at least FRACTION_MIN of the ion current; and every
 *    component matches, by the plain score, what the others leave of the
 *    query (the query less their fitted spectra, clipped at 0) at least at
 *    the support threshold of its kind and score: a positional isomer or a
 *    second spectrum of the same compound that only refines the first's fit
 *    leaves it nothing of its own to match. A third component must pass the
 *    same rules against the pair.
 *
 * Cost: one pass over the candidates' peaks, a few hundred 2x2 and 3x3
 * solves, a plain score per component tested, and, for the queries the gate
 * lets through, a second open search (bench/RESULTS.md gives the share).
 */
#include "plan.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Candidates considered (distinct compounds) */
#define MIX_CANDIDATES 16
/* The residual is searched when the best single compound leaves at least
 * this share of the query's total intensity: for EI by default, for MS/MS
 * only with NPS_MIXTURES_DEEP. On the cross-laboratory sets the gate lets
 * 20 % of EI and 32 % of MS/MS queries through; an open search of an MS/MS
 * residual costs several identity searches, which doubled the default
 * MS/MS batch, while EI recall was the same with the residual search
 * (bench/RESULTS.md section 16). */
static const double residual_gate[NPS_KIND_COUNT] = {[NPS_KIND_EI] = 0.60, [NPS_KIND_MSMS] = 0.45};
/* A combination must lower the residual sum of squares by this share of the
 * query's total (weighted) sum of squares... */
static const double gain_min[NPS_KIND_COUNT] = {[NPS_KIND_EI] = 0.06, [NPS_KIND_MSMS] = 0.04};
/* ... and every component carry at least this share of the ion current. */
#define FRACTION_MIN 0.05

/* Pairs tested for support (the best by residual) */
#define PAIR_TRIALS 8

struct pair_fit {
    size_t idx[2];
    double c[2];
    double rss;
};

/* The plain score a component must reach against what the other components
 * leave of the query, per kind and score. Measured for the default scores
 * (EI composite, MS/MS entropy: the lowest that keeps pure cross-laboratory
 * spectra called mixtures to a few per cent, bench/RESULTS.md section 16);
 * the other scores' are their identity thresholds less the same margin
 * below them (call.c), not measured. */
static const double support_min[NPS_KIND_COUNT][NPS_SCORE_COUNT] = {
    [NPS_KIND_EI] = {[NPS_SCORE_ENTROPY] = 0.81,
                     [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.82,
                     [NPS_SCORE_COSINE] = 0.83,
                     [NPS_SCORE_COMPOSITE] = 0.75},
    [NPS_KIND_MSMS] = {[NPS_SCORE_ENTROPY] = 0.60,
                       [NPS_SCORE_ENTROPY_UNWEIGHTED] = 0.69,
                       [NPS_SCORE_COSINE] = 0.71,
                       [NPS_SCORE_COMPOSITE] = 0.57},
};

struct nps_mix_ws {
    size_t cap;  /* axis capacity (query peaks) */
    double *qmz; /* the query, preprocessed */
    float *qin;
    double *amz, *b; /* the axis and the query on it */
    double *wt;      /* the axis's row weights (square roots) */
    double *A;       /* MIX_CANDIDATES rows of the axis */
    double *pw, *pv; /* a residual's prepared weights */
    double *rmz;
    float *rin;
    nps_hit *hits; /* the residual search's hits (top_k) */
    size_t top_k;
    size_t ref[MIX_CANDIDATES];
    uint64_t key[MIX_CANDIDATES];
    double off[MIX_CANDIDATES]; /* off-axis sums of squares */
    double G[MIX_CANDIDATES * MIX_CANDIDATES], ab[MIX_CANDIDATES];
};

void nps_mix_ws_free(struct nps_mix_ws *m)
{
    if (!m) return;
    free(m->qmz);
    free(m->qin);
    free(m->amz);
    free(m->b);
    free(m->wt);
    free(m->A);
    free(m->pw);
    free(m->pv);
    free(m->rmz);
    free(m->rin);
    free(m->hits);
    free(m);
}

size_t nps_mix_ws_bytes(const struct nps_mix_ws *m)
{
    if (!m) return 0;
    return sizeof *m + m->cap * (sizeof(double) * (6 + MIX_CANDIDATES) + 2 * sizeof(float)) +
           m->top_k * sizeof *m->hits;
}

static int mix_reserve(nps_workspace *ws, size_t n, size_t K)
{
    struct nps_mix_ws *m = ws->mix;
    if (!m) {
        m = calloc(1, sizeof *m);
        if (!m) return nps_err(NPS_ENOMEM, "out of memory");
        m->top_k = K ? K : 1;
        m->hits = malloc(m->top_k * sizeof *m->hits);
        if (!m->hits) {
            free(m);
            return nps_err(NPS_ENOMEM, "out of memory");
        }
        ws->mix = m;
    }
    if (n <= m->cap && m->cap) return 0;
    size_t cap = m->cap ? m->cap : 64;
    while (cap < n) cap *= 2;
    double **d[] = {&m->qmz, &m->amz, &m->b, &m->wt, &m->pw, &m->pv, &m->rmz};
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
        double *p = realloc(*d[i], cap * sizeof *p);
        if (!p) return nps_err(NPS_ENOMEM, "out of memory");
        *d[i] = p;
    }
    float **f[] = {&m->qin, &m->rin};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        float *p = realloc(*f[i], cap * sizeof *p);
        if (!p) return nps_err(NPS_ENOMEM, "out of memory");
        *f[i] = p;
    }
    double *A = realloc(m->A, cap * MIX_CANDIDATES * sizeof *A);
    if (!A) return nps_err(NPS_ENOMEM, "out of memory");
    m->A = A;
    m->cap = cap;
    return 0;
}

/* The query's axis: EI nominal bins (summed), MS/MS its peaks; b at unit
 * sum. Returns the axis length. */
static size_t make_axis(struct nps_mix_ws *m, size_t qn, int ei)
{
    size_t na = 0;
    double tot = 0;
    for (size_t i = 0; i < qn; i++) {
        double v = (double)m->qin[i];
        if (!(v > 0)) continue;
        double x = ei ? nps_nist_mz(m->qmz[i]) : m->qmz[i];
        if (!isfinite(x) || (ei && x < 1)) continue;
        if (na && ei && m->amz[na - 1] == x) {
            m->b[na - 1] += v;
        } else {
            m->amz[na] = x;
            m->b[na++] = v;
        }
        tot += v;
    }
    for (size_t k = 0; k < na; k++) {
        m->wt[k] = ei ? sqrt(m->amz[k]) : 1.0;
        m->b[k] = m->b[k] / tot * m->wt[k];
    }
    return na;
}

/* Candidate row j: library spectrum ref on the axis (unit sum), and the
 * squares of what falls off it. */
static void candidate_row(struct nps_mix_ws *m, size_t j, size_t na, const nps_spectra *lib,
                          size_t ref, int ei, const nps_score_options *so)
{
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(lib, ref, &mz, &in, &n);
    double *a = m->A + j * m->cap, tot = 0, off = 0;
    memset(a, 0, na * sizeof *a);
    for (size_t i = 0; i < n; i++)
        if (in[i] > 0) tot += (double)in[i];
    m->ref[j] = ref;
    if (!(tot > 0)) {
        m->off[j] = 0;
        return;
    }
    size_t k = 0;
    double bin_off = 0, bin_x = NAN; /* EI: an off-axis bin's summed intensity */
    for (size_t i = 0; i < n; i++) {
        double v = (double)in[i] / tot;
        if (!(v > 0)) continue;
        if (ei) {
            double x = nps_nist_mz(mz[i]);
            while (k < na && m->amz[k] < x) k++;
            if (k < na && m->amz[k] == x) {
                a[k] += v * m->wt[k];
                continue;
            }
            if (x != bin_x) {
                if (bin_off > 0) off += bin_off * bin_off * bin_x; /* weighted by M */
                bin_off = 0;
                bin_x = x;
            }
            bin_off += v;
        } else {
            double x = mz[i], tol = nps_tol_at(so, x);
            while (k < na && m->amz[k] < x - tol) k++;
            /* the nearer of the query peaks at k and k + 1 within tolerance */
            size_t best = SIZE_MAX;
            double bd = INFINITY;
            for (size_t t = k; t < na && t <= k + 1; t++) {
                double d = fabs(m->amz[t] - x);
                if (d <= tol && d < bd) {
                    bd = d;
                    best = t;
                }
            }
            if (best != SIZE_MAX)
                a[best] += v * m->wt[best];
            else
                off += v * v;
        }
    }
    if (bin_off > 0) off += bin_off * bin_off * bin_x;
    m->off[j] = off;
}

/* Whether the symmetric ns x ns matrix g (ns <= 3, row-major) has LDL'
 * pivots all above eps. */
static int pos_def(const double *g, size_t ns, double eps)
{
    double d0 = g[0];
    if (!(d0 > eps)) return 0;
    if (ns == 1) return 1;
    double d1 = g[ns + 1] - g[1] * g[ns] / d0;
    if (!(d1 > eps)) return 0;
    if (ns == 2) return 1;
    double l21 = (g[7] - g[6] * g[1] / d0) / d1;
    double d2 = g[8] - g[6] * g[2] / d0 - l21 * l21 * d1;
    return d2 > eps;
}

/* NNLS of b on the candidates idx[0..k) (k <= 3) through the Gram matrix:
 * every subset's unconstrained solution, the best feasible one. Returns the
 * residual sum of squares, coefficients into c (0 for a column left out);
 * *all = every coefficient positive. */
static double nnls_small(double *c, int *all, const struct nps_mix_ws *m, const size_t *idx,
                         size_t k, double tss)
{
    double best = tss;
    for (size_t i = 0; i < k; i++) c[i] = 0;
    *all = 0;
    for (unsigned mask = 1; mask < (1u << k); mask++) {
        size_t s[3], ns = 0;
        for (size_t i = 0; i < k; i++)
            if (mask & (1u << i)) s[ns++] = idx[i];
        double g[9] = {0}, y[3] = {0};
        for (size_t i = 0; i < ns; i++) {
            y[i] = m->ab[s[i]];
            for (size_t j = 0; j < ns; j++) g[i * ns + j] = m->G[s[i] * MIX_CANDIDATES + s[j]];
        }
        /* positive definite? the pivots of the LDL' factorisation against
         * the diagonal's scale (GSL's Cholesky would call the GSL error
         * handler, which aborts, on a singular matrix: two candidates alike
         * on the axis) */
        double scale = 0;
        for (size_t i = 0; i < ns; i++) scale += g[i * ns + i];
        if (!pos_def(g, ns, 1e-10 * scale)) continue;
        gsl_matrix_view G = gsl_matrix_view_array(g, ns, ns);
        gsl_vector_view Y = gsl_vector_view_array(y, ns);
        double x[3];
        gsl_vector_view X = gsl_vector_view_array(x, ns);
        if (gsl_linalg_cholesky_decomp1(&G.matrix) ||
            gsl_linalg_cholesky_solve(&G.matrix, &Y.vector, &X.vector))
            continue;
        int feasible = 1;
        double fit = 0;
        for (size_t i = 0; i < ns; i++) {
            feasible &= x[i] > 0;
            fit += x[i] * m->ab[s[i]];
        }
        if (!feasible) continue;
        double rss = tss - fit;
        if (rss < best) {
            best = rss;
            *all = ns == k;
            for (size_t i = 0, t = 0; i < k; i++) c[i] = (mask & (1u << i)) ? x[t++] : 0;
        }
    }
    return best < 0 ? 0 : best;
}

/* The plain score of candidate j against the query less the other
 * components (idx, coefficients c, k of them; j one of them), clipped at 0. */
static int support(double *out, nps_workspace *ws, const nps_plan *p, size_t na, const size_t *idx,
                   const double *c, size_t k, size_t self, nps_score_type t,
                   const nps_score_options *so)
{
    struct nps_mix_ws *m = ws->mix;
    size_t n = 0;
    for (size_t a = 0; a < na; a++) {
        double v = m->b[a];
        for (size_t i = 0; i < k; i++)
            if (i != self) v -= c[i] * m->A[idx[i] * m->cap + a];
        v /= m->wt[a];
        if (v > 1e-9) {
            m->rmz[n] = m->amz[a];
            m->rin[n++] = (float)v;
        }
    }
    *out = 0;
    if (!n) return 0;
    nps_prep Q = {m->rmz, m->rin, m->pw, m->pv, n, 0};
    Q.norm = nps_score_prepare(m->pw, m->pv, m->rmz, m->rin, n, so);
    nps_prep R;
    nps_target_prep(&R, ws, &p->main, t, m->ref[idx[self]]);
    nps_score_result res;
    int rc = nps_score_prepared(&res, NULL, NULL, ws->sws, &Q, &R, so);
    if (rc) return rc;
    *out = res.score;
    return 0;
}

/* Shares and support scores of candidates idx (k of them, coefficients c):
 * *ok = every share at least FRACTION_MIN and every component supported;
 * *weaker = the least support. */
static int acceptable(int *ok, double *weaker, double *frac, double *sup, nps_workspace *ws,
                      const nps_plan *p, size_t na, const size_t *idx, const double *c, size_t k,
                      nps_score_type t, nps_kind kind, const nps_score_options *so)
{
    double tot = 0;
    for (size_t i = 0; i < k; i++) tot += c[i];
    *ok = 1;
    *weaker = INFINITY;
    for (size_t i = 0; i < k; i++) {
        frac[i] = tot > 0 ? c[i] / tot : 0;
        if (frac[i] < FRACTION_MIN) *ok = 0;
        int rc = support(&sup[i], ws, p, na, idx, c, k, i, t, so);
        if (rc) return rc;
        if (sup[i] < *weaker) *weaker = sup[i];
    }
    if (!(*weaker >= support_min[kind][t])) *ok = 0;
    return 0;
}

/* Rows, Gram matrix entries and A'b of candidates [from, nc). */
static void build_rows(struct nps_mix_ws *m, size_t from, size_t nc, size_t na,
                       const nps_spectra *lib, int ei, const nps_score_options *so)
{
    for (size_t j = from; j < nc; j++) candidate_row(m, j, na, lib, m->ref[j], ei, so);
    for (size_t j = from; j < nc; j++) {
        const double *aj = m->A + j * m->cap;
        double s = 0;
        for (size_t a = 0; a < na; a++) s += aj[a] * m->b[a];
        m->ab[j] = s;
        for (size_t i = 0; i <= j; i++) {
            const double *ai = m->A + i * m->cap;
            double g = 0;
            for (size_t a = 0; a < na; a++) g += ai[a] * aj[a];
            if (i == j) g += m->off[j];
            m->G[i * MIX_CANDIDATES + j] = m->G[j * MIX_CANDIDATES + i] = g;
        }
    }
}

/* Add the distinct compounds of hits[0..n) to the candidates. */
static size_t add_candidates(struct nps_mix_ws *m, size_t nc, const nps_spectra *meta,
                             const nps_hit *hits, size_t n)
{
    for (size_t i = 0; i < n && nc < MIX_CANDIDATES; i++) {
        uint64_t key = nps_compound_key(meta, hits[i].reference);
        size_t j = 0;
        while (j < nc && !(m->ref[j] == hits[i].reference || (key && m->key[j] == key))) j++;
        if (j < nc) continue;
        m->ref[nc] = hits[i].reference;
        m->key[nc] = key;
        nc++;
    }
    return nc;
}

static void set_components(nps_mixture *out, const struct nps_mix_ws *m, const size_t *idx,
                           const double *frac, const double *sup, size_t k)
{
    out->n = k;
    for (size_t i = 0; i < k; i++)
        out->c[i] = (nps_mixture_component){m->ref[idx[i]], frac[i], sup[i]};
    /* by decreasing share (k <= 3: an insertion sort) */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && out->c[j].fraction > out->c[j - 1].fraction; j--) {
            nps_mixture_component x = out->c[j];
            out->c[j] = out->c[j - 1];
            out->c[j - 1] = x;
        }
}

int nps_search_query_mixture(nps_mixture *out, nps_workspace *ws, const nps_plan *p,
                             const nps_spectra *queries, size_t query, const nps_hit *hits,
                             size_t n_hits)
{
    if (!out || !ws || !p || !queries || (n_hits && !hits))
        return nps_err(NPS_EINVAL, "NULL argument");
    if (ws->plan != p) return nps_err(NPS_EINVAL, "the workspace was made for another plan");
    if (query >= nps_spectra_count(queries))
        return nps_err(NPS_EINVAL, "query %zu of %zu", query, nps_spectra_count(queries));
    memset(out, 0, sizeof *out);
    if (n_hits == 0) return 0;
    const nps_search_options *o = &p->o;
    nps_kind kind = nps_spectra_kind(queries, query);
    int ei = kind == NPS_KIND_EI, deep = o->mixtures == NPS_MIXTURES_DEEP;
    out->n = 1;
    out->c[0] = (nps_mixture_component){hits[0].reference, 1.0, nps_hit_plain_score(&hits[0])};
    out->explained = out->explained_single = NAN;
    /* MS/MS only when asked: its hits (identity mode: one precursor) hold no
     * second compound, and an open search of the residual costs several
     * identity searches (bench/RESULTS.md section 16) */
    if (!ei && !deep) return 0;
    double qprec = nps_spectra_precursor_mz(queries, query);
    nps_score_type t = o->score == NPS_SCORE_AUTO ? nps_search_default_score(kind) : o->score;
    nps_score_options so;
    nps_plan_score_options(&so, o, t, kind);
    so.reverse = 0;
    const double *rmz;
    const float *rin;
    size_t rn;
    nps_spectra_peaks(queries, query, &rmz, &rin, &rn);
    int rc = mix_reserve(ws, rn, o->top_k);
    if (rc) return rc;
    struct nps_mix_ws *m = ws->mix;
    if (!m || !m->qin) return nps_err(NPS_ENOMEM, "out of memory"); /* reserved above */
    const nps_preprocess_config *cfg = nps_library_preprocessing(p->library);
    size_t qn =
        nps_preprocess_peaks(m->qmz, m->qin, rmz, rin, rn, qprec, ei ? &cfg->ei : &cfg->msms);
    size_t na = make_axis(m, qn, ei);
    if (na == 0) return 0;
    double tss = 0;
    for (size_t a = 0; a < na; a++) tss += m->b[a] * m->b[a];
    const nps_spectra *lib = p->main.spectra;
    size_t nc = add_candidates(m, 0, lib, hits, n_hits);
    build_rows(m, 0, nc, na, lib, ei, &so);
    /* the best single compound */
    size_t s1 = 0;
    double rss1 = tss;
    for (size_t j = 0; j < nc; j++) {
        double g = m->G[j * MIX_CANDIDATES + j];
        if (!(g > 0) || !(m->ab[j] > 0)) continue;
        double rss = tss - m->ab[j] * m->ab[j] / g;
        if (rss < rss1) {
            rss1 = rss;
            s1 = j;
        }
    }
    out->explained_single = out->explained = 1 - rss1 / tss;
    /* the residual of the best single compound, searched when it is large */
    double c1 = m->G[s1 * MIX_CANDIDATES + s1] > 0 ? m->ab[s1] / m->G[s1 * MIX_CANDIDATES + s1] : 0;
    double left = 0;
    size_t nr = 0;
    for (size_t a = 0; a < na; a++) {
        double v = (m->b[a] - c1 * m->A[s1 * m->cap + a]) / m->wt[a];
        if (v > 1e-9) {
            left += v;
            m->rmz[nr] = m->amz[a];
            m->rin[nr++] = (float)v;
        }
    }
    if ((ei || deep) && left >= residual_gate[kind] && nr > 0 && nc < MIX_CANDIDATES) {
        /* the residual as a query of its own, without a precursor (the
         * second compound's is another), in the workspace's query buffers */
        nps_query_info info;
        if ((rc = nps_search_peaks(m->hits, &info, ws, p, kind, NAN, NPS_MODE_OPEN, m->rmz, m->rin,
                                   nr, query)))
            return rc;
        out->residual_searched = 1;
        size_t from = nc;
        nc = add_candidates(m, nc, lib, m->hits, info.n_hits);
        build_rows(m, from, nc, na, lib, ei, &so);
    }
    /* The pairs that fit: both coefficients positive, the residual lowered
     * by gain_min, both shares at least FRACTION_MIN. The PAIR_TRIALS best
     * of them by residual are tested for support, and the pair whose weaker
     * component is best supported is the mixture: among candidates that
     * share most of their ions (a class of compounds, trimethylsilyl
     * derivatives), the least residual is often a pair with one compound
     * wrong, whose fit a relative explains almost as well. */
    struct pair_fit pf[PAIR_TRIALS];
    size_t npf = 0;
    for (size_t i = 0; i < nc; i++)
        for (size_t j = i + 1; j < nc; j++) {
            size_t idx[2] = {i, j};
            double c[2];
            int all;
            double rss = nnls_small(c, &all, m, idx, 2, tss);
            if (!all || !(rss <= rss1 - gain_min[kind] * tss)) continue;
            double tot = c[0] + c[1];
            if (c[0] < FRACTION_MIN * tot || c[1] < FRACTION_MIN * tot) continue;
            /* keep the PAIR_TRIALS least residuals, sorted */
            size_t at = npf < PAIR_TRIALS ? npf++ : PAIR_TRIALS;
            if (at == PAIR_TRIALS && !(rss < pf[PAIR_TRIALS - 1].rss)) continue;
            if (at == PAIR_TRIALS) at = PAIR_TRIALS - 1;
            while (at > 0 && pf[at - 1].rss > rss) {
                pf[at] = pf[at - 1];
                at--;
            }
            pf[at] = (struct pair_fit){{i, j}, {c[0], c[1]}, rss};
        }
    size_t bp[3] = {0, 0, 0};
    double rss2 = INFINITY, bsup = -1, frac[3], sup[3], bfrac[2], bsup2[2];
    int ok, bok = 0;
    for (size_t k = 0; k < npf; k++) {
        double weaker;
        if ((rc = acceptable(&ok, &weaker, frac, sup, ws, p, na, pf[k].idx, pf[k].c, 2, t, kind,
                             &so)))
            return rc;
        if (weaker > bsup) {
            bsup = weaker;
            bok = ok;
            bp[0] = pf[k].idx[0];
            bp[1] = pf[k].idx[1];
            rss2 = pf[k].rss;
            memcpy(bfrac, frac, sizeof bfrac);
            memcpy(bsup2, sup, sizeof bsup2);
        }
    }
    if (!bok) return 0;
    set_components(out, m, bp, bfrac, bsup2, 2);
    out->explained = 1 - rss2 / tss;
    /* a third compound, added to the pair */
    size_t bt[3] = {bp[0], bp[1], 0};
    double tc[3] = {0, 0, 0}, rss3 = INFINITY;
    for (size_t k = 0; k < nc; k++) {
        if (k == bp[0] || k == bp[1]) continue;
        size_t idx[3] = {bp[0], bp[1], k};
        double c[3];
        int all;
        double rss = nnls_small(c, &all, m, idx, 3, tss);
        if (all && rss < rss3) {
            rss3 = rss;
            bt[2] = k;
            memcpy(tc, c, sizeof tc);
        }
    }
    if (!(rss3 <= rss2 - gain_min[kind] * tss)) return 0;
    double weaker;
    if ((rc = acceptable(&ok, &weaker, frac, sup, ws, p, na, bt, tc, 3, t, kind, &so))) return rc;
    if (!ok) return 0;
    set_components(out, m, bt, frac, sup, 3);
    out->explained = 1 - rss3 / tss;
    return 0;
}

/*
 * Batch search: every query against the library, exact, in parallel.
 *
 * A searcher is a plan (after FFTW's): what depends only on the library and
 * the options is prepared once - per-peak library weights for each score, the
 * spectra with a precursor sorted by precursor m/z, the fragment index - and
 * any number of query batches then run against it. The library is read-only
 * and shared by all threads; each thread owns a scoring workspace, a query
 * buffer, score accumulators and a top-K heap; no lock is taken and nothing
 * is allocated per pair.
 *
 * Identity mode visits only the library spectra whose precursor lies in the
 * query's window (two binary searches in the precursor order) and scores each
 * pairwise: the window holds a handful of spectra.
 *
 * Open mode uses the inverted fragment index (library/index.c, after the
 * Flash entropy search): each query peak scans the library peaks inside its
 * tolerance window and adds its contribution to the accumulator of their
 * spectrum, so only spectra sharing a fragment with the query are touched,
 * and only those are cleared afterwards. Every score here is a sum of
 * non-negative contributions over matched peak pairs (entropy, cosine; the
 * composite's dot-product term), and the scan adds the contribution of every
 * pair inside the (slightly widened) window, a superset of the pairs the
 * exact one-to-one matching keeps. The accumulated value is therefore an
 * upper bound of the exact score (for the composite, with its ratio term
 * bounded by 1). The candidates are then taken in decreasing bound and scored
 * exactly with the pairwise code, until the next bound falls below the K-th
 * exact score: the result is, by construction, the exhaustive top K, with the
 * exhaustive path's own numbers. When peaks are at least twice the tolerance
 * apart (the default cleaning merges within 0.05 Da for a 0.02 Da tolerance)
 * the bound is the score itself and only about K spectra are rescored.
 * Reverse search renormalises per pair, so it has no bound: every touched
 * spectrum is rescored (still far fewer than the library).
 *
 * `exhaustive` scores every candidate pairwise: the reference path the index
 * is tested against.
 */
#include "../library/library.h"
#include "../scoring/scoring.h"
#include "fastlog.h"
#include "hits.h"
#include "rank.h"
#include "shift.h"
#include "../stats/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Pruning margin: bounds are accumulated from float32 weights, so a bound may
 * undershoot the exact double score by rounding (float32 weights and sums,
 * a few 1e-6 at most for spectra of hundreds of peaks); candidates are
 * dropped only when the bound is this far below the K-th score. */
#define BOUND_MARGIN 2e-5

/* e-values: a query's null sample needs this many scores (a library of a few
 * dozen spectra gives no defensible tail); the top 10 % of it
 * (at least 10) is fitted; a fit explaining less than 80 % of the variance of
 * ln(survival) is not used. */
#define EVALUE_MIN_CANDIDATES 100
#define EVALUE_TAIL_FRACTION 0.1
#define EVALUE_MIN_R2 0.8

static const char *const mode_names[] = {"identity",     "open",  "hybrid",
                                         "neutral-loss", "shift", "analogue"};

const char *nps_search_mode_name(nps_search_mode m)
{
    if (m == NPS_MODE_AUTO) return "auto";
    if ((int)m < 0 || (int)m > 5) return "?";
    return mode_names[m];
}

int nps_search_mode_parse(nps_search_mode *out, const char *name)
{
    for (int i = 0; i < 6; i++)
        if (nps_strcaseeq(name, mode_names[i])) {
            *out = (nps_search_mode)i;
            return 0;
        }
    if (nps_strcaseeq(name, "auto")) {
        *out = NPS_MODE_AUTO;
        return 0;
    }
    return nps_err(NPS_EINVAL,
                   "unknown mode '%s' (identity, open, hybrid, neutral-loss, shift, analogue)",
                   name);
}

nps_score_type nps_search_default_score(nps_kind kind)
{
    return kind == NPS_KIND_EI ? NPS_SCORE_COMPOSITE : NPS_SCORE_ENTROPY;
}

void nps_hits_free(nps_hits *h)
{
    if (!h) return;
    free(h->hits);
    free(h->qoff);
    free(h);
}

size_t nps_hits_count(const nps_hits *h)
{
    return h->n;
}

const nps_hit *nps_hits_at(const nps_hits *h, size_t i)
{
    return &h->hits[i];
}

void nps_hits_for_query(const nps_hits *h, size_t query, size_t *first, size_t *n)
{
    *first = h->qoff[query];
    *n = h->qoff[query + 1] - h->qoff[query];
}

/* ------------------------------------------------------------ the plan */

typedef struct {
    double prec;
    size_t idx;
} prec_t;

typedef struct tls_t tls_t;

/* ------------------------------------------------------- per-thread state */

struct tls_t {
    int ready, has_acc;
    nps_score_workspace *ws;
    double *qw, *qv;
    size_t qcap;
    /* per library spectrum: the accumulated bound and the number of pairs,
     * side by side so that one cache line serves both (the scatter into this
     * array is the memory-bound part of open search) */
    struct acc_t {
        float acc;
        uint32_t cnt;
    } * acc;
    uint32_t *touched; /* spectra with cnt > 0 */
    float *cbuf;       /* contributions of one window */
    double *kbest;     /* min-heap of the K largest bounds */
    nps_ranked *heap;  /* the K best hits of the current query */
    size_t ccap;
    struct bound_t {
        double b;
        size_t s;
    } * cand; /* max-heap of bounds */
    /* hybrid: the query's neutral losses and their weights, ascending */
    double *lq_mz, *lq_x;
    size_t lq_cap;
    nps_shift_ws *sws[4]; /* SHIFT mode, per score type */
    size_t nc;            /* e-values: null scores left in cand (or in null) by the last query */
    int null_in_buf;      /* ... in null rather than in cand */
    double *null;
    double null_scale;  /* the null sample is 1 / null_scale of the candidates */
    size_t null_stride; /* ... those whose library index is a multiple of null_stride */
};

static void tls_free(tls_t *t)
{
    nps_score_workspace_free(t->ws);
    free(t->qw);
    free(t->qv);
    free(t->acc);
    free(t->cbuf);
    free(t->kbest);
    free(t->heap);
    free(t->touched);
    free(t->cand);
    free(t->lq_mz);
    free(t->lq_x);
    free(t->null);
    for (int k = 0; k < 4; k++) nps_shift_ws_free(t->sws[k]);
}

/* Make t ready (workspace, and accumulators when open_index); kept across runs. */
static int tls_init(tls_t *t, size_t nl, int open_index, size_t k)
{
    if (!t->ready) {
        memset(t, 0, sizeof *t);
        if (nps_score_workspace_create(&t->ws)) return NPS_ENOMEM;
        t->heap = malloc((k ? k : 1) * sizeof *t->heap);
        if (!t->heap) return NPS_ENOMEM;
        t->ready = 1;
    }
    if (open_index && !t->has_acc) {
        t->has_acc = 1;
        t->acc = calloc(nl ? nl : 1, sizeof *t->acc);
        t->touched = malloc((nl ? nl : 1) * sizeof *t->touched);
        t->cand = malloc((nl ? nl : 1) * sizeof *t->cand);
        t->kbest = malloc((k ? k : 1) * sizeof *t->kbest);
        if (!t->acc || !t->touched || !t->cand || !t->kbest) return NPS_ENOMEM;
    }
    return 0;
}

struct nps_searcher {
    tls_t *tls; /* per-thread state, kept between runs */
    int ntls;
    const nps_library *library;
    const nps_spectra *lib; /* processed */
    nps_search_options o;
    prec_t *order;
    size_t norder;
    const nps_lib_weights *prep[4]; /* owned by the library */
    const nps_fragment_index *ix;
    const double *mz0;    /* start of the processed peak arrays */
    unsigned char *kinds; /* kind of each library spectrum */
    int mixed_kinds;      /* the library holds both EI and MS/MS spectra */
    /* analogue modes, prepared on first use */
    const nps_fragment_index *lx; /* HYBRID: the loss library's index */
    nps_shift_plan *shift[4];     /* SHIFT: per score type */
    nps_searcher *nl;             /* NEUTRAL_LOSS: a searcher over the loss library */
    struct nl_map {
        const nps_search_options *o; /* the caller's exclude */
        const size_t *which;         /* nested query -> batch query */
    } nl_map;
};

static int nl_exclude(void *ctx, size_t query, size_t reference)
{
    const struct nl_map *m = ctx;
    return m->o->exclude(m->o->exclude_ctx, m->which[query], reference);
}

static int cmp_prec(const void *a, const void *b)
{
    const prec_t *x = a, *y = b;
    if (x->prec != y->prec) return x->prec < y->prec ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void score_opts_for(nps_score_options *so, const nps_search_options *o, nps_score_type t,
                           nps_kind kind)
{
    nps_score_options d = NPS_SCORE_OPTIONS_INIT;
    *so = d;
    so->type = t;
    so->tolerance = o->tolerance >= 0     ? o->tolerance
                    : kind == NPS_KIND_EI ? NPS_DEFAULT_TOLERANCE_EI
                                          : NPS_DEFAULT_TOLERANCE_MSMS;
    so->tolerance_ppm = o->tolerance >= 0 ? o->tolerance_ppm : 0;
    so->mz_power = o->mz_power;
    so->intensity_power = o->intensity_power;
    so->reverse = o->reverse;
}

void nps_searcher_free(nps_searcher *s)
{
    if (!s) return;
    for (int i = 0; i < s->ntls; i++) tls_free(&s->tls[i]);
    free(s->tls);
    for (int t = 0; t < 4; t++) nps_shift_plan_free(s->shift[t]);
    nps_searcher_free(s->nl);
    free(s->order);
    free(s->kinds);
    free(s);
}

int nps_searcher_create(nps_searcher **out, const nps_library *library, const nps_search_options *o)
{
    if (o->version != NPS_SEARCH_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_search_options version %d not supported", o->version);
    if (o->top_k == 0) return nps_err(NPS_EINVAL, "top_k must be at least 1");
    if (!(o->precursor_tolerance >= 0)) return nps_err(NPS_EINVAL, "negative precursor tolerance");
    if (o->tolerance >= 0 && o->tolerance_ppm == 0 && o->tolerance > 1e3)
        return nps_err(NPS_EINVAL, "fragment tolerance %g Da is not sensible", o->tolerance);
    nps_searcher *s = calloc(1, sizeof *s);
    if (!s) return nps_err(NPS_ENOMEM, "out of memory");
    s->library = library;
    s->lib = nps_library_processed(library);
    s->o = *o;
    /* no query has more hits than the library has spectra */
    size_t nlib = nps_spectra_count(s->lib);
    if (s->o.top_k > nlib) s->o.top_k = nlib ? nlib : 1;
    size_t nl = nps_spectra_count(s->lib);
    s->order = malloc((nl ? nl : 1) * sizeof *s->order);
    s->kinds = malloc(nl ? nl : 1);
    if (!s->order || !s->kinds) {
        nps_searcher_free(s);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nl; i++)
        if (!isnan(nps_spectra_precursor_mz(s->lib, i)))
            s->order[s->norder++] = (prec_t){nps_spectra_precursor_mz(s->lib, i), i};
    qsort(s->order, s->norder, sizeof *s->order, cmp_prec);
    for (size_t i = 0; i < nl; i++) {
        s->kinds[i] = (unsigned char)nps_spectra_kind(s->lib, i);
        if (i && s->kinds[i] != s->kinds[0]) s->mixed_kinds = 1;
    }
    if (nl) {
        const float *i0;
        size_t k0;
        nps_spectra_peaks(s->lib, 0, &s->mz0, &i0, &k0);
    }
    *out = s;
    return 0;
}

/* Library weights for score t (weights do not depend on the tolerance). */
/* Library weights for score t (they do not depend on the tolerance), from the
 * library's cache, so that searchers share them. */
static int prepare(nps_searcher *s, nps_score_type t, int want_index)
{
    if (s->prep[t] && (!(want_index & NPS_WEIGHTS_INDEX) || (s->prep[t]->iw && s->ix)) &&
        (!(want_index & NPS_WEIGHTS_LOSS_INDEX) || (s->prep[t]->liw && s->lx)))
        return 0;
    nps_score_options so;
    score_opts_for(&so, &s->o, t, NPS_KIND_MSMS);
    int rc = nps_library_weights(s->library, &so, want_index, &s->prep[t]);
    if (!rc && (want_index & NPS_WEIGHTS_INDEX) && !s->ix)
        rc = nps_library_index(s->library, &s->ix);
    if (!rc && (want_index & NPS_WEIGHTS_LOSS_INDEX) && !s->lx) {
        const nps_library *ll;
        rc = nps_library_losses(s->library, &ll, NULL);
        if (!rc) rc = nps_library_index(ll, &s->lx);
    }
    return rc;
}

/* SHIFT mode: the FFT plan and library transforms for score t. */
static int prepare_shift(nps_searcher *s, nps_score_type t)
{
    if (s->shift[t]) return 0;
    int rc = prepare(s, t, 0);
    if (rc) return rc;
    const nps_lib_weights *lw = s->prep[t];
    /* only the spectra a SHIFT query can hit: EI ones unless kinds are mixed freely */
    unsigned char *use = NULL;
    size_t nl = nps_spectra_count(s->lib);
    if (s->o.same_kind_only) {
        use = malloc(nl ? nl : 1);
        if (!use) return nps_err(NPS_ENOMEM, "out of memory");
        for (size_t i = 0; i < nl; i++) use[i] = s->kinds[i] == NPS_KIND_EI;
    }
    rc = nps_shift_plan_create(&s->shift[t], s->lib, lw->w, use, s->o.max_shift);
    free(use);
    return rc;
}

/* f(v) = v log2 v, the entropy contribution helper */
static inline double xlog2x(double v)
{
    return v > 0 ? v * log2(v) : 0;
}

typedef struct {
    const nps_searcher *s;
    nps_score_type t;
    nps_kind kind;
    const nps_score_options *so;
    const nps_prep *Q;
    nps_search_mode mode; /* IDENTITY, OPEN, HYBRID or SHIFT */
    double qprec;         /* the query's precursor m/z (HYBRID) */
    size_t query;         /* its index in the batch (for options.exclude) */
} query_ctx;

static inline int excluded(const query_ctx *c, size_t ri)
{
    const nps_search_options *o = &c->s->o;
    return o->exclude && o->exclude(o->exclude_ctx, c->query, ri);
}

static void ref_prep(nps_prep *R, const nps_searcher *s, nps_score_type t, size_t ri)
{
    const nps_lib_weights *lp = s->prep[t];
    const double *rmz;
    const float *rin;
    size_t rn;
    nps_spectra_peaks(s->lib, ri, &rmz, &rin, &rn);
    size_t off = (size_t)(rmz - s->mz0);
    *R = (nps_prep){rmz, rin, lp->w + off, lp->v ? lp->v + off : NULL, rn, lp->norm[ri]};
}

static int exact(nps_score_result *res, tls_t *tl, const query_ctx *c, size_t ri)
{
    nps_prep R;
    ref_prep(&R, c->s, c->t, ri);
    return nps_score_prepared(res, NULL, NULL, tl->ws, c->Q, &R, c->so);
}

/* The exact score of one candidate, as a ranked hit: the plain score, or in
 * HYBRID mode the hybrid score with delta = query - reference precursor. */
static int exact_ranked(nps_ranked *out, tls_t *tl, const query_ctx *c, size_t ri)
{
    if (c->mode == NPS_MODE_HYBRID) {
        nps_prep R;
        ref_prep(&R, c->s, c->t, ri);
        double rp = nps_spectra_precursor_mz(c->s->lib, ri);
        nps_hybrid_result h;
        int rc = nps_hybrid_prepared(&h, tl->ws, c->Q, &R, c->qprec - rp, c->qprec, rp, c->so);
        if (rc) return rc;
        *out = nps_ranked_make(h.score, ri, h.direct + h.shifted);
        out->delta = c->qprec - rp;
        out->shifted = h.shifted;
        return 0;
    }
    nps_score_result res;
    int rc = exact(&res, tl, c, ri);
    if (rc) return rc;
    *out = nps_ranked_make(res.score, ri, res.matched);
    return 0;
}

/* Identity mode, or the exhaustive path: score every candidate pairwise. */
static int search_pairwise(nps_ranked *heap, size_t *nh, tls_t *tl, const query_ctx *c, size_t lo,
                           size_t hi, int use_order)
{
    const nps_searcher *s = c->s;
    for (size_t k = lo; k < hi; k++) {
        size_t ri = use_order ? s->order[k].idx : k;
        if (s->o.same_kind_only && nps_spectra_kind(s->lib, ri) != c->kind) continue;
        if (excluded(c, ri)) continue;
        nps_ranked r;
        if (exact_ranked(&r, tl, c, ri)) return NPS_ENOMEM;
        if (s->o.evalues && r.score > 0) tl->cand[tl->nc++] = (struct bound_t){r.score, ri};
        if (r.score > 0 && r.score >= s->o.min_score)
            nps_rank_push(heap, nh, s->o.top_k, r, s->lib);
    }
    return 0;
}

/* Add, for one query value v of weight x, the contribution of every library
 * entry of index ix within the tolerance window to its spectrum's
 * accumulator. iw/ify are the entries' weights in ix's order. */
static int scan_window(tls_t *tl, const query_ctx *c, const nps_fragment_index *ix, const float *iw,
                       const float *ify, double v, double tol, double x, int entropy, size_t *nt)
{
    const unsigned char *kinds = c->s->o.same_kind_only && c->s->mixed_kinds ? c->s->kinds : NULL;
    /* guard band: wider than float32 rounding of the index and of the bounds */
    double g = 4e-7 * (v + tol) + 1e-9;
    double fx = entropy ? xlog2x(x) : 0;
    float top = (float)(v + tol + g);
    size_t lo = nps_index_lower(ix, v - tol - g), hi = lo;
    while (hi < ix->n && ix->mz[hi] <= top) hi++;
    if (hi == lo) return 0;
    /* two passes over the window: the contributions (a straight loop the
     * compiler vectorises), then the scatter into the accumulators */
    if (hi - lo > tl->ccap) {
        float *cb = realloc(tl->cbuf, (hi - lo) * sizeof *cb);
        if (!cb) return NPS_ENOMEM;
        tl->cbuf = cb;
        tl->ccap = hi - lo;
    }
    float *cb = tl->cbuf;
    const float xf = (float)x, fxf = (float)fx;
    const size_t w = hi - lo;
    if (entropy) {
        const float *yv = iw + lo, *fy = ify + lo;
        for (size_t j = 0; j < w; j++) {
            float xy = xf + yv[j];
            cb[j] = xy * nps_fast_log2f(xy) - fxf - fy[j];
        }
    } else {
        const float *yv = iw + lo;
        for (size_t j = 0; j < w; j++) cb[j] = xf * yv[j];
    }
    struct acc_t *acc = tl->acc;
    const uint32_t *spv = ix->spec + lo;
    for (size_t j = 0; j < w; j++) {
        uint32_t sp = spv[j];
        if (kinds && kinds[sp] != (unsigned char)c->kind) continue;
        if (acc[sp].cnt++ == 0) tl->touched[(*nt)++] = sp;
        acc[sp].acc += cb[j];
    }
    return 0;
}

/* Open and hybrid modes through the fragment index: bounds, then exact
 * rescoring. In HYBRID mode the query's neutral losses are also looked up in
 * the loss library's index, weighted as the fragments they come from: a
 * shifted match is a shared loss, so every pair the hybrid rule can accept
 * (direct or shifted) is in one of the two scans, and the sum stays an upper
 * bound of the hybrid score. */
static int search_index(nps_ranked *heap, size_t *nh, tls_t *tl, const query_ctx *c)
{
    const nps_searcher *s = c->s;
    const nps_fragment_index *ix = s->ix;
    const float *iw = s->prep[c->t]->iw, *ify = s->prep[c->t]->ify;
    const nps_prep *Q = c->Q;
    const int entropy = c->t == NPS_SCORE_ENTROPY || c->t == NPS_SCORE_ENTROPY_UNWEIGHTED;
    const int hybrid = c->mode == NPS_MODE_HYBRID;
    const double qnorm = Q->norm;
    size_t nt = 0;
    if (!entropy && !(qnorm > 0)) return 0;
    for (size_t i = 0; i < Q->n; i++) {
        /* The first touch of each window is a cache miss: fetch the bin of the
         * window after next, and the start of the next window, ahead. */
        if (i + 2 < Q->n) {
            double q2 = Q->mz[i + 2], lo2 = q2 - nps_tol_at(c->so, q2);
            size_t b2 = lo2 > 0 ? (size_t)(lo2 / ix->bin_width) : 0;
            if (b2 < ix->nbins) __builtin_prefetch(&ix->bin[b2], 0, 1);
        }
        if (i + 1 < Q->n) {
            double q1 = Q->mz[i + 1], lo1 = q1 - nps_tol_at(c->so, q1);
            size_t b1 = lo1 > 0 ? (size_t)(lo1 / ix->bin_width) : 0;
            if (b1 < ix->nbins) {
                size_t p = ix->bin[b1];
                __builtin_prefetch(&ix->mz[p], 0, 1);
                __builtin_prefetch(&ix->spec[p], 0, 1);
                __builtin_prefetch(&iw[p], 0, 1);
                if (ify) __builtin_prefetch(&ify[p], 0, 1);
            }
        }
        double q = Q->mz[i];
        double x = entropy ? Q->w[i] : Q->w[i] / qnorm;
        if (!(x > 0) && !s->o.reverse) continue;
        if (scan_window(tl, c, ix, iw, ify, q, nps_tol_at(c->so, q), x, entropy, &nt))
            return NPS_ENOMEM;
    }
    if (hybrid && isfinite(c->qprec)) {
        /* the query's losses, ascending: its peaks below the precursor, backwards */
        if (Q->n > tl->lq_cap) {
            double *a = realloc(tl->lq_mz, Q->n * sizeof *a);
            if (a) tl->lq_mz = a;
            double *b = realloc(tl->lq_x, Q->n * sizeof *b);
            if (b) tl->lq_x = b;
            if (!a || !b) return NPS_ENOMEM;
            tl->lq_cap = Q->n;
        }
        const float *liw = s->prep[c->t]->liw, *lify = s->prep[c->t]->lify;
        for (size_t i = Q->n; i-- > 0;) {
            if (!(Q->mz[i] < c->qprec)) continue;
            double x = entropy ? Q->w[i] : Q->w[i] / qnorm;
            if (!(x > 0)) continue;
            /* the hybrid rule's tolerance is that of the query peak's m/z */
            if (scan_window(tl, c, s->lx, liw, lify, c->qprec - Q->mz[i],
                            nps_tol_at(c->so, Q->mz[i]), x, entropy, &nt))
                return NPS_ENOMEM;
        }
    }
    /* Bounds of the touched spectra, and the K-th largest of them (a min-heap
     * of K values: most candidates are rejected by one comparison). */
    size_t nc = 0, K = s->o.top_k, nb = 0;
    double nu = (double)Q->n, *kb = tl->kbest;
    for (size_t j = 0; j < nt; j++) {
        uint32_t sp = tl->touched[j];
        double a = tl->acc[sp].acc, b;
        if (s->o.reverse && !hybrid)
            b = INFINITY;
        else if (entropy)
            b = 0.5 * a;
        else if (c->t == NPS_SCORE_COSINE || hybrid)
            b = a;
        else { /* composite: DP <= a^2, ratio term <= 1, N_ur <= min(pairs, N_u) - 1 */
            double dp = a * a > 1 ? 1 : a * a;
            double pairs = (double)tl->acc[sp].cnt < nu ? (double)tl->acc[sp].cnt : nu;
            double nur = pairs > 1 ? pairs - 1 : 0;
            b = nur > 0 ? (nu * dp + nur) / (nu + nur) : dp;
        }
        tl->acc[sp].acc = 0;
        tl->acc[sp].cnt = 0;
        if (b + BOUND_MARGIN < s->o.min_score || !(b > 0) || excluded(c, sp)) continue;
        tl->cand[nc++] = (struct bound_t){b, sp};
        if (nb < K) {
            size_t i = nb++;
            kb[i] = b;
            while (i > 0 && kb[(i - 1) / 2] > kb[i]) { /* sift up */
                double t = kb[i];
                kb[i] = kb[(i - 1) / 2];
                kb[(i - 1) / 2] = t;
                i = (i - 1) / 2;
            }
        } else if (b > kb[0]) {
            kb[0] = b;
            for (size_t i = 0;;) { /* sift down */
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < nb && kb[l] < kb[m]) m = l;
                if (r < nb && kb[r] < kb[m]) m = r;
                if (m == i) break;
                double t = kb[i];
                kb[i] = kb[m];
                kb[m] = t;
                i = m;
            }
        }
    }
    tl->nc = nc; /* the bounds are the e-values' null sample */
    if (nc == 0) return 0;
    /* Rescore exactly every candidate whose bound reaches the K-th largest
     * bound, then any other whose bound still reaches the K-th exact score
     * (none when the bounds are the scores). */
    double bk = nb < K ? -INFINITY : kb[0];
    for (size_t j = 0; j < nc; j++) {
        const struct bound_t *cb = &tl->cand[j];
        if (cb->b < bk) continue;
        nps_ranked r;
        if (exact_ranked(&r, tl, c, cb->s)) return NPS_ENOMEM;
        if (r.score > 0 && r.score >= s->o.min_score) nps_rank_push(heap, nh, K, r, s->lib);
    }
    /* with the heap full and its worst exact score within the margin of the K-th
     * bound, no candidate below that bound can enter: the usual case */
    int more = bk > -INFINITY && !(*nh == K && nps_rank_worst(heap)->score >= bk - BOUND_MARGIN);
    for (size_t j = 0; more && j < nc; j++) {
        const struct bound_t *cb = &tl->cand[j];
        if (cb->b >= bk) continue; /* done above */
        if (*nh == K && cb->b + BOUND_MARGIN < nps_rank_worst(heap)->score) continue;
        nps_ranked r;
        if (exact_ranked(&r, tl, c, cb->s)) return NPS_ENOMEM;
        if (r.score > 0 && r.score >= s->o.min_score) nps_rank_push(heap, nh, K, r, s->lib);
    }
    return 0;
}

/* SHIFT mode against one library spectrum: the hybrid rule at shift 0 and at
 * the ns best correlation shifts; the best of them. A shift borne out by fewer
 * than shift_min_pairs shifted pairs is not taken: the shift was picked to
 * fit these two spectra, and a single pair fits any two spectra somewhere. */
static int shift_score(nps_ranked *best, tls_t *tl, const query_ctx *c, size_t ri,
                       const int *shifts, size_t ns)
{
    const nps_searcher *s = c->s;
    nps_prep R;
    ref_prep(&R, s, c->t, ri);
    *best = nps_ranked_make(0, ri, 0);
    for (size_t k = 0; k <= ns; k++) {
        double d = k == 0 ? 0.0 : (double)shifts[k - 1];
        nps_hybrid_result h;
        int rc = nps_hybrid_prepared(&h, tl->ws, c->Q, &R, d, NAN, NAN, c->so);
        if (rc) return rc;
        if (k > 0 && h.shifted < s->o.shift_min_pairs) continue; /* scored at shift 0 */
        if (h.score > best->score) {
            *best = nps_ranked_make(h.score, ri, h.direct + h.shifted);
            best->delta = h.shifted ? d : 0.0;
            best->shifted = h.shifted;
        }
    }
    return 0;
}

/* Shift correlation margin: the correlation is computed in float32 by FFT. */
#define SHIFT_MARGIN 1e-4

/* e-values in bounded SHIFT mode: the null sample is the exact score of
 * every k-th candidate, about this many of them (the bounded search scores
 * only the candidates that can still enter the top K; scoring all of them for
 * the null would undo the pruning, and bounds in their place overstate the
 * null tail: chance hits got e-values of ~36 instead of ~1). */
#define SHIFT_NULL_SAMPLE 1000

static void heap_sift_down(struct bound_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].b > h[m].b) m = l;
        if (r < n && h[r].b > h[m].b) m = r;
        if (m == i) return;
        struct bound_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* SHIFT mode (EI analogues). Exhaustively: every library spectrum of the
 * query's kind is cross-correlated with the query by FFT and scored by the
 * hybrid rule at its best shifts. Bounded (cosine and composite pair terms,
 * unit-mass spectra, tolerance below 1 Da): two upper bounds of the hybrid
 * score, a cheap one valid at every shift (the sorted-weights product,
 * shift.c) and a sharper one that needs the correlation (c[0] + c[s], the
 * pair terms being the products the correlation sums). Candidates are taken
 * in decreasing cheap bound, correlated, and rescored exactly when the sharp
 * bound can still beat the K-th score; the walk stops when the cheap bound
 * cannot. The result is the exhaustive one (tested). For the entropy pair
 * terms neither bound holds and every spectrum is rescored. */
static int search_shift(nps_ranked *heap, size_t *nh, tls_t *tl, const query_ctx *c)
{
    const nps_searcher *s = c->s;
    const nps_shift_plan *plan = s->shift[c->t];
    nps_shift_ws *sw = tl->sws[c->t];
    size_t nl = nps_spectra_count(s->lib), K = s->o.top_k, nc = 0;
    const int entropy = c->t == NPS_SCORE_ENTROPY || c->t == NPS_SCORE_ENTROPY_UNWEIGHTED;
    double tol = c->so->tolerance_ppm ? INFINITY : c->so->tolerance;
    const int bounded = !entropy && tol < 1.0 && !s->o.exhaustive && !s->o.reverse &&
                        nps_library_preprocessing(s->library)->ei.unit_mass;
    size_t T = s->o.shift_candidates;
    int shifts[64];
    double vals[64], c0;
    if (T > 64) T = 64;
    int rc = nps_shift_query(sw, plan, c->Q);
    if (rc) return rc;
    if (!bounded) {
        for (size_t ri = 0; ri < nl; ri++) {
            if (!nps_shift_has(plan, ri)) continue;
            if (s->o.same_kind_only && s->kinds[ri] != (unsigned char)c->kind) continue;
            if (excluded(c, ri)) continue;
            size_t ns = nps_shift_correlate(sw, plan, ri, &c0, shifts, vals, T);
            nps_ranked r;
            if ((rc = shift_score(&r, tl, c, ri, shifts, ns))) return rc;
            if (s->o.evalues && r.score > 0) tl->cand[tl->nc++] = (struct bound_t){r.score, ri};
            if (r.score > 0 && r.score >= s->o.min_score) nps_rank_push(heap, nh, K, r, s->lib);
        }
        return 0;
    }
    /* the candidates and their cheap bounds; e-values: the null subsample */
    size_t stride = 1, seen = 0, nnull = 0; /* the null sample: ri % stride == 0 */
    if (s->o.evalues) {
        size_t n_el = 0;
        for (size_t ri = 0; ri < nl; ri++) n_el += (size_t)nps_shift_has(plan, ri);
        stride = n_el > SHIFT_NULL_SAMPLE ? n_el / SHIFT_NULL_SAMPLE : 1;
        double *nb = realloc(tl->null, (nl / stride + 1) * sizeof *nb);
        if (!nb) return NPS_ENOMEM;
        tl->null = nb;
    }
    size_t sampled = 0;
    for (size_t ri = 0; ri < nl; ri++) {
        if (!nps_shift_has(plan, ri)) continue;
        if (s->o.same_kind_only && s->kinds[ri] != (unsigned char)c->kind) continue;
        if (excluded(c, ri)) continue;
        seen++;
        if (s->o.evalues && ri % stride == 0) { /* scored exactly now: no need to visit later */
            size_t ns = nps_shift_correlate(sw, plan, ri, &c0, shifts, vals, T);
            nps_ranked r;
            if ((rc = shift_score(&r, tl, c, ri, shifts, ns))) return rc;
            sampled++;
            if (r.score > 0) tl->null[nnull++] = r.score;
            if (r.score > 0 && r.score >= s->o.min_score) nps_rank_push(heap, nh, K, r, s->lib);
            continue;
        }
        double b = nps_shift_sorted_bound(sw, plan, ri) + SHIFT_MARGIN;
        if (b < s->o.min_score || !(b > SHIFT_MARGIN)) continue;
        tl->cand[nc++] = (struct bound_t){b, ri};
    }
    if (s->o.evalues) {
        tl->nc = nnull;
        tl->null_in_buf = 1;
        tl->null_scale = sampled ? (double)seen / (double)sampled : 1;
        tl->null_stride = stride;
    }
    for (size_t i = nc / 2; i-- > 0;) heap_sift_down(tl->cand, nc, i); /* best bound first */
    while (nc > 0) {
        struct bound_t top = tl->cand[0];
        if (*nh == K && top.b < nps_rank_worst(heap)->score) break;
        tl->cand[0] = tl->cand[--nc];
        heap_sift_down(tl->cand, nc, 0);
        size_t ns = nps_shift_correlate(sw, plan, top.s, &c0, shifts, vals, T);
        double b = c0 + (ns ? vals[0] : 0) + SHIFT_MARGIN;
        if (b < s->o.min_score || !(b > SHIFT_MARGIN)) continue;
        if (*nh == K && b < nps_rank_worst(heap)->score) continue;
        nps_ranked r;
        if ((rc = shift_score(&r, tl, c, top.s, shifts, ns))) return rc;
        if (r.score > 0 && r.score >= s->o.min_score) nps_rank_push(heap, nh, K, r, s->lib);
    }
    return 0;
}

/* The plain score of a query (processed peaks) against library spectrum ri,
 * preparing the query's weights in scratch buffers (outside the hot loop:
 * once per reported analogue hit). */
static int plain_score(tls_t *tl, nps_score_result *res, const double *qmz, const float *qin,
                       size_t qn, const nps_score_options *so, const nps_searcher *s, size_t ri)
{
    double *w = malloc((qn ? qn : 1) * 2 * sizeof *w);
    if (!w) return NPS_ENOMEM;
    nps_prep Q = {qmz, qin, w, w + qn, qn, 0};
    Q.norm = nps_score_prepare(w, w + qn, qmz, qin, qn, so);
    query_ctx c = {s, so->type, NPS_KIND_MSMS, so, &Q, NPS_MODE_OPEN, NAN, 0};
    int rc = exact(res, tl, &c, ri);
    free(w);
    return rc;
}

/* e-values: the query's fitted null tail */
typedef struct {
    double a, b;
    int ok;
} tail_fit;

/* The query's null sample is every candidate score (or bound) but that of
 * its top hit: fit its tail (stats/evalue.c). */
static int fit_tail(tls_t *tl, const nps_ranked *heap, size_t nh, tail_fit *out)
{
    out->ok = 0;
    size_t n = tl->nc;
    if (!tl->null_in_buf) {
        double *nb = realloc(tl->null, (n ? n : 1) * sizeof *nb);
        if (!nb) return NPS_ENOMEM;
        tl->null = nb;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!(nh && tl->cand[i].s == heap[0].ref)) nb[k++] = tl->cand[i].b;
        n = k;
    } else if (n && nh && tl->null_stride == 1) { /* drop the largest (the top hit's) */
        size_t mi = 0;
        for (size_t i = 1; i < n; i++)
            if (tl->null[i] > tl->null[mi]) mi = i;
        tl->null[mi] = tl->null[--n];
    } else if (n && nh && heap[0].ref % tl->null_stride == 0) { /* the top hit was sampled */
        for (size_t i = 0; i < n; i++)
            if (tl->null[i] == heap[0].score) {
                tl->null[i] = tl->null[--n];
                break;
            }
    }
    out->ok = nps_tail_fit(&out->a, &out->b, tl->null, n, EVALUE_MIN_CANDIDATES,
                           EVALUE_TAIL_FRACTION, EVALUE_MIN_R2);
    /* a subsample's ranks are null_scale times smaller than the library's */
    if (out->ok) out->a += log(tl->null_scale);
    return 0;
}

/* ---------------------------------------------------------------- run */

int nps_searcher_run(nps_hits **out, nps_searcher *s, const nps_spectra *queries)
{
    const nps_search_options *o = &s->o;
    const nps_spectra *lib = s->lib;
    size_t nl = nps_spectra_count(lib), nq = nps_spectra_count(queries), K = o->top_k;
    nps_spectra *qp = NULL;
    nps_ranked **results = NULL; /* per query, its ranked hits */
    size_t *counts = NULL;
    nps_search_mode *modes = NULL;
    nps_score_type *types = NULL;
    tail_fit *fits = NULL;
    nps_hits *h = NULL;
    int rc = nps_preprocess_spectra(&qp, queries, nps_library_preprocessing(s->library));
    if (rc) return rc;
    results = calloc(nq ? nq : 1, sizeof(nps_ranked *));
    counts = calloc(nq ? nq : 1, sizeof *counts);
    modes = malloc((nq ? nq : 1) * sizeof *modes);
    types = malloc((nq ? nq : 1) * sizeof *types);
    fits = calloc(nq ? nq : 1, sizeof *fits);
    h = calloc(1, sizeof *h);
    if (!results || !counts || !modes || !types || !fits || !h) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    /* decide score and mode per query; prepare what the batch needs */
    int open_index = 0;
    size_t n_nl = 0;
    for (size_t q = 0; q < nq; q++) {
        nps_kind k = nps_spectra_kind(qp, q);
        types[q] = o->score == NPS_SCORE_AUTO ? nps_search_default_score(k) : o->score;
        double pq = nps_spectra_precursor_mz(qp, q);
        int has_prec = isfinite(pq);
        nps_search_mode m = o->mode;
        if (m == NPS_MODE_AUTO)
            m = (k == NPS_KIND_MSMS && has_prec) ? NPS_MODE_IDENTITY : NPS_MODE_OPEN;
        if (m == NPS_MODE_ANALOGUE)
            m = (k == NPS_KIND_MSMS && has_prec) ? NPS_MODE_HYBRID : NPS_MODE_SHIFT;
        /* the shift correlation bins at unit mass: high-resolution queries use
         * the hybrid rule on their precursors instead */
        if (m == NPS_MODE_SHIFT && k == NPS_KIND_MSMS)
            m = has_prec ? NPS_MODE_HYBRID : NPS_MODE_OPEN;
        if ((m == NPS_MODE_IDENTITY || m == NPS_MODE_HYBRID) && !has_prec) m = NPS_MODE_OPEN;
        modes[q] = m;
        int flags = 0;
        if (m == NPS_MODE_OPEN && !o->exhaustive) flags = NPS_WEIGHTS_INDEX;
        if (m == NPS_MODE_HYBRID && !o->exhaustive)
            flags = NPS_WEIGHTS_INDEX | NPS_WEIGHTS_LOSS_INDEX;
        open_index |= flags != 0 || m == NPS_MODE_SHIFT;
        if (m == NPS_MODE_NEUTRAL_LOSS) {
            n_nl++;
            continue; /* searched below, on the loss library */
        }
        if ((rc = prepare(s, types[q], flags))) goto out;
        if (m == NPS_MODE_SHIFT) {
            if ((rc = prepare_shift(s, types[q]))) goto out;
        }
        if (k == NPS_KIND_EI && (rc = prepare(s, NPS_SCORE_COMPOSITE, 0))) goto out;
    }
    /* Neutral-loss queries: their losses, searched (open) against the loss
     * library with the same options; that library's spectrum i is this one's. */
    if (n_nl) {
        if (!s->nl) {
            const nps_library *ll;
            nps_search_options lo = *o;
            lo.mode = NPS_MODE_OPEN;
            if (o->exclude) { /* the nested batch numbers its queries 0.. : map them back */
                lo.exclude = nl_exclude;
                lo.exclude_ctx = &s->nl_map;
            }
            lo.progress = NULL;
            lo.query_seconds = NULL;
            if ((rc = nps_library_losses(s->library, &ll, NULL)) ||
                (rc = nps_searcher_create(&s->nl, ll, &lo)))
                goto out;
        }
        nps_spectra *lq = NULL;
        size_t *which = malloc(n_nl * sizeof *which);
        size_t cap = 0;
        double *lm = NULL;
        float *li = NULL;
        if (!which || (rc = nps_spectra_create(&lq))) {
            free(which);
            rc = rc ? rc : nps_err(NPS_ENOMEM, "out of memory");
            goto out;
        }
        size_t k = 0;
        for (size_t q = 0; q < nq && !rc; q++) {
            if (modes[q] != NPS_MODE_NEUTRAL_LOSS) continue;
            const double *m;
            const float *v;
            size_t n;
            nps_spectra_peaks(qp, q, &m, &v, &n);
            if (n > cap) {
                double *a = realloc(lm, n * sizeof *a);
                if (a) lm = a;
                float *b = realloc(li, n * sizeof *b);
                if (b) li = b;
                if (!a || !b) {
                    rc = nps_err(NPS_ENOMEM, "out of memory");
                    break;
                }
                cap = n;
            }
            size_t nlos = nps_losses_of(lm, li, NULL, m, v, n, nps_spectra_precursor_mz(qp, q));
            rc = nps_spectra_add_derived(lq, qp, q, lm, li, nlos);
            which[k++] = q;
        }
        free(lm);
        free(li);
        nps_hits *lh = NULL;
        s->nl_map.o = o;
        s->nl_map.which = which;
        if (!rc) rc = nps_searcher_run(&lh, s->nl, lq);
        for (size_t j = 0; !rc && j < k; j++) {
            size_t first, n;
            nps_hits_for_query(lh, j, &first, &n);
            size_t q = which[j];
            counts[q] = n;
            if (!n) continue;
            results[q] = malloc(n * sizeof **results);
            if (!results[q]) {
                rc = nps_err(NPS_ENOMEM, "out of memory");
                break;
            }
            for (size_t t = 0; t < n; t++) {
                const nps_hit *hh = nps_hits_at(lh, first + t);
                results[q][t] = nps_ranked_make(hh->score, hh->reference, hh->matched);
                results[q][t].e = hh->e_value; /* fitted on the loss spectra's tail */
            }
        }
        nps_hits_free(lh);
        nps_spectra_free(lq);
        free(which);
        if (rc) goto out;
    }
    size_t done = 0;
    int shared_rc = 0;
#ifdef _OPENMP
    /* read by the pragma below, which the analyzer does not see */
    /* more threads than queries or than 4x the processors only cost memory
     * (each owns per-library accumulators) */
    int nthreads = o->threads > 0 ? o->threads : omp_get_max_threads(); // NOLINT
    if (nthreads > 4 * omp_get_num_procs()) nthreads = 4 * omp_get_num_procs();
    if ((size_t)nthreads > nq) nthreads = nq ? (int)nq : 1;
    (void)nthreads;
#endif
#ifndef _OPENMP
    int nthreads = 1;
#endif
    if (nthreads > s->ntls) {
        tls_t *t = realloc(s->tls, (size_t)nthreads * sizeof *t);
        if (!t) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
            goto out;
        }
        memset(t + s->ntls, 0, (size_t)(nthreads - s->ntls) * sizeof *t);
        s->tls = t;
        s->ntls = nthreads;
    }
#pragma omp parallel num_threads(nthreads)
    {
#ifdef _OPENMP
        tls_t *tlp = &s->tls[omp_get_thread_num()];
#else
        tls_t *tlp = &s->tls[0];
#endif
        int trc = tls_init(tlp, nl, open_index || o->evalues, K);
        for (int t = 0; t < 4 && !trc; t++)
            if (s->shift[t] && !tlp->sws[t] && nps_shift_ws_create(&tlp->sws[t], s->shift[t]))
                trc = NPS_ENOMEM;
#pragma omp for schedule(dynamic, 4)
        for (size_t q = 0; q < nq; q++) {
            if (trc || shared_rc || modes[q] == NPS_MODE_NEUTRAL_LOSS) continue;
#ifdef _OPENMP
            double t0 = o->query_seconds ? omp_get_wtime() : 0;
#endif
            const double *qmz;
            const float *qin;
            size_t qn;
            nps_spectra_peaks(qp, q, &qmz, &qin, &qn);
            if (qn > tlp->qcap) {
                free(tlp->qw);
                free(tlp->qv);
                tlp->qw = malloc(qn * sizeof *tlp->qw);
                tlp->qv = malloc(qn * sizeof *tlp->qv);
                tlp->qcap = qn;
                if (!tlp->qw || !tlp->qv) {
                    trc = NPS_ENOMEM;
                    tlp->qcap = 0;
                    continue;
                }
            }
            nps_kind kind = nps_spectra_kind(qp, q);
            nps_score_options so;
            score_opts_for(&so, o, types[q], kind);
            nps_prep Q = {qmz, qin, tlp->qw, tlp->qv, qn, 0};
            Q.norm = nps_score_prepare(tlp->qw, tlp->qv, qmz, qin, qn, &so);
            query_ctx c = {s, types[q], kind, &so, &Q, modes[q], nps_spectra_precursor_mz(qp, q),
                           q};
            nps_ranked *heap = tlp->heap;
            size_t nh = 0;
            tlp->nc = 0;
            tlp->null_in_buf = 0;
            tlp->null_scale = 1;
            tlp->null_stride = 1;
            if (modes[q] == NPS_MODE_IDENTITY) {
                double pq = nps_spectra_precursor_mz(qp, q);
                double tol = o->precursor_tolerance_ppm ? o->precursor_tolerance * 1e-6 * pq
                                                        : o->precursor_tolerance;
                double a = pq - tol, b = pq + tol;
                size_t l = 0, r = s->norder;
                while (l < r) {
                    size_t m = (l + r) / 2;
                    if (s->order[m].prec < a)
                        l = m + 1;
                    else
                        r = m;
                }
                size_t lo = l;
                r = s->norder;
                while (l < r) {
                    size_t m = (l + r) / 2;
                    if (s->order[m].prec <= b)
                        l = m + 1;
                    else
                        r = m;
                }
                trc = search_pairwise(heap, &nh, tlp, &c, lo, l, 1);
            } else if (modes[q] == NPS_MODE_SHIFT) {
                trc = search_shift(heap, &nh, tlp, &c);
            } else if (o->exhaustive) {
                trc = search_pairwise(heap, &nh, tlp, &c, 0, nl, 0);
            } else {
                trc = search_index(heap, &nh, tlp, &c);
            }
            nps_rank_sort(heap, nh, lib);
            counts[q] = nh;
            if (!trc && o->evalues) trc = fit_tail(tlp, heap, nh, &fits[q]);
            if (!trc && nh) {
                results[q] = malloc(nh * sizeof **results);
                if (results[q])
                    memcpy(results[q], heap, nh * sizeof **results);
                else
                    trc = NPS_ENOMEM;
            }
#ifdef _OPENMP
            if (o->query_seconds) o->query_seconds[q] = omp_get_wtime() - t0;
#endif
            size_t d;
#pragma omp atomic capture
            d = ++done;
#ifdef _OPENMP
            if (o->progress && omp_get_thread_num() == 0) o->progress(o->progress_ctx, d, nq);
#else
            if (o->progress) o->progress(o->progress_ctx, d, nq);
#endif
        }
        if (trc) {
#pragma omp critical
            shared_rc = trc;
        }
    }
    if (shared_rc) {
        rc = shared_rc == NPS_ENOMEM ? nps_err(NPS_ENOMEM, "out of memory during search")
                                     : shared_rc;
        goto out;
    }
    /* gather, with the composite match factor of every EI hit */
    size_t total = 0;
    for (size_t q = 0; q < nq; q++) total += counts[q];
    h->hits = malloc((total ? total : 1) * sizeof *h->hits);
    h->qoff = malloc((nq + 1) * sizeof *h->qoff);
    if (!h->hits || !h->qoff) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    h->nq = nq;
    tls_t tl = {0};
    if (tls_init(&tl, nl, 0, K)) {
        tls_free(&tl);
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t q = 0; q < nq; q++) {
        h->qoff[q] = h->n;
        nps_kind kind = nps_spectra_kind(qp, q);
        const double *qmz;
        const float *qin;
        size_t qn;
        nps_spectra_peaks(qp, q, &qmz, &qin, &qn);
        /* the composite MF of the pair as it stands (unshifted) */
        int want_mf = kind == NPS_KIND_EI && counts[q] &&
                      (types[q] != NPS_SCORE_COMPOSITE || o->reverse ||
                       modes[q] == NPS_MODE_SHIFT || modes[q] == NPS_MODE_NEUTRAL_LOSS);
        nps_score_options sc;
        score_opts_for(&sc, o, NPS_SCORE_COMPOSITE, kind);
        sc.reverse = 0;
        nps_prep QC = {qmz, qin, NULL, NULL, qn, 0};
        if (want_mf) {
            double *cw = malloc((qn ? qn : 1) * sizeof *cw),
                   *cv = malloc((qn ? qn : 1) * sizeof *cv);
            if (!cw || !cv) {
                free(cw);
                free(cv);
                tls_free(&tl);
                rc = nps_err(NPS_ENOMEM, "out of memory");
                goto out;
            }
            QC.w = cw;
            QC.v = cv;
            QC.norm = nps_score_prepare(cw, cv, qmz, qin, qn, &sc);
        }
        for (size_t k = 0; k < counts[q]; k++) {
            const nps_ranked *c = &results[q][k];
            nps_hit *hit = &h->hits[h->n++];
            *hit = (nps_hit){q,        k + 1,    c->ref,     c->score, c->matched, NAN, types[q],
                             modes[q], c->delta, c->shifted, NAN,      NAN,        NAN};
            if (modes[q] == NPS_MODE_NEUTRAL_LOSS)
                hit->e_value = c->e;
            else if (fits[q].ok) {
                hit->e_value = exp(fits[q].a + fits[q].b * c->score);
            }
            if (modes[q] == NPS_MODE_HYBRID || modes[q] == NPS_MODE_SHIFT) {
                /* the plain score of the pair, for the identification call */
                nps_score_options sp;
                score_opts_for(&sp, o, types[q], kind);
                sp.reverse = 0;
                nps_score_result pr;
                if (plain_score(&tl, &pr, qmz, qin, qn, &sp, s, c->ref) == 0)
                    hit->identity_score = pr.score;
            }
            if (kind != NPS_KIND_EI) continue;
            if (!want_mf) {
                hit->composite = c->score;
                continue;
            }
            query_ctx cc = {s, NPS_SCORE_COMPOSITE, kind, &sc, &QC, NPS_MODE_OPEN, NAN, q};
            nps_score_result res;
            if (exact(&res, &tl, &cc, c->ref) == 0) hit->composite = res.score;
        }
        free((void *)QC.w);
        free((void *)QC.v);
    }
    h->qoff[nq] = h->n;
    tls_free(&tl);
    *out = h;
    h = NULL;
out:
    nps_hits_free(h);
    for (size_t q = 0; results && q < nq; q++) free(results[q]);
    free(results);
    free(counts);
    free(modes);
    free(types);
    free(fits);
    nps_spectra_free(qp);
    return rc;
}

int nps_search_run(nps_hits **out, const nps_library *lib, const nps_spectra *queries,
                   const nps_search_options *options)
{
    nps_searcher *s = NULL;
    int rc = nps_searcher_create(&s, lib, options);
    if (rc || !s) return rc ? rc : NPS_ENOMEM;
    rc = nps_searcher_run(out, s, queries);
    nps_searcher_free(s);
    return rc;
}

/*
 * Private: the search plan, the per-thread workspace and the table of search
 * modes (see plan.c, query.c and the mode_*.c files).
 *
 * Data flows one way. The library holds what is stored (imported and
 * processed spectra, the fragment index). The plan derives from it, once,
 * everything a search needs (per-score weights, the neutral-loss spectra and
 * their index, FFT plans) and is immutable afterwards. A workspace holds one
 * thread's scratch memory. A mode is a function of (plan, workspace, query)
 * that pushes candidates into the workspace's top-K heap.
 */
#ifndef NPS_PLAN_H
#define NPS_PLAN_H

#include "../library/library.h"
#include "../scoring/scoring.h"
#include "rank.h"
#include "shift.h"

/* Pruning margin: bounds are accumulated from float32 weights, so a bound may
 * undershoot the exact double score by rounding (a few 1e-6 at most for
 * spectra of hundreds of peaks); candidates are dropped only when the bound
 * is this far below the K-th score. */
#define NPS_BOUND_MARGIN 2e-5

/* e-values: a null sample of more candidates than twice this is thinned to
 * between this many and twice as many: those whose library index is a
 * multiple of a power-of-two stride (the test is a mask, and the same spectra
 * are sampled whichever path found them), the survival counts scaled back by
 * the sampling rate. 1,024 scores put 100 to 200 in the fitted tail, plenty
 * for two parameters; the cross-laboratory ROC AUC of the e-values is the
 * same as with the whole sample (bench/RESULTS.md section 11). */
#define NPS_EVALUE_NULL_SAMPLE 1024
static inline size_t nps_evalue_stride(size_t n)
{
    size_t stride = 1;
    while (n / (2 * stride) >= NPS_EVALUE_NULL_SAMPLE) stride *= 2;
    return stride;
}

/* The exact per-peak weights of a target are kept in the plan while they take
 * at most this many bytes (weights.c); above it a candidate is prepared when
 * it is scored. The variable is the limit in force (tests set it to 0, to
 * compare the two ways; it is read when a plan is made). */
#define NPS_WEIGHT_CACHE_MAX_BYTES ((size_t)128 << 20)
extern size_t nps_weight_cache_max_bytes;

/* Which way the fragment-index scan keeps its accumulators (common.c): by
 * the query's number of index entries against the library's size, or always
 * one way where the score allows it. The variable is the way in force (tests
 * set it, to compare the ways; it is read per query). */
enum { NPS_SCAN_AUTO, NPS_SCAN_TOUCHED, NPS_SCAN_DENSE };
extern int nps_scan_force;

/* Per-score weights of a target's peaks (weights.c): the score options they
 * are prepared with (nps_target_prep prepares a candidate with them), the
 * exact weights of every peak (w, and v: the composite's NIST intensity, the
 * entropy scores' w log2 w) and
 * norm of every spectrum while they are cheap (NULL otherwise), and,
 * in the target's fragment-index order for the bounds, iw (ify = iw log2 iw
 * for the entropy scores). liw/lify: the main target's weights in the loss
 * index's order (the shifted half of the hybrid bounds). */
typedef struct {
    nps_score_options so;
    double *w, *v, *norm;
    float *iw, *ify;
    float *liw, *lify;
    /* the composite's bound: per cut of composite.c, the scale of every
     * spectrum at its accumulator position (NPS_COMPOSITE_CUTS rows) */
    float *cut;
    /* ... and per index entry, for its ratio chain: its NIST bin M << 32 |
     * (2 h + (I > 1)), h the number of bins of its spectrum above 1 before
     * its own (NIST's intensities); UINT64_MAX for a peak merged into an
     * earlier one's bin */
    uint64_t *chain;
} nps_weights;

/* A searchable set of spectra: the library's processed spectra, or their
 * neutral losses (same order, same ids). */
typedef struct {
    const nps_spectra *spectra;
    const nps_fragment_index *ix; /* NULL until an index is needed */
    const double *mz0;            /* start of the peak arrays (index weights are per peak) */
    nps_weights *wt[NPS_SCORE_COUNT];
} nps_target;

typedef struct {
    double prec;
    size_t idx;
} nps_prec_entry;

struct nps_plan {
    const nps_library *library;
    nps_search_options o;
    unsigned forms;   /* NPS_QUERY_FORM bits: the query forms prepared for */
    int nthreads;     /* for the plan's own parallel regions */
    size_t max_peaks; /* the most peaks of a library spectrum (nps_target_prep's buffers) */
    nps_target main;
    nps_target loss;
    /* the neutral-loss spectra (losses.c), built when a mode needs them */
    nps_spectra *loss_spectra;
    uint32_t *lossmap; /* loss peak -> the processed peak it came from */
    nps_fragment_index loss_ix;
    int has_loss_ix;
    nps_prec_entry *order; /* spectra with a precursor, by precursor m/z */
    size_t norder;
    double *prec_of;    /* precursor m/z of each library spectrum, NAN if none */
    int identity_index; /* identity windows can be wide enough for the index (mode_identity.c) */
    /* with evalues: the compound of each library spectrum (nps_compound_key),
     * 0 if unknown; the e-value null sample leaves out the top hit's compound */
    uint64_t *compound_of;
    unsigned char *kinds_of; /* kind of each library spectrum */
    /* the same at each accumulator position of the fragment index (its scan
     * order, library/index.h), for the scan's kind filter; NULL unless the
     * kinds are mixed and the index has an order of its own */
    unsigned char *kinds_at;
    int mixed_kinds;
    size_t n_of_kind[NPS_KIND_COUNT];
    nps_shift_plan *shift[NPS_SCORE_COUNT];
};

/* Candidate bound of a spectrum. */
typedef struct {
    double b;
    size_t s;
} nps_bound;

/* One window of a fragment-index scan: the entries [lo, hi) within the
 * tolerance of a query value of weight x. */
typedef struct {
    size_t lo, hi;
    double x;
    /* the composite's: this window's number, and that of the last earlier
     * window whose query intensity is above 1 (+ 1; 0: none) */
    uint32_t k, brk;
    uint32_t bin;   /* the query bin's NIST m/z */
    uint32_t above; /* its NIST intensity is above 1 */
} nps_window;

struct nps_workspace {
    const nps_plan *plan;
    nps_score_workspace *sws;
    /* the query: preprocessed peaks, weights for the ranking score (w, v) and
     * for the composite MF (cw, cv) */
    double *qmz, *qw, *qv, *cw, *cv;
    float *qin;
    size_t qcap;
    /* the library spectrum being scored, prepared (nps_target_prep): max_peaks */
    double *rw, *rv;
    /* neutral-loss and hybrid: the query's losses and their weights */
    double *lmz, *lw, *lv;
    float *lin; /* both sets hold qcap peaks */
    /* the fragment-index scan: per library spectrum the accumulated bound
     * (accf), or, for the composite, whose bound also needs NIST's counts
     * and ratio term, the bound and those side by side in one 32-byte
     * record (acc, allocated only when the plan has a composite index) */
    float *accf;
    struct nps_acc {
        float acc;
        /* the composite's counts (common.c, scan_window): the last common
         * bin met (its window + 1; 0: none) and its library chain count, the
         * common bins (n1), the ratio terms (n2) with their weighted sum
         * (num / den), and the previous common bin's weights; 32 bytes, one
         * aligned half cache line */
        uint32_t last, lastg;
        uint16_t n1, n2;
        float num, den, xprev, yprev;
    } * acc;
    uint32_t *touched; /* spectra with cnt > 0 */
    size_t nlib;
    float *cbuf; /* contributions of one window */
    size_t ccap;
    nps_window *win; /* the query's windows */
    size_t win_cap;
    double *kbest;    /* min-heap of the K largest bounds */
    nps_ranked *heap; /* the K best hits of the current query */
    /* the probability's scratch (stats/probability.c): per hit its compound
     * key, utility and compound class */
    uint64_t *pkey;
    double *pu;
    size_t *pcls;
    size_t nh;
    nps_bound *cand; /* candidates (max-heap in shift mode) */
    size_t cand_cap;
    nps_bound *near; /* candidates just below the K-th bound (nps_search_indexed) */
    size_t near_cap;
    /* e-values: the null sample left by the last query */
    size_t nc;       /* null scores in cand (or in null) */
    int null_in_buf; /* ... in null rather than in cand */
    /* ... or already thinned, in sample (nsample of the nc candidates: a
     * dense scan, common.c) */
    int thinned;
    nps_bound *sample;
    size_t sample_cap, nsample;
    double *null;
    size_t null_cap;
    double null_scale;  /* the null sample is 1 / null_scale of the candidates */
    size_t null_stride; /* ... those whose library index is a multiple of it */
    nps_shift_ws *shw[NPS_SCORE_COUNT];
    int indexed;            /* the last query's candidates came from the fragment index */
    int dense;              /* ... through the dense accumulators */
    struct nps_mix_ws *mix; /* mixture analysis scratch (mixture.c), made on first use */
};

/* One query as a mode sees it. */
typedef struct {
    const nps_plan *p;
    const nps_target *tg; /* the spectra searched (the library, or its losses) */
    nps_score_type t;
    nps_kind kind;
    const nps_score_options *so;
    const nps_prep *Q; /* the query prepared for t */
    nps_search_mode mode;
    double qprec; /* the query's precursor m/z, or NAN */
    size_t query; /* its index in the caller's collection (options.exclude) */
    /* identity mode: only library spectra whose precursor lies in
     * [win_lo, win_hi] are candidates (nps_in_window) */
    int windowed;
    double win_lo, win_hi;
} nps_query_ctx;

/* A search mode. resolve: the mode a query of this kind actually runs
 * (itself, or another: the analogue mode is a composition); prepare: make
 * the plan ready for queries scored with t (idempotent; NULL when the mode
 * only dispatches); search: push the query's candidates into ws->heap. */
typedef struct {
    const char *name;
    nps_search_mode (*resolve)(nps_kind kind, int has_precursor);
    int (*prepare)(nps_plan *p, nps_score_type t);
    int (*search)(nps_workspace *ws, const nps_query_ctx *c);
} nps_mode_ops;

/* The table, indexed by nps_search_mode (modes.c). */
extern const nps_mode_ops *const nps_mode_table[NPS_MODE_COUNT];
extern const nps_mode_ops nps_mode_identity, nps_mode_open, nps_mode_hybrid, nps_mode_neutral_loss,
    nps_mode_shift, nps_mode_analogue;

/* The mode a query runs under `mode` (AUTO and ANALOGUE resolved). */
nps_search_mode nps_mode_resolve(nps_search_mode mode, nps_kind kind, int has_precursor);

/* Score options for a query of a kind under the search options: the rule for
 * the per-kind default tolerance, written once. */
void nps_plan_score_options(nps_score_options *so, const nps_search_options *o, nps_score_type t,
                            nps_kind kind);

/* Plan preparation helpers for the modes (plan.c, weights.c). */
int nps_plan_weights(nps_plan *p, nps_target *tg, nps_score_type t, int index_order);
int nps_plan_losses(nps_plan *p);
int nps_plan_loss_weights(nps_plan *p, nps_score_type t);
int nps_weights_build(nps_weights **out, const nps_target *tg, const nps_score_options *so,
                      int nthreads);
size_t nps_target_max_peaks(const nps_target *tg);
int nps_weights_index_order(nps_weights *w, const nps_target *tg, nps_score_type t, int nthreads);
int nps_weights_loss_order(nps_weights *w, const nps_plan *p, nps_score_type t);
void nps_weights_free(nps_weights *w);

/* Search helpers shared by the modes (search_common.c). */
uint64_t nps_compound_key(const nps_spectra *s, size_t i);

/* The identity window rule, the same comparison on every path: the
 * reference's precursor within [win_lo, win_hi], bounds included. */
static inline int nps_in_window(const nps_query_ctx *c, size_t ri)
{
    double rp = c->p->prec_of[ri];
    return rp >= c->win_lo && rp <= c->win_hi;
}

static inline int nps_excluded(const nps_query_ctx *c, size_t ri)
{
    const nps_search_options *o = &c->p->o;
    return o->exclude && o->exclude(o->exclude_ctx, c->query, ri);
}
/* Offer a scored candidate to the top K: kept when its score is above zero
 * and at least min_score. */
static inline void nps_keep(nps_workspace *ws, const nps_query_ctx *c, nps_ranked r)
{
    if (r.score > 0 && r.score >= c->p->o.min_score)
        nps_rank_push(ws->heap, &ws->nh, c->p->o.top_k, r, c->tg->spectra);
}
/* Library spectrum ri of target tg, prepared for score t in the workspace's
 * buffers (valid until the next call). */
void nps_target_prep(nps_prep *R, nps_workspace *ws, const nps_target *tg, nps_score_type t,
                     size_t ri);
/* The exact ranked score of candidate ri (the hybrid score in HYBRID mode). */
int nps_exact_ranked(nps_ranked *out, nps_workspace *ws, const nps_query_ctx *c, size_t ri);
/* Score the candidates [lo, hi) pairwise (in precursor order when use_order). */
int nps_search_pairwise(nps_workspace *ws, const nps_query_ctx *c, size_t lo, size_t hi,
                        int use_order);
/* The fragment-index search (bounds, then exact rescoring) of c->tg. */
int nps_search_indexed(nps_workspace *ws, const nps_query_ctx *c);
/* nps_search_query on raw peaks (rn of them, sorted by m/z) of a given kind
 * and precursor (NAN: none), in mode m (resolved: never AUTO or ANALOGUE);
 * query is the index options.exclude is asked about. The mixture analysis
 * searches a residual this way. */
int nps_search_peaks(nps_hit *hits, nps_query_info *info, nps_workspace *ws, const nps_plan *p,
                     nps_kind kind, double qprec, nps_search_mode m, const double *rmz,
                     const float *rin, size_t rn, size_t query);
/* The mixture analysis scratch of a workspace (mixture.c). */
void nps_mix_ws_free(struct nps_mix_ws *m);
size_t nps_mix_ws_bytes(const struct nps_mix_ws *m);
/* Grow the candidate array to hold n. */
int nps_ws_cand_reserve(nps_workspace *ws, size_t n);

#endif

/*
 * The search plan and the per-thread workspace.
 *
 * A plan is made once and then only read (after FFTW's plans): creating it
 * validates the options, decides for every kind of query the plan will see
 * which mode and score it runs, and asks each of those modes, through the
 * mode table, to prepare what it needs: per-score library weights, the
 * neutral-loss spectra and their index, FFT plans with the library's
 * transforms. Nothing is prepared on first use, so nothing in a plan changes
 * while queries run, and any number of threads can search with one plan
 * without a lock.
 *
 * A workspace is one thread's scratch memory (Sage's per-query scorer: the
 * caller owns the loop and the threads). Its fixed part is 8 bytes per
 * library spectrum, the score accumulators and the list of touched spectra
 * of the fragment-index scan (16 when the plan has a composite index, whose
 * bound also counts the pairs); everything else (query buffers, candidate
 * lists, FFT buffers) grows to the largest query seen, after which nothing
 * is allocated.
 */
#include "plan.h"

#include <ctype.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/*
 * The compound a spectrum is of, as a 64-bit key: the InChIKey's first block
 * (the connectivity: stereoisomers and salts of one compound agree), else the
 * name, case-folded; 0 when it has neither. Replicate spectra of one
 * compound share a key.
 */
uint64_t nps_compound_key(const nps_spectra *s, size_t i)
{
    char buf[256];
    size_t k = 0;
    const char *ik = nps_spectra_get(s, i, NPS_KEY_INCHIKEY);
    if (ik && strlen(ik) >= 14) {
        for (; k < 14; k++) buf[k] = (char)toupper((unsigned char)ik[k]);
        buf[k++] = '|'; /* a key is never a name */
    } else {
        const char *nm = nps_spectra_name(s, i);
        for (; nm && *nm && k + 1 < sizeof buf; nm++) buf[k++] = (char)tolower((unsigned char)*nm);
    }
    buf[k] = '\0';
    uint64_t h = k ? nps_hash_str(buf) : 0;
    return h ? h : (k ? 1 : 0);
}

/* ------------------------------------------------------------ rules */

void nps_plan_score_options(nps_score_options *so, const nps_search_options *o, nps_score_type t,
                            nps_kind kind)
{
    nps_score_options d = NPS_SCORE_OPTIONS_INIT;
    *so = d;
    so->type = t;
    /* a negative tolerance means: the default of the query's kind */
    so->tolerance = o->tolerance >= 0     ? o->tolerance
                    : kind == NPS_KIND_EI ? NPS_DEFAULT_TOLERANCE_EI
                                          : NPS_DEFAULT_TOLERANCE_MSMS;
    so->tolerance_ppm = o->tolerance >= 0 ? o->tolerance_ppm : 0;
    so->mz_power = o->mz_power;
    so->intensity_power = o->intensity_power;
    so->reverse = o->reverse;
}

nps_score_type nps_search_default_score(nps_kind kind)
{
    return kind == NPS_KIND_EI ? NPS_SCORE_COMPOSITE : NPS_SCORE_ENTROPY;
}

/* AUTO: identity for MS/MS with a precursor (the precursor selects the
 * candidates), open search otherwise. */
static nps_search_mode resolve_auto(nps_kind kind, int has_precursor)
{
    return kind == NPS_KIND_MSMS && has_precursor ? NPS_MODE_IDENTITY : NPS_MODE_OPEN;
}

nps_search_mode nps_mode_resolve(nps_search_mode mode, nps_kind kind, int has_precursor)
{
    /* a mode may resolve to another (analogue to hybrid or shift, shift on
     * MS/MS to hybrid); follow until a mode runs itself */
    nps_search_mode m = mode == NPS_MODE_AUTO ? resolve_auto(kind, has_precursor) : mode;
    for (int guard = 0; guard < NPS_MODE_COUNT; guard++) {
        const nps_mode_ops *ops = nps_mode_table[m];
        nps_search_mode next = ops->resolve ? ops->resolve(kind, has_precursor) : m;
        if (next == m) return m;
        m = next;
    }
    return NPS_MODE_OPEN;
}

/* ------------------------------------------------------- preparation */

int nps_plan_weights(nps_plan *p, nps_target *tg, nps_score_type t, int index_order)
{
    int rc = 0;
    if (!tg->wt[t]) {
        nps_score_options so;
        nps_plan_score_options(&so, &p->o, t, NPS_KIND_MSMS);
        if ((rc = nps_weights_build(&tg->wt[t], tg, &so, p->nthreads))) return rc;
    }
    if (index_order && !tg->wt[t]->iw) rc = nps_weights_index_order(tg->wt[t], tg, t, p->nthreads);
    return rc;
}

int nps_plan_losses(nps_plan *p)
{
    if (p->has_loss_ix) return 0;
    int rc = nps_losses_build(&p->loss_spectra, &p->lossmap, p->main.spectra);
    if (!rc) rc = nps_index_build(&p->loss_ix, p->loss_spectra, p->main.ix);
    if (rc) return rc;
    p->has_loss_ix = 1;
    p->loss.spectra = p->loss_spectra;
    p->loss.ix = &p->loss_ix;
    p->loss.mz0 = NULL;
    if (nps_spectra_count(p->loss_spectra)) {
        const float *i0;
        size_t k0;
        nps_spectra_peaks(p->loss_spectra, 0, &p->loss.mz0, &i0, &k0);
    }
    return 0;
}

int nps_plan_loss_weights(nps_plan *p, nps_score_type t)
{
    int rc = nps_plan_losses(p);
    if (!rc) rc = nps_plan_weights(p, &p->main, t, 0);
    if (!rc && !p->main.wt[t]->liw) rc = nps_weights_loss_order(p->main.wt[t], p, t);
    return rc;
}

static int cmp_prec(const void *a, const void *b)
{
    const nps_prec_entry *x = a, *y = b;
    if (x->prec != y->prec) return x->prec < y->prec ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int check_options(const nps_search_options *o)
{
    if (!o || o->version != NPS_SEARCH_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_search_options version %d not supported",
                       o ? o->version : 0);
    if (o->top_k == 0) return nps_err(NPS_EINVAL, "top_k must be at least 1");
    if (!(o->precursor_tolerance >= 0)) return nps_err(NPS_EINVAL, "negative precursor tolerance");
    if (o->tolerance >= 0 && o->tolerance_ppm == 0 && o->tolerance > 1e3)
        return nps_err(NPS_EINVAL, "fragment tolerance %g Da is not sensible", o->tolerance);
    if (isnan(o->tolerance)) return nps_err(NPS_EINVAL, "fragment tolerance is not a number");
    if ((int)o->score < NPS_SCORE_AUTO || (int)o->score >= NPS_SCORE_COUNT)
        return nps_err(NPS_EINVAL, "unknown score %d", (int)o->score);
    if ((int)o->mode < NPS_MODE_AUTO || (int)o->mode >= NPS_MODE_COUNT)
        return nps_err(NPS_EINVAL, "unknown mode %d", (int)o->mode);
    if (o->threads < 0) return nps_err(NPS_EINVAL, "negative thread count");
    return 0;
}

void nps_plan_free(nps_plan *p)
{
    if (!p) return;
    for (int t = 0; t < NPS_SCORE_COUNT; t++) {
        nps_weights_free(p->main.wt[t]);
        nps_weights_free(p->loss.wt[t]);
        nps_shift_plan_free(p->shift[t]);
    }
    if (p->has_loss_ix) nps_index_free(&p->loss_ix);
    nps_spectra_free(p->loss_spectra);
    free(p->lossmap);
    free(p->order);
    free(p->kinds_of);
    free(p->kinds_at);
    free(p->prec_of);
    free(p->compound_of);
    free(p);
}

int nps_plan_create(nps_plan **out, const nps_library *library, const nps_search_options *o)
{
    if (!out || !library) return nps_err(NPS_EINVAL, "NULL argument");
    int rc = check_options(o);
    if (rc) return rc;
    if (nps_library_metadata_only(library))
        return nps_err(NPS_EINVAL, "a library opened for its metadata only cannot be searched");
    /* the null sample of an e-value is the query's scores against the whole
     * library; a part of a split library would fit it to its own share */
    if (o->evalues &&
        nps_library_part_total(library) != nps_spectra_count(nps_library_processed(library)))
        return nps_err(NPS_EINVAL, "e-values need the whole library: a part of a split library "
                                   "cannot give them");
    nps_plan *p = calloc(1, sizeof *p);
    if (!p) return nps_err(NPS_ENOMEM, "out of memory");
    p->library = library;
    p->o = *o;
    p->main.spectra = nps_library_processed(library);
    p->main.ix = nps_library_index(library);
    const nps_spectra *lib = p->main.spectra;
    size_t nl = nps_spectra_count(lib);
    /* no query has more hits than the library has spectra */
    if (p->o.top_k > nl) p->o.top_k = nl ? nl : 1;
#ifdef _OPENMP
    p->nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
#else
    p->nthreads = 1;
#endif
    p->order = malloc((nl ? nl : 1) * sizeof *p->order);
    p->kinds_of = malloc(nl ? nl : 1);
    p->prec_of = malloc((nl ? nl : 1) * sizeof *p->prec_of);
    /* compound keys only for the e-values' null sample: no start-up cost otherwise */
    p->compound_of = o->evalues ? malloc((nl ? nl : 1) * sizeof *p->compound_of) : NULL;
    if (!p->order || !p->kinds_of || !p->prec_of || (o->evalues && !p->compound_of)) {
        nps_plan_free(p);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nl; i++) {
        double pm = nps_spectra_precursor_mz(lib, i);
        p->prec_of[i] = pm;
        if (p->compound_of) p->compound_of[i] = nps_compound_key(lib, i);
        if (!isnan(pm)) p->order[p->norder++] = (nps_prec_entry){pm, i};
        p->kinds_of[i] = (unsigned char)nps_spectra_kind(lib, i);
        p->n_of_kind[p->kinds_of[i]]++;
        if (i && p->kinds_of[i] != p->kinds_of[0]) p->mixed_kinds = 1;
    }
    qsort(p->order, p->norder, sizeof *p->order, cmp_prec);
    if (p->mixed_kinds && p->main.ix->lib_of) {
        if (!(p->kinds_at = malloc(nl))) {
            nps_plan_free(p);
            return nps_err(NPS_ENOMEM, "out of memory");
        }
        for (size_t r = 0; r < nl; r++) p->kinds_at[r] = p->kinds_of[p->main.ix->lib_of[r]];
    }
    p->max_peaks = nps_target_max_peaks(&p->main);
    if (nl) {
        const float *i0;
        size_t k0;
        nps_spectra_peaks(lib, 0, &p->main.mz0, &i0, &k0);
    }
    /* Prepare, for every form of query the plan will see (kind, with or
     * without a precursor), what its mode and score need, and the score's
     * weights of the fragment spectra (every hit's RMF). EI queries also
     * get the composite weights, for the composite MF of every hit. */
    p->forms = o->query_forms ? o->query_forms : ~0u;
    for (int k = 0; k < NPS_KIND_COUNT && !rc; k++) {
        if (o->same_kind_only && p->n_of_kind[k] == 0) continue; /* no hit is possible */
        nps_score_type t =
            o->score == NPS_SCORE_AUTO ? nps_search_default_score((nps_kind)k) : o->score;
        int any = 0;
        for (int has_prec = 0; has_prec < 2 && !rc; has_prec++) {
            if (!(p->forms & NPS_QUERY_FORM(k, has_prec))) continue;
            any = 1;
            nps_search_mode m = nps_mode_resolve(o->mode, (nps_kind)k, has_prec);
            if (nps_mode_table[m]->prepare) rc = nps_mode_table[m]->prepare(p, t);
        }
        /* the mixture analysis searches residuals in open mode (mixture.c):
         * EI's by default, MS/MS's only when deep */
        if (!rc && any && (o->mixtures == NPS_MIXTURES_DEEP || (o->mixtures && k == NPS_KIND_EI)))
            rc = nps_mode_table[NPS_MODE_OPEN]->prepare(p, t);
        /* every hit's reverse match factor scores the fragment pair */
        if (!rc && any) rc = nps_plan_weights(p, &p->main, t, 0);
        if (!rc && any && k == NPS_KIND_EI)
            rc = nps_plan_weights(p, &p->main, NPS_SCORE_COMPOSITE, 0);
    }
    if (rc) {
        nps_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

const nps_search_options *nps_plan_options(const nps_plan *plan)
{
    return &plan->o;
}

const nps_library *nps_plan_library(const nps_plan *plan)
{
    return plan->library;
}

/* ----------------------------------------------------------- workspace */

void nps_workspace_free(nps_workspace *ws)
{
    if (!ws) return;
    nps_score_workspace_free(ws->sws);
    free(ws->qmz);
    free(ws->qin);
    free(ws->qw);
    free(ws->qv);
    free(ws->cw);
    free(ws->cv);
    free(ws->lmz);
    free(ws->lin);
    free(ws->lw);
    free(ws->lv);
    free(ws->acc);
    free(ws->accf);
    free(ws->touched);
    free(ws->rw);
    free(ws->rv);
    free(ws->cbuf);
    free(ws->win);
    free(ws->kbest);
    free(ws->heap);
    free(ws->pkey);
    free(ws->pu);
    free(ws->pcls);
    free(ws->cand);
    free(ws->near);
    free(ws->sample);
    free(ws->null);
    for (int t = 0; t < NPS_SCORE_COUNT; t++) nps_shift_ws_free(ws->shw[t]);
    nps_mix_ws_free(ws->mix);
    free(ws);
}

int nps_workspace_create(nps_workspace **out, const nps_plan *p)
{
    if (!out || !p) return nps_err(NPS_EINVAL, "NULL argument");
    nps_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return nps_err(NPS_ENOMEM, "out of memory");
    ws->plan = p;
    size_t nl = nps_spectra_count(p->main.spectra), K = p->o.top_k;
    ws->nlib = nl;
    int rc = nps_score_workspace_create(&ws->sws);
    ws->heap = malloc(K * sizeof *ws->heap);
    ws->kbest = malloc(K * sizeof *ws->kbest);
    ws->pkey = malloc(K * sizeof *ws->pkey);
    ws->pu = malloc(K * sizeof *ws->pu);
    ws->pcls = malloc(K * sizeof *ws->pcls);
    /* the counted accumulators only for a composite fragment-index search */
    const nps_weights *cw = p->main.wt[NPS_SCORE_COMPOSITE], *lw = p->loss.wt[NPS_SCORE_COMPOSITE];
    int counted = (cw && cw->iw) || (lw && lw->iw);
    ws->accf = calloc(nl ? nl : 1, sizeof *ws->accf);
    /* aligned, so that no accumulator straddles two cache lines */
    size_t acc_bytes = ((nl ? nl : 1) * sizeof *ws->acc + 63) / 64 * 64;
    ws->acc = counted ? aligned_alloc(64, acc_bytes) : NULL;
    if (ws->acc) memset(ws->acc, 0, acc_bytes);
    /* one more than the library: the branch-free scan writes the next slot
     * before it knows whether the spectrum is new (scan_window) */
    ws->touched = malloc((nl + 1) * sizeof *ws->touched);
    /* a loss spectrum has at most the peaks of its fragment spectrum */
    ws->rw = malloc((p->max_peaks ? p->max_peaks : 1) * sizeof *ws->rw);
    ws->rv = malloc((p->max_peaks ? p->max_peaks : 1) * sizeof *ws->rv);
    if (rc || !ws->heap || !ws->kbest || !ws->pkey || !ws->pu || !ws->pcls || !ws->accf ||
        (counted && !ws->acc) || !ws->touched || !ws->rw || !ws->rv) {
        nps_workspace_free(ws);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (int t = 0; t < NPS_SCORE_COUNT; t++)
        if (p->shift[t] && (rc = nps_shift_ws_create(&ws->shw[t], p->shift[t]))) {
            nps_workspace_free(ws);
            return rc;
        }
    *out = ws;
    return 0;
}

size_t nps_workspace_bytes(const nps_workspace *ws)
{
    size_t b = sizeof *ws;
    /* the query (5 double arrays, 1 float) and its losses (3 and 1) */
    b += ws->qcap * (8 * sizeof(double) + 2 * sizeof(float));
    b += ws->plan->max_peaks * 2 * sizeof(double); /* the prepared library spectrum */
    b += ws->nlib * sizeof *ws->accf + (ws->nlib + 1) * sizeof *ws->touched;
    if (ws->acc) b += ws->nlib * sizeof *ws->acc;
    b += ws->ccap * sizeof *ws->cbuf;
    b += ws->win_cap * sizeof *ws->win;
    b += ws->plan->o.top_k * (sizeof *ws->kbest + sizeof *ws->heap + sizeof *ws->pkey +
                              sizeof *ws->pu + sizeof *ws->pcls);
    b += ws->cand_cap * sizeof *ws->cand;
    b += ws->sample_cap * sizeof *ws->sample;
    b += ws->null_cap * sizeof *ws->null;
    for (int t = 0; t < NPS_SCORE_COUNT; t++)
        if (ws->shw[t]) b += nps_shift_ws_bytes(ws->shw[t]);
    b += nps_mix_ws_bytes(ws->mix);
    b += nps_score_workspace_bytes(ws->sws);
    return b;
}

int nps_ws_cand_reserve(nps_workspace *ws, size_t n)
{
    if (n <= ws->cand_cap) return 0;
    return nps_grow((void **)&ws->cand, &ws->cand_cap, n, sizeof *ws->cand);
}

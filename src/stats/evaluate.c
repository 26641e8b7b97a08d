/*
 * Evaluation against a reference set: search every query of a set whose
 * truth is known and measure what a lab needs to know before trusting the
 * engine: how often the right compound is ranked first (top-1/3/5/10, mean
 * reciprocal rank), how well the top score separates right from wrong (ROC
 * AUC, by the Mann-Whitney statistic), which score threshold keeps the error
 * rate at 1 % and 5 % and what recall it leaves, whether the target-decoy
 * q-values predict the error rate actually observed (calibration), accuracy
 * per class, and, leaving each query's own compound out of the library, how
 * often the nearest relative has the right class and the right mass
 * difference (the analogue question).
 *
 * Truth: two spectra are the same compound when their truth fields match
 * (case-insensitive; for InChIKey only the first block, the skeleton, so
 * that stereo and charge variants count as the compound). Exclusions go
 * through the search's exclude callback, so the library is never copied.
 */
#include "../search/hits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value of a field, or with "FIELD:sub" the value of "sub=" inside the
 * field's text ("Comments:contributor" reads "...; contributor=Eawag; ..."),
 * as a new string (NULL when absent). */
static char *field_value(const nps_spectra *s, size_t i, const char *key)
{
    const char *colon = strchr(key, ':');
    if (!colon) {
        const char *v = nps_spectra_get(s, i, key);
        return v ? nps_strdup(v) : NULL;
    }
    char field[128];
    snprintf(field, sizeof field, "%.*s", (int)(colon - key), key);
    const char *v = nps_spectra_get(s, i, field), *sub = colon + 1;
    size_t k = strlen(sub);
    for (const char *p = v; p && *p; p++) {
        if (strncasecmp(p, sub, k) != 0 || p[k] != '=') continue;
        if (p != v && p[-1] != ' ' && p[-1] != ';' && p[-1] != ',') continue;
        const char *b = p + k + 1, *e = b;
        while (*e && *e != ';' && *e != ',') e++;
        while (e > b && e[-1] == ' ') e--;
        char *out = malloc((size_t)(e - b) + 1);
        if (out) {
            memcpy(out, b, (size_t)(e - b));
            out[e - b] = '\0';
        }
        return out;
    }
    return NULL;
}

typedef struct {
    const char **qtruth;
    char **qsame; /* per query */
    const char **ltruth;
    char **lsame; /* per library spectrum (targets) */
    size_t n_targets;
    int skeleton;
    int lco;
} ev_ctx;

static int same_truth(const ev_ctx *c, const char *a, const char *b)
{
    if (!a || !b || !*a || !*b) return 0;
    if (c->skeleton) return strncasecmp(a, b, 14) == 0 && strlen(a) >= 14 && strlen(b) >= 14;
    return strcasecmp(a, b) == 0;
}

/* Truth keys in the order same_truth compares them: the library sorted by
 * key, so that the spectra of one compound are one range (found by binary
 * search) rather than a scan of the library per query. */
static int key_cmp(const ev_ctx *c, const char *a, const char *b)
{
    if (!a || !*a) return b && *b ? -1 : 0;
    if (!b || !*b) return 1;
    if (c->skeleton) {
        size_t la = strlen(a), lb = strlen(b);
        if ((la >= 14) != (lb >= 14)) return la >= 14 ? 1 : -1;
        if (la < 14) return strcasecmp(a, b); /* never equal in same_truth's sense */
        return strncasecmp(a, b, 14);
    }
    return strcasecmp(a, b);
}

/* Library order by truth (qsort_r, glibc: the context travels with the call,
 * so evaluations may run on several threads at once). */
static int cmp_order(const void *x, const void *y, void *ctx)
{
    const ev_ctx *c = ctx;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int k = key_cmp(c, c->ltruth[a], c->ltruth[b]);
    return k ? k : (a > b) - (a < b);
}

/* [lo, hi) of order: the library spectra of the query's compound. */
static void truth_range(const ev_ctx *c, const size_t *order, size_t n, const char *t, size_t *lo,
                        size_t *hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (key_cmp(c, c->ltruth[order[m]], t) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < n && same_truth(c, c->ltruth[order[a]], t)) a++;
    *hi = a;
}

static int ev_exclude(void *ctx, size_t q, size_t r)
{
    const ev_ctx *c = ctx;
    if (r >= c->n_targets) return 0; /* decoys stay */
    if (c->qsame && c->qsame[q] && c->lsame[r] && *c->qsame[q] &&
        strcasecmp(c->qsame[q], c->lsame[r]) == 0)
        return 1;
    return c->lco && same_truth(c, c->qtruth[q], c->ltruth[r]);
}

void nps_evaluation_free(nps_evaluation *e)
{
    if (!e) return;
    free(e->class_name);
    free(e->class_n);
    free(e->class_top1);
    free(e->top_score);
    free(e->top_correct);
    free(e);
}

/* The compound mass of a spectrum: ExactMass, else MW, else precursor (NAN). */
static double mass_of(const nps_spectra *s, size_t i)
{
    static const char *keys[] = {NPS_KEY_EXACT_MASS, NPS_KEY_MW};
    for (int k = 0; k < 2; k++) {
        const char *v = nps_spectra_get(s, i, keys[k]);
        double x;
        if (v && nps_parse_double(&x, v) == 0 && x > 0) return x;
    }
    return NAN;
}

typedef struct {
    double s;
    int ok;
} scored;

/* The query's class: its own Class field, else that of a library spectrum of
 * its compound (range [lo, hi) of order). */
static const char *query_class(const nps_spectra *queries, size_t q, const nps_spectra *L,
                               const size_t *order, size_t lo, size_t hi)
{
    const char *cl = nps_spectra_get(queries, q, NPS_KEY_CLASS);
    for (size_t k = lo; (!cl || !*cl) && k < hi; k++)
        cl = nps_spectra_get(L, order[k], NPS_KEY_CLASS);
    return cl && *cl ? cl : NULL;
}

static int cmp_double_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return x->s > y->s ? -1 : x->s < y->s;
}

/* Lowest top-score threshold whose accepted set has an error proportion <= a
 * (q-value style: the least FDP of any threshold at or below), and the recall. */
static void fdr_threshold(const scored *v, size_t n, size_t n_eval, double a, double *thr,
                          double *recall)
{
    *thr = NAN;
    *recall = 0;
    double *fdp = malloc((n ? n : 1) * sizeof *fdp);
    if (!fdp) return;
    size_t bad = 0;
    for (size_t k = 0; k < n; k++) {
        bad += !v[k].ok;
        fdp[k] = (double)bad / (double)(k + 1);
    }
    for (size_t k = n; k-- > 1;)
        if (fdp[k] < fdp[k - 1]) fdp[k - 1] = fdp[k];
    size_t good = 0;
    for (size_t k = 0; k < n; k++) {
        good += v[k].ok;
        if (fdp[k] <= a) {
            *thr = v[k].s;
            *recall = n_eval ? (double)good / (double)n_eval : 0;
        }
    }
    free(fdp);
}

int nps_evaluate(nps_evaluation **out, const nps_library *lib, const nps_spectra *queries,
                 const nps_evaluate_options *o)
{
    if (o->version != NPS_EVALUATE_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_evaluate_options version %d not supported", o->version);
    if (!o->truth_key || !*o->truth_key) return nps_err(NPS_EINVAL, "no truth field given");
    const nps_spectra *L = nps_library_spectra(lib);
    size_t nq = nps_spectra_count(queries), nl = nps_spectra_count(L);
    nps_evaluation *e = calloc(1, sizeof *e);
    if (!e) return nps_err(NPS_ENOMEM, "out of memory");
    ev_ctx c;
    memset(&c, 0, sizeof c);
    c.qtruth = calloc(nq ? nq : 1, sizeof *c.qtruth);
    c.ltruth = calloc(nl ? nl : 1, sizeof *c.ltruth);
    if (o->exclude_same_key) {
        c.qsame = calloc(nq ? nq : 1, sizeof *c.qsame);
        c.lsame = calloc(nl ? nl : 1, sizeof *c.lsame);
    }
    e->top_score = malloc((nq ? nq : 1) * sizeof *e->top_score);
    e->top_correct = malloc(nq ? nq : 1);
    scored *sv = malloc((nq ? nq : 1) * sizeof *sv);
    nps_hits *h = NULL;
    size_t *order = NULL;
    double *absent = NULL;
    unsigned char *present = calloc(nq ? nq : 1, 1); /* per query (not leave-compound-out) */
    int rc = 0;
    if (!c.qtruth || !c.ltruth || (o->exclude_same_key && (!c.qsame || !c.lsame)) ||
        !e->top_score || !e->top_correct || !sv || !present) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    c.skeleton = nps_strcaseeq(o->truth_key, NPS_KEY_INCHIKEY);
    c.lco = o->leave_compound_out;
    c.n_targets = nl;
    for (size_t i = 0; i < nq; i++) {
        c.qtruth[i] = nps_spectra_get(queries, i, o->truth_key);
        if (c.qsame) c.qsame[i] = field_value(queries, i, o->exclude_same_key);
    }
    for (size_t i = 0; i < nl; i++) {
        c.ltruth[i] = nps_spectra_get(L, i, o->truth_key);
        if (c.lsame) c.lsame[i] = field_value(L, i, o->exclude_same_key);
    }
    order = malloc((nl ? nl : 1) * sizeof *order);
    if (!order) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nl; i++) order[i] = i;
    qsort_r(order, nl, sizeof *order, cmp_order, &c);
    nps_search_options so = o->search;
    if (so.top_k < 10) so.top_k = 10;
    so.exclude = ev_exclude;
    so.exclude_ctx = &c;
    so.progress = NULL;
    if (o->decoys) {
        double thr;
        rc = nps_search_target_decoy(&h, lib, queries, &so, 0.01, &thr, NULL);
        e->calibrated = rc == 0;
    } else {
        rc = nps_search_run(&h, lib, queries, &so);
    }
    if (rc) goto out;

    /* does the (non-excluded) library hold the query's compound at all? */
    e->n_queries = nq;
    size_t r1 = 0, r3 = 0, r5 = 0, r10 = 0, n_classed = 0, n_absent = 0;
    double rr = 0;
    /* leave-compound-out: each query's best plain score, what a call would take
     * for an identification although the compound is absent */
    if (c.lco) absent = malloc((nq ? nq : 1) * sizeof *absent);
    if (c.lco && !absent) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t q = 0; q < nq; q++) {
        if (!c.qtruth[q] || !*c.qtruth[q]) continue;
        size_t first, n;
        nps_hits_for_query(h, q, &first, &n);
        if (c.lco) {
            /* "correct" is now: the nearest relative has the query's class */
            e->n_evaluated++;
            if (n) e->n_hit++;
            double best = 0;
            for (size_t k = 0; k < n; k++) {
                const nps_hit *x = nps_hits_at(h, first + k);
                double id = nps_hit_plain_score(x);
                if (id > best) best = id;
            }
            absent[n_absent++] = best;
            size_t lo, hi;
            truth_range(&c, order, nl, c.qtruth[q], &lo, &hi);
            const char *cl = query_class(queries, q, L, order, lo, hi);
            if (!cl) continue;
            n_classed++;
            if (!n) continue;
            const nps_hit *top = nps_hits_at(h, first);
            const char *hc = nps_spectra_get(L, top->reference, NPS_KEY_CLASS);
            int ok = hc && nps_strcaseeq(cl, hc);
            e->top_score[e->n_top] = top->score;
            e->top_correct[e->n_top] = (unsigned char)ok;
            sv[e->n_top] = (scored){top->score, ok};
            e->n_top++;
            continue;
        }
        size_t lo, hi;
        truth_range(&c, order, nl, c.qtruth[q], &lo, &hi);
        for (size_t k = lo; k < hi && !present[q]; k++) present[q] = !ev_exclude(&c, q, order[k]);
        if (!present[q]) continue;
        e->n_evaluated++;
        if (!n) continue;
        e->n_hit++;
        size_t rank = 0;
        for (size_t k = 0; k < n && !rank; k++)
            if (same_truth(&c, c.qtruth[q], c.ltruth[nps_hits_at(h, first + k)->reference]))
                rank = k + 1;
        r1 += rank == 1;
        r3 += rank && rank <= 3;
        r5 += rank && rank <= 5;
        r10 += rank && rank <= 10;
        rr += rank ? 1.0 / (double)rank : 0;
        const nps_hit *top = nps_hits_at(h, first);
        if (isfinite(top->probability)) {
            int b = (int)(top->probability * NPS_EVALUATE_PROB_BINS);
            b = b < 0 ? 0 : b >= NPS_EVALUATE_PROB_BINS ? NPS_EVALUATE_PROB_BINS - 1 : b;
            e->prob_n[b]++;
            e->prob_mean[b] += top->probability;
            e->prob_observed[b] += rank == 1;
        }
        e->top_score[e->n_top] = top->score;
        e->top_correct[e->n_top] = rank == 1;
        sv[e->n_top] = (scored){top->score, rank == 1};
        e->n_top++;
    }
    for (int b = 0; b < NPS_EVALUATE_PROB_BINS; b++) {
        double k = (double)e->prob_n[b];
        e->prob_mean[b] = k ? e->prob_mean[b] / k : NAN;
        e->prob_observed[b] = k ? e->prob_observed[b] / k : NAN;
    }
    double ne = e->n_evaluated ? (double)e->n_evaluated : 1;
    e->top1 = (double)r1 / ne;
    e->top3 = (double)r3 / ne;
    e->top5 = (double)r5 / ne;
    e->top10 = (double)r10 / ne;
    e->mrr = rr / ne;

    /* AUC: P(score of a correct top hit > that of an incorrect one), ties 1/2 */
    qsort(sv, e->n_top, sizeof *sv, cmp_scored);
    {
        double pos = 0, neg = 0, wins = 0;
        for (size_t k = 0; k < e->n_top; k++) {
            if (sv[k].ok)
                pos += 1;
            else
                neg += 1;
        }
        /* walk from the lowest score up, counting negatives below each positive */
        double below = 0;
        for (size_t k = e->n_top; k-- > 0;) {
            size_t j = k;
            double tp = 0, tn = 0;
            while (1) {
                if (sv[j].ok)
                    tp++;
                else
                    tn++;
                if (j == 0 || sv[j - 1].s != sv[k].s) break;
                j--;
            }
            wins += tp * (below + 0.5 * tn);
            below += tn;
            k = j;
        }
        e->auc = pos > 0 && neg > 0 ? wins / (pos * neg) : NAN;
    }
    size_t n_rec = c.lco ? n_classed : e->n_evaluated;
    fdr_threshold(sv, e->n_top, n_rec, 0.01, &e->threshold_fdr1, &e->recall_fdr1);
    fdr_threshold(sv, e->n_top, n_rec, 0.05, &e->threshold_fdr5, &e->recall_fdr5);
    /* the lowest identity threshold that at most a fraction `level` of the
     * absent-compound queries reach: just above the (floor(level n) + 1)-th
     * largest best plain score */
    static const double absent_levels[NPS_EVALUATE_ABSENT_LEVELS] = {0.01, 0.05, 0.1};
    if (absent) qsort(absent, n_absent, sizeof *absent, cmp_double_desc);
    for (int l = 0; l < NPS_EVALUATE_ABSENT_LEVELS; l++) {
        e->absent_level[l] = absent_levels[l];
        e->absent_threshold[l] = NAN;
        if (!n_absent) continue;
        size_t k = (size_t)floor(absent_levels[l] * (double)n_absent);
        e->absent_threshold[l] = k < n_absent ? nextafter(absent[k], INFINITY) : 0;
    }
    static const double class_levels[NPS_EVALUATE_CLASS_LEVELS] = {0.1, 0.2, 0.3};
    for (int l = 0; l < NPS_EVALUATE_CLASS_LEVELS; l++) {
        e->class_level[l] = class_levels[l];
        e->class_threshold[l] = NAN;
        e->class_recall[l] = NAN;
        if (c.lco)
            fdr_threshold(sv, e->n_top, n_rec, class_levels[l], &e->class_threshold[l],
                          &e->class_recall[l]);
    }

    /* calibration */
    static const double levels[NPS_EVALUATE_CAL_LEVELS] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5};
    for (int l = 0; l < NPS_EVALUATE_CAL_LEVELS; l++) {
        e->cal_level[l] = levels[l];
        e->cal_observed[l] = NAN;
        if (!e->calibrated || c.lco) continue;
        size_t acc = 0, bad = 0;
        for (size_t q = 0; q < nq; q++) {
            if (!c.qtruth[q] || !*c.qtruth[q]) continue;
            size_t first, n;
            nps_hits_for_query(h, q, &first, &n);
            if (!n || !(nps_hits_at(h, first)->q_value <= levels[l])) continue;
            acc++;
            bad += !same_truth(&c, c.qtruth[q], c.ltruth[nps_hits_at(h, first)->reference]);
        }
        e->cal_accepted[l] = acc;
        e->cal_observed[l] = acc ? (double)bad / (double)acc : NAN;
    }

    /* per class: the query's Class, else that of a library spectrum of its compound */
    e->class_name = calloc(64, sizeof *e->class_name);
    e->class_n = calloc(64, sizeof *e->class_n);
    e->class_top1 = calloc(64, sizeof *e->class_top1);
    if (!e->class_name || !e->class_n || !e->class_top1) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto out;
    }
    size_t lco_class = 0, lco_delta = 0, lco_voted = 0, lco_called = 0, lco_called_right = 0;
    e->lco_class_n = 0;
    for (size_t q = 0; q < nq; q++) {
        if (!c.qtruth[q] || !*c.qtruth[q]) continue;
        size_t clo, chi;
        truth_range(&c, order, nl, c.qtruth[q], &clo, &chi);
        const char *cl = query_class(queries, q, L, order, clo, chi);
        size_t first, n;
        nps_hits_for_query(h, q, &first, &n);
        int right = 0; /* LCO: the nearest relative has the query's class */
        if (c.lco) {
            if (!n) continue;
            const nps_hit *top = nps_hits_at(h, first);
            e->lco_n++;
            const char *hc = nps_spectra_get(L, top->reference, NPS_KEY_CLASS);
            double mq = mass_of(queries, q), ml = mass_of(L, top->reference);
            if (isfinite(mq) && isfinite(ml) && !isnan(top->delta_mz)) {
                double t = nps_hit_shift_tolerance(top, &o->call);
                lco_delta += fabs(top->delta_mz - (mq - ml)) <= t;
                e->lco_delta_n++;
            }
            if (!cl || !*cl) continue; /* no class to be right about */
            right = hc && nps_strcaseeq(cl, hc);
            lco_class += (size_t)right;
            e->lco_class_n++;
            /* what the lab reads: the call's class, voted by the top hits, and
             * whether the call says "possible new analogue" at all */
            nps_call call;
            if ((rc = nps_hits_call(&call, h, q, L, &o->call))) goto out;
            int vright = nps_strcaseeq(call.class_name, cl);
            lco_voted += (size_t)vright;
            if (call.status == NPS_CALL_ANALOGUE) {
                lco_called++;
                lco_called_right += (size_t)vright;
            }
        }
        if (!cl || !*cl) continue;
        size_t j = 0;
        while (j < e->n_classes && !nps_strcaseeq(e->class_name[j], cl)) j++;
        if (j == e->n_classes) {
            if (e->n_classes == 64) continue;
            snprintf(e->class_name[j], sizeof e->class_name[j], "%s", cl);
            e->n_classes++;
        }
        if (c.lco) {
            e->class_n[j]++;
            e->class_top1[j] += right;
            continue;
        }
        if (!present[q]) continue; /* decided in the first pass */
        e->class_n[j]++;
        if (n && same_truth(&c, c.qtruth[q], c.ltruth[nps_hits_at(h, first)->reference]))
            e->class_top1[j] += 1;
    }
    for (size_t j = 0; j < e->n_classes; j++)
        e->class_top1[j] = e->class_n[j] ? e->class_top1[j] / (double)e->class_n[j] : NAN;
    e->lco_class_right = e->lco_class_n ? (double)lco_class / (double)e->lco_class_n : NAN;
    e->lco_delta_right = e->lco_delta_n ? (double)lco_delta / (double)e->lco_delta_n : NAN;
    e->lco_voted_class_right = e->lco_class_n ? (double)lco_voted / (double)e->lco_class_n : NAN;
    e->lco_analogue_calls = lco_called;
    e->lco_analogue_class_right = lco_called ? (double)lco_called_right / (double)lco_called : NAN;
out:
    nps_hits_free(h);
    free(c.qtruth);
    free(c.ltruth);
    for (size_t i = 0; c.qsame && i < nq; i++) free(c.qsame[i]);
    for (size_t i = 0; c.lsame && i < nl; i++) free(c.lsame[i]);
    free(c.qsame);
    free(c.lsame);
    free(sv);
    free(order);
    free(absent);
    free(present);
    if (rc) {
        nps_evaluation_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

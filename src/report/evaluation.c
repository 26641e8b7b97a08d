/*
 * The evaluation summary as JSON (`npsmatch evaluate`), through the same
 * JSON rules as every other output (core/json.c): an undefined figure (no
 * negatives for an AUC, no query of a class) is null, never a bare "nan".
 *
 * Keys, in order: truth, mode, leave_compound_out, queries, evaluated,
 * with_hit, the baseline's figures when there is one, then either the
 * identification figures (top-k, MRR, ROC AUC, thresholds at 1 % and 5 % FDR,
 * calibration) or the leave-compound-out ones (class and mass difference of
 * the nearest relative, the analogue calls, the thresholds for a class error
 * rate and for falsely identified absent compounds), and the per-class table.
 */
#include "../core/json.h"

#include <string.h>

static json_t *count(size_t n)
{
    return json_integer((json_int_t)n);
}

static json_t *per_class(const nps_evaluation *e, int lco)
{
    json_t *a = json_array();
    for (size_t j = 0; a && j < e->n_classes; j++) {
        nps_jobj c = nps_json_object();
        nps_json_put(&c, "class", nps_json_str(e->class_name[j]));
        nps_json_put(&c, "queries", count(e->class_n[j]));
        nps_json_put(&c, lco ? "class_right" : "top1", nps_json_num(e->class_top1[j], 4));
        json_t *o = nps_json_done(&c);
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *baseline(const nps_evaluation *b, nps_search_mode mode, int lco)
{
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "mode", json_string(nps_search_mode_name(mode)));
    nps_json_put(&j, "with_hit", count(b->n_hit));
    if (lco) {
        nps_json_put(&j, "lco_class_right", nps_json_num(b->lco_class_right, -6));
        nps_json_put(&j, "lco_delta_right", nps_json_num(b->lco_delta_right, -6));
    } else {
        nps_json_put(&j, "top1", nps_json_num(b->top1, -6));
        nps_json_put(&j, "top5", nps_json_num(b->top5, -6));
        nps_json_put(&j, "roc_auc", nps_json_num(b->auc, -6));
    }
    nps_json_put(&j, "per_class", per_class(b, lco));
    return nps_json_done(&j);
}

static void identification(nps_jobj *j, const nps_evaluation *e)
{
    nps_json_put(j, "top1", nps_json_num(e->top1, -6));
    nps_json_put(j, "top3", nps_json_num(e->top3, -6));
    nps_json_put(j, "top5", nps_json_num(e->top5, -6));
    nps_json_put(j, "top10", nps_json_num(e->top10, -6));
    nps_json_put(j, "mrr", nps_json_num(e->mrr, -6));
    nps_json_put(j, "roc_auc", nps_json_num(e->auc, -6));
    nps_json_put(j, "threshold_fdr1", nps_json_num(e->threshold_fdr1, -6));
    nps_json_put(j, "recall_fdr1", nps_json_num(e->recall_fdr1, -6));
    nps_json_put(j, "threshold_fdr5", nps_json_num(e->threshold_fdr5, -6));
    nps_json_put(j, "recall_fdr5", nps_json_num(e->recall_fdr5, -6));
    json_t *cal = json_array();
    for (int l = 0; cal && e->calibrated && l < NPS_EVALUATE_CAL_LEVELS; l++) {
        nps_jobj c = nps_json_object();
        nps_json_put(&c, "predicted", nps_json_num(e->cal_level[l], -6));
        nps_json_put(&c, "accepted", count(e->cal_accepted[l]));
        nps_json_put(&c, "observed", nps_json_num(e->cal_observed[l], 4));
        json_t *o = nps_json_done(&c);
        if (!o || json_array_append_new(cal, o)) {
            json_decref(cal);
            cal = NULL;
        }
    }
    nps_json_put(j, "calibration", cal);
    /* the probability, bin by bin (bins with queries only) */
    json_t *pc = json_array();
    for (int b = 0; pc && b < NPS_EVALUATE_PROB_BINS; b++) {
        if (!e->prob_n[b]) continue;
        nps_jobj c = nps_json_object();
        nps_json_put(&c, "bin_low", nps_json_num((double)b / NPS_EVALUATE_PROB_BINS, 1));
        nps_json_put(&c, "bin_high", nps_json_num((double)(b + 1) / NPS_EVALUATE_PROB_BINS, 1));
        nps_json_put(&c, "queries", count(e->prob_n[b]));
        nps_json_put(&c, "predicted", nps_json_num(e->prob_mean[b], 4));
        nps_json_put(&c, "observed", nps_json_num(e->prob_observed[b], 4));
        json_t *o = nps_json_done(&c);
        if (!o || json_array_append_new(pc, o)) {
            json_decref(pc);
            pc = NULL;
        }
    }
    nps_json_put(j, "probability_calibration", pc);
}

static void leave_compound_out(nps_jobj *j, const nps_evaluation *e)
{
    nps_json_put(j, "lco_queries_with_hit", count(e->lco_n));
    nps_json_put(j, "lco_queries_with_class", count(e->lco_class_n));
    nps_json_put(j, "lco_class_right", nps_json_num(e->lco_class_right, -6));
    nps_json_put(j, "lco_delta_known", count(e->lco_delta_n));
    nps_json_put(j, "lco_delta_right", nps_json_num(e->lco_delta_right, -6));
    nps_json_put(j, "lco_voted_class_right", nps_json_num(e->lco_voted_class_right, -6));
    nps_json_put(j, "lco_analogue_calls", count(e->lco_analogue_calls));
    nps_json_put(j, "lco_analogue_call_class_right", nps_json_num(e->lco_analogue_class_right, -6));
    /* how well the analogue score separates right-class from wrong-class
     * relatives, and the threshold for a given class error rate */
    nps_json_put(j, "class_roc_auc", nps_json_num(e->auc, -6));
    json_t *at = json_array();
    for (int l = 0; at && l < NPS_EVALUATE_CLASS_LEVELS; l++) {
        nps_jobj c = nps_json_object();
        nps_json_put(&c, "class_error", nps_json_num(e->class_level[l], -6));
        nps_json_put(&c, "threshold", nps_json_num(e->class_threshold[l], 4));
        nps_json_put(&c, "recall", nps_json_num(e->class_recall[l], 4));
        json_t *o = nps_json_done(&c);
        if (!o || json_array_append_new(at, o)) {
            json_decref(at);
            at = NULL;
        }
    }
    nps_json_put(j, "analogue_thresholds", at);
    /* the identity threshold at which that share of absent compounds would be
     * wrongly called identified */
    json_t *it = json_array();
    for (int l = 0; it && l < NPS_EVALUATE_ABSENT_LEVELS; l++) {
        nps_jobj c = nps_json_object();
        nps_json_put(&c, "falsely_identified", nps_json_num(e->absent_level[l], -6));
        nps_json_put(&c, "threshold", nps_json_num(e->absent_threshold[l], 4));
        json_t *o = nps_json_done(&c);
        if (!o || json_array_append_new(it, o)) {
            json_decref(it);
            it = NULL;
        }
    }
    nps_json_put(j, "identity_thresholds_absent", it);
}

int nps_evaluation_write_json(FILE *fp, const nps_evaluation *e, const nps_evaluate_options *o,
                              const nps_evaluation *base, nps_search_mode base_mode)
{
    if (!fp || !e || !o) return nps_err(NPS_EINVAL, "nps_evaluation_write_json: NULL argument");
    const int lco = o->leave_compound_out;
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "truth", nps_json_str(o->truth_key ? o->truth_key : ""));
    nps_json_put(&j, "mode", json_string(nps_search_mode_name(o->search.mode)));
    nps_json_put(&j, "leave_compound_out", json_boolean(lco));
    nps_json_put(&j, "queries", count(e->n_queries));
    nps_json_put(&j, "evaluated", count(e->n_evaluated));
    nps_json_put(&j, "with_hit", count(e->n_hit));
    if (base) nps_json_put(&j, "baseline", baseline(base, base_mode, lco));
    if (lco)
        leave_compound_out(&j, e);
    else
        identification(&j, e);
    nps_json_put(&j, "per_class_measure", json_string(lco ? "class_right" : "top1"));
    nps_json_put(&j, "per_class", per_class(e, lco));
    json_t *doc = nps_json_done(&j);
    if (!doc) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
    int rc = nps_json_dump(fp, doc, 2);
    json_decref(doc);
    if (!rc && fputc('\n', fp) == EOF) rc = nps_err(NPS_EIO, "write error");
    return rc;
}

/*
 * Reports: what a search found, as a lab reads it.
 *
 * This is the one place that turns hits into rows and rows into TSV or JSON;
 * the CLI, the service and the tests all call it, so a column means the same
 * everywhere. Domain rules live in their own named functions and are only
 * called here: the plain score (nps_hit_plain_score), the tolerance a mass
 * difference is read with (nps_hit_shift_tolerance), the call
 * (nps_hits_call).
 *
 * JSON starts with a `run` object, the provenance a report needs to be
 * defended later: the npsmatch version, which library file (path and the
 * checksum verified when it was opened), how many spectra, how they were
 * preprocessed, and every parameter of the search and the call. Then the
 * queries, one object each, dumped one at a time so that memory does not
 * grow with the run. Values go through core/json.c: no key twice, no NaN.
 */
#include "report.h"

#include "../scoring/scoring.h"

#include <zlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

void nps_hit_row_fill(nps_hit_row *row, const nps_hits *hits, size_t i, const nps_spectra *queries,
                      const nps_spectra *library, const nps_call_options *call)
{
    nps_call_options def = NPS_CALL_OPTIONS_INIT;
    if (!call) call = &def;
    const nps_hit *x = nps_hits_at(hits, i);
    memset(row, 0, sizeof *row);
    row->hit = x;
    row->query_id = nps_spectra_id(queries, x->query);
    row->query_name = nps_spectra_name(queries, x->query);
    row->library_id = nps_spectra_id(library, x->reference);
    row->library_name = nps_spectra_name(library, x->reference);
    row->inchikey = or_empty(nps_spectra_get(library, x->reference, NPS_KEY_INCHIKEY));
    row->library_class = or_empty(nps_spectra_get(library, x->reference, NPS_KEY_CLASS));
    row->plain_score = nps_hit_plain_score(x);
    row->composite_mf = isnan(x->composite) ? -1 : nps_composite_mf_int(x->composite);
    row->composite_rmf = isnan(x->composite_rmf) ? -1 : nps_composite_mf_int(x->composite_rmf);
    row->precursor_delta = nps_spectra_precursor_mz(library, x->reference) -
                           nps_spectra_precursor_mz(queries, x->query);
    if (!isnan(x->delta_mz))
        nps_mass_shift_describe(row->shift_interpretation, sizeof row->shift_interpretation,
                                x->delta_mz, nps_hit_shift_tolerance(x, call),
                                nps_hit_shift_nominal(x));
}

/* ------------------------------------------------------------------ TSV */

/* A TSV row is composed in memory and written with one fwrite: a report of
 * ten thousand queries has a hundred thousand rows of twenty-two fields, and
 * a stdio call per character or field (each taking the stream's lock) cost
 * more than the search of an identity query. */
typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} row_buf;

static int row_reserve(row_buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->n + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + extra + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
        b->oom = 1;
        return -1;
    }
    b->p = q;
    b->cap = cap;
    return 0;
}

static void row_chr(row_buf *b, char c)
{
    if (row_reserve(b, 1) == 0) b->p[b->n++] = c;
}

static void row_raw(row_buf *b, const char *s)
{
    size_t len = strlen(s);
    if (row_reserve(b, len) == 0) {
        memcpy(b->p + b->n, s, len);
        b->n += len;
    }
}

/* A text field: TSV fields must not contain tabs or newlines. */
static void tsv_str(row_buf *b, const char *s)
{
    size_t len = strlen(s);
    if (row_reserve(b, len)) return;
    char *o = b->p + b->n;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
        o[i] = c;
    }
    b->n += len;
}

/* A number by printf's rules: %.*f of a double (its longest, DBL_MAX, has
 * 309 digits before the point), %g, or a size. */
static void row_fixed(row_buf *b, int decimals, double v)
{
    char t[400];
    int k = nps_format_fixed(t, sizeof t, v, decimals);
    if (k > 0 && (size_t)k < sizeof t) row_raw(b, t);
}

static void row_general(row_buf *b, double v)
{
    char t[64];
    int k = snprintf(t, sizeof t, "%.3g", v);
    if (k > 0 && (size_t)k < sizeof t) row_raw(b, t);
}

static void row_size(row_buf *b, size_t v)
{
    char t[32];
    int k = snprintf(t, sizeof t, "%zu", v);
    if (k > 0 && (size_t)k < sizeof t) row_raw(b, t);
}

/* A finite number with `decimals` places; nothing for NaN (no value). */
static void tsv_num(row_buf *b, int decimals, double v)
{
    if (isfinite(v)) row_fixed(b, decimals, v);
}

static const char tsv_header[] =
    "query_id\tquery_name\trank\tlibrary_id\tlibrary_name\tinchikey\tscore\tmatched_peaks"
    "\tscore_type\tmode\tcomposite_mf\tlibrary_class\tprecursor_delta\tdelta_mz"
    "\tshifted_peaks\tidentity_score\tshift_interpretation\tcall\tcall_class"
    "\tclass_support\te_value\tq_value\tcomposite_rmf\trmf\tprobability\n";

static int write_tsv(FILE *fp, const nps_hits *h, const nps_spectra *q, const nps_spectra *L,
                     const nps_call_options *co, const nps_shard *shard, const char *run_crc)
{
    if (shard)
        fprintf(fp, "%s\t%zu/%zu\tqueries\t%zu\t%zu\t%zu\trun\t%s\n", NPS_SHARD_TSV_TAG,
                shard->index, shard->count, shard->first, shard->end, shard->total, run_crc);
    fputs(tsv_header, fp);
    row_buf b = {NULL, 0, 0, 0};
    for (size_t i = 0; i < nps_hits_count(h) && !ferror(fp); i++) {
        nps_hit_row r;
        nps_hit_row_fill(&r, h, i, q, L, co);
        const nps_hit *x = r.hit;
        b.n = 0;
        tsv_str(&b, r.query_id);
        row_chr(&b, '\t');
        tsv_str(&b, r.query_name);
        row_chr(&b, '\t');
        row_size(&b, x->rank);
        row_chr(&b, '\t');
        tsv_str(&b, r.library_id);
        row_chr(&b, '\t');
        tsv_str(&b, r.library_name);
        row_chr(&b, '\t');
        tsv_str(&b, r.inchikey);
        row_chr(&b, '\t');
        row_fixed(&b, 6, x->score);
        row_chr(&b, '\t');
        row_size(&b, x->matched);
        row_chr(&b, '\t');
        row_raw(&b, nps_score_name(x->score_type));
        row_chr(&b, '\t');
        row_raw(&b, nps_search_mode_name(x->mode));
        row_chr(&b, '\t');
        if (r.composite_mf >= 0) row_size(&b, (size_t)r.composite_mf);
        row_chr(&b, '\t');
        tsv_str(&b, r.library_class);
        row_chr(&b, '\t');
        tsv_num(&b, 4, r.precursor_delta);
        row_chr(&b, '\t');
        tsv_num(&b, 4, x->delta_mz);
        row_chr(&b, '\t');
        if (!isnan(x->delta_mz)) row_size(&b, x->shifted);
        row_chr(&b, '\t');
        tsv_num(&b, 6, x->identity_score);
        row_chr(&b, '\t');
        tsv_str(&b, r.shift_interpretation);
        row_chr(&b, '\t');
        nps_call call;
        if (x->rank == 1 && nps_hits_call(&call, h, x->query, L, co) == 0) {
            char text[512];
            nps_call_describe(text, sizeof text, &call, h, L);
            tsv_str(&b, text);
            row_chr(&b, '\t');
            tsv_str(&b, call.class_name);
            row_chr(&b, '\t');
            if (call.class_name[0]) row_fixed(&b, 3, call.class_support);
        } else {
            row_raw(&b, "\t\t");
        }
        row_chr(&b, '\t');
        if (isfinite(x->e_value)) row_general(&b, x->e_value);
        row_chr(&b, '\t');
        tsv_num(&b, 4, x->q_value);
        row_chr(&b, '\t');
        if (r.composite_rmf >= 0) row_size(&b, (size_t)r.composite_rmf);
        row_chr(&b, '\t');
        tsv_num(&b, 6, x->rmf);
        row_chr(&b, '\t');
        tsv_num(&b, 4, x->probability);
        row_chr(&b, '\n');
        if (b.oom) break;
        if (fwrite(b.p, 1, b.n, fp) != b.n) break;
    }
    free(b.p);
    if (b.oom) return nps_err(NPS_ENOMEM, "out of memory");
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

/* ----------------------------------------------------------------- JSON */

static json_t *jbool(int v)
{
    return json_boolean(v);
}

static json_t *prep_object(const nps_preprocess_options *p)
{
    static const char *const norm[] = {"none", "sum", "max"};
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "raw", jbool(p->raw));
    nps_json_put(&j, "unit_mass", jbool(p->unit_mass));
    nps_json_put(&j, "min_mz", nps_json_num(p->min_mz, 6));
    nps_json_put(&j, "precursor_removal", nps_json_num(p->precursor_removal, 6));
    nps_json_put(&j, "merge_tolerance", nps_json_num(p->merge_tolerance, 6));
    nps_json_put(&j, "merge_tolerance_ppm", nps_json_num(p->merge_tolerance_ppm, 6));
    nps_json_put(&j, "noise", nps_json_num(p->noise, 6));
    nps_json_put(&j, "max_peaks", json_integer((json_int_t)p->max_peaks));
    nps_json_put(&j, "normalize",
                 json_string((unsigned)p->normalize < 3 ? norm[p->normalize] : "unknown"));
    return nps_json_done(&j);
}

static json_t *search_object(const nps_search_options *s)
{
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "mode", json_string(nps_search_mode_name(s->mode)));
    nps_json_put(&j, "score", json_string(nps_score_name(s->score)));
    /* a negative tolerance means "the default of each query's kind" */
    nps_json_put(&j, "tolerance",
                 s->tolerance < 0 ? json_string("per kind: 0.02 MS/MS, 0.5 EI")
                                  : nps_json_num(s->tolerance, 6));
    nps_json_put(&j, "tolerance_unit", json_string(s->tolerance_ppm ? "ppm" : "Da"));
    nps_json_put(&j, "precursor_tolerance", nps_json_num(s->precursor_tolerance, 6));
    nps_json_put(&j, "precursor_tolerance_unit",
                 json_string(s->precursor_tolerance_ppm ? "ppm" : "Da"));
    nps_json_put(&j, "reverse", jbool(s->reverse));
    nps_json_put(&j, "mz_power", nps_json_num(s->mz_power, 6));
    nps_json_put(&j, "intensity_power", nps_json_num(s->intensity_power, 6));
    nps_json_put(&j, "top", json_integer((json_int_t)s->top_k));
    nps_json_put(&j, "min_score", nps_json_num(s->min_score, 6));
    nps_json_put(&j, "same_kind_only", jbool(s->same_kind_only));
    nps_json_put(&j, "exhaustive", jbool(s->exhaustive));
    nps_json_put(&j, "evalues", jbool(s->evalues));
    nps_json_put(&j, "max_shift", nps_json_num(s->max_shift, 6));
    nps_json_put(&j, "shift_candidates", json_integer((json_int_t)s->shift_candidates));
    nps_json_put(&j, "shift_min_pairs", json_integer((json_int_t)s->shift_min_pairs));
    /* not the thread count: it does not change a result, and parts of one
     * batch run on different machines must agree */
    return nps_json_done(&j);
}

static json_t *call_object(const nps_call_options *c)
{
    nps_jobj j = nps_json_object();
    /* negative thresholds: the measured default of each kind and score */
    nps_json_put(&j, "identity_threshold",
                 c->identity_threshold < 0 ? json_string("default per kind and score")
                                           : nps_json_num(c->identity_threshold, 6));
    nps_json_put(&j, "analogue_threshold",
                 c->analogue_threshold < 0 ? json_string("default per kind and score")
                                           : nps_json_num(c->analogue_threshold, 6));
    nps_json_put(&j, "shift_tolerance", nps_json_num(c->shift_tolerance, 6));
    nps_json_put(&j, "nominal_shift_tolerance", nps_json_num(NPS_NOMINAL_TOLERANCE, 6));
    nps_json_put(&j, "class_hits", json_integer((json_int_t)c->class_hits));
    nps_json_put(&j, "min_shifted", json_integer((json_int_t)c->min_shifted));
    return nps_json_done(&j);
}

json_t *nps_report_run_object(const nps_hits *h, const nps_spectra *q, const nps_library *lib,
                              const nps_report_options *o, const nps_call_options *co)
{
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "npsmatch_version", json_string(NPS_VERSION_STRING));
    nps_jobj l = nps_json_object();
    nps_json_put(&l, "path", nps_json_str(or_empty(o->library_path)));
    const char *ck = nps_library_checksum(lib);
    nps_json_put(&l, "checksum", *ck ? json_string(ck) : json_null());
    nps_json_put(&l, "format_version", json_integer(nps_library_format_version(lib)));
    nps_json_put(&l, "spectra",
                 json_integer((json_int_t)nps_spectra_count(nps_library_spectra(lib))));
    nps_jobj pp = nps_json_object();
    nps_json_put(&pp, "ei", prep_object(&nps_library_preprocessing(lib)->ei));
    nps_json_put(&pp, "msms", prep_object(&nps_library_preprocessing(lib)->msms));
    nps_json_put(&l, "preprocessing", nps_json_done(&pp));
    nps_json_put(&j, "library", nps_json_done(&l));
    nps_search_options sdef = NPS_SEARCH_OPTIONS_INIT;
    nps_json_put(&j, "search", search_object(o->search ? o->search : &sdef));
    nps_json_put(&j, "call", call_object(co));
    if (o->target_decoy) {
        nps_jobj td = nps_json_object();
        nps_json_put(&td, "fdr", nps_json_num(o->fdr, 6));
        nps_json_put(&td, "score_threshold", nps_json_num(o->fdr_threshold, 6));
        nps_json_put(&j, "target_decoy", nps_json_done(&td));
    }
    nps_jobj in = nps_json_object();
    json_t *files = json_array();
    for (size_t k = 0; files && k < o->n_inputs; k++)
        if (json_array_append_new(files, nps_json_str(o->inputs[k]))) {
            json_decref(files);
            files = NULL;
        }
    nps_json_put(&in, "files", files);
    nps_json_put(&in, "queries", json_integer((json_int_t)nps_spectra_count(q)));
    nps_json_put(&in, "queries_without_hit",
                 json_integer((json_int_t)nps_hits_queries_without_hit(h)));
    nps_json_put(&in, "queries_kind_absent", json_integer((json_int_t)o->queries_kind_absent));
    nps_json_put(&in, "records_skipped", json_integer((json_int_t)o->records_skipped));
    nps_json_put(&in, "records_filtered_by_ms_level",
                 json_integer((json_int_t)o->records_filtered));
    nps_json_put(&j, "input", nps_json_done(&in));
    if (o->shard) {
        nps_jobj sh = nps_json_object();
        nps_json_put(&sh, "index", json_integer((json_int_t)o->shard->index));
        nps_json_put(&sh, "count", json_integer((json_int_t)o->shard->count));
        nps_json_put(&sh, "first", json_integer((json_int_t)o->shard->first));
        nps_json_put(&sh, "end", json_integer((json_int_t)o->shard->end));
        nps_json_put(&sh, "queries_total", json_integer((json_int_t)o->shard->total));
        nps_json_put(&j, "shard", nps_json_done(&sh));
    }
    return nps_json_done(&j);
}

json_t *nps_report_hit_object(const nps_hit_row *r)
{
    const nps_hit *x = r->hit;
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "rank", json_integer((json_int_t)x->rank));
    nps_json_put(&j, "library_id", nps_json_str(r->library_id));
    nps_json_put(&j, "library_name", nps_json_str(r->library_name));
    nps_json_put(&j, "inchikey", nps_json_str(r->inchikey));
    nps_json_put(&j, "score", nps_json_num(x->score, 6));
    nps_json_put(&j, "matched_peaks", json_integer((json_int_t)x->matched));
    nps_json_put(&j, "score_type", json_string(nps_score_name(x->score_type)));
    nps_json_put(&j, "mode", json_string(nps_search_mode_name(x->mode)));
    nps_json_put(&j, "plain_score", nps_json_num(r->plain_score, 6));
    if (!isnan(x->delta_mz)) {
        nps_json_put(&j, "delta_mz", nps_json_num(x->delta_mz, 4));
        nps_json_put(&j, "shifted_peaks", json_integer((json_int_t)x->shifted));
        nps_json_put(&j, "identity_score", nps_json_num(x->identity_score, 6));
        nps_json_put(&j, "shift_interpretation", nps_json_str(r->shift_interpretation));
    }
    if (r->composite_mf >= 0) nps_json_put(&j, "composite_mf", json_integer(r->composite_mf));
    if (r->composite_rmf >= 0) nps_json_put(&j, "composite_rmf", json_integer(r->composite_rmf));
    if (!isnan(r->precursor_delta))
        nps_json_put(&j, "precursor_delta", nps_json_num(r->precursor_delta, 4));
    nps_json_put(&j, "rmf", nps_json_num(x->rmf, 6));
    nps_json_put(&j, "probability", nps_json_num(x->probability, 4));
    if (!isnan(x->e_value)) nps_json_put(&j, "e_value", nps_json_num(x->e_value, -3));
    if (!isnan(x->q_value)) nps_json_put(&j, "q_value", nps_json_num(x->q_value, 4));
    if (*r->library_class) nps_json_put(&j, "library_class", nps_json_str(r->library_class));
    return nps_json_done(&j);
}

/* [{library_id, library_name, fraction, score, probability}], null for NAN */
static json_t *component_array(const nps_call_component *cc, size_t n, const nps_spectra *L)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        nps_jobj e = nps_json_object();
        nps_json_put(&e, "library_id", nps_json_str(nps_spectra_id(L, cc[i].reference)));
        nps_json_put(&e, "library_name", nps_json_str(nps_spectra_name(L, cc[i].reference)));
        nps_json_put(&e, "fraction", nps_json_num(cc[i].fraction, 3));
        nps_json_put(&e, "score", nps_json_num(cc[i].score, 4));
        nps_json_put(&e, "probability", nps_json_num(cc[i].probability, 4));
        json_t *eo = nps_json_done(&e);
        if (!eo || json_array_append_new(arr, eo)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

static json_t *query_object(const nps_hits *h, size_t qi, const nps_spectra *q,
                            const nps_spectra *L, const nps_call_options *co)
{
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "query_id", nps_json_str(nps_spectra_id(q, qi)));
    nps_json_put(&j, "query_name", nps_json_str(nps_spectra_name(q, qi)));
    size_t first, n;
    nps_hits_for_query(h, qi, &first, &n);
    json_t *arr = json_array();
    for (size_t k = 0; arr && k < n; k++) {
        nps_hit_row r;
        nps_hit_row_fill(&r, h, first + k, q, L, co);
        json_t *ho = nps_report_hit_object(&r);
        if (!ho || json_array_append_new(arr, ho)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    nps_json_put(&j, "hits", arr);
    json_t *cj = nps_report_call_object(h, qi, L, co);
    if (cj) nps_json_put(&j, "call", cj);
    return nps_json_done(&j);
}

json_t *nps_report_call_object(const nps_hits *h, size_t qi, const nps_spectra *L,
                               const nps_call_options *co)
{
    nps_call call;
    if (nps_hits_call(&call, h, qi, L, co) == 0) {
        char text[512];
        nps_call_describe(text, sizeof text, &call, h, L);
        nps_jobj cj = nps_json_object();
        nps_json_put(&cj, "status", json_string(nps_call_status_name(call.status)));
        nps_json_put(&cj, "text", nps_json_str(text));
        /* the compounds the call names (components), and for an ambiguous
         * call those it cannot tell apart (candidates) */
        nps_json_put(&cj, "components", component_array(call.components, call.n_components, L));
        if (call.status == NPS_CALL_AMBIGUOUS) {
            nps_json_put(&cj, "candidates", component_array(call.candidates, call.n_candidates, L));
            nps_json_put(&cj, "isomers", json_boolean(call.isomers));
        }
        nps_json_put(&cj, "class", nps_json_str(call.class_name));
        nps_json_put(&cj, "class_support", nps_json_num(call.class_support, 3));
        return nps_json_done(&cj);
    }
    return NULL;
}

int nps_report_json_begin(FILE *fp, const json_t *run)
{
    fputs("{\"run\": ", fp);
    int rc = nps_json_dump(fp, run, 2);
    if (!rc) fputs(",\n\"queries\": [", fp);
    return rc;
}

int nps_report_json_query(FILE *fp, const json_t *query, size_t i)
{
    fputs(i ? ",\n  " : "\n  ", fp);
    return nps_json_dump(fp, query, 0);
}

int nps_report_json_end(FILE *fp, size_t n)
{
    fputs(n ? "\n]}\n" : "]}\n", fp);
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

void nps_report_run_checksum(char out[24], const json_t *run)
{
    json_t *c = json_deep_copy(run);
    char *text = NULL;
    if (c) {
        json_object_del(c, "input");
        json_object_del(c, "shard");
        text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    if (text) crc = crc32(crc, (const Bytef *)text, (uInt)strlen(text));
    snprintf(out, 24, "crc32:%08lx", (unsigned long)crc & 0xffffffffUL);
    free(text);
    json_decref(c);
}

static int write_json(FILE *fp, const nps_hits *h, const nps_spectra *q, const nps_library *lib,
                      json_t *run, const nps_call_options *co)
{
    const nps_spectra *L = nps_library_spectra(lib);
    int rc = nps_report_json_begin(fp, run);
    for (size_t qi = 0; !rc && qi < nps_spectra_count(q); qi++) {
        json_t *qo = query_object(h, qi, q, L, co);
        if (!qo) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
        rc = nps_report_json_query(fp, qo, qi);
        json_decref(qo);
    }
    return rc ? rc : nps_report_json_end(fp, nps_spectra_count(q));
}

int nps_shard_make(nps_shard *out, size_t index, size_t count, size_t total)
{
    if (!out) return nps_err(NPS_EINVAL, "nps_shard_make: NULL argument");
    if (count < 1 || index < 1 || index > count)
        return nps_err(NPS_EINVAL, "shard %zu/%zu: need 1 <= I <= N", index, count);
    /* part k of N: [floor((k-1) total / N), floor(k total / N)); sizes differ by at most 1 */
    out->index = index;
    out->count = count;
    out->total = total;
    out->first = (size_t)(((unsigned long long)(index - 1) * total) / count);
    out->end = (size_t)(((unsigned long long)index * total) / count);
    return 0;
}

int nps_report_write(FILE *fp, const nps_hits *hits, const nps_spectra *queries,
                     const nps_library *library, const nps_report_options *options)
{
    if (!fp || !hits || !queries || !library)
        return nps_err(NPS_EINVAL, "nps_report_write: NULL argument");
    nps_report_options def = NPS_REPORT_OPTIONS_INIT;
    if (!options) options = &def;
    if (options->version != NPS_REPORT_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_report_options version %d not supported", options->version);
    if (options->format != NPS_REPORT_TSV && options->format != NPS_REPORT_JSON &&
        options->format != NPS_REPORT_HTML)
        return nps_err(NPS_EINVAL, "unknown report format %d", (int)options->format);
    const nps_shard *sh = options->shard;
    if (sh && (sh->count == 0 || sh->index < 1 || sh->index > sh->count ||
               sh->end - sh->first != nps_spectra_count(queries)))
        return nps_err(NPS_EINVAL, "nps_report_write: the shard does not match the queries");
    nps_call_options cdef = NPS_CALL_OPTIONS_INIT;
    const nps_call_options *co = options->call ? options->call : &cdef;
    json_t *run = nps_report_run_object(hits, queries, library, options, co);
    if (!run) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
    int rc;
    if (options->format == NPS_REPORT_TSV) {
        char crc[24] = "";
        if (sh) nps_report_run_checksum(crc, run); /* identifies the batch a part belongs to */
        rc = write_tsv(fp, hits, queries, nps_library_spectra(library), co, sh, crc);
    } else if (options->format == NPS_REPORT_HTML) {
        if (sh) {
            json_decref(run);
            return nps_err(NPS_EINVAL, "an HTML report is of a whole batch, not of a shard");
        }
        rc = nps_report_html(fp, hits, queries, library, run, co, options->search, options->warning,
                             NULL, 0);
    } else {
        rc = write_json(fp, hits, queries, library, run, co);
    }
    json_decref(run);
    return rc;
}

/*
 * The report of screened runs: what `npsmatch screen` writes.
 *
 * A laboratory reads a GC-MS screen by chromatographic component, as AMDIS
 * and MassHunter present it: the component (retention time, retention
 * index, how pure its spectrum is, its model ion and area), then its hit
 * list. The rows here are the search report's hits (report.c builds them,
 * nps_hit_row_fill), prefixed with the component's figures, which the
 * deconvolution (run/deconvolve.c) or the LC-MS/MS grouping
 * (run/consensus.c) wrote into the component's metadata; the RI columns
 * restate the penalty (nps_ri_penalty, the same rule nps_hits_apply_ri
 * applied) so that a reader sees why a hit moved. A component without a hit
 * keeps a row: a peak in the chromatogram that nothing in the library
 * explains is a finding too (an unknown, perhaps a new substance).
 */
#include "report.h"

#include "../scoring/scoring.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *meta(const nps_spectra *s, size_t i, const char *k)
{
    const char *v = nps_spectra_get(s, i, k);
    return v ? v : "";
}

static double meta_num(const nps_spectra *s, size_t i, const char *k)
{
    const char *v = nps_spectra_get(s, i, k);
    double x;
    return v && nps_parse_double(&x, v) == 0 ? x : NAN;
}

/* a TSV field: no tab or newline */
static void field(FILE *fp, const char *s)
{
    for (; *s; s++) fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, fp);
}

static void num(FILE *fp, int decimals, double v)
{
    if (isfinite(v)) fprintf(fp, "%.*f", decimals, v);
}

static const char screen_header[] =
    "run\tcomponent\trt_min\tri\trank\tlibrary_id\tlibrary_name\tscore\tmatched_peaks"
    "\tcomposite_mf\tpurity\tmodel_mz\tarea\tcall\theight\tscan_range\tri_library\tri_penalty"
    "\tri_flag\trrt\tprobability\trmf\tprecursor_mz\tscans\tinchikey\n";

/* The run a component came from, as a report names it: the file's base name. */
static const char *run_name(const nps_spectra *c, size_t i)
{
    const char *r = meta(c, i, "Run");
    const char *b = strrchr(r, '/');
    return b ? b + 1 : r;
}

static int write_tsv(FILE *fp, const nps_hits *h, const nps_spectra *C, const nps_spectra *L,
                     const nps_screen_report_options *o, const nps_call_options *co)
{
    fputs(screen_header, fp);
    for (size_t ci = 0; ci < nps_spectra_count(C) && !ferror(fp); ci++) {
        size_t first, n;
        nps_hits_for_query(h, ci, &first, &n);
        double rt = meta_num(C, ci, NPS_KEY_RETENTION_TIME);
        double ri = nps_spectra_ri(C, ci);
        double rrt = o->standard_rt > 0 && isfinite(rt) ? rt / o->standard_rt : NAN;
        char call_text[512] = "no identification";
        nps_call call;
        if (n && nps_hits_call(&call, h, ci, L, co) == 0)
            nps_call_describe(call_text, sizeof call_text, &call, h, L);
        for (size_t k = 0; k < (n ? n : 1); k++) {
            nps_hit_row r;
            memset(&r, 0, sizeof r);
            const nps_hit *x = NULL;
            if (n) {
                nps_hit_row_fill(&r, h, first + k, C, L, co);
                x = r.hit;
            }
            field(fp, run_name(C, ci));
            fputc('\t', fp);
            field(fp, nps_spectra_id(C, ci));
            fputc('\t', fp);
            num(fp, 4, rt);
            fputc('\t', fp);
            num(fp, 1, ri);
            fputc('\t', fp);
            if (x) {
                fprintf(fp, "%zu\t", x->rank);
                field(fp, r.library_id);
                fputc('\t', fp);
                field(fp, r.library_name);
                fprintf(fp, "\t%.6f\t%zu\t", x->score, x->matched);
                if (r.composite_mf >= 0) fprintf(fp, "%d", r.composite_mf);
            } else {
                fputs("\t\t\t\t\t", fp);
            }
            fputc('\t', fp);
            field(fp, meta(C, ci, "Purity"));
            fputc('\t', fp);
            field(fp, meta(C, ci, "Model_ion"));
            fputc('\t', fp);
            field(fp, meta(C, ci, "Area"));
            fputc('\t', fp);
            if (k == 0) field(fp, call_text);
            fputc('\t', fp);
            field(fp, meta(C, ci, "Height"));
            fputc('\t', fp);
            field(fp, meta(C, ci, "Scan_range"));
            fputc('\t', fp);
            double lri = x ? nps_spectra_ri(L, x->reference) : NAN;
            num(fp, 1, lri);
            fputc('\t', fp);
            if (x && o->ri && isfinite(ri)) fprintf(fp, "%.4f", nps_ri_penalty(o->ri, ri, lri));
            fputc('\t', fp);
            field(fp, meta(C, ci, "RI_flag"));
            fputc('\t', fp);
            num(fp, 4, rrt);
            fputc('\t', fp);
            if (x) num(fp, 4, x->probability);
            fputc('\t', fp);
            if (x) num(fp, 6, x->rmf);
            fputc('\t', fp);
            num(fp, 4, nps_spectra_precursor_mz(C, ci));
            fputc('\t', fp);
            field(fp, meta(C, ci, "Scans"));
            fputc('\t', fp);
            if (x) field(fp, r.inchikey);
            fputc('\n', fp);
        }
    }
    return ferror(fp) ? nps_err(NPS_EIO, "write error") : 0;
}

static void put_meta_num(nps_jobj *j, const char *key, const nps_spectra *C, size_t i,
                         const char *mk, int decimals)
{
    double v = meta_num(C, i, mk);
    if (isfinite(v)) nps_json_put(j, key, nps_json_num(v, decimals));
}

static json_t *component_object(const nps_hits *h, size_t ci, const nps_spectra *C,
                                const nps_spectra *L, const nps_screen_report_options *o,
                                const nps_call_options *co)
{
    nps_jobj j = nps_json_object();
    nps_json_put(&j, "run", nps_json_str(run_name(C, ci)));
    nps_json_put(&j, "component", nps_json_str(nps_spectra_id(C, ci)));
    nps_json_put(&j, "name", nps_json_str(nps_spectra_name(C, ci)));
    double rt = meta_num(C, ci, NPS_KEY_RETENTION_TIME);
    nps_json_put(&j, "rt_min", nps_json_num(rt, 4));
    double ri = nps_spectra_ri(C, ci);
    nps_json_put(&j, "ri", nps_json_num(ri, 1));
    if (*meta(C, ci, "RI_flag")) nps_json_put(&j, "ri_flag", nps_json_str(meta(C, ci, "RI_flag")));
    if (o->standard_rt > 0) nps_json_put(&j, "rrt", nps_json_num(rt / o->standard_rt, 4));
    put_meta_num(&j, "purity", C, ci, "Purity", 3);
    put_meta_num(&j, "model_mz", C, ci, "Model_ion", 0);
    put_meta_num(&j, "area", C, ci, "Area", -6);
    put_meta_num(&j, "height", C, ci, "Height", -6);
    if (*meta(C, ci, "Scan_range"))
        nps_json_put(&j, "scan_range", nps_json_str(meta(C, ci, "Scan_range")));
    if (*meta(C, ci, "Apex_scan")) put_meta_num(&j, "apex_scan", C, ci, "Apex_scan", 0);
    double pm = nps_spectra_precursor_mz(C, ci);
    if (isfinite(pm)) nps_json_put(&j, "precursor_mz", nps_json_num(pm, 4));
    if (*meta(C, ci, "Scans")) put_meta_num(&j, "scans", C, ci, "Scans", 0);
    if (*meta(C, ci, "RT_range"))
        nps_json_put(&j, "rt_range", nps_json_str(meta(C, ci, "RT_range")));
    size_t first, n;
    nps_hits_for_query(h, ci, &first, &n);
    json_t *arr = json_array();
    for (size_t k = 0; arr && k < n; k++) {
        nps_hit_row r;
        nps_hit_row_fill(&r, h, first + k, C, L, co);
        json_t *ho = nps_report_hit_object(&r);
        if (ho) {
            double lri = nps_spectra_ri(L, r.hit->reference);
            json_object_set_new(ho, "ri_library", nps_json_num(lri, 1));
            if (o->ri && isfinite(ri))
                json_object_set_new(ho, "ri_penalty",
                                    nps_json_num(nps_ri_penalty(o->ri, ri, lri), 4));
        }
        if (!ho || json_array_append_new(arr, ho)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    nps_json_put(&j, "hits", arr);
    json_t *cj = nps_report_call_object(h, ci, L, co);
    if (cj) nps_json_put(&j, "call", cj);
    return nps_json_done(&j);
}

/* The provenance of a screen: the search report's, plus the retention
 * settings. */
static json_t *screen_run_object(const nps_hits *h, const nps_spectra *C, const nps_library *lib,
                                 const nps_screen_report_options *o, const nps_call_options *co)
{
    nps_report_options def = NPS_REPORT_OPTIONS_INIT;
    json_t *run = nps_report_run_object(h, C, lib, o->report ? o->report : &def, co);
    if (!run) return NULL;
    json_t *ret = json_object();
    if (!ret) {
        json_decref(run);
        return NULL;
    }
    if (o->ri) {
        json_t *ri = json_object();
        json_object_set_new(ri, "window", nps_json_num(o->ri->window, 3));
        json_object_set_new(ri, "slope", nps_json_num(o->ri->slope, 6));
        json_object_set_new(ri, "max_penalty", nps_json_num(o->ri->max_penalty, 4));
        json_object_set_new(ri, "no_ri_penalty", nps_json_num(o->ri->no_ri, 4));
        json_object_set_new(ret, "ri_penalty", ri);
    } else {
        json_object_set_new(ret, "ri_penalty", json_null());
    }
    if (o->standard_rt > 0) {
        json_object_set_new(ret, "internal_standard", nps_json_str(o->standard ? o->standard : ""));
        json_object_set_new(ret, "internal_standard_rt_min", nps_json_num(o->standard_rt, 4));
    }
    json_object_set_new(run, "retention", ret);
    if (o->deconvolution) {
        const nps_deconvolve_options *d = o->deconvolution;
        json_t *dj = json_object();
        json_object_set_new(dj, "min_snr", nps_json_num(d->min_snr, 4));
        json_object_set_new(dj, "min_ions", json_integer((json_int_t)d->min_ions));
        json_object_set_new(dj, "apex_tolerance_scans", nps_json_num(d->apex_tolerance, 4));
        json_object_set_new(dj, "min_width_scans", nps_json_num(d->min_width, 4));
        json_object_set_new(dj, "baseline_window_scans",
                            json_integer((json_int_t)d->baseline_window));
        json_object_set_new(dj, "ion_snr", nps_json_num(d->ion_snr, 4));
        json_object_set_new(dj, "window_scans", json_integer((json_int_t)d->window));
        json_t *ex = json_array();
        static const double excluded_default[] = NPS_DECONVOLVE_EXCLUDED;
        const double *e = d->exclude_model ? d->exclude_model : excluded_default;
        size_t ne = d->exclude_model ? d->n_exclude_model
                                     : sizeof excluded_default / sizeof *excluded_default;
        for (size_t k = 0; k < ne; k++) json_array_append_new(ex, nps_json_num(e[k], 4));
        json_object_set_new(dj, "excluded_model_ions", ex);
        json_object_set_new(run, "deconvolution", dj);
    }
    if (o->grouping) {
        const nps_consensus_options *g = o->grouping;
        json_t *gj = json_object();
        json_object_set_new(gj, "precursor_tolerance", nps_json_num(g->precursor_tolerance, 6));
        json_object_set_new(gj, "rt_gap_min", nps_json_num(g->rt_gap, 4));
        json_object_set_new(gj, "fragment_tolerance", nps_json_num(g->fragment_tolerance, 6));
        json_object_set_new(gj, "min_fraction", nps_json_num(g->min_fraction, 4));
        json_object_set_new(run, "grouping", gj);
    }
    return run;
}

int nps_screen_report_write(FILE *fp, const nps_hits *h, const nps_spectra *C,
                            const nps_library *lib, const nps_screen_report_options *options)
{
    if (!fp || !h || !C || !lib)
        return nps_err(NPS_EINVAL, "nps_screen_report_write: NULL argument");
    nps_screen_report_options def = NPS_SCREEN_REPORT_OPTIONS_INIT;
    const nps_screen_report_options *o = options ? options : &def;
    if (o->version != NPS_SCREEN_REPORT_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_screen_report_options version %d not supported",
                       o->version);
    nps_call_options cdef = NPS_CALL_OPTIONS_INIT;
    const nps_call_options *co = o->report && o->report->call ? o->report->call : &cdef;
    const nps_spectra *L = nps_library_spectra(lib);
    if (o->format == NPS_REPORT_TSV) return write_tsv(fp, h, C, L, o, co);
    json_t *run = screen_run_object(h, C, lib, o, co);
    if (!run) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
    int rc = 0;
    if (o->format == NPS_REPORT_HTML) {
        rc = nps_report_html(fp, h, C, lib, run, co, o->report ? o->report->search : NULL,
                             o->report ? o->report->warning : NULL, o->chromatograms,
                             o->n_chromatograms);
    } else if (o->format == NPS_REPORT_JSON) {
        fputs("{\"run\": ", fp);
        rc = nps_json_dump(fp, run, 2);
        if (!rc) fputs(",\n\"components\": [", fp);
        for (size_t ci = 0; !rc && ci < nps_spectra_count(C); ci++) {
            json_t *co_ = component_object(h, ci, C, L, o, co);
            if (!co_) {
                rc = nps_err(NPS_ENOMEM, "out of memory (JSON)");
                break;
            }
            fputs(ci ? ",\n  " : "\n  ", fp);
            rc = nps_json_dump(fp, co_, 0);
            json_decref(co_);
        }
        if (!rc) fputs(nps_spectra_count(C) ? "\n]}\n" : "]}\n", fp);
        if (!rc && ferror(fp)) rc = nps_err(NPS_EIO, "write error");
    } else {
        rc = nps_err(NPS_EINVAL, "unknown report format %d", (int)o->format);
    }
    json_decref(run);
    return rc;
}

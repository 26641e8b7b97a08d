/*
 * Reports (nps_report_write, nps_hit_row_fill) and the named rules they use:
 * the TSV layout and the call on each query's first row; JSON that a strict
 * parser (jansson, rejecting duplicate keys) reads, with the run's provenance,
 * null for non-finite numbers and Latin-1 names turned into UTF-8; the plain
 * score and the nominal tolerance of EI shift hits.
 */
#include "check.h"

#include <jansson.h>

static void add(nps_spectra *s, const char *name, const char *id, const char *cls, const double *mz,
                const float *in, size_t n)
{
    const char *k[] = {NPS_KEY_NAME, NPS_KEY_ID, NPS_KEY_CLASS, "Ionization"};
    const char *v[] = {name, id, cls, "EI"};
    CHECK(nps_spectra_add(s, mz, in, n, k, v, 4) == 0);
}

static char *report(const nps_hits *h, const nps_spectra *q, const nps_library *lib,
                    const nps_report_options *o, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) exit(2);
    *rc = nps_report_write(fp, h, q, lib, o);
    fclose(fp);
    return buf;
}

static void rules(void)
{
    nps_hit h = {0};
    h.score = 0.9;
    h.identity_score = NAN;
    CHECK(nps_hit_plain_score(&h) == 0.9);
    h.identity_score = 0.4; /* an analogue hit: its unshifted score is the plain one */
    CHECK(nps_hit_plain_score(&h) == 0.4);
    nps_call_options co = NPS_CALL_OPTIONS_INIT;
    co.shift_tolerance = 0.003;
    h.mode = NPS_MODE_SHIFT;
    CHECK(nps_hit_shift_nominal(&h) && nps_hit_shift_tolerance(&h, &co) == NPS_NOMINAL_TOLERANCE);
    h.mode = NPS_MODE_HYBRID;
    CHECK(!nps_hit_shift_nominal(&h) && nps_hit_shift_tolerance(&h, &co) == 0.003);
}

static void writers(void)
{
    nps_spectra *ls, *qs;
    nps_spectra_create(&ls);
    nps_spectra_create(&qs);
    const double m1[] = {42, 44, 91, 134}, m2[] = {58, 77, 105, 182}, m3[] = {42, 44, 91, 135};
    const float i1[] = {30, 999, 200, 50}, i2[] = {999, 300, 500, 80}, i3[] = {20, 999, 250, 40};
    add(ls, "m\xe9thylamine", "L1", "Stimulant", m1, i1, 4); /* Latin-1 name */
    add(ls, "Cocaine", "L2", "Tropane", m2, i2, 4);
    add(qs, "unknown 1", "Q1", "", m3, i3, 4);
    add(qs, "unknown 2", "Q2", "", m2, i2, 4);
    nps_library *lib;
    CHECK(nps_library_create(&lib, ls, NULL) == 0);
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    so.top_k = 2;
    nps_hits *h;
    CHECK(nps_search_run(&h, lib, qs, &so) == 0);
    size_t nh = nps_hits_count(h);
    CHECK(nh >= 2);

    /* rows */
    nps_hit_row row;
    nps_hit_row_fill(&row, h, 0, qs, nps_library_spectra(lib), NULL);
    CHECK(strcmp(row.query_id, "Q1") == 0 && strcmp(row.library_id, "L1") == 0);
    CHECK(strcmp(row.library_class, "Stimulant") == 0 && strcmp(row.inchikey, "") == 0);
    CHECK(row.composite_mf >= 0 && row.composite_mf <= 999);
    /* NIST prints floor(1000 MF), at most 999; RMF likewise, never below MF here */
    CHECK(row.composite_mf == (int)fmin(999, floor(1000.0 * row.hit->composite)));
    CHECK(row.composite_rmf == (int)fmin(999, floor(1000.0 * row.hit->composite_rmf)));
    CHECK(row.composite_rmf >= row.composite_mf);
    CHECK(isnan(row.precursor_delta)); /* EI: no precursor */

    /* TSV: a header, one row per hit, the call on first rows only */
    nps_report_options ro = NPS_REPORT_OPTIONS_INIT;
    int rc;
    char *t = report(h, qs, lib, &ro, &rc);
    CHECK(rc == 0 && t);
    size_t lines = 0, calls = 0;
    for (char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        lines++;
        char line[2048];
        size_t n = strcspn(p, "\n");
        if (n >= sizeof line) n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = '\0';
        char *f[32];
        int nf = split_tab(line, f, 32);
        CHECK_MSG(nf == 25, "%d columns", nf);
        if (lines == 1 && nf == 25)
            CHECK(strcmp(f[23], "rmf") == 0 && strcmp(f[24], "probability") == 0);
        if (lines > 1 && nf == 25 && f[17][0]) calls++;
        if (lines > 1 && nf == 25) CHECK(f[17][0] ? strcmp(f[2], "1") == 0 : 1);
        if (lines > 1 && nf == 25) {
            CHECK(f[22][0] && atoi(f[22]) >= atoi(f[10])); /* composite_rmf */
            /* the ranking score is the composite: its RMF, on 0..1 */
            CHECK(f[23][0] && fabs(atof(f[23]) - atof(f[22]) / 1000.0) < 1.5e-3);
            CHECK(f[24][0] && atof(f[24]) > 0 && atof(f[24]) < 1); /* probability */
        }
    }
    CHECK(lines == nh + 1);
    CHECK(calls == 2);
    CHECK(strncmp(t, "query_id\tquery_name\trank\t", 25) == 0);
    free(t);

    /* JSON: strict parse, provenance, null for infinity, UTF-8 */
    ro.format = NPS_REPORT_JSON;
    ro.library_path = "lab library.h5";
    ro.search = &so;
    ro.target_decoy = 1;
    ro.fdr = 0.01;
    ro.fdr_threshold = INFINITY; /* no score reached the FDR */
    const char *inputs[] = {"a.msp", "b.mzML"};
    ro.inputs = inputs;
    ro.n_inputs = 2;
    char *j = report(h, qs, lib, &ro, &rc);
    CHECK(rc == 0 && j);
    json_error_t err;
    json_t *d = j ? json_loads(j, JSON_REJECT_DUPLICATES, &err) : NULL;
    CHECK_MSG(d != NULL, "%s (line %d)", d ? "" : err.text, d ? 0 : err.line);
    if (d) {
        json_t *run = json_object_get(d, "run");
        CHECK(json_is_string(json_object_get(run, "npsmatch_version")));
        json_t *l = json_object_get(run, "library");
        CHECK(strcmp(json_string_value(json_object_get(l, "path")), "lab library.h5") == 0);
        CHECK(json_is_null(json_object_get(l, "checksum"))); /* built in memory */
        CHECK(json_integer_value(json_object_get(l, "spectra")) == 2);
        CHECK(json_is_object(json_object_get(json_object_get(l, "preprocessing"), "ei")));
        json_t *s = json_object_get(run, "search");
        CHECK(json_integer_value(json_object_get(s, "top")) == 2);
        CHECK(json_is_real(json_object_get(s, "intensity_power")));
        json_t *td = json_object_get(run, "target_decoy");
        CHECK(json_is_null(json_object_get(td, "score_threshold")));
        CHECK(json_real_value(json_object_get(td, "fdr")) == 0.01);
        json_t *in = json_object_get(run, "input");
        CHECK(json_array_size(json_object_get(in, "files")) == 2);
        CHECK(json_integer_value(json_object_get(in, "queries")) == 2);
        json_t *qa = json_object_get(d, "queries");
        CHECK(json_array_size(qa) == 2);
        json_t *h0 = json_array_get(json_object_get(json_array_get(qa, 0), "hits"), 0);
        CHECK(strcmp(json_string_value(json_object_get(h0, "library_name")),
                     "m\xc3\xa9thylamine") == 0);
        CHECK(json_is_integer(json_object_get(h0, "composite_mf")));
        CHECK(json_object_get(h0, "precursor_delta") == NULL); /* no value, no key */
        json_t *call = json_object_get(json_array_get(qa, 1), "call");
        CHECK(json_is_string(json_object_get(call, "status")));
        json_decref(d);
    }
    free(j);

    /* HTML: a section per query, a plot per hit, names escaped, no shard */
    nps_report_options ho = NPS_REPORT_OPTIONS_INIT;
    ho.format = NPS_REPORT_HTML;
    ho.search = &so;
    char *html = report(h, qs, lib, &ho, &rc);
    CHECK(rc == 0 && html && strncmp(html, "<!DOCTYPE html>", 15) == 0);
    size_t sections = 0, plots = 0;
    for (const char *p = html; p && (p = strstr(p, "<section class=\"query\"")); p++) sections++;
    for (const char *p = html; p && (p = strstr(p, "role=\"img\"")); p++) plots++;
    CHECK_MSG(sections == 2 && plots == nh, "%zu sections, %zu plots, %zu hits", sections, plots,
              nh);
    CHECK(html && strstr(html, "m&#xE9;thylamine") != NULL); /* Latin-1 read as such */
    CHECK(html && strstr(html, "<script") == NULL && strstr(html, "</html>\n") != NULL);
    free(html);
    nps_shard one;
    nps_shard_make(&one, 1, 1, 2);
    ho.shard = &one;
    html = report(h, qs, lib, &ho, &rc);
    CHECK(rc == NPS_EINVAL);
    free(html);

    /* arguments */
    char *x = report(h, qs, lib, NULL, &rc);
    CHECK(rc == 0);
    free(x);
    ro.version = 99;
    x = report(h, qs, lib, &ro, &rc);
    CHECK(rc == NPS_EINVAL);
    free(x);
    CHECK(nps_report_write(NULL, h, qs, lib, NULL) == NPS_EINVAL);
    nps_hits_free(h);
    nps_library_free(lib);
    nps_spectra_free(ls);
    nps_spectra_free(qs);
}

/* Count the mirror plots' red lines (peaks matched through the mass shift)
 * above the axis (the query) and below it (the library spectrum). */
static void shifted_lines(const char *html, size_t *up, size_t *down)
{
    *up = *down = 0;
    for (const char *p = html; (p = strstr(p, "<line ")); p++) {
        const char *e = strchr(p, '>');
        if (!e || !strstr(p, "stroke=\"#c0392b\"") || strstr(p, "stroke=\"#c0392b\"") > e) continue;
        double y1, y2;
        const char *a = strstr(p, "y1=\""), *b = strstr(p, "y2=\"");
        if (!a || !b || a > e || b > e) continue;
        y1 = atof(a + 4);
        y2 = atof(b + 4);
        if (y2 < y1) (*up)++;
        if (y2 > y1) (*down)++;
    }
}

/* An analogue hit's plot: the peaks that pair through the mass shift are
 * red on both sides, the query's and the library spectrum's. */
static void html_shifted(void)
{
    nps_spectra *ls, *qs;
    nps_spectra_create(&ls);
    nps_spectra_create(&qs);
    const double lm[] = {91.0542, 119.0491, 147.0441, 175.0754, 203.1067};
    const double qm[] = {91.0542, 119.0491, 161.0597, 189.0910, 217.1223}; /* +CH2 on 3 */
    const float in[] = {300, 500, 999, 400, 250};
    const char *k[] = {"Name", "DB#", "PrecursorMZ", "Spectrum_type"};
    const char *lv[] = {"parent", "L1", "250.1200", "MS2"},
               *qv[] = {"homologue", "Q1", "264.1357", "MS2"};
    CHECK(nps_spectra_add(ls, lm, in, 5, k, lv, 4) == 0);
    CHECK(nps_spectra_add(qs, qm, in, 5, k, qv, 4) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, ls, NULL) == 0);
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    so.mode = NPS_MODE_HYBRID;
    nps_hits *h;
    CHECK(nps_search_run(&h, lib, qs, &so) == 0);
    CHECK(nps_hits_count(h) == 1 && fabs(nps_hits_at(h, 0)->delta_mz - 14.0157) < 1e-3);
    nps_report_options ho = NPS_REPORT_OPTIONS_INIT;
    ho.format = NPS_REPORT_HTML;
    ho.search = &so;
    int rc;
    char *html = report(h, qs, lib, &ho, &rc);
    CHECK(rc == 0 && html);
    size_t up = 0, down = 0;
    if (html) shifted_lines(html, &up, &down);
    CHECK_MSG(html && up == 3 && down == 3, "shifted peaks: %zu query, %zu library", up, down);
    free(html);
    nps_hits_free(h);
    nps_library_free(lib);
    nps_spectra_free(ls);
    nps_spectra_free(qs);
}

/* Parts tile the batch, in order, sizes within one of each other. */
static void shards(void)
{
    static const size_t totals[] = {0, 1, 14, 1000, 1001};
    for (size_t t = 0; t < sizeof totals / sizeof *totals; t++)
        for (size_t n = 1; n <= 25; n++) {
            size_t next = 0, lo = SIZE_MAX, hi = 0;
            for (size_t i = 1; i <= n; i++) {
                nps_shard s;
                CHECK(nps_shard_make(&s, i, n, totals[t]) == 0);
                CHECK(s.first == next && s.end >= s.first && s.total == totals[t]);
                next = s.end;
                lo = s.end - s.first < lo ? s.end - s.first : lo;
                hi = s.end - s.first > hi ? s.end - s.first : hi;
            }
            CHECK(next == totals[t] && hi - lo <= 1);
        }
    nps_shard s;
    CHECK(nps_shard_make(&s, 0, 3, 10) == NPS_EINVAL);
    CHECK(nps_shard_make(&s, 4, 3, 10) == NPS_EINVAL);
    CHECK(nps_shard_make(&s, 1, 0, 10) == NPS_EINVAL);
}

int main(void)
{
    shards();
    rules();
    writers();
    html_shifted();
    return check_done("test_report");
}

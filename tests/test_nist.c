/*
 * The EI composite score against NIST MS Search itself: the results file
 * NIST MS Search wrote for three alkanes searched against 90 MassBank EI
 * spectra (peer_reference/nist_ms_search, README there): every one of the
 * 30 hits must come out at the same rank, with the same MF and RMF to the
 * integer, through the default search (the fragment index and its bound)
 * and the exhaustive one. Then the rules of NIST's own preprocessing and
 * matching, each on a pair built to isolate it.
 */
#include "check.h"

#include <ctype.h>

typedef struct {
    char unknown[64];
    size_t id; /* 1-based position in the library file */
    int mf, rmf;
} nist_row;

static size_t read_srcreslt(nist_row *rows, size_t cap, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return 0;
    char line[1024], cur[64] = "";
    size_t n = 0;
    while (fgets(line, sizeof line, fp) && n < cap) {
        if (strncmp(line, "Unknown: ", 9) == 0) {
            size_t k = 0;
            for (const char *p = line + 9; *p && !isspace((unsigned char)*p) && k + 1 < sizeof cur;)
                cur[k++] = *p++;
            cur[k] = '\0';
            continue;
        }
        const char *m = strstr(line, "MF: "), *r = strstr(line, "RMF: "), *i = strstr(line, "Id: ");
        if (!m || !r || !i) continue;
        snprintf(rows[n].unknown, sizeof rows[n].unknown, "%s", cur);
        rows[n].mf = atoi(m + 4);
        rows[n].rmf = atoi(r + 5);
        rows[n].id = (size_t)atol(i + 4);
        n++;
    }
    fclose(fp);
    return n;
}

static void check_hits(const nps_hits *h, const nps_spectra *q, const nps_spectra *lib,
                       const nist_row *rows, size_t nrows, const char *how)
{
    size_t found = 0;
    for (size_t k = 0; k < nrows; k++) {
        size_t rank = 0;
        for (size_t j = 0; j < k; j++) rank += strcmp(rows[j].unknown, rows[k].unknown) == 0;
        for (size_t i = 0; i < nps_hits_count(h); i++) {
            const nps_hit *x = nps_hits_at(h, i);
            if (strcmp(nps_spectra_name(q, x->query), rows[k].unknown) != 0 || x->rank != rank + 1)
                continue;
            nps_hit_row row;
            nps_hit_row_fill(&row, h, i, q, lib, NULL);
            CHECK_MSG(x->reference + 1 == rows[k].id, "%s %s rank %zu: library %zu, NIST %zu", how,
                      rows[k].unknown, rank + 1, x->reference + 1, rows[k].id);
            CHECK_MSG(row.composite_mf == rows[k].mf, "%s %s rank %zu: MF %d, NIST %d", how,
                      rows[k].unknown, rank + 1, row.composite_mf, rows[k].mf);
            CHECK_MSG(row.composite_rmf == rows[k].rmf, "%s %s rank %zu: RMF %d, NIST %d", how,
                      rows[k].unknown, rank + 1, row.composite_rmf, rows[k].rmf);
            found++;
        }
    }
    CHECK_MSG(found == nrows, "%s: %zu of %zu NIST hits in the hit lists", how, found, nrows);
}

static void nist_hit_lists(void)
{
    nist_row rows[64];
    size_t nrows = read_srcreslt(rows, 64, data_path("peer_reference/nist_ms_search/SRCRESLT.TXT"));
    CHECK(nrows == 30);
    nps_spectra *libsp =
        read_file(data_path("peer_reference/nist_ms_search/library_massbank_alkanes.msp"), NULL);
    nps_spectra *q =
        read_file(data_path("peer_reference/nist_ms_search/unknowns_alkanes.msp"), NULL);
    CHECK(nps_spectra_count(libsp) == 90 && nps_spectra_count(q) == 3);
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    nps_library *lib = NULL;
    CHECK(nps_library_create(&lib, libsp, &cfg) == 0);
    for (int exhaustive = 0; exhaustive < 2 && lib; exhaustive++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.threads = 1;
        o.exhaustive = exhaustive;
        nps_hits *h = NULL;
        CHECK(nps_search_run(&h, lib, q, &o) == 0);
        if (h)
            check_hits(h, q, nps_library_spectra(lib), rows, nrows,
                       exhaustive ? "exhaustive" : "index");
        nps_hits_free(h);
    }
    nps_library_free(lib);
    nps_spectra_free(libsp);
    nps_spectra_free(q);
}

/* The composite score of two peak lists (EI); score -1 on failure. */
static nps_score_result composite_of(const double *qm, const float *qi, size_t qn, const double *rm,
                                     const float *ri, size_t rn)
{
    nps_score_result r = {-1, 0, -1, -1};
    nps_score_options so = NPS_SCORE_OPTIONS_INIT;
    so.type = NPS_SCORE_COMPOSITE;
    so.tolerance = NPS_DEFAULT_TOLERANCE_EI;
    nps_score_workspace *ws = NULL;
    if (nps_score_workspace_create(&ws)) return r;
    if (nps_score_pair(&r, NULL, NULL, ws, qm, qi, qn, rm, ri, rn, &so)) r.composite = -1;
    nps_score_workspace_free(ws);
    return r;
}

/* As NIST prints a match factor 0..1. */
static int printed(double mf)
{
    return mf > 0 ? (int)fmin(999, floor(1000 * mf)) : mf < 0 ? -1 : 0;
}

static int mf_of(const double *qm, const float *qi, size_t qn, const double *rm, const float *ri,
                 size_t rn, int *rmf)
{
    nps_score_result r = composite_of(qm, qi, qn, rm, ri, rn);
    if (rmf) *rmf = printed(r.reverse);
    return printed(r.composite);
}

static double raw_mf(const double *qm, const float *qi, size_t qn, const double *rm,
                     const float *ri, size_t rn)
{
    return composite_of(qm, qi, qn, rm, ri, rn).composite;
}

static void nist_rules(void)
{
    /* a reference spectrum: 41, 43 (base), 57, 71, 85 */
    const double rm[] = {41, 43, 57, 71, 85};
    const float ri[] = {400, 999, 600, 300, 100};
    CHECK(mf_of(rm, ri, 5, rm, ri, 5, NULL) == 999);
    /* bins: boundary at 0.649 (57.64 joins 57, 57.66 is 58), intensities summed */
    const double b1[] = {41, 43, 57, 57.64, 71, 85};
    const float i1[] = {400, 999, 350, 250, 300, 100};
    CHECK(mf_of(b1, i1, 6, rm, ri, 5, NULL) == 999);
    const double b2[] = {41, 43, 57, 57.66, 71, 85};
    CHECK(mf_of(b2, i1, 6, rm, ri, 5, NULL) < 990);
    /* scaled to 999 and rounded: half the intensities are the same spectrum */
    const float half[] = {200, 499.5f, 300, 150, 50};
    CHECK(mf_of(rm, half, 5, rm, ri, 5, NULL) == 999);
    /* library m/z below the unknown's lowest are left out; above, they count */
    const double ru[] = {43, 57, 71, 85};
    const float iu[] = {999, 600, 300, 100};
    CHECK(mf_of(ru, iu, 4, rm, ri, 5, NULL) == 999);
    const double rh[] = {43, 57, 71, 85, 99};
    const float ih[] = {999, 600, 300, 100, 400};
    int rmf = 0;
    int mf = mf_of(ru, iu, 4, rh, ih, 5, &rmf);
    CHECK(mf < 990);
    /* intensities at most 1 on both sides are left out: a trace peak of
     * the unknown changes nothing, not even between two common peaks of
     * spectra that differ (where it would break the ratio chain) */
    {
        const double um[] = {41, 43, 57, 71, 85}, umt[] = {41, 43, 50, 57, 71, 85};
        const float ui[] = {300, 999, 800, 200, 150}, uit[] = {300, 999, 1, 800, 200, 150};
        double a = raw_mf(um, ui, 5, rm, ri, 5), b = raw_mf(umt, uit, 6, rm, ri, 5);
        CHECK_MSG(a > 0.5 && a < 0.99 && a == b, "%.12f vs %.12f", a, b);
    }
    const double rt[] = {41, 43, 57, 71, 85, 90};
    const float it[] = {400, 999, 600, 300, 100, 1};
    CHECK(mf_of(rt, it, 6, rm, ri, 5, NULL) == 999);
    /* a non-finite m/z (only the library API lets one in: the readers reject
     * it) ends in no bin and no weight, and the walk still ends */
    {
        const double nm[] = {NAN, 43, 57}, im[] = {43, 57, INFINITY};
        const float ni[] = {500, 999, 600};
        double a = raw_mf(nm, ni, 3, rm, ri, 5), b = raw_mf(im, ni, 3, rm, ri, 5);
        CHECK_MSG(a > 0 && a <= 1 && b > 0 && b <= 1, "%g %g", a, b);
    }
    /* RMF leaves out the unknown's peaks the library lacks: an extra peak of
     * the unknown lowers MF, not RMF */
    const float ix[] = {400, 999, 600, 300, 100, 300};
    mf = mf_of(rt, ix, 6, rm, ri, 5, &rmf);
    CHECK_MSG(mf < 990 && rmf == 999, "MF %d RMF %d", mf, rmf);
}

/* A query of more bins than the composite's 16-bit counts hold, against a
 * library with a spectrum as wide (so that the common bins could overflow
 * them): the index search takes its fallback (every touched spectrum scored
 * exactly) and equals the exhaustive one, hit for hit. The overflow itself
 * does not show in these hits (bound and score stay near 1 for the wide
 * spectrum), so this checks the fallback's results, not its need. */
static void many_bins(void)
{
    enum { NQ = 70000, NL = 4 };
    double *qm = malloc(NQ * sizeof *qm);
    float *qi = malloc(NQ * sizeof *qi);
    nps_spectra *qs = NULL, *ls = NULL;
    CHECK(qm && qi && nps_spectra_create(&qs) == 0 && nps_spectra_create(&ls) == 0);
    if (!qm || !qi || !qs || !ls) goto out;
    for (size_t k = 0; k < NQ; k++) {
        qm[k] = (double)(k + 1);
        qi[k] = (float)(1 + (k * 7919) % 997);
    }
    const char *kq[] = {"Name", "Spectrum_type", "Ionization"};
    const char *vq[] = {"wide", "MS", "EI"};
    CHECK(nps_spectra_add(qs, qm, qi, NQ, kq, vq, 3) == 0);
    const char *vw[] = {"wide-ref", "MS", "EI"};
    CHECK(nps_spectra_add(ls, qm, qi, NQ, kq, vw, 3) == 0);
    for (size_t s = 0; s < NL; s++) {
        double lm[64];
        float li[64];
        for (size_t k = 0; k < 64; k++) {
            lm[k] = (double)(1 + s * 1000 + k * (s + 3));
            li[k] = (float)(1 + (k * 31 + s) % 999);
        }
        char name[16];
        snprintf(name, sizeof name, "L%zu", s);
        const char *vl[] = {name, "MS", "EI"};
        CHECK(nps_spectra_add(ls, lm, li, 64, kq, vl, 3) == 0);
    }
    nps_library *lib = NULL;
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    CHECK(nps_library_create(&lib, ls, &cfg) == 0);
    nps_hits *h[2] = {NULL, NULL};
    for (int ex = 0; ex < 2 && lib; ex++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.threads = 1;
        o.exhaustive = ex;
        CHECK(nps_search_run(&h[ex], lib, qs, &o) == 0);
    }
    if (h[0] && h[1]) {
        CHECK(nps_hits_count(h[0]) == NL + 1 && nps_hits_count(h[1]) == NL + 1);
        CHECK(nps_hits_count(h[0]) && nps_hits_at(h[0], 0)->reference == 0);
        for (size_t i = 0; i < nps_hits_count(h[0]) && i < nps_hits_count(h[1]); i++)
            CHECK(hit_identical(nps_hits_at(h[0], i), nps_hits_at(h[1], i)));
    }
    nps_hits_free(h[0]);
    nps_hits_free(h[1]);
    nps_library_free(lib);
out:
    nps_spectra_free(qs);
    nps_spectra_free(ls);
    free(qm);
    free(qi);
}

int main(void)
{
    many_bins();
    nist_rules();
    nist_hit_lists();
    return check_done("test_nist");
}

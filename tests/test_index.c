/*
 * The fragment-index search is exact: for every score (entropy, unweighted
 * entropy, cosine with several powers, composite), Da and ppm tolerances,
 * identity mode (narrow windows scored pairwise, wide ones through the index,
 * each against a scan of the whole library) and open mode, forward and
 * reverse, default and raw cleaning, the
 * indexed search returns the same hits, scores and matched-peak counts as the
 * exhaustive pairwise search - on a synthetic library, on real MassBank data,
 * and on peaks placed at the tolerance boundary, where float32 rounding of
 * the index would decide wrongly if it decided anything.
 */
#include "../bench/synth.h"
#include "check.h"

static int compare(const nps_library *lib, const nps_spectra *q, nps_search_options o,
                   const char *what)
{
    nps_hits *a, *b;
    o.exhaustive = 1;
    CHECK(nps_search_run(&a, lib, q, &o) == 0);
    o.exhaustive = 0;
    CHECK(nps_search_run(&b, lib, q, &o) == 0);
    size_t bad = 0;
    if (nps_hits_count(a) != nps_hits_count(b)) bad++;
    for (size_t i = 0; !bad && i < nps_hits_count(a); i++) {
        const nps_hit *x = nps_hits_at(a, i), *y = nps_hits_at(b, i);
        if (x->query != y->query || x->reference != y->reference || x->rank != y->rank ||
            fabs(x->score - y->score) > 1e-12 || x->matched != y->matched) {
            bad++;
            fprintf(stderr, "%s: hit %zu: q %zu ref %zu %.9f (%zu) vs ref %zu %.9f (%zu)\n", what,
                    i, x->query, x->reference, x->score, x->matched, y->reference, y->score,
                    y->matched);
        }
    }
    CHECK_MSG(bad == 0, "%s: %zu vs %zu hits", what, nps_hits_count(a), nps_hits_count(b));
    int n = (int)nps_hits_count(a);
    nps_hits_free(a);
    nps_hits_free(b);
    return n;
}

/* How many queries searched in identity mode took the fragment index
 * (nps_query_info.indexed; a query without a precursor runs open search). */
static size_t count_indexed(const nps_library *lib, const nps_spectra *q, nps_search_options o)
{
    nps_plan *p;
    nps_workspace *ws;
    size_t n = 0;
    if (nps_plan_create(&p, lib, &o)) return 0;
    if (nps_workspace_create(&ws, p) == 0) {
        nps_hit *h = calloc(o.top_k + 1, sizeof *h);
        for (size_t i = 0; h && i < nps_spectra_count(q); i++) {
            nps_query_info info;
            if (nps_search_query(h, &info, ws, p, q, i) == 0)
                n += (size_t)(info.indexed && info.mode == NPS_MODE_IDENTITY);
        }
        free(h);
        nps_workspace_free(ws);
    }
    nps_plan_free(p);
    return n;
}

/* Identity mode takes three paths: the precursor window by binary search,
 * scored pairwise (usual tolerances); the index filtered by the window (wide
 * windows); and, exhaustive, every library spectrum tested against the
 * window rule. Each must give the same hits; the wide rows check that the
 * index path was really taken, and the narrow ones that it was not. */
static void identity_paths(const nps_library *lib, const nps_spectra *q, const char *label)
{
    static const nps_score_type scores[] = {NPS_SCORE_ENTROPY, NPS_SCORE_COSINE,
                                            NPS_SCORE_COMPOSITE};
    static const double ptol[] = {0.01, 5, 400};
    char what[256];
    for (size_t sc = 0; sc < 3; sc++)
        for (size_t k = 0; k < 3; k++) {
            nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
            o.score = scores[sc];
            o.mode = NPS_MODE_IDENTITY;
            o.precursor_tolerance = ptol[k];
            o.top_k = 7;
            o.same_kind_only = 0;
            snprintf(what, sizeof what, "%s identity %s precursor +-%g", label,
                     nps_score_name(scores[sc]), ptol[k]);
            compare(lib, q, o, what);
            size_t ni = count_indexed(lib, q, o);
            if (ptol[k] >= 400)
                CHECK_MSG(ni > 0, "%s: the index path was never taken", what);
            else if (ptol[k] < 1)
                CHECK_MSG(ni == 0, "%s: %zu queries took the index", what, ni);
            o.exhaustive = 1;
            CHECK_MSG(count_indexed(lib, q, o) == 0, "%s: exhaustive took the index", what);
        }
}

static void sweep(const nps_library *lib, const nps_spectra *q, const char *label)
{
    static const struct {
        nps_score_type t;
        double a, b;
    } scores[] = {{NPS_SCORE_ENTROPY, 0, 1},  {NPS_SCORE_ENTROPY_UNWEIGHTED, 0, 1},
                  {NPS_SCORE_COSINE, 0, 0.5}, {NPS_SCORE_COSINE, 0, 1},
                  {NPS_SCORE_COSINE, 3, 0.6}, {NPS_SCORE_COMPOSITE, 0, 1}};
    char what[256];
    for (size_t sc = 0; sc < sizeof scores / sizeof *scores; sc++)
        for (int ppm = 0; ppm <= 1; ppm++)
            for (int mode = 0; mode <= 1; mode++)
                for (int rev = 0; rev <= 1; rev++) {
                    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
                    o.score = scores[sc].t;
                    o.mz_power = scores[sc].a;
                    o.intensity_power = scores[sc].b;
                    o.mode = mode ? NPS_MODE_OPEN : NPS_MODE_IDENTITY;
                    o.tolerance = ppm ? 20 : 0.02;
                    o.tolerance_ppm = ppm;
                    o.reverse = rev;
                    o.top_k = 7;
                    o.same_kind_only = 0;
                    snprintf(what, sizeof what, "%s %s a%g b%g %s %s%s", label,
                             nps_score_name(scores[sc].t), scores[sc].a, scores[sc].b,
                             ppm ? "20ppm" : "0.02Da", mode ? "open" : "identity",
                             rev ? " reverse" : "");
                    int n = compare(lib, q, o, what);
                    CHECK_MSG(n > 0, "%s: no hits at all", what);
                }
}

static void synthetic(void)
{
    nps_spectra *s, *q;
    nps_spectra_create(&s);
    nps_spectra_create(&q);
    CHECK(synth_library(s, 3000, 7) == 0);
    CHECK(synth_queries(q, NULL, s, 60, 8) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    sweep(lib, q, "synthetic");
    identity_paths(lib, q, "synthetic");
    nps_library_free(lib);
    /* raw peaks: neighbours closer than the tolerance, so the index bound is not
     * the score and the rescoring has work to do */
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    CHECK(nps_library_create(&lib, s, &raw) == 0);
    sweep(lib, q, "synthetic raw");
    nps_library_free(lib);
    nps_spectra_free(s);
    nps_spectra_free(q);
}

static void real(void)
{
    nps_spectra *fs = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL), *q;
    nps_spectra_create(&q);
    for (size_t i = 0; i < nps_spectra_count(fs); i += 41) nps_spectra_add_from(q, fs, i);
    nps_library *lib;
    CHECK(nps_library_create(&lib, fs, NULL) == 0);
    sweep(lib, q, "massbank");
    identity_paths(lib, q, "massbank");
    nps_library_free(lib);
    nps_spectra_free(fs);
    nps_spectra_free(q);
    /* EI at unit mass, 0.5 Da, default scores */
    nps_spectra *ei = read_file(data_path("massbank/massbank_ei_all.msp"), NULL);
    nps_spectra_create(&q);
    for (size_t i = 0; i < nps_spectra_count(ei); i += 331) nps_spectra_add_from(q, ei, i);
    CHECK(nps_library_create(&lib, ei, NULL) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    CHECK(compare(lib, q, o, "EI default (composite, open)") > 0);
    o.score = NPS_SCORE_ENTROPY;
    CHECK(compare(lib, q, o, "EI entropy") > 0);
    o.score = NPS_SCORE_COSINE;
    o.reverse = 1;
    CHECK(compare(lib, q, o, "EI cosine reverse") > 0);
    nps_library_free(lib);
    nps_spectra_free(ei);
    nps_spectra_free(q);
}

/* Library peaks at q +/- tol exactly, and one float32 ulp around it, at high m/z
 * where a float32 ulp (1.2e-4 at m/z 1500) is larger than the double rounding. */
static void boundary(void)
{
    nps_spectra *s, *q;
    nps_spectra_create(&s);
    nps_spectra_create(&q);
    const double base[] = {100.0, 499.9, 1499.5, 1999.75};
    const double tol = 0.02;
    char id[32];
    size_t n = 0;
    for (size_t b = 0; b < 4; b++)
        for (int side = -1; side <= 1; side += 2)
            for (int step = -3; step <= 3; step++) {
                double edge = base[b] + side * tol;
                double m = edge;
                for (int k = 0; k < abs(step); k++)
                    m = nextafter(m, step > 0 ? INFINITY : -INFINITY);
                float fm = (float)edge;
                double variants[2] = {m, (double)nextafterf(fm, step > 0 ? INFINITY : 0.0f)};
                for (int v = 0; v < 2; v++) {
                    double mz[2] = {50.0, variants[v]};
                    float in[2] = {10, 100};
                    if (mz[1] < mz[0]) continue;
                    snprintf(id, sizeof id, "B%04zu", n++);
                    synth_add(s, mz, in, 2, id, 2100.0);
                }
            }
    for (size_t b = 0; b < 4; b++) {
        double mz[2] = {50.0, base[b]};
        float in[2] = {10, 100};
        snprintf(id, sizeof id, "Q%zu", b);
        synth_add(q, mz, in, 2, id, 2100.0);
    }
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, &raw) == 0);
    for (int t = 0; t < 4; t++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.score = (nps_score_type)t;
        o.mode = NPS_MODE_OPEN;
        o.tolerance = tol;
        o.top_k = 1000;
        char what[64];
        snprintf(what, sizeof what, "boundary %s", nps_score_name((nps_score_type)t));
        CHECK(compare(lib, q, o, what) > 0);
    }
    nps_library_free(lib);
    nps_spectra_free(s);
    nps_spectra_free(q);
}

/* Many identical library spectra: equal bounds and equal scores, where the
 * K-th bound threshold and the id tie rule decide together. */
static void duplicates(void)
{
    nps_spectra *s, *q;
    nps_spectra_create(&s);
    nps_spectra_create(&q);
    synth_library(s, 50, 21);
    char id[32];
    for (int k = 0; k < 40; k++) {
        /* the peaks are appended from the collection itself (supported), and
         * fetched again each time (appending may move them) */
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(s, 7, &mz, &in, &n);
        snprintf(id, sizeof id, "DUP%02d", (k * 17) % 40);
        CHECK(synth_add(s, mz, in, n, id, nps_spectra_precursor_mz(s, 7)) == 0);
    }
    synth_queries(q, NULL, s, 30, 22);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    for (int t = 0; t < 4; t++)
        for (size_t k = 1; k <= 45; k += 11) {
            nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
            o.score = (nps_score_type)t;
            o.mode = NPS_MODE_OPEN;
            o.top_k = k;
            char what[64];
            snprintf(what, sizeof what, "duplicates %s top %zu", nps_score_name(o.score), k);
            CHECK(compare(lib, q, o, what) > 0);
        }
    nps_library_free(lib);
    nps_spectra_free(s);
    nps_spectra_free(q);
}

/* One plan, many batches: every batch gives the same hits, field for field,
 * as a fresh nps_search_run. */
static void plan_reuse(void)
{
    nps_spectra *s, *q;
    nps_spectra_create(&s);
    nps_spectra_create(&q);
    size_t truth[200];
    synth_library(s, 2000, 11);
    synth_queries(q, truth, s, 200, 12);
    nps_library *lib;
    nps_library_create(&lib, s, NULL);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    o.evalues = 1;
    nps_plan *plan;
    CHECK(nps_plan_create(&plan, lib, &o) == 0);
    nps_hits *h1, *h2, *h3;
    CHECK(nps_search_batch(&h1, plan, q) == 0);
    CHECK(nps_search_batch(&h2, plan, q) == 0);
    CHECK(nps_search_run(&h3, lib, q, &o) == 0);
    CHECK(hits_identical(h1, h2, "plan reuse"));
    CHECK(hits_identical(h1, h3, "plan against a fresh search"));
    size_t right = 0;
    for (size_t i = 0; i < 200; i++) {
        size_t f, n;
        nps_hits_for_query(h1, i, &f, &n);
        right += n > 0 && nps_hits_at(h1, f)->reference == truth[i];
    }
    printf("synthetic open search: %zu of 200 true matches ranked first\n", right);
    CHECK(right >= 190);
    nps_hits_free(h1);
    nps_hits_free(h2);
    nps_hits_free(h3);
    nps_plan_free(plan);
    nps_plan_free(NULL);
    nps_workspace_free(NULL);
    nps_library_free(lib);
    nps_spectra_free(s);
    nps_spectra_free(q);
}

int main(void)
{
    synthetic();
    boundary();
    duplicates();
    plan_reuse();
    real();
    return check_done("test_index");
}

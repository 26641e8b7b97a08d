/*
 * Batch search behaviour: identical results at any thread count, the identity
 * window (Da and ppm, inclusive), top-K, minimum score, kind filtering,
 * composite MF on EI hits, ranking ties by library id, and reverse search.
 */
#include "check.h"

static nps_library *small_library(void)
{
    nps_spectra *s;
    nps_spectra_create(&s);
    const char *k[] = {"Name", "DB#", "PrecursorMZ", "Spectrum_type"};
    const double mz[] = {50, 60, 70, 80};
    const float in[] = {10, 20, 30, 40};
    const char *prec[] = {"200.000", "200.010", "200.0101", "199.990", "200.002", "300.0"};
    const char *ids[] = {"L1", "L2", "L3", "L4", "L5", "L6"};
    for (int i = 0; i < 6; i++) {
        const char *v[] = {ids[i], ids[i], prec[i], "MS2"};
        CHECK(nps_spectra_add(s, mz, in, 4, k, v, 4) == 0);
    }
    /* an EI spectrum with the same peaks */
    const char *ke[] = {"Name", "DB#", "Ionization"};
    const char *ve[] = {"E1", "E1", "EI"};
    CHECK(nps_spectra_add(s, mz, in, 4, ke, ve, 3) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    nps_spectra_free(s);
    return lib;
}

static size_t ids_of(const nps_hits *h, const nps_spectra *lib, size_t q, char *out, size_t cap)
{
    size_t f, n;
    nps_hits_for_query(h, q, &f, &n);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, nps_spectra_id(lib, nps_hits_at(h, f + i)->reference), cap - strlen(out) - 2);
        strncat(out, " ", cap - strlen(out) - 1);
    }
    return n;
}

static void windows(void)
{
    nps_library *lib = small_library();
    const nps_spectra *L = nps_library_spectra(lib);
    nps_spectra *q;
    nps_spectra_create(&q);
    const char *k[] = {"DB#", "PrecursorMZ", "Spectrum_type"};
    const char *v[] = {"Q1", "200.000", "MS2"};
    const double mz[] = {50, 60, 70, 80};
    const float in[] = {10, 20, 30, 40};
    nps_spectra_add(q, mz, in, 4, k, v, 3);
    const char *ke[] = {"DB#", "Ionization"};
    const char *ve[] = {"QE", "EI"};
    nps_spectra_add(q, mz, in, 4, ke, ve, 2);

    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    nps_hits *h;
    char buf[256];
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    /* identity, 0.01 Da inclusive: L1, L2 (+0.010), L4 (-0.010), L5; not L3 (+0.0101), not L6 */
    CHECK(ids_of(h, L, 0, buf, sizeof buf) == 4);
    CHECK_MSG(strcmp(buf, "L1 L2 L4 L5 ") == 0, "%s", buf); /* equal scores: by id */
    const nps_hit *x = nps_hits_at(h, 0);
    CHECK(x->mode == NPS_MODE_IDENTITY && x->score_type == NPS_SCORE_ENTROPY && x->rank == 1);
    CHECK(isnan(x->composite));
    /* the EI query: open mode, EI references only, composite reported */
    size_t f, n;
    nps_hits_for_query(h, 1, &f, &n);
    CHECK(n == 1 && strcmp(nps_spectra_id(L, nps_hits_at(h, f)->reference), "E1") == 0);
    CHECK(nps_hits_at(h, f)->mode == NPS_MODE_OPEN);
    CHECK(nps_hits_at(h, f)->score_type == NPS_SCORE_COMPOSITE);
    CHECK_NEAR(nps_hits_at(h, f)->composite, 1.0, 1e-9);
    nps_hits_free(h);

    /* ppm window: 50 ppm of 200 = 0.01 Da */
    o.precursor_tolerance = 50;
    o.precursor_tolerance_ppm = 1;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    CHECK(ids_of(h, L, 0, buf, sizeof buf) == 4);
    nps_hits_free(h);
    o.precursor_tolerance = 10; /* 0.002 Da */
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    CHECK(ids_of(h, L, 0, buf, sizeof buf) == 2 && strcmp(buf, "L1 L5 ") == 0);
    nps_hits_free(h);

    /* open mode sees everything of the same kind; top-K cuts; any-kind lets E1 in */
    o = (nps_search_options)NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    CHECK(ids_of(h, L, 0, buf, sizeof buf) == 6);
    nps_hits_free(h);
    o.top_k = 2;
    o.same_kind_only = 0;
    o.score = NPS_SCORE_COSINE;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    CHECK(ids_of(h, L, 0, buf, sizeof buf) == 2 && strcmp(buf, "E1 L1 ") == 0);
    nps_hits_free(h);
    o.min_score = 1.5;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    CHECK(nps_hits_count(h) == 0);
    nps_hits_free(h);
    o.top_k = 0;
    CHECK(nps_search_run(&h, lib, q, &o) == NPS_EINVAL);
    nps_spectra_free(q);
    nps_library_free(lib);
}

static void threads(void)
{
    nps_spectra *fs = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    nps_library *lib;
    CHECK(nps_library_create(&lib, fs, NULL) == 0);
    nps_spectra *q;
    nps_spectra_create(&q);
    for (size_t i = 0; i < nps_spectra_count(fs); i += 7) nps_spectra_add_from(q, fs, i);
    nps_spectra *ei = read_file(
        data_path("format_vectors/openms/MoNA-export-GC-MS_Spectra_reduced_TSE_matchSpectrum.msp"),
        NULL);
    for (size_t i = 0; i < nps_spectra_count(ei); i++) nps_spectra_add_from(q, ei, i);
    static const nps_score_type scores[] = {NPS_SCORE_AUTO, NPS_SCORE_ENTROPY_UNWEIGHTED,
                                            NPS_SCORE_COSINE, NPS_SCORE_COMPOSITE};
    for (int s = 0; s < 4; s++)
        for (int mode = -1; mode <= 1; mode++) {
            nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
            o.score = scores[s];
            o.mode = (nps_search_mode)mode;
            o.reverse = s == 2;
            nps_hits *h1, *h2;
            o.threads = 1;
            CHECK(nps_search_run(&h1, lib, q, &o) == 0);
            o.threads = 2;
            CHECK(nps_search_run(&h2, lib, q, &o) == 0);
            CHECK_MSG(hits_identical(h1, h2, "1 and 2 threads"), "score %d mode %d", (int)scores[s],
                      mode);
            CHECK(nps_hits_count(h1) > 0);
            /* a query that is in the library finds itself first (or tied first) */
            if (mode != 0 && s == 0) {
                size_t f, n;
                nps_hits_for_query(h1, 1, &f, &n);
                CHECK(n > 0 && nps_hits_at(h1, f)->score > 0.99);
            }
            nps_hits_free(h1);
            nps_hits_free(h2);
        }
    nps_spectra_free(ei);
    nps_spectra_free(q);
    nps_library_free(lib);
    nps_spectra_free(fs);
}

/* Large K: hits sorted (score descending, then id ascending), and a K larger
 * than the library is clamped, not allocated. */
static void large_k(void)
{
    nps_spectra *fs = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL), *q;
    nps_library *lib;
    CHECK(nps_library_create(&lib, fs, NULL) == 0);
    nps_spectra_create(&q);
    for (size_t i = 3; i < nps_spectra_count(fs); i += 97) nps_spectra_add_from(q, fs, i);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    o.score = NPS_SCORE_COSINE;
    o.top_k = (size_t)1 << 40;
    nps_hits *h;
    CHECK(nps_search_run(&h, lib, q, &o) == 0);
    const nps_spectra *L = nps_library_spectra(lib);
    size_t bad = 0, most = 0;
    for (size_t qi = 0; qi < nps_spectra_count(q); qi++) {
        size_t f, n;
        nps_hits_for_query(h, qi, &f, &n);
        if (n > most) most = n;
        for (size_t k = 1; k < n; k++) {
            const nps_hit *a = nps_hits_at(h, f + k - 1), *b = nps_hits_at(h, f + k);
            int ok = a->score > b->score ||
                     (a->score == b->score &&
                      strcmp(nps_spectra_id(L, a->reference), nps_spectra_id(L, b->reference)) < 0);
            bad += !ok || b->rank != k + 1;
        }
    }
    CHECK(bad == 0);
    CHECK(most > 100 && most <= nps_spectra_count(L));
    nps_hits_free(h);
    nps_spectra_free(q);
    nps_library_free(lib);
    nps_spectra_free(fs);
}

int main(void)
{
    windows();
    large_k();
    threads();
    return check_done("test_search");
}

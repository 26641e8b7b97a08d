/*
 * Confidence: target-decoy q-values are calibrated on a synthetic set whose
 * truth is known, and e-values separate true matches from chance.
 *
 * Set: 3000 synthetic MS/MS library spectra (bench/synth.h); 400 queries are
 * noisy copies of library spectra (their true match is in the library), 400
 * are noisy copies of spectra of a second synthetic library that is not
 * searched (any hit is false). Decoys: one per library spectrum
 * (nps_decoys_generate). Open search, entropy, best hit per query.
 * Stated tolerance: at every FDR level 1 %, 5 %, 10 %, 20 %, the false
 * discovery proportion among accepted queries is at most the level + 0.03.
 */
#include "check.h"

#include "../bench/synth.h"
#include "../src/stats/stats.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void target_decoy(void)
{
    nps_spectra *lib, *other, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&other);
    nps_spectra_create(&q);
    synth_library(lib, 3000, 101);
    synth_library(other, 400, 202);
    size_t truth[800];
    synth_queries(q, truth, lib, 400, 303);
    synth_queries(q, truth + 400, other, 400, 404);
    for (size_t i = 400; i < 800; i++) truth[i] = SIZE_MAX;

    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    nps_library *T;
    CHECK(nps_library_create(&T, lib, &cfg) == 0);
    nps_spectra *dec = NULL;
    CHECK(nps_decoys_generate(&dec, nps_library_processed(T), 7) == 0);
    CHECK(dec && nps_spectra_count(dec) == 3000);
    /* decoys keep precursor, peak count and intensities */
    if (dec) {
        const double *a, *b;
        const float *ia, *ib;
        size_t na, nb;
        nps_spectra_peaks(nps_library_processed(T), 5, &a, &ia, &na);
        nps_spectra_peaks(dec, 5, &b, &ib, &nb);
        CHECK(na == nb);
        CHECK(nps_spectra_precursor_mz(dec, 5) ==
              nps_spectra_precursor_mz(nps_library_processed(T), 5));
        CHECK(strncmp(nps_spectra_id(dec, 5), "DECOY_", 6) == 0);
        double sa = 0, sb = 0;
        for (size_t k = 0; k < na; k++) sa += ia[k];
        for (size_t k = 0; k < nb; k++) sb += ib[k];
        CHECK_NEAR(sa, sb, 1e-3);
        for (size_t k = 0; k < nb; k++) CHECK(b[k] < nps_spectra_precursor_mz(dec, 5));
    }
    /* the naive variant: same shape, independent draws */
    nps_spectra *naive = NULL;
    CHECK(nps_decoys_generate_ex(&naive, nps_library_processed(T), 7, 0) == 0);
    CHECK(naive && nps_spectra_count(naive) == 3000);
    nps_spectra_free(naive);
    nps_spectra *all;
    nps_spectra_create(&all);
    for (size_t i = 0; i < 3000; i++) nps_spectra_add_from(all, nps_library_processed(T), i);
    for (size_t i = 0; dec && i < nps_spectra_count(dec); i++) nps_spectra_add_from(all, dec, i);
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    nps_library *TD;
    CHECK(nps_library_create(&TD, all, &raw) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    o.top_k = 3;
    o.evalues = 1;
    nps_spectra *qp = NULL;
    nps_preprocess_spectra(&qp, q, &cfg);
    nps_hits *h = NULL;
    CHECK(nps_search_run(&h, TD, qp, &o) == 0);
    double thr;
    size_t nd = 0;
    CHECK(nps_hits_target_decoy(h, 3000, 0.05, &thr, &nd) == 0);
    printf("target-decoy: %zu of 800 queries had a decoy best hit; 5 %% FDR threshold %.3f\n", nd,
           thr);
    static const double levels[] = {0.01, 0.05, 0.10, 0.20};
    for (size_t l = 0; l < 4; l++) {
        size_t acc = 0, wrong = 0;
        for (size_t i = 0; i < 800; i++) {
            size_t f, n;
            nps_hits_for_query(h, i, &f, &n);
            if (!n) continue;
            const nps_hit *x = nps_hits_at(h, f);
            CHECK(x->reference < 3000 && x->rank == 1);
            if (!(x->q_value <= levels[l])) continue;
            acc++;
            wrong += x->reference != truth[i];
        }
        double fdp = acc ? (double)wrong / (double)acc : 0;
        printf("  FDR level %.2f: %zu queries accepted, false discovery proportion %.3f\n",
               levels[l], acc, fdp);
        CHECK(fdp <= levels[l] + 0.03);
        CHECK(acc >= 300); /* the true matches are found */
    }
    /* e-values: true matches far below 1, chance best hits around 1 */
    double et[400] = {0}, ef[400] = {0};
    size_t nt = 0, nf = 0;
    for (size_t i = 0; i < 800; i++) {
        size_t f, n;
        nps_hits_for_query(h, i, &f, &n);
        if (!n || isnan(nps_hits_at(h, f)->e_value)) continue;
        if (truth[i] != SIZE_MAX && nps_hits_at(h, f)->reference == truth[i])
            et[nt++] = nps_hits_at(h, f)->e_value;
        else if (truth[i] == SIZE_MAX)
            ef[nf++] = nps_hits_at(h, f)->e_value;
    }
    qsort(et, nt, sizeof *et, cmp_d);
    qsort(ef, nf, sizeof *ef, cmp_d);
    printf("e-values: %zu true best hits, median %.3g; %zu chance best hits, median %.3g\n", nt,
           nt ? et[nt / 2] : NAN, nf, nf ? ef[nf / 2] : NAN);
    CHECK(nt >= 300 && nf >= 250); /* most queries have >= 100 candidates */
    CHECK(nt && et[nt / 2] < 1e-3);
    CHECK(nf && ef[nf / 2] > 0.05 && ef[nf / 2] < 20);
    nps_hits_free(h);
    /* the library's own target-decoy search: decoys built inside, hits refer to
     * the targets only and all carry a q-value */
    nps_hits *td = NULL;
    double thr2;
    size_t nd2;
    o.evalues = 0;
    CHECK(nps_search_target_decoy(&td, T, q, &o, 0.05, &thr2, &nd2) == 0);
    for (size_t i = 0; td && i < nps_hits_count(td); i++)
        CHECK(nps_hits_at(td, i)->reference < 3000 && !isnan(nps_hits_at(td, i)->q_value));
    CHECK(td && nd2 > 100 && isfinite(thr2));
    nps_hits_free(td);
    o.evalues = 1;
    /* identity mode: a precursor window holds too few candidates for a fit */
    o.mode = NPS_MODE_IDENTITY;
    CHECK(nps_search_run(&h, T, q, &o) == 0);
    size_t fitted = 0;
    for (size_t i = 0; h && i < nps_hits_count(h); i++)
        fitted += !isnan(nps_hits_at(h, i)->e_value);
    CHECK(fitted == 0);
    nps_hits_free(h);
    nps_spectra_free(qp);
    nps_library_free(TD);
    nps_library_free(T);
    nps_spectra_free(all);
    nps_spectra_free(dec);
    nps_spectra_free(q);
    nps_spectra_free(other);
    nps_spectra_free(lib);
}

/* Add spectrum i of src with extra fields (Compound, Lab). */
static void add_with(nps_spectra *dst, const nps_spectra *src, size_t i, const char *compound,
                     const char *lab, const char *id)
{
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(src, i, &mz, &in, &n);
    char p[40];
    snprintf(p, sizeof p, "%.6f", nps_spectra_precursor_mz(src, i));
    const char *k[] = {"DB#", "Compound", "Lab", "PrecursorMZ", "Spectrum_type"};
    const char *v[] = {id, compound, lab, p, "MS2"};
    nps_spectra_add(dst, mz, in, n, k, v, 5);
}

/* nps_evaluate on a set with known answers: 1000 library spectra, two per
 * compound from two labs; 300 queries that are noisy copies of library
 * spectra (same compound and lab as their source) and 100 of compounds the
 * library lacks (not evaluated). */
static void evaluate_known(void)
{
    nps_spectra *raw, *lib, *qraw, *q;
    nps_spectra_create(&raw);
    nps_spectra_create(&lib);
    nps_spectra_create(&qraw);
    nps_spectra_create(&q);
    synth_library(raw, 1000, 55);
    char comp[32], lab[8], id[32];
    for (size_t i = 0; i < 1000; i++) {
        snprintf(comp, sizeof comp, "C%zu", i / 2);
        snprintf(lab, sizeof lab, "L%zu", i % 2);
        snprintf(id, sizeof id, "R%zu", i);
        add_with(lib, raw, i, comp, lab, id);
    }
    size_t truth[300];
    synth_queries(qraw, truth, raw, 300, 66);
    for (size_t i = 0; i < 300; i++) {
        snprintf(comp, sizeof comp, "C%zu", truth[i] / 2);
        snprintf(lab, sizeof lab, "L%zu", truth[i] % 2);
        snprintf(id, sizeof id, "Q%zu", i);
        add_with(q, qraw, i, comp, lab, id);
    }
    nps_spectra *other;
    nps_spectra_create(&other);
    synth_library(other, 100, 77);
    for (size_t i = 0; i < 100; i++) {
        snprintf(comp, sizeof comp, "X%zu", i);
        snprintf(id, sizeof id, "X%zu", i);
        add_with(q, other, i, comp, "L0", id);
    }
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    nps_evaluate_options eo = NPS_EVALUATE_OPTIONS_INIT;
    eo.truth_key = "Compound";
    eo.search.mode = NPS_MODE_OPEN;
    nps_evaluation *e = NULL;
    CHECK(nps_evaluate(&e, L, q, &eo) == 0);
    if (e) {
        printf("evaluate: %zu evaluated of %zu, top-1 %.3f, MRR %.3f\n", e->n_evaluated,
               e->n_queries, e->top1, e->mrr);
        CHECK(e->n_queries == 400 && e->n_evaluated == 300);
        CHECK(e->top1 >= 0.95 && e->mrr >= e->top1 && e->top5 >= e->top1);
        /* the probability table: every evaluated top hit (MS/MS entropy has a
         * model) in one bin, the right ones counted as top-1 counts them */
        size_t binned = 0;
        double right = 0;
        for (int b = 0; b < NPS_EVALUATE_PROB_BINS; b++) {
            binned += e->prob_n[b];
            if (!e->prob_n[b]) continue;
            right += e->prob_observed[b] * (double)e->prob_n[b];
            CHECK(e->prob_mean[b] >= b / 10.0 && e->prob_mean[b] <= (b + 1) / 10.0);
        }
        CHECK_MSG(binned == e->n_hit, "%zu binned of %zu", binned, e->n_hit);
        CHECK(fabs(right - e->top1 * (double)e->n_evaluated) < 1e-6);
        nps_evaluation_free(e);
    }
    /* the query's own laboratory left out: its source spectrum is gone and the
     * other lab's spectrum of the "compound" is an unrelated random spectrum */
    eo.exclude_same_key = "Lab";
    CHECK(nps_evaluate(&e, L, q, &eo) == 0);
    if (e) {
        printf("evaluate, own lab left out: top-1 %.3f\n", e->top1);
        CHECK(e->n_evaluated == 300 && e->top1 < 0.1);
        nps_evaluation_free(e);
    }
    /* leave-compound-out: every query with a truth is evaluated */
    eo.exclude_same_key = NULL;
    eo.leave_compound_out = 1;
    CHECK(nps_evaluate(&e, L, q, &eo) == 0);
    if (e) {
        CHECK(e->n_evaluated == 400 && e->lco_n <= 400);
        nps_evaluation_free(e);
    }
    nps_library_free(L);
    nps_spectra_free(other);
    nps_spectra_free(raw);
    nps_spectra_free(lib);
    nps_spectra_free(qraw);
    nps_spectra_free(q);
}

static int cmp_desc_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* The tail fit selects the upper tail instead of sorting the whole sample
 * (a histogram, a gathering pass, a radix sort): on shuffled samples with
 * many ties, with none, with one crowded value and zeros, spanning twelve
 * orders of magnitude, and a few ulps apart, it gives exactly the fit of a fully sorted copy, and
 * leaves the tail sorted at the front. */
static void tail_fit_selection(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77);
    static const size_t sizes[] = {100, 101, 999, 20000};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int ties = 0; ties < 5; ties++) {
            size_t n = sizes[si];
            double *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *v);
            for (size_t i = 0; i < n; i++) {
                double x = gsl_ran_exponential(r, 0.1);
                if (ties == 1)
                    x = floor(x * 50) / 50; /* a score grid of 0.02 */
                else if (ties == 2)         /* one crowded value just below the top, and zeros */
                    x = i % 7 == 0 ? 0 : i % 97 == 0 ? 0.9 + x / 100 : 0.8;
                else if (ties == 3) /* twelve orders of magnitude: every radix digit at work */
                    x = pow(10, -12 * gsl_rng_uniform(r));
                else if (ties == 4) /* values a few ulps apart: the lowest digits decide */
                    x = 0.5 + (double)gsl_rng_uniform_int(r, 1000) * 0x1p-53;
                v[i] = x;
            }
            memcpy(sorted, v, n * sizeof *v);
            qsort(sorted, n, sizeof *sorted, cmp_desc_d);
            double a1 = 0, b1 = 0, a2 = 0, b2 = 0;
            int ok1 = nps_tail_fit(&a1, &b1, v, n, 100, 0.1, 0.0);
            double *ref = malloc(n * sizeof *v);
            memcpy(ref, sorted, n * sizeof *v);
            int ok2 = nps_tail_fit(&a2, &b2, ref, n, 100, 0.1, 0.0);
            CHECK_MSG(ok1 == ok2 && a1 == a2 && b1 == b2, "n %zu ties %d: %g %g / %g %g", n, ties,
                      a1, b1, a2, b2);
            size_t m = (size_t)ceil(0.1 * (double)n);
            if (m < 10) m = 10;
            CHECK_MSG(memcmp(v, sorted, m * sizeof *v) == 0, "n %zu ties %d: tail not in front", n,
                      ties);
            free(v);
            free(sorted);
            free(ref);
        }
    gsl_rng_free(r);
}

/*
 * The e-value's null sample leaves out the top hit's compound: a library
 * holding 20 replicate spectra of the query's compound (one InChIKey) among
 * 2,000 others. Were the replicates counted as chance, the top hit would
 * have an e-value near their number (19 scores as high as its own); without
 * them it is far below 1.
 */
static void evalue_replicates(void)
{
    /* peaks on a unit grid, so random spectra share a few peaks and the
     * chance scores form a continuous tail to fit */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    nps_spectra *lib, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    double mz[30], tm[30];
    float in[30], ti[30];
    for (size_t j = 0; j < 30; j++) { /* the target compound */
        tm[j] = 50.0 + 7.0 * (double)j;
        ti[j] = (float)(1000 * gsl_ran_lognormal(r, 0, 1));
    }
    for (int k = 0; k < 3021; k++) {
        const char *name = "Target compound", *ik = "ABCDEFGHIJKLMN-UHFFFAOYSA-N";
        char id[32], nm[32], iks[40];
        snprintf(id, sizeof id, k < 20 ? "REP%02d" : k == 20 ? "QUERY" : "OTHER%05d", k);
        if (k <= 20) { /* 20 replicates in the library, then the query */
            for (size_t j = 0; j < 30; j++) {
                mz[j] = tm[j];
                in[j] = (float)(ti[j] * gsl_ran_lognormal(r, 0, 0.15));
            }
        } else { /* other compounds: 30 distinct unit masses in [50, 250] */
            size_t n = 0;
            while (n < 30) {
                double m = 50.0 + (double)gsl_rng_uniform_int(r, 201);
                int dup = 0;
                for (size_t j = 0; j < n; j++) dup |= mz[j] == m;
                if (dup) continue;
                mz[n] = m;
                in[n++] = (float)(1000 * gsl_ran_lognormal(r, 0, 1));
            }
            snprintf(nm, sizeof nm, "compound %d", k);
            snprintf(iks, sizeof iks, "OTHER%09d-UHFFFAOYSA-N", k);
            name = nm;
            ik = iks;
        }
        /* sort the peaks by m/z */
        for (size_t i = 1; i < 30; i++)
            for (size_t j = i; j > 0 && mz[j - 1] > mz[j]; j--) {
                double t = mz[j];
                mz[j] = mz[j - 1];
                mz[j - 1] = t;
                float u = in[j];
                in[j] = in[j - 1];
                in[j - 1] = u;
            }
        const char *keys[] = {"Name", "DB#", "PrecursorMZ", "InChIKey"};
        const char *vals[] = {name, id, "300.0", ik};
        CHECK(nps_spectra_add(k == 20 ? q : lib, mz, in, 30, keys, vals, 4) == 0);
    }
    gsl_rng_free(r);
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    o.evalues = 1;
    o.top_k = 25;
    nps_hits *h;
    CHECK(nps_search_run(&h, L, q, &o) == 0);
    CHECK(nps_hits_count(h) > 20);
    const nps_hit *top = nps_hits_at(h, 0);
    CHECK(strncmp(nps_spectra_id(nps_library_spectra(L), top->reference), "REP", 3) == 0);
    CHECK_MSG(top->e_value < 0.1, "top hit e-value %g", top->e_value);
    nps_hits_free(h);
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
}

/* A null sample of thousands of candidates is thinned before the fit
 * (query.c), its survival counts scaled back: the e-value of the k-th hit of
 * a query that matches nothing but chance is still about k (the number of
 * library spectra scoring as well), by the index and by the pairwise path. */
static void evalue_thinned_null(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242);
    nps_spectra *lib, *q;
    nps_spectra_create(&lib);
    nps_spectra_create(&q);
    for (int k = 0; k <= 6000; k++) {
        double mz[30] = {0};
        float in[30] = {0};
        size_t n = 0;
        while (n < 30) { /* 30 distinct unit masses in [50, 250], ascending */
            double m = 50.0 + (double)gsl_rng_uniform_int(r, 201);
            size_t j = 0;
            while (j < n && mz[j] < m) j++;
            if (j < n && mz[j] == m) continue;
            memmove(mz + j + 1, mz + j, (n - j) * sizeof *mz);
            memmove(in + j + 1, in + j, (n - j) * sizeof *in);
            mz[j] = m;
            in[j] = (float)(1000 * gsl_ran_lognormal(r, 0, 1));
            n++;
        }
        char id[32], ik[40];
        snprintf(id, sizeof id, "R%05d", k);
        snprintf(ik, sizeof ik, "CHANCE%08d-UHFFFAOYSA-N", k);
        const char *keys[] = {"Name", "DB#", "PrecursorMZ", "InChIKey"};
        const char *vals[] = {id, id, "300.0", ik};
        CHECK(nps_spectra_add(k == 6000 ? q : lib, mz, in, 30, keys, vals, 4) == 0);
    }
    gsl_rng_free(r);
    nps_library *L;
    CHECK(nps_library_create(&L, lib, NULL) == 0);
    for (int exhaustive = 0; exhaustive < 2; exhaustive++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = NPS_MODE_OPEN;
        o.evalues = 1;
        o.top_k = 30;
        o.exhaustive = exhaustive;
        nps_hits *h = NULL;
        CHECK(nps_search_run(&h, L, q, &o) == 0);
        CHECK(h && nps_hits_count(h) == 30);
        for (size_t k = 5; h && k <= 30; k += 5) {
            double e = nps_hits_at(h, k - 1)->e_value;
            CHECK_MSG(e > (double)k / 2.5 && e < 2.5 * (double)k,
                      "exhaustive %d: e-value of hit %zu is %g", exhaustive, k, e);
        }
        nps_hits_free(h);
    }
    nps_library_free(L);
    nps_spectra_free(lib);
    nps_spectra_free(q);
}

int main(void)
{
    evalue_replicates();
    evalue_thinned_null();
    tail_fit_selection();
    target_decoy();
    evaluate_known();
    return check_done("test_stats");
}

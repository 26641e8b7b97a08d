/*
 * Runs (issue 12): reading runs and their irregularities, netCDF ANDI-MS
 * (round trip, missing variables, bad scan ranges), the retention index
 * and its penalty at the edges, GC-MS deconvolution of generated runs
 * (runsim.h, from the bundled library) with truth, at any thread count,
 * LC-MS/MS consensus groups, the RI penalty on hits, and the screen report.
 */
#include "check.h"
#include "scratch.h"

#include "../bench/runsim.h"
#include "../src/stats/stats.h"

#include <jansson.h>
#include <netcdf.h>
#include <pthread.h>

static int same_spectra_but(const nps_spectra *a, const nps_spectra *b, const char *ignore);
#define same_spectra(a, b) same_spectra_but(a, b, NULL)

static nps_spectra *scans_of(const double *t, const int *level, const double *prec, size_t n,
                             size_t peaks)
{
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    for (size_t i = 0; i < n; i++) {
        double mz[8];
        float in[8];
        for (size_t k = 0; k < peaks; k++) {
            mz[k] = 50.0 + 10.0 * (double)k + (double)i * 0.001;
            in[k] = (float)(100 + i + k);
        }
        char rt[32], lv[8], pm[32], id[32];
        snprintf(rt, sizeof rt, "%.6f", t[i]);
        snprintf(lv, sizeof lv, "MS%d", level ? level[i] : 1);
        snprintf(pm, sizeof pm, "%.4f", prec ? prec[i] : 0.0);
        snprintf(id, sizeof id, "scan=%zu", i + 1);
        const char *k[] = {"SPECTRUM_ID", "Spectrum_type", "Retention_time", "PrecursorMZ"};
        const char *v[] = {id, lv, rt, pm};
        size_t nm = prec && level && level[i] > 1 ? 4 : 3;
        if (t[i] < 0) { /* no time */
            k[2] = "Comments";
            v[2] = "no time";
        }
        if (nps_spectra_add(s, mz, in, peaks, k, v, nm)) exit(2);
    }
    return s;
}

/* NNLS against every subset's unconstrained solution (the optimum is one of
 * them): random problems, some with unconstrained solutions of mixed sign. */
static void test_nnls(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + gsl_rng_uniform_int(g, 5), m = 12;
        double A[12 * 5], b[12], G[25], h[5], x[5], work[64];
        unsigned char fs[5];
        for (size_t i = 0; i < m; i++) {
            b[i] = gsl_ran_gaussian(g, 1.0) + (trial % 4 == 1 ? 1.0 : 0.0);
            /* odd trials: nearly collinear columns, where freeing one variable
             * drives another negative (the inner loop of the active set) */
            double common = gsl_rng_uniform(g);
            for (size_t j = 0; j < n; j++)
                A[i * n + j] = trial % 2 ? common + 0.2 * gsl_rng_uniform(g)
                                         : gsl_rng_uniform(g) + (j == i % n);
        }
        for (size_t a = 0; a < n; a++) {
            h[a] = 0;
            for (size_t i = 0; i < m; i++) h[a] += A[i * n + a] * b[i];
            for (size_t c = 0; c < n; c++) {
                G[a * n + c] = 0;
                for (size_t i = 0; i < m; i++) G[a * n + c] += A[i * n + a] * A[i * n + c];
            }
        }
        CHECK(nps_nnls_work_size(n) <= 64);
        CHECK(nps_nnls_gram(x, G, h, n, work, fs) == 0);
        double rss = 0;
        for (size_t i = 0; i < m; i++) {
            double r = b[i];
            for (size_t j = 0; j < n; j++) r -= A[i * n + j] * x[j];
            rss += r * r;
        }
        for (size_t j = 0; j < n; j++) CHECK(x[j] >= 0);
        /* brute force: the best feasible subset solution (normal equations by
         * Gauss-Jordan elimination here, independent of the code under test) */
        double best = 0;
        for (size_t i = 0; i < m; i++) best += b[i] * b[i];
        for (unsigned mask = 1; mask < (1u << n); mask++) {
            size_t idx[5], k = 0;
            for (size_t j = 0; j < n; j++)
                if (mask & (1u << j)) idx[k++] = j;
            double M[5][6];
            for (size_t a = 0; a < k; a++) {
                for (size_t c = 0; c < k; c++) M[a][c] = G[idx[a] * n + idx[c]];
                M[a][k] = h[idx[a]];
            }
            int ok = 1;
            for (size_t p = 0; p < k && ok; p++) {
                if (fabs(M[p][p]) < 1e-12) {
                    ok = 0;
                    break;
                }
                for (size_t r = 0; r < k; r++) {
                    if (r == p) continue;
                    double f = M[r][p] / M[p][p];
                    for (size_t c = p; c <= k; c++) M[r][c] -= f * M[p][c];
                }
            }
            double z[5] = {0};
            for (size_t a = 0; a < k && ok; a++) {
                z[idx[a]] = M[a][k] / M[a][a];
                if (!(z[idx[a]] > 0)) ok = 0;
            }
            if (!ok) continue;
            double r2 = 0;
            for (size_t i = 0; i < m; i++) {
                double r = b[i];
                for (size_t j = 0; j < n; j++) r -= A[i * n + j] * z[j];
                r2 += r * r;
            }
            if (r2 < best) best = r2;
        }
        CHECK_MSG(rss <= best + 1e-9 * (1 + best), "trial %d: nnls %.12g, best %.12g", trial, rss,
                  best);
    }
    gsl_rng_free(g);
}

/* Runs read on several threads at once (screen reads one run per thread):
 * the netCDF library under them is not thread-safe, so the reader must
 * serialise it. */
typedef struct {
    const char *path;
    nps_spectra *comp;
    int rc;
} par_job;

static void *par_read(void *arg)
{
    par_job *j = arg;
    nps_deconvolve_options d = NPS_DECONVOLVE_OPTIONS_INIT;
    d.window = 256;
    j->rc = nps_run_components(&j->comp, NULL, NULL, j->path, NULL, &d, NULL);
    return NULL;
}

static void test_parallel_andi(const char *path)
{
    for (int round = 0; round < 8; round++) {
        pthread_t th[4];
        par_job jobs[4];
        char copies[4][512];
        for (int i = 0; i < 4; i++) {
            char cmd[1200];
            snprintf(copies[i], sizeof copies[i], "%s.%d.cdf", path, i);
            snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copies[i]);
            if (system(cmd) != 0) exit(2);
        }
        for (int i = 0; i < 4; i++) {
            jobs[i].path = copies[i];
            jobs[i].comp = NULL;
            if (pthread_create(&th[i], NULL, par_read, &jobs[i])) exit(2);
        }
        for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
        for (int i = 0; i < 4; i++) {
            CHECK(jobs[i].rc == 0);
            if (i && jobs[0].comp && jobs[i].comp)
                CHECK(same_spectra_but(jobs[0].comp, jobs[i].comp, "Run"));
        }
        CHECK(jobs[0].comp && nps_spectra_count(jobs[0].comp) > 0);
        for (int i = 0; i < 4; i++) nps_spectra_free(jobs[i].comp);
    }
}

static void test_ri(void)
{
    int c[] = {12, 10, 11, 14};
    double t[] = {6.0, 4.0, 5.0, 8.0};
    nps_ri_ladder *l;
    CHECK(nps_ri_ladder_create(&l, c, t, 4) == 0);
    CHECK(nps_ri_ladder_count(l) == 4);
    int c0;
    double t0;
    nps_ri_ladder_at(l, 0, &c0, &t0);
    CHECK(c0 == 10 && t0 == 4.0);
    double ri;
    CHECK(nps_ri_at(&ri, l, 4.0) == 0 && ri == 1000.0);
    CHECK(nps_ri_at(&ri, l, 5.0) == 0 && ri == 1100.0);
    CHECK(nps_ri_at(&ri, l, 4.5) == 0 && ri == 1050.0);
    CHECK(nps_ri_at(&ri, l, 4.25) == 0 && ri == 1025.0);
    /* C13 missing: C12 at 6, C14 at 8, linear over the gap */
    CHECK(nps_ri_at(&ri, l, 7.0) == 0 && ri == 1300.0);
    CHECK(nps_ri_at(&ri, l, 6.5) == 0 && ri == 1250.0);
    CHECK(nps_ri_at(&ri, l, 8.0) == 0 && ri == 1400.0);
    /* outside: never extrapolated */
    CHECK(nps_ri_at(&ri, l, 3.99) == NPS_ERANGE && isnan(ri));
    CHECK(nps_ri_at(&ri, l, 8.01) == NPS_ERANGE && isnan(ri));
    CHECK(nps_ri_at(&ri, l, NAN) == NPS_ERANGE);
    /* the formula against an independent computation at many times */
    for (double x = 4.0; x <= 8.0; x += 0.137) {
        double expect = x <= 5   ? 1000 + 100 * (x - 4)
                        : x <= 6 ? 1100 + 100 * (x - 5)
                                 : 1200 + 200 * (x - 6) / 2;
        CHECK(nps_ri_at(&ri, l, x) == 0);
        CHECK_NEAR(ri, expect, 1e-9);
    }
    nps_ri_ladder_free(l);
    nps_ri_ladder_free(NULL);
    /* refused ladders */
    int dup[] = {10, 10};
    double dt[] = {4, 5};
    CHECK(nps_ri_ladder_create(&l, dup, dt, 2) == NPS_EINVAL && l == NULL);
    CHECK(strstr(nps_error_last(), "C10 given twice") != NULL);
    int inv[] = {10, 11};
    double it[] = {5, 4};
    CHECK(nps_ri_ladder_create(&l, inv, it, 2) == NPS_EINVAL);
    CHECK(strstr(nps_error_last(), "not after") != NULL);
    CHECK(nps_ri_ladder_create(&l, inv, it, 1) == NPS_EINVAL);
    /* files */
    const char *p = scratch_write(
        "ladder.tsv", "carbon\trt_min\n# a comment\nC10 4.0\n\nn-C11\t5.0\n12, 6.0\n", 0);
    CHECK(nps_ri_ladder_read(&l, p) == 0);
    CHECK(l && nps_ri_ladder_count(l) == 3);
    CHECK(nps_ri_at(&ri, l, 5.5) == 0 && ri == 1150.0);
    nps_ri_ladder_free(l);
    p = scratch_write("bad.tsv", "C10 4.0\nC11 five\n", 0);
    CHECK(nps_ri_ladder_read(&l, p) == NPS_EFORMAT);
    CHECK(strstr(nps_error_last(), ":2:") != NULL);
    p = scratch_write("unsorted.tsv", "C10 4.0\nC11 3.0\n", 0);
    CHECK(nps_ri_ladder_read(&l, p) == NPS_EINVAL);
    CHECK(strstr(nps_error_last(), "unsorted.tsv") != NULL);
    CHECK(nps_ri_ladder_read(&l, scratch_path("missing.tsv")) == NPS_EIO);
}

static void test_penalty(void)
{
    nps_ri_options o = NPS_RI_OPTIONS_INIT;
    CHECK(nps_ri_penalty(&o, 1200, 1200) == 0);
    CHECK(nps_ri_penalty(&o, 1220, 1200) == 0); /* at the window's edge */
    CHECK(nps_ri_penalty(&o, 1180, 1200) == 0);
    CHECK_NEAR(nps_ri_penalty(&o, 1221, 1200), 0.005, 1e-12);
    CHECK_NEAR(nps_ri_penalty(&o, 1170, 1200), 0.05, 1e-12);
    CHECK_NEAR(nps_ri_penalty(&o, 1260, 1200), 0.2, 1e-12); /* reaches the maximum */
    CHECK(nps_ri_penalty(&o, 1500, 1200) == 0.2);           /* and stays there */
    CHECK(nps_ri_penalty(&o, NAN, 1200) == 0);              /* no calibration */
    CHECK(nps_ri_penalty(&o, 1200, NAN) == 0);              /* no library RI: no_ri = 0 */
    o.no_ri = 0.05;
    CHECK(nps_ri_penalty(&o, 1200, NAN) == 0.05);
    /* RI from metadata */
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    double mz[] = {50};
    float in[] = {1};
    const char *k1[] = {"Retention_index"}, *v1[] = {"1234.5"};
    const char *v2[] = {"SemiStdNP=1250/3/12 StdNP=1230/2/8"};
    const char *v3[] = {"StdNP=1230/2/8"};
    const char *k4[] = {"Comments"}, *v4[] = {"\"RI=1510\" \"some other\""};
    nps_spectra_add(s, mz, in, 1, k1, v1, 1);
    nps_spectra_add(s, mz, in, 1, k1, v2, 1);
    nps_spectra_add(s, mz, in, 1, k1, v3, 1);
    nps_spectra_add(s, mz, in, 1, k4, v4, 1);
    nps_spectra_add(s, mz, in, 1, NULL, NULL, 0);
    CHECK(nps_spectra_ri(s, 0) == 1234.5);
    CHECK(nps_spectra_ri(s, 1) == 1250);
    CHECK(nps_spectra_ri(s, 2) == 1230);
    CHECK(nps_spectra_ri(s, 3) == 1510);
    CHECK(isnan(nps_spectra_ri(s, 4)));
    nps_spectra_free(s);
}

static void test_run_irregular(void)
{
    /* out of order, a duplicate time, an empty scan, a scan without time */
    double t[] = {1.0, 1.1, 1.05, 1.1, -1, 1.3};
    nps_spectra *s = scans_of(t, NULL, NULL, 6, 3);
    /* scan 6 empty */
    nps_spectra *s2;
    if (nps_spectra_create(&s2)) exit(2);
    for (size_t i = 0; i < 5; i++) nps_spectra_add_from(s2, s, i);
    const char *k[] = {"Retention_time", "Spectrum_type"}, *v[] = {"1.3", "MS1"};
    nps_spectra_add(s2, NULL, NULL, 0, k, v, 2);
    nps_run *r;
    nps_run_report rep = {0};
    nps_run_options o = NPS_RUN_OPTIONS_INIT;
    o.on_error = on_diag;
    diag_reset();
    CHECK(nps_run_from_spectra(&r, &rep, s2, "irregular", &o) == 0);
    CHECK(rep.scans == 5 && rep.no_time == 1 && rep.out_of_order == 1);
    CHECK(rep.duplicate_times == 1 && rep.empty == 1 && rep.ms1 == 5);
    CHECK(diag_count == 4); /* each irregularity said */
    CHECK(nps_run_count(r) == 5);
    for (size_t i = 1; i < nps_run_count(r); i++)
        CHECK(nps_run_time(r, i) >= nps_run_time(r, i - 1));
    CHECK(nps_run_time(r, 1) == 1.05);
    CHECK(nps_run_kind(r) == NPS_KIND_EI);
    double tic[5];
    nps_run_tic(tic, r, 1);
    CHECK(tic[0] == 100 + 101 + 102);
    CHECK(tic[4] == 0);
    /* too few scans for deconvolution */
    nps_spectra *c;
    CHECK(nps_deconvolve(&c, r, NULL) == NPS_EINVAL);
    nps_run_free(r);
    nps_run_free(NULL);
    /* mixed levels: an LC-MS/MS run */
    double t2[] = {1.0, 1.01, 1.02, 1.03};
    int lv[] = {1, 2, 2, 1};
    double pm[] = {0, 300.1, 301.2, 0};
    nps_spectra *m = scans_of(t2, lv, pm, 4, 2);
    memset(&rep, 0, sizeof rep);
    CHECK(nps_run_from_spectra(&r, &rep, m, "lc", NULL) == 0);
    CHECK(rep.ms1 == 2 && rep.msn == 2);
    CHECK(nps_run_kind(r) == NPS_KIND_MSMS);
    CHECK(nps_run_level(r, 1) == 2 && nps_run_precursor(r, 1) == 300.1);
    CHECK(isnan(nps_run_precursor(r, 0)));
    nps_run_free(r);
    o.kind = NPS_KIND_EI;
    CHECK(nps_run_from_spectra(&r, NULL, m, "lc", &o) == 0);
    CHECK(nps_run_kind(r) == NPS_KIND_EI);
    nps_run_free(r);
    o.kind = 7;
    CHECK(nps_run_from_spectra(&r, NULL, m, "lc", &o) == NPS_EINVAL);
    nps_spectra_free(m);
    nps_spectra_free(s);
    nps_spectra_free(s2);
}

static void test_andi(void)
{
    double t[40];
    for (size_t i = 0; i < 40; i++) t[i] = 2.0 + 0.01 * (double)i;
    nps_spectra *s = scans_of(t, NULL, NULL, 40, 5);
    nps_run *r, *back;
    CHECK(nps_run_from_spectra(&r, NULL, s, "andi", NULL) == 0);
    const char *p = scratch_path("run.cdf");
    CHECK(nps_run_write(r, p) == 0);
    nps_run_report rep = {0};
    CHECK(nps_run_read(&back, &rep, p, NULL) == 0);
    if (!back) {
        fprintf(stderr, "ANDI round trip: %s\n", nps_error_last());
        exit(1);
    }
    CHECK(nps_run_count(back) == 40 && rep.ms1 == 40);
    CHECK(nps_run_kind(back) == NPS_KIND_EI);
    for (size_t i = 0; i < 40; i++) {
        CHECK_NEAR(nps_run_time(back, i), nps_run_time(r, i), 1e-12);
        const double *m1, *m2;
        const float *i1, *i2;
        size_t n1, n2;
        nps_run_peaks(r, i, &m1, &i1, &n1);
        nps_run_peaks(back, i, &m2, &i2, &n2);
        CHECK(n1 == n2);
        for (size_t k = 0; k < n1 && k < n2; k++) CHECK(m1[k] == m2[k] && i1[k] == i2[k]);
    }
    /* read as spectra too: one per scan, detected from the content */
    nps_spectra *sp;
    if (nps_spectra_create(&sp)) exit(2);
    nps_format f;
    CHECK(nps_io_detect(&f, p) == 0 && f == NPS_FORMAT_ANDI);
    CHECK(nps_io_read(sp, NULL, p, NULL) == 0 && nps_spectra_count(sp) == 40);
    CHECK(nps_spectra_kind(sp, 0) == NPS_KIND_EI);
    nps_spectra_free(sp);
    nps_run_free(back);
    nps_run_free(r);
    nps_spectra_free(s);

    /* files written here with pieces missing */
    /* 0 no times; 1 no masses; 2 a scan past the end; 3 no point counts;
     * 4 intensities as scaled shorts, masses as doubles (read directly from
     * the file's big-endian arrays); 5 points over the record dimension
     * (read through netCDF) */
    for (int variant = 0; variant < 6; variant++) {
        const char *q = scratch_path("partial.cdf");
        int nc, ds, dp, v;
        if (nc_create(q, NC_CLOBBER, &nc)) exit(2);
        nc_def_dim(nc, "scan_number", 3, &ds);
        nc_def_dim(nc, "point_number", variant == 5 ? NC_UNLIMITED : 6, &dp);
        int vt = -1, vi = -1, vc = -1, vm = -1, vin = -1;
        if (variant != 0) nc_def_var(nc, "scan_acquisition_time", NC_DOUBLE, 1, &ds, &vt);
        nc_def_var(nc, "scan_index", NC_INT, 1, &ds, &vi);
        if (variant != 3) nc_def_var(nc, "point_count", NC_INT, 1, &ds, &vc);
        if (variant != 1)
            nc_def_var(nc, "mass_values", variant == 4 ? NC_DOUBLE : NC_FLOAT, 1, &dp, &vm);
        nc_def_var(nc, "intensity_values", variant == 4 ? NC_SHORT : NC_FLOAT, 1, &dp, &vin);
        if (vm >= 0 && variant != 4) {
            double sf = 0.1;
            nc_put_att_double(nc, vm, "scale_factor", NC_DOUBLE, 1, &sf);
        }
        if (variant == 4) {
            double sf = 2.5;
            nc_put_att_double(nc, vin, "scale_factor", NC_DOUBLE, 1, &sf);
        }
        nc_enddef(nc);
        double tt[] = {60, 61, 62};
        int idx[] = {0, 2, variant == 2 ? 5 : 4}, cnt[] = {2, 2, 2};
        float mz[] = {500, 600, 500, 600, 500, 600}, in[] = {1, 2, 3, 4, 5, 6};
        if (vt >= 0) nc_put_var_double(nc, vt, tt);
        nc_put_var_int(nc, vi, idx);
        if (vc >= 0) nc_put_var_int(nc, vc, cnt);
        if (variant == 4) {
            double mzd[] = {50.25, 60.5, 50.25, 60.5, 50.25, 60.5};
            short ins[] = {1, 2, 3, 4, 5, -6};
            nc_put_var_double(nc, vm, mzd);
            nc_put_var_short(nc, vin, ins);
        } else {
            size_t st0 = 0, n6 = 6;
            if (vm >= 0) nc_put_vara_float(nc, vm, &st0, &n6, mz);
            nc_put_vara_float(nc, vin, &st0, &n6, in);
        }
        nc_close(nc);
        (void)v;
        nps_read_options ro = NPS_READ_OPTIONS_INIT;
        ro.on_error = on_diag;
        nps_read_report rr = {0};
        if (nps_spectra_create(&sp)) exit(2);
        diag_reset();
        int rc = nps_io_read(sp, &rr, q, &ro);
        if (variant == 0) {
            /* no times: read, with a message; the run then says each scan has none */
            CHECK(rc == 0 && nps_spectra_count(sp) == 3 && diag_count == 1);
            CHECK(strstr(diag_last, "scan_acquisition_time") != NULL);
            CHECK(nps_spectra_get(sp, 0, "Retention_time") == NULL);
            nps_run_report rep2 = {0};
            nps_run *rr2;
            nps_run_options o = NPS_RUN_OPTIONS_INIT;
            o.on_error = on_diag;
            CHECK(nps_run_read(&rr2, &rep2, q, &o) == 0 && rep2.no_time == 3);
            nps_run_free(rr2);
        } else if (variant == 1) {
            CHECK(rc == NPS_EFORMAT && strstr(nps_error_last(), "mass_values") != NULL);
        } else if (variant == 2) {
            /* the third scan's points run past the end: skipped, reported */
            CHECK(rc == 0 && nps_spectra_count(sp) == 2 && rr.records_skipped == 1);
            CHECK(strstr(diag_last, "outside") != NULL);
            const double *m;
            const float *i;
            size_t n;
            nps_spectra_peaks(sp, 0, &m, &i, &n);
            CHECK(n == 2 && fabs(m[0] - 50.0) < 1e-4 && fabs(m[1] - 60.0) < 1e-4); /* scaled */
            CHECK(!strcmp(nps_spectra_get(sp, 1, "Retention_time"), "1.0166666666666666"));
        } else if (variant == 3) {
            /* point_count derived from scan_index */
            CHECK(rc == 0 && nps_spectra_count(sp) == 3);
        } else {
            CHECK(rc == 0 && nps_spectra_count(sp) == 3);
            const double *m;
            const float *i;
            size_t n;
            nps_spectra_peaks(sp, 2, &m, &i, &n);
            if (variant == 4) /* 5 x 2.5; -6 x 2.5 is no intensity */
                CHECK(n == 2 && m[0] == 50.25 && m[1] == 60.5 && i[0] == 12.5f && i[1] == 0);
            else
                CHECK(n == 2 && fabs(m[0] - 50.0) < 1e-4 && i[0] == 5 && i[1] == 6);
        }
        nps_spectra_free(sp);
    }
    /* not netCDF at all, but named like it */
    const char *bad = scratch_write("bad.cdf", "CDF\001garbage", 12);
    if (nps_spectra_create(&sp)) exit(2);
    CHECK(nps_io_read(sp, NULL, bad, NULL) == NPS_EFORMAT);
    CHECK(strstr(nps_error_last(), "netCDF") != NULL);
    nps_spectra_free(sp);
}

/* The generated run: compounds of the bundled library, with truth. */
static nps_spectra *bundled(void)
{
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    if (nps_io_read(s, NULL, NPS_SOURCE_DIR "/reference_spectra/library_ei.msp", NULL)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(2);
    }
    return s;
}

static size_t find_name(const nps_spectra *s, const char *name)
{
    for (size_t i = 0; i < nps_spectra_count(s); i++)
        if (!strcmp(nps_spectra_name(s, i), name)) return i;
    fprintf(stderr, "no %s\n", name);
    exit(2);
}

/* Same peaks and metadata (but the key `ignore`, when not NULL). */
static int same_spectra_but(const nps_spectra *a, const nps_spectra *b, const char *ignore)
{
    if (nps_spectra_count(a) != nps_spectra_count(b)) return 0;
    for (size_t i = 0; i < nps_spectra_count(a); i++) {
        const double *m1, *m2;
        const float *i1, *i2;
        size_t n1, n2;
        nps_spectra_peaks(a, i, &m1, &i1, &n1);
        nps_spectra_peaks(b, i, &m2, &i2, &n2);
        if (n1 != n2 || memcmp(m1, m2, n1 * sizeof *m1) || memcmp(i1, i2, n1 * sizeof *i1))
            return 0;
        if (nps_spectra_meta_count(a, i) != nps_spectra_meta_count(b, i)) return 0;
        for (size_t j = 0; j < nps_spectra_meta_count(a, i); j++) {
            const char *k1, *v1, *k2, *v2;
            nps_spectra_meta_at(a, i, j, &k1, &v1);
            nps_spectra_meta_at(b, i, j, &k2, &v2);
            if (strcmp(k1, k2)) return 0;
            if (strcmp(v1, v2) && !(ignore && !strcmp(k1, ignore))) return 0;
        }
    }
    return 1;
}

static void test_deconvolution(void)
{
    nps_spectra *src = bundled();
    static runsim sim;
    runsim_params p = RUNSIM_PARAMS_INIT;
    p.t0 = 3.0;
    p.t1 = 9.0;
    sim.p = p;
    /* isolated compounds; a cutting agent co-eluting with the drug at
     * resolution 1.0 and a tenth of its height; an internal standard */
    size_t meth = find_name(src, "Methamphetamine"), caf = find_name(src, "Caffeine");
    size_t coc = find_name(src, "Cocaine"), lev = find_name(src, "Levamisole");
    size_t lid = find_name(src, "Lidocaine"), ket = find_name(src, "Ketamine");
    runsim_add(&sim, src, meth, 4.0, 4e5, -1, 0, 0);
    runsim_add(&sim, src, caf, 5.0, 2e5, -1, 0, 0);
    runsim_add(&sim, src, coc, 6.5, 8e5, 0, 1.0, 0);
    runsim_add(&sim, src, lev, 6.5 + runsim_pair_distance(&p, 1.0), 8e4, 0, 1.0, 0);
    runsim_add(&sim, src, lid, 7.5, 3e5, -1, 0, 1);
    runsim_add(&sim, src, ket, 8.3, 6e4, -1, 0, 0);
    nps_spectra *scans;
    if (nps_spectra_create(&scans) || runsim_render(scans, &sim)) exit(2);
    nps_run *run;
    CHECK(nps_run_from_spectra(&run, NULL, scans, "generated", NULL) == 0);
    nps_deconvolve_options d = NPS_DECONVOLVE_OPTIONS_INIT;
    d.threads = 1;
    d.window = 256; /* several windows: components across window edges */
    nps_spectra *c1, *c2;
    CHECK(nps_deconvolve(&c1, run, &d) == 0);
    d.threads = 2;
    CHECK(nps_deconvolve(&c2, run, &d) == 0);
    CHECK(same_spectra(c1, c2)); /* the same at any thread count */
    /* every compound found at rank 1 within a second, nothing else */
    nps_library *lib;
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    CHECK(nps_library_create(&lib, src, &cfg) == 0);
    nps_hits *h;
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    CHECK(nps_search_run(&h, lib, c1, &so) == 0);
    const nps_spectra *L = nps_library_spectra(lib);
    size_t nc = nps_spectra_count(c1);
    CHECK_MSG(nc == sim.n, "%zu components for %zu compounds", nc, sim.n);
    for (size_t i = 0; i < sim.n; i++) {
        int found = 0;
        for (size_t q = 0; q < nc && !found; q++) {
            size_t first, n;
            nps_hits_for_query(h, q, &first, &n);
            double rt = atof(nps_spectra_get(c1, q, "Retention_time"));
            found = n && fabs(rt - sim.c[i].rt) * 60 < 1.0 &&
                    !strcmp(nps_spectra_name(L, nps_hits_at(h, first)->reference), sim.c[i].name);
        }
        CHECK_MSG(found, "%s at %.3f min not found at rank 1", sim.c[i].name, sim.c[i].rt);
    }
    /* components in time order, with their figures */
    double prev = 0;
    for (size_t q = 0; q < nc; q++) {
        double rt = atof(nps_spectra_get(c1, q, "Retention_time"));
        CHECK(rt >= prev);
        prev = rt;
        double pur = atof(nps_spectra_get(c1, q, "Purity"));
        CHECK(pur > 0 && pur <= 1);
        CHECK(atof(nps_spectra_get(c1, q, "Area")) > 0);
        CHECK(nps_spectra_get(c1, q, "Model_ion") && nps_spectra_get(c1, q, "Scan_range"));
        CHECK(nps_spectra_kind(c1, q) == NPS_KIND_EI);
    }
    /* the internal standard, found by name */
    size_t qs;
    CHECK(nps_hits_find_named(&qs, h, L, "lidocaine") == 0);
    CHECK(fabs(atof(nps_spectra_get(c1, qs, "Retention_time")) - 7.5) * 60 < 1.0);
    CHECK(nps_hits_find_named(&qs, h, L, "Heroin") == NPS_ENOTFOUND);

    /* the screen report: the columns the issue names, in order */
    nps_screen_report_options ro = NPS_SCREEN_REPORT_OPTIONS_INIT;
    const char *tp = scratch_path("screen.tsv");
    FILE *fp = fopen(tp, "w");
    CHECK(nps_screen_report_write(fp, h, c1, lib, &ro) == 0);
    fclose(fp);
    fp = fopen(tp, "r");
    char line[4096];
    CHECK(fgets(line, sizeof line, fp) != NULL);
    static const char head[] =
        "run\tcomponent\trt_min\tri\trank\tlibrary_id\tlibrary_name\tscore\t";
    CHECK(strncmp(line, head, sizeof head - 1) == 0);
    const char *need[] = {"matched_peaks", "composite_mf", "purity", "model_mz", "area", "call"};
    for (size_t k = 0; k < 6; k++) CHECK(strstr(line, need[k]) != NULL);
    size_t rows = 0;
    while (fgets(line, sizeof line, fp)) rows++;
    CHECK(rows == nps_hits_count(h));
    fclose(fp);
    ro.format = NPS_REPORT_JSON;
    const char *jp = scratch_path("screen.json");
    fp = fopen(jp, "w");
    CHECK(nps_screen_report_write(fp, h, c1, lib, &ro) == 0);
    fclose(fp);
    json_error_t je;
    json_t *j = json_load_file(jp, 0, &je);
    CHECK(j != NULL);
    json_t *comps = json_object_get(j, "components");
    CHECK(json_array_size(comps) == nc);
    json_t *c0 = json_array_get(comps, 0);
    CHECK(json_is_number(json_object_get(c0, "rt_min")));
    CHECK(json_is_null(json_object_get(c0, "ri")));
    CHECK(json_array_size(json_object_get(c0, "hits")) > 0);
    CHECK(json_is_object(json_object_get(json_object_get(j, "run"), "retention")));
    json_decref(j);
    /* HTML: the chromatogram with the components marked */
    ro.format = NPS_REPORT_HTML;
    nps_chromatogram *chrom;
    CHECK(nps_run_chromatogram(&chrom, run) == 0);
    CHECK(chrom->n == nps_run_count(run) && chrom->level == 1);
    const nps_chromatogram *rs[] = {chrom};
    ro.chromatograms = rs;
    ro.n_chromatograms = 1;
    const char *hp = scratch_path("screen.html");
    fp = fopen(hp, "w");
    CHECK(nps_screen_report_write(fp, h, c1, lib, &ro) == 0);
    fclose(fp);
    fp = fopen(hp, "r");
    char *buf = calloc(1, 1 << 22);
    size_t len = fread(buf, 1, (1 << 22) - 1, fp);
    fclose(fp);
    CHECK(len > 0 && strstr(buf, "Total ion chromatogram of generated") != NULL);
    CHECK(strstr(buf, "components marked") != NULL && strstr(buf, "href=\"#q1\"") != NULL);
    free(buf);
    nps_chromatogram_free(chrom);
    nps_chromatogram_free(NULL);

    /* streamed: the run written to a file and read back in batches gives
     * the same components as the run in memory, with a few windows */
    {
        const char *rp = scratch_path("generated.cdf");
        CHECK(nps_run_write(run, rp) == 0);
        nps_run *back;
        CHECK(nps_run_read(&back, NULL, rp, NULL) == 0);
        nps_deconvolve_options dw = NPS_DECONVOLVE_OPTIONS_INIT;
        dw.window = 256;
        nps_spectra *whole, *streamed;
        CHECK(nps_deconvolve(&whole, back, &dw) == 0);
        nps_chromatogram *ch;
        nps_run_report rep = {0};
        CHECK(nps_run_components(&streamed, &ch, &rep, rp, NULL, &dw, NULL) == 0);
        CHECK(same_spectra(whole, streamed));
        CHECK(rep.scans == nps_run_count(run) && rep.ms1 == rep.scans && rep.late == 0);
        CHECK(ch && ch->n == rep.scans && ch->level == 1);
        nps_chromatogram_free(ch);
        nps_spectra_free(streamed);
        /* pushed by hand, two scans swapped: put back in place */
        nps_deconvolver *dv;
        CHECK(nps_deconvolver_create(&dv, rp, &dw) == 0);
        size_t n = nps_run_count(back);
        for (size_t i = 0; i < n; i++) {
            size_t k = i == 400 ? 401 : i == 401 ? 400 : i;
            const double *mz;
            const float *in;
            size_t np;
            nps_run_peaks(back, k, &mz, &in, &np);
            CHECK(nps_deconvolver_push(dv, k + 1, nps_run_time(back, k), mz, in, np) == 0);
        }
        CHECK(nps_deconvolver_finish(&streamed, dv) == 0);
        CHECK(nps_deconvolver_late(dv) == 0);
        CHECK(same_spectra(whole, streamed));
        /* finished: no more pushes */
        CHECK(nps_deconvolver_push(dv, 1, 99.0, NULL, NULL, 0) != 0);
        nps_deconvolver_free(dv);
        nps_spectra_free(streamed);
        /* a scan that comes long after its window is left out and counted */
        CHECK(nps_deconvolver_create(&dv, rp, &dw) == 0);
        for (size_t i = 1; i < n; i++) {
            const double *mz;
            const float *in;
            size_t np;
            nps_run_peaks(back, i, &mz, &in, &np);
            CHECK(nps_deconvolver_push(dv, i + 1, nps_run_time(back, i), mz, in, np) == 0);
        }
        const double *mz0;
        const float *in0;
        size_t np0;
        nps_run_peaks(back, 0, &mz0, &in0, &np0);
        CHECK(nps_deconvolver_push(dv, 1, nps_run_time(back, 0), mz0, in0, np0) == 0);
        CHECK(nps_deconvolver_late(dv) == 1);
        CHECK(nps_deconvolver_finish(&streamed, dv) == 0);
        nps_deconvolver_free(dv);
        nps_spectra_free(streamed);
        CHECK(nps_deconvolver_create(&dv, rp, &dw) == 0);
        CHECK(nps_deconvolver_finish(&streamed, dv) == NPS_EINVAL); /* nothing pushed */
        nps_deconvolver_free(dv);
        nps_deconvolver_free(NULL);
        nps_spectra_free(whole);
        nps_run_free(back);
        test_parallel_andi(rp);
    }
    /* a tight pair (Rs 0.3, 1:10) sharing most of its ions: each ion divided
     * between the two by the fit, each spectrum close to its own compound */
    {
        static runsim tight;
        tight.p = p;
        size_t her = find_name(src, "Heroin"), cod = find_name(src, "Codeine");
        runsim_add(&tight, src, her, 5.0, 6e5, 0, 0.5, 0);
        runsim_add(&tight, src, cod, 5.0 + runsim_pair_distance(&p, 0.3), 6e4, 0, 0.3, 0);
        nps_spectra *ts;
        nps_run *tr;
        nps_spectra *tc;
        if (nps_spectra_create(&ts) || runsim_render(ts, &tight)) exit(2);
        CHECK(nps_run_from_spectra(&tr, NULL, ts, "tight", NULL) == 0);
        CHECK(nps_deconvolve(&tc, tr, NULL) == 0);
        CHECK_MSG(nps_spectra_count(tc) == 2, "%zu components", nps_spectra_count(tc));
        nps_hits *th;
        CHECK(nps_search_run(&th, lib, tc, &so) == 0);
        for (size_t q = 0; q < nps_spectra_count(tc) && q < 2; q++) {
            size_t first, n;
            nps_hits_for_query(th, q, &first, &n);
            const nps_hit *x = n ? nps_hits_at(th, first) : NULL;
            CHECK(x && !strcmp(nps_spectra_name(L, x->reference), tight.c[q].name));
            /* the fitted ion current: what the compound put there */
            double ht = atof(nps_spectra_get(tc, q, "Height"));
            CHECK_MSG(fabs(ht / tight.c[q].height - 1) < 0.25, "height %g, truth %g", ht,
                      tight.c[q].height);
        }
        nps_hits_free(th);
        nps_spectra_free(tc);
        nps_run_free(tr);
        nps_spectra_free(ts);
    }
    /* profile data: every centroid spread over seven points 0.05 apart (a
     * quadrupole's continuum trace): the same compounds, at the same times */
    {
        nps_spectra *prof;
        if (nps_spectra_create(&prof)) exit(2);
        for (size_t i = 0; i < nps_spectra_count(scans); i++) {
            const double *mz;
            const float *in;
            size_t np;
            nps_spectra_peaks(scans, i, &mz, &in, &np);
            double *pm = malloc((7 * np + 1) * sizeof *pm);
            float *pi = malloc((7 * np + 1) * sizeof *pi);
            size_t k = 0;
            for (size_t p0 = 0; p0 < np; p0++)
                for (int dd = -3; dd <= 3; dd++) {
                    pm[k] = mz[p0] + 0.05 * dd;
                    pi[k] = (float)(in[p0] * exp(-0.5 * (dd * dd) / 2.0) / 3.5);
                    k++;
                }
            const char *k2[] = {"Retention_time", "Spectrum_type"};
            const char *v2[] = {nps_spectra_get(scans, i, "Retention_time"), "MS1"};
            if (nps_spectra_add(prof, pm, pi, k, k2, v2, 2)) exit(2);
            free(pm);
            free(pi);
        }
        nps_run *pr;
        nps_spectra *pc;
        CHECK(nps_run_from_spectra(&pr, NULL, prof, "profile", NULL) == 0);
        CHECK(nps_deconvolve(&pc, pr, NULL) == 0);
        CHECK_MSG(nps_spectra_count(pc) == sim.n, "%zu components from profile data",
                  nps_spectra_count(pc));
        nps_hits *ph;
        CHECK(nps_search_run(&ph, lib, pc, &so) == 0);
        for (size_t i = 0; i < sim.n; i++) {
            int found = 0;
            for (size_t q = 0; q < nps_spectra_count(pc) && !found; q++) {
                size_t first, n;
                nps_hits_for_query(ph, q, &first, &n);
                double rt = atof(nps_spectra_get(pc, q, "Retention_time"));
                found =
                    n && fabs(rt - sim.c[i].rt) * 60 < 1.0 &&
                    !strcmp(nps_spectra_name(L, nps_hits_at(ph, first)->reference), sim.c[i].name);
            }
            CHECK_MSG(found, "profile: %s not found at rank 1", sim.c[i].name);
        }
        nps_hits_free(ph);
        nps_spectra_free(pc);
        nps_run_free(pr);
        nps_spectra_free(prof);
    }
    nps_hits_free(h);
    nps_library_free(lib);
    nps_spectra_free(c1);
    nps_spectra_free(c2);
    nps_run_free(run);
    nps_spectra_free(scans);

    /* a run of baseline and noise only: no component */
    static runsim empty;
    empty.p = p;
    if (nps_spectra_create(&scans) || runsim_render(scans, &empty)) exit(2);
    CHECK(nps_run_from_spectra(&run, NULL, scans, "blank", NULL) == 0);
    CHECK(nps_deconvolve(&c1, run, NULL) == 0);
    CHECK_MSG(nps_spectra_count(c1) == 0, "%zu components in a blank run", nps_spectra_count(c1));
    nps_spectra_free(c1);
    nps_deconvolve_options bad = NPS_DECONVOLVE_OPTIONS_INIT;
    bad.min_snr = 0;
    CHECK(nps_deconvolve(&c1, run, &bad) == NPS_EINVAL);
    bad = d;
    bad.version = 99;
    CHECK(nps_deconvolve(&c1, run, &bad) == NPS_EINVAL);
    nps_run_free(run);
    nps_spectra_free(scans);

    /* an alkane standard run gives its ladder back */
    static runsim alk;
    alk.p = p;
    for (int k = 0; k < 7; k++) runsim_add_alkane(&alk, 10 + k, 3.5 + 0.8 * k, 3e5);
    if (nps_spectra_create(&scans) || runsim_render(scans, &alk)) exit(2);
    CHECK(nps_run_from_spectra(&run, NULL, scans, "alkanes", NULL) == 0);
    CHECK(nps_deconvolve(&c1, run, NULL) == 0);
    nps_ri_ladder *lad;
    CHECK(nps_ri_ladder_from_components(&lad, c1, 10) == 0);
    CHECK(lad && nps_ri_ladder_count(lad) == 7);
    for (size_t k = 0; lad && k < nps_ri_ladder_count(lad); k++) {
        int cn;
        double tt;
        nps_ri_ladder_at(lad, k, &cn, &tt);
        CHECK(cn == 10 + (int)k);
        CHECK_NEAR(tt, 3.5 + 0.8 * (double)k, 1.0 / 60);
    }
    /* components get an RI, or a flag outside the ladder */
    nps_spectra *an;
    size_t outside;
    CHECK(nps_ri_annotate(&an, c1, lad, &outside) == 0);
    CHECK(outside <= 2);
    CHECK(nps_spectra_count(an) == nps_spectra_count(c1));
    for (size_t q = 0; q < nps_spectra_count(an); q++) {
        double ri = nps_spectra_ri(an, q);
        const char *flag = nps_spectra_get(an, q, "RI_flag");
        CHECK((isfinite(ri) && !flag) || (isnan(ri) && flag && !strcmp(flag, "outside ladder")));
    }
    nps_spectra_free(an);
    nps_ri_ladder_free(lad);
    nps_spectra_free(c1);
    nps_run_free(run);
    nps_spectra_free(scans);
    nps_spectra_free(src);
}

static void test_consensus(void)
{
    /* precursor 300.10 in 5 scans around 2.0 min, again at 4.0 min (a
     * re-elution), precursor 450.2 interleaved; a noise peak in one scan */
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    for (int i = 0; i < 12; i++) {
        double rt = i < 5 ? 2.0 + 0.02 * i : i < 7 ? 4.0 + 0.02 * (i - 5) : 2.01 + 0.02 * (i - 7);
        double prec = i < 7 ? 300.10 + 0.001 * (i % 3) : 450.2;
        double mz[4] = {100.0 + 0.002 * (i % 2), 150.0, 200.0 + (i == 2 ? 33.3 : 0), 250};
        float in[4] = {1000, 500, i == 2 ? 50 : 250, 10};
        size_t n = i == 3 ? 3 : 4;
        char rts[32], ps[32];
        snprintf(rts, sizeof rts, "%.4f", rt);
        snprintf(ps, sizeof ps, "%.4f", prec);
        const char *k[] = {"Retention_time", "PrecursorMZ", "Spectrum_type"};
        const char *v[] = {rts, ps, "MS2"};
        nps_spectra_add(s, mz, in, n, k, v, 3);
    }
    nps_run *r;
    CHECK(nps_run_from_spectra(&r, NULL, s, "lc", NULL) == 0);
    CHECK(nps_run_kind(r) == NPS_KIND_MSMS);
    nps_spectra *g;
    CHECK(nps_run_consensus(&g, r, NULL) == 0);
    CHECK_MSG(nps_spectra_count(g) == 3, "%zu groups", nps_spectra_count(g));
    /* in time order: 300.1 @2.0, 450.2 @2.0x, 300.1 @4.0 */
    CHECK(fabs(nps_spectra_precursor_mz(g, 0) - 300.101) < 0.002);
    CHECK(fabs(nps_spectra_precursor_mz(g, 1) - 450.2) < 1e-6);
    CHECK(!strcmp(nps_spectra_get(g, 0, "Scans"), "5"));
    CHECK(!strcmp(nps_spectra_get(g, 2, "Scans"), "2"));
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(g, 0, &mz, &in, &n);
    /* 100, 150, 200, 250 (4 of 5 scans): the one-scan noise peak at 233.3 dropped */
    CHECK(n == 4);
    for (size_t k = 0; k < n; k++) CHECK(fabs(mz[k] - 233.3) > 0.1);
    CHECK(mz[0] > 100.0 && mz[0] < 100.002); /* intensity-weighted mean of 100.000/100.002 */
    nps_consensus_options co = NPS_CONSENSUS_OPTIONS_INIT;
    co.min_fraction = 1.0; /* present in every scan: 250 (missing in one) goes */
    nps_spectra_free(g);
    CHECK(nps_run_consensus(&g, r, &co) == 0);
    nps_spectra_peaks(g, 0, &mz, &in, &n);
    CHECK(n == 2); /* 100 and 150 only (200 is noise-shifted in one scan, 250 missing in one) */
    nps_spectra_free(g);
    co.rt_gap = 0;
    CHECK(nps_run_consensus(&g, r, &co) == NPS_EINVAL);
    nps_run_free(r);
    nps_spectra_free(s);
}

static void test_ri_hits(void)
{
    /* two library spectra alike but for their RI; the query's RI decides */
    nps_spectra *lib_s;
    if (nps_spectra_create(&lib_s)) exit(2);
    double mz[] = {58, 91, 134};
    float in[] = {999, 100, 20};
    float in2[] = {999, 98, 21};
    const char *k[] = {"Name", "Retention_index", "Ionization"};
    const char *v1[] = {"isomer A", "1180", "EI"}, *v2[] = {"isomer B", "1250", "EI"};
    nps_spectra_add(lib_s, mz, in, 3, k, v1, 3);
    nps_spectra_add(lib_s, mz, in2, 3, k, v2, 3);
    nps_library *lib;
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    CHECK(nps_library_create(&lib, lib_s, &cfg) == 0);
    nps_spectra *q;
    if (nps_spectra_create(&q)) exit(2);
    const char *qk[] = {"Name", "Retention_index", "Ionization"};
    const char *qv[] = {"component", "1252", "EI"}, *qv2[] = {"no ri", "", "EI"};
    nps_spectra_add(q, mz, in, 3, qk, qv, 3);
    nps_spectra_add(q, mz, in, 3, qk, qv2, 3);
    nps_hits *h;
    nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
    so.mixtures = NPS_MIXTURES_OFF;
    CHECK(nps_search_run(&h, lib, q, &so) == 0);
    const nps_spectra *L = nps_library_spectra(lib);
    CHECK(!strcmp(nps_spectra_name(L, nps_hits_at(h, 0)->reference), "isomer A"));
    double before = nps_hits_at(h, 0)->score;
    CHECK(nps_hits_apply_ri(h, q, L, NULL) == 0);
    const nps_hit *top = nps_hits_at(h, 0), *second = nps_hits_at(h, 1);
    CHECK(!strcmp(nps_spectra_name(L, top->reference), "isomer B"));
    CHECK(top->rank == 1 && second->rank == 2);
    CHECK_NEAR(second->score, before - 0.2, 1e-9); /* 72 units off: the maximum */
    CHECK(isfinite(top->probability) && top->probability > second->probability);
    /* the query without an RI is left as it was */
    size_t first, n;
    nps_hits_for_query(h, 1, &first, &n);
    CHECK(!strcmp(nps_spectra_name(L, nps_hits_at(h, first)->reference), "isomer A"));
    CHECK(nps_hits_at(h, first)->score == before);
    nps_ri_options bad = NPS_RI_OPTIONS_INIT;
    bad.window = -1;
    CHECK(nps_hits_apply_ri(h, q, L, &bad) == NPS_EINVAL);
    nps_hits_free(h);
    nps_spectra_free(q);
    nps_library_free(lib);
    nps_spectra_free(lib_s);
}

int main(void)
{
    if (scratch_open("deconvolve")) return 2;
    test_nnls();
    test_ri();
    test_penalty();
    test_run_irregular();
    test_andi();
    test_deconvolution();
    test_consensus();
    test_ri_hits();
    scratch_close();
    return check_done("test_deconvolve");
}

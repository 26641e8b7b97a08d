/*
 * JCAMP-DX: the ASDF decoder against the expectations of nzhagen/jcamp's
 * tests, the files of format_vectors (VECTORS.md), and malformed blocks.
 */
#include "check.h"
#include "scratch.h"

#include "../src/io/jcamp.h"

static size_t npk(const nps_spectra *s, size_t i, const double **mz, const float **in)
{
    size_t n;
    nps_spectra_peaks(s, i, mz, in, &n);
    return n;
}

static void asdf(void)
{
    static const char *same[] = {"99 98 97 96 98 93", "99,98,97,96,98,93", "99+98+97+96+98+93",
                                 "99I8I7I6I8I3",      "99jjjKn",           "99jUKn"};
    const double want[] = {99, 98, 97, 96, 98, 93};
    double v[64];
    size_t n;
    int dif;
    char why[128];
    for (size_t t = 0; t < sizeof same / sizeof *same; t++) {
        int rc = nps_asdf_decode(v, 64, &n, &dif, same[t], why, sizeof why);
        CHECK_MSG(rc == 0 && n == 6, "%s: rc %d n %zu", same[t], rc, n);
        for (size_t i = 0; i < 6 && i < n; i++) CHECK_MSG(v[i] == want[i], "%s[%zu]", same[t], i);
        CHECK(dif == (t >= 4)); /* the last two end in a DIF value */
    }
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "99jjjKn", why, sizeof why) == 0 && dif == 1);
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "99I8I7", why, sizeof why) == 0 && dif == 0);
    const double w2[] = {1000, 2000, 2001, 2002, 2003, 2003, 2003};
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "1000 2000 2001 2002 2003 2003 2003", why, sizeof why) ==
              0 &&
          n == 7);
    for (size_t i = 0; i < 7; i++) CHECK(v[i] == w2[i]);
    /* exponents are AFFN, not SQZ: e followed by a sign */
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "31, 3.01749e+006", why, sizeof why) == 0 && n == 2 &&
          v[1] == 3017490);
    /* zero forms, decimal SQZ, DUP of an absolute value */
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "10@A%T", why, sizeof why) == 0 && n == 5 && v[1] == 0 &&
          v[2] == 1 && v[3] == 1 && v[4] == 1);
    /* errors */
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "99 #", why, sizeof why) == -1);
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "S5", why, sizeof why) == -1);    /* DUP first */
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "J5", why, sizeof why) == -1);    /* DIF first */
    CHECK(nps_asdf_decode(v, 4, &n, &dif, "1Z9", why, sizeof why) == -1);    /* over capacity */
    CHECK(nps_asdf_decode(v, 64, &n, &dif, "1 - 2", why, sizeof why) == -1); /* lone sign */
}

static void files(void)
{
    nps_read_report r;
    const double *mz;
    const float *in;
    /* ISAS_MS1: a 26-peak table, one pair per line */
    nps_spectra *s = read_file(data_path("format_vectors/jcamp_nzhagen/ISAS_MS1.DX"), &r);
    CHECK(nps_spectra_count(s) == 1 && r.records_skipped == 0);
    CHECK(npk(s, 0, &mz, &in) == 26 && mz[0] == 50 && fabsf(in[0] - 5.84f) < 1e-6f);
    CHECK(strcmp(nps_spectra_name(s, 0), "2-Chlorphenol") == 0);
    CHECK(nps_spectra_kind(s, 0) == NPS_KIND_EI);
    nps_spectra_free(s);

    /* ISAS_MS2: X++(Y..Y) in SQZ/DIF/DUP with Y-checks, scaled by the factors */
    s = read_file(data_path("format_vectors/jcamp_nzhagen/ISAS_MS2.DX"), &r);
    CHECK(nps_spectra_count(s) == 1 && r.records_skipped == 0);
    size_t n = npk(s, 0, &mz, &in);
    CHECK(n == 346);
    /* FIRSTX 13.998 with FIRSTY 9953464; the abscissa runs down to LASTX 6.999 */
    CHECK_NEAR(mz[n - 1], 13.998, 1e-9);
    CHECK_NEAR(in[n - 1], 9953464.0, 1.0);
    CHECK_NEAR(mz[0], 6.999, 1e-9);
    /* the first line "32767D74l7...": 474, then DIF -37: 437, times YFACTOR */
    CHECK_NEAR(in[n - 2], 437 * 20998.87, 1.0);
    nps_spectra_free(s);

    /* ISAS_MS3: NTUPLES, 3 pages of 18, 26 and 26 peaks */
    s = read_file(data_path("format_vectors/jcamp_nzhagen/ISAS_MS3.DX"), &r);
    CHECK(nps_spectra_count(s) == 3 && r.records_skipped == 0);
    static const size_t pages[] = {18, 26, 26};
    for (size_t i = 0; i < 3 && i < nps_spectra_count(s); i++)
        CHECK(npk(s, i, &mz, &in) == pages[i]);
    if (nps_spectra_count(s) == 3) {
        CHECK(strstr(nps_spectra_name(s, 1), "T= 301") != NULL);
        CHECK_NEAR(atof(nps_spectra_get(s, 1, NPS_KEY_RETENTION_TIME)), 301.0 / 60, 1e-12);
        npk(s, 1, &mz, &in);
        CHECK(mz[24] == 130 && fabsf(in[24] - 32.45f) < 1e-5f);
    }
    nps_spectra_free(s);

    /* 1-propanol: a LINK file, 6 MS blocks under one compound block */
    s = read_file(data_path("format_vectors/jcamp_nzhagen/1-propanol_ms.jdx"), &r);
    CHECK(nps_spectra_count(s) == 6 && r.records_skipped == 0);
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        CHECK(strcmp(nps_spectra_get(s, i, NPS_KEY_CAS), "71-23-8") == 0);
        CHECK(strcmp(nps_spectra_get(s, i, NPS_KEY_FORMULA), "C 3 H 8 O 1") == 0);
        CHECK(nps_spectra_kind(s, i) == NPS_KIND_EI);
    }
    if (nps_spectra_count(s) == 6) {
        CHECK(strcmp(nps_spectra_name(s, 0), "1-Propanol (70 eV EI)") == 0);
        CHECK(npk(s, 0, &mz, &in) == 44 && mz[19] == 31 && in[19] == 3017490.0f);
        CHECK(npk(s, 3, &mz, &in) == 57); /* "##PEAk TABLE": labels ignore case */
    }
    nps_spectra_free(s);

    /* ms_file_reader test1.jdx: 4 spectra, $$ comments, "##=" label, empty values */
    s = read_file(data_path("format_vectors/ms_file_reader/test1.jdx"), &r);
    CHECK(nps_spectra_count(s) == 4 && r.records_skipped == 0);
    size_t origin = 0, origin_nonempty = 0, ion = 0;
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        const char *o = nps_spectra_get(s, i, "ORIGIN");
        if (o) origin++;
        if (o && *o) origin_nonempty++;
        if (nps_spectra_get(s, i, ".IONIZATION MODE")) ion++;
    }
    CHECK(origin == 4 && origin_nonempty == 3 && ion == 2);
    if (nps_spectra_count(s) == 4) {
        CHECK(strcmp(nps_spectra_get(s, 3, "ORIGIN"), "Made it up") == 0);
        CHECK(npk(s, 3, &mz, &in) == 5 && mz[4] == 370 && in[4] == 850);
    }
    nps_spectra_free(s);
}

static nps_spectra *read_diag(const char *path, nps_read_report *r, int *rc)
{
    nps_spectra *s;
    nps_spectra_create(&s);
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.on_error = on_diag;
    diag_reset();
    memset(r, 0, sizeof *r);
    *rc = nps_io_read(s, r, path, &o);
    return s;
}

static void malformed(void)
{
    nps_read_report r;
    int rc;
    /* a failed Y-check, an NPOINTS mismatch, a bad character, then a good block */
    const char *path =
        scratch_write("bad.jdx",
                      "##TITLE= ycheck\n##JCAMP-DX= 5.01\n##DATA TYPE= MASS SPECTRUM\n"
                      "##FIRSTX= 1\n##LASTX= 8\n##NPOINTS= 8\n##XYDATA= (X++(Y..Y))\n"
                      "1 10jjj\n5 8jjj\n##END=\n"
                      "##TITLE= npoints\n##NPOINTS= 3\n##PEAK TABLE= (XY..XY)\n50,1 51,2\n##END=\n"
                      "##TITLE= junk\n##PEAK TABLE= (XY..XY)\n50,1 51,#\n##END=\n"
                      "##TITLE= odd\n##PEAK TABLE= (XY..XY)\n50,1 51\n##END=\n"
                      "##TITLE= good\n##PEAK TABLE= (XY..XY)\n50,1 51,2\n##END=\n"
                      "##TITLE= cut\n##PEAK TABLE= (XY..XY)\n60,1 61,2\n",
                      0);
    nps_spectra *s = read_diag(path, &r, &rc);
    CHECK(rc == 0);
    CHECK_MSG(nps_spectra_count(s) == 1 && r.records_skipped == 5, "%zu %zu", nps_spectra_count(s),
              r.records_skipped);
    if (nps_spectra_count(s) == 1) CHECK(strcmp(nps_spectra_name(s, 0), "good") == 0);
    CHECK(strstr(diag_last, "bad.jdx:") && strstr(diag_last, "##END"));
    nps_spectra_free(s);

    /* a Y-check that holds, checked value dropped */
    path = scratch_write("ok.jdx",
                         "##TITLE= ok\n##FIRSTX= 1\n##LASTX= 7\n##NPOINTS= 7\n"
                         "##XYDATA= (X++(Y..Y))\n1 10jjj\n4 7jj\n6 5J\n8 6\n##END=\n",
                         0);
    s = read_diag(path, &r, &rc);
    CHECK(rc == 0 && nps_spectra_count(s) == 1 && r.records_skipped == 0);
    if (nps_spectra_count(s) == 1) {
        const double *mz;
        const float *in;
        CHECK(npk(s, 0, &mz, &in) == 7 && mz[6] == 7 && in[0] == 10 && in[6] == 6);
    }
    nps_spectra_free(s);

    /* nothing JCAMP in it: a clear error */
    path = scratch_write("empty.jdx", "##TITLE= nothing\n##END=\n", 0);
    s = read_diag(path, &r, &rc);
    CHECK(rc == NPS_EFORMAT && strstr(nps_error_last(), "empty.jdx:"));
    nps_spectra_free(s);

    /* TITLEs nested without END beyond any sane depth */
    char deep[4096] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "##TITLE= x\n##BLOCKS= 2\n");
    path = scratch_write("deep.jdx", deep, 0);
    s = read_diag(path, &r, &rc);
    CHECK(nps_spectra_count(s) == 0 && strstr(diag_last, "nested") != NULL);
    nps_spectra_free(s);
}

int main(void)
{
    if (scratch_open("jcamp")) return 2;
    asdf();
    malformed();
    files();
    scratch_close();
    return check_done("test_jcamp");
}

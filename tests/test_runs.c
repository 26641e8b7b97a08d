/*
 * Run formats: mzML and mzXML (expat + zlib), checked against what the
 * upstream test suites assert (format_vectors/VECTORS.md), and hostile
 * variants built here: invalid base64, corrupt and oversized zlib streams,
 * absurd declared lengths, deep nesting, entity bombs, broken XML.
 */
#include "check.h"
#include "scratch.h"

#include <zlib.h>

static nps_spectra *read_level(const char *path, int level, nps_read_report *rep)
{
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.ms_level = level;
    nps_read_report r = {0};
    int rc = nps_io_read(s, &r, path, &o);
    if (rc) fprintf(stderr, "read %s: %s\n", path, nps_error_last());
    if (rep) *rep = r;
    return s;
}

static size_t npk(const nps_spectra *s, size_t i, const double **mz, const float **in)
{
    size_t n;
    nps_spectra_peaks(s, i, mz, in, &n);
    return n;
}

static double getnum(const nps_spectra *s, size_t i, const char *key)
{
    const char *v = nps_spectra_get(s, i, key);
    return v ? atof(v) : NAN;
}

static void matchms_mzml(void)
{
    nps_read_report r;
    nps_spectra *s = read_level(data_path("format_vectors/matchms/testdata.mzml"), 0, &r);
    /* 12 spectra, 10 of them MS2: the default level reads those */
    CHECK(nps_spectra_count(s) == 10 && r.records_filtered == 2 && r.records_skipped == 0);
    static const size_t want[] = {30, 28, 21, 70, 28, 20, 22, 27, 11, 25};
    for (size_t i = 0; i < 10 && i < nps_spectra_count(s); i++) {
        const double *mz;
        const float *in;
        CHECK_MSG(npk(s, i, &mz, &in) == want[i], "spectrum %zu", i);
        CHECK(nps_spectra_kind(s, i) == NPS_KIND_MSMS);
    }
    /* the file's scan start time 0.616304 s, kept in minutes */
    CHECK_NEAR(getnum(s, 0, NPS_KEY_RETENTION_TIME), 0.616304 / 60, 1e-12);
    CHECK_NEAR(nps_spectra_precursor_mz(s, 5), 177, 1.0);
    CHECK(strstr(nps_spectra_get(s, 0, NPS_KEY_SPECTRUM_ID), "scan=2") != NULL);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_SPECTRUM_TYPE), "MS2") == 0);
    nps_spectra_free(s);
    s = read_level(data_path("format_vectors/matchms/testdata.mzml"), -1, &r);
    CHECK(nps_spectra_count(s) == 12 && r.records_filtered == 0);
    nps_spectra_free(s);
    s = read_level(data_path("format_vectors/matchms/testdata.mzml"), 1, &r);
    CHECK(nps_spectra_count(s) == 2 && r.records_filtered == 10);
    if (nps_spectra_count(s) == 2) {
        const double *mz;
        const float *in;
        CHECK(npk(s, 0, &mz, &in) > 1000); /* MS1 profile, zlib */
        CHECK(isnan(nps_spectra_precursor_mz(s, 0)));
    }
    nps_spectra_free(s);
}

static void pyteomics_mzml(void)
{
    nps_read_report r;
    /* tiny.pwiz: 4 spectra (3 MS1, 1 MS2), levels through referenceableParamGroups and
     * inline cvParams; 64-bit uncompressed arrays */
    nps_spectra *s = read_level(data_path("format_vectors/pyteomics/tiny.pwiz.1.1.mzML"), -1, &r);
    CHECK(nps_spectra_count(s) == 4 && r.records_skipped == 0);
    nps_spectra_free(s);
    s = read_level(data_path("format_vectors/pyteomics/tiny.pwiz.1.1.mzML"), 0, &r);
    CHECK(nps_spectra_count(s) == 1);
    if (nps_spectra_count(s) == 1) {
        const double *mz;
        const float *in;
        size_t n = npk(s, 0, &mz, &in);
        CHECK(n == 10 && mz[0] == 0 && mz[9] == 18 && in[0] == 20 && in[9] == 2);
        CHECK_NEAR(nps_spectra_precursor_mz(s, 0), 445.34, 1e-9);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_CHARGE), "2+") == 0);
        CHECK_NEAR(getnum(s, 0, NPS_KEY_RETENTION_TIME), 5.9905, 1e-9); /* minutes as given */
        CHECK_NEAR(getnum(s, 0, NPS_KEY_COLLISION_ENERGY), 35, 1e-12);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_IONIZATION), "nanoESI") == 0);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_SPECTRUM_ID), "scan=20") == 0);
    }
    nps_spectra_free(s);
    /* test.mzML: 2 MS1 spectra, zlib and plain, 32 and 64 bit */
    s = read_level(data_path("format_vectors/pyteomics/test.mzML"), -1, &r);
    CHECK(nps_spectra_count(s) == 2 && r.records_skipped == 0);
    nps_spectra_free(s);
}

static void mzxml(void)
{
    nps_read_report r;
    nps_spectra *s = read_level(data_path("format_vectors/matchms/testdata.mzXML"), 0, &r);
    CHECK(nps_spectra_count(s) == 1 && r.records_skipped == 0);
    nps_spectra_free(s);
    /* pyteomics: 2 scans, the MS2 nested inside the MS1 */
    s = read_level(data_path("format_vectors/pyteomics/test.mzXML"), -1, &r);
    CHECK(nps_spectra_count(s) == 2 && r.records_skipped == 0);
    nps_spectra_free(s);
    s = read_level(data_path("format_vectors/pyteomics/test.mzXML"), 0, &r);
    CHECK(nps_spectra_count(s) == 1);
    if (nps_spectra_count(s) == 1) {
        const double *mz;
        const float *in;
        CHECK(npk(s, 0, &mz, &in) == 43);
        CHECK_NEAR(nps_spectra_precursor_mz(s, 0), 445.35, 1e-9);
        CHECK_NEAR(getnum(s, 0, NPS_KEY_RETENTION_TIME), 356.68 / 60, 1e-9);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_SPECTRUM_ID), "20") == 0);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_ION_MODE), "Positive") == 0);
    }
    nps_spectra_free(s);
}

/* ------------------------------------------------------------------ hostile */

static void b64(char *out, const unsigned char *in, size_t n)
{
    static const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[k++] = a[v >> 18 & 63];
        out[k++] = a[v >> 12 & 63];
        out[k++] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[k++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[k] = '\0';
}

/* An mzML document with one MS2 spectrum per given (declared length, m/z binary,
 * intensity binary, compression accession) tuple. */
typedef struct {
    const char *length, *mz, *in, *compression;
} fake_spectrum;

static char *mzml_doc(const fake_spectrum *sp, size_t n)
{
    size_t cap = 1 << 20, k = 0;
    char *d = malloc(cap);
    k += (size_t)snprintf(d + k, cap - k,
                          "<?xml version=\"1.0\"?>\n<mzML><run><spectrumList count=\"%zu\">\n", n);
    for (size_t i = 0; i < n; i++) {
        k += (size_t)snprintf(
            d + k, cap - k,
            "<spectrum index=\"%zu\" id=\"scan=%zu\" defaultArrayLength=\"%s\">\n"
            "<cvParam accession=\"MS:1000511\" value=\"2\"/>\n"
            "<precursorList><precursor><selectedIonList><selectedIon>"
            "<cvParam accession=\"MS:1000744\" value=\"300.5\"/></selectedIon></selectedIonList>"
            "</precursor></precursorList>\n<binaryDataArrayList>\n"
            "<binaryDataArray><cvParam accession=\"MS:1000523\"/><cvParam accession=\"%s\"/>"
            "<cvParam accession=\"MS:1000514\"/><binary>%s</binary></binaryDataArray>\n"
            "<binaryDataArray><cvParam accession=\"MS:1000523\"/><cvParam accession=\"%s\"/>"
            "<cvParam accession=\"MS:1000515\"/><binary>%s</binary></binaryDataArray>\n"
            "</binaryDataArrayList></spectrum>\n",
            i, i + 1, sp[i].length, sp[i].compression, sp[i].mz, sp[i].compression, sp[i].in);
    }
    snprintf(d + k, cap - k, "</spectrumList></run></mzML>\n");
    return d;
}

static int read_diag(nps_spectra **out, nps_read_report *r, const char *path)
{
    nps_spectra_create(out);
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.on_error = on_diag;
    diag_reset();
    memset(r, 0, sizeof *r);
    return nps_io_read(*out, r, path, &o);
}

static void hostile_mzml(void)
{
    double mz[3] = {100.5, 200.25, 300.125};
    double in[3] = {10, 1000, 55};
    char mz64[64], in64[64];
    b64(mz64, (const unsigned char *)mz, sizeof mz);
    b64(in64, (const unsigned char *)in, sizeof in);
    unsigned char z[256], zin[256];
    uLongf zn = sizeof z, zinn = sizeof zin;
    compress(z, &zn, (const unsigned char *)mz, sizeof mz);
    compress(zin, &zinn, (const unsigned char *)in, sizeof in);
    char zmz64[400], zin64[400], bad_z64[400], short_z64[400];
    b64(zmz64, z, zn);
    b64(zin64, zin, zinn);
    z[zn / 2] ^= 0x55; /* corrupt the deflate data */
    b64(bad_z64, z, zn);
    b64(short_z64, z, zn - 5); /* cut short (and corrupt: either must be caught) */
    const char *none = "MS:1000576", *zlib = "MS:1000574";
    fake_spectrum sp[] = {
        {"3", mz64, in64, none},             /* 1 good */
        {"3", "AAAA$$$$", in64, none},       /* 2 invalid base64 */
        {"3", zmz64, zin64, zlib},           /* 3 good, zlib */
        {"3", bad_z64, zin64, zlib},         /* 4 corrupt zlib */
        {"3", short_z64, zin64, zlib},       /* 5 truncated zlib */
        {"1000000000000", mz64, in64, none}, /* 6 claims 10^12 peaks */
        {"4", mz64, in64, none},             /* 7 arrays shorter than declared */
        {"2", mz64, in64, none},             /* 8 arrays longer than declared */
        {"3", mz64, "QUJD", none},           /* 9 intensity array too short */
        {"-3", mz64, in64, none},            /* 10 negative length */
        {"3", mz64, in64, "MS:1002312"},     /* 11 MS-Numpress */
        {"3", zmz64, zin64, zlib},           /* 12 good again */
    };
    char *doc = mzml_doc(sp, sizeof sp / sizeof *sp);
    const char *path = scratch_write("hostile.mzML", doc, 0);
    free(doc);
    nps_spectra *s;
    nps_read_report r;
    CHECK(read_diag(&s, &r, path) == 0);
    CHECK_MSG(nps_spectra_count(s) == 3 && r.records_skipped == 9, "%zu read, %zu skipped",
              nps_spectra_count(s), r.records_skipped);
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        const double *m;
        const float *v;
        CHECK(npk(s, i, &m, &v) == 3 && m[0] == 100.5 && m[2] == 300.125 && v[1] == 1000);
    }
    CHECK(diag_count == 9);
    nps_spectra_free(s);

    /* a zlib bomb: 1 MB of zeros declared as 3 values */
    size_t big = 1 << 20;
    unsigned char *zeros = calloc(big, 1);
    uLongf bn = compressBound(big);
    unsigned char *bomb = malloc(bn);
    compress(bomb, &bn, zeros, big);
    char *bomb64 = malloc(bn * 2 + 8);
    b64(bomb64, bomb, bn);
    fake_spectrum bs[] = {{"3", bomb64, zin64, zlib}};
    doc = mzml_doc(bs, 1);
    path = scratch_write("bomb.mzML", doc, 0);
    free(doc);
    CHECK(read_diag(&s, &r, path) == 0);
    CHECK(nps_spectra_count(s) == 0 && r.records_skipped == 1);
    CHECK(strstr(diag_last, "longer than its declared length") != NULL ||
          strstr(diag_last, "more than the declared") != NULL);
    nps_spectra_free(s);
    free(zeros);
    free(bomb);
    free(bomb64);

    /* broken XML after one good spectrum: the good one stays, the break is reported */
    fake_spectrum one[] = {{"3", mz64, in64, none}};
    doc = mzml_doc(one, 1);
    char *cut = strstr(doc, "</spectrumList>");
    strcpy(cut, "<spectrum id=\"x\" defaultArrayLength=\"3\"><binaryDataArrayList><binary>AA</bin");
    path = scratch_write("broken.mzML", doc, 0);
    free(doc);
    CHECK(read_diag(&s, &r, path) == 0);
    CHECK(nps_spectra_count(s) == 1 && r.records_skipped == 1);
    CHECK(strstr(diag_last, "malformed XML") != NULL && strstr(diag_last, "broken.mzML:") != NULL);
    nps_spectra_free(s);

    /* strict mode stops at the first bad spectrum with file:line */
    doc = mzml_doc(sp, 3);
    path = scratch_write("strict.mzML", doc, 0);
    free(doc);
    nps_spectra_create(&s);
    nps_read_options so = NPS_READ_OPTIONS_INIT;
    so.strict = 1;
    CHECK(nps_io_read(s, NULL, path, &so) == NPS_EFORMAT);
    CHECK(strstr(nps_error_last(), "strict.mzML:") && strstr(nps_error_last(), "base64"));
    nps_spectra_free(s);

    /* deep nesting */
    size_t depth = 100000;
    char *deep = malloc(depth * 7 + 64);
    size_t k = (size_t)sprintf(deep, "<mzML>");
    for (size_t i = 0; i < depth; i++) k += (size_t)sprintf(deep + k, "<a>");
    sprintf(deep + k, "</mzML>");
    path = scratch_write("deep.mzML", deep, 0);
    free(deep);
    CHECK(read_diag(&s, &r, path) == 0);
    CHECK(nps_spectra_count(s) == 0 && strstr(diag_last, "nested deeper") != NULL);
    nps_spectra_free(s);

    /* entity expansion ("billion laughs") is refused before any expansion */
    path = scratch_write("laughs.mzML",
                         "<?xml version=\"1.0\"?>\n<!DOCTYPE mzML [\n<!ENTITY a \"aaaaaaaaaa\">\n"
                         "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
                         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n]>\n<mzML>&c;</mzML>\n",
                         0);
    CHECK(read_diag(&s, &r, path) == 0);
    CHECK(nps_spectra_count(s) == 0 && strstr(diag_last, "entity") != NULL);
    nps_spectra_free(s);

    /* an mzXML scan with bad base64 and one with a corrupt zlib stream */
    char pairs64[128];
    float pr[4];
    unsigned char be[16];
    pr[0] = 100.5f, pr[1] = 10, pr[2] = 200.25f, pr[3] = 30;
    for (int i = 0; i < 4; i++) {
        unsigned u;
        memcpy(&u, &pr[i], 4);
        be[4 * i] = (unsigned char)(u >> 24), be[4 * i + 1] = (unsigned char)(u >> 16);
        be[4 * i + 2] = (unsigned char)(u >> 8), be[4 * i + 3] = (unsigned char)u;
    }
    b64(pairs64, be, sizeof be);
    char xdoc[2048];
    snprintf(xdoc, sizeof xdoc,
             "<mzXML><msRun><scan num=\"1\" msLevel=\"2\" peaksCount=\"2\"><precursorMz>150"
             "</precursorMz><peaks precision=\"32\" byteOrder=\"network\" pairOrder=\"m/z-int\">"
             "%s</peaks></scan><scan num=\"2\" msLevel=\"2\" peaksCount=\"2\"><peaks "
             "precision=\"32\">@@@@</peaks></scan><scan num=\"3\" msLevel=\"2\" "
             "peaksCount=\"2\"><peaks precision=\"32\" compressionType=\"zlib\">%s</peaks>"
             "</scan><scan num=\"4\" msLevel=\"2\" peaksCount=\"999999999999\"><peaks>%s"
             "</peaks></scan></msRun></mzXML>",
             pairs64, pairs64, pairs64);
    path = scratch_write("hostile.mzXML", xdoc, 0);
    CHECK(read_diag(&s, &r, path) == 0);
    CHECK_MSG(nps_spectra_count(s) == 1 && r.records_skipped == 3, "%zu %zu", nps_spectra_count(s),
              r.records_skipped);
    if (nps_spectra_count(s) == 1) {
        const double *m;
        const float *v;
        CHECK(npk(s, 0, &m, &v) == 2 && m[0] == 100.5 && v[1] == 30);
        CHECK_NEAR(nps_spectra_precursor_mz(s, 0), 150, 0);
    }
    nps_spectra_free(s);
}

/* A valid MS2 spectrum of 10^6 peaks, zlib-compressed 64-bit arrays: read in
 * full, and beyond the peak limit refused before anything is decoded. */
static void million(void)
{
    size_t n = 1000000;
    double *mz = malloc(n * sizeof *mz), *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++) {
        mz[i] = 50 + (double)i * 0.001;
        in[i] = (double)(i % 1000 + 1);
    }
    uLongf zn1 = compressBound(n * 8), zn2 = zn1;
    unsigned char *z1 = malloc(zn1), *z2 = malloc(zn2);
    compress(z1, &zn1, (const unsigned char *)mz, n * 8);
    compress(z2, &zn2, (const unsigned char *)in, n * 8);
    char *b1 = malloc(zn1 * 2 + 8), *b2 = malloc(zn2 * 2 + 8);
    b64(b1, z1, zn1);
    b64(b2, z2, zn2);
    char path[512];
    snprintf(path, sizeof path, "%s", scratch_path("million.mzML"));
    FILE *fp = fopen(path, "w");
    fprintf(fp,
            "<mzML><run><spectrumList><spectrum id=\"big\" defaultArrayLength=\"%zu\">"
            "<cvParam accession=\"MS:1000511\" value=\"2\"/><binaryDataArrayList>"
            "<binaryDataArray><cvParam accession=\"MS:1000523\"/><cvParam "
            "accession=\"MS:1000574\"/><cvParam accession=\"MS:1000514\"/><binary>%s</binary>"
            "</binaryDataArray><binaryDataArray><cvParam accession=\"MS:1000523\"/><cvParam "
            "accession=\"MS:1000574\"/><cvParam accession=\"MS:1000515\"/><binary>%s</binary>"
            "</binaryDataArray></binaryDataArrayList></spectrum></spectrumList></run></mzML>\n",
            n, b1, b2);
    fclose(fp);
    nps_read_report r;
    nps_spectra *s = read_level(path, 0, &r);
    CHECK(nps_spectra_count(s) == 1 && nps_spectra_total_peaks(s) == n);
    if (nps_spectra_count(s) == 1) {
        const double *m;
        const float *v;
        npk(s, 0, &m, &v);
        CHECK(m[0] == 50 && m[n - 1] == mz[n - 1] && v[999] == 1000);
    }
    nps_spectra_free(s);
    nps_spectra_create(&s);
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.max_peaks = n - 1;
    memset(&r, 0, sizeof r);
    CHECK(nps_io_read(s, &r, path, &o) == 0 && nps_spectra_count(s) == 0 && r.records_skipped == 1);
    nps_spectra_free(s);
    free(mz);
    free(in);
    free(z1);
    free(z2);
    free(b1);
    free(b2);
}

int main(void)
{
    if (scratch_open("runs")) return 2;
    matchms_mzml();
    pyteomics_mzml();
    mzxml();
    hostile_mzml();
    million();
    scratch_close();
    return check_done("test_runs");
}

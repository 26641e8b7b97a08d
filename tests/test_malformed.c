/*
 * Malformed input: every bad record gets one "file:line: reason" report and is
 * skipped, the good records around it are kept, strict mode stops at the
 * first error, and nothing crashes, hangs or grows without bound.
 */
#include "check.h"
#include "scratch.h"

static char msgs[64][512];
static size_t nmsg;

static void on_error(void *ctx, const char *file, size_t line, const char *reason)
{
    (void)ctx;
    if (nmsg < 64) snprintf(msgs[nmsg++], 512, "%s:%zu: %s", file, line, reason);
}

/* Read `content` as file `name`; expect `good` records and `bad` reports, the
 * first naming line `line` and containing `reason`. */
static void expect(const char *name, const char *content, size_t len, size_t good, size_t bad,
                   size_t line, const char *reason)
{
    const char *p = scratch_write(name, content, len ? len : strlen(content));
    nps_spectra *s;
    nps_spectra_create(&s);
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.on_error = on_error;
    nps_read_report r = {0};
    nmsg = 0;
    int rc = nps_io_read(s, &r, p, &o);
    CHECK_MSG(rc == 0, "%s: rc %d (%s)", name, rc, nps_error_last());
    CHECK_MSG(nps_spectra_count(s) == good && r.records_read == good, "%s: %zu good", name,
              nps_spectra_count(s));
    CHECK_MSG(r.records_skipped == bad && nmsg == bad, "%s: %zu skipped, %zu reports", name,
              r.records_skipped, nmsg);
    if (bad && nmsg) {
        char want[700];
        snprintf(want, sizeof want, "%s:%zu: ", p, line);
        CHECK_MSG(strncmp(msgs[0], want, strlen(want)) == 0, "%s: got '%s'", name, msgs[0]);
        CHECK_MSG(strstr(msgs[0], reason) != NULL, "%s: got '%s'", name, msgs[0]);
    }
    /* strict mode: the first error stops the read with its message */
    if (bad) {
        nps_spectra *t;
        nps_spectra_create(&t);
        o.strict = 1;
        o.on_error = NULL;
        CHECK_MSG(nps_io_read(t, NULL, p, &o) == NPS_EFORMAT, "%s strict", name);
        CHECK(strstr(nps_error_last(), reason) != NULL);
        nps_spectra_free(t);
    }
    nps_spectra_free(s);
}

#define GOOD "Name: good\nNum Peaks: 2\n50 10\n60 20\n\n"

static void msp_cases(void)
{
    expect("ok.msp", GOOD GOOD, 0, 2, 0, 0, "");
    expect("nonnum.msp", GOOD "Name: bad\nNum Peaks: 2\n50 10\n6O 20\n\n" GOOD, 0, 2, 1, 9,
           "non-numeric");
    expect("nan.msp", GOOD "Name: bad\nNum Peaks: 1\nnan 10\n\n" GOOD, 0, 2, 1, 8, "non-numeric");
    expect("inf.msp", "Name: bad\nNum Peaks: 1\n50 inf\n\n" GOOD, 0, 1, 1, 3, "non-numeric");
    expect("neg.msp", GOOD "Name: bad\nNum Peaks: 1\n-50 10\n\n" GOOD, 0, 2, 1, 8, "negative m/z");
    expect("negint.msp", "Name: bad\nNum Peaks: 1\n50 -10\n\n" GOOD, 0, 1, 1, 3,
           "negative intensity");
    expect("count.msp", "Name: bad\nNum Peaks: 3\n50 10\n60 20\n\n" GOOD, 0, 1, 1, 1,
           "peak count mismatch");
    expect("count2.msp", "Name: bad\nNum Peaks: 1\n50 10\n60 20\n\n" GOOD, 0, 1, 1, 1,
           "peak count mismatch");
    expect("trunc.msp", GOOD "Name: cut\nNum Peaks: 5\n50 10\n60", 0, 1, 1, 9, "truncated file");
    expect("trunc2.msp", GOOD "Name: cut\nNum Peaks: 5\n50 10\n", 0, 1, 1, 8, "truncated record");
    expect("lonely.msp", GOOD "Name: bad\nNum Peaks: 2\n50\n60 20\n\n", 0, 1, 1, 8,
           "without an intensity");
    expect("absurd.msp", "Name: bad\nNum Peaks: 1000000000000\n50 10\n\n" GOOD, 0, 1, 1, 2,
           "exceeds the limit");
    expect("countword.msp", "Name: bad\nNum Peaks: many\n50 10\n\n" GOOD, 0, 1, 1, 2,
           "invalid peak count");
    expect("nopeaks.msp", "Name: bad\nFormula: C2H6O\n\n" GOOD, 0, 1, 1, 1, "without a peak list");
    expect("junk.msp", GOOD "%%%% garbage line\n\n" GOOD, 0, 2, 1, 6, "expected 'key: value'");
    /* binary garbage inside a text file: the record is lost, the rest kept */
    char bin[256];
    size_t n = 0;
    const char *g = GOOD;
    memcpy(bin + n, g, strlen(g));
    n += strlen(g);
    const char junk[] = "Name: x\nNum Peaks: 1\n\x01\x02\xff\x00\x10 5\n\n";
    memcpy(bin + n, junk, sizeof junk - 1);
    n += sizeof junk - 1;
    memcpy(bin + n, g, strlen(g));
    n += strlen(g);
    expect("binary_inside.msp", bin, n, 2, 1, 8, "binary data");
    /* CRLF, BOM, unsorted peaks and blank-line-free records are fine */
    expect("crlf.msp",
           "\xEF\xBB\xBFName: a\r\nNum Peaks: 2\r\n60 1\r\n50 2\r\nName: b\r\nNum Peaks: 1\r\n70 "
           "1\r\n",
           0, 2, 0, 0, "");
}

static void mgf_cases(void)
{
    const char *ok = "BEGIN IONS\nPEPMASS=100\n50 10\nEND IONS\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%sBEGIN IONS\nPEPMASS=100\n50 x\nEND IONS\n%s", ok, ok);
    expect("bad.mgf", buf, 0, 2, 1, 7, "non-numeric");
    snprintf(buf, sizeof buf, "%sBEGIN IONS\nPEPMASS=100\n50 10\n", ok);
    expect("trunc.mgf", buf, 0, 1, 1, 5, "END IONS");
    snprintf(buf, sizeof buf, "%sBEGIN IONS\nPEPMASS=100\n50 10\nBEGIN IONS\n60 1\nEND IONS\n", ok);
    expect("nested.mgf", buf, 0, 2, 1, 5, "without END IONS");
    snprintf(buf, sizeof buf, "%sBEGIN IONS\n-5 10\nEND IONS\n", ok);
    expect("neg.mgf", buf, 0, 1, 1, 6, "negative m/z");
}

static void massbank_cases(void)
{
    const char *ok =
        "ACCESSION: MSBNK-X-1\nCH$NAME: a\nPK$NUM_PEAK: 2\nPK$PEAK: m/z int. rel.int.\n"
        "  50.1 10 10\n  60.2 20 20\n//\n";
    char buf[1024];
    snprintf(buf, sizeof buf,
             "%sACCESSION: MSBNK-X-2\nCH$NAME: b\nPK$NUM_PEAK: 3\n"
             "PK$PEAK: m/z int. rel.int.\n  50.1 10 10\n//\n%s",
             ok, ok);
    expect("count.txt", buf, 0, 2, 1, 8, "peak count mismatch");
    snprintf(buf, sizeof buf,
             "%sACCESSION: MSBNK-X-2\nCH$NAME: b\nPK$NUM_PEAK: 1\n"
             "PK$PEAK: m/z int. rel.int.\n  5O.1 10 10\n//\n%s",
             ok, ok);
    expect("nonnum.txt", buf, 0, 2, 1, 12, "non-numeric");
    snprintf(buf, sizeof buf,
             "%sACCESSION: MSBNK-X-2\nCH$NAME: b\nPK$NUM_PEAK: 1\n"
             "PK$PEAK: m/z int. rel.int.\n  50.1 10 10\n",
             ok);
    expect("trunc.txt", buf, 0, 1, 1, 8, "no closing");
}

/* CSV/TSV: every dialect gives the same two peaks, named after the file. */
static void csv_cases(void)
{
    static const struct {
        const char *name, *text;
    } t[] = {{"comma.csv", "mz,intensity\n100.5,200\n150.25,50.5\n"},
             {"semicolon.csv", "m/z;Intensität\n100,5;200\n150,25;50,5\n"},
             {"tab.tsv", "100.5\t200\t99\n150.25\t50.5\t25\n"},
             {"space_comma.txt", "100,5 200\n150,25 50,5\n"},
             {"space.txt", "  100.5   200\r\n150.25 50.5\r\n"},
             {"quoted.csv", "\"mz\",\"int\"\n\"100.5\",\"200\"\n\"150.25\",\"50.5\"\n"},
             {"scientific.csv", "1.005e2,2e2\n1.5025E2,5.05e1\n"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        const char *p = scratch_write(t[i].name, t[i].text, strlen(t[i].text));
        nps_spectra *s;
        nps_spectra_create(&s);
        nps_read_report r = {0};
        int rc = nps_io_read(s, &r, p, NULL);
        CHECK_MSG(rc == 0 && nps_spectra_count(s) == 1, "%s: %s", t[i].name, nps_error_last());
        if (nps_spectra_count(s) == 1) {
            const double *mz;
            const float *in;
            size_t n;
            nps_spectra_peaks(s, 0, &mz, &in, &n);
            CHECK_MSG(n == 2 && mz[0] == 100.5 && in[0] == 200 && mz[1] == 150.25 && in[1] == 50.5f,
                      "%s: %zu peaks", t[i].name, n);
            char want[64];
            snprintf(want, sizeof want, "%s", t[i].name);
            *strrchr(want, '.') = '\0';
            CHECK_MSG(strcmp(nps_spectra_name(s, 0), want) == 0, "%s", t[i].name);
        }
        nps_spectra_free(s);
    }
    /* a bad line skips the file's spectrum, with its line */
    expect("bad.csv", "mz,int\n100.5,200\nabc,def\n150,3\n", 0, 0, 1, 3,
           "expected m/z and intensity");
    expect("neg.csv", "100.5,200\n-150,3\n", 0, 0, 1, 2, "negative");
}

static void other_formats(void)
{
    /* JCAMP-DX: NaN, a bad ASDF character, an incomplete pair; good blocks stay */
    expect("nan.jdx",
           "##TITLE= a\n##PEAK TABLE= (XY..XY)\n50,1 51,nan\n##END=\n"
           "##TITLE= b\n##PEAK TABLE= (XY..XY)\n50,1 51,2\n##END=\n",
           0, 1, 1, 1, "");
    expect("asdf.jdx",
           "##TITLE= b\n##PEAK TABLE= (XY..XY)\n50,1 51,2\n##END=\n"
           "##TITLE= a\n##XYDATA= (X++(Y..Y))\n1 10#2\n##END=\n",
           0, 1, 1, 7, "unexpected character");
    /* MS2: a peak with Inf, a negative intensity, a non-number */
    expect("inf.ms2",
           "S\t1\t1\t300.5\n100 inf\nS\t2\t2\t301.5\n100 -5\nS\t3\t3\t302\n100 x\n"
           "S\t4\t4\t303\n100 5\n",
           0, 1, 3, 2, "");
    /* mzSpecLib: NaN m/z, a peak count that disagrees */
    expect("bad.mzspeclib",
           "<mzSpecLib>\n<Spectrum=1>\nMS:1003061|library spectrum name=a\n<Peaks>\nnan\t5\n"
           "<Spectrum=2>\nMS:1003061|library spectrum name=b\nMS:1003059|number of peaks=3\n"
           "<Peaks>\n10\t5\n<Spectrum=3>\nMS:1003061|library spectrum name=c\n<Peaks>\n10\t5\n",
           0, 1, 2, 5, "");
    /* CSV: Inf intensity */
    expect("inf.csv", "100.5,200\n150,inf\n", 0, 0, 1, 2, "");
}

static void encodings(void)
{
    /* UTF-16 (with or without a BOM) is named, not called binary */
    const char *msp = "Name: x\nNum Peaks: 1\n50 1\n";
    char u16[256];
    size_t n = 0;
    u16[n++] = (char)0xFF;
    u16[n++] = (char)0xFE;
    for (const char *c = msp; *c; c++) {
        u16[n++] = *c;
        u16[n++] = 0;
    }
    nps_spectra *s;
    nps_spectra_create(&s);
    const char *p = scratch_write("utf16.msp", u16, n);
    CHECK(nps_io_read(s, NULL, p, NULL) == NPS_EUNSUPPORTED);
    CHECK(strstr(nps_error_last(), "UTF-16") && strstr(nps_error_last(), "utf16.msp"));
    p = scratch_write("utf16nobom.msp", u16 + 2, n - 2);
    CHECK(nps_io_read(s, NULL, p, NULL) == NPS_EUNSUPPORTED);
    CHECK(strstr(nps_error_last(), "UTF-16") != NULL);
    /* Latin-1 bytes in a name are kept, and JSON output stays valid UTF-8 */
    static const char latin1[] = "Name: m\xe9thyl\xe8ne\nNum Peaks: 1\n50 1\n";
    p = scratch_write("latin1.msp", latin1, sizeof latin1 - 1);
    CHECK_MSG(nps_io_read(s, NULL, p, NULL) == 0 && nps_spectra_count(s) == 1, "%s",
              nps_error_last());
    CHECK(strcmp(nps_spectra_name(s, 0), "m\xe9thyl\xe8ne") == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CHECK(nps_io_write(mem, s, NPS_FORMAT_JSON) == 0);
    fclose(mem);
    /* written as the UTF-8 of the same characters (é is U+00E9) */
    CHECK(buf && strstr(buf, "\"m\xc3\xa9thyl\xc3\xa8ne\"") != NULL);
    free(buf);
    /* UTF-8 passes through unchanged */
    nps_spectra_free(s);
    nps_spectra_create(&s);
    static const char utf8[] = "Name: m\xc3\xa9thyl\nNum Peaks: 1\n50 1\n";
    p = scratch_write("utf8.msp", utf8, sizeof utf8 - 1);
    CHECK(nps_io_read(s, NULL, p, NULL) == 0);
    mem = open_memstream(&buf, &len);
    CHECK(nps_io_write(mem, s, NPS_FORMAT_JSON) == 0);
    fclose(mem);
    CHECK(buf && strstr(buf, "\"m\xc3\xa9thyl\"") != NULL);
    free(buf);
    nps_spectra_free(s);
}

static void whole_file_errors(void)
{
    nps_spectra *s;
    nps_spectra_create(&s);
    const char *p = scratch_write("empty.msp", "", 0);
    CHECK(nps_io_read(s, NULL, p, NULL) == NPS_EFORMAT);
    CHECK(strstr(nps_error_last(), "empty file") && strstr(nps_error_last(), "empty.msp:1:"));
    p = scratch_write("blank.msp", "\n\n  \n", 5);
    CHECK(nps_io_read(s, NULL, p, NULL) == NPS_EFORMAT);
    char bin[4096];
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (char)((i * 2654435761u) >> 13);
    p = scratch_write("garbage.bin", bin, sizeof bin);
    int rc = nps_io_read(s, NULL, p, NULL);
    CHECK(rc == NPS_EFORMAT || rc == NPS_EUNSUPPORTED);
    CHECK(strstr(nps_error_last(), "garbage.bin") != NULL);
    CHECK(nps_io_read(s, NULL, "/nonexistent/file.msp", NULL) == NPS_EIO);
    CHECK(nps_spectra_count(s) == 0);
    nps_spectra_free(s);
}

static void limits(void)
{
    /* an over-long line is reported, not buffered whole */
    size_t big = 3 << 20;
    char *b = malloc(big + 200);
    strcpy(b, "Name: long\nComments: ");
    size_t n = strlen(b);
    memset(b + n, 'x', big);
    n += big;
    strcpy(b + n, "\nNum Peaks: 1\n50 1\n\n" GOOD);
    n += strlen(b + n);
    const char *p = scratch_write("longline.msp", b, n);
    nps_spectra *s;
    nps_spectra_create(&s);
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.max_line_bytes = 1 << 20;
    nps_read_report r = {0};
    CHECK(nps_io_read(s, &r, p, &o) == 0);
    CHECK(r.records_read == 1 && r.records_skipped == 1);
    /* with the default limit (64 MiB) the same line is accepted */
    nps_spectra_free(s);
    nps_spectra_create(&s);
    CHECK(nps_io_read(s, &r, p, NULL) == 0 && nps_spectra_count(s) == 2);
    nps_spectra_free(s);
    free(b);

    /* a valid spectrum of 10^6 peaks */
    size_t np = 1000000;
    FILE *fp = fopen(scratch_write("million.msp", "", 0), "w");
    fprintf(fp, "Name: million\nNum Peaks: %zu\n", np);
    for (size_t i = 0; i < np; i++) fprintf(fp, "%.4f %zu\n", 50 + i * 0.001, i % 1000 + 1);
    fclose(fp);
    char path[600];
    snprintf(path, sizeof path, "%s", scratch_path("million.msp"));
    nps_spectra_create(&s);
    CHECK(nps_io_read(s, &r, path, NULL) == 0);
    CHECK(nps_spectra_count(s) == 1 && nps_spectra_total_peaks(s) == np);
    nps_spectra_free(s);
}

int main(void)
{
    if (scratch_open("test_malformed")) return 2;
    msp_cases();
    mgf_cases();
    massbank_cases();
    csv_cases();
    other_formats();
    encodings();
    whole_file_errors();
    limits();
    scratch_close();
    return check_done("test_malformed");
}

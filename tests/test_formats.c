/*
 * Conformance of the MSP and MGF readers with the upstream test vectors in
 * ../shared/data/format_vectors (expectations from VECTORS.md).
 */
#include "check.h"

#include <dirent.h>
#include <sys/stat.h>

static size_t npk(const nps_spectra *s, size_t i, const double **mz, const float **in)
{
    size_t n;
    nps_spectra_peaks(s, i, mz, in, &n);
    return n;
}

static int prefix(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

static size_t count_key(const nps_spectra *s, size_t i, const char *key)
{
    size_t c = 0;
    for (size_t j = 0; j < nps_spectra_meta_count(s, i); j++) {
        const char *k, *v;
        nps_spectra_meta_at(s, i, j, &k, &v);
        c += strcasecmp(k, key) == 0;
    }
    return c;
}

static void mona(void)
{
    nps_read_report r;
    nps_spectra *s =
        read_file(data_path("format_vectors/matchms/MoNA-export-GC-MS-first10.msp"), &r);
    static const char *ik[] = {
        "ALRLPDGCPYIVHP", "UFBJCMHMOXMLKC", "WDNBURPWRNALGP", "RANCECPPZPIPNO", "HOLHYSJJBXSLMV",
        "UMPSXRYVXUPCOS", "HFZWRUODUSTPEG", "VPOMSPZBQMDLTM", "LHJGJYXLEPZJPM", "LINPIYWFGCPVIE"};
    CHECK(nps_spectra_count(s) == 10 && r.records_skipped == 0);
    for (size_t i = 0; i < 10 && i < nps_spectra_count(s); i++)
        CHECK_MSG(prefix(nps_spectra_get(s, i, NPS_KEY_INCHIKEY), ik[i]), "spectrum %zu", i);
    const double *mz;
    const float *in;
    size_t n = npk(s, 0, &mz, &in);
    CHECK(n == 75);
    CHECK(mz[0] == 51 && fabsf(in[0] - 2.66f) < 1e-5f);
    CHECK(mz[n - 1] == 248 && fabsf(in[n - 1] - 10.16f) < 1e-5f);
    CHECK(nps_spectra_kind(s, 0) == NPS_KIND_EI);
    nps_spectra_free(s);
}

static void massbank_five(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/massbank_five_spectra.msp"), NULL);
    static const char *ik[] = {"XTWYTFMLZFPYCI", "BEJNERDRQOWKJM", "UVKZSORBKUEBAZ",
                               "TTWJBBZEZQICBI", "SIIRBDOFKDACOK"};
    static const double parent[] = {428.31, 141.0193, 267.1856, 300.1473, 415.234};
    CHECK(nps_spectra_count(s) == 5);
    for (size_t i = 0; i < 5 && i < nps_spectra_count(s); i++) {
        CHECK(prefix(nps_spectra_get(s, i, NPS_KEY_INCHIKEY), ik[i]));
        CHECK_NEAR(nps_spectra_precursor_mz(s, i), parent[i], 1e-9);
    }
    CHECK(strcmp(nps_spectra_id(s, 0), "PS010904") == 0);
    nps_spectra_free(s);
}

static void perylene(void)
{
    nps_spectra *s =
        read_file(data_path("format_vectors/matchms/rcx_gc-ei_ms_20201028_perylene.msp"), NULL);
    CHECK(nps_spectra_count(s) == 1);
    const double *mz;
    const float *in;
    size_t n = npk(s, 0, &mz, &in);
    CHECK(n == 19);
    CHECK(mz[0] == 112.03071 && mz[n - 1] == 254.09985);
    size_t b = 0;
    for (size_t k = 0; k < n; k++)
        if (in[k] > in[b]) b = k;
    CHECK(mz[b] == 252.09323 && in[b] == 1955166.0f);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_INCHIKEY), "CSHWQDPOILHKBI-UHFFFAOYSA-N") == 0);
    size_t annotated = 0;
    for (size_t k = 0; k < n; k++) annotated += nps_spectra_peak_annotation(s, 0, k) != NULL;
    CHECK(annotated == 4); /* quoted per-peak comments are kept */
    nps_spectra_free(s);
}

static void semicolon(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/multiline_semicolon.msp"), NULL);
    CHECK(nps_spectra_count(s) == 2);
    const double *mz;
    const float *in;
    CHECK(strcmp(nps_spectra_name(s, 0), "Compound A") == 0);
    size_t n = npk(s, 0, &mz, &in);
    CHECK(n == 15);
    CHECK(mz[0] == 12 && in[0] == 0 && mz[1] == 24 && in[1] == 0 && mz[3] == 26 && in[3] == 4);
    CHECK(strcmp(nps_spectra_name(s, 1), "JWH 081") == 0);
    n = npk(s, 1, &mz, &in);
    static const double emz[] = {40, 41, 42, 43, 44, 46, 50, 51, 52, 53};
    static const float ein[] = {147, 57, 13, 52, 30, 1, 1, 8, 6, 1};
    CHECK(n == 10);
    for (size_t k = 0; k < 10 && k < n; k++) CHECK(mz[k] == emz[k] && in[k] == ein[k]);
    nps_spectra_free(s);
}

static void collection(void)
{
    nps_spectra *s =
        read_file(data_path("format_vectors/matchms/test_spectra_collection.msp"), NULL);
    CHECK(nps_spectra_count(s) == 3);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_INCHIKEY), "UDOOPSJCRMKSGL-ZHACJKMWSA-N") == 0);
    CHECK(prefix(nps_spectra_get(s, 1, NPS_KEY_INCHIKEY), "QQVDJLLNRSOCEL"));
    CHECK(prefix(nps_spectra_get(s, 2, NPS_KEY_INCHIKEY), "KPZYYKDXZKFBQU"));
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_PRECURSOR_TYPE), "M-H") == 0);
    CHECK(strcmp(nps_spectra_get(s, 1, NPS_KEY_PRECURSOR_TYPE), "[M-H]-") == 0);
    CHECK(strcmp(nps_spectra_get(s, 2, NPS_KEY_PRECURSOR_TYPE), "M+H") == 0);
    nps_spectra_free(s);
}

static void golm(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/golm.msp"), NULL);
    const double *mz;
    const float *in;
    CHECK(nps_spectra_count(s) == 3);
    CHECK(npk(s, 0, &mz, &in) == 50);
    nps_spectra_free(s);
    s = read_file(data_path("format_vectors/matchms/edge_golm.msp"), NULL);
    CHECK(nps_spectra_count(s) == 1);
    /* Golm packs sub-fields into synonyms ("Synon: METB N: name", "Synon: METB InChI: ...");
     * matchms unpacks them (11 names, an InChI, an RI); they are kept verbatim here. */
    size_t names = 0, inchi = 0;
    for (size_t j = 0; j < nps_spectra_meta_count(s, 0); j++) {
        const char *k, *v;
        nps_spectra_meta_at(s, 0, j, &k, &v);
        if (strcmp(k, NPS_KEY_SYNONYM) != 0) continue;
        names += prefix(v, "METB N: ");
        inchi += prefix(v, "METB InChI: InChI=1S/C2H2O3");
    }
    CHECK(names == 11 && inchi == 1);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_MW), "175,258") == 0);
    nps_spectra_free(s);
}

static void quotes(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/comments_with_quotes.msp"), NULL);
    const double *mz;
    const float *in;
    CHECK(nps_spectra_count(s) == 1);
    CHECK(npk(s, 0, &mz, &in) == 248);
    const char *c = nps_spectra_get(s, 0, NPS_KEY_COMMENTS);
    CHECK(c && strstr(c, "Semi-standard non-polar, TG-5SILMSwith10mGuard, 30mx0.25mmx0.25um"));
    nps_spectra_free(s);
}

static void no_name(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/save_as_msp_from_mgf.msp"), NULL);
    const double *mz;
    const float *in;
    CHECK(nps_spectra_count(s) == 1);
    CHECK(strcmp(nps_spectra_name(s, 0), "Dicrotophos") == 0); /* COMPOUND_NAME */
    CHECK(npk(s, 0, &mz, &in) == 5);
    CHECK_NEAR(nps_spectra_precursor_mz(s, 0), 238.0844, 1e-9);
    CHECK(mz[1] == 112.07591 && in[1] == 9070987.0f);
    CHECK(nps_spectra_peak_annotation(s, 0, 0) == NULL);
    const char *ann = nps_spectra_peak_annotation(s, 0, 1);
    CHECK(ann && strncmp(ann, "Theoretical m/z 112.075687, Mass diff 0 (1.99 ppm)", 50) == 0);
    nps_spectra_free(s);
}

static void openms_generic(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/openms/MSPGenericFile_input.msp"), NULL);
    const double *mz;
    const float *in;
    /* OpenMS drops the duplicate name (its policy); every record is kept here */
    CHECK(nps_spectra_count(s) == 4);
    CHECK(strcmp(nps_spectra_name(s, 0), "name1 of first") == 0);
    CHECK(npk(s, 0, &mz, &in) == 14);
    CHECK(count_key(s, 0, NPS_KEY_SYNONYM) == 2);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_FORMULA), "A11B22C333") == 0);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_MW), "156") == 0);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_CAS), "0123-45-6") == 0);
    CHECK(strcmp(nps_spectra_get(s, 0, "NIST#"), "654321") == 0);
    CHECK(strcmp(nps_spectra_id(s, 0), "1") == 0);
    CHECK(mz[0] == 27 && in[0] == 29 && mz[5] == 60 && in[5] == 41);
    CHECK(mz[10] == 90 && in[10] == 168 && mz[13] == 105 && in[13] == 36);
    CHECK(npk(s, 1, &mz, &in) == 15);
    CHECK(mz[5] == 260 && in[5] == 41);
    size_t n = npk(s, 3, &mz, &in);
    CHECK(n == 16);
    for (size_t k = 1; k < n; k++) CHECK(mz[k] >= mz[k - 1]); /* unsorted input is sorted */
    nps_spectra_free(s);
}

static void openms_truncated(void)
{
    nps_read_report r;
    nps_spectra *s = read_file(data_path("format_vectors/openms/MSPFile_test.msp"), &r);
    /* the last two records claim 97 and 171 peaks and hold 1 and 4: skipped, reported */
    CHECK(nps_spectra_count(s) == 5 && r.records_skipped == 2);
    nps_spectra_free(s);
}

static void ms_file_reader(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/ms_file_reader/test1.msp"), NULL);
    CHECK(nps_spectra_count(s) == 3);
    size_t with_ik = 0;
    for (size_t i = 0; i < nps_spectra_count(s); i++)
        with_ik += nps_spectra_get(s, i, NPS_KEY_INCHIKEY) != NULL;
    CHECK(with_ik == 3); /* empty fields are kept */
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_ION_MODE), "Positive") == 0);
    CHECK(strcmp(nps_spectra_get(s, 2, NPS_KEY_ION_MODE), "Unknown") == 0);
    const double *mz;
    const float *in;
    CHECK(npk(s, 2, &mz, &in) == 11);
    nps_spectra_free(s);
}

static void legacy(void)
{
    static const struct {
        const char *f;
        size_t n;
    } t[] = {
        {"format_vectors/mzspeclib_legacy/MSDIAL-TandemMassSpectralAtlas-VS68-Neg-Test.msp", 2},
        {"format_vectors/mzspeclib_legacy/MSMS-Neg-Vaniya-Fiehn_Natural_Products_test.msp", 1},
        {"format_vectors/mzspeclib_legacy/SAMPLE_SPECTRUM_METABOLOMICS_NIST_EXPORT.MSP", 1},
        {"format_vectors/mzspeclib_legacy/test_gcms_metabolomics.msp", 1},
        {"format_vectors/mzspeclib_legacy/verconium.msp", 1},
        {"format_vectors/mzspeclib_legacy/MoNA-export-GC-MS-first10.msp", 10},
        {"format_vectors/mzspeclib_legacy/GNPS.mgf", 1},
        {"format_vectors/openms/MoNA-export-GC-MS_Spectra_reduced_TSE_matchSpectrum.msp", 21},
        {"format_vectors/matchms/Hydrogen_chloride.msp", 1},
        {"format_vectors/matchms/riken_style_five_spectra.msp", 5},
        {"format_vectors/matchms/pesticides.mgf", 76},
        {"format_vectors/matchms/testdata.mgf", 30},
        {"format_vectors/pyteomics/test_annotated.mgf", 2},
        {"format_vectors/openms/FileHandler_MGFbyContent1.mgf", 1},
        {"format_vectors/openms/FileHandler_MGFbyContent2.mgf", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        nps_read_report r;
        nps_spectra *s = read_file(data_path(t[i].f), &r);
        CHECK_MSG(nps_spectra_count(s) == t[i].n && r.records_skipped == 0, "%s: %zu spectra",
                  t[i].f, nps_spectra_count(s));
        nps_spectra_free(s);
    }
    const double *mz;
    const float *in;
    nps_spectra *s = read_file(
        data_path("format_vectors/mzspeclib_legacy/SAMPLE_SPECTRUM_METABOLOMICS_NIST_EXPORT.MSP"),
        NULL);
    CHECK(npk(s, 0, &mz, &in) == 41);
    nps_spectra_free(s);
    s = read_file(data_path("format_vectors/openms/FileHandler_MGFbyContent2.mgf"), NULL);
    CHECK(npk(s, 0, &mz, &in) == 2);
    CHECK(nps_spectra_get(s, 0, "USERNAME") != NULL); /* global parameter inherited */
    nps_spectra_free(s);
}

static void pyteomics_mgf(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/pyteomics/test.mgf"), NULL);
    const double *mz;
    const float *in;
    CHECK(nps_spectra_count(s) == 2);
    static const double emz[] = {846.6, 846.8, 847.6, 1640.1, 1640.6, 1895.5};
    static const float ein[] = {73, 44, 67, 291, 54, 49};
    size_t n = npk(s, 0, &mz, &in);
    CHECK(n == 6);
    for (size_t k = 0; k < 6 && k < n; k++) CHECK(mz[k] == emz[k] && in[k] == ein[k]);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_CHARGE), "2+") == 0);
    CHECK_NEAR(nps_spectra_precursor_mz(s, 0), 983.6, 1e-12);
    CHECK(strcmp(nps_spectra_get(s, 1, NPS_KEY_CHARGE), "2+ and 3+") == 0); /* inherited */
    CHECK_NEAR(nps_spectra_precursor_mz(s, 1), 1084.9, 1e-12);
    CHECK(strcmp(nps_spectra_get(s, 1, NPS_KEY_PRECURSOR_MZ), "1084.9 1234") == 0);
    CHECK(strcmp(nps_spectra_get(s, 1, "RTINSECONDS"), "25") == 0);
    CHECK(strcmp(nps_spectra_get(s, 1, "SCANS"), "3") == 0);
    CHECK(nps_spectra_get(s, 1, "ITOL") != NULL && nps_spectra_get(s, 0, "USEREMAIL") != NULL);
    n = npk(s, 1, &mz, &in);
    CHECK(n == 6 && mz[0] == 345.1 && in[0] == 237); /* third column (charge) kept as text */
    CHECK(strcmp(nps_spectra_peak_annotation(s, 1, 0), "3") == 0);
    CHECK(nps_spectra_peak_annotation(s, 0, 0) == NULL);
    nps_spectra_free(s);

    s = read_file(data_path("format_vectors/pyteomics/test_pepmass.mgf"), NULL);
    CHECK(nps_spectra_count(s) == 3);
    for (size_t i = 0; i < nps_spectra_count(s); i++)
        CHECK_NEAR(nps_spectra_precursor_mz(s, i), 983.6, 1e-12);
    CHECK(strcmp(nps_spectra_get(s, 2, NPS_KEY_CHARGE), "3+") == 0);
    nps_spectra_free(s);
}

static void msl(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/JL_2021_V2.msl"), NULL);
    const double *mz;
    const float *in;
    CHECK(nps_spectra_count(s) == 1);
    CHECK(strcmp(nps_spectra_name(s, 0), "G3P") == 0);
    size_t n = npk(s, 0, &mz, &in);
    CHECK(n == 30 && mz[0] == 52 && in[0] == 3 && mz[29] == 102 && in[29] == 4);
    CHECK(mz[10] == 73 && in[10] == 1000);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_RETENTION_INDEX), "1586.2") == 0);
    CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_RETENTION_TIME), "9.648") == 0);
    CHECK(nps_spectra_kind(s, 0) == NPS_KIND_EI);
    nps_spectra_free(s);
    static const struct {
        const char *f;
        size_t n;
    } t[] = {{"format_vectors/openms/SpectraSTSimilarityScore_1.msp", 3},
             {"format_vectors/openms/SpecLibSearcher_1.MSP", 1}};
    for (size_t i = 0; i < 2; i++) {
        nps_read_report r;
        s = read_file(data_path(t[i].f), &r);
        CHECK_MSG(nps_spectra_count(s) == t[i].n && r.records_skipped == 0, "%s", t[i].f);
        nps_spectra_free(s);
    }
}

static void text_runs(void)
{
    /* MS1/MS2 (pyteomics): 2 MS1 scans; 3 MS2 records, the 3rd with 4-column peaks */
    nps_read_report r;
    const double *mz;
    const float *in;
    nps_spectra *s = read_file(data_path("format_vectors/pyteomics/test.ms1"), &r);
    CHECK(nps_spectra_count(s) == 2 && r.records_skipped == 0);
    if (nps_spectra_count(s) == 2) {
        CHECK(npk(s, 1, &mz, &in) == 9 && isnan(nps_spectra_precursor_mz(s, 1)));
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_RETENTION_TIME), "0.987225") == 0);
    }
    nps_spectra_free(s);
    s = read_file(data_path("format_vectors/pyteomics/test.ms2"), &r);
    CHECK(nps_spectra_count(s) == 3 && r.records_skipped == 0);
    if (nps_spectra_count(s) == 3) {
        CHECK(npk(s, 0, &mz, &in) == 6 && mz[0] == 846.6 && in[0] == 73);
        CHECK(nps_spectra_precursor_mz(s, 0) == 983.6 && nps_spectra_precursor_mz(s, 2) == 445.12);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_CHARGE), "2+") == 0);
        CHECK(npk(s, 2, &mz, &in) == 8 && mz[7] == 149.0444 && in[7] == 181082.3f);
        CHECK(nps_spectra_peak_annotation(s, 2, 7) == NULL); /* extra columns are not notes */
        CHECK(nps_spectra_kind(s, 2) == NPS_KIND_MSMS);
    }
    nps_spectra_free(s);
    /* mzSpecLib: the same spectrum as Hydrogen_chloride.msp */
    s = read_file(data_path("format_vectors/matchms/Hydrogen_chloride.mzspeclib"), &r);
    nps_spectra *m = read_file(data_path("format_vectors/matchms/Hydrogen_chloride.msp"), NULL);
    CHECK(nps_spectra_count(s) == 1 && nps_spectra_count(m) == 1 && r.records_skipped == 0);
    if (nps_spectra_count(s) == 1 && nps_spectra_count(m) == 1) {
        const double *mz2;
        const float *in2;
        size_t n = npk(s, 0, &mz, &in);
        CHECK(n == 4 && npk(m, 0, &mz2, &in2) == 4);
        for (size_t k = 0; k < n && k < 4; k++) CHECK(mz[k] == mz2[k] && in[k] == in2[k]);
        CHECK(strcmp(nps_spectra_name(s, 0), nps_spectra_name(m, 0)) == 0);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_FORMULA), "ClH") == 0);
    }
    nps_spectra_free(s);
    nps_spectra_free(m);
    /* the HUPO-PSI "spice" example: 11 synthetic-cannabinoid MS/MS spectra, attributes
     * in groups and in an "all" attribute set */
    s = read_file(data_path("mzspeclib_spice/spice.mzSpecLib.txt"), &r);
    CHECK(nps_spectra_count(s) == 11 && r.records_skipped == 0);
    if (nps_spectra_count(s) == 11) {
        CHECK(strcmp(nps_spectra_name(s, 0), "JWH-250-5OH") == 0);
        CHECK(nps_spectra_precursor_mz(s, 0) == 352.19);
        CHECK(npk(s, 0, &mz, &in) == 51 && mz[0] == 51.0236);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_ION_MODE), "Positive") == 0);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_COLLISION_ENERGY), "40.0") == 0);
        CHECK(strcmp(nps_spectra_get(s, 0, NPS_KEY_FORMULA), "C22H25NO2") == 0);
        for (size_t i = 0; i < 11; i++) CHECK(nps_spectra_kind(s, i) == NPS_KIND_MSMS);
    }
    nps_spectra_free(s);
}

/* Every file under format_vectors: spectra formats parse (at least one
 * spectrum, known expectations elsewhere in this file), everything else is
 * refused with a message naming the file; nothing crashes. */
static void sweep_dir(const char *dir, size_t *parsed, size_t *refused_n)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            sweep_dir(p, parsed, refused_n);
            continue;
        }
        static const char *spectra_ext[] = {".msp",  ".MSP",  ".msl",   ".mgf",
                                            ".mzml", ".mzML", ".mzXML", ".DX",
                                            ".jdx",  ".ms1",  ".ms2",   ".mzspeclib"};
        int spectral = 0;
        size_t n = strlen(e->d_name);
        for (size_t k = 0; k < sizeof spectra_ext / sizeof *spectra_ext; k++) {
            size_t m = strlen(spectra_ext[k]);
            if (n > m && strcmp(e->d_name + n - m, spectra_ext[k]) == 0) spectral = 1;
        }
        if (strncmp(e->d_name, "MSBNK-", 6) == 0 || strstr(dir, "mzspeclib_legacy")) spectral = 1;
        if (strcmp(e->d_name, "LICENSE") == 0) spectral = 0;
        nps_spectra *s;
        nps_spectra_create(&s);
        nps_read_options o = NPS_READ_OPTIONS_INIT;
        o.ms_level = -1;
        nps_read_report r = {0};
        nps_error_clear();
        int rc = nps_io_read(s, &r, p, &o);
        if (spectral) {
            CHECK_MSG(rc == 0 && nps_spectra_count(s) > 0, "%s: rc %d, %zu spectra: %s", p, rc,
                      nps_spectra_count(s), nps_error_last());
            (*parsed)++;
        } else {
            CHECK_MSG(rc == NPS_EUNSUPPORTED || rc == NPS_EFORMAT || r.records_skipped > 0,
                      "%s: rc %d", p, rc);
            if (rc) CHECK_MSG(strstr(nps_error_last(), e->d_name) != NULL, "%s", nps_error_last());
            (*refused_n)++;
        }
        nps_spectra_free(s);
    }
    closedir(d);
}

static void sweep(void)
{
    size_t parsed = 0, refused_n = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", data_path("format_vectors/VECTORS.md"));
    *strrchr(dir, '/') = '\0';
    sweep_dir(dir, &parsed, &refused_n);
    printf("format_vectors: %zu spectra files parsed, %zu other files refused\n", parsed,
           refused_n);
    CHECK(parsed >= 50); /* 54 spectra files as shipped */
}

static void refused(void)
{
    /* a file in no format we know is refused by name, never misparsed */
    char path[] = "/tmp/nps_refused_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    static const char doc[] = "<?xml version=\"1.0\"?>\n<MzIdentML id=\"x\">\n</MzIdentML>\n";
    CHECK(write(fd, doc, sizeof doc - 1) == (ssize_t)(sizeof doc - 1));
    close(fd);
    nps_spectra *s;
    nps_spectra_create(&s);
    int rc = nps_io_read(s, NULL, path, NULL);
    CHECK_MSG(rc == NPS_EUNSUPPORTED, "%d", rc);
    CHECK(strstr(nps_error_last(), "unsupported format") != NULL);
    nps_spectra_free(s);
    unlink(path);
}

int main(void)
{
    mona();
    massbank_five();
    perylene();
    semicolon();
    collection();
    golm();
    quotes();
    no_name();
    openms_generic();
    openms_truncated();
    ms_file_reader();
    legacy();
    pyteomics_mgf();
    msl();
    text_runs();
    refused();
    sweep();
    return check_done("test_formats");
}

/*
 * MassBank record reader: every one of the 3,593 original records under
 * massbank/records_forensic_subset/ gives the same peaks and metadata as its
 * entry in massbank_forensic_subset.msp (converted from the same records), and
 * the format vectors' records (current and pre-2.6) parse.
 */
#include "check.h"

#include <dirent.h>

static size_t read_dir(nps_spectra *s, const char *dir, size_t *skipped)
{
    DIR *d = opendir(dir);
    size_t files = 0;
    if (!d) return 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".txt") == 0 &&
            strncmp(e->d_name, "MSBNK", 5) == 0) {
            nps_read_report r = {0};
            int rc = nps_io_read(s, &r, path, NULL);
            if (rc) fprintf(stderr, "%s: %s\n", path, nps_error_last());
            *skipped += r.records_skipped + (rc != 0);
            files++;
        } else if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) {
            files += read_dir(s, path, skipped);
        }
    }
    closedir(d);
    return files;
}

int main(void)
{
    const char *dir = data_path("massbank/records_forensic_subset");
    nps_spectra *rec;
    nps_spectra_create(&rec);
    size_t skipped = 0, files = read_dir(rec, dir, &skipped);
    CHECK(files == 3593 && skipped == 0 && nps_spectra_count(rec) == 3593);
    nps_spectra *msp = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    size_t peak_bad = 0, meta_bad = 0, missing = 0, fields = 0;
    for (size_t i = 0; i < nps_spectra_count(msp); i++) {
        size_t j;
        if (nps_spectra_find(&j, rec, nps_spectra_id(msp, i))) {
            missing++;
            continue;
        }
        const double *m1, *m2;
        const float *i1, *i2;
        size_t n1, n2;
        nps_spectra_peaks(msp, i, &m1, &i1, &n1);
        nps_spectra_peaks(rec, j, &m2, &i2, &n2);
        int ok = n1 == n2;
        for (size_t k = 0; ok && k < n1; k++) ok = m1[k] == m2[k] && i1[k] == i2[k];
        if (!ok && peak_bad++ < 3) fprintf(stderr, "peaks differ: %s\n", nps_spectra_id(msp, i));
        /* every MSP field but the converter's Comments, in order for repeated keys */
        size_t syn1 = 0;
        for (size_t f = 0; f < nps_spectra_meta_count(msp, i); f++) {
            const char *k, *v;
            nps_spectra_meta_at(msp, i, f, &k, &v);
            if (strcmp(k, NPS_KEY_COMMENTS) == 0) continue;
            fields++;
            const char *w = NULL;
            size_t seen = 0;
            for (size_t g = 0; g < nps_spectra_meta_count(rec, j); g++) {
                const char *k2, *v2;
                nps_spectra_meta_at(rec, j, g, &k2, &v2);
                if (strcmp(k2, k) != 0) continue;
                if (strcmp(k, NPS_KEY_SYNONYM) == 0 && seen++ < syn1) continue;
                w = v2;
                break;
            }
            if (strcmp(k, NPS_KEY_SYNONYM) == 0) syn1++;
            if (!w || strcmp(w, v) != 0) {
                if (meta_bad++ < 5)
                    fprintf(stderr, "%s: %s: '%s' vs '%s'\n", nps_spectra_id(msp, i), k, v,
                            w ? w : "(missing)");
            }
        }
    }
    printf("massbank records: %zu files, %zu MSP entries; %zu fields compared; missing %zu, "
           "peak mismatches %zu, field mismatches %zu\n",
           files, nps_spectra_count(msp), fields, missing, peak_bad, meta_bad);
    CHECK(missing == 0 && peak_bad == 0 && meta_bad == 0 && fields > 40000);
    /* kinds: the 53 EI records of the subset read as EI */
    size_t ei = 0;
    for (size_t j = 0; j < nps_spectra_count(rec); j++)
        ei += nps_spectra_kind(rec, j) == NPS_KIND_EI;
    CHECK(ei >= 53);
    nps_spectra_free(msp);
    nps_spectra_free(rec);

    /* the format vectors: a current record and the pre-2.6 ones */
    static const char *vec[] = {"format_vectors/ms_file_reader/MSBNK-UvA_IBED-UI000101.txt",
                                "format_vectors/mzspeclib_legacy/ML000251.txt",
                                "format_vectors/mzspeclib_legacy/MSJ00581.txt",
                                "format_vectors/mzspeclib_legacy/NA002902.txt",
                                "format_vectors/mzspeclib_legacy/PB000447.txt",
                                "format_vectors/mzspeclib_legacy/UA002501.txt",
                                "format_vectors/mzspeclib_legacy/WA000956.txt"};
    for (size_t v = 0; v < sizeof vec / sizeof *vec; v++) {
        nps_read_report r;
        nps_spectra *s = read_file(data_path(vec[v]), &r);
        CHECK_MSG(nps_spectra_count(s) == 1 && r.records_skipped == 0, "%s", vec[v]);
        if (nps_spectra_count(s) == 1) {
            const double *mz;
            const float *in;
            size_t n;
            nps_spectra_peaks(s, 0, &mz, &in, &n);
            CHECK_MSG(n > 0 && nps_spectra_name(s, 0)[0], "%s", vec[v]);
        }
        nps_spectra_free(s);
    }
    return check_done("test_massbank");
}

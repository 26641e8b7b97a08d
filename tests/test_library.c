/*
 * The HDF5 library file: MSP -> library -> MSP keeps every peak and field,
 * the processed peaks and parameters survive a save/open, MGF round trips,
 * and damaged or foreign files are refused with a clear error.
 */
#include "check.h"
#include "scratch.h"

#include "../src/library/library.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

/* Same spectra: ids, every metadata entry in order, every peak bit for bit. */
static void same_spectra(const nps_spectra *a, const nps_spectra *b, const char *what)
{
    CHECK_MSG(nps_spectra_count(a) == nps_spectra_count(b), "%s: %zu vs %zu", what,
              nps_spectra_count(a), nps_spectra_count(b));
    size_t bad = 0;
    for (size_t i = 0; i < nps_spectra_count(a) && i < nps_spectra_count(b); i++) {
        int ok = strcmp(nps_spectra_id(a, i), nps_spectra_id(b, i)) == 0;
        const double *ma, *mb;
        const float *ia, *ib;
        size_t na, nb;
        nps_spectra_peaks(a, i, &ma, &ia, &na);
        nps_spectra_peaks(b, i, &mb, &ib, &nb);
        ok = ok && na == nb;
        for (size_t k = 0; ok && k < na; k++) {
            ok = ma[k] == mb[k] && ia[k] == ib[k];
            const char *x = nps_spectra_peak_annotation(a, i, k),
                       *y = nps_spectra_peak_annotation(b, i, k);
            ok = ok && ((!x && !y) || (x && y && strcmp(x, y) == 0));
        }
        size_t ka = nps_spectra_meta_count(a, i), kb = nps_spectra_meta_count(b, i);
        /* the MSP writer adds Name: when a record had none */
        ok = ok && (ka == kb || (ka + 1 == kb && !nps_spectra_get(a, i, NPS_KEY_NAME)));
        for (size_t j = 0, jb = 0; ok && j < ka; j++, jb++) {
            const char *k1, *v1, *k2, *v2;
            nps_spectra_meta_at(a, i, j, &k1, &v1);
            nps_spectra_meta_at(b, i, jb, &k2, &v2);
            if (ka != kb && jb == 0 && strcmp(k2, NPS_KEY_NAME) == 0) {
                nps_spectra_meta_at(b, i, ++jb, &k2, &v2);
            }
            ok = strcmp(k1, k2) == 0 && strcmp(v1, v2) == 0;
        }
        if (!ok && bad++ < 3)
            fprintf(stderr, "%s: spectrum %zu (%s) differs\n", what, i, nps_spectra_id(a, i));
    }
    CHECK_MSG(bad == 0, "%s: %zu spectra differ", what, bad);
}

static void roundtrip(const char *src, nps_format fmt)
{
    nps_spectra *s = read_file(src, NULL);
    nps_library *lib, *back;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    CHECK(nps_library_save(lib, scratch_path("rt.h5")) == 0);
    CHECK(nps_library_open(&back, scratch_path("rt.h5")) == 0);
    same_spectra(nps_library_spectra(lib), nps_library_spectra(back), "raw after open");
    same_spectra(nps_library_processed(lib), nps_library_processed(back), "processed after open");
    for (size_t i = 0; i < nps_spectra_count(s); i++) {
        CHECK(nps_spectra_kind(s, i) == nps_spectra_kind(nps_library_spectra(back), i));
        double p1 = nps_spectra_precursor_mz(s, i),
               p2 = nps_spectra_precursor_mz(nps_library_spectra(back), i);
        CHECK((isnan(p1) && isnan(p2)) || p1 == p2);
    }
    const char *out = scratch_path(fmt == NPS_FORMAT_MGF ? "rt.mgf" : "rt.msp");
    CHECK(nps_io_write_path(out, nps_library_spectra(back), fmt) == 0);
    nps_spectra *again = read_file(out, NULL);
    if (fmt == NPS_FORMAT_MSP)
        same_spectra(nps_library_spectra(lib), again, src); /* the library's ids are unique */
    else {
        CHECK(nps_spectra_count(again) == nps_spectra_count(s));
        for (size_t i = 0; i < nps_spectra_count(s) && i < nps_spectra_count(again); i++) {
            const double *ma, *mb;
            const float *ia, *ib;
            size_t na, nb;
            nps_spectra_peaks(s, i, &ma, &ia, &na);
            nps_spectra_peaks(again, i, &mb, &ib, &nb);
            CHECK(na == nb && (na == 0 || (ma[0] == mb[0] && ia[na - 1] == ib[nb - 1])));
            CHECK(strcmp(nps_spectra_id(s, i), nps_spectra_id(again, i)) == 0);
            double p1 = nps_spectra_precursor_mz(s, i), p2 = nps_spectra_precursor_mz(again, i);
            CHECK((isnan(p1) && isnan(p2)) || p1 == p2);
        }
    }
    nps_spectra_free(again);
    nps_library_free(back);
    nps_library_free(lib);
    nps_spectra_free(s);
}

/* Repeated ids (here OpenMS's duplicate record, DB# 2 twice) get distinct ids;
 * nothing else changes and the original DB# is kept. */
static void unique_ids(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/openms/MSPGenericFile_input.msp"), NULL);
    nps_library *lib;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    const nps_spectra *l = nps_library_spectra(lib);
    CHECK(nps_spectra_count(l) == 4 && nps_spectra_count(s) == 4);
    if (nps_spectra_count(l) == 4) {
        CHECK(strcmp(nps_spectra_id(s, 2), nps_spectra_id(s, 1)) == 0);
        CHECK(strcmp(nps_spectra_id(l, 1), "2") == 0 && strcmp(nps_spectra_id(l, 2), "2#2") == 0);
        CHECK(strcmp(nps_spectra_get(l, 2, "Original_DB#"), "2") == 0);
        CHECK(strcmp(nps_spectra_name(l, 2), nps_spectra_name(s, 2)) == 0);
        const double *m1, *m2;
        const float *i1, *i2;
        size_t n1, n2;
        nps_spectra_peaks(s, 2, &m1, &i1, &n1);
        nps_spectra_peaks(l, 2, &m2, &i2, &n2);
        CHECK(n1 == n2 && memcmp(m1, m2, n1 * sizeof *m1) == 0);
    }
    CHECK(nps_library_verify(lib) == 0);
    nps_library_free(lib);
    nps_spectra_free(s);
}

static void params_roundtrip(void)
{
    nps_spectra *s = read_file(data_path("format_vectors/matchms/pesticides.mgf"), NULL);
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    cfg.msms.noise = 0.05;
    cfg.msms.max_peaks = 20;
    cfg.msms.merge_tolerance = 0.01;
    cfg.msms.merge_tolerance_ppm = 15;
    cfg.ei.unit_mass = 0;
    nps_library *lib, *back;
    CHECK(nps_library_create(&lib, s, &cfg) == 0);
    CHECK(nps_library_save(lib, scratch_path("p.h5")) == 0);
    CHECK(nps_library_open(&back, scratch_path("p.h5")) == 0);
    const nps_preprocess_config *got = nps_library_preprocessing(back);
    const nps_preprocess_options *pa[2] = {&got->ei, &got->msms}, *pb[2] = {&cfg.ei, &cfg.msms};
    for (int k = 0; k < 2; k++)
        CHECK(pa[k]->raw == pb[k]->raw && pa[k]->unit_mass == pb[k]->unit_mass &&
              pa[k]->min_mz == pb[k]->min_mz &&
              pa[k]->precursor_removal == pb[k]->precursor_removal &&
              pa[k]->merge_tolerance == pb[k]->merge_tolerance &&
              pa[k]->merge_tolerance_ppm == pb[k]->merge_tolerance_ppm &&
              pa[k]->noise == pb[k]->noise && pa[k]->max_peaks == pb[k]->max_peaks &&
              pa[k]->normalize == pb[k]->normalize);
    for (size_t i = 0; i < nps_spectra_count(nps_library_processed(back)); i++) {
        const double *m;
        const float *in;
        size_t n;
        nps_spectra_peaks(nps_library_processed(back), i, &m, &in, &n);
        CHECK(n <= 20);
    }
    CHECK(nps_library_format_version(back) == NPS_LIBRARY_FORMAT_VERSION);
    /* reprocessing re-derives the search copy from the imported peaks */
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    nps_library *re = NULL;
    CHECK(nps_library_reprocess(&re, back, &raw) == 0);
    CHECK(nps_spectra_total_peaks(nps_library_processed(re)) == nps_spectra_total_peaks(s));
    /* the library it came from is untouched (plans may be using it) */
    CHECK(nps_spectra_total_peaks(nps_library_processed(back)) < nps_spectra_total_peaks(s));
    CHECK(nps_library_verify(re) == 0);
    nps_library_free(re);
    nps_library_free(back);
    nps_library_free(lib);
    nps_spectra_free(s);
}

static void copy_file(const char *from, const char *to, long truncate_at, long flip_at)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    int c;
    long pos = 0;
    while ((c = getc(a)) != EOF) {
        if (truncate_at >= 0 && pos >= truncate_at) break;
        if (pos == flip_at) c ^= 0x10;
        putc(c, b);
        pos++;
    }
    fclose(a);
    fclose(b);
}

static void damaged(void)
{
    nps_spectra *s = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    nps_library *lib, *x = NULL;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    CHECK(nps_library_save(lib, scratch_path("good.h5")) == 0);
    nps_spectra_free(s);
    FILE *fp = fopen(scratch_path("good.h5"), "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);

    CHECK(nps_library_open(&x, scratch_path("missing.h5")) == NPS_EIO);
    fp = fopen(scratch_path("text.h5"), "w");
    fputs("Name: not a library\n", fp);
    fclose(fp);
    CHECK(nps_library_open(&x, scratch_path("text.h5")) == NPS_ELIBRARY);
    CHECK(strstr(nps_error_last(), "text.h5") != NULL);
    /* truncated at many points: never a crash, always an error */
    for (long cut = 0; cut < size; cut += size / 23 + 1) {
        copy_file(scratch_path("good.h5"), scratch_path("cut.h5"), cut, -1);
        int rc = nps_library_open(&x, scratch_path("cut.h5"));
        CHECK_MSG(rc == NPS_ELIBRARY || rc == NPS_EIO, "cut at %ld: %d", cut, rc);
        if (rc == 0) nps_library_free(x);
    }
    /* a flipped bit anywhere is either caught (Fletcher-32 checksums on every dataset,
     * structural checks) or fell in bytes that hold no data (chunk padding, free
     * space): then the library must read back identical */
    size_t caught = 0, tries = 0;
    for (long at = 0; at < size; at += size / 97 + 1) {
        copy_file(scratch_path("good.h5"), scratch_path("flip.h5"), -1, at);
        int rc = nps_library_open(&x, scratch_path("flip.h5"));
        tries++;
        if (rc == 0) {
            same_spectra(nps_library_spectra(lib), nps_library_spectra(x), "after a harmless flip");
            same_spectra(nps_library_processed(lib), nps_library_processed(x),
                         "after a harmless flip");
            CHECK(memcmp(&nps_library_preprocessing(lib)->msms.noise,
                         &nps_library_preprocessing(x)->msms.noise, sizeof(double)) == 0);
            nps_library_free(x);
        } else {
            CHECK(rc == NPS_ELIBRARY || rc == NPS_EIO);
            caught++;
        }
    }
    printf("bit flips detected: %zu of %zu (the rest hit no data)\n", caught, tries);
    nps_library_free(lib);
    /* an HDF5 file that is not an npsmatch library */
    hid_t f = H5Fcreate(scratch_path("foreign.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d[1] = {3};
    double v[3] = {1, 2, 3};
    H5LTmake_dataset_double(f, "x", 1, d, v);
    H5Fclose(f);
    CHECK(nps_library_open(&x, scratch_path("foreign.h5")) == NPS_ELIBRARY);
    CHECK(strstr(nps_error_last(), "not an npsmatch library") != NULL);
}

static void search_only(void)
{
    nps_spectra *s = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    nps_library *lib, *full, *so;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    CHECK(nps_library_save(lib, scratch_path("so.h5")) == 0);
    CHECK(nps_library_open(&full, scratch_path("so.h5")) == 0);
    CHECK(nps_library_open_ex(&so, scratch_path("so.h5"), NPS_LIBRARY_SEARCH_ONLY) == 0);
    same_spectra(nps_library_processed(full), nps_library_processed(so), "search-only processed");
    /* the metadata is there, the imported peaks are not */
    CHECK(nps_library_spectra(so) == nps_library_processed(so));
    CHECK(strcmp(nps_spectra_name(nps_library_spectra(so), 5),
                 nps_spectra_name(nps_library_spectra(full), 5)) == 0);
    CHECK(nps_library_save(so, scratch_path("so2.h5")) == NPS_EINVAL);
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    nps_library *re = NULL;
    CHECK(nps_library_reprocess(&re, so, &cfg) == NPS_EINVAL);
    CHECK(re == NULL);
    /* and it searches exactly like the full library */
    nps_spectra *q;
    nps_spectra_create(&q);
    for (size_t i = 0; i < nps_spectra_count(s); i += 50) nps_spectra_add_from(q, s, i);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    /* ... and like the library built in memory (whose index is built, not read) */
    nps_hits *a, *b, *c;
    CHECK(nps_search_run(&a, full, q, &o) == 0 && nps_search_run(&b, so, q, &o) == 0);
    CHECK(nps_search_run(&c, lib, q, &o) == 0);
    CHECK(nps_hits_count(a) == nps_hits_count(b) && nps_hits_count(a) > 0);
    CHECK(nps_hits_count(a) == nps_hits_count(c));
    for (size_t i = 0; i < nps_hits_count(a) && i < nps_hits_count(b); i++)
        CHECK(nps_hits_at(a, i)->reference == nps_hits_at(b, i)->reference &&
              nps_hits_at(a, i)->score == nps_hits_at(b, i)->score);
    for (size_t i = 0; i < nps_hits_count(a) && i < nps_hits_count(c); i++)
        CHECK(nps_hits_at(a, i)->reference == nps_hits_at(c, i)->reference &&
              nps_hits_at(a, i)->score == nps_hits_at(c, i)->score);
    nps_hits_free(a);
    nps_hits_free(b);
    nps_hits_free(c);
    nps_spectra_free(q);
    nps_library_free(so);
    nps_library_free(full);
    nps_library_free(lib);
    nps_spectra_free(s);
}

static void atomic_save(void)
{
    /* saving over an existing library replaces it whole; a failed save (to a
     * directory that does not exist) leaves nothing behind */
    nps_spectra *s =
        read_file(data_path("format_vectors/matchms/MoNA-export-GC-MS-first10.msp"), NULL);
    nps_library *lib, *back;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    CHECK(nps_library_save(lib, scratch_path("a.h5")) == 0);
    CHECK(nps_library_save(lib, scratch_path("a.h5")) == 0);
    CHECK(nps_library_open(&back, scratch_path("a.h5")) == 0);
    CHECK(nps_spectra_count(nps_library_spectra(back)) == 10);
    nps_library_free(back);
    CHECK(nps_library_save(lib, "/nonexistent-dir/x.h5") == NPS_EIO);
    nps_library_free(lib);
    nps_spectra_free(s);
}

/* Edit a uint32 dataset of a saved library in place with edit(values, n),
 * then re-seal the envelope: damage a writer makes, behind right checksums. */
static void edit_u32(const char *path, const char *name, void (*edit)(uint32_t *, size_t))
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    CHECK_MSG(d >= 0, "%s: no dataset %s", path, name);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    uint32_t *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (n > 0 && H5Dread(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
        edit(v, (size_t)n);
        CHECK(H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    }
    free(v);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    CHECK(nps_envelope_seal(path) == 0);
}

/* two entries' spectrum numbers swapped: each spectrum keeps its number of
 * entries, so only the entries' m/z against their peaks tell */
static void swap_two(uint32_t *v, size_t n)
{
    CHECK(v[10] != v[n / 2]);
    uint32_t t = v[10];
    v[10] = v[n / 2];
    v[n / 2] = t;
}

/* one spectrum twice in a scan order, one never */
static void repeat_first(uint32_t *v, size_t n)
{
    v[n - 1] = v[0];
}

/* A library whose checksums are right but whose content breaks an invariant
 * (a damaged writer, not a damaged disk) is caught by nps_library_verify. */
static void verify_invariants(void)
{
    nps_spectra *s = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    nps_library *lib, *x;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    CHECK(nps_library_verify(lib) == 0);
    CHECK(nps_library_save(lib, scratch_path("v.h5")) == 0);
    nps_spectra_free(s);
    edit_u32(scratch_path("v.h5"), "index/spectrum", swap_two);
    CHECK(nps_library_open(&x, scratch_path("v.h5")) == 0); /* opens: the checksums are right */
    CHECK(nps_library_verify(x) == NPS_ELIBRARY);
    CHECK(strstr(nps_error_last(), "index entry") != NULL);
    nps_library_free(x);
    /* an edited byte without re-sealing is caught on open, naming the file */
    FILE *fp = fopen(scratch_path("v.h5"), "r+b");
    fseek(fp, 4096, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, 4096, SEEK_SET);
    fputc(c ^ 1, fp);
    fclose(fp);
    CHECK(nps_library_open(&x, scratch_path("v.h5")) == NPS_ELIBRARY);
    CHECK(strstr(nps_error_last(), "checksum mismatch") && strstr(nps_error_last(), "v.h5"));
    nps_library_free(lib);
}

/* A scan order (/index/order) that is not a permutation of the spectra is
 * rejected on open, even with the checksums right; a file without one opens
 * and searches in the library's own order, with the same hits. */
static void scan_order_file(void)
{
    nps_spectra *s = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    nps_library *lib, *x = NULL;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    CHECK(nps_library_save(lib, scratch_path("o.h5")) == 0);
    CHECK(nps_library_save(lib, scratch_path("n.h5")) == 0);
    edit_u32(scratch_path("o.h5"), "index/order", repeat_first);
    CHECK(nps_library_open(&x, scratch_path("o.h5")) == NPS_ELIBRARY);
    CHECK(strstr(nps_error_last(), "permutation") && strstr(nps_error_last(), "o.h5"));
    nps_library_free(x);
    x = NULL;
    /* without the order: the library's own, and the same hits */
    hid_t f = H5Fopen(scratch_path("n.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(H5Ldelete(f, "index/order", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    CHECK(nps_envelope_seal(scratch_path("n.h5")) == 0);
    CHECK(nps_library_open(&x, scratch_path("n.h5")) == 0);
    if (x) {
        CHECK(nps_library_index(x)->lib_of == NULL && nps_library_index(lib)->lib_of != NULL);
        CHECK(nps_library_verify(x) == 0);
        nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
        so.mode = NPS_MODE_OPEN;
        so.threads = 1;
        nps_hits *a = NULL, *b = NULL;
        CHECK(nps_search_run(&a, lib, s, &so) == 0);
        CHECK(nps_search_run(&b, x, s, &so) == 0);
        if (a && b) {
            CHECK(nps_hits_count(a) == nps_hits_count(b) && nps_hits_count(a) > 0);
            size_t differ = 0;
            for (size_t i = 0; i < nps_hits_count(a) && i < nps_hits_count(b); i++) {
                const nps_hit *ha = nps_hits_at(a, i), *hb = nps_hits_at(b, i);
                differ += ha->query != hb->query || ha->reference != hb->reference ||
                          ha->score != hb->score;
            }
            CHECK_MSG(differ == 0, "%zu hits differ between the two orders", differ);
        }
        nps_hits_free(a);
        nps_hits_free(b);
    }
    nps_library_free(x);
    nps_spectra_free(s);
    nps_library_free(lib);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double t)
{
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Run `npsmatch library build -o out src` in a child. With after >= 0, wait
 * until its temporary file appears (the write has begun), then SIGKILL it
 * `after` seconds later. *write_time gets the time from the temporary file's
 * appearance to the child's end (or kill). Returns the child's pid. */
static pid_t build_child(const char *out, const char *src, double after, double *write_time)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* the child's messages go to a scratch file, not a device */
        int err = open(scratch_path("build_child.err"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err >= 0) dup2(err, 2);
        execl(NPS_CLI_PATH, "npsmatch", "library", "build", "-o", out, src, (char *)NULL);
        _exit(127);
    }
    char tmpname[600];
    /* nps_output names its temporary file <target>.tmp.<pid>.<n> */
    snprintf(tmpname, sizeof tmpname, "%s.tmp.%ld.0", out, (long)pid);
    int status, done = 0;
    while (!(done = waitpid(pid, &status, WNOHANG) == pid) && access(tmpname, F_OK) != 0)
        sleep_s(50e-6);
    double t0 = now();
    if (!done && after >= 0) {
        sleep_s(after);
        kill(pid, SIGKILL);
    }
    if (!done) waitpid(pid, &status, 0);
    if (write_time) *write_time = now() - t0;
    return pid;
}

/* A writer killed at any moment leaves the previous library intact: SIGKILL
 * `npsmatch library build` writing a new library over an old one, at
 * moments spread over its whole write (from the temporary file's creation
 * to the rename); afterwards the path opens, verifies, and holds either the
 * old library or (if the rename had happened) the complete new one. */
static void killed_writer(void)
{
    const char *small = data_path("format_vectors/matchms/MoNA-export-GC-MS-first10.msp");
    const char *big = data_path("massbank/massbank_forensic_subset.msp");
    const char *path = scratch_path("kill.h5");
    nps_library *x;
    double span;
    build_child(scratch_path("timing.h5"), big, -1, &span);
    int trials = 30, saw_old = 0, saw_new = 0, partial = 0;
    for (int k = 0; k < trials; k++) {
        build_child(path, small, -1, NULL);
        double at = span * 1.3 * k / (trials - 1);
        pid_t pid = build_child(path, big, at, NULL);
        int rc = nps_library_open(&x, path);
        CHECK_MSG(rc == 0, "killed %.4f s into the write: %s", at, nps_error_last());
        if (rc) continue;
        CHECK(nps_library_verify(x) == 0);
        size_t n = nps_spectra_count(nps_library_spectra(x));
        CHECK(n == 10 || n == 3593);
        if (n == 10)
            saw_old++;
        else
            saw_new++;
        nps_library_free(x);
        char leftover[600];
        snprintf(leftover, sizeof leftover, "%s.tmp.%ld.0", path, (long)pid);
        if (access(leftover, F_OK) == 0) partial++;
        remove(leftover); /* the killed writer's partial file, never the library */
    }
    printf("killed writers (the write takes %.4f s): %d left the old library (%d of them "
           "with a partial temporary file), %d had completed the new one\n",
           span, saw_old, partial, saw_new);
    CHECK(partial > 0); /* the kills did land during writes */
}

int main(void)
{
    if (scratch_open("test_library")) return 2;
    roundtrip(data_path("massbank/massbank_forensic_subset.msp"), NPS_FORMAT_MSP);
    roundtrip(data_path("format_vectors/matchms/multiline_semicolon.msp"), NPS_FORMAT_MSP);
    roundtrip(data_path("format_vectors/openms/MSPGenericFile_input.msp"), NPS_FORMAT_MSP);
    roundtrip(data_path("format_vectors/matchms/save_as_msp_from_mgf.msp"), NPS_FORMAT_MSP);
    roundtrip(data_path("format_vectors/openms/MSPFile_test.msp"), NPS_FORMAT_MSP);
    roundtrip(data_path("format_vectors/matchms/rcx_gc-ei_ms_20201028_perylene.msp"),
              NPS_FORMAT_MSP);
    roundtrip(data_path("format_vectors/pyteomics/test.mgf"), NPS_FORMAT_MGF);
    roundtrip(data_path("format_vectors/matchms/pesticides.mgf"), NPS_FORMAT_MGF);
    params_roundtrip();
    unique_ids();
    verify_invariants();
    scan_order_file();
    killed_writer();
    damaged();
    search_only();
    atomic_save();
    scratch_close();
    return check_done("test_library");
}

/*
 * Input from any byte stream: memory buffers, gzip (one member, several,
 * truncated, corrupt), pipes and FIFOs (detection must not swallow the first
 * bytes), and directories (name order, recursion, hidden entries, files that
 * are not spectra). Each case compares the spectra read with those read from
 * a plain file, peak for peak and id for id.
 */
#include "check.h"
#include "scratch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

/* A synthetic MSP file of n records, well over the 8 KiB that detection
 * looks at, so a reader that lost the sniffed bytes would lose records. */
static char *msp_text(size_t n, const char *prefix, size_t *len)
{
    size_t cap = n * 200 + 64, k = 0;
    char *t = malloc(cap);
    if (!t) exit(2);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k,
                              "Name: %s compound %zu\nDB#: %s-%zu\nNum Peaks: 3\n"
                              "%zu 100\n%zu 50\n%zu 25\n\n",
                              prefix, i, prefix, i, 41 + i % 50, 77 + i % 90, 105 + i % 120);
    *len = k;
    return t;
}

/* gzip of data[0, n) (one member), in a malloc'd buffer. */
static unsigned char *gzip_bytes(const char *data, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
    size_t cap = deflateBound(&z, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    if (!out) exit(2);
    z.next_in = (unsigned char *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(2);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static int same_spectra(const nps_spectra *a, const nps_spectra *b)
{
    if (nps_spectra_count(a) != nps_spectra_count(b)) {
        fprintf(stderr, "%zu spectra against %zu\n", nps_spectra_count(a), nps_spectra_count(b));
        return 0;
    }
    for (size_t i = 0; i < nps_spectra_count(a); i++) {
        const double *ma, *mb;
        const float *ia, *ib;
        size_t na, nb;
        nps_spectra_peaks(a, i, &ma, &ia, &na);
        nps_spectra_peaks(b, i, &mb, &ib, &nb);
        if (na != nb || strcmp(nps_spectra_id(a, i), nps_spectra_id(b, i)) != 0) return 0;
        for (size_t k = 0; k < na; k++)
            if (ma[k] != mb[k] || ia[k] != ib[k]) return 0;
    }
    return 1;
}

static nps_spectra *new_spectra(void)
{
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    return s;
}

static void memory_and_gzip(void)
{
    size_t len;
    char *text = msp_text(400, "M", &len);
    CHECK(len > 16384);
    const char *path = scratch_write("m.msp", text, len);
    nps_spectra *ref = read_file(path, NULL);
    CHECK(nps_spectra_count(ref) == 400);

    nps_spectra *s = new_spectra();
    nps_read_report r = {0};
    CHECK(nps_io_read_memory(s, &r, text, len, "upload.msp", NULL) == 0);
    CHECK(same_spectra(s, ref) && r.records_read == 400 && r.files_read == 1);
    nps_spectra_free(s);

    size_t glen;
    unsigned char *gz = gzip_bytes(text, len, &glen);
    s = new_spectra();
    CHECK(nps_io_read_memory(s, NULL, gz, glen, "upload.msp.gz", NULL) == 0);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);

    /* the same bytes as a file whose name says nothing about gzip */
    const char *gpath = scratch_write("plain-name.txt", (const char *)gz, glen);
    s = read_file(gpath, NULL);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);

    /* two members, as `cat a.gz b.gz` makes */
    size_t len2, glen2;
    char *text2 = msp_text(50, "N", &len2);
    unsigned char *gz2 = gzip_bytes(text2, len2, &glen2);
    unsigned char *cat = malloc(glen + glen2);
    if (!cat) exit(2);
    memcpy(cat, gz, glen);
    memcpy(cat + glen, gz2, glen2);
    s = new_spectra();
    CHECK(nps_io_read_memory(s, NULL, cat, glen + glen2, "cat.gz", NULL) == 0);
    CHECK(nps_spectra_count(s) == 450);
    CHECK(strcmp(nps_spectra_id(s, 449), "N-49") == 0);
    nps_spectra_free(s);

    /* cut short: an error that says so, never a silently shorter file */
    s = new_spectra();
    int rc = nps_io_read_memory(s, NULL, gz, glen / 2, "cut.msp.gz", NULL);
    CHECK(rc == NPS_EIO);
    CHECK_MSG(strstr(nps_error_last(), "cut.msp.gz") && strstr(nps_error_last(), "truncated"), "%s",
              nps_error_last());
    nps_spectra_free(s);

    /* damaged inside the deflate data */
    unsigned char *bad = malloc(glen);
    if (!bad) exit(2);
    memcpy(bad, gz, glen);
    for (size_t k = 20; k < 60 && k < glen; k++) bad[k] ^= 0x5a;
    s = new_spectra();
    rc = nps_io_read_memory(s, NULL, bad, glen, "bad.gz", NULL);
    CHECK(rc == NPS_EIO);
    CHECK_MSG(strstr(nps_error_last(), "gzip"), "%s", nps_error_last());
    nps_spectra_free(s);

    /* empty input, and a NULL buffer with a length */
    s = new_spectra();
    CHECK(nps_io_read_memory(s, NULL, "", 0, "empty", NULL) == NPS_EFORMAT);
    CHECK(nps_io_read_memory(s, NULL, NULL, 10, "null", NULL) == NPS_EINVAL);
    nps_spectra_free(s);

    free(bad);
    free(cat);
    free(gz2);
    free(text2);
    free(gz);
    free(text);
    nps_spectra_free(ref);
}

/* Write data to fd from a child process, then exit. */
static pid_t writer(int fd, const void *data, size_t len)
{
    pid_t pid = fork();
    if (pid == 0) {
        const char *p = data;
        while (len) {
            /* small writes, so the reader sees short reads */
            size_t chunk = len < 1000 ? len : 1000;
            ssize_t w = write(fd, p, chunk);
            if (w <= 0) _exit(1);
            p += w;
            len -= (size_t)w;
        }
        close(fd);
        _exit(0);
    }
    return pid;
}

/* Read data[0, len) through a pipe, by its /dev/fd/N name as process
 * substitution hands it over (the read end of our own pipe, nothing else). */
static nps_spectra *read_through_pipe(const void *data, size_t len, const nps_read_options *ro)
{
    int fd[2];
    if (pipe(fd)) exit(2);
    pid_t pid = writer(fd[1], data, len);
    close(fd[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd[0]);
    nps_spectra *s = new_spectra();
    if (nps_io_read(s, NULL, path, ro)) fprintf(stderr, "%s\n", nps_error_last());
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return s;
}

static void pipes_and_fifos(void)
{
    size_t len;
    char *text = msp_text(300, "P", &len);
    nps_spectra *ref = new_spectra();
    CHECK(nps_io_read_memory(ref, NULL, text, len, "ref", NULL) == 0);

    /* a pipe, read through /dev/fd/N as process substitution does */
    nps_spectra *s = read_through_pipe(text, len, NULL);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);

    /* a FIFO: opened once, so no second open waits for a second writer */
    const char *fifo = scratch_path("queries.fifo");
    CHECK(mkfifo(fifo, 0600) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        int w = open(fifo, O_WRONLY);
        if (w < 0) _exit(1);
        pid_t inner = writer(w, text, len);
        close(w);
        int st;
        waitpid(inner, &st, 0);
        _exit(0);
    }
    s = read_file(fifo, NULL);
    waitpid(pid, NULL, 0);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);

    /* gzip through a pipe */
    size_t glen;
    unsigned char *gz = gzip_bytes(text, len, &glen);
    s = read_through_pipe(gz, glen, NULL);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);

    free(gz);
    free(text);
    nps_spectra_free(ref);
}

/* An mzML run read from a file, from gzip in memory and through a pipe gives
 * the same spectra (the XML driver reads the same stream). */
static void xml_streams(void)
{
    const char *path = data_path("format_vectors/pyteomics/tiny.pwiz.1.1.mzML");
    nps_read_options ro = NPS_READ_OPTIONS_INIT;
    ro.ms_level = -1;
    nps_spectra *ref = new_spectra();
    CHECK(nps_io_read(ref, NULL, path, &ro) == 0);
    CHECK(nps_spectra_count(ref) > 0);
    FILE *fp = fopen(path, "rb");
    if (!fp) exit(2);
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc, fp);
    fclose(fp);
    size_t glen;
    unsigned char *gz = gzip_bytes(doc, n, &glen);
    nps_spectra *s = new_spectra();
    CHECK(nps_io_read_memory(s, NULL, gz, glen, "tiny.mzML.gz", &ro) == 0);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);
    s = read_through_pipe(doc, n, &ro);
    CHECK(same_spectra(s, ref));
    nps_spectra_free(s);
    free(gz);
    nps_spectra_free(ref);
}

static void directories(void)
{
    /* dir/b.msp, dir/a.mgf, dir/sub/c.msp.gz, dir/README, dir/.hidden.msp,
     * dir/lib.h5 (a library, not a spectra file) */
    CHECK(mkdir(scratch_path("dir"), 0700) == 0);
    CHECK(mkdir(scratch_path("dir/sub"), 0700) == 0);
    CHECK(mkdir(scratch_path("dir/empty"), 0700) == 0);
    size_t lb, lc, lh;
    char *b = msp_text(3, "B", &lb), *c = msp_text(2, "C", &lc), *h = msp_text(1, "H", &lh);
    scratch_write("dir/b.msp", b, lb);
    scratch_write("dir/a.mgf", "BEGIN IONS\nTITLE=A-0\n50 10\n60 20\nEND IONS\n", 0);
    size_t glen;
    unsigned char *gz = gzip_bytes(c, lc, &glen);
    scratch_write("dir/sub/c.msp.gz", (const char *)gz, glen);
    scratch_write("dir/README", "These are the lab's reference spectra.\n", 0);
    scratch_write("dir/.hidden.msp", h, lh);
    nps_spectra *ls = new_spectra();
    CHECK(nps_io_read_memory(ls, NULL, b, lb, "b", NULL) == 0);
    nps_library *lib;
    CHECK(nps_library_create(&lib, ls, NULL) == 0);
    CHECK(nps_library_save(lib, scratch_path("dir/lib.h5")) == 0);
    nps_library_free(lib);
    nps_spectra_free(ls);

    nps_read_options ro = NPS_READ_OPTIONS_INIT;
    ro.on_error = on_diag;
    diag_reset();
    nps_spectra *s = new_spectra();
    nps_read_report r = {0};
    CHECK(nps_io_read(s, &r, scratch_path("dir"), &ro) == 0);
    /* byte order of the names: README (skipped), a.mgf, b.msp, lib.h5
     * (skipped: a library, not a spectra file), sub/c.msp.gz */
    CHECK_MSG(nps_spectra_count(s) == 6, "%zu", nps_spectra_count(s));
    if (nps_spectra_count(s) == 6) {
        CHECK(strcmp(nps_spectra_id(s, 0), "A-0") == 0);
        CHECK(strcmp(nps_spectra_id(s, 1), "B-0") == 0);
        CHECK(strcmp(nps_spectra_id(s, 5), "C-1") == 0);
    }
    CHECK(r.files_read == 3 && r.files_skipped == 2 && r.records_read == 6);
    CHECK(diag_count == 2);
    CHECK_MSG(strstr(diag_last, "lib.h5:0:") && strstr(diag_last, "npsmatch library"), "%s",
              diag_last);
    nps_spectra_free(s);

    /* strict: the first file that is not a spectra file stops the walk */
    ro.strict = 1;
    s = new_spectra();
    CHECK(nps_io_read(s, NULL, scratch_path("dir"), &ro) == NPS_EUNSUPPORTED);
    CHECK_MSG(strstr(nps_error_last(), "README: unsupported format"), "%s", nps_error_last());
    nps_spectra_free(s);

    /* a directory with nothing to read is an error, not an empty success */
    ro.strict = 0;
    s = new_spectra();
    CHECK(nps_io_read(s, NULL, scratch_path("dir/empty"), &ro) == NPS_EFORMAT);
    CHECK_MSG(strstr(nps_error_last(), "no spectra file"), "%s", nps_error_last());
    nps_spectra_free(s);

    /* a library file is recognised by content, whatever its name */
    CHECK(rename(scratch_path("dir/lib.h5"), scratch_path("lib.dat")) == 0);
    int is_lib = -1;
    CHECK(nps_library_sniff(&is_lib, scratch_path("lib.dat")) == 0 && is_lib == 1);
    CHECK(nps_library_sniff(&is_lib, scratch_path("dir/b.msp")) == 0 && is_lib == 0);
    CHECK(nps_library_sniff(&is_lib, scratch_path("dir")) == 0 && is_lib == 0);
    CHECK(nps_library_sniff(&is_lib, scratch_path("missing")) == 0 && is_lib == 0);
    CHECK(nps_library_sniff(NULL, "x") == NPS_EINVAL);
    free(gz);
    free(b);
    free(c);
    free(h);
}

int main(void)
{
    if (scratch_open("streams")) return 2;
    memory_and_gzip();
    pipes_and_fifos();
    directories();
    xml_streams();
    scratch_close();
    return check_done("test_streams");
}

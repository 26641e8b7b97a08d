/*
 * netCDF AIA / ANDI-MS runs (ASTM E2077 "Analytical Data Interchange
 * Protocol for Mass Spectrometric Data", the open export of every GC-MS
 * vendor: Agilent ChemStation/MassHunter, Shimadzu GCMSsolution, Thermo
 * Xcalibur, LECO ChromaTOF), read and written through Unidata's netCDF
 * library (Debian libnetcdf-dev).
 *
 * A run is a set of parallel per-scan arrays over the dimension
 * `scan_number` and two point arrays over `point_number`:
 *   scan_acquisition_time  the scan's time (seconds unless `units` says otherwise)
 *   scan_index             the scan's first point
 *   point_count            its number of points
 *   mass_values            m/z of every point     (optional scale_factor)
 *   intensity_values       intensity of every point (optional scale_factor)
 * and global attributes that say what the run is (`test_ionization_mode`
 * "Electron Impact", `experiment_type` "Centroided Mass Spectrum" or
 * "Continuum Mass Spectrum", `sample_name`).
 *
 * Real exports are not all complete: a file with scan_index but no
 * point_count (or the other way round) has each derived from the other; a
 * file without scan times is read with a message, its scans then carrying
 * no Retention_time (the run layer says what that means). A scan whose
 * range runs outside the point arrays is a malformed record: reported,
 * skipped, the rest read. The mass and intensity arrays are required: their
 * absence stops the file with the name of the missing variable.
 *
 * netCDF needs the whole file (its header may point anywhere), so the
 * stream, which may be a pipe, is read into memory and opened there
 * (nc_open_mem). Classic and 64-bit-offset files are recognised by their
 * "CDF\1" / "CDF\2" signature; netCDF-4 (HDF5-based) ANDI files are rare and
 * look like npsmatch libraries, so they are not sniffed.
 */
#include "lines.h"

#include <math.h>
#include <netcdf.h>
#include <netcdf_mem.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANDI_MAX_BYTES ((size_t)8 << 30)

/* The netCDF C library is not thread-safe (its table of open files and its
 * dispatch are global): every call is made under this lock. Runs are read
 * on several threads at once (one per run), so the lock is held only for
 * netCDF's own work, never while a record is handed on. */
static pthread_mutex_t nc_lock = PTHREAD_MUTEX_INITIALIZER;
#define ANDI_LOCK() pthread_mutex_lock(&nc_lock)
#define ANDI_UNLOCK() pthread_mutex_unlock(&nc_lock)

int nps_andi_signature(const void *head, size_t n)
{
    const unsigned char *p = head;
    return n >= 4 && p[0] == 'C' && p[1] == 'D' && p[2] == 'F' && (p[3] == 1 || p[3] == 2);
}

static int slurp(unsigned char **out, size_t *len, nps_read_ctx *c)
{
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (nps_grow((void **)&buf, &cap, n + ((size_t)1 << 20), 1)) {
            free(buf);
            return NPS_ENOMEM;
        }
        size_t got;
        int rc = nps_stream_read(buf + n, &got, c->in, cap - n);
        if (rc) {
            free(buf);
            return rc;
        }
        if (!got) break;
        n += got;
        if (n > ANDI_MAX_BYTES) {
            free(buf);
            return nps_err(NPS_EFORMAT, "%s: netCDF file larger than %zu bytes", c->path,
                           ANDI_MAX_BYTES);
        }
    }
    *out = buf;
    *len = n;
    return 0;
}

/* A text global attribute into buf (empty when absent). */
static void global_text(int nc, const char *name, char *buf, size_t cap)
{
    size_t len;
    nc_type t;
    buf[0] = '\0';
    if (nc_inq_att(nc, NC_GLOBAL, name, &t, &len) != NC_NOERR || t != NC_CHAR || len >= cap) return;
    if (nc_get_att_text(nc, NC_GLOBAL, name, buf) != NC_NOERR) {
        buf[0] = '\0';
        return;
    }
    buf[len] = '\0';
    while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\0')) buf[--len] = '\0';
}

static int contains_ci(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0) return 1;
    return 0;
}

/* Variable `name` over `dim` read as doubles (scale_factor applied); *out
 * NULL when the variable does not exist. */
static int read_var(double **out, int nc, const char *name, size_t expect, const char *path,
                    size_t file_bytes)
{
    *out = NULL;
    int v;
    if (nc_inq_varid(nc, name, &v) != NC_NOERR) return 0;
    int nd;
    if (nc_inq_varndims(nc, v, &nd) != NC_NOERR || nd != 1)
        return nps_err(NPS_EFORMAT, "%s: netCDF variable %s is not one-dimensional", path, name);
    int dim;
    size_t len;
    if (nc_inq_vardimid(nc, v, &dim) != NC_NOERR || nc_inq_dimlen(nc, dim, &len) != NC_NOERR)
        return nps_err(NPS_EFORMAT, "%s: netCDF variable %s: unreadable dimension", path, name);
    if (len != expect)
        return nps_err(NPS_EFORMAT, "%s: netCDF variable %s has %zu values, expected %zu", path,
                       name, len, expect);
    /* every value is at least a byte of the file: a length beyond the file
     * is a damaged header, not a reason to allocate */
    if (len > file_bytes)
        return nps_err(NPS_EFORMAT,
                       "%s: netCDF variable %s claims %zu values, more than the "
                       "file's %zu bytes hold",
                       path, name, len, file_bytes);
    double *a = malloc((len ? len : 1) * sizeof *a);
    if (!a) return nps_err(NPS_ENOMEM, "out of memory");
    int st = len ? nc_get_var_double(nc, v, a) : NC_NOERR;
    if (st != NC_NOERR) {
        free(a);
        return nps_err(NPS_EFORMAT, "%s: netCDF variable %s: %s", path, name, nc_strerror(st));
    }
    double scale = 1.0;
    nc_type t;
    size_t alen;
    if (nc_inq_att(nc, v, "scale_factor", &t, &alen) == NC_NOERR && alen == 1 && t != NC_CHAR &&
        nc_get_att_double(nc, v, "scale_factor", &scale) == NC_NOERR && isfinite(scale) &&
        scale > 0 && scale != 1.0)
        for (size_t i = 0; i < len; i++) a[i] *= scale;
    *out = a;
    return 0;
}

/* A point variable (mass_values, intensity_values): its id and scale, read
 * later a chunk of scans at a time (point_var_read) so that memory follows
 * the chunk, not the file. *varid -1 when the variable does not exist. */
typedef struct {
    int varid;
    double scale;
    /* the classic format stores a non-record variable as one contiguous
     * big-endian array at `begin`: read there directly, a chunk at a time,
     * without netCDF (whose lock would serialise runs read in parallel) */
    int direct;
    uint32_t type; /* NC_SHORT 3, NC_INT 4, NC_FLOAT 5, NC_DOUBLE 6 */
    uint64_t begin;
} point_var;

/* Where the file's bytes are, for direct reads: an open descriptor, or
 * memory; and the variables the header walk found. */
typedef struct {
    int fd; /* -1: in memory */
    const unsigned char *mem;
    size_t size;
    unsigned char *buf; /* scratch for a chunk's bytes */
    size_t cap;
    /* mass_values, intensity_values as the header describes them */
    int found[2];
    uint32_t type[2];
    uint64_t begin[2];
} direct_src;

static size_t nc_tsize(uint32_t t)
{
    return t == 3 ? 2 : t == 4 || t == 5 ? 4 : t == 6 ? 8 : 0;
}

static int point_var_open(point_var *pv, int nc, const char *name, size_t expect, const char *path,
                          size_t file_bytes, const direct_src *ds, int which)
{
    pv->varid = -1;
    pv->scale = 1.0;
    pv->direct = 0;
    int v;
    if (nc_inq_varid(nc, name, &v) != NC_NOERR) return 0;
    int nd, dim;
    size_t len;
    if (nc_inq_varndims(nc, v, &nd) != NC_NOERR || nd != 1 ||
        nc_inq_vardimid(nc, v, &dim) != NC_NOERR || nc_inq_dimlen(nc, dim, &len) != NC_NOERR)
        return nps_err(NPS_EFORMAT, "%s: netCDF variable %s is not one-dimensional", path, name);
    if (len != expect)
        return nps_err(NPS_EFORMAT, "%s: netCDF variable %s has %zu values, expected %zu", path,
                       name, len, expect);
    if (len > file_bytes)
        return nps_err(NPS_EFORMAT,
                       "%s: netCDF variable %s claims %zu values, more than the file's %zu "
                       "bytes hold",
                       path, name, len, file_bytes);
    nc_type t;
    size_t alen;
    double scale;
    if (nc_inq_att(nc, v, "scale_factor", &t, &alen) == NC_NOERR && alen == 1 && t != NC_CHAR &&
        nc_get_att_double(nc, v, "scale_factor", &scale) == NC_NOERR && isfinite(scale) &&
        scale > 0)
        pv->scale = scale;
    pv->varid = v;
    if (ds && ds->found[which] && nc_tsize(ds->type[which]) &&
        ds->begin[which] + (uint64_t)len * nc_tsize(ds->type[which]) <= ds->size) {
        pv->direct = 1;
        pv->type = ds->type[which];
        pv->begin = ds->begin[which];
    }
    return 0;
}

static double be_value(const unsigned char *b, uint32_t type)
{
    switch (type) {
    case 3:
        return (double)(int16_t)(uint16_t)((unsigned)b[0] << 8 | b[1]);
    case 4:
        return (double)(int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
                                 b[3]);
    case 5: {
        uint32_t u = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    default: {
        uint64_t u = 0;
        for (int k = 0; k < 8; k++) u = u << 8 | b[k];
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    }
}

static int point_var_read(double *out, const point_var *pv, int nc, size_t start, size_t count,
                          const char *path, direct_src *ds)
{
    if (!count) return 0;
    if (pv->direct) {
        size_t ts = nc_tsize(pv->type), bytes = count * ts;
        uint64_t at = pv->begin + (uint64_t)start * ts;
        const unsigned char *b;
        if (at + bytes > ds->size)
            return nps_err(NPS_EFORMAT, "%s: netCDF data past the end of the file", path);
        if (ds->fd >= 0) {
            if (nps_grow((void **)&ds->buf, &ds->cap, bytes, 1)) return NPS_ENOMEM;
            size_t got = 0;
            while (got < bytes) {
                ssize_t r = pread(ds->fd, ds->buf + got, bytes - got, (off_t)(at + got));
                if (r <= 0) return nps_err(NPS_EIO, "%s: read error", path);
                got += (size_t)r;
            }
            b = ds->buf;
        } else {
            b = ds->mem + at;
        }
        for (size_t i = 0; i < count; i++) out[i] = be_value(b + i * ts, pv->type) * pv->scale;
        return 0;
    }
    ANDI_LOCK();
    int st = nc_get_vara_double(nc, pv->varid, &start, &count, out);
    ANDI_UNLOCK();
    if (st != NC_NOERR) return nps_err(NPS_EFORMAT, "%s: netCDF: %s", path, nc_strerror(st));
    if (pv->scale != 1.0)
        for (size_t i = 0; i < count; i++) out[i] *= pv->scale;
    return 0;
}

/* scans read per chunk */
#define ANDI_CHUNK 256

static int dim_len(size_t *out, int nc, const char *name)
{
    int d;
    *out = 0;
    if (nc_inq_dimid(nc, name, &d) != NC_NOERR) return 0;
    return nc_inq_dimlen(nc, d, out) == NC_NOERR;
}

/* Seconds per unit of the scan time variable. */
static double time_unit(int nc)
{
    int v;
    char u[64];
    size_t len;
    nc_type t;
    if (nc_inq_varid(nc, "scan_acquisition_time", &v) != NC_NOERR ||
        nc_inq_att(nc, v, "units", &t, &len) != NC_NOERR || t != NC_CHAR || len >= sizeof u ||
        nc_get_att_text(nc, v, "units", u) != NC_NOERR)
        return 1.0;
    u[len] = '\0';
    if (contains_ci(u, "min")) return 60.0;
    if (contains_ci(u, "ms") || contains_ci(u, "milli")) return 1e-3;
    return 1.0;
}

static int add_num(nps_record *rec, const char *k, double v)
{
    if (isnan(v)) return 0;
    char b[40];
    nps_fmt_double(b, sizeof b, v);
    return nps_record_meta(rec, k, b);
}

static int read_nc(nps_spectra *dst, nps_read_ctx *c, int nc, size_t file_bytes, direct_src *ds)
{
    ANDI_LOCK();
    int locked = 1;
    size_t n_scans, n_points;
    if (!dim_len(&n_scans, nc, "scan_number") || !dim_len(&n_points, nc, "point_number")) {
        ANDI_UNLOCK();
        return nps_err(NPS_EFORMAT, "%s: not an ANDI-MS file: netCDF dimension %s is missing",
                       c->path,
                       dim_len(&n_scans, nc, "scan_number") ? "point_number" : "scan_number");
    }
    double *t = NULL, *idx = NULL, *cnt = NULL, *mz = NULL, *in = NULL, *scan_no = NULL;
    size_t mz_cap = 0, in_cap = 0;
    point_var pmz, pin;
    int rc;
    if ((rc = read_var(&t, nc, "scan_acquisition_time", n_scans, c->path, file_bytes)) ||
        (rc = read_var(&idx, nc, "scan_index", n_scans, c->path, file_bytes)) ||
        (rc = read_var(&cnt, nc, "point_count", n_scans, c->path, file_bytes)) ||
        (rc = point_var_open(&pmz, nc, "mass_values", n_points, c->path, file_bytes, ds, 0)) ||
        (rc = point_var_open(&pin, nc, "intensity_values", n_points, c->path, file_bytes, ds, 1)) ||
        (rc = read_var(&scan_no, nc, "actual_scan_number", n_scans, c->path, file_bytes)))
        goto done;
    if (pmz.varid < 0 || pin.varid < 0) {
        rc = nps_err(NPS_EFORMAT, "%s: ANDI-MS file without the netCDF variable %s", c->path,
                     pmz.varid < 0 ? "mass_values" : "intensity_values");
        goto done;
    }
    if (!idx && !cnt) {
        rc = nps_err(NPS_EFORMAT,
                     "%s: ANDI-MS file without scan_index and point_count: the points cannot "
                     "be assigned to scans",
                     c->path);
        goto done;
    }
    /* a message about the file, not a malformed record: nothing is skipped */
    if (!t && c->opt->on_error)
        c->opt->on_error(c->opt->on_error_ctx, c->path, 0,
                         "ANDI-MS file without scan_acquisition_time: its scans have no "
                         "retention time");
    double unit = time_unit(nc);
    char ion[256], exp[256], sample[256], pol[256];
    global_text(nc, "test_ionization_mode", ion, sizeof ion);
    global_text(nc, "experiment_type", exp, sizeof exp);
    global_text(nc, "sample_name", sample, sizeof sample);
    global_text(nc, "test_ionization_polarity", pol, sizeof pol);
    /* ANDI-MS is the GC-MS export: EI unless the file names another source */
    const char *ionization = contains_ci(ion, "chemical")       ? "CI"
                             : contains_ci(ion, "electrospray") ? "ESI"
                             : contains_ci(ion, "field")        ? "FI"
                                                                : "EI";
    const char *repr = contains_ci(exp, "centroid")                                   ? "centroid"
                       : contains_ci(exp, "continuum") || contains_ci(exp, "profile") ? "profile"
                                                                                      : NULL;
    const char *polarity = contains_ci(pol, "neg") ? "Negative" : "Positive";
    if (c->opt->ms_level > 1) {
        if (c->rep) c->rep->records_filtered += n_scans; /* ANDI-MS holds MS1 scans only */
        goto done;
    }
    ANDI_UNLOCK();
    locked = 0;
    nps_record rec = {0};
    double next = 0;
    /* each scan's point range, checked */
    double *first_of = malloc((n_scans ? n_scans : 1) * sizeof *first_of);
    double *count_of = malloc((n_scans ? n_scans : 1) * sizeof *count_of);
    if (!first_of || !count_of) {
        free(first_of);
        free(count_of);
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t s = 0; s < n_scans; s++) {
        first_of[s] = idx ? idx[s] : next;
        count_of[s] = cnt ? cnt[s] : (s + 1 < n_scans ? idx[s + 1] : (double)n_points) - idx[s];
        next = first_of[s] + count_of[s];
    }
    for (size_t c0 = 0; c0 < n_scans && !rc; c0 += ANDI_CHUNK) {
        size_t c1 = c0 + ANDI_CHUNK < n_scans ? c0 + ANDI_CHUNK : n_scans;
        /* the chunk's points: one read when its scans are contiguous-ish
         * (the normal layout), scan by scan when they are scattered */
        double lo = INFINITY, hi = -INFINITY;
        for (size_t s = c0; s < c1; s++) {
            double a = first_of[s], b = a + count_of[s];
            if (!(a >= 0) || !(count_of[s] >= 0) || b > (double)n_points || a != floor(a) ||
                count_of[s] != floor(count_of[s]))
                continue;
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
        size_t base = 0, span = 0;
        int whole = hi > lo && hi - lo <= 4.0 * (double)ANDI_CHUNK * 4096;
        if (whole) {
            base = (size_t)lo;
            span = (size_t)(hi - lo);
            if (nps_grow((void **)&mz, &mz_cap, span, sizeof *mz) ||
                nps_grow((void **)&in, &in_cap, span, sizeof *in)) {
                rc = nps_err(NPS_ENOMEM, "out of memory");
                break;
            }
            if ((rc = point_var_read(mz, &pmz, nc, base, span, c->path, ds)) ||
                (rc = point_var_read(in, &pin, nc, base, span, c->path, ds)))
                break;
        }
        for (size_t s = c0; s < c1 && !rc; s++) {
            double first = first_of[s], count = count_of[s];
            char why[160];
            if (!(first >= 0) || !(count >= 0) || first + count > (double)n_points ||
                first != floor(first) || count != floor(count)) {
                snprintf(why, sizeof why,
                         "scan %zu: points [%.0f, %.0f) outside the %zu points of the file", s + 1,
                         first, first + count, n_points);
                rc = nps_read_bad(c, s + 1, why);
                continue;
            }
            size_t a = (size_t)first, np = (size_t)count;
            const double *smz, *sin;
            if (whole) {
                smz = mz + (a - base);
                sin = in + (a - base);
            } else {
                if (nps_grow((void **)&mz, &mz_cap, np, sizeof *mz) ||
                    nps_grow((void **)&in, &in_cap, np, sizeof *in)) {
                    rc = nps_err(NPS_ENOMEM, "out of memory");
                    break;
                }
                if ((rc = point_var_read(mz, &pmz, nc, a, np, c->path, ds)) ||
                    (rc = point_var_read(in, &pin, nc, a, np, c->path, ds)))
                    break;
                smz = mz;
                sin = in;
            }
            nps_record_reset(&rec);
            char id[64];
            snprintf(id, sizeof id, "scan=%.0f",
                     scan_no && isfinite(scan_no[s]) ? scan_no[s] : (double)(s + 1));
            char title[320];
            snprintf(title, sizeof title, "%s%s%s", sample, sample[0] ? " " : "", id);
            double rt = t && isfinite(t[s]) ? t[s] * unit / 60.0 : NAN;
            if ((rc = nps_record_meta(&rec, NPS_KEY_SPECTRUM_ID, id)) ||
                (rc = nps_record_meta(&rec, NPS_KEY_TITLE, title)) ||
                (rc = nps_record_meta(&rec, NPS_KEY_SPECTRUM_TYPE, "MS1")) ||
                (ionization && (rc = nps_record_meta(&rec, NPS_KEY_IONIZATION, ionization))) ||
                (rc = nps_record_meta(&rec, NPS_KEY_ION_MODE, polarity)) ||
                (rc = add_num(&rec, NPS_KEY_RETENTION_TIME, rt)) ||
                (repr && (rc = nps_record_meta(&rec, "Representation", repr))))
                break;
            for (size_t k = 0; k < np && !rc; k++) {
                if (!isfinite(smz[k]) || smz[k] < 0 || !isfinite(sin[k])) continue;
                rc = nps_record_peak(&rec, smz[k], sin[k] > 0 ? (float)sin[k] : 0.0f);
            }
            if (!rc) rc = nps_read_commit(c, dst, &rec, s + 1, s + 1);
        }
    }
    free(first_of);
    free(count_of);
    nps_record_free(&rec);
done:
    if (locked) ANDI_UNLOCK();
    free(t);
    free(idx);
    free(cnt);
    free(mz);
    free(in);
    free(scan_no);
    return rc;
}

/*
 * The classic-format header walked before netCDF sees it (NetCDF Classic
 * and 64-bit Offset Format specification, Unidata): every count of
 * dimensions, attributes, variables and name bytes must fit in the bytes
 * that follow it. netCDF sizes its arrays from those counts before reading
 * them, so a damaged header ("2 billion dimensions") would otherwise make
 * it ask for tens of gigabytes; here it is a malformed file, said plainly.
 */
typedef struct {
    const unsigned char *p;
    size_t n, at; /* bytes at hand, position */
    size_t total; /* the file's size (counts are checked against it) */
    int v2;
    int short_buf; /* ran past the bytes at hand, not past the file */
} hdr;

static int past(hdr *h, uint64_t need)
{
    if (need <= h->n - h->at) return 0;
    if (need <= h->total - h->at) h->short_buf = 1;
    return -1;
}

static int u32(hdr *h, uint32_t *out)
{
    if (past(h, 4)) return -1;
    const unsigned char *q = h->p + h->at;
    *out = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
    h->at += 4;
    return 0;
}

static int skip(hdr *h, uint64_t bytes)
{
    if (past(h, bytes)) return -1;
    h->at += (size_t)bytes;
    return 0;
}

static int name(hdr *h)
{
    uint32_t len;
    if (u32(h, &len) || len == 0 || len > 256) return -1;
    return skip(h, ((uint64_t)len + 3) / 4 * 4);
}

/* The same, saying which of the two point variables the name is (-1: neither). */
static int point_name(hdr *h, int *which)
{
    *which = -1;
    uint32_t len;
    if (u32(h, &len) || len == 0 || len > 256) return -1;
    if (past(h, len)) return -1;
    const char *s = (const char *)h->p + h->at;
    if (len == 11 && !memcmp(s, "mass_values", 11)) *which = 0;
    if (len == 16 && !memcmp(s, "intensity_values", 16)) *which = 1;
    return skip(h, ((uint64_t)len + 3) / 4 * 4);
}

/* a list's tag and count; a count is refused when even its smallest
 * elements (`min` bytes each) could not fit in what is left */
static int list(hdr *h, uint32_t want_tag, uint32_t *count, size_t min)
{
    uint32_t tag, n;
    if (u32(h, &tag) || u32(h, &n)) return -1;
    if (tag == 0 && n == 0) {
        *count = 0;
        return 0;
    }
    if (tag != want_tag || (uint64_t)n * min > h->total - h->at) return -1;
    *count = n;
    return 0;
}

static int atts(hdr *h)
{
    static const size_t tsize[] = {0, 1, 1, 2, 4, 4, 8};
    uint32_t n;
    if (list(h, 0x0C, &n, 16)) return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t type, nel;
        if (name(h) || u32(h, &type) || type < 1 || type > 6 || u32(h, &nel)) return -1;
        if (skip(h, ((uint64_t)nel * tsize[type] + 3) / 4 * 4)) return -1;
    }
    return 0;
}

/* 0: sane; -1: damaged; 1: the header runs past the n bytes at hand */
/* The walk also notes where the two point variables' data begin when they
 * are one-dimensional over a fixed (not the record) dimension: the direct
 * reads of point_var_read. ds may be NULL. */
static int header_sane(const unsigned char *p, size_t n, size_t total, direct_src *ds)
{
    hdr h = {p, n, 4, total, p[3] == 2, 0};
    uint32_t numrecs, nd, nv;
    if (u32(&h, &numrecs) || list(&h, 0x0A, &nd, 12)) return h.short_buf ? 1 : -1;
    /* which dimension is the record (unlimited) one: its length is 0 */
    uint32_t record_dim = UINT32_MAX;
    for (uint32_t i = 0; i < nd; i++) {
        uint32_t len;
        if (name(&h) || u32(&h, &len)) return h.short_buf ? 1 : -1;
        if (len == 0) record_dim = i;
    }
    if (atts(&h) || list(&h, 0x0B, &nv, 24)) return h.short_buf ? 1 : -1;
    for (uint32_t i = 0; i < nv; i++) {
        uint32_t ndims, type, vsize, dim0 = UINT32_MAX;
        int which;
        if (point_name(&h, &which) || u32(&h, &ndims) || ndims > nd) return h.short_buf ? 1 : -1;
        for (uint32_t k = 0; k < ndims; k++) {
            uint32_t id;
            if (u32(&h, &id) || id >= nd) return h.short_buf ? 1 : -1;
            if (k == 0) dim0 = id;
        }
        if (atts(&h) || u32(&h, &type) || type < 1 || type > 6 || u32(&h, &vsize))
            return h.short_buf ? 1 : -1;
        uint64_t begin = 0;
        uint32_t hi = 0, lo;
        if ((h.v2 && u32(&h, &hi)) || u32(&h, &lo)) return h.short_buf ? 1 : -1;
        begin = (uint64_t)hi << 32 | lo;
        if (ds && which >= 0 && ndims == 1 && dim0 != record_dim) {
            ds->found[which] = 1;
            ds->type[which] = type;
            ds->begin[which] = begin;
        }
    }
    return 0;
}

/* A regular, uncompressed file is opened by path and read a chunk of scans
 * at a time (memory follows the chunk); anything else (a pipe, gzip data,
 * a server's upload) is read into memory first, since netCDF needs to seek. */
static int open_by_path(int *nc, nps_read_ctx *c, size_t *size, direct_src *ds)
{
    struct stat st;
    if (nps_stream_gzip(c->in) || stat(c->path, &st) != 0 || !S_ISREG(st.st_mode)) return 1;
    FILE *fp = fopen(c->path, "rb");
    if (!fp) return 1;
    size_t total = (size_t)st.st_size, want = total < ((size_t)1 << 20) ? total : (size_t)1 << 20;
    int verdict = 1;
    unsigned char *head = NULL;
    for (;;) {
        unsigned char *nh = realloc(head, want ? want : 1);
        if (!nh) break;
        head = nh;
        rewind(fp);
        if (fread(head, 1, want, fp) != want) break;
        memset(ds, 0, sizeof *ds);
        ds->fd = -1;
        verdict =
            want >= 4 && nps_andi_signature(head, want) ? header_sane(head, want, total, ds) : -1;
        if (verdict != 1 || want == total || want >= ((size_t)64 << 20)) break;
        want = want * 4 < total ? want * 4 : total;
    }
    fclose(fp);
    free(head);
    if (verdict == 1) return 1; /* could not look at the whole header: read into memory */
    if (verdict < 0)
        return nps_err(NPS_EFORMAT,
                       "%s: damaged netCDF header (its counts exceed the file's %zu bytes)",
                       c->path, total);
    ANDI_LOCK();
    int r = nc_open(c->path, NC_NOWRITE, nc);
    ANDI_UNLOCK();
    if (r != NC_NOERR) return nps_err(NPS_EFORMAT, "%s: netCDF: %s", c->path, nc_strerror(r));
    *size = total;
    ds->size = total;
    ds->fd = open(c->path, O_RDONLY | O_CLOEXEC); /* -1: netCDF reads the points */
    if (ds->fd < 0) ds->found[0] = ds->found[1] = 0;
    return 0;
}

int nps_andi_read(nps_spectra *dst, nps_read_ctx *c)
{
    int nc = -1;
    size_t size = 0;
    direct_src ds;
    memset(&ds, 0, sizeof ds);
    ds.fd = -1;
    int rc = open_by_path(&nc, c, &size, &ds);
    if (rc <= 0) {
        if (rc < 0) return rc;
        rc = read_nc(dst, c, nc, size, &ds);
        ANDI_LOCK();
        nc_close(nc);
        ANDI_UNLOCK();
        if (ds.fd >= 0) close(ds.fd);
        free(ds.buf);
        return rc;
    }
    memset(&ds, 0, sizeof ds);
    ds.fd = -1;
    unsigned char *buf = NULL;
    size_t len = 0;
    rc = slurp(&buf, &len, c);
    if (rc) return rc;
    if (!nps_andi_signature(buf, len)) {
        free(buf);
        return nps_err(NPS_EFORMAT, "%s: not a netCDF classic file (no CDF signature)", c->path);
    }
    if (header_sane(buf, len, len, &ds)) {
        free(buf);
        return nps_err(NPS_EFORMAT,
                       "%s: damaged netCDF header (its counts exceed the file's %zu bytes)",
                       c->path, len);
    }
    ANDI_LOCK();
    int st = nc_open_mem(c->path, NC_NOWRITE, len, buf, &nc);
    ANDI_UNLOCK();
    if (st != NC_NOERR) {
        free(buf);
        return nps_err(NPS_EFORMAT, "%s: netCDF: %s", c->path, nc_strerror(st));
    }
    ds.mem = buf;
    ds.size = len;
    rc = read_nc(dst, c, nc, len, &ds);
    ANDI_LOCK();
    nc_close(nc);
    ANDI_UNLOCK();
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ writer */

#define NC_TRY(x)                                                                                  \
    do {                                                                                           \
        int st_ = (x);                                                                             \
        if (st_ != NC_NOERR) {                                                                     \
            rc = nps_err(NPS_EIO, "%s: netCDF: %s", path, nc_strerror(st_));                       \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

static int put_text(int nc, int var, const char *name, const char *v)
{
    return nc_put_att_text(nc, var, name, strlen(v), v);
}

static int andi_write(const char *path, size_t n_scans, const double *time_min, const uint64_t *off,
                      const double *mz, const float *in, const char *sample, int centroid)
{
    int rc = 0, nc = -1;
    size_t n_points = (size_t)off[n_scans];
    NC_TRY(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
    int d_scan, d_point;
    NC_TRY(nc_def_dim(nc, "scan_number", n_scans, &d_scan));
    NC_TRY(nc_def_dim(nc, "point_number", n_points ? n_points : 1, &d_point));
    int v_t, v_tic, v_idx, v_cnt, v_no, v_mz, v_in, v_lo, v_hi;
    NC_TRY(nc_def_var(nc, "scan_acquisition_time", NC_DOUBLE, 1, &d_scan, &v_t));
    NC_TRY(nc_def_var(nc, "total_intensity", NC_DOUBLE, 1, &d_scan, &v_tic));
    NC_TRY(nc_def_var(nc, "scan_index", NC_INT, 1, &d_scan, &v_idx));
    NC_TRY(nc_def_var(nc, "point_count", NC_INT, 1, &d_scan, &v_cnt));
    NC_TRY(nc_def_var(nc, "actual_scan_number", NC_INT, 1, &d_scan, &v_no));
    NC_TRY(nc_def_var(nc, "mass_range_min", NC_DOUBLE, 1, &d_scan, &v_lo));
    NC_TRY(nc_def_var(nc, "mass_range_max", NC_DOUBLE, 1, &d_scan, &v_hi));
    NC_TRY(nc_def_var(nc, "mass_values", NC_DOUBLE, 1, &d_point, &v_mz));
    NC_TRY(nc_def_var(nc, "intensity_values", NC_FLOAT, 1, &d_point, &v_in));
    NC_TRY(put_text(nc, v_t, "units", "Seconds"));
    NC_TRY(put_text(nc, v_mz, "units", "M/Z"));
    NC_TRY(put_text(nc, v_in, "units", "Arbitrary Intensity Units"));
    NC_TRY(put_text(nc, NC_GLOBAL, "dataset_completeness", "C1+C2"));
    NC_TRY(put_text(nc, NC_GLOBAL, "ms_template_revision", "1.0.1"));
    NC_TRY(put_text(nc, NC_GLOBAL, "netcdf_revision", nc_inq_libvers()));
    NC_TRY(put_text(nc, NC_GLOBAL, "languages", "English"));
    NC_TRY(put_text(nc, NC_GLOBAL, "experiment_type",
                    centroid ? "Centroided Mass Spectrum" : "Continuum Mass Spectrum"));
    NC_TRY(put_text(nc, NC_GLOBAL, "test_ionization_mode", "Electron Impact"));
    NC_TRY(put_text(nc, NC_GLOBAL, "test_ionization_polarity", "Positive Polarity"));
    NC_TRY(put_text(nc, NC_GLOBAL, "test_scan_function", "Mass Scan"));
    NC_TRY(put_text(nc, NC_GLOBAL, "sample_name", sample ? sample : ""));
    NC_TRY(put_text(nc, NC_GLOBAL, "source_file_reference", "npsmatch"));
    NC_TRY(nc_enddef(nc));
    for (size_t s = 0; s < n_scans; s++) {
        size_t a = (size_t)off[s], b = (size_t)off[s + 1];
        double sec = time_min[s] * 60.0, tic = 0, lo = 0, hi = 0;
        for (size_t k = a; k < b; k++) tic += in[k];
        if (b > a) {
            lo = mz[a];
            hi = mz[b - 1];
        }
        int ia = (int)a, ic = (int)(b - a), no = (int)(s + 1);
        NC_TRY(nc_put_var1_double(nc, v_t, &s, &sec));
        NC_TRY(nc_put_var1_double(nc, v_tic, &s, &tic));
        NC_TRY(nc_put_var1_int(nc, v_idx, &s, &ia));
        NC_TRY(nc_put_var1_int(nc, v_cnt, &s, &ic));
        NC_TRY(nc_put_var1_int(nc, v_no, &s, &no));
        NC_TRY(nc_put_var1_double(nc, v_lo, &s, &lo));
        NC_TRY(nc_put_var1_double(nc, v_hi, &s, &hi));
    }
    if (n_points) {
        size_t start = 0, count = n_points;
        NC_TRY(nc_put_vara_double(nc, v_mz, &start, &count, mz));
        NC_TRY(nc_put_vara_float(nc, v_in, &start, &count, in));
    }
    NC_TRY(nc_close(nc));
    return 0;
fail:
    if (nc >= 0) nc_close(nc);
    return rc;
}

int nps_andi_write(const char *path, size_t n_scans, const double *time_min, const uint64_t *off,
                   const double *mz, const float *in, const char *sample, int centroid)
{
    ANDI_LOCK();
    int rc = andi_write(path, n_scans, time_min, off, mz, in, sample, centroid);
    ANDI_UNLOCK();
    return rc;
}

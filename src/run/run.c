/*
 * Runs: the scans of one chromatographic acquisition, in retention-time
 * order, stored flat (one m/z array, one intensity array, per-scan offsets,
 * times, MS levels and precursors), immutable once made.
 *
 * Every reader of a run format (mzML, mzXML, ANDI-MS, JCAMP-DX, MS1/MS2)
 * already turns scans into spectra with a Retention_time in minutes and a
 * Spectrum_type "MS<n>"; a run is made from those, so that there is one rule
 * per question whatever the format:
 *   - the MS level is the Spectrum_type's, else 2 with a precursor, else 1;
 *   - the run's kind is forced by the caller, or MS/MS when any scan is MS2
 *     or higher, or, for an all-MS1 run, the kind its scans say
 *     (nps_spectra_kind: EI unless an LC ionisation is named), so that an
 *     MS1 run without a source term is GC-EI-MS, as the instruments that
 *     write such files are;
 *   - real files are not always regular, and nothing is dropped unseen:
 *     scans out of time order are put in order (counted, reported), scans
 *     at the time of the one before are kept (counted, reported), empty
 *     scans are kept (a zero in every chromatogram, which is what the
 *     detector saw), and scans without a time are left out (counted,
 *     reported: they cannot be placed on the chromatogram).
 */
#include "../core/internal.h"
#include "../io/lines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nps_run {
    char *name;
    nps_kind kind;
    size_t n;
    double *time;
    int *level;
    double *prec;
    uint64_t *off; /* n + 1 */
    double *mz;
    float *in;
};

void nps_run_free(nps_run *r)
{
    if (!r) return;
    free(r->name);
    free(r->time);
    free(r->level);
    free(r->prec);
    free(r->off);
    free(r->mz);
    free(r->in);
    free(r);
}

const char *nps_run_name(const nps_run *r)
{
    return r->name;
}
nps_kind nps_run_kind(const nps_run *r)
{
    return r->kind;
}
size_t nps_run_count(const nps_run *r)
{
    return r->n;
}
double nps_run_time(const nps_run *r, size_t i)
{
    return r->time[i];
}
int nps_run_level(const nps_run *r, size_t i)
{
    return r->level[i];
}
double nps_run_precursor(const nps_run *r, size_t i)
{
    return r->prec[i];
}

void nps_run_peaks(const nps_run *r, size_t i, const double **mz, const float **in, size_t *n)
{
    *mz = r->mz + r->off[i];
    *in = r->in + r->off[i];
    *n = (size_t)(r->off[i + 1] - r->off[i]);
}

void nps_run_tic(double *tic, const nps_run *r, int level)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->level[i] != level) {
            tic[i] = NAN;
            continue;
        }
        double t = 0;
        for (uint64_t k = r->off[i]; k < r->off[i + 1]; k++) t += r->in[k];
        tic[i] = t;
    }
}

static void diag(const nps_run_options *o, const char *name, size_t scan, const char *fmt, ...)
    NPS_PRINTF(4, 5);
static void diag(const nps_run_options *o, const char *name, size_t scan, const char *fmt, ...)
{
    if (!o->on_error) return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    /* clang-analyzer loses track of va_start here as in core/error.c */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    o->on_error(o->on_error_ctx, name, scan, buf);
}

static int scan_level(const nps_spectra *s, size_t i)
{
    const char *t = nps_spectra_get(s, i, NPS_KEY_SPECTRUM_TYPE);
    if (t && (t[0] == 'M' || t[0] == 'm') && (t[1] == 'S' || t[1] == 's')) {
        char *end;
        long v = strtol(t + 2, &end, 10);
        if (end != t + 2 && v >= 1 && v <= 16) return (int)v;
    }
    return isnan(nps_spectra_precursor_mz(s, i)) ? 1 : 2;
}

typedef struct {
    double t;
    size_t i; /* reading order: the tie-break that keeps the sort stable */
} timed;

static int cmp_timed(const void *a, const void *b)
{
    const timed *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The one check of a caller's run options. */
static int check_options(const nps_run_options *o)
{
    if (o->version != NPS_RUN_OPTIONS_VERSION)
        return nps_err(NPS_EINVAL, "nps_run_options version %d not supported", o->version);
    if (o->kind != -1 && (o->kind < 0 || o->kind >= NPS_KIND_COUNT))
        return nps_err(NPS_EINVAL, "run kind %d unknown", o->kind);
    return 0;
}

/* Add what one run found to a caller's report (reports sum several runs). */
static void report_add(nps_run_report *to, const nps_run_report *r)
{
    to->scans += r->scans;
    to->ms1 += r->ms1;
    to->msn += r->msn;
    to->empty += r->empty;
    to->out_of_order += r->out_of_order;
    to->duplicate_times += r->duplicate_times;
    to->no_time += r->no_time;
    to->skipped += r->skipped;
    to->late += r->late;
}

int nps_run_from_spectra(nps_run **out, nps_run_report *report, const nps_spectra *s,
                         const char *name, const nps_run_options *options)
{
    *out = NULL;
    nps_run_options def = NPS_RUN_OPTIONS_INIT;
    const nps_run_options *o = options ? options : &def;
    int bad = check_options(o);
    if (bad) return bad;
    nps_run_report rep = {0};
    size_t n = nps_spectra_count(s);
    timed *order = malloc((n ? n : 1) * sizeof *order);
    nps_run *r = calloc(1, sizeof *r);
    int rc = 0;
    if (!order || !r) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto fail;
    }
    size_t m = 0;
    double prev = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const char *v = nps_spectra_get(s, i, NPS_KEY_RETENTION_TIME);
        double t;
        if (!v || nps_parse_double(&t, v) || !(t >= 0)) {
            rep.no_time++;
            diag(o, name, i + 1, "scan %s has no valid retention time (%s): left out of the run",
                 nps_spectra_id(s, i), v ? v : "none");
            continue;
        }
        if (t < prev) {
            rep.out_of_order++;
            diag(o, name, i + 1,
                 "scan %s at %.4f min comes after a scan at %.4f min: the run is put in time "
                 "order",
                 nps_spectra_id(s, i), t, prev);
        }
        prev = t;
        order[m].t = t;
        order[m].i = i;
        m++;
    }
    qsort(order, m, sizeof *order, cmp_timed);
    size_t total = 0;
    for (size_t k = 0; k < m; k++) {
        const double *mz;
        const float *in;
        size_t np;
        nps_spectra_peaks(s, order[k].i, &mz, &in, &np);
        total += np;
    }
    r->name = nps_strdup(name ? name : "run");
    r->time = malloc((m ? m : 1) * sizeof *r->time);
    r->level = malloc((m ? m : 1) * sizeof *r->level);
    r->prec = malloc((m ? m : 1) * sizeof *r->prec);
    r->off = malloc((m + 1) * sizeof *r->off);
    r->mz = malloc((total ? total : 1) * sizeof *r->mz);
    r->in = malloc((total ? total : 1) * sizeof *r->in);
    if (!r->name || !r->time || !r->level || !r->prec || !r->off || !r->mz || !r->in) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto fail;
    }
    r->n = m;
    r->off[0] = 0;
    size_t kinds[NPS_KIND_COUNT] = {0};
    double last_t[3] = {-1, -1, -1};
    for (size_t k = 0; k < m; k++) {
        size_t i = order[k].i;
        const double *mz;
        const float *in;
        size_t np;
        nps_spectra_peaks(s, i, &mz, &in, &np);
        memcpy(r->mz + r->off[k], mz, np * sizeof *mz);
        memcpy(r->in + r->off[k], in, np * sizeof *in);
        r->off[k + 1] = r->off[k] + np;
        r->time[k] = order[k].t;
        r->level[k] = scan_level(s, i);
        r->prec[k] = r->level[k] > 1 ? nps_spectra_precursor_mz(s, i) : NAN;
        if (r->level[k] == 1)
            rep.ms1++;
        else
            rep.msn++;
        if (!np) rep.empty++;
        int lv = r->level[k] > 2 ? 2 : r->level[k];
        if (last_t[lv] == r->time[k] && lv == 1) {
            rep.duplicate_times++;
            diag(o, name, i + 1, "scan %s has the time of the MS1 scan before it (%.4f min): kept",
                 nps_spectra_id(s, i), r->time[k]);
        }
        last_t[lv] = r->time[k];
        if (r->level[k] == 1) kinds[nps_spectra_kind(s, i)]++;
    }
    if (rep.empty) diag(o, name, 0, "%zu scans without a peak: kept as zero intensity", rep.empty);
    if (o->kind >= 0)
        r->kind = (nps_kind)o->kind;
    else if (rep.msn)
        r->kind = NPS_KIND_MSMS;
    else
        r->kind = kinds[NPS_KIND_MSMS] > kinds[NPS_KIND_EI] ? NPS_KIND_MSMS : NPS_KIND_EI;
    rep.scans = m;
    free(order);
    if (report) report_add(report, &rep);
    *out = r;
    return 0;
fail:
    free(order);
    nps_run_free(r);
    return rc;
}

typedef struct {
    const nps_run_options *o;
    size_t skipped;
} read_diag;

static void forward_diag(void *ctx, const char *file, size_t line, const char *reason)
{
    read_diag *d = ctx;
    if (d->o->on_error) d->o->on_error(d->o->on_error_ctx, file, line, reason);
}

int nps_run_read(nps_run **out, nps_run_report *report, const char *path,
                 const nps_run_options *options)
{
    *out = NULL;
    nps_run_options def = NPS_RUN_OPTIONS_INIT;
    const nps_run_options *o = options ? options : &def;
    int bad = check_options(o);
    if (bad) return bad;
    nps_spectra *s;
    int rc = nps_spectra_create(&s);
    if (rc) return rc;
    read_diag d = {o, 0};
    nps_read_options ro = NPS_READ_OPTIONS_INIT;
    ro.format = o->format;
    ro.ms_level = -1;
    ro.on_error = forward_diag;
    ro.on_error_ctx = &d;
    nps_read_report rr = {0};
    rc = nps_io_read(s, &rr, path, &ro);
    if (!rc && !nps_spectra_count(s)) rc = nps_err(NPS_EFORMAT, "%s: no scans", path);
    if (!rc) rc = nps_run_from_spectra(out, report, s, path, o);
    if (!rc && report) report->skipped += rr.records_skipped;
    nps_spectra_free(s);
    return rc;
}

int nps_run_write(const nps_run *r, const char *path)
{
    size_t m = 0, p = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->level[i] == 1) {
            m++;
            p += (size_t)(r->off[i + 1] - r->off[i]);
        }
    double *t = malloc((m ? m : 1) * sizeof *t);
    uint64_t *off = malloc((m + 1) * sizeof *off);
    double *mz = malloc((p ? p : 1) * sizeof *mz);
    float *in = malloc((p ? p : 1) * sizeof *in);
    int rc = 0;
    if (!t || !off || !mz || !in) {
        rc = nps_err(NPS_ENOMEM, "out of memory");
        goto done;
    }
    off[0] = 0;
    for (size_t i = 0, k = 0; i < r->n; i++) {
        if (r->level[i] != 1) continue;
        size_t a = (size_t)r->off[i], np = (size_t)(r->off[i + 1] - r->off[i]);
        memcpy(mz + off[k], r->mz + a, np * sizeof *mz);
        memcpy(in + off[k], r->in + a, np * sizeof *in);
        t[k] = r->time[i];
        off[k + 1] = off[k] + np;
        k++;
    }
    nps_output *o;
    if ((rc = nps_output_open_path(&o, path))) goto done;
    const char *base = strrchr(r->name, '/');
    rc = nps_andi_write(nps_output_write_path(o), m, t, off, mz, in, base ? base + 1 : r->name, 1);
    if (rc)
        nps_output_discard(o);
    else
        rc = nps_output_commit(o);
done:
    free(t);
    free(off);
    free(mz);
    free(in);
    return rc;
}

/* ------------------------------------------------------------ chromatograms */

void nps_chromatogram_free(nps_chromatogram *c)
{
    if (!c) return;
    free(c->run);
    free(c->time);
    free(c->tic);
    free(c);
}

static int chromatogram_alloc(nps_chromatogram **out, const char *name, size_t cap)
{
    nps_chromatogram *c = calloc(1, sizeof *c);
    if (c) {
        c->run = nps_strdup(name);
        c->time = malloc((cap ? cap : 1) * sizeof *c->time);
        c->tic = malloc((cap ? cap : 1) * sizeof *c->tic);
    }
    if (!c || !c->run || !c->time || !c->tic) {
        nps_chromatogram_free(c);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

int nps_run_chromatogram(nps_chromatogram **out, const nps_run *r)
{
    *out = NULL;
    size_t n1 = 0;
    for (size_t i = 0; i < r->n; i++) n1 += r->level[i] == 1;
    int level = n1 ? 1 : 2;
    nps_chromatogram *c = NULL;
    int rc = chromatogram_alloc(&c, r->name, r->n);
    if (rc || !c) return rc ? rc : NPS_ENOMEM;
    c->level = level;
    for (size_t i = 0; i < r->n; i++) {
        if (level == 1 ? r->level[i] != 1 : r->level[i] < 2) continue;
        double t = 0;
        for (uint64_t k = r->off[i]; k < r->off[i + 1]; k++) t += r->in[k];
        c->time[c->n] = r->time[i];
        c->tic[c->n] = t;
        c->n++;
    }
    *out = c;
    return 0;
}

/* ------------------------------------------------------------ streamed runs */

/*
 * nps_run_components: the file read in batches; each scan applied to the
 * same rules as nps_run_from_spectra (time, level, kind), but MS1 scans go
 * straight to the streamed deconvolution and are not kept. MS2 scans are
 * kept, since grouping by precursor needs the whole run (an MS2 scan is a
 * few dozen peaks, a GC-MS scan hundreds over thousands of scans).
 */
typedef struct {
    const nps_run_options *o;
    const char *name;
    nps_deconvolver *dec;
    nps_spectra *msn;          /* MS2+ scans, as read */
    nps_chromatogram *c1, *c2; /* TIC of MS1 and of MS2+ scans */
    size_t cap1[2], cap2[2];   /* capacities of their time and tic arrays */
    size_t record;             /* records seen */
    double prev, last1;
    size_t kinds[NPS_KIND_COUNT];
    nps_run_report rep;
    int rc;
} stream_ctx;

static int tic_add(nps_chromatogram *c, size_t *cap, double t, double v)
{
    if (nps_grow((void **)&c->time, &cap[0], c->n + 1, sizeof *c->time) ||
        nps_grow((void **)&c->tic, &cap[1], c->n + 1, sizeof *c->tic))
        return NPS_ENOMEM;
    c->time[c->n] = t;
    c->tic[c->n] = v;
    c->n++;
    return 0;
}

static int on_batch(void *ctx, const nps_spectra *b)
{
    stream_ctx *s = ctx;
    const nps_run_options *o = s->o;
    for (size_t i = 0; i < nps_spectra_count(b); i++) {
        size_t no = ++s->record;
        const char *v = nps_spectra_get(b, i, NPS_KEY_RETENTION_TIME);
        double t;
        if (!v || nps_parse_double(&t, v) || !(t >= 0)) {
            s->rep.no_time++;
            diag(o, s->name, no, "scan %s has no valid retention time (%s): left out of the run",
                 nps_spectra_id(b, i), v ? v : "none");
            continue;
        }
        if (t < s->prev) {
            s->rep.out_of_order++;
            diag(o, s->name, no,
                 "scan %s at %.4f min comes after a scan at %.4f min: the run is put in time "
                 "order",
                 nps_spectra_id(b, i), t, s->prev);
        }
        s->prev = t;
        int level = scan_level(b, i);
        const double *mz;
        const float *in;
        size_t np;
        nps_spectra_peaks(b, i, &mz, &in, &np);
        double tic = 0;
        for (size_t k = 0; k < np; k++) tic += in[k];
        s->rep.scans++;
        if (!np) s->rep.empty++;
        if (level == 1) {
            s->rep.ms1++;
            if (t == s->last1) {
                s->rep.duplicate_times++;
                diag(o, s->name, no,
                     "scan %s has the time of the MS1 scan before it (%.4f min): kept",
                     nps_spectra_id(b, i), t);
            }
            s->last1 = t;
            s->kinds[nps_spectra_kind(b, i)]++;
            if (tic_add(s->c1, s->cap1, t, tic)) return nps_err(NPS_ENOMEM, "out of memory");
            if (o->kind != NPS_KIND_MSMS) {
                int rc = nps_deconvolver_push(s->dec, no, t, mz, in, np);
                if (rc) return rc;
            }
        } else {
            s->rep.msn++;
            if (tic_add(s->c2, s->cap2, t, tic)) return nps_err(NPS_ENOMEM, "out of memory");
            if (o->kind != NPS_KIND_EI) {
                int rc = nps_spectra_add_from(s->msn, b, i);
                if (rc) return rc;
            }
        }
    }
    return 0;
}

int nps_run_components(nps_spectra **components, nps_chromatogram **chromatogram,
                       nps_run_report *report, const char *path, const nps_run_options *ro,
                       const nps_deconvolve_options *dec, const nps_consensus_options *cons)
{
    *components = NULL;
    if (chromatogram) *chromatogram = NULL;
    nps_run_options def = NPS_RUN_OPTIONS_INIT;
    const nps_run_options *o = ro ? ro : &def;
    int bad = check_options(o);
    if (bad) return bad;
    stream_ctx s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.name = path;
    s.prev = -INFINITY;
    s.last1 = -1;
    nps_spectra *batch = NULL, *comp = NULL;
    int rc;
    if ((rc = nps_deconvolver_create(&s.dec, path, dec)) || (rc = nps_spectra_create(&s.msn)) ||
        (rc = nps_spectra_create(&batch)) || (rc = chromatogram_alloc(&s.c1, path, 1)) ||
        (rc = chromatogram_alloc(&s.c2, path, 1)))
        goto done;
    s.cap1[0] = s.cap1[1] = s.cap2[0] = s.cap2[1] = 1;
    s.c1->level = 1;
    s.c2->level = 2;
    read_diag d = {o, 0};
    nps_read_options rdo = NPS_READ_OPTIONS_INIT;
    rdo.format = o->format;
    rdo.ms_level = -1;
    rdo.on_error = forward_diag;
    rdo.on_error_ctx = &d;
    rdo.on_batch = on_batch;
    rdo.on_batch_ctx = &s;
    nps_read_report rr = {0};
    if ((rc = nps_io_read(batch, &rr, path, &rdo))) goto done;
    s.rep.skipped = rr.records_skipped;
    if (s.rep.scans + s.rep.no_time == 0) {
        rc = nps_err(NPS_EFORMAT, "%s: no scans", path);
        goto done;
    }
    if (s.rep.empty)
        diag(o, path, 0, "%zu scans without a peak: kept as zero intensity", s.rep.empty);
    nps_kind kind = o->kind >= 0                                    ? (nps_kind)o->kind
                    : s.rep.msn                                     ? NPS_KIND_MSMS
                    : s.kinds[NPS_KIND_MSMS] > s.kinds[NPS_KIND_EI] ? NPS_KIND_MSMS
                                                                    : NPS_KIND_EI;
    if (kind == NPS_KIND_EI) {
        rc = nps_deconvolver_finish(&comp, s.dec);
        s.rep.late = nps_deconvolver_late(s.dec);
        if (s.rep.late)
            diag(o, path, 0,
                 "%zu scans out of time order came after their window had been deconvolved: "
                 "left out",
                 s.rep.late);
    } else {
        nps_run *r = NULL;
        nps_run_options mo = *o;
        mo.on_error = NULL; /* said once above */
        mo.kind = NPS_KIND_MSMS;
        rc = nps_run_from_spectra(&r, NULL, s.msn, path, &mo);
        if (!rc) rc = nps_run_consensus(&comp, r, cons);
        nps_run_free(r);
    }
    if (rc) goto done;
    if (report) report_add(report, &s.rep);
    *components = comp;
    comp = NULL;
    if (chromatogram) {
        int use1 = s.c1->n > 0;
        *chromatogram = use1 ? s.c1 : s.c2;
        if (use1)
            s.c1 = NULL;
        else
            s.c2 = NULL;
    }
done:
    nps_deconvolver_free(s.dec);
    nps_spectra_free(s.msn);
    nps_spectra_free(batch);
    nps_spectra_free(comp);
    nps_chromatogram_free(s.c1);
    nps_chromatogram_free(s.c2);
    return rc;
}

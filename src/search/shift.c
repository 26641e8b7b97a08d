/*
 * Shift correlation for EI analogue search. An EI spectrum has no reliable
 * precursor, so the mass difference between an unknown and its library
 * relative must be found from the spectra themselves: bin both at unit mass
 * (weights normalised to unit length), and the cross-correlation
 *     c[s] = sum_m q[m] r[m - s]
 * is, at every shift s at once, the weight the two spectra share when the
 * reference is moved by s. c[0] is the plain (binned) similarity; a large
 * c[s] elsewhere says that part of the reference reappears s Da higher in the
 * query: a substituent of mass s. One FFT gives every shift: with Q and R the
 * transforms, c = IFFT(Q conj(R)).
 *
 * FFTW is used the FFTW way: the transform length N (a power of two above
 * max m/z + max shift, so that the circular correlation never wraps within
 * the shifts looked at) and the plans are made once per search, with
 * FFTW_ESTIMATE (no timing runs) and under a process-wide lock, since FFTW's
 * planner is not thread-safe; the library spectra are transformed once; per
 * pair only a complex product and one inverse transform run, through the
 * new-array execute functions, on per-thread buffers allocated with
 * fftwf_malloc so that they share the plans' alignment. Single precision is
 * enough: the correlation only proposes shifts (and bounds them, with a
 * margin); every reported score is computed exactly by the hybrid rule.
 *
 * Most library spectra need no transform at all. The hybrid score pairs each
 * peak at most once, so for the cosine-type pair terms it is a sum of
 * products of normalised query and library weights over a one-to-one
 * matching, and by the rearrangement inequality no matching, whatever the
 * shift, beats the dot product of the two weight lists each sorted in
 * decreasing order:  hybrid(s) <= sum_k q_(k) r_(k)  for every s.
 * The plan keeps each library spectrum's sorted normalised weights, and the
 * search visits spectra in decreasing order of this bound, correlating only
 * while it can still beat the K-th score (searcher.c).
 */
#include "shift.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

struct nps_shift_plan {
    size_t N, nc;  /* transform length, N / 2 + 1 complex values */
    size_t stride; /* row length of spec: nc rounded up so every row keeps fftwf_malloc's
                    * SIMD alignment (the new-array execute functions require the
                    * alignment the plan was made with) */
    int max_shift;
    fftwf_plan fwd, inv;
    fftwf_complex *spec; /* nc per selected library spectrum */
    size_t *slot;        /* library spectrum -> its row in spec, or SIZE_MAX */
    size_t nsel;         /* spectra selected (rows) */
    size_t nlib;
    float *sorted; /* per selected spectrum, its weights / norm in decreasing order */
    size_t *soff;  /* slot -> offset in sorted; soff[nsel] = end */
};

struct nps_shift_ws {
    float *bins;        /* N */
    fftwf_complex *qf;  /* nc: the query's transform */
    fftwf_complex *prd; /* nc */
    float *corr;        /* N */
    double *qs;         /* the query's weights / norm, decreasing */
    size_t qn, qcap;
    size_t N, nc; /* the plan's sizes (for the byte count) */
};

static int cmp_desc_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

static int cmp_desc_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Unit-mass bins of the weights, scaled to unit Euclidean length (for the
 * cosine and composite weights that is the score's own normalisation, so
 * c[0] + c[s] bounds the hybrid score; the entropy weights get the same
 * scaling, used only to rank shifts). */
static void bin(float *b, size_t N, const double *mz, const double *w, size_t n)
{
    memset(b, 0, N * sizeof *b);
    double ss = 0;
    for (size_t k = 0; k < n; k++) ss += w[k] * w[k];
    double norm = sqrt(ss);
    if (!(norm > 0)) return;
    for (size_t k = 0; k < n; k++) {
        double m = floor(mz[k] + 0.5);
        if (m >= 0 && m < (double)N) b[(size_t)m] += (float)(w[k] / norm);
    }
}

void nps_shift_plan_free(nps_shift_plan *p)
{
    if (!p) return;
    pthread_mutex_lock(&planner_lock);
    if (p->fwd) fftwf_destroy_plan(p->fwd);
    if (p->inv) fftwf_destroy_plan(p->inv);
    pthread_mutex_unlock(&planner_lock);
    fftwf_free(p->spec);
    free(p->slot);
    free(p->sorted);
    free(p->soff);
    free(p);
}

int nps_shift_plan_create(nps_shift_plan **out, const nps_spectra *lib, const nps_score_options *so,
                          const unsigned char *use, double max_shift, int nthreads)
{
    nps_shift_plan *p = calloc(1, sizeof *p);
    if (!p) return nps_err(NPS_ENOMEM, "out of memory");
    size_t nl = nps_spectra_count(lib), nsel = 0, npk = 0, maxn = 0;
    double maxmz = 0;
    for (size_t i = 0; i < nl; i++) {
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(lib, i, &mz, &in, &n);
        if (n > maxn) maxn = n;
        if (use && !use[i]) continue;
        nsel++;
        npk += n;
        if (n && mz[n - 1] > maxmz) maxmz = mz[n - 1];
    }
    /* queries heavier than the library add at most max_shift */
    p->max_shift = (int)ceil(max_shift);
    size_t need = (size_t)maxmz + 2 * (size_t)p->max_shift + 2;
    p->N = 256;
    while (p->N < need) p->N *= 2;
    p->nc = p->N / 2 + 1;
    p->stride = (p->nc + 7) / 8 * 8; /* 64-byte rows */
    p->nlib = nl;
    p->slot = malloc((nl ? nl : 1) * sizeof *p->slot);
    p->spec = fftwf_malloc((nsel ? nsel : 1) * p->stride * sizeof(fftwf_complex));
    p->sorted = malloc((npk ? npk : 1) * sizeof *p->sorted);
    p->soff = malloc((nsel + 1) * sizeof *p->soff);
    float *buf = fftwf_malloc(p->N * sizeof *buf);
    fftwf_complex *cbuf = fftwf_malloc(p->nc * sizeof *cbuf);
    int rc = 0;
    if (!p->slot || !p->spec || !p->sorted || !p->soff || !buf || !cbuf) {
        rc = nps_err(NPS_ENOMEM, "out of memory planning the shift correlation");
        goto out;
    }
    pthread_mutex_lock(&planner_lock);
    p->fwd = fftwf_plan_dft_r2c_1d((int)p->N, buf, cbuf, FFTW_ESTIMATE);
    p->inv = fftwf_plan_dft_c2r_1d((int)p->N, cbuf, buf, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_lock);
    if (!p->fwd || !p->inv) {
        rc = nps_err(NPS_ENOMEM, "FFTW could not plan a transform of length %zu", p->N);
        goto out;
    }
    size_t row = 0, off = 0;
    for (size_t i = 0; i < nl; i++) {
        p->slot[i] = (use && !use[i]) ? SIZE_MAX : row++;
        if (p->slot[i] == SIZE_MAX) continue;
        p->soff[p->slot[i]] = off;
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(lib, i, &mz, &in, &n);
        off += n;
    }
    p->soff[row] = off;
    p->nsel = row;
    int failed = 0;
#pragma omp parallel num_threads(nthreads > 0 ? nthreads : 1)
    {
        float *b = fftwf_malloc(p->N * sizeof *b);
        double *tw = malloc((maxn ? maxn : 1) * sizeof *tw);
        if (!b || !tw) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < nl; i++) {
            if (!b || !tw || p->slot[i] == SIZE_MAX) continue;
            const double *mz;
            const float *in;
            size_t n;
            nps_spectra_peaks(lib, i, &mz, &in, &n);
            /* each spectrum prepared once: its sorted normalised weights (the
             * bound) and its binned transform */
            nps_score_prepare(tw, NULL, mz, in, n, so);
            double ss = 0;
            for (size_t k = 0; k < n; k++) ss += tw[k] * tw[k];
            double norm = sqrt(ss);
            float *srt = p->sorted + p->soff[p->slot[i]];
            for (size_t k = 0; k < n; k++) srt[k] = norm > 0 ? (float)(tw[k] / norm) : 0;
            qsort(srt, n, sizeof *srt, cmp_desc_f);
            bin(b, p->N, mz, tw, n);
            fftwf_execute_dft_r2c(p->fwd, b, p->spec + p->slot[i] * p->stride);
        }
        fftwf_free(b);
        free(tw);
    }
    if (failed) rc = nps_err(NPS_ENOMEM, "out of memory");
out:
    fftwf_free(buf);
    fftwf_free(cbuf);
    if (rc) {
        nps_shift_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

size_t nps_shift_selected(const nps_shift_plan *p)
{
    return p->nsel;
}

int nps_shift_has(const nps_shift_plan *p, size_t ref)
{
    return ref < p->nlib && p->slot[ref] != SIZE_MAX;
}

void nps_shift_ws_free(nps_shift_ws *ws)
{
    if (!ws) return;
    fftwf_free(ws->bins);
    fftwf_free(ws->qf);
    fftwf_free(ws->prd);
    fftwf_free(ws->corr);
    free(ws->qs);
    free(ws);
}

size_t nps_shift_ws_bytes(const nps_shift_ws *ws)
{
    return sizeof *ws + 2 * ws->N * sizeof(float) + 2 * ws->nc * sizeof(fftwf_complex) +
           ws->qcap * sizeof(double);
}

int nps_shift_ws_create(nps_shift_ws **out, const nps_shift_plan *p)
{
    nps_shift_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return nps_err(NPS_ENOMEM, "out of memory");
    ws->N = p->N;
    ws->nc = p->nc;
    ws->bins = fftwf_malloc(p->N * sizeof *ws->bins);
    ws->corr = fftwf_malloc(p->N * sizeof *ws->corr);
    ws->qf = fftwf_malloc(p->nc * sizeof *ws->qf);
    ws->prd = fftwf_malloc(p->nc * sizeof *ws->prd);
    if (!ws->bins || !ws->corr || !ws->qf || !ws->prd) {
        nps_shift_ws_free(ws);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    *out = ws;
    return 0;
}

int nps_shift_query(nps_shift_ws *ws, const nps_shift_plan *p, const nps_prep *q)
{
    bin(ws->bins, p->N, q->mz, q->w, q->n);
    fftwf_execute_dft_r2c(p->fwd, ws->bins, ws->qf);
    if (q->n > ws->qcap) {
        double *b = realloc(ws->qs, q->n * sizeof *b);
        if (!b) return nps_err(NPS_ENOMEM, "out of memory");
        ws->qs = b;
        ws->qcap = q->n;
    }
    double ss = 0;
    for (size_t k = 0; k < q->n; k++) ss += q->w[k] * q->w[k];
    double norm = sqrt(ss);
    for (size_t k = 0; k < q->n; k++) ws->qs[k] = norm > 0 ? q->w[k] / norm : 0;
    qsort(ws->qs, q->n, sizeof *ws->qs, cmp_desc_d);
    ws->qn = q->n;
    return 0;
}

double nps_shift_sorted_bound(const nps_shift_ws *ws, const nps_shift_plan *p, size_t ref)
{
    size_t r = p->slot[ref];
    const float *w = p->sorted + p->soff[r];
    size_t n = p->soff[r + 1] - p->soff[r];
    if (n > ws->qn) n = ws->qn;
    double b = 0;
    for (size_t k = 0; k < n; k++) b += ws->qs[k] * (double)w[k];
    return b;
}

size_t nps_shift_correlate(nps_shift_ws *ws, const nps_shift_plan *p, size_t ref, double *c0,
                           int *shifts, double *values, size_t max)
{
    const fftwf_complex *r = p->spec + p->slot[ref] * p->stride;
    /* Q conj(R): the transform of sum_m q[m] r[m - s] */
    for (size_t k = 0; k < p->nc; k++) {
        float a = ws->qf[k][0], b = ws->qf[k][1], c = r[k][0], d = r[k][1];
        ws->prd[k][0] = a * c + b * d;
        ws->prd[k][1] = b * c - a * d;
    }
    fftwf_execute_dft_c2r(p->inv, ws->prd, ws->corr);
    const float scale = 1.0f / (float)p->N; /* FFTW's transforms are unnormalised */
    const float *c = ws->corr;
    size_t N = p->N;
    *c0 = c[0] * scale;
    size_t found = 0;
    for (int s = -p->max_shift; s <= p->max_shift; s++) {
        if (s == 0) continue;
        size_t i = (size_t)(s < 0 ? (long)N + s : s);
        float v = c[i] * scale;
        if (!(v > 1e-6f)) continue;
        /* a local maximum (a shift s next to a better one is that one's shoulder) */
        size_t il = (i + N - 1) % N, ir = (i + 1) % N;
        if (c[il] * scale > v || c[ir] * scale > v) continue;
        /* insert into the best `max`, largest first; ties keep the earlier shift */
        size_t pos = found < max ? found : max;
        while (pos > 0 && values[pos - 1] < v) pos--;
        if (pos >= max) continue;
        size_t last = found < max ? found : max - 1;
        for (size_t k = last; k > pos; k--) {
            values[k] = values[k - 1];
            shifts[k] = shifts[k - 1];
        }
        values[pos] = v;
        shifts[pos] = s;
        if (found < max) found++;
    }
    return found;
}

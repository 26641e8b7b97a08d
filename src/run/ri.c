/*
 * Retention indices from an n-alkane ladder, and the RI penalty of a hit.
 *
 * RI: the linear (temperature-programmed) index of H. van den Dool and
 * P. D. Kratz, J Chromatogr 11, 463 (1963): between the n-alkanes of carbon
 * numbers n and N bracketing a compound,
 *     RI = 100 n + 100 (N - n) (t - t_n) / (t_N - t_n),
 * which for a complete ladder (N = n + 1) is the textbook formula, and for a
 * ladder missing carbons interpolates over the gap, as the index is linear
 * in time between any two alkanes under a linear temperature program. Times
 * before the first or after the last alkane have no index: an extrapolated
 * RI is not defensible, so nps_ri_at says NPS_ERANGE and the report leaves
 * the RI empty and flags the component.
 *
 * Ladder from a run: the n-alkanes of a C8-C40 standard have spectra
 * dominated by the CnH2n+1 series (43, 57, 71, 85, 99: 57 or 43 the base
 * peak, each member smaller than the one before from 57 on) and elute
 * at almost even spacing under a temperature ramp; the components that
 * look like that are taken in elution order and numbered from the first
 * carbon number the laboratory names (it knows its standard).
 *
 * Penalty (after AMDIS, D'Arcy and Mallard, AMDIS User Guide, NIST 2004,
 * "RI window" and "match factor penalties"): nothing while the difference
 * from the library RI is within the window, then a penalty growing
 * linearly with the distance beyond it up to a maximum; a library spectrum
 * without an RI gets a separate, configurable penalty (AMDIS's "no RI in
 * library", 0 by default, since most library spectra have none). The
 * default window, 20 units, is the spread of RI between laboratories for
 * one compound on semi-standard non-polar (5 %-phenyl) columns reported by
 * Babushok et al., J Phys Chem Ref Data 36, 1 (2007), whose standard
 * deviations are of 10-20 units; the maximum, 0.2 (20 points of match
 * factor), is AMDIS's default maximum penalty, reached 40 units beyond the
 * window (slope 0.005 per unit).
 */
#include "../core/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nps_ri_ladder {
    size_t n;
    int *carbon;
    double *time;
};

void nps_ri_ladder_free(nps_ri_ladder *l)
{
    if (!l) return;
    free(l->carbon);
    free(l->time);
    free(l);
}

size_t nps_ri_ladder_count(const nps_ri_ladder *l)
{
    return l->n;
}

void nps_ri_ladder_at(const nps_ri_ladder *l, size_t i, int *carbon, double *time)
{
    if (carbon) *carbon = l->carbon[i];
    if (time) *time = l->time[i];
}

typedef struct {
    int c;
    double t;
} rung;

static int cmp_rung(const void *a, const void *b)
{
    const rung *x = a, *y = b;
    return (x->c > y->c) - (x->c < y->c);
}

int nps_ri_ladder_create(nps_ri_ladder **out, const int *carbons, const double *times, size_t n)
{
    *out = NULL;
    if (n < 2)
        return nps_err(NPS_EINVAL, "an alkane ladder needs at least two alkanes, not %zu", n);
    rung *r = malloc(n * sizeof *r);
    if (!r) return nps_err(NPS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (carbons[i] < 1 || carbons[i] > 200 || !isfinite(times[i]) || times[i] < 0) {
            free(r);
            return nps_err(NPS_EINVAL, "alkane ladder: C%d at %g min is not a valid entry",
                           carbons[i], times[i]);
        }
        r[i].c = carbons[i];
        r[i].t = times[i];
    }
    qsort(r, n, sizeof *r, cmp_rung);
    for (size_t i = 1; i < n; i++) {
        if (r[i].c == r[i - 1].c) {
            int c = r[i].c;
            free(r);
            return nps_err(NPS_EINVAL, "alkane ladder: C%d given twice", c);
        }
        if (!(r[i].t > r[i - 1].t)) {
            int c0 = r[i - 1].c, c1 = r[i].c;
            double t0 = r[i - 1].t, t1 = r[i].t;
            free(r);
            return nps_err(NPS_EINVAL,
                           "alkane ladder: C%d elutes at %g min, not after C%d at %g min: "
                           "retention must grow with the carbon number",
                           c1, t1, c0, t0);
        }
    }
    nps_ri_ladder *l = calloc(1, sizeof *l);
    if (l) {
        l->carbon = malloc(n * sizeof *l->carbon);
        l->time = malloc(n * sizeof *l->time);
    }
    if (!l || !l->carbon || !l->time) {
        free(r);
        nps_ri_ladder_free(l);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        l->carbon[i] = r[i].c;
        l->time[i] = r[i].t;
    }
    l->n = n;
    free(r);
    *out = l;
    return 0;
}

/* "12", "C12", "n-C12", "nC12" */
static int parse_carbon(int *out, const char *s, const char **end)
{
    if ((s[0] == 'n' || s[0] == 'N') && s[1] == '-') s += 2;
    if ((s[0] == 'n' || s[0] == 'N') && (s[1] == 'C' || s[1] == 'c')) s++;
    if (s[0] == 'C' || s[0] == 'c') s++;
    if (!isdigit((unsigned char)*s)) return -1;
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno || v < 1 || v > 200) return -1;
    *out = (int)v;
    *end = e;
    return 0;
}

int nps_ri_ladder_read(nps_ri_ladder **out, const char *path)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return nps_err(NPS_EIO, "%s: %s", path, strerror(errno));
    int *c = NULL;
    double *t = NULL;
    size_t n = 0, cap_c = 0, cap_t = 0, line = 0;
    char buf[1024];
    int rc = 0;
    while (fgets(buf, sizeof buf, fp)) {
        line++;
        char *p = buf;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
        int carbon;
        const char *e;
        double v;
        char *tail;
        if (parse_carbon(&carbon, p, &e) == 0) {
            while (*e == ' ' || *e == '\t' || *e == ',' || *e == ';') e++;
            errno = 0;
            v = strtod(e, &tail);
            while (*tail == ' ' || *tail == '\t' || *tail == '\r' || *tail == '\n') tail++;
            if (tail != e && !errno && (*tail == '\0' || *tail == '#')) {
                if (nps_grow((void **)&c, &cap_c, n + 1, sizeof *c) ||
                    nps_grow((void **)&t, &cap_t, n + 1, sizeof *t)) {
                    rc = nps_err(NPS_ENOMEM, "out of memory");
                    break;
                }
                c[n] = carbon;
                t[n] = v;
                n++;
                continue;
            }
        }
        /* a header line ("carbon<TAB>rt_min") is allowed as the first line */
        if (n == 0 && line == 1 && !isdigit((unsigned char)*p)) continue;
        buf[strcspn(buf, "\r\n")] = '\0';
        rc = nps_err_at(NPS_EFORMAT, path, line,
                        "expected \"<carbon number> <retention time in minutes>\", got \"%.60s\"",
                        buf);
        break;
    }
    fclose(fp);
    if (!rc) {
        rc = nps_ri_ladder_create(out, c, t, n);
        if (rc) rc = nps_err(rc, "%s: %s", path, nps_error_last());
    }
    free(c);
    free(t);
    return rc;
}

int nps_ri_at(double *out, const nps_ri_ladder *l, double t)
{
    *out = NAN;
    if (!isfinite(t) || t < l->time[0] || t > l->time[l->n - 1]) return NPS_ERANGE;
    size_t lo = 0, hi = l->n - 1; /* time[lo] <= t <= time[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->time[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    double n = l->carbon[lo], N = l->carbon[hi];
    *out = 100.0 * n + 100.0 * (N - n) * (t - l->time[lo]) / (l->time[hi] - l->time[lo]);
    return 0;
}

/* Alkane-like: the base peak at 57 or 43, 57 >= 71 >= 85 > 0, and the
 * CnH2n+1 series (43, 57, 71, 85, 99) carrying at least half the ion current. */
static int alkane_like(const nps_spectra *s, size_t i)
{
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(s, i, &mz, &in, &n);
    double base = 0, base_mz = 0, total = 0, v[5] = {0};
    static const int series[5] = {43, 57, 71, 85, 99};
    for (size_t k = 0; k < n; k++) {
        total += in[k];
        if (in[k] > base) {
            base = in[k];
            base_mz = NPS_UNIT_MZ(mz[k]);
        }
        for (int q = 0; q < 5; q++)
            if (NPS_UNIT_MZ(mz[k]) == series[q]) v[q] += in[k];
    }
    if (!(total > 0) || (base_mz != 57 && base_mz != 43)) return 0;
    if (!(v[1] >= v[2] && v[2] >= v[3] && v[3] > 0)) return 0;
    return (v[0] + v[1] + v[2] + v[3] + v[4]) >= 0.5 * total;
}

int nps_ri_ladder_from_components(nps_ri_ladder **out, const nps_spectra *comp, int first_carbon)
{
    *out = NULL;
    size_t n = nps_spectra_count(comp), m = 0;
    int *c = malloc((n ? n : 1) * sizeof *c);
    double *t = malloc((n ? n : 1) * sizeof *t);
    if (!c || !t) {
        free(c);
        free(t);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = nps_spectra_get(comp, i, NPS_KEY_RETENTION_TIME);
        double rt;
        if (!v || nps_parse_double(&rt, v) || !alkane_like(comp, i)) continue;
        if (m && rt <= t[m - 1]) continue;
        c[m] = first_carbon + (int)m;
        t[m] = rt;
        m++;
    }
    int rc;
    if (m < 2)
        rc = nps_err(NPS_ENOTFOUND, "alkane run: %zu n-alkane-like components found, need 2", m);
    else
        rc = nps_ri_ladder_create(out, c, t, m);
    free(c);
    free(t);
    return rc;
}

double nps_ri_penalty(const nps_ri_options *o, double q, double lib)
{
    if (!isfinite(q)) return 0;
    if (!isfinite(lib)) return o->no_ri;
    double d = fabs(q - lib) - o->window;
    if (d <= 0) return 0;
    double p = o->slope * d;
    return p < o->max_penalty ? p : o->max_penalty;
}

/* The number after `tag` in s ("SemiStdNP=1234/..."), or NAN. */
static double tagged(const char *s, const char *tag)
{
    size_t n = strlen(tag);
    for (const char *p = s; *p; p++) {
        if (strncasecmp(p, tag, n) != 0) continue;
        if (p > s && (isalnum((unsigned char)p[-1]))) continue; /* "StdNP" inside "SemiStdNP" */
        char *end;
        double v = strtod(p + n, &end);
        if (end != p + n && isfinite(v) && v > 0) return v;
    }
    return NAN;
}

double nps_spectra_ri(const nps_spectra *s, size_t i)
{
    const char *v = nps_spectra_get(s, i, NPS_KEY_RETENTION_INDEX);
    if (v) {
        double x;
        if (nps_parse_double(&x, v) == 0) return x > 0 ? x : NAN;
        double t = tagged(v, "SemiStdNP=");
        if (isnan(t)) t = tagged(v, "StdNP=");
        if (isnan(t)) {
            /* the first number of the field */
            const char *p = v;
            while (*p && !isdigit((unsigned char)*p)) p++;
            char *end;
            t = strtod(p, &end);
            if (end == p || !(t > 0)) t = NAN;
        }
        if (!isnan(t)) return t;
    }
    const char *c = nps_spectra_get(s, i, NPS_KEY_COMMENTS);
    if (c) {
        double t = tagged(c, "RI=");
        if (isnan(t)) t = tagged(c, "Kovats_RI=");
        if (!isnan(t)) return t;
    }
    return NAN;
}

int nps_ri_annotate(nps_spectra **out, const nps_spectra *in, const nps_ri_ladder *l,
                    size_t *outside)
{
    *out = NULL;
    if (outside) *outside = 0;
    nps_spectra *res;
    int rc = nps_spectra_create(&res);
    if (rc) return rc;
    const char **keys = NULL, **vals = NULL;
    size_t cap_k = 0, cap_v = 0;
    for (size_t i = 0; i < nps_spectra_count(in) && !rc; i++) {
        size_t nm = nps_spectra_meta_count(in, i), m = 0;
        if (nps_grow((void **)&keys, &cap_k, nm + 2, sizeof *keys) ||
            nps_grow((void **)&vals, &cap_v, nm + 2, sizeof *vals)) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < nm; j++) {
            const char *k, *v;
            nps_spectra_meta_at(in, i, j, &k, &v);
            if (nps_strcaseeq(k, NPS_KEY_RETENTION_INDEX) || nps_strcaseeq(k, "RI_flag")) continue;
            keys[m] = k;
            vals[m] = v;
            m++;
        }
        const char *v = nps_spectra_get(in, i, NPS_KEY_RETENTION_TIME);
        double rt, ri = NAN;
        char buf[40];
        if (v && nps_parse_double(&rt, v) == 0 && nps_ri_at(&ri, l, rt) == 0) {
            snprintf(buf, sizeof buf, "%.1f", ri);
            keys[m] = NPS_KEY_RETENTION_INDEX;
            vals[m] = buf;
            m++;
        } else {
            keys[m] = "RI_flag";
            vals[m] = "outside ladder";
            m++;
            if (outside) (*outside)++;
        }
        const double *mz;
        const float *it;
        size_t np;
        nps_spectra_peaks(in, i, &mz, &it, &np);
        rc = nps_spectra_add(res, mz, it, np, keys, vals, m);
    }
    free(keys);
    free(vals);
    if (rc) {
        nps_spectra_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/*
 * npsbench: the figures behind bench/RESULTS.md.
 *
 *   npsbench load [RUNS]        library build / open times for the 78k MS/MS MSP
 *   npsbench defaults [RUNS]    the CLI's default search: mean, median, p99 per query
 *   npsbench evalues            do e-values separate right from wrong top hits? their cost
 *   npsbench accuracy           cross-laboratory MS/MS identification accuracy
 *   npsbench ei-accuracy        cross-laboratory EI identification accuracy
 *   npsbench mixtures [deep]    mixture analysis: false mixture calls, recall, cost
 *   npsbench ambiguity          the ambiguity margin: calls with the compound present and absent
 *   npsbench probability        the identification probability: fit and calibration
 *   npsbench index [W...]       the fragment-index workloads W1-W4 of issue 3
 *   npsbench scaling [SVG]      time per query against library size, and its plot
 *
 * Data are read from $NPS_DATA_DIR (default ../shared/data). Timings are wall
 * clock, repeated RUNS times; medians and quantiles are computed with GSL, and
 * accuracies carry a 95 % Wilson score interval (GSL's Gaussian quantile).
 *
 * Cross-laboratory protocol (issue 2, matching the peers' measurement): from
 * massbank_forensic_crosscontributor_groups.tsv, one query per compound and
 * contributor: that contributor's MS2 positive-mode spectrum with a numeric
 * precursor and the most peaks; the library: every MS2 spectrum with a
 * precursor in the forensic subset from the other contributors; a query is
 * correct when the InChIKey first block of the hit matches.
 */
#include "npsmatch/npsmatch.h"
#include "synth.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const char *data(const char *rel)
{
    static char buf[4][4096];
    static int k;
    const char *d = getenv("NPS_DATA_DIR");
    if (!d) d = NPS_DATA_DIR;
    char *b = buf[k++ % 4];
    snprintf(b, 4096, "%s/%s", d, rel);
    if (access(b, R_OK) != 0) {
        fprintf(stderr, "npsbench: missing data file %s\n", b);
        exit(1);
    }
    return b;
}

static nps_spectra *load(const char *path)
{
    nps_spectra *s;
    if (nps_spectra_create(&s) || nps_io_read(s, NULL, path, NULL)) {
        fprintf(stderr, "npsbench: %s\n", nps_error_last());
        exit(1);
    }
    return s;
}

static double median(double *v, size_t n)
{
    gsl_sort(v, 1, n);
    return gsl_stats_median_from_sorted_data(v, 1, n);
}

/* 95 % Wilson score interval of k successes in n trials. */
static void wilson(double *lo, double *hi, size_t k, size_t n)
{
    double z = gsl_cdf_ugaussian_Pinv(0.975), p = n ? (double)k / (double)n : 0;
    double d = 1 + z * z / (double)n, c = p + z * z / (2.0 * (double)n);
    double r = z * sqrt(p * (1 - p) / (double)n + z * z / (4.0 * (double)n * (double)n));
    /* clamped: at k = 0 or n rounding leaves -0 or 1 + 1e-16 */
    *lo = fmax(0.0, (c - r) / d);
    *hi = fmin(1.0, (c + r) / d);
}

static void machine(void)
{
    char model[600] = "?", line[512];
    FILE *fp = fopen("/proc/cpuinfo", "r");
    while (fp && fgets(line, sizeof line, fp))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            snprintf(model, sizeof model, "%s", c ? c + 2 : line);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (fp) fclose(fp);
    time_t t = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
    printf("# machine: nproc %ld, %s; date %s; npsmatch %s\n", sysconf(_SC_NPROCESSORS_ONLN), model,
           date, NPS_VERSION_STRING);
}

/* ------------------------------------------------------------------ load */

static int bench_load(int runs)
{
    const char *msp = data("massbank/massbank_msms_open_licenses.msp");
    const char *h5 = "/tmp/npsbench_78k.h5";
    double *tp = calloc((size_t)runs, sizeof *tp), *tb = calloc((size_t)runs, sizeof *tb),
           *ts = calloc((size_t)runs, sizeof *ts), *to = calloc((size_t)runs, sizeof *to);
    size_t n = 0, peaks = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        nps_spectra *s = load(msp);
        double t1 = now();
        nps_library *lib;
        if (nps_library_create(&lib, s, NULL)) return 1;
        double t2 = now();
        if (nps_library_save(lib, h5)) {
            fprintf(stderr, "%s\n", nps_error_last());
            return 1;
        }
        double t3 = now();
        nps_library_free(lib);
        n = nps_spectra_count(s);
        peaks = nps_spectra_total_peaks(s);
        nps_spectra_free(s);
        double t4 = now();
        if (nps_library_open(&lib, h5)) {
            fprintf(stderr, "%s\n", nps_error_last());
            return 1;
        }
        double t5 = now();
        nps_library_free(lib);
        tp[r] = t1 - t0;
        tb[r] = t2 - t1;
        ts[r] = t3 - t2;
        to[r] = t5 - t4;
    }
    FILE *fp = fopen(h5, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    remove(h5);
    machine();
    printf("library: massbank_msms_open_licenses.msp, %zu spectra, %zu peaks; HDF5 file %.1f MB\n",
           n, peaks, (double)size / 1e6);
    double mp = median(tp, (size_t)runs), mb = median(tb, (size_t)runs),
           ms = median(ts, (size_t)runs), mo = median(to, (size_t)runs);
    printf("median of %d runs: parse MSP %.3f s; preprocess %.3f s; write HDF5 %.3f s; "
           "build total %.3f s; open HDF5 %.3f s\n",
           runs, mp, mb, ms, mp + mb + ms, mo);
    printf("open is %.1fx faster than parsing the MSP (%.1fx faster than parse + preprocess)\n",
           mp / mo, (mp + mb) / mo);
    free(tp);
    free(tb);
    free(ts);
    free(to);
    return 0;
}

/* ------------------------------------------------------- accuracy (common) */

/* "contributor=X" from MassBank Comments */
static void contributor_of(char *out, size_t n, const nps_spectra *s, size_t i)
{
    const char *c = nps_spectra_get(s, i, NPS_KEY_COMMENTS);
    const char *p = c ? strstr(c, "contributor=") : NULL;
    out[0] = '\0';
    if (!p) return;
    p += 12;
    size_t k = 0;
    while (p[k] && p[k] != ';' && k + 1 < n) {
        out[k] = p[k];
        k++;
    }
    out[k] = '\0';
}

static void block_of(char *out, size_t n, const nps_spectra *s, size_t i)
{
    const char *ik = nps_spectra_get(s, i, NPS_KEY_INCHIKEY);
    out[0] = '\0';
    if (!ik) return;
    size_t k = 0;
    while (ik[k] && ik[k] != '-' && k + 1 < n) {
        out[k] = ik[k];
        k++;
    }
    out[k] = '\0';
}

typedef struct {
    const char *label;
    nps_score_type score;
    double mz_power, intensity_power;
    int reverse;
    int raw;
} variant;

typedef struct {
    size_t q; /* index of the query in the collection */
    char contrib[64];
    char block[32];
} query_t;

static int cmp_contrib(const void *a, const void *b)
{
    return strcmp(((const query_t *)a)->contrib, ((const query_t *)b)->contrib);
}

/* Run every variant and mode over queries grouped by contributor, each against a
 * library of the eligible spectra of the other contributors. */
/* One laboratory's turn in the cross-laboratory protocol: queries qs[a, b)
 * (all of one contributor) into *qsp, every eligible spectrum of the other
 * contributors into *libsp; returns the map from library index to `all`. */
static size_t *crosslab_split(nps_spectra **libsp, nps_spectra **qsp, const nps_spectra *all,
                              const unsigned char *eligible, char (*contrib)[64], const query_t *qs,
                              size_t a, size_t b)
{
    size_t n = nps_spectra_count(all), nl = 0;
    size_t *map = malloc(n * sizeof *map);
    if (!map || nps_spectra_create(libsp) || nps_spectra_create(qsp)) {
        fprintf(stderr, "npsbench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        if (eligible[i] && strcmp(contrib[i], qs[a].contrib) != 0) {
            nps_spectra_add_from(*libsp, all, i);
            map[nl++] = i;
        }
    for (size_t k = a; k < b; k++) nps_spectra_add_from(*qsp, all, qs[k].q);
    return map;
}

/* The cross-laboratory protocol's keys: the queries sorted by contributor,
 * and every record's contributor and block (the caller frees both). */
static void lab_keys(char (**contrib)[64], char (**blocks)[32], const nps_spectra *all, query_t *qs,
                     size_t nq)
{
    qsort(qs, nq, sizeof *qs, cmp_contrib);
    size_t n = nps_spectra_count(all);
    *contrib = malloc(n * sizeof **contrib);
    *blocks = malloc(n * sizeof **blocks);
    for (size_t i = 0; i < n; i++) {
        contributor_of((*contrib)[i], 64, all, i);
        block_of((*blocks)[i], 32, all, i);
    }
}

static void evaluate(const nps_spectra *all, const unsigned char *eligible, query_t *qs, size_t nq,
                     const variant *vars, size_t nvar, const nps_search_mode *modes, size_t nmodes,
                     double tolerance)
{
    char(*contrib)[64], (*blocks)[32];
    lab_keys(&contrib, &blocks, all, qs, nq);
    size_t cells = nvar * nmodes;
    size_t *top1 = calloc(cells, sizeof *top1), *top5 = calloc(cells, sizeof *top5);
    double *secs = calloc(cells, sizeof *secs);
    for (size_t a = 0; a < nq;) {
        size_t b = a;
        while (b < nq && strcmp(qs[b].contrib, qs[a].contrib) == 0) b++;
        nps_spectra *libsp, *qsp;
        size_t *map = crosslab_split(&libsp, &qsp, all, eligible, contrib, qs, a, b);
        for (size_t v = 0; v < nvar; v++) {
            nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
            if (vars[v].raw) {
                nps_preprocess_options r = NPS_PREPROCESS_RAW_INIT;
                cfg.ei = cfg.msms = r;
            }
            nps_library *lib;
            nps_library_create(&lib, libsp, &cfg);
            for (size_t m = 0; m < nmodes; m++) {
                nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
                o.score = vars[v].score;
                o.mode = modes[m];
                o.top_k = 5;
                o.mz_power = vars[v].mz_power;
                o.intensity_power = vars[v].intensity_power;
                o.reverse = vars[v].reverse;
                o.tolerance = tolerance;
                o.same_kind_only = 0;
                nps_hits *h;
                double t0 = now();
                if (nps_search_run(&h, lib, qsp, &o)) {
                    fprintf(stderr, "%s\n", nps_error_last());
                    exit(1);
                }
                secs[v * nmodes + m] += now() - t0;
                for (size_t k = a; k < b; k++) {
                    size_t f, cnt;
                    nps_hits_for_query(h, k - a, &f, &cnt);
                    for (size_t r = 0; r < cnt; r++) {
                        size_t ref = map[nps_hits_at(h, f + r)->reference];
                        if (strcmp(blocks[ref], qs[k].block) == 0) {
                            if (r == 0) top1[v * nmodes + m]++;
                            top5[v * nmodes + m]++;
                            break;
                        }
                    }
                }
                nps_hits_free(h);
            }
            nps_library_free(lib);
        }
        free(map);
        nps_spectra_free(libsp);
        nps_spectra_free(qsp);
        a = b;
    }
    printf("%-34s %-9s %8s %16s %8s %10s\n", "score", "mode", "top-1", "95% CI", "top-5",
           "ms/query");
    for (size_t v = 0; v < nvar; v++)
        for (size_t m = 0; m < nmodes; m++) {
            size_t c = v * nmodes + m;
            double lo, hi;
            wilson(&lo, &hi, top1[c], nq);
            printf("%-34s %-9s %7.1f%% %7.1f-%5.1f%% %7.1f%% %10.3f\n", vars[v].label,
                   modes[m] == NPS_MODE_IDENTITY ? "identity" : "open",
                   100.0 * (double)top1[c] / (double)nq, 100 * lo, 100 * hi,
                   100.0 * (double)top5[c] / (double)nq, 1e3 * secs[c] / (double)nq);
        }
    free(top1);
    free(top5);
    free(secs);
    free(contrib);
    free(blocks);
}

/* -------------------------------------------------------- MS/MS accuracy */

/* The cross-laboratory MS/MS queries (see the header): *fs the forensic
 * subset, eligible[i] its MS2 spectra with a precursor. */
static query_t *crosslab_queries(nps_spectra **fs_out, unsigned char **eligible_out, size_t *nq_out,
                                 size_t *groups_out)
{
    nps_spectra *fs = load(data("massbank/massbank_forensic_subset.msp"));
    size_t n = nps_spectra_count(fs);
    unsigned char *eligible = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        const char *t = nps_spectra_get(fs, i, NPS_KEY_SPECTRUM_TYPE);
        eligible[i] = t && strcmp(t, "MS2") == 0 && !isnan(nps_spectra_precursor_mz(fs, i));
    }
    FILE *fp = fopen(data("massbank/massbank_forensic_crosscontributor_groups.tsv"), "r");
    char *line = NULL;
    size_t cap = 0, nq = 0, qcap = 0, groups = 0;
    query_t *qs = NULL;
    if (getline(&line, &cap, fp) < 0) exit(1);
    while (getline(&line, &cap, fp) > 0) {
        char *f[8], *p = line;
        int nf = 0;
        while (nf < 8) {
            f[nf++] = p;
            char *t = strchr(p, '\t');
            if (!t) break;
            *t = '\0';
            p = t + 1;
        }
        if (nf < 8) continue;
        f[7][strcspn(f[7], "\r\n")] = '\0';
        groups++;
        /* "C1: acc acc | C2: acc" */
        char *save1, *part = strtok_r(f[7], "|", &save1);
        for (; part; part = strtok_r(NULL, "|", &save1)) {
            char *colon = strchr(part, ':');
            if (!colon) continue;
            *colon = '\0';
            char *name = part;
            while (*name == ' ') name++;
            size_t best = (size_t)-1, bestn = 0;
            char *save2, *acc = strtok_r(colon + 1, " ", &save2);
            for (; acc; acc = strtok_r(NULL, " ", &save2)) {
                size_t i;
                if (nps_spectra_find(&i, fs, acc) || !eligible[i]) continue;
                const char *mode = nps_spectra_get(fs, i, NPS_KEY_ION_MODE);
                if (!mode || (strcmp(mode, "P") != 0 && strcasecmp(mode, "POSITIVE") != 0))
                    continue;
                const double *mz;
                const float *in;
                size_t k;
                nps_spectra_peaks(fs, i, &mz, &in, &k);
                if (best == (size_t)-1 || k > bestn ||
                    (k == bestn && strcmp(acc, nps_spectra_id(fs, best)) < 0)) {
                    best = i;
                    bestn = k;
                }
            }
            if (best == (size_t)-1) continue;
            if (nq == qcap) {
                qcap = qcap ? 2 * qcap : 256;
                query_t *g = realloc(qs, qcap * sizeof *qs);
                if (!g) {
                    fprintf(stderr, "npsbench: out of memory\n");
                    exit(1);
                }
                qs = g;
            }
            qs[nq].q = best;
            snprintf(qs[nq].contrib, sizeof qs[nq].contrib, "%s", name);
            snprintf(qs[nq].block, sizeof qs[nq].block, "%s", f[0]);
            nq++;
        }
    }
    free(line);
    fclose(fp);
    *fs_out = fs;
    *eligible_out = eligible;
    *nq_out = nq;
    *groups_out = groups;
    return qs;
}

static int bench_accuracy(void)
{
    nps_spectra *fs;
    unsigned char *eligible;
    size_t nq, groups;
    query_t *qs = crosslab_queries(&fs, &eligible, &nq, &groups);
    size_t n = nps_spectra_count(fs);
    machine();
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) ne += eligible[i];
    printf("cross-laboratory MS/MS: %zu compounds, %zu queries; library: %zu MS2 spectra with a "
           "precursor minus the query contributor's; tolerance 0.02 Da, precursor 0.01 Da\n",
           groups, nq, ne);
    static const variant vars[] = {
        {"entropy", NPS_SCORE_ENTROPY, 0, 1, 0, 0},
        {"entropy-unweighted", NPS_SCORE_ENTROPY_UNWEIGHTED, 0, 1, 0, 0},
        {"cosine I^0.5", NPS_SCORE_COSINE, 0, 0.5, 0, 0},
        {"cosine I^1", NPS_SCORE_COSINE, 0, 1, 0, 0},
        {"cosine I^0.5 (raw peaks)", NPS_SCORE_COSINE, 0, 0.5, 0, 1},
        {"composite", NPS_SCORE_COMPOSITE, 0, 1, 0, 0},
        {"entropy --reverse", NPS_SCORE_ENTROPY, 0, 1, 1, 0},
    };
    static const nps_search_mode modes[] = {NPS_MODE_IDENTITY, NPS_MODE_OPEN};
    evaluate(fs, eligible, qs, nq, vars, sizeof vars / sizeof *vars, modes, 2, 0.02);
    free(qs);
    free(eligible);
    nps_spectra_free(fs);
    return 0;
}

/* ----------------------------------------------------------- EI accuracy */

typedef struct {
    char block[32];
    char contrib[64];
    size_t idx, npeaks;
} ei_rec;

static int cmp_ei(const void *a, const void *b)
{
    const ei_rec *x = a, *y = b;
    int c = strcmp(x->block, y->block);
    if (c) return c;
    c = strcmp(x->contrib, y->contrib);
    if (c) return c;
    if (x->npeaks != y->npeaks) return x->npeaks > y->npeaks ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The cross-laboratory EI queries: one per (compound, contributor) for the
 * compounds measured by at least two contributors (the contributor's
 * spectrum with the most peaks); *ei_out all MassBank EI records,
 * eligible[i] those of type MS with peaks. */
/* The same protocol on any MassBank MSP: msms selects positive-mode MS2
 * records with a precursor instead of EI (type MS) records. */
static query_t *crosslab_records(const char *file, int msms, nps_spectra **ei_out,
                                 unsigned char **eligible_out, size_t *nq_out,
                                 size_t *compounds_out)
{
    nps_spectra *ei = load(data(file));
    size_t n = nps_spectra_count(ei);
    unsigned char *eligible = calloc(n, 1);
    ei_rec *r = malloc(n * sizeof *r);
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = nps_spectra_get(ei, i, NPS_KEY_SPECTRUM_TYPE);
        const double *mz;
        const float *in;
        size_t k;
        nps_spectra_peaks(ei, i, &mz, &in, &k);
        if (msms) {
            const char *mode = nps_spectra_get(ei, i, NPS_KEY_ION_MODE);
            eligible[i] = t && strcmp(t, "MS2") == 0 && k > 0 &&
                          !isnan(nps_spectra_precursor_mz(ei, i)) && mode &&
                          (strcmp(mode, "P") == 0 || strcasecmp(mode, "POSITIVE") == 0);
        } else {
            eligible[i] = t && strcmp(t, "MS") == 0 && k > 0;
        }
        if (!eligible[i]) continue;
        block_of(r[nr].block, 32, ei, i);
        contributor_of(r[nr].contrib, 64, ei, i);
        if (!r[nr].block[0]) continue;
        r[nr].idx = i;
        r[nr].npeaks = k;
        nr++;
    }
    qsort(r, nr, sizeof *r, cmp_ei);
    query_t *qs = malloc((nr ? nr : 1) * sizeof *qs);
    size_t nq = 0, compounds = 0;
    for (size_t a = 0; a < nr;) {
        size_t b = a, ncontrib = 0;
        while (b < nr && strcmp(r[b].block, r[a].block) == 0) {
            if (b == a || strcmp(r[b].contrib, r[b - 1].contrib) != 0) ncontrib++;
            b++;
        }
        if (ncontrib >= 2) {
            compounds++;
            for (size_t k = a; k < b; k++)
                if (k == a || strcmp(r[k].contrib, r[k - 1].contrib) != 0) {
                    qs[nq].q = r[k].idx;
                    snprintf(qs[nq].contrib, 64, "%s", r[k].contrib);
                    snprintf(qs[nq].block, 32, "%s", r[k].block);
                    nq++;
                }
        }
        a = b;
    }
    free(r);
    *ei_out = ei;
    *eligible_out = eligible;
    *nq_out = nq;
    *compounds_out = compounds;
    return qs;
}

static query_t *ei_crosslab_queries(nps_spectra **ei_out, unsigned char **eligible_out,
                                    size_t *nq_out, size_t *compounds_out)
{
    return crosslab_records("massbank/massbank_ei_all.msp", 0, ei_out, eligible_out, nq_out,
                            compounds_out);
}

static int bench_ei_accuracy(void)
{
    nps_spectra *ei;
    unsigned char *eligible;
    size_t nq, compounds;
    query_t *qs = ei_crosslab_queries(&ei, &eligible, &nq, &compounds);
    size_t n = nps_spectra_count(ei);
    machine();
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) ne += eligible[i];
    printf("cross-laboratory EI: %zu compounds measured by >= 2 contributors, %zu queries; "
           "library: %zu EI spectra minus the query contributor's; open search, 0.5 Da\n",
           compounds, nq, ne);
    static const variant vars[] = {
        {"composite (NIST MF)", NPS_SCORE_COMPOSITE, 0, 1, 0, 0},
        {"composite --reverse", NPS_SCORE_COMPOSITE, 0, 1, 1, 0},
        {"cosine mz^0 I^0.5", NPS_SCORE_COSINE, 0, 0.5, 0, 0},
        {"cosine mz^3 I^0.6 (NIST-like)", NPS_SCORE_COSINE, 3, 0.6, 0, 0},
        {"entropy", NPS_SCORE_ENTROPY, 0, 1, 0, 0},
        {"entropy-unweighted", NPS_SCORE_ENTROPY_UNWEIGHTED, 0, 1, 0, 0},
    };
    static const nps_search_mode modes[] = {NPS_MODE_OPEN};
    evaluate(ei, eligible, qs, nq, vars, sizeof vars / sizeof *vars, modes, 1, 0.5);
    free(qs);
    free(eligible);
    nps_spectra_free(ei);
    return 0;
}

/* The cross-laboratory set of a kind (1 EI, 0 the forensic MS/MS subset,
 * 2 the 78k MS/MS records): its queries sorted by contributor, and every
 * record's contributor and compound block. */
static query_t *crosslab_set(int ei, nps_spectra **all, unsigned char **eligible, size_t *nq,
                             char (**contrib)[64], char (**blocks)[32])
{
    size_t groups;
    query_t *qs = ei == 1   ? ei_crosslab_queries(all, eligible, nq, &groups)
                  : ei == 2 ? crosslab_records("massbank/massbank_msms_open_licenses.msp", 1, all,
                                               eligible, nq, &groups)
                            : crosslab_queries(all, eligible, nq, &groups);
    lab_keys(contrib, blocks, *all, qs, *nq);
    return qs;
}

/* ------------------------------------------------------------- mixtures */

/* Add to out the two-component mixture of spectra x and y of all: each
 * scaled to unit total intensity, y carrying share wy of the ion current,
 * peaks at one m/z summed; the precursor (MS/MS) is x's. */
static void add_mixture(nps_spectra *out, const nps_spectra *all, size_t x, size_t y, double wy,
                        const char *id)
{
    const double *mx, *my;
    const float *ix, *iy;
    size_t nx, ny;
    nps_spectra_peaks(all, x, &mx, &ix, &nx);
    nps_spectra_peaks(all, y, &my, &iy, &ny);
    double tx = 0, ty = 0;
    for (size_t i = 0; i < nx; i++) tx += ix[i];
    for (size_t i = 0; i < ny; i++) ty += iy[i];
    double *mz = malloc((nx + ny + 1) * sizeof *mz);
    float *in = malloc((nx + ny + 1) * sizeof *in);
    size_t n = 0, i = 0, j = 0;
    while (i < nx || j < ny) {
        double a = i < nx ? mx[i] : INFINITY, b = j < ny ? my[j] : INFINITY;
        double v = 0, m = a < b ? a : b;
        if (a == m) v += (1 - wy) * ix[i++] / tx;
        if (b == m) v += wy * iy[j++] / ty;
        mz[n] = m;
        in[n++] = (float)(1000.0 * v);
    }
    int ei = nps_spectra_kind(all, x) == NPS_KIND_EI;
    char prec[32];
    snprintf(prec, sizeof prec, "%.6f", nps_spectra_precursor_mz(all, x));
    const char *k[] = {"Name", "DB#", ei ? "Ionization" : "Spectrum_type", "PrecursorMZ"};
    const char *v[] = {id, id, ei ? "EI" : "MS2", prec};
    if (nps_spectra_add(out, mz, in, n, k, v, ei ? 3 : 4)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    free(mz);
    free(in);
}

typedef struct {
    size_t pure, pure_mixture, pure_identified, identifiable, residual;
    double secs_on, secs_off;
    size_t mix[3], both[3], one[3], third[3], wrong[3];
} mix_tally;

/* The blocks a call names, as indices into blocks (n of them). */
static size_t call_blocks(size_t *out, const nps_call *c, const size_t *map)
{
    for (size_t i = 0; i < c->n_components; i++) out[i] = map[c->components[i].reference];
    return c->n_components;
}

static int mix_mode = NPS_MIXTURES_ON;

/* One contributor's turn: its queries, pure and mixed, against the others'. */
static void mixture_turn(mix_tally *t, const nps_spectra *all, const unsigned char *eligible,
                         char (*contrib)[64], char (*blocks)[32], const query_t *qs, size_t a,
                         size_t b, double tolerance)
{
    nps_spectra *libsp, *qsp;
    size_t *map = crosslab_split(&libsp, &qsp, all, eligible, contrib, qs, a, b);
    nps_library *lib;
    nps_library_create(&lib, libsp, NULL);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.tolerance = tolerance;
    o.threads = 1;
    nps_call_options co = NPS_CALL_OPTIONS_INIT;
    /* the cost: the batch alone (plans made first), mixtures on and off */
    nps_hits *h, *hoff;
    nps_plan *pon, *poff;
    o.mixtures = 0;
    if (nps_plan_create(&poff, lib, &o)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    o.mixtures = mix_mode;
    if (nps_plan_create(&pon, lib, &o)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    double t0 = now();
    if (nps_search_batch(&hoff, poff, qsp)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    t->secs_off += now() - t0;
    t0 = now();
    if (nps_search_batch(&h, pon, qsp)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    t->secs_on += now() - t0;
    nps_hits_free(hoff);
    nps_plan_free(poff);
    /* pure queries: mixture calls, and which are identified rightly (the
     * components of the generated mixtures) */
    size_t *ok = malloc((b - a + 1) * sizeof *ok), nok = 0;
    for (size_t k = a; k < b; k++) {
        nps_call c;
        nps_hits_call(&c, h, k - a, libsp, &co);
        const nps_mixture *mx = nps_hits_mixture(h, k - a);
        t->pure++;
        t->residual += mx && mx->residual_searched;
        if (c.status == NPS_CALL_MIXTURE) t->pure_mixture++;
        if (c.status == NPS_CALL_IDENTIFIED &&
            strcmp(blocks[map[c.components[0].reference]], qs[k].block) == 0) {
            t->pure_identified++;
            ok[nok++] = k;
        }
    }
    t->identifiable += nok;
    nps_hits_free(h);
    /* mixtures of two rightly identified queries of different compounds:
     * each with the one 7 places on (a fixed pairing), at 1:1, 2:1, 4:1 */
    static const double wy[3] = {0.5, 1.0 / 3.0, 0.2};
    nps_spectra *mq;
    nps_spectra_create(&mq);
    size_t np = 0, (*pairs)[2] = malloc((nok * 3 + 1) * sizeof *pairs);
    for (size_t i = 0; i < nok; i++) {
        size_t x = ok[i], y = ok[(i + 7) % nok];
        if (nok < 2 || strcmp(qs[x].block, qs[y].block) == 0) continue;
        for (int r = 0; r < 3; r++) {
            char id[64];
            snprintf(id, sizeof id, "MIX%zu_%d", np, r);
            add_mixture(mq, all, qs[x].q, qs[y].q, wy[r], id);
            pairs[np][0] = x;
            pairs[np][1] = y;
            np++;
        }
    }
    if (np) {
        if (nps_search_batch(&h, pon, mq)) {
            fprintf(stderr, "%s\n", nps_error_last());
            exit(1);
        }
        for (size_t i = 0; i < np; i++) {
            int r = (int)(i % 3);
            nps_call c;
            nps_hits_call(&c, h, i, libsp, &co);
            size_t named[NPS_MIXTURE_MAX], nn = call_blocks(named, &c, map);
            const char *bx = qs[pairs[i][0]].block, *by = qs[pairs[i][1]].block;
            int hx = 0, hy = 0, other = 0;
            for (size_t j = 0; j < nn; j++) {
                if (strcmp(blocks[named[j]], bx) == 0)
                    hx = 1;
                else if (strcmp(blocks[named[j]], by) == 0)
                    hy = 1;
                else
                    other = 1;
            }
            t->mix[r]++;
            if (c.status == NPS_CALL_MIXTURE && hx && hy && !other)
                t->both[r]++;
            else if (other)
                t->wrong[r]++;
            else if (hx || hy)
                t->one[r]++;
            if (c.status == NPS_CALL_MIXTURE && hx && hy && other) t->third[r]++;
        }
        nps_hits_free(h);
    }
    free(pairs);
    free(ok);
    nps_plan_free(pon);
    nps_spectra_free(mq);
    nps_library_free(lib);
    free(map);
    nps_spectra_free(libsp);
    nps_spectra_free(qsp);
}

static void mixture_report(const char *what, const mix_tally *t)
{
    double lo, hi;
    wilson(&lo, &hi, t->pure_mixture, t->pure);
    printf("%s: %zu pure queries: called mixture %zu (%.1f %%, %.1f-%.1f %%); identified rightly "
           "%zu; residual searched %.1f %%\n",
           what, t->pure, t->pure_mixture, 100.0 * (double)t->pure_mixture / (double)t->pure,
           100 * lo, 100 * hi, t->pure_identified, 100.0 * (double)t->residual / (double)t->pure);
    printf("%s: the default search (the batch, plan made) with mixtures %.3f ms a query, "
           "without %.3f (+%.1f %%; 1 thread)\n",
           what, 1e3 * t->secs_on / (double)t->pure, 1e3 * t->secs_off / (double)t->pure,
           100.0 * (t->secs_on / t->secs_off - 1));
    static const char *const ratio[3] = {"1:1", "2:1", "4:1"};
    printf("%-6s %-5s %8s %16s %8s %8s %8s\n", "", "ratio", "n", "both named (CI)", "one", "wrong",
           "+third");
    for (int r = 0; r < 3; r++) {
        wilson(&lo, &hi, t->both[r], t->mix[r]);
        printf("%-6s %-5s %8zu %7.1f %% %3.0f-%3.0f %7zu %8zu %8zu\n", what, ratio[r], t->mix[r],
               t->mix[r] ? 100.0 * (double)t->both[r] / (double)t->mix[r] : 0, 100 * lo, 100 * hi,
               t->one[r], t->wrong[r], t->third[r]);
    }
}

/* Mixture analysis on the cross-laboratory sets (EI and MS/MS): every query
 * against the other contributors' spectra, the default search (mixtures on,
 * then off for the cost); then two-component mixtures generated from pairs
 * of queries that the search identifies rightly alone (their compounds are
 * in the library through other laboratories' spectra), at 1:1, 2:1 and 4:1.
 * "both named": a mixture call naming the two compounds and no other. */
static int bench_mixtures(int deep)
{
    machine();
    mix_mode = deep ? NPS_MIXTURES_DEEP : NPS_MIXTURES_ON;
    printf("mixtures %s\n", deep ? "deep (MS/MS residuals searched too)" : "on (the default)");
    for (int ei = 1; ei >= 0; ei--) {
        nps_spectra *all;
        unsigned char *eligible;
        size_t nq;
        char(*contrib)[64], (*blocks)[32];
        query_t *qs = crosslab_set(ei, &all, &eligible, &nq, &contrib, &blocks);
        mix_tally t = {0};
        for (size_t a = 0; a < nq;) {
            size_t b = a;
            while (b < nq && strcmp(qs[b].contrib, qs[a].contrib) == 0) b++;
            mixture_turn(&t, all, eligible, contrib, blocks, qs, a, b, ei ? 0.5 : 0.02);
            a = b;
        }
        mixture_report(ei ? "EI" : "MS/MS", &t);
        free(contrib);
        free(blocks);
        free(qs);
        free(eligible);
        nps_spectra_free(all);
    }
    return 0;
}

/* ------------------------------------------------------------ ambiguity */

#define AMB_MARGINS 8
static const double amb_margin[AMB_MARGINS] = {0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15};
#define AMB_GATES 7
static const double amb_gate[AMB_GATES] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6};

typedef struct {
    /* present: right, wrong, ambiguous with the right one, without, mixture, other */
    size_t p[AMB_MARGINS][6];
    /* absent: identified, ambiguous, mixture, other */
    size_t a[AMB_MARGINS][4];
    size_t np, na;
    /* at the default margin, identifications kept only at probability >=
     * amb_gate[g]: present right, present wrong, absent identified */
    size_t g_right[AMB_GATES], g_wrong[AMB_GATES], g_absent[AMB_GATES];
} amb_tally;

typedef struct {
    const size_t *map;
    char (*blocks)[32];
    const query_t *qs;
    size_t a;
} lco_ctx;

/* leave the query's compound out */
static int lco_exclude(void *vctx, size_t query, size_t reference)
{
    const lco_ctx *c = vctx;
    return strcmp(c->blocks[c->map[reference]], c->qs[c->a + query].block) == 0;
}

/* One search of a leave-compound-out run: the hits of queries qs[a, b)
 * against the library libsp (map: library index -> the set's record),
 * with their compound present (lco 0) or left out (lco 1). */
typedef void (*lco_fn)(void *ctx, const nps_hits *h, const nps_spectra *libsp, const size_t *map,
                       char (*blocks)[32], const query_t *qs, size_t a, size_t b, int lco);

/* The cross-laboratory queries of a kind, each laboratory's in turn
 * against the other laboratories' spectra (default search, with the
 * tolerance of the kind), once with the compound present and once left
 * out; fn sees every search. Returns the number of queries. */
static size_t lco_searches(int ei, int mixtures, lco_fn fn, void *fctx)
{
    nps_spectra *all;
    unsigned char *eligible;
    size_t nq;
    char(*contrib)[64], (*blocks)[32];
    query_t *qs = crosslab_set(ei, &all, &eligible, &nq, &contrib, &blocks);
    for (size_t a = 0; a < nq;) {
        size_t b = a;
        while (b < nq && strcmp(qs[b].contrib, qs[a].contrib) == 0) b++;
        nps_spectra *libsp, *qsp;
        size_t *map = crosslab_split(&libsp, &qsp, all, eligible, contrib, qs, a, b);
        nps_library *lib;
        nps_library_create(&lib, libsp, NULL);
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.tolerance = ei == 1 ? 0.5 : 0.02;
        o.mixtures = mixtures;
        lco_ctx ctx = {map, blocks, qs, a};
        for (int lco = 0; lco < 2; lco++) {
            o.exclude = lco ? lco_exclude : NULL;
            o.exclude_ctx = lco ? &ctx : NULL;
            nps_hits *h;
            if (nps_search_run(&h, lib, qsp, &o)) {
                fprintf(stderr, "%s\n", nps_error_last());
                exit(1);
            }
            fn(fctx, h, libsp, map, blocks, qs, a, b, lco);
            nps_hits_free(h);
        }
        nps_library_free(lib);
        free(map);
        nps_spectra_free(libsp);
        nps_spectra_free(qsp);
        a = b;
    }
    free(contrib);
    free(blocks);
    free(qs);
    free(eligible);
    nps_spectra_free(all);
    return nq;
}

static void ambiguity_tally(void *ctx, const nps_hits *h, const nps_spectra *libsp,
                            const size_t *map, char (*blocks)[32], const query_t *qs, size_t a,
                            size_t b, int lco)
{
    amb_tally *t = ctx;
    for (size_t k = a; k < b; k++) {
        if (lco)
            t->na++;
        else
            t->np++;
        for (int m = 0; m < AMB_MARGINS; m++) {
            nps_call_options co = NPS_CALL_OPTIONS_INIT;
            co.ambiguity_margin = amb_margin[m];
            nps_call c;
            nps_hits_call(&c, h, k - a, libsp, &co);
            int right = 0;
            if (c.status == NPS_CALL_IDENTIFIED)
                right = strcmp(blocks[map[c.components[0].reference]], qs[k].block) == 0;
            else if (c.status == NPS_CALL_AMBIGUOUS)
                for (size_t i = 0; i < c.n_candidates; i++)
                    right |= strcmp(blocks[map[c.candidates[i].reference]], qs[k].block) == 0;
            if (amb_margin[m] == 0.05 && c.status == NPS_CALL_IDENTIFIED)
                for (int g = 0; g < AMB_GATES; g++) {
                    if (!(c.components[0].probability >= amb_gate[g])) continue;
                    if (lco)
                        t->g_absent[g]++;
                    else if (right)
                        t->g_right[g]++;
                    else
                        t->g_wrong[g]++;
                }
            if (lco) {
                int cell = c.status == NPS_CALL_IDENTIFIED  ? 0
                           : c.status == NPS_CALL_AMBIGUOUS ? 1
                           : c.status == NPS_CALL_MIXTURE   ? 2
                                                            : 3;
                t->a[m][cell]++;
            } else {
                int cell = c.status == NPS_CALL_IDENTIFIED  ? (right ? 0 : 1)
                           : c.status == NPS_CALL_AMBIGUOUS ? (right ? 2 : 3)
                           : c.status == NPS_CALL_MIXTURE   ? 4
                                                            : 5;
                t->p[m][cell]++;
            }
        }
    }
}

/* The ambiguity margin, measured: the cross-laboratory queries against the
 * other contributors' spectra with their compound present, and with it left
 * out; per margin, the calls. A useful answer for a present compound is its
 * identification or an ambiguous call naming it; for an absent one, any
 * identification (or mixture) names a wrong compound. */
static int bench_ambiguity(void)
{
    machine();
    for (int ei = 1; ei >= 0; ei--) {
        amb_tally t;
        memset(&t, 0, sizeof t);
        lco_searches(ei, NPS_MIXTURES_ON, ambiguity_tally, &t);
        const char *k = ei ? "EI" : "MS/MS";
        printf("%s: %zu queries, compound present (other contributors) and left out; default "
               "search and call\n",
               k, t.np);
        printf("%-6s %-7s | %-9s %-7s %-9s %-9s %-7s %-6s %-7s | %-9s %-9s %-7s\n", "", "margin",
               "id right", "id wrong", "amb+right", "amb-right", "mixture", "other", "useful",
               "absent id", "absent amb", "mixture");
        for (int m = 0; m < AMB_MARGINS; m++) {
            const size_t *p = t.p[m], *q = t.a[m];
            double P = (double)t.np, A = (double)t.na;
            printf(
                "%-6s %-7.3f | %8.1f%% %7.1f%% %8.1f%% %8.1f%% %6.1f%% %5.1f%% %6.1f%% | %8.1f%% "
                "%8.1f%% %6.1f%%\n",
                k, amb_margin[m], 100 * p[0] / P, 100 * p[1] / P, 100 * p[2] / P, 100 * p[3] / P,
                100 * p[4] / P, 100 * p[5] / P, 100 * (p[0] + p[2]) / P, 100 * q[0] / A,
                100 * q[1] / A, 100 * q[2] / A);
        }
        /* would a probability floor on identifications help? (margin 0.05) */
        const int m5 = 4;
        printf("%s, margin 0.05, identified only at probability >= gate:\n", k);
        printf("  %-5s | %-9s %-8s %-7s | %-9s %-15s\n", "gate", "id right", "id wrong", "useful",
               "absent id", "absent id+mix");
        for (int g = 0; g < AMB_GATES; g++) {
            double P = (double)t.np, A = (double)t.na;
            printf("  %-5.2f | %8.1f%% %7.1f%% %6.1f%% | %8.1f%% %14.1f%%\n", amb_gate[g],
                   100 * t.g_right[g] / P, 100 * t.g_wrong[g] / P,
                   100 * (t.g_right[g] + t.p[m5][2]) / P, 100 * t.g_absent[g] / A,
                   100 * (t.g_absent[g] + t.a[m5][2]) / A);
        }
    }
    return 0;
}

/* ---------------------------------------------------------- probability */

static double roc_auc(const double *values, const unsigned char *pos, size_t n);

/* The observations of one search for the probability model: per query, the
 * distinct compounds of its hit list (InChIKey first block, else the name,
 * the rule of nps_compound_key) with their best plain score and its matched
 * peaks, and whether each is the query's compound. */
typedef struct {
    nps_probability_obs *o;
    unsigned char *fold; /* per observation: its query compound's half */
    unsigned char *absent;
    double *builtin; /* the search's own probability (the built-in model) */
    size_t n, cap, nq;
} prob_set;

static unsigned fold_of(const char *block)
{
    return (unsigned)(crc32(0, (const unsigned char *)block, (unsigned)strlen(block)) & 1u);
}

static void compound_of(char *out, size_t n, const nps_spectra *s, size_t i)
{
    block_of(out, n, s, i);
    if (out[0]) return;
    const char *nm = nps_spectra_name(s, i);
    size_t k = 0;
    for (; nm && nm[k] && k + 1 < n; k++) out[k] = (char)tolower((unsigned char)nm[k]);
    out[k] = '\0';
}

static void prob_collect(void *ctx, const nps_hits *h, const nps_spectra *libsp, const size_t *map,
                         char (*blocks)[32], const query_t *qs, size_t a, size_t b, int absent)
{
    prob_set *ps = ctx;
    for (size_t k = a; k < b; k++) {
        size_t first, n;
        nps_hits_for_query(h, k - a, &first, &n);
        char seen[64][64];
        size_t ns = 0;
        for (size_t i = 0; i < n && ns < 64; i++) {
            const nps_hit *x = nps_hits_at(h, first + i);
            char key[64];
            compound_of(key, sizeof key, libsp, x->reference);
            size_t j = 0;
            while (j < ns && (!key[0] || strcmp(seen[j], key) != 0)) j++;
            if (j < ns) continue; /* a lower hit of a compound listed already */
            snprintf(seen[ns++], 64, "%s", key);
            if (ps->n == ps->cap) {
                ps->cap = ps->cap ? 2 * ps->cap : 4096;
                ps->o = realloc(ps->o, ps->cap * sizeof *ps->o);
                ps->fold = realloc(ps->fold, ps->cap);
                ps->absent = realloc(ps->absent, ps->cap);
                ps->builtin = realloc(ps->builtin, ps->cap * sizeof *ps->builtin);
                if (!ps->o || !ps->fold || !ps->absent || !ps->builtin) {
                    fprintf(stderr, "npsbench: out of memory\n");
                    exit(1);
                }
            }
            ps->o[ps->n] =
                (nps_probability_obs){ps->nq, nps_hit_plain_score(x), x->matched,
                                      strcmp(blocks[map[x->reference]], qs[k].block) == 0};
            ps->fold[ps->n] = (unsigned char)fold_of(qs[k].block);
            ps->absent[ps->n] = (unsigned char)absent;
            ps->builtin[ps->n] = x->probability;
            ps->n++;
        }
        ps->nq++;
    }
}

/* The observations of one half (fold f), or of both (f < 0). */
static nps_probability_obs *prob_subset(const prob_set *ps, int f, size_t *n_out)
{
    nps_probability_obs *o = malloc((ps->n ? ps->n : 1) * sizeof *o);
    size_t n = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (f < 0 || ps->fold[i] == (unsigned char)f) o[n++] = ps->o[i];
    *n_out = n;
    return o;
}

#define PROB_BINS 10

typedef struct {
    size_t n[PROB_BINS], right[PROB_BINS];
    double sum[PROB_BINS];
} calib;

static void calib_add(calib *c, double p, int right)
{
    int b = (int)(p * PROB_BINS);
    if (b >= PROB_BINS) b = PROB_BINS - 1;
    if (b < 0) b = 0;
    c->n[b]++;
    c->right[b] += right != 0;
    c->sum[b] += p;
}

static void calib_print(const char *what, const calib *c)
{
    printf("%s\n  %-9s %7s %9s %9s %15s\n", what, "bin", "n", "mean p", "observed", "95% interval");
    for (int b = 0; b < PROB_BINS; b++) {
        if (!c->n[b]) continue;
        double lo, hi;
        wilson(&lo, &hi, c->right[b], c->n[b]);
        printf("  %.1f-%.1f   %7zu %9.3f %9.3f   [%.3f, %.3f]\n", b / 10.0, (b + 1) / 10.0, c->n[b],
               c->sum[b] / (double)c->n[b], (double)c->right[b] / (double)c->n[b], lo, hi);
    }
}

/*
 * The probability model, fitted and calibrated: the cross-laboratory
 * queries of both kinds, each searched (CLI defaults) against the other
 * laboratories' spectra with its compound present and with it left out.
 * Two compound-disjoint halves: each half's model is fitted on the other
 * half, so the calibration tables are out of sample; then the model on all
 * of it, the built-in one (stats/probability.c). Per half-probability bin,
 * the observed share of right compounds, for every listed compound and for
 * the top compound only; ROC AUC of the top compound's probability and of
 * its plain score for right against wrong.
 */
static int bench_probability(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    machine();
    /* EI, the forensic MS/MS subset, and all 78k MS/MS records */
    static const int sets[] = {1, 0, 2};
    for (size_t si = 0; si < 3; si++) {
        int ei = sets[si];
        prob_set ps;
        memset(&ps, 0, sizeof ps);
        /* the hits do not depend on the mixture analysis: off */
        size_t nq = lco_searches(ei, NPS_MIXTURES_OFF, prob_collect, &ps);
        const char *kname = ei == 1   ? "EI (composite MF)"
                            : ei == 2 ? "MS/MS, all 78k MassBank records (entropy, identity)"
                                      : "MS/MS, forensic subset (entropy, identity)";
        printf("\n%s: %zu queries x (present, left out) = %zu searches, %zu listed compounds\n",
               kname, nq, ps.nq, ps.n);
        /* both forms of the model, each fitted per half on the other half;
         * the one with the better out-of-sample likelihood is kept */
        nps_probability_model half[2], vh[2][2];
        double vnll[2] = {0, 0};
        static const unsigned vflags[2] = {0, NPS_PROBABILITY_SCORE_ONLY};
        for (int v = 0; v < 2; v++) {
            for (int f = 0; f < 2; f++) {
                size_t n;
                nps_probability_obs *o = prob_subset(&ps, 1 - f, &n);
                if (nps_probability_fit(&vh[v][f], o, n, vflags[v])) {
                    fprintf(stderr, "%s\n", nps_error_last());
                    exit(1);
                }
                free(o);
            }
            /* out-of-sample negative log-likelihood per search */
            for (size_t i = 0; i < ps.n;) {
                size_t j = i, right = SIZE_MAX;
                while (j < ps.n && ps.o[j].query == ps.o[i].query) {
                    if (ps.o[j].right) right = j;
                    j++;
                }
                const nps_probability_model *hm = &vh[v][ps.fold[i]];
                double pr = 1;
                if (right != SIZE_MAX) {
                    pr = nps_probability_of(hm, ps.o + i, j - i, right - i);
                } else {
                    for (size_t k = i; k < j; k++)
                        pr -= nps_probability_of(hm, ps.o + i, j - i, k - i);
                }
                vnll[v] -= log(fmax(pr, 1e-300));
                i = j;
            }
            vnll[v] /= (double)ps.nq;
            printf("  %s: out-of-sample -log L per search %.4f; halves: (%.3f, %.3f, %.3f), "
                   "(%.3f, %.3f, %.3f)\n",
                   v ? "score only" : "score + matched peaks", vnll[v], vh[v][0].none,
                   vh[v][0].score, vh[v][0].matched, vh[v][1].none, vh[v][1].score,
                   vh[v][1].matched);
        }
        int best = vnll[1] < vnll[0];
        half[0] = vh[best][0];
        half[1] = vh[best][1];
        size_t nall;
        nps_probability_obs *oall = prob_subset(&ps, -1, &nall);
        nps_probability_model m;
        if (nps_probability_fit(&m, oall, nall, vflags[best])) {
            fprintf(stderr, "%s\n", nps_error_last());
            exit(1);
        }
        free(oall);
        printf("  kept: %s; all (built-in): {NPS_PROBABILITY_MODEL_VERSION, %.4f, %.4f, %.4f}\n",
               best ? "score only" : "score + matched peaks", m.none, m.score, m.matched);
        /* out-of-sample probabilities: each observation under the model of
         * its own half (fitted on the other) */
        calib every, top, top_present, top_absent, builtin;
        memset(&every, 0, sizeof every);
        memset(&top, 0, sizeof top);
        memset(&top_present, 0, sizeof top_present);
        memset(&top_absent, 0, sizeof top_absent);
        memset(&builtin, 0, sizeof builtin);
        double *tp = malloc(ps.nq * sizeof *tp), *ts = malloc(ps.nq * sizeof *ts);
        unsigned char *tr = malloc(ps.nq);
        size_t nt = 0, sum_right = 0;
        double sum_p = 0;
        for (size_t i = 0; i < ps.n;) {
            size_t j = i;
            while (j < ps.n && ps.o[j].query == ps.o[i].query) j++;
            const nps_probability_model *hm = &half[ps.fold[i]];
            for (size_t k = i; k < j; k++) {
                double p = nps_probability_of(hm, ps.o + i, j - i, k - i);
                calib_add(&every, p, ps.o[k].right);
                if (isfinite(ps.builtin[k])) calib_add(&builtin, ps.builtin[k], ps.o[k].right);
                if (k == i) {
                    calib_add(&top, p, ps.o[k].right);
                    calib_add(ps.absent[k] ? &top_absent : &top_present, p, ps.o[k].right);
                    tp[nt] = p;
                    ts[nt] = ps.o[k].score;
                    tr[nt] = (unsigned char)ps.o[k].right;
                    nt++;
                    sum_p += p;
                    sum_right += ps.o[k].right != 0;
                }
            }
            i = j;
        }
        calib_print("  every listed compound, out of sample:", &every);
        calib_print("  the top compound, out of sample:", &top);
        calib_print("  the top compound, compound present:", &top_present);
        calib_print("  the top compound, compound left out:", &top_absent);
        calib_print("  every listed compound, the search's own (built-in model, in sample):",
                    &builtin);
        printf("  top compound: mean probability %.3f, observed right %.3f; ROC AUC right vs "
               "wrong: probability %.3f, plain score %.3f\n",
               sum_p / (double)nt, (double)sum_right / (double)nt, roc_auc(tp, tr, nt),
               roc_auc(ts, tr, nt));
        free(tp);
        free(ts);
        free(tr);
        free(ps.o);
        free(ps.fold);
        free(ps.absent);
        free(ps.builtin);
    }
    return 0;
}

/* ------------------------------------------------- index workloads (issue 3) */

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

typedef struct {
    double median, p99, throughput; /* ms per query; queries per second */
    double mean;                    /* ms per query: what a batch costs */
} qstats;

static qstats time_batch(nps_plan *sr, const nps_spectra *q, double *secs, int runs)
{
    size_t nq = nps_spectra_count(q);
    double *all = malloc((size_t)runs * nq * sizeof *all), best_wall = 1e300;
    for (int r = 0; r < runs; r++) {
        nps_hits *h;
        double t0 = now();
        if (nps_search_batch(&h, sr, q)) {
            fprintf(stderr, "%s\n", nps_error_last());
            exit(1);
        }
        double wall = now() - t0;
        if (wall < best_wall) best_wall = wall;
        nps_hits_free(h);
        for (size_t i = 0; i < nq; i++) all[(size_t)r * nq + i] = secs[i] * 1e3;
    }
    size_t n = (size_t)runs * nq;
    gsl_sort(all, 1, n);
    qstats st = {gsl_stats_median_from_sorted_data(all, 1, n),
                 gsl_stats_quantile_from_sorted_data(all, 1, n, 0.99), (double)nq / best_wall,
                 gsl_stats_mean(all, 1, n)};
    free(all);
    return st;
}

/* One thread's scratch memory after every query of q (nps_workspace_bytes:
 * it grows to the largest query and then stays), in MB. */
static double scratch_mb(const nps_plan *sr, const nps_spectra *q)
{
    nps_workspace *ws;
    if (nps_workspace_create(&ws, sr)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    nps_hit *hits = malloc(nps_plan_options(sr)->top_k * sizeof *hits);
    for (size_t i = 0; i < nps_spectra_count(q); i++) {
        nps_query_info info;
        if (nps_search_query(hits, &info, ws, sr, q, i)) {
            fprintf(stderr, "%s\n", nps_error_last());
            exit(1);
        }
    }
    double mb = (double)nps_workspace_bytes(ws) / 1e6;
    free(hits);
    nps_workspace_free(ws);
    return mb;
}

/* Perturbed EI queries (W3): intensities x lognormal(0, 0.2), 15 % of the peaks
 * dropped, 0-5 noise peaks at integer m/z. */
static nps_spectra *ei_queries(const nps_spectra *lib, size_t n, unsigned long seed, size_t *truth)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    nps_spectra *q;
    nps_spectra_create(&q);
    double *mz = malloc(4096 * sizeof *mz);
    float *in = malloc(4096 * sizeof *in);
    char id[32];
    const char *k[] = {"Name", "DB#", "Ionization"};
    while (nps_spectra_count(q) < n) {
        size_t t = gsl_rng_uniform_int(r, nps_spectra_count(lib)), ln, m = 0;
        const double *lm;
        const float *li;
        nps_spectra_peaks(lib, t, &lm, &li, &ln);
        if (ln < 5 || ln > 4000 || nps_spectra_kind(lib, t) != NPS_KIND_EI) continue;
        double maxmz = lm[ln - 1];
        for (size_t j = 0; j < ln; j++) {
            double f = gsl_ran_lognormal(r, 0, 0.2);
            if (gsl_rng_uniform(r) < 0.15) continue;
            mz[m] = lm[j];
            in[m++] = (float)(li[j] * f);
        }
        size_t noise = gsl_rng_uniform_int(r, 6);
        for (size_t j = 0; j < noise; j++) {
            mz[m] = floor(30 + (maxmz - 30) * gsl_rng_uniform(r));
            in[m++] = (float)(1 + 20 * gsl_rng_uniform(r));
        }
        snprintf(id, sizeof id, "EIQ%05zu", nps_spectra_count(q));
        const char *v[] = {id, id, "EI"};
        if (truth) truth[nps_spectra_count(q)] = t;
        nps_spectra_add(q, mz, in, m, k, v, 3);
    }
    free(mz);
    free(in);
    gsl_rng_free(r);
    return q;
}

/*
 * One workload, in two processes: a builder (make or read the library spectra
 * and the queries; preprocess; write the HDF5 library and the queries), then
 * the searcher (this process: open the library, search), whose peak RSS is
 * the memory figure of a search. The true match of query i, when known, is
 * written as its "Truth" field.
 */
typedef void (*make_fn)(nps_spectra **lib, nps_spectra **q);

static void workload(const char *name, make_fn make, const nps_score_type *scores, size_t nscores,
                     int do_identity, int runs)
{
    char path[128], qpath[128];
    snprintf(path, sizeof path, "/tmp/npsbench_%s.h5", name);
    snprintf(qpath, sizeof qpath, "/tmp/npsbench_%s_queries.msp", name);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        nps_spectra *libsp, *q;
        double t0 = now();
        make(&libsp, &q);
        double t1 = now();
        printf("\n== %s: library %zu spectra (%zu peaks), %zu queries (made in %.1f s)\n", name,
               nps_spectra_count(libsp), nps_spectra_total_peaks(libsp), nps_spectra_count(q),
               t1 - t0);
        nps_library *lib;
        if (nps_library_create(&lib, libsp, NULL)) exit(1);
        double t2 = now();
        if (nps_library_save(lib, path) || nps_io_write_path(qpath, q, NPS_FORMAT_MSP)) {
            fprintf(stderr, "%s\n", nps_error_last());
            exit(1);
        }
        double t3 = now();
        printf("build: preprocess %.2f s + write HDF5 %.2f s = %.2f s (builder peak RSS %.0f MB)\n",
               t2 - t1, t3 - t2, t3 - t1, peak_rss_mb());
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "npsbench: building %s failed\n", name);
        exit(1);
    }
    double t3 = now();
    nps_library *lib;
    if (nps_library_open_ex(&lib, path, NPS_LIBRARY_SEARCH_ONLY)) {
        fprintf(stderr, "%s\n", nps_error_last());
        exit(1);
    }
    double t4 = now();
    nps_spectra *q = load(qpath);
    /* NPSBENCH_KEEP=1 keeps the library and queries, to measure the command
     * line on them (e.g. its peak RSS at 10^6 spectra) */
    const char *keep = getenv("NPSBENCH_KEEP");
    if (!keep || strcmp(keep, "1") != 0) {
        remove(path);
        remove(qpath);
    }
    size_t nq = nps_spectra_count(q);
    size_t *truth = malloc(nq * sizeof *truth);
    int have_truth = 1;
    for (size_t i = 0; i < nq; i++) {
        const char *t = nps_spectra_get(q, i, "Truth");
        size_t k;
        if (!t || nps_spectra_find(&k, nps_library_spectra(lib), t))
            have_truth = 0;
        else
            truth[i] = k;
    }
    printf("open (search only): %.3f s\n", t4 - t3);
    nps_spectra *first;
    nps_spectra_create(&first);
    nps_spectra_add_from(first, q, 0);
    double *secs = malloc(nq * sizeof *secs);
    static const char *mname[] = {"identity", "open"};
    /* the workload's summary: first score, 1 thread, and its 2-thread ratio */
    double sum_id = NAN, sum_open = NAN, sum_ratio = NAN, sum_exh = NAN;
    printf("setup s: searcher creation and a first one-query search (for the first open-mode\n"
           "row of a library: building the fragment index and the score's weights)\n");
    printf("%-20s %-8s %7s %10s %12s %12s %12s %10s\n", "score", "mode", "threads", "setup s",
           "median ms/q", "p99 ms/q", "queries/s", "top1 true");
    for (size_t si = 0; si < nscores; si++)
        for (int m = do_identity ? 0 : 1; m <= 1; m++) {
            double base_tp = 0;
            for (int th = 1; th <= 2; th++) {
                nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
                o.score = scores[si];
                o.mode = m ? NPS_MODE_OPEN : NPS_MODE_IDENTITY;
                o.threads = th;
                o.precursor_tolerance = 0.01;
                o.top_k = 10;
                o.query_seconds = secs;
                nps_plan *sr;
                double s0 = now();
                nps_plan_create(&sr, lib, &o);
                nps_hits *h;
                nps_search_batch(&h, sr, first); /* setup: index, weights, thread state */
                double setup = now() - s0;
                nps_hits_free(h);
                nps_search_batch(&h, sr, q);
                size_t right = 0;
                for (size_t i = 0; have_truth && i < nq; i++) {
                    size_t f, n;
                    nps_hits_for_query(h, i, &f, &n);
                    right += n > 0 && nps_hits_at(h, f)->reference == truth[i];
                }
                nps_hits_free(h);
                qstats stq = time_batch(sr, q, secs, runs);
                if (th == 1) base_tp = stq.throughput;
                if (si == 0 && th == 1 && m == 0) sum_id = stq.median;
                if (si == 0 && th == 1 && m == 1) sum_open = stq.median;
                if (si == 0 && th == 2 && m == 1) sum_ratio = stq.throughput / base_tp;
                char tt[32] = "-";
                if (have_truth) snprintf(tt, sizeof tt, "%zu/%zu", right, nq);
                printf("%-20s %-8s %7d %10.3f %12.4f %12.4f %12.0f %10s",
                       nps_score_name(scores[si]), mname[m], th, setup, stq.median, stq.p99,
                       stq.throughput, tt);
                if (th == 2) printf("  (x%.2f throughput)", stq.throughput / base_tp);
                if (th == 1) printf("  scratch %.1f MB/thread", scratch_mb(sr, q));
                printf("\n");
                nps_plan_free(sr);
            }
            if (m == 0) continue; /* identity has one path: the precursor window */
            /* the exhaustive reference on the first 100 queries, one thread */
            nps_spectra *sub;
            nps_spectra_create(&sub);
            for (size_t i = 0; i < nq && i < 100; i++) nps_spectra_add_from(sub, q, i);
            nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
            o.score = scores[si];
            o.mode = NPS_MODE_OPEN;
            o.threads = 1;
            o.query_seconds = secs;
            nps_plan *sr, *sx;
            nps_plan_create(&sr, lib, &o);
            o.exhaustive = 1;
            nps_plan_create(&sx, lib, &o);
            nps_hits *h;
            nps_search_batch(&h, sr, sub);
            nps_hits_free(h);
            nps_search_batch(&h, sx, sub);
            nps_hits_free(h);
            qstats a = time_batch(sr, sub, secs, 1), b = time_batch(sx, sub, secs, 1);
            printf("%-20s open     exhaustive %.3f ms/q, index %.4f ms/q: speed-up x%.0f\n",
                   nps_score_name(scores[si]), b.median, a.median, b.median / a.median);
            if (si == 0) sum_exh = b.median / a.median;
            nps_plan_free(sr);
            nps_plan_free(sx);
            nps_spectra_free(sub);
        }
    printf("search process peak RSS %.0f MB\n", peak_rss_mb());
    char idtxt[32] = "n/a";
    if (!isnan(sum_id)) snprintf(idtxt, sizeof idtxt, "%.4f ms/q", sum_id);
    printf("SUMMARY %s: open %.3f s; %s identity %s, open %.4f ms/q (1 thread, median); "
           "2 threads x%.2f; exhaustive/index x%.0f; peak RSS %.0f MB\n",
           name, t4 - t3, nps_score_name(scores[0]), idtxt, sum_open, sum_ratio, sum_exh,
           peak_rss_mb());
    nps_spectra_free(first);
    free(secs);
    free(truth);
    nps_library_free(lib);
    nps_spectra_free(q);
}

/* Copy queries into a collection with a "Truth" field naming the library id. */
static nps_spectra *with_truth(const nps_spectra *q, const size_t *truth, const nps_spectra *lib)
{
    nps_spectra *out;
    nps_spectra_create(&out);
    for (size_t i = 0; i < nps_spectra_count(q); i++) {
        size_t nm = nps_spectra_meta_count(q, i);
        const char *k[16], *v[16];
        for (size_t j = 0; j < nm && j < 15; j++) nps_spectra_meta_at(q, i, j, &k[j], &v[j]);
        size_t m = nm < 15 ? nm : 15;
        k[m] = "Truth";
        v[m] = nps_spectra_id(lib, truth[i]);
        const double *mz;
        const float *in;
        size_t n;
        nps_spectra_peaks(q, i, &mz, &in, &n);
        nps_spectra_add(out, mz, in, n, k, v, m + 1);
    }
    return out;
}

static size_t synth_n;

static void make_synth(nps_spectra **lib, nps_spectra **q)
{
    nps_spectra *l, *qq;
    nps_spectra_create(&l);
    nps_spectra_create(&qq);
    synth_library(l, synth_n, 20261128);
    size_t *truth = malloc(1000 * sizeof *truth);
    synth_queries(qq, truth, l, 1000, 20261129);
    *q = with_truth(qq, truth, l);
    nps_spectra_free(qq);
    free(truth);
    *lib = l;
}

static void w_synth(const char *name, size_t nlib, int runs)
{
    synth_n = nlib;
    static const nps_score_type sc[] = {NPS_SCORE_ENTROPY, NPS_SCORE_ENTROPY_UNWEIGHTED,
                                        NPS_SCORE_COSINE};
    workload(name, make_synth, sc, nlib >= 1000000 ? 1 : 3, 1, runs);
}

static void make_massbank(nps_spectra **lib, nps_spectra **q)
{
    *lib = load(data("massbank/massbank_msms_open_licenses.msp"));
    nps_spectra *fs = load(data("massbank/massbank_forensic_subset.msp"));
    nps_spectra_create(q);
    size_t elig = 0;
    for (size_t i = 0; i < nps_spectra_count(fs); i++) {
        const char *t = nps_spectra_get(fs, i, NPS_KEY_SPECTRUM_TYPE);
        elig += t && strcmp(t, "MS2") == 0 && !isnan(nps_spectra_precursor_mz(fs, i));
    }
    /* 1,000 eligible queries spread evenly over the 2,877 */
    for (size_t i = 0, e = 0; i < nps_spectra_count(fs); i++) {
        const char *t = nps_spectra_get(fs, i, NPS_KEY_SPECTRUM_TYPE);
        if (!t || strcmp(t, "MS2") != 0 || isnan(nps_spectra_precursor_mz(fs, i))) continue;
        if ((e * 1000) / elig != ((e + 1) * 1000) / elig) nps_spectra_add_from(*q, fs, i);
        e++;
    }
    nps_spectra_free(fs);
}

static void w_massbank(int runs)
{
    static const nps_score_type sc[] = {NPS_SCORE_ENTROPY, NPS_SCORE_ENTROPY_UNWEIGHTED,
                                        NPS_SCORE_COSINE};
    workload("W2-massbank-78k", make_massbank, sc, 3, 1, runs);
}

static void make_ei(nps_spectra **lib, nps_spectra **q)
{
    *lib = load(data("massbank/massbank_ei_all.msp"));
    size_t *truth = malloc(1000 * sizeof *truth);
    nps_spectra *qq = ei_queries(*lib, 1000, 20261130, truth);
    *q = with_truth(qq, truth, *lib);
    nps_spectra_free(qq);
    free(truth);
}

static void w_ei(int runs)
{
    static const nps_score_type sc[] = {NPS_SCORE_COMPOSITE, NPS_SCORE_ENTROPY};
    workload("W3-massbank-EI-13k", make_ei, sc, 2, 0, runs);
}

/* ----------------------------------------------------------------- scaling */

/* Median ms per query, open and identity entropy search, 1 thread, for one
 * synthetic library size (run in a child process; written to fd). */
static void scaling_point(size_t nlib, int fd)
{
    nps_spectra *l, *q;
    nps_spectra_create(&l);
    nps_spectra_create(&q);
    synth_library(l, nlib, 20261128);
    synth_queries(q, NULL, l, 1000, 20261129);
    nps_library *lib;
    if (nps_library_create(&lib, l, NULL)) _exit(1);
    nps_spectra_free(l);
    double *secs = malloc(1000 * sizeof *secs), r[2];
    for (int m = 0; m < 2; m++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.score = NPS_SCORE_ENTROPY;
        o.mode = m ? NPS_MODE_OPEN : NPS_MODE_IDENTITY;
        o.threads = 1;
        o.query_seconds = secs;
        nps_plan *sr;
        nps_plan_create(&sr, lib, &o);
        nps_hits *h;
        nps_search_batch(&h, sr, q);
        nps_hits_free(h);
        r[m] = time_batch(sr, q, secs, 3).median;
        nps_plan_free(sr);
    }
    char buf[128];
    int k = snprintf(buf, sizeof buf, "%zu %.6f %.6f\n", nlib, r[0], r[1]);
    if (write(fd, buf, (size_t)k) != k) _exit(1);
    _exit(0);
}

static void svg_plot(const char *path, const size_t *n, const double *id, const double *op, int np)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return;
    /* log-log axes: x 10^4..10^6 spectra, y 10^-3..10^1 ms */
    const double W = 640, H = 420, L = 80, R = 30, T = 40, B = 60;
    double x0 = 4, x1 = 6, y0 = -3, y1 = 1;
#define PX(v) (L + (log10(v) - x0) / (x1 - x0) * (W - L - R))
#define PY(v) (T + (y1 - log10(v)) / (y1 - y0) * (H - T - B))
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H);
    fprintf(fp, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(fp,
            "<text x=\"%g\" y=\"22\" font-size=\"15\">npsmatch: time per query against "
            "library size (synthetic, 1 thread)</text>\n",
            L);
    for (int e = 4; e <= 6; e++) {
        double x = PX(pow(10, e));
        fprintf(fp, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", x, T, x,
                H - B);
        fprintf(fp, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">10^%d</text>\n", x, H - B + 18,
                e);
    }
    for (int e = -3; e <= 1; e++) {
        double y = PY(pow(10, e));
        fprintf(fp, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", L, y,
                W - R, y);
        fprintf(fp, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%g</text>\n", L - 6, y + 4,
                pow(10, e));
    }
    fprintf(fp, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">library spectra</text>\n",
            (L + W - R) / 2, H - 18);
    fprintf(fp,
            "<text x=\"18\" y=\"%g\" transform=\"rotate(-90 18 %g)\" "
            "text-anchor=\"middle\">median ms per query</text>\n",
            (T + H - B) / 2, (T + H - B) / 2);
    const double *ys[2] = {op, id};
    const char *col[2] = {"#c0392b", "#2471a3"},
               *lab[2] = {"open search (fragment index)", "identity search (0.01 Da window)"};
    for (int c = 0; c < 2; c++) {
        fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col[c]);
        for (int i = 0; i < np; i++) fprintf(fp, "%g,%g ", PX((double)n[i]), PY(ys[c][i]));
        fprintf(fp, "\"/>\n");
        for (int i = 0; i < np; i++)
            fprintf(fp, "<circle cx=\"%g\" cy=\"%g\" r=\"4\" fill=\"%s\"/>\n", PX((double)n[i]),
                    PY(ys[c][i]), col[c]);
        fprintf(fp, "<text x=\"%g\" y=\"%g\" fill=\"%s\">%s</text>\n", L + 12, T + 20 + 16 * c,
                col[c], lab[c]);
    }
#undef PX
#undef PY
    fprintf(fp, "</svg>\n");
    fclose(fp);
}

static int bench_scaling(const char *svg)
{
    machine();
    static const size_t sizes[] = {10000, 100000, 1000000};
    size_t n[3];
    double id[3], op[3];
    int np = 0;
    printf("synthetic library, 1000 queries, entropy score, 1 thread; median over 3 runs\n");
    printf("%10s %16s %16s\n", "spectra", "identity ms/q", "open ms/q");
    for (int i = 0; i < 3; i++) {
        int p[2];
        if (pipe(p)) return 1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            scaling_point(sizes[i], p[1]);
        }
        close(p[1]);
        char buf[128] = "";
        ssize_t k = read(p[0], buf, sizeof buf - 1);
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        if (k <= 0 || sscanf(buf, "%zu %lf %lf", &n[np], &id[np], &op[np]) != 3) continue;
        printf("%10zu %16.4f %16.4f\n", n[np], id[np], op[np]);
        np++;
    }
    svg_plot(svg, n, id, op, np);
    printf("plot: %s\n", svg);
    return 0;
}

/* Run each workload in its own process, so that its peak RSS is its own. */
static int bench_index(int argc, char **argv)
{
    machine();
    static const char *all[] = {"W1", "W2", "W3", "W4"};
    const char **which = argc > 2 ? (const char **)argv + 2 : all;
    int n = argc > 2 ? argc - 2 : 4;
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (strcmp(which[i], "W1") == 0)
                w_synth("W1-synthetic-100k", 100000, 5);
            else if (strcmp(which[i], "W2") == 0)
                w_massbank(5);
            else if (strcmp(which[i], "W3") == 0)
                w_ei(3);
            else if (strcmp(which[i], "W4") == 0)
                w_synth("W4-synthetic-1M", 1000000, 3);
            else
                fprintf(stderr, "npsbench: unknown workload %s\n", which[i]);
            fflush(stdout);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
    }
    return 0;
}

/* ------------------------------------------------ streaming mzML (issue 4) */

static void b64_write(FILE *fp, const unsigned char *in, size_t n)
{
    static const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[0] = a[v >> 18 & 63];
        out[1] = a[v >> 12 & 63];
        out[2] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[3] = i + 2 < n ? a[v & 63] : '=';
        fwrite(out, 1, 4, fp);
    }
}

static void mzml_array(FILE *fp, const double *v, size_t n, int zlib, const char *what)
{
    fprintf(fp,
            "<binaryDataArray><cvParam accession=\"MS:1000523\"/><cvParam accession=\"%s\"/>"
            "<cvParam accession=\"%s\"/><binary>",
            zlib ? "MS:1000574" : "MS:1000576", what);
    if (zlib) {
        uLongf zn = compressBound(n * 8);
        unsigned char *z = malloc(zn);
        compress2(z, &zn, (const unsigned char *)v, n * 8, 1);
        b64_write(fp, z, zn);
        free(z);
    } else {
        b64_write(fp, (const unsigned char *)v, n * 8);
    }
    fputs("</binary></binaryDataArray>", fp);
}

/* A synthetic LC-MS/MS run: per cycle one MS1 profile scan (zlib, 20000
 * points) and ten MS2 centroid scans (60 peaks, plain), until the file
 * reaches `mb` megabytes. */
static size_t write_run(const char *path, size_t mb, size_t *n_ms2)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<indexedmzML><mzML><run>"
          "<spectrumList>\n",
          fp);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    size_t np1 = 20000, np2 = 60, idx = 0;
    double *mz = malloc(np1 * sizeof *mz), *in = malloc(np1 * sizeof *in);
    *n_ms2 = 0;
    while ((size_t)ftell(fp) < mb << 20) {
        for (size_t k = 0; k < np1; k++) {
            mz[k] = 100 + (double)k * 0.05;
            in[k] = floor(gsl_rng_uniform(r) * 1e4);
        }
        fprintf(fp,
                "<spectrum index=\"%zu\" id=\"scan=%zu\" defaultArrayLength=\"%zu\">"
                "<cvParam accession=\"MS:1000511\" value=\"1\"/><binaryDataArrayList>",
                idx, idx + 1, np1);
        mzml_array(fp, mz, np1, 1, "MS:1000514");
        mzml_array(fp, in, np1, 1, "MS:1000515");
        fputs("</binaryDataArrayList></spectrum>\n", fp);
        idx++;
        for (int j = 0; j < 10; j++, idx++) {
            for (size_t k = 0; k < np2; k++) {
                mz[k] = 50 + (double)k * 5 + gsl_rng_uniform(r);
                in[k] = floor(gsl_rng_uniform(r) * 1e5);
            }
            fprintf(fp,
                    "<spectrum index=\"%zu\" id=\"scan=%zu\" defaultArrayLength=\"%zu\">"
                    "<cvParam accession=\"MS:1000511\" value=\"2\"/><precursorList><precursor>"
                    "<selectedIonList><selectedIon><cvParam accession=\"MS:1000744\" "
                    "value=\"%.4f\"/></selectedIon></selectedIonList></precursor></precursorList>"
                    "<binaryDataArrayList>",
                    idx, idx + 1, np2, 200 + gsl_rng_uniform(r) * 300);
            mzml_array(fp, mz, np2, 0, "MS:1000514");
            mzml_array(fp, in, np2, 0, "MS:1000515");
            fputs("</binaryDataArrayList></spectrum>\n", fp);
            (*n_ms2)++;
        }
    }
    fputs("</spectrumList></run></mzML></indexedmzML>\n", fp);
    size_t bytes = (size_t)ftell(fp);
    fclose(fp);
    gsl_rng_free(r);
    free(mz);
    free(in);
    return bytes;
}

static int bench_mzml(size_t mb)
{
    const char *path = "/tmp/npsbench_run.mzML";
    size_t n_ms2;
    double t0 = now();
    size_t bytes = write_run(path, mb, &n_ms2);
    if (!bytes) return 1;
    printf("synthetic run: %.0f MB, %zu MS2 spectra (written in %.1f s)\n", bytes / 1048576.0,
           n_ms2, now() - t0);
    printf("%-22s %9s %9s %10s %12s\n", "read", "seconds", "MB/s", "spectra", "peak RSS MB");
    static const struct {
        const char *label;
        int level;
    } modes[] = {{"MS2 (default)", 0}, {"all levels", -1}};
    for (int m = 0; m < 2; m++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) { /* a fresh process: its peak RSS is this read's */
            nps_spectra *s;
            nps_spectra_create(&s);
            nps_read_options o = NPS_READ_OPTIONS_INIT;
            o.ms_level = modes[m].level;
            double t = now();
            int rc = nps_io_read(s, NULL, path, &o);
            t = now() - t;
            printf("%-22s %9.2f %9.0f %10zu %12.0f%s\n", modes[m].label, t, bytes / 1048576.0 / t,
                   nps_spectra_count(s), peak_rss_mb(), rc ? " (error)" : "");
            fflush(stdout);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
    }
    remove(path);
    return 0;
}

/* ---------------------------------------------- compound families (issue 5) */

/* Family table: name pattern -> class, first match wins. */
typedef struct {
    char pat[512][64], cls[512][64];
    size_t n;
} family_table;

/* Class of a name from a family table (first matching pattern). */
static const char *family_of(const family_table *t, const char *name)
{
    char low[512];
    size_t k = 0;
    for (; name[k] && k + 1 < sizeof low; k++)
        low[k] = (char)((name[k] >= 'A' && name[k] <= 'Z') ? name[k] + 32 : name[k]);
    low[k] = '\0';
    for (size_t i = 0; i < t->n; i++)
        if (strstr(low, t->pat[i])) return t->cls[i];
    return NULL;
}

static int family_table_read(family_table *t, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "npsbench: %s: cannot open\n", path);
        return -1;
    }
    char line[256];
    t->n = 0;
    while (t->n < 512 && fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = '\0';
        tab[strcspn(tab + 1, "\r\n") + 1] = '\0';
        snprintf(t->pat[t->n], 64, "%.63s", line);
        snprintf(t->cls[t->n], 64, "%.63s", tab + 1);
        t->n++;
    }
    fclose(fp);
    return 0;
}

#define FAMILY_TRUTH_KEY "Bench_truth"

/* Read an MSP file into lib, giving each spectrum the class of its name in t
 * (a Class field already there wins) and a truth key (FAMILY_TRUTH_KEY: the
 * InChIKey skeleton, else the CAS number, else the name). The spectra with a
 * class also go to queries (when not NULL). Returns how many got a class. */
static long family_load(nps_spectra *lib, nps_spectra *queries, const char *path,
                        const family_table *t)
{
    nps_spectra *raw;
    nps_spectra_create(&raw);
    if (nps_io_read(raw, NULL, path, NULL)) {
        fprintf(stderr, "npsbench: %s\n", nps_error_last());
        nps_spectra_free(raw);
        return -1;
    }
    long with_class = 0;
    for (size_t i = 0; i < nps_spectra_count(raw); i++) {
        size_t m = nps_spectra_meta_count(raw, i);
        const char **k = malloc((m + 2) * sizeof *k), **v = malloc((m + 2) * sizeof *v);
        for (size_t j = 0; j < m; j++) nps_spectra_meta_at(raw, i, j, &k[j], &v[j]);
        size_t n = m;
        const char *fam = nps_spectra_get(raw, i, NPS_KEY_CLASS);
        if (!fam || !*fam) {
            fam = family_of(t, nps_spectra_name(raw, i));
            if (fam) {
                k[n] = NPS_KEY_CLASS;
                v[n++] = fam;
            }
        }
        char truth[128];
        const char *ik = nps_spectra_get(raw, i, NPS_KEY_INCHIKEY),
                   *cas = nps_spectra_get(raw, i, NPS_KEY_CAS);
        if (ik && strlen(ik) >= 14)
            snprintf(truth, sizeof truth, "ik:%.14s", ik);
        else if (cas && *cas)
            snprintf(truth, sizeof truth, "cas:%s", cas);
        else
            snprintf(truth, sizeof truth, "name:%.100s", nps_spectra_name(raw, i));
        k[n] = FAMILY_TRUTH_KEY;
        v[n++] = truth;
        const double *mz;
        const float *in;
        size_t pk;
        nps_spectra_peaks(raw, i, &mz, &in, &pk);
        nps_spectra_add(lib, mz, in, pk, k, v, n);
        if (fam) {
            with_class++;
            if (queries) nps_spectra_add(queries, mz, in, pk, k, v, n);
        }
        free(k);
        free(v);
    }
    nps_spectra_free(raw);
    return with_class;
}

/* Leave-compound-out with compound families: how often the top hit belongs
 * to the query's family when the query's own compound is not in the
 * library, by search mode.
 *   forensic: the forensic MS/MS subset, every spectrum with a family from
 *             the table a query (bench/forensic_classes.tsv);
 *   ei:       the MassBank EI library plus the bundled EI library (its own
 *             Class fields), the spectra with a family the queries
 *             (bench/ei_classes.tsv). */
static int bench_families(const char *table, int ei, const char *score)
{
    nps_score_type st = NPS_SCORE_AUTO;
    if (score && nps_score_parse(&st, score)) {
        fprintf(stderr, "npsbench: %s\n", nps_error_last());
        return 1;
    }
    static family_table t;
    if (family_table_read(&t, table)) return 1;
    nps_spectra *s, *qs;
    nps_spectra_create(&s);
    nps_spectra_create(&qs);
    char path[4096];
    snprintf(path, sizeof path, "%s/massbank/%s", NPS_DATA_DIR,
             ei ? "massbank_ei_all.msp" : "massbank_forensic_subset.msp");
    long with_class = family_load(s, qs, path, &t);
    long bundled = 0;
    if (with_class >= 0 && ei) {
        snprintf(path, sizeof path, "%s/reference_spectra/library_ei.msp", NPS_SOURCE_DIR);
        bundled = family_load(s, qs, path, &t);
    }
    if (with_class < 0 || bundled < 0) return 1;
    nps_library *lib;
    if (nps_library_create(&lib, s, NULL)) {
        fprintf(stderr, "npsbench: %s\n", nps_error_last());
        return 1;
    }
    printf("# machine: nproc %ld; date %s; npsmatch %s\n", sysconf(_SC_NPROCESSORS_ONLN), __DATE__,
           NPS_VERSION_STRING);
    printf("%s: %zu library spectra, %zu queries with a family (%ld bundled) from %s (%zu "
           "patterns); score %s\n",
           ei ? "MassBank EI + bundled EI" : "forensic subset", nps_spectra_count(s),
           nps_spectra_count(qs), bundled, table, t.n, score ? score : "default");
    static const nps_search_mode ms_modes[] = {NPS_MODE_IDENTITY, NPS_MODE_OPEN, NPS_MODE_HYBRID,
                                               NPS_MODE_NEUTRAL_LOSS},
                                 ei_modes[] = {NPS_MODE_OPEN, NPS_MODE_SHIFT};
    const nps_search_mode *modes = ei ? ei_modes : ms_modes;
    int nmodes = ei ? 2 : 4;
    nps_evaluation *ev[4] = {NULL};
    double secs[4];
    printf("%-14s %8s %8s %12s %10s %7s %17s %17s %7s %12s %8s\n", "mode", "hits", "classed",
           "family right", "dM right", "AUC", "thr/recall@20%", "thr/recall@30%", "voted",
           "calls/right", "s");
    for (int m = 0; m < nmodes; m++) {
        nps_evaluate_options eo = NPS_EVALUATE_OPTIONS_INIT;
        eo.truth_key = FAMILY_TRUTH_KEY;
        eo.leave_compound_out = 1;
        eo.search.mode = modes[m];
        eo.search.score = st;
        double t0 = now();
        if (nps_evaluate(&ev[m], lib, qs, &eo)) {
            fprintf(stderr, "npsbench: %s\n", nps_error_last());
            return 1;
        }
        secs[m] = now() - t0;
        printf("%-14s %8zu %8zu %12.3f %10.3f %7.3f %8.3f/%-8.3f %8.3f/%-8.3f %7.3f %5zu/%-6.3f "
               "%8.1f\n",
               nps_search_mode_name(modes[m]), ev[m]->lco_n, ev[m]->lco_class_n,
               ev[m]->lco_class_right, ev[m]->lco_delta_right, ev[m]->auc,
               ev[m]->class_threshold[1], ev[m]->class_recall[1], ev[m]->class_threshold[2],
               ev[m]->class_recall[2], ev[m]->lco_voted_class_right, ev[m]->lco_analogue_calls,
               ev[m]->lco_analogue_class_right, secs[m]);
    }
    /* per family, each mode's class-right fraction side by side */
    printf("\n%-40s %6s", "family", "n");
    for (int m = 0; m < nmodes; m++) printf(" %12s", nps_search_mode_name(modes[m]));
    printf("\n");
    for (size_t j = 0; j < ev[0]->n_classes; j++) {
        printf("%-40.40s %6zu", ev[0]->class_name[j], ev[0]->class_n[j]);
        for (int m = 0; m < nmodes; m++) {
            double v = NAN;
            for (size_t i = 0; i < ev[m]->n_classes; i++)
                if (strcmp(ev[m]->class_name[i], ev[0]->class_name[j]) == 0)
                    v = ev[m]->class_top1[i];
            printf(" %12.3f", v);
        }
        printf("\n");
    }
    for (int m = 0; m < nmodes; m++) nps_evaluation_free(ev[m]);
    nps_library_free(lib);
    nps_spectra_free(qs);
    nps_spectra_free(s);
    return 0;
}

/* ----------------------------------------------------------- e-values */

/* ROC AUC of values[i] separating pos[i] = 1 from 0 (Mann-Whitney, ties
 * count one half). */
static double roc_auc(const double *values, const unsigned char *pos, size_t n)
{
    size_t *ix = malloc(n * sizeof *ix), np = 0;
    for (size_t i = 0; i < n; i++) {
        ix[i] = i;
        np += pos[i];
    }
    gsl_sort_index(ix, values, 1, n);
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        /* a tie group (a NaN is a group of its own: it equals nothing) */
        while (j < n && (j == i || values[ix[j]] == values[ix[i]])) j++;
        double mid = 0.5 * (double)(i + 1 + j); /* average 1-based rank of the tie group */
        for (size_t k = i; k < j; k++)
            if (pos[ix[k]]) rank_sum += mid;
        i = j;
    }
    free(ix);
    size_t nn = n - np;
    if (!np || !nn) return NAN;
    return (rank_sum - 0.5 * (double)np * (double)(np + 1)) / ((double)np * (double)nn);
}

/*
 * Are the e-values worth their cost? The cross-laboratory MS/MS queries
 * (bench_accuracy's protocol: each query against the other laboratories'
 * spectra), default entropy search in identity, open and hybrid mode, with
 * and without e-values: the ROC AUC with which the top hit's plain score,
 * and its e-value (smaller is better), separate right top hits (same
 * InChIKey first block) from wrong ones, and the time the e-values add.
 */
static int bench_evalues(void)
{
    nps_spectra *fs;
    unsigned char *eligible;
    size_t nq, groups;
    query_t *qs = crosslab_queries(&fs, &eligible, &nq, &groups);
    char(*contrib)[64], (*blocks)[32];
    lab_keys(&contrib, &blocks, fs, qs, nq);
    machine();
    printf("e-values on cross-laboratory MS/MS: %zu queries of %zu compounds; entropy, defaults\n",
           nq, groups);
    printf("%-9s %8s %10s %12s %12s %12s %14s\n", "mode", "top hits", "right", "AUC score",
           "AUC e-value", "e-value > 1", "cost of e-val.");
    static const nps_search_mode modes[] = {NPS_MODE_IDENTITY, NPS_MODE_OPEN, NPS_MODE_HYBRID};
    double *score = malloc(nq * sizeof *score), *ev = malloc(nq * sizeof *ev);
    unsigned char *right = malloc(nq);
    for (int m = 0; m < 3; m++) {
        size_t nt = 0, above1 = 0, nright = 0;
        double t_on = 0, t_off = 0;
        for (size_t a = 0; a < nq;) {
            size_t b = a;
            while (b < nq && strcmp(qs[b].contrib, qs[a].contrib) == 0) b++;
            nps_spectra *libsp, *qsp;
            size_t *map = crosslab_split(&libsp, &qsp, fs, eligible, contrib, qs, a, b);
            nps_library *lib;
            nps_library_create(&lib, libsp, NULL);
            for (int on = 0; on <= 1; on++) {
                nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
                o.mode = modes[m];
                o.evalues = on;
                o.threads = 1;
                o.same_kind_only = 0;
                nps_hits *h;
                double t0 = now();
                if (nps_search_run(&h, lib, qsp, &o)) {
                    fprintf(stderr, "%s\n", nps_error_last());
                    exit(1);
                }
                *(on ? &t_on : &t_off) += now() - t0;
                for (size_t k = a; on && k < b; k++) {
                    size_t f, cnt;
                    nps_hits_for_query(h, k - a, &f, &cnt);
                    if (!cnt) continue;
                    const nps_hit *x = nps_hits_at(h, f);
                    score[nt] = nps_hit_plain_score(x);
                    /* smaller is better: the AUC is taken of -e; no fit counts as 1 */
                    double e = isnan(x->e_value) ? 1.0 : x->e_value;
                    ev[nt] = -e;
                    above1 += e > 1;
                    right[nt] = strcmp(blocks[map[x->reference]], qs[k].block) == 0;
                    nright += right[nt];
                    nt++;
                }
                nps_hits_free(h);
            }
            nps_library_free(lib);
            free(map);
            nps_spectra_free(libsp);
            nps_spectra_free(qsp);
            a = b;
        }
        printf("%-9s %8zu %10zu %12.3f %12.3f %11.0f%% %13.0f%%\n", nps_search_mode_name(modes[m]),
               nt, nright, roc_auc(score, right, nt), roc_auc(ev, right, nt),
               nt ? 100.0 * (double)above1 / (double)nt : 0.0,
               t_off > 0 ? 100.0 * (t_on - t_off) / t_off : 0.0);
    }
    free(score);
    free(ev);
    free(right);
    free(contrib);
    free(blocks);
    free(qs);
    free(eligible);
    nps_spectra_free(fs);
    return 0;
}

/* ------------------------------------------------- the CLI's default path */

/* MS/MS spectra with a precursor (what flash_side_by_side.py keeps). */
static nps_spectra *msms_with_precursor(const nps_spectra *s)
{
    nps_spectra *o;
    nps_spectra_create(&o);
    for (size_t i = 0; i < nps_spectra_count(s); i++)
        if (nps_spectra_kind(s, i) == NPS_KIND_MSMS && isfinite(nps_spectra_precursor_mz(s, i)))
            nps_spectra_add_from(o, s, i);
    return o;
}

/*
 * What a user's batch costs: the library call `npsmatch search` makes with
 * its defaults (NPS_SEARCH_OPTIONS_INIT: top 10, no e-values), one thread,
 * on the 78k MassBank MS/MS library and 1,000 forensic MS/MS queries spread
 * evenly over the subset (the flash_side_by_side.py set), for identity, open
 * and hybrid search; and the 13k EI library with 300 perturbed EI queries
 * (W3's). Mean (what sets a batch's cost), median and p99 per query, and
 * queries per second, over RUNS batches; each workload again with
 * --evalues, for their cost.
 */
static int bench_defaults(int runs)
{
    nps_spectra *all = load(data("massbank/massbank_msms_open_licenses.msp"));
    nps_spectra *L = msms_with_precursor(all);
    nps_spectra_free(all);
    nps_spectra *fs = load(data("massbank/massbank_forensic_subset.msp"));
    nps_spectra *cand = msms_with_precursor(fs), *q;
    nps_spectra_free(fs);
    nps_spectra_create(&q);
    size_t m = nps_spectra_count(cand), nq = m < 1000 ? m : 1000;
    for (size_t k = 0; k < nq; k++) nps_spectra_add_from(q, cand, k * m / nq);
    nps_spectra_free(cand);
    nps_library *lib;
    if (nps_library_create(&lib, L, NULL)) {
        fprintf(stderr, "%s\n", nps_error_last());
        return 1;
    }
    printf("npsbench defaults: the CLI's default search (top 10, no e-values; then with "
           "--evalues), 1 thread, %d runs\n"
           "%-30s %10s %10s %10s %10s\n",
           runs, "workload", "mean ms/q", "median", "p99", "queries/s");
    double *secs = calloc(nq > 300 ? nq : 300, sizeof *secs);
    static const nps_search_mode modes[] = {NPS_MODE_IDENTITY, NPS_MODE_OPEN, NPS_MODE_HYBRID};
    for (int k = 0; k < 6; k++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.evalues = k >= 3; /* `npsmatch search --evalues` */
        o.threads = 1;
        o.mode = modes[k % 3];
        o.query_seconds = secs;
        nps_plan *p;
        if (nps_plan_create(&p, lib, &o)) {
            fprintf(stderr, "%s\n", nps_error_last());
            return 1;
        }
        qstats st = time_batch(p, q, secs, runs);
        char what[64];
        snprintf(what, sizeof what, "MS/MS 78k, %s%s", nps_search_mode_name(modes[k % 3]),
                 o.evalues ? " --evalues" : "");
        printf("%-30s %10.4f %10.4f %10.4f %10.0f\n", what, st.mean, st.median, st.p99,
               st.throughput);
        nps_plan_free(p);
    }
    nps_library_free(lib);
    nps_spectra_free(L);
    nps_spectra_free(q);
    nps_spectra *ei = load(data("massbank/massbank_ei_all.msp"));
    size_t truth[300];
    nps_spectra *eq = ei_queries(ei, 300, 11, truth);
    if (nps_library_create(&lib, ei, NULL)) return 1;
    for (int on = 0; on <= 1; on++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.evalues = on;
        o.threads = 1;
        o.query_seconds = secs;
        nps_plan *p;
        if (nps_plan_create(&p, lib, &o)) return 1;
        qstats st = time_batch(p, eq, secs, runs);
        printf("%-30s %10.4f %10.4f %10.4f %10.0f\n",
               on ? "EI 13k, composite --evalues" : "EI 13k, composite (open)", st.mean, st.median,
               st.p99, st.throughput);
        nps_plan_free(p);
    }
    nps_library_free(lib);
    nps_spectra_free(ei);
    nps_spectra_free(eq);
    free(secs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(
            stderr,
            "usage: npsbench load [RUNS] | defaults [RUNS] | evalues | accuracy | ei-accuracy | "
            "mixtures [deep] | ambiguity | probability | "
            "index [W1 W2 W3 "
            "W4] | scaling [SVG] | mzml [MB] | families [TSV [SCORE]] | families-ei "
            "[TSV [SCORE]]\n");
        return 2;
    }
    int runs = argc > 2 && strcmp(argv[1], "scaling") != 0 ? atoi(argv[2]) : 5;
    if (runs < 1) runs = 1;
    if (strcmp(argv[1], "load") == 0) return bench_load(runs);
    if (strcmp(argv[1], "defaults") == 0) return bench_defaults(runs);
    if (strcmp(argv[1], "evalues") == 0) return bench_evalues();
    if (strcmp(argv[1], "accuracy") == 0) return bench_accuracy();
    if (strcmp(argv[1], "ei-accuracy") == 0) return bench_ei_accuracy();
    if (strcmp(argv[1], "ambiguity") == 0) return bench_ambiguity();
    if (strcmp(argv[1], "probability") == 0) return bench_probability();
    if (strcmp(argv[1], "mixtures") == 0)
        return bench_mixtures(argc > 2 && strcmp(argv[2], "deep") == 0);
    if (strcmp(argv[1], "index") == 0) return bench_index(argc, argv);
    if (strcmp(argv[1], "scaling") == 0)
        return bench_scaling(argc > 2 ? argv[2] : "bench/scaling.svg");
    if (strcmp(argv[1], "mzml") == 0) return bench_mzml(argc > 2 ? (size_t)atoi(argv[2]) : 1024);
    if (strcmp(argv[1], "families") == 0)
        return bench_families(argc > 2 ? argv[2] : "bench/forensic_classes.tsv", 0,
                              argc > 3 ? argv[3] : NULL);
    if (strcmp(argv[1], "families-ei") == 0)
        return bench_families(argc > 2 ? argv[2] : "bench/ei_classes.tsv", 1,
                              argc > 3 ? argv[3] : NULL);
    fprintf(stderr, "npsbench: unknown benchmark '%s'\n", argv[1]);
    return 2;
}

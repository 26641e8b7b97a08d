/*
 * npsrunsim: write a synthetic GC-EI-MS run (netCDF ANDI-MS, or MSP scans)
 * with its truth, from the spectra of an EI library file (runsim.h says
 * what a run is made of).
 *
 *   npsrunsim --library EI.msp -o run.cdf [--truth truth.tsv] [--seed N]
 *             [--singles N] [--pairs N] [--resolutions 0.3,0.5,...]
 *             [--compound NAME@RT@HEIGHT[@istd]]... [--alkanes C8-C20]
 *             [--ladder ladder.tsv] [--minutes T0-T1] [--drift COUNTS]
 *             [--bleed COUNTS] [--noise NF] [--scan-hz HZ]
 *
 * Random compounds are distinct compounds (InChIKey skeleton, else name) of
 * the library, placed in evenly spaced slots; a pair puts a second compound
 * after the first at each resolution in turn. --alkanes adds an n-alkane
 * series across the run, drawn only when no other compound is asked for (an
 * alkane standard run); --ladder writes the alkanes' carbon numbers and apex
 * times, the ladder file of `npsmatch screen --alkanes`, for the standard
 * run or for a sample run made under the same conditions.
 */
#include "runsim.h"

#include <errno.h>

static void usage(void)
{
    fprintf(stderr, "usage: npsrunsim --library EI.msp -o RUN.cdf|RUN.msp [--truth FILE] "
                    "[--seed N] [--singles N] [--pairs N] [--resolutions LIST] "
                    "[--compound NAME@RT@HEIGHT]... [--alkanes CFROM-CTO] [--ladder FILE] "
                    "[--minutes T0-T1] [--drift COUNTS] [--bleed COUNTS] [--noise NF] "
                    "[--scan-hz HZ]\n");
    exit(2);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

int main(int argc, char **argv)
{
    const char *lib_path = NULL, *out = NULL, *truth = NULL, *ladder = NULL;
    unsigned long seed = 1;
    size_t singles = 0, pairs = 0;
    double res[16] = {0.3, 0.5, 0.8, 1.0, 1.5};
    size_t n_res = 5;
    const char *named[64];
    size_t n_named = 0;
    int c_from = 0, c_to = 0;
    double t0 = 3.0, t1 = 14.6;
    double drift = -1, bleed = -1, noise = -1, hz = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--library") && v)
            lib_path = argv[++i];
        else if (!strcmp(a, "-o") && v)
            out = argv[++i];
        else if (!strcmp(a, "--truth") && v)
            truth = argv[++i];
        else if (!strcmp(a, "--ladder") && v)
            ladder = argv[++i];
        else if (!strcmp(a, "--seed") && v)
            seed = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--singles") && v)
            singles = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--pairs") && v)
            pairs = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--resolutions") && v) {
            n_res = 0;
            char *s = argv[++i], *end;
            while (*s && n_res < 16) {
                res[n_res++] = strtod(s, &end);
                if (end == s) usage();
                s = *end == ',' ? end + 1 : end;
            }
        } else if (!strcmp(a, "--compound") && v && n_named < 64)
            named[n_named++] = argv[++i];
        else if (!strcmp(a, "--alkanes") && v) {
            if (sscanf(argv[++i], "C%d-C%d", &c_from, &c_to) != 2 &&
                sscanf(argv[i], "%d-%d", &c_from, &c_to) != 2)
                usage();
        } else if (!strcmp(a, "--drift") && v) {
            drift = atof(argv[++i]);
        } else if (!strcmp(a, "--bleed") && v) {
            bleed = atof(argv[++i]);
        } else if (!strcmp(a, "--noise") && v) {
            noise = atof(argv[++i]);
        } else if (!strcmp(a, "--scan-hz") && v) {
            hz = atof(argv[++i]);
        } else if (!strcmp(a, "--minutes") && v) {
            if (sscanf(argv[++i], "%lf-%lf", &t0, &t1) != 2 || !(t1 > t0)) usage();
        } else
            usage();
    }
    if (!lib_path || !out) usage();
    nps_spectra *lib;
    if (nps_spectra_create(&lib) || nps_io_read(lib, NULL, lib_path, NULL)) {
        fprintf(stderr, "npsrunsim: %s: %s\n", lib_path, nps_error_last());
        return 1;
    }
    static runsim r;
    runsim_params def = RUNSIM_PARAMS_INIT;
    r.p = def;
    r.p.seed = seed;
    r.p.t0 = t0;
    r.p.t1 = t1;
    if (drift >= 0) r.p.drift = drift;
    if (bleed >= 0) r.p.bleed = bleed;
    if (noise >= 0) r.p.noise = noise;
    if (hz > 0) r.p.scan_hz = hz;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed * 7919 + 17);
    /* named compounds */
    for (size_t k = 0; k < n_named; k++) {
        char name[256];
        double rt, h;
        const char *at = strchr(named[k], '@');
        if (!at || (size_t)(at - named[k]) >= sizeof name ||
            sscanf(at + 1, "%lf@%lf", &rt, &h) != 2)
            usage();
        memcpy(name, named[k], (size_t)(at - named[k]));
        name[at - named[k]] = '\0';
        size_t idx = SIZE_MAX;
        for (size_t i = 0; i < nps_spectra_count(lib) && idx == SIZE_MAX; i++)
            if (!strcasecmp(nps_spectra_name(lib, i), name)) idx = i;
        if (idx == SIZE_MAX) {
            fprintf(stderr, "npsrunsim: no spectrum named %s in %s\n", name, lib_path);
            return 1;
        }
        runsim_add(&r, lib, idx, rt, h, -1, 0, strstr(at + 1, "@istd") ? 1 : 0);
    }
    /* random compounds: distinct keys */
    size_t need = singles + 2 * pairs;
    if (need) {
        size_t n = nps_spectra_count(lib);
        size_t *pick = malloc(need * sizeof *pick);
        char(*keys)[64] = malloc(need * sizeof *keys);
        size_t got = 0;
        for (size_t tries = 0; got < need && tries < 100 * need + 1000; tries++) {
            size_t i = gsl_rng_uniform_int(g, n);
            const double *mz;
            const float *in;
            size_t np;
            nps_spectra_peaks(lib, i, &mz, &in, &np);
            if (np < 5 || mz[np - 1] > r.p.mz_hi || nps_spectra_kind(lib, i) != NPS_KIND_EI)
                continue;
            const char *key = nps_spectra_get(lib, i, "InChIKey");
            char kbuf[64];
            snprintf(kbuf, sizeof kbuf, "%.14s",
                     key && strlen(key) >= 14 ? key : nps_spectra_name(lib, i));
            int dup = 0;
            for (size_t q = 0; q < got && !dup; q++) dup = !strcmp(keys[q], kbuf);
            if (dup) continue;
            snprintf(keys[got], 64, "%s", kbuf);
            pick[got++] = i;
        }
        size_t slots = singles + pairs;
        double span = t1 - t0 - 0.8;
        /* slots in a random order of kinds: pairs and singles interleaved */
        size_t *kind = malloc((slots ? slots : 1) * sizeof *kind);
        for (size_t s = 0; s < slots; s++) kind[s] = s < pairs ? 1 : 0;
        for (size_t s = slots; s > 1; s--) {
            size_t j = gsl_rng_uniform_int(g, s);
            size_t t = kind[s - 1];
            kind[s - 1] = kind[j];
            kind[j] = t;
        }
        size_t next = 0, pair_no = 0;
        for (size_t s = 0; s < slots && next < got; s++) {
            double rt = t0 + 0.4 + span * ((double)s + 0.5) / (double)slots;
            double h = exp(log(2e4) + gsl_rng_uniform(g) * (log(2e6) - log(2e4)));
            if (kind[s] == 1 && next + 1 < got) {
                double rs = res[pair_no % n_res];
                double dt = runsim_pair_distance(&r.p, rs);
                double ratio = exp(log(1.0 / 3.0) + gsl_rng_uniform(g) * log(9.0));
                runsim_add(&r, lib, pick[next++], rt, h, (int)pair_no, rs, 0);
                runsim_add(&r, lib, pick[next++], rt + dt, h * ratio, (int)pair_no, rs, 0);
                pair_no++;
            } else {
                runsim_add(&r, lib, pick[next++], rt, h, -1, 0, 0);
            }
        }
        free(kind);
        free(pick);
        free(keys);
    }
    /* the ladder: drawn when the run holds nothing else (an alkane standard
     * run); with other compounds only its times are written (--ladder), the
     * calibration of a sample run made under the same conditions */
    int lad_c[64];
    double lad_t[64];
    size_t n_lad = 0;
    int draw_ladder = r.n == 0;
    if (c_from > 0 && c_to > c_from && c_to - c_from < 64) {
        for (int c = c_from; c <= c_to; c++) {
            double rt =
                t0 + 0.25 + (t1 - t0 - 0.5) * (double)(c - c_from) / (double)(c_to - c_from);
            lad_c[n_lad] = c;
            lad_t[n_lad++] = rt;
            if (draw_ladder) runsim_add_alkane(&r, c, rt, 3e5);
        }
    }
    nps_spectra *scans;
    if (nps_spectra_create(&scans) || runsim_render(scans, &r)) {
        fprintf(stderr, "npsrunsim: %s\n", nps_error_last());
        return 1;
    }
    int rc;
    if (has_suffix(out, ".msp"))
        rc = nps_io_write_path(out, scans, NPS_FORMAT_MSP);
    else {
        nps_run *run;
        rc = nps_run_from_spectra(&run, NULL, scans, out, NULL);
        if (!rc) rc = nps_run_write(run, out);
        nps_run_free(run);
    }
    if (rc) {
        fprintf(stderr, "npsrunsim: %s: %s\n", out, nps_error_last());
        return 1;
    }
    if (truth) {
        FILE *fp = fopen(truth, "w");
        if (!fp || runsim_write_truth(fp, &r) || fclose(fp)) {
            fprintf(stderr, "npsrunsim: %s: %s\n", truth, strerror(errno));
            return 1;
        }
    }
    if (ladder) {
        FILE *fp = fopen(ladder, "w");
        if (!fp) {
            fprintf(stderr, "npsrunsim: %s: %s\n", ladder, strerror(errno));
            return 1;
        }
        fprintf(fp, "# carbon\trt_min\n");
        for (size_t i = 0; i < n_lad; i++) fprintf(fp, "C%d\t%.4f\n", lad_c[i], lad_t[i]);
        if (fclose(fp)) return 1;
    }
    nps_spectra_free(scans);
    nps_spectra_free(lib);
    gsl_rng_free(g);
    return 0;
}

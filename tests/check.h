/*
 * A minimal test harness: CHECK records a failure with file and line and
 * carries on, so one run reports every broken expectation. A test that needs
 * the shared data skips (exit 77) when it is missing, except under CI=true,
 * where missing data is a failure.
 */
#ifndef NPS_TEST_CHECK_H
#define NPS_TEST_CHECK_H

#include "npsmatch/npsmatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.10g vs %.10g", (double)(a), (double)(b))

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

/* Path of a file under the shared data directory, or exit (skip / fail). */
static inline const char *data_path(const char *rel)
{
    static char buf[8][4096];
    static int k = 0;
    const char *dir = getenv("NPS_DATA_DIR");
    if (!dir) dir = NPS_DATA_DIR;
    char *b = buf[k++ % 8];
    snprintf(b, 4096, "%s/%s", dir, rel);
    if (access(b, R_OK) != 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr, "required test data missing under CI: %s\n", b);
            exit(1);
        }
        fprintf(stderr, "test data missing, skipping: %s\n", b);
        exit(77);
    }
    return b;
}

static inline nps_spectra *read_file(const char *path, nps_read_report *rep)
{
    nps_spectra *s;
    if (nps_spectra_create(&s)) exit(2);
    nps_read_report r = {0};
    int rc = nps_io_read(s, &r, path, NULL);
    if (rc) fprintf(stderr, "read %s: %s\n", path, nps_error_last());
    if (rep) *rep = r;
    return s;
}

/* Split a TSV line in place into at most max fields. */
static inline int split_tab(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t) break;
        *t = '\0';
        p = t + 1;
    }
    size_t l = strlen(f[n - 1]);
    while (l && (f[n - 1][l - 1] == '\n' || f[n - 1][l - 1] == '\r')) f[n - 1][--l] = '\0';
    return n;
}

/* Equal doubles, NaN equal to NaN. */
static inline int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* Two hits are identical: every field, bit for bit (NaN equal to NaN). */
static inline int hit_identical(const nps_hit *x, const nps_hit *y)
{
    return x->query == y->query && x->rank == y->rank && x->reference == y->reference &&
           x->score == y->score && x->matched == y->matched && x->score_type == y->score_type &&
           x->mode == y->mode && x->shifted == y->shifted &&
           same_double(x->composite, y->composite) &&
           same_double(x->composite_rmf, y->composite_rmf) &&
           same_double(x->delta_mz, y->delta_mz) &&
           same_double(x->identity_score, y->identity_score) &&
           same_double(x->e_value, y->e_value) && same_double(x->q_value, y->q_value) &&
           same_double(x->rmf, y->rmf) && same_double(x->probability, y->probability);
}

/* Two hit lists are identical, hit for hit. On a difference, the first
 * differing hit is printed under `what`. */
static inline int hits_identical(const nps_hits *a, const nps_hits *b, const char *what)
{
    if (nps_hits_count(a) != nps_hits_count(b)) {
        fprintf(stderr, "%s: %zu hits against %zu\n", what, nps_hits_count(a), nps_hits_count(b));
        return 0;
    }
    for (size_t i = 0; i < nps_hits_count(a); i++) {
        const nps_hit *x = nps_hits_at(a, i), *y = nps_hits_at(b, i);
        if (!hit_identical(x, y)) {
            fprintf(stderr, "%s: hit %zu differs: q%zu r%zu %.9g e%.4g / q%zu r%zu %.9g e%.4g\n",
                    what, i, x->query, x->reference, x->score, x->e_value, y->query, y->reference,
                    y->score, y->e_value);
            return 0;
        }
    }
    return 1;
}

#endif

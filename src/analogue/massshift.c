/*
 * Mass-shift interpretation: what structural change a mass difference
 * between an unknown and its library relative most likely is, from a table of
 * the substitutions that separate members of NPS families (the homologues
 * and ring substitutions of cathinones and amphetamines, the halogenated and
 * chain-modified synthetic cannabinoids, the acyl and ring variants of
 * fentanyl, ...). Masses are computed from monoisotopic atomic masses
 * (IUPAC/AME2016: H 1.00782503, C 12, N 14.00307401, O 15.99491462,
 * F 18.99840316, S 31.97207117, Cl 34.96885268, Br 78.91833711,
 * I 126.90447190); for unit-mass (EI) spectra the nominal masses are used,
 * where several entries share a value (14: CH2 or C=O for CH2) all are named.
 * A positive delta is a change from the library compound to the unknown.
 * When no entry matches, pairs of entries are tried ("+CH2 +O").
 */
#include "../core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define H 1.00782503207
#define C 12.0
#define N 14.0030740048
#define O 15.99491461956
#define F 18.99840322
#define S 31.97207100
#define CL 34.96885268
#define BR 78.9183371
#define I 126.904473

typedef struct {
    const char *add;  /* what the unknown has more ("CH2", "F") */
    const char *from; /* what it replaces, or NULL for an addition */
    const char *note;
    double mass;
} shift_t;

/* Most common first: among equal fits, the earlier entry is named first. */
static const shift_t table[] = {
    {"CH2", NULL, "homologue: chain, N-alkyl or ring size", C + 2 * H},
    {"O", NULL, "hydroxy or oxo", O},
    {"F", "H", "fluoro", F - H},
    {"Cl", "H", "chloro", CL - H},
    {"Br", "H", "bromo", BR - H},
    {"I", "H", "iodo", I - H},
    {"OCH3", "H", "methoxy", C + 2 * H + O},
    {"OCH2O", "2 H", "methylenedioxy", C + 2 * O},
    {"C=O", "CH2", "beta-keto (cathinone vs amphetamine)", O - 2 * H},
    {"C2H4", NULL, "two CH2", 2 * C + 4 * H},
    {"CF3", "H", "trifluoromethyl", C + 3 * F - H},
    {"NO2", "H", "nitro", N + 2 * O - H},
    {"NH2", "H", "amino", N + H},
    {"H2", NULL, "saturation (or ring opening)", 2 * H},
    {"Cl", "F", "chloro for fluoro", CL - F},
    {"Br", "Cl", "bromo for chloro", BR - CL},
    {"S", "O", "thio analogue", S - O},
    {"S", "CH=CH", "thiophene for benzene", S - 2 * C - 2 * H},
    {"N", "CH", "aza (indazole for indole, pyridine for benzene)", N - C - H},
    {"NH", "O", "carboxamide for ester", N + H - O},
    {"COCH3", "H", "acetyl", 2 * C + 2 * H + O},
    {"C3H6", NULL, "three CH2", 3 * C + 6 * H},
    {"C3H5", "C2H5", "cyclopropyl for ethyl (cyclopropylfentanyl-type)", C},
    {"COOCH3", "H", "methoxycarbonyl (carfentanil-type)", 2 * C + 2 * H + 2 * O},
    {"C4H3O", "C2H5", "furanyl for ethyl (furanylfentanyl-type)", 2 * C - 2 * H + O},
    {"C4H2", NULL, "benzo ring fusion (naphthyl for phenyl)", 4 * C + 2 * H},
    {"C6H5", "H", "phenyl", 6 * C + 4 * H},
};
#define NTABLE (sizeof table / sizeof *table)

static double mass_of(const shift_t *t, int nominal)
{
    return nominal ? floor(t->mass + 0.5) : t->mass;
}

static int describe_one(char *buf, size_t n, const shift_t *t, int sign)
{
    if (!t->from) return snprintf(buf, n, "%c%s (%s)", sign > 0 ? '+' : '-', t->add, t->note);
    if (sign > 0) return snprintf(buf, n, "%s for %s (%s)", t->add, t->from, t->note);
    return snprintf(buf, n, "%s for %s (%s, reversed)", t->from, t->add, t->note);
}

static int short_one(char *buf, size_t n, const shift_t *t, int sign)
{
    if (!t->from) return snprintf(buf, n, "%c%s", sign > 0 ? '+' : '-', t->add);
    return snprintf(buf, n, "%s for %s", sign > 0 ? t->add : t->from, sign > 0 ? t->from : t->add);
}

size_t nps_mass_shift_describe(char *buf, size_t n, double delta, double tol, int nominal)
{
    if (n) buf[0] = '\0';
    if (!isfinite(delta) || fabs(delta) <= tol) return 0;
    size_t found = 0, k = 0;
    /* single entries, either sign; up to three alternatives */
    for (size_t i = 0; i < NTABLE && found < 3; i++) {
        double m = mass_of(&table[i], nominal);
        for (int sign = 1; sign >= -1; sign -= 2) {
            if (fabs(delta - sign * m) <= tol) {
                if (found && k < n) k += (size_t)snprintf(buf + k, n - k, " or ");
                if (k < n) k += (size_t)describe_one(buf + k, n - k, &table[i], sign);
                found++;
            }
        }
    }
    if (found) return found;
    /* pairs (the same entry twice included), short form */
    for (size_t i = 0; i < NTABLE && !found; i++)
        for (size_t j = i; j < NTABLE && !found; j++)
            for (int si = 1; si >= -1 && !found; si -= 2)
                for (int sj = 1; sj >= -1 && !found; sj -= 2) {
                    if (i == j && si != sj) continue;
                    double m = si * mass_of(&table[i], nominal) + sj * mass_of(&table[j], nominal);
                    if (fabs(delta - m) > tol) continue;
                    char a[64], b[64];
                    short_one(a, sizeof a, &table[i], si);
                    short_one(b, sizeof b, &table[j], sj);
                    if (i == j)
                        snprintf(buf, n, "2 x %s", a);
                    else
                        snprintf(buf, n, "%s, %s", a, b);
                    found = 1;
                }
    return found;
}

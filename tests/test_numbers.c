/*
 * Numbers read and written without stdio's cost must be the very numbers
 * stdio reads and writes:
 *  - nps_parse_double's decimal fast path (Clinger) gives strtod's double,
 *    bit for bit, for decimals of every length, magnitude and rounding
 *    neighbourhood, and defers to strtod for the rest (exponents, long
 *    mantissas, malformed tokens are refused as before);
 *  - nps_format_fixed writes the characters of printf's %.*f, ties to even
 *    included, for random values of every magnitude, exact halves, zeros of
 *    both signs, subnormals, and the values printf handles itself.
 */
#include "../src/core/internal.h"
#include "check.h"

#include <float.h>
#include <stdint.h>

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t parse_differs(const char *text)
{
    double a = 0, b;
    int rc = nps_parse_double(&a, text);
    char *end;
    b = strtod(text, &end);
    if (rc != 0) {
        fprintf(stderr, "refused: '%s'\n", text);
        return 1;
    }
    if (memcmp(&a, &b, sizeof a) != 0) {
        fprintf(stderr, "'%s': %.17g, strtod %.17g\n", text, a, b);
        return 1;
    }
    return 0;
}

static void parsing(void)
{
    size_t differ = 0, n = 0;
    char t[64];
    for (int i = 0; i < 2000000; i++) {
        /* up to 17 digits, the point anywhere, a sign sometimes */
        int nd = 1 + (int)(next() % 17), pt = (int)(next() % (unsigned)(nd + 1));
        size_t k = 0;
        if (next() % 4 == 0) t[k++] = next() % 2 ? '-' : '+';
        for (int d = 0; d < nd; d++) {
            if (d == pt && pt > 0) t[k++] = '.';
            t[k++] = (char)('0' + (int)(next() % 10));
        }
        t[k] = '\0';
        differ += parse_differs(t);
        n++;
    }
    /* the neighbourhoods of doubles printed with 15 to 17 digits */
    for (int i = 0; i < 200000; i++) {
        double v = ldexp((double)(next() >> 11), -(int)(next() % 60));
        for (int p = 15; p <= 17; p++) {
            snprintf(t, sizeof t, "%.*f", p - 1 - (int)floor(log10(v > 0 ? v : 1)), v);
            differ += parse_differs(t);
            n++;
        }
    }
    static const char *const edge[] = {"0",
                                       "-0",
                                       "+0.0",
                                       "00000012.50",
                                       ".5",
                                       "5.",
                                       "  7.25  ",
                                       "0.0000000000000000000001",
                                       "123456789012345",
                                       "1234567890123456",
                                       "3.14159265358979323846",
                                       "1e3",
                                       "-2.5E-3",
                                       "1234.5\r\n"};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) differ += parse_differs(edge[i]);
    double x = 1;
    static const char *const bad[] = {"",    "-",   ".",     "+.",  "1.5.3", "5x",
                                      "nan", "inf", "1e999", "--1", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(nps_parse_double(&x, bad[i]) != 0, "'%s' accepted", bad[i]);
    double z;
    CHECK(nps_parse_double(&z, "-0") == 0 && signbit(z));
    printf("parse: %zu decimals against strtod, %zu differ\n", n, differ);
    CHECK(differ == 0);
}

static size_t format_differs(double v, int d)
{
    char a[512], b[512];
    int ka = nps_format_fixed(a, sizeof a, v, d), kb = snprintf(b, sizeof b, "%.*f", d, v);
    if (ka != kb || strcmp(a, b) != 0) {
        fprintf(stderr, "%.17g with %d decimals: '%s', printf '%s'\n", v, d, a, b);
        return 1;
    }
    return 0;
}

static void formatting(void)
{
    size_t differ = 0, n = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t bits = next();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v)) continue;
        /* scale into the range the reports print, or keep it as it is */
        if (i % 4) v = ldexp(frexp(v, &(int){0}), (int)(next() % 80) - 40);
        differ += format_differs(v, (int)(next() % 10));
        n++;
    }
    /* exact halves at every decimal place: ties to even */
    for (int d = 0; d <= 9; d++)
        for (int k = 0; k < 4000; k++) {
            double v = ((double)k + 0.5) / pow(10, d);
            differ += format_differs(v, d) + format_differs(-v, d);
            differ += format_differs((double)k / 8, d) + format_differs((double)k / 1024, d);
            n += 4;
        }
    static const double edge[] = {0.0,
                                  -0.0,
                                  1e-320,
                                  -1e-310,
                                  DBL_MIN,
                                  0.5,
                                  1.5,
                                  2.5,
                                  -0.5,
                                  9007199254740991.0,
                                  9007199254740992.0,
                                  1e300,
                                  -1e20,
                                  0.999999999,
                                  0.9999995,
                                  123.4565,
                                  1e-7};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        for (int d = 0; d <= 12; d++) differ += format_differs(edge[i], d), n++;
    differ += format_differs(NAN, 4) + format_differs(-INFINITY, 4);
    /* a short buffer is cut like snprintf's */
    char s[4];
    CHECK(nps_format_fixed(s, sizeof s, 12.345, 3) == 6 && strcmp(s, "12.") == 0);
    printf("format: %zu values against printf, %zu differ\n", n, differ);
    CHECK(differ == 0);
}

int main(void)
{
    parsing();
    formatting();
    return check_done("test_numbers");
}

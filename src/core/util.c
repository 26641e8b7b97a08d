/*
 * Small utilities: amortised growth of arrays (doubling, so appending n items
 * costs O(n) copies in total), ASCII case folding, and strict number parsing.
 * Number parsing is strict on purpose: "12abc", "nan" and "inf" are errors,
 * because a silently mangled peak is worse than a rejected record.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nps_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return nps_err(NPS_ENOMEM, "allocation too large");
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem) return nps_err(NPS_ENOMEM, "allocation too large");
    void *p = realloc(*buf, ncap * elem);
    if (!p) return nps_err(NPS_ENOMEM, "out of memory (%zu bytes)", ncap * elem);
    *buf = p;
    *cap = ncap;
    return 0;
}

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* ASCII only and locale-free: metadata keys are ASCII, and this sits on the
 * library-open path (several lookups per spectrum). */
int nps_strcaseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (fold((unsigned char)*a) != fold((unsigned char)*b)) return 0;
    return *a == *b;
}

char *nps_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) {
        nps_err(NPS_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(p, s, n);
    return p;
}

/* The decimal fast path of Clinger (W. D. Clinger, "How to read floating
 * point numbers accurately", PLDI 1990): a plain decimal [+-]ddd[.ddd] of at
 * most 15 significant digits and at most 22 after the point is N / 10^k with
 * N and 10^k both exact doubles, so one IEEE division rounds it correctly:
 * the very double strtod returns, at a fraction of its cost (a spectra file
 * is millions of such numbers). Anything else (more digits, an exponent, a
 * malformed token) is left to strtod: returns 0 then. */
static int parse_plain_decimal(double *out, const char *s)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = *s == '-';
    if (*s == '+' || *s == '-') s++;
    uint64_t n = 0;
    int sig = 0, frac = 0, digits = 0, point = 0;
    for (;; s++) {
        if (*s >= '0' && *s <= '9') {
            digits++;
            if (point) frac++;
            if (n == 0 && *s == '0') continue; /* leading zeros are not significant */
            if (++sig > 15) return 0;
            n = n * 10 + (uint64_t)(*s - '0');
        } else if (*s == '.' && !point) {
            point = 1;
        } else {
            break;
        }
    }
    if (digits == 0 || frac > 22) return 0;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    if (*s) return 0;
    double v = (double)n / p10[frac];
    *out = neg ? -v : v;
    return 1;
}

int nps_parse_double(double *out, const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return NPS_EFORMAT;
    if (parse_plain_decimal(out, s)) return 0;
    /* strtod accepts "nan", "inf" and hex floats; a spectrum never holds them. */
    const char *c = s;
    if (*c == '+' || *c == '-') c++;
    if (!(isdigit((unsigned char)*c) || (*c == '.' && isdigit((unsigned char)c[1]))))
        return NPS_EFORMAT;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v)) return NPS_EFORMAT;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
    if (*end) return NPS_EFORMAT;
    *out = v;
    return 0;
}

uint64_t nps_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int nps_library_signature(const void *head, size_t n)
{
    static const char envelope[] = "npsmatch library\n";
    static const char hdf5[] = "\x89HDF\r\n\x1a\n";
    return (n >= sizeof envelope - 1 && memcmp(head, envelope, sizeof envelope - 1) == 0) ||
           (n >= sizeof hdf5 - 1 && memcmp(head, hdf5, sizeof hdf5 - 1) == 0);
}

/* Exact %.*f: |v| = M 2^E with M < 2^53 an integer (E <= 0 below 2^53), so
 * |v| 10^d = M 10^d 2^E, and M 10^d < 2^83 fits 128 bits: the quotient of the
 * shift is the digits, its remainder decides the rounding, to nearest with
 * ties to even (glibc's printf in the default rounding mode). */
int nps_format_fixed(char *out, size_t size, double v, int decimals)
{
#ifndef __SIZEOF_INT128__ /* no 128-bit integers (32-bit targets): stdio's */
    return snprintf(out, size, "%.*f", decimals, v);
#else
    if (!isfinite(v) || decimals < 0 || decimals > 9 || fabs(v) >= 9007199254740992.0)
        return snprintf(out, size, "%.*f", decimals, v);
    int e;
    double m = frexp(fabs(v), &e);
    uint64_t M = (uint64_t)ldexp(m, 53); /* exact: m has 53 bits */
    int sh = 53 - e;                     /* |v| = M 2^-sh, sh >= 0 */
    static const uint64_t p10[] = {1,      10,      100,      1000,      10000,
                                   100000, 1000000, 10000000, 100000000, 1000000000};
    unsigned __int128 N = (unsigned __int128)M * p10[decimals], q;
    if (sh == 0) {
        q = N;
    } else if (sh >= 100) {
        q = 0; /* N < 2^83 is below half of 2^sh: rounds to 0 */
    } else {
        unsigned __int128 one = 1, rem = N & ((one << sh) - 1), half = one << (sh - 1);
        q = N >> sh;
        if (rem > half || (rem == half && (q & 1))) q++;
    }
    char digits[48];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + (int)(q % 10));
        q /= 10;
    } while (q > 0 || nd <= (size_t)decimals);
    /* digits holds at least decimals + 1 digits, least significant first */
    char buf[64];
    size_t k = 0;
    if (signbit(v)) buf[k++] = '-';
    for (size_t i = nd; i-- > (size_t)decimals;) buf[k++] = digits[i];
    if (decimals > 0) {
        buf[k++] = '.';
        for (size_t i = (size_t)decimals; i-- > 0;) buf[k++] = digits[i];
    }
    buf[k] = '\0';
    if (size) {
        size_t c = k < size ? k : size - 1;
        memcpy(out, buf, c);
        out[c] = '\0';
    }
    return (int)k;
#endif
}

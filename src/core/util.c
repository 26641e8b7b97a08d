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

int nps_parse_double(double *out, const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return NPS_EFORMAT;
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

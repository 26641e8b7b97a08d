/*
 * ASDF, the compressed number forms of JCAMP-DX (McDonald & Wilks, Appl.
 * Spectrosc. 42 (1988) 151; Lampen et al., Appl. Spectrosc. 48 (1994) 1545
 * for the mass-spectrometry profile). One data line is a run of numbers in
 * any mix of:
 *   AFFN  plain numbers separated by blanks or commas ("99 98,97");
 *   PAC   numbers separated only by their sign ("99+98-3");
 *   SQZ   the first digit and sign folded into a letter: @ A..I = 0 +1..+9,
 *         a..i = -1..-9 ("99I8" = 99 98);
 *   DIF   like SQZ but the number is a difference from the previous value:
 *         % J..R = 0 +1..+9, j..r = -1..-9 ("99jj" = 99 98 97);
 *   DUP   S..Z s = 1..9: the previous token occurs this many times in all
 *         ("99jU" = 99 98 97 96: the difference -1 three times).
 * A letter E/e followed by a sign is an exponent ("3.01749e+006"), never SQZ:
 * SQZ is never followed by a sign. The caller handles the line-level rules
 * (the first number is the abscissa; after a line ending in DIF, the next
 * line repeats the last ordinate as a check value).
 */
#include "jcamp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/* Copy a number's characters (digits and at most one point, optionally an
 * exponent) after a lead digit into buf; returns the position after it. */
static const char *scan_digits(char *buf, size_t *k, size_t cap, const char *p, int exponent_ok)
{
    while (*p && (isdigit((unsigned char)*p) || *p == '.')) {
        if (*k + 1 < cap) buf[(*k)++] = *p;
        p++;
    }
    if (exponent_ok && (*p == 'E' || *p == 'e') && (p[1] == '+' || p[1] == '-') &&
        isdigit((unsigned char)p[2])) {
        if (*k + 2 < cap) {
            buf[(*k)++] = 'e';
            buf[(*k)++] = p[1];
        }
        p += 2;
        while (isdigit((unsigned char)*p)) {
            if (*k + 1 < cap) buf[(*k)++] = *p;
            p++;
        }
    }
    buf[*k] = '\0';
    return p;
}

int nps_asdf_decode(double *out, size_t cap, size_t *n_out, int *ends_dif, const char *s,
                    char *reason, size_t rsize)
{
    size_t n = 0;
    double prev = 0, last_dif = 0;
    int last = 0; /* kind of the last value token: 0 none, 1 absolute, 2 difference */
    const char *p = s;
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == ',' || c == ';' || c == '\r') {
            p++;
            continue;
        }
        char buf[64];
        size_t k = 0;
        int kind;
        if (isdigit(c) || c == '.' || c == '+' || c == '-') { /* AFFN / PAC */
            buf[k++] = (char)c;
            p = scan_digits(buf, &k, sizeof buf, p + 1, 1);
            kind = 1;
            if ((c == '+' || c == '-') && k == 1) {
                snprintf(reason, rsize, "a sign without a number");
                return -1;
            }
        } else if (c == '@' || (c >= 'A' && c <= 'I') || (c >= 'a' && c <= 'i')) { /* SQZ */
            if (c != '@' && c >= 'a') buf[k++] = '-';
            buf[k++] = (char)(c == '@' ? '0' : c >= 'a' ? '1' + (c - 'a') : '1' + (c - 'A'));
            p = scan_digits(buf, &k, sizeof buf, p + 1, 0);
            kind = 1;
        } else if (c == '%' || (c >= 'J' && c <= 'R') || (c >= 'j' && c <= 'r')) { /* DIF */
            if (c != '%' && c >= 'j') buf[k++] = '-';
            buf[k++] = (char)(c == '%' ? '0' : c >= 'j' ? '1' + (c - 'j') : '1' + (c - 'J'));
            p = scan_digits(buf, &k, sizeof buf, p + 1, 0);
            kind = 2;
        } else if ((c >= 'S' && c <= 'Z') || c == 's') { /* DUP */
            buf[k++] = (char)(c == 's' ? '9' : '1' + (c - 'S'));
            p = scan_digits(buf, &k, sizeof buf, p + 1, 0);
            char *end;
            unsigned long count = strtoul(buf, &end, 10);
            if (*end || count == 0) {
                snprintf(reason, rsize, "bad DUP count '%s'", buf);
                return -1;
            }
            if (!last) {
                snprintf(reason, rsize, "DUP count with nothing to repeat");
                return -1;
            }
            for (unsigned long r = 1; r < count; r++) {
                if (n == cap) {
                    snprintf(reason, rsize, "line holds more than %zu values", cap);
                    return -1;
                }
                prev = last == 2 ? prev + last_dif : prev;
                out[n++] = prev;
            }
            continue;
        } else {
            snprintf(reason, rsize, "unexpected character '%c' in compressed data",
                     isprint(c) ? c : '?');
            return -1;
        }
        char *end;
        double v = strtod(buf, &end);
        if (*end) {
            snprintf(reason, rsize, "bad number '%s'", buf);
            return -1;
        }
        if (kind == 2) {
            if (!last) {
                snprintf(reason, rsize, "DIF value with no value before it");
                return -1;
            }
            last_dif = v;
            v = prev + v;
        }
        if (n == cap) {
            snprintf(reason, rsize, "line holds more than %zu values", cap);
            return -1;
        }
        out[n++] = v;
        prev = v;
        last = kind;
    }
    *n_out = n;
    *ends_dif = last == 2;
    return 0;
}

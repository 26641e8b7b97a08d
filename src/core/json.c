/*
 * The JSON rules, written once for every JSON writer (spectra, search
 * results, the run's provenance).
 *
 * jansson (Debian libjansson-dev) builds and serialises the values; it
 * escapes strings and refuses to build a NaN. What it cannot know is the
 * application's rules, kept here:
 *
 *  - strings from spectra files are not always UTF-8, and jansson rejects
 *    invalid UTF-8; such bytes are read as Latin-1, which is what they almost
 *    always are in a drug library from older software;
 *  - numbers are rounded to the precision they mean (a score to 6 places, an
 *    m/z difference to 4), then printed with up to 15 significant digits,
 *    so 0.831234 prints as 0.831234 and not as its binary neighbour;
 *  - a non-finite number is null;
 *  - a key is set once per object: setting it again is a programming error
 *    reported as NPS_EINVAL, never a silently replaced or duplicated value.
 *
 * Large outputs are streamed: the writers dump one spectrum or one query at
 * a time, so memory stays bounded by one record however long the run.
 */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t nps_utf8_len(const unsigned char *p)
{
    size_t n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t k = 1; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    if (n == 3 && p[0] == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
    if (n == 3 && p[0] == 0xED && p[1] > 0x9F) return 0; /* UTF-16 surrogates */
    if (n == 4 && p[0] == 0xF0 && p[1] < 0x90) return 0; /* overlong */
    if (n == 4 && p[0] == 0xF4 && p[1] > 0x8F) return 0; /* beyond U+10FFFF */
    return n;
}

json_t *nps_json_str(const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s), extra = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            i++;
        } else {
            size_t k = nps_utf8_len(u + i);
            if (k) {
                i += k;
            } else {
                extra++;
                i++;
            }
        }
    }
    if (!extra) return json_stringn(s, n);
    char *t = malloc(n + extra + 1);
    if (!t) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = u[i] < 0x80 ? 1 : nps_utf8_len(u + i);
        if (k) {
            memcpy(t + o, u + i, k);
            o += k;
            i += k;
        } else { /* Latin-1 byte -> U+0080..U+00FF */
            t[o++] = (char)(0xC0 | (u[i] >> 6));
            t[o++] = (char)(0x80 | (u[i] & 0x3F));
            i++;
        }
    }
    json_t *v = json_stringn(t, o);
    free(t);
    return v;
}

json_t *nps_json_num(double v, int decimals)
{
    if (!isfinite(v)) return json_null();
    if (decimals >= 0) {
        double f = pow(10.0, decimals);
        double r = round(v * f) / f;
        if (isfinite(r)) v = r;
    } else {
        char b[40];
        snprintf(b, sizeof b, "%.*g", -decimals, v);
        v = strtod(b, NULL);
    }
    return json_real(v);
}

int nps_json_set(json_t *obj, const char *key, json_t *value)
{
    if (!value) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
    if (json_object_get(obj, key)) {
        json_decref(value);
        return nps_err(NPS_EINVAL, "JSON key \"%s\" set twice in one object", key);
    }
    if (json_object_set_new(obj, key, value) != 0)
        return nps_err(NPS_ENOMEM, "out of memory (JSON)");
    return 0;
}

nps_jobj nps_json_object(void)
{
    nps_jobj j = {json_object(), 0};
    if (!j.o) j.rc = NPS_ENOMEM;
    return j;
}

void nps_json_put(nps_jobj *j, const char *key, json_t *value)
{
    if (j->rc) {
        json_decref(value);
        return;
    }
    j->rc = nps_json_set(j->o, key, value);
}

json_t *nps_json_done(nps_jobj *j)
{
    if (!j->rc) return j->o;
    json_decref(j->o);
    j->o = NULL;
    return NULL;
}

int nps_json_dump(FILE *fp, const json_t *v, int indent)
{
    size_t flags = JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER;
    if (indent > 0) flags |= JSON_INDENT(indent);
    if (json_dumpf(v, fp, flags) != 0 || ferror(fp)) return nps_err(NPS_EIO, "write error (JSON)");
    return 0;
}

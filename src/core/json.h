/* JSON values for every writer (private): jansson, with the two rules
 * JSON output needs written once. */
#ifndef NPS_CORE_JSON_H
#define NPS_CORE_JSON_H

#include "internal.h"

#include <jansson.h>
#include <stdio.h>

/* A string value from any bytes: valid UTF-8 is kept, a byte that does not
 * start a valid UTF-8 sequence is taken as Latin-1 (older instrument
 * software writes "méthylène" that way), so nothing is lost and the output
 * is always valid JSON. NULL (out of memory) only. */
json_t *nps_json_str(const char *s);
/* Length of the valid UTF-8 sequence at p (2..4; p[0] >= 0x80), or 0. */
size_t nps_utf8_len(const unsigned char *p);
/* A number rounded to `decimals` places (decimals < 0: to -decimals
 * significant digits), or null when it is not finite: JSON has no NaN or
 * infinity, and a bare "inf" would make the whole document unreadable. */
json_t *nps_json_num(double v, int decimals);
/* Set key on obj (stealing value). A key already present is an error: JSON
 * objects must not hold a key twice (RFC 8259 leaves what a reader does
 * with one undefined). Returns 0, NPS_EINVAL for a duplicate, NPS_ENOMEM. */
int nps_json_set(json_t *obj, const char *key, json_t *value);
/* Building an object field by field: nps_json_put keeps the first error and
 * ignores (frees) later values, so a writer reads as a list of fields and
 * checks once, with nps_json_done (the object, or NULL after an error). */
typedef struct {
    json_t *o;
    int rc;
} nps_jobj;
nps_jobj nps_json_object(void);
void nps_json_put(nps_jobj *j, const char *key, json_t *value);
json_t *nps_json_done(nps_jobj *j);

/* Dump one value to fp (no trailing newline); NPS_EIO on a write error. */
int nps_json_dump(FILE *fp, const json_t *v, int indent);

#endif

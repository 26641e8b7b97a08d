/* JCAMP-DX internals shared with the tests (private). */
#ifndef NPS_IO_JCAMP_H
#define NPS_IO_JCAMP_H

#include <stddef.h>

/* Decode one ASDF data line into out (at most cap values): every number in
 * the line, the abscissa included, with DIF and DUP resolved. *ends_dif
 * tells whether the last value was a DIF (then the next line starts with a
 * check value). Returns 0, or -1 with a reason. */
int nps_asdf_decode(double *out, size_t cap, size_t *n_out, int *ends_dif, const char *s,
                    char *reason, size_t rsize);

#endif

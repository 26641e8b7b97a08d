/* Base64 + zlib numeric arrays of the XML formats (private). */
#ifndef NPS_IO_BINARRAY_H
#define NPS_IO_BINARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Incremental base64 decoder: text arrives in arbitrary chunks from the XML
 * parser; whitespace is skipped, anything else outside the alphabet is an
 * error. Output beyond `limit` bytes is an error too, which bounds memory by
 * what the element declared before its text started. */
typedef struct {
    unsigned char *buf;
    size_t n, cap, limit;
    uint32_t acc;
    int nacc; /* sextets in acc */
    int pad;  /* '=' seen: only '=' and whitespace may follow */
    int bad;  /* 1 invalid character, 2 over the limit */
} nps_b64;

void nps_b64_reset(nps_b64 *b, size_t limit);
void nps_b64_free(nps_b64 *b);
/* Returns 0, NPS_ENOMEM, or NPS_EFORMAT with b->bad set. */
int nps_b64_feed(nps_b64 *b, const char *s, size_t n);
/* Check the tail: a dangling sextet is an error. */
int nps_b64_finish(nps_b64 *b);

typedef enum { NPS_NUM_F32, NPS_NUM_F64, NPS_NUM_I32, NPS_NUM_I64 } nps_numtype;

/* Decode `count` numbers (count * stride values are expected when stride is 2,
 * interleaved pairs) from raw bytes, inflating first when zlib is set.
 * scratch/scratch_cap is a reusable buffer for the inflated bytes.
 * Returns 0, NPS_ENOMEM, or NPS_EFORMAT with a reason. */
int nps_binarray_decode(double *out, size_t count, const unsigned char *raw, size_t raw_n,
                        nps_numtype type, int zlib, int big_endian, unsigned char **scratch,
                        size_t *scratch_cap, char *reason, size_t rsize);

size_t nps_numtype_width(nps_numtype t);

#endif

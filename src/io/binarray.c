/*
 * Binary data arrays of mzML and mzXML: base64 text (RFC 4648, standard
 * alphabet), optionally zlib-compressed (RFC 1950), holding 32- or 64-bit
 * IEEE floats or integers, little-endian (mzML) or network order (mzXML).
 *
 * The decoder is incremental because an XML parser hands character data over
 * in chunks of its own choosing, and bounded because a hostile file can claim
 * anything: the caller sets the most bytes the element may decode to (from
 * the array length it declared) and the decoder stops past it, so neither a
 * long base64 run nor a zlib bomb can take more memory than the declared
 * array needs. The inflated size must equal the declared size exactly; a
 * short or long stream is a malformed record, not a truncated spectrum.
 */
#include "binarray.h"

#include "../core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: no cast away of the input's const */
#include <zlib.h>

static signed char b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return (signed char)(c - 'A');
    if (c >= 'a' && c <= 'z') return (signed char)(c - 'a' + 26);
    if (c >= '0' && c <= '9') return (signed char)(c - '0' + 52);
    if (c == '+' || c == '-') return 62; /* '-' and '_': the URL-safe variant */
    if (c == '/' || c == '_') return 63;
    return -1;
}

void nps_b64_reset(nps_b64 *b, size_t limit)
{
    b->n = 0;
    b->limit = limit;
    b->acc = 0;
    b->nacc = 0;
    b->pad = 0;
    b->bad = 0;
}

void nps_b64_free(nps_b64 *b)
{
    free(b->buf);
    b->buf = NULL;
    b->cap = 0;
}

static int put(nps_b64 *b, unsigned char byte)
{
    if (b->n >= b->limit) {
        b->bad = 2;
        return NPS_EFORMAT;
    }
    if (b->n == b->cap) {
        void *p = b->buf;
        if (nps_grow(&p, &b->cap, b->n + 1, 1)) return NPS_ENOMEM;
        b->buf = p;
    }
    b->buf[b->n++] = byte;
    return 0;
}

int nps_b64_feed(nps_b64 *b, const char *s, size_t n)
{
    if (b->bad) return NPS_EFORMAT;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            b->pad = 1;
            continue;
        }
        signed char v = b64_value(c);
        if (v < 0 || b->pad) {
            b->bad = 1;
            return NPS_EFORMAT;
        }
        b->acc = (b->acc << 6) | (uint32_t)v;
        if (++b->nacc == 4) {
            int rc;
            if ((rc = put(b, (unsigned char)(b->acc >> 16))) ||
                (rc = put(b, (unsigned char)(b->acc >> 8))) || (rc = put(b, (unsigned char)b->acc)))
                return rc;
            b->acc = 0;
            b->nacc = 0;
        }
    }
    return 0;
}

int nps_b64_finish(nps_b64 *b)
{
    if (b->bad) return NPS_EFORMAT;
    int rc = 0;
    switch (b->nacc) {
    case 0:
        break;
    case 2: /* 12 bits: one byte */
        rc = put(b, (unsigned char)(b->acc >> 4));
        break;
    case 3: /* 18 bits: two bytes */
        if (!(rc = put(b, (unsigned char)(b->acc >> 10))))
            rc = put(b, (unsigned char)(b->acc >> 2));
        break;
    default: /* a single dangling sextet cannot encode a byte */
        b->bad = 1;
        return NPS_EFORMAT;
    }
    b->nacc = 0;
    return rc;
}

size_t nps_numtype_width(nps_numtype t)
{
    return t == NPS_NUM_F32 || t == NPS_NUM_I32 ? 4 : 8;
}

/* Inflate into exactly out_n bytes; out has room for out_n + 1 so that a
 * stream that would produce more is caught rather than cut. Arrays are
 * bounded by the reader's peak limit, far below zlib's 4 GiB uInt counts. */
static int inflate_exact(const unsigned char *in, size_t in_n, unsigned char *out, size_t out_n,
                         char *reason, size_t rsize)
{
    if (in_n >= UINT32_MAX || out_n >= UINT32_MAX - 1) {
        snprintf(reason, rsize, "compressed array is too large");
        return NPS_EFORMAT;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return nps_err(NPS_ENOMEM, "zlib: out of memory");
    z.next_in = in;
    z.avail_in = (uInt)in_n;
    z.next_out = out;
    z.avail_out = (uInt)(out_n + 1);
    int zr = inflate(&z, Z_FINISH);
    size_t got = out_n + 1 - z.avail_out;
    inflateEnd(&z);
    if (zr == Z_MEM_ERROR) return nps_err(NPS_ENOMEM, "zlib: out of memory");
    if (got > out_n) {
        snprintf(reason, rsize, "zlib stream inflates to more than the declared %zu bytes", out_n);
        return NPS_EFORMAT;
    }
    if (zr != Z_STREAM_END) {
        snprintf(reason, rsize, "bad zlib stream (%s)",
                 zr == Z_DATA_ERROR ? "corrupt data" : "truncated");
        return NPS_EFORMAT;
    }
    if (got != out_n) {
        snprintf(reason, rsize, "zlib stream inflates to %zu bytes, the array needs %zu", got,
                 out_n);
        return NPS_EFORMAT;
    }
    return 0;
}

static uint64_t load(const unsigned char *p, size_t w, int big_endian)
{
    uint64_t v = 0;
    if (big_endian)
        for (size_t k = 0; k < w; k++) v = (v << 8) | p[k];
    else
        for (size_t k = w; k-- > 0;) v = (v << 8) | p[k];
    return v;
}

int nps_binarray_decode(double *out, size_t count, const unsigned char *raw, size_t raw_n,
                        nps_numtype type, int zlib, int big_endian, unsigned char **scratch,
                        size_t *scratch_cap, char *reason, size_t rsize)
{
    size_t w = nps_numtype_width(type);
    if (count > SIZE_MAX / w) {
        snprintf(reason, rsize, "array of %zu values is too large", count);
        return NPS_EFORMAT;
    }
    size_t need = count * w;
    const unsigned char *bytes = raw;
    if (zlib) {
        void *p = *scratch;
        if (nps_grow(&p, scratch_cap, need + 1, 1)) return NPS_ENOMEM;
        *scratch = p;
        int rc = inflate_exact(raw, raw_n, *scratch, need, reason, rsize);
        if (rc) return rc;
        bytes = *scratch;
    } else if (raw_n != need) {
        snprintf(reason, rsize, "binary array holds %zu bytes, %zu values of %zu bytes need %zu",
                 raw_n, count, w, need);
        return NPS_EFORMAT;
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t v = load(bytes + i * w, w, big_endian);
        switch (type) {
        case NPS_NUM_F32: {
            uint32_t u = (uint32_t)v;
            float f;
            memcpy(&f, &u, sizeof f);
            out[i] = f;
            break;
        }
        case NPS_NUM_F64:
            memcpy(&out[i], &v, sizeof v);
            break;
        case NPS_NUM_I32:
            out[i] = (double)(int32_t)(uint32_t)v;
            break;
        case NPS_NUM_I64:
            out[i] = (double)(int64_t)v;
            break;
        }
    }
    return 0;
}

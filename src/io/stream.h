/* One buffered input stream for every reader (private). */
#ifndef NPS_IO_STREAM_H
#define NPS_IO_STREAM_H

#include "../core/internal.h"

#include <stddef.h>

/*
 * The bytes of a spectra file, from wherever they come: a path, standard
 * input ("-"), a pipe, a FIFO, a process substitution, or a caller's memory
 * buffer (a server's upload). gzip data (one or more members) is inflated on
 * the fly, whatever the name. The stream is read strictly forward, once:
 * format detection peeks at the first bytes through the same buffer the
 * reader then consumes, so nothing is lost on a source that cannot be
 * reopened or rewound.
 */
typedef struct nps_stream nps_stream;

/* Open a path; "-" is standard input (never closed by the stream). */
int nps_stream_open_path(nps_stream **out, const char *path);
/* Read from [data, data + len), which must outlive the stream; `name` is
 * what messages call it. */
int nps_stream_open_memory(nps_stream **out, const void *data, size_t len, const char *name);
void nps_stream_close(nps_stream *s);

/* The name used in messages ("stdin" for "-"). */
const char *nps_stream_name(const nps_stream *s);
/* True when the bytes are being inflated from gzip. */
int nps_stream_gzip(const nps_stream *s);

/* Make up to `want` bytes available without consuming them: *data points to
 * them and *got says how many there are (fewer only at the end). */
int nps_stream_peek(const unsigned char **data, size_t *got, nps_stream *s, size_t want);
/* Consume up to `cap` bytes into dst; *got is 0 only at the end. */
int nps_stream_read(void *dst, size_t *got, nps_stream *s, size_t cap);
/* The buffered bytes, consumed in place: *data and *got describe what is
 * buffered now (refilled when empty; *got 0 at the end); the caller then
 * calls nps_stream_consume with how many it used. */
int nps_stream_window(const unsigned char **data, size_t *got, nps_stream *s);
void nps_stream_consume(nps_stream *s, size_t n);

#endif

/* Line reader shared by the text-format parsers (private). */
#ifndef NPS_IO_LINES_H
#define NPS_IO_LINES_H

#include "../core/internal.h"
#include "stream.h"

#include <stdio.h>

typedef struct {
    nps_stream *in; /* not owned */
    const char *path;
    char *buf;
    size_t cap;
    size_t len;    /* length of the current line, without the newline */
    size_t lineno; /* 1-based number of the current line */
    size_t max_len;
    int binary;   /* the current line holds a NUL or other control byte */
    int too_long; /* the current line exceeded max_len (rest discarded) */
    int partial;  /* the current line ended at end of file without a newline */
    char why[64]; /* nps_lines_defect's message */
} nps_lines;

int nps_lines_open(nps_lines *r, nps_stream *in, size_t max_len);
void nps_lines_close(nps_lines *r);
/* Read the next line into r->buf (NUL-terminated, CR/LF stripped, UTF-8 BOM
 * removed from line 1). Returns 1 for a line, 0 at end of file, or a negative
 * error code for a read error. */
int nps_lines_next(nps_lines *r);
/* What makes the current line unreadable for a text format ("binary data in
 * a text file", "line longer than N bytes"), or NULL when nothing does. */
const char *nps_lines_defect(nps_lines *r);
/* True when the line holds only blanks. */
int nps_line_blank(const char *s);

/* Alias table: the canonical key for a key as written in any format, or NULL
 * to keep the key as written. */
const char *nps_key_canonical(const char *key);

/* Accumulator for one record being parsed. */
typedef struct {
    double *mz;
    float *in;
    char **ann; /* per-peak annotation or NULL */
    size_t n, cap;
    char **keys, **vals;
    size_t nmeta, meta_cap;
} nps_record;

void nps_record_reset(nps_record *r);
void nps_record_free(nps_record *r);
int nps_record_meta(nps_record *r, const char *key, const char *value);
int nps_record_peak(nps_record *r, double mz, float in);
const char *nps_record_get(const nps_record *r, const char *key);

/* Parse the numbers of one peak line into rec. Returns 0, or NPS_EFORMAT with
 * a reason in `reason` (of size `rsize`). pairs_mode 1 reads every number as
 * alternating m/z, intensity; 0 reads the first two numbers and ignores the
 * rest of the line (annotations); -1 decides from the line's separators. */
int nps_parse_peak_line(nps_record *rec, const char *line, int pairs_mode, char *reason,
                        size_t rsize);

/* Shared error routing for the readers: report a bad record through the
 * options' callback, count it, and tell whether to stop (strict). */
typedef struct {
    const char *path; /* the stream's name, for messages */
    nps_stream *in;
    const nps_read_options *opt;
    nps_read_report *rep;
} nps_read_ctx;

int nps_read_bad(nps_read_ctx *c, size_t line, const char *reason);
/* Whether the records go to options->on_batch as they are read. */
static inline int nps_read_streamed(const nps_read_options *o)
{
    return o->version >= 2 && o->on_batch != NULL;
}
/* Commit a parsed record to the collection (validates, adds). */
int nps_read_commit(nps_read_ctx *c, nps_spectra *dst, nps_record *rec, size_t line,
                    size_t record_no);

int nps_msp_read(nps_spectra *dst, nps_read_ctx *c);
int nps_mgf_read(nps_spectra *dst, nps_read_ctx *c);
int nps_massbank_read(nps_spectra *dst, nps_read_ctx *c);
int nps_csv_read(nps_spectra *dst, nps_read_ctx *c);
int nps_mzml_read(nps_spectra *dst, nps_read_ctx *c);
int nps_mzxml_read(nps_spectra *dst, nps_read_ctx *c);
int nps_jcamp_read(nps_spectra *dst, nps_read_ctx *c);
int nps_ms2_read(nps_spectra *dst, nps_read_ctx *c);
int nps_mzspeclib_read(nps_spectra *dst, nps_read_ctx *c);
int nps_andi_read(nps_spectra *dst, nps_read_ctx *c);
/* The first bytes of a netCDF classic or 64-bit-offset file ("CDF\1", "CDF\2"). */
int nps_andi_signature(const void *head, size_t n);
/* An ANDI-MS file of n_scans MS1 scans (time in minutes; scan s holds points
 * [off[s], off[s+1]) of mz/in), EI, centroided or continuum. */
int nps_andi_write(const char *path, size_t n_scans, const double *time_min, const uint64_t *off,
                   const double *mz, const float *in, const char *sample, int centroid);
/* Shortest round-trip text of a double / float. */
void nps_fmt_double(char *buf, size_t n, double v);
void nps_fmt_float(char *buf, size_t n, float v);
int nps_msp_write(FILE *fp, const nps_spectra *s);
int nps_mgf_write(FILE *fp, const nps_spectra *s);
int nps_json_write(FILE *fp, const nps_spectra *s);

#endif

/*
 * Private helpers shared by every module of libnpsmatch: error raising,
 * growable arrays and small string utilities. Nothing here is public.
 */
#ifndef NPS_INTERNAL_H
#define NPS_INTERNAL_H

#include "npsmatch/npsmatch.h"

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define NPS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NPS_PRINTF(a, b)
#endif

/* NPS_CLONES: compile a hot, vectorisable loop once per x86-64 level
 * (AVX-512, AVX2 + FMA, and the baseline SSE2), the one the processor runs
 * chosen when the program is loaded (GCC and clang target_clones, an ELF
 * ifunc: glibc, whose __GLIBC__ npsmatch.h's standard headers define). The
 * binary stays portable; the loop gets the vector width of the machine it
 * runs on. Not under ThreadSanitizer, whose runtime is not ready when the
 * loader calls the chooser. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__) && !defined(__SANITIZE_THREAD__)
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NPS_NO_CLONES 1
#endif
#endif
#ifndef NPS_NO_CLONES
#define NPS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef NPS_CLONES
#define NPS_CLONES
#endif

/* The unit (nominal) m/z of a peak in an EI spectrum: the rule of
 * preprocessing and of the ion chromatograms of deconvolution alike. */
#define NPS_UNIT_MZ(mz) floor((mz) + 0.5)

/* Record a thread-local error message and return code (for `return nps_err(...)`). */
int nps_err(int code, const char *fmt, ...) NPS_PRINTF(2, 3);
/* The same for an input error: "file:line: reason". */
int nps_err_at(int code, const char *file, size_t line, const char *fmt, ...) NPS_PRINTF(4, 5);

/* Grow *buf (of element size elem, capacity *cap) to hold at least need
 * elements. Returns 0 or NPS_ENOMEM; *buf is unchanged on failure. */
int nps_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* Case-insensitive ASCII comparison. */
int nps_strcaseeq(const char *a, const char *b);
/* strdup that sets the error on failure. */
char *nps_strdup(const char *s);
/* Parse a whole string as a finite double (leading/trailing blanks allowed). */
int nps_parse_double(double *out, const char *s);
/* snprintf(out, size, "%.*f", decimals, v), the same characters, computed
 * exactly without stdio for finite |v| < 2^53 and 0 to 9 decimals. */
int nps_format_fixed(char *out, size_t size, double v, int decimals);
/* FNV-1a hash of a string. */
uint64_t nps_hash_str(const char *s);
/* True when the first n bytes of a file are those of an npsmatch library: the
 * integrity envelope's header, or (an older file, or one without its user
 * block) the HDF5 signature. The one rule for "is this a library file". */
int nps_library_signature(const void *head, size_t n);
#define NPS_LIBRARY_SNIFF_BYTES 17

/* nps_spectra_add with a fallback id ("file#record") used when the record
 * carries none of the id keys. */
int nps_spectra_add_ex(nps_spectra *s, const double *mz, const float *intensity, size_t n_peaks,
                       const char *const *keys, const char *const *values, size_t n_meta,
                       const char *fallback_id, int presorted, const char *const *annotations);
/* Attach per-peak annotations from a flat "text\0" store with P + 1 offsets
 * (an empty string: no annotation). */
int nps_spectra_set_annotations(nps_spectra *s, const uint64_t *off, const char *text, size_t len);
int nps_spectra_has_annotations(const nps_spectra *s);
/* Empty a collection, keeping its buffers (streamed reading). */
void nps_spectra_clear(nps_spectra *s);
/* Append spectrum i of src with other peaks (already sorted by m/z). */
int nps_spectra_add_derived(nps_spectra *dst, const nps_spectra *src, size_t i, const double *mz,
                            const float *in, size_t n);
/* Build a collection from flat arrays, taking ownership of peak_off (n + 1
 * entries), mz, in and text (NUL-separated key, value strings; meta_off gives
 * each spectrum's byte range). On failure the arrays are freed. When `like`
 * is given, text and meta_off are ignored (pass NULL) and the new collection
 * shares the metadata of `like`, which must outlive it; such a collection
 * cannot grow. */
int nps_spectra_adopt_flat(nps_spectra **out, size_t n, size_t *peak_off, double *mz, float *in,
                           char *text, size_t text_len, const size_t *meta_off,
                           const nps_spectra *like);
/* nps_preprocess_spectra for a library: the result shares the metadata of
 * `in` (which must outlive it and not grow) instead of copying it. */
int nps_preprocess_shared(nps_spectra **out, const nps_spectra *in,
                          const nps_preprocess_config *config);
/* Deduce the kind of a spectrum from its metadata. */
nps_kind nps_kind_from_meta(const char *const *keys, const char *const *values, size_t n,
                            double precursor_mz);
/* Parse the first token of a precursor field ("983.6 1234 2+") or NAN. */
double nps_parse_precursor(const char *value);

#endif

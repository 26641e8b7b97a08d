/*
 * libFuzzer harness for the spectrum file readers, one binary per format
 * (FUZZ_FORMAT), plus NPS_FORMAT_AUTO for format detection. The input is
 * read from memory (nps_io_read_memory: the same stream, detection and
 * readers as a file, a pipe or a server's upload, gzip included) with the
 * format forced, and whatever was read is written back out as MSP, MGF and
 * JSON into a stream that discards it, so odd metadata reaches the writers
 * too.
 *
 * Built without libFuzzer (no NPS_LIBFUZZER), the same file is a driver that
 * replays inputs given on the command line: ctest runs it over
 * tests/fuzz/regressions/, where every crash the fuzzers ever found is kept.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif
#include "npsmatch/npsmatch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT NPS_FORMAT_AUTO
#endif

static FILE *sink;

/* A stream that discards what is written (no device file needed). */
static ssize_t discard(void *cookie, const char *buf, size_t size)
{
    (void)cookie, (void)buf;
    return (ssize_t)size;
}

static void setup(void)
{
    if (sink) return;
    cookie_io_functions_t io = {NULL, discard, NULL, NULL};
    sink = fopencookie(NULL, "w", io);
    if (!sink) abort();
}

static int one(const uint8_t *data, size_t size, nps_format format)
{
    nps_spectra *s;
    if (nps_spectra_create(&s)) abort();
    nps_read_options o = NPS_READ_OPTIONS_INIT;
    o.format = format;
    o.max_peaks = 100000; /* keeps each run fast; the limit itself is exercised */
    o.max_line_bytes = 1 << 20;
    o.ms_level = -1;
    nps_read_report r = {0};
    nps_error_clear();
    int rc = nps_io_read_memory(s, &r, data, size, "fuzz-input", &o);
    if (rc && !nps_error_last()[0]) abort(); /* every failure explains itself */
    if (nps_spectra_count(s)) {
        nps_io_write(sink, s, NPS_FORMAT_MSP);
        nps_io_write(sink, s, NPS_FORMAT_MGF);
        nps_io_write(sink, s, NPS_FORMAT_JSON);
    }
    nps_spectra_free(s);
    return 0;
}

#ifdef NPS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    return one(data, size, FUZZ_FORMAT);
}
#else
int main(int argc, char **argv)
{
    setup();
    int n = 0;
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 2;
        }
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        size_t got = len > 0 ? fread(buf, 1, (size_t)len, fp) : 0;
        fclose(fp);
        /* every regression input goes through every reader, not only its own */
        static const nps_format all[] = {NPS_FORMAT_AUTO,     NPS_FORMAT_MSP,   NPS_FORMAT_MGF,
                                         NPS_FORMAT_MASSBANK, NPS_FORMAT_CSV,   NPS_FORMAT_MZML,
                                         NPS_FORMAT_MZXML,    NPS_FORMAT_JCAMP, NPS_FORMAT_MS2,
                                         NPS_FORMAT_MZSPECLIB};
        for (size_t f = 0; f < sizeof all / sizeof *all; f++) one(buf, got, all[f]);
        free(buf);
        n++;
    }
    printf("replayed %d inputs through every reader\n", n);
    return 0;
}
#endif

/*
 * libFuzzer harness for the HDF5 library loader. The input is written to a
 * file and opened as a library; a library that opens is verified and
 * searched, so the structural checks behind the loader are exercised too.
 *
 * FUZZ_SEALED: the harness first re-seals the integrity envelope (size and
 * CRC-32 of the bytes after the 512-byte header), so mutations get past the
 * checksum and reach HDF5 and the loader's own checks: damage that the
 * envelope would normally catch, fed to the layers behind it.
 */
#include "npsmatch/npsmatch.h"

#include "../../src/library/library.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static void setup(void)
{
    if (path[0]) return;
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/nps_fuzzlib_%ld.h5", dir && *dir ? dir : "/tmp",
             (long)getpid());
}

static int one(const uint8_t *data, size_t size, int sealed)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    fclose(fp);
    if (sealed && size > NPS_ENVELOPE_BYTES) nps_envelope_seal(path);
    nps_library *lib = NULL;
    nps_error_clear();
    int rc = nps_library_open(&lib, path);
    if (rc && !nps_error_last()[0]) abort();
    if (rc == 0) {
        nps_library_verify(lib);
        const nps_spectra *q = nps_library_spectra(lib);
        if (nps_spectra_count(q)) {
            nps_search_options so = NPS_SEARCH_OPTIONS_INIT;
            so.threads = 1;
            nps_hits *hits = NULL;
            if (nps_search_run(&hits, lib, q, &so) == 0) nps_hits_free(hits);
        }
        nps_library_free(lib);
    }
    unlink(path);
    return 0;
}

#ifdef NPS_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
#ifdef FUZZ_SEALED
    return one(data, size, 1);
#else
    return one(data, size, 0);
#endif
}
#else
int main(int argc, char **argv)
{
    setup();
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (!fp) return 2;
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        size_t got = len > 0 ? fread(buf, 1, (size_t)len, fp) : 0;
        fclose(fp);
        one(buf, got, 0);
        one(buf, got, 1);
        free(buf);
    }
    printf("replayed %d library inputs\n", argc - 1);
    return 0;
}
#endif

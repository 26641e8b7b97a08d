/*
 * The integrity envelope of a library file.
 *
 * HDF5 checks its own dataset chunks (Fletcher-32) but trusts its metadata:
 * a truncated or bit-flipped object header can send the HDF5 library down
 * paths that were never meant for damaged input. So before HDF5 sees a byte,
 * the whole file is verified here. The first 512 bytes are an HDF5 user
 * block (space HDF5 reserves for applications and skips), holding a short
 * text header:
 *
 *     npsmatch library
 *     format 2
 *     bytes <total file size>
 *     crc32 <CRC-32 of every byte after the user block, hex>
 *     header-crc32 <CRC-32 of the header text above, hex>
 *
 * Opening checks the size (a truncated file says so), the CRC of the body
 * (any damage), and the header's own CRC. The CRC is computed in 4 MiB
 * slices in parallel and combined with crc32_combine, so verification costs
 * a fraction of the read itself. The header is written last, after HDF5 has
 * closed the file and before the file is synced and renamed into place: a
 * file without a valid header was never completed.
 *
 * This protects against damage (disks, transfers, interrupted copies), not
 * against a deliberately crafted file with a recomputed CRC: libraries are
 * the lab's own files; spectra from elsewhere arrive as MSP, mzML, ... and go
 * through the fuzzed readers.
 */
#include "library.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SLICE ((size_t)4 << 20)

static int crc_range(uint32_t *out, int fd, off_t start, off_t end, const char *path)
{
    size_t nslices = end > start ? (size_t)((end - start + (off_t)SLICE - 1) / (off_t)SLICE) : 0;
    uLong *part = calloc(nslices ? nslices : 1, sizeof *part);
    size_t *len = calloc(nslices ? nslices : 1, sizeof *len);
    if (!part || !len) {
        free(part);
        free(len);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    int failed = 0;
#pragma omp parallel
    {
        unsigned char *buf = malloc(SLICE);
        if (!buf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < nslices; i++) {
            if (!buf) continue;
            off_t at = start + (off_t)(i * SLICE);
            size_t want = (size_t)(end - at) < SLICE ? (size_t)(end - at) : SLICE;
            size_t got = 0;
            while (got < want) {
                ssize_t r = pread(fd, buf + got, want - got, at + (off_t)got);
                if (r <= 0) break;
                got += (size_t)r;
            }
            if (got != want) {
#pragma omp atomic write
                failed = 2;
            }
            part[i] = crc32(0, buf, (uInt)got);
            len[i] = got;
        }
        free(buf);
    }
    uLong crc = crc32(0, Z_NULL, 0);
    for (size_t i = 0; i < nslices; i++) crc = crc32_combine(crc, part[i], (z_off_t)len[i]);
    free(part);
    free(len);
    if (failed == 1) return nps_err(NPS_ENOMEM, "out of memory");
    if (failed) return nps_err(NPS_EIO, "%s: read error: %s", path, strerror(errno));
    *out = (uint32_t)crc;
    return 0;
}

static void header_text(char *buf, size_t cap, unsigned long long bytes, uint32_t crc)
{
    int k = snprintf(buf, cap, "npsmatch library\nformat %d\nbytes %llu\ncrc32 %08x\n",
                     NPS_LIBRARY_FORMAT_VERSION, bytes, (unsigned)crc);
    uint32_t hc = (uint32_t)crc32(0, (const unsigned char *)buf, (uInt)k);
    snprintf(buf + k, cap - (size_t)k, "header-crc32 %08x\n", (unsigned)hc);
}

int nps_envelope_seal(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0) return nps_err(NPS_EIO, "%s: cannot reopen: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    uint32_t crc = 0;
    if (fstat(fd, &st) != 0 || st.st_size < NPS_ENVELOPE_BYTES)
        rc = nps_err(NPS_EIO, "%s: written file is too short", path);
    if (!rc) rc = crc_range(&crc, fd, NPS_ENVELOPE_BYTES, st.st_size, path);
    if (!rc) {
        char hdr[NPS_ENVELOPE_BYTES];
        memset(hdr, 0, sizeof hdr);
        header_text(hdr, sizeof hdr, (unsigned long long)st.st_size, crc);
        if (pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
            rc = nps_err(NPS_EIO, "%s: cannot write the header: %s", path, strerror(errno));
    }
    if (!rc && fsync(fd) != 0) rc = nps_err(NPS_EIO, "%s: cannot sync: %s", path, strerror(errno));
    close(fd);
    return rc;
}

int nps_envelope_check(uint32_t *crc_out, const char *path)
{
    *crc_out = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return nps_err(NPS_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    char hdr[NPS_ENVELOPE_BYTES + 1];
    int rc = 0;
    ssize_t got = fstat(fd, &st) == 0 ? pread(fd, hdr, NPS_ENVELOPE_BYTES, 0) : -1;
    if (got < 0) {
        rc = nps_err(NPS_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    hdr[got] = '\0';
    if (got < 17 || strncmp(hdr, "npsmatch library\n", 17) != 0) {
        rc = nps_err(NPS_ELIBRARY,
                     "%s: not an npsmatch library (no npsmatch header; libraries written "
                     "before format 2 must be rebuilt)",
                     path);
        goto out;
    }
    int version = 0;
    unsigned long long bytes = 0;
    unsigned crc = 0, hcrc = 0;
    int fields = sscanf(hdr, "npsmatch library\nformat %d\nbytes %llu\ncrc32 %x\nheader-crc32 %x",
                        &version, &bytes, &crc, &hcrc);
    const char *hc = strstr(hdr, "header-crc32 ");
    if (fields != 4 || !hc ||
        (uint32_t)crc32(0, (const unsigned char *)hdr, (uInt)(hc - hdr)) != (uint32_t)hcrc) {
        rc = nps_err(NPS_ELIBRARY, "%s: damaged library header", path);
        goto out;
    }
    if (version < 2 || version > NPS_LIBRARY_FORMAT_VERSION) {
        rc = nps_err(NPS_ELIBRARY, "%s: unsupported library format version %d", path, version);
        goto out;
    }
    if ((unsigned long long)st.st_size != bytes) {
        rc = nps_err(NPS_ELIBRARY, "%s: truncated or extended: %lld bytes, the header says %llu",
                     path, (long long)st.st_size, bytes);
        goto out;
    }
    uint32_t body = 0;
    if ((rc = crc_range(&body, fd, NPS_ENVELOPE_BYTES, st.st_size, path))) goto out;
    if (body != (uint32_t)crc)
        rc = nps_err(NPS_ELIBRARY, "%s: checksum mismatch: the file is damaged", path);
    else
        *crc_out = body;
out:
    close(fd);
    return rc;
}

/*
 * The MPI transport of `npsmatch search --mpi`: a library too large for one
 * machine, split across ranks.
 *
 * Rank r of K opens part r of the library file (nps_library_open_part),
 * every rank reads and searches every query, and the hits go to rank 0,
 * which merges them (nps_hits_merge_parts, exact: see src/search/parts.c)
 * and alone writes the report. This file only moves bytes: the packing,
 * checking and merging are library calls, so the single-process run and the
 * split one share every rule. Hits travel as point-to-point messages in
 * chunks of at most 1 GiB (an MPI count is an int), rank by rank in order,
 * so rank 0 never holds more than the packs it merges.
 *
 * A rank that fails must not leave the others waiting in a collective: every
 * step ends with an agreement (cli_mpi_all_ok), and a rank whose pack failed
 * still sends a length (UINT64_MAX) so that rank 0's receive loop completes.
 */
#include "cli.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHUNK ((size_t)1 << 30)
#define TAG_LEN 1
#define TAG_DATA 2
#define FAILED UINT64_MAX

int cli_mpi_init(cli_mpi *m)
{
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "npsmatch: --mpi: MPI_Init failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    return 0;
}

int cli_mpi_all_ok(const cli_mpi *m, int ok)
{
    (void)m;
    int in = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&in, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

int cli_mpi_broadcast(const cli_mpi *m, int value)
{
    (void)m;
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value;
}

void cli_mpi_finalize(void)
{
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

static void send_bytes(const unsigned char *b, uint64_t len)
{
    MPI_Send(&len, 1, MPI_UINT64_T, 0, TAG_LEN, MPI_COMM_WORLD);
    if (len == FAILED) return;
    for (uint64_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
        MPI_Send(b + off, (int)n, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
    }
}

/* rank src's pack, or NULL with *len FAILED (the rank failed). Out of memory
 * here cannot be answered without leaving the sender blocked: the job ends. */
static unsigned char *recv_bytes(int src, uint64_t *len)
{
    MPI_Recv(len, 1, MPI_UINT64_T, src, TAG_LEN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (*len == FAILED) return NULL;
    unsigned char *b = malloc(*len ? (size_t)*len : 1);
    if (!b) {
        fprintf(stderr, "npsmatch: rank 0: out of memory for the hits of rank %d\n", src);
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAIL);
        return NULL;
    }
    for (uint64_t off = 0; off < *len; off += CHUNK) {
        size_t n = *len - off < CHUNK ? (size_t)(*len - off) : CHUNK;
        MPI_Recv(b + off, (int)n, MPI_BYTE, src, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    return b;
}

int cli_mpi_merge_hits(nps_hits **merged, const cli_mpi *m, const nps_hits *hits,
                       const nps_library *part, const nps_library *meta, size_t top_k)
{
    *merged = NULL;
    void *mine = NULL;
    size_t mine_len = 0;
    int ok = nps_hits_pack(&mine, &mine_len, hits, part) == 0;
    if (!ok) fprintf(stderr, "npsmatch: rank %d: %s\n", m->rank, nps_error_last());
    if (m->rank != 0) {
        send_bytes(mine, ok ? (uint64_t)mine_len : FAILED);
        free(mine);
        return cli_mpi_all_ok(m, ok) ? 0 : -1;
    }
    void **packs = calloc((size_t)m->size, sizeof *packs);
    size_t *lens = calloc((size_t)m->size, sizeof *lens);
    if (!packs || !lens) ok = 0;
    if (packs && lens) {
        packs[0] = mine;
        lens[0] = mine_len;
        mine = NULL;
    }
    for (int r = 1; r < m->size; r++) {
        uint64_t len = 0;
        unsigned char *b = recv_bytes(r, &len);
        if (!b) ok = 0;
        if (packs && lens) {
            packs[r] = b;
            lens[r] = (size_t)len;
        } else
            free(b);
    }
    if (ok && nps_hits_merge_parts(merged, (const void *const *)packs, lens, (size_t)m->size, meta,
                                   top_k)) {
        fprintf(stderr, "npsmatch: %s\n", nps_error_last());
        ok = 0;
    }
    for (int r = 0; packs && r < m->size; r++) free(packs[r]);
    free(packs);
    free(lens);
    free(mine);
    return cli_mpi_all_ok(m, ok) ? 0 : -1;
}

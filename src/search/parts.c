/*
 * A search split across processes by library: pack one part's hits, merge
 * the parts' hits into the whole library's.
 *
 * Each process opens one contiguous part of the library file
 * (nps_library_open_part), searches every query against it with the
 * ordinary per-query path, and packs its hits with their reference indices
 * made global. The process that reports merges the packs. The merge is
 * exact because the ranking is a total order that does not depend on which
 * spectra compete (rank.c: score descending, then library id, then library
 * position): a hit in the whole library's top K is in the top K of its own
 * part, so the best K of the union of the parts' top K lists is the whole
 * library's top K, in the same order. This holds for every score and mode
 * whose score of a pair depends on that pair alone, which is all of them;
 * it does not hold for what depends on the rest of the library: the
 * probability (over the compounds of the query's whole hit list: recomputed
 * here on the merged list, with the model it was computed with), e-values
 * (fitted to the query's scores against the whole library; nps_plan_create
 * refuses them on a part) and target-decoy q-values (decoys are made from
 * the whole library and ranked against every target).
 *
 * A pack is bytes for the same binary on another node (native layout, as
 * MPI moves them between ranks of one job): a header that names the
 * library (checksum, record count, the part's place), each query's hit
 * offsets and kind-absent flag, then the hits. The merge checks every pack
 * against the library it reports with, so a pack made from another library
 * file, of another batch, or an overlapping or missing part is refused
 * instead of merged into a plausible wrong answer.
 */
#include "hits.h"
#include "plan.h"

#include "../stats/stats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK_MAGIC "NPSHITS1"

typedef struct {
    char magic[8];
    uint64_t n_queries, n_hits;
    uint64_t part_first, part_count, library_total;
    uint64_t hit_size; /* sizeof(nps_hit): the same binary on both ends */
    char checksum[24];
} pack_header;

/* the pack's sections, each 8-byte aligned */
static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t pack_size(size_t nq, size_t n)
{
    return sizeof(pack_header) + (nq + 1) * sizeof(uint64_t) + pad8(nq) + n * sizeof(nps_hit);
}

int nps_hits_pack(void **out, size_t *out_len, const nps_hits *h, const nps_library *part)
{
    if (!out || !out_len || !h || !part) return nps_err(NPS_EINVAL, "nps_hits_pack: NULL argument");
    size_t first = nps_library_part_first(part);
    size_t count = nps_spectra_count(nps_library_processed(part));
    size_t len = pack_size(h->nq, h->n);
    unsigned char *b = calloc(1, len);
    if (!b) return nps_err(NPS_ENOMEM, "out of memory");
    pack_header hd;
    memset(&hd, 0, sizeof hd);
    memcpy(hd.magic, PACK_MAGIC, 8);
    hd.n_queries = h->nq;
    hd.n_hits = h->n;
    hd.part_first = first;
    hd.part_count = count;
    hd.library_total = nps_library_part_total(part);
    hd.hit_size = sizeof(nps_hit);
    snprintf(hd.checksum, sizeof hd.checksum, "%s", nps_library_checksum(part));
    memcpy(b, &hd, sizeof hd);
    unsigned char *p = b + sizeof hd;
    for (size_t q = 0; q <= h->nq; q++) {
        uint64_t v = h->qoff[q];
        memcpy(p, &v, sizeof v);
        p += sizeof v;
    }
    for (size_t q = 0; q < h->nq; q++) p[q] = h->absent ? h->absent[q] : 0;
    p += pad8(h->nq);
    for (size_t i = 0; i < h->n; i++) {
        nps_hit x = h->hits[i];
        x.reference += first;
        memcpy(p, &x, sizeof x);
        p += sizeof x;
    }
    *out = b;
    *out_len = len;
    return 0;
}

/* One part's pack, checked and read in place. */
typedef struct {
    pack_header hd;
    const unsigned char *qoff, *absent, *hits;
} pack_view;

static uint64_t view_qoff(const pack_view *v, size_t q)
{
    uint64_t x;
    memcpy(&x, v->qoff + q * sizeof x, sizeof x);
    return x;
}

static nps_hit view_hit(const pack_view *v, size_t i)
{
    nps_hit x;
    memcpy(&x, v->hits + i * sizeof x, sizeof x);
    return x;
}

static int view_open(pack_view *v, const void *data, size_t len, size_t k, const nps_library *lib)
{
    if (!data || len < sizeof v->hd) return nps_err(NPS_EINVAL, "hits of part %zu: truncated", k);
    memcpy(&v->hd, data, sizeof v->hd);
    const pack_header *h = &v->hd;
    if (memcmp(h->magic, PACK_MAGIC, 8) != 0 || h->hit_size != sizeof(nps_hit))
        return nps_err(NPS_EINVAL, "hits of part %zu: not a pack of this npsmatch build", k);
    if (h->n_queries > len / sizeof(uint64_t) || h->n_hits > len / sizeof(nps_hit) ||
        pack_size((size_t)h->n_queries, (size_t)h->n_hits) != len)
        return nps_err(NPS_EINVAL, "hits of part %zu: sizes disagree", k);
    if (memchr(h->checksum, '\0', sizeof h->checksum) == NULL ||
        strcmp(h->checksum, nps_library_checksum(lib)) != 0 ||
        h->library_total != nps_spectra_count(nps_library_spectra(lib)))
        return nps_err(NPS_EINVAL, "hits of part %zu: searched against another library (%.24s)", k,
                       h->checksum);
    const unsigned char *p = (const unsigned char *)data + sizeof *h;
    v->qoff = p;
    v->absent = p + (h->n_queries + 1) * sizeof(uint64_t);
    v->hits = v->absent + pad8((size_t)h->n_queries);
    uint64_t prev = 0;
    for (size_t q = 0; q <= h->n_queries; q++) {
        uint64_t o = view_qoff(v, q);
        if ((q == 0 && o != 0) || o < prev || o > h->n_hits)
            return nps_err(NPS_EINVAL, "hits of part %zu: offsets out of order", k);
        prev = o;
    }
    if (prev != h->n_hits) return nps_err(NPS_EINVAL, "hits of part %zu: offsets", k);
    for (size_t i = 0; i < h->n_hits; i++) {
        nps_hit x = view_hit(v, i);
        if (x.reference < h->part_first || x.reference - h->part_first >= h->part_count)
            return nps_err(NPS_EINVAL, "hits of part %zu: a hit outside the part", k);
    }
    return 0;
}

/* a ranks before b: the order of rank.c, on the whole library's ids */
static int better(const nps_hit *a, const nps_hit *b, const nps_spectra *L)
{
    if (a->score != b->score) return a->score > b->score;
    if (a->reference == b->reference) return 0;
    int c = strcmp(nps_spectra_id(L, a->reference), nps_spectra_id(L, b->reference));
    if (c != 0) return c < 0;
    return a->reference < b->reference;
}

int nps_hits_merge_parts(nps_hits **out, const void *const *packs, const size_t *lens,
                         size_t n_parts, const nps_library *library, size_t top_k)
{
    if (!out || !packs || !lens || !library || n_parts < 1 || top_k < 1)
        return nps_err(NPS_EINVAL, "nps_hits_merge_parts: invalid argument");
    const nps_spectra *L = nps_library_spectra(library);
    pack_view *v = calloc(n_parts, sizeof *v);
    size_t *head = calloc(n_parts, sizeof *head);
    nps_hits *h = calloc(1, sizeof *h);
    /* the probability's scratch, per hit of a query */
    uint64_t *pkey = malloc(top_k * sizeof *pkey);
    double *pu = malloc(top_k * sizeof *pu);
    size_t *pcls = malloc(top_k * sizeof *pcls);
    if (!v || !head || !h || !pkey || !pu || !pcls) {
        free(v);
        free(head);
        free(h);
        free(pkey);
        free(pu);
        free(pcls);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    int rc = 0;
    size_t total = 0, next = 0;
    for (size_t k = 0; !rc && k < n_parts; k++) {
        rc = view_open(&v[k], packs[k], lens[k], k, library);
        if (rc) break;
        /* the parts tile the library, in order */
        if (v[k].hd.part_first != next || v[k].hd.n_queries != v[0].hd.n_queries)
            rc = nps_err(NPS_EINVAL, "hits of part %zu: %s", k,
                         v[k].hd.part_first != next ? "the parts do not tile the library"
                                                    : "another batch of queries");
        next = (size_t)(v[k].hd.part_first + v[k].hd.part_count);
        total += (size_t)v[k].hd.n_hits;
    }
    if (!rc && next != nps_spectra_count(L))
        rc = nps_err(NPS_EINVAL, "the parts do not cover the library (%zu of %zu records)", next,
                     nps_spectra_count(L));
    size_t nq = rc ? 0 : (size_t)v[0].hd.n_queries;
    h->nq = nq;
    h->qoff = malloc((nq + 1) * sizeof *h->qoff);
    h->hits = malloc((total ? total : 1) * sizeof *h->hits);
    h->absent = calloc(nq ? nq : 1, 1);
    if (!rc && (!h->qoff || !h->hits || !h->absent)) rc = nps_err(NPS_ENOMEM, "out of memory");
    for (size_t q = 0; !rc && h->qoff && h->hits && h->absent && q < nq; q++) {
        h->qoff[q] = h->n;
        /* absent from the whole library only when absent from every part */
        unsigned char absent = 1;
        for (size_t k = 0; k < n_parts; k++) {
            absent &= v[k].absent[q] != 0;
            head[k] = (size_t)view_qoff(&v[k], q);
        }
        h->absent[q] = absent;
        h->n_kind_absent += absent;
        /* each part's list is sorted best first: a K-way merge of the heads */
        for (size_t r = 0; r < top_k; r++) {
            size_t best = n_parts;
            nps_hit bh;
            memset(&bh, 0, sizeof bh);
            for (size_t k = 0; k < n_parts; k++) {
                if (head[k] >= view_qoff(&v[k], q + 1)) continue;
                nps_hit x = view_hit(&v[k], head[k]);
                if (best == n_parts || better(&x, &bh, L)) {
                    best = k;
                    bh = x;
                }
            }
            if (best == n_parts) break;
            head[best]++;
            bh.rank = r + 1;
            pkey[r] = nps_compound_key(L, bh.reference);
            h->hits[h->n++] = bh;
        }
        size_t n = h->n - h->qoff[q];
        const nps_probability_model *m = n ? nps_probability_model_of(&h->hits[h->qoff[q]]) : NULL;
        if (m) nps_probability_assign(&h->hits[h->qoff[q]], n, pkey, pu, pcls, m);
    }
    if (!rc && h->qoff) h->qoff[nq] = h->n;
    free(v);
    free(head);
    free(pkey);
    free(pu);
    free(pcls);
    if (rc) {
        nps_hits_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

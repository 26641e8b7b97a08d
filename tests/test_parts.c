/*
 * A library split into parts (nps_library_open_part), each part searched on
 * its own, the packed hits merged (nps_hits_pack, nps_hits_merge_parts):
 * the merge must give the whole library's hits, field for field, for every
 * mode and score, any number of parts (more parts than spectra included),
 * with exact ties broken by library id across parts. Packs that do not
 * belong together are refused; what cannot be split is refused.
 */
#include "check.h"
#include "scratch.h"

/* every field of every hit (check.h), and the kind-absent count */
static int same_hits(const nps_hits *a, const nps_hits *b, const char *what)
{
    if (nps_hits_queries_kind_absent(a) != nps_hits_queries_kind_absent(b)) {
        fprintf(stderr, "%s: %zu kind-absent queries vs %zu\n", what,
                nps_hits_queries_kind_absent(a), nps_hits_queries_kind_absent(b));
        return 0;
    }
    return hits_identical(a, b, what);
}

/* Search every part, pack, merge. */
static int split_search(nps_hits **out, const char *path, size_t n_parts, const nps_library *meta,
                        const nps_spectra *queries, const nps_search_options *o)
{
    void **packs = calloc(n_parts, sizeof *packs);
    size_t *lens = calloc(n_parts, sizeof *lens);
    int rc = 0;
    for (size_t p = 0; !rc && p < n_parts; p++) {
        nps_library *part = NULL;
        nps_hits *h = NULL;
        rc = nps_library_open_part(&part, path, p, n_parts);
        if (!rc) rc = nps_search_run(&h, part, queries, o);
        if (!rc) rc = nps_hits_pack(&packs[p], &lens[p], h, part);
        nps_hits_free(h);
        nps_library_free(part);
    }
    if (!rc)
        rc = nps_hits_merge_parts(out, (const void *const *)packs, lens, n_parts, meta, o->top_k);
    for (size_t p = 0; p < n_parts; p++) free(packs[p]);
    free(packs);
    free(lens);
    return rc;
}

/* Add every step-th record of file (at most max) to dst. */
static void take(nps_spectra *dst, const char *file, size_t step, size_t offset, size_t max)
{
    nps_spectra *all = NULL;
    nps_read_options ro = NPS_READ_OPTIONS_INIT;
    CHECK(nps_spectra_create(&all) == 0);
    CHECK(nps_io_read(all, NULL, file, &ro) == 0);
    size_t n = 0;
    for (size_t i = offset; i < nps_spectra_count(all) && n < max; i += step, n++)
        CHECK(nps_spectra_add_from(dst, all, i) == 0);
    nps_spectra_free(all);
}

/* A copy of record i of src under another id (an exact tie for any query). */
static void add_twin(nps_spectra *dst, const nps_spectra *src, size_t i, const char *id)
{
    const double *mz;
    const float *in;
    size_t n;
    nps_spectra_peaks(src, i, &mz, &in, &n);
    size_t nm = nps_spectra_meta_count(src, i);
    const char **k = calloc(nm + 1, sizeof *k), **v = calloc(nm + 1, sizeof *v);
    size_t m = 0;
    for (size_t j = 0; j < nm; j++) {
        nps_spectra_meta_at(src, i, j, &k[m], &v[m]);
        if (strcmp(k[m], "DB#") != 0 && strcmp(k[m], "Accession") != 0) m++;
    }
    k[m] = "DB#";
    v[m++] = id;
    CHECK(nps_spectra_add(dst, mz, in, n, k, v, m) == 0);
    free(k);
    free(v);
}

static void split_equals_whole(void)
{
    const char *msms = data_path("massbank/massbank_forensic_subset.msp");
    const char *ei = data_path("massbank/massbank_ei_all.msp");
    nps_spectra *lib = NULL, *queries = NULL;
    CHECK(nps_spectra_create(&lib) == 0 && nps_spectra_create(&queries) == 0);
    take(lib, msms, 2, 0, 1200);
    take(lib, msms, 1, 1801, 599);
    take(lib, msms, 1, 2400, 600); /* every record: replicate series, near-ties */
    take(lib, ei, 9, 0, 900);
    /* exact twins at both ends of the library: the tie between parts is
     * broken by id ("AAA" first), as in one search */
    add_twin(lib, lib, 5, "ZZZ-twin-of-5");
    add_twin(lib, lib, 1300, "ZZZ-twin-of-1300");
    nps_spectra *twins = NULL;
    CHECK(nps_spectra_create(&twins) == 0);
    add_twin(twins, lib, 5, "AAA-twin-of-5");
    add_twin(twins, lib, 1300, "AAA-twin-of-1300");
    for (size_t i = 0; i < nps_spectra_count(lib); i++)
        CHECK(nps_spectra_add_from(twins, lib, i) == 0);
    take(queries, msms, 37, 1, 60);
    take(queries, msms, 23, 2400, 26);
    take(queries, msms, 7, 1801, 86);
    take(queries, ei, 97, 3, 40);
    CHECK(nps_spectra_add_from(queries, lib, 5) == 0);
    CHECK(nps_spectra_add_from(queries, lib, 1300) == 0);

    nps_library *whole = NULL, *meta = NULL;
    nps_preprocess_config cfg = NPS_PREPROCESS_CONFIG_INIT;
    CHECK(nps_library_create(&whole, twins, &cfg) == 0);
    const char *path = scratch_path("split.h5");
    CHECK(nps_library_save(whole, path) == 0);
    nps_library_free(whole);
    CHECK(nps_library_open(&whole, path) == 0);
    CHECK(nps_library_open_ex(&meta, path, NPS_LIBRARY_METADATA_ONLY) == 0);
    CHECK(nps_spectra_count(nps_library_spectra(meta)) == nps_spectra_count(twins));
    CHECK(strcmp(nps_library_checksum(meta), nps_library_checksum(whole)) == 0);

    struct {
        nps_search_mode mode;
        nps_score_type score;
        size_t top;
        int any_kind;
    } cfgs[] = {
        {NPS_MODE_AUTO, NPS_SCORE_AUTO, 10, 0},        {NPS_MODE_OPEN, NPS_SCORE_AUTO, 5, 0},
        {NPS_MODE_HYBRID, NPS_SCORE_AUTO, 10, 0},      {NPS_MODE_ANALOGUE, NPS_SCORE_AUTO, 3, 0},
        {NPS_MODE_OPEN, NPS_SCORE_COSINE, 1, 1},       {NPS_MODE_IDENTITY, NPS_SCORE_AUTO, 10, 0},
        {NPS_MODE_NEUTRAL_LOSS, NPS_SCORE_AUTO, 4, 0},
    };
    const size_t nparts[] = {1, 2, 3, 7};
    for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = cfgs[c].mode;
        o.score = cfgs[c].score;
        o.top_k = cfgs[c].top;
        o.same_kind_only = !cfgs[c].any_kind;
        o.threads = 2;
        nps_hits *ref = NULL, *exh = NULL;
        CHECK(nps_search_run(&ref, whole, queries, &o) == 0);
        CHECK(nps_hits_count(ref) > 0);
        /* the fragment index gives what scoring every pair gives, near-ties
         * at the K-th place included (replicate spectra make many) */
        o.exhaustive = 1;
        CHECK(nps_search_run(&exh, whole, queries, &o) == 0);
        o.exhaustive = 0;
        CHECK_MSG(same_hits(ref, exh, "index vs exhaustive"), "mode %s",
                  nps_search_mode_name(o.mode));
        nps_hits_free(exh);
        for (size_t k = 0; k < sizeof nparts / sizeof nparts[0]; k++) {
            nps_hits *m = NULL;
            int rc = split_search(&m, path, nparts[k], meta, queries, &o);
            CHECK_MSG(rc == 0, "%s", nps_error_last());
            char what[96];
            snprintf(what, sizeof what, "mode %s, %zu parts", nps_search_mode_name(o.mode),
                     nparts[k]);
            if (!rc) CHECK_MSG(same_hits(ref, m, what), "%s", what);
            nps_hits_free(m);
        }
        nps_hits_free(ref);
    }

    /* near-ties at every K-th place: replicate series give scores within the
     * bounds' rounding margin of each other */
    for (size_t K = 1; K <= 12; K++) {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = NPS_MODE_OPEN;
        o.top_k = K;
        nps_hits *a = NULL, *b = NULL;
        CHECK(nps_search_run(&a, whole, queries, &o) == 0);
        o.exhaustive = 1;
        CHECK(nps_search_run(&b, whole, queries, &o) == 0);
        CHECK_MSG(same_hits(a, b, "index vs exhaustive"), "top %zu", K);
        nps_hits_free(a);
        nps_hits_free(b);
    }

    /* the twins' tie: the AAA copy ranks first for its own query */
    {
        nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
        o.mode = NPS_MODE_OPEN;
        nps_hits *m = NULL;
        CHECK(split_search(&m, path, 3, meta, queries, &o) == 0);
        size_t f, n;
        nps_hits_for_query(m, nps_spectra_count(queries) - 1, &f, &n);
        CHECK(n >= 2 &&
              strcmp(nps_spectra_id(nps_library_spectra(meta), nps_hits_at(m, f)->reference),
                     "AAA-twin-of-1300") == 0);
        nps_hits_free(m);
    }

    /* refusals */
    nps_plan *plan = NULL;
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    CHECK(nps_plan_create(&plan, meta, &o) == NPS_EINVAL);
    nps_library *part = NULL, *part2 = NULL;
    CHECK(nps_library_open_part(&part, path, 3, 3) == NPS_EINVAL);
    CHECK(nps_library_open_part(&part, path, 0, 0) == NPS_EINVAL);
    CHECK(nps_library_open_part(&part, path, 0, 2) == 0);
    CHECK(nps_library_open_part(&part2, path, 1, 2) == 0);
    CHECK(nps_library_part_first(part) == 0 && nps_library_part_first(part2) > 0);
    CHECK(nps_library_part_total(part2) == nps_spectra_count(twins));
    o.evalues = 1;
    CHECK(nps_plan_create(&plan, part, &o) == NPS_EINVAL);
    CHECK(strstr(nps_error_last(), "whole library") != NULL);
    o.evalues = 0;
    nps_hits *h1 = NULL, *h2 = NULL, *h3 = NULL, *m = NULL;
    CHECK(nps_search_run(&h1, part, queries, &o) == 0);
    CHECK(nps_search_run(&h2, part2, queries, &o) == 0);
    nps_spectra *fewer = NULL;
    CHECK(nps_spectra_create(&fewer) == 0);
    CHECK(nps_spectra_add_from(fewer, queries, 0) == 0);
    CHECK(nps_search_run(&h3, part2, fewer, &o) == 0);
    void *p[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    CHECK(nps_hits_pack(&p[0], &len[0], h1, part) == 0);
    CHECK(nps_hits_pack(&p[1], &len[1], h2, part2) == 0);
    CHECK(nps_hits_pack(&p[2], &len[2], h3, part2) == 0);
    const void *ok2[2] = {p[0], p[1]}, *swapped[2] = {p[1], p[0]}, *batch[2] = {p[0], p[2]};
    size_t lok[2] = {len[0], len[1]}, lsw[2] = {len[1], len[0]}, lb[2] = {len[0], len[2]};
    CHECK(nps_hits_merge_parts(&m, ok2, lok, 2, meta, 10) == 0);
    nps_hits_free(m);
    m = NULL;
    CHECK(nps_hits_merge_parts(&m, ok2, lok, 1, meta, 10) == NPS_EINVAL); /* part 2 missing */
    CHECK(strstr(nps_error_last(), "cover") != NULL);
    CHECK(nps_hits_merge_parts(&m, swapped, lsw, 2, meta, 10) == NPS_EINVAL);
    CHECK(nps_hits_merge_parts(&m, batch, lb, 2, meta, 10) == NPS_EINVAL); /* another batch */
    size_t cut[2] = {len[0] - 1, len[1]};
    CHECK(nps_hits_merge_parts(&m, ok2, cut, 2, meta, 10) == NPS_EINVAL);
    /* a pack of another library file: same spectra but one, another checksum */
    nps_spectra *other = NULL;
    CHECK(nps_spectra_create(&other) == 0);
    for (size_t i = 1; i < nps_spectra_count(twins); i++) nps_spectra_add_from(other, twins, i);
    add_twin(other, twins, 0, "another");
    nps_library *ol = NULL, *ometa = NULL;
    CHECK(nps_library_create(&ol, other, &cfg) == 0);
    const char *opath = scratch_path("other.h5");
    CHECK(nps_library_save(ol, opath) == 0);
    CHECK(nps_library_open_ex(&ometa, opath, NPS_LIBRARY_METADATA_ONLY) == 0);
    CHECK(nps_hits_merge_parts(&m, ok2, lok, 2, ometa, 10) == NPS_EINVAL);
    CHECK(strstr(nps_error_last(), "another library") != NULL);
    CHECK(m == NULL);
    unsigned char *bad = malloc(len[0]);
    memcpy(bad, p[0], len[0]);
    bad[0] ^= 1; /* not a pack */
    const void *badp[2] = {bad, p[1]};
    CHECK(nps_hits_merge_parts(&m, badp, lok, 2, meta, 10) == NPS_EINVAL);
    free(bad);
    for (int i = 0; i < 3; i++) free(p[i]);
    nps_hits_free(h1);
    nps_hits_free(h2);
    nps_hits_free(h3);
    nps_library_free(part);
    nps_library_free(part2);
    nps_library_free(ol);
    nps_library_free(ometa);
    nps_spectra_free(other);
    nps_spectra_free(fewer);
    nps_library_free(whole);
    nps_library_free(meta);
    nps_spectra_free(twins);
    nps_spectra_free(lib);
    nps_spectra_free(queries);
}

/* More parts than spectra: the empty parts add nothing. */
static void empty_parts(void)
{
    nps_spectra *s = NULL;
    CHECK(nps_spectra_create(&s) == 0);
    const char *k[] = {"Name", "DB#", "PrecursorMZ"};
    const double mz[] = {50, 60, 70, 80};
    const float in[] = {10, 20, 30, 40};
    const char *ids[] = {"E", "D", "C", "B", "A"};
    for (int i = 0; i < 5; i++) {
        const char *v[] = {ids[i], ids[i], "200.0"};
        CHECK(nps_spectra_add(s, mz, in, 4, k, v, 3) == 0); /* five exact ties */
    }
    nps_library *lib = NULL, *meta = NULL;
    CHECK(nps_library_create(&lib, s, NULL) == 0);
    const char *path = scratch_path("five.h5");
    CHECK(nps_library_save(lib, path) == 0);
    CHECK(nps_library_open_ex(&meta, path, NPS_LIBRARY_METADATA_ONLY) == 0);
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.top_k = 3;
    nps_hits *ref = NULL, *m = NULL;
    CHECK(nps_search_run(&ref, lib, s, &o) == 0);
    CHECK(split_search(&m, path, 8, meta, s, &o) == 0);
    if (m) CHECK(same_hits(ref, m, "8 parts of 5 spectra"));
    /* ties ranked by id: A B C */
    size_t f, n;
    nps_hits_for_query(m, 0, &f, &n);
    CHECK(n == 3 && strcmp(nps_spectra_id(s, nps_hits_at(m, f)->reference), "A") == 0 &&
          strcmp(nps_spectra_id(s, nps_hits_at(m, f + 2)->reference), "C") == 0);
    nps_hits_free(ref);
    nps_hits_free(m);
    nps_library_free(lib);
    nps_library_free(meta);
    nps_spectra_free(s);
}

int main(void)
{
    if (scratch_open("parts")) return 2;
    empty_parts();
    split_equals_whole();
    scratch_close();
    return check_done("test_parts");
}

/*
 * Merging the reports of a sharded batch (`npsmatch merge`).
 *
 * A scheduler (a Slurm array, a Kubernetes Indexed Job) runs
 * `npsmatch search --shard I/N` on N nodes, each holding the whole library
 * and searching a contiguous part of the queries. Each query's hits depend
 * on that query alone, so the whole batch's report is the parts' rows in
 * part order: the merge checks that the parts belong together and puts them
 * in order; it computes nothing.
 *
 * Belonging together: every part names its place (index, count, its query
 * range, the batch size) and a checksum of everything that determines the
 * results (the run object without its input counts: library path and
 * checksum, preprocessing, every search and call parameter). All N parts
 * must be there once each, their ranges must tile [0, total), and their
 * checksums must agree; otherwise the merge names the offending part and
 * writes nothing. A JSON part's run object also carries the counts of its
 * own queries; the merged run holds their sums, exactly what an unsharded
 * run writes.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    char *text; /* the whole file */
    size_t len;
    size_t index, count, first, end, total;
    char crc[24];
    const char *header; /* TSV: the column header line */
    const char *body;   /* TSV: the rows after the header */
    json_t *doc;        /* JSON: the parsed part */
} part_t;

static int slurp(part_t *p)
{
    FILE *fp = fopen(p->path, "rb");
    if (!fp) return nps_err(NPS_EIO, "%s: cannot open: %s", p->path, strerror(errno));
    size_t cap = (size_t)1 << 16, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        fclose(fp);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, 2 * cap + 1);
            if (!nb) {
                free(b);
                fclose(fp);
                return nps_err(NPS_ENOMEM, "out of memory");
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(b);
        return nps_err(NPS_EIO, "%s: read error", p->path);
    }
    b[n] = '\0';
    p->text = b;
    p->len = n;
    return 0;
}

static int not_a_part(const part_t *p, const char *why)
{
    return nps_err(NPS_EINVAL, "%s: not a part of a sharded npsmatch search (%s)", p->path, why);
}

static int parse_tsv(part_t *p)
{
    char *nl = strchr(p->text, '\n');
    if (!nl) return not_a_part(p, "no header");
    *nl = '\0';
    char tag[32], word1[16], word2[16];
    if (sscanf(p->text, "%31s %zu/%zu %15s %zu %zu %zu %15s %23s", tag, &p->index, &p->count, word1,
               &p->first, &p->end, &p->total, word2, p->crc) != 9 ||
        strcmp(tag, NPS_SHARD_TSV_TAG) != 0 || strcmp(word1, "queries") != 0 ||
        strcmp(word2, "run") != 0)
        return not_a_part(p, "a damaged " NPS_SHARD_TSV_TAG " line");
    p->header = nl + 1;
    char *hl = strchr(p->header, '\n');
    if (!hl) return not_a_part(p, "no column header");
    *hl = '\0';
    p->body = hl + 1;
    return 0;
}

static size_t jsize(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (size_t)v : 0;
}

static int parse_json(part_t *p)
{
    json_error_t e;
    p->doc = json_loadb(p->text, p->len, JSON_REJECT_DUPLICATES, &e);
    if (!p->doc) return nps_err(NPS_EINVAL, "%s: line %d: %s", p->path, e.line, e.text);
    json_t *run = json_object_get(p->doc, "run"), *sh = json_object_get(run, "shard");
    if (!json_is_object(run) || !json_is_array(json_object_get(p->doc, "queries")))
        return not_a_part(p, "no run object or queries");
    if (!json_is_object(sh)) return not_a_part(p, "its run has no shard object");
    p->index = jsize(sh, "index");
    p->count = jsize(sh, "count");
    p->first = jsize(sh, "first");
    p->end = jsize(sh, "end");
    p->total = jsize(sh, "queries_total");
    nps_report_run_checksum(p->crc, run);
    if (json_array_size(json_object_get(p->doc, "queries")) != p->end - p->first)
        return not_a_part(p, "its query count disagrees with its range");
    return 0;
}

static int place_ok(const part_t *p)
{
    if (p->count < 1 || p->index < 1 || p->index > p->count || p->first > p->end ||
        p->end > p->total)
        return not_a_part(p, "an impossible shard");
    return 0;
}

static int cmp_index(const void *a, const void *b)
{
    const part_t *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* The parts tile the batch and agree on what produced them. */
static int check(part_t *p, size_t n)
{
    qsort(p, n, sizeof *p, cmp_index);
    for (size_t k = 0; k < n; k++) {
        if (p[k].count != p[0].count || p[k].total != p[0].total)
            return nps_err(NPS_EINVAL,
                           "%s: part of another batch (%zu parts of %zu queries, not "
                           "%zu of %zu as %s)",
                           p[k].path, p[k].count, p[k].total, p[0].count, p[0].total, p[0].path);
        if (strcmp(p[k].crc, p[0].crc) != 0)
            return nps_err(NPS_EINVAL,
                           "%s: made with another library or other parameters than %s (run %s, "
                           "not %s)",
                           p[k].path, p[0].path, p[k].crc, p[0].crc);
        if (k && p[k].index == p[k - 1].index)
            return nps_err(NPS_EINVAL, "%s and %s: both are part %zu/%zu", p[k - 1].path, p[k].path,
                           p[k].index, p[k].count);
        if (p[k].index != k + 1)
            return nps_err(NPS_EINVAL, "part %zu/%zu is missing", k + 1, p[0].count);
        if (p[k].first != (k ? p[k - 1].end : 0) || p[k].end < p[k].first)
            return nps_err(NPS_EINVAL, "%s: its queries [%zu, %zu) do not follow part %zu's",
                           p[k].path, p[k].first, p[k].end, k);
    }
    if (n != p[0].count)
        return nps_err(NPS_EINVAL, "%zu parts given; the batch has %zu", n, p[0].count);
    if (p[n - 1].end != p[0].total)
        return nps_err(NPS_EINVAL, "the parts end at query %zu of %zu", p[n - 1].end, p[0].total);
    return 0;
}

static int merge_tsv(FILE *out, part_t *p, size_t n)
{
    for (size_t k = 1; k < n; k++)
        if (strcmp(p[k].header, p[0].header) != 0)
            return nps_err(NPS_EINVAL, "%s: other columns than %s", p[k].path, p[0].path);
    fputs(p[0].header, out);
    fputc('\n', out);
    for (size_t k = 0; k < n; k++) fputs(p[k].body, out);
    return ferror(out) ? nps_err(NPS_EIO, "write error") : 0;
}

static int merge_json(FILE *out, part_t *p, size_t n)
{
    /* the merged run: the first part's, its counts summed over the parts */
    json_t *run = json_deep_copy(json_object_get(p[0].doc, "run"));
    if (!run) return nps_err(NPS_ENOMEM, "out of memory (JSON)");
    json_object_del(run, "shard");
    json_t *in = json_object_get(run, "input");
    static const char *const summed[] = {"queries", "queries_without_hit", "queries_kind_absent"};
    for (size_t s = 0; in && s < sizeof summed / sizeof *summed; s++) {
        size_t sum = 0;
        for (size_t k = 0; k < n; k++)
            sum += jsize(json_object_get(json_object_get(p[k].doc, "run"), "input"), summed[s]);
        json_object_set_new(in, summed[s], json_integer((json_int_t)sum));
    }
    int rc = nps_report_json_begin(out, run);
    json_decref(run);
    size_t i = 0;
    for (size_t k = 0; !rc && k < n; k++) {
        json_t *qa = json_object_get(p[k].doc, "queries");
        for (size_t j = 0; !rc && j < json_array_size(qa); j++)
            rc = nps_report_json_query(out, json_array_get(qa, j), i++);
    }
    return rc ? rc : nps_report_json_end(out, i);
}

int nps_report_merge(FILE *out, const char *const *paths, size_t n)
{
    if (!out || !paths || n == 0) return nps_err(NPS_EINVAL, "nps_report_merge: no parts");
    part_t *p = calloc(n, sizeof *p);
    if (!p) return nps_err(NPS_ENOMEM, "out of memory");
    int rc = 0, json = -1;
    for (size_t k = 0; k < n && !rc; k++) {
        p[k].path = paths[k];
        if ((rc = slurp(&p[k]))) break;
        if (!p[k].text) {
            rc = nps_err(NPS_ENOMEM, "out of memory");
            break;
        }
        int is_json = p[k].text[0] == '{';
        if (!is_json &&
            strncmp(p[k].text, NPS_SHARD_TSV_TAG "\t", strlen(NPS_SHARD_TSV_TAG) + 1) != 0)
            rc = not_a_part(&p[k], "no " NPS_SHARD_TSV_TAG " line, and not JSON");
        else if (json >= 0 && is_json != json)
            rc = nps_err(NPS_EINVAL, "%s: a %s part among %s parts", p[k].path,
                         is_json ? "JSON" : "TSV", json ? "JSON" : "TSV");
        else
            rc = is_json ? parse_json(&p[k]) : parse_tsv(&p[k]);
        if (!rc) rc = place_ok(&p[k]);
        json = is_json;
    }
    if (!rc) rc = check(p, n);
    if (!rc) rc = json ? merge_json(out, p, n) : merge_tsv(out, p, n);
    for (size_t k = 0; k < n; k++) {
        free(p[k].text);
        json_decref(p[k].doc);
    }
    free(p);
    return rc;
}

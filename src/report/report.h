/* Report internals shared by the writer and the merge (private). */
#ifndef NPS_REPORT_REPORT_H
#define NPS_REPORT_REPORT_H

#include "../core/json.h"

/* The framing of a JSON report, written once for the writer and the merge
 * so that a merged report is byte-identical to an unsharded one:
 * {"run": RUN,\n"queries": [\n  Q,\n  Q\n]}\n */
int nps_report_json_begin(FILE *fp, const json_t *run);
int nps_report_json_query(FILE *fp, const json_t *query, size_t i);
int nps_report_json_end(FILE *fp, size_t n);

/* "crc32:xxxxxxxx" of what determines a run's results: its run object
 * without "input" and "shard", keys sorted, compact. Two parts of one batch
 * have the same. */
void nps_report_run_checksum(char out[24], const json_t *run);

/* The HTML case report (html.c): run is the JSON report's run object, so
 * is the search's options (NULL: defaults), warning shown at the top (or
 * NULL); runs (may be NULL): the chromatograms of screened runs, drawn with
 * the components (queries with Run and Retention_time) marked. */
int nps_report_html(FILE *fp, const nps_hits *h, const nps_spectra *queries, const nps_library *lib,
                    const json_t *run, const nps_call_options *co, const nps_search_options *so,
                    const char *warning, const nps_chromatogram *const *runs, size_t n_runs);

/* The pieces of a JSON report, shared with the screen report (screen.c):
 * the provenance object, one hit, one query's call (NULL when it has none). */
json_t *nps_report_run_object(const nps_hits *h, const nps_spectra *q, const nps_library *lib,
                              const nps_report_options *o, const nps_call_options *co);
json_t *nps_report_hit_object(const nps_hit_row *r);
json_t *nps_report_call_object(const nps_hits *h, size_t qi, const nps_spectra *L,
                               const nps_call_options *co);

/* The first line of a sharded TSV report. */
#define NPS_SHARD_TSV_TAG "#npsmatch-shard"

#endif

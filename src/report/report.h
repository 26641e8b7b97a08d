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

/* The first line of a sharded TSV report. */
#define NPS_SHARD_TSV_TAG "#npsmatch-shard"

#endif

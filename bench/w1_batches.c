/*
 * The instruction-count driver of the W1 open search (callgrind): the W1
 * synthetic library (100,000 spectra, seed 5), 300 synthetic queries (seed
 * 7), open mode, entropy, 1 thread; one plan, then RUNS batches.
 *
 *   valgrind --tool=callgrind --collect-atstart=no \
 *       --toggle-collect=nps_search_batch build/bench/w1_batches 1
 *   ... the same with 2
 *
 * The difference of the two counts is one steady-state batch: the library
 * build and the plan are outside the toggled function, and a first batch's
 * one-time costs cancel. bench/RESULTS.md compares it across commits.
 */
#include "npsmatch/npsmatch.h"
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 1;
    nps_spectra *ls = NULL, *q = NULL;
    nps_library *lib = NULL;
    nps_plan *plan = NULL;
    if (nps_spectra_create(&ls) || nps_spectra_create(&q) || synth_library(ls, 100000, 5) ||
        synth_queries(q, NULL, ls, 300, 7) || nps_library_create(&lib, ls, NULL)) {
        fprintf(stderr, "w1_batches: %s\n", nps_error_last());
        return 1;
    }
    nps_search_options o = NPS_SEARCH_OPTIONS_INIT;
    o.mode = NPS_MODE_OPEN;
    o.score = NPS_SCORE_ENTROPY;
    o.threads = 1;
    if (nps_plan_create(&plan, lib, &o)) {
        fprintf(stderr, "w1_batches: %s\n", nps_error_last());
        return 1;
    }
    size_t total = 0;
    for (int r = 0; r < runs; r++) {
        nps_hits *h = NULL;
        if (nps_search_batch(&h, plan, q)) {
            fprintf(stderr, "w1_batches: %s\n", nps_error_last());
            return 1;
        }
        total += nps_hits_count(h);
        nps_hits_free(h);
    }
    printf("%zu hits in %d batches\n", total, runs);
    nps_plan_free(plan);
    nps_library_free(lib);
    nps_spectra_free(ls);
    nps_spectra_free(q);
    return 0;
}

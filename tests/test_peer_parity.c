/*
 * Score parity with the peers (ms_entropy 1.5.0, matchms 0.33.1) on real
 * MassBank pairs: ../shared/data/peer_reference/{entropy,cosine,ei}_pairs.tsv.
 * Every pair not flagged by the reference as a tolerance-boundary case must
 * agree to within 1e-5 (and on the matched-peak count for cosine); flagged
 * pairs are counted and printed, not failed.
 */
#include "check.h"

typedef struct {
    const char *label;
    int score_col, count_col; /* count_col -1: none */
    int flag_col, flag_col2;  /* -1: none */
    nps_preprocess_config cfg;
    nps_score_options so;
} pair_case;

static void run(const char *tsv, nps_spectra *raw, pair_case *pc)
{
    nps_spectra *s;
    CHECK(nps_preprocess_spectra(&s, raw, &pc->cfg) == 0);
    nps_score_workspace *ws;
    nps_score_workspace_create(&ws);
    FILE *fp = fopen(tsv, "r");
    CHECK(fp != NULL);
    char *line = NULL;
    size_t cap = 0, rows = 0, bad = 0, flagged = 0, flagged_bad = 0;
    double maxd = 0;
    getline(&line, &cap, fp); /* header */
    while (getline(&line, &cap, fp) > 0) {
        char *f[32];
        int nf = split_tab(line, f, 32);
        size_t a, b;
        if (nf <= pc->score_col || nps_spectra_find(&a, s, f[0]) || nps_spectra_find(&b, s, f[1])) {
            CHECK_MSG(0, "%s: row %zu unusable", pc->label, rows + 1);
            continue;
        }
        rows++;
        const double *qm, *rm;
        const float *qi, *ri;
        size_t qn, rn;
        nps_spectra_peaks(s, a, &qm, &qi, &qn);
        nps_spectra_peaks(s, b, &rm, &ri, &rn);
        nps_score_result res;
        CHECK(nps_score_pair(&res, NULL, NULL, ws, qm, qi, qn, rm, ri, rn, &pc->so) == 0);
        double ref = atof(f[pc->score_col]);
        int ok = fabs(res.score - ref) <= 1e-5;
        if (pc->count_col >= 0) ok = ok && res.matched == (size_t)atol(f[pc->count_col]);
        int flag = (pc->flag_col >= 0 && atol(f[pc->flag_col]) != 0) ||
                   (pc->flag_col2 >= 0 && atol(f[pc->flag_col2]) != 0);
        if (flag) {
            flagged++;
            flagged_bad += !ok;
            continue;
        }
        if (fabs(res.score - ref) > maxd) maxd = fabs(res.score - ref);
        if (!ok) {
            bad++;
            if (bad <= 5)
                fprintf(stderr, "%s: %s %s: %.9f (%zu) vs %s\n", pc->label, f[0], f[1], res.score,
                        res.matched, f[pc->score_col]);
        }
    }
    printf("%-28s %zu pairs, %zu disagree, max |diff| %.2g; boundary-flagged %zu (%zu differ)\n",
           pc->label, rows, bad, maxd, flagged, flagged_bad);
    CHECK_MSG(bad == 0 && rows > 0, "%s", pc->label);
    free(line);
    fclose(fp);
    nps_score_workspace_free(ws);
    nps_spectra_free(s);
}

int main(void)
{
    nps_spectra *fs = read_file(data_path("massbank/massbank_forensic_subset.msp"), NULL);
    const char *ent = data_path("peer_reference/entropy_pairs.tsv");
    const char *cos = data_path("peer_reference/cosine_pairs.tsv");
    nps_preprocess_config flash = NPS_PREPROCESS_CONFIG_INIT;
    nps_preprocess_config pairwise = NPS_PREPROCESS_CONFIG_INIT;
    pairwise.msms.precursor_removal = 0;
    pairwise.msms.merge_tolerance = 0.04;
    pairwise.ei = pairwise.msms; /* the peers see every record as MS/MS */
    flash.ei = flash.msms;
    nps_preprocess_config raw = {NPS_PREPROCESS_RAW_INIT, NPS_PREPROCESS_RAW_INIT};
    nps_score_options e = NPS_SCORE_OPTIONS_INIT, u = NPS_SCORE_OPTIONS_INIT;
    u.type = NPS_SCORE_ENTROPY_UNWEIGHTED;
    nps_score_options c1 = NPS_SCORE_OPTIONS_INIT, c05 = NPS_SCORE_OPTIONS_INIT;
    c1.type = c05.type = NPS_SCORE_COSINE;
    c1.intensity_power = 1.0;
    c05.intensity_power = 0.5;

    /* columns: 5 entropy_w_da, 6 entropy_u_da, 8 w_flashclean, 9 u_flashclean,
     * 14 near_tol_default, 15 near_tol_flashclean */
    pair_case cases[] = {
        {"entropy_w_da_flashclean", 8, -1, 15, -1, flash, e},
        {"entropy_u_da_flashclean", 9, -1, 15, -1, flash, u},
        {"entropy_w_da", 5, -1, 14, -1, pairwise, e},
        {"entropy_u_da", 6, -1, 14, -1, pairwise, u},
    };
    for (size_t i = 0; i < 4; i++) run(ent, fs, &cases[i]);
    /* 10 ppm: ms_entropy merges within 2 x 10 ppm with its asymmetric ppm windows */
    nps_preprocess_config ppm = pairwise;
    ppm.msms.merge_tolerance = 0;
    ppm.msms.merge_tolerance_ppm = 20;
    ppm.ei = ppm.msms;
    nps_score_options ep = NPS_SCORE_OPTIONS_INIT;
    ep.tolerance = 10;
    ep.tolerance_ppm = 1;
    pair_case pc = {"entropy_w_ppm10", 7, -1, 14, -1, ppm, ep};
    run(ent, fs, &pc);
    /* cosine_pairs: 7/8 i1 score/matches, 9/10 i05, 13 n_boundary_peak_pairs */
    pair_case cc[] = {
        {"cosine_greedy_i1", 7, 8, 13, -1, raw, c1},
        {"cosine_greedy_i05", 9, 10, 13, -1, raw, c05},
    };
    for (size_t i = 0; i < 2; i++) run(cos, fs, &cc[i]);
    nps_spectra_free(fs);

    nps_spectra *ei = read_file(data_path("massbank/massbank_ei_all.msp"), NULL);
    const char *eip = data_path("peer_reference/ei_pairs.tsv");
    nps_score_options m3 = NPS_SCORE_OPTIONS_INIT, m0 = NPS_SCORE_OPTIONS_INIT;
    m3.type = m0.type = NPS_SCORE_COSINE;
    m3.tolerance = m0.tolerance = 0.5;
    m3.mz_power = 3;
    m3.intensity_power = 0.6;
    m0.intensity_power = 0.5;
    /* ei_pairs: 5/6 mz3_i06, 7/8 mz0_i05, 9 n_boundary_peak_pairs (matchms accepted all of
     * them, as the inclusive rule does: they are checked too) */
    pair_case ec[] = {
        {"ei_cosine_mz3_i06", 5, 6, -1, -1, raw, m3},
        {"ei_cosine_mz0_i05", 7, 8, -1, -1, raw, m0},
    };
    for (size_t i = 0; i < 2; i++) run(eip, ei, &ec[i]);

    /* the composite's one-pass path (no matched-pair list requested) and its
     * general greedy path agree on real EI pairs, at unit mass and raw */
    nps_preprocess_config eicfg = NPS_PREPROCESS_CONFIG_INIT;
    for (int variant = 0; variant < 2; variant++) {
        nps_spectra *p;
        CHECK(nps_preprocess_spectra(&p, ei, variant ? &raw : &eicfg) == 0);
        nps_score_workspace *ws;
        nps_score_workspace_create(&ws);
        nps_score_options co = NPS_SCORE_OPTIONS_INIT;
        co.type = NPS_SCORE_COMPOSITE;
        co.tolerance = 0.5;
        nps_peak_match m[2048];
        size_t differ = 0;
        for (size_t i = 0; i + 1 < nps_spectra_count(p); i += 13) {
            const double *qm, *rm;
            const float *qi, *ri;
            size_t qn, rn, nm = 2048;
            nps_spectra_peaks(p, i, &qm, &qi, &qn);
            nps_spectra_peaks(p, i + 1, &rm, &ri, &rn);
            nps_score_result a, b;
            nps_score_pair(&a, NULL, NULL, ws, qm, qi, qn, rm, ri, rn, &co);
            nps_score_pair(&b, m, &nm, ws, qm, qi, qn, rm, ri, rn, &co);
            differ += fabs(a.score - b.score) > 1e-12 || a.matched != b.matched;
        }
        CHECK_MSG(differ == 0, "composite paths differ on %zu pairs (variant %d)", differ, variant);
        nps_score_workspace_free(ws);
        nps_spectra_free(p);
    }
    nps_spectra_free(ei);
    return check_done("test_peer_parity");
}

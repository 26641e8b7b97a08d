/*
 * MS1 and MS2 text formats (McDonald et al., Rapid Commun. Mass Spectrom. 18
 * (2004) 2162, "MS1, MS2, and SQT - three unified, compact, and easily parsed
 * file formats"), as ProteoWizard and RawConverter write them.
 *
 * Lines start with a type letter: H (file header, "H <key> <value>"), S
 * ("S <first scan> <last scan> [<precursor m/z>]", opening a spectrum), I
 * (spectrum information, "I <key> <value>"), Z ("Z <charge> <[M+H]+ mass>",
 * one per possible charge), D (charge-dependent analysis, ignored); every
 * other line is a peak: m/z, intensity, and optional further columns
 * (resolution, baseline, noise, charge) that are ignored. Fields are separated
 * by tabs or runs of blanks. A spectrum is MS2 when its S line carries a
 * precursor, MS1 otherwise; the file type implies the level, so
 * nps_read_options.ms_level only filters when it is set explicitly. RTime and
 * RetTime are minutes (the format's unit).
 */
#include "lines.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MS2_MAX_FIELDS 5 /* S line: type, first, last, precursor, rest */

/* Split on blanks/tabs into at most max fields; the last takes the rest. */
static int fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        f[n++] = p;
        if (n == max) break;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = '\0';
    }
    if (n) { /* trim the last field */
        size_t k = strlen(f[n - 1]);
        while (k && (f[n - 1][k - 1] == ' ' || f[n - 1][k - 1] == '\t')) f[n - 1][--k] = '\0';
    }
    return n;
}

typedef struct {
    nps_read_ctx *c;
    nps_spectra *dst;
    nps_record rec;
    int open, bad, level, have_charge;
    size_t line, record_no;
    char reason[256];
} ms2_state;

static int finish(ms2_state *st)
{
    if (!st->open) return 0;
    st->open = 0;
    int want = st->c->opt->ms_level;
    if (want > 0 && want != st->level) {
        if (st->c->rep) st->c->rep->records_filtered++;
        return 0;
    }
    if (st->bad) return nps_read_bad(st->c, st->line, st->reason);
    return nps_read_commit(st->c, st->dst, &st->rec, st->line, st->record_no);
}

static void bad(ms2_state *st, size_t line, const char *why)
{
    if (st->bad) return;
    st->bad = 1;
    st->line = line;
    snprintf(st->reason, sizeof st->reason, "%s", why);
}

static int start(ms2_state *st, char **f, int n, size_t lineno)
{
    nps_record_reset(&st->rec);
    st->open = 1;
    st->bad = 0;
    st->have_charge = 0;
    st->line = lineno;
    st->record_no++;
    if (n < 3) {
        bad(st, lineno, "S line needs first and last scan numbers");
        return 0;
    }
    char id[96];
    if (strcmp(f[1], f[2]) == 0)
        snprintf(id, sizeof id, "scan=%.40s", f[1]);
    else
        snprintf(id, sizeof id, "scan=%.40s-%.40s", f[1], f[2]);
    int rc = nps_record_meta(&st->rec, NPS_KEY_SPECTRUM_ID, id);
    if (rc) return rc;
    st->level = 1;
    if (n >= 4) {
        double p;
        if (nps_parse_double(&p, f[3]) || p <= 0) {
            bad(st, lineno, "S line precursor m/z is not a positive number");
            return 0;
        }
        st->level = 2;
        if ((rc = nps_record_meta(&st->rec, NPS_KEY_PRECURSOR_MZ, f[3]))) return rc;
    }
    return nps_record_meta(&st->rec, NPS_KEY_SPECTRUM_TYPE, st->level == 2 ? "MS2" : "MS1");
}

int nps_ms2_read(nps_spectra *dst, nps_read_ctx *c)
{
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    if (rc) return rc;
    ms2_state st = {c, dst, {0}, 0, 0, 0, 0, 0, 0, ""};
    int got;
    size_t nonblank = 0;
    while ((got = nps_lines_next(&r)) > 0) {
        if (nps_line_blank(r.buf)) continue;
        nonblank++;
        const char *why = nps_lines_defect(&r);
        if (why) {
            if (st.open)
                bad(&st, r.lineno, why);
            else if ((rc = nps_read_bad(c, r.lineno, why)))
                goto done;
            continue;
        }
        char *f[MS2_MAX_FIELDS] = {NULL};
        char *line = r.buf;
        while (*line == ' ' || *line == '\t') line++;
        char type = line[0];
        int sep = line[1] == ' ' || line[1] == '\t';
        if (sep && type == 'H') continue;
        if (sep && type == 'S') {
            if ((rc = finish(&st))) goto done;
            int n = fields(line, f, MS2_MAX_FIELDS);
            if ((rc = start(&st, f, n > 4 ? 4 : n, r.lineno))) goto done;
            continue;
        }
        if (!st.open) {
            if ((rc = nps_read_bad(c, r.lineno, "data before the first S line"))) goto done;
            continue;
        }
        if (st.bad) continue;
        if (sep && type == 'I') {
            int n = fields(line, f, 3);
            if (n < 2) continue;
            const char *key = f[1], *val = n == 3 ? f[2] : "";
            if (strcasecmp(key, "RTime") == 0 || strcasecmp(key, "RetTime") == 0)
                key = NPS_KEY_RETENTION_TIME;
            if ((rc = nps_record_meta(&st.rec, key, val))) goto done;
        } else if (sep && type == 'Z') {
            int n = fields(line, f, 3);
            if (n >= 2 && !st.have_charge) {
                char ch[48];
                snprintf(ch, sizeof ch, "%.40s+", f[1]);
                if ((rc = nps_record_meta(&st.rec, NPS_KEY_CHARGE, ch))) goto done;
                st.have_charge = 1;
            }
        } else if (sep && type == 'D') {
            continue;
        } else {
            /* m/z, intensity, then columns that are not annotations */
            int n = fields(line, f, 3);
            double mz, in;
            char msg[160];
            if (n < 2 || nps_parse_double(&mz, f[0]) || nps_parse_double(&in, f[1])) {
                snprintf(msg, sizeof msg, "expected a peak 'm/z intensity', found '%.40s'", f[0]);
                bad(&st, r.lineno, msg);
            } else if (mz < 0 || in < 0) {
                snprintf(msg, sizeof msg, "negative value in peak at m/z %g", mz);
                bad(&st, r.lineno, msg);
            } else if (st.rec.n >= c->opt->max_peaks) {
                bad(&st, r.lineno, "more peaks than the limit");
            } else if ((rc = nps_record_peak(&st.rec, mz, (float)in))) {
                goto done;
            }
        }
    }
    if (got < 0) {
        rc = got;
        goto done;
    }
    if ((rc = finish(&st))) goto done;
    if (nonblank == 0) rc = nps_err_at(NPS_EFORMAT, c->path, 1, "empty file");
done:
    nps_record_free(&st.rec);
    nps_lines_close(&r);
    return rc;
}

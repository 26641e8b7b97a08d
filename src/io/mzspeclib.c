/*
 * mzSpecLib text format 1.0 (HUPO-PSI; Klein et al., Anal. Chem. 2024, "The
 * Proteomics Standards Initiative standardized formats for spectral
 * libraries and fragment ion peak annotations").
 *
 * A library is a header (<mzSpecLib> and library-level attributes), optional
 * <AttributeSet Spectrum=...> blocks, then <Spectrum=N> sections, each with
 * attribute lines, optional <Analyte=N> / <Interpretation=N> sub-sections and
 * a <Peaks> table. An attribute line is "[group]CURIE|name=value" (the group
 * prefix ties related attributes together; a value may itself be
 * "CURIE|name") or, for user attributes, "name=value". The PSI-MS terms the
 * spectrum model holds are mapped onto the canonical keys; every other
 * attribute is kept under its name. Attribute sets named "all" apply to every
 * spectrum. Peak lines are "m/z<TAB>intensity[<TAB>annotation[<TAB>...]]";
 * the annotation "?" means unannotated. "number of peaks" must match the
 * table.
 */
#include "lines.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *acc, *key;
} term_map;

static const term_map terms[] = {
    {"MS:1003061", NPS_KEY_NAME},
    {"MS:1000744", NPS_KEY_PRECURSOR_MZ},
    {"MS:1003208", NPS_KEY_PRECURSOR_MZ},
    {"MS:1000041", NPS_KEY_CHARGE},
    {"MS:1000866", NPS_KEY_FORMULA},
    {"MS:1000868", NPS_KEY_SMILES},
    {"MS:1002894", NPS_KEY_INCHIKEY},
    {"MS:1003403", "InChI"},
    {"MS:1000045", NPS_KEY_COLLISION_ENERGY},
    {"MS:1003063", NPS_KEY_SPECTRUM_ID},
    {"MS:1000894", NPS_KEY_RETENTION_TIME},
    {"MS:1000465", NPS_KEY_ION_MODE},
    {"MS:1000511", NPS_KEY_SPECTRUM_TYPE},
    {"MS:1003062", "Library_index"},
};

typedef struct {
    nps_read_ctx *c;
    nps_spectra *dst;
    nps_record rec;
    nps_record all; /* attributes of the "all" attribute sets */
    int open, bad, in_peaks, in_set_all, in_set;
    size_t line, record_no, declared;
    int have_declared;
    char reason[256];
} msl_state;

static void bad(msl_state *st, size_t line, const char *why)
{
    if (st->bad) return;
    st->bad = 1;
    st->line = line;
    snprintf(st->reason, sizeof st->reason, "%s", why);
}

static int finish(msl_state *st)
{
    if (!st->open) return 0;
    st->open = 0;
    st->in_peaks = 0;
    if (!st->bad && st->have_declared && st->rec.n != st->declared) {
        char why[128];
        snprintf(why, sizeof why, "number of peaks says %zu, the table holds %zu", st->declared,
                 st->rec.n);
        bad(st, st->line, why);
    }
    if (st->bad) return nps_read_bad(st->c, st->line, st->reason);
    for (size_t i = 0; i < st->all.nmeta; i++)
        if (!nps_record_get(&st->rec, st->all.keys[i])) {
            int rc = nps_record_meta(&st->rec, st->all.keys[i], st->all.vals[i]);
            if (rc) return rc;
        }
    return nps_read_commit(st->c, st->dst, &st->rec, st->line, st->record_no);
}

/* "[1]MS:1000045|collision energy=35" -> key, value; the value's own
 * "CURIE|name" is reduced to the name. */
static int attribute(msl_state *st, nps_record *rec, char *line, size_t lineno)
{
    char *p = line;
    if (*p == '[') {
        char *e = strchr(p, ']');
        if (e) p = e + 1;
    }
    char *eq = strchr(p, '=');
    if (!eq) {
        if (rec == &st->rec) bad(st, lineno, "attribute line without '='");
        return 0;
    }
    *eq = '\0';
    char *val = eq + 1;
    char *bar = strchr(p, '|');
    const char *acc = bar ? p : "";
    if (bar) *bar = '\0';
    const char *name = bar ? bar + 1 : p;
    char *vbar = strchr(val, '|');
    if (vbar && strncmp(val, "MS:", 3) == 0) val = vbar + 1;
    if (strcmp(acc, "MS:1003059") == 0 && rec == &st->rec) {
        double n;
        if (nps_parse_double(&n, val) || n < 0) {
            bad(st, lineno, "number of peaks is not a count");
            return 0;
        }
        st->declared = (size_t)n;
        st->have_declared = 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        if (strcmp(acc, terms[i].acc) == 0) {
            if (strcmp(acc, "MS:1000511") == 0) {
                char lv[32];
                snprintf(lv, sizeof lv, "MS%.20s", val);
                return nps_record_meta(rec, terms[i].key, lv);
            }
            if (strcmp(acc, "MS:1000465") == 0) /* scan polarity: "positive scanning" */
                return nps_record_meta(rec, terms[i].key,
                                       strncasecmp(val, "positive", 8) == 0   ? "Positive"
                                       : strncasecmp(val, "negative", 8) == 0 ? "Negative"
                                                                              : val);
            if (nps_record_get(rec, terms[i].key)) return 0; /* the first one counts */
            return nps_record_meta(rec, terms[i].key, val);
        }
    return nps_record_meta(rec, name, val);
}

static int peak(msl_state *st, char *line, size_t lineno)
{
    char *f[3] = {line, NULL, NULL};
    int n = 1;
    for (char *p = line; *p && n < 3; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    if (n < 2) { /* blank-separated variant */
        char *sp = strpbrk(line, " ");
        if (sp) {
            *sp = '\0';
            f[1] = sp + 1;
            n = 2;
        }
    }
    double mz, in;
    if (n < 2 || nps_parse_double(&mz, f[0]) || nps_parse_double(&in, f[1])) {
        char why[128];
        snprintf(why, sizeof why, "expected a peak 'm/z<TAB>intensity', found '%.40s'", f[0]);
        bad(st, lineno, why);
        return 0;
    }
    if (mz < 0 || in < 0) {
        bad(st, lineno, "negative m/z or intensity");
        return 0;
    }
    if (st->rec.n >= st->c->opt->max_peaks) {
        bad(st, lineno, "more peaks than the limit");
        return 0;
    }
    int rc = nps_record_peak(&st->rec, mz, (float)in);
    if (rc) return rc;
    if (n == 3) {
        char *a = f[2], *tab = strchr(a, '\t');
        if (tab) *tab = '\0';
        if (strcmp(a, "?") != 0 && *a) {
            st->rec.ann[st->rec.n - 1] = nps_strdup(a);
            if (!st->rec.ann[st->rec.n - 1]) return NPS_ENOMEM;
        }
    }
    return 0;
}

int nps_mzspeclib_read(nps_spectra *dst, nps_read_ctx *c)
{
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    if (rc) return rc;
    msl_state st;
    memset(&st, 0, sizeof st);
    st.c = c;
    st.dst = dst;
    int got;
    size_t nonblank = 0;
    while ((got = nps_lines_next(&r)) > 0) {
        char *line = r.buf;
        while (*line == ' ' || *line == '\t') line++;
        size_t k = strlen(line);
        while (k && (line[k - 1] == ' ' || line[k - 1] == '\r')) line[--k] = '\0';
        if (!*line) continue;
        nonblank++;
        const char *why = nps_lines_defect(&r);
        if (why) {
            if (st.open)
                bad(&st, r.lineno, why);
            else if ((rc = nps_read_bad(c, r.lineno, why)))
                goto done;
            continue;
        }
        if (line[0] == '<') {
            if (strncasecmp(line, "<Spectrum=", 10) == 0) {
                if ((rc = finish(&st))) goto done;
                nps_record_reset(&st.rec);
                st.open = 1;
                st.bad = 0;
                st.in_set = st.in_set_all = 0;
                st.have_declared = 0;
                st.line = r.lineno;
                st.record_no++;
                continue;
            }
            if (strncasecmp(line, "<Peaks>", 7) == 0) {
                st.in_peaks = st.open;
                continue;
            }
            if (strncasecmp(line, "<AttributeSet", 13) == 0) {
                if ((rc = finish(&st))) goto done;
                st.in_set = 1;
                st.in_set_all = strstr(line, "=all>") != NULL &&
                                (strstr(line, "Spectrum=") || strstr(line, "Analyte="));
                continue;
            }
            /* <mzSpecLib>, <Analyte=N>, <Interpretation=N>, <Cluster=N>, ... */
            st.in_peaks = 0;
            continue;
        }
        if (st.in_peaks) {
            if (!st.bad && (rc = peak(&st, line, r.lineno))) goto done;
        } else if (st.open) {
            if (!st.bad && (rc = attribute(&st, &st.rec, line, r.lineno))) goto done;
        } else if (st.in_set_all) {
            if ((rc = attribute(&st, &st.all, line, r.lineno))) goto done;
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
    nps_record_free(&st.all);
    nps_lines_close(&r);
    return rc;
}

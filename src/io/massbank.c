/*
 * MassBank record format reader (MassBank-data record format 2.x; the older
 * records without the MSBNK- prefix use the same tags).
 *
 * A record is "TAG: value" lines, with sub-tags for the grouped fields
 * ("AC$MASS_SPECTROMETRY: ION_MODE POSITIVE", "CH$LINK: INCHIKEY ..."), a
 * peak table after "PK$PEAK: m/z int. rel.int." (indented lines of m/z,
 * absolute intensity, relative intensity) and a closing "//"; a file may hold
 * several records. Fields map onto the canonical keys as the MassBank MSP
 * export does (SOURCES.md of the shared data): the first CH$NAME is Name and
 * the others Synon; ACCESSION is DB#; CH$LINK INCHIKEY and CAS give InChIKey
 * and CAS#; MS_TYPE is Spectrum_type; ION_MODE is Ion_mode as P or N;
 * IONIZATION, IONIZATION_ENERGY and COLLISION_ENERGY keep their names; the
 * focused ion's PRECURSOR_M/Z and PRECURSOR_TYPE are PrecursorMZ and
 * Precursor_type; PK$SPLASH is Splash. Every other tag is kept, sub-tagged
 * ones as "TAG:SUBTAG" (e.g. "AC$CHROMATOGRAPHY:COLUMN_NAME"). The peaks are
 * the m/z and absolute-intensity columns. Multi-line blocks other than the
 * peak table (PK$ANNOTATION) are skipped.
 */
#include "lines.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* Map one tag line onto the record's metadata. */
static int add_tag(nps_record *rec, const char *tag, char *val, int *have_name)
{
    char key[160];
    if (strcmp(tag, "CH$NAME") == 0) {
        int rc = nps_record_meta(rec, *have_name ? NPS_KEY_SYNONYM : NPS_KEY_NAME, val);
        *have_name = 1;
        return rc;
    }
    if (strcmp(tag, "ACCESSION") == 0) return nps_record_meta(rec, NPS_KEY_ID, val);
    if (strcmp(tag, "CH$FORMULA") == 0) return nps_record_meta(rec, NPS_KEY_FORMULA, val);
    if (strcmp(tag, "CH$EXACT_MASS") == 0) return nps_record_meta(rec, NPS_KEY_EXACT_MASS, val);
    if (strcmp(tag, "CH$SMILES") == 0) return nps_record_meta(rec, NPS_KEY_SMILES, val);
    if (strcmp(tag, "CH$IUPAC") == 0) return nps_record_meta(rec, "InChI", val);
    if (strcmp(tag, "CH$COMPOUND_CLASS") == 0) return nps_record_meta(rec, NPS_KEY_CLASS, val);
    if (strcmp(tag, "AC$INSTRUMENT_TYPE") == 0)
        return nps_record_meta(rec, NPS_KEY_INSTRUMENT_TYPE, val);
    if (strcmp(tag, "AC$INSTRUMENT") == 0) return nps_record_meta(rec, "Instrument", val);
    if (strcmp(tag, "LICENSE") == 0) return nps_record_meta(rec, NPS_KEY_LICENSE, val);
    if (strcmp(tag, "PK$SPLASH") == 0) return nps_record_meta(rec, "Splash", val);
    if (strcmp(tag, "CH$LINK") == 0 || strcmp(tag, "AC$MASS_SPECTROMETRY") == 0 ||
        strcmp(tag, "MS$FOCUSED_ION") == 0 || strcmp(tag, "AC$CHROMATOGRAPHY") == 0 ||
        strcmp(tag, "MS$DATA_PROCESSING") == 0 || strcmp(tag, "SP$LINK") == 0 ||
        strcmp(tag, "AC$GENERAL") == 0) {
        /* "SUBTAG value" */
        char *sp = val;
        while (*sp && *sp != ' ' && *sp != '\t') sp++;
        char *rest = *sp ? trim(sp + 1) : sp;
        if (*sp) *sp = '\0';
        const char *sub = val;
        if (strcmp(tag, "CH$LINK") == 0 && strcmp(sub, "INCHIKEY") == 0)
            return nps_record_meta(rec, NPS_KEY_INCHIKEY, rest);
        if (strcmp(tag, "CH$LINK") == 0 && strcmp(sub, "CAS") == 0)
            return nps_record_meta(rec, NPS_KEY_CAS, rest);
        if (strcmp(tag, "AC$MASS_SPECTROMETRY") == 0) {
            if (strcmp(sub, "MS_TYPE") == 0)
                return nps_record_meta(rec, NPS_KEY_SPECTRUM_TYPE, rest);
            if (strcmp(sub, "ION_MODE") == 0) {
                const char *m = strcasecmp(rest, "POSITIVE") == 0   ? "P"
                                : strcasecmp(rest, "NEGATIVE") == 0 ? "N"
                                                                    : rest;
                return nps_record_meta(rec, NPS_KEY_ION_MODE, m);
            }
            if (strcmp(sub, "IONIZATION") == 0)
                return nps_record_meta(rec, NPS_KEY_IONIZATION, rest);
            if (strcmp(sub, "IONIZATION_ENERGY") == 0)
                return nps_record_meta(rec, "Ionization_energy", rest);
            if (strcmp(sub, "COLLISION_ENERGY") == 0)
                return nps_record_meta(rec, NPS_KEY_COLLISION_ENERGY, rest);
        }
        if (strcmp(tag, "MS$FOCUSED_ION") == 0) {
            if (strcmp(sub, "PRECURSOR_M/Z") == 0)
                return nps_record_meta(rec, NPS_KEY_PRECURSOR_MZ, rest);
            if (strcmp(sub, "PRECURSOR_TYPE") == 0)
                return nps_record_meta(rec, NPS_KEY_PRECURSOR_TYPE, rest);
        }
        if (strcmp(tag, "AC$CHROMATOGRAPHY") == 0 && strcmp(sub, "RETENTION_TIME") == 0)
            return nps_record_meta(rec, NPS_KEY_RETENTION_TIME, rest);
        if (strcmp(tag, "AC$CHROMATOGRAPHY") == 0 &&
            (strcmp(sub, "KOVATS_RTI") == 0 || strcmp(sub, "RETENTION_INDEX") == 0))
            return nps_record_meta(rec, NPS_KEY_RETENTION_INDEX, rest);
        snprintf(key, sizeof key, "%s:%s", tag, sub);
        return nps_record_meta(rec, key, rest);
    }
    return nps_record_meta(rec, tag, val);
}

int nps_massbank_read(nps_spectra *dst, nps_read_ctx *c)
{
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    if (rc) return rc;
    nps_record rec = {0};
    enum { OUT, HEAD, PEAKS, BLOCK, SKIP } state = OUT;
    long long expected = -1;
    size_t rec_line = 0, record_no = 0, nonblank = 0;
    int have_name = 0;
    char reason[256];
    int got;
    while ((got = nps_lines_next(&r)) > 0) {
        char *line = r.buf;
        if (nps_line_blank(line)) continue;
        nonblank++;
        if (nps_lines_defect(&r)) {
            if (state != SKIP) {
                if (state == OUT) record_no++;
                if ((rc = nps_read_bad(c, r.lineno, nps_lines_defect(&r)))) goto done;
            }
            state = SKIP;
            continue;
        }
        if (strncmp(line, "//", 2) == 0) { /* end of record */
            if (state == HEAD || state == PEAKS || state == BLOCK) {
                if (expected < 0) {
                    if ((rc = nps_read_bad(c, rec_line, "record without PK$NUM_PEAK"))) goto done;
                } else if ((size_t)expected != rec.n) {
                    snprintf(reason, sizeof reason,
                             "peak count mismatch: PK$NUM_PEAK says %lld, found %zu", expected,
                             rec.n);
                    if ((rc = nps_read_bad(c, rec_line, reason))) goto done;
                } else if ((rc = nps_read_commit(c, dst, &rec, rec_line, record_no))) {
                    goto done;
                }
            }
            state = OUT;
            continue;
        }
        if (state == SKIP) continue;
        if (state == OUT) {
            nps_record_reset(&rec);
            expected = -1;
            have_name = 0;
            rec_line = r.lineno;
            record_no++;
            state = HEAD;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            if (state == PEAKS) {
                rc = nps_parse_peak_line(&rec, line, 0, reason, sizeof reason);
                if (rc == NPS_ENOMEM) goto done;
                if (rc) {
                    if ((rc = nps_read_bad(c, r.lineno, reason))) goto done;
                    state = SKIP;
                }
            }
            continue; /* continuation of a skipped block */
        }
        char *colon = strchr(line, ':');
        if (!colon) {
            snprintf(reason, sizeof reason, "expected 'TAG: value', found '%.40s'", line);
            if ((rc = nps_read_bad(c, r.lineno, reason))) goto done;
            state = SKIP;
            continue;
        }
        *colon = '\0';
        char *tag = trim(line), *val = trim(colon + 1);
        state = HEAD;
        if (strcmp(tag, "PK$NUM_PEAK") == 0) {
            double v;
            if (nps_parse_double(&v, val) || v < 0 || v != (double)(long long)v ||
                v > (double)c->opt->max_peaks) {
                snprintf(reason, sizeof reason, "invalid PK$NUM_PEAK '%.40s'", val);
                if ((rc = nps_read_bad(c, r.lineno, reason))) goto done;
                state = SKIP;
                continue;
            }
            expected = (long long)v;
        } else if (strcmp(tag, "PK$PEAK") == 0) {
            state = PEAKS;
        } else if (strcmp(tag, "PK$ANNOTATION") == 0) {
            state = BLOCK;
        } else if ((rc = add_tag(&rec, tag, val, &have_name))) {
            goto done;
        }
    }
    if (got < 0) {
        rc = got;
        goto done;
    }
    if (state == HEAD || state == PEAKS || state == BLOCK) {
        if ((rc = nps_read_bad(c, rec_line, "truncated record: no closing '//'"))) goto done;
    }
    if (nonblank == 0) rc = nps_err_at(NPS_EFORMAT, c->path, 1, "empty file");
done:
    nps_record_free(&rec);
    nps_lines_close(&r);
    return rc;
}

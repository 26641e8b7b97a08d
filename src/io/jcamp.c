/*
 * JCAMP-DX reader for mass spectra (McDonald & Wilks 1988 for the core
 * format; Lampen et al., Appl. Spectrosc. 48 (1994) 1545, "JCAMP-DX for mass
 * spectrometry"). This is what GC-MS software and the SWGDRUG library
 * download produce.
 *
 * A file is a sequence of blocks, each opened by ##TITLE= and closed by
 * ##END=. Labelled data records ("##LABEL= value", value continuing on the
 * following lines until the next "##") give metadata; labels are compared
 * as the standard says, ignoring case, blanks, '-', '/' and '_'. "$$" starts
 * a comment to the end of the line. The spectrum is one of:
 *   ##PEAK TABLE= (XY..XY)   pairs (or XYW/XYM triples), AFFN;
 *   ##XYDATA= (X++(Y..Y))    ordinates in ASDF form (asdf.c), one abscissa
 *                            per line; after a line ending in DIF the next
 *                            line starts with a repeat of the last ordinate,
 *                            which is checked (the "Y-check") and dropped;
 *                            abscissas come from FIRSTX/LASTX/NPOINTS;
 *   ##NTUPLES= MASS SPECTRUM with ##PAGE= records, each page a spectrum
 *                            (a GC-MS run), its ##DATA TABLE= in either form
 *                            and its factors from ##FACTOR=.
 * Values are multiplied by XFACTOR/YFACTOR. ##DATA TYPE= LINK files with
 * ##BLOCKS= nest blocks: a nested block inherits the enclosing block's
 * compound metadata (MOLFORM, CAS REGISTRY NO, ...). Blocks whose DATA TYPE
 * is not a mass spectrum (IR, NMR, structures) are not spectra for us and
 * are counted as filtered. NPOINTS must match the data: a mismatch means a
 * truncated or corrupt block, which is reported and skipped.
 */
#include "jcamp.h"
#include "lines.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JCAMP_MAX_NESTING 8 /* LINK files nest one level; leave room, refuse the absurd */
#define JCAMP_MAX_LINE_VALUES 65536
#define JCAMP_MAX_VARS 8

enum { DATA_NONE = 0, DATA_PAIRS = 1, DATA_XPP = 2 };

typedef struct {
    nps_record rec; /* metadata and, for pair tables, peaks */
    size_t line;    /* where the block (or page) starts */
    char data_type[80];
    double xfactor, yfactor, firstx, lastx;
    size_t npoints;
    int have_npoints;
    /* NTUPLES */
    int ntuples;
    char sym[JCAMP_MAX_VARS][8];
    double factor[JCAMP_MAX_VARS];
    char units[JCAMP_MAX_VARS][24];
    int nvars;
    int in_page;
    char page[80];
    /* data being read */
    int mode, stride, had_data, bad;
    int reading; /* lines are data until the next label */
    char reason[256];
    size_t bad_line;
    double *ys;    /* X++(Y..Y): ordinates */
    double *xline; /* abscissa of the line each ordinate came from, and its index in it */
    size_t *xidx;
    size_t ny, ycap;
    int prev_dif;
    double last_y;
    size_t pair_count; /* values seen in a pair table */
    double pending_x;
} jblock;

typedef struct {
    nps_read_ctx *c;
    nps_spectra *dst;
    jblock blk[JCAMP_MAX_NESTING];
    int depth; /* open blocks */
    size_t record_no;
    double *vals;
    char last_label[40]; /* for continuation lines of metadata */
    int fatal;
} jstate;

static void norm_label(char *dst, size_t cap, const char *s)
{
    size_t k = 0;
    for (; *s && k + 1 < cap; s++) {
        if (*s == ' ' || *s == '-' || *s == '/' || *s == '_' || *s == '\t') continue;
        dst[k++] = (char)toupper((unsigned char)*s);
    }
    dst[k] = '\0';
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

static void strip_comment(char *s)
{
    char *c = strstr(s, "$$");
    if (c) *c = '\0';
}

static void block_bad(jblock *b, size_t line, const char *why)
{
    if (b->bad) return;
    b->bad = 1;
    b->bad_line = line;
    snprintf(b->reason, sizeof b->reason, "%s", why);
}

static void block_clear(jblock *b)
{
    nps_record_reset(&b->rec);
    b->line = 0;
    b->data_type[0] = '\0';
    b->xfactor = b->yfactor = 1;
    b->firstx = b->lastx = NAN;
    b->npoints = 0;
    b->have_npoints = 0;
    b->ntuples = 0;
    b->nvars = 0;
    b->in_page = 0;
    b->page[0] = '\0';
    b->mode = DATA_NONE;
    b->reading = 0;
    b->stride = 2;
    b->had_data = 0;
    b->bad = 0;
    b->ny = 0;
    b->prev_dif = 0;
    b->pair_count = 0;
}

/* Set a key, replacing an earlier value: a nested block's own labels override
 * what it inherited, and each NTUPLES page renames the shared record. */
static int set_meta(nps_record *r, const char *key, const char *value)
{
    const char *canon = nps_key_canonical(key);
    if (!canon) canon = key;
    for (size_t i = 0; i < r->nmeta; i++)
        if (nps_strcaseeq(r->keys[i], canon)) {
            char *d = nps_strdup(value);
            if (!d) return NPS_ENOMEM;
            free(r->vals[i]);
            r->vals[i] = d;
            return 0;
        }
    return nps_record_meta(r, key, value);
}

/* Ordinate scale of the block or page: NTUPLES pages use the FACTOR of the
 * variables named X and Y. */
static void factors(const jblock *b, double *fx, double *fy)
{
    *fx = b->xfactor;
    *fy = b->yfactor;
    if (!b->ntuples) return;
    for (int v = 0; v < b->nvars; v++) {
        if (strcmp(b->sym[v], "X") == 0 && b->factor[v] > 0) *fx = b->factor[v];
        if (strcmp(b->sym[v], "Y") == 0 && b->factor[v] > 0) *fy = b->factor[v];
    }
}

/* The data form "(XY..XY)", "(XYW..XYW)", "(X++(Y..Y))", "(X,Y)". */
static int parse_form(jblock *b, const char *v)
{
    char f[64];
    norm_label(f, sizeof f, v);
    if (strstr(f, "X++(Y..Y)") || strstr(f, "X++(R..R)") || strstr(f, "X++(I..I)")) {
        b->mode = DATA_XPP;
        return 0;
    }
    if (f[0] == '(' && f[1] == 'X') {
        int letters = 0;
        for (const char *p = f + 1; *p && *p != '.' && *p != ')'; p++)
            if (isalpha((unsigned char)*p)) letters++;
        if (letters >= 2 && letters <= 4) {
            b->mode = DATA_PAIRS;
            b->stride = letters;
            return 0;
        }
    }
    return -1;
}

static int grow_y(jstate *st, jblock *b, size_t need)
{
    if (need > st->c->opt->max_peaks) return 1;
    if (need <= b->ycap) return 0;
    size_t cap = b->ycap, c2 = b->ycap, c3 = b->ycap;
    void *p = b->ys, *q = b->xline, *r = b->xidx;
    if (nps_grow(&p, &cap, need, sizeof(double))) return -1;
    b->ys = p;
    if (nps_grow(&q, &c2, need, sizeof(double))) return -1;
    b->xline = q;
    if (nps_grow(&r, &c3, need, sizeof(size_t))) return -1;
    b->xidx = r;
    b->ycap = cap < c2 ? (cap < c3 ? cap : c3) : (c2 < c3 ? c2 : c3);
    return 0;
}

static int data_line(jstate *st, jblock *b, char *line, size_t lineno)
{
    if (b->bad) return 0;
    size_t n;
    int ends_dif;
    char why[200];
    if (nps_asdf_decode(st->vals, JCAMP_MAX_LINE_VALUES, &n, &ends_dif, line, why, sizeof why)) {
        block_bad(b, lineno, why);
        return 0;
    }
    if (n == 0) return 0;
    double fx, fy;
    factors(b, &fx, &fy);
    if (b->mode == DATA_PAIRS) {
        for (size_t i = 0; i < n; i++, b->pair_count++) {
            size_t pos = b->pair_count % (size_t)b->stride;
            if (pos == 0) {
                b->pending_x = st->vals[i] * fx;
            } else if (pos == 1) {
                if (b->rec.n >= st->c->opt->max_peaks) {
                    block_bad(b, lineno, "more peaks than the limit");
                    return 0;
                }
                int rc = nps_record_peak(&b->rec, b->pending_x, (float)(st->vals[i] * fy));
                if (rc) return rc;
            }
        }
        return 0;
    }
    /* X++(Y..Y) */
    size_t first = 1;
    if (b->prev_dif && n >= 2) {
        double want = b->last_y, got = st->vals[1];
        if (fabs(want - got) > 1e-9 * fmax(1.0, fabs(want))) {
            snprintf(why, sizeof why,
                     "Y-check failed: line starts with %.10g, previous ended %.10g", got, want);
            block_bad(b, lineno, why);
            return 0;
        }
        first = 2;
    }
    int g = grow_y(st, b, b->ny + n);
    if (g < 0) return NPS_ENOMEM;
    if (g > 0) {
        block_bad(b, lineno, "more points than the peak limit");
        return 0;
    }
    for (size_t i = first; i < n; i++) {
        b->ys[b->ny] = st->vals[i] * fy;
        b->xline[b->ny] = st->vals[0] * fx;
        b->xidx[b->ny] = i - first;
        b->ny++;
    }
    if (n >= 2) b->last_y = st->vals[n - 1];
    b->prev_dif = ends_dif;
    return 0;
}

/* Turn X++(Y..Y) ordinates into peaks. FIRSTX/LASTX/NPOINTS give the
 * abscissas exactly; without them each line's abscissa and the spacing of the
 * first two lines are used. */
static int xpp_peaks(jblock *b)
{
    size_t n = b->ny;
    if (n == 0) return 0;
    int exact = !isnan(b->firstx) && !isnan(b->lastx) && n >= 2;
    double dx = exact ? (b->lastx - b->firstx) / (double)(n - 1) : 0;
    if (!exact) {
        /* spacing from the first line change */
        for (size_t i = 1; i < n; i++)
            if (b->xidx[i] == 0) {
                dx = (b->xline[i] - b->xline[0]) / (double)i;
                break;
            }
    }
    for (size_t i = 0; i < n; i++) {
        double x = exact ? b->firstx + dx * (double)i : b->xline[i] + dx * (double)b->xidx[i];
        int rc = nps_record_peak(&b->rec, x, (float)b->ys[i]);
        if (rc) return rc;
    }
    return 0;
}

static int is_mass_spectrum(const jblock *b)
{
    if (!b->data_type[0]) return 1;
    char u[80];
    norm_label(u, sizeof u, b->data_type);
    return strstr(u, "MASS") != NULL || strstr(u, "MS") == u;
}

/* Finish the spectrum of a block or page: validate, then commit or report. */
static int emit(jstate *st, jblock *b, size_t end_line)
{
    if (!b->had_data) return 0;
    b->had_data = 0;
    int rc = 0;
    if (!is_mass_spectrum(b)) {
        if (st->c->rep) st->c->rep->records_filtered++;
        goto reset;
    }
    st->record_no++;
    if (!b->bad && b->mode == DATA_PAIRS && b->pair_count % (size_t)b->stride != 0)
        block_bad(b, end_line, "peak table ends with an incomplete pair");
    if (!b->bad && b->mode == DATA_XPP && (rc = xpp_peaks(b))) return rc;
    if (!b->bad && b->have_npoints && b->rec.n != b->npoints) {
        char why[128];
        snprintf(why, sizeof why, "NPOINTS says %zu, the data hold %zu", b->npoints, b->rec.n);
        block_bad(b, end_line, why);
    }
    if (b->bad) {
        rc = nps_read_bad(st->c, b->bad_line, b->reason);
    } else {
        const char *title = nps_record_get(&b->rec, NPS_KEY_TITLE);
        if (b->in_page && title) {
            char *t = malloc(strlen(title) + strlen(b->page) + 4);
            if (!t) return NPS_ENOMEM;
            snprintf(t, strlen(title) + strlen(b->page) + 4, "%s / %s", title, b->page);
            rc = set_meta(&b->rec, NPS_KEY_NAME, t);
            free(t);
        } else if (title && !nps_record_get(&b->rec, NPS_KEY_NAME)) {
            rc = set_meta(&b->rec, NPS_KEY_NAME, title);
        }
        if (!rc) rc = nps_read_commit(st->c, st->dst, &b->rec, b->line, st->record_no);
    }
reset:
    /* peaks go; metadata stays for the next page */
    b->rec.n = 0;
    b->ny = 0;
    b->bad = 0;
    b->prev_dif = 0;
    b->pair_count = 0;
    b->mode = DATA_NONE;
    b->reading = 0;
    return rc;
}

static int open_block(jstate *st, size_t lineno, const char *title)
{
    if (st->depth == JCAMP_MAX_NESTING) {
        st->fatal = 1;
        return nps_read_bad(st->c, lineno, "blocks nested too deeply");
    }
    jblock *b = &st->blk[st->depth];
    block_clear(b);
    b->line = lineno;
    int rc;
    if (st->depth > 0) { /* inherit compound metadata from the enclosing block */
        const jblock *up = &st->blk[st->depth - 1];
        for (size_t i = 0; i < up->rec.nmeta; i++) {
            const char *k = up->rec.keys[i];
            if (nps_strcaseeq(k, NPS_KEY_TITLE) || nps_strcaseeq(k, NPS_KEY_NAME) ||
                nps_strcaseeq(k, "DATA TYPE") || nps_strcaseeq(k, "BLOCKS") ||
                nps_strcaseeq(k, "JCAMP-DX"))
                continue;
            if ((rc = set_meta(&b->rec, k, up->rec.vals[i]))) return rc;
        }
    }
    st->depth++;
    return set_meta(&b->rec, NPS_KEY_TITLE, title);
}

/* Labels describing the data layout: consumed, not kept as metadata. */
static int layout_label(const char *l)
{
    static const char *t[] = {
        "XYDATA", "PEAKTABLE",  "DATATABLE", "XYPOINTS", "FIRSTX", "LASTX",   "FIRSTY",
        "LASTY",  "XFACTOR",    "YFACTOR",   "NPOINTS",  "DELTAX", "MINX",    "MAXX",
        "MINY",   "MAXY",       "NTUPLES",   "VARNAME",  "SYMBOL", "VARTYPE", "VARFORM",
        "VARDIM", "UNITS",      "FIRST",     "LAST",     "FACTOR", "PAGE",    "END",
        "BLOCKS", "ENDNTUPLES", "MIN",       "MAX",      "POINTS"};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(l, t[i]) == 0) return 1;
    return 0;
}

/* Split "a, b, c" into at most JCAMP_MAX_VARS trimmed fields. */
static int split_vars(char out[][24], const char *v)
{
    int n = 0;
    while (n < JCAMP_MAX_VARS) {
        const char *e = strchr(v, ',');
        size_t len = e ? (size_t)(e - v) : strlen(v);
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(len < 63 ? len : 63), v);
        snprintf(out[n++], 24, "%s", trim(tmp));
        if (!e) break;
        v = e + 1;
    }
    return n;
}

static double num_or_nan(const char *v)
{
    double x;
    return nps_parse_double(&x, v) ? NAN : x;
}

static int labelled(jstate *st, char *label_raw, char *value, size_t lineno)
{
    char label[40];
    norm_label(label, sizeof label, label_raw);
    snprintf(st->last_label, sizeof st->last_label, "%s", label);
    if (label[0] == '\0') return 0; /* "##=" : a comment */
    if (strcmp(label, "TITLE") == 0) {
        /* A TITLE inside an open block nests (LINK compound files), unless
         * the open block already holds a spectrum: then its ##END is missing
         * and the new block follows it. */
        jblock *cur = st->depth ? &st->blk[st->depth - 1] : NULL;
        if (cur && cur->had_data) {
            int rc = emit(st, cur, lineno);
            if (rc) return rc;
            nps_record_reset(&cur->rec);
            st->depth--;
        }
        return open_block(st, lineno, value);
    }
    if (st->depth == 0) return 0; /* outside any block: ignore (stray text) */
    jblock *b = &st->blk[st->depth - 1];
    int rc = 0;
    if (strcmp(label, "END") == 0) {
        rc = emit(st, b, lineno);
        st->depth--;
        nps_record_reset(&b->rec);
        return rc;
    }
    b->reading = 0; /* any label ends a data table */
    if (strcmp(label, "PAGE") == 0) {
        if ((rc = emit(st, b, lineno))) return rc;
        b->in_page = 1;
        b->line = lineno;
        b->have_npoints = 0;
        snprintf(b->page, sizeof b->page, "%s", value);
        /* "T= 272" with T in seconds or minutes: a retention time */
        const char *eq = strchr(value, '=');
        for (int v = 0; eq && v < b->nvars; v++) {
            if (!b->sym[v][0] || strncmp(value, b->sym[v], strlen(b->sym[v])) != 0) continue;
            char tv[64];
            snprintf(tv, sizeof tv, "%s", eq + 1);
            double t = num_or_nan(trim(tv));
            char u[24];
            norm_label(u, sizeof u, b->units[v]);
            double minutes = strncmp(u, "SEC", 3) == 0   ? t / 60
                             : strncmp(u, "MIN", 3) == 0 ? t
                                                         : NAN;
            if (!isnan(minutes)) {
                char buf[40];
                nps_fmt_double(buf, sizeof buf, minutes);
                return set_meta(&b->rec, NPS_KEY_RETENTION_TIME, buf);
            }
        }
        return 0;
    }
    if (strcmp(label, "XYDATA") == 0 || strcmp(label, "PEAKTABLE") == 0 ||
        strcmp(label, "DATATABLE") == 0 || strcmp(label, "XYPOINTS") == 0) {
        if (b->had_data && !b->ntuples) {
            block_bad(b, lineno, "a second data table in one block");
            return 0;
        }
        if (parse_form(b, value)) {
            char why[160];
            snprintf(why, sizeof why, "unsupported data form '%.60s'", value);
            block_bad(b, lineno, why);
            b->mode = DATA_PAIRS; /* swallow the data lines */
        }
        b->had_data = 1;
        b->reading = 1;
        b->ny = 0;
        b->pair_count = 0;
        b->prev_dif = 0;
        return 0;
    }
    if (strcmp(label, "XFACTOR") == 0)
        b->xfactor = num_or_nan(value);
    else if (strcmp(label, "YFACTOR") == 0)
        b->yfactor = num_or_nan(value);
    else if (strcmp(label, "FIRSTX") == 0)
        b->firstx = num_or_nan(value);
    else if (strcmp(label, "LASTX") == 0)
        b->lastx = num_or_nan(value);
    else if (strcmp(label, "NPOINTS") == 0) {
        double v = num_or_nan(value);
        b->have_npoints = !isnan(v) && v >= 0 && v == floor(v) && v < 1e15;
        b->npoints = b->have_npoints ? (size_t)v : 0;
    } else if (strcmp(label, "NTUPLES") == 0)
        b->ntuples = 1;
    else if (strcmp(label, "SYMBOL") == 0) {
        char tmp[JCAMP_MAX_VARS][24];
        b->nvars = split_vars(tmp, value);
        for (int v = 0; v < b->nvars; v++) snprintf(b->sym[v], sizeof b->sym[v], "%.7s", tmp[v]);
        for (int v = 0; v < JCAMP_MAX_VARS; v++) b->factor[v] = 0;
    } else if (strcmp(label, "FACTOR") == 0) {
        char tmp[JCAMP_MAX_VARS][24];
        int n = split_vars(tmp, value);
        for (int v = 0; v < n; v++) b->factor[v] = tmp[v][0] ? num_or_nan(tmp[v]) : 0;
    } else if (strcmp(label, "UNITS") == 0) {
        split_vars(b->units, value);
    } else if (strcmp(label, "DATATYPE") == 0) {
        snprintf(b->data_type, sizeof b->data_type, "%s", value);
        rc = set_meta(&b->rec, "DATA TYPE", value);
    } else if (!layout_label(label)) {
        /* metadata, under the label as written ("CAS REGISTRY NO" finds its
         * canonical key through the alias table) */
        char *k = trim(label_raw);
        if ((rc = set_meta(&b->rec, k, value))) return rc;
        if (strcmp(label, ".IONIZATIONMODE") == 0 &&
            (strncmp(value, "EI", 2) == 0 || strncmp(value, "ei", 2) == 0))
            rc = set_meta(&b->rec, NPS_KEY_IONIZATION, "EI");
    }
    return rc;
}

/* A continuation line of the last metadata label: append to its value. */
static int continue_meta(jstate *st, const char *text)
{
    if (st->depth == 0 || !st->last_label[0] || layout_label(st->last_label)) return 0;
    jblock *b = &st->blk[st->depth - 1];
    if (b->rec.nmeta == 0 || !*text) return 0;
    char **v = &b->rec.vals[b->rec.nmeta - 1];
    size_t a = strlen(*v), n = strlen(text);
    if (a + n > 4096) return 0; /* keep metadata to a sane size */
    char *j = realloc(*v, a + n + 2);
    if (!j) return NPS_ENOMEM;
    if (a) j[a++] = ' ';
    memcpy(j + a, text, n + 1);
    *v = j;
    return 0;
}

int nps_jcamp_read(nps_spectra *dst, nps_read_ctx *c)
{
    jstate *st = calloc(1, sizeof *st);
    if (!st) return nps_err(NPS_ENOMEM, "out of memory");
    st->vals = malloc(JCAMP_MAX_LINE_VALUES * sizeof(double));
    if (!st->vals) {
        free(st);
        return nps_err(NPS_ENOMEM, "out of memory");
    }
    st->c = c;
    st->dst = dst;
    nps_lines r;
    int rc = nps_lines_open(&r, c->in, c->opt->max_line_bytes);
    int got = 0, opened = rc == 0;
    if (rc) goto out;
    while (!st->fatal && (got = nps_lines_next(&r)) > 0) {
        jblock *b = st->depth ? &st->blk[st->depth - 1] : NULL;
        const char *why = nps_lines_defect(&r);
        if (why) {
            if (b) {
                block_bad(b, r.lineno, why);
                b->had_data = 1;
            } else if ((rc = nps_read_bad(c, r.lineno, why)))
                goto out;
            continue;
        }
        char *line = r.buf;
        strip_comment(line);
        char *t = trim(line);
        if (strncmp(t, "##", 2) == 0) {
            char *eq = strchr(t + 2, '=');
            if (!eq) continue; /* "##" without '=': not a labelled record */
            *eq = '\0';
            rc = labelled(st, t + 2, trim(eq + 1), r.lineno);
        } else if (b && b->reading) {
            rc = data_line(st, b, t, r.lineno);
        } else {
            rc = continue_meta(st, t);
        }
        if (rc) goto out;
    }
    if (got < 0) {
        rc = got;
        goto out;
    }
    /* blocks left open: the file was cut short */
    while (!st->fatal && st->depth > 0) {
        jblock *b = &st->blk[st->depth - 1];
        if (b->had_data) {
            block_bad(b, r.lineno, "block not closed by ##END (truncated file?)");
            if ((rc = emit(st, b, r.lineno))) goto out;
        }
        nps_record_reset(&b->rec);
        st->depth--;
    }
    if (st->record_no == 0 && (!c->rep || c->rep->records_filtered == 0) && !rc)
        rc = nps_err_at(NPS_EFORMAT, c->path, r.lineno ? r.lineno : 1,
                        "no ##TITLE= block with a PEAK TABLE, XYDATA or NTUPLES data");
out:
    if (opened) nps_lines_close(&r);
    for (int i = 0; i < JCAMP_MAX_NESTING; i++) {
        nps_record_free(&st->blk[i].rec);
        free(st->blk[i].ys);
        free(st->blk[i].xline);
        free(st->blk[i].xidx);
    }
    free(st->vals);
    free(st);
    return rc;
}

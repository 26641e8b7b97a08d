/*
 * mzXML 2.x/3.x reader (Pedrioli et al., Nat Biotechnol 2004, "A common
 * open representation of mass spectrometry data and its application to
 * proteomics research"), streamed through expat (xml.c).
 *
 * mzXML keeps what mzML puts in cvParams in attributes: <scan msLevel
 * peaksCount polarity retentionTime="PT…S" collisionEnergy>, then an optional
 * <precursorMz precursorCharge>value</precursorMz>, then <peaks precision
 * byteOrder pairOrder compressionType> holding base64 of interleaved
 * (m/z, intensity) pairs in network byte order. MS2 scans may be nested inside
 * their MS1 scan; since every scan's own data precede its <peaks>, a scan is
 * complete at </peaks> and is committed there, so nesting needs no stack.
 * The run's <msIonisation value="EI"> marks a GC-MS run (default MS level 1).
 */
#include "binarray.h"
#include "xml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MZXML_MAX_DEPTH 64
#define MZXML_MAX_TEXT 256 /* precursorMz text */

typedef struct {
    nps_xml x;
    nps_spectra *dst;
    int ms_level;
    char ionization[32];
    int ei_run;
    /* current scan */
    int in_scan, in_peaks, in_prec;
    size_t line, record_no, n_scans;
    char num[32];
    long level;
    size_t n_peaks;
    int polarity, centroid;
    double rt_min, ce, prec_mz;
    int charge;
    char prec_text[MZXML_MAX_TEXT];
    size_t prec_len;
    int bad;
    char reason[256];
    /* peaks */
    nps_numtype type;
    int zlib, int_first;
    nps_b64 b64;
    unsigned char *scratch;
    size_t scratch_cap;
    double *pairs;
    size_t pairs_cap;
} mzxml_state;

static void mark_bad(mzxml_state *st, const char *why)
{
    if (st->bad) return;
    st->bad = 1;
    snprintf(st->reason, sizeof st->reason, "%s", why);
}

static int selected(const mzxml_state *st)
{
    long level = st->level > 0 ? st->level : 1;
    if (st->ms_level < 0) return 1;
    if (st->ms_level > 0) return level == st->ms_level;
    return level == (st->ei_run ? 1 : 2);
}

/* xs:duration as mzXML writes it: "PT353.43S", "PT5.9M", "P0DT1H2M3.5S". */
static double duration_minutes(const char *s)
{
    if (!s || s[0] != 'P') return NAN;
    double total = 0;
    int in_time = 0, any = 0;
    const char *p = s + 1;
    while (*p) {
        if (*p == 'T') {
            in_time = 1;
            p++;
            continue;
        }
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno) return NAN;
        switch (*end) {
        case 'D':
            total += v * 1440;
            break;
        case 'H':
            total += v * 60;
            break;
        case 'M':
            if (!in_time) return NAN; /* months are not a retention time */
            total += v;
            break;
        case 'S':
            total += v / 60;
            break;
        default:
            return NAN;
        }
        any = 1;
        p = end + 1;
    }
    return any ? total : NAN;
}

static void begin_scan(mzxml_state *st, const char **attr)
{
    st->in_scan = 1;
    st->n_scans++;
    st->line = nps_xml_line(&st->x);
    st->record_no = st->n_scans;
    st->bad = 0;
    st->prec_mz = NAN;
    st->charge = 0;
    st->prec_len = 0;
    const char *num = nps_xml_attr(attr, "num");
    snprintf(st->num, sizeof st->num, "%s", num ? num : "");
    double lv = NAN;
    const char *a = nps_xml_attr(attr, "msLevel");
    if (a) nps_parse_double(&lv, a);
    st->level = isnan(lv) ? 1 : (long)lv;
    st->n_peaks = 0;
    a = nps_xml_attr(attr, "peaksCount");
    if (a) {
        double pc;
        if (nps_parse_double(&pc, a) || pc < 0 || pc != floor(pc))
            mark_bad(st, "peaksCount is not a count");
        else if (pc > (double)st->x.c->opt->max_peaks) {
            char why[160];
            snprintf(why, sizeof why, "scan declares %.0f peaks, more than the limit of %zu", pc,
                     st->x.c->opt->max_peaks);
            mark_bad(st, why);
        } else
            st->n_peaks = (size_t)pc;
    }
    a = nps_xml_attr(attr, "polarity");
    st->polarity = a && a[0] == '+' ? 1 : a && a[0] == '-' ? -1 : 0;
    a = nps_xml_attr(attr, "centroided");
    st->centroid = a ? a[0] == '1' : -1;
    st->rt_min = duration_minutes(nps_xml_attr(attr, "retentionTime"));
    st->ce = NAN;
    a = nps_xml_attr(attr, "collisionEnergy");
    if (a) nps_parse_double(&st->ce, a);
}

static void begin_peaks(mzxml_state *st, const char **attr)
{
    st->in_peaks = 1;
    if (st->bad || !selected(st)) return;
    const char *prec = nps_xml_attr(attr, "precision");
    st->type = prec && strcmp(prec, "64") == 0 ? NPS_NUM_F64 : NPS_NUM_F32;
    const char *bo = nps_xml_attr(attr, "byteOrder");
    if (bo && strcmp(bo, "network") != 0) mark_bad(st, "byteOrder other than network");
    const char *po = nps_xml_attr(attr, "pairOrder");
    if (!po) po = nps_xml_attr(attr, "contentType");
    st->int_first = po && strcmp(po, "int-m/z") == 0;
    if (po && strcmp(po, "m/z-int") != 0 && !st->int_first)
        mark_bad(st, "peaks hold something other than m/z-intensity pairs");
    const char *ct = nps_xml_attr(attr, "compressionType");
    st->zlib = ct && strcmp(ct, "zlib") == 0;
    if (ct && !st->zlib && strcmp(ct, "none") != 0) mark_bad(st, "unknown compressionType");
    size_t raw = 2 * st->n_peaks * nps_numtype_width(st->type);
    nps_b64_reset(&st->b64, st->zlib ? raw + raw / 256 + 64 : raw);
}

static int add_num(nps_record *rec, const char *k, double v)
{
    if (isnan(v)) return 0;
    char b[40];
    nps_fmt_double(b, sizeof b, v);
    return nps_record_meta(rec, k, b);
}

static void end_peaks(mzxml_state *st)
{
    st->in_peaks = 0;
    if (!st->in_scan) return;
    st->in_scan = 0; /* a nested scan starts a new one */
    if (!selected(st)) {
        if (st->x.c->rep) st->x.c->rep->records_filtered++;
        return;
    }
    int rc = 0;
    char why[200] = "";
    if (!st->bad && (rc = nps_b64_finish(&st->b64))) {
        if (rc == NPS_ENOMEM) goto fail;
        mark_bad(st, st->b64.bad == 2 ? "peaks are longer than peaksCount declares"
                                      : "invalid base64 in peaks");
    }
    size_t n = st->n_peaks;
    if (!st->bad) {
        void *p = st->pairs;
        if ((rc = nps_grow(&p, &st->pairs_cap, 2 * n + 1, sizeof(double)))) goto fail;
        st->pairs = p;
        rc = nps_binarray_decode(st->pairs, 2 * n, st->b64.buf, st->b64.n, st->type, st->zlib, 1,
                                 &st->scratch, &st->scratch_cap, why, sizeof why);
        if (rc == NPS_ENOMEM) goto fail;
        if (rc) mark_bad(st, why);
    }
    if (st->bad) {
        rc = nps_read_bad(st->x.c, st->line, st->reason);
        if (rc) nps_xml_stop(&st->x, rc);
        return;
    }
    nps_record rec = {0};
    char lv[24], ch[24];
    snprintf(lv, sizeof lv, "MS%ld", st->level);
    snprintf(ch, sizeof ch, "%d%s", abs(st->charge), st->polarity < 0 ? "-" : "+");
    if ((st->num[0] && (rc = nps_record_meta(&rec, NPS_KEY_SPECTRUM_ID, st->num))) ||
        (rc = nps_record_meta(&rec, NPS_KEY_SPECTRUM_TYPE, lv)) ||
        (st->ionization[0] && (rc = nps_record_meta(&rec, NPS_KEY_IONIZATION, st->ionization))) ||
        (st->polarity && (rc = nps_record_meta(&rec, NPS_KEY_ION_MODE,
                                               st->polarity > 0 ? "Positive" : "Negative"))) ||
        (rc = add_num(&rec, NPS_KEY_PRECURSOR_MZ, st->level > 1 ? st->prec_mz : NAN)) ||
        (st->charge && st->level > 1 && (rc = nps_record_meta(&rec, NPS_KEY_CHARGE, ch))) ||
        (rc = add_num(&rec, NPS_KEY_COLLISION_ENERGY, st->ce)) ||
        (rc = add_num(&rec, NPS_KEY_RETENTION_TIME, st->rt_min)) ||
        (st->centroid >= 0 &&
         (rc = nps_record_meta(&rec, "Representation", st->centroid ? "centroid" : "profile"))))
        goto done;
    for (size_t i = 0; i < n; i++) {
        double mz = st->pairs[2 * i + st->int_first], in = st->pairs[2 * i + !st->int_first];
        if ((rc = nps_record_peak(&rec, mz, (float)in))) goto done;
    }
    rc = nps_read_commit(st->x.c, st->dst, &rec, st->line, st->record_no);
done:
    nps_record_free(&rec);
fail:
    if (rc) nps_xml_stop(&st->x, rc);
}

static void on_start(nps_xml *x, const char *name, const char **attr)
{
    mzxml_state *st = x->user;
    if (!strcmp(name, "scan"))
        begin_scan(st, attr);
    else if (!strcmp(name, "peaks")) {
        if (st->in_scan) begin_peaks(st, attr);
    } else if (!strcmp(name, "precursorMz")) {
        if (!st->in_scan) return;
        st->in_prec = 1;
        st->prec_len = 0;
        const char *c = nps_xml_attr(attr, "precursorCharge");
        double v;
        if (c && !nps_parse_double(&v, c)) st->charge = (int)v;
    } else if (!strcmp(name, "msIonisation")) {
        const char *v = nps_xml_attr(attr, "value");
        snprintf(st->ionization, sizeof st->ionization, "%s", v ? v : "");
        st->ei_run = v && (nps_strcaseeq(v, "EI") || nps_strcaseeq(v, "electron ionization"));
    }
}

static void on_end(nps_xml *x, const char *name)
{
    mzxml_state *st = x->user;
    if (!strcmp(name, "peaks")) {
        if (st->in_peaks) end_peaks(st);
    } else if (!strcmp(name, "precursorMz") && st->in_prec) {
        st->in_prec = 0;
        st->prec_text[st->prec_len] = '\0';
        char *s = st->prec_text;
        while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
        size_t k = strlen(s);
        while (k && (s[k - 1] == ' ' || s[k - 1] == '\n' || s[k - 1] == '\r' || s[k - 1] == '\t'))
            s[--k] = '\0';
        if (isnan(st->prec_mz) && nps_parse_double(&st->prec_mz, s)) {
            st->prec_mz = NAN;
            mark_bad(st, "precursorMz is not a number");
        }
    } else if (!strcmp(name, "scan")) {
        if (st->in_scan && !st->bad) {
            /* a scan without <peaks> holds no spectrum */
            st->in_scan = 0;
            if (selected(st)) {
                int rc = nps_read_bad(st->x.c, st->line, "scan has no peaks element");
                if (rc) nps_xml_stop(x, rc);
            }
        } else if (st->in_scan) {
            st->in_scan = 0;
            if (!selected(st)) return;
            int rc = nps_read_bad(st->x.c, st->line, st->reason);
            if (rc) nps_xml_stop(x, rc);
        }
    }
}

static void on_text(nps_xml *x, const char *s, size_t n)
{
    mzxml_state *st = x->user;
    if (st->in_prec) {
        size_t room = MZXML_MAX_TEXT - 1 - st->prec_len;
        if (n > room) n = room;
        memcpy(st->prec_text + st->prec_len, s, n);
        st->prec_len += n;
    } else if (st->in_peaks && st->in_scan && !st->bad && selected(st)) {
        if (nps_b64_feed(&st->b64, s, n) == NPS_ENOMEM) nps_xml_stop(x, NPS_ENOMEM);
    }
}

int nps_mzxml_read(nps_spectra *dst, nps_read_ctx *c)
{
    mzxml_state *st = calloc(1, sizeof *st);
    if (!st) return nps_err(NPS_ENOMEM, "out of memory");
    st->dst = dst;
    st->ms_level = c->opt->ms_level;
    st->x = (nps_xml){.c = c,
                      .user = st,
                      .start = on_start,
                      .end = on_end,
                      .text = on_text,
                      .max_depth = MZXML_MAX_DEPTH};
    int rc = nps_xml_run(&st->x);
    nps_b64_free(&st->b64);
    free(st->scratch);
    free(st->pairs);
    free(st);
    return rc;
}

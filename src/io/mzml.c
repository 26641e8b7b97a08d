/*
 * mzML 1.1 reader (HUPO-PSI; Martens et al., Mol Cell Proteomics 2011,
 * "mzML - a community standard for mass spectrometry data"), plain and
 * indexed, streamed through expat (xml.c).
 *
 * What a spectrum means is carried by controlled-vocabulary parameters
 * (cvParam accession numbers of the PSI-MS ontology), which may appear
 * inline or through a referenceableParamGroup declared in the header; the
 * groups are stored when declared and replayed where referenced, so both
 * spellings read the same. Parameters are interpreted by context: the same
 * accession means something else in a binaryDataArray than in a precursor.
 *
 * Per spectrum we keep: the native id (SPECTRUM_ID) and spectrum title
 * (TITLE), MS level (Spectrum_type "MS<n>"), scan start time (Retention_time,
 * in minutes whatever unit the file used), polarity, centroid/profile, the
 * first precursor's selected ion m/z (or else its isolation window target),
 * charge and collision energy, the filter string, and the run's ionisation
 * (EI runs are GC-MS: their spectra become EI spectra).
 *
 * Binary arrays: base64, optionally zlib, 32/64-bit float or integer,
 * little-endian. MS-Numpress and other compressions are refused per spectrum.
 * The decoder is bounded by the array length the spectrum declared, which
 * is checked against the peak limit before any byte is decoded; spectra of
 * unselected MS levels are not decoded at all. Chromatograms are skipped.
 */
#include "binarray.h"
#include "xml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MZML_MAX_DEPTH 64
#define MZML_MAX_GROUP_PARAMS 100000 /* all referenceableParamGroups together */

typedef struct {
    char acc[24];
    char unit[24];
    char *value;
    size_t group;
} group_param;

typedef struct {
    nps_xml x;
    nps_spectra *dst;
    int ms_level; /* requested: 0 default, -1 all, else exact */
    /* header */
    char **group_ids;
    size_t n_groups, groups_cap;
    group_param *gp;
    size_t n_gp, gp_cap;
    int in_group_def;
    int in_source;
    const char *ionization; /* static string or NULL */
    int ei_run;
    /* current spectrum */
    int in_spectrum, in_chromatogram, in_bda, in_binary, in_scan;
    int n_precursor, n_selected;
    size_t line, record_no, n_spectra;
    char *id, *title, *filter;
    long level;
    int msn_hint; /* 1 "MS1 spectrum", 2 "MSn spectrum" */
    int centroid, polarity;
    double rt_min, prec_mz, iso_target, ce;
    int charge;
    size_t n_default;
    int bad;
    char reason[256];
    /* current binaryDataArray */
    size_t bda_n;
    nps_numtype type;
    int zlib, array, unsupported;
    nps_b64 b64;
    unsigned char *scratch;
    size_t scratch_cap;
    double *mz, *in;
    size_t mz_cap, in_cap, mz_n, in_n;
    int have_mz, have_in;
} mzml_state;

static void mark_bad(mzml_state *st, const char *why)
{
    if (st->bad) return;
    st->bad = 1;
    snprintf(st->reason, sizeof st->reason, "%s", why);
}

/* "what 'value'" with the value cut to a readable length */
static void mark_bad_value(mzml_state *st, const char *what, const char *value)
{
    char why[200];
    snprintf(why, sizeof why, "%s '%.60s'", what, value);
    mark_bad(st, why);
}

static int parse_size(size_t *out, const char *s)
{
    if (!s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-') return -1;
    *out = (size_t)v;
    if ((unsigned long long)*out != v) *out = SIZE_MAX;
    return 0;
}

static double parse_num(const char *s)
{
    double v;
    return s && !nps_parse_double(&v, s) ? v : NAN;
}

static int selected(const mzml_state *st)
{
    long level = st->level;
    if (level <= 0) level = st->msn_hint == 2 || st->n_precursor ? 2 : 1;
    if (st->ms_level < 0) return 1;
    if (st->ms_level > 0) return level == st->ms_level;
    return level == (st->ei_run ? 1 : 2);
}

/* Ionisation source terms (PSI-MS "ionization type" children). */
static const char *ionization_name(const char *acc)
{
    static const struct {
        const char *acc, *name;
    } t[] = {{"MS:1000389", "EI"},      {"MS:1000071", "CI"},   {"MS:1000073", "ESI"},
             {"MS:1000398", "nanoESI"}, {"MS:1000070", "APCI"}, {"MS:1000382", "APPI"},
             {"MS:1000075", "MALDI"},   {"MS:1000074", "FAB"},  {"MS:1000257", "FI"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(acc, t[i].acc) == 0) return t[i].name;
    return NULL;
}

static void cv(mzml_state *st, const char *acc, const char *value, const char *unit)
{
    if (st->in_source) {
        const char *ion = ionization_name(acc);
        if (ion) {
            st->ionization = ion;
            st->ei_run = strcmp(ion, "EI") == 0;
        }
        return;
    }
    if (!st->in_spectrum || st->in_chromatogram) return;
    if (st->in_bda) {
        if (!strcmp(acc, "MS:1000514"))
            st->array = 1;
        else if (!strcmp(acc, "MS:1000515"))
            st->array = 2;
        else if (!strcmp(acc, "MS:1000521"))
            st->type = NPS_NUM_F32;
        else if (!strcmp(acc, "MS:1000523"))
            st->type = NPS_NUM_F64;
        else if (!strcmp(acc, "MS:1000519"))
            st->type = NPS_NUM_I32;
        else if (!strcmp(acc, "MS:1000522"))
            st->type = NPS_NUM_I64;
        else if (!strcmp(acc, "MS:1000574"))
            st->zlib = 1;
        else if (!strcmp(acc, "MS:1000576"))
            st->zlib = 0;
        else if (!strncmp(acc, "MS:100231", 9) || !strncmp(acc, "MS:100274", 9))
            st->unsupported = 1; /* MS-Numpress (alone or with zlib) */
        return;
    }
    if (st->n_precursor > 1) return; /* only the first precursor describes the query */
    if (!strcmp(acc, "MS:1000511"))
        st->level = (long)parse_num(value);
    else if (!strcmp(acc, "MS:1000579"))
        st->msn_hint = 1;
    else if (!strcmp(acc, "MS:1000580"))
        st->msn_hint = 2;
    else if (!strcmp(acc, "MS:1000127"))
        st->centroid = 1;
    else if (!strcmp(acc, "MS:1000128"))
        st->centroid = 0;
    else if (!strcmp(acc, "MS:1000130"))
        st->polarity = 1;
    else if (!strcmp(acc, "MS:1000129"))
        st->polarity = -1;
    else if (!strcmp(acc, "MS:1000796") && value && !st->title)
        st->title = nps_strdup(value);
    else if (!strcmp(acc, "MS:1000512") && value && !st->filter)
        st->filter = nps_strdup(value);
    else if (!strcmp(acc, "MS:1000016") && isnan(st->rt_min)) {
        double t = parse_num(value);
        /* UO:0000010 second, UO:0000031 minute, UO:0000032 hour; no unit: seconds
         * (the mzML default of most converters) */
        if (unit && !strcmp(unit, "UO:0000031"))
            st->rt_min = t;
        else if (unit && !strcmp(unit, "UO:0000032"))
            st->rt_min = t * 60;
        else
            st->rt_min = t / 60;
    } else if (!strcmp(acc, "MS:1000744") && st->n_selected <= 1 && isnan(st->prec_mz))
        st->prec_mz = parse_num(value);
    else if (!strcmp(acc, "MS:1000827") && isnan(st->iso_target))
        st->iso_target = parse_num(value);
    else if (!strcmp(acc, "MS:1000041") && st->n_selected <= 1 && !st->charge)
        st->charge = (int)parse_num(value);
    else if (!strcmp(acc, "MS:1000045") && isnan(st->ce))
        st->ce = parse_num(value);
}

static void store_group_param(mzml_state *st, const char *acc, const char *value, const char *unit)
{
    if (st->n_gp >= MZML_MAX_GROUP_PARAMS) return;
    void *p = st->gp;
    if (nps_grow(&p, &st->gp_cap, st->n_gp + 1, sizeof *st->gp)) {
        nps_xml_stop(&st->x, NPS_ENOMEM);
        return;
    }
    st->gp = p;
    group_param *g = &st->gp[st->n_gp];
    snprintf(g->acc, sizeof g->acc, "%s", acc);
    snprintf(g->unit, sizeof g->unit, "%s", unit ? unit : "");
    g->value = nps_strdup(value ? value : "");
    g->group = st->n_groups - 1;
    if (!g->value) {
        nps_xml_stop(&st->x, NPS_ENOMEM);
        return;
    }
    st->n_gp++;
}

static void replay_group(mzml_state *st, const char *ref)
{
    if (!ref) return;
    for (size_t g = 0; g < st->n_groups; g++) {
        if (strcmp(st->group_ids[g], ref) != 0) continue;
        for (size_t k = 0; k < st->n_gp; k++)
            if (st->gp[k].group == g)
                cv(st, st->gp[k].acc, st->gp[k].value, st->gp[k].unit[0] ? st->gp[k].unit : NULL);
        return;
    }
    if (st->in_spectrum) mark_bad_value(st, "undeclared referenceableParamGroup", ref);
}

static void begin_spectrum(mzml_state *st, const char **attr)
{
    st->in_spectrum = 1;
    st->n_spectra++;
    st->line = nps_xml_line(&st->x);
    st->record_no = st->n_spectra;
    free(st->id);
    free(st->title);
    free(st->filter);
    st->id = st->title = st->filter = NULL;
    st->level = 0;
    st->msn_hint = 0;
    st->centroid = -1;
    st->polarity = 0;
    st->rt_min = st->prec_mz = st->iso_target = st->ce = NAN;
    st->charge = 0;
    st->n_precursor = st->n_selected = 0;
    st->bad = 0;
    st->have_mz = st->have_in = 0;
    st->mz_n = st->in_n = 0;
    const char *id = nps_xml_attr(attr, "id");
    if (id) st->id = nps_strdup(id);
    const char *dal = nps_xml_attr(attr, "defaultArrayLength");
    if (parse_size(&st->n_default, dal)) {
        st->n_default = 0;
        if (dal) mark_bad_value(st, "defaultArrayLength is not a count:", dal);
    }
}

static void begin_bda(mzml_state *st, const char **attr)
{
    st->in_bda = 1;
    st->bda_n = st->n_default;
    st->type = NPS_NUM_F64; /* mzML requires the type; 64-bit is the safe guess */
    st->zlib = 0;
    st->array = 0;
    st->unsupported = 0;
    const char *al = nps_xml_attr(attr, "arrayLength");
    if (al && parse_size(&st->bda_n, al)) mark_bad_value(st, "arrayLength is not a count:", al);
}

static void begin_binary(mzml_state *st)
{
    if (!st->in_bda || st->bad || !st->array || !selected(st)) return;
    if (st->unsupported) {
        mark_bad(st, "MS-Numpress compressed arrays are not supported");
        return;
    }
    size_t maxp = st->x.c->opt->max_peaks;
    if (st->bda_n > maxp) {
        char why[160];
        snprintf(why, sizeof why, "spectrum declares %zu peaks, more than the limit of %zu",
                 st->bda_n, maxp);
        mark_bad(st, why);
        return;
    }
    size_t raw = st->bda_n * nps_numtype_width(st->type);
    /* zlib never expands incompressible data by more than ~0.1% + a header */
    size_t limit = st->zlib ? raw + raw / 256 + 64 : raw;
    nps_b64_reset(&st->b64, limit);
    st->in_binary = 1;
}

static void end_binary(mzml_state *st)
{
    if (!st->in_binary) return;
    st->in_binary = 0;
    if (st->bad) return;
    int rc = nps_b64_finish(&st->b64);
    if (rc) {
        if (rc == NPS_ENOMEM) {
            nps_xml_stop(&st->x, rc);
            return;
        }
        mark_bad(st, st->b64.bad == 2 ? "binary array is longer than its declared length"
                                      : "invalid base64 in binary array");
        return;
    }
    double **dst = st->array == 1 ? &st->mz : &st->in;
    size_t *cap = st->array == 1 ? &st->mz_cap : &st->in_cap;
    void *p = *dst;
    if (nps_grow(&p, cap, st->bda_n ? st->bda_n : 1, sizeof(double))) {
        nps_xml_stop(&st->x, NPS_ENOMEM);
        return;
    }
    *dst = p;
    char why[200];
    rc = nps_binarray_decode(*dst, st->bda_n, st->b64.buf, st->b64.n, st->type, st->zlib, 0,
                             &st->scratch, &st->scratch_cap, why, sizeof why);
    if (rc == NPS_ENOMEM) {
        nps_xml_stop(&st->x, rc);
        return;
    }
    if (rc) {
        mark_bad(st, why);
        return;
    }
    if (st->array == 1) {
        st->have_mz = 1;
        st->mz_n = st->bda_n;
    } else {
        st->have_in = 1;
        st->in_n = st->bda_n;
    }
}

static int add_meta(nps_record *rec, const char *k, const char *v)
{
    return v ? nps_record_meta(rec, k, v) : 0;
}

static int add_num(nps_record *rec, const char *k, double v)
{
    if (isnan(v)) return 0;
    char b[40];
    nps_fmt_double(b, sizeof b, v);
    return nps_record_meta(rec, k, b);
}

static void end_spectrum(mzml_state *st)
{
    st->in_spectrum = 0;
    if (st->x.stopped) return;
    if (!selected(st)) {
        if (st->x.c->rep) st->x.c->rep->records_filtered++;
        return;
    }
    int rc = 0;
    if (!st->bad && st->n_default > 0 && !(st->have_mz && st->have_in))
        mark_bad(st, st->have_mz ? "spectrum has no intensity array" : "spectrum has no m/z array");
    if (!st->bad && st->have_mz && st->have_in && st->mz_n != st->in_n)
        mark_bad(st, "m/z and intensity arrays differ in length");
    if (st->bad) {
        rc = nps_read_bad(st->x.c, st->line, st->reason);
        if (rc) nps_xml_stop(&st->x, rc);
        return;
    }
    nps_record rec = {0};
    long level = st->level > 0 ? st->level : (st->msn_hint == 2 || st->n_precursor ? 2 : 1);
    char lv[24];
    snprintf(lv, sizeof lv, "MS%ld", level);
    double prec = !isnan(st->prec_mz) ? st->prec_mz : st->iso_target;
    char ch[24];
    snprintf(ch, sizeof ch, "%d%s", abs(st->charge), st->polarity < 0 ? "-" : "+");
    if ((rc = add_meta(&rec, NPS_KEY_SPECTRUM_ID, st->id)) ||
        (rc = add_meta(&rec, NPS_KEY_TITLE, st->title)) ||
        (rc = add_meta(&rec, NPS_KEY_SPECTRUM_TYPE, lv)) ||
        (rc = add_meta(&rec, NPS_KEY_IONIZATION, st->ionization)) ||
        (rc = add_meta(&rec, NPS_KEY_ION_MODE,
                       st->polarity > 0   ? "Positive"
                       : st->polarity < 0 ? "Negative"
                                          : NULL)) ||
        (rc = add_num(&rec, NPS_KEY_PRECURSOR_MZ, level > 1 ? prec : NAN)) ||
        (rc = add_meta(&rec, NPS_KEY_CHARGE, st->charge && level > 1 ? ch : NULL)) ||
        (rc = add_num(&rec, NPS_KEY_COLLISION_ENERGY, st->ce)) ||
        (rc = add_num(&rec, NPS_KEY_RETENTION_TIME, st->rt_min)) ||
        (rc = add_meta(&rec, "Filter_string", st->filter)) ||
        (rc = add_meta(&rec, "Representation",
                       st->centroid == 1   ? "centroid"
                       : st->centroid == 0 ? "profile"
                                           : NULL)))
        goto done;
    size_t n = st->have_mz ? st->mz_n : 0;
    for (size_t i = 0; i < n; i++)
        if ((rc = nps_record_peak(&rec, st->mz[i], (float)st->in[i]))) goto done;
    rc = nps_read_commit(st->x.c, st->dst, &rec, st->line, st->record_no);
done:
    nps_record_free(&rec);
    if (rc) nps_xml_stop(&st->x, rc);
}

static void on_start(nps_xml *x, const char *name, const char **attr)
{
    mzml_state *st = x->user;
    if (!strcmp(name, "cvParam")) {
        const char *acc = nps_xml_attr(attr, "accession");
        if (!acc) return;
        const char *value = nps_xml_attr(attr, "value");
        const char *unit = nps_xml_attr(attr, "unitAccession");
        if (st->in_group_def)
            store_group_param(st, acc, value, unit);
        else
            cv(st, acc, value, unit);
    } else if (!strcmp(name, "referenceableParamGroupRef")) {
        if (!st->in_group_def) replay_group(st, nps_xml_attr(attr, "ref"));
    } else if (!strcmp(name, "spectrum")) {
        begin_spectrum(st, attr);
    } else if (!strcmp(name, "binaryDataArray")) {
        if (st->in_spectrum) begin_bda(st, attr);
    } else if (!strcmp(name, "binary")) {
        if (st->in_spectrum) begin_binary(st);
    } else if (!strcmp(name, "precursor")) {
        st->n_precursor++;
    } else if (!strcmp(name, "selectedIon")) {
        st->n_selected++;
    } else if (!strcmp(name, "chromatogram")) {
        st->in_chromatogram = 1;
    } else if (!strcmp(name, "source")) {
        if (!st->in_spectrum) st->in_source = 1;
    } else if (!strcmp(name, "referenceableParamGroup")) {
        const char *id = nps_xml_attr(attr, "id");
        void *p = st->group_ids;
        char *dup = nps_strdup(id ? id : "");
        if (!dup || nps_grow(&p, &st->groups_cap, st->n_groups + 1, sizeof(char *))) {
            free(dup);
            nps_xml_stop(x, NPS_ENOMEM);
            return;
        }
        st->group_ids = p;
        st->group_ids[st->n_groups++] = dup;
        st->in_group_def = 1;
    }
}

static void on_end(nps_xml *x, const char *name)
{
    mzml_state *st = x->user;
    if (!strcmp(name, "binary"))
        end_binary(st);
    else if (!strcmp(name, "binaryDataArray"))
        st->in_bda = 0;
    else if (!strcmp(name, "spectrum")) {
        if (st->in_spectrum) end_spectrum(st);
    } else if (!strcmp(name, "chromatogram"))
        st->in_chromatogram = 0;
    else if (!strcmp(name, "source"))
        st->in_source = 0;
    else if (!strcmp(name, "referenceableParamGroup"))
        st->in_group_def = 0;
}

static void on_text(nps_xml *x, const char *s, size_t n)
{
    mzml_state *st = x->user;
    if (!st->in_binary || st->bad) return;
    int rc = nps_b64_feed(&st->b64, s, n);
    if (rc == NPS_ENOMEM) nps_xml_stop(x, rc);
    /* other errors are kept in b64.bad and reported at </binary> */
}

int nps_mzml_read(nps_spectra *dst, nps_read_ctx *c)
{
    mzml_state *st = calloc(1, sizeof *st);
    if (!st) return nps_err(NPS_ENOMEM, "out of memory");
    st->dst = dst;
    st->ms_level = c->opt->ms_level;
    st->x = (nps_xml){.c = c,
                      .user = st,
                      .start = on_start,
                      .end = on_end,
                      .text = on_text,
                      .max_depth = MZML_MAX_DEPTH};
    int rc = nps_xml_run(&st->x);
    for (size_t g = 0; g < st->n_groups; g++) free(st->group_ids[g]);
    for (size_t k = 0; k < st->n_gp; k++) free(st->gp[k].value);
    free(st->group_ids);
    free(st->gp);
    free(st->id);
    free(st->title);
    free(st->filter);
    nps_b64_free(&st->b64);
    free(st->scratch);
    free(st->mz);
    free(st->in);
    free(st);
    return rc;
}

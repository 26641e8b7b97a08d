/*
 * The streaming XML driver shared by the mzML and mzXML readers. expat is a
 * push parser: the stream is fed in fixed 64 KiB chunks and expat calls back
 * with start tags, end tags and character data, so memory stays bounded by
 * what the readers themselves keep (one spectrum), however large the run.
 *
 * The bytes come from the caller's stream (a file, a pipe, gzip, memory).
 *
 * Hostile documents are handled here, once for both formats:
 *  - entity declarations are refused outright (mzML and mzXML never need
 *    them; this closes both entity-expansion bombs and external entities,
 *    on top of expat's own amplification limit);
 *  - nesting deeper than the reader's max_depth stops the parse (the schemas
 *    are about ten levels deep), so a pathological file cannot drive the
 *    readers' context tracking into unbounded territory;
 *  - a syntax error ends the parse with file:line and expat's reason; the
 *    spectra completed before it are kept.
 */
#include "xml.h"

#include <errno.h>
#include <string.h>

#define NPS_XML_CHUNK 65536

static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

const char *nps_xml_attr(const char **attr, const char *name)
{
    for (size_t i = 0; attr[i]; i += 2)
        if (strcmp(local_name(attr[i]), name) == 0) return attr[i + 1];
    return NULL;
}

size_t nps_xml_line(const nps_xml *x)
{
    return (size_t)XML_GetCurrentLineNumber(x->xp);
}

void nps_xml_stop(nps_xml *x, int rc)
{
    if (x->stopped) return;
    x->stopped = 1;
    x->rc = rc;
    XML_StopParser(x->xp, XML_FALSE);
}

static void XMLCALL on_start(void *u, const XML_Char *name, const XML_Char **attr)
{
    nps_xml *x = u;
    if (x->stopped) return;
    if (++x->depth > x->max_depth) {
        char why[96];
        snprintf(why, sizeof why, "XML nested deeper than %u levels", x->max_depth);
        int rc = nps_read_bad(x->c, nps_xml_line(x), why);
        nps_xml_stop(x, rc);
        return;
    }
    x->start(x, local_name(name), attr);
}

static void XMLCALL on_end(void *u, const XML_Char *name)
{
    nps_xml *x = u;
    if (x->stopped) return;
    x->depth--;
    x->end(x, local_name(name));
}

static void XMLCALL on_text(void *u, const XML_Char *s, int n)
{
    nps_xml *x = u;
    if (x->stopped || n <= 0) return;
    x->text(x, s, (size_t)n);
}

static void XMLCALL on_entity(void *u, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_len, const XML_Char *base, const XML_Char *system_id,
                              const XML_Char *public_id, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)system_id;
    (void)public_id, (void)notation;
    nps_xml *x = u;
    int rc = nps_read_bad(x->c, nps_xml_line(x), "XML entity declarations are not allowed");
    nps_xml_stop(x, rc);
}

int nps_xml_run(nps_xml *x)
{
    x->xp = XML_ParserCreate(NULL);
    if (!x->xp) return nps_err(NPS_ENOMEM, "out of memory (XML parser)");
    x->depth = 0;
    x->rc = 0;
    x->stopped = 0;
    XML_SetUserData(x->xp, x);
    XML_SetElementHandler(x->xp, on_start, on_end);
    XML_SetCharacterDataHandler(x->xp, on_text);
    XML_SetEntityDeclHandler(x->xp, on_entity);
    int rc = 0;
    for (;;) {
        void *buf = XML_GetBuffer(x->xp, NPS_XML_CHUNK);
        if (!buf) {
            rc = nps_err(NPS_ENOMEM, "out of memory (XML buffer)");
            break;
        }
        /* fill the chunk: a pipe returns what it has, which may be less */
        size_t n = 0, got = 1;
        while (n < NPS_XML_CHUNK && got) {
            rc = nps_stream_read((char *)buf + n, &got, x->c->in, NPS_XML_CHUNK - n);
            if (rc) break;
            n += got;
        }
        if (rc) break;
        int last = n < NPS_XML_CHUNK;
        if (XML_ParseBuffer(x->xp, (int)n, last) == XML_STATUS_ERROR) {
            if (x->stopped) {
                rc = x->rc;
            } else {
                char why[256];
                snprintf(why, sizeof why, "malformed XML (%s); the rest of the file is skipped",
                         XML_ErrorString(XML_GetErrorCode(x->xp)));
                rc = nps_read_bad(x->c, nps_xml_line(x), why);
            }
            break;
        }
        if (x->stopped) {
            rc = x->rc;
            break;
        }
        if (last) break;
    }
    XML_ParserFree(x->xp);
    x->xp = NULL;
    return rc;
}

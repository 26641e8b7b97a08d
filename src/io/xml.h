/* Streaming XML driver over expat for the mzML and mzXML readers (private). */
#ifndef NPS_IO_XML_H
#define NPS_IO_XML_H

#include "lines.h"

#include <expat.h>

typedef struct nps_xml nps_xml;

typedef void (*nps_xml_start_fn)(nps_xml *x, const char *name, const char **attr);
typedef void (*nps_xml_end_fn)(nps_xml *x, const char *name);
typedef void (*nps_xml_text_fn)(nps_xml *x, const char *s, size_t n);

struct nps_xml {
    nps_read_ctx *c;
    void *user;
    nps_xml_start_fn start; /* element names arrive without a namespace prefix */
    nps_xml_end_fn end;
    nps_xml_text_fn text;
    unsigned max_depth; /* deeper nesting is a malformed file */
    /* driver state */
    XML_Parser xp;
    unsigned depth;
    int rc; /* set by nps_xml_stop */
    int stopped;
};

/* Parse c->path in fixed-size chunks, calling the handlers. A malformed
 * document is reported through nps_read_bad at the line where it breaks and
 * parsing ends there (what was read before stays). Returns 0 or the code given
 * to nps_xml_stop, or an I/O error. */
int nps_xml_run(nps_xml *x);
/* Abort parsing; nps_xml_run returns rc. */
void nps_xml_stop(nps_xml *x, int rc);
size_t nps_xml_line(const nps_xml *x);
/* Attribute value by name (namespace prefix ignored), or NULL. */
const char *nps_xml_attr(const char **attr, const char *name);

#endif

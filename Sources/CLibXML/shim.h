#ifndef CONCORD_CLIBXML_SHIM_H
#define CONCORD_CLIBXML_SHIM_H
#include <string.h>
#include <libxml/xmlversion.h>
/* libxml2's headers pull in the system ICU when it was built with it, whose UErrorCode clashes with
   Foundation's bundled ICU. Only xmlCharEncodingHandler's trailing fields depend on it, and Concord
   never touches that struct, so the ICU part of the headers is left out. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlerror.h>

/* Calls Swift cannot make itself (variadic callbacks, macros); see docs/STYLE.md "C libraries". */

/* A generic (printf-style) error handler that drops the message: libxml2's errors are taken from its
   structured handler instead, and nothing may reach stderr. */
static inline void concord_xml_drop_generic(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }

/* Silences libxml2's generic error channel for the calling thread (libxml2 keeps it per thread). */
static inline void concord_xml_silence_generic_errors(void) {
    xmlSetGenericErrorFunc(NULL, concord_xml_drop_generic);
}

/* Sets the structured error handler of one parser context (thread-safe: per context, not global).
   libxml2 calls it with ctxt->userData, which is the context itself. */
static inline void concord_xml_ctxt_set_structured_error(xmlParserCtxtPtr ctxt, xmlStructuredErrorFunc handler) {
    if (ctxt != NULL && ctxt->sax != NULL) {
        ctxt->sax->serror = handler;
    }
}

/* Whether the parsed document's internal subset declares any entity (a refused document). */
static inline int concord_xml_doc_declares_entities(xmlDocPtr doc) {
    if (doc == NULL) return 0;
    if (doc->intSubset != NULL && (doc->intSubset->entities != NULL || doc->intSubset->pentities != NULL)) return 1;
    if (doc->extSubset != NULL) return 1;
    return 0;
}

/* Whether two libxml2 strings are equal (names are interned, so pointer equality is the fast path). */
static inline int concord_xml_eq(const xmlChar *a, const char *b) {
    if (a == NULL || b == NULL) return 0;
    return strcmp((const char *)a, b) == 0;
}

/* The value of an attribute whose value is one text node (the usual case), without copying; NULL when
   the value is split (entity references) and must be read with xmlNodeListGetString. */
static inline const xmlChar *concord_xml_attr_simple_value(xmlAttrPtr attr) {
    if (attr == NULL) return NULL;
    xmlNodePtr child = attr->children;
    if (child == NULL) return (const xmlChar *)"";
    if (child->next == NULL && child->type == XML_TEXT_NODE) return child->content;
    return NULL;
}

/* xmlFree is a global function pointer in libxml2; Swift 6 refuses to read mutable globals. */
static inline void concord_xml_free(void *pointer) { xmlFree(pointer); }

/* Parses `buffer` from memory with a caller-provided SAX2 handler (no tree is built). The handler's
   callbacks receive `user` as their context, and so does its structured error handler `serror`.
   `*context` is set to the parser context for the duration of the parse (for line numbers and
   xmlStopParser), then cleared. Returns 1 when the document was well-formed, 0 when not, -1 when
   libxml2 could not allocate a context. No options beyond `options` are set: no entity substitution,
   no DTD loading, never XML_PARSE_HUGE. */
static inline int concord_xml_sax_parse(xmlSAXHandler *handler, void *user, const char *buffer, int size,
                                        int options, xmlParserCtxtPtr *context) {
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(buffer, size);
    if (ctxt == NULL) return -1;
    xmlSAXHandlerPtr original = ctxt->sax;
    ctxt->sax = handler;
    ctxt->userData = user;
    xmlCtxtUseOptions(ctxt, options);
    ctxt->replaceEntities = 0;
    ctxt->loadsubset = 0;
    *context = ctxt;
    xmlParseDocument(ctxt);
    *context = NULL;
    int wellFormed = ctxt->wellFormed;
    ctxt->sax = original;
    ctxt->userData = ctxt;
    if (ctxt->myDoc != NULL) { xmlFreeDoc(ctxt->myDoc); ctxt->myDoc = NULL; }
    xmlFreeParserCtxt(ctxt);
    return wellFormed ? 1 : 0;
}

/* The current line of a parse in progress. */
static inline int concord_xml_ctxt_line(xmlParserCtxtPtr ctxt) {
    return (ctxt != NULL && ctxt->input != NULL) ? ctxt->input->line : 0;
}

/* The number of nodes of an XPath node set (0 for an empty or absent set). */
static inline int concord_xpath_node_count(xmlXPathObjectPtr object) {
    if (object == NULL || object->nodesetval == NULL) return 0;
    return object->nodesetval->nodeNr;
}

/* The i-th node of an XPath node set, or NULL when out of range. */
static inline xmlNodePtr concord_xpath_node_at(xmlXPathObjectPtr object, int index) {
    if (object == NULL || object->nodesetval == NULL || index < 0 || index >= object->nodesetval->nodeNr) return NULL;
    return object->nodesetval->nodeTab[index];
}
#endif

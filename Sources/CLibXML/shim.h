#ifndef CONCORD_CLIBXML_SHIM_H
#define CONCORD_CLIBXML_SHIM_H
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlerror.h>
#endif

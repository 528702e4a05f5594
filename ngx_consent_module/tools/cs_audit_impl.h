/*
 * consentctl audit, inside tools/ only: what the report's builder
 * (cs_audit.c) and its renderer (cs_audit_render.c) share.
 */

#ifndef CS_AUDIT_IMPL_H
#define CS_AUDIT_IMPL_H

#include <jansson.h>

#include "cs_audit.h"

/* The audit document (doc/audit-schema.md) as text, Markdown or HTML. */
void cs_audit_render_doc(const json_t *doc, cs_audit_format_t format,
    cs_obuf_t *out);

#endif /* CS_AUDIT_IMPL_H */

/*
 * consentctl audit: replays captured traffic (HAR files) through the gate
 * the module runs and reports, for one site of the rules, what each consent
 * state removes and keeps, which recipients the capture contacted and
 * whether an element of the captured markup accounts for each of them.
 *
 * Tools code (jansson, via cs_har.h). The findings are collected as one
 * JSON document (doc/audit-schema.md) and rendered from it as text,
 * Markdown, HTML or that JSON. Never exits; failures go to err/errlen.
 */

#ifndef CS_AUDIT_H
#define CS_AUDIT_H

#include <stddef.h>

#include "cs_disclosure.h"      /* cs_obuf_t */
#include "cs_rules.h"

/* consentctl exit codes (cs_ops.h's values) */
#define CS_AUDIT_CLEAN     0
#define CS_AUDIT_FINDINGS  1
#define CS_AUDIT_UNUSABLE  2

typedef enum {
    CS_AUDIT_TEXT = 0,
    CS_AUDIT_MD,
    CS_AUDIT_HTML,
    CS_AUDIT_JSON
} cs_audit_format_t;

typedef struct cs_audit  cs_audit_t;

/*
 * An audit of site (an id of rules) with the module's hold limit
 * max_element. NULL with the reason in err for an unknown site or no
 * memory. rules must outlive the audit.
 */
cs_audit_t *cs_audit_new(const cs_rules_t *rules, const char *site,
    size_t max_element, char *err, size_t errlen);
void cs_audit_free(cs_audit_t *a);

/*
 * Consent states to replay, in order; without any, the default: none, all
 * and each recipient the site declares alone.
 * cs_audit_add_consent: a plain consent list as the "list" format reads it.
 * cs_audit_add_cookie: "NAME=VALUE" read in the format consent_cookie
 * gives that name by convention (consent: list, OptanonConsent: onetrust,
 * CookieConsent: cookiebot, cc_cookie, klaro, euconsent-v2 and
 * eupubconsent-v2: tcf), or "FORMAT:NAME=VALUE"; CMP names map through the
 * site's consent_map table of the rules, else the formats' defaults.
 * cs_audit_add_first_party: a host suffix that is the site's own besides
 * each page's host (consent_first_party).
 * Each returns 0, or -1 (reason in err) for a malformed value.
 */
int cs_audit_add_consent(cs_audit_t *a, const char *value, char *err,
    size_t errlen);
int cs_audit_add_cookie(cs_audit_t *a, const char *spec, char *err,
    size_t errlen);
int cs_audit_add_first_party(cs_audit_t *a, const char *suffix, char *err,
    size_t errlen);

/*
 * Reads one HAR file entry by entry: every HTML response is replayed in
 * every state, every request is logged by host. Returns 0, or -1 with the
 * reason in err (naming the file and the entry) when the input is unusable:
 * malformed or truncated JSON, an HTML response without content, an
 * unknown encoding.
 */
int cs_audit_add_har(cs_audit_t *a, const char *path, char *err,
    size_t errlen);

/*
 * Classifies the request log, lists the findings and renders the report
 * into out. Returns CS_AUDIT_CLEAN, CS_AUDIT_FINDINGS or, out of memory,
 * CS_AUDIT_UNUSABLE.
 */
int cs_audit_render(cs_audit_t *a, cs_audit_format_t format, cs_obuf_t *out);

/*
 * `consentctl audit ...` (argv after "audit"): prints the report to stdout
 * and returns the exit status (0 clean, 1 findings, 2 unusable input or
 * usage), with the reason on stderr.
 */
int cs_audit_main(int argc, char **argv);

#endif /* CS_AUDIT_H */

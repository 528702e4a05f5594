/*
 * Content Security Policy for a consent decision, the attribution of the
 * violation reports browsers send back, and the decision published to tag
 * managers. What the markup cannot show (tags a tag manager or a vendor's
 * script injects at run time), the browser can stop, if the response tells
 * it which hosts this visitor allows.
 *
 * Pure C11: no nginx headers. Report bodies are parsed with jansson.
 */

#ifndef CS_CSP_H
#define CS_CSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_rules.h"

typedef struct {
    const char  *data;
    size_t       len;
} cs_csp_str_t;

/*
 * What a policy allows besides the decision's recipients: 'self' always,
 * the site's first-party host suffixes (each as the https source of its
 * subdomains, a "*." wildcard, and of itself), and the operator's extra sources, verbatim (hosts,
 * schemes like data:, keywords like 'unsafe-eval'). report_uri (NULL: none)
 * adds report-uri, and report-to report_group unless that is NULL.
 */
typedef struct {
    const cs_csp_str_t  *first_party;
    size_t               nfirst_party;
    const cs_csp_str_t  *allow;
    size_t               nallow;
    const char          *report_uri;
    size_t               report_uri_len;
    const char          *report_group;     /* with report_uri */
    size_t               max_size;         /* bytes of the policy */
} cs_csp_conf_t;

/*
 * True if s is one source expression an operator may list: printable
 * ASCII, no space, comma or semicolon (they separate sources and
 * directives), quotes only around a keyword ('unsafe-eval'), and no
 * keyword without them (it would be a host of that name).
 */
bool cs_csp_source_valid(const char *s, size_t len);

/* The policy without any recipient: the least consent_csp_max_size. */
size_t cs_csp_base_size(const cs_csp_conf_t *conf);

/*
 * Writes the policy for the recipients set in allowed (a rules bitset; NULL:
 * none) into out: one default-src list (every fetch directive falls back to
 * it) that keeps inline code allowed, then the report directives. Fails
 * closed: when the recipients' sources would take the policy past
 * conf->max_size, they are all left out (*dropped = true), so the browser
 * blocks every recipient rather than getting a cut or no policy. Returns
 * the length, NUL-terminated in out; 0 if out (cap bytes) is too small for
 * even the base policy.
 */
size_t cs_csp_build(const cs_csp_conf_t *conf, const cs_rules_t *rules,
    const uint64_t *allowed, char *out, size_t cap, bool *dropped);

/*
 * The Permissions-Policy value that turns the browser's advertising APIs
 * off for the page: Topics, Protected Audience, Attribution Reporting and
 * their relatives (shared storage, private aggregation, FLoC's cohort).
 */
extern const char  cs_csp_ad_apis_off[];

/* ---- violation reports ---- */

/*
 * The label sets of the violation counter: every effective directive a
 * report names maps to one of cs_csp_directive_count() names ("other" for
 * the rest); the disposition to enforce, report or unknown.
 */
#define CS_CSP_MODE_ENFORCE  0
#define CS_CSP_MODE_REPORT   1
#define CS_CSP_MODE_UNKNOWN  2

unsigned cs_csp_directive_count(void);
const char *cs_csp_directive_name(unsigned directive);
unsigned cs_csp_directive_index(const char *name, size_t len);
const char *cs_csp_mode_name(unsigned mode);

/* One violation a report describes. blocked is not NUL-terminated. */
typedef struct {
    const char  *blocked;     /* blocked URL, or "inline", "eval", ... */
    size_t       blocked_len;
    unsigned     directive;   /* cs_csp_directive_index() */
    unsigned     mode;        /* CS_CSP_MODE_* */
} cs_csp_violation_t;

typedef void (*cs_csp_violation_cb)(void *ud, const cs_csp_violation_t *v);

#define CS_CSP_REPORT_LEGACY   0   /* application/csp-report */
#define CS_CSP_REPORT_API      1   /* application/reports+json */

/*
 * Parses one report body of the given format and calls cb for each CSP
 * violation in it, at most max_violations times (the rest is ignored).
 * Reports of other types in a Reporting API batch are skipped. Returns how
 * many violations were passed to cb, or -1 if the body is not JSON of the
 * format's shape. Nothing is kept once it returns.
 */
int cs_csp_report_parse(const char *body, size_t len, int format,
    unsigned max_violations, cs_csp_violation_cb cb, void *ud);

/*
 * Whose is a blocked URL: the recipient whose host suffix covers its host
 * (>= 0), CS_CSP_UNATTRIBUTED with the host in host (host drift: no
 * recipient covers it), or CS_CSP_NO_HOST (inline, eval, data:, a relative
 * or malformed URL). host must hold hostlen >= 254 bytes.
 */
#define CS_CSP_UNATTRIBUTED  (-1)
#define CS_CSP_NO_HOST       (-2)

int32_t cs_csp_attribute(const cs_rules_t *rules, const char *url,
    size_t len, char *host, size_t hostlen);

/* ---- the decision for tag managers ---- */

/*
 * An inline script publishing the decision: window.consentDecision (frozen)
 * with the allowed recipient ids, their categories on this site, the
 * source and the rules generation, and one dataLayer event
 * "consent_decision" whose values are ",id,id," strings a tag manager can
 * test with "contains ,meta,". Writes at most cap bytes into out and
 * returns the length the whole script needs (NUL not counted): the caller
 * retries with a larger buffer when that is >= cap. Strings from the
 * configuration are escaped so nothing can end the script element.
 */
size_t cs_csp_decision_script(const cs_rules_t *rules, int32_t site,
    const uint64_t *allowed, const char *source, const char *generation,
    size_t generation_len, char *out, size_t cap);

#endif /* CS_CSP_H */

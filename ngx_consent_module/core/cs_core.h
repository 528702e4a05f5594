/*
 * The consent gate's pure-C core: URL/host extraction and consent parsing
 * (the streaming HTML gate itself is gate/cs_gate.h). No nginx headers;
 * unit-tested and fuzzed alone.
 */

#ifndef CS_CORE_H
#define CS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_bitset.h"
#include "cs_rules.h"

/* Memory for the core's objects, so callers can use their own pools. */
typedef struct {
    void   *(*alloc)(void *ctx, size_t size);
    void    (*free)(void *ctx, void *p);
    void     *ctx;
} cs_allocator_t;

/* ---- URLs ---- */

/*
 * Decodes HTML character references that can hide URL syntax (numeric ones,
 * &amp; &colon; &sol; &period; ...) from src into dst (dstlen >= srclen is
 * always enough: decoding never grows ASCII URLs). Returns the decoded length.
 */
size_t cs_decode_entities(const char *src, size_t srclen, char *dst,
    size_t dstlen);
/*
 * The same, also writing into from[o] the offset in src of the bytes that
 * decoded byte o comes from, and from[decoded length] the offset after the
 * last byte read (from has room for dstlen + 1 entries).
 */
size_t cs_decode_entities_map(const char *src, size_t srclen, char *dst,
    size_t dstlen, size_t *from);

/*
 * Extracts the host a browser would contact for this (already entity-decoded)
 * URL: absolute http(s)/ws(s)/ftp URLs and "//host" scheme-relative ones.
 * Writes the lowercase host without port, userinfo or trailing dot into host
 * (NUL-terminated) and returns its length; returns 0 for relative URLs,
 * other schemes, empty or invalid hosts.
 */
size_t cs_url_host(const char *url, size_t len, char *host, size_t hostlen);

/*
 * Calls cb for every recipient whose registered host suffix appears as a
 * domain-like token in text (inline script bodies).
 */
void cs_scan_text_hosts(const cs_rules_t *rules, const char *text,
    size_t len, cs_match_cb cb, void *ud);
/*
 * The same for the site's tagging hosts (cs_rules_site_tagging_host()):
 * cb with the recipient of each domain-like token that is one of them or
 * under one.
 */
void cs_scan_text_site_hosts(const cs_rules_t *rules, uint32_t site,
    const char *text, size_t len, cs_match_cb cb, void *ud);

/* ---- consent ---- */

#define CS_CONSENT_VALUE_MAX  4096

/*
 * Parses a plain consent list ("google,meta", "analytics|x", "all", "none",
 * items separated by ',' '|' or "%2C") for the site and ORs the recipients it
 * grants into allowed (cs_bitset_words(recipient_count) words). Only
 * recipients the site declares are ever granted. Returns the number of items
 * that granted something, or -1 when the value is malformed (nothing granted).
 */
int cs_consent_parse_list(const cs_rules_t *rules, uint32_t site,
    const char *value, size_t len, uint64_t *allowed);

/*
 * ORs the recipients the site declares into set. To only read them, use
 * cs_rules_site_declared_set() (no copy).
 */
void cs_consent_declared(const cs_rules_t *rules, uint32_t site,
    uint64_t *set);

/*
 * Global Privacy Control: clears from allowed every recipient the site
 * declares under a GPC category (cs_rules_site_gpc_set()). Returns true if
 * that withdrew something allowed. One pass over the set's words.
 */
bool cs_consent_apply_gpc(const cs_rules_t *rules, uint32_t site,
    uint64_t *allowed);

/* ---- consent management platforms (cs_cmp.h decodes their cookies) ---- */

#include "cs_cmp.h"

/* consent_map FORMAT NAME TARGET: a CMP name -> recipient id or category */
typedef struct {
    cs_cmp_format_t  format;
    const char      *name;
    size_t           name_len;
    const char      *target;
    size_t           target_len;
} cs_consent_map_t;

/*
 * ORs into allowed what a decoded CMP cookie grants on the site. Each
 * granted item goes through the maps naming it, else the site's consent_map
 * table in the rules, else the format's defaults
 * (OneTrust C0002-C0005, Cookiebot's categories, the usual cookieconsent
 * category names), else is taken as a recipient id or category of the same
 * name (cookieconsent services by their service part). A TC string allows
 * each declared recipient whose IAB vendor id has consent and purpose 1.
 * Cookiebot's "not in a consent region" allows everything declared. Only
 * declared recipients are ever granted. Returns how many grants were made.
 */
int cs_consent_apply_cmp(const cs_rules_t *rules, uint32_t site,
    cs_cmp_format_t format, const cs_cmp_consent_t *c,
    const cs_consent_map_t *maps, size_t nmaps, uint64_t *allowed);

#endif /* CS_CORE_H */

/*
 * Rules store: the recipient/site database compiled from the YAML rule files into
 * LMDB, loaded read-only into per-process lookup tables.
 *
 * Pure C11: no nginx headers. See README.md "LMDB layout" for the on-disk
 * format this reads and cs_compile.c writes.
 */

#ifndef CS_RULES_H
#define CS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_cpu.h"

#define CS_RULES_FORMAT_VERSION  "1"

/*
 * 64-bit FNV-1a, continued from h (start with CS_FNV1A_INIT): byte-exact,
 * so the same on every machine. One hash for the rules generation id, the
 * module's $consent_key and its table of unknown hosts.
 */
#define CS_FNV1A_INIT  14695981039346656037ull

static inline uint64_t
cs_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char  *b = p;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}
#define CS_ID_MAX                64     /* recipient, site and category ids */

typedef struct cs_rules  cs_rules_t;

/*
 * Recipient, site and category ids: [a-z0-9][a-z0-9_-]{0,63}. One
 * definition for the compiler, which enforces it, and the loader, which
 * refuses files that break it.
 */
bool cs_rules_id_valid(const char *s, size_t len);

typedef struct {
    const char  *id;          /* [a-z0-9][a-z0-9_-]*, unique */
    const char  *name;        /* legal name as published */
    const char  *category;    /* purpose category: analytics, advertising, ... */
    const char  *sent;        /* information sent (free text) */
    const char  *purpose;     /* purpose text */
    uint32_t     tcf_vendor_id;  /* IAB TCF global vendor list id, 0: none */
    uint32_t     tcf_purposes;   /* further purposes the vendor needs
                                    consent for: bit (n-1) = purpose n */
} cs_recipient_t;

/*
 * Called once per distinct recipient index found; "ud" is caller data.
 */
typedef void (*cs_match_cb)(void *ud, uint32_t recipient);

/*
 * Opens the LMDB environment at "path" (a file, MDB_NOSUBDIR), reads it in
 * one read-only transaction and builds the lookup tables. On failure returns
 * NULL and writes a one-line reason into err (always NUL-terminated).
 */
cs_rules_t *cs_rules_load(const char *path, char *err, size_t errlen);
void cs_rules_free(cs_rules_t *rules);

/*
 * The rules' generation: 16 lowercase hex digits (meta key "generation"),
 * a 64-bit hash of the compiled content, excluding where and when it was
 * compiled. The same rule sources give the same generation on every
 * machine; any change of content gives another. "" for a file compiled
 * before the key existed (and for NULL rules). Lives as long as rules.
 */
#define CS_RULES_GENERATION_LEN  16

const char *cs_rules_generation(const cs_rules_t *rules);

uint32_t cs_rules_recipient_count(const cs_rules_t *rules);
const cs_recipient_t *cs_rules_recipient(const cs_rules_t *rules,
    uint32_t recipient);
/* Index of the recipient with this id, or -1. */
int32_t cs_rules_recipient_find(const cs_rules_t *rules, const char *id,
    size_t len);

/*
 * Recipient owning the longest registered host suffix of "host" matched at a
 * label boundary ("a.b.example.com" is tried as itself, "b.example.com",
 * "example.com", "com"), or -1. "host" must be lowercase, without port or
 * trailing dot. Constant time per label (hash lookups, no loop over rules).
 */
int32_t cs_rules_match_host(const cs_rules_t *rules, const char *host,
    size_t len);

/*
 * URL path patterns (rules: recipients[].paths; LMDB: the optional "paths"
 * sub-database, absent in files compiled before it). A pattern is '/' and
 * then 1..CS_RULES_PATH_MAX-1 bytes of printable ASCII without white space,
 * '?', '#', '\\' or "//", not ending in '/', with at most one '*', in its
 * last segment. It matches a path (no query or fragment) that ends with it
 * at a '/' boundary: "/js/AppMeasurement.js" matches "/AppMeasurement.js",
 * "/js/my-AppMeasurement.js" does not; the '*' stands for any run of bytes
 * other than '/' ("/s_code*.js" matches "/s_code_h27.js").
 */
#define CS_RULES_PATH_MAX  128

/* Whether "pattern" (len bytes) is a valid path pattern (see above). */
bool cs_rules_path_pattern_valid(const char *pattern, size_t len);
/* Whether the pattern matches the path (len bytes, leading '/'). */
bool cs_rules_path_pattern_match(const char *pattern, size_t plen,
    const char *path, size_t len);
/*
 * Recipient of the longest path pattern the path (a URL's path, leading
 * '/', no query or fragment) matches, or -1. On any host, first-party
 * included: the caller asks after the host check.
 */
int32_t cs_rules_match_path(const cs_rules_t *rules, const char *path,
    size_t len);
/* How many path patterns the rules hold (0: no path to look at). */
uint32_t cs_rules_path_count(const cs_rules_t *rules);

/*
 * True if some host suffix ends in this label ("com", "jp"); label must be
 * lowercase. A cheap first test for domain-like tokens in script text.
 */
bool cs_rules_host_label(const cs_rules_t *rules, const char *label,
    size_t len);

/*
 * Runs the combined inline-signature expression over text and calls cb for
 * every recipient whose signature matches somewhere (each at most once per
 * call). simd_max caps the instructions of the literal prefilter
 * (CS_SIMD_BEST: what the CPU has; the gate passes its conf's simd_max);
 * the result does not depend on it. Returns 0, or -1 on a matcher error
 * (match limit hit), in which case the caller must treat the text as
 * unattributed-but-suspect per its policy.
 */
int cs_rules_match_signatures(const cs_rules_t *rules, const char *text,
    size_t len, cs_simd_t simd_max, cs_match_cb cb, void *ud);

/*
 * The prefilter cs_rules_match_signatures() runs under simd_max on this
 * CPU: CS_SIMD_AVX2 (32 positions at a time) or CS_SIMD_SSE2 (the portable
 * byte-table loop, also every build without vector code).
 */
cs_simd_t cs_rules_signature_prefilter(cs_simd_t simd_max);

uint32_t cs_rules_site_count(const cs_rules_t *rules);
int32_t cs_rules_site_find(const cs_rules_t *rules, const char *id,
    size_t len);
const char *cs_rules_site_id(const cs_rules_t *rules, uint32_t site);
const char *cs_rules_site_name(const cs_rules_t *rules, uint32_t site);
bool cs_rules_site_declares(const cs_rules_t *rules, uint32_t site,
    uint32_t recipient);

/*
 * One declaration of a site: a recipient, and what the site's disclosure
 * says about it. category, sent and purpose are the declaration's override,
 * else the recipient's value; service has no recipient default.
 */
typedef struct {
    uint32_t     recipient;   /* recipient index */
    const char  *service;     /* "" = none */
    const char  *category;
    const char  *sent;        /* information sent, items joined by "\n" */
    const char  *purpose;
} cs_declaration_t;

/*
 * The site's declarations in declaration order (the rule file's; recipient
 * id order in files compiled before the order was stored): sets *decls (if
 * not NULL) to an array that lives as long as rules and returns its length.
 * 0 and NULL for an unknown site.
 */
uint32_t cs_rules_site_declarations(const cs_rules_t *rules, uint32_t site,
    const cs_declaration_t **decls);

/* The declaration's category override, else the recipient's category. */
const char *cs_rules_declared_category(const cs_rules_t *rules,
    uint32_t site, uint32_t recipient);

/*
 * Per-site recipient sets, built at load so that consent decisions never
 * loop over all recipients: bitsets of cs_rules_set_words() words (bit r =
 * recipient index r, as cs_bitset_test() reads them), living as long as
 * rules. NULL for an unknown site.
 *
 * cs_rules_set_words(): cs_bitset_words(cs_rules_recipient_count()), but
 * at least 1 (0 for NULL rules).
 * declared_set: the recipients the site declares.
 * category_set: those it declares under category "name" (len bytes; the
 * declaration's category override, else the recipient's), and *count (if
 * not NULL) how many; NULL and 0 when it declares none under it.
 * gpc_set: those Global Privacy Control withdraws: the declared ones whose
 * declared category cs_rules_is_gpc_category() accepts (all zero if none).
 */
size_t cs_rules_set_words(const cs_rules_t *rules);
const uint64_t *cs_rules_site_declared_set(const cs_rules_t *rules,
    uint32_t site);
const uint64_t *cs_rules_site_category_set(const cs_rules_t *rules,
    uint32_t site, const char *name, size_t len, uint32_t *count);
const uint64_t *cs_rules_site_gpc_set(const cs_rules_t *rules,
    uint32_t site);

/* True if "name" (len bytes) is a category used by any recipient/declaration. */
bool cs_rules_is_category(const cs_rules_t *rules, const char *name,
    size_t len);

/*
 * Site-level consent manager maps (rules: sites[].consent_map; LMDB: the
 * optional "cmp_maps" sub-database, absent in files compiled before it).
 * A CMP name is 1..CS_RULES_CMP_NAME_MAX bytes of printable ASCII without
 * spaces ("C0004", "marketing", "analytics/ga", "googleAnalytics").
 */
#define CS_RULES_CMP_NAME_MAX  63

/*
 * The recipient a site names one of its hosts for (rules: sites[].
 * tagging_hosts; LMDB: the optional "tagging_hosts" sub-database): host
 * (lowercase, no port or trailing dot) is that tagging host or under it at
 * a label boundary. -1: none of the site's (or no such site).
 */
int32_t cs_rules_site_tagging_host(const cs_rules_t *rules, uint32_t site,
    const char *host, size_t len);
/* How many tagging hosts the site names. */
uint32_t cs_rules_site_tagging_count(const cs_rules_t *rules, uint32_t site);

/* One target: a recipient id or category, len bytes (also NUL-terminated). */
typedef void (*cs_target_cb)(void *ud, const char *target, size_t len);

/*
 * Calls cb(ud, target, target_len) for each target the site maps this CMP
 * name to, in the rule file's order ("format" is the format NAME as the
 * rules spell it: "onetrust", "cookiebot", "cc_cookie", "klaro"; names are
 * compared byte for byte). Returns how many targets (0: the site does not
 * map the name). cb may be NULL (just count). Binary search, no loop over
 * the maps.
 */
uint32_t cs_rules_site_cmp_map(const cs_rules_t *rules, uint32_t site,
    const char *format, const char *name, size_t name_len, cs_target_cb cb,
    void *ud);

/*
 * True if Global Privacy Control withdraws recipients of this category
 * (rules: top-level gpc_categories; LMDB: meta key gpc_categories). The
 * default, also for files compiled before the key existed: advertising and
 * social. False for a NULL rules or category.
 */
bool cs_rules_is_gpc_category(const cs_rules_t *rules, const char *category);

/*
 * Calls cb(ud, suffix, len) for each host suffix the recipient owns (in
 * the host table's order: fixed for a given rules file) and returns how
 * many. cb may be NULL (just count). Walks the whole host table: for
 * callers that cache what they build from it (the CSP of a decision).
 */
uint32_t cs_rules_recipient_hosts(const cs_rules_t *rules,
    uint32_t recipient, cs_target_cb cb, void *ud);

#endif /* CS_RULES_H */

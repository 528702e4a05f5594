/*
 * The consent gate's pure-C core: URL/host extraction, consent parsing and
 * the streaming HTML gate. No nginx headers; unit-tested and fuzzed alone.
 */

#ifndef CS_CORE_H
#define CS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_rules.h"

/* ---- recipient sets: one bit per recipient index ---- */

static inline size_t
cs_bitset_words(uint32_t nbits)
{
    return ((size_t) nbits + 63) / 64;
}

static inline bool
cs_bitset_test(const uint64_t *set, uint32_t bit)
{
    return (set[bit / 64] >> (bit % 64)) & 1;
}

static inline void
cs_bitset_set(uint64_t *set, uint32_t bit)
{
    set[bit / 64] |= (uint64_t) 1 << (bit % 64);
}

/* ---- URLs ---- */

/*
 * Decodes HTML character references that can hide URL syntax (numeric ones,
 * &amp; &colon; &sol; &period; ...) from src into dst (dstlen >= srclen is
 * always enough: decoding never grows ASCII URLs). Returns the decoded length.
 */
size_t cs_decode_entities(const char *src, size_t srclen, char *dst,
    size_t dstlen);

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

/* ---- the streaming gate ---- */

typedef struct {
    void   *(*alloc)(void *ctx, size_t size);
    void    (*free)(void *ctx, void *p);
    void     *ctx;
} cs_allocator_t;

/*
 * Output callback: bytes to keep, in order. When held is false, p points into
 * the chunk passed to the current cs_gate_feed() call; when true, it points
 * into the gate's hold buffer and is valid only during the call. Returns 0,
 * or -1 to abort (the feed then returns -1).
 */
typedef int (*cs_emit_cb)(void *ud, const unsigned char *p, size_t n,
    bool held);

typedef enum {
    CS_ACTION_STRIP = 0,      /* remove the element's bytes */
    CS_ACTION_NEUTRALIZE      /* rewrite it inert, for client re-activation */
} cs_action_t;

/* The widest instructions the gate may scan with (vector builds, x86-64). */
typedef enum {
    CS_SIMD_BEST = 0,                 /* what the CPU has */
    CS_SIMD_SSE2,
    CS_SIMD_AVX2,
    CS_SIMD_AVX512
} cs_simd_t;

typedef struct {
    const cs_rules_t  *rules;
    cs_action_t        action;
    /* emitted once right after the first <head> start tag (may be NULL) */
    const unsigned char *head_inject;
    size_t             head_inject_len;
    const uint64_t    *allowed;      /* recipients allowed for this request */
    const uint64_t    *declared;     /* the site's recipients (NULL: all);
                                        others are stripped, never
                                        neutralized */
    uint64_t          *blocked;      /* out: recipients removed (may be NULL) */
    size_t             max_element;  /* most bytes held for one element */
    cs_allocator_t     allocator;
    cs_emit_cb         emit;
    void              *emit_ud;
    /* a narrower limit than the CPU's, so tests and measurements can run
       each code path on one machine (0: the CPU's best) */
    cs_simd_t          simd_max;

    /*
     * Hooks, all optional (NULL: not called), sharing hook_ud.
     *
     * on_element: once per element the gate removes or neutralizes, when the
     * element ends, for each recipient it is tied to that caused the
     * decision (not allowed, or not declared), or once with
     * CS_RECIPIENT_UNKNOWN when it was removed because on_unknown_host asked
     * for it. bytes: the element's bytes removed (for a neutralized element,
     * its length). A <noscript> removed whole reports the recipients of the
     * pixels that made it go; one kept reports each pixel removed from it.
     *
     * on_unknown_host: for each host a gated URL attribute (script src, img
     * src, iframe src, link href of a resource hint) names that matches no
     * recipient (cs_rules_match_host() == -1); relative URLs have no host
     * and are not reported. host is lowercase, len bytes, NUL-terminated.
     * Return 1 to remove the element (stripped, never neutralized), 0 to
     * leave it. Asked once per element, on the same bytes as every other
     * decision (within max_element), so output stays split-independent as
     * long as the answer depends only on the host.
     */
    void             (*on_element)(void *ud, uint32_t recipient,
                                   cs_action_t done, size_t bytes);
    int              (*on_unknown_host)(void *ud, const char *host,
                                        size_t len);
    void              *hook_ud;
} cs_gate_conf_t;

#define CS_RECIPIENT_UNKNOWN  UINT32_MAX

typedef struct {
    uint64_t  elements_neutralized;
    uint64_t  elements_removed;
    uint64_t  bytes_removed;
    uint64_t  oversize_removed;      /* past max_element, attributed: voided */
    uint64_t  oversize_passed;       /* past max_element, unattributed */
    uint64_t  unknown_hosts;         /* elements whose gated URL names a
                                        host of no recipient */
    uint64_t  unknown_removed;       /* elements removed because
                                        on_unknown_host returned 1 */
} cs_gate_stats_t;

typedef struct cs_gate  cs_gate_t;

/* Size of the gate object, so callers can allocate it from their pools. */
size_t cs_gate_size(void);
void cs_gate_init(cs_gate_t *gate, const cs_gate_conf_t *conf);
/* Feeds the next piece of the body. Returns 0, or -1 (alloc/emit failure). */
int cs_gate_feed(cs_gate_t *gate, const unsigned char *p, size_t n);
/* End of body: decides any element still held and emits what stays. */
int cs_gate_finish(cs_gate_t *gate);
/* Releases the hold buffer; safe to call more than once. */
void cs_gate_cleanup(cs_gate_t *gate);
const cs_gate_stats_t *cs_gate_stats(const cs_gate_t *gate);
/* True while bytes are held back for an element under decision. */
bool cs_gate_holding(const cs_gate_t *gate);

#endif /* CS_CORE_H */

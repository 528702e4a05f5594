/*
 * The streaming HTML gate: reads a response body as it streams, emits the
 * bytes to keep and removes (or neutralizes) the elements of recipients the
 * request does not allow. Pure C, no nginx headers.
 */

#ifndef CS_GATE_H
#define CS_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_core.h"
#include "cs_cpu.h"

/* ---- the streaming gate ---- */

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

/*
 * The gate's memo (cs_gate_memo.c): attributions that repeat across
 * responses (an inline script's recipients, a URL's recipient), kept by
 * the caller from one response to the next so each is worked out once per
 * memo, not once per response. Exact (a hit compares the whole key),
 * bounded (max_bytes for what it keeps), bound to one rules object: a gate
 * whose rules are not the memo's does not use it. Not thread-safe: one per
 * thread (an nginx worker), passed to each gate through cs_gate_conf_t.
 */
typedef struct cs_gate_memo  cs_gate_memo_t;

typedef struct {
    uint64_t  hits;
    uint64_t  misses;
    uint64_t  evicted;        /* entries dropped to keep new ones */
    uint64_t  entries;        /* kept now */
    uint64_t  bytes;          /* kept now: keys and results */
} cs_gate_memo_stats_t;

/*
 * key: 16 random bytes (the hash key: a page cannot aim at its slots).
 * Returns NULL when the allocator fails.
 */
cs_gate_memo_t *cs_gate_memo_create(const cs_rules_t *rules,
    const unsigned char key[16], size_t max_bytes,
    const cs_allocator_t *allocator);
void cs_gate_memo_free(cs_gate_memo_t *memo);
const cs_gate_memo_stats_t *cs_gate_memo_stats(const cs_gate_memo_t *memo);

typedef struct {
    const cs_rules_t  *rules;
    cs_gate_memo_t    *memo;         /* may be NULL: no memo */
    cs_action_t        action;
    /* emitted once right after the first <head> start tag (may be NULL) */
    const unsigned char *head_inject;
    size_t             head_inject_len;
    const uint64_t    *allowed;      /* recipients allowed for this request */
    const uint64_t    *declared;     /* the site's recipients (NULL: all);
                                        others are stripped, never
                                        neutralized */
    uint64_t          *blocked;      /* out: recipients removed (may be NULL) */
    /* the site whose tagging hosts (cs_rules_site_tagging_host()) count as
       their recipients' hosts; has_site false: no site's */
    bool               has_site;
    uint32_t           site;
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
    uint64_t  attributes_removed;    /* tracker URLs cut from elements
                                        that stay (an attribute, or a
                                        srcset candidate) */
    uint64_t  memo_hits;             /* attributions the memo answered */
    uint64_t  memo_misses;           /* ...and those it did not have */
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
/*
 * Whether a URL the response names outside its body (a response header's)
 * reaches a recipient the request does not allow (or on_unknown_host asks
 * to remove it), judged as an element's URL is (host, path patterns); the
 * recipient then goes into blocked and *recipient (CS_RECIPIENT_UNKNOWN
 * for on_unknown_host). Call before the first feed: a relative URL
 * resolves against the response's URL, not a <base>.
 */
bool cs_gate_url_denied(cs_gate_t *gate, const char *url, size_t len,
    uint32_t *recipient);
/*
 * The recipients an inline script's text ties it to, as the gate judges
 * it: the rules' code signatures, then the hosts it uses to load or send
 * (not those it names as data), the tagging hosts of site (NULL: none)
 * counting as their recipients'. For tools that report on a page. Returns
 * 0, or -1 when the signature matcher failed (the gate then removes the
 * script).
 */
int cs_gate_script_recipients(const cs_rules_t *rules, const uint32_t *site,
    const char *text, size_t len, cs_simd_t simd_max, cs_match_cb cb,
    void *ud);
/* True while bytes are held back for an element under decision. */
bool cs_gate_holding(const cs_gate_t *gate);

/*
 * The names of the elements the gate decides on (lowercase), for tools that
 * look for them: i = 0, 1, ... until NULL.
 */
const char *cs_gate_element_name(size_t i);

/*
 * The limit the gate is measured against (make bench, the gate driver): one
 * pass of the skipper's byte classification over p (every 64-byte block's
 * '<', '>', quote, '=', '/', space, control, letter and name-prefilter
 * bits, as the skipper's window load computes them), folded into a sum so
 * no compiler can drop it. Decides nothing.
 */
uint64_t cs_gate_classify_pass(const unsigned char *p, size_t n,
    cs_simd_t simd_max);

#endif /* CS_GATE_H */

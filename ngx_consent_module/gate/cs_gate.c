/*
 * The streaming gate: a WHATWG-shaped HTML tokenizer that passes every byte
 * through unchanged except the elements it removes. Only an element under
 * decision is held back, bounded by max_element; decisions depend only on
 * the element's bytes (at most its first max_element), never on how the body
 * was split into chunks.
 */

#include <string.h>

#include "cs_gate.h"

#define CS_URL_MAX        2048
#define CS_TOKEN_MAX      128
#define CS_NAME_MAX       15
#define CS_MIN_ELEMENT    256
#define CS_HOLD_INITIAL   4096
#define CS_ELEMENT_RECIPIENTS  8      /* listed in data-consent */
#define CS_NEUTRAL_MAX    (32 + CS_ELEMENT_RECIPIENTS * (CS_ID_MAX + 1))
#define CS_NO_OFFSET      ((size_t) -1)

typedef unsigned char  u_char_t;

enum {
    S_DATA = 0,
    S_TAG_OPEN,
    S_END_TAG_OPEN,
    S_TAG_NAME,
    S_BEFORE_ATTR_NAME,
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_ATTR_VALUE,
    S_ATTR_VALUE_DQ,
    S_ATTR_VALUE_SQ,
    S_ATTR_VALUE_UNQ,
    S_AFTER_ATTR_VALUE,
    S_SELF_CLOSING,
    S_MD_OPEN,
    S_MD_DASH,
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_END_BANG,
    S_BOGUS_COMMENT,
    S_RAW,
    S_RAW_LT,
    S_END_NAME,
    S_SCRIPT,
    S_SCRIPT_LT,
    S_SCRIPT_ESC_START,
    S_SCRIPT_ESC_START_DASH,
    S_ESC,
    S_ESC_DASH,
    S_ESC_DASH_DASH,
    S_ESC_LT,
    S_DESC_START,
    S_DESC,
    S_DESC_DASH,
    S_DESC_DASH_DASH,
    S_DESC_LT,
    S_DESC_END,
    S_PLAINTEXT
};

/* Elements the gate decides on. */
enum {
    E_NONE = 0,
    E_PENDING,        /* '<' seen, tag name not complete yet */
    E_SCRIPT,
    E_IMG,
    E_IFRAME,
    E_LINK,
    E_NOSCRIPT
};

enum {
    M_PASS = 0,       /* bytes flow through */
    M_HOLD,           /* element under decision: bytes held back */
    M_VOID            /* element removed: bytes dropped until its end */
};

enum {
    A_NONE = 0,
    A_SRC,
    A_HREF,
    A_REL,
    A_TYPE
};

typedef struct {
    char    buf[CS_URL_MAX];
    size_t  len;
    bool    seen;
} cs_attr_url_t;

typedef struct {
    char    buf[CS_TOKEN_MAX];
    size_t  len;
    bool    seen;
} cs_attr_token_t;

struct cs_gate {
    cs_gate_conf_t   conf;
    cs_gate_stats_t  stats;

    int              state;
    int              fail_state;      /* where a failed end-tag match resumes */
    int              mode;
    int              elem;
    bool             end_tag;         /* the tag being parsed is an end tag */
    bool             raw_end;         /* ...and it closes the raw element */
    bool             inner;           /* analysing a <noscript>'s content */
    unsigned         comment_dashes;

    char             tag_name[CS_NAME_MAX + 1];
    size_t           tag_name_len;
    char             attr_name[CS_NAME_MAX + 1];
    size_t           attr_name_len;
    int              capture;         /* A_*: attribute value being captured */
    const char      *raw_name;        /* end tag that closes the raw text */
    size_t           raw_name_len;
    size_t           match_len;
    size_t           temp_len;        /* script double-escape name buffer */
    bool             temp_is_script;

    /* the element under decision */
    cs_attr_url_t    src;
    cs_attr_url_t    href;
    cs_attr_token_t  rel;
    cs_attr_token_t  type;
    size_t           name_end_off;    /* element offset after the tag name */
    size_t           attr_off;        /* element offset of the current name */
    size_t           src_off;         /* of the first src/type/srcset name */
    size_t           type_off;
    size_t           srcset_off;
    uint32_t         recipients[CS_ELEMENT_RECIPIENTS];
    uint32_t         nrecipients;
    bool             recipients_overflow;
    bool             head_done;
    size_t           content_off;     /* element offset after its start tag */
    size_t           lt_off;          /* element offset of the last '<' */
    bool             denied;
    bool             attributed;

    u_char_t        *hold;
    size_t           hold_len;
    size_t           hold_cap;
    bool             elem_in_hold;    /* element bytes so far are in hold */

    uint64_t         fed;             /* bytes fed before the current chunk */

    /* what on_element reports about the element under decision */
    uint64_t        *elem_set;        /* recipients tied to it (allocated
                                         once, with on_element) */
    size_t           elem_set_words;
    bool             unknown_named;   /* its URL names an unknown host */
    bool             unknown_remove;  /* on_unknown_host asked to remove it */
    bool             report_pending;  /* removed or neutralized, not ended */
    cs_action_t      report_action;
    uint64_t         report_start;    /* stream offset of its first byte */

    /*
     * A <noscript> is judged by running an inner gate over its content,
     * and run again to emit what stays: the second run replays the first
     * run's on_unknown_host answers (one bit each) instead of asking again.
     */
    uint64_t        *answers;
    size_t           answers_cap;     /* bits */
    size_t           answers_len;
    size_t           answers_pos;
    bool             hook_failed;     /* could not record an answer */

    int              vec_level;       /* VEC_*: the loads the CPU has */
};

/* Per-call cursors over one chunk. */
typedef struct {
    const u_char_t  *base;
    const u_char_t  *end;
    const u_char_t  *out;       /* first byte not yet emitted or dropped */
    const u_char_t  *elem;      /* element start when it is in this chunk */
    const u_char_t  *tag_lt;    /* '<' of the tag being read, in this chunk */
    bool             held;      /* chunk is transient (hold/replay) memory */
    int              rc;
} cs_scan_t;

static void gate_scan(cs_gate_t *g, const u_char_t *p, size_t n, bool held,
    int *rc);
static int vec_level(void);

size_t
cs_gate_size(void)
{
    return sizeof(cs_gate_t);
}

void
cs_gate_init(cs_gate_t *g, const cs_gate_conf_t *conf)
{
    memset(g, 0, sizeof(*g));
    g->conf = *conf;
    g->vec_level = vec_level();
    if (conf->simd_max != CS_SIMD_BEST
        && (int) conf->simd_max - 1 < g->vec_level)
    {
        g->vec_level = (int) conf->simd_max - 1;   /* VEC_SSE2 is 0 */
    }
    if (g->conf.max_element < CS_MIN_ELEMENT) {
        g->conf.max_element = CS_MIN_ELEMENT;
    }
}

const cs_gate_stats_t *
cs_gate_stats(const cs_gate_t *g)
{
    return &g->stats;
}

bool
cs_gate_holding(const cs_gate_t *g)
{
    return g->mode == M_HOLD;
}

void
cs_gate_cleanup(cs_gate_t *g)
{
    if (g->hold) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->hold);
        g->hold = NULL;
    }
    g->hold_len = 0;
    g->hold_cap = 0;
    if (g->elem_set) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->elem_set);
        g->elem_set = NULL;
    }
    if (g->answers) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->answers);
        g->answers = NULL;
    }
    g->answers_cap = 0;
}

/* ---- small helpers ---- */

/* Character classes for the tag scanner's hot loops. */
#define C_SPACE      0x01       /* tab, LF, FF, CR, space */
#define C_NAME_END   0x02       /* ends an attribute name: space / > = */
#define C_TAG_END    0x04       /* ends a tag or unquoted value: space / > */

static const unsigned char char_class[256] = {
    ['\t'] = C_SPACE | C_NAME_END | C_TAG_END,
    ['\n'] = C_SPACE | C_NAME_END | C_TAG_END,
    ['\f'] = C_SPACE | C_NAME_END | C_TAG_END,
    ['\r'] = C_SPACE | C_NAME_END | C_TAG_END,
    [' ']  = C_SPACE | C_NAME_END | C_TAG_END,
    ['/']  = C_NAME_END | C_TAG_END,
    ['>']  = C_NAME_END | C_TAG_END,
    ['=']  = C_NAME_END,
};

static bool
is_space(u_char_t c)
{
    return char_class[c] & C_SPACE;
}

static bool
is_alpha(u_char_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static u_char_t
lower(u_char_t c)
{
    return (c >= 'A' && c <= 'Z') ? (u_char_t) (c | 0x20) : c;
}

/* "word" must be a string literal. */
#define name_is(name, len, word)                                              \
    ((len) == sizeof(word) - 1 && memcmp(name, word, sizeof(word) - 1) == 0)

static void
emit(cs_gate_t *g, cs_scan_t *sc, const u_char_t *from, const u_char_t *to,
    bool held)
{
    if (to > from && sc->rc == 0
        && g->conf.emit(g->conf.emit_ud, from, (size_t) (to - from), held) != 0)
    {
        sc->rc = -1;
    }
}

static bool
hold_append(cs_gate_t *g, const u_char_t *p, size_t n)
{
    if (n == 0) {
        return true;
    }
    if (g->hold_len + n > g->hold_cap) {
        size_t cap = g->hold_cap ? g->hold_cap : CS_HOLD_INITIAL;
        while (cap < g->hold_len + n) {
            cap *= 2;
        }
        if (cap > g->conf.max_element) {
            cap = g->conf.max_element;
        }
        if (cap < g->hold_len + n) {
            return false;       /* the scan limit makes this unreachable */
        }
        u_char_t *nb = g->conf.allocator.alloc(g->conf.allocator.ctx, cap);
        if (nb == NULL) {
            return false;
        }
        if (g->hold_len) {
            memcpy(nb, g->hold, g->hold_len);
        }
        if (g->hold) {
            g->conf.allocator.free(g->conf.allocator.ctx, g->hold);
        }
        g->hold = nb;
        g->hold_cap = cap;
    }
    memcpy(g->hold + g->hold_len, p, n);
    g->hold_len += n;
    return true;
}

/* Bytes of the element that precede ptr (in HOLD mode). */
static size_t
elem_offset(const cs_gate_t *g, const cs_scan_t *sc, const u_char_t *ptr)
{
    return g->elem_in_hold ? g->hold_len + (size_t) (ptr - sc->out)
                           : (size_t) (ptr - sc->elem);
}

static void
elem_begin(cs_gate_t *g, cs_scan_t *sc, const u_char_t *lt)
{
    if (g->conf.on_element) {
        if (g->elem_set == NULL) {
            uint32_t count = cs_rules_recipient_count(g->conf.rules);
            g->elem_set_words = cs_bitset_words(count ? count : 1);
            g->elem_set = g->conf.allocator.alloc(g->conf.allocator.ctx,
                              g->elem_set_words * sizeof(uint64_t));
            if (g->elem_set == NULL) {
                sc->rc = -1;
                return;
            }
        }
        memset(g->elem_set, 0, g->elem_set_words * sizeof(uint64_t));
    }
    g->unknown_named = false;
    g->unknown_remove = false;
    g->mode = M_HOLD;
    g->elem = E_PENDING;
    g->elem_in_hold = false;
    sc->elem = lt;
    g->src.seen = g->href.seen = g->rel.seen = g->type.seen = false;
    g->src.len = g->href.len = g->rel.len = g->type.len = 0;
    g->content_off = 0;
    g->lt_off = 0;
    g->denied = false;
    g->attributed = false;
    g->name_end_off = 0;
    g->src_off = g->type_off = g->srcset_off = CS_NO_OFFSET;
    g->nrecipients = 0;
    g->recipients_overflow = false;
}

/*
 * Makes the element's bytes up to "upto" contiguous: in place in the chunk,
 * or in the hold buffer (then the chunk's part is consumed).
 */
static void
elem_take(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t **p, size_t *n)
{
    if (g->elem_in_hold) {
        if (!hold_append(g, sc->out, (size_t) (upto - sc->out))) {
            sc->rc = -1;
        }
        sc->out = upto;
        *p = g->hold;
        *n = g->hold_len;
    } else {
        *p = sc->elem;
        *n = (size_t) (upto - sc->elem);
    }
}

/* Keeps the held element: its bytes flow out unchanged. */
static void
elem_keep(cs_gate_t *g, cs_scan_t *sc)
{
    if (g->elem_in_hold) {
        emit(g, sc, g->hold, g->hold + g->hold_len, true);
        g->hold_len = 0;
        g->elem_in_hold = false;
    }
    g->mode = M_PASS;
}

/* Drops the element's bytes up to "upto" (taken with elem_take). */
static void
elem_drop(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto, size_t len)
{
    if (g->elem_in_hold) {
        g->hold_len = 0;
        g->elem_in_hold = false;
    } else {
        emit(g, sc, sc->out, sc->elem, sc->held);
    }
    sc->out = upto;
    g->stats.bytes_removed += len;
}

/* ---- reporting removed elements ---- */

/* Stream offset of a byte of the chunk being scanned. */
static uint64_t
stream_offset(const cs_gate_t *g, const cs_scan_t *sc, const u_char_t *ptr)
{
    return g->fed + (uint64_t) (ptr - sc->base);
}

/* Calls on_element for what made the element go (see cs_gate.h). */
static void
elem_report(cs_gate_t *g, cs_action_t done, size_t bytes)
{
    void  (*cb)(void *, uint32_t, cs_action_t, size_t) = g->conf.on_element;

    if (cb == NULL) {
        return;
    }
    if (g->elem_set) {
        uint32_t count = cs_rules_recipient_count(g->conf.rules);
        for (size_t w = 0; w < g->elem_set_words; w++) {
            uint64_t bits = g->elem_set[w];
            while (bits) {
                uint32_t r = (uint32_t) (w * 64)
                             + (uint32_t) __builtin_ctzll(bits);
                bits &= bits - 1;
                if (r < count
                    && (!cs_bitset_test(g->conf.allowed, r)
                        || (g->conf.declared
                            && !cs_bitset_test(g->conf.declared, r))))
                {
                    cb(g->conf.hook_ud, r, done, bytes);
                }
            }
        }
    }
    if (g->unknown_remove) {
        cb(g->conf.hook_ud, CS_RECIPIENT_UNKNOWN, done, bytes);
    }
}

/* The element, n bytes up to upto, is removed or neutralized. */
static void
elem_removed(cs_gate_t *g, const cs_scan_t *sc, const u_char_t *upto,
    size_t n, cs_action_t done, bool ended)
{
    if (done == CS_ACTION_STRIP) {
        g->stats.elements_removed++;
        if (g->unknown_remove) {
            g->stats.unknown_removed++;
        }
    }
    if (ended) {
        elem_report(g, done, n);
    } else {
        /* reported when its end tag (or EOF) comes */
        g->report_pending = true;
        g->report_action = done;
        g->report_start = stream_offset(g, sc, upto) - n;
    }
}

/* A removed or neutralized element ends before "end" (stream offset). */
static void
elem_report_end(cs_gate_t *g, uint64_t end)
{
    if (g->report_pending) {
        g->report_pending = false;
        elem_report(g, g->report_action, (size_t) (end - g->report_start));
    }
}

/* ---- attribution ---- */

static void
attribute(void *ud, uint32_t recipient)
{
    cs_gate_t *g = ud;
    uint32_t   i;

    g->attributed = true;
    if (g->elem_set && recipient < cs_rules_recipient_count(g->conf.rules)) {
        cs_bitset_set(g->elem_set, recipient);
    }
    for (i = 0; i < g->nrecipients && g->recipients[i] != recipient; i++) {
        /* void */
    }
    if (i == g->nrecipients) {
        if (g->nrecipients < CS_ELEMENT_RECIPIENTS) {
            g->recipients[g->nrecipients++] = recipient;
        } else {
            g->recipients_overflow = true;
        }
    }
    if (recipient >= cs_rules_recipient_count(g->conf.rules)
        || !cs_bitset_test(g->conf.allowed, recipient))
    {
        g->denied = true;
        if (g->conf.blocked) {
            cs_bitset_set(g->conf.blocked, recipient);
        }
    }
}

static void
attribute_url(cs_gate_t *g, const cs_attr_url_t *url)
{
    char    decoded[CS_URL_MAX];
    char    host[256];
    size_t  n, hl;

    if (!url->seen || url->len == 0) {
        return;
    }
    n = cs_decode_entities(url->buf, url->len, decoded, sizeof(decoded));
    hl = cs_url_host(decoded, n, host, sizeof(host));
    if (hl) {
        int32_t r = cs_rules_match_host(g->conf.rules, host, hl);
        if (r >= 0) {
            attribute(g, (uint32_t) r);
        } else if (!g->unknown_named) {
            g->unknown_named = true;
            g->stats.unknown_hosts++;
            if (g->conf.on_unknown_host
                && g->conf.on_unknown_host(g->conf.hook_ud, host, hl) != 0)
            {
                g->unknown_remove = true;
                g->denied = true;
            }
        }
    }
}

/* rel contains a resource hint that makes the browser contact the host. */
static bool
link_rel_fetches(const cs_attr_token_t *rel)
{
    size_t i = 0;

    while (i < rel->len) {
        while (i < rel->len && is_space((u_char_t) rel->buf[i])) {
            i++;
        }
        const char *t = rel->buf + i;
        size_t start = i;
        while (i < rel->len && !is_space((u_char_t) rel->buf[i])) {
            i++;
        }
        size_t l = i - start;
        if (name_is(t, l, "preconnect") || name_is(t, l, "dns-prefetch")
            || name_is(t, l, "preload") || name_is(t, l, "prefetch")
            || name_is(t, l, "modulepreload") || name_is(t, l, "prerender"))
        {
            return true;
        }
    }
    return false;
}

/*
 * Inline scripts of a data-block type never run, and their text (JSON-LD
 * sameAs links, templates) must not be mistaken for a loader.
 */
static bool
script_is_data_block(const cs_attr_token_t *type)
{
    if (!type->seen) {
        return false;
    }
    for (size_t i = 0; i + 4 <= type->len; i++) {
        if (memcmp(type->buf + i, "json", 4) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i + 8 <= type->len; i++) {
        if (memcmp(type->buf + i, "template", 8) == 0) {
            return true;
        }
    }
    return name_is(type->buf, type->len, "text/html");
}

/*
 * Attributes the element from its start tag and, for inline scripts, its
 * text (element bytes [content_off, content_end)). Returns true if any
 * recipient tied to it is not allowed.
 */
static bool
elem_denied(cs_gate_t *g, const u_char_t *p, size_t content_end)
{
    switch (g->elem) {
    case E_IMG:
    case E_IFRAME:
        attribute_url(g, &g->src);
        break;
    case E_LINK:
        if (link_rel_fetches(&g->rel)) {
            attribute_url(g, &g->href);
        }
        break;
    case E_SCRIPT:
        if (g->src.seen) {
            attribute_url(g, &g->src);
        } else if (g->content_off && content_end > g->content_off
                   && !script_is_data_block(&g->type))
        {
            const char *text = (const char *) p + g->content_off;
            size_t      len = content_end - g->content_off;
            cs_scan_text_hosts(g->conf.rules, text, len, attribute, g);
            if (cs_rules_match_signatures(g->conf.rules, text, len,
                                          g->conf.simd_max, attribute, g) != 0)
            {
                /* a matcher failure must not let a loader through */
                g->denied = true;
            }
        }
        break;
    default:
        break;
    }
    return g->denied;
}

/* ---- <noscript> content ---- */

static int
count_substance(void *ud, const unsigned char *p, size_t n, bool held)
{
    bool *substantive = ud;
    (void) held;
    for (size_t i = 0; i < n; i++) {
        if (!is_space(p[i])) {
            *substantive = true;
            break;
        }
    }
    return 0;
}

/*
 * Hooks of the inner gates judging a <noscript>'s content (ud: the outer
 * gate). The judging run collects what ties the wrapper and asks
 * on_unknown_host, recording the answers; the emitting run reports each
 * removed pixel and replays the answers, so nothing is asked twice.
 */
enum {
    INNER_JUDGE = 0,
    INNER_EMIT
};

static void
inner_collect(void *ud, uint32_t recipient, cs_action_t done, size_t bytes)
{
    cs_gate_t *g = ud;

    (void) done;
    (void) bytes;
    if (recipient == CS_RECIPIENT_UNKNOWN) {
        g->unknown_remove = true;
    } else if (g->elem_set) {
        cs_bitset_set(g->elem_set, recipient);
    }
}

static int
inner_ask(void *ud, const char *host, size_t len)
{
    cs_gate_t  *g = ud;
    int         remove = g->conf.on_unknown_host(g->conf.hook_ud, host, len)
                         != 0;

    if (g->answers_len == g->answers_cap) {
        size_t    cap = g->answers_cap ? g->answers_cap * 2 : 64;
        uint64_t *na = g->conf.allocator.alloc(g->conf.allocator.ctx,
                                               cap / 64 * sizeof(uint64_t));
        if (na == NULL) {
            g->hook_failed = true;
            return 1;
        }
        if (g->answers) {
            memcpy(na, g->answers, g->answers_cap / 64 * sizeof(uint64_t));
            g->conf.allocator.free(g->conf.allocator.ctx, g->answers);
        }
        g->answers = na;
        g->answers_cap = cap;
    }
    if (remove) {
        cs_bitset_set(g->answers, (uint32_t) g->answers_len);
    } else {
        g->answers[g->answers_len / 64] &= ~((uint64_t) 1
                                             << (g->answers_len % 64));
    }
    g->answers_len++;
    return remove;
}

static int
inner_replay(void *ud, const char *host, size_t len)
{
    cs_gate_t *g = ud;

    (void) host;
    (void) len;
    if (g->answers_pos >= g->answers_len) {
        return 1;          /* the runs see the same bytes: cannot happen */
    }
    return cs_bitset_test(g->answers, (uint32_t) g->answers_pos++);
}

static void
inner_forward(void *ud, uint32_t recipient, cs_action_t done, size_t bytes)
{
    cs_gate_t *g = ud;

    g->conf.on_element(g->conf.hook_ud, recipient, done, bytes);
}

/*
 * Runs a gate over a complete <noscript> content, as a browser without
 * scripting would parse it. With a NULL emit it only reports whether
 * anything but whitespace stays.
 */
static int
inner_run(cs_gate_t *g, const u_char_t *p, size_t n, bool held,
    cs_emit_cb cb, void *ud, cs_gate_stats_t *stats, int run)
{
    cs_gate_t       inner;
    cs_gate_conf_t  conf = g->conf;
    bool            ignored = false;
    int             rc = 0;

    conf.action = CS_ACTION_STRIP;     /* noscript pixels cannot re-run */
    conf.head_inject = NULL;
    conf.emit = cb ? cb : count_substance;
    conf.emit_ud = cb ? ud : &ignored;
    conf.max_element = n + CS_MIN_ELEMENT;   /* the content is all here */
    conf.hook_ud = g;
    if (run == INNER_JUDGE) {
        conf.on_element = (g->conf.on_element || g->conf.on_unknown_host)
                          ? inner_collect : NULL;
        conf.on_unknown_host = g->conf.on_unknown_host ? inner_ask : NULL;
        g->answers_len = 0;
        g->hook_failed = false;
    } else {
        conf.on_element = g->conf.on_element ? inner_forward : NULL;
        conf.on_unknown_host = g->conf.on_unknown_host ? inner_replay : NULL;
        g->answers_pos = 0;
    }
    cs_gate_init(&inner, &conf);
    inner.inner = true;
    gate_scan(&inner, p, n, held, &rc);
    if (rc == 0) {
        rc = cs_gate_finish(&inner);
    }
    if (rc == 0 && g->hook_failed) {
        rc = -1;
    }
    *stats = inner.stats;
    cs_gate_cleanup(&inner);
    return rc;
}

/*
 * A complete (or EOF-terminated) <noscript>: pixels inside are judged one by
 * one; the wrapper goes too when nothing but whitespace would remain.
 */
static void
noscript_decide(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, size_t end_tag_off)
{
    bool             held = g->elem_in_hold || sc->held;
    bool             substantive = false;
    cs_gate_stats_t  st;
    const u_char_t  *content = p + g->content_off;
    size_t           clen = end_tag_off - g->content_off;

    if (inner_run(g, content, clen, held, count_substance, &substantive, &st,
                  INNER_JUDGE)
        != 0)
    {
        sc->rc = -1;
        return;
    }
    g->stats.unknown_hosts += st.unknown_hosts;
    if (st.elements_removed == 0) {
        elem_keep(g, sc);
        return;
    }
    if (!substantive) {
        elem_drop(g, sc, upto, n);
        elem_removed(g, sc, upto, n, CS_ACTION_STRIP, true);
        g->mode = M_PASS;
        return;
    }

    /* Keep the wrapper, emit the content minus the removed pixels. */
    if (g->elem_in_hold) {
        emit(g, sc, p, content, true);
    } else {
        emit(g, sc, sc->out, content, sc->held);
    }
    if (inner_run(g, content, clen, held, g->conf.emit, g->conf.emit_ud, &st,
                  INNER_EMIT)
        != 0)
    {
        sc->rc = -1;
        return;
    }
    emit(g, sc, content + clen, p + n, held);
    g->stats.elements_removed += st.elements_removed;
    g->stats.unknown_removed += st.unknown_removed;
    g->stats.bytes_removed += st.bytes_removed;
    g->hold_len = 0;
    g->elem_in_hold = false;
    sc->out = upto;
    g->mode = M_PASS;
}

/* ---- neutralize ---- */

static size_t
append_str(char *buf, size_t len, size_t cap, const char *str)
{
    size_t n = strlen(str);

    if (len + n > cap) {
        return cap + 1;                    /* marks overflow */
    }
    memcpy(buf + len, str, n);
    return len + n;
}

/*
 * Emits the element with its start tag rewritten so that it neither runs
 * nor loads, carrying what a consent manager needs to re-activate it in the
 * browser: type="text/plain" and data-consent="ids" after the tag name,
 * src -> data-consent-src, type -> data-consent-type, srcset ->
 * data-consent-srcset. Every other byte is unchanged. Returns false when it
 * cannot (too many recipients to list): the caller strips instead.
 */
static bool
elem_neutralize(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n)
{
    char    ins[CS_NEUTRAL_MAX];
    size_t  il = 0;
    bool    held = g->elem_in_hold || sc->held;
    struct {
        size_t       off;
        size_t       cut;
        const char  *with;
    } edit[3], tmp;
    size_t  ne = 0, pos;

    if (g->recipients_overflow || g->nrecipients == 0) {
        return false;
    }
    for (uint32_t i = 0; g->conf.declared && i < g->nrecipients; i++) {
        if (!cs_bitset_test(g->conf.declared, g->recipients[i])) {
            return false;        /* undisclosed: must never load, strip it */
        }
    }

    il = append_str(ins, il, sizeof(ins), g->elem == E_SCRIPT
                    ? " type=\"text/plain\" data-consent=\""
                    : " data-consent=\"");
    for (uint32_t i = 0; i < g->nrecipients; i++) {
        const cs_recipient_t *r = cs_rules_recipient(g->conf.rules,
                                                     g->recipients[i]);
        if (i > 0) {
            il = append_str(ins, il, sizeof(ins), " ");
        }
        il = append_str(ins, il, sizeof(ins), r ? r->id : "?");
    }
    il = append_str(ins, il, sizeof(ins), "\"");
    if (il > sizeof(ins)) {
        return false;
    }

    if (g->src_off != CS_NO_OFFSET) {
        edit[ne].off = g->src_off;
        edit[ne].cut = 3;
        edit[ne++].with = "data-consent-src";
    }
    if (g->type_off != CS_NO_OFFSET && g->elem == E_SCRIPT) {
        edit[ne].off = g->type_off;
        edit[ne].cut = 4;
        edit[ne++].with = "data-consent-type";
    }
    if (g->srcset_off != CS_NO_OFFSET && g->elem != E_SCRIPT) {
        edit[ne].off = g->srcset_off;
        edit[ne].cut = 6;
        edit[ne++].with = "data-consent-srcset";
    }
    for (size_t i = 1; i < ne; i++) {               /* at most 3: insertion */
        for (size_t j = i; j > 0 && edit[j].off < edit[j - 1].off; j--) {
            tmp = edit[j];
            edit[j] = edit[j - 1];
            edit[j - 1] = tmp;
        }
    }

    if (!g->elem_in_hold) {
        emit(g, sc, sc->out, p, sc->held);          /* bytes before it */
    }
    emit(g, sc, p, p + g->name_end_off, held);
    emit(g, sc, (const u_char_t *) ins, (const u_char_t *) ins + il, true);
    pos = g->name_end_off;
    for (size_t i = 0; i < ne; i++) {
        if (edit[i].off < pos || edit[i].off + edit[i].cut > n) {
            continue;                               /* cannot happen */
        }
        emit(g, sc, p + pos, p + edit[i].off, held);
        emit(g, sc, (const u_char_t *) edit[i].with,
             (const u_char_t *) edit[i].with + strlen(edit[i].with), true);
        pos = edit[i].off + edit[i].cut;
    }
    emit(g, sc, p + pos, p + n, held);

    g->hold_len = 0;
    g->elem_in_hold = false;
    sc->out = upto;
    g->stats.elements_neutralized++;
    return true;
}

/*
 * Strips the denied element, or neutralizes it when so configured (never
 * one on_unknown_host asked to remove). "ended": the element ends at upto;
 * else its content and end tag are still to come. Returns true when
 * neutralized.
 */
static bool
elem_deny(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, bool ended)
{
    if (g->conf.action == CS_ACTION_NEUTRALIZE && g->elem != E_LINK
        && !g->unknown_remove && elem_neutralize(g, sc, upto, p, n))
    {
        elem_removed(g, sc, upto, n, CS_ACTION_NEUTRALIZE, ended);
        return true;
    }
    elem_drop(g, sc, upto, n);
    elem_removed(g, sc, upto, n, CS_ACTION_STRIP, ended);
    return false;
}

/* ---- decisions ---- */

/* A start tag ended ('>' at s). */
static void
start_tag_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n;
    const u_char_t  *upto = s + 1;

    if (g->mode == M_VOID) {
        if (g->elem == E_IMG || g->elem == E_LINK) {
            g->stats.bytes_removed += (size_t) (upto - sc->out);
            sc->out = upto;                       /* void element ends here */
            g->mode = M_PASS;
            g->elem = E_NONE;
            elem_report_end(g, stream_offset(g, sc, upto));
        }
        return;
    }
    if (g->mode != M_HOLD) {
        if (g->elem == E_IMG || g->elem == E_LINK) {
            g->elem = E_NONE;
        }
        return;
    }

    switch (g->elem) {
    case E_IMG:
    case E_LINK:
        elem_take(g, sc, upto, &p, &n);
        if (elem_denied(g, p, 0)) {
            elem_deny(g, sc, upto, p, n, true);
        } else {
            elem_keep(g, sc);
        }
        g->mode = M_PASS;
        g->elem = E_NONE;
        return;

    case E_SCRIPT:
        if (!g->src.seen) {
            if (script_is_data_block(&g->type)) {
                elem_keep(g, sc);
                return;
            }
            g->content_off = elem_offset(g, sc, upto);
            return;                               /* decide on its text */
        }
        /* fall through */
    case E_IFRAME:
        elem_take(g, sc, upto, &p, &n);
        if (elem_denied(g, p, 0)) {
            /* neutralized: its content and end tag flow on unchanged */
            g->mode = elem_deny(g, sc, upto, p, n, false) ? M_PASS : M_VOID;
        } else {
            elem_keep(g, sc);
        }
        return;

    case E_NOSCRIPT:
        g->content_off = elem_offset(g, sc, upto);
        return;

    default:
        return;
    }
}

/* The end tag closing a script/iframe/noscript ended ('>' at s). */
static void
raw_element_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n;
    const u_char_t  *upto = s + 1;

    if (g->mode == M_VOID) {
        g->stats.bytes_removed += (size_t) (upto - sc->out);
        sc->out = upto;
    } else if (g->mode == M_HOLD) {
        elem_take(g, sc, upto, &p, &n);
        if (g->elem == E_NOSCRIPT) {
            noscript_decide(g, sc, upto, p, n, g->lt_off);
        } else if (elem_denied(g, p, g->lt_off)) {
            elem_deny(g, sc, upto, p, n, true);
        } else {
            elem_keep(g, sc);
        }
    }
    /* a removed or neutralized script/iframe/noscript ends here */
    elem_report_end(g, stream_offset(g, sc, upto));
    g->mode = M_PASS;
    g->elem = E_NONE;
}

/*
 * The element reached max_element bytes at s, and is decided on exactly
 * those bytes: tied to a recipient that is not allowed, it is still removed
 * whole (the rest streams into the void until its end); otherwise it passes
 * through. A <noscript> counts as tied when its first max_element bytes hold
 * a pixel that would be removed; its end is still found as a scripting
 * browser finds it.
 */
static void
elem_overflow(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n;
    bool             denied;
    cs_gate_stats_t  st;

    elem_take(g, sc, s, &p, &n);

    if (g->elem == E_NOSCRIPT && g->content_off) {
        if (inner_run(g, p + g->content_off, n - g->content_off,
                      g->elem_in_hold || sc->held, NULL, NULL, &st,
                      INNER_JUDGE) != 0)
        {
            sc->rc = -1;
            return;
        }
        g->stats.unknown_hosts += st.unknown_hosts;
        denied = st.elements_removed > 0;
    } else {
        denied = g->elem != E_PENDING && elem_denied(g, p, n);
    }

    if (denied) {
        elem_drop(g, sc, s, n);
        elem_removed(g, sc, s, n, CS_ACTION_STRIP, false);
        g->stats.oversize_removed++;
        g->mode = M_VOID;
    } else {
        elem_keep(g, sc);
        g->stats.oversize_passed++;
    }
}

/* A start tag name is complete: is it an element we decide on? */
static int
element_kind(const cs_gate_t *g)
{
    const char *n = g->tag_name;
    size_t      l = g->tag_name_len;

    switch (l) {
    case 3:
        return name_is(n, l, "img") ? E_IMG : E_NONE;
    case 4:
        return name_is(n, l, "link") ? E_LINK : E_NONE;
    case 5:
        /* the tree builder turns <image> into <img> */
        return name_is(n, l, "image") ? E_IMG : E_NONE;
    case 6:
        return name_is(n, l, "script") ? E_SCRIPT
               : name_is(n, l, "iframe") ? E_IFRAME : E_NONE;
    case 8:
        return (name_is(n, l, "noscript") && !g->inner)
               ? E_NOSCRIPT : E_NONE;
    default:
        return E_NONE;
    }
}

/* The tokenizer state that follows a start tag. */
static void
enter_content(cs_gate_t *g)
{
    const char *n = g->tag_name;
    size_t      l = g->tag_name_len;
    const char *raw = NULL;

    g->state = S_DATA;

    switch (l) {
    case 3:
        raw = name_is(n, l, "xmp") ? "xmp" : NULL;
        break;
    case 5:
        raw = name_is(n, l, "style") ? "style"
              : name_is(n, l, "title") ? "title" : NULL;
        break;
    case 6:
        if (name_is(n, l, "script")) {
            g->state = S_SCRIPT;
            g->raw_name = "script";
            g->raw_name_len = 6;
            return;
        }
        raw = name_is(n, l, "iframe") ? "iframe" : NULL;
        break;
    case 7:
        raw = name_is(n, l, "noembed") ? "noembed" : NULL;
        break;
    case 8:
        raw = name_is(n, l, "noframes") ? "noframes"
              : name_is(n, l, "textarea") ? "textarea"
              /*
               * A scripting browser reads <noscript> as raw text; the inner
               * (script-less) view parses it as markup.
               */
              : (name_is(n, l, "noscript") && !g->inner)
                ? "noscript" : NULL;
        break;
    case 9:
        if (name_is(n, l, "plaintext")) {
            g->state = S_PLAINTEXT;
        }
        return;
    default:
        return;
    }

    if (raw) {
        g->state = S_RAW;
        g->raw_name = raw;
        g->raw_name_len = l;
    }
}

static void
tag_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    if (g->end_tag) {
        if (g->raw_end) {
            raw_element_done(g, sc, s);
        }
        g->state = S_DATA;
        return;
    }
    enter_content(g);
    if (g->elem != E_NONE) {
        start_tag_done(g, sc, s);
    } else if (g->conf.head_inject && !g->head_done && g->mode == M_PASS
               && name_is(g->tag_name, g->tag_name_len, "head"))
    {
        g->head_done = true;
        emit(g, sc, sc->out, s + 1, sc->held);
        emit(g, sc, g->conf.head_inject,
             g->conf.head_inject + g->conf.head_inject_len, true);
        sc->out = s + 1;
    }
}

static void
attr_name_done(cs_gate_t *g)
{
    cs_attr_url_t    *url = NULL;
    cs_attr_token_t  *tok = NULL;
    const char       *n = g->attr_name;
    size_t            l = g->attr_name_len;

    g->capture = A_NONE;
    if (g->end_tag || g->mode != M_HOLD || l > CS_NAME_MAX) {
        return;
    }
    switch (g->elem) {
    case E_SCRIPT:
        if (name_is(n, l, "src")) {
            url = &g->src;
        } else if (name_is(n, l, "type")) {
            tok = &g->type;
            if (g->type_off == CS_NO_OFFSET) {
                g->type_off = g->attr_off;
            }
        }
        break;
    case E_IMG:
    case E_IFRAME:
        if (name_is(n, l, "src")) {
            url = &g->src;
        } else if (name_is(n, l, "srcset") && g->srcset_off == CS_NO_OFFSET) {
            g->srcset_off = g->attr_off;
        }
        break;
    case E_LINK:
        if (name_is(n, l, "href")) {
            url = &g->href;
        } else if (name_is(n, l, "rel")) {
            tok = &g->rel;
        }
        break;
    default:
        return;
    }
    /* The first of duplicate attributes wins, as in a browser. */
    if (url && !url->seen) {
        url->seen = true;
        if (url == &g->src) {
            g->src_off = g->attr_off;
        }
        g->capture = (url == &g->src) ? A_SRC : A_HREF;
    } else if (tok && !tok->seen) {
        tok->seen = true;
        g->capture = (tok == &g->rel) ? A_REL : A_TYPE;
    }
}

static void
capture_value(cs_gate_t *g, const u_char_t *p, size_t n)
{
    char    *buf;
    size_t  *len, cap;
    bool     fold = false;

    switch (g->capture) {
    case A_SRC:
        buf = g->src.buf; len = &g->src.len; cap = sizeof(g->src.buf);
        break;
    case A_HREF:
        buf = g->href.buf; len = &g->href.len; cap = sizeof(g->href.buf);
        break;
    case A_REL:
        buf = g->rel.buf; len = &g->rel.len; cap = sizeof(g->rel.buf);
        fold = true;
        break;
    case A_TYPE:
        buf = g->type.buf; len = &g->type.len; cap = sizeof(g->type.buf);
        fold = true;
        break;
    default:
        return;
    }
    /* Only the start of a URL matters for its host; the rest is dropped. */
    if (*len + n > cap) {
        n = cap - *len;
    }
    for (size_t i = 0; i < n; i++) {
        buf[*len + i] = fold ? (char) lower(p[i]) : (char) p[i];
    }
    *len += n;
}

/* ---- skipping what cannot matter ---- */

/*
 * Most of a page is text and tags that decide nothing (div, span, li, end
 * tags...). Outside any element under decision these are skipped whole by
 * the code below: it finds the next '<' and, for a tag whose name cannot
 * matter, the '>' that ends it, with the tokenizer's attribute rules but
 * none of its bookkeeping. Anything else (comments, markup declarations,
 * tags that matter, a tag not complete in this chunk) stops it at the '<',
 * where the state machine takes over; skipping a tag changes no state, so
 * output and decisions stay exactly those of the state machine, whatever
 * the chunking.
 *
 * The byte searches look at 16 bytes at a time with SSE2 (the x86-64
 * baseline) and fall back to a byte loop elsewhere, or when built with
 * -DCS_GATE_SCALAR.
 */

#if defined(__SSE2__) && !defined(CS_GATE_SCALAR)
#include <emmintrin.h>
#define CS_VEC  16
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* wider loads where the CPU has them, chosen at run time */
#include <immintrin.h>
#define CS_VEC_WIDE  1
#endif
#endif

enum {
    VEC_SSE2 = 0,
    VEC_AVX2,
    VEC_AVX512
};

/* The widest loads this CPU has (cs_gate_init asks once per gate). */
static int
vec_level(void)
{
#ifdef CS_VEC_WIDE
    /* idempotent; needed if the library's constructors have not run yet */
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("pclmul")) {
        return VEC_SSE2;
    }
    if (__builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512f"))
    {
        return VEC_AVX512;
    }
    if (__builtin_cpu_supports("avx2")) {
        return VEC_AVX2;
    }
#endif
    return VEC_SSE2;
}


enum {
    F_TAG_END = 0,      /* ends a tag name: space / > */
    F_NAME_END,         /* ends an attribute name: space / > = */
    F_VALUE_END         /* ends an unquoted value: space > */
};

static inline bool
find_hit(int kind, u_char_t c)
{
    switch (kind) {
    case F_TAG_END:
        return char_class[c] & C_TAG_END;
    case F_NAME_END:
        return char_class[c] & C_NAME_END;
    default:
        return (char_class[c] & C_SPACE) || c == '>';
    }
}

#ifdef CS_VEC

/*
 * Candidates for find_hit() in 16 bytes: every byte <= 0x20 stands for the
 * five spaces (the few control bytes among them are weeded out by
 * find_hit()).
 */
static inline unsigned
vec_mask(const u_char_t *p, int kind)
{
    __m128i v = _mm_loadu_si128((const __m128i *) (const void *) p);
    __m128i m = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x20)),
                               _mm_set1_epi8(0x20));

    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
    if (kind != F_VALUE_END) {
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
    }
    if (kind == F_NAME_END) {
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
    }
    return (unsigned) _mm_movemask_epi8(m);
}

static inline unsigned
vec_byte_mask(const u_char_t *p, u_char_t c)
{
    __m128i v = _mm_loadu_si128((const __m128i *) (const void *) p);
    return (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v,
                                            _mm_set1_epi8((char) c)));
}

#endif

/* The first byte of [s, lim) of the given kind, or lim. */
static inline const u_char_t *
find_kind(const u_char_t *s, const u_char_t *lim, int kind)
{
#ifdef CS_VEC
    while (lim - s >= CS_VEC) {
        for (unsigned m = vec_mask(s, kind); m; m &= m - 1) {
            const u_char_t *q = s + __builtin_ctz(m);
            if (find_hit(kind, *q)) {
                return q;
            }
        }
        s += CS_VEC;
    }
#endif
    while (s < lim && !find_hit(kind, *s)) {
        s++;
    }
    return s;
}

/* The first c in [s, lim), or lim. */
static inline const u_char_t *
find_byte(const u_char_t *s, const u_char_t *lim, u_char_t c)
{
#ifdef CS_VEC
    /* inline for the short runs between tags and in values */
    for (int i = 0; i < 4 && lim - s >= CS_VEC; i++) {
        unsigned m = vec_byte_mask(s, c);
        if (m) {
            return s + __builtin_ctz(m);
        }
        s += CS_VEC;
    }
#endif
    const u_char_t *q = memchr(s, c, (size_t) (lim - s));
    return q ? q : lim;
}

static inline const u_char_t *
skip_spaces(const u_char_t *s, const u_char_t *lim)
{
    while (s < lim && (char_class[*s] & C_SPACE)) {
        s++;
    }
    return s;
}

/* Eight bytes as one little-endian word, for tag_matters_word(). */
#define W8(a, b, c, d, e, f, g, h)                                             \
    ((uint64_t) (a) | (uint64_t) (b) << 8 | (uint64_t) (c) << 16              \
     | (uint64_t) (d) << 24 | (uint64_t) (e) << 32 | (uint64_t) (f) << 40     \
     | (uint64_t) (g) << 48 | (uint64_t) (h) << 56)

/*
 * Whether a start tag's name (len bytes; the first eight, and the ninth,
 * readable) decides anything: the gated elements, those that switch the
 * tokenizer to raw text, and <head> (where the inject goes). One compare per
 * candidate; OR-ing 0x20 turns only A-Z into a-z, so no other byte can pass
 * for a letter.
 */
static inline bool
tag_matters_word(const u_char_t *name, size_t len)
{
    /* by length: the names that matter, zero-padded (0: none) */
    static const uint64_t  names[10][3] = {
        [3] = { W8('i', 'm', 'g', 0, 0, 0, 0, 0),
                W8('x', 'm', 'p', 0, 0, 0, 0, 0), 0 },
        [4] = { W8('l', 'i', 'n', 'k', 0, 0, 0, 0),
                W8('h', 'e', 'a', 'd', 0, 0, 0, 0), 0 },
        [5] = { W8('i', 'm', 'a', 'g', 'e', 0, 0, 0),
                W8('s', 't', 'y', 'l', 'e', 0, 0, 0),
                W8('t', 'i', 't', 'l', 'e', 0, 0, 0) },
        [6] = { W8('s', 'c', 'r', 'i', 'p', 't', 0, 0),
                W8('i', 'f', 'r', 'a', 'm', 'e', 0, 0), 0 },
        [7] = { W8('n', 'o', 'e', 'm', 'b', 'e', 'd', 0), 0, 0 },
        [8] = { W8('n', 'o', 's', 'c', 'r', 'i', 'p', 't'),
                W8('n', 'o', 'f', 'r', 'a', 'm', 'e', 's'),
                W8('t', 'e', 'x', 't', 'a', 'r', 'e', 'a') },
        [9] = { W8('p', 'l', 'a', 'i', 'n', 't', 'e', 'x'), 0, 0 },
    };
    uint64_t  w;

    if (len - 3 > 6) {                  /* not 3..9 */
        return false;
    }
    memcpy(&w, name, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    w |= W8(0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
    if (len < 8) {
        w &= ((uint64_t) 1 << (len * 8)) - 1;
    }
    if (len == 9 && (name[8] | 0x20) != 't') {
        return false;
    }
    return (w == names[len][0]) | (w == names[len][1])
           | (w == names[len][2]);
}

/* tag_matters_word() for a name with no bytes readable past it. */
static inline bool
tag_matters(const u_char_t *name, size_t len)
{
    u_char_t  padded[16] = { 0 };

    if (len - 3 > 6) {                  /* not 3..9 */
        return false;
    }
    memcpy(padded, name, len);
    return tag_matters_word(padded, len);
}

/*
 * The attributes of a tag from the byte after its name: returns the byte
 * after the '>' that ends it, or NULL when that is not in [s, lim).
 * (WHATWG 13.2.5.32-13.2.5.40, end-of-tag only: names and values are not
 * kept.)
 */
static const u_char_t *
skip_attrs(const u_char_t *s, const u_char_t *lim)
{
    u_char_t  c;

    for ( ;; ) {
        /* before attribute name; '/' (self-closing start) is the same here */
        while (s < lim && ((char_class[*s] & C_SPACE) || *s == '/')) {
            s++;
        }
        if (s == lim) {
            return NULL;
        }
        if (*s == '>') {
            return s + 1;
        }
        /* attribute name: its first byte may be '=' or a quote */
        s = find_kind(s + 1, lim, F_NAME_END);
        if (s == lim) {
            return NULL;
        }
        c = *s;
        if (c == '>') {
            return s + 1;
        }
        if (c == '/') {
            continue;
        }
        if (c != '=') {
            /* after attribute name */
            s = skip_spaces(s, lim);
            if (s == lim) {
                return NULL;
            }
            if (*s != '=') {
                continue;               /* '/', '>' or the next name */
            }
        }
        /* before attribute value */
        s = skip_spaces(s + 1, lim);
        if (s == lim) {
            return NULL;
        }
        c = *s;
        if (c == '"' || c == '\'') {
            s = find_byte(s + 1, lim, c);
            if (s == lim) {
                return NULL;
            }
            s++;                        /* after a quoted value: as before */
            continue;
        }
        if (c == '>') {
            return s + 1;
        }
        s = find_kind(s + 1, lim, F_VALUE_END);
        if (s == lim) {
            return NULL;
        }
        if (*s == '>') {
            return s + 1;
        }
        s++;
    }
}

/*
 * One tag from '<' at lt, when it cannot matter: returns the byte after its
 * '>', or NULL (the state machine must read it, or it does not end before
 * lim).
 */
static const u_char_t *
skip_tag(const u_char_t *lt, const u_char_t *lim)
{
    const u_char_t  *name = lt + 1, *name_end;
    bool             start_tag = true;

    if (lim - lt < 3) {
        return NULL;
    }
    if (*name == '/') {
        start_tag = false;
        name++;
    }
    if (!is_alpha(*name)) {
        return NULL;                    /* comments, <!DOCTYPE, text '<' */
    }
    name_end = find_kind(name + 1, lim, F_TAG_END);
    if (name_end == lim
        || (start_tag && tag_matters(name, (size_t) (name_end - name))))
    {
        return NULL;
    }
    return skip_attrs(name_end, lim);
}

#ifdef CS_VEC

/*
 * 64 bytes classified at once, one bit per byte. block_run() passes a
 * whole window of ordinary tags on these bits; window_tag() walks one tag
 * on them; anything else goes to skip_tag().
 */
typedef struct {
    const u_char_t  *base;              /* the bits describe [base, +64) */
    uint64_t         lt, gt, quote, dq, sq, eq, slash;
    uint64_t         low;               /* bytes <= 0x20: spaces, controls */
    uint64_t         ctrl;              /* bytes < 0x20: HTML's tab, LF, FF,
                                           CR, and control bytes */
    uint64_t         alpha;             /* ASCII letters */
    uint64_t         first, second;     /* letters that may begin, and follow
                                           the first letter of, a name that
                                           tag_matters() */
} cs_window_t;

/*
 * The letters of first and second, looked up on the low and high nibble of
 * (byte | 0x20): bit 0/1 first (high nibble 6/7), bit 2/3 second. first:
 * h i l n p s t x; second: c e f i l m o t (img image xmp link head style
 * title script iframe noembed noscript noframes textarea plaintext).
 */
#define WINDOW_NIBBLE_LO                                                       \
    0x02, 0x00, 0x00, 0x06, 0x0a, 0x04, 0x04, 0x00,                           \
    0x03, 0x05, 0x00, 0x00, 0x05, 0x04, 0x01, 0x04
#define WINDOW_NIBBLE_HI                                                       \
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0a,                           \
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00

static inline void
window_load_sse2(cs_window_t *w, const u_char_t *p)
{
    static const char  first[] = "hilnpstx", second[] = "cefilmot";

    w->base = p;
    w->lt = w->gt = w->quote = w->dq = w->sq = w->eq = w->slash = 0;
    w->low = w->ctrl = w->alpha = w->first = w->second = 0;
    for (int i = 0; i < 64; i += 16) {
        __m128i   v = _mm_loadu_si128((const __m128i *) (const void *) (p + i));
        __m128i   lw = _mm_or_si128(v, _mm_set1_epi8(0x20));
        __m128i   az = _mm_sub_epi8(lw, _mm_set1_epi8('a'));
        __m128i   f = _mm_setzero_si128(), s = _mm_setzero_si128();
        uint64_t  b;

        for (int k = 0; k < 8; k++) {
            f = _mm_or_si128(f, _mm_cmpeq_epi8(lw, _mm_set1_epi8(first[k])));
            s = _mm_or_si128(s, _mm_cmpeq_epi8(lw, _mm_set1_epi8(second[k])));
        }

#define WINDOW_BITS(field, m)                                                  \
        b = (uint64_t) (unsigned) _mm_movemask_epi8(m);                       \
        w->field |= b << i
#define WINDOW_EQ(c)  _mm_cmpeq_epi8(v, _mm_set1_epi8(c))

        WINDOW_BITS(lt, WINDOW_EQ('<'));
        WINDOW_BITS(gt, WINDOW_EQ('>'));
        WINDOW_BITS(dq, WINDOW_EQ('"'));
        WINDOW_BITS(sq, WINDOW_EQ('\''));
        WINDOW_BITS(eq, WINDOW_EQ('='));
        WINDOW_BITS(slash, WINDOW_EQ('/'));
        WINDOW_BITS(low, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x20)),
                                        _mm_set1_epi8(0x20)));
        WINDOW_BITS(ctrl, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)),
                                         _mm_set1_epi8(0x1f)));
        WINDOW_BITS(alpha, _mm_cmpeq_epi8(_mm_max_epu8(az, _mm_set1_epi8(25)),
                                          _mm_set1_epi8(25)));
        WINDOW_BITS(first, f);
        WINDOW_BITS(second, s);
#undef WINDOW_BITS
#undef WINDOW_EQ
    }
    w->quote = w->dq | w->sq;
}

#ifdef CS_VEC_WIDE

__attribute__((target("avx2"))) static inline void
window_load_avx2(cs_window_t *w, const u_char_t *p)
{
    __m256i  v0 = _mm256_loadu_si256((const __m256i *) (const void *) p);
    __m256i  v1 = _mm256_loadu_si256((const __m256i *) (const void *)
                                     (p + 32));
    __m256i  lo_tab = _mm256_setr_epi8(WINDOW_NIBBLE_LO, WINDOW_NIBBLE_LO);
    __m256i  hi_tab = _mm256_setr_epi8(WINDOW_NIBBLE_HI, WINDOW_NIBBLE_HI);
    __m256i  l0 = _mm256_or_si256(v0, _mm256_set1_epi8(0x20));
    __m256i  l1 = _mm256_or_si256(v1, _mm256_set1_epi8(0x20));
    __m256i  f0, f1;

#define WINDOW_BITS(m0, m1)                                                    \
    ((uint64_t) (uint32_t) _mm256_movemask_epi8(m0)                           \
     | (uint64_t) (uint32_t) _mm256_movemask_epi8(m1) << 32)
#define WINDOW_EQ(v, c)  _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c))
#define WINDOW_MAX(v, c)                                                       \
    _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(c)),                \
                      _mm256_set1_epi8(c))
#define WINDOW_FLAGS(l)                                                        \
    _mm256_and_si256(_mm256_shuffle_epi8(lo_tab, l),                          \
        _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(                         \
            _mm256_srli_epi16(l, 4), _mm256_set1_epi8(0x0f))))
#define WINDOW_ANY(v, bits)                                                    \
    _mm256_xor_si256(WINDOW_EQ(_mm256_and_si256(v, _mm256_set1_epi8(bits)), 0), \
                     _mm256_set1_epi8(-1))

    f0 = WINDOW_FLAGS(l0);
    f1 = WINDOW_FLAGS(l1);
    w->base = p;
    w->lt = WINDOW_BITS(WINDOW_EQ(v0, '<'), WINDOW_EQ(v1, '<'));
    w->gt = WINDOW_BITS(WINDOW_EQ(v0, '>'), WINDOW_EQ(v1, '>'));
    w->dq = WINDOW_BITS(WINDOW_EQ(v0, '"'), WINDOW_EQ(v1, '"'));
    w->sq = WINDOW_BITS(WINDOW_EQ(v0, '\''), WINDOW_EQ(v1, '\''));
    w->quote = w->dq | w->sq;
    w->eq = WINDOW_BITS(WINDOW_EQ(v0, '='), WINDOW_EQ(v1, '='));
    w->slash = WINDOW_BITS(WINDOW_EQ(v0, '/'), WINDOW_EQ(v1, '/'));
    w->low = WINDOW_BITS(WINDOW_MAX(v0, 0x20), WINDOW_MAX(v1, 0x20));
    w->ctrl = WINDOW_BITS(WINDOW_MAX(v0, 0x1f), WINDOW_MAX(v1, 0x1f));
    w->alpha = WINDOW_BITS(
        WINDOW_MAX(_mm256_sub_epi8(l0, _mm256_set1_epi8('a')), 25),
        WINDOW_MAX(_mm256_sub_epi8(l1, _mm256_set1_epi8('a')), 25));
    w->first = WINDOW_BITS(WINDOW_ANY(f0, 0x03), WINDOW_ANY(f1, 0x03));
    w->second = WINDOW_BITS(WINDOW_ANY(f0, 0x0c), WINDOW_ANY(f1, 0x0c));
#undef WINDOW_BITS
#undef WINDOW_EQ
#undef WINDOW_MAX
#undef WINDOW_FLAGS
#undef WINDOW_ANY
}

__attribute__((target("avx512f,avx512bw"))) static inline void
window_load_avx512(cs_window_t *w, const u_char_t *p)
{
    __m512i  v = _mm512_loadu_si512((const void *) p);
    __m512i  l = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    __m512i  lo_tab = _mm512_broadcast_i32x4(_mm_setr_epi8(WINDOW_NIBBLE_LO));
    __m512i  hi_tab = _mm512_broadcast_i32x4(_mm_setr_epi8(WINDOW_NIBBLE_HI));
    __m512i  flags = _mm512_and_si512(_mm512_shuffle_epi8(lo_tab, l),
                         _mm512_shuffle_epi8(hi_tab, _mm512_and_si512(
                             _mm512_srli_epi16(l, 4), _mm512_set1_epi8(0x0f))));

#define WINDOW_EQ(c)  _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c))

    w->base = p;
    w->lt = WINDOW_EQ('<');
    w->gt = WINDOW_EQ('>');
    w->dq = WINDOW_EQ('"');
    w->sq = WINDOW_EQ('\'');
    w->quote = w->dq | w->sq;
    w->eq = WINDOW_EQ('=');
    w->slash = WINDOW_EQ('/');
    w->low = _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(0x20));
    w->ctrl = _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20));
    w->alpha = _mm512_cmple_epu8_mask(_mm512_sub_epi8(l, _mm512_set1_epi8('a')),
                                      _mm512_set1_epi8(25));
    w->first = _mm512_test_epi8_mask(flags, _mm512_set1_epi8(0x03));
    w->second = _mm512_test_epi8_mask(flags, _mm512_set1_epi8(0x0c));
#undef WINDOW_EQ
}

#endif

static inline __attribute__((always_inline)) void
window_load(cs_window_t *w, const u_char_t *p, int level)
{
#ifdef CS_VEC_WIDE
    if (level == VEC_AVX512) {
        window_load_avx512(w, p);
        return;
    }
    if (level == VEC_AVX2) {
        window_load_avx2(w, p);
        return;
    }
#endif
    (void) level;
    window_load_sse2(w, p);
}

/* Bits at or above i (i < 64); bits below i (i <= 64). */
#define BITS_FROM(i)   (~(uint64_t) 0 << (i))
#define BITS_BELOW(i)  ((i) >= 64 ? ~(uint64_t) 0 : ((uint64_t) 1 << (i)) - 1)

/* Bit i set when an odd number of the bits 0..i of x are. */
static inline uint64_t
prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

#ifdef CS_VEC_WIDE
/* prefix_xor() as one carry-less multiplication by all ones */
__attribute__((target("pclmul"))) static inline uint64_t
prefix_xor_clmul(uint64_t x)
{
    return (uint64_t) _mm_cvtsi128_si64(_mm_clmulepi64_si128(
        _mm_cvtsi64_si128((long long) x), _mm_set1_epi8(-1), 0));
}
#endif

static inline __attribute__((always_inline)) uint64_t
prefix_xor_at(uint64_t x, int level)
{
#ifdef CS_VEC_WIDE
    if (level != VEC_SSE2) {
        return prefix_xor_clmul(x);
    }
#endif
    (void) level;
    return prefix_xor(x);
}

/*
 * Whether the start tag whose name begins at name (10 bytes readable) may
 * matter: tag_matters(), or a control byte in it (the state machine reads
 * those).
 */
static inline bool
name_may_matter(const u_char_t *name)
{
    size_t  len = 0;

    while (len < 10 && !(char_class[name[len]] & C_TAG_END)) {
        if (name[len] < 0x20) {
            return true;
        }
        len++;
    }
    return len < 10 && tag_matters_word(name, len);
}

/*
 * What block_run() carries from one block to the next: whether the last
 * byte was inside a tag, inside a quoted value (all ones or zero), and a
 * tag name running on.
 */
typedef struct {
    uint64_t  in, val;
    uint64_t  name_carry;
} cs_carry_t;

enum {
    BLOCK_FAIL = 0,
    BLOCK_PASS,
    BLOCK_STOP
};

/*
 * One block of consecutive ones, the first from a byte in the data state;
 * carry links them, and 80 bytes from w->base are readable. Returns
 * BLOCK_PASS with *len the bytes passed (64, or 62/63 when a '<' there
 * starts the next block in the data state), BLOCK_STOP with *len the offset
 * of the first '<' the state machine must read, all bytes before it being
 * text and ordinary tags, or BLOCK_FAIL with *len the first offset in doubt.
 *
 * The model: every '<' opens a tag (a letter, or '/' and a letter, follows)
 * that the next '>' closes. Inside a tag: no quote or '=' in the name; each
 * '=' outside a value follows an attribute-name byte and precedes a '"';
 * each '"' not in a value follows such an '=' and is closed before the
 * '>'; no control byte. Then the WHATWG tokenizer meets every such '=' in
 * an attribute name and opens a value at every such '"' and nowhere else
 * (no unquoted value and no single-quoted one can start), so it ends every
 * tag where the model does and the bits alone decide them. Anything else
 * ('=' without '"', '<' or '>' inside a value, '>' in text) leaves the model
 * (window_tag() and skip_tag() take those, one tag at a time).
 */
static inline __attribute__((always_inline)) int
block_run(const cs_window_t *w, cs_carry_t *c, int level, unsigned *len)
{
    const u_char_t  *base = w->base;
    uint64_t         lt = w->lt, gt = w->gt, dq = w->dq, eq = w->eq;
    uint64_t         in = prefix_xor_at(lt | gt, level) ^ c->in;
    uint64_t         val = prefix_xor_at(dq & in, level) ^ c->val;
    uint64_t         eq_in = eq & in & ~val;
    uint64_t         opens = dq & in & val;
    uint64_t         attr = ~(w->low | w->slash | w->quote | eq | lt | gt);
    uint64_t         name1 = w->alpha >> 1;     /* a letter follows */
    uint64_t         name2 = w->slash >> 1 & w->alpha >> 2;
    uint64_t         names = (lt & name1) << 1 | (lt & name2) << 2;
    uint64_t         name = ~(w->low | w->slash | gt);
    uint64_t         cand, stops, sum, fail, m;
    uint64_t         carry;
    unsigned         e = 64;

    /*
     * A '<' at 62 or 63 needs bytes of the next block to be told apart: the
     * next block starts there (in the data state, as checked below).
     */
    if (__builtin_expect((lt >> 62) != 0, 0)) {
        e = 62 + (unsigned) __builtin_ctzll(lt >> 62);
    }

    /* tag names, from their first letter on: an addition carries it along */
    carry = __builtin_add_overflow(name, names, &sum);
    carry |= __builtin_add_overflow(sum, c->name_carry, &sum);

    fail = (lt & ~in) | (gt & in) | (gt & val)
           | (name & ~sum & (w->quote | eq));
    /*
     * '"' right after '=', '=' right after a name (bit 0 below) and right
     * before '"' (bit 63 below): an unquoted value may hold '="'
     */
    fail |= ((opens & ~(eq << 1)) | (eq_in & ~(attr << 1))) & ~(uint64_t) 1;
    fail |= eq_in & ~(dq >> 1) & ~((uint64_t) 1 << 63);
    /* across the block's edges: base[-1] is read only inside a tag, so
       never in a run's first block */
    if (__builtin_expect(((opens | eq_in) & 1) != 0, 0)) {
        u_char_t  b = base[-1];

        if ((opens & 1 && b != '=')
            || (eq_in & 1 && (b <= 0x20 || (char_class[b] & C_NAME_END)
                              || b == '"' || b == '\'' || b == '<')))
        {
            fail |= 1;
        }
    }
    if (eq_in >> 63 && base[64] != '"') {
        fail |= (uint64_t) 1 << 63;
    }

    /* control bytes in a tag (tab, LF, FF and CR are spaces): rare */
    for (m = w->ctrl & in; m != 0; m &= m - 1) {
        unsigned o = (unsigned) __builtin_ctzll(m);

        if (!(char_class[base[o]] & C_SPACE)) {
            fail |= (uint64_t) 1 << o;
        }
    }

    /*
     * Stops: text '<', "</" without a letter, and start tags whose first two
     * letters may begin a name that matters (the few such are decided by
     * name).
     */
    cand = lt & name1 & w->first >> 1 & w->second >> 2;
    for (m = cand & BITS_BELOW(e); m != 0; m &= m - 1) {
        unsigned o = (unsigned) __builtin_ctzll(m);

        if (!name_may_matter(base + o + 1)) {
            cand &= ~((uint64_t) 1 << o);
        }
    }
    stops = (lt & ~(name1 | name2)) | cand;
    stops &= BITS_BELOW(e);
    if (stops != 0) {
        /* up to and including that '<' (it must be in the data state) */
        e = (unsigned) __builtin_ctzll(stops);
        fail &= BITS_BELOW(e + 1);
        if (fail == 0) {
            *len = e;
            return BLOCK_STOP;
        }
    } else {
        fail &= BITS_BELOW(e);
        if (e < 64) {
            fail |= in & ((uint64_t) 1 << (e - 1));    /* e is 62 or 63 */
        }
    }
    if (fail != 0) {
        *len = (unsigned) __builtin_ctzll(fail);
        return BLOCK_FAIL;
    }

    if (e == 64) {
        c->in = (uint64_t) 0 - (in >> 63);
        c->val = (uint64_t) 0 - (val >> 63);
        c->name_carry = carry;
    } else {
        c->in = c->val = c->name_carry = 0;
    }
    *len = e;
    return BLOCK_PASS;
}

/*
 * The tag at lt (inside w, lt - base < 64) by its bits. Returns the byte
 * after its '>', NULL when the state machine must read it, or lt itself
 * when the window cannot tell (then skip_tag() decides).
 */
static inline __attribute__((always_inline)) const u_char_t *
window_tag(const cs_window_t *w, const u_char_t *lt)
{
    unsigned  o = (unsigned) (lt - w->base);
    unsigned  ns = 1, ne, pos, k, gb;
    uint64_t  term, gt, q, region;

    if (o > 60) {
        return lt;
    }
    if (lt[1] == '/') {
        ns = 2;
    }
    if (!is_alpha(lt[ns])) {
        return NULL;
    }
    term = (w->low | w->slash | w->gt) & BITS_FROM(o + ns + 1);
    if (term == 0) {
        return lt;
    }
    ne = (unsigned) __builtin_ctzll(term);
    if (!(char_class[w->base[ne]] & C_TAG_END)) {
        return lt;                      /* a control byte in the name */
    }
    if (ns == 1 && tag_matters_word(lt + 1, ne - o - 1)) {
        return NULL;
    }

    /* attributes: quoted name="value" pairs, up to the '>' */
    pos = ne;
    for ( ;; ) {
        gt = w->gt & BITS_FROM(pos);
        if (gt == 0) {
            return lt;                  /* ends past the window */
        }
        gb = (unsigned) __builtin_ctzll(gt);
        q = w->quote & BITS_FROM(pos) & ~BITS_FROM(gb);
        if (q == 0) {
            /* no quote before this '>': in any attribute state it ends
               the tag */
            return w->base + gb + 1;
        }
        k = (unsigned) __builtin_ctzll(q);
        /*
         * An opening quote: right after the one '=' since pos, which
         * follows a name (something other than spaces), no '/' between.
         */
        region = BITS_FROM(pos) & ~BITS_FROM(k);
        if (k == pos || (w->eq & region) != (uint64_t) 1 << (k - 1)
            || (w->slash & region) != 0
            || (~w->low & region & ~((uint64_t) 1 << (k - 1))) == 0
            || k == 63)
        {
            return lt;
        }
        q = (w->base[k] == '"' ? w->dq : w->sq) & BITS_FROM(k + 1);
        if (q == 0) {
            return lt;
        }
        pos = (unsigned) __builtin_ctzll(q) + 1;
        if (pos == 64) {
            return lt;
        }
    }
}

#endif

#ifdef CS_VEC

/*
 * skip_plain() on 64-byte blocks while 80 bytes are left, and tag by tag
 * where the blocks' model fails, up to 64 bytes before lim: returns the '<'
 * the state machine must read (*stopped set) or a byte in the data state
 * to go on from. Inlined into one function per instruction set, so the
 * constants and bits stay in registers.
 */
static inline __attribute__((always_inline)) const u_char_t *
skip_windows(const u_char_t *s, const u_char_t *lim, int level, bool *stopped)
{
    cs_window_t      w = { .base = NULL }, block;
    cs_carry_t       carry;
    const u_char_t  *base, *lt, *end, *walk_to;
    unsigned         len;
    int              r;

    for ( ;; ) {
        /* consecutive blocks from s, while the model holds */
        memset(&carry, 0, sizeof(carry));
        r = BLOCK_PASS;
        for (base = s; lim - base >= 80; base += len) {
            window_load(&block, base, level);
            r = block_run(&block, &carry, level, &len);
            if (r == BLOCK_STOP) {
                *stopped = true;
                return base + len;
            }
            if (r == BLOCK_FAIL) {
                break;
            }
        }
        /* back to the data state: the '<' of a tag open at base */
        walk_to = r == BLOCK_FAIL ? base + len : lim;
        s = base;
        if (carry.in) {
            do {
                s--;
            } while (*s != '<');
        }

        /* tag by tag, past the byte in doubt */
        do {
            if (w.base != NULL && s >= w.base && s - w.base < 64) {
                uint64_t m = w.lt & BITS_FROM((unsigned) (s - w.base));
                lt = m ? w.base + __builtin_ctzll(m)
                       : find_byte(w.base + 64, lim, '<');
            } else {
                lt = find_byte(s, lim, '<');
            }
            if (lim - lt < 64) {
                return lt;
            }
            if (w.base == NULL || lt < w.base || lt - w.base > 32) {
                window_load(&w, lt, level);
            }
            end = window_tag(&w, lt);
            if (end == lt && w.base != lt) {
                window_load(&w, lt, level); /* the tag may fit from here */
                end = window_tag(&w, lt);
            }
            if (end == lt) {
                end = skip_tag(lt, lim);
            }
            if (end == NULL) {
                *stopped = true;
                return lt;
            }
            s = end;
        } while (s <= walk_to);
    }
}

#ifdef CS_VEC_WIDE

__attribute__((target("avx512f,avx512bw,pclmul"))) static const u_char_t *
skip_windows_avx512(const u_char_t *s, const u_char_t *lim, bool *stopped)
{
    return skip_windows(s, lim, VEC_AVX512, stopped);
}

__attribute__((target("avx2,pclmul"))) static const u_char_t *
skip_windows_avx2(const u_char_t *s, const u_char_t *lim, bool *stopped)
{
    return skip_windows(s, lim, VEC_AVX2, stopped);
}

#endif

static const u_char_t *
skip_windows_sse2(const u_char_t *s, const u_char_t *lim, bool *stopped)
{
    return skip_windows(s, lim, VEC_SSE2, stopped);
}

#endif

/*
 * Data state outside any element under decision: skips text and tags that
 * cannot matter. Returns the '<' the state machine must read, or lim.
 */
static const u_char_t *
skip_plain(const u_char_t *s, const u_char_t *lim, int level)
{
#ifdef CS_VEC
    bool  stopped = false;

#ifdef CS_VEC_WIDE
    if (level == VEC_AVX512) {
        s = skip_windows_avx512(s, lim, &stopped);
    } else if (level == VEC_AVX2) {
        s = skip_windows_avx2(s, lim, &stopped);
    } else
#endif
    {
        s = skip_windows_sse2(s, lim, &stopped);
    }
    if (stopped) {
        return s;
    }
#else
    (void) level;
#endif
    for ( ;; ) {
        const u_char_t *lt = find_byte(s, lim, '<');
        const u_char_t *end = skip_tag(lt, lim);

        if (end == NULL) {
            return lt;
        }
        s = end;
    }
}

/* ---- the tokenizer ---- */

/*
 * The attribute states of a start or end tag, in one tight loop: most of a
 * page's bytes are tags, so this is the hot path. Returns where it stopped:
 * after the '>' ending the tag (tag_done has run) or at lim.
 */
static const u_char_t *
attrs_scan(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s,
    const u_char_t *lim)
{
    const u_char_t  *q;
    u_char_t         c;
    int              st = g->state;
    bool             capturing = g->mode == M_HOLD && !g->end_tag
                                 && g->elem > E_PENDING;

    /*
     * Fast path for tags nothing is captured from: runs of name="value"
     * pairs. Anything unusual drops into the full state machine below.
     */
    while (!capturing && st == S_BEFORE_ATTR_NAME) {
        while (s < lim && (char_class[*s] & C_SPACE)) {
            s++;
        }
        if (s == lim) {
            break;
        }
        if (*s == '>') {
            goto tag_end;
        }
        if (*s == '/') {
            break;
        }
        q = s + 1;                  /* the first name byte may be '=' */
        while (q < lim && !(char_class[*q] & C_NAME_END)) {
            q++;
        }
        if (q + 1 >= lim || q[0] != '=' || (q[1] != '"' && q[1] != '\'')) {
            break;
        }
        const u_char_t *e = memchr(q + 2, q[1], (size_t) (lim - q - 2));
        if (e == NULL || e + 1 == lim) {
            break;
        }
        s = e + 1;
        if (*s == '>') {
            goto tag_end;
        }
        if (!(char_class[*s] & C_SPACE)) {
            st = S_AFTER_ATTR_VALUE;
        }
    }

    while (s < lim) {
        c = *s;

        switch (st) {

        case S_BEFORE_ATTR_NAME:
            if (is_space(c)) {
                s++;
            } else if (c == '/') {
                st = S_SELF_CLOSING;
                s++;
            } else if (c == '>') {
                goto tag_end;
            } else {
                /* '=' here starts a name, as in a browser */
                if (capturing) {
                    g->attr_off = elem_offset(g, sc, s);
                }
                g->attr_name[0] = (char) lower(c);
                g->attr_name_len = 1;
                st = S_ATTR_NAME;
                s++;
            }
            break;

        case S_ATTR_NAME:
            q = s;
            while (q < lim && !is_space(*q) && *q != '/' && *q != '>'
                   && *q != '=')
            {
                q++;
            }
            if (capturing) {
                for (; s < q && g->attr_name_len <= CS_NAME_MAX; s++) {
                    if (g->attr_name_len < CS_NAME_MAX) {
                        g->attr_name[g->attr_name_len] = (char) lower(*s);
                    }
                    g->attr_name_len++;
                }
            }
            s = q;
            if (s == lim) {
                break;
            }
            if (capturing) {
                attr_name_done(g);
            }
            c = *s;
            if (c == '>') {
                goto tag_end;
            }
            s++;
            st = (c == '=') ? S_BEFORE_ATTR_VALUE
                 : (c == '/') ? S_SELF_CLOSING : S_AFTER_ATTR_NAME;
            break;

        case S_AFTER_ATTR_NAME:
            if (is_space(c)) {
                s++;
            } else if (c == '/') {
                st = S_SELF_CLOSING;
                s++;
            } else if (c == '=') {
                st = S_BEFORE_ATTR_VALUE;
                s++;
            } else if (c == '>') {
                goto tag_end;
            } else {
                if (capturing) {
                    g->attr_off = elem_offset(g, sc, s);
                }
                g->capture = A_NONE;
                g->attr_name_len = 0;
                st = S_ATTR_NAME;
            }
            break;

        case S_BEFORE_ATTR_VALUE:
            if (is_space(c)) {
                s++;
            } else if (c == '"') {
                st = S_ATTR_VALUE_DQ;
                s++;
            } else if (c == '\'') {
                st = S_ATTR_VALUE_SQ;
                s++;
            } else if (c == '>') {
                goto tag_end;
            } else {
                st = S_ATTR_VALUE_UNQ;
            }
            break;

        case S_ATTR_VALUE_DQ:
        case S_ATTR_VALUE_SQ:
            q = memchr(s, st == S_ATTR_VALUE_DQ ? '"' : '\'',
                       (size_t) (lim - s));
            if (q == NULL) {
                if (g->capture) {
                    capture_value(g, s, (size_t) (lim - s));
                }
                s = lim;
                break;
            }
            if (g->capture) {
                capture_value(g, s, (size_t) (q - s));
                g->capture = A_NONE;
            }
            st = S_AFTER_ATTR_VALUE;
            s = q + 1;
            break;

        case S_ATTR_VALUE_UNQ:
            q = s;
            while (q < lim && !is_space(*q) && *q != '>') {
                q++;
            }
            if (g->capture) {
                capture_value(g, s, (size_t) (q - s));
            }
            s = q;
            if (g->tag_name_len > CS_NAME_MAX && g->mode == M_HOLD
                && g->elem == E_PENDING)
            {
                elem_keep(g, sc);       /* too long to name an element */
                g->elem = E_NONE;
            }
            if (s == lim) {
                break;
            }
            g->capture = A_NONE;
            if (*s == '>') {
                goto tag_end;
            }
            st = S_BEFORE_ATTR_NAME;
            s++;
            break;

        case S_AFTER_ATTR_VALUE:
            if (is_space(c)) {
                st = S_BEFORE_ATTR_NAME;
                s++;
            } else if (c == '/') {
                st = S_SELF_CLOSING;
                s++;
            } else if (c == '>') {
                goto tag_end;
            } else {
                st = S_BEFORE_ATTR_NAME;
            }
            break;

        default: /* S_SELF_CLOSING */
            if (c == '>') {
                goto tag_end;
            }
            st = S_BEFORE_ATTR_NAME;
            break;
        }
    }

    g->state = st;
    return s;

tag_end:
    g->capture = A_NONE;
    tag_done(g, sc, s);
    return s + 1;
}


static const u_char_t *
find2(const u_char_t *s, const u_char_t *lim, u_char_t a, u_char_t b)
{
    for (; s < lim; s++) {
        if (*s == a || *s == b) {
            return s;
        }
    }
    return lim;
}

/* Scans one chunk. */
static void
gate_scan(cs_gate_t *g, const u_char_t *p, size_t n, bool held, int *rc)
{
    cs_scan_t        scan = { p, p + n, p, p, p, held, 0 };
    cs_scan_t       *sc = &scan;
    const u_char_t  *s = p, *end = p + n, *lim, *q;
    u_char_t         c;

    if (*rc != 0) {
        return;
    }

    while (s < end && sc->rc == 0) {
        lim = end;
        if (g->mode == M_HOLD) {
            size_t used = elem_offset(g, sc, s);
            if (used >= g->conf.max_element) {
                elem_overflow(g, sc, s);
                continue;
            }
            if ((size_t) (end - s) > g->conf.max_element - used) {
                lim = s + (g->conf.max_element - used);
            }
        }
        c = *s;

        switch (g->state) {

        case S_DATA:
            if (g->mode == M_PASS && g->elem == E_NONE) {
                q = skip_plain(s, lim, g->vec_level);
                if (q == lim) {
                    s = lim;
                    break;
                }
            } else {
                q = memchr(s, '<', (size_t) (lim - s));
                if (q == NULL) {
                    s = lim;
                    break;
                }
            }
            sc->tag_lt = q;
            s = q + 1;
            g->state = S_TAG_OPEN;
            if (s == lim) {
                break;
            }
            c = *s;
            /* fall through */

        case S_TAG_OPEN:
            if (is_alpha(c)) {
                g->end_tag = false;
                g->raw_end = false;
                g->tag_name_len = 0;
                g->state = S_TAG_NAME;
                goto tag_name;
            }
            if (g->mode == M_HOLD && g->elem == E_PENDING) {
                elem_keep(g, sc);
                g->elem = E_NONE;
            }
            if (c == '!') {
                g->state = S_MD_OPEN;
                s++;
            } else if (c == '/') {
                g->state = S_END_TAG_OPEN;
                s++;
            } else if (c == '?') {
                g->state = S_BOGUS_COMMENT;
            } else {
                g->state = S_DATA;              /* a lone '<' is text */
            }
            break;

        case S_END_TAG_OPEN:
            if (is_alpha(c)) {
                g->end_tag = true;
                g->raw_end = false;
                g->tag_name_len = 0;
                g->state = S_TAG_NAME;
            } else if (c == '>') {
                g->state = S_DATA;              /* "</>" is ignored */
                s++;
            } else {
                g->state = S_BOGUS_COMMENT;
            }
            break;

        case S_TAG_NAME:
        tag_name:
            q = s;
            while (q < lim && !(char_class[*q] & C_TAG_END)) {
                q++;
            }
            /*
             * Names that decide anything are 3 to 9 letters long; others
             * only need their length.
             */
            if (g->tag_name_len + (size_t) (q - s) <= CS_NAME_MAX) {
                if (!g->end_tag
                    && (q == lim || g->tag_name_len + (size_t) (q - s) >= 3))
                {
                    for (const u_char_t *k = s; k < q; k++) {
                        g->tag_name[g->tag_name_len++] = (char) lower(*k);
                    }
                } else {
                    g->tag_name_len += (size_t) (q - s);
                }
            } else {
                g->tag_name_len = CS_NAME_MAX + 1;
            }
            s = q;
            if (g->tag_name_len > CS_NAME_MAX && g->mode == M_HOLD
                && g->elem == E_PENDING)
            {
                elem_keep(g, sc);       /* too long to name an element */
                g->elem = E_NONE;
            }
            if (s == lim) {
                break;
            }
            g->capture = A_NONE;
            g->state = S_BEFORE_ATTR_NAME;
            if (!g->end_tag) {
                int kind = element_kind(g);
                if (g->mode == M_HOLD && g->elem == E_PENDING) {
                    /* the name straddled a chunk boundary */
                    g->elem = kind;
                    if (kind == E_NONE) {
                        elem_keep(g, sc);
                    } else {
                        g->name_end_off = elem_offset(g, sc, s);
                    }
                } else if (kind != E_NONE && g->mode == M_PASS) {
                    elem_begin(g, sc, sc->tag_lt);
                    g->elem = kind;
                    g->name_end_off = elem_offset(g, sc, s);
                    break;      /* the hold limit applies from here on */
                }
            }
            s = attrs_scan(g, sc, s, lim);
            break;

        case S_BEFORE_ATTR_NAME:
        case S_ATTR_NAME:
        case S_AFTER_ATTR_NAME:
        case S_BEFORE_ATTR_VALUE:
        case S_ATTR_VALUE_DQ:
        case S_ATTR_VALUE_SQ:
        case S_ATTR_VALUE_UNQ:
        case S_AFTER_ATTR_VALUE:
        case S_SELF_CLOSING:
            s = attrs_scan(g, sc, s, lim);
            break;

        case S_MD_OPEN:
            if (c == '-') {
                g->state = S_MD_DASH;
                s++;
            } else {
                g->state = S_BOGUS_COMMENT;     /* DOCTYPE, CDATA, ... */
            }
            break;

        case S_MD_DASH:
            if (c == '-') {
                g->state = S_COMMENT_START;
                s++;
            } else {
                g->state = S_BOGUS_COMMENT;
            }
            break;

        case S_COMMENT_START:
            if (c == '-') {
                g->state = S_COMMENT_START_DASH;
                s++;
            } else if (c == '>') {
                g->state = S_DATA;              /* "<!-->" */
                s++;
            } else {
                g->comment_dashes = 0;
                g->state = S_COMMENT;
            }
            break;

        case S_COMMENT_START_DASH:
            if (c == '-') {
                g->comment_dashes = 2;
                g->state = S_COMMENT;
                s++;
            } else if (c == '>') {
                g->state = S_DATA;              /* "<!--->" */
                s++;
            } else {
                g->comment_dashes = 0;
                g->state = S_COMMENT;
            }
            break;

        case S_COMMENT:
            if (g->comment_dashes == 0) {
                q = memchr(s, '-', (size_t) (lim - s));
                if (q == NULL) {
                    s = lim;
                    break;
                }
                s = q;
                c = *s;
            }
            s++;
            if (c == '-') {
                g->comment_dashes++;
            } else if (c == '>' && g->comment_dashes >= 2) {
                g->state = S_DATA;
            } else if (c == '!' && g->comment_dashes >= 2) {
                g->state = S_COMMENT_END_BANG;
            } else {
                g->comment_dashes = 0;
            }
            break;

        case S_COMMENT_END_BANG:
            if (c == '>') {
                g->state = S_DATA;              /* "--!>" */
                s++;
            } else if (c == '-') {
                g->comment_dashes = 1;
                g->state = S_COMMENT;
                s++;
            } else {
                g->comment_dashes = 0;
                g->state = S_COMMENT;
            }
            break;

        case S_BOGUS_COMMENT:
            q = memchr(s, '>', (size_t) (lim - s));
            if (q == NULL) {
                s = lim;
            } else {
                s = q + 1;
                g->state = S_DATA;
            }
            break;

        case S_RAW:
        case S_SCRIPT:
            q = memchr(s, '<', (size_t) (lim - s));
            if (q == NULL) {
                s = lim;
                break;
            }
            if (g->mode == M_HOLD) {
                g->lt_off = elem_offset(g, sc, q);   /* maybe its end tag */
            }
            s = q + 1;
            g->state = g->state == S_RAW ? S_RAW_LT : S_SCRIPT_LT;
            break;

        case S_RAW_LT:
        case S_SCRIPT_LT:
        case S_ESC_LT:
            if (c == '/') {
                g->fail_state = g->state == S_RAW_LT ? S_RAW
                                : g->state == S_SCRIPT_LT ? S_SCRIPT : S_ESC;
                g->match_len = 0;
                g->state = S_END_NAME;
                s++;
            } else if (g->state == S_SCRIPT_LT && c == '!') {
                g->state = S_SCRIPT_ESC_START;
                s++;
            } else if (g->state == S_ESC_LT && is_alpha(c)) {
                g->temp_len = 0;
                g->temp_is_script = true;
                g->state = S_DESC_START;
            } else {
                g->state = g->state == S_RAW_LT ? S_RAW
                           : g->state == S_SCRIPT_LT ? S_SCRIPT : S_ESC;
            }
            break;

        case S_END_NAME:
            if (g->match_len < g->raw_name_len
                && lower(c) == (u_char_t) g->raw_name[g->match_len])
            {
                g->match_len++;
                s++;
            } else if (g->match_len == g->raw_name_len
                       && (is_space(c) || c == '/' || c == '>'))
            {
                g->end_tag = true;
                g->raw_end = true;
                s++;
                if (c == '>') {
                    tag_done(g, sc, s - 1);
                } else if (c == '/') {
                    g->state = S_SELF_CLOSING;
                } else {
                    g->state = S_BEFORE_ATTR_NAME;
                }
            } else {
                g->state = g->fail_state;       /* reprocess as text */
            }
            break;

        case S_SCRIPT_ESC_START:
            if (c == '-') {
                g->state = S_SCRIPT_ESC_START_DASH;
                s++;
            } else {
                g->state = S_SCRIPT;
            }
            break;

        case S_SCRIPT_ESC_START_DASH:
            if (c == '-') {
                g->state = S_ESC_DASH_DASH;
                s++;
            } else {
                g->state = S_SCRIPT;
            }
            break;

        case S_ESC:
        case S_ESC_DASH:
        case S_ESC_DASH_DASH:
            if (g->state == S_ESC) {
                q = find2(s, lim, '-', '<');
                if (q == lim) {
                    s = lim;
                    break;
                }
                s = q;
                c = *s;
            }
            s++;
            if (c == '-') {
                g->state = g->state == S_ESC ? S_ESC_DASH : S_ESC_DASH_DASH;
            } else if (c == '<') {
                if (g->mode == M_HOLD) {
                    g->lt_off = elem_offset(g, sc, s - 1);
                }
                g->state = S_ESC_LT;
            } else if (c == '>' && g->state == S_ESC_DASH_DASH) {
                g->state = S_SCRIPT;
            } else {
                g->state = S_ESC;
            }
            break;

        case S_DESC_START:
        case S_DESC_END:
            if (is_alpha(c)) {
                if (g->temp_len >= 6 || lower(c) != "script"[g->temp_len]) {
                    g->temp_is_script = false;
                }
                g->temp_len++;
                s++;
            } else if (is_space(c) || c == '/' || c == '>') {
                bool script = g->temp_is_script && g->temp_len == 6;
                if (g->state == S_DESC_START) {
                    g->state = script ? S_DESC : S_ESC;
                } else {
                    g->state = script ? S_ESC : S_DESC;
                }
                s++;
            } else {
                g->state = g->state == S_DESC_START ? S_ESC : S_DESC;
            }
            break;

        case S_DESC:
        case S_DESC_DASH:
        case S_DESC_DASH_DASH:
            if (g->state == S_DESC) {
                q = find2(s, lim, '-', '<');
                if (q == lim) {
                    s = lim;
                    break;
                }
                s = q;
                c = *s;
            }
            s++;
            if (c == '-') {
                g->state = g->state == S_DESC ? S_DESC_DASH
                                              : S_DESC_DASH_DASH;
            } else if (c == '<') {
                g->state = S_DESC_LT;
            } else if (c == '>' && g->state == S_DESC_DASH_DASH) {
                g->state = S_SCRIPT;
            } else {
                g->state = S_DESC;
            }
            break;

        case S_DESC_LT:
            if (c == '/') {
                g->temp_len = 0;
                g->temp_is_script = true;
                g->state = S_DESC_END;
                s++;
            } else {
                g->state = S_DESC;
            }
            break;

        case S_PLAINTEXT:
        default:
            s = lim;
            break;
        }
    }

    /* End of chunk: emit what flows, move a pending element into hold. */
    if (sc->rc == 0) {
        if (g->mode == M_PASS
            && (g->state == S_TAG_OPEN
                || (g->state == S_TAG_NAME && !g->end_tag
                    && g->tag_name_len <= CS_NAME_MAX)))
        {
            /* a tag name that straddles chunks may name an element */
            elem_begin(g, sc, sc->tag_lt);
        }
        if (g->mode == M_HOLD) {
            if (!g->elem_in_hold) {
                emit(g, sc, sc->out, sc->elem, sc->held);
                sc->out = sc->elem;
                g->elem_in_hold = true;
            }
            if (!hold_append(g, sc->out, (size_t) (end - sc->out))) {
                sc->rc = -1;
            }
        } else if (g->mode == M_VOID) {
            g->stats.bytes_removed += (size_t) (end - sc->out);
        } else {
            emit(g, sc, sc->out, end, sc->held);
        }
    }
    if (sc->rc != 0) {
        *rc = sc->rc;
    }
    g->fed += n;
}

int
cs_gate_feed(cs_gate_t *g, const unsigned char *p, size_t n)
{
    int rc = 0;

    gate_scan(g, p, n, false, &rc);
    return rc;
}

int
cs_gate_finish(cs_gate_t *g)
{
    cs_scan_t        scan = { NULL, NULL, NULL, NULL, NULL, true, 0 };
    const u_char_t  *p;
    size_t           n;

    if (g->mode != M_HOLD) {
        /* EOF ends a removed (voided) or neutralized element */
        elem_report_end(g, g->fed);
        g->mode = M_PASS;
        return 0;
    }

    /* Everything held is in the hold buffer between feeds. */
    scan.base = scan.end = scan.out = g->hold + g->hold_len;
    elem_take(g, &scan, scan.out, &p, &n);

    if (g->elem == E_NOSCRIPT && g->content_off) {
        size_t end_tag = n;
        noscript_decide(g, &scan, scan.out, p, n, end_tag);
    } else if (g->elem != E_PENDING
               && elem_denied(g, p, g->content_off ? n : 0))
    {
        elem_drop(g, &scan, scan.out, n);
        elem_removed(g, &scan, scan.out, n, CS_ACTION_STRIP, true);
    } else {
        elem_keep(g, &scan);
    }
    g->mode = M_PASS;
    g->elem = E_NONE;
    return scan.rc;
}

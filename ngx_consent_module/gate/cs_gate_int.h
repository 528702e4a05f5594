/*
 * What the gate's files share (gate/ only, never installed or included from
 * outside it and its tests):
 *
 *   cs_gate_tags.c        THE TABLE: the elements and attributes the gate
 *                         reads, and the lookups that drive the tokenizer
 *   cs_gate_skip.c        the SIMD/scalar skipper of text and plain tags
 *                         (the only file with vector code)
 *   cs_gate_scan.c        the tokenizer: the hot switch and attribute loop
 *   cs_gate.c             the API, the hold buffer and the decisions: tie
 *                         the element to recipients, keep, drop, report
 *   cs_gate_noscript.c    judging and replaying a <noscript>'s content
 *                         (the inner gates)
 *   cs_gate_srcdoc.c      gating an <iframe srcdoc>'s document
 *   cs_gate_specrules.c   the URLs speculation rules (JSON) name
 *   cs_gate_neutralize.c  rewriting a denied element inert
 *   cs_gate_evidence.c    which hosts an inline script uses to load or send
 *   cs_gate_fetch.c       attributes cut alone (srcset candidates, ping,
 *                         style), a <style>'s cuts
 *   cs_gate_css.c         the CSS reader (style attributes, <style>)
 *   cs_gate_memo.c        attributions kept across responses
 */

#ifndef CS_GATE_INT_H
#define CS_GATE_INT_H

#include <string.h>

#include "cs_gate.h"

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility push(hidden)
#endif

#define CS_URL_MAX        2048
#define CS_TOKEN_MAX      128
#define CS_NAME_MAX       15
#define CS_MIN_ELEMENT    256
#define CS_HOLD_INITIAL   4096
#define CS_ELEMENT_RECIPIENTS  8      /* listed in data-consent */
#define CS_NEUTRAL_MAX    (32 + CS_ELEMENT_RECIPIENTS * (CS_ID_MAX + 1))
#define CS_NO_OFFSET      ((size_t) -1)

typedef unsigned char  u_char_t;

/* ---- the table (cs_gate_tags.c) ---- */

/*
 * What the gate does with an element (a row's kind, and the kind of the
 * element under decision). The gated kinds, above CS_TAG_PENDING, are held
 * and decided on; CS_TAG_PENDING is no row's: an element whose name is not
 * complete yet.
 */
typedef enum {
    CS_TAG_NONE = 0,      /* not in the table: decides nothing */
    CS_TAG_HEAD,          /* <head>: where head_inject goes */
    CS_TAG_TEXT,          /* only switches the tokenizer (style, title...) */
    CS_TAG_PENDING,       /* held: '<' seen, its name not complete yet */
    CS_TAG_LOADER,        /* runs code: <script> (src, or its inline text) */
    CS_TAG_BEACON,        /* fetches once: <img> */
    CS_TAG_FRAME,         /* loads a document: <iframe> */
    CS_TAG_HINT,          /* contacts a host when rel is a resource hint
                             or a fetched link type */
    CS_TAG_NOSCRIPT,      /* judged by the pixels in its content */
    CS_TAG_CARRIER,       /* first-party, may carry tracker URLs (a
                             poster, a media or object URL, a ping, a
                             style attribute): only those attributes go,
                             never the element */
    CS_TAG_SHEET,         /* <style>: first-party; declarations and
                             @import rules with a tracker URL go, never
                             the element */
    CS_TAG_BASE           /* <base href>: what relative URLs after it
                             resolve against */
} cs_tag_kind_t;

/* The tokenizer state after an element's start tag. */
typedef enum {
    CS_CONTENT_MARKUP = 0,
    CS_CONTENT_RAW,       /* raw text up to its own end tag */
    CS_CONTENT_SCRIPT,    /* script data (with its escape states) */
    CS_CONTENT_PLAINTEXT, /* the rest of the body is text */
    CS_CONTENT_SVG,       /* foreign content: <svg> opens SVG */
    CS_CONTENT_MATHML     /* foreign content: <math> opens MathML */
} cs_content_t;

/*
 * How an attribute of a row is read. The URL kinds say how its value names
 * hosts: the gate reads CS_ATTR_URL and CS_ATTR_SRCSET values (tying the
 * element, or cut alone) and renames srcset on neutralize. A new fetch path
 * is a row (or an attribute on one) with one of these kinds. PING and STYLE
 * values are only ever cut (test_gate_table checks this).
 */
typedef enum {
    CS_ATTR_URL = 0,      /* one URL: src, href, data, poster */
    CS_ATTR_SRCSET,       /* candidates: "url 2x, url 640w" */
    CS_ATTR_PING,         /* URLs separated by spaces: goes whole when
                             any of them is denied */
    CS_ATTR_STYLE,        /* CSS declarations (cs_gate_css.c): the ones
                             with a denied URL go */
    CS_ATTR_TYPE,         /* a MIME type (data blocks, neutralize) */
    CS_ATTR_REL,          /* link types (resource hints) */
    CS_ATTR_DOCUMENT      /* a document (srcdoc): gated in turn */
} cs_attr_kind_t;

typedef struct {
    const char      *name;            /* lowercase */
    cs_attr_kind_t   kind;
    bool             ties_element;    /* its hosts tie the element to
                                         recipients */
    bool             renamed;         /* neutralize renames it to
                                         data-consent-<name> */
    bool             cut;             /* a tracker URL in it removes only
                                         the attribute (a srcset: only its
                                         candidate), not the element */
    bool             if_image;        /* fetched only when the element's
                                         type is "image" (<input>) */
} cs_tag_attr_t;

#define CS_TAG_ATTRS  4
/* The attributes of the element under decision: its row's, then style. */
#define CS_ELEM_ATTRS (CS_TAG_ATTRS + 1)
#define CS_STYLE_SLOT CS_TAG_ATTRS

typedef struct {
    const char      *name;            /* lowercase, 3..9 letters (1..9 by
                                         attribute) */
    cs_tag_kind_t    kind;
    cs_content_t     content;
    bool             is_void;         /* ends at its start tag */
    bool             by_attr;         /* too common to stop at by name:
                                         the skipper stops at it only when
                                         an attribute may matter (<a>,
                                         <td>, <input>...) */
    cs_tag_attr_t    attrs[CS_TAG_ATTRS];   /* name NULL: no more */
} cs_tag_row_t;

/* All rows; *count set to their number. */
const cs_tag_row_t *cs_gate_tag_rows(size_t *count);
/* The row of a lowercase tag name, or NULL. */
const cs_tag_row_t *cs_gate_tag_row(const char *name, size_t len);
/*
 * Whether neutralize leaves the row's element inert: every attribute that
 * ties it is renamed (an SVG href is not: such an element is stripped).
 */
bool cs_gate_row_neutralizable(const cs_tag_row_t *row);

/* The row of an SVG <script> (foreign content; no name lookup finds it). */
const cs_tag_row_t *cs_gate_svg_script_row(void);
/* The row of an SVG <style> (the same). */
const cs_tag_row_t *cs_gate_svg_style_row(void);
/*
 * The row of any other start tag the tokenizer reads: no attributes of its
 * own, but like every element it may carry a style attribute.
 */
const cs_tag_row_t *cs_gate_any_row(void);
/* The style attribute every element may carry (its slot CS_STYLE_SLOT). */
const cs_tag_attr_t *cs_gate_style_attr(void);
/*
 * Whether an attribute name (its last three bytes, any case) may be one
 * the table reads on a row the skipper passes by name: {s,i,u,y} then
 * {r,n,l} then {c,g,d,e} (sRC, pING, backgroUND, stYLE). The skipper stops
 * at every tag with such a name before an '='; test_gate_table checks the
 * table's names against it.
 */
static inline bool
cs_gate_attr_trigger(const unsigned char *end3)
{
    unsigned char a = end3[0] | 0x20, b = end3[1] | 0x20, c = end3[2] | 0x20;

    return (a == 's' || a == 'i' || a == 'u' || a == 'y')
           && (b == 'r' || b == 'n' || b == 'l')
           && (c == 'c' || c == 'g' || c == 'd' || c == 'e');
}

static inline bool
cs_gate_kind_gated(cs_tag_kind_t kind)
{
    return kind > CS_TAG_PENDING;
}

/* ---- the skipper (cs_gate_skip.c) ---- */

/* Character classes for the tag scanner's hot loops. */
#define C_SPACE      0x01       /* tab, LF, FF, CR, space */
#define C_NAME_END   0x02       /* ends an attribute name: space / > = */
#define C_TAG_END    0x04       /* ends a tag or unquoted value: space / > */

extern const unsigned char  cs_gate_char_class[256];

/*
 * The prefilter's copy of the table (test_gate_table checks it): names by
 * length, their first and second letters, and the nibble lookups of those.
 */
#define CS_SKIP_WORDS  8         /* names of one length, at most */

extern const uint64_t       cs_gate_skip_words[10][CS_SKIP_WORDS];
extern const char           cs_gate_skip_first[];
extern const char           cs_gate_skip_second[];
extern const unsigned char  cs_gate_skip_nibble_lo[16];
extern const unsigned char  cs_gate_skip_nibble_hi[16];

/* Whether a start tag's name may decide anything (it has a row). */
bool cs_gate_tag_matters(const u_char_t *name, size_t len);
/*
 * Data state outside any element under decision: skips text and tags that
 * cannot matter. Returns the '<' the state machine must read, or lim.
 */
const u_char_t *cs_gate_skip_plain(const u_char_t *s, const u_char_t *lim,
    cs_simd_t simd);

/* ---- the gate ---- */

/* Tokenizer states (WHATWG 13.2.5, the ones the gate needs). */
typedef enum {
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
    S_MD_CDATA,           /* "<![" in foreign content: "CDATA[" next? */
    S_CDATA,              /* CDATA section (foreign content only) */
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
} cs_tok_state_t;

/*
 * Foreign content (WHATWG 13.2.6.5): the open elements from an <svg> or
 * <math> on, as far as they change how the tokenizer reads (CDATA
 * sections, self-closing tags, no raw text) and where foreign content
 * ends. HTML elements are kept only inside an integration point, where
 * they decide whether the current node is foreign. A stack that would
 * grow past CS_FOREIGN_MAX drops the rest of the body (fail closed).
 */
#define CS_FOREIGN_MAX  32

typedef enum {
    CS_NS_HTML = 0,
    CS_NS_SVG,
    CS_NS_MATHML
} cs_ns_t;

typedef enum {
    CS_POINT_NONE = 0,
    CS_POINT_HTML,        /* svg foreignObject/desc/title, annotation-xml
                             holding text/html or application/xhtml+xml */
    CS_POINT_TEXT         /* MathML mi, mo, mn, ms, mtext */
} cs_point_t;

typedef struct {
    char             name[CS_NAME_MAX];   /* lowercase, its first bytes */
    uint8_t          name_len;            /* the whole name's, up to 255 */
    uint8_t          ns;                  /* cs_ns_t */
    uint8_t          point;               /* cs_point_t */
} cs_open_el_t;

/* What a start tag's attributes must show (font, annotation-xml). */
typedef enum {
    CS_WATCH_NONE = 0,
    CS_WATCH_FONT,        /* color, face or size: <font> breaks out */
    CS_WATCH_ENCODING     /* encoding: an annotation-xml's integration */
} cs_watch_t;

/* What happens to the bytes being read. */
typedef enum {
    M_PASS = 0,       /* they flow through */
    M_HOLD,           /* element under decision: held back */
    M_VOID            /* element dropped open: dropped until its end */
} cs_mode_t;

/* Why an element is dropped (cs_gate.c, drop_element()). */
typedef enum {
    CS_DROP_DENIED = 0,   /* tied to a recipient the request does not
                             allow or the site does not declare, or
                             on_unknown_host asked for it */
    CS_DROP_OVERSIZE,     /* as DENIED, judged on its first max_element
                             bytes */
    CS_DROP_EMPTY_NOSCRIPT, /* a <noscript> with nothing left once its
                               pixels are dropped */
    CS_DROP_TOO_DEEP      /* the rest of the body, after foreign content
                             nested deeper than CS_FOREIGN_MAX */
} cs_drop_reason_t;

/* What of the element goes. */
typedef enum {
    CS_DROP_WHOLE = 0,    /* all of it: it ends where the drop ends */
    CS_DROP_OPEN          /* its bytes so far; the rest is dropped as it
                             streams, up to its end (M_VOID) */
} cs_drop_extent_t;

/* A captured attribute value of the element under decision. */
typedef struct {
    char    buf[CS_URL_MAX];
    size_t  len;
    size_t  off;              /* element offset of its name */
    size_t  value_off;        /* of its value's first byte (after a quote) */
    size_t  end;              /* after the attribute (its closing quote);
                                 CS_NO_OFFSET: no value, or not ended */
    bool    seen;
} cs_attr_value_t;

/*
 * Reading a style sheet in pieces (one longer than max_element): where the
 * text may be split (nothing open: after a ';', '{' or '}' at the top of
 * an item), and the blocks open there.
 */
typedef struct {
    size_t  depth;          /* in: blocks open where the text starts;
                               out: at safe */
    size_t  safe;           /* out: bytes before the last such point */
    bool    partial;        /* in: the text goes on: items open at its
                               end are not ended */
} cs_css_resume_t;

/* Skipping one item too long to read (cs_css_skip): the lexer's state. */
typedef struct {
    uint8_t  quote;         /* in a string: its quote, else 0 */
    bool     comment;       /* in a comment */
    bool     escape;        /* after a backslash */
    bool     star;          /* comment: after a '*'; else after a '/' */
    size_t   nest;          /* open ( [ and { */
} cs_css_skip_t;

/*
 * Bytes of the element under decision removed alone: [off, end), or
 * replaced by with (a srcdoc value written back gated).
 */
typedef struct {
    size_t           off;
    size_t           end;
    const u_char_t  *with;
    size_t           with_len;
} cs_cut_t;

#define CS_ELEMENT_CUTS  32

typedef struct {
    cs_tok_state_t   state;
    cs_tok_state_t   fail_state;      /* where a failed end-tag match
                                         resumes */
    bool             end_tag;         /* the tag being parsed is an end tag */
    bool             raw_end;         /* ...and it closes the raw element */
    bool             scripting_off;   /* the view of a browser without
                                         scripting (a <noscript>'s
                                         content) */
    unsigned         comment_dashes;  /* or a CDATA section's ']'s */
    char             tag_name[CS_NAME_MAX + 1];
    size_t           tag_name_len;
    size_t           tag_name_total;  /* the whole name's length */
    bool             self_closing;    /* the tag ended with "/>" */
    bool             tag_passed;      /* its name ran past max_element:
                                         its bytes flowed out, nothing of
                                         it is held */
    bool             tag_foreign;     /* the start tag makes a foreign
                                         element */
    uint8_t          watch;           /* cs_watch_t of the start tag */
    bool             watch_value;     /* its value is being captured */
    bool             watch_hit;       /* the attribute it watches for */
    char             watch_buf[24];   /* lowercase start of that value */
    size_t           watch_len;
    cs_open_el_t     open[CS_FOREIGN_MAX];    /* foreign content */
    size_t           open_depth;
    char             attr_name[CS_NAME_MAX + 1];
    size_t           attr_name_len;
    cs_attr_value_t *capture;         /* value being captured, or NULL */
    const char      *raw_name;        /* end tag that closes the raw text */
    size_t           raw_name_len;
    size_t           match_len;
    size_t           temp_len;        /* script double-escape name buffer */
    bool             temp_is_script;
    bool             head_done;       /* head_inject emitted */
} cs_tokenizer_t;

/* The element under decision. */
typedef struct {
    cs_mode_t            mode;
    cs_tag_kind_t        kind;
    const cs_tag_row_t  *row;             /* NULL while CS_TAG_PENDING */
    cs_attr_value_t      attr[CS_ELEM_ATTRS]; /* by the row's attrs, then
                                             style */
    size_t               name_end_off;    /* element offset after the name */
    size_t               attr_off;        /* of the current attribute name */
    size_t               content_off;     /* after its start tag */
    size_t               lt_off;          /* of the last '<' */
    size_t               foreign_depth;   /* an SVG <script> past its start
                                             tag: its depth in tok.open
                                             (it ends when popped); else 0 */
    uint32_t             recipients[CS_ELEMENT_RECIPIENTS];
    uint32_t             nrecipients;
    bool                 recipients_overflow;
    bool                 denied;
    bool                 unknown_named;   /* a URL names an unknown host */
    bool                 unknown_remove;  /* on_unknown_host asked to
                                             remove it */
    cs_cut_t             cuts[CS_ELEMENT_CUTS];  /* attributes (srcset
                                             candidates) that go alone */
    uint32_t             ncuts;
    bool                 sheet_text;      /* a <style>'s text starts at
                                             content_off (0 after it was
                                             passed on in pieces) */
    bool                 sheet_skip;      /* ...inside an item too long
                                             to read, going */
    size_t               sheet_depth;     /* blocks open where it starts */
    cs_css_skip_t        sheet_lex;       /* sheet_skip's state */
    bool                 start_tag_ended; /* its attributes are all read */
    bool                 breaks_out;      /* its start tag ends foreign
                                             content (an <img> in <svg>):
                                             denied, the tag stays with
                                             its URLs cut; cleared when
                                             the tag goes */
} cs_element_t;

typedef struct {
    u_char_t  *buf;
    size_t     len;
    size_t     cap;
    bool       has_element;       /* the element's bytes so far are here */
} cs_hold_t;

/* What on_element reports about the element under decision. */
typedef struct {
    uint64_t    *set;              /* recipients tied to it (allocated
                                      once, with on_element) */
    size_t       set_words;
    bool         pending;          /* dropped or neutralized, not ended */
    cs_action_t  action;
    uint64_t     start;            /* stream offset of its first byte */
    uint64_t     fed;              /* bytes fed before the current chunk */
} cs_report_t;

/*
 * A <noscript> is judged by running an inner gate over its content, and
 * run again to emit what stays: the second run replays the first run's
 * on_unknown_host answers (one bit each) instead of asking again.
 */
typedef struct {
    uint64_t  *answers;
    size_t     cap;               /* bits */
    size_t     len;
    size_t     pos;
    bool       hook_failed;       /* could not record an answer */
} cs_replay_t;

/*
 * The document's base URL: the first <base href> (later ones change
 * nothing, as in HTML). Relative URLs after it take its host and resolve
 * their path against its path. Per gate, so per response; inner gates
 * (a <noscript>'s content, a srcdoc document) start with their outer
 * gate's, as a browser resolves them.
 */
typedef struct {
    bool    set;                  /* a <base href> was seen */
    char    host[256];            /* its host, "" when it names none */
    size_t  host_len;
    char    path[CS_URL_MAX];     /* its path, from '/' */
    size_t  path_len;
} cs_base_t;

struct cs_gate {
    cs_gate_conf_t   conf;
    cs_gate_stats_t  stats;
    cs_simd_t        simd;        /* the skipper's instruction set */
    cs_tokenizer_t   tok;
    cs_element_t     el;
    cs_hold_t        hold;
    cs_report_t      report;
    cs_replay_t      replay;
    cs_base_t        base;
    unsigned         doc_depth;   /* srcdoc documents this gate is inside */
    u_char_t        *doc_buf;     /* a srcdoc value written back */
    size_t           doc_cap;
};

/* srcdoc documents nested deeper than this are not read (fail closed) */
#define CS_DOC_DEPTH  3

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

/* ---- small helpers ---- */

static inline bool
is_space(u_char_t c)
{
    return cs_gate_char_class[c] & C_SPACE;
}

static inline bool
is_alpha(u_char_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline u_char_t
lower(u_char_t c)
{
    return (c >= 'A' && c <= 'Z') ? (u_char_t) (c | 0x20) : c;
}

/* "word" must be a string literal. */
#define name_is(name, len, word)                                              \
    ((len) == sizeof(word) - 1 && memcmp(name, word, sizeof(word) - 1) == 0)

static inline void
emit(cs_gate_t *g, cs_scan_t *sc, const u_char_t *from, const u_char_t *to,
    bool held)
{
    if (to > from && sc->rc == 0
        && g->conf.emit(g->conf.emit_ud, from, (size_t) (to - from), held) != 0)
    {
        sc->rc = -1;
    }
}

/* Bytes of the element that precede ptr (in HOLD mode). */
static inline size_t
elem_offset(const cs_gate_t *g, const cs_scan_t *sc, const u_char_t *ptr)
{
    return g->hold.has_element ? g->hold.len + (size_t) (ptr - sc->out)
                               : (size_t) (ptr - sc->elem);
}

/* Stream offset of a byte of the chunk being scanned. */
static inline uint64_t
stream_offset(const cs_gate_t *g, const cs_scan_t *sc, const u_char_t *ptr)
{
    return g->report.fed + (uint64_t) (ptr - sc->base);
}

/* The table's definition of the element's attribute slot i, or NULL. */
static inline const cs_tag_attr_t *
elem_attr_def(const cs_gate_t *g, size_t i)
{
    const cs_tag_row_t *row = g->el.row;

    if (i == CS_STYLE_SLOT) {
        return cs_gate_style_attr();
    }
    return row && i < CS_TAG_ATTRS && row->attrs[i].name ? &row->attrs[i]
                                                         : NULL;
}

/* ---- cs_gate_scan.c ---- */

/* Scans one chunk (held: it is transient memory). */
void gate_scan(cs_gate_t *g, const u_char_t *p, size_t n, bool held,
    int *rc);

/* ---- cs_gate.c: the element under decision ---- */

bool hold_append(cs_gate_t *g, const u_char_t *p, size_t n);
void elem_begin(cs_gate_t *g, cs_scan_t *sc, const u_char_t *lt);
void elem_reset(cs_gate_t *g, cs_scan_t *sc);
void elem_take(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t **p, size_t *n);
void keep_element(cs_gate_t *g, cs_scan_t *sc);
void drop_element(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    size_t len, cs_drop_extent_t extent, cs_drop_reason_t why);
void drop_rest(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto);
void report_end(cs_gate_t *g, uint64_t end);
void start_tag_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s);
void raw_element_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s);
void elem_overflow(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s);
bool url_denied(cs_gate_t *g, const char *url, size_t len);

/* ---- cs_gate_fetch.c: attribute values that name several URLs ---- */

/*
 * Judges the attributes of the element under decision (p, its n bytes so
 * far) that the table marks cut: each URL a recipient is denied for becomes
 * a cut (el.cuts); sets el.denied when the element is left with nothing it
 * could fetch but those (an <img> or <source> whose every candidate goes).
 */
void cut_attributes(cs_gate_t *g, const u_char_t *p, size_t n,
    size_t content_end);

/* Adds the cut [off, end) (removed; with set after: replaced). */
bool add_cut(cs_element_t *el, size_t off, size_t end);
/* Emits the kept element with its cuts removed; its bytes end at upto. */
/* Whether the element's style names a denied URL (cs_gate_fetch.c). */
bool style_denied(cs_gate_t *g, const u_char_t *p, size_t n);
void keep_element_cut(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n);
/*
 * Keeps a denied element's start tag (p, its n bytes, ending at upto) with
 * every attribute its row reads a URL from cut whole and its style's denied
 * declarations cut: an <img> that ends foreign content fetches nothing and
 * still ends it, so the page's tree stays. *removed: the bytes cut. Returns
 * false, emitting nothing, when the cuts do not fit (it must go whole).
 */
bool keep_tag_cut(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, size_t *removed);
/*
 * An SVG <style>'s text ends at the tag whose '<' is at el.lt_off (s: the
 * byte after it): the text is cut and kept, and the tag is held from its
 * '<' as any start tag the tokenizer reads (a nested element is judged on
 * its own; the style's text after it is not read).
 */
void sheet_text_end(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s);
/*
 * A <style> reached max_element bytes at s: what is read to the end of an
 * item is cut and passed on, the rest held on (an item longer than
 * max_element goes, skipped to its end: fail closed).
 */
bool sheet_overflow(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s);
/*
 * Whether a srcset value names a URL the element's recipients deny (for a
 * row attribute that ties its element whole).
 */
bool srcset_denied(cs_gate_t *g, const char *v, size_t len);

/* ---- cs_gate_css.c ---- */

/*
 * Whether a URL named in CSS is denied (ud: the gate); the URL is decoded
 * (CSS escapes), or its raw text when the reader cannot read it plainly.
 */
typedef bool (*cs_css_judge_cb)(void *ud, const char *url, size_t len);

/*
 * Reads CSS text (a style attribute's declarations, or a style sheet) and
 * adds to cuts[] (at most max; past that the last cut grows to cover the
 * next, so nothing denied is ever left) each declaration or rule that
 * names a denied URL: from its first byte through its ';', or up to the
 * end of its block or of the text. Offsets are in css. markup: the text is
 * an SVG <style>'s content, whose CDATA section markers, comments and tags
 * are no CSS. Returns how many cuts it added. Linear, bounded, no
 * backtracking.
 */
size_t cs_css_cuts(const char *css, size_t len, bool markup,
    cs_css_resume_t *resume, cs_css_judge_cb judge, void *ud,
    cs_cut_t *cuts, size_t max);
/*
 * How many bytes of css belong to the item being skipped (st: where the
 * last call stopped): up to its ';' (through it) or the '}' of its block
 * (through it; a '}' closing an outer block is left); len when it goes on.
 * *ended is set when it ended.
 */
size_t cs_css_skip(const char *css, size_t len, cs_css_skip_t *st,
    bool *ended);

/* ---- cs_gate_noscript.c ---- */

/* The inner runs over a <noscript>'s content. */
typedef enum {
    INNER_JUDGE = 0,      /* collect what ties it, ask on_unknown_host */
    INNER_EMIT,           /* emit what stays, replaying the answers */
    INNER_DOCUMENT        /* a srcdoc document: one run, with scripting,
                             the hooks called as for the page's elements */
} cs_inner_run_t;

int inner_run(cs_gate_t *g, const u_char_t *p, size_t n, bool held,
    cs_emit_cb cb, void *ud, cs_gate_stats_t *stats, cs_inner_run_t run);
void noscript_decide(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, size_t end_tag_off);

/* ---- cs_gate_specrules.c ---- */

/* The script's type is speculationrules (as a browser compares it). */
bool script_is_speculation_rules(const cs_attr_value_t *type);
/*
 * Ties a speculation rules script (its text) to the recipients its URLs
 * and link patterns name; sets el.denied when one is not allowed, when the
 * JSON does not parse, or when a document rule may match any host.
 */
void tie_speculation_rules(cs_gate_t *g, const char *text, size_t len);

/* ---- cs_gate_srcdoc.c ---- */

/*
 * Gates the srcdoc document of the element under decision (its n bytes so
 * far): when the inner gate removes anything, the value becomes a cut
 * that writes it back gated; sets el.denied when the value cannot be read
 * whole (cut short, nested too deep).
 */
void srcdoc_gate(cs_gate_t *g, const u_char_t *p, size_t n);

/* ---- cs_gate_evidence.c ---- */

/*
 * Calls tie for every recipient whose host the inline script's text uses
 * in a way that loads or sends (not as data only); see the file's top.
 * The ntied recipients in tied are tied already (by signatures): hosts of
 * theirs need no reading. site (NULL: none): whose tagging hosts count as
 * their recipients' hosts.
 */
void cs_gate_script_evidence(const cs_rules_t *rules, const uint32_t *site,
    const char *text, size_t len, const uint32_t *tied, uint32_t ntied,
    cs_match_cb tie, void *ud);

/* ---- cs_gate_memo.c ---- */

typedef enum {
    CS_MEMO_SCRIPT = 1,   /* an inline script's text: the recipients tied,
                             in order */
    CS_MEMO_URL           /* a URL attribute's value: its recipient, or
                             the unknown host it names */
} cs_memo_kind_t;

/*
 * The gate has a memo, made for its rules, and *scope is the one its
 * answers are kept in: what attributions depend on besides the key, the
 * site whose tagging hosts count (+ 1; 0: none).
 */
bool memo_usable(const cs_gate_t *g, uint32_t *scope);
/*
 * The result kept for the key in its scope (what else the result depends
 * on: memo_usable()'s), or NULL; *size its length, *hash the key's
 * (for memo_store). Counts a hit or a miss.
 */
const void *memo_find(cs_gate_t *g, cs_memo_kind_t kind, uint32_t scope,
    const void *key, size_t len, size_t *size, uint64_t *hash);
void memo_store(cs_gate_t *g, cs_memo_kind_t kind, uint32_t scope,
    const void *key, size_t len, uint64_t hash, const void *result,
    size_t size);

/* ---- cs_gate_neutralize.c ---- */

bool neutralize_element(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n);

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#endif /* CS_GATE_INT_H */

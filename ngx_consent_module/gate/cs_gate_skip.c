/*
 * The skipper: most of a page is text and tags that decide nothing (div,
 * span, li, end tags...). Outside any element under decision these are
 * skipped whole by the code below: it finds the next '<' and, for a tag
 * whose name cannot matter, the '>' that ends it, with the tokenizer's
 * attribute rules but none of its bookkeeping. Anything else (comments,
 * markup declarations, tags that matter, a tag not complete in this chunk,
 * a tag with an attribute whose name ends like one the table reads on tags
 * it passes by name: cs_gate_attr_trigger(), style on any tag) stops it at
 * the '<', where the state machine takes over; skipping a tag changes no
 * state, so output and decisions stay exactly those of the state machine,
 * whatever the chunking.
 *
 * The byte searches look at 16 bytes at a time with SSE2 (the x86-64
 * baseline) and fall back to a byte loop elsewhere, or when built with
 * -DCS_GATE_SCALAR. This is the gate's only file with vector code.
 */

#include "cs_gate_int.h"

const unsigned char cs_gate_char_class[256] = {
    ['\t'] = C_SPACE | C_NAME_END | C_TAG_END,
    ['\n'] = C_SPACE | C_NAME_END | C_TAG_END,
    ['\f'] = C_SPACE | C_NAME_END | C_TAG_END,
    ['\r'] = C_SPACE | C_NAME_END | C_TAG_END,
    [' ']  = C_SPACE | C_NAME_END | C_TAG_END,
    ['/']  = C_NAME_END | C_TAG_END,
    ['>']  = C_NAME_END | C_TAG_END,
    ['=']  = C_NAME_END,
};


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
    F_TAG_END = 0,      /* ends a tag name: space / > */
    F_NAME_END,         /* ends an attribute name: space / > = */
    F_VALUE_END         /* ends an unquoted value: space > */
};

static inline bool
find_hit(int kind, u_char_t c)
{
    switch (kind) {
    case F_TAG_END:
        return cs_gate_char_class[c] & C_TAG_END;
    case F_NAME_END:
        return cs_gate_char_class[c] & C_NAME_END;
    default:
        return (cs_gate_char_class[c] & C_SPACE) || c == '>';
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
    while (s < lim && (cs_gate_char_class[*s] & C_SPACE)) {
        s++;
    }
    return s;
}

/* Eight bytes as one little-endian word, for tag_matters_word(). */
#define W8(a, b, c, d, e, f, g, h)                                             \
    ((uint64_t) (a) | (uint64_t) (b) << 8 | (uint64_t) (c) << 16              \
     | (uint64_t) (d) << 24 | (uint64_t) (e) << 32 | (uint64_t) (f) << 40     \
     | (uint64_t) (g) << 48 | (uint64_t) (h) << 56)

/* By length: the names that have a row, zero-padded (0: none). */
const uint64_t cs_gate_skip_words[10][CS_SKIP_WORDS] = {
    [3] = { W8('i', 'm', 'g', 0, 0, 0, 0, 0),
            W8('x', 'm', 'p', 0, 0, 0, 0, 0),
            W8('s', 'v', 'g', 0, 0, 0, 0, 0) },
    [4] = { W8('l', 'i', 'n', 'k', 0, 0, 0, 0),
            W8('h', 'e', 'a', 'd', 0, 0, 0, 0),
            W8('m', 'a', 't', 'h', 0, 0, 0, 0),
            W8('b', 'a', 's', 'e', 0, 0, 0, 0) },
    [5] = { W8('i', 'm', 'a', 'g', 'e', 0, 0, 0),
            W8('s', 't', 'y', 'l', 'e', 0, 0, 0),
            W8('t', 'i', 't', 'l', 'e', 0, 0, 0),
            W8('v', 'i', 'd', 'e', 'o', 0, 0, 0),
            W8('a', 'u', 'd', 'i', 'o', 0, 0, 0),
            W8('t', 'r', 'a', 'c', 'k', 0, 0, 0),
            W8('e', 'm', 'b', 'e', 'd', 0, 0, 0),
            W8('f', 'r', 'a', 'm', 'e', 0, 0, 0) },
    [6] = { W8('s', 'c', 'r', 'i', 'p', 't', 0, 0),
            W8('i', 'f', 'r', 'a', 'm', 'e', 0, 0),
            W8('s', 'o', 'u', 'r', 'c', 'e', 0, 0),
            W8('o', 'b', 'j', 'e', 'c', 't', 0, 0) },
    [7] = { W8('n', 'o', 'e', 'm', 'b', 'e', 'd', 0),
            W8('f', 'e', 'i', 'm', 'a', 'g', 'e', 0) },
    [8] = { W8('n', 'o', 's', 'c', 'r', 'i', 'p', 't'),
            W8('n', 'o', 'f', 'r', 'a', 'm', 'e', 's'),
            W8('t', 'e', 'x', 't', 'a', 'r', 'e', 'a') },
    [9] = { W8('p', 'l', 'a', 'i', 'n', 't', 'e', 'x') },
};

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
    bool  match = false;

    for (size_t k = 0; k < CS_SKIP_WORDS; k++) {
        match |= w == cs_gate_skip_words[len][k];
    }
    return match;
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
 * after the '>' that ends it, or NULL when that is not in [s, lim) or an
 * attribute with a value may be one the table reads (cs_gate_attr_trigger:
 * the state machine must read the tag). (WHATWG 13.2.5.32-13.2.5.40,
 * end-of-tag only: names and values are not kept.)
 */
static const u_char_t *
skip_attrs(const u_char_t *s, const u_char_t *lim)
{
    const u_char_t  *name, *name_end;
    u_char_t         c;

    for ( ;; ) {
        /* before attribute name; '/' (self-closing start) is the same here */
        while (s < lim && ((cs_gate_char_class[*s] & C_SPACE) || *s == '/')) {
            s++;
        }
        if (s == lim) {
            return NULL;
        }
        if (*s == '>') {
            return s + 1;
        }
        /* attribute name: its first byte may be '=' or a quote */
        name = s;
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
        name_end = s;
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
        if (name_end - name >= 3 && cs_gate_attr_trigger(name_end - 3)) {
            return NULL;                /* a value that may carry a URL */
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

/*
 * The letters of first and second, looked up on the low and high nibble of
 * (byte | 0x20): bit 0/1 first (high nibble 6/7), bit 2/3 second. first:
 * a b e f h i l m n o p s t v x; second: a b c e f i l m o r t u v (img
 * image feimage xmp link head style title script iframe frame embed object
 * video audio source track noembed noscript noframes textarea plaintext
 * svg math base).
 *
 * Bits 4 to 6, on either high nibble, hold the letters of
 * cs_gate_attr_trigger() by their low nibble alone, a few more letters
 * with them (only stops more): bit 4 the third-last {i s u y} (and c e),
 * bit 5 the second-last {l n r} (and b), bit 6 the last {c d e g} (and s
 * t u w).
 */
#define WINDOW_NIBBLE_LO                                                       \
    0x02, 0x05, 0x2d, 0x56, 0x4a, 0x5d, 0x0f, 0x40,                           \
    0x03, 0x15, 0x00, 0x00, 0x25, 0x05, 0x21, 0x05
#define WINDOW_NIBBLE_HI                                                       \
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x75, 0x7a,                           \
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00

const char cs_gate_skip_first[] = "abefhilmnopstvx";
const char cs_gate_skip_second[] = "abcefilmortuv";
const unsigned char cs_gate_skip_nibble_lo[16] = { WINDOW_NIBBLE_LO };
const unsigned char cs_gate_skip_nibble_hi[16] = { WINDOW_NIBBLE_HI };

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
    uint64_t         attr3;             /* the three bytes before are the
                                           end of an attribute name
                                           cs_gate_attr_trigger() takes
                                           (and a few more): bits 3..63 */
} cs_window_t;

/* attr3 of a window from its letters' bits. */
static inline uint64_t
window_attr3(uint64_t t1, uint64_t t2, uint64_t t3)
{
    return (t1 << 3) & (t2 << 2) & (t3 << 1);
}

static inline void
window_load_sse2(cs_window_t *w, const u_char_t *p)
{
    const char  *first = cs_gate_skip_first, *second = cs_gate_skip_second;

    w->base = p;
    w->lt = w->gt = w->quote = w->dq = w->sq = w->eq = w->slash = 0;
    w->low = w->ctrl = w->alpha = w->first = w->second = 0;
    uint64_t  a1 = 0, a2 = 0, a3 = 0;

    for (int i = 0; i < 64; i += 16) {
        __m128i   v = _mm_loadu_si128((const __m128i *) (const void *) (p + i));
        __m128i   lw = _mm_or_si128(v, _mm_set1_epi8(0x20));
        __m128i   az = _mm_sub_epi8(lw, _mm_set1_epi8('a'));
        __m128i   f = _mm_setzero_si128(), s = _mm_setzero_si128();
        uint64_t  b;

#define WINDOW_LW(c)  _mm_cmpeq_epi8(lw, _mm_set1_epi8(c))
#define WINDOW_OR(a, b)  _mm_or_si128(a, b)
        __m128i   t1 = WINDOW_OR(WINDOW_OR(WINDOW_LW('s'), WINDOW_LW('i')),
                                 WINDOW_OR(WINDOW_LW('u'), WINDOW_LW('y')));
        __m128i   t2 = WINDOW_OR(WINDOW_OR(WINDOW_LW('r'), WINDOW_LW('n')),
                                 WINDOW_LW('l'));
        __m128i   t3 = WINDOW_OR(WINDOW_OR(WINDOW_LW('c'), WINDOW_LW('g')),
                                 WINDOW_OR(WINDOW_LW('d'), WINDOW_LW('e')));
#undef WINDOW_OR
#undef WINDOW_LW

        for (size_t k = 0; k < sizeof(cs_gate_skip_first) - 1; k++) {
            f = _mm_or_si128(f, _mm_cmpeq_epi8(lw, _mm_set1_epi8(first[k])));
        }
        for (size_t k = 0; k < sizeof(cs_gate_skip_second) - 1; k++) {
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
        b = (uint64_t) (unsigned) _mm_movemask_epi8(t1);
        a1 |= b << i;
        b = (uint64_t) (unsigned) _mm_movemask_epi8(t2);
        a2 |= b << i;
        b = (uint64_t) (unsigned) _mm_movemask_epi8(t3);
        a3 |= b << i;
#undef WINDOW_BITS
#undef WINDOW_EQ
    }
    w->quote = w->dq | w->sq;
    w->attr3 = window_attr3(a1, a2, a3);
}

#ifdef CS_VEC_WIDE

/*
 * The vectors window_load() compares with, made once per skip_windows()
 * or classify_blocks() call: the compiler otherwise rebuilds each one
 * (a move and a broadcast) in every block. The empty asm makes each an
 * opaque value, kept in a register (or one spill slot) for the loop.
 */
#define WINDOW_KEEP(x)  __asm__("" : "+v"(x))

typedef struct {
    __m256i  lt, gt, dq, sq, eq, slash, space, c1f, a, c25, x0f;
    __m256i  lo_tab, hi_tab, first, second;
} cs_window_k256_t;

typedef struct {
    __m512i  lt, gt, dq, sq, eq, slash, space, c1f, a, c25, x0f;
    __m512i  lo_tab, hi_tab, first, second, t1, t2, t3;
} cs_window_k512_t;

typedef struct {
    cs_window_k256_t  y;
    cs_window_k512_t  z;
} cs_window_k_t;

__attribute__((target("avx2"))) static inline void
window_consts_avx2(cs_window_k256_t *k)
{
#define WINDOW_SET(f, c)  k->f = _mm256_set1_epi8(c); WINDOW_KEEP(k->f)
    WINDOW_SET(lt, '<');
    WINDOW_SET(gt, '>');
    WINDOW_SET(dq, '"');
    WINDOW_SET(sq, '\'');
    WINDOW_SET(eq, '=');
    WINDOW_SET(slash, '/');
    WINDOW_SET(space, 0x20);
    WINDOW_SET(c1f, 0x1f);
    WINDOW_SET(a, 'a');
    WINDOW_SET(c25, 25);
    WINDOW_SET(x0f, 0x0f);
    WINDOW_SET(first, 0x03);
    WINDOW_SET(second, 0x0c);
#undef WINDOW_SET
    k->lo_tab = _mm256_setr_epi8(WINDOW_NIBBLE_LO, WINDOW_NIBBLE_LO);
    WINDOW_KEEP(k->lo_tab);
    k->hi_tab = _mm256_setr_epi8(WINDOW_NIBBLE_HI, WINDOW_NIBBLE_HI);
    WINDOW_KEEP(k->hi_tab);
}

__attribute__((target("avx512f,avx512bw"))) static inline void
window_consts_avx512(cs_window_k512_t *k)
{
#define WINDOW_SET(f, c)  k->f = _mm512_set1_epi8(c); WINDOW_KEEP(k->f)
    WINDOW_SET(lt, '<');
    WINDOW_SET(gt, '>');
    WINDOW_SET(dq, '"');
    WINDOW_SET(sq, '\'');
    WINDOW_SET(eq, '=');
    WINDOW_SET(slash, '/');
    WINDOW_SET(space, 0x20);
    WINDOW_SET(c1f, 0x1f);
    WINDOW_SET(a, 'a');
    WINDOW_SET(c25, 25);
    WINDOW_SET(x0f, 0x0f);
    WINDOW_SET(first, 0x03);
    WINDOW_SET(second, 0x0c);
    WINDOW_SET(t1, 0x10);
    WINDOW_SET(t2, 0x20);
    WINDOW_SET(t3, 0x40);
#undef WINDOW_SET
    k->lo_tab = _mm512_broadcast_i32x4(_mm_setr_epi8(WINDOW_NIBBLE_LO));
    WINDOW_KEEP(k->lo_tab);
    k->hi_tab = _mm512_broadcast_i32x4(_mm_setr_epi8(WINDOW_NIBBLE_HI));
    WINDOW_KEEP(k->hi_tab);
}

__attribute__((target("avx2"))) static inline void
window_load_avx2(cs_window_t *w, const u_char_t *p,
    const cs_window_k256_t *k)
{
    __m256i  v0 = _mm256_loadu_si256((const __m256i *) (const void *) p);
    __m256i  v1 = _mm256_loadu_si256((const __m256i *) (const void *)
                                     (p + 32));
    __m256i  l0 = _mm256_or_si256(v0, k->space);    /* A-Z to a-z */
    __m256i  l1 = _mm256_or_si256(v1, k->space);
    __m256i  f0, f1;

#define WINDOW_BITS(m0, m1)                                                    \
    ((uint64_t) (uint32_t) _mm256_movemask_epi8(m0)                           \
     | (uint64_t) (uint32_t) _mm256_movemask_epi8(m1) << 32)
#define WINDOW_EQ(v, c)  _mm256_cmpeq_epi8(v, k->c)
#define WINDOW_MAX(v, c)  _mm256_cmpeq_epi8(_mm256_max_epu8(v, k->c), k->c)
#define WINDOW_FLAGS(l)                                                        \
    _mm256_and_si256(_mm256_shuffle_epi8(k->lo_tab, l),                       \
        _mm256_shuffle_epi8(k->hi_tab, _mm256_and_si256(                      \
            _mm256_srli_epi16(l, 4), k->x0f)))
#define WINDOW_NONE(v)  _mm256_cmpeq_epi8(v, _mm256_setzero_si256())

    f0 = WINDOW_FLAGS(l0);
    f1 = WINDOW_FLAGS(l1);
    w->base = p;
    w->lt = WINDOW_BITS(WINDOW_EQ(v0, lt), WINDOW_EQ(v1, lt));
    w->gt = WINDOW_BITS(WINDOW_EQ(v0, gt), WINDOW_EQ(v1, gt));
    w->dq = WINDOW_BITS(WINDOW_EQ(v0, dq), WINDOW_EQ(v1, dq));
    w->sq = WINDOW_BITS(WINDOW_EQ(v0, sq), WINDOW_EQ(v1, sq));
    w->quote = w->dq | w->sq;
    w->eq = WINDOW_BITS(WINDOW_EQ(v0, eq), WINDOW_EQ(v1, eq));
    w->slash = WINDOW_BITS(WINDOW_EQ(v0, slash), WINDOW_EQ(v1, slash));
    w->low = WINDOW_BITS(WINDOW_MAX(v0, space), WINDOW_MAX(v1, space));
    w->ctrl = WINDOW_BITS(WINDOW_MAX(v0, c1f), WINDOW_MAX(v1, c1f));
    w->alpha = WINDOW_BITS(WINDOW_MAX(_mm256_sub_epi8(l0, k->a), c25),
                           WINDOW_MAX(_mm256_sub_epi8(l1, k->a), c25));
    w->first = ~WINDOW_BITS(WINDOW_NONE(_mm256_and_si256(f0, k->first)),
                            WINDOW_NONE(_mm256_and_si256(f1, k->first)));
    w->second = ~WINDOW_BITS(WINDOW_NONE(_mm256_and_si256(f0, k->second)),
                             WINDOW_NONE(_mm256_and_si256(f1, k->second)));
    /* bits 4, 5 and 6 moved to bit 7, which movemask reads */
    w->attr3 = window_attr3(
        WINDOW_BITS(_mm256_slli_epi16(f0, 3), _mm256_slli_epi16(f1, 3)),
        WINDOW_BITS(_mm256_slli_epi16(f0, 2), _mm256_slli_epi16(f1, 2)),
        WINDOW_BITS(_mm256_slli_epi16(f0, 1), _mm256_slli_epi16(f1, 1)));
#undef WINDOW_BITS
#undef WINDOW_EQ
#undef WINDOW_MAX
#undef WINDOW_FLAGS
#undef WINDOW_NONE
}

__attribute__((target("avx512f,avx512bw"))) static inline void
window_load_avx512(cs_window_t *w, const u_char_t *p,
    const cs_window_k512_t *k)
{
    __m512i  v = _mm512_loadu_si512((const void *) p);
    __m512i  l = _mm512_or_si512(v, k->space);      /* A-Z to a-z */
    __m512i  flags = _mm512_and_si512(_mm512_shuffle_epi8(k->lo_tab, l),
                         _mm512_shuffle_epi8(k->hi_tab, _mm512_and_si512(
                             _mm512_srli_epi16(l, 4), k->x0f)));

#define WINDOW_EQ(c)  _mm512_cmpeq_epi8_mask(v, k->c)

    w->base = p;
    w->lt = WINDOW_EQ(lt);
    w->gt = WINDOW_EQ(gt);
    w->dq = WINDOW_EQ(dq);
    w->sq = WINDOW_EQ(sq);
    w->quote = w->dq | w->sq;
    w->eq = WINDOW_EQ(eq);
    w->slash = WINDOW_EQ(slash);
    w->low = _mm512_cmple_epu8_mask(v, k->space);
    w->ctrl = _mm512_cmple_epu8_mask(v, k->c1f);
    w->alpha = _mm512_cmple_epu8_mask(_mm512_sub_epi8(l, k->a), k->c25);
    w->first = _mm512_test_epi8_mask(flags, k->first);
    w->second = _mm512_test_epi8_mask(flags, k->second);
    w->attr3 = window_attr3(_mm512_test_epi8_mask(flags, k->t1),
                            _mm512_test_epi8_mask(flags, k->t2),
                            _mm512_test_epi8_mask(flags, k->t3));
#undef WINDOW_EQ
}

#else

typedef struct {
    int  none;
} cs_window_k_t;

#endif

static inline __attribute__((always_inline)) void
window_consts(cs_window_k_t *k, cs_simd_t level)
{
#ifdef CS_VEC_WIDE
    if (level == CS_SIMD_AVX512) {
        window_consts_avx512(&k->z);
        return;
    }
    if (level == CS_SIMD_AVX2) {
        window_consts_avx2(&k->y);
        return;
    }
#endif
    (void) k;
    (void) level;
}

static inline __attribute__((always_inline)) void
window_load(cs_window_t *w, const u_char_t *p, cs_simd_t level,
    const cs_window_k_t *k)
{
#ifdef CS_VEC_WIDE
    if (level == CS_SIMD_AVX512) {
        window_load_avx512(w, p, &k->z);
        return;
    }
    if (level == CS_SIMD_AVX2) {
        window_load_avx2(w, p, &k->y);
        return;
    }
#endif
    (void) level;
    (void) k;
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
prefix_xor_at(uint64_t x, cs_simd_t level)
{
#ifdef CS_VEC_WIDE
    if (level != CS_SIMD_SSE2) {
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

    while (len < 10 && !(cs_gate_char_class[name[len]] & C_TAG_END)) {
        if (name[len] < 0x20) {
            return true;
        }
        len++;
    }
    return len < 10 && tag_matters_word(name, len);
}

/*
 * name_may_matter() for the start tag whose '<' is at o in w (o < 62),
 * the name's end read from the bits where it is in the window.
 */
static inline bool
window_name_may_matter(const cs_window_t *w, unsigned o)
{
    uint64_t  term = (w->low | w->slash | w->gt) >> (o + 1);
    unsigned  len = term ? (unsigned) __builtin_ctzll(term) : 63 - o;
    unsigned  end = o + 1 + len;

    if (len >= 10) {
        return false;
    }
    if (term == 0) {
        return name_may_matter(w->base + o + 1);
    }
    if ((w->ctrl >> end & 1) && !(cs_gate_char_class[w->base[end]] & C_SPACE))
    {
        return true;                    /* a control byte ends the name */
    }
    return tag_matters_word(w->base + o + 1, len);
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
block_run(const cs_window_t *w, cs_carry_t *c, cs_simd_t level,
    unsigned *len)
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
            || (eq_in & 1 && (b <= 0x20 || (cs_gate_char_class[b] & C_NAME_END)
                              || b == '"' || b == '\'' || b == '<')))
        {
            fail |= 1;
        }
    }
    if (eq_in >> 63 && base[64] != '"') {
        fail |= (uint64_t) 1 << 63;
    }

    /*
     * An attribute name that may be one the table reads on a tag passed by
     * name (style on any tag, ping, src, background): the tag is read by
     * the state machine (tag by tag from here, which stops at it).
     */
    fail |= eq_in & w->attr3;
    if (__builtin_expect((eq_in & c->in & 7) != 0, 0)) {
        /*
         * A name that ends in the block before (the block starts inside a
         * tag; else the tag's '<' is before the '=', in this block, and no
         * name's three letters are).
         */
        for (m = eq_in & 7; m != 0; m &= m - 1) {
            unsigned       o = (unsigned) __builtin_ctzll(m);
            unsigned char  b3[3];

            for (unsigned k = 0; k < 3; k++) {
                b3[k] = base[(int) (o + k) - 3];
            }
            if (cs_gate_attr_trigger(b3)) {
                fail |= (uint64_t) 1 << o;
            }
        }
    }

    /* control bytes in a tag (tab, LF, FF and CR are spaces): rare */
    for (m = w->ctrl & in; m != 0; m &= m - 1) {
        unsigned o = (unsigned) __builtin_ctzll(m);

        if (!(cs_gate_char_class[base[o]] & C_SPACE)) {
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

        if (!window_name_may_matter(w, o)) {
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
    if (!(cs_gate_char_class[w->base[ne]] & C_TAG_END)) {
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
               the tag; one with a trigger's name is the state machine's
               ('=' in values too: only a stop more) */
            if (w->eq & w->attr3 & BITS_FROM(o) & BITS_BELOW(gb))
            {
                return NULL;
            }
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
 * cs_gate_skip_plain() on 64-byte blocks while 80 bytes are left, and tag
 * by tag where the blocks' model fails, up to 64 bytes before lim: returns the '<'
 * the state machine must read (*stopped set) or a byte in the data state
 * to go on from. Inlined into one function per instruction set, so the
 * constants and bits stay in registers.
 */
static inline __attribute__((always_inline)) const u_char_t *
skip_windows(const u_char_t *s, const u_char_t *lim, cs_simd_t level,
    bool *stopped)
{
    cs_window_t      w = { .base = NULL }, block;
    cs_window_k_t    k;
    cs_carry_t       carry;
    const u_char_t  *base, *lt, *end, *walk_to;
    unsigned         len;
    int              r;

    window_consts(&k, level);
    for ( ;; ) {
        /* consecutive blocks from s, while the model holds */
        memset(&carry, 0, sizeof(carry));
        r = BLOCK_PASS;
        for (base = s; lim - base >= 80; base += len) {
            window_load(&block, base, level, &k);
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
                window_load(&w, lt, level, &k);
            }
            end = window_tag(&w, lt);
            if (end == lt && w.base != lt) {
                window_load(&w, lt, level, &k); /* the tag may fit from here */
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
    return skip_windows(s, lim, CS_SIMD_AVX512, stopped);
}

__attribute__((target("avx2,pclmul"))) static const u_char_t *
skip_windows_avx2(const u_char_t *s, const u_char_t *lim, bool *stopped)
{
    return skip_windows(s, lim, CS_SIMD_AVX2, stopped);
}

#endif

static const u_char_t *
skip_windows_sse2(const u_char_t *s, const u_char_t *lim, bool *stopped)
{
    return skip_windows(s, lim, CS_SIMD_SSE2, stopped);
}

#endif

const u_char_t *
cs_gate_skip_plain(const u_char_t *s, const u_char_t *lim, cs_simd_t level)
{
#ifdef CS_VEC
    bool  stopped = false;

#ifdef CS_VEC_WIDE
    if (level == CS_SIMD_AVX512) {
        s = skip_windows_avx512(s, lim, &stopped);
    } else if (level == CS_SIMD_AVX2) {
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

bool
cs_gate_tag_matters(const u_char_t *name, size_t len)
{
    return tag_matters(name, len);
}

/* ---- the limit the gate is measured against (make bench) ---- */

#ifdef CS_VEC

/*
 * window_load() over every 64-byte block, its bits folded into a sum the
 * compiler cannot drop. The last bytes are classified from a padded copy.
 */
static inline __attribute__((always_inline)) uint64_t
classify_blocks(const u_char_t *p, size_t n, cs_simd_t level)
{
    cs_window_t    w;
    cs_window_k_t  k;
    uint64_t       sum = 0;
    u_char_t     tail[64];
    size_t         i;

    window_consts(&k, level);
    for (i = 0; n - i >= 64; i += 64) {
        window_load(&w, p + i, level, &k);
        sum += w.lt ^ (w.gt << 1) ^ (w.quote << 2) ^ (w.eq << 3)
               ^ (w.slash << 4) ^ (w.low << 5) ^ (w.ctrl << 6)
               ^ (w.alpha << 7) ^ (w.first << 8) ^ (w.second << 9);
        sum = sum << 1 | sum >> 63;
    }
    if (i < n) {
        memset(tail, ' ', sizeof(tail));
        memcpy(tail, p + i, n - i);
        window_load(&w, tail, level, &k);
        sum += w.lt ^ (w.gt << 1) ^ (w.quote << 2) ^ (w.alpha << 7);
    }
    return sum;
}

#ifdef CS_VEC_WIDE

__attribute__((target("avx512f,avx512bw"))) static uint64_t
classify_blocks_avx512(const u_char_t *p, size_t n)
{
    return classify_blocks(p, n, CS_SIMD_AVX512);
}

__attribute__((target("avx2"))) static uint64_t
classify_blocks_avx2(const u_char_t *p, size_t n)
{
    return classify_blocks(p, n, CS_SIMD_AVX2);
}

#endif
#endif

uint64_t
cs_gate_classify_pass(const unsigned char *p, size_t n, cs_simd_t simd_max)
{
#ifdef CS_VEC
    cs_simd_t  level = cs_cpu_simd(simd_max);

#ifdef CS_VEC_WIDE
    if (level == CS_SIMD_AVX512) {
        return classify_blocks_avx512(p, n);
    }
    if (level == CS_SIMD_AVX2) {
        return classify_blocks_avx2(p, n);
    }
#endif
    return classify_blocks(p, n, CS_SIMD_SSE2);
#else
    uint64_t  sum = 0;

    (void) simd_max;
    for (size_t i = 0; i < n; i++) {
        sum += cs_gate_char_class[p[i]] ^ (p[i] == '<');
    }
    return sum;
#endif
}

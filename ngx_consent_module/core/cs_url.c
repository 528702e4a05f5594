/*
 * URL and host extraction as a browser would see it: entity decoding of
 * attribute values, scheme/authority parsing, and domain-like tokens in
 * inline script text.
 */

#include <string.h>

#include "cs_core.h"

#define CS_HOST_MAX  253

static bool
is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alnum(unsigned char c)
{
    return is_alpha(c) || is_digit(c);
}

static unsigned char
to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20) : c;
}

static int
hex_value(unsigned char c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    c = to_lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/*
 * The named references that decode to ASCII: they can spell URL, markup
 * and script syntax (a srcdoc document is decoded with them); the rest
 * never matter here.
 */
static const struct {
    const char     *name;
    unsigned char   ch;
} url_entities[] = {
    { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
    { "apos", '\'' }, { "colon", ':' }, { "sol", '/' }, { "bsol", '\\' },
    { "period", '.' }, { "commat", '@' }, { "quest", '?' }, { "num", '#' },
    { "percnt", '%' }, { "equals", '=' }, { "lowbar", '_' },
    { "Tab", '\t' }, { "NewLine", '\n' }, { "semi", ';' }, { "comma", ',' },
    { "AMP", '&' }, { "LT", '<' }, { "GT", '>' }, { "QUOT", '"' },
    { "excl", '!' }, { "dollar", '$' }, { "lpar", '(' }, { "rpar", ')' },
    { "ast", '*' }, { "midast", '*' }, { "plus", '+' }, { "lsqb", '[' },
    { "lbrack", '[' }, { "rsqb", ']' }, { "rbrack", ']' }, { "Hat", '^' },
    { "grave", '`' }, { "lcub", '{' }, { "lbrace", '{' }, { "verbar", '|' },
    { "vert", '|' }, { "VerticalLine", '|' }, { "rcub", '}' },
    { "rbrace", '}' }, { "UnderBar", '_' },
};

/* Legacy references a browser also decodes without the trailing ';'. */
static bool
entity_legacy(const char *name)
{
    return strcmp(name, "amp") == 0 || strcmp(name, "lt") == 0
           || strcmp(name, "gt") == 0 || strcmp(name, "quot") == 0
           || strcmp(name, "AMP") == 0 || strcmp(name, "LT") == 0
           || strcmp(name, "GT") == 0 || strcmp(name, "QUOT") == 0;
}

/*
 * Decodes one reference starting at src[0] == '&'. Returns the bytes
 * consumed (0: not a reference we decode) and sets *out.
 */
static size_t
decode_one(const char *src, size_t len, unsigned char *out)
{
    size_t    i;
    uint32_t  cp;

    if (len >= 3 && src[1] == '#') {
        bool hex = (src[2] == 'x' || src[2] == 'X');
        i = hex ? 3 : 2;
        size_t digits_start = i;
        cp = 0;
        while (i < len) {
            int v = hex ? hex_value((unsigned char) src[i])
                        : (is_digit((unsigned char) src[i]) ? src[i] - '0' : -1);
            if (v < 0) {
                break;
            }
            if (cp < 0x110000) {
                cp = cp * (hex ? 16 : 10) + (uint32_t) v;
            }
            i++;
        }
        if (i == digits_start) {
            return 0;
        }
        if (i < len && src[i] == ';') {
            i++;
        }
        /* Only ASCII matters for URL syntax; others become a non-host byte. */
        *out = (cp > 0 && cp < 0x80) ? (unsigned char) cp : 0x7f;
        return i;
    }

    char name[16];
    size_t n = 0;
    for (i = 1; i < len && n < sizeof(name) - 1
                && is_alnum((unsigned char) src[i]); i++)
    {
        name[n++] = src[i];
    }
    name[n] = '\0';
    if (n == 0) {
        return 0;
    }
    bool semi = (i < len && src[i] == ';');
    for (size_t k = 0; k < sizeof(url_entities) / sizeof(url_entities[0]);
         k++)
    {
        if (strcmp(url_entities[k].name, name) != 0) {
            continue;
        }
        if (semi) {
            *out = url_entities[k].ch;
            return i + 1;
        }
        /* Without ';' only legacy names, and not before '=' or alnum. */
        if (entity_legacy(name)
            && !(i < len && (src[i] == '=' || is_alnum((unsigned char) src[i]))))
        {
            *out = url_entities[k].ch;
            return i;
        }
        return 0;
    }
    return 0;
}

size_t
cs_decode_entities(const char *src, size_t srclen, char *dst, size_t dstlen)
{
    return cs_decode_entities_map(src, srclen, dst, dstlen, NULL);
}

size_t
cs_decode_entities_map(const char *src, size_t srclen, char *dst,
    size_t dstlen, size_t *from)
{
    size_t  i = 0, o = 0;

    while (i < srclen && o < dstlen) {
        if (from) {
            from[o] = i;
        }
        if (src[i] == '&') {
            unsigned char  ch;
            size_t         used = decode_one(src + i, srclen - i, &ch);
            if (used) {
                dst[o++] = (char) ch;
                i += used;
                continue;
            }
        }
        dst[o++] = src[i++];
    }
    if (from) {
        from[o] = i;
    }
    return o;
}

typedef unsigned char  u_char_host_t;

#define CS_HOST_RAW_MAX  1024

/*
 * One host character as IDNA mapping sees it: ASCII as is; the ideographic
 * and fullwidth full stops as '.'; fullwidth letters, digits and hyphen as
 * their ASCII forms; soft hyphen and zero-width characters as nothing (*out
 * = 0). Returns the bytes consumed, 0 for anything else.
 */
static size_t
idna_map(const unsigned char *p, size_t n, unsigned char *out)
{
    if (p[0] < 0x80) {
        *out = p[0];
        return 1;
    }
    if (n >= 2 && p[0] == 0xc2 && p[1] == 0xad) {            /* U+00AD */
        *out = 0;
        return 2;
    }
    if (n < 3) {
        return 0;
    }
    uint32_t cp = ((uint32_t) (p[0] & 0x0f) << 12)
                  | ((uint32_t) (p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    if ((p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80
        || (p[2] & 0xc0) != 0x80)
    {
        return 0;
    }
    if (cp == 0x3002 || cp == 0xff0e || cp == 0xff61) {
        *out = '.';
        return 3;
    }
    if (cp == 0x200b || cp == 0x2060 || cp == 0xfeff) {
        *out = 0;
        return 3;
    }
    if ((cp >= 0xff10 && cp <= 0xff19) || (cp >= 0xff21 && cp <= 0xff3a)
        || (cp >= 0xff41 && cp <= 0xff5a) || cp == 0xff0d)
    {
        *out = (unsigned char) (cp - 0xff00 + 0x20);
        return 3;
    }
    return 0;
}

static bool
is_url_strip(unsigned char c)
{
    return c <= 0x20;              /* C0 controls and space */
}

static bool
scheme_has_host(const char *s, size_t n)
{
    static const char *const special[] = { "http", "https", "ws", "wss",
                                           "ftp" };
    for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
        size_t sl = strlen(special[k]);
        if (sl != n) {
            continue;
        }
        size_t j;
        for (j = 0; j < n && to_lower((unsigned char) s[j]) == special[k][j];
             j++)
        {
            /* void */
        }
        if (j == n) {
            return true;
        }
    }
    return false;
}

size_t
cs_url_host(const char *url, size_t len, char *host, size_t hostlen)
{
    char    buf[2048];
    size_t  n = 0, i, start, end;

    if (hostlen == 0) {
        return 0;
    }
    host[0] = '\0';

    /* The URL parser drops tabs and newlines anywhere, trims C0 and space. */
    while (len > 0 && is_url_strip((unsigned char) url[0])) {
        url++;
        len--;
    }
    while (len > 0 && is_url_strip((unsigned char) url[len - 1])) {
        len--;
    }
    for (i = 0; i < len && n < sizeof(buf); i++) {
        if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r') {
            buf[n++] = url[i];
        }
    }

    i = 0;
    if (n > 0 && is_alpha((unsigned char) buf[0])) {
        size_t j = 1;
        while (j < n && (is_alnum((unsigned char) buf[j]) || buf[j] == '+'
                         || buf[j] == '-' || buf[j] == '.'))
        {
            j++;
        }
        if (j < n && buf[j] == ':') {
            if (!scheme_has_host(buf, j)) {
                return 0;          /* javascript:, data:, mailto:, ... */
            }
            /*
             * "https:host" with no slashes is relative on an https page but
             * a host on an http one; the gate cannot know the page's scheme,
             * so it fails closed and reads a host.
             */
            i = j + 1;
            while (i < n && (buf[i] == '/' || buf[i] == '\\')) {
                i++;
            }
            goto authority;
        }
    }

    /* Scheme-relative: two slashes (a browser treats '\' as '/'). */
    if (n >= 2 && (buf[0] == '/' || buf[0] == '\\')
        && (buf[1] == '/' || buf[1] == '\\'))
    {
        i = 2;
        while (i < n && (buf[i] == '/' || buf[i] == '\\')) {
            i++;
        }
        goto authority;
    }
    return 0;

authority:
    start = i;
    while (i < n && buf[i] != '/' && buf[i] != '\\' && buf[i] != '?'
           && buf[i] != '#')
    {
        i++;
    }
    end = i;
    for (size_t k = end; k > start; k--) {         /* userinfo ends at last @ */
        if (buf[k - 1] == '@') {
            start = k;
            break;
        }
    }
    if (start < end && buf[start] == '[') {
        return 0;                                   /* IPv6 literal */
    }
    for (i = start; i < end && buf[i] != ':'; i++) {
        /* void */
    }
    end = i;

    /* A browser percent-decodes the host first... */
    u_char_host_t  raw[CS_HOST_RAW_MAX];
    size_t         rn = 0;
    for (i = start; i < end; i++) {
        unsigned char c = (unsigned char) buf[i];
        if (c == '%' && i + 2 < end
            && hex_value((unsigned char) buf[i + 1]) >= 0
            && hex_value((unsigned char) buf[i + 2]) >= 0)
        {
            c = (unsigned char) (hex_value((unsigned char) buf[i + 1]) * 16
                                 + hex_value((unsigned char) buf[i + 2]));
            i += 2;
        }
        if (rn >= sizeof(raw)) {
            return 0;
        }
        raw[rn++] = c;
    }

    /* ...then maps it as IDNA (UTS #46) does, lowercase ASCII out. */
    size_t  o = 0;
    for (i = 0; i < rn; ) {
        unsigned char c;
        size_t used = idna_map(raw + i, rn - i, &c);
        if (used == 0) {
            return 0;              /* other non-ASCII: no registered suffix */
        }
        i += used;
        if (c == 0) {
            continue;              /* mapped to nothing (soft hyphen, ...) */
        }
        c = to_lower(c);
        if (!(is_alnum(c) || c == '-' || c == '.' || c == '_')) {
            return 0;
        }
        if (o >= CS_HOST_MAX || o + 1 >= hostlen) {
            return 0;
        }
        host[o++] = (char) c;
    }
    while (o > 0 && host[o - 1] == '.') {
        o--;
    }
    host[o] = '\0';
    return o;
}

/* [A-Za-z0-9.-]: the bytes of a domain-like token */
static const unsigned char host_chars[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static bool
is_host_char(unsigned char c)
{
    return host_chars[c];
}

/* n bytes of src, ASCII lowercased, to dst. */
static void
lower_copy(const char *src, size_t n, char *dst)
{
    for (size_t k = 0; k < n; k++) {
        dst[k] = (char) to_lower((unsigned char) src[k]);
    }
}

/* The last label [last, e) of a token: can it end a host suffix? */
static bool
label_ok(const cs_rules_t *rules, const char *text, size_t last, size_t e,
    char *token)
{
    lower_copy(text + last, e - last, token);
    return cs_rules_host_label(rules, token, e - last);
}

/* Reports the recipient of the token [s, e), if any. */
static void
match_token(const cs_rules_t *rules, const char *text, size_t s, size_t e,
    char *token, cs_match_cb cb, void *ud)
{
    lower_copy(text + s, e - s, token);
    int32_t r = cs_rules_match_host(rules, token, e - s);
    if (r >= 0) {
        cb(ud, (uint32_t) r);
    }
}

/*
 * One token of cs_scan_text_hosts: the host-character run around the dot
 * at d, not reaching below lo (the previous token's end). Reports its
 * recipient, if any; returns the token's end.
 */
static size_t
scan_token(const cs_rules_t *rules, const char *text, size_t len, size_t lo,
    size_t d, char *token, cs_match_cb cb, void *ud)
{
    size_t start = d, i = d + 1;

    while (start > lo && is_host_char((unsigned char) text[start - 1])) {
        start--;
    }
    while (i < len && is_host_char((unsigned char) text[i])) {
        i++;
    }
    size_t s = start, e = i;
    while (s < e && text[s] == '.') {          /* '.google-analytics.com' */
        s++;
    }
    while (e > s && text[e - 1] == '.') {
        e--;
    }
    if (e - s < 3 || e - s > CS_HOST_MAX) {
        return i;
    }
    /* most dotted tokens in scripts are property accesses: check the
       last label against the hosts' last labels first */
    size_t last = e;
    while (last > s && text[last - 1] != '.') {
        last--;
    }
    if (e - last <= 63 && label_ok(rules, text, last, e, token)) {
        match_token(rules, text, s, e, token, cb, ud);
    }
    return i;
}

/*
 * With SSE2 (the x86-64 baseline) the text is classified 64 bytes at a
 * time into host-character and dot bitmaps; a token inside one window
 * gets its end and last label from bit operations, so most tokens cost
 * no memchr call and no byte loop. Tokens leaving a window, and the text's
 * last 63 bytes, take scan_token(); with -DCS_GATE_SCALAR, or elsewhere,
 * every token does.
 */
#if defined(__SSE2__) && !defined(CS_GATE_SCALAR)
#include <emmintrin.h>
#define CS_URL_SSE2  1

/* bit k: p[k] is a host character (host_chars); *dots: p[k] == '.' */
static uint64_t
host_mask64(const char *p, uint64_t *dots)
{
    uint64_t  h = 0, d = 0;

    for (unsigned k = 0; k < 64; k += 16) {
        __m128i  v = _mm_loadu_si128((const __m128i *) (const void *)
                                     (p + k));
        /* unsigned range tests: move the range to -128, compare signed */
        __m128i  alpha = _mm_cmplt_epi8(
                     _mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                                  _mm_set1_epi8((char) (0x80 - 'a'))),
                     _mm_set1_epi8((char) (-128 + 26)));
        __m128i  num = _mm_cmplt_epi8(                /* '-' .. '9' */
                     _mm_add_epi8(v, _mm_set1_epi8((char) (0x80 - '-'))),
                     _mm_set1_epi8((char) (-128 + 13)));
        __m128i  slash = _mm_cmpeq_epi8(v, _mm_set1_epi8('/'));
        __m128i  dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));

        h |= (uint64_t) (unsigned) _mm_movemask_epi8(
                 _mm_or_si128(alpha, _mm_andnot_si128(slash, num))) << k;
        d |= (uint64_t) (unsigned) _mm_movemask_epi8(dot) << k;
    }
    *dots = d;
    return h;
}

/* The 16 bytes at src, ASCII lowercased, to dst. */
static void
lower16(const char *src, char *dst)
{
    __m128i  v = _mm_loadu_si128((const __m128i *) (const void *) src);
    __m128i  upper = _mm_cmplt_epi8(
                 _mm_add_epi8(v, _mm_set1_epi8((char) (0x80 - 'A'))),
                 _mm_set1_epi8((char) (-128 + 26)));

    _mm_storeu_si128((__m128i *) (void *) dst,
                     _mm_add_epi8(v, _mm_and_si128(upper,
                                                   _mm_set1_epi8(0x20))));
}

static unsigned
high_bit64(uint64_t m)                  /* m != 0 */
{
    return 63u - (unsigned) __builtin_clzll(m);
}
#endif

void
cs_scan_text_hosts(const cs_rules_t *rules, const char *text, size_t len,
    cs_match_cb cb, void *ud)
{
    char    token[CS_HOST_MAX + 1];
    size_t  lo = 0, pos = 0;

    /*
     * Only tokens with a dot can be hosts: find the dots and grow each into
     * its token. lo is the last token's end (or 0) and bounds the next
     * token's start; the search for dots resumes at pos (none in [lo,
     * pos)), so no token is seen twice.
     */
#ifdef CS_URL_SSE2
    while (pos + 64 <= len) {
        uint64_t  dots, host = host_mask64(text + pos, &dots);
        size_t    next = pos + 64;

        while (dots) {
            unsigned  d = (unsigned) __builtin_ctzll(dots);
            uint64_t  more = ~host & (~0ull << d);      /* non-host after d */

            if (more == 0) {
                /* the token leaves the window: look again from its dot */
                if (d == 0) {
                    lo = next = scan_token(rules, text, len, lo, pos, token,
                                           cb, ud);
                } else {
                    next = pos + d;
                }
                break;
            }

            unsigned  end = (unsigned) __builtin_ctzll(more);  /* d < 63 */
            uint64_t  in = (1ull << end) - 1;
            uint64_t  tdots = dots & in;                /* the token's */
            uint64_t  body = ~tdots & in & (~0ull << (d + 1));

            dots &= ~in;
            if (body == 0) {
                /* all dots after d: the token ends before d, if at all */
                scan_token(rules, text, len, lo, pos + d, token, cb, ud);
                lo = pos + end;
                continue;
            }

            /* [d, e): no trailing dots; the last label after its last dot */
            unsigned  e = high_bit64(body) + 1;
            unsigned  last = high_bit64(tdots & ((1ull << e) - 1)) + 1;

            bool      ok;

            if (e - last <= 16) {
                /* one 16-byte copy holding the label, inside the text */
                size_t  q = pos + e >= 16 ? pos + e - 16 : 0;
                lower16(text + q, token);
                ok = cs_rules_host_label(rules, token + (pos + last - q),
                                         e - last);
            } else {
                ok = label_ok(rules, text, pos + last, pos + e, token);
            }
            if (ok) {
                /* the part before d has no dot: only leading dots trim */
                size_t s = pos + d;
                while (s > lo && is_host_char((unsigned char) text[s - 1])) {
                    s--;
                }
                while (text[s] == '.') {
                    s++;
                }
                if (pos + e - s >= 3 && pos + e - s <= CS_HOST_MAX) {
                    match_token(rules, text, s, pos + e, token, cb, ud);
                }
            }
            lo = pos + end;
        }
        pos = next;
    }
#endif
    while (pos < len) {
        const char *dot = memchr(text + pos, '.', len - pos);
        if (dot == NULL) {
            break;
        }
        lo = pos = scan_token(rules, text, len, lo, (size_t) (dot - text),
                              token, cb, ud);
    }
}

void
cs_scan_text_site_hosts(const cs_rules_t *rules, uint32_t site,
    const char *text, size_t len, cs_match_cb cb, void *ud)
{
    char    token[CS_HOST_MAX + 1];
    size_t  i = 0;

    if (cs_rules_site_tagging_count(rules, site) == 0) {
        return;
    }
    while (i < len) {
        size_t  s, e;

        while (i < len && !is_host_char((unsigned char) text[i])) {
            i++;
        }
        for (s = i; i < len && is_host_char((unsigned char) text[i]); i++) {
            /* void */
        }
        for (e = i; s < e && text[s] == '.'; s++) {
            /* void */
        }
        while (e > s && text[e - 1] == '.') {
            e--;
        }
        if (e - s >= 3 && e - s <= CS_HOST_MAX
            && memchr(text + s, '.', e - s) != NULL)
        {
            int32_t  r;

            lower_copy(text + s, e - s, token);
            r = cs_rules_site_tagging_host(rules, site, token, e - s);
            if (r >= 0) {
                cb(ud, (uint32_t) r);
            }
        }
    }
}

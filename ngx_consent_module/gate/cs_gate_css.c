/*
 * The CSS reader: the one that reads a style attribute's declarations and
 * a <style> element's sheet. It follows CSS Syntax 3's tokenizer where a
 * fetch can hide (comments, strings, escapes, url() tokens, functions,
 * blocks) and returns the declarations and rules to cut: every item (a
 * declaration, an @import, a rule whose prelude names a URL) holding a URL
 * the judge denies, from its first byte through its ';', or to the end of
 * its block or of the text. One pass, bounded state, no backtracking.
 *
 * A URL is one of: a url() token or url("string"), a string argument of
 * src(), image(), image-set() or -webkit-image-set(), a string right in an
 * @import. Names are read with their escapes decoded (\75 rl( is url(), as
 * in a browser). What the reader cannot read plainly is judged by its raw
 * text (fail closed): a bad string or bad url(), functions nested past
 * what it tracks, items nested past CS_CSS_DEPTH (the deepest tracked item
 * goes whole), and an item cut short by the end of the text (cut to the
 * end). Text with no such function name, no @import and no escape is not
 * read at all (css_may_fetch).
 */

#include "cs_gate_int.h"

#define CS_CSS_DEPTH   32       /* nested blocks with items of their own */
#define CS_CSS_FNS     32       /* nested functions whose kind is known */
#define CS_CSS_NAME    24       /* longer names are of no function read */

typedef struct {
    size_t  start;              /* first byte of the item, or CS_NO_OFFSET
                                   while none */
    bool    denied;
    bool    import;             /* an @import: its strings are URLs */
} cs_css_item_t;

typedef struct {
    const char       *css;
    size_t            len;
    bool              markup;           /* an SVG <style>'s content */
    bool              cdata;            /* ...inside a CDATA section */
    cs_css_judge_cb   judge;
    void             *ud;
    cs_cut_t         *cuts;
    size_t            max;
    size_t            ncuts;
    cs_css_item_t     item[CS_CSS_DEPTH];
    size_t            depth;            /* open '{' blocks */
    size_t            denied_open;      /* blocks of rules that go whole */
    cs_css_resume_t  *resume;           /* a text that goes on, or NULL */
    size_t            nest;             /* open ( [ and functions in the
                                           current item */
    uint32_t          url_fns;          /* bit k: nest level k + 1 is a
                                           function that takes URLs */
    char              buf[CS_URL_MAX];  /* a decoded string or url() */
} cs_css_t;

static bool
is_hex(u_char_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static unsigned
hex_val(u_char_t c)
{
    return c <= '9' ? (unsigned) (c - '0') : (unsigned) ((c | 0x20) - 'a' + 10);
}

static bool
is_name_byte(u_char_t c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_'
           || c >= 0x80;
}

/* The record of the current item (the deepest tracked past CS_CSS_DEPTH). */
static cs_css_item_t *
css_item(cs_css_t *x)
{
    return &x->item[x->depth < CS_CSS_DEPTH ? x->depth : CS_CSS_DEPTH - 1];
}

static void
css_add_cut(cs_css_t *x, size_t off, size_t end)
{
    /* cuts inside this one (an item of its block) are covered by it */
    while (x->ncuts > 0 && x->cuts[x->ncuts - 1].off >= off) {
        x->ncuts--;
    }
    if (x->ncuts == x->max) {
        if (x->max == 0) {
            return;
        }
        /* no room: the last cut grows over this one (fail closed) */
        x->cuts[x->max - 1].end = end;
        return;
    }
    x->cuts[x->ncuts].off = off;
    x->cuts[x->ncuts].end = end;
    x->cuts[x->ncuts].with = NULL;
    x->cuts[x->ncuts].with_len = 0;
    x->ncuts++;
}

/* The current item ends before end. */
static void
css_item_end(cs_css_t *x, size_t end)
{
    cs_css_item_t *it = css_item(x);

    if (x->depth >= CS_CSS_DEPTH) {
        return;         /* untracked: its tracked ancestor decides */
    }
    if (it->denied && it->start != CS_NO_OFFSET) {
        css_add_cut(x, it->start, end);
    }
    it->start = CS_NO_OFFSET;
    it->denied = false;
    it->import = false;
    x->nest = 0;
    x->url_fns = 0;
}

/* The text may be split after byte i - 1: nothing is open there. */
static void
css_safe(cs_css_t *x, size_t i)
{
    if (x->resume && x->nest == 0 && x->denied_open == 0
        && x->depth < CS_CSS_DEPTH)
    {
        x->resume->safe = i;
        x->resume->depth = x->depth;
    }
}

/*
 * One escape from the byte after the '\' at *i: decoded as UTF-8 into out
 * (up to 4 bytes), *i moved past it. Returns the bytes written.
 */
static size_t
css_escape(const char *s, size_t len, size_t *i, char *out)
{
    unsigned  cp = 0;
    size_t    k = *i, digits = 0;

    if (k == len) {
        return 0;                       /* "\" at the end: nothing */
    }
    if (!is_hex((u_char_t) s[k])) {
        out[0] = s[k];
        *i = k + 1;
        return 1;
    }
    while (k < len && digits < 6 && is_hex((u_char_t) s[k])) {
        cp = cp * 16 + hex_val((u_char_t) s[k]);
        k++;
        digits++;
    }
    if (k + 1 < len && s[k] == '\r' && s[k + 1] == '\n') {
        k += 2;
    } else if (k < len && is_space((u_char_t) s[k])) {
        k++;
    }
    *i = k;
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        cp = 0xfffd;
    }
    if (cp < 0x80) {
        out[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char) (0xc0 | cp >> 6);
        out[1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char) (0xe0 | cp >> 12);
        out[1] = (char) (0x80 | (cp >> 6 & 0x3f));
        out[2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char) (0xf0 | cp >> 18);
    out[1] = (char) (0x80 | (cp >> 12 & 0x3f));
    out[2] = (char) (0x80 | (cp >> 6 & 0x3f));
    out[3] = (char) (0x80 | (cp & 0x3f));
    return 4;
}

static void
css_put(cs_css_t *x, size_t *n, const char *p, size_t k)
{
    for (size_t j = 0; j < k && *n < sizeof(x->buf); j++) {
        x->buf[(*n)++] = p[j];
    }
}

/* A URL read: the current item goes if it is denied. */
static void
css_url(cs_css_t *x, const char *url, size_t len)
{
    cs_css_item_t *it = css_item(x);

    if (len > 0 && x->judge(x->ud, url, len)) {
        it->denied = true;
    }
}

/*
 * The string whose quote is at *i: decoded into buf, *i moved past it.
 * Returns its length; *bad set when a newline ended it (a bad string).
 */
static size_t
css_string(cs_css_t *x, size_t *i, bool *bad)
{
    const char  *s = x->css;
    char         q = s[*i], e[4];
    size_t       k = *i + 1, n = 0;

    *bad = false;
    while (k < x->len && s[k] != q) {
        if (s[k] == '\n' || s[k] == '\r' || s[k] == '\f') {
            *bad = true;
            break;
        }
        if (s[k] == '\\') {
            k++;
            if (k < x->len && (s[k] == '\n' || s[k] == '\f')) {
                k++;                            /* a continued line */
                continue;
            }
            if (k + 1 < x->len && s[k] == '\r' && s[k + 1] == '\n') {
                k += 2;
                continue;
            }
            css_put(x, &n, e, css_escape(s, x->len, &k, e));
            continue;
        }
        css_put(x, &n, s + k, 1);
        k++;
    }
    *i = k < x->len && s[k] == q ? k + 1 : k;
    return n;
}

/*
 * The unquoted url( token's content from *i (after "url(" and spaces):
 * judged decoded, or by its raw text when it is a bad url (a quote, '(',
 * space inside, a control byte); *i moved past its ')'.
 */
static void
css_url_token(cs_css_t *x, size_t *i)
{
    const char  *s = x->css;
    size_t       k = *i, n = 0, raw = *i;
    bool         bad = false;
    char         e[4];

    while (k < x->len && s[k] != ')') {
        u_char_t c = (u_char_t) s[k];

        if (c == '\\' && k + 1 < x->len && s[k + 1] != '\n') {
            k++;
            css_put(x, &n, e, css_escape(s, x->len, &k, e));
            continue;
        }
        if (is_space(c)) {
            size_t w = k;
            while (w < x->len && is_space((u_char_t) s[w])) {
                w++;
            }
            if (w < x->len && s[w] != ')') {
                bad = true;
            }
            k = w;
            continue;
        }
        if (c == '"' || c == '\'' || c == '(' || c < 0x20 || c == 0x7f
            || c == '\\')
        {
            bad = true;
        }
        css_put(x, &n, s + k, 1);
        k++;
    }
    if (bad) {
        css_url(x, s + raw, k - raw);       /* fail closed: its raw text */
    } else {
        css_url(x, x->buf, n);
    }
    *i = k < x->len ? k + 1 : k;
}

/* A function name (lowercase, decoded) that takes URLs as strings. */
static bool
css_url_function(const char *name, size_t n)
{
    return name_is(name, n, "url") || name_is(name, n, "src")
           || name_is(name, n, "image") || name_is(name, n, "image-set")
           || name_is(name, n, "-webkit-image-set");
}

/* Whether a string at the current nest level is a URL. */
static bool
css_string_is_url(const cs_css_t *x, const cs_css_item_t *it)
{
    if (x->nest == 0) {
        return it->import;
    }
    if (x->nest > CS_CSS_FNS) {
        return true;                    /* untracked: fail closed */
    }
    return x->url_fns >> (x->nest - 1) & 1;
}

/*
 * An ident-like token at *i (a name, a function, url()); at_keyword: it
 * follows an '@'. Its name is decoded and compared lowercase.
 */
static void
css_name(cs_css_t *x, size_t *i, bool at_keyword, size_t start)
{
    const char     *s = x->css;
    char            name[CS_CSS_NAME], e[4];
    size_t          k = *i, n = 0;
    bool            long_name = false;
    cs_css_item_t  *it = css_item(x);

    while (k < x->len) {
        size_t  w;

        if (s[k] == '\\' && k + 1 < x->len && s[k + 1] != '\n') {
            k++;
            w = css_escape(s, x->len, &k, e);
        } else if (is_name_byte((u_char_t) s[k])) {
            e[0] = s[k++];
            w = 1;
        } else {
            break;
        }
        for (size_t j = 0; j < w; j++) {
            if (n < sizeof(name)) {
                name[n++] = (char) lower((u_char_t) e[j]);
            } else {
                long_name = true;
            }
        }
    }
    if (k == *i && !at_keyword) {
        *i = k + 1;             /* a backslash escaping nothing: a delimiter */
        return;
    }
    *i = k;
    if (long_name) {
        n = 0;
    }
    if (at_keyword) {
        if (it->start == start && name_is(name, n, "import")) {
            it->import = true;
        }
        return;
    }
    if (k == x->len || s[k] != '(') {
        return;
    }
    k++;
    if (name_is(name, n, "url")) {
        size_t w = k;
        while (w < x->len && is_space((u_char_t) s[w])) {
            w++;
        }
        if (w == x->len || (s[w] != '"' && s[w] != '\'')) {
            *i = w;
            css_url_token(x, i);
            return;
        }
    }
    x->nest++;
    if (x->nest <= CS_CSS_FNS) {
        uint32_t bit = (uint32_t) 1 << (x->nest - 1);
        x->url_fns = css_url_function(name, n) ? x->url_fns | bit
                                               : x->url_fns & ~bit;
    }
    *i = k;
}

/*
 * Whether the text may name a URL at all: a function the reader judges
 * (its name just before a '('), an @import, or an escape anywhere (it may
 * spell either). Most sheets and style attributes have none: they are not
 * read further.
 */
static bool
css_may_fetch(const char *css, size_t len)
{
    const char  *p, *end = css + len;

    if (memchr(css, '\\', len) != NULL) {
        return true;
    }
    for (p = css; (p = memchr(p, '(', (size_t) (end - p))) != NULL; p++) {
        const char  *k = p;
        char         name[CS_CSS_NAME];
        size_t       n = 0;

        while (k > css && p - k < CS_CSS_NAME && is_name_byte((u_char_t) k[-1]))
        {
            k--;
        }
        if (k > css && is_name_byte((u_char_t) k[-1])) {
            continue;                   /* longer than any it reads */
        }
        for (; k < p; k++) {
            name[n++] = (char) lower((u_char_t) *k);
        }
        if (css_url_function(name, n)) {
            return true;
        }
    }
    for (p = css; (p = memchr(p, '@', (size_t) (end - p))) != NULL; p++) {
        if (end - p > 6 && lower((u_char_t) p[1]) == 'i'
            && lower((u_char_t) p[2]) == 'm' && lower((u_char_t) p[3]) == 'p'
            && lower((u_char_t) p[4]) == 'o' && lower((u_char_t) p[5]) == 'r'
            && lower((u_char_t) p[6]) == 't')
        {
            return true;
        }
    }
    return false;
}

/*
 * A CDATA section's marker in an SVG <style>'s text at css[i] ('<', or ']'
 * in the section): returns the byte after it, or i when it is CSS text.
 */
static size_t
css_markup(cs_css_t *x, size_t i)
{
    const char  *s = x->css;
    size_t       left = x->len - i;

    if (x->cdata) {
        if (left >= 3 && memcmp(s + i, "]]>", 3) == 0) {
            x->cdata = false;
            return i + 3;
        }
        return i;
    }
    if (left >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0) {
        x->cdata = true;
        return i + 9;
    }
    return i;       /* the caller reads no other markup (svg_sheet_text) */
}

size_t
cs_css_cuts(const char *css, size_t len, bool markup, cs_css_resume_t *resume,
    cs_css_judge_cb judge, void *ud, cs_cut_t *cuts, size_t max)
{
    cs_css_t   x_, *x = &x_;
    size_t     i = 0;

    if (resume) {
        resume->safe = 0;
    }
    if ((resume == NULL || !resume->partial) && !css_may_fetch(css, len)) {
        return 0;
    }

    x->css = css;
    x->len = len;
    x->markup = markup;
    x->cdata = false;
    x->judge = judge;
    x->ud = ud;
    x->cuts = cuts;
    x->max = max;
    x->ncuts = 0;
    x->depth = resume ? resume->depth : 0;
    x->denied_open = 0;
    x->resume = resume;
    x->nest = 0;
    x->url_fns = 0;
    for (size_t d = 0; d < CS_CSS_DEPTH; d++) {
        x->item[d].start = CS_NO_OFFSET;
        x->item[d].denied = false;
        x->item[d].import = false;
    }

    while (i < len) {
        u_char_t        c = (u_char_t) css[i];
        cs_css_item_t  *it;
        size_t          start = i;

        if (is_space(c)) {
            i++;
            continue;
        }
        if (x->markup && (c == '<' || c == ']')) {
            size_t after = css_markup(x, i);

            if (after != i) {
                i = after;
                continue;
            }
        }
        if (c == '/' && i + 1 < len && css[i + 1] == '*') {
            const char *e = NULL;
            for (size_t k = i + 2; k + 1 < len && e == NULL; k++) {
                if (css[k] == '*' && css[k + 1] == '/') {
                    e = css + k;
                }
            }
            i = e ? (size_t) (e - css) + 2 : len;
            continue;
        }
        it = css_item(x);
        if (it->start == CS_NO_OFFSET && c != ';' && c != '}') {
            it->start = i;
        }
        switch (c) {
        case '"':
        case '\'': {
            bool    bad;
            size_t  n = css_string(x, &i, &bad);

            if (css_string_is_url(x, it)) {
                /* a bad string (a newline in it): by its raw text */
                css_url(x, bad ? css + start : x->buf, bad ? i - start : n);
            }
            break;
        }
        case '@':
            i++;
            css_name(x, &i, true, start);
            break;
        case '(':
        case '[':
            x->nest++;
            if (x->nest <= CS_CSS_FNS) {
                x->url_fns &= ~((uint32_t) 1 << (x->nest - 1));
            }
            i++;
            break;
        case ')':
        case ']':
            x->nest -= x->nest > 0;
            i++;
            break;
        case ';':
            if (x->nest == 0) {
                css_item_end(x, i + 1);
                css_safe(x, i + 1);
            }
            i++;
            break;
        case '{':
            i++;
            if (x->nest > 0) {
                x->nest++;              /* a block inside a function: its
                                           value, not a rule's */
                if (x->nest <= CS_CSS_FNS) {
                    x->url_fns &= ~((uint32_t) 1 << (x->nest - 1));
                }
                break;
            }
            x->denied_open += it->denied && x->depth < CS_CSS_DEPTH;
            x->depth++;
            if (x->depth < CS_CSS_DEPTH) {
                x->item[x->depth].start = CS_NO_OFFSET;
                x->item[x->depth].denied = false;
                x->item[x->depth].import = false;
            }
            x->url_fns = 0;
            css_safe(x, i);
            break;
        case '}':
            i++;
            if (x->nest > 0) {
                x->nest--;
                break;
            }
            if (x->depth == 0) {
                css_item_end(x, i);     /* a stray one ends its item */
                css_safe(x, i);
                break;
            }
            css_item_end(x, i - 1);     /* the last one needs no ';' */
            x->depth--;
            x->denied_open -= css_item(x)->denied && x->depth < CS_CSS_DEPTH
                              && x->denied_open > 0;
            css_item_end(x, i);         /* the rule its block ends */
            css_safe(x, i);
            break;
        default:
            if (c == '\\' || is_name_byte(c)) {
                css_name(x, &i, false, start);
            } else {
                i++;
            }
            break;
        }
    }
    if (x->resume && x->resume->partial) {
        return x->ncuts;        /* the open items go on in the next text */
    }
    /* cut short: the open items end with the text */
    for (;;) {
        x->nest = 0;
        css_item_end(x, len);
        if (x->depth == 0) {
            break;
        }
        x->depth--;
    }
    return x->ncuts;
}

size_t
cs_css_skip(const char *css, size_t len, cs_css_skip_t *st, bool *ended)
{
    size_t  i;

    *ended = false;
    for (i = 0; i < len; i++) {
        char c = css[i];

        if (st->escape) {
            st->escape = false;
        } else if (st->comment) {
            if (st->star && c == '/') {
                st->comment = false;
            }
            st->star = c == '*';
        } else if (st->quote) {
            if (c == '\\') {
                st->escape = true;
            } else if (c == (char) st->quote || c == '\n') {
                st->quote = 0;
            }
        } else if (st->star && c == '*') {
            st->comment = true;         /* "/" then "*" */
            st->star = false;
        } else {
            st->star = c == '/';
            switch (c) {
            case '\\':
                st->escape = true;
                break;
            case '"':
            case '\'':
                st->quote = (uint8_t) c;
                break;
            case '(':
            case '[':
            case '{':
                st->nest++;
                break;
            case ')':
            case ']':
                st->nest -= st->nest > 0;
                break;
            case '}':
                if (st->nest == 0) {
                    *ended = true;      /* its block's end: left to read */
                    return i;
                }
                if (--st->nest == 0) {
                    *ended = true;      /* a rule's block */
                    return i + 1;
                }
                break;
            case ';':
                if (st->nest == 0) {
                    *ended = true;
                    return i + 1;
                }
                break;
            default:
                break;
            }
        }
    }
    return len;
}

/*
 * Attribute values that name URLs beyond one src, and the attribute-level
 * drop: a first-party element that merely carries a tracker URL (a poster,
 * a media or object URL, one srcset candidate) keeps everything but that
 * attribute or candidate, cut out byte-exact.
 */

#include "cs_gate_int.h"

/* One image candidate of a srcset value: bytes [off, end), its URL first. */
typedef struct {
    size_t  off;
    size_t  url_end;
    size_t  end;
} cs_candidate_t;

#define CS_SRCSET_CANDIDATES  32

/*
 * Splits a srcset value into its image candidates as the HTML standard's
 * "parse a srcset attribute" does (URLs end at whitespace, trailing commas
 * end a candidate, a comma inside parentheses does not). Returns how many,
 * at most max; *more is set when there were more.
 */
static size_t
srcset_candidates(const char *v, size_t len, cs_candidate_t *c, size_t max,
    bool *more)
{
    size_t  pos = 0, count = 0;

    *more = false;
    for ( ;; ) {
        while (pos < len && (is_space((u_char_t) v[pos]) || v[pos] == ',')) {
            pos++;
        }
        if (pos == len) {
            return count;
        }
        if (count == max) {
            *more = true;
            return count;
        }
        c[count].off = pos;
        while (pos < len && !is_space((u_char_t) v[pos])) {
            pos++;
        }
        c[count].url_end = pos;
        if (v[pos - 1] == ',') {
            while (c[count].url_end > c[count].off
                   && v[c[count].url_end - 1] == ',')
            {
                c[count].url_end--;
            }
            c[count].end = c[count].url_end;
        } else {
            bool in_parens = false;

            while (pos < len && (v[pos] != ',' || in_parens)) {
                in_parens = v[pos] == '(' ? true
                            : v[pos] == ')' ? false : in_parens;
                pos++;
            }
            c[count].end = pos;
        }
        count++;
    }
}

/*
 * Judges the candidates of a srcset value (decoded first: a character
 * reference may spell a separator). Returns how many are denied, -1 when
 * the value could not be read whole (too many candidates, or cut short).
 */
static int
srcset_judge(cs_gate_t *g, const char *v, size_t len, size_t *count)
{
    cs_candidate_t  c[CS_SRCSET_CANDIDATES];
    bool            more;
    char            decoded[CS_URL_MAX];
    size_t          n;
    int             denied = 0;

    n = cs_decode_entities(v, len, decoded, sizeof(decoded));
    *count = srcset_candidates(decoded, n, c, CS_SRCSET_CANDIDATES, &more);
    for (size_t i = 0; i < *count; i++) {
        denied += url_denied(g, decoded + c[i].off, c[i].url_end - c[i].off);
    }
    return more || len == CS_URL_MAX ? -1 : denied;
}

bool
srcset_denied(cs_gate_t *g, const char *v, size_t len)
{
    size_t  count;

    return srcset_judge(g, v, len, &count) != 0;  /* unread: fail closed */
}

bool
add_cut(cs_element_t *el, size_t off, size_t end)
{
    if (el->ncuts == CS_ELEMENT_CUTS) {
        return false;
    }
    el->cuts[el->ncuts].off = off;
    el->cuts[el->ncuts].end = end;
    el->cuts[el->ncuts].with = NULL;
    el->cuts[el->ncuts].with_len = 0;
    el->ncuts++;
    return true;
}

/*
 * Whether another URL attribute of the element has a value (an <img src>
 * that stays when every srcset candidate goes).
 */
static bool
other_url_seen(const cs_gate_t *g, size_t except)
{
    const cs_tag_row_t *row = g->el.row;

    for (size_t i = 0; i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        if (i != except && row->attrs[i].kind == CS_ATTR_URL
            && g->el.attr[i].seen && g->el.attr[i].len > 0)
        {
            return true;
        }
    }
    return false;
}

/*
 * The candidates of a srcset value to cut (offsets in the value), ranges
 * that keep the rest a valid list: a candidate up to the next one's start,
 * the last one from the end of the one kept before it. Returns how many
 * ranges; -1: all of them go; -2: the value cannot be cut candidate by
 * candidate (a character reference may hide a separator, too many
 * candidates, the value cut short): the attribute goes whole if any part
 * of it would.
 */
static int
srcset_cuts(cs_gate_t *g, const cs_attr_value_t *v, cs_cut_t *cut, size_t max)
{
    cs_candidate_t  c[CS_SRCSET_CANDIDATES];
    bool            more, blocked[CS_SRCSET_CANDIDATES];
    size_t          n, nblocked = 0, kept_end = 0;
    int             ncut = 0;

    if (memchr(v->buf, '&', v->len) || v->len == CS_URL_MAX) {
        int denied = srcset_judge(g, v->buf, v->len, &n);

        return denied == 0 ? 0 : (size_t) denied == n ? -1 : -2;
    }
    n = srcset_candidates(v->buf, v->len, c, CS_SRCSET_CANDIDATES, &more);
    if (more) {
        return srcset_denied(g, v->buf, v->len) ? -2 : 0;
    }
    for (size_t i = 0; i < n; i++) {
        blocked[i] = url_denied(g, v->buf + c[i].off,
                                c[i].url_end - c[i].off);
        nblocked += blocked[i];
    }
    if (nblocked == 0) {
        return 0;
    }
    if (nblocked == n) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!blocked[i]) {
            kept_end = c[i].end;
            continue;
        }
        if ((size_t) ncut == max) {
            return -2;
        }
        cut[ncut].off = i + 1 < n ? c[i].off : kept_end;
        cut[ncut].end = i + 1 < n ? c[i + 1].off : v->len;
        ncut++;
    }
    return ncut;
}

/* The judge of the CSS reader: a URL the element's recipients deny. */
static bool
css_url_denied(void *ud, const char *url, size_t len)
{
    return url_denied(ud, url, len);
}

/*
 * Whether a ping value (decoded first: a character reference may spell a
 * separator) names a denied URL.
 */
static bool
ping_denied(cs_gate_t *g, const u_char_t *v, size_t len)
{
    char    decoded[CS_URL_MAX];
    size_t  n, pos = 0;

    if (len > sizeof(decoded)) {
        return true;            /* longer than the gate reads: fail closed */
    }
    n = cs_decode_entities((const char *) v, len, decoded, sizeof(decoded));
    while (pos < n) {
        size_t start;

        while (pos < n && is_space((u_char_t) decoded[pos])) {
            pos++;
        }
        start = pos;
        while (pos < n && !is_space((u_char_t) decoded[pos])) {
            pos++;
        }
        if (pos > start && url_denied(g, decoded + start, pos - start)) {
            return true;
        }
    }
    return false;
}

/* The element's type attribute is "image" (any case), or unread. */
static bool
type_is_image(const cs_gate_t *g)
{
    for (size_t i = 0; i < CS_TAG_ATTRS; i++) {
        const cs_tag_attr_t    *a = elem_attr_def(g, i);
        const cs_attr_value_t  *v = &g->el.attr[i];

        if (a && a->kind == CS_ATTR_TYPE && v->seen) {
            return v->end == CS_NO_OFFSET
                   || name_is(v->buf, v->len, "image");
        }
    }
    return false;
}

/* A captured value's bytes in the element: [*from, *to) of p. */
static void
value_bytes(const cs_attr_value_t *v, const u_char_t *p, size_t *from,
    size_t *to)
{
    u_char_t  before = v->value_off > 0 ? p[v->value_off - 1] : 0;
    bool      quoted = v->value_off <= v->end
                       && (before == '"' || before == '\'');

    *from = v->value_off;
    *to = quoted && v->end > v->value_off ? v->end - 1 : v->end;
    if (*to < *from) {
        *to = *from;            /* an empty value */
    }
}

/*
 * The declarations of a style value with a denied URL, as cuts of the
 * element (cand, offsets in p). A value holding a character reference (it
 * may spell CSS syntax) is read decoded and goes whole when anything in it
 * is denied: returns -1 then; else how many cuts.
 */
#define CS_STYLE_DECODED  8192

static int
style_cuts(cs_gate_t *g, const u_char_t *p, size_t from, size_t to,
    cs_cut_t *cand, size_t max)
{
    const char  *v = (const char *) p + from;
    size_t       len = to - from, n;

    if (memchr(v, '&', len) != NULL) {
        char   decoded[CS_STYLE_DECODED];
        cs_cut_t one;

        if (len > sizeof(decoded)) {
            return -1;          /* not read whole: fail closed */
        }
        n = cs_decode_entities(v, len, decoded, sizeof(decoded));
        return cs_css_cuts(decoded, n, false, NULL, css_url_denied, g, &one, 1)
               ? -1 : 0;
    }
    n = cs_css_cuts(v, len, false, NULL, css_url_denied, g, cand, max);
    for (size_t k = 0; k < n; k++) {
        cand[k].off += from;
        cand[k].end += from;
    }
    return (int) n;
}

/*
 * Whether the element's style attribute (its bytes p, n) carries a URL the
 * request denies: neutralize keeps the style as it is, so such an element
 * must be stripped instead.
 */
bool
style_denied(cs_gate_t *g, const u_char_t *p, size_t n)
{
    const cs_attr_value_t  *v = &g->el.attr[CS_STYLE_SLOT];
    cs_cut_t                cand[CS_ELEMENT_CUTS];
    size_t                  from, to;

    if (!v->seen || v->len == 0 || v->end == CS_NO_OFFSET || v->end > n) {
        return false;
    }
    value_bytes(v, p, &from, &to);
    return style_cuts(g, p, from, to, cand, CS_ELEMENT_CUTS) != 0;
}

/* The first three-byte marker m in v[0, len), or NULL. */
static const char *
find_marker(const char *v, size_t len, const char *m)
{
    for (const char *e = v; (e = memchr(e, m[0], len - (size_t) (e - v)))
                            != NULL; e++)
    {
        if ((size_t) (e - v) + 3 <= len && e[1] == m[1] && e[2] == m[2]) {
            return e;
        }
    }
    return NULL;
}

/*
 * The CSS an SVG <style>'s markup text spells (its text up to its first
 * tag: CDATA sections, comments, character references), into out; its
 * length, or cap + 1 when it does not fit. *plain: it is the text without
 * the CDATA markers alone (then the reader cuts in the raw text).
 */
static size_t
svg_sheet_text(const char *v, size_t len, char *out, size_t cap, bool *plain)
{
    size_t  i = 0, n = 0;
    bool    cdata = false;

    *plain = true;
    while (i < len) {
        const char  *e;
        size_t       run;

        if (cdata) {
            e = find_marker(v + i, len - i, "]]>");
            run = e ? (size_t) (e - v) - i : len - i;
            if (n + run > cap) {
                return cap + 1;
            }
            memcpy(out + n, v + i, run);
            n += run;
            i += run + (e ? 3 : 0);
            cdata = false;
            continue;
        }
        if (len - i >= 9 && memcmp(v + i, "<![CDATA[", 9) == 0) {
            cdata = true;
            i += 9;
            continue;
        }
        if (len - i >= 4 && memcmp(v + i, "<!--", 4) == 0) {
            e = find_marker(v + i + 4, len - i - 4, "-->");
            i = e ? (size_t) (e - v) + 3 : len;
            *plain = false;
            continue;
        }
        if (len - i >= 2 && v[i] == '<' && (v[i + 1] == '!' || v[i + 1] == '?'))
        {
            e = memchr(v + i, '>', len - i);        /* a bogus comment */
            i = e ? (size_t) (e - v) + 1 : len;
            *plain = false;
            continue;
        }
        /* text up to the next '<' (past this one: text), decoded */
        e = memchr(v + i + 1, '<', len - i - 1);
        run = e ? (size_t) (e - v) - i : len - i;
        if (memchr(v + i, '&', run) != NULL) {
            *plain = false;
        }
        if (n + run > cap) {
            return cap + 1;
        }
        n += cs_decode_entities(v + i, run, out + n, cap - n);
        i += run;
    }
    return n;
}

/*
 * Reads CSS text v, the element's bytes [from, to), from the blocks open
 * where it starts (el.sheet_depth); its cuts go to el.cuts.
 */
static void
sheet_read(cs_gate_t *g, const char *v, size_t from, size_t to, bool markup,
    cs_css_resume_t *partial)
{
    cs_element_t     *el = &g->el;
    cs_css_resume_t   whole = { el->sheet_depth, 0, false };
    size_t            k;

    k = cs_css_cuts(v, to - from, markup, partial ? partial : &whole,
                    css_url_denied, g, el->cuts + el->ncuts,
                    CS_ELEMENT_CUTS - el->ncuts);
    for (size_t j = el->ncuts; j < el->ncuts + k; j++) {
        el->cuts[j].off += from;
        el->cuts[j].end += from;
    }
    el->ncuts += (uint32_t) k;
}

/*
 * A <style>'s text, p[from, to): its declarations and rules with a denied
 * URL. An SVG <style>'s is markup: when comments or character references
 * make its CSS differ from its bytes, that CSS is read and any denied URL
 * in it cuts all of the text (fail closed), as does such a text longer
 * than the gate decodes.
 */
static void
sheet_cuts(cs_gate_t *g, const u_char_t *p, size_t from, size_t to)
{
    cs_element_t  *el = &g->el;
    bool           markup = el->row->content == CS_CONTENT_MARKUP;
    const char    *v = (const char *) p + from;

    if (markup) {
        char      css[CS_STYLE_DECODED];
        cs_cut_t  one;
        bool      plain;
        size_t    n = svg_sheet_text(v, to - from, css, sizeof(css), &plain);

        if (n > sizeof(css)
            || (!plain && cs_css_cuts(css, n, false, NULL, css_url_denied, g,
                                      &one, 1) > 0))
        {
            add_cut(el, from, to);
            return;
        }
        if (!plain) {
            return;
        }
    }
    if (el->sheet_skip) {
        /* the rest of an item too long to read (sheet_overflow) */
        bool    ended;
        size_t  k = cs_css_skip(v, to - from, &el->sheet_lex, &ended);

        add_cut(el, from, from + k);
        el->sheet_skip = !ended;
        v += k;
        from += k;
    }
    sheet_read(g, v, from, to, markup, NULL);
}

/* Cuts an attribute whole, with the spaces before it (p: the element). */
static bool
cut_whole(cs_element_t *el, const u_char_t *p, const cs_attr_value_t *v)
{
    size_t  off;

    for (off = v->off; off > 0 && is_space(p[off - 1]); off--) {
        /* void */
    }
    return add_cut(el, off, v->end);
}

void
cut_attributes(cs_gate_t *g, const u_char_t *p, size_t n, size_t content_end)
{
    cs_element_t        *el = &g->el;

    for (size_t i = 0; i < CS_ELEM_ATTRS; i++) {
        const cs_tag_attr_t    *a = elem_attr_def(g, i);
        const cs_attr_value_t  *v = &el->attr[i];
        cs_cut_t                cand[CS_ELEMENT_CUTS];
        int                     ncand = -2;
        size_t                  from, to;
        /* room for the whole-attribute cuts of those still to read */
        size_t                  room = CS_ELEMENT_CUTS - el->ncuts
                                       - (CS_ELEM_ATTRS - 1 - i);

        if (a == NULL || !a->cut || !v->seen || v->len == 0
            || v->end == CS_NO_OFFSET || v->end > n)
        {
            continue;               /* nothing to fetch, or not ended */
        }
        if (a->if_image && !type_is_image(g)) {
            continue;               /* an <input> that fetches nothing */
        }
        switch (a->kind) {
        case CS_ATTR_SRCSET:
            ncand = srcset_cuts(g, v, cand, room);
            if (ncand == -1 && !other_url_seen(g, i)) {
                el->denied = true;  /* nothing left it could show */
                return;
            }
            break;
        case CS_ATTR_STYLE:
            value_bytes(v, p, &from, &to);
            ncand = style_cuts(g, p, from, to, cand, room);
            break;
        case CS_ATTR_PING:
            value_bytes(v, p, &from, &to);
            if (!ping_denied(g, p + from, to - from)) {
                continue;
            }
            break;
        default:
            if (!url_denied(g, v->buf, v->len)) {
                continue;
            }
            break;
        }
        if (ncand > 0) {
            for (int k = 0; k < ncand; k++) {
                add_cut(el, a->kind == CS_ATTR_SRCSET
                            ? v->value_off + cand[k].off : cand[k].off,
                        a->kind == CS_ATTR_SRCSET
                            ? v->value_off + cand[k].end : cand[k].end);
            }
            continue;
        }
        if (ncand == 0) {
            continue;
        }
        if (!cut_whole(el, p, v)) {
            el->denied = true;      /* cannot cut it: the element goes */
            return;
        }
    }

    if (el->kind == CS_TAG_SHEET && (el->content_off || el->sheet_text)
        && content_end > el->content_off && content_end <= n)
    {
        sheet_cuts(g, p, el->content_off, content_end);
    }
}

/*
 * Emits the element's bytes p[0, n) without its cuts (in element order; a
 * srcset's ranges may overlap), counting their bytes. Returns how many
 * cuts removed bytes (a srcdoc written back removes none itself).
 */
static size_t
emit_kept(cs_gate_t *g, cs_scan_t *sc, const u_char_t *p, size_t n,
    bool held)
{
    cs_element_t  *el = &g->el;
    size_t         from = 0, removed = 0;

    for (uint32_t i = 1; i < el->ncuts; i++) {
        for (uint32_t k = i; k > 0 && el->cuts[k].off < el->cuts[k - 1].off;
             k--)
        {
            cs_cut_t t = el->cuts[k];
            el->cuts[k] = el->cuts[k - 1];
            el->cuts[k - 1] = t;
        }
    }
    for (uint32_t i = 0; i < el->ncuts; i++) {
        size_t off = el->cuts[i].off > from ? el->cuts[i].off : from;
        size_t end = el->cuts[i].end < n ? el->cuts[i].end : n;

        if (end <= off) {
            continue;
        }
        emit(g, sc, p + from, p + off, held);
        if (el->cuts[i].with) {
            /* a srcdoc written back: its inner gate counted what went */
            emit(g, sc, el->cuts[i].with,
                 el->cuts[i].with + el->cuts[i].with_len, true);
        } else {
            g->stats.bytes_removed += end - off;
            removed++;
        }
        from = end;
    }
    emit(g, sc, p + from, p + n, held);
    el->ncuts = 0;
    return removed;
}

/*
 * The element, its n bytes p ending at upto, goes out without its cuts
 * (after the bytes before it) and is held no more. Returns emit_kept()'s
 * count.
 */
static size_t
emit_element_cut(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n)
{
    bool    held = g->hold.has_element || sc->held;
    size_t  cuts;

    if (g->hold.has_element) {
        g->hold.len = 0;
        g->hold.has_element = false;
    } else {
        emit(g, sc, sc->out, sc->elem, sc->held);   /* the bytes before it */
    }
    cuts = emit_kept(g, sc, p, n, held);
    sc->out = upto;
    return cuts;
}

void
keep_element_cut(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n)
{
    if (g->el.ncuts == 0) {
        keep_element(g, sc);
        return;
    }
    g->stats.attributes_removed += emit_element_cut(g, sc, upto, p, n);
    g->el.mode = M_PASS;
}

bool
keep_tag_cut(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, size_t *removed)
{
    cs_element_t  *el = &g->el;
    uint64_t       before = g->stats.bytes_removed;

    el->ncuts = 0;
    for (size_t i = 0; i < CS_ELEM_ATTRS; i++) {
        const cs_tag_attr_t    *a = elem_attr_def(g, i);
        const cs_attr_value_t  *v = &el->attr[i];
        cs_cut_t                cand[CS_ELEMENT_CUTS];
        int                     ncand = -1;
        size_t                  from, to;

        if (a == NULL || a->kind == CS_ATTR_TYPE || a->kind == CS_ATTR_REL
            || !v->seen || v->end == CS_NO_OFFSET || v->end > n)
        {
            continue;               /* names no URL, or has no value */
        }
        if (a->kind == CS_ATTR_STYLE) {
            /* the page's own styling stays but for its denied URLs */
            value_bytes(v, p, &from, &to);
            ncand = style_cuts(g, p, from, to, cand,
                               CS_ELEMENT_CUTS - el->ncuts);
            for (int k = 0; k < ncand; k++) {
                if (!add_cut(el, cand[k].off, cand[k].end)) {
                    return false;
                }
            }
            if (ncand >= 0) {
                continue;
            }
        }
        if (!cut_whole(el, p, v)) {
            return false;
        }
    }
    (void) emit_element_cut(g, sc, upto, p, n);
    *removed = (size_t) (g->stats.bytes_removed - before);
    return true;
}

/*
 * The element's first `settled` of its n bytes (p) go out with their cuts;
 * the rest stays held as the element's bytes.
 */
static void
pass_settled(cs_gate_t *g, cs_scan_t *sc, const u_char_t *p, size_t n,
    size_t settled, bool held)
{
    if (!g->hold.has_element) {
        emit(g, sc, sc->out, sc->elem, sc->held);   /* the bytes before it */
    }
    g->stats.attributes_removed += emit_kept(g, sc, p, settled, held);
    if (g->hold.has_element) {
        memmove(g->hold.buf, g->hold.buf + settled, n - settled);
        g->hold.len = n - settled;
    } else {
        sc->elem = p + settled;
        sc->out = p + settled;
    }
}

void
sheet_text_end(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n, lt = g->el.lt_off;
    bool             held;

    elem_take(g, sc, s, &p, &n);
    held = g->hold.has_element || sc->held;
    cut_attributes(g, p, n, lt);
    /* the tag from its '<' on: held as any start tag the tokenizer reads */
    pass_settled(g, sc, p, n, lt, held);
    elem_reset(g, sc);
}

bool
sheet_overflow(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    cs_element_t     *el = &g->el;
    const u_char_t   *p;
    size_t            n, from, limit, settled;
    bool              held, ended;
    cs_css_resume_t   r;

    elem_take(g, sc, s, &p, &n);
    held = g->hold.has_element || sc->held;
    from = el->content_off;
    /* a '<' that may begin the end tag stays held */
    limit = g->tok.state == S_RAW ? n : el->lt_off;
    if (limit <= from) {
        return false;
    }
    cut_attributes(g, p, n, 0);         /* its start tag's, the first time */
    if (el->sheet_skip) {
        size_t k = cs_css_skip((const char *) p + from, limit - from,
                               &el->sheet_lex, &ended);

        add_cut(el, from, from + k);
        el->sheet_skip = !ended;
        from += k;
    }
    settled = from;
    if (!el->sheet_skip) {
        r.depth = el->sheet_depth;
        r.partial = true;
        sheet_read(g, (const char *) p + from, from, limit, false, &r);
        if (r.safe > 0) {
            settled = from + r.safe;
            el->sheet_depth = r.depth;
        } else if (from == el->content_off) {
            /*
             * One item longer than max_element: it cannot be read to its
             * end, so it goes (fail closed), skipped to its end.
             */
            memset(&el->sheet_lex, 0, sizeof(el->sheet_lex));
            settled = from + cs_css_skip((const char *) p + from,
                                         limit - from, &el->sheet_lex,
                                         &ended);
            add_cut(el, from, settled);
            el->sheet_skip = !ended;
            if (settled == from) {
                /* a '}' first (a stray one, or one the reader could not
                   mark): read, and passed on */
                settled++;
                el->sheet_depth -= el->sheet_depth > 0;
            }
        }
    }
    /* what is settled is passed on, the rest held as the element's text */
    pass_settled(g, sc, p, n, settled, held);
    el->lt_off = el->lt_off > settled ? el->lt_off - settled : 0;
    el->content_off = 0;
    el->sheet_text = true;
    for (size_t i = 0; i < CS_ELEM_ATTRS; i++) {
        el->attr[i].seen = false;       /* its start tag went out */
    }
    return true;
}

/*
 * The tokenizer: a WHATWG-shaped HTML tokenizer that passes every byte
 * through unchanged except the elements the decisions (cs_gate.c) remove.
 * gate_scan() is the hot switch; attrs_scan() the attribute loop. Which
 * names and attributes matter comes from the table (cs_gate_tags.c).
 */

#include "cs_gate_int.h"

/* ---- foreign content (WHATWG 13.2.6.5) ---- */

static const cs_open_el_t *
open_top(const cs_gate_t *g)
{
    return g->tok.open_depth ? &g->tok.open[g->tok.open_depth - 1] : NULL;
}

/*
 * Whether the adjusted current node is an SVG or MathML element: where
 * "<![CDATA[" opens a CDATA section and start tags make foreign elements.
 */
static bool
in_foreign(const cs_gate_t *g)
{
    const cs_open_el_t *top = open_top(g);

    return top != NULL && top->ns != CS_NS_HTML;
}

/* The tag just named is "word" (a string literal). */
#define tag_is(g, word)                                                        \
    ((g)->tok.tag_name_total == sizeof(word) - 1                              \
     && memcmp((g)->tok.tag_name, word, sizeof(word) - 1) == 0)

/* The tag just named is one of names[0..n). */
static bool
tag_in(const cs_gate_t *g, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(names[i]) == g->tok.tag_name_total
            && memcmp(names[i], g->tok.tag_name, g->tok.tag_name_total) == 0)
        {
            return true;
        }
    }
    return false;
}

/* The HTML start tags that end foreign content (13.2.6.5; font apart). */
static bool
tag_breaks_out(const cs_gate_t *g)
{
    static const char  *const names[] = {
        "b", "big", "blockquote", "body", "br", "center", "code", "dd",
        "div", "dl", "dt", "em", "embed", "h1", "h2", "h3", "h4", "h5", "h6",
        "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr",
        "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
        "sub", "sup", "table", "tt", "u", "ul", "var"
    };

    return tag_in(g, names, sizeof(names) / sizeof(names[0]));
}

/* HTML's void elements: no end tag, never open. */
static bool
tag_is_void(const cs_gate_t *g)
{
    static const char  *const names[] = {
        "area", "base", "br", "col", "embed", "hr", "img", "image", "input",
        "keygen", "link", "meta", "param", "source", "track", "wbr"
    };

    return tag_in(g, names, sizeof(names) / sizeof(names[0]));
}

/*
 * Whether the start tag just named makes a foreign element (the tree
 * builder's dispatch, 13.2.6): not at an integration point, not one of the
 * tags that break out. A <font> breaks out by its attributes: it is
 * watched, and decided when its tag ends.
 */
static bool
start_tag_foreign(cs_gate_t *g)
{
    const cs_open_el_t *top = open_top(g);

    g->tok.watch = CS_WATCH_NONE;
    if (!in_foreign(g) || top->point == CS_POINT_HTML) {
        return false;
    }
    if (top->point == CS_POINT_TEXT) {
        return tag_is(g, "mglyph") || tag_is(g, "malignmark");
    }
    if (top->ns == CS_NS_MATHML && tag_is(g, "svg")
        && top->name_len == sizeof("annotation-xml") - 1
        && memcmp(top->name, "annotation-xml",
                  sizeof("annotation-xml") - 1) == 0)
    {
        return false;
    }
    if (tag_breaks_out(g)) {
        return false;
    }
    if (tag_is(g, "font")) {
        g->tok.watch = CS_WATCH_FONT;
    } else if (top->ns == CS_NS_MATHML && tag_is(g, "annotation-xml")) {
        g->tok.watch = CS_WATCH_ENCODING;
    }
    g->tok.watch_hit = false;
    g->tok.watch_value = false;
    g->tok.watch_len = 0;
    return true;
}

/* Pops the foreign elements above the nearest integration point. */
static void
break_out(cs_gate_t *g)
{
    const cs_open_el_t *top;

    while ((top = open_top(g)) != NULL && top->ns != CS_NS_HTML
           && top->point == CS_POINT_NONE)
    {
        g->tok.open_depth--;
    }
}

/*
 * The open element the tag just named makes. Past CS_FOREIGN_MAX the gate
 * can no longer tell how the browser reads what follows, so the rest of the
 * body goes (a drop that only removes more) and nothing more is read.
 */
static void
open_push(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s, cs_ns_t ns,
    cs_point_t point)
{
    cs_open_el_t  *el;
    size_t         len = g->tok.tag_name_total;

    if (g->tok.open_depth == CS_FOREIGN_MAX) {
        if (g->el.mode == M_HOLD && g->el.foreign_depth == 0
            && g->el.kind == CS_TAG_CARRIER)
        {
            start_tag_done(g, sc, s);   /* the tag itself is read whole */
        }
        if (g->el.mode == M_HOLD) {
            /* inside an SVG <script> under decision: it goes too */
            const u_char_t  *p;
            size_t           n;

            elem_take(g, sc, s + 1, &p, &n);
            drop_element(g, sc, s + 1, n, CS_DROP_OPEN, CS_DROP_TOO_DEEP);
        } else if (g->el.mode == M_PASS) {
            elem_begin(g, sc, s + 1);
            drop_element(g, sc, s + 1, 0, CS_DROP_OPEN, CS_DROP_TOO_DEEP);
        }                   /* M_VOID: already dropped up to EOF now */
        g->el.kind = CS_TAG_NONE;
        g->el.foreign_depth = 0;
        g->tok.state = S_PLAINTEXT;
        return;
    }
    el = &g->tok.open[g->tok.open_depth++];
    /*
     * Only the name's own bytes: those past it in tag_name are left from
     * earlier tags (which depend on how the body was split), so they are
     * zeroed, never compared.
     */
    memset(el->name, 0, CS_NAME_MAX);
    memcpy(el->name, g->tok.tag_name, len < CS_NAME_MAX ? len : CS_NAME_MAX);
    el->name_len = (uint8_t) (len > 255 ? 255 : len);
    el->ns = (uint8_t) ns;
    el->point = (uint8_t) point;
}

/* Where a foreign element is an integration point (13.2.6.5, 4.x). */
static cs_point_t
foreign_point(const cs_gate_t *g, cs_ns_t ns)
{
    if (ns == CS_NS_SVG) {
        return tag_is(g, "foreignobject") || tag_is(g, "desc")
               || tag_is(g, "title") ? CS_POINT_HTML : CS_POINT_NONE;
    }
    if (tag_is(g, "mi") || tag_is(g, "mo") || tag_is(g, "mn")
        || tag_is(g, "ms") || tag_is(g, "mtext"))
    {
        return CS_POINT_TEXT;
    }
    if (g->tok.watch == CS_WATCH_ENCODING && g->tok.watch_hit
        && (name_is(g->tok.watch_buf, g->tok.watch_len, "text/html")
            || name_is(g->tok.watch_buf, g->tok.watch_len,
                       "application/xhtml+xml")))
    {
        return CS_POINT_HTML;
    }
    return CS_POINT_NONE;
}

/* An open element is the one the end tag just read names. */
static bool
open_named(const cs_gate_t *g, const cs_open_el_t *el)
{
    size_t len = g->tok.tag_name_total;

    return el->name_len == (len > 255 ? 255 : len)
           && memcmp(el->name, g->tok.tag_name,
                     len < CS_NAME_MAX ? len : CS_NAME_MAX) == 0;
}

/*
 * An end tag while elements are open (13.2.6.5 "any other end tag", then
 * "in body"'s): it closes the foreign element it names, or else the HTML
 * one it names short of an integration point. (</p> and </br> do not
 * break out here, as in html5lib, the oracle: README.)
 */
static void
open_end_tag(cs_gate_t *g)
{
    size_t  i = g->tok.open_depth;

    if (in_foreign(g)) {
        for (; i > 0 && g->tok.open[i - 1].ns != CS_NS_HTML; i--) {
            if (open_named(g, &g->tok.open[i - 1])) {
                g->tok.open_depth = i - 1;
                return;
            }
        }
    }
    for (; i > 0; i--) {
        const cs_open_el_t *el = &g->tok.open[i - 1];

        if (el->ns == CS_NS_HTML && open_named(g, el)) {
            g->tok.open_depth = i - 1;
            return;
        }
        if (el->point != CS_POINT_NONE) {
            return;                     /* special: the tag is ignored */
        }
    }
}

/* The row of the start tag just named, in this view of the page. */
static const cs_tag_row_t *
tag_row(const cs_gate_t *g)
{
    const cs_tag_row_t *row;

    if (g->tok.tag_foreign) {
        if (open_top(g)->ns != CS_NS_SVG) {
            return NULL;    /* MathML: no element of it fetches or runs */
        }
        /* an SVG <script> runs: judged as HTML's, its content markup */
        if (tag_is(g, "script")) {
            return cs_gate_svg_script_row();
        }
        /* an SVG <style> is CSS: its URLs are cut as in HTML's */
        if (tag_is(g, "style")) {
            return cs_gate_svg_style_row();
        }
        /* SVG's own fetching elements: their rows read href, xlink:href */
        if (tag_is(g, "image") || tag_is(g, "feimage")) {
            return cs_gate_tag_row(g->tok.tag_name, g->tok.tag_name_len);
        }
        return NULL;    /* other SVG elements: no HTML row applies */
    }
    row = cs_gate_tag_row(g->tok.tag_name, g->tok.tag_name_len);
    if (row && row->kind == CS_TAG_NOSCRIPT && g->tok.scripting_off) {
        return NULL;            /* markup to a browser without scripting */
    }
    return row;
}

/*
 * The tokenizer state that follows a start tag, and the element it opens.
 * Returns true when the tag breaks out of foreign content but is under
 * decision: it breaks out only if its bytes stay (tag_done).
 */
static bool
enter_content(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const cs_tag_row_t *row;

    g->tok.state = S_DATA;
    if (g->tok.watch == CS_WATCH_FONT && g->tok.watch_hit) {
        g->tok.tag_foreign = false;     /* <font color|face|size> */
    }
    if (g->tok.tag_foreign) {
        /* no raw text here: an SVG <script> or <style> holds markup */
        cs_ns_t ns = (cs_ns_t) open_top(g)->ns;

        if (!g->tok.self_closing) {
            open_push(g, sc, s, ns, foreign_point(g, ns));
        }
        return false;
    }
    if (in_foreign(g) && open_top(g)->point == CS_POINT_NONE
        && (tag_breaks_out(g) || g->tok.watch == CS_WATCH_FONT))
    {
        if (g->el.kind != CS_TAG_NONE && g->el.row && g->el.row->is_void) {
            return true;
        }
        break_out(g);       /* a <font> still watched here breaks out */
    }
    row = tag_row(g);
    if (row == NULL) {
        if (g->tok.open_depth && !tag_is_void(g)) {
            open_push(g, sc, s, CS_NS_HTML, CS_POINT_NONE);
        }
        return false;
    }
    switch (row->content) {
    case CS_CONTENT_RAW:
    case CS_CONTENT_SCRIPT:
        g->tok.state = row->content == CS_CONTENT_RAW ? S_RAW : S_SCRIPT;
        g->tok.raw_name = row->name;
        g->tok.raw_name_len = g->tok.tag_name_len;
        break;
    case CS_CONTENT_PLAINTEXT:
        g->tok.state = S_PLAINTEXT;
        break;
    case CS_CONTENT_SVG:
    case CS_CONTENT_MATHML:
        if (!g->tok.self_closing) {     /* <svg/> opens nothing */
            open_push(g, sc, s, row->content == CS_CONTENT_SVG
                                ? CS_NS_SVG : CS_NS_MATHML, CS_POINT_NONE);
        }
        break;
    default:
        if (g->tok.open_depth && !row->is_void) {
            open_push(g, sc, s, CS_NS_HTML, CS_POINT_NONE);
        }
        break;
    }
    return false;
}

/*
 * An SVG <script> under decision (held, or dropped open) ends when it
 * leaves the open elements: at its </script>, or at a tag that pops it (an
 * outer end tag, a tag that breaks out of foreign content). Such a tag goes
 * with it, and is judged as part of its text when it is not its end tag.
 */
static void
svg_script_end(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    if (g->el.foreign_depth == 0 || g->tok.open_depth >= g->el.foreign_depth)
    {
        return;
    }
    g->el.foreign_depth = 0;
    if (g->el.mode == M_HOLD
        && !(g->tok.end_tag && g->tok.tag_name_total == strlen(g->el.row->name)
             && memcmp(g->tok.tag_name, g->el.row->name,
                       g->tok.tag_name_total) == 0))
    {
        g->el.lt_off = elem_offset(g, sc, s + 1);
    }
    raw_element_done(g, sc, s);
}

/* The start tag of an SVG <script> or <style> under decision was decided
   on. */
static void
svg_script_begun(cs_gate_t *g)
{
    if (!((g->el.row == cs_gate_svg_script_row()
           && g->el.kind == CS_TAG_LOADER)
          || (g->el.row == cs_gate_svg_style_row()
              && g->el.kind == CS_TAG_SHEET)))
    {
        return;
    }
    if (g->el.mode == M_PASS && !g->report.pending) {
        g->el.kind = CS_TAG_NONE;   /* kept: an SVG element as any other */
    } else if (g->tok.open_depth) {
        g->el.foreign_depth = g->tok.open_depth;   /* until it is popped */
    }
}

static void
tag_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const cs_tag_row_t  *row;

    if (g->tok.end_tag) {
        if (g->tok.raw_end) {
            raw_element_done(g, sc, s);
        } else if (g->tok.open_depth) {
            open_end_tag(g);
            svg_script_end(g, sc, s);
        }
        g->tok.state = S_DATA;
        return;
    }
    if (g->el.foreign_depth) {
        /* a tag in an SVG <script>'s content: part of the element */
        (void) enter_content(g, sc, s);
        svg_script_end(g, sc, s);
        return;
    }
    if (enter_content(g, sc, s)) {
        /*
         * A gated element that ends foreign content (<img>): denied, its
         * tag stays with its URLs cut and still ends it; a tag that goes
         * (dropped past max_element) no longer does, and the browser reads
         * what follows as SVG or MathML; so does the gate.
         */
        g->el.breaks_out = true;
        start_tag_done(g, sc, s);
        if (g->el.breaks_out) {
            break_out(g);
        }
    } else if (g->el.kind != CS_TAG_NONE) {
        start_tag_done(g, sc, s);
        svg_script_begun(g);
    }
    if (g->conf.head_inject && !g->tok.head_done && !g->tok.tag_foreign
        && g->el.mode == M_PASS && (row = tag_row(g)) != NULL
        && row->kind == CS_TAG_HEAD)
    {
        g->tok.head_done = true;
        emit(g, sc, sc->out, s + 1, sc->held);
        emit(g, sc, g->conf.head_inject,
             g->conf.head_inject + g->conf.head_inject_len, true);
        sc->out = s + 1;
    }
}

/*
 * A watched start tag's attribute name is complete: for <font>, whether it
 * is color, face or size; for annotation-xml, whether it is encoding (whose
 * value is then kept).
 */
static void
watch_attr_name(cs_gate_t *g)
{
    const char  *n = g->tok.attr_name;
    size_t       l = g->tok.attr_name_len;

    if (g->tok.watch == CS_WATCH_FONT) {
        g->tok.watch_hit |= name_is(n, l, "color") || name_is(n, l, "face")
                            || name_is(n, l, "size");
    } else if (name_is(n, l, "encoding") && !g->tok.watch_hit) {
        g->tok.watch_hit = true;        /* the first one counts */
        g->tok.watch_value = true;
    }
}

static void
watch_value(cs_gate_t *g, const u_char_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (g->tok.watch_len == sizeof(g->tok.watch_buf)) {
            return;                     /* longer than any it looks for */
        }
        g->tok.watch_buf[g->tok.watch_len++] = (char) lower(p[i]);
    }
}

/* Tokens are compared lowercase; only the start of a URL is kept. */
static bool
attr_is_token(const cs_tag_attr_t *a)
{
    return a->kind == CS_ATTR_TYPE || a->kind == CS_ATTR_REL;
}

/* An attribute name of the element under decision is complete. */
static void
attr_name_done(cs_gate_t *g)
{
    const cs_tag_row_t  *row = g->el.row;
    const char          *n = g->tok.attr_name;
    size_t               l = g->tok.attr_name_len;

    g->tok.capture = NULL;
    if (g->tok.end_tag || g->el.mode != M_HOLD || l > CS_NAME_MAX
        || row == NULL)
    {
        return;
    }
    for (size_t i = 0; i < CS_ELEM_ATTRS; i++) {
        const cs_tag_attr_t  *a = elem_attr_def(g, i);
        cs_attr_value_t      *v = &g->el.attr[i];

        if (a == NULL || a->name[0] != n[0] || strlen(a->name) != l
            || memcmp(a->name, n, l) != 0)
        {
            continue;
        }
        /* The first of duplicate attributes wins, as in a browser. */
        if (!v->seen) {
            v->seen = true;
            v->off = g->el.attr_off;
            if (a->ties_element || a->cut || attr_is_token(a)
                || a->kind == CS_ATTR_DOCUMENT)
            {
                g->tok.capture = v;
            }
        }
        return;
    }
}

static void
capture_value(cs_gate_t *g, const u_char_t *p, size_t n)
{
    cs_attr_value_t      *v = g->tok.capture;
    const cs_tag_attr_t  *a = elem_attr_def(g, (size_t) (v - g->el.attr));
    bool                  fold = attr_is_token(a);
    size_t                cap = fold ? CS_TOKEN_MAX : CS_URL_MAX;

    if (a->kind == CS_ATTR_STYLE || a->kind == CS_ATTR_PING) {
        v->len += n;            /* read in the element's bytes, not here */
        return;
    }

    if (v->len + n > cap) {
        n = cap - v->len;
    }
    for (size_t i = 0; i < n; i++) {
        v->buf[v->len + i] = fold ? (char) lower(p[i]) : (char) p[i];
    }
    v->len += n;
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
    int              st = g->tok.state;
    bool             capturing = g->el.mode == M_HOLD && !g->tok.end_tag
                                 && g->el.kind > CS_TAG_PENDING
                                 && g->el.foreign_depth == 0;
    bool             watching = g->tok.watch != CS_WATCH_NONE
                                && !g->tok.end_tag;

    /*
     * Fast path for tags nothing is captured from: runs of name="value"
     * pairs. Anything unusual drops into the full state machine below.
     */
    while (!capturing && !watching && st == S_BEFORE_ATTR_NAME) {
        while (s < lim && (cs_gate_char_class[*s] & C_SPACE)) {
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
        while (q < lim && !(cs_gate_char_class[*q] & C_NAME_END)) {
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
        if (!(cs_gate_char_class[*s] & C_SPACE)) {
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
                g->tok.watch_value = false;
                if (capturing) {
                    g->el.attr_off = elem_offset(g, sc, s);
                }
                g->tok.attr_name[0] = (char) lower(c);
                g->tok.attr_name_len = 1;
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
            if (capturing || watching) {
                for (; s < q && g->tok.attr_name_len <= CS_NAME_MAX; s++) {
                    if (g->tok.attr_name_len < CS_NAME_MAX) {
                        g->tok.attr_name[g->tok.attr_name_len] =
                            (char) lower(*s);
                    }
                    g->tok.attr_name_len++;
                }
            }
            s = q;
            if (s == lim) {
                break;
            }
            if (capturing) {
                attr_name_done(g);
            }
            if (watching) {
                watch_attr_name(g);
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
                    g->el.attr_off = elem_offset(g, sc, s);
                }
                g->tok.capture = NULL;
                g->tok.watch_value = false;
                g->tok.attr_name_len = 0;
                st = S_ATTR_NAME;
            }
            break;

        case S_BEFORE_ATTR_VALUE:
            if (is_space(c)) {
                s++;
            } else if (c == '>') {
                goto tag_end;
            } else {
                st = c == '"' ? S_ATTR_VALUE_DQ
                     : c == '\'' ? S_ATTR_VALUE_SQ : S_ATTR_VALUE_UNQ;
                s += st != S_ATTR_VALUE_UNQ;
                if (g->tok.capture) {
                    g->tok.capture->value_off = elem_offset(g, sc, s);
                }
            }
            break;

        case S_ATTR_VALUE_DQ:
        case S_ATTR_VALUE_SQ:
            q = memchr(s, st == S_ATTR_VALUE_DQ ? '"' : '\'',
                       (size_t) (lim - s));
            if (q == NULL) {
                if (g->tok.capture) {
                    capture_value(g, s, (size_t) (lim - s));
                }
                if (g->tok.watch_value) {
                    watch_value(g, s, (size_t) (lim - s));
                }
                s = lim;
                break;
            }
            if (g->tok.capture) {
                capture_value(g, s, (size_t) (q - s));
                g->tok.capture->end = elem_offset(g, sc, q + 1);
                g->tok.capture = NULL;
            }
            if (g->tok.watch_value) {
                watch_value(g, s, (size_t) (q - s));
                g->tok.watch_value = false;
            }
            st = S_AFTER_ATTR_VALUE;
            s = q + 1;
            break;

        case S_ATTR_VALUE_UNQ:
            q = s;
            while (q < lim && !is_space(*q) && *q != '>') {
                q++;
            }
            if (g->tok.capture) {
                capture_value(g, s, (size_t) (q - s));
            }
            if (g->tok.watch_value) {
                watch_value(g, s, (size_t) (q - s));
            }
            s = q;
            if (s == lim) {
                break;
            }
            if (g->tok.capture) {
                g->tok.capture->end = elem_offset(g, sc, s);
                g->tok.capture = NULL;
            }
            g->tok.watch_value = false;
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

    g->tok.state = st;
    return s;

tag_end:
    g->tok.capture = NULL;
    g->tok.watch_value = false;
    g->tok.self_closing = st == S_SELF_CLOSING;
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

/*
 * The states that expect a '-': where a '-' (dash) leads, or where anything
 * else does (without consuming it).
 */
static cs_tok_state_t
after_dash(cs_tok_state_t st, bool dash)
{
    switch (st) {
    case S_MD_OPEN:                     /* "<!" */
        return dash ? S_MD_DASH : S_BOGUS_COMMENT;  /* DOCTYPE, CDATA... */
    case S_MD_DASH:                     /* "<!-" */
        return dash ? S_COMMENT_START : S_BOGUS_COMMENT;
    case S_SCRIPT_ESC_START:            /* "<!" in a script */
        return dash ? S_SCRIPT_ESC_START_DASH : S_SCRIPT;
    default:                            /* S_SCRIPT_ESC_START_DASH */
        return dash ? S_ESC_DASH_DASH : S_SCRIPT;
    }
}

void
gate_scan(cs_gate_t *g, const u_char_t *p, size_t n, bool held, int *rc)
{
    cs_scan_t        scan = { p, p + n, p, p, p, held, 0 };
    cs_scan_t       *sc = &scan;
    const u_char_t  *s = p, *end = p + n, *lim, *q;
    u_char_t         c, closer;
    bool             esc;

    if (*rc != 0) {
        return;
    }

    while (s < end && sc->rc == 0) {
        lim = end;
        if (g->el.mode == M_HOLD) {
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

        switch (g->tok.state) {

        case S_DATA:
            if (g->el.mode == M_PASS && g->el.kind == CS_TAG_NONE
                && g->tok.open_depth == 0)
            {
                /* in foreign content every tag counts: no skipping */
                q = cs_gate_skip_plain(s, lim, g->simd);
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
            if (g->el.mode == M_HOLD) {
                /* an SVG <script>'s text ends at the '<' of its end tag */
                g->el.lt_off = elem_offset(g, sc, q);
            }
            s = q + 1;
            g->tok.state = S_TAG_OPEN;
            if (s == lim) {
                break;
            }
            c = *s;
            /* fall through */

        case S_TAG_OPEN:
            if (g->el.kind == CS_TAG_SHEET && g->el.foreign_depth
                && g->el.mode == M_HOLD && (is_alpha(c) || c == '/'))
            {
                sheet_text_end(g, sc, s);       /* an SVG <style>'s */
                if (sc->rc != 0) {
                    break;
                }
            }
            if (is_alpha(c)) {
                g->tok.end_tag = false;
                g->tok.raw_end = false;
                g->tok.tag_passed = false;
                g->tok.tag_name_len = 0;
                g->tok.tag_name_total = 0;
                g->tok.state = S_TAG_NAME;
                goto tag_name;
            }
            if (g->el.mode == M_HOLD && g->el.kind == CS_TAG_PENDING) {
                keep_element(g, sc);
                g->el.kind = CS_TAG_NONE;
            }
            if (c == '!') {
                g->tok.state = S_MD_OPEN;
                s++;
            } else if (c == '/') {
                g->tok.state = S_END_TAG_OPEN;
                s++;
            } else if (c == '?') {
                g->tok.state = S_BOGUS_COMMENT;
            } else {
                g->tok.state = S_DATA;              /* a lone '<' is text */
            }
            break;

        case S_END_TAG_OPEN:
            if (is_alpha(c)) {
                g->tok.end_tag = true;
                g->tok.raw_end = false;
                g->tok.tag_name_len = 0;
                g->tok.tag_name_total = 0;
                g->tok.state = S_TAG_NAME;
            } else if (c == '>') {
                g->tok.state = S_DATA;              /* "</>" is ignored */
                s++;
            } else {
                g->tok.state = S_BOGUS_COMMENT;
            }
            break;

        case S_TAG_NAME:
        tag_name:
            q = s;
            while (q < lim && !(cs_gate_char_class[*q] & C_TAG_END)) {
                q++;
            }
            /*
             * Names that decide anything are 3 to 9 letters long; others
             * only need their length, but in foreign content every name
             * opens or closes an element.
             */
            g->tok.tag_name_total += (size_t) (q - s);
            if (g->tok.tag_name_len + (size_t) (q - s) <= CS_NAME_MAX) {
                if (g->tok.open_depth || !g->tok.end_tag) {
                    for (const u_char_t *k = s; k < q; k++) {
                        g->tok.tag_name[g->tok.tag_name_len++] =
                            (char) lower(*k);
                    }
                } else {
                    g->tok.tag_name_len += (size_t) (q - s);
                }
            } else {
                size_t k = g->tok.tag_name_len;
                for (; k < CS_NAME_MAX && g->tok.open_depth; k++, s++) {
                    g->tok.tag_name[k] = (char) lower(*s);  /* its start */
                }
                g->tok.tag_name_len = CS_NAME_MAX + 1;
            }
            s = q;
            if (s == lim) {
                break;
            }
            g->tok.capture = NULL;
            g->tok.state = S_BEFORE_ATTR_NAME;
            if (!g->tok.end_tag) {
                const cs_tag_row_t  *row;
                cs_tag_kind_t        kind = CS_TAG_NONE;

                g->tok.tag_foreign = start_tag_foreign(g);
                row = tag_row(g);
                if (1 + g->tok.tag_name_total >= g->conf.max_element) {
                    /* held from its '<', it would have run past
                       max_element in its name (elem_overflow) */
                    g->tok.tag_passed = true;
                }

                if (g->tok.tag_passed) {
                    row = NULL;         /* its '<' went out (max_element) */
                } else if (row && cs_gate_kind_gated(row->kind)) {
                    kind = row->kind;
                } else {
                    /*
                     * Any other start tag read here (the skipper stopped
                     * at it, or foreign content) may carry a style
                     * attribute: held to its '>' (in-chunk: pointers),
                     * unless it is part of an element held already.
                     */
                    row = cs_gate_any_row();
                    kind = row->kind;
                }

                if (g->el.mode == M_HOLD && g->el.kind == CS_TAG_PENDING) {
                    /* the name straddled a chunk boundary */
                    g->el.kind = kind;
                    g->el.row = row;
                    if (kind == CS_TAG_NONE) {
                        keep_element(g, sc);
                    } else {
                        g->el.name_end_off = elem_offset(g, sc, s);
                    }
                } else if (kind != CS_TAG_NONE && g->el.mode == M_PASS) {
                    elem_begin(g, sc, sc->tag_lt);
                    g->el.kind = kind;
                    g->el.row = row;
                    g->el.name_end_off = elem_offset(g, sc, s);
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
            if (c == '[' && in_foreign(g)) {
                g->tok.match_len = 1;       /* "<![CDATA[" */
                g->tok.state = S_MD_CDATA;
                s++;
                break;
            }
            /* fall through */
        case S_MD_DASH:
        case S_SCRIPT_ESC_START:
        case S_SCRIPT_ESC_START_DASH:
            g->tok.state = after_dash(g->tok.state, c == '-');
            s += c == '-';
            break;

        case S_COMMENT_START:
            if (c == '-') {
                g->tok.state = S_COMMENT_START_DASH;
                s++;
            } else if (c == '>') {
                g->tok.state = S_DATA;              /* "<!-->" */
                s++;
            } else {
                g->tok.comment_dashes = 0;
                g->tok.state = S_COMMENT;
            }
            break;

        case S_COMMENT_START_DASH:
            if (c == '-') {
                g->tok.comment_dashes = 2;
                g->tok.state = S_COMMENT;
                s++;
            } else if (c == '>') {
                g->tok.state = S_DATA;              /* "<!--->" */
                s++;
            } else {
                g->tok.comment_dashes = 0;
                g->tok.state = S_COMMENT;
            }
            break;

        case S_COMMENT:
        case S_CDATA:
            /*
             * Up to "-->" (or "--!>"), or for a CDATA section (13.2.5.69-71)
             * "]]>": the closer's count is comment_dashes.
             */
            closer = g->tok.state == S_COMMENT ? '-' : ']';
            if (g->tok.comment_dashes == 0) {
                q = memchr(s, closer, (size_t) (lim - s));
                if (q == NULL) {
                    s = lim;
                    break;
                }
                s = q;
                c = *s;
            }
            s++;
            if (c == closer) {
                g->tok.comment_dashes++;
            } else if (c == '>' && g->tok.comment_dashes >= 2) {
                g->tok.state = S_DATA;
            } else if (c == '!' && g->tok.comment_dashes >= 2
                       && g->tok.state == S_COMMENT)
            {
                g->tok.state = S_COMMENT_END_BANG;
            } else {
                g->tok.comment_dashes = 0;
            }
            break;

        case S_COMMENT_END_BANG:
            if (c == '>') {
                g->tok.state = S_DATA;              /* "--!>" */
                s++;
            } else if (c == '-') {
                g->tok.comment_dashes = 1;
                g->tok.state = S_COMMENT;
                s++;
            } else {
                g->tok.comment_dashes = 0;
                g->tok.state = S_COMMENT;
            }
            break;

        case S_MD_CDATA:
            if (c != (u_char_t) "[CDATA["[g->tok.match_len]) {
                g->tok.state = S_BOGUS_COMMENT;
                break;
            }
            s++;
            if (++g->tok.match_len == sizeof("[CDATA[") - 1) {
                g->tok.comment_dashes = 0;
                g->tok.state = S_CDATA;
            }
            break;

        case S_BOGUS_COMMENT:
            q = memchr(s, '>', (size_t) (lim - s));
            if (q == NULL) {
                s = lim;
            } else {
                s = q + 1;
                g->tok.state = S_DATA;
            }
            break;

        case S_RAW:
        case S_SCRIPT:
            q = memchr(s, '<', (size_t) (lim - s));
            if (q == NULL) {
                s = lim;
                break;
            }
            if (g->el.mode == M_HOLD) {
                g->el.lt_off = elem_offset(g, sc, q);   /* maybe its end tag */
            }
            s = q + 1;
            g->tok.state = g->tok.state == S_RAW ? S_RAW_LT : S_SCRIPT_LT;
            break;

        case S_RAW_LT:
        case S_SCRIPT_LT:
        case S_ESC_LT:
            if (c == '/') {
                g->tok.fail_state = g->tok.state == S_RAW_LT ? S_RAW
                                    : g->tok.state == S_SCRIPT_LT ? S_SCRIPT
                                    : S_ESC;
                g->tok.match_len = 0;
                g->tok.state = S_END_NAME;
                s++;
            } else if (g->tok.state == S_SCRIPT_LT && c == '!') {
                g->tok.state = S_SCRIPT_ESC_START;
                s++;
            } else if (g->tok.state == S_ESC_LT && is_alpha(c)) {
                g->tok.temp_len = 0;
                g->tok.temp_is_script = true;
                g->tok.state = S_DESC_START;
            } else {
                g->tok.state = g->tok.state == S_RAW_LT ? S_RAW
                               : g->tok.state == S_SCRIPT_LT ? S_SCRIPT
                               : S_ESC;
            }
            break;

        case S_END_NAME:
            if (g->tok.match_len < g->tok.raw_name_len
                && lower(c) == (u_char_t) g->tok.raw_name[g->tok.match_len])
            {
                g->tok.match_len++;
                s++;
            } else if (g->tok.match_len == g->tok.raw_name_len
                       && (is_space(c) || c == '/' || c == '>'))
            {
                g->tok.end_tag = true;
                g->tok.raw_end = true;
                s++;
                if (c == '>') {
                    tag_done(g, sc, s - 1);
                } else if (c == '/') {
                    g->tok.state = S_SELF_CLOSING;
                } else {
                    g->tok.state = S_BEFORE_ATTR_NAME;
                }
            } else {
                g->tok.state = g->tok.fail_state;       /* reprocess as text */
            }
            break;

        case S_ESC:
        case S_ESC_DASH:
        case S_ESC_DASH_DASH:
        case S_DESC:
        case S_DESC_DASH:
        case S_DESC_DASH_DASH:
            /* script data escaped, and double escaped: the same dashes */
            esc = g->tok.state <= S_ESC_DASH_DASH;
            if (g->tok.state == S_ESC || g->tok.state == S_DESC) {
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
                g->tok.state = g->tok.state == S_ESC ? S_ESC_DASH
                               : g->tok.state == S_DESC ? S_DESC_DASH
                               : esc ? S_ESC_DASH_DASH : S_DESC_DASH_DASH;
            } else if (c == '<') {
                if (esc && g->el.mode == M_HOLD) {
                    g->el.lt_off = elem_offset(g, sc, s - 1); /* its end? */
                }
                g->tok.state = esc ? S_ESC_LT : S_DESC_LT;
            } else if (c == '>' && (g->tok.state == S_ESC_DASH_DASH
                                    || g->tok.state == S_DESC_DASH_DASH))
            {
                g->tok.state = S_SCRIPT;
            } else {
                g->tok.state = esc ? S_ESC : S_DESC;
            }
            break;

        case S_DESC_START:
        case S_DESC_END:
            if (is_alpha(c)) {
                if (g->tok.temp_len >= 6
                    || lower(c) != "script"[g->tok.temp_len])
                {
                    g->tok.temp_is_script = false;
                }
                g->tok.temp_len++;
                s++;
            } else if (is_space(c) || c == '/' || c == '>') {
                bool script = g->tok.temp_is_script && g->tok.temp_len == 6;
                if (g->tok.state == S_DESC_START) {
                    g->tok.state = script ? S_DESC : S_ESC;
                } else {
                    g->tok.state = script ? S_ESC : S_DESC;
                }
                s++;
            } else {
                g->tok.state = g->tok.state == S_DESC_START ? S_ESC : S_DESC;
            }
            break;

        case S_DESC_LT:
            if (c == '/') {
                g->tok.temp_len = 0;
                g->tok.temp_is_script = true;
                g->tok.state = S_DESC_END;
                s++;
            } else {
                g->tok.state = S_DESC;
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
        if (g->el.mode == M_PASS
            && (g->tok.state == S_TAG_OPEN
                || (g->tok.state == S_TAG_NAME && !g->tok.end_tag
                    && !g->tok.tag_passed)))
        {
            /*
             * A start tag that straddles chunks is held (any may carry a
             * style attribute), unless its name alone is past max_element
             * (as when it is read whole: see S_TAG_NAME).
             */
            if ((size_t) (end - sc->tag_lt) >= g->conf.max_element) {
                g->tok.tag_passed = true;
            } else {
                elem_begin(g, sc, sc->tag_lt);
            }
        }
        if (g->el.mode == M_HOLD) {
            if (!g->hold.has_element) {
                emit(g, sc, sc->out, sc->elem, sc->held);
                sc->out = sc->elem;
                g->hold.has_element = true;
            }
            if (!hold_append(g, sc->out, (size_t) (end - sc->out))) {
                sc->rc = -1;
            }
        } else if (g->el.mode == M_VOID) {
            drop_rest(g, sc, end);
        } else {
            emit(g, sc, sc->out, end, sc->held);
        }
    }
    if (sc->rc != 0) {
        *rc = sc->rc;
    }
    g->report.fed += n;
}

int
cs_gate_feed(cs_gate_t *g, const unsigned char *p, size_t n)
{
    int rc = 0;

    gate_scan(g, p, n, false, &rc);
    return rc;
}

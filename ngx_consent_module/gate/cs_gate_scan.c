/*
 * The tokenizer: a WHATWG-shaped HTML tokenizer that passes every byte
 * through unchanged except the elements the decisions (cs_gate.c) remove.
 * gate_scan() is the hot switch; attrs_scan() the attribute loop. Which
 * names and attributes matter comes from the table (cs_gate_tags.c).
 */

#include "cs_gate_int.h"

/* The row of the start tag just named, in this view of the page. */
static const cs_tag_row_t *
tag_row(const cs_gate_t *g)
{
    const cs_tag_row_t *row = cs_gate_tag_row(g->tok.tag_name,
                                              g->tok.tag_name_len);

    if (row && row->kind == CS_TAG_NOSCRIPT && g->tok.scripting_off) {
        return NULL;            /* markup to a browser without scripting */
    }
    return row;
}

/* The tokenizer state that follows a start tag. */
static void
enter_content(cs_gate_t *g)
{
    const cs_tag_row_t *row = tag_row(g);

    g->tok.state = S_DATA;
    if (row == NULL) {
        return;
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
    default:
        break;
    }
}

static void
tag_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const cs_tag_row_t  *row;

    if (g->tok.end_tag) {
        if (g->tok.raw_end) {
            raw_element_done(g, sc, s);
        }
        g->tok.state = S_DATA;
        return;
    }
    enter_content(g);
    if (g->el.kind != CS_TAG_NONE) {
        start_tag_done(g, sc, s);
    } else if (g->conf.head_inject && !g->tok.head_done
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
    for (size_t i = 0; i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        const cs_tag_attr_t  *a = &row->attrs[i];
        cs_attr_value_t      *v = &g->el.attr[i];

        if (strlen(a->name) != l || memcmp(a->name, n, l) != 0) {
            continue;
        }
        /* The first of duplicate attributes wins, as in a browser. */
        if (!v->seen) {
            v->seen = true;
            v->off = g->el.attr_off;
            if (a->ties_element || a->cut || attr_is_token(a)) {
                g->tok.capture = v;
            }
        }
        return;
    }
}

static void
capture_value(cs_gate_t *g, const u_char_t *p, size_t n)
{
    cs_attr_value_t  *v = g->tok.capture;
    bool              fold = attr_is_token(
                                 &g->el.row->attrs[v - g->el.attr]);
    size_t            cap = fold ? CS_TOKEN_MAX : CS_URL_MAX;

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
                                 && g->el.kind > CS_TAG_PENDING;

    /*
     * Fast path for tags nothing is captured from: runs of name="value"
     * pairs. Anything unusual drops into the full state machine below.
     */
    while (!capturing && st == S_BEFORE_ATTR_NAME) {
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
            if (capturing) {
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
                s = lim;
                break;
            }
            if (g->tok.capture) {
                capture_value(g, s, (size_t) (q - s));
                g->tok.capture->end = elem_offset(g, sc, q + 1);
                g->tok.capture = NULL;
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
            s = q;
            if (g->tok.tag_name_len > CS_NAME_MAX && g->el.mode == M_HOLD
                && g->el.kind == CS_TAG_PENDING)
            {
                keep_element(g, sc);       /* too long to name an element */
                g->el.kind = CS_TAG_NONE;
            }
            if (s == lim) {
                break;
            }
            if (g->tok.capture) {
                g->tok.capture->end = elem_offset(g, sc, s);
                g->tok.capture = NULL;
            }
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
    u_char_t         c;
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
            if (g->el.mode == M_PASS && g->el.kind == CS_TAG_NONE) {
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
            s = q + 1;
            g->tok.state = S_TAG_OPEN;
            if (s == lim) {
                break;
            }
            c = *s;
            /* fall through */

        case S_TAG_OPEN:
            if (is_alpha(c)) {
                g->tok.end_tag = false;
                g->tok.raw_end = false;
                g->tok.tag_name_len = 0;
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
             * only need their length.
             */
            if (g->tok.tag_name_len + (size_t) (q - s) <= CS_NAME_MAX) {
                if (!g->tok.end_tag
                    && (q == lim
                        || g->tok.tag_name_len + (size_t) (q - s) >= 3))
                {
                    for (const u_char_t *k = s; k < q; k++) {
                        g->tok.tag_name[g->tok.tag_name_len++] =
                            (char) lower(*k);
                    }
                } else {
                    g->tok.tag_name_len += (size_t) (q - s);
                }
            } else {
                g->tok.tag_name_len = CS_NAME_MAX + 1;
            }
            s = q;
            if (g->tok.tag_name_len > CS_NAME_MAX && g->el.mode == M_HOLD
                && g->el.kind == CS_TAG_PENDING)
            {
                keep_element(g, sc);       /* too long to name an element */
                g->el.kind = CS_TAG_NONE;
            }
            if (s == lim) {
                break;
            }
            g->tok.capture = NULL;
            g->tok.state = S_BEFORE_ATTR_NAME;
            if (!g->tok.end_tag) {
                const cs_tag_row_t  *row = tag_row(g);
                cs_tag_kind_t        kind = CS_TAG_NONE;

                if (row && cs_gate_kind_gated(row->kind)) {
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
            if (g->tok.comment_dashes == 0) {
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
                g->tok.comment_dashes++;
            } else if (c == '>' && g->tok.comment_dashes >= 2) {
                g->tok.state = S_DATA;
            } else if (c == '!' && g->tok.comment_dashes >= 2) {
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
                    && g->tok.tag_name_len <= CS_NAME_MAX)))
        {
            /* a tag name that straddles chunks may name an element */
            elem_begin(g, sc, sc->tag_lt);
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

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

void
cut_attributes(cs_gate_t *g, const u_char_t *p, size_t n)
{
    const cs_tag_row_t  *row = g->el.row;
    cs_element_t        *el = &g->el;

    for (size_t i = 0; row && i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        const cs_attr_value_t  *v = &el->attr[i];
        cs_cut_t                cand[CS_ELEMENT_CUTS];
        int                     ncand = -2;
        size_t                  off;

        if (!row->attrs[i].cut || !v->seen || v->len == 0
            || v->end == CS_NO_OFFSET || v->end > n)
        {
            continue;               /* nothing to fetch, or not ended */
        }
        if (row->attrs[i].kind == CS_ATTR_SRCSET) {
            ncand = srcset_cuts(g, v, cand,
                                CS_ELEMENT_CUTS - el->ncuts);
            if (ncand == -1 && !other_url_seen(g, i)) {
                el->denied = true;  /* nothing left it could show */
                return;
            }
        } else if (!url_denied(g, v->buf, v->len)) {
            continue;
        }
        if (ncand > 0) {
            for (int k = 0; k < ncand; k++) {
                add_cut(el, v->value_off + cand[k].off,
                        v->value_off + cand[k].end);
            }
            continue;
        }
        if (ncand == 0) {
            continue;
        }
        /* the attribute whole, with the spaces before it */
        for (off = v->off; off > 0 && is_space(p[off - 1]); off--) {
            /* void */
        }
        if (!add_cut(el, off, v->end)) {
            el->denied = true;      /* cannot cut it: the element goes */
            return;
        }
    }
}

void
keep_element_cut(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n)
{
    cs_element_t  *el = &g->el;
    bool           held = g->hold.has_element || sc->held;
    size_t         from = 0, removed = 0;

    if (el->ncuts == 0) {
        keep_element(g, sc);
        return;
    }
    if (g->hold.has_element) {
        g->hold.len = 0;
        g->hold.has_element = false;
    } else {
        emit(g, sc, sc->out, sc->elem, sc->held);   /* the bytes before it */
    }
    /* in element order; a srcset's ranges may overlap */
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
    g->stats.attributes_removed += removed;
    el->ncuts = 0;
    sc->out = upto;
    el->mode = M_PASS;
}

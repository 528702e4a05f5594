/*
 * An <iframe srcdoc>: its value is a document, which the frame loads as
 * any other. It is decoded (character references) and gated in turn by an
 * inner gate with the same rules, consent, site and base URL. When that
 * removes nothing the value stays as it was; else the value is written
 * back with what stays: every byte the inner gate kept is copied from the
 * value as written (so references stay as they were spelled), and bytes
 * it made itself (a nested srcdoc written back) are escaped for the
 * value's quotes. A value the gate cannot read whole, or nested deeper
 * than CS_DOC_DEPTH, denies the element (fail closed).
 */

#include "cs_gate_int.h"

/* The value being gated and what is written back. */
typedef struct {
    cs_gate_t       *g;
    const u_char_t  *raw;         /* the value as written */
    const u_char_t  *dec;         /* decoded: what the inner gate reads */
    size_t           dec_len;
    const size_t    *from;        /* dec byte -> raw offset (dec_len + 1) */
    size_t           next;        /* dec offset after the last byte kept */
    u_char_t         quote;       /* '"' or '\'' */
    u_char_t        *out;
    size_t           len;
    size_t           cap;         /* bounded: 6 bytes per raw byte */
} cs_srcdoc_t;

static bool
out_put(cs_srcdoc_t *d, const u_char_t *p, size_t n)
{
    if (n > d->cap - d->len) {
        return false;
    }
    memcpy(d->out + d->len, p, n);
    d->len += n;
    return true;
}

/* Copies the raw bytes that decoded bytes [a, b) came from. */
static bool
out_raw(cs_srcdoc_t *d, size_t a, size_t b)
{
    d->next = b;
    return out_put(d, d->raw + d->from[a], d->from[b] - d->from[a]);
}

/*
 * Emit callback of the inner gate. Bytes it kept from the decoded value
 * (in place, or a copy that continues where the last kept bytes ended)
 * are copied from the value as written; anything else is escaped. A
 * decoded byte that stands for no ASCII character (a numeric reference
 * beyond it) cannot be written back from a copy: fail closed.
 */
static int
srcdoc_emit(void *ud, const unsigned char *p, size_t n, bool held)
{
    cs_srcdoc_t *d = ud;

    (void) held;
    if (p >= d->dec && p < d->dec + d->dec_len) {
        size_t a = (size_t) (p - d->dec);
        return out_raw(d, a, a + n) ? 0 : -1;
    }
    if (n <= d->dec_len - d->next && memcmp(p, d->dec + d->next, n) == 0) {
        return out_raw(d, d->next, d->next + n) ? 0 : -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *esc = p[i] == '&' ? "&amp;"
                          : p[i] == d->quote
                            ? (d->quote == '"' ? "&quot;" : "&#39;")
                          : NULL;
        bool ok = esc ? out_put(d, (const u_char_t *) esc, strlen(esc))
                      : p[i] != 0x7f && out_put(d, p + i, 1);
        if (!ok) {
            return -1;
        }
    }
    return 0;
}

static void *
doc_alloc(cs_gate_t *g, size_t size)
{
    return g->conf.allocator.alloc(g->conf.allocator.ctx, size);
}

static void
doc_free(cs_gate_t *g, void *p)
{
    if (p) {
        g->conf.allocator.free(g->conf.allocator.ctx, p);
    }
}

/* The srcdoc attribute of the element, or NULL. */
static const cs_attr_value_t *
srcdoc_attr(const cs_gate_t *g)
{
    const cs_tag_row_t *row = g->el.row;

    for (size_t i = 0; row && i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        if (row->attrs[i].kind == CS_ATTR_DOCUMENT && g->el.attr[i].seen) {
            return &g->el.attr[i];
        }
    }
    return NULL;
}

void
srcdoc_gate(cs_gate_t *g, const u_char_t *p, size_t n)
{
    const cs_attr_value_t  *v = srcdoc_attr(g);
    cs_srcdoc_t             d;
    cs_gate_stats_t         st;
    size_t                  raw_len, val_end, *from = NULL;
    u_char_t               *dec = NULL;
    bool                    quoted;
    int                     rc;

    if (v == NULL) {
        return;
    }
    if (!g->el.start_tag_ended || (v->end != CS_NO_OFFSET && v->end > n)) {
        g->el.denied = true;            /* cut short: not read whole */
        return;
    }
    if (v->end == CS_NO_OFFSET) {
        return;                         /* no value: an empty document */
    }
    quoted = v->value_off > 0
             && (p[v->value_off - 1] == '"' || p[v->value_off - 1] == '\'');
    val_end = quoted ? v->end - 1 : v->end;
    raw_len = val_end - v->value_off;
    if (raw_len == 0) {
        return;
    }
    if (g->doc_depth >= CS_DOC_DEPTH) {
        g->el.denied = true;            /* nested too deep to read */
        return;
    }

    memset(&d, 0, sizeof(d));
    d.g = g;
    d.raw = p + v->value_off;
    d.quote = quoted ? p[v->value_off - 1] : '"';
    if (!quoted && memchr(d.raw, '"', raw_len)) {
        /* written back quoted: with the quote the value does not hold */
        if (memchr(d.raw, '\'', raw_len)) {
            g->el.denied = true;
            return;
        }
        d.quote = '\'';
    }
    d.cap = raw_len * 6 + 2;
    dec = doc_alloc(g, raw_len);
    from = doc_alloc(g, (raw_len + 1) * sizeof(size_t));
    d.out = doc_alloc(g, d.cap);
    if (dec == NULL || from == NULL || d.out == NULL) {
        rc = -1;
        goto done;
    }
    d.dec = dec;
    d.from = from;
    d.dec_len = cs_decode_entities_map((const char *) d.raw, raw_len,
                                       (char *) dec, raw_len, from);
    if (!quoted) {
        d.out[d.len++] = d.quote;       /* written back quoted */
    }
    rc = inner_run(g, dec, d.dec_len, true, srcdoc_emit, &d, &st,
                   INNER_DOCUMENT);
    if (!quoted && rc == 0 && !out_put(&d, &d.quote, 1)) {
        rc = -1;
    }

done:
    doc_free(g, dec);
    doc_free(g, from);
    if (rc != 0) {
        doc_free(g, d.out);
        g->el.denied = true;            /* could not gate it: fail closed */
        return;
    }
    g->stats.unknown_hosts += st.unknown_hosts;
    if (st.elements_removed == 0 && st.attributes_removed == 0) {
        doc_free(g, d.out);             /* nothing went: the bytes stay */
        return;
    }
    g->stats.elements_removed += st.elements_removed;
    g->stats.unknown_removed += st.unknown_removed;
    g->stats.oversize_removed += st.oversize_removed;
    /* the page's bytes that go: the value as written less what stays */
    g->stats.bytes_removed += raw_len > d.len ? raw_len - d.len : 0;
    g->stats.attributes_removed += st.attributes_removed;
    if (!add_cut(&g->el, v->value_off, val_end)) {
        doc_free(g, d.out);
        g->el.denied = true;            /* cannot write it back */
        return;
    }
    doc_free(g, g->doc_buf);            /* the last element's, emitted */
    g->doc_buf = d.out;
    g->doc_cap = d.cap;
    g->el.cuts[g->el.ncuts - 1].with = d.out;
    g->el.cuts[g->el.ncuts - 1].with_len = d.len;
}

/*
 * Neutralize: a denied element rewritten inert, for a consent manager to
 * re-activate in the browser.
 */

#include "cs_gate_int.h"

#define CS_RENAME_PREFIX  "data-consent-"

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
 * browser: type="text/plain" (a loader) and data-consent="ids" after the
 * tag name, and each attribute the table marks renamed (src, type,
 * srcset) renamed to data-consent-<name>. Every other byte is unchanged.
 * Returns false when it cannot (too many recipients to list, or one the
 * site does not declare): the caller strips instead.
 */
bool
neutralize_element(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n)
{
    char    ins[CS_NEUTRAL_MAX];
    size_t  il = 0;
    bool    held = g->hold.has_element || sc->held;
    const cs_tag_row_t  *row = g->el.row;
    struct {
        size_t       off;
        const char  *name;
    } edit[CS_TAG_ATTRS], tmp;
    char    with[sizeof(CS_RENAME_PREFIX) + CS_NAME_MAX];
    size_t  ne = 0, pos, cut;

    if (g->el.recipients_overflow || g->el.nrecipients == 0) {
        return false;
    }
    for (uint32_t i = 0; g->conf.declared && i < g->el.nrecipients; i++) {
        if (!cs_bitset_test(g->conf.declared, g->el.recipients[i])) {
            return false;        /* undisclosed: must never load, strip it */
        }
    }

    il = append_str(ins, il, sizeof(ins), g->el.kind == CS_TAG_LOADER
                    ? " type=\"text/plain\" data-consent=\""
                    : " data-consent=\"");
    for (uint32_t i = 0; i < g->el.nrecipients; i++) {
        const cs_recipient_t *r = cs_rules_recipient(g->conf.rules,
                                                     g->el.recipients[i]);
        if (i > 0) {
            il = append_str(ins, il, sizeof(ins), " ");
        }
        il = append_str(ins, il, sizeof(ins), r ? r->id : "?");
    }
    il = append_str(ins, il, sizeof(ins), "\"");
    if (il > sizeof(ins)) {
        return false;
    }

    for (size_t i = 0; i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        if (row->attrs[i].renamed && g->el.attr[i].off != CS_NO_OFFSET) {
            edit[ne].off = g->el.attr[i].off;
            edit[ne++].name = row->attrs[i].name;
        }
    }
    for (size_t i = 1; i < ne; i++) {               /* a few: insertion */
        for (size_t j = i; j > 0 && edit[j].off < edit[j - 1].off; j--) {
            tmp = edit[j];
            edit[j] = edit[j - 1];
            edit[j - 1] = tmp;
        }
    }

    if (!g->hold.has_element) {
        emit(g, sc, sc->out, p, sc->held);          /* bytes before it */
    }
    emit(g, sc, p, p + g->el.name_end_off, held);
    emit(g, sc, (const u_char_t *) ins, (const u_char_t *) ins + il, true);
    pos = g->el.name_end_off;
    for (size_t i = 0; i < ne; i++) {
        cut = strlen(edit[i].name);
        if (edit[i].off < pos || edit[i].off + cut > n) {
            continue;                               /* cannot happen */
        }
        memcpy(with, CS_RENAME_PREFIX, sizeof(CS_RENAME_PREFIX) - 1);
        memcpy(with + sizeof(CS_RENAME_PREFIX) - 1, edit[i].name, cut);
        emit(g, sc, p + pos, p + edit[i].off, held);
        emit(g, sc, (const u_char_t *) with,
             (const u_char_t *) with + sizeof(CS_RENAME_PREFIX) - 1 + cut,
             true);
        pos = edit[i].off + cut;
    }
    emit(g, sc, p + pos, p + n, held);

    g->hold.len = 0;
    g->hold.has_element = false;
    sc->out = upto;
    g->stats.elements_neutralized++;
    return true;
}

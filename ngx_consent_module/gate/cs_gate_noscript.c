/*
 * A <noscript>'s content, as a browser without scripting parses it: pixels
 * inside are judged one by one by an inner gate; the wrapper goes too when
 * nothing but whitespace would remain. The judging run asks on_unknown_host
 * and records the answers; the emitting run replays them.
 */

#include "cs_gate_int.h"

static int
count_substance(void *ud, const unsigned char *p, size_t n, bool held)
{
    bool *substantive = ud;
    (void) held;
    for (size_t i = 0; i < n; i++) {
        if (!is_space(p[i])) {
            *substantive = true;
            break;
        }
    }
    return 0;
}

/*
 * Hooks of the inner gates judging a <noscript>'s content (ud: the outer
 * gate). The judging run collects what ties the wrapper and asks
 * on_unknown_host, recording the answers; the emitting run reports each
 * removed pixel and replays the answers, so nothing is asked twice.
 */
static void
inner_collect(void *ud, uint32_t recipient, cs_action_t done, size_t bytes)
{
    cs_gate_t *g = ud;

    (void) done;
    (void) bytes;
    if (recipient == CS_RECIPIENT_UNKNOWN) {
        g->el.unknown_remove = true;
    } else if (g->report.set) {
        cs_bitset_set(g->report.set, recipient);
    }
}

static int
inner_ask(void *ud, const char *host, size_t len)
{
    cs_gate_t  *g = ud;
    int         remove = g->conf.on_unknown_host(g->conf.hook_ud, host, len)
                         != 0;

    if (g->replay.len == g->replay.cap) {
        size_t    cap = g->replay.cap ? g->replay.cap * 2 : 64;
        uint64_t *na = g->conf.allocator.alloc(g->conf.allocator.ctx,
                                               cap / 64 * sizeof(uint64_t));
        if (na == NULL) {
            g->replay.hook_failed = true;
            return 1;
        }
        if (g->replay.answers) {
            memcpy(na, g->replay.answers,
                   g->replay.cap / 64 * sizeof(uint64_t));
            g->conf.allocator.free(g->conf.allocator.ctx, g->replay.answers);
        }
        g->replay.answers = na;
        g->replay.cap = cap;
    }
    if (remove) {
        cs_bitset_set(g->replay.answers, (uint32_t) g->replay.len);
    } else {
        g->replay.answers[g->replay.len / 64] &= ~((uint64_t) 1
                                             << (g->replay.len % 64));
    }
    g->replay.len++;
    return remove;
}

static int
inner_replay(void *ud, const char *host, size_t len)
{
    cs_gate_t *g = ud;

    (void) host;
    (void) len;
    if (g->replay.pos >= g->replay.len) {
        return 1;          /* the runs see the same bytes: cannot happen */
    }
    return cs_bitset_test(g->replay.answers, (uint32_t) g->replay.pos++);
}

static void
inner_forward(void *ud, uint32_t recipient, cs_action_t done, size_t bytes)
{
    cs_gate_t *g = ud;

    g->conf.on_element(g->conf.hook_ud, recipient, done, bytes);
}

/*
 * Runs a gate over a complete <noscript> content, as a browser without
 * scripting would parse it, or (INNER_DOCUMENT) over a srcdoc document as
 * a browser parses that. With a NULL emit it only reports whether
 * anything but whitespace stays.
 */
int
inner_run(cs_gate_t *g, const u_char_t *p, size_t n, bool held,
    cs_emit_cb cb, void *ud, cs_gate_stats_t *stats, cs_inner_run_t run)
{
    cs_gate_t       inner;
    cs_gate_conf_t  conf = g->conf;
    bool            ignored = false;
    int             rc = 0;

    conf.action = CS_ACTION_STRIP;     /* noscript pixels cannot re-run */
    conf.head_inject = NULL;
    conf.emit = cb ? cb : count_substance;
    conf.emit_ud = cb ? ud : &ignored;
    conf.max_element = n + CS_MIN_ELEMENT;   /* the content is all here */
    conf.hook_ud = g;
    if (run == INNER_DOCUMENT) {
        conf.hook_ud = g->conf.hook_ud;     /* its elements are the page's */
    } else if (run == INNER_JUDGE) {
        conf.on_element = (g->conf.on_element || g->conf.on_unknown_host)
                          ? inner_collect : NULL;
        conf.on_unknown_host = g->conf.on_unknown_host ? inner_ask : NULL;
        g->replay.len = 0;
        g->replay.hook_failed = false;
    } else {
        conf.on_element = g->conf.on_element ? inner_forward : NULL;
        conf.on_unknown_host = g->conf.on_unknown_host ? inner_replay : NULL;
        g->replay.pos = 0;
    }
    cs_gate_init(&inner, &conf);
    inner.tok.scripting_off = run != INNER_DOCUMENT;
    inner.base = g->base;
    inner.doc_depth = g->doc_depth + (run == INNER_DOCUMENT);
    gate_scan(&inner, p, n, held, &rc);
    if (rc == 0) {
        rc = cs_gate_finish(&inner);
    }
    if (rc == 0 && g->replay.hook_failed) {
        rc = -1;
    }
    *stats = inner.stats;
    cs_gate_cleanup(&inner);
    return rc;
}

/*
 * A complete (or EOF-terminated) <noscript>: pixels inside are judged one by
 * one; the wrapper goes too when nothing but whitespace would remain.
 */
void
noscript_decide(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, size_t end_tag_off)
{
    bool             held = g->hold.has_element || sc->held;
    bool             substantive = false;
    cs_gate_stats_t  st;
    const u_char_t  *content = p + g->el.content_off;
    size_t           clen = end_tag_off - g->el.content_off;

    if (inner_run(g, content, clen, held, count_substance, &substantive, &st,
                  INNER_JUDGE)
        != 0)
    {
        sc->rc = -1;
        return;
    }
    g->stats.unknown_hosts += st.unknown_hosts;
    if (st.elements_removed == 0 && st.attributes_removed == 0) {
        keep_element(g, sc);
        return;
    }
    if (!substantive) {
        drop_element(g, sc, upto, n, CS_DROP_WHOLE, CS_DROP_EMPTY_NOSCRIPT);
        return;
    }

    /* Keep the wrapper, emit the content minus the removed pixels. */
    if (g->hold.has_element) {
        emit(g, sc, p, content, true);
    } else {
        emit(g, sc, sc->out, content, sc->held);
    }
    if (inner_run(g, content, clen, held, g->conf.emit, g->conf.emit_ud, &st,
                  INNER_EMIT)
        != 0)
    {
        sc->rc = -1;
        return;
    }
    emit(g, sc, content + clen, p + n, held);
    g->stats.elements_removed += st.elements_removed;
    g->stats.unknown_removed += st.unknown_removed;
    g->stats.bytes_removed += st.bytes_removed;
    g->stats.attributes_removed += st.attributes_removed;
    g->hold.len = 0;
    g->hold.has_element = false;
    sc->out = upto;
    g->el.mode = M_PASS;
}

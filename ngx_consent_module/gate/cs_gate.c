/*
 * The streaming gate's API and its decisions. Only an element under
 * decision is held back, bounded by max_element; decisions depend only on
 * the element's bytes (at most its first max_element), never on how the
 * body was split into chunks.
 *
 * Every element dropped goes through drop_element(), which says what goes
 * and why. The tokenizer (cs_gate_scan.c) calls start_tag_done() and
 * raw_element_done() when a gated element's start tag or end tag ends.
 */

#include <stddef.h>

#include "cs_gate_int.h"

size_t
cs_gate_size(void)
{
    return sizeof(cs_gate_t);
}

void
cs_gate_init(cs_gate_t *g, const cs_gate_conf_t *conf)
{
    memset(g, 0, sizeof(*g));
    g->conf = *conf;
    g->simd = cs_cpu_simd(conf->simd_max);
    if (g->conf.max_element < CS_MIN_ELEMENT) {
        g->conf.max_element = CS_MIN_ELEMENT;
    }
}

const cs_gate_stats_t *
cs_gate_stats(const cs_gate_t *g)
{
    return &g->stats;
}

bool
cs_gate_holding(const cs_gate_t *g)
{
    return g->el.mode == M_HOLD;
}

void
cs_gate_cleanup(cs_gate_t *g)
{
    if (g->hold.buf) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->hold.buf);
        g->hold.buf = NULL;
    }
    g->hold.len = 0;
    g->hold.cap = 0;
    if (g->report.set) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->report.set);
        g->report.set = NULL;
    }
    if (g->replay.answers) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->replay.answers);
        g->replay.answers = NULL;
    }
    g->replay.cap = 0;
    if (g->doc_buf) {
        g->conf.allocator.free(g->conf.allocator.ctx, g->doc_buf);
        g->doc_buf = NULL;
    }
    g->doc_cap = 0;
}
/* Appends to the hold buffer, growing it up to max_element. */
bool
hold_append(cs_gate_t *g, const u_char_t *p, size_t n)
{
    if (n == 0) {
        return true;
    }
    if (g->hold.len + n > g->hold.cap) {
        size_t cap = g->hold.cap ? g->hold.cap : CS_HOLD_INITIAL;
        while (cap < g->hold.len + n) {
            cap *= 2;
        }
        if (cap > g->conf.max_element) {
            cap = g->conf.max_element;
        }
        if (cap < g->hold.len + n) {
            return false;       /* the scan limit makes this unreachable */
        }
        u_char_t *nb = g->conf.allocator.alloc(g->conf.allocator.ctx, cap);
        if (nb == NULL) {
            return false;
        }
        if (g->hold.len) {
            memcpy(nb, g->hold.buf, g->hold.len);
        }
        if (g->hold.buf) {
            g->conf.allocator.free(g->conf.allocator.ctx, g->hold.buf);
        }
        g->hold.buf = nb;
        g->hold.cap = cap;
    }
    memcpy(g->hold.buf + g->hold.len, p, n);
    g->hold.len += n;
    return true;
}

/* A gated element may start at lt: hold its bytes from there on. */
void
elem_begin(cs_gate_t *g, cs_scan_t *sc, const u_char_t *lt)
{
    g->hold.has_element = false;
    sc->elem = lt;
    elem_reset(g, sc);
}

/* The element under decision is a new one, its name not read yet. */
void
elem_reset(cs_gate_t *g, cs_scan_t *sc)
{
    if (g->conf.on_element) {
        if (g->report.set == NULL) {
            uint32_t count = cs_rules_recipient_count(g->conf.rules);
            g->report.set_words = cs_bitset_words(count ? count : 1);
            g->report.set = g->conf.allocator.alloc(g->conf.allocator.ctx,
                              g->report.set_words * sizeof(uint64_t));
            if (g->report.set == NULL) {
                sc->rc = -1;
                return;
            }
        }
        memset(g->report.set, 0, g->report.set_words * sizeof(uint64_t));
    }
    g->el.unknown_named = false;
    g->el.unknown_remove = false;
    g->el.mode = M_HOLD;
    g->el.kind = CS_TAG_PENDING;
    g->el.row = NULL;
    for (size_t i = 0; i < CS_ELEM_ATTRS; i++) {
        g->el.attr[i].seen = false;
        g->el.attr[i].len = 0;
        g->el.attr[i].off = CS_NO_OFFSET;
        g->el.attr[i].end = CS_NO_OFFSET;
    }
    g->el.ncuts = 0;
    g->el.sheet_text = false;
    g->el.sheet_skip = false;
    g->el.sheet_depth = 0;
    g->el.start_tag_ended = false;
    g->el.breaks_out = false;
    g->el.content_off = 0;
    g->el.lt_off = 0;
    g->el.foreign_depth = 0;
    g->el.denied = false;
    g->el.name_end_off = 0;
    g->el.nrecipients = 0;
    g->el.recipients_overflow = false;
}

/*
 * Makes the element's bytes up to "upto" contiguous: in place in the chunk,
 * or in the hold buffer (then the chunk's part is consumed).
 */
void
elem_take(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t **p, size_t *n)
{
    if (g->hold.has_element) {
        if (!hold_append(g, sc->out, (size_t) (upto - sc->out))) {
            sc->rc = -1;
        }
        sc->out = upto;
        *p = g->hold.buf;
        *n = g->hold.len;
    } else {
        *p = sc->elem;
        *n = (size_t) (upto - sc->elem);
    }
}

/* Keeps the held element: its bytes flow out unchanged. */
void
keep_element(cs_gate_t *g, cs_scan_t *sc)
{
    if (g->hold.has_element) {
        emit(g, sc, g->hold.buf, g->hold.buf + g->hold.len, true);
        g->hold.len = 0;
        g->hold.has_element = false;
    }
    g->el.mode = M_PASS;
}


/* ---- reporting removed elements ---- */

/* Calls on_element for what made the element go (see cs_gate.h). */
static void
report_element(cs_gate_t *g, cs_action_t done, size_t bytes)
{
    void  (*cb)(void *, uint32_t, cs_action_t, size_t) = g->conf.on_element;

    if (cb == NULL) {
        return;
    }
    if (g->report.set) {
        uint32_t count = cs_rules_recipient_count(g->conf.rules);
        for (size_t w = 0; w < g->report.set_words; w++) {
            uint64_t bits = g->report.set[w];
            while (bits) {
                uint32_t r = (uint32_t) (w * 64)
                             + (uint32_t) __builtin_ctzll(bits);
                bits &= bits - 1;
                if (r < count
                    && (!cs_bitset_test(g->conf.allowed, r)
                        || (g->conf.declared
                            && !cs_bitset_test(g->conf.declared, r))))
                {
                    cb(g->conf.hook_ud, r, done, bytes);
                }
            }
        }
    }
    if (g->el.unknown_remove) {
        cb(g->conf.hook_ud, CS_RECIPIENT_UNKNOWN, done, bytes);
    }
}

/*
 * The element, n bytes up to upto, is removed or neutralized: reported now
 * if it ended there, else when its end tag (or EOF) comes.
 */
static void
report_removed(cs_gate_t *g, const cs_scan_t *sc, const u_char_t *upto,
    size_t n, cs_action_t done, bool ended)
{
    if (ended) {
        report_element(g, done, n);
    } else {
        g->report.pending = true;
        g->report.action = done;
        g->report.start = stream_offset(g, sc, upto) - n;
    }
}

/* A removed or neutralized element ends before "end" (stream offset). */
void
report_end(cs_gate_t *g, uint64_t end)
{
    if (g->report.pending) {
        g->report.pending = false;
        report_element(g, g->report.action,
                       (size_t) (end - g->report.start));
    }
}

/* ---- dropping ---- */

/*
 * THE drop step: the element's bytes up to "upto" (len of them, taken with
 * elem_take) are removed, for the reason "why". CS_DROP_WHOLE: the element
 * ends at upto. CS_DROP_OPEN: it goes on; the rest is dropped as it
 * streams (M_VOID, drop_rest()) up to its end tag or EOF, where it is
 * reported.
 */
void
drop_element(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto, size_t len,
    cs_drop_extent_t extent, cs_drop_reason_t why)
{
    if (g->hold.has_element) {
        g->hold.len = 0;
        g->hold.has_element = false;
    } else {
        emit(g, sc, sc->out, sc->elem, sc->held);  /* the bytes before it */
    }
    sc->out = upto;
    g->el.breaks_out = false;           /* its tag is gone */
    g->stats.bytes_removed += len;
    g->stats.elements_removed++;
    if (g->el.unknown_remove) {
        g->stats.unknown_removed++;
    }
    if (why == CS_DROP_OVERSIZE) {
        g->stats.oversize_removed++;
    }
    report_removed(g, sc, upto, len, CS_ACTION_STRIP,
                   extent == CS_DROP_WHOLE);
    g->el.mode = extent == CS_DROP_WHOLE ? M_PASS : M_VOID;
}

/* More bytes of an element dropped open (M_VOID) go, up to "upto". */
void
drop_rest(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto)
{
    g->stats.bytes_removed += (size_t) (upto - sc->out);
    sc->out = upto;
}

static const cs_attr_value_t *elem_attr(const cs_gate_t *g,
    cs_attr_kind_t kind);

/*
 * A denied element goes: neutralized when so configured (never one
 * on_unknown_host asked to remove, never a hint or an element whose URL
 * neutralize does not rename: they have no inert form; never an <iframe>
 * with a srcdoc, whose document would load ungated, never one whose style
 * names a denied URL: neutralize leaves the style as it is), else dropped.
 * A void element whose tag ends foreign content is not dropped: its tag
 * stays with its URLs cut (keep_tag_cut), as the tree needs it, reported
 * as removed with the bytes cut.
 * "ended": the element ends at upto; else its content and end tag are
 * still to come (neutralized, they flow on unchanged).
 */
static void
deny_element(cs_gate_t *g, cs_scan_t *sc, const u_char_t *upto,
    const u_char_t *p, size_t n, bool ended)
{
    size_t  cut;

    if (g->conf.action == CS_ACTION_NEUTRALIZE && g->el.kind != CS_TAG_HINT
        && cs_gate_row_neutralizable(g->el.row)
        && elem_attr(g, CS_ATTR_DOCUMENT) == NULL
        && !g->el.unknown_remove && !style_denied(g, p, n)
        && neutralize_element(g, sc, upto, p, n))
    {
        report_removed(g, sc, upto, n, CS_ACTION_NEUTRALIZE, ended);
        g->el.mode = M_PASS;
        return;
    }
    if (g->el.breaks_out && ended && keep_tag_cut(g, sc, upto, p, n, &cut)) {
        g->stats.elements_removed++;
        if (g->el.unknown_remove) {
            g->stats.unknown_removed++;
        }
        report_removed(g, sc, upto, cut, CS_ACTION_STRIP, true);
        g->el.mode = M_PASS;
        return;
    }
    drop_element(g, sc, upto, n, ended ? CS_DROP_WHOLE : CS_DROP_OPEN,
                 CS_DROP_DENIED);
}

/* ---- tying the element to recipients ---- */

/* The element is tied to a recipient (callback of the rules' matchers). */
static void
tie_recipient(void *ud, uint32_t recipient)
{
    cs_gate_t *g = ud;
    uint32_t   i;

    if (g->report.set
        && recipient < cs_rules_recipient_count(g->conf.rules))
    {
        cs_bitset_set(g->report.set, recipient);
    }
    for (i = 0; i < g->el.nrecipients && g->el.recipients[i] != recipient;
         i++)
    {
        /* void */
    }
    if (i == g->el.nrecipients) {
        if (g->el.nrecipients < CS_ELEMENT_RECIPIENTS) {
            g->el.recipients[g->el.nrecipients++] = recipient;
        } else {
            g->el.recipients_overflow = true;
        }
    }
    if (recipient >= cs_rules_recipient_count(g->conf.rules)
        || !cs_bitset_test(g->conf.allowed, recipient))
    {
        g->el.denied = true;
        if (g->conf.blocked) {
            cs_bitset_set(g->conf.blocked, recipient);
        }
    }
}

/*
 * The path of an (entity-decoded) URL into out, with a leading '/', without
 * query or fragment, '\\' read as '/' and tabs and newlines dropped (as
 * the URL parser does); its length, 0 when it has none (a scheme without a
 * host: data:, javascript:...). has_host: cs_url_host() found one, so the
 * path starts after the authority.
 */
static size_t
url_path(const char *url, size_t len, bool has_host, char *out, size_t cap)
{
    size_t  i = 0, n = 0;

    if (has_host) {
        const char *ss = NULL;
        for (size_t k = 0; k + 1 < len && ss == NULL; k++) {
            if ((url[k] == '/' || url[k] == '\\')
                && (url[k + 1] == '/' || url[k + 1] == '\\'))
            {
                ss = url + k + 2;
            }
        }
        i = ss ? (size_t) (ss - url) : 0;
        while (i < len && url[i] != '/' && url[i] != '\\' && url[i] != '?'
               && url[i] != '#')
        {
            i++;                                    /* the authority */
        }
    } else {
        for (size_t k = 0; k < len && url[k] != '/' && url[k] != '?'
                           && url[k] != '#'; k++)
        {
            if (url[k] == ':') {
                return 0;                           /* a scheme, no host */
            }
        }
    }
    if (cap < 2) {
        return 0;
    }
    out[n++] = '/';
    if (i < len && (url[i] == '/' || url[i] == '\\')) {
        i++;
    }
    for (; i < len && n < cap && url[i] != '?' && url[i] != '#'; i++) {
        if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r') {
            out[n++] = url[i] == '\\' ? '/' : url[i];
        }
    }
    return n;
}

/* What a URL names: kept in the memo up to its host's last byte. */
typedef struct {
    int32_t   recipient;        /* -1: none */
    uint32_t  host_len;         /* 0: no host */
    char      host[256];        /* lowercase, NUL-terminated; kept in the
                                   memo only when it is unknown */
} cs_url_named_t;

/*
 * The path of a relative URL (path its url_path(), pl bytes) resolved
 * against the base's: from the base's last '/' unless it starts with one;
 * the base's path itself when it starts with '?' or '#'. Returns its
 * length in out.
 */
static size_t
base_resolve_path(const cs_gate_t *g, const char *url, size_t len,
    const char *path, size_t pl, char *out, size_t cap)
{
    size_t  i = 0, dir = g->base.path_len, n;

    while (i < len && (u_char_t) url[i] <= 0x20) {
        i++;                            /* as the URL parser trims */
    }
    if (i < len && (url[i] == '/' || url[i] == '\\')) {
        n = pl < cap ? pl : cap;
        memcpy(out, path, n);
        return n;
    }
    if (i == len || url[i] == '?' || url[i] == '#') {
        n = g->base.path_len < cap ? g->base.path_len : cap;
        memcpy(out, g->base.path, n);
        return n;
    }
    while (dir > 0 && g->base.path[dir - 1] != '/') {
        dir--;
    }
    n = dir < cap ? dir : cap;
    memcpy(out, g->base.path, n);
    if (pl > 1 && n < cap) {            /* path is "/" + the URL's own */
        size_t more = pl - 1 < cap - n ? pl - 1 : cap - n;
        memcpy(out + n, path + 1, more);
        n += more;
    }
    return n;
}

/*
 * What the URL names: the recipient of its host (the site's tagging hosts
 * first), else of a path pattern its path matches (on any host,
 * first-party included). A relative URL after a <base href> resolves
 * against it: the base's host, its path under the base's.
 */
static void
url_named(const cs_gate_t *g, const char *url, size_t len,
    cs_url_named_t *t)
{
    char     decoded[CS_URL_MAX];
    char     path[CS_URL_MAX];
    size_t   n, pl;
    bool     own_host, relative;

    t->recipient = -1;
    n = cs_decode_entities(url, len, decoded, sizeof(decoded));
    t->host_len = (uint32_t) cs_url_host(decoded, n, t->host,
                                         sizeof(t->host));
    if (t->host_len == 0) {
        t->host[0] = '\0';
    }
    own_host = t->host_len > 0;
    /* no host, no scheme: url_path() finds a path */
    pl = url_path(decoded, n, own_host, path, sizeof(path));
    relative = !own_host && pl > 0;
    if (relative && g->base.set && g->base.host_len) {
        memcpy(t->host, g->base.host, g->base.host_len + 1);
        t->host_len = (uint32_t) g->base.host_len;
    }
    if (t->host_len && g->conf.has_site) {
        t->recipient = cs_rules_site_tagging_host(g->conf.rules,
                                                  g->conf.site, t->host,
                                                  t->host_len);
    }
    if (t->host_len && t->recipient < 0) {
        t->recipient = cs_rules_match_host(g->conf.rules, t->host,
                                           t->host_len);
    }
    if (t->recipient < 0 && pl && cs_rules_path_count(g->conf.rules) > 0) {
        char resolved[CS_URL_MAX];

        if (relative && g->base.set) {
            pl = base_resolve_path(g, decoded, n, path, pl, resolved,
                                   sizeof(resolved));
            t->recipient = cs_rules_match_path(g->conf.rules, resolved, pl);
        } else {
            t->recipient = cs_rules_match_path(g->conf.rules, path, pl);
        }
    }
}

/*
 * Ties the element to the recipient the URL names (url_named(); from the
 * memo for a URL seen before, unless a <base href> was: the answer then
 * depends on its bytes and the site alone); a host of none is counted and,
 * the first time for this element, put to on_unknown_host.
 */
static void
tie_url(cs_gate_t *g, const char *url, size_t len)
{
    cs_url_named_t   t;
    const void      *kept = NULL;
    size_t           size = 0;
    uint64_t         hash;
    uint32_t         scope;

    if (len == 0) {
        return;
    }
    if (memo_usable(g, &scope) && !g->base.set) {
        kept = memo_find(g, CS_MEMO_URL, scope, url, len, &size, &hash);
        if (kept != NULL) {
            memcpy(&t, kept, size);
            t.host[t.recipient < 0 ? t.host_len : 0] = '\0';
        } else {
            url_named(g, url, len, &t);
            memo_store(g, CS_MEMO_URL, scope, url, len, hash, &t,
                       offsetof(cs_url_named_t, host)
                       + (t.recipient < 0 ? t.host_len : 0));
        }
    } else {
        url_named(g, url, len, &t);
    }
    if (t.host_len || t.recipient >= 0) {
        if (t.recipient >= 0) {
            tie_recipient(g, (uint32_t) t.recipient);
        } else if (!g->el.unknown_named) {
            g->el.unknown_named = true;
            g->stats.unknown_hosts++;
            if (g->conf.on_unknown_host
                && g->conf.on_unknown_host(g->conf.hook_ud, t.host,
                                           t.host_len) != 0)
            {
                g->el.unknown_remove = true;
                g->el.denied = true;
            }
        }
    }
}

/*
 * The first <base href> sets the document's base URL (its own href
 * resolves against the document's URL, which the gate does not know: a
 * relative one keeps the page's host and gives only a path).
 */
static void
base_set(cs_gate_t *g, const cs_attr_value_t *href)
{
    char    decoded[CS_URL_MAX];
    size_t  n;

    if (g->base.set || href == NULL) {
        return;
    }
    g->base.set = true;
    n = cs_decode_entities(href->buf, href->len, decoded, sizeof(decoded));
    g->base.host_len = cs_url_host(decoded, n, g->base.host,
                                   sizeof(g->base.host));
    g->base.path_len = url_path(decoded, n, g->base.host_len > 0,
                                g->base.path, sizeof(g->base.path));
    if (g->base.path_len == 0) {
        /* a scheme without a host (data:, javascript:): no base to use */
        g->base.host_len = 0;
        g->base.host[0] = '\0';
    }
}

static void
tie_url_host(cs_gate_t *g, const cs_attr_value_t *url)
{
    if (url) {
        tie_url(g, url->buf, url->len);
    }
}

/*
 * One URL an element carries (a poster, a srcset candidate): whether it is
 * denied, tying its recipient for the report without denying the element.
 */
bool
url_denied(cs_gate_t *g, const char *url, size_t len)
{
    bool  denied = g->el.denied, unknown_remove = g->el.unknown_remove;
    bool  this_denied;

    g->el.denied = false;
    g->el.unknown_remove = false;
    tie_url(g, url, len);
    this_denied = g->el.denied;
    g->el.denied = denied;
    g->el.unknown_remove = unknown_remove;
    return this_denied;
}

bool
cs_gate_url_denied(cs_gate_t *g, const char *url, size_t len,
    uint32_t *recipient)
{
    bool  denied;

    g->el.denied = false;
    g->el.unknown_remove = false;
    g->el.unknown_named = false;
    g->el.nrecipients = 0;
    g->el.recipients_overflow = false;
    tie_url(g, url, len);
    denied = g->el.denied;
    *recipient = g->el.unknown_remove || g->el.nrecipients == 0
                 ? CS_RECIPIENT_UNKNOWN : g->el.recipients[0];
    g->el.denied = false;
    g->el.unknown_remove = false;
    g->el.nrecipients = 0;
    return denied;
}

/*
 * The recipients an inline script's matchers tie, in order, as they go:
 * recorded (the memo keeps them) and passed on to cb.
 */
#define CS_SCRIPT_TIES  32

typedef struct {
    uint32_t     tied[CS_SCRIPT_TIES];
    uint32_t     n;
    bool         overflow;          /* more than CS_SCRIPT_TIES */
    cs_match_cb  cb;
    void        *ud;
} cs_script_match_t;

static void
script_matched(void *ud, uint32_t recipient)
{
    cs_script_match_t *m = ud;

    if (m->n < CS_SCRIPT_TIES) {
        m->tied[m->n++] = recipient;
    } else {
        m->overflow = true;
    }
    m->cb(m->ud, recipient);
}

/* The rules' code signatures, then evidence; every tie goes through m. */
static int
script_match(const cs_rules_t *rules, const uint32_t *site, const char *text,
    size_t len, cs_simd_t simd_max, cs_script_match_t *m)
{
    int       rc;
    uint32_t  signed_n;

    rc = cs_rules_match_signatures(rules, text, len, simd_max, script_matched,
                                   m);
    /* hosts of recipients the signatures tied need no reading */
    signed_n = m->overflow ? 0 : m->n;
    cs_gate_script_evidence(rules, site, text, len, m->tied, signed_n,
                            script_matched, m);
    return rc;
}

int
cs_gate_script_recipients(const cs_rules_t *rules, const uint32_t *site,
    const char *text, size_t len, cs_simd_t simd_max, cs_match_cb cb,
    void *ud)
{
    cs_script_match_t  m = { .cb = cb, .ud = ud };

    return script_match(rules, site, text, len, simd_max, &m);
}

/*
 * Ties an inline script to its recipients by evidence: the hosts it uses to
 * load or send (cs_gate_evidence.c), and the rules' code signatures. A
 * matcher failure must not let a loader through. What they tie depends on
 * the text, the rules and the site (its tagging hosts) alone when nothing
 * is tied before them (an inline script has no URL), so the memo replays it
 * for a text seen before on the same site.
 */
static void
tie_script_text(cs_gate_t *g, const char *text, size_t len)
{
    cs_script_match_t  rec = { .cb = tie_recipient, .ud = g };
    const uint32_t    *kept;
    size_t             size;
    uint64_t           hash = 0;
    uint32_t           scope;
    bool               memo = memo_usable(g, &scope)
                              && g->el.nrecipients == 0;

    if (memo) {
        kept = memo_find(g, CS_MEMO_SCRIPT, scope, text, len, &size, &hash);
        if (kept != NULL) {
            for (size_t i = 0; i < size / sizeof(uint32_t); i++) {
                tie_recipient(g, kept[i]);
            }
            return;
        }
    }
    if (script_match(g->conf.rules, g->conf.has_site ? &g->conf.site : NULL,
                     text, len, g->conf.simd_max, &rec)
        != 0)
    {
        g->el.denied = true;
        memo = false;
    }
    if (memo && !rec.overflow) {
        memo_store(g, CS_MEMO_SCRIPT, scope, text, len, hash, rec.tied,
                   rec.n * sizeof(uint32_t));
    }
}

/* The value of a seen attribute of the element of a kind (the first), or
   NULL. */
static const cs_attr_value_t *
elem_attr(const cs_gate_t *g, cs_attr_kind_t kind)
{
    const cs_tag_row_t *row = g->el.row;

    for (size_t i = 0; row && i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        if (row->attrs[i].kind == kind && g->el.attr[i].seen) {
            return &g->el.attr[i];  /* an SVG script has two URL kinds */
        }
    }
    return NULL;
}

/*
 * rel contains a resource hint, or a link type the browser fetches on its
 * own (a style sheet, an icon, a manifest), that makes it contact the host.
 */
static bool
link_rel_fetches(const cs_attr_value_t *rel)
{
    size_t i = 0;

    while (rel && i < rel->len) {
        while (i < rel->len && is_space((u_char_t) rel->buf[i])) {
            i++;
        }
        const char *t = rel->buf + i;
        size_t start = i;
        while (i < rel->len && !is_space((u_char_t) rel->buf[i])) {
            i++;
        }
        size_t l = i - start;
        if (name_is(t, l, "preconnect") || name_is(t, l, "dns-prefetch")
            || name_is(t, l, "preload") || name_is(t, l, "prefetch")
            || name_is(t, l, "modulepreload") || name_is(t, l, "prerender")
            || name_is(t, l, "stylesheet") || name_is(t, l, "icon")
            || name_is(t, l, "apple-touch-icon")
            || name_is(t, l, "apple-touch-icon-precomposed")
            || name_is(t, l, "manifest"))
        {
            return true;
        }
    }
    return false;
}

/*
 * Inline scripts of a data-block type never run, and their text (JSON-LD
 * sameAs links, templates) must not be mistaken for a loader.
 */
static bool
script_is_data_block(const cs_attr_value_t *type)
{
    if (type == NULL) {
        return false;
    }
    for (size_t i = 0; i + 4 <= type->len; i++) {
        if (memcmp(type->buf + i, "json", 4) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i + 8 <= type->len; i++) {
        if (memcmp(type->buf + i, "template", 8) == 0) {
            return true;
        }
    }
    return name_is(type->buf, type->len, "text/html");
}

/*
 * Ties the element to the recipients its URL attributes (the table's
 * ties_element ones) and, for an inline script, its text (element bytes
 * [content_off, content_end)) name. Sets el.denied when one of them is not
 * allowed or on_unknown_host asked for it.
 */
static void
tie_element(cs_gate_t *g, const u_char_t *p, size_t content_end)
{
    const cs_tag_row_t  *row = g->el.row;

    switch (g->el.kind) {
    case CS_TAG_HINT:
        if (!link_rel_fetches(elem_attr(g, CS_ATTR_REL))) {
            return;
        }
        break;
    case CS_TAG_BASE:
        /* its href resolves against the document's URL, not itself */
        tie_url_host(g, elem_attr(g, CS_ATTR_URL));
        base_set(g, elem_attr(g, CS_ATTR_URL));
        return;
    case CS_TAG_LOADER:
        if (elem_attr(g, CS_ATTR_URL) == NULL) {
            if (script_is_speculation_rules(elem_attr(g, CS_ATTR_TYPE))) {
                /* JSON, empty included: judged by the URLs it names */
                tie_speculation_rules(g, (const char *) p + g->el.content_off,
                                      content_end > g->el.content_off
                                      ? content_end - g->el.content_off : 0);
            } else if (g->el.content_off && content_end > g->el.content_off
                       && !script_is_data_block(elem_attr(g, CS_ATTR_TYPE)))
            {
                tie_script_text(g, (const char *) p + g->el.content_off,
                                content_end - g->el.content_off);
            }
            return;
        }
        break;
    default:
        break;
    }
    for (size_t i = 0; row && i < CS_TAG_ATTRS && row->attrs[i].name; i++) {
        if (!row->attrs[i].ties_element || !g->el.attr[i].seen) {
            continue;
        }
        if (row->attrs[i].kind == CS_ATTR_URL) {
            tie_url_host(g, &g->el.attr[i]);
        } else if (row->attrs[i].kind == CS_ATTR_SRCSET
                   && srcset_denied(g, g->el.attr[i].buf, g->el.attr[i].len))
        {
            g->el.denied = true;
        }
    }
}

/* ---- decisions ---- */

/*
 * Ties the element (tie_element) and tells whether it is denied; kept, the
 * tracker URLs it carries are cut (el.cuts, over its n bytes so far).
 */
static bool
judge_element(cs_gate_t *g, const u_char_t *p, size_t n, size_t content_end)
{
    if (!cs_gate_kind_gated(g->el.kind)) {
        return false;                   /* its name is not complete */
    }
    tie_element(g, p, content_end);
    if (!g->el.denied) {
        cut_attributes(g, p, n, content_end);
    }
    if (!g->el.denied) {
        srcdoc_gate(g, p, n);
    }
    return g->el.denied;
}

/*
 * The element is one the skipper passes by name (any element, <a>, <td>,
 * <input>...): held for its start tag alone, which is all that can go.
 */
static bool
carrier_by_attr(const cs_gate_t *g)
{
    return g->el.kind == CS_TAG_CARRIER
           && (g->el.row->by_attr || g->el.row == cs_gate_any_row());
}

/* A start tag of an element under decision ended ('>' at s). */
void
start_tag_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n;
    const u_char_t  *upto = s + 1;
    /*
     * A gated element whose content is markup and whose tag self-closes
     * (an SVG <script/>: HTML ignores the slash) ends at its start tag.
     */
    bool             is_void = g->el.row
                               && (g->el.row->is_void
                                   || (g->el.row->content == CS_CONTENT_MARKUP
                                       && g->tok.self_closing)
                                   || carrier_by_attr(g));

    if (g->el.mode != M_HOLD) {
        if (is_void) {
            if (g->el.mode == M_VOID) {
                g->el.breaks_out = false;   /* its tag is gone */
                drop_rest(g, sc, upto);     /* the void element ends here */
                g->el.mode = M_PASS;
                report_end(g, stream_offset(g, sc, upto));
            }
            g->el.kind = CS_TAG_NONE;
        }
        return;
    }
    if (!cs_gate_kind_gated(g->el.kind)) {
        return;
    }
    g->el.start_tag_ended = true;

    if (is_void) {
        elem_take(g, sc, upto, &p, &n);
        if (judge_element(g, p, n, 0)) {
            deny_element(g, sc, upto, p, n, true);
        } else {
            keep_element_cut(g, sc, upto, p, n);
        }
        g->el.mode = M_PASS;
        g->el.kind = CS_TAG_NONE;
        return;
    }

    switch (g->el.kind) {
    case CS_TAG_LOADER:
        if (elem_attr(g, CS_ATTR_URL) == NULL) {
            if (script_is_data_block(elem_attr(g, CS_ATTR_TYPE))) {
                keep_element(g, sc);
                return;
            }
            g->el.content_off = elem_offset(g, sc, upto);
            return;                               /* decide on its text */
        }
        break;
    case CS_TAG_NOSCRIPT:
        g->el.content_off = elem_offset(g, sc, upto);
        return;                                   /* decide on its pixels */
    case CS_TAG_SHEET:
        g->el.content_off = elem_offset(g, sc, upto);
        g->el.sheet_text = true;
        return;                                   /* cut in its text */
    default:
        break;
    }

    /* decided on its start tag: denied, its content and end tag go too */
    elem_take(g, sc, upto, &p, &n);
    if (judge_element(g, p, n, 0)) {
        deny_element(g, sc, upto, p, n, false);
    } else {
        keep_element_cut(g, sc, upto, p, n);
    }
    /* its content is the page's; an SVG <script>'s goes with it, to the
       end its open-element depth marks (svg_script_begun) */
    if (g->el.row->content == CS_CONTENT_MARKUP
        && g->el.row != cs_gate_svg_script_row())
    {
        g->el.kind = CS_TAG_NONE;
    }
}

/* The end tag closing a script/iframe/noscript ended ('>' at s). */
void
raw_element_done(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n;
    const u_char_t  *upto = s + 1;

    if (g->el.mode == M_VOID) {
        drop_rest(g, sc, upto);
    } else if (g->el.mode == M_HOLD) {
        elem_take(g, sc, upto, &p, &n);
        if (g->el.kind == CS_TAG_NOSCRIPT) {
            noscript_decide(g, sc, upto, p, n, g->el.lt_off);
        } else if (judge_element(g, p, n, g->el.lt_off)) {
            deny_element(g, sc, upto, p, n, true);
        } else {
            keep_element_cut(g, sc, upto, p, n);
        }
    }
    /* a removed or neutralized script/iframe/noscript ends here */
    report_end(g, stream_offset(g, sc, upto));
    g->el.mode = M_PASS;
    g->el.kind = CS_TAG_NONE;
}

/* The tokenizer is inside a tag that may be a start tag. */
static bool
in_start_tag(const cs_gate_t *g)
{
    switch (g->tok.state) {
    case S_TAG_OPEN:
        return true;
    case S_TAG_NAME:
    case S_BEFORE_ATTR_NAME:
    case S_ATTR_NAME:
    case S_AFTER_ATTR_NAME:
    case S_BEFORE_ATTR_VALUE:
    case S_ATTR_VALUE_DQ:
    case S_ATTR_VALUE_SQ:
    case S_ATTR_VALUE_UNQ:
    case S_AFTER_ATTR_VALUE:
    case S_SELF_CLOSING:
        return !g->tok.end_tag;
    default:
        return false;
    }
}

/*
 * The element reached max_element bytes at s, and is decided on exactly
 * those bytes: tied to a recipient that is not allowed, it is still removed
 * whole (the rest streams into the void until its end); otherwise it passes
 * through. A <noscript> counts as tied when its first max_element bytes hold
 * a pixel that would be removed; its end is still found as a scripting
 * browser finds it.
 */
void
elem_overflow(cs_gate_t *g, cs_scan_t *sc, const u_char_t *s)
{
    const u_char_t  *p;
    size_t           n;
    bool             denied;
    cs_gate_stats_t  st;

    if (g->el.kind == CS_TAG_SHEET && g->el.sheet_text
        && g->el.row->content == CS_CONTENT_RAW && sheet_overflow(g, sc, s))
    {
        return;             /* a <style> is read in pieces: held on */
    }
    elem_take(g, sc, s, &p, &n);

    if (g->el.kind == CS_TAG_NOSCRIPT && g->el.content_off) {
        if (inner_run(g, p + g->el.content_off, n - g->el.content_off,
                      g->hold.has_element || sc->held, NULL, NULL, &st,
                      INNER_JUDGE) != 0)
        {
            sc->rc = -1;
            return;
        }
        g->stats.unknown_hosts += st.unknown_hosts;
        denied = st.elements_removed > 0;
    } else {
        denied = judge_element(g, p, n, n);
    }
    if (!denied && g->el.kind == CS_TAG_PENDING) {
        keep_element(g, sc);            /* a name longer than max_element */
        g->el.kind = CS_TAG_NONE;
        g->tok.tag_passed = true;
        return;
    }
    if (!denied && carrier_by_attr(g)) {
        /*
         * A start tag longer than max_element. When the value of an
         * attribute the table reads runs past it (its '=' is inside: the
         * skipper stops at such a tag however it is split), that value
         * could carry anything, so the tag goes (fail closed). Else it is
         * kept, its cuts made; not counted: the skipper passes most such
         * tags (an attribute whose name or '=' lies past the limit is
         * not read).
         */
        const cs_attr_value_t *v = g->tok.capture;

        denied = v != NULL && in_start_tag(g)
                 && g->tok.state >= S_BEFORE_ATTR_VALUE
                 && g->tok.state <= S_ATTR_VALUE_UNQ
                 && elem_attr_def(g, (size_t) (v - g->el.attr))->cut;
        if (!denied) {
            keep_element_cut(g, sc, s, p, n);
            return;
        }
    }
    if (!denied && g->el.foreign_depth && in_start_tag(g)) {
        /*
         * An SVG <script>'s content is markup: kept here, the start tag
         * under way would begin an element whose '<' already flowed out,
         * and could not be removed. It goes instead (fail closed).
         */
        denied = true;
    }

    if (denied) {
        drop_element(g, sc, s, n, CS_DROP_OPEN, CS_DROP_OVERSIZE);
    } else {
        keep_element_cut(g, sc, s, p, n);
        g->stats.oversize_passed++;
    }
}

int
cs_gate_finish(cs_gate_t *g)
{
    cs_scan_t        scan = { NULL, NULL, NULL, NULL, NULL, true, 0 };
    const u_char_t  *p;
    size_t           n;

    if (g->el.mode != M_HOLD) {
        /* EOF ends a removed (voided) or neutralized element */
        report_end(g, g->report.fed);
        g->el.mode = M_PASS;
        return 0;
    }

    /* Everything held is in the hold buffer between feeds. */
    scan.base = scan.end = scan.out = g->hold.buf + g->hold.len;
    elem_take(g, &scan, scan.out, &p, &n);

    if (g->el.kind == CS_TAG_NOSCRIPT && g->el.content_off) {
        noscript_decide(g, &scan, scan.out, p, n, n);
    } else if (judge_element(g, p, n, g->el.content_off || g->el.sheet_text
                                      ? n : 0))
    {
        drop_element(g, &scan, scan.out, n, CS_DROP_WHOLE, CS_DROP_DENIED);
    } else {
        keep_element_cut(g, &scan, scan.out, p, n);
    }
    g->el.mode = M_PASS;
    g->el.kind = CS_TAG_NONE;
    return scan.rc;
}

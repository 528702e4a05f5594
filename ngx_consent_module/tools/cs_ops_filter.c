/*
 * consentctl filter: the gate run over one document, with a report of
 * its decisions per element (see cs_ops_filter() in cs_ops.h).
 */

#include "cs_ops_impl.h"
#include "cs_err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_OPS_HOST_MAX      255

/* ---------------------------------------------------------------------- */
/* filter */

typedef struct {
    size_t  off;         /* input offset */
    size_t  len;
    bool    inserted;    /* bytes the gate added (neutralize) */
    size_t  ins_off;     /* into the insertion text */
} cs_span_t;

typedef struct {
    const unsigned char *in;
    size_t               n;
    size_t               cursor;    /* end of the last kept input span */
    cs_obuf_t           *out;       /* plain output */
    bool                 report;
    uint32_t             site;      /* whose tagging hosts count */
    cs_span_t           *spans;
    size_t               nspans, capspans;
    cs_obuf_t            ins;       /* inserted bytes, concatenated */
    bool                 oom;
} cs_filter_t;

static void *
cs_std_alloc(void *ctx, size_t size)
{
    (void) ctx;
    return malloc(size);
}

static void
cs_std_free(void *ctx, void *p)
{
    (void) ctx;
    free(p);
}

static int
cs_filter_emit(void *ud, const unsigned char *p, size_t n, bool held)
{
    cs_filter_t *f = ud;
    cs_span_t    sp;

    if (!f->report) {
        return cs_obuf_add(f->out, (const char *) p, n) ? 0 : -1;
    }
    memset(&sp, 0, sizeof(sp));
    sp.len = n;
    if (!held && p >= f->in && p + n <= f->in + f->n) {
        sp.off = (size_t) (p - f->in);
    } else if (f->cursor + n <= f->n && memcmp(f->in + f->cursor, p, n) == 0) {
        sp.off = f->cursor;                /* held input bytes, replayed */
    } else {
        sp.inserted = true;
        sp.off = f->cursor;
        sp.ins_off = f->ins.len;
        if (!cs_obuf_add(&f->ins, (const char *) p, n)) {
            return -1;
        }
    }
    if (!sp.inserted) {
        f->cursor = sp.off + n;
    }
    if (f->nspans == f->capspans) {
        size_t     cap = f->capspans ? f->capspans * 2 : 256;
        cs_span_t *ns = realloc(f->spans, cap * sizeof(*ns));
        if (ns == NULL) {
            return -1;
        }
        f->spans = ns;
        f->capspans = cap;
    }
    f->spans[f->nspans++] = sp;
    return 0;
}

static const void *
cs_memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
    const char *h = hay;

    for (size_t i = 0; nn <= hn && i + nn <= hn; i++) {
        if (memcmp(h + i, needle, nn) == 0) {
            return h + i;
        }
    }
    return NULL;
}

static int
cs_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* If a gated start tag begins at p[i], returns its tag name (else NULL). */
static const char *
cs_tag_at(const unsigned char *p, size_t n, size_t i)
{
    const char *tag;

    if (i >= n || p[i] != '<') {
        return NULL;
    }
    /* the element names the gate decides on, from its table */
    for (size_t t = 0; (tag = cs_gate_element_name(t)) != NULL; t++) {
        size_t l = strlen(tag), k;

        if (i + 1 + l >= n) {
            continue;
        }
        for (k = 0; k < l && cs_lower(p[i + 1 + k]) == tag[k]; k++) {
        }
        unsigned char c = p[i + 1 + l];
        if (k == l && (c == ' ' || c == '>' || c == '/' || c == '\t'
                       || c == '\n' || c == '\r' || c == '\f'))
        {
            return tag;
        }
    }
    return NULL;
}

static bool
cs_is_container(const char *tag)
{
    return strcmp(tag, "script") == 0 || strcmp(tag, "iframe") == 0
           || strcmp(tag, "noscript") == 0;
}

/*
 * A simple element extent: the start tag to its '>' (quotes respected),
 * and for script/iframe/noscript on to the matching end tag. *content_end:
 * where its content ends (its end tag's '<', or the extent's end).
 */
static size_t
cs_elem_end(const unsigned char *p, size_t n, size_t i, const char *tag,
    size_t *tag_end, size_t *content_end)
{
    char   q = 0;
    size_t j, l = strlen(tag);

    for (j = i + 1; j < n; j++) {
        if (q) {
            if (p[j] == q) {
                q = 0;
            }
        } else if (p[j] == '"' || p[j] == '\'') {
            q = (char) p[j];
        } else if (p[j] == '>') {
            break;
        }
    }
    j = j < n ? j + 1 : n;
    *tag_end = *content_end = j;
    if (!cs_is_container(tag)) {
        return j;
    }
    for (; j + 2 + l <= n; j++) {
        size_t k;

        if (p[j] != '<' || p[j + 1] != '/') {
            continue;
        }
        for (k = 0; k < l && cs_lower(p[j + 2 + k]) == tag[k]; k++) {
        }
        if (k == l) {
            *content_end = j;
            while (j < n && p[j] != '>') {
                j++;
            }
            return j < n ? j + 1 : n;
        }
    }
    return n;
}

typedef struct {
    uint64_t        *set;
    uint32_t         count;
    const uint32_t  *site;      /* whose tagging hosts count */
} cs_attr_t;

static void
cs_attr_cb(void *ud, uint32_t recipient)
{
    cs_attr_t *a = ud;

    if (recipient < a->count) {
        cs_bitset_set(a->set, recipient);
    }
}

/*
 * Recipients of an element: src/href hosts, and its content's: an inline
 * script's as the gate ties it (signatures and evidence), other content's
 * by the hosts it names.
 */
static void
cs_attribute(const cs_rules_t *rules, const char *tag,
    const unsigned char *p, size_t tag_end, size_t end, cs_attr_t *a)
{
    static const char *const names[] = { "src=", "href=", NULL };

    for (int k = 0; names[k] != NULL; k++) {
        size_t l = strlen(names[k]);

        for (size_t i = 1; i + l < tag_end; i++) {
            size_t j, s, e;
            char   url[2048], host[CS_OPS_HOST_MAX + 1];

            for (j = 0; j < l && cs_lower(p[i + j]) == names[k][j]; j++) {
            }
            if (j < l || (p[i - 1] != ' ' && p[i - 1] != '\t'
                          && p[i - 1] != '\n'))
            {
                continue;
            }
            s = i + l;
            if (p[s] == '"' || p[s] == '\'') {
                unsigned char q = p[s++];
                for (e = s; e < tag_end && p[e] != q; e++) {
                }
            } else {
                for (e = s; e < tag_end && p[e] != ' ' && p[e] != '>'; e++) {
                }
            }
            size_t ul = cs_decode_entities((const char *) p + s,
                                           e - s < sizeof(url) ? e - s
                                           : sizeof(url), url, sizeof(url));
            size_t hl = cs_url_host(url, ul, host, sizeof(host));
            if (hl) {
                int32_t r = cs_rules_match_host(rules, host, hl);
                if (r >= 0) {
                    cs_attr_cb(a, (uint32_t) r);
                }
            }
        }
    }
    if (end > tag_end && strcmp(tag, "script") == 0) {
        (void) cs_gate_script_recipients(rules, a->site,
                                         (const char *) p + tag_end,
                                         end - tag_end, CS_SIMD_BEST,
                                         cs_attr_cb, a);
    } else if (end > tag_end) {
        cs_scan_text_hosts(rules, (const char *) p + tag_end, end - tag_end,
                           cs_attr_cb, a);
    }
}

static bool
cs_report_line(cs_obuf_t *out, const cs_rules_t *rules, size_t off,
    const char *tag, const uint64_t *set, const char *ids, const char *what)
{
    bool any = false;

    cs_obuf_fmt(out, "%zu %s ", off, tag);
    if (ids != NULL) {
        cs_obuf_str(out, ids);
        any = ids[0] != '\0';
    } else {
        for (uint32_t i = 0; i < cs_rules_recipient_count(rules); i++) {
            if (cs_bitset_test(set, i)) {
                cs_obuf_fmt(out, "%s%s", any ? "," : "",
                            cs_rules_recipient(rules, i)->id);
                any = true;
            }
        }
    }
    if (!any) {
        cs_obuf_str(out, "-");
    }
    return cs_obuf_fmt(out, " %s\n", what);
}

static bool
cs_in_range(const size_t *r, size_t nr, size_t off)
{
    for (size_t i = 0; i < nr; i++) {
        if (off >= r[2 * i] && off < r[2 * i + 1]) {
            return true;
        }
    }
    return false;
}

static int
cs_filter_report(const cs_rules_t *rules, cs_filter_t *f, cs_obuf_t *out)
{
    const unsigned char *p = f->in;
    size_t               n = f->n, cur = 0, nr = 0, nneu = 0;
    size_t              *removed = calloc(2 * (f->nspans + 1), sizeof(size_t));
    size_t              *neu = calloc(f->nspans + 1, sizeof(size_t));
    uint32_t             count = cs_rules_recipient_count(rules);
    size_t               words = cs_bitset_words(count) + 1;
    uint64_t            *set = calloc(words, sizeof(uint64_t));
    cs_attr_t            a = { set, count, &f->site };

    if (removed == NULL || neu == NULL || set == NULL) {
        free(removed);
        free(neu);
        free(set);
        return CS_OPS_IO;
    }
    /* gaps between kept spans, and the neutralized elements' starts */
    for (size_t s = 0; s <= f->nspans; s++) {
        size_t start = s < f->nspans ? f->spans[s].off : n;

        if (s < f->nspans && f->spans[s].inserted) {
            size_t lt = f->spans[s].off;
            while (lt > 0 && p[lt] != '<') {
                lt--;
            }
            const char *ins = f->ins.data + f->spans[s].ins_off;
            if (cs_memmem(ins, f->spans[s].len, "data-consent=\"", 14) != NULL
                && (nneu == 0 || neu[nneu - 1] != lt))
            {
                char        ids[1024];
                const char *q = (const char *) cs_memmem(ins,
                                   f->spans[s].len, "data-consent=\"", 14)
                                + 14;
                size_t      k = 0;
                while (q < ins + f->spans[s].len && *q != '"'
                       && k + 1 < sizeof(ids))
                {
                    ids[k++] = *q == ' ' ? ',' : *q;
                    q++;
                }
                ids[k] = '\0';
                neu[nneu++] = lt;
                const char *tag = cs_tag_at(p, n, lt);
                cs_report_line(out, rules, lt, tag ? tag : "?", NULL, ids,
                               "neutralized");
            }
            continue;
        }
        if (start > cur) {
            /* removed [cur, start): split into elements */
            removed[2 * nr] = cur;
            removed[2 * nr + 1] = start;
            nr++;
            for (size_t i = cur; i < start; ) {
                const char *tag = cs_tag_at(p, start, i);
                size_t      te, ce, e;

                if (tag == NULL) {
                    i++;
                    continue;
                }
                e = cs_elem_end(p, start, i, tag, &te, &ce);
                memset(set, 0, words * sizeof(uint64_t));
                cs_attribute(rules, tag, p + i, te - i, ce - i, &a);
                cs_report_line(out, rules, i, tag, set, NULL, "removed");
                i = e > i ? e : i + 1;
            }
        }
        if (s < f->nspans && f->spans[s].off + f->spans[s].len > cur) {
            cur = f->spans[s].off + f->spans[s].len;
        }
    }
    /* kept: gated tags found by a simple scan outside the removed ranges */
    for (size_t i = 0; i < n; ) {
        const char *tag;
        size_t      te, ce, e;

        if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
            const unsigned char *c = cs_memmem(p + i + 4, n - i - 4, "-->", 3);
            i = c ? (size_t) (c - p) + 3 : n;
            continue;
        }
        if ((tag = cs_tag_at(p, n, i)) == NULL) {
            i++;
            continue;
        }
        e = cs_elem_end(p, n, i, tag, &te, &ce);
        bool was_neu = false;
        for (size_t k = 0; k < nneu; k++) {
            was_neu = was_neu || neu[k] == i;
        }
        if (!cs_in_range(removed, nr, i) && !was_neu) {
            memset(set, 0, words * sizeof(uint64_t));
            cs_attribute(rules, tag, p + i, te - i, ce - i, &a);
            cs_report_line(out, rules, i, tag, set, NULL, "kept");
        }
        /* noscript content is scanned too: the gate looks inside it */
        i = strcmp(tag, "noscript") == 0 ? te : (e > i ? e : i + 1);
    }
    free(removed);
    free(neu);
    free(set);
    return out->oom ? CS_OPS_IO : CS_OPS_OK;
}

/* Sorts report lines by their leading offset (stable). */
static int
cs_sort_report(cs_obuf_t *out)
{
    size_t  nl = 0, k = 0;
    char  **lines;
    cs_obuf_t sorted = { 0 };

    for (size_t i = 0; i < out->len; i++) {
        nl += out->data[i] == '\n';
    }
    if (nl < 2) {
        return CS_OPS_OK;
    }
    lines = malloc(nl * sizeof(*lines));
    if (lines == NULL) {
        return CS_OPS_IO;
    }
    for (char *s = out->data; k < nl; k++) {
        lines[k] = s;
        s = strchr(s, '\n') + 1;
    }
    for (size_t i = 1; i < nl; i++) {         /* insertion sort: stable */
        for (size_t j = i; j > 0
             && strtoull(lines[j], NULL, 10) < strtoull(lines[j - 1], NULL, 10);
             j--)
        {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    }
    for (size_t i = 0; i < nl; i++) {
        cs_obuf_add(&sorted, lines[i], (size_t) (strchr(lines[i], '\n')
                                                 - lines[i]) + 1);
    }
    free(lines);
    if (sorted.oom) {
        cs_obuf_free(&sorted);
        return CS_OPS_IO;
    }
    cs_obuf_free(out);
    *out = sorted;
    return CS_OPS_OK;
}

int
cs_ops_filter(const cs_rules_t *rules, const char *site, const char *consent,
    cs_action_t action, size_t max_element, bool report,
    const unsigned char *in, size_t n, cs_obuf_t *out, char *err,
    size_t errlen)
{
    int32_t         s = cs_rules_site_find(rules, site, strlen(site));
    uint32_t        count = cs_rules_recipient_count(rules);
    size_t          words = cs_bitset_words(count) + 1;
    uint64_t       *allowed, *declared, *blocked;
    cs_gate_t      *gate;
    cs_gate_conf_t  conf;
    cs_filter_t     f;
    int             rc = CS_OPS_IO;

    if (s < 0) {
        cs_set_err(err, errlen, "unknown site '%s'", site);
        return CS_OPS_FINDINGS;
    }
    allowed = calloc(words, sizeof(uint64_t));
    declared = calloc(words, sizeof(uint64_t));
    blocked = calloc(words, sizeof(uint64_t));
    gate = malloc(cs_gate_size());
    memset(&f, 0, sizeof(f));
    if (allowed == NULL || declared == NULL || blocked == NULL || gate == NULL)
    {
        cs_set_err(err, errlen, "out of memory");
        goto done;
    }
    if (consent != NULL
        && cs_consent_parse_list(rules, (uint32_t) s, consent,
                                 strlen(consent), allowed) < 0)
    {
        cs_set_err(err, errlen, "malformed consent value '%s'", consent);
        rc = CS_OPS_FINDINGS;
        goto done;
    }
    if (action == CS_ACTION_NEUTRALIZE) {          /* as the module does */
        cs_consent_declared(rules, (uint32_t) s, declared);
    }
    f.in = in;
    f.n = n;
    f.out = out;
    f.report = report;
    f.site = (uint32_t) s;
    memset(&conf, 0, sizeof(conf));
    conf.rules = rules;
    conf.action = action;
    conf.allowed = allowed;
    conf.declared = declared;
    conf.blocked = blocked;
    conf.has_site = true;                   /* as the module does */
    conf.site = (uint32_t) s;
    conf.max_element = max_element;
    conf.allocator.alloc = cs_std_alloc;
    conf.allocator.free = cs_std_free;
    conf.emit = cs_filter_emit;
    conf.emit_ud = &f;
    cs_gate_init(gate, &conf);
    if (cs_gate_feed(gate, in, n) != 0 || cs_gate_finish(gate) != 0) {
        cs_gate_cleanup(gate);
        cs_set_err(err, errlen, "gate failed (out of memory)");
        goto done;
    }
    cs_gate_cleanup(gate);
    rc = CS_OPS_OK;
    if (report) {
        rc = cs_filter_report(rules, &f, out);
        if (rc == CS_OPS_OK) {
            rc = cs_sort_report(out);
        }
        if (rc != CS_OPS_OK) {
            cs_set_err(err, errlen, "out of memory");
        }
    }
done:
    free(f.spans);
    cs_obuf_free(&f.ins);
    free(allowed);
    free(declared);
    free(blocked);
    free(gate);
    return rc;
}

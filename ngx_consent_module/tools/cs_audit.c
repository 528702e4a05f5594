/*
 * consentctl audit: see cs_audit.h; the JSON it builds is described in
 * doc/audit-schema.md.
 *
 * Each HTML response is replayed per consent state with cs_ops_filter()'s
 * element report (the same gate core and attribution `consentctl filter
 * --report` prints), and once more through the gate's on_unknown_host hook
 * for third-party hosts no recipient covers and its stats for elements over
 * the hold limit.
 */

#include "cs_audit_impl.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cs_compile.h"
#include "cs_har.h"
#include "cs_ops.h"

#define CS_AUDIT_FORMAT     "consentctl-audit/1"
#define CS_AUDIT_URL_MAX    300      /* bytes of a URL kept in the report */
#define CS_AUDIT_HOSTS_MAX  10000    /* distinct request hosts kept */
#define CS_AUDIT_HOST_MAX   256

struct cs_audit {
    const cs_rules_t  *rules;
    uint32_t           site;
    size_t             max_element;
    size_t             words;
    json_t            *states;       /* [{id, consent, allowed}] */
    char             **lists;        /* per state: consent list or NULL */
    json_t            *inputs;       /* [{har, entries, html_pages}] */
    json_t            *pages;
    json_t            *hosts;        /* host -> request record */
    json_t            *page_hosts;   /* host -> true */
    json_t            *first_party;  /* [suffix] */
    size_t             hosts_dropped;
    /* the HAR being read */
    const char        *har;
    json_t            *input;
    char              *err;
    size_t             errlen;
};

/* json_array_append_new / json_object_set_new that also fail on NULL. */
static int
cs_jadd(json_t *arr, json_t *v)
{
    return v != NULL && json_array_append_new(arr, v) == 0 ? 0 : -1;
}

static int
cs_jset(json_t *obj, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

cs_audit_t *
cs_audit_new(const cs_rules_t *rules, const char *site, size_t max_element,
    char *err, size_t errlen)
{
    int32_t     s = cs_rules_site_find(rules, site, strlen(site));
    cs_audit_t *a;

    if (s < 0) {
        cs_har_err(err, errlen, "unknown site '%s'", site);
        return NULL;
    }
    if ((a = calloc(1, sizeof(*a))) == NULL) {
        cs_har_err(err, errlen, "out of memory");
        return NULL;
    }
    a->rules = rules;
    a->site = (uint32_t) s;
    a->max_element = max_element;
    a->words = cs_rules_set_words(rules);
    a->states = json_array();
    a->inputs = json_array();
    a->pages = json_array();
    a->hosts = json_object();
    a->page_hosts = json_object();
    a->first_party = json_array();
    if (a->states == NULL || a->inputs == NULL || a->pages == NULL
        || a->hosts == NULL || a->page_hosts == NULL
        || a->first_party == NULL)
    {
        cs_audit_free(a);
        cs_har_err(err, errlen, "out of memory");
        return NULL;
    }
    return a;
}

void
cs_audit_free(cs_audit_t *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; a->lists != NULL && i < json_array_size(a->states);
         i++)
    {
        free(a->lists[i]);
    }
    free(a->lists);
    json_decref(a->states);
    json_decref(a->inputs);
    json_decref(a->pages);
    json_decref(a->hosts);
    json_decref(a->page_hosts);
    json_decref(a->first_party);
    free(a);
}

/* ---- consent states ---- */

/*
 * Adds a state allowing the recipients in allowed: the list handed to
 * cs_ops_filter() is their ids (NULL when none), so every state replays
 * through the same plain-list path the filter command takes.
 */
static int
cs_audit_state(cs_audit_t *a, const char *id, const char *consent,
    const uint64_t *allowed, char *err, size_t errlen)
{
    size_t      n = json_array_size(a->states);
    char      **lists = realloc(a->lists, (n + 1) * sizeof(*lists));
    json_t     *st = json_object(), *ids = json_array();
    cs_obuf_t   list = { 0 };

    if (lists != NULL) {
        a->lists = lists;
        lists[n] = NULL;
    }
    for (uint32_t r = 0; r < cs_rules_recipient_count(a->rules); r++) {
        if (cs_bitset_test(allowed, r)) {
            const char *rid = cs_rules_recipient(a->rules, r)->id;

            cs_obuf_fmt(&list, "%s%s", list.len ? "," : "", rid);
            cs_jadd(ids, json_string(rid));
        }
    }
    if (lists == NULL || st == NULL || ids == NULL || list.oom
        || cs_jset(st, "id", json_string(id)) != 0
        || cs_jset(st, "consent", json_string(consent)) != 0
        || cs_jset(st, "allowed", json_incref(ids)) != 0
        || json_array_append(a->states, st) != 0)
    {
        json_decref(st);
        json_decref(ids);
        cs_obuf_free(&list);
        cs_har_err(err, errlen, "out of memory");
        return -1;
    }
    json_decref(st);
    json_decref(ids);
    lists[n] = list.len ? list.data : NULL;
    if (lists[n] == NULL) {
        cs_obuf_free(&list);
    }
    return 0;
}

int
cs_audit_add_consent(cs_audit_t *a, const char *value, char *err,
    size_t errlen)
{
    uint64_t *allowed = calloc(a->words, sizeof(uint64_t));
    int       rc = -1;

    if (allowed == NULL) {
        cs_har_err(err, errlen, "out of memory");
        return -1;
    }
    if (cs_consent_parse_list(a->rules, a->site, value, strlen(value),
                              allowed) < 0)
    {
        cs_har_err(err, errlen, "malformed consent value '%s'", value);
    } else {
        rc = cs_audit_state(a, value, value, allowed, err, errlen);
    }
    free(allowed);
    return rc;
}

/* The format consent_cookie gives a cookie name by convention. */
static int
cs_audit_cookie_format(const char *name, size_t len)
{
    static const struct {
        const char      *name;
        cs_cmp_format_t  format;
    } known[] = {
        { "consent", CS_CMP_LIST },
        { "OptanonConsent", CS_CMP_ONETRUST },
        { "CookieConsent", CS_CMP_COOKIEBOT },
        { "cc_cookie", CS_CMP_CC_COOKIE },
        { "klaro", CS_CMP_KLARO },
        { "euconsent-v2", CS_CMP_TCF },
        { "eupubconsent-v2", CS_CMP_TCF },
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strlen(known[i].name) == len
            && strncmp(known[i].name, name, len) == 0)
        {
            return (int) known[i].format;
        }
    }
    return -1;
}

int
cs_audit_add_cookie(cs_audit_t *a, const char *spec, char *err,
    size_t errlen)
{
    const char        *eq = strchr(spec, '='), *name = spec, *colon;
    const char        *value;
    int                fmt;
    uint64_t          *allowed;
    cs_cmp_consent_t  *c;
    int                rc = -1;

    if (eq == NULL || eq == spec) {
        cs_har_err(err, errlen, "--cookie takes NAME=VALUE or "
                     "FORMAT:NAME=VALUE, not '%s'", spec);
        return -1;
    }
    value = eq + 1;
    colon = memchr(spec, ':', (size_t) (eq - spec));
    if (colon != NULL) {
        fmt = cs_cmp_format_from_name(spec, (size_t) (colon - spec));
        name = colon + 1;
    } else {
        fmt = cs_audit_cookie_format(spec, (size_t) (eq - spec));
    }
    if (fmt < 0) {
        cs_har_err(err, errlen, "--cookie '%.*s': unknown format; give it "
                     "as FORMAT:NAME=VALUE (list, onetrust, cookiebot, "
                     "cc_cookie, klaro, tcf)", (int) (eq - spec), spec);
        return -1;
    }
    allowed = calloc(a->words, sizeof(uint64_t));
    c = malloc(sizeof(*c));
    if (allowed == NULL || c == NULL) {
        cs_har_err(err, errlen, "out of memory");
        goto done;
    }
    if (fmt == CS_CMP_LIST
        ? cs_consent_parse_list(a->rules, a->site, value, strlen(value),
                                allowed) < 0
        : cs_cmp_parse((cs_cmp_format_t) fmt, value, strlen(value), c) < 0)
    {
        cs_har_err(err, errlen, "--cookie %.*s: malformed %s value",
                     (int) (eq - name), name,
                     cs_cmp_format_name((cs_cmp_format_t) fmt));
        goto done;
    }
    if (fmt != CS_CMP_LIST) {
        (void) cs_consent_apply_cmp(a->rules, a->site, (cs_cmp_format_t) fmt,
                                    c, NULL, 0, allowed);
    }
    {
        char id[CS_RULES_CMP_NAME_MAX + 16];

        snprintf(id, sizeof(id), "cookie %.*s", (int) (eq - name), name);
        rc = cs_audit_state(a, id, spec, allowed, err, errlen);
    }
done:
    free(allowed);
    free(c);
    return rc;
}

int
cs_audit_add_first_party(cs_audit_t *a, const char *suffix, char *err,
    size_t errlen)
{
    char   host[CS_AUDIT_HOST_MAX];
    size_t n = strlen(suffix);

    if (n == 0 || n >= sizeof(host) || strchr(suffix, '/') != NULL) {
        cs_har_err(err, errlen, "--first-party takes a host suffix, not "
                     "'%s'", suffix);
        return -1;
    }
    for (size_t i = 0; i <= n; i++) {
        host[i] = (char) (suffix[i] >= 'A' && suffix[i] <= 'Z'
                          ? suffix[i] - 'A' + 'a' : suffix[i]);
    }
    if (cs_jadd(a->first_party, json_string(host)) != 0) {
        cs_har_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* The default states: none, all, and each declared recipient alone. */
static int
cs_audit_default_states(cs_audit_t *a, char *err, size_t errlen)
{
    const cs_declaration_t *decls;
    uint32_t                n = cs_rules_site_declarations(a->rules, a->site,
                                                           &decls);
    uint64_t               *set = calloc(a->words, sizeof(uint64_t));
    int                     rc;

    if (set == NULL) {
        cs_har_err(err, errlen, "out of memory");
        return -1;
    }
    rc = cs_audit_state(a, "none", "none", set, err, errlen);
    if (rc == 0) {
        cs_consent_declared(a->rules, a->site, set);
        rc = cs_audit_state(a, "all", "all", set, err, errlen);
    }
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const char *id = cs_rules_recipient(a->rules, decls[i].recipient)->id;

        memset(set, 0, a->words * sizeof(uint64_t));
        cs_bitset_set(set, decls[i].recipient);
        rc = cs_audit_state(a, id, id, set, err, errlen);
    }
    free(set);
    return rc;
}

/* ---- hosts ---- */

/* host equals suffix or ends in "." suffix */
static bool
cs_host_under(const char *host, const char *suffix)
{
    size_t h = strlen(host), s = strlen(suffix);

    return h == s ? strcmp(host, suffix) == 0
           : h > s && host[h - s - 1] == '.' && strcmp(host + h - s, suffix)
                                                == 0;
}

/* First party: under the page's host (or any page's, page NULL) or a
   --first-party suffix, as consent_unknown decides. */
static bool
cs_audit_first_party(const cs_audit_t *a, const char *page, const char *host)
{
    size_t      i;
    json_t     *v;
    const char *key;

    json_array_foreach(a->first_party, i, v) {
        if (cs_host_under(host, json_string_value(v))) {
            return true;
        }
    }
    if (page != NULL) {
        return cs_host_under(host, page);
    }
    json_object_foreach(a->page_hosts, key, v) {
        if (cs_host_under(host, key)) {
            return true;
        }
    }
    return false;
}

static json_t *
cs_audit_where(const cs_audit_t *a, size_t index, const char *url)
{
    return json_pack("{s:s, s:I, s:s%}", "har", a->har, "entry",
                     (json_int_t) index, "url", url,
                     strlen(url) > CS_AUDIT_URL_MAX ? (size_t) CS_AUDIT_URL_MAX
                     : strlen(url));
}

/* Logs one request of the capture by host. */
static int
cs_audit_request(cs_audit_t *a, size_t index, const char *url)
{
    char     host[CS_AUDIT_HOST_MAX];
    size_t   hl = cs_url_host(url, strlen(url), host, sizeof(host));
    json_t  *rec;
    int32_t  r;

    if (hl == 0) {
        return 0;                        /* data:, blob:, relative ... */
    }
    if ((rec = json_object_get(a->hosts, host)) != NULL) {
        json_integer_set(json_object_get(rec, "count"),
            json_integer_value(json_object_get(rec, "count")) + 1);
        return 0;
    }
    if (json_object_size(a->hosts) >= CS_AUDIT_HOSTS_MAX) {
        a->hosts_dropped++;
        return 0;
    }
    r = cs_rules_match_host(a->rules, host, hl);
    rec = json_pack("{s:s, s:o, s:b, s:i, s:o}", "host", host,
                    "recipient", r >= 0
                    ? json_string(cs_rules_recipient(a->rules,
                                                     (uint32_t) r)->id)
                    : json_null(),
                    "declared", r >= 0 && cs_rules_site_declares(a->rules,
                                              a->site, (uint32_t) r),
                    "count", 1, "first", cs_audit_where(a, index, url));
    return cs_jset(a->hosts, host, rec);
}

/* ---- replaying one HTML response ---- */

typedef struct {
    cs_audit_t  *a;
    const char  *page_host;
    json_t      *unknown;        /* [host], first-party ones left out */
} cs_audit_gate_t;

static void *
cs_audit_alloc(void *ctx, size_t size)
{
    (void) ctx;
    return malloc(size);
}

static void
cs_audit_release(void *ctx, void *p)
{
    (void) ctx;
    free(p);
}

static int
cs_audit_discard(void *ud, const unsigned char *p, size_t n, bool held)
{
    (void) ud;
    (void) p;
    (void) n;
    (void) held;
    return 0;
}

static int
cs_audit_unknown_host(void *ud, const char *host, size_t len)
{
    cs_audit_gate_t *g = ud;
    size_t           i;
    json_t          *v;

    (void) len;
    if (cs_audit_first_party(g->a, g->page_host, host)) {
        return 0;
    }
    json_array_foreach(g->unknown, i, v) {
        if (strcmp(json_string_value(v), host) == 0) {
            return 0;
        }
    }
    (void) cs_jadd(g->unknown, json_string(host));
    return 0;                            /* consent_unknown pass */
}

/*
 * One run of the gate with nothing allowed: the third-party hosts no
 * recipient covers, and the elements over the hold limit.
 */
static int
cs_audit_gate(cs_audit_t *a, json_t *page, const char *page_host,
    const cs_obuf_t *body)
{
    uint64_t        *none = calloc(a->words, sizeof(uint64_t));
    cs_gate_t       *gate = malloc(cs_gate_size());
    cs_audit_gate_t  g = { a, page_host, json_array() };
    cs_gate_conf_t   conf;
    int              rc = -1;

    if (none != NULL && gate != NULL && g.unknown != NULL) {
        memset(&conf, 0, sizeof(conf));
        conf.rules = a->rules;
        conf.action = CS_ACTION_STRIP;
        conf.allowed = none;
        conf.has_site = true;               /* its tagging hosts count */
        conf.site = a->site;
        conf.max_element = a->max_element;
        conf.allocator.alloc = cs_audit_alloc;
        conf.allocator.free = cs_audit_release;
        conf.emit = cs_audit_discard;
        conf.on_unknown_host = cs_audit_unknown_host;
        conf.hook_ud = &g;
        cs_gate_init(gate, &conf);
        if (cs_gate_feed(gate, (const unsigned char *) body->data, body->len)
            == 0 && cs_gate_finish(gate) == 0)
        {
            const cs_gate_stats_t *st = cs_gate_stats(gate);

            rc = cs_jset(page, "unknown_hosts", json_incref(g.unknown)) == 0
                 && cs_jset(page, "oversize",
                            json_pack("{s:I, s:I}",
                                      "removed", (json_int_t) st->oversize_removed,
                                      "passed", (json_int_t) st->oversize_passed))
                    == 0 ? 0 : -1;
        }
        cs_gate_cleanup(gate);
    }
    json_decref(g.unknown);
    free(gate);
    free(none);
    return rc;
}

/* The element at offset in elements, else a new one (NULL: no memory). */
static json_t *
cs_audit_element(cs_audit_t *a, json_t *elements, json_int_t off,
    const char *tag, const char *recipients)
{
    size_t  i, nstates = json_array_size(a->states);
    json_t *e, *ids, *undeclared, *decisions;

    json_array_foreach(elements, i, e) {
        if (json_integer_value(json_object_get(e, "offset")) == off) {
            return e;
        }
    }
    ids = json_array();
    undeclared = json_array();
    decisions = json_array();
    for (i = 0; decisions != NULL && i < nstates; i++) {
        json_array_append_new(decisions, json_null());
    }
    for (const char *p = recipients; ids != NULL && strcmp(recipients, "-")
         != 0 && *p != '\0'; )
    {
        size_t  l = strcspn(p, ",");
        int32_t r = cs_rules_recipient_find(a->rules, p, l);

        cs_jadd(ids, json_stringn(p, l));
        if (r >= 0 && !cs_rules_site_declares(a->rules, a->site, (uint32_t) r)) {
            cs_jadd(undeclared, json_stringn(p, l));
        }
        p += l + (p[l] == ',');
    }
    e = json_pack("{s:I, s:s, s:o, s:o, s:o}", "offset", off, "tag", tag,
                  "recipients", ids, "undeclared", undeclared,
                  "decisions", decisions);
    return cs_jadd(elements, e) == 0 ? e : NULL;
}

static int
cs_offset_cmp(const void *x, const void *y)
{
    json_int_t a = json_integer_value(json_object_get(*(json_t *const *) x,
                                                      "offset"));
    json_int_t b = json_integer_value(json_object_get(*(json_t *const *) y,
                                                      "offset"));

    return (a > b) - (a < b);
}

/*
 * Elements in offset order, without those every state kept: the gate left
 * them (no recipient), or the report's plain scan found a tag the gate's
 * tokenizer rightly does not see as an element (inside a <style>, a
 * <textarea> or an attribute value).
 */
static json_t *
cs_audit_sorted(json_t *elements)
{
    size_t   n = json_array_size(elements), k = 0;
    json_t **v = malloc((n + 1) * sizeof(*v));
    json_t  *out = json_array();

    if (v == NULL || out == NULL) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(elements, i), *d;
        size_t  j;
        bool    removed = false;

        json_array_foreach(json_object_get(e, "decisions"), j, d) {
            const char *what = json_string_value(d);

            removed = removed || what == NULL || strcmp(what, "kept") != 0;
        }
        if (removed) {
            v[k++] = e;
        }
    }
    qsort(v, k, sizeof(*v), cs_offset_cmp);
    for (size_t i = 0; i < k; i++) {
        json_array_append(out, v[i]);
    }
    free(v);
    return out;
}

static int
cs_audit_page(cs_audit_t *a, size_t index, const char *url,
    const cs_obuf_t *body)
{
    char      host[CS_AUDIT_HOST_MAX], errbuf[256];
    size_t    hl = cs_url_host(url, strlen(url), host, sizeof(host));
    json_t   *page, *elements = json_array(), *sorted;
    size_t    nstates = json_array_size(a->states);

    host[hl] = '\0';
    if (hl > 0 && cs_jset(a->page_hosts, host, json_true()) != 0) {
        json_decref(elements);
        return -1;
    }
    page = json_pack("{s:s, s:I, s:s%, s:s, s:I}", "har", a->har, "entry",
                     (json_int_t) index, "url", url,
                     strlen(url) > CS_AUDIT_URL_MAX
                     ? (size_t) CS_AUDIT_URL_MAX : strlen(url),
                     "host", host, "bytes", (json_int_t) body->len);
    if (page == NULL || elements == NULL
        || cs_audit_gate(a, page, host, body) != 0)
    {
        json_decref(page);
        json_decref(elements);
        return -1;
    }
    for (size_t s = 0; s < nstates; s++) {
        cs_obuf_t report = { 0 };
        char     *line, *save = NULL;

        if (cs_ops_filter(a->rules, cs_rules_site_id(a->rules, a->site),
                          a->lists[s], CS_ACTION_STRIP, a->max_element, true,
                          (const unsigned char *) body->data, body->len,
                          &report, errbuf, sizeof(errbuf)) != CS_OPS_OK)
        {
            cs_obuf_free(&report);
            json_decref(page);
            json_decref(elements);
            return -1;
        }
        for (line = report.data ? strtok_r(report.data, "\n", &save) : NULL;
             line != NULL; line = strtok_r(NULL, "\n", &save))
        {
            char               tag[16], ids[1024], what[16];
            unsigned long long off;
            json_t            *e;

            if (sscanf(line, "%llu %15s %1023s %15s", &off, tag, ids, what)
                != 4)
            {
                continue;
            }
            e = cs_audit_element(a, elements, (json_int_t) off, tag, ids);
            if (e == NULL) {
                cs_obuf_free(&report);
                json_decref(page);
                json_decref(elements);
                return -1;
            }
            json_array_set_new(json_object_get(e, "decisions"), s,
                               json_string(what));
        }
        cs_obuf_free(&report);
    }
    sorted = cs_audit_sorted(elements);
    json_decref(elements);
    if (cs_jset(page, "elements", sorted) != 0
        || cs_jadd(a->pages, page) != 0)
    {
        return -1;
    }
    json_integer_set(json_object_get(a->input, "html_pages"),
        json_integer_value(json_object_get(a->input, "html_pages")) + 1);
    return 0;
}

static bool
cs_is_html(const char *mime)
{
    return mime != NULL && (strncasecmp(mime, "text/html", 9) == 0
                            || strncasecmp(mime, "application/xhtml+xml", 21)
                               == 0);
}

static int
cs_audit_entry(void *ud, const char *path, size_t index, json_t *entry)
{
    cs_audit_t   *a = ud;
    const json_t *resp = json_object_get(entry, "response");
    const json_t *content = json_object_get(resp, "content");
    const char   *url = cs_har_str(json_object_get(entry, "request"), "url");
    json_int_t    status = json_integer_value(json_object_get(resp, "status"));
    cs_obuf_t     body = { 0 };
    char          why[256];
    int           rc;

    json_integer_set(json_object_get(a->input, "entries"),
                     (json_int_t) index + 1);
    if (url == NULL) {
        cs_har_err(a->err, a->errlen, "%s: entry %zu: no request.url",
                     path, index);
        return -1;
    }
    if (cs_audit_request(a, index, url) != 0) {
        cs_har_err(a->err, a->errlen, "out of memory");
        return -1;
    }
    if (!cs_is_html(cs_har_str(content, "mimeType"))) {
        return 0;
    }
    rc = cs_har_body(entry, &body, why, sizeof(why));
    if (rc == 1 && ((status >= 300 && status < 400) || status == 204
                    || json_integer_value(json_object_get(content, "size"))
                       == 0))
    {
        return 0;                        /* no body to have */
    }
    if (rc == 1) {
        cs_har_err(a->err, a->errlen, "%s: entry %zu (%s): HTML response "
                     "without content.text: save the HAR \"with content\"",
                     path, index, url);
        return -1;
    }
    if (rc != 0) {
        cs_har_err(a->err, a->errlen, "%s: entry %zu (%s): %s", path,
                     index, url, why);
        cs_obuf_free(&body);
        return -1;
    }
    rc = cs_audit_page(a, index, url, &body);
    cs_obuf_free(&body);
    if (rc != 0) {
        cs_har_err(a->err, a->errlen, "%s: entry %zu (%s): out of memory",
                     path, index, url);
    }
    return rc;
}

int
cs_audit_add_har(cs_audit_t *a, const char *path, char *err, size_t errlen)
{
    int rc;

    if (json_array_size(a->states) == 0
        && cs_audit_default_states(a, err, errlen) != 0)
    {
        return -1;
    }
    a->har = path;
    a->err = err;
    a->errlen = errlen;
    a->input = json_pack("{s:s, s:i, s:i}", "har", path, "entries", 0,
                         "html_pages", 0);
    if (a->input == NULL || json_array_append_new(a->inputs, a->input) != 0) {
        cs_har_err(err, errlen, "out of memory");
        return -1;
    }
    rc = cs_har_each_entry(path, cs_audit_entry, a, err, errlen);
    a->har = NULL;
    a->input = NULL;
    return rc == 0 ? 0 : -1;
}

/* ---- the report document ---- */

#define CS_SEEN_REMOVED  1
#define CS_SEEN_KEPT     2

typedef struct {
    uint32_t   count;          /* recipients */
    size_t     nstates;
    uint32_t  *elements;       /* per recipient */
    uint8_t   *seen;           /* [recipient * nstates + state] */
    uint32_t  *markup_req;     /* requests accounted for by markup */
    uint32_t  *runtime_req;    /* requests nothing in the markup explains */
    json_t   **hosts;          /* per recipient: [host] */
} cs_tally_t;

static json_t *
cs_finding(const char *kind, const char *fmt, ...)
{
    char    detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return json_pack("{s:s, s:s}", "kind", kind, "detail", detail);
}

/* Elements per recipient and state; undeclared ones, drift and oversize
   elements as findings. */
static int
cs_audit_tally_pages(cs_audit_t *a, cs_tally_t *t, json_t *findings)
{
    size_t  p, i, s;
    json_t *page, *e, *v;

    json_array_foreach(a->pages, p, page) {
        const char *url = cs_har_str(page, "url");
        json_int_t  passed = json_integer_value(json_object_get(
                                 json_object_get(page, "oversize"), "passed"));

        json_array_foreach(json_object_get(page, "elements"), i, e) {
            json_t *decisions = json_object_get(e, "decisions");

            json_array_foreach(json_object_get(e, "recipients"), s, v) {
                int32_t r = cs_rules_recipient_find(a->rules,
                                json_string_value(v),
                                json_string_length(v));
                if (r < 0) {
                    continue;
                }
                t->elements[r]++;
                for (size_t k = 0; k < t->nstates; k++) {
                    const char *what = json_string_value(
                                           json_array_get(decisions, k));

                    if (what != NULL) {
                        t->seen[(size_t) r * t->nstates + k] |=
                            strcmp(what, "kept") == 0 ? CS_SEEN_KEPT
                                                      : CS_SEEN_REMOVED;
                    }
                }
            }
            json_array_foreach(json_object_get(e, "undeclared"), s, v) {
                if (cs_jadd(findings, cs_finding("undeclared_element",
                        "%s: <%s> at byte %lld belongs to %s, which the "
                        "site does not declare", url,
                        cs_har_str(e, "tag"),
                        (long long) json_integer_value(
                            json_object_get(e, "offset")),
                        json_string_value(v))) != 0)
                {
                    return -1;
                }
            }
        }
        json_array_foreach(json_object_get(page, "unknown_hosts"), i, v) {
            if (cs_jadd(findings, cs_finding("unknown_host_in_markup",
                    "%s: an element loads from %s, which no recipient "
                    "covers", url, json_string_value(v))) != 0)
            {
                return -1;
            }
        }
        if (passed > 0
            && cs_jadd(findings, cs_finding("oversize_passed",
                   "%s: %lld element(s) larger than the hold limit (%zu "
                   "bytes) passed undecided", url, (long long) passed,
                   a->max_element)) != 0)
        {
            return -1;
        }
    }
    return 0;
}

static bool
cs_in_markup_unknown(const cs_audit_t *a, const char *host)
{
    size_t  p, i;
    json_t *page, *v;

    json_array_foreach(a->pages, p, page) {
        json_array_foreach(json_object_get(page, "unknown_hosts"), i, v) {
            if (strcmp(json_string_value(v), host) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* The request log by host, each marked in markup or at run time. */
static json_t *
cs_audit_requests(cs_audit_t *a, cs_tally_t *t, json_t *findings)
{
    json_t     *out = json_array(), *rec;
    const char *host;

    json_object_foreach(a->hosts, host, rec) {
        const char *rid = cs_har_str(rec, "recipient");
        json_int_t  n = json_integer_value(json_object_get(rec, "count"));
        int32_t     r = rid ? cs_rules_recipient_find(a->rules, rid,
                                                      strlen(rid)) : -1;
        bool        markup;
        json_t     *copy;

        if (r < 0 && cs_audit_first_party(a, NULL, host)) {
            continue;
        }
        markup = r >= 0 ? t->elements[r] > 0 : cs_in_markup_unknown(a, host);
        if (r >= 0) {
            *(markup ? &t->markup_req[r] : &t->runtime_req[r]) += (uint32_t) n;
            cs_jadd(t->hosts[r], json_string(host));
        }
        copy = json_deep_copy(rec);
        if (cs_jset(copy, "origin",
                    json_string(markup ? "in_markup" : "at_run_time")) != 0
            || cs_jadd(out, copy) != 0)
        {
            json_decref(out);
            return NULL;
        }
        if (r >= 0 && !json_is_true(json_object_get(rec, "declared"))
            && cs_jadd(findings, cs_finding("undeclared_request",
                   "%lld request(s) to %s (%s), which the site does not "
                   "declare, %s", (long long) n, host, rid,
                   markup ? "from an element in the markup"
                          : "injected at run time")) != 0)
        {
            json_decref(out);
            return NULL;
        }
        if (r < 0 && cs_jadd(findings, cs_finding("unknown_host_requested",
                         "%lld request(s) to %s, a third-party host no "
                         "recipient covers", (long long) n, host)) != 0)
        {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *
cs_audit_recipients(cs_audit_t *a, cs_tally_t *t)
{
    json_t *out = json_array();

    for (uint32_t r = 0; out != NULL && r < t->count; r++) {
        const cs_recipient_t *rec = cs_rules_recipient(a->rules, r);
        bool     declared = cs_rules_site_declares(a->rules, a->site, r);
        json_t  *removed = json_array(), *kept = json_array(), *o;

        if (!declared && t->elements[r] == 0 && t->markup_req[r] == 0
            && t->runtime_req[r] == 0)
        {
            json_decref(removed);
            json_decref(kept);
            continue;
        }
        for (size_t k = 0; k < t->nstates; k++) {
            json_t *id = json_object_get(json_array_get(a->states, k), "id");
            uint8_t seen = t->seen[(size_t) r * t->nstates + k];

            if (seen & CS_SEEN_REMOVED) {
                json_array_append(removed, id);
            }
            if (seen & CS_SEEN_KEPT) {
                json_array_append(kept, id);
            }
        }
        o = json_pack("{s:s, s:s, s:s, s:b, s:i, s:o, s:o, s:{s:i, s:i}, "
                      "s:O}", "id", rec->id, "name", rec->name,
                      "category", declared
                      ? cs_rules_declared_category(a->rules, a->site, r)
                      : rec->category, "declared", declared,
                      "elements", (int) t->elements[r],
                      "removed_in", removed, "kept_in", kept,
                      "requests", "in_markup", (int) t->markup_req[r],
                      "at_run_time", (int) t->runtime_req[r],
                      "hosts", t->hosts[r]);
        if (cs_jadd(out, o) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static void
cs_tally_free(cs_tally_t *t)
{
    for (uint32_t r = 0; t->hosts != NULL && r < t->count; r++) {
        json_decref(t->hosts[r]);
    }
    free(t->hosts);
    free(t->elements);
    free(t->seen);
    free(t->markup_req);
    free(t->runtime_req);
}

/* The whole report as JSON (doc/audit-schema.md); NULL: no memory. */
static json_t *
cs_audit_document(cs_audit_t *a)
{
    cs_tally_t  t;
    json_t     *findings = json_array(), *requests = NULL, *recipients = NULL;
    json_t     *doc = NULL;
    const char *gen = cs_rules_generation(a->rules);

    memset(&t, 0, sizeof(t));
    t.count = cs_rules_recipient_count(a->rules);
    t.nstates = json_array_size(a->states);
    t.elements = calloc(t.count + 1, sizeof(*t.elements));
    t.seen = calloc((size_t) t.count * t.nstates + 1, 1);
    t.markup_req = calloc(t.count + 1, sizeof(*t.markup_req));
    t.runtime_req = calloc(t.count + 1, sizeof(*t.runtime_req));
    t.hosts = calloc(t.count + 1, sizeof(*t.hosts));
    for (uint32_t r = 0; t.hosts != NULL && r < t.count; r++) {
        t.hosts[r] = json_array();
    }
    if (findings != NULL && t.elements != NULL && t.seen != NULL
        && t.markup_req != NULL && t.runtime_req != NULL && t.hosts != NULL
        && cs_audit_tally_pages(a, &t, findings) == 0
        && (requests = cs_audit_requests(a, &t, findings)) != NULL
        && (recipients = cs_audit_recipients(a, &t)) != NULL)
    {
        doc = json_pack("{s:s, s:{s:s, s:s}, s:s, s:I, s:O, s:O, s:O, s:o, "
                        "s:o, s:I, s:O, s:s}",
                        "format", CS_AUDIT_FORMAT,
                        "site", "id", cs_rules_site_id(a->rules, a->site),
                        "name", cs_rules_site_name(a->rules, a->site),
                        "rules_generation", gen,
                        "max_element", (json_int_t) a->max_element,
                        "inputs", a->inputs, "states", a->states,
                        "pages", a->pages, "recipients", recipients,
                        "requests", requests,
                        "hosts_not_listed", (json_int_t) a->hosts_dropped,
                        "findings", findings,
                        "result", json_array_size(findings) ? "findings"
                                                            : "clean");
        recipients = requests = NULL;
    }
    json_decref(recipients);
    json_decref(requests);
    json_decref(findings);
    cs_tally_free(&t);
    return doc;
}

static int
cs_dump_cb(const char *buffer, size_t size, void *data)
{
    return cs_obuf_add(data, buffer, size) ? 0 : -1;
}

int
cs_audit_render(cs_audit_t *a, cs_audit_format_t format, cs_obuf_t *out)
{
    json_t  *doc;
    int      rc;

    if (json_array_size(a->states) == 0
        && cs_audit_default_states(a, NULL, 0) != 0)
    {
        return CS_AUDIT_UNUSABLE;
    }
    if ((doc = cs_audit_document(a)) == NULL) {
        return CS_AUDIT_UNUSABLE;
    }
    rc = json_array_size(json_object_get(doc, "findings")) ? CS_AUDIT_FINDINGS
                                                           : CS_AUDIT_CLEAN;
    if (format == CS_AUDIT_JSON) {
        if (json_dump_callback(doc, cs_dump_cb, out, JSON_INDENT(2)) != 0) {
            rc = CS_AUDIT_UNUSABLE;
        }
        cs_obuf_str(out, "\n");
    } else {
        cs_audit_render_doc(doc, format, out);
    }
    json_decref(doc);
    return out->oom ? CS_AUDIT_UNUSABLE : rc;
}

/* ---- consentctl audit ---- */

static void
cs_audit_usage(void)
{
    fputs("usage: consentctl audit --rules DB|RULES.yaml --site ID "
          "[--consent V]...\n"
          "         [--cookie [FORMAT:]NAME=VALUE]... [--first-party SUFFIX]...\n"
          "         [--max-element BYTES] [--format text|md|html|json] "
          "FILE.har...\n", stderr);
}

/* Loads a rules database, or compiles a YAML source into a temporary one. */
static cs_rules_t *
cs_audit_rules(const char *path, char *err, size_t errlen)
{
    size_t      n = strlen(path);
    char        tmp[4096];
    cs_rules_t *rules;

    if (!((n > 5 && strcmp(path + n - 5, ".yaml") == 0)
          || (n > 4 && strcmp(path + n - 4, ".yml") == 0)))
    {
        return cs_rules_load(path, err, errlen);
    }
    if (cs_compile_tmp(&path, 1, "consentctl-audit", "rules.mdb", tmp,
                       sizeof(tmp), err, errlen) != CS_COMPILE_OK)
    {
        return NULL;
    }
    rules = cs_rules_load(tmp, err, errlen);
    cs_compile_tmp_remove(tmp);
    return rules;
}

int
cs_audit_main(int argc, char **argv)
{
    static char         err[4096];
    const char         *db = NULL, *site = NULL, *format = "text";
    size_t              max_element = 256u * 1024u;   /* the module's default */
    cs_audit_format_t   f;
    cs_rules_t         *rules = NULL;
    cs_audit_t         *a = NULL;
    cs_obuf_t           out = { 0 };
    int                 rc = CS_AUDIT_UNUSABLE, nhar = 0;

    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];

        if (o[0] != '-') {
            nhar++;
            continue;
        }
        if (i + 1 >= argc) {
            cs_audit_usage();
            return CS_AUDIT_UNUSABLE;
        }
        if (strcmp(o, "--rules") == 0 || strcmp(o, "--db") == 0) {
            db = argv[++i];
        } else if (strcmp(o, "--site") == 0) {
            site = argv[++i];
        } else if (strcmp(o, "--format") == 0) {
            format = argv[++i];
        } else if (strcmp(o, "--max-element") == 0) {
            char *end;

            max_element = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || max_element == 0) {
                cs_audit_usage();
                return CS_AUDIT_UNUSABLE;
            }
        } else if (strcmp(o, "--consent") == 0 || strcmp(o, "--cookie") == 0
                   || strcmp(o, "--first-party") == 0)
        {
            i++;                         /* taken in order below */
        } else {
            fprintf(stderr, "consentctl: unknown option '%s'\n", o);
            cs_audit_usage();
            return CS_AUDIT_UNUSABLE;
        }
    }
    f = strcmp(format, "text") == 0 ? CS_AUDIT_TEXT
        : strcmp(format, "md") == 0 ? CS_AUDIT_MD
        : strcmp(format, "html") == 0 ? CS_AUDIT_HTML
        : strcmp(format, "json") == 0 ? CS_AUDIT_JSON : (cs_audit_format_t) -1;
    if (db == NULL || site == NULL || nhar == 0 || (int) f < 0) {
        cs_audit_usage();
        return CS_AUDIT_UNUSABLE;
    }
    if ((rules = cs_audit_rules(db, err, sizeof(err))) == NULL) {
        fprintf(stderr, "consentctl: %s: %s\n", db, err);
        return CS_AUDIT_UNUSABLE;
    }
    if ((a = cs_audit_new(rules, site, max_element, err, sizeof(err)))
        == NULL)
    {
        goto fail;
    }
    for (int i = 0; i < argc; i++) {
        int bad = 0;

        if (strcmp(argv[i], "--consent") == 0) {
            bad = cs_audit_add_consent(a, argv[++i], err, sizeof(err));
        } else if (strcmp(argv[i], "--cookie") == 0) {
            bad = cs_audit_add_cookie(a, argv[++i], err, sizeof(err));
        } else if (strcmp(argv[i], "--first-party") == 0) {
            bad = cs_audit_add_first_party(a, argv[++i], err, sizeof(err));
        } else if (argv[i][0] == '-') {
            i++;
        }
        if (bad) {
            goto fail;
        }
    }
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-') {
            i++;
        } else if (cs_audit_add_har(a, argv[i], err, sizeof(err)) != 0) {
            goto fail;
        }
    }
    rc = cs_audit_render(a, f, &out);
    if (rc == CS_AUDIT_UNUSABLE) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
        snprintf(err, sizeof(err), "cannot write the report");
        rc = CS_AUDIT_UNUSABLE;
        goto fail;
    }
    goto done;
fail:
    fprintf(stderr, "consentctl: %s\n", err);
    rc = CS_AUDIT_UNUSABLE;
done:
    cs_obuf_free(&out);
    cs_audit_free(a);
    cs_rules_free(rules);
    return rc;
}

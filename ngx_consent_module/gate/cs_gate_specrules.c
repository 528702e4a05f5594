/*
 * Speculation rules (<script type="speculationrules">): JSON naming URLs
 * the browser prefetches or prerenders on its own. List rules name them
 * ("urls"); document rules name patterns of the page's links ("where":
 * "href_matches", "selector_matches", "and", "or", "not"). The script is
 * denied whole when a URL or pattern names a recipient the request does
 * not allow: the rules are an optimisation, so losing them breaks nothing,
 * and rewriting the JSON would not keep the site's bytes. Fail closed:
 * JSON that does not parse, and a document rule that may match links on
 * any host (a pattern with a wildcard or unknown host, a selector, a
 * "not"), deny it too.
 */

#include <jansson.h>

#include "cs_gate_int.h"

/* Ties one URL (or a pattern's literal prefix); denies when it is. */
static void
rule_url(cs_gate_t *g, const char *url, size_t len)
{
    if (url_denied(g, url, len)) {
        g->el.denied = true;
    }
}

/*
 * One href_matches pattern string: ties its host when it names one
 * (https://host/... or //host/...), or the base's (a relative pattern
 * matches links of the page's origin). Returns whether the pattern keeps
 * to that host: false when the host part holds pattern syntax.
 */
static bool
rule_pattern(cs_gate_t *g, const char *pat, size_t len)
{
    const char  *host = NULL;
    size_t       i;

    for (i = 0; i + 1 < len; i++) {
        if (pat[i] == '/' && pat[i + 1] == '/') {
            host = pat + i + 2;
            break;
        }
        if (pat[i] == '/' || pat[i] == '?' || pat[i] == '#') {
            break;
        }
    }
    if (host == NULL) {
        if (memchr(pat, ':', i) != NULL) {
            return false;           /* a scheme pattern with no host */
        }
        rule_url(g, pat, len);      /* relative: the page's links */
        return true;
    }
    for (i = (size_t) (host - pat); i < len && pat[i] != '/'; i++) {
        if (pat[i] == '*' || pat[i] == '{' || pat[i] == '(' || pat[i] == '\\'
            || (pat[i] == ':' && i + 1 < len
                && !(pat[i + 1] >= '0' && pat[i + 1] <= '9')))
        {
            return false;           /* any host may match */
        }
    }
    rule_url(g, pat, len);
    return true;
}

/* A pattern given as an object ({"hostname": ...}). */
static bool
rule_pattern_object(cs_gate_t *g, json_t *o)
{
    json_t      *h = json_object_get(o, "hostname");
    const char  *base = json_string_value(json_object_get(o, "baseURL"));
    char         url[CS_URL_MAX];
    int          n;

    if (json_is_string(h)) {
        n = snprintf(url, sizeof(url), "https://%s/", json_string_value(h));
        return n > 0 && (size_t) n < sizeof(url)
               && rule_pattern(g, url, (size_t) n);
    }
    if (h != NULL) {
        return false;
    }
    /* no hostname: the base URL's (the page's when none) */
    if (base) {
        return rule_pattern(g, base, strlen(base));
    }
    return true;
}

static bool
rule_href_matches(cs_gate_t *g, json_t *v)
{
    size_t   i;
    json_t  *e;
    bool     kept = true;

    if (json_is_string(v)) {
        return rule_pattern(g, json_string_value(v), json_string_length(v));
    }
    if (json_is_object(v)) {
        return rule_pattern_object(g, v);
    }
    if (!json_is_array(v)) {
        return false;
    }
    json_array_foreach(v, i, e) {
        kept &= json_is_object(e) ? rule_pattern_object(g, e)
                : json_is_string(e) ? rule_pattern(g, json_string_value(e),
                                                   json_string_length(e))
                : false;
    }
    return kept;
}

/*
 * A document rule's condition: ties the hosts its patterns name; returns
 * whether the links it matches keep to those hosts. Nesting is bounded by
 * the JSON parser's depth limit.
 */
static bool
rule_where(cs_gate_t *g, json_t *c)
{
    json_t  *v, *e;
    size_t   i;
    bool     kept;

    if (!json_is_object(c)) {
        return false;
    }
    if ((v = json_object_get(c, "href_matches")) != NULL) {
        return rule_href_matches(g, v);
    }
    if ((v = json_object_get(c, "and")) != NULL && json_is_array(v)) {
        kept = false;               /* one kept conjunct keeps them all */
        json_array_foreach(v, i, e) {
            kept |= rule_where(g, e);
        }
        return kept;
    }
    if ((v = json_object_get(c, "or")) != NULL && json_is_array(v)) {
        kept = json_array_size(v) > 0;
        json_array_foreach(v, i, e) {
            kept &= rule_where(g, e);
        }
        return kept;
    }
    /* "not", "selector_matches": links of any host */
    return false;
}

static void
rule_list(cs_gate_t *g, json_t *rules)
{
    size_t   i, k;
    json_t  *rule, *urls, *u, *where;

    if (!json_is_array(rules)) {
        return;                     /* the browser ignores it */
    }
    json_array_foreach(rules, i, rule) {
        if ((urls = json_object_get(rule, "urls")) != NULL) {
            json_array_foreach(urls, k, u) {
                if (json_is_string(u)) {
                    rule_url(g, json_string_value(u), json_string_length(u));
                }
            }
        }
        where = json_object_get(rule, "where");
        if (json_is_string(json_object_get(rule, "source"))
            && strcmp(json_string_value(json_object_get(rule, "source")),
                      "document") == 0
            && where == NULL)
        {
            g->el.denied = true;    /* every link on the page */
        } else if (where != NULL && !rule_where(g, where)) {
            g->el.denied = true;
        }
    }
}

bool
script_is_speculation_rules(const cs_attr_value_t *type)
{
    size_t  a = 0, b;

    if (type == NULL) {
        return false;
    }
    b = type->len;
    while (a < b && is_space((u_char_t) type->buf[a])) {
        a++;
    }
    while (b > a && is_space((u_char_t) type->buf[b - 1])) {
        b--;
    }
    return name_is(type->buf + a, b - a, "speculationrules");
}

void
tie_speculation_rules(cs_gate_t *g, const char *text, size_t len)
{
    json_error_t  err;
    json_t       *doc = json_loadb(text, len, 0, &err);
    const char   *key;
    json_t       *v;

    if (doc == NULL) {
        g->el.denied = true;        /* cannot read it: fail closed */
        return;
    }
    json_object_foreach(doc, key, v) {
        if (strcmp(key, "prefetch") == 0 || strcmp(key, "prerender") == 0
            || strcmp(key, "prefetch_with_subresources") == 0)
        {
            rule_list(g, v);
        }
    }
    json_decref(doc);
}

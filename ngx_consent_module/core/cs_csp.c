/*
 * Content Security Policy for a consent decision, violation reports, and
 * the decision script for tag managers (cs_csp.h).
 */

#include <string.h>

#include <jansson.h>

#include "cs_bitset.h"
#include "cs_core.h"
#include "cs_csp.h"

/*
 * Output that counts what it would write: bytes past cap are dropped, len
 * keeps growing, so one pass tells both the text and the size it needs.
 */
typedef struct {
    char    *out;
    size_t   cap;
    size_t   len;
} cs_csp_writer_t;

static void
cs_csp_put(cs_csp_writer_t *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;

        memcpy(w->out + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void
cs_csp_puts(cs_csp_writer_t *w, const char *s)
{
    cs_csp_put(w, s, strlen(s));
}

/* ---- the policy ---- */

bool
cs_csp_source_valid(const char *s, size_t len)
{
    size_t  quotes = 0;

    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';' || c == '"'
            || c == '\\')
        {
            return false;
        }
        quotes += (c == '\'');
    }

    /* a keyword is quoted whole: 'unsafe-eval', 'wasm-unsafe-eval' */
    if (quotes == 0) {
        /* unquoted, a keyword would be a host of that name */
        static const char *keywords[] = {
            "self", "none", "unsafe-inline", "unsafe-eval",
            "wasm-unsafe-eval", "unsafe-hashes", "strict-dynamic",
            "report-sample", "unsafe-allow-redirects"
        };

        for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
            if (strlen(keywords[k]) == len && memcmp(keywords[k], s, len) == 0)
            {
                return false;
            }
        }
        return true;
    }
    return quotes == 2 && len > 2 && s[0] == '\'' && s[len - 1] == '\'';
}

/* a suffix's subdomains ("*." wildcard) and itself, https only */
static void
cs_csp_host_sources(cs_csp_writer_t *w, const char *suffix, size_t len)
{
    cs_csp_puts(w, " https://*.");
    cs_csp_put(w, suffix, len);
    cs_csp_puts(w, " https://");
    cs_csp_put(w, suffix, len);
}

static void
cs_csp_recipient_host(void *ud, const char *host, size_t len)
{
    cs_csp_host_sources(ud, host, len);
}

static void
cs_csp_head(cs_csp_writer_t *w, const cs_csp_conf_t *conf)
{
    /* inline code stays allowed: the policy restricts where data goes */
    cs_csp_puts(w, "default-src 'self' 'unsafe-inline'");

    for (size_t i = 0; i < conf->nfirst_party; i++) {
        cs_csp_host_sources(w, conf->first_party[i].data,
                            conf->first_party[i].len);
    }
    for (size_t i = 0; i < conf->nallow; i++) {
        cs_csp_puts(w, " ");
        cs_csp_put(w, conf->allow[i].data, conf->allow[i].len);
    }
}

static void
cs_csp_tail(cs_csp_writer_t *w, const cs_csp_conf_t *conf)
{
    if (conf->report_uri == NULL) {
        return;
    }
    cs_csp_puts(w, "; report-uri ");
    cs_csp_put(w, conf->report_uri, conf->report_uri_len);
    if (conf->report_group != NULL) {
        cs_csp_puts(w, "; report-to ");
        cs_csp_puts(w, conf->report_group);
    }
}

size_t
cs_csp_base_size(const cs_csp_conf_t *conf)
{
    cs_csp_writer_t  w = { NULL, 0, 0 };

    cs_csp_head(&w, conf);
    cs_csp_tail(&w, conf);
    return w.len;
}

size_t
cs_csp_build(const cs_csp_conf_t *conf, const cs_rules_t *rules,
    const uint64_t *allowed, char *out, size_t cap, bool *dropped)
{
    size_t           limit;
    cs_csp_writer_t  w = { out, cap, 0 };

    *dropped = false;
    if (cap == 0) {
        return 0;
    }
    limit = conf->max_size < cap ? conf->max_size : cap - 1;

    cs_csp_head(&w, conf);

    uint32_t n = allowed ? cs_rules_recipient_count(rules) : 0;
    for (uint32_t r = 0; r < n; r++) {
        if (cs_bitset_test(allowed, r)) {
            (void) cs_rules_recipient_hosts(rules, r, cs_csp_recipient_host,
                                            &w);
        }
    }

    cs_csp_tail(&w, conf);

    if (w.len > limit) {
        /* fail closed: no recipient rather than a cut policy */
        *dropped = true;
        w.len = 0;
        cs_csp_head(&w, conf);
        cs_csp_tail(&w, conf);
        if (w.len > limit) {
            return 0;
        }
    }

    out[w.len] = '\0';
    return w.len;
}

const char  cs_csp_ad_apis_off[] =
    "browsing-topics=(), join-ad-interest-group=(), run-ad-auction=(), "
    "attribution-reporting=(), private-aggregation=(), shared-storage=(), "
    "shared-storage-select-url=(), interest-cohort=()";

/* ---- violation reports ---- */

/* every directive a counter may be labelled with; the last one is "other" */
static const char  *cs_csp_directives[] = {
    "default-src", "script-src", "script-src-elem", "script-src-attr",
    "style-src", "style-src-elem", "style-src-attr", "img-src",
    "connect-src", "frame-src", "child-src", "worker-src", "media-src",
    "font-src", "object-src", "manifest-src", "prefetch-src", "form-action",
    "other"
};

#define CS_CSP_NDIRECTIVES \
    (sizeof(cs_csp_directives) / sizeof(cs_csp_directives[0]))

static const char  *cs_csp_modes[] = { "enforce", "report", "unknown" };

unsigned
cs_csp_directive_count(void)
{
    return CS_CSP_NDIRECTIVES;
}

const char *
cs_csp_directive_name(unsigned directive)
{
    return directive < CS_CSP_NDIRECTIVES
           ? cs_csp_directives[directive]
           : cs_csp_directives[CS_CSP_NDIRECTIVES - 1];
}

unsigned
cs_csp_directive_index(const char *name, size_t len)
{
    /* CSP2's violated-directive carries the sources after the name */
    const char *space = name ? memchr(name, ' ', len) : NULL;

    if (space) {
        len = (size_t) (space - name);
    }
    for (unsigned i = 0; name && i < CS_CSP_NDIRECTIVES - 1; i++) {
        if (strlen(cs_csp_directives[i]) == len
            && memcmp(cs_csp_directives[i], name, len) == 0)
        {
            return i;
        }
    }
    return CS_CSP_NDIRECTIVES - 1;
}

const char *
cs_csp_mode_name(unsigned mode)
{
    return cs_csp_modes[mode <= CS_CSP_MODE_UNKNOWN ? mode
                                                    : CS_CSP_MODE_UNKNOWN];
}

/* A string member of obj, or NULL (absent or not a string). */
static const char *
cs_csp_member(json_t *obj, const char *key, size_t *len)
{
    json_t  *v = json_object_get(obj, key);

    if (!json_is_string(v)) {
        return NULL;
    }
    *len = json_string_length(v);
    return json_string_value(v);
}

/*
 * One violation object, in either naming (CSP2's "blocked-uri",
 * "effective-directive"; the Reporting API's "blockedURL",
 * "effectiveDirective"). Returns false if it names no blocked resource.
 */
static bool
cs_csp_violation(json_t *obj, bool api, cs_csp_violation_t *v)
{
    size_t       len = 0;
    const char  *dir, *disp;

    if (!json_is_object(obj)) {
        return false;
    }

    v->blocked = cs_csp_member(obj, api ? "blockedURL" : "blocked-uri",
                               &v->blocked_len);
    if (v->blocked == NULL) {
        return false;
    }

    dir = cs_csp_member(obj, api ? "effectiveDirective"
                                 : "effective-directive", &len);
    if (dir == NULL && !api) {
        dir = cs_csp_member(obj, "violated-directive", &len);
    }
    v->directive = cs_csp_directive_index(dir, dir ? len : 0);

    disp = cs_csp_member(obj, "disposition", &len);
    v->mode = CS_CSP_MODE_UNKNOWN;
    if (disp && len == 7 && memcmp(disp, "enforce", 7) == 0) {
        v->mode = CS_CSP_MODE_ENFORCE;
    } else if (disp && len == 6 && memcmp(disp, "report", 6) == 0) {
        v->mode = CS_CSP_MODE_REPORT;
    }
    return true;
}

int
cs_csp_report_parse(const char *body, size_t len, int format,
    unsigned max_violations, cs_csp_violation_cb cb, void *ud)
{
    int                  n = 0;
    json_t              *root, *item;
    size_t               i;
    json_error_t         err;
    cs_csp_violation_t   v;

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        return -1;
    }

    if (format == CS_CSP_REPORT_LEGACY) {
        if (!json_is_object(root)) {
            n = -1;
        } else if (max_violations > 0
                   && cs_csp_violation(json_object_get(root, "csp-report"),
                                       false, &v))
        {
            cb(ud, &v);
            n = 1;
        }
        json_decref(root);
        return n;
    }

    if (!json_is_array(root)) {
        json_decref(root);
        return -1;
    }

    json_array_foreach(root, i, item) {
        size_t       tlen;
        const char  *type;

        if ((unsigned) n >= max_violations) {
            break;
        }
        if (!json_is_object(item)) {
            continue;
        }
        type = cs_csp_member(item, "type", &tlen);
        if (type == NULL || tlen != 13 || memcmp(type, "csp-violation", 13))
        {
            continue;
        }
        if (cs_csp_violation(json_object_get(item, "body"), true, &v)) {
            cb(ud, &v);
            n++;
        }
    }

    json_decref(root);
    return n;
}

int32_t
cs_csp_attribute(const cs_rules_t *rules, const char *url, size_t len,
    char *host, size_t hostlen)
{
    size_t  n = cs_url_host(url, len, host, hostlen);

    if (n == 0) {
        host[0] = '\0';
        return CS_CSP_NO_HOST;
    }

    int32_t r = cs_rules_match_host(rules, host, n);

    return r >= 0 ? r : CS_CSP_UNATTRIBUTED;
}

/* ---- the decision for tag managers ---- */

/* A JSON string any HTML parser leaves inside the script element. */
static void
cs_csp_js_string(cs_csp_writer_t *w, const char *s, size_t len)
{
    static const char  hex[] = "0123456789abcdef";

    cs_csp_puts(w, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == ':')
        {
            cs_csp_put(w, (const char *) &s[i], 1);
        } else {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

            cs_csp_put(w, esc, 6);
        }
    }
    cs_csp_puts(w, "\"");
}

/*
 * The allowed recipients' ids, or their distinct categories, either as a
 * JSON array or as one ",a,b," string.
 */
static void
cs_csp_decision_list(cs_csp_writer_t *w, const cs_rules_t *rules,
    int32_t site, const uint64_t *allowed, bool categories, bool array)
{
    uint32_t     n = cs_rules_recipient_count(rules), listed = 0;
    const char  *seen[64];
    uint32_t     nseen = 0;
    char         joined[CS_ID_MAX + 2];

    cs_csp_puts(w, array ? "[" : "\",");
    for (uint32_t r = 0; site >= 0 && allowed && r < n; r++) {
        const char  *item;
        bool         dup = false;

        if (!cs_bitset_test(allowed, r)) {
            continue;
        }
        item = categories
               ? cs_rules_declared_category(rules, (uint32_t) site, r)
               : cs_rules_recipient(rules, r)->id;
        if (item == NULL) {
            continue;
        }
        for (uint32_t k = 0; categories && k < nseen; k++) {
            dup = dup || strcmp(seen[k], item) == 0;
        }
        if (dup) {
            continue;
        }
        if (categories && nseen < 64) {
            seen[nseen++] = item;
        }

        size_t len = strlen(item);

        if (array) {
            cs_csp_puts(w, listed ? "," : "");
            cs_csp_js_string(w, item, len);
        } else if (len <= CS_ID_MAX) {
            /* ids and categories are [a-z0-9_-]: nothing to escape */
            memcpy(joined, item, len);
            joined[len] = ',';
            cs_csp_put(w, joined, len + 1);
        }
        listed++;
    }
    cs_csp_puts(w, array ? "]" : "\"");
}

/*
 * The decision's four members, named with prefix: lists as JSON arrays
 * (array) or as ",a,b," strings.
 */
static void
cs_csp_decision_members(cs_csp_writer_t *w, const char *prefix, bool array,
    const cs_rules_t *rules, int32_t site, const uint64_t *allowed,
    const char *source, const char *generation, size_t generation_len)
{
    static const char  *names[] = { "allowed", "categories", "source",
                                    "generation" };

    for (int i = 0; i < 4; i++) {
        cs_csp_puts(w, i ? ",\"" : "\"");
        cs_csp_puts(w, prefix);
        cs_csp_puts(w, names[i]);
        cs_csp_puts(w, "\":");
        if (i < 2) {
            cs_csp_decision_list(w, rules, site, allowed, i == 1, array);
        } else if (i == 2) {
            cs_csp_js_string(w, source, strlen(source));
        } else {
            cs_csp_js_string(w, generation, generation_len);
        }
    }
}

size_t
cs_csp_decision_script(const cs_rules_t *rules, int32_t site,
    const uint64_t *allowed, const char *source, const char *generation,
    size_t generation_len, char *out, size_t cap)
{
    cs_csp_writer_t  w = { out, cap, 0 };

    cs_csp_puts(&w, "<script>window.consentDecision=Object.freeze({");
    cs_csp_decision_members(&w, "", true, rules, site, allowed, source,
                            generation, generation_len);
    cs_csp_puts(&w, "});(window.dataLayer=window.dataLayer||[]).push("
                    "{\"event\":\"consent_decision\",");
    cs_csp_decision_members(&w, "consent_", false, rules, site, allowed,
                            source, generation, generation_len);
    cs_csp_puts(&w, "});</script>");

    if (w.len < cap) {
        out[w.len] = '\0';
    }
    return w.len;
}

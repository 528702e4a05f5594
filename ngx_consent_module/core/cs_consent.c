/*
 * The plain consent list: "google,meta", "analytics|x", "all", "none".
 * Fails closed: a malformed value grants nothing, unknown items grant
 * nothing, and only recipients the site declares can ever be granted.
 */

#include <string.h>

#include "cs_core.h"

static bool
is_item_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Length of the separator at v[i] (',' '|' "%2C" "%7C"), or 0. */
static size_t
separator_len(const char *v, size_t len, size_t i)
{
    if (v[i] == ',' || v[i] == '|') {
        return 1;
    }
    if (v[i] == '%' && i + 2 < len && v[i + 1] == '2'
        && (v[i + 2] == 'C' || v[i + 2] == 'c'))
    {
        return 3;
    }
    if (v[i] == '%' && i + 2 < len && v[i + 1] == '7'
        && (v[i + 2] == 'C' || v[i + 2] == 'c'))
    {
        return 3;
    }
    return 0;
}

static bool
item_is(const char *item, size_t n, const char *word)
{
    size_t wl = strlen(word);
    if (n != wl) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((item[i] | 0x20) != word[i]) {
            return false;
        }
    }
    return true;
}

/* ORs a site's precomputed recipient set into allowed. */
static void
or_set(const cs_rules_t *rules, uint64_t *allowed, const uint64_t *set)
{
    size_t words = cs_bitset_words(cs_rules_recipient_count(rules));

    for (size_t w = 0; w < words; w++) {
        allowed[w] |= set[w];
    }
}

/*
 * Grants the declared recipients (of one category, if category is not
 * NULL); returns how many.
 */
static int
grant_declared(const cs_rules_t *rules, uint32_t site, uint64_t *allowed,
    const char *category, size_t catlen)
{
    const uint64_t *set;
    uint32_t        count;

    if (category == NULL) {
        set = cs_rules_site_declared_set(rules, site);
        count = cs_rules_site_declarations(rules, site, NULL);
    } else {
        set = cs_rules_site_category_set(rules, site, category, catlen,
                                         &count);
    }
    if (set == NULL) {
        return 0;
    }
    or_set(rules, allowed, set);
    return (int) count;
}

void
cs_consent_declared(const cs_rules_t *rules, uint32_t site, uint64_t *set)
{
    (void) grant_declared(rules, site, set, NULL, 0);
}

bool
cs_consent_apply_gpc(const cs_rules_t *rules, uint32_t site,
    uint64_t *allowed)
{
    const uint64_t *gpc = cs_rules_site_gpc_set(rules, site);
    size_t          words = cs_bitset_words(cs_rules_recipient_count(rules));
    uint64_t        withdrawn = 0;

    if (gpc == NULL) {
        return false;
    }
    for (size_t w = 0; w < words; w++) {
        withdrawn |= allowed[w] & gpc[w];
        allowed[w] &= ~gpc[w];
    }
    return withdrawn != 0;
}

/*
 * Yields the next item of the list (trimmed of spaces, lowercased into buf)
 * starting at *pos; returns its length, 0 for an empty or overlong item, and
 * -1 at the end of the value.
 */
static int
next_item(const char *value, size_t len, size_t *pos, char *buf, size_t buflen)
{
    size_t  i, start = *pos, sep = 0;

    if (start > len) {
        return -1;
    }
    for (i = start; i < len; i++) {
        sep = separator_len(value, len, i);
        if (sep) {
            break;
        }
    }
    *pos = (i < len) ? i + sep : len + 1;

    const char *item = value + start;
    size_t      n = i - start;
    while (n > 0 && item[0] == ' ') {
        item++;
        n--;
    }
    while (n > 0 && item[n - 1] == ' ') {
        n--;
    }
    if (n == 0 || n >= buflen) {
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        char c = item[k];
        buf[k] = (c >= 'A' && c <= 'Z') ? (char) (c | 0x20) : c;
    }
    return (int) n;
}

int
cs_consent_parse_list(const cs_rules_t *rules, uint32_t site,
    const char *value, size_t len, uint64_t *allowed)
{
    char    item[CS_ID_MAX];
    size_t  i, pos;
    int     n, granted = 0;
    bool    all = false;

    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
    }
    if (len == 0 || len > CS_CONSENT_VALUE_MAX) {
        return -1;
    }

    /* The whole value must be well-formed before any item grants. */
    for (i = 0; i < len; i++) {
        size_t sep = separator_len(value, len, i);
        if (sep) {
            i += sep - 1;
            continue;
        }
        if (!is_item_char((unsigned char) value[i]) && value[i] != ' ') {
            return -1;
        }
    }

    for (pos = 0; (n = next_item(value, len, &pos, item, sizeof(item))) >= 0;)
    {
        if (item_is(item, (size_t) n, "none")) {
            return 0;   /* "none" beside anything else: fail closed */
        }
        all |= item_is(item, (size_t) n, "all");
    }
    if (all) {
        return grant_declared(rules, site, allowed, NULL, 0) > 0;
    }

    for (pos = 0; (n = next_item(value, len, &pos, item, sizeof(item))) >= 0;)
    {
        if (n == 0) {
            continue;
        }
        int32_t r = cs_rules_recipient_find(rules, item, (size_t) n);
        if (r >= 0) {
            if (cs_rules_site_declares(rules, site, (uint32_t) r)) {
                cs_bitset_set(allowed, (uint32_t) r);
                granted++;
            }
        } else if (cs_rules_is_category(rules, item, (size_t) n)) {
            granted += grant_declared(rules, site, allowed, item, (size_t) n)
                       > 0;
        }
        /* anything else is unknown and grants nothing */
    }
    return granted;
}

/* ---- consent management platforms ---- */

/*
 * What each CMP's standard names mean, when no consent_map names them:
 * OneTrust's default groups and Cookiebot's four categories, and the usual
 * category names of orestbida/cookieconsent. "Necessary" grants nothing: no
 * third party is strictly necessary here.
 */
static const struct {
    cs_cmp_format_t  format;
    const char      *name;
    const char      *target;
} cmp_defaults[] = {
    { CS_CMP_ONETRUST,  "C0002",         "analytics" },
    { CS_CMP_ONETRUST,  "C0003",         "functional" },
    { CS_CMP_ONETRUST,  "C0004",         "advertising" },
    { CS_CMP_ONETRUST,  "C0005",         "social" },
    { CS_CMP_COOKIEBOT, "preferences",   "functional" },
    { CS_CMP_COOKIEBOT, "statistics",    "analytics" },
    { CS_CMP_COOKIEBOT, "marketing",     "advertising" },
    { CS_CMP_COOKIEBOT, "marketing",     "social" },
    { CS_CMP_CC_COOKIE, "analytics",     "analytics" },
    { CS_CMP_CC_COOKIE, "marketing",     "advertising" },
    { CS_CMP_CC_COOKIE, "targeting",     "advertising" },
    { CS_CMP_CC_COOKIE, "ads",           "advertising" },
    { CS_CMP_CC_COOKIE, "advertising",   "advertising" },
    { CS_CMP_CC_COOKIE, "functionality", "functional" },
    { CS_CMP_CC_COOKIE, "functional",    "functional" },
    { CS_CMP_CC_COOKIE, "preferences",   "functional" },
    { CS_CMP_CC_COOKIE, "social",        "social" },
};

/* Grants a recipient id or a category name; returns how many recipients. */
static int
grant_target(const cs_rules_t *rules, uint32_t site, uint64_t *allowed,
    const char *target, size_t len)
{
    char    lower[CS_ID_MAX];
    int32_t r;

    if (len == 0 || len >= sizeof(lower)) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = target[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char) (c | 0x20) : c;
    }
    r = cs_rules_recipient_find(rules, lower, len);
    if (r >= 0) {
        if (!cs_rules_site_declares(rules, site, (uint32_t) r)) {
            return 0;
        }
        cs_bitset_set(allowed, (uint32_t) r);
        return 1;
    }
    if (cs_rules_is_category(rules, lower, len)) {
        return grant_declared(rules, site, allowed, lower, len);
    }
    return 0;
}

typedef struct {
    const cs_rules_t  *rules;
    uint32_t           site;
    uint64_t          *allowed;
    int                granted;
} grant_ctx_t;

static void
grant_site_target(void *ud, const char *target, size_t len)
{
    grant_ctx_t *gc = ud;

    gc->granted += grant_target(gc->rules, gc->site, gc->allowed, target,
                                len);
}

int
cs_consent_apply_cmp(const cs_rules_t *rules, uint32_t site,
    cs_cmp_format_t format, const cs_cmp_consent_t *c,
    const cs_consent_map_t *maps, size_t nmaps, uint64_t *allowed)
{
    int granted = 0;

    if (c->all_granted) {
        return grant_declared(rules, site, allowed, NULL, 0);
    }

    for (uint32_t i = 0; i < c->n; i++) {
        const char *name = c->items[i].name;
        size_t      len = strlen(name);
        bool        mapped = false;

        if (!c->items[i].granted) {
            continue;
        }
        /*
         * consent_map (per server) first; then the site's table in the
         * rules; then the format's defaults; then the name itself
         */
        for (size_t m = 0; m < nmaps; m++) {
            if (maps[m].format == format && maps[m].name_len == len
                && memcmp(maps[m].name, name, len) == 0)
            {
                granted += grant_target(rules, site, allowed, maps[m].target,
                                        maps[m].target_len);
                mapped = true;
            }
        }
        if (!mapped) {
            grant_ctx_t gc = { rules, site, allowed, 0 };
            mapped = cs_rules_site_cmp_map(rules, site,
                                           cs_cmp_format_name(format), name,
                                           len, grant_site_target, &gc) > 0;
            granted += gc.granted;
        }
        bool by_default = false;
        for (size_t d = 0;
             !mapped && d < sizeof(cmp_defaults) / sizeof(cmp_defaults[0]);
             d++)
        {
            if (cmp_defaults[d].format == format
                && strcmp(cmp_defaults[d].name, name) == 0)
            {
                granted += grant_target(rules, site, allowed,
                                        cmp_defaults[d].target,
                                        strlen(cmp_defaults[d].target));
                by_default = true;
            }
        }
        if (!mapped && !by_default) {
            const char *svc = strchr(name, '/');   /* cc_cookie "cat/svc" */
            granted += svc ? grant_target(rules, site, allowed, svc + 1,
                                          strlen(svc + 1))
                           : grant_target(rules, site, allowed, name, len);
        }
    }

    /* IAB TCF: declared recipients with a vendor id, by vendor consent */
    if (c->has_tcf) {
        const cs_declaration_t *decls;
        uint32_t n = cs_rules_site_declarations(rules, site, &decls);

        for (uint32_t i = 0; i < n; i++) {
            const cs_recipient_t *rec = cs_rules_recipient(rules,
                                                           decls[i].recipient);
            if (rec->tcf_vendor_id
                && cs_tcf_vendor_allowed(&c->tcf, rec->tcf_vendor_id,
                                         rec->tcf_purposes))
            {
                cs_bitset_set(allowed, decls[i].recipient);
                granted++;
            }
        }
    }
    return granted;
}

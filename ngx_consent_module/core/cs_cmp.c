/*
 * CMP consent cookies: OneTrust (OptanonConsent), Cookiebot (CookieConsent),
 * orestbida/cookieconsent (cc_cookie v2 and v3), Klaro (klaro) and the bare
 * TCF string (euconsent-v2). Everything is bounded and fails closed: any
 * malformed input returns -1 with nothing granted.
 *
 * The JSON-ish formats share one small reader over the percent-decoded value
 * (at most CS_CMP_VALUE_MAX bytes): objects, arrays, strings with escapes,
 * true/false/null and numbers, nesting at most JS_MAX_DEPTH deep, nothing
 * but whitespace after the top-level value. Its lenient mode also takes
 * Cookiebot's JS object literal: unquoted keys and single-quoted strings.
 */

#include <string.h>

#include "cs_cmp.h"

#define JS_MAX_DEPTH   16
#define RAW_MAX        (3 * CS_CMP_VALUE_MAX)   /* every byte a %XX */

static const char *const format_names[CS_CMP_FORMAT_COUNT] = {
    "list", "onetrust", "cookiebot", "cc_cookie", "klaro", "tcf"
};

int
cs_cmp_format_from_name(const char *name, size_t len)
{
    for (int f = 0; f < CS_CMP_FORMAT_COUNT; f++) {
        const char *fn = format_names[f];
        size_t      i;

        if (strlen(fn) != len) {
            continue;
        }
        for (i = 0; i < len; i++) {
            char c = name[i];
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c | 0x20);
            }
            if (c != fn[i]) {
                break;
            }
        }
        if (i == len) {
            return f;
        }
    }
    return -1;
}

const char *
cs_cmp_format_name(cs_cmp_format_t f)
{
    if ((unsigned) f < CS_CMP_FORMAT_COUNT) {
        return format_names[f];
    }
    return "?";
}

/* ---- percent-decoding ---- */

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/*
 * Decodes the %XX escapes of src into dst (when dst is NULL, only checks
 * them); '+' and every other byte stay as they are. Returns 0 with the
 * decoded length in *outlen, or -1 for a bad escape or more than cap bytes.
 */
static int
pct_decode(const char *src, size_t len, char *dst, size_t cap, size_t *outlen)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) src[i];

        if (c == '%') {
            if (len - i < 3) {
                return -1;
            }
            int hi = hex_value((unsigned char) src[i + 1]);
            int lo = hex_value((unsigned char) src[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            c = (unsigned char) (hi << 4 | lo);
            i += 2;
        }
        if (n == cap) {
            return -1;
        }
        if (dst != NULL) {
            dst[n] = (char) c;
        }
        n++;
    }
    *outlen = n;
    return 0;
}

/* ---- the JSON reader ---- */

typedef struct {
    const char  *p;
    size_t       len;
    size_t       pos;
    bool         lenient;    /* unquoted keys, single-quoted strings */
} js_t;

#define JS_FIT     0         /* js_string(): decoded and fits */
#define JS_LONG    1         /* well-formed, but longer than the buffer */
#define JS_BAD   (-1)

static int
js_peek(js_t *js)
{
    while (js->pos < js->len) {
        char c = js->p[js->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return (unsigned char) c;
        }
        js->pos++;
    }
    return -1;
}

static bool
js_eat(js_t *js, char c)
{
    if (js_peek(js) == (unsigned char) c) {
        js->pos++;
        return true;
    }
    return false;
}

/* Nothing but whitespace left. */
static bool
js_at_end(js_t *js)
{
    return js_peek(js) < 0;
}

static bool
js_literal(js_t *js, const char *word)
{
    size_t n = strlen(word);

    if (js->len - js->pos < n || memcmp(js->p + js->pos, word, n) != 0) {
        return false;
    }
    js->pos += n;
    return true;
}

static int
js_hex4(js_t *js, uint32_t *cp)
{
    uint32_t v = 0;

    if (js->len - js->pos < 4) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        int h = hex_value((unsigned char) js->p[js->pos++]);
        if (h < 0) {
            return -1;
        }
        v = v << 4 | (uint32_t) h;
    }
    *cp = v;
    return 0;
}

typedef struct {
    char    *buf;            /* NULL: only validate */
    size_t   cap;
    size_t   n;
    bool     long_;
} js_out_t;

static void
js_put(js_out_t *o, const unsigned char *b, size_t k)
{
    if (o->buf != NULL && !o->long_) {
        if (o->n + k >= o->cap) {
            o->long_ = true;
        } else {
            memcpy(o->buf + o->n, b, k);
        }
    }
    o->n += k;
}

/*
 * A string at the cursor ('"', or '\'' in lenient mode), its escapes
 * decoded (\uXXXX, with surrogate pairs, to UTF-8) into buf (cap bytes with
 * the NUL) when buf is not NULL. Control characters, unknown escapes, lone
 * surrogates and \u0000 are malformed. *start and *end (if not NULL) get
 * the raw span between the quotes. Returns JS_FIT, JS_LONG or JS_BAD.
 */
static int
js_string(js_t *js, char *buf, size_t cap, size_t *outlen, size_t *start,
    size_t *end)
{
    js_out_t  o = { buf, cap, 0, false };
    int       q = js_peek(js);

    if (q != '"' && !(js->lenient && q == '\'')) {
        return JS_BAD;
    }
    js->pos++;
    if (start != NULL) {
        *start = js->pos;
    }
    for (;;) {
        if (js->pos >= js->len) {
            return JS_BAD;
        }
        unsigned char c = (unsigned char) js->p[js->pos++];

        if (c == q) {
            break;
        }
        if (c < 0x20) {
            return JS_BAD;
        }
        if (c != '\\') {
            js_put(&o, &c, 1);
            continue;
        }
        if (js->pos >= js->len) {
            return JS_BAD;
        }
        c = (unsigned char) js->p[js->pos++];
        switch (c) {
        case '"': case '\\': case '/':
            break;
        case '\'':
            if (!js->lenient) {
                return JS_BAD;
            }
            break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            uint32_t       cp, lo;
            unsigned char  u[4];
            size_t         k;

            if (js_hex4(js, &cp) != 0 || cp == 0
                || (cp >= 0xdc00 && cp <= 0xdfff))
            {
                return JS_BAD;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (js->len - js->pos < 2 || js->p[js->pos] != '\\'
                    || js->p[js->pos + 1] != 'u')
                {
                    return JS_BAD;
                }
                js->pos += 2;
                if (js_hex4(js, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
                    return JS_BAD;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp < 0x80) {
                u[0] = (unsigned char) cp;
                k = 1;
            } else if (cp < 0x800) {
                u[0] = (unsigned char) (0xc0 | cp >> 6);
                u[1] = (unsigned char) (0x80 | (cp & 0x3f));
                k = 2;
            } else if (cp < 0x10000) {
                u[0] = (unsigned char) (0xe0 | cp >> 12);
                u[1] = (unsigned char) (0x80 | (cp >> 6 & 0x3f));
                u[2] = (unsigned char) (0x80 | (cp & 0x3f));
                k = 3;
            } else {
                u[0] = (unsigned char) (0xf0 | cp >> 18);
                u[1] = (unsigned char) (0x80 | (cp >> 12 & 0x3f));
                u[2] = (unsigned char) (0x80 | (cp >> 6 & 0x3f));
                u[3] = (unsigned char) (0x80 | (cp & 0x3f));
                k = 4;
            }
            js_put(&o, u, k);
            continue;
        }
        default:
            return JS_BAD;
        }
        js_put(&o, &c, 1);
    }
    if (end != NULL) {
        *end = js->pos - 1;
    }
    if (buf != NULL && !o.long_) {
        buf[o.n] = '\0';
    }
    if (outlen != NULL) {
        *outlen = o.n;
    }
    return o.long_ ? JS_LONG : JS_FIT;
}

static bool
is_ident(unsigned char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || c == '$' || (!first && c >= '0' && c <= '9');
}

/* An object key: a string, or in lenient mode also a bare identifier. */
static int
js_key(js_t *js, char *buf, size_t cap, size_t *outlen)
{
    int c = js_peek(js);

    if (js->lenient && c >= 0 && is_ident((unsigned char) c, true)) {
        size_t start = js->pos;
        while (js->pos < js->len
               && is_ident((unsigned char) js->p[js->pos], false))
        {
            js->pos++;
        }
        size_t n = js->pos - start;
        *outlen = n;
        if (buf == NULL) {
            return JS_FIT;
        }
        if (n >= cap) {
            return JS_LONG;
        }
        memcpy(buf, js->p + start, n);
        buf[n] = '\0';
        return JS_FIT;
    }
    return js_string(js, buf, cap, outlen, NULL, NULL);
}

static int
js_number(js_t *js)
{
    size_t  i = js->pos;
    size_t  digits;

    if (i < js->len && js->p[i] == '-') {
        i++;
    }
    if (i < js->len && js->p[i] == '0') {
        i++;
    } else {
        for (digits = 0; i < js->len && js->p[i] >= '0' && js->p[i] <= '9';
             i++)
        {
            digits++;
        }
        if (digits == 0) {
            return -1;
        }
    }
    if (i < js->len && js->p[i] == '.') {
        i++;
        for (digits = 0; i < js->len && js->p[i] >= '0' && js->p[i] <= '9';
             i++)
        {
            digits++;
        }
        if (digits == 0) {
            return -1;
        }
    }
    if (i < js->len && (js->p[i] == 'e' || js->p[i] == 'E')) {
        i++;
        if (i < js->len && (js->p[i] == '+' || js->p[i] == '-')) {
            i++;
        }
        for (digits = 0; i < js->len && js->p[i] >= '0' && js->p[i] <= '9';
             i++)
        {
            digits++;
        }
        if (digits == 0) {
            return -1;
        }
    }
    js->pos = i;
    return 0;
}

/*
 * Inside an object (its '{' consumed): 1 when a member follows (its key
 * read into key as js_key() does, and the ':' consumed), 0 at the closing
 * '}' (consumed), -1 when malformed. *first starts true.
 */
static int
js_member(js_t *js, bool *first, char *key, size_t cap, int *keyrc)
{
    size_t n;

    if (js_eat(js, '}')) {
        return 0;
    }
    if (!*first && !js_eat(js, ',')) {
        return -1;
    }
    *first = false;
    int rc = js_key(js, key, cap, &n);
    if (rc == JS_BAD || !js_eat(js, ':')) {
        return -1;
    }
    if (keyrc != NULL) {
        *keyrc = rc;
    }
    return 1;
}

/* Inside an array (its '[' consumed): 1 when an element follows, 0 at ']'. */
static int
js_element(js_t *js, bool *first)
{
    if (js_eat(js, ']')) {
        return 0;
    }
    if (!*first && !js_eat(js, ',')) {
        return -1;
    }
    *first = false;
    return 1;
}

/* Validates and skips any value; depth counts the containers around it. */
static int
js_skip(js_t *js, int depth)
{
    bool  first = true;
    int   c = js_peek(js), r;

    switch (c) {
    case '{':
        if (depth >= JS_MAX_DEPTH) {
            return -1;
        }
        js->pos++;
        while ((r = js_member(js, &first, NULL, 0, NULL)) == 1) {
            if (js_skip(js, depth + 1) != 0) {
                return -1;
            }
        }
        return r;
    case '[':
        if (depth >= JS_MAX_DEPTH) {
            return -1;
        }
        js->pos++;
        while ((r = js_element(js, &first)) == 1) {
            if (js_skip(js, depth + 1) != 0) {
                return -1;
            }
        }
        return r;
    case '"':
    case '\'':
        return js_string(js, NULL, 0, NULL, NULL, NULL) == JS_BAD ? -1 : 0;
    case 't':
        return js_literal(js, "true") ? 0 : -1;
    case 'f':
        return js_literal(js, "false") ? 0 : -1;
    case 'n':
        return js_literal(js, "null") ? 0 : -1;
    default:
        return js_number(js);
    }
}

static int
js_bool(js_t *js, bool *b)
{
    js_peek(js);
    if (js_literal(js, "true")) {
        *b = true;
        return 0;
    }
    if (js_literal(js, "false")) {
        *b = false;
        return 0;
    }
    return -1;
}

/* ---- items ---- */

static cs_cmp_item_t *
item_find(cs_cmp_consent_t *out, const char *name, size_t n)
{
    for (uint32_t i = 0; i < out->n; i++) {
        if (strlen(out->items[i].name) == n
            && memcmp(out->items[i].name, name, n) == 0)
        {
            return &out->items[i];
        }
    }
    return NULL;
}

/* Adds an item; -1 when empty, too long, a repeat or one too many. */
static int
item_add(cs_cmp_consent_t *out, const char *name, size_t n, bool granted)
{
    if (n == 0 || n >= CS_CMP_NAME_MAX || memchr(name, '\0', n) != NULL
        || item_find(out, name, n) != NULL || out->n == CS_CMP_MAX_ITEMS)
    {
        return -1;
    }
    cs_cmp_item_t *it = &out->items[out->n++];
    memcpy(it->name, name, n);
    it->name[n] = '\0';
    it->granted = granted;
    return 0;
}

/* ---- OneTrust: OptanonConsent ---- */

static bool
is_group_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * "isGpcEnabled=0&datestamp=...&groups=C0001%3A1%2CC0002%3A0&..." : pairs
 * separated by '&', every pair "key=value" with valid escapes, exactly one
 * "groups"; its decoded value "ID:0,ID:1,..." (possibly empty).
 */
static int
parse_onetrust(const char *v, size_t len, cs_cmp_consent_t *out)
{
    char    buf[CS_CMP_VALUE_MAX];
    size_t  gn = 0, pos = 0, dn;
    bool    have_groups = false;

    while (pos <= len) {
        size_t end = pos, eq;

        while (end < len && v[end] != '&') {
            end++;
        }
        for (eq = pos; eq < end && v[eq] != '='; eq++) {
        }
        if (eq == end || eq == pos) {
            return -1;                      /* no '=', or no key */
        }
        if (eq - pos == 6 && memcmp(v + pos, "groups", 6) == 0) {
            if (have_groups
                || pct_decode(v + eq + 1, end - eq - 1, buf, sizeof(buf),
                              &gn) != 0)
            {
                return -1;
            }
            have_groups = true;
        } else if (pct_decode(v + eq + 1, end - eq - 1, NULL, SIZE_MAX,
                              &dn) != 0)
        {
            return -1;
        }
        pos = end + 1;
    }
    if (!have_groups) {
        return -1;
    }

    for (pos = 0; pos < gn;) {
        size_t start = pos;

        while (pos < gn && is_group_char((unsigned char) buf[pos])) {
            pos++;
        }
        if (pos == start || gn - pos < 2 || buf[pos] != ':'
            || (buf[pos + 1] != '0' && buf[pos + 1] != '1'))
        {
            return -1;
        }
        if (item_add(out, buf + start, pos - start, buf[pos + 1] == '1')
            != 0)
        {
            return -1;
        }
        pos += 2;
        if (pos < gn) {
            if (buf[pos] != ',' || pos + 1 == gn) {
                return -1;                  /* junk, or a trailing ',' */
            }
            pos++;
        }
    }
    return 0;
}

/* ---- Cookiebot: CookieConsent ---- */

static const char *const cookiebot_categories[4] = {
    "necessary", "preferences", "statistics", "marketing"
};

/*
 * "{stamp:'...',necessary:true,preferences:false,statistics:true,
 * marketing:false,method:'explicit',ver:1,utc:...,iab2:'<TC>',region:'de'}"
 * (percent-escaped), or the same as JSON; "-1" (no consent region) and "0"
 * (necessary only). The four categories must be there as booleans, once;
 * a non-empty iab2 must be a valid TC string; other keys may hold anything.
 */
static int
parse_cookiebot(const char *v, size_t len, cs_cmp_consent_t *out)
{
    char    buf[CS_CMP_VALUE_MAX], key[16];
    size_t  n, tc_start = 0, tc_end = 0;
    bool    cat[4] = { false, false, false, false }, seen_iab = false;
    bool    first = true;
    int     seen = 0, r, keyrc;

    if (pct_decode(v, len, buf, sizeof(buf), &n) != 0) {
        return -1;
    }
    if ((n == 2 && memcmp(buf, "-1", 2) == 0)
        || (n == 1 && buf[0] == '0'))
    {
        bool all = n == 2;
        for (int i = 0; i < 4; i++) {
            if (item_add(out, cookiebot_categories[i],
                         strlen(cookiebot_categories[i]), all || i == 0) != 0)
            {
                return -1;
            }
        }
        out->all_granted = all;
        return 0;
    }

    js_t js = { buf, n, 0, true };
    if (!js_eat(&js, '{')) {
        return -1;
    }
    while ((r = js_member(&js, &first, key, sizeof(key), &keyrc)) == 1) {
        int i;

        for (i = 0; i < 4; i++) {
            if (keyrc == JS_FIT && strcmp(key, cookiebot_categories[i]) == 0) {
                break;
            }
        }
        if (i < 4) {
            if ((seen & (1 << i)) || js_bool(&js, &cat[i]) != 0) {
                return -1;
            }
            seen |= 1 << i;
        } else if (keyrc == JS_FIT && strcmp(key, "iab2") == 0) {
            if (seen_iab
                || js_string(&js, NULL, 0, NULL, &tc_start, &tc_end) != JS_FIT)
            {
                return -1;
            }
            seen_iab = true;
        } else if (js_skip(&js, 1) != 0) {
            return -1;
        }
    }
    if (r != 0 || !js_at_end(&js) || seen != 0xf) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (item_add(out, cookiebot_categories[i],
                     strlen(cookiebot_categories[i]), cat[i]) != 0)
        {
            return -1;
        }
    }
    if (seen_iab && tc_end > tc_start) {
        if (cs_tcf_decode(buf + tc_start, tc_end - tc_start, &out->tcf) != 0) {
            return -1;
        }
        out->has_tcf = true;
    }
    return 0;
}

/* ---- orestbida/cookieconsent: cc_cookie ---- */

/* Validates a JSON array of strings at the cursor; -1 if it is not one. */
static int
js_string_array(js_t *js)
{
    bool  first = true;
    int   r;

    if (!js_eat(js, '[')) {
        return -1;
    }
    while ((r = js_element(js, &first)) == 1) {
        if (js_string(js, NULL, 0, NULL, NULL, NULL) == JS_BAD) {
            return -1;
        }
    }
    return r;
}

/* Adds every string of the (validated) array at pos as a granted item. */
static int
add_categories(js_t *js, size_t pos, cs_cmp_consent_t *out)
{
    char    name[CS_CMP_NAME_MAX];
    size_t  n;
    bool    first = true;

    js->pos = pos;
    js_eat(js, '[');
    while (js_element(js, &first) == 1) {
        if (js_string(js, name, sizeof(name), &n, NULL, NULL) != JS_FIT
            || item_add(out, name, n, true) != 0)
        {
            return -1;
        }
    }
    return 0;
}

/*
 * v2: {"level":["necessary","analytics"],"revision":0,"data":null,
 * "rfc_cookie":false} (v2.9 writes "categories" beside "level");
 * v3: {"categories":[...],"revision":0,"data":null,"consentTimestamp":"...",
 * "consentId":"...","services":{"necessary":[],"analytics":["ga"]},...}.
 * At least one of categories/level; when both, the same set. Services
 * become "category/service", granted when the category is.
 */
static int
parse_cc_cookie(const char *v, size_t len, cs_cmp_consent_t *out)
{
    char    buf[CS_CMP_VALUE_MAX], key[16];
    size_t  n, cats = 0, level = 0, services = 0;
    bool    first = true;
    int     r, keyrc;

    if (pct_decode(v, len, buf, sizeof(buf), &n) != 0) {
        return -1;
    }

    js_t js = { buf, n, 0, false };
    if (!js_eat(&js, '{')) {
        return -1;
    }
    while ((r = js_member(&js, &first, key, sizeof(key), &keyrc)) == 1) {
        size_t *slot = NULL;

        if (keyrc == JS_FIT) {
            if (strcmp(key, "categories") == 0) {
                slot = &cats;
            } else if (strcmp(key, "level") == 0) {
                slot = &level;
            } else if (strcmp(key, "services") == 0) {
                slot = &services;
            }
        }
        if (slot == NULL) {
            if (js_skip(&js, 1) != 0) {
                return -1;
            }
            continue;
        }
        if (*slot != 0) {
            return -1;                      /* repeated key */
        }
        js_peek(&js);
        *slot = js.pos;                     /* > 0: after the '{' */
        if (slot == &services) {
            bool sfirst = true;
            if (!js_eat(&js, '{')) {
                return -1;
            }
            while ((r = js_member(&js, &sfirst, NULL, 0, NULL)) == 1) {
                if (js_string_array(&js) != 0) {
                    return -1;
                }
            }
            if (r != 0) {
                return -1;
            }
        } else if (js_string_array(&js) != 0) {
            return -1;
        }
    }
    if (r != 0 || !js_at_end(&js) || (cats == 0 && level == 0)) {
        return -1;
    }

    /* second pass over the validated parts */
    if (add_categories(&js, cats ? cats : level, out) != 0) {
        return -1;
    }
    if (cats && level) {
        char           name[CS_CMP_NAME_MAX];
        bool           found[CS_CMP_MAX_ITEMS] = { false };
        uint32_t       count = 0;
        cs_cmp_item_t  *it;

        first = true;
        js.pos = level;
        js_eat(&js, '[');
        while (js_element(&js, &first) == 1) {
            if (js_string(&js, name, sizeof(name), &n, NULL, NULL) != JS_FIT
                || (it = item_find(out, name, n)) == NULL
                || found[it - out->items])
            {
                return -1;
            }
            found[it - out->items] = true;
            count++;
        }
        if (count != out->n) {
            return -1;
        }
    }
    if (services) {
        char      name[CS_CMP_NAME_MAX], cat[CS_CMP_NAME_MAX];
        size_t    cn;
        uint32_t  ncats = out->n;

        first = true;
        js.pos = services;
        js_eat(&js, '{');
        while (js_member(&js, &first, cat, sizeof(cat), &keyrc) == 1) {
            bool efirst = true, granted = false;

            if (keyrc != JS_FIT) {
                return -1;
            }
            cn = strlen(cat);
            for (uint32_t i = 0; i < ncats; i++) {
                if (strcmp(out->items[i].name, cat) == 0) {
                    granted = true;
                }
            }
            js_eat(&js, '[');
            while (js_element(&js, &efirst) == 1) {
                if (cn + 1 >= sizeof(name)) {
                    return -1;
                }
                memcpy(name, cat, cn);
                name[cn] = '/';
                if (js_string(&js, name + cn + 1, sizeof(name) - cn - 1, &n,
                              NULL, NULL) != JS_FIT
                    || item_add(out, name, cn + 1 + n, granted) != 0)
                {
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* ---- Klaro: klaro ---- */

/* {"googleAnalytics":true,"facebook":false}: every value a boolean. */
static int
parse_klaro(const char *v, size_t len, cs_cmp_consent_t *out)
{
    char    buf[CS_CMP_VALUE_MAX], name[CS_CMP_NAME_MAX];
    size_t  n;
    bool    first = true, b;
    int     r, keyrc;

    if (pct_decode(v, len, buf, sizeof(buf), &n) != 0) {
        return -1;
    }

    js_t js = { buf, n, 0, false };
    if (!js_eat(&js, '{')) {
        return -1;
    }
    while ((r = js_member(&js, &first, name, sizeof(name), &keyrc)) == 1) {
        if (keyrc != JS_FIT || js_bool(&js, &b) != 0
            || item_add(out, name, strlen(name), b) != 0)
        {
            return -1;
        }
    }
    return r == 0 && js_at_end(&js) ? 0 : -1;
}

/* ---- the entry points ---- */

int
cs_cmp_parse(cs_cmp_format_t f, const char *value, size_t len,
    cs_cmp_consent_t *out)
{
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (value == NULL) {
        return -1;
    }
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
    }
    if (len == 0 || len > RAW_MAX) {
        return -1;
    }

    switch (f) {
    case CS_CMP_ONETRUST:
        rc = parse_onetrust(value, len, out);
        break;
    case CS_CMP_COOKIEBOT:
        rc = parse_cookiebot(value, len, out);
        break;
    case CS_CMP_CC_COOKIE:
        rc = parse_cc_cookie(value, len, out);
        break;
    case CS_CMP_KLARO:
        rc = parse_klaro(value, len, out);
        break;
    case CS_CMP_TCF:
        if (len <= CS_CMP_VALUE_MAX
            && cs_tcf_decode(value, len, &out->tcf) == 0)
        {
            out->has_tcf = true;
            rc = 0;
        }
        break;
    case CS_CMP_LIST:
    default:
        break;
    }

    if (rc != 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}

bool
cs_cmp_granted(const cs_cmp_consent_t *c, const char *name, size_t len)
{
    if (c->all_granted) {
        return true;
    }
    for (uint32_t i = 0; i < c->n; i++) {
        if (strlen(c->items[i].name) == len
            && memcmp(c->items[i].name, name, len) == 0)
        {
            return c->items[i].granted;
        }
    }
    return false;
}

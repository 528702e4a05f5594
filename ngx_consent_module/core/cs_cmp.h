/*
 * Consent cookies as real sites carry them: the cookies of common consent
 * management platforms (OneTrust, Cookiebot, orestbida/cookieconsent,
 * Klaro) and IAB TCF v2 TC strings. Pure C, no nginx headers, no globals;
 * every parser is bounded, never reads past its input and fails closed: a
 * malformed value returns -1 and grants nothing.
 *
 * The parsers only say what the cookie says (group, category and service
 * names as the CMP spells them, TCF purposes and vendors); mapping those
 * names to recipients is the caller's business.
 */

#ifndef CS_CMP_H
#define CS_CMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_tcf.h"        /* cs_cmp_consent_t carries a decoded TC string */

/* ---- formats (the FORMAT argument of consent_cookie) ---- */

typedef enum {
    CS_CMP_LIST = 0,       /* plain list: cs_consent_parse_list(), not here */
    CS_CMP_ONETRUST,       /* OptanonConsent */
    CS_CMP_COOKIEBOT,      /* CookieConsent */
    CS_CMP_CC_COOKIE,      /* cc_cookie (orestbida/cookieconsent v2 and v3) */
    CS_CMP_KLARO,          /* klaro */
    CS_CMP_TCF             /* euconsent-v2 / eupubconsent-v2 */
} cs_cmp_format_t;

#define CS_CMP_FORMAT_COUNT  6

/*
 * "list", "onetrust", "cookiebot", "cc_cookie", "klaro", "tcf" (ASCII
 * case-insensitive) -> the format, or -1 for anything else.
 */
int cs_cmp_format_from_name(const char *name, size_t len);
/* The name cs_cmp_format_from_name() takes; "?" for an invalid value. */
const char *cs_cmp_format_name(cs_cmp_format_t f);

/* ---- CMP cookies ---- */

#define CS_CMP_MAX_ITEMS   128
#define CS_CMP_NAME_MAX    64        /* including the NUL */
#define CS_CMP_VALUE_MAX   4096      /* decoded bytes of one cookie value */

typedef struct {
    char  name[CS_CMP_NAME_MAX];
    bool  granted;
} cs_cmp_item_t;

typedef struct {
    uint32_t       n;
    /*
     * Group, category and service names exactly as the CMP spells them
     * (all of these CMPs compare them case-sensitively):
     *   onetrust:  group ids ("C0001", "SPD_BG", "STACK42"), granted = ":1";
     *   cookiebot: necessary, preferences, statistics, marketing;
     *   cc_cookie: every accepted category (granted), then every listed
     *              service as "category/service", granted when its category
     *              is accepted;
     *   klaro:     service names with their boolean.
     */
    cs_cmp_item_t  items[CS_CMP_MAX_ITEMS];
    bool           all_granted;  /* Cookiebot "-1": no consent region */
    bool           has_tcf;      /* a TC string was decoded into tcf */
    cs_tcf_t       tcf;
} cs_cmp_consent_t;

/*
 * Parses one cookie value of the given format: the raw value from the
 * Cookie header, still URL/cookie-escaped (a pair of surrounding double
 * quotes is removed first). Percent-escapes are decoded strictly ('%' must
 * be followed by two hex digits; '+' stays '+'); the decoded value may not
 * exceed CS_CMP_VALUE_MAX bytes. The JSON formats go through a small strict
 * reader (depth 16); Cookiebot's JS literal (unquoted keys, single-quoted
 * strings) through the same reader in a lenient mode.
 *
 * Returns 0, or -1 when the value is malformed for the format, does not fit
 * (more than CS_CMP_MAX_ITEMS items, a name of CS_CMP_NAME_MAX bytes or
 * more), repeats an item, or f is CS_CMP_LIST or not a format; out then
 * grants nothing (n = 0, all_granted = false, has_tcf = false).
 */
int cs_cmp_parse(cs_cmp_format_t f, const char *value, size_t len,
    cs_cmp_consent_t *out);

/* True when all_granted, or the item called name (len bytes) is granted. */
bool cs_cmp_granted(const cs_cmp_consent_t *c, const char *name,
    size_t len);

#endif /* CS_CMP_H */

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

/* ---- IAB TCF v2 TC strings ---- */

#define CS_TCF_MAX_VENDOR        4096   /* highest vendor id accepted */
#define CS_TCF_MAX_RESTRICTIONS  256    /* restriction ranges kept */

/* Publisher restriction types (TCF v2 "RestrictionType"). */
#define CS_TCF_RESTRICT_NOT_ALLOWED      0
#define CS_TCF_RESTRICT_REQUIRE_CONSENT  1
#define CS_TCF_RESTRICT_REQUIRE_LI       2

typedef struct {
    uint8_t   purpose;      /* 1..24 */
    uint8_t   type;         /* CS_TCF_RESTRICT_NOT_ALLOWED or _REQUIRE_LI */
    uint16_t  first;        /* vendor ids first..last, inclusive */
    uint16_t  last;
} cs_tcf_restriction_t;

typedef struct {
    /* the core segment, field by field */
    int       version;                      /* always 2 once decoded */
    uint64_t  created;                      /* deciseconds since the epoch */
    uint64_t  last_updated;                 /* deciseconds since the epoch */
    uint16_t  cmp_id;
    uint16_t  cmp_version;
    uint8_t   consent_screen;
    char      consent_language[3];          /* "EN", NUL-terminated */
    uint16_t  vendor_list_version;
    uint16_t  policy_version;               /* TcfPolicyVersion */
    bool      is_service_specific;
    bool      use_non_standard_texts;
    uint16_t  special_feature_optins;       /* bit (n-1) = special feature n */
    uint32_t  purposes_consent;             /* bit (n-1) = purpose n (24) */
    uint32_t  purposes_li;                  /* legitimate interest, same */
    bool      purpose_one_treatment;
    char      publisher_cc[3];              /* "AA", NUL-terminated */

    /* vendor sections: bit (v-1) of the array = vendor v */
    uint16_t  max_vendor_id;                /* of the consent section */
    uint8_t   vendor_consent[CS_TCF_MAX_VENDOR / 8];
    uint16_t  max_vendor_id_li;             /* of the LI section */
    uint8_t   vendor_li[CS_TCF_MAX_VENDOR / 8];

    /*
     * Publisher restrictions: all are validated; the ranges of the types
     * that can take a vendor's consent-based processing away (not allowed,
     * require legitimate interest) are kept, as many as fit.
     */
    uint16_t  num_pub_restrictions;         /* NumPubRestrictions */
    uint16_t  n_restrictions;               /* kept ranges */
    bool      restrictions_overflow;        /* more ranges than kept */
    cs_tcf_restriction_t  restrictions[CS_TCF_MAX_RESTRICTIONS];

    /* further segments seen (validated, skipped): bit t = segment type t */
    uint8_t   segments;
} cs_tcf_t;

/*
 * Decodes the core segment of an IAB TCF v2.x TC string: base64url without
 * padding (trailing '=' accepted and ignored), segments separated by '.',
 * the first one the core, the others (disclosed vendors 1, allowed vendors
 * 2, publisher TC 3) recognised by their 3-bit type, checked field by field
 * and skipped.
 *
 * Returns 0, or -1 (out zeroed) when the string is invalid: a byte outside
 * the base64url alphabet, an empty or duplicate segment, a segment of
 * another type, a field of any segment read past its end, more than two '='
 * or anything after them, version != 2, a letter code out
 * of range, a vendor section whose MaxVendorId exceeds CS_TCF_MAX_VENDOR, a
 * range entry that is inconsistent (id 0, start > end, past MaxVendorId),
 * a publisher restriction with purpose 0 or > 24 or type 3. Never reads
 * tc[len] or beyond.
 */
int cs_tcf_decode(const char *tc, size_t len, cs_tcf_t *out);

/* Vendor v's consent / legitimate-interest bit (false past the section). */
bool cs_tcf_vendor_consent(const cs_tcf_t *tcf, uint32_t vendor_id);
bool cs_tcf_vendor_li(const cs_tcf_t *tcf, uint32_t vendor_id);

/*
 * True when the vendor may process on consent: its consent bit is set,
 * purpose 1 (store and access information on a device) is consented, every
 * purpose in extra_purposes_mask (bit (n-1) = purpose n; bits past 24 can
 * never be consented) is consented, and no publisher restriction takes
 * those purposes away from it (type 0 "not allowed", or type 2 "require
 * legitimate interest", which rules consent out as the legal basis). Fails
 * closed when the restriction ranges overflowed.
 */
bool cs_tcf_vendor_allowed(const cs_tcf_t *tcf, uint32_t vendor_id,
    uint32_t extra_purposes_mask);

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

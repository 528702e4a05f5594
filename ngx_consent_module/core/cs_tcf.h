/*
 * IAB TCF v2.x TC strings: decoding and the vendor/purpose checks the
 * consent decision needs. Pure C, no globals, bounded; fails closed.
 */

#ifndef CS_TCF_H
#define CS_TCF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif /* CS_TCF_H */

/*
 * IAB TCF v2.x TC strings: the core segment decoded bit-exactly after the
 * IAB "TC String Format" specification (v2.2), later segments validated and
 * skipped. Bits are read straight from the base64url characters (6 bits a
 * character, most significant first), so nothing is copied and no read can
 * pass the end of the segment.
 */

#include <string.h>

#include "cs_cmp.h"

/* Segment types (the first 3 bits of every segment but the core). */
#define TCF_SEG_CORE               0
#define TCF_SEG_DISCLOSED_VENDORS  1
#define TCF_SEG_ALLOWED_VENDORS    2
#define TCF_SEG_PUBLISHER_TC       3

typedef struct {
    const char  *p;          /* the segment's base64url characters */
    size_t       nbits;      /* 6 per character */
    size_t       pos;        /* next bit */
    bool         err;        /* a read went past the end */
} bitrd_t;

/* base64url value of c, or -1 */
static int
b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

/* Reads n (<= 64) bits, most significant first; 0 and err past the end. */
static uint64_t
rd_bits(bitrd_t *r, unsigned n)
{
    uint64_t  v = 0;

    if (r->err || r->pos > r->nbits || n > r->nbits - r->pos) {
        r->err = true;
        return 0;
    }
    while (n > 0) {
        size_t    ci = r->pos / 6;
        unsigned  off = (unsigned) (r->pos % 6);
        unsigned  avail = 6 - off;
        unsigned  take = n < avail ? n : avail;
        unsigned  c = (unsigned) b64url_value((unsigned char) r->p[ci]);

        c = (c >> (avail - take)) & ((1u << take) - 1);
        v = (v << take) | c;
        r->pos += take;
        n -= take;
    }
    return v;
}

static bool
rd_bool(bitrd_t *r)
{
    return rd_bits(r, 1) != 0;
}

/* Two 6-bit letters, 0 = 'A' .. 25 = 'Z'; -1 for anything else. */
static int
rd_letters(bitrd_t *r, char out[3])
{
    unsigned a = (unsigned) rd_bits(r, 6);
    unsigned b = (unsigned) rd_bits(r, 6);

    if (r->err || a > 25 || b > 25) {
        return -1;
    }
    out[0] = (char) ('A' + a);
    out[1] = (char) ('A' + b);
    out[2] = '\0';
    return 0;
}

static void
bit_set(uint8_t *set, uint32_t bit)
{
    set[bit / 8] |= (uint8_t) (1u << (bit % 8));
}

static bool
bit_test(const uint8_t *set, uint32_t bit)
{
    return (set[bit / 8] >> (bit % 8)) & 1;
}

/*
 * A vendor section: MaxVendorId(16) IsRangeEncoding(1), then a BitField of
 * MaxVendorId bits, or NumEntries(12) and entries { IsARange(1)
 * StartOrOnlyVendorId(16) [EndVendorId(16)] }. Sets bit (v-1) of set (if
 * not NULL) for every vendor v it lists.
 */
static int
rd_vendor_section(bitrd_t *r, uint16_t *max_out, uint8_t *set)
{
    uint32_t  max = (uint32_t) rd_bits(r, 16);
    bool      range = rd_bool(r);

    if (r->err || max > CS_TCF_MAX_VENDOR) {
        return -1;
    }
    *max_out = (uint16_t) max;

    if (!range) {
        if (max > r->nbits - r->pos) {
            return -1;
        }
        for (uint32_t v = 1; v <= max; v++) {
            if (rd_bool(r) && set != NULL) {
                bit_set(set, v - 1);
            }
        }
        return r->err ? -1 : 0;
    }

    uint32_t n = (uint32_t) rd_bits(r, 12);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        bool      is_range = rd_bool(r);
        uint32_t  first = (uint32_t) rd_bits(r, 16);
        uint32_t  last = is_range ? (uint32_t) rd_bits(r, 16) : first;

        if (r->err || first == 0 || last < first || last > max) {
            return -1;
        }
        for (uint32_t v = first; set != NULL && v <= last; v++) {
            bit_set(set, v - 1);
        }
    }
    return r->err ? -1 : 0;
}

/*
 * NumPubRestrictions(12), then for each PurposeId(6) RestrictionType(2)
 * NumEntries(12) and range entries as above (vendor ids not bounded by a
 * MaxVendorId here, only 1 <= start <= end).
 */
static int
rd_pub_restrictions(bitrd_t *r, cs_tcf_t *out)
{
    uint32_t n = (uint32_t) rd_bits(r, 12);

    if (r->err) {
        return -1;
    }
    out->num_pub_restrictions = (uint16_t) n;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t  purpose = (uint32_t) rd_bits(r, 6);
        uint32_t  type = (uint32_t) rd_bits(r, 2);
        uint32_t  entries = (uint32_t) rd_bits(r, 12);

        if (r->err || purpose == 0 || purpose > 24 || type > 2) {
            return -1;
        }
        for (uint32_t e = 0; e < entries; e++) {
            bool      is_range = rd_bool(r);
            uint32_t  first = (uint32_t) rd_bits(r, 16);
            uint32_t  last = is_range ? (uint32_t) rd_bits(r, 16) : first;

            if (r->err || first == 0 || last < first) {
                return -1;
            }
            if (type == CS_TCF_RESTRICT_REQUIRE_CONSENT) {
                continue;   /* cannot take consent-based processing away */
            }
            if (out->n_restrictions == CS_TCF_MAX_RESTRICTIONS) {
                out->restrictions_overflow = true;
                continue;
            }
            cs_tcf_restriction_t *rr = &out->restrictions[out->n_restrictions++];
            rr->purpose = (uint8_t) purpose;
            rr->type = (uint8_t) type;
            rr->first = (uint16_t) first;
            rr->last = (uint16_t) last;
        }
    }
    return 0;
}

static int
decode_core(bitrd_t *r, cs_tcf_t *out)
{
    out->version = (int) rd_bits(r, 6);
    if (r->err || out->version != 2) {
        return -1;
    }
    out->created = rd_bits(r, 36);
    out->last_updated = rd_bits(r, 36);
    out->cmp_id = (uint16_t) rd_bits(r, 12);
    out->cmp_version = (uint16_t) rd_bits(r, 12);
    out->consent_screen = (uint8_t) rd_bits(r, 6);
    if (rd_letters(r, out->consent_language) != 0) {
        return -1;
    }
    out->vendor_list_version = (uint16_t) rd_bits(r, 12);
    out->policy_version = (uint16_t) rd_bits(r, 6);
    out->is_service_specific = rd_bool(r);
    out->use_non_standard_texts = rd_bool(r);
    out->special_feature_optins = (uint16_t) rd_bits(r, 12);
    out->purposes_consent = (uint32_t) rd_bits(r, 24);
    out->purposes_li = (uint32_t) rd_bits(r, 24);
    out->purpose_one_treatment = rd_bool(r);
    if (rd_letters(r, out->publisher_cc) != 0) {
        return -1;
    }

    /*
     * The spec lists fields first to last; bitfields above store field bit
     * k (k = 1..N, first bit read = item 1) as bit (k-1). rd_bits() returns
     * the first bit read as the most significant one, so reverse.
     */
    uint32_t  pc = 0, pl = 0;
    uint16_t  sf = 0;
    for (unsigned k = 0; k < 24; k++) {
        pc |= ((out->purposes_consent >> (23 - k)) & 1u) << k;
        pl |= ((out->purposes_li >> (23 - k)) & 1u) << k;
    }
    for (unsigned k = 0; k < 12; k++) {
        sf |= (uint16_t) (((out->special_feature_optins >> (11 - k)) & 1u) << k);
    }
    out->purposes_consent = pc;
    out->purposes_li = pl;
    out->special_feature_optins = sf;

    if (r->err
        || rd_vendor_section(r, &out->max_vendor_id, out->vendor_consent) != 0
        || rd_vendor_section(r, &out->max_vendor_id_li, out->vendor_li) != 0
        || rd_pub_restrictions(r, out) != 0)
    {
        return -1;
    }
    return 0;   /* the remaining bits are padding */
}

/*
 * A segment after the core, its type already read: disclosed and allowed
 * vendors are one vendor section each (MaxVendorId up to the same limit);
 * publisher TC is PubPurposesConsent(24) PubPurposesLITransparency(24)
 * NumCustomPurposes(6) CustomPurposesConsent(N) CustomPurposesLI(N).
 */
static int
skip_segment(bitrd_t *r, unsigned type)
{
    uint16_t  max;

    if (type == TCF_SEG_DISCLOSED_VENDORS || type == TCF_SEG_ALLOWED_VENDORS) {
        return rd_vendor_section(r, &max, NULL);
    }
    rd_bits(r, 48);
    unsigned n = (unsigned) rd_bits(r, 6);
    rd_bits(r, n);
    rd_bits(r, n);
    return r->err ? -1 : 0;
}

int
cs_tcf_decode(const char *tc, size_t len, cs_tcf_t *out)
{
    size_t  start = 0;
    int     seg = 0;

    memset(out, 0, sizeof(*out));
    if (tc == NULL || len == 0) {
        return -1;
    }

    while (start <= len) {
        size_t  end = start, pad = 0, chars;

        while (end < len && tc[end] != '.') {
            end++;
        }
        /* base64url characters, then at most two '=' of padding */
        for (chars = start; chars < end && b64url_value((unsigned char) tc[chars]) >= 0;
             chars++)
        {
        }
        while (chars + pad < end && tc[chars + pad] == '=' && pad < 2) {
            pad++;
        }
        if (chars + pad != end || chars == start) {
            goto invalid;
        }

        bitrd_t r = { tc + start, (chars - start) * 6, 0, false };

        if (seg == 0) {
            if (decode_core(&r, out) != 0) {
                goto invalid;
            }
        } else {
            unsigned type = (unsigned) rd_bits(&r, 3);
            if (r.err || type == TCF_SEG_CORE || type > TCF_SEG_PUBLISHER_TC
                || (out->segments & (1u << type))
                || skip_segment(&r, type) != 0)
            {
                goto invalid;
            }
            out->segments |= (uint8_t) (1u << type);
        }
        seg++;
        start = end + 1;    /* past the '.'; len + 1 ends the loop */
    }
    return 0;

invalid:
    memset(out, 0, sizeof(*out));
    return -1;
}

bool
cs_tcf_vendor_consent(const cs_tcf_t *tcf, uint32_t vendor_id)
{
    return vendor_id >= 1 && vendor_id <= tcf->max_vendor_id
           && bit_test(tcf->vendor_consent, vendor_id - 1);
}

bool
cs_tcf_vendor_li(const cs_tcf_t *tcf, uint32_t vendor_id)
{
    return vendor_id >= 1 && vendor_id <= tcf->max_vendor_id_li
           && bit_test(tcf->vendor_li, vendor_id - 1);
}

bool
cs_tcf_vendor_allowed(const cs_tcf_t *tcf, uint32_t vendor_id,
    uint32_t extra_purposes_mask)
{
    uint32_t need = extra_purposes_mask | 1u;   /* purpose 1 always */

    if (tcf->version != 2 || (need & ~0xffffffu)
        || (tcf->purposes_consent & need) != need
        || !cs_tcf_vendor_consent(tcf, vendor_id))
    {
        return false;
    }
    if (tcf->restrictions_overflow) {
        return false;
    }
    for (uint32_t i = 0; i < tcf->n_restrictions; i++) {
        const cs_tcf_restriction_t *rr = &tcf->restrictions[i];
        if ((need >> (rr->purpose - 1)) & 1u
            && vendor_id >= rr->first && vendor_id <= rr->last)
        {
            return false;
        }
    }
    return true;
}

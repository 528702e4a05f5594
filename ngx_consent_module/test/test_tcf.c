/*
 * IAB TCF v2 TC string decoding (cs_tcf_decode) and the vendor check
 * (cs_tcf_vendor_allowed).
 *
 * The vectors are real TC strings from public decoder test suites, each
 * cited next to it with the value that suite asserts; the remaining fields
 * checked here were cross-checked against the IAB reference decoder
 * (@iabtcf/core 1.5.6, TCString.decode) on the same strings. Synthetic
 * strings (limits, restrictions, broken ranges) are built bit by bit from
 * the field table of the IAB "TC String Format" spec by the small encoder
 * below.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_cmp.h"

#define P(n)  (1u << ((n) - 1))          /* purpose / special feature n */

static cs_tcf_t  t;                      /* big: keep it off the stack */

static int
decode(const char *s)
{
    return cs_tcf_decode(s, strlen(s), &t);
}

/* Every vendor 1..limit whose bit is set equals the "id,id,..." list. */
static void
assert_vendors(bool (*get)(const cs_tcf_t *, uint32_t), uint32_t limit,
    const char *want)
{
    char  got[4096];
    size_t n = 0;

    got[0] = '\0';
    for (uint32_t v = 0; v <= limit + 2; v++) {
        if (get(&t, v)) {
            n += (size_t) snprintf(got + n, sizeof(got) - n, "%s%u",
                                   n ? "," : "", v);
        }
    }
    assert_string_equal(got, want);
}

/* ---- a tiny TC string encoder for synthetic cases ---- */

typedef struct {
    char    bits[40000];
    size_t  n;
} bw_t;

static bw_t  bw;

static void
put(uint64_t v, unsigned nbits)
{
    for (unsigned i = nbits; i-- > 0;) {
        bw.bits[bw.n++] = (v >> i) & 1 ? '1' : '0';
    }
}

/* base64url of the bits written so far, zero-padded to 6 (no '='). */
static void
bw_string(char *out)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;

    for (size_t i = 0; i < bw.n; i += 6) {
        unsigned v = 0;
        for (size_t k = 0; k < 6; k++) {
            v = v << 1 | (i + k < bw.n && bw.bits[i + k] == '1');
        }
        out[o++] = b64[v];
    }
    out[o] = '\0';
}

/*
 * The core fields up to PublisherCC: version 2, both dates 2024-01-01,
 * CmpId 7, CmpVersion 1, screen 1, "EN", list 100, policy 4, service
 * specific, purposes consented as given (bit (n-1) = purpose n), no LI.
 */
static void
put_core_head(unsigned version, uint32_t purposes)
{
    bw.n = 0;
    put(version, 6);
    put(17040672000ull, 36);
    put(17040672000ull, 36);
    put(7, 12);
    put(1, 12);
    put(1, 6);
    put('E' - 'A', 6);
    put('N' - 'A', 6);
    put(100, 12);
    put(4, 6);
    put(1, 1);
    put(0, 1);
    put(0, 12);
    for (unsigned p = 1; p <= 24; p++) {
        put((purposes >> (p - 1)) & 1, 1);
    }
    put(0, 24);
    put(0, 1);
    put(0, 6);
    put(0, 6);
}

/* A range-encoded vendor section listing first..last (one entry). */
static void
put_range_section(uint32_t max, uint32_t first, uint32_t last)
{
    put(max, 16);
    put(1, 1);
    put(1, 12);
    put(first != last, 1);
    put(first, 16);
    if (first != last) {
        put(last, 16);
    }
}

static void
put_empty_section(void)
{
    put(0, 16);
    put(0, 1);
}

/* ---- real strings, with what their suites assert ---- */

static void
test_go_gdpr_metadata(void **state)
{
    (void) state;

    /*
     * prebid/go-gdpr vendorconsent/tcf2/metadata_test.go TestCreatedDate,
     * TestLastUpdate: both 2020-02-27 19:51:49 UTC (.6 s).
     */
    assert_int_equal(decode("COvcSpYOvcSpYC9AAAENAPCAAAAAAAAAAAAACvwDQABAAIAAY"
                            "ABIAC4AJQAagA9ACEAPgAjIBJoCvAK-AAAAAA"), 0);
    assert_int_equal(t.version, 2);
    assert_true(t.created == 15828331096ull);
    assert_true(t.last_updated == 15828331096ull);
    assert_int_equal(t.cmp_id, 189);
    assert_int_equal(t.vendor_list_version, 15);

    /* metadata_test.go TestLargeCmpID: 923 */
    assert_int_equal(decode("COyiBqdOyiBqdObAAAENAfCIAP8AAH-AAAAAB4AXQQgEAAAgo"
                            "AAAAABAIYQUAAAAAAAAAAAAAAAIQIQCxIvkgQMAAAABgAIAAAA"
                            "AAAAAAABAZAkAAA"), 0);
    assert_int_equal(t.cmp_id, 923);
    assert_int_equal(t.purposes_consent, 0xff);           /* 1..8 */
    assert_int_equal(t.purposes_li, 0x1fe);               /* 2..9 */

    /* TestLargeCmpVersion: 776 */
    assert_int_equal(decode("COyiCPlOyiCPlKxMIAENAfCAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(t.cmp_version, 776);
    assert_int_equal(t.cmp_id, 689);

    /* TestLargeConsentScreen: 56 */
    assert_int_equal(decode("COyiFYuOyiFYuDKAA4ENAfCAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(t.consent_screen, 56);

    /* TestLanguageExtremes: "BG" and "SV" */
    assert_int_equal(decode("COyiHgFOyiHgFN4ABABGAPCAAAAAAAAAAAAAAFAAAAoAAAA"), 0);
    assert_string_equal(t.consent_language, "BG");
    assert_int_equal(decode("COyiHgFOyiHgFN4ABASVAPCAAAAAAAAAAAAAAFAAAAoAAAA"), 0);
    assert_string_equal(t.consent_language, "SV");

    /*
     * TestTCF2Fields, TestLITransparency: PurposeOneTreatment, special
     * feature 1 but not 2, LI for purposes 2-5 only.
     */
    assert_int_equal(decode("COx3XOeOx3XOeLkAAAENAfCIAAAAAHgAAIAAAAAAAAAA"), 0);
    assert_true(t.purpose_one_treatment);
    assert_int_equal(t.special_feature_optins, P(1));
    assert_int_equal(t.purposes_li, P(2) | P(3) | P(4) | P(5));
    assert_int_equal(t.purposes_consent, 0);
}

/*
 * metadata_test.go TestTCFPolicyVersion: character 22 of this string is
 * the 6-bit TcfPolicyVersion; A B C E I Q g _ = 0 1 2 4 8 16 32 63.
 */
static void
test_go_gdpr_policy_version(void **state)
{
    static const struct { char c; int v; } cases[] = {
        { 'A', 0 }, { 'B', 1 }, { 'C', 2 }, { 'E', 4 }, { 'I', 8 },
        { 'Q', 16 }, { 'g', 32 }, { '_', 63 },
    };
    char s[] = "CPtGDMAPtGDMALMAAAENA_C_AAAAAAAAACiQAAAAAAAA";

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s[22] = cases[i].c;
        assert_int_equal(decode(s), 0);
        assert_int_equal(t.policy_version, cases[i].v);
        /* the rest, as decoded by @iabtcf/core */
        assert_int_equal(t.cmp_id, 716);
        assert_int_equal(t.vendor_list_version, 63);
        assert_true(t.is_service_specific);
        assert_true(t.use_non_standard_texts);
        assert_int_equal(t.special_feature_optins, P(1) | P(2) | P(3) | P(4));
        assert_string_equal(t.publisher_cc, "US");
    }
}

static void
test_go_gdpr_bitfield_and_ranges(void **state)
{
    (void) state;

    /*
     * bitfield_test.go TestBitField: v2, CmpId 3, CmpVersion 2, screen 7,
     * "EN", list 14, MaxVendorId 10, purposes 1 2 3 5 6 7 9 12 13 15 17 19
     * 20 23 24, vendors 1 2 4 7 9 10.
     */
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA"),
                     0);
    assert_int_equal(t.version, 2);
    assert_int_equal(t.cmp_id, 3);
    assert_int_equal(t.cmp_version, 2);
    assert_int_equal(t.consent_screen, 7);
    assert_string_equal(t.consent_language, "EN");
    assert_int_equal(t.vendor_list_version, 14);
    assert_int_equal(t.max_vendor_id, 10);
    assert_int_equal(t.purposes_consent,
                     P(1) | P(2) | P(3) | P(5) | P(6) | P(7) | P(9) | P(12)
                     | P(13) | P(15) | P(17) | P(19) | P(20) | P(23) | P(24));
    assert_vendors(cs_tcf_vendor_consent, 10, "1,2,4,7,9,10");

    /*
     * rangesection_test.go TestRangeSectionConsent: a mix of single and
     * range entries; MaxVendorId 626, consents 23 42 126 127 128 587 613
     * 626, legitimate interests 24 44 129 130 131 591 614 628.
     */
    assert_int_equal(decode("COyfVVoOyfVVoADACHENAwCAAAAAAAAAAAAAE5QBgALgAqgD8"
                            "AQACSwEygJyAnSAMABgAFkAgQCDASeAmYBOgAA"), 0);
    assert_int_equal(t.cmp_id, 3);
    assert_int_equal(t.cmp_version, 2);
    assert_int_equal(t.consent_screen, 7);
    assert_string_equal(t.consent_language, "EN");
    assert_int_equal(t.vendor_list_version, 48);
    assert_int_equal(t.max_vendor_id, 626);
    assert_int_equal(t.max_vendor_id_li, 628);
    assert_vendors(cs_tcf_vendor_consent, 700, "23,42,126,127,128,587,613,626");
    assert_vendors(cs_tcf_vendor_li, 700, "24,44,129,130,131,591,614,628");

    /*
     * consent_test.go: crafted strings that declare 10 vendors of
     * legitimate interest (bit field, then range section) without the
     * content: invalid.
     */
    assert_int_equal(decode("COvcSpYOvcSpYC9AAAENAPCAAAAAAAAAAAAAAFAAAAA"), -1);
    assert_int_equal(decode("COvcSpYOvcSpYC9AAAENAPCAAAAAAAAAAAAAAFQBgAAgABAAC"
                            "AAEAAQAAgAA"), -1);

    /*
     * rangesection_test.go TestInvalidRangeEdgeCase: this string cut to 31
     * bytes (41 characters hold 246 bits) misses a range entry's id.
     */
    const char *edge = "COwDzqZOwDzqZN4ABMENAPCAAP4AAP-AAAhoAFQAYABgAOABQAAAAA";
    assert_int_equal(cs_tcf_decode(edge, 41, &t), -1);
    assert_int_equal(cs_tcf_decode(edge, 42, &t), -1);
}

static void
test_go_gdpr_pub_restrictions(void **state)
{
    (void) state;

    /*
     * pubrestrict_test.go TestPubRestrictions: CmpId 888, CmpVersion 1,
     * screen 0, "EN", list 15, MaxVendorId 10; one restriction: purpose 7,
     * type 1 (require consent), vendor 32 (type 1 is validated, not kept).
     */
    assert_int_equal(decode("COwAdDhOwAdDhN4ABAENAPCgAAQAAv___wAAAFP_AAp_4AI6A"
                            "CACAA"), 0);
    assert_int_equal(t.cmp_id, 888);
    assert_int_equal(t.cmp_version, 1);
    assert_int_equal(t.consent_screen, 0);
    assert_int_equal(t.vendor_list_version, 15);
    assert_int_equal(t.max_vendor_id, 10);
    assert_int_equal(t.num_pub_restrictions, 1);
    assert_int_equal(t.n_restrictions, 0);

    /*
     * TestPubRestrictions2: no PurposeOneTreatment, no special feature 3;
     * type 0 (not allowed) on purpose 1 for vendor 32, on purpose 2 for 5,
     * 11 and 32 but not 44 or 500 (the kept ranges, per @iabtcf/core: p1
     * {32}, p2 {1-40}, p7 {32-35}, p10 {30-32}).
     */
    assert_int_equal(decode("COxPe2TOxPe2TALABAENAPCgAAAAAAAAAAAAAFAAAAoAAA4IA"
                            "CACAIABgACAFA4ADACAAIygAGADwAQBIAIAIB0AEAEBSACACAA"),
                     0);
    assert_false(t.purpose_one_treatment);
    assert_false(t.special_feature_optins & P(3));
    assert_int_equal(t.num_pub_restrictions, 7);

    bool p1[600] = { false }, p2[600] = { false };
    for (uint32_t i = 0; i < t.n_restrictions; i++) {
        const cs_tcf_restriction_t *r = &t.restrictions[i];
        assert_true(r->type == CS_TCF_RESTRICT_NOT_ALLOWED
                    || r->type == CS_TCF_RESTRICT_REQUIRE_LI);
        for (uint32_t v = r->first; v <= r->last && v < 600; v++) {
            if (r->type == 0 && r->purpose == 1) {
                p1[v] = true;
            }
            if (r->type == 0 && r->purpose == 2) {
                p2[v] = true;
            }
        }
    }
    assert_true(p1[32]);
    assert_false(p1[31]);
    assert_true(p2[32] && p2[5] && p2[11]);
    assert_false(p2[44] || p2[500]);

    /* TestPubRestrictions3: valid */
    assert_int_equal(decode("COzSDo9OzSDo9B9AAAENAiCAALAAAAAAAAAACOQAQCOAAAAA"),
                     0);
    assert_vendors(cs_tcf_vendor_consent, 300, "284");
}

/*
 * iabtcf-java (InteractiveAdvertisingBureau/iabtcf-java)
 * iabtcf-decoder/src/test/java/com/iabtcf/decoder/TCStringV2Test.java
 */
static void
test_iabtcf_java(void **state)
{
    (void) state;

    /*
     * testCanConstructTCModelFromBase64String: created 2020-01-26T17:01:00Z,
     * updated 2021-02-02T17:01:00Z, CmpId 675, CmpVersion 2, screen 1, list
     * 15, policy 2, "EN", "AA", not service specific, PurposeOneTreatment,
     * standard texts, special feature 1, purposes 2 and 10, LI 2 and 9.
     */
    assert_int_equal(decode("COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"), 0);
    assert_true(t.created == 15800580600ull);
    assert_true(t.last_updated == 16122852600ull);
    assert_int_equal(t.cmp_id, 675);
    assert_int_equal(t.cmp_version, 2);
    assert_int_equal(t.consent_screen, 1);
    assert_int_equal(t.vendor_list_version, 15);
    assert_int_equal(t.policy_version, 2);
    assert_string_equal(t.consent_language, "EN");
    assert_string_equal(t.publisher_cc, "AA");
    assert_false(t.is_service_specific);
    assert_true(t.purpose_one_treatment);
    assert_false(t.use_non_standard_texts);
    assert_int_equal(t.special_feature_optins, P(1));
    assert_int_equal(t.purposes_consent, P(2) | P(10));
    assert_int_equal(t.purposes_li, P(2) | P(9));
    assert_int_equal(t.segments, 0);

    /*
     * testConstructConsentsFromBitFields: purposes 3-9, vendors 23 37 47 48
     * 53 65 98, LI vendors 37 47 48 53 65 98 129.
     */
    const char *bits = "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAA"
                       "AEAgQAAAAAEAYQAQAAAACAAAABAAA";
    assert_int_equal(decode(bits), 0);
    assert_int_equal(t.purposes_consent,
                     P(3) | P(4) | P(5) | P(6) | P(7) | P(8) | P(9));
    assert_vendors(cs_tcf_vendor_consent, 200, "23,37,47,48,53,65,98");
    assert_vendors(cs_tcf_vendor_li, 200, "37,47,48,53,65,98,129");

    /*
     * testCanParseDisclosedAndAllowedVendors / testCanParseAllParts: the
     * same core with disclosed (1) and allowed (2) vendors segments, then
     * also a publisher TC segment (3), '='-padded.
     */
    char all[512];
    snprintf(all, sizeof(all), "%s.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA",
             bits);
    assert_int_equal(decode(all), 0);
    assert_int_equal(t.segments, 1 << 1 | 1 << 2);
    assert_vendors(cs_tcf_vendor_consent, 200, "23,37,47,48,53,65,98");
    strcat(all, ".cAAAAAAAITg=");
    assert_int_equal(decode(all), 0);
    assert_int_equal(t.segments, 1 << 1 | 1 << 2 | 1 << 3);
    assert_int_equal(t.purposes_consent,
                     P(3) | P(4) | P(5) | P(6) | P(7) | P(8) | P(9));

    /* testCanParseRangeEncodedVendorLegitimateInterests: LI vendor 128 */
    assert_int_equal(decode("COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABA"
                            "EAAAA"), 0);
    assert_vendors(cs_tcf_vendor_li, 200, "128");
    assert_vendors(cs_tcf_vendor_consent, 200, "127");

    /* testRange: vendors 702 and 703 in one range, then 703 alone */
    assert_int_equal(decode("COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAYFfAV-BVk"
                            "AGBVYFWAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAg"
                            "EAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQA"
                            "AAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw"), 0);
    assert_vendors(cs_tcf_vendor_consent, 800, "702,703");
    assert_int_equal(t.segments, 1 << 1);
    assert_int_equal(decode("COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAQFfgUbABA"
                            "UaAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACE"
                            "AAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJ"
                            "AAIAAgAAAYQEAAAQmAgBC3ZAYzUw"), 0);
    assert_vendors(cs_tcf_vendor_consent, 800, "703");

    /* testPurposesConsent: purposes 1 and 2 */
    assert_int_equal(decode("COwxsONOwxsONKpAAAENAdCAAMAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(t.purposes_consent, P(1) | P(2));

    /*
     * TCStringDecoderTest: "Bg" reads beyond the buffer, "CA==" is too
     * short for the strict decoder, a version-3 byte is unsupported.
     */
    assert_int_equal(decode("Bg"), -1);
    assert_int_equal(decode("CA=="), -1);
    assert_int_equal(decode("DQ=="), -1);
}

/*
 * base64FromBitString() of TCStringV2Test.java: the bits cut into 8-bit
 * chunks (the last one parsed as a shorter number), then
 * Base64.getUrlEncoder() (with '=' padding).
 */
static void
java_b64(const char *bitstr, char *out)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char  bytes[256];
    size_t         nb = 0, len = strlen(bitstr), o = 0;

    for (size_t i = 0; i < len;) {
        unsigned v = 0;
        for (int j = 0; j < 8 && i < len; j++, i++) {
            v = v << 1 | (bitstr[i] == '1');
        }
        bytes[nb++] = (unsigned char) v;
    }
    for (size_t i = 0; i < nb; i += 3) {
        uint32_t v = (uint32_t) bytes[i] << 16;
        size_t   k = nb - i < 3 ? nb - i : 3;
        if (k > 1) {
            v |= (uint32_t) bytes[i + 1] << 8;
        }
        if (k > 2) {
            v |= bytes[i + 2];
        }
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = k > 1 ? b64[v >> 6 & 63] : '=';
        out[o++] = k > 2 ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

static void
test_iabtcf_java_built(void **state)
{
    char s[512], core_pub[512];

    (void) state;

    /*
     * testPublisherRestrictions: three restrictions without vendors,
     * purpose 1 require consent, purpose 2 not allowed, purpose 3 require
     * legitimate interest.
     */
    java_b64("0000100011101011100" "1000000000000001010" "0000001110101110010"
             "0000000000000101000" "0000110011111000000" "0000000000000000100"
             "0011010000000011110" "0001000000000000000" "0000000000000000000"
             "0000000000000000000" "0000000000000000000" "0000000000000000000"
             "0000000000000000000" "000000000011"
             "000001" "01" "000000000000"
             "000010" "00" "000000000000"
             "000011" "10" "000000000000"
             "0", s);
    assert_int_equal(decode(s), 0);
    assert_int_equal(t.num_pub_restrictions, 3);
    assert_int_equal(t.n_restrictions, 0);

    /*
     * testPublisherPurposes: a publisher TC segment (pub purpose 1, pub LI
     * 24, two custom purposes) after the core of the first test.
     */
    java_b64("011" "100000000000000000000000" "000000000000000000000001"
             "000010" "01" "11" "000", s);
    snprintf(core_pub, sizeof(core_pub), "%s.%s",
             "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA", s);
    assert_int_equal(decode(core_pub), 0);
    assert_int_equal(t.segments, 1 << 3);
    assert_int_equal(t.cmp_id, 675);

    /*
     * testDefaultSegmentType: iabtcf-java accepts a trailing segment of
     * type 0 ("AA"); a second core segment is invalid here (fail closed).
     */
    assert_int_equal(decode("COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA.AA"),
                     -1);
}

/* iabtcf-es (InteractiveAdvertisingBureau/iabtcf-es) */
static void
test_iabtcf_es(void **state)
{
    (void) state;

    /*
     * modules/core/test/ReportedIssues.test.ts "201 unable to decode valid
     * TCF2 String": decodes, version 2, purpose 1 "require consent" for
     * vendors 7 20 71 122 140 183. Per @iabtcf/core it also restricts vendor
     * 730 to legitimate interest on purposes 1-10: so 730, though it has
     * the consent bit, may not process on consent.
     */
    assert_int_equal(decode(
        "CO4VGswO4VGswAfZCBDEAzCsAP_AAH_AAAigGUNf_X9fb2vj-_599_t0eY1f9_63t-wz"
        "jheMs-8NyZ-X_J4Wv2MyvB34JqQKGRgkunLBAQdtHGncTQgBwIlViTLMY02MjzNKJrJE"
        "ilsbe2dYGH9vn8XT_ZKZ70-_v__7v3___33_5Ayhr_6_r7e18f3_Pvv9ujzGr_v_W9v2"
        "GccLxln3huTPy_5PC1-xmV4O_BNSBQyMEl05YICDto407iaEAOBEqsSZZjGmxkeZpRNZ"
        "IkUtjb2zrAw_t8_i6f7JTPen39___d-___--__ICgKAOAAcAA4AFAAjgB6AEYALcGACA"
        "W0AtoJAHAAOAAcACgARwA9ACMAFuFABALaAW0GgDgAHAAOABQAI4AegBGAC3DgAgFtAL"
        "aEQBwADgAHAAoAEcAPQAjABbiQAQC2gFtCoA4ABwADgAUACOAHoARgAtxYAIBbQC2hkA"
        "cAA4ABwAKABHAD0AIwAW40AEAtoBbQ6AOAAcAA4AFAAjgB6AEYALceACAW0AtohAHAAO"
        "AAcACgARwA9ACMAFuRABALaAW0SgDgAHAAOABQAI4AegBGAC3JgAgFtALaKQBwADgAHA"
        "AoAEcAPQAjABblQAQC2gFtA"), 0);
    assert_int_equal(t.version, 2);
    assert_int_equal(t.cmp_id, 31);
    assert_string_equal(t.consent_language, "DE");
    assert_string_equal(t.publisher_cc, "EU");
    assert_int_equal(t.vendor_list_version, 51);
    assert_int_equal(t.num_pub_restrictions, 20);
    assert_int_equal(t.max_vendor_id, 808);
    assert_true(cs_tcf_vendor_consent(&t, 730));
    assert_false(cs_tcf_vendor_allowed(&t, 730, 0));
    assert_true(cs_tcf_vendor_allowed(&t, 1, P(2) | P(3) | P(4)));

    /*
     * ReportedIssues.test.ts "142 it should throw an error if the bitfield
     * length does not match the maxId": its disclosed vendors segment is
     * shorter than its MaxVendorId.
     */
    assert_int_equal(decode(
        "CLSYjTaOngnCIAOABBENAXCMAGOAABBAAA7IA5n-m7fP6_3fbqVv6E__PoA5Aqff3aJx"
        "8tv_1967rfnQEQoAIAAQCrwkAEABAcACABIMACAAuApEVABABUSABgBCAVSAtIoACACI"
        "ArYQAHACgAFgAVwBJgDcAI7AWgMAAgBiKgAgBMgFfKQAQBRkQAQA4AFiBAAoA-AEVAJl"
        "AVgAtYcACAJcAr4eABAK8OgBgFzAOmAqwgABAWyA.IFukWSQh"), -1);

    /*
     * ReportedIssues.test.ts "156 it should auto detect 1 version" and "191
     * ... TCF 1.1 consentString": version 1 strings are not TCF v2.
     */
    assert_int_equal(decode(
        "BOhwdphOxFC7tAHABBFRC--AAAAuhr_7__7-_9_-_f__9uj3Or_v_f__32ccL59v_h_7"
        "v-_7fi_20nV4u_1vft9yfk1-5ctDztp507iakivXmqdeb9v_nz3_5pxP78k89r7337Ew"
        "_v8_v-b7BCON_YxEiA"), -1);
    assert_int_equal(decode("BO2e4qiO2e4qiB9ABADEDS-AAAAxKABgACBiQA"), -1);

    /*
     * modules/cmpapi/test/ReportedIssues.test.ts: a core and a publisher TC
     * segment ("YAAAAAAAAAAA").
     */
    assert_int_equal(decode("CO5dPi4O5dPx2B7DvCENA2CgAAAAAAAAAAAAGewAAM8gAAAA"
                            ".YAAAAAAAAAAA"), 0);
    assert_int_equal(t.cmp_id, 123);
    assert_int_equal(t.cmp_version, 239);
    assert_int_equal(t.segments, 1 << 3);

    /*
     * ReportedIssues.test.ts (the commented-out "xxx" case): a TCF v2.2
     * string, policy version 5, with disclosed vendors and publisher TC.
     * Values per @iabtcf/core.
     */
    char v22[1024];
    /* its disclosed vendors segment is "IL6" and 256 'A's */
    snprintf(v22, sizeof(v22), "%s.IL6",
             "CQd924AQd924AASACCENCNFsAP_gAEIAACiQL6QBAAGAAOANmAcAF9IAIADgAA");
    for (int i = 0; i < 256; i++) {
        strcat(v22, "A");
    }
    strcat(v22, ".YIAAAAAAAAAA");
    assert_int_equal(decode(v22), 0);
    assert_int_equal(t.policy_version, 5);
    assert_int_equal(t.vendor_list_version, 141);
    assert_int_equal(t.cmp_id, 18);
    assert_int_equal(t.purposes_consent, 0x7ff);          /* 1..11 */
    assert_int_equal(t.purposes_li, P(2) | P(7));
    assert_vendors(cs_tcf_vendor_consent, 500, "12,14,435,448");
    assert_vendors(cs_tcf_vendor_li, 500, "14");
    assert_int_equal(t.segments, 1 << 1 | 1 << 3);
}

/*
 * Real euconsent-v2 cookie values, from uBlockOrigin/uBOL-home
 * firefox/rulesets/scripting/scriptlet/annoyances-cookies.trusted-set-cookie.js
 * (values sites accept as "rejected all"), and from a Cookiebot iab2 field
 * of a public scraper's Cookie header. Values per @iabtcf/core.
 */
static void
test_real_cookies(void **state)
{
    (void) state;

    /* rejected everything but legitimate interest of six vendors */
    assert_int_equal(decode("CPt3fQAPt3fQACNAFAENDLCgAAAAAAAAACiQAAAOCgDAB-AIs"
                            "AZ8A6QDBAHBAAAA.YAAAAAAAAAAA"), 0);
    assert_int_equal(t.cmp_id, 141);
    assert_int_equal(t.purposes_consent, 0);
    assert_int_equal(t.max_vendor_id, 0);
    assert_vendors(cs_tcf_vendor_li, 1000, "126,278,415,466,772,898");
    assert_false(cs_tcf_vendor_allowed(&t, 126, 0));

    assert_int_equal(decode("CP-mp8AP-mp8ACGABBENAzEgAAAAAEPgAAAAAAAUVALMNCog"
                            "DrAkJCDQMIoEAKgrCAigQAAAAkDRAQAmDAp2BgEusJEAIAUAAw"
                            "QAgABRkACAAACABCIAIACgQAAQCBQAAgAQCAQAEDAACACwEAgA"
                            "BAdAhTAggUCwASMyIhTAhCgSCAlsqEEgCBBXCEIs8ACAREwUAA"
                            "AAABWAAICwWBxJICVCQQJcQbQAAEACAQQgVCCTkwABAkbLUHgi"
                            "bRlaQBoacJAA.YAAAAAAAAAAA"), 0);
    assert_int_equal(t.policy_version, 4);
    assert_int_equal(t.cmp_id, 134);
    assert_int_equal(t.purposes_li, P(2) | P(7) | P(8) | P(9) | P(10) | P(11));
    assert_int_equal(t.max_vendor_id, 0);
    assert_int_equal(t.max_vendor_id_li, 1301);
}

/* ---- failure modes ---- */

static const char *const valid[] = {
    "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA",
    "COyfVVoOyfVVoADACHENAwCAAAAAAAAAAAAAE5QBgALgAqgD8AQACSwEygJyAnSAMABgAFkA"
    "gQCDASeAmYBOgAA",
    "COxPe2TOxPe2TALABAENAPCgAAAAAAAAAAAAAFAAAAoAAA4IACACAIABgACAFA4ADACAAIyg"
    "AGADwAQBIAIAIB0AEAEBSACACAA",
    "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAA"
    "ACAAAABAAA.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA.cAAAAAAAITg=",
    "COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA",
    "CPt3fQAPt3fQACNAFAENDLCgAAAAAAAAACiQAAAOCgDAB-AIsAZ8A6QDBAHBAAAA.YAAAAAA"
    "AAAAA",
};

/*
 * Every prefix of every valid string, in a buffer of exactly its size (so
 * ASan sees any read past it): either invalid, or the very same decode
 * (a prefix can only drop padding bits or whole later segments).
 */
static void
test_truncated(void **state)
{
    static cs_tcf_t  full, cut;
    int              accepted = 0, rejected = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t len = strlen(valid[i]);

        assert_int_equal(cs_tcf_decode(valid[i], len, &full), 0);
        for (size_t k = 0; k < len; k++) {
            char *p = malloc(k ? k : 1);
            assert_non_null(p);
            memcpy(p, valid[i], k);
            int rc = cs_tcf_decode(p, k, &cut);
            free(p);
            if (rc != 0) {
                rejected++;
                assert_int_equal(cut.version, 0);
                assert_int_equal(cut.max_vendor_id, 0);
                continue;
            }
            accepted++;
            assert_int_equal(cut.segments & ~full.segments, 0);
            uint8_t seg = full.segments;
            cut.segments = full.segments = 0;
            assert_memory_equal(&cut, &full, sizeof(full));
            full.segments = seg;
        }
    }
    assert_true(rejected > 400);
    assert_true(accepted > 0);
}

/* Any byte outside the base64url alphabet anywhere: invalid. */
static void
test_bad_characters(void **state)
{
    static const char bad[] = { '+', '/', ' ', '\0', '%', '"', ',', '*', '~',
                                '\n', (char) 0x80, (char) 0xff };
    char s[1024];

    (void) state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t len = strlen(valid[i]);
        for (size_t k = 0; k < len; k++) {
            if (valid[i][k] == '.' || valid[i][k] == '=') {
                continue;
            }
            for (size_t b = 0; b < sizeof(bad); b++) {
                memcpy(s, valid[i], len);
                s[k] = bad[b];
                assert_int_equal(cs_tcf_decode(s, len, &t), -1);
            }
        }
    }

    /* '=' only as up to two characters of padding at a segment's end */
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA="), 0);
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA=="), 0);
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA==="), -1);
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA=A"), -1);
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOC=AO6as_-AAAhoAFNLAAoAAAA"), -1);
    assert_int_equal(decode("="), -1);
    assert_int_equal(cs_tcf_decode("", 0, &t), -1);
    assert_int_equal(cs_tcf_decode(NULL, 0, &t), -1);
}

static void
test_segments(void **state)
{
    const char *core = "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA";
    char        s[256];

    (void) state;
    snprintf(s, sizeof(s), "%s.", core);                 /* empty segment */
    assert_int_equal(decode(s), -1);
    snprintf(s, sizeof(s), ".%s", core);
    assert_int_equal(decode(s), -1);
    snprintf(s, sizeof(s), "%s..YAAAAAAAAAAA", core);
    assert_int_equal(decode(s), -1);
    snprintf(s, sizeof(s), "%s.YAAAAAAAAAAA", core);     /* publisher TC */
    assert_int_equal(decode(s), 0);
    snprintf(s, sizeof(s), "%s.YAAAAAAAAAAA.YAAAAAAAAAAA", core);
    assert_int_equal(decode(s), -1);                     /* twice */
    snprintf(s, sizeof(s), "%s.YAAAAAAA", core);         /* too short */
    assert_int_equal(decode(s), -1);
    snprintf(s, sizeof(s), "%s.IAAAA", core);            /* disclosed, none */
    assert_int_equal(decode(s), 0);
    assert_int_equal(t.segments, 1 << 1);
    snprintf(s, sizeof(s), "%s.IAB", core);              /* 15 bits: short */
    assert_int_equal(decode(s), -1);
    /* types 0, 4, 5, 6, 7 */
    static const char *const types[] = { "AAAAAAAA", "gAAAAAAA", "oAAAAAAA",
                                         "wAAAAAAA", "4AAAAAAA" };
    for (size_t i = 0; i < 5; i++) {
        snprintf(s, sizeof(s), "%s.%s", core, types[i]);
        assert_int_equal(decode(s), -1);
    }
}

/* Synthetic strings around the limits and the consistency rules. */
static void
test_built_limits(void **state)
{
    char s[8192];

    (void) state;

    /* the encoder agrees with the decoder */
    put_core_head(2, 0xffffff);
    put_range_section(4096, 4096, 4096);
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), 0);
    assert_int_equal(t.max_vendor_id, 4096);
    assert_vendors(cs_tcf_vendor_consent, 4096, "4096");
    assert_true(cs_tcf_vendor_allowed(&t, 4096, 0xffffff));
    assert_string_equal(t.consent_language, "EN");
    assert_true(t.created == 17040672000ull);

    /* version 1 and 3 */
    put_core_head(1, 0xffffff);
    put_empty_section();
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), -1);
    bw.bits[4] = '1';               /* version 3 */
    bw_string(s);
    assert_int_equal(decode(s), -1);

    /* MaxVendorId past the limit, consent and LI sections, either encoding */
    put_core_head(2, 0xffffff);
    put_range_section(4097, 1, 1);
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), -1);

    put_core_head(2, 0xffffff);
    put(4097, 16);
    put(0, 1);
    for (int i = 0; i < 4097; i++) {
        put(1, 1);
    }
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), -1);

    put_core_head(2, 0xffffff);
    put_empty_section();
    put_range_section(65535, 1, 2);
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), -1);

    /* a full 4096-vendor bit field */
    put_core_head(2, 0xffffff);
    put(4096, 16);
    put(0, 1);
    for (int i = 1; i <= 4096; i++) {
        put(i % 1000 == 0, 1);
    }
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), 0);
    assert_vendors(cs_tcf_vendor_consent, 4096, "1000,2000,3000,4000");

    /* inconsistent range entries */
    static const uint32_t bad_ranges[][3] = {
        { 10, 0, 0 },           /* vendor 0 */
        { 10, 0, 5 },           /* range from 0 */
        { 10, 6, 5 },           /* start > end */
        { 10, 11, 11 },         /* past MaxVendorId */
        { 10, 5, 11 },
        { 0, 1, 1 },
    };
    for (size_t i = 0; i < sizeof(bad_ranges) / sizeof(bad_ranges[0]); i++) {
        put_core_head(2, 0xffffff);
        put_range_section(bad_ranges[i][0], bad_ranges[i][1], bad_ranges[i][2]);
        put_empty_section();
        put(0, 12);
        bw_string(s);
        assert_int_equal(decode(s), -1);
        /* the same in the LI section */
        put_core_head(2, 0xffffff);
        put_empty_section();
        put_range_section(bad_ranges[i][0], bad_ranges[i][1], bad_ranges[i][2]);
        put(0, 12);
        bw_string(s);
        assert_int_equal(decode(s), -1);
    }

    /* a letter code out of A..Z */
    put_core_head(2, 0xffffff);
    bw.n -= 12;
    put(26, 6);
    put(0, 6);
    put_empty_section();
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), -1);

    /* publisher restrictions: purpose 0 or 25, type 3, bad ranges */
    static const uint32_t bad_restr[][4] = {
        { 0, 0, 1, 1 }, { 25, 0, 1, 1 }, { 2, 3, 1, 1 }, { 2, 0, 0, 0 },
        { 2, 0, 5, 4 },
    };
    for (size_t i = 0; i < sizeof(bad_restr) / sizeof(bad_restr[0]); i++) {
        put_core_head(2, 0xffffff);
        put_empty_section();
        put_empty_section();
        put(1, 12);
        put(bad_restr[i][0], 6);
        put(bad_restr[i][1], 2);
        put(1, 12);
        put(1, 1);
        put(bad_restr[i][2], 16);
        put(bad_restr[i][3], 16);
        bw_string(s);
        assert_int_equal(decode(s), -1);
    }

    /* a restriction count with too few restrictions after it */
    put_core_head(2, 0xffffff);
    put_empty_section();
    put_empty_section();
    put(2, 12);
    put(2, 6);
    put(0, 2);
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), -1);
}

static void
test_vendor_allowed(void **state)
{
    char s[8192];

    (void) state;

    /* bitfield_test.go's string: purposes 1 2 3 5 6 7 9 ..., vendors 1 2 4 7 9 10 */
    assert_int_equal(decode("COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA"),
                     0);
    assert_true(cs_tcf_vendor_allowed(&t, 1, 0));
    assert_true(cs_tcf_vendor_allowed(&t, 10, P(2) | P(3)));
    assert_false(cs_tcf_vendor_allowed(&t, 3, 0));          /* no consent */
    assert_false(cs_tcf_vendor_allowed(&t, 1, P(4)));       /* purpose 4 */
    assert_false(cs_tcf_vendor_allowed(&t, 11, 0));         /* past max */
    assert_false(cs_tcf_vendor_allowed(&t, 0, 0));
    assert_false(cs_tcf_vendor_allowed(&t, 1, 1u << 24));   /* purpose 25 */
    assert_false(cs_tcf_vendor_allowed(&t, 1, 0x80000000u));

    /* purpose 1 is always needed */
    put_core_head(2, 0xfffffe);
    put_range_section(50, 1, 50);
    put_empty_section();
    put(0, 12);
    bw_string(s);
    assert_int_equal(decode(s), 0);
    assert_false(cs_tcf_vendor_allowed(&t, 5, 0));
    assert_false(cs_tcf_vendor_allowed(&t, 5, P(2)));

    /*
     * restrictions: purpose 2 not allowed for vendor 5; purpose 3 require
     * LI for 6-8; purpose 4 require consent for 9 (no effect); purpose 1 not
     * allowed for 20-30.
     */
    put_core_head(2, 0xffffff);
    put_range_section(50, 1, 50);
    put_empty_section();
    put(4, 12);
    put(2, 6); put(0, 2); put(1, 12); put(0, 1); put(5, 16);
    put(3, 6); put(2, 2); put(1, 12); put(1, 1); put(6, 16); put(8, 16);
    put(4, 6); put(1, 2); put(1, 12); put(0, 1); put(9, 16);
    put(1, 6); put(0, 2); put(1, 12); put(1, 1); put(20, 16); put(30, 16);
    bw_string(s);
    assert_int_equal(decode(s), 0);
    assert_int_equal(t.num_pub_restrictions, 4);
    assert_int_equal(t.n_restrictions, 3);
    assert_true(cs_tcf_vendor_allowed(&t, 5, 0));
    assert_false(cs_tcf_vendor_allowed(&t, 5, P(2)));
    assert_true(cs_tcf_vendor_allowed(&t, 5, P(3)));
    assert_false(cs_tcf_vendor_allowed(&t, 7, P(3) | P(4)));
    assert_true(cs_tcf_vendor_allowed(&t, 7, P(2) | P(4)));
    assert_true(cs_tcf_vendor_allowed(&t, 9, P(4)));
    assert_false(cs_tcf_vendor_allowed(&t, 20, 0));
    assert_false(cs_tcf_vendor_allowed(&t, 30, 0));
    assert_true(cs_tcf_vendor_allowed(&t, 31, 0));

    /* more not-allowed ranges than are kept: nothing is allowed */
    put_core_head(2, 0xffffff);
    put_range_section(50, 1, 50);
    put_empty_section();
    put(1, 12);
    put(24, 6);
    put(0, 2);
    put(CS_TCF_MAX_RESTRICTIONS + 1, 12);
    for (int i = 0; i <= CS_TCF_MAX_RESTRICTIONS; i++) {
        put(0, 1);
        put(1000 + (unsigned) i, 16);
    }
    bw_string(s);
    assert_int_equal(decode(s), 0);
    assert_true(t.restrictions_overflow);
    assert_int_equal(t.n_restrictions, CS_TCF_MAX_RESTRICTIONS);
    assert_false(cs_tcf_vendor_allowed(&t, 1, 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_gdpr_metadata),
        cmocka_unit_test(test_go_gdpr_policy_version),
        cmocka_unit_test(test_go_gdpr_bitfield_and_ranges),
        cmocka_unit_test(test_go_gdpr_pub_restrictions),
        cmocka_unit_test(test_iabtcf_java),
        cmocka_unit_test(test_iabtcf_java_built),
        cmocka_unit_test(test_iabtcf_es),
        cmocka_unit_test(test_real_cookies),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_built_limits),
        cmocka_unit_test(test_vendor_allowed),
    };

    return cmocka_run_group_tests_name("tcf", tests, NULL, NULL);
}

/*
 * libFuzzer target for the consent cookie parsers (cs_cmp_parse,
 * cs_tcf_decode).
 *
 * Input layout: byte 0 selects what runs on the rest, the value:
 *   0       cs_tcf_decode() on the value, then cs_tcf_vendor_allowed() on a
 *           few vendors and purpose masks taken from the value's length;
 *   1..5    cs_cmp_parse() with that format (onetrust, cookiebot,
 *           cc_cookie, klaro, tcf);
 *   others  the same, format = byte % 6 (0: the plain list, always -1).
 * The value is copied into a malloc'd buffer of exactly its size, so ASan
 * catches any read past it.
 *
 * Aborts when:
 *   - a result is neither 0 nor -1, or parsing the same value twice differs;
 *   - a failed parse grants anything (items, all_granted, has_tcf, tcf);
 *   - an item name is empty, unterminated, too long or repeated; there are
 *     more than CS_CMP_MAX_ITEMS; all_granted comes from another format
 *     than cookiebot, has_tcf from another than cookiebot and tcf;
 *   - a decoded TC string breaks its invariants: version 2, letters A-Z,
 *     fields within their widths, no vendor bit past MaxVendorId, kept
 *     restrictions with purpose 1..24, type 0 or 2, 1 <= first <= last;
 *   - the tcf format and cs_tcf_decode() disagree on the same string;
 *   - cs_tcf_vendor_allowed() allows a vendor without its consent bit, or
 *     without purpose 1 or a required purpose consented.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_cmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cs_cmp_consent_t  a, b;
static cs_tcf_t          t1, t2;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_cmp: check failed: %s (line %d)\n",       \
                    #cond, __LINE__);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

static bool
bit_test(const uint8_t *set, uint32_t bit)
{
    return (set[bit / 8] >> (bit % 8)) & 1;
}

static void
check_tcf(const cs_tcf_t *t)
{
    CHECK(t->version == 2);
    for (int i = 0; i < 2; i++) {
        CHECK(t->consent_language[i] >= 'A' && t->consent_language[i] <= 'Z');
        CHECK(t->publisher_cc[i] >= 'A' && t->publisher_cc[i] <= 'Z');
    }
    CHECK(t->consent_language[2] == '\0' && t->publisher_cc[2] == '\0');
    CHECK(t->created < (1ull << 36) && t->last_updated < (1ull << 36));
    CHECK(t->cmp_id < 4096 && t->cmp_version < 4096);
    CHECK(t->consent_screen < 64 && t->policy_version < 64);
    CHECK(t->vendor_list_version < 4096);
    CHECK(t->special_feature_optins < (1u << 12));
    CHECK(t->purposes_consent < (1u << 24) && t->purposes_li < (1u << 24));
    CHECK(t->max_vendor_id <= CS_TCF_MAX_VENDOR);
    CHECK(t->max_vendor_id_li <= CS_TCF_MAX_VENDOR);
    for (uint32_t v = t->max_vendor_id; v < CS_TCF_MAX_VENDOR; v++) {
        CHECK(!bit_test(t->vendor_consent, v));
    }
    for (uint32_t v = t->max_vendor_id_li; v < CS_TCF_MAX_VENDOR; v++) {
        CHECK(!bit_test(t->vendor_li, v));
    }
    CHECK(t->num_pub_restrictions < 4096);
    CHECK(t->n_restrictions <= CS_TCF_MAX_RESTRICTIONS);
    CHECK(!t->restrictions_overflow
          || t->n_restrictions == CS_TCF_MAX_RESTRICTIONS);
    for (uint32_t i = 0; i < t->n_restrictions; i++) {
        const cs_tcf_restriction_t *r = &t->restrictions[i];
        CHECK(r->purpose >= 1 && r->purpose <= 24);
        CHECK(r->type == CS_TCF_RESTRICT_NOT_ALLOWED
              || r->type == CS_TCF_RESTRICT_REQUIRE_LI);
        CHECK(r->first >= 1 && r->first <= r->last);
    }
    CHECK((t->segments & 0xf1) == 0);
}

static void
check_nothing(const cs_cmp_consent_t *c)
{
    static const cs_tcf_t zero;

    CHECK(c->n == 0 && !c->all_granted && !c->has_tcf);
    CHECK(memcmp(&c->tcf, &zero, sizeof(zero)) == 0);
}

static void
check_consent(cs_cmp_format_t f, const cs_cmp_consent_t *c)
{
    CHECK(c->n <= CS_CMP_MAX_ITEMS);
    for (uint32_t i = 0; i < c->n; i++) {
        const char *name = c->items[i].name;
        size_t      len = strnlen(name, CS_CMP_NAME_MAX);

        CHECK(len > 0 && len < CS_CMP_NAME_MAX);
        for (uint32_t j = 0; j < i; j++) {
            CHECK(strcmp(c->items[j].name, name) != 0);
        }
        CHECK(cs_cmp_granted(c, name, len) == (c->items[i].granted
                                               || c->all_granted));
    }
    CHECK(!c->all_granted || f == CS_CMP_COOKIEBOT);
    CHECK(!c->has_tcf || f == CS_CMP_COOKIEBOT || f == CS_CMP_TCF);
    if (c->has_tcf) {
        check_tcf(&c->tcf);
    }
}

static void
check_allowed(const cs_tcf_t *t, size_t size)
{
    static const uint32_t vendors[] = { 0, 1, 2, 8, 10, 32, 755, 4095, 4096,
                                        4097 };
    uint32_t masks[] = { 0, 1u << 1, (uint32_t) size * 2654435761u & 0xffffff,
                         0xffffff, 1u << 24 };

    for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
        for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
            uint32_t need = masks[m] | 1u;
            if (cs_tcf_vendor_allowed(t, vendors[i], masks[m])) {
                CHECK(cs_tcf_vendor_consent(t, vendors[i]));
                CHECK((t->purposes_consent & need) == need);
                CHECK(!t->restrictions_overflow);
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }

    unsigned  sel = data[0];
    size_t    len = size - 1;
    char     *v = malloc(len ? len : 1);

    if (v == NULL) {
        return 0;
    }
    memcpy(v, data + 1, len);

    if (sel == 0) {
        int rc = cs_tcf_decode(v, len, &t1);
        CHECK(rc == 0 || rc == -1);
        CHECK(cs_tcf_decode(v, len, &t2) == rc);
        CHECK(memcmp(&t1, &t2, sizeof(t1)) == 0);
        if (rc == 0) {
            check_tcf(&t1);
            check_allowed(&t1, len);
        } else {
            CHECK(t1.version == 0 && t1.max_vendor_id == 0);
        }
        free(v);
        return 0;
    }

    cs_cmp_format_t f = (cs_cmp_format_t) (sel <= 5 ? sel : sel % 6);
    int rc = cs_cmp_parse(f, v, len, &a);

    CHECK(rc == 0 || rc == -1);
    CHECK(cs_cmp_parse(f, v, len, &b) == rc);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    if (rc != 0) {
        check_nothing(&a);
    } else {
        check_consent(f, &a);
        if (a.has_tcf) {
            check_allowed(&a.tcf, len);
        }
    }

    if (f == CS_CMP_TCF && len <= CS_CMP_VALUE_MAX
        && !(len >= 2 && v[0] == '"' && v[len - 1] == '"'))
    {
        int trc = cs_tcf_decode(v, len, &t1);
        CHECK(trc == rc);
        if (rc == 0) {
            CHECK(memcmp(&t1, &a.tcf, sizeof(t1)) == 0);
        }
    }
    free(v);
    return 0;
}

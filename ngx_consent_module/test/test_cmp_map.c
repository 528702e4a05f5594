/*
 * From a decoded CMP cookie to allowed recipients (cs_consent_apply_cmp):
 * consent_map entries, each format's defaults, names equal to recipient ids
 * or categories, TCF vendor consent, and that only declared recipients are
 * ever granted. The parsing itself is tested in test_cmp.c / test_tcf.c.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_support.h"

/* Builds a consent from "name=1,name=0,..." items. */
static void
consent_of(cs_cmp_consent_t *c, const char *items)
{
    memset(c, 0, sizeof(*c));
    while (items && *items) {
        const char *e = strchr(items, ',');
        size_t      n = e ? (size_t) (e - items) : strlen(items);
        const char *eq = memchr(items, '=', n);

        assert_non_null(eq);
        assert_true((size_t) (eq - items) < CS_CMP_NAME_MAX);
        memcpy(c->items[c->n].name, items, (size_t) (eq - items));
        c->items[c->n].granted = eq[1] == '1';
        c->n++;
        items = e ? e + 1 : NULL;
    }
}

/* The allowed set as "id,id" (sorted by recipient index = id order). */
static const char *
allowed_ids(const uint64_t *set)
{
    static char  buf[512];
    size_t       o = 0;

    buf[0] = '\0';
    for (uint32_t r = 0; r < cs_rules_recipient_count(ts_rules); r++) {
        if (cs_bitset_test(set, r)) {
            o += (size_t) snprintf(buf + o, sizeof(buf) - o, "%s%s",
                                   o ? "," : "",
                                   cs_rules_recipient(ts_rules, r)->id);
        }
    }
    return buf;
}

static const char *
apply(const char *site, cs_cmp_format_t f, const char *items,
    const cs_consent_map_t *maps, size_t nmaps)
{
    static cs_cmp_consent_t  c;
    uint64_t                 allowed[cs_bitset_words(TS_MAX_RECIPIENTS)];

    memset(allowed, 0, sizeof(allowed));
    consent_of(&c, items);
    cs_consent_apply_cmp(ts_rules, ts_site(site), f, &c, maps, nmaps,
                         allowed);
    return allowed_ids(allowed);
}

static void
test_onetrust_defaults(void **state)
{
    (void) state;
    /* C0002 analytics: google (analytics on shop); tealium is advertising
       on shop (override), so C0004 brings it with meta and x */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST,
                              "C0001=1,C0002=1,C0003=0,C0004=0", NULL, 0),
                        "google");
    assert_string_equal(apply("shop", CS_CMP_ONETRUST,
                              "C0001=1,C0002=0,C0004=1", NULL, 0),
                        "meta,tealium,x");
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0001=1", NULL, 0),
                        "");
    /* C0003 functional: widgetco */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0003=1", NULL, 0),
                        "widgetco");
    /* unknown custom group, nothing */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "SPD_BG=1", NULL, 0),
                        "");
}

static void
test_cookiebot_defaults(void **state)
{
    (void) state;
    assert_string_equal(apply("shop", CS_CMP_COOKIEBOT,
                              "necessary=1,preferences=0,statistics=1,"
                              "marketing=0", NULL, 0),
                        "google");
    assert_string_equal(apply("shop", CS_CMP_COOKIEBOT,
                              "necessary=1,marketing=1", NULL, 0),
                        "meta,tealium,x");
    assert_string_equal(apply("shop", CS_CMP_COOKIEBOT,
                              "necessary=1,preferences=1", NULL, 0),
                        "widgetco");
}

static void
test_cc_cookie_and_klaro_names(void **state)
{
    (void) state;
    assert_string_equal(apply("shop", CS_CMP_CC_COOKIE,
                              "necessary=1,analytics=1,analytics/meta=1",
                              NULL, 0),
                        "google,meta");
    assert_string_equal(apply("shop", CS_CMP_CC_COOKIE, "targeting=1", NULL,
                              0),
                        "meta,tealium,x");
    /* klaro: service names equal to recipient ids; case-insensitive ids */
    assert_string_equal(apply("shop", CS_CMP_KLARO, "Meta=1,x=0,google=1",
                              NULL, 0),
                        "google,meta");
    assert_string_equal(apply("shop", CS_CMP_KLARO, "googleAnalytics=1",
                              NULL, 0),
                        "");
}

static void
test_consent_map_overrides(void **state)
{
    cs_consent_map_t maps[] = {
        { CS_CMP_ONETRUST, "C0004", 5, "meta", 4 },
        { CS_CMP_KLARO, "googleAnalytics", 15, "google", 6 },
        { CS_CMP_KLARO, "googleAnalytics", 15, "functional", 10 },
        { CS_CMP_COOKIEBOT, "statistics", 10, "tealium", 7 },
    };

    (void) state;
    /* the map replaces the default for that name */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0004=1", maps, 4),
                        "meta");
    /* several targets for one name */
    assert_string_equal(apply("shop", CS_CMP_KLARO, "googleAnalytics=1",
                              maps, 4),
                        "google,widgetco");
    /* a map of another format does not apply */
    assert_string_equal(apply("shop", CS_CMP_CC_COOKIE, "statistics=1",
                              maps, 4),
                        "");
    /* refused items never grant, even when mapped */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0004=0", maps, 4),
                        "");
}

static void
test_only_declared(void **state)
{
    (void) state;
    /* blog declares google (functional there) and widgetco only */
    assert_string_equal(apply("blog", CS_CMP_COOKIEBOT,
                              "marketing=1,statistics=1", NULL, 0),
                        "");
    assert_string_equal(apply("blog", CS_CMP_ONETRUST, "C0003=1", NULL, 0),
                        "google,widgetco");
    assert_string_equal(apply("blog", CS_CMP_KLARO, "meta=1", NULL, 0), "");
}

static void
test_all_granted_and_tcf(void **state)
{
    static cs_cmp_consent_t  c;
    uint64_t                 allowed[cs_bitset_words(TS_MAX_RECIPIENTS)];

    (void) state;

    memset(&c, 0, sizeof(c));
    memset(allowed, 0, sizeof(allowed));
    c.all_granted = true;                         /* Cookiebot -1 */
    cs_consent_apply_cmp(ts_rules, ts_site("blog"), CS_CMP_COOKIEBOT, &c,
                         NULL, 0, allowed);
    assert_string_equal(allowed_ids(allowed), "google,widgetco");

    /* TCF: google has vendor id 755 in the test rules */
    memset(&c, 0, sizeof(c));
    memset(allowed, 0, sizeof(allowed));
    c.has_tcf = true;
    c.tcf.version = 2;
    c.tcf.purposes_consent = 1;                   /* purpose 1 */
    c.tcf.max_vendor_id = 800;
    c.tcf.vendor_consent[(755 - 1) / 8] |= (uint8_t) (1u << ((755 - 1) % 8));
    assert_true(cs_tcf_vendor_consent(&c.tcf, 755));
    assert_false(cs_tcf_vendor_consent(&c.tcf, 754));
    assert_int_equal(cs_consent_apply_cmp(ts_rules, ts_site("shop"),
                                          CS_CMP_TCF, &c, NULL, 0, allowed),
                     1);
    assert_string_equal(allowed_ids(allowed), "google");
    /* blog declares google too (as functional): the vendor consent counts */
    memset(allowed, 0, sizeof(allowed));
    assert_int_equal(cs_consent_apply_cmp(ts_rules, ts_site("blog"),
                                          CS_CMP_TCF, &c, NULL, 0, allowed),
                     1);
    assert_string_equal(allowed_ids(allowed), "google");

    /* without purpose 1 the vendor consent does not count */
    memset(allowed, 0, sizeof(allowed));
    c.tcf.purposes_consent = 0;
    cs_consent_apply_cmp(ts_rules, ts_site("shop"), CS_CMP_TCF, &c, NULL, 0,
                         allowed);
    assert_string_equal(allowed_ids(allowed), "");
}

/* The site's consent_map table in the rules (t/rules/site_consent.yaml). */
static void
test_site_table(void **state)
{
    char              dir[64];
    cs_rules_t       *saved = ts_rules;
    cs_rules_t       *site_rules;
    cs_consent_map_t  over[] = { { CS_CMP_ONETRUST, "C0007", 5, "alpha", 5 } };

    (void) state;
    site_rules = ts_compile_and_load("t/rules/site_consent.yaml", dir,
                                     sizeof(dir));
    assert_non_null(site_rules);
    ts_rules = site_rules;

    /* the site's table maps a custom group */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0007=1", NULL, 0),
                        "beta");
    /* several targets, ids and categories */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0004=1", NULL, 0),
                        "alpha,beta,gamma");
    /* the site's table replaces the format's default (statistics would be
       analytics only: alpha) */
    assert_string_equal(apply("blog", CS_CMP_COOKIEBOT, "statistics=1",
                              NULL, 0),
                        "alpha,gamma");
    /* another site's table does not apply: news has none, default applies */
    assert_string_equal(apply("news", CS_CMP_COOKIEBOT, "statistics=1",
                              NULL, 0),
                        "alpha");
    /* consent_map in the server config wins over the site's table */
    assert_string_equal(apply("shop", CS_CMP_ONETRUST, "C0007=1", over, 1),
                        "alpha");

    ts_rules = saved;
    cs_rules_free(site_rules);
    ts_rmtree(dir);
}

/* A recipient's tcf_purposes: its vendor also needs those purposes. */
static void
test_tcf_purposes(void **state)
{
    char                     dir[64], err[512];
    cs_rules_t              *saved = ts_rules, *r;
    static cs_cmp_consent_t  c;
    uint64_t                 allowed[cs_bitset_words(TS_MAX_RECIPIENTS)];

    (void) state;
    r = ts_compile_and_load("t/rules/tcf_purposes.yaml", dir, sizeof(dir));
    assert_non_null(r);
    ts_rules = r;
    assert_int_equal(cs_rules_recipient(r, ts_rid("adco"))->tcf_purposes,
                     (1u << 1) | (1u << 3));

    memset(&c, 0, sizeof(c));
    c.has_tcf = true;
    c.tcf.version = 2;
    c.tcf.max_vendor_id = 100;
    c.tcf.vendor_consent[(91 - 1) / 8] |= (uint8_t) (1u << ((91 - 1) % 8));
    c.tcf.vendor_consent[(16 - 1) / 8] |= (uint8_t) (1u << ((16 - 1) % 8));

    /* purposes 1 and 2: statco (needs only 1) yes, adco (needs 2 and 4) no */
    c.tcf.purposes_consent = (1u << 0) | (1u << 1);
    memset(allowed, 0, sizeof(allowed));
    cs_consent_apply_cmp(r, ts_site("shop"), CS_CMP_TCF, &c, NULL, 0,
                         allowed);
    assert_string_equal(allowed_ids(allowed), "statco");

    /* purposes 1, 2 and 4: both */
    c.tcf.purposes_consent |= 1u << 3;
    memset(allowed, 0, sizeof(allowed));
    cs_consent_apply_cmp(r, ts_site("shop"), CS_CMP_TCF, &c, NULL, 0,
                         allowed);
    assert_string_equal(allowed_ids(allowed), "adco,statco");

    ts_rules = saved;
    cs_rules_free(r);
    ts_rmtree(dir);

    /* a purpose out of range is a rule error naming its place */
    snprintf(dir, sizeof(dir), "/tmp/cs_test.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char db[128];
    snprintf(db, sizeof(db), "%s/x.mdb", dir);
    assert_int_equal(cs_compile("t/rules/bad_tcf_purposes.yaml", db, err,
                                sizeof(err)), CS_COMPILE_INVALID);
    assert_non_null(strstr(err, "bad_tcf_purposes.yaml:8:"));
    assert_non_null(strstr(err, "'25'"));
    ts_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onetrust_defaults),
        cmocka_unit_test(test_cookiebot_defaults),
        cmocka_unit_test(test_cc_cookie_and_klaro_names),
        cmocka_unit_test(test_consent_map_overrides),
        cmocka_unit_test(test_only_declared),
        cmocka_unit_test(test_all_granted_and_tcf),
        cmocka_unit_test(test_site_table),
        cmocka_unit_test(test_tcf_purposes),
    };

    return cmocka_run_group_tests_name("cmp_map", tests, ts_rules_setup,
                                       ts_rules_teardown);
}

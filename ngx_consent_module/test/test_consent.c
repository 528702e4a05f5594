/*
 * Consent cookie list parsing (cs_consent_parse_list) against the test
 * rules: site "shop" declares google, meta, tealium (category overridden to
 * advertising), widgetco, x; site "blog" declares google (category
 * overridden to functional) and widgetco.
 */

#include "test_support.h"

#define RC_POSITIVE  1000      /* any count > 0 */

typedef struct {
    const char  *site;
    const char  *value;
    int          rc;            /* expected return */
    const char  *granted;       /* "id,id" in index order */
} consent_case_t;

static const consent_case_t cases[] = {
    /* single items, case-insensitive, trimmed */
    { "shop", "google", 1, "google" },
    { "shop", "GOOGLE", 1, "google" },
    { "shop", "  Meta ", 1, "meta" },
    { "shop", "x", 1, "x" },

    /* separators: , | %2C %7C (either hex case), mixed */
    { "shop", "google,meta", 2, "google,meta" },
    { "shop", "google|meta", 2, "google,meta" },
    { "shop", "google%2Cmeta", 2, "google,meta" },
    { "shop", "google%2cmeta", 2, "google,meta" },
    { "shop", "google%7Cmeta", 2, "google,meta" },
    { "shop", "google%7cmeta|x,widgetco", 4, "google,meta,widgetco,x" },
    { "shop", " google , meta ", 2, "google,meta" },
    { "shop", "google,,meta,", 2, "google,meta" },       /* empty items */
    { "shop", ",", 0, "" },
    { "shop", "%2C%2Cx%2C", 1, "x" },

    /* surrounding double quotes */
    { "shop", "\"google,meta\"", 2, "google,meta" },
    { "shop", "\"all\"", 1, "google,meta,tealium,widgetco,x" },

    /* categories, with the per-site override */
    { "shop", "analytics", 1, "google" },          /* tealium overridden */
    { "shop", "advertising", 1, "meta,tealium,x" },
    { "shop", "functional", 1, "widgetco" },
    { "shop", "Analytics,x", 2, "google,x" },
    { "blog", "functional", 1, "google,widgetco" },  /* google overridden */

    /* all / none */
    { "shop", "all", 1, "google,meta,tealium,widgetco,x" },
    { "shop", "ALL", 1, "google,meta,tealium,widgetco,x" },
    { "blog", "all", 1, "google,widgetco" },
    { "shop", "google,all", RC_POSITIVE, "google,meta,tealium,widgetco,x" },
    { "shop", "none", 0, "" },
    { "shop", "None", 0, "" },
    { "shop", "none,google", 0, "" },
    { "shop", "google,none", 0, "" },
    { "shop", "all|none", 0, "" },
    { "shop", "google%2Cnone", 0, "" },

    /* unknown items grant nothing; the rest still counts */
    { "shop", "foo", 0, "" },
    { "shop", "foo,google", 1, "google" },
    { "shop", "google meta", 0, "" },                /* one unknown item */
    { "shop", "googl,metaa", 0, "" },
    { "shop", "shop,blog", 0, "" },                  /* site ids are not items */
    { "shop", "google_,-meta", 0, "" },
    { "shop",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaa,meta", 1, "meta" },                      /* overlong item */

    /* undeclared recipients are never granted */
    { "blog", "meta", 0, "" },
    { "blog", "meta,x,tealium", 0, "" },
    { "blog", "google,meta", 1, "google" },

    /* malformed: any byte outside [A-Za-z0-9_ -] and separators */
    { "shop", "google;meta", -1, "" },
    { "shop", "google.meta", -1, "" },
    { "shop", "google,meta=1", -1, "" },
    { "shop", "google\t", -1, "" },
    { "shop", "goo%67le", -1, "" },                  /* other %-escapes */
    { "shop", "google%2", -1, "" },
    { "shop", "google%", -1, "" },
    { "shop", "google%2Xmeta", -1, "" },
    { "shop", "google+meta", -1, "" },
    { "shop", "\"google", -1, "" },                  /* unbalanced quote */
    { "shop", "google\"", -1, "" },
    { "shop", "\"goo\"gle\"", -1, "" },
    { "shop", "'google'", -1, "" },
    { "shop", "all,none;", -1, "" },
    { "shop", "google,\xc3\xa9", -1, "" },
    { "shop", "google\r\n", -1, "" },
    { "shop", "\"", -1, "" },
};

/*
 * The return value counts the items that granted something: a known
 * category under which the site declares nothing grants nothing.
 */
static const consent_case_t empty_category_cases[] = {
    { "blog", "advertising", 0, "" },
    { "blog", "analytics", 0, "" },                  /* google overridden */
    { "blog", "advertising,google", 1, "google" },
};

static void
run_cases(const consent_case_t *table, size_t n)
{
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        const consent_case_t *c = &table[i];
        uint64_t  allowed[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
        uint64_t  want[(TS_MAX_RECIPIENTS + 63) / 64];
        char      got_s[256], want_s[256];

        int rc = cs_consent_parse_list(ts_rules, ts_site(c->site), c->value,
                                       strlen(c->value), allowed);
        ts_allow(want, c->granted);
        ts_set_names(allowed, got_s, sizeof(got_s));
        ts_set_names(want, want_s, sizeof(want_s));
        bool rc_ok = c->rc == RC_POSITIVE ? rc > 0 : rc == c->rc;
        if (!rc_ok || strcmp(got_s, want_s) != 0) {
            bad++;
            print_error("site %s, \"%s\": expected %d {%s}, got %d {%s}\n",
                        c->site, c->value, c->rc, want_s, rc, got_s);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_cases(void **state)
{
    (void) state;
    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_empty_category_counts_nothing(void **state)
{
    (void) state;
    run_cases(empty_category_cases,
              sizeof(empty_category_cases) / sizeof(empty_category_cases[0]));
}

static void
test_ors_into_allowed(void **state)
{
    uint64_t  allowed[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    uint32_t  shop = ts_site("shop");

    (void) state;
    cs_bitset_set(allowed, ts_rid("x"));
    assert_int_equal(cs_consent_parse_list(ts_rules, shop, "meta", 4, allowed),
                     1);
    assert_true(cs_bitset_test(allowed, ts_rid("x")));
    assert_true(cs_bitset_test(allowed, ts_rid("meta")));
    assert_false(cs_bitset_test(allowed, ts_rid("google")));
}

static void
test_length_limits(void **state)
{
    uint64_t  allowed[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    uint32_t  shop = ts_site("shop");
    char     *v;
    size_t    n;

    (void) state;
    /* empty value: nothing granted */
    assert_true(cs_consent_parse_list(ts_rules, shop, "", 0, allowed) <= 0);
    assert_true(cs_consent_parse_list(ts_rules, shop, "\"\"", 2, allowed) <= 0);
    assert_int_equal(allowed[0], 0);

    /* len bounds the read: "google,meta" cut after "google" */
    assert_int_equal(cs_consent_parse_list(ts_rules, shop, "google,meta", 6,
                                           allowed), 1);
    assert_false(cs_bitset_test(allowed, ts_rid("meta")));
    memset(allowed, 0, sizeof(allowed));
    /* a "%2C" cut by len is not a separator (and '%' is malformed) */
    assert_int_equal(cs_consent_parse_list(ts_rules, shop, "x%2Cmeta", 3,
                                           allowed), -1);
    assert_int_equal(allowed[0], 0);

    /* the longest accepted value, then one byte more */
    n = CS_CONSENT_VALUE_MAX;
    v = malloc(n + 2);
    assert_non_null(v);
    memset(v, ',', n + 1);
    memcpy(v, "meta", 4);
    v[n + 1] = '\0';
    assert_int_equal(cs_consent_parse_list(ts_rules, shop, v, n, allowed), 1);
    assert_true(cs_bitset_test(allowed, ts_rid("meta")));
    memset(allowed, 0, sizeof(allowed));
    assert_int_equal(cs_consent_parse_list(ts_rules, shop, v, n + 1, allowed),
                     -1);
    assert_int_equal(allowed[0], 0);
    free(v);
}

/*
 * GPC (default categories advertising, social) withdraws what the site
 * declares under them: shop's meta and x (advertising) and tealium
 * (overridden to advertising); blog declares nothing under them.
 */
static void
test_apply_gpc(void **state)
{
    uint64_t  allowed[(TS_MAX_RECIPIENTS + 63) / 64];
    char      got[256];
    uint32_t  shop = ts_site("shop"), blog = ts_site("blog");

    (void) state;
    ts_allow(allowed, "google,meta,tealium,widgetco,x");
    assert_true(cs_consent_apply_gpc(ts_rules, shop, allowed));
    ts_set_names(allowed, got, sizeof(got));
    assert_string_equal(got, "google,widgetco");
    /* nothing left to withdraw */
    assert_false(cs_consent_apply_gpc(ts_rules, shop, allowed));

    ts_allow(allowed, "google,x");
    assert_true(cs_consent_apply_gpc(ts_rules, shop, allowed));
    ts_set_names(allowed, got, sizeof(got));
    assert_string_equal(got, "google");

    /* blog: google is functional there, widgetco functional */
    ts_allow(allowed, "google,widgetco");
    assert_false(cs_consent_apply_gpc(ts_rules, blog, allowed));
    ts_set_names(allowed, got, sizeof(got));
    assert_string_equal(got, "google,widgetco");

    /* an unknown site withdraws nothing (and grants nothing anyway) */
    assert_false(cs_consent_apply_gpc(ts_rules, cs_rules_site_count(ts_rules),
                                      allowed));
}

/* The declared set the glue and consentctl filter use. */
static void
test_declared(void **state)
{
    uint64_t  set[(TS_MAX_RECIPIENTS + 63) / 64];
    char      got[256];

    (void) state;
    ts_allow(set, "meta");
    cs_consent_declared(ts_rules, ts_site("blog"), set);
    ts_set_names(set, got, sizeof(got));
    assert_string_equal(got, "google,meta,widgetco");     /* ORed in */
    ts_allow(set, "");
    cs_consent_declared(ts_rules, cs_rules_site_count(ts_rules), set);
    assert_int_equal(set[0], 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_empty_category_counts_nothing),
        cmocka_unit_test(test_ors_into_allowed),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_apply_gpc),
        cmocka_unit_test(test_declared),
    };

    return cmocka_run_group_tests_name("consent", tests, ts_rules_setup,
                                       ts_rules_teardown);
}

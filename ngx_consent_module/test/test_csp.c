/*
 * cs_csp: the policy of a decision (sources, fail-closed bound), source
 * validation, violation report parsing in both formats, attribution of
 * blocked URLs, and the decision script for tag managers.
 */

#include "test_support.h"

#include "cs_core.h"
#include "cs_csp.h"

#define POLICY_CAP  4096

static const cs_csp_str_t  fp[] = { { "ana-example.jp", 14 } };
static const cs_csp_str_t  extra[] = { { "data:", 5 },
                                       { "'unsafe-eval'", 13 } };

static cs_csp_conf_t
conf_of(size_t max_size, const char *report_uri)
{
    cs_csp_conf_t  c;

    memset(&c, 0, sizeof(c));
    c.first_party = fp;
    c.nfirst_party = 1;
    c.allow = extra;
    c.nallow = 2;
    c.max_size = max_size;
    if (report_uri) {
        c.report_uri = report_uri;
        c.report_uri_len = strlen(report_uri);
        c.report_group = "consent-csp";
    }
    return c;
}

/* The policy of conf c for the recipients ids ("a,b"); its length. */
static size_t
build(const cs_csp_conf_t *c, const char *ids, char *out, size_t cap,
    bool *dropped)
{
    uint64_t  allowed[cs_bitset_words(TS_MAX_RECIPIENTS)];

    ts_allow(allowed, ids);
    return cs_csp_build(c, ts_rules, allowed, out, cap, dropped);
}

/* The policy as a set of space-separated sources after "default-src". */
static bool
has_source(const char *policy, const char *src)
{
    size_t       n = strlen(src);
    const char  *p = policy;

    while ((p = strstr(p, src)) != NULL) {
        bool start = p == policy || p[-1] == ' ';
        bool end = p[n] == ' ' || p[n] == ';' || p[n] == '\0';

        if (start && end) {
            return true;
        }
        p += n;
    }
    return false;
}

static void
test_policy_sources(void **state)
{
    (void) state;
    char           out[POLICY_CAP];
    bool           dropped;
    cs_csp_conf_t  c = conf_of(4096, NULL);
    size_t         n = build(&c, "meta,tealium", out, sizeof(out), &dropped);

    assert_int_equal(n, strlen(out));
    assert_false(dropped);
    /* one default-src list: every fetch directive falls back to it */
    assert_non_null(strstr(out, "default-src 'self' 'unsafe-inline' "));
    assert_null(strchr(out, ';'));
    static const char *in[] = {
        "https://*.ana-example.jp", "https://ana-example.jp", "data:",
        "'unsafe-eval'", "https://*.facebook.net", "https://facebook.com",
        "https://*.tiqcdn.com",
    };
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        assert_true(has_source(out, in[i]));
    }
    /* exactly the allowed recipients */
    assert_false(has_source(out, "https://*.googletagmanager.com"));
    assert_false(has_source(out, "https://*.widgetco.io"));
    assert_null(strstr(out, "ads-twitter"));
    assert_int_equal(cs_rules_recipient_hosts(ts_rules, ts_rid("meta"), NULL,
                                              NULL), 2);

    /* none allowed: the base policy, and its size is what base_size says */
    n = cs_csp_build(&c, ts_rules, NULL, out, sizeof(out), &dropped);
    assert_int_equal(n, cs_csp_base_size(&c));
    assert_null(strstr(out, "facebook"));
}

static void
test_policy_report(void **state)
{
    (void) state;
    char           out[POLICY_CAP];
    bool           dropped;
    cs_csp_conf_t  c = conf_of(4096, "/csp-report");

    (void) build(&c, "google", out, sizeof(out), &dropped);
    assert_non_null(strstr(out, "; report-uri /csp-report; report-to "
                                "consent-csp"));
    assert_true(has_source(out, "https://maps.googleapis.com"));

    c.report_group = NULL;
    (void) build(&c, "google", out, sizeof(out), &dropped);
    assert_non_null(strstr(out, "; report-uri /csp-report"));
    assert_null(strstr(out, "report-to"));
}

/* Past max_size every recipient source goes, never a part of them. */
static void
test_policy_fail_closed(void **state)
{
    (void) state;
    char           out[POLICY_CAP];
    bool           dropped;
    const char    *all = "google,meta,tealium,widgetco,x";
    cs_csp_conf_t  c = conf_of(4096, "/r");
    size_t         full = build(&c, all, out, sizeof(out), &dropped);

    assert_false(dropped);

    c.max_size = full;
    assert_int_equal(build(&c, all, out, sizeof(out), &dropped), full);
    assert_false(dropped);

    c.max_size = full - 1;
    size_t n = build(&c, all, out, sizeof(out), &dropped);
    assert_true(dropped);
    assert_int_equal(n, cs_csp_base_size(&c));
    assert_null(strstr(out, "facebook"));
    assert_non_null(strstr(out, "report-uri /r"));

    /* not even the base fits: nothing, the caller's config check */
    c.max_size = cs_csp_base_size(&c) - 1;
    assert_int_equal(build(&c, all, out, sizeof(out), &dropped), 0);

    /* a small output buffer bounds the policy like max_size does */
    c.max_size = 4096;
    n = build(&c, all, out, cs_csp_base_size(&c) + 1, &dropped);
    assert_true(dropped);
    assert_int_equal(n, cs_csp_base_size(&c));
}

static void
test_source_valid(void **state)
{
    (void) state;
    static const char *good[] = {
        "data:", "blob:", "'unsafe-eval'", "'wasm-unsafe-eval'",
        "https://cdn.example.com", "*.example.com", "https://x.jp:8443/p/",
    };
    static const char *bad[] = {
        "", "a b", "a;b", "a,b", "\"x\"", "'unsafe-eval", "x'y'",
        "'", "''", "unsafe-eval", "self", "tab\there", "caf\xc3\xa9.jp", "back\\slash",
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(cs_csp_source_valid(good[i], strlen(good[i])));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(cs_csp_source_valid(bad[i], strlen(bad[i])));
    }
}

/* ---- reports ---- */

typedef struct {
    int       n;
    char      blocked[8][128];
    unsigned  directive[8];
    unsigned  mode[8];
} seen_t;

static void
collect(void *ud, const cs_csp_violation_t *v)
{
    seen_t *s = ud;

    if (s->n < 8) {
        size_t n = v->blocked_len < 127 ? v->blocked_len : 127;

        memcpy(s->blocked[s->n], v->blocked, n);
        s->blocked[s->n][n] = '\0';
        s->directive[s->n] = v->directive;
        s->mode[s->n] = v->mode;
    }
    s->n++;
}

static int
parse(const char *body, int format, unsigned max, seen_t *s)
{
    memset(s, 0, sizeof(*s));
    return cs_csp_report_parse(body, strlen(body), format, max, collect, s);
}

static void
test_report_legacy(void **state)
{
    (void) state;
    seen_t  s;
    static const struct {
        const char  *body;
        const char  *blocked;
        const char  *directive;
        unsigned     mode;
    } cases[] = {
        { "{\"csp-report\":{\"document-uri\":\"https://www.example.jp/?q=1\","
          "\"blocked-uri\":\"https://connect.facebook.net/en_US/fbevents.js\","
          "\"effective-directive\":\"script-src-elem\","
          "\"violated-directive\":\"script-src-elem\","
          "\"disposition\":\"report\"}}",
          "https://connect.facebook.net/en_US/fbevents.js", "script-src-elem",
          CS_CSP_MODE_REPORT },
        /* CSP2: only violated-directive, with its sources; no disposition */
        { "{\"csp-report\":{\"blocked-uri\":\"https://a.criteo.com/x.gif\","
          "\"violated-directive\":\"img-src 'self'\"}}",
          "https://a.criteo.com/x.gif", "img-src", CS_CSP_MODE_UNKNOWN },
        /* an unknown directive is "other", never a label of its own */
        { "{\"csp-report\":{\"blocked-uri\":\"inline\","
          "\"effective-directive\":\"x-made-up\",\"disposition\":\"enforce\"}}",
          "inline", "other", CS_CSP_MODE_ENFORCE },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].body, CS_CSP_REPORT_LEGACY, 100, &s),
                         1);
        assert_string_equal(s.blocked[0], cases[i].blocked);
        assert_string_equal(cs_csp_directive_name(s.directive[0]),
                            cases[i].directive);
        assert_int_equal(s.mode[0], cases[i].mode);
    }

    /* JSON, but not a violation: 0; not the format's shape: -1 */
    assert_int_equal(parse("{\"csp-report\":{}}", CS_CSP_REPORT_LEGACY, 100,
                           &s), 0);
    assert_int_equal(parse("{}", CS_CSP_REPORT_LEGACY, 100, &s), 0);
    assert_int_equal(parse("[]", CS_CSP_REPORT_LEGACY, 100, &s), -1);
    assert_int_equal(parse("{\"csp-report\":", CS_CSP_REPORT_LEGACY, 100,
                           &s), -1);
    assert_int_equal(parse("", CS_CSP_REPORT_LEGACY, 100, &s), -1);
    assert_int_equal(parse("{\"a\":1,\"a\":2}", CS_CSP_REPORT_LEGACY, 100,
                           &s), -1);
    assert_int_equal(s.n, 0);
}

static void
test_report_api(void **state)
{
    (void) state;
    seen_t  s;
    const char *batch =
        "[{\"type\":\"csp-violation\",\"age\":1,\"url\":\"https://w.jp/p\","
        "\"body\":{\"blockedURL\":\"https://ct.pinterest.com/v3/\","
        "\"effectiveDirective\":\"connect-src\",\"disposition\":\"enforce\","
        "\"documentURL\":\"https://w.jp/p?x=1\"}},"
        "{\"type\":\"deprecation\",\"body\":{\"id\":\"x\"}},"
        "7,"
        "{\"type\":\"csp-violation\",\"body\":{\"blockedURL\":\"eval\","
        "\"effectiveDirective\":\"script-src\",\"disposition\":\"report\"}},"
        "{\"type\":\"csp-violation\",\"body\":{\"effectiveDirective\":"
        "\"img-src\"}}]";

    assert_int_equal(parse(batch, CS_CSP_REPORT_API, 100, &s), 2);
    assert_string_equal(s.blocked[0], "https://ct.pinterest.com/v3/");
    assert_string_equal(cs_csp_directive_name(s.directive[0]),
                        "connect-src");
    assert_int_equal(s.mode[0], CS_CSP_MODE_ENFORCE);
    assert_string_equal(s.blocked[1], "eval");
    assert_int_equal(s.mode[1], CS_CSP_MODE_REPORT);

    /* the bound on violations per body */
    assert_int_equal(parse(batch, CS_CSP_REPORT_API, 1, &s), 1);
    assert_int_equal(s.n, 1);

    assert_int_equal(parse("{\"type\":\"csp-violation\"}", CS_CSP_REPORT_API,
                           100, &s), -1);
    assert_int_equal(parse("[", CS_CSP_REPORT_API, 100, &s), -1);
    assert_int_equal(parse("[]", CS_CSP_REPORT_API, 100, &s), 0);
}

/* Deep nesting and binary garbage are refused without harm. */
static void
test_report_garbage(void **state)
{
    (void) state;
    seen_t  s;
    char    deep[20001];

    for (size_t i = 0; i < 10000; i++) {
        deep[i] = '[';
        deep[10000 + i] = ']';
    }
    deep[20000] = '\0';
    assert_int_equal(parse(deep, CS_CSP_REPORT_API, 100, &s), -1);

    const char garbage[] = "\x00\xff{\"csp-report\"\x01";

    assert_int_equal(cs_csp_report_parse(garbage, sizeof(garbage) - 1,
                                         CS_CSP_REPORT_LEGACY, 100, collect,
                                         &s), -1);
}

static void
test_attribute(void **state)
{
    (void) state;
    char  host[256];

    assert_int_equal(cs_csp_attribute(ts_rules,
        "https://connect.facebook.net/en_US/fbevents.js", 46, host,
        sizeof(host)), (int32_t) ts_rid("meta"));
    assert_string_equal(host, "connect.facebook.net");

    /* the longest suffix wins, as in the gate */
    const char *w = "https://widgets.facebook.com/x?id=1";

    assert_int_equal(cs_csp_attribute(ts_rules, w, strlen(w), host,
                                      sizeof(host)),
                     (int32_t) ts_rid("widgetco"));

    const char *drift = "https://beacon.unknown-vendor.example:8443/b";

    assert_int_equal(cs_csp_attribute(ts_rules, drift, strlen(drift), host,
                                      sizeof(host)), CS_CSP_UNATTRIBUTED);
    assert_string_equal(host, "beacon.unknown-vendor.example");

    static const char *none[] = { "inline", "eval", "data", "blob",
                                  "/relative/x.js", "" };

    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(cs_csp_attribute(ts_rules, none[i], strlen(none[i]),
                                          host, sizeof(host)),
                         CS_CSP_NO_HOST);
    }
}

static void
test_directive_names(void **state)
{
    (void) state;

    for (unsigned i = 0; i < cs_csp_directive_count(); i++) {
        const char *name = cs_csp_directive_name(i);

        assert_int_equal(cs_csp_directive_index(name, strlen(name)), i);
    }
    assert_string_equal(cs_csp_directive_name(999), "other");
    assert_string_equal(cs_csp_mode_name(7), "unknown");
}

/* ---- the decision script ---- */

static void
test_decision_script(void **state)
{
    (void) state;
    char      out[2048];
    uint64_t  allowed[cs_bitset_words(TS_MAX_RECIPIENTS)];

    ts_allow(allowed, "google,tealium");
    size_t n = cs_csp_decision_script(ts_rules, (int32_t) ts_site("shop"),
                                      allowed, "onetrust", "0123abcd", 8,
                                      out, sizeof(out));

    assert_int_equal(n, strlen(out));
    assert_string_equal(out,
        "<script>window.consentDecision=Object.freeze("
        "{\"allowed\":[\"google\",\"tealium\"],"
        "\"categories\":[\"analytics\",\"advertising\"],"
        "\"source\":\"onetrust\",\"generation\":\"0123abcd\"});"
        "(window.dataLayer=window.dataLayer||[]).push("
        "{\"event\":\"consent_decision\",\"consent_allowed\":\",google,"
        "tealium,\",\"consent_categories\":\",analytics,advertising,\","
        "\"consent_source\":\"onetrust\",\"consent_generation\":"
        "\"0123abcd\"});</script>");

    /* nothing can end the element or the string */
    n = cs_csp_decision_script(ts_rules, -1, allowed, "none",
                               "</script><x \"'", 14, out, sizeof(out));
    assert_int_equal(n, strlen(out));
    assert_null(strstr(out, "</script><"));
    assert_non_null(strstr(out, "\\u003c\\u002fscript\\u003e\\u003cx\\u0020"
                                "\\u0022\\u0027"));
    assert_non_null(strstr(out, "\"allowed\":[]"));
    assert_non_null(strstr(out, "\"consent_allowed\":\",\""));

    /* too small a buffer: the length it needs, nothing past cap */
    char small[16];

    memset(small, 'Z', sizeof(small));
    size_t need = cs_csp_decision_script(ts_rules, (int32_t) ts_site("shop"),
                                         allowed, "onetrust", "g", 1, small,
                                         10);
    assert_true(need > 10);
    assert_int_equal(small[10], 'Z');
    assert_int_equal(cs_csp_decision_script(ts_rules,
                                            (int32_t) ts_site("shop"),
                                            allowed, "onetrust", "g", 1, out,
                                            sizeof(out)), need);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_sources),
        cmocka_unit_test(test_policy_report),
        cmocka_unit_test(test_policy_fail_closed),
        cmocka_unit_test(test_source_valid),
        cmocka_unit_test(test_report_legacy),
        cmocka_unit_test(test_report_api),
        cmocka_unit_test(test_report_garbage),
        cmocka_unit_test(test_attribute),
        cmocka_unit_test(test_directive_names),
        cmocka_unit_test(test_decision_script),
    };

    return cmocka_run_group_tests_name("csp", tests, ts_rules_setup,
                                       ts_rules_teardown);
}

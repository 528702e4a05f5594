/*
 * URL tests: HTML character reference decoding of attribute values,
 * cs_url_host() against what a browser's URL parser (WHATWG URL Standard)
 * would contact, cs_scan_text_hosts() over inline script text, and host
 * suffix matching through cs_rules_match_host().
 */

#include "test_support.h"

/* ---- cs_decode_entities ---- */

typedef struct {
    const char  *in;
    const char  *out;
} str_case_t;

static void
test_decode_entities(void **state)
{
    /*
     * HTML "character reference state" in an attribute value: numeric
     * references decode with or without ';' (a parse error, but decoded);
     * named ones need ';' except the legacy few (amp, lt, gt, quot), and
     * even those stay literal before '=' or an alphanumeric ("&ampx",
     * "&amp=") for historical reasons.
     */
    static const str_case_t cases[] = {
        { "https://a.example/?a=1&amp;b=2", "https://a.example/?a=1&b=2" },
        { "&amp;&lt;&gt;&quot;&apos;", "&<>\"'" },
        { "&amp", "&" },                          /* legacy, at the end */
        { "&amp/x", "&/x" },                      /* legacy before '/' */
        { "&ampx", "&ampx" },                     /* legacy before alnum */
        { "&amp=1", "&amp=1" },                   /* legacy before '=' */
        { "https&colon;&sol;&sol;h.example", "https://h.example" },
        { "&colon", "&colon" },                   /* not legacy: needs ';' */
        { "&COLON;", "&COLON;" },                 /* names are case-sensitive */
        { "h&period;example", "h.example" },
        { "&bsol;&bsol;h.example", "\\\\h.example" },
        { "a&commat;b", "a@b" },
        { "&Tab;&NewLine;", "\t\n" },
        { "&#x2F;&#X2f;&#47;&#047;&#0000047;", "/////" },
        { "&#47&#x2F", "//" },                    /* no ';' */
        { "&#104;ttps", "https" },
        { "&#x68;&#x74;&#x74;&#x70;&#x3A;", "http:" },
        { "&#;&#x;&#xg;", "&#;&#x;&#xg;" },       /* no digits: literal */
        { "&#0;", "\x7f" },                       /* not a host byte */
        { "&#x10FFFF;&#99999999999;", "\x7f\x7f" },
        { "&#xE9;", "\x7f" },                     /* non-ASCII */
        { "a&b c& &;", "a&b c& &;" },
        { "&", "&" },
        { "&#", "&#" },
        { "&#x", "&#x" },
        { "", "" },
    };
    char buf[256];

    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cs_decode_entities(cases[i].in, strlen(cases[i].in), buf,
                                      sizeof(buf));
        buf[n] = '\0';
        if (n != strlen(cases[i].out) || memcmp(buf, cases[i].out, n) != 0) {
            bad++;
            print_error("decode \"%s\": expected \"%s\", got \"%s\"\n",
                     cases[i].in, cases[i].out, buf);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_decode_entities_bounded(void **state)
{
    char buf[8];

    (void) state;
    memset(buf, 'Z', sizeof(buf));
    /* dstlen smaller than the input: never writes past dstlen */
    size_t n = cs_decode_entities("abcdefghij", 10, buf, 4);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "abcdZZZZ", 8);
    memset(buf, 'Z', sizeof(buf));
    n = cs_decode_entities("&amp;&amp;&amp;", 15, buf, 2);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "&&ZZZZZZ", 8);
    /* a reference cut by srclen is not read past srclen */
    n = cs_decode_entities("&#x2F;", 4, buf, sizeof(buf));
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 0x02);       /* "&#x2" -> U+0002 */
}

/* ---- cs_url_host ---- */

static void
test_url_host(void **state)
{
    /* "" = no host the gate should judge (relative, other scheme, invalid) */
    static const str_case_t cases[] = {
        { "https://connect.facebook.net/en_US/fbevents.js",
          "connect.facebook.net" },
        { "http://a.example", "a.example" },
        { "HTTPS://WWW.EXAMPLE.COM/PATH", "www.example.com" },  /* hosts lowercase */
        { "wss://ws.example/socket", "ws.example" },
        { "ftp://ftp.example/f", "ftp.example" },
        /* scheme-relative: resolved against the (http/https) page */
        { "//cdn.example/x.js", "cdn.example" },
        /* special schemes treat '\' as '/' */
        { "\\\\cdn.example\\x.js", "cdn.example" },
        { "/\\cdn.example/x", "cdn.example" },
        { "https:\\\\cdn.example\\x", "cdn.example" },
        /* "special authority ignore slashes": any number of / and \ */
        { "https:/cdn.example/x", "cdn.example" },
        { "https:///cdn.example/x", "cdn.example" },
        { "https:/\\/\\cdn.example", "cdn.example" },
        /* no slashes: a host on an http page (documented fail-closed) */
        { "https:cdn.example/x", "cdn.example" },
        /* userinfo ends at the last '@' */
        { "https://user:pw@cdn.example/x", "cdn.example" },
        { "https://a@b@cdn.example/x", "cdn.example" },
        { "https://cdn.example@other.example/x", "other.example" },
        { "https://cdn.example/@other.example", "cdn.example" },
        { "https://cdn.example?@other.example", "cdn.example" },
        { "https://cdn.example#@other.example", "cdn.example" },
        /* ports, trailing dot */
        { "https://cdn.example:8443/x", "cdn.example" },
        { "https://cdn.example:/x", "cdn.example" },
        { "https://cdn.example./x", "cdn.example" },
        { "https://cdn.example.:443/x", "cdn.example" },
        /* the host ends at / \ ? # */
        { "https://cdn.example?q=1", "cdn.example" },
        { "https://cdn.example#f", "cdn.example" },
        { "https://cdn.example\\x", "cdn.example" },
        /* percent-decoded hosts (the URL parser decodes before IDNA) */
        { "https://cdn%2Eexample/x", "cdn.example" },
        { "https://%63%44n.example/x", "cdn.example" },
        { "https://cdn.example%2Eevil.test/", "cdn.example.evil.test" },
        /* leading/trailing C0 and space trimmed; tab/LF/CR removed anywhere */
        { "  https://cdn.example/ ", "cdn.example" },
        { "\x01\x1fhttps://cdn.example", "cdn.example" },
        { "ht\ttps://cd\nn.exa\rmple/x", "cdn.example" },
        { "/\t/cdn.example/x", "cdn.example" },
        /* punycode stays as is */
        { "https://xn--bcher-kva.example/", "xn--bcher-kva.example" },
        { "https://under_score.example/", "under_score.example" },
        /* not judged: relative, other schemes, no or odd hosts */
        { "/js/app.js", "" },
        { "js/cdn.example/app.js", "" },
        { "cdn.example/x.js", "" },
        { "?u=https://cdn.example", "" },
        { "#https://cdn.example", "" },
        { "", "" },
        { "   ", "" },
        { "/", "" },
        { "javascript:fetch('https://cdn.example')", "" },
        { "data:text/html,<script src=//cdn.example>", "" },
        { "mailto:a@cdn.example", "" },
        { "blob:https://cdn.example/uuid", "" },
        { "about:blank", "" },
        { "file://cdn.example/x", "" },
        { "https://", "" },
        { "https:///", "" },
        { "https://:443/", "" },
        { "https://user@/x", "" },
        { "https://[::1]/x", "" },
        { "https://b\xc3\xbc" "cher.example/", "" },   /* IDN not punycoded */
        { "https://cdn example/", "" },
        { "https://cdn<example/", "" },
    };
    char host[256];

    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(host, 'Z', sizeof(host));
        size_t n = cs_url_host(cases[i].in, strlen(cases[i].in), host,
                               sizeof(host));
        /* the host is NUL-terminated when found; on 0 it is unspecified */
        if (n != strlen(cases[i].out)
            || (n && strcmp(host, cases[i].out) != 0))
        {
            bad++;
            print_error("cs_url_host(\"%s\"): expected \"%s\", got \"%.*s\" (%zu)\n",
                     cases[i].in, cases[i].out, (int) n, host, n);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_url_host_idna_mapping(void **state)
{
    static const str_case_t cases[] = {
        /*
         * UTS #46 mapping (URL Standard "domain to ASCII") turns
         * some non-ASCII into plain ASCII hosts: U+3002 IDEOGRAPHIC FULL
         * STOP and U+FF0E FULLWIDTH FULL STOP map to '.', fullwidth letters
         * to ASCII letters, U+00AD SOFT HYPHEN is ignored. A browser then
         * contacts the ASCII host.
         */
        { "https://cdn\xe3\x80\x82" "example/x", "cdn.example" },
        { "https://cdn\xef\xbc\x8e" "example/x", "cdn.example" },
        { "https://\xef\xbd\x83" "dn.example/x", "cdn.example" },
        { "https://cd\xc2\xad" "n.example/x", "cdn.example" },
        { "https://cdn%E3%80%82" "example/x", "cdn.example" },
    };
    char host[256];
    int  bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cs_url_host(cases[i].in, strlen(cases[i].in), host,
                               sizeof(host));
        if (n != strlen(cases[i].out)
            || (n && strcmp(host, cases[i].out) != 0))
        {
            bad++;
            print_error("cs_url_host(\"%s\"): expected \"%s\", got "
                        "\"%.*s\"\n", cases[i].in, cases[i].out, (int) n,
                        host);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_url_host_limits(void **state)
{
    char    host[256], small[8], url[600];
    size_t  n;

    (void) state;
    /* hostlen 0: nothing written */
    assert_int_equal(cs_url_host("https://a.example", 17, host, 0), 0);
    /* a host that does not fit: 0, no write past hostlen */
    memset(small, 'Z', sizeof(small));
    n = cs_url_host("https://cdn.example/", 20, small, sizeof(small) - 1);
    assert_int_equal(n, 0);
    assert_int_equal(small[sizeof(small) - 1], 'Z');
    n = cs_url_host("https://cdn.ex/", 15, small, sizeof(small));
    assert_int_equal(n, 6);
    assert_string_equal(small, "cdn.ex");
    /* 253 bytes is the longest DNS name */
    strcpy(url, "https://");
    memset(url + 8, 'a', 249);
    memcpy(url + 8 + 249, ".com", 5);
    n = cs_url_host(url, strlen(url), host, sizeof(host));
    assert_int_equal(n, 253);
    strcpy(url, "https://");
    memset(url + 8, 'a', 250);
    memcpy(url + 8 + 250, ".com", 5);
    n = cs_url_host(url, strlen(url), host, sizeof(host));
    assert_int_equal(n, 0);
    /* len bounds the read: the host ends at len */
    n = cs_url_host("https://cdn.example.evil", 19, host, sizeof(host));
    assert_int_equal(n, 11);
    assert_string_equal(host, "cdn.example");
}

/* entity decoding then host extraction, as the gate does for attributes */
static void
test_decoded_url_host(void **state)
{
    static const str_case_t cases[] = {
        { "https&colon;&sol;&sol;connect.facebook.net/x", "connect.facebook.net" },
        { "https:&#x2F;&#x2F;connect.facebook.net/x", "connect.facebook.net" },
        { "&#47;&#47;connect.facebook.net/x", "connect.facebook.net" },
        { "&#104;ttps://connect&period;facebook&period;net", "connect.facebook.net" },
        { "ht&Tab;tps://connect.face&NewLine;book.net", "connect.facebook.net" },
        { "&bsol;&bsol;connect.facebook.net", "connect.facebook.net" },
        { "https://x&commat;connect.facebook.net", "connect.facebook.net" },
        { "https://connect.facebook.net&#58;443/x", "connect.facebook.net" },
        { "https://connect.facebook.net&quest;@evil.test", "connect.facebook.net" },
        { "javascript&colon;alert(1)", "" },
    };
    char dec[512], host[256];

    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cs_decode_entities(cases[i].in, strlen(cases[i].in), dec,
                                      sizeof(dec));
        size_t h = cs_url_host(dec, n, host, sizeof(host));
        if (h != strlen(cases[i].out) || memcmp(host, cases[i].out, h) != 0) {
            bad++;
            print_error("host of \"%s\": expected \"%s\", got \"%.*s\"\n",
                     cases[i].in, cases[i].out, (int) h, host);
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- suffix matching ---- */

static void
test_match_host(void **state)
{
    static const struct {
        const char  *host;
        const char  *recipient;     /* NULL: no match */
    } cases[] = {
        { "facebook.net", "meta" },
        { "connect.facebook.net", "meta" },
        { "a.b.c.connect.facebook.net", "meta" },
        { "evilfacebook.net", NULL },              /* label boundary */
        { "evil-facebook.net", NULL },
        { "facebook.net.evil.test", NULL },
        { "facebook.ne", NULL },
        { "acebook.net", NULL },
        { "net", NULL },
        { "facebook.net.", "meta" },               /* absolute name */
        { "www.facebook.com", "meta" },
        { "widgets.facebook.com", "widgetco" },    /* longest suffix wins */
        { "a.widgets.facebook.com", "widgetco" },
        { "xwidgets.facebook.com", "meta" },
        { "t.co", "x" },
        { "www.t.co", "x" },
        { "at.co", NULL },
        { "co", NULL },
        { "maps.googleapis.com", "google" },       /* single-host suffix */
        { "x.maps.googleapis.com", "google" },
        { "fonts.googleapis.com", NULL },
        { "googleapis.com", NULL },
        { "stats.g.doubleclick.net", "google" },
        { "tags.tiqcdn.com", "tealium" },
        { ".facebook.net", "meta" },               /* empty first label */
        { "", NULL },
        { ".", NULL },
    };

    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t r = cs_rules_match_host(ts_rules, cases[i].host,
                                        strlen(cases[i].host));
        int32_t want = cases[i].recipient ? (int32_t) ts_rid(cases[i].recipient)
                                          : -1;
        if (r != want) {
            bad++;
            print_error("match_host(\"%s\"): expected %s, got %d\n", cases[i].host,
                     cases[i].recipient ? cases[i].recipient : "none", r);
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- cs_scan_text_hosts ---- */

typedef struct {
    uint64_t  set[(TS_MAX_RECIPIENTS + 63) / 64];
    int       calls;
} collect_t;

static void
collect(void *ud, uint32_t recipient)
{
    collect_t *c = ud;
    c->calls++;
    cs_bitset_set(c->set, recipient);
}

static void
test_scan_text_hosts(void **state)
{
    static const struct {
        const char  *text;
        const char  *recipients;      /* "id,id" in index order, "" none */
    } cases[] = {
        { "s.src='https://connect.facebook.net/en_US/fbevents.js'", "meta" },
        { "var u=\"https:\\/\\/www.googletagmanager.com\\/gtm.js?id=\"+i;",
          "google" },
        { "'//WWW.GOOGLE-ANALYTICS.COM/analytics.js'", "google" },
        { "load('.facebook.net.')", "meta" },
        { "a.facebook.net b.t.co", "meta,x" },
        { "t.co", "x" },
        { "(t.co)", "x" },
        { "evilfacebook.net", "" },
        { "facebook.net.evil.test", "" },
        { "myfacebook.network", "" },
        { "facebook net", "" },
        { "facebook", "" },
        { "window.dataLayer.push(x); a.b.c", "" },
        { "x_connect.facebook.net", "meta" },     /* '_' ends a token */
        { "widgets.facebook.com/w.js www.facebook.com", "meta,widgetco" },
        { "tags.tiqcdn.com/utag/acme/main/prod/utag.js", "tealium" },
        { "1.5 + 2.25", "" },
        { "", "" },
    };

    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        collect_t  c;
        uint64_t   want[(TS_MAX_RECIPIENTS + 63) / 64];
        char       got_s[256], want_s[256];

        memset(&c, 0, sizeof(c));
        cs_scan_text_hosts(ts_rules, cases[i].text, strlen(cases[i].text),
                           collect, &c);
        ts_allow(want, cases[i].recipients);
        ts_set_names(c.set, got_s, sizeof(got_s));
        ts_set_names(want, want_s, sizeof(want_s));
        if (strcmp(got_s, want_s) != 0) {
            bad++;
            print_error("scan_text_hosts(\"%s\"): expected {%s}, got {%s}\n",
                     cases[i].text, want_s, got_s);
        }
    }
    assert_int_equal(bad, 0);
}

static void
test_scan_text_hosts_bounded(void **state)
{
    collect_t  c;
    char       buf[600];

    (void) state;
    /* len bounds the scan: a host cut by len is not read past it */
    memset(&c, 0, sizeof(c));
    cs_scan_text_hosts(ts_rules, "connect.facebook.netx", 20, collect, &c);
    assert_true(cs_bitset_test(c.set, ts_rid("meta")));
    memset(&c, 0, sizeof(c));
    cs_scan_text_hosts(ts_rules, "connect.facebook.net", 17, collect, &c);
    assert_int_equal(c.calls, 0);
    /* an overlong domain-like token is skipped, the next one still found */
    memset(buf, 'a', 400);
    memcpy(buf + 400, ".facebook.net t.co", 19);
    memset(&c, 0, sizeof(c));
    cs_scan_text_hosts(ts_rules, buf, strlen(buf), collect, &c);
    assert_false(cs_bitset_test(c.set, ts_rid("meta")));
    assert_true(cs_bitset_test(c.set, ts_rid("x")));
}

static void
test_scan_text_hosts_offsets(void **state)
{
    static const char *const hosts[] = {
        "connect.facebook.net",                 /* inside one window */
        ("A-b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.0.1.2.3."
         "widgets.facebook.com"),               /* longer than a window */
        "...connect.facebook.net..",            /* leading, trailing dots */
    };
    static const char *const want[] = { "meta", "widgetco", "meta" };
    char  buf[400];
    int   bad = 0;

    (void) state;
    /*
     * Each host at every offset and with every tail, among property
     * accesses: what the 64-byte windows see must not matter.
     */
    for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
        size_t hl = strlen(hosts[h]);
        for (size_t off = 0; off < 140; off++) {
            for (size_t tail = 0; tail < 70; tail += 23) {
                collect_t  c;
                size_t     n = 0;

                for (size_t k = 0; k < off; k++) {
                    buf[n++] = "a.bc;"[k % 5];
                }
                if (off > 0) {
                    buf[n - 1] = ' ';
                }
                memcpy(buf + n, hosts[h], hl);
                n += hl;
                for (size_t k = 0; k < tail; k++) {
                    buf[n++] = k == 0 ? ')' : "x.Yz("[k % 5];
                }
                memset(&c, 0, sizeof(c));
                cs_scan_text_hosts(ts_rules, buf, n, collect, &c);
                if (c.calls != 1
                    || !cs_bitset_test(c.set, ts_rid(want[h])))
                {
                    bad++;
                    print_error("scan_text_hosts(\"%.*s\"): %d calls\n",
                                (int) n, buf, c.calls);
                }
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- signatures ---- */

static void
test_match_signatures(void **state)
{
    static const struct {
        const char  *text;
        const char  *recipients;
    } cases[] = {
        { "fbq('init', '1');", "meta" },
        { "window._fbq = f;", "meta" },
        { "gtag ('config', 'G-1'); twq('event')", "google,x" },
        { "x.fbq_(1)", "" },
        { "nofbq(1)", "" },
        { "utag_data = {}", "tealium" },
        { "WidgetCoChat.boot({})", "widgetco" },
        { "WidgetCoChatXboot", "" },
        { "", "" },
    };

    int bad = 0;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        collect_t  c;
        uint64_t   want[(TS_MAX_RECIPIENTS + 63) / 64];
        char       got_s[256], want_s[256];

        memset(&c, 0, sizeof(c));
        assert_int_equal(cs_rules_match_signatures(ts_rules, cases[i].text,
                             strlen(cases[i].text), CS_SIMD_BEST, collect,
                             &c), 0);
        ts_allow(want, cases[i].recipients);
        ts_set_names(c.set, got_s, sizeof(got_s));
        ts_set_names(want, want_s, sizeof(want_s));
        if (strcmp(got_s, want_s) != 0) {
            bad++;
            print_error("signatures(\"%s\"): expected {%s}, got {%s}\n",
                     cases[i].text, want_s, got_s);
        }
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_entities),
        cmocka_unit_test(test_decode_entities_bounded),
        cmocka_unit_test(test_url_host),
        cmocka_unit_test(test_url_host_idna_mapping),
        cmocka_unit_test(test_url_host_limits),
        cmocka_unit_test(test_decoded_url_host),
        cmocka_unit_test(test_match_host),
        cmocka_unit_test(test_scan_text_hosts),
        cmocka_unit_test(test_scan_text_hosts_bounded),
        cmocka_unit_test(test_scan_text_hosts_offsets),
        cmocka_unit_test(test_match_signatures),
    };

    return cmocka_run_group_tests_name("url", tests, ts_rules_setup,
                                       ts_rules_teardown);
}

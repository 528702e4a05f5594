/*
 * The disclosure renderer (cs_disclosure.c) and its bounded output buffer,
 * on a small rule set compiled here: site "shop" declares beta, then acme
 * with overrides, so declaration order differs from recipient id order.
 */

#include "test_support.h"

#include "cs_disclosure.h"

static const char disclosure_yaml[] =
    "recipients:\n"
    "  - id: acme\n"
    "    name: \"Acme & Co\"\n"
    "    category: analytics\n"
    "    sent: [\"client id\", \"pages <viewed>\"]\n"
    "    purpose: \"Measures visits.\"\n"
    "    hosts: [acme.example.com]\n"
    "  - id: beta\n"
    "    name: Beta\n"
    "    category: advertising\n"
    "    sent: [\"ad id\"]\n"
    "    purpose: \"Ads | offers.\"\n"
    "    hosts: [beta.example.com]\n"
    "sites:\n"
    "  - id: shop\n"
    "    name: \"Shop 'A'\"\n"
    "    declares:\n"
    "      - beta\n"
    "      - recipient: acme\n"
    "        service: Acme Tags\n"
    "        sent: [\"client id\", \"pages <viewed>\"]\n"
    "        purpose: \"Shop\\nanalytics.\"\n"
    "  - id: empty\n"
    "    name: Blog\n"
    "    declares: [acme]\n";

static int
group_setup(void **state)
{
    char  dir[64], yaml[96];
    FILE *fp;

    (void) state;
    snprintf(dir, sizeof(dir), "/tmp/cs_disclosure.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(yaml, sizeof(yaml), "%s/disclosure.yaml", dir);
    fp = fopen(yaml, "w");
    if (fp != NULL) {
        (void) fputs(disclosure_yaml, fp);
        (void) fclose(fp);
    }
    /* the database goes to ts_tmpdir, removed by ts_rules_teardown() */
    ts_rules = ts_compile_and_load(yaml, ts_tmpdir, sizeof(ts_tmpdir));
    ts_rmtree(dir);
    return ts_rules != NULL ? 0 : -1;
}

/* Renders site "shop" into a fresh unbounded buffer; caller frees. */
static cs_obuf_t
render(const char *site, cs_disclosure_lang_t lang,
    cs_disclosure_format_t fmt)
{
    cs_obuf_t out = { 0 };

    assert_int_equal(cs_disclosure_render(ts_rules, ts_site(site), lang, fmt,
                                          &out), 0);
    assert_false(out.oom);
    assert_non_null(out.data);
    assert_int_equal(strlen(out.data), out.len);
    return out;
}

static void
expect_render(cs_disclosure_lang_t lang, cs_disclosure_format_t fmt,
    const char *want)
{
    cs_obuf_t out = render("shop", lang, fmt);

    if (strcmp(out.data, want) != 0) {
        ts_fail("rendered:\n%s\nexpected:\n%s", out.data, want);
    }
    cs_obuf_free(&out);
}

static void
test_html(void **state)
{
    (void) state;
    expect_render(CS_DISCLOSURE_EN, CS_DISCLOSURE_HTML,
        "<section class=\"consent-disclosure\" lang=\"en\">\n"
        "<h2>External transmission of user information — Shop &#39;A&#39;"
        "</h2>\n<table>\n"
        "<thead><tr><th>Recipient</th><th>Service</th>"
        "<th>Information sent</th><th>Purpose</th></tr></thead>\n<tbody>\n"
        "<tr><td>Beta</td><td></td><td><ul><li>ad id</li></ul></td>"
        "<td>Ads | offers.</td></tr>\n"
        "<tr><td>Acme &amp; Co</td><td>Acme Tags</td>"
        "<td><ul><li>client id</li><li>pages &lt;viewed&gt;</li></ul></td>"
        "<td>Shop\nanalytics.</td></tr>\n"
        "</tbody>\n</table>\n</section>\n");
}

static void
test_markdown(void **state)
{
    (void) state;
    expect_render(CS_DISCLOSURE_JA, CS_DISCLOSURE_MD,
        "## 利用者情報の外部送信について — Shop &#39;A&#39;\n\n"
        "| 送信先 | サービス | 送信される情報 | 利用目的 |\n"
        "|---|---|---|---|\n"
        "| Beta |  | ad id | Ads \\| offers. |\n"
        "| Acme &amp; Co | Acme Tags | client id<br>pages &lt;viewed&gt; | "
        "Shop<br>analytics. |\n");
}

static void
test_json(void **state)
{
    (void) state;
    expect_render(CS_DISCLOSURE_EN, CS_DISCLOSURE_JSON,
        "{\"site\":\"shop\",\"site_name\":\"Shop 'A'\",\"lang\":\"en\","
        "\"title\":\"External transmission of user information\","
        "\"headings\":[\"Recipient\",\"Service\",\"Information sent\","
        "\"Purpose\"],\"recipients\":[\n"
        "{\"id\":\"beta\",\"name\":\"Beta\",\"service\":\"\","
        "\"category\":\"advertising\",\"sent\":[\"ad id\"],"
        "\"purpose\":\"Ads | offers.\"},\n"
        "{\"id\":\"acme\",\"name\":\"Acme & Co\",\"service\":\"Acme Tags\","
        "\"category\":\"analytics\",\"sent\":[\"client id\","
        "\"pages <viewed>\"],\"purpose\":\"Shop\\nanalytics.\"}\n"
        "]}\n");

    /* Japanese headings, and the recipient's own texts where no override */
    cs_obuf_t out = render("empty", CS_DISCLOSURE_JA, CS_DISCLOSURE_JSON);
    assert_non_null(strstr(out.data, "\"lang\":\"ja\",\"title\":\"利用者情報"
                            "の外部送信について\",\"headings\":[\"送信先\","
                            "\"サービス\",\"送信される情報\",\"利用目的\"]"));
    assert_non_null(strstr(out.data, "\"purpose\":\"Measures visits.\"}"));
    cs_obuf_free(&out);
}

static void
test_unknown_site(void **state)
{
    cs_obuf_t out = { 0 };

    (void) state;
    assert_int_equal(cs_disclosure_render(ts_rules,
                                          cs_rules_site_count(ts_rules),
                                          CS_DISCLOSURE_JA,
                                          CS_DISCLOSURE_HTML, &out), -1);
    assert_false(out.oom);
    assert_int_equal(out.len, 0);
    assert_int_equal(cs_disclosure_render(NULL, 0, CS_DISCLOSURE_JA,
                                          CS_DISCLOSURE_HTML, &out), -1);
    cs_obuf_free(&out);
}

/* The bound: the whole table fits in len + 1 bytes, and not in one less. */
static void
test_bounded(void **state)
{
    cs_obuf_t  whole = render("shop", CS_DISCLOSURE_EN, CS_DISCLOSURE_HTML);
    cs_obuf_t  out = { 0 };

    (void) state;
    out.max = whole.len + 1;
    assert_int_equal(cs_disclosure_render(ts_rules, ts_site("shop"),
                                          CS_DISCLOSURE_EN,
                                          CS_DISCLOSURE_HTML, &out), 0);
    assert_string_equal(out.data, whole.data);
    assert_true(out.cap <= out.max);
    cs_obuf_free(&out);

    for (size_t max = 1; max <= whole.len; max += (max < 64 ? 1 : 37)) {
        memset(&out, 0, sizeof(out));
        out.max = max;
        assert_int_equal(cs_disclosure_render(ts_rules, ts_site("shop"),
                                              CS_DISCLOSURE_EN,
                                              CS_DISCLOSURE_HTML, &out), -1);
        assert_true(out.oom);
        assert_true(out.cap <= max);
        assert_true(out.len < max);
        /* what is there is a prefix of the table */
        assert_memory_equal(out.data ? out.data : "", whole.data, out.len);
        /* and nothing more is accepted */
        assert_false(cs_obuf_add(&out, "", 0));
        cs_obuf_free(&out);
    }
    cs_obuf_free(&whole);
}

/* Formatted text of any length (no intermediate fixed buffer). */
static void
test_fmt_long(void **state)
{
    cs_obuf_t  out = { 0 };
    char      *big = ts_pad("<", 'x', 5000, ">");

    (void) state;
    assert_true(cs_obuf_fmt(&out, "[%s|%d]", big, 42));
    assert_int_equal(out.len, 5002 + 5);
    assert_memory_equal(out.data + out.len - 5, ">|42]", 5);
    assert_int_equal(out.data[out.len], '\0');
    cs_obuf_free(&out);

    out.max = 100;
    assert_false(cs_obuf_fmt(&out, "%s", big));
    assert_true(out.oom);
    cs_obuf_free(&out);
}

static void
test_escapers(void **state)
{
    cs_obuf_t out = { 0 };

    (void) state;
    assert_true(cs_json_escape(&out, "a\"b\\c\n\t\r\x01\x7f\xff\xc3\xa9", 13));
    assert_string_equal(out.data, "a\\\"b\\\\c\\n\\t\\r\\u0001\\u007f\\ufffd"
                        "\xc3\xa9");
    cs_obuf_free(&out);
    assert_true(cs_html_escape(&out, "<a href='x'>&\"</a>", 19));
    assert_string_equal(out.data, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
                        "&lt;/a&gt;");
    cs_obuf_free(&out);
}

/* With the caller's allocator (e.g. an nginx pool): every block goes back. */
static void
test_allocator(void **state)
{
    ts_alloc_t      counts = { 0, 0, -1 };
    cs_allocator_t  al = { ts_alloc, ts_free, &counts };
    cs_obuf_t       whole = render("shop", CS_DISCLOSURE_JA,
                                   CS_DISCLOSURE_HTML);
    cs_obuf_t       out = { 0 };

    (void) state;
    /* three tables appended: more than the first 1 KiB block holds */
    assert_true(3 * whole.len > 1024);
    out.allocator = &al;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cs_disclosure_render(ts_rules, ts_site("shop"),
                                              CS_DISCLOSURE_JA,
                                              CS_DISCLOSURE_HTML, &out), 0);
        assert_memory_equal(out.data + i * whole.len, whole.data, whole.len);
    }
    assert_int_equal(out.len, 3 * whole.len);
    assert_true(counts.allocs >= 2);         /* it grew */
    assert_int_equal(counts.live, 1);        /* and gave the old blocks back */
    cs_obuf_free(&out);
    assert_int_equal(counts.live, 0);

    /* an allocation failure fails the render; nothing leaks */
    for (long fail = 0; fail < 2; fail++) {
        ts_alloc_t     c = { 0, 0, fail };
        cs_allocator_t a = { ts_alloc, ts_free, &c };
        int            rc = 0;

        memset(&out, 0, sizeof(out));
        out.allocator = &a;
        for (int i = 0; i < 3 && rc == 0; i++) {
            rc = cs_disclosure_render(ts_rules, ts_site("shop"),
                                      CS_DISCLOSURE_JA, CS_DISCLOSURE_HTML,
                                      &out);
        }
        assert_int_equal(rc, -1);
        assert_true(out.oom);
        assert_int_equal(c.allocs, fail);
        cs_obuf_free(&out);
        assert_int_equal(c.live, 0);
    }
    cs_obuf_free(&whole);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_unknown_site),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_fmt_long),
        cmocka_unit_test(test_escapers),
        cmocka_unit_test(test_allocator),
    };

    return cmocka_run_group_tests_name("disclosure", tests, group_setup,
                                       ts_rules_teardown);
}

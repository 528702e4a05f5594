/*
 * The HAR reader (tools/cs_har.c): the entry walk in any key order, errors
 * naming the entry for malformed and truncated files, and body decoding
 * (text, base64, gzip bytes, unknown encodings); then consentctl audit's
 * library (tools/cs_audit.c) on a page against rules_test.yaml.
 */

#include "test_support.h"

#include <zlib.h>

#include "cs_audit.h"
#include "cs_har.h"

typedef struct {
    size_t  n;
    char    urls[8][64];
} walk_t;

static int
collect(void *ud, const char *path, size_t index, json_t *entry)
{
    walk_t     *w = ud;
    const char *url = cs_har_str(json_object_get(entry, "request"), "url");

    (void) path;
    assert_int_equal(index, w->n);
    if (w->n < 8 && url != NULL) {
        snprintf(w->urls[w->n], sizeof(w->urls[0]), "%s", url);
    }
    w->n++;
    return 0;
}

static int
walk(const char *text, walk_t *w, char *err, size_t errlen)
{
    char path[256];

    ts_tmp_path(path, sizeof(path), "t.har");
    ts_write_file(path, text);
    memset(w, 0, sizeof(*w));
    return cs_har_each_entry(path, collect, w, err, errlen);
}

static void
test_walk_any_order(void **state)
{
    walk_t w;
    char   err[256];

    (void) state;
    /* Firefox puts "browser" and "pages" first; keys may come in any order */
    assert_int_equal(walk("{\"log\": {\"browser\": {\"name\": \"Firefox\"},"
                          " \"pages\": [{\"id\": \"p\"}], \"entries\": ["
                          "{\"request\": {\"url\": \"https://a.example/\"}},"
                          " {\"request\": {\"url\": \"https://b.example/\"}}"
                          "], \"version\": \"1.2\"}, \"x\": [1, 2.5, null]}\n",
                          &w, err, sizeof(err)), 0);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.urls[1], "https://b.example/");
    assert_int_equal(walk("{\"log\":{\"entries\":[]}}", &w, err, sizeof(err)),
                     0);
    assert_int_equal(w.n, 0);
}

static void
test_walk_errors(void **state)
{
    walk_t w;
    char   err[256];

    (void) state;
    assert_int_equal(walk("{\"log\": {\"entries\": [{\"request\": {}}, "
                          "{\"request\": {\"url\": \"x\"", &w, err,
                          sizeof(err)), -1);
    assert_int_equal(w.n, 1);               /* the first entry was read */
    assert_non_null(strstr(err, "entry 1 (byte 38): file truncated"));
    assert_int_equal(walk("{\"log\": {\"entries\": [{}, {\"a\" 1}]}}", &w,
                          err, sizeof(err)), -1);
    assert_non_null(strstr(err, "entry 1 (byte 25): malformed JSON"));
    assert_int_equal(walk("{\"log\": {\"entries\": [{} {}]}}", &w, err,
                          sizeof(err)), -1);
    assert_non_null(strstr(err, "entry 1: malformed JSON"));
    assert_int_equal(walk("{\"log\": {\"entries\": [1]}}", &w, err,
                          sizeof(err)), -1);
    assert_non_null(strstr(err, "entry 0: not an object"));
    assert_int_equal(walk("{\"log\": {\"pages\": []}}", &w, err,
                          sizeof(err)), -1);
    assert_non_null(strstr(err, "no log.entries"));
    assert_int_equal(walk("{\"log\": {\"entries\": []}} {}", &w, err,
                          sizeof(err)), -1);
    assert_non_null(strstr(err, "trailing bytes"));
    assert_int_equal(walk("", &w, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "truncated"));
}

/* Decodes the body of an entry built from a content object. */
static int
body(const char *content_json, const char *coding, cs_obuf_t *out, char *err)
{
    json_error_t je;
    json_t      *content = json_loads(content_json, 0, &je);
    json_t      *e;
    int          rc;

    assert_non_null(content);
    e = json_pack("{s:{s:o, s:[{s:s, s:s}]}}", "response", "content", content,
                  "headers", "name", "Content-Encoding", "value",
                  coding ? coding : "identity");
    assert_non_null(e);
    memset(out, 0, sizeof(*out));
    rc = cs_har_body(e, out, err, 256);
    json_decref(e);
    return rc;
}

static void
test_body(void **state)
{
    cs_obuf_t      out;
    char           err[256], b64[256];
    unsigned char  gz[128];
    uLongf         gzlen = sizeof(gz);
    const char    *html = "<p>hello</p>";
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    (void) state;
    assert_int_equal(body("{\"text\": \"<p>x</p>\"}", NULL, &out, err), 0);
    assert_string_equal(out.data, "<p>x</p>");
    cs_obuf_free(&out);
    assert_int_equal(body("{\"text\": \"PHA+eDwvcD4=\", \"encoding\": "
                          "\"base64\"}", NULL, &out, err), 0);
    assert_string_equal(out.data, "<p>x</p>");
    cs_obuf_free(&out);
    assert_int_equal(body("{\"size\": 0}", NULL, &out, err), 1);
    assert_int_equal(body("{\"text\": \"a\", \"encoding\": \"utf-7\"}", NULL,
                          &out, err), -1);
    assert_non_null(strstr(err, "unknown content.encoding 'utf-7'"));
    assert_int_equal(body("{\"text\": \"PH!A\", \"encoding\": \"base64\"}",
                          NULL, &out, err), -1);
    assert_non_null(strstr(err, "invalid base64"));
    cs_obuf_free(&out);

    /* zlib-wrapped bytes kept as sent, with Content-Encoding: deflate */
    assert_int_equal(compress(gz, &gzlen, (const Bytef *) html, strlen(html)),
                     Z_OK);
    {
        char   json[512];
        size_t k = 0;

        for (size_t i = 0; i < gzlen; i += 3) {
            uint32_t v = (uint32_t) gz[i] << 16
                         | (i + 1 < gzlen ? (uint32_t) gz[i + 1] << 8 : 0)
                         | (i + 2 < gzlen ? gz[i + 2] : 0);
            b64[k++] = alphabet[(v >> 18) & 63];
            b64[k++] = alphabet[(v >> 12) & 63];
            b64[k++] = i + 1 < gzlen ? alphabet[(v >> 6) & 63] : '=';
            b64[k++] = i + 2 < gzlen ? alphabet[v & 63] : '=';
        }
        b64[k] = '\0';
        snprintf(json, sizeof(json), "{\"text\": \"%s\", \"encoding\": "
                 "\"base64\"}", b64);
        assert_int_equal(body(json, "deflate", &out, err), 0);
        assert_string_equal(out.data, html);
        cs_obuf_free(&out);
        /* the same bytes cut short: corrupt */
        snprintf(json, sizeof(json), "{\"text\": \"%.12s\", \"encoding\": "
                 "\"base64\"}", b64);
        assert_int_equal(body(json, "deflate", &out, err), -1);
        assert_non_null(strstr(err, "corrupt deflate body"));
        cs_obuf_free(&out);
    }
    assert_int_equal(body("{\"text\": \"G4kAAIyUrXGm\", \"encoding\": "
                          "\"base64\"}", "br", &out, err), -1);
    assert_non_null(strstr(err, "still br-compressed"));
    cs_obuf_free(&out);
}

/* An audit of rules_test.yaml's site on a one-page capture. */
static void
test_audit_library(void **state)
{
    char        path[256], err[256];
    cs_audit_t *a;
    cs_obuf_t   out = { 0 };
    json_t     *doc;
    json_error_t je;

    (void) state;
    ts_tmp_path(path, sizeof(path), "page.har");
    {
        json_t *har = json_pack(
            "{s:{s:[{s:{s:s}, s:{s:i, s:{s:s, s:s}}},"
            "{s:{s:s}, s:{s:i, s:{s:s}}}]}}", "log", "entries",
            "request", "url", "https://shop.example.com/",
            "response", "status", 200, "content", "mimeType", "text/html",
            "text", "<script src=\"https://www.google-analytics.com/a.js\">"
                    "</script><img src=\"https://px.undeclared.com/p.gif\">",
            "request", "url", "https://tracker.acme.com/x",
            "response", "status", 200, "content", "mimeType", "image/gif");

        assert_non_null(har);
        assert_int_equal(json_dump_file(har, path, 0), 0);
        json_decref(har);
    }
    a = cs_audit_new(ts_rules, "blog", 4096, err, sizeof(err));
    if (a == NULL) {
        print_error("%s\n", err);
    }
    assert_non_null(a);
    assert_int_equal(cs_audit_add_har(a, path, err, sizeof(err)), 0);
    assert_int_equal(cs_audit_render(a, CS_AUDIT_JSON, &out), 1);
    doc = json_loads(out.data, 0, &je);
    assert_non_null(doc);
    assert_string_equal(cs_har_str(doc, "format"), "consentctl-audit/1");
    assert_string_equal(cs_har_str(doc, "result"), "findings");
    {
        /* blog declares google: the script is its; the pixel's host and
           the logged request's host are covered by no recipient */
        json_t *f = json_object_get(doc, "findings");
        json_t *rec = json_array_get(json_object_get(doc, "recipients"), 0);

        assert_int_equal(json_array_size(f), 2);
        assert_string_equal(cs_har_str(json_array_get(f, 0), "kind"),
                            "unknown_host_in_markup");
        assert_string_equal(cs_har_str(json_array_get(f, 1), "kind"),
                            "unknown_host_requested");
        assert_string_equal(cs_har_str(rec, "id"), "google");
        assert_int_equal(json_integer_value(json_object_get(rec, "elements")),
                         1);
    }
    json_decref(doc);
    cs_obuf_free(&out);
    cs_audit_free(a);
    assert_null(cs_audit_new(ts_rules, "no-such-site", 4096, err,
                             sizeof(err)));
    assert_string_equal(err, "unknown site 'no-such-site'");
}

static int
setup(void **state)
{
    return ts_rules_setup(state) || ts_tmp_setup(state);
}

static int
teardown(void **state)
{
    ts_tmp_teardown(state);
    return ts_rules_teardown(state);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_any_order),
        cmocka_unit_test(test_walk_errors),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_audit_library),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

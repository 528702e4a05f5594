/*
 * The gate's memo (gate/cs_gate_memo.c): a gate given a memo gives the
 * output, counters, blocked set, reports and unknown-host questions of the
 * gate without one, on every fixture page and corpus snippet, split any
 * way, on the first response (the memo fills) and on the next ones (it
 * answers); keys that share a slot and their hashed bytes never answer for
 * each other; the memo stays within its byte budget; a memo made for other
 * rules is not used. Rules: rules/ana.yaml (the fixtures' and corpus').
 */

#define TS_RULES_YAML  "rules/ana.yaml"

#include "test_support.h"
#include "cs_gate_int.h"

#define TM_KEY  ((const unsigned char *) "0123456789abcdef")

/* What a run shows besides its output: reports and unknown-host questions. */
typedef struct {
    char    log[8192];
    size_t  len;
} tm_hooks_t;

static void
tm_log(tm_hooks_t *h, const char *fmt, unsigned long a, const char *s,
    size_t n)
{
    int w;

    if (h->len >= sizeof(h->log)) {
        return;
    }
    w = snprintf(h->log + h->len, sizeof(h->log) - h->len, fmt, a, (int) n,
                 s);
    if (w > 0) {
        h->len += (size_t) w;
    }
    if (h->len > sizeof(h->log)) {
        h->len = sizeof(h->log);
    }
}

static void
tm_on_element(void *ud, uint32_t recipient, cs_action_t done, size_t bytes)
{
    tm_log(ud, "element %lu\n%.*s", (unsigned long) recipient * 1000000
                                  + (unsigned long) done * 100000 + bytes,
           "", 0);
}

/* Removes elements of unknown hosts ending in ".example" (some, not all). */
static int
tm_on_unknown(void *ud, const char *host, size_t len)
{
    assert_int_equal(host[len], '\0');
    tm_log(ud, "unknown %lu %.*s\n", (unsigned long) len, host, len);
    return len > 8 && memcmp(host + len - 8, ".example", 8) == 0;
}

typedef struct {
    unsigned char    *out;
    size_t            out_len;
    cs_gate_stats_t   stats;
    uint64_t          blocked[(TS_MAX_RECIPIENTS + 63) / 64];
    tm_hooks_t        hooks;
} tm_run_t;

/* A run with other rules, or for a site (tagging hosts); site < 0: none. */
static const cs_rules_t  *tm_rules;
static int32_t            tm_site = -1;

/* Each test starts with the test rules and no site (a failed one may not
   have reset them). */
static int
tm_reset(void **state)
{
    (void) state;
    tm_rules = NULL;
    tm_site = -1;
    return 0;
}

static void
tm_run(tm_run_t *r, cs_gate_memo_t *memo, const uint64_t *allowed,
    cs_action_t action, const void *input, size_t len, int split)
{
    ts_out_t        out;
    ts_alloc_t      al = { 0, 0, -1 };
    ts_split_t      sp = ts_split_nth(split);
    cs_gate_conf_t  conf;
    cs_gate_t      *g = malloc(cs_gate_size());

    assert_non_null(g);
    memset(r, 0, sizeof(*r));
    memset(&out, 0, sizeof(out));
    out.fail_at = -1;
    memset(&conf, 0, sizeof(conf));
    conf.rules = tm_rules ? tm_rules : ts_rules;
    conf.has_site = tm_site >= 0;
    conf.site = tm_site >= 0 ? (uint32_t) tm_site : 0;
    conf.memo = memo;
    conf.action = action;
    conf.allowed = allowed;
    conf.blocked = r->blocked;
    conf.max_element = 65536;
    conf.allocator.alloc = ts_alloc;
    conf.allocator.free = ts_free;
    conf.allocator.ctx = &al;
    conf.emit = ts_emit;
    conf.emit_ud = &out;
    conf.on_element = tm_on_element;
    conf.on_unknown_host = tm_on_unknown;
    conf.hook_ud = &r->hooks;
    cs_gate_init(g, &conf);
    assert_int_equal(ts_feed_split(g, &out, input, len, &sp), 0);
    r->stats = *cs_gate_stats(g);
    cs_gate_cleanup(g);
    free(g);
    assert_int_equal(al.live, 0);
    r->out = ts_track(out.buf ? out.buf : calloc(1, 1));
    r->out_len = out.len;
}

/* Everything but the memo's own counters is the same. */
static void
tm_expect_same(const tm_run_t *a, const tm_run_t *b, const char *what)
{
    cs_gate_stats_t  sa = a->stats, sb = b->stats;

    if (a->out_len != b->out_len || memcmp(a->out, b->out, a->out_len) != 0) {
        fail_msg("%s: the output differs with a memo", what);
    }
    sa.memo_hits = sa.memo_misses = sb.memo_hits = sb.memo_misses = 0;
    if (memcmp(&sa, &sb, sizeof(sa)) != 0) {
        fail_msg("%s: the counters differ with a memo", what);
    }
    if (memcmp(a->blocked, b->blocked, sizeof(a->blocked)) != 0) {
        fail_msg("%s: the blocked set differs with a memo", what);
    }
    if (a->hooks.len != b->hooks.len
        || memcmp(a->hooks.log, b->hooks.log, a->hooks.len) != 0)
    {
        fail_msg("%s: the hooks were called differently with a memo:\n%.*s"
                 "---\n%.*s", what, (int) a->hooks.len, a->hooks.log,
                 (int) b->hooks.len, b->hooks.log);
    }
}

static char *
tm_read(const char *path, size_t *len)
{
    FILE  *f = fopen(path, "rb");
    char  *buf;
    long   n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = ts_track(malloc((size_t) n + 1));
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *len = (size_t) n;
    return buf;
}

/*
 * Every .html file under dir (and its subfolders, depth levels): without a
 * memo, then twice with one per page and decision (filling, answering),
 * under several splits; the memo answers every attribution the second time.
 */
static size_t
tm_check_dir(const char *dir, int depth, cs_gate_memo_t **memo_out)
{
    DIR            *d = opendir(dir);
    struct dirent  *e;
    char            path[512];
    size_t          pages = 0;
    static const int splits[] = { 0, 4, 5, 9 };
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64];
    uint64_t        all[(TS_MAX_RECIPIENTS + 63) / 64];

    assert_non_null(d);
    memset(none, 0, sizeof(none));
    memset(all, 0xff, sizeof(all));
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);

        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 5, ".html") != 0) {
            if (depth > 0) {
                DIR *sub = opendir(path);
                if (sub != NULL) {
                    closedir(sub);
                    pages += tm_check_dir(path, depth - 1, memo_out);
                }
            }
            continue;
        }

        size_t  len;
        char   *page = tm_read(path, &len);

        for (int act = 0; act < 2; act++) {
            /* none allowed, all allowed, none allowed for a site */
            for (int a = 0; a < 3; a++) {
                const uint64_t *allowed = a == 1 ? all : none;
                cs_gate_memo_t *memo = cs_gate_memo_create(ts_rules, TM_KEY,
                    1 << 20, &(cs_allocator_t) { ts_alloc, ts_free,
                                                  &(ts_alloc_t) { 0, 0, -1 } });
                tm_run_t  plain, filled, answered;
                char      what[600];

                assert_non_null(memo);
                tm_site = a == 2 ? cs_rules_site_find(ts_rules, "air-booking",
                                                      11) : -1;
                assert_true(a != 2 || tm_site >= 0);
                tm_run(&plain, NULL, allowed, (cs_action_t) act, page, len, 0);
                assert_int_equal(plain.stats.memo_hits
                                 + plain.stats.memo_misses, 0);
                for (size_t s = 0; s < sizeof(splits) / sizeof(splits[0]);
                     s++)
                {
                    snprintf(what, sizeof(what), "%s, %s, %s, split %d", path,
                             a == 1 ? "all allowed"
                             : a ? "none allowed, a site" : "none allowed",
                             act ? "neutralize" : "strip", splits[s]);
                    tm_run(&filled, memo, allowed, (cs_action_t) act, page,
                           len, splits[s]);
                    tm_expect_same(&plain, &filled, what);
                    tm_run(&answered, memo, allowed, (cs_action_t) act, page,
                           len, splits[s]);
                    tm_expect_same(&plain, &answered, what);
                    /* the second time, every attribution is a hit (the
                       page's keys fit the memo) */
                    assert_int_equal(answered.stats.memo_misses, 0);
                    assert_int_equal(answered.stats.memo_hits,
                                     filled.stats.memo_hits
                                     + filled.stats.memo_misses);
                    ts_release(filled.out);
                    ts_release(answered.out);
                }
                ts_release(plain.out);
                if (memo_out && *memo_out == NULL
                    && cs_gate_memo_stats(memo)->hits > 0)
                {
                    *memo_out = memo;       /* the caller checks one */
                } else {
                    cs_gate_memo_free(memo);
                }
            }
        }
        tm_site = -1;
        ts_release(page);
        pages++;
    }
    closedir(d);
    return pages;
}

static void
test_memo_fixtures_exact(void **state)
{
    cs_gate_memo_t  *memo = NULL;

    (void) state;
    assert_true(tm_check_dir("t/fixtures", 0, &memo) >= 10);
    assert_non_null(memo);
    assert_true(cs_gate_memo_stats(memo)->entries > 0);
    cs_gate_memo_free(memo);
}

static void
test_memo_corpus_exact(void **state)
{
    (void) state;
    assert_true(tm_check_dir("t/corpus", 2, NULL) >= 40);
}

/*
 * Scripts of one length and the same first and last 200 bytes hash alike:
 * they share a slot, and the whole compare tells them apart. The tracker
 * one goes, the other stays, in any order, the memo filled either way.
 */
static void
test_memo_same_hashed_bytes(void **state)
{
    char            pad[201], a[1024], b[1024], page[2400];
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    cs_gate_memo_t *memo;
    tm_run_t        r;
    size_t          la, lb;

    (void) state;
    memset(pad, ' ', 200);
    pad[200] = '\0';
    /* the same length: "fbq('init','1');" and a comment of 16 bytes */
    la = (size_t) snprintf(a, sizeof(a), "<script>%sfbq('init','1');%s"
                           "</script>", pad, pad);
    lb = (size_t) snprintf(b, sizeof(b), "<script>%s/* fbqinit, 1 */%s"
                           "</script>", pad, pad);
    assert_int_equal(la, lb);

    for (int order = 0; order < 2; order++) {
        memo = cs_gate_memo_create(ts_rules, TM_KEY, 1 << 20,
            &(cs_allocator_t) { ts_alloc, ts_free,
                                &(ts_alloc_t) { 0, 0, -1 } });
        assert_non_null(memo);
        for (int i = 0; i < 4; i++) {
            bool tracker = (i + order) % 2 == 0;
            size_t n = (size_t) snprintf(page, sizeof(page), "x%sy",
                                         tracker ? a : b);
            tm_run(&r, memo, none, CS_ACTION_STRIP, page, n, 0);
            if (tracker) {
                assert_string_equal((char *) r.out, "xy");
            } else {
                assert_string_equal((char *) r.out, page);
            }
            /* one set holds both: each is worked out once */
            assert_int_equal(r.stats.memo_misses, i < 2 ? 1 : 0);
            assert_int_equal(r.stats.memo_hits, i < 2 ? 0 : 1);
            ts_release(r.out);
        }
        cs_gate_memo_free(memo);
    }
}

/*
 * A URL, and an inline script that loads from it, name a recipient through
 * a site's tagging host on that site only: one memo for both sites answers
 * each as its own gate does.
 */
static void
test_memo_site_scope(void **state)
{
    char            dir[64];
    cs_rules_t     *rules = ts_compile_and_load("t/rules/tagging_hosts.yaml",
                                                dir, sizeof(dir));
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    static const char *const pages[] = {
        "a<script src=\"https://sgtm.shop.example/gtm.js?id=1\"></script>b",
        "a<script>var s=document.createElement('script');"
        "s.src='https://sgtm.shop.example/x.js';"
        "document.head.appendChild(s);</script>b",
    };
    cs_gate_memo_t *memo;
    tm_run_t        plain, cached;

    (void) state;
    assert_non_null(rules);
    tm_rules = rules;
    for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
        const char *page = pages[p];
        size_t      len = strlen(page);

        memo = cs_gate_memo_create(rules, TM_KEY, 1 << 20,
            &(cs_allocator_t) { ts_alloc, ts_free,
                                &(ts_alloc_t) { 0, 0, -1 } });
        assert_non_null(memo);
        for (int i = 0; i < 6; i++) {
            bool shop = i % 2 == 0;

            tm_site = cs_rules_site_find(rules, shop ? "shop" : "blog", 4);
            assert_true(tm_site >= 0);
            tm_run(&plain, NULL, none, CS_ACTION_STRIP, page, len, 0);
            tm_run(&cached, memo, none, CS_ACTION_STRIP, page, len, 0);
            /*
             * shop: google's tagging host, removed; blog: a host of no
             * recipient, removed by on_unknown_host as a src (it ends in
             * ".example"), first-party code as an inline script's
             */
            assert_string_equal((char *) plain.out,
                                shop || p == 0 ? "ab" : page);
            if (p == 0) {
                assert_int_equal(plain.stats.unknown_hosts, !shop);
            }
            tm_expect_same(&plain, &cached, shop ? "shop" : "blog");
            assert_int_equal(cached.stats.memo_hits, i >= 2);
            ts_release(plain.out);
            ts_release(cached.out);
        }
        cs_gate_memo_free(memo);
    }
    tm_rules = NULL;
    tm_site = -1;
    cs_rules_free(rules);
    ts_rmtree(dir);
}

/*
 * After a <base href>, a relative URL resolves against it: the memo's
 * answer for it, from pages without a base, is not used.
 */
static void
test_memo_base_not_used(void **state)
{
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    static const char bare[] = "a<img src=\"/tr?id=1\">b";
    static const char based[] = "<base href=\"https://www.facebook.com/\">"
                                "a<img src=\"/tr?id=1\">b";
    cs_gate_memo_t *memo = cs_gate_memo_create(ts_rules, TM_KEY, 1 << 20,
        &(cs_allocator_t) { ts_alloc, ts_free, &(ts_alloc_t) { 0, 0, -1 } });
    tm_run_t        plain, cached;

    (void) state;
    assert_non_null(memo);
    for (int i = 0; i < 4; i++) {
        const char *page = i % 2 ? based : bare;
        size_t      len = strlen(page);

        tm_run(&plain, NULL, none, CS_ACTION_STRIP, page, len, 0);
        tm_run(&cached, memo, none, CS_ACTION_STRIP, page, len, 0);
        tm_expect_same(&plain, &cached, page);
        ts_release(plain.out);
        ts_release(cached.out);
    }
    /* the base's own page: its pixel resolves to a recipient's host */
    tm_run(&plain, NULL, none, CS_ACTION_STRIP, based, strlen(based), 0);
    assert_null(strstr((char *) plain.out, "<img"));
    ts_release(plain.out);
    cs_gate_memo_free(memo);
}

/* A memo never keeps more than its budget, and stays exact when full. */
static void
test_memo_bounded(void **state)
{
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    ts_alloc_t      al = { 0, 0, -1 };
    cs_allocator_t  a = { ts_alloc, ts_free, &al };
    cs_gate_memo_t *memo = cs_gate_memo_create(ts_rules, TM_KEY, 2048, &a);
    char            page[256];
    tm_run_t        plain, cached;

    (void) state;
    assert_non_null(memo);
    for (int i = 0; i < 3000; i++) {
        size_t n = (size_t) snprintf(page, sizeof(page),
            "<script>var x%d = %d; %s</script><img src=\"https://h%d.example/"
            "p.gif\"><script src=\"https://connect.facebook.net/%d.js\">"
            "</script>", i, i, i % 3 ? "" : "fbq('track','x');", i % 50, i);
        tm_run(&plain, NULL, none, CS_ACTION_STRIP, page, n, 0);
        tm_run(&cached, memo, none, CS_ACTION_STRIP, page, n, 0);
        tm_expect_same(&plain, &cached, page);
        ts_release(plain.out);
        ts_release(cached.out);
        assert_true(cs_gate_memo_stats(memo)->bytes <= 2048);
    }
    assert_true(cs_gate_memo_stats(memo)->evicted > 0);
    cs_gate_memo_free(memo);
    assert_int_equal(al.live, 0);
}

/* A memo made for other rules is not used: no hit, no miss, no entry. */
static void
test_memo_other_rules_unused(void **state)
{
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    cs_rules_t     *other = (cs_rules_t *) (uintptr_t) 1;   /* never read */
    cs_gate_memo_t *memo = cs_gate_memo_create(other, TM_KEY, 1 << 20,
        &(cs_allocator_t) { ts_alloc, ts_free, &(ts_alloc_t) { 0, 0, -1 } });
    static const char page[] = "<script>fbq('init','1');</script>"
                               "<img src=\"https://www.facebook.com/tr\">";
    tm_run_t        r;

    (void) state;
    assert_non_null(memo);
    tm_run(&r, memo, none, CS_ACTION_STRIP, page, sizeof(page) - 1, 0);
    assert_string_equal((char *) r.out, "");
    assert_int_equal(r.stats.memo_hits + r.stats.memo_misses, 0);
    assert_int_equal(cs_gate_memo_stats(memo)->entries, 0);
    ts_release(r.out);
    cs_gate_memo_free(memo);
}

/* The memo's own allocations failing: nothing kept, the output exact. */
static void
test_memo_alloc_failure(void **state)
{
    uint64_t        none[(TS_MAX_RECIPIENTS + 63) / 64] = { 0 };
    ts_alloc_t      al = { 0, 0, 1 };       /* the memo itself, then none */
    cs_gate_memo_t *memo = cs_gate_memo_create(ts_rules, TM_KEY, 1 << 20,
        &(cs_allocator_t) { ts_alloc, ts_free, &al });
    static const char page[] = "a<script>fbq('init','1');</script>b"
                               "<img src=\"https://www.facebook.com/tr\">c";
    tm_run_t        r;

    (void) state;
    assert_non_null(memo);
    for (int i = 0; i < 2; i++) {
        tm_run(&r, memo, none, CS_ACTION_STRIP, page, sizeof(page) - 1, 0);
        assert_string_equal((char *) r.out, "abc");
        assert_int_equal(r.stats.memo_misses, 2);
        ts_release(r.out);
    }
    assert_int_equal(cs_gate_memo_stats(memo)->entries, 0);
    cs_gate_memo_free(memo);
    assert_int_equal(al.live, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_memo_fixtures_exact, tm_reset),
        cmocka_unit_test_setup(test_memo_corpus_exact, tm_reset),
        cmocka_unit_test_setup(test_memo_same_hashed_bytes, tm_reset),
        cmocka_unit_test_setup(test_memo_site_scope, tm_reset),
        cmocka_unit_test_setup(test_memo_base_not_used, tm_reset),
        cmocka_unit_test_setup(test_memo_bounded, tm_reset),
        cmocka_unit_test_setup(test_memo_other_rules_unused, tm_reset),
        cmocka_unit_test_setup(test_memo_alloc_failure, tm_reset),
    };

    return cmocka_run_group_tests(tests, ts_rules_setup, ts_rules_teardown);
}

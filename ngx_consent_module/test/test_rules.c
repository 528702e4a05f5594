/*
 * Unit tests for the rules store: compiler (cs_compile.c,
 * cs_compile_db.c), loader (cs_rules_load.c, cs_rules_sigs.c) and lookups
 * (cs_rules.c). Run from the repository root (paths below are
 * relative to it). The expected per-site recipient lists are the spec: they
 * transcribe ANA's published table of external transmissions.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cs_compile.h"
#include "cs_core.h"
#include "cs_rules.h"

#define ANA_RULES   "rules/ana.yaml"
#define FIXTURES    "t/rules/"
#define ERRLEN      8192

typedef struct {
    char         dir[64];          /* private temp directory */
    char         ana_db[128];      /* rules/ana.yaml compiled once */
    cs_rules_t  *ana;
} fixture_t;

/* ---------------------------------------------------------------------- */
/* helpers */

static void
path_in(const fixture_t *fx, const char *name, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%s", fx->dir, name);
    assert_true(n > 0 && (size_t) n < outlen);
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

/* Reads a whole (small) file; caller frees. */
static char *
read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long  size;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    buf = malloc((size_t) size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t) size, fp), (size_t) size);
    fclose(fp);
    buf[size] = '\0';
    *len = (size_t) size;
    return buf;
}

/* Number of directory entries whose name contains "needle". */
static int
count_entries(const char *dir, const char *needle)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    int            n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, needle) != NULL) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static int
compile_text(const fixture_t *fx, const char *name, const char *yaml,
    const char *db, char *err)
{
    char src[160];

    path_in(fx, name, src, sizeof(src));
    write_file(src, yaml);
    return cs_compile(src, db, err, ERRLEN);
}

static int32_t
rid(const cs_rules_t *rules, const char *id)
{
    return cs_rules_recipient_find(rules, id, strlen(id));
}

static int32_t
host(const cs_rules_t *rules, const char *h)
{
    return cs_rules_match_host(rules, h, strlen(h));
}

/* ---------------------------------------------------------------------- */
/* group setup: compile rules/ana.yaml once */

static int
group_setup(void **state)
{
    static fixture_t fx;
    char             err[ERRLEN];

    memset(&fx, 0, sizeof(fx));
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_rules.XXXXXX");
    if (mkdtemp(fx.dir) == NULL) {
        return -1;
    }
    snprintf(fx.ana_db, sizeof(fx.ana_db), "%s/ana.mdb", fx.dir);

    if (cs_compile(ANA_RULES, fx.ana_db, err, sizeof(err)) != CS_COMPILE_OK) {
        fprintf(stderr, "compiling %s failed:\n%s\n", ANA_RULES, err);
        return -1;
    }
    fx.ana = cs_rules_load(fx.ana_db, err, sizeof(err));
    if (fx.ana == NULL) {
        fprintf(stderr, "loading %s failed: %s\n", fx.ana_db, err);
        return -1;
    }
    *state = &fx;
    return 0;
}

static int
group_teardown(void **state)
{
    fixture_t     *fx = *state;
    DIR           *d;
    struct dirent *e;
    char           path[400];

    cs_rules_free(fx->ana);
    d = opendir(fx->dir);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(path, sizeof(path), "%s/%s", fx->dir, e->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(fx->dir);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* rules/ana.yaml: the table */

static const char *const all_recipients[] = {
    "adaptive", "adobe", "apple", "boldright", "criteo", "cyberagent",
    "google", "kakaku", "lineyahoo", "meta", "microsoft", "naviplus",
    "pinterest", "rtbhouse", "salesforce", "skyscanner", "smartnews",
    "supership", "tealium", "tiktok", "x",
};
#define N_RECIPIENTS (sizeof(all_recipients) / sizeof(all_recipients[0]))

#define WEB13 "google", "lineyahoo", "microsoft", "meta", "x", "criteo", \
              "rtbhouse", "smartnews", "tiktok", "tealium", "adobe", \
              "pinterest"

typedef struct {
    const char *site;
    const char *recipients[24];    /* NULL-terminated, in the table's order */
} expected_site_t;

static const expected_site_t expected_sites[] = {
    { "air-booking", { WEB13, "skyscanner", NULL } },
    { "tour-booking", { WEB13, "skyscanner", NULL } },
    { "app", { "tealium", "google", "adobe", "salesforce", "meta", "adaptive",
               "supership", "cyberagent", "x", "lineyahoo", NULL } },
    { "amc-app", { "google", "lineyahoo", "microsoft", "meta", "x",
                   "criteo", "rtbhouse", "smartnews", "tiktok", "tealium",
                   "adobe", "supership", "cyberagent", "salesforce",
                   "boldright", "pinterest", "apple", NULL } },
    { "anapay", { WEB13, "apple", NULL } },
    { "mall", { "google", NULL } },
    { "card", { WEB13, "apple", NULL } },
    { "gourmet", { "kakaku", "google", "naviplus", NULL } },
    { "mobileplus", { "google", NULL } },
    { "airport-navi", { "google", "adobe", NULL } },
    { "soratabi", { "google", "adobe", NULL } },
    { "airport-transfer", { "google", "adobe", NULL } },
    { "tabicube", { "google", NULL } },
};
#define N_SITES (sizeof(expected_sites) / sizeof(expected_sites[0]))

static void
test_ana_recipients(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;

    assert_int_equal(cs_rules_recipient_count(rules), N_RECIPIENTS);
    for (size_t i = 0; i < N_RECIPIENTS; i++) {
        int32_t r = rid(rules, all_recipients[i]);
        assert_true(r >= 0);

        const cs_recipient_t *rec = cs_rules_recipient(rules, (uint32_t) r);
        assert_non_null(rec);
        assert_string_equal(rec->id, all_recipients[i]);
        assert_true(rec->name[0] != '\0');
        assert_true(rec->category[0] != '\0');
        assert_true(cs_rules_is_category(rules, rec->category,
                                         strlen(rec->category)));
    }
    assert_null(cs_rules_recipient(rules, N_RECIPIENTS));
    assert_int_equal(rid(rules, "nobody"), -1);
    assert_int_equal(cs_rules_recipient_find(rules, "googlex", 6),
                     rid(rules, "google"));   /* length-bounded */

    const cs_recipient_t *g = cs_rules_recipient(rules,
                                                 (uint32_t) rid(rules,
                                                                "google"));
    assert_string_equal(g->name, "Google LLC.");
    assert_string_equal(g->category, "advertising");
    assert_non_null(strstr(g->sent, "クライアントID\n"));
    assert_non_null(strstr(g->purpose, "広告を配信するために利用します。"));
    assert_string_equal(cs_rules_recipient(rules, (uint32_t)
                                           rid(rules, "lineyahoo"))->name,
                        "LINEヤフー株式会社");
}

/* Every recipient but the app-only one has at least one host suffix. */
static void
test_ana_every_recipient_has_hosts(void **state)
{
    const fixture_t *fx = *state;
    MDB_env         *env;
    MDB_txn         *txn;
    MDB_dbi          dbi;
    MDB_cursor      *cur;
    MDB_val          k, v;
    int              hosts_of[N_RECIPIENTS] = { 0 };

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, fx->ana_db, MDB_RDONLY | MDB_NOSUBDIR
                                  | MDB_NOLOCK, 0), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "hosts", 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
        int32_t r = cs_rules_recipient_find(fx->ana, v.mv_data, v.mv_size);
        assert_true(r >= 0 && (size_t) r < N_RECIPIENTS);
        hosts_of[r]++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);

    for (size_t i = 0; i < N_RECIPIENTS; i++) {
        int32_t r = rid(fx->ana, all_recipients[i]);

        if (strcmp(all_recipients[i], "adaptive") == 0) {
            /* app_only: no verifiable web host exists (see ana.yaml) */
            assert_int_equal(hosts_of[r], 0);
        } else if (hosts_of[r] == 0) {
            fail_msg("recipient %s has no host suffix", all_recipients[i]);
        }
    }
}

static void
test_ana_sites_declare_exactly_the_table(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;

    assert_int_equal(cs_rules_site_count(rules), N_SITES);
    for (size_t s = 0; s < N_SITES; s++) {
        const expected_site_t *want = &expected_sites[s];
        int32_t site = cs_rules_site_find(rules, want->site,
                                          strlen(want->site));

        if (site < 0) {
            fail_msg("site %s missing", want->site);
        }
        assert_string_equal(cs_rules_site_id(rules, (uint32_t) site),
                            want->site);
        assert_true(cs_rules_site_name(rules, (uint32_t) site)[0] != '\0');

        for (size_t i = 0; i < N_RECIPIENTS; i++) {
            bool expected = false;

            for (size_t j = 0; want->recipients[j] != NULL; j++) {
                if (strcmp(want->recipients[j], all_recipients[i]) == 0) {
                    expected = true;
                }
            }
            bool got = cs_rules_site_declares(rules, (uint32_t) site,
                                              (uint32_t) rid(rules,
                                              all_recipients[i]));
            if (got != expected) {
                fail_msg("site %s: recipient %s declared=%d, table says %d",
                         want->site, all_recipients[i], got, expected);
            }
        }
    }
    assert_int_equal(cs_rules_site_find(rules, "nowhere", 7), -1);
    assert_null(cs_rules_site_id(rules, N_SITES));
    assert_int_equal(cs_rules_site_declarations(rules, N_SITES, NULL), 0);
    assert_string_equal(cs_rules_site_name(rules, (uint32_t)
                                           cs_rules_site_find(rules, "mall",
                                                              4)),
                        "ANA スカイ ガッチャ！モール");
}

/* The site's declarations, ids joined with ',' in the accessor's order. */
static const char *
declaration_order(const cs_rules_t *rules, const char *site, char *out,
    size_t outlen)
{
    const cs_declaration_t *d;
    int32_t                 s = cs_rules_site_find(rules, site, strlen(site));
    uint32_t                n;
    size_t                  used = 0;

    assert_true(s >= 0);
    n = cs_rules_site_declarations(rules, (uint32_t) s, &d);
    out[0] = '\0';
    for (uint32_t i = 0; i < n; i++) {
        const cs_recipient_t *r = cs_rules_recipient(rules, d[i].recipient);

        assert_non_null(r);
        used += (size_t) snprintf(out + used, outlen - used, "%s%s",
                                  i ? "," : "", r->id);
        assert_true(used < outlen);
    }
    return out;
}

/* rules/ana.yaml lists each site's recipients in the published order. */
static void
test_ana_declaration_order(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;
    char              got[512], want[512];

    for (size_t s = 0; s < N_SITES; s++) {
        const expected_site_t *e = &expected_sites[s];
        size_t                 used = 0;

        for (size_t j = 0; e->recipients[j] != NULL; j++) {
            used += (size_t) snprintf(want + used, sizeof(want) - used, "%s%s",
                                      j ? "," : "", e->recipients[j]);
        }
        assert_string_equal(declaration_order(rules, e->site, got,
                                              sizeof(got)), want);
    }

    /* mall's only declaration: overrides, and the recipient's defaults */
    const cs_declaration_t *d;
    int32_t                 mall = cs_rules_site_find(rules, "mall", 4);

    assert_int_equal(cs_rules_site_declarations(rules, (uint32_t) mall, &d),
                     1);
    assert_int_equal(d[0].recipient, rid(rules, "google"));
    assert_string_equal(d[0].service, "Google Analytics");
    assert_string_equal(d[0].category, "analytics");
    assert_string_equal(d[0].sent, "cookie");
    assert_string_equal(d[0].purpose, "サイト利用者に関するアクセス情報を分析"
                        "するために利用します。");

    int32_t card = cs_rules_site_find(rules, "card", 4);
    assert_int_equal(cs_rules_site_declarations(rules, (uint32_t) card, &d),
                     13);
    const cs_recipient_t *google = cs_rules_recipient(rules, d[0].recipient);
    assert_string_equal(google->id, "google");
    assert_string_equal(d[0].service, "");
    assert_ptr_equal(d[0].category, google->category);
    assert_ptr_equal(d[0].sent, google->sent);
    assert_ptr_equal(d[0].purpose, google->purpose);
}

static const char *
declared_category(const cs_rules_t *rules, const char *site,
    const char *recipient)
{
    int32_t s = cs_rules_site_find(rules, site, strlen(site));

    assert_true(s >= 0);
    return cs_rules_declared_category(rules, (uint32_t) s,
                                      (uint32_t) rid(rules, recipient));
}

static void
test_ana_declared_categories(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;

    assert_string_equal(declared_category(rules, "air-booking", "google"),
                        "advertising");
    assert_string_equal(declared_category(rules, "mall", "google"),
                        "analytics");
    assert_string_equal(declared_category(rules, "gourmet", "google"),
                        "analytics");
    assert_string_equal(declared_category(rules, "mobileplus", "google"),
                        "analytics");
    assert_string_equal(declared_category(rules, "airport-navi", "google"),
                        "functional");
    assert_string_equal(declared_category(rules, "tabicube", "google"),
                        "functional");
    assert_string_equal(declared_category(rules, "air-booking", "tealium"),
                        "analytics");
    assert_string_equal(declared_category(rules, "app", "tealium"),
                        "advertising");
    assert_string_equal(declared_category(rules, "gourmet", "kakaku"),
                        "functional");

    assert_true(cs_rules_is_category(rules, "analytics", 9));
    assert_true(cs_rules_is_category(rules, "advertising", 11));
    assert_true(cs_rules_is_category(rules, "functional", 10));
    assert_false(cs_rules_is_category(rules, "google", 6));
    assert_false(cs_rules_is_category(rules, "analytic", 8));
    assert_false(cs_rules_is_category(rules, "", 0));

    /* gpc_categories: [advertising] (ANA has no social category) */
    assert_true(cs_rules_is_gpc_category(rules, "advertising"));
    assert_false(cs_rules_is_gpc_category(rules, "social"));
    assert_false(cs_rules_is_gpc_category(rules, "analytics"));
    assert_false(cs_rules_is_gpc_category(rules, "functional"));
}

/* Path patterns: syntax, the '/' boundary, the one '*', ana.yaml's paths. */
static void
test_path_patterns(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;
    static const char *const valid[] = {
        "/AppMeasurement.js", "/gtag/js", "/s_code*.js", "/*.js", "/a",
    };
    static const char *const invalid[] = {
        "", "/", "AppMeasurement.js", "/js/", "/a b.js", "/a?x", "/a#x",
        "/a\\b", "//cdn/x.js", "/a//b.js", "/*/x.js", "/a*b*.js", "/\x7f",
    };
    static const struct {
        const char  *pattern, *path;
        bool         match;
    } m[] = {
        { "/AppMeasurement.js", "/js/AppMeasurement.js", true },
        { "/AppMeasurement.js", "/AppMeasurement.js", true },
        { "/AppMeasurement.js", "/js/my-AppMeasurement.js", false },
        { "/AppMeasurement.js", "/js/AppMeasurement.jsx", false },
        { "/gtag/js", "/proxy/gtag/js", true },
        { "/gtag/js", "/proxy/mygtag/js", false },
        { "/s_code*.js", "/js/s_code.js", true },
        { "/s_code*.js", "/js/s_code_h27.js", true },
        { "/s_code*.js", "/js/my_s_code.js", false },
        { "/s_code*.js", "/s_code/x.js", false },         /* '*' is no '/' */
        { "/utag/utag_*.js", "/t/utag/utag_12.js", true },
        { "/utag/utag_*.js", "/t/myutag/utag_12.js", false },
        { "/*.js", "/main.js", true },
        { "/*.js", "/main.css", false },
    };

    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        assert_true(cs_rules_path_pattern_valid(valid[i], strlen(valid[i])));
    }
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        assert_false(cs_rules_path_pattern_valid(invalid[i],
                                                 strlen(invalid[i])));
    }
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (cs_rules_path_pattern_match(m[i].pattern, strlen(m[i].pattern),
                                        m[i].path, strlen(m[i].path))
            != m[i].match)
        {
            fail_msg("'%s' on '%s'", m[i].pattern, m[i].path);
        }
    }

    assert_true(cs_rules_path_count(rules) > 0);
    assert_int_equal(cs_rules_match_path(rules, "/js/AppMeasurement.js", 21),
                     rid(rules, "adobe"));
    assert_int_equal(cs_rules_match_path(rules, "/s_code.js", 10),
                     rid(rules, "adobe"));
    assert_int_equal(cs_rules_match_path(rules, "/sgtm/gtm.js", 12),
                     rid(rules, "google"));
    assert_int_equal(cs_rules_match_path(rules, "/tealium/utag.sync.js", 21),
                     rid(rules, "tealium"));
    assert_int_equal(cs_rules_match_path(rules, "/js/my-measurement.js", 21),
                     -1);
    assert_int_equal(cs_rules_match_path(rules, "/js/app.js", 10), -1);
    assert_int_equal(cs_rules_match_path(rules, "/analytics.js", 13), -1);
    assert_int_equal(cs_rules_match_path(NULL, "/gtm.js", 7), -1);
}

static void
test_ana_host_lookup(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;
    int32_t google = rid(rules, "google"), meta = rid(rules, "meta");

    assert_int_equal(host(rules, "www.googletagmanager.com"), google);
    assert_int_equal(host(rules, "googletagmanager.com"), google);
    assert_int_equal(host(rules, "connect.facebook.net"), meta);
    assert_int_equal(host(rules, "maps.googleapis.com"), google);
    assert_int_equal(host(rules, "s.yimg.jp"), rid(rules, "lineyahoo"));
    assert_int_equal(host(rules, "bat.bing.com"), rid(rules, "microsoft"));
    assert_int_equal(host(rules, "tags.tiqcdn.com"), rid(rules, "tealium"));
    assert_int_equal(host(rules, "r4.snva.jp"), rid(rules, "naviplus"));
    assert_int_equal(host(rules, "t.co"), rid(rules, "x"));
    assert_int_equal(host(rules, "connect.facebook.net."), meta);

    assert_int_equal(host(rules, "evil-facebook.net"), -1);
    assert_int_equal(host(rules, "facebook.net.evil.com"), -1);
    assert_int_equal(host(rules, "com"), -1);
    assert_int_equal(host(rules, "net"), -1);
    assert_int_equal(host(rules, ""), -1);
    assert_int_equal(host(rules, "."), -1);
    assert_int_equal(host(rules, "example.org"), -1);
    assert_int_equal(host(rules, "googleapis.com"), -1);   /* only maps. */
    assert_int_equal(host(rules, "fonts.gstatic.com"), -1);
    /* length-bounded: "connect.facebook.net" is not NUL-terminated here */
    assert_int_equal(cs_rules_match_host(rules, "connect.facebook.netXYZ", 20),
                     meta);
}

typedef struct {
    uint32_t calls;
    uint32_t hits[64];
} hits_t;

static void
collect(void *ud, uint32_t recipient)
{
    hits_t *h = ud;

    assert_true(h->calls < 64);
    h->hits[h->calls++] = recipient;
}

/* Matches a copy of text in a buffer of exactly its length (no NUL), so
   the sanitizer build catches a read past either end. */
static hits_t
sigs_limited(const cs_rules_t *rules, const char *text, size_t len,
    cs_simd_t simd_max)
{
    hits_t  h;
    char   *copy = malloc(len ? len : 1);

    assert_non_null(copy);
    memcpy(copy, text, len);
    memset(&h, 0, sizeof(h));
    assert_int_equal(cs_rules_match_signatures(rules, copy, len, simd_max,
                                               collect, &h), 0);
    free(copy);
    return h;
}

static hits_t
sigs(const cs_rules_t *rules, const char *text)
{
    return sigs_limited(rules, text, strlen(text), CS_SIMD_BEST);
}

static void
test_ana_signatures(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;
    hits_t h;

    h = sigs(rules, "fbq('init','123');");
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.hits[0], rid(rules, "meta"));

    h = sigs(rules, "gtag('js', new Date());");
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.hits[0], rid(rules, "google"));

    h = sigs(rules, "Hello, this is plain text about flights to Tokyo.");
    assert_int_equal(h.calls, 0);
    h = sigs(rules, "");
    assert_int_equal(h.calls, 0);

    /* many matches: each recipient reported once */
    h = sigs(rules, "fbq('init','1'); fbq('track','PageView'); gtag('a');"
                    " fbq('x'); gtag('b'); twq('init','x');");
    assert_int_equal(h.calls, 3);
    bool meta = false, google = false, x = false;
    for (uint32_t i = 0; i < h.calls; i++) {
        meta |= h.hits[i] == (uint32_t) rid(rules, "meta");
        google |= h.hits[i] == (uint32_t) rid(rules, "google");
        x |= h.hits[i] == (uint32_t) rid(rules, "x");
    }
    assert_true(meta && google && x);

    /* binary, non-UTF-8 bytes never make the matcher fail */
    const char bin[] = "\xff\xfe\xc3\x28 ttq.load('abc') \x80";
    hits_t b;
    memset(&b, 0, sizeof(b));
    assert_int_equal(cs_rules_match_signatures(rules, bin, sizeof(bin) - 1,
                                               CS_SIMD_BEST, collect, &b), 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.hits[0], rid(rules, "tiktok"));

    /* a NULL callback is allowed */
    assert_int_equal(cs_rules_match_signatures(rules, "fbq(1)", 6,
                                               CS_SIMD_BEST, NULL, NULL), 0);
}

/* The hosts' last labels, for the domain-like-token prefilter. */
static void
test_ana_host_label(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;

    assert_true(cs_rules_host_label(rules, "com", 3));
    assert_true(cs_rules_host_label(rules, "net", 3));
    assert_true(cs_rules_host_label(rules, "jp", 2));
    assert_true(cs_rules_host_label(rules, "co", 2));      /* t.co */
    /* length-bounded: the label need not be NUL-terminated */
    assert_true(cs_rules_host_label(rules, "comX", 3));
    assert_true(cs_rules_host_label(rules, "jpeg", 2));

    assert_false(cs_rules_host_label(rules, "org", 3));
    assert_false(cs_rules_host_label(rules, "c", 1));
    assert_false(cs_rules_host_label(rules, "comm", 4));
    assert_false(cs_rules_host_label(rules, "j", 1));
    assert_false(cs_rules_host_label(rules, "location", 8));
    assert_false(cs_rules_host_label(rules, "facebook", 8));  /* not last */
    assert_false(cs_rules_host_label(rules, "", 0));
    assert_false(cs_rules_host_label(rules, "Com", 3));      /* lowercase */
    char longer[64];
    memset(longer, 'c', sizeof(longer));
    assert_false(cs_rules_host_label(rules, longer, sizeof(longer)));
    assert_false(cs_rules_host_label(NULL, "com", 3));
}

/*
 * The signature prefilter scans 8 positions per step plus a tail: a literal
 * must be found at every offset, including the very end of the text, and a
 * literal cut short by the end of the text must not be.
 */
static void
test_ana_signature_offsets(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;
    int32_t           meta = rid(rules, "meta");
    int32_t           rtb = rid(rules, "rtbhouse");
    char              text[64];

    for (size_t pad = 0; pad + 10 < sizeof(text); pad++) {
        hits_t h;

        memset(text, ' ', pad);
        memcpy(text + pad, "rtbhEvents", 10);           /* no trailing byte */
        memset(&h, 0, sizeof(h));
        assert_int_equal(cs_rules_match_signatures(rules, text, pad + 10,
                                                   CS_SIMD_BEST, collect,
                                                   &h), 0);
        assert_int_equal(h.calls, 1);
        assert_int_equal(h.hits[0], rtb);

        memset(&h, 0, sizeof(h));                        /* "rtbhEvent" */
        assert_int_equal(cs_rules_match_signatures(rules, text, pad + 9,
                                                   CS_SIMD_BEST, collect,
                                                   &h), 0);
        assert_int_equal(h.calls, 0);

        memcpy(text + pad, "_fbq", 4);                   /* \b_fbq\b at end */
        memset(&h, 0, sizeof(h));
        assert_int_equal(cs_rules_match_signatures(rules, text, pad + 4,
                                                   CS_SIMD_BEST, collect,
                                                   &h), 0);
        assert_int_equal(h.calls, 1);
        assert_int_equal(h.hits[0], meta);
    }

    /* the text starts inside the literal: its rarer inner bigrams are
       there, its start is not */
    const char *cut[] = { "tbhEvents", "bhEvents", "hEvents", "Events",
                          "fbq", "_fb", "q" };
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        hits_t h = sigs(rules, cut[i]);
        assert_int_equal(h.calls, 0);
    }

    /* 1- and 2-byte texts: one bigram or none */
    const char *shorts[] = { "f", "g", "_", "r", "ga", "fb", "_f", " " };
    for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
        hits_t h = sigs(rules, shorts[i]);
        assert_int_equal(h.calls, 0);
    }
}

/*
 * simd_max picks the prefilter: SSE2 (or below) the byte-table loop, the
 * CPU's best the 32-position AVX2 scan where there is one. Both must find
 * the same recipients, with literals on every side of a 32-byte block.
 */
static void
test_ana_signature_prefilter_limit(void **state)
{
    const cs_rules_t *rules = ((fixture_t *) *state)->ana;
    /* the library's one CPU check decides (SSE2 in a scalar build) */
    cs_simd_t         best = cs_cpu_simd(CS_SIMD_BEST) >= CS_SIMD_AVX2
                             ? CS_SIMD_AVX2 : CS_SIMD_SSE2;

    assert_int_equal(cs_rules_signature_prefilter(CS_SIMD_SSE2),
                     CS_SIMD_SSE2);
    assert_int_equal(cs_rules_signature_prefilter(CS_SIMD_BEST), best);
    assert_int_equal(cs_rules_signature_prefilter(CS_SIMD_AVX512), best);

    static const char *const literals[] = {
        "fbq('init')", "gtag('js')", "rtbhEvents", "ttq.load('x')",
        "twq('init')", "_fbq", "fbq", "gta", "rtbhEvent",
    };
    static const char filler[] = "abcdefghijklmnopqrstuvwxyz ();.'_=\n";
    char      text[160];
    uint32_t  seed = 12345, found = 0;

    for (size_t len = 0; len <= sizeof(text); len++) {
        for (int round = 0; round < 4; round++) {
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                text[i] = filler[(seed >> 16) % (sizeof(filler) - 1)];
            }
            for (int k = 0; k < round; k++) {
                seed = seed * 1103515245u + 12345u;
                const char *lit = literals[(seed >> 16)
                                   % (sizeof(literals) / sizeof(literals[0]))];
                size_t      n = strlen(lit);

                if (n <= len) {
                    memcpy(text + (seed >> 8) % (len - n + 1), lit, n);
                }
            }
            hits_t portable = sigs_limited(rules, text, len, CS_SIMD_SSE2);
            hits_t fastest = sigs_limited(rules, text, len, CS_SIMD_BEST);

            assert_int_equal(portable.calls, fastest.calls);
            assert_memory_equal(portable.hits, fastest.hits,
                                portable.calls * sizeof(portable.hits[0]));
            found += portable.calls;
        }
    }
    assert_true(found > 100);         /* the texts did hold signatures */
}

static void
test_ana_dump(void **state)
{
    const fixture_t *fx = *state;
    char             out[160], err[ERRLEN];
    size_t           len;

    path_in(fx, "dump.txt", out, sizeof(out));
    FILE *fp = fopen(out, "w");
    assert_non_null(fp);
    assert_int_equal(cs_dump(fx->ana_db, fp, err, sizeof(err)),
                     CS_COMPILE_OK);
    fclose(fp);

    char *text = read_file(out, &len);
    assert_true(strncmp(text, "format_version: 1\n", 18) == 0);
    assert_non_null(strstr(text, "\ngpc_categories: [advertising]\n"));
    assert_non_null(strstr(text, "\nrecipient google\n  name: Google LLC.\n"));
    assert_non_null(strstr(text, "  host googletagmanager.com\n"));
    assert_non_null(strstr(text, "  signature 000: \\bgtag\\s*\\(\n"));
    assert_non_null(strstr(text, "\nsite mall\n"));
    assert_non_null(strstr(text, "  declares google\n    service: Google "
                                 "Analytics\n    category: analytics\n"));
    free(text);

    assert_int_equal(cs_dump("/nonexistent/x.mdb", stdout, err, sizeof(err)),
                     CS_COMPILE_IO);
    assert_non_null(strstr(err, "/nonexistent/x.mdb"));
}

/* ---------------------------------------------------------------------- */
/* invalid sources */

typedef struct {
    const char *file;
    const char *where;     /* expected "FILE:LINE:COL: " prefix */
    const char *what;      /* expected message fragment */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    { FIXTURES "unknown_key.yaml", FIXTURES "unknown_key.yaml:7:5: ",
      "unknown recipient key 'hots'" },
    { FIXTURES "duplicate_host.yaml", FIXTURES "duplicate_host.yaml:11:33: ",
      "'cdn.example.com' already belongs to recipient 'alpha'" },
    { FIXTURES "unknown_recipient.yaml",
      FIXTURES "unknown_recipient.yaml:13:20: ", "unknown recipient 'gamma'" },
    { FIXTURES "bad_regex.yaml", FIXTURES "bad_regex.yaml:9:10: ",
      "invalid signature pattern: missing closing parenthesis" },
    { FIXTURES "bad_id.yaml", FIXTURES "bad_id.yaml:4:9: ",
      "invalid recipient id 'Alpha.Corp'" },
    { FIXTURES "syntax_error.yaml", FIXTURES "syntax_error.yaml:9:3: ",
      "YAML syntax error" },
    { FIXTURES "bad_gpc_category.yaml", FIXTURES "bad_gpc_category.yaml:3:31: ",
      "gpc_categories: 'marketing' is not a category of any recipient or "
      "declaration" },
    { FIXTURES "bad_cmp_format.yaml", FIXTURES "bad_cmp_format.yaml:15:7: ",
      "unknown consent_map format 'usercentrics' (known: onetrust, "
      "cookiebot, cc_cookie, klaro)" },
    { FIXTURES "bad_cmp_target.yaml", FIXTURES "bad_cmp_target.yaml:15:29: ",
      "consent_map cookiebot 'statistics': 'gamma' is neither a recipient id "
      "nor a category" },
    { FIXTURES "bad_cmp_empty.yaml", FIXTURES "bad_cmp_empty.yaml:15:9: ",
      "consent_map klaro 'googleAnalytics' is an empty list" },
};

static void
test_bad_sources_leave_db_untouched(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], err[ERRLEN];
    size_t           before_len, after_len;

    path_in(fx, "keep.mdb", db, sizeof(db));
    assert_int_equal(cs_compile(FIXTURES "minimal.yaml", db, err,
                                sizeof(err)), CS_COMPILE_OK);
    char *before = read_file(db, &before_len);

    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case_t *c = &bad_cases[i];
        char              expected[512];

        assert_int_equal(cs_compile(c->file, db, err, sizeof(err)),
                         CS_COMPILE_INVALID);
        snprintf(expected, sizeof(expected), "%s", c->where);
        if (strstr(err, expected) == NULL || strstr(err, c->what) == NULL) {
            fail_msg("%s: expected '%s...%s' in:\n%s", c->file, c->where,
                     c->what, err);
        }

        char *after = read_file(db, &after_len);
        assert_int_equal(before_len, after_len);
        assert_memory_equal(before, after, before_len);
        free(after);
        assert_int_equal(count_entries(fx->dir, "keep.mdb.tmp"), 0);
        assert_int_equal(count_entries(fx->dir, "-lock"), 0);
    }
    free(before);

    /* and the untouched database still loads */
    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);
    assert_int_equal(host(rules, "x.alpha.example.com"), rid(rules, "alpha"));
    cs_rules_free(rules);
}

static void
test_missing_source_is_io_error(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], err[ERRLEN];

    path_in(fx, "never.mdb", db, sizeof(db));
    assert_int_equal(cs_compile("t/rules/does-not-exist.yaml", db, err,
                                sizeof(err)), CS_COMPILE_IO);
    assert_non_null(strstr(err, "t/rules/does-not-exist.yaml: cannot open"));
    assert_int_equal(access(db, F_OK), -1);

    /* unwritable destination directory */
    assert_int_equal(cs_compile(FIXTURES "minimal.yaml",
                                "/nonexistent-dir/x.mdb", err, sizeof(err)),
                     CS_COMPILE_IO);
}

/* Smaller validation rules, each as an inline rule file. */
typedef struct {
    const char *yaml;
    const char *what;
} inline_case_t;

#define HEAD "format: 1\nrecipients:\n  - id: alpha\n    name: A\n" \
             "    category: analytics\n"
#define TAIL "sites:\n  - id: s\n    name: S\n    declares: [alpha]\n"

static const inline_case_t inline_cases[] = {
    { HEAD "    hosts: ['https://alpha.example.com/x']\n" TAIL,
      "inline.yaml:6:14: host suffix 'https://alpha.example.com/x' looks like a URL" },
    { HEAD "    hosts: ['alpha.example.com:8080']\n" TAIL, "contains a port" },
    { HEAD "    hosts: [com]\n" TAIL, "is a single label" },
    { HEAD "    hosts: ['alpha example.com']\n" TAIL, "contains whitespace" },
    { HEAD "    hosts: ['bücher.example']\n" TAIL, "punycode" },
    { HEAD "    hosts: [a.example.com, A.Example.COM]\n" TAIL,
      "listed twice for recipient 'alpha'" },
    { HEAD "    signatures: ['(x)y']\n" TAIL, "capturing groups" },
    { HEAD "    signatures: ['x*']\n" TAIL, "matches the empty string" },
    { HEAD "    signatures: ['(*MARK:9)x']\n" TAIL, "\"(*\" verbs" },
    { HEAD "    hosts: [a.example.com]\n    tcf_vendor_id: abc\n" TAIL,
      "tcf_vendor_id must be a positive integer" },
    { HEAD "    hosts: [a.example.com]\n" "sites:\n  - id: s\n    name: S\n"
      "    declares: [alpha, alpha]\n", "declares recipient 'alpha' twice" },
    { HEAD "    hosts: [a.example.com]\n" "sites:\n  - id: s\n    name: S\n"
      "    declares: []\n", "'declares' must be a non-empty list" },
    { HEAD "    hosts: [a.example.com]\n" "  - id: analytics\n    name: B\n"
      "    category: advertising\n    hosts: [b.example.com]\n" TAIL,
      "category 'analytics' is also a recipient id" },
    { HEAD "    hosts: [a.example.com]\n" "  - id: alpha\n    name: B\n"
      "    category: advertising\n    hosts: [b.example.com]\n" TAIL,
      "duplicate recipient id 'alpha'" },
    { "format: 2\n" "recipients:\n  - id: alpha\n    name: A\n"
      "    category: analytics\n    hosts: [a.example.com]\n" TAIL,
      "1:9: unsupported rules format '2'" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "extra: 1\n",
      "unknown top-level key 'extra'" },
    { "format: 1\nrecipients:\n  - id: alpha\n    category: analytics\n"
      "    hosts: [a.example.com]\n" TAIL, "recipient 'alpha' has no 'name'" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "gpc_categories: []\n",
      "inline.yaml:11:1: 'gpc_categories' must be a non-empty list" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "gpc_categories: analytics\n",
      "inline.yaml:11:17: 'gpc_categories' must be a non-empty list" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "gpc_categories: [analytics, analytics]\n",
      "inline.yaml:11:29: gpc_categories: 'analytics' is listed twice" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "gpc_categories: [alpha]\n",
      "gpc_categories: 'alpha' is not a category" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "    consent_map: [onetrust]\n",
      "inline.yaml:11:19: 'consent_map' must be a mapping of formats" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "    consent_map:\n",
      "inline.yaml:11:5: 'consent_map' must be a mapping of formats" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {onetrust: [alpha]}\n",
      "inline.yaml:11:30: consent_map onetrust must be a non-empty mapping" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {tcf: {'1': [alpha]}}\n",
      "inline.yaml:11:19: unknown consent_map format 'tcf'" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {OneTrust: {C0002: [alpha]}}\n",
      "unknown consent_map format 'OneTrust'" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {onetrust: {'C 2': [alpha]}}\n",
      "inline.yaml:11:31: invalid onetrust name 'C 2' in consent_map: use 1 "
      "to 63 printable ASCII characters, no spaces" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {klaro: {'': [alpha]}}\n", "invalid klaro name ''" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {klaro: {"
      "a234567890123456789012345678901234567890123456789012345678901234: "
      "[alpha]}}\n", "invalid klaro name 'a2345" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {klaro: {'caf\xc3\xa9': [alpha]}}\n",
      "invalid klaro name" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {klaro: {ga: alpha}}\n",
      "inline.yaml:11:31: consent_map klaro 'ga' must be a list of recipient "
      "ids and/or categories" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {cc_cookie: {analytics: [alpha, analytics, alpha]}}\n",
      "inline.yaml:11:61: consent_map cc_cookie 'analytics': 'alpha' is "
      "listed twice" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    consent_map: {cookiebot: {marketing: [Alpha]}}\n",
      "'Alpha' is neither a recipient id nor a category" },
    { HEAD "    hosts: [a.example.com]\n" TAIL "    consent_maps: {}\n",
      "unknown site key 'consent_maps' (known: id, name, declares, "
      "consent_map, tagging_hosts)" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    tagging_hosts: {sgtm.site.example: beta}\n",
      "tagging host 'sgtm.site.example' names 'beta', which site" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    tagging_hosts: {'https://sgtm.site.example/': alpha}\n",
      "tagging host 'https://sgtm.site.example/'" },
    { HEAD "    hosts: [a.example.com]\n" TAIL
      "    tagging_hosts: [sgtm.site.example]\n",
      "'tagging_hosts' must be a mapping of host: recipient id" },
};

static void
test_inline_validation(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], err[ERRLEN];

    path_in(fx, "inline.mdb", db, sizeof(db));
    for (size_t i = 0; i < sizeof(inline_cases) / sizeof(inline_cases[0]);
         i++)
    {
        int rc = compile_text(fx, "inline.yaml", inline_cases[i].yaml, db,
                              err);
        if (rc != CS_COMPILE_INVALID
            || strstr(err, inline_cases[i].what) == NULL)
        {
            fail_msg("case %zu: rc=%d, expected '%s' in:\n%s", i, rc,
                     inline_cases[i].what, err);
        }
        assert_int_equal(access(db, F_OK), -1);
    }
}

static void
test_host_normalisation_and_overrides(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], err[ERRLEN];

    path_in(fx, "norm.mdb", db, sizeof(db));
    int rc = compile_text(fx, "norm.yaml",
        "sites:\n"                              /* key order is free */
        "  - id: s\n    name: S\n    declares:\n"
        "      - {recipient: alpha, category: functional, service: Maps}\n"
        "recipients:\n"
        "  - id: alpha\n    name: A\n    category: analytics\n"
        "    sent: one line\n"
        "    hosts: ['*.CDN.Example.com.', .other.example.org]\n"
        "  - id: bravo\n    name: B\n    category: advertising\n"
        "    app_only: true\n",
        db, err);
    assert_int_equal(rc, CS_COMPILE_OK);

    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);
    assert_int_equal(host(rules, "a.cdn.example.com"), rid(rules, "alpha"));
    assert_int_equal(host(rules, "cdn.example.com"), rid(rules, "alpha"));
    assert_int_equal(host(rules, "other.example.org"), rid(rules, "alpha"));
    assert_int_equal(host(rules, "example.com"), -1);
    assert_string_equal(declared_category(rules, "s", "alpha"), "functional");
    assert_string_equal(declared_category(rules, "s", "bravo"),
                        "advertising");  /* not declared: recipient's own */
    assert_false(cs_rules_site_declares(rules, 0, (uint32_t) rid(rules,
                                                                 "bravo")));
    assert_true(cs_rules_is_category(rules, "functional", 10));
    assert_string_equal(cs_rules_recipient(rules, (uint32_t)
                                           rid(rules, "alpha"))->sent,
                        "one line");
    assert_int_equal(cs_rules_match_signatures(rules, "anything", 8,
                                               CS_SIMD_BEST, collect, NULL), 0);
    cs_rules_free(rules);
}

/* 20,000 host suffixes: compile, load, and look up by hash. */
static void
test_many_hosts(void **state)
{
    const fixture_t *fx = *state;
    char             src[160], db[160], err[ERRLEN];
    enum { RECIPIENTS = 40, PER = 500 };

    path_in(fx, "many.yaml", src, sizeof(src));
    path_in(fx, "many.mdb", db, sizeof(db));
    FILE *fp = fopen(src, "w");
    assert_non_null(fp);
    fprintf(fp, "recipients:\n");
    for (int r = 0; r < RECIPIENTS; r++) {
        fprintf(fp, "  - id: r%02d\n    name: R%d\n    category: "
                "advertising\n    hosts:\n", r, r);
        for (int h = 0; h < PER; h++) {
            fprintf(fp, "      - h%d.r%02d.example\n", h, r);
        }
    }
    fprintf(fp, "sites:\n  - id: s\n    name: S\n    declares: [r00]\n");
    assert_int_equal(fclose(fp), 0);

    assert_int_equal(cs_compile(src, db, err, sizeof(err)), CS_COMPILE_OK);
    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);
    assert_int_equal(cs_rules_recipient_count(rules), RECIPIENTS);

    for (int r = 0; r < RECIPIENTS; r += 7) {
        char name[64], id[16];

        snprintf(id, sizeof(id), "r%02d", r);
        snprintf(name, sizeof(name), "deep.sub.h%d.r%02d.example", PER - 1, r);
        assert_int_equal(host(rules, name), rid(rules, id));
        snprintf(name, sizeof(name), "h%d.r%02d.example", PER, r);
        assert_int_equal(host(rules, name), -1);
    }
    cs_rules_free(rules);
}

/*
 * More distinct literal bigrams than the prefilter's table indexes directly
 * (the rest are binary-searched), several signatures per bigram: each text
 * is reported for exactly its recipient.
 */
static void
test_many_signatures(void **state)
{
    const fixture_t *fx = *state;
    char             src[160], db[160], err[ERRLEN];
    enum { RECIPIENTS = 300 };

    path_in(fx, "manysigs.yaml", src, sizeof(src));
    path_in(fx, "manysigs.mdb", db, sizeof(db));
    FILE *fp = fopen(src, "w");
    assert_non_null(fp);
    fprintf(fp, "recipients:\n");
    for (int r = 0; r < RECIPIENTS; r++) {
        char a = (char) ('a' + r / 20), b = (char) ('a' + r % 20);

        fprintf(fp, "  - id: r%03d\n    name: R%d\n    category: "
                "advertising\n    hosts: [r%03d.example]\n"
                "    signatures: ['%c%c_sig\\b'", r, r, r, a, b);
        if (r % 3 >= 1) {
            fprintf(fp, ", '%c%c_alt'", a, b);
        }
        if (r % 3 == 2) {
            fprintf(fp, ", '\\b%c%c_zed'", a, b);
        }
        fprintf(fp, "]\n");
    }
    /* a 2-byte literal: its bigram is the text's last one */
    fprintf(fp, "  - id: short\n    name: Short\n    category: analytics\n"
            "    hosts: [short.example]\n    signatures: ['qQ']\n");
    fprintf(fp, "sites:\n  - id: s\n    name: S\n    declares: [r000]\n");
    assert_int_equal(fclose(fp), 0);

    if (cs_compile(src, db, err, sizeof(err)) != CS_COMPILE_OK) {
        fail_msg("%s", err);
    }
    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("%s", err);
    }

    for (int r = 0; r < RECIPIENTS; r++) {
        char    id[16], text[64];
        char    a = (char) ('a' + r / 20), b = (char) ('a' + r % 20);
        int     pad = r % 13;
        hits_t  h;

        snprintf(id, sizeof(id), "r%03d", r);
        memset(text, '.', (size_t) pad);
        snprintf(text + pad, sizeof(text) - (size_t) pad, "%c%c_sig", a, b);
        h = sigs(rules, text);
        assert_int_equal(h.calls, 1);
        assert_int_equal(h.hits[0], rid(rules, id));

        text[strlen(text) - 1] = '\0';                   /* "xy_si" */
        h = sigs(rules, text);
        assert_int_equal(h.calls, 0);

        snprintf(text + pad, sizeof(text) - (size_t) pad, "%c%c_alt.%c%c_zed",
                 a, b, a, b);
        h = sigs(rules, text);
        assert_int_equal(h.calls, r % 3 >= 1 ? 1 : 0);
        if (h.calls) {
            assert_int_equal(h.hits[0], rid(rules, id));
        }
        h = sigs(rules, strrchr(text, '.') + 1);          /* "xy_zed" only */
        assert_int_equal(h.calls, r % 3 == 2 ? 1 : 0);
    }
    for (size_t len = 2; len <= 40; len++) {
        char text[41];

        memset(text, '-', len - 2);
        memcpy(text + len - 2, "qQ", 3);
        hits_t h = sigs(rules, text);
        assert_int_equal(h.calls, 1);
        assert_int_equal(h.hits[0], rid(rules, "short"));
        text[len - 1] = '\0';                          /* ends in "q" */
        assert_int_equal(sigs(rules, text).calls, 0);
    }

    /* a prefix of every literal, and 1-byte texts */
    assert_int_equal(sigs(rules, "a").calls, 0);
    assert_int_equal(sigs(rules, "aa_").calls, 0);
    assert_int_equal(sigs(rules, "oj_si").calls, 0);

    /* labels: one distinct last label, others absent */
    assert_true(cs_rules_host_label(rules, "example", 7));
    assert_false(cs_rules_host_label(rules, "exampl", 6));
    assert_false(cs_rules_host_label(rules, "examples", 8));
    assert_false(cs_rules_host_label(rules, "r000", 4));
    assert_false(cs_rules_host_label(rules, "com", 3));
    cs_rules_free(rules);
}

/* ---------------------------------------------------------------------- */
/* site consent settings: gpc_categories */

/* Compiles t/rules/site_consent.yaml into the temp dir and loads it. */
static cs_rules_t *
load_site_consent(const fixture_t *fx, char *db, size_t dblen)
{
    char        err[ERRLEN];
    cs_rules_t *rules;

    path_in(fx, "site_consent.mdb", db, dblen);
    if (cs_compile(FIXTURES "site_consent.yaml", db, err, sizeof(err))
        != CS_COMPILE_OK)
    {
        fail_msg("compiling site_consent.yaml: %s", err);
    }
    rules = cs_rules_load(db, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("loading site_consent.mdb: %s", err);
    }
    return rules;
}

static void
test_gpc_categories(void **state)
{
    const fixture_t *fx = *state;
    char             db[160];
    cs_rules_t      *rules = load_site_consent(fx, db, sizeof(db));

    assert_true(cs_rules_is_gpc_category(rules, "advertising"));
    assert_true(cs_rules_is_gpc_category(rules, "functional"));  /* override */
    assert_false(cs_rules_is_gpc_category(rules, "social"));   /* unlisted */
    assert_false(cs_rules_is_gpc_category(rules, "analytics"));
    assert_false(cs_rules_is_gpc_category(rules, "advertisin"));
    assert_false(cs_rules_is_gpc_category(rules, ""));
    assert_false(cs_rules_is_gpc_category(rules, NULL));
    assert_false(cs_rules_is_gpc_category(NULL, "advertising"));
    cs_rules_free(rules);
}

/* Value of meta/KEY in an LMDB rules file (*len bytes), or false if absent. */
static bool
meta_value(const char *db, const char *key, char *out, size_t outlen,
    size_t *len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi  dbi;
    MDB_val  k = { strlen(key), (void *) key }, v;
    bool     found;

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, db, MDB_RDONLY | MDB_NOSUBDIR
                                  | MDB_NOLOCK, 0), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    found = mdb_get(txn, dbi, &k, &v) == 0;
    if (found) {
        assert_true(v.mv_size < outlen);
        memcpy(out, v.mv_data, v.mv_size);
        out[v.mv_size] = '\0';
        *len = v.mv_size;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return found;
}

/* A rule file without the new keys: no meta key, and the defaults apply. */
static void
test_defaults_without_new_keys(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], err[ERRLEN], value[64];
    size_t           len = 0;

    path_in(fx, "defaults.mdb", db, sizeof(db));
    assert_int_equal(cs_compile(FIXTURES "minimal.yaml", db, err, sizeof(err)),
                     CS_COMPILE_OK);
    assert_false(meta_value(db, "gpc_categories", value, sizeof(value),
                            &len));

    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);
    assert_true(cs_rules_is_gpc_category(rules, "advertising"));
    assert_true(cs_rules_is_gpc_category(rules, "social"));  /* even unused */
    assert_false(cs_rules_is_gpc_category(rules, "analytics"));
    assert_false(cs_rules_is_gpc_category(rules, "functional"));
    cs_rules_free(rules);

    /* the key is stored as fields, in the rule file's order */
    path_in(fx, "site_consent.mdb", db, sizeof(db));
    assert_int_equal(cs_compile(FIXTURES "site_consent.yaml", db, err,
                                sizeof(err)), CS_COMPILE_OK);
    assert_true(meta_value(db, "gpc_categories", value, sizeof(value),
                           &len));
    assert_int_equal(len, 23);
    assert_memory_equal(value, "advertising\0functional\0", 23);
}

/* ---------------------------------------------------------------------- */
/* site consent settings: consent_map */

typedef struct {
    uint32_t calls;
    char     joined[256];        /* targets joined with ',' */
} targets_t;

static void
collect_target(void *ud, const char *target, size_t len)
{
    targets_t *t = ud;
    size_t     used = strlen(t->joined);

    assert_int_equal(strlen(target), len);         /* NUL-terminated too */
    assert_true(used + len + 2 < sizeof(t->joined));
    if (t->calls++ > 0) {
        t->joined[used++] = ',';
    }
    memcpy(t->joined + used, target, len);
    t->joined[used + len] = '\0';
}

/* The site's targets for FORMAT/NAME joined with ',', "" when unmapped. */
static const char *
cmp_map(const cs_rules_t *rules, const char *site, const char *format,
    const char *name, targets_t *t)
{
    int32_t  s = cs_rules_site_find(rules, site, strlen(site));
    uint32_t n;

    assert_true(s >= 0);
    memset(t, 0, sizeof(*t));
    n = cs_rules_site_cmp_map(rules, (uint32_t) s, format, name, strlen(name),
                              collect_target, t);
    assert_int_equal(n, t->calls);
    return t->joined;
}

static void
test_cmp_maps(void **state)
{
    const fixture_t *fx = *state;
    char             db[160];
    targets_t        t;
    cs_rules_t      *rules = load_site_consent(fx, db, sizeof(db));
    uint32_t         shop = (uint32_t) cs_rules_site_find(rules, "shop", 4);

    /* found: one target, several targets (in the rule file's order) */
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C0002", &t),
                        "analytics");
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C0004", &t),
                        "advertising,gamma,alpha");
    assert_int_equal(t.calls, 3);
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C0007", &t),
                        "beta");
    assert_string_equal(cmp_map(rules, "shop", "klaro", "alphaService", &t),
                        "alpha");
    assert_string_equal(cmp_map(rules, "shop", "cc_cookie", "analytics/ga",
                                &t), "alpha");
    /* a category only a declaration override uses */
    assert_string_equal(cmp_map(rules, "shop", "cc_cookie", "marketing", &t),
                        "functional");

    /* not found: other names, prefixes, case */
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C0003", &t), "");
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C000", &t), "");
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C00044", &t), "");
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "c0002", &t), "");
    assert_string_equal(cmp_map(rules, "shop", "klaro", "alphaservice", &t),
                        "");
    assert_string_equal(cmp_map(rules, "shop", "cc_cookie", "analytics", &t),
                        "");

    /* other format: the same name under another format is not mapped */
    assert_string_equal(cmp_map(rules, "shop", "cookiebot", "marketing", &t),
                        "");
    assert_string_equal(cmp_map(rules, "shop", "klaro", "C0004", &t), "");
    assert_string_equal(cmp_map(rules, "shop", "OneTrust", "C0004", &t), "");
    assert_string_equal(cmp_map(rules, "shop", "tcf", "C0004", &t), "");

    /* other site: its own maps, or none */
    assert_string_equal(cmp_map(rules, "blog", "onetrust", "C0002", &t),
                        "alpha");
    assert_string_equal(cmp_map(rules, "blog", "onetrust", "C0004", &t), "");
    assert_string_equal(cmp_map(rules, "blog", "cookiebot", "marketing", &t),
                        "gamma");
    assert_string_equal(cmp_map(rules, "blog", "cookiebot", "statistics", &t),
                        "alpha,social");
    assert_string_equal(cmp_map(rules, "news", "onetrust", "C0002", &t), "");
    assert_string_equal(cmp_map(rules, "news", "cookiebot", "marketing", &t),
                        "");

    /* length-bounded name, NULL callback, bad arguments */
    assert_int_equal(cs_rules_site_cmp_map(rules, shop, "onetrust", "C0004xyz",
                                           5, NULL, NULL), 3);
    assert_int_equal(cs_rules_site_cmp_map(rules, shop, "onetrust", "C0004",
                                           0, NULL, NULL), 0);
    assert_int_equal(cs_rules_site_cmp_map(rules, cs_rules_site_count(rules),
                                           "onetrust", "C0004", 5, NULL,
                                           NULL), 0);
    assert_int_equal(cs_rules_site_cmp_map(rules, shop, NULL, "C0004", 5,
                                           NULL, NULL), 0);
    assert_int_equal(cs_rules_site_cmp_map(rules, shop, "onetrust", NULL, 5,
                                           NULL, NULL), 0);
    assert_int_equal(cs_rules_site_cmp_map(NULL, 0, "onetrust", "C0004", 5,
                                           NULL, NULL), 0);
    cs_rules_free(rules);

    /* the dump lists each site's maps under it, sorted */
    char  out[160], err[ERRLEN];
    size_t len;

    path_in(fx, "site_consent.txt", out, sizeof(out));
    FILE *fp = fopen(out, "w");
    assert_non_null(fp);
    assert_int_equal(cs_dump(db, fp, err, sizeof(err)), CS_COMPILE_OK);
    fclose(fp);
    char *text = read_file(out, &len);
    assert_non_null(strstr(text, "\ngpc_categories: [advertising, "
                                 "functional]\n"));
    assert_non_null(strstr(text,
        "\nsite blog\n  name: Blog\n  declares alpha\n    order: 0\n"
        "  declares gamma\n    order: 1\n"
        "  consent_map cookiebot marketing: [gamma]\n"
        "  consent_map cookiebot statistics: [alpha, social]\n"
        "  consent_map onetrust C0002: [alpha]\n\nsite news\n"
        "  name: News\n  declares alpha\n    order: 0\n\nsite shop\n"));
    assert_non_null(strstr(text,
        "  consent_map cc_cookie analytics/ga: [alpha]\n"
        "  consent_map cc_cookie marketing: [functional]\n"
        "  consent_map klaro alphaService: [alpha]\n"
        "  consent_map onetrust C0002: [analytics]\n"
        "  consent_map onetrust C0004: [advertising, gamma, alpha]\n"
        "  consent_map onetrust C0007: [beta]\n"));
    free(text);
}

/* Targets may be categories that only a later site's declaration uses. */
static void
test_cmp_map_target_declared_later(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], err[ERRLEN];
    targets_t        t;

    path_in(fx, "later.mdb", db, sizeof(db));
    int rc = compile_text(fx, "later.yaml",
        "recipients:\n"
        "  - id: alpha\n    name: A\n    category: analytics\n"
        "    hosts: [a.example.com]\n"
        "sites:\n"
        "  - id: one\n    name: One\n    declares: [alpha]\n"
        "    consent_map: {klaro: {maps: [functional]}}\n"
        "  - id: two\n    name: Two\n"
        "    declares: [{recipient: alpha, category: functional}]\n",
        db, err);
    if (rc != CS_COMPILE_OK) {
        fail_msg("rc=%d: %s", rc, err);
    }
    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);
    assert_string_equal(cmp_map(rules, "one", "klaro", "maps", &t),
                        "functional");
    assert_string_equal(cmp_map(rules, "two", "klaro", "maps", &t), "");
    cs_rules_free(rules);
}

/* Length of a declares value's first four fields (without order). */
static size_t
old_declares_len(const MDB_val *v)
{
    const char *p = v->mv_data;
    size_t      len = 0;

    for (int f = 0; f < 4; f++) {
        const char *nul = memchr(p + len, '\0', v->mv_size - len);

        assert_non_null(nul);
        len = (size_t) (nul - p) + 1;
    }
    assert_true(len < v->mv_size);              /* the order field follows */
    return len;
}

/*
 * Copies the required sub-databases of "src" into a new file "dst", leaving
 * out cmp_maps, meta/gpc_categories, meta/generation and the declarations'
 * order field: a file as compiled before them.
 */
static void
copy_as_old_file(const char *src, const char *dst)
{
    static const char *const dbs[] = { "meta", "recipients", "hosts",
                                       "signatures", "sites", "declares" };
    MDB_env *in, *out;
    MDB_txn *rtxn, *wtxn;

    assert_int_equal(mdb_env_create(&in), 0);
    assert_int_equal(mdb_env_set_maxdbs(in, 16), 0);
    assert_int_equal(mdb_env_open(in, src, MDB_RDONLY | MDB_NOSUBDIR
                                  | MDB_NOLOCK, 0), 0);
    assert_int_equal(mdb_env_create(&out), 0);
    assert_int_equal(mdb_env_set_maxdbs(out, 6), 0);
    assert_int_equal(mdb_env_open(out, dst, MDB_NOSUBDIR | MDB_NOLOCK, 0644),
                     0);
    assert_int_equal(mdb_txn_begin(in, NULL, MDB_RDONLY, &rtxn), 0);
    assert_int_equal(mdb_txn_begin(out, NULL, 0, &wtxn), 0);

    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        MDB_dbi     from, to;
        MDB_cursor *cur;
        MDB_val     k, v;

        assert_int_equal(mdb_dbi_open(rtxn, dbs[i], 0, &from), 0);
        assert_int_equal(mdb_dbi_open(wtxn, dbs[i], MDB_CREATE, &to), 0);
        assert_int_equal(mdb_cursor_open(rtxn, from, &cur), 0);
        while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
            if (i == 0 && ((k.mv_size == 14
                            && memcmp(k.mv_data, "gpc_categories", 14) == 0)
                           || (k.mv_size == 10
                               && memcmp(k.mv_data, "generation", 10) == 0)))
            {
                continue;
            }
            if (strcmp(dbs[i], "declares") == 0) {
                v.mv_size = old_declares_len(&v);
            }
            assert_int_equal(mdb_put(wtxn, to, &k, &v, 0), 0);
        }
        mdb_cursor_close(cur);
    }
    assert_int_equal(mdb_txn_commit(wtxn), 0);
    mdb_txn_abort(rtxn);
    mdb_env_close(out);
    mdb_env_close(in);
}

static void
test_old_file_without_cmp_maps(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], old[160], err[ERRLEN], out[160];
    targets_t        t;
    size_t           len;
    cs_rules_t      *rules = load_site_consent(fx, db, sizeof(db));

    cs_rules_free(rules);
    path_in(fx, "old.mdb", old, sizeof(old));
    unlink(old);
    copy_as_old_file(db, old);

    /* it really has no cmp_maps */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi  dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, old, MDB_RDONLY | MDB_NOSUBDIR
                                  | MDB_NOLOCK, 0), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "cmp_maps", 0, &dbi), MDB_NOTFOUND);
    mdb_txn_abort(txn);
    mdb_env_close(env);

    rules = cs_rules_load(old, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("old file does not load: %s", err);
    }
    assert_int_equal(cs_rules_recipient_count(rules), 3);
    assert_int_equal(host(rules, "x.beta.example.com"), rid(rules, "beta"));
    assert_string_equal(declared_category(rules, "shop", "gamma"),
                        "functional");
    assert_string_equal(cmp_map(rules, "shop", "onetrust", "C0004", &t), "");
    assert_string_equal(cmp_map(rules, "blog", "onetrust", "C0002", &t), "");
    /* the default GPC categories */
    assert_true(cs_rules_is_gpc_category(rules, "advertising"));
    assert_true(cs_rules_is_gpc_category(rules, "social"));
    assert_false(cs_rules_is_gpc_category(rules, "functional"));
    assert_string_equal(cs_rules_generation(rules), "");
    char order[128];
    assert_string_equal(declaration_order(rules, "shop", order,
                                          sizeof(order)), "alpha,beta,gamma");
    cs_rules_free(rules);

    /* and the dump prints it, without maps, GPC categories or generation */
    path_in(fx, "old.txt", out, sizeof(out));
    FILE *fp = fopen(out, "w");
    assert_non_null(fp);
    assert_int_equal(cs_dump(old, fp, err, sizeof(err)), CS_COMPILE_OK);
    fclose(fp);
    char *text = read_file(out, &len);
    assert_non_null(strstr(text, "\nsite shop\n"));
    assert_null(strstr(text, "consent_map"));
    assert_null(strstr(text, "gpc_categories"));
    assert_null(strstr(text, "generation"));
    free(text);
}

/* ---------------------------------------------------------------------- */
/* loader errors */

/* Writes an LMDB file with the given sub-databases and format_version. */
static void
write_raw_db(const char *path, const char *version, bool with_hosts)
{
    static const char *const dbs[] = { "meta", "recipients", "hosts",
                                       "signatures", "sites", "declares" };
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi  dbi;

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644),
                     0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        if (!with_hosts && strcmp(dbs[i], "hosts") == 0) {
            continue;
        }
        assert_int_equal(mdb_dbi_open(txn, dbs[i], MDB_CREATE, &dbi), 0);
        if (strcmp(dbs[i], "meta") == 0 && version != NULL) {
            MDB_val k = { 14, (void *) "format_version" };
            MDB_val v = { strlen(version), (void *) version };
            assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
        }
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Puts one record into sub-database "name" (created if missing) of a file. */
static void
db_put(const char *path, const char *name, const char *key, const void *val,
    size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi  dbi;
    MDB_val  k = { strlen(key), (void *) key };
    MDB_val  v = { vlen, (void *) val };

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644),
                     0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, name, MDB_CREATE, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void
expect_load_error(const char *path, const char *fragment)
{
    char err[ERRLEN];

    assert_null(cs_rules_load(path, err, sizeof(err)));
    if (strstr(err, path) == NULL || strstr(err, fragment) == NULL) {
        fail_msg("expected '%s' and the path in: %s", fragment, err);
    }
    assert_null(strchr(err, '\n'));     /* one line */
}

static void
test_loader_errors(void **state)
{
    const fixture_t *fx = *state;
    char             path[160];

    path_in(fx, "v2.mdb", path, sizeof(path));
    write_raw_db(path, "2", true);
    expect_load_error(path, "unsupported rules format_version '2'");

    path_in(fx, "v0.mdb", path, sizeof(path));
    write_raw_db(path, NULL, true);
    expect_load_error(path, "missing meta key 'format_version'");

    path_in(fx, "nohosts.mdb", path, sizeof(path));
    write_raw_db(path, "1", false);
    expect_load_error(path, "missing sub-database 'hosts'");

    path_in(fx, "empty-ok.mdb", path, sizeof(path));
    write_raw_db(path, "1", true);
    char err[ERRLEN];
    cs_rules_t *rules = cs_rules_load(path, err, sizeof(err));
    assert_non_null(rules);                  /* empty but well-formed */
    assert_int_equal(cs_rules_site_cmp_map(rules, 0, "onetrust", "C0002", 5,
                                           NULL, NULL), 0);
    assert_true(cs_rules_is_gpc_category(rules, "advertising"));
    assert_int_equal(cs_rules_recipient_count(rules), 0);
    assert_int_equal(host(rules, "a.example.com"), -1);
    assert_false(cs_rules_is_category(rules, "analytics", 9));
    cs_rules_free(rules);

    /* meta/gpc_categories written by another tool: checked like the rules */
    static const struct {
        const char *value;
        size_t      len;
        const char *error;
    } gpc[] = {
        { "marketing", 10, "meta gpc_categories: 'marketing' is not a "
                           "category of these rules" },
        { "Analytics", 10, "'Analytics' is not a category" },
        { "analytics\0\0", 11, "'' is not a category" },
        { "analytics", 9, "gpc_categories: malformed value" },
        { "", 0, "gpc_categories: malformed value" },
        { "analytics\0analytics", 20, "gpc_categories: malformed value" },
    };
    for (size_t i = 0; i < sizeof(gpc) / sizeof(gpc[0]); i++) {
        path_in(fx, "gpc.mdb", path, sizeof(path));
        unlink(path);
        assert_int_equal(cs_compile(FIXTURES "minimal.yaml", path, err,
                                    sizeof(err)), CS_COMPILE_OK);
        db_put(path, "meta", "gpc_categories", gpc[i].value, gpc[i].len);
        expect_load_error(path, gpc[i].error);
    }

    /* cmp_maps records written by another tool (minimal.yaml: site shop,
       recipient alpha, category analytics) */
    static const struct {
        const char *key;
        const char *value;
        size_t      len;
    } maps[] = {
        { "nosite/onetrust/C0002", "alpha", 6 },
        { "shop/onetrust", "alpha", 6 },
        { "shop//C0002", "alpha", 6 },
        { "shop/One Trust/C0002", "alpha", 6 },
        { "shop/onetrust/", "alpha", 6 },
        { "shop/onetrust/C 2", "alpha", 6 },
        { "shop/onetrust/"
          "a234567890123456789012345678901234567890123456789012345678901234",
          "alpha", 6 },
        { "shop/onetrust/C0002", "gamma", 6 },
        { "shop/onetrust/C0002", "alpha", 5 },
        { "shop/onetrust/C0002", "", 0 },
        { "shop/onetrust/C0002", "alpha\0", 7 },
        { "shop/onetrust/C0002", "\0alpha", 7 },
    };
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        path_in(fx, "maps.mdb", path, sizeof(path));
        unlink(path);
        assert_int_equal(cs_compile(FIXTURES "minimal.yaml", path, err,
                                    sizeof(err)), CS_COMPILE_OK);
        db_put(path, "cmp_maps", maps[i].key, maps[i].value, maps[i].len);
        expect_load_error(path, "consent manager map");
    }

    /* the message names the record */
    path_in(fx, "maps.mdb", path, sizeof(path));
    unlink(path);
    assert_int_equal(cs_compile(FIXTURES "minimal.yaml", path, err,
                                sizeof(err)), CS_COMPILE_OK);
    db_put(path, "cmp_maps", "shop/usercentrics/Google Analytics", "alpha",
           6);
    expect_load_error(path, "consent manager map 'shop/usercentrics/Google "
                      "Analytics'");

    /* a format this compiler does not write, a 63-byte name: accepted */
    unlink(path);
    assert_int_equal(cs_compile(FIXTURES "minimal.yaml", path, err,
                                sizeof(err)), CS_COMPILE_OK);
    db_put(path, "cmp_maps", "shop/usercentrics/GoogleAnalytics", "alpha\0"
           "analytics", 16);
    db_put(path, "cmp_maps", "shop/onetrust/"
           "a23456789012345678901234567890123456789012345678901234567890123",
           "alpha", 6);
    rules = cs_rules_load(path, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("%s", err);
    }
    targets_t t;
    assert_string_equal(cmp_map(rules, "shop", "usercentrics",
                                "GoogleAnalytics", &t), "alpha,analytics");
    assert_int_equal(cs_rules_site_cmp_map(rules, 0, "onetrust",
        "a23456789012345678901234567890123456789012345678901234567890123",
        63, NULL, NULL), 1);
    cs_rules_free(rules);

    path_in(fx, "text.mdb", path, sizeof(path));
    write_file(path, "this is not an LMDB file, just some text padding it "
               "out a little so it is not empty at all.\n");
    expect_load_error(path, "not an LMDB rules database");

    path_in(fx, "missing.mdb", path, sizeof(path));
    expect_load_error(path, "No such file or directory");

    cs_rules_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* declaration order */

static const char order_yaml[] =
    "recipients:\n"
    "  - {id: alpha, name: Alpha, category: analytics, sent: [a1, a2],\n"
    "     purpose: Alpha purpose, hosts: [alpha.example.com]}\n"
    "  - {id: beta, name: Beta, category: advertising,\n"
    "     hosts: [beta.example.com]}\n"
    "  - {id: gamma, name: Gamma, category: social,\n"
    "     hosts: [gamma.example.com]}\n"
    "sites:\n"
    "  - id: shop\n"
    "    name: Shop\n"
    "    declares:\n"
    "      - gamma\n"
    "      - {recipient: alpha, service: Tags, category: functional,\n"
    "         sent: [s1], purpose: Shop purpose}\n"
    "      - beta\n"
    "  - id: blog\n"
    "    name: Blog\n"
    "    declares: [beta, alpha]\n";

static void
test_declaration_order(void **state)
{
    const fixture_t        *fx = *state;
    char                    db[160], old[160], err[ERRLEN], got[128];
    const cs_declaration_t *d;
    cs_rules_t             *rules;

    path_in(fx, "order.mdb", db, sizeof(db));
    assert_int_equal(compile_text(fx, "order.yaml", order_yaml, db, err),
                     CS_COMPILE_OK);
    rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);
    assert_string_equal(declaration_order(rules, "shop", got, sizeof(got)),
                        "gamma,alpha,beta");
    assert_string_equal(declaration_order(rules, "blog", got, sizeof(got)),
                        "beta,alpha");

    /* per-declaration fields: overrides, else the recipient's */
    int32_t shop = cs_rules_site_find(rules, "shop", 4);
    assert_int_equal(cs_rules_site_declarations(rules, (uint32_t) shop, &d),
                     3);
    assert_int_equal(d[1].recipient, rid(rules, "alpha"));
    assert_string_equal(d[1].service, "Tags");
    assert_string_equal(d[1].category, "functional");
    assert_string_equal(d[1].sent, "s1");
    assert_string_equal(d[1].purpose, "Shop purpose");
    assert_string_equal(d[0].category, "social");
    assert_string_equal(d[2].service, "");
    /* lookups by recipient still find the override */
    assert_string_equal(cs_rules_declared_category(rules, (uint32_t) shop,
                                                   (uint32_t) rid(rules,
                                                                  "alpha")),
                        "functional");
    assert_true(cs_rules_site_declares(rules, (uint32_t) shop,
                                       (uint32_t) rid(rules, "beta")));
    int32_t blog = cs_rules_site_find(rules, "blog", 4);
    assert_false(cs_rules_site_declares(rules, (uint32_t) blog,
                                        (uint32_t) rid(rules, "gamma")));
    assert_string_equal(cs_rules_declared_category(rules, (uint32_t) blog,
                                                   (uint32_t) rid(rules,
                                                                  "alpha")),
                        "analytics");
    cs_rules_free(rules);

    /* the order is stored as the declares value's fifth field */
    path_in(fx, "order.txt", got, sizeof(got));
    FILE *fp = fopen(got, "w");
    assert_non_null(fp);
    assert_int_equal(cs_dump(db, fp, err, sizeof(err)), CS_COMPILE_OK);
    fclose(fp);
    size_t len;
    char  *text = read_file(got, &len);
    assert_non_null(strstr(text, "\nsite shop\n  name: Shop\n"
                                 "  declares alpha\n    service: Tags\n"
                                 "    category: functional\n    sent: s1\n"
                                 "    purpose: Shop purpose\n    order: 1\n"
                                 "  declares beta\n    order: 2\n"
                                 "  declares gamma\n    order: 0\n"));
    free(text);

    /* compiled before the order was stored: recipient id order */
    path_in(fx, "order-old.mdb", old, sizeof(old));
    unlink(old);
    copy_as_old_file(db, old);
    rules = cs_rules_load(old, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("%s", err);
    }
    assert_string_equal(declaration_order(rules, "shop", got, sizeof(got)),
                        "alpha,beta,gamma");
    assert_string_equal(declaration_order(rules, "blog", got, sizeof(got)),
                        "alpha,beta");
    cs_rules_free(rules);

    /* written by another tool: ordered ones first, then the others by id */
    unlink(old);
    copy_as_old_file(db, old);
    db_put(old, "declares", "shop/gamma", "\0\0\0\0" "7", 6);
    db_put(old, "declares", "shop/beta", "\0\0\0\0" "4294967294", 15);
    rules = cs_rules_load(old, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("%s", err);
    }
    assert_string_equal(declaration_order(rules, "shop", got, sizeof(got)),
                        "gamma,beta,alpha");
    cs_rules_free(rules);

    /* a malformed or repeated order is refused */
    static const struct {
        const char *value;
        size_t      len;
        const char *error;
    } bad[] = {
        { "\0\0\0\0\0", 5, "declaration 'shop/beta' names an unknown" },
        { "\0\0\0\0x\0", 6, "declaration 'shop/beta' names an unknown" },
        { "\0\0\0\0-1\0", 7, "declaration 'shop/beta' names an unknown" },
        { "\0\0\0\0" "4294967295", 15, "declaration 'shop/beta'" },
        { "\0\0\0\0" "00000000001", 16, "declaration 'shop/beta'" },
        { "\0\0\0\0" "0", 6, "site 'shop' has two declarations with "
                                "order 0" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unlink(db);
        assert_int_equal(compile_text(fx, "order.yaml", order_yaml, db, err),
                         CS_COMPILE_OK);
        db_put(db, "declares", "shop/beta", bad[i].value, bad[i].len);
        expect_load_error(db, bad[i].error);
    }
}

/* ---------------------------------------------------------------------- */
/* per-site recipient sets */

/* A set as "id,id" in index order ("" for none, "NULL" for no set). */
static const char *
set_ids(const cs_rules_t *rules, const uint64_t *set, char *out,
    size_t outlen)
{
    size_t used = 0;

    if (set == NULL) {
        return "NULL";
    }
    out[0] = '\0';
    for (uint32_t r = 0; r < cs_rules_recipient_count(rules); r++) {
        if (cs_bitset_test(set, r)) {
            used += (size_t) snprintf(out + used, outlen - used, "%s%s",
                                      used ? "," : "",
                                      cs_rules_recipient(rules, r)->id);
            assert_true(used < outlen);
        }
    }
    return out;
}

static const char *
category_ids(const cs_rules_t *rules, const char *site, const char *cat,
    uint32_t want_count, char *out, size_t outlen)
{
    uint32_t        count = 99;
    const uint64_t *set = cs_rules_site_category_set(
        rules, (uint32_t) cs_rules_site_find(rules, site, strlen(site)), cat,
        strlen(cat), &count);

    assert_int_equal(count, want_count);
    return set_ids(rules, set, out, outlen);
}

static void
test_site_sets(void **state)
{
    const fixture_t *fx = *state;
    char             db[160], b[256];
    cs_rules_t      *rules = load_site_consent(fx, db, sizeof(db));
    uint32_t         shop = (uint32_t) cs_rules_site_find(rules, "shop", 4);
    uint32_t         blog = (uint32_t) cs_rules_site_find(rules, "blog", 4);

    assert_int_equal(cs_rules_set_words(rules), 1);
    assert_string_equal(set_ids(rules, cs_rules_site_declared_set(rules,
                                shop), b, sizeof(b)), "alpha,beta,gamma");
    assert_string_equal(set_ids(rules, cs_rules_site_declared_set(rules,
                                blog), b, sizeof(b)), "alpha,gamma");

    /* categories as declared: shop overrides gamma (social) to functional */
    assert_string_equal(category_ids(rules, "shop", "analytics", 1, b,
                                     sizeof(b)), "alpha");
    assert_string_equal(category_ids(rules, "shop", "advertising", 1, b,
                                     sizeof(b)), "beta");
    assert_string_equal(category_ids(rules, "shop", "functional", 1, b,
                                     sizeof(b)), "gamma");
    assert_string_equal(category_ids(rules, "shop", "social", 0, b,
                                     sizeof(b)), "NULL");
    assert_string_equal(category_ids(rules, "blog", "social", 1, b,
                                     sizeof(b)), "gamma");
    assert_string_equal(category_ids(rules, "blog", "advertising", 0, b,
                                     sizeof(b)), "NULL");
    assert_string_equal(category_ids(rules, "blog", "Analytics", 0, b,
                                     sizeof(b)), "NULL");   /* exact bytes */
    assert_string_equal(category_ids(rules, "blog", "analytic", 0, b,
                                     sizeof(b)), "NULL");

    /* GPC (gpc_categories: advertising, functional): as declared */
    assert_string_equal(set_ids(rules, cs_rules_site_gpc_set(rules, shop), b,
                                sizeof(b)), "beta,gamma");
    assert_string_equal(set_ids(rules, cs_rules_site_gpc_set(rules, blog), b,
                                sizeof(b)), "");

    /* unknown site, NULL rules */
    uint32_t n = cs_rules_site_count(rules), count = 7;
    assert_null(cs_rules_site_declared_set(rules, n));
    assert_null(cs_rules_site_gpc_set(rules, n));
    assert_null(cs_rules_site_category_set(rules, n, "analytics", 9, &count));
    assert_int_equal(count, 0);
    assert_null(cs_rules_site_declared_set(NULL, 0));
    assert_int_equal(cs_rules_set_words(NULL), 0);
    assert_false(cs_rules_site_declares(rules, n, 0));
    assert_false(cs_rules_site_declares(rules, shop,
                                        cs_rules_recipient_count(rules)));
    cs_rules_free(rules);
}

static const char *const synth_categories[] = {
    "analytics", "advertising", "functional", "social", "measurement",
};
#define SYNTH_NCATS (sizeof(synth_categories) / sizeof(synth_categories[0]))

/*
 * Writes a rule file of nrec recipients with hosts_per host suffixes each
 * (r00000.example, h1.r00000.example, ...) and nsites sites declaring
 * every step-th recipient from an offset, every 7th with a category
 * override, in a scrambled order.
 */
static void
write_synthetic(const char *path, unsigned nrec, unsigned hosts_per,
    unsigned nsites)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fprintf(fp, "gpc_categories: [advertising, social]\nrecipients:\n");
    for (unsigned r = 0; r < nrec; r++) {
        fprintf(fp, "  - id: r%05u\n    name: \"Recipient %u K.K.\"\n"
                "    category: %s\n    sent: [\"client id\", \"pages\"]\n"
                "    purpose: \"Purpose text of recipient %u.\"\n"
                "    hosts:\n", r, r, synth_categories[r % SYNTH_NCATS], r);
        for (unsigned h = 0; h < hosts_per; h++) {
            if (h == 0) {
                fprintf(fp, "      - r%05u.example\n", r);
            } else {
                fprintf(fp, "      - h%u.r%05u.example\n", h, r);
            }
        }
    }
    fprintf(fp, "sites:\n");
    for (unsigned s = 0; s < nsites; s++) {
        unsigned step = 1 + s % 5;

        fprintf(fp, "  - id: site%u\n    name: Site %u\n    declares:\n",
                s, s);
        for (unsigned k = 0, i = 0; k < nrec; k += step, i++) {
            /* scrambled: a multiplicative walk over the chosen indexes */
            unsigned r = (unsigned) (((unsigned long) k * 7919u
                                      + s) % nrec);
            if (i % 7 == 3) {
                fprintf(fp, "      - {recipient: r%05u, category: %s}\n", r,
                        synth_categories[(r + 1) % SYNTH_NCATS]);
            } else {
                fprintf(fp, "      - r%05u\n", r);
            }
        }
    }
    assert_int_equal(fclose(fp), 0);
}

/*
 * At scale: 2,100 recipients (33 words per set) with 10 host suffixes each
 * (21,000) and 13 sites with overrides. Every host finds its recipient and
 * every set equals what the declarations say, bit for bit. The load time
 * is printed, not asserted (shared machines are noisy).
 */
static void
test_site_sets_many(void **state)
{
    const fixture_t *fx = *state;
    char             src[160], db[160], err[ERRLEN], name[64];
    struct timespec  t0, t1;
    enum { NREC = 2100, HOSTS = 10 };

    path_in(fx, "synth.yaml", src, sizeof(src));
    path_in(fx, "synth.mdb", db, sizeof(db));
    write_synthetic(src, NREC, HOSTS, 13);
    if (cs_compile(src, db, err, sizeof(err)) != CS_COMPILE_OK) {
        fail_msg("%s", err);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(rules);
    print_message("loaded %d recipients, %d host suffixes, 13 sites in "
                  "%.1f ms\n", NREC, NREC * HOSTS,
                  (double) (t1.tv_sec - t0.tv_sec) * 1e3
                  + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_int_equal(cs_rules_recipient_count(rules), NREC);

    for (unsigned r = 0; r < NREC; r++) {
        unsigned h = r % HOSTS;

        if (h == 0) {
            snprintf(name, sizeof(name), "www.r%05u.example", r);
        } else {
            snprintf(name, sizeof(name), "a.h%u.r%05u.example", h, r);
        }
        assert_int_equal(host(rules, name), (int32_t) r);
        snprintf(name, sizeof(name), "h%u.r%05u.example.org", HOSTS, r);
        assert_int_equal(host(rules, name), -1);
    }

    size_t    words = cs_rules_set_words(rules);
    uint64_t *want = calloc(words * (2 + SYNTH_NCATS), sizeof(uint64_t));
    uint32_t  counts[SYNTH_NCATS];

    assert_non_null(want);
    assert_int_equal(words, (NREC + 63) / 64);
    for (uint32_t s = 0; s < cs_rules_site_count(rules); s++) {
        const cs_declaration_t *d;
        uint32_t                n = cs_rules_site_declarations(rules, s, &d);
        uint64_t               *declared = want, *gpc = want + words;

        memset(want, 0, words * (2 + SYNTH_NCATS) * sizeof(uint64_t));
        memset(counts, 0, sizeof(counts));
        assert_true(n >= NREC / 5);
        for (uint32_t i = 0; i < n; i++) {
            size_t c = 0;

            while (c < SYNTH_NCATS
                   && strcmp(synth_categories[c], d[i].category) != 0)
            {
                c++;
            }
            assert_true(c < SYNTH_NCATS);
            cs_bitset_set(declared, d[i].recipient);
            cs_bitset_set(want + words * (2 + c), d[i].recipient);
            counts[c]++;
            if (strcmp(d[i].category, "advertising") == 0
                || strcmp(d[i].category, "social") == 0)
            {
                cs_bitset_set(gpc, d[i].recipient);
            }
        }
        assert_memory_equal(cs_rules_site_declared_set(rules, s), declared,
                            words * sizeof(uint64_t));
        assert_memory_equal(cs_rules_site_gpc_set(rules, s), gpc,
                            words * sizeof(uint64_t));
        for (size_t c = 0; c < SYNTH_NCATS; c++) {
            uint32_t        count;
            const uint64_t *set = cs_rules_site_category_set(
                rules, s, synth_categories[c], strlen(synth_categories[c]),
                &count);

            assert_int_equal(count, counts[c]);
            if (counts[c] == 0) {
                assert_null(set);
                continue;
            }
            assert_non_null(set);
            assert_memory_equal(set, want + words * (2 + c),
                                words * sizeof(uint64_t));
        }
        /* and the per-recipient queries agree */
        for (uint32_t r = 0; r < NREC; r += 13) {
            assert_int_equal(cs_rules_site_declares(rules, s, r),
                             cs_bitset_test(declared, r));
        }
    }
    free(want);
    cs_rules_free(rules);
}

/* ---------------------------------------------------------------------- */
/* generation */

static const char generation_yaml[] =
    "recipients:\n"
    "  - id: alpha\n"
    "    name: Alpha\n"
    "    category: analytics\n"
    "    purpose: Measures visits.\n"
    "    hosts: [alpha.example.com]\n"
    "sites:\n"
    "  - id: shop\n"
    "    name: Shop\n"
    "    declares: [alpha]\n";

/* Compiles yaml (as file NAME) into DB.mdb, returns its generation copied. */
static void
generation_of(const fixture_t *fx, const char *name, const char *yaml,
    char out[CS_RULES_GENERATION_LEN + 1])
{
    char        db[160], file[64], err[ERRLEN];
    cs_rules_t *rules;

    snprintf(file, sizeof(file), "%s.mdb", name);
    path_in(fx, file, db, sizeof(db));
    if (compile_text(fx, name, yaml, db, err) != CS_COMPILE_OK) {
        fail_msg("compiling %s: %s", name, err);
    }
    rules = cs_rules_load(db, err, sizeof(err));
    if (rules == NULL) {
        fail_msg("loading %s: %s", db, err);
    }
    assert_int_equal(strlen(cs_rules_generation(rules)),
                     CS_RULES_GENERATION_LEN);
    memcpy(out, cs_rules_generation(rules), CS_RULES_GENERATION_LEN + 1);
    cs_rules_free(rules);
    for (size_t i = 0; i < CS_RULES_GENERATION_LEN; i++) {
        assert_non_null(strchr("0123456789abcdef", out[i]));
    }
}

static void
test_generation(void **state)
{
    const fixture_t *fx = *state;
    char             a[17], b[17], c[17], d[17], db[160], err[ERRLEN];
    char            *changed = strdup(generation_yaml);
    char            *p;

    assert_non_null(changed);
    /* the same source under another name (and at another time): same id */
    generation_of(fx, "gen-a.yaml", generation_yaml, a);
    generation_of(fx, "gen-b.yaml", generation_yaml, b);
    assert_string_equal(a, b);

    /* one byte of a purpose text: another id */
    p = strstr(changed, "visits.");
    assert_non_null(p);
    p[6] = '!';
    generation_of(fx, "gen-c.yaml", changed, c);
    assert_string_not_equal(a, c);

    /* a change elsewhere (a host suffix): yet another id */
    free(changed);
    changed = strdup(generation_yaml);
    assert_non_null(changed);
    p = strstr(changed, "hosts: [alpha.example.com]");
    assert_non_null(p);
    memcpy(p, "hosts: [alpha.example.org]", 26);
    generation_of(fx, "gen-d.yaml", changed, d);
    assert_string_not_equal(a, d);
    assert_string_not_equal(c, d);
    free(changed);

    /* the dump prints it */
    char  out[160];
    size_t len;
    path_in(fx, "gen-a.yaml.mdb", db, sizeof(db));
    path_in(fx, "gen.txt", out, sizeof(out));
    FILE *fp = fopen(out, "w");
    assert_non_null(fp);
    assert_int_equal(cs_dump(db, fp, err, sizeof(err)), CS_COMPILE_OK);
    fclose(fp);
    char *text = read_file(out, &len);
    char  line[64];
    snprintf(line, sizeof(line), "\ngeneration: %s\n", a);
    assert_non_null(strstr(text, line));
    free(text);

    /* written by another tool: 16 lowercase hex digits or refused */
    static const char *const bad[] = {
        "", "0123456789abcde", "0123456789abcdef0", "0123456789ABCDEF",
        "0123456789abcdeg", "0123456789abcde\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        path_in(fx, "gen-bad.mdb", db, sizeof(db));
        unlink(db);
        assert_int_equal(cs_compile(FIXTURES "minimal.yaml", db, err,
                                    sizeof(err)), CS_COMPILE_OK);
        db_put(db, "meta", "generation", bad[i], strlen(bad[i]));
        expect_load_error(db, "meta generation: malformed value");
    }

    assert_string_equal(cs_rules_generation(NULL), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ana_recipients),
        cmocka_unit_test(test_ana_every_recipient_has_hosts),
        cmocka_unit_test(test_ana_sites_declare_exactly_the_table),
        cmocka_unit_test(test_ana_declaration_order),
        cmocka_unit_test(test_ana_declared_categories),
        cmocka_unit_test(test_ana_host_lookup),
        cmocka_unit_test(test_path_patterns),
        cmocka_unit_test(test_ana_signatures),
        cmocka_unit_test(test_ana_host_label),
        cmocka_unit_test(test_ana_signature_offsets),
        cmocka_unit_test(test_ana_signature_prefilter_limit),
        cmocka_unit_test(test_ana_dump),
        cmocka_unit_test(test_bad_sources_leave_db_untouched),
        cmocka_unit_test(test_missing_source_is_io_error),
        cmocka_unit_test(test_inline_validation),
        cmocka_unit_test(test_host_normalisation_and_overrides),
        cmocka_unit_test(test_many_hosts),
        cmocka_unit_test(test_many_signatures),
        cmocka_unit_test(test_gpc_categories),
        cmocka_unit_test(test_defaults_without_new_keys),
        cmocka_unit_test(test_cmp_maps),
        cmocka_unit_test(test_cmp_map_target_declared_later),
        cmocka_unit_test(test_old_file_without_cmp_maps),
        cmocka_unit_test(test_loader_errors),
        cmocka_unit_test(test_generation),
        cmocka_unit_test(test_declaration_order),
        cmocka_unit_test(test_site_sets),
        cmocka_unit_test(test_site_sets_many),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * cs_import_entities() and cs_compile_sources(): the library calls behind
 * `consentctl import-entities` and `consentctl compile A B ...`, here so
 * that `make asan` runs them under AddressSanitizer (t/085-import.t covers
 * the command line).
 */

#include "test_support.h"

#include "cs_import.h"

#define FIXTURE    "t/import/services.json"
#define ANA_RULES  "rules/ana.yaml"

/* Imports src (excluding the ANA rules) into path; returns the rc. */
static int
import_to(const char *src, const char *path, char *err, size_t errlen)
{
    const char *excludes[] = { ANA_RULES };
    FILE       *f = fopen(path, "w");
    int         rc;

    assert_non_null(f);
    rc = cs_import_entities(src, excludes, 1, f, err, errlen);
    assert_int_equal(fclose(f), 0);
    return rc;
}

static int32_t
host_owner(const cs_rules_t *rules, const char *host)
{
    return cs_rules_match_host(rules, host, strlen(host));
}

static void
test_import_compiles_with_ana(void **state)
{
    char         yaml[128], db[128], err[4096];
    const char  *srcs[2] = { ANA_RULES, yaml };
    cs_rules_t  *rules;

    (void) state;
    ts_tmp_path(yaml, sizeof(yaml), "imported.yaml");
    ts_tmp_path(db, sizeof(db), "rules.mdb");
    assert_int_equal(import_to(FIXTURE, yaml, err, sizeof(err)),
                     CS_COMPILE_OK);
    assert_int_equal(cs_compile_sources(srcs, 2, db, err, sizeof(err)),
                     CS_COMPILE_OK);
    rules = cs_rules_load(db, err, sizeof(err));
    assert_non_null(rules);

    /* imported hosts go to the imported recipients ... */
    int32_t r = host_owner(rules, "cdn.adnexus-tracker.com");
    assert_true(r >= 0);
    assert_string_equal(cs_rules_recipient(rules, (uint32_t) r)->id,
                        "adnexus-example");
    assert_string_equal(cs_rules_recipient(rules, (uint32_t) r)->category,
                        "advertising");
    r = host_owner(rules, "pixelcount.io");
    assert_true(r >= 0);
    assert_string_equal(cs_rules_recipient(rules, (uint32_t) r)->id,
                        "pixel-count");

    /* ... the ANA ones stay ANA's, also under their suffixes */
    r = host_owner(rules, "www.googletagmanager.com");
    assert_true(r >= 0);
    assert_string_equal(cs_rules_recipient(rules, (uint32_t) r)->id,
                        "google");
    r = host_owner(rules, "stats.g.doubleclick.net");
    assert_true(r >= 0);
    assert_string_equal(cs_rules_recipient(rules, (uint32_t) r)->id,
                        "google");

    /* declared by no site */
    int32_t site = cs_rules_site_find(rules, "air-booking", 11);
    int32_t imported = cs_rules_recipient_find(rules, "adnexus-example", 15);

    assert_true(site >= 0 && imported >= 0);
    assert_false(cs_rules_site_declares(rules, (uint32_t) site,
                                        (uint32_t) imported));
    cs_rules_free(rules);
}

static void
test_import_is_deterministic(void **state)
{
    char   a[128], b[128], err[4096];
    char  *x, *y;
    size_t xl, yl;

    (void) state;
    ts_tmp_path(a, sizeof(a), "a.yaml");
    ts_tmp_path(b, sizeof(b), "b.yaml");
    assert_int_equal(import_to(FIXTURE, a, err, sizeof(err)), CS_COMPILE_OK);
    assert_int_equal(import_to(FIXTURE, b, err, sizeof(err)), CS_COMPILE_OK);
    assert_int_equal(cs_read_file(a, &x, &xl, err, sizeof(err)), 0);
    ts_track(x);
    assert_int_equal(cs_read_file(b, &y, &yl, err, sizeof(err)), 0);
    ts_track(y);
    assert_int_equal(xl, yl);
    assert_memory_equal(x, y, xl);
    assert_null(strstr(x, "criteo"));        /* all its domains are ANA's */
}

static void
test_import_errors(void **state)
{
    char json[128], out[128], err[4096];

    (void) state;
    ts_tmp_path(json, sizeof(json), "bad.json");
    ts_tmp_path(out, sizeof(out), "bad.yaml");

    ts_write_file(json, "{\"categories\": {\"Advertising\": [\n"
                        "  {\"X\": {\"https://x/\": [\"x.com\",]}}\n]}}\n");
    assert_int_equal(import_to(json, out, err, sizeof(err)),
                     CS_COMPILE_INVALID);
    assert_non_null(strstr(err, "bad.json:2:"));
    assert_non_null(strstr(err, "JSON syntax error"));

    ts_write_file(json, "{\"categories\": {\"Advertising\": [\n"
                        "  {\"X\": {\"https://x/\": [\"x .com\"]}}\n]}}\n");
    assert_int_equal(import_to(json, out, err, sizeof(err)),
                     CS_COMPILE_INVALID);
    assert_non_null(strstr(err, "bad.json:2:"));
    assert_non_null(strstr(err, "contains whitespace"));

    /* everything excluded: nothing to import */
    ts_write_file(json, "{\"categories\": {\"Advertising\": [\n"
                        "  {\"G\": {\"https://g/\": [\"doubleclick.net\"]}}\n"
                        "]}}\n");
    assert_int_equal(import_to(json, out, err, sizeof(err)),
                     CS_COMPILE_INVALID);
    assert_non_null(strstr(err, "no entity is left"));

    ts_tmp_path(json, sizeof(json), "missing.json");
    assert_int_equal(import_to(json, out, err, sizeof(err)), CS_COMPILE_IO);
}

static void
test_compile_sources_clashes(void **state)
{
    char         a[128], b[128], db[128], err[4096];
    const char  *srcs[2] = { a, b };

    (void) state;
    ts_tmp_path(a, sizeof(a), "a.yaml");
    ts_tmp_path(b, sizeof(b), "b.yaml");
    ts_tmp_path(db, sizeof(db), "clash.mdb");
    ts_write_file(a, "recipients:\n"
                     "  - id: alpha\n"
                     "    name: Alpha\n"
                     "    category: analytics\n"
                     "    hosts: [alpha.example, shared.example]\n"
                     "sites:\n"
                     "  - id: one\n"
                     "    name: One\n"
                     "    declares: [beta]\n");
    ts_write_file(b, "recipients:\n"
                     "  - id: beta\n"
                     "    name: Beta\n"
                     "    category: advertising\n"
                     "    hosts: [beta.example]\n");

    /* a site of one file declares a recipient of the other */
    assert_int_equal(cs_compile_sources(srcs, 2, db, err, sizeof(err)),
                     CS_COMPILE_OK);

    ts_write_file(b, "recipients:\n"
                     "  - id: alpha\n"
                     "    name: Again\n"
                     "    category: analytics\n"
                     "    hosts: [again.example]\n"
                     "  - id: gamma\n"
                     "    name: Gamma\n"
                     "    category: analytics\n"
                     "    hosts: [Shared.Example]\n");
    assert_int_equal(unlink(db), 0);
    assert_int_equal(cs_compile_sources(srcs, 2, db, err, sizeof(err)),
                     CS_COMPILE_INVALID);
    assert_non_null(strstr(err, "b.yaml:2:9: duplicate recipient id 'alpha' "
                                "(first defined at "));
    assert_non_null(strstr(err, "a.yaml:2)"));
    assert_non_null(strstr(err, "b.yaml:9:13: host suffix 'shared.example' "
                                "already belongs to recipient 'alpha' "
                                "(first defined at "));
    assert_non_null(strstr(err, "a.yaml:5)"));
    assert_int_equal(access(db, F_OK), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_compiles_with_ana),
        cmocka_unit_test(test_import_is_deterministic),
        cmocka_unit_test(test_import_errors),
        cmocka_unit_test(test_compile_sources_clashes),
    };

    return cmocka_run_group_tests(tests, ts_tmp_setup, ts_tmp_teardown);
}

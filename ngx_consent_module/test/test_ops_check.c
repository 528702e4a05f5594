/*
 * cs_ops_check_sources(): `consentctl check` on several rule files compiled
 * together, each finding named with the file and line it stands at; here so
 * that `make asan` runs it under AddressSanitizer (t/080-consentctl.t covers
 * the command line).
 */

#include "test_support.h"

#include "cs_ops.h"

/* Runs the check on srcs; returns its rc, *report the lines it wrote. */
static int
check(const char *const *srcs, size_t nsrcs, char *report, size_t len,
    char *err, size_t errlen)
{
    FILE *out;
    int   rc;

    report[0] = '\0';                  /* glibc's "w" does not truncate */
    out = fmemopen(report, len, "w");
    assert_non_null(out);
    err[0] = '\0';
    rc = cs_ops_check_sources(srcs, nsrcs, out, err, errlen);
    assert_int_equal(fclose(out), 0);
    return rc;
}

/* The report holds (present) or lacks the text fmt makes. */
static void
expect_text(const char *report, bool present, const char *fmt, ...)
{
    char     want[512];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    if ((strstr(report, want) != NULL) != present) {
        fail_msg("report %s \"%s\":\n%s", present ? "lacks" : "holds", want,
                 report);
    }
}

/* a.yaml: alpha and the site; line numbers below refer to these texts */
static const char a_yaml[] =
    "recipients:\n"                                 /* 1 */
    "  - id: alpha\n"                               /* 2 */
    "    name: Alpha\n"                             /* 3 */
    "    category: analytics\n"                     /* 4 */
    "    sent: [cookie]\n"                          /* 5 */
    "    purpose: measurement\n"                    /* 6 */
    "    hosts: [alpha-cdn.example]\n"              /* 7 */
    "sites:\n"                                      /* 8 */
    "  - id: one\n"                                 /* 9 */
    "    name: One\n"                               /* 10 */
    "    declares: [alpha, beta]\n";                /* 11 */

static void
test_check_clean_sources(void **state)
{
    char         a[128], b[128], report[4096], err[4096];
    const char  *srcs[2] = { a, b };

    (void) state;
    ts_tmp_path(a, sizeof(a), "a.yaml");
    ts_tmp_path(b, sizeof(b), "b.yaml");
    ts_write_file(a, a_yaml);
    ts_write_file(b, "recipients:\n"
                     "  - id: beta\n"
                     "    name: Beta\n"
                     "    category: advertising\n"
                     "    sent: [cookie]\n"
                     "    purpose: ads\n"
                     "    hosts: [beta.example]\n");

    /* the site of a.yaml declares beta of b.yaml: fine together */
    assert_int_equal(check(srcs, 2, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_OK);
    assert_string_equal(report, "");
    assert_string_equal(err, "");

    /* alone, a.yaml declares a recipient nobody defines: a compiler error */
    assert_int_equal(check(srcs, 1, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_FINDINGS);
    assert_non_null(strstr(report, "a.yaml:11:"));
    assert_non_null(strstr(report, "beta"));
}

static void
test_check_findings_per_file(void **state)
{
    char         a[128], b[128], report[8192], err[4096];
    const char  *srcs[2] = { a, b };

    (void) state;
    ts_tmp_path(a, sizeof(a), "a.yaml");
    ts_tmp_path(b, sizeof(b), "b.yaml");
    ts_write_file(a, a_yaml);
    ts_write_file(b, "recipients:\n"                       /* 1 */
                     "  - id: beta\n"                      /* 2 */
                     "    name: Beta\n"                    /* 3 */
                     "    category: advertising\n"         /* 4 */
                     "    hosts:\n"                        /* 5 */
                     "      - beta.example\n"              /* 6 */
                     "      - img.alpha-cdn.example\n"     /* 7 */
                     "    signatures:\n"                   /* 8 */
                     "      - 'beta\\.init'\n"             /* 9 */
                     "      - '(?:a+)+$'\n");              /* 10 */

    assert_int_equal(check(srcs, 2, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_FINDINGS);
    assert_string_equal(err, "");

    /* the overlap at b.yaml's host, naming alpha's suffix in a.yaml */
    expect_text(report, true, "%s:7: warning: host 'img.alpha-cdn.example' "
                "of recipient 'beta' lies under 'alpha-cdn.example' of "
                "recipient 'alpha' at %s:7 (", b, a);

    /* the second signature of beta, in b.yaml */
    expect_text(report, true, "%s:10: error: signature beta:001 is "
                "catastrophic: ", b);

    /* beta has no texts: the declaration in a.yaml's site is empty */
    expect_text(report, true, "%s:11: warning: site 'one' declares 'beta' "
                "with an empty information sent", a);
    expect_text(report, true, "%s:11: warning: site 'one' declares 'beta' "
                "with an empty purpose", a);

    /* nothing is attributed to a file it does not stand in */
    expect_text(report, false, "%s:7: warning", a);
    expect_text(report, false, "%s:10: error", a);
}

static void
test_check_compiler_and_io_errors(void **state)
{
    char         a[128], b[128], missing[128], report[4096], err[4096];
    const char  *srcs[2] = { a, b };
    const char  *with_missing[2] = { a, missing };

    (void) state;
    ts_tmp_path(a, sizeof(a), "a.yaml");
    ts_tmp_path(b, sizeof(b), "b.yaml");
    ts_tmp_path(missing, sizeof(missing), "missing.yaml");
    ts_write_file(a, a_yaml);
    ts_write_file(b, "recipients:\n"
                     "  - id: alpha\n"
                     "    name: Again\n"
                     "    category: analytics\n"
                     "    hosts: [again.example]\n");

    /* the compiler's finding, at the second file's line and column */
    assert_int_equal(check(srcs, 2, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_FINDINGS);
    expect_text(report, true, "%s:2:9: duplicate recipient id 'alpha' "
                "(first defined at %s:2)", b, a);

    /* an unreadable source is an I/O error, nothing is checked */
    assert_int_equal(check(with_missing, 2, report, sizeof(report), err,
                           sizeof(err)), CS_OPS_IO);
    assert_string_equal(report, "");
    assert_non_null(strstr(err, missing));

    assert_int_equal(check(srcs, 0, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_IO);
}

/* Path patterns that take a site's own common files are warned about. */
static void
test_check_paths(void **state)
{
    char         a[128], report[4096], err[4096];
    const char  *srcs[1] = { a };

    (void) state;
    ts_tmp_path(a, sizeof(a), "paths.yaml");
    ts_write_file(a, "recipients:\n"                       /* 1 */
                     "  - id: alpha\n"                     /* 2 */
                     "    name: Alpha\n"                   /* 3 */
                     "    category: analytics\n"           /* 4 */
                     "    sent: [cookie]\n"                /* 5 */
                     "    purpose: measurement\n"          /* 6 */
                     "    paths:\n"                        /* 7 */
                     "      - /AppMeasurement.js\n"        /* 8 */
                     "      - /js/*.js\n"                  /* 9 */
                     "      - /main.js\n"                  /* 10 */
                     "      - /s_code*.js\n"               /* 11 */
                     "sites:\n"
                     "  - id: one\n"
                     "    name: One\n"
                     "    declares: [alpha]\n");

    assert_int_equal(check(srcs, 1, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_FINDINGS);
    assert_string_equal(err, "");
    expect_text(report, true, "%s:9: warning: path '/js/*.js' of recipient "
                "'alpha' matches '/js/app.js'", a);
    expect_text(report, true, "%s:10: warning: path '/main.js' of "
                "recipient 'alpha' matches '/main.js'", a);
    expect_text(report, false, "%s:8:", a);
    expect_text(report, false, "%s:11:", a);

    /* a pattern that is not one is the compiler's error */
    ts_write_file(a, "recipients:\n"
                     "  - id: alpha\n"
                     "    name: Alpha\n"
                     "    category: analytics\n"
                     "    paths: [AppMeasurement.js]\n");
    assert_int_equal(check(srcs, 1, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_FINDINGS);
    assert_non_null(strstr(report, "invalid path pattern 'AppMeasurement.js'"));
}

/* A site's tagging host under a recipient's host suffix is warned about. */
static void
test_check_tagging_hosts(void **state)
{
    char         a[128], report[4096], err[4096];
    const char  *srcs[1] = { a };

    (void) state;
    ts_tmp_path(a, sizeof(a), "tagging.yaml");
    ts_write_file(a, "recipients:\n"                       /* 1 */
                     "  - id: alpha\n"                     /* 2 */
                     "    name: Alpha\n"                   /* 3 */
                     "    category: analytics\n"           /* 4 */
                     "    hosts: [alpha.example]\n"        /* 5 */
                     "  - id: beta\n"                      /* 6 */
                     "    name: Beta\n"                    /* 7 */
                     "    category: analytics\n"           /* 8 */
                     "    hosts: [beta.example]\n"         /* 9 */
                     "sites:\n"                            /* 10 */
                     "  - id: one\n"                       /* 11 */
                     "    name: One\n"                     /* 12 */
                     "    declares: [alpha, beta]\n"       /* 13 */
                     "    tagging_hosts:\n"                /* 14 */
                     "      sgtm.one.example: alpha\n"     /* 15 */
                     "      t.beta.example: alpha\n"       /* 16 */
                     "      t.alpha.example: alpha\n");    /* 17 */

    assert_int_equal(check(srcs, 1, report, sizeof(report), err, sizeof(err)),
                     CS_OPS_FINDINGS);
    assert_string_equal(err, "");
    expect_text(report, true, "%s:11: warning: tagging host 't.beta.example' "
                "of site 'one' (for 'alpha') lies under 'beta.example' of "
                "recipient 'beta': the site's name wins there", a);
    expect_text(report, true, "tagging host 't.alpha.example' of site 'one' "
                "(for 'alpha') lies under 'alpha.example' of recipient "
                "'alpha': it is that recipient's already");
    expect_text(report, false, "'sgtm.one.example'");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_clean_sources),
        cmocka_unit_test(test_check_findings_per_file),
        cmocka_unit_test(test_check_compiler_and_io_errors),
        cmocka_unit_test(test_check_paths),
        cmocka_unit_test(test_check_tagging_hosts),
    };

    return cmocka_run_group_tests(tests, ts_tmp_setup, ts_tmp_teardown);
}

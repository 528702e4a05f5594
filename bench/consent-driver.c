/*
 * Per-request consent decisions for `make bench-scale`: the work the module
 * does before the gate runs (parse the consent cookie into the allowed set
 * of a site; the declared set for neutralize), which depends on the number
 * of recipients, not on the page. Times one case, or all:
 *
 *   build/bench/consent-driver RULES.mdb [CASE|all] [iterations]
 *
 * CASE: list-categories, list-all, list-ids, onetrust, tcf, declared.
 * Under callgrind, --toggle-collect=consent_case counts one case's
 * instructions alone (the load is not counted).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cs_core.h"

typedef struct {
    const char       *name;
    cs_cmp_format_t   format;     /* CS_CMP_LIST: the plain list */
    const char       *value;
} consent_input_t;

static const consent_input_t inputs[] = {
    { "list-categories", CS_CMP_LIST, "analytics,advertising" },
    { "list-all",        CS_CMP_LIST, "all" },
    { "list-ids",        CS_CMP_LIST, "google,meta,criteo" },
    { "onetrust",        CS_CMP_ONETRUST,
      "isGpcEnabled=0&datestamp=Mon+Sep+01+2025&version=202505.1.0"
      "&groups=C0001%3A1%2CC0003%3A1%2CC0002%3A1%2CC0004%3A1" },
    { "tcf",             CS_CMP_TCF,
      "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA" },
    { "declared",        CS_CMP_LIST, NULL },
};

#define NINPUTS  (sizeof(inputs) / sizeof(inputs[0]))

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* One request's decision; returns the number of grants. */
__attribute__((noinline)) static int
consent_case(const cs_rules_t *rules, uint32_t site,
    const consent_input_t *in, uint64_t *allowed, size_t words)
{
    cs_cmp_consent_t c;

    memset(allowed, 0, words * sizeof(*allowed));
    if (in->value == NULL) {
        cs_consent_declared(rules, site, allowed);
        return 1;
    }
    if (in->format == CS_CMP_LIST) {
        return cs_consent_parse_list(rules, site, in->value,
                                     strlen(in->value), allowed);
    }
    if (cs_cmp_parse(in->format, in->value, strlen(in->value), &c) != 0) {
        return -1;
    }
    return cs_consent_apply_cmp(rules, site, in->format, &c, NULL, 0,
                                allowed);
}

int
main(int argc, char **argv)
{
    char         err[256];
    const char  *which = argc > 2 ? argv[2] : "all";
    long         iters = argc > 3 ? atol(argv[3]) : 20000;
    cs_rules_t  *rules;
    int32_t      site;
    bool         any = false;

    if (argc < 2 || iters <= 0) {
        fprintf(stderr, "usage: %s RULES.mdb [CASE|all] [iterations]\n",
                argv[0]);
        return 2;
    }
    if ((rules = cs_rules_load(argv[1], err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    site = cs_rules_site_find(rules, "air-booking", strlen("air-booking"));
    if (site < 0) {
        fprintf(stderr, "%s: no site air-booking\n", argv[1]);
        return 1;
    }

    size_t    words = cs_bitset_words(cs_rules_recipient_count(rules));
    uint64_t *allowed = calloc(words ? words : 1, sizeof(uint64_t));

    if (allowed == NULL) {
        return 1;
    }
    for (size_t k = 0; k < NINPUTS; k++) {
        if (strcmp(which, "all") != 0 && strcmp(which, inputs[k].name) != 0) {
            continue;
        }
        any = true;

        int    grants = 0;
        double t0 = now();

        for (long i = 0; i < iters; i++) {
            grants = consent_case(rules, (uint32_t) site, &inputs[k], allowed,
                                  words);
        }
        printf("%-16s %8.0f ns/request (%d grants)\n", inputs[k].name,
               (now() - t0) / (double) iters * 1e9, grants);
    }
    free(allowed);
    cs_rules_free(rules);
    if (!any) {
        fprintf(stderr, "unknown case '%s'\n", which);
        return 2;
    }
    return 0;
}

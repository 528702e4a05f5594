/*
 * cs_rules_load() cost for `make bench-scale`: loads a rules database
 * repeatedly (as each nginx worker does at start and on reload) and prints
 * the median and minimum wall time per load, and how much the process grew
 * (heap and mappings, from /proc/self/statm) with one database loaded.
 *
 *   build/bench/rules-load RULES.mdb [loads]        (default 20)
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cs_rules.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Resident set size in bytes, or 0 if /proc is unavailable. */
static long
rss_bytes(void)
{
    long  size, resident;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) {
        resident = 0;
    }
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
    char         err[256];
    long         loads = argc > 2 ? atol(argv[2]) : 20;
    double      *t;
    cs_rules_t  *rules;

    if (argc < 2 || loads <= 0 || loads > 100000) {
        fprintf(stderr, "usage: %s RULES.mdb [loads]\n", argv[0]);
        return 2;
    }
    if ((t = calloc((size_t) loads, sizeof(*t))) == NULL) {
        return 1;
    }

    long rss0 = rss_bytes();
    double t0 = now();

    /* the first load, kept: what one worker holds */
    if ((rules = cs_rules_load(argv[1], err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    t[0] = now() - t0;
    long rss1 = rss_bytes();

    for (long i = 1; i < loads; i++) {
        cs_rules_t *r;

        t0 = now();
        if ((r = cs_rules_load(argv[1], err, sizeof(err))) == NULL) {
            fprintf(stderr, "%s: %s\n", argv[1], err);
            return 1;
        }
        t[i] = now() - t0;
        cs_rules_free(r);
    }
    qsort(t, (size_t) loads, sizeof(*t), cmp_double);
    printf("%u recipients, %u sites: load median %.2f ms, min %.2f ms "
           "(%ld loads); RSS +%.1f MB with it loaded\n",
           cs_rules_recipient_count(rules), cs_rules_site_count(rules),
           t[loads / 2] * 1e3, t[0] * 1e3, loads,
           (double) (rss1 - rss0) / (1024.0 * 1024.0));
    cs_rules_free(rules);
    free(t);
    return 0;
}

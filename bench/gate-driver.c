/*
 * Profiling driver for the gate alone (no nginx, no sockets): feeds a page
 * through cs_gate_feed() in fixed-size chunks, as nginx's proxy buffers
 * would, and reports the time per page; then the limit it is measured
 * against, one classification pass over the page's bytes
 * (cs_gate_classify_pass(), the skipper's window load on every 64-byte
 * block), and the ratio of the two; then times the two inline-script
 * matchers alone over the page's inline scripts. Built by `make bench-driver`.
 *
 *   build/bench/gate-driver RULES.mdb PAGE.html [iterations] [chunk] [memo]
 *
 * Run it under perf or `valgrind --tool=callgrind` to see where the gate's
 * time goes; with "memo" last, only the gate with a memo runs many pages
 * (the rest once), so a profile shows that alone. Nothing is allowed: the
 * worst case, as in `make bench`.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cs_gate.h"

static void *
xalloc(void *ctx, size_t size)
{
    (void) ctx;
    return malloc(size);
}

static void
xfree(void *ctx, void *p)
{
    (void) ctx;
    free(p);
}

static int
count_out(void *ud, const unsigned char *p, size_t n, bool held)
{
    (void) p;
    (void) held;
    *(size_t *) ud += n;
    return 0;
}

static void
ignore(void *ud, uint32_t r)
{
    (void) ud;
    (void) r;
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Mean seconds per page over iters pages (*t_min: the fastest), or -1. */
static double
time_gate(cs_gate_t *gate, const cs_gate_conf_t *conf, const char *page,
    long len, long iters, size_t chunk, double *t_min)
{
    double t0 = now();

    for (long i = 0; i < iters; i++) {
        double t_page = now();
        *(size_t *) conf->emit_ud = 0;
        cs_gate_init(gate, conf);
        for (long off = 0; off < len; off += (long) chunk) {
            size_t n = (size_t) (len - off) < chunk ? (size_t) (len - off)
                                                    : chunk;
            if (cs_gate_feed(gate, (const unsigned char *) page + off, n)
                != 0)
            {
                fprintf(stderr, "feed failed\n");
                return -1;
            }
        }
        if (cs_gate_finish(gate) != 0) {
            fprintf(stderr, "finish failed\n");
            return -1;
        }
        cs_gate_cleanup(gate);
        t_page = now() - t_page;
        if (t_page < *t_min) {
            *t_min = t_page;
        }
    }
    return (now() - t0) / (double) iters;
}

int
main(int argc, char **argv)
{
    char         err[256];
    long         iters = argc > 3 ? atol(argv[3]) : 200;
    size_t       chunk = argc > 4 ? (size_t) atol(argv[4]) : 16384;
    /* "memo": a profile of the gate with a memo alone */
    long         rest_iters = argc > 5 && strcmp(argv[5], "memo") == 0
                              ? 1 : iters;
    FILE        *f;
    long         len;
    char        *page;

    if (argc < 3 || iters <= 0 || chunk == 0) {
        fprintf(stderr, "usage: %s RULES.mdb PAGE.html [iterations] [chunk] "
                "[memo]\n",
                argv[0]);
        return 2;
    }

    cs_rules_t *rules = cs_rules_load(argv[1], err, sizeof(err));
    if (rules == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    f = fopen(argv[2], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0) {
        perror(argv[2]);
        return 1;
    }
    rewind(f);
    page = malloc((size_t) len);
    if (page == NULL || fread(page, 1, (size_t) len, f) != (size_t) len) {
        perror(argv[2]);
        return 1;
    }
    fclose(f);

    size_t    words = cs_bitset_words(cs_rules_recipient_count(rules));
    uint64_t *allowed = calloc(words ? words : 1, sizeof(uint64_t));
    uint64_t *blocked = calloc(words ? words : 1, sizeof(uint64_t));
    cs_gate_t *gate = malloc(cs_gate_size());
    size_t    kept = 0;

    cs_gate_conf_t conf = {
        .rules = rules, .allowed = allowed, .blocked = blocked,
        .max_element = 256 * 1024,
        .allocator = { xalloc, xfree, NULL },
        .emit = count_out, .emit_ud = &kept,
    };

    /*
     * 1. the whole gate, without a memo and with one for the run (as an
     * nginx worker keeps one): the first page fills it, the others replay
     * it. The fastest page too, as the machine is shared and the mean
     * carries other processes' time slices.
     */
    double t_min = 1e9;
    double t_gate = time_gate(gate, &conf, page, len, rest_iters, chunk,
                              &t_min);
    if (t_gate < 0) {
        return 1;
    }
    cs_gate_stats_t st = *cs_gate_stats(gate);
    size_t kept_plain = kept;

    unsigned char key[16];
    f = fopen("/dev/urandom", "rb");
    if (f == NULL || fread(key, 1, sizeof(key), f) != sizeof(key)) {
        perror("/dev/urandom");
        return 1;
    }
    fclose(f);
    cs_gate_memo_t *memo = cs_gate_memo_create(rules, key, 1024 * 1024,
                                               &conf.allocator);
    if (memo == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    conf.memo = memo;
    double t_memo_min = 1e9;
    double t_memo = time_gate(gate, &conf, page, len, iters, chunk,
                              &t_memo_min);
    if (t_memo < 0) {
        return 1;
    }
    const cs_gate_stats_t *stm = cs_gate_stats(gate);
    if (kept != kept_plain || stm->bytes_removed != st.bytes_removed
        || stm->elements_removed != st.elements_removed)
    {
        fprintf(stderr, "the gate with a memo kept %zu bytes, without %zu\n",
                kept, kept_plain);
        return 1;
    }

    /* the limit: one classification pass over the page, same measure */
    uint64_t sum = 0;
    double   t_pass_min = 1e9;
    double t0 = now();
    for (long i = 0; i < rest_iters; i++) {
        double t_page = now();
        sum += cs_gate_classify_pass((const unsigned char *) page,
                                     (size_t) len, CS_SIMD_BEST);
        t_page = now() - t_page;
        if (t_page < t_pass_min) {
            t_pass_min = t_page;
        }
    }
    double t_pass = (now() - t0) / (double) rest_iters;

    /* 2. inline script texts (no src attribute), found naively */
    const char *scripts[256];
    size_t      slen[256];
    size_t      nscripts = 0, sbytes = 0;
    const char *p = page, *end = page + len;
    while (nscripts < 256 && (p = memmem(p, (size_t) (end - p), "<script", 7))) {
        const char *gt = memchr(p, '>', (size_t) (end - p));
        if (gt == NULL) {
            break;
        }
        const char *close = memmem(gt, (size_t) (end - gt), "</script>", 9);
        if (close == NULL) {
            break;
        }
        if (memmem(p, (size_t) (gt - p), "src=", 4) == NULL
            && memmem(p, (size_t) (gt - p), "json", 4) == NULL && close > gt + 1)
        {
            scripts[nscripts] = gt + 1;
            slen[nscripts] = (size_t) (close - gt - 1);
            sbytes += slen[nscripts];
            nscripts++;
        }
        p = close + 9;
    }

    t0 = now();
    for (long i = 0; i < rest_iters; i++) {
        for (size_t k = 0; k < nscripts; k++) {
            cs_rules_match_signatures(rules, scripts[k], slen[k], CS_SIMD_BEST,
                                      ignore, NULL);
        }
    }
    double t_sig = (now() - t0) / (double) rest_iters;

    t0 = now();
    for (long i = 0; i < rest_iters; i++) {
        for (size_t k = 0; k < nscripts; k++) {
            cs_scan_text_hosts(rules, scripts[k], slen[k], ignore, NULL);
        }
    }
    double t_hosts = (now() - t0) / (double) rest_iters;

    printf("page %ld bytes, %ld iterations, %zu-byte chunks\n", len, iters,
           chunk);
    printf("gate, no memo: %.1f us/page (%.2f ns/byte, %.0f MB/s), "
           "%llu elements, %llu bytes removed, %zu kept\n",
           t_gate * 1e6, t_gate * 1e9 / (double) len,
           (double) len / t_gate / 1e6,
           (unsigned long long) st.elements_removed,
           (unsigned long long) st.bytes_removed, kept);
    printf("gate, no memo, fastest page: %.1f us/page (%.0f MB/s)\n",
           t_min * 1e6, (double) len / t_min / 1e6);
    const cs_gate_memo_stats_t *ms = cs_gate_memo_stats(memo);
    printf("gate: %.1f us/page (%.0f MB/s; fastest %.1f us), with a memo "
           "for the run: %llu hits, %llu misses, %llu entries, %llu bytes "
           "(same output)\n",
           t_memo * 1e6, (double) len / t_memo / 1e6, t_memo_min * 1e6,
           (unsigned long long) ms->hits, (unsigned long long) ms->misses,
           (unsigned long long) ms->entries, (unsigned long long) ms->bytes);
    printf("classification pass: %.1f us/page (%.0f MB/s; fastest %.1f us), "
           "checksum %016llx\n",
           t_pass * 1e6, (double) len / t_pass / 1e6, t_pass_min * 1e6,
           (unsigned long long) sum);
    printf("gate / pass: %.2f (fastest pages: %.2f; no memo: %.2f; "
           "target <= 2.5, printed, not enforced)\n",
           t_memo / t_pass, t_memo_min / t_pass_min, t_gate / t_pass);
    printf("inline scripts: %zu, %zu bytes\n", nscripts, sbytes);
    printf("  cs_rules_match_signatures: %.1f us/page (%.1f ns/byte of script)\n",
           t_sig * 1e6, t_sig * 1e9 / (double) sbytes);
    printf("  cs_scan_text_hosts:        %.1f us/page (%.1f ns/byte of script)\n",
           t_hosts * 1e6, t_hosts * 1e9 / (double) sbytes);

    cs_gate_memo_free(memo);
    free(gate);
    free(allowed);
    free(blocked);
    free(page);
    cs_rules_free(rules);
    return 0;
}

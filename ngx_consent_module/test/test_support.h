/*
 * Shared helpers for the cmocka unit tests. Every test_*.c is its own
 * binary, so everything here is "static inline" (no unused warnings, no
 * separate object to link).
 *
 *  - ts_rules_setup()/ts_rules_teardown(): cmocka group fixtures compiling
 *    test/rules_test.yaml with cs_compile() into a fresh temp dir and loading
 *    it with cs_rules_load() (ts_rules);
 *  - ts_tmp_setup()/ts_tmp_teardown(): cmocka group fixtures making a
 *    fresh private directory (ts_tmpdir) for a test's files and removing
 *    it; ts_tmp_path() names a file in it, ts_write_file() writes one;
 *  - ts_rid()/ts_allow(): recipient index by id, allowed bitsets from
 *    "id,id" strings;
 *  - ts_gate_run(): runs the gate over an input split by a pattern: every
 *    chunk is copied into a fresh malloc'd buffer, fed, then poisoned and
 *    freed, so a reference the gate keeps past a feed() shows up as a
 *    use-after-free under ASan and as corrupted output without it;
 *  - ts_expect_gate(): asserts the output (and split-independence of stats
 *    and the blocked set) for the whole input, chunks of 1, 2, 3, 7, 64 and
 *    509 bytes and 20 pseudo-random split sequences with fixed seeds.
 */

#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs_compile.h"
#include "cs_gate.h"
#include "cs_rules.h"

#ifndef TS_RULES_YAML
#define TS_RULES_YAML  "ngx_consent_module/test/rules_test.yaml"
#endif

#define TS_MAX_RECIPIENTS  64
#define TS_POISON          0xA5

static cs_rules_t  *ts_rules;
static char         ts_tmpdir[64];

/*
 * Test allocations that must survive a failing assertion (cmocka longjmps
 * out of the test) are tracked and freed at group teardown, so a failing
 * test does not also show up as a leak under ASan.
 */
#define TS_TRACK_MAX  1024
static void   *ts_tracked[TS_TRACK_MAX];
static size_t  ts_ntracked;

static inline void *
ts_track(void *p)
{
    if (p != NULL && ts_ntracked < TS_TRACK_MAX) {
        ts_tracked[ts_ntracked++] = p;
    }
    return p;
}

/* Frees p (tracked or not). */
static inline void
ts_release(void *p)
{
    for (size_t i = 0; i < ts_ntracked; i++) {
        if (ts_tracked[i] == p) {
            ts_tracked[i] = ts_tracked[--ts_ntracked];
            break;
        }
    }
    free(p);
}

static inline void
ts_release_all(void)
{
    while (ts_ntracked > 0) {
        free(ts_tracked[--ts_ntracked]);
    }
}

/* ---- rules ---- */

static inline void
ts_rmtree(const char *dir)
{
    DIR            *d = opendir(dir);
    struct dirent  *e;
    char            path[512];

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Compiles the test YAML into a temp dir; returns the loaded rules or NULL. */
static inline cs_rules_t *
ts_compile_and_load(const char *yaml, char *dir, size_t dirlen)
{
    char  db[512], err[2048];

    snprintf(dir, dirlen, "/tmp/cs_test.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return NULL;
    }
    snprintf(db, sizeof(db), "%s/rules.mdb", dir);
    err[0] = '\0';
    if (cs_compile(yaml, db, err, sizeof(err)) != CS_COMPILE_OK) {
        fprintf(stderr, "cs_compile(%s): %s\n", yaml, err);
        return NULL;
    }
    cs_rules_t *rules = cs_rules_load(db, err, sizeof(err));
    if (rules == NULL) {
        fprintf(stderr, "cs_rules_load(%s): %s\n", db, err);
    }
    return rules;
}

static inline int
ts_rules_setup(void **state)
{
    (void) state;
    ts_rules = ts_compile_and_load(TS_RULES_YAML, ts_tmpdir,
                                   sizeof(ts_tmpdir));
    if (ts_rules == NULL) {
        return -1;
    }
    if (cs_rules_recipient_count(ts_rules) > TS_MAX_RECIPIENTS) {
        fprintf(stderr, "test rules: too many recipients\n");
        return -1;
    }
    return 0;
}

/* ---- scratch directory ---- */

static inline int
ts_tmp_setup(void **state)
{
    (void) state;
    snprintf(ts_tmpdir, sizeof(ts_tmpdir), "/tmp/cs_test.XXXXXX");
    if (mkdtemp(ts_tmpdir) == NULL) {
        perror("mkdtemp");
        ts_tmpdir[0] = '\0';
        return -1;
    }
    return 0;
}

static inline int
ts_tmp_teardown(void **state)
{
    (void) state;
    ts_release_all();
    if (ts_tmpdir[0]) {
        ts_rmtree(ts_tmpdir);
        ts_tmpdir[0] = '\0';
    }
    return 0;
}

/* out = ts_tmpdir/name; fails the test rather than truncate. */
static inline void
ts_tmp_path(char *out, size_t len, const char *name)
{
    assert_true(snprintf(out, len, "%s/%s", ts_tmpdir, name) < (int) len);
}

static inline void
ts_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static inline int
ts_rules_teardown(void **state)
{
    cs_rules_free(ts_rules);
    ts_rules = NULL;
    return ts_tmp_teardown(state);
}

static inline uint32_t
ts_rid(const char *id)
{
    int32_t r = cs_rules_recipient_find(ts_rules, id, strlen(id));
    if (r < 0) {
        fail_msg("unknown recipient id in test: %s", id);
    }
    return (uint32_t) r;
}

static inline uint32_t
ts_site(const char *id)
{
    int32_t s = cs_rules_site_find(ts_rules, id, strlen(id));
    if (s < 0) {
        fail_msg("unknown site id in test: %s", id);
    }
    return (uint32_t) s;
}

/* Sets the bits of a comma-separated list of recipient ids ("" = none). */
static inline void
ts_allow(uint64_t *set, const char *ids)
{
    memset(set, 0, sizeof(uint64_t) * cs_bitset_words(TS_MAX_RECIPIENTS));
    while (ids && *ids) {
        const char *e = strchr(ids, ',');
        size_t      n = e ? (size_t) (e - ids) : strlen(ids);
        char        id[CS_ID_MAX + 1];
        if (n > CS_ID_MAX) {
            fail_msg("id too long");
        }
        memcpy(id, ids, n);
        id[n] = '\0';
        cs_bitset_set(set, ts_rid(id));
        ids = e ? e + 1 : NULL;
    }
}

/* Formats a bitset as "id,id" (sorted by index) for messages/comparisons. */
static inline void
ts_set_names(const uint64_t *set, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    for (uint32_t r = 0; r < cs_rules_recipient_count(ts_rules); r++) {
        if (cs_bitset_test(set, r)) {
            o += (size_t) snprintf(out + o, outlen - o, "%s%s", o ? "," : "",
                                   cs_rules_recipient(ts_rules, r)->id);
            if (o >= outlen) {
                break;
            }
        }
    }
}

/* ---- split patterns ---- */

typedef enum {
    TS_SPLIT_WHOLE = 0,
    TS_SPLIT_FIXED,
    TS_SPLIT_RANDOM
} ts_split_kind_t;

typedef struct {
    ts_split_kind_t  kind;
    size_t           size;     /* TS_SPLIT_FIXED */
    uint32_t         seed;     /* TS_SPLIT_RANDOM */
} ts_split_t;

static inline uint32_t
ts_xorshift(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Next chunk length; random splits mix empty, tiny and larger chunks. */
static inline size_t
ts_split_next(const ts_split_t *sp, uint32_t *rng, size_t left)
{
    size_t n;

    switch (sp->kind) {
    case TS_SPLIT_FIXED:
        n = sp->size;
        break;
    case TS_SPLIT_RANDOM: {
        uint32_t r = ts_xorshift(rng);
        switch (r & 7) {
        case 0:
            n = 0;                          /* empty feed */
            break;
        case 1: case 2: case 3:
            n = 1 + (r >> 8) % 4;
            break;
        case 4: case 5:
            n = 1 + (r >> 8) % 32;
            break;
        case 6:
            n = 1 + (r >> 8) % 300;
            break;
        default:
            n = 1 + (r >> 8) % 1200;
            break;
        }
        break;
    }
    default:
        n = left;
        break;
    }
    return n < left ? n : left;
}

static inline void
ts_split_describe(const ts_split_t *sp, char *buf, size_t len)
{
    switch (sp->kind) {
    case TS_SPLIT_FIXED:
        snprintf(buf, len, "chunks of %zu", sp->size);
        break;
    case TS_SPLIT_RANDOM:
        snprintf(buf, len, "random split seed %u", sp->seed);
        break;
    default:
        snprintf(buf, len, "whole");
        break;
    }
}

/*
 * 0: whole; 1-6: fixed chunks of 1, 2, 3, 7, 64 and 509 bytes (larger than
 * the smallest max_element, so one chunk can hold more than an element may);
 * 7-26: pseudo-random splits with fixed seeds.
 */
#define TS_NSPLITS  27

static inline ts_split_t
ts_split_nth(int i)
{
    static const size_t fixed[] = { 1, 2, 3, 7, 64, 509 };
    ts_split_t sp = { TS_SPLIT_WHOLE, 0, 0 };

    if (i == 0) {
        return sp;
    }
    if (i <= 6) {
        sp.kind = TS_SPLIT_FIXED;
        sp.size = fixed[i - 1];
        return sp;
    }
    sp.kind = TS_SPLIT_RANDOM;
    sp.seed = 0x1000u + (uint32_t) i * 7919u;
    return sp;
}

/* ---- allocator ---- */

typedef struct {
    long    allocs;         /* successful allocations */
    long    live;           /* allocations not freed yet */
    long    fail_after;     /* fail allocation number fail_after+1; <0 never */
} ts_alloc_t;

static inline void *
ts_alloc(void *ctx, size_t size)
{
    ts_alloc_t *a = ctx;
    if (a->fail_after >= 0 && a->allocs >= a->fail_after) {
        return NULL;
    }
    void *p = malloc(size ? size : 1);
    if (p) {
        a->allocs++;
        a->live++;
    }
    return p;
}

static inline void
ts_free(void *ctx, void *p)
{
    ts_alloc_t *a = ctx;
    if (p) {
        a->live--;
        free(p);
    }
}

/* ---- running the gate ---- */

typedef struct {
    unsigned char   *buf;
    size_t           len, cap;
    /* the chunk of the current feed(); NULL during finish() */
    const unsigned char *chunk;
    size_t           chunk_len;
    long             calls;
    long             fail_at;       /* emit call number that fails; <0 never */
    int              bad_ref;       /* held == false outside the chunk */
} ts_out_t;

static inline int
ts_emit(void *ud, const unsigned char *p, size_t n, bool held)
{
    ts_out_t *o = ud;

    if (o->fail_at >= 0 && o->calls >= o->fail_at) {
        o->calls++;
        return -1;
    }
    o->calls++;
    if (n == 0) {
        return 0;
    }
    /* held == false promises p points into the current chunk. */
    if (!held && (o->chunk == NULL || p < o->chunk
                  || p + n > o->chunk + o->chunk_len))
    {
        o->bad_ref++;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n + 1) {
            cap *= 2;
        }
        unsigned char *nb = realloc(o->buf, cap);
        if (nb == NULL) {
            return -1;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = '\0';
    return 0;
}

typedef struct {
    const char  *allowed;       /* "id,id" allowed recipients ("" none) */
    size_t       max_element;   /* 0: 64 KiB */
    long         emit_fail_at;  /* -1: never */
    long         alloc_fail_after; /* -1: never */
    cs_simd_t    simd_max;      /* 0: the CPU's best */
} ts_conf_t;

/* The site the gates run for (its tagging hosts); NULL: none. */
static const char  *ts_gate_site;

typedef struct {
    unsigned char    *out;      /* malloc'd, NUL-terminated */
    size_t            out_len;
    int               rc;       /* first non-zero feed/finish result */
    cs_gate_stats_t   stats;
    uint64_t          blocked[(TS_MAX_RECIPIENTS + 63) / 64];
    int               bad_ref;
    long              live_allocs;   /* after cleanup: must be 0 */
} ts_result_t;

static inline void
ts_result_free(ts_result_t *r)
{
    ts_release(r->out);
    r->out = NULL;
}

/*
 * Feeds input to an initialized gate in the chunks of sp, each a fresh
 * malloc'd copy poisoned and freed right after its feed (out->chunk says
 * which bytes emit may reference), then finishes it. Returns the first
 * non-zero feed or finish result.
 */
static inline int
ts_feed_split(cs_gate_t *g, ts_out_t *out, const void *input, size_t len,
    const ts_split_t *sp)
{
    const unsigned char  *in = input;
    uint32_t              rng = sp->seed;
    size_t                off = 0;
    int                   rc;

    do {
        size_t n = ts_split_next(sp, &rng, len - off);
        unsigned char *chunk = malloc(n ? n : 1);
        assert_non_null(chunk);
        memcpy(chunk, in + off, n);
        out->chunk = chunk;
        out->chunk_len = n;
        rc = cs_gate_feed(g, chunk, n);
        memset(chunk, TS_POISON, n ? n : 1);
        free(chunk);
        out->chunk = NULL;
        out->chunk_len = 0;
        off += n;
        if (rc != 0) {
            return rc;
        }
    } while (off < len);

    return cs_gate_finish(g);
}

static inline ts_result_t
ts_gate_run(const ts_conf_t *tc, const void *input, size_t len,
    const ts_split_t *sp)
{
    ts_result_t     res;
    ts_out_t        out;
    ts_alloc_t      al = { 0, 0, tc->alloc_fail_after };
    uint64_t        allowed[(TS_MAX_RECIPIENTS + 63) / 64];
    cs_gate_conf_t  conf;

    memset(&res, 0, sizeof(res));
    memset(&out, 0, sizeof(out));
    out.fail_at = tc->emit_fail_at;
    ts_allow(allowed, tc->allowed);

    memset(&conf, 0, sizeof(conf));
    conf.rules = ts_rules;
    conf.allowed = allowed;
    conf.blocked = res.blocked;
    conf.max_element = tc->max_element ? tc->max_element : 65536;
    conf.simd_max = tc->simd_max;
    if (ts_gate_site != NULL) {
        conf.has_site = true;
        conf.site = ts_site(ts_gate_site);
    }
    conf.allocator.alloc = ts_alloc;
    conf.allocator.free = ts_free;
    conf.allocator.ctx = &al;
    conf.emit = ts_emit;
    conf.emit_ud = &out;

    cs_gate_t *g = malloc(cs_gate_size());
    assert_non_null(g);
    memset(g, TS_POISON, cs_gate_size());
    cs_gate_init(g, &conf);

    res.rc = ts_feed_split(g, &out, input, len, sp);
    res.stats = *cs_gate_stats(g);
    cs_gate_cleanup(g);
    cs_gate_cleanup(g);                     /* documented as idempotent */
    free(g);

    if (out.buf == NULL) {
        out.buf = calloc(1, 1);
        assert_non_null(out.buf);
    }
    res.out = ts_track(out.buf);
    res.out_len = out.len;
    res.bad_ref = out.bad_ref;
    res.live_allocs = al.live;
    return res;
}

/* Escapes bytes for failure messages; runs of 8+ equal bytes as c{n}. */
static inline void
ts_escape(const unsigned char *p, size_t n, char *dst, size_t dstlen)
{
    size_t o = 0;
    if (dstlen < 32) {
        if (dstlen) {
            dst[0] = '\0';
        }
        return;
    }
    for (size_t i = 0; i < n && o + 24 < dstlen; i++) {
        unsigned char c = p[i];
        size_t run = 1;
        while (i + run < n && p[i + run] == c) {
            run++;
        }
        if (c == '\n') {
            o += (size_t) snprintf(dst + o, dstlen - o, "\\n");
        } else if (c == '\t') {
            o += (size_t) snprintf(dst + o, dstlen - o, "\\t");
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t) snprintf(dst + o, dstlen - o, "\\x%02x", c);
        } else {
            dst[o++] = (char) c;
        }
        if (run >= 8) {
            o += (size_t) snprintf(dst + o, dstlen - o, "{%zu}", run);
            i += run - 1;
        }
    }
    if (o + 24 >= dstlen) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* cmocka truncates long messages: print first, then fail. */
#define ts_fail(...)                                                    \
    do {                                                                \
        fprintf(stderr, __VA_ARGS__);                                   \
        fprintf(stderr, "\n");                                          \
        fail();                                                         \
    } while (0)

/*
 * Runs the gate over input with every split pattern and checks: output ==
 * expected, rc == 0, no held==false reference outside the chunk, no leak,
 * bytes_removed == input - output, and stats/blocked identical to the whole
 * run. Every split is checked; the first few findings are printed, then
 * the test fails. Returns the whole run's result (ts_result_free it).
 */
#define TS_REPORT_MAX  4

static inline ts_result_t
ts_expect_gate_n(const ts_conf_t *tc, const char *input, size_t len,
    const char *expected, size_t explen)
{
    static char  act[8192], exp[8192], in[8192], desc[64];
    ts_result_t  whole;
    int          bad = 0;

#define TS_FINDING(...)                                                 \
    do {                                                                \
        if (bad++ < TS_REPORT_MAX) {                                    \
            fprintf(stderr, __VA_ARGS__);                               \
            fprintf(stderr, "\n");                                      \
        }                                                               \
    } while (0)

    memset(&whole, 0, sizeof(whole));
    ts_escape((const unsigned char *) input, len, in, sizeof(in));
    ts_escape((const unsigned char *) expected, explen, exp, sizeof(exp));
    for (int i = 0; i < TS_NSPLITS; i++) {
        ts_split_t   sp = ts_split_nth(i);
        ts_result_t  r = ts_gate_run(tc, input, len, &sp);

        ts_split_describe(&sp, desc, sizeof(desc));
        if (r.rc != 0) {
            TS_FINDING("%s: gate returned %d", desc, r.rc);
        }
        if (r.out_len != explen || memcmp(r.out, expected, explen) != 0) {
            ts_escape(r.out, r.out_len, act, sizeof(act));
            TS_FINDING("%s: output differs (%zu bytes, expected %zu)\n"
                       "  actual:   \"%s\"", desc, r.out_len, explen, act);
        }
        if (r.bad_ref) {
            TS_FINDING("%s: %d emit(held=false) outside the fed chunk",
                       desc, r.bad_ref);
        }
        if (r.live_allocs != 0) {
            TS_FINDING("%s: %ld allocations not freed", desc, r.live_allocs);
        }
        if (r.rc == 0 && r.stats.bytes_removed != len - r.out_len) {
            TS_FINDING("%s: stats.bytes_removed %llu, removed %lld", desc,
                       (unsigned long long) r.stats.bytes_removed,
                       (long long) len - (long long) r.out_len);
        }
        if (i == 0) {
            whole = r;
            continue;
        }
        if (r.rc == 0 && whole.rc == 0
            && memcmp(&r.stats, &whole.stats, sizeof(r.stats)) != 0)
        {
            TS_FINDING("%s: stats differ from the whole run (this/whole: "
                       "elements_removed %llu/%llu oversize_removed %llu/%llu"
                       " oversize_passed %llu/%llu)", desc,
                       (unsigned long long) r.stats.elements_removed,
                       (unsigned long long) whole.stats.elements_removed,
                       (unsigned long long) r.stats.oversize_removed,
                       (unsigned long long) whole.stats.oversize_removed,
                       (unsigned long long) r.stats.oversize_passed,
                       (unsigned long long) whole.stats.oversize_passed);
        }
        if (r.rc == 0 && whole.rc == 0
            && memcmp(r.blocked, whole.blocked, sizeof(r.blocked)) != 0)
        {
            TS_FINDING("%s: blocked set differs from the whole run", desc);
        }
        ts_result_free(&r);
    }
#undef TS_FINDING
    if (bad) {
        ts_fail("%d finding(s) over %d splits (allowed \"%s\", max_element "
                "%zu)\n  input:    \"%s\"\n  expected: \"%s\"", bad,
                TS_NSPLITS, tc->allowed, tc->max_element, in, exp);
    }
    return whole;
}

static inline ts_result_t
ts_expect_gate(const ts_conf_t *tc, const char *input, const char *expected)
{
    return ts_expect_gate_n(tc, input, strlen(input), expected,
                            strlen(expected));
}

/* Shorthand: allowed list and max_element, output only. */
static inline void
ts_check(const char *allowed, size_t max_element, const char *input,
    const char *expected)
{
    ts_conf_t    tc = { allowed, max_element, -1, -1, CS_SIMD_BEST };
    ts_result_t  r = ts_expect_gate(&tc, input, expected);
    ts_result_free(&r);
}

/*
 * Builds "prefix" + n copies of fill + "suffix"; freed at group teardown
 * (or earlier with ts_release).
 */
static inline char *
ts_pad(const char *prefix, char fill, size_t n, const char *suffix)
{
    size_t  pl = strlen(prefix), sl = strlen(suffix);
    char   *s = malloc(pl + n + sl + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    memset(s + pl, fill, n);
    memcpy(s + pl + n, suffix, sl + 1);
    return ts_track(s);
}

#endif /* TEST_SUPPORT_H */

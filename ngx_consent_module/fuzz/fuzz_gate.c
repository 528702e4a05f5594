/*
 * libFuzzer target for the streaming gate.
 *
 * Input layout: byte 0 = allowed recipients (one bit each), byte 1 =
 * max_element, bytes 2-3 = split seed (modulo 4: the whole run's
 * instruction set, cs_simd_t), the rest = the HTML body. The body is
 * run through the gate whole and split into pseudo-random chunks (empty
 * ones included); every chunk is a fresh malloc'd copy, poisoned and freed
 * right after its feed, so ASan catches a reference kept past a feed.
 *
 * The hooks are on: on_unknown_host removes a host when a hash of its name
 * says so (about one host in three), on_element logs its calls.
 *
 * The split run uses the gate's memo, kept across inputs (64 KiB, so it
 * both answers and evicts); the whole run has none.
 *
 * Aborts when:
 *   - the split output, stats or hook calls differ from the whole run's
 *     (split dependence, or a memo answer that is not what the gate would
 *     work out);
 *   - on_element names no recipient, or more bytes than the input has;
 *   - on_unknown_host gets a host that is not lowercase or has a recipient;
 *   - an output is not the input with some byte ranges removed;
 *   - stats.bytes_removed != input length - output length;
 *   - emit(held = false) points outside the chunk being fed;
 *   - the gate fails (returns -1) with a malloc allocator, or leaks.
 *
 * Rules: the test rule set, compiled once in LLVMFuzzerInitialize from
 * $CS_FUZZ_RULES (default ngx_consent_module/test/rules_test.yaml, run from
 * the repository root). $CS_FUZZ_BIG=1 pins max_element at 1 MiB to keep
 * the oversize paths out of the way while triaging other findings.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs_compile.h"
#include "cs_gate.h"
#include "cs_rules.h"

#define MAX_RECIPIENTS  64

static cs_rules_t      *rules;
static uint32_t         nrecipients;
static int              big_elements;
static cs_gate_memo_t  *memo;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *
memo_alloc(void *ctx, size_t size)
{
    (void) ctx;
    return malloc(size);
}

static void
memo_free(void *ctx, void *p)
{
    (void) ctx;
    free(p);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char  *yaml = getenv("CS_FUZZ_RULES");
    char         dir[] = "/tmp/cs_fuzz.XXXXXX", db[128], err[2048];

    (void) argc;
    (void) argv;
    if (yaml == NULL) {
        yaml = "ngx_consent_module/test/rules_test.yaml";
    }
    big_elements = getenv("CS_FUZZ_BIG") != NULL;
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    snprintf(db, sizeof(db), "%s/rules.mdb", dir);
    if (cs_compile(yaml, db, err, sizeof(err)) != CS_COMPILE_OK) {
        fprintf(stderr, "fuzz_gate: cs_compile(%s): %s\n", yaml, err);
        rmdir(dir);
        abort();
    }
    rules = cs_rules_load(db, err, sizeof(err));
    /* loaded rules are copied to the heap: the file can go */
    unlink(db);
    rmdir(dir);
    if (rules == NULL) {
        fprintf(stderr, "fuzz_gate: cs_rules_load(%s): %s\n", db, err);
        abort();
    }
    nrecipients = cs_rules_recipient_count(rules);
    if (nrecipients > MAX_RECIPIENTS) {
        abort();
    }
    /* lives as long as the process: its blocks are not the gate's */
    memo = cs_gate_memo_create(rules,
                               (const unsigned char *) "fuzz-memo-key-16",
                               64 * 1024,
                               &(cs_allocator_t) { memo_alloc, memo_free,
                                                   NULL });
    if (memo == NULL) {
        abort();
    }
    return 0;
}

/* ---- helpers ---- */

typedef struct {
    unsigned char        *buf;
    size_t                len, cap;
    const unsigned char  *chunk;
    size_t                chunk_len;
} out_t;

static int
emit(void *ud, const unsigned char *p, size_t n, bool held)
{
    out_t *o = ud;

    if (!held && n > 0
        && (o->chunk == NULL || p < o->chunk
            || p + n > o->chunk + o->chunk_len))
    {
        fprintf(stderr, "fuzz_gate: emit(held=false) outside the chunk\n");
        abort();
    }
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        while (cap < o->len + n) {
            cap *= 2;
        }
        unsigned char *nb = realloc(o->buf, cap);
        if (nb == NULL) {
            abort();
        }
        o->buf = nb;
        o->cap = cap;
    }
    if (n) {
        memcpy(o->buf + o->len, p, n);
    }
    o->len += n;
    return 0;
}

/* The hooks' calls, in order, as text. */
typedef struct {
    char    *buf;
    size_t   len, cap;
    size_t   input_len;
} hook_log_t;

static void
log_append(hook_log_t *l, const char *s, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        while (cap < l->len + n) {
            cap *= 2;
        }
        char *nb = realloc(l->buf, cap);
        if (nb == NULL) {
            abort();
        }
        l->buf = nb;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void
on_element(void *ud, uint32_t recipient, cs_action_t done, size_t bytes)
{
    hook_log_t  *l = ud;
    char         line[64];

    if ((recipient >= nrecipients && recipient != CS_RECIPIENT_UNKNOWN)
        || bytes == 0 || bytes > l->input_len || done != CS_ACTION_STRIP)
    {
        fprintf(stderr, "fuzz_gate: on_element(%u, %d, %zu) for %zu input "
                "bytes\n", recipient, (int) done, bytes, l->input_len);
        abort();
    }
    int n = snprintf(line, sizeof(line), "E%u/%zu;", recipient, bytes);
    log_append(l, line, (size_t) n);
}

static int
on_unknown_host(void *ud, const char *host, size_t len)
{
    hook_log_t  *l = ud;
    uint32_t     h = 2166136261u;          /* FNV-1a */

    if (len == 0 || strlen(host) != len
        || cs_rules_match_host(rules, host, len) >= 0)
    {
        fprintf(stderr, "fuzz_gate: on_unknown_host(\"%s\", %zu)\n", host,
                len);
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        if (host[i] >= 'A' && host[i] <= 'Z') {
            fprintf(stderr, "fuzz_gate: host \"%s\" not lowercase\n", host);
            abort();
        }
        h = (h ^ (unsigned char) host[i]) * 16777619u;
    }
    log_append(l, "U", 1);
    log_append(l, host, len);
    log_append(l, ";", 1);
    return h % 3 == 0;
}

static long live_allocs;

static void *
gate_alloc(void *ctx, size_t size)
{
    (void) ctx;
    void *p = malloc(size ? size : 1);
    if (p) {
        live_allocs++;
    }
    return p;
}

static void
gate_free(void *ctx, void *p)
{
    (void) ctx;
    if (p) {
        live_allocs--;
        free(p);
    }
}

static uint32_t
xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/*
 * Runs the gate over html with the widest instructions simd allows; seed 0
 * feeds it whole, otherwise in pseudo-random chunks of 0 to 64 bytes.
 */
static void
run(const unsigned char *html, size_t len, const uint64_t *allowed,
    size_t max_element, cs_simd_t simd, uint32_t seed, cs_gate_memo_t *m,
    out_t *out, cs_gate_stats_t *stats, hook_log_t *log)
{
    uint64_t              blocked[(MAX_RECIPIENTS + 63) / 64] = { 0 };
    cs_gate_conf_t        conf;
    cs_gate_t            *g;
    size_t                off = 0;
    uint32_t              rng = seed | 1;

    g = malloc(cs_gate_size());
    if (g == NULL) {
        abort();
    }

    memset(out, 0, sizeof(*out));
    memset(&conf, 0, sizeof(conf));
    conf.rules = rules;
    conf.memo = m;
    conf.allowed = allowed;
    conf.blocked = blocked;
    conf.max_element = max_element;
    conf.simd_max = simd;
    conf.allocator.alloc = gate_alloc;
    conf.allocator.free = gate_free;
    conf.emit = emit;
    conf.emit_ud = out;
    memset(log, 0, sizeof(*log));
    log->input_len = len;
    conf.on_element = on_element;
    conf.on_unknown_host = on_unknown_host;
    conf.hook_ud = log;
    live_allocs = 0;
    cs_gate_init(g, &conf);

    do {
        size_t n = len - off;
        if (seed != 0) {
            uint32_t r = xorshift(&rng);
            size_t   want = (r & 3) == 0 ? 0
                            : (r & 3) == 1 ? 1 + (r >> 8) % 3
                            : 1 + (r >> 8) % 64;
            n = want < n ? want : n;
        }
        unsigned char *chunk = malloc(n ? n : 1);
        if (chunk == NULL) {
            abort();
        }
        if (n) {
            memcpy(chunk, html + off, n);
        }
        out->chunk = chunk;
        out->chunk_len = n;
        if (cs_gate_feed(g, chunk, n) != 0) {
            fprintf(stderr, "fuzz_gate: feed failed\n");
            abort();
        }
        memset(chunk, 0xA5, n ? n : 1);
        free(chunk);
        out->chunk = NULL;
        out->chunk_len = 0;
        off += n;
    } while (off < len);

    if (cs_gate_finish(g) != 0) {
        fprintf(stderr, "fuzz_gate: finish failed\n");
        abort();
    }
    *stats = *cs_gate_stats(g);
    stats->memo_hits = stats->memo_misses = 0;   /* only with a memo */
    cs_gate_cleanup(g);
    free(g);
    if (live_allocs != 0) {
        fprintf(stderr, "fuzz_gate: %ld allocations leaked\n", live_allocs);
        abort();
    }
    if (stats->bytes_removed != len - out->len) {
        fprintf(stderr, "fuzz_gate: bytes_removed %llu != %zu removed\n",
                (unsigned long long) stats->bytes_removed, len - out->len);
        abort();
    }
}

/* out is in with some byte ranges removed: a subsequence, walked greedily. */
static int
is_removal_of(const unsigned char *in, size_t inlen, const unsigned char *out,
    size_t outlen)
{
    size_t i = 0, o = 0;

    while (o < outlen) {
        const unsigned char *q = memchr(in + i, out[o], inlen - i);
        if (q == NULL) {
            return 0;
        }
        i = (size_t) (q - in) + 1;
        o++;
    }
    return 1;
}

static void
dump(const char *what, const unsigned char *p, size_t n)
{
    fprintf(stderr, "%s (%zu bytes): \"", what, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\\' || c == '"') {
            fprintf(stderr, "\\%c", c);
        } else if (c >= 0x20 && c < 0x7f) {
            fputc(c, stderr);
        } else {
            fprintf(stderr, "\\x%02x", c);
        }
    }
    fprintf(stderr, "\"\n");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t         allowed[(MAX_RECIPIENTS + 63) / 64] = { 0 };
    size_t           max_element;
    uint32_t         seed;
    out_t            whole, split;
    cs_gate_stats_t  st_whole, st_split;
    hook_log_t       log_whole, log_split;

    if (size < 4) {
        return 0;
    }
    for (uint32_t r = 0; r < nrecipients && r < 8; r++) {
        if (data[0] & (1u << r)) {
            cs_bitset_set(allowed, r);
        }
    }
    /* 0 (clamped to 256), 256 + 8k, or "unlimited" */
    max_element = data[1] == 0xff ? (1u << 20) : (size_t) data[1] * 8;
    if (big_elements) {
        max_element = 1u << 20;
    }
    seed = ((uint32_t) data[2] << 8 | data[3]) + 1;
    data += 4;
    size -= 4;

    /* whole: 64-byte blocks, each instruction set in turn; split: chunks
       too small for them */
    run(data, size, allowed, max_element, (cs_simd_t) (seed % 4), 0, NULL,
        &whole, &st_whole, &log_whole);
    run(data, size, allowed, max_element, CS_SIMD_BEST, seed, memo, &split,
        &st_split, &log_split);

    if (!is_removal_of(data, size, whole.buf, whole.len)
        || !is_removal_of(data, size, split.buf, split.len))
    {
        fprintf(stderr, "fuzz_gate: output is not the input minus ranges\n");
        goto fail;
    }
    if (whole.len != split.len
        || (whole.len && memcmp(whole.buf, split.buf, whole.len) != 0))
    {
        fprintf(stderr, "fuzz_gate: output depends on the split "
                "(max_element %zu, seed %u)\n", max_element, seed);
        goto fail;
    }
    if (memcmp(&st_whole, &st_split, sizeof(st_whole)) != 0
        || st_whole.unknown_removed > st_whole.unknown_hosts
        || st_whole.unknown_removed > st_whole.elements_removed)
    {
        fprintf(stderr, "fuzz_gate: stats differ or do not add up "
                "(max_element %zu, seed %u)\n", max_element, seed);
        goto fail;
    }
    if (log_whole.len != log_split.len
        || (log_whole.len
            && memcmp(log_whole.buf, log_split.buf, log_whole.len) != 0))
    {
        fprintf(stderr, "fuzz_gate: hook calls depend on the split "
                "(max_element %zu, seed %u)\n", max_element, seed);
        dump("whole hooks", (const unsigned char *) log_whole.buf,
             log_whole.len);
        dump("split hooks", (const unsigned char *) log_split.buf,
             log_split.len);
        goto fail;
    }
    free(whole.buf);
    free(split.buf);
    free(log_whole.buf);
    free(log_split.buf);
    return 0;

fail:
    dump("input", data, size);
    dump("whole", whole.buf, whole.len);
    dump("split", split.buf, split.len);
    abort();
}

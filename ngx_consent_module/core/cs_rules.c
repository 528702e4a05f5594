/*
 * Rules store loader: reads the LMDB file written by cs_compile.c (layout in
 * doc/lmdb-layout.md) in one read-only transaction, copies everything into
 * heap memory owned by cs_rules_t and closes the environment again, so a
 * later rename() of a new database over the path never affects a loaded
 * rules object.
 *
 * Threading: a cs_rules_t is immutable after cs_rules_load() except for the
 * signature scratch state (PCRE2 match data, "seen" bitmap) used by
 * cs_rules_match_signatures(); one rules object must therefore be used by
 * one thread at a time (nginx: one per worker process).
 */

#include "cs_rules.h"
#include "cs_bitset.h"
#include "cs_err.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <lmdb.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The signature prefilter tests 32 positions at a time with AVX2 where
 * cs_cpu_simd() allows it; the byte-table loop otherwise, and always with
 * -DCS_GATE_SCALAR.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(CS_GATE_SCALAR)
#include <immintrin.h>
#define CS_SIG_AVX2  1
#endif

/* Limits for the combined signature expression (bounded work per call). */
#define CS_SIG_MATCH_LIMIT      2000000u
#define CS_SIG_DEPTH_LIMIT      100000u
#define CS_SIG_JIT_STACK_MIN    (32u * 1024u)
#define CS_SIG_JIT_STACK_MAX    (1024u * 1024u)
#define CS_SIG_LITERAL_MAX      63u

#define CS_ARENA_CHUNK          (64u * 1024u)

/* Sub-databases every format-1 file must contain. */
static const char *const cs_required_dbs[] = {
    "meta", "recipients", "hosts", "signatures", "sites", "declares",
};

/* GPC categories when meta has no gpc_categories (sorted). */
static const char *const cs_gpc_default[] = { "advertising", "social" };

/* ---------------------------------------------------------------------- */
/* String arena: all loaded strings live in a few large chunks, freed at once */

typedef struct cs_arena_chunk {
    struct cs_arena_chunk  *next;
    size_t                  used;
    size_t                  size;
    char                    data[];
} cs_arena_chunk_t;

typedef struct {
    cs_arena_chunk_t       *head;
} cs_arena_t;

static void *
cs_arena_alloc(cs_arena_t *arena, size_t size)
{
    cs_arena_chunk_t  *chunk = arena->head;
    size_t             aligned = (size + 7u) & ~(size_t) 7u;

    if (aligned < size) {
        return NULL;
    }

    if (chunk == NULL || chunk->size - chunk->used < aligned) {
        size_t chunk_size = aligned > CS_ARENA_CHUNK ? aligned : CS_ARENA_CHUNK;

        chunk = malloc(sizeof(*chunk) + chunk_size);
        if (chunk == NULL) {
            return NULL;
        }
        chunk->next = arena->head;
        chunk->used = 0;
        chunk->size = chunk_size;
        arena->head = chunk;
    }

    void *p = chunk->data + chunk->used;
    chunk->used += aligned;
    return p;
}

/* Copies len bytes and appends a NUL. */
static char *
cs_arena_strndup(cs_arena_t *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX) {
        return NULL;
    }

    char *p = cs_arena_alloc(arena, len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void
cs_arena_free(cs_arena_t *arena)
{
    cs_arena_chunk_t *chunk = arena->head;

    while (chunk != NULL) {
        cs_arena_chunk_t *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    arena->head = NULL;
}

/* ---------------------------------------------------------------------- */

/*
 * A host suffix in the open-addressing table: 16 bytes. The slot index
 * comes from the hash's low bits; "key" holds the hash's top 16 bits and
 * the length (<= 253), so one compare rejects most mismatches without
 * touching the string.
 */
typedef struct {
    const char  *host;        /* NULL = empty slot */
    uint32_t     key;         /* cs_host_key() */
    int32_t      recipient;
} cs_host_slot_t;

/* A declaration's place in its site's array, found by recipient index. */
typedef struct {
    uint32_t     recipient;
    uint32_t     decl;        /* index into the site's decls */
} cs_decl_ref_t;

/* The recipients a site declares under one category. */
typedef struct {
    const char        *category;
    uint64_t          *set;
    uint32_t           count;
} cs_site_category_t;

/*
 * A site. The recipient sets (set_words words each) are built at load, so
 * consent decisions per request never loop over all recipients.
 */
typedef struct {
    const char          *id;
    const char          *name;
    cs_declaration_t    *decls;          /* declaration order */
    cs_decl_ref_t       *by_recipient;   /* sorted by recipient */
    uint32_t             ndecls;
    uint32_t             ncats;
    cs_site_category_t  *cats;           /* sorted by category */
    const uint64_t      *declared;
    const uint64_t      *gpc;            /* declared, in a GPC category */
} cs_site_t;

/*
 * An inline signature: its own compiled expression, and the longest literal
 * every match must contain, used to skip the expression on text that cannot
 * match (most inline script text).
 */
typedef struct {
    pcre2_code            *code;
    uint32_t               recipient;
    char                   literal[CS_SIG_LITERAL_MAX + 1];
    uint32_t               literal_len;    /* 0: no usable literal */
} cs_signature_t;

/*
 * A site's consent manager map entry: cmp_maps "SITE/FORMAT/NAME" -> the
 * targets, kept as the stored fields (each target NUL-terminated).
 */
typedef struct {
    uint32_t               site;
    uint32_t               ntargets;
    const char            *format;
    const char            *name;
    size_t                 name_len;
    const char            *targets;
} cs_cmp_map_t;

/* A signature literal's anchor bigram -> the signature. */
typedef struct {
    uint16_t               bigram;
    uint16_t               offset;         /* of the bigram in the literal */
    uint32_t               sig;
} cs_bigram_t;

/*
 * The signature prefilter's table, one byte per possible bigram (first byte
 * | second << 8): 0 = no literal's anchor, 1..CS_BIGRAM_DIRECT = the index
 * + 1 of its first entry in the sorted bigrams, CS_BIGRAM_SEARCH = some
 * literal's anchor, binary-search the entry. Bytes, not bits: the scan is
 * one load and one table load per text byte.
 */
#define CS_BIGRAM_SEARCH       255u
#define CS_BIGRAM_DIRECT       (CS_BIGRAM_SEARCH - 1)

/*
 * Hosts' distinct last labels ("com", "jp") in an open-addressing set with
 * the host table's hash and key (cs_hash_reverse, cs_host_key).
 */
typedef struct {
    const char            *label;          /* NULL = empty slot */
    uint32_t               key;
} cs_label_slot_t;

struct cs_rules {
    cs_arena_t             arena;

    cs_recipient_t        *recipients;     /* sorted by id (LMDB key order) */
    uint32_t               nrecipients;

    cs_label_slot_t       *label_slots;    /* hosts' distinct last labels */
    uint32_t               label_mask;     /* capacity - 1, capacity = 2^k */
    uint32_t               label_len_max;
    uint64_t               label_first[64];  /* by length: first bytes & 63 */
    cs_host_slot_t        *host_slots;
    uint32_t               host_mask;      /* capacity - 1, capacity = 2^k */
    uint32_t               nhosts;

    cs_site_t             *sites;          /* sorted by id */
    uint32_t               nsites;
    cs_declaration_t      *decls;          /* by site, declaration order */
    cs_decl_ref_t         *decl_refs;      /* by site, then recipient */
    uint32_t               ndecls;

    uint64_t              *site_sets;      /* every site's recipient sets */
    size_t                 set_words;      /* words per set, at least 1 */
    cs_site_category_t    *site_cats;      /* every site's categories */

    const char           **categories;     /* sorted, unique */
    uint32_t               ncategories;

    cs_cmp_map_t          *cmp_maps;       /* sorted: site, format, name */
    uint32_t               ncmp_maps;

    const char *const     *gpc;            /* sorted, unique: gpc_alloc or
                                              cs_gpc_default */
    uint32_t               ngpc;
    const char           **gpc_alloc;

    char                   generation[CS_RULES_GENERATION_LEN + 1];

    cs_signature_t        *sigs;           /* in key order */
    uint32_t               nsigs;
    cs_bigram_t           *bigrams;        /* literal anchors, sorted */
    uint32_t               nbigrams;
    unsigned char         *bigram_table;   /* 65536 entries, CS_BIGRAM_* */
    unsigned char          bigram_nibbles[4][16];   /* see cs_load_... */
    unsigned char         *sig_candidate;  /* per-call flags, scratch */
    pcre2_match_context   *sig_mctx;
    pcre2_jit_stack       *sig_jit_stack;
    pcre2_match_data      *sig_mdata;
};

/* ---------------------------------------------------------------------- */

/*
 * FNV-1a over the bytes in reverse order: lets cs_rules_match_host() extend
 * the hash label by label from the right, so every suffix costs O(1) more.
 */
#define CS_FNV_OFFSET  14695981039346656037ull
#define CS_FNV_PRIME   1099511628211ull

static uint32_t
cs_host_key(uint64_t h, uint32_t len)
{
    return ((uint32_t) (h >> 48) << 16) | len;
}

static uint64_t
cs_hash_reverse(const char *s, size_t len)
{
    uint64_t h = CS_FNV_OFFSET;

    while (len > 0) {
        h ^= (unsigned char) s[--len];
        h *= CS_FNV_PRIME;
    }
    return h;
}

bool
cs_rules_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > CS_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

        if (!alnum && (i == 0 || (c != '_' && c != '-'))) {
            return false;
        }
    }
    return true;
}

/*
 * Splits an LMDB value made of NUL-terminated fields. Returns the number of
 * complete fields found (at most max); trailing fields beyond max are
 * ignored (forward compatibility), bytes after the last NUL are an error.
 */
static int
cs_split_fields(const MDB_val *val, const char **fields, size_t max)
{
    const char  *p = val->mv_data;
    size_t       left = val->mv_size;
    size_t       n = 0;

    while (left > 0) {
        const char *nul = memchr(p, '\0', left);

        if (nul == NULL) {
            return -1;
        }
        if (n < max) {
            fields[n] = p;
        }
        n++;
        left -= (size_t) (nul - p) + 1;
        p = nul + 1;
    }
    return (int) (n < max ? n : max);
}

static int32_t
cs_find_sorted(const char *const *ids, size_t stride, uint32_t n,
    const char *id, size_t len)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t     mid = lo + (hi - lo) / 2;
        const char  *cand = *(const char *const *) ((const char *) ids
                                                    + (size_t) mid * stride);
        size_t       clen = strlen(cand);
        int          cmp = memcmp(cand, id, clen < len ? clen : len);

        if (cmp == 0) {
            cmp = clen < len ? -1 : (clen > len ? 1 : 0);
        }
        if (cmp == 0) {
            return (int32_t) mid;
        }
        if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Loading */

typedef struct {
    const char   *path;
    char         *err;
    size_t        errlen;
    MDB_txn      *txn;
    MDB_dbi       dbi[sizeof(cs_required_dbs) / sizeof(cs_required_dbs[0])];
    MDB_dbi       cmp_maps;         /* optional sub-database */
    bool          has_cmp_maps;
    cs_rules_t   *rules;
} cs_load_t;

enum { CS_DB_META, CS_DB_RECIPIENTS, CS_DB_HOSTS, CS_DB_SIGNATURES,
       CS_DB_SITES, CS_DB_DECLARES };

/* Counts entries of a sub-database (bounded by what fits in uint32_t). */
static int
cs_db_count(cs_load_t *ld, int which, uint32_t *count)
{
    MDB_stat st;
    int      rc = mdb_stat(ld->txn, ld->dbi[which], &st);

    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot stat sub-database '%s': %s",
                   ld->path, cs_required_dbs[which], mdb_strerror(rc));
        return -1;
    }
    if (st.ms_entries > UINT32_MAX / 4) {
        cs_set_err(ld->err, ld->errlen, "%s: sub-database '%s' is too large",
                   ld->path, cs_required_dbs[which]);
        return -1;
    }
    *count = (uint32_t) st.ms_entries;
    return 0;
}

static int
cs_check_format(cs_load_t *ld)
{
    MDB_val  key = { sizeof("format_version") - 1, (void *) "format_version" };
    MDB_val  val;
    int      rc = mdb_get(ld->txn, ld->dbi[CS_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen,
                   "%s: missing meta key 'format_version' (not a consent rules "
                   "database?)", ld->path);
        return -1;
    }
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot read format_version: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    size_t want = sizeof(CS_RULES_FORMAT_VERSION) - 1;

    if (val.mv_size != want
        || memcmp(val.mv_data, CS_RULES_FORMAT_VERSION, want) != 0)
    {
        char shown[32];
        size_t n = val.mv_size < sizeof(shown) - 1 ? val.mv_size
                                                   : sizeof(shown) - 1;

        /* Show printable bytes only: the value may be arbitrary. */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = ((const unsigned char *) val.mv_data)[i];
            shown[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
        }
        shown[n] = '\0';
        cs_set_err(ld->err, ld->errlen,
                   "%s: unsupported rules format_version '%s' (this build "
                   "reads version " CS_RULES_FORMAT_VERSION ")",
                   ld->path, shown);
        return -1;
    }
    return 0;
}

static int
cs_load_recipients(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    uint32_t     count;
    MDB_cursor  *cur;
    MDB_val      key, val;
    int          rc;

    if (cs_db_count(ld, CS_DB_RECIPIENTS, &count) != 0) {
        return -1;
    }
    rules->recipients = calloc(count ? count : 1, sizeof(cs_recipient_t));
    if (rules->recipients == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }

    rc = mdb_cursor_open(ld->txn, ld->dbi[CS_DB_RECIPIENTS], &cur);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }

    uint32_t n = 0;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    {
        const char *f[6];
        int nf = cs_split_fields(&val, f, 6);

        if (!cs_rules_id_valid(key.mv_data, key.mv_size)) {
            cs_set_err(ld->err, ld->errlen, "%s: invalid recipient id '%.*s'",
                       ld->path, (int) (key.mv_size > 64 ? 64 : key.mv_size),
                       (const char *) key.mv_data);
            goto failed;
        }
        if (nf < 5 || f[1][0] == '\0' || f[0][0] == '\0') {
            cs_set_err(ld->err, ld->errlen,
                       "%s: recipient '%.*s': malformed value (need name, "
                       "category, sent, purpose, tcf_vendor_id)", ld->path,
                       (int) key.mv_size, (const char *) key.mv_data);
            goto failed;
        }

        cs_recipient_t *r = &rules->recipients[n];
        r->id = cs_arena_strndup(&rules->arena, key.mv_data, key.mv_size);
        r->name = cs_arena_strndup(&rules->arena, f[0], strlen(f[0]));
        r->category = cs_arena_strndup(&rules->arena, f[1], strlen(f[1]));
        r->sent = cs_arena_strndup(&rules->arena, f[2], strlen(f[2]));
        r->purpose = cs_arena_strndup(&rules->arena, f[3], strlen(f[3]));
        r->tcf_vendor_id = 0;
        for (const char *d = f[4]; *d >= '0' && *d <= '9'; d++) {
            if (r->tcf_vendor_id > 100000) {
                break;                      /* real ids are 4 digits */
            }
            r->tcf_vendor_id = r->tcf_vendor_id * 10 + (uint32_t) (*d - '0');
        }
        /* optional 6th field: "2,3,4"; absent in files from before it */
        r->tcf_purposes = 0;
        for (const char *d = nf >= 6 ? f[5] : ""; *d; ) {
            unsigned num = 0;
            while (*d >= '0' && *d <= '9' && num < 100) {
                num = num * 10 + (unsigned) (*d++ - '0');
            }
            if (num < 1 || num > 24 || (*d != ',' && *d != '\0')) {
                cs_set_err(ld->err, ld->errlen, "%s: recipient '%.*s': "
                           "malformed tcf_purposes", ld->path,
                           (int) key.mv_size, (const char *) key.mv_data);
                goto failed;
            }
            r->tcf_purposes |= 1u << (num - 1);
            d += (*d == ',');
        }
        if (r->id == NULL || r->name == NULL || r->category == NULL
            || r->sent == NULL || r->purpose == NULL)
        {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            goto failed;
        }
        n++;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading recipients: %s",
                   ld->path, mdb_strerror(rc));
        goto failed;
    }
    mdb_cursor_close(cur);
    rules->nrecipients = n;
    return 0;

failed:
    mdb_cursor_close(cur);
    return -1;
}

static int
cs_host_insert(cs_rules_t *rules, const char *host, uint32_t len,
    int32_t recipient)
{
    uint64_t h = cs_hash_reverse(host, len);

    for (uint32_t i = (uint32_t) h & rules->host_mask; ;
         i = (i + 1) & rules->host_mask)
    {
        cs_host_slot_t *slot = &rules->host_slots[i];

        if (slot->host == NULL) {
            slot->key = cs_host_key(h, len);
            slot->host = host;
            slot->recipient = recipient;
            rules->nhosts++;
            return 0;
        }
        if (slot->key == cs_host_key(h, len)
            && memcmp(slot->host, host, len) == 0)
        {
            return -1;   /* LMDB keys are unique; cannot happen */
        }
    }
}

static int
cs_load_hosts(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    uint32_t     count, cap = 16;
    MDB_cursor  *cur;
    MDB_val      key, val;
    int          rc;

    if (cs_db_count(ld, CS_DB_HOSTS, &count) != 0) {
        return -1;
    }
    /* Load factor <= 1/2 keeps linear probing short. */
    while (cap < count * 2) {
        cap *= 2;
    }
    rules->host_slots = calloc(cap, sizeof(cs_host_slot_t));
    if (rules->host_slots == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->host_mask = cap - 1;

    rc = mdb_cursor_open(ld->txn, ld->dbi[CS_DB_HOSTS], &cur);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }

    uint32_t n = 0;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT), n++)
    {
        int32_t rec = cs_rules_recipient_find(rules, val.mv_data, val.mv_size);

        if (key.mv_size == 0 || key.mv_size > 253 || rec < 0) {
            cs_set_err(ld->err, ld->errlen,
                       "%s: host '%.*s' is empty, too long or maps to an "
                       "unknown recipient", ld->path,
                       (int) (key.mv_size > 253 ? 253 : key.mv_size),
                       (const char *) key.mv_data);
            goto failed;
        }

        char *host = cs_arena_strndup(&rules->arena, key.mv_data, key.mv_size);
        if (host == NULL) {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            goto failed;
        }
        if (cs_host_insert(rules, host, (uint32_t) key.mv_size, rec) != 0) {
            cs_set_err(ld->err, ld->errlen, "%s: duplicate host '%s'",
                       ld->path, host);
            goto failed;
        }
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading hosts: %s",
                   ld->path, mdb_strerror(rc));
        goto failed;
    }
    mdb_cursor_close(cur);
    return 0;

failed:
    mdb_cursor_close(cur);
    return -1;
}

/*
 * The longest run of literal bytes every match of the pattern must contain:
 * top-level characters only, outside groups and classes, not made optional
 * by a quantifier. Returns its length (0 when there is none of 2+ bytes, or
 * the pattern has a top-level alternation or inline options, so the
 * expression must always run).
 */
static uint32_t
cs_signature_literal(const char *p, size_t n, char *out)
{
    char      run[CS_SIG_LITERAL_MAX + 1];
    uint32_t  run_len = 0, best = 0;
    int       depth = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\') {
            i++;
        } else if (p[i] == '(' && i + 2 < n && p[i + 1] == '?'
                   && p[i + 2] != ':')
        {
            return 0;                       /* (?i) and friends */
        } else if (p[i] == '(') {
            depth++;
        } else if (p[i] == ')') {
            depth--;
        } else if (p[i] == '|' && depth == 0) {
            return 0;
        }
    }

    depth = 0;
    for (size_t i = 0; i <= n; i++) {
        char  lit = 0;
        bool  literal = false;
        bool  last = false;               /* literal, but the run ends here */

        if (i < n) {
            char c = p[i];
            if (c == '\\' && i + 1 < n) {
                char e = p[i + 1];
                bool alnum = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')
                             || (e >= '0' && e <= '9');
                i++;
                if (!alnum && depth == 0) {
                    literal = true;          /* escaped punctuation */
                    lit = e;
                }
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == '[') {
                /* skip the class; a ']' first in it is literal */
                size_t j = i + 1;
                if (j < n && p[j] == '^') {
                    j++;
                }
                if (j < n && p[j] == ']') {
                    j++;
                }
                while (j < n && p[j] != ']') {
                    j += (p[j] == '\\') ? 2 : 1;
                }
                i = j;
            } else if (depth == 0 && strchr(".^$*+?{}|", c) == NULL) {
                literal = true;
                lit = c;
            }
        }

        /* a quantifier after a byte makes it optional or repeated */
        if (literal && i + 1 < n) {
            if (strchr("?*{", p[i + 1]) != NULL) {
                literal = false;
            } else if (p[i + 1] == '+') {
                last = true;
            }
        }

        if (literal && run_len < CS_SIG_LITERAL_MAX) {
            run[run_len++] = lit;
            if (!last) {
                continue;
            }
        }
        if (run_len > best) {
            best = run_len;
            memcpy(out, run, run_len);
        }
        run_len = 0;
    }

    if (best < 2) {
        return 0;
    }
    out[best] = '\0';
    return best;
}

static int
cs_bigram_cmp(const void *a, const void *b)
{
    const cs_bigram_t *x = a, *y = b;

    if (x->bigram != y->bigram) {
        return x->bigram < y->bigram ? -1 : 1;
    }
    return x->sig < y->sig ? -1 : x->sig > y->sig;
}

static uint16_t
cs_bigram_of(const unsigned char *p)
{
    return (uint16_t) (p[0] | (p[1] << 8));
}

/*
 * How common a byte is in script text, roughly (0 rare .. 9 very common):
 * punctuation and space, then lowercase letters by English frequency;
 * uppercase, digits and '_' are uncommon.
 */
static unsigned
cs_byte_commonness(unsigned char c)
{
    static const char  letters[] = "etaoinsrhldcumfpgwybvkxjqz";
    const char        *at;

    if (c >= 'a' && c <= 'z') {
        at = strchr(letters, c);
        return at ? 9 - (unsigned) (at - letters) / 3 : 0;
    }
    if (c == ' ' || c == '.' || c == '(' || c == ')' || c == ',' || c == ';'
        || c == '\'' || c == '"' || c == '=' || c == '\n')
    {
        return 9;
    }
    return 2;
}

/*
 * The literal's rarest bigram, by cs_byte_commonness: the prefilter looks
 * closer wherever a signature's anchor bigram occurs, so a rare one keeps
 * that to few places in the text. literal_len >= 2.
 */
static uint32_t
cs_literal_anchor(const char *literal, uint32_t literal_len)
{
    const unsigned char  *l = (const unsigned char *) literal;
    uint32_t              best = 0;
    unsigned              best_score = ~0u;

    for (uint32_t i = 0; i + 1 < literal_len; i++) {
        unsigned score = cs_byte_commonness(l[i])
                         + cs_byte_commonness(l[i + 1]);
        if (score < best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

static int
cs_cstr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * The distinct last labels ("com", "net", "jp", ...) of every host suffix:
 * a domain-like token in script text whose last label is none of them
 * cannot match, and most tokens there are property accesses. Sized for the
 * distinct labels (a few dozen even for thousands of hosts) so the set stays
 * in a few cache lines.
 */
static int
cs_build_labels(cs_load_t *ld)
{
    cs_rules_t   *rules = ld->rules;
    const char  **labels;
    uint32_t      n = 0, distinct = 0, cap = 16;

    labels = calloc(rules->nhosts ? rules->nhosts : 1, sizeof(*labels));
    if (labels == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    for (uint32_t i = 0; rules->nhosts && i <= rules->host_mask; i++) {
        const char *host = rules->host_slots[i].host;
        if (host != NULL && n < rules->nhosts) {
            const char *dot = strrchr(host, '.');
            labels[n++] = dot ? dot + 1 : host;
        }
    }
    qsort(labels, n, sizeof(*labels), cs_cstr_cmp);
    for (uint32_t i = 0; i < n; i++) {
        if (distinct == 0 || strcmp(labels[distinct - 1], labels[i]) != 0) {
            labels[distinct++] = labels[i];
        }
    }

    /* load factor <= 1/2, as the host table */
    while (cap < distinct * 2) {
        cap *= 2;
    }
    rules->label_slots = calloc(cap, sizeof(*rules->label_slots));
    if (rules->label_slots == NULL) {
        free(labels);
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rules->label_mask = cap - 1;
    for (uint32_t i = 0; i < distinct; i++) {
        size_t    len = strlen(labels[i]);
        uint64_t  h = cs_hash_reverse(labels[i], len);
        uint32_t  s = (uint32_t) h & rules->label_mask;

        while (rules->label_slots[s].label != NULL) {
            s = (s + 1) & rules->label_mask;
        }
        rules->label_slots[s].label = labels[i];
        rules->label_slots[s].key = cs_host_key(h, (uint32_t) len);
        if (len > rules->label_len_max) {
            rules->label_len_max = (uint32_t) len;
        }
        if (len < 64) {
            rules->label_first[len] |= 1ull << ((unsigned char) labels[i][0]
                                                & 63);
        }
    }
    free(labels);
    return 0;
}

bool
cs_rules_host_label(const cs_rules_t *rules, const char *label, size_t len)
{
    if (rules == NULL || rules->label_slots == NULL || len == 0
        || len > rules->label_len_max)
    {
        return false;
    }
    /* most labels tested are property names: a length and first byte no
       host label has rejects them without hashing */
    if (len < 64
        && !((rules->label_first[len] >> ((unsigned char) label[0] & 63)) & 1))
    {
        return false;
    }

    uint64_t  h = cs_hash_reverse(label, len);
    uint32_t  key = cs_host_key(h, (uint32_t) len);

    for (uint32_t s = (uint32_t) h & rules->label_mask; ;
         s = (s + 1) & rules->label_mask)
    {
        const cs_label_slot_t *slot = &rules->label_slots[s];

        if (slot->label == NULL) {
            return false;
        }
        if (slot->key == key && memcmp(slot->label, label, len) == 0) {
            return true;
        }
    }
}

static int
cs_load_signatures(cs_load_t *ld)
{
    cs_rules_t     *rules = ld->rules;
    uint32_t        count;
    MDB_cursor     *cur;
    MDB_val         key, val;
    int             rc;

    if (cs_db_count(ld, CS_DB_SIGNATURES, &count) != 0) {
        return -1;
    }
    if (count == 0) {
        return 0;
    }

    rules->sigs = calloc(count, sizeof(*rules->sigs));
    rules->bigrams = calloc(count, sizeof(*rules->bigrams));
    rules->sig_candidate = calloc(count, 1);
    rules->bigram_table = calloc(65536, 1);
    rules->sig_mctx = pcre2_match_context_create(NULL);
    rules->sig_mdata = pcre2_match_data_create(1, NULL);
    if (rules->sigs == NULL || rules->bigrams == NULL
        || rules->sig_candidate == NULL || rules->bigram_table == NULL
        || rules->sig_mctx == NULL
        || rules->sig_mdata == NULL)
    {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    pcre2_set_match_limit(rules->sig_mctx, CS_SIG_MATCH_LIMIT);
    pcre2_set_depth_limit(rules->sig_mctx, CS_SIG_DEPTH_LIMIT);
    rules->sig_jit_stack = pcre2_jit_stack_create(CS_SIG_JIT_STACK_MIN,
                                                  CS_SIG_JIT_STACK_MAX, NULL);
    if (rules->sig_jit_stack != NULL) {
        pcre2_jit_stack_assign(rules->sig_mctx, NULL, rules->sig_jit_stack);
    }

    rc = mdb_cursor_open(ld->txn, ld->dbi[CS_DB_SIGNATURES], &cur);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }

    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && rules->nsigs < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    {
        const char      *k = key.mv_data;
        const char      *colon = NULL;
        cs_signature_t  *sig = &rules->sigs[rules->nsigs];
        int              errcode;
        PCRE2_SIZE       erroff;
        int              klen = (int) (key.mv_size > 80 ? 80 : key.mv_size);

        for (size_t i = key.mv_size; i > 0; i--) {
            if (k[i - 1] == ':') {
                colon = k + i - 1;
                break;
            }
        }

        int32_t rec = colon ? cs_rules_recipient_find(rules, k,
                                                      (size_t) (colon - k))
                            : -1;
        if (rec < 0 || val.mv_size == 0) {
            cs_set_err(ld->err, ld->errlen,
                       "%s: signature '%.*s' is empty or names an unknown "
                       "recipient", ld->path, klen, k);
            mdb_cursor_close(cur);
            return -1;
        }
        if (memchr(val.mv_data, '\0', val.mv_size) != NULL) {
            cs_set_err(ld->err, ld->errlen,
                       "%s: signature '%.*s' contains a NUL byte", ld->path,
                       klen, k);
            mdb_cursor_close(cur);
            return -1;
        }

        /*
         * No UTF: response bodies are arbitrary bytes and must never make
         * the matcher fail; NEVER_UTF also forbids a pattern turning it on.
         */
        sig->code = pcre2_compile((PCRE2_SPTR) val.mv_data, val.mv_size,
                                  PCRE2_NEVER_UTF, &errcode, &erroff, NULL);
        if (sig->code == NULL) {
            PCRE2_UCHAR msg[160];

            pcre2_get_error_message(errcode, msg, sizeof(msg));
            cs_set_err(ld->err, ld->errlen,
                       "%s: signature '%.*s' does not compile: %s", ld->path,
                       klen, k, (const char *) msg);
            mdb_cursor_close(cur);
            return -1;
        }
        /* JIT is an optimisation only: the interpreter is used if it fails */
        (void) pcre2_jit_compile(sig->code, PCRE2_JIT_COMPLETE);

        sig->recipient = (uint32_t) rec;
        sig->literal_len = cs_signature_literal(val.mv_data, val.mv_size,
                                                sig->literal);
        if (sig->literal_len) {
            uint32_t  off = cs_literal_anchor(sig->literal, sig->literal_len);
            uint16_t  bg = cs_bigram_of((const unsigned char *) sig->literal
                                        + off);
            rules->bigrams[rules->nbigrams].bigram = bg;
            rules->bigrams[rules->nbigrams].offset = (uint16_t) off;
            rules->bigrams[rules->nbigrams].sig = rules->nsigs;
            rules->nbigrams++;
        }
        rules->nsigs++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading signatures: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    qsort(rules->bigrams, rules->nbigrams, sizeof(*rules->bigrams),
          cs_bigram_cmp);
    for (uint32_t i = rules->nbigrams; i > 0; i--) {
        /* backwards: each bigram's entry ends up naming its first index */
        rules->bigram_table[rules->bigrams[i - 1].bigram] =
            (unsigned char) (i - 1 < CS_BIGRAM_DIRECT ? i : CS_BIGRAM_SEARCH);
    }

    /*
     * The same anchors as nibble tables for a SIMD prefilter: each bigram
     * in one of 8 buckets, the bucket's bit set under each of its four
     * nibbles. A position whose four lookups share a bit may hold an
     * anchor; one where they share none holds none. A bucket passes every
     * bigram of its nibbles' cross product, so each bigram goes where it
     * adds the fewest.
     */
    for (uint32_t i = 0; i < rules->nbigrams; i++) {
        unsigned  bg = rules->bigrams[i].bigram;
        unsigned  nib[4] = { bg & 15, (bg >> 4) & 15, (bg >> 8) & 15,
                             bg >> 12 };
        unsigned  best = 0;
        uint64_t  best_cost = UINT64_MAX;

        for (unsigned b = 0; b < 8; b++) {
            uint64_t before = 1, after = 1;
            for (unsigned n = 0; n < 4; n++) {
                unsigned set = 0, has;
                for (unsigned v = 0; v < 16; v++) {
                    set += (rules->bigram_nibbles[n][v] >> b) & 1;
                }
                has = (rules->bigram_nibbles[n][nib[n]] >> b) & 1;
                before *= set;
                after *= set + !has;
            }
            if (after - before < best_cost) {
                best_cost = after - before;
                best = b;
            }
        }
        for (unsigned n = 0; n < 4; n++) {
            rules->bigram_nibbles[n][nib[n]] |= (unsigned char) (1u << best);
        }
    }
    return 0;
}

static int
cs_load_sites(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    uint32_t     count;
    MDB_cursor  *cur;
    MDB_val      key, val;
    int          rc;

    if (cs_db_count(ld, CS_DB_SITES, &count) != 0) {
        return -1;
    }
    rules->sites = calloc(count ? count : 1, sizeof(cs_site_t));
    if (rules->sites == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }

    rc = mdb_cursor_open(ld->txn, ld->dbi[CS_DB_SITES], &cur);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }

    uint32_t n = 0;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    {
        const char *f[1];

        if (!cs_rules_id_valid(key.mv_data, key.mv_size)
            || cs_split_fields(&val, f, 1) < 1)
        {
            cs_set_err(ld->err, ld->errlen, "%s: site '%.*s': invalid id or "
                       "malformed value", ld->path,
                       (int) (key.mv_size > 64 ? 64 : key.mv_size),
                       (const char *) key.mv_data);
            mdb_cursor_close(cur);
            return -1;
        }

        cs_site_t *s = &rules->sites[n];
        s->id = cs_arena_strndup(&rules->arena, key.mv_data, key.mv_size);
        s->name = cs_arena_strndup(&rules->arena, f[0], strlen(f[0]));
        if (s->id == NULL || s->name == NULL) {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            mdb_cursor_close(cur);
            return -1;
        }
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading sites: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }
    rules->nsites = n;
    return 0;
}

/* A declares record while loading, before it takes its place. */
typedef struct {
    uint32_t          site;
    uint64_t          rank;     /* stored order, else 2^32 + recipient */
    cs_declaration_t  decl;
} cs_decl_load_t;

static int
cs_decl_rank_cmp(const void *a, const void *b)
{
    const cs_decl_load_t *x = a, *y = b;

    if (x->site != y->site) {
        return x->site < y->site ? -1 : 1;
    }
    if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    return 0;
}

static int
cs_decl_ref_cmp(const void *a, const void *b)
{
    const cs_decl_ref_t *x = a, *y = b;

    return x->recipient < y->recipient ? -1 : x->recipient > y->recipient;
}

static const char *
cs_field_or(cs_arena_t *arena, const char *field, const char *fallback)
{
    return field[0] != '\0' ? cs_arena_strndup(arena, field, strlen(field))
                            : fallback;
}

/* The optional order field: decimal, 0 to 2^32 - 2. */
static bool
cs_parse_order(const char *s, uint64_t *order)
{
    uint64_t v = 0;

    if (s[0] == '\0' || strlen(s) > 10) {
        return false;
    }
    for (const char *d = s; *d; d++) {
        if (*d < '0' || *d > '9') {
            return false;
        }
        v = v * 10 + (uint64_t) (*d - '0');
    }
    if (v >= UINT32_MAX) {
        return false;
    }
    *order = v;
    return true;
}

/*
 * declares "SITE/RECIPIENT": service, category, sent, purpose and the
 * optional order (absent in files compiled before it: those sort after the
 * ordered ones, in recipient id order). Each site's declarations end up in
 * declaration order, with an index by recipient beside them.
 */
static int
cs_load_declares(cs_load_t *ld)
{
    cs_rules_t      *rules = ld->rules;
    cs_decl_load_t  *tmp;
    uint32_t         count;
    MDB_cursor      *cur;
    MDB_val          key, val;
    int              rc;

    if (cs_db_count(ld, CS_DB_DECLARES, &count) != 0) {
        return -1;
    }
    tmp = calloc(count ? count : 1, sizeof(*tmp));
    rules->decls = calloc(count ? count : 1, sizeof(cs_declaration_t));
    rules->decl_refs = calloc(count ? count : 1, sizeof(cs_decl_ref_t));
    if (tmp == NULL || rules->decls == NULL || rules->decl_refs == NULL) {
        free(tmp);
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }

    rc = mdb_cursor_open(ld->txn, ld->dbi[CS_DB_DECLARES], &cur);
    if (rc != 0) {
        free(tmp);
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }

    uint32_t n = 0;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    {
        const char  *k = key.mv_data;
        const char  *slash = memchr(k, '/', key.mv_size);
        const char  *f[5];
        int          nf = -1;
        int32_t      site = -1, rec = -1;
        uint64_t     order = 0;

        if (slash != NULL) {
            site = cs_rules_site_find(rules, k, (size_t) (slash - k));
            rec = cs_rules_recipient_find(rules, slash + 1,
                                          key.mv_size - (size_t) (slash - k)
                                          - 1);
            nf = cs_split_fields(&val, f, 5);
        }
        if (site < 0 || rec < 0 || nf < 4
            || (nf == 5 && !cs_parse_order(f[4], &order)))
        {
            cs_set_err(ld->err, ld->errlen,
                       "%s: declaration '%.*s' names an unknown site or "
                       "recipient, or is malformed", ld->path,
                       (int) (key.mv_size > 140 ? 140 : key.mv_size), k);
            goto failed;
        }

        const cs_recipient_t *r = &rules->recipients[rec];
        cs_decl_load_t       *t = &tmp[n];
        cs_declaration_t     *d = &t->decl;

        t->site = (uint32_t) site;
        t->rank = nf == 5 ? order : ((uint64_t) 1 << 32) + (uint32_t) rec;
        d->recipient = (uint32_t) rec;
        d->service = cs_field_or(&rules->arena, f[0], "");
        d->category = cs_field_or(&rules->arena, f[1], r->category);
        d->sent = cs_field_or(&rules->arena, f[2], r->sent);
        d->purpose = cs_field_or(&rules->arena, f[3], r->purpose);
        if (d->service == NULL || d->category == NULL || d->sent == NULL
            || d->purpose == NULL)
        {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            goto failed;
        }
        n++;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading declares: %s",
                   ld->path, mdb_strerror(rc));
        goto failed;
    }

    /* Key order ("site/recipient" bytes) is neither site nor rank order. */
    qsort(tmp, n, sizeof(*tmp), cs_decl_rank_cmp);

    for (uint32_t i = 0; i < n; ) {
        uint32_t   j = i;
        cs_site_t *s = &rules->sites[tmp[i].site];

        for (; j < n && tmp[j].site == tmp[i].site; j++) {
            if (j > i && tmp[j].rank == tmp[j - 1].rank) {
                cs_set_err(ld->err, ld->errlen, "%s: site '%s' has two "
                           "declarations with order %llu", ld->path, s->id,
                           (unsigned long long) tmp[j].rank);
                goto failed;
            }
            rules->decls[j] = tmp[j].decl;
            rules->decl_refs[j].recipient = tmp[j].decl.recipient;
            rules->decl_refs[j].decl = j - i;
        }
        s->decls = &rules->decls[i];
        s->by_recipient = &rules->decl_refs[i];
        s->ndecls = j - i;
        qsort(s->by_recipient, s->ndecls, sizeof(cs_decl_ref_t),
              cs_decl_ref_cmp);
        i = j;
    }
    rules->ndecls = n;
    free(tmp);
    return 0;

failed:
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    free(tmp);
    return -1;
}

static int
cs_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Categories are derived: recipients' plus declarations' overrides. */
static int
cs_build_categories(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    size_t       total = (size_t) rules->nrecipients + rules->ndecls;
    uint32_t     n = 0;

    rules->categories = calloc(total ? total : 1, sizeof(const char *));
    if (rules->categories == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    for (uint32_t i = 0; i < rules->nrecipients; i++) {
        rules->categories[n++] = rules->recipients[i].category;
    }
    for (uint32_t i = 0; i < rules->ndecls; i++) {
        const cs_declaration_t *d = &rules->decls[i];

        /* without an override it is the recipient's string, listed above */
        if (d->category != rules->recipients[d->recipient].category) {
            rules->categories[n++] = d->category;
        }
    }
    qsort(rules->categories, n, sizeof(const char *), cs_str_cmp);

    uint32_t unique = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (unique == 0
            || strcmp(rules->categories[unique - 1], rules->categories[i]) != 0)
        {
            rules->categories[unique++] = rules->categories[i];
        }
    }
    rules->ncategories = unique;

    /* few distinct categories: give the rest back (keep it if that fails) */
    const char **shrunk = realloc(rules->categories,
                                  (unique ? unique : 1) * sizeof(const char *));
    if (shrunk != NULL) {
        rules->categories = shrunk;
    }
    return 0;
}

/* Orders map entries by site index, format name, then CMP name bytes. */
static int
cs_consent_map_key_compare(const cs_cmp_map_t *m, uint32_t site, const char *format,
    const char *name, size_t name_len)
{
    if (m->site != site) {
        return m->site < site ? -1 : 1;
    }

    int c = strcmp(m->format, format);
    if (c != 0) {
        return c;
    }

    size_t n = m->name_len < name_len ? m->name_len : name_len;
    c = memcmp(m->name, name, n);
    if (c == 0 && m->name_len != name_len) {
        c = m->name_len < name_len ? -1 : 1;
    }
    return c;
}

static int
cs_consent_map_order(const void *a, const void *b)
{
    const cs_cmp_map_t *y = b;

    return cs_consent_map_key_compare(a, y->site, y->format, y->name, y->name_len);
}

/*
 * Optional cmp_maps: "SITE/FORMAT/NAME" -> fields, one target each (at
 * least one; each a recipient id or category). Needs sites, recipients and
 * categories loaded. The format is not restricted to the ones the compiler
 * knows, so a later compiler may add formats.
 */
static int
cs_load_cmp_maps(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    MDB_stat     st;
    MDB_cursor  *cur;
    MDB_val      key, val;
    int          rc;

    if (!ld->has_cmp_maps) {
        return 0;                        /* compiled before cmp_maps: empty */
    }
    rc = mdb_stat(ld->txn, ld->cmp_maps, &st);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot stat sub-database "
                   "'cmp_maps': %s", ld->path, mdb_strerror(rc));
        return -1;
    }
    if (st.ms_entries > UINT32_MAX / 4) {
        cs_set_err(ld->err, ld->errlen, "%s: sub-database 'cmp_maps' is too "
                   "large", ld->path);
        return -1;
    }
    if (st.ms_entries == 0) {
        return 0;
    }

    uint32_t count = (uint32_t) st.ms_entries, n = 0;

    rules->cmp_maps = calloc(count, sizeof(cs_cmp_map_t));
    if (rules->cmp_maps == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    rc = mdb_cursor_open(ld->txn, ld->cmp_maps, &cur);
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: %s", ld->path, mdb_strerror(rc));
        return -1;
    }

    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
         rc == 0 && n < count;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    {
        const char    *k = key.mv_data, *end = k + key.mv_size;
        const char    *s1 = memchr(k, '/', key.mv_size);
        const char    *s2 = s1 ? memchr(s1 + 1, '/', (size_t) (end - s1 - 1))
                               : NULL;
        cs_cmp_map_t  *m = &rules->cmp_maps[n];
        int32_t        site = -1;
        bool           ok = s2 != NULL;

        if (ok) {
            site = cs_rules_site_find(rules, k, (size_t) (s1 - k));
            m->name_len = (size_t) (end - s2 - 1);
            ok = site >= 0 && cs_rules_id_valid(s1 + 1, (size_t) (s2 - s1 - 1))
                 && m->name_len > 0 && m->name_len <= CS_RULES_CMP_NAME_MAX;
            for (size_t i = 0; ok && i < m->name_len; i++) {
                unsigned char c = (unsigned char) s2[1 + i];
                ok = c > ' ' && c < 0x7f;
            }
        }

        /* targets: one or more non-empty fields, the value ends with NUL */
        const char *t = val.mv_data;
        size_t      left = val.mv_size;

        ok = ok && left > 0 && t[left - 1] == '\0';
        m->ntargets = 0;
        while (ok && left > 0) {
            size_t tlen = strlen(t);

            ok = tlen > 0 && (cs_rules_recipient_find(rules, t, tlen) >= 0
                              || cs_rules_is_category(rules, t, tlen));
            m->ntargets++;
            t += tlen + 1;
            left -= tlen + 1;
        }
        if (!ok) {
            cs_set_err(ld->err, ld->errlen, "%s: consent manager map '%.*s' "
                       "names an unknown site, an invalid format or name, or "
                       "a target that is neither a recipient nor a category",
                       ld->path, (int) (key.mv_size > 140 ? 140 : key.mv_size),
                       k);
            mdb_cursor_close(cur);
            return -1;
        }

        m->site = (uint32_t) site;
        m->format = cs_arena_strndup(&rules->arena, s1 + 1,
                                     (size_t) (s2 - s1 - 1));
        m->name = cs_arena_strndup(&rules->arena, s2 + 1, m->name_len);
        m->targets = cs_arena_strndup(&rules->arena, val.mv_data,
                                      val.mv_size);
        if (m->format == NULL || m->name == NULL || m->targets == NULL) {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            mdb_cursor_close(cur);
            return -1;
        }
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        cs_set_err(ld->err, ld->errlen, "%s: reading cmp_maps: %s", ld->path,
                   mdb_strerror(rc));
        return -1;
    }

    /* Key order ("site/..." bytes) differs from site index order. */
    qsort(rules->cmp_maps, n, sizeof(cs_cmp_map_t), cs_consent_map_order);
    rules->ncmp_maps = n;
    return 0;
}

/*
 * meta "gpc_categories": fields, one category each (at least one, each a
 * category of these rules, no repeats). Absent: the default.
 */
static int
cs_load_gpc(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    MDB_val      key = { sizeof("gpc_categories") - 1,
                         (void *) "gpc_categories" };
    MDB_val      val;
    int          rc = mdb_get(ld->txn, ld->dbi[CS_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND) {
        rules->gpc = cs_gpc_default;
        rules->ngpc = sizeof(cs_gpc_default) / sizeof(cs_gpc_default[0]);
        return 0;
    }
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot read gpc_categories: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    const char  *p = val.mv_data;
    size_t       left = val.mv_size;
    uint32_t     n = 0;

    if (left == 0 || p[left - 1] != '\0' || left / 2 > UINT32_MAX) {
        goto malformed;
    }
    rules->gpc_alloc = calloc(left / 2 + 1, sizeof(const char *));
    if (rules->gpc_alloc == NULL) {
        cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
        return -1;
    }
    while (left > 0) {
        size_t len = strlen(p);          /* the value ends with NUL */

        if (!cs_rules_id_valid(p, len) || !cs_rules_is_category(rules, p, len)) {
            cs_set_err(ld->err, ld->errlen, "%s: meta gpc_categories: '%.*s' "
                       "is not a category of these rules", ld->path,
                       (int) (len > 64 ? 64 : len), p);
            return -1;
        }
        rules->gpc_alloc[n] = cs_arena_strndup(&rules->arena, p, len);
        if (rules->gpc_alloc[n] == NULL) {
            cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
            return -1;
        }
        n++;
        p += len + 1;
        left -= len + 1;
    }
    qsort(rules->gpc_alloc, n, sizeof(const char *), cs_str_cmp);
    for (uint32_t i = 1; i < n; i++) {
        if (strcmp(rules->gpc_alloc[i - 1], rules->gpc_alloc[i]) == 0) {
            goto malformed;
        }
    }
    rules->gpc = rules->gpc_alloc;
    rules->ngpc = n;
    return 0;

malformed:
    cs_set_err(ld->err, ld->errlen, "%s: meta gpc_categories: malformed value "
               "(need one or more distinct categories, each followed by NUL)",
               ld->path);
    return -1;
}

/*
 * meta "generation": 16 lowercase hex digits identifying the compiled
 * content. Absent (compiled before the key): left empty.
 */
static int
cs_load_generation(cs_load_t *ld)
{
    MDB_val  key = { sizeof("generation") - 1, (void *) "generation" };
    MDB_val  val;
    int      rc = mdb_get(ld->txn, ld->dbi[CS_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }
    if (rc != 0) {
        cs_set_err(ld->err, ld->errlen, "%s: cannot read generation: %s",
                   ld->path, mdb_strerror(rc));
        return -1;
    }

    const char *v = val.mv_data;
    bool        ok = val.mv_size == CS_RULES_GENERATION_LEN;

    for (size_t i = 0; ok && i < val.mv_size; i++) {
        ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f');
    }
    if (!ok) {
        cs_set_err(ld->err, ld->errlen, "%s: meta generation: malformed "
                   "value (need %d lowercase hex digits)", ld->path,
                   CS_RULES_GENERATION_LEN);
        return -1;
    }
    memcpy(ld->rules->generation, v, CS_RULES_GENERATION_LEN);
    ld->rules->generation[CS_RULES_GENERATION_LEN] = '\0';
    return 0;
}

static int
cs_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}

/*
 * Per site: the declared set, one set per category it declares recipients
 * under, and the set Global Privacy Control withdraws, all in one block.
 * Categories are handled by their index in the sorted rules->categories,
 * so a site's categories sort by index and compare as integers. Needs
 * declarations, categories and GPC categories loaded.
 */
static int
cs_build_site_sets(cs_load_t *ld)
{
    cs_rules_t  *rules = ld->rules;
    size_t       words = cs_bitset_words(rules->nrecipients);
    size_t       ncats = 0, nsets;
    uint32_t     ncategories = rules->ncategories ? rules->ncategories : 1;
    uint32_t    *decl_cat, *seen, *slot, *list;
    uint64_t    *next;
    int          ret = -1;

    if (words == 0) {
        words = 1;                      /* valid, all-zero sets */
    }
    decl_cat = calloc(rules->ndecls ? rules->ndecls : 1, sizeof(uint32_t));
    seen = calloc(ncategories, sizeof(uint32_t));     /* site index + 1 */
    slot = calloc(ncategories, sizeof(uint32_t));
    list = calloc(ncategories, sizeof(uint32_t));
    if (decl_cat == NULL || seen == NULL || slot == NULL || list == NULL) {
        goto nomem;
    }

    /* every declaration's category index; the distinct ones per site */
    for (uint32_t d = 0; d < rules->ndecls; d++) {
        const char  *c = rules->decls[d].category;
        int32_t      ci = cs_find_sorted(rules->categories, sizeof(char *),
                                         rules->ncategories, c, strlen(c));

        if (ci < 0) {
            cs_set_err(ld->err, ld->errlen, "%s: category '%s' missing from "
                       "the category index", ld->path, c);
            goto done;
        }
        decl_cat[d] = (uint32_t) ci;
    }
    for (uint32_t i = 0; i < rules->nsites; i++) {
        const cs_site_t *s = &rules->sites[i];
        size_t           first = (size_t) (s->decls - rules->decls);

        for (uint32_t d = 0; d < s->ndecls; d++) {
            uint32_t ci = decl_cat[first + d];

            if (seen[ci] != i + 1) {
                seen[ci] = i + 1;
                ncats++;
            }
        }
    }

    nsets = (size_t) rules->nsites * 2 + ncats;
    rules->set_words = words;
    if (nsets > SIZE_MAX / sizeof(uint64_t) / words) {
        goto nomem;
    }
    rules->site_sets = calloc(nsets ? nsets * words : 1, sizeof(uint64_t));
    rules->site_cats = calloc(ncats ? ncats : 1, sizeof(cs_site_category_t));
    if (rules->site_sets == NULL || rules->site_cats == NULL) {
        goto nomem;
    }

    memset(seen, 0, ncategories * sizeof(uint32_t));
    next = rules->site_sets;
    ncats = 0;
    for (uint32_t i = 0; i < rules->nsites; i++) {
        cs_site_t  *s = &rules->sites[i];
        size_t      first = (size_t) (s->decls - rules->decls);
        uint64_t   *declared = next, *gpc = next + words;
        uint32_t    n = 0;

        next += 2 * words;
        s->declared = declared;
        s->gpc = gpc;
        s->cats = &rules->site_cats[ncats];

        for (uint32_t d = 0; d < s->ndecls; d++) {
            uint32_t ci = decl_cat[first + d];

            if (seen[ci] != i + 1) {
                seen[ci] = i + 1;
                list[n++] = ci;
            }
        }
        qsort(list, n, sizeof(uint32_t), cs_u32_cmp);   /* = name order */
        for (uint32_t c = 0; c < n; c++) {
            s->cats[c].category = rules->categories[list[c]];
            s->cats[c].set = next;
            s->cats[c].count = 0;
            slot[list[c]] = c;
            next += words;
        }
        s->ncats = n;
        ncats += n;

        for (uint32_t d = 0; d < s->ndecls; d++) {
            uint32_t             r = s->decls[d].recipient;
            cs_site_category_t  *cat = &s->cats[slot[decl_cat[first + d]]];

            cs_bitset_set(declared, r);
            cs_bitset_set(cat->set, r);
            cat->count++;
        }
        for (uint32_t c = 0; c < n; c++) {
            if (!cs_rules_is_gpc_category(rules, s->cats[c].category)) {
                continue;
            }
            for (size_t w = 0; w < words; w++) {
                gpc[w] |= s->cats[c].set[w];
            }
        }
    }
    ret = 0;
    goto done;

nomem:
    cs_set_err(ld->err, ld->errlen, "%s: out of memory", ld->path);
done:
    free(decl_cat);
    free(seen);
    free(slot);
    free(list);
    return ret;
}

cs_rules_t *
cs_rules_load(const char *path, char *err, size_t errlen)
{
    MDB_env     *env = NULL;
    cs_load_t    ld;
    int          rc;

    cs_set_err(err, errlen, "%s", "");
    memset(&ld, 0, sizeof(ld));
    ld.path = path != NULL ? path : "(null)";
    ld.err = err;
    ld.errlen = errlen;

    if (path == NULL) {
        cs_set_err(err, errlen, "rules database path is NULL");
        return NULL;
    }

    ld.rules = calloc(1, sizeof(cs_rules_t));
    if (ld.rules == NULL) {
        cs_set_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }

    rc = mdb_env_create(&env);
    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 16);
    }
    if (rc != 0) {
        cs_set_err(err, errlen, "%s: %s", path, mdb_strerror(rc));
        goto failed;
    }

    /*
     * The file is immutable once renamed into place (the compiler always
     * writes a new file), so no lock file is needed: MDB_NOLOCK also means
     * readers need no write access to the directory.
     */
    rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0);
    if (rc != 0) {
        /* LMDB reports an empty read-only file as EBADF */
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == EINVAL
            || rc == EBADF)
        {
            cs_set_err(err, errlen, "%s: not an LMDB rules database (%s)",
                       path, mdb_strerror(rc));
        } else {
            cs_set_err(err, errlen, "%s: cannot open rules database: %s",
                       path, mdb_strerror(rc));
        }
        goto failed;
    }

    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &ld.txn);
    if (rc != 0) {
        cs_set_err(err, errlen, "%s: cannot begin read transaction: %s",
                   path, mdb_strerror(rc));
        goto failed;
    }

    for (size_t i = 0; i < sizeof(cs_required_dbs) / sizeof(cs_required_dbs[0]);
         i++)
    {
        rc = mdb_dbi_open(ld.txn, cs_required_dbs[i], 0, &ld.dbi[i]);
        if (rc != 0) {
            if (rc == MDB_NOTFOUND) {
                cs_set_err(err, errlen, "%s: missing sub-database '%s' (not a "
                           "consent rules database?)", path,
                           cs_required_dbs[i]);
            } else {
                cs_set_err(err, errlen, "%s: cannot open sub-database '%s': "
                           "%s", path, cs_required_dbs[i], mdb_strerror(rc));
            }
            goto failed;
        }
    }

    /* Optional sub-databases: absent (older files) means empty. */
    rc = mdb_dbi_open(ld.txn, "cmp_maps", 0, &ld.cmp_maps);
    if (rc == 0) {
        ld.has_cmp_maps = true;
    } else if (rc != MDB_NOTFOUND) {
        cs_set_err(err, errlen, "%s: cannot open sub-database 'cmp_maps': %s",
                   path, mdb_strerror(rc));
        goto failed;
    }

    if (cs_check_format(&ld) != 0
        || cs_load_generation(&ld) != 0
        || cs_load_recipients(&ld) != 0
        || cs_load_hosts(&ld) != 0
        || cs_build_labels(&ld) != 0
        || cs_load_signatures(&ld) != 0
        || cs_load_sites(&ld) != 0
        || cs_load_declares(&ld) != 0
        || cs_build_categories(&ld) != 0
        || cs_load_cmp_maps(&ld) != 0
        || cs_load_gpc(&ld) != 0
        || cs_build_site_sets(&ld) != 0)
    {
        goto failed;
    }

    mdb_txn_abort(ld.txn);
    mdb_env_close(env);
    return ld.rules;

failed:
    if (ld.txn != NULL) {
        mdb_txn_abort(ld.txn);
    }
    if (env != NULL) {
        mdb_env_close(env);
    }
    cs_rules_free(ld.rules);
    return NULL;
}

void
cs_rules_free(cs_rules_t *rules)
{
    if (rules == NULL) {
        return;
    }
    free(rules->label_slots);
    for (uint32_t i = 0; i < rules->nsigs; i++) {
        pcre2_code_free(rules->sigs[i].code);
    }
    free(rules->sigs);
    free(rules->bigrams);
    free(rules->bigram_table);
    free(rules->sig_candidate);
    pcre2_match_data_free(rules->sig_mdata);
    pcre2_match_context_free(rules->sig_mctx);
    pcre2_jit_stack_free(rules->sig_jit_stack);
    free(rules->categories);
    free(rules->gpc_alloc);
    free(rules->cmp_maps);
    free(rules->decls);
    free(rules->decl_refs);
    free(rules->site_sets);
    free(rules->site_cats);
    free(rules->sites);
    free(rules->host_slots);
    free(rules->recipients);
    cs_arena_free(&rules->arena);
    free(rules);
}

/* ---------------------------------------------------------------------- */
/* Queries */

uint32_t
cs_rules_recipient_count(const cs_rules_t *rules)
{
    return rules != NULL ? rules->nrecipients : 0;
}

const cs_recipient_t *
cs_rules_recipient(const cs_rules_t *rules, uint32_t recipient)
{
    if (rules == NULL || recipient >= rules->nrecipients) {
        return NULL;
    }
    return &rules->recipients[recipient];
}

int32_t
cs_rules_recipient_find(const cs_rules_t *rules, const char *id, size_t len)
{
    if (rules == NULL || id == NULL || rules->recipients == NULL) {
        return -1;
    }
    return cs_find_sorted(&rules->recipients[0].id, sizeof(cs_recipient_t),
                          rules->nrecipients, id, len);
}

int32_t
cs_rules_match_host(const cs_rules_t *rules, const char *host, size_t len)
{
    int32_t   found = -1;
    uint64_t  h = CS_FNV_OFFSET;

    if (rules == NULL || host == NULL || rules->nhosts == 0) {
        return -1;
    }
    if (len > 0 && host[len - 1] == '.') {
        len--;                        /* tolerate an absolute name */
    }
    if (len == 0 || len > 253) {
        return -1;
    }

    /*
     * Walk from the right, extending the reverse hash one byte at a time;
     * at every label boundary look the suffix up. Later hits are longer
     * suffixes, so the last hit is the longest match.
     */
    for (size_t i = len; i > 0; i--) {
        h ^= (unsigned char) host[i - 1];
        h *= CS_FNV_PRIME;

        if (i - 1 != 0 && host[i - 2] != '.') {
            continue;
        }

        const char  *suffix = host + i - 1;
        uint32_t     slen = (uint32_t) (len - (i - 1));
        uint32_t     key = cs_host_key(h, slen);

        for (uint32_t s = (uint32_t) h & rules->host_mask; ;
             s = (s + 1) & rules->host_mask)
        {
            const cs_host_slot_t *slot = &rules->host_slots[s];

            if (slot->host == NULL) {
                break;
            }
            if (slot->key == key && memcmp(slot->host, suffix, slen) == 0)
            {
                found = slot->recipient;
                break;
            }
        }
    }
    return found;
}

/*
 * Flags in cand the signatures whose literal occurs with its anchor bigram
 * at t[at] (at + 1 < len).
 */
static void
cs_signature_candidates(const cs_rules_t *rules, const unsigned char *t,
    size_t len, size_t at, unsigned char *cand)
{
    uint16_t  bg = cs_bigram_of(t + at);
    size_t    lo = rules->bigram_table[bg];

    if (lo == 0) {
        return;
    }
    if (lo == CS_BIGRAM_SEARCH) {
        size_t hi = rules->nbigrams;
        lo = 0;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (rules->bigrams[mid].bigram < bg) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
    } else {
        lo--;
    }
    for (; lo < rules->nbigrams && rules->bigrams[lo].bigram == bg; lo++) {
        const cs_signature_t *sig = &rules->sigs[rules->bigrams[lo].sig];
        size_t                off = rules->bigrams[lo].offset;

        if (off <= at && sig->literal_len <= len - (at - off)
            && memcmp(t + at - off, sig->literal, sig->literal_len) == 0)
        {
            cand[rules->bigrams[lo].sig] = 1;
        }
    }
}

#ifdef CS_SIG_AVX2
/*
 * The prefilter over 32 positions at a time: the bigram_nibbles lookups
 * (vpshufb) pass a superset of the anchor positions, which the byte table
 * then sorts out. Returns where the caller's loops take over.
 */
__attribute__((target("avx2"))) static size_t
cs_signature_scan_avx2(const cs_rules_t *rules, const unsigned char *t,
    size_t len, unsigned char *cand)
{
    const __m256i  n0 = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                            (const __m128i *) rules->bigram_nibbles[0]));
    const __m256i  n1 = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                            (const __m128i *) rules->bigram_nibbles[1]));
    const __m256i  n2 = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                            (const __m128i *) rules->bigram_nibbles[2]));
    const __m256i  n3 = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                            (const __m128i *) rules->bigram_nibbles[3]));
    const __m256i  low = _mm256_set1_epi8(0x0f);
    size_t         i = 0;

    for (; i + 33 <= len; i += 32) {
        __m256i  a = _mm256_loadu_si256((const __m256i *) (t + i));
        __m256i  b = _mm256_loadu_si256((const __m256i *) (t + i + 1));
        __m256i  m = _mm256_and_si256(
            _mm256_and_si256(
                _mm256_shuffle_epi8(n0, _mm256_and_si256(a, low)),
                _mm256_shuffle_epi8(n1, _mm256_and_si256(
                                        _mm256_srli_epi16(a, 4), low))),
            _mm256_and_si256(
                _mm256_shuffle_epi8(n2, _mm256_and_si256(b, low)),
                _mm256_shuffle_epi8(n3, _mm256_and_si256(
                                        _mm256_srli_epi16(b, 4), low))));
        uint32_t hit = ~(uint32_t) _mm256_movemask_epi8(
                           _mm256_cmpeq_epi8(m, _mm256_setzero_si256()));

        while (hit) {
            size_t k = i + (unsigned) __builtin_ctz(hit);

            hit &= hit - 1;
            if (rules->bigram_table[cs_bigram_of(t + k)]) {
                cs_signature_candidates(rules, t, len, k, cand);
            }
        }
    }
    return i;
}
#endif

cs_simd_t
cs_rules_signature_prefilter(cs_simd_t simd_max)
{
#ifdef CS_SIG_AVX2
    if (cs_cpu_simd(simd_max) >= CS_SIMD_AVX2) {
        return CS_SIMD_AVX2;
    }
#else
    (void) simd_max;
#endif
    return CS_SIMD_SSE2;
}

int
cs_rules_match_signatures(const cs_rules_t *rules, const char *text,
    size_t len, cs_simd_t simd_max, cs_match_cb cb, void *ud)
{
    const unsigned char  *t = (const unsigned char *) text;
    unsigned char        *cand;
    int64_t               matched = -1;
    int                   ret = 0;

    if (rules == NULL || rules->nsigs == 0 || text == NULL || len == 0) {
        return 0;
    }

    /*
     * One pass over the text finds which signatures' literals occur (a
     * table of the literals' anchor bigrams, then a compare); only those expressions,
     * and those without a literal, run. Blocks of 8 positions are tested
     * with one branch: literal bigrams are rare in script text.
     */
    cand = rules->sig_candidate;            /* scratch: see the note on top */
    memset(cand, 0, rules->nsigs);

    const unsigned char *table = rules->bigram_table;
    size_t               i = 0;

#ifdef CS_SIG_AVX2
    if (cs_rules_signature_prefilter(simd_max) == CS_SIMD_AVX2) {
        i = cs_signature_scan_avx2(rules, t, len, cand);
    }
#endif

    for (; i + 9 <= len; i += 8) {
        unsigned hit = table[cs_bigram_of(t + i)]
                       | table[cs_bigram_of(t + i + 1)]
                       | table[cs_bigram_of(t + i + 2)]
                       | table[cs_bigram_of(t + i + 3)]
                       | table[cs_bigram_of(t + i + 4)]
                       | table[cs_bigram_of(t + i + 5)]
                       | table[cs_bigram_of(t + i + 6)]
                       | table[cs_bigram_of(t + i + 7)];
        if (hit) {
            for (size_t k = i; k < i + 8; k++) {
                if (table[cs_bigram_of(t + k)]) {
                    cs_signature_candidates(rules, t, len, k, cand);
                }
            }
        }
    }
    for (; i + 1 < len; i++) {
        cs_signature_candidates(rules, t, len, i, cand);
    }

    /* a recipient's signatures are adjacent (key order): report it once */
    for (uint32_t s = 0; s < rules->nsigs; s++) {
        const cs_signature_t *sig = &rules->sigs[s];

        if ((sig->literal_len && !cand[s]) || matched == sig->recipient) {
            continue;
        }
        int rc = pcre2_match(sig->code, t, len, 0, 0, rules->sig_mdata,
                             rules->sig_mctx);
        if (rc >= 0) {
            matched = sig->recipient;
            if (cb != NULL) {
                cb(ud, sig->recipient);
            }
        } else if (rc != PCRE2_ERROR_NOMATCH) {
            ret = -1;                      /* match/depth limit or JIT stack */
        }
    }
    return ret;
}

uint32_t
cs_rules_site_count(const cs_rules_t *rules)
{
    return rules != NULL ? rules->nsites : 0;
}

int32_t
cs_rules_site_find(const cs_rules_t *rules, const char *id, size_t len)
{
    if (rules == NULL || id == NULL || rules->sites == NULL) {
        return -1;
    }
    return cs_find_sorted(&rules->sites[0].id, sizeof(cs_site_t),
                          rules->nsites, id, len);
}

const char *
cs_rules_site_id(const cs_rules_t *rules, uint32_t site)
{
    if (rules == NULL || site >= rules->nsites) {
        return NULL;
    }
    return rules->sites[site].id;
}

const char *
cs_rules_site_name(const cs_rules_t *rules, uint32_t site)
{
    if (rules == NULL || site >= rules->nsites) {
        return NULL;
    }
    return rules->sites[site].name;
}

static const cs_declaration_t *
cs_site_declaration(const cs_rules_t *rules, uint32_t site, uint32_t recipient)
{
    if (rules == NULL || site >= rules->nsites) {
        return NULL;
    }

    const cs_site_t *s = &rules->sites[site];
    uint32_t lo = 0, hi = s->ndecls;

    while (lo < hi) {
        uint32_t             mid = lo + (hi - lo) / 2;
        const cs_decl_ref_t *ref = &s->by_recipient[mid];

        if (ref->recipient == recipient) {
            return &s->decls[ref->decl];
        }
        if (ref->recipient < recipient) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

uint32_t
cs_rules_site_declarations(const cs_rules_t *rules, uint32_t site,
    const cs_declaration_t **decls)
{
    if (rules == NULL || site >= rules->nsites) {
        if (decls != NULL) {
            *decls = NULL;
        }
        return 0;
    }
    if (decls != NULL) {
        *decls = rules->sites[site].decls;
    }
    return rules->sites[site].ndecls;
}

bool
cs_rules_site_declares(const cs_rules_t *rules, uint32_t site,
    uint32_t recipient)
{
    if (rules == NULL || site >= rules->nsites
        || recipient >= rules->nrecipients)
    {
        return false;
    }
    return cs_bitset_test(rules->sites[site].declared, recipient);
}

size_t
cs_rules_set_words(const cs_rules_t *rules)
{
    return rules != NULL ? rules->set_words : 0;
}

const uint64_t *
cs_rules_site_declared_set(const cs_rules_t *rules, uint32_t site)
{
    if (rules == NULL || site >= rules->nsites) {
        return NULL;
    }
    return rules->sites[site].declared;
}

const uint64_t *
cs_rules_site_gpc_set(const cs_rules_t *rules, uint32_t site)
{
    if (rules == NULL || site >= rules->nsites) {
        return NULL;
    }
    return rules->sites[site].gpc;
}

const uint64_t *
cs_rules_site_category_set(const cs_rules_t *rules, uint32_t site,
    const char *name, size_t len, uint32_t *count)
{
    if (count != NULL) {
        *count = 0;
    }
    if (rules == NULL || name == NULL || site >= rules->nsites
        || rules->sites[site].ncats == 0)
    {
        return NULL;
    }

    const cs_site_t *s = &rules->sites[site];
    int32_t          c = cs_find_sorted(&s->cats[0].category,
                                        sizeof(cs_site_category_t), s->ncats,
                                        name, len);

    if (c < 0) {
        return NULL;
    }
    if (count != NULL) {
        *count = s->cats[c].count;
    }
    return s->cats[c].set;
}

const char *
cs_rules_declared_category(const cs_rules_t *rules, uint32_t site,
    uint32_t recipient)
{
    const cs_declaration_t *d = cs_site_declaration(rules, site, recipient);

    if (d != NULL) {
        return d->category;
    }
    if (rules != NULL && recipient < rules->nrecipients) {
        return rules->recipients[recipient].category;
    }
    return NULL;
}

const char *
cs_rules_generation(const cs_rules_t *rules)
{
    return rules != NULL ? rules->generation : "";
}

bool
cs_rules_is_category(const cs_rules_t *rules, const char *name, size_t len)
{
    if (rules == NULL || name == NULL || rules->categories == NULL) {
        return false;
    }
    return cs_find_sorted(rules->categories, sizeof(const char *),
                          rules->ncategories, name, len) >= 0;
}

bool
cs_rules_is_gpc_category(const cs_rules_t *rules, const char *category)
{
    if (rules == NULL || category == NULL || rules->gpc == NULL) {
        return false;
    }
    return cs_find_sorted(rules->gpc, sizeof(const char *), rules->ngpc,
                          category, strlen(category)) >= 0;
}

uint32_t
cs_rules_site_cmp_map(const cs_rules_t *rules, uint32_t site,
    const char *format, const char *name, size_t name_len, cs_target_cb cb,
    void *ud)
{
    if (rules == NULL || format == NULL || name == NULL
        || rules->ncmp_maps == 0 || site >= rules->nsites)
    {
        return 0;
    }

    uint32_t lo = 0, hi = rules->ncmp_maps;

    while (lo < hi) {
        uint32_t             mid = lo + (hi - lo) / 2;
        const cs_cmp_map_t  *m = &rules->cmp_maps[mid];
        int                  c = cs_consent_map_key_compare(m, site, format, name,
                                                    name_len);

        if (c < 0) {
            lo = mid + 1;
        } else if (c > 0) {
            hi = mid;
        } else {
            const char *t = m->targets;

            for (uint32_t i = 0; cb != NULL && i < m->ntargets; i++) {
                size_t len = strlen(t);

                cb(ud, t, len);
                t += len + 1;
            }
            return m->ntargets;
        }
    }
    return 0;
}

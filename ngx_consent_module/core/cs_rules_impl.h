/*
 * The rules store's inside, shared by its loader (cs_rules_load.c: LMDB
 * read, table building, signature compile) and its queries (cs_rules.c:
 * hosts, signatures, site and declaration lookups). Not part of the API:
 * only those two files include it.
 */

#ifndef CS_RULES_IMPL_H
#define CS_RULES_IMPL_H

#include "cs_rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <string.h>

/* The longest literal the signature prefilter keeps per signature. */
#define CS_SIG_LITERAL_MAX      63u

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

/* size bytes, 8-aligned, from the arena (cs_arena.c); NULL: out of memory */
void *cs_arena_alloc(cs_arena_t *arena, size_t size);
/* A copy of len bytes with a NUL appended, from the arena. */
char *cs_arena_strndup(cs_arena_t *arena, const char *s, size_t len);
/* Frees every chunk. */
void cs_arena_free(cs_arena_t *arena);

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
 * A site's tagging host: tagging_hosts "SITE/HOST" -> the recipient whose
 * tags that host of the site serves (a server-side tag manager).
 */
typedef struct {
    uint32_t               site;
    uint32_t               recipient;
    const char            *host;
    size_t                 host_len;
} cs_tagging_host_t;

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

/* A URL path pattern (cs_rules.h) and its recipient. */
typedef struct {
    const char            *pattern;
    uint32_t               len;
    uint32_t               recipient;
} cs_path_t;

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

    cs_path_t             *paths;          /* key order */
    uint32_t               npaths;

    cs_cmp_map_t          *cmp_maps;       /* sorted: site, format, name */
    uint32_t               ncmp_maps;

    cs_tagging_host_t     *tagging;        /* key order */
    uint32_t               ntagging;

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
    /* the anchors as nibble tables: see cs_rules_signatures_index() */
    unsigned char          bigram_nibbles[4][16];
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

static inline uint32_t
cs_host_key(uint64_t h, uint32_t len)
{
    return ((uint32_t) (h >> 48) << 16) | len;
}

static inline uint64_t
cs_hash_reverse(const char *s, size_t len)
{
    uint64_t h = CS_FNV_OFFSET;

    while (len > 0) {
        h ^= (unsigned char) s[--len];
        h *= CS_FNV_PRIME;
    }
    return h;
}

static inline uint16_t
cs_bigram_of(const unsigned char *p)
{
    return (uint16_t) (p[0] | (p[1] << 8));
}

/* Orders map entries by site index, format name, then CMP name bytes. */
static inline int
cs_map_key_compare(const cs_cmp_map_t *m, uint32_t site, const char *format,
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

/*
 * Index of id (len bytes) in an array of n records sorted by their first
 * member, a NUL-terminated string, stride bytes apart; -1 if absent.
 */
int32_t cs_rules_find_sorted(const char *const *ids, size_t stride,
    uint32_t n, const char *id, size_t len);

/*
 * Signature compile (cs_rules_sigs.c), for the loader: _init makes room
 * for count signatures and the matcher's scratch (-1: out of memory);
 * _add compiles one pattern for a recipient and files its literal (-1 and
 * PCRE2's message in msg when it does not compile); _index builds the
 * prefilter tables once all are added.
 */
int cs_rules_signatures_init(cs_rules_t *rules, uint32_t count);
int cs_rules_signature_add(cs_rules_t *rules, uint32_t recipient,
    const char *pattern, size_t len, char *msg, size_t msglen);
void cs_rules_signatures_index(cs_rules_t *rules);

#endif /* CS_RULES_IMPL_H */

/*
 * The gate's memo: decisions that repeat across responses, remembered by
 * the caller for the next ones (one per nginx worker and rules generation).
 * A site serves the same inline tag snippets and the same tracker URLs on
 * every page; their attribution depends only on their bytes and the rules,
 * so it is computed once and replayed.
 *
 * Exact by construction: an entry keeps the whole key (its kind, its scope:
 * what else the result depends on, its length and every byte) and a hit
 * compares all of it, so a hash collision is a miss,
 * never a wrong answer. The hash is SipHash-2-4 under the caller's random
 * key, so a page author cannot tell which set an input lands in and aim at
 * the site's entries. It reads a key's length and its first and last
 * CS_MEMO_HASHED bytes only: hashing a whole script costs as much as
 * matching it, and the compare on a hit reads every byte anyway (keys that
 * share those bytes share a set: at worst misses, never wrong answers).
 *
 * Bounded: a fixed number of slots in sets of CS_MEMO_WAYS (a new key takes
 * the empty or least recently used slot of its set), and a byte budget for
 * the keys and results kept (past it, old entries go in slot order to make
 * room); a key past an eighth of the budget is not kept.
 */

#include "cs_gate_int.h"

#define CS_MEMO_SETS    256             /* a power of two */
#define CS_MEMO_WAYS    4
#define CS_MEMO_SLOTS   (CS_MEMO_SETS * CS_MEMO_WAYS)
#define CS_MEMO_HASHED  128             /* bytes hashed at each end */

typedef struct {
    uint64_t    hash;
    u_char_t   *data;                   /* the result, then the key bytes
                                           (the result aligned as the
                                           allocator aligns); NULL: an
                                           empty slot */
    size_t      key_len;
    size_t      result_size;
    uint64_t    used;                   /* the memo's clock when last found
                                           or stored */
    size_t      size;                   /* of data */
    uint32_t    scope;                  /* what else the result depends on */
    uint8_t     kind;                   /* cs_memo_kind_t */
} cs_memo_entry_t;

struct cs_gate_memo {
    const cs_rules_t      *rules;
    uint64_t               k0, k1;
    size_t                 max_bytes;
    size_t                 bytes;       /* of the entries' data */
    uint64_t               clock;
    size_t                 hand;        /* the next slot to free when the
                                           budget is spent */
    cs_allocator_t         allocator;
    cs_gate_memo_stats_t   stats;
    cs_memo_entry_t        slot[CS_MEMO_SLOTS];
};

/* ---- SipHash-2-4 (Aumasson, Bernstein), 64-bit output ---- */

#define SIP_ROTL(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIP_ROUND                                                             \
    do {                                                                      \
        v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32);     \
        v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;                            \
        v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;                            \
        v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32);     \
    } while (0)

static inline uint64_t
sip_read64(const u_char_t *p)
{
    uint64_t  v;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, sizeof(v));           /* one load */
#else
    v = 0;
    for (int i = 7; i >= 0; i--) {      /* little-endian on every host */
        v = v << 8 | p[i];
    }
#endif
    return v;
}

static uint64_t
siphash24(uint64_t k0, uint64_t k1, uint64_t first, const u_char_t *p,
    size_t n)
{
    uint64_t  v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t  v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t  v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t  v3 = 0x7465646279746573ULL ^ k1;
    uint64_t  m, b;
    size_t    i;

    m = first;                          /* one word before the bytes */
    v3 ^= m; SIP_ROUND; SIP_ROUND; v0 ^= m;
    for (i = 0; n - i >= 8; i += 8) {
        m = sip_read64(p + i);
        v3 ^= m; SIP_ROUND; SIP_ROUND; v0 ^= m;
    }
    b = (uint64_t) (n + 8) << 56;
    for (size_t k = 0; i + k < n; k++) {
        b |= (uint64_t) p[i + k] << (8 * k);
    }
    v3 ^= b; SIP_ROUND; SIP_ROUND; v0 ^= b;
    v2 ^= 0xff;
    SIP_ROUND; SIP_ROUND; SIP_ROUND; SIP_ROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The kind, scope and length, then the first and last CS_MEMO_HASHED bytes
 * (all of a shorter key).
 */
static uint64_t
memo_hash(const cs_gate_memo_t *m, cs_memo_kind_t kind, uint32_t scope,
    const u_char_t *key, size_t len)
{
    uint64_t  head = ((uint64_t) scope << 8 | (uint64_t) kind)
                     ^ (uint64_t) len * 0x9e3779b97f4a7c15ULL;

    if (len <= 2 * CS_MEMO_HASHED) {
        return siphash24(m->k0, m->k1, head, key, len);
    }
    return siphash24(m->k0, m->k1 ^ siphash24(m->k0, m->k1, head, key,
                                              CS_MEMO_HASHED),
                     head, key + len - CS_MEMO_HASHED, CS_MEMO_HASHED);
}

/* ---- the table ---- */

cs_gate_memo_t *
cs_gate_memo_create(const cs_rules_t *rules, const unsigned char key[16],
    size_t max_bytes, const cs_allocator_t *allocator)
{
    cs_gate_memo_t  *m = allocator->alloc(allocator->ctx, sizeof(*m));

    if (m == NULL) {
        return NULL;
    }
    memset(m, 0, sizeof(*m));
    m->rules = rules;
    m->k0 = sip_read64(key);
    m->k1 = sip_read64(key + 8);
    m->max_bytes = max_bytes;
    m->allocator = *allocator;
    return m;
}

static void
entry_free(cs_gate_memo_t *m, cs_memo_entry_t *e)
{
    if (e->data) {
        m->allocator.free(m->allocator.ctx, e->data);
        m->bytes -= e->size;
        m->stats.entries--;
        m->stats.bytes = m->bytes;
    }
    memset(e, 0, sizeof(*e));
}

void
cs_gate_memo_free(cs_gate_memo_t *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < CS_MEMO_SLOTS; i++) {
        entry_free(m, &m->slot[i]);
    }
    m->allocator.free(m->allocator.ctx, m);
}

const cs_gate_memo_stats_t *
cs_gate_memo_stats(const cs_gate_memo_t *m)
{
    return &m->stats;
}

bool
memo_usable(const cs_gate_t *g, uint32_t *scope)
{
    *scope = g->conf.has_site ? g->conf.site + 1 : 0;
    /* a site whose scope wraps to 0 would share the no-site answers */
    return g->conf.memo != NULL && g->conf.memo->rules == g->conf.rules
           && (*scope != 0 || !g->conf.has_site);
}

/*
 * The result kept for a key, or NULL (*size set to its length). Valid until
 * the next memo_store().
 */
const void *
memo_find(cs_gate_t *g, cs_memo_kind_t kind, uint32_t scope,
    const void *key, size_t len, size_t *size, uint64_t *hash)
{
    cs_gate_memo_t   *m = g->conf.memo;
    cs_memo_entry_t  *e;

    *hash = memo_hash(m, kind, scope, key, len);
    e = &m->slot[(*hash & (CS_MEMO_SETS - 1)) * CS_MEMO_WAYS];
    for (size_t w = 0; w < CS_MEMO_WAYS; w++, e++) {
        if (e->data && e->hash == *hash && e->kind == kind
            && e->scope == scope && e->key_len == len
            && memcmp(e->data + e->result_size, key, len) == 0)
        {
            e->used = ++m->clock;
            m->stats.hits++;
            g->stats.memo_hits++;
            *size = e->result_size;
            return e->data;
        }
    }
    m->stats.misses++;
    g->stats.memo_misses++;
    return NULL;
}

/* Keeps a result for a key memo_find() missed (hash from it). */
void
memo_store(cs_gate_t *g, cs_memo_kind_t kind, uint32_t scope,
    const void *key, size_t len, uint64_t hash, const void *result,
    size_t size)
{
    cs_gate_memo_t   *m = g->conf.memo;
    cs_memo_entry_t  *set = &m->slot[(hash & (CS_MEMO_SETS - 1))
                                     * CS_MEMO_WAYS];
    cs_memo_entry_t  *e = set;
    size_t            total = len + size;
    u_char_t         *data;

    if (total > m->max_bytes / 8) {
        return;
    }
    for (size_t w = 1; w < CS_MEMO_WAYS && e->data; w++) {
        if (set[w].data == NULL || set[w].used < e->used) {
            e = &set[w];
        }
    }
    if (e->data) {
        entry_free(m, e);
        m->stats.evicted++;
    }
    /* over the budget: entries go in slot order, a hand going round */
    while (m->bytes + total > m->max_bytes) {
        cs_memo_entry_t *old = &m->slot[m->hand];

        m->hand = (m->hand + 1) % CS_MEMO_SLOTS;
        if (old->data) {
            entry_free(m, old);
            m->stats.evicted++;
        }
    }
    data = m->allocator.alloc(m->allocator.ctx, total);
    if (data == NULL) {
        return;
    }
    if (size) {
        memcpy(data, result, size);
    }
    memcpy(data + size, key, len);
    e->hash = hash;
    e->scope = scope;
    e->data = data;
    e->key_len = len;
    e->result_size = size;
    e->used = ++m->clock;
    e->size = total;
    e->kind = (uint8_t) kind;
    m->bytes += total;
    m->stats.entries++;
    m->stats.bytes = m->bytes;
}

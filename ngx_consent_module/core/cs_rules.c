/*
 * Rules store queries: recipients, host suffixes and labels, inline
 * signatures, sites and their declarations, over the tables
 * cs_rules_load.c (the loader) built.
 *
 * Threading: a cs_rules_t is immutable after cs_rules_load() except for the
 * signature scratch state (PCRE2 match data, "seen" bitmap) used by
 * cs_rules_match_signatures(); one rules object must therefore be used by
 * one thread at a time (nginx: one per worker process).
 */

#include "cs_rules_impl.h"
#include "cs_bitset.h"

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


int32_t
cs_rules_find_sorted(const char *const *ids, size_t stride, uint32_t n,
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
    return cs_rules_find_sorted(&rules->recipients[0].id,
                                sizeof(cs_recipient_t), rules->nrecipients,
                                id, len);
}

uint32_t
cs_rules_recipient_hosts(const cs_rules_t *rules, uint32_t recipient,
    cs_target_cb cb, void *ud)
{
    uint32_t  n = 0;

    if (rules == NULL || rules->nhosts == 0) {
        return 0;
    }
    for (uint32_t s = 0; s <= rules->host_mask; s++) {
        const cs_host_slot_t *slot = &rules->host_slots[s];

        if (slot->host != NULL && slot->recipient == (int32_t) recipient) {
            if (cb != NULL) {
                cb(ud, slot->host, strlen(slot->host));
            }
            n++;
        }
    }
    return n;
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

bool
cs_rules_path_pattern_valid(const char *pattern, size_t len)
{
    const char  *star = NULL;

    if (pattern == NULL || len < 2 || len >= CS_RULES_PATH_MAX
        || pattern[0] != '/' || pattern[len - 1] == '/')
    {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) pattern[i];

        if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '\\'
            || (c == '/' && i + 1 < len && pattern[i + 1] == '/'))
        {
            return false;
        }
        if (c == '*') {
            if (star != NULL) {
                return false;
            }
            star = pattern + i;
        } else if (c == '/' && star != NULL) {
            return false;                 /* '*' only in the last segment */
        }
    }
    return true;
}

bool
cs_rules_path_pattern_match(const char *pattern, size_t plen,
    const char *path, size_t len)
{
    const char  *star = memchr(pattern, '*', plen);

    if (star == NULL) {
        /* the pattern starts with '/': ending with it is the boundary */
        return len >= plen && memcmp(path + len - plen, pattern, plen) == 0;
    }

    /* prefix '*' suffix: the suffix ends the path, the '*' covers no '/' */
    size_t  pre = (size_t) (star - pattern), suf = plen - pre - 1;
    size_t  i;

    if (len < pre + suf
        || memcmp(path + len - suf, star + 1, suf) != 0)
    {
        return false;
    }
    for (i = len - suf; i > pre && path[i - 1] != '/'; i--) {
        if (memcmp(path + i - pre, pattern, pre) == 0) {
            return true;
        }
    }
    return i >= pre && memcmp(path + i - pre, pattern, pre) == 0;
}

uint32_t
cs_rules_path_count(const cs_rules_t *rules)
{
    return rules != NULL ? rules->npaths : 0;
}

int32_t
cs_rules_match_path(const cs_rules_t *rules, const char *path, size_t len)
{
    int32_t   found = -1;
    uint32_t  best = 0;

    if (rules == NULL || path == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < rules->npaths; i++) {
        const cs_path_t *p = &rules->paths[i];

        if (p->len > best
            && cs_rules_path_pattern_match(p->pattern, p->len, path, len))
        {
            found = (int32_t) p->recipient;
            best = p->len;
        }
    }
    return found;
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
#else
    (void) simd_max;                /* the byte-table loop only */
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
    return cs_rules_find_sorted(&rules->sites[0].id, sizeof(cs_site_t),
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

int32_t
cs_rules_site_tagging_host(const cs_rules_t *rules, uint32_t site,
    const char *host, size_t len)
{
    for (uint32_t i = 0; rules != NULL && i < rules->ntagging; i++) {
        const cs_tagging_host_t *t = &rules->tagging[i];

        if (t->site == site && len >= t->host_len
            && memcmp(host + len - t->host_len, t->host, t->host_len) == 0
            && (len == t->host_len || host[len - t->host_len - 1] == '.'))
        {
            return (int32_t) t->recipient;
        }
    }
    return -1;
}

uint32_t
cs_rules_site_tagging_count(const cs_rules_t *rules, uint32_t site)
{
    uint32_t  n = 0;

    for (uint32_t i = 0; rules != NULL && i < rules->ntagging; i++) {
        n += rules->tagging[i].site == site;
    }
    return n;
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
    int32_t          c = cs_rules_find_sorted(&s->cats[0].category,
                                              sizeof(cs_site_category_t),
                                              s->ncats, name, len);

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
    return cs_rules_find_sorted(rules->categories, sizeof(const char *),
                                rules->ncategories, name, len) >= 0;
}

bool
cs_rules_is_gpc_category(const cs_rules_t *rules, const char *category)
{
    if (rules == NULL || category == NULL || rules->gpc == NULL) {
        return false;
    }
    return cs_rules_find_sorted(rules->gpc, sizeof(const char *), rules->ngpc,
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
        int                  c = cs_map_key_compare(m, site, format, name,
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


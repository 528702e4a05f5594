/*
 * Rules store, signature compile: each inline signature's PCRE2 expression
 * and the literal prefilter over them (the anchor bigram table and its
 * nibble form for the vector scan in cs_rules.c).
 */

#include "cs_rules_impl.h"

#include <stdlib.h>

/* Limits for the combined signature expression (bounded work per call). */
#define CS_SIG_MATCH_LIMIT      2000000u
#define CS_SIG_DEPTH_LIMIT      100000u
#define CS_SIG_JIT_STACK_MIN    (32u * 1024u)
#define CS_SIG_JIT_STACK_MAX    (1024u * 1024u)

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

int
cs_rules_signatures_init(cs_rules_t *rules, uint32_t count)
{
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
        return -1;
    }
    pcre2_set_match_limit(rules->sig_mctx, CS_SIG_MATCH_LIMIT);
    pcre2_set_depth_limit(rules->sig_mctx, CS_SIG_DEPTH_LIMIT);
    rules->sig_jit_stack = pcre2_jit_stack_create(CS_SIG_JIT_STACK_MIN,
                                                  CS_SIG_JIT_STACK_MAX, NULL);
    if (rules->sig_jit_stack != NULL) {
        pcre2_jit_stack_assign(rules->sig_mctx, NULL, rules->sig_jit_stack);
    }
    return 0;
}

int
cs_rules_signature_add(cs_rules_t *rules, uint32_t recipient,
    const char *pattern, size_t len, char *msg, size_t msglen)
{
    cs_signature_t  *sig = &rules->sigs[rules->nsigs];
    int              errcode;
    PCRE2_SIZE       erroff;

    /*
     * No UTF: response bodies are arbitrary bytes and must never make
     * the matcher fail; NEVER_UTF also forbids a pattern turning it on.
     */
    sig->code = pcre2_compile((PCRE2_SPTR) pattern, len, PCRE2_NEVER_UTF,
                              &errcode, &erroff, NULL);
    if (sig->code == NULL) {
        pcre2_get_error_message(errcode, (PCRE2_UCHAR *) msg, msglen);
        return -1;
    }
    /* JIT is an optimisation only: the interpreter is used if it fails */
    (void) pcre2_jit_compile(sig->code, PCRE2_JIT_COMPLETE);

    sig->recipient = recipient;
    sig->literal_len = cs_signature_literal(pattern, len, sig->literal);
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
    return 0;
}

void
cs_rules_signatures_index(cs_rules_t *rules)
{
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
}

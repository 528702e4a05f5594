/*
 * Recipient sets: one bit per recipient index, in arrays of 64-bit words.
 */

#ifndef CS_BITSET_H
#define CS_BITSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- recipient sets: one bit per recipient index ---- */

static inline size_t
cs_bitset_words(uint32_t nbits)
{
    return ((size_t) nbits + 63) / 64;
}

static inline bool
cs_bitset_test(const uint64_t *set, uint32_t bit)
{
    return (set[bit / 64] >> (bit % 64)) & 1;
}

static inline void
cs_bitset_set(uint64_t *set, uint32_t bit)
{
    set[bit / 64] |= (uint64_t) 1 << (bit % 64);
}

#endif /* CS_BITSET_H */

/*
 * The one CPU-feature check of the core (see cs_cpu.h).
 */

#include "cs_cpu.h"

cs_simd_t
cs_cpu_simd(cs_simd_t limit)
{
    cs_simd_t  best = CS_SIMD_SSE2;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(CS_GATE_SCALAR)
    /* idempotent; needed if the library's constructors have not run yet */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("pclmul")) {
        if (__builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512f"))
        {
            best = CS_SIMD_AVX512;
        } else if (__builtin_cpu_supports("avx2")) {
            best = CS_SIMD_AVX2;
        }
    }
#endif
    if (limit != CS_SIMD_BEST && limit < best) {
        best = limit;
    }
    return best;
}

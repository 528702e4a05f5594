/*
 * Which vector instructions the core may use: one CPU check for the gate's
 * block classifier and the rules' signature prefilter, so one limit
 * (cs_gate_conf_t.simd_max) can narrow both.
 */

#ifndef CS_CPU_H
#define CS_CPU_H

/* The widest instructions the core may scan with (vector builds, x86-64). */
typedef enum {
    CS_SIMD_BEST = 0,                 /* what the CPU has */
    CS_SIMD_SSE2,
    CS_SIMD_AVX2,
    CS_SIMD_AVX512
} cs_simd_t;

/*
 * The widest level this CPU supports, capped at limit (CS_SIMD_BEST: no
 * cap). AVX2 and AVX-512 count only with PCLMUL, which the gate's in-tag
 * masks need; without a vector build (CS_GATE_SCALAR, non-x86) SSE2.
 */
cs_simd_t cs_cpu_simd(cs_simd_t limit);

#endif /* CS_CPU_H */

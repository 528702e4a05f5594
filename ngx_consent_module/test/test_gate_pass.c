/*
 * cs_gate_classify_pass(), the bench's limit: the same sum from every
 * instruction set the CPU has (the window loads agree bit for bit), for
 * every length (the last bytes of a page included), and a different one
 * when a byte it classifies changes.
 */

#include "test_support.h"

static void
fill(unsigned char *p, size_t n, uint32_t seed)
{
    static const char  pick[] = "<>\"'=/ \t\nabzAZ019-_&;\x01\x80\xff";

    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char) pick[(seed >> 16) % (sizeof(pick) - 1)];
    }
}

static void
test_pass_same_on_every_simd(void **state)
{
    unsigned char  buf[1000];

    (void) state;
    fill(buf, sizeof(buf), 7);
    for (size_t n = 0; n <= sizeof(buf); n += (n < 200 ? 1 : 37)) {
        uint64_t sse2 = cs_gate_classify_pass(buf, n, CS_SIMD_SSE2);

        assert_int_equal(cs_gate_classify_pass(buf, n, CS_SIMD_AVX2), sse2);
        assert_int_equal(cs_gate_classify_pass(buf, n, CS_SIMD_AVX512), sse2);
        assert_int_equal(cs_gate_classify_pass(buf, n, CS_SIMD_BEST), sse2);
    }
}

static void
test_pass_reads_every_byte(void **state)
{
    unsigned char  buf[200];

    (void) state;
    memset(buf, 'x', sizeof(buf));
    uint64_t plain = cs_gate_classify_pass(buf, sizeof(buf), CS_SIMD_BEST);
    /* a '<' anywhere, in a whole block or in the tail, changes the sum */
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = '<';
        assert_int_not_equal(cs_gate_classify_pass(buf, sizeof(buf),
                                                   CS_SIMD_BEST), plain);
        buf[i] = 'x';
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_same_on_every_simd),
        cmocka_unit_test(test_pass_reads_every_byte),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

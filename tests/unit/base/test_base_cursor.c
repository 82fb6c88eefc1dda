/* SPDX-License-Identifier: Apache-2.0 */
/* The cursor property test (STYLE.md B.15): for every buffer length and every read, success
 * advances by exactly the width; failure leaves position and output unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_cursor.h"

static const uint8_t data[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void test_reads_property(void **state)
{
    (void)state;
    for (size_t len = 0; len <= sizeof data; len++) {
        for (size_t start = 0; start <= len; start++) {
            for (int op = 0; op < 9; op++) {
                struct ay_cur c;
                ay_cur_init(&c, ay_span_of(data, len));
                assert_int_equal(ay_cur_skip(&c, start), AY_OK);
                size_t width[] = {1, 2, 4, 8, 2, 4, 8, 3, 5};
                uint64_t out = 0xdeadbeef;
                uint8_t arr[8] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
                ay_err e = AY_OK;
                uint8_t u8 = 0x77;
                uint16_t u16 = 0x7777;
                uint32_t u32 = 0x77777777;
                switch (op) {
                case 0:
                    e = ay_cur_u8(&c, &u8);
                    break;
                case 1:
                    e = ay_cur_u16le(&c, &u16);
                    break;
                case 2:
                    e = ay_cur_u32le(&c, &u32);
                    break;
                case 3:
                    e = ay_cur_u64le(&c, &out);
                    break;
                case 4:
                    e = ay_cur_u16be(&c, &u16);
                    break;
                case 5:
                    e = ay_cur_u32be(&c, &u32);
                    break;
                case 6:
                    e = ay_cur_u64be(&c, &out);
                    break;
                case 7:
                    e = ay_cur_copy(&c, arr, 3);
                    break;
                default:
                    e = ay_cur_skip(&c, 5);
                    break;
                }
                if (start + width[op] <= len) {
                    assert_int_equal(e, AY_OK);
                    assert_int_equal(ay_cur_pos(&c), start + width[op]);
                } else {
                    assert_int_equal(e, AY_ERR_TRUNCATED);
                    assert_int_equal(ay_cur_pos(&c), start);
                    assert_int_equal(out, 0xdeadbeef);
                    assert_int_equal(u8, 0x77);
                    assert_int_equal(u16, 0x7777);
                    assert_int_equal(u32, 0x77777777);
                    assert_int_equal(arr[0], 0xAA);
                }
            }
        }
    }
}

static void test_endianness(void **state)
{
    (void)state;
    struct ay_cur c;
    ay_cur_init(&c, ay_span_of(data, sizeof data));
    uint32_t le, be;
    assert_int_equal(ay_cur_u32le(&c, &le), AY_OK);
    assert_int_equal(ay_cur_u32be(&c, &be), AY_OK);
    assert_int_equal(le, 0x04030201u);
    assert_int_equal(be, 0x05060708u);
    uint64_t le64;
    assert_int_equal(ay_cur_u64le(&c, &le64), AY_OK);
    assert_true(le64 == 0x100f0e0d0c0b0a09ull);
    assert_int_equal(ay_cur_end(&c), AY_OK);
}

static void test_zeros_sub_end(void **state)
{
    (void)state;
    const uint8_t z[6] = {0, 0, 0, 1, 2, 3};
    struct ay_cur c;
    ay_cur_init(&c, ay_span_of(z, sizeof z));
    assert_int_equal(ay_cur_zeros(&c, 4), AY_ERR_MALFORMED);
    assert_int_equal(ay_cur_pos(&c), 0);
    assert_int_equal(ay_cur_zeros(&c, 3), AY_OK);
    assert_int_equal(ay_cur_at(&c, 3), AY_OK);
    assert_int_equal(ay_cur_at(&c, 2), AY_ERR_INTERNAL);
    struct ay_cur sub;
    assert_int_equal(ay_cur_sub(&c, 4, &sub), AY_ERR_TRUNCATED);
    assert_int_equal(ay_cur_sub(&c, 2, &sub), AY_OK);
    assert_int_equal(ay_cur_end(&c), AY_ERR_MALFORMED);
    assert_int_equal(ay_cur_left(&sub), 2);
    assert_int_equal(ay_cur_peek(&sub), 1);
    struct ay_span s;
    assert_int_equal(ay_cur_bytes(&sub, 2, &s), AY_OK);
    assert_int_equal(ay_cur_peek(&sub), -1);
    assert_int_equal(ay_cur_end(&sub), AY_OK);
    assert_int_equal(s.ptr[1], 2);
}

static void test_empty(void **state)
{
    (void)state;
    struct ay_cur c;
    ay_cur_init(&c, ay_span_of(NULL, 5));
    assert_int_equal(ay_cur_left(&c), 0);
    assert_int_equal(ay_cur_skip(&c, 0), AY_OK);
    assert_int_equal(ay_cur_skip(&c, 1), AY_ERR_TRUNCATED);
    assert_int_equal(ay_cur_skip(&c, SIZE_MAX), AY_ERR_TRUNCATED);
    assert_int_equal(ay_cur_end(&c), AY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_property),
        cmocka_unit_test(test_endianness),
        cmocka_unit_test(test_zeros_sub_end),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Arena cap (at the limit and past it), large chunks and ay_arena_expect, buffer cap and sticky error, RFC 3339 time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_err.h"
#include "base/base_str.h"
#include "base/base_time.h"

static void test_arena_cap(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(64 * 1024, &a);
    void *p = NULL;
    size_t total = 0;
    ay_err e = AY_OK;
    while ((e = ay_arena_alloc(a, 1000, &p)) == AY_OK) {
        total += 1000;
        assert_true(total <= 64 * 1024);
    }
    assert_int_equal(e, AY_ERR_LIMIT);
    assert_true(total > 32 * 1024);
    ay_arena_reset(a);
    assert_int_equal(ay_arena_alloc(a, 100, &p), AY_OK);
    assert_int_equal(ay_arena_alloc(a, 64 * 1024 + 1, &p), AY_ERR_LIMIT);
    void *q = NULL;
    assert_int_equal(ay_arena_array(a, SIZE_MAX / 2, 4, &q), AY_ERR_LIMIT);
    assert_null(q);
    ay_arena_free(a);
    ay_arena_free(NULL);
}

/* Large chunks are mappings of their own, populated as they fill; ay_arena_expect sizes the next
 * chunk (never past the cap); memory is zeroed and stays usable across a reset. */
static void test_arena_large(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(8u << 20, &a);
    ay_arena_expect(a, 3u << 20);
    unsigned char *p = NULL;
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(ay_arena_alloc(a, 65536, (void **)&p), AY_OK);
        for (size_t j = 0; j < 65536; j += 4096) {
            assert_int_equal(p[j], 0);
            p[j] = 1;
        }
    }
    assert_int_equal(ay_arena_used(a), 40u * 65536);
    ay_arena_reset(a);
    assert_int_equal(ay_arena_alloc(a, 200000, (void **)&p), AY_OK);
    assert_int_equal(p[0] + p[4096] + p[199999], 0);
    ay_arena_free(a);
    /* An expectation past the cap is not taken: the arena still fills to its cap. */
    ay_arena_new(256 * 1024, &a);
    ay_arena_expect(a, 1u << 30);
    size_t total = 0;
    while (ay_arena_alloc(a, 1000, (void **)&p) == AY_OK) {
        total += 1000;
    }
    assert_true(total > 128 * 1024 && total <= 256 * 1024);
    ay_arena_free(a);
}

static void test_buf(void **state)
{
    (void)state;
    struct ay_buf b;
    ay_buf_init(&b, NULL, 8);
    ay_buf_puts(&b, "12345678");
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    ay_buf_putc(&b, '9');
    assert_int_equal(ay_buf_finish(&b), AY_ERR_LIMIT);
    assert_int_equal(b.len, 8);
    ay_buf_free(&b);

    struct ay_arena *a;
    ay_arena_new(1 << 20, &a);
    ay_buf_init(&b, a, 1 << 16);
    ay_buf_json_str(&b, "a\"\\\n\x01\xff", 6);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    assert_string_equal(b.ptr, "\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD\"");
    ay_arena_free(a);
}

static void test_time(void **state)
{
    (void)state;
    int64_t s;
    const char *t = "2023-07-05T12:00:00Z";
    assert_int_equal(ay_time_parse_rfc3339(t, strlen(t), &s), AY_OK);
    assert_true(s == 1688558400);
    t = "2023-07-05T14:00:00.5+02:00";
    int64_t ns;
    assert_int_equal(ay_time_parse_rfc3339_ns(t, strlen(t), &ns), AY_OK);
    assert_true(ns == 1688558400500000000LL);
    t = "2023-02-29T00:00:00Z";
    assert_int_equal(ay_time_parse_rfc3339(t, strlen(t), &s), AY_ERR_MALFORMED);
    t = "2023-07-05 12:00:00Z";
    assert_int_equal(ay_time_parse_rfc3339(t, strlen(t), &s), AY_ERR_MALFORMED);
    char out[32];
    ay_time_format_rfc3339(1688558400, out, sizeof out);
    assert_string_equal(out, "2023-07-05T12:00:00Z");
    ay_time_format_rfc3339(-1, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
}

static void test_err_and_str(void **state)
{
    (void)state;
    assert_string_equal(ay_err_code(AY_ERR_BAD_SIGNATURE), "bad_signature");
    assert_int_equal(ay_err_http(AY_ERR_LIMIT), 413);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(FAIL(&d, AY_ERR_MALFORMED, "field %s", "x"), AY_ERR_MALFORMED);
    assert_int_equal(FAIL(&d, AY_ERR_LIMIT, "second"), AY_ERR_LIMIT);
    assert_string_equal(ay_diag_message(&d), "field x");
    ay_diag_prefix(&d, "snp");
    assert_string_equal(ay_diag_message(&d), "snp: field x");
    uint64_t u;
    assert_int_equal(ay_str_to_u64(ay_str_of("18446744073709551615"), &u), AY_OK);
    assert_int_equal(ay_str_to_u64(ay_str_of("18446744073709551616"), &u), AY_ERR_MALFORMED);
    int64_t i;
    assert_int_equal(ay_str_to_i64(ay_str_of("-9223372036854775808"), &i), AY_OK);
    assert_true(i == INT64_MIN);
    assert_true(ay_utf8_valid("h\xC3\xA9", 3));
    assert_false(ay_utf8_valid("\xC0\x80", 2));
    assert_false(ay_utf8_valid("\xED\xA0\x80", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_cap),
        cmocka_unit_test(test_arena_large),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_err_and_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64 / base64url / hex: RFC 4648 section 10 vectors and the strictness rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_cursor.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"

static ay_err dec(enum ay_b64 v, const char *s, char *out)
{
    uint8_t buf[64];
    size_t n;
    ay_err e = ay_b64_decode_to(v, s, strlen(s), buf, sizeof buf, &n);
    if (e == AY_OK) {
        memcpy(out, buf, n);
        out[n] = '\0';
    }
    return e;
}

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char out[64];
        assert_int_equal(dec(AY_B64_STD, enc[i], out), AY_OK);
        assert_string_equal(out, plain[i]);
        assert_int_equal(dec(AY_B64_STD_ANYPAD, enc[i], out), AY_OK);
        struct ay_buf b;
        ay_buf_init(&b, NULL, 1024);
        ay_b64_encode(AY_B64_STD, (const uint8_t *)plain[i], strlen(plain[i]), &b);
        ay_buf_putc(&b, '\0');
        assert_int_equal(ay_buf_finish(&b), AY_OK);
        assert_string_equal(b.ptr, enc[i]);
        ay_buf_free(&b);
    }
}

static void test_strictness(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(dec(AY_B64_STD, "Zg", out), AY_ERR_MALFORMED);        /* padding required */
    assert_int_equal(dec(AY_B64_URL_NOPAD, "Zg", out), AY_OK);
    assert_int_equal(dec(AY_B64_URL_NOPAD, "Zg==", out), AY_ERR_MALFORMED); /* padding forbidden */
    assert_int_equal(dec(AY_B64_STD, "Zh==", out), AY_ERR_MALFORMED);       /* non-canonical bits */
    assert_int_equal(dec(AY_B64_STD, "Zm9v\n", out), AY_ERR_MALFORMED);     /* whitespace */
    assert_int_equal(dec(AY_B64_STD, "Z===", out), AY_ERR_MALFORMED);
    assert_int_equal(dec(AY_B64_URL_NOPAD, "Z", out), AY_ERR_MALFORMED);    /* 1 char leftover */
    assert_int_equal(dec(AY_B64_URL_NOPAD, "-_8", out), AY_OK);
    assert_int_equal(dec(AY_B64_STD_NOPAD, "-_8", out), AY_ERR_MALFORMED);  /* wrong alphabet */
    assert_int_equal(dec(AY_B64_STD_NOPAD, "+/8", out), AY_OK);
    assert_int_equal(dec(AY_B64_URL_ANYPAD, "Zg", out), AY_OK);
    assert_int_equal(dec(AY_B64_URL_ANYPAD, "Zg==", out), AY_OK);
    assert_int_equal(dec(AY_B64_URL_ANYPAD, "Zg=", out), AY_ERR_MALFORMED);
}

static void test_capacity_limit(void **state)
{
    (void)state;
    uint8_t buf[3];
    size_t n;
    assert_int_equal(ay_b64_decode_to(AY_B64_STD, "Zm9v", 4, buf, 3, &n), AY_OK);
    assert_int_equal(ay_b64_decode_to(AY_B64_STD, "Zm9vYg==", 8, buf, 3, &n), AY_ERR_LIMIT);
}

static void test_hex(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(1 << 20, &a);
    struct ay_span s;
    assert_int_equal(ay_hex_decode("00aBff", 6, a, &s), AY_OK);
    assert_int_equal(s.len, 3);
    assert_int_equal(s.ptr[1], 0xab);
    assert_int_equal(ay_hex_decode("0", 1, a, &s), AY_ERR_MALFORMED);
    assert_int_equal(ay_hex_decode("0g", 2, a, &s), AY_ERR_MALFORMED);
    char *h;
    const uint8_t raw[] = {0xde, 0xad, 0x01};
    assert_int_equal(ay_hex_encode_arena(raw, 3, a, &h), AY_OK);
    assert_string_equal(h, "dead01");
    ay_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_strictness),
        cmocka_unit_test(test_capacity_limit),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785 (JCS): TRUSTEE.md section 0 item 5 vector, RFC 8785 section 3.2 examples (member
 * order by UTF-16 units, number formatting, escaping), depth limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_buf.h"
#include "base/base_limits.h"
#include "codec/codec_hex.h"
#include "codec/codec_jcs.h"
#include "crypto/crypto_digest.h"

/* Canonical form of JSON text (parsed by jansson), or NULL on error. Caller frees the buf. */
static ay_err canon(const char *json, struct ay_buf *b)
{
    json_error_t je;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    assert_non_null(v);
    ay_buf_init(b, NULL, 1 << 20);
    ay_err e = ay_jcs_write(v, b);
    json_decref(v);
    return e;
}

static void expect(const char *json, const char *want)
{
    struct ay_buf b;
    assert_int_equal(canon(json, &b), AY_OK);
    assert_string_equal(b.ptr, want);
    ay_buf_free(&b);
}

static void test_trustee_vector(void **state)
{
    (void)state;
    struct ay_buf b;
    assert_int_equal(canon("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}", &b), AY_OK);
    assert_string_equal(b.ptr, "{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
    uint8_t h[48];
    char hex[97];
    assert_int_equal(ay_hash(AY_HASH_SHA384, b.ptr, b.len, h), AY_OK);
    ay_hex_encode(h, sizeof h, hex);
    /* TRUSTEE.md section 0 item 5: e71ce8e7...78870c3 */
    assert_string_equal(hex, "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c"
                             "4597480a186427c813ca941da78870c3");
    ay_buf_free(&b);
}

static void test_member_order_utf16(void **state)
{
    (void)state;
    /* RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33. */
    expect("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter "
           "Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
           "\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
           "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"\xc3\xb6\":"
           "\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
           "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet "
           "With Dagesh\"}");
    expect("{\"ab\":1,\"a\":2,\"\":3}", "{\"\":3,\"a\":2,\"ab\":1}");
}

static void test_numbers(void **state)
{
    (void)state;
    /* RFC 8785 section 3.2.2.3 and appendix B. */
    expect("[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]",
           "[333333333.3333333,1e+30,4.5,0.002,1e-27]");
    expect("[0,-0.0,1,-1,100,1e21,1e20,1.2345678901234568e20,0.1,1e-7,1e-6,-5e-324]",
           "[0,0,1,-1,100,1e+21,100000000000000000000,123456789012345680000,0.1,1e-7,0.000001,"
           "-5e-324]");
    expect("[9007199254740992,-9007199254740992,9007199254740993]",
           "[9007199254740992,-9007199254740992,9007199254740992]");
    expect("[1.7976931348623157e308,5e-324,0.30000000000000004]",
           "[1.7976931348623157e+308,5e-324,0.30000000000000004]");
}

static void test_strings(void **state)
{
    (void)state;
    /* RFC 8785 section 3.2.2.2: lower-case \u00xx, short forms, '/' and non-ASCII raw. */
    expect("\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"",
           "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
    expect("\"\\b\\t\\n\\f\\r\\u001f\\u007f\"", "\"\\b\\t\\n\\f\\r\\u001f\x7f\"");
    expect("[true,false,null,{},[]]", "[true,false,null,{},[]]");
}

static void test_depth_limit(void **state)
{
    (void)state;
    json_t *v = json_integer(1);
    for (int i = 0; i < AY_LIMIT_JSON_DEPTH; i++) {
        json_t *a = json_array();
        json_array_append_new(a, v);
        v = a;
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(ay_jcs_write(v, &b), AY_OK); /* at the limit */
    ay_buf_free(&b);
    json_t *a = json_array();
    json_array_append_new(a, v);
    ay_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(ay_jcs_write(a, &b), AY_ERR_LIMIT); /* one past */
    ay_buf_free(&b);
    json_decref(a);
    assert_int_equal(ay_jcs_write(NULL, &b), AY_ERR_MALFORMED);
}

static void test_output_cap(void **state)
{
    (void)state;
    json_t *v = json_string("0123456789");
    struct ay_buf b;
    ay_buf_init(&b, NULL, 8);
    assert_int_equal(ay_jcs_write(v, &b), AY_ERR_LIMIT);
    ay_buf_free(&b);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trustee_vector), cmocka_unit_test(test_member_order_utf16),
        cmocka_unit_test(test_numbers),        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_depth_limit),    cmocka_unit_test(test_output_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* ay_json_dump with JSON_COMPACT has its own writer (the attestation path's hot loop): its bytes
 * must equal jansson's json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) for every value, including
 * escapes, NUL in strings and keys, reals, empty containers, deep nesting (handed back to
 * jansson), invalid UTF-8 (refused as jansson refuses it), appending after existing bytes and
 * the output cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_buf.h"
#include "codec/codec_jcs.h"

static void same_as_jansson(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(want);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 22);
    assert_int_equal(ay_json_dump(v, JSON_COMPACT, &b), AY_OK);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.ptr, want, b.len);
    ay_buf_free(&b);
    free(want);
}

static void same_text(const char *json)
{
    json_error_t je;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    assert_non_null(v);
    same_as_jansson(v);
    json_decref(v);
}

static void test_scalars(void **state)
{
    (void)state;
    const char *const cases[] = {
        "null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808",
        "0.1", "1e20", "-0.0", "1.5e-300", "123456789.125", "\"\"", "\"plain ascii\"",
        "\"/ slash and \\u007f del\"", "\"\\u00e9t\\u00e9 \\ud83d\\ude00\"",
        "\"\\b\\f\\n\\r\\t\\\"\\\\ \\u0001\\u001f\\u0000 end\"", "\"\\u0000\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        same_text(cases[i]);
    }
}

static void test_containers(void **state)
{
    (void)state;
    same_text("{}");
    same_text("[]");
    same_text("[[],{},[{}],{\"a\":[]}]");
    same_text("{\"z\":1,\"a\":2,\"m\":{\"y\":[1,2.5,\"x\"],\"b\":null},\"key\":true,"
              "\"\\n\":\"\\t\"}");
    /* Insertion order, not key order, as jansson keeps it. */
    json_t *o = json_object();
    json_object_set_new(o, "submods", json_object());
    json_object_set_new(o, "eat_profile", json_string("tag:github.com,2023:veraison/ear"));
    json_object_set_new(o, "iat", json_integer(1700000000));
    json_object_set_new(o, "ear.status", json_string("affirming"));
    json_object_setn_new(o, "k\0ey", 4, json_true()); /* a key holding NUL */
    same_as_jansson(o);
    json_decref(o);
}

static void test_long_strings(void **state)
{
    (void)state;
    /* Longer than the writer's 4 KiB chunk, with escapes spread through it. */
    char s[20000];
    for (size_t i = 0; i < sizeof s - 1; i++) {
        s[i] = (char)(i % 97 == 0 ? '\n' : i % 89 == 0 ? '"' : 'a' + (char)(i % 26));
    }
    s[sizeof s - 1] = '\0';
    json_t *v = json_pack("{s:s,s:[s,s]}", "long", s, "arr", s, "x");
    same_as_jansson(v);
    json_decref(v);
}

static void test_deep(void **state)
{
    (void)state;
    json_t *v = json_integer(7);
    for (int i = 0; i < 700; i++) {
        json_t *a = json_array();
        json_array_append_new(a, v);
        v = a;
    }
    same_as_jansson(v); /* past the writer's depth cap: jansson's dump, same bytes */
    json_decref(v);
}

static void test_invalid_utf8_refused(void **state)
{
    (void)state;
    json_t *v = json_object();
    json_object_set_new(v, "bad", json_stringn_nocheck("\xff\xfe", 2));
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    assert_int_not_equal(ay_json_dump(v, JSON_COMPACT, &b), AY_OK);
    ay_buf_free(&b);
    json_decref(v);
}

static void test_appends_and_cap(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:s,s:i}", "a", "bcd", "e", 5);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    ay_buf_puts(&b, "prefix.");
    assert_int_equal(ay_json_dump(v, JSON_COMPACT, &b), AY_OK);
    assert_string_equal(b.ptr, "prefix.{\"a\":\"bcd\",\"e\":5}");
    ay_buf_free(&b);
    ay_buf_init(&b, NULL, 10);
    assert_int_equal(ay_json_dump(v, JSON_COMPACT, &b), AY_ERR_LIMIT);
    ay_buf_free(&b);
    /* Other flags still go through jansson. */
    ay_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(ay_json_dump(v, JSON_COMPACT | JSON_SORT_KEYS, &b), AY_OK);
    assert_string_equal(b.ptr, "{\"a\":\"bcd\",\"e\":5}");
    ay_buf_free(&b);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),     cmocka_unit_test(test_containers),
        cmocka_unit_test(test_long_strings), cmocka_unit_test(test_deep),
        cmocka_unit_test(test_invalid_utf8_refused), cmocka_unit_test(test_appends_and_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

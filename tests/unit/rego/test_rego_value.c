/* SPDX-License-Identifier: Apache-2.0 */
/* Rego values: OPA's total order across types, numeric equality (1 == 1.0), sorted sets and
 * objects, JSON round trips that keep big integers exact, the term printer, arithmetic with
 * overflow promotion, and the JSON reader's negative cases and depth limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "rego/rego_value.h"

static struct ay_arena *A;

static struct ay_val J(const char *s)
{
    struct ay_val v;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_val_parse_json(A, s, strlen(s), 0, &d, &v), AY_OK);
    return v;
}

static const char *json_of(struct ay_val v)
{
    struct ay_buf b;
    ay_buf_init(&b, A, 1 << 20);
    ay_val_write_json(&b, v);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    return b.ptr;
}

static const char *term_of(struct ay_val v)
{
    struct ay_buf b;
    ay_buf_init(&b, A, 1 << 20);
    ay_val_write_term(&b, v);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    return b.ptr;
}

static int setup(void **state)
{
    (void)state;
    ay_arena_new(64 << 20, &A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ay_arena_free(A);
    return 0;
}

static void test_total_order(void **state)
{
    (void)state;
    /* REGO.md 2.1 item 2: null < boolean < number < string < array < object < set */
    const char *ordered[] = {"null", "false", "true", "-5", "1", "1.5", "2", "\"\"", "\"a\"",
                             "\"b\"", "[]", "[1]", "[1,2]", "[2]", "{}", "{\"a\":1}",
                             "{\"a\":2}", "{\"b\":0}"};
    size_t n = sizeof ordered / sizeof ordered[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = ay_val_compare(J(ordered[i]), J(ordered[j]));
            if (i < j) {
                assert_true(c < 0);
            } else if (i > j) {
                assert_true(c > 0);
            } else {
                assert_int_equal(c, 0);
            }
        }
    }
    struct ay_val set = ay_val_empty(AY_V_SET);
    assert_true(ay_val_compare(J("{\"z\":9}"), set) < 0);
    /* mixed-type comparison is not an error: 2 <= "1" */
    assert_true(ay_val_compare(J("2"), J("\"1\"")) < 0);
}

static void test_numbers_equal(void **state)
{
    (void)state;
    assert_true(ay_val_equal(J("1"), J("1.0")));
    assert_true(ay_val_equal(J("100"), J("1e2")));
    assert_false(ay_val_equal(J("1"), J("\"1\"")));
    assert_true(ay_val_compare(J("12345678901234567890"), J("12345678901234567891")) < 0);
    assert_true(ay_val_compare(J("-12345678901234567890"), J("1")) < 0);
    assert_true(ay_val_compare(J("12345678901234567890"), J("1.5")) > 0);
    assert_true(ay_val_equal(J("9223372036854775807"), ay_val_int(INT64_MAX)));
}

static void test_json_round_trip(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"{\"b\":1,\"a\":[true,null,\"x\"]}", "{\"a\":[true,null,\"x\"],\"b\":1}"},
        {"123456789012345678901234567890", "123456789012345678901234567890"},
        {"-98765432109876543210", "-98765432109876543210"},
        {"[1.5, 0.1, 2.0, 1e3]", "[1.5,0.1,2,1000]"},
        {"\"\\u00e9\\ud83d\\ude00\\n\"", "\"\xc3\xa9\xf0\x9f\x98\x80\\n\""},
        {"{\"a\":1,\"a\":2}", "{\"a\":2}"},
        {" [ ] ", "[]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(json_of(J(cases[i][0])), cases[i][1]);
    }
}

static void test_json_negative(void **state)
{
    (void)state;
    const char *bad[] = {"",      "[",        "{\"a\"}", "[1,]",  "01",     "1.",     "-",
                         "tru",   "\"abc",    "\"\\x\"", "[1] x", "{1:2}",  "\"\x01\"",
                         "1e999", "\"\xff\"", "nul",     "[,1]",  "{\"a\":1,}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ay_val v;
        struct ay_diag d;
        ay_diag_clear(&d);
        assert_int_not_equal(ay_val_parse_json(A, bad[i], strlen(bad[i]), 0, &d, &v), AY_OK);
        assert_int_not_equal(d.code, AY_OK);
    }
}

static void test_json_depth_limit(void **state)
{
    (void)state;
    char buf[2 * 200 + 1];
    for (size_t depth = 8; depth <= 9; depth++) {
        memset(buf, '[', depth);
        memset(buf + depth, ']', depth);
        struct ay_val v;
        struct ay_diag d;
        ay_diag_clear(&d);
        ay_err e = ay_val_parse_json(A, buf, 2 * depth, 8, &d, &v);
        assert_int_equal(e, depth <= 8 ? AY_OK : AY_ERR_LIMIT);
    }
    /* default limit: AY_LIMIT_JSON_DEPTH and one more */
    size_t lim = AY_LIMIT_JSON_DEPTH;
    for (size_t depth = lim; depth <= lim + 1; depth++) {
        memset(buf, '[', depth);
        memset(buf + depth, ']', depth);
        struct ay_val v;
        ay_err e = ay_val_parse_json(A, buf, 2 * depth, 0, NULL, &v);
        assert_int_equal(e, depth <= lim ? AY_OK : AY_ERR_LIMIT);
    }
}

static void test_sets_objects_sorted(void **state)
{
    (void)state;
    struct ay_val items[] = {ay_val_int(3), ay_val_str_static("a"), ay_val_int(1), ay_val_int(3),
                             ay_val_null()};
    struct ay_val s;
    assert_int_equal(ay_val_set(A, items, 5, &s), AY_OK);
    assert_int_equal(s.len, 4);
    assert_string_equal(json_of(s), "[null,1,3,\"a\"]");
    assert_string_equal(term_of(s), "{null, 1, 3, \"a\"}");
    assert_true(ay_val_set_has(s, ay_val_double(3.0)));
    assert_false(ay_val_set_has(s, ay_val_int(2)));
    assert_string_equal(term_of(ay_val_empty(AY_V_SET)), "set()");
    struct ay_kv kv[] = {{ay_val_str_static("b"), ay_val_int(1)},
                         {ay_val_str_static("a"), ay_val_int(2)},
                         {ay_val_str_static("b"), ay_val_int(3)}};
    struct ay_val o;
    assert_int_equal(ay_val_object(A, kv, 3, false, &o), AY_OK);
    assert_string_equal(json_of(o), "{\"a\":2,\"b\":3}");
    assert_int_equal(ay_val_object(A, kv, 3, true, &o), AY_ERR_CONFLICT);
    assert_string_equal(term_of(J("{\"a\":[1,\"x\"]}")), "{\"a\": [1, \"x\"]}");
    const struct ay_val *g = ay_val_obj_get_str(J("{\"k\":7}"), "k", 1);
    assert_non_null(g);
    assert_int_equal(g->u.i, 7);
}

static void test_arith(void **state)
{
    (void)state;
    struct ay_val r;
    assert_int_equal(ay_val_num_add(A, ay_val_int(INT64_MAX), ay_val_int(1), &r), AY_OK);
    assert_string_equal(json_of(r), "9223372036854775808");
    assert_int_equal(ay_val_num_sub(A, r, ay_val_int(1), &r), AY_OK);
    assert_int_equal(r.sub, AY_NUM_INT);
    assert_int_equal(ay_val_num_mul(A, J("10000000000"), J("10000000000"), &r), AY_OK);
    assert_string_equal(json_of(r), "100000000000000000000");
    assert_int_equal(ay_val_num_div(A, ay_val_int(7), ay_val_int(2), &r), AY_OK);
    assert_string_equal(json_of(r), "3.5");
    assert_int_equal(ay_val_num_div(A, ay_val_int(8), ay_val_int(2), &r), AY_OK);
    assert_string_equal(json_of(r), "4");
    assert_int_equal(ay_val_num_div(A, ay_val_int(8), ay_val_int(0), &r), AY_ERR_POLICY_EVAL);
    assert_int_equal(ay_val_num_rem(A, ay_val_int(-7), ay_val_int(2), &r), AY_OK);
    assert_string_equal(json_of(r), "-1");
    assert_int_equal(ay_val_num_rem(A, J("1.5"), ay_val_int(2), &r), AY_ERR_POLICY_EVAL);
    assert_int_equal(ay_val_num_add(A, J("0.1"), J("0.2"), &r), AY_OK);
    assert_string_equal(json_of(r), "0.30000000000000004");
    assert_int_equal(ay_val_num_neg(A, ay_val_int(INT64_MIN), &r), AY_OK);
    assert_string_equal(json_of(r), "9223372036854775808");
    assert_int_equal(ay_val_num_add(A, ay_val_str_static("x"), ay_val_int(1), &r),
                     AY_ERR_POLICY_EVAL);
    int64_t i;
    assert_true(ay_val_to_i64(J("2.0"), &i));
    assert_int_equal(i, 2);
    assert_false(ay_val_to_i64(J("2.5"), &i));
    assert_false(ay_val_to_i64(J("99999999999999999999"), &i));
}

static void test_hash_consistent(void **state)
{
    (void)state;
    assert_true(ay_val_hash(J("1")) == ay_val_hash(J("1.0")));
    assert_true(ay_val_hash(J("{\"a\":[1,2]}")) == ay_val_hash(J("{ \"a\" : [1, 2.0] }")));
    assert_true(ay_val_hash(J("\"a\"")) != ay_val_hash(J("\"b\"")));
}

/* \u escapes as Go's encoding/json reads them: pairs join, any other surrogate is U+FFFD and
 * an escape after a lone high surrogate is read on its own; strings of every length go through
 * the 8-bytes-at-a-time scan. */
static void test_json_strings(void **state)
{
    (void)state;
    assert_string_equal(json_of(J("\"\\ud83d\\ude00\"")), "\"\xF0\x9F\x98\x80\"");
    assert_string_equal(json_of(J("\"\\ud83dx\"")), "\"\xEF\xBF\xBDx\"");
    assert_string_equal(json_of(J("\"\\ude00\"")), "\"\xEF\xBF\xBD\"");
    assert_string_equal(json_of(J("\"\\ud83d\\u0041\"")), "\"\xEF\xBF\xBD" "A\"");
    assert_string_equal(json_of(J("\"\\ud83d\\ud83d\\ude00\"")),
                        "\"\xEF\xBF\xBD\xF0\x9F\x98\x80\"");
    char src[64];
    char want[64];
    for (size_t n = 0; n < 40; n++) {
        /* n plain bytes, then a byte the fast scan must stop at */
        static const char stops[] = {'"', '\\', 'e'};
        for (size_t k = 0; k < sizeof stops; k++) {
            size_t at = 0;
            src[at++] = '"';
            for (size_t i = 0; i < n; i++) {
                src[at++] = (char)('a' + (char)(i % 26));
            }
            if (stops[k] == '\\') {
                src[at++] = '\\';
                src[at++] = 'n';
            } else if (stops[k] == 'e') {
                src[at++] = '\xC3'; /* U+00E9 */
                src[at++] = '\xA9';
            }
            src[at++] = '"';
            src[at] = '\0';
            struct ay_val v = J(src);
            size_t extra = stops[k] == '"' ? 0 : (stops[k] == '\\' ? 1 : 2);
            assert_int_equal(v.len, n + extra);
            memcpy(want, src + 1, n);
            assert_memory_equal(v.u.s, want, n);
        }
    }
    struct ay_val v;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_not_equal(ay_val_parse_json(A, "\"abcdefgh\x01\"", 11, 0, &d, &v), AY_OK);
    assert_int_not_equal(ay_val_parse_json(A, "\"abcdefghij\xFF\"", 13, 0, &d, &v), AY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_total_order),       cmocka_unit_test(test_numbers_equal),
        cmocka_unit_test(test_json_round_trip),   cmocka_unit_test(test_json_negative),
        cmocka_unit_test(test_json_depth_limit),  cmocka_unit_test(test_sets_objects_sorted),
        cmocka_unit_test(test_arith),             cmocka_unit_test(test_hash_consistent),
        cmocka_unit_test(test_json_strings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding and regex builtins: cases from OPA's conformance folders base64builtins,
 * base64urlbuiltins, hexbuiltins, jsonbuiltins, urlbuiltins, regex* (expected values written
 * out by hand), plus the RE2-syntax checks of REGO.md 3.4. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_base64_hex(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"base64.encode", "[\"hello\"]", "\"aGVsbG8=\""},
        {"base64.encode", "[\"subjects?_d\"]", "\"c3ViamVjdHM/X2Q=\""},
        {"base64.decode", "[\"aGVsbG8=\"]", "\"hello\""},
        {"base64.decode", "[\"c3ViamVjdHM/X2Q=\"]", "\"subjects?_d\""},
        {"base64.decode", "[\"aGVsbG8\"]", "error:illegal base64 data at input byte 7"},
        {"base64.decode", "[\"a$\"]", "error:illegal base64 data at input byte 1"},
        {"base64.is_valid", "[\"aGVsbG8=\"]", "true"},
        {"base64.is_valid", "[\"{'not':'base64'}\"]", "false"},
        {"base64url.encode", "[\"hello\"]", "\"aGVsbG8=\""},
        {"base64url.encode", "[\"subjects?_d\"]", "\"c3ViamVjdHM_X2Q=\""},
        {"base64url.encode_no_pad", "[\"hello\"]", "\"aGVsbG8\""},
        {"base64url.decode", "[\"aGVsbG8=\"]", "\"hello\""},
        {"base64url.decode", "[\"aGVsbG8\"]", "\"hello\""},
        {"base64url.decode", "[\"c3ViamVjdHM_X2Q\"]", "\"subjects?_d\""},
        {"hex.encode", "[\"lorem ipsum\"]", "\"6c6f72656d20697073756d\""},
        {"hex.decode", "[\"6c6f72656d20697073756d\"]", "\"lorem ipsum\""},
        {"hex.decode", "[\"6g\"]", "error:invalid byte: U+0067 'g'"},
        {"hex.decode", "[\"abc\"]", "error:odd length"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_json(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"json.marshal", "[[{\"foo\": {\"$set\": [1, 2, 3]}}]]", "\"[{\\\"foo\\\":[1,2,3]}]\""},
        {"json.marshal", "[\"<a&b>\"]", "\"\\\"\\\\u003ca\\\\u0026b\\\\u003e\\\"\""},
        {"json.marshal_with_options", "[[1, 2], {}]", "\"[1,2]\""},
        {"json.marshal_with_options", "[[1, 2], {\"pretty\": true}]", "\"[\\n\\t1,\\n\\t2\\n]\""},
        {"json.marshal_with_options", "[[1, 2], {\"indent\": \"  \"}]", "\"[\\n  1,\\n  2\\n]\""},
        {"json.marshal_with_options", "[[1], {\"pretty\": false, \"prefix\": \"NO!\"}]", "\"[1]\""},
        {"json.marshal_with_options",
         "[{\"foo\": \"bar\", \"bar\": \"baz\"}, {\"prefix\": \"P \"}]",
         "\"P {\\nP \\t\\\"bar\\\": \\\"baz\\\",\\nP \\t\\\"foo\\\": \\\"bar\\\"\\nP }\""},
        {"json.marshal_with_options", "[[], {\"indent\": \"    \", \"prefix\": \"---\"}]",
         "\"---[]\""},
        {"json.marshal_with_options", "[[], {\"include_winning_lottery_numbers\": true}]",
         "error:object contained unknown key \"include_winning_lottery_numbers\""},
        {"json.unmarshal", "[\"[{\\\"foo\\\":[1,2,3]}]\"]", "[{\"foo\": [1, 2, 3]}]"},
        {"json.unmarshal", "[\"[1,\"]", "error:"},
        {"json.is_valid", "[\"{\\\"json\\\": \\\"ok\\\"}\"]", "true"},
        {"json.is_valid", "[\"plainstring\"]", "false"},
        {"json.is_valid", "[\"{\"]", "false"},
        {"json.is_valid", "[1]", "false"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_urlquery(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"urlquery.encode", "[\"a=b+1\"]", "\"a%3Db%2B1\""},
        {"urlquery.encode", "[\"\"]", "\"\""},
        {"urlquery.encode", "[\"a b~\"]", "\"a+b~\""},
        {"urlquery.decode", "[\"a%3Db%2B1\"]", "\"a=b+1\""},
        {"urlquery.decode", "[\"a+b\"]", "\"a b\""},
        {"urlquery.decode", "[\"%zz\"]", "error:invalid URL escape \"%zz\""},
        {"urlquery.encode_object", "[{}]", "\"\""},
        {"urlquery.encode_object", "[{\"a\": \"b\", \"c\": \"d\"}]", "\"a=b&c=d\""},
        {"urlquery.encode_object", "[{\"a\": \"c=b+1\"}]", "\"a=c%3Db%2B1\""},
        {"urlquery.encode_object", "[{\"a\": [\"b+1\", \"c+2\"]}]", "\"a=b%2B1&a=c%2B2\""},
        {"urlquery.encode_object", "[{\"a\": {\"$set\": [\"b+1\"]}}]", "\"a=b%2B1\""},
        {"urlquery.decode_object", "[\"a=b&c=d&a=e\"]", "{\"a\": [\"b\", \"e\"], \"c\": [\"d\"]}"},
        {"urlquery.decode_object", "[\"a\"]", "{\"a\": [\"\"]}"},
        {"urlquery.decode_object", "[\"\"]", "{}"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_regex(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"regex.match", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"foo[1]\"]", "true"},
        {"regex.match", "[\"^$\", \"\"]", "true"},
        {"regex.match", "[\"\", \"x\"]", "true"},
        {"regex.match", "[\"^$\", \"something\"]", "false"},
        {"regex.match", "[\"$^[[[\", \"something\"]", "error:error parsing regexp"},
        {"re_match", "[\"^a+$\", \"aaa\"]", "true"},
        {"regex.match", "[\"a$\", \"a\\n\"]", "false"},
        {"regex.match", "[\"(?m)a$\", \"a\\nb\"]", "true"},
        {"regex.match", "[\"^\\\\s$\", \"\\u000b\"]", "false"},
        {"regex.match", "[\"^\\\\v$\", \"\\u000b\"]", "true"},
        {"regex.match", "[\"^\\\\101$\", \"A\"]", "true"},
        {"regex.match", "[\"^\\\\d+$\", \"\\u0661\"]", "false"},
        {"regex.match", "[\"(?P<x>a)\", \"a\"]", "true"},
        {"regex.match", "[\"(?<x>a)\", \"a\"]", "true"},
        {"regex.match", "[\"a{2,3}\", \"aa\"]", "true"},
        {"regex.match", "[\"a{,3}\", \"a{,3}\"]", "true"},
        {"regex.is_valid", "[\".+\"]", "true"},
        {"regex.is_valid", "[\"++\"]", "false"},
        {"regex.is_valid", "[10]", "false"},
        {"regex.is_valid", "[\"(a)\\\\1\"]", "false"},
        {"regex.is_valid", "[\"a(?=b)\"]", "false"},
        {"regex.is_valid", "[\"a(?<=b)\"]", "false"},
        {"regex.is_valid", "[\"(?>a)\"]", "false"},
        {"regex.is_valid", "[\"a*+\"]", "false"},
        {"regex.is_valid", "[\"a**\"]", "false"},
        {"regex.is_valid", "[\"a*?\"]", "true"},
        {"regex.is_valid", "[\"a{2}{3}\"]", "false"},
        {"regex.is_valid", "[\"a{1001}\"]", "false"},
        {"regex.is_valid", "[\"a{1000}\"]", "true"},
        {"regex.is_valid", "[\"\\\\Z\"]", "false"},
        {"regex.is_valid", "[\"\\\\z\"]", "true"},
        {"regex.is_valid", "[\"(?x)a\"]", "false"},
        {"regex.is_valid", "[\"(?i)a\"]", "true"},
        {"regex.is_valid", "[\"[[:alpha:]]\"]", "true"},
        {"regex.is_valid", "[\"\\\\pL\\\\p{Greek}\"]", "true"},
        {"regex.find_n", "[\"a.\", \"paranormal\", -1]", "[\"ar\", \"an\", \"al\"]"},
        {"regex.find_n", "[\"a.\", \"paranormal\", 2]", "[\"ar\", \"an\"]"},
        {"regex.find_n", "[\"a.\", \"paranormal\", 0]", "[]"},
        {"regex.find_n", "[\"^a.\", \"abacadaeaf\", -1]", "[\"ab\"]"},
        {"regex.find_n", "[\".$\", \"abacadaeaf\", -1]", "[\"f\"]"},
        {"regex.find_n", "[\"[abcdef]{2}\", \"abacadaeaf\", -1]",
         "[\"ab\", \"ac\", \"ad\", \"ae\", \"af\"]"},
        {"regex.find_n", "[\"a*\", \"baaab\", -1]", "[\"\", \"aaa\", \"\"]"},
        {"regex.find_n", "[\"bork\", \"paranormal\", -1]", "[]"},
        {"regex.find_all_string_submatch_n", "[\"a(x*)b\", \"-\", -1]", "[]"},
        {"regex.find_all_string_submatch_n", "[\"a(x*)b\", \"-ab-\", -1]", "[[\"ab\", \"\"]]"},
        {"regex.find_all_string_submatch_n", "[\"a(x*)b\", \"-ab-axb-\", -1]",
         "[[\"ab\", \"\"], [\"axb\", \"x\"]]"},
        {"regex.find_all_string_submatch_n", "[\"a(x)?b\", \"ab\", -1]", "[[\"ab\", \"\"]]"},
        {"regex.split", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"\"]", "[\"\"]"},
        {"regex.split", "[\"^[a-z]+\", \"foobar baz\"]", "[\"\", \" baz\"]"},
        {"regex.split", "[\"[a-z]+$\", \"foobar baz\"]", "[\"foobar \", \"\"]"},
        {"regex.split", "[\"^[a-z]+$\", \"foobar baz\"]", "[\"foobar baz\"]"},
        {"regex.split", "[\"^[a-z ]+$\", \"foobar baz\"]", "[\"\", \"\"]"},
        {"regex.split", "[\"a\", \"banana\"]", "[\"b\", \"n\", \"n\", \"\"]"},
        {"regex.replace", "[\"-wy-wxxy-\", \"w(x*)y\", \"0\"]", "\"-0-0-\""},
        {"regex.replace", "[\"foo\", \"(foo)\", \"$1$1\"]", "\"foofoo\""},
        {"regex.replace", "[\"foo\", \"[\", \"$1\"]", "error:"},
        {"regex.replace", "[\"foo\", \"^[a-z]\", \"F\"]", "\"Foo\""},
        {"regex.replace", "[\"foo\", \"^[a-z]$\", \"F\"]", "\"foo\""},
        {"regex.replace", "[\"foo\", \"^[a-z]+$\", \"M\"]", "\"M\""},
        {"regex.replace", "[\"foo\", \"[a-z]$\", \"F\"]", "\"foF\""},
        {"regex.replace", "[\"foo bar\", \"[a-z]\", \"_\"]", "\"___ ___\""},
        {"regex.replace", "[\"ab\", \"(?P<x>a)\", \"[${x}$$$1x]\"]", "\"[a$]b\""},
        {"regex.template_match", "[\"urn:foo:{.*}\", \"urn:foo:bar:baz\", \"{\", \"}\"]", "true"},
        {"regex.template_match",
         "[\"urn:foo.bar.com:{.*}\", \"urn:foo.com:bar:baz\", \"{\", "
         "\"}\"]",
         "false"},
        {"regex.template_match", "[\"urn:foo:<[a-z]{2}>\", \"urn:foo:ab\", \"<\", \">\"]", "true"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

/* The compiled-regex cache: repeated patterns, more distinct patterns than the cache holds,
 * errors never cached, and threads matching the same cached patterns at once. */
static void test_regex_cache(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        assert_string_equal(bt_call("regex.match", "[\"^a(b+)c$\", \"abbc\"]"), "true");
        assert_string_equal(bt_call("regex.match", "[\"^a(b+)c$\", \"ac\"]"), "false");
        assert_non_null(strstr(bt_call("regex.match", "[\"a(\", \"x\"]"), "error parsing regexp"));
    }
    char args[128];
    for (int i = 0; i < 300; i++) {
        (void)snprintf(args, sizeof args, "[\"^x%d$\", \"x%d\"]", i, i);
        assert_string_equal(bt_call("regex.match", args), "true");
        (void)snprintf(args, sizeof args, "[\"^x%d$\", \"x%dy\"]", i, i);
        assert_string_equal(bt_call("regex.match", args), "false");
    }
    assert_string_equal(bt_call("regex.find_n", "[\"b+\", \"abbcb\", -1]"), "[\"bb\", \"b\"]");
}

static void *regex_thread(void *arg)
{
    (void)arg;
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)16 * 1024 * 1024, &a);
    const struct ay_rego_bi *bi = ay_rego_bi_find("regex.match", 11, 2);
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_rego_bctx bc = {a, &d, 0, "regex.match", NULL};
        struct ay_val args[2] = {ay_val_str_static("^[a-z]+-[0-9]{2,4}$"),
                                 ay_val_str_static(i % 2 == 0 ? "abc-123" : "abc-1")};
        struct ay_val out = ay_val_undef();
        if (bi == NULL || bi->fn(&bc, args, 2, &out) != AY_OK || out.kind != AY_V_BOOL ||
            out.u.b != (i % 2 == 0)) {
            bad++;
        }
    }
    ay_arena_free(a);
    return bad == 0 ? NULL : (void *)1;
}

static void test_regex_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, regex_thread, NULL), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        void *rv = NULL;
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
}

static void test_yaml(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"yaml.is_valid", "[\"foo:\\n   - qux: bar\\n   - baz: 2\"]", "true"},
        {"yaml.is_valid", "[\"foo:\\n   - qux: bar\\n   - baz: {\"]", "false"},
        {"yaml.is_valid", "[\"{\\\"json\\\": \\\"ok\\\"}\"]", "true"},
        {"yaml.is_valid", "[1]", "false"},
        {"yaml.unmarshal", "[\"[1,2,3\"]", "error:yaml: line 1: did not find"},
        {"yaml.unmarshal", "[\"foo:\\n- 1\\n- 2\\n\"]", "{\"foo\": [1, 2]}"},
        {"yaml.unmarshal",
         "[\"a: yes\\nb: Off\\nc: ~\\nd: 0x1F\\ne: 0o17\\nf: 1_000\\ng: 1.5\\nh: 'yes'\\n"
         "i: 012\\nj: abc\\n1: x\\n\"]",
         "{\"1\": \"x\", \"a\": true, \"b\": false, \"c\": null, \"d\": 31, \"e\": 15, "
         "\"f\": 1000, \"g\": 1.5, \"h\": \"yes\", \"i\": 10, \"j\": \"abc\"}"},
        {"yaml.unmarshal", "[\"a: &x [1, 2]\\nb: *x\\n\"]", "{\"a\": [1, 2], \"b\": [1, 2]}"},
        {"yaml.unmarshal", "[\"a: *nope\"]", "error:"},
        {"yaml.unmarshal", "[\"\"]", "null"},
        {"yaml.unmarshal", "[\"a: .inf\"]", "error:"},
        {"yaml.marshal", "[{\"foo\": [1, 2]}]", "\"foo:\\n- 1\\n- 2\\n\""},
        {"yaml.marshal", "[{\"a\": \"true\", \"b\": \"x y\", \"c\": null}]",
         "\"a: \\\"true\\\"\\nb: x y\\nc: null\\n\""},
        {"yaml.marshal", "[[{\"a\": 1, \"b\": {\"$set\": [2]}}]]", "\"- a: 1\\n  b:\\n  - 2\\n\""},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_hex),  cmocka_unit_test(test_json),
        cmocka_unit_test(test_urlquery),    cmocka_unit_test(test_regex),
        cmocka_unit_test(test_regex_cache), cmocka_unit_test(test_regex_threads),
        cmocka_unit_test(test_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

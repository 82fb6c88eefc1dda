/* SPDX-License-Identifier: Apache-2.0 */
/* Object builtins, json.filter/remove/patch: cases from OPA's conformance folders objectget,
 * objectkeys, objectremove, objectfilter, objectunion, objectunionn, subset, jsonfilter,
 * jsonremove, jsonpatch (expected values written out by hand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_object_basic(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"object.get", "[{\"a\": \"b\"}, \"a\", \"c\"]", "\"b\""},
        {"object.get", "[{\"a\": \"b\"}, \"c\", \"c\"]", "\"c\""},
        {"object.get", "[{\"a\": 1}, [], 2]", "{\"a\": 1}"},
        {"object.get", "[{\"a\": {\"b\": {\"c\": 1}}}, [\"a\", \"b\", \"c\"], 2]", "1"},
        {"object.get", "[{\"a\": {\"b\": 1}}, [\"b\", \"a\"], 2]", "2"},
        {"object.get", "[{\"a\": {\"b\": [{\"c\": 1}]}}, [\"a\", \"b\", 0, \"c\"], 2]", "1"},
        {"object.get", "[\"x\", \"a\", 2]",
         "error:object.get: operand 1 must be object but got "
         "string"},
        {"object.keys", "[{\"a\": 1, \"b\": 2}]", "{\"a\", \"b\"}"},
        {"object.keys", "[{}]", "set()"},
        {"object.keys", "[\"x\"]", "error:object.keys: operand 1 must be object but got string"},
        {"object.remove", "[{\"a\": 1, \"b\": 2, \"c\": 3}, [\"a\"]]", "{\"b\": 2, \"c\": 3}"},
        {"object.remove", "[{\"a\": 1, \"b\": 2}, {\"$set\": [\"b\"]}]", "{\"a\": 1}"},
        {"object.remove", "[{\"a\": 1, \"b\": 2}, {\"a\": 0}]", "{\"b\": 2}"},
        {"object.remove", "[{\"a\": 1}, \"a\"]",
         "error:object.remove: operand 2 must be one of {object, set, array} but got string"},
        {"object.remove", "[[], []]",
         "error:object.remove: operand 1 must be object but got "
         "array"},
        {"object.filter", "[{\"a\": 1, \"b\": 2}, [\"a\", \"x\"]]", "{\"a\": 1}"},
        {"object.filter", "[{\"a\": 1}, null]",
         "error:object.filter: operand 2 must be one of {object, set, array} but got null"},
        {"object.union", "[{\"a\": 1, \"b\": {\"c\": 1}}, {\"b\": {\"d\": 2}, \"e\": 3}]",
         "{\"a\": 1, \"b\": {\"c\": 1, \"d\": 2}, \"e\": 3}"},
        {"object.union", "[{\"a\": {\"c\": 1}}, {\"a\": 5}]", "{\"a\": 5}"},
        {"object.union", "[[], {}]",
         "error:object.union: operand 1 must be object but got "
         "array"},
        {"object.union_n", "[[{\"a\": 1}, {\"b\": 2}, {\"a\": 3}]]", "{\"a\": 3, \"b\": 2}"},
        {"object.union_n", "[[]]", "{}"},
        {"object.union_n", "[[{\"a\": {\"b\": 1}}, {\"a\": {\"c\": 2}}]]",
         "{\"a\": {\"b\": 1, \"c\": 2}}"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_object_subset(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"object.subset", "[{\"a\": 5, \"b\": 7}, {\"a\": 5}]", "true"},
        {"object.subset", "[{\"a\": 5}, {\"a\": 5, \"b\": 7}]", "false"},
        {"object.subset", "[{\"a\": 5, \"b\": 7}, {\"a\": 5, \"b\": 10}]", "false"},
        {"object.subset",
         "[{\"n\": {\"x\": 1, \"s\": {\"$set\": [1, 2, 3, 4]}, \"a\": [6, 7, 8, 9]}}, "
         "{\"n\": {\"s\": {\"$set\": [4, 1]}, \"a\": [6, 7]}}]",
         "true"},
        {"object.subset", "[{\"$set\": [1, 2, 3]}, {\"$set\": [3, 2]}]", "true"},
        {"object.subset", "[[1, 2, 3, 4, 5, 6], [3, 4, 5]]", "true"},
        {"object.subset", "[[1, 2, 3, 4, 5, 6], [4, 5, 6, 8]]", "false"},
        {"object.subset", "[[1, 2, 3], [1, 3]]", "false"},
        {"object.subset", "[[1, 2, 3, 4, 5, 6], {\"$set\": [4, 3, 2]}]", "true"},
        {"object.subset", "[[1, 2, 3, 4, 5, 6], {\"$set\": [9, 8, 7]}]", "false"},
        {"object.subset", "[{\"$set\": [4, 3, 2]}, [1, 2]]", "error:"},
        {"object.subset", "[1, 1]", "error:"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_json_filter_remove(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"json.filter",
         "[{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}, {\"$set\": [\"a/b/c\"]}]",
         "{\"a\": {\"b\": {\"c\": 7}}}"},
        {"json.filter", "[{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}, [\"a/b/c\", \"e\"]]",
         "{\"a\": {\"b\": {\"c\": 7}}, \"e\": 9}"},
        {"json.filter", "[{\"a\": {\"b\": 7}}, {\"$set\": [\"a\", \"a/b\"]}]",
         "{\"a\": {\"b\": 7}}"},
        {"json.filter", "[{\"a\": 7}, {\"$set\": []}]", "{}"},
        {"json.filter", "[{\"a\": [{\"b\": 1, \"c\": 2}, 5]}, [[\"a\", 0, \"b\"]]]",
         "{\"a\": [{\"b\": 1}]}"},
        {"json.filter", "[{\"a\": [1, 2, 3]}, [\"a/1\"]]", "{\"a\": [2]}"},
        {"json.remove", "[{\"a\": {\"b\": {\"c\": 7, \"d\": 8}}, \"e\": 9}, [\"a/b/c\"]]",
         "{\"a\": {\"b\": {\"d\": 8}}, \"e\": 9}"},
        {"json.remove", "[{\"a\": [1, 2, 3]}, [\"a/1\"]]", "{\"a\": [1, 3]}"},
        {"json.remove", "[{\"a\": 1, \"b\": 2}, [[\"a\"]]]", "{\"b\": 2}"},
        {"json.remove", "[{\"a\": 1}, [\"x/y\"]]", "{\"a\": 1}"},
        {"json.remove", "[{\"a\": 1}, \"a\"]",
         "error:json.remove: operand 2 must be one of {set, array} but got string"},
        {"json.remove", "[{\"a\": 1}, [1]]",
         "error:json.remove: operand 2 must be one of {set, array} containing string paths or "
         "array of path segments but got number"},
        {"json.remove", "[[], []]", "error:json.remove: operand 1 must be object but got array"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_json_patch(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"json.patch",
         "[{\"foo\": \"bar\"}, [{\"op\": \"add\", \"path\": \"/baz\", \"value\": "
         "\"qux\"}]]",
         "{\"baz\": \"qux\", \"foo\": \"bar\"}"},
        {"json.patch",
         "[{\"foo\": [\"bar\", \"baz\"]}, [{\"op\": \"add\", \"path\": \"/foo/1\", "
         "\"value\": \"qux\"}]]",
         "{\"foo\": [\"bar\", \"qux\", \"baz\"]}"},
        {"json.patch",
         "[{\"foo\": [1, 2]}, [{\"op\": \"add\", \"path\": \"/foo/-\", \"value\": "
         "3}]]",
         "{\"foo\": [1, 2, 3]}"},
        /* OPA jsonpatch/set-failure add-with-mismatched-key-value: a set member added by path
         * must equal the value */
        {"json.patch",
         "[{\"foo\": {\"$set\": [\"a\", \"b\"]}}, [{\"op\": \"add\", \"path\": \"foo/d\", "
         "\"value\": \"e\"}]]",
         "undefined"},
        {"json.patch",
         "[{\"foo\": {\"$set\": [\"a\", \"b\"]}}, [{\"op\": \"add\", \"path\": \"foo/d\", "
         "\"value\": \"d\"}]]",
         "{\"foo\": {\"a\", \"b\", \"d\"}}"},
        {"json.patch", "[{\"baz\": 1, \"foo\": 2}, [{\"op\": \"remove\", \"path\": \"/baz\"}]]",
         "{\"foo\": 2}"},
        {"json.patch",
         "[{\"foo\": [\"a\", \"b\", \"c\"]}, [{\"op\": \"remove\", \"path\": "
         "\"/foo/1\"}]]",
         "{\"foo\": [\"a\", \"c\"]}"},
        {"json.patch",
         "[{\"baz\": 1}, [{\"op\": \"replace\", \"path\": \"/baz\", \"value\": "
         "\"boo\"}]]",
         "{\"baz\": \"boo\"}"},
        {"json.patch",
         "[{\"foo\": {\"bar\": \"baz\", \"waldo\": \"fred\"}, \"qux\": {\"corge\": "
         "\"grault\"}}, [{\"op\": \"move\", \"from\": \"/foo/waldo\", \"path\": "
         "\"/qux/thud\"}]]",
         "{\"foo\": {\"bar\": \"baz\"}, \"qux\": {\"corge\": \"grault\", \"thud\": \"fred\"}}"},
        {"json.patch",
         "[{\"foo\": [\"all\", \"grass\", \"cows\", \"eat\"]}, [{\"op\": \"move\", "
         "\"from\": \"/foo/1\", \"path\": \"/foo/3\"}]]",
         "{\"foo\": [\"all\", \"cows\", \"eat\", \"grass\"]}"},
        {"json.patch", "[{\"a\": 1}, [{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/b\"}]]",
         "{\"a\": 1, \"b\": 1}"},
        {"json.patch",
         "[{\"/\": 9, \"~1\": 10}, [{\"op\": \"test\", \"path\": \"/~01\", "
         "\"value\": 10}]]",
         "{\"/\": 9, \"~1\": 10}"},
        {"json.patch",
         "[{\"baz\": \"qux\"}, [{\"op\": \"test\", \"path\": \"/baz\", \"value\": "
         "\"bar\"}]]",
         "undefined"},
        {"json.patch",
         "[{\"foo\": \"bar\"}, [{\"op\": \"add\", \"path\": \"/baz/bat\", "
         "\"value\": 1}]]",
         "undefined"},
        {"json.patch", "[[\"foo\", \"sil\"], [{\"op\": \"add\", \"path\": \"/3\", \"value\": 1}]]",
         "undefined"},
        {"json.patch",
         "[[\"foo\", \"bar\"], [{\"op\": \"test\", \"path\": \"/01\", \"value\": "
         "\"bar\"}]]",
         "undefined"},
        {"json.patch", "[{}, [{\"op\": \"add\", \"path\": \"\", \"value\": []}]]", "[]"},
        {"json.patch", "[{}, [{\"op\": \"add\", \"path\": \"/\", \"value\": 1}]]", "{\"\": 1}"},
        {"json.patch", "[{\"foo\": 1}, [{\"op\": \"spam\", \"path\": \"/foo\"}]]", "undefined"},
        {"json.patch", "[{\"foo\": 1}, 1]", "error:operand 2 must be array but got number"},
        {"json.patch",
         "[{\"a\": {\"$set\": [1]}}, [{\"op\": \"replace\", \"path\": [\"a\", 1], "
         "\"value\": 2}]]",
         "undefined"},
        {"json.patch",
         "[{\"foo\": {\"$set\": [\"a\", \"b\", \"c\"]}}, [{\"op\": \"remove\", "
         "\"path\": \"foo/b\"}]]",
         "{\"foo\": {\"a\", \"c\"}}"},
        {"json.patch",
         "[{\"foo\": {\"$set\": [\"a\"]}, \"bar\": {\"$set\": [\"c\"]}}, "
         "[{\"op\": \"move\", \"from\": \"foo/a\", \"path\": \"bar/a\"}]]",
         "{\"bar\": {\"a\", \"c\"}, \"foo\": set()}"},
        {"json.patch",
         "[{\"$set\": [[1]]}, [{\"op\": \"add\", \"path\": [[1], 1], \"value\": "
         "2}]]",
         "{[1, 2]}"},
        {"json.patch",
         "[{\"foo\": {\"$set\": [\"a\"]}}, [{\"op\": \"add\", \"path\": "
         "\"/foo/d\", \"value\": \"d\"}]]",
         "{\"foo\": {\"a\", \"d\"}}"},
        {"json.patch",
         "[[1, 2, 3, 4], [{\"op\": \"remove\", \"path\": \"/1\"}, {\"op\": "
         "\"remove\", \"path\": \"/2\"}]]",
         "[1, 3]"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_basic),
        cmocka_unit_test(test_object_subset),
        cmocka_unit_test(test_json_filter_remove),
        cmocka_unit_test(test_json_patch),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

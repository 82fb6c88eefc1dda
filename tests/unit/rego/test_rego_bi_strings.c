/* SPDX-License-Identifier: Apache-2.0 */
/* String builtins and sprintf: cases from OPA's conformance folders strings, sprintf, trim*,
 * replacen (expected values written out by hand) plus Go fmt edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_sprintf(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"sprintf", "[\"hi %v\", [[\"there\", 5, 3.14]]]", "\"hi [\\\"there\\\", 5, 3.14]\""},
        {"sprintf", "[\"hi\", []]", "\"hi\""},
        {"sprintf", "[\"hi %s\", [\"there\"]]", "\"hi there\""},
        {"sprintf", "[\"hi %.2f\", [3.1415]]", "\"hi 3.14\""},
        {"sprintf", "[\"hi %02X.%02X\", [127, 1]]", "\"hi 7F.01\""},
        {"sprintf", "[\"hi %02d\", [5]]", "\"hi 05\""},
        {"sprintf", "[\"hi %s\", [true]]", "\"hi true\""},
        {"sprintf", "[\"%s\", [123456789123456789123]]", "\"123456789123456789123\""},
        {"sprintf", "[\"%d\", [1208925819614629174706175]]", "\"1208925819614629174706175\""},
        {"sprintf", "[\"%x\", [1208925819614629174706175]]", "\"ffffffffffffffffffff\""},
        {"sprintf", "[\"%v\", [{\"a\": 1}]]", "\"{\\\"a\\\": 1}\""},
        {"sprintf", "[\"%v\", [{\"$set\": []}]]", "\"set()\""},
        {"sprintf", "[\"%v\", [null]]", "\"null\""},
        {"sprintf", "[\"%d\", [\"x\"]]", "\"%!d(string=x)\""},
        {"sprintf", "[\"%d %d\", [1]]", "\"1 %!d(MISSING)\""},
        {"sprintf", "[\"%d\", [1, 2]]", "\"1%!(EXTRA int=2)\""},
        {"sprintf", "[\"100%%\", []]", "\"100%\""},
        {"sprintf", "[\"%\", []]", "\"%!(NOVERB)\""},
        {"sprintf", "[\"%5d|%-5d|%+d\", [42, 42, 42]]", "\"   42|42   |+42\""},
        {"sprintf", "[\"%#x %#o %b\", [255, 8, 5]]", "\"0xff 010 101\""},
        {"sprintf", "[\"%08.3f\", [-3.14159]]", "\"-003.142\""},
        {"sprintf", "[\"%e\", [1234.5678]]", "\"1.234568e+03\""},
        {"sprintf", "[\"%v %v\", [0.000001, 1.5e300]]", "\"1e-06 1.5e+300\""},
        {"sprintf", "[\"%v\", [123456.5]]", "\"123456.5\""},
        {"sprintf", "[\"%v\", [1234567.5]]", "\"1.2345675e+06\""},
        {"sprintf", "[\"%q\", [\"a\\\"b\\n\"]]", "\"\\\"a\\\\\\\"b\\\\n\\\"\""},
        {"sprintf", "[\"%.2s|%5s|%-4s|\", [\"hello\", \"ab\", \"c\"]]", "\"he|   ab|c   |\""},
        {"sprintf", "[\"%x % X\", [\"hi\", \"hi\"]]", "\"6869 68 69\""},
        {"sprintf", "[\"%c%c\", [65, 955]]", "\"A\xce\xbb\""},
        {"sprintf", "[\"%U\", [955]]", "\"U+03BB\""},
        {"sprintf", "[\"%t\", [true]]", "\"%!t(string=true)\""},
        {"sprintf", "[\"%f\", [1]]", "\"%!f(int=1)\""},
        {"sprintf", "[\"%s\", [5]]", "\"%!s(int=5)\""},
        {"sprintf", "[\"%.0d|\", [0]]", "\"|\""},
        {"sprintf", "[\"%*d\", [4, 7]]", "\"   7\""},
        {"sprintf", "[1, []]", "error: operand 1 must be string but got number"},
        {"sprintf", "[\"%v\", 1]", "error: operand 2 must be array but got number"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_strings_basic(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"concat", "[\"/\", [\"a\", \"b\", \"c\"]]", "\"a/b/c\""},
        {"concat", "[\"\", {\"$set\": [\"b\", \"a\"]}]", "\"ab\""},
        {"concat", "[\",\", []]", "\"\""},
        {"concat", "[\",\", [1]]", "error:operand 2 must be"},
        {"contains", "[\"abcd\", \"bc\"]", "true"},
        {"contains", "[\"abcd\", \"x\"]", "false"},
        {"contains", "[\"abcd\", \"\"]", "true"},
        {"startswith", "[\"abcd\", \"ab\"]", "true"},
        {"startswith", "[\"abcd\", \"bc\"]", "false"},
        {"endswith", "[\"abcd\", \"cd\"]", "true"},
        {"endswith", "[\"abcd\", \"abcde\"]", "false"},
        {"format_int", "[15.5, 16]", "\"f\""},
        {"format_int", "[-10, 2]", "\"-1010\""},
        {"format_int", "[8, 8]", "\"10\""},
        {"format_int", "[4.1, 199]", "error:operand 2 must be one of {2, 8, 10, 16}"},
        {"indexof", "[\"μx\", \"x\"]", "1"},
        {"indexof", "[\"μ\", \"μμ\"]", "-1"},
        {"indexof", "[\"skön var våren\", \"vår\"]", "9"},
        {"indexof",
         "[\"\xf0\x9f\x8d\xa7\xf0\x9f\x8d\xa8\xf0\x9f\xa7\x81\xf0\x9f\x8d\xb0\xf0\x9f"
         "\x8d\xae\", \"\xf0\x9f\x8d\xae\"]",
         "4"},
        {"indexof_n", "[\"dogcat\", \"cat\"]", "[3]"},
        {"indexof_n", "[\"dogcatdogcat\", \"cat\"]", "[3, 9]"},
        {"indexof_n", "[\"dogcat\", \"rabbit\"]", "[]"},
        {"indexof_n", "[\"aaa\", \"aa\"]", "[0, 1]"},
        {"lower", "[\"AbC\"]", "\"abc\""},
        {"upper", "[\"abc\"]", "\"ABC\""},
        {"upper", "[\"åäö\"]", "\"ÅÄÖ\""},
        {"lower", "[\"ΑΒΓ ДЖ\"]", "\"αβγ дж\""},
        {"lower", "[1]", "error:operand 1 must be string but got number"},
        {"replace", "[\"abab\", \"b\", \"x\"]", "\"axax\""},
        {"replace", "[\"ab\", \"\", \"-\"]", "\"-a-b-\""},
        {"split", "[\"a.b.c\", \".\"]", "[\"a\", \"b\", \"c\"]"},
        {"split", "[\"abc\", \"\"]", "[\"a\", \"b\", \"c\"]"},
        {"split", "[\"\", \",\"]", "[\"\"]"},
        {"split", "[\"a,\", \",\"]", "[\"a\", \"\"]"},
        {"substring", "[\"abcdefgh\", 2, 3]", "\"cde\""},
        {"substring", "[\"åäö\", 0, 2]", "\"åä\""},
        {"substring", "[\"abcdefgh\", 2, -1]", "\"cdefgh\""},
        {"substring", "[\"abc\", 5, 1]", "\"\""},
        {"substring", "[\"aaa\", -1, -1]", "error:negative offset"},
        {"strings.count", "[\"cheese\", \"e\"]", "3"},
        {"strings.count", "[\"hello hello hello world\", \"hello\"]", "3"},
        {"strings.count", "[\"dummy\", \"x\"]", "0"},
        {"strings.count", "[\"five\", \"\"]", "5"},
        {"strings.reverse", "[\"abc\"]", "\"cba\""},
        {"strings.reverse", "[\"åbö\"]", "\"öbå\""},
        {"strings.reverse", "[{}]", "error:reverse: operand 1 must be string but got object"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_strings_trim_replace(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"trim", "[\"  xxhixx  \", \" x\"]", "\"hi\""},
        {"trim_left", "[\"xxhixx\", \"x\"]", "\"hixx\""},
        {"trim_right", "[\"xxhixx\", \"x\"]", "\"xxhi\""},
        {"trim_right", "[\"hiåå\", \"å\"]", "\"hi\""},
        {"trim_prefix", "[\"foo.bar\", \"foo.\"]", "\"bar\""},
        {"trim_prefix", "[\"foo.bar\", \"x\"]", "\"foo.bar\""},
        {"trim_suffix", "[\"foo.bar\", \".bar\"]", "\"foo\""},
        {"trim_space", "[\" \\t\\n foo, bar \\n\\t\\r\\n\"]", "\"foo, bar\""},
        {"trim_space", "[\"\\u00a0x\\u3000\"]", "\"x\""},
        {"strings.replace_n",
         "[{\"old1\": \"new1\", \"old2\": \"new2\"}, \"Everything is old1, old2\"]",
         "\"Everything is new1, new2\""},
        {"strings.replace_n", "[{\"<\": \"&lt;\", \">\": \"&gt;\"}, \"This is <b>HTML</b>!\"]",
         "\"This is &lt;b&gt;HTML&lt;/b&gt;!\""},
        {"strings.replace_n", "[{\"a\": 1}, \"foo\"]",
         "error:operand 1 non-string value found in pattern object"},
        {"strings.replace_n", "[{\"foo\": \"baz\"}, 1]",
         "error:strings.replace_n: operand 2 must be string but got number"},
        {"strings.any_prefix_match", "[[\"a/b/c\", \"e/f/g\"], [\"a/\", \"d/\"]]", "true"},
        {"strings.any_prefix_match", "[[\"a/b/c\"], [\"f/\", \"d/\"]]", "false"},
        {"strings.any_prefix_match", "[\"a/b/c\", [\"a/\"]]", "true"},
        {"strings.any_prefix_match", "[{\"$set\": [\"a/b/c\"]}, {\"$set\": [\"a/\"]}]", "true"},
        {"strings.any_prefix_match", "[[], []]", "false"},
        {"strings.any_prefix_match", "[1, [\"a\"]]",
         "error:operand 1 must be one of {string, set, array} but got number"},
        {"strings.any_prefix_match", "[[1], [\"a\"]]",
         "error:operand 1 must be array of strings but got array containing number"},
        {"strings.any_suffix_match", "[[\"a/b/c\", \"e/f/g\"], [\"/g\"]]", "true"},
        {"strings.any_suffix_match", "[\"a/b/c\", \"x\"]", "false"},
        {"strings.any_suffix_match", "[[\"a\"], [1]]",
         "error:operand 2 must be array of strings but got array containing number"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sprintf),
        cmocka_unit_test(test_strings_basic),
        cmocka_unit_test(test_strings_trim_replace),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Aggregates, numbers, casts, types, bits, arrays and sets: cases from OPA's conformance
 * folders aggregates, arithmetic, numbersrange*, casts, typebuiltin, typenamebuiltin, bits*,
 * array, union, intersection (expected values written out by hand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_aggregates(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"count", "[[1, 2, 3]]", "3"},
        {"count", "[{\"a\": 1}]", "1"},
        {"count", "[{\"$set\": [1, 2]}]", "2"},
        {"count", "[\"åäö\"]", "3"},
        {"count", "[null]",
         "error:operand 1 must be one of {array, object, set, string} but got null"},
        {"sum", "[[1, 2, 3.5]]", "6.5"},
        {"sum", "[{\"$set\": [1, 2]}]", "3"},
        {"sum", "[[]]", "0"},
        {"sum", "[[9223372036854775807, 1]]", "9223372036854775808"},
        {"sum", "[[1, \"a\"]]", "error:"},
        {"product", "[[2, 3, 4]]", "24"},
        {"product", "[[]]", "1"},
        {"max", "[[1, 3, 2]]", "3"},
        {"max", "[[]]", "undefined"},
        {"max", "[[1, \"a\", null]]", "\"a\""},
        {"min", "[{\"$set\": [4, 2, 9]}]", "2"},
        {"sort", "[[3, 1, \"a\", null, [1]]]", "[null, 1, 3, \"a\", [1]]"},
        {"sort", "[{\"$set\": [2, 1]}]", "[1, 2]"},
        {"sort", "[1]", "error:operand 1 must be one of {array, set} but got number"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"abs", "[-5]", "5"},
        {"abs", "[-5.5]", "5.5"},
        {"abs", "[3]", "3"},
        {"ceil", "[1.01]", "2"},
        {"ceil", "[-1.5]", "-1"},
        {"floor", "[1.99]", "1"},
        {"floor", "[-1.5]", "-2"},
        {"round", "[1.5]", "2"},
        {"round", "[-1.5]", "-2"},
        {"round", "[1.4999]", "1"},
        {"numbers.range", "[0, 3]", "[0, 1, 2, 3]"},
        {"numbers.range", "[2, -1]", "[2, 1, 0, -1]"},
        {"numbers.range", "[5, 5]", "[5]"},
        {"numbers.range", "[1.5, 3]",
         "error:numbers.range: operand 1 must be integer number but got floating-point number"},
        {"numbers.range_step", "[0, 10, 3]", "[0, 3, 6, 9]"},
        {"numbers.range_step", "[10, 0, 5]", "[10, 5, 0]"},
        {"numbers.range_step", "[0, 10, 0]", "error:step must be a positive integer"},
        {"numbers.range_step", "[0, 10, -1]", "error:step must be a positive integer"},
        {"to_number", "[\"-42.0\"]", "-42"},
        {"to_number", "[false]", "0"},
        {"to_number", "[true]", "1"},
        {"to_number", "[null]", "0"},
        {"to_number", "[100.1]", "100.1"},
        {"to_number", "[\"3\"]", "3"},
        {"to_number", "[\"broken\"]", "error:invalid syntax"},
        {"to_number", "[\"nan\"]", "error:"},
        {"to_number", "[\"-inf\"]", "error:"},
        {"to_number", "[[]]", "error:"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_types_bits(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"is_number", "[1]", "true"},
        {"is_number", "[\"1\"]", "false"},
        {"is_string", "[\"1\"]", "true"},
        {"is_boolean", "[false]", "true"},
        {"is_array", "[[]]", "true"},
        {"is_set", "[{\"$set\": []}]", "true"},
        {"is_object", "[{}]", "true"},
        {"is_null", "[null]", "true"},
        {"is_null", "[0]", "false"},
        {"type_name", "[null]", "\"null\""},
        {"type_name", "[{\"$set\": [1]}]", "\"set\""},
        {"type_name", "[1.5]", "\"number\""},
        {"bits.and", "[12, 10]", "8"},
        {"bits.or", "[12, 10]", "14"},
        {"bits.xor", "[12, 10]", "6"},
        {"bits.negate", "[5]", "-6"},
        {"bits.lsh", "[1, 3]", "8"},
        {"bits.lsh", "[1, 64]", "18446744073709551616"},
        {"bits.rsh", "[-16, 2]", "-4"},
        {"bits.rsh", "[1, -1]",
         "error:bits.rsh: operand 2 must be an unsigned integer number but got a negative "
         "integer"},
        {"bits.and", "[1.5, 1]",
         "error:bits.and: operand 1 must be integer number but got floating-point number"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_arrays_sets(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"array.concat", "[[1], [2, 3]]", "[1, 2, 3]"},
        {"array.concat", "[{}, []]", "error:array.concat: operand 1 must be array but got object"},
        {"array.slice", "[[1, 2, 3, 4], 1, 3]", "[2, 3]"},
        {"array.slice", "[[1, 2, 3, 4], -1, 10]", "[1, 2, 3, 4]"},
        {"array.slice", "[[1, 2, 3, 4], 3, 1]", "[]"},
        {"array.reverse", "[[1, 2, 3]]", "[3, 2, 1]"},
        {"array.reverse", "[{}]", "error:array.reverse: operand 1 must be array but got object"},
        {"array.flatten", "[[1, [2, [3, []]], 4]]", "[1, 2, [3, []], 4]"},
        {"numbers.range_step", "[0, 1, 100000000000000000000]", "[0]"},
        {"numbers.range_step", "[-9223372036854775808, 9223372036854775807, 9223372036854775807]",
         "[-9223372036854775808, -1, 9223372036854775806]"},
        {"array.flatten", "[1]", "error:array.flatten: operand 1 must be array but got number"},
        {"union", "[{\"$set\": [{\"$set\": [1, 2]}, {\"$set\": [2, 3]}]}]", "{1, 2, 3}"},
        {"union", "[{\"$set\": []}]", "set()"},
        {"intersection", "[{\"$set\": [{\"$set\": [1, 2]}, {\"$set\": [2, 3]}]}]", "{2}"},
        {"intersection", "[{\"$set\": []}]", "set()"},
        {"intersection", "[[1]]", "error:operand 1 must be set but got array"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregates),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_types_bits),
        cmocka_unit_test(test_arrays_sets),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

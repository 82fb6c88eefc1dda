/* SPDX-License-Identifier: Apache-2.0 */
/* units.parse(_bytes) and semver.*: cases from OPA's conformance folders units, semvercompare,
 * semverisvalid (expected values written out by hand) plus semver.org section 11's ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_units(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"units.parse", "[\"500m\"]", "0.5"},
        {"units.parse", "[\"0.0005K\"]", "0.5"},
        {"units.parse", "[\"0.0000005M\"]", "0.5"},
        {"units.parse", "[\"100K\"]", "100000"},
        {"units.parse", "[\"100Ki\"]", "102400"},
        {"units.parse", "[\"100mi\"]", "104857600"},
        {"units.parse", "[\"10KI\"]", "10240"},
        {"units.parse", "[\"1.1Ki\"]", "1126.4"},
        {"units.parse", "[\"10E\"]", "10000000000000000000"},
        {"units.parse", "[\"10ei\"]", "11529215046068469760"},
        {"units.parse", "[\"5E\"]", "5000000000000000000"},
        {"units.parse", "[\"-3.5E2m\"]", "-0.35"},
        {"units.parse", "[\"1e-2\"]", "0.01"},
        {"units.parse", "[\"1e3M\"]", "1000000000"},
        {"units.parse", "[\"5e1Gi\"]", "53687091200"},
        {"units.parse", "[\".5K\"]", "500"},
        {"units.parse", "[\".0\"]", "0"},
        {"units.parse", "[\"\\\"100TI\\\"\"]", "109951162777600"},
        {"units.parse", "[\"G\"]", "error:units.parse: no amount provided"},
        {"units.parse", "[\"\"]", "error:no amount provided"},
        {"units.parse", "[\"foo\"]", "error:no amount provided"},
        {"units.parse", "[\".5.2\"]", "error:units.parse: could not parse amount to a number"},
        {"units.parse", "[\"0.0.0\"]", "error:could not parse amount to a number"},
        {"units.parse", "[\"100 k\"]", "error:units.parse: spaces not allowed in resource strings"},
        {"units.parse", "[\" 327Mi \"]", "error:spaces not allowed in resource strings"},
        {"units.parse_bytes", "[\"8kb\"]", "8000"},
        {"units.parse_bytes", "[\"1KiB\"]", "1024"},
        {"units.parse_bytes", "[\"1.1KiB\"]", "1126"},
        {"units.parse_bytes", "[\"10Kib\"]", "10240"},
        {"units.parse_bytes", "[\"100m\"]", "100000000"},
        {"units.parse_bytes", "[\"10eib\"]", "11529215046068469760"},
        {"units.parse_bytes", "[\"1e-2KB\"]", "10"},
        {"units.parse_bytes", "[\"7.5e1TiB\"]", "82463372083200"},
        {"units.parse_bytes", "[\"5e6\"]", "5000000"},
        {"units.parse_bytes", "[\"GB\"]", "error:units.parse_bytes: no byte amount provided"},
        {"units.parse_bytes", "[\".5.2\"]",
         "error:units.parse_bytes: could not parse byte amount to a number"},
        {"units.parse_bytes", "[\"100 kb\"]",
         "error:units.parse_bytes: spaces not allowed in resource strings"},
        {"units.parse_bytes", "[\"1xb\"]", "error:"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_semver(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"semver.is_valid", "[\"1.0.0\"]", "true"},
        {"semver.is_valid", "[\"1.0.0-rc.1+build.5\"]", "true"},
        {"semver.is_valid", "[\"v1.0.0\"]", "false"},
        {"semver.is_valid", "[\"1.0\"]", "false"},
        {"semver.is_valid", "[\"01.0.0\"]", "false"},
        {"semver.is_valid", "[\"1.0.0-01\"]", "false"},
        {"semver.is_valid", "[\"1.0.0+001\"]", "true"},
        {"semver.is_valid", "[1]", "false"},
        {"semver.compare", "[\"1.0.0\", \"1.0.0\"]", "0"},
        {"semver.compare", "[\"1.0.0\", \"2.0.0\"]", "-1"},
        {"semver.compare", "[\"1.10.0\", \"1.9.0\"]", "1"},
        {"semver.compare", "[\"1.0.0-alpha\", \"1.0.0\"]", "-1"},
        {"semver.compare", "[\"1.0.0-alpha\", \"1.0.0-alpha.1\"]", "-1"},
        {"semver.compare", "[\"1.0.0-alpha.1\", \"1.0.0-alpha.beta\"]", "-1"},
        {"semver.compare", "[\"1.0.0-beta.2\", \"1.0.0-beta.11\"]", "-1"},
        {"semver.compare", "[\"1.0.0-rc.1\", \"1.0.0-beta.11\"]", "1"},
        {"semver.compare", "[\"1.0.0+a\", \"1.0.0+b\"]", "0"},
        {"semver.compare", "[\"1\", \"1.0.0\"]",
         "error:semver.compare: operand 1: string \"1\" is not a valid SemVer"},
        {"semver.compare", "[\"1.0.0\", \"1\"]",
         "error:semver.compare: operand 2: string \"1\" is not a valid SemVer"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_semver),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

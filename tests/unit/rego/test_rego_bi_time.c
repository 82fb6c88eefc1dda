/* SPDX-License-Identifier: Apache-2.0 */
/* time.* builtins: cases from OPA's conformance folder time (expected values written out by
 * hand), Go layouts and durations. Zone cases need /usr/share/zoneinfo (tzdata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_parse(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"time.now_ns", "[]", "1700000000123456789"},
        {"time.parse_rfc3339_ns", "[\"1677-09-21T00:12:43.145224192-00:00\"]",
         "-9223372036854775808"},
        {"time.parse_rfc3339_ns", "[\"1970-01-01T00:00:00-00:00\"]", "0"},
        {"time.parse_rfc3339_ns", "[\"2017-06-02T19:00:00-07:00\"]", "1496455200000000000"},
        {"time.parse_rfc3339_ns", "[\"2262-04-11T23:47:16.854775807-00:00\"]",
         "9223372036854775807"},
        {"time.parse_rfc3339_ns", "[\"1677-09-21T00:12:43.145224191-00:00\"]",
         "error:time outside of valid range"},
        {"time.parse_rfc3339_ns", "[\"2262-04-11T23:47:16.854775808-00:00\"]",
         "error:time outside of valid range"},
        {"time.parse_rfc3339_ns", "[\"2017-06-02\"]", "error:cannot parse"},
        {"time.parse_rfc3339_ns", "[\"2017-02-30T00:00:00Z\"]", "error:"},
        {"time.parse_ns", "[\"2006-01-02T15:04:05Z07:00\", \"2017-06-02T19:00:00-07:00\"]",
         "1496455200000000000"},
        {"time.parse_ns", "[\"01/02 03:04:05PM '06 -0700\", \"06/02 07:00:00PM '17 -0700\"]",
         "1496455200000000000"},
        {"time.parse_ns", "[\"02 Jan 06 15:04 -0700\", \"02 Jun 17 19:00 -0700\"]",
         "1496455200000000000"},
        {"time.parse_ns", "[\"RFC822Z\", \"02 Jun 17 19:00 -0700\"]", "1496455200000000000"},
        {"time.parse_ns", "[\"2006-01-02\", \"2020-02-02\"]", "1580601600000000000"},
        {"time.parse_ns", "[\"2006-01-02 15:04:05.000\", \"2020-02-02 01:02:03.450\"]",
         "1580605323450000000"},
        {"time.parse_ns", "[\"Jan _2 2006\", \"Feb  2 2020\"]", "1580601600000000000"},
        {"time.parse_ns", "[\"2006-01-02 15:04:05\", \"2020-02-02 01:02:03.5\"]",
         "1580605323500000000"},
        {"time.parse_ns", "[\"2006-01-02\", \"2020-02-02x\"]", "error:"},
        {"time.parse_duration_ns", "[\"100ms\"]", "100000000"},
        {"time.parse_duration_ns", "[\"1h2m3.5s\"]", "3723500000000"},
        {"time.parse_duration_ns", "[\"-1.5h\"]", "-5400000000000"},
        {"time.parse_duration_ns", "[\"3\\u00b5s\"]", "3000"},
        {"time.parse_duration_ns", "[\"0\"]", "0"},
        {"time.parse_duration_ns", "[\"1\"]", "error:missing unit"},
        {"time.parse_duration_ns", "[\"1d\"]", "error:unknown unit"},
        {"time.parse_duration_ns", "[\"\"]", "error:invalid duration"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_calendar(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"time.date", "[1517814000000000000]", "[2018, 2, 5]"},
        {"time.date", "[[1517832000000000000, \"\"]]", "[2018, 2, 5]"},
        {"time.date", "[1582977600000000000]", "[2020, 2, 29]"},
        {"time.date", "[1582977600000000000000]", "error:timestamp too big"},
        {"time.date", "[-1]", "[1969, 12, 31]"},
        {"time.clock", "[1517832000000000000]", "[12, 0, 0]"},
        {"time.clock", "[1582977600000000000000]", "error:timestamp too big"},
        {"time.weekday", "[1517832000000000000]", "\"Monday\""},
        {"time.weekday", "[1517918400000000000]", "\"Tuesday\""},
        {"time.weekday", "[1518350400000000000]", "\"Sunday\""},
        {"time.add_date", "[1585852421593912000, 3, 9, 12]", "1705257221593912000"},
        {"time.add_date", "[1585852421593912000, -1, -1, -1]", "1551465221593912000"},
        {"time.add_date", "[0, 2262, 1, 1]", "error:time outside of valid range"},
        {"time.add_date", "[-9223372036854775808, 0, 0, -1]", "error:time outside of valid range"},
        {"time.diff", "[1580601600000000000, 1583020800000000000]", "[0, 0, 28, 0, 0, 0]"},
        {"time.diff", "[1612224000000000000, 1614556800000000000]", "[0, 0, 27, 0, 0, 0]"},
        {"time.diff", "[1078012800000000000, 1109635200000000000]", "[1, 0, 1, 0, 0, 0]"},
        {"time.diff", "[61000000000, 0]", "[0, 0, 0, 0, 1, 1]"},
        {"time.format", "[1670006453141828752]", "\"2022-12-02T18:40:53.141828752Z\""},
        {"time.format", "[[0, \"UTC\", \"Mon, 02 Jan 2006 15:04:05 MST\"]]",
         "\"Thu, 01 Jan 1970 00:00:00 UTC\""},
        {"time.format", "[[1500000000000000000, \"\", \"3:04PM Monday January 2 '06 .000 002\"]]",
         "\"2:40AM Friday July 14 '17 .000 195\""},
        {"time.format", "[15829776000000000000000]", "error:timestamp too big"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_zones(void **state)
{
    (void)state;
    if (access("/usr/share/zoneinfo/Asia/Kolkata", R_OK) != 0) {
        print_message("SKIP: /usr/share/zoneinfo absent (tzdata not installed)\n");
        skip();
    }
    static const struct bt_case c[] = {
        {"time.date", "[[1517814000000000000, \"America/Los_Angeles\"]]", "[2018, 2, 4]"},
        {"time.clock", "[[1517832000000000000, \"America/New_York\"]]", "[7, 0, 0]"},
        {"time.format", "[[1670006453141828752, \"Asia/Kolkata\"]]",
         "\"2022-12-03T00:10:53.141828752+05:30\""},
        {"time.format",
         "[[1670006453141828752, \"Asia/Kolkata\", \"Mon Jan 02 15:04:05 -0700 "
         "2006\"]]",
         "\"Sat Dec 03 00:10:53 +0530 2022\""},
        {"time.format", "[[1670006453141828752, \"Asia/Kolkata\", \"RFC1123Z\"]]",
         "\"Sat, 03 Dec 2022 00:10:53 +0530\""},
        {"time.diff", "[[60000000000, \"UTC\"], [0, \"Asia/Shanghai\"]]", "[0, 0, 0, 0, 1, 0]"},
        {"time.date", "[[0, \"No/Such_Zone\"]]", "error:unknown time zone"},
        {"time.date", "[[0, \"../etc/passwd\"]]", "error:unknown time zone"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_zones),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* glob.* and net.cidr_*: cases from OPA's conformance folders globmatch, globquotemeta,
 * netcidr* (expected values written out by hand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_glob(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"glob.match", "[\"*.github.com\", [\".\"], \"api.github.com\"]", "true"},
        {"glob.match", "[\"api.**.com\", [\".\"], \"api.github.com\"]", "true"},
        {"glob.match", "[\"api.**.com\", [\".\"], \"api.cdn.github.com\"]", "true"},
        {"glob.match", "[\"*:github:com\", [\":\"], \"api:github:com\"]", "true"},
        {"glob.match", "[\"*.github.com\", [\".\"], \"api.not-github.com\"]", "false"},
        {"glob.match", "[\"*.github.com\", [\".\"], \"api.cdn.github.com\"]", "false"},
        {"glob.match", "[\"[abc]at\", [], \"cat\"]", "true"},
        {"glob.match", "[\"[abc]at\", [], \"fat\"]", "false"},
        {"glob.match", "[\"[!abc]at\", [], \"fat\"]", "true"},
        {"glob.match", "[\"[!abc]at\", [], \"cat\"]", "false"},
        {"glob.match", "[\"[a-c]at\", [], \"bat\"]", "true"},
        {"glob.match", "[\"[a-c]at\", [], \"fat\"]", "false"},
        {"glob.match", "[\"[!a-c]at\", [], \"bat\"]", "false"},
        {"glob.match", "[\"[!a-c]at\", [], \"fat\"]", "true"},
        {"glob.match", "[\"?at\", [], \"fat\"]", "true"},
        {"glob.match", "[\"?at\", [], \"at\"]", "false"},
        {"glob.match", "[\"?at\", [\"f\"], \"bat\"]", "true"},
        {"glob.match", "[\"?at\", [\"f\"], \"fat\"]", "false"},
        {"glob.match", "[\"{cat,bat,[fr]at}\", [], \"cat\"]", "true"},
        {"glob.match", "[\"{cat,bat,[fr]at}\", [], \"rat\"]", "true"},
        {"glob.match", "[\"{cat,bat,[fr]at}\", [], \"at\"]", "false"},
        {"glob.match", "[\"*\", [\".\"], \"foo\"]", "true"},
        {"glob.match", "[\"*\", [], \"foo.bar\"]", "false"},
        {"glob.match", "[\"*\", null, \"foo.bar\"]", "true"},
        {"glob.match", "[\"foo*\", null, \"foo.bar\"]", "true"},
        {"glob.match", "[\"a\\\\*b\", null, \"a*b\"]", "true"},
        {"glob.match", "[\"a\\\\*b\", null, \"axb\"]", "false"},
        {"glob.match", "[\"[abc\", null, \"a\"]", "error:"},
        {"glob.match", "[\"{a,b\", null, \"a\"]", "error:"},
        {"glob.match",
         "[\"*a*a*a*a*a*a*a*a*a*a*a*b\", null, \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]",
         "error:pattern too complex"},
        {"glob.match", "[\"a\", 1, \"a\"]", "error:"},
        {"glob.quote_meta", "[\"*.github.com\"]", "\"\\\\*.github.com\""},
        /* regex.globs_match (OPA folder globsmatch, plus edge cases) */
        {"regex.globs_match", "[\"a.a.[0-9]+z\", \".b.b2359825792*594823z\"]", "true"},
        {"regex.globs_match", "[\"[a-z]+\", \"[0-9]*\"]", "false"},
        {"regex.globs_match", "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo\\\\[1\\\\]\"]", "true"},
        {"regex.globs_match", "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo[\\\"bar\\\"]\"]", "false"},
        {"regex.globs_match", "[\"b.*\", \"bar\"]", "true"},
        {"regex.globs_match", "[\"a+\", \"b*\"]", "false"},
        {"regex.globs_match", "[\"a*\", \"b*\"]", "true"},
        {"regex.globs_match", "[\"ab+c\", \"abbbc\"]", "true"},
        {"regex.globs_match", "[\"ab+c\", \"ac\"]", "false"},
        {"regex.globs_match", "[\"[^a]\", \"[a]\"]", "false"},
        {"regex.globs_match", "[\"[^a]\", \"[a-b]\"]", "true"},
        {"regex.globs_match", "[\"[^a-z]\", \"[^0-9]\"]", "true"},
        {"regex.globs_match", "[\"\", \"\"]", "true"},
        {"regex.globs_match", "[\"pqrs]\", \"[a-b]+\"]",
         "error:input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is "
         "invalid"},
        {"regex.globs_match", "[\"[ab\", \"a\"]", "error:set-open '['"},
        {"regex.globs_match", "[\"*a\", \"a\"]", "error:modifier '*' without a preceding"},
        {"regex.globs_match", "[1, \"a\"]", "error:operand 1 must be string"},
        {"glob.quote_meta", "[\"[a]{b}?\"]", "\"\\\\[a\\\\]\\\\{b\\\\}\\\\?\""},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_cidr(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"net.cidr_contains", "[\"10.0.0.0/8\", \"10.1.0.0/24\"]", "true"},
        {"net.cidr_contains", "[\"172.17.0.0/24\", \"172.17.0.0/16\"]", "false"},
        {"net.cidr_contains", "[\"10.0.0.0/8\", \"192.168.1.0/24\"]", "false"},
        {"net.cidr_contains", "[\"10.0.0.0/8\", \"10.1.1.1/32\"]", "true"},
        {"net.cidr_contains", "[\"10.0.0.0/8\", \"10.1.1.1\"]", "true"},
        {"net.cidr_contains", "[\"2001:4860::/32\", \"2001:4860:4860::8888\"]", "true"},
        {"net.cidr_contains", "[\"10.0.0.0/8\", \"::1\"]", "false"},
        {"net.cidr_contains", "[\"10.0.0.0/33\", \"10.0.0.1\"]", "error:invalid CIDR"},
        {"net.cidr_intersects", "[\"192.168.1.0/25\", \"192.168.1.64/25\"]", "true"},
        {"net.cidr_intersects", "[\"192.168.1.0/24\", \"192.168.2.0/24\"]", "false"},
        {"net.cidr_intersects", "[\"fd1e:5bfe:8af3:9ddc::/64\", \"fd1e:5bfe:8af3:9ddc:1111::/72\"]",
         "true"},
        {"net.cidr_intersects", "[\"fd1e:5bfe:8af3:9ddc::/64\", \"2001:4860:4860::8888/32\"]",
         "false"},
        {"net.cidr_is_valid", "[\"10.0.0.0/8\"]", "true"},
        {"net.cidr_is_valid", "[\"10.0.0.0/33\"]", "false"},
        {"net.cidr_is_valid", "[\"10.0.0.0\"]", "false"},
        {"net.cidr_is_valid", "[\"::/0\"]", "true"},
        {"net.cidr_is_valid", "[1]", "false"},
        {"net.cidr_expand", "[\"192.168.1.1/30\"]",
         "{\"192.168.1.0\", \"192.168.1.1\", \"192.168.1.2\", \"192.168.1.3\"}"},
        {"net.cidr_expand", "[\"192.168.1.1/32\"]", "{\"192.168.1.1\"}"},
        {"net.cidr_expand", "[\"192.168.1.1/33\"]",
         "error:net.cidr_expand: invalid CIDR address: 192.168.1.1/33"},
        {"net.cidr_expand", "[\"10.0.0.0/8\"]", "error:expansion limit"},
        {"net.cidr_contains_matches", "[\"1.1.1.0/24\", \"1.1.1.1\"]",
         "{[\"1.1.1.0/24\", \"1.1.1.1\"]}"},
        {"net.cidr_contains_matches",
         "[[\"1.1.1.0/24\", \"1.1.2.0/24\"], [\"1.1.2.2\", "
         "\"1.1.1.1\"]]",
         "{[0, 1], [1, 0]}"},
        {"net.cidr_contains_matches", "[{\"a\": [\"1.1.1.0/24\", 7]}, {\"$set\": [\"1.1.1.9\"]}]",
         "{[\"a\", \"1.1.1.9\"]}"},
        {"net.cidr_contains_matches", "[\"1.1.1.0/24\", [1]]",
         "error:net.cidr_contains_matches: operand 2: element must be string or non-empty "
         "array"},
        {"net.cidr_merge",
         "[[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64\", "
         "\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]]",
         "{\"2601:600:8a80:207e::/64\"}"},
        {"net.cidr_merge", "[[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3\"]]",
         "error:net.cidr_merge: IPv6 invalid: needs prefix length"},
        {"net.cidr_merge", "[[\"192.0.128.0/24\", \"0.0.0.0/0\"]]", "{\"0.0.0.0/0\"}"},
        {"net.cidr_merge", "[[]]", "set()"},
        {"net.cidr_contains_matches", "[[], []]", "set()"},
        {"net.cidr_expand", "[\"::/128\"]", "{\"::\"}"},
        {"net.cidr_merge", "[[\"192.0.128.0/24\", \"192.0.129.0/24\"]]", "{\"192.0.128.0/23\"}"},
        {"net.cidr_merge", "[[\"192.0.2.112/30\", \"192.0.2.116/31\", \"192.0.2.118/31\"]]",
         "{\"192.0.2.112/29\"}"},
        {"net.cidr_merge", "[[\"192.0.129.0/24\", \"192.0.130.0/24\"]]",
         "{\"192.0.129.0/24\", \"192.0.130.0/24\"}"},
        {"net.cidr_merge", "[[\"192.0.2.112/30\", \"192.0.2.116/32\", \"192.0.2.118/31\"]]",
         "{\"192.0.2.112/30\", \"192.0.2.116/32\", \"192.0.2.118/31\"}"},
        {"net.cidr_merge", "[{\"$set\": [\"10.0.0.1\", \"10.0.0.0\"]}]", "{\"10.0.0.0/8\"}"},
        {"net.cidr_merge", "[[\"192.0.128.0\", \"192.0.129.0\"]]", "{\"192.0.128.0/23\"}"},
        {"net.cidr_merge", "[[\"192.0.2.112\", \"192.0.2.116/31\", \"192.0.2.118/31\"]]",
         "{\"192.0.2.0/24\"}"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_cidr),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}

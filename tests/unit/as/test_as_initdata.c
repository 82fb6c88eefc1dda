/* SPDX-License-Identifier: Apache-2.0 */
/* Init data TOML (TRUSTEE.md section 3.4): required keys, exact algorithm names, the four
 * string forms, agent_policy_claims from policy.rego, malformed documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "as/as_initdata.h"
#include "base/base_err.h"

static ay_err parse(const char *toml, enum ay_hash *alg, json_t **claims)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    *claims = NULL;
    return ay_initdata_toml_parse(toml, strlen(toml), &d, alg, claims);
}

static void test_typical(void **state)
{
    (void)state;
    const char *toml =
        "# init data\n"
        "version = \"0.1.0\"\n"
        "algorithm = \"sha256\"\n"
        "\n"
        "[data]\n"
        "\"aa.toml\" = '''\n"
        "[token_configs]\n"
        "[token_configs.kbs]\n"
        "url = \"http://kbs:8080\"\n"
        "'''\n"
        "\"cdh.toml\" = \"\"\"\n"
        "socket = 'unix:///run/cdh.sock'\\n\"\"\"\n"
        "'policy.rego' = '''\n"
        "package agent_policy\n"
        "policy_data := {\n"
        "  \"containers\": [{\"OCI\": {\"Annotations\": {\"io.kubernetes.cri.image-name\": "
        "\"nginx\"}, \"Process\": {\"User\": {\"UID\": 1001}}}}]\n"
        "}\n"
        "'''\n"
        "plain = \"a\\tb\\u00e9\"  # trailing comment\n";
    enum ay_hash alg;
    json_t *c = NULL;
    assert_int_equal(parse(toml, &alg, &c), AY_OK);
    assert_int_equal(alg, AY_HASH_SHA256);
    assert_string_equal(json_string_value(json_object_get(c, "aa.toml")),
                        "[token_configs]\n[token_configs.kbs]\nurl = \"http://kbs:8080\"\n");
    assert_string_equal(json_string_value(json_object_get(c, "cdh.toml")),
                        "socket = 'unix:///run/cdh.sock'\n");
    assert_string_equal(json_string_value(json_object_get(c, "plain")), "a\tb\xc3\xa9");
    assert_null(json_object_get(c, "policy.rego"));
    json_t *apc = json_object_get(c, "agent_policy_claims");
    assert_non_null(apc);
    assert_int_equal(json_array_size(json_object_get(apc, "containers")), 1);
    json_decref(c);
}

static void test_algorithms(void **state)
{
    (void)state;
    enum ay_hash alg;
    json_t *c = NULL;
    assert_int_equal(parse("version='0.1.0'\nalgorithm='sha384'\n[data]\n", &alg, &c), AY_OK);
    assert_int_equal(alg, AY_HASH_SHA384);
    json_decref(c);
    assert_int_equal(parse("version='0.1.0'\nalgorithm='sha512'\n[data]\n", &alg, &c), AY_OK);
    assert_int_equal(alg, AY_HASH_SHA512);
    json_decref(c);
    /* Exact lower-case serde names only. */
    assert_int_equal(parse("version='0.1.0'\nalgorithm='SHA384'\n[data]\n", &alg, &c),
                     AY_ERR_UNSUPPORTED);
    assert_int_equal(parse("version='0.1.0'\nalgorithm='sha-384'\n[data]\n", &alg, &c),
                     AY_ERR_UNSUPPORTED);
    assert_int_equal(parse("version='0.1.0'\nalgorithm='sha1'\n[data]\n", &alg, &c),
                     AY_ERR_UNSUPPORTED);
}

static void test_policy_rego_unparsable(void **state)
{
    (void)state;
    enum ay_hash alg;
    json_t *c = NULL;
    assert_int_equal(parse("version='0.1.0'\nalgorithm='sha384'\n[data]\n"
                           "'policy.rego' = 'policy_data := {broken'\n",
                           &alg, &c),
                     AY_OK);
    assert_string_equal(json_string_value(json_object_get(c, "policy.rego")),
                        "policy_data := {broken");
    assert_null(json_object_get(c, "agent_policy_claims"));
    json_decref(c);
    /* Other tables are skipped, including non-string values. */
    assert_int_equal(parse("version='0.1.0'\nalgorithm='sha384'\n[other]\nn = 5\n[data]\n"
                           "k = 'v'\n",
                           &alg, &c),
                     AY_OK);
    assert_int_equal(json_object_size(c), 1);
    json_decref(c);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "algorithm='sha384'\n[data]\n",
        "version='0.1.0'\n[data]\n",
        "version='0.1.0'\nalgorithm='sha384'\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = 5\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = 'unterminated\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = '''never closed\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = 'a' junk\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = 'a'\nk = 'b'\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\n[data]\n",
        "version='0.1.0'\nalgorithm='sha384'\n[[data]]\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\na.b = 'x'\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = \"\\q\"\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data]\nk = \"\\ud800\"\n",
        "version = \n",
        "= 'x'\n",
        "version='0.1.0'\nalgorithm='sha384'\n[data\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum ay_hash alg;
        json_t *c = NULL;
        ay_err e = parse(bad[i], &alg, &c);
        if (e == AY_OK) {
            fail_msg("accepted: %s", bad[i]);
        }
        assert_null(c);
    }
    enum ay_hash alg;
    json_t *c = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_initdata_toml_parse("version='0'\n\xff", 13, &d, &alg, &c),
                     AY_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_policy_rego_unparsable),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

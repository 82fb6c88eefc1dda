/* SPDX-License-Identifier: Apache-2.0 */
/* config.json (TRUSTEE.md section 2): both eras, embedded defaults, unknown keys tolerated,
 * wrong types refused with the key named, storage and token broker choices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "as/as.h"
#include "as/as_int.h"
#include "base/base_err.h"

static struct ay_as_config *parse_ok(const char *json)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    ay_err e = ay_as_config_parse(json, strlen(json), &d, &c);
    if (e != AY_OK) {
        fprintf(stderr, "unexpected: %s\n", d.msg);
    }
    assert_int_equal(e, AY_OK);
    return c;
}

static void parse_bad(const char *json, const char *key_in_msg)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    assert_int_equal(ay_as_config_parse(json, strlen(json), &d, &c), AY_ERR_CONFIG);
    assert_null(c);
    if (strstr(d.msg, key_in_msg) == NULL) {
        fprintf(stderr, "message '%s' lacks '%s'\n", d.msg, key_in_msg);
        fail();
    }
}

static void test_defaults(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    assert_int_equal(ay_as_config_load(NULL, &d, &c), AY_OK);
    assert_int_equal(c->duration_min, 5);
    assert_string_equal(c->issuer_name, "CoCo-Attestation-Service");
    assert_string_equal(c->developer_name, "https://confidentialcontainers.org");
    assert_string_equal(c->profile_name, "tag:github.com,2024:confidential-containers/Trustee");
    assert_true(c->verbose_token);
    assert_false(c->token_simple);
    assert_null(c->key_path);
    assert_int_equal(c->storage, AY_AS_STORAGE_SQLITE);
    const char *wd = ay_as_config_work_dir(c);
    assert_true(strcmp(wd, "/var/lib/assay") == 0 || strcmp(wd, "./assay-data") == 0);
    assert_non_null(strstr(c->storage_path, "/assay.db"));
    ay_as_config_free(c);
}

static void test_current_era(void **state)
{
    (void)state;
    /* TRUSTEE.md section 2.6 (every current field). */
    struct ay_as_config *c = parse_ok(
        "{\"storage_backend\":{\"storage_type\":\"LocalFs\",\"backends\":{\"local_fs\":"
        "{\"dir_path\":\"/tmp/assay-cfg-test\"},\"local_json\":{\"file_dir_path\":\"/x\"},"
        "\"postgres\":{\"host\":\"db\",\"port\":5432},\"redis\":{\"url\":\"redis://v:6379\"}}},"
        "\"rvps_config\":{\"type\":\"BuiltIn\",\"storage_type\":\"LocalJson\",\"extractors\":"
        "{\"swid_extractor\":{}}},"
        "\"attestation_token_broker\":{\"duration_min\":7,\"issuer_name\":\"me\","
        "\"developer_name\":\"dev\",\"build_name\":\"b\",\"profile_name\":\"p\","
        "\"verbose_token\":false,\"signer\":{\"key_path\":\"/k.pem\",\"cert_path\":\"/c.pem\","
        "\"cert_url\":\"https://e/c.pem\"}},"
        "\"verifier_config\":{\"snp_verifier\":{\"vcek_sources\":[{\"type\":\"KDS\"}]},"
        "\"tpm_verifier\":{}}}");
    assert_int_equal(c->duration_min, 7);
    assert_string_equal(c->issuer_name, "me");
    assert_string_equal(c->developer_name, "dev");
    assert_string_equal(c->build_name, "b");
    assert_string_equal(c->profile_name, "p");
    assert_false(c->verbose_token);
    assert_string_equal(c->key_path, "/k.pem");
    assert_string_equal(c->cert_path, "/c.pem");
    assert_string_equal(c->cert_url, "https://e/c.pem");
    assert_string_equal(c->storage_path, "/tmp/assay-cfg-test/assay.db");
    assert_non_null(json_object_get(c->verifier_config, "snp_verifier"));
    ay_as_config_free(c);
    c = parse_ok("{\"storage_backend\":{\"storage_type\":\"memory\"},\"verifier_config\":null}");
    assert_int_equal(c->storage, AY_AS_STORAGE_MEMORY);
    assert_null(c->verifier_config);
    ay_as_config_free(c);
    c = parse_ok("{\"storage_backend\":{\"storage_type\":\"Sqlite\",\"backends\":{\"sqlite\":"
                 "{\"path\":\"/tmp/x.db\"}}}}");
    assert_string_equal(c->storage_path, "/tmp/x.db");
    ay_as_config_free(c);
}

static void test_legacy_era(void **state)
{
    (void)state;
    /* TRUSTEE.md section 2, legacy shapes. */
    struct ay_as_config *c =
        parse_ok("{\"work_dir\":\"/tmp/assay-legacy\",\"policy_engine\":\"opa\",\"rvps_config\":"
                 "{\"store_type\":\"LocalFs\",\"remote_addr\":\"\"},\"attestation_token_broker\":"
                 "{\"type\":\"Simple\",\"duration_min\":5,\"policy_dir\":\"/opt/policies\"}}");
    assert_string_equal(ay_as_config_work_dir(c), "/tmp/assay-legacy");
    assert_true(c->token_simple);
    assert_string_equal(c->storage_path, "/tmp/assay-legacy/assay.db");
    ay_as_config_free(c);
    c = parse_ok("{\"attestation_token_broker\":{\"type\":\"Ear\"}}");
    assert_false(c->token_simple);
    ay_as_config_free(c);
    /* Unknown keys at every level are warnings only. */
    c = parse_ok("{\"future_key\":1,\"attestation_token_broker\":{\"new\":true,\"signer\":"
                 "{\"hsm\":\"x\"}},\"storage_backend\":{\"other\":1}}");
    ay_as_config_free(c);
}

static void test_wrong_types(void **state)
{
    (void)state;
    parse_bad("[]", "top level");
    parse_bad("{", "not valid JSON");
    parse_bad("{\"a\":1,\"a\":2}", "not valid JSON");
    parse_bad("{\"work_dir\":5}", "`work_dir` must be a string");
    parse_bad("{\"storage_backend\":\"LocalFs\"}", "`storage_backend` must be an object");
    parse_bad("{\"storage_backend\":{\"storage_type\":1}}", "storage_backend.storage_type");
    parse_bad("{\"storage_backend\":{\"storage_type\":\"Nope\"}}", "unknown");
    parse_bad("{\"storage_backend\":{\"storage_type\":\"Postgres\"}}", "not supported");
    parse_bad("{\"storage_backend\":{\"storage_type\":\"LocalFs\",\"backends\":{\"local_fs\":"
              "{\"dir_path\":[]}}}}",
              "storage_backend.backends.local_fs.dir_path");
    parse_bad("{\"rvps_config\":{\"type\":\"GrpcRemote\",\"address\":\"http://r:50003\"}}",
              "rvps_config.type");
    parse_bad("{\"rvps_config\":{\"remote_addr\":\"http://r\"}}", "remote_addr");
    parse_bad("{\"rvps_config\":[]}", "`rvps_config` must be an object");
    parse_bad("{\"attestation_token_broker\":{\"duration_min\":\"5\"}}",
              "`attestation_token_broker.duration_min`");
    parse_bad("{\"attestation_token_broker\":{\"duration_min\":-1}}", "duration_min");
    parse_bad("{\"attestation_token_broker\":{\"duration_min\":1.5}}", "duration_min");
    parse_bad("{\"attestation_token_broker\":{\"verbose_token\":\"yes\"}}", "verbose_token");
    parse_bad("{\"attestation_token_broker\":{\"issuer_name\":1}}", "issuer_name");
    parse_bad("{\"attestation_token_broker\":{\"type\":\"Jwt\"}}", "attestation_token_broker.type");
    parse_bad("{\"attestation_token_broker\":{\"signer\":{\"key_path\":false}}}",
              "attestation_token_broker.signer.key_path");
    parse_bad("{\"attestation_token_broker\":{\"signer\":\"k\"}}", "signer");
    parse_bad("{\"verifier_config\":5}", "`verifier_config` must be an object or null");
}

static void test_load_file(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    assert_int_equal(ay_as_config_load("/nonexistent/config.json", &d, &c), AY_ERR_CONFIG);
    char path[] = "/tmp/assay-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"attestation_token_broker\":{\"duration_min\":true}}", f);
    fclose(f);
    ay_diag_clear(&d);
    assert_int_equal(ay_as_config_load(path, &d, &c), AY_ERR_CONFIG);
    assert_non_null(strstr(d.msg, path));
    assert_non_null(strstr(d.msg, "duration_min"));
    f = fopen(path, "w");
    fputs("{\"attestation_token_broker\":{\"duration_min\":60}}", f);
    fclose(f);
    ay_diag_clear(&d);
    assert_int_equal(ay_as_config_load(path, &d, &c), AY_OK);
    assert_int_equal(c->duration_min, 60);
    ay_as_config_free(c);
    (void)remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_current_era),
        cmocka_unit_test(test_legacy_era), cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
